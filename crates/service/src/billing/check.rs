//! The invariants of money, verified on a whole database (`kehou check`): every order's
//! balance (charged − waived − paid + refunded) is what its state says — what it owes
//! while unpaid, nothing once settled, counting refunds under way as back; an order is
//! paid at most once (a second payment is refunded); refunds of an order's payment never
//! exceed what it received (or had carried in from another order); a finished refund has exactly one ledger row, an unfinished
//! one none; a paid payment's ledger rows add up to its amount.

use std::collections::HashMap;

use kehou_domain::billing::{LedgerKind, PayMode, PaymentStatus, RefundStatus};
use kehou_domain::enrollment::OrderStatus;
use kehou_store::entity::billing::{ledger_entry, payment, payment_order, refund};
use kehou_store::entity::enrollment::order;
use kehou_store::sea_orm::{ConnectionTrait, EntityTrait};

use super::ledger::Totals;
use crate::Result;
use crate::enrollment::check::Violation;

pub async fn run(db: &impl ConnectionTrait) -> Result<Vec<Violation>> {
    let mut out = Vec::new();
    let orders = order::Entity::find().all(db).await?;
    let entries = ledger_entry::Entity::find().all(db).await?;
    let refunds = refund::Entity::find().all(db).await?;
    let payments: HashMap<i64, payment::Model> = payment::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let links = payment_order::Entity::find().all(db).await?;

    let mut totals: HashMap<i64, Totals> = HashMap::new();
    for e in &entries {
        totals.entry(e.order_id).or_default().add(e);
    }
    let mut under_way: HashMap<i64, i64> = HashMap::new();
    let mut late: HashMap<i64, usize> = HashMap::new();
    let mut claimed: HashMap<(i64, i64), i64> = HashMap::new();
    for r in &refunds {
        let status = RefundStatus::parse(&r.status);
        if !status.is_some_and(RefundStatus::finished) {
            *under_way.entry(r.order_id).or_default() += r.amount_fen;
        }
        if r.source == super::refund::Source::LatePayment.code() {
            *late.entry(r.order_id).or_default() += 1;
        }
        *claimed.entry((r.order_id, r.payment_id)).or_default() += r.amount_fen;
        let rows = entries
            .iter()
            .filter(|e| e.kind == LedgerKind::Refund.code() && e.refund_id == Some(r.id))
            .count();
        let want = usize::from(status.is_some_and(RefundStatus::finished));
        if rows != want {
            out.push(Violation {
                rule: "refund_ledger",
                detail: format!("退款单 {}（{}）有 {rows} 条退款流水", r.refund_no, r.status),
            });
        }
    }
    // Each bill (a positive charge) may be paid by a payment of its own.
    let mut bills_of: HashMap<i64, usize> = HashMap::new();
    for e in entries
        .iter()
        .filter(|e| e.kind == LedgerKind::Charge.code() && e.amount_fen > 0)
    {
        *bills_of.entry(e.order_id).or_default() += 1;
    }
    let mut received: HashMap<(i64, i64), i64> = HashMap::new();
    let mut payments_of: HashMap<i64, usize> = HashMap::new();
    let mut by_payment: HashMap<i64, i64> = HashMap::new();
    for e in entries.iter() {
        let carried = e.kind == LedgerKind::Transfer.code();
        if e.kind != LedgerKind::Payment.code() && !carried {
            continue;
        }
        // Money carried to another order still goes back by the payment it came by.
        if let Some(p) = e.payment_id {
            *received.entry((e.order_id, p)).or_default() += e.amount_fen;
            if !carried {
                *by_payment.entry(p).or_default() += e.amount_fen;
            }
        }
        if !carried {
            *payments_of.entry(e.order_id).or_default() += 1;
        }
    }
    for ((order_id, payment_id), amount) in &claimed {
        let got = received
            .get(&(*order_id, *payment_id))
            .copied()
            .unwrap_or(0);
        if *amount > got {
            out.push(Violation {
                rule: "refund_exceeds",
                detail: format!("订单 {order_id} 的退款 {amount} 分超过实收 {got} 分"),
            });
        }
    }
    for o in &orders {
        let t = totals.get(&o.id).copied().unwrap_or_default();
        let settled = t.balance_fen + under_way.get(&o.id).copied().unwrap_or(0);
        let status = OrderStatus::parse(&o.status);
        let by_bills = super::bill::mode_of(o) != PayMode::Term;
        let ok = match status {
            Some(OrderStatus::PendingPayment) if by_bills => t.paid_fen == 0 && settled >= 0,
            Some(OrderStatus::PendingPayment) => {
                t.paid_fen == 0 && settled == o.total_fen - t.waived_fen - t.carried_fen
            }
            // Paid by the month or by the lesson: bills may be open, never more charged
            // than the order's total.
            _ if by_bills => settled >= 0 && t.charged_fen <= o.total_fen,
            _ => settled == 0,
        };
        if !ok {
            out.push(Violation {
                rule: "balance",
                detail: format!(
                    "订单 {}（{}）应收 {} 减免 {} 实收 {} 已退 {} 退款中 {}，余额不符",
                    o.order_no,
                    o.status,
                    t.charged_fen,
                    t.waived_fen,
                    t.paid_fen,
                    t.refunded_fen,
                    under_way.get(&o.id).copied().unwrap_or(0)
                ),
            });
        }
        let n = payments_of.get(&o.id).copied().unwrap_or(0);
        let bills = if by_bills {
            bills_of.get(&o.id).copied().unwrap_or(0)
        } else {
            1
        };
        if n > bills + late.get(&o.id).copied().unwrap_or(0) {
            out.push(Violation {
                rule: "paid_once",
                detail: format!("订单 {} 收款 {n} 次而未退回多余的款项", o.order_no),
            });
        }
        // A paid order was paid, or waived in full.
        if status == Some(OrderStatus::Paid)
            && n == 0
            && t.waived_fen + t.carried_fen < t.charged_fen
        {
            out.push(Violation {
                rule: "paid_once",
                detail: format!("订单 {} 已支付却没有收款流水", o.order_no),
            });
        }
    }
    for p in payments.values() {
        let in_ledger = by_payment.get(&p.id).copied().unwrap_or(0);
        let linked: i64 = links
            .iter()
            .filter(|l| l.payment_id == p.id)
            .map(|l| l.amount_fen)
            .sum();
        if linked != p.amount_fen {
            out.push(Violation {
                rule: "payment",
                detail: format!(
                    "支付单 {} 的订单金额合计 {linked} 分不等于 {} 分",
                    p.payment_no, p.amount_fen
                ),
            });
        }
        let paid = p.status == PaymentStatus::Paid.code();
        if (paid && in_ledger != p.amount_fen) || (!paid && in_ledger != 0) {
            out.push(Violation {
                rule: "payment",
                detail: format!(
                    "支付单 {}（{}）的收款流水 {in_ledger} 分与金额 {} 分不符",
                    p.payment_no, p.status, p.amount_fen
                ),
            });
        }
    }
    Ok(out)
}
