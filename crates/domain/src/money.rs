//! Money is counted in fen (分, 1/100 yuan) as an integer; never as a float.

use std::fmt;

/// An amount of money in fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fen(pub i64);

impl Fen {
    /// Reads an amount of yuan as people type it: `25`, `25.5`, `25.50`, `¥1,200.00`.
    /// At most two decimals; not negative.
    pub fn parse_yuan(raw: &str) -> Result<Self, String> {
        let text: String = raw
            .trim()
            .trim_start_matches(['¥', '￥'])
            .chars()
            .filter(|c| *c != ',')
            .collect();
        if text.is_empty() {
            return Err("请填写金额".into());
        }
        let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
        if whole.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return Err("金额应为数字，如 25 或 25.50".into());
        }
        if fraction.len() > 2 {
            return Err("金额最多两位小数".into());
        }
        if whole.len() > 9 {
            return Err("金额过大".into());
        }
        let yuan: i64 = whole.parse().map_err(|_| "金额过大".to_string())?;
        let cents: i64 = format!("{fraction:0<2}").parse().unwrap_or(0);
        Ok(Self(yuan * 100 + cents))
    }

    pub fn fen(self) -> i64 {
        self.0
    }
}

/// `25.00`: yuan with two decimals, for forms and exports.
impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_are_read_exactly_and_shown_with_two_decimals() {
        assert_eq!(Fen::parse_yuan("25"), Ok(Fen(2500)));
        assert_eq!(Fen::parse_yuan("25.5"), Ok(Fen(2550)));
        assert_eq!(Fen::parse_yuan(" ¥1,200.05 "), Ok(Fen(120005)));
        assert_eq!(Fen::parse_yuan("0.1"), Ok(Fen(10)));
        for bad in ["", "-1", "1.234", "abc", "1e3", "1.2.3", ".5", "9999999999"] {
            assert!(Fen::parse_yuan(bad).is_err(), "{bad}");
        }
        assert_eq!(Fen(120005).to_string(), "1200.05");
        assert_eq!(Fen(7).to_string(), "0.07");
        assert_eq!(Fen(-250).to_string(), "-2.50");
    }
}
