//! Mainland China mobile numbers, the login name of every account.

use std::fmt;

/// An 11-digit mainland mobile number starting with 1 and a second digit 3–9.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(String);

impl Phone {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        let bytes = s.as_bytes();
        let well_formed = bytes.len() == 11
            && bytes.iter().all(u8::is_ascii_digit)
            && bytes[0] == b'1'
            && (b'3'..=b'9').contains(&bytes[1]);
        if well_formed {
            Ok(Self(s.to_string()))
        } else {
            Err("手机号格式不正确，应为11位大陆手机号".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****0007`: for lists shown to people who may not see the whole number.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_mainland_mobiles() {
        assert_eq!(
            Phone::parse(" 13800000007 ").map(|p| p.to_string()),
            Ok("13800000007".into())
        );
        assert!(Phone::parse("19912345678").is_ok());
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "",
            "1380000000",
            "138000000071",
            "12800000007",
            "23800000007",
            "1380000000a",
            "+8613800000007",
            "１３８００００００７",
        ] {
            assert!(Phone::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn masks_the_middle() {
        assert_eq!(
            Phone::parse("13800000007").map(|p| p.masked()),
            Ok("138****0007".into())
        );
    }
}
