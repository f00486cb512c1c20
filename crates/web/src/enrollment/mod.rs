//! The enrollment area: windows, rules and the notice; parents' selections, orders,
//! drops and waitlists; the school's roster.

mod api;
mod pages;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::routes::{Area, PageRoutes};

pub fn area() -> Area {
    Area {
        api: OpenApiRouter::new()
            .routes(routes!(api::selectable))
            .routes(routes!(api::enroll))
            .routes(routes!(api::history))
            .routes(routes!(api::get_order))
            .routes(routes!(api::drop))
            .routes(routes!(api::drop_requests))
            .routes(routes!(api::withdraw_drop))
            .routes(routes!(api::decide_drop))
            .routes(routes!(api::request_change))
            .routes(routes!(api::changes))
            .routes(routes!(api::withdraw_change))
            .routes(routes!(api::decide_change))
            .routes(routes!(api::join_waitlist))
            .routes(routes!(api::leave_waitlist))
            .routes(routes!(api::my_waitlist))
            .routes(routes!(api::get_notice, api::publish_notice))
            .routes(routes!(api::sign_notice))
            .routes(routes!(api::signatures))
            .routes(routes!(api::confirmations))
            .routes(routes!(api::confirmation))
            .routes(routes!(api::get_settings, api::set_rules))
            .routes(routes!(api::add_window))
            .routes(routes!(api::remove_window))
            .routes(routes!(api::add_group))
            .routes(routes!(api::remove_group))
            .routes(routes!(api::roster))
            .routes(routes!(api::select_for))
            .routes(routes!(api::preferences, api::set_preferences))
            .routes(routes!(api::get_draw))
            .routes(routes!(api::publish_seed))
            .routes(routes!(api::run_draw))
            .routes(routes!(api::publish_report))
            .routes(routes!(api::get_assignment))
            .routes(routes!(api::run_assignment))
            .routes(routes!(api::move_student))
            .routes(routes!(api::publish_assignment))
            .routes(routes!(api::merge_classes))
            .routes(routes!(api::head_teacher))
            .routes(routes!(api::cancel_for)),
        pages: PageRoutes::new()
            .get("/enroll", pages::enroll)
            .post("/enroll", pages::select)
            .post("/enroll/notice", pages::sign)
            .post("/enroll/preferences", pages::set_preferences)
            .post("/enroll/waitlist", pages::join_waitlist)
            .post("/enroll/waitlist/{entry_id}/leave", pages::leave_waitlist)
            .post("/enroll/enrollments/{enrollment_id}/drop", pages::drop)
            .post(
                "/enroll/drop-requests/{request_id}/withdraw",
                pages::withdraw_drop,
            )
            .post(
                "/enroll/enrollments/{enrollment_id}/change",
                pages::request_change,
            )
            .post(
                "/enroll/enrollment-changes/{request_id}/withdraw",
                pages::withdraw_change,
            )
            .get("/enroll/orders/{order_id}", pages::order_detail)
            .get(
                "/enroll/students/{student_id}/pictures/{file_id}",
                pages::picture,
            )
            .get("/enrollment", pages::index)
            .get("/enrollment/my-classes", pages::head_teacher)
            .post(
                "/enrollment/my-classes/{enrollment_id}/cancel",
                pages::cancel_for,
            )
            .get("/schools/{id}/enrollment", pages::manage)
            .post("/schools/{id}/enrollment/rules", pages::set_rules)
            .post("/schools/{id}/enrollment/select", pages::select_for)
            .post(
                "/schools/{id}/enrollment/drop-requests/{request_id}",
                pages::decide_drop,
            )
            .post(
                "/schools/{id}/enrollment/changes/{request_id}",
                pages::decide_change,
            )
            .post("/schools/{id}/enrollment/windows", pages::add_window)
            .post(
                "/schools/{id}/enrollment/windows/{window_id}/delete",
                pages::remove_window,
            )
            .post("/schools/{id}/enrollment/groups", pages::add_group)
            .post(
                "/schools/{id}/enrollment/groups/{group_id}/delete",
                pages::remove_group,
            )
            .post("/schools/{id}/enrollment/notice", pages::publish_notice)
            .get("/schools/{id}/enrollment/signatures", pages::signatures)
            .get(
                "/schools/{id}/enrollment/confirmations",
                pages::confirmations,
            )
            .get(
                "/schools/{id}/enrollment/confirmations/{signature_id}",
                pages::confirmation,
            )
            .get("/schools/{id}/enrollment/lottery", pages::lottery)
            .post("/schools/{id}/enrollment/lottery/seed", pages::publish_seed)
            .post("/schools/{id}/enrollment/lottery/draw", pages::run_draw)
            .post(
                "/schools/{id}/enrollment/lottery/publish",
                pages::publish_report,
            )
            .get("/schools/{id}/enrollment/assign", pages::assignment)
            .post("/schools/{id}/enrollment/assign/run", pages::run_assignment)
            .post("/schools/{id}/enrollment/assign/move", pages::move_student)
            .post(
                "/schools/{id}/enrollment/assign/publish",
                pages::publish_assignment,
            )
            .post(
                "/schools/{id}/enrollment/assign/merge",
                pages::merge_classes,
            ),
    }
}
