//! Login, logout, the forced password change, the membership switcher and the home page.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kehou_domain::Permission;
use kehou_service::identity::account;
use kehou_service::identity::auth::{self, SessionKind};
use kehou_service::identity::sms_login::{self, Purpose};
use kehou_service::{Error, PageRequest, org};
use serde::Deserialize;

use crate::AppState;
use crate::http::extract::{
    ClientIp, CsrfForm, PagePrincipal, PageQuery, PublicForm, SESSION_COOKIE, cookie, cookie_header,
};
use crate::http::page::{FormErrors, Frame, PageError, PageResult, frame, render, rerender};

const LOGIN_CSRF_COOKIE: &str = "kehou_login";

/// How the login page is used: by password, by SMS code, or to reset a forgotten password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LoginMode {
    Password,
    Sms,
    Reset,
}

impl LoginMode {
    fn parse(code: &str) -> Self {
        match code {
            "sms" => Self::Sms,
            "reset" => Self::Reset,
            _ => Self::Password,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Sms => "sms",
            Self::Reset => "reset",
        }
    }
}

#[derive(Template)]
#[template(path = "identity/login.html")]
struct LoginPage {
    csrf: String,
    next: String,
    mode: &'static str,
    phone: String,
    error: String,
    notice: String,
    /// The field to focus: the one in error, else the next to fill.
    focus: &'static str,
    sandbox: bool,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    by: Option<String>,
}

/// Only local paths are followed after login.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/"
    }
}

/// What the login page shows besides its form.
struct LoginState<'a> {
    next: &'a str,
    mode: LoginMode,
    phone: &'a str,
    error: &'a str,
    notice: &'a str,
    focus: &'static str,
}

fn login_page_response(state: &AppState, s: LoginState<'_>, status: StatusCode) -> Response {
    let token = auth::random_token();
    let page = LoginPage {
        csrf: token.clone(),
        next: safe_next(s.next).into(),
        mode: s.mode.code(),
        phone: s.phone.into(),
        error: s.error.into(),
        notice: s.notice.into(),
        focus: s.focus,
        sandbox: state.app.sms.sandbox().is_some(),
    };
    let mut response = rerender(status, &page);
    response.headers_mut().append(
        header::SET_COOKIE,
        cookie_header(state, LOGIN_CSRF_COOKIE, &token, 3600),
    );
    response
}

pub async fn login_page(
    State(state): State<AppState>,
    principal: Option<PagePrincipal>,
    PageQuery(q): PageQuery<LoginQuery>,
) -> Response {
    if principal.is_some() {
        return Redirect::to("/").into_response();
    }
    let next = q.next.unwrap_or_else(|| "/".into());
    login_page_response(
        &state,
        LoginState {
            next: &next,
            mode: LoginMode::parse(q.by.as_deref().unwrap_or("")),
            phone: "",
            error: "",
            notice: "",
            focus: "phone",
        },
        StatusCode::OK,
    )
}

/// The login form's fields, once its CSRF cookie matched.
struct LoginForm {
    form: crate::http::page::FormData,
    next: String,
    phone: String,
    mode: LoginMode,
}

impl LoginForm {
    /// Checks the login CSRF cookie; a page that answers why not otherwise.
    fn read(
        state: &AppState,
        headers: &HeaderMap,
        form: crate::http::page::FormData,
    ) -> Result<Self, Box<Response>> {
        let login = Self {
            next: form.text("next"),
            phone: form.text("phone"),
            mode: LoginMode::parse(&form.text("mode")),
            form,
        };
        let expected = cookie(headers, LOGIN_CSRF_COOKIE);
        if expected.is_none() || expected != login.form.get("_csrf") {
            return Err(Box::new(login.answer(
                state,
                "页面已过期，请重新操作",
                "",
                "phone",
                StatusCode::FORBIDDEN,
            )));
        }
        Ok(login)
    }

    fn answer(
        &self,
        state: &AppState,
        error: &str,
        notice: &str,
        focus: &'static str,
        status: StatusCode,
    ) -> Response {
        login_page_response(
            state,
            LoginState {
                next: &self.next,
                mode: self.mode,
                phone: &self.phone,
                error,
                notice,
                focus,
            },
            status,
        )
    }

    fn failed(&self, state: &AppState, e: &Error) -> Response {
        let focus = match e {
            Error::Invalid(fields) => match fields.first().map(|f| f.field.as_str()) {
                Some("phone") => "phone",
                Some("new_password") | Some("confirm_password") => "new_password",
                _ => "code",
            },
            _ if self.mode == LoginMode::Password => "password",
            _ => "code",
        };
        let status = crate::http::error::status_of(e);
        self.answer(state, &e.one_line(), "", focus, status)
    }
}

/// Answers a successful login: the session cookie, then the page asked for (or the
/// password change a new account must make first).
fn logged_in(state: &AppState, login: &auth::Login, next: &str) -> Response {
    let target = if login.must_change_password {
        "/password"
    } else {
        safe_next(next)
    };
    let mut response = Redirect::to(target).into_response();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        cookie_header(state, SESSION_COOKIE, login.token.expose(), 8 * 3600),
    );
    headers.append(
        header::SET_COOKIE,
        cookie_header(state, LOGIN_CSRF_COOKIE, "", 0),
    );
    response
}

pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    PublicForm(form): PublicForm,
) -> Response {
    let f = match LoginForm::read(&state, &headers, form) {
        Ok(f) => f,
        Err(page) => return *page,
    };
    let result = match f.mode {
        LoginMode::Sms => {
            let code = f.form.text("sms_code");
            if f.phone.trim().is_empty() || code.trim().is_empty() {
                let focus = if f.phone.trim().is_empty() {
                    "phone"
                } else {
                    "code"
                };
                return f.answer(
                    &state,
                    "请输入手机号和验证码",
                    "",
                    focus,
                    StatusCode::BAD_REQUEST,
                );
            }
            sms_login::login(&state.app, &f.phone, &code, SessionKind::Web, ip.as_deref()).await
        }
        _ => {
            let password = f.form.text("password");
            if f.phone.trim().is_empty() || password.is_empty() {
                let focus = if f.phone.trim().is_empty() {
                    "phone"
                } else {
                    "password"
                };
                return f.answer(
                    &state,
                    "请输入手机号和密码",
                    "",
                    focus,
                    StatusCode::BAD_REQUEST,
                );
            }
            auth::login(
                &state.app,
                &f.phone,
                &password,
                SessionKind::Web,
                ip.as_deref(),
            )
            .await
        }
    };
    match result {
        Ok(login) => logged_in(&state, &login, &f.next),
        Err(e) => f.failed(&state, &e),
    }
}

/// Sends an SMS code for the login or the password reset form, and shows the form again.
pub async fn send_sms_code(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    PublicForm(form): PublicForm,
) -> Response {
    let mut f = match LoginForm::read(&state, &headers, form) {
        Ok(f) => f,
        Err(page) => return *page,
    };
    let purpose = if f.mode == LoginMode::Reset {
        Purpose::Reset
    } else {
        f.mode = LoginMode::Sms;
        Purpose::Login
    };
    match sms_login::send_code(&state.app, &f.phone, purpose, ip.as_deref()).await {
        Ok(sent) => {
            let masked = kehou_domain::Phone::parse(&f.phone)
                .map(|p| p.masked())
                .unwrap_or_default();
            let notice = format!(
                "如手机号 {masked} 已登记，验证码已发送，{}分钟内有效",
                sent.expires_in_seconds / 60
            );
            f.answer(&state, "", &notice, "code", StatusCode::OK)
        }
        Err(e) => f.failed(&state, &e),
    }
}

/// Sets a new password with an SMS code, then offers the password login.
pub async fn reset_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    PublicForm(form): PublicForm,
) -> Response {
    let mut f = match LoginForm::read(&state, &headers, form) {
        Ok(f) => f,
        Err(page) => return *page,
    };
    f.mode = LoginMode::Reset;
    let new = f.form.text("new_password");
    let result = if f.phone.trim().is_empty() || f.form.text("sms_code").trim().is_empty() {
        Err(Error::invalid("sms_code", "请输入手机号和验证码"))
    } else if new != f.form.text("confirm_password") {
        Err(Error::invalid("confirm_password", "两次输入的新密码不一致"))
    } else {
        sms_login::reset_password(
            &state.app,
            &f.phone,
            &f.form.text("sms_code"),
            &new,
            ip.as_deref(),
        )
        .await
    };
    match result {
        Ok(()) => {
            f.mode = LoginMode::Password;
            f.answer(
                &state,
                "",
                "密码已重置，请用新密码登录",
                "password",
                StatusCode::OK,
            )
        }
        Err(e) => f.failed(&state, &e),
    }
}

pub async fn logout(
    State(state): State<AppState>,
    PagePrincipal(p): PagePrincipal,
    CsrfForm(_form): CsrfForm,
) -> PageResult {
    auth::logout(&state.app, &p).await?;
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        cookie_header(&state, SESSION_COOKIE, "", 0),
    );
    Ok(response)
}

#[derive(Template)]
#[template(path = "identity/password.html")]
struct PasswordPage {
    csrf: String,
    forced: bool,
    errors: FormErrors,
}

pub async fn password_page(PagePrincipal(p): PagePrincipal) -> Response {
    render(&PasswordPage {
        csrf: p.csrf_token.expose().to_string(),
        forced: p.must_change_password,
        errors: FormErrors::default(),
    })
}

pub async fn change_password(
    State(state): State<AppState>,
    PagePrincipal(p): PagePrincipal,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let new = form.text("new_password");
    let result = if new != form.text("confirm_password") {
        Err(Error::invalid("confirm_password", "两次输入的新密码不一致"))
    } else {
        auth::change_password(&state.app, &p, &form.text("old_password"), &new).await
    };
    match result {
        Ok(()) => Ok(Redirect::to("/?notice=password_changed").into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &PasswordPage {
                    csrf: p.csrf_token.expose().to_string(),
                    forced: p.must_change_password,
                    errors,
                },
            ))
        }
    }
}

pub async fn switch(
    State(state): State<AppState>,
    PagePrincipal(p): PagePrincipal,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let id = form
        .get("membership_id")
        .and_then(|v| v.parse().ok())
        .ok_or(PageError(Error::NotFound("身份")))?;
    auth::switch_membership(&state.app, &p, id).await?;
    Ok(Redirect::to("/?notice=switched").into_response())
}

#[derive(Template)]
#[template(path = "identity/home.html")]
struct HomePage {
    frame: Frame,
    org_type: String,
    org_count: Option<u64>,
    user_count: Option<u64>,
    children: Vec<kehou_service::school::student::ChildView>,
    /// A bureau member left with no permissions: an officer without a department.
    no_department: bool,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

pub async fn home(
    State(state): State<AppState>,
    PagePrincipal(p): PagePrincipal,
    PageQuery(q): PageQuery<NoticeQuery>,
) -> PageResult {
    let frame = frame(&state, &p, "首页", "/", q.notice.as_deref().unwrap_or("")).await?;
    let one = PageRequest {
        page: 1,
        page_size: 1,
    };
    let (mut org_type, mut org_count, mut user_count) = (String::new(), None, None);
    let mut no_department = false;
    if let Some(actor) = &p.actor {
        org_type = actor.org_kind.label().into();
        no_department =
            actor.org_kind == kehou_domain::OrgKind::Bureau && actor.permissions.is_empty();
        if actor.can(Permission::OrgView) {
            org_count = Some(
                org::list(&state.app, actor, &Default::default(), one)
                    .await?
                    .total,
            );
        }
        if actor.can(Permission::UserView) {
            user_count = Some(
                account::list(&state.app, actor, &Default::default(), one)
                    .await?
                    .total,
            );
        }
    }
    // A parent's first question: my children, where and in which class.
    let children = kehou_service::school::student::my_children(&state.app, &p).await?;
    Ok(render(&HomePage {
        frame,
        org_type,
        org_count,
        user_count,
        children,
        no_department,
    }))
}
