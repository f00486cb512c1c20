//! The course area: the city's course specifications and prices (D1), courses, the
//! bureaus' libraries and rules, and the schools' term offerings.

mod api;
mod catalog_api;
mod catalog_pages;
mod offering_pages;
pub(crate) use offering_pages::pick_term;
mod pages;
mod plan_api;
mod plan_pages;

use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::post;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::http::api::UPLOAD_LIMIT;
use crate::http::routes::{Area, PageRoutes};

/// An upload of a course's files: ten of 5 MB and the form.
const FILES_LIMIT: usize = 52 * 1024 * 1024;

pub fn area() -> Area {
    Area {
        api: OpenApiRouter::new()
            .routes(routes!(api::list, api::create))
            .routes(routes!(api::get, api::update))
            .routes(routes!(api::change_price))
            .routes(routes!(catalog_api::list, catalog_api::create))
            .routes(routes!(catalog_api::get, catalog_api::update))
            .routes(routes!(catalog_api::institution_courses))
            .routes(routes!(catalog_api::course_file))
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
            .routes(routes!(catalog_api::offering_decide))
            .routes(routes!(plan_api::list, plan_api::create))
            .routes(routes!(plan_api::get, plan_api::update))
            .routes(routes!(plan_api::set_line))
            .routes(routes!(plan_api::remove_line))
            .routes(routes!(plan_api::export))
            .routes(routes!(plan_api::import).layer(DefaultBodyLimit::max(UPLOAD_LIMIT))),
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
            .with(
                "/courses/{id}/files",
                Method::POST,
                post(catalog_pages::add_files).layer(DefaultBodyLimit::max(FILES_LIMIT)),
            )
            .get("/courses/{id}/files/{file_id}", catalog_pages::file)
            .post(
                "/courses/{id}/files/{file_id}/remove",
                catalog_pages::remove_file,
            )
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
            .get(
                "/schools/{id}/offering/items/{item_id}/edit",
                offering_pages::edit_item,
            )
            .post(
                "/schools/{id}/offering/items/{item_id}",
                offering_pages::update_item,
            )
            .post(
                "/schools/{id}/offering/items/{item_id}/remove",
                offering_pages::remove_item,
            )
            .get("/schools/{id}/plans", plan_pages::list)
            .post("/schools/{id}/plans", plan_pages::create)
            .get("/schools/{id}/plans/{plan_id}", plan_pages::detail)
            .post("/schools/{id}/plans/{plan_id}", plan_pages::update)
            .post("/schools/{id}/plans/{plan_id}/lines", plan_pages::set_line)
            .post(
                "/schools/{id}/plans/{plan_id}/lines/{line_id}/remove",
                plan_pages::remove_line,
            )
            .get("/schools/{id}/plans/{plan_id}/export", plan_pages::export)
            .with(
                "/schools/{id}/plans/{plan_id}/import",
                Method::POST,
                post(plan_pages::import).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
            ),
    }
}
