//! Offering pages (D1, D2, D7, D9, D12): a school's offering of a term with its courses,
//! adding one (course first, then its teachers, fees, grades, care days, parts), copying
//! last term's, submitting and publishing; the bureau's list, its decision and rules; and
//! the published offering (开课公示) that parents read on their phones.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use kehou_domain::course::{CareTime, OfferingAction, OfferingStatus, weekday_name};
use kehou_domain::school::grade_name;
use kehou_domain::{Fen, Invalid, OrgKind, Permission};
use kehou_service::Principal;
use kehou_service::course::offering::{
    self, CourseChoice, Decision, ItemInput, ItemView, OfferingView, Refusal,
};
use kehou_service::course::policy::{self, Policy};
use kehou_service::school::calendar::{self, TermView};
use serde::Deserialize;

use crate::AppState;
use crate::http::extract::{CsrfForm, PageActor, PagePath, PageQuery};
use crate::http::page::{
    FormData, FormErrors, Frame, Opt, PageError, PageResult, frame, render, rerender,
};

#[derive(Deserialize, Default)]
pub struct TermQuery {
    term: Option<String>,
    course: Option<String>,
    notice: Option<String>,
    school_id: Option<String>,
    status: Option<String>,
}

/// The term asked for, else the one running today, else the latest.
pub(crate) fn pick_term(
    terms: &[TermView],
    requested: Option<&str>,
    today: chrono::NaiveDate,
) -> Option<TermView> {
    let by_id = requested
        .and_then(|t| t.parse::<i64>().ok())
        .and_then(|id| terms.iter().find(|t| t.id == id));
    by_id
        .or_else(|| {
            terms
                .iter()
                .find(|t| t.start_date <= today && today <= t.end_date)
        })
        .or_else(|| terms.iter().max_by_key(|t| t.start_date))
        .cloned()
}

/// `/offering`: a school's people go to their school's offering, bureaus to their list.
pub async fn index(PageActor(_p, actor): PageActor) -> PageResult {
    if actor.org_kind == OrgKind::School {
        return Ok(Redirect::to(&format!("/schools/{}/offering", actor.org_id)).into_response());
    }
    Ok(Redirect::to("/offerings").into_response())
}

#[derive(Template)]
#[template(path = "course/offering.html")]
struct OfferingPage {
    frame: Frame,
    o: OfferingView,
    terms: Vec<Opt>,
    can_manage: bool,
    can_approve: bool,
    error: String,
}

async fn offering_page(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    q: &TermQuery,
    error: String,
) -> Result<OfferingPage, PageError> {
    let a = p.actor()?;
    let terms = calendar::list_terms(&state.app, a, school_id).await?;
    let Some(term) = pick_term(&terms, q.term.as_deref(), state.app.today()) else {
        return Err(PageError(kehou_service::Error::NotFound("学期")));
    };
    let o = offering::get(&state.app, a, school_id, term.id).await?;
    Ok(OfferingPage {
        frame: frame(
            state,
            p,
            "开课计划",
            "/offering",
            q.notice.as_deref().unwrap_or(""),
        )
        .await?,
        terms: terms
            .iter()
            .map(|t| Opt::new(t.id, format!("{} {}", t.school_year, t.name)))
            .collect(),
        can_manage: a.can(Permission::OfferingManage) && a.org_id == school_id,
        can_approve: a.can(Permission::OfferingApprove) && a.org_kind != OrgKind::School,
        o,
        error,
    })
}

pub async fn school_offering(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<TermQuery>,
) -> PageResult {
    Ok(render(
        &offering_page(&state, &p, school_id, &q, String::new()).await?,
    ))
}

fn back(school_id: i64, term_id: i64, notice: &str) -> PageResult {
    Ok(Redirect::to(&format!(
        "/schools/{school_id}/offering?term={term_id}&notice={notice}"
    ))
    .into_response())
}

/// The term of a posted form, as the page sent it.
fn term_of(q: &TermQuery) -> Result<i64, PageError> {
    q.term
        .as_deref()
        .and_then(|t| t.parse().ok())
        .ok_or(PageError(kehou_service::Error::NotFound("学期")))
}

async fn answer(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    q: &TermQuery,
    result: Result<(), kehou_service::Error>,
    notice: &str,
) -> PageResult {
    let term_id = term_of(q)?;
    match result {
        Ok(()) => back(school_id, term_id, notice),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &offering_page(state, p, school_id, q, errors.first_message()).await?,
            ))
        }
    }
}

pub async fn action(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<TermQuery>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::OfferingManage)?;
    let term_id = term_of(&q)?;
    let action = OfferingAction::parse(&data.text("action"));
    let result = offering::school_action(&state.app, &actor, school_id, term_id, action)
        .await
        .map(|_| ());
    answer(&state, &p, school_id, &q, result, "saved").await
}

pub async fn copy(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<TermQuery>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    actor.require(Permission::OfferingManage)?;
    let term_id = term_of(&q)?;
    let result = offering::copy_last(&state.app, &actor, school_id, term_id).await;
    match result {
        Ok((_, left_out)) if !left_out.is_empty() => {
            let message = format!(
                "已复制上学期开课计划；以下课程未复制：{}",
                left_out.join("；")
            );
            Ok(render(
                &offering_page(&state, &p, school_id, &q, message).await?,
            ))
        }
        Ok(_) => back(school_id, term_id, "copied"),
        Err(e) => answer(&state, &p, school_id, &q, Err(e), "").await,
    }
}

pub async fn remove_item(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, item_id)): PagePath<(i64, i64)>,
    PageQuery(q): PageQuery<TermQuery>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    actor.require(Permission::OfferingManage)?;
    let term_id = term_of(&q)?;
    let result = offering::remove_item(&state.app, &actor, school_id, term_id, item_id).await;
    answer(&state, &p, school_id, &q, result, "removed").await
}

pub async fn decide(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<TermQuery>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::OfferingApprove)?;
    let term_id = term_of(&q)?;
    // Each refused course is a checked box "refuse" with its reason "reason_<id>".
    let refused = data
        .all("refuse")
        .into_iter()
        .filter_map(|id| id.parse::<i64>().ok())
        .map(|id| Refusal {
            item_id: id,
            reason: data.text(&format!("reason_{id}")),
        })
        .collect();
    let d = Decision {
        action: Some(data.text("action")),
        reason: Some(data.text("reason")),
        refused,
    };
    let result = offering::decide(&state.app, &actor, school_id, term_id, d)
        .await
        .map(|_| ());
    answer(&state, &p, school_id, &q, result, "saved").await
}

/// The item form as typed.
#[derive(Default)]
struct ItemForm {
    course: String,
    teachers: Vec<String>,
    textbook_fee: String,
    misc_fee: String,
    grades: Vec<String>,
    capacity: String,
    care_time: String,
    care_days: Vec<String>,
    parts: String,
}

impl ItemForm {
    fn from(d: &FormData) -> Self {
        Self {
            course: d.text("course_id"),
            teachers: d.all("teachers"),
            textbook_fee: d.text("textbook_fee"),
            misc_fee: d.text("misc_fee"),
            grades: d.all("grades"),
            capacity: d.text("capacity"),
            care_time: d.text("care_time"),
            care_days: d.all("care_days"),
            parts: d.text("parts"),
        }
    }

    fn of(i: &ItemView) -> Self {
        let yuan = |fen: i64| Fen(fen).to_string();
        Self {
            course: i.course_id.to_string(),
            teachers: i
                .teachers
                .iter()
                .filter_map(|t| t.staff_id.or(t.institution_teacher_id))
                .map(|id| id.to_string())
                .collect(),
            textbook_fee: yuan(i.textbook_fee_fen),
            misc_fee: yuan(i.misc_fee_fen),
            grades: i.grades.iter().map(i32::to_string).collect(),
            capacity: i.capacity.to_string(),
            care_time: i.care_time.clone().unwrap_or_default(),
            care_days: i.care_days.iter().map(i32::to_string).collect(),
            parts: i.parts.join("\n"),
        }
    }

    fn has(list: &[String], v: &impl ToString) -> bool {
        list.contains(&v.to_string())
    }

    fn input(&self, own: bool) -> Result<ItemInput, kehou_service::Error> {
        let mut invalid = Invalid::default();
        let fee = |invalid: &mut Invalid, field: &str, v: &str| -> Option<i64> {
            match v.trim() {
                "" => Some(0),
                t => invalid.take(field, Fen::parse_yuan(t)).map(Fen::fen),
            }
        };
        let ids: Vec<i64> = self
            .teachers
            .iter()
            .filter_map(|t| t.parse().ok())
            .collect();
        let input = ItemInput {
            course_id: self.course.parse().ok(),
            price_fen: None,
            textbook_fee_fen: fee(&mut invalid, "textbook_fee_fen", &self.textbook_fee),
            misc_fee_fen: fee(&mut invalid, "misc_fee_fen", &self.misc_fee),
            grades: Some(self.grades.iter().filter_map(|g| g.parse().ok()).collect()),
            capacity: match self.capacity.trim() {
                "" => None,
                t => t
                    .parse()
                    .map_err(|_| invalid.push("capacity", "应为整数"))
                    .ok(),
            },
            staff_ids: Some(if own { ids.clone() } else { Vec::new() }),
            teacher_ids: Some(if own { Vec::new() } else { ids }),
            care_time: Some(self.care_time.clone()),
            care_days: Some(
                self.care_days
                    .iter()
                    .filter_map(|d| d.parse().ok())
                    .collect(),
            ),
            parts: Some(
                self.parts
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(String::from)
                    .collect(),
            ),
        };
        if invalid.is_empty() {
            Ok(input)
        } else {
            Err(invalid.into())
        }
    }
}

#[derive(Template)]
#[template(path = "course/offering_item_new.html")]
struct ItemPage {
    frame: Frame,
    school_id: i64,
    /// The item changed; none for a new one.
    item_id: Option<i64>,
    o: OfferingView,
    choices: Vec<CourseChoice>,
    /// The course chosen, its teachers and grades once chosen.
    chosen: Option<CourseChoice>,
    teachers: Vec<Opt>,
    grades: Vec<i32>,
    care: bool,
    form: ItemForm,
    errors: FormErrors,
    care_times: Vec<Opt>,
}

impl ItemPage {
    fn grade_label(&self, g: &i32) -> String {
        grade_name(*g as u8)
    }

    fn day_label(&self, d: &i32) -> &'static str {
        weekday_name(*d)
    }
}

/// The form of a new item (`editing` none: choose the course first) or of an item's change.
#[allow(clippy::too_many_arguments)]
async fn item_page(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    term_id: i64,
    form: Option<ItemForm>,
    course: Option<i64>,
    editing: Option<i64>,
    errors: FormErrors,
) -> Result<ItemPage, PageError> {
    let a = p.actor()?;
    a.require(Permission::OfferingManage)?;
    let o = offering::get(&state.app, a, school_id, term_id).await?;
    let editing = match editing {
        Some(id) => Some(
            o.items
                .iter()
                .find(|i| i.id == id)
                .cloned()
                .ok_or(PageError(kehou_service::Error::NotFound("开课课程")))?,
        ),
        None => None,
    };
    let (choices, chosen) = match &editing {
        // The course of an item stays; it is offered already, whatever changed since.
        Some(item) => (
            Vec::new(),
            Some(CourseChoice {
                course_id: item.course_id,
                name: item.name.clone(),
                category_label: item.category_label,
                owner_name: item.institution_name.clone(),
                institution: item.institution_id.is_some(),
                admitted: true,
                allowed: true,
            }),
        ),
        None => {
            let choices = offering::choices(&state.app, a, school_id).await?;
            let chosen = course.and_then(|id| choices.iter().find(|c| c.course_id == id).cloned());
            (choices, chosen)
        }
    };
    let (teachers, grades, care) = match &chosen {
        Some(c) => {
            let view = kehou_service::course::catalog::get(&state.app, a, c.course_id).await?;
            (
                offering::teacher_choices(&state.app, a, school_id, term_id, c.course_id)
                    .await?
                    .into_iter()
                    .map(|(id, name)| Opt::new(id, name))
                    .collect(),
                view.grades,
                view.category == "care",
            )
        }
        None => (Vec::new(), Vec::new(), false),
    };
    let form = form.unwrap_or_else(|| match &editing {
        Some(item) => ItemForm::of(item),
        None => ItemForm {
            course: course.map(|c| c.to_string()).unwrap_or_default(),
            grades: grades.iter().map(i32::to_string).collect(),
            ..Default::default()
        },
    });
    let title = if editing.is_some() {
        "修改开课课程"
    } else {
        "添加开课课程"
    };
    Ok(ItemPage {
        frame: frame(state, p, title, "/offering", "").await?,
        school_id,
        item_id: editing.map(|i| i.id),
        o,
        choices,
        chosen,
        teachers,
        grades,
        care,
        form,
        errors,
        care_times: CareTime::ALL
            .iter()
            .map(|c| Opt::new(c.code(), c.label()))
            .collect(),
    })
}

pub async fn new_item(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<TermQuery>,
) -> PageResult {
    actor.require(Permission::OfferingManage)?;
    let term_id = term_of(&q)?;
    let course = q.course.as_deref().and_then(|c| c.parse().ok());
    Ok(render(
        &item_page(
            &state,
            &p,
            school_id,
            term_id,
            None,
            course,
            None,
            FormErrors::default(),
        )
        .await?,
    ))
}

pub async fn add_item(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<TermQuery>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::OfferingManage)?;
    let term_id = term_of(&q)?;
    let form = ItemForm::from(&data);
    let course: Option<i64> = form.course.parse().ok();
    // The teachers picked are the school's staff for its own course, dispatched institution
    // teachers otherwise: decided by the course, not by the form.
    let own = match course {
        Some(id) => kehou_service::course::catalog::get(&state.app, &actor, id)
            .await
            .map_or(true, |c| c.owner_org_id == school_id),
        None => true,
    };
    let result = match form.input(own) {
        Ok(input) => offering::add_item(&state.app, &actor, school_id, term_id, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => back(school_id, term_id, "created"),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &item_page(
                    &state,
                    &p,
                    school_id,
                    term_id,
                    Some(form),
                    course,
                    None,
                    errors,
                )
                .await?,
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "course/offering_published.html")]
struct PublishedPage {
    frame: Frame,
    o: OfferingView,
    terms: Vec<Opt>,
}

/// `/offering/published`: the school's published offering of a term (开课公示).
pub async fn published(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PageQuery(q): PageQuery<TermQuery>,
) -> PageResult {
    let school_id = match actor.org_kind {
        OrgKind::School => actor.org_id,
        _ => match q.school_id.as_deref().and_then(|s| s.parse().ok()) {
            Some(id) => id,
            None => return Ok(Redirect::to("/offerings").into_response()),
        },
    };
    let terms = calendar::terms_of(&state.app, &actor, school_id).await?;
    let Some(term) = pick_term(&terms, q.term.as_deref(), state.app.today()) else {
        return Err(PageError(kehou_service::Error::NotFound("学期")));
    };
    let o = offering::published(&state.app, &actor, school_id, term.id).await?;
    Ok(render(&PublishedPage {
        frame: frame(&state, &p, "开课公示", "/offering/published", "").await?,
        terms: terms
            .iter()
            .map(|t| Opt::new(t.id, format!("{} {}", t.school_year, t.name)))
            .collect(),
        o,
    }))
}

#[derive(Template)]
#[template(path = "course/offerings.html")]
struct ListPage {
    frame: Frame,
    items: Vec<OfferingView>,
    status: String,
    statuses: Vec<Opt>,
    policy: Option<Policy>,
    can_set_policy: bool,
}

/// `/offerings`: the offerings of a bureau's schools, and the bureau's rules.
pub async fn list(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PageQuery(q): PageQuery<TermQuery>,
) -> PageResult {
    let status = q.status.clone().unwrap_or_default();
    let policy = if matches!(actor.org_kind, OrgKind::Bureau | OrgKind::Platform) {
        Some(policy::get(&state.app, &actor).await?)
    } else {
        None
    };
    Ok(render(&ListPage {
        frame: frame(
            &state,
            &p,
            "开课审批",
            "/offerings",
            q.notice.as_deref().unwrap_or(""),
        )
        .await?,
        items: offering::list(&state.app, &actor, OfferingStatus::parse(&status)).await?,
        status,
        statuses: OfferingStatus::ALL
            .iter()
            .map(|s| Opt::new(s.code(), s.label()))
            .collect(),
        can_set_policy: actor.can(Permission::CoursePolicy) && policy.is_some(),
        policy,
    }))
}

pub async fn set_policy(
    State(state): State<AppState>,
    PageActor(_p, actor): PageActor,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    policy::set(
        &state.app,
        &actor,
        Policy {
            only_admitted: data.get("only_admitted").is_some(),
            needs_approval: data.get("needs_approval").is_some(),
        },
    )
    .await?;
    Ok(Redirect::to("/offerings?notice=saved").into_response())
}

pub async fn edit_item(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, item_id)): PagePath<(i64, i64)>,
    PageQuery(q): PageQuery<TermQuery>,
) -> PageResult {
    actor.require(Permission::OfferingManage)?;
    let term_id = term_of(&q)?;
    let page = item_page(
        &state,
        &p,
        school_id,
        term_id,
        None,
        None,
        Some(item_id),
        FormErrors::default(),
    )
    .await?;
    Ok(render(&page))
}

pub async fn update_item(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, item_id)): PagePath<(i64, i64)>,
    PageQuery(q): PageQuery<TermQuery>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::OfferingManage)?;
    let term_id = term_of(&q)?;
    let form = ItemForm::from(&data);
    let current = offering::get(&state.app, &actor, school_id, term_id)
        .await?
        .items
        .into_iter()
        .find(|i| i.id == item_id)
        .ok_or(PageError(kehou_service::Error::NotFound("开课课程")))?;
    let result = match form.input(current.institution_id.is_none()) {
        Ok(mut input) => {
            input.course_id = None;
            offering::update_item(&state.app, &actor, school_id, term_id, item_id, input).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => back(school_id, term_id, "saved"),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            let page = item_page(
                &state,
                &p,
                school_id,
                term_id,
                Some(form),
                None,
                Some(item_id),
                errors,
            )
            .await?;
            Ok(rerender(status, &page))
        }
    }
}
