//! Teaching: teaching classes (教学班) made from the approved offering, the weekly
//! timetable the solver builds from them and the school's settings, the dated lessons
//! (课次) the timetable and the term calendar give, and the timetables everyone reads.

pub mod class;
pub mod lesson;
pub mod schedule;
pub mod settings;
pub mod timetable;

use chrono::NaiveTime;
use kehou_domain::Permission;
use kehou_store::entity::org;
use kehou_store::sea_orm::ConnectionTrait;

use crate::school::calendar::{self, PeriodView, TermView};
use crate::{Actor, App, Error, Result};

/// The school, its term and its bell schedule: what every teaching use case starts from.
pub(crate) struct Term {
    pub school: org::Model,
    pub term: TermView,
    pub bell: Bell,
}

/// The after-school periods of each weekday, numbered from 1 in the order of the day.
#[derive(Debug, Clone, Default)]
pub struct Bell {
    /// Index 0 = Monday … 6 = Sunday.
    pub days: [Vec<BellPeriod>; 7],
}

#[derive(Debug, Clone)]
pub struct BellPeriod {
    pub no: i32,
    pub name: String,
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl Bell {
    pub fn from_periods(periods: &[PeriodView]) -> Self {
        let mut bell = Bell::default();
        for p in periods {
            let (Ok(start), Ok(end)) = (
                NaiveTime::parse_from_str(&p.start, "%H:%M"),
                NaiveTime::parse_from_str(&p.end, "%H:%M"),
            ) else {
                continue;
            };
            for w in &p.weekdays {
                if let Some(day) = bell.days.get_mut(usize::from(*w).wrapping_sub(1)) {
                    day.push(BellPeriod {
                        no: 0,
                        name: p.name.clone(),
                        start,
                        end,
                    });
                }
            }
        }
        for day in &mut bell.days {
            day.sort_by_key(|p| p.start);
            for (i, p) in day.iter_mut().enumerate() {
                p.no = i32::try_from(i + 1).unwrap_or(i32::MAX);
            }
        }
        bell
    }

    /// The period `no` of weekday `weekday` (1 = Monday).
    pub fn period(&self, weekday: i32, no: i32) -> Option<&BellPeriod> {
        let day = self
            .days
            .get(usize::try_from(weekday.checked_sub(1)?).ok()?)?;
        day.get(usize::try_from(no.checked_sub(1)?).ok()?)
    }

    /// The weekdays (1 = Monday) that have periods.
    pub fn weekdays(&self) -> Vec<i32> {
        (1..=7)
            .filter(|w| !self.days[(*w - 1) as usize].is_empty())
            .collect()
    }

    /// The most periods any day has.
    pub fn max_periods(&self) -> usize {
        self.days.iter().map(Vec::len).max().unwrap_or(0)
    }
}

pub(crate) async fn load_bell(db: &impl ConnectionTrait, school_id: i64) -> Result<Bell> {
    Ok(Bell::from_periods(
        &calendar::periods_of(db, school_id).await?,
    ))
}

/// The school and term after the permission (403) and scope (404) checks.
pub(crate) async fn term_for(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    permission: Permission,
) -> Result<Term> {
    let school = crate::school::school_for(&app.db, actor, school_id, permission).await?;
    let term = calendar::term_of(&app.db, school.id, term_id).await?;
    let bell = load_bell(&app.db, school.id).await?;
    Ok(Term { school, term, bell })
}

/// The school and term for what runs without a person (demo data, benchmark).
pub(crate) async fn system_term(
    db: &impl ConnectionTrait,
    school_id: i64,
    term_id: i64,
) -> Result<Term> {
    let school = crate::system::load_any_school(db, school_id).await?;
    let term = calendar::term_of(db, school.id, term_id).await?;
    let bell = load_bell(db, school.id).await?;
    Ok(Term { school, term, bell })
}

/// A term that has ended never changes.
pub(crate) fn check_current(app: &App, term: &TermView) -> Result<()> {
    if term.end_date < app.today() {
        return Err(Error::conflict(format!(
            "{} {} 已结束，教学班和课表不能再修改",
            term.school_year, term.name
        )));
    }
    Ok(())
}

pub(crate) fn hhmm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}
