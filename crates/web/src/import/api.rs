//! Excel imports of a school (C2, C4, C6): templates, jobs and their reports.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kehou_service::import::{self, JobView, Kind};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiActor, ApiPath, ApiQuery};

fn kind_of(code: &str) -> Result<Kind, ApiError> {
    Kind::parse(code).ok_or(ApiError(kehou_service::Error::NotFound("导入类型")))
}

/// The template of an import: `students`, `staff`, `classes` or `rooms`.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/imports/{kind}/template", tag = "imports", params(("school_id" = i64, Path), ("kind" = String, Path)),
    responses((status = 200, description = "An .xlsx workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 404, body = ErrorBody)))]
pub async fn template(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, kind)): ApiPath<(i64, String)>,
) -> Result<Response, ApiError> {
    let kind = kind_of(&kind)?;
    let template = import::template(&state.app, &actor, kind, school_id).await?;
    Ok(crate::http::xlsx::file(
        &format!("{}导入模板.xlsx", kind.label()),
        Ok(template),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `all_or_nothing` (default) or `good_rows`.
    pub mode: Option<String>,
    /// Shown on the job; defaults to the kind's name.
    pub file_name: Option<String>,
}

/// Starts an import of the `.xlsx` file sent as the request body. The answer is the job;
/// poll it until its status is `finished` or `failed`.
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/imports/{kind}", tag = "imports", params(("school_id" = i64, Path), ("kind" = String, Path), ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 202, body = JobView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, kind)): ApiPath<(i64, String)>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<JobView>), ApiError> {
    let kind = kind_of(&kind)?;
    let mode = crate::http::api::import_mode(q.mode.as_deref())?;
    let file_name = q
        .file_name
        .filter(|n| !n.trim().is_empty())
        .map(|n| n.chars().take(100).collect())
        .unwrap_or_else(|| format!("{}.xlsx", kind.label()));
    let job = import::start(
        &state.app,
        &actor,
        kind,
        school_id,
        file_name,
        body.to_vec(),
        mode,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(job)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    /// The page of row errors (from 1).
    pub errors_page: Option<u64>,
    /// Row errors per page (1–100, default 20).
    pub errors_page_size: Option<u64>,
}

/// An import job the caller started: its progress, then its outcome with one page of the
/// row errors (`errors_total` counts them all; the report lists them all).
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/imports/jobs/{job_id}", tag = "imports", params(("school_id" = i64, Path), ("job_id" = i64, Path), JobQuery),
    responses((status = 200, body = JobView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn job(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, job_id)): ApiPath<(i64, i64)>,
    ApiQuery(q): ApiQuery<JobQuery>,
) -> Result<Json<JobView>, ApiError> {
    let errors = kehou_service::PageRequest::new(q.errors_page, q.errors_page_size)?;
    Ok(Json(
        import::job(&state.app, &actor, school_id, job_id, errors).await?,
    ))
}

/// The rows an import rejected, as a workbook: row number, column and reason.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/imports/jobs/{job_id}/report", tag = "imports", params(("school_id" = i64, Path), ("job_id" = i64, Path)),
    responses((status = 200, description = "An .xlsx workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, job_id)): ApiPath<(i64, i64)>,
) -> Result<Response, ApiError> {
    let report = import::report(&state.app, &actor, school_id, job_id).await?;
    Ok(crate::http::xlsx::file("导入错误报告.xlsx", Ok(report)))
}
