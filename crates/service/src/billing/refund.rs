//! Refunds (H5, F5, I6): money going back to a parent by the payment's own channel, never
//! another way. The amount is computed by `kehou_domain::billing::compute_refund` from the
//! class's dated lessons and the student's attendance under the course's rule, or stated
//! by the school; either way the parent sees how it was reached. Several partial refunds
//! per order; under the order's row lock their sum never exceeds what was received. A
//! refund the channel cannot take now is retried by a job; one the channel fails is
//! resolved by hand; a parent may report a refund that has not arrived.

use chrono::{DateTime, Utc};
use kehou_domain::Fen;
use kehou_domain::billing::{
    LedgerKind, Paid, RefundComputation, RefundRule, RefundStatus, compute_refund,
};
use kehou_store::entity::billing::{ledger_entry, payment, refund, refund_rule};
use kehou_store::entity::enrollment::{enrollment, order};
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

use super::channel::{ChannelError, ChannelRefund, NewRefund, RefundState};
use super::ledger::{self, NewEntry};
use crate::platform::audit::By;
use crate::platform::clock::china_label;
use crate::platform::jobs;
use crate::{Actor, App, Error, Result};

/// The job that hands a refund to its channel, retried while the channel is down.
pub const SUBMIT_JOB_KIND: &str = "refund_submit";

/// Why a refund was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The school approved a drop (退课).
    Drop,
    /// The school refunds an amount it states.
    School,
    /// Money arrived for an order no longer waiting.
    LatePayment,
}

impl Source {
    pub fn code(self) -> &'static str {
        match self {
            Self::Drop => "drop",
            Self::School => "school",
            Self::LatePayment => "late_payment",
        }
    }

    pub fn label(code: &str) -> &'static str {
        match code {
            "drop" => "退课退费",
            "school" => "学校退费",
            "late_payment" => "超时到账自动退款",
            _ => "退费",
        }
    }
}

/// How the amount was reached, as the parent reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Explanation {
    /// The course's rule in words, when the amount was computed by it.
    pub rule: Option<String>,
    pub lines: Vec<String>,
}

impl Explanation {
    pub fn stated(line: &str) -> Self {
        Self {
            rule: None,
            lines: vec![line.to_string()],
        }
    }

    fn computed(c: &RefundComputation) -> Self {
        Self {
            rule: Some(c.rule.clone()),
            lines: c.lines.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RefundView {
    pub id: i64,
    pub refund_no: String,
    pub order_id: i64,
    pub payment_id: i64,
    pub amount_fen: i64,
    pub amount: String,
    /// pending, processing, succeeded, failed or resolved_by_hand.
    pub status: String,
    pub status_label: &'static str,
    /// drop, school or late_payment.
    pub source: String,
    pub source_label: &'static str,
    pub reason: String,
    pub explanation: Explanation,
    pub failure: Option<String>,
    pub resolved_note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_label: String,
    pub succeeded_label: Option<String>,
}

pub(crate) fn view(r: refund::Model) -> RefundView {
    let status = RefundStatus::parse(&r.status).unwrap_or(RefundStatus::Pending);
    RefundView {
        id: r.id,
        refund_no: r.refund_no,
        order_id: r.order_id,
        payment_id: r.payment_id,
        amount: Fen(r.amount_fen).to_string(),
        amount_fen: r.amount_fen,
        status: status.code().into(),
        status_label: status.label(),
        source_label: Source::label(&r.source),
        source: r.source,
        reason: r.reason,
        explanation: serde_json::from_str(&r.explanation).unwrap_or_default(),
        failure: r.failure,
        resolved_note: r.resolved_note,
        created_label: china_label(r.created_at),
        created_at: r.created_at,
        succeeded_label: r.succeeded_at.map(china_label),
    }
}

async fn of_order_rows(db: &impl ConnectionTrait, order_id: i64) -> Result<Vec<refund::Model>> {
    Ok(refund::Entity::find()
        .filter(refund::Column::OrderId.eq(order_id))
        .order_by_asc(refund::Column::Id)
        .all(db)
        .await?)
}

/// The refunds of several orders, in one query.
pub(crate) async fn of_orders(
    db: &impl ConnectionTrait,
    order_ids: &[i64],
) -> Result<Vec<RefundView>> {
    if order_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(refund::Entity::find()
        .filter(refund::Column::OrderId.is_in(order_ids.iter().copied()))
        .order_by_asc(refund::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// Records a refund of `amount` of `o` from payment `p` in the caller's transaction,
/// which must hold the order's row lock: never more than the order received less every
/// refund already made or under way. What the order no longer owes leaves its charge, so
/// that its balance comes back to zero once the money is back.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn open(
    txn: &impl ConnectionTrait,
    app: &App,
    o: &order::Model,
    p: &payment::Model,
    amount: Fen,
    source: Source,
    reason: &str,
    explanation: Explanation,
    by: Option<&Actor>,
) -> Result<refund::Model> {
    if amount.0 <= 0 {
        return Err(Error::invalid("amount", "退款金额应大于0"));
    }
    let entries = ledger::of_order(txn, o.id).await?;
    let received: i64 = entries
        .iter()
        .filter(|e| received_by(e) && e.payment_id == Some(p.id))
        .map(|e| e.amount_fen)
        .sum();
    let earlier = of_order_rows(txn, o.id).await?;
    let claimed: i64 = earlier
        .iter()
        .filter(|r| r.payment_id == p.id)
        .map(|r| r.amount_fen)
        .sum();
    if claimed + amount.0 > received {
        return Err(Error::conflict_on(
            "amount",
            format!(
                "退款金额超过可退金额：实收 {}，已退或退款中 {}，最多还可退 {}",
                Fen(received),
                Fen(claimed),
                Fen((received - claimed).max(0))
            ),
        ));
    }
    let now = app.now();
    let r = refund::ActiveModel {
        refund_no: Set(super::new_number("RF", now)),
        school_id: Set(o.school_id),
        term_id: Set(o.term_id),
        order_id: Set(o.id),
        payment_id: Set(p.id),
        amount_fen: Set(amount.0),
        status: Set(RefundStatus::Pending.code().into()),
        source: Set(source.code().into()),
        reason: Set(reason.chars().take(200).collect()),
        explanation: Set(serde_json::to_string(&explanation).unwrap_or_default()),
        channel_refund_id: Set(None),
        failure: Set(None),
        requested_by: Set(by.map(|a| a.user_id)),
        resolved_by: Set(None),
        resolved_note: Set(None),
        result: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        succeeded_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    // The balance as if every refund under way were back: what it still leaves the school
    // is given up from the charge.
    let balance = ledger::balance(txn, o.id).await?.0;
    let under_way: i64 = earlier
        .iter()
        .filter(|r| !RefundStatus::parse(&r.status).is_some_and(RefundStatus::finished))
        .map(|r| r.amount_fen)
        .sum();
    let left = balance + under_way + amount.0;
    if left > 0 {
        ledger::append(
            txn,
            NewEntry {
                order: o,
                kind: LedgerKind::Charge,
                amount: Fen(-left),
                payment_id: None,
                refund_id: Some(r.id),
                waiver_id: None,
                note: format!("{}：应收减少", Source::label(source.code())),
                by: by.map(|a| a.user_id),
                period: String::new(),
            },
            now,
        )
        .await?;
    }
    // Durable: the job hands the refund to the channel even if this process ends now.
    jobs::enqueue(
        txn,
        now,
        jobs::NewJob {
            kind: SUBMIT_JOB_KIND,
            org_id: Some(o.school_id),
            user_id: by.map(|a| a.user_id),
            membership_id: None,
            ip: None,
            params: serde_json::json!({ "refund_id": r.id }),
            input: None,
            max_attempts: 10,
        },
    )
    .await?;
    let school = crate::system::load_any_school(txn, o.school_id).await?;
    let who = by.map_or_else(By::system, By::actor);
    super::record(
        txn,
        app,
        &who,
        (school.id, &school.path),
        "billing.refund",
        ("refund", r.id),
        format!(
            "订单 {} 退款 {} 元（{}）：{}",
            o.order_no,
            amount,
            Source::label(source.code()),
            reason
        ),
    )
    .await?;
    Ok(r)
}

/// Hands a refund to its channel now, for a prompt answer; when the channel is down its
/// job (queued with the refund) tries again later, so nothing is lost; a refusal marks it
/// failed, for the school to resolve.
pub(crate) async fn submit_soon(app: &App, r: refund::Model) {
    app.job_wakeup.notify_one();
    if let Err(e) = submit(app, r.id).await {
        tracing::info!(refund = r.id, error = %e, "refund waits for its channel");
    }
}

/// Submits a pending refund to its channel. `Unavailable` when the channel is down.
async fn submit(app: &App, refund_id: i64) -> Result<()> {
    let r = refund::Entity::find_by_id(refund_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("退款单"))?;
    if r.status != RefundStatus::Pending.code() {
        return Ok(());
    }
    let p = payment::Entity::find_by_id(r.payment_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("支付单"))?;
    let account = super::account::by_id(&app.db, p.account_id).await?;
    let merchant = super::account::merchant(app, &account)?;
    let channel = app
        .payments
        .get(&p.channel)
        .ok_or_else(|| Error::Unavailable("支付通道未开通".into()))?;
    let asked = NewRefund {
        out_trade_no: p.payment_no.clone(),
        out_refund_no: r.refund_no.clone(),
        amount_fen: r.amount_fen,
        total_fen: p.amount_fen,
        reason: r.reason.clone(),
        notify_url: format!(
            "/api/v1/pay/notify/{}?account={}",
            account.channel, account.id
        ),
    };
    match channel.refund(&merchant, &asked).await {
        Ok(answer) => {
            let plain = serde_json::to_string(&answer).unwrap_or_default();
            settle(app, &answer, &plain, None).await?;
            Ok(())
        }
        Err(ChannelError::Unavailable(m)) => Err(Error::Unavailable(m)),
        Err(other) => {
            let now = app.now();
            refund::Entity::update_many()
                .col_expr(refund::Column::Status, RefundStatus::Failed.code().into())
                .col_expr(refund::Column::Failure, Some(other.to_string()).into())
                .col_expr(refund::Column::UpdatedAt, now.into())
                .filter(refund::Column::Id.eq(r.id))
                .filter(refund::Column::Status.eq(RefundStatus::Pending.code()))
                .exec(&app.db)
                .await?;
            Ok(())
        }
    }
}

pub(crate) async fn run_submit_job(
    app: &App,
    held: &kehou_store::entity::platform::job::Model,
) -> Result<serde_json::Value> {
    let params: serde_json::Value = serde_json::from_str(&held.params)
        .map_err(|e| Error::Internal(format!("任务参数：{e}")))?;
    let id = params
        .get("refund_id")
        .and_then(serde_json::Value::as_i64)
        .ok_or_else(|| Error::Internal("任务参数缺少 refund_id".into()))?;
    submit(app, id).await?;
    Ok(serde_json::json!({ "refund_id": id }))
}

/// Applies what the channel says of a refund, once: accepted → processing; success →
/// succeeded with its ledger row; abnormal or closed → failed. `true` when it changed
/// something.
pub(crate) async fn settle(
    app: &App,
    c: &ChannelRefund,
    plain: &str,
    heard: Option<super::notify::Applied>,
) -> Result<bool> {
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let r = refund::Entity::find()
        .filter(refund::Column::RefundNo.eq(&c.out_refund_no))
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| {
            Error::invalid(
                "out_refund_no",
                format!("未知的退款单号 {}", c.out_refund_no),
            )
        })?;
    if r.amount_fen != c.amount_fen {
        return Err(Error::invalid(
            "amount",
            format!(
                "退款金额不符：退款单 {}，通道 {}",
                Fen(r.amount_fen),
                Fen(c.amount_fen)
            ),
        ));
    }
    let status = RefundStatus::parse(&r.status).unwrap_or(RefundStatus::Pending);
    let to = match c.refund_status {
        RefundState::Processing => RefundStatus::Processing,
        RefundState::Success => RefundStatus::Succeeded,
        RefundState::Abnormal | RefundState::Closed => RefundStatus::Failed,
    };
    if status == to || !status.can_become(to) {
        return Ok(false);
    }
    let o = order::Entity::find_by_id(r.order_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("订单"))?;
    let mut m = r.clone().into_active_model();
    m.status = Set(to.code().into());
    m.channel_refund_id = Set(Some(c.refund_id.clone()));
    m.updated_at = Set(now);
    m.result = Set(Some(plain.to_string()));
    if to == RefundStatus::Succeeded {
        m.succeeded_at = Set(Some(c.success_time.unwrap_or(now)));
    }
    if to == RefundStatus::Failed {
        m.failure = Set(Some(
            "通道未能原路退回（如银行卡已注销），请线下处理".into(),
        ));
    }
    let r = m.update(&txn).await?;
    let mut told = Vec::new();
    if to == RefundStatus::Succeeded {
        returned(&txn, &o, &r, "原路退回", None, now).await?;
        told = crate::enrollment::tell_guardians(
            &txn,
            o.student_id,
            "退款已到账".into(),
            format!(
                "订单 {} 的退款 {} 元已原路退回，请留意支付账户。",
                o.order_no,
                Fen(r.amount_fen)
            ),
            now,
        )
        .await?;
    }
    if let Some(h) = heard {
        h.record(&txn).await?;
    }
    txn.commit().await?;
    for g in told {
        crate::platform::messages::announce(app, g);
    }
    Ok(true)
}

/// The ledger row of money back with the parent.
async fn returned(
    txn: &impl ConnectionTrait,
    o: &order::Model,
    r: &refund::Model,
    how: &str,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<ledger_entry::Model> {
    ledger::append(
        txn,
        NewEntry {
            order: o,
            kind: LedgerKind::Refund,
            amount: Fen(r.amount_fen),
            payment_id: Some(r.payment_id),
            refund_id: Some(r.id),
            waiver_id: None,
            note: format!("退款单 {} {how}", r.refund_no),
            by,
            period: String::new(),
        },
        now,
    )
    .await
}

/// The course's refund rule (the default one when the school set none).
pub(crate) async fn rule_of(db: &impl ConnectionTrait, item_id: i64) -> Result<RefundRule> {
    Ok(refund_rule::Entity::find()
        .filter(refund_rule::Column::ItemId.eq(item_id))
        .one(db)
        .await?
        .map_or_else(RefundRule::default, |r| RefundRule {
            refund_leave: r.refund_leave,
            refund_absence: r.refund_absence,
            materials_before_start_only: r.materials_before_start_only,
        }))
}

/// The refund the rule gives for an order now, with the payments it can go back to.
pub(crate) async fn compute_for(
    app: &App,
    db: &impl ConnectionTrait,
    o: &order::Model,
) -> Result<(RefundComputation, Vec<Returnable>)> {
    let snapshot = crate::enrollment::order::order_view(o.clone())?.snapshot;
    let e = enrollment::Entity::find_by_id(o.enrollment_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("报名"))?;
    let rule = rule_of(db, snapshot.offering_item_id).await?;
    let lessons =
        super::bill::lessons_of(app, db, o, e.class_id.or(snapshot.teaching_class_id)).await?;
    let entries = ledger::of_order(db, o.id).await?;
    let kind_sum = |k: LedgerKind| -> i64 {
        entries
            .iter()
            .filter(|e| e.kind == k.code())
            .map(|e| e.amount_fen)
            .sum()
    };
    let claimed = of_order_rows(db, o.id).await?;
    let returnable = returnable(db, &entries, &claimed).await?;
    let refunded: i64 = claimed.iter().map(|r| r.amount_fen).sum();
    let paid = Paid {
        course_fee: Fen(o.course_fee_fen),
        textbook_fee: Fen(o.textbook_fee_fen),
        misc_fee: Fen(o.misc_fee_fen),
        waived: Fen(kind_sum(LedgerKind::Waiver)),
        received: Fen(kind_sum(LedgerKind::Payment) + kind_sum(LedgerKind::Transfer)),
        refunded: Fen(refunded),
    };
    Ok((compute_refund(&rule, &paid, &lessons), returnable))
}

/// An entry of money the order holds from a payment: paid for it, or carried to or from
/// another order of the student (negative when carried away).
fn received_by(e: &ledger_entry::Model) -> bool {
    e.kind == LedgerKind::Payment.code() || e.kind == LedgerKind::Transfer.code()
}

/// A payment of an order and what of it can still go back.
pub(crate) struct Returnable {
    pub payment: payment::Model,
    pub room: Fen,
}

/// The payments of an order with money left to refund, newest first: a refund goes back
/// by the payments that brought the money in (paid by the month, several of them).
async fn returnable(
    db: &impl ConnectionTrait,
    entries: &[kehou_store::entity::billing::ledger_entry::Model],
    claimed: &[refund::Model],
) -> Result<Vec<Returnable>> {
    let mut received: Vec<(i64, i64)> = Vec::new();
    for e in entries.iter().filter(|e| received_by(e)) {
        if let Some(p) = e.payment_id {
            match received.iter_mut().find(|(id, _)| *id == p) {
                Some((_, sum)) => *sum += e.amount_fen,
                None => received.push((p, e.amount_fen)),
            }
        }
    }
    let payments = payment::Entity::find()
        .filter(payment::Column::Id.is_in(received.iter().map(|(id, _)| *id)))
        .order_by_desc(payment::Column::Id)
        .all(db)
        .await?;
    Ok(payments
        .into_iter()
        .filter_map(|p| {
            let got = received
                .iter()
                .find(|(id, _)| *id == p.id)
                .map_or(0, |r| r.1);
            let back: i64 = claimed
                .iter()
                .filter(|r| r.payment_id == p.id)
                .map(|r| r.amount_fen)
                .sum();
            (got > back).then(|| Returnable {
                payment: p,
                room: Fen(got - back),
            })
        })
        .collect())
}

/// Opens the refunds of `amount`, spread over the payments that can take it back, newest
/// first (one refund each, as channels refund per trade).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn open_spread(
    txn: &impl ConnectionTrait,
    app: &App,
    o: &order::Model,
    returnable: &[Returnable],
    amount: Fen,
    source: Source,
    reason: &str,
    explanation: Explanation,
    by: Option<&Actor>,
) -> Result<Vec<refund::Model>> {
    let room: i64 = returnable.iter().map(|r| r.room.0).sum();
    if amount.0 > room {
        return Err(Error::conflict_on(
            "amount",
            format!("退款金额超过可退金额：最多还可退 {}", Fen(room)),
        ));
    }
    let mut left = amount.0;
    let mut out = Vec::new();
    for r in returnable.iter().filter(|r| r.room.0 > 0) {
        if left <= 0 {
            break;
        }
        let part = left.min(r.room.0);
        out.push(
            open(
                txn,
                app,
                o,
                &r.payment,
                Fen(part),
                source,
                reason,
                explanation.clone(),
                by,
            )
            .await?,
        );
        left -= part;
    }
    Ok(out)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RefundPreview {
    pub order_id: i64,
    pub computation: RefundComputation,
    pub refunds: Vec<RefundView>,
    /// Amounts the school proposed for the parent to confirm (协商退费), newest first.
    pub offers: Vec<super::offer::OfferView>,
}

/// What the course's rule would refund for an order now, and the refunds so far: what
/// the parent sees before confirming a drop.
pub async fn preview(app: &App, actor: &Actor, order_id: i64) -> Result<RefundPreview> {
    let o = ledger::readable_order(&app.db, actor, order_id).await?;
    let (computation, _) = compute_for(app, &app.db, &o).await?;
    Ok(RefundPreview {
        order_id: o.id,
        computation,
        refunds: of_order_rows(&app.db, o.id)
            .await?
            .into_iter()
            .map(view)
            .collect(),
        offers: super::offer::of_order(&app.db, o.id).await?,
    })
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct RefundInput {
    /// The amount in fen; left out, the course's rule computes it.
    pub amount_fen: Option<i64>,
    /// Why (at most 200 characters).
    #[serde(default)]
    pub reason: String,
}

/// The school refunds part of a paid order: the amount it states, or the rule's.
pub async fn request(
    app: &App,
    actor: &Actor,
    order_id: i64,
    input: RefundInput,
) -> Result<RefundView> {
    actor.require(kehou_domain::Permission::BillingManage)?;
    let o = order::Entity::find_by_id(order_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("订单"))?;
    crate::school::school_for(
        &app.db,
        actor,
        o.school_id,
        kehou_domain::Permission::BillingManage,
    )
    .await
    .map_err(|_| Error::NotFound("订单"))?;
    let reason = kehou_domain::field::required_text(&input.reason, 200)
        .map_err(|m| Error::invalid("reason", m))?;
    if input.amount_fen.is_some_and(|a| a <= 0) {
        return Err(Error::invalid("amount_fen", "退款金额应大于0"));
    }
    let txn = kehou_store::begin_write(&app.db).await?;
    let o = order::Entity::find_by_id(order_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("订单"))?;
    let (computed, returnable) = compute_for(app, &txn, &o).await?;
    if returnable.is_empty() {
        return Err(Error::conflict("订单尚未收款，无可退金额"));
    }
    let (amount, explanation) = match input.amount_fen {
        Some(a) => (
            Fen(a),
            Explanation::stated(&format!("学校确定退款金额 {}：{reason}", Fen(a))),
        ),
        None if computed.amount_fen > 0 => {
            (Fen(computed.amount_fen), Explanation::computed(&computed))
        }
        None => return Err(Error::conflict("按课程退费规则计算，应退金额为 0")),
    };
    let opened = open_spread(
        &txn,
        app,
        &o,
        &returnable,
        amount,
        Source::School,
        &reason,
        explanation,
        Some(actor),
    )
    .await?;
    txn.commit().await?;
    let id = opened.first().map_or(0, |r| r.id);
    for r in opened {
        submit_soon(app, r).await;
    }
    let r = refund::Entity::find_by_id(id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("退款单"))?;
    Ok(view(r))
}

/// The money of an ended enrollment, in the caller's transaction: the rule's refund of
/// what was paid; paid by the month or by the lesson, the order is settled too — the
/// bills not yet due are not charged, and what the lessons held still owe is charged.
pub(crate) async fn for_drop(
    txn: &impl ConnectionTrait,
    app: &App,
    enrollment_id: i64,
    by: Option<&Actor>,
) -> Result<Vec<refund::Model>> {
    let Some(o) = settled_order(txn, enrollment_id).await? else {
        return Ok(Vec::new());
    };
    let (computed, returnable) = compute_for(app, txn, &o).await?;
    let mut opened = Vec::new();
    if computed.amount_fen > 0 && !returnable.is_empty() {
        opened = open_spread(
            txn,
            app,
            &o,
            &returnable,
            Fen(computed.amount_fen),
            Source::Drop,
            "退课",
            Explanation::computed(&computed),
            by,
        )
        .await?;
    }
    if super::bill::mode_of(&o) != kehou_domain::billing::PayMode::Term {
        settle_account(txn, app, &o, Fen(computed.owed_fen), "退课", by).await?;
    }
    Ok(opened)
}

/// The paid (or billed) order of an enrollment, locked: the one whose money an ending
/// enrollment settles.
async fn settled_order(
    txn: &impl ConnectionTrait,
    enrollment_id: i64,
) -> Result<Option<order::Model>> {
    use kehou_domain::enrollment::OrderStatus;
    Ok(order::Entity::find()
        .filter(order::Column::EnrollmentId.eq(enrollment_id))
        .filter(
            order::Column::Status.is_in([OrderStatus::Paid.code(), OrderStatus::OnAccount.code()]),
        )
        .lock_exclusive()
        .one(txn)
        .await?)
}

/// What a course change did with the old course's money.
pub(crate) struct Carried {
    /// What the old course's rule gives back.
    pub credit: Fen,
    /// What of it paid towards the new course.
    pub carried: Fen,
    /// The refunds of the rest, to hand to the channel once committed.
    pub refunds: Vec<refund::Model>,
}

/// A course change's money, in the caller's transaction, once the old enrollment ended
/// and the new order is placed (调课): what the old course's rule would refund pays the new
/// order's balance first, by the payments it came by (so that a later refund of the new
/// course still goes back that way); the rest goes back to the parent; the old order is
/// settled as a drop settles it.
pub(crate) async fn carry(
    txn: &impl ConnectionTrait,
    app: &App,
    from_enrollment_id: i64,
    to: &order::Model,
    by: Option<&Actor>,
) -> Result<Carried> {
    let Some(from) = settled_order(txn, from_enrollment_id).await? else {
        return Ok(Carried {
            credit: Fen(0),
            carried: Fen(0),
            refunds: Vec::new(),
        });
    };
    let (computed, mut sources) = compute_for(app, txn, &from).await?;
    let due = ledger::balance(txn, to.id).await?.0.max(0);
    let wanted = computed.amount_fen.min(due);
    let mut left = wanted;
    let now = app.now();
    for r in &mut sources {
        if left <= 0 {
            break;
        }
        let part = left.min(r.room.0);
        // What is carried can no longer be refunded from this order.
        r.room.0 -= part;
        let legs = [
            (&from, -part, format!("调课：结转至订单 {}", to.order_no)),
            (to, part, format!("调课：由订单 {} 结转", from.order_no)),
        ];
        for (order, amount, note) in legs {
            ledger::append(
                txn,
                NewEntry {
                    order,
                    kind: LedgerKind::Transfer,
                    amount: Fen(amount),
                    payment_id: Some(r.payment.id),
                    refund_id: None,
                    waiver_id: None,
                    note,
                    by: by.map(|a| a.user_id),
                    period: String::new(),
                },
                now,
            )
            .await?;
        }
        left -= part;
    }
    let carried = wanted - left;
    let rest = computed.amount_fen - carried;
    let mut refunds = Vec::new();
    if rest > 0 {
        let mut explanation = Explanation::computed(&computed);
        explanation.lines.push(format!(
            "其中 {} 结转至新课程订单 {}，其余 {} 原路退回",
            Fen(carried),
            to.order_no,
            Fen(rest)
        ));
        refunds = open_spread(
            txn,
            app,
            &from,
            &sources,
            Fen(rest),
            Source::Drop,
            "调课退还差额",
            explanation,
            by,
        )
        .await?;
    }
    settle_account(txn, app, &from, Fen(computed.owed_fen), "调课", by).await?;
    Ok(Carried {
        credit: Fen(computed.amount_fen),
        carried: Fen(carried),
        refunds,
    })
}

/// Money carried into an order that is given up unpaid (a course change whose difference
/// was never paid) goes back by the payments it came by, in the caller's transaction.
pub(crate) async fn return_carried(
    txn: &impl ConnectionTrait,
    app: &App,
    o: &order::Model,
) -> Result<Vec<refund::Model>> {
    let entries = ledger::of_order(txn, o.id).await?;
    if !entries
        .iter()
        .any(|e| e.kind == LedgerKind::Transfer.code())
    {
        return Ok(Vec::new());
    }
    let claimed = of_order_rows(txn, o.id).await?;
    let back = returnable(txn, &entries, &claimed).await?;
    let amount: i64 = back.iter().map(|r| r.room.0).sum();
    if amount <= 0 {
        return Ok(Vec::new());
    }
    open_spread(
        txn,
        app,
        o,
        &back,
        Fen(amount),
        Source::Drop,
        "调课差额未补缴，结转款原路退回",
        Explanation::stated("新课程的差额未在时限内补缴，调课时结转的款项原路退回"),
        None,
    )
    .await
}

/// Brings an ended order's balance (as if every refund under way were back) to what the
/// lessons held still owe: a final charge, or a reduction of bills charged beyond it.
async fn settle_account(
    txn: &impl ConnectionTrait,
    app: &App,
    o: &order::Model,
    owed: Fen,
    what: &str,
    by: Option<&Actor>,
) -> Result<()> {
    let under_way: i64 = of_order_rows(txn, o.id)
        .await?
        .iter()
        .filter(|r| !RefundStatus::parse(&r.status).is_some_and(RefundStatus::finished))
        .map(|r| r.amount_fen)
        .sum();
    let balance = ledger::balance(txn, o.id).await?.0 + under_way;
    let change = owed.0 - balance;
    if change == 0 {
        return Ok(());
    }
    ledger::append(
        txn,
        NewEntry {
            order: o,
            kind: LedgerKind::Charge,
            amount: Fen(change),
            payment_id: None,
            refund_id: None,
            waiver_id: None,
            note: if change > 0 {
                format!("{what}结算：已上课次应收")
            } else {
                format!("{what}结算：不再收取的部分")
            },
            by: by.map(|a| a.user_id),
            period: if change > 0 {
                "final".into()
            } else {
                String::new()
            },
        },
        app.now(),
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ResolveInput {
    /// How the money went back (cash, bank transfer …), at most 200 characters.
    pub note: String,
}

/// The school resolves a failed refund by hand: the money went back outside the channel.
pub async fn resolve(
    app: &App,
    actor: &Actor,
    refund_id: i64,
    input: ResolveInput,
) -> Result<RefundView> {
    actor.require(kehou_domain::Permission::BillingManage)?;
    let r = refund::Entity::find_by_id(refund_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("退款单"))?;
    let school = crate::school::school_for(
        &app.db,
        actor,
        r.school_id,
        kehou_domain::Permission::BillingManage,
    )
    .await
    .map_err(|_| Error::NotFound("退款单"))?;
    let note = kehou_domain::field::required_text(&input.note, 200)
        .map_err(|m| Error::invalid("note", m))?;
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let o = order::Entity::find_by_id(r.order_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("订单"))?;
    let r = refund::Entity::find_by_id(refund_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("退款单"))?;
    let status = RefundStatus::parse(&r.status).unwrap_or(RefundStatus::Pending);
    if !status.can_become(RefundStatus::ResolvedByHand) {
        return Err(Error::conflict(format!(
            "退款{}，只有退款失败的才能线下处理",
            status.label()
        )));
    }
    let mut m = r.into_active_model();
    m.status = Set(RefundStatus::ResolvedByHand.code().into());
    m.resolved_by = Set(Some(actor.user_id));
    m.resolved_note = Set(Some(note.clone()));
    m.succeeded_at = Set(Some(now));
    m.updated_at = Set(now);
    let r = m.update(&txn).await?;
    returned(
        &txn,
        &o,
        &r,
        &format!("线下处理：{note}"),
        Some(actor.user_id),
        now,
    )
    .await?;
    super::record(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "billing.refund_resolve",
        ("refund", r.id),
        format!("退款单 {} 线下处理：{note}", r.refund_no),
    )
    .await?;
    txn.commit().await?;
    Ok(view(r))
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ReportInput {
    /// What the parent sees (at most 200 characters).
    pub note: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportView {
    pub id: i64,
    pub refund_id: i64,
    pub refund_no: String,
    pub amount: String,
    pub note: String,
    /// open or answered.
    pub status: String,
    pub answer: Option<String>,
    pub created_label: String,
    pub answered_label: Option<String>,
}

fn report_view(
    r: kehou_store::entity::billing::refund_report::Model,
    refund: &refund::Model,
) -> ReportView {
    ReportView {
        id: r.id,
        refund_id: r.refund_id,
        refund_no: refund.refund_no.clone(),
        amount: Fen(refund.amount_fen).to_string(),
        note: r.note,
        status: r.status,
        answer: r.answer,
        created_label: china_label(r.created_at),
        answered_label: r.answered_at.map(china_label),
    }
}

async fn report_of(
    db: &impl ConnectionTrait,
    r: kehou_store::entity::billing::refund_report::Model,
) -> Result<ReportView> {
    let refund = refund::Entity::find_by_id(r.refund_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("退款单"))?;
    Ok(report_view(r, &refund))
}

/// A guardian reports that a refund has not arrived; the school answers.
pub async fn report(
    app: &App,
    actor: &Actor,
    refund_id: i64,
    input: ReportInput,
) -> Result<ReportView> {
    use kehou_store::entity::billing::refund_report;
    let r = refund::Entity::find_by_id(refund_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("退款单"))?;
    let o = order::Entity::find_by_id(r.order_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("退款单"))?;
    crate::enrollment::child_of(&app.db, actor, o.student_id)
        .await
        .map_err(|_| Error::NotFound("退款单"))?;
    let note = kehou_domain::field::required_text(&input.note, 200)
        .map_err(|m| Error::invalid("note", m))?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let waiting = refund_report::Entity::find()
        .filter(refund_report::Column::RefundId.eq(r.id))
        .filter(refund_report::Column::Status.eq("open"))
        .one(&txn)
        .await?
        .is_some();
    if waiting {
        return Err(Error::conflict("已反馈过，请等待学校答复"));
    }
    let row = refund_report::ActiveModel {
        school_id: Set(r.school_id),
        refund_id: Set(r.id),
        user_id: Set(actor.user_id),
        note: Set(note.clone()),
        status: Set("open".into()),
        answer: Set(None),
        answered_by: Set(None),
        created_at: Set(app.now()),
        answered_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let school = crate::system::load_any_school(&txn, r.school_id).await?;
    super::record(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "billing.refund_report",
        ("refund_report", row.id),
        format!("退款单 {} 反馈未到账：{note}", r.refund_no),
    )
    .await?;
    txn.commit().await?;
    Ok(report_view(row, &r))
}

/// The school's refund reports, open first.
pub async fn reports(app: &App, actor: &Actor, school_id: i64) -> Result<Vec<ReportView>> {
    use kehou_store::entity::billing::refund_report;
    let school = crate::school::school_for(
        &app.db,
        actor,
        school_id,
        kehou_domain::Permission::BillingManage,
    )
    .await?;
    let rows = refund_report::Entity::find()
        .filter(refund_report::Column::SchoolId.eq(school.id))
        .order_by_desc(refund_report::Column::Id)
        .limit(200)
        .all(&app.db)
        .await?;
    let refunds: std::collections::HashMap<i64, refund::Model> = refund::Entity::find()
        .filter(refund::Column::Id.is_in(rows.iter().map(|r| r.refund_id)))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let mut out: Vec<ReportView> = rows
        .into_iter()
        .filter_map(|r| {
            let refund = refunds.get(&r.refund_id)?;
            Some(report_view(r, refund))
        })
        .collect();
    out.sort_by_key(|r| r.status != "open");
    Ok(out)
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AnswerInput {
    /// The school's answer (at most 200 characters).
    pub answer: String,
}

/// The school answers a report; the parent reads it in their messages.
pub async fn answer(
    app: &App,
    actor: &Actor,
    report_id: i64,
    input: AnswerInput,
) -> Result<ReportView> {
    use kehou_store::entity::billing::refund_report;
    actor.require(kehou_domain::Permission::BillingManage)?;
    let r = refund_report::Entity::find_by_id(report_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("反馈"))?;
    let school = crate::school::school_for(
        &app.db,
        actor,
        r.school_id,
        kehou_domain::Permission::BillingManage,
    )
    .await
    .map_err(|_| Error::NotFound("反馈"))?;
    let text = kehou_domain::field::required_text(&input.answer, 200)
        .map_err(|m| Error::invalid("answer", m))?;
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let r = refund_report::Entity::find_by_id(report_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("反馈"))?;
    if r.status != "open" {
        return Err(Error::conflict("该反馈已答复"));
    }
    let user = r.user_id;
    let mut m = r.into_active_model();
    m.status = Set("answered".into());
    m.answer = Set(Some(text.clone()));
    m.answered_by = Set(Some(actor.user_id));
    m.answered_at = Set(Some(now));
    let r = m.update(&txn).await?;
    crate::platform::messages::send(
        &txn,
        user,
        crate::platform::messages::NewMessage {
            kind: "enrollment",
            title: "学校答复了您的退款反馈".into(),
            body: text.clone(),
            link: Some("/enroll#history".into()),
        },
        now,
    )
    .await?;
    super::record(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "billing.refund_answer",
        ("refund_report", r.id),
        format!("答复退款反馈：{text}"),
    )
    .await?;
    txn.commit().await?;
    crate::platform::messages::announce(app, user);
    report_of(&app.db, r).await
}

/// How many refunds of a class's orders are not finished (closing a class): recorded,
/// on their way, or failed and waiting to be resolved by hand.
pub(crate) async fn open_of_class(db: &impl ConnectionTrait, class_id: i64) -> Result<u64> {
    use kehou_store::sea_orm::PaginatorTrait;
    let enrollments: Vec<i64> = enrollment::Entity::find()
        .filter(enrollment::Column::ClassId.eq(class_id))
        .all(db)
        .await?
        .into_iter()
        .map(|e| e.id)
        .collect();
    if enrollments.is_empty() {
        return Ok(0);
    }
    let orders: Vec<i64> = order::Entity::find()
        .filter(order::Column::EnrollmentId.is_in(enrollments))
        .all(db)
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    if orders.is_empty() {
        return Ok(0);
    }
    Ok(refund::Entity::find()
        .filter(refund::Column::OrderId.is_in(orders))
        .filter(refund::Column::Status.is_in([
            RefundStatus::Pending.code(),
            RefundStatus::Processing.code(),
            RefundStatus::Failed.code(),
        ]))
        .count(db)
        .await?)
}
