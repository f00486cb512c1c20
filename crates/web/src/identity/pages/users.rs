//! User pages: list with filters and export, create, edit, freeze, reset password,
//! memberships.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use kehou_domain::{Invalid, Permission};
use kehou_service::identity::account::{
    self, IssuedPassword, NewUser, UserFilter, UserPatch, UserView,
};
use kehou_service::identity::role;
use kehou_service::{Actor, Principal, org};
use serde::Deserialize;

use kehou_service::platform::page::every;

use crate::AppState;
use crate::http::extract::{CsrfForm, PageActor, PagePath, PageQuery};
use crate::http::page::{
    FormErrors, Frame, ListInfo, Opt, PageError, PageResult, frame, page_of, render, rerender,
};

/// The state of an account as a badge: text and tone.
fn status(u: &UserView, now: chrono::DateTime<chrono::Utc>) -> (&'static str, &'static str) {
    if u.frozen {
        ("已冻结", "bad")
    } else if u.locked_until.is_some_and(|t| t > now) {
        ("已锁定", "warn")
    } else if u.must_change_password {
        ("待修改密码", "info")
    } else {
        ("正常", "ok")
    }
}

#[derive(Deserialize, Default)]
pub struct UserQuery {
    q: Option<String>,
    frozen: Option<String>,
    role_id: Option<String>,
    page: Option<String>,
    /// Rows per page: 20, 50 or 100.
    size: Option<String>,
    notice: Option<String>,
}

impl UserQuery {
    fn filter(&self) -> UserFilter {
        UserFilter {
            q: self.q.clone(),
            frozen: self.frozen.as_deref().and_then(|f| f.parse().ok()),
            org_id: None,
            role_id: self.role_id.as_deref().and_then(|r| r.parse().ok()),
        }
    }
}

async fn role_options(state: &AppState, a: &Actor) -> Result<Vec<Opt>, PageError> {
    if !a.can(Permission::RoleView) {
        return Ok(Vec::new());
    }
    Ok(role::list(&state.app, a)
        .await?
        .into_iter()
        .map(|r| Opt::new(r.id, format!("{}（{}）", r.name, r.org_kind_label)))
        .collect())
}

async fn org_options(state: &AppState, a: &Actor) -> Result<Vec<Opt>, PageError> {
    if !a.can(Permission::OrgView) {
        return Ok(vec![Opt::new(a.org_id, a.org_name.clone())]);
    }
    let filter = org::OrgFilter {
        active: Some(true),
        ..Default::default()
    };
    let page = every(|page| org::list(&state.app, a, &filter, page)).await?;
    Ok(page
        .items
        .into_iter()
        .map(|o| Opt::new(o.id, format!("{}（{}）", o.name, o.type_label)))
        .collect())
}

#[derive(Template)]
#[template(path = "identity/users.html")]
struct ListPage {
    frame: Frame,
    items: Vec<UserView>,
    list: ListInfo,
    q: String,
    frozen: String,
    role_id: String,
    roles: Vec<Opt>,
    can_manage: bool,
    now: chrono::DateTime<chrono::Utc>,
}

impl ListPage {
    fn status_text(&self, u: &UserView) -> &'static str {
        status(u, self.now).0
    }

    fn status_tone(&self, u: &UserView) -> &'static str {
        status(u, self.now).1
    }
}

pub async fn list(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PageQuery(q): PageQuery<UserQuery>,
) -> PageResult {
    let a = &actor;
    let page = account::list(
        &state.app,
        a,
        &q.filter(),
        page_of(q.page.as_deref(), q.size.as_deref()),
    )
    .await?;
    let (qs, frozen, role_id) = (
        q.q.clone().unwrap_or_default(),
        q.frozen.clone().unwrap_or_default(),
        q.role_id.clone().unwrap_or_default(),
    );
    let list = ListInfo::new(
        &page,
        &[("q", &qs), ("frozen", &frozen), ("role_id", &role_id)],
    );
    Ok(render(&ListPage {
        frame: frame(
            &state,
            &p,
            "用户账号",
            "/users",
            q.notice.as_deref().unwrap_or(""),
        )
        .await?,
        items: page.items,
        list,
        q: qs,
        frozen,
        role_id,
        roles: role_options(&state, a).await?,
        can_manage: a.can(Permission::UserManage),
        now: state.app.now(),
    }))
}

pub async fn export(
    State(state): State<AppState>,
    PageActor(_p, actor): PageActor,
    PageQuery(q): PageQuery<UserQuery>,
) -> PageResult {
    let filter = q.filter();
    let page = every(|page| account::list(&state.app, &actor, &filter, page)).await?;
    let now = state.app.now();
    let rows: Vec<Vec<String>> = page
        .items
        .iter()
        .map(|u| {
            let memberships: Vec<String> = u
                .memberships
                .iter()
                .map(|m| format!("{}·{}", m.org_name, m.role_name))
                .collect();
            vec![
                u.id.to_string(),
                u.name.clone(),
                u.phone.clone(),
                memberships.join("；"),
                status(u, now).0.to_string(),
                crate::http::page::china_time(u.created_at),
            ]
        })
        .collect();
    Ok(crate::http::xlsx::download(
        "用户账号.xlsx",
        &["ID", "姓名", "手机号", "身份", "状态", "创建时间"],
        &rows,
    ))
}

#[derive(Default)]
struct NewUserForm {
    name: String,
    phone: String,
    org_id: String,
    role_id: String,
}

#[derive(Template)]
#[template(path = "identity/user_new.html")]
struct NewPage {
    frame: Frame,
    form: NewUserForm,
    errors: FormErrors,
    orgs: Vec<Opt>,
    roles: Vec<Opt>,
}

async fn new_page_of(
    state: &AppState,
    p: &Principal,
    form: NewUserForm,
    errors: FormErrors,
) -> Result<NewPage, PageError> {
    let a = p.actor()?;
    Ok(NewPage {
        frame: frame(state, p, "新增用户", "/users", "").await?,
        form,
        errors,
        orgs: org_options(state, a).await?,
        roles: role_options(state, a).await?,
    })
}

pub async fn new_page(State(state): State<AppState>, PageActor(p, actor): PageActor) -> PageResult {
    let a = &actor;
    a.require(Permission::UserManage)?;
    let form = NewUserForm {
        org_id: a.org_id.to_string(),
        ..Default::default()
    };
    Ok(render(
        &new_page_of(&state, &p, form, FormErrors::default()).await?,
    ))
}

#[derive(Template)]
#[template(path = "identity/issued_password.html")]
struct IssuedPage<'a> {
    frame: Frame,
    heading: &'static str,
    created: bool,
    user_id: i64,
    user_name: &'a str,
    phone: &'a str,
    password: &'a str,
    back: &'a str,
}

/// The one-time password of a created or reset account.
pub(crate) struct Issued<'a> {
    pub user_id: i64,
    pub user_name: &'a str,
    pub phone: &'a str,
    pub password: &'a str,
    pub created: bool,
    /// The list to go back to.
    pub back: &'a str,
}

pub(crate) async fn issued_page(state: &AppState, p: &Principal, i: Issued<'_>) -> PageResult {
    let heading = if i.created {
        "账号已创建"
    } else {
        "密码已重置"
    };
    let page = IssuedPage {
        frame: frame(state, p, heading, i.back, "").await?,
        heading,
        created: i.created,
        user_id: i.user_id,
        user_name: i.user_name,
        phone: i.phone,
        password: i.password,
        back: i.back,
    };
    let mut response = render(&page);
    // The one-time password must not stay in any cache.
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    if i.created {
        *response.status_mut() = StatusCode::CREATED;
    }
    Ok(response)
}

async fn issued(
    state: &AppState,
    p: &Principal,
    issued: IssuedPassword,
    created: bool,
) -> PageResult {
    issued_page(
        state,
        p,
        Issued {
            user_id: issued.user.id,
            user_name: &issued.user.name,
            phone: &issued.user.phone,
            password: &issued.initial_password,
            created,
            back: "/users",
        },
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let form = NewUserForm {
        name: data.text("name"),
        phone: data.text("phone"),
        org_id: data.text("org_id"),
        role_id: data.text("role_id"),
    };
    let mut invalid = Invalid::default();
    let org_id = data.id("org_id", &mut invalid);
    let role_id = data.id("role_id", &mut invalid);
    let result = if invalid.is_empty() {
        let input = NewUser {
            phone: Some(form.phone.clone()),
            name: Some(form.name.clone()),
            password: data.get("password").map(String::from),
            org_id,
            role_id,
        };
        account::create(&state.app, &actor, input).await
    } else {
        Err(invalid.into())
    };
    match result {
        Ok(done) => issued(&state, &p, done, true).await,
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &new_page_of(&state, &p, form, errors).await?,
            ))
        }
    }
}

#[derive(Default)]
struct UserForm {
    name: String,
    phone: String,
}

#[derive(Default)]
struct MembershipForm {
    org_id: String,
    role_id: String,
}

#[derive(Template)]
#[template(path = "identity/user_detail.html")]
struct DetailPage {
    frame: Frame,
    user: UserView,
    status_text: &'static str,
    status_tone: &'static str,
    form: UserForm,
    membership_form: MembershipForm,
    errors: FormErrors,
    can_manage: bool,
    /// Whether departments (科室) of bureau memberships may be set.
    can_assign_departments: bool,
    can_reveal: bool,
    /// The whole number, right after an audited look.
    revealed: String,
    orgs: Vec<Opt>,
    roles: Vec<Opt>,
}

async fn detail_page(
    state: &AppState,
    p: &Principal,
    id: i64,
    form: Option<UserForm>,
    membership_form: MembershipForm,
    errors: FormErrors,
    notice: &str,
) -> Result<DetailPage, PageError> {
    let a = p.actor()?;
    let user = account::get(&state.app, a, id).await?;
    let (status_text, status_tone) = status(&user, state.app.now());
    let can_manage = a.can(Permission::UserManage);
    let (orgs, roles) = if can_manage {
        (org_options(state, a).await?, role_options(state, a).await?)
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(DetailPage {
        frame: frame(state, p, &user.name, "/users", notice).await?,
        // The number is not shown in the form: blank keeps it.
        form: form.unwrap_or_else(|| UserForm {
            name: user.name.clone(),
            phone: String::new(),
        }),
        can_reveal: a.can(Permission::PersonalDataView),
        revealed: String::new(),
        user,
        status_text,
        status_tone,
        membership_form,
        errors,
        can_manage,
        can_assign_departments: a.can(Permission::RoleManage),
        orgs,
        roles,
    })
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

pub async fn detail(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath(id): PagePath<i64>,
    PageQuery(q): PageQuery<NoticeQuery>,
) -> PageResult {
    let page = detail_page(
        &state,
        &p,
        id,
        None,
        MembershipForm::default(),
        FormErrors::default(),
        q.notice.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(render(&page))
}

/// Answers a detail-page action: a redirect with a notice, or the page with the error.
async fn after_action(
    state: &AppState,
    p: &Principal,
    id: i64,
    result: kehou_service::Result<UserView>,
    notice: &str,
    form: Option<UserForm>,
    membership_form: MembershipForm,
) -> PageResult {
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/users/{id}?notice={notice}")).into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &detail_page(state, p, id, form, membership_form, errors, "").await?,
            ))
        }
    }
}

pub async fn update(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let form = UserForm {
        name: data.text("name"),
        phone: data.text("phone"),
    };
    let patch = UserPatch {
        name: Some(form.name.clone()),
        // Blank keeps the current number.
        phone: Some(form.phone.clone()).filter(|p| !p.trim().is_empty()),
    };
    let result = account::update(&state.app, &actor, id, patch).await;
    after_action(
        &state,
        &p,
        id,
        result,
        "saved",
        Some(form),
        MembershipForm::default(),
    )
    .await
}

pub async fn freeze(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(id): PagePath<i64>,
    CsrfForm(_data): CsrfForm,
) -> PageResult {
    let result = account::set_frozen(&state.app, &actor, id, true).await;
    after_action(
        &state,
        &p,
        id,
        result,
        "frozen",
        None,
        MembershipForm::default(),
    )
    .await
}

pub async fn unfreeze(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(id): PagePath<i64>,
    CsrfForm(_data): CsrfForm,
) -> PageResult {
    let result = account::set_frozen(&state.app, &actor, id, false).await;
    after_action(
        &state,
        &p,
        id,
        result,
        "unfrozen",
        None,
        MembershipForm::default(),
    )
    .await
}

pub async fn reset_password(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(id): PagePath<i64>,
    CsrfForm(_data): CsrfForm,
) -> PageResult {
    match account::reset_password(&state.app, &actor, id, None).await {
        Ok(done) => issued(&state, &p, done, false).await,
        Err(e) => after_action(&state, &p, id, Err(e), "", None, MembershipForm::default()).await,
    }
}

pub async fn add_membership(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let membership_form = MembershipForm {
        org_id: data.text("org_id"),
        role_id: data.text("role_id"),
    };
    let mut invalid = Invalid::default();
    let org_id = data.id("org_id", &mut invalid);
    let role_id = data.id("role_id", &mut invalid);
    let result = if invalid.is_empty() {
        account::add_membership(&state.app, &actor, id, org_id, role_id).await
    } else {
        Err(invalid.into())
    };
    after_action(
        &state,
        &p,
        id,
        result,
        "membership_added",
        None,
        membership_form,
    )
    .await
}

pub async fn remove_membership(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((id, mid)): PagePath<(i64, i64)>,
    CsrfForm(_data): CsrfForm,
) -> PageResult {
    match account::remove_membership(&state.app, &actor, id, mid).await {
        // The user may have left the jurisdiction with the membership.
        Ok(()) => match account::get(&state.app, &actor, id).await {
            Ok(_) => {
                Ok(Redirect::to(&format!("/users/{id}?notice=membership_removed")).into_response())
            }
            Err(_) => Ok(Redirect::to("/users?notice=membership_removed").into_response()),
        },
        Err(e) => after_action(&state, &p, id, Err(e), "", None, MembershipForm::default()).await,
    }
}

/// The whole phone number of an account, shown once on its page; the look is audited.
pub async fn reveal_phone(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(id): PagePath<i64>,
    CsrfForm(_data): CsrfForm,
) -> PageResult {
    let phone = account::reveal_phone(&state.app, &actor, id).await?;
    let mut page = detail_page(
        &state,
        &p,
        id,
        None,
        MembershipForm::default(),
        FormErrors::default(),
        "",
    )
    .await?;
    page.revealed = phone;
    Ok(render(&page))
}
