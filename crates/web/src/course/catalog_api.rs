//! The API of courses (D6, D11), the libraries (D8), the bureau's rules and the schools'
//! term offerings (D1, D2, D7, D9, D12).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use kehou_domain::course::{LibraryAction, LibraryStatus, OfferingAction, OfferingStatus};
use kehou_service::course::catalog::{self, CourseInput, CourseView};
use kehou_service::course::library::{self, EntryFilter, EntryView, Kind};
use kehou_service::course::offering::{self, Decision, ItemInput, ItemView, OfferingView};
use kehou_service::course::policy::{self, Policy};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::http::api::ListBody;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiActor, ApiJson, ApiPath, ApiQuery};

/// The courses of the caller's jurisdiction: their own school's or institution's, or for a
/// bureau those of its schools and institutions.
#[utoipa::path(get, path = "/api/v1/courses", tag = "courses",
    responses((status = 200, body = ListBody<CourseView>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<ListBody<CourseView>>, ApiError> {
    Ok(Json(ListBody::whole(
        catalog::list(&state.app, &actor).await?,
    )))
}

/// A new course of the caller's school or institution (`course.manage`); its price comes
/// from the spec chosen.
#[utoipa::path(post, path = "/api/v1/courses", tag = "courses", request_body = CourseInput,
    responses((status = 201, body = CourseView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "a course of that name exists", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<CourseInput>,
) -> Result<(StatusCode, Json<CourseView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(catalog::create(&state.app, &actor, b).await?),
    ))
}

/// A course with its syllabus, materials and library entries.
#[utoipa::path(get, path = "/api/v1/courses/{id}", tag = "courses", params(("id" = i64, Path)),
    responses((status = 200, body = CourseView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CourseView>, ApiError> {
    Ok(Json(catalog::get(&state.app, &actor, id).await?))
}

/// Changes a course of the caller's own organization; a syllabus or list of materials sent
/// replaces the stored one.
#[utoipa::path(patch, path = "/api/v1/courses/{id}", tag = "courses", params(("id" = i64, Path)), request_body = CourseInput,
    responses((status = 200, body = CourseView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<CourseInput>,
) -> Result<Json<CourseView>, ApiError> {
    Ok(Json(catalog::update(&state.app, &actor, id, b).await?))
}

/// An institution's courses (its own people and the bureaus above it).
#[utoipa::path(get, path = "/api/v1/institutions/{id}/courses", tag = "institutions", params(("id" = i64, Path)),
    responses((status = 200, body = ListBody<CourseView>), (status = 404, body = ErrorBody)))]
pub async fn institution_courses(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ListBody<CourseView>>, ApiError> {
    Ok(Json(ListBody::whole(
        catalog::list_of(&state.app, &actor, id).await?,
    )))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LibraryQuery {
    /// course, teacher or staff.
    pub kind: Option<String>,
    /// submitted, admitted, rejected or revoked.
    pub status: Option<String>,
    pub bureau_id: Option<i64>,
}

/// Library entries: those of the libraries in the caller's jurisdiction, their own
/// submissions, and what the bureaus above them admitted.
#[utoipa::path(get, path = "/api/v1/library", tag = "courses", params(LibraryQuery),
    responses((status = 200, body = ListBody<EntryView>), (status = 400, body = ErrorBody)))]
pub async fn library_list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<LibraryQuery>,
) -> Result<Json<ListBody<EntryView>>, ApiError> {
    let kind = match q.kind.as_deref().filter(|k| !k.is_empty()) {
        None => None,
        Some(k) => Some(Kind::parse(k).ok_or_else(|| {
            kehou_service::Error::invalid("kind", "类型须为 course、teacher 或 staff")
        })?),
    };
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(LibraryStatus::parse(s).ok_or_else(|| {
            kehou_service::Error::invalid(
                "status",
                "状态须为 submitted、admitted、rejected 或 revoked",
            )
        })?),
    };
    let filter = EntryFilter {
        kind,
        status,
        bureau_id: q.bureau_id,
    };
    Ok(Json(ListBody::whole(
        library::list(&state.app, &actor, &filter).await?,
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Submission {
    /// course, teacher (an institution's) or staff (a school's).
    #[schema(required = true)]
    pub kind: Option<String>,
    #[schema(required = true)]
    pub subject_id: Option<i64>,
    /// A bureau above the caller's organization.
    #[schema(required = true)]
    pub bureau_id: Option<i64>,
}

/// Submits a course or teacher of the caller's organization to a bureau's library, or a
/// rejected or revoked one again (`course.manage`).
#[utoipa::path(post, path = "/api/v1/library", tag = "courses", request_body = Submission,
    responses((status = 200, body = EntryView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "already submitted or admitted", body = ErrorBody)))]
pub async fn library_submit(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<Submission>,
) -> Result<Json<EntryView>, ApiError> {
    let kind = b.kind.as_deref().and_then(Kind::parse);
    Ok(Json(
        library::submit(&state.app, &actor, kind, b.subject_id, b.bureau_id).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Review {
    /// admit, reject or revoke.
    #[schema(required = true)]
    pub action: Option<String>,
    /// Required to reject or revoke.
    pub comment: Option<String>,
}

/// A reviewer of the entry's bureau decides (`library.review`).
#[utoipa::path(post, path = "/api/v1/library/{id}/decision", tag = "courses", params(("id" = i64, Path)), request_body = Review,
    responses((status = 200, body = EntryView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "not in a state for that", body = ErrorBody)))]
pub async fn library_decide(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<Review>,
) -> Result<Json<EntryView>, ApiError> {
    let action = b.action.as_deref().and_then(LibraryAction::parse);
    Ok(Json(
        library::decide(&state.app, &actor, id, action, b.comment).await?,
    ))
}

/// The caller's bureau's offering rules; for a school or institution, the rules that
/// hold for it.
#[utoipa::path(get, path = "/api/v1/course-policy", tag = "courses",
    responses((status = 200, body = Policy), (status = 403, body = ErrorBody)))]
pub async fn policy_get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Policy>, ApiError> {
    Ok(Json(policy::get(&state.app, &actor).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PolicyInput {
    #[schema(required = true)]
    pub only_admitted: Option<bool>,
    #[schema(required = true)]
    pub needs_approval: Option<bool>,
}

/// Sets the caller's bureau's offering rules (`course.policy`); they hold for every school
/// below it.
#[utoipa::path(put, path = "/api/v1/course-policy", tag = "courses", request_body = PolicyInput,
    responses((status = 200, body = Policy), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn policy_set(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<PolicyInput>,
) -> Result<Json<Policy>, ApiError> {
    actor.require(kehou_domain::Permission::CoursePolicy)?;
    let (Some(only_admitted), Some(needs_approval)) = (b.only_admitted, b.needs_approval) else {
        return Err(
            kehou_service::Error::Invalid(vec![kehou_domain::FieldError::new(
                if b.only_admitted.is_none() {
                    "only_admitted"
                } else {
                    "needs_approval"
                },
                "请填写 true 或 false",
            )])
            .into(),
        );
    };
    Ok(Json(
        policy::set(
            &state.app,
            &actor,
            Policy {
                only_admitted,
                needs_approval,
            },
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OfferingsQuery {
    /// draft, submitted, approved, rejected or published.
    pub status: Option<String>,
}

/// The offerings of the schools in the caller's jurisdiction (what a bureau approves).
#[utoipa::path(get, path = "/api/v1/offerings", tag = "offerings", params(OfferingsQuery),
    responses((status = 200, body = ListBody<OfferingView>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn offerings(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<OfferingsQuery>,
) -> Result<Json<ListBody<OfferingView>>, ApiError> {
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(OfferingStatus::parse(s).ok_or_else(|| {
            kehou_service::Error::invalid(
                "status",
                "状态须为 draft、submitted、approved、rejected 或 published",
            )
        })?),
    };
    Ok(Json(ListBody::whole(
        offering::list(&state.app, &actor, status).await?,
    )))
}

/// A school's offering of a term: items with course, type, price in fen, fees, teachers and
/// the bureau's decision.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/terms/{term_id}/offering", tag = "offerings",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)),
    responses((status = 200, body = OfferingView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn offering_get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
) -> Result<Json<OfferingView>, ApiError> {
    Ok(Json(
        offering::get(&state.app, &actor, school_id, term_id).await?,
    ))
}

/// The published offering (开课公示): approved courses only; for anyone of the school,
/// parents included, and its bureaus.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/terms/{term_id}/offering/published", tag = "offerings",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)),
    responses((status = 200, body = OfferingView), (status = 404, body = ErrorBody)))]
pub async fn offering_published(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
) -> Result<Json<OfferingView>, ApiError> {
    Ok(Json(
        offering::published(&state.app, &actor, school_id, term_id).await?,
    ))
}

/// Adds a course to the offering (`offering.manage`); the price is the spec's on the
/// term's first day.
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/terms/{term_id}/offering/items", tag = "offerings",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)), request_body = ItemInput,
    responses((status = 201, body = ItemView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "a past term, an offering not being built, or the course is in it", body = ErrorBody)))]
pub async fn item_add(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<ItemInput>,
) -> Result<(StatusCode, Json<ItemView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(offering::add_item(&state.app, &actor, school_id, term_id, b).await?),
    ))
}

/// Changes an offered course.
#[utoipa::path(patch, path = "/api/v1/schools/{school_id}/terms/{term_id}/offering/items/{item_id}", tag = "offerings",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), ("item_id" = i64, Path)), request_body = ItemInput,
    responses((status = 200, body = ItemView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn item_update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id, item_id)): ApiPath<(i64, i64, i64)>,
    ApiJson(b): ApiJson<ItemInput>,
) -> Result<Json<ItemView>, ApiError> {
    Ok(Json(
        offering::update_item(&state.app, &actor, school_id, term_id, item_id, b).await?,
    ))
}

/// Takes a course out of the offering.
#[utoipa::path(delete, path = "/api/v1/schools/{school_id}/terms/{term_id}/offering/items/{item_id}", tag = "offerings",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), ("item_id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn item_remove(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id, item_id)): ApiPath<(i64, i64, i64)>,
) -> Result<StatusCode, ApiError> {
    offering::remove_item(&state.app, &actor, school_id, term_id, item_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct Copied {
    pub offering: OfferingView,
    /// The courses not copied, each with why.
    pub left_out: Vec<String>,
}

/// Starts the term's offering from the latest earlier term's, at the new term's prices.
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/terms/{term_id}/offering/copy", tag = "offerings",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)),
    responses((status = 200, body = Copied), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn offering_copy(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
) -> Result<Json<Copied>, ApiError> {
    let (offering, left_out) = offering::copy_last(&state.app, &actor, school_id, term_id).await?;
    Ok(Json(Copied { offering, left_out }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SchoolAction {
    /// submit, withdraw or publish.
    #[schema(required = true)]
    pub action: Option<String>,
}

/// The school submits its offering for approval, takes it back, or publishes it (after
/// approval, or directly when its bureaus do not require approval).
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/terms/{term_id}/offering/actions", tag = "offerings",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)), request_body = SchoolAction,
    responses((status = 200, body = OfferingView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "not allowed in its state", body = ErrorBody)))]
pub async fn offering_action(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<SchoolAction>,
) -> Result<Json<OfferingView>, ApiError> {
    let action = b.action.as_deref().and_then(OfferingAction::parse);
    Ok(Json(
        offering::school_action(&state.app, &actor, school_id, term_id, action).await?,
    ))
}

/// The bureau approves (refusing some courses with reasons) or rejects the whole offering
/// (`offering.approve`).
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/terms/{term_id}/offering/decision", tag = "offerings",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)), request_body = Decision,
    responses((status = 200, body = OfferingView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "not waiting for approval", body = ErrorBody)))]
pub async fn offering_decide(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<Decision>,
) -> Result<Json<OfferingView>, ApiError> {
    Ok(Json(
        offering::decide(&state.app, &actor, school_id, term_id, b).await?,
    ))
}

/// A picture or attachment of a course, to anyone who may read the course: its checked
/// type, as an attachment, never sniffed.
#[utoipa::path(get, path = "/api/v1/courses/{id}/files/{file_id}", tag = "courses", params(("id" = i64, Path), ("file_id" = i64, Path)),
    responses((status = 200, description = "The file, of the type checked at upload",
        content(("image/png"), ("image/jpeg"), ("application/pdf"))), (status = 404, body = ErrorBody)))]
pub async fn course_file(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, file_id)): ApiPath<(i64, i64)>,
) -> Result<axum::response::Response, ApiError> {
    let (content_type, name, bytes) = catalog::file(&state.app, &actor, id, file_id).await?;
    Ok(crate::http::files::stored_file(&content_type, &name, bytes))
}
