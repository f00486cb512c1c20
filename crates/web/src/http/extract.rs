//! Extractors: the client's address, the API's bearer principal, the pages' cookie
//! principal, and JSON/query/path wrappers whose rejections use the API's error body.

use std::net::SocketAddr;

use axum::extract::{
    ConnectInfo, FromRequest, FromRequestParts, OptionalFromRequestParts, Request,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use kehou_service::identity::auth;
use kehou_service::{Actor, Error, Principal};

use crate::AppState;
use crate::http::error::ApiError;
use crate::http::page::{FormData, PageError};

#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// A page's path parameters: a malformed one (`/schools/5/students/abc`) is a styled 404
/// page, like an id that does not exist.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(PageError))]
pub struct PagePath<T>(pub T);

/// A page's query parameters: malformed ones get a styled 400 page.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(PageError))]
pub struct PageQuery<T>(pub T);

impl From<axum::extract::rejection::PathRejection> for PageError {
    fn from(_: axum::extract::rejection::PathRejection) -> Self {
        PageError(Error::NotFound("页面"))
    }
}

impl From<axum::extract::rejection::QueryRejection> for PageError {
    fn from(_: axum::extract::rejection::QueryRejection) -> Self {
        PageError(Error::invalid("query", "网址中的查询参数有误"))
    }
}

pub const SESSION_COOKIE: &str = "kehou_session";

/// The address of the client: the socket peer, or, when the peer is a trusted proxy, the
/// right-most `X-Forwarded-For` entry no trusted proxy added.
pub fn client_ip(parts: &Parts, state: &AppState) -> Option<String> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())?;
    let forwarded = parts
        .headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    Some(
        state
            .config
            .trusted_proxies
            .client(peer, forwarded)
            .to_string(),
    )
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

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, `Secure` when configured.
pub fn cookie_header(
    state: &AppState,
    name: &str,
    value: &str,
    max_age: i64,
) -> axum::http::HeaderValue {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let v = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
    axum::http::HeaderValue::from_str(&v)
        .unwrap_or_else(|_| axum::http::HeaderValue::from_static(""))
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
        // A second extractor of the same request (the form after the actor) reads the
        // session once.
        if let Some(principal) = parts.extensions.get::<Principal>() {
            return Ok(Self(principal.clone()));
        }
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
        // The form extractor that runs after this one checks its token against it.
        parts.extensions.insert(principal.clone());
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

/// An API caller acting through a membership: what every use case on business data needs.
/// A session without a membership, or with a password to change first, is refused here.
pub struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ApiPrincipal(p) = ApiPrincipal::from_request_parts(parts, state).await?;
        Ok(Self(p.actor()?.clone()))
    }
}

/// A browser session acting through a membership: the session (for the page frame) and
/// the actor (for the use cases). Without a session the page redirects to the login page;
/// without a membership it answers 403.
pub struct PageActor(pub Principal, pub Actor);

impl FromRequestParts<AppState> for PageActor {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let PagePrincipal(p) =
            <PagePrincipal as FromRequestParts<AppState>>::from_request_parts(parts, state)
                .await
                .map_err(IntoResponse::into_response)?;
        let actor = p.actor().map_err(|e| PageError(e).into_response())?.clone();
        Ok(Self(p, actor))
    }
}

/// A form posted from a page of this session: the CSRF token is checked before the handler
/// runs. The only way a page handler receives form fields.
pub struct CsrfForm(pub FormData);

impl FromRequest<AppState> for CsrfForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let PagePrincipal(principal) =
            <PagePrincipal as FromRequestParts<AppState>>::from_request_parts(&mut parts, state)
                .await
                .map_err(IntoResponse::into_response)?;
        let form = FormData::read(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        check_csrf(form.get("_csrf"), &principal).map_err(IntoResponse::into_response)?;
        Ok(Self(form))
    }
}

/// A form posted before there is a session (the login form): nothing to check it against.
pub struct PublicForm(pub FormData);

impl FromRequest<AppState> for PublicForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Self(
            FormData::read(req, state)
                .await
                .map_err(IntoResponse::into_response)?,
        ))
    }
}

/// Checks a submitted CSRF token against the session's.
pub fn check_csrf(token: Option<&str>, p: &Principal) -> Result<(), PageError> {
    if token == Some(p.csrf_token.expose()) {
        Ok(())
    } else {
        Err(PageError(Error::Forbidden(
            "页面已过期或来源不明，请刷新页面后重试".into(),
        )))
    }
}

/// A file upload form (`multipart/form-data`) posted from a page of this session: its
/// `_csrf` field is checked before the handler runs. The handler gets the other fields, or
/// why the upload could not be read (to show on the form).
pub struct CsrfUpload(pub Result<Upload, Error>);

/// The fields of an upload form.
pub struct Upload {
    pub mode: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

impl FromRequest<AppState> for CsrfUpload {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let PagePrincipal(principal) =
            <PagePrincipal as FromRequestParts<AppState>>::from_request_parts(&mut parts, state)
                .await
                .map_err(IntoResponse::into_response)?;
        let request = Request::from_parts(parts, body);
        let read = match axum::extract::Multipart::from_request(request, state).await {
            Ok(multipart) => read_upload(multipart).await,
            Err(_) => Err(unreadable()),
        };
        match read {
            Ok((csrf, upload)) => {
                check_csrf(Some(&csrf), &principal).map_err(IntoResponse::into_response)?;
                Ok(Self(Ok(upload)))
            }
            Err(e) => Ok(Self(Err(e))),
        }
    }
}

fn unreadable() -> Error {
    Error::invalid("file", "上传内容无法读取，请重新选择文件")
}

async fn read_upload(mut multipart: axum::extract::Multipart) -> Result<(String, Upload), Error> {
    let mut csrf = String::new();
    let mut upload = Upload {
        mode: String::new(),
        file_name: String::new(),
        bytes: Vec::new(),
    };
    while let Some(field) = multipart.next_field().await.map_err(|_| unreadable())? {
        match field.name() {
            Some("_csrf") => csrf = field.text().await.map_err(|_| unreadable())?,
            Some("mode") => upload.mode = field.text().await.map_err(|_| unreadable())?,
            Some("file") => {
                upload.file_name = field.file_name().unwrap_or("").chars().take(100).collect();
                upload.bytes = field.bytes().await.map_err(|_| unreadable())?.to_vec();
            }
            _ => {}
        }
    }
    Ok((csrf, upload))
}

/// A multipart form with files: its text fields, and each file with the name of its field
/// and the name the browser gave it. Files beyond the limits are refused while reading.
pub struct FilesForm {
    pub fields: FormData,
    pub files: Vec<FormFile>,
}

pub struct FormFile {
    pub field: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// Limits of [`read_files`]: the largest file and the most files.
pub struct FileLimits {
    pub max_bytes: usize,
    pub max_files: usize,
}

/// Reads a multipart form, keeping at most `max_bytes + 1` of each file (so a huge file is
/// never held whole, and its check finds it too big) and refusing more than `max_files`.
/// Empty file inputs are skipped.
pub async fn read_files(
    mut multipart: axum::extract::Multipart,
    limits: &FileLimits,
) -> Result<FilesForm, Error> {
    let mut pairs = Vec::new();
    let mut files = Vec::new();
    while let Some(mut field) = multipart.next_field().await.map_err(|_| unreadable())? {
        let name = field
            .name()
            .unwrap_or("")
            .chars()
            .take(50)
            .collect::<String>();
        match field.file_name() {
            None => {
                let text = field.text().await.map_err(|_| unreadable())?;
                if text.len() > 10_000 {
                    return Err(Error::invalid(&name, "内容过长"));
                }
                pairs.push((name, text));
            }
            Some(file_name) => {
                let file_name = file_name.chars().take(200).collect::<String>();
                // Past the limit the rest is read and dropped: the file's own check then
                // says it is too big, and the form's other fields survive.
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(|_| unreadable())? {
                    let room = (limits.max_bytes + 1).saturating_sub(bytes.len());
                    bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                if bytes.is_empty() && file_name.is_empty() {
                    continue;
                }
                if files.len() >= limits.max_files {
                    return Err(Error::invalid(
                        &name,
                        format!("一次最多上传{}个文件", limits.max_files),
                    ));
                }
                files.push(FormFile {
                    field: name,
                    file_name,
                    bytes,
                });
            }
        }
    }
    Ok(FilesForm {
        fields: FormData::from_pairs(pairs),
        files,
    })
}

/// A multipart form of this session's page, its `_csrf` checked before the handler runs;
/// the handler gets the form, or why it could not be read (to show on the form).
pub struct CsrfFiles(pub Result<FilesForm, Error>);

/// What one upload of documents may carry.
pub const DOCUMENT_LIMITS: FileLimits = FileLimits {
    max_bytes: kehou_service::institution::DOCUMENT_MAX_BYTES,
    max_files: kehou_service::institution::DOCUMENTS_PER_UPLOAD,
};

impl FromRequest<AppState> for CsrfFiles {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let PagePrincipal(principal) =
            <PagePrincipal as FromRequestParts<AppState>>::from_request_parts(&mut parts, state)
                .await
                .map_err(IntoResponse::into_response)?;
        let request = Request::from_parts(parts, body);
        let read = match axum::extract::Multipart::from_request(request, state).await {
            Ok(multipart) => read_files(multipart, &DOCUMENT_LIMITS).await,
            Err(_) => Err(unreadable()),
        };
        match read {
            Ok(form) => {
                check_csrf(form.fields.get("_csrf"), &principal)
                    .map_err(IntoResponse::into_response)?;
                Ok(Self(Ok(form)))
            }
            Err(e) => Ok(Self(Err(e))),
        }
    }
}

/// A multipart form posted without a session (an institution's application). Its CSRF
/// token is the public form's cookie, checked by the handler.
pub struct PublicFiles(pub Result<FilesForm, Error>);

impl FromRequest<AppState> for PublicFiles {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Self(
            match axum::extract::Multipart::from_request(req, state).await {
                Ok(multipart) => read_files(multipart, &DOCUMENT_LIMITS).await,
                Err(_) => Err(unreadable()),
            },
        ))
    }
}
