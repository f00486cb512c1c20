//! Login, logout, the forced password change, the membership switcher and the home page.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kehou_domain::Permission;
use kehou_service::identity::account;
use kehou_service::identity::auth::{self, SessionKind};
use kehou_service::{Error, PageRequest, org};
use serde::Deserialize;

use crate::AppState;
use crate::http::extract::{
    ClientIp, CsrfForm, PagePrincipal, PageQuery, PublicForm, SESSION_COOKIE, cookie,
};
use crate::http::page::{FormErrors, Frame, PageError, PageResult, frame, render, rerender};

const LOGIN_CSRF_COOKIE: &str = "kehou_login";

fn cookie_header(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let v = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[derive(Template)]
#[template(path = "identity/login.html")]
struct LoginPage {
    csrf: String,
    next: String,
    phone: String,
    error: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only local paths are followed after login.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/"
    }
}

fn login_page_response(
    state: &AppState,
    next: &str,
    phone: &str,
    error: &str,
    status: StatusCode,
) -> Response {
    let token = auth::random_token();
    let page = LoginPage {
        csrf: token.clone(),
        next: safe_next(next).into(),
        phone: phone.into(),
        error: error.into(),
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
    PageQuery(q): PageQuery<NextQuery>,
) -> Response {
    if principal.is_some() {
        return Redirect::to("/").into_response();
    }
    login_page_response(
        &state,
        q.next.as_deref().unwrap_or("/"),
        "",
        "",
        StatusCode::OK,
    )
}

pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    PublicForm(form): PublicForm,
) -> Response {
    let next = form.text("next");
    let phone = form.text("phone");
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE);
    if expected.is_none() || expected != form.get("_csrf") {
        return login_page_response(
            &state,
            &next,
            &phone,
            "页面已过期，请重新登录",
            StatusCode::FORBIDDEN,
        );
    }
    let password = form.text("password");
    if phone.trim().is_empty() || password.is_empty() {
        return login_page_response(
            &state,
            &next,
            &phone,
            "请输入手机号和密码",
            StatusCode::BAD_REQUEST,
        );
    }
    match auth::login(
        &state.app,
        &phone,
        &password,
        SessionKind::Web,
        ip.as_deref(),
    )
    .await
    {
        Ok(login) => {
            let target = if login.must_change_password {
                "/password"
            } else {
                safe_next(&next)
            };
            let mut response = Redirect::to(target).into_response();
            let headers = response.headers_mut();
            headers.append(
                header::SET_COOKIE,
                cookie_header(&state, SESSION_COOKIE, login.token.expose(), 8 * 3600),
            );
            headers.append(
                header::SET_COOKIE,
                cookie_header(&state, LOGIN_CSRF_COOKIE, "", 0),
            );
            response
        }
        Err(e) => {
            let status = crate::http::error::status_of(&e);
            login_page_response(&state, &next, &phone, &e.to_string(), status)
        }
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
    if let Some(actor) = &p.actor {
        org_type = actor.org_kind.label().into();
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
    }))
}
