//! Resident identity card numbers (GB 11643-1999): 17 digits and a check character.

use chrono::NaiveDate;

/// A valid 18-character resident ID number, upper-case `X` as check character.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdCardNo(String);

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

/// The check character of the first 17 digits.
fn check_char(first17: &[u8]) -> u8 {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

impl IdCardNo {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() != 18
            || !b[..17].iter().all(u8::is_ascii_digit)
            || !(b[17].is_ascii_digit() || b[17] == b'X')
        {
            return Err("身份证号应为18位，前17位为数字，最后一位为数字或X".into());
        }
        if birth_date(b).is_none() {
            return Err("身份证号中的出生日期无效".into());
        }
        if check_char(&b[..17]) != b[17] {
            return Err("身份证号校验位不正确".into());
        }
        Ok(Self(s))
    }

    /// The valid number with these 17 digits: their check character appended.
    pub fn complete(first17: &str) -> Result<Self, String> {
        if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
            return Err("应为17位数字".into());
        }
        Self::parse(&format!(
            "{first17}{}",
            check_char(first17.as_bytes()) as char
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn birth_date(&self) -> NaiveDate {
        // Checked in `parse`.
        birth_date(self.0.as_bytes()).unwrap_or_default()
    }

    /// The 17th digit: odd for men, even for women.
    pub fn gender(&self) -> Gender {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 {
            Gender::Male
        } else {
            Gender::Female
        }
    }

    /// `4420**********123X`: the region prefix and the last four characters.
    pub fn masked(&self) -> String {
        format!("{}{}{}", &self.0[..4], "*".repeat(10), &self.0[14..])
    }
}

fn birth_date(b: &[u8]) -> Option<NaiveDate> {
    let digits = std::str::from_utf8(&b[6..14]).ok()?;
    NaiveDate::parse_from_str(digits, "%Y%m%d")
        .ok()
        .filter(|d| *d >= NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default())
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Male,
    Female,
}

impl Gender {
    pub fn label(self) -> &'static str {
        match self {
            Self::Male => "男",
            Self::Female => "女",
        }
    }

    pub fn parse(input: &str) -> Result<Self, String> {
        match input.trim() {
            "男" | "male" | "M" | "m" => Ok(Self::Male),
            "女" | "female" | "F" | "f" => Ok(Self::Female),
            _ => Err("性别应为“男”或“女”".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a valid number from 17 digits by appending the right check character.
    pub fn with_check(first17: &str) -> String {
        format!("{first17}{}", check_char(first17.as_bytes()) as char)
    }

    #[test]
    fn c6_accepts_valid_numbers_and_reads_them() {
        // The standard's own example.
        let id = IdCardNo::parse("11010519491231002X").expect("valid");
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).expect("date")
        );
        assert_eq!(id.gender(), Gender::Female);
        assert_eq!(id.masked(), "1101**********002X");
        let lower = IdCardNo::parse(" 11010519491231002x ").expect("lower-case x");
        assert_eq!(lower.as_str(), "11010519491231002X");
        let boy = IdCardNo::parse(&with_check("44200020150301003")).expect("valid");
        assert_eq!(boy.gender(), Gender::Male);
    }

    #[test]
    fn c6_rejects_bad_numbers() {
        assert_eq!(
            IdCardNo::parse("110105194912310021"),
            Err("身份证号校验位不正确".into())
        );
        assert!(
            IdCardNo::parse(&with_check("44200020150231003")).is_err(),
            "February 31st"
        );
        assert!(
            IdCardNo::parse(&with_check("44200018000101003")).is_err(),
            "before 1900"
        );
        for bad in [
            "",
            "11010519491231002",
            "1101051949123100211",
            "11010519491231002Y",
            "A1010519491231002X",
        ] {
            assert!(IdCardNo::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn gender_words() {
        assert_eq!(Gender::parse("男"), Ok(Gender::Male));
        assert_eq!(Gender::parse("female"), Ok(Gender::Female));
        assert!(Gender::parse("未知").is_err());
    }
}
