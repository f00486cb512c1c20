//! The course area: the city's course specifications and prices (D1), courses, the
//! bureaus' libraries and rules, and the schools' term offerings.

mod api;
mod catalog_api;
mod catalog_pages;
mod offering_pages;
mod pages;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::routes::{Area, PageRoutes};

pub fn area() -> Area {
    Area {
        api: OpenApiRouter::new()
            .routes(routes!(api::list, api::create))
            .routes(routes!(api::get, api::update))
            .routes(routes!(api::change_price))
            .routes(routes!(catalog_api::list, catalog_api::create))
            .routes(routes!(catalog_api::get, catalog_api::update))
            .routes(routes!(catalog_api::institution_courses))
            .routes(routes!(
                catalog_api::library_list,
                catalog_api::library_submit
            ))
            .routes(routes!(catalog_api::library_decide))
            .routes(routes!(catalog_api::policy_get, catalog_api::policy_set))
            .routes(routes!(catalog_api::offerings))
            .routes(routes!(catalog_api::offering_get))
            .routes(routes!(catalog_api::offering_published))
            .routes(routes!(catalog_api::item_add))
            .routes(routes!(catalog_api::item_update, catalog_api::item_remove))
            .routes(routes!(catalog_api::offering_copy))
            .routes(routes!(catalog_api::offering_action))
            .routes(routes!(catalog_api::offering_decide)),
        pages: PageRoutes::new()
            .get("/course-specs", pages::list)
            .post("/course-specs", pages::create)
            .get("/course-specs/new", pages::new_page)
            .get("/course-specs/{id}", pages::detail)
            .get("/course-specs/{id}/edit", pages::edit)
            .get("/course-specs/{id}/price", pages::price_page)
            .post("/course-specs/{id}", pages::update)
            .post("/course-specs/{id}/prices", pages::change_price)
            .get("/courses", catalog_pages::list)
            .post("/courses", catalog_pages::create)
            .get("/courses/new", catalog_pages::new_page)
            .get("/courses/{id}", catalog_pages::detail)
            .get("/courses/{id}/edit", catalog_pages::edit)
            .post("/courses/{id}", catalog_pages::update)
            .get("/library", catalog_pages::library_index)
            .post("/library", catalog_pages::submit)
            .post("/library/{id}/decision", catalog_pages::library_decide)
            .get("/offering", offering_pages::index)
            .get("/offering/published", offering_pages::published)
            .get("/offerings", offering_pages::list)
            .post("/offerings/policy", offering_pages::set_policy)
            .get("/schools/{id}/offering", offering_pages::school_offering)
            .post("/schools/{id}/offering/actions", offering_pages::action)
            .post("/schools/{id}/offering/copy", offering_pages::copy)
            .post("/schools/{id}/offering/decision", offering_pages::decide)
            .get("/schools/{id}/offering/items/new", offering_pages::new_item)
            .post("/schools/{id}/offering/items", offering_pages::add_item)
            .post(
                "/schools/{id}/offering/items/{item_id}/remove",
                offering_pages::remove_item,
            ),
    }
}
