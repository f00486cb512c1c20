use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use kehou_service::identity::account::{
    self, IssuedPassword, NewUser, UserFilter, UserPatch, UserView,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::http::api::{ListBody, Paging};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiActor, ApiJson, ApiPath, ApiQuery};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Part of the name, or a whole phone number.
    pub q: Option<String>,
    pub frozen: Option<bool>,
    pub org_id: Option<i64>,
    pub role_id: Option<i64>,
    pub page: Option<u64>,
    pub page_size: Option<u64>,
}

/// Users with a membership in the caller's jurisdiction.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserQuery),
    responses((status = 200, body = ListBody<UserView>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> Result<Json<ListBody<UserView>>, ApiError> {
    let page = Paging {
        page: q.page,
        page_size: q.page_size,
    }
    .request()?;
    let filter = UserFilter {
        q: q.q,
        frozen: q.frozen,
        org_id: q.org_id,
        role_id: q.role_id,
    };
    Ok(Json(
        account::list(&state.app, &actor, &filter, page)
            .await?
            .into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateUser {
    #[schema(required = true)]
    pub phone: Option<String>,
    #[schema(required = true)]
    pub name: Option<String>,
    /// Left out, a password is generated; either way it must be changed at first login.
    pub password: Option<String>,
    #[schema(required = true)]
    pub org_id: Option<i64>,
    #[schema(required = true)]
    pub role_id: Option<i64>,
}

/// Creates an account with its first membership. The answer carries the initial password once.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    responses((status = 201, body = IssuedPassword), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, description = "phone already registered", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<CreateUser>,
) -> Result<(StatusCode, Json<IssuedPassword>), ApiError> {
    let input = NewUser {
        phone: b.phone,
        name: b.name,
        password: b.password,
        org_id: b.org_id,
        role_id: b.role_id,
    };
    Ok((
        StatusCode::CREATED,
        Json(account::create(&state.app, &actor, input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(account::get(&state.app, &actor, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateUser {
    pub phone: Option<String>,
    pub name: Option<String>,
}

#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)), request_body = UpdateUser,
    responses((status = 200, body = UserView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<UpdateUser>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(
        account::update(
            &state.app,
            &actor,
            id,
            UserPatch {
                phone: b.phone,
                name: b.name,
            },
        )
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/users/{id}/freeze", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody), (status = 409, description = "already frozen", body = ErrorBody)))]
pub async fn freeze(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(
        account::set_frozen(&state.app, &actor, id, true).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/users/{id}/unfreeze", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody), (status = 409, description = "not frozen", body = ErrorBody)))]
pub async fn unfreeze(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(
        account::set_frozen(&state.app, &actor, id, false).await?,
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ResetPassword {
    /// Left out, a password is generated.
    pub password: Option<String>,
}

/// Sets a new password that must be changed at next login, and lifts a lockout. The body is optional.
#[utoipa::path(post, path = "/api/v1/users/{id}/reset-password", tag = "users", params(("id" = i64, Path)), request_body(content = ResetPassword, description = "optional"),
    responses((status = 200, body = IssuedPassword), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    body: Bytes,
) -> Result<Json<IssuedPassword>, ApiError> {
    let req: ResetPassword = if body.iter().all(u8::is_ascii_whitespace) {
        ResetPassword::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|_| kehou_service::Error::invalid("body", "JSON 格式错误"))?
    };
    Ok(Json(
        account::reset_password(&state.app, &actor, id, req.password.as_deref()).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AddMembership {
    #[schema(required = true)]
    pub org_id: Option<i64>,
    #[schema(required = true)]
    pub role_id: Option<i64>,
}

/// Gives the user another role in an organization.
#[utoipa::path(post, path = "/api/v1/users/{id}/memberships", tag = "users", params(("id" = i64, Path)), request_body = AddMembership,
    responses((status = 200, body = UserView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_membership(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<AddMembership>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(
        account::add_membership(&state.app, &actor, id, b.org_id, b.role_id).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/users/{id}/memberships/{membership_id}", tag = "users", params(("id" = i64, Path), ("membership_id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_membership(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, mid)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    account::remove_membership(&state.app, &actor, id, mid).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PhoneBody {
    pub phone: String,
}

/// The whole phone number of an account (lists and details show it masked). Needs
/// `personal.view`; every look is audited.
#[utoipa::path(get, path = "/api/v1/users/{id}/phone", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = PhoneBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn reveal_phone(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PhoneBody>, ApiError> {
    Ok(Json(PhoneBody {
        phone: account::reveal_phone(&state.app, &actor, id).await?,
    }))
}
