//! Organization pages: list with filters and export, create, edit and move, (de)activate.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use kehou_domain::{BureauLevel, Invalid, OrgKind, Permission};
use kehou_service::Error;
use kehou_service::org::{self, NewOrg, OrgFilter, OrgPatch, OrgView};
use serde::Deserialize;

use kehou_service::platform::page::every;

use crate::AppState;
use crate::http::extract::{CsrfForm, PageActor, PagePath, PageQuery};
use crate::http::page::{
    FormData, FormErrors, Frame, ListInfo, Opt, PageError, PageResult, frame, page_of, render,
    rerender,
};

#[derive(Deserialize, Default)]
pub struct OrgQuery {
    q: Option<String>,
    kind: Option<String>,
    active: Option<String>,
    page: Option<String>,
    /// Rows per page: 20, 50 or 100.
    size: Option<String>,
    notice: Option<String>,
}

impl OrgQuery {
    fn filter(&self) -> OrgFilter {
        OrgFilter {
            q: self.q.clone(),
            kind: self.kind.as_deref().and_then(|k| OrgKind::parse(k).ok()),
            parent_id: None,
            active: self.active.as_deref().and_then(|a| a.parse().ok()),
        }
    }
}

fn kind_options() -> Vec<Opt> {
    [
        OrgKind::Bureau,
        OrgKind::School,
        OrgKind::Institution,
        OrgKind::Operator,
    ]
    .into_iter()
    .map(|k| Opt::new(k.code(), k.label()))
    .collect()
}

fn level_options() -> Vec<Opt> {
    BureauLevel::ALL
        .into_iter()
        .map(|l| Opt::new(l.code(), l.label()))
        .collect()
}

#[derive(Template)]
#[template(path = "org/orgs.html")]
struct ListPage {
    frame: Frame,
    items: Vec<OrgView>,
    list: ListInfo,
    q: String,
    kind: String,
    active: String,
    kinds: Vec<Opt>,
    can_manage: bool,
}

pub async fn list(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PageQuery(q): PageQuery<OrgQuery>,
) -> PageResult {
    let a = &actor;
    let page = org::list(
        &state.app,
        a,
        &q.filter(),
        page_of(q.page.as_deref(), q.size.as_deref()),
    )
    .await?;
    let (qs, kind, active) = (
        q.q.clone().unwrap_or_default(),
        q.kind.clone().unwrap_or_default(),
        q.active.clone().unwrap_or_default(),
    );
    let list = ListInfo::new(&page, &[("q", &qs), ("kind", &kind), ("active", &active)]);
    Ok(render(&ListPage {
        frame: frame(
            &state,
            &p,
            "组织机构",
            "/orgs",
            q.notice.as_deref().unwrap_or(""),
        )
        .await?,
        items: page.items,
        list,
        q: qs,
        kind,
        active,
        kinds: kind_options(),
        can_manage: a.can(Permission::OrgManage),
    }))
}

pub async fn export(
    State(state): State<AppState>,
    PageActor(_p, actor): PageActor,
    PageQuery(q): PageQuery<OrgQuery>,
) -> PageResult {
    let filter = q.filter();
    let page = every(|page| org::list(&state.app, &actor, &filter, page)).await?;
    let rows: Vec<Vec<String>> = page
        .items
        .into_iter()
        .map(|o| {
            vec![
                o.id.to_string(),
                o.name,
                o.type_label.to_string(),
                o.parent_name.unwrap_or_default(),
                o.code.unwrap_or_default(),
                o.region_code.unwrap_or_default(),
                if o.active { "启用" } else { "停用" }.to_string(),
            ]
        })
        .collect();
    Ok(crate::http::xlsx::download(
        "组织机构.xlsx",
        &[
            "ID",
            "名称",
            "类型",
            "上级组织",
            "组织代码",
            "行政区划代码",
            "状态",
        ],
        &rows,
    ))
}

#[derive(Default)]
struct OrgForm {
    kind: String,
    level: String,
    parent_id: String,
    name: String,
    code: String,
    region_code: String,
}

impl OrgForm {
    fn from_data(f: &FormData) -> Self {
        Self {
            kind: f.text("kind"),
            level: f.text("level"),
            parent_id: f.text("parent_id"),
            name: f.text("name"),
            code: f.text("code"),
            region_code: f.text("region_code"),
        }
    }
}

/// A department as the bureau's page lists it.
struct DepartmentRow {
    id: i64,
    name: String,
    permissions: String,
    members: String,
}

#[derive(Template)]
#[template(path = "org/org_form.html")]
struct FormPage {
    frame: Frame,
    org: Option<OrgView>,
    is_own: bool,
    can_manage: bool,
    /// Whether the organization may be halted (停用) or let work again by this person.
    can_halt: bool,
    /// A bureau's departments (科室), when the person may see roles.
    departments: Option<Vec<DepartmentRow>>,
    can_manage_departments: bool,
    form: OrgForm,
    errors: FormErrors,
    kinds: Vec<Opt>,
    levels: Vec<Opt>,
    parents: Vec<Opt>,
}

async fn form_page(
    state: &AppState,
    p: &kehou_service::Principal,
    org: Option<OrgView>,
    form: OrgForm,
    errors: FormErrors,
    notice: &str,
) -> Result<FormPage, PageError> {
    let a = p.actor()?;
    let own_id = org.as_ref().map(|o| o.id);
    let parents = org::possible_parents(&state.app, a)
        .await?
        .into_iter()
        .filter(|o| Some(o.id) != own_id)
        .map(|o| Opt::new(o.id, format!("{}（{}）", o.name, o.type_label)))
        .collect();
    let title = org
        .as_ref()
        .map(|o| o.name.clone())
        .unwrap_or_else(|| "新增组织".into());
    let departments = match &org {
        Some(o) if o.kind == kehou_domain::OrgKind::Bureau && a.can(Permission::RoleView) => Some(
            kehou_service::identity::department::list(&state.app, a, o.id)
                .await?
                .into_iter()
                .map(|d| DepartmentRow {
                    id: d.id,
                    permissions: d
                        .permissions
                        .iter()
                        .filter_map(|c| Permission::from_code(c))
                        .map(|p| p.def().name)
                        .collect::<Vec<_>>()
                        .join("；"),
                    members: d
                        .members
                        .iter()
                        .map(|m| m.user_name.as_str())
                        .collect::<Vec<_>>()
                        .join("、"),
                    name: d.name,
                })
                .collect(),
        ),
        _ => None,
    };
    Ok(FormPage {
        frame: frame(state, p, &title, "/orgs", notice).await?,
        is_own: own_id == Some(a.org_id),
        can_manage: a.can(Permission::OrgManage),
        can_halt: a.can(Permission::OrgManage) && a.can(Permission::SupervisionHalt),
        departments,
        can_manage_departments: a.can(Permission::RoleManage),
        org,
        form,
        errors,
        kinds: kind_options(),
        levels: level_options(),
        parents,
    })
}

pub async fn new_page(State(state): State<AppState>, PageActor(p, actor): PageActor) -> PageResult {
    actor.require(Permission::OrgManage)?;
    let form = OrgForm {
        parent_id: actor.org_id.to_string(),
        ..Default::default()
    };
    Ok(render(
        &form_page(&state, &p, None, form, FormErrors::default(), "").await?,
    ))
}

pub async fn create(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let form = OrgForm::from_data(&data);
    let mut invalid = Invalid::default();
    let parent_id = data.id("parent_id", &mut invalid);
    let result = if invalid.is_empty() {
        let input = NewOrg {
            parent_id,
            kind: Some(form.kind.clone()),
            level: Some(form.level.clone()),
            name: Some(form.name.clone()),
            code: Some(form.code.clone()),
            region_code: Some(form.region_code.clone()),
        };
        org::create(&state.app, &actor, input).await
    } else {
        Err(invalid.into())
    };
    match result {
        Ok(created) => {
            Ok(Redirect::to(&format!("/orgs/{}?notice=created", created.id)).into_response())
        }
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &form_page(&state, &p, None, form, errors, "").await?,
            ))
        }
    }
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

fn form_of(o: &OrgView) -> OrgForm {
    OrgForm {
        kind: o.kind.code().into(),
        level: o.level.map(|l| l.code().to_string()).unwrap_or_default(),
        parent_id: o.parent_id.map(|i| i.to_string()).unwrap_or_default(),
        name: o.name.clone(),
        code: o.code.clone().unwrap_or_default(),
        region_code: o.region_code.clone().unwrap_or_default(),
    }
}

pub async fn detail(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(id): PagePath<i64>,
    PageQuery(q): PageQuery<NoticeQuery>,
) -> PageResult {
    let o = org::get(&state.app, &actor, id).await?;
    let form = form_of(&o);
    Ok(render(
        &form_page(
            &state,
            &p,
            Some(o),
            form,
            FormErrors::default(),
            q.notice.as_deref().unwrap_or(""),
        )
        .await?,
    ))
}

pub async fn update(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let a = &actor;
    // Refused before the organization is looked up, as every change is.
    a.require(Permission::OrgManage)?;
    let current = org::get(&state.app, a, id).await?;
    let mut form = OrgForm::from_data(&data);
    form.kind = current.kind.code().into();
    let mut invalid = Invalid::default();
    let parent_id = data.id("parent_id", &mut invalid);
    let result = if invalid.is_empty() {
        // The own organization and the root keep their place.
        let parent_id = if current.id == a.org_id || current.parent_id.is_none() {
            None
        } else {
            parent_id
        };
        let patch = OrgPatch {
            name: Some(form.name.clone()),
            code: Some(form.code.clone()),
            region_code: Some(form.region_code.clone()),
            parent_id,
            active: None,
        };
        org::update(&state.app, a, id, patch).await
    } else {
        Err(invalid.into())
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/orgs/{id}?notice=saved")).into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &form_page(&state, &p, Some(current), form, errors, "").await?,
            ))
        }
    }
}

pub async fn set_active(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::OrgManage)?;
    actor.require(Permission::SupervisionHalt)?;
    let active = match data.get("active") {
        Some("true") => true,
        Some("false") => false,
        _ => return Err(PageError(Error::invalid("active", "状态无效"))),
    };
    let patch = OrgPatch {
        active: Some(active),
        ..Default::default()
    };
    match org::update(&state.app, &actor, id, patch).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/orgs/{id}?notice={}",
            if active { "activated" } else { "deactivated" }
        ))
        .into_response()),
        Err(e) => {
            let current = org::get(&state.app, &actor, id).await?;
            let form = form_of(&current);
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &form_page(&state, &p, Some(current), form, errors, "").await?,
            ))
        }
    }
}
