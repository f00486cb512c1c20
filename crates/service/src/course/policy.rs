//! The rules a bureau sets for the offerings of the schools below it (D8, D9): whether
//! they may offer only what a library admitted (institution courses and teachers, and
//! featured courses), and whether an offering needs the bureau's approval before it is
//! published. A school follows the strictest of the bureaus above it.

use kehou_domain::{OrgKind, Permission};
use kehou_store::entity::course::policy;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
};
use serde::Serialize;

use super::library::ancestors;
use crate::platform::audit::{self, By, Change};
use crate::{Actor, App, Error, Result};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Policy {
    /// Schools offer only admitted institution courses, teachers and featured courses.
    pub only_admitted: bool,
    /// An offering must be approved before it is published.
    pub needs_approval: bool,
}

/// The rules of one bureau as it set them (both off when it never did).
pub async fn of_bureau(db: &impl ConnectionTrait, bureau_id: i64) -> Result<Policy> {
    Ok(policy::Entity::find_by_id(bureau_id)
        .one(db)
        .await?
        .map(|p| Policy {
            only_admitted: p.only_admitted,
            needs_approval: p.needs_approval,
        })
        .unwrap_or_default())
}

/// The rules that hold for an organization at `path`: any bureau above it may impose one.
pub async fn for_path(db: &impl ConnectionTrait, path: &str) -> Result<Policy> {
    let rows = policy::Entity::find()
        .filter(policy::Column::BureauId.is_in(ancestors(path)))
        .all(db)
        .await?;
    Ok(Policy {
        only_admitted: rows.iter().any(|p| p.only_admitted),
        needs_approval: rows.iter().any(|p| p.needs_approval),
    })
}

/// Whether the organization sets rules: a bureau, or the platform (for every school).
fn sets_rules(actor: &Actor) -> bool {
    matches!(actor.org_kind, OrgKind::Bureau | OrgKind::Platform)
}

/// A bureau's own rules; for anyone else the rules that hold for their organization.
pub async fn get(app: &App, actor: &Actor) -> Result<Policy> {
    if sets_rules(actor) {
        of_bureau(&app.db, actor.org_id).await
    } else {
        for_path(&app.db, &actor.org_path).await
    }
}

/// Sets the acting bureau's rules (`course.policy`).
pub async fn set(app: &App, actor: &Actor, new: Policy) -> Result<Policy> {
    actor.require(Permission::CoursePolicy)?;
    if !sets_rules(actor) {
        return Err(Error::Forbidden("开课规则由教育局设置".into()));
    }
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let old = of_bureau(&txn, actor.org_id).await?;
    if old == new {
        txn.rollback().await?;
        return Ok(new);
    }
    let row = policy::ActiveModel {
        bureau_id: Set(actor.org_id),
        only_admitted: Set(new.only_admitted),
        needs_approval: Set(new.needs_approval),
        updated_at: Set(now),
        updated_by: Set(actor.user_name.clone()),
    };
    if policy::Entity::find_by_id(actor.org_id)
        .one(&txn)
        .await?
        .is_some()
    {
        row.update(&txn).await?;
    } else {
        row.insert(&txn).await?;
    }
    let yes_no = |b: bool| if b { "是" } else { "否" };
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(actor.org_id),
            org_path: &actor.org_path,
            action: "course.policy",
            entity_type: "org",
            entity_id: Some(actor.org_id),
            summary: format!(
                "开课规则：只开设入库课程和师资 {}，开课须审批 {}",
                yes_no(new.only_admitted),
                yes_no(new.needs_approval)
            ),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(new)
}
