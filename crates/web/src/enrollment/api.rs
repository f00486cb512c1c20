//! The enrollment API: what a child may choose, the selection, orders and history, drops,
//! waitlists, the notice and its signatures, and the school's settings and roster.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use kehou_service::enrollment::assign::{self, AssignView, MergeInput, MoveInput, RunInput};
use kehou_service::enrollment::change::{self, EnrollmentChangeInput, EnrollmentChangeView};
use kehou_service::enrollment::drops::{self, DecisionInput, DropBrief, DropRequestView};
use kehou_service::enrollment::lottery::{
    self, DrawView, PreferencesInput, PreferencesView, SeedInput,
};
use kehou_service::enrollment::notice::{self, NoticeInput, NoticeView, SignInput, SignatureView};
use kehou_service::enrollment::order::{self, DropInput, EnrollmentView, OrderView};
use kehou_service::enrollment::roster::{self, CancelInput, HeadView, RosterQuery, RosterRow};
use kehou_service::enrollment::select::{self, EnrollInput, EnrollResult, SelectableView};
use kehou_service::enrollment::settings::{
    self, GroupInput, RulesInput, SettingsView, WindowInput,
};
use kehou_service::enrollment::waitlist::{self, JoinInput, WaitView};
use serde::Deserialize;
use utoipa::IntoParams;

use axum::response::Response;

use crate::AppState;
use crate::http::api::ListBody;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiActor, ApiJson, ApiPath, ApiQuery};
use crate::http::files::stored_file;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TermQuery {
    /// The term; the school's current one when left out.
    pub term_id: Option<i64>,
}

/// What a child may choose in a term, with seats left and whether the rules allow it now.
#[utoipa::path(get, path = "/api/v1/students/{student_id}/selectable-courses", tag = "enrollment",
    params(("student_id" = i64, Path), TermQuery),
    responses((status = 200, body = SelectableView), (status = 404, description = "not a child of the caller", body = ErrorBody)))]
pub async fn selectable(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(student_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<TermQuery>,
) -> Result<Json<SelectableView>, ApiError> {
    Ok(Json(
        select::selectable(&state.app, &actor, student_id, q.term_id).await?,
    ))
}

/// Selects one or more classes or courses for a child: each item is accepted (with its
/// order) or refused with a reason code, on its own.
#[utoipa::path(post, path = "/api/v1/enrollments", tag = "enrollment",
    request_body = EnrollInput,
    responses((status = 200, body = EnrollResult), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn enroll(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<EnrollInput>,
) -> Result<Json<EnrollResult>, ApiError> {
    Ok(Json(select::enroll(&state.app, &actor, b).await?))
}

/// A child's enrollments of every term, with their orders.
#[utoipa::path(get, path = "/api/v1/students/{student_id}/enrollments", tag = "enrollment",
    params(("student_id" = i64, Path)),
    responses((status = 200, body = ListBody<EnrollmentView>), (status = 404, body = ErrorBody)))]
pub async fn history(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(student_id): ApiPath<i64>,
) -> Result<Json<ListBody<EnrollmentView>>, ApiError> {
    Ok(Json(ListBody::whole(
        order::history(&state.app, &actor, student_id).await?,
    )))
}

/// An order with the snapshot of what was bought.
#[utoipa::path(get, path = "/api/v1/orders/{order_id}", tag = "enrollment",
    params(("order_id" = i64, Path)),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody)))]
pub async fn get_order(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(order_id): ApiPath<i64>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(order::get(&state.app, &actor, order_id).await?))
}

/// Cancels an unpaid enrollment, or asks to drop a confirmed one while a drop window is
/// open: the school reviews the request (`drop_request` in the answer); a selection the
/// school made is declined at once.
#[utoipa::path(post, path = "/api/v1/enrollments/{enrollment_id}/drop", tag = "enrollment",
    params(("enrollment_id" = i64, Path)), request_body = DropInput,
    responses((status = 200, body = EnrollmentView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "outside the drop window, or already ended", body = ErrorBody)))]
pub async fn drop(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(enrollment_id): ApiPath<i64>,
    ApiJson(b): ApiJson<DropInput>,
) -> Result<Json<EnrollmentView>, ApiError> {
    Ok(Json(
        order::drop(&state.app, &actor, enrollment_id, b).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DropRequestQuery {
    /// pending, approved, rejected or withdrawn.
    pub status: Option<String>,
}

/// A term's drop requests, waiting ones first (`enrollment.manage`).
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/terms/{term_id}/drop-requests", tag = "enrollment",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), DropRequestQuery),
    responses((status = 200, body = ListBody<DropRequestView>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn drop_requests(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiQuery(q): ApiQuery<DropRequestQuery>,
) -> Result<Json<ListBody<DropRequestView>>, ApiError> {
    Ok(Json(ListBody::whole(
        drops::list(&state.app, &actor, school_id, term_id, q.status.as_deref()).await?,
    )))
}

/// The parent withdraws a drop request that waits.
#[utoipa::path(post, path = "/api/v1/drop-requests/{request_id}/withdraw", tag = "enrollment",
    params(("request_id" = i64, Path)),
    responses((status = 200, body = DropBrief), (status = 404, body = ErrorBody),
        (status = 409, description = "already decided", body = ErrorBody)))]
pub async fn withdraw_drop(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(request_id): ApiPath<i64>,
) -> Result<Json<DropBrief>, ApiError> {
    Ok(Json(drops::withdraw(&state.app, &actor, request_id).await?))
}

/// The school approves (the enrollment is dropped, the seat freed) or rejects, with a
/// reason, a drop request (`enrollment.manage`).
#[utoipa::path(post, path = "/api/v1/drop-requests/{request_id}/decision", tag = "enrollment",
    params(("request_id" = i64, Path)), request_body = DecisionInput,
    responses((status = 200, body = DropRequestView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "already decided", body = ErrorBody)))]
pub async fn decide_drop(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(request_id): ApiPath<i64>,
    ApiJson(b): ApiJson<DecisionInput>,
) -> Result<Json<DropRequestView>, ApiError> {
    Ok(Json(
        drops::decide(&state.app, &actor, request_id, b).await?,
    ))
}

/// Asks to move a confirmed enrollment to another teaching class of the term while a drop
/// window is open: of the same course (调班) or of another (调课, the old course's refund
/// pays towards the new one). The school decides.
#[utoipa::path(post, path = "/api/v1/enrollments/{enrollment_id}/change", tag = "enrollment",
    params(("enrollment_id" = i64, Path)), request_body = EnrollmentChangeInput,
    responses((status = 201, body = EnrollmentChangeView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "not confirmed, outside the drop window, class closed, or a request waits", body = ErrorBody)))]
pub async fn request_change(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(enrollment_id): ApiPath<i64>,
    ApiJson(b): ApiJson<EnrollmentChangeInput>,
) -> Result<(StatusCode, Json<EnrollmentChangeView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(change::request(&state.app, &actor, enrollment_id, b).await?),
    ))
}

/// A term's course-change and class-transfer requests, waiting ones first
/// (`enrollment.manage`).
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/terms/{term_id}/enrollment-changes", tag = "enrollment",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), DropRequestQuery),
    responses((status = 200, body = ListBody<EnrollmentChangeView>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn changes(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiQuery(q): ApiQuery<DropRequestQuery>,
) -> Result<Json<ListBody<EnrollmentChangeView>>, ApiError> {
    Ok(Json(ListBody::whole(
        change::list(&state.app, &actor, school_id, term_id, q.status.as_deref()).await?,
    )))
}

/// The parent withdraws a change request that waits.
#[utoipa::path(post, path = "/api/v1/enrollment-changes/{request_id}/withdraw", tag = "enrollment",
    params(("request_id" = i64, Path)),
    responses((status = 200, body = EnrollmentChangeView), (status = 404, body = ErrorBody),
        (status = 409, description = "already decided", body = ErrorBody)))]
pub async fn withdraw_change(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(request_id): ApiPath<i64>,
) -> Result<Json<EnrollmentChangeView>, ApiError> {
    Ok(Json(
        change::withdraw(&state.app, &actor, request_id).await?,
    ))
}

/// The school approves (seats, enrollment and money move in one transaction) or rejects,
/// with a reason, a change request (`enrollment.manage`).
#[utoipa::path(post, path = "/api/v1/enrollment-changes/{request_id}/decision", tag = "enrollment",
    params(("request_id" = i64, Path)), request_body = DecisionInput,
    responses((status = 200, body = EnrollmentChangeView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "already decided, or the move breaks a rule (seats, clash, grade)", body = ErrorBody)))]
pub async fn decide_change(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(request_id): ApiPath<i64>,
    ApiJson(b): ApiJson<DecisionInput>,
) -> Result<Json<EnrollmentChangeView>, ApiError> {
    Ok(Json(
        change::decide(&state.app, &actor, request_id, b).await?,
    ))
}

/// Puts a child on a full class's waitlist.
#[utoipa::path(post, path = "/api/v1/waitlist", tag = "enrollment",
    request_body = JoinInput,
    responses((status = 201, body = WaitView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "seats left, already waiting, or a rule not met", body = ErrorBody)))]
pub async fn join_waitlist(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<JoinInput>,
) -> Result<(StatusCode, Json<WaitView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(waitlist::join(&state.app, &actor, b).await?),
    ))
}

/// Takes a child off a waitlist.
#[utoipa::path(delete, path = "/api/v1/waitlist/{entry_id}", tag = "enrollment",
    params(("entry_id" = i64, Path)),
    responses((status = 200, body = WaitView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn leave_waitlist(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(entry_id): ApiPath<i64>,
) -> Result<Json<WaitView>, ApiError> {
    Ok(Json(waitlist::leave(&state.app, &actor, entry_id).await?))
}

/// A child's waitlist places.
#[utoipa::path(get, path = "/api/v1/students/{student_id}/waitlist", tag = "enrollment",
    params(("student_id" = i64, Path)),
    responses((status = 200, body = ListBody<WaitView>), (status = 404, body = ErrorBody)))]
pub async fn my_waitlist(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(student_id): ApiPath<i64>,
) -> Result<Json<ListBody<WaitView>>, ApiError> {
    Ok(Json(ListBody::whole(
        waitlist::of_student(&state.app, &actor, student_id).await?,
    )))
}

/// The enrollment notice in force for a term.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/terms/{term_id}/notice", tag = "enrollment",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)),
    responses((status = 200, body = NoticeView), (status = 404, body = ErrorBody)))]
pub async fn get_notice(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
) -> Result<Json<NoticeView>, ApiError> {
    Ok(Json(
        notice::current(&state.app, &actor, school_id, term_id).await?,
    ))
}

/// Publishes a new version of the term's enrollment notice (`enrollment.manage`).
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/terms/{term_id}/notice", tag = "enrollment",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)), request_body = NoticeInput,
    responses((status = 201, body = NoticeView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn publish_notice(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<NoticeInput>,
) -> Result<(StatusCode, Json<NoticeView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(notice::publish(&state.app, &actor, school_id, term_id, b).await?),
    ))
}

/// A guardian signs the notice in force for a child.
#[utoipa::path(post, path = "/api/v1/notice-signatures", tag = "enrollment",
    request_body = SignInput,
    responses((status = 201, body = SignatureView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "a newer version was published", body = ErrorBody)))]
pub async fn sign_notice(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<SignInput>,
) -> Result<(StatusCode, Json<SignatureView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(notice::sign(&state.app, &actor, b).await?),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SignatureQuery {
    /// Only the students of this teaching class.
    pub teaching_class_id: Option<i64>,
}

/// The signatures of a term's notice (`enrollment.manage`).
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/terms/{term_id}/notice-signatures", tag = "enrollment",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), SignatureQuery),
    responses((status = 200, body = ListBody<SignatureView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn signatures(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiQuery(q): ApiQuery<SignatureQuery>,
) -> Result<Json<ListBody<SignatureView>>, ApiError> {
    Ok(Json(ListBody::whole(
        notice::signatures(&state.app, &actor, school_id, term_id, q.teaching_class_id).await?,
    )))
}

/// Signed confirmations of a term's notice as one PDF, each on its own page; only a
/// teaching class's with `teaching_class_id` (`enrollment.manage`).
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/terms/{term_id}/notice-confirmations", tag = "enrollment",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), SignatureQuery),
    responses((status = 200, description = "A PDF document", content_type = "application/pdf"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "too many for one document", body = ErrorBody)))]
pub async fn confirmations(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiQuery(q): ApiQuery<SignatureQuery>,
) -> Result<Response, ApiError> {
    let pdf = notice::confirmations(
        &state.app,
        &actor,
        school_id,
        term_id,
        q.teaching_class_id,
        None,
    )
    .await?;
    Ok(stored_file(
        "application/pdf",
        "报名须知签署确认书.pdf",
        pdf,
    ))
}

/// One signed confirmation as PDF (`enrollment.manage`).
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/notice-signatures/{signature_id}/confirmation", tag = "enrollment",
    params(("school_id" = i64, Path), ("signature_id" = i64, Path)),
    responses((status = 200, description = "A PDF document", content_type = "application/pdf"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn confirmation(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, signature_id)): ApiPath<(i64, i64)>,
) -> Result<Response, ApiError> {
    let pdf = notice::confirmation(&state.app, &actor, school_id, signature_id).await?;
    Ok(stored_file(
        "application/pdf",
        "报名须知签署确认书.pdf",
        pdf,
    ))
}

/// The term's enrollment settings: rules, windows, exclusive groups.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/terms/{term_id}/enrollment-settings", tag = "enrollment",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)),
    responses((status = 200, body = SettingsView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_settings(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
) -> Result<Json<SettingsView>, ApiError> {
    Ok(Json(
        settings::get(&state.app, &actor, school_id, term_id).await?,
    ))
}

/// Sets the most courses per student and how long an unpaid order holds its seat.
#[utoipa::path(put, path = "/api/v1/schools/{school_id}/terms/{term_id}/enrollment-settings", tag = "enrollment",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)), request_body = RulesInput,
    responses((status = 200, body = SettingsView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn set_rules(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<RulesInput>,
) -> Result<Json<SettingsView>, ApiError> {
    Ok(Json(
        settings::set_rules(&state.app, &actor, school_id, term_id, b).await?,
    ))
}

/// Adds a window (pre-registration, open, drop, supplementary, mid-term).
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/terms/{term_id}/enrollment-windows", tag = "enrollment",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)), request_body = WindowInput,
    responses((status = 201, body = SettingsView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_window(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<WindowInput>,
) -> Result<(StatusCode, Json<SettingsView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(settings::add_window(&state.app, &actor, school_id, term_id, b).await?),
    ))
}

#[utoipa::path(delete, path = "/api/v1/schools/{school_id}/terms/{term_id}/enrollment-windows/{window_id}", tag = "enrollment",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), ("window_id" = i64, Path)),
    responses((status = 200, body = SettingsView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn remove_window(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id, window_id)): ApiPath<(i64, i64, i64)>,
) -> Result<Json<SettingsView>, ApiError> {
    Ok(Json(
        settings::remove_window(&state.app, &actor, school_id, term_id, window_id).await?,
    ))
}

/// Adds a group of courses of which a student may take only one.
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/terms/{term_id}/exclusive-groups", tag = "enrollment",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)), request_body = GroupInput,
    responses((status = 201, body = SettingsView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_group(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<GroupInput>,
) -> Result<(StatusCode, Json<SettingsView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(settings::add_group(&state.app, &actor, school_id, term_id, b).await?),
    ))
}

#[utoipa::path(delete, path = "/api/v1/schools/{school_id}/terms/{term_id}/exclusive-groups/{group_id}", tag = "enrollment",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), ("group_id" = i64, Path)),
    responses((status = 200, body = SettingsView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn remove_group(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id, group_id)): ApiPath<(i64, i64, i64)>,
) -> Result<Json<SettingsView>, ApiError> {
    Ok(Json(
        settings::remove_group(&state.app, &actor, school_id, term_id, group_id).await?,
    ))
}

/// The term's enrollments with their orders, by class, course, student or state.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/terms/{term_id}/enrollments", tag = "enrollment",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), RosterQuery),
    responses((status = 200, body = ListBody<RosterRow>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn roster(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiQuery(q): ApiQuery<RosterQuery>,
) -> Result<Json<ListBody<RosterRow>>, ApiError> {
    Ok(Json(
        roster::list(&state.app, &actor, school_id, term_id, &q)
            .await?
            .into(),
    ))
}

/// The school selects for one of its students; the guardians confirm by paying or decline.
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/enrollments", tag = "enrollment",
    params(("school_id" = i64, Path)), request_body = EnrollInput,
    responses((status = 200, body = EnrollResult), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn select_for(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiJson(b): ApiJson<EnrollInput>,
) -> Result<Json<EnrollResult>, ApiError> {
    Ok(Json(
        roster::select_for(&state.app, &actor, school_id, b).await?,
    ))
}

/// A child's ranked choices (志愿) in pre-registration, and the published results.
#[utoipa::path(get, path = "/api/v1/students/{student_id}/preferences", tag = "enrollment",
    params(("student_id" = i64, Path), TermQuery),
    responses((status = 200, body = PreferencesView), (status = 404, body = ErrorBody)))]
pub async fn preferences(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(student_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<TermQuery>,
) -> Result<Json<PreferencesView>, ApiError> {
    Ok(Json(
        lottery::preferences(&state.app, &actor, student_id, q.term_id).await?,
    ))
}

/// Replaces a child's ranked choices while pre-registration is open.
#[utoipa::path(put, path = "/api/v1/students/{student_id}/preferences", tag = "enrollment",
    params(("student_id" = i64, Path)), request_body = PreferencesInput,
    responses((status = 200, body = PreferencesView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "outside the pre-registration window, or the notice unsigned", body = ErrorBody)))]
pub async fn set_preferences(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(student_id): ApiPath<i64>,
    ApiJson(b): ApiJson<PreferencesInput>,
) -> Result<Json<PreferencesView>, ApiError> {
    Ok(Json(
        lottery::set_preferences(&state.app, &actor, student_id, b).await?,
    ))
}

/// The term's draw: seed, state and the allocation report (`enrollment.manage`).
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/terms/{term_id}/lottery", tag = "enrollment",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)),
    responses((status = 200, body = DrawView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_draw(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
) -> Result<Json<DrawView>, ApiError> {
    Ok(Json(
        lottery::get_draw(&state.app, &actor, school_id, term_id).await?,
    ))
}

/// Publishes the draw's seed, once, after pre-registration closed.
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/terms/{term_id}/lottery/seed", tag = "enrollment",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)), request_body = SeedInput,
    responses((status = 201, body = DrawView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn publish_seed(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<SeedInput>,
) -> Result<(StatusCode, Json<DrawView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(lottery::publish_seed(&state.app, &actor, school_id, term_id, b).await?),
    ))
}

/// Runs the draw with the published seed; winners get their orders.
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/terms/{term_id}/lottery/draw", tag = "enrollment",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)),
    responses((status = 200, body = DrawView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn run_draw(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
) -> Result<Json<DrawView>, ApiError> {
    Ok(Json(
        lottery::run_draw(&state.app, &actor, school_id, term_id).await?,
    ))
}

/// Publishes the allocation report to parents.
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/terms/{term_id}/lottery/publish", tag = "enrollment",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)),
    responses((status = 200, body = DrawView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn publish_report(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
) -> Result<Json<DrawView>, ApiError> {
    Ok(Json(
        lottery::publish_report(&state.app, &actor, school_id, term_id).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemQuery {
    /// The offered course.
    pub item_id: Option<i64>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PublishInput {
    pub item_id: Option<i64>,
}

/// Class assignment of an enroll-first course: its classes, its students without a class
/// and their proposed classes.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/terms/{term_id}/class-assignment", tag = "enrollment",
    params(("school_id" = i64, Path), ("term_id" = i64, Path), ItemQuery),
    responses((status = 200, body = AssignView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn get_assignment(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiQuery(q): ApiQuery<ItemQuery>,
) -> Result<Json<AssignView>, ApiError> {
    Ok(Json(
        assign::get(&state.app, &actor, school_id, term_id, q.item_id).await?,
    ))
}

/// Runs the class-assignment solver for a course.
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/terms/{term_id}/class-assignment/run", tag = "enrollment",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)), request_body = RunInput,
    responses((status = 200, body = AssignView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn run_assignment(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<RunInput>,
) -> Result<Json<AssignView>, ApiError> {
    Ok(Json(
        assign::run(&state.app, &actor, school_id, term_id, b).await?,
    ))
}

/// Proposes another class for one student, checked.
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/terms/{term_id}/class-assignment/moves", tag = "enrollment",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)), request_body = MoveInput,
    responses((status = 200, body = AssignView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn move_student(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<MoveInput>,
) -> Result<Json<AssignView>, ApiError> {
    Ok(Json(
        assign::move_one(&state.app, &actor, school_id, term_id, b).await?,
    ))
}

/// Publishes a course's assignment.
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/terms/{term_id}/class-assignment/publish", tag = "enrollment",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)), request_body = PublishInput,
    responses((status = 200, body = AssignView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn publish_assignment(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<PublishInput>,
) -> Result<Json<AssignView>, ApiError> {
    Ok(Json(
        assign::publish(&state.app, &actor, school_id, term_id, b.item_id).await?,
    ))
}

/// Merges one class into another of the same course, or (with `student_ids`) splits
/// those students off into it; refused with the engine's reasons.
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/terms/{term_id}/class-merges", tag = "enrollment",
    params(("school_id" = i64, Path), ("term_id" = i64, Path)), request_body = MergeInput,
    responses((status = 200, body = AssignView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn merge_classes(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<MergeInput>,
) -> Result<Json<AssignView>, ApiError> {
    Ok(Json(
        assign::merge(&state.app, &actor, school_id, term_id, b).await?,
    ))
}

/// A head teacher's classes' enrollments (F9).
#[utoipa::path(get, path = "/api/v1/me/admin-class-enrollments", tag = "enrollment",
    params(TermQuery),
    responses((status = 200, body = HeadView), (status = 404, body = ErrorBody)))]
pub async fn head_teacher(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<TermQuery>,
) -> Result<Json<HeadView>, ApiError> {
    Ok(Json(
        roster::head_teacher(&state.app, &actor, q.term_id).await?,
    ))
}

/// The school (`enrollment.manage`) or the student's head teacher cancels an enrollment.
#[utoipa::path(post, path = "/api/v1/enrollments/{enrollment_id}/cancel", tag = "enrollment",
    params(("enrollment_id" = i64, Path)), request_body = CancelInput,
    responses((status = 200, body = EnrollmentView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel_for(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(enrollment_id): ApiPath<i64>,
    ApiJson(b): ApiJson<CancelInput>,
) -> Result<Json<EnrollmentView>, ApiError> {
    Ok(Json(
        roster::cancel_for(&state.app, &actor, enrollment_id, b).await?,
    ))
}
