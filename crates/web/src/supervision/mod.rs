//! The supervision area: patrol (巡课) — tasks, the patrol teacher's day and records, the
//! school's report.

mod api;
mod pages;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::routes::{Area, PageRoutes};

pub fn area() -> Area {
    Area {
        api: OpenApiRouter::new()
            .routes(routes!(api::patrollers))
            .routes(routes!(api::list_tasks, api::create_task))
            .routes(routes!(api::close_task))
            .routes(routes!(api::patrol_day))
            .routes(routes!(api::get_lesson_patrol, api::save_lesson_patrol))
            .routes(routes!(api::patrol_report)),
        pages: PageRoutes::new()
            .get("/patrol", pages::day)
            .get("/patrol/school", pages::school_redirect)
            .get("/patrol/lessons/{lesson_id}", pages::lesson)
            .post("/patrol/lessons/{lesson_id}", pages::save)
            .post("/patrol/records/{record_id}/photos", pages::add_photos)
            .get(
                "/patrol/records/{record_id}/photos/{photo_id}",
                pages::photo,
            )
            .get("/schools/{id}/patrol", pages::school)
            .post("/schools/{id}/patrol/tasks", pages::create_task)
            .post("/patrol/tasks/{task_id}/close", pages::close_task)
            .get("/schools/{id}/patrol/report.xlsx", pages::report_xlsx),
    }
}
