//! The import area: Excel templates, uploads that run as durable jobs, their progress and
//! error reports. What each kind of row means lives with its area (`school`).

mod api;
mod pages;

use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::post;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::http::api::UPLOAD_LIMIT;
use crate::http::routes::{Area, PageRoutes};

pub fn area() -> Area {
    Area {
        api: OpenApiRouter::new()
            .routes(routes!(api::template))
            .routes(routes!(api::start).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)))
            .routes(routes!(api::job))
            .routes(routes!(api::report)),
        pages: PageRoutes::new()
            .get("/schools/{id}/imports/{kind}", pages::form)
            .with(
                "/schools/{id}/imports/{kind}",
                Method::POST,
                post(pages::upload).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
            )
            .get("/schools/{id}/imports/{kind}/template", pages::template)
            .get("/schools/{id}/imports/jobs/{job_id}", pages::job)
            .get("/schools/{id}/imports/jobs/{job_id}/report", pages::report),
    }
}
