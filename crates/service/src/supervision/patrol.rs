//! Patrolling (巡课, J2): the patrol teacher's day — the school's lessons (total, started,
//! patrolled), each with its teachers' check-ins and its roll call — and one record per
//! lesson visited: the lesson's and the teacher's score, whether the teacher was there,
//! the students seen, notes and up to three photos.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use kehou_domain::file::FileType;
use kehou_domain::supervision::{PHOTO_MAX_BYTES, PHOTOS_MAX, score};
use kehou_domain::{Invalid, Permission};
use kehou_store::entity::supervision::{patrol_photo, patrol_record};
use kehou_store::entity::teaching::lesson;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};

use crate::attendance::record::{SchoolLesson, day_of, parse_day};
use crate::attendance::roll::RollCallView;
use crate::platform::audit::By;
use crate::platform::clock::china_label;
use crate::{Actor, App, Error, Result};

use super::task::TaskView;

/// How long after its day a lesson's patrol may still be recorded or corrected.
const RECORDABLE_DAYS: i64 = 7;
/// The most students a record says were seen.
const STUDENTS_SEEN_MAX: i32 = 1000;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RecordInput {
    /// The lesson: 1 to 5.
    pub lesson_score: Option<i32>,
    /// The teacher: 1 to 5.
    pub teacher_score: Option<i32>,
    /// Whether the lesson's teacher was in the room.
    pub teacher_present: Option<bool>,
    /// Students the patrol teacher counted in the room (0 to 1000), when counted.
    pub students_seen: Option<i32>,
    /// At most 500 characters.
    pub note: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PhotoView {
    pub id: i64,
    pub content_type: String,
    pub size: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordView {
    pub id: i64,
    pub school_id: i64,
    pub lesson_id: i64,
    pub lesson_date: NaiveDate,
    pub user_id: i64,
    pub patroller_name: String,
    pub lesson_score: i32,
    pub teacher_score: i32,
    pub teacher_present: bool,
    pub students_seen: Option<i32>,
    pub note: String,
    pub photos: Vec<PhotoView>,
    pub time_label: String,
}

pub(crate) fn view(r: patrol_record::Model, photos: Vec<PhotoView>) -> RecordView {
    RecordView {
        id: r.id,
        school_id: r.school_id,
        lesson_id: r.lesson_id,
        lesson_date: r.lesson_date,
        user_id: r.user_id,
        patroller_name: r.patroller_name,
        lesson_score: r.lesson_score,
        teacher_score: r.teacher_score,
        teacher_present: r.teacher_present,
        students_seen: r.students_seen,
        note: r.note,
        photos,
        time_label: china_label(r.updated_at),
    }
}

/// The photos of records, by record.
async fn photos_of(
    db: &impl ConnectionTrait,
    record_ids: Vec<i64>,
) -> Result<HashMap<i64, Vec<PhotoView>>> {
    let mut out: HashMap<i64, Vec<PhotoView>> = HashMap::new();
    if record_ids.is_empty() {
        return Ok(out);
    }
    for p in patrol_photo::Entity::find()
        .filter(patrol_photo::Column::RecordId.is_in(record_ids))
        .order_by_asc(patrol_photo::Column::Id)
        .all(db)
        .await?
    {
        out.entry(p.record_id).or_default().push(PhotoView {
            id: p.id,
            content_type: p.content_type,
            size: p.size,
        });
    }
    Ok(out)
}

/// Records with their photos.
pub(crate) async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<patrol_record::Model>,
) -> Result<Vec<RecordView>> {
    let mut photos = photos_of(db, rows.iter().map(|r| r.id).collect()).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let p = photos.remove(&r.id).unwrap_or_default();
            view(r, p)
        })
        .collect())
}

/// One record with its photos.
async fn one(db: &impl ConnectionTrait, row: patrol_record::Model) -> Result<RecordView> {
    views(db, vec![row])
        .await?
        .into_iter()
        .next()
        .ok_or(Error::NotFound("巡课记录"))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PatrolLesson {
    pub lesson: SchoolLesson,
    /// Every patrol teacher's record of this lesson.
    pub records: Vec<RecordView>,
    /// The caller's own record, when they patrolled it.
    pub mine: Option<RecordView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PatrolDay {
    pub school_id: i64,
    pub school: String,
    pub date: NaiveDate,
    /// Lessons of the day.
    pub total: usize,
    /// Lessons started by now.
    pub started: usize,
    /// Lessons somebody patrolled.
    pub patrolled: usize,
    /// Lessons the caller patrolled.
    pub patrolled_by_me: usize,
    pub lessons: Vec<PatrolLesson>,
    /// The caller's tasks covering today, with their completion.
    pub tasks: Vec<TaskView>,
}

/// The school an actor patrols: its own organization when a school, else the one given.
fn school_of(actor: &Actor, school_id: Option<i64>) -> Result<i64> {
    match school_id {
        Some(id) => Ok(id),
        None if actor.org_kind == kehou_domain::OrgKind::School => Ok(actor.org_id),
        None => Err(Error::invalid("school_id", "请选择学校")),
    }
}

/// A patrol teacher's day at a school (`patrol.record`): its lessons with their check-ins,
/// roll calls and patrol records, and the caller's tasks.
pub async fn day(
    app: &App,
    actor: &Actor,
    school_id: Option<i64>,
    date: Option<&str>,
) -> Result<PatrolDay> {
    actor.require(Permission::PatrolRecord)?;
    let db = &app.db;
    let school_id = school_of(actor, school_id)?;
    let school = crate::school::school_for(db, actor, school_id, Permission::PatrolRecord).await?;
    let date = parse_day(app, date)?;
    let d = day_of(app, school.id, date).await?;
    let ids: Vec<i64> = d.lessons.iter().map(|l| l.lesson.lesson_id).collect();
    let records = views(
        db,
        patrol_record::Entity::find()
            .filter(patrol_record::Column::LessonId.is_in(ids))
            .order_by_asc(patrol_record::Column::Id)
            .all(db)
            .await?,
    )
    .await?;
    let mut by_lesson: HashMap<i64, Vec<RecordView>> = HashMap::new();
    for r in records {
        by_lesson.entry(r.lesson_id).or_default().push(r);
    }
    let mut out = PatrolDay {
        school_id: school.id,
        school: school.name.clone(),
        date,
        total: d.total,
        started: d.started,
        patrolled: 0,
        patrolled_by_me: 0,
        lessons: Vec::with_capacity(d.lessons.len()),
        tasks: if date == app.today() {
            super::task::mine_today(app, actor, school.id).await?
        } else {
            Vec::new()
        },
    };
    for l in d.lessons {
        let records = by_lesson.remove(&l.lesson.lesson_id).unwrap_or_default();
        let mine = records.iter().find(|r| r.user_id == actor.user_id).cloned();
        out.patrolled += usize::from(!records.is_empty());
        out.patrolled_by_me += usize::from(mine.is_some());
        out.lessons.push(PatrolLesson {
            lesson: l,
            records,
            mine,
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LessonPatrol {
    pub lesson: SchoolLesson,
    /// The roll call as it stands: each student and their mark.
    pub roll_call: RollCallView,
    /// Other patrol teachers' records of the lesson.
    pub records: Vec<RecordView>,
    pub mine: Option<RecordView>,
    /// Whether the caller may record now (started, within a week, not their own lesson).
    pub can_record: bool,
    /// Why not, when not.
    pub blocked: String,
}

/// A lesson the actor may patrol: at a school where they hold `patrol.record`.
async fn patrol_lesson(
    db: &impl ConnectionTrait,
    actor: &Actor,
    lesson_id: i64,
) -> Result<(lesson::Model, kehou_store::entity::org::Model)> {
    actor.require(Permission::PatrolRecord)?;
    let l = crate::teaching::lesson::find(db, lesson_id).await?;
    let school = crate::school::school_for(db, actor, l.school_id, Permission::PatrolRecord)
        .await
        .map_err(|_| Error::NotFound("课次"))?;
    Ok((l, school))
}

/// Why a lesson may not be patrolled now, if it may not.
async fn blocked(app: &App, actor: &Actor, l: &lesson::Model) -> Result<Option<String>> {
    if l.status == "cancelled" {
        return Ok(Some("本节课已取消".into()));
    }
    let now = app.local_now();
    if now < l.date.and_time(l.starts_at) {
        return Ok(Some("课程尚未开始，开始后才能巡课".into()));
    }
    if now.date() > l.date + Duration::days(RECORDABLE_DAYS) {
        return Ok(Some(format!(
            "课后 {RECORDABLE_DAYS} 天内可以记录或更正巡课，这节课已超过"
        )));
    }
    if crate::teaching::timetable::teaches(&app.db, actor.user_id, l.id).await? {
        return Ok(Some("不能巡自己任教的课".into()));
    }
    Ok(None)
}

/// One lesson for the patrol teacher: its attendance, roll call and patrol records.
pub async fn lesson(app: &App, actor: &Actor, lesson_id: i64) -> Result<LessonPatrol> {
    let db = &app.db;
    let (l, school) = patrol_lesson(db, actor, lesson_id).await?;
    let d = day_of(app, school.id, l.date).await?;
    let entry = d
        .lessons
        .into_iter()
        .find(|x| x.lesson.lesson_id == l.id)
        .ok_or(Error::NotFound("课次"))?;
    let roll_call = crate::attendance::roll::build(db, &l, false).await?;
    let records = views(
        db,
        patrol_record::Entity::find()
            .filter(patrol_record::Column::LessonId.eq(l.id))
            .order_by_asc(patrol_record::Column::Id)
            .all(db)
            .await?,
    )
    .await?;
    let why = blocked(app, actor, &l).await?;
    let (mine, others): (Vec<RecordView>, Vec<RecordView>) = records
        .into_iter()
        .partition(|r| r.user_id == actor.user_id);
    Ok(LessonPatrol {
        lesson: entry,
        roll_call,
        mine: mine.into_iter().next(),
        records: others,
        can_record: why.is_none(),
        blocked: why.unwrap_or_default(),
    })
}

/// Records (or corrects) the actor's patrol of a lesson (`patrol.record`): once it has
/// started, up to a week after, not a lesson of their own.
pub async fn save(
    app: &App,
    actor: &Actor,
    lesson_id: i64,
    input: RecordInput,
) -> Result<RecordView> {
    let db = &app.db;
    let (l, school) = patrol_lesson(db, actor, lesson_id).await?;
    let mut invalid = Invalid::default();
    let lesson_score = match input.lesson_score {
        None => {
            invalid.push("lesson_score", "请为课堂评分");
            None
        }
        Some(v) => invalid.take("lesson_score", score(v)),
    };
    let teacher_score = match input.teacher_score {
        None => {
            invalid.push("teacher_score", "请为教师评分");
            None
        }
        Some(v) => invalid.take("teacher_score", score(v)),
    };
    if input.teacher_present.is_none() {
        invalid.push("teacher_present", "请选择教师是否在岗");
    }
    if let Some(n) = input.students_seen
        && !(0..=STUDENTS_SEEN_MAX).contains(&n)
    {
        invalid.push(
            "students_seen",
            format!("实到人数应为0到{STUDENTS_SEEN_MAX}"),
        );
    }
    let note = invalid.multiline("note", Some(&input.note), 500);
    let (Some(lesson_score), Some(teacher_score), Some(teacher_present), Some(note), true) = (
        lesson_score,
        teacher_score,
        input.teacher_present,
        note,
        invalid.is_empty(),
    ) else {
        return Err(Error::Invalid(invalid.0));
    };
    if let Some(why) = blocked(app, actor, &l).await? {
        return Err(Error::conflict(why));
    }
    let now = app.now();
    let txn = kehou_store::begin_write(db).await?;
    let existing = patrol_record::Entity::find()
        .filter(patrol_record::Column::LessonId.eq(l.id))
        .filter(patrol_record::Column::UserId.eq(actor.user_id))
        .one(&txn)
        .await?;
    let row = match existing {
        Some(r) => {
            let mut a = r.into_active_model();
            a.lesson_score = Set(lesson_score);
            a.teacher_score = Set(teacher_score);
            a.teacher_present = Set(teacher_present);
            a.students_seen = Set(input.students_seen);
            a.note = Set(note);
            a.updated_at = Set(now);
            a.update(&txn).await?
        }
        None => {
            patrol_record::ActiveModel {
                school_id: Set(l.school_id),
                lesson_id: Set(l.id),
                lesson_date: Set(l.date),
                user_id: Set(actor.user_id),
                patroller_name: Set(actor.user_name.chars().take(50).collect()),
                lesson_score: Set(lesson_score),
                teacher_score: Set(teacher_score),
                teacher_present: Set(teacher_present),
                students_seen: Set(input.students_seen),
                note: Set(note),
                photo_count: Set(0),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    crate::platform::audit::record_at_school(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "patrol.record",
        ("patrol_record", row.id),
        format!(
            "{} 巡课 {} {}：课堂{}分，教师{}分{}",
            actor.user_name,
            l.date,
            crate::teaching::hhmm(l.starts_at),
            lesson_score,
            teacher_score,
            if teacher_present {
                ""
            } else {
                "，教师不在岗"
            }
        ),
    )
    .await?;
    txn.commit().await?;
    one(db, row).await
}

/// A photo to add: the name the browser gave and the bytes.
pub struct PhotoUpload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The actor's own record of a lesson, in a state that takes changes.
async fn own_record(
    app: &App,
    actor: &Actor,
    record_id: i64,
) -> Result<(patrol_record::Model, kehou_store::entity::org::Model)> {
    let db = &app.db;
    let r = patrol_record::Entity::find_by_id(record_id)
        .one(db)
        .await?
        .filter(|r| r.user_id == actor.user_id)
        .ok_or(Error::NotFound("巡课记录"))?;
    let (l, school) = patrol_lesson(db, actor, r.lesson_id)
        .await
        .map_err(|e| match e {
            Error::Forbidden(_) => e,
            _ => Error::NotFound("巡课记录"),
        })?;
    if let Some(why) = blocked(app, actor, &l).await? {
        return Err(Error::conflict(why));
    }
    Ok((r, school))
}

/// Adds photos to the actor's own patrol record: PNG or JPEG by content, at most 5 MB each,
/// three in all; nothing is kept unless all are good.
pub async fn add_photos(
    app: &App,
    actor: &Actor,
    record_id: i64,
    uploads: Vec<PhotoUpload>,
) -> Result<RecordView> {
    let (r, school) = own_record(app, actor, record_id).await?;
    let uploads: Vec<PhotoUpload> = uploads
        .into_iter()
        .filter(|u| !u.bytes.is_empty() || !u.file_name.is_empty())
        .collect();
    let mut invalid = Invalid::default();
    if uploads.is_empty() {
        invalid.push("photos", "请选择照片");
    }
    if r.photo_count as usize + uploads.len() > PHOTOS_MAX {
        invalid.push("photos", format!("每条巡课记录最多{PHOTOS_MAX}张照片"));
    }
    let mut checked = Vec::new();
    for u in &uploads {
        match kehou_domain::file::check_upload(&u.file_name, &u.bytes, PHOTO_MAX_BYTES) {
            Ok((FileType::Pdf, _)) => invalid.push("photos", "只接受PNG或JPG照片"),
            Ok((file_type, _)) => checked.push((file_type, &u.bytes)),
            Err(reason) => invalid.push("photos", reason),
        }
    }
    if !invalid.is_empty() {
        return Err(Error::Invalid(invalid.0));
    }
    let db = &app.db;
    let now = app.now();
    let mut stored = Vec::new();
    let result: Result<patrol_record::Model> = async {
        let txn = kehou_store::begin_write(db).await?;
        // Counted again under the write lock: two uploads at once stay within the limit.
        let current = patrol_record::Entity::find_by_id(r.id)
            .one(&txn)
            .await?
            .ok_or(Error::NotFound("巡课记录"))?;
        if current.photo_count as usize + checked.len() > PHOTOS_MAX {
            return Err(Error::conflict(format!(
                "每条巡课记录最多{PHOTOS_MAX}张照片"
            )));
        }
        for (file_type, bytes) in &checked {
            let key = crate::platform::storage::new_key();
            app.files.put(&key, bytes).await?;
            stored.push(key.clone());
            patrol_photo::ActiveModel {
                record_id: Set(r.id),
                content_type: Set(file_type.content_type().into()),
                size: Set(bytes.len() as i64),
                storage_key: Set(key),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        let count = current.photo_count + checked.len() as i32;
        let mut a = current.into_active_model();
        a.photo_count = Set(count);
        a.updated_at = Set(now);
        let row = a.update(&txn).await?;
        crate::platform::audit::record_at_school(
            &txn,
            app,
            &By::actor(actor),
            (school.id, &school.path),
            "patrol.record",
            ("patrol_record", row.id),
            format!("{} 为巡课记录上传{}张照片", actor.user_name, checked.len()),
        )
        .await?;
        txn.commit().await?;
        Ok(row)
    }
    .await;
    match result {
        Ok(row) => one(db, row).await,
        Err(e) => {
            // Bytes of a change that did not happen are not kept.
            for key in &stored {
                let _ = app.files.delete(key).await;
            }
            Err(e)
        }
    }
}

/// A photo of a patrol record: its author, or the school with `patrol.manage` or
/// `attendance.view` (the bureau too). Content type, a name and the bytes.
pub async fn photo(
    app: &App,
    actor: &Actor,
    record_id: i64,
    photo_id: i64,
) -> Result<(String, String, Vec<u8>)> {
    let db = &app.db;
    let r = patrol_record::Entity::find_by_id(record_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("照片"))?;
    if r.user_id != actor.user_id {
        super::report::readable_school(db, actor, r.school_id)
            .await
            .map_err(|_| Error::NotFound("照片"))?;
    }
    let p = patrol_photo::Entity::find_by_id(photo_id)
        .filter(patrol_photo::Column::RecordId.eq(r.id))
        .one(db)
        .await?
        .ok_or(Error::NotFound("照片"))?;
    let ext = if p.content_type == "image/png" {
        "png"
    } else {
        "jpg"
    };
    let bytes = app.files.get(&p.storage_key).await?;
    Ok((
        p.content_type,
        format!("巡课照片-{}-{}.{ext}", r.id, p.id),
        bytes,
    ))
}

/// Deletes the patrol photos taken before `cutoff` (pictures of classrooms show children):
/// their files, their rows, and their count on the record; the record and its scores stay.
pub(crate) async fn purge_photos_before(
    app: &App,
    cutoff: chrono::DateTime<chrono::Utc>,
) -> Result<u64> {
    let old = patrol_photo::Entity::find()
        .filter(patrol_photo::Column::CreatedAt.lt(cutoff))
        .all(&app.db)
        .await?;
    if old.is_empty() {
        return Ok(0);
    }
    let mut per_record: HashMap<i64, i32> = HashMap::new();
    for p in &old {
        *per_record.entry(p.record_id).or_default() += 1;
    }
    let txn = kehou_store::begin_write(&app.db).await?;
    patrol_photo::Entity::delete_many()
        .filter(patrol_photo::Column::Id.is_in(old.iter().map(|p| p.id)))
        .exec(&txn)
        .await?;
    for (record_id, n) in per_record {
        patrol_record::Entity::update_many()
            .col_expr(
                patrol_record::Column::PhotoCount,
                kehou_store::sea_orm::sea_query::ExprTrait::sub(
                    kehou_store::sea_orm::sea_query::Expr::col(patrol_record::Column::PhotoCount),
                    n,
                ),
            )
            .filter(patrol_record::Column::Id.eq(record_id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    // The rows are gone first: a file left by a failed delete is unreachable, never shown.
    for p in &old {
        if let Err(e) = app.files.delete(&p.storage_key).await {
            tracing::warn!(error = %e, photo = p.id, "patrol photo file not deleted");
        }
    }
    Ok(old.len() as u64)
}
