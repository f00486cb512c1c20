//! The school calendar (A5) and the bell schedule (D3): which dates are teaching days,
//! which weekday's timetable each follows, and the periods of a day.

use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};

use crate::field::FieldError;

/// A named stretch of days off inside a term (国庆节, 寒假…), both ends included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    pub name: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// Why a date outside the ordinary Monday–Friday rhythm is a teaching day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exception {
    /// 调休: a weekend day worked in place of a weekday given up elsewhere.
    Swapped,
    /// 补课: an extra day of lessons.
    MakeUp,
}

/// A date that is taught following the timetable of `follows`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtraDay {
    pub date: NaiveDate,
    pub follows: Weekday,
    pub kind: Exception,
}

/// What a date is in a term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    OutsideTerm,
    Holiday,
    Weekend,
    /// A teaching day, following the timetable of `schedule`.
    Teaching {
        schedule: Weekday,
        exception: Option<Exception>,
    },
}

/// A term's calendar. Built only through [`TermCalendar::new`], which checks it.
#[derive(Debug, Clone)]
pub struct TermCalendar {
    start: NaiveDate,
    end: NaiveDate,
    holidays: Vec<Holiday>,
    extra_days: Vec<ExtraDay>,
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

impl TermCalendar {
    pub fn new(
        start: NaiveDate,
        end: NaiveDate,
        holidays: Vec<Holiday>,
        extra_days: Vec<ExtraDay>,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        if end < start {
            errors.push(FieldError::new("end", "结束日期不能早于开始日期"));
        }
        let inside = |d: NaiveDate| d >= start && d <= end;
        for (i, h) in holidays.iter().enumerate() {
            if h.end < h.start {
                errors.push(FieldError::new(
                    format!("holidays[{i}]"),
                    format!("假期“{}”的结束日期早于开始日期", h.name),
                ));
            } else if !inside(h.start) || !inside(h.end) {
                errors.push(FieldError::new(
                    format!("holidays[{i}]"),
                    format!("假期“{}”不在学期内", h.name),
                ));
            }
        }
        for (i, x) in extra_days.iter().enumerate() {
            let field = format!("extra_days[{i}]");
            if !inside(x.date) {
                errors.push(FieldError::new(field, format!("{} 不在学期内", x.date)));
            } else if matches!(x.follows, Weekday::Sat | Weekday::Sun) {
                errors.push(FieldError::new(field, "只能按周一至周五的课表上课"));
            } else if x.kind == Exception::Swapped && !is_weekend(x.date) {
                errors.push(FieldError::new(
                    field,
                    format!("调休上课日 {} 应为周六或周日", x.date),
                ));
            } else if holidays
                .iter()
                .any(|h| x.date >= h.start && x.date <= h.end)
            {
                errors.push(FieldError::new(
                    field,
                    format!("{} 已设为假期，不能同时上课", x.date),
                ));
            } else if extra_days[..i].iter().any(|y| y.date == x.date) {
                errors.push(FieldError::new(field, format!("{} 重复设置", x.date)));
            }
        }
        if errors.is_empty() {
            Ok(Self {
                start,
                end,
                holidays,
                extra_days,
            })
        } else {
            Err(errors)
        }
    }

    pub fn start(&self) -> NaiveDate {
        self.start
    }

    pub fn end(&self) -> NaiveDate {
        self.end
    }

    /// Is `date` a teaching day, and which weekday's timetable applies.
    pub fn day(&self, date: NaiveDate) -> DayKind {
        if date < self.start || date > self.end {
            return DayKind::OutsideTerm;
        }
        if let Some(x) = self.extra_days.iter().find(|x| x.date == date) {
            return DayKind::Teaching {
                schedule: x.follows,
                exception: Some(x.kind),
            };
        }
        if self
            .holidays
            .iter()
            .any(|h| date >= h.start && date <= h.end)
        {
            return DayKind::Holiday;
        }
        if is_weekend(date) {
            return DayKind::Weekend;
        }
        DayKind::Teaching {
            schedule: date.weekday(),
            exception: None,
        }
    }

    /// Every teaching day of the term with the weekday timetable it follows.
    pub fn teaching_days(&self) -> impl Iterator<Item = (NaiveDate, Weekday)> + '_ {
        self.start
            .iter_days()
            .take_while(|d| *d <= self.end)
            .filter_map(|d| match self.day(d) {
                DayKind::Teaching { schedule, .. } => Some((d, schedule)),
                _ => None,
            })
    }

    /// How many times a lesson held on `weekday` takes place in the term.
    pub fn count_lessons(&self, weekday: Weekday) -> usize {
        self.teaching_days().filter(|(_, w)| *w == weekday).count()
    }
}

/// One period of the bell schedule (课后一 15:40–16:20).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub name: String,
    pub start: NaiveTime,
    pub end: NaiveTime,
}

/// Sorts the periods of one day type by start time and checks them: names present and
/// distinct, each ending after it starts, none overlapping the next.
pub fn check_periods(periods: &mut [Period]) -> Result<(), Vec<FieldError>> {
    periods.sort_by_key(|p| p.start);
    let mut errors = Vec::new();
    for (i, p) in periods.iter().enumerate() {
        let field = format!("periods[{i}]");
        if p.name.trim().is_empty() {
            errors.push(FieldError::new(field.clone(), "节次名称不能为空"));
        } else if periods[..i].iter().any(|q| q.name == p.name) {
            errors.push(FieldError::new(
                field.clone(),
                format!("节次“{}”重复", p.name),
            ));
        }
        if p.end <= p.start {
            errors.push(FieldError::new(
                field.clone(),
                format!("“{}”的结束时间应晚于开始时间", p.name),
            ));
        }
        if let Some(next) = periods.get(i + 1)
            && next.start < p.end
        {
            errors.push(FieldError::new(
                field,
                format!("“{}”与“{}”时间重叠", p.name, next.name),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The breaks between consecutive periods, in minutes (periods sorted by [`check_periods`]).
pub fn breaks(periods: &[Period]) -> Vec<i64> {
    periods
        .windows(2)
        .map(|w| (w[1].start - w[0].end).num_minutes())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn t(s: &str) -> NaiveTime {
        NaiveTime::parse_from_str(s, "%H:%M").expect("time")
    }

    /// Autumn 2026: National Day week off, Sunday 2026-09-27 worked as a Wednesday, a make-up
    /// Saturday 2026-10-10 following Friday.
    fn autumn() -> TermCalendar {
        TermCalendar::new(
            d("2026-09-01"),
            d("2027-01-22"),
            vec![Holiday {
                name: "国庆节".into(),
                start: d("2026-10-01"),
                end: d("2026-10-07"),
            }],
            vec![
                ExtraDay {
                    date: d("2026-09-27"),
                    follows: Weekday::Wed,
                    kind: Exception::Swapped,
                },
                ExtraDay {
                    date: d("2026-10-10"),
                    follows: Weekday::Fri,
                    kind: Exception::MakeUp,
                },
            ],
        )
        .expect("valid calendar")
    }

    #[test]
    fn a5_answers_what_each_date_is() {
        let c = autumn();
        assert_eq!(c.day(d("2026-08-31")), DayKind::OutsideTerm);
        assert_eq!(
            c.day(d("2026-09-01")),
            DayKind::Teaching {
                schedule: Weekday::Tue,
                exception: None
            }
        );
        assert_eq!(c.day(d("2026-09-05")), DayKind::Weekend);
        assert_eq!(
            c.day(d("2026-09-27")),
            DayKind::Teaching {
                schedule: Weekday::Wed,
                exception: Some(Exception::Swapped)
            }
        );
        assert_eq!(
            c.day(d("2026-10-05")),
            DayKind::Holiday,
            "a Monday inside the holiday"
        );
        assert_eq!(
            c.day(d("2026-10-10")),
            DayKind::Teaching {
                schedule: Weekday::Fri,
                exception: Some(Exception::MakeUp)
            }
        );
        assert_eq!(c.day(d("2027-01-23")), DayKind::OutsideTerm);
    }

    #[test]
    fn a5_counts_lessons_per_weekday() {
        let c = autumn();
        // 2026-09-01..2027-01-22 holds 21 Wednesdays; one falls in the holiday (10-07), the
        // swapped Sunday adds one.
        let wednesdays = d("2026-09-01")
            .iter_days()
            .take_while(|x| *x <= d("2027-01-22"))
            .filter(|x| x.weekday() == Weekday::Wed)
            .count();
        assert_eq!(wednesdays, 21);
        assert_eq!(c.count_lessons(Weekday::Wed), 21);
        let fridays = d("2026-09-01")
            .iter_days()
            .take_while(|x| *x <= d("2027-01-22"))
            .filter(|x| x.weekday() == Weekday::Fri)
            .count();
        assert_eq!(
            c.count_lessons(Weekday::Fri),
            fridays - 1 + 1,
            "holiday Friday 10-02 lost, make-up Saturday gained"
        );
        assert_eq!(c.count_lessons(Weekday::Sat), 0);
    }

    #[test]
    fn a5_rejects_inconsistent_calendars() {
        let h = |s, e| Holiday {
            name: "假".into(),
            start: d(s),
            end: d(e),
        };
        let x = |date, follows, kind| ExtraDay {
            date: d(date),
            follows,
            kind,
        };
        let cases = [
            (
                TermCalendar::new(d("2026-09-01"), d("2026-08-01"), vec![], vec![]),
                "end",
            ),
            (
                TermCalendar::new(
                    d("2026-09-01"),
                    d("2027-01-22"),
                    vec![h("2026-10-07", "2026-10-01")],
                    vec![],
                ),
                "holidays[0]",
            ),
            (
                TermCalendar::new(
                    d("2026-09-01"),
                    d("2027-01-22"),
                    vec![h("2027-01-20", "2027-02-20")],
                    vec![],
                ),
                "holidays[0]",
            ),
            (
                TermCalendar::new(
                    d("2026-09-01"),
                    d("2027-01-22"),
                    vec![],
                    vec![x("2026-09-28", Weekday::Wed, Exception::Swapped)],
                ),
                "extra_days[0]",
            ),
            (
                TermCalendar::new(
                    d("2026-09-01"),
                    d("2027-01-22"),
                    vec![],
                    vec![x("2026-09-26", Weekday::Sun, Exception::MakeUp)],
                ),
                "extra_days[0]",
            ),
            (
                TermCalendar::new(
                    d("2026-09-01"),
                    d("2027-01-22"),
                    vec![h("2026-10-01", "2026-10-07")],
                    vec![x("2026-10-03", Weekday::Mon, Exception::MakeUp)],
                ),
                "extra_days[0]",
            ),
            (
                TermCalendar::new(
                    d("2026-09-01"),
                    d("2027-01-22"),
                    vec![],
                    vec![
                        x("2026-09-26", Weekday::Mon, Exception::MakeUp),
                        x("2026-09-26", Weekday::Tue, Exception::MakeUp),
                    ],
                ),
                "extra_days[1]",
            ),
        ];
        for (result, field) in cases {
            let errors = result.expect_err("invalid");
            assert!(
                errors.iter().any(|e| e.field == field),
                "{field}: {errors:?}"
            );
        }
    }

    #[test]
    fn d3_periods_are_sorted_and_checked() {
        let p = |name: &str, s, e| Period {
            name: name.into(),
            start: t(s),
            end: t(e),
        };
        let mut ok = vec![p("课后二", "16:30", "17:10"), p("课后一", "15:40", "16:20")];
        assert!(check_periods(&mut ok).is_ok());
        assert_eq!(ok[0].name, "课后一");
        assert_eq!(breaks(&ok), vec![10]);
        let mut overlap = vec![p("课后一", "15:40", "16:20"), p("课后二", "16:10", "17:00")];
        assert!(check_periods(&mut overlap).is_err_and(|e| e[0].reason.contains("重叠")));
        let mut backwards = vec![p("课后一", "16:20", "15:40")];
        assert!(check_periods(&mut backwards).is_err());
        let mut duplicate = vec![p("课后一", "15:40", "16:20"), p("课后一", "16:30", "17:10")];
        assert!(check_periods(&mut duplicate).is_err());
        let mut unnamed = vec![p(" ", "15:40", "16:20")];
        assert!(check_periods(&mut unnamed).is_err());
    }
}
