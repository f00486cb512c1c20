//! Teaching pages: a term's teaching classes and one class; the weekly timetable grid with
//! scheduling runs, moves and conflicts; the scheduling settings.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use kehou_domain::OrgKind;
use kehou_domain::Permission;
use kehou_domain::teaching::ClassStatus;
use kehou_service::Principal;
use kehou_service::course::offering::ItemView;
use kehou_service::school::calendar;
use kehou_service::teaching::class::{
    self, BatchInput, ClassInput, ClassStudent, ClassView, SlotInput, StatusInput,
};
use kehou_service::teaching::schedule::{self, GridView, MoveInput, RunInput};
use kehou_service::teaching::settings::{self, DayEndInput, PreferenceInput, SettingsView};
use serde::Deserialize;

use crate::AppState;
use crate::course::pick_term;
use crate::http::extract::{CsrfForm, CsrfUpload, PageActor, PagePath, PageQuery};
use crate::http::page::{
    FormData, FormErrors, Frame, Opt, PageError, PageResult, frame, render, rerender,
};

#[derive(Deserialize, Default)]
pub struct TermQuery {
    term: Option<String>,
    notice: Option<String>,
    slot: Option<String>,
}

/// `/teaching`: a school's people go to their school's classes, others to timetables.
pub async fn index(PageActor(_p, actor): PageActor) -> PageResult {
    if actor.org_kind == OrgKind::School {
        return Ok(Redirect::to(&format!("/schools/{}/teaching", actor.org_id)).into_response());
    }
    Ok(Redirect::to("/timetable").into_response())
}

fn term_of(q: &TermQuery) -> Result<i64, PageError> {
    q.term
        .as_deref()
        .and_then(|t| t.parse().ok())
        .ok_or(PageError(kehou_service::Error::NotFound("学期")))
}

struct TermPick {
    id: i64,
    label: String,
    options: Vec<Opt>,
}

async fn pick(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    q: &TermQuery,
) -> Result<TermPick, PageError> {
    let a = p.actor()?;
    let terms = calendar::list_terms(&state.app, a, school_id).await?;
    let term = pick_term(&terms, q.term.as_deref(), state.app.today())
        .ok_or(PageError(kehou_service::Error::NotFound("学期")))?;
    Ok(TermPick {
        id: term.id,
        label: format!("{} {}", term.school_year, term.name),
        options: terms
            .iter()
            .map(|t| Opt::new(t.id, format!("{} {}", t.school_year, t.name)))
            .collect(),
    })
}

fn ids(data: &FormData, key: &str) -> Vec<i64> {
    data.all(key)
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect()
}

fn number(data: &FormData, key: &str) -> Option<i32> {
    let v = data.text(key);
    if v.trim().is_empty() {
        None
    } else {
        Some(v.trim().parse().unwrap_or(-1))
    }
}

/// Fixed times as the form sends them: `slot` values `weekday-period`.
fn slots(data: &FormData) -> Vec<SlotInput> {
    data.all("slot")
        .iter()
        .filter(|v| !v.is_empty())
        .map(|v| time_of(v))
        .collect()
}

/// A time as the forms send it, `weekday-period` (`2-1`: Tuesday's first period).
fn time_of(value: &str) -> SlotInput {
    let mut parts = value.split('-').map(|x| x.parse::<i32>().ok());
    SlotInput {
        weekday: parts.next().flatten(),
        period_no: parts.next().flatten(),
    }
}

fn class_input(data: &FormData) -> ClassInput {
    let text = |k: &str| Some(data.text(k));
    ClassInput {
        item_id: data.text("item_id").parse().ok(),
        name: text("name").filter(|n| !n.is_empty()),
        capacity_min: number(data, "capacity_min"),
        capacity_max: number(data, "capacity_max"),
        grade_from: number(data, "grade_from"),
        grade_to: number(data, "grade_to"),
        starts_on: text("starts_on"),
        ends_on: text("ends_on"),
        weekly_lessons: number(data, "weekly_lessons"),
        room_id: Some(data.text("room_id").parse().unwrap_or(0)),
        staff_ids: Some(ids(data, "staff_ids")),
        institution_teacher_ids: Some(ids(data, "institution_teacher_ids")),
        post_teacher_id: Some(data.text("post_teacher_id").parse().unwrap_or(0)),
        slots: Some(slots(data)),
    }
}

/// The choices of the class form: courses, teachers, rooms, periods.
struct FormChoices {
    courses: Vec<ItemView>,
    staff: Vec<Opt>,
    rooms: Vec<Opt>,
    times: Vec<Opt>,
    grades: Vec<Opt>,
}

async fn form_choices(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    term_id: i64,
) -> Result<FormChoices, PageError> {
    let a = p.actor()?;
    let courses = if a.can(Permission::TeachingManage) {
        class::courses(&state.app, a, school_id, term_id).await?
    } else {
        Vec::new()
    };
    let ch = kehou_service::teaching::timetable::choices(&state.app, a, school_id).await?;
    let periods = calendar::list_periods(&state.app, a, school_id).await?;
    let mut times = Vec::new();
    for w in 1..=7u8 {
        let mut day: Vec<&calendar::PeriodView> =
            periods.iter().filter(|p| p.weekdays.contains(&w)).collect();
        day.sort_by(|a, b| a.start.cmp(&b.start));
        for (i, p) in day.iter().enumerate() {
            times.push(Opt::new(
                format!("{w}-{}", i + 1),
                format!(
                    "{} {} {}–{}",
                    kehou_domain::course::weekday_name(i32::from(w)),
                    p.name,
                    p.start,
                    p.end
                ),
            ));
        }
    }
    Ok(FormChoices {
        courses,
        staff: ch
            .teachers
            .iter()
            .map(|(id, n)| Opt::new(id, n.clone()))
            .collect(),
        rooms: ch
            .rooms
            .iter()
            .map(|(id, n)| Opt::new(id, n.clone()))
            .collect(),
        times,
        grades: (1..=9)
            .map(|g| Opt::new(g, kehou_domain::school::grade_name(g as u8)))
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "teaching/classes.html")]
struct ListPage {
    frame: Frame,
    school_id: i64,
    term: TermPick,
    items: Vec<ClassView>,
    can_manage: bool,
    c: FormChoices,
    errors: FormErrors,
    outcome: Option<kehou_service::import::Outcome>,
}

async fn list_page(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    q: &TermQuery,
    errors: FormErrors,
) -> Result<ListPage, PageError> {
    let a = p.actor()?;
    let term = pick(state, p, school_id, q).await?;
    let items = class::list(&state.app, a, school_id, term.id).await?;
    Ok(ListPage {
        frame: frame(
            state,
            p,
            "教学班",
            "/teaching",
            q.notice.as_deref().unwrap_or(""),
        )
        .await?,
        school_id,
        can_manage: a.can(Permission::TeachingManage) && a.org_id == school_id,
        c: form_choices(state, p, school_id, term.id).await?,
        term,
        items,
        errors,
        outcome: None,
    })
}

/// The import template.
pub async fn template(
    State(state): State<AppState>,
    PageActor(_p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
) -> PageResult {
    let bytes = class::import_template(&state.app, &actor, school_id).await?;
    Ok(crate::http::xlsx::file("教学班导入模板.xlsx", Ok(bytes)))
}

/// Teaching classes from an .xlsx sheet; the page shows what was done and every bad row.
pub async fn import(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<TermQuery>,
    CsrfUpload(upload): CsrfUpload,
) -> PageResult {
    actor.require(Permission::TeachingManage)?;
    let term_id = term_of(&q)?;
    let result = match upload {
        Ok(u) => {
            let mode = kehou_service::import::Mode::parse(&u.mode)
                .unwrap_or(kehou_service::import::Mode::AllOrNothing);
            class::import(&state.app, &actor, school_id, term_id, &u.bytes, mode).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(outcome) => {
            let mut page = list_page(&state, &p, school_id, &q, FormErrors::default()).await?;
            page.outcome = Some(outcome);
            Ok(render(&page))
        }
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &list_page(&state, &p, school_id, &q, errors).await?,
            ))
        }
    }
}

/// `/schools/{id}/teaching?term=`: the teaching classes of a term, and the forms to add some.
pub async fn list(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<TermQuery>,
) -> PageResult {
    Ok(render(
        &list_page(&state, &p, school_id, &q, FormErrors::default()).await?,
    ))
}

/// One class, or (with a count) several of one course.
pub async fn create(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<TermQuery>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::TeachingManage)?;
    let term_id = term_of(&q)?;
    let input = class_input(&data);
    let count = number(&data, "count");
    let done = match count {
        Some(n) => class::create_batch(
            &state.app,
            &actor,
            school_id,
            term_id,
            BatchInput {
                count: Some(n),
                class: input,
            },
        )
        .await
        .map(|v| v.first().map(|c| c.id)),
        None => class::create(&state.app, &actor, school_id, term_id, input)
            .await
            .map(|c| Some(c.id)),
    };
    match done {
        Ok(_) => Ok(Redirect::to(&format!(
            "/schools/{school_id}/teaching?term={term_id}&notice=created"
        ))
        .into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &list_page(&state, &p, school_id, &q, errors).await?,
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "teaching/class.html")]
struct DetailPage {
    frame: Frame,
    school_id: i64,
    term_id: i64,
    v: ClassView,
    students: Vec<ClassStudent>,
    show_students: bool,
    can_manage: bool,
    /// Nobody enrolled and not started: the class may still change.
    editable: bool,
    next: Vec<Opt>,
    staff_ids: Vec<String>,
    institution_ids: Vec<String>,
    fixed: Vec<String>,
    room_sel: String,
    post_sel: String,
    c: FormChoices,
    /// For a running class: what closing it checks.
    close: Option<class::CloseCheck>,
    /// The other open classes of the same course, where a student may be moved (调班).
    siblings: Vec<(i64, String)>,
    errors: FormErrors,
}

async fn detail_page(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    class_id: i64,
    q: &TermQuery,
    errors: FormErrors,
) -> Result<DetailPage, PageError> {
    let a = p.actor()?;
    a.require(Permission::SchoolView)?;
    let term_id = term_of(q)?;
    let v = class::get(&state.app, a, school_id, term_id, class_id).await?;
    let show_students = a.can(Permission::StudentViewAll);
    let students = if show_students {
        class::students(&state.app, a, school_id, term_id, class_id).await?
    } else {
        Vec::new()
    };
    let status = ClassStatus::parse(&v.status).unwrap_or(ClassStatus::Planned);
    let close = if status == ClassStatus::Running && a.can(Permission::TeachingManage) {
        Some(class::close_check(&state.app, a, school_id, term_id, class_id).await?)
    } else {
        None
    };
    let siblings = if a.can(Permission::TeachingManage) && show_students {
        class::siblings(&state.app, a, (school_id, term_id), class_id).await?
    } else {
        Vec::new()
    };
    Ok(DetailPage {
        close,
        siblings,
        frame: frame(
            state,
            p,
            &v.name,
            "/teaching",
            q.notice.as_deref().unwrap_or(""),
        )
        .await?,
        school_id,
        term_id,
        can_manage: a.can(Permission::TeachingManage) && a.org_id == school_id,
        editable: status.editable() && v.enrolled == 0,
        next: status
            .next()
            .iter()
            .map(|s| Opt::new(s.code(), s.label()))
            .collect(),
        staff_ids: v
            .teachers
            .iter()
            .filter_map(|t| t.staff_id)
            .map(|i| i.to_string())
            .collect(),
        institution_ids: v
            .teachers
            .iter()
            .filter_map(|t| t.institution_teacher_id)
            .map(|i| i.to_string())
            .collect(),
        fixed: v
            .slots
            .iter()
            .filter(|s| s.locked)
            .filter_map(|s| Some(format!("{}-{}", s.weekday?, s.period_no?)))
            .collect(),
        room_sel: v.room_id.map(|r| r.to_string()).unwrap_or_default(),
        post_sel: v.post_teacher_id.map(|r| r.to_string()).unwrap_or_default(),
        c: form_choices(state, p, school_id, term_id).await?,
        students,
        show_students,
        v,
        errors,
    })
}

pub async fn detail(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath((school_id, class_id)): PagePath<(i64, i64)>,
    PageQuery(q): PageQuery<TermQuery>,
) -> PageResult {
    Ok(render(
        &detail_page(&state, &p, school_id, class_id, &q, FormErrors::default()).await?,
    ))
}

async fn after(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    class_id: i64,
    q: &TermQuery,
    done: kehou_service::Result<()>,
    notice: &str,
) -> PageResult {
    let term_id = term_of(q)?;
    match done {
        Ok(()) => Ok(Redirect::to(&format!(
            "/schools/{school_id}/teaching/{class_id}?term={term_id}&notice={notice}"
        ))
        .into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &detail_page(state, p, school_id, class_id, q, errors).await?,
            ))
        }
    }
}

pub async fn update(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, class_id)): PagePath<(i64, i64)>,
    PageQuery(q): PageQuery<TermQuery>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::TeachingManage)?;
    let term_id = term_of(&q)?;
    let mut input = class_input(&data);
    input.item_id = None;
    let done = class::update(&state.app, &actor, school_id, term_id, class_id, input)
        .await
        .map(|_| ());
    after(&state, &p, school_id, class_id, &q, done, "saved").await
}

/// The capacity of a class that already has students (seats gained go to its waitlist).
pub async fn set_capacity(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, class_id)): PagePath<(i64, i64)>,
    PageQuery(q): PageQuery<TermQuery>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::TeachingManage)?;
    let term_id = term_of(&q)?;
    let input = ClassInput {
        capacity_min: number(&data, "capacity_min"),
        capacity_max: Some(number(&data, "capacity_max").unwrap_or(0)),
        ..ClassInput::default()
    };
    let done = class::update(&state.app, &actor, school_id, term_id, class_id, input)
        .await
        .map(|_| ());
    after(&state, &p, school_id, class_id, &q, done, "saved").await
}

pub async fn set_status(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, class_id)): PagePath<(i64, i64)>,
    PageQuery(q): PageQuery<TermQuery>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::TeachingManage)?;
    let term_id = term_of(&q)?;
    let done = class::set_status(
        &state.app,
        &actor,
        school_id,
        term_id,
        class_id,
        StatusInput {
            status: Some(data.text("status")),
            early: Some(data.text("early") == "1"),
        },
    )
    .await
    .map(|_| ());
    after(&state, &p, school_id, class_id, &q, done, "saved").await
}

pub async fn delete(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, class_id)): PagePath<(i64, i64)>,
    PageQuery(q): PageQuery<TermQuery>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    actor.require(Permission::TeachingManage)?;
    let term_id = term_of(&q)?;
    match class::delete(&state.app, &actor, school_id, term_id, class_id).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/schools/{school_id}/teaching?term={term_id}&notice=saved"
        ))
        .into_response()),
        Err(e) => after(&state, &p, school_id, class_id, &q, Err(e), "").await,
    }
}

pub async fn add_students(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, class_id)): PagePath<(i64, i64)>,
    PageQuery(q): PageQuery<TermQuery>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::TeachingManage)?;
    let term_id = term_of(&q)?;
    let done = class::add_students_by_number(
        &state.app,
        &actor,
        school_id,
        term_id,
        class_id,
        &data.text("student_nos"),
    )
    .await
    .map(|_| ());
    after(&state, &p, school_id, class_id, &q, done, "saved").await
}

pub async fn remove_student(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, class_id, student_id)): PagePath<(i64, i64, i64)>,
    PageQuery(q): PageQuery<TermQuery>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    actor.require(Permission::TeachingManage)?;
    let term_id = term_of(&q)?;
    let done =
        class::remove_student(&state.app, &actor, school_id, term_id, class_id, student_id).await;
    after(&state, &p, school_id, class_id, &q, done, "saved").await
}

/// `POST …/students/{id}/transfer?term=`: moves the student to `to_class_id` (调班).
pub async fn transfer_student(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, class_id, student_id)): PagePath<(i64, i64, i64)>,
    PageQuery(q): PageQuery<TermQuery>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::TeachingManage)?;
    let term_id = term_of(&q)?;
    let done = class::transfer_student(
        &state.app,
        &actor,
        (school_id, term_id),
        class_id,
        student_id,
        class::TransferInput {
            to_class_id: data.get("to_class_id").and_then(|v| v.trim().parse().ok()),
        },
    )
    .await
    .map(|_| ());
    after(&state, &p, school_id, class_id, &q, done, "transferred").await
}

// ---- the grid ----

#[derive(Template)]
#[template(path = "teaching/schedule.html")]
struct GridPage {
    frame: Frame,
    school_id: i64,
    term: TermPick,
    g: GridView,
    can_manage: bool,
    /// The lesson the move form is for.
    selected: Option<kehou_service::teaching::class::SlotView>,
    times: Vec<Opt>,
    rooms: Vec<Opt>,
    move_time: String,
    move_room: String,
    running: bool,
    errors: FormErrors,
}

async fn grid_page(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    q: &TermQuery,
    errors: FormErrors,
) -> Result<GridPage, PageError> {
    let a = p.actor()?;
    a.require(Permission::SchoolView)?;
    let term = pick(state, p, school_id, q).await?;
    let g = schedule::grid(&state.app, a, school_id, term.id).await?;
    let wanted: Option<i64> = q.slot.as_deref().and_then(|s| s.parse().ok());
    let selected = wanted.and_then(|id| {
        g.rows
            .iter()
            .flat_map(|r| r.cells.iter())
            .flat_map(|c| c.lessons.iter())
            .chain(g.unplaced.iter())
            .find(|s| s.id == id)
            .cloned()
    });
    let c = form_choices(state, p, school_id, term.id).await?;
    let running = g
        .last_run
        .as_ref()
        .is_some_and(|r| r.status == "queued" || r.status == "running");
    let move_time = selected
        .as_ref()
        .map(|s| format!("{}-{}", s.weekday.unwrap_or(0), s.period_no.unwrap_or(0)))
        .unwrap_or_default();
    let move_room = selected
        .as_ref()
        .and_then(|s| s.room_id)
        .map(|r| r.to_string())
        .unwrap_or_default();
    Ok(GridPage {
        move_time,
        move_room,
        frame: frame(
            state,
            p,
            "排课",
            "/teaching",
            q.notice.as_deref().unwrap_or(""),
        )
        .await?,
        school_id,
        can_manage: a.can(Permission::TeachingManage) && a.org_id == school_id,
        term,
        g,
        selected,
        times: c.times,
        rooms: c.rooms,
        running,
        errors,
    })
}

/// `/schools/{id}/schedule?term=&slot=`: the weekly timetable, runs, moves and conflicts.
pub async fn grid(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<TermQuery>,
) -> PageResult {
    Ok(render(
        &grid_page(&state, &p, school_id, &q, FormErrors::default()).await?,
    ))
}

pub async fn start_run(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<TermQuery>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::TeachingManage)?;
    let term_id = term_of(&q)?;
    let seconds = data.text("seconds").trim().parse::<f64>().ok();
    match schedule::start_run(&state.app, &actor, school_id, term_id, RunInput { seconds }).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/schools/{school_id}/schedule?term={term_id}&notice=run_started"
        ))
        .into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &grid_page(&state, &p, school_id, &q, errors).await?,
            ))
        }
    }
}

pub async fn cancel_run(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, run_id)): PagePath<(i64, i64)>,
    PageQuery(q): PageQuery<TermQuery>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    actor.require(Permission::TeachingManage)?;
    let term_id = term_of(&q)?;
    match schedule::cancel_run(&state.app, &actor, school_id, term_id, run_id).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/schools/{school_id}/schedule?term={term_id}&notice=saved"
        ))
        .into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &grid_page(&state, &p, school_id, &q, errors).await?,
            ))
        }
    }
}

/// Moves one lesson: from the form (`time` = `weekday-period`) or a drag and drop, which
/// posts the same form.
pub async fn move_slot(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, slot_id)): PagePath<(i64, i64)>,
    PageQuery(q): PageQuery<TermQuery>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::TeachingManage)?;
    let term_id = term_of(&q)?;
    let time = time_of(&data.text("time"));
    let room = data.text("room_id");
    let input = MoveInput {
        weekday: time.weekday,
        period_no: time.period_no,
        room_id: if room.is_empty() {
            None
        } else {
            Some(room.parse().unwrap_or(-1))
        },
        locked: Some(data.get("locked").is_some()),
    };
    match schedule::move_slot(&state.app, &actor, school_id, term_id, slot_id, input).await {
        Ok(r) => {
            let notice = if r.conflicts.is_empty() {
                "moved"
            } else {
                "moved_conflict"
            };
            Ok(Redirect::to(&format!(
                "/schools/{school_id}/schedule?term={term_id}&slot={slot_id}&notice={notice}#move"
            ))
            .into_response())
        }
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            let mut q = q;
            q.slot = Some(slot_id.to_string());
            Ok(rerender(
                status,
                &grid_page(&state, &p, school_id, &q, errors).await?,
            ))
        }
    }
}

// ---- settings ----

#[derive(Template)]
#[template(path = "teaching/settings.html")]
struct SettingsPage {
    frame: Frame,
    school_id: i64,
    term: TermPick,
    s: SettingsView,
    targets: Vec<Opt>,
    times: Vec<Opt>,
    grades: Vec<Opt>,
    can_manage: bool,
    errors: FormErrors,
}

async fn settings_page(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    q: &TermQuery,
    errors: FormErrors,
) -> Result<SettingsPage, PageError> {
    let a = p.actor()?;
    a.require(Permission::SchoolView)?;
    let term = pick(state, p, school_id, q).await?;
    let s = settings::get(&state.app, a, school_id, term.id).await?;
    let c = form_choices(state, p, school_id, term.id).await?;
    Ok(SettingsPage {
        frame: frame(
            state,
            p,
            "排课设置",
            "/teaching",
            q.notice.as_deref().unwrap_or(""),
        )
        .await?,
        school_id,
        targets: s
            .targets
            .iter()
            .map(|t| {
                let label = kehou_domain::teaching::PreferenceTarget::parse(&t.target)
                    .map_or("", |x| x.label());
                Opt::new(
                    format!("{}:{}", t.target, t.target_id),
                    format!("{label}：{}", t.name),
                )
            })
            .collect(),
        can_manage: a.can(Permission::TeachingManage) && a.org_id == school_id,
        term,
        s,
        times: c.times,
        grades: c.grades,
        errors,
    })
}

pub async fn settings(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<TermQuery>,
) -> PageResult {
    Ok(render(
        &settings_page(&state, &p, school_id, &q, FormErrors::default()).await?,
    ))
}

pub async fn set_preferences(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<TermQuery>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::TeachingManage)?;
    let term_id = term_of(&q)?;
    let who = data.text("who");
    let (target, target_id) = who.split_once(':').unwrap_or(("", ""));
    let input = PreferenceInput {
        target: Some(target.to_string()),
        target_id: target_id.parse().ok(),
        kind: Some(data.text("kind")),
        times: Some(data.all("time").iter().map(|v| time_of(v)).collect()),
    };
    match settings::set_preferences(&state.app, &actor, school_id, term_id, input).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/schools/{school_id}/schedule/settings?term={term_id}&notice=saved#preferences"
        ))
        .into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &settings_page(&state, &p, school_id, &q, errors).await?,
            ))
        }
    }
}

pub async fn set_day_end(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<TermQuery>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::TeachingManage)?;
    let term_id = term_of(&q)?;
    let weekdays: Vec<i32> = data
        .all("weekdays")
        .iter()
        .filter_map(|w| w.parse().ok())
        .collect();
    let input = DayEndInput {
        grade: number(&data, "grade"),
        weekdays: if weekdays.is_empty() {
            None
        } else {
            Some(weekdays)
        },
        ends_at: Some(data.text("ends_at")),
    };
    match settings::set_day_end(&state.app, &actor, school_id, term_id, input).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/schools/{school_id}/schedule/settings?term={term_id}&notice=saved#regular"
        ))
        .into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &settings_page(&state, &p, school_id, &q, errors).await?,
            ))
        }
    }
}
