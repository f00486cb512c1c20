//! Errors as HTTP: one status per `kehou_service::Error` variant, and the JSON body
//! `{"code","message","details"}` of the API.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kehou_domain::FieldError;
use kehou_service::Error;
use serde::Serialize;

pub fn status_of(e: &Error) -> StatusCode {
    match e {
        Error::Invalid(_) => StatusCode::BAD_REQUEST,
        Error::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        Error::Forbidden(_) | Error::Frozen | Error::PasswordChangeRequired => {
            StatusCode::FORBIDDEN
        }
        Error::Locked(_) => StatusCode::LOCKED,
        Error::TooManyAttempts(..) => StatusCode::TOO_MANY_REQUESTS,
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::Conflict { .. } => StatusCode::CONFLICT,
        Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The error body of every API answer that is not 2xx.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `invalid_input`, `not_found`, `conflict`.
    pub code: &'static str,
    /// A message for people, in Chinese.
    pub message: String,
    /// Per-field reasons for `invalid_input` and a `conflict` on a field; the time to wait
    /// until for `account_locked` and `too_many_attempts`; otherwise null.
    pub details: Option<ErrorDetails>,
    /// The id of the request, as in the `X-Request-Id` header and the server's log.
    pub request_id: Option<String>,
}

/// What an error adds to its message.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ErrorDetails {
    /// The fields in error, each with its reason.
    Fields(Vec<FieldError>),
    /// The end of a lock or of a wait.
    Wait {
        locked_until: chrono::DateTime<chrono::Utc>,
    },
}

#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        Self(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let details = match &e {
            Error::Invalid(fields) => Some(ErrorDetails::Fields(fields.clone())),
            Error::Conflict {
                field: Some(field),
                message,
            } => Some(ErrorDetails::Fields(vec![FieldError::new(
                field.clone(),
                message.clone(),
            )])),
            Error::Locked(until) | Error::TooManyAttempts(until, _) => Some(ErrorDetails::Wait {
                locked_until: *until,
            }),
            _ => None,
        };
        let message = match &e {
            Error::Invalid(fields) if !fields.is_empty() => fields
                .iter()
                .map(|f| format!("{}：{}", f.field, f.reason))
                .collect::<Vec<_>>()
                .join("；"),
            _ => e.to_string(),
        };
        (
            status_of(&e),
            Json(ErrorBody {
                code: e.code(),
                message,
                details,
                request_id: crate::http::trace::current(),
            }),
        )
            .into_response()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let reason = match &r {
            JsonRejection::MissingJsonContentType(_) => {
                "请求须为 JSON（Content-Type: application/json）".to_string()
            }
            JsonRejection::JsonSyntaxError(_) => "JSON 格式错误".to_string(),
            _ => format!("请求内容有误：{}", r.body_text()),
        };
        Self(Error::invalid("body", reason))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        Self(Error::invalid(
            "query",
            format!("查询参数有误：{}", r.body_text()),
        ))
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        let _ = r;
        Self(Error::NotFound("资源"))
    }
}
