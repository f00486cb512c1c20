use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use kehou_service::platform::audit::{self, AuditEventView, AuditFilter};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::http::api::{ListBody, Paging};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiActor, ApiQuery};

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
