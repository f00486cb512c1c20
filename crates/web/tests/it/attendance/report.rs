//! I1, I4, I13, I14: the school's report of a period (students by class, teachers'
//! check-ins, lessons without one) in JSON and .xlsx, the bureau's per school, and where a
//! child is now.

use axum::http::StatusCode;
use serde_json::json;

use super::roll_call::{child, choir_lesson};
use super::{at_lesson, inside_wgs84};
use crate::common::{
    CITY_LEADER, HEAD_TEACHER, PARENT, PASSWORD, SCHOOL1_ADMIN, TEACHER, TestApp, workbook_rows,
};
use crate::pages::Browser;

#[tokio::test]
async fn i4_the_reports_count_the_roll_calls_and_check_ins_of_a_period() {
    let t = TestApp::new().await;
    let lesson = choir_lesson(&t).await;
    let id = lesson["lesson_id"].as_i64().unwrap();
    let kid = child(&t).await;
    at_lesson(&t, &lesson, -5);
    let head = t.login(HEAD_TEACHER).await;
    let (lat, lng) = inside_wgs84();
    let (s, _) = t
        .post(
            &format!("/api/v1/lessons/{id}/check-in"),
            &head,
            json!({"lat": lat, "lng": lng}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // Where is the child? Not in a lesson yet: the next one is the choir.
    let parent = t.login(PARENT).await;
    let (s, w) = t
        .get(&format!("/api/v1/students/{kid}/whereabouts"), &parent)
        .await;
    assert_eq!(s, StatusCode::OK, "{w}");
    assert_eq!(w["state"], "between", "{w}");
    assert!(w["summary"].as_str().unwrap().contains("合唱班"), "{w}");
    at_lesson(&t, &lesson, 3);
    let head = t.login(HEAD_TEACHER).await;
    let (_, roll) = t
        .get(&format!("/api/v1/lessons/{id}/roll-call"), &head)
        .await;
    let marks: Vec<_> = roll["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let s = r["student_id"].as_i64().unwrap();
            json!({"student_id": s, "status": if s == kid { "late" } else { "present" }})
        })
        .collect();
    let n = marks.len() as i64;
    let (s, _) = t
        .put(
            &format!("/api/v1/lessons/{id}/roll-call"),
            &head,
            json!({"marks": marks}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // Now the child is in the choir, marked late, with its teacher named.
    let parent = t.login(PARENT).await;
    let (_, w) = t
        .get(&format!("/api/v1/students/{kid}/whereabouts"), &parent)
        .await;
    assert_eq!(w["state"], "in_lesson", "{w}");
    assert_eq!(w["status"], "late");
    let summary = w["summary"].as_str().unwrap();
    assert!(
        summary.contains("现在在 合唱班") && summary.contains("郑丽负责"),
        "{summary}"
    );
    let teacher = t.login(TEACHER).await;
    let (s, _) = t
        .get(&format!("/api/v1/students/{kid}/whereabouts"), &teacher)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let school = t.org_id("示例第一小学").await;
    let date = lesson["date"].as_str().unwrap();
    let admin = t.login(SCHOOL1_ADMIN).await;
    let url = format!("/api/v1/schools/{school}/attendance/report?from=2026-09-01&to={date}");
    let (s, r) = t.get(&url, &admin).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let choir = r["classes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["class_name"] == "合唱班")
        .unwrap();
    assert_eq!(
        choir["counts"]["present"], n,
        "late counts as present: {choir}"
    );
    assert_eq!(choir["counts"]["late"], 1);
    assert_eq!(choir["counts"]["rate"], "100.0%");
    assert!(
        choir["counts"]["lessons"].as_i64().unwrap() >= 3,
        "three Fridays held"
    );
    let zheng = r["teachers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "郑丽")
        .unwrap();
    assert_eq!(zheng["on_time"], 1);
    assert!(
        r["unchecked_lessons"].as_i64().unwrap() > 0,
        "other lessons had no check-in"
    );
    // Bad periods and other people change nothing and see nothing.
    for q in [
        "?from=2026-13-01",
        "?from=2026-09-10&to=2026-09-01",
        "?from=2025-01-01&to=2026-09-20",
    ] {
        let (s, _) = t
            .get(
                &format!("/api/v1/schools/{school}/attendance/report{q}"),
                &admin,
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}");
    }
    let (s, _) = t.get(&url, &teacher).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The bureau sees the same totals for the school.
    let leader = t.login(CITY_LEADER).await;
    let (s, b) = t
        .get(
            &format!("/api/v1/attendance/jurisdiction?from=2026-09-01&to={date}"),
            &leader,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let row = b["schools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["school_id"] == school)
        .unwrap();
    assert_eq!(row["counts"]["present"], r["total"]["present"]);
    let (s, _) = t.get("/api/v1/attendance/jurisdiction", &parent).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The workbook holds what the page shows.
    let mut b = Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let page = b
        .get(&format!(
            "/schools/{school}/attendance/report?from=2026-09-01&to={date}"
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("合唱班") && page.body.contains("郑丽"));
    let bytes = b
        .get_bytes(&format!(
            "/schools/{school}/attendance/report.xlsx?from=2026-09-01&to={date}"
        ))
        .await;
    let rows = workbook_rows(&bytes);
    assert_eq!(rows[0][0], "教学班");
    let line = rows.iter().find(|r| r[0] == "合唱班").unwrap();
    assert_eq!(line[2], n.to_string());
    assert_eq!(line[3], "1");
}
