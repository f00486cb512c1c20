//! The HTTP layer of kehou: the JSON API under `/api/v1` and the server-rendered pages.
//! No SQL here: every handler calls a use case of `kehou-service`.
//!
//! One module per business area (`platform`, `identity`, `org`, `school`, `import`), each
//! with its API handlers, its page handlers and one `area()` that declares its routes;
//! `http` holds what they share. [`router`] merges the areas: adding an area adds one line
//! to [`areas`].

pub mod http;

mod attendance;
mod billing;
mod course;
mod enrollment;
mod identity;
mod import;
mod institution;
mod org;
mod platform;
mod school;
mod supervision;
mod teaching;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
pub use kehou_service::App;

pub use http::error::{ApiError, ErrorBody};
use http::routes::{Area, Assembled, RouteInfo};

/// Settings of the HTTP layer.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Mark cookies `Secure` (behind https).
    pub secure_cookies: bool,
    /// The reverse proxies whose `X-Forwarded-For` is believed (right-most untrusted entry
    /// is the client); empty: the socket peer is the client.
    pub trusted_proxies: http::proxy::TrustedProxies,
    /// The addresses (or ranges) that may read `/metrics`, judged by the socket peer, never
    /// by a forwarded header; `None`: anyone (in-process tests).
    pub metrics_from: Option<http::proxy::TrustedProxies>,
}

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub config: Arc<WebConfig>,
}

/// Every business area's routes.
fn areas() -> Vec<Area> {
    vec![
        platform::area(),
        identity::area(),
        org::area(),
        school::area(),
        import::area(),
        institution::area(),
        course::area(),
        teaching::area(),
        enrollment::area(),
        billing::area(),
        attendance::area(),
        supervision::area(),
    ]
}

/// The OpenAPI document of `/api/v1`, built from the areas' route declarations.
pub fn openapi() -> utoipa::openapi::OpenApi {
    http::routes::assemble(areas()).openapi
}

/// Every route of the application, API and pages, as declared.
pub fn routes() -> Vec<RouteInfo> {
    http::routes::assemble(areas()).routes
}

/// The whole application: API, pages, static files and the health check.
pub fn router(app: App, config: WebConfig) -> Router {
    let state = AppState {
        app,
        config: Arc::new(config),
    };
    let Assembled {
        router, openapi, ..
    } = http::routes::assemble(areas());
    // Written once: the document does not change while the server runs.
    let openapi = axum::body::Bytes::from(serde_json::to_vec(&openapi).unwrap_or_default());
    router
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route(
            "/api/v1/openapi.json",
            get(move || async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    openapi,
                )
            }),
        )
        .route("/api/v1/{*rest}", axum::routing::any(http::api::not_found))
        .fallback(http::page::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.app.metrics.clone(),
            http::trace::layer,
        ))
        // Pages, JSON and the static files travel gzipped to clients that accept it (event
        // streams and small answers are left as they are).
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

/// Alive: the process answers. Load balancers and systemd watch this; it touches nothing.
async fn healthz() -> (StatusCode, &'static str) {
    (StatusCode::OK, "ok")
}

/// Ready for traffic: the database answers, its schema is this version's, and this
/// instance's job worker has shown it is alive within the last minute. A failing check is
/// named in the body (503), so that the operator sees which.
async fn readyz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> (StatusCode, String) {
    let failed = kehou_service::platform::status::unready(&state.app).await;
    if failed.is_empty() {
        (StatusCode::OK, "ready\n".into())
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready\n{}\n", failed.join("\n")),
        )
    }
}

/// The Prometheus scrape. It names routes and counts, no personal data; still, the
/// deployment guide keeps it off the public side of the proxy.
async fn metrics(
    axum::extract::State(state): axum::extract::State<AppState>,
    parts: axum::http::request::Parts,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if let Some(allowed) = &state.config.metrics_from
        && !parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .is_some_and(|p| allowed.trusts(p.0.ip()))
    {
        return StatusCode::NOT_FOUND.into_response();
    }
    match state.app.metrics.render(&state.app).await {
        Ok(text) => (
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    }
}
