use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use kehou_service::identity::role::{self, NewRole, PermissionView, RoleView};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::http::api::ListBody;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiActor, ApiJson, ApiPath};

/// The permission catalog, defined in code.
#[utoipa::path(get, path = "/api/v1/permissions", tag = "roles", responses((status = 200, body = ListBody<PermissionView>), (status = 401, body = ErrorBody)))]
pub async fn permissions(_actor: ApiActor) -> Result<Json<ListBody<PermissionView>>, ApiError> {
    Ok(Json(ListBody::whole(role::catalog())))
}

/// Preset roles and the custom roles the caller may see.
#[utoipa::path(get, path = "/api/v1/roles", tag = "roles", responses((status = 200, body = ListBody<RoleView>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<ListBody<RoleView>>, ApiError> {
    Ok(Json(ListBody::whole(role::list(&state.app, &actor).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateRole {
    #[schema(required = true)]
    pub name: Option<String>,
    /// The kind of organization the role is for; the caller's own by default.
    pub org_kind: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub permissions: Vec<String>,
}

#[utoipa::path(post, path = "/api/v1/roles", tag = "roles", request_body = CreateRole,
    responses((status = 201, body = RoleView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "the organization has a role of that name", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<CreateRole>,
) -> Result<(StatusCode, Json<RoleView>), ApiError> {
    let input = NewRole {
        name: b.name,
        org_kind: b.org_kind,
        description: b.description,
        permissions: b.permissions,
    };
    Ok((
        StatusCode::CREATED,
        Json(role::create(&state.app, &actor, input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/roles/{id}", tag = "roles", params(("id" = i64, Path)), responses((status = 200, body = RoleView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<RoleView>, ApiError> {
    Ok(Json(role::get(&state.app, &actor, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SetPermissions {
    #[schema(required = true)]
    pub permissions: Option<Vec<String>>,
}

/// Replaces the role's permissions in one step; applies to the next request of every holder.
#[utoipa::path(put, path = "/api/v1/roles/{id}/permissions", tag = "roles", params(("id" = i64, Path)), request_body = SetPermissions,
    responses((status = 200, body = RoleView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_permissions(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<SetPermissions>,
) -> Result<Json<RoleView>, ApiError> {
    Ok(Json(
        role::set_permissions(&state.app, &actor, id, b.permissions.as_deref()).await?,
    ))
}
