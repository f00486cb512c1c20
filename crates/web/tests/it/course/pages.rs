//! D4, D6, D8, D9: the course, library, offering and plan pages: forms on their own pages,
//! refusals that keep what was typed and name the field, and nothing changed by them.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::*;
use crate::import::imports::xlsx;
use crate::pages::Browser;

#[tokio::test]
async fn d6_d8_courses_are_kept_and_submitted_on_pages() {
    let t = TestApp::new().await;
    let mut b = Browser::new(&t);
    b.login(INSTITUTION_ADMIN, PASSWORD).await;
    let list = b.get("/courses").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body.contains("少儿国画") && list.body.contains("已入库"),
        "{}",
        list.body
    );
    let form = b.get("/courses/new").await;
    let csrf = Browser::csrf(&form);
    let spec = crate::course::courses::spec_id(&t, &t.login(INSTITUTION_ADMIN).await, "ZS-TS-01")
        .await
        .to_string();
    let fields = |name: &'static str, min: &'static str| {
        vec![
            ("name", name),
            ("class_size_min", min),
            ("class_size_max", "20"),
            ("lesson_count", "8"),
            ("lesson_minutes", "60"),
            ("grades", "3"),
            ("chapters", "1 笔墨\n2 线条"),
            ("materials", "宣纸 | 四尺三开 | 20\n颜料"),
            ("active", "1"),
        ]
    };
    let mut bad = fields("水彩画", "5");
    bad.push(("spec_id", &spec));
    bad.push(("_csrf", &csrf));
    let refused = b.post("/courses", &bad).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.body.contains("班额须在课程规格的10-25人之间"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("2 线条"), "what was typed stays");
    let mut good = fields("水彩画", "10");
    good.push(("spec_id", &spec));
    good.push(("_csrf", &csrf));
    let saved = b.post("/courses", &good).await;
    assert!(saved.status.is_redirection(), "{}", saved.body);
    let page = b.get(&saved.location).await;
    assert!(
        page.body.contains("第2章　线条") && page.body.contains("四尺三开"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("颜料"),
        "a material without quantity counts one"
    );
    let id: i64 = saved
        .location
        .trim_start_matches("/courses/")
        .split('?')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_default();
    // Pictures and attachments: checked by content, served with their checked type.
    let files_path = format!("/courses/{id}/files");
    for (field, name, bytes, reason) in [
        (
            "picture",
            "scan.pdf",
            crate::institution::PDF,
            "只接受PNG或JPG图片",
        ),
        (
            "attachment",
            "photo.pdf",
            crate::institution::PNG,
            "文件内容与扩展名不符",
        ),
        (
            "attachment",
            "run.exe",
            b"MZ\x90\x00 not a document".as_slice(),
            "只接受PDF、PNG或JPG文件",
        ),
        (
            "poster",
            "a.png",
            crate::institution::PNG,
            "文件类型应为图片或附件",
        ),
    ] {
        let refused = b
            .upload_files(&files_path, &[("_csrf", &csrf)], &[(field, name, bytes)])
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(refused.body.contains(reason), "{name}: {}", refused.body);
    }
    let too_big = vec![0u8; 5 * 1024 * 1024 + 10];
    let refused = b
        .upload_files(
            &files_path,
            &[("_csrf", &csrf)],
            &[("attachment", "big.pdf", &too_big)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let uploaded = b
        .upload_files(
            &files_path,
            &[("_csrf", &csrf)],
            &[
                ("picture", "作品.png", crate::institution::PNG),
                ("attachment", "大纲.pdf", crate::institution::PDF),
            ],
        )
        .await;
    assert!(uploaded.status.is_redirection(), "{}", uploaded.body);
    let (_, c) = t
        .get(
            &format!("/api/v1/courses/{id}"),
            &t.login(INSTITUTION_ADMIN).await,
        )
        .await;
    assert_eq!(c["files"].as_array().map(Vec::len), Some(2), "{c}");
    let picture = c["files"][0]["id"].as_i64().unwrap_or_default();
    let res = b.raw_get(&format!("/courses/{id}/files/{picture}")).await;
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap_or("")
            .starts_with("attachment")
    );
    let page = b.get(&format!("/courses/{id}")).await;
    assert!(
        page.body
            .contains(&format!("<img src=\"/courses/{id}/files/{picture}\"")),
        "{}",
        page.body
    );
    // Another institution does not reach the course or its files.
    let mut other = Browser::new(&t);
    other.login("13800000020", PASSWORD).await;
    assert_eq!(
        other
            .raw_get(&format!("/courses/{id}/files/{picture}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // Submitted to the city's library from the course page.
    let city = t.org_id("示例市教育和体育局").await.to_string();
    let sent = b
        .post(
            "/library",
            &[
                ("_csrf", &csrf),
                ("kind", "course"),
                ("subject_id", &id.to_string()),
                ("bureau_id", &city),
            ],
        )
        .await;
    assert!(sent.status.is_redirection(), "{}", sent.body);
    let again = b
        .post(
            "/library",
            &[
                ("_csrf", &csrf),
                ("kind", "course"),
                ("subject_id", &id.to_string()),
                ("bureau_id", &city),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    // The expert sees it waiting and admits it from the list.
    let mut e = Browser::new(&t);
    e.login(EXPERT_REVIEWER, PASSWORD).await;
    let waiting = e.get("/library?status=submitted").await;
    assert!(waiting.body.contains("水彩画"), "{}", waiting.body);
    let (_, entries) = t
        .get(
            "/api/v1/library?status=submitted",
            &t.login(EXPERT_REVIEWER).await,
        )
        .await;
    let entry = entries["items"][0]["id"].as_i64().unwrap_or_default();
    let csrf = Browser::csrf(&waiting);
    let no_comment = e
        .post(
            &format!("/library/{entry}/decision"),
            &[("_csrf", &csrf), ("action", "reject")],
        )
        .await;
    assert_eq!(no_comment.status, StatusCode::BAD_REQUEST);
    assert!(no_comment.body.contains("请填写评审意见"));
    let admitted = e
        .post(
            &format!("/library/{entry}/decision"),
            &[("_csrf", &csrf), ("action", "admit")],
        )
        .await;
    assert!(admitted.status.is_redirection());
    assert!(
        b.get(&format!("/courses/{id}"))
            .await
            .body
            .contains("已入库")
    );
}

#[tokio::test]
async fn d4_d9_offering_items_and_plans_are_changed_on_pages() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let (_, term) = t
        .post(
            &format!("/api/v1/schools/{school}/terms"),
            &admin,
            json!({"school_year": "2026-2027", "name": "第二学期", "start_date": "2027-02-22", "end_date": "2027-07-02"}),
        )
        .await;
    let term = term["id"].as_i64().unwrap_or_default();
    let (_, copied) = t
        .post(
            &format!("/api/v1/schools/{school}/terms/{term}/offering/copy"),
            &admin,
            json!({}),
        )
        .await;
    let item = copied["offering"]["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["name"] == "科学实验"))
        .cloned()
        .unwrap_or_default();
    let item_id = item["id"].as_i64().unwrap_or_default();

    let mut b = Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let offering = b
        .get(&format!("/schools/{school}/offering?term={term}"))
        .await;
    assert!(
        offering.body.contains("复制") || offering.body.contains("修改"),
        "{}",
        offering.body
    );
    let edit = b
        .get(&format!(
            "/schools/{school}/offering/items/{item_id}/edit?term={term}"
        ))
        .await;
    assert_eq!(edit.status, StatusCode::OK);
    assert!(
        edit.body.contains("value=\"30.00\""),
        "the textbook fee as it is: {}",
        edit.body
    );
    let csrf = Browser::csrf(&edit);
    let teacher = item["teachers"][0]["staff_id"]
        .as_i64()
        .unwrap_or_default()
        .to_string();
    let path = format!("/schools/{school}/offering/items/{item_id}?term={term}");
    let refused = b
        .post(
            &path,
            &[
                ("_csrf", &csrf),
                ("textbook_fee", "三十"),
                ("grades", "3"),
                ("teachers", &teacher),
                ("capacity", "20"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.body.contains("value=\"三十\""),
        "what was typed stays"
    );
    let saved = b
        .post(
            &path,
            &[
                ("_csrf", &csrf),
                ("textbook_fee", "35"),
                ("grades", "3"),
                ("teachers", &teacher),
                ("capacity", "20"),
            ],
        )
        .await;
    assert!(saved.status.is_redirection(), "{}", saved.body);
    let (_, o) = t
        .get(
            &format!("/api/v1/schools/{school}/terms/{term}/offering"),
            &admin,
        )
        .await;
    let changed = o["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["id"] == item_id))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (
            changed["textbook_fee_fen"].as_i64(),
            changed["capacity"].as_i64()
        ),
        (Some(3500), Some(20))
    );
    assert_eq!(changed["grades"], json!([3]));

    // A plan on pages: created, a line set, exported, imported.
    let plans = b.get(&format!("/schools/{school}/plans?term={term}")).await;
    assert!(
        plans.body.contains("本学期还没有课程方案"),
        "{}",
        plans.body
    );
    let csrf = Browser::csrf(&plans);
    let empty = b
        .post(
            &format!("/schools/{school}/plans?term={term}"),
            &[("_csrf", &csrf), ("name", "")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    let created = b
        .post(
            &format!("/schools/{school}/plans?term={term}"),
            &[
                ("_csrf", &csrf),
                ("name", "春季方案"),
                ("grade", ""),
                ("mode", "enroll_first"),
                ("enabled", "1"),
            ],
        )
        .await;
    assert!(created.status.is_redirection(), "{}", created.body);
    let plan_path = created
        .location
        .split('?')
        .next()
        .unwrap_or_default()
        .to_string();
    let bad_line = b
        .post(
            &format!("{plan_path}/lines?term={term}"),
            &[
                ("_csrf", &csrf),
                ("item_id", &item_id.to_string()),
                ("grade", "5"),
                ("classes", "1"),
                ("class_size", "20"),
                ("weekly_lessons", "1"),
            ],
        )
        .await;
    assert_eq!(bad_line.status, StatusCode::BAD_REQUEST);
    assert!(
        bad_line.body.contains("五年级不在课程的开课年级"),
        "{}",
        bad_line.body
    );
    let line = b
        .post(
            &format!("{plan_path}/lines?term={term}"),
            &[
                ("_csrf", &csrf),
                ("item_id", &item_id.to_string()),
                ("grade", "3"),
                ("classes", "2"),
                ("class_size", "20"),
                ("weekly_lessons", "1"),
            ],
        )
        .await;
    assert!(line.status.is_redirection(), "{}", line.body);
    let page = b.get(&format!("{plan_path}?term={term}")).await;
    assert!(
        page.body.contains("先选课报名") && page.body.contains(">40<"),
        "{}",
        page.body
    );
    let rows = workbook_rows(
        &b.get_bytes(&format!("{plan_path}/export?term={term}"))
            .await,
    );
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1], vec!["科学实验", "三年级", "2", "20", "1"]);
    let book = xlsx(
        &["课程", "年级", "班数", "每班人数", "每周课时"],
        &[
            vec![
                "科学实验".into(),
                "三年级".into(),
                "3".into(),
                "20".into(),
                "1".into(),
            ],
            vec![
                "科学实验".into(),
                "三年级".into(),
                "x".into(),
                "20".into(),
                "1".into(),
            ],
        ],
    );
    let imported = b
        .upload(
            &format!("{plan_path}/import?term={term}"),
            &[("_csrf", &csrf), ("mode", "all_or_nothing")],
            "plan.xlsx",
            &book,
        )
        .await;
    assert_eq!(imported.status, StatusCode::OK);
    assert!(
        imported.body.contains("未写入任何数据") && imported.body.contains("班数应为1到50的整数"),
        "{}",
        imported.body
    );
    let hostile = b
        .upload(
            &format!("{plan_path}/import?term={term}"),
            &[("_csrf", &csrf)],
            "plan.xlsx",
            b"%PDF-1.4 not a workbook",
        )
        .await;
    assert_eq!(hostile.status, StatusCode::BAD_REQUEST, "{}", hostile.body);
}
