//! D6/D10: an institution keeps its teachers with the city's teacher fields; ID numbers
//! are encrypted and shown masked; each teacher gets an institution-teacher account, or an
//! invitation when the number already belongs to another organization.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::institution_id;
use crate::common::*;
use crate::pages::Browser;

fn id_number(first17: &str) -> String {
    kehou_domain::IdCardNo::complete(first17)
        .expect("id")
        .as_str()
        .to_string()
}

fn teacher(phone: &str, id: &str) -> Value {
    json!({"name": "陈思远", "id_number": id, "phone": phone, "education": "本科",
           "certificate_type": "小学", "certificate_no": "20194420001234",
           "title": "二级教师", "teaching_years": 5, "speciality": "围棋",
           "resume": "2019年起教授少儿围棋。\n获省级比赛优秀指导奖。"})
}

#[tokio::test]
async fn d10_an_institution_adds_a_teacher_who_logs_in_as_its_teacher() {
    let t = TestApp::new().await;
    let art = institution_id(&t, "示例艺术培训中心").await;
    let admin = t.login(INSTITUTION_ADMIN).await;
    let path = format!("/api/v1/institutions/{art}/teachers");
    let id = id_number("44200019900101001");
    let (status, body) = t.post(&path, &admin, teacher("13900000501", &id)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["joined"], true);
    assert_eq!(body["gender"], "男", "from the ID number");
    assert_eq!(body["age"], 36);
    assert_eq!(body["phone"], "139****0501");
    let masked = body["id_number"].as_str().expect("id");
    assert!(
        masked.starts_with("4420") && masked.contains("**********"),
        "{masked}"
    );
    assert!(
        !body.to_string().contains(&id),
        "the whole number never leaves"
    );

    // The bureau sees the teachers of the institutions in its jurisdiction.
    let leader = t.login(CITY_LEADER).await;
    let (status, list) = t.get(&path, &leader).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|x| x["name"].as_str())
        .collect();
    assert!(
        names.contains(&"陈思远") && names.contains(&"何雅琴"),
        "{names:?}"
    );
    assert!(!list.to_string().contains(&id));
    let mut b = Browser::new(&t);
    b.login(CITY_LEADER, PASSWORD).await;
    let page = b.get(&format!("/institutions/{art}")).await;
    assert!(page.body.contains("陈思远") && page.body.contains("围棋"));
    assert!(!page.body.contains(&id));

    // The new teacher logs in by SMS code as the institution's teacher.
    let (status, _) = t
        .post("/api/v1/auth/sms-code", "", json!({"phone": "13900000501"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let inbox = t.app.sms.sandbox().expect("sandbox").inbox(None);
    let text = &inbox.first().expect("code").text;
    let at = text.find("验证码 ").expect("code") + "验证码 ".len();
    let (status, login) = t
        .api(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"phone": "13900000501", "sms_code": &text[at..at + 6]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{login}");
    assert_eq!(
        t.audit_count("institution_teacher.create").await,
        4,
        "three demo teachers and one"
    );
}

#[tokio::test]
async fn d10_a_number_of_another_organization_is_invited() {
    let t = TestApp::new().await;
    let art = institution_id(&t, "示例艺术培训中心").await;
    let admin = t.login(INSTITUTION_ADMIN).await;
    let (status, body) = t
        .post(
            &format!("/api/v1/institutions/{art}/teachers"),
            &admin,
            teacher(TEACHER, &id_number("44200019850606002")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["joined"], false, "waits for her answer");
    assert!(
        !body.to_string().contains("赵敏"),
        "the account's name is not revealed"
    );
    let teacher_token = t.login(TEACHER).await;
    let (_, inbox) = t.get("/api/v1/messages", &teacher_token).await;
    let link = inbox["items"][0]["link"]
        .as_str()
        .expect("link")
        .to_string();
    let offer = link.rsplit('/').next().expect("id");
    let (status, _) = t
        .api(
            Method::POST,
            &format!("/api/v1/invitations/{offer}/accept"),
            Some(&teacher_token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, list) = t
        .get(&format!("/api/v1/institutions/{art}/teachers"), &admin)
        .await;
    let joined = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|x| x["name"] == "陈思远")
        .map(|x| x["joined"].clone());
    assert_eq!(joined, Some(json!(true)));
}

#[tokio::test]
async fn d10_teachers_refuse_bad_input_and_strangers_and_change_nothing() {
    let t = TestApp::new().await;
    let art = institution_id(&t, "示例艺术培训中心").await;
    let admin = t.login(INSTITUTION_ADMIN).await;
    let path = format!("/api/v1/institutions/{art}/teachers");
    let before = t.get(&path, &admin).await.1;
    let good = teacher("13900000502", &id_number("44200019900101001"));
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    let taken_id = id_number("44200019880312402"); // 何雅琴's, from the demo
    let cases = [
        (with("name", json!("")), StatusCode::BAD_REQUEST, "name"),
        (
            with("id_number", json!("442000199001010010")),
            StatusCode::BAD_REQUEST,
            "id_number",
        ),
        (
            with("id_number", json!(null)),
            StatusCode::BAD_REQUEST,
            "id_number",
        ),
        (
            with("gender", json!("女")),
            StatusCode::BAD_REQUEST,
            "gender",
        ),
        (
            with("phone", json!("12345")),
            StatusCode::BAD_REQUEST,
            "phone",
        ),
        (
            with("education", json!("小学")),
            StatusCode::BAD_REQUEST,
            "education",
        ),
        (
            with("certificate_type", json!("大学")),
            StatusCode::BAD_REQUEST,
            "certificate_type",
        ),
        (
            with("certificate_no", json!("")),
            StatusCode::BAD_REQUEST,
            "certificate_no",
        ),
        (
            with("teaching_years", json!(61)),
            StatusCode::BAD_REQUEST,
            "teaching_years",
        ),
        (
            with("resume", json!("简历\u{202E}")),
            StatusCode::BAD_REQUEST,
            "resume",
        ),
        (
            with("resume", json!("字".repeat(2001))),
            StatusCode::BAD_REQUEST,
            "resume",
        ),
        (
            with("id_number", json!(taken_id)),
            StatusCode::CONFLICT,
            "id_number",
        ),
        (
            with("phone", json!("13800000021")),
            StatusCode::CONFLICT,
            "phone",
        ),
    ];
    for (body, status, field) in cases {
        let (got, answer) = t.post(&path, &admin, body.clone()).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert_eq!(answer["details"][0]["field"], field, "{body}: {answer}");
    }
    // Only the institution itself adds its teachers.
    let leader = t.login(CITY_LEADER).await;
    let (got, _) = t.post(&path, &leader, good.clone()).await;
    assert_eq!(
        got,
        StatusCode::FORBIDDEN,
        "a bureau reads, it does not add"
    );
    let other = t.login("13800000020").await;
    let (got, _) = t.post(&path, &other, good.clone()).await;
    assert_eq!(got, StatusCode::NOT_FOUND, "another institution");
    let (got, _) = t.get(&path, &other).await;
    assert_eq!(got, StatusCode::NOT_FOUND);
    let school = t.login(SCHOOL1_ADMIN).await;
    let (got, _) = t.get(&path, &school).await;
    assert_eq!(got, StatusCode::FORBIDDEN);
    let school1 = t.org_id("示例第一小学").await;
    let (got, _) = t
        .get(&format!("/api/v1/institutions/{school1}/teachers"), &leader)
        .await;
    assert_eq!(got, StatusCode::NOT_FOUND, "a school is no institution");

    assert_eq!(t.get(&path, &admin).await.1, before);
    assert_eq!(
        t.audit_count("institution_teacher.create").await,
        3,
        "the demo's only"
    );
}

/// The institution admin adds a teacher on the page; a refused form keeps the typing.
#[tokio::test]
async fn d10_teachers_are_added_on_a_page_of_their_own() {
    let t = TestApp::new().await;
    let mut b = Browser::new(&t);
    b.login(INSTITUTION_ADMIN, PASSWORD).await;
    let list = b.get("/institution/teachers").await;
    assert!(
        list.body.contains("何雅琴") && list.body.contains(r#"href="/institution/teachers/new""#)
    );
    let form = b.get("/institution/teachers/new").await;
    let csrf = Browser::csrf(&form);
    let id = id_number("44200019900101001");
    let mut fields = vec![
        ("_csrf", csrf.as_str()),
        ("name", "陈思远"),
        ("id_number", id.as_str()),
        ("phone", "13900000503"),
        ("education", "本科"),
        ("certificate_type", "小学"),
        ("certificate_no", "20194420001234"),
        ("teaching_years", "五年"),
        ("speciality", "围棋"),
    ];
    let refused = b.post("/institution/teachers", &fields).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("教龄应为整数") && refused.body.contains(r#"value="围棋""#));
    fields.retain(|(k, _)| *k != "teaching_years");
    fields.push(("teaching_years", "5"));
    let done = b.post("/institution/teachers", &fields).await;
    assert!(done.status.is_redirection(), "{}", done.status);
    let list = b.get("/institution/teachers").await;
    assert!(list.body.contains("陈思远"));
    assert!(!list.body.contains(&id));
}

#[tokio::test]
async fn d6_a_teachers_criminal_record_check_is_uploaded_and_read_in_scope() {
    let t = TestApp::new().await;
    let art = super::institution_id(&t, "示例艺术培训中心").await;
    let admin = t.login(INSTITUTION_ADMIN).await;
    let (_, list) = t
        .get(&format!("/api/v1/institutions/{art}/teachers"), &admin)
        .await;
    let he = list["items"]
        .as_array()
        .and_then(|items| items.iter().find(|x| x["name"] == "何雅琴"))
        .cloned()
        .unwrap_or_default();
    assert!(he["record_file_name"].is_null(), "none yet: {he}");
    let id = he["id"].as_i64().unwrap_or_default();
    let mut b = crate::pages::Browser::new(&t);
    b.login(INSTITUTION_ADMIN, PASSWORD).await;
    let page = b.get("/institution/teachers").await;
    assert!(page.body.contains("未上传"));
    let csrf = crate::pages::Browser::csrf(&page);
    let path = format!("/institution/teachers/{id}/record");
    for (name, bytes) in [
        ("记录.pdf", super::PNG),
        ("记录.exe", b"MZ not a document".as_slice()),
        ("空.pdf", b"".as_slice()),
    ] {
        let refused = b
            .upload_files(&path, &[("_csrf", &csrf)], &[("record", name, bytes)])
            .await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{name}: {}",
            refused.body
        );
    }
    let saved = b
        .upload_files(
            &path,
            &[("_csrf", &csrf)],
            &[("record", "何雅琴无犯罪记录.pdf", super::PDF)],
        )
        .await;
    assert!(saved.status.is_redirection(), "{}", saved.body);
    let record = format!("/institutions/{art}/teachers/{id}/record");
    let res = b.raw_get(&record).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    // The city reads it; another institution and a school do not.
    let mut city = crate::pages::Browser::new(&t);
    city.login(CITY_LEADER, PASSWORD).await;
    assert_eq!(city.raw_get(&record).await.status(), StatusCode::OK);
    assert!(
        city.get(&format!("/institutions/{art}"))
            .await
            .body
            .contains("何雅琴无犯罪记录.pdf")
    );
    let mut other = crate::pages::Browser::new(&t);
    other.login("13800000020", PASSWORD).await;
    assert_eq!(other.raw_get(&record).await.status(), StatusCode::NOT_FOUND);
    let mut school = crate::pages::Browser::new(&t);
    school.login(SCHOOL1_ADMIN, PASSWORD).await;
    assert_eq!(
        school.raw_get(&record).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(t.audit_count("institution_teacher.record").await, 1);
}

#[tokio::test]
async fn d6_an_institution_admin_adds_staff_accounts_of_its_own_roles_only() {
    let t = TestApp::new().await;
    let art = super::institution_id(&t, "示例艺术培训中心").await;
    let admin = t.login(INSTITUTION_ADMIN).await;
    let role = t.role_id("institution_admin").await;
    let (status, u) = t
        .post(
            "/api/v1/users",
            &admin,
            json!({"phone": "13900000077", "name": "周敏", "org_id": art, "role_id": role, "password": "Staff@2026x"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{u}");
    let (status, _) = t
        .post(
            "/api/v1/users",
            &admin,
            json!({"phone": "13900000078", "name": "钱伟", "org_id": art, "role_id": t.role_id("school_admin").await, "password": "Staff@2026x"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a school's role is not the institution's"
    );
    let school = t.org_id("示例第一小学").await;
    let (status, _) = t
        .post(
            "/api/v1/users",
            &admin,
            json!({"phone": "13900000079", "name": "钱伟", "org_id": school, "role_id": role, "password": "Staff@2026x"}),
        )
        .await;
    assert!(
        status == StatusCode::NOT_FOUND || status == StatusCode::BAD_REQUEST,
        "a school is out of scope: {status}"
    );
}

#[tokio::test]
async fn d6_an_institution_keeps_departments_and_puts_its_teachers_in_them() {
    let t = TestApp::new().await;
    let art = super::institution_id(&t, "示例艺术培训中心").await;
    let admin = t.login(INSTITUTION_ADMIN).await;
    let path = format!("/api/v1/institutions/{art}/departments");
    let (status, d) = t.post(&path, &admin, json!({"name": "美术教学部"})).await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    let dept = d["id"].as_i64().unwrap_or_default();
    for (body, want) in [
        (json!({"name": ""}), StatusCode::BAD_REQUEST),
        (json!({"name": "部\u{202E}门"}), StatusCode::BAD_REQUEST),
        (json!({"name": "长".repeat(31)}), StatusCode::BAD_REQUEST),
        (json!({"name": "美术教学部"}), StatusCode::CONFLICT),
    ] {
        let (status, err) = t.post(&path, &admin, body.clone()).await;
        assert_eq!(status, want, "{body}: {err}");
    }
    let (_, list) = t
        .get(&format!("/api/v1/institutions/{art}/teachers"), &admin)
        .await;
    let he = list["items"][0]["id"].as_i64().unwrap_or_default();
    let assign = format!("/api/v1/institutions/{art}/teachers/{he}/department");
    let (status, _) = t
        .put(&assign, &admin, json!({"department_id": 999999}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a department of another");
    let (status, _) = t.put(&assign, &admin, json!({"department_id": dept})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = t
        .get(&format!("/api/v1/institutions/{art}/teachers"), &admin)
        .await;
    let teacher = list["items"]
        .as_array()
        .and_then(|i| i.iter().find(|x| x["id"] == he))
        .cloned()
        .unwrap_or_default();
    assert_eq!(teacher["department"], "美术教学部");
    // Not removed while it has teachers; the city reads it but changes nothing.
    let (status, _) = t
        .api(
            Method::DELETE,
            &format!("{path}/{dept}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let city = t.login(CITY_LEADER).await;
    let (status, seen) = t.get(&path, &city).await;
    assert_eq!(
        (status, seen["items"][0]["teachers"].as_u64()),
        (StatusCode::OK, Some(1))
    );
    let (status, _) = t.post(&path, &city, json!({"name": "x"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // On the page: moved out, then removed.
    let mut b = Browser::new(&t);
    b.login(INSTITUTION_ADMIN, PASSWORD).await;
    let page = b.get("/institution/teachers").await;
    assert!(page.body.contains("美术教学部（1名教师）"), "{}", page.body);
    let csrf = Browser::csrf(&page);
    let moved = b
        .post(
            &format!("/institution/teachers/{he}/department"),
            &[("_csrf", &csrf), ("department_id", "")],
        )
        .await;
    assert!(moved.status.is_redirection());
    let removed = b
        .post(
            &format!("/institution/departments/{dept}/delete"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert!(removed.status.is_redirection(), "{}", removed.body);
    let (_, seen) = t.get(&path, &admin).await;
    assert_eq!(seen["total"], 0);
    assert_eq!(t.audit_count("institution_department.assign").await, 2);
}
