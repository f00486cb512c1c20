//! Course changes and class transfers a parent asks for (I6). In a drop window the parent
//! asks to move a confirmed enrollment to another teaching class of the term: of the same
//! course (调班: the seat moves, the money stays) or of another (调课: the old enrollment
//! ends, the new one is admitted under the selection's rules, and what the old course's
//! refund rule gives back pays the new order first, the rest going back by the way it
//! came). The school approves — everything in one transaction — or rejects with a reason;
//! the parent may withdraw a request that waits.

use std::collections::HashMap;

use kehou_domain::enrollment::{ChangeKind, DropRequestStatus, EnrollmentStatus, WindowKind};
use kehou_domain::teaching::ClassStatus;
use kehou_domain::{Fen, Permission};
use kehou_store::entity::enrollment::{change, enrollment, order};
use kehou_store::entity::school::student;
use kehou_store::entity::teaching::class;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

use super::drops::DecisionInput;
use super::select::{self, Source, Target, Wanted};
use super::{child_of, grade_of, record, term_row, term_rules};
use crate::platform::audit::By;
use crate::platform::clock::china_label;
use crate::platform::messages;
use crate::{Actor, App, Error, Result};

pub const REASON_MAX: usize = 200;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct EnrollmentChangeInput {
    /// The teaching class of this term to move to: of the same course (调班) or of
    /// another (调课).
    #[schema(required = true)]
    pub to_class_id: Option<i64>,
    /// Why, in the parent's words (at most 200 characters).
    #[schema(required = true)]
    pub reason: Option<String>,
}

/// A change request as the parent and the school see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EnrollmentChangeView {
    pub id: i64,
    pub enrollment_id: i64,
    pub student_id: i64,
    pub student_name: String,
    pub student_no: String,
    /// class (调班) or course (调课).
    pub kind: String,
    pub kind_label: &'static str,
    pub from_course: String,
    pub from_class: Option<String>,
    pub to_class_id: i64,
    pub to_course: String,
    pub to_class: String,
    pub reason: String,
    /// pending, approved, rejected or withdrawn.
    pub status: String,
    pub status_label: String,
    pub requested_label: String,
    pub decided_label: Option<String>,
    pub decision_note: Option<String>,
    /// The enrollment of the new course, once a course change is approved.
    pub new_enrollment_id: Option<i64>,
    /// What the old course's refund paid towards the new one, what went back to the
    /// parent, and what was left to pay for the new course (yuan).
    pub carried: String,
    pub refunded: String,
    pub due: String,
}

fn status_of(r: &change::Model) -> DropRequestStatus {
    DropRequestStatus::parse(&r.status).unwrap_or(DropRequestStatus::Withdrawn)
}

fn kind_of(r: &change::Model) -> ChangeKind {
    ChangeKind::parse(&r.kind).unwrap_or(ChangeKind::Class)
}

async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<change::Model>,
) -> Result<Vec<EnrollmentChangeView>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let students: HashMap<i64, student::Model> = student::Entity::find()
        .filter(student::Column::Id.is_in(rows.iter().map(|r| r.student_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let enrollments: HashMap<i64, enrollment::Model> = enrollment::Entity::find()
        .filter(enrollment::Column::Id.is_in(rows.iter().map(|r| r.enrollment_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    let mut class_ids: Vec<i64> = rows.iter().map(|r| r.to_class_id).collect();
    class_ids.extend(enrollments.values().filter_map(|e| e.class_id));
    let classes: HashMap<i64, class::Model> = crate::teaching::class::by_ids(db, class_ids)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut item_ids: Vec<i64> = enrollments.values().map(|e| e.item_id).collect();
    item_ids.extend(classes.values().map(|c| c.item_id));
    let names = crate::course::offering::item_names(db, item_ids).await?;
    let course = |item: Option<i64>| {
        item.and_then(|i| names.get(&i).cloned())
            .unwrap_or_default()
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            let s = students.get(&r.student_id);
            let e = enrollments.get(&r.enrollment_id);
            let to = classes.get(&r.to_class_id);
            let kind = kind_of(&r);
            EnrollmentChangeView {
                id: r.id,
                enrollment_id: r.enrollment_id,
                student_id: r.student_id,
                student_name: s.map(|s| s.name.clone()).unwrap_or_default(),
                student_no: s.map(|s| s.student_no.clone()).unwrap_or_default(),
                kind: kind.code().into(),
                kind_label: kind.label(),
                from_course: course(e.map(|e| e.item_id)),
                from_class: e
                    .and_then(|e| e.class_id)
                    .and_then(|c| classes.get(&c))
                    .map(|c| c.name.clone()),
                to_class_id: r.to_class_id,
                to_course: course(to.map(|c| c.item_id)),
                to_class: to.map(|c| c.name.clone()).unwrap_or_default(),
                status_label: kind.status_label(status_of(&r)),
                requested_label: china_label(r.requested_at),
                decided_label: r.decided_at.map(china_label),
                new_enrollment_id: r.new_enrollment_id,
                carried: Fen(r.carried_fen).to_string(),
                refunded: Fen(r.refund_fen).to_string(),
                due: Fen(r.due_fen).to_string(),
                reason: r.reason,
                status: r.status,
                decision_note: r.decision_note,
            }
        })
        .collect())
}

async fn one(db: &impl ConnectionTrait, r: change::Model) -> Result<EnrollmentChangeView> {
    views(db, vec![r])
        .await?
        .pop()
        .ok_or(Error::NotFound("调课申请"))
}

/// The latest change request of each enrollment, for the parent's history.
pub(crate) async fn latest_of(
    db: &impl ConnectionTrait,
    enrollment_ids: &[i64],
) -> Result<HashMap<i64, EnrollmentChangeView>> {
    if enrollment_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = change::Entity::find()
        .filter(change::Column::EnrollmentId.is_in(enrollment_ids.iter().copied()))
        .order_by_asc(change::Column::Id)
        .all(db)
        .await?;
    let mut latest: HashMap<i64, change::Model> = HashMap::new();
    for r in rows {
        latest.insert(r.enrollment_id, r);
    }
    Ok(views(db, latest.into_values().collect())
        .await?
        .into_iter()
        .map(|v| (v.enrollment_id, v))
        .collect())
}

/// A parent asks to move a confirmed enrollment to another class of the term, while a drop
/// window is open for the child's grade; the school decides.
pub async fn request(
    app: &App,
    actor: &Actor,
    enrollment_id: i64,
    input: EnrollmentChangeInput,
) -> Result<EnrollmentChangeView> {
    let (e, child) = super::own_enrollment(&app.db, actor, enrollment_id).await?;
    let mut invalid = kehou_domain::Invalid::default();
    let reason = invalid.text("reason", input.reason.as_deref().unwrap_or(""), REASON_MAX);
    if input.to_class_id.is_none() {
        invalid.push("to_class_id", "请选择要调入的教学班");
    }
    crate::platform::error::check(invalid)?;
    let (Some(reason), Some(to_id)) = (reason, input.to_class_id) else {
        return Err(Error::invalid("to_class_id", "请选择要调入的教学班"));
    };
    let to = crate::teaching::class::by_ids(&app.db, vec![to_id])
        .await?
        .pop()
        .filter(|c| c.school_id == e.school_id && c.term_id == e.term_id)
        .ok_or_else(|| Error::invalid("to_class_id", "请选择本学期的另一个教学班"))?;
    if e.class_id == Some(to.id) {
        return Err(Error::invalid("to_class_id", "孩子已在这个教学班"));
    }
    let grade = grade_of(&app.db, &child).await?;
    if !grade.is_some_and(|g| (to.grade_from..=to.grade_to).contains(&g)) {
        return Err(Error::invalid(
            "to_class_id",
            format!("“{}”不面向孩子所在的年级", to.name),
        ));
    }
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let e = super::lock_enrollment(&txn, child.id, e.id).await?;
    let status = EnrollmentStatus::parse(&e.status).unwrap_or(EnrollmentStatus::Cancelled);
    if status != EnrollmentStatus::Confirmed {
        return Err(Error::conflict(format!(
            "报名{}，不能调课或调班",
            status.label()
        )));
    }
    if e.class_id.is_none() {
        return Err(Error::conflict("尚未分班，不能调课或调班"));
    }
    if !matches!(
        ClassStatus::parse(&to.status),
        Some(ClassStatus::Open | ClassStatus::Running)
    ) {
        return Err(Error::conflict(format!("“{}”未开放，不能调入", to.name)));
    }
    let rules = term_rules(&txn, e.school_id, e.term_id).await?;
    let drop = |k: WindowKind| k == WindowKind::Drop;
    if rules.open_window(grade, now, drop).is_none() {
        return Err(Error::conflict(format!(
            "不在退课（调课）时间内。{}",
            rules.when(grade, drop)
        )));
    }
    if let Some(what) = super::request_waiting(&txn, e.id).await? {
        return Err(Error::conflict(format!("这门课的{what}正在等待学校审核")));
    }
    let kind = if to.item_id == e.item_id {
        ChangeKind::Class
    } else {
        ChangeKind::Course
    };
    let row = change::ActiveModel {
        school_id: Set(e.school_id),
        term_id: Set(e.term_id),
        enrollment_id: Set(e.id),
        student_id: Set(child.id),
        to_class_id: Set(to.id),
        kind: Set(kind.code().into()),
        reason: Set(reason.clone()),
        status: Set(DropRequestStatus::Pending.code().into()),
        requested_by: Set(actor.user_id),
        requested_at: Set(now),
        carried_fen: Set(0),
        refund_fen: Set(0),
        due_fen: Set(0),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(Error::unique(
        "to_class_id",
        "这门课已有申请正在等待学校审核",
    ))?;
    let school = crate::system::load_any_school(&txn, e.school_id).await?;
    record(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "enrollment.change_request",
        ("enrollment_change", row.id),
        format!(
            "为学生 {} 申请{}到“{}”：{reason}",
            child.name,
            kind.label(),
            to.name
        ),
    )
    .await?;
    txn.commit().await?;
    one(&app.db, row).await
}

async fn lock(db: &impl ConnectionTrait, id: i64) -> Result<change::Model> {
    change::Entity::find_by_id(id)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or(Error::NotFound("调课申请"))
}

/// The parent withdraws a request that waits.
pub async fn withdraw(app: &App, actor: &Actor, request_id: i64) -> Result<EnrollmentChangeView> {
    let r = change::Entity::find_by_id(request_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("调课申请"))?;
    let child = child_of(&app.db, actor, r.student_id)
        .await
        .map_err(|_| Error::NotFound("调课申请"))?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let r = lock(&txn, r.id).await?;
    if !status_of(&r).can_become(DropRequestStatus::Withdrawn) {
        return Err(Error::conflict(format!(
            "申请{}，不能撤回",
            kind_of(&r).status_label(status_of(&r))
        )));
    }
    let mut a = r.into_active_model();
    a.status = Set(DropRequestStatus::Withdrawn.code().into());
    a.decided_at = Set(Some(app.now()));
    let r = a.update(&txn).await?;
    let school = crate::system::load_any_school(&txn, r.school_id).await?;
    record(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "enrollment.change_withdraw",
        ("enrollment_change", r.id),
        format!("撤回学生 {} 的{}申请", child.name, kind_of(&r).label()),
    )
    .await?;
    txn.commit().await?;
    one(&app.db, r).await
}

/// A term's change requests (`enrollment.manage`), waiting ones first, then newest first;
/// `status` filters.
pub async fn list(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    status: Option<&str>,
) -> Result<Vec<EnrollmentChangeView>> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::EnrollmentManage).await?;
    let t = term_row(&app.db, school.id, term_id).await?;
    let mut find = change::Entity::find()
        .filter(change::Column::SchoolId.eq(school.id))
        .filter(change::Column::TermId.eq(t.id));
    if let Some(s) = status.filter(|s| !s.is_empty()) {
        let s = DropRequestStatus::parse(s).ok_or_else(|| Error::invalid("status", "状态无效"))?;
        find = find.filter(change::Column::Status.eq(s.code()));
    }
    let mut rows = find.order_by_desc(change::Column::Id).all(&app.db).await?;
    rows.sort_by_key(|r| r.status != DropRequestStatus::Pending.code());
    views(&app.db, rows).await
}

/// What an approval did, for the guardians' message and the request's row.
struct Outcome {
    new_enrollment_id: Option<i64>,
    carried: Fen,
    refunded: Fen,
    due: Fen,
    refunds: Vec<kehou_store::entity::billing::refund::Model>,
    freed_class: Option<i64>,
    summary: String,
}

/// The school decides a waiting request (`enrollment.manage`): approving moves the student
/// — seats, enrollment and money in one transaction — and tells the guardians; rejecting
/// tells them why.
pub async fn decide(
    app: &App,
    actor: &Actor,
    request_id: i64,
    input: DecisionInput,
) -> Result<EnrollmentChangeView> {
    actor.require(Permission::EnrollmentManage)?;
    let r = change::Entity::find_by_id(request_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("调课申请"))?;
    let school =
        crate::school::school_for(&app.db, actor, r.school_id, Permission::EnrollmentManage)
            .await
            .map_err(|_| Error::NotFound("调课申请"))?;
    let (approve, note) = input.parse("不同意时请填写原因")?;
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let s = student::Entity::find_by_id(r.student_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("调课申请"))?;
    let r = lock(&txn, r.id).await?;
    let to_status = if approve {
        DropRequestStatus::Approved
    } else {
        DropRequestStatus::Rejected
    };
    let kind = kind_of(&r);
    if !status_of(&r).can_become(to_status) {
        return Err(Error::conflict(format!(
            "申请{}，不能再审核",
            kind.status_label(status_of(&r))
        )));
    }
    let outcome = if approve {
        Some(match kind {
            ChangeKind::Class => move_class(&txn, app, &r, &s).await?,
            ChangeKind::Course => change_course(&txn, app, actor, &r, &s).await?,
        })
    } else {
        None
    };
    let mut a = r.into_active_model();
    a.status = Set(to_status.code().into());
    a.decided_by = Set(Some(actor.user_id));
    a.decided_at = Set(Some(now));
    a.decision_note = Set(note.clone());
    if let Some(o) = &outcome {
        a.new_enrollment_id = Set(o.new_enrollment_id);
        a.carried_fen = Set(o.carried.0);
        a.refund_fen = Set(o.refunded.0);
        a.due_fen = Set(o.due.0);
    }
    let r = a.update(&txn).await?;
    let said = note
        .as_deref()
        .map(|n| format!("说明：{n}"))
        .unwrap_or_default();
    let (title, body, summary) = match &outcome {
        Some(o) => (
            format!("{}的{}申请已同意", s.name, kind.label()),
            format!("{}{said}", o.summary),
            format!("同意学生 {} 的{}申请：{}", s.name, kind.label(), o.summary),
        ),
        None => (
            format!("{}的{}申请未通过", s.name, kind.label()),
            format!("学校未同意{}的{}申请。{said}", s.name, kind.label()),
            format!("不同意学生 {} 的{}申请。{said}", s.name, kind.label()),
        ),
    };
    record(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "enrollment.change_decide",
        ("enrollment_change", r.id),
        summary,
    )
    .await?;
    let parents = super::tell_guardians(&txn, s.id, title, body, now).await?;
    txn.commit().await?;
    for p in parents {
        messages::announce(app, p);
    }
    if let Some(o) = outcome {
        for refund in o.refunds {
            crate::billing::refund::submit_soon(app, refund).await;
        }
        if let Some(c) = o.freed_class {
            super::waitlist::offer_seats(app, c).await?;
        }
    }
    one(&app.db, r).await
}

/// 调班: the student moves to the other class of the same course; the money stays.
async fn move_class(
    txn: &impl ConnectionTrait,
    app: &App,
    r: &change::Model,
    s: &student::Model,
) -> Result<Outcome> {
    let e = confirmed(txn, r).await?;
    let from = e
        .class_id
        .ok_or_else(|| Error::conflict("尚未分班，不能调班"))?;
    let t = crate::teaching::system_term(txn, r.school_id, r.term_id).await?;
    let moved =
        crate::teaching::class::move_student(txn, app, &t, (from, r.to_class_id), s.id).await?;
    Ok(Outcome {
        new_enrollment_id: None,
        carried: Fen(0),
        refunded: Fen(0),
        due: Fen(0),
        refunds: Vec::new(),
        freed_class: Some(moved.from.id),
        summary: format!(
            "{}已从“{}”调到“{}”，课表随之更新；费用不变。",
            s.name, moved.from.name, moved.to.name
        ),
    })
}

/// The enrollment a request moves, still confirmed.
async fn confirmed(db: &impl ConnectionTrait, r: &change::Model) -> Result<enrollment::Model> {
    let e = enrollment::Entity::find_by_id(r.enrollment_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("报名"))?;
    if EnrollmentStatus::parse(&e.status) != Some(EnrollmentStatus::Confirmed) {
        return Err(Error::conflict("这条报名已经结束，不能再调"));
    }
    Ok(e)
}

/// 调课: the old enrollment ends (its seat freed), the new class is admitted under the
/// selection's rules (grade, seats, clashes, exclusive groups, the most courses), and the
/// old course's refund pays the new order; what is left is refunded or still to pay.
async fn change_course(
    txn: &impl ConnectionTrait,
    app: &App,
    actor: &Actor,
    r: &change::Model,
    s: &student::Model,
) -> Result<Outcome> {
    let now = app.now();
    let old = confirmed(txn, r).await?;
    let old_order = order::Entity::find()
        .filter(order::Column::EnrollmentId.eq(old.id))
        .order_by_asc(order::Column::Id)
        .one(txn)
        .await?;
    let from_class = old.class_id;
    let from_name = match from_class {
        Some(c) => crate::teaching::class::by_ids(txn, vec![c])
            .await?
            .pop()
            .map(|c| c.name)
            .unwrap_or_default(),
        None => String::new(),
    };
    let mut cands = select::prepare_candidates(app, txn, &[Target::Class(r.to_class_id)]).await?;
    let to_name = cands
        .first()
        .and_then(|c| c.as_ref())
        .and_then(|c| c.class.as_ref())
        .map(|k| k.name.clone())
        .unwrap_or_default();
    let reason = format!("调课至“{to_name}”");
    let old = select::end_enrollment(txn, old, EnrollmentStatus::Dropped, &reason, now).await?;
    if let Some(c) = from_class {
        crate::teaching::class::leave(txn, c, s.id).await?;
    }
    super::drops::settle(txn, old.id, &reason, now).await?;
    // The student as they are now, without the old course: the new one is judged as a
    // selection the school makes (no window, no notice), with every other rule.
    let mut ctx = select::rules_ctx(txn, s.clone(), r.term_id).await?;
    ctx.trusted = true;
    select::lock_candidates(txn, &mut cands).await?;
    select::load_holdings(app, txn, &mut ctx).await?;
    let Some(c) = cands.first_mut().and_then(|c| c.as_mut()) else {
        return Err(Error::conflict("要调入的教学班已不存在"));
    };
    select::judge(&ctx, c, now).map_err(|(_, m)| Error::conflict(m))?;
    // The fees the parent chose for the old course are chosen again.
    let wanted = Wanted {
        target: Target::Class(r.to_class_id),
        textbook: old_order.as_ref().is_some_and(|o| o.textbook_fee_fen > 0),
        misc: old_order.as_ref().is_some_and(|o| o.misc_fee_fen > 0),
    };
    let admitted = select::admit(
        app,
        txn,
        &mut ctx,
        c,
        &wanted,
        Source::Change,
        Some(actor.user_id),
    )
    .await?;
    let new_order = order::Entity::find_by_id(admitted.order_id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(Error::NotFound("订单"))?;
    let carried = crate::billing::refund::carry(txn, app, old.id, &new_order, Some(actor)).await?;
    let due = crate::billing::ledger::balance(txn, new_order.id).await?;
    let mut hold_label = None;
    if due.0 <= 0 && admitted.status == kehou_domain::enrollment::OrderStatus::PendingPayment {
        super::order::paid(txn, &new_order, now).await?;
    } else if due.0 > 0 {
        hold_label = admitted.hold_until.map(china_label);
    }
    let refunded = Fen(carried.refunds.iter().map(|r| r.amount_fen).sum());
    let mut summary = format!(
        "{}已从“{from_name}”调课到“{to_name}”，新课程费用 ¥{}",
        s.name,
        Fen(admitted.due_fen)
    );
    if carried.credit.0 > 0 {
        summary.push_str(&format!(
            "；原课程按退费规则可退 ¥{}，其中 ¥{} 抵扣新课程费用",
            carried.credit, carried.carried
        ));
    }
    if refunded.0 > 0 {
        summary.push_str(&format!("，¥{refunded} 原路退回"));
    }
    match &hold_label {
        Some(h) => summary.push_str(&format!(
            "；还需补缴 ¥{due}，请在 {h} 前支付，逾期调课取消、已抵扣的款项原路退回。"
        )),
        None => summary.push('。'),
    }
    Ok(Outcome {
        new_enrollment_id: Some(admitted.enrollment_id),
        carried: carried.carried,
        refunded,
        due: Fen(due.0.max(0)),
        refunds: carried.refunds,
        freed_class: from_class,
        summary,
    })
}

/// How many change requests into or out of a class wait for the school (closing a class).
pub(crate) async fn pending_of_class(db: &impl ConnectionTrait, class_id: i64) -> Result<u64> {
    use kehou_store::sea_orm::{Condition, PaginatorTrait};
    let out_of: Vec<i64> = enrollment::Entity::find()
        .filter(enrollment::Column::ClassId.eq(class_id))
        .all(db)
        .await?
        .into_iter()
        .map(|e| e.id)
        .collect();
    Ok(change::Entity::find()
        .filter(change::Column::Status.eq(DropRequestStatus::Pending.code()))
        .filter(
            Condition::any()
                .add(change::Column::ToClassId.eq(class_id))
                .add(change::Column::EnrollmentId.is_in(out_of)),
        )
        .count(db)
        .await?)
}
