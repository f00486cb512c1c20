//! Pages of a bureau's departments (科室): a department's form, and the departments of an
//! officer's membership. The list is on the bureau's own page (`/orgs/{id}`).

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use kehou_domain::Permission;
use kehou_service::Principal;
use kehou_service::identity::department::{self, DepartmentInput};

use super::roles::{PermissionGroup, groups};
use crate::AppState;
use crate::http::extract::{CsrfForm, PageActor, PagePath};
use crate::http::page::{FormErrors, Frame, PageError, PageResult, frame, render, rerender};

/// A new department (`department_id` none) or an existing one.
#[derive(Template)]
#[template(path = "identity/department_form.html")]
struct FormPage {
    frame: Frame,
    org_id: i64,
    org_name: String,
    department_id: Option<i64>,
    /// The department's name as typed (apart from the macros' own `name`).
    value_name: String,
    members: Vec<String>,
    groups: Vec<PermissionGroup>,
    errors: FormErrors,
}

async fn form_page(
    state: &AppState,
    p: &Principal,
    org_id: i64,
    department_id: Option<i64>,
    typed: Option<(String, Vec<String>)>,
    errors: FormErrors,
) -> Result<FormPage, PageError> {
    let a = p.actor()?;
    a.require(Permission::RoleManage)?;
    let bureau = kehou_service::org::get(&state.app, a, org_id).await?;
    let (name, granted, members) = match department_id {
        Some(id) => {
            let d = department::get(&state.app, a, org_id, id).await?;
            let members = d.members.into_iter().map(|m| m.user_name).collect();
            (d.name, d.permissions, members)
        }
        None => {
            // Refuses a school before the form is shown.
            department::list(&state.app, a, org_id).await?;
            (String::new(), Vec::new(), Vec::new())
        }
    };
    let (name, granted) = typed.unwrap_or((name, granted));
    let title = if department_id.is_some() {
        "编辑科室"
    } else {
        "新增科室"
    };
    Ok(FormPage {
        frame: frame(state, p, title, "/orgs", "").await?,
        org_id,
        org_name: bureau.name,
        department_id,
        value_name: name,
        members,
        groups: groups(&granted),
        errors,
    })
}

pub async fn new_page(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath(org_id): PagePath<i64>,
) -> PageResult {
    Ok(render(
        &form_page(&state, &p, org_id, None, None, FormErrors::default()).await?,
    ))
}

pub async fn edit(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath((org_id, id)): PagePath<(i64, i64)>,
) -> PageResult {
    Ok(render(
        &form_page(&state, &p, org_id, Some(id), None, FormErrors::default()).await?,
    ))
}

fn input_of(data: &crate::http::page::FormData) -> DepartmentInput {
    DepartmentInput {
        name: Some(data.text("name")),
        permissions: Some(data.all("permissions")),
    }
}

async fn answer(
    state: &AppState,
    p: &Principal,
    org_id: i64,
    department_id: Option<i64>,
    input: DepartmentInput,
    result: kehou_service::Result<()>,
) -> PageResult {
    match result {
        Ok(()) => {
            Ok(Redirect::to(&format!("/orgs/{org_id}?notice=saved#departments")).into_response())
        }
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            let typed = (
                input.name.unwrap_or_default(),
                input.permissions.unwrap_or_default(),
            );
            Ok(rerender(
                status,
                &form_page(state, p, org_id, department_id, Some(typed), errors).await?,
            ))
        }
    }
}

pub async fn create(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(org_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let input = input_of(&data);
    let result = department::create(&state.app, &actor, org_id, input.clone())
        .await
        .map(|_| ());
    answer(&state, &p, org_id, None, input, result).await
}

pub async fn update(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((org_id, id)): PagePath<(i64, i64)>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let input = input_of(&data);
    let result = department::update(&state.app, &actor, org_id, id, input.clone())
        .await
        .map(|_| ());
    answer(&state, &p, org_id, Some(id), input, result).await
}

pub async fn delete(
    State(state): State<AppState>,
    PageActor(_p, actor): PageActor,
    PagePath((org_id, id)): PagePath<(i64, i64)>,
    CsrfForm(_data): CsrfForm,
) -> PageResult {
    department::delete(&state.app, &actor, org_id, id).await?;
    Ok(Redirect::to(&format!("/orgs/{org_id}?notice=saved#departments")).into_response())
}

/// One department to tick for a membership.
struct Choice {
    id: i64,
    name: String,
    permissions: String,
    chosen: bool,
}

#[derive(Template)]
#[template(path = "identity/membership_departments.html")]
struct AssignPage {
    frame: Frame,
    user_id: i64,
    user_name: String,
    membership_id: i64,
    org_id: i64,
    org_name: String,
    role_name: String,
    choices: Vec<Choice>,
    errors: FormErrors,
}

async fn assign_page(
    state: &AppState,
    p: &Principal,
    user_id: i64,
    membership_id: i64,
    chosen: Option<Vec<i64>>,
    errors: FormErrors,
) -> Result<AssignPage, PageError> {
    let a = p.actor()?;
    a.require(Permission::RoleManage)?;
    let user = kehou_service::identity::account::get(&state.app, a, user_id).await?;
    let m = user
        .memberships
        .iter()
        .find(|m| m.id == membership_id)
        .ok_or(PageError(kehou_service::Error::NotFound("身份")))?;
    let chosen = chosen.unwrap_or_else(|| m.departments.iter().map(|d| d.id).collect());
    let choices = department::list(&state.app, a, m.org_id)
        .await?
        .into_iter()
        .map(|d| Choice {
            chosen: chosen.contains(&d.id),
            id: d.id,
            permissions: d
                .permissions
                .iter()
                .filter_map(|c| Permission::from_code(c))
                .map(|p| p.def().name)
                .collect::<Vec<_>>()
                .join("；"),
            name: d.name,
        })
        .collect();
    Ok(AssignPage {
        frame: frame(state, p, "设置科室", "/users", "").await?,
        user_id,
        membership_id,
        org_id: m.org_id,
        org_name: m.org_name.clone(),
        role_name: m.role_name.clone(),
        user_name: user.name,
        choices,
        errors,
    })
}

pub async fn assign_form(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath((user_id, membership_id)): PagePath<(i64, i64)>,
) -> PageResult {
    Ok(render(
        &assign_page(
            &state,
            &p,
            user_id,
            membership_id,
            None,
            FormErrors::default(),
        )
        .await?,
    ))
}

pub async fn assign(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((user_id, membership_id)): PagePath<(i64, i64)>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let mut invalid = kehou_domain::Invalid::default();
    let ids: Vec<i64> = data
        .all("department_ids")
        .iter()
        .filter_map(|v| match v.parse() {
            Ok(id) => Some(id),
            Err(_) => {
                invalid.push("department_ids", "科室编号应为数字");
                None
            }
        })
        .collect();
    let result = if invalid.is_empty() {
        department::assign(
            &state.app,
            &actor,
            user_id,
            membership_id,
            Some(ids.clone()),
        )
        .await
        .map(|_| ())
    } else {
        Err(invalid.into())
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/users/{user_id}?notice=saved")).into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &assign_page(&state, &p, user_id, membership_id, Some(ids), errors).await?,
            ))
        }
    }
}
