//! Staff pages (C2): the list with search and department filter, export and import, a
//! form to add a person with their roles, and a page to edit one.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use kehou_domain::Permission;
use kehou_service::school::staff::{self, StaffFilter, StaffInput, StaffPatch, StaffView, TITLES};
use kehou_service::{Actor, Principal};
use serde::Deserialize;

use kehou_service::platform::page::every;

use crate::AppState;
use crate::http::extract::{CsrfForm, PageActor, PagePath, PageQuery};
use crate::http::page::{
    FormData, FormErrors, Frame, ListInfo, Opt, PageError, PageResult, empty_list, frame, page_of,
    render, rerender, school_choice,
};

#[derive(Deserialize, Default)]
pub struct StaffQuery {
    school_id: Option<String>,
    q: Option<String>,
    department_id: Option<String>,
    active: Option<String>,
    page: Option<String>,
    /// Rows per page: 20, 50 or 100.
    size: Option<String>,
    notice: Option<String>,
}

impl StaffQuery {
    fn filter(&self) -> StaffFilter {
        StaffFilter {
            q: self.q.clone(),
            department_id: self.department_id.as_deref().and_then(|d| d.parse().ok()),
            active: self.active.as_deref().and_then(|a| a.parse().ok()),
        }
    }
}

#[derive(Default)]
struct StaffForm {
    name: String,
    phone: String,
    gender: String,
    subjects: String,
    title: String,
    certificate_no: String,
    department_id: String,
    posts: String,
    role_ids: Vec<String>,
}

impl StaffForm {
    fn from_data(d: &FormData) -> Self {
        Self {
            name: d.text("name"),
            phone: d.text("phone"),
            gender: d.text("gender"),
            subjects: d.text("subjects"),
            title: d.text("title"),
            certificate_no: d.text("certificate_no"),
            department_id: d.text("department_id"),
            posts: d.text("posts"),
            role_ids: d.all("role_ids"),
        }
    }

    fn has_role(&self, id: &str) -> bool {
        self.role_ids.iter().any(|r| r == id)
    }
}

fn title_options() -> Vec<Opt> {
    TITLES.iter().map(|t| Opt::new(t, *t)).collect()
}

async fn department_options(
    state: &AppState,
    a: &Actor,
    school_id: i64,
) -> Result<Vec<Opt>, PageError> {
    Ok(
        kehou_service::school::admin_class::list_units(&state.app, a, school_id)
            .await?
            .into_iter()
            .filter(|u| u.kind == "department")
            .map(|u| Opt::new(u.id, u.name))
            .collect(),
    )
}

#[derive(Template)]
#[template(path = "school/staff.html")]
struct ListPage {
    frame: Frame,
    school_id: i64,
    school_id_text: String,
    school_name: String,
    schools: Vec<Opt>,
    departments: Vec<Opt>,
    items: Vec<StaffView>,
    list: ListInfo,
    q: String,
    department_id: String,
    can_manage: bool,
    invitations: Vec<Invitation>,
}

/// An offer of the school awaiting its person's answer, as the list shows it.
struct Invitation {
    name: String,
    phone: String,
    roles: Vec<String>,
    time: String,
}

async fn list_page(
    state: &AppState,
    p: &Principal,
    requested: Option<i64>,
    q: &StaffQuery,
) -> Result<ListPage, PageError> {
    let a = p.actor()?;
    a.require(Permission::SchoolView)?;
    let (schools, school_id) = school_choice(state, a, requested).await?;
    let can_manage = a.can(Permission::SchoolManage) && school_id.is_some();
    let invitations = match school_id {
        Some(id) if can_manage => staff::pending_invitations(&state.app, a, id)
            .await?
            .into_iter()
            .map(|i| Invitation {
                name: i.name,
                phone: i.phone,
                roles: i.roles,
                time: crate::http::page::china_time(i.created_at),
            })
            .collect(),
        _ => Vec::new(),
    };
    let (items, list, school_name, departments) = match school_id {
        Some(id) => {
            let page = staff::list_staff(
                &state.app,
                a,
                id,
                &q.filter(),
                page_of(q.page.as_deref(), q.size.as_deref()),
            )
            .await?;
            let name = kehou_service::school::school_for(
                &state.app.db,
                a,
                id,
                kehou_domain::Permission::SchoolView,
            )
            .await?
            .name;
            let (text, department) = (
                q.q.clone().unwrap_or_default(),
                q.department_id.clone().unwrap_or_default(),
            );
            let list = ListInfo::new(&page, &[("q", &text), ("department_id", &department)]);
            (
                page.items,
                list,
                name,
                department_options(state, a, id).await?,
            )
        }
        None => (Vec::new(), empty_list(), String::new(), Vec::new()),
    };
    Ok(ListPage {
        frame: frame(
            state,
            p,
            "教职工",
            "/staff",
            q.notice.as_deref().unwrap_or(""),
        )
        .await?,
        school_id: school_id.unwrap_or(0),
        school_id_text: school_id.map(|i| i.to_string()).unwrap_or_default(),
        school_name,
        schools,
        departments,
        items,
        list,
        q: q.q.clone().unwrap_or_default(),
        department_id: q.department_id.clone().unwrap_or_default(),
        can_manage,
        invitations,
    })
}

/// The form for new staff, on a page of its own (errors at the top, not under the list).
#[derive(Template)]
#[template(path = "school/staff_new.html")]
struct NewPage {
    frame: Frame,
    school_id: i64,
    school_name: String,
    departments: Vec<Opt>,
    roles: Vec<Opt>,
    titles: Vec<Opt>,
    genders: Vec<Opt>,
    form: StaffForm,
    errors: FormErrors,
}

async fn new_staff_page(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    form: StaffForm,
    errors: FormErrors,
) -> Result<NewPage, PageError> {
    let a = p.actor()?;
    let school =
        kehou_service::school::school_for(&state.app.db, a, school_id, Permission::SchoolManage)
            .await?;
    let roles = staff::staff_roles(&state.app, a, school_id)
        .await?
        .into_iter()
        .map(|(id, name)| Opt::new(id, name))
        .collect();
    Ok(NewPage {
        frame: frame(state, p, "新增教职工", "/staff", "").await?,
        school_id,
        school_name: school.name,
        departments: department_options(state, a, school_id).await?,
        roles,
        titles: title_options(),
        genders: vec![Opt::new("男", "男"), Opt::new("女", "女")],
        form,
        errors,
    })
}

pub async fn new_page(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath(school_id): PagePath<i64>,
) -> PageResult {
    Ok(render(
        &new_staff_page(
            &state,
            &p,
            school_id,
            StaffForm::default(),
            FormErrors::default(),
        )
        .await?,
    ))
}

/// `/staff`: a school's own staff, or a picker of the jurisdiction's schools.
pub async fn index(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PageQuery(q): PageQuery<StaffQuery>,
) -> PageResult {
    let a = &actor;
    a.require(kehou_domain::Permission::SchoolView)?;
    if a.org_kind == kehou_domain::OrgKind::School {
        return Ok(Redirect::to(&format!("/schools/{}/staff", a.org_id)).into_response());
    }
    let requested = crate::http::page::chosen_school(&state, &p, q.school_id.as_deref()).await?;
    Ok(render(&list_page(&state, &p, requested, &q).await?))
}

pub async fn list(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<StaffQuery>,
) -> PageResult {
    Ok(render(&list_page(&state, &p, Some(school_id), &q).await?))
}

pub async fn create(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let form = StaffForm::from_data(&data);
    let mut invalid = kehou_domain::Invalid::default();
    let department_id = data.id("department_id", &mut invalid);
    let role_ids: Vec<i64> = form
        .role_ids
        .iter()
        .filter_map(|r| r.parse().ok())
        .collect();
    let result = if invalid.is_empty() {
        let some = |v: &str| Some(v.to_string()).filter(|v| !v.trim().is_empty());
        let input = StaffInput {
            name: some(&form.name),
            phone: some(&form.phone),
            gender: some(&form.gender),
            subjects: some(&form.subjects),
            title: some(&form.title),
            certificate_no: some(&form.certificate_no),
            department_id,
            posts: some(&form.posts),
            role_ids,
        };
        staff::create_staff(&state.app, &actor, school_id, input).await
    } else {
        Err(invalid.into())
    };
    match result {
        Ok(created) => match (created.staff, created.initial_password) {
            (None, _) => Ok(
                Redirect::to(&format!("/schools/{school_id}/staff?notice=invited")).into_response(),
            ),
            (Some(staff), Some(password)) => {
                crate::identity::pages::users::issued_page(
                    &state,
                    &p,
                    crate::identity::pages::users::Issued {
                        user_id: staff.user_id,
                        user_name: &staff.name,
                        phone: &staff.phone,
                        password: &password,
                        created: true,
                        back: &format!("/schools/{school_id}/staff"),
                    },
                )
                .await
            }
            (Some(_), None) => Ok(Redirect::to(&format!(
                "/schools/{school_id}/staff?notice=created"
            ))
            .into_response()),
        },
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &new_staff_page(&state, &p, school_id, form, errors).await?,
            ))
        }
    }
}

pub async fn export(
    State(state): State<AppState>,
    PageActor(_p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<StaffQuery>,
) -> PageResult {
    let filter = q.filter();
    let page =
        every(|page| staff::list_staff(&state.app, &actor, school_id, &filter, page)).await?;
    let rows: Vec<Vec<String>> = page
        .items
        .into_iter()
        .map(|s| {
            vec![
                s.name,
                s.phone,
                s.gender_label.to_string(),
                s.roles.join("、"),
                s.subjects.unwrap_or_default(),
                s.title.unwrap_or_default(),
                s.certificate_no.unwrap_or_default(),
                s.department.unwrap_or_default(),
                s.posts.unwrap_or_default(),
                if s.active { "在职" } else { "离职" }.to_string(),
            ]
        })
        .collect();
    let mut headers: Vec<&str> = staff::COLUMNS.iter().map(|c| c.title).collect();
    headers.push("状态");
    Ok(crate::http::xlsx::download("教职工.xlsx", &headers, &rows))
}

#[derive(Template)]
#[template(path = "school/staff_edit.html")]
struct EditPage {
    frame: Frame,
    school_id: i64,
    s: StaffView,
    departments: Vec<Opt>,
    titles: Vec<Opt>,
    department_id: String,
    errors: FormErrors,
}

async fn edit_page(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    staff_id: i64,
    errors: FormErrors,
) -> Result<EditPage, PageError> {
    let a = p.actor()?;
    a.require(Permission::SchoolManage)?;
    let s = staff::get_staff(&state.app, a, school_id, staff_id).await?;
    Ok(EditPage {
        frame: frame(state, p, &s.name, "/staff", "").await?,
        school_id,
        departments: department_options(state, a, school_id).await?,
        titles: title_options(),
        department_id: s.department_id.map(|d| d.to_string()).unwrap_or_default(),
        s,
        errors,
    })
}

pub async fn edit(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath((school_id, staff_id)): PagePath<(i64, i64)>,
) -> PageResult {
    Ok(render(
        &edit_page(&state, &p, school_id, staff_id, FormErrors::default()).await?,
    ))
}

pub async fn update(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, staff_id)): PagePath<(i64, i64)>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let mut invalid = kehou_domain::Invalid::default();
    let department_id = data.id("department_id", &mut invalid);
    let result = if invalid.is_empty() {
        let patch = StaffPatch {
            subjects: Some(data.text("subjects")),
            title: Some(data.text("title")),
            certificate_no: Some(data.text("certificate_no")),
            department_id: Some(department_id),
            posts: Some(data.text("posts")),
            active: Some(data.get("active") == Some("true")),
        };
        staff::update_staff(&state.app, &actor, school_id, staff_id, patch).await
    } else {
        Err(invalid.into())
    };
    match result {
        Ok(_) => {
            Ok(Redirect::to(&format!("/schools/{school_id}/staff?notice=saved")).into_response())
        }
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &edit_page(&state, &p, school_id, staff_id, errors).await?,
            ))
        }
    }
}
