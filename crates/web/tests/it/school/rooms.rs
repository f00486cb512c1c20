use axum::http::StatusCode;
use serde_json::json;

use crate::common::*;
use crate::pages::Browser;

#[tokio::test]
async fn c4_school_admin_manages_rooms_bureau_reads_them() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school1 = t.org_id("示例第一小学").await;
    let path = format!("/api/v1/schools/{school1}/rooms");
    let (status, room) = t
        .post(
            &path,
            &admin,
            json!({"name": "书法室", "building": "综合楼三楼", "purpose": "美术", "capacity": 45}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{room}");
    assert_eq!(
        (room["capacity"].as_i64(), room["available"].as_bool()),
        (Some(45), Some(true))
    );
    t.post(
        &path,
        &admin,
        json!({"name": "乒乓球室", "purpose": "体育", "capacity": 80}),
    )
    .await;

    let (_, list) = t.get(&path, &admin).await;
    assert_eq!(list["total"], 7, "five demo rooms and two new ones");
    let (_, found) = t
        .get(&format!("{path}?q={}", urlencode("综合楼")), &admin)
        .await;
    assert!(names(&found).contains(&"书法室".to_string()));

    let id = room["id"].as_i64().expect("id");
    let (status, updated) = t
        .patch(
            &format!("{path}/{id}"),
            &admin,
            json!({"capacity": 40, "available": false, "building": ""}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(
        (
            updated["capacity"].as_i64(),
            updated["available"].as_bool(),
            updated["building"].clone()
        ),
        (Some(40), Some(false), serde_json::Value::Null)
    );
    assert_eq!(
        t.get(&format!("{path}?available=true"), &admin).await.1["total"],
        6
    );
    assert!(t.audit_count("room.create").await == 2 && t.audit_count("room.update").await == 1);

    // The street officer and the city leader read; they do not write.
    let officer = t.login(STREET_OFFICER).await;
    assert_eq!(t.get(&path, &officer).await.1["total"], 7);
    assert_eq!(
        t.post(&path, &officer, json!({"name": "x", "capacity": 1}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    // Another school's administrator does not find the school; a teacher reads.
    let other = t.login(SCHOOL2_ADMIN).await;
    assert_eq!(t.get(&path, &other).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        t.get(&format!("{path}/{id}"), &other).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.patch(&format!("{path}/{id}"), &other, json!({"name": "y"}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.get(&path, &t.login(TEACHER).await).await.0,
        StatusCode::OK
    );
    assert_eq!(
        t.get(&path, &t.login(PARENT).await).await.0,
        StatusCode::FORBIDDEN
    );
    // An organization that is not a school has no rooms.
    let shiqi = t.org_id("石岐街道").await;
    assert_eq!(
        t.get(&format!("/api/v1/schools/{shiqi}/rooms"), &officer)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn c4_bad_room_input_changes_nothing() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school1 = t.org_id("示例第一小学").await;
    let path = format!("/api/v1/schools/{school1}/rooms");
    t.post(&path, &admin, json!({"name": "书法室", "capacity": 45}))
        .await;
    let cases = [
        (json!({"capacity": 45}), StatusCode::BAD_REQUEST, "name"),
        (
            json!({"name": "", "capacity": 45}),
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            json!({"name": "长".repeat(51), "capacity": 45}),
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            json!({"name": "音乐室"}),
            StatusCode::BAD_REQUEST,
            "capacity",
        ),
        (
            json!({"name": "音乐室", "capacity": 0}),
            StatusCode::BAD_REQUEST,
            "capacity",
        ),
        (
            json!({"name": "音乐室", "capacity": 5001}),
            StatusCode::BAD_REQUEST,
            "capacity",
        ),
        (
            json!({"name": "音乐室", "capacity": 30, "building": "楼".repeat(51)}),
            StatusCode::BAD_REQUEST,
            "building",
        ),
        (
            json!({"name": "书法室", "capacity": 30}),
            StatusCode::CONFLICT,
            "name",
        ),
    ];
    for (body, expected, field) in cases {
        let (status, answer) = t.post(&path, &admin, body.clone()).await;
        assert_eq!(status, expected, "{body} → {answer}");
        assert!(
            answer["details"]
                .as_array()
                .expect("details")
                .iter()
                .any(|d| d["field"] == field),
            "{body} → {answer}"
        );
    }
    let (status, _) = t
        .post(&path, &admin, json!({"name": "音乐室", "capacity": "many"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        t.get(&path, &admin).await.1["total"],
        6,
        "nothing was created"
    );
    assert_eq!(
        t.patch(&format!("{path}/999999"), &admin, json!({"name": "x"}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn c4_room_pages_list_create_edit_and_export() {
    let t = TestApp::new().await;
    let mut b = Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let school1 = t.org_id("示例第一小学").await;
    let index = b.get("/rooms").await;
    assert_eq!(index.location, format!("/schools/{school1}/rooms"));
    let page = b.get(&index.location).await;
    assert!(page.body.contains("多功能厅") && page.body.contains("新增场室"));
    let csrf = Browser::csrf(&page);
    let bad = b
        .post(
            &index.location,
            &[("_csrf", &csrf), ("name", "书法室"), ("capacity", "很多")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("容纳人数应为整数"));
    let ok = b
        .post(
            &index.location,
            &[
                ("_csrf", &csrf),
                ("name", "书法室"),
                ("building", "综合楼"),
                ("capacity", "45"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let list = b.get(&ok.location).await;
    assert!(list.body.contains("书法室") && list.body.contains("已创建"));

    let admin = t.login(SCHOOL1_ADMIN).await;
    let (_, rooms) = t
        .get(
            &format!("/api/v1/schools/{school1}/rooms?q={}", urlencode("书法室")),
            &admin,
        )
        .await;
    let id = rooms["items"][0]["id"].as_i64().expect("id");
    let edit = b.get(&format!("/schools/{school1}/rooms/{id}")).await;
    assert!(edit.body.contains("书法室"));
    // Unticking "可用" marks the room unavailable.
    let saved = b
        .post(
            &format!("/schools/{school1}/rooms/{id}"),
            &[
                ("_csrf", &csrf),
                ("name", "书法室"),
                ("building", ""),
                ("capacity", "40"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let (_, room) = t
        .get(&format!("/api/v1/schools/{school1}/rooms/{id}"), &admin)
        .await;
    assert_eq!(
        (room["capacity"].as_i64(), room["available"].as_bool()),
        (Some(40), Some(false))
    );

    let export = workbook_rows(
        &b.get_bytes(&format!("/schools/{school1}/rooms/export"))
            .await,
    );
    assert_eq!(export[0][0], "名称", "{export:?}");
    let row = export
        .iter()
        .find(|r| r[0] == "书法室")
        .unwrap_or_else(|| panic!("the new room is exported: {export:?}"));
    assert!(
        row.contains(&"40".to_string()) && row.contains(&"停用".to_string()),
        "{row:?}"
    );

    // A bureau officer picks a school and reads its rooms, without the form.
    let mut officer = Browser::new(&t);
    officer.login(STREET_OFFICER, PASSWORD).await;
    let page = officer.get(&format!("/rooms?school_id={school1}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("书法室")
            && page.body.contains("示例第二小学")
            && !page.body.contains("新增场室")
    );
    let school2 = t.org_id("示例实验中学").await;
    assert_eq!(
        officer
            .get(&format!("/schools/{school2}/rooms"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a3_new_catalog_permissions_reach_existing_preset_roles_once() {
    use kehou_store::entity::identity::{permission_seed, role, role_permission};
    use kehou_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let t = TestApp::new().await;
    let teacher_role = role::Entity::find()
        .filter(role::Column::Code.eq("teacher"))
        .one(&t.app.db)
        .await
        .expect("query")
        .expect("role");
    // As if the database predated `school.view`: no seed record, no grant.
    permission_seed::Entity::delete_by_id("school.view".to_string())
        .exec(&t.app.db)
        .await
        .expect("delete seed");
    role_permission::Entity::delete_by_id((teacher_role.id, "school.view".to_string()))
        .exec(&t.app.db)
        .await
        .expect("revoke");
    let restart = || {
        kehou_service::App::with_database(t.app.db.clone(), t.clock.clone(), t.app.vault.clone())
    };
    restart().await.expect("restart");
    let teacher = t.login(TEACHER).await;
    let granted = |me: &serde_json::Value| {
        me["permissions"]
            .as_array()
            .expect("permissions")
            .iter()
            .any(|p| p == "school.view")
    };
    assert!(
        granted(&t.get("/api/v1/me", &teacher).await.1),
        "granted on start-up"
    );
    // Revoked by an administrator afterwards, it stays revoked across restarts.
    role_permission::Entity::delete_by_id((teacher_role.id, "school.view".to_string()))
        .exec(&t.app.db)
        .await
        .expect("revoke");
    restart().await.expect("restart");
    assert!(!granted(&t.get("/api/v1/me", &teacher).await.1));
}

#[tokio::test]
async fn p4_bidi_and_noncharacter_names_are_refused_and_formulas_export_as_text() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school1 = t.org_id("示例第一小学").await;
    let path = format!("/api/v1/schools/{school1}/rooms");
    let (_, before) = t.get(&path, &admin).await;
    for bad in ["\u{202E}txt.exe", "书法\u{FFFE}室", "a\u{2067}b"] {
        let (status, body) = t
            .post(&path, &admin, json!({"name": bad, "capacity": 30}))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}: {body}");
        assert_eq!(body["details"][0]["field"], "name", "{body}");
    }
    assert_eq!(
        t.get(&path, &admin).await.1["total"],
        before["total"],
        "nothing created"
    );

    // A name that looks like a formula is kept as text, and exported as text.
    let (status, body) = t
        .post(&path, &admin, json!({"name": "=1+1", "capacity": 30}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let mut b = Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let rows = workbook_rows(
        &b.get_bytes(&format!("/schools/{school1}/rooms/export"))
            .await,
    );
    assert!(
        rows.iter().any(|r| r[0] == "=1+1"),
        "stored as a string cell: {rows:?}"
    );
}

#[tokio::test]
async fn c1_the_school_a_bureau_user_chose_is_kept_on_the_next_page() {
    let t = TestApp::new().await;
    let school2 = t.org_id("示例第二小学").await;
    let mut b = Browser::new(&t);
    b.login(CITY_LEADER, PASSWORD).await;
    // Chosen on the students page …
    let students = b.get(&format!("/students?school_id={school2}")).await;
    assert_eq!(students.status, StatusCode::OK);
    assert!(students.body.contains("示例第二小学"));
    // … still chosen on the staff, rooms, classes, calendar and profile pages.
    for page in ["/staff", "/rooms", "/admin-classes", "/calendar", "/school"] {
        let shown = b.get(page).await;
        assert_eq!(shown.status, StatusCode::OK, "{page}");
        assert!(
            shown
                .body
                .contains(&format!("value=\"{school2}\" selected"))
                || shown.body.contains("示例第二小学 ·")
                || shown.body.contains("· 示例第二小学"),
            "{page} forgot the school"
        );
    }
}
