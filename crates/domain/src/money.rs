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

    /// The amount in Chinese capital numerals, as receipts write it: `叁佰元整`,
    /// `壹仟贰佰元零伍分`.
    pub fn in_words(self) -> String {
        const DIGITS: [&str; 10] = ["零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"];
        const UNITS: [&str; 4] = ["", "拾", "佰", "仟"];
        const GROUPS: [&str; 3] = ["", "万", "亿"];
        let negative = self.0 < 0;
        let abs = self.0.unsigned_abs();
        let (mut yuan, jiao, fen) = (abs / 100, (abs / 10 % 10) as usize, (abs % 10) as usize);
        let mut out = String::new();
        if yuan > 0 {
            // Four-digit groups from the lowest, each with its own zeros.
            let mut groups = Vec::new();
            while yuan > 0 {
                groups.push((yuan % 10_000) as usize);
                yuan /= 10_000;
            }
            let mut zero_pending = false;
            for (gi, g) in groups.iter().enumerate().rev() {
                if *g == 0 {
                    zero_pending = true;
                    continue;
                }
                if zero_pending || (!out.is_empty() && *g < 1000) {
                    out.push_str(DIGITS[0]);
                }
                zero_pending = false;
                let mut inner_zero = false;
                for pos in (0..4).rev() {
                    let d = g / 10usize.pow(pos as u32) % 10;
                    if d == 0 {
                        inner_zero = true;
                        continue;
                    }
                    if inner_zero && g / 10usize.pow(pos as u32 + 1) > 0 {
                        out.push_str(DIGITS[0]);
                    }
                    inner_zero = false;
                    out.push_str(DIGITS[d]);
                    out.push_str(UNITS[pos]);
                }
                out.push_str(GROUPS[gi.min(2)]);
            }
            out.push('元');
        }
        match (jiao, fen) {
            (0, 0) => {
                if out.is_empty() {
                    out.push_str("零元");
                }
                out.push('整');
            }
            (j, 0) => {
                out.push_str(DIGITS[j]);
                out.push('角');
            }
            (j, f) => {
                if j > 0 {
                    out.push_str(DIGITS[j]);
                    out.push('角');
                } else if !out.is_empty() {
                    out.push_str(DIGITS[0]);
                }
                out.push_str(DIGITS[f]);
                out.push('分');
            }
        }
        if negative { format!("负{out}") } else { out }
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

    #[test]
    fn amounts_are_written_in_capital_numerals() {
        for (fen, words) in [
            (30000, "叁佰元整"),
            (120005, "壹仟贰佰元零伍分"),
            (0, "零元整"),
            (5, "伍分"),
            (150, "壹元伍角"),
            (100_100, "壹仟零壹元整"),
            (1_000_000, "壹万元整"),
            (1_005_000, "壹万零伍拾元整"),
            (12_345_678, "壹拾贰万叁仟肆佰伍拾陆元柒角捌分"),
            (10_000_000_000, "壹亿元整"),
        ] {
            assert_eq!(Fen(fen).in_words(), words, "{fen}");
        }
    }
}
