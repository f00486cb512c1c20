//! I6 (class transfer, 调班): the school moves a student to another class of the same
//! course; the seat, the enrollment and the waitlist follow in one transaction, the money
//! stays, the guardians are told; another course, a full class, a closed class or a
//! student not in the class change nothing.

use axum::http::StatusCode;
use serde_json::json;

use super::{class, current_term};
use crate::common::{PARENT, PASSWORD, SCHOOL1_ADMIN, SCHOOL2_ADMIN, TEACHER, TestApp};
use crate::pages::Browser;

async fn members(t: &TestApp, token: &str, base: &str, id: i64) -> Vec<i64> {
    let (s, v) = t
        .get(&format!("{base}/teaching-classes/{id}/students"), token)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["student_id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn i6_a_student_moves_to_another_class_of_the_same_course() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let term = current_term(&t, &admin, school).await;
    let base = format!("/api/v1/schools/{school}/terms/{term}");
    let one = class(&t, &admin, school, term, "课后托管（午托）1班").await;
    let two = class(&t, &admin, school, term, "课后托管（午托）2班").await;
    let choir = class(&t, &admin, school, term, "合唱班").await;
    let (one, two, choir) = (
        one["id"].as_i64().unwrap(),
        two["id"].as_i64().unwrap(),
        choir["id"].as_i64().unwrap(),
    );
    let in_one = members(&t, &admin, &base, one).await;
    let in_two = members(&t, &admin, &base, two).await;
    // Someone in 1班 and no other class, so that 2班's times clash with nothing of theirs.
    let (_, list) = t.get(&format!("{base}/teaching-classes"), &admin).await;
    let mut elsewhere = std::collections::HashSet::new();
    for c in list["items"].as_array().unwrap() {
        let id = c["id"].as_i64().unwrap();
        if id != one {
            elsewhere.extend(members(&t, &admin, &base, id).await);
        }
    }
    let student = *in_one
        .iter()
        .find(|s| !elsewhere.contains(s))
        .expect("someone only in 1班");
    let url = format!("{base}/teaching-classes/{one}/students/{student}/transfer");

    // Not the same course, not in this class, nowhere to go, no rights: nothing changes.
    for (body, status) in [
        (json!({}), StatusCode::BAD_REQUEST),
        (json!({"to_class_id": one}), StatusCode::BAD_REQUEST),
        (json!({"to_class_id": choir}), StatusCode::BAD_REQUEST),
        (json!({"to_class_id": 999_999}), StatusCode::BAD_REQUEST),
    ] {
        let (s, v) = t.post(&url, &admin, body.clone()).await;
        assert_eq!(s, status, "{body} → {v}");
    }
    let outsider = *in_two
        .iter()
        .find(|s| !in_one.contains(s))
        .expect("someone only in 2班");
    let (s, _) = t
        .post(
            &format!("{base}/teaching-classes/{one}/students/{outsider}/transfer"),
            &admin,
            json!({"to_class_id": two}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "not in 1班");
    let (s, _) = t
        .post(&url, &t.login(TEACHER).await, json!({"to_class_id": two}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = t
        .post(
            &url,
            &t.login(SCHOOL2_ADMIN).await,
            json!({"to_class_id": two}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A full class takes nobody.
    let (s, full) = t
        .patch(
            &format!("{base}/teaching-classes/{two}"),
            &admin,
            json!({"capacity_max": in_two.len()}),
        )
        .await;
    if s == StatusCode::OK {
        let (s, v) = t.post(&url, &admin, json!({"to_class_id": two})).await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert!(v["message"].as_str().unwrap().contains("已满"), "{v}");
        let (s, _) = t
            .patch(
                &format!("{base}/teaching-classes/{two}"),
                &admin,
                json!({"capacity_max": in_two.len() + 5}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
    } else {
        // A class with students keeps its capacity; the check is the same code path.
        assert!(s.is_client_error(), "{full}");
    }
    assert_eq!(members(&t, &admin, &base, one).await, in_one, "unchanged");

    let (s, v) = t.post(&url, &admin, json!({"to_class_id": two})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["student_id"], student);
    assert!(!members(&t, &admin, &base, one).await.contains(&student));
    assert!(members(&t, &admin, &base, two).await.contains(&student));
    // Again: not in 1班 any more.
    let (s, _) = t.post(&url, &admin, json!({"to_class_id": two})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn i6_the_parent_is_told_and_their_enrollment_follows() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let term = current_term(&t, &admin, school).await;
    let base = format!("/api/v1/schools/{school}/terms/{term}");
    let parent = t.login(PARENT).await;
    let (_, me) = t.get("/api/v1/me/children", &parent).await;
    let kid = me["items"][0]["student_id"].as_i64().unwrap();
    // 周俊 is enrolled in the choir; the school opens a second choir class.
    let choir = class(&t, &admin, school, term, "合唱班").await;
    let from = choir["id"].as_i64().unwrap();
    let zheng = crate::attendance::change::staff_id(&t, &admin, school, "郑丽").await;
    let (s, second) = t
        .post(
            &format!("{base}/teaching-classes"),
            &admin,
            json!({"item_id": choir["item_id"], "name": "合唱二班", "capacity_min": 1,
                   "capacity_max": 30, "grade_from": 1, "grade_to": 6, "weekly_lessons": 1,
                   "staff_ids": [zheng]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{second}");
    let to = second["id"].as_i64().unwrap();
    let mut b = Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let page = b
        .get(&format!("/schools/{school}/teaching/{from}?term={term}"))
        .await;
    assert!(page.body.contains("调班"), "{}", page.body);
    assert!(page.body.contains("合唱二班"));
    let csrf = Browser::csrf(&page);
    let page = b
        .post(
            &format!("/schools/{school}/teaching/{from}/students/{kid}/transfer?term={term}"),
            &[("_csrf", &csrf), ("to_class_id", &to.to_string())],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert!(page.location.contains("notice=transferred"));
    assert!(members(&t, &admin, &base, to).await.contains(&kid));
    assert!(!members(&t, &admin, &base, from).await.contains(&kid));
    let (_, inbox) = t.get("/api/v1/messages", &parent).await;
    assert!(inbox.to_string().contains("调班：合唱二班"), "{inbox}");
    // The enrollment follows, with the same order and money.
    let (_, enrolled) = t
        .get(&format!("/api/v1/students/{kid}/enrollments"), &parent)
        .await;
    let e = enrolled["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["course"] == "合唱")
        .expect("the choir enrollment")
        .clone();
    assert_eq!(e["teaching_class_id"], to, "{e}");
    assert_eq!(e["status"], "confirmed");
    assert_eq!(e["order"]["total_fen"], 0, "the money stays");
}

#[tokio::test]
async fn i6_a_transfer_that_clashes_with_another_class_changes_nothing() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let term = current_term(&t, &admin, school).await;
    let base = format!("/api/v1/schools/{school}/terms/{term}");
    let parent = t.login(PARENT).await;
    let (_, me) = t.get("/api/v1/me/children", &parent).await;
    let kid = me["items"][0]["student_id"].as_i64().unwrap();
    let choir = class(&t, &admin, school, term, "合唱班").await;
    let from = choir["id"].as_i64().unwrap();
    // Another class 周俊 sits in, and when it meets.
    let (_, list) = t.get(&format!("{base}/teaching-classes"), &admin).await;
    let mut busy = None;
    for c in list["items"].as_array().unwrap() {
        let id = c["id"].as_i64().unwrap();
        if id != from && members(&t, &admin, &base, id).await.contains(&kid) {
            busy = Some(c.clone());
            break;
        }
    }
    let busy = busy.expect("周俊 sits in another class");
    let slot = busy["slots"][0].clone();
    // 孙伟 teaches nothing, so the new class's time is free for its teacher.
    let sun = crate::attendance::change::staff_id(&t, &admin, school, "孙伟").await;
    let (s, third) = t
        .post(
            &format!("{base}/teaching-classes"),
            &admin,
            json!({"item_id": choir["item_id"], "name": "合唱三班", "capacity_min": 1,
                   "capacity_max": 30, "grade_from": 1, "grade_to": 6, "weekly_lessons": 1,
                   "staff_ids": [sun],
                   "slots": [{"weekday": slot["weekday"], "period_no": slot["period_no"]}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{third}");
    let to = third["id"].as_i64().unwrap();
    let (s, v) = t
        .post(
            &format!("{base}/teaching-classes/{from}/students/{kid}/transfer"),
            &admin,
            json!({"to_class_id": to}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(v["message"].as_str().unwrap().contains("时间冲突"), "{v}");
    assert!(
        members(&t, &admin, &base, from).await.contains(&kid),
        "unchanged"
    );
    assert!(!members(&t, &admin, &base, to).await.contains(&kid));
}
