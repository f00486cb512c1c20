//! The teaching API: teaching classes, schedule settings and runs, the weekly grid and its
//! moves, conflicts, and timetables (any view, and the caller's own).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use kehou_service::teaching::class::{
    self, BatchInput, ClassInput, ClassStudent, ClassView, StatusInput, StudentsInput,
    TransferInput,
};
use kehou_service::teaching::schedule::{
    self, ConflictView, GridView, MoveInput, MoveResult, RunInput, RunView,
};
use kehou_service::teaching::settings::{self, DayEndInput, PreferenceInput, SettingsView};
use kehou_service::teaching::timetable::{self, FeedView, TimetableQuery, TimetableView};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::http::api::ListBody;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiActor, ApiJson, ApiPath, ApiQuery};

/// The teaching classes of a school's term.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/terms/{term_id}/teaching-classes", tag = "teaching",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)),
    responses((status = 200, body = ListBody<ClassView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
) -> Result<Json<ListBody<ClassView>>, ApiError> {
    Ok(Json(ListBody::whole(
        class::list(&state.app, &actor, school_id, term_id).await?,
    )))
}

/// A new teaching class of an approved course of the term's offering (`teaching.manage`).
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/terms/{term_id}/teaching-classes", tag = "teaching",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)), request_body = ClassInput,
    responses((status = 201, body = ClassView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "a past term, or a class of that name", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<ClassInput>,
) -> Result<(StatusCode, Json<ClassView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(class::create(&state.app, &actor, school_id, term_id, b).await?),
    ))
}

/// `count` classes of one course at once.
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/terms/{term_id}/teaching-classes/batch", tag = "teaching",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)), request_body = BatchInput,
    responses((status = 201, body = ListBody<ClassView>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_batch(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<BatchInput>,
) -> Result<(StatusCode, Json<ListBody<ClassView>>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ListBody::whole(
            class::create_batch(&state.app, &actor, school_id, term_id, b).await?,
        )),
    ))
}

#[utoipa::path(get, path = "/api/v1/schools/{school_id}/terms/{term_id}/teaching-classes/{class_id}", tag = "teaching",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), ("class_id" = i64, Path)),
    responses((status = 200, body = ClassView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id, class_id)): ApiPath<(i64, i64, i64)>,
) -> Result<Json<ClassView>, ApiError> {
    Ok(Json(
        class::get(&state.app, &actor, school_id, term_id, class_id).await?,
    ))
}

/// Changes a class while nobody is enrolled and it has not started.
#[utoipa::path(patch, path = "/api/v1/schools/{school_id}/terms/{term_id}/teaching-classes/{class_id}", tag = "teaching",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), ("class_id" = i64, Path)), request_body = ClassInput,
    responses((status = 200, body = ClassView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id, class_id)): ApiPath<(i64, i64, i64)>,
    ApiJson(b): ApiJson<ClassInput>,
) -> Result<Json<ClassView>, ApiError> {
    Ok(Json(
        class::update(&state.app, &actor, school_id, term_id, class_id, b).await?,
    ))
}

/// Deletes a class that has no students and has held no lesson.
#[utoipa::path(delete, path = "/api/v1/schools/{school_id}/terms/{term_id}/teaching-classes/{class_id}", tag = "teaching",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), ("class_id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id, class_id)): ApiPath<(i64, i64, i64)>,
) -> Result<StatusCode, ApiError> {
    class::delete(&state.app, &actor, school_id, term_id, class_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Moves a class along planned → open → running → closed.
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/terms/{term_id}/teaching-classes/{class_id}/status", tag = "teaching",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), ("class_id" = i64, Path)), request_body = StatusInput,
    responses((status = 200, body = ClassView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn set_status(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id, class_id)): ApiPath<(i64, i64, i64)>,
    ApiJson(b): ApiJson<StatusInput>,
) -> Result<Json<ClassView>, ApiError> {
    Ok(Json(
        class::set_status(&state.app, &actor, school_id, term_id, class_id, b).await?,
    ))
}

/// Whether a running class may close (结课) now: the lessons held against those planned,
/// roll calls, open leave, drop requests and refunds that stand in the way.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/terms/{term_id}/teaching-classes/{class_id}/close-check", tag = "teaching",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), ("class_id" = i64, Path)),
    responses((status = 200, body = class::CloseCheck), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn close_check(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id, class_id)): ApiPath<(i64, i64, i64)>,
) -> Result<Json<class::CloseCheck>, ApiError> {
    Ok(Json(
        class::close_check(&state.app, &actor, school_id, term_id, class_id).await?,
    ))
}

/// The students of a class (`student.view_all`).
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/terms/{term_id}/teaching-classes/{class_id}/students", tag = "teaching",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), ("class_id" = i64, Path)),
    responses((status = 200, body = ListBody<ClassStudent>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn students(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id, class_id)): ApiPath<(i64, i64, i64)>,
) -> Result<Json<ListBody<ClassStudent>>, ApiError> {
    Ok(Json(ListBody::whole(
        class::students(&state.app, &actor, school_id, term_id, class_id).await?,
    )))
}

/// Puts students of the school into a class (in its grades, within its capacity).
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/terms/{term_id}/teaching-classes/{class_id}/students", tag = "teaching",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), ("class_id" = i64, Path)), request_body = StudentsInput,
    responses((status = 200, body = ListBody<ClassStudent>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_students(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id, class_id)): ApiPath<(i64, i64, i64)>,
    ApiJson(b): ApiJson<StudentsInput>,
) -> Result<Json<ListBody<ClassStudent>>, ApiError> {
    Ok(Json(ListBody::whole(
        class::add_students(&state.app, &actor, school_id, term_id, class_id, b).await?,
    )))
}

#[utoipa::path(delete, path = "/api/v1/schools/{school_id}/terms/{term_id}/teaching-classes/{class_id}/students/{student_id}", tag = "teaching",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), ("class_id" = i64, Path), ("student_id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn remove_student(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id, class_id, student_id)): ApiPath<(i64, i64, i64, i64)>,
) -> Result<StatusCode, ApiError> {
    class::remove_student(&state.app, &actor, school_id, term_id, class_id, student_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Moves a student to another class of the same course (调班): seats, the enrollment and
/// the waitlist follow in one transaction; the money stays the same.
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/terms/{term_id}/teaching-classes/{class_id}/students/{student_id}/transfer", tag = "teaching",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), ("class_id" = i64, Path), ("student_id" = i64, Path)),
    request_body = TransferInput,
    responses((status = 200, body = ClassStudent), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn transfer_student(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id, class_id, student_id)): ApiPath<(i64, i64, i64, i64)>,
    ApiJson(b): ApiJson<TransferInput>,
) -> Result<Json<ClassStudent>, ApiError> {
    Ok(Json(
        class::transfer_student(
            &state.app,
            &actor,
            (school_id, term_id),
            class_id,
            student_id,
            b,
        )
        .await?,
    ))
}

/// Forbidden and preferred times, and when each grade's regular lessons end.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/terms/{term_id}/schedule-settings", tag = "teaching",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)),
    responses((status = 200, body = SettingsView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn settings_get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
) -> Result<Json<SettingsView>, ApiError> {
    Ok(Json(
        settings::get(&state.app, &actor, school_id, term_id).await?,
    ))
}

/// Replaces the forbidden or preferred times of one course, teacher or room.
#[utoipa::path(put, path = "/api/v1/schools/{school_id}/terms/{term_id}/schedule-settings/preferences", tag = "teaching",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)), request_body = PreferenceInput,
    responses((status = 200, body = SettingsView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn set_preferences(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<PreferenceInput>,
) -> Result<Json<SettingsView>, ApiError> {
    Ok(Json(
        settings::set_preferences(&state.app, &actor, school_id, term_id, b).await?,
    ))
}

/// Sets (or clears, with an empty time) when a grade's regular lessons end.
#[utoipa::path(put, path = "/api/v1/schools/{school_id}/terms/{term_id}/schedule-settings/regular-ends", tag = "teaching",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)), request_body = DayEndInput,
    responses((status = 200, body = SettingsView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn set_day_end(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<DayEndInput>,
) -> Result<Json<SettingsView>, ApiError> {
    Ok(Json(
        settings::set_day_end(&state.app, &actor, school_id, term_id, b).await?,
    ))
}

/// Starts a solver run as a background job; answers it with its job.
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/terms/{term_id}/schedule-runs", tag = "teaching",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)), request_body = RunInput,
    responses((status = 202, body = RunView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "a past term, or a run already going", body = ErrorBody)))]
pub async fn start_run(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<RunInput>,
) -> Result<(StatusCode, Json<RunView>), ApiError> {
    Ok((
        StatusCode::ACCEPTED,
        Json(schedule::start_run(&state.app, &actor, school_id, term_id, b).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/schools/{school_id}/terms/{term_id}/schedule-runs/{run_id}", tag = "teaching",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), ("run_id" = i64, Path)),
    responses((status = 200, body = RunView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_run(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id, run_id)): ApiPath<(i64, i64, i64)>,
) -> Result<Json<RunView>, ApiError> {
    Ok(Json(
        schedule::get_run(&state.app, &actor, school_id, term_id, run_id).await?,
    ))
}

/// Cancels a queued or running run; the timetable stays as it was.
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/terms/{term_id}/schedule-runs/{run_id}/cancel", tag = "teaching",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), ("run_id" = i64, Path)),
    responses((status = 200, body = RunView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel_run(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id, run_id)): ApiPath<(i64, i64, i64)>,
) -> Result<Json<RunView>, ApiError> {
    Ok(Json(
        schedule::cancel_run(&state.app, &actor, school_id, term_id, run_id).await?,
    ))
}

/// The weekly timetable as a grid of weekdays × periods, with the unplaced lessons, the
/// conflicts and the last run.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/terms/{term_id}/schedule", tag = "teaching",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)),
    responses((status = 200, body = GridView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn grid(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
) -> Result<Json<GridView>, ApiError> {
    Ok(Json(
        schedule::grid(&state.app, &actor, school_id, term_id).await?,
    ))
}

/// Moves (and by default locks) one weekly lesson; answers the conflicts it is now in.
#[utoipa::path(put, path = "/api/v1/schools/{school_id}/terms/{term_id}/schedule/slots/{slot_id}", tag = "teaching",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), ("slot_id" = i64, Path)), request_body = MoveInput,
    responses((status = 200, body = MoveResult), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "a lock against another lock, a closed class or a past term", body = ErrorBody)))]
pub async fn move_slot(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id, slot_id)): ApiPath<(i64, i64, i64)>,
    ApiJson(b): ApiJson<MoveInput>,
) -> Result<Json<MoveResult>, ApiError> {
    Ok(Json(
        schedule::move_slot(&state.app, &actor, school_id, term_id, slot_id, b).await?,
    ))
}

/// Teacher, room and student conflicts (and lessons at forbidden times), each with the
/// page where it is fixed.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/terms/{term_id}/conflicts", tag = "teaching",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)),
    responses((status = 200, body = ListBody<ConflictView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn conflicts(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
) -> Result<Json<ListBody<ConflictView>>, ApiError> {
    Ok(Json(ListBody::whole(
        schedule::conflicts(&state.app, &actor, school_id, term_id).await?,
    )))
}

/// Dated lessons of one teaching class, teacher, institution teacher, student, room,
/// administrative class, grade (with `school_id`), school or institution.
#[utoipa::path(get, path = "/api/v1/timetable", tag = "teaching", params(TimetableQuery),
    responses((status = 200, body = TimetableView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn timetable(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<TimetableQuery>,
) -> Result<Json<TimetableView>, ApiError> {
    Ok(Json(timetable::query(&state.app, &actor, &q).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SpanQuery {
    /// `YYYY-MM-DD`; this week's Monday when absent.
    pub from: Option<String>,
    /// `YYYY-MM-DD`; at most 62 days after `from`.
    pub to: Option<String>,
}

/// The caller's own timetable: the lessons they teach and their children's.
#[utoipa::path(get, path = "/api/v1/me/timetable", tag = "teaching", params(SpanQuery),
    responses((status = 200, body = TimetableView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn my_timetable(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<SpanQuery>,
) -> Result<Json<TimetableView>, ApiError> {
    Ok(Json(
        timetable::mine(&state.app, &actor, q.from.as_deref(), q.to.as_deref()).await?,
    ))
}

/// Whether the caller has a calendar feed link.
#[utoipa::path(get, path = "/api/v1/me/calendar-feed", tag = "teaching",
    responses((status = 200, body = FeedView), (status = 401, body = ErrorBody)))]
pub async fn feed(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<FeedView>, ApiError> {
    Ok(Json(timetable::feed(&state.app, &actor).await?))
}

/// A new private calendar feed link (its token is shown only now); the old one stops working.
#[utoipa::path(post, path = "/api/v1/me/calendar-feed", tag = "teaching",
    responses((status = 201, body = FeedView), (status = 401, body = ErrorBody)))]
pub async fn new_feed(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<(StatusCode, Json<FeedView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(timetable::new_feed(&state.app, &actor).await?),
    ))
}

/// Stops the caller's calendar feed link.
#[utoipa::path(delete, path = "/api/v1/me/calendar-feed", tag = "teaching",
    responses((status = 200, body = FeedView), (status = 401, body = ErrorBody)))]
pub async fn revoke_feed(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<FeedView>, ApiError> {
    Ok(Json(timetable::revoke_feed(&state.app, &actor).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// all_or_nothing (default) or good_rows.
    pub mode: Option<String>,
}

/// Imports teaching classes from the .xlsx body (the template's columns, names for courses,
/// rooms and teachers); every row is checked first and the bad ones reported by row and
/// column.
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/terms/{term_id}/teaching-classes/import", tag = "teaching",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 200, body = kehou_service::import::Outcome), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: axum::body::Bytes,
) -> Result<Json<kehou_service::import::Outcome>, ApiError> {
    let mode = crate::http::api::import_mode(q.mode.as_deref())?;
    Ok(Json(
        class::import(&state.app, &actor, school_id, term_id, &body, mode).await?,
    ))
}
