//! Dated lessons and timetables (E2, E5, M9): the calendar's days, the past kept, everyone's
//! own view, pages, export and the private calendar feed.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{classes_path, current_term, item, staff_id};
use crate::common::{
    HEAD_TEACHER, INSTITUTION_ADMIN, PARENT, PASSWORD, SCHOOL1_ADMIN, SCHOOL2_ADMIN,
    STREET_OFFICER, TEACHER, TestApp,
};
use crate::pages::Browser;

fn entries(v: &Value) -> Vec<Value> {
    v["entries"].as_array().cloned().unwrap_or_default()
}

fn classes_in(v: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = entries(v)
        .iter()
        .map(|e| e["teaching_class_id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

#[tokio::test]
async fn e2_m9_everyone_sees_the_timetable_that_concerns_them() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let week = "from=2026-09-07&to=2026-09-13";
    // 一生一表: the parent sees the child's two classes.
    let parent = t.login(PARENT).await;
    let (status, mine) = t
        .get(&format!("/api/v1/me/timetable?{week}"), &parent)
        .await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert!(classes_in(&mine).len() >= 2, "{mine}");
    let e = &entries(&mine)[0];
    for key in [
        "date",
        "start",
        "end",
        "lesson_id",
        "teaching_class_id",
        "course",
        "chapter_no",
        "chapter_name",
        "room_id",
        "room",
        "teacher_ids",
        "teachers",
    ] {
        assert!(e.get(key).is_some(), "{key} in {e}");
    }
    assert_eq!(e["start"].as_str().unwrap().len(), 5, "HH:MM");
    // 一师一表: the teacher and the head teacher each teach two classes at least.
    for phone in [TEACHER, HEAD_TEACHER] {
        let token = t.login(phone).await;
        let (_, own) = t.get(&format!("/api/v1/me/timetable?{week}"), &token).await;
        assert!(classes_in(&own).len() >= 2, "{phone}: {own}");
        let staff = own["entries"][0]["teacher_ids"][0].as_i64().unwrap();
        let (status, same) = t
            .get(
                &format!("/api/v1/timetable?teacher_id={staff}&{week}"),
                &token,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(entries(&same).len(), entries(&own).len());
    }
    // 一校一表: the school, and the bureau above it.
    let admin = t.login(SCHOOL1_ADMIN).await;
    let (_, whole) = t
        .get(
            &format!("/api/v1/timetable?school_id={school}&{week}"),
            &admin,
        )
        .await;
    assert!(entries(&whole).len() > entries(&mine).len());
    let (status, seen) = t
        .get(
            &format!("/api/v1/timetable?school_id={school}&{week}"),
            &t.login(STREET_OFFICER).await,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(entries(&seen).len(), entries(&whole).len());
    // Nobody else's.
    let (status, _) = t
        .get(
            &format!("/api/v1/timetable?school_id={school}&{week}"),
            &t.login(SCHOOL2_ADMIN).await,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = t
        .get(
            &format!("/api/v1/timetable?school_id={school}&{week}"),
            &parent,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a parent sees the children's, not the school's"
    );
    let other_student = super::students_of_grade(&t, &admin, school, 1).await[0];
    let child = e["teaching_class_id"].as_i64().unwrap();
    let (status, _) = t
        .get(
            &format!("/api/v1/timetable?student_id={other_student}&{week}"),
            &parent,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another child");
    let (status, _) = t
        .get(
            &format!("/api/v1/timetable?teaching_class_id={child}&{week}"),
            &parent,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "the child's own class");
    // The institution sees its teachers across schools.
    let art = crate::institution::institution_id(&t, "示例艺术培训中心").await;
    let (status, inst) = t
        .get(
            &format!("/api/v1/timetable?institution_id={art}&{week}"),
            &t.login(INSTITUTION_ADMIN).await,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{inst}");
    let schools: std::collections::HashSet<&str> = inst["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["school"].as_str().unwrap())
        .collect();
    assert_eq!(schools.len(), 2, "{schools:?}");
    // Other views.
    for q in ["grade=3&school_id=", "room_id=", "admin_class_id="] {
        let id = match q {
            "room_id=" => whole["entries"]
                .as_array()
                .unwrap()
                .iter()
                .find_map(|e| e["room_id"].as_i64())
                .unwrap(),
            "admin_class_id=" => t
                .get(&format!("/api/v1/schools/{school}/admin-classes"), &admin)
                .await
                .1["items"][0]["id"]
                .as_i64()
                .unwrap(),
            _ => school,
        };
        let (status, body) = t
            .get(&format!("/api/v1/timetable?{q}{id}&{week}"), &admin)
            .await;
        assert_eq!(status, StatusCode::OK, "{q}: {body}");
    }
    // Bad spans and no subject.
    for q in [
        "school_id=0",
        "",
        &format!("school_id={school}&from=2026-09-01&to=2026-12-31"),
        &format!("school_id={school}&from=9-1"),
        &format!("school_id={school}&from=2026-09-10&to=2026-09-01"),
    ] {
        let (status, body) = t.get(&format!("/api/v1/timetable?{q}"), &admin).await;
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::NOT_FOUND,
            "{q}: {status} {body}"
        );
    }
}

#[tokio::test]
async fn dated_lessons_follow_the_calendar_and_never_rewrite_the_past() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let term = current_term(&t, &admin, school).await;
    let course = item(&t, &admin, school, term, "趣味数学").await;
    let zhao = staff_id(&t, &admin, school, "赵敏").await;
    // Wednesdays, period 2.
    let (status, c) = t
        .post(&classes_path(school, term), &admin,
            json!({"item_id": course["id"], "name": "周三数学班", "staff_ids": [zhao], "slots": [{"weekday": 3, "period_no": 2}]}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let id = c["id"].as_i64().unwrap();
    let lessons = |from: &str, to: &str| {
        format!("/api/v1/timetable?teaching_class_id={id}&from={from}&to={to}")
    };
    let (_, sept) = t.get(&lessons("2026-09-01", "2026-10-31"), &admin).await;
    let sept_entries = entries(&sept);
    let dates: Vec<&str> = sept_entries
        .iter()
        .map(|e| e["date"].as_str().unwrap())
        .collect();
    assert!(dates.contains(&"2026-09-02"));
    assert!(
        dates.contains(&"2026-09-27"),
        "Sunday worked as a Wednesday (调休): {dates:?}"
    );
    assert!(
        !dates.contains(&"2026-10-07"),
        "the National Day holiday: {dates:?}"
    );
    let first = &entries(&sept)[0];
    assert_eq!(first["chapter_no"], 1);
    assert_eq!(first["start"], "16:30");
    assert_eq!(first["end"], "17:10");
    assert_eq!(first["teachers"][0], "赵敏");
    let numbers: Vec<i64> = entries(&sept)
        .iter()
        .map(|e| e["chapter_no"].as_i64().unwrap())
        .collect();
    assert_eq!(
        numbers,
        (1..=numbers.len() as i64).collect::<Vec<_>>(),
        "numbered in order"
    );

    // Mid-October the class moves to Thursdays: what took place stays as it was.
    t.clock.advance(chrono::Duration::days(44));
    let admin = t.login(SCHOOL1_ADMIN).await;
    let slot = c["slots"][0]["id"].as_i64().unwrap();
    let (status, moved) = t
        .put(
            &format!("/api/v1/schools/{school}/terms/{term}/schedule/slots/{slot}"),
            &admin,
            json!({"weekday": 4, "period_no": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let (_, after) = t.get(&lessons("2026-09-01", "2026-10-31"), &admin).await;
    let after_entries = entries(&after);
    let past_before: Vec<&Value> = sept_entries
        .iter()
        .filter(|e| e["date"].as_str().unwrap() < "2026-10-15")
        .collect();
    let past_after: Vec<&Value> = after_entries
        .iter()
        .filter(|e| e["date"].as_str().unwrap() < "2026-10-15")
        .collect();
    assert_eq!(past_before, past_after, "lessons held are never rewritten");
    let ahead: Vec<&Value> = after_entries
        .iter()
        .filter(|e| e["date"].as_str().unwrap() >= "2026-10-15")
        .collect();
    assert!(!ahead.is_empty());
    assert!(ahead.iter().all(|e| e["weekday"] == 4), "{ahead:?}");
    assert_eq!(
        ahead[0]["chapter_no"].as_i64().unwrap(),
        past_after.len() as i64 + 1,
        "numbering continues"
    );

    // A holiday added ahead takes its lesson away.
    let (_, tv) = t
        .get(&format!("/api/v1/schools/{school}/terms/{term}"), &admin)
        .await;
    let mut holidays: Vec<Value> = tv["holidays"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| json!({"name": h["name"], "start": h["start"], "end": h["end"]}))
        .collect();
    holidays.push(json!({"name": "校运会", "start": "2026-10-22", "end": "2026-10-22"}));
    let extra: Vec<Value> = tv["extra_days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| json!({"date": x["date"], "follows": x["follows"], "kind": x["kind"]}))
        .collect();
    let (status, body) = t
        .put(
            &format!("/api/v1/schools/{school}/terms/{term}/calendar"),
            &admin,
            json!({"holidays": holidays, "extra_days": extra}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, later) = t.get(&lessons("2026-10-15", "2026-10-31"), &admin).await;
    let later_entries = entries(&later);
    let dates: Vec<&str> = later_entries
        .iter()
        .map(|e| e["date"].as_str().unwrap())
        .collect();
    assert!(!dates.contains(&"2026-10-22"), "{dates:?}");
    assert!(dates.contains(&"2026-10-29"), "{dates:?}");
}

#[tokio::test]
async fn e5_pages_show_week_and_month_print_and_export() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let mut b = Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let page = b
        .get(&format!(
            "/timetable?view=school&id={school}&date=2026-09-07"
        ))
        .await;
    let (status, html) = (page.status, page.body);
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("示例第一小学的课表") && html.contains("篮球") && html.contains("第1次"),
        "{html}"
    );
    assert!(html.contains("data-print"), "a print button");
    let page = b
        .get(&format!(
            "/timetable?view=school&id={school}&mode=month&date=2026-10-01"
        ))
        .await;
    let (status, html) = (page.status, page.body);
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("2026年10月") && html.contains("tt-month"),
        "{html}"
    );
    let bytes = b
        .get_bytes(&format!(
            "/timetable/export?view=school&id={school}&mode=week&date=2026-09-07"
        ))
        .await;
    let rows = crate::common::workbook_rows(&bytes);
    assert_eq!(rows[0][0], "日期");
    assert!(rows.iter().any(|r| r[3] == "篮球"), "{rows:?}");
    let css = b.get("/static/app.css").await.body;
    assert!(css.contains("@media print"), "a print stylesheet");
    // The grid and the settings pages.
    let term = current_term(&t, &t.login(SCHOOL1_ADMIN).await, school).await;
    for path in [
        format!("/schools/{school}/schedule?term={term}"),
        format!("/schools/{school}/schedule/settings?term={term}"),
        format!("/schools/{school}/teaching?term={term}"),
    ] {
        let page = b.get(&path).await;
        let (status, html) = (page.status, page.body);
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(html.contains("篮球"), "{path}");
    }
    // The parent's phone page: the child's week.
    let mut p = Browser::new(&t);
    p.login(PARENT, PASSWORD).await;
    let page = p.get("/me/timetable?date=2026-09-07").await;
    let (status, html) = (page.status, page.body);
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("周杰的课表") && html.contains("订阅到手机日历"),
        "{html}"
    );
    assert_eq!(
        p.get(&format!("/timetable?view=school&id={school}"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn e2_the_calendar_feed_is_private_and_revocable() {
    let t = TestApp::new().await;
    let parent = t.login(PARENT).await;
    let (status, f) = t.post("/api/v1/me/calendar-feed", &parent, json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    let token = f["token"].as_str().unwrap().to_string();
    let (_, again) = t.get("/api/v1/me/calendar-feed", &parent).await;
    assert_eq!(again["active"], true);
    assert!(again["token"].is_null(), "shown once");
    let mut b = Browser::new(&t);
    let page = b.get(&format!("/calendar/{token}.ics")).await;
    let (status, ics) = (page.status, page.body);
    assert!(
        page.headers[axum::http::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    assert_eq!(status, StatusCode::OK, "{ics}");
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
    assert!(
        ics.contains("BEGIN:VEVENT") && ics.contains("DTSTART:20260"),
        "{ics}"
    );
    let (_, mine) = t
        .get(
            "/api/v1/me/timetable?from=2026-09-07&to=2026-09-13",
            &parent,
        )
        .await;
    let course = mine["entries"][0]["course"].as_str().unwrap();
    assert!(ics.contains(course), "{ics}");
    assert!(ics.lines().all(|l| l.len() <= 76), "folded lines");
    // A new link makes the old one stop; revoked, none works.
    let (_, f2) = t.post("/api/v1/me/calendar-feed", &parent, json!({})).await;
    assert_eq!(
        b.get(&format!("/calendar/{token}.ics")).await.status,
        StatusCode::NOT_FOUND
    );
    let token2 = f2["token"].as_str().unwrap();
    assert_eq!(
        b.get(&format!("/calendar/{token2}.ics")).await.status,
        StatusCode::OK
    );
    let (status, _) = t.delete("/api/v1/me/calendar-feed", &parent).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        b.get(&format!("/calendar/{token2}.ics")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        b.get(&format!("/calendar/{}.ics", "x".repeat(500)))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(t.audit_count("calendar_feed.create").await, 2);
}
