//! Dated lessons (课次): each placed weekly slot of a class on every teaching day of the
//! term calendar that follows its weekday (调休 and 补课 days included, holidays left
//! out), within the class's dates; numbered in order, which names the chapter of the
//! course's syllabus. Regenerated when the timetable, the class or the calendar changes;
//! a lesson that has started is never rewritten, and a lesson that stays at its date and
//! period keeps its id (roll calls and leave hang on it).

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use kehou_domain::teaching::ClassStatus;
use kehou_store::entity::course::chapter;
use kehou_store::entity::school::term;
use kehou_store::entity::teaching::{class, lesson, lesson_teacher, slot};
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};

use super::Term;
use crate::school::calendar::term_calendar;
use crate::{App, Error, Result};

const CHUNK: usize = 400;

/// The lessons of a class that have started by `now` (local time).
fn started(l: &lesson::Model, now: NaiveDateTime) -> bool {
    l.date.and_time(l.starts_at) <= now
}

/// What a lesson should be.
#[derive(Debug, Clone, PartialEq)]
struct Wanted {
    date: NaiveDate,
    period_no: i32,
    starts_at: NaiveTime,
    ends_at: NaiveTime,
    room_id: Option<i64>,
}

/// Brings the dated lessons of the term's classes (all, or those in `only`) in line with
/// their weekly slots and the calendar, from now on. Answers how many lessons changed.
pub(crate) async fn regenerate(
    app: &App,
    db: &impl ConnectionTrait,
    t: &Term,
    only: Option<&[i64]>,
) -> Result<usize> {
    regenerate_since(app, db, t, only, app.local_now()).await
}

/// [`regenerate`] for the lessons that start after `now`: the demo data gives its classes
/// their whole term, as if they had been scheduled before it began.
pub(crate) async fn regenerate_since(
    app: &App,
    db: &impl ConnectionTrait,
    t: &Term,
    only: Option<&[i64]>,
    now: NaiveDateTime,
) -> Result<usize> {
    let term_row = term::Entity::find_by_id(t.term.id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("学期"))?;
    let calendar = term_calendar(db, &term_row).await?;
    let days: Vec<(NaiveDate, i32)> = calendar
        .teaching_days()
        .map(|(d, w)| (d, i32::try_from(w.number_from_monday()).unwrap_or(1)))
        .collect();
    let mut classes = class::Entity::find()
        .filter(class::Column::SchoolId.eq(t.school.id))
        .filter(class::Column::TermId.eq(t.term.id));
    if let Some(ids) = only {
        classes = classes.filter(class::Column::Id.is_in(ids.to_vec()));
    }
    let classes = classes.all(db).await?;
    let ids: Vec<i64> = classes.iter().map(|c| c.id).collect();
    let mut slots: HashMap<i64, Vec<slot::Model>> = HashMap::new();
    for s in slot::Entity::find()
        .filter(slot::Column::ClassId.is_in(ids.clone()))
        .filter(slot::Column::Weekday.is_not_null())
        .all(db)
        .await?
    {
        slots.entry(s.class_id).or_default().push(s);
    }
    let teachers = super::class::teachers_of(db, ids.clone()).await?;
    let mut chapters: HashMap<i64, HashMap<i32, String>> = HashMap::new();
    for c in chapter::Entity::find()
        .filter(chapter::Column::CourseId.is_in(classes.iter().map(|c| c.course_id)))
        .all(db)
        .await?
    {
        chapters
            .entry(c.course_id)
            .or_default()
            .insert(c.number, c.name);
    }
    let mut existing: HashMap<i64, Vec<lesson::Model>> = HashMap::new();
    for l in lesson::Entity::find()
        .filter(lesson::Column::ClassId.is_in(ids.clone()))
        .order_by_asc(lesson::Column::Date)
        .order_by_asc(lesson::Column::StartsAt)
        .all(db)
        .await?
    {
        existing.entry(l.class_id).or_default().push(l);
    }
    let current_teachers: HashMap<i64, Vec<lesson_teacher::Model>> = {
        let mut m: HashMap<i64, Vec<lesson_teacher::Model>> = HashMap::new();
        let lesson_ids: Vec<i64> = existing.values().flatten().map(|l| l.id).collect();
        for chunk in lesson_ids.chunks(CHUNK) {
            for lt in lesson_teacher::Entity::find()
                .filter(lesson_teacher::Column::LessonId.is_in(chunk.iter().copied()))
                .all(db)
                .await?
            {
                m.entry(lt.lesson_id).or_default().push(lt);
            }
        }
        m
    };
    let stamp = app.now();
    let mut changed = 0;
    let mut to_delete: Vec<i64> = Vec::new();
    let mut to_insert: Vec<lesson::ActiveModel> = Vec::new();
    let mut teachers_for: Vec<(i64, NaiveDate, i32)> = Vec::new();
    let mut retire_teachers: Vec<i64> = Vec::new();
    for c in &classes {
        let status = ClassStatus::parse(&c.status).unwrap_or(ClassStatus::Planned);
        let mut wanted: Vec<Wanted> = Vec::new();
        if status != ClassStatus::Closed {
            let class_slots = slots.get(&c.id).map(Vec::as_slice).unwrap_or(&[]);
            for (date, weekday) in days
                .iter()
                .filter(|(d, _)| *d >= c.starts_on && *d <= c.ends_on)
            {
                for s in class_slots.iter().filter(|s| s.weekday == Some(*weekday)) {
                    let Some(p) = s.period_no.and_then(|p| t.bell.period(*weekday, p)) else {
                        continue;
                    };
                    if date.and_time(p.start) <= now {
                        continue;
                    }
                    wanted.push(Wanted {
                        date: *date,
                        period_no: p.no,
                        starts_at: p.start,
                        ends_at: p.end,
                        room_id: s.room_id.or(c.room_id),
                    });
                }
            }
        }
        wanted.sort_by_key(|w| (w.date, w.starts_at));
        let rows = existing.remove(&c.id).unwrap_or_default();
        let (past, future): (Vec<lesson::Model>, Vec<lesson::Model>) =
            rows.into_iter().partition(|l| started(l, now));
        let mut future_by_key: HashMap<(NaiveDate, i32), lesson::Model> = future
            .into_iter()
            .map(|l| ((l.date, l.period_no), l))
            .collect();
        let class_teachers = teachers.get(&c.id).map(Vec::as_slice).unwrap_or(&[]);
        let wanted_keys: HashSet<(Option<i64>, Option<i64>)> = class_teachers
            .iter()
            .map(|t| (t.staff_id, t.institution_teacher_id))
            .collect();
        let course_chapters = chapters.get(&c.course_id);
        for (i, w) in wanted.iter().enumerate() {
            let seq_no = i32::try_from(past.len() + i + 1).unwrap_or(i32::MAX);
            // Past the syllabus's last chapter a lesson has a number and no name.
            let chapter_name = course_chapters
                .and_then(|m| m.get(&seq_no))
                .cloned()
                .unwrap_or_default();
            match future_by_key.remove(&(w.date, w.period_no)) {
                Some(l) => {
                    let have: HashSet<(Option<i64>, Option<i64>)> = current_teachers
                        .get(&l.id)
                        .map(|ts| {
                            ts.iter()
                                .map(|t| (t.staff_id, t.institution_teacher_id))
                                .collect()
                        })
                        .unwrap_or_default();
                    // A substitute's or a swap's teachers stay.
                    if have != wanted_keys && l.change_note.is_empty() {
                        retire_teachers.push(l.id);
                        teachers_for.push((c.id, w.date, w.period_no));
                        changed += 1;
                    }
                    if l.starts_at != w.starts_at
                        || l.ends_at != w.ends_at
                        || l.room_id != w.room_id
                        || l.seq_no != seq_no
                        || l.chapter_name != chapter_name
                    {
                        let mut m = l.into_active_model();
                        m.starts_at = Set(w.starts_at);
                        m.ends_at = Set(w.ends_at);
                        m.room_id = Set(w.room_id);
                        m.seq_no = Set(seq_no);
                        m.chapter_name = Set(chapter_name);
                        m.updated_at = Set(stamp);
                        m.update(db).await?;
                        changed += 1;
                    }
                }
                None => {
                    to_insert.push(lesson::ActiveModel {
                        school_id: Set(c.school_id),
                        term_id: Set(c.term_id),
                        class_id: Set(c.id),
                        date: Set(w.date),
                        period_no: Set(w.period_no),
                        starts_at: Set(w.starts_at),
                        ends_at: Set(w.ends_at),
                        room_id: Set(w.room_id),
                        seq_no: Set(seq_no),
                        chapter_name: Set(chapter_name),
                        status: Set("scheduled".into()),
                        change_note: Set(String::new()),
                        created_at: Set(stamp),
                        updated_at: Set(stamp),
                        ..Default::default()
                    });
                    teachers_for.push((c.id, w.date, w.period_no));
                    changed += 1;
                }
            }
        }
        to_delete.extend(future_by_key.into_values().map(|l| l.id));
    }
    changed += to_delete.len();
    retire_teachers.extend(to_delete.iter().copied());
    for chunk in retire_teachers.chunks(CHUNK) {
        lesson_teacher::Entity::delete_many()
            .filter(lesson_teacher::Column::LessonId.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
    }
    for chunk in to_delete.chunks(CHUNK) {
        lesson::Entity::delete_many()
            .filter(lesson::Column::Id.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
    }
    let mut rows = to_insert.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<lesson::ActiveModel> = rows.by_ref().take(CHUNK).collect();
        lesson::Entity::insert_many(chunk).exec(db).await?;
    }
    if !teachers_for.is_empty() {
        let need: HashSet<(i64, NaiveDate, i32)> = teachers_for.into_iter().collect();
        let mut lesson_ids: Vec<(i64, i64)> = Vec::new();
        for l in lesson::Entity::find()
            .filter(lesson::Column::ClassId.is_in(ids.clone()))
            .filter(lesson::Column::Date.gte(now.date()))
            .all(db)
            .await?
        {
            if need.contains(&(l.class_id, l.date, l.period_no)) {
                lesson_ids.push((l.id, l.class_id));
            }
        }
        let mut rows: Vec<lesson_teacher::ActiveModel> = Vec::new();
        for (lesson_id, class_id) in lesson_ids {
            for t in teachers.get(&class_id).map(Vec::as_slice).unwrap_or(&[]) {
                rows.push(lesson_teacher::ActiveModel {
                    lesson_id: Set(lesson_id),
                    staff_id: Set(t.staff_id),
                    institution_teacher_id: Set(t.institution_teacher_id),
                    name: Set(t.name.clone()),
                    ..Default::default()
                });
            }
        }
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<lesson_teacher::ActiveModel> = rows.by_ref().take(CHUNK).collect();
            lesson_teacher::Entity::insert_many(chunk).exec(db).await?;
        }
    }
    Ok(changed)
}

/// How many lessons of a class have started.
pub(crate) async fn held(app: &App, db: &impl ConnectionTrait, class_id: i64) -> Result<usize> {
    let now = app.local_now();
    Ok(lesson::Entity::find()
        .filter(lesson::Column::ClassId.eq(class_id))
        .filter(lesson::Column::Date.lte(now.date()))
        .all(db)
        .await?
        .iter()
        .filter(|l| started(l, now))
        .count())
}

/// Removes the lessons of a class that have not started.
pub(crate) async fn remove_future(
    app: &App,
    db: &impl ConnectionTrait,
    class_id: i64,
) -> Result<()> {
    let now = app.local_now();
    let ids: Vec<i64> = lesson::Entity::find()
        .filter(lesson::Column::ClassId.eq(class_id))
        .filter(lesson::Column::Date.gte(now.date()))
        .all(db)
        .await?
        .into_iter()
        .filter(|l| !started(l, now))
        .map(|l| l.id)
        .collect();
    for chunk in ids.chunks(CHUNK) {
        lesson_teacher::Entity::delete_many()
            .filter(lesson_teacher::Column::LessonId.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
        lesson::Entity::delete_many()
            .filter(lesson::Column::Id.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// The calendar or the bell schedule of a school changed: the dated lessons of its terms
/// that have not ended follow (those of `term_id` only, when given). Runs in the caller's
/// transaction.
pub(crate) async fn calendar_changed(
    app: &App,
    db: &impl ConnectionTrait,
    school: &kehou_store::entity::org::Model,
    term_id: Option<i64>,
) -> Result<usize> {
    let mut q = term::Entity::find()
        .filter(term::Column::SchoolId.eq(school.id))
        .filter(term::Column::EndDate.gte(app.today()));
    if let Some(id) = term_id {
        q = q.filter(term::Column::Id.eq(id));
    }
    let bell = super::load_bell(db, school.id).await?;
    let mut changed = 0;
    for t in q.all(db).await? {
        let term = crate::school::calendar::term_of(db, school.id, t.id).await?;
        let t = Term {
            school: school.clone(),
            term,
            bell: bell.clone(),
        };
        changed += regenerate(app, db, &t, None).await?;
    }
    Ok(changed)
}

/// When the lessons of each class take place from `from` on: (date, start, end).
pub(crate) async fn times_of(
    db: &impl ConnectionTrait,
    class_ids: Vec<i64>,
    from: NaiveDate,
) -> Result<HashMap<i64, Vec<(NaiveDate, NaiveTime, NaiveTime)>>> {
    let mut out: HashMap<i64, Vec<(NaiveDate, NaiveTime, NaiveTime)>> = HashMap::new();
    if class_ids.is_empty() {
        return Ok(out);
    }
    for l in lesson::Entity::find()
        .filter(lesson::Column::ClassId.is_in(class_ids))
        .filter(lesson::Column::Date.gte(from))
        .order_by_asc(lesson::Column::Date)
        .order_by_asc(lesson::Column::StartsAt)
        .all(db)
        .await?
    {
        out.entry(l.class_id)
            .or_default()
            .push((l.date, l.starts_at, l.ends_at));
    }
    Ok(out)
}

/// Every dated lesson of a class, in order: (id, date, start), for the refund of a student
/// leaving it and the bills of lessons held.
pub(crate) async fn dated(
    db: &impl ConnectionTrait,
    class_id: i64,
) -> Result<Vec<(i64, NaiveDate, NaiveTime)>> {
    Ok(lesson::Entity::find()
        .filter(lesson::Column::ClassId.eq(class_id))
        .order_by_asc(lesson::Column::Date)
        .order_by_asc(lesson::Column::StartsAt)
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.id, l.date, l.starts_at))
        .collect())
}

/// One dated lesson, or 404.
pub(crate) async fn find(db: &impl ConnectionTrait, lesson_id: i64) -> Result<lesson::Model> {
    lesson::Entity::find_by_id(lesson_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("课次"))
}

/// The lessons of some students' classes from `from` to `to` (dates), keyed by class:
/// what an approved leave covers.
pub(crate) async fn of_classes_between(
    db: &impl ConnectionTrait,
    class_ids: Vec<i64>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<lesson::Model>> {
    if class_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(lesson::Entity::find()
        .filter(lesson::Column::ClassId.is_in(class_ids))
        .filter(lesson::Column::Date.gte(from))
        .filter(lesson::Column::Date.lte(to))
        .order_by_asc(lesson::Column::Date)
        .order_by_asc(lesson::Column::StartsAt)
        .all(db)
        .await?)
}

/// The ids of a class's lessons that have started by `now` (local time).
pub(crate) async fn started_ids(
    db: &impl ConnectionTrait,
    class_id: i64,
    now: NaiveDateTime,
) -> Result<Vec<i64>> {
    Ok(lesson::Entity::find()
        .filter(lesson::Column::ClassId.eq(class_id))
        .filter(lesson::Column::Date.lte(now.date()))
        .all(db)
        .await?
        .into_iter()
        .filter(|l| started(l, now))
        .map(|l| l.id)
        .collect())
}

/// The teachers of a lesson.
pub(crate) async fn teachers(
    db: &impl ConnectionTrait,
    lesson_id: i64,
) -> Result<Vec<lesson_teacher::Model>> {
    Ok(lesson_teacher::Entity::find()
        .filter(lesson_teacher::Column::LessonId.eq(lesson_id))
        .order_by_asc(lesson_teacher::Column::Id)
        .all(db)
        .await?)
}

/// Who teaches a lesson from now on: (staff id, institution teacher id, name) each, with the
/// note that says why (代课 / 调课); regeneration keeps them. In the caller's transaction.
pub(crate) async fn set_teachers(
    db: &impl ConnectionTrait,
    l: &lesson::Model,
    teachers: &[(Option<i64>, Option<i64>, String)],
    note: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    lesson_teacher::Entity::delete_many()
        .filter(lesson_teacher::Column::LessonId.eq(l.id))
        .exec(db)
        .await?;
    if !teachers.is_empty() {
        lesson_teacher::Entity::insert_many(teachers.iter().map(|(staff, inst, name)| {
            lesson_teacher::ActiveModel {
                lesson_id: Set(l.id),
                staff_id: Set(*staff),
                institution_teacher_id: Set(*inst),
                name: Set(name.clone()),
                ..Default::default()
            }
        }))
        .exec(db)
        .await?;
    }
    let mut m = l.clone().into_active_model();
    m.change_note = Set(note.chars().take(100).collect());
    m.updated_at = Set(now);
    m.update(db).await?;
    Ok(())
}
