use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use kehou_service::identity::auth::{self, Login, MembershipView, SessionKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPrincipal, ClientIp};

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    pub phone: Option<String>,
    pub password: Option<String>,
}

/// Exchanges a phone number and password for a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", security(()), request_body = TokenRequest,
    responses((status = 200, body = Login), (status = 400, body = ErrorBody), (status = 401, description = "wrong phone or password", body = ErrorBody),
        (status = 403, description = "account frozen", body = ErrorBody), (status = 423, description = "locked after 5 wrong passwords", body = ErrorBody)))]
pub async fn token(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<TokenRequest>,
) -> Result<Json<Login>, ApiError> {
    let mut invalid = kehou_domain::Invalid::default();
    let phone = req.phone.unwrap_or_default();
    let password = req.password.unwrap_or_default();
    if phone.is_empty() {
        invalid.push("phone", "请输入手机号");
    }
    if password.is_empty() {
        invalid.push("password", "请输入密码");
    }
    kehou_service::platform::error::check(invalid)?;
    Ok(Json(
        auth::login(
            &state.app,
            &phone,
            &password,
            SessionKind::Api,
            ip.as_deref(),
        )
        .await?,
    ))
}

/// Revokes the token used for this call.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
) -> Result<StatusCode, ApiError> {
    auth::logout(&state.app, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePasswordRequest {
    pub old_password: Option<String>,
    pub new_password: Option<String>,
}

/// Changes the caller's own password; required first when `must_change_password` is set.
/// Other sessions of the account are revoked.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", request_body = ChangePasswordRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    auth::change_password(
        &state.app,
        &p,
        req.old_password.as_deref().unwrap_or(""),
        req.new_password.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeUser {
    pub id: i64,
    pub name: String,
    pub phone: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user: MeUser,
    pub must_change_password: bool,
    pub memberships: Vec<MembershipView>,
    pub active_membership_id: Option<i64>,
    /// The permission codes of the active membership's role.
    pub permissions: Vec<String>,
}

async fn me_of(state: &AppState, p: &kehou_service::Principal) -> Result<Me, ApiError> {
    Ok(Me {
        user: MeUser {
            id: p.user_id,
            name: p.user_name.clone(),
            phone: p.phone.clone(),
        },
        must_change_password: p.must_change_password,
        memberships: auth::memberships_of(&state.app, p).await?,
        active_membership_id: p.actor.as_ref().map(|a| a.membership_id),
        permissions: p
            .actor
            .as_ref()
            .map(|a| a.permissions.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default(),
    })
}

/// The caller, their memberships, the active one and its permissions.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
) -> Result<Json<Me>, ApiError> {
    Ok(Json(me_of(&state, &p).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SwitchRequest {
    pub membership_id: Option<i64>,
}

/// Makes another of the caller's memberships the active one for this token.
#[utoipa::path(put, path = "/api/v1/me/membership", tag = "auth", request_body = SwitchRequest,
    responses((status = 200, body = Me), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn switch_membership(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiJson(req): ApiJson<SwitchRequest>,
) -> Result<Json<Me>, ApiError> {
    let id = req
        .membership_id
        .ok_or_else(|| kehou_service::Error::invalid("membership_id", "请选择身份"))?;
    auth::switch_membership(&state.app, &p, id).await?;
    let p = auth::reload(&state.app, &p).await?;
    Ok(Json(me_of(&state, &p).await?))
}
