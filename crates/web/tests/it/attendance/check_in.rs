//! I7, I8, I1: check-in inside the fence within the window, late after the start, refused
//! outside with the distance; make-up punches and appeals the school decides; the fence.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{at_lesson, inside_wgs84, my_lessons};
use crate::common::{HEAD_TEACHER, PARENT, SCHOOL1_ADMIN, SCHOOL2_ADMIN, TEACHER, TestApp};

fn lesson_of(items: &[Value], i: usize) -> (i64, Value) {
    let l = items[i]["lesson"].clone();
    (l["lesson_id"].as_i64().unwrap(), l)
}

async fn status_of(t: &TestApp, token: &str, lesson_id: i64, day: &str) -> Value {
    my_lessons(t, token, day, day)
        .await
        .into_iter()
        .find(|x| x["lesson"]["lesson_id"] == lesson_id)
        .unwrap()
}

#[tokio::test]
async fn i7_check_in_inside_the_fence_in_time_and_refused_outside_with_the_distance() {
    let t = TestApp::new().await;
    let teacher = t.login(TEACHER).await;
    let lessons = my_lessons(&t, &teacher, "2026-09-07", "2026-09-13").await;
    assert!(lessons.len() >= 3, "赵敏 teaches several lessons a week");
    let (first, l1) = lesson_of(&lessons, 0);
    let day1 = l1["date"].as_str().unwrap().to_string();
    let (lat, lng) = inside_wgs84();

    // Too early: the window opens 30 minutes before the start.
    at_lesson(&t, &l1, -45);
    let teacher = t.login(TEACHER).await;
    let url = format!("/api/v1/lessons/{first}/check-in");
    let (s, v) = t
        .post(
            &url,
            &teacher,
            json!({"lat": lat, "lng": lng, "accuracy": 20}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(v["message"].as_str().unwrap().contains("起可签到"), "{v}");

    at_lesson(&t, &l1, -10);
    // Bad input changes nothing.
    for (body, field) in [
        (json!({}), "lat"),
        (json!({"lat": "x", "lng": lng}), ""),
        (json!({"lat": 95.0, "lng": lng}), "lat"),
        (json!({"lat": lat, "lng": lng, "accuracy": 900}), "accuracy"),
        (json!({"lat": lat, "lng": lng, "accuracy": -1}), "accuracy"),
    ] {
        let (s, v) = t.post(&url, &teacher, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body} {v}");
        if !field.is_empty() {
            assert!(super::names_field(&v, field), "{body} {v}");
        }
    }
    // Someone else's lesson is not found: another teacher, a parent, the other school.
    for who in [HEAD_TEACHER, PARENT, SCHOOL2_ADMIN] {
        let token = t.login(who).await;
        let (s, _) = t.post(&url, &token, json!({"lat": lat, "lng": lng})).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{who}");
    }
    let (s, _) = t
        .post(
            "/api/v1/lessons/999999/check-in",
            &teacher,
            json!({"lat": lat, "lng": lng}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(
        status_of(&t, &teacher, first, &day1).await["status"],
        "open"
    );

    // 1.5 km north: refused, with the distance; the refusal is on the teacher's record.
    let (s, v) = t
        .post(
            &url,
            &teacher,
            json!({"lat": lat + 0.0162, "lng": lng, "accuracy": 15}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let msg = v["message"].as_str().unwrap();
    assert!(
        msg.contains("不在学校签到范围内") && msg.contains("米"),
        "{msg}"
    );
    let distance: i64 = msg
        .split("约 ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(
        (1_400..=1_600).contains(&distance),
        "about 1.8 km from the centre less 300 m: {msg}"
    );
    let row = status_of(&t, &teacher, first, &day1).await;
    assert_eq!(row["status"], "refused");
    assert_eq!(row["refused_distance_m"], distance);
    assert_eq!(
        row["can_check_in"], true,
        "a refusal does not close the window"
    );

    // Inside, before the start: on time. Twice: refused, nothing added.
    let (s, v) = t
        .post(
            &url,
            &teacher,
            json!({"lat": lat, "lng": lng, "accuracy": 20}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "on_time");
    assert_eq!(v["teacher_name"], "赵敏");
    let (s, v) = t
        .post(
            &url,
            &teacher,
            json!({"lat": lat, "lng": lng, "accuracy": 20}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(v["message"].as_str().unwrap().contains("已签到"));
    assert_eq!(
        status_of(&t, &teacher, first, &day1).await["status"],
        "on_time"
    );
    assert_eq!(t.audit_count("attendance.check_in").await, 1);

    // The next lesson: five minutes after the start is late; after the end, too late.
    let (second, l2) = lesson_of(&lessons, 1);
    at_lesson(&t, &l2, 5);
    let teacher = t.login(TEACHER).await;
    let (s, v) = t
        .post(
            &format!("/api/v1/lessons/{second}/check-in"),
            &teacher,
            json!({"lat": lat, "lng": lng}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "late");
    let (third, l3) = lesson_of(&lessons, 2);
    at_lesson(&t, &l3, 120);
    let teacher = t.login(TEACHER).await;
    let (s, v) = t
        .post(
            &format!("/api/v1/lessons/{third}/check-in"),
            &teacher,
            json!({"lat": lat, "lng": lng}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(v["message"].as_str().unwrap().contains("补打卡"), "{v}");
    let third_day = l3["date"].as_str().unwrap().to_string();
    assert_eq!(
        status_of(&t, &teacher, third, &third_day).await["status"],
        "missing"
    );

    // The school's day shows the teacher's check-ins and the late one as an anomaly.
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let (s, day) = t
        .get(
            &format!(
                "/api/v1/schools/{school}/attendance?date={}",
                l2["date"].as_str().unwrap()
            ),
            &admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{day}");
    let row = day["lessons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["lesson"]["lesson_id"] == second)
        .unwrap();
    assert_eq!(row["check_ins"][0]["status"], "late");
    assert!(day["anomalies"].as_u64().unwrap() >= 1);
    let (s, _) = t
        .get(
            &format!("/api/v1/schools/{school}/attendance?date=2026-13-01"),
            &admin,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = t
        .get(&format!("/api/v1/schools/{school}/attendance"), &teacher)
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "a teacher holds no attendance.view"
    );
}

#[tokio::test]
async fn i8_a_missed_punch_is_made_up_and_a_late_one_appealed_by_the_schools_decision() {
    let t = TestApp::new().await;
    let teacher = t.login(TEACHER).await;
    let lessons = my_lessons(&t, &teacher, "2026-09-07", "2026-09-13").await;
    let (first, l1) = lesson_of(&lessons, 0);
    let later = lessons
        .iter()
        .position(|x| x["lesson"]["date"] != l1["date"])
        .expect("lessons on two days");
    let (second, l2) = lesson_of(&lessons, later);
    let (lat, lng) = inside_wgs84();
    // Before the lesson starts nothing can be made up.
    at_lesson(&t, &l1, -20);
    let teacher = t.login(TEACHER).await;
    let url = format!("/api/v1/lessons/{first}/punch-requests");
    let (s, v) = t
        .post(
            &url,
            &teacher,
            json!({"kind": "make_up", "reason": "忘带手机"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    // The first lesson is missed; after it, bad requests change nothing.
    at_lesson(&t, &l1, 60);
    let teacher = t.login(TEACHER).await;
    for (body, field) in [
        (json!({"kind": "make_up"}), "reason"),
        (json!({"kind": "nap", "reason": "x"}), "kind"),
        (json!({"kind": "make_up", "reason": "a\u{202e}b"}), "reason"),
        (
            json!({"kind": "make_up", "reason": "长".repeat(201)}),
            "reason",
        ),
    ] {
        let (s, v) = t.post(&url, &teacher, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body} {v}");
        assert!(super::names_field(&v, field), "{body} {v}");
    }
    let (s, v) = t
        .post(&url, &teacher, json!({"kind": "appeal", "reason": "x"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "nothing late to appeal: {v}");
    let (s, req) = t
        .post(
            &url,
            &teacher,
            json!({"kind": "make_up", "reason": "手机没电，按时上课，可请学生作证"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{req}");
    assert_eq!(req["status"], "pending");
    let (s, _) = t
        .post(
            &url,
            &teacher,
            json!({"kind": "make_up", "reason": "再来一次"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "one request waits at a time");
    let id = req["id"].as_i64().unwrap();
    let decide = format!("/api/v1/punch-requests/{id}/decide");
    // The teacher cannot decide; the other school does not see it; a decision needs a choice.
    let (s, _) = t.post(&decide, &teacher, json!({"approve": true})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let other = t.login(SCHOOL2_ADMIN).await;
    let (s, _) = t.post(&decide, &other, json!({"approve": true})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let admin = t.login(SCHOOL1_ADMIN).await;
    let (s, v) = t.post(&decide, &admin, json!({"note": "x"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let school = t.org_id("示例第一小学").await;
    let (_, pending) = t
        .get(&format!("/api/v1/schools/{school}/punch-requests"), &admin)
        .await;
    assert_eq!(pending["items"][0]["id"], id);
    let (s, v) = t
        .post(&decide, &admin, json!({"approve": true, "note": "已核实"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "approved");
    let (s, _) = t.post(&decide, &admin, json!({"approve": false})).await;
    assert_eq!(s, StatusCode::CONFLICT, "decided once");
    let day1 = l1["date"].as_str().unwrap();
    let row = status_of(&t, &teacher, first, day1).await;
    assert_eq!(row["status"], "made_up", "{row}");
    // The teacher is told.
    let (_, msgs) = t.get("/api/v1/messages", &teacher).await;
    assert!(
        msgs["items"][0]["title"]
            .as_str()
            .unwrap()
            .contains("补打卡已批准"),
        "{msgs}"
    );
    let (s, _) = t
        .post(
            &url,
            &teacher,
            json!({"kind": "make_up", "reason": "again"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "already made up");

    // Late to the second; the appeal is revoked, asked again and approved: excused.
    at_lesson(&t, &l2, 3);
    let teacher = t.login(TEACHER).await;
    let (s, v) = t
        .post(
            &format!("/api/v1/lessons/{second}/check-in"),
            &teacher,
            json!({"lat": lat, "lng": lng}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let url2 = format!("/api/v1/lessons/{second}/punch-requests");
    let (_, a) = t
        .post(
            &url2,
            &teacher,
            json!({"kind": "appeal", "reason": "上一节课拖堂"}),
        )
        .await;
    let aid = a["id"].as_i64().unwrap();
    let admin = t.login(SCHOOL1_ADMIN).await;
    let (s, _) = t
        .post(
            &format!("/api/v1/punch-requests/{aid}/revoke"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "only the teacher revokes");
    let (s, v) = t
        .post(
            &format!("/api/v1/punch-requests/{aid}/revoke"),
            &teacher,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "revoked");
    let (s, _) = t
        .post(
            &format!("/api/v1/punch-requests/{aid}/decide"),
            &admin,
            json!({"approve": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "a revoked request is not decided");
    let (_, a) = t
        .post(
            &url2,
            &teacher,
            json!({"kind": "appeal", "reason": "上一节课拖堂"}),
        )
        .await;
    let (s, v) = t
        .post(
            &format!("/api/v1/punch-requests/{}/decide", a["id"]),
            &admin,
            json!({"approve": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let row = status_of(&t, &teacher, second, l2["date"].as_str().unwrap()).await;
    assert_eq!(row["status"], "excused", "{row}");
}

#[tokio::test]
async fn i7_nobody_approves_their_own_request() {
    let t = TestApp::new().await;
    // 刘芳 runs the school and also teaches the evening care class.
    let admin = t.login(SCHOOL1_ADMIN).await;
    let lessons = my_lessons(&t, &admin, "2026-09-07", "2026-09-13").await;
    assert!(!lessons.is_empty(), "刘芳 teaches");
    let (id, l) = lesson_of(&lessons, 0);
    at_lesson(&t, &l, 90);
    let admin = t.login(SCHOOL1_ADMIN).await;
    let (s, r) = t
        .post(
            &format!("/api/v1/lessons/{id}/punch-requests"),
            &admin,
            json!({"kind": "make_up", "reason": "开会，忘记签到"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, v) = t
        .post(
            &format!("/api/v1/punch-requests/{}/decide", r["id"]),
            &admin,
            json!({"approve": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(v["message"].as_str().unwrap().contains("不能审批自己"));
}

#[tokio::test]
async fn i7_the_school_draws_its_fence_and_bad_fences_change_nothing() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let url = format!("/api/v1/schools/{school}/fence");
    let (s, before) = t.get(&url, &admin).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(before["configured"], true, "the demo drew one");
    assert_eq!(before["kind"], "circle");
    for (body, field) in [
        (
            json!({"datum": "bd09", "kind": "circle", "center_lat": 22.5, "center_lng": 113.4, "radius_m": 300}),
            "datum",
        ),
        (json!({"datum": "gcj02", "kind": "square"}), "kind"),
        (
            json!({"datum": "gcj02", "kind": "circle", "center_lat": 22.5, "center_lng": 113.4}),
            "radius_m",
        ),
        (
            json!({"datum": "gcj02", "kind": "circle", "center_lat": 22.5, "center_lng": 113.4, "radius_m": 0}),
            "radius_m",
        ),
        (
            json!({"datum": "gcj02", "kind": "circle", "center_lat": 122.5, "center_lng": 113.4, "radius_m": 100}),
            "center_lat",
        ),
        (
            json!({"datum": "gcj02", "kind": "polygon", "corners": [[22.5, 113.4], [22.6, 113.4]]}),
            "corners",
        ),
        (
            json!({"datum": "gcj02", "kind": "circle", "center_lat": 22.5, "center_lng": 113.4, "radius_m": 100, "open_before_min": 500}),
            "open_before_min",
        ),
    ] {
        let (s, v) = t.put(&url, &admin, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body} {v}");
        assert!(super::names_field(&v, field), "{body} {v}");
    }
    let teacher = t.login(TEACHER).await;
    let (s, _) = t.put(&url, &teacher, json!({"datum": "gcj02", "kind": "circle", "center_lat": 22.5, "center_lng": 113.4, "radius_m": 100})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let other = t.login(SCHOOL2_ADMIN).await;
    let (s, _) = t.put(&url, &other, json!({"datum": "gcj02", "kind": "circle", "center_lat": 22.5, "center_lng": 113.4, "radius_m": 100})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, after) = t.get(&url, &admin).await;
    assert_eq!(after, before, "nothing changed");
    // A polygon around the schoolyard (GCJ-02).
    let (s, v) = t
        .put(&url, &admin, json!({"datum": "gcj02", "kind": "polygon", "corners": [[22.5160, 113.3910], [22.5160, 113.3945], [22.5192, 113.3945], [22.5192, 113.3910]], "open_before_min": 20}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["kind"], "polygon");
    assert_eq!(v["corners"].as_array().unwrap().len(), 4);
    assert_eq!(v["open_before_min"], 20);
    assert_eq!(
        t.audit_count("attendance.fence").await,
        2,
        "the demo's and this"
    );
}
