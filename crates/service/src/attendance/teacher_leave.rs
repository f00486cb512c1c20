//! Teachers' own leave (教师请假, I1): a teacher of a school asks for days off with a reason;
//! the school approves it and names one substitute for every lesson of those days in the
//! same step — each lesson's teachers change, it carries the note the timetables show, and
//! each substitution is recorded with its pay like a substitute request — or rejects it.
//! The teacher may revoke while it waits. A substitute busy at any of the lessons refuses
//! the whole approval.

use chrono::NaiveDate;
use kehou_domain::Permission;
use kehou_domain::attendance::{RequestAction, RequestStatus};
use kehou_store::entity::attendance::{lesson_change, teacher_leave};
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

use super::change::{SUBSTITUTE, check_ahead, checked_fee, clash};
use super::{status_label, transition};
use crate::platform::audit::By;
use crate::platform::clock::china_label;
use crate::platform::messages::{self, NewMessage};
use crate::teaching::timetable::Entry;
use crate::{Actor, App, Error, Result};

/// The longest leave asked at once, in days.
const MAX_DAYS: i64 = 31;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct TeacherLeaveInput {
    /// `YYYY-MM-DD`, today or later.
    pub from: String,
    /// `YYYY-MM-DD`; at most 31 days in all.
    pub to: String,
    /// At most 200 characters.
    pub reason: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct TeacherLeaveDecision {
    /// true approves, false rejects.
    pub approve: Option<bool>,
    pub note: String,
    /// To approve: the staff member of the school who teaches the lessons instead.
    pub substitute_staff_id: Option<i64>,
    /// The substitute's pay per lesson in fen (0 when none).
    pub fee_fen: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TeacherLeaveView {
    pub id: i64,
    pub school_id: i64,
    pub user_id: i64,
    pub teacher_name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub reason: String,
    pub status: String,
    pub status_label: &'static str,
    pub substitute_name: String,
    /// Lessons the substitute took over (once approved).
    pub lessons: i32,
    pub decision_note: String,
    pub created_label: String,
}

fn view(l: teacher_leave::Model) -> TeacherLeaveView {
    TeacherLeaveView {
        id: l.id,
        school_id: l.school_id,
        user_id: l.user_id,
        teacher_name: l.teacher_name,
        from: l.from_date,
        to: l.to_date,
        reason: l.reason,
        status_label: status_label(&l.status),
        status: l.status,
        substitute_name: l.substitute_name,
        lessons: l.lessons,
        decision_note: l.decision_note,
        created_label: china_label(l.created_at),
    }
}

/// The lessons a teacher teaches at a school in a span that have not started, in order.
async fn lessons_ahead(
    app: &App,
    db: &impl kehou_store::sea_orm::ConnectionTrait,
    (user_id, school_id): (i64, i64),
    (from, to): (NaiveDate, NaiveDate),
) -> Result<Vec<Entry>> {
    let now = app.local_now();
    Ok(crate::teaching::timetable::taught_by(db, user_id, from, to)
        .await?
        .into_iter()
        .filter(|e| e.school_id == school_id)
        .filter(|e| {
            chrono::NaiveTime::parse_from_str(&e.start, "%H:%M")
                .is_ok_and(|t| e.date.and_time(t) > now)
        })
        .collect())
}

/// A teacher of their school asks for leave; the school's attendance managers are told.
pub async fn request(
    app: &App,
    actor: &Actor,
    input: TeacherLeaveInput,
) -> Result<TeacherLeaveView> {
    let db = &app.db;
    actor.require(Permission::SchoolView)?;
    if actor.org_kind != kehou_domain::OrgKind::School {
        return Err(Error::invalid("school", "请以学校教职工身份申请请假"));
    }
    let school = crate::system::load_any_school(db, actor.org_id).await?;
    let (from, to) = super::leave_span(app, &input.from, &input.to, MAX_DAYS)?;
    let reason = kehou_domain::field::required_text(&input.reason, 200)
        .map_err(|m| Error::invalid("reason", m))?;
    if lessons_ahead(app, db, (actor.user_id, school.id), (from, to))
        .await?
        .is_empty()
    {
        return Err(Error::conflict(
            "这段时间您在本校没有未开始的课后服务课程，不需要请假",
        ));
    }
    let managers =
        crate::identity::auth::members_with(db, school.id, Permission::AttendanceManage).await?;
    let now = app.now();
    let txn = kehou_store::begin_write(db).await?;
    let overlapping = teacher_leave::Entity::find()
        .filter(teacher_leave::Column::UserId.eq(actor.user_id))
        .filter(teacher_leave::Column::SchoolId.eq(school.id))
        .filter(teacher_leave::Column::Status.is_in([
            RequestStatus::Pending.code(),
            RequestStatus::Approved.code(),
        ]))
        .filter(teacher_leave::Column::FromDate.lte(to))
        .filter(teacher_leave::Column::ToDate.gte(from))
        .one(&txn)
        .await?;
    if let Some(o) = overlapping {
        return Err(super::overlapping_leave(o.from_date, o.to_date, &o.status));
    }
    let row = teacher_leave::ActiveModel {
        school_id: Set(school.id),
        user_id: Set(actor.user_id),
        teacher_name: Set(actor.user_name.chars().take(50).collect()),
        from_date: Set(from),
        to_date: Set(to),
        reason: Set(reason.clone()),
        status: Set(RequestStatus::Pending.code().into()),
        substitute_staff_id: Set(None),
        substitute_name: Set(String::new()),
        lessons: Set(0),
        decided_by: Set(None),
        decided_at: Set(None),
        decision_note: Set(String::new()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let batch = managers
        .iter()
        .filter(|u| **u != actor.user_id)
        .map(|u| {
            (
                *u,
                NewMessage {
                    kind: "attendance",
                    title: format!("教师请假待审批：{}", actor.user_name),
                    body: format!(
                        "{} 申请 {from} 至 {to} 请假：{reason}。批准时请指定代课教师。",
                        actor.user_name
                    ),
                    link: Some(format!("/schools/{}/attendance#requests", school.id)),
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
        "attendance.teacher_leave_request",
        ("teacher_leave", row.id),
        format!("{} 申请请假 {from} 至 {to}：{reason}", actor.user_name),
    )
    .await?;
    txn.commit().await?;
    for u in managers {
        messages::announce(app, u);
    }
    Ok(view(row))
}

/// The school approves — naming the substitute of every lesson of the leave, with the pay
/// per lesson — or rejects (`attendance.manage`); nobody decides their own.
pub async fn decide(
    app: &App,
    actor: &Actor,
    leave_id: i64,
    d: TeacherLeaveDecision,
) -> Result<TeacherLeaveView> {
    actor.require(Permission::AttendanceManage)?;
    let db = &app.db;
    let l = teacher_leave::Entity::find_by_id(leave_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("教师请假"))?;
    let school = crate::school::school_for(db, actor, l.school_id, Permission::AttendanceManage)
        .await
        .map_err(|_| Error::NotFound("教师请假"))?;
    let (action, note) = super::Decision {
        approve: d.approve,
        note: d.note.clone(),
    }
    .parse()?;
    let fee = checked_fee(d.fee_fen)?;
    let substitute = match (action, d.substitute_staff_id) {
        (RequestAction::Approve, None) => {
            return Err(Error::invalid(
                "substitute_staff_id",
                "批准请假请指定代课教师",
            ));
        }
        (RequestAction::Approve, Some(staff_id)) => {
            match crate::school::staff::active_member(db, staff_id).await? {
                Some((s, user, name)) if s == l.school_id && user != l.user_id => {
                    Some((staff_id, user, name))
                }
                _ => {
                    return Err(Error::invalid(
                        "substitute_staff_id",
                        "代课教师须为本校在职的另一位教职工",
                    ));
                }
            }
        }
        _ => None,
    };
    if l.user_id == actor.user_id {
        return Err(Error::conflict("不能审批自己提交的申请"));
    }
    let now = app.now();
    let txn = kehou_store::begin_write(db).await?;
    let l = teacher_leave::Entity::find_by_id(leave_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("教师请假"))?;
    let next = transition(&l.status, action)?;
    let mut taken = 0;
    let mut told = vec![l.user_id];
    if let Some((staff_id, user, name)) = &substitute {
        let own_staff = crate::school::staff::staff_id_of(&txn, l.school_id, l.user_id).await?;
        let span = (l.from_date, l.to_date);
        let lessons = lessons_ahead(app, &txn, (l.user_id, l.school_id), span).await?;
        // The substitute's own lessons of the whole span, read once.
        let theirs = crate::teaching::timetable::taught_by(&txn, *user, span.0, span.1).await?;
        for e in &lessons {
            let lesson = crate::teaching::lesson::find(&txn, e.lesson_id).await?;
            check_ahead(app, &lesson)?;
            if let Some(at) = clash(&theirs, &lesson, &[]) {
                return Err(Error::conflict(format!(
                    "{name} 在 {} {}–{} 另有课：{at}",
                    e.date, e.start, e.end
                )));
            }
            let before = crate::teaching::lesson::teachers(&txn, lesson.id).await?;
            // A lesson taught by several keeps the others; the teacher on leave is replaced.
            let mut teachers: Vec<(Option<i64>, Option<i64>, String)> = before
                .iter()
                .filter(|t| own_staff.is_none() || t.staff_id != own_staff)
                .map(|t| (t.staff_id, t.institution_teacher_id, t.name.clone()))
                .collect();
            teachers.push((Some(*staff_id), None, name.clone()));
            crate::teaching::lesson::set_teachers(
                &txn,
                &lesson,
                &teachers,
                &format!("代课：{name}（原 {}，请假）", l.teacher_name),
                now,
            )
            .await?;
            lesson_change::ActiveModel {
                school_id: Set(l.school_id),
                kind: Set(SUBSTITUTE.into()),
                lesson_id: Set(lesson.id),
                other_lesson_id: Set(None),
                requested_by: Set(l.user_id),
                requester_name: Set(l.teacher_name.clone()),
                substitute_staff_id: Set(Some(*staff_id)),
                substitute_name: Set(name.chars().take(50).collect()),
                reason: Set(format!("请假：{}", l.reason).chars().take(200).collect()),
                status: Set(RequestStatus::Approved.code().into()),
                fee_fen: Set(fee),
                decided_by: Set(Some(actor.user_id)),
                decided_at: Set(Some(now)),
                decision_note: Set(note.clone()),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            taken += 1;
        }
        told.push(*user);
    }
    let mut m = l.into_active_model();
    m.status = Set(next.code().into());
    m.substitute_staff_id = Set(substitute.as_ref().map(|s| s.0));
    m.substitute_name = Set(substitute
        .as_ref()
        .map(|s| s.2.chars().take(50).collect())
        .unwrap_or_default());
    m.lessons = Set(taken);
    m.decided_by = Set(Some(actor.user_id));
    m.decided_at = Set(Some(now));
    m.decision_note = Set(note.clone());
    let row = m.update(&txn).await?;
    let sub = substitute
        .as_ref()
        .map(|s| format!("，{} 代课 {taken} 节", s.2))
        .unwrap_or_default();
    let batch = told
        .iter()
        .map(|u| {
            (
                *u,
                NewMessage {
                    kind: "attendance",
                    title: format!("教师请假{}：{}", next.label(), row.teacher_name),
                    body: format!(
                        "{} {} 至 {} 的请假{}{sub}{}",
                        row.teacher_name,
                        row.from_date,
                        row.to_date,
                        next.label(),
                        if note.is_empty() {
                            "。".to_string()
                        } else {
                            format!("：{note}")
                        }
                    ),
                    link: Some("/attendance".into()),
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
        "attendance.teacher_leave_decide",
        ("teacher_leave", row.id),
        format!(
            "{} {} 至 {} 的请假：{}{sub}",
            row.teacher_name,
            row.from_date,
            row.to_date,
            next.label()
        ),
    )
    .await?;
    txn.commit().await?;
    for u in told {
        messages::announce(app, u);
    }
    Ok(view(row))
}

/// The teacher takes back a leave that waits.
pub async fn revoke(app: &App, actor: &Actor, leave_id: i64) -> Result<TeacherLeaveView> {
    let txn = kehou_store::begin_write(&app.db).await?;
    let l = teacher_leave::Entity::find_by_id(leave_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .filter(|l| l.user_id == actor.user_id)
        .ok_or(Error::NotFound("教师请假"))?;
    let next = transition(&l.status, RequestAction::Revoke)?;
    let mut m = l.into_active_model();
    m.status = Set(next.code().into());
    m.decided_at = Set(Some(app.now()));
    let row = m.update(&txn).await?;
    txn.commit().await?;
    Ok(view(row))
}

/// The caller's own leave, newest first.
pub async fn mine(app: &App, actor: &Actor) -> Result<Vec<TeacherLeaveView>> {
    Ok(teacher_leave::Entity::find()
        .filter(teacher_leave::Column::UserId.eq(actor.user_id))
        .order_by_desc(teacher_leave::Column::Id)
        .limit(50)
        .all(&app.db)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// A school's teachers' leave, newest first, at most 500 (`attendance.view`); only those
/// in a status when asked.
pub async fn list(
    app: &App,
    actor: &Actor,
    school_id: i64,
    status: Option<&str>,
) -> Result<Vec<TeacherLeaveView>> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::AttendanceView).await?;
    let mut q = teacher_leave::Entity::find().filter(teacher_leave::Column::SchoolId.eq(school.id));
    if let Some(s) = status.map(str::trim).filter(|s| !s.is_empty()) {
        let s = RequestStatus::parse(s).ok_or_else(|| {
            Error::invalid("status", "状态应为 pending、approved、rejected 或 revoked")
        })?;
        q = q.filter(teacher_leave::Column::Status.eq(s.code()));
    }
    Ok(q.order_by_desc(teacher_leave::Column::Id)
        .limit(500)
        .all(&app.db)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// The school's active staff who may substitute (`attendance.manage`), by name.
pub async fn substitutes(app: &App, actor: &Actor, school_id: i64) -> Result<Vec<(i64, String)>> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::AttendanceManage).await?;
    crate::school::staff::active_staff(&app.db, school.id).await
}
