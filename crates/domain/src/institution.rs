//! Institutions (第三方机构): the unified social credit code they register with, the life of
//! their admission, what they offer and the documents they prove it with.

use std::fmt;

/// The characters of a unified social credit code (GB 32100-2015): digits and capitals
/// without I, O, S, V, Z; a character's value is its position.
const CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A unified social credit code (统一社会信用代码): 18 characters, the last a check
/// character over the first 17.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreditCode(String);

impl CreditCode {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let code = raw.trim().to_ascii_uppercase();
        if code.chars().count() != 18 {
            return Err("统一社会信用代码应为18位".into());
        }
        let mut values = Vec::with_capacity(18);
        for c in code.chars() {
            match CHARSET.find(c) {
                Some(v) => values.push(v as u32),
                None => {
                    return Err(format!(
                        "统一社会信用代码含有无效字符“{c}”（只能是数字和除I、O、S、V、Z外的大写字母）"
                    ));
                }
            }
        }
        let sum: u32 = values[..17].iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
        let check = (31 - sum % 31) % 31;
        if values[17] != check {
            return Err("统一社会信用代码校验位不正确，请核对".into());
        }
        Ok(Self(code))
    }

    /// Completes 17 characters with their check character (for generated demo data).
    pub fn with_check(first17: &str) -> Result<Self, String> {
        let values: Vec<u32> = first17
            .chars()
            .map(|c| CHARSET.find(c).map(|v| v as u32))
            .collect::<Option<_>>()
            .ok_or("无效字符")?;
        if values.len() != 17 {
            return Err("应为17位".into());
        }
        let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
        let check = ((31 - sum % 31) % 31) as usize;
        let c = CHARSET.chars().nth(check).ok_or("无效校验位")?;
        Self::parse(&format!("{first17}{c}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where an institution stands with its bureau.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstitutionStatus {
    /// Applied (or applied again), waiting for review.
    Pending,
    /// Sent back for more material.
    Returned,
    Admitted,
    Rejected,
    /// Admitted, then halted: its dispatches and courses are not offerable.
    Suspended,
    /// Out for good.
    Removed,
}

/// What can happen to an application or an admitted institution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstitutionAction {
    /// The applicant sends a returned application again.
    Resubmit,
    Approve,
    Reject,
    /// Back to the applicant for more material.
    Return,
    Suspend,
    Reinstate,
    Remove,
}

impl InstitutionStatus {
    pub const ALL: [Self; 6] = [
        Self::Pending,
        Self::Returned,
        Self::Admitted,
        Self::Rejected,
        Self::Suspended,
        Self::Removed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Returned => "returned",
            Self::Admitted => "admitted",
            Self::Rejected => "rejected",
            Self::Suspended => "suspended",
            Self::Removed => "removed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "待审核",
            Self::Returned => "退回补充材料",
            Self::Admitted => "已准入",
            Self::Rejected => "未通过",
            Self::Suspended => "已暂停",
            Self::Removed => "已清退",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The one transition function: the status after `action`, or why it cannot happen.
    pub fn next(self, action: InstitutionAction) -> Result<Self, &'static str> {
        use InstitutionAction as A;
        use InstitutionStatus as S;
        match (self, action) {
            (S::Returned, A::Resubmit) => Ok(S::Pending),
            (S::Pending, A::Approve) => Ok(S::Admitted),
            (S::Pending, A::Reject) => Ok(S::Rejected),
            (S::Pending, A::Return) => Ok(S::Returned),
            (S::Admitted, A::Suspend) => Ok(S::Suspended),
            (S::Suspended, A::Reinstate) => Ok(S::Admitted),
            (S::Admitted | S::Suspended, A::Remove) => Ok(S::Removed),
            (S::Admitted, A::Approve) => Err("该机构已准入"),
            (S::Rejected | S::Removed, _) => Err("该申请已办结，不能再处理"),
            (S::Pending, _) => Err("申请待审核，只能通过、驳回或退回补充材料"),
            (S::Returned, _) => Err("申请已退回，须等机构补充材料后重新提交"),
            (S::Admitted, _) => Err("已准入的机构只能暂停或清退"),
            (S::Suspended, _) => Err("已暂停的机构只能恢复或清退"),
        }
    }

    /// Whether the institution's teachers and courses may be offered to schools.
    pub fn offerable(self) -> bool {
        self == Self::Admitted
    }
}

impl InstitutionAction {
    pub const ALL: [Self; 7] = [
        Self::Resubmit,
        Self::Approve,
        Self::Reject,
        Self::Return,
        Self::Suspend,
        Self::Reinstate,
        Self::Remove,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Resubmit => "resubmit",
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Return => "return",
            Self::Suspend => "suspend",
            Self::Reinstate => "reinstate",
            Self::Remove => "remove",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Resubmit => "重新提交",
            Self::Approve => "审核通过",
            Self::Reject => "驳回",
            Self::Return => "退回补充材料",
            Self::Suspend => "暂停",
            Self::Reinstate => "恢复",
            Self::Remove => "清退",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }

    /// Whether the bureau must say why.
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            Self::Reject | Self::Return | Self::Suspend | Self::Remove
        )
    }

    /// Halting and removing are the leader's (一键喊停); the rest is review work.
    pub fn halts(self) -> bool {
        matches!(self, Self::Suspend | Self::Reinstate | Self::Remove)
    }
}

/// What an institution offers schools.
pub const SERVICE_TYPES: &[(&str, &str)] = &[
    ("care", "课后托管"),
    ("quality", "素质拓展"),
    ("featured", "特色课程"),
];

/// The documents an application carries; `required` ones must be there.
pub struct DocumentKind {
    pub code: &'static str,
    pub label: &'static str,
    pub required: bool,
}

pub const DOCUMENT_KINDS: &[DocumentKind] = &[
    DocumentKind {
        code: "business_license",
        label: "营业执照",
        required: true,
    },
    DocumentKind {
        code: "school_license",
        label: "办学许可证",
        required: false,
    },
    DocumentKind {
        code: "safety_pledge",
        label: "安全承诺书",
        required: true,
    },
    DocumentKind {
        code: "other",
        label: "其他材料",
        required: false,
    },
];

pub fn document_kind(code: &str) -> Option<&'static DocumentKind> {
    DOCUMENT_KINDS.iter().find(|k| k.code == code)
}

/// Education levels of a teacher (学历).
pub const EDUCATION: &[&str] = &["高中及以下", "大专", "本科", "硕士研究生", "博士研究生"];

/// Kinds of teacher certificate (教师资格证种类).
pub const CERTIFICATE_TYPES: &[&str] = &[
    "幼儿园",
    "小学",
    "初级中学",
    "高级中学",
    "中等职业学校",
    "专业技能证书",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_codes_check_their_last_character() {
        // Published codes of well-known organizations.
        for good in [
            "91350100M000100Y43",
            "91110000600037341L",
            "11100000000013127D",
        ] {
            assert!(CreditCode::parse(good).is_ok(), "{good}");
        }
        assert_eq!(
            CreditCode::parse(" 91350100m000100y43 ").map(|c| c.to_string()),
            Ok("91350100M000100Y43".into())
        );
        assert!(CreditCode::parse("91350100M000100Y44").is_err(), "check");
        assert!(CreditCode::parse("91350100M000100Y4").is_err(), "length");
        assert!(CreditCode::parse("91350100I000100Y43").is_err(), "charset");
        assert!(
            CreditCode::parse("９1350100M000100Y43").is_err(),
            "full width"
        );
        let made = CreditCode::with_check("52442000MJ0000001").expect("made");
        assert!(CreditCode::parse(made.as_str()).is_ok());
    }

    #[test]
    fn every_status_and_action_pair_has_one_answer() {
        use InstitutionAction as A;
        use InstitutionStatus as S;
        let allowed = [
            (S::Returned, A::Resubmit, S::Pending),
            (S::Pending, A::Approve, S::Admitted),
            (S::Pending, A::Reject, S::Rejected),
            (S::Pending, A::Return, S::Returned),
            (S::Admitted, A::Suspend, S::Suspended),
            (S::Suspended, A::Reinstate, S::Admitted),
            (S::Admitted, A::Remove, S::Removed),
            (S::Suspended, A::Remove, S::Removed),
        ];
        for s in S::ALL {
            for a in A::ALL {
                let want = allowed
                    .iter()
                    .find(|(from, act, _)| *from == s && *act == a)
                    .map(|(_, _, to)| *to);
                match (s.next(a), want) {
                    (Ok(got), Some(to)) => assert_eq!(got, to, "{s:?} {a:?}"),
                    (Err(reason), None) => assert!(!reason.is_empty()),
                    (got, want) => panic!("{s:?} {a:?}: {got:?}, want {want:?}"),
                }
            }
            assert_eq!(S::parse(s.code()), Some(s));
        }
        assert!(S::Admitted.offerable());
        assert!(!S::Suspended.offerable() && !S::Pending.offerable());
    }
}

/// Where a teacher's dispatch to a school stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DispatchStatus {
    Active,
    Cancelled,
}

impl DispatchStatus {
    pub fn code(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "有效",
            Self::Cancelled => "已取消",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::Active, Self::Cancelled]
            .into_iter()
            .find(|s| s.code() == code)
    }

    /// The one transition: an active dispatch may be cancelled, once.
    pub fn cancel(self) -> Result<Self, &'static str> {
        match self {
            Self::Active => Ok(Self::Cancelled),
            Self::Cancelled => Err("该派遣已取消"),
        }
    }
}

/// Whether two date ranges (both ends included) share a day.
pub fn overlaps(
    a: (chrono::NaiveDate, chrono::NaiveDate),
    b: (chrono::NaiveDate, chrono::NaiveDate),
) -> bool {
    a.0 <= b.1 && b.0 <= a.1
}

#[cfg(test)]
mod dispatch_tests {
    use super::*;

    #[test]
    fn a_dispatch_is_cancelled_once_and_ranges_overlap_by_shared_days() {
        assert_eq!(
            DispatchStatus::Active.cancel(),
            Ok(DispatchStatus::Cancelled)
        );
        assert!(DispatchStatus::Cancelled.cancel().is_err());
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        let autumn = (d("2026-09-01"), d("2027-01-31"));
        assert!(
            overlaps(autumn, (d("2027-01-31"), d("2027-06-30"))),
            "one shared day"
        );
        assert!(!overlaps(autumn, (d("2027-02-01"), d("2027-06-30"))));
        assert!(
            overlaps(autumn, (d("2026-10-01"), d("2026-10-07"))),
            "inside"
        );
    }
}
