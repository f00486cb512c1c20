//! Request tracing and protective headers. Every request gets an id (the proxy's `X-Request-Id` when it sends a
//! sane one, else a new one), every log line written while it is served carries it (a
//! tracing span), the answer carries it back in `X-Request-Id`, and error pages and error
//! bodies show it, so that a person's report can be found in the logs.

use std::time::Instant;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

tokio::task_local! {
    static REQUEST_ID: String;
}

pub const HEADER: &str = "x-request-id";

/// The id of the request being served, if any.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

fn acceptable(id: &str) -> bool {
    (8..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub async fn layer(
    axum::extract::State(metrics): axum::extract::State<
        std::sync::Arc<kehou_service::platform::metrics::Metrics>,
    >,
    req: Request,
    next: Next,
) -> Response {
    // The declared route, so that `/metrics` has one series per route, not one per id.
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("(unmatched)", |m| m.as_str())
        .to_string();
    let method = req.method().to_string();
    let id = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|id| acceptable(id))
        .map(String::from)
        .unwrap_or_else(|| kehou_service::identity::auth::random_token()[..16].to_string());
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = %req.method(),
        path = %req.uri().path(),
    );
    let started = Instant::now();
    let mut res = REQUEST_ID
        .scope(id.clone(), next.run(req))
        .instrument(span.clone())
        .await;
    let elapsed = started.elapsed();
    span.in_scope(|| {
        tracing::info!(
            status = res.status().as_u16(),
            ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            "answered"
        );
    });
    metrics.request(
        &method,
        &route,
        res.status().as_u16(),
        elapsed.as_secs_f64(),
    );
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HEADER, value);
    }
    protect(res.headers_mut());
    res
}

/// What the browser may do with our answers: scripts and styles only from us (no inline
/// script), never inside another site's frame, no type guessing, and nothing stored unless
/// the answer says so (pages carry personal data; the Back button after logging out must
/// not show them again).
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
     script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

fn protect(headers: &mut axum::http::HeaderMap) {
    use axum::http::header;
    let set = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
    ];
    for (name, value) in set {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
}
