pub mod dispatches;
pub mod registration;
pub mod review;
pub mod teachers;

use crate::common::*;
use crate::pages::{Browser, Page};

/// A small valid PDF.
pub const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
/// The first bytes of a PNG.
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

/// A new institution's number.
pub const APPLICANT: &str = "13900000088";

/// A credit code with a right check character (GB 32100).
pub fn credit_code(first17: &str) -> String {
    kehou_domain::institution::CreditCode::with_check(first17)
        .expect("code")
        .to_string()
}

/// The application form's fields, good ones, with `changes` applied.
pub fn fields<'a>(
    csrf: &'a str,
    code: &'a str,
    bureau: &'a str,
    sms: &'a str,
    changes: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("_csrf", csrf),
        ("contact_name", "马晓东"),
        ("phone", APPLICANT),
        ("sms_code", sms),
        ("password", "Kexue2026"),
        ("name", "示例编程教育中心"),
        ("credit_code", code),
        ("legal_rep", "马晓东"),
        ("address", "示例市石岐街道学院路8号"),
        ("business_scope", "少儿编程、机器人培训"),
        ("service_types", "quality"),
        ("service_types", "featured"),
        ("bureau_id", bureau),
    ];
    for (k, v) in changes {
        f.retain(|(name, _)| name != k);
        if !v.is_empty() {
            f.push((k, v));
        }
    }
    f
}

/// Opens the form, asks for a code and reads it from the SMS sandbox.
pub async fn code_for(t: &TestApp, b: &mut Browser<'_>, phone: &str) -> (String, String) {
    let form = b.get("/register/institution").await;
    assert_eq!(form.status, axum::http::StatusCode::OK);
    let csrf = Browser::csrf(&form);
    let sent = b
        .upload_files(
            "/register/institution/sms-code",
            &[("_csrf", &csrf), ("phone", phone)],
            &[],
        )
        .await;
    assert!(sent.body.contains("验证码已发送"), "{}", sent.body);
    let csrf = Browser::csrf(&sent);
    let inbox = t.app.sms.sandbox().expect("sandbox").inbox(None);
    let text = &inbox.first().expect("a code").text;
    let at = text.find("验证码 ").expect("code") + "验证码 ".len();
    (csrf, text[at..at + 6].to_string())
}

/// Files a complete application for 示例编程教育中心 to 石岐街道; returns its page.
pub async fn apply(t: &TestApp, b: &mut Browser<'_>) -> Page {
    let shiqi = t.org_id("石岐街道").await.to_string();
    let (csrf, code) = code_for(t, b, APPLICANT).await;
    let credit = credit_code("52442000MJ0000777");
    b.upload_files(
        "/register/institution",
        &fields(&csrf, &credit, &shiqi, &code, &[]),
        &[
            ("business_license", "营业执照.pdf", PDF),
            ("safety_pledge", "安全承诺书.png", PNG),
        ],
    )
    .await
}

/// The organization id of the institution with this name, as the platform admin sees it.
pub async fn institution_id(t: &TestApp, name: &str) -> i64 {
    let admin = t.login(PLATFORM_ADMIN).await;
    let (_, body) = t
        .get(
            &format!("/api/v1/institutions?q={}", urlencode(name)),
            &admin,
        )
        .await;
    body["items"][0]["id"].as_i64().expect("institution")
}
