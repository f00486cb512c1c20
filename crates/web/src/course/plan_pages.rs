//! Course plan pages (D4): a term's plans with a form for a new one; a plan with its
//! settings, its lines, a line form, and its export and import.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use kehou_domain::Permission;
use kehou_domain::course::PlanMode;
use kehou_domain::school::grade_name;
use kehou_service::Principal;
use kehou_service::course::offering::{self, ItemView};
use kehou_service::course::plan::{self, LineInput, PlanInput, PlanView};
use kehou_service::import::{Mode, Outcome};
use kehou_service::school::calendar;
use serde::Deserialize;

use super::offering_pages::pick_term;
use crate::AppState;
use crate::http::extract::{CsrfForm, CsrfUpload, PageActor, PagePath, PageQuery};
use crate::http::page::{FormErrors, Frame, Opt, PageError, PageResult, frame, render, rerender};

#[derive(Deserialize, Default)]
pub struct TermQuery {
    term: Option<String>,
    notice: Option<String>,
}

fn grades() -> Vec<Opt> {
    (1..=9).map(|g| Opt::new(g, grade_name(g as u8))).collect()
}

fn modes() -> Vec<Opt> {
    PlanMode::ALL
        .iter()
        .map(|m| Opt::new(m.code(), m.label()))
        .collect()
}

#[derive(Template)]
#[template(path = "course/plans.html")]
struct ListPage {
    frame: Frame,
    school_id: i64,
    term_id: i64,
    term_label: String,
    terms: Vec<Opt>,
    items: Vec<PlanView>,
    can_manage: bool,
    grades: Vec<Opt>,
    modes: Vec<Opt>,
    error: String,
}

async fn list_page(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    q: &TermQuery,
    error: String,
) -> Result<ListPage, PageError> {
    let a = p.actor()?;
    let terms = calendar::list_terms(&state.app, a, school_id).await?;
    let Some(term) = pick_term(&terms, q.term.as_deref(), state.app.today()) else {
        return Err(PageError(kehou_service::Error::NotFound("学期")));
    };
    Ok(ListPage {
        frame: frame(
            state,
            p,
            "课程方案",
            "/offering",
            q.notice.as_deref().unwrap_or(""),
        )
        .await?,
        school_id,
        term_id: term.id,
        term_label: format!("{} {}", term.school_year, term.name),
        terms: terms
            .iter()
            .map(|t| Opt::new(t.id, format!("{} {}", t.school_year, t.name)))
            .collect(),
        items: plan::list(&state.app, a, school_id, term.id).await?,
        can_manage: a.can(Permission::OfferingManage) && a.org_id == school_id,
        grades: grades(),
        modes: modes(),
        error,
    })
}

/// `/schools/{id}/plans?term=`: the plans of a term.
pub async fn list(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<TermQuery>,
) -> PageResult {
    Ok(render(
        &list_page(&state, &p, school_id, &q, String::new()).await?,
    ))
}

fn term_of(q: &TermQuery) -> Result<i64, PageError> {
    q.term
        .as_deref()
        .and_then(|t| t.parse().ok())
        .ok_or(PageError(kehou_service::Error::NotFound("学期")))
}

pub async fn create(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<TermQuery>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::OfferingManage)?;
    let term_id = term_of(&q)?;
    let input = PlanInput {
        name: Some(data.text("name")),
        grade: data.text("grade").parse().ok(),
        mode: Some(data.text("mode")).filter(|m| !m.is_empty()),
        enabled: Some(data.get("enabled").is_some()),
    };
    match plan::create(&state.app, &actor, school_id, term_id, input).await {
        Ok(v) => Ok(Redirect::to(&format!(
            "/schools/{school_id}/plans/{}?term={term_id}&notice=created",
            v.id
        ))
        .into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &list_page(&state, &p, school_id, &q, errors.first_message()).await?,
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "course/plan.html")]
struct DetailPage {
    frame: Frame,
    school_id: i64,
    plan: PlanView,
    offered: Vec<ItemView>,
    can_manage: bool,
    grades: Vec<Opt>,
    modes: Vec<Opt>,
    error: String,
    outcome: Option<Outcome>,
}

async fn detail_page(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    plan_id: i64,
    q: &TermQuery,
    error: String,
    outcome: Option<Outcome>,
) -> Result<DetailPage, PageError> {
    let a = p.actor()?;
    a.require(Permission::SchoolView)?;
    let term_id = term_of(q)?;
    let plan = plan::get(&state.app, a, school_id, term_id, plan_id).await?;
    let offered = offering::get(&state.app, a, school_id, term_id)
        .await?
        .items
        .into_iter()
        .filter(|i| i.status != "rejected")
        .collect();
    Ok(DetailPage {
        frame: frame(
            state,
            p,
            &plan.name,
            "/offering",
            q.notice.as_deref().unwrap_or(""),
        )
        .await?,
        school_id,
        can_manage: a.can(Permission::OfferingManage) && a.org_id == school_id,
        grades: match plan.grade {
            Some(g) => vec![Opt::new(g, grade_name(g as u8))],
            None => grades(),
        },
        plan,
        offered,
        modes: modes(),
        error,
        outcome,
    })
}

pub async fn detail(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath((school_id, plan_id)): PagePath<(i64, i64)>,
    PageQuery(q): PageQuery<TermQuery>,
) -> PageResult {
    Ok(render(
        &detail_page(&state, &p, school_id, plan_id, &q, String::new(), None).await?,
    ))
}

/// Back to the plan after a change, or the plan again with what went wrong.
async fn answer(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    plan_id: i64,
    q: &TermQuery,
    result: kehou_service::Result<PlanView>,
) -> PageResult {
    match result {
        Ok(v) => Ok(Redirect::to(&format!(
            "/schools/{school_id}/plans/{plan_id}?term={}&notice=saved",
            v.term_id
        ))
        .into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &detail_page(
                    state,
                    p,
                    school_id,
                    plan_id,
                    q,
                    errors.first_message(),
                    None,
                )
                .await?,
            ))
        }
    }
}

pub async fn update(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, plan_id)): PagePath<(i64, i64)>,
    PageQuery(q): PageQuery<TermQuery>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::OfferingManage)?;
    let term_id = term_of(&q)?;
    let input = PlanInput {
        name: Some(data.text("name")),
        grade: None,
        mode: Some(data.text("mode")),
        enabled: Some(data.get("enabled").is_some()),
    };
    let result = plan::update(&state.app, &actor, school_id, term_id, plan_id, input).await;
    answer(&state, &p, school_id, plan_id, &q, result).await
}

pub async fn set_line(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, plan_id)): PagePath<(i64, i64)>,
    PageQuery(q): PageQuery<TermQuery>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::OfferingManage)?;
    let term_id = term_of(&q)?;
    let number = |k: &str| data.text(k).trim().parse().ok();
    let input = LineInput {
        item_id: data.text("item_id").parse().ok(),
        grade: number("grade"),
        classes: number("classes"),
        class_size: number("class_size"),
        weekly_lessons: number("weekly_lessons"),
    };
    let result = plan::set_line(&state.app, &actor, school_id, term_id, plan_id, input).await;
    answer(&state, &p, school_id, plan_id, &q, result).await
}

pub async fn remove_line(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, plan_id, line_id)): PagePath<(i64, i64, i64)>,
    PageQuery(q): PageQuery<TermQuery>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    actor.require(Permission::OfferingManage)?;
    let term_id = term_of(&q)?;
    let result = plan::remove_line(&state.app, &actor, school_id, term_id, plan_id, line_id).await;
    answer(&state, &p, school_id, plan_id, &q, result).await
}

pub async fn export(
    State(state): State<AppState>,
    PageActor(_p, actor): PageActor,
    PagePath((school_id, plan_id)): PagePath<(i64, i64)>,
    PageQuery(q): PageQuery<TermQuery>,
) -> PageResult {
    actor.require(Permission::SchoolView)?;
    let term_id = term_of(&q)?;
    let (name, bytes) = plan::export(&state.app, &actor, school_id, term_id, plan_id).await?;
    Ok(crate::http::xlsx::file(&name, Ok(bytes)))
}

/// The upload of a plan's workbook: the outcome with its row errors is shown on the plan.
pub async fn import(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, plan_id)): PagePath<(i64, i64)>,
    PageQuery(q): PageQuery<TermQuery>,
    CsrfUpload(upload): CsrfUpload,
) -> PageResult {
    actor.require(Permission::OfferingManage)?;
    let term_id = term_of(&q)?;
    let result = match upload {
        Ok(u) => {
            let mode = Mode::parse(&u.mode).unwrap_or(Mode::AllOrNothing);
            plan::import(
                &state.app, &actor, school_id, term_id, plan_id, &u.bytes, mode,
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(outcome) => Ok(render(
            &detail_page(
                &state,
                &p,
                school_id,
                plan_id,
                &q,
                String::new(),
                Some(outcome),
            )
            .await?,
        )),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &detail_page(
                    &state,
                    &p,
                    school_id,
                    plan_id,
                    &q,
                    errors.first_message(),
                    None,
                )
                .await?,
            ))
        }
    }
}
