//! The course plans API (D4): plans of a term, their lines, export and import as .xlsx.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kehou_service::course::plan::{self, LineInput, PlanInput, PlanView};
use kehou_service::import::Outcome;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::http::api::ListBody;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiActor, ApiJson, ApiPath, ApiQuery};

/// The course plans of a school's term.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/terms/{term_id}/plans", tag = "offerings",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)),
    responses((status = 200, body = ListBody<PlanView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
) -> Result<Json<ListBody<PlanView>>, ApiError> {
    Ok(Json(ListBody::whole(
        plan::list(&state.app, &actor, school_id, term_id).await?,
    )))
}

/// A new plan for the whole school or one grade (`offering.manage`).
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/terms/{term_id}/plans", tag = "offerings",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)), request_body = PlanInput,
    responses((status = 201, body = PlanView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "a past term, or a plan of that name", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<PlanInput>,
) -> Result<(StatusCode, Json<PlanView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(plan::create(&state.app, &actor, school_id, term_id, b).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/schools/{school_id}/terms/{term_id}/plans/{plan_id}", tag = "offerings",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), ("plan_id" = i64, Path)),
    responses((status = 200, body = PlanView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id, plan_id)): ApiPath<(i64, i64, i64)>,
) -> Result<Json<PlanView>, ApiError> {
    Ok(Json(
        plan::get(&state.app, &actor, school_id, term_id, plan_id).await?,
    ))
}

/// Renames a plan, changes its mode, enables it (disabling the plans it overlaps) or
/// disables it.
#[utoipa::path(patch, path = "/api/v1/schools/{school_id}/terms/{term_id}/plans/{plan_id}", tag = "offerings",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), ("plan_id" = i64, Path)), request_body = PlanInput,
    responses((status = 200, body = PlanView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id, plan_id)): ApiPath<(i64, i64, i64)>,
    ApiJson(b): ApiJson<PlanInput>,
) -> Result<Json<PlanView>, ApiError> {
    Ok(Json(
        plan::update(&state.app, &actor, school_id, term_id, plan_id, b).await?,
    ))
}

/// Sets the line of an offered course and grade (added, or changed when it exists).
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/terms/{term_id}/plans/{plan_id}/lines", tag = "offerings",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), ("plan_id" = i64, Path)), request_body = LineInput,
    responses((status = 200, body = PlanView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn set_line(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id, plan_id)): ApiPath<(i64, i64, i64)>,
    ApiJson(b): ApiJson<LineInput>,
) -> Result<Json<PlanView>, ApiError> {
    Ok(Json(
        plan::set_line(&state.app, &actor, school_id, term_id, plan_id, b).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/schools/{school_id}/terms/{term_id}/plans/{plan_id}/lines/{line_id}", tag = "offerings",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), ("plan_id" = i64, Path), ("line_id" = i64, Path)),
    responses((status = 200, body = PlanView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn remove_line(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id, plan_id, line_id)): ApiPath<(i64, i64, i64, i64)>,
) -> Result<Json<PlanView>, ApiError> {
    Ok(Json(
        plan::remove_line(&state.app, &actor, school_id, term_id, plan_id, line_id).await?,
    ))
}

/// The plan as an .xlsx workbook with the import's columns.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/terms/{term_id}/plans/{plan_id}/export", tag = "offerings",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), ("plan_id" = i64, Path)),
    responses((status = 200, description = "An .xlsx workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id, plan_id)): ApiPath<(i64, i64, i64)>,
) -> Result<Response, ApiError> {
    let (name, bytes) = plan::export(&state.app, &actor, school_id, term_id, plan_id).await?;
    Ok(crate::http::xlsx::file(&name, Ok(bytes)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// all_or_nothing (default) or good_rows.
    pub mode: Option<String>,
}

/// Imports lines from the .xlsx body (the export's columns); every row is checked first
/// and the bad ones reported by row and column.
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/terms/{term_id}/plans/{plan_id}/import", tag = "offerings",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), ("plan_id" = i64, Path), ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 200, body = Outcome), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id, plan_id)): ApiPath<(i64, i64, i64)>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Bytes,
) -> Result<Json<Outcome>, ApiError> {
    let mode = crate::http::api::import_mode(q.mode.as_deref())?;
    Ok(Json(
        plan::import(&state.app, &actor, school_id, term_id, plan_id, &body, mode).await?,
    ))
}
