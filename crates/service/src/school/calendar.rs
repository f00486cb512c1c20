//! Terms and their calendars (A5), and the bell schedule (D3), of a school.

use chrono::{NaiveDate, NaiveTime, Weekday};
use kehou_domain::calendar::{
    DayKind, Exception, ExtraDay, Holiday, Period, TermCalendar, breaks, check_periods,
};
use kehou_domain::{FieldError, Invalid, Permission};
use kehou_store::entity::school::{period, term, term_day};
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;

use crate::platform::audit::{self, By, Change};
use crate::platform::error::check;
use crate::school::{load_school, school_for};
use crate::{Actor, App, Error, Result};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HolidayView {
    pub name: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ExtraDayView {
    pub date: NaiveDate,
    /// The weekday whose timetable is followed, 1 = Monday … 5 = Friday.
    pub follows: u8,
    /// `swapped` (调休) or `makeup` (补课).
    pub kind: &'static str,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TermView {
    pub id: i64,
    pub school_id: i64,
    pub school_year: String,
    pub name: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub holidays: Vec<HolidayView>,
    pub extra_days: Vec<ExtraDayView>,
    /// How many teaching days the term has.
    pub teaching_days: usize,
}

fn weekday_of(n: i16) -> Option<Weekday> {
    match n {
        1 => Some(Weekday::Mon),
        2 => Some(Weekday::Tue),
        3 => Some(Weekday::Wed),
        4 => Some(Weekday::Thu),
        5 => Some(Weekday::Fri),
        _ => None,
    }
}

pub fn weekday_label(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "周一",
        Weekday::Tue => "周二",
        Weekday::Wed => "周三",
        Weekday::Thu => "周四",
        Weekday::Fri => "周五",
        Weekday::Sat => "周六",
        Weekday::Sun => "周日",
    }
}

/// Weekday numbers (1 = Monday … 7 = Sunday) of a stored list such as `1,2,3,4,5`.
fn parse_weekdays(text: &str) -> Vec<u8> {
    let mut days: Vec<u8> = text
        .split(',')
        .filter_map(|d| d.trim().parse().ok())
        .filter(|d| (1..=7).contains(d))
        .collect();
    days.sort_unstable();
    days.dedup();
    days
}

/// 周一至周五 for a run of three or more days, else 周一、周三.
pub fn weekdays_label(days: &[u8]) -> String {
    const NAMES: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
    let name = |d: u8| {
        NAMES
            .get(usize::from(d).wrapping_sub(1))
            .copied()
            .unwrap_or("")
    };
    let consecutive = days.windows(2).all(|w| w[1] == w[0] + 1);
    match (days.first(), days.last()) {
        (Some(&first), Some(&last)) if consecutive && days.len() >= 3 => {
            format!("{}至{}", name(first), name(last))
        }
        _ => days.iter().map(|d| name(*d)).collect::<Vec<_>>().join("、"),
    }
}

fn kind_code(kind: Exception) -> &'static str {
    match kind {
        Exception::Swapped => "swapped",
        Exception::MakeUp => "makeup",
    }
}

/// The calendar of a stored term, as the domain rules see it.
pub(crate) async fn term_calendar(
    db: &impl ConnectionTrait,
    t: &term::Model,
) -> Result<TermCalendar> {
    let rows = term_day::Entity::find()
        .filter(term_day::Column::TermId.eq(t.id))
        .order_by_asc(term_day::Column::StartDate)
        .all(db)
        .await?;
    let mut holidays = Vec::new();
    let mut extra_days = Vec::new();
    for r in rows {
        match (r.kind.as_str(), r.follows.and_then(weekday_of)) {
            ("holiday", _) => holidays.push(Holiday {
                name: r.name.unwrap_or_default(),
                start: r.start_date,
                end: r.end_date,
            }),
            ("swapped", Some(follows)) => extra_days.push(ExtraDay {
                date: r.start_date,
                follows,
                kind: Exception::Swapped,
            }),
            ("makeup", Some(follows)) => extra_days.push(ExtraDay {
                date: r.start_date,
                follows,
                kind: Exception::MakeUp,
            }),
            _ => {}
        }
    }
    TermCalendar::new(t.start_date, t.end_date, holidays, extra_days).map_err(Error::Invalid)
}

async fn view(db: &impl ConnectionTrait, t: term::Model) -> Result<TermView> {
    let calendar = term_calendar(db, &t).await?;
    let rows = term_day::Entity::find()
        .filter(term_day::Column::TermId.eq(t.id))
        .order_by_asc(term_day::Column::StartDate)
        .all(db)
        .await?;
    let holidays = rows
        .iter()
        .filter(|r| r.kind == "holiday")
        .map(|r| HolidayView {
            name: r.name.clone().unwrap_or_default(),
            start: r.start_date,
            end: r.end_date,
        })
        .collect();
    let extra_days = rows
        .iter()
        .filter(|r| r.kind != "holiday")
        .map(|r| ExtraDayView {
            date: r.start_date,
            follows: r.follows.and_then(|f| u8::try_from(f).ok()).unwrap_or(1),
            kind: if r.kind == "swapped" {
                "swapped"
            } else {
                "makeup"
            },
        })
        .collect();
    Ok(TermView {
        id: t.id,
        school_id: t.school_id,
        school_year: t.school_year,
        name: t.name,
        start_date: t.start_date,
        end_date: t.end_date,
        holidays,
        extra_days,
        teaching_days: calendar.teaching_days().count(),
    })
}

pub async fn list_terms(app: &App, actor: &Actor, school_id: i64) -> Result<Vec<TermView>> {
    let school = school_for(&app.db, actor, school_id, Permission::SchoolView).await?;
    terms_of_school(&app.db, school.id).await
}

/// A school's terms, the newest first.
async fn terms_of_school(db: &impl ConnectionTrait, school_id: i64) -> Result<Vec<TermView>> {
    let rows = term::Entity::find()
        .filter(term::Column::SchoolId.eq(school_id))
        .order_by_desc(term::Column::StartDate)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for t in rows {
        out.push(view(db, t).await?);
    }
    Ok(out)
}

async fn load_term(
    db: &impl ConnectionTrait,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
) -> Result<(kehou_store::entity::org::Model, term::Model)> {
    let school = load_school(db, actor, school_id).await?;
    let t = term::Entity::find_by_id(term_id)
        .filter(term::Column::SchoolId.eq(school.id))
        .one(db)
        .await?
        .ok_or(Error::NotFound("学期"))?;
    Ok((school, t))
}

pub async fn get_term(app: &App, actor: &Actor, school_id: i64, term_id: i64) -> Result<TermView> {
    actor.require(Permission::SchoolView)?;
    let (_, t) = load_term(&app.db, actor, school_id, term_id).await?;
    view(&app.db, t).await
}

/// A term's identity and dates, without its calendar: for lists of other areas.
#[derive(Debug, Clone)]
pub struct TermSpan {
    pub id: i64,
    pub school_id: i64,
    /// "2026-2027 第一学期".
    pub label: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
}

impl From<&TermView> for TermSpan {
    fn from(t: &TermView) -> Self {
        Self {
            id: t.id,
            school_id: t.school_id,
            label: format!("{} {}", t.school_year, t.name),
            start_date: t.start_date,
            end_date: t.end_date,
        }
    }
}

/// The spans of some terms in one query; the caller has checked access to their schools.
pub async fn spans(db: &impl ConnectionTrait, term_ids: Vec<i64>) -> Result<Vec<TermSpan>> {
    Ok(term::Entity::find()
        .filter(term::Column::Id.is_in(term_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|t| TermSpan {
            id: t.id,
            school_id: t.school_id,
            label: format!("{} {}", t.school_year, t.name),
            start_date: t.start_date,
            end_date: t.end_date,
        })
        .collect())
}

/// A school's terms for anyone of the school or its bureaus (parents read a published
/// offering by term), the newest first.
pub async fn terms_of(app: &App, actor: &Actor, school_id: i64) -> Result<Vec<TermView>> {
    let school = super::school_visible(&app.db, actor, school_id).await?;
    terms_of_school(&app.db, school.id).await
}

/// A term of a school whose access the caller has already checked (a published offering
/// is read by parents, who have no permission on the calendar).
pub async fn term_of(db: &impl ConnectionTrait, school_id: i64, term_id: i64) -> Result<TermView> {
    let t = term::Entity::find_by_id(term_id)
        .filter(term::Column::SchoolId.eq(school_id))
        .one(db)
        .await?
        .ok_or(Error::NotFound("学期"))?;
    view(db, t).await
}

pub fn parse_date(invalid: &mut Invalid, field: &str, value: Option<&str>) -> Option<NaiveDate> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => {
            invalid.push(field, "请填写日期");
            None
        }
        Some(v) => invalid.take(
            field,
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| "日期格式应为 年-月-日，如 2026-09-01".to_string()),
        ),
    }
}

/// `2026-2027`: two consecutive years.
fn parse_school_year(value: &str) -> Result<String, String> {
    let v = value.trim();
    let ok = v
        .split_once('-')
        .and_then(|(a, b)| Some((a.parse::<i32>().ok()?, b.parse::<i32>().ok()?)))
        .is_some_and(|(a, b)| (2000..=2100).contains(&a) && b == a + 1 && v.len() == 9);
    if ok {
        Ok(v.to_string())
    } else {
        Err("学年格式应为“2026-2027”".into())
    }
}

#[derive(Debug, Clone, Default)]
pub struct TermInput {
    pub school_year: Option<String>,
    pub name: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
}

struct TermFields {
    school_year: String,
    name: String,
    start: NaiveDate,
    end: NaiveDate,
}

fn check_term(input: &TermInput, current: Option<&term::Model>) -> Result<TermFields> {
    let mut invalid = Invalid::default();
    let school_year = match (&input.school_year, current) {
        (Some(y), _) => invalid.take("school_year", parse_school_year(y)),
        (None, Some(c)) => Some(c.school_year.clone()),
        (None, None) => invalid.take("school_year", parse_school_year("")),
    };
    let name = match (&input.name, current) {
        (Some(n), _) => invalid.text("name", n, 30),
        (None, Some(c)) => Some(c.name.clone()),
        (None, None) => invalid.text("name", "", 30),
    };
    let start = match (&input.start_date, current) {
        (None, Some(c)) => Some(c.start_date),
        (v, _) => parse_date(&mut invalid, "start_date", v.as_deref()),
    };
    let end = match (&input.end_date, current) {
        (None, Some(c)) => Some(c.end_date),
        (v, _) => parse_date(&mut invalid, "end_date", v.as_deref()),
    };
    if let (Some(s), Some(e)) = (start, end) {
        if e < s {
            invalid.push("end_date", "结束日期不能早于开始日期");
        } else if (e - s).num_days() > 366 {
            invalid.push("end_date", "一个学期不能超过一年");
        }
    }
    check(invalid)?;
    match (school_year, name, start, end) {
        (Some(school_year), Some(name), Some(start), Some(end)) => Ok(TermFields {
            school_year,
            name,
            start,
            end,
        }),
        _ => Err(Error::Internal("validation".into())),
    }
}

pub async fn create_term(
    app: &App,
    actor: &Actor,
    school_id: i64,
    input: TermInput,
) -> Result<TermView> {
    let txn = kehou_store::begin_write(&app.db).await?;
    let school = school_for(&txn, actor, school_id, Permission::SchoolManage).await?;
    let f = check_term(&input, None)?;
    let now = app.now();
    let created = term::ActiveModel {
        school_id: Set(school.id),
        school_year: Set(f.school_year),
        name: Set(f.name),
        start_date: Set(f.start),
        end_date: Set(f.end),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(Error::unique("name", "该学年已有同名学期"))?;
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(school.id),
            org_path: &school.path,
            action: "term.create",
            entity_type: "term",
            entity_id: Some(created.id),
            summary: format!(
                "新增学期 {} {}（{} 至 {}）",
                created.school_year, created.name, created.start_date, created.end_date
            ),
        },
    )
    .await?;
    let out = view(&txn, created).await?;
    txn.commit().await?;
    Ok(out)
}

pub async fn update_term(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    input: TermInput,
) -> Result<TermView> {
    actor.require(Permission::SchoolManage)?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let (school, current) = load_term(&txn, actor, school_id, term_id).await?;
    let f = check_term(&input, Some(&current))?;
    let mut m = current.clone().into_active_model();
    m.school_year = Set(f.school_year);
    m.name = Set(f.name);
    m.start_date = Set(f.start);
    m.end_date = Set(f.end);
    let now = app.now();
    m.updated_at = Set(now);
    let updated = m
        .update(&txn)
        .await
        .map_err(Error::unique("name", "该学年已有同名学期"))?;
    // The exceptions must still fit the new dates.
    term_calendar(&txn, &updated).await?;
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(school.id),
            org_path: &school.path,
            action: "term.update",
            entity_type: "term",
            entity_id: Some(updated.id),
            summary: format!(
                "修改学期 {} {}（{} 至 {}）",
                updated.school_year, updated.name, updated.start_date, updated.end_date
            ),
        },
    )
    .await?;
    crate::teaching::lesson::calendar_changed(app, &txn, &school, Some(updated.id)).await?;
    let out = view(&txn, updated).await?;
    txn.commit().await?;
    Ok(out)
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct HolidayInput {
    pub name: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ExtraDayInput {
    pub date: Option<String>,
    /// 1 = Monday … 5 = Friday.
    pub follows: Option<i16>,
    /// `swapped` (调休) or `makeup` (补课).
    pub kind: Option<String>,
}

/// Replaces a term's holidays and extra teaching days in one step, checked as a whole.
pub async fn set_calendar(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    holidays: &[HolidayInput],
    extra_days: &[ExtraDayInput],
) -> Result<TermView> {
    actor.require(Permission::SchoolManage)?;
    let txn = kehou_store::begin_write(&app.db).await?;
    let (school, t) = load_term(&txn, actor, school_id, term_id).await?;
    let mut invalid = Invalid::default();
    let mut parsed_holidays = Vec::new();
    for (i, h) in holidays.iter().enumerate() {
        let name = invalid.text(
            &format!("holidays[{i}].name"),
            h.name.as_deref().unwrap_or(""),
            30,
        );
        let start = parse_date(
            &mut invalid,
            &format!("holidays[{i}].start"),
            h.start.as_deref(),
        );
        let end = parse_date(
            &mut invalid,
            &format!("holidays[{i}].end"),
            h.end.as_deref(),
        );
        if let (Some(name), Some(start), Some(end)) = (name, start, end) {
            parsed_holidays.push(Holiday { name, start, end });
        }
    }
    let mut parsed_extra = Vec::new();
    for (i, x) in extra_days.iter().enumerate() {
        let date = parse_date(
            &mut invalid,
            &format!("extra_days[{i}].date"),
            x.date.as_deref(),
        );
        let follows = match x.follows.and_then(weekday_of) {
            Some(w) => Some(w),
            None => {
                invalid.push(
                    &format!("extra_days[{i}].follows"),
                    "请选择按周一至周五哪天的课表上课",
                );
                None
            }
        };
        let kind = match x.kind.as_deref() {
            Some("swapped") => Some(Exception::Swapped),
            Some("makeup") => Some(Exception::MakeUp),
            _ => {
                invalid.push(
                    &format!("extra_days[{i}].kind"),
                    "类型应为调休（swapped）或补课（makeup）",
                );
                None
            }
        };
        if let (Some(date), Some(follows), Some(kind)) = (date, follows, kind) {
            parsed_extra.push(ExtraDay {
                date,
                follows,
                kind,
            });
        }
    }
    check(invalid)?;
    let calendar = TermCalendar::new(
        t.start_date,
        t.end_date,
        parsed_holidays.clone(),
        parsed_extra.clone(),
    )
    .map_err(Error::Invalid)?;
    term_day::Entity::delete_many()
        .filter(term_day::Column::TermId.eq(t.id))
        .exec(&txn)
        .await?;
    for h in &parsed_holidays {
        term_day::ActiveModel {
            term_id: Set(t.id),
            kind: Set("holiday".into()),
            name: Set(Some(h.name.clone())),
            start_date: Set(h.start),
            end_date: Set(h.end),
            follows: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    for x in &parsed_extra {
        term_day::ActiveModel {
            term_id: Set(t.id),
            kind: Set(kind_code(x.kind).into()),
            name: Set(None),
            start_date: Set(x.date),
            end_date: Set(x.date),
            follows: Set(Some(x.follows.number_from_monday() as i16)),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    let now = app.now();
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(school.id),
            org_path: &school.path,
            action: "term.calendar",
            entity_type: "term",
            entity_id: Some(t.id),
            summary: format!(
                "设置 {} {} 校历：假期{}段，调休/补课{}天，共{}个教学日",
                t.school_year,
                t.name,
                parsed_holidays.len(),
                parsed_extra.len(),
                calendar.teaching_days().count()
            ),
        },
    )
    .await?;
    crate::teaching::lesson::calendar_changed(app, &txn, &school, Some(t.id)).await?;
    let out = view(&txn, t).await?;
    txn.commit().await?;
    Ok(out)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DayView {
    pub date: NaiveDate,
    /// `teaching`, `holiday`, `weekend` or `outside_term`.
    pub kind: &'static str,
    /// For teaching days: the weekday whose timetable applies, 1 = Monday … 5 = Friday.
    pub schedule: Option<u8>,
    /// `swapped` or `makeup` for exceptional teaching days.
    pub exception: Option<&'static str>,
}

/// The term's days from `from` to `to` (the whole term by default): is each a teaching day,
/// and which weekday's timetable applies.
pub async fn days(
    app: &App,
    actor: &Actor,
    school_id: i64,
    term_id: i64,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<DayView>> {
    actor.require(Permission::SchoolView)?;
    let (_, t) = load_term(&app.db, actor, school_id, term_id).await?;
    let calendar = term_calendar(&app.db, &t).await?;
    let from = from.unwrap_or(t.start_date);
    let to = to.unwrap_or(t.end_date);
    if to < from || (to - from).num_days() > 400 {
        return Err(Error::invalid(
            "to",
            "查询范围应为400天以内，且结束不早于开始",
        ));
    }
    Ok(from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|date| match calendar.day(date) {
            DayKind::OutsideTerm => DayView {
                date,
                kind: "outside_term",
                schedule: None,
                exception: None,
            },
            DayKind::Holiday => DayView {
                date,
                kind: "holiday",
                schedule: None,
                exception: None,
            },
            DayKind::Weekend => DayView {
                date,
                kind: "weekend",
                schedule: None,
                exception: None,
            },
            DayKind::Teaching {
                schedule,
                exception,
            } => DayView {
                date,
                kind: "teaching",
                schedule: u8::try_from(schedule.number_from_monday()).ok(),
                exception: exception.map(kind_code),
            },
        })
        .collect())
}

// ---- Bell schedule ----

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PeriodView {
    pub id: i64,
    pub day_type: String,
    /// The weekdays whose timetable the day type serves, 1 = Monday … 7 = Sunday.
    pub weekdays: Vec<u8>,
    /// 周一至周五.
    pub weekdays_label: String,
    pub name: String,
    /// `HH:MM`.
    pub start: String,
    pub end: String,
    /// Minutes until the next period of the same day type.
    pub break_after: Option<i64>,
}

/// The bell schedule of a school: every day type's periods in time order.
pub async fn list_periods(app: &App, actor: &Actor, school_id: i64) -> Result<Vec<PeriodView>> {
    let school = school_for(&app.db, actor, school_id, Permission::SchoolView).await?;
    periods_of(&app.db, school.id).await
}

/// The bell schedule of a school already reached through [`school_for`].
pub(crate) async fn periods_of(
    db: &impl ConnectionTrait,
    school_id: i64,
) -> Result<Vec<PeriodView>> {
    let rows = period::Entity::find()
        .filter(period::Column::SchoolId.eq(school_id))
        .order_by_asc(period::Column::DayType)
        .order_by_asc(period::Column::StartTime)
        .all(db)
        .await?;
    let mut out: Vec<PeriodView> = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        let next = rows.get(i + 1).filter(|n| n.day_type == r.day_type);
        let weekdays = parse_weekdays(&r.weekdays);
        out.push(PeriodView {
            id: r.id,
            day_type: r.day_type.clone(),
            weekdays_label: weekdays_label(&weekdays),
            weekdays,
            name: r.name.clone(),
            start: r.start_time.format("%H:%M").to_string(),
            end: r.end_time.format("%H:%M").to_string(),
            break_after: next.map(|n| (n.start_time - r.end_time).num_minutes()),
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct PeriodInput {
    pub name: Option<String>,
    /// `HH:MM`.
    pub start: Option<String>,
    pub end: Option<String>,
}

fn parse_time(invalid: &mut Invalid, field: &str, value: Option<&str>) -> Option<NaiveTime> {
    let v = value.map(str::trim).unwrap_or("");
    invalid.take(
        field,
        NaiveTime::parse_from_str(v, "%H:%M")
            .map_err(|_| "时间格式应为 时:分，如 15:40".to_string()),
    )
}

/// Replaces the periods of one day type and the weekdays it serves (an empty list of
/// periods removes the day type). Two day types of a school never share a weekday.
pub async fn set_periods(
    app: &App,
    actor: &Actor,
    school_id: i64,
    day_type: &str,
    weekdays: &[u8],
    inputs: &[PeriodInput],
) -> Result<Vec<PeriodView>> {
    let txn = kehou_store::begin_write(&app.db).await?;
    let school = school_for(&txn, actor, school_id, Permission::SchoolManage).await?;
    let mut invalid = Invalid::default();
    let day_type = invalid.text("day_type", day_type, 20);
    let mut periods = Vec::new();
    for (i, p) in inputs.iter().enumerate() {
        let name = invalid.text(
            &format!("periods[{i}].name"),
            p.name.as_deref().unwrap_or(""),
            20,
        );
        let start = parse_time(
            &mut invalid,
            &format!("periods[{i}].start"),
            p.start.as_deref(),
        );
        let end = parse_time(&mut invalid, &format!("periods[{i}].end"), p.end.as_deref());
        if let (Some(name), Some(start), Some(end)) = (name, start, end) {
            periods.push(Period { name, start, end });
        }
    }
    if inputs.len() > 20 {
        invalid.push("periods", "每种作息最多20个节次");
    }
    if weekdays.iter().any(|d| !(1..=7).contains(d)) {
        invalid.push("weekdays", "星期应为1（周一）到7（周日）");
    } else if weekdays.is_empty() && !inputs.is_empty() {
        invalid.push("weekdays", "请选择该作息适用的星期");
    }
    check(invalid)?;
    let Some(day_type) = day_type else {
        return Err(Error::Internal("validation".into()));
    };
    let mut weekdays = weekdays.to_vec();
    weekdays.sort_unstable();
    weekdays.dedup();
    let others = period::Entity::find()
        .filter(period::Column::SchoolId.eq(school.id))
        .filter(period::Column::DayType.ne(day_type.as_str()))
        .all(&txn)
        .await?;
    if !inputs.is_empty()
        && let Some((day, other)) = others.iter().find_map(|o| {
            parse_weekdays(&o.weekdays)
                .into_iter()
                .find(|d| weekdays.contains(d))
                .map(|d| (d, o.day_type.clone()))
        })
    {
        return Err(Error::invalid(
            "weekdays",
            format!(
                "{}已使用作息“{other}”，一天只能有一种作息",
                weekdays_label(&[day])
            ),
        ));
    }
    let weekdays_text = weekdays
        .iter()
        .map(u8::to_string)
        .collect::<Vec<_>>()
        .join(",");
    check_periods(&mut periods).map_err(|errors: Vec<FieldError>| Error::Invalid(errors))?;
    period::Entity::delete_many()
        .filter(period::Column::SchoolId.eq(school.id))
        .filter(period::Column::DayType.eq(day_type.as_str()))
        .exec(&txn)
        .await?;
    for p in &periods {
        period::ActiveModel {
            school_id: Set(school.id),
            day_type: Set(day_type.clone()),
            name: Set(p.name.clone()),
            start_time: Set(p.start),
            end_time: Set(p.end),
            weekdays: Set(weekdays_text.clone()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    let now = app.now();
    let described: Vec<String> = periods
        .iter()
        .map(|p| {
            format!(
                "{} {}–{}",
                p.name,
                p.start.format("%H:%M"),
                p.end.format("%H:%M")
            )
        })
        .collect();
    let gaps = breaks(&periods);
    audit::record(
        &txn,
        now,
        &By::actor(actor),
        Change {
            org_id: Some(school.id),
            org_path: &school.path,
            action: "period.set",
            entity_type: "period",
            entity_id: None,
            summary: if periods.is_empty() {
                format!("删除作息“{day_type}”")
            } else {
                format!(
                    "设置作息“{day_type}”（{}）：{}（课间{:?}分钟）",
                    weekdays_label(&weekdays),
                    described.join("，"),
                    gaps
                )
            },
        },
    )
    .await?;
    crate::teaching::lesson::calendar_changed(app, &txn, &school, None).await?;
    txn.commit().await?;
    periods_of(&app.db, school.id).await
}

/// What runs on one date at a school: whether it is a teaching day, which weekday's
/// timetable it follows, and that weekday's bell schedule.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DayPeriods {
    pub date: NaiveDate,
    /// `teaching`, `holiday`, `weekend` or `outside_term`.
    pub kind: &'static str,
    /// For teaching days: the weekday whose timetable applies, 1 = Monday … 7 = Sunday.
    pub weekday: Option<u8>,
    /// The day type whose periods run; none when no schedule serves the weekday.
    pub day_type: Option<String>,
    pub periods: Vec<PeriodView>,
}

/// The periods that run on `date` at a school: the term calendar decides the day (a
/// make-up day follows the weekday it replaces), the weekdays decide the schedule.
pub async fn periods_on(
    app: &App,
    actor: &Actor,
    school_id: i64,
    date: Option<&str>,
) -> Result<DayPeriods> {
    let school = school_for(&app.db, actor, school_id, Permission::SchoolView).await?;
    let missing = || Error::invalid("date", "请给出日期，如 2026-09-07");
    let given = date
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .ok_or_else(missing)?;
    let mut invalid = Invalid::default();
    let date = parse_date(&mut invalid, "date", Some(given));
    check(invalid)?;
    let date = date.ok_or_else(missing)?;
    let mut answer = DayPeriods {
        date,
        kind: "outside_term",
        weekday: None,
        day_type: None,
        periods: Vec::new(),
    };
    let Some(t) = term::Entity::find()
        .filter(term::Column::SchoolId.eq(school.id))
        .filter(term::Column::StartDate.lte(date))
        .filter(term::Column::EndDate.gte(date))
        // Terms of a school may still overlap: the newest one holding the date counts.
        .order_by_desc(term::Column::Id)
        .one(&app.db)
        .await?
    else {
        return Ok(answer);
    };
    let schedule = match term_calendar(&app.db, &t).await?.day(date) {
        DayKind::OutsideTerm => return Ok(answer),
        DayKind::Holiday => {
            answer.kind = "holiday";
            return Ok(answer);
        }
        DayKind::Weekend => {
            answer.kind = "weekend";
            return Ok(answer);
        }
        DayKind::Teaching { schedule, .. } => schedule,
    };
    let weekday = u8::try_from(schedule.number_from_monday()).unwrap_or(1);
    answer.kind = "teaching";
    answer.weekday = Some(weekday);
    answer.periods = periods_of(&app.db, school.id)
        .await?
        .into_iter()
        .filter(|p| p.weekdays.contains(&weekday))
        .collect();
    answer.day_type = answer.periods.first().map(|p| p.day_type.clone());
    Ok(answer)
}
