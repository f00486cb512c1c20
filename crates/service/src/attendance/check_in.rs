//! Teachers' check-ins (签到, I7, I8, I1): per lesson, from the phone, with the browser's
//! WGS-84 position converted to the datum of the school's fence; counted inside the fence
//! and within the window around the start, late after the start. A refusal outside the fence
//! is kept (the teacher's anomaly) with the distance, never the position. A missed or refused
//! punch is made up (补打卡) and a late one appealed, by a request the school decides.

use chrono::{NaiveDate, NaiveDateTime};
use kehou_domain::Permission;
use kehou_domain::attendance::{self, Punctuality, RequestAction, RequestStatus, WindowError};
use kehou_domain::geo::{self, Placement, Point};
use kehou_store::entity::attendance::{check_in, punch_request};
use kehou_store::entity::teaching::lesson;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

use super::{Decision, status_label, transition};
use crate::platform::audit::By;
use crate::platform::clock::china_label;
use crate::platform::messages::{self, NewMessage};
use crate::teaching::hhmm;
use crate::teaching::timetable::Entry;
use crate::{Actor, App, Error, Result};

const ON_TIME: &str = "on_time";
const LATE: &str = "late";
const EXCUSED: &str = "excused";
const MADE_UP: &str = "made_up";
const REFUSED: &str = "refused";
/// Refused attempts kept per teacher and lesson; later ones are refused without a record.
const REFUSALS_KEPT: u64 = 20;

pub const MAKE_UP: &str = "make_up";
pub const APPEAL: &str = "appeal";

/// What a teacher's punch for a lesson is, with its name.
pub fn punch_label(status: &str) -> &'static str {
    match status {
        ON_TIME => "已签到",
        LATE => "迟到",
        EXCUSED => "迟到（申诉已通过）",
        MADE_UP => "已补卡",
        REFUSED => "签到被拒（不在范围内）",
        "missing" => "缺卡",
        "open" => "待签到",
        "upcoming" => "未开始",
        _ => "",
    }
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        MAKE_UP => "补打卡",
        APPEAL => "迟到申诉",
        _ => "",
    }
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CheckInInput {
    /// WGS-84 latitude, as the browser reports it.
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    /// The position's accuracy in metres (at most 500).
    pub accuracy: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CheckInView {
    pub id: i64,
    pub lesson_id: i64,
    pub teacher_name: String,
    /// on_time, late, excused, made_up or refused.
    pub status: String,
    pub status_label: &'static str,
    /// How far outside the fence, for a refusal.
    pub distance_m: i32,
    pub accuracy_m: i32,
    pub time_label: String,
}

fn view(c: check_in::Model) -> CheckInView {
    CheckInView {
        id: c.id,
        lesson_id: c.lesson_id,
        teacher_name: c.teacher_name,
        status_label: punch_label(&c.status),
        status: c.status,
        distance_m: c.distance_m,
        accuracy_m: c.accuracy_m,
        time_label: china_label(c.created_at),
    }
}

fn whole_metres(m: f64) -> i32 {
    // Bounded before the cast: a fence is at most 5 km, the earth 20 000 km round.
    m.round().clamp(0.0, 100_000_000.0) as i32
}

fn lesson_times(l: &lesson::Model) -> (NaiveDateTime, NaiveDateTime) {
    (l.date.and_time(l.starts_at), l.date.and_time(l.ends_at))
}

/// The check-in that counts for a teacher and a lesson, if any.
async fn counted(
    db: &impl ConnectionTrait,
    lesson_id: i64,
    user_id: i64,
) -> Result<Option<check_in::Model>> {
    Ok(check_in::Entity::find()
        .filter(check_in::Column::LessonId.eq(lesson_id))
        .filter(check_in::Column::UserId.eq(user_id))
        .filter(check_in::Column::Status.ne(REFUSED))
        .one(db)
        .await?)
}

/// A teacher checks in for a lesson they teach.
pub async fn check_in(
    app: &App,
    actor: &Actor,
    lesson_id: i64,
    input: CheckInInput,
) -> Result<CheckInView> {
    let l = super::own_lesson(&app.db, actor, lesson_id).await?;
    let (Some(lat), Some(lng)) = (input.lat, input.lng) else {
        return Err(Error::invalid(
            "lat",
            "没有取得位置：请允许浏览器获取位置后重试",
        ));
    };
    if !(lat.is_finite() && lng.is_finite() && lat.abs() <= 90.0 && lng.abs() <= 180.0) {
        return Err(Error::invalid("lat", "位置坐标无效"));
    }
    let accuracy = input.accuracy.unwrap_or(0.0);
    if !(accuracy.is_finite() && accuracy >= 0.0) {
        return Err(Error::invalid("accuracy", "定位精度无效"));
    }
    if accuracy > attendance::WORST_ACCURACY_M {
        return Err(Error::invalid(
            "accuracy",
            format!("定位精度约 {accuracy:.0} 米，太低：请到室外或打开 GPS 后重试"),
        ));
    }
    super::check_held(&l)?;
    if let Some(c) = counted(&app.db, l.id, actor.user_id).await? {
        return Err(Error::conflict(format!(
            "本节课已签到（{}，{}）",
            punch_label(&c.status),
            china_label(c.created_at)
        )));
    }
    let Some(fence) = super::fence::of_school(&app.db, l.school_id).await? else {
        return Err(Error::conflict(
            "学校尚未设置签到电子围栏，请联系学校课后服务管理员",
        ));
    };
    let (start, end) = lesson_times(&l);
    let punctuality =
        match attendance::judge_time(app.local_now(), start, end, fence.open_before_min) {
            Ok(p) => p,
            Err(WindowError::TooEarly(opens)) => {
                return Err(Error::conflict(format!(
                    "还不能签到：{} 起可签到",
                    opens.format("%H:%M")
                )));
            }
            Err(WindowError::Over) => {
                return Err(Error::conflict(
                    "本节课已结束，不能再签到；如有需要请申请补打卡",
                ));
            }
        };
    let here = geo::from_wgs84(Point { lat, lng }, fence.datum);
    let now = app.now();
    let school = crate::system::load_any_school(&app.db, l.school_id).await?;
    let txn = kehou_store::begin_write(&app.db).await?;
    if let Placement::Outside(metres) = fence.fence.place(here) {
        let kept = check_in::Entity::find()
            .filter(check_in::Column::LessonId.eq(l.id))
            .filter(check_in::Column::UserId.eq(actor.user_id))
            .filter(check_in::Column::Status.eq(REFUSED))
            .count(&txn)
            .await?;
        if kept < REFUSALS_KEPT {
            insert_for(
                &txn,
                &l,
                (actor.user_id, &actor.user_name),
                REFUSED,
                (whole_metres(metres), whole_metres(accuracy)),
                None,
                now,
            )
            .await?;
            txn.commit().await?;
        }
        return Err(Error::conflict_on(
            "location",
            format!(
                "不在学校签到范围内：距电子围栏约 {} 米，无法签到。请到校内重试，或申请补打卡",
                whole_metres(metres)
            ),
        ));
    }
    let status = match punctuality {
        Punctuality::OnTime => ON_TIME,
        Punctuality::Late => LATE,
    };
    let row = insert_for(
        &txn,
        &l,
        (actor.user_id, &actor.user_name),
        status,
        (0, whole_metres(accuracy)),
        None,
        now,
    )
    .await?;
    super::record_event(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "attendance.check_in",
        ("lesson", l.id),
        format!(
            "{} 签到：{} {} 第{}节课，{}",
            actor.user_name,
            l.date,
            hhmm(l.starts_at),
            l.seq_no,
            punch_label(status)
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(view(row))
}

async fn insert_for(
    db: &impl ConnectionTrait,
    l: &lesson::Model,
    teacher: (i64, &str),
    status: &str,
    (distance_m, accuracy_m): (i32, i32),
    request_id: Option<i64>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<check_in::Model> {
    Ok(check_in::ActiveModel {
        school_id: Set(l.school_id),
        lesson_id: Set(l.id),
        user_id: Set(teacher.0),
        teacher_name: Set(teacher.1.chars().take(50).collect()),
        status: Set(status.into()),
        distance_m: Set(distance_m),
        accuracy_m: Set(accuracy_m),
        request_id: Set(request_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// A make-up punch or appeal, as the teacher and the school see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PunchRequestView {
    pub id: i64,
    pub lesson_id: i64,
    pub school_id: i64,
    pub teacher_name: String,
    /// make_up or appeal.
    pub kind: String,
    pub kind_label: &'static str,
    pub reason: String,
    /// pending, approved, rejected or revoked.
    pub status: String,
    pub status_label: &'static str,
    pub decision_note: String,
    pub created_label: String,
    pub decided_label: Option<String>,
}

fn request_view(r: punch_request::Model) -> PunchRequestView {
    PunchRequestView {
        id: r.id,
        lesson_id: r.lesson_id,
        school_id: r.school_id,
        teacher_name: r.teacher_name,
        kind_label: kind_label(&r.kind),
        kind: r.kind,
        reason: r.reason,
        status_label: status_label(&r.status),
        status: r.status,
        decision_note: r.decision_note,
        created_label: china_label(r.created_at),
        decided_label: r.decided_at.map(china_label),
    }
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct PunchRequestInput {
    /// make_up (补打卡: no check-in counted) or appeal (迟到申诉: a late check-in).
    pub kind: String,
    /// Why, at most 200 characters.
    pub reason: String,
}

/// A teacher asks to make up a punch or appeals a late one, for a lesson of theirs that has
/// started.
pub async fn request(
    app: &App,
    actor: &Actor,
    lesson_id: i64,
    input: PunchRequestInput,
) -> Result<PunchRequestView> {
    let l = super::own_lesson(&app.db, actor, lesson_id).await?;
    let kind = match input.kind.trim() {
        MAKE_UP => MAKE_UP,
        APPEAL => APPEAL,
        _ => return Err(Error::invalid("kind", "请选择申请类型：补打卡或迟到申诉")),
    };
    let reason = kehou_domain::field::required_text(&input.reason, 200)
        .map_err(|m| Error::invalid("reason", m))?;
    super::check_held(&l)?;
    let (start, _) = lesson_times(&l);
    if app.local_now() < start {
        return Err(Error::conflict("课程还没有开始，请按时签到"));
    }
    let school = crate::system::load_any_school(&app.db, l.school_id).await?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let current = counted(&txn, l.id, actor.user_id).await?;
    match (kind, current.as_ref().map(|c| c.status.as_str())) {
        (MAKE_UP, Some(s)) => {
            return Err(Error::conflict(format!(
                "本节课已有签到记录（{}），不需要补打卡",
                punch_label(s)
            )));
        }
        (APPEAL, s) if s != Some(LATE) => {
            return Err(Error::conflict("只有迟到的签到可以申诉"));
        }
        _ => {}
    }
    let waiting = punch_request::Entity::find()
        .filter(punch_request::Column::LessonId.eq(l.id))
        .filter(punch_request::Column::UserId.eq(actor.user_id))
        .filter(punch_request::Column::Status.eq(RequestStatus::Pending.code()))
        .one(&txn)
        .await?
        .is_some();
    if waiting {
        return Err(Error::conflict("这节课已有一份待审批的申请"));
    }
    let row = punch_request::ActiveModel {
        school_id: Set(l.school_id),
        lesson_id: Set(l.id),
        user_id: Set(actor.user_id),
        teacher_name: Set(actor.user_name.chars().take(50).collect()),
        kind: Set(kind.into()),
        reason: Set(reason.clone()),
        status: Set(RequestStatus::Pending.code().into()),
        decided_by: Set(None),
        decided_at: Set(None),
        decision_note: Set(String::new()),
        created_at: Set(app.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    super::record_event(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "attendance.punch_request",
        ("punch_request", row.id),
        format!(
            "{} 申请{}：{} {}，{reason}",
            actor.user_name,
            kind_label(kind),
            l.date,
            hhmm(l.starts_at)
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(request_view(row))
}

/// The school approves or rejects a request (`attendance.manage`); nobody decides their own.
pub async fn decide(
    app: &App,
    actor: &Actor,
    request_id: i64,
    decision: Decision,
) -> Result<PunchRequestView> {
    actor.require(Permission::AttendanceManage)?;
    let r = punch_request::Entity::find_by_id(request_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("申请"))?;
    let school =
        crate::school::school_for(&app.db, actor, r.school_id, Permission::AttendanceManage)
            .await
            .map_err(|_| Error::NotFound("申请"))?;
    let (action, note) = decision.parse()?;
    if r.user_id == actor.user_id {
        return Err(Error::conflict("不能审批自己提交的申请"));
    }
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let r = punch_request::Entity::find_by_id(request_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("申请"))?;
    let next = transition(&r.status, action)?;
    let l = crate::teaching::lesson::find(&txn, r.lesson_id).await?;
    if next == RequestStatus::Approved {
        let current = counted(&txn, l.id, r.user_id).await?;
        match (r.kind.as_str(), current) {
            (MAKE_UP, None) => {
                insert_for(
                    &txn,
                    &l,
                    (r.user_id, &r.teacher_name),
                    MADE_UP,
                    (0, 0),
                    Some(r.id),
                    now,
                )
                .await?;
            }
            (APPEAL, Some(c)) if c.status == LATE => {
                let mut m = c.into_active_model();
                m.status = Set(EXCUSED.into());
                m.request_id = Set(Some(r.id));
                m.update(&txn).await?;
            }
            _ => return Err(Error::conflict("签到记录已变化，该申请不再适用，请驳回")),
        }
    }
    let (teacher, kind) = (r.user_id, r.kind.clone());
    let mut m = r.into_active_model();
    m.status = Set(next.code().into());
    m.decided_by = Set(Some(actor.user_id));
    m.decided_at = Set(Some(now));
    m.decision_note = Set(note.clone());
    let row = m.update(&txn).await?;
    let lesson_label = format!("{} {}", l.date.format("%-m月%-d日"), hhmm(l.starts_at));
    messages::send(
        &txn,
        teacher,
        NewMessage {
            kind: "attendance",
            title: format!("{}{}：{lesson_label}", kind_label(&kind), next.label()),
            body: if note.is_empty() {
                format!(
                    "您 {lesson_label} 的{}申请{}。",
                    kind_label(&kind),
                    next.label()
                )
            } else {
                format!(
                    "您 {lesson_label} 的{}申请{}：{note}",
                    kind_label(&kind),
                    next.label()
                )
            },
            link: Some("/attendance".into()),
        },
        now,
    )
    .await?;
    super::record_event(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "attendance.punch_decide",
        ("punch_request", row.id),
        format!(
            "{}{} {}：{}",
            row.teacher_name,
            kind_label(&kind),
            lesson_label,
            next.label()
        ),
    )
    .await?;
    txn.commit().await?;
    messages::announce(app, teacher);
    Ok(request_view(row))
}

/// The teacher takes back a request that waits.
pub async fn revoke(app: &App, actor: &Actor, request_id: i64) -> Result<PunchRequestView> {
    let txn = kehou_store::begin_write(&app.db).await?;
    let r = punch_request::Entity::find_by_id(request_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .filter(|r| r.user_id == actor.user_id)
        .ok_or(Error::NotFound("申请"))?;
    let next = transition(&r.status, RequestAction::Revoke)?;
    let mut m = r.into_active_model();
    m.status = Set(next.code().into());
    m.decided_at = Set(Some(app.now()));
    let row = m.update(&txn).await?;
    txn.commit().await?;
    Ok(request_view(row))
}

/// The requests of a school waiting for a decision (`attendance.view`).
pub async fn pending(app: &App, actor: &Actor, school_id: i64) -> Result<Vec<PunchRequestView>> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::AttendanceView).await?;
    Ok(punch_request::Entity::find()
        .filter(punch_request::Column::SchoolId.eq(school.id))
        .filter(punch_request::Column::Status.eq(RequestStatus::Pending.code()))
        .order_by_asc(punch_request::Column::Id)
        .limit(200)
        .all(&app.db)
        .await?
        .into_iter()
        .map(request_view)
        .collect())
}

/// One of a teacher's lessons with its punch.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LessonPunch {
    pub lesson: Entry,
    /// on_time, late, excused, made_up, refused (and nothing counted), missing, open, upcoming.
    pub status: String,
    pub status_label: &'static str,
    /// The distance of the last refusal, when refused.
    pub refused_distance_m: Option<i32>,
    pub time_label: Option<String>,
    pub can_check_in: bool,
    pub can_make_up: bool,
    pub can_appeal: bool,
    pub requests: Vec<PunchRequestView>,
}

/// The caller's own lessons from `from` to `to` with their punches: what the teacher's page
/// lists (I8).
pub async fn mine(
    app: &App,
    actor: &Actor,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<LessonPunch>> {
    let lessons = crate::teaching::timetable::taught_by(&app.db, actor.user_id, from, to).await?;
    let ids: Vec<i64> = lessons.iter().map(|e| e.lesson_id).collect();
    let mut punches: std::collections::HashMap<i64, Vec<check_in::Model>> = Default::default();
    let mut requests: std::collections::HashMap<i64, Vec<PunchRequestView>> = Default::default();
    for chunk in ids.chunks(500) {
        for c in check_in::Entity::find()
            .filter(check_in::Column::LessonId.is_in(chunk.iter().copied()))
            .filter(check_in::Column::UserId.eq(actor.user_id))
            .order_by_asc(check_in::Column::Id)
            .all(&app.db)
            .await?
        {
            punches.entry(c.lesson_id).or_default().push(c);
        }
        for r in punch_request::Entity::find()
            .filter(punch_request::Column::LessonId.is_in(chunk.iter().copied()))
            .filter(punch_request::Column::UserId.eq(actor.user_id))
            .order_by_asc(punch_request::Column::Id)
            .all(&app.db)
            .await?
        {
            requests
                .entry(r.lesson_id)
                .or_default()
                .push(request_view(r));
        }
    }
    // Each lesson's window opens as its own school's fence says (an institution's teacher
    // teaches at several schools).
    let mut open_before: std::collections::HashMap<i64, i64> = Default::default();
    for school in lessons.iter().map(|e| e.school_id) {
        if let std::collections::hash_map::Entry::Vacant(v) = open_before.entry(school) {
            v.insert(match super::fence::of_school(&app.db, school).await? {
                Some(f) => f.open_before_min,
                None => attendance::OPEN_BEFORE_MIN,
            });
        }
    }
    let now = app.local_now();
    Ok(lessons
        .into_iter()
        .map(|e| {
            let rows = punches.remove(&e.lesson_id).unwrap_or_default();
            let reqs = requests.remove(&e.lesson_id).unwrap_or_default();
            let start = e.date.and_time(parse_hhmm(&e.start));
            let end = e.date.and_time(parse_hhmm(&e.end));
            let counted = rows.iter().find(|c| c.status != REFUSED);
            let refused = rows.iter().rev().find(|c| c.status == REFUSED);
            let opens = open_before
                .get(&e.school_id)
                .copied()
                .unwrap_or(attendance::OPEN_BEFORE_MIN);
            let window = attendance::judge_time(now, start, end, opens);
            let status = match (counted, refused) {
                (Some(c), _) => c.status.clone(),
                (None, Some(_)) => REFUSED.to_string(),
                (None, None) => match window {
                    Ok(_) => "open".into(),
                    Err(WindowError::TooEarly(_)) => "upcoming".into(),
                    Err(WindowError::Over) => "missing".into(),
                },
            };
            let waiting = reqs
                .iter()
                .any(|r| r.status == RequestStatus::Pending.code());
            LessonPunch {
                status_label: punch_label(&status),
                refused_distance_m: if counted.is_none() {
                    refused.map(|r| r.distance_m)
                } else {
                    None
                },
                time_label: counted.or(refused).map(|c| china_label(c.created_at)),
                can_check_in: counted.is_none() && window.is_ok(),
                can_make_up: counted.is_none() && now >= start && !waiting,
                can_appeal: counted.is_some_and(|c| c.status == LATE) && !waiting,
                requests: reqs,
                status,
                lesson: e,
            }
        })
        .collect())
}

fn parse_hhmm(s: &str) -> chrono::NaiveTime {
    chrono::NaiveTime::parse_from_str(s, "%H:%M").unwrap_or_default()
}

/// The check-ins of some lessons, for the school's and the patrol's views: every row that
/// counts, and the refusals of teachers who have none.
pub(crate) async fn of_lessons(
    db: &impl ConnectionTrait,
    lesson_ids: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<CheckInView>>> {
    let mut out: std::collections::HashMap<i64, Vec<check_in::Model>> = Default::default();
    for chunk in lesson_ids.chunks(500) {
        for c in check_in::Entity::find()
            .filter(check_in::Column::LessonId.is_in(chunk.iter().copied()))
            .order_by_asc(check_in::Column::Id)
            .all(db)
            .await?
        {
            out.entry(c.lesson_id).or_default().push(c);
        }
    }
    Ok(out
        .into_iter()
        .map(|(lesson, rows)| {
            let counted: std::collections::HashSet<i64> = rows
                .iter()
                .filter(|c| c.status != REFUSED)
                .map(|c| c.user_id)
                .collect();
            let mut shown: Vec<check_in::Model> = Vec::new();
            for c in rows {
                if c.status != REFUSED || !counted.contains(&c.user_id) {
                    // One refusal per teacher is enough to tell.
                    shown.retain(|s| !(s.user_id == c.user_id && s.status == REFUSED));
                    shown.push(c);
                }
            }
            (lesson, shown.into_iter().map(view).collect())
        })
        .collect())
}
