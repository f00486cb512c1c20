use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use kehou_service::identity::auth::{self, Login, MembershipView, SessionKind};
use kehou_service::identity::sms_login::{self, CodeSent, Purpose};
use kehou_service::platform::sms::SandboxMessage;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiActor, ApiJson, ApiPrincipal, ApiQuery, ClientIp};

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    #[schema(required = true)]
    pub phone: Option<String>,
    /// The password; or, instead of it, `sms_code`.
    pub password: Option<String>,
    /// A code from `POST /api/v1/auth/sms-code`; works while a password lockout holds.
    pub sms_code: Option<String>,
}

/// Exchanges a phone number and its password, or an SMS code, for a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", security(()), request_body = TokenRequest,
    responses((status = 200, body = Login), (status = 400, body = ErrorBody), (status = 401, description = "wrong phone, password or code", body = ErrorBody),
        (status = 403, description = "account frozen", body = ErrorBody), (status = 423, description = "locked after 5 wrong passwords", body = ErrorBody),
        (status = 429, description = "too many failed logins from this address", body = ErrorBody)))]
pub async fn token(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<TokenRequest>,
) -> Result<Json<Login>, ApiError> {
    let mut invalid = kehou_domain::Invalid::default();
    let phone = req.phone.unwrap_or_default();
    if phone.is_empty() {
        invalid.push("phone", "请输入手机号");
    }
    let login = match (req.password.filter(|p| !p.is_empty()), req.sms_code) {
        (None, Some(code)) => {
            kehou_service::platform::error::check(invalid)?;
            sms_login::login(&state.app, &phone, &code, SessionKind::Api, ip.as_deref()).await?
        }
        (Some(password), None) => {
            kehou_service::platform::error::check(invalid)?;
            auth::login(
                &state.app,
                &phone,
                &password,
                SessionKind::Api,
                ip.as_deref(),
            )
            .await?
        }
        (Some(_), Some(_)) => {
            invalid.push("sms_code", "密码与验证码只需提供一项");
            return Err(kehou_service::Error::from(invalid).into());
        }
        (None, None) => {
            invalid.push("password", "请输入密码或短信验证码");
            return Err(kehou_service::Error::from(invalid).into());
        }
    };
    Ok(Json(login))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SmsCodeRequest {
    #[schema(required = true)]
    pub phone: Option<String>,
    /// `login` (the default), `reset`, or `register` (an institution's application: sent
    /// whether or not the number has an account).
    pub purpose: Option<String>,
}

/// Sends a 6-digit code by SMS, valid 5 minutes, when the number has an account; the
/// answer is the same when it has none. One code per number a minute, with daily caps per
/// number and per client address.
#[utoipa::path(post, path = "/api/v1/auth/sms-code", tag = "auth", security(()), request_body = SmsCodeRequest,
    responses((status = 200, body = CodeSent), (status = 400, body = ErrorBody),
        (status = 429, description = "asked again within 60 s, or a daily cap reached", body = ErrorBody)))]
pub async fn sms_code(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<SmsCodeRequest>,
) -> Result<Json<CodeSent>, ApiError> {
    let purpose = match req.purpose.as_deref() {
        None => Purpose::Login,
        Some(code) => Purpose::parse(code).ok_or_else(|| {
            kehou_service::Error::invalid("purpose", "用途须为 login、reset 或 register")
        })?,
    };
    let phone = req.phone.unwrap_or_default();
    Ok(Json(
        sms_login::send_code(&state.app, &phone, purpose, ip.as_deref()).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordResetRequest {
    #[schema(required = true)]
    pub phone: Option<String>,
    /// A code sent with purpose `reset`.
    #[schema(required = true)]
    pub sms_code: Option<String>,
    #[schema(required = true)]
    pub new_password: Option<String>,
}

/// Sets a new password with an SMS code (purpose `reset`); every session of the account
/// ends and a lockout is lifted.
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "auth", security(()), request_body = PasswordResetRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, description = "wrong or expired code", body = ErrorBody),
        (status = 403, description = "account frozen", body = ErrorBody)))]
pub async fn password_reset(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<PasswordResetRequest>,
) -> Result<StatusCode, ApiError> {
    let code = req.sms_code.unwrap_or_default();
    if code.trim().is_empty() {
        return Err(kehou_service::Error::invalid("sms_code", "请输入短信验证码").into());
    }
    sms_login::reset_password(
        &state.app,
        &req.phone.unwrap_or_default(),
        &code,
        &req.new_password.unwrap_or_default(),
        ip.as_deref(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SandboxQuery {
    /// Only the messages to this number.
    pub phone: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SandboxInbox {
    pub items: Vec<SandboxMessage>,
}

/// The messages the SMS sandbox "sent", newest first (platform administrators). 404 when
/// a real SMS provider is the channel.
#[utoipa::path(get, path = "/api/v1/sandbox/sms", tag = "auth", params(SandboxQuery),
    responses((status = 200, body = SandboxInbox), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, description = "the sandbox is not the channel", body = ErrorBody)))]
pub async fn sandbox_sms(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<SandboxQuery>,
) -> Result<Json<SandboxInbox>, ApiError> {
    let items = sms_login::sandbox_inbox(&state.app, &actor, q.phone.as_deref())?
        .ok_or(kehou_service::Error::NotFound("短信沙箱"))?;
    Ok(Json(SandboxInbox { items }))
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
    #[schema(required = true)]
    pub old_password: Option<String>,
    #[schema(required = true)]
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
    #[schema(required = true)]
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
