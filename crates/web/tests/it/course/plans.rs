//! D4: course plans for the whole school or a grade, several per term, one enabled per
//! grade, in one of two modes; lines per offered course and grade; exported and imported
//! as .xlsx with row errors; past terms unchanged.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use crate::common::*;
use crate::import::imports::xlsx;

async fn term(t: &TestApp, token: &str, school: i64, year: &str) -> i64 {
    let (_, list) = t
        .get(&format!("/api/v1/schools/{school}/terms"), token)
        .await;
    list["items"]
        .as_array()
        .and_then(|items| items.iter().find(|x| x["school_year"] == year))
        .and_then(|x| x["id"].as_i64())
        .unwrap_or_else(|| panic!("term {year}"))
}

pub async fn raw(
    t: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Vec<u8>) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(
            header::CONTENT_TYPE,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        .body(Body::from(bytes))
        .expect("request");
    let res = t.request(req).await;
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), 10 << 20)
        .await
        .expect("body");
    (status, body.to_vec())
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

const HEADERS: &[&str] = &["课程", "年级", "班数", "每班人数", "每周课时"];

#[tokio::test]
async fn d4_course_plans_are_kept_enabled_one_per_grade_exported_and_imported() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let current = term(&t, &admin, school, "2026-2027").await;
    let base = format!("/api/v1/schools/{school}/terms/{current}/plans");
    let (_, offering) = t
        .get(
            &format!("/api/v1/schools/{school}/terms/{current}/offering"),
            &admin,
        )
        .await;
    let item = |name: &str| -> i64 {
        offering["items"]
            .as_array()
            .and_then(|items| items.iter().find(|i| i["name"] == name))
            .and_then(|i| i["id"].as_i64())
            .unwrap_or_else(|| panic!("item {name}"))
    };

    // A whole-school plan, enabled; a grade plan enabled after it takes grade 3 over.
    let (status, whole) = t
        .post(
            &base,
            &admin,
            json!({"name": "全校方案", "mode": "schedule_first", "enabled": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{whole}");
    assert_eq!(
        (whole["scope_label"].as_str(), whole["enabled"].as_bool()),
        (Some("全校"), Some(true))
    );
    let whole_id = whole["id"].as_i64().unwrap_or_default();
    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "x", "grade": 13}), "grade"),
        (json!({"name": "x", "mode": "later"}), "mode"),
        (json!({"name": "a\u{202E}b"}), "name"),
    ] {
        let (status, err) = t.post(&base, &admin, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {err}");
        assert_eq!(err["details"][0]["field"], field);
    }
    let (status, _) = t.post(&base, &admin, json!({"name": "全校方案"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "one name per term");
    let (status, grade3) = t
        .post(
            &base,
            &admin,
            json!({"name": "三年级方案", "grade": 3, "mode": "enroll_first", "enabled": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{grade3}");
    assert_eq!(grade3["mode_label"], "先选课报名，后调整排课，再分班");
    let grade3_id = grade3["id"].as_i64().unwrap_or_default();
    let (_, whole) = t.get(&format!("{base}/{whole_id}"), &admin).await;
    assert_eq!(
        whole["enabled"], false,
        "the whole-school plan covers grade 3 too"
    );
    let (status, _) = t
        .patch(&format!("{base}/{grade3_id}"), &admin, json!({"grade": 4}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the scope stays");

    // Lines: an offered course, a grade it is offered to, bounded numbers.
    let lines = format!("{base}/{grade3_id}/lines");
    let line = |id: i64, grade: i64| json!({"item_id": id, "grade": grade, "classes": 2, "class_size": 30, "weekly_lessons": 2});
    let (status, v) = t.post(&lines, &admin, line(item("篮球"), 3)).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["places"], 60);
    for (body, field) in [
        (line(999999, 3), "item_id"),
        (line(item("篮球"), 4), "grade"),
        (
            json!({"item_id": item("篮球"), "grade": 3, "classes": 0, "class_size": 30, "weekly_lessons": 2}),
            "classes",
        ),
        (
            json!({"item_id": item("篮球"), "grade": 3, "classes": 1, "class_size": 500, "weekly_lessons": 2}),
            "class_size",
        ),
        (
            json!({"item_id": item("篮球"), "grade": 3, "classes": 1, "class_size": 30}),
            "weekly_lessons",
        ),
    ] {
        let (status, err) = t.post(&lines, &admin, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {err}");
        assert_eq!(err["details"][0]["field"], field, "{err}");
    }
    let (status, err) = t
        .post(
            &format!("{base}/{whole_id}/lines"),
            &admin,
            line(item("钢琴启蒙"), 5),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "钢琴启蒙 is for 一至三年级: {err}"
    );
    assert_eq!(err["details"][0]["field"], "grade");
    let (status, v) = t.post(&lines, &admin, line(item("钢琴启蒙"), 3)).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["lines"].as_array().map(Vec::len), Some(2));

    // Export: what comes out reads back, and names nothing but courses and numbers.
    let (status, bytes) = raw(
        &t,
        "GET",
        &format!("{base}/{grade3_id}/export"),
        &admin,
        Vec::new(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let rows = workbook_rows(&bytes);
    assert_eq!(
        rows[0],
        HEADERS.iter().map(|h| h.to_string()).collect::<Vec<_>>()
    );
    assert!(
        rows.contains(&row(&["篮球", "三年级", "2", "30", "2"])),
        "{rows:?}"
    );
    assert_eq!(rows.len(), 3);

    // Import into the whole-school plan: bad rows named by row and column.
    let book = xlsx(
        HEADERS,
        &[
            row(&["篮球", "三年级", "3", "25", "2"]),
            row(&["合唱", "五年级", "1", "40", "1"]),
            row(&["不存在的课", "三年级", "1", "20", "1"]),
            row(&["篮球", "十三年级", "1", "20", "1"]),
            row(&["合唱", "五年级", "x", "40", "1"]),
            row(&["篮球", "三年级", "1", "20", "1"]),
        ],
    );
    let import = format!("{base}/{whole_id}/import");
    let (status, out) = raw(&t, "POST", &import, &admin, book.clone()).await;
    let out: Value = serde_json::from_slice(&out).unwrap_or_default();
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["committed"], false, "all or nothing: {out}");
    let columns: Vec<(u64, String)> = out["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["row"].as_u64().unwrap_or(0),
                e["column"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert!(columns.contains(&(4, "课程".into())), "{columns:?}");
    assert!(columns.contains(&(5, "年级".into())), "{columns:?}");
    assert!(columns.contains(&(6, "班数".into())), "{columns:?}");
    assert!(
        columns.contains(&(7, "课程".into())),
        "a repeat of row 2: {columns:?}"
    );
    let (_, whole) = t.get(&format!("{base}/{whole_id}"), &admin).await;
    assert_eq!(
        whole["lines"].as_array().map(Vec::len),
        Some(0),
        "nothing written"
    );
    let (status, out) = raw(
        &t,
        "POST",
        &format!("{import}?mode=good_rows"),
        &admin,
        book,
    )
    .await;
    let out: Value = serde_json::from_slice(&out).unwrap_or_default();
    assert_eq!(
        (status, out["created"].as_u64(), out["skipped"].as_u64()),
        (StatusCode::OK, Some(2), Some(4)),
        "{out}"
    );
    // Hostile files: not a workbook, empty, a renamed column.
    for bad in [
        b"PK\x03\x04not really".to_vec(),
        Vec::new(),
        xlsx(
            &["课程", "年级", "班级数"],
            &[row(&["篮球", "三年级", "1"])],
        ),
    ] {
        let (status, out) = raw(&t, "POST", &import, &admin, bad).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{}",
            String::from_utf8_lossy(&out)
        );
    }

    // Another school's admin and a teacher change nothing; a past term is history.
    let (status, _) = t
        .post(&lines, &t.login(SCHOOL2_ADMIN).await, line(item("篮球"), 3))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = t
        .post(&lines, &t.login(TEACHER).await, line(item("篮球"), 3))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let last = term(&t, &admin, school, "2025-2026").await;
    let (status, _) = t
        .post(
            &format!("/api/v1/schools/{school}/terms/{last}/plans"),
            &admin,
            json!({"name": "补记"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}
