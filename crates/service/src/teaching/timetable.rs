//! Timetables (E2, E5, M9): the dated lessons of a teaching class, teacher, institution
//! teacher, student, room, administrative class, grade, school or institution, over a
//! span of days; the caller's own (一师一表 for a teacher, 一生一表 for a parent's
//! children); as .xlsx and as a private iCalendar feed. Who sees which: a parent their
//! children's, a teacher their own, the school its own, a bureau its schools'.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use kehou_domain::Permission;
use kehou_domain::course::weekday_name;
use kehou_store::entity::identity::user;
use kehou_store::entity::institution::teacher as institution_teacher;
use kehou_store::entity::org;
use kehou_store::entity::school::{admin_class, guardian, room, staff, student};
use kehou_store::entity::teaching::{calendar_feed, class, class_student, lesson, lesson_teacher};
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::hhmm;
use crate::platform::sheet;
use crate::{Actor, App, Error, Result};

/// The longest span one answer covers, in days.
pub const SPAN_MAX_DAYS: i64 = 62;

/// One dated lesson as a timetable shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub date: NaiveDate,
    /// 1 = Monday.
    pub weekday: i32,
    pub weekday_label: &'static str,
    /// Local `HH:MM`.
    pub start: String,
    pub end: String,
    pub lesson_id: i64,
    pub teaching_class_id: i64,
    pub class_name: String,
    pub course: String,
    pub chapter_no: i32,
    pub chapter_name: String,
    pub room_id: Option<i64>,
    pub room: String,
    /// Staff ids of the school's own teachers.
    pub teacher_ids: Vec<i64>,
    pub institution_teacher_ids: Vec<i64>,
    pub teachers: Vec<String>,
    pub teacher_names: String,
    pub school_id: i64,
    pub school: String,
    /// 代课：郑丽（原 赵敏） when a substitute or a swap changed the teachers.
    pub change_note: String,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TimetableQuery {
    /// A staff member of a school.
    pub teacher_id: Option<i64>,
    pub institution_teacher_id: Option<i64>,
    pub student_id: Option<i64>,
    pub room_id: Option<i64>,
    pub teaching_class_id: Option<i64>,
    pub admin_class_id: Option<i64>,
    /// With `school_id`: the classes open to this grade.
    pub grade: Option<i32>,
    pub school_id: Option<i64>,
    /// All the teachers of an institution, across schools.
    pub institution_id: Option<i64>,
    /// `YYYY-MM-DD`; this week's Monday when absent.
    pub from: Option<String>,
    /// `YYYY-MM-DD`; six days after `from` when absent; at most 62 days in all.
    pub to: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimetableView {
    /// Whose timetable: 示例第一小学 / 赵敏 / 周小杰 …
    pub title: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub entries: Vec<Entry>,
}

/// Which lessons.
enum Scope {
    Classes(Vec<i64>),
    School(i64),
    Room(i64),
    Staff(Vec<i64>),
    InstitutionTeachers(Vec<i64>),
    /// Several at once (a person who teaches and is a parent).
    Any(Vec<Scope>),
}

/// The span asked for: `from`..=`to`.
pub fn span(
    today: NaiveDate,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(NaiveDate, NaiveDate)> {
    let parse = |field: &str, v: &str| {
        NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
            .map_err(|_| Error::invalid(field, "日期格式应为 YYYY-MM-DD"))
    };
    let from = match from.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => parse("from", v)?,
        None => today - Duration::days(i64::from(today.weekday().num_days_from_monday())),
    };
    let to = match to.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => parse("to", v)?,
        None => from
            .checked_add_signed(Duration::days(6))
            .ok_or_else(|| Error::invalid("from", "日期超出范围"))?,
    };
    if to < from {
        return Err(Error::invalid("to", "结束日期不能早于开始日期"));
    }
    if (to - from).num_days() >= SPAN_MAX_DAYS {
        return Err(Error::invalid(
            "to",
            format!("一次最多查询{SPAN_MAX_DAYS}天"),
        ));
    }
    Ok((from, to))
}

async fn lesson_ids_of_teachers(
    db: &impl ConnectionTrait,
    staff: &[i64],
    institution: &[i64],
) -> Result<Vec<i64>> {
    let mut q = lesson_teacher::Entity::find();
    q = match (staff.is_empty(), institution.is_empty()) {
        (false, true) => q.filter(lesson_teacher::Column::StaffId.is_in(staff.iter().copied())),
        (true, false) => q.filter(
            lesson_teacher::Column::InstitutionTeacherId.is_in(institution.iter().copied()),
        ),
        (false, false) => q.filter(
            kehou_store::sea_orm::Condition::any()
                .add(lesson_teacher::Column::StaffId.is_in(staff.iter().copied()))
                .add(
                    lesson_teacher::Column::InstitutionTeacherId.is_in(institution.iter().copied()),
                ),
        ),
        (true, true) => return Ok(Vec::new()),
    };
    Ok(q.all(db).await?.into_iter().map(|t| t.lesson_id).collect())
}

fn lessons_between(from: NaiveDate, to: NaiveDate) -> kehou_store::sea_orm::Select<lesson::Entity> {
    lesson::Entity::find()
        .filter(lesson::Column::Date.gte(from))
        .filter(lesson::Column::Date.lte(to))
}

fn collect<'a>(scope: &'a Scope, out: &mut Vec<&'a Scope>) {
    match scope {
        Scope::Any(v) => v.iter().for_each(|s| collect(s, out)),
        s => out.push(s),
    }
}

async fn lessons(
    db: &impl ConnectionTrait,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<lesson::Model>> {
    let mut parts = Vec::new();
    collect(scope, &mut parts);
    let mut out: Vec<lesson::Model> = Vec::new();
    let mut seen = HashSet::new();
    for part in parts {
        let rows = match part {
            Scope::Classes(ids) if ids.is_empty() => Vec::new(),
            Scope::Classes(ids) => {
                lessons_between(from, to)
                    .filter(lesson::Column::ClassId.is_in(ids.iter().copied()))
                    .all(db)
                    .await?
            }
            Scope::School(id) => {
                lessons_between(from, to)
                    .filter(lesson::Column::SchoolId.eq(*id))
                    .all(db)
                    .await?
            }
            Scope::Room(id) => {
                lessons_between(from, to)
                    .filter(lesson::Column::RoomId.eq(*id))
                    .all(db)
                    .await?
            }
            Scope::Staff(ids) | Scope::InstitutionTeachers(ids) => {
                let (s, i): (&[i64], &[i64]) = match part {
                    Scope::Staff(_) => (ids, &[]),
                    _ => (&[], ids),
                };
                let ids = lesson_ids_of_teachers(db, s, i).await?;
                let mut rows = Vec::new();
                for chunk in ids.chunks(500) {
                    rows.extend(
                        lessons_between(from, to)
                            .filter(lesson::Column::Id.is_in(chunk.iter().copied()))
                            .all(db)
                            .await?,
                    );
                }
                rows
            }
            Scope::Any(_) => Vec::new(),
        };
        for l in rows {
            if seen.insert(l.id) {
                out.push(l);
            }
        }
    }
    out.sort_by_key(|l| (l.date, l.starts_at, l.class_id));
    Ok(out)
}

async fn entries(db: &impl ConnectionTrait, rows: Vec<lesson::Model>) -> Result<Vec<Entry>> {
    let class_ids: HashSet<i64> = rows.iter().map(|l| l.class_id).collect();
    let classes: HashMap<i64, class::Model> =
        super::class::by_ids(db, class_ids.into_iter().collect())
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
    let mut courses: HashMap<i64, String> = HashMap::new();
    let terms: HashSet<(i64, i64)> = classes.values().map(|c| (c.school_id, c.term_id)).collect();
    for (school, term) in terms {
        for i in crate::course::offering::items_for_term(db, school, term).await? {
            courses.insert(i.id, i.name);
        }
    }
    let rooms: HashMap<i64, String> = room::Entity::find()
        .filter(room::Column::Id.is_in(rows.iter().filter_map(|l| l.room_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    let schools: HashMap<i64, String> = org::Entity::find()
        .filter(org::Column::Id.is_in(classes.values().map(|c| c.school_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let mut teachers: HashMap<i64, Vec<lesson_teacher::Model>> = HashMap::new();
    let ids: Vec<i64> = rows.iter().map(|l| l.id).collect();
    for chunk in ids.chunks(500) {
        for t in lesson_teacher::Entity::find()
            .filter(lesson_teacher::Column::LessonId.is_in(chunk.iter().copied()))
            .order_by_asc(lesson_teacher::Column::Id)
            .all(db)
            .await?
        {
            teachers.entry(t.lesson_id).or_default().push(t);
        }
    }
    Ok(rows
        .into_iter()
        .map(|l| {
            let c = classes.get(&l.class_id);
            let ts = teachers.remove(&l.id).unwrap_or_default();
            let weekday = i32::try_from(l.date.weekday().number_from_monday()).unwrap_or(1);
            let names: Vec<String> = ts.iter().map(|t| t.name.clone()).collect();
            Entry {
                date: l.date,
                weekday,
                weekday_label: weekday_name(weekday),
                start: hhmm(l.starts_at),
                end: hhmm(l.ends_at),
                lesson_id: l.id,
                teaching_class_id: l.class_id,
                class_name: c.map(|c| c.name.clone()).unwrap_or_default(),
                course: c
                    .and_then(|c| courses.get(&c.item_id).cloned())
                    .unwrap_or_default(),
                chapter_no: l.seq_no,
                chapter_name: l.chapter_name,
                room_id: l.room_id,
                room: l
                    .room_id
                    .and_then(|r| rooms.get(&r).cloned())
                    .unwrap_or_default(),
                teacher_ids: ts.iter().filter_map(|t| t.staff_id).collect(),
                institution_teacher_ids: ts
                    .iter()
                    .filter_map(|t| t.institution_teacher_id)
                    .collect(),
                teacher_names: names.join("、"),
                teachers: names,
                school_id: l.school_id,
                school: schools.get(&l.school_id).cloned().unwrap_or_default(),
                change_note: l.change_note,
            }
        })
        .collect())
}

/// Whether the actor may read a school's timetables: `school.view` there (a bureau over it,
/// the school's own staff).
async fn school_readable(app: &App, actor: &Actor, school_id: i64) -> Result<org::Model> {
    crate::school::school_for(&app.db, actor, school_id, Permission::SchoolView).await
}

async fn user_name(db: &impl ConnectionTrait, id: i64) -> Result<String> {
    Ok(user::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|u| u.name)
        .unwrap_or_default())
}

/// An institution's scope: its own members, or a bureau above it, with `institution.view`.
async fn institution_readable(app: &App, actor: &Actor, org_id: i64) -> Result<org::Model> {
    actor.require(Permission::InstitutionView)?;
    let o = org::Entity::find_by_id(org_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("机构"))?;
    if !o.path.starts_with(&actor.org_path) {
        return Err(Error::NotFound("机构"));
    }
    Ok(o)
}

/// Whose lessons a query asks for, after checking the caller may read them.
async fn resolve(app: &App, actor: &Actor, q: &TimetableQuery) -> Result<(String, Scope)> {
    let db = &app.db;
    if let Some(id) = q.teaching_class_id {
        let c = class::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or(Error::NotFound("教学班"))?;
        let own = is_teacher_of(db, actor.user_id, c.id).await?
            || is_guardian_in(db, actor.user_id, c.id).await?;
        if !own {
            school_readable(app, actor, c.school_id).await?;
        }
        return Ok((c.name, Scope::Classes(vec![c.id])));
    }
    if let Some(id) = q.teacher_id {
        let s = staff::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or(Error::NotFound("教师"))?;
        if s.user_id != actor.user_id {
            school_readable(app, actor, s.school_id).await?;
        }
        return Ok((user_name(db, s.user_id).await?, Scope::Staff(vec![s.id])));
    }
    if let Some(id) = q.institution_teacher_id {
        let t = institution_teacher::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or(Error::NotFound("机构教师"))?;
        if t.user_id != actor.user_id {
            institution_readable(app, actor, t.org_id).await?;
        }
        return Ok((t.name, Scope::InstitutionTeachers(vec![t.id])));
    }
    if let Some(id) = q.student_id {
        let s = student::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or(Error::NotFound("学生"))?;
        let guardian = guardian::Entity::find()
            .filter(guardian::Column::StudentId.eq(s.id))
            .filter(guardian::Column::UserId.eq(actor.user_id))
            .one(db)
            .await?
            .is_some();
        if !guardian {
            crate::school::school_for(db, actor, s.school_id, Permission::StudentViewAll).await?;
        }
        return Ok((
            s.name,
            Scope::Classes(classes_of_students(db, &[s.id]).await?),
        ));
    }
    if let Some(id) = q.room_id {
        let r = room::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or(Error::NotFound("场室"))?;
        school_readable(app, actor, r.school_id).await?;
        return Ok((r.name, Scope::Room(r.id)));
    }
    if let Some(id) = q.admin_class_id {
        let c = admin_class::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or(Error::NotFound("班级"))?;
        school_readable(app, actor, c.school_id).await?;
        let students: Vec<i64> = student::Entity::find()
            .filter(student::Column::ClassId.eq(c.id))
            .all(db)
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect();
        return Ok((
            kehou_domain::school::class_name(c.grade as u8, c.number as u8),
            Scope::Classes(classes_of_students(db, &students).await?),
        ));
    }
    if let Some(id) = q.institution_id {
        let o = institution_readable(app, actor, id).await?;
        let ids = institution_teacher::Entity::find()
            .filter(institution_teacher::Column::OrgId.eq(o.id))
            .all(db)
            .await?
            .into_iter()
            .map(|t| t.id)
            .collect();
        return Ok((o.name, Scope::InstitutionTeachers(ids)));
    }
    if let Some(id) = q.school_id {
        let school = school_readable(app, actor, id).await?;
        if let Some(g) = q.grade {
            if !(1..=12).contains(&g) {
                return Err(Error::invalid("grade", "年级应为1至12"));
            }
            let ids = class::Entity::find()
                .filter(class::Column::SchoolId.eq(school.id))
                .filter(class::Column::GradeFrom.lte(g))
                .filter(class::Column::GradeTo.gte(g))
                .all(db)
                .await?
                .into_iter()
                .map(|c| c.id)
                .collect();
            return Ok((
                format!(
                    "{} {}",
                    school.name,
                    kehou_domain::school::grade_name(g as u8)
                ),
                Scope::Classes(ids),
            ));
        }
        return Ok((school.name, Scope::School(school.id)));
    }
    Err(Error::invalid(
        "school_id",
        "请指定要查看的学校、年级、班级、教学班、教师、学生、场室或机构",
    ))
}

async fn is_teacher_of(db: &impl ConnectionTrait, user_id: i64, class_id: i64) -> Result<bool> {
    let (staff_ids, inst_ids) = teacher_ids_of_user(db, user_id).await?;
    Ok(kehou_store::entity::teaching::class_teacher::Entity::find()
        .filter(kehou_store::entity::teaching::class_teacher::Column::ClassId.eq(class_id))
        .all(db)
        .await?
        .iter()
        .any(|t| {
            t.staff_id.is_some_and(|s| staff_ids.contains(&s))
                || t.institution_teacher_id
                    .is_some_and(|i| inst_ids.contains(&i))
        }))
}

async fn is_guardian_in(db: &impl ConnectionTrait, user_id: i64, class_id: i64) -> Result<bool> {
    let children = children_of(db, user_id).await?;
    Ok(!children.is_empty()
        && class_student::Entity::find()
            .filter(class_student::Column::ClassId.eq(class_id))
            .filter(class_student::Column::StudentId.is_in(children))
            .one(db)
            .await?
            .is_some())
}

async fn children_of(db: &impl ConnectionTrait, user_id: i64) -> Result<Vec<i64>> {
    Ok(guardian::Entity::find()
        .filter(guardian::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|g| g.student_id)
        .collect())
}

async fn teacher_ids_of_user(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<(Vec<i64>, Vec<i64>)> {
    let staff_ids = staff::Entity::find()
        .filter(staff::Column::UserId.eq(user_id))
        .filter(staff::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let inst_ids = institution_teacher::Entity::find()
        .filter(institution_teacher::Column::UserId.eq(user_id))
        .filter(institution_teacher::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    Ok((staff_ids, inst_ids))
}

async fn classes_of_students(db: &impl ConnectionTrait, students: &[i64]) -> Result<Vec<i64>> {
    let mut ids: Vec<i64> = class_student::Entity::find()
        .filter(class_student::Column::StudentId.is_in(students.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.class_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// The timetable a query asks for.
pub async fn query(app: &App, actor: &Actor, q: &TimetableQuery) -> Result<TimetableView> {
    let (title, scope) = resolve(app, actor, q).await?;
    let (from, to) = span(app.today(), q.from.as_deref(), q.to.as_deref())?;
    let rows = lessons(&app.db, &scope, from, to).await?;
    Ok(TimetableView {
        title,
        from,
        to,
        entries: entries(&app.db, rows).await?,
    })
}

/// A person's own lessons: those they teach and their children's.
async fn own_scope(db: &impl ConnectionTrait, user_id: i64) -> Result<Scope> {
    let (staff_ids, inst_ids) = teacher_ids_of_user(db, user_id).await?;
    let children = children_of(db, user_id).await?;
    Ok(Scope::Any(vec![
        Scope::Staff(staff_ids),
        Scope::InstitutionTeachers(inst_ids),
        Scope::Classes(classes_of_students(db, &children).await?),
    ]))
}

/// The caller's own timetable: a teacher's lessons, a parent's children's.
pub async fn mine(
    app: &App,
    actor: &Actor,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<TimetableView> {
    let (from, to) = span(app.today(), from, to)?;
    let scope = own_scope(&app.db, actor.user_id).await?;
    let rows = lessons(&app.db, &scope, from, to).await?;
    Ok(TimetableView {
        title: actor.user_name.clone(),
        from,
        to,
        entries: entries(&app.db, rows).await?,
    })
}

/// The timetable as a workbook.
pub fn workbook(v: &TimetableView) -> Result<Vec<u8>> {
    let rows: Vec<Vec<String>> = v
        .entries
        .iter()
        .map(|e| {
            vec![
                e.date.to_string(),
                e.weekday_label.to_string(),
                format!("{}-{}", e.start, e.end),
                e.course.clone(),
                e.class_name.clone(),
                format!("第{}次 {}", e.chapter_no, e.chapter_name),
                e.room.clone(),
                e.teacher_names.clone(),
                e.school.clone(),
            ]
        })
        .collect();
    sheet::workbook(&[sheet::SheetData {
        name: "课表",
        headers: &[
            "日期",
            "星期",
            "时间",
            "课程",
            "教学班",
            "课次",
            "场室",
            "教师",
            "学校",
        ],
        rows: &rows,
    }])
}

// ---- calendar feeds ----

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeedView {
    /// Shown once, when the link is made.
    pub token: Option<String>,
    pub active: bool,
    pub created_at: Option<chrono::DateTime<chrono::Utc>>,
}

async fn active_feed(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Option<calendar_feed::Model>> {
    Ok(calendar_feed::Entity::find()
        .filter(calendar_feed::Column::UserId.eq(user_id))
        .filter(calendar_feed::Column::RevokedAt.is_null())
        .order_by_desc(calendar_feed::Column::Id)
        .one(db)
        .await?)
}

pub async fn feed(app: &App, actor: &Actor) -> Result<FeedView> {
    let f = active_feed(&app.db, actor.user_id).await?;
    Ok(FeedView {
        token: None,
        active: f.is_some(),
        created_at: f.map(|f| f.created_at),
    })
}

async fn revoke_all(app: &App, db: &impl ConnectionTrait, user_id: i64) -> Result<()> {
    for f in calendar_feed::Entity::find()
        .filter(calendar_feed::Column::UserId.eq(user_id))
        .filter(calendar_feed::Column::RevokedAt.is_null())
        .all(db)
        .await?
    {
        let mut m = f.into_active_model();
        m.revoked_at = Set(Some(app.now()));
        m.update(db).await?;
    }
    Ok(())
}

/// A new private feed link; the old one stops working.
pub async fn new_feed(app: &App, actor: &Actor) -> Result<FeedView> {
    let token = crate::identity::auth::random_token();
    let txn = kehou_store::begin_write(&app.db).await?;
    revoke_all(app, &txn, actor.user_id).await?;
    let f = calendar_feed::ActiveModel {
        user_id: Set(actor.user_id),
        token_hash: Set(crate::identity::auth::token_hash(&token)),
        created_at: Set(app.now()),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    crate::platform::audit::record(
        &txn,
        app.now(),
        &crate::platform::audit::By::actor(actor),
        crate::platform::audit::Change {
            org_id: None,
            org_path: "",
            action: "calendar_feed.create",
            entity_type: "calendar_feed",
            entity_id: Some(f.id),
            summary: "生成课表订阅链接（旧链接失效）".into(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(FeedView {
        token: Some(token),
        active: true,
        created_at: Some(f.created_at),
    })
}

pub async fn revoke_feed(app: &App, actor: &Actor) -> Result<FeedView> {
    let txn = kehou_store::begin_write(&app.db).await?;
    revoke_all(app, &txn, actor.user_id).await?;
    crate::platform::audit::record(
        &txn,
        app.now(),
        &crate::platform::audit::By::actor(actor),
        crate::platform::audit::Change {
            org_id: None,
            org_path: "",
            action: "calendar_feed.revoke",
            entity_type: "calendar_feed",
            entity_id: None,
            summary: "停用课表订阅链接".into(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(FeedView {
        token: None,
        active: false,
        created_at: None,
    })
}

/// Escapes a text value of iCalendar (RFC 5545 §3.3.11); control characters are dropped.
fn ics_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets, never inside a character.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

fn utc_stamp(local: NaiveDateTime) -> String {
    (local - Duration::hours(8))
        .format("%Y%m%dT%H%M%SZ")
        .to_string()
}

/// The iCalendar text of a user's lessons, from 30 days ago to 180 days ahead.
pub fn ics(entries: &[Entry], now: chrono::DateTime<chrono::Utc>) -> String {
    let mut out = String::new();
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//kehou//课后服务课表//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:课后服务课表",
    ] {
        fold(l, &mut out);
    }
    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    for e in entries {
        let (Ok(start), Ok(end)) = (
            chrono::NaiveTime::parse_from_str(&e.start, "%H:%M"),
            chrono::NaiveTime::parse_from_str(&e.end, "%H:%M"),
        ) else {
            continue;
        };
        fold("BEGIN:VEVENT", &mut out);
        fold(&format!("UID:lesson-{}@kehou", e.lesson_id), &mut out);
        fold(&format!("DTSTAMP:{stamp}"), &mut out);
        fold(
            &format!("DTSTART:{}", utc_stamp(e.date.and_time(start))),
            &mut out,
        );
        fold(
            &format!("DTEND:{}", utc_stamp(e.date.and_time(end))),
            &mut out,
        );
        fold(
            &format!(
                "SUMMARY:{}",
                ics_text(&format!("{}（{}）", e.course, e.class_name))
            ),
            &mut out,
        );
        fold(
            &format!(
                "LOCATION:{}",
                ics_text(format!("{} {}", e.school, e.room).trim())
            ),
            &mut out,
        );
        fold(
            &format!(
                "DESCRIPTION:{}",
                ics_text(&format!(
                    "第{}次课 {}\n教师：{}",
                    e.chapter_no, e.chapter_name, e.teacher_names
                ))
            ),
            &mut out,
        );
        fold("END:VEVENT", &mut out);
    }
    fold("END:VCALENDAR", &mut out);
    out
}

/// The feed behind a private link, for calendar apps (no session: the token is the key).
pub async fn feed_ics(app: &App, token: &str) -> Result<String> {
    let token = token.strip_suffix(".ics").unwrap_or(token);
    if token.is_empty() || token.len() > 100 {
        return Err(Error::NotFound("课表订阅"));
    }
    let f = calendar_feed::Entity::find()
        .filter(calendar_feed::Column::TokenHash.eq(crate::identity::auth::token_hash(token)))
        .filter(calendar_feed::Column::RevokedAt.is_null())
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("课表订阅"))?;
    let u = user::Entity::find_by_id(f.user_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("课表订阅"))?;
    if u.frozen {
        return Err(Error::NotFound("课表订阅"));
    }
    let today = app.today();
    let scope = own_scope(&app.db, u.id).await?;
    let mut rows = Vec::new();
    // Spans of at most 62 days, as everywhere else.
    let mut from = today - Duration::days(30);
    let end = today + Duration::days(180);
    while from <= end {
        let to = (from + Duration::days(SPAN_MAX_DAYS - 1)).min(end);
        rows.extend(lessons(&app.db, &scope, from, to).await?);
        from = to + Duration::days(1);
    }
    let entries = entries(&app.db, rows).await?;
    Ok(ics(&entries, app.now()))
}

/// Ends an account's calendar feeds (erasure).
pub(crate) async fn drop_feeds_of(db: &impl ConnectionTrait, user_id: i64) -> Result<()> {
    calendar_feed::Entity::delete_many()
        .filter(calendar_feed::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e2_ics_escapes_and_folds() {
        assert_eq!(ics_text("a,b;c\\d\ne\u{7}"), "a\\,b\\;c\\\\d\\ne");
        let mut out = String::new();
        fold(&"课".repeat(40), &mut out);
        for line in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(line.len() <= 75, "{} octets", line.len());
        }
        assert_eq!(out.replace("\r\n ", "").trim_end(), "课".repeat(40));
    }

    #[test]
    fn e5_span_defaults_to_this_week_and_is_bounded() {
        let wed = NaiveDate::from_ymd_opt(2026, 9, 9).expect("date");
        let (from, to) = span(wed, None, None).expect("span");
        assert_eq!(from.to_string(), "2026-09-07");
        assert_eq!(to.to_string(), "2026-09-13");
        assert!(span(wed, Some("2026-09-01"), Some("2026-12-01")).is_err());
        assert!(span(wed, Some("2026-09-10"), Some("2026-09-01")).is_err());
        assert!(span(wed, Some("9/1"), None).is_err());
    }
}

/// What a school's timetables can be shown for.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Choices {
    pub school_id: i64,
    pub school: String,
    pub teachers: Vec<(i64, String)>,
    pub institution_teachers: Vec<(i64, String)>,
    pub rooms: Vec<(i64, String)>,
    pub admin_classes: Vec<(i64, String)>,
    pub teaching_classes: Vec<(i64, String)>,
    pub grades: Vec<(i32, String)>,
}

/// The teachers, rooms, classes and grades of a school, for choosing a timetable.
pub async fn choices(app: &App, actor: &Actor, school_id: i64) -> Result<Choices> {
    let school = school_readable(app, actor, school_id).await?;
    let db = &app.db;
    let today = app.today();
    let classes: Vec<class::Model> = class::Entity::find()
        .filter(class::Column::SchoolId.eq(school.id))
        .filter(class::Column::EndsOn.gte(today - Duration::days(120)))
        .order_by_asc(class::Column::Name)
        .all(db)
        .await?;
    let admin: Vec<admin_class::Model> = admin_class::Entity::find()
        .filter(admin_class::Column::SchoolId.eq(school.id))
        .order_by_asc(admin_class::Column::Grade)
        .order_by_asc(admin_class::Column::Number)
        .all(db)
        .await?;
    let mut grades: Vec<i32> = admin.iter().map(|c| i32::from(c.grade)).collect();
    grades.sort_unstable();
    grades.dedup();
    let mut institution_teachers: Vec<(i64, String)> =
        kehou_store::entity::teaching::class_teacher::Entity::find()
            .filter(
                kehou_store::entity::teaching::class_teacher::Column::ClassId
                    .is_in(classes.iter().map(|c| c.id)),
            )
            .filter(
                kehou_store::entity::teaching::class_teacher::Column::InstitutionTeacherId
                    .is_not_null(),
            )
            .all(db)
            .await?
            .into_iter()
            .filter_map(|t| Some((t.institution_teacher_id?, t.name)))
            .collect();
    institution_teachers.sort();
    institution_teachers.dedup();
    Ok(Choices {
        school_id: school.id,
        school: school.name,
        teachers: crate::school::staff::active_staff(db, school.id).await?,
        institution_teachers,
        rooms: room::Entity::find()
            .filter(room::Column::SchoolId.eq(school.id))
            .order_by_asc(room::Column::Name)
            .all(db)
            .await?
            .into_iter()
            .map(|r| (r.id, r.name))
            .collect(),
        admin_classes: admin
            .iter()
            .map(|c| {
                (
                    c.id,
                    kehou_domain::school::class_name(c.grade as u8, c.number as u8),
                )
            })
            .collect(),
        teaching_classes: classes.into_iter().map(|c| (c.id, c.name)).collect(),
        grades: grades
            .into_iter()
            .map(|g| (g, kehou_domain::school::grade_name(g as u8)))
            .collect(),
    })
}

/// The lessons `user_id` teaches from `from` to `to`, as timetable entries: a teacher's
/// check-in and roll-call list.
pub(crate) async fn taught_by(
    db: &impl ConnectionTrait,
    user_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Entry>> {
    let (staff_ids, inst_ids) = teacher_ids_of_user(db, user_id).await?;
    let scope = Scope::Any(vec![
        Scope::Staff(staff_ids),
        Scope::InstitutionTeachers(inst_ids),
    ]);
    let rows = lessons(db, &scope, from, to).await?;
    entries(db, rows).await
}

/// The lessons of some students from `from` to `to`: a child's attendance.
pub(crate) async fn of_students(
    db: &impl ConnectionTrait,
    students: &[i64],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Entry>> {
    let scope = Scope::Classes(classes_of_students(db, students).await?);
    let rows = lessons(db, &scope, from, to).await?;
    entries(db, rows).await
}

/// The lessons of a school from `from` to `to`: the school's attendance overview.
pub(crate) async fn of_school(
    db: &impl ConnectionTrait,
    school_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Entry>> {
    let rows = lessons(db, &Scope::School(school_id), from, to).await?;
    entries(db, rows).await
}

/// Some lessons by id, as timetable entries: the lessons a patrol report names.
pub(crate) async fn of_lessons(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<Entry>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = lesson::Entity::find()
        .filter(lesson::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    entries(db, rows).await
}

/// Whether `user_id` is one of the teachers of a lesson.
pub(crate) async fn teaches(
    db: &impl ConnectionTrait,
    user_id: i64,
    lesson_id: i64,
) -> Result<bool> {
    let (staff_ids, inst_ids) = teacher_ids_of_user(db, user_id).await?;
    Ok(lesson_teacher::Entity::find()
        .filter(lesson_teacher::Column::LessonId.eq(lesson_id))
        .all(db)
        .await?
        .iter()
        .any(|t| {
            t.staff_id.is_some_and(|s| staff_ids.contains(&s))
                || t.institution_teacher_id
                    .is_some_and(|i| inst_ids.contains(&i))
        }))
}

/// The accounts of a lesson's teachers (staff and institution teachers alike).
pub(crate) async fn teacher_users(db: &impl ConnectionTrait, lesson_id: i64) -> Result<Vec<i64>> {
    let rows = lesson_teacher::Entity::find()
        .filter(lesson_teacher::Column::LessonId.eq(lesson_id))
        .all(db)
        .await?;
    let mut users: Vec<i64> = staff::Entity::find()
        .filter(staff::Column::Id.is_in(rows.iter().filter_map(|t| t.staff_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.user_id)
        .collect();
    users.extend(
        institution_teacher::Entity::find()
            .filter(
                institution_teacher::Column::Id
                    .is_in(rows.iter().filter_map(|t| t.institution_teacher_id)),
            )
            .all(db)
            .await?
            .into_iter()
            .map(|t| t.user_id),
    );
    Ok(users)
}
