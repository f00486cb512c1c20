//! Staff (C2) and Excel imports (C2, C4, C6) of a school.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use kehou_service::school::staff::{
    self, CreatedStaff, StaffFilter, StaffInput, StaffPatch, StaffView,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::http::api::{ListBody, Paging};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiActor, ApiJson, ApiPath, ApiQuery};

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
    ApiActor(actor): ApiActor,
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
        staff::list_staff(&state.app, &actor, school_id, &filter, page)
            .await?
            .into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StaffBody {
    #[schema(required = true)]
    pub name: Option<String>,
    /// 11-digit mobile number; an existing account with it is linked.
    #[schema(required = true)]
    pub phone: Option<String>,
    /// 男 / 女.
    #[schema(required = true)]
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

/// Adds a staff member; a new account's one-time password is in the answer. When the
/// number's account belongs to another organization, nothing about it is answered: it is
/// invited (202, `invited`), and the staff record appears once its owner accepts.
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/staff", tag = "staff", params(("school_id" = i64, Path)), request_body = StaffBody,
    responses((status = 201, body = CreatedStaff), (status = 202, description = "invited: the account belongs to another organization", body = CreatedStaff), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
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
    let created = staff::create_staff(&state.app, &actor, school_id, input).await?;
    let status = if created.invited {
        StatusCode::ACCEPTED
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(created)))
}

#[utoipa::path(get, path = "/api/v1/schools/{school_id}/staff/{staff_id}", tag = "staff", params(("school_id" = i64, Path), ("staff_id" = i64, Path)),
    responses((status = 200, body = StaffView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, staff_id)): ApiPath<(i64, i64)>,
) -> Result<Json<StaffView>, ApiError> {
    Ok(Json(
        staff::get_staff(&state.app, &actor, school_id, staff_id).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StaffPatchBody {
    pub subjects: Option<String>,
    pub title: Option<String>,
    pub certificate_no: Option<String>,
    /// `null` removes the department.
    #[serde(default, deserialize_with = "crate::http::api::present")]
    pub department_id: Option<Option<i64>>,
    pub posts: Option<String>,
    /// `false` marks the person as having left.
    pub active: Option<bool>,
}

#[utoipa::path(patch, path = "/api/v1/schools/{school_id}/staff/{staff_id}", tag = "staff", params(("school_id" = i64, Path), ("staff_id" = i64, Path)), request_body = StaffPatchBody,
    responses((status = 200, body = StaffView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
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
        staff::update_staff(&state.app, &actor, school_id, staff_id, patch).await?,
    ))
}
