//! The calendar page (A5, D3): a school's terms, holidays, swapped and make-up days as a
//! month grid, and the bell schedule.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use chrono::{Datelike, NaiveDate, Weekday};
use kehou_domain::{OrgKind, Permission};
use kehou_service::school::calendar::{
    self, ExtraDayInput, HolidayInput, PeriodInput, PeriodView, TermInput, TermView, weekday_label,
};
use kehou_service::{Actor, Error, Principal, school};
use serde::Deserialize;

use crate::AppState;
use crate::http::extract::{CsrfForm, PageActor, PagePath, PageQuery};
use crate::http::page::{FormErrors, Frame, Opt, PageError, PageResult, frame, render, rerender};

#[derive(Deserialize, Default)]
pub struct CalendarQuery {
    school_id: Option<String>,
    term_id: Option<String>,
    notice: Option<String>,
}

#[derive(Default)]
struct TermForm {
    school_year: String,
    name: String,
    start_date: String,
    end_date: String,
}

struct PeriodForm {
    day_type: String,
    /// Ticked weekdays, `1` … `7`.
    weekdays: Vec<String>,
    lines: String,
}

impl Default for PeriodForm {
    /// A new day type serves Monday to Friday unless changed.
    fn default() -> Self {
        Self {
            day_type: String::new(),
            weekdays: (1..=5).map(|d: u8| d.to_string()).collect(),
            lines: String::new(),
        }
    }
}

impl PeriodForm {
    fn has_day(&self, day: &u8) -> bool {
        self.weekdays.iter().any(|d| *d == day.to_string())
    }
}

struct Cell {
    day: u32,
    class: &'static str,
    note: String,
}

struct Month {
    title: String,
    weeks: Vec<Vec<Cell>>,
}

struct ExtraRow {
    date: NaiveDate,
    kind: &'static str,
    follows: &'static str,
}

#[derive(Template)]
#[template(path = "school/calendar.html")]
struct CalendarPage {
    frame: Frame,
    school_id: i64,
    school_id_text: String,
    school_name: String,
    schools: Vec<Opt>,
    terms: Vec<TermView>,
    term_id: i64,
    term: Option<TermView>,
    extra_rows: Vec<ExtraRow>,
    months: Vec<Month>,
    periods: Vec<PeriodView>,
    can_manage: bool,
    term_form: TermForm,
    period_form: PeriodForm,
    weekday_choices: Vec<(u8, &'static str)>,
    errors: FormErrors,
    kinds: Vec<Opt>,
    weekdays: Vec<Opt>,
}

const WEEKDAYS: [Weekday; 5] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
];

fn weekday_number(n: u8) -> &'static str {
    WEEKDAYS
        .get(usize::from(n).wrapping_sub(1))
        .map(|w| weekday_label(*w))
        .unwrap_or("")
}

/// The months of a term as grids of weeks, Monday first.
async fn months(
    state: &AppState,
    a: &Actor,
    school_id: i64,
    t: &TermView,
) -> Result<Vec<Month>, PageError> {
    let days = calendar::days(&state.app, a, school_id, t.id, None, None).await?;
    let mut out: Vec<Month> = Vec::new();
    let mut current: Option<(i32, u32)> = None;
    for d in days {
        let ym = (d.date.year(), d.date.month());
        if current != Some(ym) {
            current = Some(ym);
            out.push(Month {
                title: format!("{}年{}月", ym.0, ym.1),
                weeks: vec![Vec::new()],
            });
            // Blank cells before the first day of the month (or of the term).
            if let Some(m) = out.last_mut()
                && let Some(week) = m.weeks.last_mut()
            {
                for _ in 0..d.date.weekday().num_days_from_monday() {
                    week.push(Cell {
                        day: 0,
                        class: "outside",
                        note: String::new(),
                    });
                }
            }
        }
        let (class, note) = match (d.kind, d.exception) {
            ("teaching", Some(kind)) => {
                let label = if kind == "swapped" {
                    "调休"
                } else {
                    "补课"
                };
                (
                    "extra",
                    format!("{label}，按{}课表", weekday_number(d.schedule.unwrap_or(0))),
                )
            }
            ("teaching", None) => ("", "教学日".to_string()),
            ("holiday", _) => ("holiday", "假期".to_string()),
            ("weekend", _) => ("weekend", "周末".to_string()),
            _ => ("outside", String::new()),
        };
        if let Some(m) = out.last_mut() {
            if m.weeks.last().is_some_and(|w| w.len() == 7) {
                m.weeks.push(Vec::new());
            }
            if let Some(week) = m.weeks.last_mut() {
                week.push(Cell {
                    day: d.date.day(),
                    class,
                    note,
                });
            }
        }
    }
    for m in &mut out {
        if let Some(week) = m.weeks.last_mut() {
            while week.len() < 7 {
                week.push(Cell {
                    day: 0,
                    class: "outside",
                    note: String::new(),
                });
            }
        }
    }
    Ok(out)
}

async fn page(
    state: &AppState,
    p: &Principal,
    school_id: Option<i64>,
    term_id: Option<i64>,
    forms: (TermForm, PeriodForm),
    errors: FormErrors,
    notice: &str,
) -> Result<CalendarPage, PageError> {
    let a = p.actor()?;
    a.require(Permission::SchoolView)?;
    let schools: Vec<Opt> = if a.org_kind == OrgKind::School {
        Vec::new()
    } else {
        school::schools_in_scope(&state.app, a)
            .await?
            .into_iter()
            .map(|s| Opt::new(s.id, s.name))
            .collect()
    };
    let school_id = school_id.or_else(|| schools.first().and_then(|s| s.value.parse().ok()));
    let (mut terms, mut periods, mut school_name) = (Vec::new(), Vec::new(), String::new());
    if let Some(id) = school_id {
        school_name = kehou_service::school::school_for(
            &state.app.db,
            a,
            id,
            kehou_domain::Permission::SchoolView,
        )
        .await?
        .name;
        terms = calendar::list_terms(&state.app, a, id).await?;
        periods = calendar::list_periods(&state.app, a, id).await?;
    }
    let term = term_id
        .and_then(|tid| terms.iter().find(|t| t.id == tid))
        .or(terms.first())
        .cloned();
    let month_grid = match (&term, school_id) {
        (Some(t), Some(id)) => months(state, a, id, t).await?,
        _ => Vec::new(),
    };
    let extra_rows = term
        .as_ref()
        .map(|t| {
            t.extra_days
                .iter()
                .map(|x| ExtraRow {
                    date: x.date,
                    kind: if x.kind == "swapped" {
                        "调休"
                    } else {
                        "补课"
                    },
                    follows: weekday_number(x.follows),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(CalendarPage {
        frame: frame(state, p, "校历与作息", "/calendar", notice).await?,
        school_id: school_id.unwrap_or(0),
        school_id_text: school_id.map(|i| i.to_string()).unwrap_or_default(),
        school_name,
        schools,
        term_id: term.as_ref().map(|t| t.id).unwrap_or(0),
        terms,
        term,
        extra_rows,
        months: month_grid,
        periods,
        can_manage: a.can(Permission::SchoolManage) && school_id.is_some(),
        term_form: forms.0,
        period_form: forms.1,
        weekday_choices: vec![
            (1, "周一"),
            (2, "周二"),
            (3, "周三"),
            (4, "周四"),
            (5, "周五"),
            (6, "周六"),
            (7, "周日"),
        ],
        errors,
        kinds: vec![
            Opt::new("swapped", "调休（周末上课）"),
            Opt::new("makeup", "补课"),
        ],
        weekdays: WEEKDAYS
            .iter()
            .map(|w| Opt::new(w.number_from_monday(), weekday_label(*w)))
            .collect(),
    })
}

pub async fn index(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PageQuery(q): PageQuery<CalendarQuery>,
) -> PageResult {
    let a = &actor;
    a.require(kehou_domain::Permission::SchoolView)?;
    if a.org_kind == OrgKind::School {
        return Ok(Redirect::to(&format!("/schools/{}/calendar", a.org_id)).into_response());
    }
    let school_id = crate::http::page::chosen_school(&state, &p, q.school_id.as_deref()).await?;
    Ok(render(
        &page(
            &state,
            &p,
            school_id,
            None,
            Default::default(),
            FormErrors::default(),
            "",
        )
        .await?,
    ))
}

pub async fn show(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<CalendarQuery>,
) -> PageResult {
    let term_id = q.term_id.as_deref().and_then(|s| s.parse().ok());
    Ok(render(
        &page(
            &state,
            &p,
            Some(school_id),
            term_id,
            Default::default(),
            FormErrors::default(),
            q.notice.as_deref().unwrap_or(""),
        )
        .await?,
    ))
}

/// Answers a calendar form: back to the page with a notice, or the page with the error.
async fn after(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    term_id: Option<i64>,
    result: Result<(), Error>,
    forms: (TermForm, PeriodForm),
) -> PageResult {
    match result {
        Ok(()) => {
            let term = term_id.map(|t| format!("term_id={t}&")).unwrap_or_default();
            Ok(
                Redirect::to(&format!("/schools/{school_id}/calendar?{term}notice=saved"))
                    .into_response(),
            )
        }
        Err(e) => {
            let reasons = match &e {
                Error::Invalid(fields) => fields
                    .iter()
                    .map(|f| f.reason.clone())
                    .collect::<Vec<_>>()
                    .join("；"),
                _ => String::new(),
            };
            let (status, mut errors) = FormErrors::from_error(e)?;
            if !reasons.is_empty() {
                errors.general = reasons;
            }
            Ok(rerender(
                status,
                &page(state, p, Some(school_id), term_id, forms, errors, "").await?,
            ))
        }
    }
}

pub async fn create_term(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let form = TermForm {
        school_year: data.text("school_year"),
        name: data.text("name"),
        start_date: data.text("start_date"),
        end_date: data.text("end_date"),
    };
    let input = TermInput {
        school_year: Some(form.school_year.clone()),
        name: Some(form.name.clone()),
        start_date: Some(form.start_date.clone()),
        end_date: Some(form.end_date.clone()),
    };
    match calendar::create_term(&state.app, &actor, school_id, input).await {
        Ok(t) => {
            after(
                &state,
                &p,
                school_id,
                Some(t.id),
                Ok(()),
                Default::default(),
            )
            .await
        }
        Err(e) => {
            after(
                &state,
                &p,
                school_id,
                None,
                Err(e),
                (form, PeriodForm::default()),
            )
            .await
        }
    }
}

fn holidays_of(t: &TermView) -> Vec<HolidayInput> {
    t.holidays
        .iter()
        .map(|h| HolidayInput {
            name: Some(h.name.clone()),
            start: Some(h.start.to_string()),
            end: Some(h.end.to_string()),
        })
        .collect()
}

fn extra_of(t: &TermView) -> Vec<ExtraDayInput> {
    t.extra_days
        .iter()
        .map(|x| ExtraDayInput {
            date: Some(x.date.to_string()),
            follows: Some(i16::from(x.follows)),
            kind: Some(x.kind.to_string()),
        })
        .collect()
}

/// Applies one change to a term's calendar and saves the whole calendar.
async fn change_calendar(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    term_id: i64,
    edit: impl FnOnce(&mut Vec<HolidayInput>, &mut Vec<ExtraDayInput>),
) -> PageResult {
    let a = p.actor()?;
    // Refused before the term is looked up, as every change is.
    a.require(kehou_domain::Permission::SchoolManage)?;
    let t = calendar::get_term(&state.app, a, school_id, term_id).await?;
    let (mut holidays, mut extra) = (holidays_of(&t), extra_of(&t));
    edit(&mut holidays, &mut extra);
    let result = calendar::set_calendar(&state.app, a, school_id, term_id, &holidays, &extra)
        .await
        .map(|_| ());
    after(
        state,
        p,
        school_id,
        Some(term_id),
        result,
        Default::default(),
    )
    .await
}

pub async fn add_holiday(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath((school_id, term_id)): PagePath<(i64, i64)>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let holiday = HolidayInput {
        name: data.get("name").map(String::from),
        start: data.get("start").map(String::from),
        end: data.get("end").map(String::from),
    };
    change_calendar(&state, &p, school_id, term_id, |h, _| h.push(holiday)).await
}

pub async fn delete_holiday(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath((school_id, term_id, index)): PagePath<(i64, i64, usize)>,
    CsrfForm(_data): CsrfForm,
) -> PageResult {
    change_calendar(&state, &p, school_id, term_id, |h, _| {
        if index < h.len() {
            h.remove(index);
        }
    })
    .await
}

pub async fn add_extra_day(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath((school_id, term_id)): PagePath<(i64, i64)>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let day = ExtraDayInput {
        date: data.get("date").map(String::from),
        follows: data.get("follows").and_then(|f| f.parse().ok()),
        kind: data.get("kind").map(String::from),
    };
    change_calendar(&state, &p, school_id, term_id, |_, x| x.push(day)).await
}

pub async fn delete_extra_day(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath((school_id, term_id, index)): PagePath<(i64, i64, usize)>,
    CsrfForm(_data): CsrfForm,
) -> PageResult {
    change_calendar(&state, &p, school_id, term_id, |_, x| {
        if index < x.len() {
            x.remove(index);
        }
    })
    .await
}

/// Lines of `名称 开始-结束`, e.g. `课后一 15:40-16:20`.
fn parse_lines(lines: &str) -> Result<Vec<PeriodInput>, Error> {
    let mut out = Vec::new();
    for (i, line) in lines
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        let bad = || {
            Error::invalid(
                "periods",
                format!(
                    "第{}行格式应为“名称 开始-结束”，如“课后一 15:40-16:20”",
                    i + 1
                ),
            )
        };
        let (name, times) = line.rsplit_once(char::is_whitespace).ok_or_else(bad)?;
        let (start, end) = times.split_once(['-', '–', '~']).ok_or_else(bad)?;
        out.push(PeriodInput {
            name: Some(name.trim().into()),
            start: Some(start.trim().into()),
            end: Some(end.trim().into()),
        });
    }
    Ok(out)
}

pub async fn set_periods(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let form = PeriodForm {
        day_type: data.text("day_type"),
        weekdays: data.all("weekdays"),
        lines: data.text("lines"),
    };
    let weekdays: Result<Vec<u8>, _> = form.weekdays.iter().map(|d| d.parse::<u8>()).collect();
    let result = match (parse_lines(&form.lines), weekdays) {
        (Ok(periods), Ok(weekdays)) => calendar::set_periods(
            &state.app,
            &actor,
            school_id,
            &form.day_type,
            &weekdays,
            &periods,
        )
        .await
        .map(|_| ()),
        (Err(e), _) => Err(e),
        (_, Err(_)) => Err(kehou_service::Error::invalid("weekdays", "星期选项无效")),
    };
    let forms = (TermForm::default(), form);
    after(&state, &p, school_id, None, result, forms).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn d3_period_lines() {
        let parsed =
            super::parse_lines("课后一 15:40-16:20\n\n 课后二  16:30–17:10 ").expect("lines");
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[1].name.as_deref(), Some("课后二"));
        assert_eq!(parsed[1].end.as_deref(), Some("17:10"));
        assert!(super::parse_lines("课后一").is_err());
        assert!(super::parse_lines("课后一 15:40").is_err());
    }
}
