//! The data of `kehou bench rush`: a school of 20 000 students, each with one parent who
//! may sign in; 40 offered courses with 5 teaching classes of 30 seats each (200 classes),
//! one lesson a week each spread over the week's 15 after-school periods, with their dated
//! lessons; the term open for enrollment now, at most three courses a student.
//!
//! Parents' passwords are hashed with Argon2id at a small cost (256 KiB, one pass): the
//! benchmark measures enrollment, and 20 000 sign-ins at the production cost would take
//! minutes of CPU before the rush begins. Sign-in itself still runs through the API.

use argon2::{Algorithm, Argon2, Params, PasswordHasher, Version, password_hash::SaltString};
use kehou_domain::enrollment::WindowKind;
use kehou_domain::teaching::ClassStatus;
use kehou_store::entity::course::{offering, offering_item};
use kehou_store::entity::enrollment::{settings as term_settings, window};
use kehou_store::entity::identity::{membership, role, user};
use kehou_store::entity::school::{admin_class, guardian, student, term};
use kehou_store::entity::teaching::{class, slot};
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::demo::benchmark_school;
use crate::{App, Error, Result};

pub const PASSWORD: &str = "Rush@2026x";

#[derive(Debug, Clone)]
pub struct RushSpec {
    pub students: usize,
    pub courses: usize,
    pub classes_per_course: usize,
    pub seats: i32,
}

impl Default for RushSpec {
    fn default() -> Self {
        Self {
            students: 20_000,
            courses: 40,
            classes_per_course: 5,
            seats: 30,
        }
    }
}

/// What the rush runs against.
#[derive(Debug, Clone)]
pub struct RushData {
    pub school_id: i64,
    pub term_id: i64,
    /// (parent's phone, child's student id).
    pub parents: Vec<(String, i64)>,
    pub classes: Vec<i64>,
}

fn cheap_hash() -> Result<String> {
    let params = Params::new(256, 1, 1, None).map_err(|e| Error::Internal(e.to_string()))?;
    let salt =
        SaltString::encode_b64(b"kehou-bench-rush").map_err(|e| Error::Internal(e.to_string()))?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(PASSWORD.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(e.to_string()))
}

pub async fn setup(app: &App, spec: &RushSpec) -> Result<RushData> {
    let tag = std::process::id() % 10_000;
    let per_grade = i16::try_from(spec.students.div_ceil(6 * 40)).unwrap_or(i16::MAX);
    let school = benchmark_school(app, &format!("报名基准学校{tag}"), per_grade).await?;
    let t = term::Entity::find()
        .filter(term::Column::SchoolId.eq(school))
        .order_by_desc(term::Column::StartDate)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("学期"))?;
    let now = app.now();
    // Students, 40 to an administrative class.
    let admin: Vec<admin_class::Model> = admin_class::Entity::find()
        .filter(admin_class::Column::SchoolId.eq(school))
        .order_by_asc(admin_class::Column::Id)
        .all(&app.db)
        .await?;
    let mut rows = Vec::with_capacity(spec.students);
    for (i, c) in admin.iter().cycle().take(spec.students).enumerate() {
        rows.push(student::ActiveModel {
            school_id: Set(school),
            student_no: Set(format!("R{tag}{i:06}")),
            name: Set(format!("学生{i}")),
            gender: Set("female".into()),
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
    let txn = kehou_store::begin_write(&app.db).await?;
    for chunk in rows.chunks(500) {
        student::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    let students: Vec<i64> = student::Entity::find()
        .filter(student::Column::SchoolId.eq(school))
        .order_by_asc(student::Column::Id)
        .all(&app.db)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    // One parent each, a member of the school as 家长.
    let parent_role = role::Entity::find()
        .filter(role::Column::Code.eq("parent"))
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("家长角色"))?;
    let hash = cheap_hash()?;
    let phones: Vec<String> = (0..students.len())
        // Eleven digits for up to a million parents (a city's worth).
        .map(|i| format!("19{:03}{i:06}", tag % 1_000))
        .collect();
    let txn = kehou_store::begin_write(&app.db).await?;
    let mut users = Vec::with_capacity(phones.len());
    for (i, phone) in phones.iter().enumerate() {
        users.push(user::ActiveModel {
            phone_index: Set(app.vault.blind_index(phone)),
            phone_enc: Set(Some(app.vault.encrypt(phone)?)),
            name: Set(format!("家长{i}")),
            password_hash: Set(hash.clone()),
            frozen: Set(false),
            must_change_password: Set(false),
            failed_logins: Set(0),
            locked_until: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
    }
    for chunk in users.chunks(500) {
        user::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
    }
    txn.commit().await?;
    let mut user_ids = Vec::with_capacity(phones.len());
    for chunk in phones.chunks(500) {
        let idx: Vec<String> = chunk.iter().map(|p| app.vault.blind_index(p)).collect();
        let mut found: Vec<(String, i64)> = user::Entity::find()
            .filter(user::Column::PhoneIndex.is_in(idx.clone()))
            .all(&app.db)
            .await?
            .into_iter()
            .map(|u| (u.phone_index, u.id))
            .collect();
        found.sort_by_key(|(i, _)| idx.iter().position(|x| x == i));
        user_ids.extend(found.into_iter().map(|(_, id)| id));
    }
    let txn = kehou_store::begin_write(&app.db).await?;
    let links: Vec<(i64, i64)> = user_ids
        .iter()
        .copied()
        .zip(students.iter().copied())
        .collect();
    for chunk in links.chunks(500) {
        membership::Entity::insert_many(chunk.iter().map(|(u, _)| membership::ActiveModel {
            user_id: Set(*u),
            org_id: Set(school),
            role_id: Set(parent_role.id),
            created_at: Set(now),
            ..Default::default()
        }))
        .exec(&txn)
        .await?;
        guardian::Entity::insert_many(chunk.iter().map(|(u, s)| guardian::ActiveModel {
            student_id: Set(*s),
            user_id: Set(*u),
            relation: Set("母亲".into()),
            created_at: Set(now),
            ..Default::default()
        }))
        .exec(&txn)
        .await?;
    }
    // The offering: approved courses at 25 yuan a lesson.
    let o = offering::ActiveModel {
        school_id: Set(school),
        term_id: Set(t.id),
        status: Set("published".into()),
        reason: Set(None),
        submitted_at: Set(Some(now)),
        decided_at: Set(Some(now)),
        decided_by: Set(Some("基准".into())),
        published_at: Set(Some(now)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut classes = Vec::new();
    let mut n = 0;
    for c in 0..spec.courses {
        let item = offering_item::ActiveModel {
            offering_id: Set(o.id),
            // No catalog course behind it: the enrollment path reads only the offering.
            course_id: Set(-(c as i64) - 1),
            name: Set(format!("兴趣课{:02}", c + 1)),
            category: Set("quality".into()),
            institution_id: Set(None),
            spec_id: Set(0),
            price_fen: Set(2500),
            price_unit: Set("lesson".into()),
            textbook_fee_fen: Set(0),
            misc_fee_fen: Set(0),
            grades: Set("1,2,3,4,5,6".into()),
            capacity: Set(spec.seats * i32::try_from(spec.classes_per_course).unwrap_or(1)),
            care_time: Set(None),
            care_days: Set(None),
            status: Set("approved".into()),
            reason: Set(None),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        for k in 0..spec.classes_per_course {
            let row = class::ActiveModel {
                school_id: Set(school),
                term_id: Set(t.id),
                item_id: Set(item.id),
                course_id: Set(0),
                name: Set(format!("兴趣课{:02}-{}班", c + 1, k + 1)),
                status: Set(ClassStatus::Open.code().into()),
                capacity_min: Set(1),
                capacity_max: Set(spec.seats),
                grade_from: Set(1),
                grade_to: Set(6),
                starts_on: Set(t.start_date),
                ends_on: Set(t.end_date),
                weekly_lessons: Set(1),
                room_id: Set(None),
                post_teacher_id: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            // 15 weekly times: five days, three periods.
            let at = n % 15;
            slot::ActiveModel {
                class_id: Set(row.id),
                school_id: Set(school),
                term_id: Set(t.id),
                weekday: Set(Some(1 + at / 3)),
                period_no: Set(Some(1 + at % 3)),
                room_id: Set(None),
                locked: Set(true),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            classes.push(row.id);
            n += 1;
        }
    }
    let tt = crate::teaching::system_term(&txn, school, t.id).await?;
    crate::teaching::lesson::regenerate(app, &txn, &tt, None).await?;
    term_settings::ActiveModel {
        school_id: Set(school),
        term_id: Set(t.id),
        max_courses: Set(Some(3)),
        hold_minutes: Set(30),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    window::ActiveModel {
        school_id: Set(school),
        term_id: Set(t.id),
        kind: Set(WindowKind::Open.code().into()),
        grade: Set(None),
        opens_at: Set(now - chrono::Duration::minutes(1)),
        closes_at: Set(now + chrono::Duration::hours(6)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(RushData {
        school_id: school,
        term_id: t.id,
        parents: phones.into_iter().zip(students).collect(),
        classes,
    })
}
