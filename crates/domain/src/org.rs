//! The organization tree: platform > city bureau > district bureau > town-street bureau;
//! schools under a bureau; institutions registered with a bureau; operators.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    Platform,
    Bureau,
    School,
    Institution,
    Operator,
}

impl OrgKind {
    pub const ALL: [OrgKind; 5] = [
        Self::Platform,
        Self::Bureau,
        Self::School,
        Self::Institution,
        Self::Operator,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Platform => "platform",
            Self::Bureau => "bureau",
            Self::School => "school",
            Self::Institution => "institution",
            Self::Operator => "operator",
        }
    }

    pub fn parse(code: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.code() == code)
            .ok_or_else(|| format!("未知的组织类型：{code}"))
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Platform => "平台",
            Self::Bureau => "教育局",
            Self::School => "学校",
            Self::Institution => "第三方机构",
            Self::Operator => "运营方",
        }
    }
}

/// The level of a bureau in the administrative hierarchy.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum BureauLevel {
    City,
    District,
    Street,
}

impl BureauLevel {
    pub const ALL: [BureauLevel; 3] = [Self::City, Self::District, Self::Street];

    pub fn code(self) -> &'static str {
        match self {
            Self::City => "city",
            Self::District => "district",
            Self::Street => "street",
        }
    }

    pub fn parse(code: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|l| l.code() == code)
            .ok_or_else(|| format!("未知的教育局级别：{code}"))
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::City => "市级教育局",
            Self::District => "区（县）教育局",
            Self::Street => "镇街教育办",
        }
    }
}

/// What an organization is, as far as the tree's rules are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgType {
    pub kind: OrgKind,
    /// Set for bureaus, `None` for everything else.
    pub level: Option<BureauLevel>,
}

impl OrgType {
    /// Builds a type from its stored codes, requiring a level exactly for bureaus.
    pub fn new(kind: OrgKind, level: Option<BureauLevel>) -> Result<Self, String> {
        match (kind, level) {
            (OrgKind::Bureau, None) => Err("教育局必须选择级别".into()),
            (OrgKind::Bureau, Some(_)) | (_, None) => Ok(Self { kind, level }),
            (_, Some(_)) => Err("只有教育局有级别".into()),
        }
    }

    pub fn label(self) -> &'static str {
        match self.level {
            Some(level) => level.label(),
            None => self.kind.label(),
        }
    }

    /// Whether an organization of type `child` may sit directly under one of type `self`.
    ///
    /// Bureaus nest downwards (a city may hold town-street offices directly, as small cities
    /// without districts do); schools and institutions belong to a bureau; operators to the
    /// platform or a bureau; nothing sits under a school, institution or operator.
    pub fn may_contain(self, child: OrgType) -> Result<(), String> {
        use OrgKind::*;
        let ok = match (self.kind, child.kind) {
            (_, Platform) => false,
            (Platform, Bureau) => child.level == Some(BureauLevel::City),
            (Bureau, Bureau) => child.level > self.level,
            (Bureau, School | Institution | Operator) => true,
            (Platform, Operator) => true,
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(format!("{}下不能设立{}", self.label(), child.label()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(kind: OrgKind, level: Option<BureauLevel>) -> OrgType {
        OrgType { kind, level }
    }

    #[test]
    fn a2_tree_rules() {
        let platform = t(OrgKind::Platform, None);
        let city = t(OrgKind::Bureau, Some(BureauLevel::City));
        let district = t(OrgKind::Bureau, Some(BureauLevel::District));
        let street = t(OrgKind::Bureau, Some(BureauLevel::Street));
        let school = t(OrgKind::School, None);
        let institution = t(OrgKind::Institution, None);
        assert!(platform.may_contain(city).is_ok());
        assert!(platform.may_contain(street).is_err());
        assert!(city.may_contain(district).is_ok());
        assert!(city.may_contain(street).is_ok());
        assert!(district.may_contain(street).is_ok());
        assert!(street.may_contain(district).is_err());
        assert!(district.may_contain(district).is_err());
        assert!(street.may_contain(school).is_ok());
        assert!(city.may_contain(institution).is_ok());
        assert!(school.may_contain(school).is_err());
        assert!(platform.may_contain(school).is_err());
        assert!(city.may_contain(platform).is_err());
    }

    #[test]
    fn only_bureaus_have_levels() {
        assert!(OrgType::new(OrgKind::Bureau, None).is_err());
        assert!(OrgType::new(OrgKind::School, Some(BureauLevel::City)).is_err());
        assert!(OrgType::new(OrgKind::School, None).is_ok());
        assert_eq!(OrgKind::parse("school"), Ok(OrgKind::School));
        assert!(OrgKind::parse("club").is_err());
    }
}
