use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn a1_school_admin_sees_only_the_school_users() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    // Phone numbers are stored encrypted: a whole number finds its account, a fragment
    // nothing. The school's own people are found, the other school's are not.
    for (phone, expected) in [
        (SCHOOL1_ADMIN, 1),
        (TEACHER, 1),
        (PARENT, 1),
        (PATROL_TEACHER, 1),
        (HEAD_TEACHER, 1),
        ("13701000001", 1),
        (SCHOOL2_ADMIN, 0),
        (CITY_LEADER, 0),
        ("13702000001", 0),
        ("13902000002", 0),
        ("1380000", 0),
    ] {
        let (status, found) = t.get(&format!("/api/v1/users?q={phone}"), &admin).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(found["total"], expected, "{phone}");
        if expected == 1 {
            // Found by the whole number, shown masked.
            let masked = format!("{}****{}", &phone[..3], &phone[7..]);
            assert_eq!(found["items"][0]["phone"], masked.as_str());
        }
    }
    let other = t.user_id(SCHOOL2_ADMIN).await;
    assert_eq!(
        t.get(&format!("/api/v1/users/{other}"), &admin).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.post(&format!("/api/v1/users/{other}/freeze"), &admin, json!({}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // Filters.
    let (_, body) = t
        .get(&format!("/api/v1/users?q={}", urlencode("郑丽")), &admin)
        .await;
    assert_eq!(body["total"], 1);
    let head_role = t.role_id("head_teacher").await;
    assert_eq!(
        t.get(&format!("/api/v1/users?role_id={head_role}"), &admin)
            .await
            .1["total"],
        1
    );
    assert_eq!(
        t.get("/api/v1/users?frozen=true", &admin).await.1["total"],
        0
    );
    assert_eq!(
        t.get("/api/v1/users?frozen=maybe", &admin).await.0,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn a1_create_user_rejects_bad_input_and_changes_nothing() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school1 = t.org_id("示例第一小学").await;
    let school2 = t.org_id("示例第二小学").await;
    let teacher = t.role_id("teacher").await;
    let leader = t.role_id("bureau_leader").await;
    let platform_admin_role = t.role_id("platform_admin").await;
    let before = t
        .get("/api/v1/users", &t.login(PLATFORM_ADMIN).await)
        .await
        .1["total"]
        .clone();
    let cases = [
        (
            json!({"phone": "1391234567", "name": "甲", "org_id": school1, "role_id": teacher}),
            StatusCode::BAD_REQUEST,
            "phone",
        ),
        (
            json!({"phone": "13912345678", "name": "", "org_id": school1, "role_id": teacher}),
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            json!({"phone": "13912345678", "name": "名".repeat(51), "org_id": school1, "role_id": teacher}),
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            json!({"phone": "13912345678", "name": "甲", "org_id": school1, "role_id": teacher, "password": "weak"}),
            StatusCode::BAD_REQUEST,
            "password",
        ),
        (
            json!({"phone": "13912345678", "name": "甲", "role_id": teacher}),
            StatusCode::BAD_REQUEST,
            "org_id",
        ),
        (
            json!({"phone": "13912345678", "name": "甲", "org_id": school2, "role_id": teacher}),
            StatusCode::BAD_REQUEST,
            "org_id",
        ),
        (
            json!({"phone": "13912345678", "name": "甲", "org_id": school1, "role_id": leader}),
            StatusCode::BAD_REQUEST,
            "role_id",
        ),
        (
            json!({"phone": "13912345678", "name": "甲", "org_id": school1, "role_id": platform_admin_role}),
            StatusCode::BAD_REQUEST,
            "role_id",
        ),
        (
            json!({"phone": "13912345678", "name": "甲", "org_id": school1, "role_id": 999999}),
            StatusCode::BAD_REQUEST,
            "role_id",
        ),
        (
            json!({"phone": TEACHER, "name": "重复", "org_id": school1, "role_id": teacher}),
            StatusCode::CONFLICT,
            "phone",
        ),
    ];
    for (body, expected, field) in cases {
        let (status, answer) = t.post("/api/v1/users", &admin, body.clone()).await;
        assert_eq!(status, expected, "{body} → {answer}");
        assert!(
            answer["details"]
                .as_array()
                .expect("details")
                .iter()
                .any(|d| d["field"] == field),
            "{body} → {answer}"
        );
    }
    assert_eq!(
        t.get("/api/v1/users", &t.login(PLATFORM_ADMIN).await)
            .await
            .1["total"],
        before
    );
    assert_eq!(
        t.audit_count("user.create").await,
        0,
        "no audit event for refused changes"
    );
}

#[tokio::test]
async fn a1_edit_freeze_unfreeze_and_reset() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let teacher_id = t.user_id(TEACHER).await;
    let teacher_token = t.login(TEACHER).await;

    let (status, body) = t
        .patch(
            &format!("/api/v1/users/{teacher_id}"),
            &admin,
            json!({"name": "赵敏敏"}),
        )
        .await;
    assert_eq!(
        (status, body["name"].as_str()),
        (StatusCode::OK, Some("赵敏敏"))
    );
    assert_eq!(
        t.patch(
            &format!("/api/v1/users/{teacher_id}"),
            &admin,
            json!({"phone": PARENT})
        )
        .await
        .0,
        StatusCode::CONFLICT
    );
    assert_eq!(
        t.patch(
            &format!("/api/v1/users/{teacher_id}"),
            &admin,
            json!({"phone": "abc"})
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );

    let (status, body) = t
        .post(
            &format!("/api/v1/users/{teacher_id}/freeze"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(
        (status, body["frozen"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    assert_eq!(
        t.get("/api/v1/me", &teacher_token).await.0,
        StatusCode::UNAUTHORIZED,
        "freezing ends sessions"
    );
    let (status, body) = t.try_login(TEACHER, PASSWORD).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("account_frozen"))
    );
    let (status, body) = t
        .post(
            &format!("/api/v1/users/{teacher_id}/freeze"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );
    assert_eq!(
        t.post(
            &format!("/api/v1/users/{teacher_id}/unfreeze"),
            &admin,
            json!({})
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        t.post(
            &format!("/api/v1/users/{teacher_id}/unfreeze"),
            &admin,
            json!({})
        )
        .await
        .0,
        StatusCode::CONFLICT
    );
    assert_eq!(t.try_login(TEACHER, PASSWORD).await.0, StatusCode::OK);

    // Reset: without a body a password is generated; the old one stops working.
    let (status, body) = t
        .api(
            Method::POST,
            &format!("/api/v1/users/{teacher_id}/reset-password"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let new_password = body["initial_password"].as_str().expect("password");
    assert!(kehou_domain::Password::parse(new_password).is_ok());
    assert_eq!(
        t.try_login(TEACHER, PASSWORD).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (_, login) = t.try_login(TEACHER, new_password).await;
    assert_eq!(login["must_change_password"], true);
    let (status, _) = t
        .post(
            &format!("/api/v1/users/{teacher_id}/reset-password"),
            &admin,
            json!({"password": "short"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // One may not freeze oneself.
    let me = t.user_id(SCHOOL1_ADMIN).await;
    assert_eq!(
        t.post(&format!("/api/v1/users/{me}/freeze"), &admin, json!({}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a1_reset_lifts_a_lockout() {
    let t = TestApp::new().await;
    for _ in 0..5 {
        t.try_login(TEACHER, "Wrong1234").await;
    }
    assert_eq!(t.try_login(TEACHER, PASSWORD).await.0, StatusCode::LOCKED);
    let admin = t.login(SCHOOL1_ADMIN).await;
    let id = t.user_id(TEACHER).await;
    let (_, body) = t
        .post(
            &format!("/api/v1/users/{id}/reset-password"),
            &admin,
            json!({"password": "Fresh2026x"}),
        )
        .await;
    assert_eq!(body["user"]["locked_until"], serde_json::Value::Null);
    assert_eq!(t.try_login(TEACHER, "Fresh2026x").await.0, StatusCode::OK);
}

#[tokio::test]
async fn a3_memberships_outside_the_jurisdiction_protect_a_user() {
    let t = TestApp::new().await;
    let platform = t.login(PLATFORM_ADMIN).await;
    let leader_id = t.user_id(CITY_LEADER).await;
    let school1 = t.org_id("示例第一小学").await;
    let parent_role = t.role_id("parent").await;
    // The city leader is also a parent at school 1.
    let (status, body) = t
        .post(
            &format!("/api/v1/users/{leader_id}/memberships"),
            &platform,
            json!({"org_id": school1, "role_id": parent_role}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        t.post(
            &format!("/api/v1/users/{leader_id}/memberships"),
            &platform,
            json!({"org_id": school1, "role_id": parent_role})
        )
        .await
        .0,
        StatusCode::CONFLICT
    );

    let admin = t.login(SCHOOL1_ADMIN).await;
    let (status, body) = t.get(&format!("/api/v1/users/{leader_id}"), &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["memberships"].as_array().map(Vec::len),
        Some(1),
        "only the membership in the school is shown"
    );
    assert_eq!(
        t.post(
            &format!("/api/v1/users/{leader_id}/reset-password"),
            &admin,
            json!({})
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.post(
            &format!("/api/v1/users/{leader_id}/freeze"),
            &admin,
            json!({})
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.try_login(CITY_LEADER, PASSWORD).await.0,
        StatusCode::OK,
        "nothing changed"
    );

    // Removing the membership inside the school is allowed.
    let membership = body["memberships"][0]["id"].as_i64().expect("id");
    let (status, _) = t
        .api(
            Method::DELETE,
            &format!("/api/v1/users/{leader_id}/memberships/{membership}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.get(&format!("/api/v1/users/{leader_id}"), &admin).await.0,
        StatusCode::NOT_FOUND,
        "no longer in the school"
    );
    let (status, _) = t
        .api(
            Method::DELETE,
            &format!("/api/v1/users/{leader_id}/memberships/{membership}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a1_p4_login_numbers_are_masked_and_revealed_one_at_a_time_audited() {
    let t = TestApp::new().await;
    let teacher = t.user_id(TEACHER).await;
    // Everyone who may list accounts sees masked numbers: bureau officers, institution
    // admins, school admins; in lists, details and the export.
    for viewer in [STREET_OFFICER, SCHOOL1_ADMIN] {
        let token = t.login(viewer).await;
        let (_, list) = t.get("/api/v1/users?page_size=100", &token).await;
        let text = list.to_string();
        assert!(
            !text.contains(TEACHER) && !text.contains(PARENT),
            "{viewer}: a whole number in the list"
        );
        let (_, one) = t.get(&format!("/api/v1/users/{teacher}"), &token).await;
        assert_eq!(one["phone"], "138****0006", "{viewer}: {one}");
    }
    let mut b = crate::pages::Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let rows = workbook_rows(&b.get_bytes("/users/export").await);
    let whole = |c: &String| c.len() == 11 && c.bytes().all(|b| b.is_ascii_digit());
    assert_eq!(rows[2][2], "138****0006", "{:?}", &rows[..3]);
    assert!(
        !rows.iter().flatten().any(whole),
        "a whole number in the export"
    );
    let page = b.get(&format!("/users/{teacher}")).await;
    assert!(!page.body.contains(TEACHER), "{}", page.body);

    // The whole number needs personal.view and leaves a trace.
    let officer = t.login(STREET_OFFICER).await;
    let path = format!("/api/v1/users/{teacher}/phone");
    assert_eq!(t.get(&path, &officer).await.0, StatusCode::FORBIDDEN);
    let seen = t.audit_count("personal.view").await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let (status, body) = t.get(&path, &admin).await;
    assert_eq!(
        (status, body["phone"].as_str()),
        (StatusCode::OK, Some(TEACHER))
    );
    assert_eq!(t.audit_count("personal.view").await, seen + 1);
    // Another tenant's account is not found.
    let platform_admin = t.user_id(PLATFORM_ADMIN).await;
    assert_eq!(
        t.get(&format!("/api/v1/users/{platform_admin}/phone"), &admin)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // On the page: a button, then the number once.
    let detail = b.get(&format!("/users/{teacher}")).await;
    let csrf = crate::pages::Browser::csrf(&detail);
    let shown = b
        .post(&format!("/users/{teacher}/phone"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(
        shown.body.contains(&format!("完整手机号：{TEACHER}")),
        "{}",
        shown.body
    );
    // Saving the form with the number left blank keeps it.
    let saved = b
        .post(
            &format!("/users/{teacher}"),
            &[("_csrf", &csrf), ("name", "赵敏"), ("phone", "")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(t.try_login(TEACHER, PASSWORD).await.0, StatusCode::OK);
}
