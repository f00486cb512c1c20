//! Course specification pages: the list, a new spec's form, a spec with its prices, its
//! changes and a price change from a future day.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use kehou_domain::course::{Category, PriceUnit};
use kehou_domain::{Fen, Invalid, Permission};
use kehou_service::Principal;
use kehou_service::course::spec::{self, SpecFilter, SpecInput, SpecView};
use serde::Deserialize;

use crate::AppState;
use crate::http::extract::{CsrfForm, PageActor, PagePath, PageQuery};
use crate::http::page::{
    FormData, FormErrors, Frame, Opt, PageError, PageResult, frame, render, rerender,
};

#[derive(Deserialize, Default)]
pub struct ListQuery {
    category: Option<String>,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "course/specs.html")]
struct ListPage {
    frame: Frame,
    items: Vec<SpecView>,
    category: String,
    categories: Vec<Opt>,
    can_manage: bool,
}

/// `/course-specs`: the specs a person works with.
pub async fn list(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PageQuery(q): PageQuery<ListQuery>,
) -> PageResult {
    let category = q.category.clone().unwrap_or_default();
    let filter = SpecFilter {
        category: Category::parse(&category),
        valid_on: None,
    };
    Ok(render(&ListPage {
        frame: frame(
            &state,
            &p,
            "课程规格",
            "/course-specs",
            q.notice.as_deref().unwrap_or(""),
        )
        .await?,
        items: spec::list(&state.app, &actor, &filter).await?,
        category,
        categories: categories(),
        can_manage: actor.can(Permission::CourseSpecManage),
    }))
}

fn categories() -> Vec<Opt> {
    Category::ALL
        .iter()
        .map(|c| Opt::new(c.code(), c.label()))
        .collect()
}

fn units() -> Vec<Opt> {
    PriceUnit::ALL
        .iter()
        .map(|u| Opt::new(u.code(), u.label()))
        .collect()
}

/// The spec form as typed.
#[derive(Default)]
struct SpecForm {
    code: String,
    name: String,
    category: String,
    class_size_min: String,
    class_size_max: String,
    price_unit: String,
    price: String,
    valid_from: String,
    valid_to: String,
}

impl SpecForm {
    fn from(d: &FormData) -> Self {
        Self {
            code: d.text("code"),
            name: d.text("name"),
            category: d.text("category"),
            class_size_min: d.text("class_size_min"),
            class_size_max: d.text("class_size_max"),
            price_unit: d.text("price_unit"),
            price: d.text("price"),
            valid_from: d.text("valid_from"),
            valid_to: d.text("valid_to"),
        }
    }

    fn of(s: &SpecView) -> Self {
        Self {
            code: s.code.clone(),
            name: s.name.clone(),
            category: s.category.clone(),
            class_size_min: s.class_size_min.to_string(),
            class_size_max: s.class_size_max.to_string(),
            price_unit: s.price_unit.clone(),
            price: String::new(),
            valid_from: s.valid_from.to_string(),
            valid_to: s.valid_to.map(|d| d.to_string()).unwrap_or_default(),
        }
    }

    /// The typed values as a change; numbers and dates that do not parse are field errors.
    fn input(&self, with_price: bool) -> Result<SpecInput, kehou_service::Error> {
        let mut invalid = Invalid::default();
        let number = |invalid: &mut Invalid, field: &str, v: &str| -> Option<i32> {
            match v.trim() {
                "" => None,
                t => t.parse().map_err(|_| invalid.push(field, "应为整数")).ok(),
            }
        };
        let input = SpecInput {
            code: Some(self.code.clone()),
            name: Some(self.name.clone()),
            category: Some(self.category.clone()).filter(|c| !c.is_empty()),
            class_size_min: number(&mut invalid, "class_size_min", &self.class_size_min),
            class_size_max: number(&mut invalid, "class_size_max", &self.class_size_max),
            price_unit: Some(self.price_unit.clone()).filter(|u| !u.is_empty()),
            price_fen: if with_price {
                invalid
                    .take("price_fen", Fen::parse_yuan(&self.price))
                    .map(Fen::fen)
            } else {
                None
            },
            valid_from: invalid.date("valid_from", &self.valid_from),
            valid_to: invalid.date("valid_to", &self.valid_to),
        };
        if invalid.is_empty() {
            Ok(input)
        } else {
            Err(invalid.into())
        }
    }
}

#[derive(Template)]
#[template(path = "course/spec_new.html")]
struct NewPage {
    frame: Frame,
    form: SpecForm,
    errors: FormErrors,
    categories: Vec<Opt>,
    units: Vec<Opt>,
}

async fn new_spec_page(
    state: &AppState,
    p: &Principal,
    form: SpecForm,
    errors: FormErrors,
) -> Result<NewPage, PageError> {
    p.actor()?.require(Permission::CourseSpecManage)?;
    Ok(NewPage {
        frame: frame(state, p, "新增课程规格", "/course-specs", "").await?,
        form,
        errors,
        categories: categories(),
        units: units(),
    })
}

pub async fn new_page(State(state): State<AppState>, PageActor(p, _): PageActor) -> PageResult {
    Ok(render(
        &new_spec_page(&state, &p, SpecForm::default(), FormErrors::default()).await?,
    ))
}

pub async fn create(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::CourseSpecManage)?;
    let form = SpecForm::from(&data);
    let result = match form.input(true) {
        Ok(input) => spec::create(&state.app, &actor, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(s) => {
            Ok(Redirect::to(&format!("/course-specs/{}?notice=created", s.id)).into_response())
        }
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &new_spec_page(&state, &p, form, errors).await?,
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "course/spec.html")]
struct DetailPage {
    frame: Frame,
    s: SpecView,
    can_manage: bool,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

pub async fn detail(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(id): PagePath<i64>,
    PageQuery(q): PageQuery<NoticeQuery>,
) -> PageResult {
    let s = spec::get(&state.app, &actor, id).await?;
    Ok(render(&DetailPage {
        frame: frame(
            &state,
            &p,
            &s.name,
            "/course-specs",
            q.notice.as_deref().unwrap_or(""),
        )
        .await?,
        can_manage: actor.can(Permission::CourseSpecManage) && s.owner_org_id == actor.org_id,
        s,
    }))
}

/// A spec's edit form or its price change, each on a page of its own.
#[derive(Template)]
#[template(path = "course/spec_form.html")]
struct FormPage {
    frame: Frame,
    s: SpecView,
    pricing: bool,
    form: SpecForm,
    price: String,
    effective_from: String,
    errors: FormErrors,
}

async fn form_page(
    state: &AppState,
    p: &Principal,
    id: i64,
    pricing: bool,
    typed: Option<(SpecForm, String, String)>,
    errors: FormErrors,
) -> Result<FormPage, PageError> {
    let a = p.actor()?;
    a.require(Permission::CourseSpecManage)?;
    let s = spec::get(&state.app, a, id).await?;
    let (form, price, effective_from) =
        typed.unwrap_or_else(|| (SpecForm::of(&s), String::new(), String::new()));
    Ok(FormPage {
        frame: frame(
            state,
            p,
            if pricing {
                "调价"
            } else {
                "修改课程规格"
            },
            "/course-specs",
            "",
        )
        .await?,
        s,
        pricing,
        form,
        price,
        effective_from,
        errors,
    })
}

pub async fn edit(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath(id): PagePath<i64>,
) -> PageResult {
    Ok(render(
        &form_page(&state, &p, id, false, None, FormErrors::default()).await?,
    ))
}

pub async fn price_page(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath(id): PagePath<i64>,
) -> PageResult {
    Ok(render(
        &form_page(&state, &p, id, true, None, FormErrors::default()).await?,
    ))
}

pub async fn update(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::CourseSpecManage)?;
    let form = SpecForm::from(&data);
    let result = match form.input(false) {
        Ok(mut input) => {
            // Fixed fields are shown, not sent back.
            input.code = None;
            input.category = None;
            input.price_unit = None;
            spec::update(&state.app, &actor, id, input).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/course-specs/{id}?notice=saved")).into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            let typed = Some((form, String::new(), String::new()));
            Ok(rerender(
                status,
                &form_page(&state, &p, id, false, typed, errors).await?,
            ))
        }
    }
}

pub async fn change_price(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::CourseSpecManage)?;
    let (price, from) = (data.text("price"), data.text("effective_from"));
    let mut invalid = Invalid::default();
    let fen = invalid.take("price_fen", Fen::parse_yuan(&price));
    let day = invalid.date("effective_from", &from);
    let result = if invalid.is_empty() {
        spec::change_price(&state.app, &actor, id, fen.map(Fen::fen), day).await
    } else {
        Err(invalid.into())
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/course-specs/{id}?notice=saved")).into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            let typed = Some((SpecForm::default(), price, from));
            Ok(rerender(
                status,
                &form_page(&state, &p, id, true, typed, errors).await?,
            ))
        }
    }
}
