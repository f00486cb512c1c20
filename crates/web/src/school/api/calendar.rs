//! Terms, calendars (A5) and the bell schedule (D3).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::http::api::ListBody;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiActor, ApiJson, ApiPath, ApiQuery};

// Terms and calendars (A5) ----

use chrono::NaiveDate;
use kehou_service::school::calendar::{
    self, DayPeriods, DayView, ExtraDayInput, HolidayInput, PeriodInput, PeriodView, TermInput,
    TermView,
};

#[derive(Debug, Deserialize, ToSchema)]
pub struct TermBody {
    /// `2026-2027`.
    #[schema(required = true)]
    pub school_year: Option<String>,
    /// e.g. 第一学期.
    #[schema(required = true)]
    pub name: Option<String>,
    /// `YYYY-MM-DD`.
    #[schema(required = true)]
    pub start_date: Option<String>,
    #[schema(required = true)]
    pub end_date: Option<String>,
}

impl From<TermBody> for TermInput {
    fn from(b: TermBody) -> Self {
        Self {
            school_year: b.school_year,
            name: b.name,
            start_date: b.start_date,
            end_date: b.end_date,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/schools/{school_id}/terms", tag = "schools", params(("school_id" = i64, Path)),
    responses((status = 200, body = ListBody<TermView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_terms(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
) -> Result<Json<ListBody<TermView>>, ApiError> {
    let items = calendar::list_terms(&state.app, &actor, school_id).await?;
    Ok(Json(ListBody::whole(items)))
}

#[utoipa::path(post, path = "/api/v1/schools/{school_id}/terms", tag = "schools", params(("school_id" = i64, Path)), request_body = TermBody,
    responses((status = 201, body = TermView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_term(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiJson(b): ApiJson<TermBody>,
) -> Result<(StatusCode, Json<TermView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(calendar::create_term(&state.app, &actor, school_id, b.into()).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/schools/{school_id}/terms/{term_id}", tag = "schools", params(("school_id" = i64, Path), ("term_id" = i64, Path)),
    responses((status = 200, body = TermView), (status = 404, body = ErrorBody)))]
pub async fn get_term(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
) -> Result<Json<TermView>, ApiError> {
    Ok(Json(
        calendar::get_term(&state.app, &actor, school_id, term_id).await?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/schools/{school_id}/terms/{term_id}", tag = "schools", params(("school_id" = i64, Path), ("term_id" = i64, Path)), request_body = TermBody,
    responses((status = 200, body = TermView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_term(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<TermBody>,
) -> Result<Json<TermView>, ApiError> {
    Ok(Json(
        calendar::update_term(&state.app, &actor, school_id, term_id, b.into()).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CalendarBody {
    #[serde(default)]
    pub holidays: Vec<HolidayInput>,
    #[serde(default)]
    pub extra_days: Vec<ExtraDayInput>,
}

/// Replaces the term's holidays, swapped days (调休) and make-up days (补课) in one step.
#[utoipa::path(put, path = "/api/v1/schools/{school_id}/terms/{term_id}/calendar", tag = "schools", params(("school_id" = i64, Path), ("term_id" = i64, Path)), request_body = CalendarBody,
    responses((status = 200, body = TermView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_calendar(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<CalendarBody>,
) -> Result<Json<TermView>, ApiError> {
    Ok(Json(
        calendar::set_calendar(
            &state.app,
            &actor,
            school_id,
            term_id,
            &b.holidays,
            &b.extra_days,
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DaysQuery {
    /// `YYYY-MM-DD`; the term's start by default.
    pub from: Option<NaiveDate>,
    /// `YYYY-MM-DD`; the term's end by default.
    pub to: Option<NaiveDate>,
}

/// Each date: a teaching day or not, and which weekday's timetable applies.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/terms/{term_id}/days", tag = "schools", params(("school_id" = i64, Path), ("term_id" = i64, Path), DaysQuery),
    responses((status = 200, body = ListBody<DayView>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn term_days(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiQuery(q): ApiQuery<DaysQuery>,
) -> Result<Json<ListBody<DayView>>, ApiError> {
    let items = calendar::days(&state.app, &actor, school_id, term_id, q.from, q.to).await?;
    Ok(Json(ListBody::whole(items)))
}

// Bell schedule (D3) ----

#[utoipa::path(get, path = "/api/v1/schools/{school_id}/periods", tag = "schools", params(("school_id" = i64, Path)),
    responses((status = 200, body = ListBody<PeriodView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_periods(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
) -> Result<Json<ListBody<PeriodView>>, ApiError> {
    let items = calendar::list_periods(&state.app, &actor, school_id).await?;
    Ok(Json(ListBody::whole(items)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PeriodsBody {
    /// The day type, e.g. 默认 or 周五.
    #[schema(required = true)]
    pub day_type: Option<String>,
    /// The weekdays it serves, 1 = Monday … 7 = Sunday; no two day types share one.
    #[serde(default)]
    pub weekdays: Vec<u8>,
    #[serde(default)]
    pub periods: Vec<PeriodInput>,
}

/// Replaces the periods of one day type and the weekdays it serves; an empty list of
/// periods removes it.
#[utoipa::path(put, path = "/api/v1/schools/{school_id}/periods", tag = "schools", params(("school_id" = i64, Path)), request_body = PeriodsBody,
    responses((status = 200, body = ListBody<PeriodView>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_periods(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiJson(b): ApiJson<PeriodsBody>,
) -> Result<Json<ListBody<PeriodView>>, ApiError> {
    let items = calendar::set_periods(
        &state.app,
        &actor,
        school_id,
        b.day_type.as_deref().unwrap_or(""),
        &b.weekdays,
        &b.periods,
    )
    .await?;
    Ok(Json(ListBody::whole(items)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DateQuery {
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
}

/// The periods that run at the school on a date: the term calendar decides whether it is a
/// teaching day and which weekday's timetable it follows, the day types' weekdays decide
/// the schedule.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/periods/on", tag = "schools", params(("school_id" = i64, Path), DateQuery),
    responses((status = 200, body = DayPeriods), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn periods_on(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DateQuery>,
) -> Result<Json<DayPeriods>, ApiError> {
    Ok(Json(
        calendar::periods_on(&state.app, &actor, school_id, q.date.as_deref()).await?,
    ))
}
