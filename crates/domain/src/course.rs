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
    }
}
