//! The append-only audit trail (A7): written in the transaction of each change, read by
//! administrators within their jurisdiction.

use chrono::{DateTime, Utc};
use kehou_domain::Permission;
use kehou_store::entity::platform::audit_event;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

use crate::{Actor, App, Page, PageRequest, Result};

/// Who made a change: a person acting through a membership, or the system itself (demo
/// loading, the command line).
pub struct By<'a> {
    pub user_id: Option<i64>,
    pub name: &'a str,
    pub membership_id: Option<i64>,
    pub ip: Option<&'a str>,
}

impl<'a> By<'a> {
    pub fn actor(actor: &'a Actor) -> Self {
        Self {
            user_id: Some(actor.user_id),
            name: &actor.user_name,
            membership_id: Some(actor.membership_id),
            ip: actor.ip.as_deref(),
        }
    }

    pub fn system() -> Self {
        Self {
            user_id: None,
            name: "系统",
            membership_id: None,
            ip: None,
        }
    }
}

/// What changed: the organization the change belongs to decides who may see the event.
pub struct Change<'a> {
    pub org_id: Option<i64>,
    pub org_path: &'a str,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Option<i64>,
    pub summary: String,
}

pub async fn record(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    by: &By<'_>,
    change: Change<'_>,
) -> Result<()> {
    audit_event::ActiveModel {
        occurred_at: Set(now),
        actor_user_id: Set(by.user_id),
        actor_name: Set(by.name.chars().take(50).collect()),
        membership_id: Set(by.membership_id),
        org_id: Set(change.org_id),
        org_path: Set(change.org_path.to_string()),
        action: Set(change.action.to_string()),
        entity_type: Set(change.entity_type.to_string()),
        entity_id: Set(change.entity_id),
        summary: Set(change.summary),
        ip: Set(by.ip.map(|ip| ip.chars().take(45).collect())),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub actor_user_id: Option<i64>,
    pub entity_type: Option<String>,
    pub entity_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEventView {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor_user_id: Option<i64>,
    pub actor_name: String,
    pub membership_id: Option<i64>,
    pub org_id: Option<i64>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<i64>,
    pub summary: String,
    pub ip: Option<String>,
}

impl From<audit_event::Model> for AuditEventView {
    fn from(m: audit_event::Model) -> Self {
        Self {
            id: m.id,
            occurred_at: m.occurred_at,
            actor_user_id: m.actor_user_id,
            actor_name: m.actor_name,
            membership_id: m.membership_id,
            org_id: m.org_id,
            action: m.action,
            entity_type: m.entity_type,
            entity_id: m.entity_id,
            summary: m.summary,
            ip: m.ip,
        }
    }
}

/// Events of the actor's jurisdiction, newest first.
pub async fn list(
    app: &App,
    actor: &Actor,
    filter: &AuditFilter,
    page: PageRequest,
) -> Result<Page<AuditEventView>> {
    actor.require(Permission::AuditView)?;
    let mut query = audit_event::Entity::find()
        .filter(audit_event::Column::OrgPath.starts_with(&actor.org_path));
    if let Some(from) = filter.from {
        query = query.filter(audit_event::Column::OccurredAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_event::Column::OccurredAt.lt(to));
    }
    if let Some(user) = filter.actor_user_id {
        query = query.filter(audit_event::Column::ActorUserId.eq(user));
    }
    if let Some(entity_type) = &filter.entity_type {
        query = query.filter(audit_event::Column::EntityType.eq(entity_type.as_str()));
    }
    if let Some(entity_id) = filter.entity_id {
        query = query.filter(audit_event::Column::EntityId.eq(entity_id));
    }
    let total = query.clone().count(&app.db).await?;
    let items = query
        .order_by_desc(audit_event::Column::OccurredAt)
        .order_by_desc(audit_event::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(&app.db)
        .await?;
    Ok(Page {
        items: items.into_iter().map(Into::into).collect(),
        total,
        page: page.page,
        page_size: page.page_size,
    })
}
