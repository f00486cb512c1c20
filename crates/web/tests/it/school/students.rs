use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::common::*;

/// A valid resident ID number for a birth date and a sequence (odd: boy, even: girl).
pub fn id_number(birth: &str, seq: u32) -> String {
    let first17 = format!("442000{birth}{seq:03}");
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17
        .bytes()
        .zip(weights)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    format!("{first17}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

async fn class_3_2(t: &TestApp, token: &str, school: i64) -> i64 {
    let (_, third) = t
        .get(
            &format!("/api/v1/schools/{school}/admin-classes?school_year=2026-2027&grade=3"),
            token,
        )
        .await;
    third["items"]
        .as_array()
        .and_then(|i| i.iter().find(|c| c["number"] == 2))
        .and_then(|c| c["id"].as_i64())
        .expect("三年级(2)班")
}

#[tokio::test]
async fn c6_student_with_guardians_encrypted_id_and_parent_view() {
    use kehou_store::entity::school::student;
    use kehou_store::sea_orm::EntityTrait;
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let class = class_3_2(&t, &admin, school).await;
    let id = id_number("20170305", 21);
    let body = json!({
        "student_no": "S2026999", "name": "周小杰", "gender": "男", "id_number": id, "class_id": class,
        "guardians": [{"name": "周杰", "phone": PARENT, "relation": "父亲"}, {"name": "吴芳", "phone": "13966660001", "relation": "母亲"}]
    });
    let (status, created) = t
        .post(&format!("/api/v1/schools/{school}/students"), &admin, body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        created["birth_date"], "2017-03-05",
        "taken from the ID number"
    );
    assert_eq!(created["class_name"], "三年级(2)班");
    assert_eq!(created["id_number"], format!("4420**********{}", &id[14..]));
    assert_eq!(created["guardians"].as_array().map(Vec::len), Some(2));
    assert_eq!(created["guardians"][0]["phone"], "138****0007");
    let sid = created["id"].as_i64().expect("id");

    // At rest: ciphertext and blind index only.
    let row = student::Entity::find_by_id(sid)
        .one(&t.app.db)
        .await
        .expect("query")
        .expect("row");
    assert!(
        !row.id_no_enc
            .clone()
            .unwrap_or_default()
            .contains(&id[..10])
    );
    // Found by the whole ID number through the blind index.
    let (_, found) = t
        .get(&format!("/api/v1/schools/{school}/students?q={id}"), &admin)
        .await;
    assert_eq!(found["total"], 1);

    // The whole number: with personal.view only, and audited.
    let reveal = format!("/api/v1/schools/{school}/students/{sid}/id-number");
    assert_eq!(t.get(&reveal, &admin).await.1["id_number"], id);
    assert_eq!(
        t.get(&reveal, &t.login(TEACHER).await).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(t.audit_count("personal.view").await, 1);

    // The parent sees their own child; the new mother got a parent account that must set a password.
    let (_, children) = t.get("/api/v1/me/children", &t.login(PARENT).await).await;
    let names: Vec<&str> = children["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(names.contains(&"周小杰"));
    assert_eq!(
        children["items"]
            .as_array()
            .and_then(|i| i.iter().find(|c| c["name"] == "周小杰"))
            .map(|c| c["class_name"].clone()),
        Some(json!("三年级(2)班"))
    );
    let mother = t.user_id("13966660001").await;
    let (_, mother_view) = t.get(&format!("/api/v1/users/{mother}"), &admin).await;
    assert_eq!(mother_view["must_change_password"], true);
    assert_eq!(mother_view["memberships"][0]["role_name"], "家长");
    // A parent cannot list the school's students.
    assert_eq!(
        t.get(
            &format!("/api/v1/schools/{school}/students"),
            &t.login(PARENT).await
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );

    // Guardians: added once, removed.
    let guardians = format!("/api/v1/schools/{school}/students/{sid}/guardians");
    assert_eq!(
        t.post(
            &guardians,
            &admin,
            json!({"name": "周杰", "phone": PARENT, "relation": "父亲"})
        )
        .await
        .0,
        StatusCode::CONFLICT
    );
    let (status, added) = t
        .post(
            &guardians,
            &admin,
            json!({"name": "周爷爷", "phone": "13966660002", "relation": "祖父"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{added}");
    let gid = added["guardians"][2]["id"].as_i64().expect("guardian");
    let (status, after) = t
        .api(
            Method::DELETE,
            &format!("{guardians}/{gid}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(
        (status, after["guardians"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(2))
    );

    // Status and class changes.
    let (status, changed) = t
        .patch(
            &format!("/api/v1/schools/{school}/students/{sid}"),
            &admin,
            json!({"status": "转出", "class_id": null}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(
        (changed["status"].as_str(), changed["class_name"].clone()),
        (Some("transferred"), serde_json::Value::Null)
    );

    // Scope.
    assert_eq!(
        t.get(
            &format!("/api/v1/schools/{school}/students/{sid}"),
            &t.login(SCHOOL2_ADMIN).await
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.get(
            &format!("/api/v1/schools/{school}/students/{sid}"),
            &t.login(STREET_OFFICER).await
        )
        .await
        .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn c6_bad_student_input_changes_nothing() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let other_school = t.org_id("示例第二小学").await;
    let foreign_class = {
        let a2 = t.login(SCHOOL2_ADMIN).await;
        t.get(
            &format!("/api/v1/schools/{other_school}/admin-classes"),
            &a2,
        )
        .await
        .1["items"][0]["id"]
            .as_i64()
            .expect("class")
    };
    let path = format!("/api/v1/schools/{school}/students");
    let good_id = id_number("20170305", 21);
    let mut wrong_check = good_id.clone();
    wrong_check.pop();
    wrong_check.push(if good_id.ends_with('0') { '1' } else { '0' });
    let class = class_3_2(&t, &admin, school).await;
    let (status, _) = t
        .post(
            &path,
            &admin,
            json!({"student_no": "S1", "name": "甲", "gender": "男", "id_number": good_id, "class_id": class}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let before = t.get(&path, &admin).await.1["total"].clone();
    let cases = [
        (
            json!({"student_no": "S2", "name": "乙", "gender": "男", "id_number": wrong_check}),
            StatusCode::BAD_REQUEST,
            "id_number",
        ),
        (
            json!({"student_no": "S2", "name": "乙", "gender": "男", "id_number": id_number("20170305", 23), "birth_date": "2017-03-06"}),
            StatusCode::BAD_REQUEST,
            "birth_date",
        ),
        (
            json!({"student_no": "S2", "name": "乙", "gender": "女", "id_number": id_number("20170305", 23)}),
            StatusCode::BAD_REQUEST,
            "gender",
        ),
        (
            json!({"student_no": "S2", "name": "乙", "gender": "男", "class_id": 999999}),
            StatusCode::BAD_REQUEST,
            "class_id",
        ),
        (
            json!({"student_no": "S2", "name": "乙", "gender": "男", "class_id": foreign_class}),
            StatusCode::BAD_REQUEST,
            "class_id",
        ),
        (
            json!({"student_no": "", "name": "乙", "gender": "男"}),
            StatusCode::BAD_REQUEST,
            "student_no",
        ),
        (
            json!({"student_no": "S2", "name": "乙", "gender": "未知"}),
            StatusCode::BAD_REQUEST,
            "gender",
        ),
        (
            json!({"student_no": "S2", "name": "乙", "gender": "男", "birth_date": "2017-02-30"}),
            StatusCode::BAD_REQUEST,
            "birth_date",
        ),
        (
            json!({"student_no": "S2", "name": "乙", "gender": "男", "guardians": [{"name": "丙", "phone": "123", "relation": "父亲"}]}),
            StatusCode::BAD_REQUEST,
            "guardians[0].phone",
        ),
        (
            json!({"student_no": "S2", "name": "乙", "gender": "男", "guardians": [{"name": "丙", "phone": "13966660003", "relation": "邻居"}]}),
            StatusCode::BAD_REQUEST,
            "guardians[0].relation",
        ),
        (
            json!({"student_no": "S1", "name": "乙", "gender": "男", "class_id": class}),
            StatusCode::CONFLICT,
            "student_no",
        ),
        (
            json!({"student_no": "S2", "name": "乙", "gender": "男", "id_number": good_id, "class_id": class}),
            StatusCode::CONFLICT,
            "id_number",
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
    assert_eq!(
        t.get(&path, &admin).await.1["total"],
        before,
        "nothing was created"
    );
    assert_eq!(
        t.get(&format!("{path}?page_size=0"), &admin).await.0,
        StatusCode::BAD_REQUEST
    );
    // No parent account was created for a refused student.
    let (_, users) = t
        .get(
            "/api/v1/users?q=13966660003",
            &t.login(PLATFORM_ADMIN).await,
        )
        .await;
    assert_eq!(users["total"], 0);
}

#[tokio::test]
async fn p4_account_phones_are_stored_encrypted_and_found_by_blind_index() {
    use kehou_store::entity::identity::user;
    use kehou_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let t = TestApp::new().await;
    let all = user::Entity::find().all(&t.app.db).await.expect("users");
    assert!(all.len() > 1000);
    for u in &all {
        assert_eq!(
            u.phone_index.len(),
            64,
            "{u:?}: the column holds the blind index"
        );
        let enc = u.phone_enc.as_deref().expect("ciphertext");
        let plain = t.app.vault.decrypt(enc).expect("decrypts");
        assert_eq!(plain.len(), 11);
        assert!(!enc.contains(&plain), "{enc}");
    }
    let parent = user::Entity::find()
        .filter(user::Column::PhoneIndex.eq(t.app.vault.blind_index(PARENT)))
        .one(&t.app.db)
        .await
        .expect("query")
        .expect("the demo parent");
    assert_eq!(t.app.vault.account_phone(&parent), PARENT);
    assert!(
        !all.iter().any(|u| u.phone_index == PARENT),
        "no number in clear"
    );
    // Logging in still works by phone.
    t.login(PARENT).await;
}

#[tokio::test]
async fn p4_accounts_stored_before_encryption_are_converted_at_startup() {
    use kehou_store::entity::identity::user;
    use kehou_store::sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
    let t = TestApp::new().await;
    let parent = t.user_id(PARENT).await;
    // An account as an earlier version stored it: the number in clear, no ciphertext.
    let mut legacy = user::Entity::find_by_id(parent)
        .one(&t.app.db)
        .await
        .expect("query")
        .expect("parent")
        .into_active_model();
    legacy.phone_index = Set(PARENT.into());
    legacy.phone_enc = Set(None);
    legacy.update(&t.app.db).await.expect("downgrade");
    let (status, _) = t.try_login(PARENT, PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "not found before conversion"
    );
    let app = kehou_service::App::with_database(
        t.app.db.clone(),
        t.app.clock.clone(),
        t.app.vault.clone(),
    )
    .await
    .expect("restart");
    let converted = user::Entity::find_by_id(parent)
        .one(&app.db)
        .await
        .expect("query")
        .expect("parent");
    assert_eq!(converted.phone_index, app.vault.blind_index(PARENT));
    assert_eq!(app.vault.account_phone(&converted), PARENT);
    t.login(PARENT).await;
}

#[tokio::test]
async fn c6_teachers_see_only_the_students_of_their_own_classes() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let list = format!("/api/v1/schools/{school}/students?page_size=100");
    let admin = t.login(SCHOOL1_ADMIN).await;
    let (_, all) = t.get(&list, &admin).await;
    let everyone = all["total"].as_u64().expect("total");

    // 郑丽 heads 三年级(2)班: she sees its students and nobody else.
    let head = t.login(HEAD_TEACHER).await;
    let (status, own) = t.get(&list, &head).await;
    assert_eq!(status, StatusCode::OK, "{own}");
    let own_total = own["total"].as_u64().expect("total");
    assert!(
        own_total > 0 && own_total < everyone,
        "{own_total} of {everyone}"
    );
    let items = own["items"].as_array().expect("items");
    assert!(
        items.iter().all(|s| s["class_name"] == "三年级(2)班"),
        "{own}"
    );
    let (_, searched) = t.get(&format!("{list}&q=周俊"), &head).await;
    assert_eq!(searched["total"], 1, "her own pupil is found: {searched}");

    // A pupil of another class is not found for her, as if it did not exist.
    let other = all["items"]
        .as_array()
        .and_then(|items| items.iter().find(|s| s["class_name"] != "三年级(2)班"))
        .and_then(|s| s["id"].as_i64())
        .expect("a pupil of another class");
    let path = format!("/api/v1/schools/{school}/students/{other}");
    assert_eq!(t.get(&path, &head).await.0, StatusCode::NOT_FOUND);
    assert_eq!(t.get(&path, &admin).await.0, StatusCode::OK);

    // 赵敏 teaches but heads no class: an empty list, not the school's roll.
    let teacher = t.login(TEACHER).await;
    let (status, none) = t.get(&list, &teacher).await;
    assert_eq!(
        (status, none["total"].as_u64()),
        (StatusCode::OK, Some(0)),
        "{none}"
    );

    // The export holds exactly what the list shows.
    let mut b = crate::pages::Browser::new(&t);
    b.login(HEAD_TEACHER, PASSWORD).await;
    let rows = workbook_rows(
        &b.get_bytes(&format!("/schools/{school}/students/export"))
            .await,
    );
    assert_eq!(
        rows.len() as u64,
        own_total + 1,
        "header and her pupils: {rows:?}"
    );
    let class_column = rows[0]
        .iter()
        .position(|h| h == "班级")
        .expect("班级 column");
    assert!(
        rows.iter()
            .skip(1)
            .all(|r| r[class_column] == "三年级(2)班"),
        "{rows:?}"
    );
}

#[tokio::test]
async fn c6_one_class_rule_for_the_form_the_edit_and_the_import() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let class = class_3_2(&t, &admin, school).await;
    let path = format!("/api/v1/schools/{school}/students");
    let (_, before) = t.get(&path, &admin).await;
    let student = |no: &str, status: &str, class: Option<i64>| {
        json!({"student_no": no, "name": "规则", "gender": "男", "status": status, "class_id": class,
               "guardians": [{"name": "家长", "phone": "13955550001", "relation": "父亲"}]})
    };
    // At school without a class: refused, nothing created.
    let (status, body) = t.post(&path, &admin, student("R1", "在读", None)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["details"].to_string().contains("class_id"), "{body}");
    assert_eq!(t.get(&path, &admin).await.1["total"], before["total"]);
    // A graduate may have none; a pupil at school with one is fine.
    assert_eq!(
        t.post(&path, &admin, student("R2", "毕业", None)).await.0,
        StatusCode::CREATED
    );
    let (status, created) = t
        .post(&path, &admin, student("R3", "在读", Some(class)))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    // Clearing the class of a pupil at school is refused too.
    let id = created["id"].as_i64().expect("id");
    let (status, body) = t
        .patch(&format!("{path}/{id}"), &admin, json!({"class_id": null}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        t.get(&format!("{path}/{id}"), &admin).await.1["class_id"],
        class
    );
}
