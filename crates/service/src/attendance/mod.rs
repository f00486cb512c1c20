//! Attendance (考勤): the school's check-in fence (fence), teachers' check-ins per lesson,
//! make-up punches and appeals (check_in), the roll call with live notices to parents
//! (roll), students' leave (leave) and a student's attendance record (record).
//!
//! Lessons, their teachers and their students come from `teaching` through its functions
//! (`teaching::lesson::find`, `teaching::timetable::{taught_by, of_students, teaches}`,
//! `teaching::class::members`); guardians are told through `platform::messages`.

pub mod change;
pub mod check_in;
pub mod fence;
pub mod hours;
pub mod leave;
pub mod record;
pub mod report;
pub mod roll;
pub mod symptoms;
pub mod teacher_leave;

use kehou_domain::Permission;
use kehou_domain::attendance::{RequestAction, RequestStatus};
use kehou_store::entity::teaching::lesson;
use kehou_store::sea_orm::ConnectionTrait;
use serde::Deserialize;

pub(crate) use crate::platform::audit::record_at_school as record_event;
use crate::{Actor, Error, Result};

/// A lesson the actor teaches; anyone else's is not found.
pub(crate) async fn own_lesson(
    db: &impl ConnectionTrait,
    actor: &Actor,
    lesson_id: i64,
) -> Result<lesson::Model> {
    let l = crate::teaching::lesson::find(db, lesson_id).await?;
    if !crate::teaching::timetable::teaches(db, actor.user_id, l.id).await? {
        return Err(Error::NotFound("课次"));
    }
    Ok(l)
}

/// A lesson the actor teaches, or may watch with `attendance.view` at its school; and
/// whether they teach it.
pub(crate) async fn readable_lesson(
    db: &impl ConnectionTrait,
    actor: &Actor,
    lesson_id: i64,
) -> Result<(lesson::Model, bool)> {
    let l = crate::teaching::lesson::find(db, lesson_id).await?;
    if crate::teaching::timetable::teaches(db, actor.user_id, l.id).await? {
        return Ok((l, true));
    }
    if actor.can(Permission::AttendanceView) {
        crate::school::school_for(db, actor, l.school_id, Permission::AttendanceView)
            .await
            .map_err(|_| Error::NotFound("课次"))?;
        return Ok((l, false));
    }
    Err(Error::NotFound("课次"))
}

/// A lesson that was cancelled takes no check-in and no roll call.
pub(crate) fn check_held(l: &lesson::Model) -> Result<()> {
    if l.status == "cancelled" {
        return Err(Error::conflict("本节课已取消"));
    }
    Ok(())
}

/// A decision on a request: approve or reject, with a note.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
#[schema(as = AttendanceDecision)]
pub struct Decision {
    /// true approves, false rejects.
    pub approve: Option<bool>,
    /// At most 200 characters; what the applicant reads.
    pub note: String,
}

impl Decision {
    /// The action and the checked note.
    pub(crate) fn parse(&self) -> Result<(RequestAction, String)> {
        let action = match self.approve {
            Some(true) => RequestAction::Approve,
            Some(false) => RequestAction::Reject,
            None => return Err(Error::invalid("approve", "请选择批准或驳回")),
        };
        let note = optional_text("note", &self.note, 200)?;
        Ok((action, note))
    }
}

/// The next state of a request, or a clear refusal.
pub(crate) fn transition(status: &str, action: RequestAction) -> Result<RequestStatus> {
    RequestStatus::parse(status)
        .and_then(|s| s.apply(action))
        .ok_or_else(|| {
            let label = RequestStatus::parse(status).map_or("", RequestStatus::label);
            Error::conflict(format!("该申请{label}，不能再处理"))
        })
}

pub(crate) fn status_label(status: &str) -> &'static str {
    RequestStatus::parse(status).map_or("", RequestStatus::label)
}

/// A text that may be empty; when given, the same checks as a required one.
pub(crate) fn optional_text(field: &str, value: &str, max_chars: usize) -> Result<String> {
    if value.trim().is_empty() {
        return Ok(String::new());
    }
    kehou_domain::field::required_text(value, max_chars).map_err(|m| Error::invalid(field, m))
}

/// The days a leave asks for, from required `YYYY-MM-DD` texts: from today on, `to` not
/// before `from`, at most `max_days` in all.
pub(crate) fn leave_span(
    app: &crate::App,
    from: &str,
    to: &str,
    max_days: i64,
) -> Result<(chrono::NaiveDate, chrono::NaiveDate)> {
    let parse = |field: &str, raw: &str| {
        chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
            .map_err(|_| Error::invalid(field, "日期格式应为 YYYY-MM-DD"))
    };
    let (from, to) = (parse("from", from)?, parse("to", to)?);
    if from < app.today() {
        return Err(Error::invalid("from", "不能为已过去的日期请假"));
    }
    if to < from {
        return Err(Error::invalid("to", "结束日期不能早于开始日期"));
    }
    if to - from >= chrono::Duration::days(max_days) {
        return Err(Error::invalid("to", format!("一次请假最多 {max_days} 天")));
    }
    Ok((from, to))
}

/// The refusal of a leave that overlaps one pending or approved.
pub(crate) fn overlapping_leave(
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    status: &str,
) -> Error {
    Error::conflict(format!(
        "{from} 至 {to} 已有{}的请假，请勿重复申请",
        status_label(status)
    ))
}

/// A span of days from optional `YYYY-MM-DD` texts: `defaults` when absent, `to` not before
/// `from`, at most `max_days` in all.
pub(crate) fn date_range(
    from: &Option<String>,
    to: &Option<String>,
    defaults: (chrono::NaiveDate, chrono::NaiveDate),
    max_days: i64,
) -> Result<(chrono::NaiveDate, chrono::NaiveDate)> {
    let parse = |field: &str, raw: &Option<String>, default| match raw
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Ok(default),
        Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| Error::invalid(field, "日期格式应为 YYYY-MM-DD")),
    };
    let from = parse("from", from, defaults.0)?;
    let to = parse("to", to, defaults.1)?;
    if to < from {
        return Err(Error::invalid("to", "结束日期不能早于开始日期"));
    }
    if to - from >= chrono::Duration::days(max_days) {
        return Err(Error::invalid("to", format!("一次最多{max_days}天")));
    }
    Ok((from, to))
}
