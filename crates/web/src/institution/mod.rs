//! The institution area: an institution applies (public pages), follows its review, and
//! the bureau reviews, admits, returns, rejects, suspends or removes it.

mod api;
mod pages;

use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::post;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::routes::{Area, PageRoutes};

/// An application's body: ten documents of 5 MB and the form.
const APPLICATION_LIMIT: usize = 52 * 1024 * 1024;

pub fn area() -> Area {
    Area {
        api: OpenApiRouter::new()
            .routes(routes!(api::list))
            .routes(routes!(api::get, api::update_profile))
            .routes(routes!(api::decide))
            .routes(routes!(api::document))
            .routes(routes!(api::teachers, api::add_teacher))
            .routes(routes!(api::departments, api::add_department))
            .routes(routes!(api::delete_department))
            .routes(routes!(api::assign_department))
            .routes(routes!(api::dispatches, api::dispatch_teacher))
            .routes(routes!(api::cancel_dispatch))
            .routes(routes!(api::school_dispatches)),
        pages: PageRoutes::new()
            .get("/register/institution", pages::register_page)
            .with(
                "/register/institution",
                Method::POST,
                post(pages::register).layer(DefaultBodyLimit::max(APPLICATION_LIMIT)),
            )
            .with(
                "/register/institution/sms-code",
                Method::POST,
                post(pages::register_sms_code).layer(DefaultBodyLimit::max(APPLICATION_LIMIT)),
            )
            .get("/institution", pages::own)
            .with(
                "/institution/resubmit",
                Method::POST,
                post(pages::resubmit).layer(DefaultBodyLimit::max(APPLICATION_LIMIT)),
            )
            .with(
                "/institution/profile",
                Method::POST,
                post(pages::update_profile).layer(DefaultBodyLimit::max(APPLICATION_LIMIT)),
            )
            .get("/institution/teachers", pages::teachers)
            .post("/institution/departments", pages::add_department)
            .post(
                "/institution/departments/{department_id}/delete",
                pages::delete_department,
            )
            .post(
                "/institution/teachers/{teacher_id}/department",
                pages::assign_department,
            )
            .get("/institution/teachers/new", pages::new_teacher)
            .post("/institution/teachers", pages::add_teacher)
            .with(
                "/institution/teachers/{teacher_id}/record",
                Method::POST,
                post(pages::upload_record).layer(DefaultBodyLimit::max(APPLICATION_LIMIT)),
            )
            .get(
                "/institutions/{id}/teachers/{teacher_id}/record",
                pages::record,
            )
            .get("/institution/dispatches", pages::dispatches)
            .get("/institution/dispatches/new", pages::new_dispatch)
            .post("/institution/dispatches", pages::dispatch_teacher)
            .get(
                "/institution/dispatches/{dispatch_id}/cancel",
                pages::cancel_page,
            )
            .post(
                "/institution/dispatches/{dispatch_id}/cancel",
                pages::cancel_dispatch,
            )
            .get("/dispatches", pages::dispatches_index)
            .get("/schools/{id}/dispatches", pages::school_dispatches)
            .get("/institutions", pages::list)
            .get("/institutions/{id}", pages::detail)
            .post("/institutions/{id}/decision", pages::decide)
            .get(
                "/institutions/{id}/documents/{document_id}",
                pages::document,
            ),
    }
}
