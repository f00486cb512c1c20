//! A3: a bureau leader sees the whole jurisdiction and halts; an officer works only inside
//! the departments (科室) of the bureau assigned to them.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;
use crate::pages::Browser;

/// The officer's membership in 石岐街道 and the street's departments by name.
async fn officer_setup(t: &TestApp) -> (i64, i64, i64, Vec<(String, i64)>) {
    let shiqi = t.org_id("石岐街道").await;
    let officer = t.user_id(STREET_OFFICER).await;
    let leader = t.login(CITY_LEADER).await;
    let (status, user) = t.get(&format!("/api/v1/users/{officer}"), &leader).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    let membership = user["memberships"]
        .as_array()
        .and_then(|ms| ms.iter().find(|m| m["org_id"] == shiqi))
        .and_then(|m| m["id"].as_i64())
        .expect("officer membership");
    let (status, list) = t
        .get(&format!("/api/v1/orgs/{shiqi}/departments"), &leader)
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let departments = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|d| {
            (
                d["name"].as_str().unwrap_or_default().to_string(),
                d["id"].as_i64().unwrap_or_default(),
            )
        })
        .collect();
    (shiqi, officer, membership, departments)
}

fn id_of(departments: &[(String, i64)], name: &str) -> i64 {
    departments
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, id)| *id)
        .unwrap_or_else(|| panic!("department {name}"))
}

async fn permissions(t: &TestApp, token: &str) -> Vec<String> {
    let (_, me) = t.get("/api/v1/me", token).await;
    me["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .filter_map(|p| p.as_str().map(String::from))
        .collect()
}

#[tokio::test]
async fn a3_an_officer_works_only_inside_the_departments_assigned_to_them() {
    let t = TestApp::new().await;
    let (_, officer, membership, departments) = officer_setup(&t).await;
    let school1 = t.org_id("示例第一小学").await;
    let leader = t.login(CITY_LEADER).await;
    let basic = id_of(&departments, "基础教育科");
    let office = id_of(&departments, "综合办公室");
    let token = t.login(STREET_OFFICER).await;
    // The demo officer is in both: users and schools alike.
    let (status, _) = t.get("/api/v1/users", &token).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = t.post("/api/v1/orgs", &token, json!({"name": ""})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "may create organizations");

    // Only 基础教育科: the schools' data, no longer accounts or organizations; at once,
    // on the same token.
    let assign = format!("/api/v1/users/{officer}/memberships/{membership}/departments");
    let (status, body) = t
        .put(&assign, &leader, json!({"department_ids": [basic]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!([{"id": basic, "name": "基础教育科"}]));
    let (status, _) = t
        .get(&format!("/api/v1/schools/{school1}/rooms"), &token)
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "school data is the department's work"
    );
    let (status, body) = t.post("/api/v1/orgs", &token, json!({"name": ""})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("新增、编辑")
    );
    let (status, _) = t.post("/api/v1/users", &token, json!({"name": "x"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut perms = permissions(&t, &token).await;
    perms.sort();
    assert_eq!(
        perms,
        [
            "attendance.view",
            "audit.view",
            "billing.view",
            "org.view",
            "role.view",
            "school.view",
            "student.view_all",
            "user.view"
        ]
    );

    // A department never grants what the role lacks: 综合办公室 gains org.manage, but a
    // department holding personal.view gives the officer nothing more.
    let (status, body) = t
        .patch(
            &format!(
                "/api/v1/orgs/{}/departments/{basic}",
                t.org_id("石岐街道").await
            ),
            &leader,
            json!({"permissions": ["school.view", "personal.view", "supervision.halt"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(permissions(&t, &token).await, ["school.view"]);

    // No department at all: nothing, while the bureau has departments.
    let (status, _) = t.put(&assign, &leader, json!({"department_ids": []})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(permissions(&t, &token).await.is_empty());
    let (status, _) = t
        .get(&format!("/api/v1/schools/{school1}/rooms"), &token)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut b = Browser::new(&t);
    b.login(STREET_OFFICER, PASSWORD).await;
    let home = b.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.body.contains("您尚未分配科室"),
        "the officer is told why"
    );

    // Back in 综合办公室: accounts again.
    let (status, _) = t
        .put(&assign, &leader, json!({"department_ids": [office]}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = t.get("/api/v1/users", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(t.audit_count("membership.departments").await, 3);
    assert_eq!(t.audit_count("department.update").await, 1);
}

#[tokio::test]
async fn a3_a_bureau_without_departments_is_not_divided_and_a_leader_is_never_limited() {
    let t = TestApp::new().await;
    let (shiqi, _, _, departments) = officer_setup(&t).await;
    let leader = t.login(CITY_LEADER).await;
    for (_, id) in &departments {
        let (status, _) = t
            .api(
                Method::DELETE,
                &format!("/api/v1/orgs/{shiqi}/departments/{id}"),
                Some(&leader),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    let token = t.login(STREET_OFFICER).await;
    let preset = kehou_domain::role::preset("bureau_officer").expect("preset");
    let mut want: Vec<&str> = preset.permissions.iter().map(|p| p.code()).collect();
    want.sort();
    let mut have = permissions(&t, &token).await;
    have.sort();
    assert_eq!(have, want, "no departments: the role's permissions");
    assert_eq!(t.audit_count("department.delete").await, 4);

    // The leader's bureau has a department the leader is not in: the leader keeps all.
    let city = t.org_id("示例市教育和体育局").await;
    let (status, body) = t
        .post(
            &format!("/api/v1/orgs/{city}/departments"),
            &leader,
            json!({"name": "财务科", "permissions": ["audit.view"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["permissions"], json!(["audit.view"]));
    assert!(
        permissions(&t, &leader)
            .await
            .contains(&"role.manage".into())
    );
}

#[tokio::test]
async fn a3_only_a_leader_halts_an_organization() {
    let t = TestApp::new().await;
    let school2 = t.org_id("示例第二小学").await;
    let officer = t.login(STREET_OFFICER).await;
    let (status, body) = t
        .patch(
            &format!("/api/v1/orgs/{school2}"),
            &officer,
            json!({"active": false}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["message"].as_str().unwrap_or("").contains("一键喊停"));
    // An officer may still rename it.
    let (status, body) = t
        .patch(
            &format!("/api/v1/orgs/{school2}"),
            &officer,
            json!({"name": "示例第二小学（南校区）"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, org) = t.get(&format!("/api/v1/orgs/{school2}"), &officer).await;
    assert_eq!(org["active"], json!(true));

    let leader = t.login(CITY_LEADER).await;
    let (status, body) = t
        .patch(
            &format!("/api/v1/orgs/{school2}"),
            &leader,
            json!({"active": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["active"], json!(false));

    // The page offers the button to the leader only.
    let mut b = Browser::new(&t);
    b.login(STREET_OFFICER, PASSWORD).await;
    let page = b.get(&format!("/orgs/{school2}")).await;
    assert!(
        !page.body.contains("/active\""),
        "no halt form for an officer"
    );
    let mut b = Browser::new(&t);
    b.login(CITY_LEADER, PASSWORD).await;
    let page = b.get(&format!("/orgs/{school2}")).await;
    assert!(page.body.contains(&format!("/orgs/{school2}/active")));
}

#[tokio::test]
async fn a3_departments_refuse_bad_input_and_strangers_and_change_nothing() {
    let t = TestApp::new().await;
    let (shiqi, officer_user, membership, departments) = officer_setup(&t).await;
    let basic = id_of(&departments, "基础教育科");
    let leader = t.login(CITY_LEADER).await;
    let officer = t.login(STREET_OFFICER).await;
    let school_admin = t.login(SCHOOL1_ADMIN).await;
    let school1 = t.org_id("示例第一小学").await;
    let school2_admin = t.login(SCHOOL2_ADMIN).await;
    let list = format!("/api/v1/orgs/{shiqi}/departments");
    let before = t.get(&list, &leader).await.1;

    let long = "科".repeat(31);
    let cases: Vec<(&str, Value, StatusCode, &str)> = vec![
        (
            "missing name",
            json!({"permissions": ["school.view"]}),
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            "blank name",
            json!({"name": "  ", "permissions": ["school.view"]}),
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            "too long",
            json!({"name": long, "permissions": ["school.view"]}),
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            "bidi control",
            json!({"name": "财务\u{202E}科", "permissions": ["school.view"]}),
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            "no permissions",
            json!({"name": "安全科", "permissions": []}),
            StatusCode::BAD_REQUEST,
            "permissions",
        ),
        (
            "unknown permission",
            json!({"name": "安全科", "permissions": ["school.view", "bank.rob"]}),
            StatusCode::BAD_REQUEST,
            "permissions",
        ),
        (
            "duplicate name",
            json!({"name": "基础教育科", "permissions": ["school.view"]}),
            StatusCode::CONFLICT,
            "",
        ),
    ];
    for (what, body, status, field) in cases {
        let (got, answer) = t.post(&list, &leader, body).await;
        assert_eq!(got, status, "{what}: {answer}");
        if !field.is_empty() {
            assert_eq!(answer["details"][0]["field"], field, "{what}");
        }
    }
    // Strangers: an officer may not configure (403); a school is not a bureau (409); a
    // school admin cannot reach the street (404); a malformed body (400).
    let (status, _) = t
        .post(
            &list,
            &officer,
            json!({"name": "安全科", "permissions": ["school.view"]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = t
        .put(
            &format!("/api/v1/users/{officer_user}/memberships/{membership}/departments"),
            &officer,
            json!({"department_ids": [basic]}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "an officer may not choose their own"
    );
    let (status, _) = t
        .get(
            &format!("/api/v1/orgs/{school1}/departments"),
            &school_admin,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = t.get(&list, &school2_admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = t
        .api(
            Method::POST,
            &list,
            Some(&leader),
            Some(Value::String("{".into())),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Assigning: another bureau's department, a missing list, a school membership.
    let city = t.org_id("示例市教育和体育局").await;
    let (_, finance) = t
        .post(
            &format!("/api/v1/orgs/{city}/departments"),
            &leader,
            json!({"name": "财务科", "permissions": ["audit.view"]}),
        )
        .await;
    let assign = format!("/api/v1/users/{officer_user}/memberships/{membership}/departments");
    let (status, body) = t
        .put(&assign, &leader, json!({"department_ids": [finance["id"]]}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["details"][0]["field"], "department_ids");
    let (status, _) = t.put(&assign, &leader, json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let admin_user = t.user_id(SCHOOL1_ADMIN).await;
    let admin_membership = t.get("/api/v1/me", &school_admin).await.1["memberships"][0]["id"]
        .as_i64()
        .expect("membership");
    let (status, _) = t
        .put(
            &format!("/api/v1/users/{admin_user}/memberships/{admin_membership}/departments"),
            &leader,
            json!({"department_ids": []}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = t
        .put(
            &format!("/api/v1/users/{officer_user}/memberships/999999/departments"),
            &leader,
            json!({"department_ids": []}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Nothing changed: the same departments, the officer still in both.
    assert_eq!(t.get(&list, &leader).await.1, before);
    assert_eq!(t.audit_count("membership.departments").await, 0);
}

/// The leader sets up a department and assigns it in the browser; the form keeps what was
/// typed when refused.
#[tokio::test]
async fn a3_departments_are_managed_on_the_bureaus_page() {
    let t = TestApp::new().await;
    let (shiqi, officer_user, membership, departments) = officer_setup(&t).await;
    let mut b = Browser::new(&t);
    b.login(CITY_LEADER, PASSWORD).await;
    let page = b.get(&format!("/orgs/{shiqi}")).await;
    assert!(page.body.contains("基础教育科"));
    assert!(page.body.contains("综合办公室"));
    assert!(page.body.contains("陈红"), "members are named");
    let form = b.get(&format!("/orgs/{shiqi}/departments/new")).await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = Browser::csrf(&form);
    let refused = b
        .post(
            &format!("/orgs/{shiqi}/departments"),
            &[("_csrf", &csrf), ("name", "安全管理科")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("请至少选择一项权限"));
    assert!(refused.body.contains(r#"value="安全管理科""#));
    let created = b
        .post(
            &format!("/orgs/{shiqi}/departments"),
            &[
                ("_csrf", &csrf),
                ("name", "安全管理科"),
                ("permissions", "school.view"),
                ("permissions", "org.view"),
            ],
        )
        .await;
    assert!(created.status.is_redirection(), "{}", created.status);
    let page = b.get(&format!("/orgs/{shiqi}")).await;
    assert!(page.body.contains("安全管理科"));

    let assign = format!("/users/{officer_user}/memberships/{membership}/departments");
    let form = b.get(&assign).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("安全管理科"));
    let basic = id_of(&departments, "基础教育科");
    let saved = b
        .post(
            &assign,
            &[("_csrf", &csrf), ("department_ids", &basic.to_string())],
        )
        .await;
    assert!(saved.status.is_redirection(), "{}", saved.status);
    let user = b.get(&format!("/users/{officer_user}")).await;
    assert!(user.body.contains("基础教育科"));
    assert!(!user.body.contains("综合办公室"));
    let bad = b
        .post(&assign, &[("_csrf", &csrf), ("department_ids", "abc")])
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    // The officer sees the configuration pages of neither.
    let mut o = Browser::new(&t);
    o.login(STREET_OFFICER, PASSWORD).await;
    assert_eq!(
        o.get(&format!("/orgs/{shiqi}/departments/new"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}
