//! D1: the city bureau keeps course specifications; a price comes from the spec, and a
//! price change applies only to terms that start after it.

use axum::http::StatusCode;
use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::common::*;
use crate::pages::Browser;

async fn spec_id(t: &TestApp, token: &str, code: &str) -> i64 {
    let (_, list) = t.get("/api/v1/course-specs", token).await;
    list["items"]
        .as_array()
        .and_then(|items| items.iter().find(|s| s["code"] == code))
        .and_then(|s| s["id"].as_i64())
        .unwrap_or_else(|| panic!("spec {code}: {list}"))
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

#[tokio::test]
async fn d1_the_city_keeps_specs_and_its_schools_and_institutions_read_them() {
    let t = TestApp::new().await;
    let leader = t.login(CITY_LEADER).await;
    let (status, created) = t
        .post(
            "/api/v1/course-specs",
            &leader,
            json!({"name": "体育专项", "category": "quality", "class_size_min": 10,
                   "class_size_max": 20, "price_unit": "lesson", "price_fen": 3000}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["current_price"]["price_fen"], 3000);
    assert_eq!(created["current_price"]["price"], "30.00");
    assert_eq!(created["valid_from"], "2026-09-01", "today by default");
    let code = created["code"].as_str().expect("code");
    assert!(code.starts_with("GG"), "a code is made: {code}");
    for who in [SCHOOL1_ADMIN, INSTITUTION_ADMIN, STREET_OFFICER, PARENT] {
        let token = t.login(who).await;
        let (status, list) = t.get("/api/v1/course-specs", &token).await;
        assert_eq!(status, StatusCode::OK, "{who}");
        let codes: Vec<&str> = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|s| s["code"].as_str())
            .collect();
        assert!(
            codes.contains(&code) && codes.contains(&"ZS-TG-01"),
            "{who}: {codes:?}"
        );
    }
    let (_, care) = t.get("/api/v1/course-specs?category=care", &leader).await;
    assert_eq!(care["total"], 1);
    assert_eq!(care["items"][0]["price_unit_label"], "每学期");
    assert_eq!(care["items"][0]["current_price"]["price_fen"], 60000);
    assert_eq!(t.audit_count("course_spec.create").await, 1);
}

#[tokio::test]
async fn d1_a_price_change_applies_to_terms_that_start_after_it() {
    let t = TestApp::new().await;
    let leader = t.login(CITY_LEADER).await;
    let id = spec_id(&t, &leader, "ZS-SZ-01").await;
    let price = |d: &str| {
        let (db, start) = (t.app.db.clone(), day(d));
        async move {
            kehou_service::course::spec::price_for_term(&db, id, start)
                .await
                .expect("price")
                .map(|f| f.fen())
        }
    };
    assert_eq!(price("2026-09-01").await, Some(2500), "this autumn");
    assert_eq!(price("2027-02-20").await, Some(2800), "next spring");
    assert_eq!(price("2025-09-01").await, None, "before the spec");
    let path = format!("/api/v1/course-specs/{id}/prices");
    for (body, status, field) in [
        (
            json!({"price_fen": 3000, "effective_from": "2026-09-01"}),
            StatusCode::BAD_REQUEST,
            "effective_from",
        ),
        (
            json!({"price_fen": 3000, "effective_from": "2026-03-01"}),
            StatusCode::BAD_REQUEST,
            "effective_from",
        ),
        (
            json!({"price_fen": 3000}),
            StatusCode::BAD_REQUEST,
            "effective_from",
        ),
        (
            json!({"price_fen": -1, "effective_from": "2027-09-01"}),
            StatusCode::BAD_REQUEST,
            "price_fen",
        ),
        (
            json!({"price_fen": 1_000_001, "effective_from": "2027-09-01"}),
            StatusCode::BAD_REQUEST,
            "price_fen",
        ),
        (
            json!({"price_fen": 3000, "effective_from": "2027-02-20"}),
            StatusCode::CONFLICT,
            "effective_from",
        ),
        (
            json!({"price_fen": 3000, "effective_from": "2027-01-01"}),
            StatusCode::CONFLICT,
            "effective_from",
        ),
    ] {
        let (got, answer) = t.post(&path, &leader, body.clone()).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert_eq!(answer["details"][0]["field"], field, "{body}: {answer}");
    }
    let (status, body) = t
        .post(
            &path,
            &leader,
            json!({"price_fen": 3000, "effective_from": "2027-09-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let froms: Vec<&str> = body["prices"]
        .as_array()
        .expect("prices")
        .iter()
        .filter_map(|p| p["effective_from"].as_str())
        .collect();
    assert_eq!(froms, ["2027-09-01", "2027-02-20", "2026-01-01"]);
    assert_eq!(
        body["current_price"]["price_fen"], 2500,
        "today's price stays"
    );
    assert_eq!(
        price("2026-09-01").await,
        Some(2500),
        "a begun term keeps its price"
    );
    assert_eq!(price("2027-09-01").await, Some(3000));
    assert_eq!(t.audit_count("course_spec.price").await, 1);
}

#[tokio::test]
async fn d1_specs_refuse_bad_input_and_strangers_and_change_nothing() {
    let t = TestApp::new().await;
    let leader = t.login(CITY_LEADER).await;
    let before: Value = t.get("/api/v1/course-specs", &leader).await.1;
    let good = json!({"name": "科技创新", "category": "featured", "class_size_min": 10,
                      "class_size_max": 20, "price_unit": "lesson", "price_fen": 4500});
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    let cases = [
        (with("name", json!("")), StatusCode::BAD_REQUEST, "name"),
        (
            with("name", json!("科技\u{202E}创新")),
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            with("name", json!("名".repeat(51))),
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            with("name", json!("特色课程")),
            StatusCode::CONFLICT,
            "name",
        ),
        (
            with("code", json!("ZS-TG-01")),
            StatusCode::CONFLICT,
            "code",
        ),
        (
            with("code", json!("编码/1")),
            StatusCode::BAD_REQUEST,
            "code",
        ),
        (
            with("category", json!("tutoring")),
            StatusCode::BAD_REQUEST,
            "category",
        ),
        (
            with("price_unit", json!("hour")),
            StatusCode::BAD_REQUEST,
            "price_unit",
        ),
        (
            with("class_size_min", json!(0)),
            StatusCode::BAD_REQUEST,
            "class_size_min",
        ),
        (
            with("class_size_max", json!(201)),
            StatusCode::BAD_REQUEST,
            "class_size_max",
        ),
        (
            with("class_size_max", json!(5)),
            StatusCode::BAD_REQUEST,
            "class_size_max",
        ),
        (
            with("price_fen", json!(-100)),
            StatusCode::BAD_REQUEST,
            "price_fen",
        ),
        (
            with("price_fen", json!(null)),
            StatusCode::BAD_REQUEST,
            "price_fen",
        ),
        (
            with("valid_to", json!("2026-01-01")),
            StatusCode::BAD_REQUEST,
            "valid_to",
        ),
        (
            with("valid_from", json!("2026-13-01")),
            StatusCode::BAD_REQUEST,
            "",
        ),
    ];
    for (body, status, field) in cases {
        let (got, answer) = t.post("/api/v1/course-specs", &leader, body.clone()).await;
        assert_eq!(got, status, "{body}: {answer}");
        if !field.is_empty() {
            assert_eq!(answer["details"][0]["field"], field, "{body}: {answer}");
        }
    }
    // Only a city bureau keeps specs; a school and the street office may not.
    for who in [SCHOOL1_ADMIN, STREET_OFFICER, INSTITUTION_ADMIN] {
        let token = t.login(who).await;
        let (got, _) = t.post("/api/v1/course-specs", &token, good.clone()).await;
        assert_eq!(got, StatusCode::FORBIDDEN, "{who}");
    }
    let id = spec_id(&t, &leader, "ZS-TG-01").await;
    let path = format!("/api/v1/course-specs/{id}");
    for (body, field) in [
        (json!({"category": "quality"}), "category"),
        (json!({"price_unit": "lesson"}), "price_unit"),
        (json!({"price_fen": 100}), "price_fen"),
        (json!({"code": "OTHER"}), "code"),
        (json!({"class_size_min": 60}), "class_size_max"),
    ] {
        let (got, answer) = t.patch(&path, &leader, body.clone()).await;
        assert_eq!(got, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["details"][0]["field"], field, "{body}");
    }
    let admin = t.login(PLATFORM_ADMIN).await;
    let (got, _) = t.patch(&path, &admin, json!({"name": "改名"})).await;
    assert_eq!(got, StatusCode::FORBIDDEN, "only the owner changes a spec");
    let (got, _) = t.get("/api/v1/course-specs/999999", &leader).await;
    assert_eq!(got, StatusCode::NOT_FOUND);
    let (got, _) = t.get("/api/v1/course-specs?category=x", &leader).await;
    assert_eq!(got, StatusCode::BAD_REQUEST);

    assert_eq!(t.get("/api/v1/course-specs", &leader).await.1, before);
    assert_eq!(t.audit_count("course_spec.create").await, 0);
    assert_eq!(t.audit_count("course_spec.update").await, 0);
}

/// The leader adds a spec and changes a price on the pages; refused forms keep the typing.
#[tokio::test]
async fn d1_specs_are_kept_on_pages_of_their_own() {
    let t = TestApp::new().await;
    let mut b = Browser::new(&t);
    b.login(CITY_LEADER, PASSWORD).await;
    let list = b.get("/course-specs").await;
    assert!(list.body.contains("课后托管（校内）") && list.body.contains("¥600.00 每学期"));
    let form = b.get("/course-specs/new").await;
    let csrf = Browser::csrf(&form);
    let mut fields = vec![
        ("_csrf", csrf.as_str()),
        ("name", "书法专项"),
        ("category", "featured"),
        ("class_size_min", "8"),
        ("class_size_max", "16"),
        ("price_unit", "lesson"),
        ("price", "四十"),
    ];
    let refused = b.post("/course-specs", &fields).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("金额应为数字"));
    assert!(refused.body.contains(r#"value="书法专项""#));
    fields.retain(|(k, _)| *k != "price");
    fields.push(("price", "45.5"));
    let created = b.post("/course-specs", &fields).await;
    assert!(created.status.is_redirection(), "{}", created.status);
    let page = b.get(&created.location).await;
    assert!(page.body.contains("¥45.50 每课时"), "{}", page.location);
    let id = created
        .location
        .trim_start_matches("/course-specs/")
        .split('?')
        .next()
        .expect("id")
        .to_string();
    let price_page = b.get(&format!("/course-specs/{id}/price")).await;
    assert_eq!(price_page.status, StatusCode::OK);
    let refused = b
        .post(
            &format!("/course-specs/{id}/prices"),
            &[
                ("_csrf", &csrf),
                ("price", "50"),
                ("effective_from", "2026-08-01"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("须在今天之后"));
    let done = b
        .post(
            &format!("/course-specs/{id}/prices"),
            &[
                ("_csrf", &csrf),
                ("price", "50"),
                ("effective_from", "2027-02-20"),
            ],
        )
        .await;
    assert!(done.status.is_redirection());
    let page = b.get(&format!("/course-specs/{id}")).await;
    assert!(page.body.contains("2027-02-20") && page.body.contains("¥50.00"));
    // A school admin reads specs but has no forms.
    let mut s = Browser::new(&t);
    s.login(SCHOOL1_ADMIN, PASSWORD).await;
    let page = s.get(&format!("/course-specs/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("/price\""));
    assert_eq!(
        s.get("/course-specs/new").await.status,
        StatusCode::FORBIDDEN
    );
}
