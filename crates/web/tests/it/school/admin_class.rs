use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::common::*;
use crate::pages::Browser;

#[tokio::test]
async fn c3_classes_with_alias_head_teacher_and_promotion() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let path = format!("/api/v1/schools/{school}/admin-classes");
    // The demo school: grades 1–6, three classes each; 郑丽 heads 三年级(2)班.
    let (_, list) = t
        .get(&format!("{path}?school_year=2026-2027"), &admin)
        .await;
    assert_eq!(list["total"], 18);
    let (_, third) = t
        .get(&format!("{path}?school_year=2026-2027&grade=3"), &admin)
        .await;
    let class_3_2 = third["items"]
        .as_array()
        .and_then(|i| i.iter().find(|c| c["number"] == 2))
        .cloned()
        .expect("三年级(2)班");
    assert_eq!(
        (
            class_3_2["name"].as_str(),
            class_3_2["head_teacher_name"].as_str()
        ),
        (Some("三年级(2)班"), Some("郑丽"))
    );

    let teacher = t.user_id(TEACHER).await;
    let (status, created) = t.post(&path, &admin, json!({"school_year": "2026-2027", "grade": 1, "number": 4, "alias": "飞翔班", "head_teacher_id": teacher})).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        (created["display_name"].as_str(), created["name"].as_str()),
        (Some("飞翔班"), Some("一年级(4)班"))
    );
    let id = created["id"].as_i64().expect("id");
    let (status, patched) = t
        .patch(
            &format!("{path}/{id}"),
            &admin,
            json!({"alias": "", "head_teacher_id": null}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(
        (
            patched["display_name"].as_str(),
            patched["head_teacher_id"].clone()
        ),
        (Some("一年级(4)班"), serde_json::Value::Null)
    );

    let parent = t.user_id(PARENT).await;
    let leader = t.user_id(CITY_LEADER).await;
    for (body, expected, field) in [
        (
            json!({"school_year": "2026-2027", "grade": 7, "number": 1}),
            StatusCode::BAD_REQUEST,
            "grade",
        ),
        (
            json!({"school_year": "2026-2027", "grade": 1, "number": 0}),
            StatusCode::BAD_REQUEST,
            "number",
        ),
        (
            json!({"school_year": "2026", "grade": 1, "number": 5}),
            StatusCode::BAD_REQUEST,
            "school_year",
        ),
        (
            json!({"school_year": "2026-2027", "grade": 1, "number": 5, "alias": "名".repeat(31)}),
            StatusCode::BAD_REQUEST,
            "alias",
        ),
        (
            json!({"school_year": "2026-2027", "grade": 1, "number": 5, "head_teacher_id": parent}),
            StatusCode::BAD_REQUEST,
            "head_teacher_id",
        ),
        (
            json!({"school_year": "2026-2027", "grade": 1, "number": 5, "head_teacher_id": leader}),
            StatusCode::BAD_REQUEST,
            "head_teacher_id",
        ),
        (
            json!({"school_year": "2026-2027", "grade": 1, "number": 1}),
            StatusCode::CONFLICT,
            "number",
        ),
    ] {
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
        t.get(&format!("{path}?school_year=2026-2027"), &admin)
            .await
            .1["total"],
        19,
        "only the one good class was added"
    );

    // Promotion: a preview first, which changes nothing.
    let students = format!("/api/v1/schools/{school}/students");
    let count = |q: String| {
        let (t, admin, students) = (&t, &admin, &students);
        async move { t.get(&format!("{students}?{q}"), admin).await.1["total"].as_u64() }
    };
    let class_3_2_id = class_3_2["id"].as_i64().expect("id");
    let in_3_2 = count(format!("class_id={class_3_2_id}&status=enrolled"))
        .await
        .expect("n");
    let enrolled = count("status=enrolled".into()).await.expect("n");
    assert!(in_3_2 >= 15, "{in_3_2}");
    let (status, preview) = t
        .get(
            &format!("{path}/promote?from_school_year=2026-2027"),
            &admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["to_school_year"], "2027-2028");
    let moves = preview["classes"].as_array().expect("classes");
    assert_eq!(moves.len(), 19);
    let three_two = moves
        .iter()
        .find(|m| m["from_class"] == "三年级(2)班")
        .expect("3-2");
    assert_eq!(
        (
            three_two["to_class"].as_str(),
            three_two["students"].as_u64()
        ),
        (Some("四年级(2)班"), Some(in_3_2))
    );
    assert!(
        moves
            .iter()
            .filter(|m| m["to_class"].is_null())
            .all(|m| m["from_class"].as_str().unwrap_or("").starts_with("六年级"))
    );
    let graduating = preview["students_graduating"].as_u64().expect("n");
    assert_eq!(
        preview["students_moving"].as_u64().expect("n") + graduating,
        enrolled
    );
    assert_eq!(
        count("status=graduated".into()).await,
        Some(0),
        "the preview changed nothing"
    );
    for bad in ["", "?from_school_year=2026", "?from_school_year=2030-2031"] {
        assert_eq!(
            t.get(&format!("{path}/promote{bad}"), &admin).await.0,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    assert_eq!(
        t.get(
            &format!("{path}/promote?from_school_year=2026-2027"),
            &t.login(TEACHER).await
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );

    // Grades 1–5 move up with their students, grade 6 graduates; a second promotion is refused.
    let events = t.audit_count("admin_class.promote").await;
    let (status, promoted) = t
        .post(
            &format!("{path}/promote"),
            &admin,
            json!({"from_school_year": "2026-2027"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{promoted}");
    assert_eq!(promoted["students_graduating"].as_u64(), Some(graduating));
    assert_eq!(t.audit_count("admin_class.promote").await, events + 1);
    assert_eq!(count("status=graduated".into()).await, Some(graduating));
    assert_eq!(
        count(format!("class_id={class_3_2_id}&status=enrolled")).await,
        Some(0),
        "moved out"
    );
    assert_eq!(
        t.get(&format!("{path}?school_year=2027-2028"), &admin)
            .await
            .1["total"],
        16,
        "15 demo classes of grades 1–5 and 一年级(4)班"
    );
    let (_, next) = t
        .get(&format!("{path}?school_year=2027-2028&grade=4"), &admin)
        .await;
    let moved = next["items"]
        .as_array()
        .and_then(|i| i.iter().find(|c| c["number"] == 2))
        .cloned()
        .expect("四年级(2)班");
    assert_eq!(moved["head_teacher_name"], "郑丽");
    assert_eq!(
        count(format!("class_id={}&status=enrolled", moved["id"])).await,
        Some(in_3_2),
        "moved in"
    );
    assert_eq!(
        t.get(&format!("{path}?school_year=2027-2028&grade=1"), &admin)
            .await
            .1["total"],
        0
    );
    assert_eq!(
        t.post(
            &format!("{path}/promote"),
            &admin,
            json!({"from_school_year": "2026-2027"})
        )
        .await
        .0,
        StatusCode::CONFLICT
    );
    assert_eq!(
        t.post(
            &format!("{path}/promote"),
            &admin,
            json!({"from_school_year": "2030-2031"})
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );

    // Departments and posts.
    let units = format!("/api/v1/schools/{school}/units");
    let (status, unit) = t
        .post(
            &units,
            &admin,
            json!({"kind": "department", "name": "科学教研组"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        t.post(
            &units,
            &admin,
            json!({"kind": "department", "name": "科学教研组"})
        )
        .await
        .0,
        StatusCode::CONFLICT
    );
    assert_eq!(
        t.post(&units, &admin, json!({"kind": "club", "name": "x"}))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    let (status, _) = t
        .api(
            Method::DELETE,
            &format!("{units}/{}", unit["id"]),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Scope: the bureau reads, another school does not find them.
    assert_eq!(
        t.get(&path, &t.login(STREET_OFFICER).await).await.0,
        StatusCode::OK
    );
    assert_eq!(
        t.post(&path, &t.login(STREET_OFFICER).await, json!({}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.get(&path, &t.login(SCHOOL2_ADMIN).await).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.patch(
            &format!("{path}/{id}"),
            &t.login(SCHOOL2_ADMIN).await,
            json!({"alias": "x"})
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn c3_class_page_adds_edits_and_promotes() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let mut b = Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let index = b.get("/admin-classes").await;
    assert_eq!(index.location, format!("/schools/{school}/admin-classes"));
    let page = b.get(&index.location).await;
    assert!(
        page.body.contains("三年级(2)班")
            && page.body.contains("郑丽")
            && page.body.contains("语文教研组")
    );
    let csrf = Browser::csrf(&page);
    let bad = b
        .post(
            &format!("/schools/{school}/admin-classes"),
            &[
                ("_csrf", &csrf),
                ("school_year", "2026-2027"),
                ("grade", "1"),
                ("number", "x"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let ok = b
        .post(
            &format!("/schools/{school}/admin-classes"),
            &[
                ("_csrf", &csrf),
                ("school_year", "2026-2027"),
                ("grade", "2"),
                ("number", "5"),
                ("alias", "星光班"),
                ("head_teacher_id", ""),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert!(b.get(&ok.location).await.body.contains("星光班"));
    let list = b.get(&ok.location).await;
    assert!(list.body.contains(&format!(
        "/schools/{school}/admin-classes/promote?year=2026-2027"
    )));
    let preview = b
        .get(&format!(
            "/schools/{school}/admin-classes/promote?year=2026-2027"
        ))
        .await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(
        preview.body.contains("四年级(2)班")
            && preview.body.contains("毕业")
            && preview.body.contains("确认升级")
    );
    let bad = b
        .get(&format!("/schools/{school}/admin-classes/promote?year=abc"))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let promoted = b
        .post(
            &format!("/schools/{school}/admin-classes/promote"),
            &[("_csrf", &csrf), ("from_school_year", "2026-2027")],
        )
        .await;
    assert_eq!(promoted.status, StatusCode::SEE_OTHER);
    assert!(promoted.location.contains("notice=promoted"));
    assert!(promoted.location.contains("2027-2028"));
    let next = b.get(&promoted.location).await;
    assert!(next.body.contains("三年级(5)班") && next.body.contains("星光班"));
    let again = b
        .post(
            &format!("/schools/{school}/admin-classes/promote"),
            &[("_csrf", &csrf), ("from_school_year", "2026-2027")],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("不能重复升级"));
}

#[tokio::test]
async fn c2_c3_staff_and_class_exports_read_back() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let mut b = crate::pages::Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let staff = workbook_rows(
        &b.get_bytes(&format!("/schools/{school}/staff/export"))
            .await,
    );
    assert!(
        staff.iter().skip(1).any(|r| r.iter().any(|c| c == "郑丽")),
        "{staff:?}"
    );
    // Phone numbers are masked in the export.
    assert!(
        !staff.iter().flatten().any(|c| c == "13800000010"),
        "a full phone number in the staff export: {staff:?}"
    );
    let classes = workbook_rows(
        &b.get_bytes(&format!(
            "/schools/{school}/admin-classes/export?school_year=2026-2027"
        ))
        .await,
    );
    assert_eq!(
        classes[0],
        ["学年", "年级", "班号", "班级别名", "班主任手机号"]
    );
    assert_eq!(classes.len(), 19, "18 classes of 2026-2027: {classes:?}");
    // 三年级(2)班 is headed by 郑丽, whose number is masked.
    assert_eq!(classes[8], ["2026-2027", "三年级", "2", "", "138****0010"]);
}
