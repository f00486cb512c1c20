//! The attendance API: the school's fence, teachers' check-ins and their requests, roll
//! calls, students' leave and attendance.

use axum::Json;
use axum::extract::State;
use kehou_service::attendance::Decision;
use kehou_service::attendance::change::{self, ChangeDecision, ChangeInput, ChangeView};
use kehou_service::attendance::check_in::{
    self, CheckInInput, CheckInView, LessonPunch, PunchRequestInput, PunchRequestView,
};
use kehou_service::attendance::fence::{self, FenceInput, FenceView};
use kehou_service::attendance::hours::{self, HoursQuery, HoursReport};
use kehou_service::attendance::leave::{self, LeaveInput, LeaveQuery, LeaveView};
use kehou_service::attendance::record::{
    self, SchoolDay, SpanQuery, StudentAttendance, Whereabouts,
};
use kehou_service::attendance::report::{self, JurisdictionReport, PeriodQuery, SchoolReport};
use kehou_service::attendance::roll::{self, RollCallView, RollInput};
use kehou_service::attendance::symptoms::{self, SymptomQuery, SymptomReport};
use kehou_service::attendance::teacher_leave::{
    self, TeacherLeaveDecision, TeacherLeaveInput, TeacherLeaveView,
};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::http::api::ListBody;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiActor, ApiJson, ApiPath, ApiQuery};

/// The school's check-in fence.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/fence", tag = "attendance",
    params(("school_id" = i64, Path)),
    responses((status = 200, body = FenceView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_fence(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
) -> Result<Json<FenceView>, ApiError> {
    Ok(Json(fence::get(&state.app, &actor, school_id).await?))
}

/// Draws the school's check-in fence: a circle or a polygon, in GCJ-02 or WGS-84.
#[utoipa::path(put, path = "/api/v1/schools/{school_id}/fence", tag = "attendance",
    params(("school_id" = i64, Path)), request_body = FenceInput,
    responses((status = 200, body = FenceView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn save_fence(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiJson(b): ApiJson<FenceInput>,
) -> Result<Json<FenceView>, ApiError> {
    Ok(Json(fence::save(&state.app, &actor, school_id, b).await?))
}

/// A teacher checks in for their lesson with the browser's position (WGS-84): counted
/// inside the school's fence within the window, late after the start; refused outside
/// with the distance (409).
#[utoipa::path(post, path = "/api/v1/lessons/{lesson_id}/check-in", tag = "attendance",
    params(("lesson_id" = i64, Path)), request_body = CheckInInput,
    responses((status = 200, body = CheckInView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn check_in(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(lesson_id): ApiPath<i64>,
    ApiJson(b): ApiJson<CheckInInput>,
) -> Result<Json<CheckInView>, ApiError> {
    Ok(Json(
        check_in::check_in(&state.app, &actor, lesson_id, b).await?,
    ))
}

/// The caller's lessons with their check-ins and requests (a teacher's own record).
#[utoipa::path(get, path = "/api/v1/me/check-ins", tag = "attendance",
    params(SpanQuery),
    responses((status = 200, body = ListBody<LessonPunch>), (status = 400, body = ErrorBody)))]
pub async fn my_check_ins(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<SpanQuery>,
) -> Result<Json<ListBody<LessonPunch>>, ApiError> {
    let (from, to) = record::span(state.app.today(), &q)?;
    Ok(Json(ListBody::whole(
        check_in::mine(&state.app, &actor, from, to).await?,
    )))
}

/// A teacher asks to make up a missed or refused punch (make_up) or appeals a late one.
#[utoipa::path(post, path = "/api/v1/lessons/{lesson_id}/punch-requests", tag = "attendance",
    params(("lesson_id" = i64, Path)), request_body = PunchRequestInput,
    responses((status = 200, body = PunchRequestView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn request_punch(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(lesson_id): ApiPath<i64>,
    ApiJson(b): ApiJson<PunchRequestInput>,
) -> Result<Json<PunchRequestView>, ApiError> {
    Ok(Json(
        check_in::request(&state.app, &actor, lesson_id, b).await?,
    ))
}

/// The school approves or rejects a make-up punch or an appeal.
#[utoipa::path(post, path = "/api/v1/punch-requests/{request_id}/decide", tag = "attendance",
    params(("request_id" = i64, Path)), request_body = Decision,
    responses((status = 200, body = PunchRequestView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn decide_punch(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(request_id): ApiPath<i64>,
    ApiJson(b): ApiJson<Decision>,
) -> Result<Json<PunchRequestView>, ApiError> {
    Ok(Json(
        check_in::decide(&state.app, &actor, request_id, b).await?,
    ))
}

/// The teacher takes back a request that waits.
#[utoipa::path(post, path = "/api/v1/punch-requests/{request_id}/revoke", tag = "attendance",
    params(("request_id" = i64, Path)),
    responses((status = 200, body = PunchRequestView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn revoke_punch(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(request_id): ApiPath<i64>,
) -> Result<Json<PunchRequestView>, ApiError> {
    Ok(Json(
        check_in::revoke(&state.app, &actor, request_id).await?,
    ))
}

/// The requests of a school waiting for a decision.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/punch-requests", tag = "attendance",
    params(("school_id" = i64, Path)),
    responses((status = 200, body = ListBody<PunchRequestView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn pending_punches(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
) -> Result<Json<ListBody<PunchRequestView>>, ApiError> {
    Ok(Json(ListBody::whole(
        check_in::pending(&state.app, &actor, school_id).await?,
    )))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    /// `YYYY-MM-DD`; today when absent.
    pub date: Option<String>,
}

/// A school's lessons of one day with their teachers' check-ins and roll-call counts.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/attendance", tag = "attendance",
    params(("school_id" = i64, Path), DayQuery),
    responses((status = 200, body = SchoolDay), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn school_day(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DayQuery>,
) -> Result<Json<SchoolDay>, ApiError> {
    Ok(Json(
        record::school_day(&state.app, &actor, school_id, q.date.as_deref()).await?,
    ))
}

/// A lesson's roll call: each student's mark, approved leave filled in, and the counts.
#[utoipa::path(get, path = "/api/v1/lessons/{lesson_id}/roll-call", tag = "attendance",
    params(("lesson_id" = i64, Path)),
    responses((status = 200, body = RollCallView), (status = 404, body = ErrorBody)))]
pub async fn get_roll_call(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(lesson_id): ApiPath<i64>,
) -> Result<Json<RollCallView>, ApiError> {
    Ok(Json(roll::get(&state.app, &actor, lesson_id).await?))
}

/// The lesson's teacher marks students; each change tells the guardians at once.
#[utoipa::path(put, path = "/api/v1/lessons/{lesson_id}/roll-call", tag = "attendance",
    params(("lesson_id" = i64, Path)), request_body = RollInput,
    responses((status = 200, body = RollCallView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn save_roll_call(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(lesson_id): ApiPath<i64>,
    ApiJson(b): ApiJson<RollInput>,
) -> Result<Json<RollCallView>, ApiError> {
    Ok(Json(roll::save(&state.app, &actor, lesson_id, b).await?))
}

/// A guardian asks leave for their child from today on.
#[utoipa::path(post, path = "/api/v1/leave-requests", tag = "attendance",
    request_body = LeaveInput,
    responses((status = 200, body = LeaveView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_leave(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<LeaveInput>,
) -> Result<Json<LeaveView>, ApiError> {
    Ok(Json(leave::create(&state.app, &actor, b).await?))
}

/// Leave requests of a student, of a school, or those the caller asked or decides.
#[utoipa::path(get, path = "/api/v1/leave-requests", tag = "attendance",
    params(LeaveQuery),
    responses((status = 200, body = ListBody<LeaveView>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_leave(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<LeaveQuery>,
) -> Result<Json<ListBody<LeaveView>>, ApiError> {
    Ok(Json(ListBody::whole(
        leave::list(&state.app, &actor, &q).await?,
    )))
}

/// The head teacher or the school approves or rejects a leave.
#[utoipa::path(post, path = "/api/v1/leave-requests/{leave_id}/decide", tag = "attendance",
    params(("leave_id" = i64, Path)), request_body = Decision,
    responses((status = 200, body = LeaveView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn decide_leave(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(leave_id): ApiPath<i64>,
    ApiJson(b): ApiJson<Decision>,
) -> Result<Json<LeaveView>, ApiError> {
    Ok(Json(leave::decide(&state.app, &actor, leave_id, b).await?))
}

/// The guardian who asked takes back a leave that waits.
#[utoipa::path(post, path = "/api/v1/leave-requests/{leave_id}/revoke", tag = "attendance",
    params(("leave_id" = i64, Path)),
    responses((status = 200, body = LeaveView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn revoke_leave(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(leave_id): ApiPath<i64>,
) -> Result<Json<LeaveView>, ApiError> {
    Ok(Json(leave::revoke(&state.app, &actor, leave_id).await?))
}

/// A student's lessons with their marks over a span (at most 62 days).
#[utoipa::path(get, path = "/api/v1/students/{student_id}/attendance", tag = "attendance",
    params(("student_id" = i64, Path), SpanQuery),
    responses((status = 200, body = StudentAttendance), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn student_attendance(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(student_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<SpanQuery>,
) -> Result<Json<StudentAttendance>, ApiError> {
    Ok(Json(
        record::student(&state.app, &actor, student_id, &q).await?,
    ))
}

/// Where a student is now: the lesson in progress (or next today), its venue, time and
/// teacher, with the roll call's mark or the approved leave.
#[utoipa::path(get, path = "/api/v1/students/{student_id}/whereabouts", tag = "attendance",
    params(("student_id" = i64, Path)),
    responses((status = 200, body = Whereabouts), (status = 404, body = ErrorBody)))]
pub async fn whereabouts(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(student_id): ApiPath<i64>,
) -> Result<Json<Whereabouts>, ApiError> {
    Ok(Json(
        record::whereabouts(&state.app, &actor, student_id).await?,
    ))
}

/// A school's attendance over a period: students by class, teachers' check-ins, lessons
/// without a check-in.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/attendance/report", tag = "attendance",
    params(("school_id" = i64, Path), PeriodQuery),
    responses((status = 200, body = SchoolReport), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn school_report(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Json<SchoolReport>, ApiError> {
    Ok(Json(
        report::school(&state.app, &actor, school_id, &q).await?,
    ))
}

/// The bureau's view: students' attendance per school of its jurisdiction over a period.
#[utoipa::path(get, path = "/api/v1/attendance/jurisdiction", tag = "attendance",
    params(PeriodQuery),
    responses((status = 200, body = JurisdictionReport), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn jurisdiction(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Json<JurisdictionReport>, ApiError> {
    Ok(Json(report::jurisdiction(&state.app, &actor, &q).await?))
}

/// A teacher asks for a substitute (代课) or a swap (调课) for a lesson of theirs ahead.
#[utoipa::path(post, path = "/api/v1/lessons/{lesson_id}/changes", tag = "attendance",
    params(("lesson_id" = i64, Path)), request_body = ChangeInput,
    responses((status = 200, body = ChangeView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn request_change(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(lesson_id): ApiPath<i64>,
    ApiJson(b): ApiJson<ChangeInput>,
) -> Result<Json<ChangeView>, ApiError> {
    Ok(Json(
        change::request(&state.app, &actor, lesson_id, b).await?,
    ))
}

/// The school approves (with the substitute's pay) or rejects a substitute or swap.
#[utoipa::path(post, path = "/api/v1/lesson-changes/{change_id}/decide", tag = "attendance",
    params(("change_id" = i64, Path)), request_body = ChangeDecision,
    responses((status = 200, body = ChangeView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn decide_change(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(change_id): ApiPath<i64>,
    ApiJson(b): ApiJson<ChangeDecision>,
) -> Result<Json<ChangeView>, ApiError> {
    Ok(Json(
        change::decide(&state.app, &actor, change_id, b).await?,
    ))
}

/// The teacher takes back a request that waits.
#[utoipa::path(post, path = "/api/v1/lesson-changes/{change_id}/revoke", tag = "attendance",
    params(("change_id" = i64, Path)),
    responses((status = 200, body = ChangeView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn revoke_change(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(change_id): ApiPath<i64>,
) -> Result<Json<ChangeView>, ApiError> {
    Ok(Json(change::revoke(&state.app, &actor, change_id).await?))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatusQuery {
    /// pending, approved, rejected or revoked.
    pub status: Option<String>,
}

/// A school's substitutes and swaps.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/lesson-changes", tag = "attendance",
    params(("school_id" = i64, Path), StatusQuery),
    responses((status = 200, body = ListBody<ChangeView>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn school_changes(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<StatusQuery>,
) -> Result<Json<ListBody<ChangeView>>, ApiError> {
    Ok(Json(ListBody::whole(
        change::list(&state.app, &actor, school_id, q.status.as_deref()).await?,
    )))
}

/// A school's teachers' lesson hours: lessons held and minutes per teacher and course, by
/// day, week, month or in total, with the kinds (托管, 素质, 特色) and in- or out-of-school.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/lesson-hours/teachers", tag = "attendance",
    params(("school_id" = i64, Path), HoursQuery),
    responses((status = 200, body = HoursReport), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn teacher_hours(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<HoursQuery>,
) -> Result<Json<HoursReport>, ApiError> {
    Ok(Json(
        hours::teachers(&state.app, &actor, school_id, &q).await?,
    ))
}

/// A school's students' lesson hours: the lessons each attended (present or late).
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/lesson-hours/students", tag = "attendance",
    params(("school_id" = i64, Path), HoursQuery),
    responses((status = 200, body = HoursReport), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn student_hours(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<HoursQuery>,
) -> Result<Json<HoursReport>, ApiError> {
    Ok(Json(
        hours::students(&state.app, &actor, school_id, &q).await?,
    ))
}

/// An institution's teachers' lesson hours across the schools they teach at.
#[utoipa::path(get, path = "/api/v1/institutions/{id}/lesson-hours", tag = "attendance",
    params(("id" = i64, Path), HoursQuery),
    responses((status = 200, body = HoursReport), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn institution_hours(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<HoursQuery>,
) -> Result<Json<HoursReport>, ApiError> {
    Ok(Json(hours::institution(&state.app, &actor, id, &q).await?))
}

/// One student's lesson hours by day, week or month: their guardian, head teacher or school.
#[utoipa::path(get, path = "/api/v1/students/{student_id}/lesson-hours", tag = "attendance",
    params(("student_id" = i64, Path), HoursQuery),
    responses((status = 200, body = HoursReport), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn one_student_hours(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(student_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<HoursQuery>,
) -> Result<Json<HoursReport>, ApiError> {
    Ok(Json(
        hours::student(&state.app, &actor, student_id, &q).await?,
    ))
}

/// The day's sick-leave symptom report of the caller's jurisdiction: by class, school,
/// town-street, district and city.
#[utoipa::path(get, path = "/api/v1/attendance/symptoms", tag = "attendance",
    params(SymptomQuery),
    responses((status = 200, body = SymptomReport), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn symptom_report(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<SymptomQuery>,
) -> Result<Json<SymptomReport>, ApiError> {
    Ok(Json(symptoms::daily(&state.app, &actor, &q).await?))
}

/// A teacher asks for leave from their school; the school's attendance managers are told.
#[utoipa::path(post, path = "/api/v1/teacher-leaves", tag = "attendance",
    request_body = TeacherLeaveInput,
    responses((status = 200, body = TeacherLeaveView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn request_teacher_leave(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<TeacherLeaveInput>,
) -> Result<Json<TeacherLeaveView>, ApiError> {
    Ok(Json(teacher_leave::request(&state.app, &actor, b).await?))
}

/// The caller's own leave as a teacher.
#[utoipa::path(get, path = "/api/v1/me/teacher-leaves", tag = "attendance",
    responses((status = 200, body = ListBody<TeacherLeaveView>)))]
pub async fn my_teacher_leaves(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<ListBody<TeacherLeaveView>>, ApiError> {
    Ok(Json(ListBody::whole(
        teacher_leave::mine(&state.app, &actor).await?,
    )))
}

/// A school's teachers' leave.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/teacher-leaves", tag = "attendance",
    params(("school_id" = i64, Path), StatusQuery),
    responses((status = 200, body = ListBody<TeacherLeaveView>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn school_teacher_leaves(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<StatusQuery>,
) -> Result<Json<ListBody<TeacherLeaveView>>, ApiError> {
    Ok(Json(ListBody::whole(
        teacher_leave::list(&state.app, &actor, school_id, q.status.as_deref()).await?,
    )))
}

/// The school approves a teacher's leave, naming the substitute of all its lessons and the
/// pay per lesson, or rejects it.
#[utoipa::path(post, path = "/api/v1/teacher-leaves/{leave_id}/decide", tag = "attendance",
    params(("leave_id" = i64, Path)), request_body = TeacherLeaveDecision,
    responses((status = 200, body = TeacherLeaveView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn decide_teacher_leave(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(leave_id): ApiPath<i64>,
    ApiJson(b): ApiJson<TeacherLeaveDecision>,
) -> Result<Json<TeacherLeaveView>, ApiError> {
    Ok(Json(
        teacher_leave::decide(&state.app, &actor, leave_id, b).await?,
    ))
}

/// The teacher takes back a leave that waits.
#[utoipa::path(post, path = "/api/v1/teacher-leaves/{leave_id}/revoke", tag = "attendance",
    params(("leave_id" = i64, Path)),
    responses((status = 200, body = TeacherLeaveView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn revoke_teacher_leave(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(leave_id): ApiPath<i64>,
) -> Result<Json<TeacherLeaveView>, ApiError> {
    Ok(Json(
        teacher_leave::revoke(&state.app, &actor, leave_id).await?,
    ))
}
