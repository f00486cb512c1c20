//! `kehou bench term`: a generated large school's term — 60 administrative classes, 150
//! teaching classes, 80 teachers of whom 20 also teach at a second school (at fixed times
//! there), 40 rooms, 5 days × 3 periods — built from the database, solved, stored with its
//! dated lessons; then the school's week timetable read many times.

use std::time::Instant;

use kehou_domain::Password;
use kehou_domain::teaching::ClassStatus;
use kehou_store::entity::identity::user;
use kehou_store::entity::school::{admin_class, room, staff, student, term};
use kehou_store::entity::teaching::{class, class_student, class_teacher, slot};
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::demo::benchmark_school;
use super::demo_courses::acting_for;
use crate::{App, Error, Result};

/// What was measured, in seconds.
#[derive(Debug, Clone)]
pub struct TermReport {
    pub teaching_classes: usize,
    pub weekly_lessons: usize,
    pub students: usize,
    pub build: f64,
    pub solve: f64,
    pub store: f64,
    pub total: f64,
    pub feasible: bool,
    pub lessons: usize,
    pub week_entries: usize,
    pub week_p50_ms: f64,
    pub week_p95_ms: f64,
}

const TEACHERS: usize = 80;
const SHARED: usize = 20;
const CLASSES: usize = 150;
const ROOMS: usize = 40;

async fn users(app: &App, count: usize, tag: u32) -> Result<Vec<i64>> {
    let hash = crate::identity::auth::hash_password(
        &Password::parse("Bench@2026x").map_err(Error::Internal)?,
    )?;
    let now = app.now();
    let mut ids = Vec::new();
    for i in 0..count {
        let phone = format!("139{tag:04}{i:04}");
        let u = user::ActiveModel {
            phone_index: Set(app.vault.blind_index(&phone)),
            phone_enc: Set(Some(app.vault.encrypt(&phone)?)),
            name: Set(format!("教师{:03}", i + 1)),
            password_hash: Set(hash.clone()),
            frozen: Set(false),
            must_change_password: Set(false),
            failed_logins: Set(0),
            locked_until: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&app.db)
        .await?;
        ids.push(u.id);
    }
    Ok(ids)
}

async fn staff_rows(app: &App, school: i64, users: &[i64]) -> Result<Vec<i64>> {
    let now = app.now();
    let mut ids = Vec::new();
    for u in users {
        let s = staff::ActiveModel {
            school_id: Set(school),
            user_id: Set(*u),
            gender: Set("female".into()),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&app.db)
        .await?;
        ids.push(s.id);
    }
    Ok(ids)
}

async fn current_term(app: &App, school: i64) -> Result<term::Model> {
    term::Entity::find()
        .filter(term::Column::SchoolId.eq(school))
        .order_by_desc(term::Column::StartDate)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("学期"))
}

async fn new_class(
    app: &App,
    t: &term::Model,
    name: String,
    grade: i32,
    weekly: i32,
    room_id: Option<i64>,
    teacher: i64,
) -> Result<class::Model> {
    let now = app.now();
    let c = class::ActiveModel {
        school_id: Set(t.school_id),
        term_id: Set(t.id),
        item_id: Set(0),
        course_id: Set(0),
        name: Set(name),
        status: Set(ClassStatus::Planned.code().into()),
        capacity_min: Set(5),
        capacity_max: Set(35),
        grade_from: Set(grade),
        grade_to: Set(grade),
        starts_on: Set(t.start_date),
        ends_on: Set(t.end_date),
        weekly_lessons: Set(weekly),
        room_id: Set(room_id),
        post_teacher_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await?;
    class_teacher::ActiveModel {
        class_id: Set(c.id),
        staff_id: Set(Some(teacher)),
        institution_teacher_id: Set(None),
        name: Set(String::new()),
        ..Default::default()
    }
    .insert(&app.db)
    .await?;
    Ok(c)
}

async fn new_slot(app: &App, c: &class::Model, at: Option<(i32, i32)>) -> Result<()> {
    slot::ActiveModel {
        class_id: Set(c.id),
        school_id: Set(c.school_id),
        term_id: Set(c.term_id),
        weekday: Set(at.map(|a| a.0)),
        period_no: Set(at.map(|a| a.1)),
        room_id: Set(c.room_id),
        locked: Set(at.is_some()),
        updated_at: Set(app.now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await?;
    Ok(())
}

/// Builds the schools, then measures.
pub async fn run(app: &App) -> Result<TermReport> {
    let tag = std::process::id() % 10_000;
    let a = benchmark_school(app, &format!("排课基准学校{tag}"), 10).await?;
    let b = benchmark_school(app, &format!("排课基准二校{tag}"), 2).await?;
    let (ta, tb) = (current_term(app, a).await?, current_term(app, b).await?);
    // 40 rooms at the large school.
    let now = app.now();
    let have = room::Entity::find()
        .filter(room::Column::SchoolId.eq(a))
        .all(&app.db)
        .await?
        .len();
    for i in have..ROOMS {
        room::ActiveModel {
            school_id: Set(a),
            name: Set(format!("功能室{:02}", i + 1)),
            building: Set(None),
            purpose: Set(None),
            capacity: Set(50),
            available: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&app.db)
        .await?;
    }
    let rooms: Vec<i64> = room::Entity::find()
        .filter(room::Column::SchoolId.eq(a))
        .filter(room::Column::Capacity.gte(35))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let people = users(app, TEACHERS, tag).await?;
    let staff_a = staff_rows(app, a, &people).await?;
    let staff_b = staff_rows(app, b, &people[..SHARED]).await?;
    // The 20 shared teachers' lessons at the second school, fixed: one each.
    for (i, s) in staff_b.iter().enumerate() {
        let c = new_class(
            app,
            &tb,
            format!("二校兴趣班{}", i + 1),
            1 + (i % 6) as i32,
            1,
            None,
            *s,
        )
        .await?;
        let at = (1 + (i % 5) as i32, 1 + ((i / 5) % 3) as i32);
        new_slot(app, &c, Some(at)).await?;
    }
    // Students: 40 in each of the 60 administrative classes.
    let admin: Vec<admin_class::Model> = admin_class::Entity::find()
        .filter(admin_class::Column::SchoolId.eq(a))
        .all(&app.db)
        .await?;
    let mut rows = Vec::new();
    for c in &admin {
        for n in 0..40 {
            rows.push(student::ActiveModel {
                school_id: Set(a),
                student_no: Set(format!("BT{tag}{:03}{n:02}", c.id)),
                name: Set(format!("学生{}-{n}", c.id)),
                gender: Set("male".into()),
                id_no_enc: Set(None),
                id_no_index: Set(None),
                birth_date: Set(None),
                class_id: Set(Some(c.id)),
                status: Set("enrolled".into()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            });
        }
    }
    let students_total = rows.len();
    for chunk in rows.chunks(400) {
        student::Entity::insert_many(chunk.to_vec())
            .exec(&app.db)
            .await?;
    }
    let by_grade: Vec<Vec<i64>> = {
        let grades: std::collections::HashMap<i64, i32> =
            admin.iter().map(|c| (c.id, i32::from(c.grade))).collect();
        let all = student::Entity::find()
            .filter(student::Column::SchoolId.eq(a))
            .order_by_asc(student::Column::Id)
            .all(&app.db)
            .await?;
        (1..=6)
            .map(|g| {
                all.iter()
                    .filter(|s| s.class_id.and_then(|c| grades.get(&c)) == Some(&g))
                    .map(|s| s.id)
                    .collect()
            })
            .collect()
    };
    // 150 classes, 25 a grade, one or two lessons a week; every student in two of them.
    let mut weekly_total = 0;
    let mut classes_of_grade: Vec<Vec<i64>> = vec![Vec::new(); 6];
    for i in 0..CLASSES {
        let grade = (i % 6) as i32 + 1;
        let weekly = if i % 3 == 0 { 2 } else { 1 };
        weekly_total += weekly as usize;
        let room = (i % 5 < 2).then(|| rooms[i % rooms.len()]);
        let c = new_class(
            app,
            &ta,
            format!("课程{:03}班", i + 1),
            grade,
            weekly,
            room,
            staff_a[i % TEACHERS],
        )
        .await?;
        for _ in 0..weekly {
            new_slot(app, &c, None).await?;
        }
        classes_of_grade[(grade - 1) as usize].push(c.id);
    }
    let mut members = Vec::new();
    for (g, students) in by_grade.iter().enumerate() {
        let cs = &classes_of_grade[g];
        for (k, s) in students.iter().enumerate() {
            for pick in [k % cs.len(), (k * 7 + 3) % cs.len()] {
                members.push((cs[pick], *s));
            }
        }
    }
    members.sort_unstable();
    members.dedup();
    let mut count: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
    let rows: Vec<class_student::ActiveModel> = members
        .into_iter()
        .filter(|(c, _)| {
            let n = count.entry(*c).or_default();
            *n += 1;
            *n <= 35
        })
        .map(|(c, s)| class_student::ActiveModel {
            class_id: Set(c),
            student_id: Set(s),
            created_at: Set(now),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(400) {
        class_student::Entity::insert_many(chunk.to_vec())
            .exec(&app.db)
            .await?;
    }

    // Measured: build the instance from the database, solve, store with the dated lessons.
    let started = Instant::now();
    let t = crate::teaching::system_term(&app.db, a, ta.id).await?;
    let built = crate::teaching::schedule::instance(&app.db, &t).await?;
    let build = started.elapsed().as_secs_f64();
    let solving = Instant::now();
    let solved = crate::teaching::schedule::solve_built(&t, built, 30.0, 1, None).await?;
    let solve = solving.elapsed().as_secs_f64();
    let storing = Instant::now();
    let lessons = if solved.feasible {
        let txn = kehou_store::begin_write(&app.db).await?;
        // The whole term's lessons, as when the timetable is made before the term begins.
        let since = ta.start_date.and_hms_opt(0, 0, 0).unwrap_or_default();
        crate::teaching::schedule::apply(app, &txn, &t, &solved.placements, since).await?;
        txn.commit().await?;
        kehou_store::entity::teaching::lesson::Entity::find()
            .filter(kehou_store::entity::teaching::lesson::Column::SchoolId.eq(a))
            .all(&app.db)
            .await?
            .len()
    } else {
        0
    };
    let store = storing.elapsed().as_secs_f64();
    let total = started.elapsed().as_secs_f64();

    // The whole school's week, as the timetable page reads it.
    let school = crate::system::load_any_school(&app.db, a).await?;
    let actor = acting_for(&school, "school_admin");
    // The second week of the term: a full week of lessons.
    let monday = ta.start_date + chrono::Duration::days(7)
        - chrono::Duration::days(i64::from(
            chrono::Datelike::weekday(&ta.start_date).num_days_from_monday(),
        ));
    let query = crate::teaching::timetable::TimetableQuery {
        school_id: Some(a),
        from: Some(monday.to_string()),
        to: Some((monday + chrono::Duration::days(6)).to_string()),
        ..Default::default()
    };
    let mut times = Vec::new();
    let mut week_entries = 0;
    for _ in 0..100 {
        let started = Instant::now();
        let v = crate::teaching::timetable::query(app, &actor, &query).await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        week_entries = v.entries.len();
    }
    times.sort_by(f64::total_cmp);
    Ok(TermReport {
        teaching_classes: CLASSES,
        weekly_lessons: weekly_total,
        students: students_total,
        build,
        solve,
        store,
        total,
        feasible: solved.feasible,
        lessons,
        week_entries,
        week_p50_ms: times[times.len() / 2],
        week_p95_ms: times[times.len() * 95 / 100],
    })
}
