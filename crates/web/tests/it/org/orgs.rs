use axum::http::StatusCode;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn a2_jurisdiction_is_the_whole_subtree() {
    let t = TestApp::new().await;
    let leader = t.login(CITY_LEADER).await;
    let (status, body) = t.get("/api/v1/orgs?page_size=100", &leader).await;
    assert_eq!(status, StatusCode::OK);
    let mut seen = names(&body);
    seen.sort();
    let mut expected = vec![
        "示例市教育和体育局",
        "石岐街道",
        "东区街道",
        "示例第一小学",
        "示例第二小学",
        "示例实验中学",
        "示例艺术培训中心",
        "示例科创教育中心",
    ];
    expected.sort();
    assert_eq!(seen, expected);
    assert_eq!(body["total"], 8);

    let officer = t.login(STREET_OFFICER).await;
    let (_, body) = t.get("/api/v1/orgs", &officer).await;
    let mut seen = names(&body);
    seen.sort();
    let mut expected = vec![
        "示例第一小学",
        "示例第二小学",
        "石岐街道",
        "示例科创教育中心",
    ];
    expected.sort();
    assert_eq!(seen, expected);
    let middle = t.org_id("示例实验中学").await;
    assert_eq!(
        t.get(&format!("/api/v1/orgs/{middle}"), &officer).await.0,
        StatusCode::NOT_FOUND,
        "another street's school"
    );

    let school_admin = t.login(SCHOOL1_ADMIN).await;
    let school2 = t.org_id("示例第二小学").await;
    let (status, body) = t
        .get(&format!("/api/v1/orgs/{school2}"), &school_admin)
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert_eq!(
        t.get("/api/v1/orgs/999999", &school_admin).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.get("/api/v1/orgs/abc", &school_admin).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a2_list_filters_and_pages() {
    let t = TestApp::new().await;
    let leader = t.login(CITY_LEADER).await;
    let (_, body) = t.get("/api/v1/orgs?kind=school", &leader).await;
    assert_eq!(body["total"], 3);
    let (_, body) = t
        .get(&format!("/api/v1/orgs?q={}", urlencode("第二")), &leader)
        .await;
    assert_eq!(names(&body), vec!["示例第二小学"]);
    let (_, body) = t.get("/api/v1/orgs?page=2&page_size=3", &leader).await;
    assert_eq!(
        (
            body["total"].as_i64(),
            body["items"].as_array().map(Vec::len),
            body["page"].as_i64()
        ),
        (Some(8), Some(3), Some(2))
    );
    for bad in [
        "page=0",
        "page_size=0",
        "page_size=101",
        "page=x",
        "kind=club",
        "active=maybe",
    ] {
        let (status, body) = t.get(&format!("/api/v1/orgs?{bad}"), &leader).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_input")),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn a2_create_within_jurisdiction_following_the_tree_rules() {
    let t = TestApp::new().await;
    let officer = t.login(STREET_OFFICER).await;
    let shiqi = t.org_id("石岐街道").await;
    let east = t.org_id("东区街道").await;
    let school1 = t.org_id("示例第一小学").await;
    let (status, created) = t.post("/api/v1/orgs", &officer, json!({"parent_id": shiqi, "kind": "school", "name": "示例第三小学", "region_code": "442000001"})).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["parent_name"], "石岐街道");
    assert_eq!(created["type_label"], "学校");
    assert_eq!(
        t.get("/api/v1/orgs?kind=school", &officer).await.1["total"],
        3
    );
    assert!(t.audit_count("org.create").await >= 1);

    let before = t
        .get("/api/v1/orgs?page_size=100", &t.login(PLATFORM_ADMIN).await)
        .await
        .1["total"]
        .clone();
    let cases = [
        (
            json!({"parent_id": east, "kind": "school", "name": "越界学校"}),
            "parent_id",
        ),
        (
            json!({"parent_id": school1, "kind": "school", "name": "校中校"}),
            "kind",
        ),
        (
            json!({"parent_id": shiqi, "kind": "bureau", "level": "district", "name": "倒挂区局"}),
            "kind",
        ),
        (
            json!({"parent_id": shiqi, "kind": "bureau", "name": "无级别"}),
            "level",
        ),
        (
            json!({"parent_id": shiqi, "kind": "school", "level": "city", "name": "有级别学校"}),
            "level",
        ),
        (
            json!({"parent_id": shiqi, "kind": "club", "name": "未知类型"}),
            "kind",
        ),
        (
            json!({"parent_id": shiqi, "kind": "school", "name": ""}),
            "name",
        ),
        (
            json!({"parent_id": shiqi, "kind": "school", "name": "学".repeat(101)}),
            "name",
        ),
        (
            json!({"parent_id": shiqi, "kind": "school", "name": "区划错", "region_code": "44A"}),
            "region_code",
        ),
        (json!({"kind": "school", "name": "无上级"}), "parent_id"),
        (
            json!({"parent_id": 999999, "kind": "school", "name": "上级不存在"}),
            "parent_id",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = t.post("/api/v1/orgs", &officer, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {answer}");
        assert!(
            answer["details"]
                .as_array()
                .expect("details")
                .iter()
                .any(|d| d["field"] == field),
            "{body} → {answer}"
        );
    }
    assert_eq!(
        t.get("/api/v1/orgs?page_size=100", &t.login(PLATFORM_ADMIN).await)
            .await
            .1["total"],
        before,
        "nothing was created"
    );

    // A school administrator may view but not create.
    let school_admin = t.login(SCHOOL1_ADMIN).await;
    let (status, body) = t
        .post(
            "/api/v1/orgs",
            &school_admin,
            json!({"parent_id": school1, "kind": "school", "name": "x"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
}

#[tokio::test]
async fn a2_sql_looking_names_are_stored_literally() {
    let t = TestApp::new().await;
    let officer = t.login(STREET_OFFICER).await;
    let shiqi = t.org_id("石岐街道").await;
    let name = "Robert'); DROP TABLE orgs;--";
    let (status, created) = t
        .post(
            "/api/v1/orgs",
            &officer,
            json!({"parent_id": shiqi, "kind": "school", "name": name}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, fetched) = t
        .get(&format!("/api/v1/orgs/{}", created["id"]), &officer)
        .await;
    assert_eq!(fetched["name"], name);
    assert_eq!(
        t.get(
            &format!("/api/v1/orgs?q={}", urlencode("DROP TABLE")),
            &officer
        )
        .await
        .1["total"],
        1
    );
}

#[tokio::test]
async fn a2_edit_move_and_deactivate() {
    let t = TestApp::new().await;
    let leader = t.login(CITY_LEADER).await;
    let officer = t.login(STREET_OFFICER).await;
    let school2 = t.org_id("示例第二小学").await;
    let east = t.org_id("东区街道").await;
    let shiqi = t.org_id("石岐街道").await;

    let (status, body) = t
        .patch(
            &format!("/api/v1/orgs/{school2}"),
            &officer,
            json!({"name": "示例第二小学（本部）", "code": "12442000MB123456X"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "示例第二小学（本部）");

    // Moving the street with its schools under another street is against the tree rules;
    // moving a school across streets takes it out of the first officer's jurisdiction.
    let (status, _) = t
        .patch(
            &format!("/api/v1/orgs/{shiqi}"),
            &leader,
            json!({"parent_id": east}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, moved) = t
        .patch(
            &format!("/api/v1/orgs/{school2}"),
            &leader,
            json!({"parent_id": east}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["parent_name"], "东区街道");
    assert_eq!(
        t.get(&format!("/api/v1/orgs/{school2}"), &officer).await.0,
        StatusCode::NOT_FOUND
    );
    // Its administrator keeps working inside it.
    let school2_admin = t.login(SCHOOL2_ADMIN).await;
    assert_eq!(
        t.get(&format!("/api/v1/orgs/{school2}"), &school2_admin)
            .await
            .0,
        StatusCode::OK
    );

    // Into its own subtree: refused. The city bureau cannot move itself.
    let city = t.org_id("示例市教育和体育局").await;
    assert_eq!(
        t.patch(
            &format!("/api/v1/orgs/{east}"),
            &leader,
            json!({"parent_id": school2})
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        t.patch(
            &format!("/api/v1/orgs/{city}"),
            &leader,
            json!({"active": false})
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );

    // Deactivation: refused while children are active, then once, then 409 when repeated.
    let (status, body) = t
        .patch(
            &format!("/api/v1/orgs/{east}"),
            &leader,
            json!({"active": false}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let middle = t.org_id("示例实验中学").await;
    assert_eq!(
        t.patch(
            &format!("/api/v1/orgs/{middle}"),
            &leader,
            json!({"active": false})
        )
        .await
        .1["active"],
        false
    );
    assert_eq!(
        t.patch(
            &format!("/api/v1/orgs/{middle}"),
            &leader,
            json!({"active": false})
        )
        .await
        .0,
        StatusCode::CONFLICT
    );
    assert_eq!(
        t.get("/api/v1/orgs?active=false", &leader).await.1["total"],
        1
    );
    assert_eq!(
        t.patch(
            &format!("/api/v1/orgs/{middle}"),
            &leader,
            json!({"active": true})
        )
        .await
        .0,
        StatusCode::OK
    );

    // Bad patches change nothing.
    for body in [
        json!({"name": ""}),
        json!({"name": "长".repeat(101)}),
        json!({"region_code": "12"}),
        json!({"parent_id": 999999}),
        json!({"active": "no"}),
    ] {
        let (status, _) = t
            .patch(&format!("/api/v1/orgs/{school2}"), &leader, body.clone())
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    }
    assert_eq!(
        t.get(&format!("/api/v1/orgs/{school2}"), &leader).await.1["name"],
        "示例第二小学（本部）"
    );
}

#[tokio::test]
async fn a2_a_deactivated_school_cannot_be_acted_through() {
    let t = TestApp::new().await;
    // Halting is the leader's power (A3).
    let leader = t.login(CITY_LEADER).await;
    let school1 = t.org_id("示例第一小学").await;
    let teacher = t.login(TEACHER).await;
    assert_eq!(
        t.patch(
            &format!("/api/v1/orgs/{school1}"),
            &leader,
            json!({"active": false})
        )
        .await
        .0,
        StatusCode::OK
    );
    let (status, body) = t.get("/api/v1/me", &teacher).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

#[tokio::test]
async fn a2_org_export_reads_back_with_the_jurisdiction_only() {
    let t = TestApp::new().await;
    let mut b = crate::pages::Browser::new(&t);
    b.login(SCHOOL2_ADMIN, PASSWORD).await;
    let rows = workbook_rows(&b.get_bytes("/orgs/export").await);
    let names: Vec<&str> = rows
        .iter()
        .skip(1)
        .filter_map(|r| r.get(1).map(String::as_str))
        .collect();
    assert!(rows[0].iter().any(|h| h == "名称"), "{:?}", rows[0]);
    assert!(names.contains(&"示例第二小学"), "{rows:?}");
    assert!(
        !names.contains(&"示例第一小学"),
        "another school is not exported: {rows:?}"
    );
}
