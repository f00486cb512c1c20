//! Initial passwords for imported staff and guardians, handed out as a sheet.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;
use crate::pages::Browser;

async fn first(t: &TestApp, token: &str, path: &str) -> Value {
    let (status, body) = t.get(path, token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"][0].clone()
}

#[tokio::test]
async fn a1_a_school_gives_imported_staff_and_guardians_initial_passwords() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let path = format!("/api/v1/schools/{school}/initial-passwords");
    // A generated teacher of the demo (phone 1370100000x).
    let teacher = first(
        &t,
        &admin,
        &format!("/api/v1/schools/{school}/staff?q=13701000001"),
    )
    .await;
    let events = t.audit_count("user.initial_passwords").await;
    let (status, body) = t
        .post(&path, &admin, json!({"staff_ids": [teacher["id"]]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let row = &body["issued"][0];
    assert_eq!(
        (row["name"].clone(), row["role"].as_str()),
        (teacher["name"].clone(), Some("教职工"))
    );
    assert_eq!(row["phone"], "137****0001");
    let password = row["password"].as_str().expect("password");
    assert_eq!(
        t.try_login("13701000001", PASSWORD).await.0,
        StatusCode::UNAUTHORIZED,
        "old one gone"
    );
    let (status, login) = t.try_login("13701000001", password).await;
    assert_eq!(
        (status, login["must_change_password"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    assert_eq!(t.audit_count("user.initial_passwords").await, events + 1);

    // Guardians of a student, named by their child.
    let student = first(
        &t,
        &admin,
        &format!("/api/v1/schools/{school}/students?q=周俊"),
    )
    .await;
    let (status, body) = t
        .post(&path, &admin, json!({"student_ids": [student["id"]]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body["issued"]
            .as_array()
            .expect("rows")
            .iter()
            .any(|r| r["role"] == "周俊的父亲"),
        "{body}"
    );

    // Bad input, other schools, and people without the right change nothing.
    for (b, expected) in [
        (json!({}), StatusCode::BAD_REQUEST),
        (json!({"staff_ids": []}), StatusCode::BAD_REQUEST),
        (
            json!({"staff_ids": [1], "student_ids": [1]}),
            StatusCode::BAD_REQUEST,
        ),
        (json!({"staff_ids": [999999]}), StatusCode::NOT_FOUND),
        (json!({"staff_ids": "1"}), StatusCode::BAD_REQUEST),
    ] {
        let (status, answer) = t.post(&path, &admin, b.clone()).await;
        assert_eq!(status, expected, "{b}: {answer}");
    }
    let school2 = t.org_id("示例第二小学").await;
    let other = first(
        &t,
        &t.login(SCHOOL2_ADMIN).await,
        &format!("/api/v1/schools/{school2}/staff"),
    )
    .await;
    let (status, _) = t
        .post(&path, &admin, json!({"staff_ids": [other["id"]]}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another school's staff");
    let (status, _) = t
        .post(
            &path,
            &t.login(HEAD_TEACHER).await,
            json!({"staff_ids": [teacher["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(t.audit_count("user.initial_passwords").await, events + 2);
}

#[tokio::test]
async fn a1_accounts_of_other_organizations_keep_their_password() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let teacher_role = t.role_id("teacher").await;
    // The city leader, invited and accepted, is staff of the school and a bureau leader.
    let (status, _) = t
        .post(
            &format!("/api/v1/schools/{school}/staff"),
            &admin,
            json!({"name": "李明", "phone": CITY_LEADER, "gender": "男", "role_ids": [teacher_role]}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let leader = t.login(CITY_LEADER).await;
    let (_, inbox) = t.get("/api/v1/messages", &leader).await;
    let link = inbox["items"][0]["link"]
        .as_str()
        .expect("link")
        .to_string();
    let id = link.rsplit('/').next().expect("id");
    let (status, _) = t
        .api(
            Method::POST,
            &format!("/api/v1/invitations/{id}/accept"),
            Some(&leader),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let staff = first(
        &t,
        &admin,
        &format!("/api/v1/schools/{school}/staff?q=李明"),
    )
    .await;
    let (status, body) = t
        .post(
            &format!("/api/v1/schools/{school}/initial-passwords"),
            &admin,
            json!({"staff_ids": [staff["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        t.try_login(CITY_LEADER, PASSWORD).await.0,
        StatusCode::OK,
        "unchanged"
    );
}

#[tokio::test]
async fn a1_the_staff_page_hands_out_a_sheet_of_initial_passwords() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let teacher = first(
        &t,
        &admin,
        &format!("/api/v1/schools/{school}/staff?q=13701000002"),
    )
    .await;
    let mut b = Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let page = b.get(&format!("/schools/{school}/staff")).await;
    assert!(page.body.contains("为所选人员生成初始密码"));
    let csrf = Browser::csrf(&page);
    let id = teacher["id"].to_string();
    let res = b
        .post_raw(
            &format!("/schools/{school}/staff/initial-passwords"),
            &[("_csrf", csrf.as_str()), ("ids", id.as_str())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .expect("body");
    let rows = workbook_rows(&bytes);
    assert_eq!(
        rows[0],
        ["姓名", "身份", "登录手机号", "初始密码（首次登录须修改）"]
    );
    assert_eq!(rows[1][2], "137****0002");
    let (status, _) = t.try_login("13701000002", &rows[1][3]).await;
    assert_eq!(status, StatusCode::OK, "the sheet's password works");
    // Nothing ticked, or a forged id: a clear refusal.
    let page = b
        .post(
            &format!("/schools/{school}/staff/initial-passwords"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("请至少选择一人"));
    let page = b
        .post(
            &format!("/schools/{school}/staff/initial-passwords"),
            &[("_csrf", &csrf), ("ids", "x")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
}
