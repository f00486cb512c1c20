//! Substitutes and swaps (调代课, I3): a teacher asks for a substitute for a lesson of theirs
//! (another teacher of the school teaches it) or a swap (the teachers of two lessons
//! exchange), with a reason; the school approves — recording the substitute's pay — or
//! rejects; the teacher may revoke while it waits. Approved, the lesson's teachers change
//! and it carries a note the timetables show; neither teacher may be busy elsewhere then.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use kehou_domain::attendance::{RequestAction, RequestStatus};
use kehou_domain::{Fen, Permission};
use kehou_store::entity::attendance::lesson_change;
use kehou_store::entity::teaching::lesson;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

use super::{status_label, transition};
use crate::platform::audit::By;
use crate::platform::clock::china_label;
use crate::platform::messages::{self, NewMessage};
use crate::teaching::hhmm;
use crate::{Actor, App, Error, Result};

pub const SUBSTITUTE: &str = "substitute";
pub const SWAP: &str = "swap";
/// The most a school records as one lesson's substitute pay: 10 000 yuan.
const FEE_MAX_FEN: i64 = 1_000_000;

fn kind_label(kind: &str) -> &'static str {
    match kind {
        SUBSTITUTE => "代课",
        SWAP => "调课",
        _ => "",
    }
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ChangeInput {
    /// substitute (代课) or swap (调课).
    pub kind: String,
    /// At most 200 characters.
    pub reason: String,
    /// For a substitute: the staff member of the school who teaches instead.
    pub substitute_staff_id: Option<i64>,
    /// For a swap: the other teacher's lesson whose teachers exchange with this one's.
    pub other_lesson_id: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ChangeDecision {
    /// true approves, false rejects.
    pub approve: Option<bool>,
    pub note: String,
    /// The substitute's pay for the lesson in fen (0 when none).
    pub fee_fen: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChangeView {
    pub id: i64,
    pub school_id: i64,
    pub kind: String,
    pub kind_label: &'static str,
    pub lesson_id: i64,
    /// 9月18日 17:20 合唱班
    pub lesson_label: String,
    pub other_lesson_id: Option<i64>,
    pub other_label: String,
    pub requester_name: String,
    pub substitute_name: String,
    pub reason: String,
    pub status: String,
    pub status_label: &'static str,
    pub fee_fen: i64,
    pub fee: String,
    pub decision_note: String,
    pub created_label: String,
    pub decided_label: Option<String>,
}

/// "9月18日 17:20 合唱班" for each of some lessons, in two queries.
async fn labels_of(db: &impl ConnectionTrait, ids: Vec<i64>) -> Result<HashMap<i64, String>> {
    let lessons = lesson::Entity::find()
        .filter(lesson::Column::Id.is_in(ids))
        .all(db)
        .await?;
    let classes: HashMap<i64, String> =
        crate::teaching::class::by_ids(db, lessons.iter().map(|l| l.class_id).collect())
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect();
    Ok(lessons
        .into_iter()
        .map(|l| {
            let class = classes.get(&l.class_id).map_or("", String::as_str);
            (
                l.id,
                format!(
                    "{} {} {class}",
                    l.date.format("%-m月%-d日"),
                    hhmm(l.starts_at)
                ),
            )
        })
        .collect())
}

async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<lesson_change::Model>,
) -> Result<Vec<ChangeView>> {
    let ids = rows
        .iter()
        .flat_map(|c| std::iter::once(c.lesson_id).chain(c.other_lesson_id))
        .collect();
    let labels = labels_of(db, ids).await?;
    let label = |id: Option<i64>| {
        id.and_then(|id| labels.get(&id).cloned())
            .unwrap_or_default()
    };
    Ok(rows
        .into_iter()
        .map(|c| ChangeView {
            lesson_label: label(Some(c.lesson_id)),
            other_label: label(c.other_lesson_id),
            id: c.id,
            school_id: c.school_id,
            kind_label: kind_label(&c.kind),
            kind: c.kind,
            lesson_id: c.lesson_id,
            other_lesson_id: c.other_lesson_id,
            requester_name: c.requester_name,
            substitute_name: c.substitute_name,
            reason: c.reason,
            status_label: status_label(&c.status),
            status: c.status,
            fee_fen: c.fee_fen,
            fee: Fen(c.fee_fen).to_string(),
            decision_note: c.decision_note,
            created_label: china_label(c.created_at),
            decided_label: c.decided_at.map(china_label),
        })
        .collect())
}

async fn view(db: &impl ConnectionTrait, c: lesson_change::Model) -> Result<ChangeView> {
    views(db, vec![c])
        .await?
        .pop()
        .ok_or(Error::NotFound("调代课申请"))
}

fn starts(l: &lesson::Model) -> NaiveDateTime {
    l.date.and_time(l.starts_at)
}

/// A substitute's pay for one lesson, in fen: none is 0, at most 10 000 yuan.
pub(super) fn checked_fee(fee_fen: Option<i64>) -> Result<i64> {
    let fee = fee_fen.unwrap_or(0);
    if !(0..=FEE_MAX_FEN).contains(&fee) {
        return Err(Error::invalid("fee_fen", "代课费应在 0 至 10000 元之间"));
    }
    Ok(fee)
}

/// A lesson that has not started and was not cancelled, or why not.
pub(super) fn check_ahead(app: &App, l: &lesson::Model) -> Result<()> {
    super::check_held(l)?;
    if starts(l) <= app.local_now() {
        return Err(Error::conflict("这节课已经开始，不能再调代课"));
    }
    Ok(())
}

/// Whether `user_id` teaches another lesson overlapping `l` (not `except`).
pub(super) async fn busy(
    db: &impl ConnectionTrait,
    user_id: i64,
    l: &lesson::Model,
    except: &[i64],
) -> Result<Option<String>> {
    let theirs = crate::teaching::timetable::taught_by(db, user_id, l.date, l.date).await?;
    Ok(clash(&theirs, l, except))
}

/// The first of a teacher's lessons `theirs` (bar `except`) that meets while `l` does.
pub(super) fn clash(
    theirs: &[crate::teaching::timetable::Entry],
    l: &lesson::Model,
    except: &[i64],
) -> Option<String> {
    let (s, e) = (hhmm(l.starts_at), hhmm(l.ends_at));
    theirs
        .iter()
        .filter(|x| x.date == l.date && !except.contains(&x.lesson_id))
        .find(|x| x.start < e && s < x.end)
        .map(|x| format!("{} {}–{} {}", x.date, x.start, x.end, x.class_name))
}

/// A teacher asks for a substitute or a swap for a lesson of theirs that is ahead.
pub async fn request(
    app: &App,
    actor: &Actor,
    lesson_id: i64,
    input: ChangeInput,
) -> Result<ChangeView> {
    let l = super::own_lesson(&app.db, actor, lesson_id).await?;
    let reason = kehou_domain::field::required_text(&input.reason, 200)
        .map_err(|m| Error::invalid("reason", m))?;
    let db = &app.db;
    let (kind, substitute, other) = match input.kind.trim() {
        SUBSTITUTE => {
            let Some(staff_id) = input.substitute_staff_id else {
                return Err(Error::invalid("substitute_staff_id", "请选择代课教师"));
            };
            let Some((school, user, name)) =
                crate::school::staff::active_member(db, staff_id).await?
            else {
                return Err(Error::invalid(
                    "substitute_staff_id",
                    "代课教师须为本校在职教职工",
                ));
            };
            if school != l.school_id {
                return Err(Error::invalid(
                    "substitute_staff_id",
                    "代课教师须为本校在职教职工",
                ));
            }
            if user == actor.user_id {
                return Err(Error::invalid("substitute_staff_id", "代课教师不能是自己"));
            }
            (SUBSTITUTE, Some((staff_id, user, name)), None)
        }
        SWAP => {
            let Some(other_id) = input.other_lesson_id else {
                return Err(Error::invalid("other_lesson_id", "请选择要对调的课"));
            };
            let other = lesson::Entity::find_by_id(other_id)
                .one(db)
                .await?
                .filter(|o| o.school_id == l.school_id && o.id != l.id)
                .ok_or_else(|| Error::invalid("other_lesson_id", "请选择本校另一位老师的课"))?;
            if crate::teaching::timetable::teaches(db, actor.user_id, other.id).await? {
                return Err(Error::invalid("other_lesson_id", "请选择另一位老师的课"));
            }
            (SWAP, None, Some(other))
        }
        _ => {
            return Err(Error::invalid(
                "kind",
                "请选择申请类型：substitute（代课）或 swap（调课）",
            ));
        }
    };
    check_ahead(app, &l)?;
    if let Some(o) = &other {
        check_ahead(app, o)?;
    }
    if let Some((_, user, name)) = &substitute
        && let Some(at) = busy(db, *user, &l, &[]).await?
    {
        return Err(Error::conflict(format!("{name} 在该时段另有课：{at}")));
    }
    if let Some(o) = &other {
        if let Some(at) = busy(db, actor.user_id, o, &[l.id]).await? {
            return Err(Error::conflict(format!("您在对调后的时段另有课：{at}")));
        }
        for u in crate::teaching::timetable::teacher_users(db, o.id).await? {
            if let Some(at) = busy(db, u, &l, &[o.id]).await? {
                return Err(Error::conflict(format!(
                    "对方老师在这节课的时段另有课：{at}"
                )));
            }
        }
    }
    let school = crate::system::load_any_school(db, l.school_id).await?;
    let txn = kehou_store::begin_write(db).await?;
    let waiting = lesson_change::Entity::find()
        .filter(lesson_change::Column::LessonId.eq(l.id))
        .filter(lesson_change::Column::Status.eq(RequestStatus::Pending.code()))
        .one(&txn)
        .await?
        .is_some();
    if waiting {
        return Err(Error::conflict("这节课已有一份待审批的调代课申请"));
    }
    let row = lesson_change::ActiveModel {
        school_id: Set(l.school_id),
        kind: Set(kind.into()),
        lesson_id: Set(l.id),
        other_lesson_id: Set(other.as_ref().map(|o| o.id)),
        requested_by: Set(actor.user_id),
        requester_name: Set(actor.user_name.chars().take(50).collect()),
        substitute_staff_id: Set(substitute.as_ref().map(|s| s.0)),
        substitute_name: Set(substitute
            .as_ref()
            .map(|s| s.2.chars().take(50).collect())
            .unwrap_or_default()),
        reason: Set(reason.clone()),
        status: Set(RequestStatus::Pending.code().into()),
        fee_fen: Set(0),
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
        "attendance.change_request",
        ("lesson_change", row.id),
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
    view(db, row).await
}

/// The school approves (recording the substitute's pay) or rejects (`attendance.manage`);
/// nobody decides their own.
pub async fn decide(
    app: &App,
    actor: &Actor,
    change_id: i64,
    d: ChangeDecision,
) -> Result<ChangeView> {
    actor.require(Permission::AttendanceManage)?;
    let db = &app.db;
    let c = lesson_change::Entity::find_by_id(change_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("调代课申请"))?;
    let school = crate::school::school_for(db, actor, c.school_id, Permission::AttendanceManage)
        .await
        .map_err(|_| Error::NotFound("调代课申请"))?;
    let (action, note) = super::Decision {
        approve: d.approve,
        note: d.note.clone(),
    }
    .parse()?;
    let fee = checked_fee(d.fee_fen)?;
    if c.requested_by == actor.user_id {
        return Err(Error::conflict("不能审批自己提交的申请"));
    }
    let now = app.now();
    let txn = kehou_store::begin_write(db).await?;
    let c = lesson_change::Entity::find_by_id(change_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("调代课申请"))?;
    let next = transition(&c.status, action)?;
    let mut told = vec![c.requested_by];
    if next == RequestStatus::Approved {
        let l = crate::teaching::lesson::find(&txn, c.lesson_id).await?;
        check_ahead(app, &l)?;
        let before = crate::teaching::lesson::teachers(&txn, l.id).await?;
        let names = |ts: &[kehou_store::entity::teaching::lesson_teacher::Model]| {
            ts.iter()
                .map(|t| t.name.clone())
                .collect::<Vec<_>>()
                .join("、")
        };
        let keep = |ts: &[kehou_store::entity::teaching::lesson_teacher::Model]| {
            ts.iter()
                .map(|t| (t.staff_id, t.institution_teacher_id, t.name.clone()))
                .collect::<Vec<_>>()
        };
        match (c.kind.as_str(), c.other_lesson_id, c.substitute_staff_id) {
            (SUBSTITUTE, _, Some(staff_id)) => {
                let Some((_, user, name)) =
                    crate::school::staff::active_member(&txn, staff_id).await?
                else {
                    return Err(Error::conflict("代课教师已不在职，请驳回后重新申请"));
                };
                if let Some(at) = busy(&txn, user, &l, &[]).await? {
                    return Err(Error::conflict(format!("{name} 在该时段另有课：{at}")));
                }
                let note = format!("代课：{name}（原 {}）", names(&before));
                crate::teaching::lesson::set_teachers(
                    &txn,
                    &l,
                    &[(Some(staff_id), None, name)],
                    &note,
                    now,
                )
                .await?;
                told.push(user);
            }
            (SWAP, Some(other_id), _) => {
                let o = crate::teaching::lesson::find(&txn, other_id).await?;
                check_ahead(app, &o)?;
                let theirs = crate::teaching::lesson::teachers(&txn, o.id).await?;
                crate::teaching::lesson::set_teachers(
                    &txn,
                    &l,
                    &keep(&theirs),
                    &format!("调课：{}（原 {}）", names(&theirs), names(&before)),
                    now,
                )
                .await?;
                crate::teaching::lesson::set_teachers(
                    &txn,
                    &o,
                    &keep(&before),
                    &format!("调课：{}（原 {}）", names(&before), names(&theirs)),
                    now,
                )
                .await?;
            }
            _ => return Err(Error::Internal(format!("lesson change {} malformed", c.id))),
        }
    }
    let kind = c.kind.clone();
    let mut m = c.into_active_model();
    m.status = Set(next.code().into());
    m.fee_fen = Set(if next == RequestStatus::Approved {
        fee
    } else {
        0
    });
    m.decided_by = Set(Some(actor.user_id));
    m.decided_at = Set(Some(now));
    m.decision_note = Set(note.clone());
    let row = m.update(&txn).await?;
    let v = view(&txn, row).await?;
    let batch = told
        .iter()
        .map(|u| {
            (
                *u,
                NewMessage {
                    kind: "attendance",
                    title: format!("{}{}：{}", kind_label(&kind), next.label(), v.lesson_label),
                    body: format!(
                        "{} {} 的{}申请{}{}",
                        v.requester_name,
                        v.lesson_label,
                        kind_label(&kind),
                        next.label(),
                        if note.is_empty() {
                            "。".to_string()
                        } else {
                            format!("：{note}")
                        }
                    ),
                    link: Some("/attendance".into()),
                },
            )
        })
        .collect();
    messages::send_many(&txn, batch, now).await?;
    super::record_event(
        &txn,
        app,
        &By::actor(actor),
        (school.id, &school.path),
        "attendance.change_decide",
        ("lesson_change", v.id),
        format!(
            "{} {} 的{}：{}{}",
            v.requester_name,
            v.lesson_label,
            kind_label(&kind),
            next.label(),
            if v.fee_fen > 0 {
                format!("，代课费 {} 元", v.fee)
            } else {
                String::new()
            }
        ),
    )
    .await?;
    txn.commit().await?;
    for u in told {
        messages::announce(app, u);
    }
    Ok(v)
}

/// The teacher takes back a request that waits.
pub async fn revoke(app: &App, actor: &Actor, change_id: i64) -> Result<ChangeView> {
    let txn = kehou_store::begin_write(&app.db).await?;
    let c = lesson_change::Entity::find_by_id(change_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .filter(|c| c.requested_by == actor.user_id)
        .ok_or(Error::NotFound("调代课申请"))?;
    let next = transition(&c.status, RequestAction::Revoke)?;
    let mut m = c.into_active_model();
    m.status = Set(next.code().into());
    m.decided_at = Set(Some(app.now()));
    let row = m.update(&txn).await?;
    txn.commit().await?;
    view(&app.db, row).await
}

/// A school's requests, newest first, at most 500 (`attendance.view`); only those in
/// `status` when given.
pub async fn list(
    app: &App,
    actor: &Actor,
    school_id: i64,
    status: Option<&str>,
) -> Result<Vec<ChangeView>> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::AttendanceView).await?;
    let mut q = lesson_change::Entity::find().filter(lesson_change::Column::SchoolId.eq(school.id));
    if let Some(st) = status.filter(|s| !s.is_empty()) {
        let st = RequestStatus::parse(st).ok_or_else(|| {
            Error::invalid("status", "状态应为 pending、approved、rejected 或 revoked")
        })?;
        q = q.filter(lesson_change::Column::Status.eq(st.code()));
    }
    let rows = q
        .order_by_desc(lesson_change::Column::Id)
        .limit(500)
        .all(&app.db)
        .await?;
    views(&app.db, rows).await
}

/// The caller's own requests, newest first.
pub async fn mine(app: &App, actor: &Actor) -> Result<Vec<ChangeView>> {
    let rows = lesson_change::Entity::find()
        .filter(lesson_change::Column::RequestedBy.eq(actor.user_id))
        .order_by_desc(lesson_change::Column::Id)
        .limit(50)
        .all(&app.db)
        .await?;
    views(&app.db, rows).await
}

pub const EXPORT_HEADERS: [&str; 9] = [
    "课次",
    "类型",
    "申请人",
    "代课教师",
    "对调的课",
    "原因",
    "状态",
    "代课费（元）",
    "审批意见",
];

/// The school's requests as spreadsheet rows.
pub fn export_rows(rows: &[ChangeView]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|c| {
            vec![
                c.lesson_label.clone(),
                c.kind_label.into(),
                c.requester_name.clone(),
                c.substitute_name.clone(),
                c.other_label.clone(),
                c.reason.clone(),
                c.status_label.into(),
                c.fee.clone(),
                c.decision_note.clone(),
            ]
        })
        .collect()
}

/// What the teacher's request form offers: the school's active staff, and the other
/// teachers' lessons of the next two weeks.
#[derive(Debug, Clone, Default)]
pub struct ChangeOptions {
    pub staff: Vec<(i64, String)>,
    pub lessons: Vec<(i64, String)>,
}

pub async fn options(app: &App, actor: &Actor) -> Result<ChangeOptions> {
    if actor.org_kind != kehou_domain::OrgKind::School {
        return Ok(ChangeOptions::default());
    }
    let today = app.today();
    let mine: std::collections::HashSet<i64> = crate::teaching::timetable::taught_by(
        &app.db,
        actor.user_id,
        today,
        today + chrono::Duration::days(14),
    )
    .await?
    .into_iter()
    .map(|e| e.lesson_id)
    .collect();
    let now = app.local_now();
    let lessons = crate::teaching::timetable::of_school(
        &app.db,
        actor.org_id,
        today,
        today + chrono::Duration::days(14),
    )
    .await?
    .into_iter()
    .filter(|e| !mine.contains(&e.lesson_id))
    .filter(|e| {
        chrono::NaiveTime::parse_from_str(&e.start, "%H:%M").is_ok_and(|t| e.date.and_time(t) > now)
    })
    .map(|e| {
        (
            e.lesson_id,
            format!(
                "{} {} {} {}（{}）",
                e.date, e.weekday_label, e.start, e.class_name, e.teacher_names
            ),
        )
    })
    .collect();
    let staff = crate::school::staff::active_staff(&app.db, actor.org_id)
        .await?
        .into_iter()
        .filter(|(_, name)| *name != actor.user_name)
        .collect();
    Ok(ChangeOptions { staff, lessons })
}
