//! The institutions API (D5): the jurisdiction's institutions, one with its documents and
//! history, the bureau's decisions, and the documents themselves.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kehou_domain::institution::InstitutionStatus;
use kehou_service::institution::department::{self, DepartmentView};
use kehou_service::institution::dispatch::{self, DispatchInput, DispatchView};
use kehou_service::institution::registration;
use kehou_service::institution::review::{self, InstitutionFilter};
use kehou_service::institution::teacher::{self, TeacherInput, TeacherView};
use kehou_service::institution::{self, InstitutionDetail, InstitutionView};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::http::api::{ListBody, Paging};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiActor, ApiJson, ApiPath, ApiQuery};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InstitutionQuery {
    /// Part of the name or the credit code.
    pub q: Option<String>,
    /// pending, returned, admitted, rejected, suspended or removed.
    pub status: Option<String>,
    pub page: Option<u64>,
    pub page_size: Option<u64>,
}

/// Institutions in the caller's scope, newest applications first (an institution's own
/// people see their own).
#[utoipa::path(get, path = "/api/v1/institutions", tag = "institutions", params(InstitutionQuery),
    responses((status = 200, body = ListBody<InstitutionView>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<InstitutionQuery>,
) -> Result<Json<ListBody<InstitutionView>>, ApiError> {
    actor.require(kehou_domain::Permission::InstitutionView)?;
    let page = Paging {
        page: q.page,
        page_size: q.page_size,
    }
    .request()?;
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(InstitutionStatus::parse(s).ok_or_else(|| {
            kehou_service::Error::invalid(
                "status",
                "状态须为 pending、returned、admitted、rejected、suspended 或 removed",
            )
        })?),
    };
    let filter = InstitutionFilter { q: q.q, status };
    Ok(Json(
        review::list(&state.app, &actor, &filter, page)
            .await?
            .into(),
    ))
}

#[utoipa::path(get, path = "/api/v1/institutions/{id}", tag = "institutions", params(("id" = i64, Path)),
    responses((status = 200, body = InstitutionDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<InstitutionDetail>, ApiError> {
    Ok(Json(institution::get(&state.app, &actor, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = InstitutionDecision)]
pub struct Decision {
    /// approve, reject, return (for more material), suspend, reinstate or remove.
    #[schema(required = true)]
    pub action: Option<String>,
    /// Required for reject, return, suspend and remove; shown to the institution.
    pub reason: Option<String>,
}

/// The bureau decides: approve, reject or return an application (`institution.review`);
/// suspend, reinstate or remove an admitted institution (`supervision.halt`).
#[utoipa::path(post, path = "/api/v1/institutions/{id}/decision", tag = "institutions", params(("id" = i64, Path)), request_body = Decision,
    responses((status = 200, body = InstitutionDetail), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "not possible in the institution's state", body = ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<Decision>,
) -> Result<Json<InstitutionDetail>, ApiError> {
    Ok(Json(
        review::decide(
            &state.app,
            &actor,
            id,
            b.action.as_deref(),
            b.reason.as_deref(),
        )
        .await?,
    ))
}

/// A qualification document, with its checked content type, as an attachment.
#[utoipa::path(get, path = "/api/v1/institutions/{id}/documents/{document_id}", tag = "institutions",
    params(("id" = i64, Path), ("document_id" = i64, Path)),
    responses((status = 200, description = "the file, with the type its content was checked to be",
        content(("application/pdf"), ("image/png"), ("image/jpeg"))),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn document(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, document_id)): ApiPath<(i64, i64)>,
) -> Result<Response, ApiError> {
    let (content_type, name, bytes) =
        institution::document_file(&state.app, &actor, id, document_id).await?;
    Ok(crate::http::files::stored_file(&content_type, &name, bytes))
}

/// An institution's teachers, by name (ID numbers and phones masked).
#[utoipa::path(get, path = "/api/v1/institutions/{id}/teachers", tag = "institutions", params(("id" = i64, Path)),
    responses((status = 200, body = ListBody<TeacherView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn teachers(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ListBody<TeacherView>>, ApiError> {
    Ok(Json(ListBody::whole(
        teacher::list(&state.app, &actor, id).await?,
    )))
}

/// Adds a teacher to the caller's own institution (`institution.manage`). A new number
/// gets an institution-teacher account; a number of another organization's account is
/// invited and joins when its owner accepts.
#[utoipa::path(post, path = "/api/v1/institutions/{id}/teachers", tag = "institutions", params(("id" = i64, Path)), request_body = TeacherInput,
    responses((status = 201, body = TeacherView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "a teacher of the institution has that ID number or phone", body = ErrorBody)))]
pub async fn add_teacher(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<TeacherInput>,
) -> Result<(StatusCode, Json<TeacherView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(teacher::create(&state.app, &actor, id, b).await?),
    ))
}

/// An institution's dispatches of teachers to schools, the latest first.
#[utoipa::path(get, path = "/api/v1/institutions/{id}/dispatches", tag = "institutions", params(("id" = i64, Path)),
    responses((status = 200, body = ListBody<DispatchView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn dispatches(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ListBody<DispatchView>>, ApiError> {
    Ok(Json(ListBody::whole(
        dispatch::list(&state.app, &actor, id).await?,
    )))
}

/// Sends a teacher of the caller's admitted institution to a school of its bureau's
/// jurisdiction; a teacher's dispatches never share a day.
#[utoipa::path(post, path = "/api/v1/institutions/{id}/dispatches", tag = "institutions", params(("id" = i64, Path)), request_body = DispatchInput,
    responses((status = 201, body = DispatchView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "the teacher is dispatched on some of those days, or the institution is not admitted", body = ErrorBody)))]
pub async fn dispatch_teacher(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DispatchInput>,
) -> Result<(StatusCode, Json<DispatchView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(dispatch::create(&state.app, &actor, id, b).await?),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Cancellation {
    #[schema(required = true)]
    pub reason: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/institutions/{id}/dispatches/{dispatch_id}/cancel", tag = "institutions",
    params(("id" = i64, Path), ("dispatch_id" = i64, Path)), request_body = Cancellation,
    responses((status = 200, body = DispatchView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "already cancelled", body = ErrorBody)))]
pub async fn cancel_dispatch(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, dispatch_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<Cancellation>,
) -> Result<Json<DispatchView>, ApiError> {
    Ok(Json(
        dispatch::cancel(&state.app, &actor, id, dispatch_id, b.reason.as_deref()).await?,
    ))
}

/// The teachers institutions have dispatched to a school (D2).
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/dispatches", tag = "institutions", params(("school_id" = i64, Path)),
    responses((status = 200, body = ListBody<DispatchView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn school_dispatches(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
) -> Result<Json<ListBody<DispatchView>>, ApiError> {
    Ok(Json(ListBody::whole(
        dispatch::for_school(&state.app, &actor, school_id).await?,
    )))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct ProfileInput {
    pub contact_name: Option<String>,
    pub address: Option<String>,
    pub business_scope: Option<String>,
    /// care, quality, featured; at least one.
    pub service_types: Option<Vec<String>>,
    /// Refused: the legal representative was admitted by the bureau.
    pub legal_rep: Option<String>,
}

/// An admitted institution changes its details (`institution.manage`, its own only); absent
/// fields stay.
#[utoipa::path(patch, path = "/api/v1/institutions/{id}", tag = "institutions", params(("id" = i64, Path)), request_body = ProfileInput,
    responses((status = 200, body = InstitutionDetail), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "not admitted", body = ErrorBody)))]
pub async fn update_profile(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ProfileInput>,
) -> Result<Json<InstitutionDetail>, ApiError> {
    let corrections = registration::Corrections {
        legal_rep: b.legal_rep,
        contact_name: b.contact_name,
        address: b.address,
        business_scope: b.business_scope,
        service_types: b.service_types,
    };
    Ok(Json(
        registration::update_profile(&state.app, &actor, id, corrections, Vec::new()).await?,
    ))
}

/// An institution's departments (部门), by name.
#[utoipa::path(get, path = "/api/v1/institutions/{id}/departments", tag = "institutions", params(("id" = i64, Path)),
    responses((status = 200, body = ListBody<DepartmentView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn departments(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ListBody<DepartmentView>>, ApiError> {
    Ok(Json(ListBody::whole(
        department::list(&state.app, &actor, id).await?,
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = NewInstitutionDepartment)]
pub struct NewDepartment {
    #[schema(required = true)]
    pub name: Option<String>,
}

/// A new department of the caller's own institution (`institution.manage`).
#[utoipa::path(post, path = "/api/v1/institutions/{id}/departments", tag = "institutions", params(("id" = i64, Path)), request_body = NewDepartment,
    responses((status = 201, body = DepartmentView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_department(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<NewDepartment>,
) -> Result<(StatusCode, Json<DepartmentView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(department::create(&state.app, &actor, id, b.name).await?),
    ))
}

/// Removes a department that has no teachers.
#[utoipa::path(delete, path = "/api/v1/institutions/{id}/departments/{department_id}", tag = "institutions",
    params(("id" = i64, Path), ("department_id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "it has teachers", body = ErrorBody)))]
pub async fn delete_department(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, department_id)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    department::delete(&state.app, &actor, id, department_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TeacherDepartment {
    /// A department of the institution; null for none.
    pub department_id: Option<i64>,
}

/// Puts a teacher into a department of the caller's institution, or into none.
#[utoipa::path(put, path = "/api/v1/institutions/{id}/teachers/{teacher_id}/department", tag = "institutions",
    params(("id" = i64, Path), ("teacher_id" = i64, Path)), request_body = TeacherDepartment,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn assign_department(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, teacher_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<TeacherDepartment>,
) -> Result<StatusCode, ApiError> {
    department::assign(&state.app, &actor, id, teacher_id, b.department_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
