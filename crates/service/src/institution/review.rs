//! The bureau's side (D5): institutions in the jurisdiction, their review (approve,
//! reject, return for more material) and later halting (suspend, reinstate, remove). Review
//! needs `institution.review`; halting is the leader's `supervision.halt`.

use kehou_domain::institution::{InstitutionAction, InstitutionStatus};
use kehou_domain::{OrgKind, Permission};
use kehou_store::entity::institution::admission;
use kehou_store::entity::org;
use kehou_store::sea_orm::sea_query::Query;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::{InstitutionDetail, InstitutionView, detail, load_in_scope, record_step, views};
use crate::platform::audit::{self, By, Change};
use crate::platform::messages::{self, NewMessage};
use crate::platform::page::{Page, PageRequest};
use crate::{Actor, App, Error, Result};

#[derive(Debug, Clone, Default)]
pub struct InstitutionFilter {
    /// Matches the name or the credit code.
    pub q: Option<String>,
    pub status: Option<InstitutionStatus>,
}

/// Institutions in the actor's jurisdiction, newest applications first.
pub async fn list(
    app: &App,
    actor: &Actor,
    filter: &InstitutionFilter,
    page: PageRequest,
) -> Result<Page<InstitutionView>> {
    actor.require(Permission::InstitutionView)?;
    let scope = || {
        Query::select()
            .column(org::Column::Id)
            .from(org::Entity)
            .and_where(org::Column::Kind.eq(OrgKind::Institution.code()))
            .and_where(org::Column::Path.starts_with(&actor.org_path))
            .to_owned()
    };
    let mut query = admission::Entity::find().filter(admission::Column::OrgId.in_subquery(scope()));
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let mut named = scope();
        named.and_where(org::Column::Name.contains(q));
        query = query.filter(
            Condition::any()
                .add(admission::Column::OrgId.in_subquery(named))
                .add(admission::Column::CreditCode.contains(q.to_ascii_uppercase())),
        );
    }
    if let Some(status) = filter.status {
        query = query.filter(admission::Column::Status.eq(status.code()));
    }
    let total = query.clone().count(&app.db).await?;
    let rows = query
        .order_by_desc(admission::Column::AppliedAt)
        .order_by_desc(admission::Column::OrgId)
        .offset(page.offset())
        .limit(page.page_size)
        .all(&app.db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|i| i.org_id).collect();
    let mut by_id: std::collections::HashMap<i64, org::Model> = org::Entity::find()
        .filter(org::Column::Id.is_in(ids))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let pairs = rows
        .into_iter()
        .filter_map(|i| by_id.remove(&i.org_id).map(|o| (i, o)))
        .collect();
    Ok(Page {
        items: views(app, &app.db, pairs).await?,
        total,
        page: page.page,
        page_size: page.page_size,
    })
}

/// A decision of the bureau on an institution, with the reason when one is needed.
pub async fn decide(
    app: &App,
    actor: &Actor,
    id: i64,
    action: Option<&str>,
    reason: Option<&str>,
) -> Result<InstitutionDetail> {
    actor.require(Permission::InstitutionView)?;
    let Some(action) = action
        .and_then(InstitutionAction::parse)
        .filter(|a| *a != InstitutionAction::Resubmit)
    else {
        // The permission is unknown until the action is: answer what any reviewer may do.
        actor.require(Permission::InstitutionReview)?;
        load_in_scope(&app.db, actor, id).await?;
        return Err(Error::invalid(
            "action",
            "操作须为 approve、reject、return、suspend、reinstate 或 remove",
        ));
    };
    actor.require(if action.halts() {
        Permission::SupervisionHalt
    } else {
        Permission::InstitutionReview
    })?;
    let (current, _) = load_in_scope(&app.db, actor, id).await?;
    let reason = match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => Some(
            kehou_domain::field::required_text(r, 500)
                .map_err(|why| Error::invalid("reason", format!("理由{why}")))?,
        ),
        None if action.needs_reason() => {
            return Err(Error::invalid(
                "reason",
                format!("请填写{}的理由", action.label()),
            ));
        }
        None => None,
    };
    let from = InstitutionStatus::parse(&current.status).unwrap_or(InstitutionStatus::Pending);
    let to = from.next(action).map_err(Error::conflict)?;

    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let (i, o) = load_in_scope(&txn, actor, id).await?;
    if i.status != current.status {
        return Err(Error::conflict("状态已变化，请刷新后重试"));
    }
    let applicant = i.applicant_user_id;
    let mut m = i.into_active_model();
    m.status = Set(to.code().into());
    m.decided_at = Set(Some(now));
    m.updated_at = Set(now);
    let updated = m.update(&txn).await?;
    record_step(
        &txn,
        o.id,
        action.code(),
        Some(from),
        to,
        reason.clone(),
        &actor.user_name,
        Some(actor.user_id),
        now,
    )
    .await?;
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(o.id),
            org_path: &o.path,
            action: "institution.decide",
            entity_type: "institution",
            entity_id: Some(o.id),
            summary: format!(
                "{}“{}”：{} → {}{}",
                action.label(),
                o.name,
                from.label(),
                to.label(),
                reason
                    .as_deref()
                    .map(|r| format!("；理由：{r}"))
                    .unwrap_or_default()
            ),
        },
    )
    .await?;
    if let Some(user_id) = applicant {
        messages::send(
            &txn,
            user_id,
            NewMessage {
                kind: "institution",
                title: format!("“{}”：{}", o.name, to.label()),
                body: match &reason {
                    Some(r) => format!("{}。理由：{r}", action.label()),
                    None => format!("{}。", action.label()),
                },
                link: Some("/institution".into()),
            },
            now,
        )
        .await?;
    }
    let result = detail(app, &txn, updated, o).await?;
    txn.commit().await?;
    if let Some(user_id) = applicant {
        messages::announce(app, user_id);
    }
    Ok(result)
}
