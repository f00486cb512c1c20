//! Drop requests (F5): in a drop window a parent asks to drop a confirmed enrollment; the
//! school lists the requests and approves (the enrollment is dropped, the seat goes to the
//! waitlist) or rejects them with a reason; the parent may withdraw a request before it
//! is decided. The refund of a paid enrollment follows the approval (the money area).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use kehou_domain::enrollment::{DropRequestStatus, EnrollmentStatus};
use kehou_domain::{Invalid, Permission};
use kehou_store::entity::enrollment::{drop_request, enrollment};
use kehou_store::entity::school::student;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};

use super::{child_of, record, term_row};
use crate::platform::audit::By;
use crate::platform::clock::china_label;
use crate::platform::error::check;
use crate::platform::messages;
use crate::{Actor, App, Error, Result};

pub const NOTE_MAX: usize = 200;

/// A drop request as the parent sees it on the enrollment.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DropBrief {
    pub id: i64,
    /// pending, approved, rejected or withdrawn.
    pub status: String,
    pub status_label: &'static str,
    pub reason: String,
    pub requested_label: String,
    pub decision_note: Option<String>,
}

/// A drop request as the school reviews it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DropRequestView {
    pub id: i64,
    pub enrollment_id: i64,
    pub student_id: i64,
    pub student_name: String,
    pub student_no: String,
    pub course: String,
    pub class_name: Option<String>,
    pub reason: String,
    pub status: String,
    pub status_label: &'static str,
    pub requested_label: String,
    pub decided_label: Option<String>,
    pub decision_note: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct DecisionInput {
    /// true approves (the enrollment is dropped), false rejects.
    #[schema(required = true)]
    pub approve: Option<bool>,
    /// Why; required when rejecting (at most 200 characters).
    pub note: Option<String>,
}

impl DecisionInput {
    /// The decision and its note: a choice is required, and a note when rejecting
    /// (`why` says so).
    pub(crate) fn parse(&self, why: &str) -> Result<(bool, Option<String>)> {
        let mut invalid = Invalid::default();
        let note = invalid.optional_text("note", self.note.as_deref(), NOTE_MAX);
        if self.approve.is_none() {
            invalid.push("approve", "请选择同意或不同意");
        }
        if self.approve == Some(false) && matches!(note, Some(None)) {
            invalid.push("note", why);
        }
        check(invalid)?;
        match (self.approve, note) {
            (Some(approve), Some(note)) => Ok((approve, note)),
            _ => Err(Error::invalid("approve", "请选择同意或不同意")),
        }
    }
}

fn status_of(r: &drop_request::Model) -> DropRequestStatus {
    DropRequestStatus::parse(&r.status).unwrap_or(DropRequestStatus::Withdrawn)
}

fn brief(r: &drop_request::Model) -> DropBrief {
    DropBrief {
        id: r.id,
        status: r.status.clone(),
        status_label: status_of(r).label(),
        reason: r.reason.clone(),
        requested_label: china_label(r.requested_at),
        decision_note: r.decision_note.clone(),
    }
}

/// The latest drop request of each enrollment.
pub(crate) async fn latest_of(
    db: &impl ConnectionTrait,
    enrollment_ids: &[i64],
) -> Result<HashMap<i64, DropBrief>> {
    let mut latest = HashMap::new();
    if enrollment_ids.is_empty() {
        return Ok(latest);
    }
    for r in drop_request::Entity::find()
        .filter(drop_request::Column::EnrollmentId.is_in(enrollment_ids.iter().copied()))
        .order_by_asc(drop_request::Column::Id)
        .all(db)
        .await?
    {
        latest.insert(r.enrollment_id, brief(&r));
    }
    Ok(latest)
}

/// Records a parent's request in the caller's transaction (the enrollment is confirmed
/// and a drop window open, checked by the caller); refused while another waits.
pub(crate) async fn request(
    txn: &impl ConnectionTrait,
    app: &App,
    actor: &Actor,
    e: &enrollment::Model,
    child: &student::Model,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    if let Some(what) = super::request_waiting(txn, e.id).await? {
        return Err(Error::conflict(format!("这门课的{what}正在等待学校审核")));
    }
    let row = drop_request::ActiveModel {
        school_id: Set(e.school_id),
        term_id: Set(e.term_id),
        enrollment_id: Set(e.id),
        student_id: Set(child.id),
        reason: Set(reason.to_string()),
        status: Set(DropRequestStatus::Pending.code().into()),
        requested_by: Set(actor.user_id),
        requested_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let school = crate::system::load_any_school(txn, e.school_id).await?;
    record(
        txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "enrollment.drop_request",
        ("drop_request", row.id),
        format!("为学生 {} 申请退课：{reason}", child.name),
    )
    .await
}

/// The parent withdraws a request that waits.
pub async fn withdraw(app: &App, actor: &Actor, request_id: i64) -> Result<DropBrief> {
    let r = drop_request::Entity::find_by_id(request_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("退课申请"))?;
    let child = child_of(&app.db, actor, r.student_id)
        .await
        .map_err(|_| Error::NotFound("退课申请"))?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let r = lock(&txn, r.id).await?;
    if !status_of(&r).can_become(DropRequestStatus::Withdrawn) {
        return Err(Error::conflict(format!(
            "退课申请{}，不能撤回",
            status_of(&r).label()
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
        "enrollment.drop_withdraw",
        ("drop_request", r.id),
        format!("撤回学生 {} 的退课申请", child.name),
    )
    .await?;
    txn.commit().await?;
    Ok(brief(&r))
}

async fn lock(db: &impl ConnectionTrait, id: i64) -> Result<drop_request::Model> {
    use kehou_store::sea_orm::QuerySelect;
    drop_request::Entity::find_by_id(id)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or(Error::NotFound("退课申请"))
}

/// A term's drop requests (`enrollment.manage`), waiting ones first, then newest first;
/// `status` filters.
pub async fn list(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    status: Option<&str>,
) -> Result<Vec<DropRequestView>> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::EnrollmentManage).await?;
    let t = term_row(&app.db, school.id, term_id).await?;
    let mut find = drop_request::Entity::find()
        .filter(drop_request::Column::SchoolId.eq(school.id))
        .filter(drop_request::Column::TermId.eq(t.id));
    if let Some(s) = status.filter(|s| !s.is_empty()) {
        let s = DropRequestStatus::parse(s).ok_or_else(|| Error::invalid("status", "状态无效"))?;
        find = find.filter(drop_request::Column::Status.eq(s.code()));
    }
    let mut rows = find
        .order_by_desc(drop_request::Column::Id)
        .all(&app.db)
        .await?;
    rows.sort_by_key(|r| r.status != DropRequestStatus::Pending.code());
    views(app, rows).await
}

async fn views(app: &App, rows: Vec<drop_request::Model>) -> Result<Vec<DropRequestView>> {
    let students = student::Entity::find()
        .filter(student::Column::Id.is_in(rows.iter().map(|r| r.student_id)))
        .all(&app.db)
        .await?;
    let enrollments = enrollment::Entity::find()
        .filter(enrollment::Column::Id.is_in(rows.iter().map(|r| r.enrollment_id)))
        .all(&app.db)
        .await?;
    let enrollments = super::order::views(app, &app.db, enrollments).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let s = students.iter().find(|s| s.id == r.student_id);
            let e = enrollments.iter().find(|e| e.id == r.enrollment_id);
            DropRequestView {
                id: r.id,
                enrollment_id: r.enrollment_id,
                student_id: r.student_id,
                student_name: s.map(|s| s.name.clone()).unwrap_or_default(),
                student_no: s.map(|s| s.student_no.clone()).unwrap_or_default(),
                course: e.map(|e| e.course.clone()).unwrap_or_default(),
                class_name: e.and_then(|e| e.class_name.clone()),
                status_label: status_of(&r).label(),
                requested_label: china_label(r.requested_at),
                decided_label: r.decided_at.map(china_label),
                reason: r.reason,
                status: r.status,
                decision_note: r.decision_note,
            }
        })
        .collect())
}

/// The school decides a waiting request: approving drops the enrollment (its seat goes to
/// the waitlist); rejecting keeps it and tells the parent why.
pub async fn decide(
    app: &App,
    actor: &Actor,
    request_id: i64,
    input: DecisionInput,
) -> Result<DropRequestView> {
    actor.require(Permission::EnrollmentManage)?;
    let r = drop_request::Entity::find_by_id(request_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("退课申请"))?;
    let school =
        crate::school::school_for(&app.db, actor, r.school_id, Permission::EnrollmentManage)
            .await
            .map_err(|_| Error::NotFound("退课申请"))?;
    let (approve, note) = input.parse("不同意退课时请填写原因")?;
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let s = student::Entity::find_by_id(r.student_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("退课申请"))?;
    {
        use kehou_store::sea_orm::QuerySelect;
        student::Entity::find_by_id(s.id)
            .lock_exclusive()
            .one(&txn)
            .await?;
    }
    let r = lock(&txn, r.id).await?;
    let to = if approve {
        DropRequestStatus::Approved
    } else {
        DropRequestStatus::Rejected
    };
    if !status_of(&r).can_become(to) {
        return Err(Error::conflict(format!(
            "退课申请{}，不能再审核",
            status_of(&r).label()
        )));
    }
    let mut freed = None;
    if approve {
        let e = enrollment::Entity::find_by_id(r.enrollment_id)
            .one(&txn)
            .await?
            .ok_or(Error::NotFound("报名"))?;
        if EnrollmentStatus::parse(&e.status) != Some(EnrollmentStatus::Confirmed) {
            return Err(Error::conflict("这条报名已经结束"));
        }
        let reason = format!("家长退课（学校同意）：{}", r.reason);
        let (_, class_id) = super::order::release(
            &txn,
            app,
            Some(actor),
            e,
            EnrollmentStatus::Dropped,
            &reason,
            now,
        )
        .await?;
        freed = class_id;
    }
    let mut a = r.into_active_model();
    a.status = Set(to.code().into());
    a.decided_by = Set(Some(actor.user_id));
    a.decided_at = Set(Some(now));
    a.decision_note = Set(note.clone());
    let r = a.update(&txn).await?;
    record(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "enrollment.drop_decide",
        ("drop_request", r.id),
        format!(
            "{}学生 {} 的退课申请{}",
            if approve { "同意" } else { "不同意" },
            s.name,
            note.as_deref()
                .map(|n| format!("：{n}"))
                .unwrap_or_default()
        ),
    )
    .await?;
    let title = format!("{}的退课申请{}", s.name, to.label());
    let body = match (&note, approve) {
        (Some(n), true) => format!("学校同意了{}的退课申请。说明：{n}", s.name),
        (None, true) => format!("学校同意了{}的退课申请，该课程已退。", s.name),
        (n, false) => format!(
            "学校未同意{}的退课申请，原因：{}",
            s.name,
            n.as_deref().unwrap_or_default()
        ),
    };
    let parents = super::tell_guardians(&txn, s.id, title, body, now).await?;
    txn.commit().await?;
    for p in parents {
        messages::announce(app, p);
    }
    if let Some(c) = freed {
        super::waitlist::offer_seats(app, c).await?;
    }
    views(app, vec![r])
        .await?
        .pop()
        .ok_or(Error::NotFound("退课申请"))
}

/// An enrollment ended otherwise (the school cancelled it, took the student out): a request
/// still waiting is settled as approved, in the caller's transaction.
pub(crate) async fn settle(
    db: &impl ConnectionTrait,
    enrollment_id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    for r in drop_request::Entity::find()
        .filter(drop_request::Column::EnrollmentId.eq(enrollment_id))
        .filter(drop_request::Column::Status.eq(DropRequestStatus::Pending.code()))
        .all(db)
        .await?
    {
        let mut a = r.into_active_model();
        a.status = Set(DropRequestStatus::Approved.code().into());
        a.decided_at = Set(Some(now));
        a.decision_note = Set(Some(reason.chars().take(NOTE_MAX).collect()));
        a.update(db).await?;
    }
    Ok(())
}

/// How many drop requests of a class's enrollments wait for the school (closing a class).
pub(crate) async fn pending_of_class(
    db: &impl kehou_store::sea_orm::ConnectionTrait,
    class_id: i64,
) -> Result<u64> {
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
    Ok(drop_request::Entity::find()
        .filter(drop_request::Column::EnrollmentId.is_in(enrollments))
        .filter(drop_request::Column::Status.eq(DropRequestStatus::Pending.code()))
        .count(db)
        .await?)
}

/// How many students hold a seat in a class (waiting for payment or confirmed): an early
/// close waits until the school has cancelled them (with their refunds).
pub(crate) async fn active_of_class(
    db: &impl kehou_store::sea_orm::ConnectionTrait,
    class_id: i64,
) -> Result<u64> {
    use kehou_store::sea_orm::PaginatorTrait;
    Ok(enrollment::Entity::find()
        .filter(enrollment::Column::ClassId.eq(class_id))
        .filter(enrollment::Column::Status.is_in(EnrollmentStatus::ACTIVE.map(|s| s.code())))
        .count(db)
        .await?)
}
