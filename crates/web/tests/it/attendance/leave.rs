//! I4, I10, I12: a parent asks leave for future lessons; the head teacher approves; the
//! roll call shows it; bad requests change nothing.

use axum::http::StatusCode;
use serde_json::json;

use super::roll_call::{child, choir_lesson};
use crate::common::{HEAD_TEACHER, PARENT, SCHOOL1_ADMIN, TEACHER, TestApp};

#[tokio::test]
async fn i10_approved_leave_marks_the_lesson_and_shows_in_the_roll_call() {
    let t = TestApp::new().await;
    let lesson = choir_lesson(&t).await;
    let date = lesson["date"].as_str().unwrap().to_string();
    let id = lesson["lesson_id"].as_i64().unwrap();
    let kid = child(&t).await;
    let parent = t.login(PARENT).await;
    let (s, l) = t
        .post("/api/v1/leave-requests", &parent, json!({"student_id": kid, "kind": "sick", "symptom": "发热", "reason": "发烧，在家休息", "from": date, "to": date}))
        .await;
    assert_eq!(s, StatusCode::OK, "{l}");
    assert_eq!(l["status"], "pending");
    assert_eq!(l["student_name"], "周俊");
    let leave = l["id"].as_i64().unwrap();
    // The head teacher is told and sees it waiting.
    let head = t.login(HEAD_TEACHER).await;
    let (_, msgs) = t.get("/api/v1/messages", &head).await;
    assert!(
        msgs["items"][0]["title"]
            .as_str()
            .unwrap()
            .contains("周俊 请病假"),
        "{msgs}"
    );
    let (_, mine) = t.get("/api/v1/leave-requests?status=pending", &head).await;
    assert!(
        mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == leave)
    );
    // Who may not decide: the parent, another teacher; a decision needs a choice.
    let url = format!("/api/v1/leave-requests/{leave}/decide");
    for who in [PARENT, TEACHER] {
        let token = t.login(who).await;
        let (s, _) = t.post(&url, &token, json!({"approve": true})).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{who}");
    }
    let (s, _) = t.post(&url, &head, json!({"approve": null})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, v) = t
        .post(&url, &head, json!({"approve": true, "note": "早日康复"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "approved");
    let (s, _) = t.post(&url, &head, json!({"approve": false})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = t
        .post(
            &format!("/api/v1/leave-requests/{leave}/revoke"),
            &parent,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "decided: no revoking");
    // The roll call shows the leave before anyone marks.
    let (_, roll) = t
        .get(&format!("/api/v1/lessons/{id}/roll-call"), &head)
        .await;
    let row = roll["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["student_id"] == kid)
        .unwrap();
    assert_eq!(row["on_leave"], true);
    assert_eq!(row["status"], "leave");
    assert!(row["leave_note"].as_str().unwrap().contains("病假"));
    assert_eq!(roll["leave"], 1);
    // The parent is told and sees it approved.
    let (_, msgs) = t.get("/api/v1/messages", &parent).await;
    assert!(
        msgs["items"][0]["title"]
            .as_str()
            .unwrap()
            .contains("请假已批准"),
        "{msgs}"
    );
    let (_, list) = t
        .get(&format!("/api/v1/leave-requests?student_id={kid}"), &parent)
        .await;
    assert_eq!(list["items"][0]["status"], "approved");
    // The school lists it too; a teacher without attendance.view does not.
    let school = t.org_id("示例第一小学").await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let (s, all) = t
        .get(
            &format!("/api/v1/leave-requests?school_id={school}"),
            &admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == leave)
    );
    let teacher = t.login(TEACHER).await;
    let (s, _) = t
        .get(
            &format!("/api/v1/leave-requests?school_id={school}"),
            &teacher,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = t
        .get(
            &format!("/api/v1/leave-requests?student_id={kid}"),
            &teacher,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn i10_bad_leave_requests_change_nothing() {
    let t = TestApp::new().await;
    let lesson = choir_lesson(&t).await;
    let date = lesson["date"].as_str().unwrap().to_string();
    let kid = child(&t).await;
    let head = t.login(HEAD_TEACHER).await;
    let (_, roll) = t
        .get(
            &format!("/api/v1/lessons/{}/roll-call", lesson["lesson_id"]),
            &head,
        )
        .await;
    let classmate = roll["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["student_id"].as_i64().unwrap())
        .find(|s| *s != kid)
        .unwrap();
    let parent = t.login(PARENT).await;
    let (_, before) = t
        .get(&format!("/api/v1/leave-requests?student_id={kid}"), &parent)
        .await;
    let ok = json!({"student_id": kid, "kind": "personal", "reason": "家中有事", "from": date, "to": date});
    let with = |k: &str, v: serde_json::Value| {
        let mut b = ok.clone();
        b[k] = v;
        b
    };
    for (body, field) in [
        (with("student_id", json!(null)), "student_id"),
        (with("kind", json!("holiday")), "kind"),
        (with("kind", json!("sick")), "symptom"),
        (with("reason", json!("")), "reason"),
        (with("reason", json!("a\u{202e}b")), "reason"),
        (with("reason", json!("长".repeat(201))), "reason"),
        (with("from", json!("2026-08-31")), "from"),
        (with("from", json!("2026/09/18")), "from"),
        (with("to", json!("2026-09-02")), "to"),
        (
            json!({"student_id": kid, "kind": "personal", "reason": "x", "from": "2026-09-02", "to": "2026-10-30"}),
            "to",
        ),
    ] {
        let (s, v) = t
            .post("/api/v1/leave-requests", &parent, body.clone())
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body} {v}");
        assert!(super::names_field(&v, field), "{body} {v}");
    }
    // Another family's child is not found.
    let (s, _) = t
        .post(
            "/api/v1/leave-requests",
            &parent,
            with("student_id", json!(classmate)),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A Sunday without lessons needs no leave.
    let (s, v) = t
        .post("/api/v1/leave-requests", &parent, json!({"student_id": kid, "kind": "personal", "reason": "x", "from": "2026-09-20", "to": "2026-09-20"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (_, after) = t
        .get(&format!("/api/v1/leave-requests?student_id={kid}"), &parent)
        .await;
    assert_eq!(after, before, "nothing changed");
    // One leave per day: the second overlapping one is refused; revoking frees the day.
    let (s, l) = t.post("/api/v1/leave-requests", &parent, ok.clone()).await;
    assert_eq!(s, StatusCode::OK, "{l}");
    let (s, _) = t.post("/api/v1/leave-requests", &parent, ok.clone()).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let revoke = format!("/api/v1/leave-requests/{}/revoke", l["id"]);
    let (s, _) = t.post(&revoke, &head, json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "only who asked revokes");
    let (s, v) = t.post(&revoke, &parent, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "revoked");
    let (s, _) = t.post(&revoke, &parent, json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = t.post("/api/v1/leave-requests", &parent, ok).await;
    assert_eq!(s, StatusCode::OK);
}
