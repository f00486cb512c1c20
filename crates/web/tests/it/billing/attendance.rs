//! H5 with I10: the roll call and approved leave feed the refund — lessons missed on leave
//! come back under a rule that refunds leave, absences only under one that refunds them.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{confirm, kid, pay, quiet, unpaid_order};
use crate::common::{HEAD_TEACHER, PARENT, SCHOOL1_ADMIN, TEACHER, TestApp};
use kehou_service::platform::clock::china;

/// Moves the clock to `minutes` after a lesson's start.
fn at(t: &TestApp, lesson: &Value, minutes: i64) {
    use chrono::TimeZone;
    let local = chrono::NaiveDateTime::parse_from_str(
        &format!(
            "{} {}",
            lesson["date"].as_str().unwrap(),
            lesson["start"].as_str().unwrap()
        ),
        "%Y-%m-%d %H:%M",
    )
    .unwrap();
    let when = china()
        .from_local_datetime(&local)
        .single()
        .unwrap()
        .with_timezone(&chrono::Utc)
        + chrono::Duration::minutes(minutes);
    t.clock.advance(when - t.app.now());
}

#[tokio::test]
async fn h5_i10_leave_and_absence_recorded_by_the_roll_call_count_in_the_refund() {
    let t = quiet().await;
    let parent = t.login(PARENT).await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    // Basketball refunds leave, not absence.
    let (_, rules) = t
        .get(&format!("/api/v1/schools/{school}/fee-rules"), &admin)
        .await;
    let item = rules["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["course"].as_str().unwrap_or("").contains("篮球"))
        .unwrap()["item_id"]
        .as_i64()
        .unwrap();
    let (s, _) = t
        .put(&format!("/api/v1/offering-items/{item}/fee-rules"), &admin, json!({"pay_mode": "term", "refund_leave": true, "refund_absence": false, "materials_before_start_only": true}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let o = unpaid_order(&t, &parent).await;
    let order_id = o["id"].as_i64().unwrap();
    let p = pay(&t, &parent, &[order_id]).await;
    confirm(&t, &p).await;
    super::run_jobs(&t).await;
    let k = kid(&t, &parent).await;
    // The first two basketball lessons after today: leave for one, absent from the other.
    let teacher = t.login(TEACHER).await;
    let (_, mine) = t
        .get(
            "/api/v1/me/check-ins?from=2026-09-02&to=2026-09-30",
            &teacher,
        )
        .await;
    let basketball: Vec<Value> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["lesson"].clone())
        .filter(|l| l["class_name"] == "篮球班")
        .collect();
    assert!(basketball.len() >= 3, "{mine}");
    let (first, second) = (&basketball[0], &basketball[1]);
    let date = first["date"].as_str().unwrap();
    let (s, l) = t
        .post("/api/v1/leave-requests", &parent, json!({"student_id": k, "kind": "sick", "symptom": "咳嗽", "reason": "咳嗽，在家休息", "from": date, "to": date}))
        .await;
    assert_eq!(s, StatusCode::OK, "{l}");
    let head = t.login(HEAD_TEACHER).await;
    let (s, _) = t
        .post(
            &format!("/api/v1/leave-requests/{}/decide", l["id"]),
            &head,
            json!({"approve": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    at(&t, second, 5);
    let teacher = t.login(TEACHER).await;
    let (s, v) = t
        .put(
            &format!("/api/v1/lessons/{}/roll-call", second["lesson_id"]),
            &teacher,
            json!({"marks": [{"student_id": k, "status": "absent"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Three weeks on the preview names the leave; the absence is kept under this rule.
    t.clock.advance(chrono::Duration::days(21));
    let parent = t.login(PARENT).await;
    let (s, preview) = t
        .get(
            &format!("/api/v1/orders/{order_id}/refund-preview"),
            &parent,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{preview}");
    let lines = preview["computation"]["lines"].to_string();
    assert!(lines.contains("请假课次"), "{lines}");
    assert!(!lines.contains("缺勤课次"), "{lines}");
    let with_leave = preview["computation"]["amount_fen"].as_i64().unwrap();
    // Under a rule that refunds absence too, the absent lesson comes back as well.
    let admin = t.login(SCHOOL1_ADMIN).await;
    let (s, _) = t
        .put(&format!("/api/v1/offering-items/{item}/fee-rules"), &admin, json!({"pay_mode": "term", "refund_leave": true, "refund_absence": true, "materials_before_start_only": true}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, preview) = t
        .get(
            &format!("/api/v1/orders/{order_id}/refund-preview"),
            &parent,
        )
        .await;
    assert!(
        preview["computation"]["lines"]
            .to_string()
            .contains("缺勤课次"),
        "{preview}"
    );
    assert!(
        preview["computation"]["amount_fen"].as_i64().unwrap() > with_leave,
        "{preview}"
    );
}
