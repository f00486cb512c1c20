//! The course specifications API (D1).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use kehou_domain::course::Category;
use kehou_service::course::spec::{self, SpecFilter, SpecInput, SpecView};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::http::api::ListBody;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiActor, ApiJson, ApiPath, ApiQuery};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SpecQuery {
    /// care, quality or featured.
    pub category: Option<String>,
    /// Only specs valid on this day (YYYY-MM-DD).
    pub valid_on: Option<NaiveDate>,
}

/// The course specifications the caller works with: their city's (a school's, an
/// institution's), or those of their bureau and below.
#[utoipa::path(get, path = "/api/v1/course-specs", tag = "courses", params(SpecQuery),
    responses((status = 200, body = ListBody<SpecView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<SpecQuery>,
) -> Result<Json<ListBody<SpecView>>, ApiError> {
    let category = match q.category.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(Category::parse(c).ok_or_else(|| {
            kehou_service::Error::invalid("category", "类别须为 care、quality 或 featured")
        })?),
    };
    let filter = SpecFilter {
        category,
        valid_on: q.valid_on,
    };
    Ok(Json(ListBody::whole(
        spec::list(&state.app, &actor, &filter).await?,
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewSpec {
    /// A stable code (letters, digits, - and _); one is made when absent.
    pub code: Option<String>,
    #[schema(required = true)]
    pub name: Option<String>,
    /// care, quality or featured.
    #[schema(required = true)]
    pub category: Option<String>,
    #[schema(required = true)]
    pub class_size_min: Option<i32>,
    #[schema(required = true)]
    pub class_size_max: Option<i32>,
    /// lesson or term.
    #[schema(required = true)]
    pub price_unit: Option<String>,
    /// In fen (分).
    #[schema(required = true)]
    pub price_fen: Option<i64>,
    /// Today when absent.
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
}

/// A new spec of the caller's city bureau (`course.spec`).
#[utoipa::path(post, path = "/api/v1/course-specs", tag = "courses", request_body = NewSpec,
    responses((status = 201, body = SpecView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "a spec of that name or code exists", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<NewSpec>,
) -> Result<(StatusCode, Json<SpecView>), ApiError> {
    let input = SpecInput {
        code: b.code,
        name: b.name,
        category: b.category,
        class_size_min: b.class_size_min,
        class_size_max: b.class_size_max,
        price_unit: b.price_unit,
        price_fen: b.price_fen,
        valid_from: b.valid_from,
        valid_to: b.valid_to,
    };
    Ok((
        StatusCode::CREATED,
        Json(spec::create(&state.app, &actor, input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/course-specs/{id}", tag = "courses", params(("id" = i64, Path)),
    responses((status = 200, body = SpecView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<SpecView>, ApiError> {
    Ok(Json(spec::get(&state.app, &actor, id).await?))
}

/// Renames a spec, changes its class-size band or validity; code, category, unit and
/// price do not change here.
#[utoipa::path(patch, path = "/api/v1/course-specs/{id}", tag = "courses", params(("id" = i64, Path)), request_body = SpecInput,
    responses((status = 200, body = SpecView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<SpecInput>,
) -> Result<Json<SpecView>, ApiError> {
    Ok(Json(spec::update(&state.app, &actor, id, b).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewPrice {
    /// In fen (分).
    #[schema(required = true)]
    pub price_fen: Option<i64>,
    /// A day after today; terms starting before it keep the old price.
    #[schema(required = true)]
    pub effective_from: Option<NaiveDate>,
}

/// A price change from a future day on.
#[utoipa::path(post, path = "/api/v1/course-specs/{id}/prices", tag = "courses", params(("id" = i64, Path)), request_body = NewPrice,
    responses((status = 200, body = SpecView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "a change on or after that day exists", body = ErrorBody)))]
pub async fn change_price(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<NewPrice>,
) -> Result<Json<SpecView>, ApiError> {
    Ok(Json(
        spec::change_price(&state.app, &actor, id, b.price_fen, b.effective_from).await?,
    ))
}
