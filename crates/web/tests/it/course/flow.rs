//! Issue 12 as a new user would go through it: an institution applies on the public page,
//! the street officer admits it, it adds and dispatches a teacher and a course, both are
//! admitted to the city's libraries, and 示例第一小学 offers the course in a term offering
//! that the bureau approves and parents read.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::*;
use crate::course::courses::spec_id;
use crate::institution::{APPLICANT, apply, institution_id};
use crate::pages::Browser;

#[tokio::test]
async fn d5_d10_d8_d9_an_institution_applies_and_a_school_offers_its_course() {
    let t = TestApp::new().await;
    let mut b = Browser::new(&t);
    let applied = apply(&t, &mut b).await;
    assert!(
        applied.status.is_success() || applied.status.is_redirection(),
        "{}",
        applied.body
    );
    let inst = institution_id(&t, "示例编程教育中心").await;
    let officer = t.login(STREET_OFFICER).await;
    let (status, d) = t
        .post(
            &format!("/api/v1/institutions/{inst}/decision"),
            &officer,
            json!({"action": "approve"}),
        )
        .await;
    assert_eq!(
        (status, d["status"].as_str()),
        (StatusCode::OK, Some("admitted")),
        "{d}"
    );

    let (_, login) = t.try_login(APPLICANT, "Kexue2026").await;
    let admin = login["token"]
        .as_str()
        .expect("the applicant logs in")
        .to_string();
    let id = kehou_domain::IdCardNo::complete("44200019900101123")
        .expect("id")
        .as_str()
        .to_string();
    let (status, teacher) = t
        .post(
            &format!("/api/v1/institutions/{inst}/teachers"),
            &admin,
            json!({"name": "马晓丽", "id_number": id, "phone": "13900000601", "education": "本科",
                   "certificate_type": "小学", "certificate_no": "20194420001", "teaching_years": 5}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{teacher}");
    let teacher = teacher["id"].as_i64().unwrap_or_default();
    let school = t.org_id("示例第一小学").await;
    let (status, d) = t
        .post(
            &format!("/api/v1/institutions/{inst}/dispatches"),
            &admin,
            json!({"teacher_id": teacher, "school_id": school, "starts_on": "2027-02-22", "ends_on": "2027-06-30", "course_types": ["featured"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    let spec = spec_id(&t, &admin, "ZS-TS-01").await;
    let (status, course) = t
        .post(
            "/api/v1/courses",
            &admin,
            json!({"name": "少儿编程", "spec_id": spec, "grades": [4, 5, 6], "class_size_min": 10,
                   "class_size_max": 20, "lesson_count": 16, "lesson_minutes": 60,
                   "chapters": [{"number": 1, "name": "认识Scratch"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{course}");
    let course = course["id"].as_i64().unwrap_or_default();

    // Both to the city's libraries; the expert admits them.
    let city = t.org_id("示例市教育和体育局").await;
    let expert = t.login(EXPERT_REVIEWER).await;
    for (kind, subject) in [("course", course), ("teacher", teacher)] {
        let (status, e) = t
            .post(
                "/api/v1/library",
                &admin,
                json!({"kind": kind, "subject_id": subject, "bureau_id": city}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{e}");
        let (status, e) = t
            .post(
                &format!("/api/v1/library/{}/decision", e["id"]),
                &expert,
                json!({"action": "admit"}),
            )
            .await;
        assert_eq!(
            (status, e["status"].as_str()),
            (StatusCode::OK, Some("admitted")),
            "{e}"
        );
    }

    // The school offers it in the spring term; the bureau approves; parents read it.
    let school_admin = t.login(SCHOOL1_ADMIN).await;
    let (_, term) = t
        .post(
            &format!("/api/v1/schools/{school}/terms"),
            &school_admin,
            json!({"school_year": "2026-2027", "name": "第二学期", "start_date": "2027-02-22", "end_date": "2027-07-02"}),
        )
        .await;
    let base = format!("/api/v1/schools/{school}/terms/{}/offering", term["id"]);
    let (status, item) = t
        .post(
            &format!("{base}/items"),
            &school_admin,
            json!({"course_id": course, "teacher_ids": [teacher], "textbook_fee_fen": 1500}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{item}");
    assert_eq!(
        (
            item["price_fen"].as_i64(),
            item["institution_name"].as_str()
        ),
        (Some(4000), Some("示例编程教育中心"))
    );
    let (status, _) = t
        .post(
            &format!("{base}/actions"),
            &school_admin,
            json!({"action": "submit"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, o) = t
        .post(
            &format!("{base}/decision"),
            &officer,
            json!({"action": "approve"}),
        )
        .await;
    assert_eq!(
        (status, o["status"].as_str()),
        (StatusCode::OK, Some("approved")),
        "{o}"
    );
    let (status, _) = t
        .post(
            &format!("{base}/actions"),
            &school_admin,
            json!({"action": "publish"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut parent = Browser::new(&t);
    parent.login(PARENT, PASSWORD).await;
    let notice = parent
        .get(&format!("/offering/published?term={}", term["id"]))
        .await;
    assert_eq!(notice.status, StatusCode::OK);
    assert!(
        notice.body.contains("少儿编程")
            && notice.body.contains("马晓丽")
            && notice.body.contains("示例编程教育中心"),
        "{}",
        notice.body
    );
    assert!(notice.body.contains("教材费 ¥15.00"));
}
