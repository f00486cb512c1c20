//! Staff (C2) and Excel imports (C2, C4, C6) of a school.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kehou_service::import::{self, JobView, Kind, Mode};
use kehou_service::staff::{self, CreatedStaff, StaffFilter, StaffInput, StaffPatch, StaffView};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{ListBody, Paging};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiPrincipal, ApiQuery};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StaffQuery {
    /// Part of the name, or a whole phone number.
    pub q: Option<String>,
    pub department_id: Option<i64>,
    pub active: Option<bool>,
    pub page: Option<u64>,
    pub page_size: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/schools/{school_id}/staff", tag = "staff", params(("school_id" = i64, Path), StaffQuery),
    responses((status = 200, body = ListBody<StaffView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath(school_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<StaffQuery>,
) -> Result<Json<ListBody<StaffView>>, ApiError> {
    let page = Paging {
        page: q.page,
        page_size: q.page_size,
    }
    .request()?;
    let filter = StaffFilter {
        q: q.q,
        department_id: q.department_id,
        active: q.active,
    };
    Ok(Json(
        staff::list_staff(&state.app, p.actor()?, school_id, &filter, page)
            .await?
            .into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StaffBody {
    pub name: Option<String>,
    /// 11-digit mobile number; an existing account with it is linked.
    pub phone: Option<String>,
    /// 男 / 女.
    pub gender: Option<String>,
    /// Separated by 、.
    pub subjects: Option<String>,
    /// 正高级教师, 高级教师, 一级教师, 二级教师, 三级教师 or 未定级.
    pub title: Option<String>,
    pub certificate_no: Option<String>,
    pub department_id: Option<i64>,
    /// Post names separated by 、.
    pub posts: Option<String>,
    /// Roles at the school; at least one.
    #[serde(default)]
    pub role_ids: Vec<i64>,
}

/// Adds a staff member; a new account's one-time password is in the answer.
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/staff", tag = "staff", params(("school_id" = i64, Path)), request_body = StaffBody,
    responses((status = 201, body = CreatedStaff), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath(school_id): ApiPath<i64>,
    ApiJson(b): ApiJson<StaffBody>,
) -> Result<(StatusCode, Json<CreatedStaff>), ApiError> {
    let input = StaffInput {
        name: b.name,
        phone: b.phone,
        gender: b.gender,
        subjects: b.subjects,
        title: b.title,
        certificate_no: b.certificate_no,
        department_id: b.department_id,
        posts: b.posts,
        role_ids: b.role_ids,
    };
    Ok((
        StatusCode::CREATED,
        Json(staff::create_staff(&state.app, p.actor()?, school_id, input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/schools/{school_id}/staff/{staff_id}", tag = "staff", params(("school_id" = i64, Path), ("staff_id" = i64, Path)),
    responses((status = 200, body = StaffView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath((school_id, staff_id)): ApiPath<(i64, i64)>,
) -> Result<Json<StaffView>, ApiError> {
    Ok(Json(
        staff::get_staff(&state.app, p.actor()?, school_id, staff_id).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StaffPatchBody {
    pub subjects: Option<String>,
    pub title: Option<String>,
    pub certificate_no: Option<String>,
    /// `null` removes the department.
    #[serde(default, deserialize_with = "super::schools::present")]
    pub department_id: Option<Option<i64>>,
    pub posts: Option<String>,
    /// `false` marks the person as having left.
    pub active: Option<bool>,
}

#[utoipa::path(patch, path = "/api/v1/schools/{school_id}/staff/{staff_id}", tag = "staff", params(("school_id" = i64, Path), ("staff_id" = i64, Path)), request_body = StaffPatchBody,
    responses((status = 200, body = StaffView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath((school_id, staff_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<StaffPatchBody>,
) -> Result<Json<StaffView>, ApiError> {
    let patch = StaffPatch {
        subjects: b.subjects,
        title: b.title,
        certificate_no: b.certificate_no,
        department_id: b.department_id,
        posts: b.posts,
        active: b.active,
    };
    Ok(Json(
        staff::update_staff(&state.app, p.actor()?, school_id, staff_id, patch).await?,
    ))
}

fn kind_of(code: &str) -> Result<Kind, ApiError> {
    Kind::parse(code).ok_or(ApiError(kehou_service::Error::NotFound("导入类型")))
}

/// The template of an import: `students`, `staff`, `classes` or `rooms`.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/imports/{kind}/template", tag = "imports", params(("school_id" = i64, Path), ("kind" = String, Path)),
    responses((status = 200, description = "An .xlsx workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 404, body = ErrorBody)))]
pub async fn template(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath((school_id, kind)): ApiPath<(i64, String)>,
) -> Result<Response, ApiError> {
    let kind = kind_of(&kind)?;
    let a = p.actor()?;
    a.require(kehou_domain::Permission::SchoolView)?;
    kehou_service::school::load_school(&state.app.db, a, school_id).await?;
    Ok(crate::xlsx::file(
        &format!("{}导入模板.xlsx", kind.label()),
        kind.template(),
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
    ApiPrincipal(p): ApiPrincipal,
    ApiPath((school_id, kind)): ApiPath<(i64, String)>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<JobView>), ApiError> {
    let kind = kind_of(&kind)?;
    let mode = match q.mode.as_deref() {
        None | Some("") => Mode::AllOrNothing,
        Some(m) => Mode::parse(m).ok_or_else(|| {
            kehou_service::Error::invalid("mode", "导入方式应为 all_or_nothing 或 good_rows")
        })?,
    };
    let file_name = q
        .file_name
        .filter(|n| !n.trim().is_empty())
        .map(|n| n.chars().take(100).collect())
        .unwrap_or_else(|| format!("{}.xlsx", kind.label()));
    let job = import::start(
        &state.app,
        p.actor()?,
        kind,
        school_id,
        file_name,
        body.to_vec(),
        mode,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(job.view())))
}

#[utoipa::path(get, path = "/api/v1/schools/{school_id}/imports/jobs/{job_id}", tag = "imports", params(("school_id" = i64, Path), ("job_id" = u64, Path)),
    responses((status = 200, body = JobView), (status = 404, body = ErrorBody)))]
pub async fn job(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath((school_id, job_id)): ApiPath<(i64, u64)>,
) -> Result<Json<JobView>, ApiError> {
    Ok(Json(
        state.app.jobs.get(p.actor()?, school_id, job_id)?.view(),
    ))
}

/// The rows an import rejected, as a workbook: row number, column and reason.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/imports/jobs/{job_id}/report", tag = "imports", params(("school_id" = i64, Path), ("job_id" = u64, Path)),
    responses((status = 200, description = "An .xlsx workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath((school_id, job_id)): ApiPath<(i64, u64)>,
) -> Result<Response, ApiError> {
    let job = state.app.jobs.get(p.actor()?, school_id, job_id)?;
    let outcome = job.view().outcome.ok_or_else(|| {
        kehou_service::Error::conflict("导入尚未完成或文件无法读取，没有错误报告")
    })?;
    Ok(crate::xlsx::file("导入错误报告.xlsx", outcome.report()))
}
