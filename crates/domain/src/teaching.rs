//! Teaching classes (教学班): their lifecycle, and the weekly-time vocabulary of the
//! timetable.

/// Where a teaching class is in its life. planned → open (enrollment) → running (lessons
/// under way) → closed; a planned or open class may also go back one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassStatus {
    Planned,
    Open,
    Running,
    Closed,
}

impl ClassStatus {
    pub const ALL: [Self; 4] = [Self::Planned, Self::Open, Self::Running, Self::Closed];

    pub fn code(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::Open => "open",
            Self::Running => "running",
            Self::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Planned => "筹备中",
            Self::Open => "报名中",
            Self::Running => "上课中",
            Self::Closed => "已结课",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The states it may move to.
    pub fn next(self) -> &'static [ClassStatus] {
        match self {
            Self::Planned => &[Self::Open],
            Self::Open => &[Self::Planned, Self::Running],
            Self::Running => &[Self::Closed],
            Self::Closed => &[],
        }
    }

    pub fn can_become(self, to: ClassStatus) -> bool {
        self.next().contains(&to)
    }

    /// Whether the class's course, teachers and times may still change.
    pub fn editable(self) -> bool {
        matches!(self, Self::Planned | Self::Open)
    }
}

/// What a time preference asks of the solver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreferenceKind {
    /// Never at this time (hard).
    Forbidden,
    /// Rather at these times (soft).
    Preferred,
}

impl PreferenceKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::Forbidden => "forbidden",
            Self::Preferred => "preferred",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Forbidden => "不可排",
            Self::Preferred => "优先排",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::Forbidden, Self::Preferred]
            .into_iter()
            .find(|k| k.code() == code)
    }
}

/// Whose time a preference is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreferenceTarget {
    /// An offered course (offering item): all its teaching classes.
    Course,
    Staff,
    InstitutionTeacher,
    Room,
}

impl PreferenceTarget {
    pub const ALL: [Self; 4] = [
        Self::Course,
        Self::Staff,
        Self::InstitutionTeacher,
        Self::Room,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Course => "course",
            Self::Staff => "staff",
            Self::InstitutionTeacher => "institution_teacher",
            Self::Room => "room",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Course => "课程",
            Self::Staff => "本校教师",
            Self::InstitutionTeacher => "机构教师",
            Self::Room => "场室",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g1_lifecycle_is_explicit() {
        use ClassStatus::*;
        assert!(Planned.can_become(Open));
        assert!(Open.can_become(Running));
        assert!(Open.can_become(Planned));
        assert!(Running.can_become(Closed));
        assert!(!Planned.can_become(Running));
        assert!(!Closed.can_become(Open));
        assert!(!Running.can_become(Planned));
        assert!(Planned.editable() && Open.editable());
        assert!(!Running.editable() && !Closed.editable());
        for s in ClassStatus::ALL {
            assert_eq!(ClassStatus::parse(s.code()), Some(s));
        }
    }
}
