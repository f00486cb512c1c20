//! Bills (H4): an order is charged by its payment mode — the whole term when placed, a
//! bill each month, or a bill after each month for the lessons held
//! (`kehou_domain::billing::bills`). Each bill is one charge in the ledger naming its
//! period; the database's unique key on (order, period) keeps a bill from being charged
//! twice when two instances run the cycle at once.

use chrono::{DateTime, Utc};
use kehou_domain::Fen;
use kehou_domain::attendance::Mark;
use kehou_domain::billing::{Bill, LedgerKind, LessonFact, PayMode, Presence};
use kehou_domain::enrollment::{EnrollmentStatus, OrderStatus};
use kehou_store::entity::billing::refund_rule;
use kehou_store::entity::enrollment::{enrollment, order};
use kehou_store::sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::ledger::{self, NewEntry};
use crate::platform::jobs;
use crate::{App, Error, Result};

/// The daily job that charges the bills that have come due.
pub const JOB_KIND: &str = "billing_cycle";

/// How a course of the term is paid: its fee rules' mode, the whole term when it has
/// none.
pub(crate) async fn mode_for_item(db: &impl ConnectionTrait, item_id: i64) -> Result<PayMode> {
    Ok(refund_rule::Entity::find()
        .filter(refund_rule::Column::ItemId.eq(item_id))
        .one(db)
        .await?
        .and_then(|r| PayMode::parse(&r.pay_mode))
        .unwrap_or_default())
}

pub(crate) fn mode_of(o: &order::Model) -> PayMode {
    PayMode::parse(&o.pay_mode).unwrap_or_default()
}

/// The class's dated lessons from the day the order was placed on, each held once it
/// has started. Attendance comes with the attendance issue: until then a held lesson
/// counts as attended.
pub(crate) async fn lessons_of(
    app: &App,
    db: &impl ConnectionTrait,
    o: &order::Model,
    class_id: Option<i64>,
) -> Result<Vec<LessonFact>> {
    let Some(class_id) = class_id else {
        return Ok(Vec::new());
    };
    let from = o
        .created_at
        .with_timezone(&crate::platform::clock::china())
        .date_naive();
    let now = app.local_now();
    let lessons: Vec<_> = crate::teaching::lesson::dated(db, class_id)
        .await?
        .into_iter()
        .filter(|(_, date, _)| *date >= from)
        .collect();
    // The roll call says who missed a lesson, on leave or not; unmarked counts as there.
    let ids: Vec<i64> = lessons.iter().map(|(id, _, _)| *id).collect();
    let marks = crate::attendance::roll::marks_of_student(db, o.student_id, &ids).await?;
    Ok(lessons
        .into_iter()
        .map(|(id, date, start)| {
            let held = date.and_time(start) <= now;
            let presence = match marks.get(&id) {
                Some(Mark::Leave) => Presence::Leave,
                Some(Mark::Absent) => Presence::Absent,
                _ => Presence::Attended,
            };
            LessonFact {
                date,
                held,
                presence: held.then_some(presence),
            }
        })
        .collect())
}

/// Charges the bills of `o` due by today that are not charged yet, in the caller's
/// transaction; returns them.
pub(crate) async fn charge_due(
    db: &impl ConnectionTrait,
    o: &order::Model,
    due: &[Bill],
    now: DateTime<Utc>,
) -> Result<Vec<Bill>> {
    let charged: Vec<String> = ledger::of_order(db, o.id)
        .await?
        .into_iter()
        .filter(|e| e.kind == LedgerKind::Charge.code() && e.amount_fen > 0)
        .map(|e| e.period)
        .collect();
    let mut out = Vec::new();
    for b in due {
        if b.amount.0 <= 0 || charged.contains(&b.period) {
            continue;
        }
        ledger::append(
            db,
            NewEntry {
                order: o,
                kind: LedgerKind::Charge,
                amount: b.amount,
                payment_id: None,
                refund_id: None,
                waiver_id: None,
                note: format!("订单 {} 应收：{}", o.order_no, b.label),
                by: None,
                period: b.period.clone(),
            },
            now,
        )
        .await?;
        out.push(b.clone());
    }
    Ok(out)
}

/// The bills of one order due today, charged; the guardians are told of each new one.
async fn cycle_order(app: &App, order_id: i64) -> Result<Option<(Fen, Vec<i64>)>> {
    let txn = kehou_store::begin_write(&app.db).await?;
    let Some(o) = order::Entity::find_by_id(order_id)
        .lock_exclusive()
        .one(&txn)
        .await?
    else {
        return Ok(None);
    };
    let e = enrollment::Entity::find_by_id(o.enrollment_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("报名"))?;
    // Only a running enrollment is billed; an ended one was settled when it ended.
    if e.status != EnrollmentStatus::Confirmed.code() {
        return Ok(None);
    }
    let lessons = lessons_of(app, &txn, &o, e.class_id).await?;
    let due = kehou_domain::billing::bills(
        mode_of(&o),
        Fen(o.course_fee_fen),
        Fen(o.textbook_fee_fen + o.misc_fee_fen),
        &lessons,
        app.today(),
    );
    let now = app.now();
    let new = charge_due(&txn, &o, &due, now).await?;
    if new.is_empty() {
        return Ok(None);
    }
    let amount = Fen(new.iter().map(|b| b.amount.0).sum());
    let what = new
        .iter()
        .map(|b| b.label.as_str())
        .collect::<Vec<_>>()
        .join("、");
    let guardians = crate::enrollment::tell_guardians(
        &txn,
        o.student_id,
        "缴费账单".into(),
        format!(
            "订单 {}（{}）新账单 {} 元：{what}。请在报名记录中缴费。",
            o.order_no,
            crate::enrollment::order::order_view(o.clone())
                .map(|v| v.snapshot.course)
                .unwrap_or_default(),
            amount
        ),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Some((amount, guardians)))
}

/// Charges every bill that has come due: each running order paid by the month or by the
/// lesson, one transaction each.
pub async fn run_cycle(app: &App) -> Result<serde_json::Value> {
    let ids: Vec<i64> = order::Entity::find()
        .filter(order::Column::PayMode.ne(PayMode::Term.code()))
        .filter(
            order::Column::Status.is_in([OrderStatus::Paid.code(), OrderStatus::OnAccount.code()]),
        )
        .order_by_asc(order::Column::Id)
        .all(&app.db)
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    let (mut bills, mut total) = (0usize, 0i64);
    for id in ids {
        if let Some((amount, guardians)) = cycle_order(app, id).await? {
            bills += 1;
            total += amount.0;
            for g in guardians {
                crate::platform::messages::announce(app, g);
            }
        }
    }
    Ok(serde_json::json!({ "orders_billed": bills, "amount_fen": total }))
}

/// Queues today's billing cycle once: what the worker does now and then. Running it twice
/// charges nothing twice.
pub async fn schedule_due(app: &App) -> Result<bool> {
    jobs::enqueue_daily(app, JOB_KIND).await
}
