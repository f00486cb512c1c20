//! D6, D11, D8: institutions and schools keep their courses (price from a spec, class
//! size within its band, syllabus, materials); they submit courses and teachers to a
//! bureau's library, whose expert reviewers admit or reject them.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::*;
use crate::institution::institution_id;

pub async fn spec_id(t: &TestApp, token: &str, code: &str) -> i64 {
    let (_, list) = t.get("/api/v1/course-specs", token).await;
    list["items"]
        .as_array()
        .and_then(|items| items.iter().find(|s| s["code"] == code))
        .and_then(|s| s["id"].as_i64())
        .unwrap_or_else(|| panic!("spec {code}"))
}

fn course(spec: i64, name: &str) -> Value {
    json!({"name": name, "spec_id": spec, "intro": "第一行\n第二行", "grades": [3, 4],
           "class_size_min": 10, "class_size_max": 20, "lesson_count": 12, "lesson_minutes": 60,
           "chapters": [{"number": 2, "name": "线条"}, {"number": 1, "name": "笔墨"}],
           "materials": [{"name": "宣纸", "description": "四尺三开", "quantity": 20}]})
}

async fn course_count(t: &TestApp, token: &str) -> usize {
    let (_, list) = t.get("/api/v1/courses", token).await;
    list["items"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn d6_d11_an_institution_keeps_its_courses_with_syllabus_and_materials() {
    let t = TestApp::new().await;
    let admin = t.login(INSTITUTION_ADMIN).await;
    let featured = spec_id(&t, &admin, "ZS-TS-01").await;
    let before = course_count(&t, &admin).await;
    assert_eq!(before, 4, "the demo's four courses");

    let (status, c) = t
        .post("/api/v1/courses", &admin, course(featured, "水彩画"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert_eq!(c["category"], "featured", "the spec's category");
    assert_eq!(c["current_price"], "40.00");
    assert_eq!(c["chapters"][0]["name"], "笔墨", "sorted by number");
    assert_eq!(c["materials"][0]["quantity"], 20);
    assert_eq!(c["intro"], "第一行\n第二行", "line breaks are kept");
    assert_eq!(c["grade_names"], "三年级、四年级");
    let id = c["id"].as_i64().unwrap_or_default();

    // Bad input: each a clear error, nothing stored.
    let bad = [
        (json!({"spec_id": null}), "spec_id"),
        (json!({"spec_id": 999999}), "spec_id"),
        (json!({"class_size_max": 40}), "class_size_max"),
        (json!({"class_size_min": 5}), "class_size_min"),
        (json!({"grades": []}), "grades"),
        (json!({"grades": [13]}), "grades"),
        (json!({"name": "画\u{202E}画"}), "name"),
        (json!({"name": "长".repeat(51)}), "name"),
        (json!({"intro": "a\u{0007}b"}), "intro"),
        (json!({"lesson_count": 0}), "lesson_count"),
        (json!({"lesson_minutes": 500}), "lesson_minutes"),
        (json!({"category": "care"}), "category"),
        (
            json!({"chapters": [{"number": 1, "name": "a"}, {"number": 1, "name": "b"}]}),
            "chapters.1",
        ),
        (
            json!({"materials": [{"name": "纸", "quantity": 0}]}),
            "materials.0",
        ),
    ];
    for (change, field) in bad {
        let mut body = course(featured, "新课程");
        for (k, v) in change.as_object().into_iter().flatten() {
            body[k] = v.clone();
        }
        let (status, err) = t.post("/api/v1/courses", &admin, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {err}");
        assert_eq!(err["details"][0]["field"], field, "{err}");
    }
    let (status, _) = t
        .post("/api/v1/courses", &admin, course(featured, "水彩画"))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "one name per institution");
    assert_eq!(course_count(&t, &admin).await, before + 1);

    // A change replaces the syllabus; the school cannot touch it.
    let (status, c) = t
        .patch(
            &format!("/api/v1/courses/{id}"),
            &admin,
            json!({"chapters": [{"number": 1, "name": "调色"}], "lesson_count": 10}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["chapters"].as_array().map(Vec::len), Some(1));
    assert_eq!(c["materials"][0]["name"], "宣纸", "absent lists stay");
    let school = t.login(SCHOOL1_ADMIN).await;
    let (status, _) = t
        .patch(
            &format!("/api/v1/courses/{id}"),
            &school,
            json!({"lesson_count": 8}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another's course");
    let (status, _) = t
        .post(
            "/api/v1/courses",
            &t.login(TEACHER).await,
            course(featured, "x"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a teacher keeps no courses");

    // The bureau reads the institution's courses; another school's admin does not.
    let art = institution_id(&t, "示例艺术培训中心").await;
    let city = t.login(CITY_LEADER).await;
    let (status, list) = t
        .get(&format!("/api/v1/institutions/{art}/courses"), &city)
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 5);
    let (status, _) = t
        .get(&format!("/api/v1/institutions/{art}/courses"), &school)
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "schools choose from their offering's list"
    );
}

#[tokio::test]
async fn d8_courses_and_teachers_are_admitted_to_a_library_by_its_reviewers() {
    let t = TestApp::new().await;
    let admin = t.login(INSTITUTION_ADMIN).await;
    let city = t.org_id("示例市教育和体育局").await;
    let shiqi = t.org_id("石岐街道").await;
    let featured = spec_id(&t, &admin, "ZS-TS-01").await;
    let (_, c) = t
        .post("/api/v1/courses", &admin, course(featured, "水彩画"))
        .await;
    let id = c["id"].as_i64().unwrap_or_default();
    let entries_before = t.audit_count("library.decide").await;

    // Only a bureau above the institution's own; only its own course.
    let submit = |bureau: i64, subject: i64| json!({"kind": "course", "subject_id": subject, "bureau_id": bureau});
    let (status, err) = t.post("/api/v1/library", &admin, submit(shiqi, id)).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "石岐街道 is not above it: {err}"
    );
    let school = t.login(SCHOOL1_ADMIN).await;
    let (status, _) = t.post("/api/v1/library", &school, submit(city, id)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not the school's course");
    let (status, err) = t
        .post("/api/v1/library", &admin, json!({"kind": "book"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");

    let (status, entry) = t.post("/api/v1/library", &admin, submit(city, id)).await;
    assert_eq!(status, StatusCode::OK, "{entry}");
    assert_eq!(entry["status"], "submitted");
    let entry_id = entry["id"].as_i64().unwrap_or_default();
    let (status, _) = t.post("/api/v1/library", &admin, submit(city, id)).await;
    assert_eq!(status, StatusCode::CONFLICT, "waiting already");

    // The expert reviewer decides; a rejection needs a comment.
    let decision = format!("/api/v1/library/{entry_id}/decision");
    let (status, _) = t.post(&decision, &admin, json!({"action": "admit"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the owner does not review");
    let officer = t.login(STREET_OFFICER).await;
    let (status, _) = t
        .post(&decision, &officer, json!({"action": "admit"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an officer is no reviewer");
    let expert = t.login(EXPERT_REVIEWER).await;
    let (status, err) = t
        .post(&decision, &expert, json!({"action": "reject"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(err["details"][0]["field"], "comment");
    let (status, err) = t
        .post(&decision, &expert, json!({"action": "resubmit"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(
        t.audit_count("library.decide").await,
        entries_before,
        "nothing decided"
    );
    let (status, e) = t
        .post(
            &decision,
            &expert,
            json!({"action": "reject", "comment": "课程大纲不完整"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(e["status"], "rejected");
    let (status, _) = t.post(&decision, &expert, json!({"action": "admit"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "rejected is not waiting");
    // The owner reads why, sends it again, and it is admitted.
    let (_, c) = t.get(&format!("/api/v1/courses/{id}"), &admin).await;
    assert_eq!(c["library"][0]["comment"], "课程大纲不完整");
    let (status, e) = t.post("/api/v1/library", &admin, submit(city, id)).await;
    assert_eq!(
        (status, e["status"].as_str()),
        (StatusCode::OK, Some("submitted"))
    );
    let (status, e) = t.post(&decision, &expert, json!({"action": "admit"})).await;
    assert_eq!(
        (status, e["status"].as_str()),
        (StatusCode::OK, Some("admitted"))
    );
    let (status, _) = t.post(&decision, &expert, json!({"action": "admit"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "admitted once");

    // A school below the city sees what the city admitted; others' submissions it does not.
    let (_, seen) = t
        .get("/api/v1/library?status=admitted&kind=course", &school)
        .await;
    assert!(names_of(&seen).contains(&"水彩画".to_string()), "{seen}");
    let (_, waiting) = t.get("/api/v1/library?status=submitted", &school).await;
    assert_eq!(waiting["total"], 0);
    // The demo's teachers are in the teacher library.
    let (_, teachers) = t.get("/api/v1/library?kind=teacher", &admin).await;
    assert_eq!(teachers["total"], 3, "{teachers}");
}

fn names_of(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["subject_name"].as_str().map(String::from))
        .collect()
}
