use axum::http::{Method, StatusCode, header};
use serde_json::json;

use crate::common::*;
use crate::pages::Browser;

#[tokio::test]
async fn c1_profile_type_decides_stages_and_grades() {
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let path = format!("/api/v1/schools/{school}/profile");
    let (status, before) = t.get(&path, &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(before["school_type"], "primary", "set by the demo data");
    let (status, body) = t.put(&path, &admin, json!({"school_type": "nine_year", "nature": "公办", "address": "示例市石岐区民族路1号", "campuses": ["本部", " ", "东校区"]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["stages"], json!(["小学", "初中"]));
    assert_eq!(body["grades"].as_array().map(Vec::len), Some(9));
    assert_eq!(body["grades"][8], "九年级");
    assert_eq!(body["campuses"], json!(["本部", "东校区"]));
    assert_eq!(body["nature_label"], "公办");

    for (bad, field) in [
        (
            json!({"school_type": "university", "nature": "public"}),
            "school_type",
        ),
        (
            json!({"school_type": "primary", "nature": "charity"}),
            "nature",
        ),
        (
            json!({"school_type": "primary", "nature": "public", "address": "址".repeat(201)}),
            "address",
        ),
        (
            json!({"school_type": "primary", "nature": "public", "campuses": ["校".repeat(51)]}),
            "campuses[0]",
        ),
    ] {
        let (status, answer) = t.put(&path, &admin, bad.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(
            answer["details"]
                .as_array()
                .expect("details")
                .iter()
                .any(|d| d["field"] == field),
            "{bad} → {answer}"
        );
    }
    assert_eq!(
        t.get(&path, &admin).await.1["school_type"],
        "nine_year",
        "unchanged"
    );
    // The bureau reads the profile; it cannot write it; another school cannot see it.
    let officer = t.login(STREET_OFFICER).await;
    assert_eq!(
        t.get(&path, &officer).await.1["address"],
        "示例市石岐区民族路1号"
    );
    assert_eq!(
        t.put(
            &path,
            &officer,
            json!({"school_type": "primary", "nature": "public"})
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.get(&path, &t.login(SCHOOL2_ADMIN).await).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn c5_p4_contact_phones_are_encrypted_masked_and_revealed_with_audit() {
    use kehou_store::entity::school::school_contact;
    use kehou_store::sea_orm::EntityTrait;
    let t = TestApp::new().await;
    let admin = t.login(SCHOOL1_ADMIN).await;
    let school = t.org_id("示例第一小学").await;
    let (status, body) = t
        .post(
            &format!("/api/v1/schools/{school}/contacts"),
            &admin,
            json!({"name": "林校长", "title": "安全副校长", "phone": "13912345678"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["emergency_contacts"][0]["phone"], "139****5678");
    let id = body["emergency_contacts"][0]["id"].as_i64().expect("id");

    // At rest: ciphertext and blind index, no plain number.
    let row = school_contact::Entity::find_by_id(id)
        .one(&t.app.db)
        .await
        .expect("query")
        .expect("row");
    assert!(!row.phone_enc.contains("13912345678") && !row.phone_index.contains("13912345678"));
    assert_eq!(row.phone_index, t.app.vault.blind_index("13912345678"));

    // The whole number: for holders of personal.view, each look audited.
    let phone_path = format!("/api/v1/schools/{school}/contacts/{id}/phone");
    let (status, body) = t.get(&phone_path, &admin).await;
    assert_eq!(
        (status, body["phone"].as_str()),
        (StatusCode::OK, Some("13912345678"))
    );
    assert_eq!(t.audit_count("personal.view").await, 1);
    assert_eq!(
        t.get(&phone_path, &t.login(STREET_OFFICER).await).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.get(&phone_path, &t.login(TEACHER).await).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.get(&phone_path, &t.login(CITY_LEADER).await).await.0,
        StatusCode::OK
    );
    assert_eq!(
        t.get(&phone_path, &t.login(SCHOOL2_ADMIN).await).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(t.audit_count("personal.view").await, 2);

    for bad in [
        json!({"name": "王", "phone": "12345"}),
        json!({"name": "", "phone": "13912345678"}),
        json!({"phone": "13912345678"}),
    ] {
        assert_eq!(
            t.post(
                &format!("/api/v1/schools/{school}/contacts"),
                &admin,
                bad.clone()
            )
            .await
            .0,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    let (status, body) = t
        .api(
            Method::DELETE,
            &format!("/api/v1/schools/{school}/contacts/{id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["emergency_contacts"].as_array().map(Vec::len), Some(0));
    assert_eq!(t.get(&phone_path, &admin).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn c1_school_page_edits_profile_and_reveals_a_phone_once() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let mut b = Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let first = b.get("/school").await;
    assert_eq!(first.location, format!("/school?school_id={school}"));
    let page = b.get(&first.location).await;
    assert!(page.body.contains("示例第一小学") && page.body.contains("一年级、二年级"));
    let csrf = Browser::csrf(&page);
    let bad = b
        .post(
            &format!("/schools/{school}/profile"),
            &[("_csrf", &csrf), ("school_type", "x"), ("nature", "public")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("学校类型无效"));
    let ok = b
        .post(
            &format!("/schools/{school}/profile"),
            &[
                ("_csrf", &csrf),
                ("school_type", "primary"),
                ("nature", "public"),
                ("address", "民族路1号"),
                ("campuses", "本部\n东校区"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let page = b.get(&ok.location).await;
    assert!(
        page.body
            .contains("一年级、二年级、三年级、四年级、五年级、六年级")
            && page.body.contains("本部、东校区")
    );

    let added = b
        .post(
            &format!("/schools/{school}/contacts"),
            &[
                ("_csrf", &csrf),
                ("name", "林校长"),
                ("title", "安全副校长"),
                ("phone", "13912345678"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let page = b.get(&added.location).await;
    assert!(page.body.contains("139****5678") && !page.body.contains("13912345678"));
    let admin = t.login(SCHOOL1_ADMIN).await;
    let id = t
        .get(&format!("/api/v1/schools/{school}/profile"), &admin)
        .await
        .1["emergency_contacts"][0]["id"]
        .as_i64()
        .expect("id");
    let revealed = b
        .post(
            &format!("/schools/{school}/contacts/{id}/reveal"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(revealed.status, StatusCode::OK);
    assert!(revealed.body.contains("13912345678") && revealed.body.contains("记入操作日志"));
    assert_eq!(
        revealed
            .headers
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );

    // A teacher sees the masked number and no reveal button.
    let mut teacher = Browser::new(&t);
    teacher.login(TEACHER, PASSWORD).await;
    let page = teacher.get(&format!("/school?school_id={school}")).await;
    assert!(page.body.contains("139****5678") && !page.body.contains("查看完整号码"));
    assert_eq!(
        teacher
            .post(
                &format!("/schools/{school}/contacts/{id}/reveal"),
                &[("_csrf", &Browser::csrf(&page))]
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}
