//! Attendance records: a student's lessons with their marks (I10, I11: the parent's page and
//! `GET /students/{id}/attendance`), and a school's day: every lesson with its teachers'
//! check-ins and its roll-call counts (I1, I4, I14).

use chrono::{Duration, NaiveDate};
use kehou_domain::Permission;
use kehou_domain::attendance::Mark;
use kehou_store::sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};

use super::check_in::CheckInView;
use crate::teaching::timetable::Entry;
use crate::{Actor, App, Error, Result};

/// The longest span one answer covers, in days.
pub const SPAN_MAX_DAYS: i64 = 62;

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SpanQuery {
    /// `YYYY-MM-DD`; two weeks ago when absent.
    pub from: Option<String>,
    /// `YYYY-MM-DD`; a week ahead when absent; at most 62 days in all.
    pub to: Option<String>,
}

pub fn span(today: NaiveDate, q: &SpanQuery) -> Result<(NaiveDate, NaiveDate)> {
    super::date_range(
        &q.from,
        &q.to,
        (today - Duration::days(13), today + Duration::days(7)),
        SPAN_MAX_DAYS,
    )
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StudentLesson {
    pub lesson: Entry,
    /// present, late, absent or leave; none when not called (yet).
    pub status: Option<String>,
    pub status_label: &'static str,
    pub started: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StudentAttendance {
    pub student_id: i64,
    pub student_name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub lessons: Vec<StudentLesson>,
    /// Lessons that have started.
    pub held: usize,
    pub present: usize,
    pub late: usize,
    pub absent: usize,
    pub leave: usize,
    /// Present (or late) of the lessons called, as 95.0%.
    pub rate: String,
}

/// A student whose attendance the actor may read: their guardian, their head teacher, or
/// the school with `attendance.view`; anyone else finds no such student.
pub(crate) async fn readable_student(
    db: &impl kehou_store::sea_orm::ConnectionTrait,
    actor: &Actor,
    student_id: i64,
) -> Result<kehou_store::entity::school::student::Model> {
    if let Ok(s) = crate::enrollment::child_of(db, actor, student_id).await {
        return Ok(s);
    }
    let s = kehou_store::entity::school::student::Entity::find_by_id(student_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("学生"))?;
    let head = crate::school::student::head_teacher_user(db, &s).await? == Some(actor.user_id);
    let staff = actor.can(Permission::AttendanceView)
        && crate::school::school_for(db, actor, s.school_id, Permission::AttendanceView)
            .await
            .is_ok();
    if !(head || staff) {
        return Err(Error::NotFound("学生"));
    }
    Ok(s)
}

/// A student's lessons from `from` to `to` with their marks: their guardian, their head
/// teacher, or the school with `attendance.view`.
pub async fn student(
    app: &App,
    actor: &Actor,
    student_id: i64,
    q: &SpanQuery,
) -> Result<StudentAttendance> {
    let db = &app.db;
    let s = readable_student(db, actor, student_id).await?;
    let (from, to) = span(app.today(), q)?;
    let entries = crate::teaching::timetable::of_students(db, &[s.id], from, to).await?;
    let ids: Vec<i64> = entries.iter().map(|e| e.lesson_id).collect();
    let marks = super::roll::marks_of_student(db, s.id, &ids).await?;
    let mut leave_days: std::collections::HashMap<NaiveDate, bool> = Default::default();
    let now = app.local_now();
    let mut out = StudentAttendance {
        student_id: s.id,
        student_name: s.name.clone(),
        from,
        to,
        lessons: Vec::with_capacity(entries.len()),
        held: 0,
        present: 0,
        late: 0,
        absent: 0,
        leave: 0,
        rate: "—".into(),
    };
    for e in entries {
        let on_leave = match leave_days.get(&e.date) {
            Some(v) => *v,
            None => {
                let v = super::leave::approved_on(db, &[s.id], e.date)
                    .await?
                    .contains_key(&s.id);
                leave_days.insert(e.date, v);
                v
            }
        };
        let mark = marks
            .get(&e.lesson_id)
            .copied()
            .or(on_leave.then_some(Mark::Leave));
        let started = e
            .date
            .and_time(chrono::NaiveTime::parse_from_str(&e.start, "%H:%M").unwrap_or_default())
            <= now;
        // Counts and the rate speak of lessons held; a future leave is shown, not counted.
        if started {
            out.held += 1;
        }
        match mark.filter(|_| started) {
            Some(Mark::Present) => out.present += 1,
            Some(Mark::Late) => {
                out.present += 1;
                out.late += 1;
            }
            Some(Mark::Absent) => out.absent += 1,
            Some(Mark::Leave) => out.leave += 1,
            None => {}
        }
        out.lessons.push(StudentLesson {
            status: mark.map(|m| m.code().to_string()),
            status_label: match mark {
                Some(m) => m.label(),
                None if started => "未点名",
                None => "未上课",
            },
            started,
            lesson: e,
        });
    }
    let called = out.present + out.absent + out.leave;
    if called > 0 {
        out.rate = format!("{:.1}%", out.present as f64 * 100.0 / called as f64);
    }
    Ok(out)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SchoolLesson {
    pub lesson: Entry,
    pub started: bool,
    pub check_ins: Vec<CheckInView>,
    pub expected: i64,
    pub present: usize,
    pub late: usize,
    pub absent: usize,
    pub leave: usize,
    /// Students marked so far.
    pub marked: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SchoolDay {
    pub school_id: i64,
    pub date: NaiveDate,
    pub lessons: Vec<SchoolLesson>,
    pub total: usize,
    pub started: usize,
    /// Lessons with at least one counted check-in.
    pub checked_in: usize,
    /// Lessons whose roll was called.
    pub called: usize,
    /// Teachers' check-ins late or refused.
    pub anomalies: usize,
}

/// A school's lessons of one day with their check-ins and roll calls (`attendance.view`):
/// the school's daily opening figures.
pub async fn school_day(
    app: &App,
    actor: &Actor,
    school_id: i64,
    date: Option<&str>,
) -> Result<SchoolDay> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::AttendanceView).await?;
    day_of(app, school.id, parse_day(app, date)?).await
}

/// A `YYYY-MM-DD` day; today when absent.
pub(crate) fn parse_day(app: &App, date: Option<&str>) -> Result<NaiveDate> {
    match date.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(app.today()),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| Error::invalid("date", "日期格式应为 YYYY-MM-DD")),
    }
}

/// A school's lessons of one day with their check-ins and roll calls; the caller has
/// checked its permission (the school's day, the patrol teacher's day).
pub(crate) async fn day_of(app: &App, school_id: i64, date: NaiveDate) -> Result<SchoolDay> {
    let db = &app.db;
    let entries = crate::teaching::timetable::of_school(db, school_id, date, date).await?;
    let ids: Vec<i64> = entries.iter().map(|e| e.lesson_id).collect();
    let mut check_ins = super::check_in::of_lessons(db, &ids).await?;
    let counts = super::roll::counts_of(db, &ids).await?;
    let expected = crate::teaching::class::member_counts(
        db,
        entries.iter().map(|e| e.teaching_class_id).collect(),
    )
    .await?;
    let now = app.local_now();
    let mut day = SchoolDay {
        school_id,
        date,
        lessons: Vec::with_capacity(entries.len()),
        total: entries.len(),
        started: 0,
        checked_in: 0,
        called: 0,
        anomalies: 0,
    };
    for e in entries {
        let c = counts.get(&e.lesson_id).copied().unwrap_or_default();
        let punches = check_ins.remove(&e.lesson_id).unwrap_or_default();
        let started = e
            .date
            .and_time(chrono::NaiveTime::parse_from_str(&e.start, "%H:%M").unwrap_or_default())
            <= now;
        day.started += usize::from(started);
        day.checked_in += usize::from(punches.iter().any(|p| p.status != "refused"));
        day.called += usize::from(c[4] > 0);
        day.anomalies += punches
            .iter()
            .filter(|p| p.status == "late" || p.status == "refused")
            .count();
        day.lessons.push(SchoolLesson {
            expected: expected.get(&e.teaching_class_id).copied().unwrap_or(0),
            present: c[0] + c[1],
            late: c[1],
            absent: c[2],
            leave: c[3],
            marked: c[4],
            started,
            check_ins: punches,
            lesson: e,
        });
    }
    Ok(day)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Whereabouts {
    pub student_id: i64,
    pub student_name: String,
    /// in_lesson, between (the next lesson today), done (today's lessons are over), none
    /// (no after-school lesson today).
    pub state: String,
    /// 周俊 现在在 合唱班（音乐室），17:20–18:30，郑丽负责 …
    pub summary: String,
    /// The lesson in progress, or the next one today.
    pub lesson: Option<Entry>,
    /// Its roll call's mark, or the approved leave.
    pub status: Option<String>,
    pub status_label: &'static str,
}

/// Where a student is now (I13): the lesson in progress from the timetable, its venue,
/// time and teacher, with the roll call's mark and approved leave; their guardian, their
/// head teacher or the school.
pub async fn whereabouts(app: &App, actor: &Actor, student_id: i64) -> Result<Whereabouts> {
    let db = &app.db;
    let today = app.today();
    let day = SpanQuery {
        from: Some(today.to_string()),
        to: Some(today.to_string()),
    };
    let r = student(app, actor, student_id, &day).await?;
    let now = app.local_now().time();
    let time = |s: &str| chrono::NaiveTime::parse_from_str(s, "%H:%M").unwrap_or_default();
    let on_leave = super::leave::approved_on(db, &[student_id], today)
        .await?
        .contains_key(&student_id);
    let current = r
        .lessons
        .iter()
        .find(|x| time(&x.lesson.start) <= now && now < time(&x.lesson.end));
    let next = r.lessons.iter().find(|x| time(&x.lesson.start) > now);
    let name = r.student_name.clone();
    let (state, pick) = match (current, next, r.lessons.is_empty()) {
        (Some(x), _, _) => ("in_lesson", Some(x)),
        (None, Some(x), _) => ("between", Some(x)),
        (None, None, false) => ("done", None),
        (None, None, true) => ("none", None),
    };
    let describe = |x: &StudentLesson| {
        let place = if x.lesson.room.is_empty() {
            String::new()
        } else {
            format!("（{}）", x.lesson.room)
        };
        let teacher = if x.lesson.teacher_names.is_empty() {
            String::new()
        } else {
            format!("，{}负责", x.lesson.teacher_names)
        };
        format!(
            "{}{place}，{}–{}{teacher}",
            x.lesson.class_name, x.lesson.start, x.lesson.end
        )
    };
    let summary = match (state, pick) {
        (_, Some(x)) if on_leave || x.status.as_deref() == Some("leave") => {
            format!("{name} 今天已请假（{}）", describe(x))
        }
        (_, Some(x)) if x.status.as_deref() == Some("absent") => {
            format!("{name} 点名缺勤：{}", describe(x))
        }
        ("in_lesson", Some(x)) => format!("{name} 现在在 {}", describe(x)),
        (_, Some(x)) => format!("{name} 现在不在课后服务课上；下一节：{}", describe(x)),
        ("done", _) => format!("{name} 今天的课后服务已结束"),
        _ => format!("{name} 今天没有课后服务课程"),
    };
    Ok(Whereabouts {
        student_id,
        student_name: name,
        state: state.into(),
        summary,
        status: pick.and_then(|x| x.status.clone()),
        status_label: pick.map_or("", |x| x.status_label),
        lesson: pick.map(|x| x.lesson.clone()),
    })
}
