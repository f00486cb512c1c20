//! Login and password reset by SMS code, through the sandbox channel.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use serde_json::{Value, json};

use crate::common::*;
use crate::pages::Browser;

async fn ask_code(t: &TestApp, phone: &str, purpose: Option<&str>) -> (StatusCode, Value) {
    let mut body = json!({ "phone": phone });
    if let Some(p) = purpose {
        body["purpose"] = json!(p);
    }
    t.api(Method::POST, "/api/v1/auth/sms-code", None, Some(body))
        .await
}

/// The code of the newest sandbox message to `phone`, read as the platform admin reads it.
async fn last_code(t: &TestApp, phone: &str) -> Option<String> {
    let admin = t.login(PLATFORM_ADMIN).await;
    let (status, body) = t
        .get(&format!("/api/v1/sandbox/sms?phone={phone}"), &admin)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let text = body["items"][0]["text"].as_str()?.to_string();
    let start = text.find("验证码 ")? + "验证码 ".len();
    Some(text[start..start + 6].to_string())
}

async fn sms_login(t: &TestApp, phone: &str, code: &str) -> (StatusCode, Value) {
    t.api(
        Method::POST,
        "/api/v1/auth/token",
        None,
        Some(json!({"phone": phone, "sms_code": code})),
    )
    .await
}

#[tokio::test]
async fn a6_a_parent_logs_in_with_an_sms_code_once() {
    let t = TestApp::new().await;
    let logins = t.audit_count("auth.login").await;
    let (status, sent) = ask_code(&t, PARENT, None).await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    assert_eq!(sent["resend_after_seconds"], 60);
    assert_eq!(sent["expires_in_seconds"], 300);
    assert_eq!(sent["sandbox"], true);
    let code = last_code(&t, PARENT).await.expect("a code was sent");
    assert_eq!(code.len(), 6);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
    let (status, login) = sms_login(&t, PARENT, &code).await;
    assert_eq!(status, StatusCode::OK, "{login}");
    let token = login["token"].as_str().expect("token");
    let (status, me) = t.get("/api/v1/me", token).await;
    assert_eq!(
        (status, me["user"]["name"].as_str()),
        (StatusCode::OK, Some("周杰"))
    );
    assert_eq!(
        t.audit_count("auth.login").await,
        logins + 2,
        "SMS login and the admin's"
    );
    // A code serves once.
    let (status, body) = sms_login(&t, PARENT, &code).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["message"], "验证码错误或已过期");
}

#[tokio::test]
async fn a6_sms_codes_expire_allow_five_tries_and_resend_after_a_minute() {
    let t = TestApp::new().await;
    ask_code(&t, TEACHER, None).await;
    let code = last_code(&t, TEACHER).await.expect("code");
    // Asked again within 60 s: 429 and no new message.
    let (status, body) = ask_code(&t, TEACHER, None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["code"], "too_many_attempts");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("秒后再获取")
    );
    // Five wrong tries spend the code: the right one fails after them.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let (status, _) = sms_login(&t, TEACHER, wrong).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, body) = sms_login(&t, TEACHER, &code).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["message"], "验证码错误次数过多，请重新获取");
    // A minute later a new code comes; it lapses after 5 minutes.
    t.clock.advance(Duration::seconds(61));
    let (status, _) = ask_code(&t, TEACHER, None).await;
    assert_eq!(status, StatusCode::OK);
    let code = last_code(&t, TEACHER).await.expect("code");
    t.clock.advance(Duration::seconds(301));
    let (status, _) = sms_login(&t, TEACHER, &code).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "expired");
}

#[tokio::test]
async fn a6_a_phone_gets_ten_codes_a_day() {
    let t = TestApp::new().await;
    for i in 0..10 {
        let (status, body) = ask_code(&t, TEACHER, None).await;
        assert_eq!(status, StatusCode::OK, "code {i}: {body}");
        t.clock.advance(Duration::seconds(61));
    }
    let (status, body) = ask_code(&t, TEACHER, None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        body["message"].as_str().unwrap_or("").contains("今日"),
        "{body}"
    );
    assert!(body["details"]["locked_until"].is_string());
    // The next China day the number may ask again.
    t.clock.advance(Duration::hours(24));
    assert_eq!(ask_code(&t, TEACHER, None).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a6_one_address_gets_fifty_codes_a_day() {
    let t = TestApp::new().await;
    let from = |phone: String| {
        let mut req = axum::http::Request::post("/api/v1/auth/sms-code")
            .header("content-type", "application/json")
            .body(axum::body::Body::from(
                json!({ "phone": phone }).to_string(),
            ))
            .expect("request");
        let peer: std::net::SocketAddr = "198.51.100.7:40000".parse().expect("peer");
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        req
    };
    for i in 0..50 {
        let res = t.request(from(format!("139000{i:05}"))).await;
        assert_eq!(res.status(), StatusCode::OK, "request {i}");
    }
    let res = t.request(from("13900099999".into())).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a6_unknown_numbers_get_the_same_answer_and_no_message() {
    let t = TestApp::new().await;
    let (status, body) = ask_code(&t, "13912345678", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["sandbox"], true);
    assert_eq!(last_code(&t, "13912345678").await, None, "nothing sent");
    let (status, _) = sms_login(&t, "13912345678", "123456").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a6_sms_bad_input_is_refused_clearly() {
    let t = TestApp::new().await;
    for (body, field) in [
        (json!({}), "phone"),
        (json!({"phone": "12345"}), "phone"),
        (json!({"phone": "1380000000\u{202e}7"}), "phone"),
        (json!({"phone": PARENT, "purpose": "spy"}), "purpose"),
    ] {
        let (status, answer) = t
            .api(
                Method::POST,
                "/api/v1/auth/sms-code",
                None,
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["details"][0]["field"], field, "{body}");
    }
    let (status, answer) = t
        .api(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"phone": PARENT, "password": PASSWORD, "sms_code": "123456"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    for code in ["", "12345", "1234567", "abcdef"] {
        let (status, _) = sms_login(&t, PARENT, code).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "code {code:?}");
    }
    assert_eq!(last_code(&t, PARENT).await, None, "nothing was sent");
}

#[tokio::test]
async fn a6_the_owner_of_a_locked_account_logs_in_by_sms() {
    let t = TestApp::new().await;
    for _ in 0..5 {
        t.try_login(SCHOOL1_ADMIN, "Wrong1234").await;
    }
    let (status, _) = t.try_login(SCHOOL1_ADMIN, PASSWORD).await;
    assert_eq!(status, StatusCode::LOCKED);
    ask_code(&t, SCHOOL1_ADMIN, None).await;
    let code = last_code(&t, SCHOOL1_ADMIN).await.expect("code");
    let (status, body) = sms_login(&t, SCHOOL1_ADMIN, &code).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The SMS login ended the lockout.
    assert_eq!(t.try_login(SCHOOL1_ADMIN, PASSWORD).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a6_a_forgotten_password_is_reset_by_sms_code() {
    let t = TestApp::new().await;
    let old_token = t.login(TEACHER).await;
    // A login code does not reset a password.
    ask_code(&t, TEACHER, None).await;
    let login_code = last_code(&t, TEACHER).await.expect("code");
    let reset = |code: String, password: &'static str| json!({"phone": TEACHER, "sms_code": code, "new_password": password});
    let (status, _) = t
        .api(
            Method::POST,
            "/api/v1/auth/password-reset",
            None,
            Some(reset(login_code, "NewPass2026")),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    t.clock.advance(Duration::seconds(61));
    let (status, _) = ask_code(&t, TEACHER, Some("reset")).await;
    assert_eq!(status, StatusCode::OK);
    let code = last_code(&t, TEACHER).await.expect("code");
    // A weak password is refused before the code is spent.
    let (status, body) = t
        .api(
            Method::POST,
            "/api/v1/auth/password-reset",
            None,
            Some(reset(code.clone(), "short")),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["details"][0]["field"], "new_password");
    assert_eq!(
        t.try_login(TEACHER, PASSWORD).await.0,
        StatusCode::OK,
        "unchanged"
    );
    let (status, body) = t
        .api(
            Method::POST,
            "/api/v1/auth/password-reset",
            None,
            Some(reset(code, "NewPass2026")),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        t.try_login(TEACHER, PASSWORD).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(t.try_login(TEACHER, "NewPass2026").await.0, StatusCode::OK);
    assert_eq!(
        t.get("/api/v1/me", &old_token).await.0,
        StatusCode::UNAUTHORIZED,
        "sessions end"
    );
    assert_eq!(t.audit_count("user.reset_password_sms").await, 1);
}

#[tokio::test]
async fn a6_only_platform_admins_read_the_sandbox() {
    let t = TestApp::new().await;
    ask_code(&t, PARENT, None).await;
    for phone in [SCHOOL1_ADMIN, CITY_LEADER, PARENT] {
        let token = t.login(phone).await;
        let (status, _) = t.get("/api/v1/sandbox/sms", &token).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{phone}");
    }
    let admin = t.login(PLATFORM_ADMIN).await;
    let (status, body) = t.get("/api/v1/sandbox/sms", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["items"][0]["phone"], PARENT);
    let (status, _) = t.get("/api/v1/sandbox/sms?phone=abc", &admin).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let mut b = Browser::new(&t);
    b.login(PLATFORM_ADMIN, PASSWORD).await;
    let page = b.get("/sandbox/sms").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("用于登录"), "the message is listed");
    let mut b = Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    assert!(!b.get("/").await.body.contains("短信沙箱"), "no link");
    assert_eq!(b.get("/sandbox/sms").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a6_the_login_page_logs_a_parent_in_by_sms_and_resets_a_password() {
    let t = TestApp::new().await;
    let mut b = Browser::new(&t);
    let page = b.get("/login?by=sms").await;
    assert!(page.body.contains("获取验证码"));
    let csrf = Browser::csrf(&page);
    let page = b
        .post(
            "/login/sms-code",
            &[
                ("_csrf", &csrf),
                ("mode", "sms"),
                ("phone", PARENT),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("138****0007"), "{}", page.body);
    assert!(page.body.contains("id=\"f-code\""));
    let code = last_code(&t, PARENT).await.expect("code");
    // A wrong code: the form again, the code field marked.
    let csrf = Browser::csrf(&page);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let page = b
        .post(
            "/login",
            &[
                ("_csrf", &csrf),
                ("mode", "sms"),
                ("phone", PARENT),
                ("sms_code", wrong),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.body.contains("验证码错误或已过期"));
    assert!(page.body.contains("aria-invalid=\"true\""));
    let csrf = Browser::csrf(&page);
    let page = b
        .post(
            "/login",
            &[
                ("_csrf", &csrf),
                ("mode", "sms"),
                ("phone", PARENT),
                ("sms_code", &code),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let home = b.get("/").await;
    assert!(home.body.contains("周杰"), "logged in");
    // Reset by SMS on the login page, in a fresh browser.
    t.clock.advance(Duration::seconds(61));
    let mut b = Browser::new(&t);
    let page = b.get("/login?by=reset").await;
    assert!(page.body.contains("重置密码"));
    let csrf = Browser::csrf(&page);
    let page = b
        .post(
            "/login/sms-code",
            &[
                ("_csrf", &csrf),
                ("mode", "reset"),
                ("phone", PARENT),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let code = last_code(&t, PARENT).await.expect("code");
    assert!(
        t.app
            .sms
            .sandbox()
            .map(|s| s.inbox(None)[0].text.contains("重置密码"))
            .unwrap_or(false)
    );
    let csrf = Browser::csrf(&page);
    let page = b
        .post(
            "/login/reset",
            &[
                ("_csrf", &csrf),
                ("mode", "reset"),
                ("phone", PARENT),
                ("sms_code", &code),
                ("new_password", "Parent2026"),
                ("confirm_password", "Parent2027"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "mismatch");
    assert!(page.body.contains("两次输入的新密码不一致"));
    let csrf = Browser::csrf(&page);
    let page = b
        .post(
            "/login/reset",
            &[
                ("_csrf", &csrf),
                ("mode", "reset"),
                ("phone", PARENT),
                ("sms_code", &code),
                ("new_password", "Parent2026"),
                ("confirm_password", "Parent2026"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("密码已重置"));
    assert_eq!(t.try_login(PARENT, "Parent2026").await.0, StatusCode::OK);
    // A stale form (no login cookie) is refused.
    let mut stranger = Browser::new(&t);
    let page = stranger
        .post(
            "/login/sms-code",
            &[("_csrf", "x"), ("mode", "sms"), ("phone", PARENT)],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}
