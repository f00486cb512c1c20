//! The password policy: at least 8 characters, with letters and digits.

/// A new password that meets the policy. The plain text never reaches `Debug` output.
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 64;

    pub fn parse(input: &str) -> Result<Self, String> {
        let chars = input.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(format!("密码至少{}位", Self::MIN_CHARS));
        }
        if chars > Self::MAX_CHARS {
            return Err(format!("密码不能超过{}位", Self::MAX_CHARS));
        }
        if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("密码不能包含空格或控制字符".into());
        }
        let has_letter = input.chars().any(|c| c.is_ascii_alphabetic());
        let has_digit = input.chars().any(|c| c.is_ascii_digit());
        if !(has_letter && has_digit) {
            return Err("密码须同时包含字母和数字".into());
        }
        Ok(Self(input.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert!(Password::parse("Demo@2026").is_ok());
        assert!(Password::parse("abcd1234").is_ok());
        assert!(Password::parse("abc123").is_err(), "too short");
        assert!(Password::parse("abcdefgh").is_err(), "no digit");
        assert!(Password::parse("12345678").is_err(), "no letter");
        assert!(Password::parse("abcd 1234").is_err(), "space");
        assert!(
            Password::parse(&format!("a1{}", "x".repeat(70))).is_err(),
            "too long"
        );
    }

    #[test]
    fn debug_hides_the_secret() {
        let p = Password::parse("Secret123").map(|p| format!("{p:?}"));
        assert_eq!(p.as_deref(), Ok("Password(***)"));
    }
}
