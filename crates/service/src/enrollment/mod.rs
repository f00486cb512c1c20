//! Enrollment (报名选课): the school's windows and rules for a term, the notice parents
//! sign, the selection itself (rules checked under locks, one order per accepted item),
//! unpaid seat holds released by a durable job, waitlists, and the invariants `kehou
//! check` verifies.

pub mod assign;
pub mod change;
pub mod check;
pub mod drops;
pub mod lottery;
pub mod notice;
pub mod order;
pub mod roster;
pub mod select;
pub mod settings;
pub mod waitlist;

use chrono::{DateTime, Utc};
use kehou_domain::enrollment::WindowKind;
use kehou_store::entity::enrollment::{exclusive_group, settings as term_settings, window};
use kehou_store::entity::school::{admin_class, guardian, student, term};
use kehou_store::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::platform::clock::china_label;
use crate::{Actor, App, Error, Result};

/// How long an unpaid order holds its seat unless the school says otherwise.
pub const HOLD_MINUTES_DEFAULT: i32 = 30;

/// The rules of a term as a selection reads them.
#[derive(Debug, Clone)]
pub(crate) struct TermRules {
    pub max_courses: Option<i32>,
    pub hold_minutes: i32,
    pub windows: Vec<window::Model>,
    /// Name and offering items of each mutually exclusive group.
    pub groups: Vec<(String, Vec<i64>)>,
}

impl TermRules {
    /// The window admitting `kind` for `grade` at `now`.
    pub fn open_window(
        &self,
        grade: Option<i32>,
        now: DateTime<Utc>,
        kind: impl Fn(WindowKind) -> bool,
    ) -> Option<&window::Model> {
        self.windows.iter().find(|w| {
            WindowKind::parse(&w.kind).is_some_and(&kind)
                && (w.grade.is_none() || w.grade == grade)
                && w.opens_at <= now
                && now < w.closes_at
        })
    }

    /// When the windows of `kind` for `grade` are, in plain words.
    pub fn when(&self, grade: Option<i32>, kind: impl Fn(WindowKind) -> bool) -> String {
        let spans: Vec<String> = self
            .windows
            .iter()
            .filter(|w| {
                WindowKind::parse(&w.kind).is_some_and(&kind)
                    && (w.grade.is_none() || w.grade == grade)
            })
            .map(|w| {
                format!(
                    "{}：{} 至 {}",
                    WindowKind::parse(&w.kind).map_or("", WindowKind::label),
                    china_label(w.opens_at),
                    china_label(w.closes_at)
                )
            })
            .collect();
        if spans.is_empty() {
            "本学期尚未安排这一时段".into()
        } else {
            spans.join("；")
        }
    }
}

pub(crate) async fn term_rules(
    db: &impl ConnectionTrait,
    school_id: i64,
    term_id: i64,
) -> Result<TermRules> {
    let s = term_settings::Entity::find()
        .filter(term_settings::Column::SchoolId.eq(school_id))
        .filter(term_settings::Column::TermId.eq(term_id))
        .one(db)
        .await?;
    let windows = window::Entity::find()
        .filter(window::Column::SchoolId.eq(school_id))
        .filter(window::Column::TermId.eq(term_id))
        .order_by_asc(window::Column::OpensAt)
        .order_by_asc(window::Column::Id)
        .all(db)
        .await?;
    let groups = exclusive_group::Entity::find()
        .filter(exclusive_group::Column::SchoolId.eq(school_id))
        .filter(exclusive_group::Column::TermId.eq(term_id))
        .order_by_asc(exclusive_group::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.name, ids_of(&g.item_ids)))
        .collect();
    Ok(TermRules {
        max_courses: s.as_ref().and_then(|s| s.max_courses),
        hold_minutes: s.map_or(HOLD_MINUTES_DEFAULT, |s| s.hold_minutes),
        windows,
        groups,
    })
}

/// "1,2,3" → [1, 2, 3].
pub(crate) fn ids_of(raw: &str) -> Vec<i64> {
    raw.split(',')
        .filter_map(|p| p.trim().parse().ok())
        .collect()
}

/// The student, when the actor is one of their guardians; otherwise not found, as for a
/// student who does not exist.
pub(crate) async fn child_of(
    db: &impl ConnectionTrait,
    actor: &Actor,
    student_id: i64,
) -> Result<student::Model> {
    let linked = guardian::Entity::find()
        .filter(guardian::Column::StudentId.eq(student_id))
        .filter(guardian::Column::UserId.eq(actor.user_id))
        .one(db)
        .await?
        .is_some();
    if !linked {
        return Err(Error::NotFound("学生"));
    }
    student::Entity::find_by_id(student_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("学生"))
}

/// The grade of a student's administrative class.
/// An enrollment of one of the actor's children, with the child; another's is not found.
pub(crate) async fn own_enrollment(
    db: &impl ConnectionTrait,
    actor: &Actor,
    enrollment_id: i64,
) -> Result<(
    kehou_store::entity::enrollment::enrollment::Model,
    student::Model,
)> {
    use kehou_store::entity::enrollment::enrollment;
    let e = enrollment::Entity::find_by_id(enrollment_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("报名"))?;
    let child = child_of(db, actor, e.student_id)
        .await
        .map_err(|_| Error::NotFound("报名"))?;
    Ok((e, child))
}

/// In a write transaction: the student's row locked — a student's selections, drops and
/// changes go one at a time — and the enrollment as it now stands.
pub(crate) async fn lock_enrollment(
    txn: &impl ConnectionTrait,
    student_id: i64,
    enrollment_id: i64,
) -> Result<kehou_store::entity::enrollment::enrollment::Model> {
    use kehou_store::entity::enrollment::enrollment;
    use kehou_store::sea_orm::QuerySelect;
    student::Entity::find_by_id(student_id)
        .lock_exclusive()
        .one(txn)
        .await?;
    enrollment::Entity::find_by_id(enrollment_id)
        .one(txn)
        .await?
        .ok_or(Error::NotFound("报名"))
}

/// What of an enrollment waits for the school — its drop or change request — if anything:
/// one request at a time.
pub(crate) async fn request_waiting(
    db: &impl ConnectionTrait,
    enrollment_id: i64,
) -> Result<Option<&'static str>> {
    use kehou_domain::enrollment::DropRequestStatus;
    use kehou_store::entity::enrollment::{change, drop_request};
    let pending = DropRequestStatus::Pending.code();
    if drop_request::Entity::find()
        .filter(drop_request::Column::EnrollmentId.eq(enrollment_id))
        .filter(drop_request::Column::Status.eq(pending))
        .one(db)
        .await?
        .is_some()
    {
        return Ok(Some("退课申请"));
    }
    Ok(change::Entity::find()
        .filter(change::Column::EnrollmentId.eq(enrollment_id))
        .filter(change::Column::Status.eq(pending))
        .one(db)
        .await?
        .map(|_| "调课申请"))
}

pub(crate) async fn grade_of(db: &impl ConnectionTrait, s: &student::Model) -> Result<Option<i32>> {
    let Some(class_id) = s.class_id else {
        return Ok(None);
    };
    Ok(admin_class::Entity::find_by_id(class_id)
        .one(db)
        .await?
        .map(|c| i32::from(c.grade)))
}

/// The grades of students' administrative classes, by student, in one query.
pub(crate) async fn grades_of(
    db: &impl ConnectionTrait,
    students: &[student::Model],
) -> Result<std::collections::HashMap<i64, i32>> {
    let classes: std::collections::HashMap<i64, i32> = admin_class::Entity::find()
        .filter(admin_class::Column::Id.is_in(students.iter().filter_map(|s| s.class_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, i32::from(c.grade)))
        .collect();
    Ok(students
        .iter()
        .filter_map(|s| Some((s.id, *classes.get(&s.class_id?)?)))
        .collect())
}

/// The term a parent enrolls in now: the one under way, else the next, else the last.
pub(crate) async fn current_term(
    app: &App,
    db: &impl ConnectionTrait,
    school_id: i64,
) -> Result<term::Model> {
    let today = app.today();
    let terms = term::Entity::find()
        .filter(term::Column::SchoolId.eq(school_id))
        .order_by_asc(term::Column::StartDate)
        .all(db)
        .await?;
    terms
        .iter()
        .find(|t| t.start_date <= today && today <= t.end_date)
        .or_else(|| terms.iter().find(|t| t.start_date > today))
        .or(terms.last())
        .cloned()
        .ok_or(Error::NotFound("学期"))
}

/// A term of a school, checked to belong to it.
pub(crate) async fn term_row(
    db: &impl ConnectionTrait,
    school_id: i64,
    term_id: i64,
) -> Result<term::Model> {
    term::Entity::find_by_id(term_id)
        .filter(term::Column::SchoolId.eq(school_id))
        .one(db)
        .await?
        .ok_or(Error::NotFound("学期"))
}

/// Audit events of this area are a school's.
pub(crate) use crate::platform::audit::record_at_school as record;

/// Leaves a message for each guardian of a student in the caller's transaction; returns
/// whom to announce it to once committed.
pub(crate) async fn tell_guardians(
    txn: &impl ConnectionTrait,
    student_id: i64,
    title: String,
    body: String,
    now: DateTime<Utc>,
) -> Result<Vec<i64>> {
    let parents: Vec<i64> = guardian::Entity::find()
        .filter(guardian::Column::StudentId.eq(student_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|g| g.user_id)
        .collect();
    for p in &parents {
        crate::platform::messages::send(
            txn,
            *p,
            crate::platform::messages::NewMessage {
                kind: "enrollment",
                title: title.clone(),
                body: body.clone(),
                link: Some(format!("/enroll?student_id={student_id}")),
            },
            now,
        )
        .await?;
    }
    Ok(parents)
}
