//! Administrative classes, departments and posts (C3), and the grades of a school.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::http::api::ListBody;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiActor, ApiJson, ApiPath, ApiQuery};

// Administrative classes, departments and posts (C3) ----

use kehou_service::school::admin_class::{
    self, AdminClassInput, AdminClassPatch, AdminClassView, PromotionPlan, UnitView,
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminClassQuery {
    /// `2026-2027`.
    pub school_year: Option<String>,
    pub grade: Option<i16>,
}

#[utoipa::path(get, path = "/api/v1/schools/{school_id}/admin-classes", tag = "schools", params(("school_id" = i64, Path), AdminClassQuery),
    responses((status = 200, body = ListBody<AdminClassView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_admin_classes(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<AdminClassQuery>,
) -> Result<Json<ListBody<AdminClassView>>, ApiError> {
    let items = admin_class::list_admin_classes(
        &state.app,
        &actor,
        school_id,
        q.school_year.as_deref(),
        q.grade,
    )
    .await?;
    Ok(Json(ListBody::whole(items)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AdminClassBody {
    #[schema(required = true)]
    pub school_year: Option<String>,
    /// 1–12, within the school's stages.
    #[schema(required = true)]
    pub grade: Option<i64>,
    /// 1–99.
    #[schema(required = true)]
    pub number: Option<i64>,
    pub alias: Option<String>,
    pub head_teacher_id: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/schools/{school_id}/admin-classes", tag = "schools", params(("school_id" = i64, Path)), request_body = AdminClassBody,
    responses((status = 201, body = AdminClassView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_admin_class(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiJson(b): ApiJson<AdminClassBody>,
) -> Result<(StatusCode, Json<AdminClassView>), ApiError> {
    let input = AdminClassInput {
        school_year: b.school_year,
        grade: b.grade,
        number: b.number,
        alias: b.alias,
        head_teacher_id: b.head_teacher_id,
    };
    Ok((
        StatusCode::CREATED,
        Json(admin_class::create_admin_class(&state.app, &actor, school_id, input).await?),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AdminClassPatchBody {
    /// An empty string removes the alias.
    pub alias: Option<String>,
    /// `null` removes the head teacher; leaving the field out keeps it.
    #[serde(default, deserialize_with = "crate::http::api::present")]
    pub head_teacher_id: Option<Option<i64>>,
}

/// Tells a field given as `null` from a field left out.

#[utoipa::path(patch, path = "/api/v1/schools/{school_id}/admin-classes/{class_id}", tag = "schools", params(("school_id" = i64, Path), ("class_id" = i64, Path)), request_body = AdminClassPatchBody,
    responses((status = 200, body = AdminClassView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_admin_class(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, class_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<AdminClassPatchBody>,
) -> Result<Json<AdminClassView>, ApiError> {
    let patch = AdminClassPatch {
        alias: b.alias,
        head_teacher_id: b.head_teacher_id,
    };
    Ok(Json(
        admin_class::update_admin_class(&state.app, &actor, school_id, class_id, patch).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PromoteBody {
    /// The school year whose classes move up, e.g. `2026-2027`.
    #[schema(required = true)]
    pub from_school_year: Option<String>,
}

/// Promotes a school year in one transaction: next year's classes one grade up, their
/// enrolled students moved into them, the top grade's students graduated. Answers what
/// was done.
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/admin-classes/promote", tag = "schools", params(("school_id" = i64, Path)), request_body = PromoteBody,
    responses((status = 200, body = PromotionPlan), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn promote_admin_classes(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiJson(b): ApiJson<PromoteBody>,
) -> Result<Json<PromotionPlan>, ApiError> {
    Ok(Json(
        admin_class::promote(
            &state.app,
            &actor,
            school_id,
            b.from_school_year.as_deref().unwrap_or(""),
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PromoteQuery {
    /// The school year whose classes would move up, e.g. `2026-2027`.
    pub from_school_year: Option<String>,
}

/// What promoting a school year would do (which class goes where, with how many students;
/// who graduates); changes nothing.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/admin-classes/promote", tag = "schools", params(("school_id" = i64, Path), PromoteQuery),
    responses((status = 200, body = PromotionPlan), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn promotion_preview(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<PromoteQuery>,
) -> Result<Json<PromotionPlan>, ApiError> {
    Ok(Json(
        admin_class::promotion_preview(
            &state.app,
            &actor,
            school_id,
            q.from_school_year.as_deref().unwrap_or(""),
        )
        .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/schools/{school_id}/units", tag = "schools", params(("school_id" = i64, Path)),
    responses((status = 200, body = ListBody<UnitView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_units(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
) -> Result<Json<ListBody<UnitView>>, ApiError> {
    let items = admin_class::list_units(&state.app, &actor, school_id).await?;
    Ok(Json(ListBody::whole(items)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UnitBody {
    /// `department` (教研组) or `post` (岗位).
    #[schema(required = true)]
    pub kind: Option<String>,
    #[schema(required = true)]
    pub name: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/schools/{school_id}/units", tag = "schools", params(("school_id" = i64, Path)), request_body = UnitBody,
    responses((status = 201, body = UnitView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_unit(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiJson(b): ApiJson<UnitBody>,
) -> Result<(StatusCode, Json<UnitView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(
            admin_class::add_unit(
                &state.app,
                &actor,
                school_id,
                b.kind.as_deref(),
                b.name.as_deref(),
            )
            .await?,
        ),
    ))
}

#[utoipa::path(delete, path = "/api/v1/schools/{school_id}/units/{unit_id}", tag = "schools", params(("school_id" = i64, Path), ("unit_id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn remove_unit(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, unit_id)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    admin_class::remove_unit(&state.app, &actor, school_id, unit_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GradeQuery {
    /// `2026-2027`; the newest school year with classes when left out.
    pub school_year: Option<String>,
}

/// The grades of the school's stages with their classes and enrolled students.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/grades", tag = "schools", params(("school_id" = i64, Path), GradeQuery),
    responses((status = 200, body = Vec<kehou_service::school::admin_class::GradeView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_grades(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<GradeQuery>,
) -> Result<Json<Vec<kehou_service::school::admin_class::GradeView>>, ApiError> {
    Ok(Json(
        kehou_service::school::admin_class::grades(
            &state.app,
            &actor,
            school_id,
            q.school_year.as_deref(),
        )
        .await?,
    ))
}
