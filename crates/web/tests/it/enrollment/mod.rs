//! Enrollment (issue 14): rules with reasons, the notice, orders with snapshots, waitlist
//! offers when a hold expires, and many concurrent selections keeping every invariant.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::{PARENT, SCHOOL1_ADMIN, TestApp};
use crate::teaching::{class, current_term};

async fn child(t: &TestApp, token: &str) -> i64 {
    let (_, list) = t.get("/api/v1/me/children", token).await;
    list["items"][0]["student_id"].as_i64().expect("a child")
}

async fn choices(t: &TestApp, token: &str, student: i64) -> Value {
    let (s, v) = t
        .get(
            &format!("/api/v1/students/{student}/selectable-courses"),
            token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

async fn enroll(t: &TestApp, token: &str, student: i64, classes: &[i64]) -> Value {
    let items: Vec<Value> = classes
        .iter()
        .map(|c| json!({"teaching_class_id": c}))
        .collect();
    let (s, v) = t
        .post(
            "/api/v1/enrollments",
            token,
            json!({"student_id": student, "items": items}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

#[tokio::test]
async fn f7_a_selection_answers_each_item_with_an_order_or_a_reason() {
    let t = TestApp::new().await;
    let parent = t.login(PARENT).await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let term = current_term(&t, &admin, school).await;
    let kid = child(&t, &parent).await;
    let v = choices(&t, &parent, kid).await;
    assert_eq!(v["open"], true, "{v}");
    assert!(v["notice_signed"].as_bool().unwrap());
    let list = v["choices"].as_array().unwrap();
    let available = list
        .iter()
        .find(|c| c["state"] == "available")
        .unwrap_or_else(|| panic!("an available class: {v}"));
    let basketball = class(&t, &admin, school, term, "篮球班").await;
    let piano = class(&t, &admin, school, term, "钢琴启蒙班").await;
    let id = available["teaching_class_id"].as_i64().unwrap();
    let r = enroll(
        &t,
        &parent,
        kid,
        &[
            id,
            basketball["id"].as_i64().unwrap(),
            piano["id"].as_i64().unwrap(),
            999_999,
        ],
    )
    .await;
    let items = r["items"].as_array().unwrap();
    assert_eq!(items[0]["outcome"], "accepted", "{r}");
    assert_eq!(items[1]["reason"], "duplicate", "{r}");
    assert!(
        ["full", "time_conflict"].contains(&items[2]["reason"].as_str().unwrap()),
        "{r}"
    );
    assert_eq!(items[3]["reason"], "unavailable", "{r}");
    assert_eq!(r["accepted"], 1);
    // The order keeps what was bought.
    let order = items[0]["order_id"].as_i64().unwrap();
    let (s, o) = t.get(&format!("/api/v1/orders/{order}"), &parent).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(o["status"], "pending_payment");
    assert_eq!(o["snapshot"]["teaching_class_id"], id);
    assert_eq!(
        o["total_fen"].as_i64().unwrap(),
        o["snapshot"]["price_fen"].as_i64().unwrap() * o["snapshot"]["lessons"].as_i64().unwrap()
    );
    // Nobody else reads it.
    let other = t.login(crate::common::TEACHER).await;
    let (s, _) = t.get(&format!("/api/v1/orders/{order}"), &other).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Bad input changes nothing.
    for body in [
        json!({"items": [{"teaching_class_id": id}]}),
        json!({"student_id": kid, "items": []}),
        json!({"student_id": kid, "items": [{"teaching_class_id": id, "offering_item_id": 1}]}),
        json!({"student_id": kid, "items": [{"teaching_class_id": id, "optional_fees": ["caviar"]}]}),
    ] {
        let (s, _) = t.post("/api/v1/enrollments", &parent, body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
    }
    let (s, _) = t
        .post(
            "/api/v1/enrollments",
            &parent,
            json!({"student_id": kid + 1, "items": [{"teaching_class_id": id}]}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another's child");
    // Cancelling the unpaid order frees the seat and keeps the history.
    let e = items[0]["enrollment_id"].as_i64().unwrap();
    let (s, d) = t
        .post(&format!("/api/v1/enrollments/{e}/drop"), &parent, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["status"], "cancelled");
    let (s, _) = t
        .post(&format!("/api/v1/enrollments/{e}/drop"), &parent, json!({}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, h) = t
        .get(&format!("/api/v1/students/{kid}/enrollments"), &parent)
        .await;
    assert!(h["items"].as_array().unwrap().iter().any(|x| x["id"] == e));
    assert!(
        kehou_service::enrollment::check::run(&t.app.db)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn f1_f3_rules_windows_and_the_notice_refuse_with_reasons() {
    let t = TestApp::new().await;
    let parent = t.login(PARENT).await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let term = current_term(&t, &admin, school).await;
    let kid = child(&t, &parent).await;
    let base = format!("/api/v1/schools/{school}/terms/{term}");
    let v = choices(&t, &parent, kid).await;
    let id = v["choices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["state"] == "available")
        .and_then(|c| c["teaching_class_id"].as_i64())
        .unwrap();
    // At most as many courses as the child has: refused.
    let taken = v["courses_taken"].as_i64().unwrap();
    let (s, _) = t
        .put(
            &format!("{base}/enrollment-settings"),
            &admin,
            json!({"max_courses": taken, "hold_minutes": 30}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let r = enroll(&t, &parent, kid, &[id]).await;
    assert_eq!(r["items"][0]["reason"], "max_courses", "{r}");
    let (s, e) = t
        .put(
            &format!("{base}/enrollment-settings"),
            &admin,
            json!({"max_courses": 99, "hold_minutes": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    // A new version of the notice must be signed first.
    let (s, n) = t
        .post(
            &format!("{base}/notice"),
            &admin,
            json!({"title": "报名须知（修订）", "body": "第二版"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(n["version"], 2);
    let r = enroll(&t, &parent, kid, &[id]).await;
    assert_eq!(r["items"][0]["reason"], "notice_unsigned", "{r}");
    let (s, _) = t
        .post(
            "/api/v1/notice-signatures",
            &parent,
            json!({"student_id": kid, "notice_id": n["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, sigs) = t.get(&format!("{base}/notice-signatures"), &admin).await;
    assert!(
        sigs["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["version"] == 2 && x["student_id"] == kid)
    );
    // Without an open window: refused with the window's dates.
    let (_, settings) = t.get(&format!("{base}/enrollment-settings"), &admin).await;
    for w in settings["windows"].as_array().unwrap() {
        let (s, _) = t
            .delete(&format!("{base}/enrollment-windows/{}", w["id"]), &admin)
            .await;
        assert_eq!(s, StatusCode::OK);
    }
    let (s, _) = t
        .post(
            &format!("{base}/enrollment-windows"),
            &admin,
            json!({"kind": "open", "opens_at": "2026-10-01 08:00", "closes_at": "2026-10-08 17:00"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let r = enroll(&t, &parent, kid, &[id]).await;
    assert_eq!(r["items"][0]["reason"], "window_closed", "{r}");
    assert!(
        r["items"][0]["message"]
            .as_str()
            .unwrap()
            .contains("10月1日 08:00"),
        "{r}"
    );
    for bad in [
        json!({"kind": "party", "opens_at": "2026-10-01 08:00", "closes_at": "2026-10-08 17:00"}),
        json!({"kind": "open", "opens_at": "2026-10-08 08:00", "closes_at": "2026-10-01 17:00"}),
        json!({"kind": "open", "opens_at": "yesterday", "closes_at": "2026-10-01 17:00"}),
    ] {
        let (s, _) = t
            .post(&format!("{base}/enrollment-windows"), &admin, bad)
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
    }
    // Parents do not manage windows.
    let (s, _) = t
        .post(
            &format!("{base}/enrollment-windows"),
            &parent,
            json!({"kind": "open", "opens_at": "2026-09-01 08:00", "closes_at": "2026-09-08 17:00"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn h4_an_expired_hold_passes_the_seat_to_the_waitlist() {
    let t = TestApp::without_worker(Default::default()).await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let term = current_term(&t, &admin, school).await;
    let piano = class(&t, &admin, school, term, "钢琴启蒙班").await;
    let path = format!(
        "/api/v1/schools/{school}/terms/{term}/enrollments?teaching_class_id={}",
        piano["id"]
    );
    let (_, before) = t.get(&path, &admin).await;
    assert!(
        before["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["enrollment"]["source"] != "waitlist")
    );
    // The demo holds unpaid seats a day; after it the worker releases them.
    t.clock.advance(chrono::Duration::minutes(24 * 60 + 1));
    while kehou_service::system::worker::run_next(&t.app, "w")
        .await
        .unwrap()
    {}
    // The session ran out meanwhile.
    let admin = t.login(SCHOOL1_ADMIN).await;
    let (_, after) = t.get(&path, &admin).await;
    let rows = after["items"].as_array().unwrap();
    assert!(
        rows.iter().any(|e| e["enrollment"]["status"] == "expired"),
        "{after}"
    );
    assert!(
        rows.iter().any(|e| e["enrollment"]["source"] == "waitlist"
            && e["enrollment"]["status"] == "pending_payment"),
        "{after}"
    );
    assert!(
        kehou_service::enrollment::check::run(&t.app.db)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn concurrent_selections_never_oversell_a_class() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let term = current_term(&t, &admin, school).await;
    // Every grade-1 to 6 student of the school asks for the same few classes at once,
    // through the school's selection (the same transaction as a parent's).
    let (_, students) = t
        .get(
            &format!("/api/v1/schools/{school}/students?size=200"),
            &admin,
        )
        .await;
    let ids: Vec<i64> = students["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["id"].as_i64())
        .collect();
    let classes: Vec<i64> = ["合唱班", "科学实验班", "英语绘本班"]
        .iter()
        .map(|n| async {
            class(&t, &admin, school, term, n).await["id"]
                .as_i64()
                .unwrap()
        })
        .collect::<futures_util::future::JoinAll<_>>()
        .await;
    let path = format!("/api/v1/schools/{school}/enrollments");
    let items: Vec<Value> = classes
        .iter()
        .map(|c| json!({"teaching_class_id": c}))
        .collect();
    let tasks = ids.iter().map(|s| {
        t.post(
            &path,
            &admin,
            json!({"student_id": s, "items": items.clone()}),
        )
    });
    let results = futures_util::future::join_all(tasks).await;
    let mut accepted = 0;
    for (s, r) in &results {
        assert_eq!(*s, StatusCode::OK, "{r}");
        for i in r["items"].as_array().unwrap() {
            if i["outcome"] == "accepted" {
                assert!(i["order_id"].is_i64());
                accepted += 1;
            } else {
                assert!(i["reason"].is_string(), "{i}");
            }
        }
    }
    assert!(accepted > 0);
    let violations = kehou_service::enrollment::check::run(&t.app.db)
        .await
        .unwrap();
    assert!(violations.is_empty(), "{violations:?}");
}
