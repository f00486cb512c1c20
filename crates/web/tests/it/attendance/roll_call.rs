//! I9, I10: the roll call counts expected, present and absent; each mark reaches the
//! parent at once, in the messages and on an open page.

use axum::http::StatusCode;
use futures_util::StreamExt;
use serde_json::{Value, json};

use super::{at_lesson, my_lessons};
use crate::common::{HEAD_TEACHER, PARENT, PASSWORD, TEACHER, TestApp};
use crate::pages::Browser;

/// 郑丽's choir lesson of the third week: 周俊 is in the choir.
pub(crate) async fn choir_lesson(t: &TestApp) -> Value {
    let head = t.login(HEAD_TEACHER).await;
    my_lessons(t, &head, "2026-09-14", "2026-09-20")
        .await
        .into_iter()
        .map(|x| x["lesson"].clone())
        .find(|l| l["class_name"] == "合唱班")
        .expect("a choir lesson that week")
}

pub(crate) async fn child(t: &TestApp) -> i64 {
    let parent = t.login(PARENT).await;
    let (_, me) = t.get("/api/v1/me/children", &parent).await;
    me["items"][0]["student_id"].as_i64().unwrap()
}

#[tokio::test]
async fn i9_the_roll_call_counts_live_and_each_mark_reaches_the_parent_at_once() {
    let t = TestApp::new().await;
    let lesson = choir_lesson(&t).await;
    let id = lesson["lesson_id"].as_i64().unwrap();
    let kid = child(&t).await;
    let url = format!("/api/v1/lessons/{id}/roll-call");

    // The parent's page is open: its live feed answers the unread count at once.
    let mut b = Browser::new(&t);
    b.login(PARENT, PASSWORD).await;
    let res = b.raw_get("/messages/stream").await;
    assert_eq!(res.status(), StatusCode::OK);
    let mut body = res.into_body().into_data_stream();
    let mut next_event = async || {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), body.next())
            .await
            .expect("an event in time")
            .expect("stream open")
            .expect("bytes");
        String::from_utf8_lossy(&chunk).to_string()
    };
    assert!(next_event().await.contains("event: unread"));

    // Too early to call the roll.
    at_lesson(&t, &lesson, -45);
    let head = t.login(HEAD_TEACHER).await;
    let (s, roll) = t.get(&url, &head).await;
    assert_eq!(s, StatusCode::OK, "{roll}");
    assert_eq!(roll["can_mark"], false);
    let everyone: Vec<i64> = roll["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["student_id"].as_i64().unwrap())
        .collect();
    assert!(everyone.contains(&kid));
    let all_present = json!({"marks": everyone.iter().map(|s| json!({"student_id": s, "status": "present"})).collect::<Vec<_>>()});
    let (s, v) = t.put(&url, &head, all_present.clone()).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");

    at_lesson(&t, &lesson, 2);
    let head = t.login(HEAD_TEACHER).await;
    let (_, roll) = t.get(&url, &head).await;
    assert_eq!(roll["can_mark"], true);
    assert_eq!(roll["expected"], everyone.len());
    assert_eq!(roll["unmarked"], everyone.len());
    // Bad input changes nothing.
    for (body, field) in [
        (json!({"marks": []}), "marks"),
        (json!({}), "marks"),
        (
            json!({"marks": [{"student_id": 999999, "status": "present"}]}),
            "marks.0.student_id",
        ),
        (
            json!({"marks": [{"status": "present"}]}),
            "marks.0.student_id",
        ),
        (
            json!({"marks": [{"student_id": kid, "status": "here"}]}),
            "marks.0.status",
        ),
        (
            json!({"marks": [{"student_id": kid, "status": "present"}, {"student_id": kid, "status": "absent"}]}),
            "marks.1.student_id",
        ),
    ] {
        let (s, v) = t.put(&url, &head, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body} {v}");
        assert!(super::names_field(&v, field), "{body} {v}");
    }
    // Not one's lesson: another teacher, the parent.
    for who in [TEACHER, PARENT] {
        let token = t.login(who).await;
        let (s, _) = t.put(&url, &token, all_present.clone()).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{who}");
        let (s, _) = t.get(&url, &token).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{who}");
    }
    let (_, unchanged) = t.get(&url, &head).await;
    assert_eq!(unchanged["unmarked"], everyone.len());
    assert_eq!(t.audit_count("attendance.roll_call").await, 0);

    // All present in one go: counted, and 周俊's parent told at once.
    let (s, v) = t.put(&url, &head, all_present).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["present"], everyone.len());
    assert_eq!(v["unmarked"], 0);
    let event = next_event().await;
    assert!(
        event.contains("周俊") && event.contains("已到") && event.contains("合唱班"),
        "{event}"
    );
    assert!(event.contains("\"announce\":true"), "{event}");
    let parent = t.login(PARENT).await;
    let (_, msgs) = t.get("/api/v1/messages", &parent).await;
    let newest = &msgs["items"][0];
    assert_eq!(newest["kind"], "attendance");
    assert!(
        newest["title"].as_str().unwrap().starts_with("周俊 17:"),
        "{newest}"
    );
    let before = msgs["total"].as_u64().unwrap();

    // Then the exception: 周俊 absent. Only the change is told.
    let (s, v) = t
        .put(
            &url,
            &head,
            json!({"marks": [{"student_id": kid, "status": "absent"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["absent"], 1);
    assert_eq!(v["present"], everyone.len() - 1);
    let event = next_event().await;
    assert!(event.contains("缺勤"), "{event}");
    let (_, msgs) = t.get("/api/v1/messages", &parent).await;
    assert_eq!(msgs["total"].as_u64().unwrap(), before + 1);
    // The same marks again tell nobody anything.
    let (s, _) = t
        .put(
            &url,
            &head,
            json!({"marks": [{"student_id": kid, "status": "absent"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, msgs) = t.get("/api/v1/messages", &parent).await;
    assert_eq!(msgs["total"].as_u64().unwrap(), before + 1);

    // The parent's record of the week shows the mark.
    let (s, rec) = t
        .get(
            &format!("/api/v1/students/{kid}/attendance?from=2026-09-14&to=2026-09-20"),
            &parent,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{rec}");
    let row = rec["lessons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["lesson"]["lesson_id"] == id)
        .unwrap();
    assert_eq!(row["status"], "absent");
    assert_eq!(rec["absent"], 1);

    // A week later the roll may still be corrected; after that it is closed.
    t.clock.advance(chrono::Duration::days(8));
    let head = t.login(HEAD_TEACHER).await;
    let (s, v) = t
        .put(
            &url,
            &head,
            json!({"marks": [{"student_id": kid, "status": "present"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
}

#[tokio::test]
async fn i10_a_students_record_is_for_their_guardian_their_head_teacher_and_the_school() {
    let t = TestApp::new().await;
    let kid = child(&t).await;
    let url = format!("/api/v1/students/{kid}/attendance");
    for (who, status) in [
        (PARENT, StatusCode::OK),
        (HEAD_TEACHER, StatusCode::OK),
        (crate::common::SCHOOL1_ADMIN, StatusCode::OK),
        (TEACHER, StatusCode::NOT_FOUND),
        (crate::common::SCHOOL2_ADMIN, StatusCode::NOT_FOUND),
    ] {
        let token = t.login(who).await;
        let (s, v) = t.get(&url, &token).await;
        assert_eq!(s, status, "{who} {v}");
    }
    let parent = t.login(PARENT).await;
    for q in [
        "?from=2026-09-01&to=2026-12-01",
        "?from=2026-09-40",
        "?from=2026-09-10&to=2026-09-01",
    ] {
        let (s, v) = t.get(&format!("{url}{q}"), &parent).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q} {v}");
    }
    let (s, _) = t.get("/api/v1/students/999999/attendance", &parent).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn i9_the_phone_pages_check_in_call_the_roll_and_show_the_parent_the_mark() {
    let t = TestApp::new().await;
    let lesson = choir_lesson(&t).await;
    let id = lesson["lesson_id"].as_i64().unwrap();
    at_lesson(&t, &lesson, -5);
    let mut teacher = Browser::new(&t);
    teacher.login(HEAD_TEACHER, PASSWORD).await;
    let page = teacher.get("/attendance").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("定位签到") && page.body.contains("合唱班"),
        "{}",
        page.body
    );
    let csrf = Browser::csrf(&page);
    // Outside the fence: the page says how far.
    let (lat, lng) = super::inside_wgs84();
    let far = teacher
        .post(
            &format!("/attendance/lessons/{id}/check-in"),
            &[
                ("_csrf", &csrf),
                ("lat", &(lat + 0.02).to_string()),
                ("lng", &lng.to_string()),
                ("accuracy", "10"),
            ],
        )
        .await;
    assert_eq!(far.status, StatusCode::CONFLICT);
    assert!(far.body.contains("不在学校签到范围内"), "{}", far.body);
    let ok = teacher
        .post(
            &format!("/attendance/lessons/{id}/check-in"),
            &[
                ("_csrf", &csrf),
                ("lat", &lat.to_string()),
                ("lng", &lng.to_string()),
                ("accuracy", "10"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let page = teacher.get("/attendance?notice=checked_in").await;
    assert!(page.body.contains("签到成功") && page.body.contains("已签到"));
    // The roll call page: everyone listed with four marks; the kid marked present.
    at_lesson(&t, &lesson, 1);
    let roll = teacher.get(&format!("/attendance/lessons/{id}")).await;
    assert_eq!(roll.status, StatusCode::OK);
    assert!(roll.body.contains("全部到课") && roll.body.contains("周俊"));
    let kid = child(&t).await;
    let mut fields: Vec<(String, String)> = vec![("_csrf".into(), Browser::csrf(&roll))];
    fields.push(("student".into(), kid.to_string()));
    fields.push((format!("mark_{kid}"), "late".into()));
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let saved = teacher
        .post(&format!("/attendance/lessons/{id}"), &refs)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let roll = teacher
        .get(&format!("/attendance/lessons/{id}?notice=roll_saved"))
        .await;
    assert!(roll.body.contains("已通知家长"));
    // The parent's page shows it.
    let mut parent = Browser::new(&t);
    parent.login(PARENT, PASSWORD).await;
    let page = parent.get("/attendance/children").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("data-live="), "the record reloads live");
    assert!(page.body.contains("迟到"), "{}", page.body);
    // Another parent's child is not shown.
    let page = parent.get("/attendance/children?student_id=999999").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}
