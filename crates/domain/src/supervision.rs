//! Supervision rules: patrol (巡课) tasks and the scores a patrol teacher gives.

use chrono::{Datelike, NaiveDate};

/// The lowest and highest score of a lesson or a teacher (stars).
pub const SCORE_MIN: i32 = 1;
pub const SCORE_MAX: i32 = 5;
/// The most photos one patrol record keeps.
pub const PHOTOS_MAX: usize = 3;
/// The largest photo, in bytes.
pub const PHOTO_MAX_BYTES: usize = 5 * 1024 * 1024;
/// The longest span of one patrol task, in days.
pub const TASK_MAX_DAYS: i64 = 200;

/// A score of 1 to 5 stars.
pub fn score(value: i32) -> Result<i32, String> {
    if (SCORE_MIN..=SCORE_MAX).contains(&value) {
        Ok(value)
    } else {
        Err(format!("评分应为{SCORE_MIN}到{SCORE_MAX}分"))
    }
}

/// The weekdays of a task as stored: digits 1 (Monday) to 7 (Sunday), each once, in order.
pub fn weekdays(days: &[u32]) -> Result<String, String> {
    let mut sorted: Vec<u32> = days.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.is_empty() {
        return Err("请至少选择一天".into());
    }
    if sorted.iter().any(|d| !(1..=7).contains(d)) {
        return Err("星期应为1到7".into());
    }
    Ok(sorted.iter().map(u32::to_string).collect())
}

/// "周一、周三" for stored weekdays.
pub fn weekdays_label(stored: &str) -> String {
    const NAMES: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
    stored
        .chars()
        .filter_map(|c| c.to_digit(10))
        .filter(|d| (1..=7).contains(d))
        .map(|d| NAMES[d as usize - 1])
        .collect::<Vec<_>>()
        .join("、")
}

/// Whether a task with these stored weekdays is due on `date`.
pub fn due_on(stored: &str, date: NaiveDate) -> bool {
    let d = date.weekday().number_from_monday();
    stored
        .chars()
        .filter_map(|c| c.to_digit(10))
        .any(|x| x == d)
}

/// The days a task is due from `from` to `to` (both included), in order.
pub fn due_days(stored: &str, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    from.iter_days()
        .take_while(|d| *d <= to)
        .filter(|d| due_on(stored, *d))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn scores_are_one_to_five() {
        assert_eq!(score(1), Ok(1));
        assert_eq!(score(5), Ok(5));
        assert!(score(0).is_err());
        assert!(score(6).is_err());
        assert!(score(-3).is_err());
    }

    #[test]
    fn weekdays_are_stored_sorted_once() {
        assert_eq!(weekdays(&[5, 1, 3, 1]), Ok("135".into()));
        assert!(weekdays(&[]).is_err());
        assert!(weekdays(&[0]).is_err());
        assert!(weekdays(&[8]).is_err());
        assert_eq!(weekdays_label("135"), "周一、周三、周五");
    }

    #[test]
    fn due_days_follow_the_weekdays() {
        // 2026-11-30 is a Monday.
        let days = due_days("15", date("2026-11-30"), date("2026-12-13"));
        assert_eq!(
            days,
            vec![
                date("2026-11-30"),
                date("2026-12-04"),
                date("2026-12-07"),
                date("2026-12-11")
            ]
        );
        assert!(due_days("15", date("2026-12-02"), date("2026-12-01")).is_empty());
        assert!(due_on("7", date("2026-12-06")));
        assert!(!due_on("7", date("2026-12-05")));
    }
}
