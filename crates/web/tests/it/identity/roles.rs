use axum::http::StatusCode;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn a3_catalog_and_preset_roles() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let (status, body) = t.get("/api/v1/permissions", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["total"], kehou_domain::PERMISSIONS.len());
    assert!(
        body["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|p| p["code"].is_string() && p["name"].is_string() && p["group"].is_string())
    );
    let (_, roles) = t.get("/api/v1/roles", &admin).await;
    let codes: Vec<&str> = roles["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|r| r["code"].as_str())
        .collect();
    for preset in kehou_domain::PRESET_ROLES {
        assert!(codes.contains(&preset.code), "{} missing", preset.code);
    }
}

#[tokio::test]
async fn a3_a_permission_change_applies_to_the_next_request() {
    let t = TestApp::new().await;
    let platform = t.login(PLATFORM_ADMIN).await;
    let school_admin = t.login(SCHOOL1_ADMIN).await;
    let role = t.role_id("school_admin").await;
    assert_eq!(
        t.get("/api/v1/users", &school_admin).await.0,
        StatusCode::OK
    );
    let (status, body) = t
        .put(
            &format!("/api/v1/roles/{role}/permissions"),
            &platform,
            json!({"permissions": ["org.view", "audit.view"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["permissions"], json!(["audit.view", "org.view"]));
    let (status, body) = t.get("/api/v1/users", &school_admin).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "same token, no re-login"
    );
    assert_eq!(
        t.get("/api/v1/me", &school_admin).await.1["permissions"],
        json!(["audit.view", "org.view"])
    );
    // Batch grant back.
    let all: Vec<&str> = [
        "org.view",
        "user.view",
        "user.manage",
        "role.view",
        "role.manage",
        "audit.view",
    ]
    .to_vec();
    assert_eq!(
        t.put(
            &format!("/api/v1/roles/{role}/permissions"),
            &platform,
            json!({"permissions": all})
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        t.get("/api/v1/users", &school_admin).await.0,
        StatusCode::OK
    );
    assert!(t.audit_count("role.permissions").await >= 2);
}

#[tokio::test]
async fn a3_custom_roles_cannot_escalate() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let (status, role) = t
        .post(
            "/api/v1/roles",
            &admin,
            json!({"name": "课后服务干事", "permissions": ["user.view", "org.view"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{role}");
    assert_eq!(role["org_kind"], "school");
    assert_eq!(role["preset"], false);
    let id = role["id"].as_i64().expect("id");

    // Permissions the creator lacks, unknown codes, missing names: refused.
    let (status, body) = t
        .post(
            "/api/v1/roles",
            &admin,
            json!({"name": "越权", "permissions": ["org.manage"]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        t.post(
            "/api/v1/roles",
            &admin,
            json!({"name": "未知", "permissions": ["nope.do"]})
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        t.post(
            "/api/v1/roles",
            &admin,
            json!({"name": "", "permissions": []})
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        t.post(
            "/api/v1/roles",
            &admin,
            json!({"name": "平台", "org_kind": "platform"})
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        t.put(
            &format!("/api/v1/roles/{id}/permissions"),
            &admin,
            json!({"permissions": ["org.manage"]})
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        t.put(
            &format!("/api/v1/roles/{id}/permissions"),
            &admin,
            json!({})
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );

    // Preset roles are the platform's to change.
    let preset = t.role_id("teacher").await;
    assert_eq!(
        t.put(
            &format!("/api/v1/roles/{preset}/permissions"),
            &admin,
            json!({"permissions": ["user.view"]})
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );

    // The custom role is assignable in the school and invisible to another school.
    let school1 = t.org_id("示例第一小学").await;
    let (status, _) = t
        .post(
            "/api/v1/users",
            &admin,
            json!({"phone": "13911112222", "name": "干事", "org_id": school1, "role_id": id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let other = t.login(SCHOOL2_ADMIN).await;
    assert_eq!(
        t.get(&format!("/api/v1/roles/{id}"), &other).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.put(
            &format!("/api/v1/roles/{id}/permissions"),
            &other,
            json!({"permissions": []})
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    // The street officer above the school sees it.
    assert_eq!(
        t.get(
            &format!("/api/v1/roles/{id}"),
            &t.login(STREET_OFFICER).await
        )
        .await
        .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a3_an_organization_creates_roles_of_its_own_kind_with_unique_names() {
    let t = TestApp::new().await;
    let school_admin = t.login(SCHOOL1_ADMIN).await;
    let leader = t.login(CITY_LEADER).await;
    let (_, before) = t.get("/api/v1/roles", &leader).await;
    // A school cannot make a bureau role that its bureau would then see.
    let (status, body) = t
        .post(
            "/api/v1/roles",
            &school_admin,
            json!({"name": "假冒局长", "org_kind": "bureau", "permissions": []}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["details"][0]["field"], "org_kind", "{body}");
    let (_, after) = t.get("/api/v1/roles", &leader).await;
    assert_eq!(
        before["total"], after["total"],
        "nothing new for the bureau"
    );

    // Its own kind works once per name.
    let role = json!({"name": "社团辅导员", "permissions": ["school.view"]});
    let (status, body) = t.post("/api/v1/roles", &school_admin, role.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["org_kind"], "school");
    let (status, body) = t.post("/api/v1/roles", &school_admin, role.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["details"][0]["field"], "name", "{body}");
    // Another school may use the same name.
    let other = t.login(SCHOOL2_ADMIN).await;
    assert_eq!(
        t.post("/api/v1/roles", &other, role).await.0,
        StatusCode::CREATED
    );
}
