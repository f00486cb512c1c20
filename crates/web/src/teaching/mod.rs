//! The teaching area: teaching classes, scheduling, timetables and calendar feeds.

mod api;
mod pages;
mod timetable_pages;

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
            .routes(routes!(api::list, api::create))
            .routes(routes!(api::create_batch))
            .routes(routes!(api::import).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)))
            .routes(routes!(api::get, api::update, api::delete))
            .routes(routes!(api::set_status))
            .routes(routes!(api::close_check))
            .routes(routes!(api::students, api::add_students))
            .routes(routes!(api::remove_student))
            .routes(routes!(api::transfer_student))
            .routes(routes!(api::settings_get))
            .routes(routes!(api::set_preferences))
            .routes(routes!(api::set_day_end))
            .routes(routes!(api::start_run))
            .routes(routes!(api::get_run))
            .routes(routes!(api::cancel_run))
            .routes(routes!(api::grid))
            .routes(routes!(api::move_slot))
            .routes(routes!(api::conflicts))
            .routes(routes!(api::timetable))
            .routes(routes!(api::my_timetable))
            .routes(routes!(api::feed, api::new_feed, api::revoke_feed)),
        pages: PageRoutes::new()
            .get("/teaching", pages::index)
            .get("/schools/{id}/teaching", pages::list)
            .post("/schools/{id}/teaching", pages::create)
            .get("/schools/{id}/teaching/template", pages::template)
            .with(
                "/schools/{id}/teaching/import",
                Method::POST,
                post(pages::import).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
            )
            .get("/schools/{id}/teaching/{class_id}", pages::detail)
            .post("/schools/{id}/teaching/{class_id}", pages::update)
            .post(
                "/schools/{id}/teaching/{class_id}/capacity",
                pages::set_capacity,
            )
            .post(
                "/schools/{id}/teaching/{class_id}/status",
                pages::set_status,
            )
            .post("/schools/{id}/teaching/{class_id}/delete", pages::delete)
            .post(
                "/schools/{id}/teaching/{class_id}/students",
                pages::add_students,
            )
            .post(
                "/schools/{id}/teaching/{class_id}/students/{student_id}/remove",
                pages::remove_student,
            )
            .post(
                "/schools/{id}/teaching/{class_id}/students/{student_id}/transfer",
                pages::transfer_student,
            )
            .get("/schools/{id}/schedule", pages::grid)
            .post("/schools/{id}/schedule/runs", pages::start_run)
            .post(
                "/schools/{id}/schedule/runs/{run_id}/cancel",
                pages::cancel_run,
            )
            .post("/schools/{id}/schedule/slots/{slot_id}", pages::move_slot)
            .get("/schools/{id}/schedule/settings", pages::settings)
            .post(
                "/schools/{id}/schedule/settings/preferences",
                pages::set_preferences,
            )
            .post(
                "/schools/{id}/schedule/settings/regular-ends",
                pages::set_day_end,
            )
            .get("/timetable", timetable_pages::view)
            .get("/timetable/export", timetable_pages::export)
            .get("/me/timetable", timetable_pages::mine)
            .post("/me/calendar-feed", timetable_pages::new_feed)
            .post("/me/calendar-feed/revoke", timetable_pages::revoke_feed)
            .get("/calendar/{token}", timetable_pages::feed),
    }
}
