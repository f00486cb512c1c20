//! I1: a teacher asks for leave; the school approves it and names one substitute for every
//! lesson of those days in one step (with the pay per lesson), or rejects it; the teacher
//! may revoke while it waits; bad requests and busy substitutes change nothing.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::change::staff_id;
use super::{my_lessons, names_field};
use crate::common::{PARENT, PASSWORD, SCHOOL1_ADMIN, SCHOOL2_ADMIN, TEACHER, TestApp};
use crate::pages::Browser;

#[tokio::test]
async fn i1_a_teachers_leave_is_approved_with_a_substitute_for_every_lesson() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let teacher = t.login(TEACHER).await;
    let sun = staff_id(&t, &admin, school, "孙伟").await;
    let liu = staff_id(&t, &admin, school, "刘芳").await;
    let zhao = staff_id(&t, &admin, school, "赵敏").await;
    let school2 = t.org_id("示例第二小学").await;
    let foreign = {
        let other = t.login(SCHOOL2_ADMIN).await;
        let (_, list) = t
            .get(&format!("/api/v1/schools/{school2}/staff"), &other)
            .await;
        list["items"][0]["id"].as_i64().unwrap()
    };
    let week = my_lessons(&t, &teacher, "2026-09-07", "2026-09-11").await;
    let n = week.len();
    assert!(n >= 2, "赵敏 teaches that week: {n}");

    let good = json!({"from": "2026-09-07", "to": "2026-09-11", "reason": "外出参加市级培训"});
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    for (body, field) in [
        (with("from", json!("2026-08-01")), "from"),
        (with("from", json!("9/7")), "from"),
        (with("to", json!("2026-09-01")), "to"),
        (with("to", json!("2026-10-30")), "to"),
        (with("reason", json!("")), "reason"),
        (with("reason", json!("培训\u{202E}")), "reason"),
    ] {
        let (s, v) = t
            .post("/api/v1/teacher-leaves", &teacher, body.clone())
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body} → {v}");
        assert!(names_field(&v, field), "{field}: {v}");
    }
    // A weekend without lessons needs no leave; a parent cannot ask a teacher's leave.
    let (s, _) = t
        .post(
            "/api/v1/teacher-leaves",
            &teacher,
            json!({"from": "2026-09-05", "to": "2026-09-06", "reason": "私事"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = t
        .post(
            "/api/v1/teacher-leaves",
            &t.login(PARENT).await,
            good.clone(),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, none) = t.get("/api/v1/me/teacher-leaves", &teacher).await;
    assert_eq!(none["items"].as_array().unwrap().len(), 0, "nothing asked");

    let (s, leave) = t
        .post("/api/v1/teacher-leaves", &teacher, good.clone())
        .await;
    assert_eq!(s, StatusCode::OK, "{leave}");
    assert_eq!(leave["status"], "pending");
    let (s, _) = t
        .post(
            "/api/v1/teacher-leaves",
            &teacher,
            json!({"from": "2026-09-10", "to": "2026-09-14", "reason": "重复"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "overlapping");
    // The school is told and sees it waiting.
    let (_, inbox) = t.get("/api/v1/messages", &admin).await;
    assert!(
        inbox.to_string().contains("教师请假待审批：赵敏"),
        "{inbox}"
    );
    let (_, waiting) = t
        .get(
            &format!("/api/v1/schools/{school}/teacher-leaves?status=pending"),
            &admin,
        )
        .await;
    assert_eq!(waiting["items"][0]["id"], leave["id"]);

    let decide = format!("/api/v1/teacher-leaves/{}/decide", leave["id"]);
    let (s, _) = t
        .post(
            &decide,
            &teacher,
            json!({"approve": true, "substitute_staff_id": sun}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "not one's own");
    for (body, field) in [
        (json!({"approve": true}), "substitute_staff_id"),
        (
            json!({"approve": true, "substitute_staff_id": zhao}),
            "substitute_staff_id",
        ),
        (
            json!({"approve": true, "substitute_staff_id": foreign}),
            "substitute_staff_id",
        ),
        (
            json!({"approve": true, "substitute_staff_id": sun, "fee_fen": -1}),
            "fee_fen",
        ),
        (json!({"substitute_staff_id": sun}), "approve"),
    ] {
        let (s, v) = t.post(&decide, &admin, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body} → {v}");
        assert!(names_field(&v, field), "{field}: {v}");
    }
    // 刘芳 teaches at the same time on Mondays: the whole approval is refused.
    let (s, v) = t
        .post(
            &decide,
            &admin,
            json!({"approve": true, "substitute_staff_id": liu}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(v["message"].as_str().unwrap().contains("另有课"), "{v}");
    assert_eq!(
        my_lessons(&t, &teacher, "2026-09-07", "2026-09-11")
            .await
            .len(),
        n,
        "nothing changed"
    );

    let (s, done) = t
        .post(
            &decide,
            &admin,
            json!({"approve": true, "substitute_staff_id": sun, "fee_fen": 8000, "note": "注意安全"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "approved");
    assert_eq!(done["substitute_name"], "孙伟");
    assert_eq!(done["lessons"], n as i64);
    assert!(
        my_lessons(&t, &teacher, "2026-09-07", "2026-09-11")
            .await
            .is_empty(),
        "赵敏's lessons are 孙伟's now"
    );
    // Each substitution is recorded with its pay, and the timetable says so.
    let (_, changes) = t
        .get(&format!("/api/v1/schools/{school}/lesson-changes"), &admin)
        .await;
    let ours: Vec<&Value> = changes["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["reason"].as_str().unwrap().starts_with("请假："))
        .collect();
    assert_eq!(ours.len(), n);
    assert!(
        ours.iter()
            .all(|c| c["fee_fen"] == 8000 && c["substitute_name"] == "孙伟")
    );
    let sun_user = t.login(crate::common::PATROL_TEACHER).await;
    let (_, tt) = t
        .get(
            "/api/v1/me/timetable?from=2026-09-07&to=2026-09-11",
            &sun_user,
        )
        .await;
    assert!(
        tt.to_string().contains("代课：孙伟（原 赵敏，请假）"),
        "{tt}"
    );
    let (s, _) = t.post(&decide, &admin, json!({"approve": false})).await;
    assert_eq!(s, StatusCode::CONFLICT, "decided once");
    let (s, _) = t
        .post(
            &format!("/api/v1/teacher-leaves/{}/revoke", leave["id"]),
            &teacher,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "too late to revoke");
}

#[tokio::test]
async fn i1_a_teacher_asks_and_revokes_leave_on_the_phone_page() {
    let t = TestApp::new().await;
    let mut b = Browser::new(&t);
    b.login(TEACHER, PASSWORD).await;
    let page = b.get("/attendance").await;
    assert!(page.body.contains("我要请假"));
    let csrf = Browser::csrf(&page);
    let page = b
        .post(
            "/attendance/teacher-leaves",
            &[
                ("_csrf", &csrf),
                ("from", "2026-09-07"),
                ("to", "2026-09-07"),
                ("reason", ""),
            ],
        )
        .await;
    assert!(page.body.contains("不能为空"), "{}", page.body);
    let page = b
        .post(
            "/attendance/teacher-leaves",
            &[
                ("_csrf", &csrf),
                ("from", "2026-09-07"),
                ("to", "2026-09-07"),
                ("reason", "孩子生病"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let page = b.get(&page.location).await;
    assert!(page.body.contains("已提交请假申请"));
    assert!(page.body.contains("孩子生病"));
    // The school's page lists it with the substitute to choose.
    let mut admin = Browser::new(&t);
    admin.login(SCHOOL1_ADMIN, PASSWORD).await;
    let page = admin.get("/attendance/school").await;
    let page = admin.get(&page.location).await;
    assert!(
        page.body.contains("教师请假 2026-09-07 至 2026-09-07"),
        "{}",
        page.body
    );
    assert!(page.body.contains("批准并安排代课"));
    // Revoked from the phone.
    let teacher = t.login(TEACHER).await;
    let (_, mine) = t.get("/api/v1/me/teacher-leaves", &teacher).await;
    let id = mine["items"][0]["id"].as_i64().unwrap();
    let other = t.login(SCHOOL1_ADMIN).await;
    let (s, _) = t
        .post(
            &format!("/api/v1/teacher-leaves/{id}/revoke"),
            &other,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "only the teacher revokes");
    let page = b
        .post(
            &format!("/attendance/teacher-leaves/{id}/revoke"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let (_, mine) = t.get("/api/v1/me/teacher-leaves", &teacher).await;
    assert_eq!(mine["items"][0]["status"], "revoked");
}
