//! Timetable pages (E2, E5, M9): any timetable the caller may read, in a week or a month,
//! printable and as .xlsx; the caller's own with its private calendar feed; the feed
//! itself (`/calendar/{token}`, no session: the token is the key).

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Duration, NaiveDate};
use kehou_domain::{OrgKind, Permission};
use kehou_service::Principal;
use kehou_service::teaching::timetable::{
    self, Choices, Entry, FeedView, TimetableQuery, TimetableView,
};
use serde::Deserialize;

use crate::AppState;
use crate::http::extract::{CsrfForm, PageActor, PagePath, PageQuery};
use crate::http::page::{Frame, Opt, PageError, PageResult, frame, render};

#[derive(Deserialize, Default, Clone)]
pub struct ViewQuery {
    /// school, grade, admin_class, teaching_class, teacher, institution_teacher, student,
    /// room or institution.
    view: Option<String>,
    id: Option<String>,
    /// The school of a grade.
    school: Option<String>,
    /// `kind:id` from the chooser.
    pick: Option<String>,
    /// week (default) or month.
    mode: Option<String>,
    /// A day of the week to show, `YYYY-MM-DD`.
    date: Option<String>,
}

pub struct DayColumn {
    pub label: String,
    pub today: bool,
    pub entries: Vec<Entry>,
}

pub struct MonthCell {
    pub day: u32,
    pub in_month: bool,
    pub today: bool,
    pub entries: Vec<Entry>,
}

/// A span of the calendar and how to move from it.
struct Span {
    month: bool,
    from: NaiveDate,
    to: NaiveDate,
    prev: NaiveDate,
    next: NaiveDate,
    label: String,
}

fn span_of(q: &ViewQuery, today: NaiveDate) -> Span {
    let date = q
        .date
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        // Far enough from the ends of the calendar for a month either side.
        .filter(|d| (1900..=9000).contains(&d.year()))
        .unwrap_or(today);
    if q.mode.as_deref() == Some("month") {
        let from = date.with_day(1).unwrap_or(date);
        let next = (from + Duration::days(32)).with_day(1).unwrap_or(from);
        let to = next - Duration::days(1);
        let prev = (from - Duration::days(1)).with_day(1).unwrap_or(from);
        Span {
            month: true,
            from,
            to,
            prev,
            next,
            label: format!("{}年{}月", from.year(), from.month()),
        }
    } else {
        let from = date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
        let to = from + Duration::days(6);
        Span {
            month: false,
            from,
            to,
            prev: from - Duration::days(7),
            next: from + Duration::days(7),
            label: format!("{} 至 {}", from.format("%Y-%m-%d"), to.format("%m-%d")),
        }
    }
}

fn week_columns(v: &TimetableView, from: NaiveDate, today: NaiveDate) -> Vec<DayColumn> {
    (0..7)
        .map(|i| from + Duration::days(i))
        .filter(|d| {
            d.weekday().num_days_from_monday() < 5 || v.entries.iter().any(|e| e.date == *d)
        })
        .map(|d| DayColumn {
            label: format!(
                "{} {}",
                kehou_domain::course::weekday_name(d.weekday().number_from_monday() as i32),
                d.format("%m-%d")
            ),
            today: d == today,
            entries: v.entries.iter().filter(|e| e.date == d).cloned().collect(),
        })
        .collect()
}

fn month_rows(v: &TimetableView, s: &Span, today: NaiveDate) -> Vec<Vec<MonthCell>> {
    let start = s.from - Duration::days(i64::from(s.from.weekday().num_days_from_monday()));
    let mut rows = Vec::new();
    let mut day = start;
    while day <= s.to {
        rows.push(
            (0..7)
                .map(|i| {
                    let d = day + Duration::days(i);
                    MonthCell {
                        day: d.day(),
                        in_month: d >= s.from && d <= s.to,
                        today: d == today,
                        entries: v.entries.iter().filter(|e| e.date == d).cloned().collect(),
                    }
                })
                .collect(),
        );
        day += Duration::days(7);
    }
    rows
}

fn query_of(
    view: &str,
    id: i64,
    school: Option<i64>,
    from: NaiveDate,
    to: NaiveDate,
) -> TimetableQuery {
    let mut q = TimetableQuery {
        from: Some(from.to_string()),
        to: Some(to.to_string()),
        ..Default::default()
    };
    match view {
        "teacher" => q.teacher_id = Some(id),
        "institution_teacher" => q.institution_teacher_id = Some(id),
        "student" => q.student_id = Some(id),
        "room" => q.room_id = Some(id),
        "teaching_class" => q.teaching_class_id = Some(id),
        "admin_class" => q.admin_class_id = Some(id),
        "institution" => q.institution_id = Some(id),
        "grade" => {
            q.grade = Some(i32::try_from(id).unwrap_or(0));
            q.school_id = school;
        }
        _ => q.school_id = Some(id),
    }
    q
}

fn choice_options(c: &Choices) -> Vec<(String, Vec<Opt>)> {
    let group = |kind: &str, items: &[(i64, String)]| -> Vec<Opt> {
        items
            .iter()
            .map(|(id, n)| Opt::new(format!("{kind}:{id}"), n.clone()))
            .collect()
    };
    vec![
        (
            "全校".into(),
            vec![Opt::new(
                format!("school:{}", c.school_id),
                c.school.clone(),
            )],
        ),
        (
            "年级".into(),
            c.grades
                .iter()
                .map(|(g, n)| Opt::new(format!("grade:{g}"), n.clone()))
                .collect(),
        ),
        ("行政班".into(), group("admin_class", &c.admin_classes)),
        (
            "教学班".into(),
            group("teaching_class", &c.teaching_classes),
        ),
        ("本校教师".into(), group("teacher", &c.teachers)),
        (
            "机构教师".into(),
            group("institution_teacher", &c.institution_teachers),
        ),
        ("场室".into(), group("room", &c.rooms)),
    ]
}

#[derive(Template)]
#[template(path = "teaching/timetable.html")]
struct TimetablePage {
    frame: Frame,
    title: String,
    base: String,
    span_label: String,
    month: bool,
    prev: String,
    next: String,
    this_week: String,
    columns: Vec<DayColumn>,
    weeks: Vec<Vec<MonthCell>>,
    empty: bool,
    export: String,
    groups: Vec<(String, Vec<Opt>)>,
    selected: String,
    schools: Vec<Opt>,
    own: bool,
    feed: Option<FeedView>,
    feed_url: String,
}

fn links(base: &str, s: &Span, today: NaiveDate) -> (String, String, String) {
    let mode = if s.month { "month" } else { "week" };
    (
        format!("{base}mode={mode}&date={}", s.prev),
        format!("{base}mode={mode}&date={}", s.next),
        format!("{base}mode=week&date={today}"),
    )
}

async fn page(
    state: &AppState,
    p: &Principal,
    q: &ViewQuery,
    own: bool,
    feed: Option<FeedView>,
) -> Result<TimetablePage, PageError> {
    let a = p.actor()?;
    let today = state.app.today();
    let s = span_of(q, today);
    let (mut view, mut id) = (
        q.view.clone().unwrap_or_default(),
        q.id.clone().unwrap_or_default(),
    );
    if let Some((k, v)) = q.pick.as_deref().and_then(|x| x.split_once(':')) {
        view = k.to_string();
        id = v.to_string();
    }
    let school: Option<i64> = q.school.as_deref().and_then(|x| x.parse().ok());
    if !own && view.is_empty() {
        match a.org_kind {
            OrgKind::School if a.can(Permission::SchoolView) => {
                view = "school".into();
                id = a.org_id.to_string();
            }
            OrgKind::Institution if a.can(Permission::InstitutionView) => {
                view = "institution".into();
                id = a.org_id.to_string();
            }
            _ => {}
        }
    }
    let (v, base) = if own {
        (
            timetable::mine(
                &state.app,
                a,
                Some(&s.from.to_string()),
                Some(&s.to.to_string()),
            )
            .await?,
            "/me/timetable?".to_string(),
        )
    } else if view.is_empty() {
        (
            TimetableView {
                title: "请选择学校".into(),
                from: s.from,
                to: s.to,
                entries: Vec::new(),
            },
            "/timetable?".to_string(),
        )
    } else {
        let id_num: i64 = id
            .parse()
            .map_err(|_| PageError(kehou_service::Error::NotFound("课表")))?;
        let tq = query_of(&view, id_num, school, s.from, s.to);
        let school_part = school.map(|x| format!("school={x}&")).unwrap_or_default();
        (
            timetable::query(&state.app, a, &tq).await?,
            format!("/timetable?view={view}&id={id}&{school_part}"),
        )
    };
    // The chooser offers the timetables of the school in view (or the caller's school).
    let school_in_view = match view.as_str() {
        "school" => id.parse().ok(),
        "grade" => school,
        _ => v.entries.first().map(|e| e.school_id),
    }
    .or(if a.org_kind == OrgKind::School {
        Some(a.org_id)
    } else {
        None
    });
    let groups = match (own, school_in_view) {
        (false, Some(sid)) if a.can(Permission::SchoolView) => {
            match timetable::choices(&state.app, a, sid).await {
                Ok(c) => choice_options(&c)
                    .into_iter()
                    .map(|(label, opts)| {
                        let opts = opts
                            .into_iter()
                            .map(|o| {
                                if label == "年级" {
                                    Opt::new(format!("{}&school={sid}", o.value), o.label)
                                } else {
                                    o
                                }
                            })
                            .collect();
                        (label, opts)
                    })
                    .collect(),
                Err(_) => Vec::new(),
            }
        }
        _ => Vec::new(),
    };
    let schools = if !own && a.org_kind == OrgKind::Bureau && a.can(Permission::SchoolView) {
        kehou_service::school::schools_in_scope(&state.app, a)
            .await?
            .into_iter()
            .map(|o| Opt::new(format!("school:{}", o.id), o.name))
            .collect()
    } else {
        Vec::new()
    };
    let (prev, next, this_week) = links(&base, &s, today);
    let export = format!(
        "/timetable/export?{}",
        base.split_once('?').map(|x| x.1).unwrap_or("")
    ) + &format!(
        "mode={}&date={}",
        if s.month { "month" } else { "week" },
        s.from
    );
    Ok(TimetablePage {
        frame: frame(
            state,
            p,
            &format!("{}的课表", v.title),
            if own { "/me/timetable" } else { "/timetable" },
            "",
        )
        .await?,
        title: v.title.clone(),
        span_label: s.label.clone(),
        month: s.month,
        columns: if s.month {
            Vec::new()
        } else {
            week_columns(&v, s.from, today)
        },
        weeks: if s.month {
            month_rows(&v, &s, today)
        } else {
            Vec::new()
        },
        empty: v.entries.is_empty(),
        base,
        prev,
        next,
        this_week,
        export: if own {
            format!(
                "/timetable/export?own=1&mode={}&date={}",
                if s.month { "month" } else { "week" },
                s.from
            )
        } else {
            export
        },
        groups,
        selected: if view.is_empty() {
            String::new()
        } else {
            format!("{view}:{id}")
        },
        schools,
        own,
        feed,
        feed_url: String::new(),
    })
}

/// `/timetable?view=&id=&mode=week|month&date=`: any timetable the caller may read.
pub async fn view(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PageQuery(q): PageQuery<ViewQuery>,
) -> PageResult {
    Ok(render(&page(&state, &p, &q, false, None).await?))
}

/// `/me/timetable`: the caller's own, with the calendar feed.
pub async fn mine(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PageQuery(q): PageQuery<ViewQuery>,
) -> PageResult {
    let feed = timetable::feed(&state.app, &actor).await?;
    Ok(render(&page(&state, &p, &q, true, Some(feed)).await?))
}

pub async fn new_feed(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    let feed = timetable::new_feed(&state.app, &actor).await?;
    let token = feed.token.clone().unwrap_or_default();
    let mut t = page(&state, &p, &ViewQuery::default(), true, Some(feed)).await?;
    t.feed_url = format!("/calendar/{token}.ics");
    Ok(render(&t))
}

pub async fn revoke_feed(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    let feed = timetable::revoke_feed(&state.app, &actor).await?;
    Ok(render(
        &page(&state, &p, &ViewQuery::default(), true, Some(feed)).await?,
    ))
}

#[derive(Deserialize, Default)]
pub struct ExportQuery {
    #[serde(flatten)]
    q: ViewQuery,
    own: Option<String>,
}

/// The timetable in view as .xlsx.
pub async fn export(
    State(state): State<AppState>,
    PageActor(_p, actor): PageActor,
    PageQuery(e): PageQuery<ExportQuery>,
) -> PageResult {
    let s = span_of(&e.q, state.app.today());
    let v = if e.own.is_some() {
        timetable::mine(
            &state.app,
            &actor,
            Some(&s.from.to_string()),
            Some(&s.to.to_string()),
        )
        .await?
    } else {
        let id: i64 =
            e.q.id
                .as_deref()
                .and_then(|x| x.parse().ok())
                .ok_or(PageError(kehou_service::Error::NotFound("课表")))?;
        let school = e.q.school.as_deref().and_then(|x| x.parse().ok());
        timetable::query(
            &state.app,
            &actor,
            &query_of(
                e.q.view.as_deref().unwrap_or("school"),
                id,
                school,
                s.from,
                s.to,
            ),
        )
        .await?
    };
    let name = format!("{}课表-{}.xlsx", v.title, s.from);
    Ok(crate::http::xlsx::file(&name, timetable::workbook(&v)))
}

/// `/calendar/{token}.ics`: a subscribed calendar app fetches it; no session.
pub async fn feed(State(state): State<AppState>, PagePath(token): PagePath<String>) -> Response {
    match timetable::feed_ics(&state.app, &token).await {
        Ok(text) => (
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (header::CACHE_CONTROL, "private, max-age=300"),
            ],
            text,
        )
            .into_response(),
        Err(kehou_service::Error::NotFound(_)) => {
            (StatusCode::NOT_FOUND, "订阅链接无效或已停用").into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "calendar feed");
            (StatusCode::INTERNAL_SERVER_ERROR, "内部错误").into_response()
        }
    }
}
