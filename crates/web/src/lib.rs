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
        .layer(axum::middleware::from_fn(http::trace::layer))
        // Pages, JSON and the static files travel gzipped to clients that accept it (event
        // streams and small answers are left as they are).
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

async fn healthz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> (StatusCode, &'static str) {
    match state.app.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}
