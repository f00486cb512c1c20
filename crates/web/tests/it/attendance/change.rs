//! I3: substitutes and swaps — requested with a reason, decided by the school with the
//! substitute's pay, revoked while waiting; the lessons and timetables show the change;
//! busy teachers and bad requests refused, nothing changed.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{my_lessons, names_field};
use crate::common::{
    HEAD_TEACHER, PASSWORD, SCHOOL1_ADMIN, SCHOOL2_ADMIN, TEACHER, TestApp, workbook_rows,
};
use crate::pages::Browser;

pub(crate) async fn staff_id(t: &TestApp, admin: &str, school: i64, name: &str) -> i64 {
    let (_, list) = t
        .get(
            &format!("/api/v1/schools/{school}/staff?page_size=100"),
            admin,
        )
        .await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("{name} on the staff: {list}"))["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn i3_a_substitute_is_requested_approved_with_pay_and_shown_in_the_timetable() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let sun = staff_id(&t, &admin, school, "孙伟").await;
    let liu = staff_id(&t, &admin, school, "刘芳").await;
    let zhao = staff_id(&t, &admin, school, "赵敏").await;
    let teacher = t.login(TEACHER).await;
    // The demo's own approved swap is there already.
    let (_, before) = t
        .get(&format!("/api/v1/schools/{school}/lesson-changes"), &admin)
        .await;
    let before = before["total"].as_i64().unwrap();
    let lessons = my_lessons(&t, &teacher, "2026-09-07", "2026-09-13").await;
    let l = lessons[0]["lesson"].clone();
    let id = l["lesson_id"].as_i64().unwrap();
    let url = format!("/api/v1/lessons/{id}/changes");
    let school2 = t.org_id("示例第二小学").await;
    let other_admin = t.login(SCHOOL2_ADMIN).await;
    let foreign = {
        let (_, list) = t
            .get(&format!("/api/v1/schools/{school2}/staff"), &other_admin)
            .await;
        list["items"][0]["id"].as_i64().unwrap()
    };
    for (body, field) in [
        (json!({"reason": "培训"}), "kind"),
        (
            json!({"kind": "substitute", "substitute_staff_id": sun}),
            "reason",
        ),
        (
            json!({"kind": "substitute", "reason": "a\u{202e}b", "substitute_staff_id": sun}),
            "reason",
        ),
        (
            json!({"kind": "substitute", "reason": "培训"}),
            "substitute_staff_id",
        ),
        (
            json!({"kind": "substitute", "reason": "培训", "substitute_staff_id": zhao}),
            "substitute_staff_id",
        ),
        (
            json!({"kind": "substitute", "reason": "培训", "substitute_staff_id": foreign}),
            "substitute_staff_id",
        ),
        (json!({"kind": "swap", "reason": "培训"}), "other_lesson_id"),
        (
            json!({"kind": "swap", "reason": "培训", "other_lesson_id": lessons[1]["lesson"]["lesson_id"]}),
            "other_lesson_id",
        ),
    ] {
        let (s, v) = t.post(&url, &teacher, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body} {v}");
        assert!(names_field(&v, field), "{body} {v}");
    }
    // Not one's own lesson.
    let head = t.login(HEAD_TEACHER).await;
    let (s, _) = t
        .post(
            &url,
            &head,
            json!({"kind": "substitute", "reason": "x", "substitute_staff_id": sun}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // 刘芳 looks after the evening care class at that time: busy.
    let (s, v) = t
        .post(
            &url,
            &teacher,
            json!({"kind": "substitute", "reason": "外出培训", "substitute_staff_id": liu}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(v["message"].as_str().unwrap().contains("另有课"), "{v}");
    let (_, none) = t
        .get(&format!("/api/v1/schools/{school}/lesson-changes"), &admin)
        .await;
    assert_eq!(none["total"], before, "nothing recorded");

    let (s, c) = t
        .post(
            &url,
            &teacher,
            json!({"kind": "substitute", "reason": "外出培训", "substitute_staff_id": sun}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["status"], "pending");
    assert_eq!(c["substitute_name"], "孙伟");
    let (s, _) = t
        .post(
            &url,
            &teacher,
            json!({"kind": "substitute", "reason": "再来", "substitute_staff_id": sun}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "one waits at a time");
    let decide = format!("/api/v1/lesson-changes/{}/decide", c["id"]);
    let (s, _) = t.post(&decide, &teacher, json!({"approve": true})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = t
        .post(&decide, &other_admin, json!({"approve": true}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    for bad in [
        json!({"approve": true, "fee_fen": -1}),
        json!({"fee_fen": 100}),
    ] {
        let (s, _) = t.post(&decide, &admin, bad.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
    }
    let (s, v) = t
        .post(
            &decide,
            &admin,
            json!({"approve": true, "fee_fen": 8000, "note": "同意"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "approved");
    assert_eq!(v["fee"], "80.00");
    // The lesson is 孙伟's now, with a note; 赵敏's week no longer lists it.
    let patrol = t.login(crate::common::PATROL_TEACHER).await;
    let day = l["date"].as_str().unwrap();
    let his = my_lessons(&t, &patrol, day, day).await;
    let mine: Vec<&Value> = his
        .iter()
        .filter(|x| x["lesson"]["lesson_id"] == id)
        .collect();
    assert_eq!(mine.len(), 1, "{his:?}");
    assert_eq!(mine[0]["lesson"]["change_note"], "代课：孙伟（原 赵敏）");
    let hers = my_lessons(&t, &teacher, day, day).await;
    assert!(hers.iter().all(|x| x["lesson"]["lesson_id"] != id));
    let (_, msgs) = t.get("/api/v1/messages", &patrol).await;
    assert!(
        msgs["items"][0]["title"]
            .as_str()
            .unwrap()
            .contains("代课已批准"),
        "{msgs}"
    );
    // Exported with the pay.
    let mut b = Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let rows = workbook_rows(
        &b.get_bytes(&format!("/schools/{school}/lesson-changes.xlsx"))
            .await,
    );
    assert_eq!(rows[0][0], "课次");
    assert!(
        rows.iter()
            .any(|r| r[1] == "代课" && r[3] == "孙伟" && r[7] == "80.00"),
        "{rows:?}"
    );
}

#[tokio::test]
async fn i3_a_swap_exchanges_teachers_and_a_waiting_request_can_be_revoked() {
    let t = TestApp::new().await;
    let teacher = t.login(TEACHER).await;
    let mine = my_lessons(&t, &teacher, "2026-09-07", "2026-09-13").await;
    let head = t.login(HEAD_TEACHER).await;
    let hers = my_lessons(&t, &head, "2026-09-07", "2026-09-13").await;
    // A pair on different days where neither teacher is busy at the other's time.
    let mut done = None;
    'pairs: for a in &mine {
        for b in &hers {
            if a["lesson"]["date"] == b["lesson"]["date"] {
                continue;
            }
            let (s, v) = t
                .post(
                    &format!("/api/v1/lessons/{}/changes", a["lesson"]["lesson_id"]),
                    &teacher,
                    json!({"kind": "swap", "reason": "家中有事，与郑老师对调", "other_lesson_id": b["lesson"]["lesson_id"]}),
                )
                .await;
            if s == StatusCode::OK {
                done = Some((a["lesson"].clone(), b["lesson"].clone(), v));
                break 'pairs;
            }
            assert_eq!(s, StatusCode::CONFLICT, "{v}");
        }
    }
    let (a, b, c) = done.expect("a swappable pair");
    // Revoked by someone else: not found; by the teacher: revoked; then asked again.
    let revoke = format!("/api/v1/lesson-changes/{}/revoke", c["id"]);
    let (s, _) = t.post(&revoke, &head, json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = t.post(&revoke, &teacher, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let admin = t.login(SCHOOL1_ADMIN).await;
    let (s, _) = t
        .post(
            &format!("/api/v1/lesson-changes/{}/decide", c["id"]),
            &admin,
            json!({"approve": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "revoked");
    let (_, c) = t
        .post(
            &format!("/api/v1/lessons/{}/changes", a["lesson_id"]),
            &teacher,
            json!({"kind": "swap", "reason": "家中有事", "other_lesson_id": b["lesson_id"]}),
        )
        .await;
    let (s, v) = t
        .post(
            &format!("/api/v1/lesson-changes/{}/decide", c["id"]),
            &admin,
            json!({"approve": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Each now teaches the other's lesson.
    let day_a = a["date"].as_str().unwrap();
    let day_b = b["date"].as_str().unwrap();
    let zhao_b = my_lessons(&t, &teacher, day_b, day_b).await;
    assert!(zhao_b.iter().any(|x| {
        x["lesson"]["lesson_id"] == b["lesson_id"]
            && x["lesson"]["change_note"]
                .as_str()
                .unwrap()
                .starts_with("调课：赵敏")
    }));
    let zheng_a = my_lessons(&t, &head, day_a, day_a).await;
    assert!(
        zheng_a
            .iter()
            .any(|x| x["lesson"]["lesson_id"] == a["lesson_id"])
    );
}

#[tokio::test]
async fn i3_nobody_approves_their_own_change() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let sun = staff_id(&t, &admin, school, "孙伟").await;
    let lessons = my_lessons(&t, &admin, "2026-09-07", "2026-09-13").await;
    let id = lessons[0]["lesson"]["lesson_id"].as_i64().unwrap();
    let (s, c) = t
        .post(
            &format!("/api/v1/lessons/{id}/changes"),
            &admin,
            json!({"kind": "substitute", "reason": "开会", "substitute_staff_id": sun}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let (s, v) = t
        .post(
            &format!("/api/v1/lesson-changes/{}/decide", c["id"]),
            &admin,
            json!({"approve": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
}
