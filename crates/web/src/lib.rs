//! The HTTP layer of kehou: the JSON API under `/api/v1` and the server-rendered pages.
//! No SQL here: every handler calls a use case of `kehou-service`.

pub mod api;
mod error;
mod extract;
mod pages;
mod xlsx;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
pub use kehou_service::App;

pub use error::{ApiError, ErrorBody};

/// Settings of the HTTP layer.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Mark cookies `Secure` (behind https).
    pub secure_cookies: bool,
    /// Take the client address from `X-Forwarded-For` (behind a trusted reverse proxy).
    pub trust_proxy: bool,
}

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub config: Arc<WebConfig>,
}

/// The whole application: API, pages, static files and the health check.
pub fn router(app: App, config: WebConfig) -> Router {
    let state = AppState {
        app,
        config: Arc::new(config),
    };
    Router::new()
        .route("/healthz", get(healthz))
        .nest("/api/v1", api::router())
        .merge(pages::router())
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
