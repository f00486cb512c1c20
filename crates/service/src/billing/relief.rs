//! Payment reminders (一键催缴, H3) and fee relief (困难家庭减免): the school reminds every
//! guardian with an unpaid order of a term, course or class — at most once a day each —
//! and waives part or all of an unpaid order for a family in difficulty, with the reason
//! and who approved it; the parent then pays only the rest.

use std::collections::BTreeMap;

use chrono::Duration;
use kehou_domain::billing::LedgerKind;
use kehou_domain::enrollment::OrderStatus;
use kehou_domain::{Fen, Permission};
use kehou_store::entity::billing::{fee_waiver, payment, payment_order, payment_reminder};
use kehou_store::entity::enrollment::order;
use kehou_store::entity::school::guardian;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

use super::ledger::{self, NewEntry};
use crate::platform::audit::By;
use crate::platform::messages;
use crate::{Actor, App, Error, Result};

/// A guardian gets at most one reminder in this time.
pub const REMIND_EVERY: Duration = Duration::hours(24);

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RemindInput {
    /// The term; the school's current one when left out.
    pub term_id: Option<i64>,
    /// Only this course's unpaid orders.
    pub offering_item_id: Option<i64>,
    /// Only this class's unpaid orders.
    pub teaching_class_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RemindResult {
    /// Unpaid orders found.
    pub orders: usize,
    /// Guardians reminded now.
    pub reminded: usize,
    /// Guardians left out: reminded within the last day.
    pub skipped_recent: usize,
}

/// Reminds the guardians of unpaid orders (一键催缴).
pub async fn remind(
    app: &App,
    actor: &Actor,
    school_id: i64,
    input: RemindInput,
) -> Result<RemindResult> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::BillingManage).await?;
    let term_id = match input.term_id {
        Some(t) => crate::enrollment::term_row(&app.db, school.id, t).await?.id,
        None => {
            crate::enrollment::current_term(app, &app.db, school.id)
                .await?
                .id
        }
    };
    let now = app.now();
    let mut unpaid = Vec::new();
    for o in order::Entity::find()
        .filter(order::Column::SchoolId.eq(school.id))
        .filter(order::Column::TermId.eq(term_id))
        .filter(order::Column::Status.eq(OrderStatus::PendingPayment.code()))
        .all(&app.db)
        .await?
    {
        let v = crate::enrollment::order::order_view(o.clone())?;
        if input
            .offering_item_id
            .is_some_and(|i| v.snapshot.offering_item_id != i)
            || input.teaching_class_id.is_some()
                && v.snapshot.teaching_class_id != input.teaching_class_id
        {
            continue;
        }
        unpaid.push((o, v));
    }
    // Each guardian once, with every unpaid order of theirs (the guardians in one query).
    let guardians = guardian::Entity::find()
        .filter(guardian::Column::StudentId.is_in(unpaid.iter().map(|(o, _)| o.student_id)))
        .all(&app.db)
        .await?;
    let mut by_guardian: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for (o, v) in &unpaid {
        for g in guardians.iter().filter(|g| g.student_id == o.student_id) {
            by_guardian.entry(g.user_id).or_default().push(format!(
                "{} {} ¥{}{}",
                v.snapshot.student_name,
                v.snapshot.course,
                Fen(o.total_fen),
                v.hold_label
                    .as_deref()
                    .map(|h| format!("（请于 {h} 前支付）"))
                    .unwrap_or_default()
            ));
        }
    }
    let txn = kehou_store::begin_write(&app.db).await?;
    let (mut reminded, mut skipped) = (Vec::new(), 0);
    for (user_id, lines) in by_guardian {
        let recent = payment_reminder::Entity::find()
            .filter(payment_reminder::Column::UserId.eq(user_id))
            .filter(payment_reminder::Column::SchoolId.eq(school.id))
            .filter(payment_reminder::Column::SentAt.gt(now - REMIND_EVERY))
            .one(&txn)
            .await?
            .is_some();
        if recent {
            skipped += 1;
            continue;
        }
        messages::send(
            &txn,
            user_id,
            messages::NewMessage {
                kind: "enrollment",
                title: "缴费提醒".into(),
                body: format!(
                    "{}提醒您：以下报名尚未缴费，逾期名额将自动释放。\n{}",
                    school.name,
                    lines.join("\n")
                ),
                link: Some("/enroll#history".into()),
            },
            now,
        )
        .await?;
        payment_reminder::ActiveModel {
            school_id: Set(school.id),
            term_id: Set(term_id),
            user_id: Set(user_id),
            orders: Set(i32::try_from(lines.len()).unwrap_or(i32::MAX)),
            sent_by: Set(actor.user_id),
            sent_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        reminded.push(user_id);
    }
    super::record(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "billing.remind",
        ("school", school.id),
        format!(
            "一键催缴：{} 笔未缴订单，提醒 {} 位家长，{} 位今日已提醒",
            unpaid.len(),
            reminded.len(),
            skipped
        ),
    )
    .await?;
    txn.commit().await?;
    for u in &reminded {
        messages::announce(app, *u);
    }
    Ok(RemindResult {
        orders: unpaid.len(),
        reminded: reminded.len(),
        skipped_recent: skipped,
    })
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct WaiverInput {
    /// The amount waived in fen: at most what the order still owes.
    pub amount_fen: i64,
    /// Why (at most 200 characters), e.g. 低保家庭.
    pub reason: String,
    /// Who approved it (at most 50 characters), e.g. 校长 王某.
    pub approved_by: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WaiverView {
    pub id: i64,
    pub order_id: i64,
    pub amount_fen: i64,
    pub amount: String,
    pub reason: String,
    pub approved_by: String,
    /// What the parent still pays.
    pub left_fen: i64,
    pub left: String,
}

/// Waives part or all of an unpaid order (困难家庭减免). Fully waived, the enrollment is
/// confirmed at once.
pub async fn waive(
    app: &App,
    actor: &Actor,
    order_id: i64,
    input: WaiverInput,
) -> Result<WaiverView> {
    actor.require(Permission::BillingManage)?;
    let o = order::Entity::find_by_id(order_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("订单"))?;
    let school = crate::school::school_for(&app.db, actor, o.school_id, Permission::BillingManage)
        .await
        .map_err(|_| Error::NotFound("订单"))?;
    let mut invalid = kehou_domain::Invalid::default();
    let reason = kehou_domain::field::required_text(&input.reason, 200)
        .map_err(|m| invalid.push("reason", m))
        .ok();
    let approved_by = kehou_domain::field::required_text(&input.approved_by, 50)
        .map_err(|m| invalid.push("approved_by", m))
        .ok();
    if input.amount_fen <= 0 {
        invalid.push("amount_fen", "减免金额应大于0");
    }
    crate::platform::error::check(invalid)?;
    let (Some(reason), Some(approved_by)) = (reason, approved_by) else {
        return Err(Error::invalid("reason", "请填写减免原因"));
    };
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let o = order::Entity::find_by_id(order_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("订单"))?;
    if o.status != OrderStatus::PendingPayment.code() {
        return Err(Error::conflict("只有待支付的订单可以减免"));
    }
    // A payment at the channel for the old amount would take too much.
    let open: Vec<i64> = payment_order::Entity::find()
        .filter(payment_order::Column::OrderId.eq(o.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|l| l.payment_id)
        .collect();
    let paying = payment::Entity::find()
        .filter(payment::Column::Id.is_in(open))
        .filter(payment::Column::Status.eq("created"))
        .filter(payment::Column::ExpiresAt.gt(now))
        .one(&txn)
        .await?
        .is_some();
    if paying {
        return Err(Error::conflict(
            "家长正在支付这笔订单，请待支付单关闭后再减免",
        ));
    }
    let owed = ledger::balance(&txn, o.id).await?;
    if input.amount_fen > owed.0 {
        return Err(Error::conflict_on(
            "amount_fen",
            format!("减免金额不能超过待付金额 {owed}"),
        ));
    }
    let w = fee_waiver::ActiveModel {
        school_id: Set(o.school_id),
        term_id: Set(o.term_id),
        order_id: Set(o.id),
        student_id: Set(o.student_id),
        amount_fen: Set(input.amount_fen),
        reason: Set(reason.clone()),
        approved_by: Set(approved_by.clone()),
        created_by: Set(actor.user_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    ledger::append(
        &txn,
        NewEntry {
            order: &o,
            kind: LedgerKind::Waiver,
            amount: Fen(input.amount_fen),
            payment_id: None,
            refund_id: None,
            waiver_id: Some(w.id),
            note: format!("困难家庭减免：{reason}（{approved_by}批准）"),
            by: Some(actor.user_id),
            period: String::new(),
        },
        now,
    )
    .await?;
    let left = owed.0 - input.amount_fen;
    if left == 0 {
        crate::enrollment::order::paid(&txn, &o, now).await?;
    }
    super::record(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "billing.waive",
        ("order", o.id),
        format!(
            "订单 {} 减免 {} 元（{reason}，{approved_by}批准），尚需支付 {} 元",
            o.order_no,
            Fen(input.amount_fen),
            Fen(left)
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(WaiverView {
        id: w.id,
        order_id: o.id,
        amount_fen: w.amount_fen,
        amount: Fen(w.amount_fen).to_string(),
        reason,
        approved_by,
        left_fen: left,
        left: Fen(left).to_string(),
    })
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ExtendInput {
    /// The new deadline, `YYYY-MM-DD HH:MM` China time: later than now and than the
    /// current one, at most 30 days ahead.
    pub until: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ExtendView {
    pub order_id: i64,
    pub hold_until: chrono::DateTime<chrono::Utc>,
    pub hold_label: String,
}

/// The school extends an unpaid order's deadline (延期缴费); the guardians are told.
pub async fn extend(
    app: &App,
    actor: &Actor,
    order_id: i64,
    input: ExtendInput,
) -> Result<ExtendView> {
    actor.require(Permission::BillingManage)?;
    let o = order::Entity::find_by_id(order_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("订单"))?;
    let school = crate::school::school_for(&app.db, actor, o.school_id, Permission::BillingManage)
        .await
        .map_err(|_| Error::NotFound("订单"))?;
    let now = app.now();
    let until = crate::platform::clock::parse_china(&input.until)
        .filter(|_| input.until.chars().count() <= 25)
        .ok_or_else(|| Error::invalid("until", "时间格式应为 YYYY-MM-DD HH:MM"))?;
    if until <= now {
        return Err(Error::invalid("until", "新的缴费期限应晚于现在"));
    }
    if until > now + Duration::days(30) {
        return Err(Error::invalid("until", "缴费期限最多延至30天后"));
    }
    let txn = kehou_store::begin_write(&app.db).await?;
    let o = order::Entity::find_by_id(order_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("订单"))?;
    if o.status != OrderStatus::PendingPayment.code() {
        return Err(Error::conflict("只有待支付的订单可以延期"));
    }
    if o.hold_until.is_some_and(|h| until <= h) {
        return Err(Error::invalid("until", "新的缴费期限应晚于原期限"));
    }
    crate::enrollment::order::extend_hold(&txn, &o, until, now).await?;
    let label = crate::platform::clock::china_label(until);
    let told = crate::enrollment::tell_guardians(
        &txn,
        o.student_id,
        "缴费期限已延长".into(),
        format!(
            "订单 {} 的缴费期限已延至 {label}，名额为您保留到那时。",
            o.order_no
        ),
        now,
    )
    .await?;
    super::record(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "billing.extend",
        ("order", o.id),
        format!("订单 {} 缴费期限延至 {label}", o.order_no),
    )
    .await?;
    txn.commit().await?;
    for u in told {
        messages::announce(app, u);
    }
    Ok(ExtendView {
        order_id: o.id,
        hold_until: until,
        hold_label: label,
    })
}
