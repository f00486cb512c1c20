//! G4: a class closes (结课) after checks — the lessons held against those planned, open
//! leave, drop requests and refunds, and for an early close the students still seated —
//! each blocker listed, nothing changed until they are cleared.

use axum::http::StatusCode;
use serde_json::json;

use super::{class, current_term};
use crate::common::{PARENT, SCHOOL1_ADMIN, SCHOOL2_ADMIN, TEACHER, TestApp};

#[tokio::test]
async fn g4_a_class_closes_only_when_nothing_stands_in_the_way() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let term = current_term(&t, &admin, school).await;
    let choir = class(&t, &admin, school, term, "合唱班").await;
    let id = choir["id"].as_i64().unwrap();
    let base = format!("/api/v1/schools/{school}/terms/{term}/teaching-classes/{id}");
    let (s, v) = t
        .post(
            &format!("{base}/status"),
            &admin,
            json!({"status": "running"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, check) = t.get(&format!("{base}/close-check"), &admin).await;
    assert_eq!(s, StatusCode::OK, "{check}");
    let planned = check["planned"].as_u64().unwrap();
    assert!(planned > 10, "a term of Fridays: {check}");
    assert_eq!(check["held"], 0);
    assert!(
        check["blockers"][0].as_str().unwrap().contains("节课未上"),
        "{check}"
    );
    // Others may not look.
    let teacher = t.login(TEACHER).await;
    let (s, _) = t.get(&format!("{base}/close-check"), &teacher).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let other = t.login(SCHOOL2_ADMIN).await;
    let (s, _) = t.get(&format!("{base}/close-check"), &other).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Not every lesson held: refused, nothing changed.
    let (s, v) = t
        .post(
            &format!("{base}/status"),
            &admin,
            json!({"status": "closed"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(v["message"].as_str().unwrap().contains("节课未上"), "{v}");
    // Early, with a leave waiting and 周俊 still seated: both listed.
    let parent = t.login(PARENT).await;
    let (_, me) = t.get("/api/v1/me/children", &parent).await;
    let kid = me["items"][0]["student_id"].as_i64().unwrap();
    let (s, l) = t
        .post("/api/v1/leave-requests", &parent, json!({"student_id": kid, "kind": "personal", "reason": "家中有事", "from": "2026-09-18", "to": "2026-09-18"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{l}");
    let (s, v) = t
        .post(
            &format!("{base}/status"),
            &admin,
            json!({"status": "closed", "early": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let msg = v["message"].as_str().unwrap();
    assert!(
        msg.contains("请假申请待审批") && msg.contains("取消报名"),
        "{msg}"
    );
    assert!(
        !msg.contains("节课未上"),
        "an early close waives that: {msg}"
    );
    let (_, still) = t.get(&format!("{base}/close-check"), &admin).await;
    assert_eq!(still["planned"], planned, "no lesson removed");

    // Cleared: the leave decided, the student's enrollment cancelled. Then it closes and
    // its lessons ahead are gone.
    let (s, _) = t
        .post(
            &format!("/api/v1/leave-requests/{}/decide", l["id"]),
            &admin,
            json!({"approve": false, "note": "本班将结课"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, h) = t
        .get(&format!("/api/v1/students/{kid}/enrollments"), &parent)
        .await;
    let seat = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["class_name"] == "合唱班")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (s, v) = t
        .post(
            &format!("/api/v1/enrollments/{seat}/cancel"),
            &admin,
            json!({"reason": "课程提前结课"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = t
        .post(
            &format!("{base}/status"),
            &admin,
            json!({"status": "closed", "early": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "closed");
    let (_, after) = t.get(&format!("{base}/close-check"), &admin).await;
    assert_eq!(after["planned"], 0, "no lessons left ahead: {after}");
}
