//! Courses: their categories and how a price is counted.

/// What kind of after-school service a course is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// 托管: supervised care, homework.
    Care,
    /// 素质: quality development (sport, art, science…).
    Quality,
    /// 特色: featured courses, from the bureau's library.
    Featured,
}

impl Category {
    pub const ALL: [Self; 3] = [Self::Care, Self::Quality, Self::Featured];

    pub fn code(self) -> &'static str {
        match self {
            Self::Care => "care",
            Self::Quality => "quality",
            Self::Featured => "featured",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Care => "托管",
            Self::Quality => "素质",
            Self::Featured => "特色",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// What a price is for: one lesson, or the whole term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PriceUnit {
    Lesson,
    Term,
}

impl PriceUnit {
    pub const ALL: [Self; 2] = [Self::Lesson, Self::Term];

    pub fn code(self) -> &'static str {
        match self {
            Self::Lesson => "lesson",
            Self::Term => "term",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Lesson => "每课时",
            Self::Term => "每学期",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|u| u.code() == code)
    }
}

/// Where a course or teacher stands in a bureau's library (课程库 / 师资库).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LibraryStatus {
    /// Waiting for the reviewers.
    Submitted,
    Admitted,
    Rejected,
    /// Admitted once, taken out since.
    Revoked,
}

/// What may happen to a library entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LibraryAction {
    Admit,
    Reject,
    Revoke,
    /// The owner sends a rejected or revoked entry again.
    Resubmit,
}

impl LibraryStatus {
    pub const ALL: [Self; 4] = [
        Self::Submitted,
        Self::Admitted,
        Self::Rejected,
        Self::Revoked,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Admitted => "admitted",
            Self::Rejected => "rejected",
            Self::Revoked => "revoked",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Submitted => "待评审",
            Self::Admitted => "已入库",
            Self::Rejected => "未通过",
            Self::Revoked => "已出库",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The one transition function of library entries.
    pub fn next(self, action: LibraryAction) -> Result<Self, &'static str> {
        use LibraryAction as A;
        match (self, action) {
            (Self::Submitted, A::Admit) => Ok(Self::Admitted),
            (Self::Submitted, A::Reject) => Ok(Self::Rejected),
            (Self::Admitted, A::Revoke) => Ok(Self::Revoked),
            (Self::Rejected | Self::Revoked, A::Resubmit) => Ok(Self::Submitted),
            (Self::Admitted, A::Admit) => Err("已入库，不能重复评审"),
            (Self::Submitted, A::Resubmit) => Err("已提交，正在等待评审"),
            (Self::Admitted, A::Resubmit) => Err("已入库，无需再次提交"),
            (_, A::Revoke) => Err("只有已入库的条目可以出库"),
            (_, _) => Err("该条目不在待评审状态"),
        }
    }
}

impl LibraryAction {
    pub const ALL: [Self; 4] = [Self::Admit, Self::Reject, Self::Revoke, Self::Resubmit];

    pub fn code(self) -> &'static str {
        match self {
            Self::Admit => "admit",
            Self::Reject => "reject",
            Self::Revoke => "revoke",
            Self::Resubmit => "resubmit",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Admit => "通过入库",
            Self::Reject => "不通过",
            Self::Revoke => "出库",
            Self::Resubmit => "重新提交",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }

    /// Refusals and removals say why.
    pub fn needs_comment(self) -> bool {
        matches!(self, Self::Reject | Self::Revoke)
    }
}

/// Where a school's offering of a term (开课计划) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferingStatus {
    /// The school is building it.
    Draft,
    /// Waiting for the bureau's approval.
    Submitted,
    /// Approved by the bureau (some items may have been refused), not yet published.
    Approved,
    /// Sent back as a whole; the school corrects and submits again.
    Rejected,
    /// Published (开课公示): parents and the bureau read it.
    Published,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferingAction {
    Submit,
    /// The school takes a submitted offering back to change it.
    Withdraw,
    Approve,
    Reject,
    Publish,
}

impl OfferingStatus {
    pub const ALL: [Self; 5] = [
        Self::Draft,
        Self::Submitted,
        Self::Approved,
        Self::Rejected,
        Self::Published,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Published => "published",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "编制中",
            Self::Submitted => "待审批",
            Self::Approved => "已审批",
            Self::Rejected => "已驳回",
            Self::Published => "已公示",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether the school may change its items.
    pub fn editable(self) -> bool {
        matches!(self, Self::Draft | Self::Rejected)
    }

    /// The one transition function of offerings. `needs_approval`: the school's bureau
    /// requires approval, so a draft cannot be published directly.
    pub fn next(self, action: OfferingAction, needs_approval: bool) -> Result<Self, &'static str> {
        use OfferingAction as A;
        match (self, action) {
            (Self::Draft | Self::Rejected, A::Submit) => Ok(Self::Submitted),
            (Self::Submitted, A::Withdraw) => Ok(Self::Draft),
            (Self::Submitted, A::Approve) => Ok(Self::Approved),
            (Self::Submitted, A::Reject) => Ok(Self::Rejected),
            (Self::Approved, A::Publish) => Ok(Self::Published),
            (Self::Draft | Self::Rejected, A::Publish) if !needs_approval => Ok(Self::Published),
            (Self::Draft | Self::Rejected, A::Publish) => Err("教育局要求开课审批，请先提交审批"),
            (Self::Approved | Self::Published, A::Approve) => Err("已审批，不能重复审批"),
            (Self::Published, _) => Err("已公示的开课计划不能再变更"),
            (_, A::Approve | A::Reject) => Err("开课计划不在待审批状态"),
            (Self::Submitted, A::Submit) => Err("已提交，正在等待审批"),
            (Self::Submitted, A::Publish) => Err("请等待教育局审批后再公示"),
            (Self::Approved, _) => Err("开课计划已审批，请公示"),
            (_, A::Withdraw) => Err("只有待审批的开课计划可以撤回"),
        }
    }
}

impl OfferingAction {
    pub const ALL: [Self; 5] = [
        Self::Submit,
        Self::Withdraw,
        Self::Approve,
        Self::Reject,
        Self::Publish,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::Withdraw => "withdraw",
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Publish => "publish",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Submit => "提交审批",
            Self::Withdraw => "撤回",
            Self::Approve => "审批通过",
            Self::Reject => "驳回",
            Self::Publish => "公示",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }
}

/// A care service's time of day (午托 / 晚托).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CareTime {
    Noon,
    Evening,
}

impl CareTime {
    pub const ALL: [Self; 2] = [Self::Noon, Self::Evening];

    pub fn code(self) -> &'static str {
        match self {
            Self::Noon => "noon",
            Self::Evening => "evening",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Noon => "午托",
            Self::Evening => "晚托",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// How a course plan runs a term (课程方案的模式).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanMode {
    /// Schedule first, then parents enroll in teaching classes, then classes are settled.
    ScheduleFirst,
    /// Parents enroll in courses first, then the school schedules and assigns classes.
    EnrollFirst,
}

impl PlanMode {
    pub const ALL: [Self; 2] = [Self::ScheduleFirst, Self::EnrollFirst];

    pub fn code(self) -> &'static str {
        match self {
            Self::ScheduleFirst => "schedule_first",
            Self::EnrollFirst => "enroll_first",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::ScheduleFirst => "先排课，后选课报名，再分班",
            Self::EnrollFirst => "先选课报名，后调整排课，再分班",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }
}

/// A list of small numbers kept as "1,2,3" (grades, weekdays): sorted, no repeats, each in
/// `range`.
pub fn parse_numbers(
    raw: &[i32],
    range: std::ops::RangeInclusive<i32>,
) -> Result<Vec<i32>, String> {
    let mut out: Vec<i32> = raw.to_vec();
    out.sort_unstable();
    out.dedup();
    match out.iter().find(|n| !range.contains(n)) {
        Some(n) => Err(format!("{n} 超出范围（{}-{}）", range.start(), range.end())),
        None => Ok(out),
    }
}

pub fn join_numbers(list: &[i32]) -> String {
    list.iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

pub fn split_numbers(raw: &str) -> Vec<i32> {
    raw.split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect()
}

/// 周一 … 周日 for 1–7.
pub fn weekday_name(n: i32) -> &'static str {
    ["", "周一", "周二", "周三", "周四", "周五", "周六", "周日"]
        .get(n as usize)
        .copied()
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.code()), Some(c));
        }
        for u in PriceUnit::ALL {
            assert_eq!(PriceUnit::parse(u.code()), Some(u));
        }
        assert_eq!(Category::parse("tutoring"), None);
        for s in LibraryStatus::ALL {
            assert_eq!(LibraryStatus::parse(s.code()), Some(s));
        }
        for s in OfferingStatus::ALL {
            assert_eq!(OfferingStatus::parse(s.code()), Some(s));
        }
        for m in PlanMode::ALL {
            assert_eq!(PlanMode::parse(m.code()), Some(m));
        }
    }

    #[test]
    fn d8_every_library_status_and_action_has_one_answer() {
        use LibraryAction as A;
        use LibraryStatus as S;
        let allowed = [
            (S::Submitted, A::Admit, S::Admitted),
            (S::Submitted, A::Reject, S::Rejected),
            (S::Admitted, A::Revoke, S::Revoked),
            (S::Rejected, A::Resubmit, S::Submitted),
            (S::Revoked, A::Resubmit, S::Submitted),
        ];
        for s in S::ALL {
            for a in A::ALL {
                let expected = allowed.iter().find(|(f, x, _)| *f == s && *x == a);
                match (s.next(a), expected) {
                    (Ok(to), Some((_, _, want))) => assert_eq!(to, *want),
                    (Err(reason), None) => assert!(!reason.is_empty()),
                    (got, want) => panic!("{s:?} {a:?}: {got:?}, expected {want:?}"),
                }
            }
        }
        assert!(A::Reject.needs_comment() && A::Revoke.needs_comment());
        assert!(!A::Admit.needs_comment());
    }

    #[test]
    fn d9_every_offering_status_and_action_has_one_answer() {
        use OfferingAction as A;
        use OfferingStatus as S;
        for needs_approval in [true, false] {
            let mut allowed = vec![
                (S::Draft, A::Submit, S::Submitted),
                (S::Rejected, A::Submit, S::Submitted),
                (S::Submitted, A::Withdraw, S::Draft),
                (S::Submitted, A::Approve, S::Approved),
                (S::Submitted, A::Reject, S::Rejected),
                (S::Approved, A::Publish, S::Published),
            ];
            if !needs_approval {
                allowed.push((S::Draft, A::Publish, S::Published));
                allowed.push((S::Rejected, A::Publish, S::Published));
            }
            for s in S::ALL {
                for a in A::ALL {
                    let expected = allowed.iter().find(|(f, x, _)| *f == s && *x == a);
                    match (s.next(a, needs_approval), expected) {
                        (Ok(to), Some((_, _, want))) => assert_eq!(to, *want),
                        (Err(reason), None) => assert!(!reason.is_empty()),
                        (got, want) => panic!("{s:?} {a:?}: {got:?}, expected {want:?}"),
                    }
                }
            }
        }
        assert!(S::Draft.editable() && S::Rejected.editable());
        assert!(!S::Submitted.editable() && !S::Published.editable());
    }

    #[test]
    fn number_lists_are_sorted_and_bounded() {
        assert_eq!(parse_numbers(&[3, 1, 3], 1..=9), Ok(vec![1, 3]));
        assert!(parse_numbers(&[0], 1..=9).is_err());
        assert_eq!(join_numbers(&[1, 3]), "1,3");
        assert_eq!(split_numbers("1,3"), vec![1, 3]);
        assert_eq!(weekday_name(5), "周五");
    }
}
