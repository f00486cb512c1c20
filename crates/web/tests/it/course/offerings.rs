//! D1, D2, D7, D9, D12: a school builds its term offering from its own courses and admitted
//! institutions' (taught by teachers dispatched for the term), prices taken from the specs
//! on the term's first day, with fees, care days and series parts; copies last term's;
//! submits it; the bureau approves (refusing some courses) or rejects; the school
//! publishes it and parents read the notice. Past terms never change.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::courses::spec_id;
use crate::common::*;
use crate::institution::institution_id;

async fn term_ids(t: &TestApp, token: &str, school: i64) -> Vec<(i64, String)> {
    let (_, list) = t
        .get(&format!("/api/v1/schools/{school}/terms"), token)
        .await;
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| {
            (
                x["id"].as_i64().unwrap_or_default(),
                x["school_year"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn item<'a>(o: &'a Value, name: &str) -> &'a Value {
    o["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["name"] == name))
        .unwrap_or_else(|| panic!("item {name}: {o}"))
}

async fn course_id(t: &TestApp, token: &str, name: &str) -> i64 {
    let (_, list) = t.get("/api/v1/courses", token).await;
    list["items"]
        .as_array()
        .and_then(|items| items.iter().find(|c| c["name"] == name))
        .and_then(|c| c["id"].as_i64())
        .unwrap_or_else(|| panic!("course {name}"))
}

#[tokio::test]
async fn d1_d9_a_term_offering_is_built_approved_and_published() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let art = institution_id(&t, "示例艺术培训中心").await;

    // The demo's current term is published with 12 courses, last term's kept.
    let terms = term_ids(&t, &admin, school).await;
    let current = terms
        .iter()
        .find(|(_, y)| y == "2026-2027")
        .map(|(id, _)| *id)
        .unwrap_or_default();
    let last = terms
        .iter()
        .find(|(_, y)| y == "2025-2026")
        .map(|(id, _)| *id)
        .unwrap_or_default();
    let (status, o) = t
        .get(
            &format!("/api/v1/schools/{school}/terms/{current}/offering"),
            &admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert_eq!(o["status"], "published");
    assert_eq!(o["items"].as_array().map(Vec::len), Some(12));
    assert_eq!(item(&o, "少儿国画")["source"], "institution");
    assert_eq!(item(&o, "少儿国画")["textbook_fee_fen"], 6000);
    assert_eq!(item(&o, "篮球")["price_fen"], 2500);
    assert_eq!(
        item(&o, "课后托管（午托）")["care_days"],
        json!([1, 2, 3, 4, 5])
    );
    assert_eq!(
        item(&o, "体艺系列课")["parts"],
        json!(["跳绳", "踢毽子", "乒乓球"])
    );

    // Last term is history: nothing about it changes.
    let base = format!("/api/v1/schools/{school}/terms/{last}/offering");
    let (_, history) = t.get(&base, &admin).await;
    assert_eq!(
        (history["past"].as_bool(), history["status"].as_str()),
        (Some(true), Some("published"))
    );
    let basketball = course_id(&t, &admin, "篮球").await;
    for (method, path, body) in [
        (
            Method::POST,
            format!("{base}/items"),
            json!({"course_id": basketball}),
        ),
        (Method::POST, format!("{base}/copy"), json!({})),
        (
            Method::POST,
            format!("{base}/actions"),
            json!({"action": "submit"}),
        ),
        (
            Method::DELETE,
            format!("{base}/items/{}", history["items"][0]["id"]),
            json!({}),
        ),
    ] {
        let (status, err) = t.api(method, &path, Some(&admin), Some(body)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{path}: {err}");
    }

    // A new term starts from the current one; the spring price of the standard spec is ¥28.
    let (status, term) = t
        .post(
            &format!("/api/v1/schools/{school}/terms"),
            &admin,
            json!({"school_year": "2026-2027", "name": "第二学期", "start_date": "2027-02-22", "end_date": "2027-07-02"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{term}");
    let spring = term["id"].as_i64().unwrap_or_default();
    let base = format!("/api/v1/schools/{school}/terms/{spring}/offering");
    let (_, empty) = t.get(&base, &admin).await;
    assert_eq!(
        (empty["status"].as_str(), empty["editable"].as_bool()),
        (Some("draft"), Some(true))
    );
    let (status, copied) = t.post(&format!("{base}/copy"), &admin, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{copied}");
    let o = &copied["offering"];
    assert_eq!(
        o["items"].as_array().map(Vec::len),
        Some(8),
        "own courses: {copied}"
    );
    assert_eq!(
        copied["left_out"].as_array().map(Vec::len),
        Some(4),
        "no dispatch for spring yet"
    );
    assert_eq!(
        item(o, "篮球")["price_fen"],
        2800,
        "the spec's price on 2027-02-22"
    );
    assert_eq!(item(o, "科学实验")["textbook_fee_fen"], 3000);
    let (status, _) = t.post(&format!("{base}/copy"), &admin, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "the term has courses");

    // An institution course needs its teacher dispatched for the term.
    let painting = course_id(&t, &t.login(INSTITUTION_ADMIN).await, "少儿国画").await;
    let inst = t.login(INSTITUTION_ADMIN).await;
    let (_, teachers) = t
        .get(&format!("/api/v1/institutions/{art}/teachers"), &inst)
        .await;
    let he = teachers["items"]
        .as_array()
        .and_then(|items| items.iter().find(|x| x["name"] == "何雅琴"))
        .and_then(|x| x["id"].as_i64())
        .unwrap_or_default();
    let add = |extra: Value| {
        let mut b = json!({"course_id": painting, "teacher_ids": [he], "textbook_fee_fen": 6000});
        for (k, v) in extra.as_object().into_iter().flatten() {
            b[k] = v.clone();
        }
        b
    };
    let items_path = format!("{base}/items");
    let (status, err) = t.post(&items_path, &admin, add(json!({}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(err["details"][0]["field"], "teacher_ids", "{err}");
    let (status, d) = t
        .post(
            &format!("/api/v1/institutions/{art}/dispatches"),
            &inst,
            json!({"teacher_id": he, "school_id": school, "starts_on": "2027-02-22", "ends_on": "2027-06-30", "course_types": ["featured"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    // Bad input: each refused, nothing added.
    let care = spec_id(&t, &admin, "ZS-TG-01").await;
    let _ = care;
    for (extra, field) in [
        (json!({"price_fen": 100}), "price_fen"),
        (json!({"textbook_fee_fen": -1}), "textbook_fee_fen"),
        (json!({"misc_fee_fen": 300000}), "misc_fee_fen"),
        (json!({"grades": [1]}), "grades"),
        (json!({"capacity": 0}), "capacity"),
        (json!({"care_time": "noon", "care_days": [1]}), "care_time"),
        (json!({"parts": ["只有一个"]}), "parts"),
        (json!({"parts": ["甲", "甲"]}), "parts.1"),
        (json!({"staff_ids": [1]}), "staff_ids"),
    ] {
        let (status, err) = t.post(&items_path, &admin, add(extra.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{extra}: {err}");
        assert_eq!(err["details"][0]["field"], field, "{extra}: {err}");
    }
    let (status, added) = t.post(&items_path, &admin, add(json!({}))).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["price_fen"], 4000);
    assert_eq!(added["teacher_names"], "何雅琴");
    let (status, _) = t.post(&items_path, &admin, add(json!({}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "once per term");

    // The city offers only admitted institution courses: a new one is refused until admitted.
    let featured = spec_id(&t, &inst, "ZS-TS-01").await;
    let (_, fresh) = t
        .post(
            "/api/v1/courses",
            &inst,
            json!({"name": "水彩画", "spec_id": featured, "grades": [3], "class_size_min": 10,
                   "class_size_max": 20, "lesson_count": 10, "lesson_minutes": 60}),
        )
        .await;
    let (status, err) = t
        .post(
            &items_path,
            &admin,
            json!({"course_id": fresh["id"], "teacher_ids": [he]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert!(
        err["details"][0]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("入库"),
        "{err}"
    );

    // Submitted, it is frozen; published only after approval.
    let actions = format!("{base}/actions");
    let (status, _) = t.post(&actions, &admin, json!({"action": "publish"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "approval first");
    let (status, o) = t.post(&actions, &admin, json!({"action": "submit"})).await;
    assert_eq!(
        (status, o["status"].as_str()),
        (StatusCode::OK, Some("submitted"))
    );
    let (status, _) = t
        .post(&items_path, &admin, json!({"course_id": basketball}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "frozen while submitted");

    // The street officer approves, refusing one course with its reason.
    let decision = format!("{base}/decision");
    let (status, _) = t
        .post(&decision, &admin, json!({"action": "approve"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a school does not approve");
    let officer = t.login(STREET_OFFICER).await;
    let refused = item(&o, "英语绘本")["id"].clone();
    let (status, err) = t
        .post(&decision, &officer, json!({"action": "reject"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a reason: {err}");
    let (status, err) = t
        .post(
            &decision,
            &officer,
            json!({"action": "approve", "refused": [{"item_id": 999999, "reason": "x"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    let (status, o) = t
        .post(&decision, &officer, json!({"action": "approve", "refused": [{"item_id": refused, "reason": "与校本课程重复"}]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert_eq!(o["status"], "approved");
    assert_eq!(item(&o, "英语绘本")["status"], "rejected");
    assert_eq!(item(&o, "英语绘本")["reason"], "与校本课程重复");
    assert_eq!(item(&o, "篮球")["status"], "approved");
    let (status, _) = t
        .post(&decision, &officer, json!({"action": "approve"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "approved once");
    // Another street's officer does not see the school.
    let (status, _) = t
        .post(
            &decision,
            &t.login(SCHOOL2_ADMIN).await,
            json!({"action": "approve"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Published: parents read the approved courses only.
    let (status, o) = t.post(&actions, &admin, json!({"action": "publish"})).await;
    assert_eq!(
        (status, o["status"].as_str()),
        (StatusCode::OK, Some("published"))
    );
    let parent = t.login(PARENT).await;
    let (status, notice) = t.get(&format!("{base}/published"), &parent).await;
    assert_eq!(status, StatusCode::OK, "{notice}");
    let names: Vec<&str> = notice["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["name"].as_str())
        .collect();
    assert!(
        names.contains(&"少儿国画") && !names.contains(&"英语绘本"),
        "{names:?}"
    );
    let (status, _) = t.get(&base, &parent).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the working offering is the school's"
    );
    let (status, _) = t
        .post(&actions, &admin, json!({"action": "withdraw"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "published is final");

    // The bureau lists what waits and what is published.
    let (_, list) = t.get("/api/v1/offerings?status=published", &officer).await;
    assert!(list["total"].as_u64().unwrap_or(0) >= 3, "{list}");
    let (status, _) = t.get("/api/v1/offerings?status=nope", &officer).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn d9_a_bureau_without_approval_lets_schools_publish_directly() {
    let t = TestApp::new().await;
    let city = t.login(CITY_LEADER).await;
    let (status, p) = t.get("/api/v1/course-policy", &city).await;
    assert_eq!(
        (status, p["needs_approval"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    let (status, _) = t
        .put(
            "/api/v1/course-policy",
            &t.login(SCHOOL1_ADMIN).await,
            json!({"only_admitted": false, "needs_approval": false}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = t
        .put(
            "/api/v1/course-policy",
            &city,
            json!({"only_admitted": false}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, p) = t
        .put(
            "/api/v1/course-policy",
            &city,
            json!({"only_admitted": false, "needs_approval": false}),
        )
        .await;
    assert_eq!(
        (status, p["needs_approval"].as_bool()),
        (StatusCode::OK, Some(false))
    );

    let school = t.org_id("示例第二小学").await;
    let admin = t.login(SCHOOL2_ADMIN).await;
    let (_, term) = t
        .post(
            &format!("/api/v1/schools/{school}/terms"),
            &admin,
            json!({"school_year": "2026-2027", "name": "第二学期", "start_date": "2027-02-22", "end_date": "2027-07-02"}),
        )
        .await;
    let base = format!("/api/v1/schools/{school}/terms/{}/offering", term["id"]);
    let (status, _) = t
        .post(
            &format!("{base}/actions"),
            &admin,
            json!({"action": "publish"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing to publish");
    let (status, copied) = t.post(&format!("{base}/copy"), &admin, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{copied}");
    let (status, o) = t
        .post(
            &format!("{base}/actions"),
            &admin,
            json!({"action": "publish"}),
        )
        .await;
    assert_eq!(
        (status, o["status"].as_str()),
        (StatusCode::OK, Some("published")),
        "{o}"
    );
    assert!(
        o["items"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|i| i["status"] == "approved")
    );
}
