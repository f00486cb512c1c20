//! A course's fee rules (H4, H5): how parents pay it — the whole term, by the month, by
//! the lessons held — and how it refunds. Set by the school per course of a term; an
//! order keeps the mode it was placed under, so a change applies to new orders only.

use kehou_domain::billing::{PayMode, RefundRule};
use kehou_domain::{Fen, Permission};
use kehou_store::entity::billing::refund_rule;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
};
use serde::{Deserialize, Serialize};

use crate::platform::audit::By;
use crate::{Actor, App, Error, Result};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeeRulesView {
    pub item_id: i64,
    pub course: String,
    /// The price and its unit, as offered.
    pub price: String,
    pub price_unit_label: &'static str,
    /// term, monthly or per_lesson.
    pub pay_mode: String,
    pub pay_mode_label: &'static str,
    pub refund_rule: RefundRule,
    /// The refund rule in a sentence.
    pub refund_rule_text: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PayModeChoice {
    pub code: &'static str,
    pub label: &'static str,
    pub describe: &'static str,
}

pub fn pay_modes() -> Vec<PayModeChoice> {
    PayMode::ALL
        .into_iter()
        .map(|m| PayModeChoice {
            code: m.code(),
            label: m.label(),
            describe: m.describe(),
        })
        .collect()
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct FeeRulesInput {
    /// term, monthly or per_lesson.
    pub pay_mode: String,
    /// Lessons missed on approved leave are refunded.
    pub refund_leave: bool,
    /// Lessons missed without leave are refunded too.
    pub refund_absence: bool,
    /// Textbook and other fees come back only while no lesson has been held.
    pub materials_before_start_only: bool,
}

fn view_of(
    item: &crate::course::offering::ItemView,
    row: Option<&refund_rule::Model>,
) -> FeeRulesView {
    let mode = row
        .and_then(|r| PayMode::parse(&r.pay_mode))
        .unwrap_or_default();
    let rule = row.map_or_else(RefundRule::default, |r| RefundRule {
        refund_leave: r.refund_leave,
        refund_absence: r.refund_absence,
        materials_before_start_only: r.materials_before_start_only,
    });
    FeeRulesView {
        item_id: item.id,
        course: item.name.clone(),
        price: Fen(item.price_fen).to_string(),
        price_unit_label: item.price_unit_label,
        pay_mode: mode.code().into(),
        pay_mode_label: mode.label(),
        refund_rule: rule,
        refund_rule_text: rule.describe(),
    }
}

/// The fee rules of every priced course of a school's term (the current one when left
/// out).
pub async fn list(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: Option<i64>,
) -> Result<Vec<FeeRulesView>> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::BillingView).await?;
    let term_id = match term_id {
        Some(t) => crate::enrollment::term_row(&app.db, school.id, t).await?.id,
        None => {
            crate::enrollment::current_term(app, &app.db, school.id)
                .await?
                .id
        }
    };
    let items = crate::course::offering::items_for_term(&app.db, school.id, term_id).await?;
    let rows = refund_rule::Entity::find()
        .filter(refund_rule::Column::SchoolId.eq(school.id))
        .filter(refund_rule::Column::ItemId.is_in(items.iter().map(|i| i.id)))
        .all(&app.db)
        .await?;
    Ok(items
        .iter()
        .filter(|i| i.price_fen > 0 || i.textbook_fee_fen > 0 || i.misc_fee_fen > 0)
        .map(|i| view_of(i, rows.iter().find(|r| r.item_id == i.id)))
        .collect())
}

/// Sets a course's fee rules. Orders already placed keep theirs.
pub async fn save(
    app: &App,
    actor: &Actor,
    item_id: i64,
    input: FeeRulesInput,
) -> Result<FeeRulesView> {
    actor.require(Permission::BillingManage)?;
    let (item, offering) = crate::course::offering::item_with_offering(&app.db, item_id)
        .await?
        .ok_or(Error::NotFound("课程"))?;
    let school = crate::school::school_for(
        &app.db,
        actor,
        offering.school_id,
        Permission::BillingManage,
    )
    .await
    .map_err(|_| Error::NotFound("课程"))?;
    let mode = PayMode::parse(input.pay_mode.trim())
        .ok_or_else(|| Error::invalid("pay_mode", "缴费方式应为 term、monthly 或 per_lesson"))?;
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let existing = refund_rule::Entity::find()
        .filter(refund_rule::Column::ItemId.eq(item.id))
        .one(&txn)
        .await?;
    let row = match existing {
        Some(r) => {
            let mut m = r.into_active_model();
            m.pay_mode = Set(mode.code().into());
            m.refund_leave = Set(input.refund_leave);
            m.refund_absence = Set(input.refund_absence);
            m.materials_before_start_only = Set(input.materials_before_start_only);
            m.updated_at = Set(now);
            m.update(&txn).await?
        }
        None => {
            refund_rule::ActiveModel {
                school_id: Set(school.id),
                item_id: Set(item.id),
                refund_leave: Set(input.refund_leave),
                refund_absence: Set(input.refund_absence),
                materials_before_start_only: Set(input.materials_before_start_only),
                pay_mode: Set(mode.code().into()),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    let items = crate::course::offering::items_for_term(&txn, school.id, offering.term_id).await?;
    let view_item = items
        .iter()
        .find(|i| i.id == item.id)
        .ok_or(Error::NotFound("课程"))?;
    let view = view_of(view_item, Some(&row));
    super::record(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "billing.fee_rules",
        ("offering_item", item.id),
        format!(
            "{} 收费规则：{}；{}",
            item.name, view.pay_mode_label, view.refund_rule_text
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}
