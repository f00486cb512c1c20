//! School types, stages (学段) and grades (年级) (C1).

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Primary,
    Junior,
    Senior,
}

impl Stage {
    pub fn label(self) -> &'static str {
        match self {
            Self::Primary => "小学",
            Self::Junior => "初中",
            Self::Senior => "高中",
        }
    }

    /// The grades of the stage, numbered through all stages: 1–6 primary, 7–9 junior, 10–12 senior.
    pub fn grades(self) -> std::ops::RangeInclusive<u8> {
        match self {
            Self::Primary => 1..=6,
            Self::Junior => 7..=9,
            Self::Senior => 10..=12,
        }
    }
}

/// The display name of grade `n` (1–12): 一年级 … 九年级, 高一 … 高三.
pub fn grade_name(n: u8) -> String {
    const DIGITS: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        1..=9 => format!("{}年级", DIGITS[usize::from(n)]),
        10..=12 => format!("高{}", DIGITS[usize::from(n - 9)]),
        _ => format!("{n}年级"),
    }
}

/// The standard name of an administrative class: 三年级(2)班.
pub fn class_name(grade: u8, number: u8) -> String {
    format!("{}({number})班", grade_name(grade))
}

/// The type of a school, which decides its stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SchoolType {
    Primary,
    Junior,
    NineYear,
    Complete,
    TwelveYear,
}

impl SchoolType {
    pub const ALL: [SchoolType; 5] = [
        Self::Primary,
        Self::Junior,
        Self::NineYear,
        Self::Complete,
        Self::TwelveYear,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Primary => "primary",
            Self::Junior => "junior",
            Self::NineYear => "nine_year",
            Self::Complete => "complete",
            Self::TwelveYear => "twelve_year",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Primary => "小学",
            Self::Junior => "初中",
            Self::NineYear => "九年一贯制学校",
            Self::Complete => "完全中学",
            Self::TwelveYear => "十二年一贯制学校",
        }
    }

    pub fn parse(code: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|t| t.code() == code || t.label() == code)
            .ok_or_else(|| "学校类型无效".to_string())
    }

    pub fn stages(self) -> &'static [Stage] {
        match self {
            Self::Primary => &[Stage::Primary],
            Self::Junior => &[Stage::Junior],
            Self::NineYear => &[Stage::Primary, Stage::Junior],
            Self::Complete => &[Stage::Junior, Stage::Senior],
            Self::TwelveYear => &[Stage::Primary, Stage::Junior, Stage::Senior],
        }
    }

    pub fn grades(self) -> Vec<u8> {
        self.stages().iter().flat_map(|s| s.grades()).collect()
    }
}

/// 办学性质.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Nature {
    Public,
    Private,
}

impl Nature {
    pub fn code(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Private => "private",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Public => "公办",
            Self::Private => "民办",
        }
    }

    pub fn parse(code: &str) -> Result<Self, String> {
        [Self::Public, Self::Private]
            .into_iter()
            .find(|n| n.code() == code || n.label() == code)
            .ok_or_else(|| "办学性质应为公办或民办".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c1_types_decide_stages_and_grades() {
        assert_eq!(SchoolType::Primary.grades(), vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(SchoolType::NineYear.grades(), (1..=9).collect::<Vec<_>>());
        assert_eq!(
            SchoolType::Complete.stages(),
            &[Stage::Junior, Stage::Senior]
        );
        assert_eq!(grade_name(3), "三年级");
        assert_eq!(grade_name(9), "九年级");
        assert_eq!(grade_name(11), "高二");
        assert_eq!(class_name(3, 2), "三年级(2)班");
        assert_eq!(
            SchoolType::parse("九年一贯制学校"),
            Ok(SchoolType::NineYear)
        );
        assert!(SchoolType::parse("大学").is_err());
        assert_eq!(Nature::parse("民办"), Ok(Nature::Private));
        assert!(Nature::parse("other").is_err());
    }
}
