//! Attendance (考勤) rules: when a teacher's check-in counts and whether it is late, the
//! marks of a roll call, and the one state machine of every request that someone decides
//! (leave, make-up punches and appeals).

use chrono::{Duration, NaiveDateTime};

/// How long before a lesson starts its check-in opens, by default.
pub const OPEN_BEFORE_MIN: i64 = 30;
/// The least accurate position a check-in accepts, in metres.
pub const WORST_ACCURACY_M: f64 = 500.0;

/// A check-in's judgement of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Punctuality {
    OnTime,
    Late,
}

/// Why a check-in is not taken at this time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowError {
    /// Before the window opens, at this local time.
    TooEarly(NaiveDateTime),
    /// After the lesson ended: only a make-up punch remains.
    Over,
}

/// Judges a check-in at `now` for a lesson from `start` to `end` (local times): the window
/// opens `open_before_min` minutes before the start and closes at the end; after the start
/// it is late.
pub fn judge_time(
    now: NaiveDateTime,
    start: NaiveDateTime,
    end: NaiveDateTime,
    open_before_min: i64,
) -> Result<Punctuality, WindowError> {
    let opens = start - Duration::minutes(open_before_min.clamp(0, 180));
    if now < opens {
        return Err(WindowError::TooEarly(opens));
    }
    if now >= end {
        return Err(WindowError::Over);
    }
    Ok(if now <= start {
        Punctuality::OnTime
    } else {
        Punctuality::Late
    })
}

/// A student's mark in a roll call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mark {
    Present,
    Late,
    Absent,
    Leave,
}

impl Mark {
    pub const ALL: [Self; 4] = [Self::Present, Self::Late, Self::Absent, Self::Leave];

    pub fn code(self) -> &'static str {
        match self {
            Self::Present => "present",
            Self::Late => "late",
            Self::Absent => "absent",
            Self::Leave => "leave",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Present => "已到",
            Self::Late => "迟到",
            Self::Absent => "缺勤",
            Self::Leave => "请假",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }

    /// Whether the student was there (late counts as there).
    pub fn attended(self) -> bool {
        matches!(self, Self::Present | Self::Late)
    }
}

/// The state of a request someone decides: leave, a make-up punch, an appeal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestStatus {
    Pending,
    Approved,
    Rejected,
    Revoked,
}

/// What is done to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestAction {
    Approve,
    Reject,
    /// The applicant takes it back, before it is decided.
    Revoke,
}

impl RequestStatus {
    pub const ALL: [Self; 4] = [Self::Pending, Self::Approved, Self::Rejected, Self::Revoked];

    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Revoked => "revoked",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "待审批",
            Self::Approved => "已批准",
            Self::Rejected => "已驳回",
            Self::Revoked => "已撤回",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The one transition function: only a pending request moves, once.
    pub fn apply(self, action: RequestAction) -> Option<Self> {
        match (self, action) {
            (Self::Pending, RequestAction::Approve) => Some(Self::Approved),
            (Self::Pending, RequestAction::Reject) => Some(Self::Rejected),
            (Self::Pending, RequestAction::Revoke) => Some(Self::Revoked),
            _ => None,
        }
    }
}

/// The kinds of a student's leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaveKind {
    Personal,
    Sick,
}

impl LeaveKind {
    pub const ALL: [Self; 2] = [Self::Personal, Self::Sick];

    pub fn code(self) -> &'static str {
        match self {
            Self::Personal => "personal",
            Self::Sick => "sick",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Personal => "事假",
            Self::Sick => "病假",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// The symptoms a sick leave records, for the daily symptom report (I12).
pub const SYMPTOMS: &[&str] = &["发热", "咳嗽", "腹泻", "呕吐", "皮疹", "其他"];

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 30)
            .and_then(|d| d.and_hms_opt(h, m, 0))
            .unwrap()
    }

    #[test]
    fn check_in_window() {
        let (start, end) = (at(15, 30), at(16, 30));
        assert_eq!(
            judge_time(at(14, 59), start, end, 30),
            Err(WindowError::TooEarly(at(15, 0)))
        );
        assert_eq!(
            judge_time(at(15, 0), start, end, 30),
            Ok(Punctuality::OnTime)
        );
        assert_eq!(
            judge_time(at(15, 30), start, end, 30),
            Ok(Punctuality::OnTime)
        );
        assert_eq!(
            judge_time(at(15, 31), start, end, 30),
            Ok(Punctuality::Late)
        );
        assert_eq!(
            judge_time(at(16, 30), start, end, 30),
            Err(WindowError::Over)
        );
        // A window is never wider than three hours.
        assert!(judge_time(at(12, 0), start, end, 100_000).is_err());
    }

    #[test]
    fn every_request_transition() {
        use RequestAction::*;
        for s in RequestStatus::ALL {
            for a in [Approve, Reject, Revoke] {
                let next = s.apply(a);
                match (s, a) {
                    (RequestStatus::Pending, Approve) => {
                        assert_eq!(next, Some(RequestStatus::Approved))
                    }
                    (RequestStatus::Pending, Reject) => {
                        assert_eq!(next, Some(RequestStatus::Rejected))
                    }
                    (RequestStatus::Pending, Revoke) => {
                        assert_eq!(next, Some(RequestStatus::Revoked))
                    }
                    _ => assert_eq!(next, None, "{s:?} {a:?}"),
                }
            }
            assert_eq!(RequestStatus::parse(s.code()), Some(s));
        }
    }

    #[test]
    fn marks_round_trip() {
        for m in Mark::ALL {
            assert_eq!(Mark::parse(m.code()), Some(m));
        }
        assert!(Mark::Late.attended());
        assert!(!Mark::Leave.attended());
        assert_eq!(Mark::parse("here"), None);
    }
}
