use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use kehou_domain::OrgKind;
use kehou_service::org::{self, NewOrg, OrgFilter, OrgPatch, OrgView};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::http::api::{ListBody, Paging};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiActor, ApiJson, ApiPath, ApiQuery};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgQuery {
    /// Part of the name or code.
    pub q: Option<String>,
    pub kind: Option<OrgKind>,
    pub parent_id: Option<i64>,
    pub active: Option<bool>,
    pub page: Option<u64>,
    pub page_size: Option<u64>,
}

/// Organizations of the caller's jurisdiction.
#[utoipa::path(get, path = "/api/v1/orgs", tag = "orgs", params(OrgQuery),
    responses((status = 200, body = ListBody<OrgView>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<OrgQuery>,
) -> Result<Json<ListBody<OrgView>>, ApiError> {
    let page = Paging {
        page: q.page,
        page_size: q.page_size,
    }
    .request()?;
    let filter = OrgFilter {
        q: q.q,
        kind: q.kind,
        parent_id: q.parent_id,
        active: q.active,
    };
    Ok(Json(
        org::list(&state.app, &actor, &filter, page).await?.into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateOrg {
    #[schema(required = true)]
    pub parent_id: Option<i64>,
    /// platform, bureau, school, institution or operator.
    #[schema(required = true)]
    pub kind: Option<String>,
    /// For bureaus: city, district or street.
    pub level: Option<String>,
    #[schema(required = true)]
    pub name: Option<String>,
    pub code: Option<String>,
    /// Administrative division code, 6, 9 or 12 digits.
    pub region_code: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/orgs", tag = "orgs", request_body = CreateOrg,
    responses((status = 201, body = OrgView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<CreateOrg>,
) -> Result<(StatusCode, Json<OrgView>), ApiError> {
    let input = NewOrg {
        parent_id: b.parent_id,
        kind: b.kind,
        level: b.level,
        name: b.name,
        code: b.code,
        region_code: b.region_code,
    };
    Ok((
        StatusCode::CREATED,
        Json(org::create(&state.app, &actor, input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/orgs/{id}", tag = "orgs", params(("id" = i64, Path)),
    responses((status = 200, body = OrgView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<OrgView>, ApiError> {
    Ok(Json(org::get(&state.app, &actor, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateOrg {
    pub name: Option<String>,
    /// An empty string clears the code.
    pub code: Option<String>,
    pub region_code: Option<String>,
    /// Moves the organization, with its subtree, under another.
    pub parent_id: Option<i64>,
    /// `false` deactivates, `true` reactivates.
    pub active: Option<bool>,
}

#[utoipa::path(patch, path = "/api/v1/orgs/{id}", tag = "orgs", params(("id" = i64, Path)), request_body = UpdateOrg,
    responses((status = 200, body = OrgView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<UpdateOrg>,
) -> Result<Json<OrgView>, ApiError> {
    let patch = OrgPatch {
        name: b.name,
        code: b.code,
        region_code: b.region_code,
        parent_id: b.parent_id,
        active: b.active,
    };
    Ok(Json(org::update(&state.app, &actor, id, patch).await?))
}
