//! The departments (科室) of a bureau and the departments of an officer's membership.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use kehou_service::identity::department::{self, DepartmentInput, DepartmentRef, DepartmentView};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::http::api::ListBody;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiActor, ApiJson, ApiPath};

/// The departments of a bureau, by name, each with the memberships assigned to it.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/departments", tag = "roles", params(("id" = i64, Path)),
    responses((status = 200, body = ListBody<DepartmentView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "the organization is not a bureau", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ListBody<DepartmentView>>, ApiError> {
    let items = department::list(&state.app, &actor, id).await?;
    Ok(Json(ListBody::whole(items)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewDepartment {
    #[schema(required = true)]
    pub name: Option<String>,
    /// Catalog codes (`school.view`…); at least one.
    #[schema(required = true)]
    pub permissions: Option<Vec<String>>,
}

#[utoipa::path(post, path = "/api/v1/orgs/{id}/departments", tag = "roles", params(("id" = i64, Path)), request_body = NewDepartment,
    responses((status = 201, body = DepartmentView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "a department of that name exists, or the organization is not a bureau", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<NewDepartment>,
) -> Result<(StatusCode, Json<DepartmentView>), ApiError> {
    let input = DepartmentInput {
        name: b.name,
        permissions: b.permissions,
    };
    Ok((
        StatusCode::CREATED,
        Json(department::create(&state.app, &actor, id, input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/orgs/{id}/departments/{department_id}", tag = "roles", params(("id" = i64, Path), ("department_id" = i64, Path)),
    responses((status = 200, body = DepartmentView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, department_id)): ApiPath<(i64, i64)>,
) -> Result<Json<DepartmentView>, ApiError> {
    Ok(Json(
        department::get(&state.app, &actor, id, department_id).await?,
    ))
}

/// Renames a department or sets its permissions (all of them); officers feel it at once.
#[utoipa::path(patch, path = "/api/v1/orgs/{id}/departments/{department_id}", tag = "roles", params(("id" = i64, Path), ("department_id" = i64, Path)), request_body = DepartmentInput,
    responses((status = 200, body = DepartmentView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, department_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<DepartmentInput>,
) -> Result<Json<DepartmentView>, ApiError> {
    Ok(Json(
        department::update(&state.app, &actor, id, department_id, b).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/orgs/{id}/departments/{department_id}", tag = "roles", params(("id" = i64, Path), ("department_id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, department_id)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    department::delete(&state.app, &actor, id, department_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SetDepartments {
    /// Every department the membership works in (an empty list removes all).
    #[schema(required = true)]
    pub department_ids: Option<Vec<i64>>,
}

/// Sets the departments of a membership in a bureau.
#[utoipa::path(put, path = "/api/v1/users/{id}/memberships/{membership_id}/departments", tag = "users", params(("id" = i64, Path), ("membership_id" = i64, Path)), request_body = SetDepartments,
    responses((status = 200, body = Vec<DepartmentRef>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "the membership is not in a bureau", body = ErrorBody)))]
pub async fn assign(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, membership_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<SetDepartments>,
) -> Result<Json<Vec<DepartmentRef>>, ApiError> {
    Ok(Json(
        department::assign(&state.app, &actor, id, membership_id, b.department_ids).await?,
    ))
}
