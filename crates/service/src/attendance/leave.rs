//! Students' leave (请假, I4, I10, I12): a guardian asks for future days with a reason (a
//! sick leave names the symptom); the head teacher (班主任) or the school approves or
//! rejects; the guardian may revoke it while it waits. Approved leave marks the lessons it
//! covers as leave in their roll calls, which the refund rules count.

use std::collections::HashMap;

use chrono::NaiveDate;
use kehou_domain::Permission;
use kehou_domain::attendance::{LeaveKind, RequestAction, RequestStatus, SYMPTOMS};
use kehou_store::entity::attendance::leave_request;
use kehou_store::entity::school::student;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

use super::{Decision, status_label, transition};
use crate::platform::audit::By;
use crate::platform::clock::china_label;
use crate::platform::messages::{self, NewMessage};
use crate::{Actor, App, Error, Result};

/// The longest leave one request covers, in days.
pub const MAX_DAYS: i64 = 31;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct LeaveInput {
    pub student_id: Option<i64>,
    /// personal (事假) or sick (病假).
    pub kind: String,
    /// For a sick leave: 发热, 咳嗽, 腹泻, 呕吐, 皮疹 or 其他.
    pub symptom: String,
    /// At most 200 characters.
    pub reason: String,
    /// First day, `YYYY-MM-DD`, today or later.
    pub from: String,
    /// Last day, `YYYY-MM-DD`; at most 31 days in all.
    pub to: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LeaveView {
    pub id: i64,
    pub school_id: i64,
    pub student_id: i64,
    pub student_name: String,
    pub kind: String,
    pub kind_label: &'static str,
    pub symptom: String,
    pub reason: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// pending, approved, rejected or revoked.
    pub status: String,
    pub status_label: &'static str,
    pub decision_note: String,
    pub created_label: String,
    pub decided_label: Option<String>,
}

fn view(r: leave_request::Model, student_name: String) -> LeaveView {
    LeaveView {
        id: r.id,
        school_id: r.school_id,
        student_id: r.student_id,
        student_name,
        kind_label: LeaveKind::parse(&r.kind).map_or("", LeaveKind::label),
        kind: r.kind,
        symptom: r.symptom,
        reason: r.reason,
        from: r.from_date,
        to: r.to_date,
        status_label: status_label(&r.status),
        status: r.status,
        decision_note: r.decision_note,
        created_label: china_label(r.created_at),
        decided_label: r.decided_at.map(china_label),
    }
}

/// The lessons a leave covers: those of the student's classes on its days.
async fn covered(
    db: &impl ConnectionTrait,
    student_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<i64>> {
    let classes = crate::teaching::class::class_ids_of(db, student_id).await?;
    Ok(
        crate::teaching::lesson::of_classes_between(db, classes, from, to)
            .await?
            .into_iter()
            .map(|l| l.id)
            .collect(),
    )
}

/// A guardian asks leave for their child.
pub async fn create(app: &App, actor: &Actor, input: LeaveInput) -> Result<LeaveView> {
    let Some(student_id) = input.student_id else {
        return Err(Error::invalid("student_id", "请选择学生"));
    };
    let s = crate::enrollment::child_of(&app.db, actor, student_id).await?;
    let kind = LeaveKind::parse(input.kind.trim())
        .ok_or_else(|| Error::invalid("kind", "请选择请假类型：事假或病假"))?;
    let symptom = match kind {
        LeaveKind::Sick => {
            let sym = input.symptom.trim();
            if !SYMPTOMS.contains(&sym) {
                return Err(Error::invalid(
                    "symptom",
                    format!("病假请选择症状：{}", SYMPTOMS.join("、")),
                ));
            }
            sym.to_string()
        }
        LeaveKind::Personal => String::new(),
    };
    let reason = kehou_domain::field::required_text(&input.reason, 200)
        .map_err(|m| Error::invalid("reason", m))?;
    let (from, to) = super::leave_span(app, &input.from, &input.to, MAX_DAYS)?;
    let lessons = covered(&app.db, s.id, from, to).await?;
    if lessons.is_empty() {
        return Err(Error::conflict("这段时间孩子没有课后服务课程，不需要请假"));
    }
    let now = app.now();
    let school = crate::system::load_any_school(&app.db, s.school_id).await?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let overlapping = leave_request::Entity::find()
        .filter(leave_request::Column::StudentId.eq(s.id))
        .filter(leave_request::Column::Status.is_in([
            RequestStatus::Pending.code(),
            RequestStatus::Approved.code(),
        ]))
        .filter(leave_request::Column::FromDate.lte(to))
        .filter(leave_request::Column::ToDate.gte(from))
        .one(&txn)
        .await?;
    if let Some(o) = overlapping {
        return Err(super::overlapping_leave(o.from_date, o.to_date, &o.status));
    }
    let row = leave_request::ActiveModel {
        school_id: Set(s.school_id),
        student_id: Set(s.id),
        applicant_id: Set(actor.user_id),
        kind: Set(kind.code().into()),
        symptom: Set(symptom.clone()),
        reason: Set(reason.clone()),
        from_date: Set(from),
        to_date: Set(to),
        status: Set(RequestStatus::Pending.code().into()),
        decided_by: Set(None),
        decided_at: Set(None),
        decision_note: Set(String::new()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let head = crate::school::student::head_teacher_user(&txn, &s).await?;
    if let Some(h) = head {
        messages::send(
            &txn,
            h,
            NewMessage {
                kind: "attendance",
                title: format!("{} 请{}，待审批", s.name, kind.label()),
                body: format!(
                    "{} 的家长为 {from} 至 {to} 请{}（{} 节课）：{reason}{}",
                    s.name,
                    kind.label(),
                    lessons.len(),
                    if symptom.is_empty() {
                        String::new()
                    } else {
                        format!("，症状：{symptom}")
                    }
                ),
                link: Some("/attendance".into()),
            },
            now,
        )
        .await?;
    }
    super::record_event(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "attendance.leave_request",
        ("leave_request", row.id),
        format!("为{}申请{}：{from} 至 {to}", s.name, kind.label()),
    )
    .await?;
    txn.commit().await?;
    if let Some(h) = head {
        messages::announce(app, h);
    }
    Ok(view(row, s.name))
}

/// Whether the actor may decide a student's leave: the school with `attendance.manage`, or
/// the head teacher of the student's administrative class.
async fn may_decide(db: &impl ConnectionTrait, actor: &Actor, s: &student::Model) -> Result<bool> {
    if actor.can(Permission::AttendanceManage)
        && crate::school::school_for(db, actor, s.school_id, Permission::AttendanceManage)
            .await
            .is_ok()
    {
        return Ok(true);
    }
    Ok(crate::school::student::head_teacher_user(db, s).await? == Some(actor.user_id))
}

async fn student(db: &impl ConnectionTrait, id: i64) -> Result<student::Model> {
    student::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("请假申请"))
}

/// The head teacher or the school approves or rejects a leave; nobody decides their own.
pub async fn decide(
    app: &App,
    actor: &Actor,
    leave_id: i64,
    decision: Decision,
) -> Result<LeaveView> {
    let r = leave_request::Entity::find_by_id(leave_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("请假申请"))?;
    let s = student(&app.db, r.student_id).await?;
    if !may_decide(&app.db, actor, &s).await? {
        return Err(Error::NotFound("请假申请"));
    }
    let (action, note) = decision.parse()?;
    if r.applicant_id == actor.user_id {
        return Err(Error::conflict("不能审批自己提交的申请"));
    }
    let now = app.now();
    let school = crate::system::load_any_school(&app.db, s.school_id).await?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let r = leave_request::Entity::find_by_id(leave_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("请假申请"))?;
    let next = transition(&r.status, action)?;
    let mut marked = 0;
    if next == RequestStatus::Approved {
        let lessons = covered(&txn, s.id, r.from_date, r.to_date).await?;
        marked = super::roll::mark_leave(&txn, s.id, &lessons, actor.user_id, now).await?;
    }
    let mut m = r.into_active_model();
    m.status = Set(next.code().into());
    m.decided_by = Set(Some(actor.user_id));
    m.decided_at = Set(Some(now));
    m.decision_note = Set(note.clone());
    let row = m.update(&txn).await?;
    let guardians = crate::school::student::guardian_users(&txn, &[s.id])
        .await?
        .remove(&s.id)
        .unwrap_or_default();
    let batch = guardians
        .iter()
        .map(|g| {
            (
                *g,
                NewMessage {
                    kind: "attendance",
                    title: format!("{} 的请假{}", s.name, next.label()),
                    body: format!(
                        "{} {} 至 {} 的请假{}{}",
                        s.name,
                        row.from_date,
                        row.to_date,
                        next.label(),
                        if note.is_empty() {
                            "。".to_string()
                        } else {
                            format!("：{note}")
                        }
                    ),
                    link: Some(format!("/attendance/children?student_id={}", s.id)),
                },
            )
        })
        .collect();
    messages::send_many(&txn, batch, now).await?;
    super::record_event(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "attendance.leave_decide",
        ("leave_request", row.id),
        format!(
            "{} {} 至 {} 的请假：{}（{marked} 节课记为请假）",
            s.name,
            row.from_date,
            row.to_date,
            next.label()
        ),
    )
    .await?;
    txn.commit().await?;
    for g in guardians {
        messages::announce(app, g);
    }
    Ok(view(row, s.name))
}

/// The guardian who asked takes back a leave that waits.
pub async fn revoke(app: &App, actor: &Actor, leave_id: i64) -> Result<LeaveView> {
    let txn = kehou_store::begin_write(&app.db).await?;
    let r = leave_request::Entity::find_by_id(leave_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .filter(|r| r.applicant_id == actor.user_id)
        .ok_or(Error::NotFound("请假申请"))?;
    let next = transition(&r.status, RequestAction::Revoke)?;
    let s = student(&txn, r.student_id).await?;
    let mut m = r.into_active_model();
    m.status = Set(next.code().into());
    m.decided_at = Set(Some(app.now()));
    let row = m.update(&txn).await?;
    txn.commit().await?;
    Ok(view(row, s.name))
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeaveQuery {
    /// One student's leave (their guardian, head teacher or school).
    pub student_id: Option<i64>,
    /// Every leave of a school (`attendance.view`).
    pub school_id: Option<i64>,
    /// pending, approved, rejected or revoked.
    pub status: Option<String>,
}

/// Leave requests: of a student, of a school, or (neither given) those the caller asked or
/// may decide as head teacher. Newest first, at most 200.
pub async fn list(app: &App, actor: &Actor, q: &LeaveQuery) -> Result<Vec<LeaveView>> {
    let db = &app.db;
    let mut find = leave_request::Entity::find();
    if let Some(sid) = q.student_id {
        let s = student(db, sid)
            .await
            .map_err(|_| Error::NotFound("学生"))?;
        let guardian = crate::enrollment::child_of(db, actor, sid).await.is_ok();
        let staff = actor.can(Permission::AttendanceView)
            && crate::school::school_for(db, actor, s.school_id, Permission::AttendanceView)
                .await
                .is_ok();
        let head = crate::school::student::head_teacher_user(db, &s).await? == Some(actor.user_id);
        if !(guardian || staff || head) {
            return Err(Error::NotFound("学生"));
        }
        find = find.filter(leave_request::Column::StudentId.eq(sid));
    } else if let Some(school_id) = q.school_id {
        let school =
            crate::school::school_for(db, actor, school_id, Permission::AttendanceView).await?;
        find = find.filter(leave_request::Column::SchoolId.eq(school.id));
    } else {
        let mine: Vec<i64> = crate::school::student::students_of_head_teacher(db, actor.user_id)
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect();
        find = find.filter(
            kehou_store::sea_orm::Condition::any()
                .add(leave_request::Column::ApplicantId.eq(actor.user_id))
                .add(leave_request::Column::StudentId.is_in(mine)),
        );
    }
    if let Some(st) = q.status.as_deref().filter(|s| !s.is_empty()) {
        let st = RequestStatus::parse(st).ok_or_else(|| {
            Error::invalid("status", "状态应为 pending、approved、rejected 或 revoked")
        })?;
        find = find.filter(leave_request::Column::Status.eq(st.code()));
    }
    let rows = find
        .order_by_desc(leave_request::Column::Id)
        .limit(200)
        .all(db)
        .await?;
    let names: HashMap<i64, String> = student::Entity::find()
        .filter(student::Column::Id.is_in(rows.iter().map(|r| r.student_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let name = names.get(&r.student_id).cloned().unwrap_or_default();
            view(r, name)
        })
        .collect())
}

/// The students of `student_ids` on approved leave on `date`, with the leave's kind and
/// reason.
pub(crate) async fn approved_on(
    db: &impl ConnectionTrait,
    student_ids: &[i64],
    date: NaiveDate,
) -> Result<HashMap<i64, String>> {
    let mut out = HashMap::new();
    for chunk in student_ids.chunks(500) {
        for r in leave_request::Entity::find()
            .filter(leave_request::Column::StudentId.is_in(chunk.iter().copied()))
            .filter(leave_request::Column::Status.eq(RequestStatus::Approved.code()))
            .filter(leave_request::Column::FromDate.lte(date))
            .filter(leave_request::Column::ToDate.gte(date))
            .all(db)
            .await?
        {
            let kind = LeaveKind::parse(&r.kind).map_or("", LeaveKind::label);
            out.insert(r.student_id, format!("{kind}：{}", r.reason));
        }
    }
    Ok(out)
}

/// How many leave requests of these students wait for a decision.
pub(crate) async fn pending_of(db: &impl ConnectionTrait, student_ids: &[i64]) -> Result<u64> {
    use kehou_store::sea_orm::PaginatorTrait;
    let mut n = 0;
    for chunk in student_ids.chunks(500) {
        n += leave_request::Entity::find()
            .filter(leave_request::Column::StudentId.is_in(chunk.iter().copied()))
            .filter(leave_request::Column::Status.eq(RequestStatus::Pending.code()))
            .count(db)
            .await?;
    }
    Ok(n)
}

/// The leave a person asked for, oldest first, for their personal-data export; `children`
/// names the students by id.
pub(crate) async fn personal_data_of(
    db: &impl ConnectionTrait,
    user_id: i64,
    children: &HashMap<i64, String>,
) -> Result<Vec<serde_json::Value>> {
    let leaves = leave_request::Entity::find()
        .filter(leave_request::Column::ApplicantId.eq(user_id))
        .order_by_asc(leave_request::Column::Id)
        .all(db)
        .await?;
    Ok(leaves
        .iter()
        .map(|l| {
            serde_json::json!({
                "学生": children.get(&l.student_id),
                "类型": LeaveKind::parse(&l.kind).map_or("", LeaveKind::label),
                "症状": l.symptom,
                "事由": l.reason,
                "日期": format!("{} 至 {}", l.from_date, l.to_date),
                "状态": status_label(&l.status),
            })
        })
        .collect())
}
