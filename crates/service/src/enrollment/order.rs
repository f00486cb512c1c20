//! Orders and the enrollment history (F5, F8, H4's seat hold): each accepted item's order
//! with its snapshot; a parent's history of this and past terms; cancelling an unpaid
//! order, dropping a confirmed enrollment in the drop window; and the durable job that
//! releases an unpaid order's seat when its hold runs out and offers it to the waitlist.

use chrono::{DateTime, Utc};
use kehou_domain::enrollment::{EnrollmentStatus, OrderStatus, WindowKind};
use kehou_domain::{Fen, Permission};
use kehou_store::entity::enrollment::{enrollment, order};
use kehou_store::entity::platform::job;
use kehou_store::entity::school::{student, term};
use kehou_store::sea_orm::sea_query::Expr;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

use super::select::{Snapshot, end_enrollment};
use super::{child_of, grade_of, record, term_rules};
use crate::platform::audit::By;
use crate::platform::clock::china_label;
use crate::platform::jobs::Progress;
use crate::{Actor, App, Error, Result};

/// The job that releases an unpaid order's seat when its hold ends.
pub const HOLD_JOB_KIND: &str = "seat_hold";

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderView {
    pub id: i64,
    pub order_no: String,
    pub student_id: i64,
    pub enrollment_id: i64,
    /// pending_payment, paid, free, on_account, expired or cancelled.
    pub status: String,
    pub status_label: &'static str,
    pub course_fee_fen: i64,
    pub textbook_fee_fen: i64,
    pub misc_fee_fen: i64,
    pub total_fen: i64,
    /// The amounts in yuan, for reading.
    pub price: String,
    pub course_fee: String,
    pub textbook_fee: String,
    pub misc_fee: String,
    pub total: String,
    /// term, monthly or per_lesson; and how that is paid, in words.
    pub pay_mode: String,
    pub pay_mode_label: &'static str,
    pub pay_mode_rule: &'static str,
    pub hold_until: Option<DateTime<Utc>>,
    pub hold_label: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_label: String,
    /// What was bought, as it was then.
    pub snapshot: Snapshot,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EnrollmentView {
    pub id: i64,
    pub student_id: i64,
    pub term_id: i64,
    pub term: String,
    pub offering_item_id: i64,
    pub teaching_class_id: Option<i64>,
    pub course: String,
    pub class_name: Option<String>,
    /// pending_payment, confirmed, dropped, expired or cancelled.
    pub status: String,
    pub status_label: &'static str,
    /// parent, school or waitlist.
    pub source: String,
    pub created_label: String,
    pub ended_label: Option<String>,
    pub end_reason: Option<String>,
    /// An unpaid order may be cancelled.
    pub can_cancel: bool,
    /// A confirmed enrollment may be dropped while a drop window is open (the school
    /// reviews the request) — not while a request waits.
    pub can_drop: bool,
    /// The latest drop request, if the parent made one.
    pub drop_request: Option<super::drops::DropBrief>,
    /// The parent may ask to move it to another class (调班) or course (调课): confirmed,
    /// in a class, a drop window open, no request waiting.
    pub can_change: bool,
    /// The latest change request, if the parent made one.
    pub change_request: Option<super::change::EnrollmentChangeView>,
    pub order: Option<OrderView>,
    /// The order's money: totals from the ledger, the payment that paid it, its refunds.
    pub money: Option<crate::billing::ledger::Money>,
    /// What dropping now would refund, explained: for a paid enrollment that may be
    /// dropped, in the parent's history.
    pub refund_preview: Option<kehou_domain::billing::RefundComputation>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct DropInput {
    /// Why, in the parent's words (at most 200 characters).
    pub reason: Option<String>,
}

pub(crate) fn order_view(o: order::Model) -> Result<OrderView> {
    let snapshot: Snapshot = serde_json::from_str(&o.snapshot)
        .map_err(|e| Error::Internal(format!("订单 {} 的快照无法读取：{e}", o.id)))?;
    let status = OrderStatus::parse(&o.status).unwrap_or(OrderStatus::Cancelled);
    let mode = crate::billing::bill::mode_of(&o);
    Ok(OrderView {
        id: o.id,
        order_no: o.order_no,
        student_id: o.student_id,
        enrollment_id: o.enrollment_id,
        status: o.status,
        status_label: status.label(),
        course_fee_fen: o.course_fee_fen,
        textbook_fee_fen: o.textbook_fee_fen,
        misc_fee_fen: o.misc_fee_fen,
        total_fen: o.total_fen,
        price: Fen(snapshot.price_fen).to_string(),
        course_fee: Fen(o.course_fee_fen).to_string(),
        textbook_fee: Fen(o.textbook_fee_fen).to_string(),
        misc_fee: Fen(o.misc_fee_fen).to_string(),
        total: Fen(o.total_fen).to_string(),
        pay_mode_label: mode.label(),
        pay_mode_rule: mode.describe(),
        pay_mode: o.pay_mode,
        hold_label: (status == OrderStatus::PendingPayment)
            .then(|| o.hold_until.map(china_label))
            .flatten(),
        hold_until: o.hold_until,
        created_label: china_label(o.created_at),
        created_at: o.created_at,
        snapshot,
    })
}

/// An order its student's guardian or the school's enrollment managers may read.
pub async fn get(app: &App, actor: &Actor, order_id: i64) -> Result<OrderView> {
    let o = order::Entity::find_by_id(order_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("订单"))?;
    if child_of(&app.db, actor, o.student_id).await.is_err() {
        crate::school::school_for(&app.db, actor, o.school_id, Permission::EnrollmentManage)
            .await
            .map_err(|_| Error::NotFound("订单"))?;
    }
    order_view(o)
}

/// The enrollments with their first order, newest first.
pub(crate) async fn views(
    app: &App,
    db: &impl ConnectionTrait,
    rows: Vec<enrollment::Model>,
) -> Result<Vec<EnrollmentView>> {
    let ids: Vec<i64> = rows.iter().map(|e| e.id).collect();
    let orders = order::Entity::find()
        .filter(order::Column::EnrollmentId.is_in(ids.clone()))
        .order_by_asc(order::Column::Id)
        .all(db)
        .await?;
    let terms = term::Entity::find()
        .filter(term::Column::Id.is_in(rows.iter().map(|e| e.term_id)))
        .all(db)
        .await?;
    let requests = super::drops::latest_of(db, &ids).await?;
    let mut changes = super::change::latest_of(db, &ids).await?;
    let order_ids: Vec<i64> = orders.iter().map(|o| o.id).collect();
    let mut money = crate::billing::ledger::money_of(db, &order_ids).await?;
    let now = app.now();
    // Whether a drop window is open for each student's grade: the rules once per term,
    // the grades in one query (a school's roster holds thousands of rows).
    let students = student::Entity::find()
        .filter(student::Column::Id.is_in(rows.iter().map(|e| e.student_id)))
        .all(db)
        .await?;
    let grades = super::grades_of(db, &students).await?;
    let mut rules: std::collections::HashMap<(i64, i64), super::TermRules> = Default::default();
    for e in &rows {
        if let std::collections::hash_map::Entry::Vacant(slot) =
            rules.entry((e.school_id, e.term_id))
        {
            slot.insert(term_rules(db, e.school_id, e.term_id).await?);
        }
    }
    let drop_open = |e: &enrollment::Model| {
        rules.get(&(e.school_id, e.term_id)).is_some_and(|r| {
            r.open_window(grades.get(&e.student_id).copied(), now, |k| {
                k == WindowKind::Drop
            })
            .is_some()
        })
    };
    let mut out = Vec::with_capacity(rows.len());
    for e in rows {
        let o = orders.iter().find(|o| o.enrollment_id == e.id).cloned();
        let o = o.map(order_view).transpose()?;
        let m = o.as_ref().and_then(|o| money.remove(&o.id));
        let status = EnrollmentStatus::parse(&e.status).unwrap_or(EnrollmentStatus::Cancelled);
        let t = terms.iter().find(|t| t.id == e.term_id);
        let by_school = e.source == "school";
        let drop_request = requests.get(&e.id).cloned();
        let change_request = changes.remove(&e.id);
        let waiting = drop_request.as_ref().is_some_and(|r| r.status == "pending")
            || change_request
                .as_ref()
                .is_some_and(|r| r.status == "pending");
        let droppable = drop_open(&e);
        let can_change =
            status == EnrollmentStatus::Confirmed && !waiting && droppable && e.class_id.is_some();
        out.push(EnrollmentView {
            id: e.id,
            student_id: e.student_id,
            term_id: e.term_id,
            term: t
                .map(|t| format!("{} {}", t.school_year, t.name))
                .unwrap_or_default(),
            offering_item_id: e.item_id,
            teaching_class_id: e.class_id,
            course: o
                .as_ref()
                .map(|o| o.snapshot.course.clone())
                .unwrap_or_default(),
            class_name: o.as_ref().and_then(|o| o.snapshot.class_name.clone()),
            status: e.status.clone(),
            status_label: status.label(),
            source: e.source,
            created_label: china_label(e.created_at),
            ended_label: e.ended_at.map(china_label),
            end_reason: e.end_reason,
            can_cancel: status == EnrollmentStatus::PendingPayment,
            can_drop: status == EnrollmentStatus::Confirmed && !waiting && (by_school || droppable),
            drop_request,
            can_change,
            change_request,
            order: o,
            money: m,
            refund_preview: None,
        });
    }
    Ok(out)
}

/// Ends an active enrollment in the caller's transaction: its state, its open orders, its
/// seat in the class, any drop request still waiting, and — for a paid order — the refund
/// its course's rule gives (a job hands it to the channel). Returns it and the class whose
/// seat freed, to be offered to the waitlist once committed.
pub(crate) async fn release(
    txn: &impl ConnectionTrait,
    app: &App,
    by: Option<&Actor>,
    e: enrollment::Model,
    to: EnrollmentStatus,
    reason: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(enrollment::Model, Option<i64>)> {
    let class_id = e.class_id;
    let student_id = e.student_id;
    crate::billing::refund::for_drop(txn, app, e.id, by).await?;
    let e = end_enrollment(txn, e, to, reason, now).await?;
    close_orders(txn, app, e.id, OrderStatus::Cancelled, now).await?;
    if let Some(c) = class_id {
        crate::teaching::class::leave(txn, c, student_id).await?;
    }
    super::drops::settle(txn, e.id, reason, now).await?;
    Ok((e, class_id))
}

/// A child's enrollments of every term, newest first (F8).
pub async fn history(app: &App, actor: &Actor, student_id: i64) -> Result<Vec<EnrollmentView>> {
    let child = child_of(&app.db, actor, student_id).await?;
    let rows = enrollment::Entity::find()
        .filter(enrollment::Column::StudentId.eq(child.id))
        .order_by_desc(enrollment::Column::Id)
        .all(&app.db)
        .await?;
    let mut out = views(app, &app.db, rows).await?;
    // Before asking to drop a paid course, the parent sees what would come back.
    for v in out.iter_mut().filter(|v| v.can_drop) {
        let Some(o) = v.order.as_ref().filter(|o| {
            o.status == OrderStatus::Paid.code() || o.status == OrderStatus::OnAccount.code()
        }) else {
            continue;
        };
        if let Some(model) = order::Entity::find_by_id(o.id).one(&app.db).await? {
            let (c, _) = crate::billing::refund::compute_for(app, &app.db, &model).await?;
            v.refund_preview = Some(c);
        }
    }
    Ok(out)
}

/// A guardian withdraws an enrollment: an unpaid one is cancelled at any time; a
/// confirmed one is dropped (已退课) while a drop window is open. The seat goes to the
/// waitlist. The enrollment and its order stay, with their history.
pub async fn drop(
    app: &App,
    actor: &Actor,
    enrollment_id: i64,
    input: DropInput,
) -> Result<EnrollmentView> {
    let (e, child) = super::own_enrollment(&app.db, actor, enrollment_id).await?;
    let reason = match input.reason.as_deref().map(str::trim) {
        None | Some("") => "家长退课".to_string(),
        Some(r) => {
            kehou_domain::field::required_text(r, 200).map_err(|m| Error::invalid("reason", m))?
        }
    };
    let txn = kehou_store::begin_write(&app.db).await?;
    let e = super::lock_enrollment(&txn, child.id, e.id).await?;
    let status = EnrollmentStatus::parse(&e.status).unwrap_or(EnrollmentStatus::Cancelled);
    let now = app.now();
    let to = match status {
        EnrollmentStatus::PendingPayment => EnrollmentStatus::Cancelled,
        // A selection the school made is declined at any time.
        EnrollmentStatus::Confirmed if e.source == "school" => EnrollmentStatus::Dropped,
        EnrollmentStatus::Confirmed => {
            let grade = grade_of(&txn, &child).await?;
            let rules = term_rules(&txn, e.school_id, e.term_id).await?;
            let drop = |k: WindowKind| k == WindowKind::Drop;
            if rules.open_window(grade, now, drop).is_none() {
                return Err(Error::conflict(format!(
                    "不在退课时间内。{}",
                    rules.when(grade, drop)
                )));
            }
            // The school reviews a drop of a confirmed enrollment (its refund follows).
            super::drops::request(&txn, app, actor, &e, &child, &reason, now).await?;
            txn.commit().await?;
            return views(app, &app.db, vec![e])
                .await?
                .pop()
                .ok_or(Error::NotFound("报名"));
        }
        other => {
            return Err(Error::conflict(format!("报名{}，不能再退", other.label())));
        }
    };
    let (e, class_id) = release(&txn, app, Some(actor), e, to, &reason, now).await?;
    let school = crate::system::load_any_school(&txn, e.school_id).await?;
    record(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        if to == EnrollmentStatus::Dropped {
            "enrollment.drop"
        } else {
            "enrollment.cancel"
        },
        ("enrollment", e.id),
        format!("学生 {} {}：{}", child.name, to.label(), reason),
    )
    .await?;
    txn.commit().await?;
    if let Some(c) = class_id {
        super::waitlist::offer_seats(app, c).await?;
    }
    views(app, &app.db, vec![e])
        .await?
        .pop()
        .ok_or(Error::NotFound("报名"))
}

/// Moves the unpaid orders of an enrollment to `to`; money a course change carried into
/// one goes back to the parent.
pub(crate) async fn close_orders(
    db: &impl ConnectionTrait,
    app: &App,
    enrollment_id: i64,
    to: OrderStatus,
    now: DateTime<Utc>,
) -> Result<()> {
    for o in order::Entity::find()
        .filter(order::Column::EnrollmentId.eq(enrollment_id))
        .filter(order::Column::Status.eq(OrderStatus::PendingPayment.code()))
        .all(db)
        .await?
    {
        crate::billing::ledger::give_up(db, &o, &format!("订单{}，不再应收", to.label()), now)
            .await?;
        crate::billing::refund::return_carried(db, app, &o).await?;
        let mut m = o.into_active_model();
        m.status = Set(to.code().into());
        m.updated_at = Set(now);
        m.update(db).await?;
    }
    Ok(())
}

/// Releases an unpaid order's seat if its hold has run out: the order expires, the
/// enrollment with it. Answers the class whose seat came free. Safe to run twice and from
/// several instances: the order's row is locked and its state checked.
pub(crate) async fn expire(app: &App, order_id: i64) -> Result<Option<i64>> {
    let txn = kehou_store::begin_write(&app.db).await?;
    let Some(o) = order::Entity::find_by_id(order_id)
        .lock_exclusive()
        .one(&txn)
        .await?
    else {
        return Ok(None);
    };
    let now = app.now();
    if o.status != OrderStatus::PendingPayment.code() || o.hold_until.is_none_or(|h| h > now) {
        return Ok(None);
    }
    let e = enrollment::Entity::find_by_id(o.enrollment_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("报名"))?;
    let class_id = e.class_id;
    let student_id = e.student_id;
    let e = end_enrollment(
        &txn,
        e,
        EnrollmentStatus::Expired,
        "超时未支付，名额已释放",
        now,
    )
    .await?;
    close_orders(&txn, app, e.id, OrderStatus::Expired, now).await?;
    let school = crate::system::load_any_school(&txn, o.school_id).await?;
    record(
        &txn,
        app,
        &By::system(),
        (school.id, &school.path),
        "enrollment.expire",
        ("enrollment", e.id),
        format!(
            "订单 {} 超时未支付，学生 {} 的名额已释放",
            o.order_no, student_id
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(class_id)
}

/// The seat-hold job: expire the order, then offer the seat.
pub(crate) async fn run_hold_job(
    app: &App,
    held: &job::Model,
    progress: &Progress,
) -> Result<serde_json::Value> {
    let params: serde_json::Value = serde_json::from_str(&held.params)
        .map_err(|e| Error::Internal(format!("任务参数：{e}")))?;
    let order_id = params
        .get("order_id")
        .and_then(serde_json::Value::as_i64)
        .ok_or_else(|| Error::Internal("任务参数缺少 order_id".into()))?;
    progress.stage("释放名额", 1);
    // A payment made at the last moment settles the order instead; the channel down, the
    // job tries again later.
    crate::billing::payment::before_expiry(app, order_id).await?;
    let freed = expire(app, order_id).await?;
    let offered = match freed {
        Some(c) => super::waitlist::offer_seats(app, c).await?,
        None => 0,
    };
    progress.advance(1);
    Ok(serde_json::json!({ "order_id": order_id, "released": freed.is_some(), "offered": offered }))
}

/// The order's money arrived: it is paid and its enrollment confirmed, in the caller's
/// transaction (which holds the order's row). `false` when the enrollment no longer waits.
pub(crate) async fn paid(
    db: &impl ConnectionTrait,
    o: &order::Model,
    now: DateTime<Utc>,
) -> Result<bool> {
    let Some(e) = enrollment::Entity::find_by_id(o.enrollment_id)
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    if e.status != EnrollmentStatus::PendingPayment.code() {
        return Ok(false);
    }
    let mut m = o.clone().into_active_model();
    m.status = Set(OrderStatus::Paid.code().into());
    m.hold_until = Set(None);
    m.updated_at = Set(now);
    m.update(db).await?;
    // The seat the unpaid order held becomes the student's place in the class.
    if let Some(c) = e.class_id {
        crate::teaching::class::enter(db, c, e.student_id, now).await?;
    }
    let mut m = e.into_active_model();
    m.status = Set(EnrollmentStatus::Confirmed.code().into());
    m.updated_at = Set(now);
    m.update(db).await?;
    Ok(true)
}

/// The school gives an unpaid order more time to be paid (延期缴费), in the caller's
/// transaction: its hold moves to `until` and a new hold job waits for it (the old one
/// finds the hold not yet over and leaves the order alone).
pub(crate) async fn extend_hold(
    db: &impl ConnectionTrait,
    o: &order::Model,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut m = o.clone().into_active_model();
    m.hold_until = Set(Some(until));
    m.updated_at = Set(now);
    m.update(db).await?;
    crate::platform::jobs::enqueue_at(
        db,
        now,
        until,
        crate::platform::jobs::NewJob {
            kind: HOLD_JOB_KIND,
            org_id: Some(o.school_id),
            user_id: None,
            membership_id: None,
            ip: None,
            params: serde_json::json!({ "order_id": o.id }),
            input: None,
            max_attempts: 5,
        },
    )
    .await?;
    Ok(())
}

/// The school moved a student to another class of the same course (调班): the confirmed
/// enrollment follows them, in the caller's transaction; its order and money are the same.
pub(crate) async fn class_moved(
    db: &impl ConnectionTrait,
    from_class: i64,
    to_class: i64,
    student_id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    enrollment::Entity::update_many()
        .col_expr(enrollment::Column::ClassId, Expr::value(Some(to_class)))
        .col_expr(enrollment::Column::UpdatedAt, Expr::value(now))
        .filter(enrollment::Column::ClassId.eq(from_class))
        .filter(enrollment::Column::StudentId.eq(student_id))
        .filter(enrollment::Column::Status.eq(EnrollmentStatus::Confirmed.code()))
        .exec(db)
        .await?;
    Ok(())
}

/// The school took a student out of a class by hand: the confirmed enrollment that put
/// them there is dropped, in the caller's transaction.
pub(crate) async fn class_left(
    db: &impl ConnectionTrait,
    class_id: i64,
    student_id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    for e in enrollment::Entity::find()
        .filter(enrollment::Column::ClassId.eq(class_id))
        .filter(enrollment::Column::StudentId.eq(student_id))
        .filter(enrollment::Column::Status.eq(EnrollmentStatus::Confirmed.code()))
        .all(db)
        .await?
    {
        let reason = "学校将学生移出教学班";
        let e = end_enrollment(db, e, EnrollmentStatus::Dropped, reason, now).await?;
        super::drops::settle(db, e.id, reason, now).await?;
    }
    Ok(())
}

/// What enrollment holds about a guardian, for their personal-data export: their
/// children's enrollments, and the orders placed by them or for their children.
/// `children` names the children by id.
pub(crate) async fn personal_data_of(
    db: &impl ConnectionTrait,
    user_id: i64,
    children: &std::collections::HashMap<i64, String>,
) -> Result<(Vec<serde_json::Value>, Vec<serde_json::Value>)> {
    use crate::platform::clock::china_time;
    use serde_json::json;
    let enrollments = enrollment::Entity::find()
        .filter(enrollment::Column::StudentId.is_in(children.keys().copied()))
        .order_by_asc(enrollment::Column::Id)
        .all(db)
        .await?;
    let classes: std::collections::HashMap<i64, String> =
        crate::teaching::class::by_ids(db, enrollments.iter().filter_map(|e| e.class_id).collect())
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect();
    let orders = order::Entity::find()
        .filter(
            kehou_store::sea_orm::Condition::any()
                .add(order::Column::UserId.eq(user_id))
                .add(order::Column::StudentId.is_in(children.keys().copied())),
        )
        .order_by_asc(order::Column::Id)
        .all(db)
        .await?;
    let enrollments = enrollments
        .iter()
        .map(|e| {
            json!({
                "学生": children.get(&e.student_id),
                "教学班": e.class_id.and_then(|c| classes.get(&c)),
                "状态": EnrollmentStatus::parse(&e.status).map(EnrollmentStatus::label).unwrap_or(&e.status),
                "报名时间": china_time(e.created_at),
            })
        })
        .collect();
    let orders = orders
        .iter()
        .map(|o| {
            json!({
                "订单号": o.order_no,
                "学生": children.get(&o.student_id),
                "金额（元）": Fen(o.total_fen).to_string(),
                "状态": OrderStatus::parse(&o.status).map(OrderStatus::label).unwrap_or(&o.status),
                "下单时间": china_time(o.created_at),
            })
        })
        .collect();
    Ok((enrollments, orders))
}

/// An order placed by this account, or for these children, that waits for payment: its
/// number (erasure waits until it is paid or closed).
pub(crate) async fn pending_for(
    db: &impl ConnectionTrait,
    user_id: i64,
    children: Vec<i64>,
) -> Result<Option<String>> {
    Ok(order::Entity::find()
        .filter(
            kehou_store::sea_orm::Condition::any()
                .add(order::Column::UserId.eq(user_id))
                .add(order::Column::StudentId.is_in(children)),
        )
        .filter(order::Column::Status.eq(OrderStatus::PendingPayment.code()))
        .one(db)
        .await?
        .map(|o| o.order_no))
}
