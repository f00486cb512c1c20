//! The classes page (C3): administrative classes per school year, promotion, departments
//! and posts.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use kehou_domain::school::{SchoolType, grade_name};
use kehou_domain::{Invalid, OrgKind, Permission};
use kehou_service::school::admin_class::{
    self, AdminClassInput, AdminClassPatch, AdminClassView, UnitView,
};
use kehou_service::{Error, Principal};
use serde::Deserialize;

use crate::AppState;
use crate::http::extract::{CsrfForm, PageActor, PagePath, PageQuery};
use crate::http::page::{FormErrors, Frame, Opt, PageError, PageResult, frame, render, rerender};

#[derive(Deserialize, Default)]
pub struct AdminClassQuery {
    school_id: Option<String>,
    school_year: Option<String>,
    notice: Option<String>,
}

#[derive(Default)]
struct ClassForm {
    school_year: String,
    grade: String,
    number: String,
    alias: String,
    head_teacher_id: String,
}

#[derive(Template)]
#[template(path = "school/admin_classes.html")]
struct ClassesPage {
    frame: Frame,
    schools: Vec<Opt>,
    school_id: i64,
    school_id_text: String,
    school_name: String,
    years: Vec<String>,
    year: String,
    items: Vec<AdminClassView>,
    units: Vec<UnitView>,
    can_manage: bool,
    /// What went wrong with an action taken from this page (units, promotion), shown on top.
    problem: String,
}

async fn page(
    state: &AppState,
    p: &Principal,
    school_id: Option<i64>,
    year: Option<String>,
    problem: String,
    notice: &str,
) -> Result<ClassesPage, PageError> {
    let a = p.actor()?;
    a.require(Permission::SchoolView)?;
    let schools: Vec<Opt> = if a.org_kind == OrgKind::School {
        Vec::new()
    } else {
        kehou_service::school::schools_in_scope(&state.app, a)
            .await?
            .into_iter()
            .map(|s| Opt::new(s.id, s.name))
            .collect()
    };
    let school_id = school_id.or_else(|| schools.first().and_then(|s| s.value.parse().ok()));
    let mut page = ClassesPage {
        frame: frame(state, p, "班级管理", "/admin-classes", notice).await?,
        schools,
        school_id: school_id.unwrap_or(0),
        school_id_text: school_id.map(|i| i.to_string()).unwrap_or_default(),
        school_name: String::new(),
        years: Vec::new(),
        year: String::new(),
        items: Vec::new(),
        units: Vec::new(),
        can_manage: a.can(Permission::SchoolManage) && school_id.is_some(),
        problem,
    };
    let Some(id) = school_id else { return Ok(page) };
    let profile = kehou_service::school::profile::profile(&state.app, a, id).await?;
    page.school_name = profile.name;
    page.years = admin_class::school_years(&state.app, a, id).await?;
    page.year = year
        .filter(|y| !y.is_empty())
        .or_else(|| page.years.first().cloned())
        .unwrap_or_default();
    if !page.year.is_empty() && !page.years.contains(&page.year) {
        page.years.insert(0, page.year.clone());
    }
    page.items = admin_class::list_admin_classes(&state.app, a, id, Some(&page.year), None).await?;
    page.units = admin_class::list_units(&state.app, a, id).await?;
    Ok(page)
}

/// The form for a new administrative class, on a page of its own.
#[derive(Template)]
#[template(path = "school/admin_class_new.html")]
struct NewPage {
    frame: Frame,
    school_id: i64,
    school_name: String,
    form: ClassForm,
    errors: FormErrors,
    grades: Vec<Opt>,
    staff: Vec<Opt>,
}

async fn new_class_page(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    form: ClassForm,
    errors: FormErrors,
) -> Result<NewPage, PageError> {
    let a = p.actor()?;
    a.require(Permission::SchoolManage)?;
    let profile = kehou_service::school::profile::profile(&state.app, a, school_id).await?;
    let grades = profile
        .school_type
        .as_deref()
        .and_then(|t| SchoolType::parse(t).ok())
        .map(|t| {
            t.grades()
                .into_iter()
                .map(|g| Opt::new(g, grade_name(g)))
                .collect()
        })
        .unwrap_or_default();
    let staff = admin_class::head_teacher_options(&state.app, a, school_id)
        .await?
        .into_iter()
        .map(|(uid, name)| Opt::new(uid, name))
        .collect();
    Ok(NewPage {
        frame: frame(state, p, "新增行政班", "/admin-classes", "").await?,
        school_id,
        school_name: profile.name,
        form,
        errors,
        grades,
        staff,
    })
}

#[derive(Deserialize)]
pub struct NewClassQuery {
    school_year: Option<String>,
}

pub async fn new_page(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<NewClassQuery>,
) -> PageResult {
    let form = ClassForm {
        school_year: q.school_year.unwrap_or_default(),
        ..Default::default()
    };
    Ok(render(
        &new_class_page(&state, &p, school_id, form, FormErrors::default()).await?,
    ))
}

pub async fn index(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PageQuery(q): PageQuery<AdminClassQuery>,
) -> PageResult {
    let a = &actor;
    a.require(kehou_domain::Permission::SchoolView)?;
    if a.org_kind == OrgKind::School {
        return Ok(Redirect::to(&format!("/schools/{}/admin-classes", a.org_id)).into_response());
    }
    let school_id = crate::http::page::chosen_school(&state, &p, q.school_id.as_deref()).await?;
    Ok(render(
        &page(&state, &p, school_id, None, String::new(), "").await?,
    ))
}

pub async fn list(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<AdminClassQuery>,
) -> PageResult {
    Ok(render(
        &page(
            &state,
            &p,
            Some(school_id),
            q.school_year,
            String::new(),
            q.notice.as_deref().unwrap_or(""),
        )
        .await?,
    ))
}

/// The list of a school year with what went wrong on top; refusals are error pages.
async fn list_with_problem(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    year: Option<String>,
    e: Error,
) -> PageResult {
    let message = e.one_line();
    let (status, _) = FormErrors::from_error(e)?;
    Ok(rerender(
        status,
        &page(state, p, Some(school_id), year, message, "").await?,
    ))
}

/// Back to the list after a department or post changed, or the list with what went wrong.
async fn after_unit(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    result: Result<(), Error>,
) -> PageResult {
    match result {
        Ok(()) => Ok(
            Redirect::to(&format!("/schools/{school_id}/admin-classes?notice=saved"))
                .into_response(),
        ),
        Err(e) => list_with_problem(state, p, school_id, None, e).await,
    }
}

pub async fn create(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let form = ClassForm {
        school_year: data.text("school_year"),
        grade: data.text("grade"),
        number: data.text("number"),
        alias: data.text("alias"),
        head_teacher_id: data.text("head_teacher_id"),
    };
    let mut invalid = Invalid::default();
    let grade = data.id("grade", &mut invalid);
    let number = data.id("number", &mut invalid);
    let head = data.id("head_teacher_id", &mut invalid);
    let result = if invalid.is_empty() {
        let input = AdminClassInput {
            school_year: Some(form.school_year.clone()),
            grade,
            number,
            alias: Some(form.alias.clone()),
            head_teacher_id: head,
        };
        admin_class::create_admin_class(&state.app, &actor, school_id, input)
            .await
            .map(|_| ())
    } else {
        Err(invalid.into())
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!(
            "/schools/{school_id}/admin-classes?school_year={}&notice=saved",
            crate::http::extract::urlencode(&form.school_year)
        ))
        .into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &new_class_page(&state, &p, school_id, form, errors).await?,
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "school/admin_class_promote.html")]
struct PromotePage {
    frame: Frame,
    school_id: i64,
    plan: kehou_service::school::admin_class::PromotionPlan,
}

#[derive(Deserialize)]
pub struct PromoteQuery {
    year: Option<String>,
}

/// Shows who moves where and who graduates before anything is done.
pub async fn promotion_preview(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<PromoteQuery>,
) -> PageResult {
    let from = q.year.unwrap_or_default();
    match admin_class::promotion_preview(&state.app, &actor, school_id, &from).await {
        Ok(plan) => Ok(render(&PromotePage {
            frame: frame(&state, &p, "班级升级", "/admin-classes", "").await?,
            school_id,
            plan,
        })),
        Err(e) => list_with_problem(&state, &p, school_id, Some(from), e).await,
    }
}

pub async fn promote(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let from = data.text("from_school_year");
    match admin_class::promote(&state.app, &actor, school_id, &from).await {
        Ok(done) => Ok(Redirect::to(&format!(
            "/schools/{school_id}/admin-classes?school_year={}&notice=promoted",
            done.to_school_year
        ))
        .into_response()),
        Err(e) => list_with_problem(&state, &p, school_id, Some(from), e).await,
    }
}

#[derive(Template)]
#[template(path = "school/admin_class_edit.html")]
struct EditPage {
    frame: Frame,
    school_id: i64,
    class: AdminClassView,
    alias: String,
    head_teacher_id: String,
    staff: Vec<Opt>,
    errors: FormErrors,
}

async fn edit_page(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    class_id: i64,
    values: Option<(String, String)>,
    errors: FormErrors,
) -> Result<EditPage, PageError> {
    let a = p.actor()?;
    a.require(Permission::SchoolManage)?;
    let class = admin_class::list_admin_classes(&state.app, a, school_id, None, None)
        .await?
        .into_iter()
        .find(|c| c.id == class_id)
        .ok_or(PageError(Error::NotFound("行政班")))?;
    let (alias, head_teacher_id) = values.unwrap_or_else(|| {
        (
            class.alias.clone().unwrap_or_default(),
            class
                .head_teacher_id
                .map(|h| h.to_string())
                .unwrap_or_default(),
        )
    });
    Ok(EditPage {
        frame: frame(state, p, "编辑行政班", "/admin-classes", "").await?,
        school_id,
        staff: admin_class::head_teacher_options(&state.app, a, school_id)
            .await?
            .into_iter()
            .map(|(uid, name)| Opt::new(uid, name))
            .collect(),
        class,
        alias,
        head_teacher_id,
        errors,
    })
}

pub async fn edit(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath((school_id, class_id)): PagePath<(i64, i64)>,
) -> PageResult {
    Ok(render(
        &edit_page(&state, &p, school_id, class_id, None, FormErrors::default()).await?,
    ))
}

pub async fn update(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, class_id)): PagePath<(i64, i64)>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let mut invalid = Invalid::default();
    let head = data.id("head_teacher_id", &mut invalid);
    let result = if invalid.is_empty() {
        let patch = AdminClassPatch {
            alias: Some(data.text("alias")),
            head_teacher_id: Some(head),
        };
        admin_class::update_admin_class(&state.app, &actor, school_id, class_id, patch).await
    } else {
        Err(invalid.into())
    };
    match result {
        Ok(c) => Ok(Redirect::to(&format!(
            "/schools/{school_id}/admin-classes?school_year={}&notice=saved",
            c.school_year
        ))
        .into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            let values = (data.text("alias"), data.text("head_teacher_id"));
            Ok(rerender(
                status,
                &edit_page(&state, &p, school_id, class_id, Some(values), errors).await?,
            ))
        }
    }
}

pub async fn add_unit(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let result = admin_class::add_unit(
        &state.app,
        &actor,
        school_id,
        data.get("kind"),
        data.get("name"),
    )
    .await
    .map(|_| ());
    after_unit(&state, &p, school_id, result).await
}

pub async fn remove_unit(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, unit_id)): PagePath<(i64, i64)>,
    CsrfForm(_data): CsrfForm,
) -> PageResult {
    let result = admin_class::remove_unit(&state.app, &actor, school_id, unit_id).await;
    after_unit(&state, &p, school_id, result).await
}

/// The classes of a school year as a workbook in the import's columns.
pub async fn export(
    State(state): State<AppState>,
    PageActor(_p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<AdminClassQuery>,
) -> PageResult {
    let a = &actor;
    let classes = kehou_service::school::admin_class::list_admin_classes(
        &state.app,
        a,
        school_id,
        q.school_year.as_deref(),
        None,
    )
    .await?;
    let phones =
        kehou_service::school::admin_class::head_teacher_phones(&state.app, a, school_id).await?;
    let rows: Vec<Vec<String>> = classes
        .into_iter()
        .map(|c| {
            vec![
                c.school_year,
                c.grade_name,
                c.number.to_string(),
                c.alias.unwrap_or_default(),
                c.head_teacher_id
                    .and_then(|id| phones.get(&id).cloned())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let headers: Vec<&str> = kehou_service::school::admin_class::IMPORT_COLUMNS
        .iter()
        .map(|c| c.title)
        .collect();
    Ok(crate::http::xlsx::download("行政班.xlsx", &headers, &rows))
}
