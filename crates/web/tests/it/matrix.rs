//! The authorization matrix: every preset role against every protected route, and against
//! another tenant's ids. A missing permission answers 403; an id outside the jurisdiction
//! 404; nothing in this test changes data (bodies are deliberately invalid).

use axum::http::{Method, StatusCode};
use kehou_domain::Permission;
use kehou_service::system::demo::DEMO_ACCOUNTS;
use serde_json::{Value, json};

use crate::common::*;

/// Method, path, body, the permission it needs, and the answer when permitted.
type Route = (
    Method,
    String,
    Option<Value>,
    Option<Permission>,
    StatusCode,
);

#[tokio::test]
async fn a3_every_preset_role_against_every_protected_route() {
    let t = TestApp::new().await;
    let platform_root = {
        let admin = t.login(PLATFORM_ADMIN).await;
        let (_, body) = t.get("/api/v1/orgs?kind=platform", &admin).await;
        body["items"][0]["id"].as_i64().expect("root")
    };
    let platform_admin_user = t.user_id(PLATFORM_ADMIN).await;
    let school1 = t.org_id("示例第一小学").await;
    let mut checked = 0;
    for account in DEMO_ACCOUNTS {
        let role_code = account.memberships[0].1;
        let preset = kehou_domain::role::preset(role_code).expect("preset");
        let has = |p: Permission| preset.permissions.contains(&p);
        let is_platform = role_code == "platform_admin";
        let token = t.login(account.phone).await;
        let (_, me) = t.get("/api/v1/me", &token).await;
        let own_org = me["memberships"][0]["org_id"].as_i64().expect("org");

        // (method, path, body, permission, expected when permitted)
        let mut routes: Vec<Route> = vec![
            (
                Method::GET,
                "/api/v1/permissions".into(),
                None,
                None,
                StatusCode::OK,
            ),
            (
                Method::GET,
                "/api/v1/orgs".into(),
                None,
                Some(Permission::OrgView),
                StatusCode::OK,
            ),
            (
                Method::GET,
                format!("/api/v1/orgs/{own_org}"),
                None,
                Some(Permission::OrgView),
                StatusCode::OK,
            ),
            (
                Method::POST,
                "/api/v1/orgs".into(),
                Some(json!({"name": ""})),
                Some(Permission::OrgManage),
                StatusCode::BAD_REQUEST,
            ),
            (
                Method::PATCH,
                format!("/api/v1/orgs/{own_org}"),
                Some(json!({"name": ""})),
                Some(Permission::OrgManage),
                StatusCode::BAD_REQUEST,
            ),
            (
                Method::GET,
                "/api/v1/users".into(),
                None,
                Some(Permission::UserView),
                StatusCode::OK,
            ),
            (
                Method::POST,
                "/api/v1/users".into(),
                Some(json!({})),
                Some(Permission::UserManage),
                StatusCode::BAD_REQUEST,
            ),
            (
                Method::GET,
                "/api/v1/roles".into(),
                None,
                Some(Permission::RoleView),
                StatusCode::OK,
            ),
            (
                Method::POST,
                "/api/v1/roles".into(),
                Some(json!({"name": ""})),
                Some(Permission::RoleManage),
                StatusCode::BAD_REQUEST,
            ),
            (
                Method::GET,
                "/api/v1/audit-events".into(),
                None,
                Some(Permission::AuditView),
                StatusCode::OK,
            ),
        ];
        // Rooms of 示例第一小学: inside the jurisdiction of the platform, the city, the
        // street and the school itself; another tenant's elsewhere.
        let school1_in_scope = is_platform
            || [
                CITY_LEADER,
                STREET_OFFICER,
                SCHOOL1_ADMIN,
                TEACHER,
                PARENT,
                PATROL_TEACHER,
                HEAD_TEACHER,
            ]
            .contains(&account.phone);
        let in_scope = |ok: StatusCode| {
            if school1_in_scope {
                ok
            } else {
                StatusCode::NOT_FOUND
            }
        };
        routes.extend([
            (
                Method::GET,
                format!("/api/v1/schools/{school1}/rooms"),
                None,
                Some(Permission::SchoolView),
                in_scope(StatusCode::OK),
            ),
            (
                Method::POST,
                format!("/api/v1/schools/{school1}/rooms"),
                Some(json!({"name": ""})),
                Some(Permission::SchoolManage),
                in_scope(StatusCode::BAD_REQUEST),
            ),
            (
                Method::GET,
                format!("/api/v1/schools/{school1}/students"),
                None,
                Some(Permission::SchoolView),
                in_scope(StatusCode::OK),
            ),
            (
                Method::GET,
                format!("/api/v1/schools/{school1}/staff"),
                None,
                Some(Permission::SchoolView),
                in_scope(StatusCode::OK),
            ),
            (
                Method::POST,
                format!("/api/v1/schools/{school1}/staff"),
                Some(json!({"name": ""})),
                Some(Permission::SchoolManage),
                in_scope(StatusCode::BAD_REQUEST),
            ),
            (
                Method::GET,
                format!("/api/v1/schools/{school1}/imports/students/template"),
                None,
                Some(Permission::SchoolView),
                in_scope(StatusCode::OK),
            ),
            (
                // An empty upload: refused before any job starts.
                Method::POST,
                format!("/api/v1/schools/{school1}/imports/students"),
                None,
                Some(Permission::SchoolManage),
                in_scope(StatusCode::BAD_REQUEST),
            ),
        ]);
        if !is_platform {
            // Another tenant's ids: the platform root and the platform administrator.
            routes.extend([
                (
                    Method::GET,
                    format!("/api/v1/orgs/{platform_root}"),
                    None,
                    Some(Permission::OrgView),
                    StatusCode::NOT_FOUND,
                ),
                (
                    Method::PATCH,
                    format!("/api/v1/orgs/{platform_root}"),
                    Some(json!({"name": "x"})),
                    Some(Permission::OrgManage),
                    StatusCode::NOT_FOUND,
                ),
                (
                    Method::GET,
                    format!("/api/v1/users/{platform_admin_user}"),
                    None,
                    Some(Permission::UserView),
                    StatusCode::NOT_FOUND,
                ),
                (
                    Method::POST,
                    format!("/api/v1/users/{platform_admin_user}/freeze"),
                    None,
                    Some(Permission::UserManage),
                    StatusCode::NOT_FOUND,
                ),
                (
                    Method::POST,
                    format!("/api/v1/users/{platform_admin_user}/reset-password"),
                    None,
                    Some(Permission::UserManage),
                    StatusCode::NOT_FOUND,
                ),
                (
                    Method::PATCH,
                    format!("/api/v1/users/{platform_admin_user}"),
                    Some(json!({"name": "x"})),
                    Some(Permission::UserManage),
                    StatusCode::NOT_FOUND,
                ),
            ]);
        }
        for (method, path, body, permission, when_permitted) in routes {
            let expected = match permission {
                Some(p) if !has(p) => StatusCode::FORBIDDEN,
                _ => when_permitted,
            };
            let (status, answer) = t.api(method.clone(), &path, Some(&token), body).await;
            assert_eq!(status, expected, "{role_code} {method} {path}: {answer}");
            if !status.is_success() {
                assert!(
                    answer["code"].is_string() && answer["message"].is_string(),
                    "{role_code} {method} {path}: error body {answer}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 150, "checked {checked} combinations");
    // Nothing above changed data: the platform administrator still logs in, names are intact.
    assert_eq!(
        t.try_login(PLATFORM_ADMIN, PASSWORD).await.0,
        StatusCode::OK
    );
    let admin = t.login(PLATFORM_ADMIN).await;
    assert_eq!(
        t.get(&format!("/api/v1/orgs/{platform_root}"), &admin)
            .await
            .1["name"],
        kehou_service::org::PLATFORM_NAME
    );
}
