use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use kehou_service::platform::audit::{self, AuditEventView, AuditFilter};
use kehou_service::platform::messages::{self, MessageView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::http::api::{ListBody, Paging};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiActor, ApiPath, ApiPrincipal, ApiQuery};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// RFC 3339 time, inclusive.
    pub from: Option<DateTime<Utc>>,
    /// RFC 3339 time, exclusive.
    pub to: Option<DateTime<Utc>>,
    pub actor_user_id: Option<i64>,
    /// Part of the acting person's name.
    pub actor_name: Option<String>,
    /// org, user, role, school, room, term, period, admin_class, unit, staff, student.
    pub entity_type: Option<String>,
    pub entity_id: Option<i64>,
    pub page: Option<u64>,
    pub page_size: Option<u64>,
}

/// Audit events of the caller's jurisdiction, newest first.
#[utoipa::path(get, path = "/api/v1/audit-events", tag = "audit", params(AuditQuery),
    responses((status = 200, body = ListBody<AuditEventView>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<ListBody<AuditEventView>>, ApiError> {
    let page = Paging {
        page: q.page,
        page_size: q.page_size,
    }
    .request()?;
    let filter = AuditFilter {
        from: q.from,
        to: q.to,
        actor_user_id: q.actor_user_id,
        actor_name: q.actor_name,
        entity_type: q.entity_type,
        entity_id: q.entity_id,
    };
    Ok(Json(
        audit::list(&state.app, &actor, &filter, page).await?.into(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessagesQuery {
    /// Only unread messages.
    pub unread: Option<bool>,
    pub page: Option<u64>,
    pub page_size: Option<u64>,
}

/// The caller's messages, newest first.
#[utoipa::path(get, path = "/api/v1/messages", tag = "messages", params(MessagesQuery),
    responses((status = 200, body = ListBody<MessageView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn messages(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiQuery(q): ApiQuery<MessagesQuery>,
) -> Result<Json<ListBody<MessageView>>, ApiError> {
    let page = Paging {
        page: q.page,
        page_size: q.page_size,
    }
    .request()?;
    Ok(Json(
        messages::list(&state.app, &p, q.unread.unwrap_or(false), page)
            .await?
            .into(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadCount {
    pub unread: u64,
}

/// How many of the caller's messages are unread.
#[utoipa::path(get, path = "/api/v1/messages/unread-count", tag = "messages",
    responses((status = 200, body = UnreadCount), (status = 401, body = ErrorBody)))]
pub async fn unread_count(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
) -> Result<Json<UnreadCount>, ApiError> {
    Ok(Json(UnreadCount {
        unread: messages::unread_count(&state.app.db, p.user_id).await?,
    }))
}

/// Marks one of the caller's messages read.
#[utoipa::path(post, path = "/api/v1/messages/{id}/read", tag = "messages", params(("id" = i64, Path)),
    responses((status = 200, body = MessageView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn read_message(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<MessageView>, ApiError> {
    Ok(Json(messages::mark_read(&state.app, &p, id).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MarkedRead {
    /// How many messages were unread and are read now.
    pub marked: u64,
}

/// Marks every unread message of the caller read.
#[utoipa::path(post, path = "/api/v1/messages/read-all", tag = "messages",
    responses((status = 200, body = MarkedRead), (status = 401, body = ErrorBody)))]
pub async fn read_all_messages(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
) -> Result<Json<MarkedRead>, ApiError> {
    Ok(Json(MarkedRead {
        marked: messages::mark_all_read(&state.app, &p).await?,
    }))
}
