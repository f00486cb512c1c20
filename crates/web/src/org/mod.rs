//! The organization area: the tree of bureaus, schools, institutions and operators.

mod api;
mod pages;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::routes::{Area, PageRoutes};

pub fn area() -> Area {
    Area {
        api: OpenApiRouter::new()
            .routes(routes!(api::list, api::create))
            .routes(routes!(api::get, api::update)),
        pages: PageRoutes::new()
            .get("/orgs", pages::list)
            .get("/orgs/export", pages::export)
            .get("/orgs/new", pages::new_page)
            .post("/orgs/new", pages::create)
            .get("/orgs/{id}", pages::detail)
            .post("/orgs/{id}", pages::update)
            .post("/orgs/{id}/active", pages::set_active),
    }
}
