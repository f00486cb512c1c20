//! The platform area: the audit trail (API and pages), static files, the OpenAPI document.

mod api;
mod pages;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::routes::{Area, PageRoutes};

pub fn area() -> Area {
    Area {
        api: OpenApiRouter::new().routes(routes!(api::list)),
        pages: PageRoutes::new()
            .get("/static/app.css", pages::css)
            .get("/static/app.js", pages::js)
            .get("/static/favicon.svg", pages::favicon)
            .get("/favicon.ico", pages::favicon)
            .get("/audit", pages::list)
            .get("/audit/export", pages::export),
    }
}
