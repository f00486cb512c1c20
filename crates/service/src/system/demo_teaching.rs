//! The demo's teaching classes: for each demo school's current term, the classes its
//! enabled course plan asks for, with rooms, teachers (赵敏 and 郑丽 of 示例第一小学
//! teach several), some students (周杰's child in two), the fifth and sixth grades'
//! Friday lessons ending late, a solved timetable and its dated lessons through the whole
//! term. The art centre's first teacher teaches at both primary schools, on different days.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use kehou_domain::Phone;
use kehou_store::entity::course::{plan, plan_line};
use kehou_store::entity::org;
use kehou_store::entity::school::{admin_class, guardian, room, student, term};
use kehou_store::entity::teaching::{class, class_teacher, slot};
use kehou_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::demo::{SCHOOL_1, SCHOOL_2};
use super::demo_courses::acting_for;
use crate::teaching::class::{ClassInput, SlotInput, StatusInput};
use crate::{App, Error, Result};

/// The room a course is taught in, by a word of its name.
const ROOMS: &[(&str, &str)] = &[
    ("篮球", "篮球场"),
    ("体艺", "篮球场"),
    ("合唱", "音乐室"),
    ("舞蹈", "多功能厅"),
    ("科学", "科学实验室"),
    ("国画", "美术室"),
    ("书法", "美术室"),
    ("绘本", "多功能厅"),
    ("数学", "多功能厅"),
];

/// Students put in each class.
const STUDENTS_PER_CLASS: usize = 8;

pub(super) async fn user_id(app: &App, phone: &str) -> Result<Option<i64>> {
    let phone = Phone::parse(phone).map_err(Error::Internal)?;
    Ok(
        crate::identity::account::find_by_phone(app, &app.db, &phone)
            .await?
            .map(|u| u.id),
    )
}

pub(super) async fn ensure_classes(app: &App, school: &org::Model) -> Result<usize> {
    let Some(current) = term::Entity::find()
        .filter(term::Column::SchoolId.eq(school.id))
        .order_by_desc(term::Column::StartDate)
        .one(&app.db)
        .await?
        .filter(|t| t.end_date >= app.today())
    else {
        return Ok(0);
    };
    let has = class::Entity::find()
        .filter(class::Column::SchoolId.eq(school.id))
        .one(&app.db)
        .await?
        .is_some();
    if has {
        return Ok(0);
    }
    let Some(p) = plan::Entity::find()
        .filter(plan::Column::SchoolId.eq(school.id))
        .filter(plan::Column::TermId.eq(current.id))
        .filter(plan::Column::Enabled.eq(true))
        .one(&app.db)
        .await?
    else {
        return Ok(0);
    };
    let admin = acting_for(school, "school_admin");
    let items = crate::teaching::class::courses(app, &admin, school.id, current.id).await?;
    let lines = plan_line::Entity::find()
        .filter(plan_line::Column::PlanId.eq(p.id))
        .order_by_asc(plan_line::Column::Id)
        .all(&app.db)
        .await?;
    let rooms = room::Entity::find()
        .filter(room::Column::SchoolId.eq(school.id))
        .all(&app.db)
        .await?;
    // 赵敏 and 郑丽 take turns with the interest courses of the first school.
    let mut own_teachers = Vec::new();
    if school.name == SCHOOL_1 {
        for phone in ["13800000006", "13800000010"] {
            if let Some(uid) = user_id(app, phone).await?
                && let Some(s) = kehou_store::entity::school::staff::Entity::find()
                    .filter(kehou_store::entity::school::staff::Column::SchoolId.eq(school.id))
                    .filter(kehou_store::entity::school::staff::Column::UserId.eq(uid))
                    .one(&app.db)
                    .await?
            {
                own_teachers.push(s.id);
            }
        }
    }
    // The art centre's teacher comes to 示例第二小学 only on days she has no lessons at the
    // first: the school records the other days as not available.
    let second_day = if school.name == SCHOOL_2 {
        let (teacher, busy) = busy_days_elsewhere(app, school).await?;
        if let Some(teacher) = teacher {
            let times: Vec<SlotInput> = busy
                .iter()
                .flat_map(|w| {
                    (1..=3).map(move |p| SlotInput {
                        weekday: Some(*w),
                        period_no: Some(p),
                    })
                })
                .collect();
            crate::teaching::settings::set_preferences(
                app,
                &admin,
                school.id,
                current.id,
                crate::teaching::settings::PreferenceInput {
                    target: Some("institution_teacher".into()),
                    target_id: Some(teacher),
                    kind: Some("forbidden".into()),
                    times: Some(times),
                },
            )
            .await?;
        }
        (1..=5).find(|d| !busy.contains(d)).unwrap_or(3)
    } else {
        0
    };
    let mut created = Vec::new();
    let mut turn = 0;
    for line in &lines {
        let Some(item) = items.iter().find(|i| i.id == line.item_id) else {
            continue;
        };
        let institution_teachers: Vec<i64> = item
            .teachers
            .iter()
            .filter_map(|t| t.institution_teacher_id)
            .collect();
        let care = item.care_time.is_some();
        let mut staff_ids: Vec<i64> = item.teachers.iter().filter_map(|t| t.staff_id).collect();
        if !care && institution_teachers.is_empty() && !own_teachers.is_empty() {
            staff_ids = vec![own_teachers[turn % own_teachers.len()]];
            turn += 1;
        }
        let room_id = ROOMS
            .iter()
            .find(|(word, _)| item.name.contains(word))
            .and_then(|(_, name)| rooms.iter().find(|r| r.name == *name))
            .filter(|r| r.capacity >= line.class_size)
            .map(|r| r.id);
        // At the second school the art centre's class is fixed on a day its teacher has no
        // lesson at the first.
        let fixed = if !institution_teachers.is_empty() && school.name == SCHOOL_2 {
            vec![SlotInput {
                weekday: Some(second_day),
                period_no: Some(1),
            }]
        } else {
            Vec::new()
        };
        let (lowest, highest) = (
            item.grades.iter().copied().min().unwrap_or(1),
            item.grades.iter().copied().max().unwrap_or(6),
        );
        for k in 1..=line.classes {
            let name = if line.classes > 1 {
                format!("{}{k}班", item.name)
            } else {
                format!("{}班", item.name)
            };
            let v = crate::teaching::class::create(
                app,
                &admin,
                school.id,
                current.id,
                ClassInput {
                    item_id: Some(item.id),
                    name: Some(name),
                    capacity_min: Some(line.class_size.min(5)),
                    capacity_max: Some(line.class_size),
                    grade_from: Some(lowest),
                    grade_to: Some(highest),
                    weekly_lessons: Some(line.weekly_lessons),
                    room_id,
                    staff_ids: Some(staff_ids.clone()),
                    institution_teacher_ids: Some(institution_teachers.clone()),
                    slots: Some(if k == 1 { fixed.clone() } else { Vec::new() }),
                    ..Default::default()
                },
            )
            .await?;
            created.push(v);
        }
    }
    put_students(app, school, &admin, current.id, &created).await?;
    if school.name == SCHOOL_1 {
        for grade in [5, 6] {
            crate::teaching::settings::set_day_end(
                app,
                &admin,
                school.id,
                current.id,
                crate::teaching::settings::DayEndInput {
                    grade: Some(grade),
                    weekdays: Some(vec![5]),
                    ends_at: Some("16:20".into()),
                },
            )
            .await?;
        }
    }
    let since: NaiveDateTime = current.start_date.and_hms_opt(0, 0, 0).unwrap_or_default();
    let (solved, _) =
        crate::teaching::schedule::system_solve(app, school.id, current.id, 10.0, Some(since))
            .await?;
    if solved {
        for v in &created {
            crate::teaching::class::set_status(
                app,
                &admin,
                school.id,
                current.id,
                v.id,
                StatusInput {
                    status: Some("open".into()),
                    early: None,
                },
            )
            .await?;
        }
    } else {
        tracing::warn!(school = %school.name, "demo timetable not solved");
    }
    Ok(created.len())
}

/// The art centre's first teacher dispatched here, and the weekdays she teaches at other
/// schools.
async fn busy_days_elsewhere(
    app: &App,
    school: &org::Model,
) -> Result<(Option<i64>, HashSet<i32>)> {
    let dispatched =
        crate::institution::dispatch::dispatched_to(&app.db, school.id, app.today(), app.today())
            .await?;
    let Some(teacher) = dispatched.first().map(|d| d.teacher_id) else {
        return Ok((None, HashSet::new()));
    };
    let classes: Vec<i64> = class_teacher::Entity::find()
        .filter(class_teacher::Column::InstitutionTeacherId.eq(teacher))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|t| t.class_id)
        .collect();
    let busy: HashSet<i32> = slot::Entity::find()
        .filter(slot::Column::ClassId.is_in(classes))
        .all(&app.db)
        .await?
        .into_iter()
        .filter_map(|s| s.weekday)
        .collect();
    Ok((Some(teacher), busy))
}

/// A few students of the right grades in each class; 周杰's child in the first two interest
/// classes open to the third grade.
async fn put_students(
    app: &App,
    school: &org::Model,
    admin: &crate::Actor,
    term_id: i64,
    classes: &[crate::teaching::class::ClassView],
) -> Result<()> {
    let grades: std::collections::HashMap<i64, i32> = admin_class::Entity::find()
        .filter(admin_class::Column::SchoolId.eq(school.id))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|c| (c.id, i32::from(c.grade)))
        .collect();
    let students: Vec<(i64, i32)> = student::Entity::find()
        .filter(student::Column::SchoolId.eq(school.id))
        .order_by_asc(student::Column::StudentNo)
        .all(&app.db)
        .await?
        .into_iter()
        .filter_map(|s| Some((s.id, *grades.get(&s.class_id?)?)))
        .collect();
    let child = match user_id(app, "13800000007").await? {
        Some(uid) => guardian::Entity::find()
            .filter(guardian::Column::UserId.eq(uid))
            .all(&app.db)
            .await?
            .into_iter()
            .map(|g| g.student_id)
            .find(|s| students.iter().any(|(id, _)| id == s)),
        None => None,
    };
    let mut with_child = 0;
    for (i, c) in classes.iter().enumerate() {
        let eligible: Vec<i64> = students
            .iter()
            .filter(|(_, g)| (c.grade_from..=c.grade_to).contains(g))
            .map(|(id, _)| *id)
            .collect();
        if eligible.is_empty() {
            continue;
        }
        let start = (i * 37) % eligible.len();
        let mut pick: Vec<i64> = eligible
            .iter()
            .cycle()
            .skip(start)
            .take(STUDENTS_PER_CLASS.min(eligible.len()))
            .copied()
            .collect();
        // The child takes two interest courses, not the care service.
        if let Some(child) = child
            && with_child < 2
            && !c.course.contains("托管")
            && eligible.contains(&child)
        {
            pick.retain(|s| *s != child);
            pick.push(child);
            with_child += 1;
        }
        pick.truncate(usize::try_from(c.capacity_max).unwrap_or(0));
        crate::teaching::class::add_students(
            app,
            admin,
            school.id,
            term_id,
            c.id,
            crate::teaching::class::StudentsInput {
                student_ids: Some(pick),
            },
        )
        .await?;
    }
    Ok(())
}
