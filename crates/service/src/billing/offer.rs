//! Refund offers (H5, 协商退费): instead of the course's rule, the school proposes an
//! amount with a reason; the parent sees it on the order and confirms or declines; only a
//! confirmed amount is refunded, by the original payments, under the same cap as every
//! refund.

use chrono::{DateTime, Utc};
use kehou_domain::{Fen, Permission};
use kehou_store::entity::billing::refund_offer;
use kehou_store::entity::enrollment::order;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

use super::refund::{Explanation, Source};
use crate::platform::audit::By;
use crate::platform::clock::china_label;
use crate::{Actor, App, Error, Result};

const PROPOSED: &str = "proposed";
const ACCEPTED: &str = "accepted";
const DECLINED: &str = "declined";

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OfferView {
    pub id: i64,
    pub order_id: i64,
    pub amount_fen: i64,
    pub amount: String,
    pub reason: String,
    /// proposed, accepted or declined.
    pub status: String,
    pub status_label: &'static str,
    pub proposed_label: String,
    pub decided_label: Option<String>,
    pub refund_id: Option<i64>,
}

fn label(status: &str) -> &'static str {
    match status {
        PROPOSED => "待家长确认",
        ACCEPTED => "家长已确认，已退款",
        DECLINED => "家长不同意",
        _ => "",
    }
}

fn view(o: refund_offer::Model) -> OfferView {
    OfferView {
        id: o.id,
        order_id: o.order_id,
        amount_fen: o.amount_fen,
        amount: Fen(o.amount_fen).to_string(),
        status_label: label(&o.status),
        status: o.status,
        reason: o.reason,
        proposed_label: china_label(o.proposed_at),
        decided_label: o.decided_at.map(china_label),
        refund_id: o.refund_id,
    }
}

pub(crate) async fn of_order(db: &impl ConnectionTrait, order_id: i64) -> Result<Vec<OfferView>> {
    Ok(refund_offer::Entity::find()
        .filter(refund_offer::Column::OrderId.eq(order_id))
        .order_by_desc(refund_offer::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct OfferInput {
    /// The amount in fen.
    pub amount_fen: Option<i64>,
    /// Why (at most 200 characters): what the parent reads.
    pub reason: String,
}

/// The school proposes a refund amount of a paid order for the parent to confirm.
pub async fn create(
    app: &App,
    actor: &Actor,
    order_id: i64,
    input: OfferInput,
) -> Result<OfferView> {
    actor.require(Permission::BillingManage)?;
    let o = order::Entity::find_by_id(order_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("订单"))?;
    crate::school::school_for(&app.db, actor, o.school_id, Permission::BillingManage)
        .await
        .map_err(|_| Error::NotFound("订单"))?;
    let reason = kehou_domain::field::required_text(&input.reason, 200)
        .map_err(|m| Error::invalid("reason", m))?;
    let amount = match input.amount_fen {
        Some(a) if a > 0 => Fen(a),
        _ => return Err(Error::invalid("amount_fen", "请填写大于0的退款金额")),
    };
    let txn = kehou_store::begin_write(&app.db).await?;
    let o = order::Entity::find_by_id(order_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("订单"))?;
    let (_, returnable) = super::refund::compute_for(app, &txn, &o).await?;
    let room = Fen(returnable.iter().map(|r| r.room.0).sum());
    let (offer, told) = propose(&txn, app, actor, &o, amount, room, &reason, app.now()).await?;
    txn.commit().await?;
    for g in told {
        crate::platform::messages::announce(app, g);
    }
    Ok(offer)
}

/// The school's proposal, in the caller's transaction (which holds the order's row). At
/// most one waits per order. Answers the guardians told.
#[allow(clippy::too_many_arguments)]
async fn propose(
    txn: &impl ConnectionTrait,
    app: &App,
    actor: &Actor,
    o: &order::Model,
    amount: Fen,
    room: Fen,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(OfferView, Vec<i64>)> {
    if room.0 == 0 {
        return Err(Error::conflict("订单尚未收款，无可退金额"));
    }
    if amount.0 > room.0 {
        return Err(Error::conflict_on(
            "amount_fen",
            format!("退款金额超过可退金额：最多还可退 {room}"),
        ));
    }
    let waiting = refund_offer::Entity::find()
        .filter(refund_offer::Column::OrderId.eq(o.id))
        .filter(refund_offer::Column::Status.eq(PROPOSED))
        .one(txn)
        .await?
        .is_some();
    if waiting {
        return Err(Error::conflict("该订单已有一笔待家长确认的退款金额"));
    }
    let offer = refund_offer::ActiveModel {
        school_id: Set(o.school_id),
        order_id: Set(o.id),
        amount_fen: Set(amount.0),
        reason: Set(reason.to_string()),
        status: Set(PROPOSED.into()),
        proposed_by: Set(actor.user_id),
        proposed_at: Set(now),
        decided_by: Set(None),
        decided_at: Set(None),
        refund_id: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let told = crate::enrollment::tell_guardians(
        txn,
        o.student_id,
        "请确认退款金额".into(),
        format!(
            "学校拟为订单 {} 退款 {amount} 元（{reason}），请在订单详情中确认或表示不同意。",
            o.order_no
        ),
        now,
    )
    .await?;
    let school = crate::system::load_any_school(txn, o.school_id).await?;
    super::record(
        txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "billing.refund_offer",
        ("refund_offer", offer.id),
        format!(
            "订单 {} 拟退款 {amount} 元，待家长确认：{reason}",
            o.order_no
        ),
    )
    .await?;
    Ok((view(offer), told))
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct OfferAnswer {
    /// true: the parent confirms the amount and it is refunded; false: declined.
    pub accept: Option<bool>,
}

/// A guardian of the order's student confirms (the amount is refunded) or declines.
pub async fn answer(
    app: &App,
    actor: &Actor,
    offer_id: i64,
    input: OfferAnswer,
) -> Result<OfferView> {
    let found = refund_offer::Entity::find_by_id(offer_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("退款确认"))?;
    let o = order::Entity::find_by_id(found.order_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("退款确认"))?;
    crate::enrollment::child_of(&app.db, actor, o.student_id)
        .await
        .map_err(|_| Error::NotFound("退款确认"))?;
    let accept = input
        .accept
        .ok_or_else(|| Error::invalid("accept", "请选择确认或不同意"))?;
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let o = order::Entity::find_by_id(o.id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("退款确认"))?;
    let offer = refund_offer::Entity::find_by_id(offer_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("退款确认"))?;
    if offer.status != PROPOSED {
        return Err(Error::conflict(format!("该退款{}", label(&offer.status))));
    }
    let mut refunds = Vec::new();
    if accept {
        let (_, returnable) = super::refund::compute_for(app, &txn, &o).await?;
        refunds = super::refund::open_spread(
            &txn,
            app,
            &o,
            &returnable,
            Fen(offer.amount_fen),
            Source::School,
            &offer.reason,
            Explanation::stated(&format!(
                "学校提出、家长确认的退款金额 {}：{}",
                Fen(offer.amount_fen),
                offer.reason
            )),
            Some(actor),
        )
        .await?;
    }
    let mut m = offer.into_active_model();
    m.status = Set(if accept { ACCEPTED } else { DECLINED }.into());
    m.decided_by = Set(Some(actor.user_id));
    m.decided_at = Set(Some(now));
    m.refund_id = Set(refunds.first().map(|r| r.id));
    let offer = m.update(&txn).await?;
    if !accept {
        let school = crate::system::load_any_school(&txn, o.school_id).await?;
        super::record(
            &txn,
            app,
            &By::actor(actor),
            (school.id, &school.path),
            "billing.refund_offer_declined",
            ("refund_offer", offer.id),
            format!("家长不同意订单 {} 的拟退款金额", o.order_no),
        )
        .await?;
    }
    txn.commit().await?;
    for r in refunds {
        super::refund::submit_soon(app, r).await;
    }
    Ok(view(offer))
}
