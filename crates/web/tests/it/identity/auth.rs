use axum::http::{Method, StatusCode};
use chrono::Duration;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn healthz_answers_once_the_database_is_reachable() {
    let t = TestApp::new().await;
    let res = t
        .request(
            axum::http::Request::get("/healthz")
                .body(axum::body::Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn a6_login_gives_a_token_that_opens_me() {
    let t = TestApp::new().await;
    let (status, body) = t.try_login(SCHOOL1_ADMIN, PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["must_change_password"], false);
    assert!(body["expires_at"].is_string());
    let token = body["token"].as_str().expect("token");
    let (status, me) = t.get("/api/v1/me", token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["user"]["phone"], SCHOOL1_ADMIN);
    assert_eq!(me["memberships"][0]["org_name"], "示例第一小学");
    assert_eq!(me["active_membership_id"], me["memberships"][0]["id"]);
    assert!(
        me["permissions"]
            .as_array()
            .expect("permissions")
            .iter()
            .any(|p| p == "user.manage")
    );
}

#[tokio::test]
async fn a6_wrong_credentials_and_bad_input() {
    let t = TestApp::new().await;
    let (status, body) = t.try_login(SCHOOL1_ADMIN, "Wrong1234").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
    let (status, _) = t.try_login("13900000000", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "unknown phone");
    let (status, _) = t.try_login("not-a-phone", PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "malformed phone reveals nothing"
    );
    let (status, body) = t
        .api(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"phone": SCHOOL1_ADMIN})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["details"][0]["field"], "password");
    // Malformed JSON and a wrong type answer 400 with the error body.
    let req = axum::http::Request::post("/api/v1/auth/token")
        .header("content-type", "application/json")
        .body(axum::body::Body::from("{oops"))
        .expect("req");
    assert_eq!(t.request(req).await.status(), StatusCode::BAD_REQUEST);
    let (status, body) = t
        .api(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"phone": 13800000004_i64, "password": PASSWORD})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_input"))
    );
    // No token, a made-up token.
    let (status, body) = t.api(Method::GET, "/api/v1/me", None, None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
    let (status, _) = t.get("/api/v1/me", "deadbeef").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a6_five_wrong_passwords_lock_for_fifteen_minutes() {
    let t = TestApp::new().await;
    for attempt in 1..=4 {
        let (status, _) = t.try_login(TEACHER, "Wrong1234").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let (status, body) = t.try_login(TEACHER, "Wrong1234").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::LOCKED, Some("account_locked"))
    );
    assert!(body["details"]["locked_until"].is_string());
    // Even the right password is refused while locked.
    let (status, _) = t.try_login(TEACHER, PASSWORD).await;
    assert_eq!(status, StatusCode::LOCKED);
    assert_eq!(t.audit_count("user.lock").await, 1);
    t.clock.advance(Duration::minutes(14));
    assert_eq!(t.try_login(TEACHER, PASSWORD).await.0, StatusCode::LOCKED);
    t.clock.advance(Duration::minutes(2));
    assert_eq!(t.try_login(TEACHER, PASSWORD).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a6_a_good_login_resets_the_failure_count() {
    let t = TestApp::new().await;
    for _ in 0..4 {
        t.try_login(TEACHER, "Wrong1234").await;
    }
    assert_eq!(t.try_login(TEACHER, PASSWORD).await.0, StatusCode::OK);
    for _ in 0..4 {
        assert_eq!(
            t.try_login(TEACHER, "Wrong1234").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn a6_new_account_must_change_password_before_anything_else() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let teacher_role = t.role_id("teacher").await;
    let (status, created) = t.post("/api/v1/users", &admin, json!({"phone": "13912345678", "name": "新老师", "org_id": school, "role_id": teacher_role})).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let initial = created["initial_password"]
        .as_str()
        .expect("initial password")
        .to_string();
    assert_eq!(created["user"]["must_change_password"], true);

    let (status, login) = t.try_login("13912345678", &initial).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(login["must_change_password"], true);
    let token = login["token"].as_str().expect("token");
    let (status, body) = t.get("/api/v1/orgs", token).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("password_change_required"))
    );
    // /me still answers so a client knows what to do.
    assert_eq!(
        t.get("/api/v1/me", token).await.1["must_change_password"],
        true
    );

    // Weak, same-as-old and wrong-old passwords are refused and change nothing.
    for (old, new, field) in [
        (initial.as_str(), "short1", "new_password"),
        (initial.as_str(), "lettersonly", "new_password"),
        (initial.as_str(), initial.as_str(), "new_password"),
        ("Wrong1234", "Better2026", "old_password"),
    ] {
        let (status, body) = t
            .post(
                "/api/v1/auth/password",
                token,
                json!({"old_password": old, "new_password": new}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{new}: {body}");
        assert_eq!(body["details"][0]["field"], field);
    }
    let (status, _) = t
        .post(
            "/api/v1/auth/password",
            token,
            json!({"old_password": initial, "new_password": "Better2026"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.get("/api/v1/me", token).await.1["must_change_password"],
        false
    );
    assert_eq!(
        t.try_login("13912345678", &initial).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        t.try_login("13912345678", "Better2026").await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a6_logout_and_expiry_end_a_token() {
    let t = TestApp::new().await;
    let token = t.login(TEACHER).await;
    let (status, _) = t
        .api(Method::POST, "/api/v1/auth/logout", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.get("/api/v1/me", &token).await.0,
        StatusCode::UNAUTHORIZED
    );

    let token = t.login(TEACHER).await;
    t.clock.advance(Duration::hours(11));
    assert_eq!(t.get("/api/v1/me", &token).await.0, StatusCode::OK);
    t.clock.advance(Duration::hours(2));
    assert_eq!(
        t.get("/api/v1/me", &token).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a3_a_person_with_several_memberships_switches_between_them() {
    let t = TestApp::new().await;
    let token = t.login(HEAD_TEACHER).await;
    let (_, me) = t.get("/api/v1/me", &token).await;
    let memberships = me["memberships"].as_array().expect("memberships");
    assert_eq!(memberships.len(), 2);
    let second = memberships[1]["id"].as_i64().expect("id");
    let (status, me) = t
        .put(
            "/api/v1/me/membership",
            &token,
            json!({"membership_id": second}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["active_membership_id"], second);
    assert_eq!(
        t.get("/api/v1/me", &token).await.1["active_membership_id"],
        second
    );
    // Someone else's membership is not found; a missing id is bad input.
    let other = t.get("/api/v1/me", &t.login(TEACHER).await).await.1["memberships"][0]["id"]
        .as_i64()
        .expect("id");
    assert_eq!(
        t.put(
            "/api/v1/me/membership",
            &token,
            json!({"membership_id": other})
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.put("/api/v1/me/membership", &token, json!({})).await.0,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn p2_openapi_documents_every_route() {
    let t = TestApp::new().await;
    let (status, doc) = t.api(Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let paths = doc["paths"].as_object().expect("paths");
    for path in [
        "/api/v1/auth/token",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/orgs",
        "/api/v1/orgs/{id}",
        "/api/v1/users",
        "/api/v1/users/{id}",
        "/api/v1/users/{id}/freeze",
        "/api/v1/users/{id}/unfreeze",
        "/api/v1/users/{id}/reset-password",
        "/api/v1/permissions",
        "/api/v1/roles",
        "/api/v1/roles/{id}/permissions",
        "/api/v1/audit-events",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    // Unknown API paths answer the JSON error body too.
    let (status, body) = t.get("/api/v1/nothing-here", &t.login(TEACHER).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

#[tokio::test]
async fn demo_data_loads_idempotently() {
    let t = TestApp::new().await;
    let admin = t.login(PLATFORM_ADMIN).await;
    let before_orgs = t.get("/api/v1/orgs", &admin).await.1["total"].clone();
    let before_users = t.get("/api/v1/users", &admin).await.1["total"].clone();
    assert_eq!(
        kehou_service::system::demo::load(&t.app)
            .await
            .expect("second load"),
        0
    );
    assert_eq!(t.get("/api/v1/orgs", &admin).await.1["total"], before_orgs);
    assert_eq!(
        t.get("/api/v1/users", &admin).await.1["total"],
        before_users
    );
    assert_eq!(
        before_orgs, 9,
        "platform, city, two streets, three schools, two institutions"
    );
    // The ten demo accounts, the generated staff and the students' guardians.
    assert!(
        before_users.as_u64().expect("total") > 1000,
        "{before_users}"
    );
    for account in kehou_service::system::demo::DEMO_ACCOUNTS {
        assert_eq!(
            t.get(&format!("/api/v1/users?q={}", account.phone), &admin)
                .await
                .1["total"],
            1,
            "{}",
            account.phone
        );
    }
}

#[tokio::test]
async fn a1_command_line_admin_creation_validates_and_refuses_duplicates() {
    let t = TestApp::new().await;
    let id = kehou_service::identity::account::create_platform_admin(
        &t.app,
        "13700000001",
        "新管理员",
        "Strong2026",
    )
    .await
    .expect("created");
    assert!(id > 0);
    let (status, body) = t.try_login("13700000001", "Strong2026").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["must_change_password"], false);
    assert!(matches!(
        kehou_service::identity::account::create_platform_admin(
            &t.app,
            "13700000001",
            "重复",
            "Strong2026"
        )
        .await,
        Err(kehou_service::Error::Conflict { .. })
    ));
    assert!(
        matches!(kehou_service::identity::account::create_platform_admin(&t.app, "123", "", "weak").await, Err(kehou_service::Error::Invalid(f)) if f.len() == 3)
    );
}

#[tokio::test]
async fn postgres_suite_is_configured_where_required() {
    if std::env::var("KEHOU_TEST_DATABASE_URL").is_err() {
        assert!(
            !require_all(),
            "KEHOU_REQUIRE_ALL=1 but KEHOU_TEST_DATABASE_URL is not set"
        );
        println!("skipped: KEHOU_TEST_DATABASE_URL not set, the suite ran on SQLite only");
    }
}

#[tokio::test]
async fn a6_unknown_numbers_cost_the_same_password_check_as_known_ones() {
    let t = TestApp::new().await;
    let checks = kehou_service::identity::auth::password_checks_on_this_thread;
    let before = checks();
    let (unknown, unknown_body) = t.try_login("13911112223", "Wrong@2026x").await;
    let middle = checks();
    let (known, known_body) = t.try_login(TEACHER, "Wrong@2026x").await;
    let after = checks();
    assert_eq!(
        (unknown, known),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(
        unknown_body["message"], known_body["message"],
        "the same answer"
    );
    assert_eq!(
        (middle - before, after - middle),
        (1, 1),
        "one password check each"
    );
}

/// A login call from `peer`.
fn login_from(peer: &str, phone: &str, password: &str) -> axum::http::Request<axum::body::Body> {
    let mut req = axum::http::Request::post("/api/v1/auth/token")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(
            json!({"phone": phone, "password": password}).to_string(),
        ))
        .expect("request");
    let peer: std::net::SocketAddr = format!("{peer}:50000").parse().expect("peer");
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    req
}

#[tokio::test]
async fn a6_failed_logins_are_audited_and_one_address_is_throttled() {
    let t = TestApp::new().await;
    let failed = t.audit_count("auth.login_failed").await;
    // Unknown numbers and wrong passwords are both recorded, the number masked.
    let res = t
        .request(login_from("198.51.100.1", "13911110000", "Wrong@2026x"))
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = t
        .request(login_from("198.51.100.1", TEACHER, "Wrong@2026x"))
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(t.audit_count("auth.login_failed").await, failed + 2);
    let admin = t.login(PLATFORM_ADMIN).await;
    let (_, events) = t.get("/api/v1/audit-events?page_size=100", &admin).await;
    let summaries: Vec<&str> = events["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["action"] == "auth.login_failed")
        .filter_map(|e| e["summary"].as_str())
        .collect();
    assert!(
        summaries.iter().any(|s| s.contains("139****0000")),
        "{summaries:?}"
    );
    assert!(
        !summaries.iter().any(|s| s.contains("13911110000")),
        "{summaries:?}"
    );

    // One address guessing across many numbers is stopped after 20 failures …
    for i in 2..20 {
        let res = t
            .request(login_from(
                "198.51.100.1",
                &format!("139111100{i:02}"),
                "Wrong@2026x",
            ))
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = t
        .request(login_from("198.51.100.1", SCHOOL2_ADMIN, PASSWORD))
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // … while the account itself stays usable from anywhere else, and the wait ends.
    let res = t
        .request(login_from("203.0.113.9", SCHOOL2_ADMIN, PASSWORD))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    t.clock.advance(chrono::Duration::minutes(16));
    let res = t
        .request(login_from("198.51.100.1", SCHOOL2_ADMIN, PASSWORD))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}
