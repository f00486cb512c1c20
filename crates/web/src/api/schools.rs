use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use kehou_service::school::{self, RoomFilter, RoomInput, RoomView};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{ListBody, Paging};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiPrincipal, ApiQuery};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoomQuery {
    /// Part of the name, building or purpose.
    pub q: Option<String>,
    pub available: Option<bool>,
    pub page: Option<u64>,
    pub page_size: Option<u64>,
}

/// Rooms of a school of the caller's jurisdiction.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/rooms", tag = "schools", params(("school_id" = i64, Path), RoomQuery),
    responses((status = 200, body = ListBody<RoomView>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_rooms(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath(school_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<RoomQuery>,
) -> Result<Json<ListBody<RoomView>>, ApiError> {
    let page = Paging {
        page: q.page,
        page_size: q.page_size,
    }
    .request()?;
    let filter = RoomFilter {
        q: q.q,
        available: q.available,
    };
    Ok(Json(
        school::list_rooms(&state.app, p.actor()?, school_id, &filter, page)
            .await?
            .into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RoomBody {
    pub name: Option<String>,
    /// Building or location, e.g. 综合楼三楼.
    pub building: Option<String>,
    /// e.g. 美术室, 篮球场.
    pub purpose: Option<String>,
    /// 1 to 5000.
    pub capacity: Option<i64>,
    pub available: Option<bool>,
}

impl From<RoomBody> for RoomInput {
    fn from(b: RoomBody) -> Self {
        Self {
            name: b.name,
            building: b.building,
            purpose: b.purpose,
            capacity: b.capacity,
            available: b.available,
        }
    }
}

#[utoipa::path(post, path = "/api/v1/schools/{school_id}/rooms", tag = "schools", params(("school_id" = i64, Path)), request_body = RoomBody,
    responses((status = 201, body = RoomView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_room(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath(school_id): ApiPath<i64>,
    ApiJson(b): ApiJson<RoomBody>,
) -> Result<(StatusCode, Json<RoomView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(school::create_room(&state.app, p.actor()?, school_id, b.into()).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/schools/{school_id}/rooms/{room_id}", tag = "schools", params(("school_id" = i64, Path), ("room_id" = i64, Path)),
    responses((status = 200, body = RoomView), (status = 404, body = ErrorBody)))]
pub async fn get_room(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath((school_id, room_id)): ApiPath<(i64, i64)>,
) -> Result<Json<RoomView>, ApiError> {
    Ok(Json(
        school::get_room(&state.app, p.actor()?, school_id, room_id).await?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/schools/{school_id}/rooms/{room_id}", tag = "schools", params(("school_id" = i64, Path), ("room_id" = i64, Path)), request_body = RoomBody,
    responses((status = 200, body = RoomView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_room(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath((school_id, room_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<RoomBody>,
) -> Result<Json<RoomView>, ApiError> {
    Ok(Json(
        school::update_room(&state.app, p.actor()?, school_id, room_id, b.into()).await?,
    ))
}

// ---- Terms and calendars (A5) ----

use chrono::NaiveDate;
use kehou_service::calendar::{
    self, DayView, ExtraDayInput, HolidayInput, PeriodInput, PeriodView, TermInput, TermView,
};

#[derive(Debug, Deserialize, ToSchema)]
pub struct TermBody {
    /// `2026-2027`.
    pub school_year: Option<String>,
    /// e.g. 第一学期.
    pub name: Option<String>,
    /// `YYYY-MM-DD`.
    pub start_date: Option<String>,
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
    ApiPrincipal(p): ApiPrincipal,
    ApiPath(school_id): ApiPath<i64>,
) -> Result<Json<ListBody<TermView>>, ApiError> {
    let items = calendar::list_terms(&state.app, p.actor()?, school_id).await?;
    let total = items.len() as u64;
    Ok(Json(ListBody {
        items,
        total,
        page: 1,
        page_size: total.max(1),
    }))
}

#[utoipa::path(post, path = "/api/v1/schools/{school_id}/terms", tag = "schools", params(("school_id" = i64, Path)), request_body = TermBody,
    responses((status = 201, body = TermView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_term(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath(school_id): ApiPath<i64>,
    ApiJson(b): ApiJson<TermBody>,
) -> Result<(StatusCode, Json<TermView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(calendar::create_term(&state.app, p.actor()?, school_id, b.into()).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/schools/{school_id}/terms/{term_id}", tag = "schools", params(("school_id" = i64, Path), ("term_id" = i64, Path)),
    responses((status = 200, body = TermView), (status = 404, body = ErrorBody)))]
pub async fn get_term(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
) -> Result<Json<TermView>, ApiError> {
    Ok(Json(
        calendar::get_term(&state.app, p.actor()?, school_id, term_id).await?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/schools/{school_id}/terms/{term_id}", tag = "schools", params(("school_id" = i64, Path), ("term_id" = i64, Path)), request_body = TermBody,
    responses((status = 200, body = TermView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_term(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<TermBody>,
) -> Result<Json<TermView>, ApiError> {
    Ok(Json(
        calendar::update_term(&state.app, p.actor()?, school_id, term_id, b.into()).await?,
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
    ApiPrincipal(p): ApiPrincipal,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<CalendarBody>,
) -> Result<Json<TermView>, ApiError> {
    Ok(Json(
        calendar::set_calendar(
            &state.app,
            p.actor()?,
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
    ApiPrincipal(p): ApiPrincipal,
    ApiPath((school_id, term_id)): ApiPath<(i64, i64)>,
    ApiQuery(q): ApiQuery<DaysQuery>,
) -> Result<Json<ListBody<DayView>>, ApiError> {
    let items = calendar::days(&state.app, p.actor()?, school_id, term_id, q.from, q.to).await?;
    let total = items.len() as u64;
    Ok(Json(ListBody {
        items,
        total,
        page: 1,
        page_size: total.max(1),
    }))
}

// ---- Bell schedule (D3) ----

#[utoipa::path(get, path = "/api/v1/schools/{school_id}/periods", tag = "schools", params(("school_id" = i64, Path)),
    responses((status = 200, body = ListBody<PeriodView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_periods(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath(school_id): ApiPath<i64>,
) -> Result<Json<ListBody<PeriodView>>, ApiError> {
    let items = calendar::list_periods(&state.app, p.actor()?, school_id).await?;
    let total = items.len() as u64;
    Ok(Json(ListBody {
        items,
        total,
        page: 1,
        page_size: total.max(1),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PeriodsBody {
    /// The day type, e.g. 默认 or 周五.
    pub day_type: Option<String>,
    #[serde(default)]
    pub periods: Vec<PeriodInput>,
}

/// Replaces the periods of one day type; an empty list removes it.
#[utoipa::path(put, path = "/api/v1/schools/{school_id}/periods", tag = "schools", params(("school_id" = i64, Path)), request_body = PeriodsBody,
    responses((status = 200, body = ListBody<PeriodView>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_periods(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath(school_id): ApiPath<i64>,
    ApiJson(b): ApiJson<PeriodsBody>,
) -> Result<Json<ListBody<PeriodView>>, ApiError> {
    let items = calendar::set_periods(
        &state.app,
        p.actor()?,
        school_id,
        b.day_type.as_deref().unwrap_or(""),
        &b.periods,
    )
    .await?;
    let total = items.len() as u64;
    Ok(Json(ListBody {
        items,
        total,
        page: 1,
        page_size: total.max(1),
    }))
}

// ---- Profile (C1) and emergency contacts (C5) ----

use kehou_service::school::{ProfileInput, ProfileView};

#[utoipa::path(get, path = "/api/v1/schools/{school_id}/profile", tag = "schools", params(("school_id" = i64, Path)),
    responses((status = 200, body = ProfileView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_profile(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath(school_id): ApiPath<i64>,
) -> Result<Json<ProfileView>, ApiError> {
    Ok(Json(
        school::profile(&state.app, p.actor()?, school_id).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ProfileBody {
    /// primary, junior, nine_year, complete or twelve_year (or the Chinese label).
    pub school_type: Option<String>,
    /// public or private (公办 / 民办).
    pub nature: Option<String>,
    pub address: Option<String>,
    #[serde(default)]
    pub campuses: Vec<String>,
}

#[utoipa::path(put, path = "/api/v1/schools/{school_id}/profile", tag = "schools", params(("school_id" = i64, Path)), request_body = ProfileBody,
    responses((status = 200, body = ProfileView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_profile(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath(school_id): ApiPath<i64>,
    ApiJson(b): ApiJson<ProfileBody>,
) -> Result<Json<ProfileView>, ApiError> {
    let input = ProfileInput {
        school_type: b.school_type,
        nature: b.nature,
        address: b.address,
        campuses: b.campuses,
    };
    Ok(Json(
        school::set_profile(&state.app, p.actor()?, school_id, input).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ContactBody {
    pub name: Option<String>,
    /// e.g. 安全副校长.
    pub title: Option<String>,
    pub phone: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/schools/{school_id}/contacts", tag = "schools", params(("school_id" = i64, Path)), request_body = ContactBody,
    responses((status = 201, body = ProfileView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn add_contact(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath(school_id): ApiPath<i64>,
    ApiJson(b): ApiJson<ContactBody>,
) -> Result<(StatusCode, Json<ProfileView>), ApiError> {
    let view = school::add_contact(
        &state.app,
        p.actor()?,
        school_id,
        b.name.as_deref(),
        b.title.as_deref(),
        b.phone.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(delete, path = "/api/v1/schools/{school_id}/contacts/{contact_id}", tag = "schools", params(("school_id" = i64, Path), ("contact_id" = i64, Path)),
    responses((status = 200, body = ProfileView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_contact(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath((school_id, contact_id)): ApiPath<(i64, i64)>,
) -> Result<Json<ProfileView>, ApiError> {
    Ok(Json(
        school::remove_contact(&state.app, p.actor()?, school_id, contact_id).await?,
    ))
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct PhoneBody {
    pub phone: String,
}

/// The whole phone number of a contact; needs `personal.view` and is written to the audit log.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/contacts/{contact_id}/phone", tag = "schools", params(("school_id" = i64, Path), ("contact_id" = i64, Path)),
    responses((status = 200, body = PhoneBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn contact_phone(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath((school_id, contact_id)): ApiPath<(i64, i64)>,
) -> Result<Json<PhoneBody>, ApiError> {
    Ok(Json(PhoneBody {
        phone: school::reveal_contact_phone(&state.app, p.actor()?, school_id, contact_id).await?,
    }))
}

// ---- Administrative classes, departments and posts (C3) ----

use kehou_service::classes::{self, ClassInput, ClassPatch, ClassView, UnitView};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClassQuery {
    /// `2026-2027`.
    pub school_year: Option<String>,
    pub grade: Option<i16>,
}

#[utoipa::path(get, path = "/api/v1/schools/{school_id}/classes", tag = "schools", params(("school_id" = i64, Path), ClassQuery),
    responses((status = 200, body = ListBody<ClassView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_classes(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath(school_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ClassQuery>,
) -> Result<Json<ListBody<ClassView>>, ApiError> {
    let items = classes::list_classes(
        &state.app,
        p.actor()?,
        school_id,
        q.school_year.as_deref(),
        q.grade,
    )
    .await?;
    let total = items.len() as u64;
    Ok(Json(ListBody {
        items,
        total,
        page: 1,
        page_size: total.max(1),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ClassBody {
    pub school_year: Option<String>,
    /// 1–12, within the school's stages.
    pub grade: Option<i64>,
    /// 1–99.
    pub number: Option<i64>,
    pub alias: Option<String>,
    pub head_teacher_id: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/schools/{school_id}/classes", tag = "schools", params(("school_id" = i64, Path)), request_body = ClassBody,
    responses((status = 201, body = ClassView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_class(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath(school_id): ApiPath<i64>,
    ApiJson(b): ApiJson<ClassBody>,
) -> Result<(StatusCode, Json<ClassView>), ApiError> {
    let input = ClassInput {
        school_year: b.school_year,
        grade: b.grade,
        number: b.number,
        alias: b.alias,
        head_teacher_id: b.head_teacher_id,
    };
    Ok((
        StatusCode::CREATED,
        Json(classes::create_class(&state.app, p.actor()?, school_id, input).await?),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ClassPatchBody {
    /// An empty string removes the alias.
    pub alias: Option<String>,
    /// `null` removes the head teacher; leaving the field out keeps it.
    #[serde(default, deserialize_with = "present")]
    pub head_teacher_id: Option<Option<i64>>,
}

/// Tells a field given as `null` from a field left out.
pub fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

#[utoipa::path(patch, path = "/api/v1/schools/{school_id}/classes/{class_id}", tag = "schools", params(("school_id" = i64, Path), ("class_id" = i64, Path)), request_body = ClassPatchBody,
    responses((status = 200, body = ClassView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_class(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath((school_id, class_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<ClassPatchBody>,
) -> Result<Json<ClassView>, ApiError> {
    let patch = ClassPatch {
        alias: b.alias,
        head_teacher_id: b.head_teacher_id,
    };
    Ok(Json(
        classes::update_class(&state.app, p.actor()?, school_id, class_id, patch).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PromoteBody {
    /// The school year whose classes move up, e.g. `2026-2027`.
    pub from_school_year: Option<String>,
}

/// Creates next school year's classes one grade up; the top grade graduates.
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/classes/promote", tag = "schools", params(("school_id" = i64, Path)), request_body = PromoteBody,
    responses((status = 200, body = ListBody<ClassView>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn promote_classes(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath(school_id): ApiPath<i64>,
    ApiJson(b): ApiJson<PromoteBody>,
) -> Result<Json<ListBody<ClassView>>, ApiError> {
    let items = classes::promote(
        &state.app,
        p.actor()?,
        school_id,
        b.from_school_year.as_deref().unwrap_or(""),
    )
    .await?;
    let total = items.len() as u64;
    Ok(Json(ListBody {
        items,
        total,
        page: 1,
        page_size: total.max(1),
    }))
}

#[utoipa::path(get, path = "/api/v1/schools/{school_id}/units", tag = "schools", params(("school_id" = i64, Path)),
    responses((status = 200, body = ListBody<UnitView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_units(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath(school_id): ApiPath<i64>,
) -> Result<Json<ListBody<UnitView>>, ApiError> {
    let items = classes::list_units(&state.app, p.actor()?, school_id).await?;
    let total = items.len() as u64;
    Ok(Json(ListBody {
        items,
        total,
        page: 1,
        page_size: total.max(1),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UnitBody {
    /// `department` (教研组) or `post` (岗位).
    pub kind: Option<String>,
    pub name: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/schools/{school_id}/units", tag = "schools", params(("school_id" = i64, Path)), request_body = UnitBody,
    responses((status = 201, body = UnitView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_unit(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath(school_id): ApiPath<i64>,
    ApiJson(b): ApiJson<UnitBody>,
) -> Result<(StatusCode, Json<UnitView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(
            classes::add_unit(
                &state.app,
                p.actor()?,
                school_id,
                b.kind.as_deref(),
                b.name.as_deref(),
            )
            .await?,
        ),
    ))
}

#[utoipa::path(delete, path = "/api/v1/schools/{school_id}/units/{unit_id}", tag = "schools", params(("school_id" = i64, Path), ("unit_id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn remove_unit(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath((school_id, unit_id)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    classes::remove_unit(&state.app, p.actor()?, school_id, unit_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- Students and guardians (C6) ----

use kehou_service::student::{
    self, ChildView, GuardianInput, StudentFilter, StudentInput, StudentPatch, StudentView,
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StudentQuery {
    /// Part of a name or student number, or a whole ID number.
    pub q: Option<String>,
    pub class_id: Option<i64>,
    /// enrolled, transferred or graduated.
    pub status: Option<String>,
    pub page: Option<u64>,
    pub page_size: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/schools/{school_id}/students", tag = "students", params(("school_id" = i64, Path), StudentQuery),
    responses((status = 200, body = ListBody<StudentView>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_students(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath(school_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<StudentQuery>,
) -> Result<Json<ListBody<StudentView>>, ApiError> {
    let page = Paging {
        page: q.page,
        page_size: q.page_size,
    }
    .request()?;
    let filter = StudentFilter {
        q: q.q,
        class_id: q.class_id,
        status: q.status,
    };
    Ok(Json(
        student::list_students(&state.app, p.actor()?, school_id, &filter, page)
            .await?
            .into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StudentBody {
    pub student_no: Option<String>,
    pub name: Option<String>,
    /// male / female (男 / 女).
    pub gender: Option<String>,
    /// 18-character resident ID number (GB 11643).
    pub id_number: Option<String>,
    /// `YYYY-MM-DD`; must match the ID number; taken from it when left out.
    pub birth_date: Option<String>,
    pub class_id: Option<i64>,
    pub status: Option<String>,
    #[serde(default)]
    pub guardians: Vec<GuardianInput>,
}

#[utoipa::path(post, path = "/api/v1/schools/{school_id}/students", tag = "students", params(("school_id" = i64, Path)), request_body = StudentBody,
    responses((status = 201, body = StudentView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_student(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath(school_id): ApiPath<i64>,
    ApiJson(b): ApiJson<StudentBody>,
) -> Result<(StatusCode, Json<StudentView>), ApiError> {
    let input = StudentInput {
        student_no: b.student_no,
        name: b.name,
        gender: b.gender,
        id_number: b.id_number,
        birth_date: b.birth_date,
        class_id: b.class_id,
        status: b.status,
        guardians: b.guardians,
    };
    Ok((
        StatusCode::CREATED,
        Json(student::create_student(&state.app, p.actor()?, school_id, input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/schools/{school_id}/students/{student_id}", tag = "students", params(("school_id" = i64, Path), ("student_id" = i64, Path)),
    responses((status = 200, body = StudentView), (status = 404, body = ErrorBody)))]
pub async fn get_student(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath((school_id, student_id)): ApiPath<(i64, i64)>,
) -> Result<Json<StudentView>, ApiError> {
    Ok(Json(
        student::get_student(&state.app, p.actor()?, school_id, student_id).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StudentPatchBody {
    pub name: Option<String>,
    /// `null` takes the student out of any class.
    #[serde(default, deserialize_with = "present")]
    pub class_id: Option<Option<i64>>,
    pub status: Option<String>,
}

#[utoipa::path(patch, path = "/api/v1/schools/{school_id}/students/{student_id}", tag = "students", params(("school_id" = i64, Path), ("student_id" = i64, Path)), request_body = StudentPatchBody,
    responses((status = 200, body = StudentView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_student(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath((school_id, student_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<StudentPatchBody>,
) -> Result<Json<StudentView>, ApiError> {
    let patch = StudentPatch {
        name: b.name,
        class_id: b.class_id,
        status: b.status,
    };
    Ok(Json(
        student::update_student(&state.app, p.actor()?, school_id, student_id, patch).await?,
    ))
}

/// Links a parent account (created when the phone number is new) as the student's guardian.
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/students/{student_id}/guardians", tag = "students", params(("school_id" = i64, Path), ("student_id" = i64, Path)), request_body = GuardianInput,
    responses((status = 200, body = StudentView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_guardian(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath((school_id, student_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<GuardianInput>,
) -> Result<Json<StudentView>, ApiError> {
    Ok(Json(
        student::add_guardian(&state.app, p.actor()?, school_id, student_id, b).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/schools/{school_id}/students/{student_id}/guardians/{guardian_id}", tag = "students",
    params(("school_id" = i64, Path), ("student_id" = i64, Path), ("guardian_id" = i64, Path)),
    responses((status = 200, body = StudentView), (status = 404, body = ErrorBody)))]
pub async fn remove_guardian(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath((school_id, student_id, guardian_id)): ApiPath<(i64, i64, i64)>,
) -> Result<Json<StudentView>, ApiError> {
    Ok(Json(
        student::remove_guardian(&state.app, p.actor()?, school_id, student_id, guardian_id)
            .await?,
    ))
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct IdNumberBody {
    pub id_number: String,
}

/// The whole ID number; needs `personal.view` and is written to the audit log.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/students/{student_id}/id-number", tag = "students", params(("school_id" = i64, Path), ("student_id" = i64, Path)),
    responses((status = 200, body = IdNumberBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn student_id_number(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath((school_id, student_id)): ApiPath<(i64, i64)>,
) -> Result<Json<IdNumberBody>, ApiError> {
    Ok(Json(IdNumberBody {
        id_number: student::reveal_id_number(&state.app, p.actor()?, school_id, student_id).await?,
    }))
}

/// The caller's own children, in every school (for parents).
#[utoipa::path(get, path = "/api/v1/me/children", tag = "students", responses((status = 200, body = ListBody<ChildView>), (status = 401, body = ErrorBody)))]
pub async fn my_children(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
) -> Result<Json<ListBody<ChildView>>, ApiError> {
    p.actor()?;
    let items = student::my_children(&state.app, &p).await?;
    let total = items.len() as u64;
    Ok(Json(ListBody {
        items,
        total,
        page: 1,
        page_size: total.max(1),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GradeQuery {
    /// `2026-2027`; the newest school year with classes when left out.
    pub school_year: Option<String>,
}

/// The grades of the school's stages with their classes and enrolled students.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/grades", tag = "schools", params(("school_id" = i64, Path), GradeQuery),
    responses((status = 200, body = Vec<kehou_service::classes::GradeView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_grades(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath(school_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<GradeQuery>,
) -> Result<Json<Vec<kehou_service::classes::GradeView>>, ApiError> {
    Ok(Json(
        kehou_service::classes::grades(&state.app, p.actor()?, school_id, q.school_year.as_deref())
            .await?,
    ))
}
