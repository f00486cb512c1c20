use axum::Json;
use axum::extract::State;
use kehou_service::identity::offer::{self, OfferView};

use crate::AppState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiPath, ApiPrincipal};

/// An invitation made to the caller (the link of a `membership_offer` message).
#[utoipa::path(get, path = "/api/v1/invitations/{id}", tag = "auth", params(("id" = i64, Path)),
    responses((status = 200, body = OfferView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<OfferView>, ApiError> {
    Ok(Json(offer::get(&state.app, &p, id).await?))
}

/// Accepts an invitation: the caller gains the offered roles at its organization.
#[utoipa::path(post, path = "/api/v1/invitations/{id}/accept", tag = "auth", params(("id" = i64, Path)),
    responses((status = 200, body = OfferView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "already answered, or the organization stopped", body = ErrorBody)))]
pub async fn accept(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<OfferView>, ApiError> {
    Ok(Json(offer::decide(&state.app, &p, id, true).await?))
}

/// Declines an invitation.
#[utoipa::path(post, path = "/api/v1/invitations/{id}/decline", tag = "auth", params(("id" = i64, Path)),
    responses((status = 200, body = OfferView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "already answered", body = ErrorBody)))]
pub async fn decline(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<OfferView>, ApiError> {
    Ok(Json(offer::decide(&state.app, &p, id, false).await?))
}
