//! The data of `kehou bench attendance`: the rush's school sized to 3 000 students, each
//! with one parent who may sign in; 150 teaching classes of 40 (each student in two), each
//! with its own teacher (an account that may sign in) and one lesson at 16:00 on the same
//! day; the school's fence drawn around the school.

use chrono::{NaiveDate, NaiveTime};
use kehou_store::entity::identity::{membership, role, user};
use kehou_store::entity::school::staff;
use kehou_store::entity::teaching::{class_student, lesson, lesson_teacher};
use kehou_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};

use super::bench_rush::{self, RushSpec};
use crate::{App, Error, Result};

pub struct AttendanceBenchData {
    pub school_id: i64,
    /// (parent's phone, child's student id).
    pub parents: Vec<(String, i64)>,
    /// (teacher's phone, lesson id, the class's student ids).
    pub lessons: Vec<(String, i64, Vec<i64>)>,
    /// The lessons' day and start (China time).
    pub date: NaiveDate,
    pub start: NaiveTime,
}

/// Sets up the school; its lessons are on `date` at 16:00.
pub async fn setup(
    app: &App,
    students: usize,
    classes: usize,
    date: NaiveDate,
) -> Result<AttendanceBenchData> {
    let per_class = 40usize;
    let spec = RushSpec {
        students,
        courses: classes.div_ceil(5),
        classes_per_course: 5,
        seats: i32::try_from(per_class).unwrap_or(40),
    };
    let data = bench_rush::setup(app, &spec).await?;
    let now = app.now();
    let start = NaiveTime::from_hms_opt(16, 0, 0).ok_or(Error::Internal("time".into()))?;
    let end = NaiveTime::from_hms_opt(17, 0, 0).ok_or(Error::Internal("time".into()))?;
    let teacher_role = role::Entity::find()
        .filter(role::Column::Code.eq("teacher"))
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("教师角色"))?;
    let hash = user::Entity::find()
        .filter(user::Column::PhoneIndex.eq(app.vault.blind_index(&data.parents[0].0)))
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("家长"))?
        .password_hash;
    let tag = std::process::id() % 10_000;
    let classes: Vec<i64> = data.classes.iter().copied().take(classes).collect();
    let txn = kehou_store::begin_write(&app.db).await?;
    let mut lessons = Vec::with_capacity(classes.len());
    for (k, class_id) in classes.iter().enumerate() {
        let phone = format!("18{tag:04}{k:05}");
        let u = user::Entity::insert(user::ActiveModel {
            phone_index: Set(app.vault.blind_index(&phone)),
            phone_enc: Set(Some(app.vault.encrypt(&phone)?)),
            name: Set(format!("教师{k}")),
            password_hash: Set(hash.clone()),
            frozen: Set(false),
            must_change_password: Set(false),
            failed_logins: Set(0),
            locked_until: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(&txn)
        .await?
        .last_insert_id;
        membership::Entity::insert(membership::ActiveModel {
            user_id: Set(u),
            org_id: Set(data.school_id),
            role_id: Set(teacher_role.id),
            created_at: Set(now),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        let s = staff::Entity::insert(staff::ActiveModel {
            school_id: Set(data.school_id),
            user_id: Set(u),
            gender: Set("female".into()),
            subjects: Set(None),
            title: Set(None),
            certificate_no: Set(None),
            department_id: Set(None),
            posts: Set(None),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(&txn)
        .await?
        .last_insert_id;
        let l = lesson::Entity::insert(lesson::ActiveModel {
            school_id: Set(data.school_id),
            term_id: Set(data.term_id),
            class_id: Set(*class_id),
            date: Set(date),
            period_no: Set(99),
            starts_at: Set(start),
            ends_at: Set(end),
            room_id: Set(None),
            seq_no: Set(1),
            chapter_name: Set(String::new()),
            status: Set("scheduled".into()),
            change_note: Set(String::new()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(&txn)
        .await?
        .last_insert_id;
        lesson_teacher::Entity::insert(lesson_teacher::ActiveModel {
            lesson_id: Set(l),
            staff_id: Set(Some(s)),
            institution_teacher_id: Set(None),
            name: Set(format!("教师{k}")),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        // Forty students a class, each student in two classes.
        let members: Vec<i64> = (0..per_class)
            .map(|j| data.parents[(k * per_class + j) % data.parents.len()].1)
            .collect();
        class_student::Entity::insert_many(members.iter().map(|s| class_student::ActiveModel {
            class_id: Set(*class_id),
            student_id: Set(*s),
            created_at: Set(now),
            ..Default::default()
        }))
        .exec(&txn)
        .await?;
        lessons.push((phone, l, members));
    }
    txn.commit().await?;
    let admin = super::demo_courses::acting_for(
        &super::load_any_school(&app.db, data.school_id).await?,
        "school_admin",
    );
    crate::attendance::fence::save(
        app,
        &admin,
        data.school_id,
        crate::attendance::fence::FenceInput {
            datum: "gcj02".into(),
            kind: "circle".into(),
            center_lat: Some(super::demo_attendance::SCHOOL_1_CENTER.0),
            center_lng: Some(super::demo_attendance::SCHOOL_1_CENTER.1),
            radius_m: Some(300.0),
            corners: Vec::new(),
            open_before_min: Some(30),
        },
    )
    .await?;
    Ok(AttendanceBenchData {
        school_id: data.school_id,
        parents: data.parents,
        lessons,
        date,
        start,
    })
}

/// Actors reading the bench school's reports: its administrator and the platform's (every
/// school is under the platform root).
pub async fn school_admin(app: &App, school_id: i64) -> Result<(crate::Actor, crate::Actor)> {
    let school = super::load_any_school(&app.db, school_id).await?;
    let root = crate::org::ensure_platform_root(app).await?;
    let mut bureau = super::demo_courses::acting_for(&root, "bureau_leader");
    bureau.org_path = root.path.clone();
    Ok((
        super::demo_courses::acting_for(&school, "school_admin"),
        bureau,
    ))
}
