//! D5: the bureau reviews an application (return, approve, reject), the applicant sees
//! why and completes it; only a leader halts (suspends, removes) an admitted institution;
//! every transition the state machine forbids is refused and changes nothing.

use axum::http::{StatusCode, header};
use serde_json::json;

use super::*;
use crate::common::*;
use crate::pages::Browser;

#[tokio::test]
async fn d5_the_bureau_returns_admits_and_halts_and_the_applicant_sees_why() {
    let t = TestApp::new().await;
    let mut applicant = Browser::new(&t);
    apply(&t, &mut applicant).await;
    let id = institution_id(&t, "示例编程教育中心").await;
    let officer = t.login(STREET_OFFICER).await;
    let leader = t.login(CITY_LEADER).await;
    let decide =
        |action: &'static str, reason: &'static str| json!({"action": action, "reason": reason});
    let path = format!("/api/v1/institutions/{id}/decision");

    // Returned for more material, with the reason the applicant reads.
    let (status, body) = t.post(&path, &officer, json!({"action": "return"})).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a reason is required: {body}"
    );
    assert_eq!(body["details"][0]["field"], "reason");
    let (status, body) = t
        .post(&path, &officer, decide("return", "请补充办学许可证"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "returned");
    assert_eq!(body["latest_reason"], "请补充办学许可证");
    applicant.login(APPLICANT, "Kexue2026").await;
    let own = applicant.get("/institution").await;
    assert!(own.body.contains("请补充办学许可证"), "the reason is shown");
    assert!(own.body.contains("退回补充材料"));
    assert!(own.body.contains("重新提交"), "a form to send it again");
    let messages = applicant.get("/messages").await;
    assert!(messages.body.contains("退回补充材料"));
    // Nothing to approve while it is with the applicant.
    let (status, _) = t.post(&path, &officer, decide("approve", "")).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // The applicant adds the licence and sends it again.
    let csrf = Browser::csrf(&own);
    let bad = applicant
        .upload_files(
            "/institution/resubmit",
            &[("_csrf", &csrf), ("note", "已补充")],
            &[("school_license", "办学许可证.pdf", PNG)],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("文件内容与扩展名不符"));
    let refused = applicant
        .upload_files(
            "/institution/resubmit",
            &[
                ("_csrf", &csrf),
                ("services_shown", "1"),
                ("address", "示例市石岐街道学院路10号"),
                ("business_scope", ""),
                ("legal_rep", "马晓东"),
                ("service_types", "quality"),
            ],
            &[("school_license", "办学许可证.pdf", PDF)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.body.contains("示例市石岐街道学院路10号"),
        "what was typed stays"
    );
    let sent = applicant
        .upload_files(
            "/institution/resubmit",
            &[
                ("_csrf", &csrf),
                ("note", "已补充办学许可证"),
                ("services_shown", "1"),
                ("address", "示例市石岐街道学院路10号"),
                ("business_scope", "少儿编程、机器人培训"),
                ("legal_rep", "马晓东"),
                ("service_types", "quality"),
            ],
            &[("school_license", "办学许可证.pdf", PDF)],
        )
        .await;
    assert!(sent.status.is_redirection(), "{}", sent.status);
    let (_, detail) = t.get(&format!("/api/v1/institutions/{id}"), &officer).await;
    assert_eq!(detail["status"], "pending");
    assert_eq!(detail["documents"].as_array().map(Vec::len), Some(3));
    assert_eq!(detail["address"], "示例市石岐街道学院路10号", "corrected");
    assert_eq!(detail["service_types"], json!(["quality"]));
    assert_eq!(
        detail["latest_reason"],
        json!(null),
        "the reason belonged to the return"
    );
    let again = applicant
        .upload_files("/institution/resubmit", &[("_csrf", &csrf)], &[])
        .await;
    assert_eq!(
        again.status,
        StatusCode::CONFLICT,
        "pending cannot be resubmitted"
    );

    // Admitted by the officer; halting is the leader's.
    let (status, body) = t.post(&path, &officer, decide("approve", "")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "admitted");
    let (status, _) = t.post(&path, &officer, decide("approve", "")).await;
    assert_eq!(status, StatusCode::CONFLICT, "already admitted");
    let (status, body) = t
        .post(&path, &officer, decide("suspend", "安全检查不合格"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = t
        .post(&path, &leader, decide("suspend", "安全检查不合格"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "suspended");
    let own = applicant.get("/institution").await;
    assert!(own.body.contains("已暂停") && own.body.contains("安全检查不合格"));
    let (status, body) = t.post(&path, &leader, decide("reinstate", "")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = t.post(&path, &leader, decide("remove", "多次违规")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "removed");
    for action in [
        "approve",
        "reject",
        "return",
        "suspend",
        "reinstate",
        "remove",
    ] {
        let (status, _) = t.post(&path, &leader, decide(action, "理由")).await;
        assert_eq!(status, StatusCode::CONFLICT, "{action} after removal");
    }
    let (_, detail) = t.get(&format!("/api/v1/institutions/{id}"), &leader).await;
    let steps: Vec<&str> = detail["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        steps,
        [
            "apply",
            "return",
            "resubmit",
            "approve",
            "suspend",
            "reinstate",
            "remove"
        ]
    );
    assert_eq!(
        detail["history"][1]["by"], "石岐街道",
        "the bureau speaks, not the clerk"
    );
    assert_eq!(t.audit_count("institution.decide").await, 5);
}

#[tokio::test]
async fn d5_decisions_refuse_bad_input_strangers_and_wrong_states() {
    let t = TestApp::new().await;
    let pending = institution_id(&t, "示例科创教育中心").await;
    let admitted = institution_id(&t, "示例艺术培训中心").await;
    let officer = t.login(STREET_OFFICER).await;
    let path = |id: i64| format!("/api/v1/institutions/{id}/decision");
    let long = "理".repeat(501);
    let cases = [
        (json!({}), StatusCode::BAD_REQUEST, "action"),
        (
            json!({"action": "promote"}),
            StatusCode::BAD_REQUEST,
            "action",
        ),
        (
            json!({"action": "resubmit"}),
            StatusCode::BAD_REQUEST,
            "action",
        ),
        (
            json!({"action": "reject"}),
            StatusCode::BAD_REQUEST,
            "reason",
        ),
        (
            json!({"action": "reject", "reason": "  "}),
            StatusCode::BAD_REQUEST,
            "reason",
        ),
        (
            json!({"action": "reject", "reason": long}),
            StatusCode::BAD_REQUEST,
            "reason",
        ),
        (
            json!({"action": "reject", "reason": "材料\u{202E}不全"}),
            StatusCode::BAD_REQUEST,
            "reason",
        ),
    ];
    for (body, status, field) in cases {
        let (got, answer) = t.post(&path(pending), &officer, body.clone()).await;
        assert_eq!(got, status, "{body}: {answer}");
        if !field.is_empty() {
            assert_eq!(answer["details"][0]["field"], field, "{body}");
        }
    }
    // The admitted institution of the city is outside the street: not found.
    let (status, _) = t
        .post(
            &path(admitted),
            &officer,
            json!({"action": "suspend", "reason": "x"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "halting is not the officer's"
    );
    let (status, _) = t
        .get(&format!("/api/v1/institutions/{admitted}"), &officer)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A school admin sees no institutions; another institution only itself.
    let school_admin = t.login(SCHOOL1_ADMIN).await;
    let (status, _) = t.get("/api/v1/institutions", &school_admin).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let art = t.login(INSTITUTION_ADMIN).await;
    let (status, list) = t.get("/api/v1/institutions", &art).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["total"], 1, "only itself: {list}");
    let (status, _) = t
        .get(&format!("/api/v1/institutions/{pending}"), &art)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = t
        .post(&path(admitted), &art, json!({"action": "approve"}))
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "no institution approves itself"
    );
    let (status, _) = t
        .get("/api/v1/institutions?status=sleeping", &officer)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Nothing changed.
    let (_, detail) = t
        .get(&format!("/api/v1/institutions/{pending}"), &officer)
        .await;
    assert_eq!(detail["status"], "pending");
    assert_eq!(detail["history"].as_array().map(Vec::len), Some(1));
    assert_eq!(t.audit_count("institution.decide").await, 0);
}

#[tokio::test]
async fn d5_documents_are_served_as_checked_to_those_in_scope_only() {
    let t = TestApp::new().await;
    let id = institution_id(&t, "示例科创教育中心").await;
    let officer = t.login(STREET_OFFICER).await;
    let (_, detail) = t.get(&format!("/api/v1/institutions/{id}"), &officer).await;
    let doc = detail["documents"][0]["id"].as_i64().expect("document");
    let url = format!("/api/v1/institutions/{id}/documents/{doc}");
    let res = t
        .request(
            axum::http::Request::get(&url)
                .header(header::AUTHORIZATION, format!("Bearer {officer}"))
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers();
    assert_eq!(h[header::CONTENT_TYPE], "application/pdf");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h[header::CACHE_CONTROL], "no-store");
    let disposition = h[header::CONTENT_DISPOSITION].to_str().expect("ascii");
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(
        disposition.contains("%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7.pdf"),
        "{disposition}"
    );
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .expect("body");
    assert!(bytes.starts_with(b"%PDF-"));

    // The page link, for the officer in a browser; nobody else's.
    let mut b = Browser::new(&t);
    b.login(STREET_OFFICER, PASSWORD).await;
    let page = b.get(&format!("/institutions/{id}")).await;
    let link = format!("/institutions/{id}/documents/{doc}");
    assert!(page.body.contains(&link));
    assert!(b.get_bytes(&link).await.starts_with(b"%PDF-"));
    for (who, status) in [
        (INSTITUTION_ADMIN, StatusCode::NOT_FOUND),
        (SCHOOL1_ADMIN, StatusCode::FORBIDDEN),
        (PARENT, StatusCode::FORBIDDEN),
    ] {
        let token = t.login(who).await;
        let (got, _) = t.get(&url, &token).await;
        assert_eq!(got, status, "{who}");
    }
    let (status, _) = t
        .get(
            &format!("/api/v1/institutions/{id}/documents/999999"),
            &officer,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The officer decides on the institution's page; a refused decision keeps the reason.
#[tokio::test]
async fn d5_the_officer_decides_on_the_page() {
    let t = TestApp::new().await;
    let id = institution_id(&t, "示例科创教育中心").await;
    let mut b = Browser::new(&t);
    b.login(STREET_OFFICER, PASSWORD).await;
    let list = b.get("/institutions?status=pending").await;
    assert!(list.body.contains("示例科创教育中心"));
    assert!(list.body.contains("待审核"));
    let page = b.get(&format!("/institutions/{id}")).await;
    assert!(page.body.contains(r#"value="approve""#));
    assert!(
        !page.body.contains(r#"value="suspend""#),
        "nothing to halt yet"
    );
    let csrf = Browser::csrf(&page);
    let refused = b
        .post(
            &format!("/institutions/{id}/decision"),
            &[("_csrf", &csrf), ("action", "reject"), ("reason", "")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("请填写驳回的理由"));
    let done = b
        .post(
            &format!("/institutions/{id}/decision"),
            &[
                ("_csrf", &csrf),
                ("action", "approve"),
                ("reason", "材料齐全"),
            ],
        )
        .await;
    assert!(done.status.is_redirection(), "{}", done.status);
    let page = b.get(&format!("/institutions/{id}")).await;
    assert!(page.body.contains("已准入"));
    assert!(page.body.contains("材料齐全"), "the opinion is kept");
}
