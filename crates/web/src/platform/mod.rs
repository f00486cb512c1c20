//! The platform area: the audit trail, the message centre (API and pages), the SMS
//! sandbox's inbox page, static files.

mod api;
mod pages;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::routes::{Area, PageRoutes};

pub fn area() -> Area {
    Area {
        api: OpenApiRouter::new()
            .routes(routes!(api::list))
            .routes(routes!(api::messages))
            .routes(routes!(api::unread_count))
            .routes(routes!(api::read_message))
            .routes(routes!(api::read_all_messages)),
        pages: PageRoutes::new()
            .get("/static/app.css", pages::css)
            .get("/static/app.js", pages::js)
            .get("/static/favicon.svg", pages::favicon)
            .get("/favicon.ico", pages::favicon)
            .get("/audit", pages::list)
            .get("/audit/export", pages::export)
            .get("/messages", pages::messages)
            .get("/messages/stream", pages::message_stream)
            .post("/messages/read-all", pages::read_all_messages)
            .post("/messages/{id}/open", pages::open_message)
            .get("/sandbox/sms", pages::sandbox_sms)
            .get("/system", pages::system_status),
    }
}
