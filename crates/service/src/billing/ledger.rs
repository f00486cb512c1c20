//! The ledger (台账): every money movement of an order is one appended row — a charge
//! when the order is placed (a negative charge when it is given up: expired, cancelled,
//! dropped), a waiver, a payment, a refund — each naming what it settles. Rows are never
//! updated or deleted (the database refuses); every balance is a sum over them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use kehou_domain::Fen;
use kehou_domain::billing::LedgerKind;
use kehou_store::entity::billing::ledger_entry;
use kehou_store::entity::enrollment::order;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;

use crate::platform::clock::china_label;
use crate::{Actor, App, Error, Result};

pub(crate) struct NewEntry<'a> {
    pub order: &'a order::Model,
    pub kind: LedgerKind,
    pub amount: Fen,
    pub payment_id: Option<i64>,
    pub refund_id: Option<i64>,
    pub waiver_id: Option<i64>,
    pub note: String,
    pub by: Option<i64>,
    /// The period a charge bills (see `bill`); empty for other entries.
    pub period: String,
}

pub(crate) async fn append(
    db: &impl ConnectionTrait,
    e: NewEntry<'_>,
    now: DateTime<Utc>,
) -> Result<ledger_entry::Model> {
    Ok(ledger_entry::ActiveModel {
        school_id: Set(e.order.school_id),
        term_id: Set(e.order.term_id),
        order_id: Set(e.order.id),
        kind: Set(e.kind.code().into()),
        amount_fen: Set(e.amount.0),
        payment_id: Set(e.payment_id),
        refund_id: Set(e.refund_id),
        waiver_id: Set(e.waiver_id),
        note: Set(e.note.chars().take(200).collect()),
        period: Set(e.period),
        created_by: Set(e.by),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// The charges of a new order: the bills its payment mode makes due at once, in the
/// caller's transaction.
pub(crate) async fn charge(
    db: &impl ConnectionTrait,
    o: &order::Model,
    due: &[kehou_domain::billing::Bill],
    now: DateTime<Utc>,
) -> Result<()> {
    super::bill::charge_due(db, o, due, now).await?;
    Ok(())
}

/// An unpaid order is given up (expired, cancelled): what it still owed is no longer
/// owed. In the caller's transaction.
pub(crate) async fn give_up(
    db: &impl ConnectionTrait,
    o: &order::Model,
    note: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let owed = balance(db, o.id).await?;
    if owed.0 > 0 {
        append(
            db,
            NewEntry {
                order: o,
                kind: LedgerKind::Charge,
                amount: Fen(-owed.0),
                payment_id: None,
                refund_id: None,
                waiver_id: None,
                note: note.to_string(),
                by: None,
                period: String::new(),
            },
            now,
        )
        .await?;
    }
    Ok(())
}

pub(crate) async fn of_order(
    db: &impl ConnectionTrait,
    order_id: i64,
) -> Result<Vec<ledger_entry::Model>> {
    Ok(ledger_entry::Entity::find()
        .filter(ledger_entry::Column::OrderId.eq(order_id))
        .order_by_asc(ledger_entry::Column::Id)
        .all(db)
        .await?)
}

fn sum(entries: &[ledger_entry::Model]) -> Fen {
    Fen(entries
        .iter()
        .filter_map(|e| LedgerKind::parse(&e.kind).map(|k| k.effect(Fen(e.amount_fen)).0))
        .sum())
}

/// What the parent still owes on an order (negative: what the school owes the parent).
pub(crate) async fn balance(db: &impl ConnectionTrait, order_id: i64) -> Result<Fen> {
    Ok(sum(&of_order(db, order_id).await?))
}

/// An order's money as its parent and school see it beside the order.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Money {
    pub totals: Totals,
    /// What was paid, in yuan.
    pub paid: String,
    /// The payment that paid it (its receipt), once paid.
    pub paid_by: Option<i64>,
    /// What is owed now, in yuan (the order, or an open bill), if anything.
    pub due: Option<String>,
    pub refunds: Vec<super::refund::RefundView>,
}

/// The money of several orders, in two queries.
pub(crate) async fn money_of(
    db: &impl ConnectionTrait,
    order_ids: &[i64],
) -> Result<HashMap<i64, Money>> {
    let mut out: HashMap<i64, Money> = HashMap::new();
    if order_ids.is_empty() {
        return Ok(out);
    }
    for chunk in order_ids.chunks(500) {
        for e in ledger_entry::Entity::find()
            .filter(ledger_entry::Column::OrderId.is_in(chunk.iter().copied()))
            .order_by_asc(ledger_entry::Column::Id)
            .all(db)
            .await?
        {
            let m = out.entry(e.order_id).or_default();
            m.totals.add(&e);
            if e.kind == LedgerKind::Payment.code() && m.paid_by.is_none() {
                m.paid_by = e.payment_id;
            }
        }
        for r in super::refund::of_orders(db, chunk).await? {
            out.entry(r.order_id).or_default().refunds.push(r);
        }
    }
    for m in out.values_mut() {
        m.paid = Fen(m.totals.paid_fen).to_string();
        m.due = (m.totals.balance_fen > 0).then(|| Fen(m.totals.balance_fen).to_string());
    }
    Ok(out)
}

/// An order's money by kind, from its entries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Totals {
    pub charged_fen: i64,
    pub waived_fen: i64,
    pub paid_fen: i64,
    pub refunded_fen: i64,
    /// Received before and moved in (positive) or out (negative) by a course change.
    pub carried_fen: i64,
    /// charged − waived − paid − carried + refunded: positive the parent owes, negative
    /// the school owes the parent.
    pub balance_fen: i64,
}

impl Totals {
    pub(crate) fn add(&mut self, e: &ledger_entry::Model) {
        let Some(kind) = LedgerKind::parse(&e.kind) else {
            return;
        };
        match kind {
            LedgerKind::Charge => self.charged_fen += e.amount_fen,
            LedgerKind::Waiver => self.waived_fen += e.amount_fen,
            LedgerKind::Payment => self.paid_fen += e.amount_fen,
            LedgerKind::Refund => self.refunded_fen += e.amount_fen,
            LedgerKind::Transfer => self.carried_fen += e.amount_fen,
        }
        self.balance_fen += kind.effect(Fen(e.amount_fen)).0;
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EntryView {
    pub id: i64,
    /// charge, waiver, payment or refund.
    pub kind: String,
    pub kind_label: &'static str,
    pub amount_fen: i64,
    pub amount: String,
    pub payment_id: Option<i64>,
    pub refund_id: Option<i64>,
    pub waiver_id: Option<i64>,
    pub note: String,
    pub created_at: DateTime<Utc>,
    pub created_label: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LedgerView {
    pub order_id: i64,
    pub order_no: String,
    pub entries: Vec<EntryView>,
    pub totals: Totals,
    /// 待支付 ¥…, 待退还 ¥… or 已结清.
    pub balance_label: String,
}

/// An order whose money the actor may see: its student's guardian, or the school's
/// billing or enrollment staff. Out of scope answers "not found".
pub(crate) async fn readable_order(
    db: &impl ConnectionTrait,
    actor: &Actor,
    order_id: i64,
) -> Result<order::Model> {
    let o = order::Entity::find_by_id(order_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("订单"))?;
    if crate::enrollment::child_of(db, actor, o.student_id)
        .await
        .is_ok()
    {
        return Ok(o);
    }
    for p in [
        kehou_domain::Permission::BillingView,
        kehou_domain::Permission::EnrollmentManage,
    ] {
        if actor.can(p)
            && crate::school::school_for(db, actor, o.school_id, p)
                .await
                .is_ok()
        {
            return Ok(o);
        }
    }
    Err(Error::NotFound("订单"))
}

/// An order's ledger with its totals.
pub async fn of(app: &App, actor: &Actor, order_id: i64) -> Result<LedgerView> {
    let o = readable_order(&app.db, actor, order_id).await?;
    let rows = of_order(&app.db, o.id).await?;
    let mut totals = Totals::default();
    for e in &rows {
        totals.add(e);
    }
    Ok(LedgerView {
        order_id: o.id,
        order_no: o.order_no,
        entries: rows
            .into_iter()
            .map(|e| {
                let kind = LedgerKind::parse(&e.kind).unwrap_or(LedgerKind::Charge);
                EntryView {
                    id: e.id,
                    kind_label: kind.label(),
                    kind: e.kind,
                    amount: Fen(e.amount_fen).to_string(),
                    amount_fen: e.amount_fen,
                    payment_id: e.payment_id,
                    refund_id: e.refund_id,
                    waiver_id: e.waiver_id,
                    note: e.note,
                    created_label: china_label(e.created_at),
                    created_at: e.created_at,
                }
            })
            .collect(),
        balance_label: match totals.balance_fen {
            b if b > 0 => format!("待支付 ¥{}", Fen(b)),
            b if b < 0 => format!("待退还 ¥{}", Fen(-b)),
            _ => "已结清".into(),
        },
        totals,
    })
}
