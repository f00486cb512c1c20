//! D5: an institution applies without an account: its contact's phone proven by an SMS
//! code, its documents checked by content; it gets an institution-admin account.

use axum::http::StatusCode;
use serde_json::json;

use super::*;
use crate::common::*;
use crate::pages::Browser;

#[tokio::test]
async fn d5_an_institution_applies_with_a_proven_phone_and_its_documents() {
    let t = TestApp::new().await;
    let mut b = Browser::new(&t);
    let done = apply(&t, &mut b).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("申请已提交"), "{}", done.body);
    assert!(done.body.contains("石岐街道"));
    assert_eq!(t.audit_count("institution.apply").await, 1);

    // The officer of 石岐街道 sees it waiting, with its documents.
    let officer = t.login(STREET_OFFICER).await;
    let (status, list) = t.get("/api/v1/institutions?status=pending", &officer).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let names: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["name"].as_str())
        .collect();
    assert!(names.contains(&"示例编程教育中心"), "{names:?}");
    assert!(
        names.contains(&"示例科创教育中心"),
        "the demo's application"
    );
    let id = institution_id(&t, "示例编程教育中心").await;
    let (_, detail) = t.get(&format!("/api/v1/institutions/{id}"), &officer).await;
    assert_eq!(detail["status"], "pending");
    assert_eq!(detail["bureau_name"], "石岐街道");
    assert_eq!(
        detail["contact_phone"], "139****0088",
        "the number is masked"
    );
    assert_eq!(detail["service_types"], json!(["quality", "featured"]));
    let kinds: Vec<&str> = detail["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .filter_map(|d| d["content_type"].as_str())
        .collect();
    assert_eq!(kinds, ["application/pdf", "image/png"]);
    assert_eq!(detail["history"][0]["action_label"], "提交申请");

    // The street's reviewer is told; the city's leader (another bureau) is not.
    let titles = |body: serde_json::Value| -> Vec<String> {
        body["items"]
            .as_array()
            .expect("messages")
            .iter()
            .filter_map(|m| m["title"].as_str().map(String::from))
            .collect()
    };
    let (_, inbox) = t.get("/api/v1/messages", &officer).await;
    assert!(
        titles(inbox.clone()).contains(&"“示例编程教育中心”申请入驻，待审核".to_string()),
        "{inbox}"
    );
    assert_eq!(inbox["items"][0]["link"], format!("/institutions/{id}"));
    let leader = t.login(CITY_LEADER).await;
    let (_, inbox) = t.get("/api/v1/messages", &leader).await;
    assert!(
        titles(inbox)
            .iter()
            .all(|t| !t.contains("示例编程教育中心"))
    );

    // The applicant logs in with the password chosen and follows the review.
    let token = t.try_login(APPLICANT, "Kexue2026").await;
    assert_eq!(token.0, StatusCode::OK, "{}", token.1);
    let mut applicant = Browser::new(&t);
    applicant.login(APPLICANT, "Kexue2026").await;
    let own = applicant.get("/institution").await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(own.body.contains("待审核"));
    assert!(own.body.contains("营业执照.pdf"));
    let home = applicant.get("/").await;
    assert!(home.body.contains("机构入驻"), "the navigation leads there");
    let messages = applicant.get("/messages").await;
    assert!(messages.body.contains("入驻申请已提交"));
}

#[tokio::test]
async fn d5_bad_applications_are_refused_clearly_and_change_nothing() {
    let t = TestApp::new().await;
    let shiqi = t.org_id("石岐街道").await.to_string();
    let school = t.org_id("示例第一小学").await.to_string();
    let admin = t.login(PLATFORM_ADMIN).await;
    let count = |body: serde_json::Value| body["total"].as_u64().expect("total");
    let before = count(t.get("/api/v1/institutions", &admin).await.1);
    let mut b = Browser::new(&t);
    let (mut csrf, code) = code_for(&t, &mut b, APPLICANT).await;
    let good = credit_code("52442000MJ0000777");
    let taken = {
        let (_, list) = t.get("/api/v1/institutions", &admin).await;
        list["items"][0]["credit_code"]
            .as_str()
            .expect("code")
            .to_string()
    };
    let big = {
        let mut v = PDF.to_vec();
        v.resize(5 * 1024 * 1024 + 1, b' ');
        v
    };
    let docs: &[(&str, &str, &[u8])] = &[
        ("business_license", "营业执照.pdf", PDF),
        ("safety_pledge", "安全承诺书.pdf", PDF),
    ];
    let bidi = "示例\u{202E}中心";
    // (what, changed fields, documents, the field named in the answer)
    type Case<'a> = (
        &'a str,
        Vec<(&'a str, &'a str)>,
        Vec<(&'a str, &'a str, &'a [u8])>,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            "bad check character",
            vec![("credit_code", "91350100M000100Y44")],
            docs.to_vec(),
            "统一社会信用代码校验位不正确",
        ),
        (
            "short code",
            vec![("credit_code", "9135")],
            docs.to_vec(),
            "统一社会信用代码应为18位",
        ),
        (
            "code taken",
            vec![("credit_code", &taken)],
            docs.to_vec(),
            "已提交过入驻申请",
        ),
        ("no name", vec![("name", "")], docs.to_vec(), "不能为空"),
        (
            "bidi name",
            vec![("name", bidi)],
            docs.to_vec(),
            "文字方向控制符",
        ),
        (
            "no service",
            vec![("service_types", "")],
            docs.to_vec(),
            "请至少选择一种服务类型",
        ),
        (
            "unknown service",
            vec![("service_types", "tutoring")],
            docs.to_vec(),
            "服务类型无效",
        ),
        (
            "a school is no bureau",
            vec![("bureau_id", &school)],
            docs.to_vec(),
            "请选择受理的教育行政部门",
        ),
        (
            "weak password",
            vec![("password", "12345678")],
            docs.to_vec(),
            "密码须同时包含字母和数字",
        ),
        (
            "missing licence",
            vec![],
            vec![("safety_pledge", "安全承诺书.pdf", PDF)],
            "请上传营业执照",
        ),
        (
            "disguised file",
            vec![],
            vec![
                ("business_license", "营业执照.pdf", PNG),
                ("safety_pledge", "安全承诺书.pdf", PDF),
            ],
            "文件内容与扩展名不符",
        ),
        (
            "executable",
            vec![],
            vec![
                ("business_license", "营业执照.pdf", b"MZ\x90\0\x03"),
                ("safety_pledge", "安全承诺书.pdf", PDF),
            ],
            "只接受PDF、PNG或JPG文件",
        ),
        (
            "oversize",
            vec![],
            vec![
                ("business_license", "营业执照.pdf", &big),
                ("safety_pledge", "安全承诺书.pdf", PDF),
            ],
            "超过5MB",
        ),
        (
            "wrong code",
            vec![("sms_code", "000000")],
            docs.to_vec(),
            "验证码错误",
        ),
    ];
    for (what, changes, files, says) in cases {
        let wrong = if what == "wrong code" {
            "000000"
        } else {
            &code
        };
        let f = fields(&csrf, &good, &shiqi, wrong, &changes);
        let page = b.upload_files("/register/institution", &f, &files).await;
        assert!(page.status.is_client_error(), "{what}: {}", page.status);
        assert!(page.body.contains(says), "{what}: wants {says}");
        assert!(
            page.body.contains("示例市石岐街道学院路8号"),
            "{what}: typed text kept"
        );
        // Each answer carries a fresh token for the form.
        csrf = Browser::csrf(&page);
    }
    // Without the form's cookie: refused (a cross-site post).
    let mut stranger = Browser::new(&t);
    let page = stranger
        .upload_files(
            "/register/institution",
            &fields(&csrf, &good, &shiqi, &code, &[]),
            docs,
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("页面已过期"));
    // Not multipart at all.
    let page = b.post("/register/institution", &[("_csrf", &csrf)]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    let csrf = Browser::csrf(&page);

    assert_eq!(count(t.get("/api/v1/institutions", &admin).await.1), before);
    assert_eq!(t.audit_count("institution.apply").await, 0);
    assert_eq!(
        t.try_login(APPLICANT, "Kexue2026").await.0,
        StatusCode::UNAUTHORIZED
    );

    // The code was not used up by the refused forms (but for the wrong one): it still
    // files the application.
    let done = b
        .upload_files(
            "/register/institution",
            &fields(&csrf, &good, &shiqi, &code, &[]),
            docs,
        )
        .await;
    assert!(done.body.contains("申请已提交"), "{}", done.body);
}

/// A number that already has an account keeps it: the institution is added to it.
#[tokio::test]
async fn d5_an_existing_account_applies_and_keeps_its_password() {
    let t = TestApp::new().await;
    let shiqi = t.org_id("石岐街道").await.to_string();
    let mut b = Browser::new(&t);
    let (csrf, code) = code_for(&t, &mut b, PARENT).await;
    let credit = credit_code("52442000MJ0000555");
    let done = b
        .upload_files(
            "/register/institution",
            &fields(
                &csrf,
                &credit,
                &shiqi,
                &code,
                &[("phone", PARENT), ("password", "Another2026")],
            ),
            &[
                ("business_license", "营业执照.pdf", PDF),
                ("safety_pledge", "安全承诺书.pdf", PDF),
            ],
        )
        .await;
    assert!(done.body.contains("和原有密码"), "{}", done.body);
    assert_eq!(
        t.try_login(PARENT, "Another2026").await.0,
        StatusCode::UNAUTHORIZED
    );
    let token = t.login(PARENT).await;
    let (_, me) = t.get("/api/v1/me", &token).await;
    let kinds: Vec<&str> = me["memberships"]
        .as_array()
        .expect("memberships")
        .iter()
        .filter_map(|m| m["org_kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"school") && kinds.contains(&"institution"),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn d6_an_admitted_institution_keeps_its_details_and_adds_documents() {
    let t = TestApp::new().await;
    let art = super::institution_id(&t, "示例艺术培训中心").await;
    let admin = t.login(INSTITUTION_ADMIN).await;
    let path = format!("/api/v1/institutions/{art}");
    let (status, d) = t
        .patch(
            &path,
            &admin,
            json!({"contact_name": "吴婷婷", "address": "示例市石岐街道新址 8 号"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["contact_name"], "吴婷婷");
    assert_eq!(d["address"], "示例市石岐街道新址 8 号");
    for (body, field) in [
        (json!({"legal_rep": "张三"}), "legal_rep"),
        (json!({"address": "a\u{202E}b"}), "address"),
        (json!({"service_types": []}), "service_types"),
        (
            json!({"business_scope": "长".repeat(501)}),
            "business_scope",
        ),
    ] {
        let (status, err) = t.patch(&path, &admin, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {err}");
        assert_eq!(err["details"][0]["field"], field, "{err}");
    }
    let (status, _) = t
        .patch(&path, &t.login(CITY_LEADER).await, json!({"address": "x"}))
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the bureau does not write an institution's details"
    );
    // The institution still under review corrects through its returned application.
    let pending = super::institution_id(&t, "示例科创教育中心").await;
    let lin = t.login("13800000020").await;
    let (status, _) = t
        .patch(
            &format!("/api/v1/institutions/{pending}"),
            &lin,
            json!({"address": "新址"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = t.patch(&path, &lin, json!({"address": "新址"})).await;
    assert!(
        status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN,
        "another's: {status}"
    );
    assert_eq!(t.audit_count("institution.profile").await, 1);

    // On the page: a renewed licence is added; a disguised file is refused.
    let mut b = Browser::new(&t);
    b.login(INSTITUTION_ADMIN, PASSWORD).await;
    let page = b.get("/institution").await;
    assert!(
        page.body.contains("修改机构资料") && page.body.contains("吴婷婷"),
        "{}",
        page.body
    );
    let csrf = Browser::csrf(&page);
    let fields = [
        ("_csrf", csrf.as_str()),
        ("services_shown", "1"),
        ("service_types", "quality"),
        ("contact_name", "吴婷婷"),
        ("address", "示例市石岐街道新址 8 号"),
        ("business_scope", "艺术类培训"),
    ];
    let refused = b
        .upload_files(
            "/institution/profile",
            &fields,
            &[("school_license", "许可证.pdf", super::PNG)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.body.contains("文件内容与扩展名不符"),
        "{}",
        refused.body
    );
    let saved = b
        .upload_files(
            "/institution/profile",
            &fields,
            &[("school_license", "许可证2027.pdf", super::PDF)],
        )
        .await;
    assert!(saved.status.is_redirection(), "{}", saved.body);
    let (_, d) = t.get(&path, &t.login(CITY_LEADER).await).await;
    assert_eq!(d["business_scope"], "艺术类培训");
    assert!(
        d["documents"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|x| x["file_name"] == "许可证2027.pdf"),
        "{d}"
    );
}
