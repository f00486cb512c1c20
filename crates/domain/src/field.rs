//! Per-field validation errors, shared by every form and endpoint.

use serde::Serialize;

/// One rejected field: which one, and why (in the UI's language).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// A collection of field errors; empty means the input was accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    pub fn push(&mut self, field: &str, reason: impl Into<String>) {
        self.0.push(FieldError::new(field, reason));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Collects the error of a parse result, returning the value when it parsed.
    pub fn take<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(reason) => {
                self.push(field, reason);
                None
            }
        }
    }

    /// Reads an optional `YYYY-MM-DD` date as forms send it: blank is `None`, anything else
    /// that is not a date is this field's error.
    pub fn date(&mut self, field: &str, value: &str) -> Option<chrono::NaiveDate> {
        match value.trim() {
            "" => None,
            v => chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| self.push(field, "日期格式应为 YYYY-MM-DD"))
                .ok(),
        }
    }

    /// Trims a required text field and checks its length in characters.
    pub fn text(&mut self, field: &str, value: &str, max_chars: usize) -> Option<String> {
        self.take(field, required_text(value, max_chars))
    }

    /// Trims an optional text field: blank becomes `None`.
    pub fn optional_text(
        &mut self,
        field: &str,
        value: Option<&str>,
        max_chars: usize,
    ) -> Option<Option<String>> {
        match value.map(str::trim) {
            None | Some("") => Some(None),
            Some(v) => self.take(field, required_text(v, max_chars)).map(Some),
        }
    }

    /// An optional multi-line text (an intro, a résumé): line breaks are kept (CR LF made
    /// LF), blank is empty, other forbidden characters refused.
    pub fn multiline(
        &mut self,
        field: &str,
        value: Option<&str>,
        max_chars: usize,
    ) -> Option<String> {
        let value = value.unwrap_or("").replace("\r\n", "\n");
        let value = value.trim();
        if value.chars().count() > max_chars {
            self.push(field, format!("不能超过{max_chars}个字符"));
            return None;
        }
        if value.chars().any(|c| c != '\n' && forbidden_char(c)) {
            self.push(field, "不能包含控制字符、文字方向控制符或非字符");
            return None;
        }
        Some(value.to_string())
    }
}

/// Characters no text field accepts: controls, the bidirectional overrides and isolates
/// that make text display in another order than it is stored (U+202E turns "txt.exe" into
/// "exe.txt"), and noncharacters (U+FFFE…), which also make spreadsheets unreadable.
pub fn forbidden_char(c: char) -> bool {
    let cp = u32::from(c);
    c.is_control()
        || matches!(cp, 0x061C | 0x200E | 0x200F | 0x202A..=0x202E | 0x2066..=0x2069)
        || (0xFDD0..=0xFDEF).contains(&cp)
        || cp & 0xFFFE == 0xFFFE
}

/// A required single-line text: trimmed, not empty, at most `max_chars` characters, no
/// control, bidirectional-override or noncharacter code points.
pub fn required_text(value: &str, max_chars: usize) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err("不能为空".into());
    }
    if value.chars().count() > max_chars {
        return Err(format!("不能超过{max_chars}个字符"));
    }
    if value.chars().any(forbidden_char) {
        return Err("不能包含控制字符、文字方向控制符或非字符".into());
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(required_text("  示例小学 ", 10), Ok("示例小学".to_string()));
        assert!(required_text("   ", 10).is_err());
        assert!(required_text(&"字".repeat(11), 10).is_err());
        let mut invalid = Invalid::default();
        assert_eq!(
            invalid.multiline("intro", Some(" 一\r\n二 "), 10),
            Some("一\n二".into())
        );
        assert_eq!(invalid.multiline("intro", None, 10), Some(String::new()));
        assert_eq!(invalid.multiline("intro", Some("a\u{202E}b"), 10), None);
        assert_eq!(invalid.multiline("intro", Some(&"字".repeat(11)), 10), None);
        assert_eq!(invalid.0.len(), 2);
        assert!(required_text("a\u{0}b", 10).is_err());
        // Bidi overrides and isolates, marks and noncharacters are refused.
        for bad in [
            "\u{202E}exe.txt",
            "a\u{2066}b",
            "a\u{200F}",
            "x\u{FFFE}",
            "\u{FDD0}",
            "\u{1FFFF}",
        ] {
            assert!(required_text(bad, 20).is_err(), "{bad:?}");
        }
        // Chinese, emoji and other ordinary text pass.
        assert!(required_text("周俊 😀 O'Brien", 20).is_ok());
        // SQL-looking text is ordinary text.
        assert_eq!(
            required_text("x'; DROP TABLE users;--", 100).as_deref(),
            Ok("x'; DROP TABLE users;--")
        );
    }

    #[test]
    fn optional_text_blank_is_none() {
        let mut invalid = Invalid::default();
        assert_eq!(invalid.optional_text("code", Some("  "), 5), Some(None));
        assert_eq!(invalid.optional_text("code", None, 5), Some(None));
        assert_eq!(invalid.optional_text("code", Some("123456"), 5), None);
        assert_eq!(invalid.0.len(), 1);
    }
}
