//! What every answer tells the browser: a content security policy without inline script,
//! no framing, no type sniffing, nothing cached unless said (personal data), and styled
//! Chinese errors for malformed paths and queries.

use axum::http::{StatusCode, header};

use crate::common::*;
use crate::pages::Browser;

#[tokio::test]
async fn p4_pages_carry_protective_headers_and_are_not_cached() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let mut b = Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let page = b.get(&format!("/schools/{school}/students")).await;
    assert_eq!(page.status, StatusCode::OK);
    let h = |name: header::HeaderName| {
        page.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(h(header::CACHE_CONTROL), "no-store");
    assert_eq!(h(header::X_FRAME_OPTIONS), "DENY");
    assert_eq!(h(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    let csp = h(header::CONTENT_SECURITY_POLICY);
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    // No page relies on inline script, which the policy forbids.
    for path in ["/", "/password", &format!("/schools/{school}/students")] {
        let body = b.get(path).await.body;
        assert!(
            !body.contains(" onclick=") && !body.contains("<script>"),
            "{path}"
        );
    }
    // Static files may be cached; they hold no personal data.
    let css = b.get("/static/app.css").await;
    assert_eq!(
        css.headers
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok()),
        Some("max-age=300")
    );
}

#[tokio::test]
async fn p1_malformed_page_paths_and_queries_get_styled_chinese_errors() {
    let t = TestApp::new().await;
    let school = t.org_id("示例第一小学").await;
    let mut b = Browser::new(&t);
    b.login(SCHOOL1_ADMIN, PASSWORD).await;
    let page = b.get(&format!("/schools/{school}/students/abc")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(
        page.body.contains("页面不存在") && page.body.contains("返回首页"),
        "{}",
        page.body
    );
    let page = b.get(&format!("/schools/{school}/rooms/1x")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("<html"), "{}", page.body);
    // The API answers JSON for the same mistakes.
    let admin = t.login(SCHOOL1_ADMIN).await;
    let (status, body) = t
        .get(&format!("/api/v1/schools/{school}/students/abc"), &admin)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "not_found", "{body}");
}

/// Text answers travel compressed to clients that accept gzip; others get them plain.
#[tokio::test]
async fn p1_text_answers_are_compressed() {
    let t = TestApp::new().await;
    let get = |path: &str, gzip: bool| {
        let mut req = axum::http::Request::get(path);
        if gzip {
            req = req.header("accept-encoding", "gzip");
        }
        req.body(axum::body::Body::empty()).expect("request")
    };
    for path in ["/static/app.css", "/login", "/api/v1/openapi.json"] {
        let res = t.request(get(path, true)).await;
        assert_eq!(
            res.headers()
                .get("content-encoding")
                .and_then(|v| v.to_str().ok()),
            Some("gzip"),
            "{path}"
        );
        let plain = t.request(get(path, false)).await;
        assert!(plain.headers().get("content-encoding").is_none(), "{path}");
    }
}
