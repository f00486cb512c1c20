//! Teaching classes (教学班, G1, E4): made from a course of the term's approved offering,
//! singly, in batch or from an .xlsx sheet; each has its fee (the offering's), capacity
//! range, grades, dates, weekly lessons (at given times or left to the solver), a room,
//! teachers (own staff, or institution teachers dispatched for all its dates), an
//! administrative-post teacher (行政坐班教师) and its students. Changed or deleted only
//! while nobody is enrolled and the class has not started; the lifecycle is explicit.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use kehou_domain::course::weekday_name;
use kehou_domain::school::grade_name;
use kehou_domain::teaching::ClassStatus;
use kehou_domain::{Invalid, Permission};
use kehou_store::entity::school::{admin_class, room, student};
use kehou_store::entity::teaching::{class, class_student, class_teacher, slot};
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};

use super::{Bell, Term, check_current, hhmm, term_for};
use crate::course::offering::{ItemTeacher, ItemView, approved_items};
use crate::institution::dispatch::dispatched_to;
use crate::platform::audit::{self, By, Change};
use crate::platform::error::check;
use crate::{Actor, App, Error, Result};

pub const NAME_MAX: usize = 50;
pub const WEEKLY_MAX: i32 = 10;
pub const BATCH_MAX: i32 = 30;
pub const STUDENTS_MAX: usize = 500;
pub const TEACHERS_MAX: usize = 10;

/// One weekly lesson of a class.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SlotView {
    pub id: i64,
    pub teaching_class_id: i64,
    pub class_name: String,
    pub course: String,
    /// 1 = Monday … 7 = Sunday; none while unplaced.
    pub weekday: Option<i32>,
    pub weekday_label: &'static str,
    /// 1 = the day's first after-school period.
    pub period_no: Option<i32>,
    pub period_name: String,
    /// `HH:MM`, when placed.
    pub start: String,
    pub end: String,
    pub room_id: Option<i64>,
    pub room: String,
    /// Stays where it is when the solver runs.
    pub locked: bool,
    pub teachers: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClassView {
    pub id: i64,
    pub school_id: i64,
    pub term_id: i64,
    /// The offered course (offering item) it teaches.
    pub item_id: i64,
    pub course_id: i64,
    pub course: String,
    pub name: String,
    /// planned, open, running or closed.
    pub status: String,
    pub status_label: &'static str,
    pub capacity_min: i32,
    pub capacity_max: i32,
    /// Students in the class.
    pub enrolled: i32,
    pub grade_from: i32,
    pub grade_to: i32,
    pub grades_label: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub weekly_lessons: i32,
    /// The offering's price, in fen, per `price_unit` (lesson or term).
    pub fee_fen: i64,
    pub fee: String,
    pub price_unit_label: &'static str,
    pub room_id: Option<i64>,
    pub room: String,
    pub post_teacher_id: Option<i64>,
    pub post_teacher: String,
    pub teachers: Vec<ItemTeacher>,
    pub teacher_names: String,
    pub slots: Vec<SlotView>,
    /// When the slots were placed: 周二 课后一、周四 课后一.
    pub times_label: String,
}

/// A weekly time: a weekday 1–7 and a period number of that day's bell schedule.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct SlotInput {
    #[schema(required = true)]
    pub weekday: Option<i32>,
    #[schema(required = true)]
    pub period_no: Option<i32>,
}

/// A new class, or a change (absent fields stay).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ClassInput {
    /// An approved course of the term's offering; fixed once created.
    pub item_id: Option<i64>,
    pub name: Option<String>,
    pub capacity_min: Option<i32>,
    pub capacity_max: Option<i32>,
    pub grade_from: Option<i32>,
    pub grade_to: Option<i32>,
    /// `YYYY-MM-DD`; the term's first day when absent.
    pub starts_on: Option<String>,
    /// `YYYY-MM-DD`; the term's last day when absent.
    pub ends_on: Option<String>,
    /// Lessons a week, 1–10 (1 when absent).
    pub weekly_lessons: Option<i32>,
    /// A room of the school large enough for `capacity_max`; 0 or absent: any the solver picks.
    pub room_id: Option<i64>,
    /// Staff of the school who teach it.
    pub staff_ids: Option<Vec<i64>>,
    /// Institution teachers dispatched to the school for all the class's dates.
    pub institution_teacher_ids: Option<Vec<i64>>,
    /// The administrative-post teacher, a staff member (0 removes).
    pub post_teacher_id: Option<i64>,
    /// Fixed weekly times (locked); the others are left to the solver.
    pub slots: Option<Vec<SlotInput>>,
}

/// N classes of one course at once: named 「课程名1班」, 「课程名2班」…
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct BatchInput {
    #[schema(required = true)]
    pub count: Option<i32>,
    #[schema(required = true)]
    #[serde(default)]
    pub class: ClassInput,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct StatusInput {
    /// planned, open, running or closed.
    #[schema(required = true)]
    pub status: Option<String>,
    /// Closing before every planned lesson was held (提前结课).
    #[serde(default)]
    pub early: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct StudentsInput {
    #[schema(required = true)]
    pub student_ids: Option<Vec<i64>>,
}

/// A student of a class, as the school sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClassStudent {
    pub student_id: i64,
    pub name: String,
    pub student_no: String,
    pub admin_class: String,
}

pub(crate) fn slot_views(
    rows: &[slot::Model],
    classes: &HashMap<i64, (String, String, String)>,
    rooms: &HashMap<i64, String>,
    bell: &Bell,
) -> Vec<SlotView> {
    rows.iter()
        .map(|s| {
            let period = s
                .weekday
                .zip(s.period_no)
                .and_then(|(w, p)| bell.period(w, p));
            let (class_name, course, teachers) =
                classes.get(&s.class_id).cloned().unwrap_or_default();
            SlotView {
                id: s.id,
                teaching_class_id: s.class_id,
                class_name,
                course,
                weekday: s.weekday,
                weekday_label: s.weekday.map(weekday_name).unwrap_or(""),
                period_no: s.period_no,
                period_name: period.map(|p| p.name.clone()).unwrap_or_default(),
                start: period.map(|p| hhmm(p.start)).unwrap_or_default(),
                end: period.map(|p| hhmm(p.end)).unwrap_or_default(),
                room_id: s.room_id,
                room: s
                    .room_id
                    .and_then(|r| rooms.get(&r).cloned())
                    .unwrap_or_default(),
                locked: s.locked,
                teachers,
            }
        })
        .collect()
}

pub(crate) async fn room_names(
    db: &impl ConnectionTrait,
    school_id: i64,
) -> Result<HashMap<i64, String>> {
    Ok(room::Entity::find()
        .filter(room::Column::SchoolId.eq(school_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect())
}

pub(crate) async fn teachers_of(
    db: &impl ConnectionTrait,
    class_ids: Vec<i64>,
) -> Result<HashMap<i64, Vec<class_teacher::Model>>> {
    let mut out: HashMap<i64, Vec<class_teacher::Model>> = HashMap::new();
    for t in class_teacher::Entity::find()
        .filter(class_teacher::Column::ClassId.is_in(class_ids))
        .order_by_asc(class_teacher::Column::Id)
        .all(db)
        .await?
    {
        out.entry(t.class_id).or_default().push(t);
    }
    Ok(out)
}

async fn views(
    db: &impl ConnectionTrait,
    t: &Term,
    rows: Vec<class::Model>,
) -> Result<Vec<ClassView>> {
    let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
    let items: HashMap<i64, ItemView> =
        crate::course::offering::items_for_term(db, t.school.id, t.term.id)
            .await?
            .into_iter()
            .map(|i| (i.id, i))
            .collect();
    let mut teachers = teachers_of(db, ids.clone()).await?;
    let mut enrolled: HashMap<i64, i32> = HashMap::new();
    for s in class_student::Entity::find()
        .filter(class_student::Column::ClassId.is_in(ids.clone()))
        .all(db)
        .await?
    {
        *enrolled.entry(s.class_id).or_default() += 1;
    }
    let slots = slot::Entity::find()
        .filter(slot::Column::ClassId.is_in(ids))
        .order_by_asc(slot::Column::Weekday)
        .order_by_asc(slot::Column::PeriodNo)
        .order_by_asc(slot::Column::Id)
        .all(db)
        .await?;
    let rooms = room_names(db, t.school.id).await?;
    let staff: HashMap<i64, String> = crate::school::staff::active_staff(db, t.school.id)
        .await?
        .into_iter()
        .collect();
    let labels: HashMap<i64, (String, String, String)> = rows
        .iter()
        .map(|c| {
            let names = teachers
                .get(&c.id)
                .map(|ts| {
                    ts.iter()
                        .map(|t| t.name.as_str())
                        .collect::<Vec<_>>()
                        .join("、")
                })
                .unwrap_or_default();
            let course = items
                .get(&c.item_id)
                .map(|i| i.name.clone())
                .unwrap_or_default();
            (c.id, (c.name.clone(), course, names))
        })
        .collect();
    let mut by_class: HashMap<i64, Vec<SlotView>> = HashMap::new();
    for v in slot_views(&slots, &labels, &rooms, &t.bell) {
        by_class.entry(v.teaching_class_id).or_default().push(v);
    }
    Ok(rows
        .into_iter()
        .map(|c| {
            let item = items.get(&c.item_id);
            let ts: Vec<ItemTeacher> = teachers
                .remove(&c.id)
                .unwrap_or_default()
                .into_iter()
                .map(|t| ItemTeacher {
                    staff_id: t.staff_id,
                    institution_teacher_id: t.institution_teacher_id,
                    name: t.name,
                })
                .collect();
            let slots = by_class.remove(&c.id).unwrap_or_default();
            let times: Vec<String> = slots
                .iter()
                .filter(|s| s.weekday.is_some())
                .map(|s| format!("{} {}", s.weekday_label, s.period_name))
                .collect();
            let status = ClassStatus::parse(&c.status).unwrap_or(ClassStatus::Planned);
            ClassView {
                id: c.id,
                school_id: c.school_id,
                term_id: c.term_id,
                item_id: c.item_id,
                course_id: c.course_id,
                course: item.map(|i| i.name.clone()).unwrap_or_default(),
                name: c.name,
                status: status.code().into(),
                status_label: status.label(),
                capacity_min: c.capacity_min,
                capacity_max: c.capacity_max,
                enrolled: enrolled.get(&c.id).copied().unwrap_or(0),
                grade_from: c.grade_from,
                grade_to: c.grade_to,
                grades_label: grades_label(c.grade_from, c.grade_to),
                starts_on: c.starts_on,
                ends_on: c.ends_on,
                weekly_lessons: c.weekly_lessons,
                fee_fen: item.map_or(0, |i| i.price_fen),
                fee: item.map(|i| i.price.clone()).unwrap_or_default(),
                price_unit_label: item.map_or("", |i| i.price_unit_label),
                room: c
                    .room_id
                    .and_then(|r| rooms.get(&r).cloned())
                    .unwrap_or_default(),
                room_id: c.room_id,
                post_teacher: c
                    .post_teacher_id
                    .and_then(|s| staff.get(&s).cloned())
                    .unwrap_or_default(),
                post_teacher_id: c.post_teacher_id,
                teacher_names: ts
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join("、"),
                teachers: ts,
                times_label: if times.is_empty() {
                    "待排课".into()
                } else {
                    times.join("、")
                },
                slots,
            }
        })
        .collect())
}

async fn one_view(db: &impl ConnectionTrait, t: &Term, row: class::Model) -> Result<ClassView> {
    views(db, t, vec![row])
        .await?
        .pop()
        .ok_or(Error::NotFound("教学班"))
}

pub fn grades_label(from: i32, to: i32) -> String {
    let name = |g: i32| grade_name(u8::try_from(g).unwrap_or(0));
    if from == to {
        name(from)
    } else {
        format!("{}至{}", name(from), name(to))
    }
}

/// The classes of a term, by name.
pub async fn list(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
) -> Result<Vec<ClassView>> {
    let t = term_for(app, actor, school_id, term_id, Permission::SchoolView).await?;
    let rows = class::Entity::find()
        .filter(class::Column::SchoolId.eq(t.school.id))
        .filter(class::Column::TermId.eq(t.term.id))
        .order_by_asc(class::Column::Name)
        .all(&app.db)
        .await?;
    views(&app.db, &t, rows).await
}

async fn load(db: &impl ConnectionTrait, t: &Term, class_id: i64) -> Result<class::Model> {
    class::Entity::find_by_id(class_id)
        .filter(class::Column::SchoolId.eq(t.school.id))
        .filter(class::Column::TermId.eq(t.term.id))
        .one(db)
        .await?
        .ok_or(Error::NotFound("教学班"))
}

pub async fn get(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    class_id: i64,
) -> Result<ClassView> {
    let t = term_for(app, actor, school_id, term_id, Permission::SchoolView).await?;
    let row = load(&app.db, &t, class_id).await?;
    one_view(&app.db, &t, row).await
}

/// The approved courses of the term that classes can be made of.
pub async fn courses(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
) -> Result<Vec<ItemView>> {
    let t = term_for(app, actor, school_id, term_id, Permission::TeachingManage).await?;
    approved_items(&app.db, t.school.id, t.term.id).await
}

/// What passed the checks.
struct Checked {
    item: ItemView,
    name: String,
    capacity_min: i32,
    capacity_max: i32,
    grade_from: i32,
    grade_to: i32,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    weekly_lessons: i32,
    room_id: Option<i64>,
    post_teacher_id: Option<i64>,
    teachers: Vec<ItemTeacher>,
    slots: Vec<(i32, i32)>,
}

/// The input with what the class has now filled in for what it leaves out.
fn merged(current: &ClassView, mut input: ClassInput) -> ClassInput {
    input.item_id = Some(current.item_id);
    input.name = input.name.or_else(|| Some(current.name.clone()));
    input.capacity_min = input.capacity_min.or(Some(current.capacity_min));
    input.capacity_max = input.capacity_max.or(Some(current.capacity_max));
    input.grade_from = input.grade_from.or(Some(current.grade_from));
    input.grade_to = input.grade_to.or(Some(current.grade_to));
    input.starts_on = input
        .starts_on
        .or_else(|| Some(current.starts_on.to_string()));
    input.ends_on = input.ends_on.or_else(|| Some(current.ends_on.to_string()));
    input.weekly_lessons = input.weekly_lessons.or(Some(current.weekly_lessons));
    input.room_id = input.room_id.or(Some(current.room_id.unwrap_or(0)));
    input.post_teacher_id = input
        .post_teacher_id
        .or(Some(current.post_teacher_id.unwrap_or(0)));
    if input.staff_ids.is_none() && input.institution_teacher_ids.is_none() {
        input.staff_ids = Some(current.teachers.iter().filter_map(|t| t.staff_id).collect());
        input.institution_teacher_ids = Some(
            current
                .teachers
                .iter()
                .filter_map(|t| t.institution_teacher_id)
                .collect(),
        );
    }
    if input.slots.is_none() {
        input.slots = Some(
            current
                .slots
                .iter()
                .filter(|s| s.locked)
                .map(|s| SlotInput {
                    weekday: s.weekday,
                    period_no: s.period_no,
                })
                .collect(),
        );
    }
    input
}

async fn check_input(
    db: &impl ConnectionTrait,
    t: &Term,
    input: &ClassInput,
    name_required: bool,
) -> Result<Checked> {
    let mut invalid = Invalid::default();
    let too_many = |v: &Option<Vec<i64>>| v.as_ref().is_some_and(|v| v.len() > TEACHERS_MAX);
    if too_many(&input.staff_ids) || too_many(&input.institution_teacher_ids) {
        return Err(Error::invalid(
            "staff_ids",
            format!("一个教学班最多{TEACHERS_MAX}位任课教师"),
        ));
    }
    if input
        .slots
        .as_ref()
        .is_some_and(|s| s.len() > WEEKLY_MAX as usize)
    {
        return Err(Error::invalid(
            "slots",
            format!("固定时间不能多于{WEEKLY_MAX}个"),
        ));
    }
    let items = approved_items(db, t.school.id, t.term.id).await?;
    let Some(item) = input
        .item_id
        .and_then(|id| items.iter().find(|i| i.id == id))
        .cloned()
    else {
        return Err(Error::invalid(
            "item_id",
            "请选择本学期开课计划中已审批通过的课程",
        ));
    };
    let name = match input.name.as_deref() {
        Some(n) => invalid.text("name", n, NAME_MAX).unwrap_or_default(),
        None if name_required => {
            invalid.push("name", "请填写教学班名称");
            String::new()
        }
        None => String::new(),
    };
    let capacity_max = input.capacity_max.unwrap_or(item.capacity.min(60));
    let capacity_min = input.capacity_min.unwrap_or(1);
    if !(1..=item.capacity).contains(&capacity_max) {
        invalid.push(
            "capacity_max",
            format!("班额上限应在1至{}人之间（开课计划的人数）", item.capacity),
        );
    }
    if capacity_min < 1 || capacity_min > capacity_max {
        invalid.push("capacity_min", "开班人数下限应在1人至班额上限之间");
    }
    let (lowest, highest) = (
        item.grades.iter().copied().min().unwrap_or(1),
        item.grades.iter().copied().max().unwrap_or(9),
    );
    let grade_from = input.grade_from.unwrap_or(lowest);
    let grade_to = input.grade_to.unwrap_or(highest);
    for (field, g) in [("grade_from", grade_from), ("grade_to", grade_to)] {
        if !item.grades.contains(&g) {
            invalid.push(
                field,
                format!(
                    "“{}”面向{}，不含{}",
                    item.name,
                    item.grade_names,
                    grade_name(u8::try_from(g).unwrap_or(0))
                ),
            );
        }
    }
    if grade_from > grade_to {
        invalid.push("grade_to", "最高年级不能低于最低年级");
    }
    let date = |invalid: &mut Invalid, field: &str, v: Option<&str>, default: NaiveDate| match v {
        None => Some(default),
        Some(v) => match invalid.date(field, v) {
            Some(d) => Some(d),
            None if v.trim().is_empty() => Some(default),
            None => None,
        },
    };
    let starts_on = date(
        &mut invalid,
        "starts_on",
        input.starts_on.as_deref(),
        t.term.start_date,
    );
    let ends_on = date(
        &mut invalid,
        "ends_on",
        input.ends_on.as_deref(),
        t.term.end_date,
    );
    if let (Some(s), Some(e)) = (starts_on, ends_on) {
        if s < t.term.start_date || e > t.term.end_date {
            invalid.push(
                "starts_on",
                format!(
                    "上课日期应在学期内（{} 至 {}）",
                    t.term.start_date, t.term.end_date
                ),
            );
        } else if e < s {
            invalid.push("ends_on", "结束日期不能早于开始日期");
        }
    }
    let weekly_lessons = input.weekly_lessons.unwrap_or(1);
    if !(1..=WEEKLY_MAX).contains(&weekly_lessons) {
        invalid.push("weekly_lessons", format!("每周课时应在1至{WEEKLY_MAX}之间"));
    }
    let room_id = input.room_id.filter(|r| *r != 0);
    if let Some(r) = room_id {
        match room::Entity::find_by_id(r)
            .filter(room::Column::SchoolId.eq(t.school.id))
            .one(db)
            .await?
        {
            None => invalid.push("room_id", "场室不存在"),
            Some(r) if !r.available => invalid.push("room_id", format!("场室“{}”已停用", r.name)),
            Some(r) if r.capacity < capacity_max => invalid.push(
                "room_id",
                format!(
                    "场室“{}”只能容纳{}人，少于班额上限{}人",
                    r.name, r.capacity, capacity_max
                ),
            ),
            Some(_) => {}
        }
    }
    let staff: HashMap<i64, String> = crate::school::staff::active_staff(db, t.school.id)
        .await?
        .into_iter()
        .collect();
    let mut teachers = Vec::new();
    let mut seen = HashSet::new();
    for id in input.staff_ids.clone().unwrap_or_default() {
        if !seen.insert(("s", id)) {
            continue;
        }
        match staff.get(&id) {
            Some(name) => teachers.push(ItemTeacher {
                staff_id: Some(id),
                institution_teacher_id: None,
                name: name.clone(),
            }),
            None => invalid.push("staff_ids", format!("教职工 {id} 不是本校在职教师")),
        }
    }
    let wanted_institution = input.institution_teacher_ids.clone().unwrap_or_default();
    if !wanted_institution.is_empty() {
        let (from, to) = (
            starts_on.unwrap_or(t.term.start_date),
            ends_on.unwrap_or(t.term.end_date),
        );
        let dispatched = dispatched_to(db, t.school.id, t.term.start_date, t.term.end_date).await?;
        for id in wanted_institution {
            if !seen.insert(("t", id)) {
                continue;
            }
            let mine: Vec<_> = dispatched
                .iter()
                .filter(|d| d.teacher_id == id && Some(d.institution_id) == item.institution_id)
                .collect();
            match mine.iter().find(|d| d.starts_on <= from && d.ends_on >= to) {
                Some(d) => teachers.push(ItemTeacher {
                    staff_id: None,
                    institution_teacher_id: Some(id),
                    name: d.teacher_name.clone(),
                }),
                None => match mine.first() {
                    Some(d) => invalid.push(
                        "institution_teacher_ids",
                        format!(
                            "{}派驻本校的日期为 {} 至 {}，不含教学班的上课日期 {} 至 {}",
                            d.teacher_name, d.starts_on, d.ends_on, from, to
                        ),
                    ),
                    None => invalid.push(
                        "institution_teacher_ids",
                        format!("机构教师 {id} 未由开课机构派驻本校"),
                    ),
                },
            }
        }
    }
    if teachers.is_empty() && invalid.is_empty() {
        invalid.push("staff_ids", "请至少选择一位任课教师");
    }
    let post_teacher_id = input.post_teacher_id.filter(|p| *p != 0);
    if let Some(p) = post_teacher_id
        && !staff.contains_key(&p)
    {
        invalid.push("post_teacher_id", "行政坐班教师应为本校在职教职工");
    }
    let mut slots = Vec::new();
    for (i, s) in input.slots.clone().unwrap_or_default().iter().enumerate() {
        let field = format!("slots.{i}");
        let (Some(w), Some(p)) = (s.weekday, s.period_no) else {
            invalid.push(&field, "请选择星期和节次");
            continue;
        };
        if !(1..=7).contains(&w) {
            invalid.push(&field, "星期应为1（周一）至7（周日）");
        } else if t.bell.period(w, p).is_none() {
            invalid.push(
                &field,
                format!(
                    "{}没有第{p}节课后服务，请先在作息时间中设置",
                    weekday_name(w)
                ),
            );
        } else if slots.contains(&(w, p)) {
            invalid.push(&field, format!("{}第{p}节重复", weekday_name(w)));
        } else {
            slots.push((w, p));
        }
    }
    if i32::try_from(slots.len()).unwrap_or(i32::MAX) > weekly_lessons {
        invalid.push(
            "slots",
            format!("固定时间不能多于每周课时{weekly_lessons}节"),
        );
    }
    check(invalid)?;
    Ok(Checked {
        item,
        name,
        capacity_min,
        capacity_max,
        grade_from,
        grade_to,
        starts_on: starts_on.unwrap_or(t.term.start_date),
        ends_on: ends_on.unwrap_or(t.term.end_date),
        weekly_lessons,
        room_id,
        post_teacher_id,
        teachers,
        slots,
    })
}

async fn store_teachers(
    db: &impl ConnectionTrait,
    class_id: i64,
    teachers: &[ItemTeacher],
) -> Result<()> {
    class_teacher::Entity::delete_many()
        .filter(class_teacher::Column::ClassId.eq(class_id))
        .exec(db)
        .await?;
    for t in teachers {
        class_teacher::ActiveModel {
            class_id: Set(class_id),
            staff_id: Set(t.staff_id),
            institution_teacher_id: Set(t.institution_teacher_id),
            name: Set(t.name.clone()),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Makes the class's weekly slots match: the fixed times locked, the rest kept where the
/// solver put them (as many as fit) or unplaced.
async fn store_slots(
    app: &App,
    db: &impl ConnectionTrait,
    c: &class::Model,
    fixed: &[(i32, i32)],
) -> Result<()> {
    let existing = slot::Entity::find()
        .filter(slot::Column::ClassId.eq(c.id))
        .order_by_asc(slot::Column::Id)
        .all(db)
        .await?;
    let free: Vec<&slot::Model> = existing
        .iter()
        .filter(|s| !s.locked && s.weekday.is_some())
        .filter(|s| !fixed.contains(&(s.weekday.unwrap_or(0), s.period_no.unwrap_or(0))))
        .collect();
    slot::Entity::delete_many()
        .filter(slot::Column::ClassId.eq(c.id))
        .exec(db)
        .await?;
    let total = usize::try_from(c.weekly_lessons).unwrap_or(0);
    let now = app.now();
    for i in 0..total {
        let (weekday, period_no, locked, room_id) = match fixed.get(i) {
            Some((w, p)) => (Some(*w), Some(*p), true, c.room_id),
            None => match free.get(i - fixed.len().min(i)) {
                Some(s) => (s.weekday, s.period_no, false, s.room_id),
                None => (None, None, false, c.room_id),
            },
        };
        slot::ActiveModel {
            class_id: Set(c.id),
            school_id: Set(c.school_id),
            term_id: Set(c.term_id),
            weekday: Set(weekday),
            period_no: Set(period_no),
            room_id: Set(c.room_id.or(room_id)),
            locked: Set(locked),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

async fn record(
    db: &impl ConnectionTrait,
    app: &App,
    actor: &Actor,
    t: &Term,
    action: &str,
    class_id: Option<i64>,
    summary: String,
) -> Result<()> {
    audit::record(
        db,
        app.now(),
        &By::actor(actor),
        Change {
            org_id: Some(t.school.id),
            org_path: &t.school.path,
            action,
            entity_type: "teaching_class",
            entity_id: class_id,
            summary,
        },
    )
    .await
}

async fn insert(
    app: &App,
    db: &impl ConnectionTrait,
    t: &Term,
    c: &Checked,
    name: String,
) -> Result<class::Model> {
    let now = app.now();
    let row = class::ActiveModel {
        school_id: Set(t.school.id),
        term_id: Set(t.term.id),
        item_id: Set(c.item.id),
        course_id: Set(c.item.course_id),
        name: Set(name),
        status: Set(ClassStatus::Planned.code().into()),
        capacity_min: Set(c.capacity_min),
        capacity_max: Set(c.capacity_max),
        grade_from: Set(c.grade_from),
        grade_to: Set(c.grade_to),
        starts_on: Set(c.starts_on),
        ends_on: Set(c.ends_on),
        weekly_lessons: Set(c.weekly_lessons),
        room_id: Set(c.room_id),
        post_teacher_id: Set(c.post_teacher_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(Error::unique("name", "本学期已有同名的教学班"))?;
    store_teachers(db, row.id, &c.teachers).await?;
    store_slots(app, db, &row, &c.slots).await?;
    Ok(row)
}

/// A new teaching class (`teaching.manage`).
pub async fn create(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    input: ClassInput,
) -> Result<ClassView> {
    let t = term_for(app, actor, school_id, term_id, Permission::TeachingManage).await?;
    check_current(app, &t.term)?;
    let c = check_input(&app.db, &t, &input, true).await?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let row = insert(app, &txn, &t, &c, c.name.clone()).await?;
    super::lesson::regenerate(app, &txn, &t, Some(&[row.id])).await?;
    record(
        &txn,
        app,
        actor,
        &t,
        "teaching_class.create",
        Some(row.id),
        format!("新建教学班“{}”（{}）", row.name, c.item.name),
    )
    .await?;
    txn.commit().await?;
    one_view(&app.db, &t, row).await
}

/// `count` classes of one course, named after it and numbered after those it has.
pub async fn create_batch(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    input: BatchInput,
) -> Result<Vec<ClassView>> {
    let t = term_for(app, actor, school_id, term_id, Permission::TeachingManage).await?;
    check_current(app, &t.term)?;
    let count = input.count.unwrap_or(0);
    if !(1..=BATCH_MAX).contains(&count) {
        return Err(Error::invalid(
            "count",
            format!("一次可新建1至{BATCH_MAX}个教学班"),
        ));
    }
    let c = check_input(&app.db, &t, &input.class, false).await?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let taken: HashSet<String> = class::Entity::find()
        .filter(class::Column::SchoolId.eq(t.school.id))
        .filter(class::Column::TermId.eq(t.term.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|c| c.name)
        .collect();
    let mut rows = Vec::new();
    let mut n = 0;
    while rows.len() < usize::try_from(count).unwrap_or(0) {
        n += 1;
        let name = format!("{}{n}班", c.item.name);
        if taken.contains(&name) {
            continue;
        }
        if name.chars().count() > NAME_MAX {
            return Err(Error::invalid("count", "课程名称过长，无法自动命名教学班"));
        }
        rows.push(insert(app, &txn, &t, &c, name).await?);
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    super::lesson::regenerate(app, &txn, &t, Some(&ids)).await?;
    record(
        &txn,
        app,
        actor,
        &t,
        "teaching_class.create",
        None,
        format!("批量新建“{}”的教学班{count}个", c.item.name),
    )
    .await?;
    txn.commit().await?;
    views(&app.db, &t, rows).await
}

async fn enrolled(db: &impl ConnectionTrait, class_id: i64) -> Result<u64> {
    Ok(class_student::Entity::find()
        .filter(class_student::Column::ClassId.eq(class_id))
        .count(db)
        .await?)
}

/// Changes a class while nobody is enrolled and it has not started. Its capacity alone
/// may change at any time before it ends, never below the seats taken (students and
/// unpaid holds); seats it gains go to the class's waitlist.
pub async fn update(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    class_id: i64,
    input: ClassInput,
) -> Result<ClassView> {
    let t = term_for(app, actor, school_id, term_id, Permission::TeachingManage).await?;
    check_current(app, &t.term)?;
    let current = load(&app.db, &t, class_id).await?;
    let view = views(&app.db, &t, vec![current.clone()])
        .await?
        .pop()
        .ok_or(Error::NotFound("教学班"))?;
    if input.item_id.is_some_and(|i| i != current.item_id) {
        return Err(Error::invalid(
            "item_id",
            "教学班的课程不能更改，请新建教学班",
        ));
    }
    if view.enrolled > 0 && capacity_only(&input) {
        return set_capacity(app, actor, &t, current, input).await;
    }
    check_changeable(&current, view.enrolled)?;
    let c = check_input(&app.db, &t, &merged(&view, input), true).await?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let row = load(&txn, &t, class_id).await?;
    check_changeable(
        &row,
        i32::try_from(enrolled(&txn, row.id).await?).unwrap_or(i32::MAX),
    )?;
    let mut m = row.into_active_model();
    m.name = Set(c.name.clone());
    m.capacity_min = Set(c.capacity_min);
    m.capacity_max = Set(c.capacity_max);
    m.grade_from = Set(c.grade_from);
    m.grade_to = Set(c.grade_to);
    m.starts_on = Set(c.starts_on);
    m.ends_on = Set(c.ends_on);
    m.weekly_lessons = Set(c.weekly_lessons);
    m.room_id = Set(c.room_id);
    m.post_teacher_id = Set(c.post_teacher_id);
    m.updated_at = Set(app.now());
    let row = m
        .update(&txn)
        .await
        .map_err(Error::unique("name", "本学期已有同名的教学班"))?;
    store_teachers(&txn, row.id, &c.teachers).await?;
    store_slots(app, &txn, &row, &c.slots).await?;
    super::lesson::regenerate(app, &txn, &t, Some(&[row.id])).await?;
    record(
        &txn,
        app,
        actor,
        &t,
        "teaching_class.update",
        Some(row.id),
        format!("修改教学班“{}”", row.name),
    )
    .await?;
    txn.commit().await?;
    one_view(&app.db, &t, row).await
}

/// Whether a change touches nothing but the capacity.
fn capacity_only(input: &ClassInput) -> bool {
    let ClassInput {
        item_id,
        name,
        capacity_min,
        capacity_max,
        grade_from,
        grade_to,
        starts_on,
        ends_on,
        weekly_lessons,
        room_id,
        staff_ids,
        institution_teacher_ids,
        post_teacher_id,
        slots,
    } = input;
    (capacity_min.is_some() || capacity_max.is_some())
        && item_id.is_none()
        && name.is_none()
        && grade_from.is_none()
        && grade_to.is_none()
        && starts_on.is_none()
        && ends_on.is_none()
        && weekly_lessons.is_none()
        && room_id.is_none()
        && staff_ids.is_none()
        && institution_teacher_ids.is_none()
        && post_teacher_id.is_none()
        && slots.is_none()
}

/// The capacity of a class that has students: within the course's bounds, not below the
/// seats taken; the seats gained are offered to the waitlist once committed.
async fn set_capacity(
    app: &App,
    actor: &Actor,
    t: &Term,
    current: class::Model,
    input: ClassInput,
) -> Result<ClassView> {
    let status = ClassStatus::parse(&current.status).unwrap_or(ClassStatus::Planned);
    if status == ClassStatus::Closed {
        return Err(Error::conflict(format!(
            "教学班“{}”{}，不能再修改",
            current.name,
            status.label()
        )));
    }
    let min = input.capacity_min.unwrap_or(current.capacity_min);
    let max = input.capacity_max.unwrap_or(current.capacity_max);
    let offered = crate::course::offering::items_by_id(&app.db, vec![current.item_id])
        .await?
        .remove(&current.item_id)
        .map_or(0, |(item, _, _)| item.capacity);
    let mut invalid = Invalid::default();
    if !(1..=offered).contains(&max) {
        invalid.push(
            "capacity_max",
            format!("班额上限应在1至{offered}人之间（开课计划的人数）"),
        );
    }
    if min < 1 || min > max {
        invalid.push("capacity_min", "开班人数下限应在1人至班额上限之间");
    }
    if let Some(r) = current.room_id {
        let room = room::Entity::find_by_id(r).one(&app.db).await?;
        if let Some(r) = room.filter(|r| r.capacity < max) {
            invalid.push(
                "capacity_max",
                format!(
                    "场室“{}”只能容纳{}人，少于班额上限{max}人",
                    r.name, r.capacity
                ),
            );
        }
    }
    check(invalid)?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let row = lock(&txn, current.id)
        .await?
        .ok_or(Error::NotFound("教学班"))?;
    let taken = crate::enrollment::select::taken_in_classes(&txn, vec![row.id])
        .await?
        .get(&row.id)
        .copied()
        .unwrap_or(0);
    if i64::from(max) < taken {
        return Err(Error::invalid(
            "capacity_max",
            format!("已占用{taken}个名额（含待支付），人数上限不能低于此数"),
        ));
    }
    let gained = max > row.capacity_max;
    let mut m = row.into_active_model();
    m.capacity_min = Set(min);
    m.capacity_max = Set(max);
    m.updated_at = Set(app.now());
    let row = m.update(&txn).await?;
    record(
        &txn,
        app,
        actor,
        t,
        "teaching_class.update",
        Some(row.id),
        format!("教学班“{}”人数上限改为{max}", row.name),
    )
    .await?;
    txn.commit().await?;
    if gained {
        crate::enrollment::waitlist::offer_seats(app, row.id).await?;
    }
    one_view(&app.db, t, row).await
}

fn check_changeable(c: &class::Model, enrolled: i32) -> Result<()> {
    let status = ClassStatus::parse(&c.status).unwrap_or(ClassStatus::Planned);
    if !status.editable() {
        return Err(Error::conflict(format!(
            "教学班“{}”{}，不能再修改",
            c.name,
            status.label()
        )));
    }
    if enrolled > 0 {
        return Err(Error::conflict(format!(
            "教学班“{}”已有{enrolled}名学生，不能修改或删除",
            c.name
        )));
    }
    Ok(())
}

/// Deletes a class that has no students and no lesson that took place.
pub async fn delete(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    class_id: i64,
) -> Result<()> {
    let t = term_for(app, actor, school_id, term_id, Permission::TeachingManage).await?;
    check_current(app, &t.term)?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let row = load(&txn, &t, class_id).await?;
    check_changeable(
        &row,
        i32::try_from(enrolled(&txn, row.id).await?).unwrap_or(i32::MAX),
    )?;
    let held = super::lesson::held(app, &txn, row.id).await?;
    if held > 0 {
        return Err(Error::conflict(format!(
            "教学班“{}”已上过{held}次课，不能删除",
            row.name
        )));
    }
    super::lesson::remove_future(app, &txn, row.id).await?;
    slot::Entity::delete_many()
        .filter(slot::Column::ClassId.eq(row.id))
        .exec(&txn)
        .await?;
    class_teacher::Entity::delete_many()
        .filter(class_teacher::Column::ClassId.eq(row.id))
        .exec(&txn)
        .await?;
    class::Entity::delete_by_id(row.id).exec(&txn).await?;
    record(
        &txn,
        app,
        actor,
        &t,
        "teaching_class.delete",
        Some(row.id),
        format!("删除教学班“{}”", row.name),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Moves a class along its lifecycle. Closing it removes the lessons not yet held.
pub async fn set_status(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    class_id: i64,
    input: StatusInput,
) -> Result<ClassView> {
    let t = term_for(app, actor, school_id, term_id, Permission::TeachingManage).await?;
    check_current(app, &t.term)?;
    let Some(to) = input.status.as_deref().and_then(ClassStatus::parse) else {
        return Err(Error::invalid(
            "status",
            "状态应为 planned、open、running 或 closed",
        ));
    };
    let txn = kehou_store::begin_write(&app.db).await?;
    let row = load(&txn, &t, class_id).await?;
    let from = ClassStatus::parse(&row.status).unwrap_or(ClassStatus::Planned);
    if !from.can_become(to) {
        return Err(Error::conflict(format!(
            "教学班“{}”{}，不能改为“{}”",
            row.name,
            from.label(),
            to.label()
        )));
    }
    if to == ClassStatus::Open {
        let unplaced = slot::Entity::find()
            .filter(slot::Column::ClassId.eq(row.id))
            .filter(slot::Column::Weekday.is_null())
            .count(&txn)
            .await?;
        if unplaced > 0 {
            return Err(Error::conflict(format!(
                "教学班“{}”还有{unplaced}节课未排，排好课后才能开放报名",
                row.name
            )));
        }
    }
    if to == ClassStatus::Closed {
        let check = close_check_of(app, &txn, &row, &t.term).await?;
        let early = input.early == Some(true) && check.held < check.planned;
        let mut blockers: Vec<String> = check
            .blockers
            .into_iter()
            .filter(|b| !(early && b.starts_with(NOT_HELD)))
            .collect();
        // Lessons that will not be held were paid for: the students leave first, each with
        // the refund the course's rule gives.
        let seated = crate::enrollment::drops::active_of_class(&txn, row.id).await?;
        if early && seated > 0 {
            blockers.push(format!(
                "提前结课前请先在报名管理中为 {seated} 名学生取消报名（已缴费的按退费规则退款）"
            ));
        }
        if !blockers.is_empty() {
            return Err(Error::conflict(format!(
                "教学班“{}”还不能结课：{}",
                row.name,
                blockers.join("；")
            )));
        }
        super::lesson::remove_future(app, &txn, row.id).await?;
    }
    let name = row.name.clone();
    let mut m = row.into_active_model();
    m.status = Set(to.code().into());
    m.updated_at = Set(app.now());
    let row = m.update(&txn).await?;
    record(
        &txn,
        app,
        actor,
        &t,
        "teaching_class.status",
        Some(row.id),
        format!("教学班“{name}”由“{}”改为“{}”", from.label(), to.label()),
    )
    .await?;
    txn.commit().await?;
    one_view(&app.db, &t, row).await
}

/// The students of a class (`student.view_all`).
pub async fn students(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    class_id: i64,
) -> Result<Vec<ClassStudent>> {
    let t = term_for(app, actor, school_id, term_id, Permission::StudentViewAll).await?;
    let row = load(&app.db, &t, class_id).await?;
    members(&app.db, t.school.id, row.id).await
}

/// The students of a class, by student number, with their administrative classes.
pub(crate) async fn members(
    db: &impl ConnectionTrait,
    school_id: i64,
    class_id: i64,
) -> Result<Vec<ClassStudent>> {
    let ids: Vec<i64> = class_student::Entity::find()
        .filter(class_student::Column::ClassId.eq(class_id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.student_id)
        .collect();
    let rows = student::Entity::find()
        .filter(student::Column::Id.is_in(ids))
        .order_by_asc(student::Column::StudentNo)
        .all(db)
        .await?;
    let classes: HashMap<i64, admin_class::Model> = admin_class::Entity::find()
        .filter(admin_class::Column::SchoolId.eq(school_id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    Ok(rows
        .into_iter()
        .map(|s| ClassStudent {
            student_id: s.id,
            admin_class: s
                .class_id
                .and_then(|c| classes.get(&c))
                .map(|c| kehou_domain::school::class_name(c.grade as u8, c.number as u8))
                .unwrap_or_default(),
            name: s.name,
            student_no: s.student_no,
        })
        .collect())
}

/// Puts students of the school into a class (the enrollment issue does it for parents):
/// each in one of the class's grades, within its capacity.
pub async fn add_students(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    class_id: i64,
    input: StudentsInput,
) -> Result<Vec<ClassStudent>> {
    let t = term_for(app, actor, school_id, term_id, Permission::TeachingManage).await?;
    check_current(app, &t.term)?;
    let wanted: Vec<i64> = input.student_ids.unwrap_or_default();
    if wanted.is_empty() || wanted.len() > STUDENTS_MAX {
        return Err(Error::invalid(
            "student_ids",
            format!("请选择1至{STUDENTS_MAX}名学生"),
        ));
    }
    let txn = kehou_store::begin_write(&app.db).await?;
    let row = load(&txn, &t, class_id).await?;
    let status = ClassStatus::parse(&row.status).unwrap_or(ClassStatus::Planned);
    if status == ClassStatus::Closed {
        return Err(Error::conflict(format!("教学班“{}”已结课", row.name)));
    }
    let found = student::Entity::find()
        .filter(student::Column::SchoolId.eq(t.school.id))
        .filter(student::Column::Id.is_in(wanted.clone()))
        .all(&txn)
        .await?;
    let grades: HashMap<i64, i32> = admin_class::Entity::find()
        .filter(admin_class::Column::Id.is_in(found.iter().filter_map(|s| s.class_id)))
        .all(&txn)
        .await?
        .into_iter()
        .map(|c| (c.id, i32::from(c.grade)))
        .collect();
    let mut invalid = Invalid::default();
    for id in &wanted {
        match found.iter().find(|s| s.id == *id) {
            None => invalid.push("student_ids", format!("学生 {id} 不是本校学生")),
            Some(s) => {
                let g = s.class_id.and_then(|c| grades.get(&c)).copied();
                if !g.is_some_and(|g| (row.grade_from..=row.grade_to).contains(&g)) {
                    invalid.push(
                        "student_ids",
                        format!(
                            "{}不在{}，不能进入“{}”",
                            s.name,
                            grades_label(row.grade_from, row.grade_to),
                            row.name
                        ),
                    );
                }
            }
        }
    }
    check(invalid)?;
    let have: HashSet<i64> = class_student::Entity::find()
        .filter(class_student::Column::ClassId.eq(row.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|s| s.student_id)
        .collect();
    let new: Vec<i64> = wanted
        .iter()
        .copied()
        .collect::<HashSet<_>>()
        .into_iter()
        .filter(|id| !have.contains(id))
        .collect();
    // Unpaid orders hold seats too (enrollment).
    let taken = crate::enrollment::select::taken_in_classes(&txn, vec![row.id])
        .await?
        .get(&row.id)
        .copied()
        .unwrap_or(0);
    let taken = usize::try_from(taken).unwrap_or(0).max(have.len());
    if taken + new.len() > usize::try_from(row.capacity_max).unwrap_or(0) {
        return Err(Error::conflict(format!(
            "教学班“{}”班额{}人，已占{}个名额（含待支付的报名），放不下再{}人",
            row.name,
            row.capacity_max,
            taken,
            new.len()
        )));
    }
    let now = app.now();
    for id in &new {
        class_student::ActiveModel {
            class_id: Set(row.id),
            student_id: Set(*id),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    record(
        &txn,
        app,
        actor,
        &t,
        "teaching_class.students",
        Some(row.id),
        format!("教学班“{}”加入学生{}名", row.name, new.len()),
    )
    .await?;
    txn.commit().await?;
    students(app, actor, school_id, term_id, class_id).await
}

/// Takes a student out of a class.
pub async fn remove_student(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    class_id: i64,
    student_id: i64,
) -> Result<()> {
    let t = term_for(app, actor, school_id, term_id, Permission::TeachingManage).await?;
    check_current(app, &t.term)?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let row = load(&txn, &t, class_id).await?;
    let gone = class_student::Entity::delete_many()
        .filter(class_student::Column::ClassId.eq(row.id))
        .filter(class_student::Column::StudentId.eq(student_id))
        .exec(&txn)
        .await?;
    if gone.rows_affected == 0 {
        return Err(Error::NotFound("教学班学生"));
    }
    // An enrollment that put the student there ends with it (已退课), kept as history.
    crate::enrollment::order::class_left(&txn, row.id, student_id, app.now()).await?;
    record(
        &txn,
        app,
        actor,
        &t,
        "teaching_class.students",
        Some(row.id),
        format!("教学班“{}”移出学生1名", row.name),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct TransferInput {
    /// Another class of the same course in the same term, with a free seat.
    pub to_class_id: Option<i64>,
}

/// The other open classes of the same course in the term: where a student may be moved
/// (`teaching.manage`), as (id, name).
pub async fn siblings(
    app: &App,
    actor: &Actor,
    (school_id, term_id): (i64, i64),
    class_id: i64,
) -> Result<Vec<(i64, String)>> {
    let t = term_for(app, actor, school_id, term_id, Permission::TeachingManage).await?;
    let this = load(&app.db, &t, class_id).await?;
    Ok(class::Entity::find()
        .filter(class::Column::SchoolId.eq(t.school.id))
        .filter(class::Column::TermId.eq(t.term.id))
        .filter(class::Column::ItemId.eq(this.item_id))
        .filter(class::Column::Id.ne(this.id))
        .filter(class::Column::Status.ne(ClassStatus::Closed.code()))
        .order_by_asc(class::Column::Name)
        .all(&app.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect())
}

/// Moves a student to another class of the same course (调班): seats follow in one
/// transaction — out of this class, into the other, the enrollment with them (same order,
/// same money) — the guardians are told, and a seat freed here goes to its waitlist.
pub async fn transfer_student(
    app: &App,
    actor: &Actor,
    (school_id, term_id): (i64, i64),
    class_id: i64,
    student_id: i64,
    input: TransferInput,
) -> Result<ClassStudent> {
    let t = term_for(app, actor, school_id, term_id, Permission::TeachingManage).await?;
    check_current(app, &t.term)?;
    let Some(to_id) = input.to_class_id.filter(|id| *id != class_id) else {
        return Err(Error::invalid("to_class_id", "请选择要调入的另一个教学班"));
    };
    let txn = kehou_store::begin_write(&app.db).await?;
    let moved = move_student(&txn, app, &t, (class_id, to_id), student_id).await?;
    let (from, to, s) = (&moved.from, &moved.to, &moved.student);
    record(
        &txn,
        app,
        actor,
        &t,
        "teaching_class.transfer",
        Some(to.id),
        format!("{} 从“{}”调到“{}”", s.name, from.name, to.name),
    )
    .await?;
    let parents = crate::enrollment::tell_guardians(
        &txn,
        s.id,
        format!("{}调班：{}", s.name, to.name),
        format!(
            "学校已将{}从“{}”调到“{}”，课表随之更新；费用不变。",
            s.name, from.name, to.name
        ),
        app.now(),
    )
    .await?;
    txn.commit().await?;
    for p in parents {
        crate::platform::messages::announce(app, p);
    }
    crate::enrollment::waitlist::offer_seats(app, from.id).await?;
    students(app, actor, school_id, term_id, to.id)
        .await?
        .into_iter()
        .find(|x| x.student_id == s.id)
        .ok_or(Error::NotFound("教学班学生"))
}

/// A student moved from one class to another of the same course.
pub(crate) struct Moved {
    pub from: class::Model,
    pub to: class::Model,
    pub student: student::Model,
}

/// Moves a student between two classes of the same course of the term, in the caller's
/// transaction (调班), after the checks a transfer needs: both classes running, the
/// student's grade, a seat (unpaid holds count), no clash with their other classes from
/// today on. The confirmed enrollment follows; the money stays as it was. The caller
/// records it, tells the guardians and offers the freed seat to the waitlist.
pub(crate) async fn move_student(
    txn: &impl ConnectionTrait,
    app: &App,
    t: &Term,
    (from_id, to_id): (i64, i64),
    student_id: i64,
) -> Result<Moved> {
    let from = load(txn, t, from_id).await?;
    let to = load(txn, t, to_id)
        .await
        .map_err(|_| Error::invalid("to_class_id", "请选择本学期的另一个教学班"))?;
    if to.item_id != from.item_id {
        return Err(Error::invalid(
            "to_class_id",
            "只能调到同一课程的其他教学班；换课程请退课后重新报名",
        ));
    }
    // Classes are locked in id order, as a selection locks them.
    for id in [from.id.min(to.id), from.id.max(to.id)] {
        lock(txn, id).await?;
    }
    if ClassStatus::parse(&to.status) == Some(ClassStatus::Closed)
        || ClassStatus::parse(&from.status) == Some(ClassStatus::Closed)
    {
        return Err(Error::conflict("已结课的教学班不能调班"));
    }
    let s = student::Entity::find_by_id(student_id)
        .filter(student::Column::SchoolId.eq(t.school.id))
        .one(txn)
        .await?
        .ok_or(Error::NotFound("教学班学生"))?;
    let grade = match s.class_id {
        Some(c) => admin_class::Entity::find_by_id(c)
            .one(txn)
            .await?
            .map(|a| i32::from(a.grade)),
        None => None,
    };
    if !grade.is_some_and(|g| (to.grade_from..=to.grade_to).contains(&g)) {
        return Err(Error::invalid(
            "to_class_id",
            format!(
                "{}不在{}，不能调入“{}”",
                s.name,
                grades_label(to.grade_from, to.grade_to),
                to.name
            ),
        ));
    }
    let in_from = member_ids(txn, t.school.id, t.term.id, from.id).await?;
    if !in_from.contains(&s.id) {
        return Err(Error::NotFound("教学班学生"));
    }
    let in_to = member_ids(txn, t.school.id, t.term.id, to.id).await?;
    if in_to.contains(&s.id) {
        return Err(Error::conflict(format!("{} 已在“{}”", s.name, to.name)));
    }
    let taken = crate::enrollment::select::taken_in_classes(txn, vec![to.id])
        .await?
        .get(&to.id)
        .copied()
        .unwrap_or(0);
    let taken = usize::try_from(taken).unwrap_or(0).max(in_to.len());
    if taken + 1 > usize::try_from(to.capacity_max).unwrap_or(0) {
        return Err(Error::conflict(format!(
            "教学班“{}”班额{}人，已满（含待支付的报名）",
            to.name, to.capacity_max
        )));
    }
    // From today on, the new class may not meet while another of the student's does.
    let others: Vec<i64> = class_ids_of(txn, s.id)
        .await?
        .into_iter()
        .filter(|c| *c != from.id && *c != to.id)
        .collect();
    let busy = super::lesson::times_of(txn, others, app.today()).await?;
    let coming = super::lesson::times_of(txn, vec![to.id], app.today())
        .await?
        .remove(&to.id)
        .unwrap_or_default();
    for (date, starts, ends) in &coming {
        let clash = busy.iter().find(|(_, ls)| {
            ls.iter()
                .any(|(d, s2, e2)| d == date && starts < e2 && s2 < ends)
        });
        if let Some((other, _)) = clash {
            let name = by_ids(txn, vec![*other])
                .await?
                .into_iter()
                .next()
                .map(|c| c.name)
                .unwrap_or_default();
            return Err(Error::conflict(format!(
                "“{}”{} {} 的课与{}所在的“{name}”时间冲突",
                to.name,
                date,
                super::hhmm(*starts),
                s.name
            )));
        }
    }
    let now = app.now();
    leave(txn, from.id, s.id).await?;
    enter(txn, to.id, s.id, now).await?;
    crate::enrollment::order::class_moved(txn, from.id, to.id, s.id, now).await?;
    Ok(Moved {
        from,
        to,
        student: s,
    })
}

/// The classes of lessons in `ids`, for the timetable (no permission: the caller checked).
pub(crate) async fn by_ids(db: &impl ConnectionTrait, ids: Vec<i64>) -> Result<Vec<class::Model>> {
    Ok(class::Entity::find()
        .filter(class::Column::Id.is_in(ids))
        .all(db)
        .await?)
}

/// Students by their numbers (学号), as a form gives them: one per line or separated by
/// commas or spaces.
pub async fn add_students_by_number(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    class_id: i64,
    numbers: &str,
) -> Result<Vec<ClassStudent>> {
    let t = term_for(app, actor, school_id, term_id, Permission::TeachingManage).await?;
    let wanted: Vec<&str> = numbers
        .split(|c: char| c == ',' || c == '，' || c.is_whitespace())
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    if wanted.is_empty() || wanted.len() > STUDENTS_MAX {
        return Err(Error::invalid(
            "student_nos",
            format!("请填写1至{STUDENTS_MAX}个学号"),
        ));
    }
    if let Some(long) = wanted.iter().find(|n| n.chars().count() > 30) {
        return Err(Error::invalid(
            "student_nos",
            format!("学号“{}…”过长", long.chars().take(30).collect::<String>()),
        ));
    }
    let found: HashMap<String, i64> = student::Entity::find()
        .filter(student::Column::SchoolId.eq(t.school.id))
        .filter(student::Column::StudentNo.is_in(wanted.iter().map(|n| n.to_string())))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|s| (s.student_no, s.id))
        .collect();
    let missing: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|n| !found.contains_key(*n))
        .collect();
    if !missing.is_empty() {
        return Err(Error::invalid(
            "student_nos",
            format!("本校没有学号为 {} 的学生", missing.join("、")),
        ));
    }
    add_students(
        app,
        actor,
        school_id,
        term_id,
        class_id,
        StudentsInput {
            student_ids: Some(
                wanted
                    .iter()
                    .filter_map(|n| found.get(*n).copied())
                    .collect(),
            ),
        },
    )
    .await
}

/// The columns of the teaching-class import (and its template).
pub const IMPORT_COLUMNS: &[crate::platform::sheet::Column] = &[
    crate::platform::sheet::Column {
        title: "课程",
        required: true,
        help: "本学期开课计划中已审批的课程名称",
    },
    crate::platform::sheet::Column {
        title: "教学班名称",
        required: true,
        help: "本学期内不重复，如 篮球1班",
    },
    crate::platform::sheet::Column {
        title: "开班人数下限",
        required: false,
        help: "默认1",
    },
    crate::platform::sheet::Column {
        title: "班额上限",
        required: false,
        help: "不超过开课计划的人数",
    },
    crate::platform::sheet::Column {
        title: "最低年级",
        required: false,
        help: "如 三年级；默认课程的最低年级",
    },
    crate::platform::sheet::Column {
        title: "最高年级",
        required: false,
        help: "如 四年级；默认课程的最高年级",
    },
    crate::platform::sheet::Column {
        title: "开始日期",
        required: false,
        help: "YYYY-MM-DD，默认学期第一天",
    },
    crate::platform::sheet::Column {
        title: "结束日期",
        required: false,
        help: "YYYY-MM-DD，默认学期最后一天",
    },
    crate::platform::sheet::Column {
        title: "每周课时",
        required: false,
        help: "1至10，默认1",
    },
    crate::platform::sheet::Column {
        title: "场室",
        required: false,
        help: "场室名称，可不填",
    },
    crate::platform::sheet::Column {
        title: "任课教师",
        required: true,
        help: "教师姓名，多位用“、”分隔；校外课程填派驻的机构教师",
    },
    crate::platform::sheet::Column {
        title: "行政坐班教师",
        required: false,
        help: "本校教职工姓名",
    },
    crate::platform::sheet::Column {
        title: "固定上课时间",
        required: false,
        help: "如 周二第1节、周四第2节；不填由自动排课安排",
    },
];

pub const IMPORT_EXAMPLE: &[&str] = &[
    "（示例）篮球",
    "篮球1班",
    "10",
    "30",
    "三年级",
    "四年级",
    "",
    "",
    "2",
    "篮球场",
    "赵敏",
    "",
    "周二第1节",
];

/// The import template, for those who may import into the school.
pub async fn import_template(app: &App, actor: &Actor, school_id: i64) -> Result<Vec<u8>> {
    crate::school::school_for(&app.db, actor, school_id, Permission::TeachingManage).await?;
    crate::platform::sheet::template("教学班", IMPORT_COLUMNS, IMPORT_EXAMPLE)
}

fn parse_grade(text: &str) -> Option<i32> {
    let t = text.trim();
    (1..=12).find(|g| grade_name(*g as u8) == t || g.to_string() == t)
}

/// `周二第1节` → (2, 1).
fn parse_time(text: &str) -> Option<SlotInput> {
    let t = text.trim();
    let day = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
        .iter()
        .position(|d| t.starts_with(d))?;
    let rest = t.get("周一".len()..)?.trim();
    let no: i32 = rest
        .strip_prefix('第')?
        .strip_suffix('节')?
        .trim()
        .parse()
        .ok()?;
    Some(SlotInput {
        weekday: Some(i32::try_from(day + 1).ok()?),
        period_no: Some(no),
    })
}

fn column_of(field: &str) -> &'static str {
    match field.split('.').next().unwrap_or("") {
        "item_id" => "课程",
        "name" => "教学班名称",
        "capacity_min" => "开班人数下限",
        "capacity_max" => "班额上限",
        "grade_from" => "最低年级",
        "grade_to" => "最高年级",
        "starts_on" => "开始日期",
        "ends_on" => "结束日期",
        "weekly_lessons" => "每周课时",
        "room_id" => "场室",
        "post_teacher_id" => "行政坐班教师",
        "slots" => "固定上课时间",
        _ => "任课教师",
    }
}

/// Imports teaching classes from a sheet: every row is checked as the form checks it, by
/// names (course, room, teachers); in all-or-nothing mode one bad row writes nothing.
pub async fn import(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    bytes: &[u8],
    mode: crate::import::Mode,
) -> Result<crate::import::Outcome> {
    use crate::import::{Outcome, RowErrors};
    let t = term_for(app, actor, school_id, term_id, Permission::TeachingManage).await?;
    check_current(app, &t.term)?;
    let rows = crate::platform::sheet::read(bytes, IMPORT_COLUMNS, IMPORT_EXAMPLE)?;
    let items = approved_items(&app.db, t.school.id, t.term.id).await?;
    let rooms = room::Entity::find()
        .filter(room::Column::SchoolId.eq(t.school.id))
        .all(&app.db)
        .await?;
    let staff = crate::school::staff::active_staff(&app.db, t.school.id).await?;
    let dispatched =
        dispatched_to(&app.db, t.school.id, t.term.start_date, t.term.end_date).await?;
    let taken: HashSet<String> = class::Entity::find()
        .filter(class::Column::SchoolId.eq(t.school.id))
        .filter(class::Column::TermId.eq(t.term.id))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|c| c.name)
        .collect();
    let mut errors = RowErrors::default();
    let mut good: Vec<Checked> = Vec::new();
    let mut names: HashMap<String, u32> = HashMap::new();
    for row in &rows {
        let n = row.number;
        let cell = |i: usize| row.get(i).trim().to_string();
        let number = |i: usize, errors: &mut RowErrors| -> Option<i32> {
            let v = cell(i);
            if v.is_empty() {
                return None;
            }
            match v.parse::<i32>() {
                Ok(x) => Some(x),
                Err(_) => {
                    errors.push(n, IMPORT_COLUMNS[i].title, format!("“{v}”不是整数"));
                    Some(-1)
                }
            }
        };
        let item = items.iter().find(|i| i.name == cell(0));
        if item.is_none() {
            errors.push(
                n,
                "课程",
                format!("本学期开课计划中没有已审批的课程“{}”", cell(0)),
            );
            continue;
        }
        let mut input = ClassInput {
            item_id: item.map(|i| i.id),
            name: Some(cell(1)),
            capacity_min: number(2, &mut errors),
            capacity_max: number(3, &mut errors),
            starts_on: Some(cell(6)),
            ends_on: Some(cell(7)),
            weekly_lessons: number(8, &mut errors),
            ..Default::default()
        };
        for (i, slot) in [(4, &mut input.grade_from), (5, &mut input.grade_to)] {
            if !cell(i).is_empty() {
                match parse_grade(&cell(i)) {
                    Some(g) => *slot = Some(g),
                    None => {
                        errors.push(n, IMPORT_COLUMNS[i].title, format!("“{}”不是年级", cell(i)))
                    }
                }
            }
        }
        if !cell(9).is_empty() {
            match rooms.iter().find(|r| r.name == cell(9)) {
                Some(r) => input.room_id = Some(r.id),
                None => errors.push(n, "场室", format!("本校没有场室“{}”", cell(9))),
            }
        }
        let (mut staff_ids, mut teacher_ids) = (Vec::new(), Vec::new());
        for who in cell(10)
            .split(['、', ',', '，'])
            .map(str::trim)
            .filter(|w| !w.is_empty())
        {
            if let Some(d) = dispatched.iter().find(|d| {
                d.teacher_name == who
                    && Some(d.institution_id) == item.and_then(|i| i.institution_id)
            }) {
                teacher_ids.push(d.teacher_id);
            } else if let Some((id, _)) = staff.iter().find(|(_, name)| name == who) {
                staff_ids.push(*id);
            } else {
                errors.push(
                    n,
                    "任课教师",
                    format!("“{who}”不是本校在职教师或派驻本校的开课机构教师"),
                );
            }
        }
        input.staff_ids = Some(staff_ids);
        input.institution_teacher_ids = Some(teacher_ids);
        if !cell(11).is_empty() {
            match staff.iter().find(|(_, name)| *name == cell(11)) {
                Some((id, _)) => input.post_teacher_id = Some(*id),
                None => errors.push(
                    n,
                    "行政坐班教师",
                    format!("“{}”不是本校在职教职工", cell(11)),
                ),
            }
        }
        let mut slots = Vec::new();
        for x in cell(12)
            .split(['、', ',', '，'])
            .map(str::trim)
            .filter(|w| !w.is_empty())
        {
            match parse_time(x) {
                Some(s) => slots.push(s),
                None => errors.push(n, "固定上课时间", format!("“{x}”应写成 周二第1节")),
            }
        }
        input.slots = Some(slots);
        if errors.has(n) {
            continue;
        }
        match check_input(&app.db, &t, &input, true).await {
            Ok(c) => {
                if taken.contains(&c.name) {
                    errors.push(n, "教学班名称", format!("本学期已有教学班“{}”", c.name));
                } else if let Some(first) = names.insert(c.name.clone(), n) {
                    errors.push(n, "教学班名称", format!("与第{first}行重名"));
                } else {
                    good.push(c);
                }
            }
            Err(Error::Invalid(fields)) => {
                for f in fields {
                    errors.push(n, column_of(&f.field), f.reason);
                }
            }
            Err(e) => return Err(e),
        }
    }
    let (mut outcome, write) = Outcome::validated(rows.len(), errors, good.len(), mode);
    if !write {
        return Ok(outcome);
    }
    let txn = kehou_store::begin_write(&app.db).await?;
    let mut ids = Vec::new();
    for c in &good {
        ids.push(insert(app, &txn, &t, c, c.name.clone()).await?.id);
    }
    super::lesson::regenerate(app, &txn, &t, Some(&ids)).await?;
    outcome.created = ids.len();
    outcome.committed = true;
    record(
        &txn,
        app,
        actor,
        &t,
        "teaching_class.import",
        None,
        format!(
            "导入教学班：新增{}个，跳过{}行",
            outcome.created, outcome.skipped
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(outcome)
}

// ---- for enrollment: seats are the class's students; enrollment puts them in and out ----

/// The class, locked until the caller's transaction ends (PostgreSQL `FOR UPDATE`; SQLite
/// holds its write lock already), so that its seats are counted and taken by one selection
/// at a time.
pub(crate) async fn lock(db: &impl ConnectionTrait, class_id: i64) -> Result<Option<class::Model>> {
    use kehou_store::sea_orm::QuerySelect;
    Ok(class::Entity::find_by_id(class_id)
        .lock_exclusive()
        .one(db)
        .await?)
}

/// The ids of the students of a class of the school's term (404 for another's class).
pub(crate) async fn member_ids(
    db: &impl ConnectionTrait,
    school_id: i64,
    term_id: i64,
    class_id: i64,
) -> Result<Vec<i64>> {
    class::Entity::find_by_id(class_id)
        .filter(class::Column::SchoolId.eq(school_id))
        .filter(class::Column::TermId.eq(term_id))
        .one(db)
        .await?
        .ok_or(Error::NotFound("教学班"))?;
    Ok(class_student::Entity::find()
        .filter(class_student::Column::ClassId.eq(class_id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.student_id)
        .collect())
}

/// How many students each class has.
pub(crate) async fn member_counts(
    db: &impl ConnectionTrait,
    class_ids: Vec<i64>,
) -> Result<HashMap<i64, i64>> {
    let mut out: HashMap<i64, i64> = HashMap::new();
    for s in class_student::Entity::find()
        .filter(class_student::Column::ClassId.is_in(class_ids))
        .all(db)
        .await?
    {
        *out.entry(s.class_id).or_default() += 1;
    }
    Ok(out)
}

/// The classes of a term a student is in, however they got there.
pub(crate) async fn classes_of_student(
    db: &impl ConnectionTrait,
    student_id: i64,
    term_id: i64,
) -> Result<Vec<class::Model>> {
    let ids: Vec<i64> = class_student::Entity::find()
        .filter(class_student::Column::StudentId.eq(student_id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.class_id)
        .collect();
    Ok(class::Entity::find()
        .filter(class::Column::Id.is_in(ids))
        .filter(class::Column::TermId.eq(term_id))
        .all(db)
        .await?)
}

/// The classes of a term each student is in, for many students at once.
pub(crate) async fn classes_of_students(
    db: &impl ConnectionTrait,
    student_ids: &[i64],
    term_id: i64,
) -> Result<HashMap<i64, Vec<class::Model>>> {
    let memberships = class_student::Entity::find()
        .filter(class_student::Column::StudentId.is_in(student_ids.iter().copied()))
        .all(db)
        .await?;
    let classes: HashMap<i64, class::Model> = class::Entity::find()
        .filter(class::Column::Id.is_in(memberships.iter().map(|m| m.class_id)))
        .filter(class::Column::TermId.eq(term_id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut out: HashMap<i64, Vec<class::Model>> = HashMap::new();
    for m in memberships {
        if let Some(c) = classes.get(&m.class_id) {
            out.entry(m.student_id).or_default().push(c.clone());
        }
    }
    Ok(out)
}

/// Puts a student in a class (nothing when already in).
pub(crate) async fn enter(
    db: &impl ConnectionTrait,
    class_id: i64,
    student_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let there = class_student::Entity::find()
        .filter(class_student::Column::ClassId.eq(class_id))
        .filter(class_student::Column::StudentId.eq(student_id))
        .one(db)
        .await?
        .is_some();
    if !there {
        class_student::ActiveModel {
            class_id: Set(class_id),
            student_id: Set(student_id),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Takes a student out of a class.
pub(crate) async fn leave(db: &impl ConnectionTrait, class_id: i64, student_id: i64) -> Result<()> {
    class_student::Entity::delete_many()
        .filter(class_student::Column::ClassId.eq(class_id))
        .filter(class_student::Column::StudentId.eq(student_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The full views of classes of a term, for what runs without a person in the caller's
/// name (the snapshot of an order, the list a parent chooses from).
pub(crate) async fn views_of(
    db: &impl ConnectionTrait,
    school_id: i64,
    term_id: i64,
    rows: Vec<class::Model>,
) -> Result<Vec<ClassView>> {
    let t = super::system_term(db, school_id, term_id).await?;
    views(db, &t, rows).await
}

/// The open and running classes of a term.
pub(crate) async fn enrollable(
    db: &impl ConnectionTrait,
    school_id: i64,
    term_id: i64,
) -> Result<Vec<class::Model>> {
    Ok(class::Entity::find()
        .filter(class::Column::SchoolId.eq(school_id))
        .filter(class::Column::TermId.eq(term_id))
        .filter(
            class::Column::Status.is_in([ClassStatus::Open.code(), ClassStatus::Running.code()]),
        )
        .order_by_asc(class::Column::Name)
        .all(db)
        .await?)
}

/// What an order's snapshot says of a class: its teachers, weekly times and room.
#[derive(Debug, Clone, Default)]
pub(crate) struct Brief {
    pub teachers: String,
    pub times: String,
    pub room: String,
    /// The weekly lessons, for the draw.
    pub slots: Vec<SlotView>,
}

/// The briefs of classes of one school, in four queries.
pub(crate) async fn briefs(
    db: &impl ConnectionTrait,
    school_id: i64,
    rows: &[class::Model],
) -> Result<HashMap<i64, Brief>> {
    let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
    let teachers = teachers_of(db, ids.clone()).await?;
    let slots = slot::Entity::find()
        .filter(slot::Column::ClassId.is_in(ids))
        .order_by_asc(slot::Column::Weekday)
        .order_by_asc(slot::Column::PeriodNo)
        .all(db)
        .await?;
    let bell = super::load_bell(db, school_id).await?;
    let rooms: HashMap<i64, String> = room::Entity::find()
        .filter(room::Column::Id.is_in(rows.iter().filter_map(|c| c.room_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    let views = slot_views(&slots, &HashMap::new(), &rooms, &bell);
    Ok(rows
        .iter()
        .map(|c| {
            let own: Vec<SlotView> = views
                .iter()
                .filter(|v| v.teaching_class_id == c.id)
                .cloned()
                .collect();
            let times: Vec<String> = own
                .iter()
                .filter(|s| s.weekday.is_some())
                .map(|s| format!("{} {}", s.weekday_label, s.period_name))
                .collect();
            (
                c.id,
                Brief {
                    teachers: teachers
                        .get(&c.id)
                        .map(|ts| {
                            ts.iter()
                                .map(|t| t.name.as_str())
                                .collect::<Vec<_>>()
                                .join("、")
                        })
                        .unwrap_or_default(),
                    times: if times.is_empty() {
                        "待排课".into()
                    } else {
                        times.join("、")
                    },
                    room: c
                        .room_id
                        .and_then(|r| rooms.get(&r).cloned())
                        .unwrap_or_default(),
                    slots: own,
                },
            )
        })
        .collect())
}

/// The ids of every class a student is in, whatever the term.
pub(crate) async fn class_ids_of(db: &impl ConnectionTrait, student_id: i64) -> Result<Vec<i64>> {
    Ok(class_student::Entity::find()
        .filter(class_student::Column::StudentId.eq(student_id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.class_id)
        .collect())
}

/// What closing a class (结课) checks: the lessons held against those planned, roll calls,
/// open leave, drop requests and refunds.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CloseCheck {
    pub class_id: i64,
    pub planned: usize,
    pub held: usize,
    /// Why the class cannot close yet; empty when it can.
    pub blockers: Vec<String>,
}

/// The blocker an early close (`early`) waives: lessons not held yet.
const NOT_HELD: &str = "还有";

async fn close_check_of(
    app: &App,
    db: &impl ConnectionTrait,
    row: &class::Model,
    term: &crate::school::calendar::TermView,
) -> Result<CloseCheck> {
    let lessons = super::lesson::dated(db, row.id).await?;
    let now = app.local_now();
    let planned = lessons.len();
    let held_ids: Vec<i64> = super::lesson::started_ids(db, row.id, now).await?;
    let held = held_ids.len();
    let mut blockers = Vec::new();
    if held < planned {
        blockers.push(format!(
            "{NOT_HELD} {} 节课未上（计划 {planned} 节，已上 {held} 节，学期 {} 结束）",
            planned - held,
            term.end_date
        ));
    }
    let unmarked = crate::attendance::roll::unmarked(db, &held_ids).await?;
    if unmarked > 0 {
        blockers.push(format!("{unmarked} 节已上的课没有点名记录"));
    }
    let students: Vec<i64> = class_student::Entity::find()
        .filter(class_student::Column::ClassId.eq(row.id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.student_id)
        .collect();
    let leave = crate::attendance::leave::pending_of(db, &students).await?;
    if leave > 0 {
        blockers.push(format!("{leave} 份学生请假申请待审批"));
    }
    let drops = crate::enrollment::drops::pending_of_class(db, row.id).await?;
    if drops > 0 {
        blockers.push(format!("{drops} 份退课申请待审核"));
    }
    let changes = crate::enrollment::change::pending_of_class(db, row.id).await?;
    if changes > 0 {
        blockers.push(format!("{changes} 份调课、调班申请待审核"));
    }
    let refunds = crate::billing::refund::open_of_class(db, row.id).await?;
    if refunds > 0 {
        blockers.push(format!("{refunds} 笔退款尚未完成"));
    }
    Ok(CloseCheck {
        class_id: row.id,
        planned,
        held,
        blockers,
    })
}

/// Whether a class may close now, and what stands in the way (`teaching.manage`).
pub async fn close_check(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    class_id: i64,
) -> Result<CloseCheck> {
    let t = term_for(app, actor, school_id, term_id, Permission::TeachingManage).await?;
    let row = load(&app.db, &t, class_id).await?;
    close_check_of(app, &app.db, &row, &t.term).await
}
