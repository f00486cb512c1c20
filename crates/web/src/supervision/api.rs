//! The patrol API: the school's patrol teachers and tasks, the patrol teacher's day, a
//! lesson's patrol records, the report.

use axum::Json;
use axum::extract::State;
use kehou_service::attendance::report::PeriodQuery;
use kehou_service::supervision::patrol::{self, LessonPatrol, PatrolDay, RecordInput, RecordView};
use kehou_service::supervision::report::{self, PatrolReport};
use kehou_service::supervision::task::{self, Patroller, TaskInput, TaskView};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::http::api::ListBody;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiActor, ApiJson, ApiPath, ApiQuery};

/// The school's patrol teachers: its members holding `patrol.record`.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/patrollers", tag = "supervision",
    params(("school_id" = i64, Path)),
    responses((status = 200, body = ListBody<Patroller>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn patrollers(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
) -> Result<Json<ListBody<Patroller>>, ApiError> {
    Ok(Json(ListBody::whole(
        task::patrollers(&state.app, &actor, school_id).await?,
    )))
}

/// The school's patrol tasks with their completion, newest first.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/patrol-tasks", tag = "supervision",
    params(("school_id" = i64, Path)),
    responses((status = 200, body = ListBody<TaskView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_tasks(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
) -> Result<Json<ListBody<TaskView>>, ApiError> {
    Ok(Json(ListBody::whole(
        task::list(&state.app, &actor, school_id).await?,
    )))
}

/// Gives a patrol teacher a task: weekdays, span, lessons a day.
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/patrol-tasks", tag = "supervision",
    params(("school_id" = i64, Path)), request_body = TaskInput,
    responses((status = 200, body = TaskView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create_task(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiJson(b): ApiJson<TaskInput>,
) -> Result<Json<TaskView>, ApiError> {
    Ok(Json(task::create(&state.app, &actor, school_id, b).await?))
}

/// Stops a patrol task early.
#[utoipa::path(post, path = "/api/v1/patrol-tasks/{task_id}/close", tag = "supervision",
    params(("task_id" = i64, Path)),
    responses((status = 200, body = TaskView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn close_task(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(task_id): ApiPath<i64>,
) -> Result<Json<TaskView>, ApiError> {
    Ok(Json(task::close(&state.app, &actor, task_id).await?))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    /// `YYYY-MM-DD`; today when absent.
    pub date: Option<String>,
}

/// The patrol teacher's day at a school: lessons (total, started, patrolled), each with
/// its check-ins, roll call and patrol records, and the caller's tasks.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/patrol", tag = "supervision",
    params(("school_id" = i64, Path), DayQuery),
    responses((status = 200, body = PatrolDay), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn patrol_day(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DayQuery>,
) -> Result<Json<PatrolDay>, ApiError> {
    Ok(Json(
        patrol::day(&state.app, &actor, Some(school_id), q.date.as_deref()).await?,
    ))
}

/// A lesson for the patrol teacher: its attendance, roll call and patrol records.
#[utoipa::path(get, path = "/api/v1/lessons/{lesson_id}/patrol", tag = "supervision",
    params(("lesson_id" = i64, Path)),
    responses((status = 200, body = LessonPatrol), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_lesson_patrol(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(lesson_id): ApiPath<i64>,
) -> Result<Json<LessonPatrol>, ApiError> {
    Ok(Json(patrol::lesson(&state.app, &actor, lesson_id).await?))
}

/// Records (or corrects) the caller's patrol of a lesson: scores 1–5 for the lesson and
/// the teacher, whether the teacher was there, students seen, notes. Once the lesson has
/// started, up to a week after; never one's own lesson (409).
#[utoipa::path(put, path = "/api/v1/lessons/{lesson_id}/patrol", tag = "supervision",
    params(("lesson_id" = i64, Path)), request_body = RecordInput,
    responses((status = 200, body = RecordView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn save_lesson_patrol(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(lesson_id): ApiPath<i64>,
    ApiJson(b): ApiJson<RecordInput>,
) -> Result<Json<RecordView>, ApiError> {
    Ok(Json(patrol::save(&state.app, &actor, lesson_id, b).await?))
}

/// A school's patrol over a period: the records, scores by teacher and patrol teacher,
/// and the tasks' completion.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/patrol/report", tag = "supervision",
    params(("school_id" = i64, Path), PeriodQuery),
    responses((status = 200, body = PatrolReport), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn patrol_report(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Json<PatrolReport>, ApiError> {
    Ok(Json(
        report::school(&state.app, &actor, school_id, &q).await?,
    ))
}
