//! Scheduling in the platform (E1): the solver's instance is built from the term's
//! teaching classes, their teachers and students, the rooms, the bell schedule, the
//! school's settings and, for institution teachers, the times they teach at other
//! schools; a run is a durable job whose result replaces the timetable only when it is
//! complete (a failed, infeasible or cancelled run leaves it as it was). Lessons are moved
//! and locked by hand with an immediate conflict check; conflicts of every kind are listed
//! with where to fix them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, NaiveTime, Utc};
use kehou_domain::course::weekday_name;
use kehou_domain::teaching::{ClassStatus, PreferenceKind, PreferenceTarget};
use kehou_domain::{Invalid, Permission};
use kehou_schedule::{Activity, Constraint, Instance, Placement, Room, Rule, Slot, StudentSet};
use kehou_store::entity::platform::job;
use kehou_store::entity::school::{room, student};
use kehou_store::entity::teaching::{class, class_student, class_teacher, run, slot};
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};

use super::class::{SlotView, room_names, slot_views};
use super::{Bell, Term, check_current, hhmm, load_bell, term_for};
use crate::platform::audit::{self, By, Change};
use crate::platform::error::check;
use crate::platform::jobs::{self, Progress, Status};
use crate::{Actor, App, Error, Result};

pub const JOB_KIND: &str = "schedule";
/// How long a run searches at most, in seconds.
pub const RUN_SECONDS: f64 = 20.0;

/// Who teaches: a staff member or an institution teacher.
type TeacherKey = (Option<i64>, Option<i64>);

/// Where a blocking constraint or a conflict is fixed.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Blocker {
    pub message: String,
    /// A page of the platform.
    pub link: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RunView {
    pub id: i64,
    pub school_id: i64,
    pub term_id: i64,
    /// queued, running, succeeded, infeasible, failed or cancelled.
    pub status: String,
    pub status_label: &'static str,
    pub job_id: Option<i64>,
    pub stage: String,
    pub done: u64,
    pub total: u64,
    /// Hard constraints still broken by the best timetable found (0 when it succeeded).
    pub hard: i32,
    pub soft: f64,
    /// Lessons that moved from where they were.
    pub moved: i32,
    /// What blocked a timetable, linked to where each is set.
    pub blocking: Vec<Blocker>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct RunInput {
    /// How long to search, 1–60 seconds (20 when absent).
    pub seconds: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConflictView {
    /// teacher, teacher_elsewhere, room, students, room_size, regular_lessons, forbidden.
    pub kind: String,
    pub kind_label: &'static str,
    pub message: String,
    pub weekday: i32,
    pub period_no: i32,
    pub slot_ids: Vec<i64>,
    /// Where to fix it.
    pub link: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GridRow {
    pub period_no: i32,
    /// The period's name and times on each day of `days` (empty when the day lacks it).
    pub cells: Vec<GridCell>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GridCell {
    pub weekday: i32,
    pub period_no: i32,
    pub exists: bool,
    pub label: String,
    pub lessons: Vec<SlotView>,
    /// Grades whose regular lessons have not ended at the start of this period.
    pub regular: String,
}

/// The weekly timetable of a term as a grid of weekdays × periods.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GridView {
    pub school_id: i64,
    pub term_id: i64,
    pub days: Vec<(i32, String)>,
    pub rows: Vec<GridRow>,
    pub unplaced: Vec<SlotView>,
    pub conflicts: Vec<ConflictView>,
    pub last_run: Option<RunView>,
}

/// Where a lesson goes: a weekday and period, a room (0: none), and whether it stays put.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct MoveInput {
    #[schema(required = true)]
    pub weekday: Option<i32>,
    #[schema(required = true)]
    pub period_no: Option<i32>,
    /// Absent: keeps its room; 0: no room.
    pub room_id: Option<i64>,
    /// Absent: locks it (a lesson placed by hand stays there).
    pub locked: Option<bool>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MoveResult {
    pub slot: SlotView,
    /// The conflicts this lesson is now part of.
    pub conflicts: Vec<ConflictView>,
}

fn run_status_label(code: &str) -> &'static str {
    match code {
        "queued" => "排队中",
        "running" => "排课中",
        "succeeded" => "已完成",
        "infeasible" => "无可行课表",
        "failed" => "失败",
        "cancelled" => "已取消",
        _ => "",
    }
}

fn settings_link(t: &Term, anchor: &str) -> String {
    format!(
        "/schools/{}/schedule/settings?term={}#{anchor}",
        t.school.id, t.term.id
    )
}

fn slot_link(t: &Term, slot_id: i64) -> String {
    format!(
        "/schools/{}/schedule?term={}&slot={slot_id}#move",
        t.school.id, t.term.id
    )
}

/// Everything the instance and the conflict check read about a term.
struct Data {
    classes: Vec<class::Model>,
    slots: Vec<slot::Model>,
    teachers: HashMap<i64, Vec<class_teacher::Model>>,
    /// Class → its students.
    students: HashMap<i64, Vec<i64>>,
    student_names: HashMap<i64, String>,
    rooms: Vec<room::Model>,
    preferences: Vec<kehou_store::entity::teaching::preference::Model>,
    /// (grade, weekday) → when regular lessons end.
    day_ends: HashMap<(i32, i32), NaiveTime>,
    /// Who each teacher is: a person may be staff at one school and an institution's
    /// teacher at another, and is one person in both.
    person: HashMap<TeacherKey, i64>,
    /// Person → (weekday, start, end, school name) taught at other schools.
    elsewhere: HashMap<i64, Vec<(i32, NaiveTime, NaiveTime, String)>>,
    course_names: HashMap<i64, String>,
}

async fn load_data(db: &impl ConnectionTrait, t: &Term) -> Result<Data> {
    let classes: Vec<class::Model> = class::Entity::find()
        .filter(class::Column::SchoolId.eq(t.school.id))
        .filter(class::Column::TermId.eq(t.term.id))
        .filter(class::Column::Status.ne(ClassStatus::Closed.code()))
        .order_by_asc(class::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i64> = classes.iter().map(|c| c.id).collect();
    let slots = slot::Entity::find()
        .filter(slot::Column::ClassId.is_in(ids.clone()))
        .order_by_asc(slot::Column::Id)
        .all(db)
        .await?;
    let teachers = super::class::teachers_of(db, ids.clone()).await?;
    let mut students: HashMap<i64, Vec<i64>> = HashMap::new();
    for s in class_student::Entity::find()
        .filter(class_student::Column::ClassId.is_in(ids))
        .all(db)
        .await?
    {
        students.entry(s.class_id).or_default().push(s.student_id);
    }
    let student_names: HashMap<i64, String> = student::Entity::find()
        .filter(student::Column::SchoolId.eq(t.school.id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let rooms = room::Entity::find()
        .filter(room::Column::SchoolId.eq(t.school.id))
        .order_by_asc(room::Column::Id)
        .all(db)
        .await?;
    let preferences = super::settings::preferences(db, t).await?;
    let day_ends = super::settings::day_ends(db, t)
        .await?
        .into_iter()
        .map(|d| ((d.grade, d.weekday), d.ends_at))
        .collect();
    let person = people(db, &teachers).await?;
    let elsewhere = elsewhere(db, t, person.values().copied().collect()).await?;
    let course_names = crate::course::offering::items_for_term(db, t.school.id, t.term.id)
        .await?
        .into_iter()
        .map(|i| (i.id, i.name))
        .collect();
    Ok(Data {
        classes,
        slots,
        teachers,
        students,
        student_names,
        rooms,
        preferences,
        day_ends,
        person,
        elsewhere,
        course_names,
    })
}

/// The account (person) behind each teacher of the classes.
async fn people(
    db: &impl ConnectionTrait,
    teachers: &HashMap<i64, Vec<class_teacher::Model>>,
) -> Result<HashMap<TeacherKey, i64>> {
    let all: Vec<&class_teacher::Model> = teachers.values().flatten().collect();
    let staff: HashMap<i64, i64> = kehou_store::entity::school::staff::Entity::find()
        .filter(
            kehou_store::entity::school::staff::Column::Id
                .is_in(all.iter().filter_map(|x| x.staff_id).collect::<Vec<_>>()),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.user_id))
        .collect();
    let institution: HashMap<i64, i64> = kehou_store::entity::institution::teacher::Entity::find()
        .filter(
            kehou_store::entity::institution::teacher::Column::Id.is_in(
                all.iter()
                    .filter_map(|x| x.institution_teacher_id)
                    .collect::<Vec<_>>(),
            ),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.user_id))
        .collect();
    Ok(all
        .iter()
        .filter_map(|x| {
            let user = match (x.staff_id, x.institution_teacher_id) {
                (Some(s), _) => staff.get(&s),
                (None, Some(i)) => institution.get(&i),
                _ => None,
            }?;
            Some(((x.staff_id, x.institution_teacher_id), *user))
        })
        .collect())
}

/// The weekly times the given people teach at other schools (as staff there or as an
/// institution's teacher) in classes whose dates meet this term's: nobody is in two
/// schools at once.
async fn elsewhere(
    db: &impl ConnectionTrait,
    t: &Term,
    people: HashSet<i64>,
) -> Result<HashMap<i64, Vec<(i32, NaiveTime, NaiveTime, String)>>> {
    let mut out: HashMap<i64, Vec<(i32, NaiveTime, NaiveTime, String)>> = HashMap::new();
    if people.is_empty() {
        return Ok(out);
    }
    let people: Vec<i64> = people.into_iter().collect();
    let staff: HashMap<i64, i64> = kehou_store::entity::school::staff::Entity::find()
        .filter(kehou_store::entity::school::staff::Column::UserId.is_in(people.clone()))
        .filter(kehou_store::entity::school::staff::Column::SchoolId.ne(t.school.id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.user_id))
        .collect();
    let institution: HashMap<i64, i64> = kehou_store::entity::institution::teacher::Entity::find()
        .filter(kehou_store::entity::institution::teacher::Column::UserId.is_in(people))
        .all(db)
        .await?
        .into_iter()
        .map(|x| (x.id, x.user_id))
        .collect();
    let taught = class_teacher::Entity::find()
        .filter(
            kehou_store::sea_orm::Condition::any()
                .add(
                    class_teacher::Column::StaffId.is_in(staff.keys().copied().collect::<Vec<_>>()),
                )
                .add(
                    class_teacher::Column::InstitutionTeacherId
                        .is_in(institution.keys().copied().collect::<Vec<_>>()),
                ),
        )
        .all(db)
        .await?;
    let others: Vec<class::Model> = class::Entity::find()
        .filter(class::Column::Id.is_in(taught.iter().map(|x| x.class_id).collect::<Vec<_>>()))
        .filter(class::Column::SchoolId.ne(t.school.id))
        .filter(class::Column::Status.ne(ClassStatus::Closed.code()))
        .filter(class::Column::StartsOn.lte(t.term.end_date))
        .filter(class::Column::EndsOn.gte(t.term.start_date))
        .all(db)
        .await?;
    let schools: HashMap<i64, String> = kehou_store::entity::org::Entity::find()
        .filter(
            kehou_store::entity::org::Column::Id
                .is_in(others.iter().map(|c| c.school_id).collect::<Vec<_>>()),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let mut bells: HashMap<i64, Bell> = HashMap::new();
    for c in &others {
        if let std::collections::hash_map::Entry::Vacant(e) = bells.entry(c.school_id) {
            e.insert(load_bell(db, c.school_id).await?);
        }
    }
    let slots = slot::Entity::find()
        .filter(slot::Column::ClassId.is_in(others.iter().map(|c| c.id).collect::<Vec<_>>()))
        .filter(slot::Column::Weekday.is_not_null())
        .all(db)
        .await?;
    let by_class: HashMap<i64, &class::Model> = others.iter().map(|c| (c.id, c)).collect();
    for s in slots {
        let Some(c) = by_class.get(&s.class_id) else {
            continue;
        };
        let (Some(w), Some(p)) = (s.weekday, s.period_no) else {
            continue;
        };
        let Some(period) = bells.get(&c.school_id).and_then(|b| b.period(w, p)) else {
            continue;
        };
        for x in taught.iter().filter(|x| x.class_id == c.id) {
            let who = x
                .staff_id
                .and_then(|i| staff.get(&i))
                .or_else(|| x.institution_teacher_id.and_then(|i| institution.get(&i)));
            if let Some(who) = who {
                out.entry(*who).or_default().push((
                    w,
                    period.start,
                    period.end,
                    schools.get(&c.school_id).cloned().unwrap_or_default(),
                ));
            }
        }
    }
    Ok(out)
}

/// Whether any of a person's teacher records forbids this time.
fn forbidden_for(data: &Data, keys: &[TeacherKey], weekday: i32, period_no: i32) -> bool {
    keys.iter().any(|k| match k {
        (Some(id), _) => forbidden(data, PreferenceTarget::Staff, *id, weekday, period_no),
        (None, Some(id)) => forbidden(
            data,
            PreferenceTarget::InstitutionTeacher,
            *id,
            weekday,
            period_no,
        ),
        _ => false,
    })
}

/// A teacher's person, or a stand-in unique to the record when it has no account.
fn person_of(data: &Data, key: TeacherKey) -> i64 {
    data.person.get(&key).copied().unwrap_or_else(|| match key {
        (Some(s), _) => -s,
        (None, Some(i)) => -(i + 1_000_000_000),
        _ => 0,
    })
}

/// The grades of a class whose regular lessons are still on at `start` on `weekday`.
fn regular_on(data: &Data, c: &class::Model, weekday: i32, start: NaiveTime) -> Vec<i32> {
    (c.grade_from..=c.grade_to)
        .filter(|g| {
            data.day_ends
                .get(&(*g, weekday))
                .is_some_and(|end| *end > start)
        })
        .collect()
}

fn forbidden(data: &Data, target: PreferenceTarget, id: i64, weekday: i32, period_no: i32) -> bool {
    data.preferences.iter().any(|p| {
        p.target == target.code()
            && p.target_id == id
            && p.kind == PreferenceKind::Forbidden.code()
            && p.weekday == weekday
            && p.period_no == period_no
    })
}

/// The solver's instance, with which slot each activity is.
pub(crate) struct Built {
    pub inst: Instance,
    /// Activity i is `slot_ids[i]`.
    pub slot_ids: Vec<i64>,
    /// Day index → weekday.
    pub weekdays: Vec<i32>,
    /// Room index → room id.
    pub room_ids: Vec<i64>,
    /// Constraint origin → where it is set.
    pub links: HashMap<String, String>,
}

fn build(t: &Term, data: &Data) -> Result<Built> {
    let weekdays = t.bell.weekdays();
    let hours = t.bell.max_periods();
    if weekdays.is_empty() || hours == 0 {
        return Err(Error::conflict(
            "学校还没有设置课后服务的作息时间（节次），无法排课",
        ));
    }
    let day_of = |w: i32| weekdays.iter().position(|d| *d == w);
    let mut inst = Instance {
        name: format!("{} {}", t.school.name, t.term.name),
        days: weekdays
            .iter()
            .map(|w| weekday_name(*w).to_string())
            .collect(),
        hours: (1..=hours).map(|h| format!("第{h}节")).collect(),
        ..Default::default()
    };
    let mut links: HashMap<String, String> = HashMap::new();
    let all_slots: Vec<Slot> = (0..weekdays.len())
        .flat_map(|d| {
            (0..hours).map(move |h| Slot {
                day: u16::try_from(d).unwrap_or(0),
                hour: u16::try_from(h).unwrap_or(0),
            })
        })
        .collect();
    let period_at = |s: Slot| -> Option<&super::BellPeriod> {
        t.bell
            .period(weekdays[usize::from(s.day)], i32::from(s.hour) + 1)
    };
    inst.constraints.push(Constraint {
        rule: Rule::Basic,
        weight: 100.0,
        origin: "基本规则".into(),
    });
    let breaks: Vec<Slot> = all_slots
        .iter()
        .copied()
        .filter(|s| period_at(*s).is_none())
        .collect();
    if !breaks.is_empty() {
        inst.constraints.push(Constraint {
            rule: Rule::BreakTimes(breaks),
            weight: 100.0,
            origin: "作息时间".into(),
        });
        links.insert(
            "作息时间".into(),
            format!("/calendar?school={}", t.school.id),
        );
    }
    // Rooms: every room of the school, unavailable ones never free.
    let mut room_index: HashMap<i64, usize> = HashMap::new();
    for r in &data.rooms {
        room_index.insert(r.id, inst.rooms.len());
        inst.rooms.push(Room {
            name: r.name.clone(),
            capacity: u32::try_from(r.capacity).unwrap_or(0),
        });
    }
    // Teachers.
    let mut teacher_index: HashMap<i64, usize> = HashMap::new();
    let mut keys_of: HashMap<i64, Vec<TeacherKey>> = HashMap::new();
    for ts in data.teachers.values() {
        for x in ts {
            let key = (x.staff_id, x.institution_teacher_id);
            let who = person_of(data, key);
            let next = inst.teachers.len();
            if let std::collections::hash_map::Entry::Vacant(e) = teacher_index.entry(who) {
                e.insert(next);
                inst.teachers.push(x.name.clone());
            }
            let keys = keys_of.entry(who).or_default();
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    // Student sets: one per class, and one per group of students who share several classes.
    let mut class_set: HashMap<i64, usize> = HashMap::new();
    for c in &data.classes {
        class_set.insert(c.id, inst.sets.len());
        inst.sets.push(StudentSet {
            name: c.name.clone(),
            size: u32::try_from(c.capacity_max).unwrap_or(0),
            parents: Vec::new(),
        });
    }
    let mut classes_of: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (class_id, students) in &data.students {
        for s in students {
            classes_of.entry(*s).or_default().push(*class_id);
        }
    }
    let mut groups: BTreeMap<Vec<i64>, u32> = BTreeMap::new();
    for mut cs in classes_of.into_values() {
        if cs.len() > 1 {
            cs.sort_unstable();
            *groups.entry(cs).or_default() += 1;
        }
    }
    let mut extra_sets: HashMap<i64, Vec<usize>> = HashMap::new();
    for (cs, size) in groups {
        let index = inst.sets.len();
        inst.sets.push(StudentSet {
            name: format!("同时选{}个班的{size}名学生", cs.len()),
            size,
            parents: Vec::new(),
        });
        for c in cs {
            extra_sets.entry(c).or_default().push(index);
        }
    }
    // Activities.
    let classes: HashMap<i64, &class::Model> = data.classes.iter().map(|c| (c.id, c)).collect();
    let mut slot_ids = Vec::new();
    let mut of_class: HashMap<i64, Vec<usize>> = HashMap::new();
    for s in &data.slots {
        let Some(c) = classes.get(&s.class_id) else {
            continue;
        };
        let teachers: Vec<usize> = data
            .teachers
            .get(&c.id)
            .map(|ts| {
                ts.iter()
                    .filter_map(|x| {
                        teacher_index
                            .get(&person_of(data, (x.staff_id, x.institution_teacher_id)))
                            .copied()
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut sets = vec![class_set[&c.id]];
        sets.extend(extra_sets.get(&c.id).cloned().unwrap_or_default());
        let placement = s.weekday.zip(s.period_no).and_then(|(w, p)| {
            let day = day_of(w)?;
            t.bell.period(w, p)?;
            Some(Placement {
                start: Slot {
                    day: u16::try_from(day).ok()?,
                    hour: u16::try_from(p - 1).ok()?,
                },
                room: s.room_id.and_then(|r| room_index.get(&r).copied()),
            })
        });
        let a = inst.activities.len();
        of_class.entry(c.id).or_default().push(a);
        inst.activities.push(Activity {
            id: u32::try_from(s.id).unwrap_or(u32::MAX),
            group: u32::try_from(c.id).unwrap_or(0),
            duration: 1,
            teachers,
            subject: None,
            tags: Vec::new(),
            sets,
            size: u32::try_from(c.capacity_max).unwrap_or(0),
            locked: s.locked && placement.is_some(),
            placement,
        });
        slot_ids.push(s.id);
    }
    for c in &data.classes {
        let Some(acts) = of_class.get(&c.id).cloned() else {
            continue;
        };
        let course = data
            .course_names
            .get(&c.item_id)
            .cloned()
            .unwrap_or_default();
        if let Some(r) = c.room_id.and_then(|r| room_index.get(&r).copied()) {
            let origin = format!("指定场室：{}", c.name);
            links.insert(
                origin.clone(),
                format!(
                    "/schools/{}/teaching/{}?term={}",
                    t.school.id, c.id, t.term.id
                ),
            );
            inst.constraints.push(Constraint {
                rule: Rule::PreferredRooms {
                    activities: acts.clone(),
                    rooms: vec![r],
                },
                weight: 100.0,
                origin,
            });
        }
        // After the regular lessons of every grade of the class.
        let after: Vec<Slot> = all_slots
            .iter()
            .copied()
            .filter(|s| {
                period_at(*s).is_some_and(|p| {
                    regular_on(data, c, weekdays[usize::from(s.day)], p.start).is_empty()
                })
            })
            .collect();
        if after.len() < all_slots.len() {
            let origin = format!(
                "正课结束时间：{}",
                super::class::grades_label(c.grade_from, c.grade_to)
            );
            links.insert(origin.clone(), settings_link(t, "regular"));
            inst.constraints.push(Constraint {
                rule: Rule::StartingTimes {
                    activities: acts.clone(),
                    slots: after,
                },
                weight: 100.0,
                origin,
            });
        }
        let allowed: Vec<Slot> = all_slots
            .iter()
            .copied()
            .filter(|s| {
                !forbidden(
                    data,
                    PreferenceTarget::Course,
                    c.item_id,
                    weekdays[usize::from(s.day)],
                    i32::from(s.hour) + 1,
                )
            })
            .collect();
        if allowed.len() < all_slots.len() {
            let origin = format!("课程不可排时间：{course}");
            links.insert(origin.clone(), settings_link(t, "preferences"));
            inst.constraints.push(Constraint {
                rule: Rule::StartingTimes {
                    activities: acts.clone(),
                    slots: allowed,
                },
                weight: 100.0,
                origin,
            });
        }
        let preferred: Vec<Slot> = data
            .preferences
            .iter()
            .filter(|p| {
                p.target == PreferenceTarget::Course.code()
                    && p.target_id == c.item_id
                    && p.kind == PreferenceKind::Preferred.code()
            })
            .filter_map(|p| {
                Some(Slot {
                    day: u16::try_from(day_of(p.weekday)?).ok()?,
                    hour: u16::try_from(p.period_no - 1).ok()?,
                })
            })
            .collect();
        if !preferred.is_empty() {
            inst.constraints.push(Constraint {
                rule: Rule::StartingTimes {
                    activities: acts.clone(),
                    slots: preferred,
                },
                weight: 80.0,
                origin: format!("课程优先时间：{course}"),
            });
        }
        if acts.len() > 1 && acts.len() <= weekdays.len() {
            inst.constraints.push(Constraint {
                rule: Rule::MinDaysBetween {
                    activities: acts.clone(),
                    days: 1,
                    consecutive_if_same_day: false,
                },
                weight: 95.0,
                origin: format!("分散到不同日：{}", c.name),
            });
        }
    }
    // Teachers' forbidden and preferred times, and their lessons at other schools.
    for (who, index) in &teacher_index {
        let keys = keys_of.get(who).cloned().unwrap_or_default();
        let name = inst.teachers[*index].clone();
        let blocked: Vec<Slot> = all_slots
            .iter()
            .copied()
            .filter(|s| {
                forbidden_for(
                    data,
                    &keys,
                    weekdays[usize::from(s.day)],
                    i32::from(s.hour) + 1,
                )
            })
            .collect();
        if !blocked.is_empty() {
            let origin = format!("教师不可排时间：{name}");
            links.insert(origin.clone(), settings_link(t, "preferences"));
            inst.constraints.push(Constraint {
                rule: Rule::TeacherNotAvailable {
                    teacher: *index,
                    slots: blocked,
                },
                weight: 100.0,
                origin,
            });
        }
        if let Some(busy) = data.elsewhere.get(who) {
            let taken: Vec<Slot> = all_slots
                .iter()
                .copied()
                .filter(|s| {
                    let w = weekdays[usize::from(s.day)];
                    period_at(*s).is_some_and(|p| {
                        busy.iter()
                            .any(|(bw, start, end, _)| *bw == w && *start < p.end && p.start < *end)
                    })
                })
                .collect();
            if !taken.is_empty() {
                let origin = format!("在其他学校上课：{name}");
                let link = match keys.first() {
                    Some((Some(s), _)) => format!("/timetable?view=teacher&id={s}"),
                    Some((None, Some(i))) => format!("/timetable?view=institution_teacher&id={i}"),
                    _ => settings_link(t, "preferences"),
                };
                links.insert(origin.clone(), link);
                inst.constraints.push(Constraint {
                    rule: Rule::TeacherNotAvailable {
                        teacher: *index,
                        slots: taken,
                    },
                    weight: 100.0,
                    origin,
                });
            }
        }
        let preferred: Vec<Slot> = data
            .preferences
            .iter()
            .filter(|p| p.kind == PreferenceKind::Preferred.code())
            .filter(|p| {
                keys.iter().any(|k| match k {
                    (Some(id), _) => {
                        p.target == PreferenceTarget::Staff.code() && p.target_id == *id
                    }
                    (None, Some(id)) => {
                        p.target == PreferenceTarget::InstitutionTeacher.code()
                            && p.target_id == *id
                    }
                    _ => false,
                })
            })
            .filter_map(|p| {
                Some(Slot {
                    day: u16::try_from(day_of(p.weekday)?).ok()?,
                    hour: u16::try_from(p.period_no - 1).ok()?,
                })
            })
            .collect();
        let acts: Vec<usize> = inst
            .activities
            .iter()
            .enumerate()
            .filter(|(_, a)| a.teachers.contains(index))
            .map(|(i, _)| i)
            .collect();
        if !preferred.is_empty() && !acts.is_empty() {
            inst.constraints.push(Constraint {
                rule: Rule::StartingTimes {
                    activities: acts,
                    slots: preferred,
                },
                weight: 80.0,
                origin: format!("教师优先时间：{name}"),
            });
        }
    }
    // Rooms' unavailable times: switched off, or set as forbidden.
    for r in &data.rooms {
        let index = room_index[&r.id];
        let blocked: Vec<Slot> = all_slots
            .iter()
            .copied()
            .filter(|s| {
                !r.available
                    || forbidden(
                        data,
                        PreferenceTarget::Room,
                        r.id,
                        weekdays[usize::from(s.day)],
                        i32::from(s.hour) + 1,
                    )
            })
            .collect();
        if !blocked.is_empty() {
            let origin = format!("场室不可用时间：{}", r.name);
            links.insert(origin.clone(), settings_link(t, "preferences"));
            inst.constraints.push(Constraint {
                rule: Rule::RoomNotAvailable {
                    room: index,
                    slots: blocked,
                },
                weight: 100.0,
                origin,
            });
        }
    }
    let room_ids = data.rooms.iter().map(|r| r.id).collect();
    Ok(Built {
        inst,
        slot_ids,
        weekdays,
        room_ids,
        links,
    })
}

/// Builds the instance of a term from the database (for the benchmark and the job).
pub(crate) async fn instance(db: &impl ConnectionTrait, t: &Term) -> Result<Built> {
    let data = load_data(db, t).await?;
    build(t, &data)
}

/// A blocking line with the page where its constraint is set.
fn blocker(t: &Term, links: &HashMap<String, String>, line: &str) -> Blocker {
    let link = links
        .iter()
        .filter(|(origin, _)| line.contains(origin.as_str()))
        .max_by_key(|(origin, _)| origin.len())
        .map(|(_, l)| l.clone())
        .unwrap_or_else(|| {
            if line.contains("教师") {
                settings_link(t, "preferences")
            } else {
                format!("/schools/{}/teaching?term={}", t.school.id, t.term.id)
            }
        });
    Blocker {
        message: line.to_string(),
        link,
    }
}

/// Records what happened to a term's timetable; `action` is `schedule.<what>`.
async fn record(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    actor: &Actor,
    t: &Term,
    action: &str,
    summary: String,
) -> Result<()> {
    audit::record(
        db,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(t.school.id),
            org_path: &t.school.path,
            action,
            entity_type: "timetable",
            entity_id: Some(t.term.id),
            summary,
        },
    )
    .await
}

// ---- runs ----

fn run_view(r: run::Model, j: Option<&job::Model>) -> RunView {
    let blocking: Vec<Blocker> = serde_json::from_str(&r.blocking).unwrap_or_default();
    RunView {
        id: r.id,
        school_id: r.school_id,
        term_id: r.term_id,
        status_label: run_status_label(&r.status),
        status: r.status,
        job_id: r.job_id,
        stage: j.map(|j| j.stage.clone()).unwrap_or_default(),
        done: j.map_or(0, |j| u64::try_from(j.done).unwrap_or(0)),
        total: j.map_or(0, |j| u64::try_from(j.total).unwrap_or(0)),
        hard: r.hard,
        soft: r.soft,
        moved: r.moved,
        blocking,
        created_at: r.created_at,
        finished_at: r.finished_at,
    }
}

async fn view_of(db: &impl ConnectionTrait, r: run::Model) -> Result<RunView> {
    let j = match r.job_id {
        Some(id) => jobs::get(db, id).await?,
        None => None,
    };
    Ok(run_view(r, j.as_ref()))
}

async fn last_run(db: &impl ConnectionTrait, t: &Term) -> Result<Option<RunView>> {
    match run::Entity::find()
        .filter(run::Column::SchoolId.eq(t.school.id))
        .filter(run::Column::TermId.eq(t.term.id))
        .order_by_desc(run::Column::Id)
        .one(db)
        .await?
    {
        Some(r) => Ok(Some(view_of(db, r).await?)),
        None => Ok(None),
    }
}

/// Starts a solver run for the term as a background job.
pub async fn start_run(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    input: RunInput,
) -> Result<RunView> {
    let t = term_for(app, actor, school_id, term_id, Permission::TeachingManage).await?;
    check_current(app, &t.term)?;
    let seconds = input.seconds.unwrap_or(RUN_SECONDS);
    if !(seconds.is_finite() && (1.0..=60.0).contains(&seconds)) {
        return Err(Error::invalid("seconds", "排课时长应为1至60秒"));
    }
    let txn = kehou_store::begin_write(&app.db).await?;
    let busy = run::Entity::find()
        .filter(run::Column::SchoolId.eq(t.school.id))
        .filter(run::Column::TermId.eq(t.term.id))
        .filter(run::Column::Status.is_in(["queued", "running"]))
        .one(&txn)
        .await?;
    if let Some(b) = busy {
        // A run whose job is over (its worker died and the job was given up) is over too.
        let job_over = match b.job_id {
            Some(id) => jobs::get(&txn, id).await?.is_none_or(|j| {
                matches!(
                    Status::parse(&j.status),
                    Some(Status::Failed | Status::Finished)
                )
            }),
            None => true,
        };
        if !job_over {
            return Err(Error::conflict(format!(
                "本学期已有排课任务（#{}）正在进行，请等它完成或取消",
                b.id
            )));
        }
        let blocking = [Blocker {
            message: "排课任务中断，课表未改变".into(),
            link: format!("/schools/{}/schedule?term={}", t.school.id, t.term.id),
        }];
        finish_run(
            &txn,
            app.now(),
            b,
            Finish {
                status: "failed",
                hard: 0,
                soft: 0.0,
                moved: 0,
                blocking: &blocking,
            },
        )
        .await?;
    }
    let now = app.now();
    let r = run::ActiveModel {
        school_id: Set(t.school.id),
        term_id: Set(t.term.id),
        job_id: Set(None),
        status: Set("queued".into()),
        hard: Set(0),
        soft: Set(0.0),
        moved: Set(0),
        blocking: Set("[]".into()),
        cancelled: Set(false),
        created_by: Set(actor.user_id),
        created_at: Set(now),
        finished_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let j = jobs::enqueue(
        &txn,
        now,
        jobs::NewJob {
            kind: JOB_KIND,
            org_id: Some(t.school.id),
            user_id: Some(actor.user_id),
            membership_id: Some(actor.membership_id),
            ip: actor.ip.clone(),
            params: serde_json::json!({ "run_id": r.id, "seconds": seconds }),
            input: None,
            max_attempts: 1,
        },
    )
    .await?;
    let mut m = r.into_active_model();
    m.job_id = Set(Some(j.id));
    let r = m.update(&txn).await?;
    record(
        &txn,
        now,
        actor,
        &t,
        "schedule.run",
        format!(
            "{} {} 开始自动排课（#{}）",
            t.term.school_year, t.term.name, r.id
        ),
    )
    .await?;
    txn.commit().await?;
    app.job_wakeup.notify_one();
    Ok(run_view(r, Some(&j)))
}

async fn load_run(db: &impl ConnectionTrait, t: &Term, run_id: i64) -> Result<run::Model> {
    run::Entity::find_by_id(run_id)
        .filter(run::Column::SchoolId.eq(t.school.id))
        .filter(run::Column::TermId.eq(t.term.id))
        .one(db)
        .await?
        .ok_or(Error::NotFound("排课任务"))
}

pub async fn get_run(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    run_id: i64,
) -> Result<RunView> {
    let t = term_for(app, actor, school_id, term_id, Permission::SchoolView).await?;
    let r = load_run(&app.db, &t, run_id).await?;
    view_of(&app.db, r).await
}

/// Cancels a queued or running run: whatever it finds is thrown away.
pub async fn cancel_run(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    run_id: i64,
) -> Result<RunView> {
    let t = term_for(app, actor, school_id, term_id, Permission::TeachingManage).await?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let r = load_run(&txn, &t, run_id).await?;
    if !matches!(r.status.as_str(), "queued" | "running") {
        return Err(Error::conflict(format!(
            "排课任务 #{} {}，不能取消",
            r.id,
            run_status_label(&r.status)
        )));
    }
    let queued = r.status == "queued";
    let mut m = r.into_active_model();
    m.cancelled = Set(true);
    if queued {
        m.status = Set("cancelled".into());
        m.finished_at = Set(Some(app.now()));
    }
    let r = m.update(&txn).await?;
    if let (true, Some(job_id)) = (queued, r.job_id) {
        // A queued job that was never claimed is failed right away so no worker takes it.
        job::Entity::update_many()
            .col_expr(
                job::Column::Status,
                kehou_store::sea_orm::sea_query::Expr::value(Status::Failed.code()),
            )
            .col_expr(
                job::Column::Error,
                kehou_store::sea_orm::sea_query::Expr::value("已取消"),
            )
            .filter(job::Column::Id.eq(job_id))
            .filter(job::Column::Status.eq(Status::Queued.code()))
            .exec(&txn)
            .await?;
    }
    record(
        &txn,
        app.now(),
        actor,
        &t,
        "schedule.cancel",
        format!("取消自动排课（#{}）", r.id),
    )
    .await?;
    txn.commit().await?;
    view_of(&app.db, r).await
}

#[derive(Deserialize)]
struct Params {
    run_id: i64,
    seconds: f64,
}

/// How a run ended.
struct Finish<'a> {
    status: &'a str,
    hard: i32,
    soft: f64,
    moved: i32,
    blocking: &'a [Blocker],
}

async fn finish_run(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    r: run::Model,
    f: Finish<'_>,
) -> Result<run::Model> {
    let mut m = r.into_active_model();
    m.status = Set(f.status.into());
    m.hard = Set(f.hard);
    m.soft = Set(f.soft);
    m.moved = Set(f.moved);
    m.blocking = Set(serde_json::to_string(f.blocking).unwrap_or_else(|_| "[]".into()));
    m.finished_at = Set(Some(now));
    Ok(m.update(db).await?)
}

/// What solving a term gave.
pub(crate) struct Solved {
    pub feasible: bool,
    pub hard: i32,
    pub soft: f64,
    pub moved: i32,
    pub blocking: Vec<Blocker>,
    /// Slot id → (weekday, period_no, room id), for every placed activity.
    pub placements: Vec<(i64, i32, i32, Option<i64>)>,
}

/// Solves a built instance off the async threads, reporting progress.
pub(crate) async fn solve_built(
    t: &Term,
    built: Built,
    seconds: f64,
    seed: u64,
    progress: Option<&Progress>,
) -> Result<Solved> {
    let percent = Arc::new(AtomicU64::new(0));
    let inst = Arc::new(built.inst);
    let handle = {
        let (inst, percent) = (inst.clone(), percent.clone());
        tokio::task::spawn_blocking(move || {
            let options = kehou_schedule::Options {
                seconds,
                seed,
                max_iterations: None,
                polish_seconds: Some(1.0),
            };
            kehou_schedule::solve(&inst, &options, &mut |p| {
                let done = if p.hard == 0 {
                    100
                } else {
                    ((p.elapsed / seconds) * 100.0) as u64
                };
                percent.store(done.min(99), Ordering::Relaxed);
            })
        })
    };
    if let Some(p) = progress {
        p.stage("排课中", 100);
    }
    let mut shown = 0;
    tokio::pin!(handle);
    let solution = loop {
        tokio::select! {
            done = &mut handle => break done.map_err(|e| Error::Internal(format!("排课线程：{e}")))?,
            _ = tokio::time::sleep(std::time::Duration::from_millis(250)) => {
                let now = percent.load(Ordering::Relaxed);
                if let Some(p) = progress && now > shown {
                    p.advance(usize::try_from(now - shown).unwrap_or(0));
                    shown = now;
                }
            }
        }
    };
    // The independent checker has the last word.
    let report = kehou_schedule::check(&inst, &solution.placements);
    let feasible = report.feasible() && solution.feasible();
    let mut blocking: Vec<Blocker> = solution
        .blocking
        .iter()
        .map(|l| blocker(t, &built.links, l))
        .collect();
    if !feasible && blocking.is_empty() {
        blocking = kehou_schedule::diagnose::remaining(&inst, &solution.placements)
            .iter()
            .map(|l| blocker(t, &built.links, l))
            .collect();
    }
    let placements = solution
        .placements
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let p = (*p)?;
            Some((
                built.slot_ids[i],
                built.weekdays[usize::from(p.start.day)],
                i32::from(p.start.hour) + 1,
                p.room.map(|r| built.room_ids[r]),
            ))
        })
        .collect();
    Ok(Solved {
        feasible,
        hard: i32::try_from(report.hard.len()).unwrap_or(i32::MAX),
        soft: report.soft_cost,
        moved: i32::try_from(solution.moved).unwrap_or(i32::MAX),
        blocking,
        placements,
    })
}

/// Writes a feasible timetable into the slots and regenerates the dated lessons.
pub(crate) async fn apply(
    app: &App,
    db: &impl ConnectionTrait,
    t: &Term,
    placements: &[(i64, i32, i32, Option<i64>)],
    since: chrono::NaiveDateTime,
) -> Result<usize> {
    let current: HashMap<i64, slot::Model> = slot::Entity::find()
        .filter(slot::Column::SchoolId.eq(t.school.id))
        .filter(slot::Column::TermId.eq(t.term.id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let now = app.now();
    for (id, w, p, room) in placements {
        let Some(s) = current.get(id) else {
            continue;
        };
        if s.weekday == Some(*w) && s.period_no == Some(*p) && s.room_id == *room {
            continue;
        }
        let mut m = s.clone().into_active_model();
        m.weekday = Set(Some(*w));
        m.period_no = Set(Some(*p));
        if room.is_some() {
            m.room_id = Set(*room);
        }
        m.updated_at = Set(now);
        m.update(db).await?;
    }
    super::lesson::regenerate_since(app, db, t, None, since).await
}

/// Runs a claimed schedule job as the person who started it.
pub(crate) async fn run_job(
    app: &App,
    held: &job::Model,
    progress: &Progress,
) -> Result<serde_json::Value> {
    let params: Params = serde_json::from_str(&held.params)
        .map_err(|e| Error::Internal(format!("排课任务参数有误：{e}")))?;
    let (Some(user_id), Some(membership_id)) = (held.user_id, held.membership_id) else {
        return Err(Error::Forbidden("排课任务没有发起人".into()));
    };
    let actor = crate::identity::auth::actor_of_membership(
        &app.db,
        user_id,
        membership_id,
        held.ip.as_deref(),
    )
    .await?
    .ok_or_else(|| Error::Forbidden("发起排课的身份已不可用".into()))?;
    let r = run::Entity::find_by_id(params.run_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("排课任务"))?;
    if r.cancelled {
        return Ok(serde_json::json!({ "status": "cancelled" }));
    }
    let outcome = solve_run(app, &actor, &r, params.seconds, progress).await;
    let r = run::Entity::find_by_id(params.run_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("排课任务"))?;
    match outcome {
        Ok(status) => Ok(serde_json::json!({ "status": status })),
        Err(e) => {
            let message = e.one_line();
            let link = format!("/schools/{}/teaching?term={}", r.school_id, r.term_id);
            finish_run(
                &app.db,
                app.now(),
                r,
                Finish {
                    status: "failed",
                    hard: 0,
                    soft: 0.0,
                    moved: 0,
                    blocking: &[Blocker { message, link }],
                },
            )
            .await?;
            Err(e)
        }
    }
}

async fn solve_run(
    app: &App,
    actor: &Actor,
    r: &run::Model,
    seconds: f64,
    progress: &Progress,
) -> Result<&'static str> {
    let t = term_for(
        app,
        actor,
        r.school_id,
        r.term_id,
        Permission::TeachingManage,
    )
    .await?;
    let mut m = r.clone().into_active_model();
    m.status = Set("running".into());
    m.update(&app.db).await?;
    progress.stage("读取教学班", 1);
    let built = instance(&app.db, &t).await?;
    let solved = solve_built(
        &t,
        built,
        seconds,
        u64::try_from(r.id).unwrap_or(1),
        Some(progress),
    )
    .await?;
    progress.stage("保存课表", 1);
    let txn = kehou_store::begin_write(&app.db).await?;
    let r = run::Entity::find_by_id(r.id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("排课任务"))?;
    let now = app.now();
    let status = if r.cancelled {
        "cancelled"
    } else if !solved.feasible {
        "infeasible"
    } else {
        apply(app, &txn, &t, &solved.placements, app.local_now()).await?;
        "succeeded"
    };
    let summary = match status {
        "succeeded" => format!("自动排课完成（#{}）：调整{}节课", r.id, solved.moved),
        "infeasible" => format!("自动排课未找到可行课表（#{}），课表未改变", r.id),
        _ => format!("自动排课已取消（#{}），课表未改变", r.id),
    };
    finish_run(
        &txn,
        now,
        r,
        Finish {
            status,
            hard: solved.hard,
            soft: solved.soft,
            moved: solved.moved,
            blocking: &solved.blocking,
        },
    )
    .await?;
    record(&txn, now, actor, &t, "schedule.result", summary).await?;
    txn.commit().await?;
    Ok(status)
}

// ---- the grid, moves and conflicts ----

fn conflicts_of(t: &Term, data: &Data) -> Vec<ConflictView> {
    let mut out = Vec::new();
    let classes: HashMap<i64, &class::Model> = data.classes.iter().map(|c| (c.id, c)).collect();
    let rooms: HashMap<i64, &room::Model> = data.rooms.iter().map(|r| (r.id, r)).collect();
    let name = |slot_id: i64| -> String {
        data.slots
            .iter()
            .find(|s| s.id == slot_id)
            .and_then(|s| classes.get(&s.class_id))
            .map(|c| c.name.clone())
            .unwrap_or_default()
    };
    let placed: Vec<(&slot::Model, i32, i32)> = data
        .slots
        .iter()
        .filter(|s| classes.contains_key(&s.class_id))
        .filter_map(|s| Some((s, s.weekday?, s.period_no?)))
        .collect();
    let time = |w: i32, p: i32| {
        format!(
            "{} {}",
            weekday_name(w),
            t.bell
                .period(w, p)
                .map(|b| b.name.clone())
                .unwrap_or_else(|| format!("第{p}节"))
        )
    };
    let mut push =
        |kind: &str, label: &'static str, message: String, w: i32, p: i32, ids: Vec<i64>| {
            let link = slot_link(t, ids[0]);
            out.push(ConflictView {
                kind: kind.into(),
                kind_label: label,
                message,
                weekday: w,
                period_no: p,
                slot_ids: ids,
                link,
            });
        };
    // Teachers and rooms double-booked.
    let mut by_teacher: BTreeMap<(i32, i32, String), Vec<i64>> = BTreeMap::new();
    let mut by_room: BTreeMap<(i32, i32, i64), Vec<i64>> = BTreeMap::new();
    for (s, w, p) in &placed {
        for x in data
            .teachers
            .get(&s.class_id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            by_teacher
                .entry((
                    *w,
                    *p,
                    format!(
                        "{}#{}",
                        x.name,
                        person_of(data, (x.staff_id, x.institution_teacher_id))
                    ),
                ))
                .or_default()
                .push(s.id);
        }
        if let Some(r) = s.room_id {
            by_room.entry((*w, *p, r)).or_default().push(s.id);
        }
    }
    for ((w, p, who), ids) in by_teacher {
        if ids.len() > 1 {
            let teacher = who.split('#').next().unwrap_or("").to_string();
            let names: Vec<String> = ids.iter().map(|i| name(*i)).collect();
            push(
                "teacher",
                "教师冲突",
                format!("{teacher} {} 同时在{}上课", time(w, p), names.join("、")),
                w,
                p,
                ids,
            );
        }
    }
    for ((w, p, r), ids) in by_room {
        if ids.len() > 1 {
            let names: Vec<String> = ids.iter().map(|i| name(*i)).collect();
            push(
                "room",
                "场室冲突",
                format!(
                    "{} {} 同时安排了{}",
                    rooms.get(&r).map(|r| r.name.as_str()).unwrap_or(""),
                    time(w, p),
                    names.join("、")
                ),
                w,
                p,
                ids,
            );
        }
    }
    // Students in two classes at once.
    let mut at: BTreeMap<(i32, i32), Vec<&slot::Model>> = BTreeMap::new();
    for (s, w, p) in &placed {
        at.entry((*w, *p)).or_default().push(s);
    }
    for ((w, p), here) in &at {
        for (i, a) in here.iter().enumerate() {
            for b in &here[i + 1..] {
                if a.class_id == b.class_id {
                    continue;
                }
                let sa: HashSet<i64> = data
                    .students
                    .get(&a.class_id)
                    .map(|v| v.iter().copied().collect())
                    .unwrap_or_default();
                let both: Vec<i64> = data
                    .students
                    .get(&b.class_id)
                    .map(|v| v.iter().copied().filter(|s| sa.contains(s)).collect())
                    .unwrap_or_default();
                if !both.is_empty() {
                    let first = data
                        .student_names
                        .get(&both[0])
                        .cloned()
                        .unwrap_or_default();
                    push(
                        "students",
                        "学生冲突",
                        format!(
                            "{}等{}名学生 {} 同时在{}和{}",
                            first,
                            both.len(),
                            time(*w, *p),
                            name(a.id),
                            name(b.id)
                        ),
                        *w,
                        *p,
                        vec![a.id, b.id],
                    );
                }
            }
        }
    }
    for (s, w, p) in &placed {
        let Some(c) = classes.get(&s.class_id) else {
            continue;
        };
        let period = t.bell.period(*w, *p);
        let Some(period) = period else {
            push(
                "forbidden",
                "节次不存在",
                format!("{} 排在{}，作息中已没有这一节", c.name, time(*w, *p)),
                *w,
                *p,
                vec![s.id],
            );
            continue;
        };
        // A teacher at another school at the same time.
        for x in data.teachers.get(&c.id).map(Vec::as_slice).unwrap_or(&[]) {
            if let Some(busy) = data
                .elsewhere
                .get(&person_of(data, (x.staff_id, x.institution_teacher_id)))
            {
                for (bw, start, end, school) in busy {
                    if bw == w && *start < period.end && period.start < *end {
                        push(
                            "teacher_elsewhere",
                            "教师跨校冲突",
                            format!(
                                "{} {} 在{}有课（{}–{}），不能同时在{}上课",
                                x.name,
                                weekday_name(*w),
                                school,
                                hhmm(*start),
                                hhmm(*end),
                                c.name
                            ),
                            *w,
                            *p,
                            vec![s.id],
                        );
                    }
                }
            }
            let forbidden_here =
                forbidden_for(data, &[(x.staff_id, x.institution_teacher_id)], *w, *p);
            if forbidden_here {
                push(
                    "forbidden",
                    "不可排时间",
                    format!(
                        "{} 排在{}，是教师{}的不可排时间",
                        c.name,
                        time(*w, *p),
                        x.name
                    ),
                    *w,
                    *p,
                    vec![s.id],
                );
            }
        }
        if forbidden(data, PreferenceTarget::Course, c.item_id, *w, *p) {
            push(
                "forbidden",
                "不可排时间",
                format!("{} 排在{}，是课程的不可排时间", c.name, time(*w, *p)),
                *w,
                *p,
                vec![s.id],
            );
        }
        if let Some(r) = s.room_id.and_then(|r| rooms.get(&r)) {
            if r.capacity < c.capacity_max {
                push(
                    "room_size",
                    "场室容量不足",
                    format!(
                        "{} 只能容纳{}人，{}班额{}人",
                        r.name, r.capacity, c.name, c.capacity_max
                    ),
                    *w,
                    *p,
                    vec![s.id],
                );
            }
            if !r.available || forbidden(data, PreferenceTarget::Room, r.id, *w, *p) {
                push(
                    "forbidden",
                    "场室不可用",
                    format!("{} 在{}不可用，却安排了{}", r.name, time(*w, *p), c.name),
                    *w,
                    *p,
                    vec![s.id],
                );
            }
        }
        let regular = regular_on(data, c, *w, period.start);
        if !regular.is_empty() {
            push(
                "regular_lessons",
                "与正课冲突",
                format!(
                    "{} {} 开始时，{}的正课还没有结束",
                    c.name,
                    time(*w, *p),
                    super::class::grades_label(regular[0], *regular.last().unwrap_or(&regular[0]))
                ),
                *w,
                *p,
                vec![s.id],
            );
        }
    }
    out
}

/// Conflicts of the term's weekly timetable (teacher, room, students, …), each linked to the lesson to move.
pub async fn conflicts(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
) -> Result<Vec<ConflictView>> {
    let t = term_for(app, actor, school_id, term_id, Permission::SchoolView).await?;
    let data = load_data(&app.db, &t).await?;
    Ok(conflicts_of(&t, &data))
}

/// The weekly timetable as a grid, with what is not placed and the conflicts.
pub async fn grid(app: &App, actor: &Actor, school_id: i64, term_id: i64) -> Result<GridView> {
    let t = term_for(app, actor, school_id, term_id, Permission::SchoolView).await?;
    let data = load_data(&app.db, &t).await?;
    let conflicts = conflicts_of(&t, &data);
    let rooms = room_names(&app.db, t.school.id).await?;
    let labels: HashMap<i64, (String, String, String)> = data
        .classes
        .iter()
        .map(|c| {
            let teachers = data
                .teachers
                .get(&c.id)
                .map(|ts| {
                    ts.iter()
                        .map(|x| x.name.as_str())
                        .collect::<Vec<_>>()
                        .join("、")
                })
                .unwrap_or_default();
            (
                c.id,
                (
                    c.name.clone(),
                    data.course_names
                        .get(&c.item_id)
                        .cloned()
                        .unwrap_or_default(),
                    teachers,
                ),
            )
        })
        .collect();
    let views = slot_views(&data.slots, &labels, &rooms, &t.bell);
    let mut weekdays = t.bell.weekdays();
    for v in &views {
        if let Some(w) = v.weekday
            && !weekdays.contains(&w)
        {
            weekdays.push(w);
        }
    }
    weekdays.sort_unstable();
    let hours = i32::try_from(t.bell.max_periods()).unwrap_or(0);
    let classes: HashMap<i64, &class::Model> = data.classes.iter().map(|c| (c.id, c)).collect();
    let rows = (1..=hours)
        .map(|p| GridRow {
            period_no: p,
            cells: weekdays
                .iter()
                .map(|w| {
                    let period = t.bell.period(*w, p);
                    let regular: Vec<i32> = period
                        .map(|b| {
                            let mut gs: Vec<i32> = data
                                .day_ends
                                .iter()
                                .filter(|((_, dw), end)| dw == w && **end > b.start)
                                .map(|((g, _), _)| *g)
                                .collect();
                            gs.sort_unstable();
                            gs
                        })
                        .unwrap_or_default();
                    GridCell {
                        weekday: *w,
                        period_no: p,
                        exists: period.is_some(),
                        label: period
                            .map(|b| format!("{} {}–{}", b.name, hhmm(b.start), hhmm(b.end)))
                            .unwrap_or_default(),
                        lessons: views
                            .iter()
                            .filter(|v| v.weekday == Some(*w) && v.period_no == Some(p))
                            .filter(|v| classes.contains_key(&v.teaching_class_id))
                            .cloned()
                            .collect(),
                        regular: if regular.is_empty() {
                            String::new()
                        } else {
                            format!(
                                "{}正课未结束",
                                regular
                                    .iter()
                                    .map(|g| kehou_domain::school::grade_name(
                                        u8::try_from(*g).unwrap_or(0)
                                    ))
                                    .collect::<Vec<_>>()
                                    .join("、")
                            )
                        },
                    }
                })
                .collect(),
        })
        .collect();
    Ok(GridView {
        school_id: t.school.id,
        term_id: t.term.id,
        days: weekdays
            .iter()
            .map(|w| (*w, weekday_name(*w).to_string()))
            .collect(),
        rows,
        unplaced: views
            .iter()
            .filter(|v| v.weekday.is_none() && classes.contains_key(&v.teaching_class_id))
            .cloned()
            .collect(),
        conflicts,
        last_run: last_run(&app.db, &t).await?,
    })
}

/// Moves (and by default locks) one weekly lesson; answers the conflicts it is now in.
/// Locking it where it clashes with another locked lesson is refused: two locks that
/// contradict each other leave the solver nothing to do.
pub async fn move_slot(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    slot_id: i64,
    input: MoveInput,
) -> Result<MoveResult> {
    let t = term_for(app, actor, school_id, term_id, Permission::TeachingManage).await?;
    check_current(app, &t.term)?;
    let mut invalid = Invalid::default();
    let (w, p) = match (input.weekday, input.period_no) {
        (Some(w), Some(p)) if t.bell.period(w, p).is_some() => (w, p),
        (Some(w), Some(p)) => {
            invalid.push(
                "period_no",
                format!(
                    "{}没有第{p}节课后服务",
                    if weekday_name(w).is_empty() {
                        "该日"
                    } else {
                        weekday_name(w)
                    }
                ),
            );
            (w, p)
        }
        _ => {
            invalid.push("weekday", "请选择星期和节次");
            (0, 0)
        }
    };
    let txn = kehou_store::begin_write(&app.db).await?;
    let s = slot::Entity::find_by_id(slot_id)
        .filter(slot::Column::SchoolId.eq(t.school.id))
        .filter(slot::Column::TermId.eq(t.term.id))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("课节"))?;
    let c = class::Entity::find_by_id(s.class_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("教学班"))?;
    let room_id = match input.room_id {
        None => s.room_id,
        Some(0) => None,
        Some(r) => match room::Entity::find_by_id(r)
            .filter(room::Column::SchoolId.eq(t.school.id))
            .one(&txn)
            .await?
        {
            Some(r) if r.capacity < c.capacity_max => {
                invalid.push(
                    "room_id",
                    format!(
                        "场室“{}”只能容纳{}人，少于班额上限{}人",
                        r.name, r.capacity, c.capacity_max
                    ),
                );
                Some(r.id)
            }
            Some(r) => Some(r.id),
            None => {
                invalid.push("room_id", "场室不存在");
                None
            }
        },
    };
    check(invalid)?;
    let status = ClassStatus::parse(&c.status).unwrap_or(ClassStatus::Planned);
    if status == ClassStatus::Closed {
        return Err(Error::conflict(format!("教学班“{}”已结课", c.name)));
    }
    let locked = input.locked.unwrap_or(true);
    let before = (s.weekday, s.period_no);
    let mut m = s.into_active_model();
    m.weekday = Set(Some(w));
    m.period_no = Set(Some(p));
    m.room_id = Set(room_id);
    m.locked = Set(locked);
    m.updated_at = Set(app.now());
    let s = m.update(&txn).await?;
    let data = load_data(&txn, &t).await?;
    let mine: Vec<ConflictView> = conflicts_of(&t, &data)
        .into_iter()
        .filter(|x| x.slot_ids.contains(&s.id))
        .collect();
    if locked {
        let locked_ids: HashSet<i64> = data
            .slots
            .iter()
            .filter(|x| x.locked)
            .map(|x| x.id)
            .collect();
        if let Some(clash) = mine.iter().find(|x| {
            x.slot_ids.len() > 1
                && x.slot_ids
                    .iter()
                    .filter(|id| **id != s.id)
                    .all(|id| locked_ids.contains(id))
        }) {
            return Err(Error::conflict(format!(
                "不能锁定在这里：与已锁定的课冲突——{}",
                clash.message
            )));
        }
    }
    super::lesson::regenerate(app, &txn, &t, Some(&[c.id])).await?;
    record(
        &txn,
        app.now(),
        actor,
        &t,
        "schedule.move",
        format!(
            "{} 的一节课由{}调到{} {}{}",
            c.name,
            match before {
                (Some(bw), Some(bp)) => format!("{}第{bp}节", weekday_name(bw)),
                _ => "未排".into(),
            },
            weekday_name(w),
            t.bell
                .period(w, p)
                .map(|b| b.name.clone())
                .unwrap_or_default(),
            if locked { "并锁定" } else { "" }
        ),
    )
    .await?;
    txn.commit().await?;
    let rooms = room_names(&app.db, t.school.id).await?;
    let label: HashMap<i64, (String, String, String)> = [(
        c.id,
        (
            c.name.clone(),
            data.course_names
                .get(&c.item_id)
                .cloned()
                .unwrap_or_default(),
            data.teachers
                .get(&c.id)
                .map(|ts| {
                    ts.iter()
                        .map(|x| x.name.as_str())
                        .collect::<Vec<_>>()
                        .join("、")
                })
                .unwrap_or_default(),
        ),
    )]
    .into_iter()
    .collect();
    let slot = slot_views(&[s], &label, &rooms, &t.bell)
        .pop()
        .ok_or(Error::NotFound("课节"))?;
    Ok(MoveResult {
        slot,
        conflicts: mine,
    })
}

/// Solves a school's term and stores the result, without a person: the demo data and the
/// benchmark. `since` regenerates the lessons from then on (the demo: the term's start).
/// Answers whether a timetable was found and how many lessons the term has.
pub async fn system_solve(
    app: &App,
    school_id: i64,
    term_id: i64,
    seconds: f64,
    since: Option<chrono::NaiveDateTime>,
) -> Result<(bool, usize)> {
    let t = super::system_term(&app.db, school_id, term_id).await?;
    let built = instance(&app.db, &t).await?;
    let solved = solve_built(&t, built, seconds, 1, None).await?;
    if !solved.feasible {
        return Ok((false, 0));
    }
    let txn = kehou_store::begin_write(&app.db).await?;
    apply(
        app,
        &txn,
        &t,
        &solved.placements,
        since.unwrap_or_else(|| app.local_now()),
    )
    .await?;
    txn.commit().await?;
    let lessons = kehou_store::entity::teaching::lesson::Entity::find()
        .filter(kehou_store::entity::teaching::lesson::Column::SchoolId.eq(t.school.id))
        .filter(kehou_store::entity::teaching::lesson::Column::TermId.eq(t.term.id))
        .count(&app.db)
        .await?;
    Ok((true, usize::try_from(lessons).unwrap_or(0)))
}
