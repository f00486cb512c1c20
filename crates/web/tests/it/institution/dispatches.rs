//! D10: an admitted institution dispatches its teachers to schools of its jurisdiction for a
//! period and course types, never twice for the same days, and may cancel with a reason;
//! the school sees who is sent to it; a suspended institution's dispatches stop.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::institution_id;
use crate::common::*;
use crate::pages::Browser;

async fn teacher_id(t: &TestApp, token: &str, institution: i64, name: &str) -> i64 {
    let (_, list) = t
        .get(
            &format!("/api/v1/institutions/{institution}/teachers"),
            token,
        )
        .await;
    list["items"]
        .as_array()
        .and_then(|items| items.iter().find(|x| x["name"] == name))
        .and_then(|x| x["id"].as_i64())
        .unwrap_or_else(|| panic!("teacher {name}"))
}

fn dispatch(teacher: i64, school: i64, from: &str, to: &str) -> Value {
    json!({"teacher_id": teacher, "school_id": school, "starts_on": from, "ends_on": to,
           "course_types": ["quality"]})
}

#[tokio::test]
async fn d10_teachers_are_dispatched_without_overlaps_and_the_school_sees_them() {
    let t = TestApp::new().await;
    let art = institution_id(&t, "示例艺术培训中心").await;
    let school1 = t.org_id("示例第一小学").await;
    let school2 = t.org_id("示例第二小学").await;
    let school_admin = t.login(SCHOOL1_ADMIN).await;
    let (status, seen) = t
        .get(
            &format!("/api/v1/schools/{school1}/dispatches"),
            &school_admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["total"], 3, "the demo's three teachers");
    assert_eq!(seen["items"][0]["in_force"], true);
    assert_eq!(seen["items"][0]["institution_name"], "示例艺术培训中心");

    let admin = t.login(INSTITUTION_ADMIN).await;
    let he = teacher_id(&t, &admin, art, "何雅琴").await;
    let path = format!("/api/v1/institutions/{art}/dispatches");
    // 何雅琴 is at school 1 all term: not sent there again on any of those days (she may
    // be at other schools too: the timetables keep her from being in two at once).
    let (status, body) = t
        .post(
            &path,
            &admin,
            dispatch(he, school1, "2027-01-22", "2027-03-31"),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("示例第一小学"),
        "{body}"
    );
    let (status, body) = t
        .post(
            &path,
            &admin,
            dispatch(he, school2, "2027-02-01", "2027-06-30"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["in_force"], false, "not yet");

    // Cancelled, the days are free again.
    let (_, list) = t.get(&path, &admin).await;
    let first = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|d| d["teacher_id"] == he && d["school_id"] == school1)
        .and_then(|d| d["id"].as_i64())
        .expect("dispatch");
    let cancel = format!("{path}/{first}/cancel");
    let (status, _) = t.post(&cancel, &admin, json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a reason is needed");
    let (status, body) = t.post(&cancel, &admin, json!({"reason": "教师调整"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "cancelled");
    assert_eq!(body["in_force"], false);
    let (status, _) = t.post(&cancel, &admin, json!({"reason": "再次取消"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, body) = t
        .post(
            &path,
            &admin,
            dispatch(he, school1, "2026-10-01", "2027-01-31"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = t
        .post(
            &path,
            &admin,
            dispatch(he, school2, "2026-10-01", "2027-01-31"),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "already at school 2 then: {body}"
    );
    let (_, seen) = t
        .get(
            &format!("/api/v1/schools/{school1}/dispatches"),
            &school_admin,
        )
        .await;
    let cancelled = seen["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|d| d["id"] == first)
        .cloned()
        .expect("still listed");
    assert_eq!(
        cancelled["cancel_reason"], "教师调整",
        "the school reads why"
    );
    assert_eq!(
        t.audit_count("dispatch.create").await,
        6,
        "the demo's four and two"
    );
    assert_eq!(t.audit_count("dispatch.cancel").await, 1);
}

#[tokio::test]
async fn d10_a_suspended_institution_dispatches_nobody() {
    let t = TestApp::new().await;
    let art = institution_id(&t, "示例艺术培训中心").await;
    let school1 = t.org_id("示例第一小学").await;
    let leader = t.login(CITY_LEADER).await;
    let (status, _) = t
        .post(
            &format!("/api/v1/institutions/{art}/decision"),
            &leader,
            json!({"action": "suspend", "reason": "安全检查不合格"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let school_admin = t.login(SCHOOL1_ADMIN).await;
    let (_, seen) = t
        .get(
            &format!("/api/v1/schools/{school1}/dispatches"),
            &school_admin,
        )
        .await;
    assert!(
        seen["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|d| d["in_force"] == false),
        "{seen}"
    );
    let admin = t.login(INSTITUTION_ADMIN).await;
    let he = teacher_id(&t, &admin, art, "何雅琴").await;
    let (status, body) = t
        .post(
            &format!("/api/v1/institutions/{art}/dispatches"),
            &admin,
            dispatch(he, school1, "2027-02-01", "2027-06-30"),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    // An application still waiting dispatches nobody either.
    let applying = institution_id(&t, "示例科创教育中心").await;
    let other = t.login("13800000020").await;
    let (status, _) = t
        .post(
            &format!("/api/v1/institutions/{applying}/dispatches"),
            &other,
            dispatch(1, school1, "2026-09-01", "2026-12-31"),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn d10_dispatches_refuse_bad_input_and_strangers_and_change_nothing() {
    let t = TestApp::new().await;
    let art = institution_id(&t, "示例艺术培训中心").await;
    let school2 = t.org_id("示例第二小学").await;
    let bureau = t.org_id("石岐街道").await;
    let admin = t.login(INSTITUTION_ADMIN).await;
    let he = teacher_id(&t, &admin, art, "何雅琴").await;
    let path = format!("/api/v1/institutions/{art}/dispatches");
    let before = t.get(&path, &admin).await.1;
    let good = dispatch(he, school2, "2027-02-01", "2027-06-30");
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    let cases = [
        (with("teacher_id", json!(null)), "teacher_id"),
        (with("teacher_id", json!(999999)), "teacher_id"),
        (with("school_id", json!(bureau)), "school_id"),
        (with("school_id", json!(null)), "school_id"),
        (with("ends_on", json!("2027-01-01")), "ends_on"),
        (with("ends_on", json!(null)), "ends_on"),
        (dispatch(he, school2, "2026-01-01", "2026-08-31"), "ends_on"),
        (with("ends_on", json!("2028-06-30")), "ends_on"),
        (with("course_types", json!([])), "course_types"),
        (with("course_types", json!(["tutoring"])), "course_types"),
    ];
    for (body, field) in cases {
        let (got, answer) = t.post(&path, &admin, body.clone()).await;
        assert_eq!(got, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["details"][0]["field"], field, "{body}: {answer}");
    }
    let leader = t.login(CITY_LEADER).await;
    let (got, _) = t.post(&path, &leader, good.clone()).await;
    assert_eq!(got, StatusCode::FORBIDDEN, "the bureau does not dispatch");
    let school_admin = t.login(SCHOOL1_ADMIN).await;
    let (got, _) = t.get(&path, &school_admin).await;
    assert_eq!(got, StatusCode::FORBIDDEN);
    let school2_admin = t.login(SCHOOL2_ADMIN).await;
    let school1 = t.org_id("示例第一小学").await;
    let (got, _) = t
        .get(
            &format!("/api/v1/schools/{school1}/dispatches"),
            &school2_admin,
        )
        .await;
    assert_eq!(got, StatusCode::NOT_FOUND, "another school's");
    let other = t.login("13800000020").await;
    let (got, _) = t.post(&path, &other, good.clone()).await;
    assert_eq!(got, StatusCode::NOT_FOUND, "another institution");

    assert_eq!(t.get(&path, &admin).await.1, before);
    assert_eq!(t.audit_count("dispatch.create").await, 4, "the demo's only");
}

/// The institution admin dispatches and cancels on pages of their own.
#[tokio::test]
async fn d10_dispatches_are_made_and_cancelled_on_pages() {
    let t = TestApp::new().await;
    let art = institution_id(&t, "示例艺术培训中心").await;
    let school2 = t.org_id("示例第二小学").await.to_string();
    let admin = t.login(INSTITUTION_ADMIN).await;
    let he = teacher_id(&t, &admin, art, "何雅琴").await.to_string();
    let mut b = Browser::new(&t);
    b.login(INSTITUTION_ADMIN, PASSWORD).await;
    let list = b.get("/institution/dispatches").await;
    assert!(list.body.contains("在岗") && list.body.contains("示例第一小学"));
    let form = b.get("/institution/dispatches/new").await;
    assert!(form.body.contains("示例第二小学"));
    let csrf = Browser::csrf(&form);
    let refused = b
        .post(
            "/institution/dispatches",
            &[
                ("_csrf", &csrf),
                ("teacher_id", &he),
                ("school_id", &school2),
                ("starts_on", "2027-02-01"),
                ("ends_on", "2027-06-30"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("请至少选择一种课程类别"));
    assert!(refused.body.contains(r#"value="2027-06-30""#));
    let done = b
        .post(
            "/institution/dispatches",
            &[
                ("_csrf", &csrf),
                ("teacher_id", &he),
                ("school_id", &school2),
                ("starts_on", "2027-02-01"),
                ("ends_on", "2027-06-30"),
                ("course_types", "featured"),
            ],
        )
        .await;
    assert!(done.status.is_redirection(), "{}", done.status);
    let (_, list) = t
        .get(&format!("/api/v1/institutions/{art}/dispatches"), &admin)
        .await;
    let id = list["items"][0]["id"].as_i64().expect("id");
    let cancel = format!("/institution/dispatches/{id}/cancel");
    assert_eq!(b.get(&cancel).await.status, StatusCode::OK);
    let refused = b.post(&cancel, &[("_csrf", &csrf), ("reason", "")]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let done = b
        .post(&cancel, &[("_csrf", &csrf), ("reason", "学校课程调整")])
        .await;
    assert!(done.status.is_redirection());
    let list = b.get("/institution/dispatches").await;
    assert!(list.body.contains("学校课程调整"));
}
