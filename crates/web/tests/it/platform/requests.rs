//! Request ids: every answer carries one, error bodies and error pages show it, and a
//! proxy's id is kept so that one request is one id from nginx to the log.

use axum::body::Body;
use axum::http::{Request, StatusCode};

use crate::common::*;

async fn send(t: &TestApp, req: Request<Body>) -> (StatusCode, String, String) {
    let res = t.request(req).await;
    let status = res.status();
    let id = res
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .expect("body");
    (status, id, String::from_utf8_lossy(&bytes).into())
}

#[tokio::test]
async fn p4_every_answer_has_a_request_id_shown_on_errors() {
    let t = TestApp::new().await;
    let (status, id, body) = send(
        &t,
        Request::get("/api/v1/no-such-thing")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(id.len(), 16, "a new id: {id}");
    let body: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(body["request_id"], id.as_str(), "{body}");

    // A page error names the id for the person to report.
    let (status, id, page) = send(
        &t,
        Request::get("/no-such-page")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains(&format!("请求编号：{id}")), "{page}");

    // The proxy's id is kept; a hostile one is replaced.
    let (_, kept, _) = send(
        &t,
        Request::get("/healthz")
            .header("x-request-id", "nginx-7f3a9c21")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(kept, "nginx-7f3a9c21");
    let (_, replaced, _) = send(
        &t,
        Request::get("/healthz")
            .header("x-request-id", "<script>alert(1)</script>")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(replaced.len(), 16);
    assert!(
        replaced.bytes().all(|b| b.is_ascii_alphanumeric()),
        "{replaced}"
    );
}

/// A page number near the integer limit once made the offset overflow and the request
/// die without an answer.
#[tokio::test]
async fn p1_huge_page_numbers_are_refused_or_start_over() {
    let t = TestApp::new().await;
    let admin = t.login(PLATFORM_ADMIN).await;
    for path in [
        "/api/v1/users?page=9223372036854775808",
        "/api/v1/audit-events?page=1000001",
        "/api/v1/messages?page=18446744073709551615",
    ] {
        let (status, body) = t.get(path, &admin).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(body["details"][0]["field"], "page", "{path}: {body}");
    }
    let (status, body) = t.get("/api/v1/users?page=1000000", &admin).await;
    assert_eq!(
        (status, body["items"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(0))
    );
    let mut b = crate::pages::Browser::new(&t);
    b.login(PLATFORM_ADMIN, PASSWORD).await;
    let page = b.get("/users?page=9223372036854775807").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("第 1 /"), "back to the first page");
}
