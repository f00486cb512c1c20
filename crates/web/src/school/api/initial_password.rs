//! Initial passwords for staff or guardians a school imported.

use axum::Json;
use axum::extract::State;
use kehou_service::school::initial_password::{self, Issued, Target};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiActor, ApiJson, ApiPath};

#[derive(Debug, Deserialize, ToSchema)]
pub struct InitialPasswordsBody {
    /// Staff records whose accounts get passwords; or
    pub staff_ids: Option<Vec<i64>>,
    /// students whose guardians' accounts get passwords.
    pub student_ids: Option<Vec<i64>>,
}

/// Gives one-time passwords to the accounts of chosen staff or of chosen students'
/// guardians (at most 200 accounts); each must change it at first login. Accounts that
/// belong to another organization too are left out (`skipped`).
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/initial-passwords", tag = "staff", params(("school_id" = i64, Path)), request_body = InitialPasswordsBody,
    responses((status = 200, body = Issued), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "every chosen account belongs to another organization too", body = ErrorBody)))]
pub async fn issue(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiJson(b): ApiJson<InitialPasswordsBody>,
) -> Result<Json<Issued>, ApiError> {
    let target = Target::either(b.staff_ids, b.student_ids);
    Ok(Json(
        initial_password::issue(&state.app, &actor, school_id, target).await?,
    ))
}
