//! Extractors: the client's address, the API's bearer principal, the pages' cookie
//! principal, and JSON/query/path wrappers whose rejections use the API's error body.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use kehou_service::{Error, Principal, auth};

use crate::AppState;
use crate::error::ApiError;

#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

pub const SESSION_COOKIE: &str = "kehou_session";

/// The address of the client: the socket peer, or the first `X-Forwarded-For` entry
/// behind a trusted proxy.
pub fn client_ip(parts: &Parts, state: &AppState) -> Option<String> {
    if state.config.trust_proxy
        && let Some(forwarded) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
        && let Some(first) = forwarded.split(',').next()
    {
        return Some(first.trim().to_string());
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// An API caller authenticated by `Authorization: Bearer <token>`.
pub struct ApiPrincipal(pub Principal);

impl FromRequestParts<AppState> for ApiPrincipal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers).ok_or_else(|| {
            Error::Unauthenticated("缺少访问令牌（Authorization: Bearer）".into())
        })?;
        let ip = client_ip(parts, state);
        Ok(Self(
            auth::authenticate(&state.app, token, ip.as_deref()).await?,
        ))
    }
}

/// A browser with a valid session cookie. Without one, the page redirects to the login
/// page; with a password to change, to the password page.
pub struct PagePrincipal(pub Principal);

pub struct ToLogin(String);

impl IntoResponse for ToLogin {
    fn into_response(self) -> Response {
        Redirect::to(&self.0).into_response()
    }
}

impl FromRequestParts<AppState> for PagePrincipal {
    type Rejection = ToLogin;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let to_login = || ToLogin(format!("/login?next={}", urlencode(next)));
        let token = cookie(&parts.headers, SESSION_COOKIE).ok_or_else(to_login)?;
        let ip = client_ip(parts, state);
        let principal = auth::authenticate(&state.app, token, ip.as_deref())
            .await
            .map_err(|_| to_login())?;
        let path = parts.uri.path();
        if principal.must_change_password && path != "/password" && path != "/logout" {
            return Err(ToLogin("/password".into()));
        }
        Ok(Self(principal))
    }
}

impl OptionalFromRequestParts<AppState> for PagePrincipal {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Ok(None);
        };
        let ip = client_ip(parts, state);
        Ok(auth::authenticate(&state.app, token, ip.as_deref())
            .await
            .ok()
            .map(Self))
    }
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The client's address, for audit events of unauthenticated calls (logins).
pub struct ClientIp(pub Option<String>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(client_ip(parts, state)))
    }
}
