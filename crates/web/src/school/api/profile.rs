//! The school profile (C1) and emergency contacts (C5).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiActor, ApiJson, ApiPath};

// Profile (C1) and emergency contacts (C5) ----

use kehou_service::school::profile::{ProfileInput, ProfileView};

#[utoipa::path(get, path = "/api/v1/schools/{school_id}/profile", tag = "schools", params(("school_id" = i64, Path)),
    responses((status = 200, body = ProfileView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_profile(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
) -> Result<Json<ProfileView>, ApiError> {
    Ok(Json(
        kehou_service::school::profile::profile(&state.app, &actor, school_id).await?,
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
    ApiActor(actor): ApiActor,
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
        kehou_service::school::profile::set_profile(&state.app, &actor, school_id, input).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ContactBody {
    #[schema(required = true)]
    pub name: Option<String>,
    /// e.g. 安全副校长.
    pub title: Option<String>,
    #[schema(required = true)]
    pub phone: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/schools/{school_id}/contacts", tag = "schools", params(("school_id" = i64, Path)), request_body = ContactBody,
    responses((status = 201, body = ProfileView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn add_contact(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiJson(b): ApiJson<ContactBody>,
) -> Result<(StatusCode, Json<ProfileView>), ApiError> {
    let view = kehou_service::school::profile::add_contact(
        &state.app,
        &actor,
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
    ApiActor(actor): ApiActor,
    ApiPath((school_id, contact_id)): ApiPath<(i64, i64)>,
) -> Result<Json<ProfileView>, ApiError> {
    Ok(Json(
        kehou_service::school::profile::remove_contact(&state.app, &actor, school_id, contact_id)
            .await?,
    ))
}

#[derive(Debug, serde::Serialize, ToSchema)]
#[schema(as = SchoolPhoneBody)]
pub struct PhoneBody {
    pub phone: String,
}

/// The whole phone number of a contact; needs `personal.view` and is written to the audit log.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/contacts/{contact_id}/phone", tag = "schools", params(("school_id" = i64, Path), ("contact_id" = i64, Path)),
    responses((status = 200, body = PhoneBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn contact_phone(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, contact_id)): ApiPath<(i64, i64)>,
) -> Result<Json<PhoneBody>, ApiError> {
    Ok(Json(PhoneBody {
        phone: kehou_service::school::profile::reveal_contact_phone(
            &state.app, &actor, school_id, contact_id,
        )
        .await?,
    }))
}
