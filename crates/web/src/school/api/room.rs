//! Rooms and venues (C4).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use kehou_service::school::room::{RoomFilter, RoomInput, RoomView};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::http::api::{ListBody, Paging};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiActor, ApiJson, ApiPath, ApiQuery};

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
    ApiActor(actor): ApiActor,
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
        kehou_service::school::room::list_rooms(&state.app, &actor, school_id, &filter, page)
            .await?
            .into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RoomBody {
    #[schema(required = true)]
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
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiJson(b): ApiJson<RoomBody>,
) -> Result<(StatusCode, Json<RoomView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(
            kehou_service::school::room::create_room(&state.app, &actor, school_id, b.into())
                .await?,
        ),
    ))
}

#[utoipa::path(get, path = "/api/v1/schools/{school_id}/rooms/{room_id}", tag = "schools", params(("school_id" = i64, Path), ("room_id" = i64, Path)),
    responses((status = 200, body = RoomView), (status = 404, body = ErrorBody)))]
pub async fn get_room(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, room_id)): ApiPath<(i64, i64)>,
) -> Result<Json<RoomView>, ApiError> {
    Ok(Json(
        kehou_service::school::room::get_room(&state.app, &actor, school_id, room_id).await?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/schools/{school_id}/rooms/{room_id}", tag = "schools", params(("school_id" = i64, Path), ("room_id" = i64, Path)), request_body = RoomBody,
    responses((status = 200, body = RoomView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_room(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, room_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<RoomBody>,
) -> Result<Json<RoomView>, ApiError> {
    Ok(Json(
        kehou_service::school::room::update_room(&state.app, &actor, school_id, room_id, b.into())
            .await?,
    ))
}
