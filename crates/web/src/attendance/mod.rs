//! The attendance area: check-in fences, teachers' check-ins and requests, roll calls,
//! students' leave and attendance records.

mod api;
mod pages;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::routes::{Area, PageRoutes};

pub fn area() -> Area {
    Area {
        api: OpenApiRouter::new()
            .routes(routes!(api::get_fence, api::save_fence))
            .routes(routes!(api::check_in))
            .routes(routes!(api::my_check_ins))
            .routes(routes!(api::request_punch))
            .routes(routes!(api::decide_punch))
            .routes(routes!(api::revoke_punch))
            .routes(routes!(api::pending_punches))
            .routes(routes!(api::school_day))
            .routes(routes!(api::get_roll_call, api::save_roll_call))
            .routes(routes!(api::create_leave, api::list_leave))
            .routes(routes!(api::decide_leave))
            .routes(routes!(api::revoke_leave))
            .routes(routes!(api::student_attendance))
            .routes(routes!(api::whereabouts))
            .routes(routes!(api::school_report))
            .routes(routes!(api::jurisdiction))
            .routes(routes!(api::request_change))
            .routes(routes!(api::decide_change))
            .routes(routes!(api::revoke_change))
            .routes(routes!(api::school_changes))
            .routes(routes!(api::teacher_hours))
            .routes(routes!(api::student_hours))
            .routes(routes!(api::institution_hours))
            .routes(routes!(api::one_student_hours))
            .routes(routes!(api::symptom_report))
            .routes(routes!(api::request_teacher_leave))
            .routes(routes!(api::my_teacher_leaves))
            .routes(routes!(api::school_teacher_leaves))
            .routes(routes!(api::decide_teacher_leave))
            .routes(routes!(api::revoke_teacher_leave)),
        pages: PageRoutes::new()
            .get("/attendance", pages::index)
            .get("/attendance/school", pages::school_redirect)
            .get("/attendance/children", pages::children)
            .post("/attendance/leave", pages::create_leave)
            .post("/attendance/leave/{leave_id}/revoke", pages::revoke_leave)
            .post("/attendance/leave/{leave_id}/decide", pages::decide_leave)
            .get("/attendance/lessons/{lesson_id}", pages::roll_call)
            .post("/attendance/lessons/{lesson_id}", pages::save_roll_call)
            .post("/attendance/lessons/{lesson_id}/check-in", pages::check_in)
            .post(
                "/attendance/lessons/{lesson_id}/punch-requests",
                pages::request_punch,
            )
            .post(
                "/attendance/punch-requests/{request_id}/revoke",
                pages::revoke_punch,
            )
            .post(
                "/attendance/punch-requests/{request_id}/decide",
                pages::decide_punch,
            )
            .get("/schools/{id}/attendance", pages::school)
            .get("/schools/{id}/lesson-changes.xlsx", pages::export_changes)
            .post(
                "/attendance/lessons/{lesson_id}/changes",
                pages::request_change,
            )
            .post(
                "/attendance/lesson-changes/{change_id}/decide",
                pages::decide_change,
            )
            .post(
                "/attendance/lesson-changes/{change_id}/revoke",
                pages::revoke_change,
            )
            .get("/schools/{id}/attendance/report", pages::report)
            .get("/schools/{id}/attendance/report.xlsx", pages::report_xlsx)
            .get("/schools/{id}/attendance/hours", pages::hours)
            .get("/schools/{id}/attendance/hours.xlsx", pages::hours_xlsx)
            .get("/institution/lesson-hours", pages::institution_hours)
            .get("/attendance/symptoms", pages::symptoms)
            .post("/attendance/teacher-leaves", pages::request_teacher_leave)
            .post(
                "/attendance/teacher-leaves/{leave_id}/revoke",
                pages::revoke_teacher_leave,
            )
            .post(
                "/attendance/teacher-leaves/{leave_id}/decide",
                pages::decide_teacher_leave,
            )
            .get("/attendance/symptoms.xlsx", pages::symptoms_xlsx)
            .post("/schools/{id}/attendance/fence", pages::save_fence),
    }
}
