//! The course area: the city's course specifications and prices (D1); offerings follow.

mod api;
mod pages;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::routes::{Area, PageRoutes};

pub fn area() -> Area {
    Area {
        api: OpenApiRouter::new()
            .routes(routes!(api::list, api::create))
            .routes(routes!(api::get, api::update))
            .routes(routes!(api::change_price)),
        pages: PageRoutes::new()
            .get("/course-specs", pages::list)
            .post("/course-specs", pages::create)
            .get("/course-specs/new", pages::new_page)
            .get("/course-specs/{id}", pages::detail)
            .get("/course-specs/{id}/edit", pages::edit)
            .get("/course-specs/{id}/price", pages::price_page)
            .post("/course-specs/{id}", pages::update)
            .post("/course-specs/{id}/prices", pages::change_price),
    }
}
