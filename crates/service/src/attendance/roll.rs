//! The roll call (点名, I9, I10): the teacher marks each student present, late, absent or on
//! leave (all present in one tap, then the exceptions); approved leave is filled in; each
//! change tells the student's guardians at once, in their messages and on their open pages
//! ("周俊 15:32 已到 舞蹈1班").

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use kehou_domain::attendance::{Mark, OPEN_BEFORE_MIN};
use kehou_store::entity::attendance::roll_mark;
use kehou_store::entity::teaching::lesson;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

use crate::platform::audit::By;
use crate::platform::clock::china_label;
use crate::platform::messages::{self, NewMessage};
use crate::teaching::class::ClassStudent;
use crate::teaching::hhmm;
use crate::{Actor, App, Error, Result};

/// How long after its day a lesson's roll call may still be corrected.
const CORRECTABLE_DAYS: i64 = 7;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RollRow {
    pub student_id: i64,
    pub name: String,
    pub admin_class: String,
    /// present, late, absent or leave; none before the roll is called.
    pub status: Option<String>,
    pub status_label: &'static str,
    /// An approved leave covers this lesson.
    pub on_leave: bool,
    /// The leave's kind and reason, when on leave.
    pub leave_note: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RollCallView {
    pub lesson_id: i64,
    pub school_id: i64,
    pub class_name: String,
    pub date: NaiveDate,
    pub start: String,
    pub end: String,
    pub seq_no: i32,
    /// Students of the class.
    pub expected: usize,
    /// Present or late.
    pub present: usize,
    pub late: usize,
    pub absent: usize,
    pub leave: usize,
    pub unmarked: usize,
    pub marked_label: Option<String>,
    /// Whether the caller may mark now (the lesson's teacher, within the window).
    pub can_mark: bool,
    pub rows: Vec<RollRow>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct MarkInput {
    pub student_id: Option<i64>,
    /// present, late, absent or leave.
    pub status: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RollInput {
    /// The students to mark; the others keep their marks.
    pub marks: Vec<MarkInput>,
}

/// Whether a lesson's roll may be called at `now`: from when check-in opens until a week
/// after its day.
fn roll_window(app: &App, l: &lesson::Model) -> Result<()> {
    let opens = l.date.and_time(l.starts_at) - Duration::minutes(OPEN_BEFORE_MIN);
    let now = app.local_now();
    if now < opens {
        return Err(Error::conflict(format!(
            "还没到上课时间，{} 起可点名",
            opens.format("%H:%M")
        )));
    }
    if now.date() > l.date + Duration::days(CORRECTABLE_DAYS) {
        return Err(Error::conflict(format!(
            "课后 {CORRECTABLE_DAYS} 天内可以点名或更正，这节课已超过"
        )));
    }
    Ok(())
}

/// A lesson's roll call: its teacher, or the school with `attendance.view`.
pub async fn get(app: &App, actor: &Actor, lesson_id: i64) -> Result<RollCallView> {
    let (l, teaches) = super::readable_lesson(&app.db, actor, lesson_id).await?;
    let can_mark = teaches && l.status != "cancelled" && roll_window(app, &l).is_ok();
    build(&app.db, &l, can_mark).await
}

/// A lesson's roll call as it stands, for a reader whose permission the caller checked (the
/// patrol teacher).
pub(crate) async fn build(
    db: &impl ConnectionTrait,
    l: &lesson::Model,
    can_mark: bool,
) -> Result<RollCallView> {
    let members = crate::teaching::class::members(db, l.school_id, l.class_id).await?;
    let marks: HashMap<i64, (Mark, DateTime<Utc>)> = roll_mark::Entity::find()
        .filter(roll_mark::Column::LessonId.eq(l.id))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|m| Mark::parse(&m.status).map(|k| (m.student_id, (k, m.marked_at))))
        .collect();
    let ids: Vec<i64> = members.iter().map(|m| m.student_id).collect();
    let leave = super::leave::approved_on(db, &ids, l.date).await?;
    let class_name = crate::teaching::class::by_ids(db, vec![l.class_id])
        .await?
        .into_iter()
        .next()
        .map(|c| c.name)
        .unwrap_or_default();
    Ok(assemble(l, members, &marks, &leave, class_name, can_mark))
}

/// The roll call from its parts: the class's students, their marks (with when), the
/// approved leave of the day.
fn assemble(
    l: &lesson::Model,
    members: Vec<ClassStudent>,
    marks: &HashMap<i64, (Mark, DateTime<Utc>)>,
    leave: &HashMap<i64, String>,
    class_name: String,
    can_mark: bool,
) -> RollCallView {
    let mut v = RollCallView {
        lesson_id: l.id,
        school_id: l.school_id,
        class_name,
        date: l.date,
        start: hhmm(l.starts_at),
        end: hhmm(l.ends_at),
        seq_no: l.seq_no,
        expected: members.len(),
        present: 0,
        late: 0,
        absent: 0,
        leave: 0,
        unmarked: 0,
        marked_label: marks.values().map(|(_, at)| *at).max().map(china_label),
        can_mark,
        rows: Vec::with_capacity(members.len()),
    };
    for s in members {
        let mark = marks.get(&s.student_id).map(|(m, _)| *m);
        let on_leave = leave.get(&s.student_id);
        // Approved leave fills in what nobody marked yet.
        let effective = mark.or(on_leave.map(|_| Mark::Leave));
        match effective {
            Some(Mark::Present) => v.present += 1,
            Some(Mark::Late) => {
                v.present += 1;
                v.late += 1;
            }
            Some(Mark::Absent) => v.absent += 1,
            Some(Mark::Leave) => v.leave += 1,
            None => v.unmarked += 1,
        }
        v.rows.push(RollRow {
            student_id: s.student_id,
            name: s.name,
            admin_class: s.admin_class,
            status: effective.map(|m| m.code().to_string()),
            status_label: effective.map_or("未点名", Mark::label),
            on_leave: on_leave.is_some(),
            leave_note: on_leave.cloned().unwrap_or_default(),
        });
    }
    v
}

/// The teacher marks students of their lesson; each change is told to the guardians.
pub async fn save(
    app: &App,
    actor: &Actor,
    lesson_id: i64,
    input: RollInput,
) -> Result<RollCallView> {
    let l = super::own_lesson(&app.db, actor, lesson_id).await?;
    if input.marks.is_empty() {
        return Err(Error::invalid("marks", "请至少为一名学生点名"));
    }
    if input.marks.len() > 500 {
        return Err(Error::invalid("marks", "一次最多点名 500 名学生"));
    }
    let members = crate::teaching::class::members(&app.db, l.school_id, l.class_id).await?;
    let names: HashMap<i64, String> = members
        .iter()
        .map(|m| (m.student_id, m.name.clone()))
        .collect();
    let mut wanted: Vec<(i64, Mark)> = Vec::with_capacity(input.marks.len());
    let mut seen = HashSet::new();
    for (i, m) in input.marks.iter().enumerate() {
        let Some(student_id) = m.student_id else {
            return Err(Error::invalid(&format!("marks.{i}.student_id"), "缺少学生"));
        };
        if !names.contains_key(&student_id) {
            return Err(Error::invalid(
                &format!("marks.{i}.student_id"),
                "该学生不在本教学班",
            ));
        }
        if !seen.insert(student_id) {
            return Err(Error::invalid(
                &format!("marks.{i}.student_id"),
                "同一名学生出现了两次",
            ));
        }
        let Some(mark) = Mark::parse(m.status.trim()) else {
            return Err(Error::invalid(
                &format!("marks.{i}.status"),
                "点名结果应为 present（已到）、late（迟到）、absent（缺勤）或 leave（请假）",
            ));
        };
        wanted.push((student_id, mark));
    }
    super::check_held(&l)?;
    roll_window(app, &l)?;
    let now = app.now();
    let clock = app.local_now().format("%H:%M").to_string();
    // One roll call after the other: under a burst each finishes in turn (measured: the
    // reads outside the transaction made every one wait for all).
    let txn = kehou_store::begin_write(&app.db).await?;
    let class_name = crate::teaching::class::by_ids(&txn, vec![l.class_id])
        .await?
        .into_iter()
        .next()
        .map(|c| c.name)
        .unwrap_or_default();
    let ids: Vec<i64> = wanted.iter().map(|(s, _)| *s).collect();
    let guardians = crate::school::student::guardian_users(&txn, &ids).await?;
    let school = crate::system::load_any_school(&txn, l.school_id).await?;
    let existing: HashMap<i64, roll_mark::Model> = roll_mark::Entity::find()
        .filter(roll_mark::Column::LessonId.eq(l.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|m| (m.student_id, m))
        .collect();
    let mut changed: Vec<(i64, Mark)> = Vec::new();
    let mut fresh: Vec<roll_mark::ActiveModel> = Vec::new();
    for (student_id, mark) in wanted {
        match existing.get(&student_id) {
            Some(m) if m.status == mark.code() => continue,
            Some(m) => {
                let mut a = m.clone().into_active_model();
                a.status = Set(mark.code().into());
                a.marked_by = Set(actor.user_id);
                a.marked_at = Set(now);
                a.update(&txn).await?;
            }
            None => fresh.push(roll_mark::ActiveModel {
                lesson_id: Set(l.id),
                student_id: Set(student_id),
                status: Set(mark.code().into()),
                marked_by: Set(actor.user_id),
                marked_at: Set(now),
                ..Default::default()
            }),
        }
        changed.push((student_id, mark));
    }
    if !fresh.is_empty() {
        roll_mark::Entity::insert_many(fresh).exec(&txn).await?;
    }
    let mut told: Vec<i64> = Vec::new();
    let mut batch: Vec<(i64, NewMessage)> = Vec::new();
    for (student_id, mark) in &changed {
        let name = names
            .get(student_id)
            .map(String::as_str)
            .unwrap_or_default();
        for g in guardians.get(student_id).map(Vec::as_slice).unwrap_or(&[]) {
            batch.push((
                *g,
                NewMessage {
                    kind: "attendance",
                    title: format!("{name} {clock} {} {class_name}", mark.label()),
                    body: format!(
                        "{name} 在 {} {}—{} 的{class_name}（第{}次课）点名结果：{}。",
                        l.date.format("%-m月%-d日"),
                        hhmm(l.starts_at),
                        hhmm(l.ends_at),
                        l.seq_no,
                        mark.label()
                    ),
                    link: Some(format!("/attendance/children?student_id={student_id}")),
                },
            ));
            told.push(*g);
        }
    }
    messages::send_many(&txn, batch, now).await?;
    if !changed.is_empty() {
        let count = |m: Mark| changed.iter().filter(|(_, c)| *c == m).count();
        super::record_event(
            &txn,
            app,
            &By::actor(actor),
            (school.id, &school.path),
            "attendance.roll_call",
            ("lesson", l.id),
            format!(
                "{class_name} {} {} 点名：已到 {}，迟到 {}，缺勤 {}，请假 {}",
                l.date,
                hhmm(l.starts_at),
                count(Mark::Present),
                count(Mark::Late),
                count(Mark::Absent),
                count(Mark::Leave)
            ),
        )
        .await?;
    }
    // The answer from what is in hand: the marks as they now stand and the day's leave.
    let mut marks: HashMap<i64, (Mark, DateTime<Utc>)> = existing
        .into_values()
        .filter_map(|m| Mark::parse(&m.status).map(|k| (m.student_id, (k, m.marked_at))))
        .collect();
    for (student_id, mark) in &changed {
        marks.insert(*student_id, (*mark, now));
    }
    let all: Vec<i64> = members.iter().map(|m| m.student_id).collect();
    let leave = super::leave::approved_on(&txn, &all, l.date).await?;
    txn.commit().await?;
    let v = assemble(&l, members, &marks, &leave, class_name, true);
    told.sort_unstable();
    told.dedup();
    for g in told {
        messages::announce(app, g);
    }
    Ok(v)
}

/// The marks of some lessons (the school's overview): lesson → (present, late, absent,
/// leave, marked).
pub(crate) async fn counts_of(
    db: &impl ConnectionTrait,
    lesson_ids: &[i64],
) -> Result<HashMap<i64, [usize; 5]>> {
    let mut out: HashMap<i64, [usize; 5]> = HashMap::new();
    for chunk in lesson_ids.chunks(500) {
        for m in roll_mark::Entity::find()
            .filter(roll_mark::Column::LessonId.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            let c = out.entry(m.lesson_id).or_default();
            match Mark::parse(&m.status) {
                Some(Mark::Present) => c[0] += 1,
                Some(Mark::Late) => c[1] += 1,
                Some(Mark::Absent) => c[2] += 1,
                Some(Mark::Leave) => c[3] += 1,
                None => {}
            }
            c[4] += 1;
        }
    }
    Ok(out)
}

/// The marks of a student in some lessons: lesson → mark.
pub(crate) async fn marks_of_student(
    db: &impl ConnectionTrait,
    student_id: i64,
    lesson_ids: &[i64],
) -> Result<HashMap<i64, Mark>> {
    let mut out = HashMap::new();
    for chunk in lesson_ids.chunks(500) {
        for m in roll_mark::Entity::find()
            .filter(roll_mark::Column::StudentId.eq(student_id))
            .filter(roll_mark::Column::LessonId.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            if let Some(mark) = Mark::parse(&m.status) {
                out.insert(m.lesson_id, mark);
            }
        }
    }
    Ok(out)
}

/// Marks a student on leave in the lessons an approved leave covers, where nobody marked
/// them present or late: in the caller's transaction.
pub(crate) async fn mark_leave(
    db: &impl ConnectionTrait,
    student_id: i64,
    lesson_ids: &[i64],
    by: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize> {
    let existing = marks_of_student(db, student_id, lesson_ids).await?;
    let mut fresh = Vec::new();
    let mut changed = 0;
    for id in lesson_ids {
        match existing.get(id) {
            Some(Mark::Absent) => {
                roll_mark::Entity::update_many()
                    .col_expr(roll_mark::Column::Status, Mark::Leave.code().into())
                    .filter(roll_mark::Column::LessonId.eq(*id))
                    .filter(roll_mark::Column::StudentId.eq(student_id))
                    .exec(db)
                    .await?;
                changed += 1;
            }
            Some(_) => {}
            None => {
                fresh.push(roll_mark::ActiveModel {
                    lesson_id: Set(*id),
                    student_id: Set(student_id),
                    status: Set(Mark::Leave.code().into()),
                    marked_by: Set(by),
                    marked_at: Set(now),
                    ..Default::default()
                });
                changed += 1;
            }
        }
    }
    if !fresh.is_empty() {
        roll_mark::Entity::insert_many(fresh).exec(db).await?;
    }
    Ok(changed)
}

/// How many of these lessons have no mark at all (their roll was never called).
pub(crate) async fn unmarked(db: &impl ConnectionTrait, lesson_ids: &[i64]) -> Result<usize> {
    let mut called: HashSet<i64> = HashSet::new();
    for chunk in lesson_ids.chunks(500) {
        called.extend(
            roll_mark::Entity::find()
                .select_only()
                .column(roll_mark::Column::LessonId)
                .distinct()
                .filter(roll_mark::Column::LessonId.is_in(chunk.iter().copied()))
                .into_tuple::<i64>()
                .all(db)
                .await?,
        );
    }
    Ok(lesson_ids.iter().filter(|l| !called.contains(l)).count())
}
