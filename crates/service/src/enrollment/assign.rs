//! Class assignment (分班, G2) for courses chosen before their classes (enroll first), and
//! merging or splitting classes (G3). The school runs the class-assignment solver of
//! `kehou-schedule` for a course — capacity, no time conflicts, balanced sizes,
//! administrative classes kept together — which proposes a class for every student not yet
//! in one; it moves students by hand (checked), then publishes: the proposals become the
//! students' classes and the guardians get a message. Merging and splitting move a class's
//! students with the engine's checks (seats, the students' other lessons).

use std::collections::HashMap;

use kehou_domain::Permission;
use kehou_domain::enrollment::EnrollmentStatus;
use kehou_schedule::Slot;
use kehou_schedule::assign::{self, Problem, Student, TeachingClass};
use kehou_store::entity::enrollment::enrollment;
use kehou_store::entity::school::student;
use kehou_store::entity::teaching::class;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};

use super::{record, term_row};
use crate::platform::audit::By;
use crate::platform::messages;
use crate::{Actor, App, Error, Result};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AssignClass {
    pub id: i64,
    pub name: String,
    pub capacity: i32,
    /// Students in the class now.
    pub members: usize,
    /// Students proposed for it, not yet published.
    pub proposed: usize,
    pub times: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AssignStudent {
    pub enrollment_id: i64,
    pub student_id: i64,
    pub name: String,
    pub admin_class: String,
    pub proposed_class_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = AssignCourseChoice)]
pub struct CourseChoice {
    pub item_id: i64,
    pub name: String,
    /// Enrolled students without a class.
    pub waiting: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AssignView {
    pub school_id: i64,
    pub term_id: i64,
    pub item_id: Option<i64>,
    pub courses: Vec<CourseChoice>,
    pub classes: Vec<AssignClass>,
    /// Enrolled in the course, not yet in a class.
    pub students: Vec<AssignStudent>,
    /// Who the last run could not place, and why.
    pub unplaced: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = AssignRunInput)]
pub struct RunInput {
    #[schema(required = true)]
    pub item_id: Option<i64>,
    /// Keep students of one administrative class together where possible (default yes).
    pub keep_admin_classes_together: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = AssignMoveInput)]
pub struct MoveInput {
    #[schema(required = true)]
    pub enrollment_id: Option<i64>,
    /// The class proposed for the student; none takes the proposal back.
    pub teaching_class_id: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct MergeInput {
    #[schema(required = true)]
    pub from_class_id: Option<i64>,
    #[schema(required = true)]
    pub into_class_id: Option<i64>,
    /// Split: only these students of `from_class_id` move (none: all of them, a merge).
    pub student_ids: Option<Vec<i64>>,
}

struct Scope {
    school_id: i64,
    school_path: String,
    term_id: i64,
}

async fn scope(app: &App, actor: &Actor, school_id: i64, term_id: i64) -> Result<Scope> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::EnrollmentManage).await?;
    let t = term_row(&app.db, school.id, term_id).await?;
    if t.end_date < app.today() {
        return Err(Error::conflict("学期已结束，不能再分班"));
    }
    Ok(Scope {
        school_id: school.id,
        school_path: school.path,
        term_id: t.id,
    })
}

/// Enrollments of the course holding a seat but no class yet.
async fn waiting(
    db: &impl ConnectionTrait,
    s: &Scope,
    item_id: i64,
) -> Result<Vec<enrollment::Model>> {
    Ok(enrollment::Entity::find()
        .filter(enrollment::Column::SchoolId.eq(s.school_id))
        .filter(enrollment::Column::TermId.eq(s.term_id))
        .filter(enrollment::Column::ItemId.eq(item_id))
        .filter(enrollment::Column::ClassId.is_null())
        .filter(enrollment::Column::Status.is_in(EnrollmentStatus::ACTIVE.map(|x| x.code())))
        .order_by_asc(enrollment::Column::Id)
        .all(db)
        .await?)
}

async fn classes_of_item(
    db: &impl ConnectionTrait,
    s: &Scope,
    item_id: i64,
) -> Result<Vec<class::Model>> {
    Ok(class::Entity::find()
        .filter(class::Column::SchoolId.eq(s.school_id))
        .filter(class::Column::TermId.eq(s.term_id))
        .filter(class::Column::ItemId.eq(item_id))
        .order_by_asc(class::Column::Name)
        .all(db)
        .await?)
}

fn slot_of(weekday: Option<i32>, period: Option<i32>) -> Option<Slot> {
    Some(Slot {
        day: u16::try_from(weekday? - 1).ok()?,
        hour: u16::try_from(period? - 1).ok()?,
    })
}

/// The weekly times each student is busy at, outside the course's own classes.
async fn busy(
    app: &App,
    db: &impl ConnectionTrait,
    s: &Scope,
    students: &[i64],
    except: &[i64],
) -> Result<HashMap<i64, Vec<Slot>>> {
    // Everything in a few queries, whatever the number of students: their classes, the
    // classes their unpaid orders hold, and those classes' weekly times.
    let mut held = crate::teaching::class::classes_of_students(db, students, s.term_id).await?;
    let pending = enrollment::Entity::find()
        .filter(enrollment::Column::StudentId.is_in(students.iter().copied()))
        .filter(enrollment::Column::TermId.eq(s.term_id))
        .filter(enrollment::Column::Status.eq(EnrollmentStatus::PendingPayment.code()))
        .all(db)
        .await?;
    let pending_classes: HashMap<i64, class::Model> =
        crate::teaching::class::by_ids(db, pending.iter().filter_map(|e| e.class_id).collect())
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
    for e in &pending {
        if let Some(c) = e.class_id.and_then(|c| pending_classes.get(&c)) {
            held.entry(e.student_id).or_default().push(c.clone());
        }
    }
    let mut every: Vec<class::Model> = held.values().flatten().cloned().collect();
    every.sort_by_key(|c| c.id);
    every.dedup_by_key(|c| c.id);
    let briefs = crate::teaching::class::briefs(db, s.school_id, &every).await?;
    let mut out: HashMap<i64, Vec<Slot>> = HashMap::new();
    for id in students {
        let slots = held
            .get(id)
            .into_iter()
            .flatten()
            .filter(|c| !except.contains(&c.id))
            .filter_map(|c| briefs.get(&c.id))
            .flat_map(|b| {
                b.slots
                    .iter()
                    .filter_map(|x| slot_of(x.weekday, x.period_no))
            })
            .collect();
        out.insert(*id, slots);
    }
    let _ = app;
    Ok(out)
}

async fn view(
    app: &App,
    s: &Scope,
    item_id: Option<i64>,
    unplaced: Vec<String>,
) -> Result<AssignView> {
    let db = &app.db;
    let items = crate::course::offering::items_for_term(db, s.school_id, s.term_id).await?;
    // Who waits for a class, and which courses have classes, for all courses at once.
    let mut waiting_by_item: HashMap<i64, usize> = HashMap::new();
    for e in enrollment::Entity::find()
        .filter(enrollment::Column::SchoolId.eq(s.school_id))
        .filter(enrollment::Column::TermId.eq(s.term_id))
        .filter(enrollment::Column::ClassId.is_null())
        .filter(enrollment::Column::Status.is_in(EnrollmentStatus::ACTIVE.map(|x| x.code())))
        .all(db)
        .await?
    {
        *waiting_by_item.entry(e.item_id).or_default() += 1;
    }
    let with_classes: std::collections::HashSet<i64> = class::Entity::find()
        .filter(class::Column::SchoolId.eq(s.school_id))
        .filter(class::Column::TermId.eq(s.term_id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.item_id)
        .collect();
    let mut courses = Vec::new();
    for i in &items {
        let n = waiting_by_item.get(&i.id).copied().unwrap_or(0);
        let has_classes = with_classes.contains(&i.id);
        if n > 0 || (has_classes && Some(i.id) == item_id) {
            courses.push(CourseChoice {
                item_id: i.id,
                name: i.name.clone(),
                waiting: n,
            });
        }
    }
    let Some(item_id) = item_id else {
        return Ok(AssignView {
            school_id: s.school_id,
            term_id: s.term_id,
            item_id: None,
            courses,
            classes: Vec::new(),
            students: Vec::new(),
            unplaced,
        });
    };
    let rows = classes_of_item(db, s, item_id).await?;
    let counts =
        crate::teaching::class::member_counts(db, rows.iter().map(|c| c.id).collect()).await?;
    let briefs = crate::teaching::class::briefs(db, s.school_id, &rows).await?;
    let proposals = super::select::proposals(db, s.term_id, item_id).await?;
    let list = waiting(db, s, item_id).await?;
    let students = student::Entity::find()
        .filter(student::Column::Id.is_in(list.iter().map(|e| e.student_id)))
        .all(db)
        .await?;
    let admin = crate::school::student::class_names(db, s.school_id).await?;
    Ok(AssignView {
        school_id: s.school_id,
        term_id: s.term_id,
        item_id: Some(item_id),
        courses,
        classes: rows
            .iter()
            .map(|c| AssignClass {
                id: c.id,
                name: c.name.clone(),
                capacity: c.capacity_max,
                members: counts.get(&c.id).copied().unwrap_or(0) as usize,
                proposed: proposals.values().filter(|p| **p == c.id).count(),
                times: briefs
                    .get(&c.id)
                    .map(|b| b.times.clone())
                    .unwrap_or_default(),
            })
            .collect(),
        students: list
            .iter()
            .map(|e| {
                let st = students.iter().find(|x| x.id == e.student_id);
                AssignStudent {
                    enrollment_id: e.id,
                    student_id: e.student_id,
                    name: st.map(|x| x.name.clone()).unwrap_or_default(),
                    admin_class: st
                        .and_then(|x| x.class_id)
                        .and_then(|c| admin.get(&c).cloned())
                        .unwrap_or_default(),
                    proposed_class_id: proposals.get(&e.id).copied(),
                }
            })
            .collect(),
        unplaced,
    })
}

pub async fn get(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    item_id: Option<i64>,
) -> Result<AssignView> {
    let s = scope(app, actor, school_id, term_id).await?;
    view(app, &s, item_id, Vec::new()).await
}

/// Runs the solver for the course's students without a class: every one gets a proposed
/// class, or a reason.
pub async fn run(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    input: RunInput,
) -> Result<AssignView> {
    let s = scope(app, actor, school_id, term_id).await?;
    let item_id = input
        .item_id
        .ok_or_else(|| Error::invalid("item_id", "请选择课程"))?;
    let db = &app.db;
    let rows = classes_of_item(db, &s, item_id).await?;
    if rows.is_empty() {
        return Err(Error::conflict_on(
            "item_id",
            "这门课程还没有教学班，请先在“教学班排课”中建班",
        ));
    }
    let list = waiting(db, &s, item_id).await?;
    let ids: Vec<i64> = list.iter().map(|e| e.student_id).collect();
    let class_ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
    let busy = busy(app, db, &s, &ids, &class_ids).await?;
    let counts = crate::teaching::class::member_counts(db, class_ids.clone()).await?;
    let pending = super::select::taken_in_classes(db, class_ids).await?;
    let briefs = crate::teaching::class::briefs(db, s.school_id, &rows).await?;
    let students = student::Entity::find()
        .filter(student::Column::Id.is_in(ids.clone()))
        .all(db)
        .await?;
    let problem = Problem {
        students: list
            .iter()
            .map(|e| {
                let st = students.iter().find(|x| x.id == e.student_id);
                Student {
                    name: st.map(|x| x.name.clone()).unwrap_or_default(),
                    admin_class: st.and_then(|x| x.class_id).map(|c| c.to_string()),
                    busy: busy.get(&e.student_id).cloned().unwrap_or_default(),
                }
            })
            .collect(),
        classes: rows
            .iter()
            .map(|c| {
                let used = pending
                    .get(&c.id)
                    .copied()
                    .unwrap_or(0)
                    .max(counts.get(&c.id).copied().unwrap_or(0));
                TeachingClass {
                    name: c.name.clone(),
                    capacity: usize::try_from(i64::from(c.capacity_max) - used).unwrap_or(0),
                    times: briefs
                        .get(&c.id)
                        .map(|b| {
                            b.slots
                                .iter()
                                .filter_map(|x| slot_of(x.weekday, x.period_no))
                                .collect()
                        })
                        .unwrap_or_default(),
                    teacher: None,
                }
            })
            .collect(),
        keep_admin_classes_together: input.keep_admin_classes_together.unwrap_or(true),
    };
    let result = assign::assign(&problem);
    let txn = kehou_store::begin_write(db).await?;
    for (i, e) in list.iter().enumerate() {
        let to = result
            .class_of
            .get(i)
            .copied()
            .flatten()
            .map(|k| rows[k].id);
        super::select::propose(&txn, e.id, to).await?;
    }
    record(
        &txn,
        app,
        &By::actor(actor),
        (s.school_id, &s.school_path),
        "enrollment.assign_run",
        ("term", s.term_id),
        format!(
            "自动分班：{} 名学生，{} 人未能分班",
            list.len(),
            result.unplaced.len()
        ),
    )
    .await?;
    txn.commit().await?;
    let unplaced = result
        .unplaced
        .iter()
        .map(|(i, why)| format!("{}：{why}", problem.students[*i].name))
        .collect();
    view(app, &s, Some(item_id), unplaced).await
}

/// Proposes another class for one student by hand, checked: the course's class, seats
/// (students, unpaid holds and proposals), and the student's other lessons.
pub async fn move_one(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    input: MoveInput,
) -> Result<AssignView> {
    let s = scope(app, actor, school_id, term_id).await?;
    let id = input
        .enrollment_id
        .ok_or_else(|| Error::invalid("enrollment_id", "请选择学生"))?;
    let db = &app.db;
    let e = enrollment::Entity::find_by_id(id)
        .filter(enrollment::Column::SchoolId.eq(s.school_id))
        .filter(enrollment::Column::TermId.eq(s.term_id))
        .one(db)
        .await?
        .ok_or(Error::NotFound("报名"))?;
    if e.class_id.is_some()
        || !EnrollmentStatus::parse(&e.status).is_some_and(EnrollmentStatus::is_active)
    {
        return Err(Error::conflict("这名学生已在教学班中或报名已结束"));
    }
    if let Some(to) = input.teaching_class_id {
        let rows = classes_of_item(db, &s, e.item_id).await?;
        let Some(k) = rows.iter().find(|c| c.id == to) else {
            return Err(Error::invalid("teaching_class_id", "不是这门课程的教学班"));
        };
        let proposals = super::select::proposals(db, s.term_id, e.item_id).await?;
        let taken = super::select::taken_in_classes(db, vec![k.id])
            .await?
            .get(&k.id)
            .copied()
            .unwrap_or(0);
        let proposed = proposals
            .iter()
            .filter(|(eid, c)| **c == k.id && **eid != e.id)
            .count() as i64;
        if taken + proposed >= i64::from(k.capacity_max) {
            return Err(Error::conflict_on(
                "teaching_class_id",
                format!("“{}”{}个名额已满", k.name, k.capacity_max),
            ));
        }
        let busy = busy(
            app,
            db,
            &s,
            &[e.student_id],
            &rows.iter().map(|c| c.id).collect::<Vec<_>>(),
        )
        .await?;
        let briefs =
            crate::teaching::class::briefs(db, s.school_id, std::slice::from_ref(k)).await?;
        let times: Vec<Slot> = briefs
            .get(&k.id)
            .map(|b| {
                b.slots
                    .iter()
                    .filter_map(|x| slot_of(x.weekday, x.period_no))
                    .collect()
            })
            .unwrap_or_default();
        if times
            .iter()
            .any(|t| busy.get(&e.student_id).is_some_and(|b| b.contains(t)))
        {
            return Err(Error::conflict_on(
                "teaching_class_id",
                format!("学生在“{}”的上课时间另有课程", k.name),
            ));
        }
    }
    let txn = kehou_store::begin_write(db).await?;
    super::select::propose(&txn, e.id, input.teaching_class_id).await?;
    txn.commit().await?;
    view(app, &s, Some(e.item_id), Vec::new()).await
}

/// Publishes the course's proposals: each becomes the student's class (a confirmed one
/// enters the class at once), and the guardians are told.
pub async fn publish(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    item_id: Option<i64>,
) -> Result<AssignView> {
    let s = scope(app, actor, school_id, term_id).await?;
    let item_id = item_id.ok_or_else(|| Error::invalid("item_id", "请选择课程"))?;
    let db = &app.db;
    let rows = classes_of_item(db, &s, item_id).await?;
    let txn = kehou_store::begin_write(db).await?;
    let list = waiting(&txn, &s, item_id).await?;
    let proposals = super::select::proposals(&txn, s.term_id, item_id).await?;
    let now = app.now();
    let mut told = Vec::new();
    let mut done = 0;
    for e in list {
        let Some(k) = proposals
            .get(&e.id)
            .and_then(|c| rows.iter().find(|r| r.id == *c))
        else {
            continue;
        };
        let confirmed = e.status == EnrollmentStatus::Confirmed.code();
        let (student_id, eid) = (e.student_id, e.id);
        let mut m = e.into_active_model();
        m.class_id = Set(Some(k.id));
        m.updated_at = Set(now);
        m.update(&txn).await?;
        super::select::propose(&txn, eid, None).await?;
        if confirmed {
            crate::teaching::class::enter(&txn, k.id, student_id, now).await?;
        }
        told.extend(
            super::tell_guardians(
                &txn,
                student_id,
                format!("分班结果：{}", k.name),
                format!("孩子已分入“{}”，请在课表中查看上课时间。", k.name),
                now,
            )
            .await?,
        );
        done += 1;
    }
    if done == 0 {
        return Err(Error::conflict("没有待发布的分班结果，请先自动分班"));
    }
    record(
        &txn,
        app,
        &By::actor(actor),
        (s.school_id, &s.school_path),
        "enrollment.assign_publish",
        ("term", s.term_id),
        format!("发布分班结果：{done} 名学生"),
    )
    .await?;
    txn.commit().await?;
    for u in told {
        messages::announce(app, u);
    }
    view(app, &s, Some(item_id), Vec::new()).await
}

/// Merges class `from` into `into` (all its students) or, with `student_ids`, splits those
/// students off into `into`; both classes teach the same course. Refused with the engine's
/// reasons when seats or the students' other lessons do not allow it.
pub async fn merge(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    input: MergeInput,
) -> Result<AssignView> {
    let s = scope(app, actor, school_id, term_id).await?;
    let (Some(from_id), Some(into_id)) = (input.from_class_id, input.into_class_id) else {
        return Err(Error::invalid("from_class_id", "请选择两个教学班"));
    };
    if from_id == into_id {
        return Err(Error::invalid("into_class_id", "请选择另一个教学班"));
    }
    let db = &app.db;
    let found = crate::teaching::class::by_ids(db, vec![from_id, into_id]).await?;
    let (Some(from), Some(into)) = (
        found
            .iter()
            .find(|c| c.id == from_id && c.school_id == s.school_id && c.term_id == s.term_id),
        found
            .iter()
            .find(|c| c.id == into_id && c.school_id == s.school_id && c.term_id == s.term_id),
    ) else {
        return Err(Error::NotFound("教学班"));
    };
    if from.item_id != into.item_id {
        return Err(Error::invalid(
            "into_class_id",
            "只能在同一门课程的教学班之间合并或拆分",
        ));
    }
    let members = crate::teaching::class::member_ids(db, s.school_id, s.term_id, from.id).await?;
    let moving: Vec<i64> = match &input.student_ids {
        Some(ids) if !ids.is_empty() => {
            if let Some(bad) = ids.iter().find(|i| !members.contains(i)) {
                return Err(Error::invalid(
                    "student_ids",
                    format!("学生 {bad} 不在“{}”中", from.name),
                ));
            }
            ids.clone()
        }
        _ => members.clone(),
    };
    if moving.is_empty() {
        return Err(Error::conflict(format!("“{}”没有学生", from.name)));
    }
    let pair = [from.clone(), into.clone()];
    let briefs = crate::teaching::class::briefs(db, s.school_id, &pair).await?;
    let times = |c: &class::Model| -> Vec<Slot> {
        briefs
            .get(&c.id)
            .map(|b| {
                b.slots
                    .iter()
                    .filter_map(|x| slot_of(x.weekday, x.period_no))
                    .collect()
            })
            .unwrap_or_default()
    };
    let busy = busy(app, db, &s, &members, &[from.id, into.id]).await?;
    let names: HashMap<i64, String> = student::Entity::find()
        .filter(student::Column::Id.is_in(members.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|x| (x.id, x.name))
        .collect();
    let taken = super::select::taken_in_classes(db, vec![from.id, into.id]).await?;
    let problem = Problem {
        students: members
            .iter()
            .map(|m| Student {
                name: names.get(m).cloned().unwrap_or_default(),
                admin_class: None,
                busy: busy.get(m).cloned().unwrap_or_default(),
            })
            .collect(),
        classes: pair
            .iter()
            .map(|c| TeachingClass {
                name: c.name.clone(),
                capacity: usize::try_from(c.capacity_max).unwrap_or(0),
                times: times(c),
                teacher: None,
            })
            .collect(),
        keep_admin_classes_together: false,
    };
    let a = assign::Assignment {
        class_of: vec![Some(0); members.len()],
        unplaced: Vec::new(),
        sizes: vec![
            members.len(),
            usize::try_from(taken.get(&into.id).copied().unwrap_or(0)).unwrap_or(0),
        ],
    };
    let problems = if input.student_ids.as_ref().is_some_and(|v| !v.is_empty()) {
        let idx: Vec<usize> = moving
            .iter()
            .filter_map(|m| members.iter().position(|x| x == m))
            .collect();
        let mut target = problem.classes[1].clone();
        target.capacity = target.capacity.saturating_sub(a.sizes[1]);
        assign::split_problems(&problem, &a, 0, &idx, &target, &[])
    } else {
        assign::merge_problems(&problem, &a, 0, 1)
    };
    if !problems.is_empty() {
        return Err(Error::conflict(problems.join("；")));
    }
    let txn = kehou_store::begin_write(db).await?;
    let now = app.now();
    for m in &moving {
        crate::teaching::class::leave(&txn, from.id, *m).await?;
        crate::teaching::class::enter(&txn, into.id, *m, now).await?;
        for e in enrollment::Entity::find()
            .filter(enrollment::Column::StudentId.eq(*m))
            .filter(enrollment::Column::ClassId.eq(from.id))
            .all(&txn)
            .await?
        {
            let mut am = e.into_active_model();
            am.class_id = Set(Some(into.id));
            am.updated_at = Set(now);
            am.update(&txn).await?;
        }
    }
    record(
        &txn,
        app,
        &By::actor(actor),
        (s.school_id, &s.school_path),
        if input.student_ids.as_ref().is_some_and(|v| !v.is_empty()) {
            "enrollment.split"
        } else {
            "enrollment.merge"
        },
        ("teaching_class", into.id),
        format!(
            "“{}”的 {} 名学生转入“{}”",
            from.name,
            moving.len(),
            into.name
        ),
    )
    .await?;
    txn.commit().await?;
    view(app, &s, Some(from.item_id), Vec::new()).await
}
