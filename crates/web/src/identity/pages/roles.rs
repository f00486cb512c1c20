//! Role pages: the list, creating a custom role, and granting permissions in batch.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use kehou_domain::{OrgKind, PERMISSIONS, Permission};
use kehou_service::identity::role::{self, NewRole, RoleView};
use kehou_service::{Actor, Principal};
use serde::Deserialize;

use crate::AppState;
use crate::http::extract::{CsrfForm, PageActor, PagePath, PageQuery};
use crate::http::page::{FormErrors, Frame, Opt, PageError, PageResult, frame, render, rerender};

#[derive(Default)]
struct RoleForm {
    name: String,
    org_kind: String,
    description: String,
}

#[derive(Template)]
#[template(path = "identity/roles.html")]
struct ListPage {
    frame: Frame,
    items: Vec<RoleView>,
    can_manage: bool,
}

/// The form for a custom role, on a page of its own.
#[derive(Template)]
#[template(path = "identity/role_new.html")]
struct NewPage {
    frame: Frame,
    form: RoleForm,
    errors: FormErrors,
    kinds: Vec<Opt>,
}

async fn new_role_page(
    state: &AppState,
    p: &Principal,
    form: RoleForm,
    errors: FormErrors,
) -> Result<NewPage, PageError> {
    let a = p.actor()?;
    a.require(Permission::RoleManage)?;
    Ok(NewPage {
        frame: frame(state, p, "新增角色", "/roles", "").await?,
        form,
        errors,
        kinds: kind_options(a),
    })
}

pub async fn new_page(State(state): State<AppState>, PageActor(p, actor): PageActor) -> PageResult {
    let form = RoleForm {
        org_kind: actor.org_kind.code().into(),
        ..Default::default()
    };
    Ok(render(
        &new_role_page(&state, &p, form, FormErrors::default()).await?,
    ))
}

fn kind_options(a: &Actor) -> Vec<Opt> {
    OrgKind::ALL
        .into_iter()
        .filter(|k| *k != OrgKind::Platform || a.is_platform())
        .map(|k| Opt::new(k.code(), k.label()))
        .collect()
}

async fn list_page(state: &AppState, p: &Principal, notice: &str) -> Result<ListPage, PageError> {
    let a = p.actor()?;
    Ok(ListPage {
        frame: frame(state, p, "角色权限", "/roles", notice).await?,
        items: role::list(&state.app, a).await?,
        can_manage: a.can(Permission::RoleManage),
    })
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PageQuery(q): PageQuery<NoticeQuery>,
) -> PageResult {
    Ok(render(
        &list_page(&state, &p, q.notice.as_deref().unwrap_or("")).await?,
    ))
}

pub async fn create(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let form = RoleForm {
        name: data.text("name"),
        org_kind: data.text("org_kind"),
        description: data.text("description"),
    };
    let input = NewRole {
        name: Some(form.name.clone()),
        org_kind: Some(form.org_kind.clone()),
        description: Some(form.description.clone()),
        permissions: data.all("permissions"),
    };
    match role::create(&state.app, &actor, input).await {
        Ok(created) => {
            Ok(Redirect::to(&format!("/roles/{}?notice=created", created.id)).into_response())
        }
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &new_role_page(&state, &p, form, errors).await?,
            ))
        }
    }
}

pub(crate) struct PermissionBox {
    pub code: &'static str,
    pub name: &'static str,
    pub granted: bool,
}

pub(crate) struct PermissionGroup {
    pub name: &'static str,
    pub items: Vec<PermissionBox>,
}

#[derive(Template)]
#[template(path = "identity/role_detail.html")]
struct DetailPage {
    frame: Frame,
    role: RoleView,
    holders: u64,
    groups: Vec<PermissionGroup>,
    editable: bool,
    readonly_reason: &'static str,
    errors: FormErrors,
}

/// Permission checkboxes grouped as in the catalog, ticked where `granted` says so.
pub(crate) fn groups(granted: &[String]) -> Vec<PermissionGroup> {
    let mut out: Vec<PermissionGroup> = Vec::new();
    for d in PERMISSIONS {
        let item = PermissionBox {
            code: d.code,
            name: d.name,
            granted: granted.iter().any(|g| g == d.code),
        };
        match out.last_mut() {
            Some(g) if g.name == d.group => g.items.push(item),
            _ => out.push(PermissionGroup {
                name: d.group,
                items: vec![item],
            }),
        }
    }
    out
}

async fn detail_page(
    state: &AppState,
    p: &Principal,
    id: i64,
    granted: Option<Vec<String>>,
    errors: FormErrors,
    notice: &str,
) -> Result<DetailPage, PageError> {
    let a = p.actor()?;
    let r = role::get(&state.app, a, id).await?;
    let (editable, readonly_reason) = if r.editable {
        (true, "")
    } else if !a.can(Permission::RoleManage) {
        (false, "您没有配置角色权限的权限")
    } else if r.preset {
        (false, "预置角色的权限只能由平台管理员修改")
    } else {
        (false, "只能修改本单位及下级单位创建的角色")
    };
    Ok(DetailPage {
        frame: frame(state, p, &r.name, "/roles", notice).await?,
        holders: role::member_count(&state.app, p.actor()?, r.id).await?,
        groups: groups(granted.as_deref().unwrap_or(&r.permissions)),
        role: r,
        editable,
        readonly_reason,
        errors,
    })
}

pub async fn detail(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath(id): PagePath<i64>,
    PageQuery(q): PageQuery<NoticeQuery>,
) -> PageResult {
    Ok(render(
        &detail_page(
            &state,
            &p,
            id,
            None,
            FormErrors::default(),
            q.notice.as_deref().unwrap_or(""),
        )
        .await?,
    ))
}

pub async fn save(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let wanted = data.all("permissions");
    match role::set_permissions(&state.app, &actor, id, Some(&wanted)).await {
        Ok(_) => Ok(Redirect::to(&format!("/roles/{id}?notice=saved")).into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &detail_page(&state, &p, id, Some(wanted), errors, "").await?,
            ))
        }
    }
}
