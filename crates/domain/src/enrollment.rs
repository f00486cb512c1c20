//! Enrollment (报名选课): windows, the states of an enrollment, of its order and of a
//! waitlist place, and why a selection is refused.

/// What a window of a term lets parents do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowKind {
    /// Ranked choices (志愿) before the draw.
    PreRegistration,
    /// The main enrollment, first come first served.
    Open,
    /// Parents may drop (退课).
    Drop,
    /// Enrollment again, for seats left (补报名).
    Supplementary,
    /// Enrollment while lessons are under way (插班), when the school allows it.
    MidTerm,
}

impl WindowKind {
    pub const ALL: [Self; 5] = [
        Self::PreRegistration,
        Self::Open,
        Self::Drop,
        Self::Supplementary,
        Self::MidTerm,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::PreRegistration => "pre_registration",
            Self::Open => "open",
            Self::Drop => "drop",
            Self::Supplementary => "supplementary",
            Self::MidTerm => "mid_term",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::PreRegistration => "预报名（志愿填报）",
            Self::Open => "正式报名",
            Self::Drop => "退课",
            Self::Supplementary => "补报名",
            Self::MidTerm => "插班报名",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Whether a parent may take a seat (first come, first served) in such a window.
    pub fn admits(self) -> bool {
        matches!(self, Self::Open | Self::Supplementary | Self::MidTerm)
    }
}

/// Where an enrollment (a student in a course or teaching class) stands. An enrollment is
/// never deleted: a dropped one keeps its history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrollmentStatus {
    /// Holds its seat until its order is paid or the hold runs out.
    PendingPayment,
    /// The student is in: paid, or free.
    Confirmed,
    /// Left after being confirmed (已退课).
    Dropped,
    /// The unpaid hold ran out; the seat went back.
    Expired,
    /// Withdrawn before it was confirmed, by the parent or the school.
    Cancelled,
}

impl EnrollmentStatus {
    pub const ALL: [Self; 5] = [
        Self::PendingPayment,
        Self::Confirmed,
        Self::Dropped,
        Self::Expired,
        Self::Cancelled,
    ];
    /// The states that hold a seat.
    pub const ACTIVE: [Self; 2] = [Self::PendingPayment, Self::Confirmed];

    pub fn code(self) -> &'static str {
        match self {
            Self::PendingPayment => "pending_payment",
            Self::Confirmed => "confirmed",
            Self::Dropped => "dropped",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::PendingPayment => "待支付",
            Self::Confirmed => "已报名",
            Self::Dropped => "已退课",
            Self::Expired => "已失效",
            Self::Cancelled => "已取消",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn is_active(self) -> bool {
        Self::ACTIVE.contains(&self)
    }

    /// The states it may move to.
    pub fn next(self) -> &'static [EnrollmentStatus] {
        match self {
            Self::PendingPayment => &[Self::Confirmed, Self::Expired, Self::Cancelled],
            Self::Confirmed => &[Self::Dropped],
            Self::Dropped | Self::Expired | Self::Cancelled => &[],
        }
    }

    pub fn can_become(self, to: Self) -> bool {
        self.next().contains(&to)
    }
}

/// Where an order stands. Paying is the money's; here an order waits for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    PendingPayment,
    Paid,
    /// Nothing to pay: confirmed when placed.
    Free,
    /// Confirmed when placed with nothing due yet: billed later for the lessons held.
    OnAccount,
    /// The seat hold ran out unpaid.
    Expired,
    Cancelled,
}

impl OrderStatus {
    pub const ALL: [Self; 6] = [
        Self::PendingPayment,
        Self::Paid,
        Self::Free,
        Self::OnAccount,
        Self::Expired,
        Self::Cancelled,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::PendingPayment => "pending_payment",
            Self::Paid => "paid",
            Self::Free => "free",
            Self::OnAccount => "on_account",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::PendingPayment => "待支付",
            Self::Paid => "已支付",
            Self::Free => "免费，已确认",
            Self::OnAccount => "已确认，按实际课时缴费",
            Self::Expired => "超时未支付，已关闭",
            Self::Cancelled => "已取消",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn next(self) -> &'static [OrderStatus] {
        match self {
            Self::PendingPayment => &[Self::Paid, Self::Expired, Self::Cancelled],
            Self::Paid | Self::Free | Self::OnAccount | Self::Expired | Self::Cancelled => &[],
        }
    }

    pub fn can_become(self, to: Self) -> bool {
        self.next().contains(&to)
    }
}

/// A place on a class's waitlist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitStatus {
    Waiting,
    /// A seat was offered: an enrollment was made for the student.
    Offered,
    /// Could not be offered (the student no longer fits the rules) or left by the parent.
    Withdrawn,
}

impl WaitStatus {
    pub const ALL: [Self; 3] = [Self::Waiting, Self::Offered, Self::Withdrawn];

    pub fn code(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Offered => "offered",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Waiting => "候补中",
            Self::Offered => "已递补",
            Self::Withdrawn => "已退出候补",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// A parent's request to drop a confirmed enrollment (F5), decided by the school.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropRequestStatus {
    Pending,
    /// The enrollment was dropped.
    Approved,
    Rejected,
    /// Taken back by the parent before the decision.
    Withdrawn,
}

impl DropRequestStatus {
    pub const ALL: [Self; 4] = [
        Self::Pending,
        Self::Approved,
        Self::Rejected,
        Self::Withdrawn,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "退课审核中",
            Self::Approved => "已同意退课",
            Self::Rejected => "退课未通过",
            Self::Withdrawn => "已撤回",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Only a waiting request is decided or withdrawn; a decided one stays as it is.
    pub fn can_become(self, to: Self) -> bool {
        self == Self::Pending && to != Self::Pending
    }
}

/// Where a parent asks to move a confirmed enrollment (I6): another class of the same
/// course (调班, the money stays) or a class of another course (调课, the old course's
/// refund pays towards the new one). The request's states are those of a drop request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Class,
    Course,
}

impl ChangeKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::Class => "class",
            Self::Course => "course",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::Class, Self::Course]
            .into_iter()
            .find(|k| k.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Class => "调班",
            Self::Course => "调课",
        }
    }

    /// A request's state in the parent's words, e.g. "调课审核中".
    pub fn status_label(self, s: DropRequestStatus) -> String {
        match s {
            DropRequestStatus::Pending => format!("{}审核中", self.label()),
            DropRequestStatus::Approved => format!("已{}", self.label()),
            DropRequestStatus::Rejected => format!("{}未通过", self.label()),
            DropRequestStatus::Withdrawn => "已撤回".into(),
        }
    }
}

/// Why one item of a selection was refused. The code is the API's; the label is what a
/// parent reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Full,
    TimeConflict,
    Exclusive,
    Grade,
    MaxCourses,
    WindowClosed,
    Duplicate,
    NoticeUnsigned,
    /// The class or course is not open for enrollment (not found for this student).
    Unavailable,
}

impl Refusal {
    pub const ALL: [Self; 9] = [
        Self::Full,
        Self::TimeConflict,
        Self::Exclusive,
        Self::Grade,
        Self::MaxCourses,
        Self::WindowClosed,
        Self::Duplicate,
        Self::NoticeUnsigned,
        Self::Unavailable,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::TimeConflict => "time_conflict",
            Self::Exclusive => "exclusive",
            Self::Grade => "grade",
            Self::MaxCourses => "max_courses",
            Self::WindowClosed => "window_closed",
            Self::Duplicate => "duplicate",
            Self::NoticeUnsigned => "notice_unsigned",
            Self::Unavailable => "unavailable",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Full => "名额已满",
            Self::TimeConflict => "上课时间冲突",
            Self::Exclusive => "与已报课程互斥",
            Self::Grade => "不在开课年级",
            Self::MaxCourses => "已达本学期选课上限",
            Self::WindowClosed => "不在报名时间内",
            Self::Duplicate => "已报过这门课",
            Self::NoticeUnsigned => "请先阅读并签署报名须知",
            Self::Unavailable => "该课程未开放报名",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// The optional fees a parent may add to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionalFee {
    Textbook,
    Misc,
}

impl OptionalFee {
    pub const ALL: [Self; 2] = [Self::Textbook, Self::Misc];

    pub fn code(self) -> &'static str {
        match self {
            Self::Textbook => "textbook",
            Self::Misc => "misc",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Textbook => "教材费",
            Self::Misc => "杂费",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.code() == code)
    }
}

/// Two lessons overlap when they share a date and their times intersect (end = start is
/// no overlap).
pub fn overlaps(
    a: (chrono::NaiveDate, chrono::NaiveTime, chrono::NaiveTime),
    b: (chrono::NaiveDate, chrono::NaiveTime, chrono::NaiveTime),
) -> bool {
    a.0 == b.0 && a.1 < b.2 && b.1 < a.2
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, NaiveTime};

    #[test]
    fn codes_round_trip() {
        for k in WindowKind::ALL {
            assert_eq!(WindowKind::parse(k.code()), Some(k));
        }
        for s in EnrollmentStatus::ALL {
            assert_eq!(EnrollmentStatus::parse(s.code()), Some(s));
        }
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.code()), Some(s));
        }
        for s in WaitStatus::ALL {
            assert_eq!(WaitStatus::parse(s.code()), Some(s));
        }
        for r in Refusal::ALL {
            assert_eq!(Refusal::parse(r.code()), Some(r));
        }
        for s in DropRequestStatus::ALL {
            assert_eq!(DropRequestStatus::parse(s.code()), Some(s));
        }
        for f in OptionalFee::ALL {
            assert_eq!(OptionalFee::parse(f.code()), Some(f));
        }
        assert_eq!(Refusal::parse("nope"), None);
    }

    #[test]
    fn transitions() {
        use EnrollmentStatus as E;
        assert!(E::PendingPayment.can_become(E::Confirmed));
        assert!(E::PendingPayment.can_become(E::Expired));
        assert!(E::Confirmed.can_become(E::Dropped));
        assert!(!E::Confirmed.can_become(E::Expired));
        assert!(!E::Dropped.can_become(E::Confirmed));
        assert!(!E::Expired.can_become(E::PendingPayment));
        assert!(E::PendingPayment.is_active() && E::Confirmed.is_active());
        assert!(!E::Dropped.is_active());
        use OrderStatus as O;
        assert!(O::PendingPayment.can_become(O::Paid));
        assert!(O::PendingPayment.can_become(O::Expired));
        assert!(!O::Free.can_become(O::Cancelled));
        assert!(!O::Expired.can_become(O::Paid));
        use DropRequestStatus as D;
        assert!(D::Pending.can_become(D::Approved) && D::Pending.can_become(D::Withdrawn));
        assert!(!D::Approved.can_become(D::Rejected) && !D::Rejected.can_become(D::Approved));
        assert!(!D::Pending.can_become(D::Pending) && !D::Withdrawn.can_become(D::Approved));
        assert!(WindowKind::Open.admits() && WindowKind::MidTerm.admits());
        assert!(!WindowKind::Drop.admits() && !WindowKind::PreRegistration.admits());
    }

    #[test]
    fn overlap() {
        let d = NaiveDate::from_ymd_opt(2026, 9, 7).unwrap_or_default();
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default();
        assert!(overlaps(
            (d, t(15, 0), t(15, 40)),
            (d, t(15, 30), t(16, 10))
        ));
        assert!(!overlaps(
            (d, t(15, 0), t(15, 40)),
            (d, t(15, 40), t(16, 20))
        ));
        assert!(!overlaps(
            (d, t(15, 0), t(15, 40)),
            (d.succ_opt().unwrap_or(d), t(15, 0), t(15, 40))
        ));
    }
}
