//! The one error type of the use cases; the web layer maps each variant to a status code
//! and a JSON body or an error page.

use chrono::{DateTime, Utc};
use kehou_domain::{FieldError, Invalid};
use kehou_store::sea_orm::{DbErr, SqlErr};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("输入有误")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("账号已冻结，请联系管理员")]
    Frozen,
    #[error("首次登录或密码已重置，请先修改密码")]
    PasswordChangeRequired,
    #[error("密码错误次数过多，账号已锁定15分钟，请稍后再试")]
    Locked(DateTime<Utc>),
    /// Too many tries (logins from one address, SMS codes): wait until the time given.
    #[error("{1}")]
    TooManyAttempts(DateTime<Utc>, String),
    #[error("{0}不存在")]
    NotFound(&'static str),
    #[error("{message}")]
    Conflict {
        field: Option<String>,
        message: String,
    },
    /// Another system (a payment channel) cannot be reached now: try again later.
    #[error("{0}")]
    Unavailable(String),
    #[error("内部错误：{0}")]
    Internal(String),
}

impl Error {
    pub fn invalid(field: &str, reason: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, reason)])
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict {
            field: None,
            message: message.into(),
        }
    }

    pub fn conflict_on(field: &str, message: impl Into<String>) -> Self {
        Self::Conflict {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// Turns a unique-key violation into a 409 naming `field`; anything else stays internal.
    pub fn unique(field: &str, message: &str) -> impl FnOnce(DbErr) -> Error {
        let (field, message) = (field.to_string(), message.to_string());
        move |e| match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => Error::Conflict {
                field: Some(field),
                message,
            },
            _ => Error::from(e),
        }
    }

    /// One line for a person: the field reasons joined, anything else as its message (a
    /// failed job's reason).
    pub fn one_line(&self) -> String {
        match self {
            Self::Invalid(fields) => fields
                .iter()
                .map(|f| f.reason.clone())
                .collect::<Vec<_>>()
                .join("；"),
            other => other.to_string(),
        }
    }

    /// A stable machine-readable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "invalid_input",
            Self::Unauthenticated(_) => "unauthenticated",
            Self::Forbidden(_) => "forbidden",
            Self::Frozen => "account_frozen",
            Self::PasswordChangeRequired => "password_change_required",
            Self::Locked(_) => "account_locked",
            Self::TooManyAttempts(..) => "too_many_attempts",
            Self::NotFound(_) => "not_found",
            Self::Conflict { .. } => "conflict",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }
}

impl From<Invalid> for Error {
    fn from(invalid: Invalid) -> Self {
        Self::Invalid(invalid.0)
    }
}

impl From<DbErr> for Error {
    fn from(e: DbErr) -> Self {
        tracing::error!(error = %e, "database error");
        Self::Internal("数据库错误".into())
    }
}

/// Returns the collected field errors as `Error::Invalid`, or `Ok` when there are none.
pub fn check(invalid: Invalid) -> Result<()> {
    if invalid.is_empty() {
        Ok(())
    } else {
        Err(invalid.into())
    }
}
