//! Students and guardians (C6).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::http::api::{ListBody, Paging};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiActor, ApiJson, ApiPath, ApiPrincipal, ApiQuery};

// Students and guardians (C6) ----

use kehou_service::school::student::{
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
    ApiActor(actor): ApiActor,
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
        student::list_students(&state.app, &actor, school_id, &filter, page)
            .await?
            .into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StudentBody {
    #[schema(required = true)]
    pub student_no: Option<String>,
    #[schema(required = true)]
    pub name: Option<String>,
    /// male / female (男 / 女).
    #[schema(required = true)]
    pub gender: Option<String>,
    /// 18-character resident ID number (GB 11643).
    pub id_number: Option<String>,
    /// `YYYY-MM-DD`; must match the ID number; taken from it when left out.
    pub birth_date: Option<String>,
    #[schema(required = true)]
    pub class_id: Option<i64>,
    pub status: Option<String>,
    #[serde(default)]
    pub guardians: Vec<GuardianInput>,
}

#[utoipa::path(post, path = "/api/v1/schools/{school_id}/students", tag = "students", params(("school_id" = i64, Path)), request_body = StudentBody,
    responses((status = 201, body = StudentView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_student(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
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
        Json(student::create_student(&state.app, &actor, school_id, input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/schools/{school_id}/students/{student_id}", tag = "students", params(("school_id" = i64, Path), ("student_id" = i64, Path)),
    responses((status = 200, body = StudentView), (status = 404, body = ErrorBody)))]
pub async fn get_student(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, student_id)): ApiPath<(i64, i64)>,
) -> Result<Json<StudentView>, ApiError> {
    Ok(Json(
        student::get_student(&state.app, &actor, school_id, student_id).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StudentPatchBody {
    pub name: Option<String>,
    /// `null` takes the student out of any class.
    #[serde(default, deserialize_with = "crate::http::api::present")]
    pub class_id: Option<Option<i64>>,
    pub status: Option<String>,
}

#[utoipa::path(patch, path = "/api/v1/schools/{school_id}/students/{student_id}", tag = "students", params(("school_id" = i64, Path), ("student_id" = i64, Path)), request_body = StudentPatchBody,
    responses((status = 200, body = StudentView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_student(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, student_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<StudentPatchBody>,
) -> Result<Json<StudentView>, ApiError> {
    let patch = StudentPatch {
        name: b.name,
        class_id: b.class_id,
        status: b.status,
    };
    Ok(Json(
        student::update_student(&state.app, &actor, school_id, student_id, patch).await?,
    ))
}

/// Links a parent account (created when the phone number is new) as the student's guardian.
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/students/{student_id}/guardians", tag = "students", params(("school_id" = i64, Path), ("student_id" = i64, Path)), request_body = GuardianInput,
    responses((status = 200, body = StudentView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_guardian(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, student_id)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<GuardianInput>,
) -> Result<Json<StudentView>, ApiError> {
    Ok(Json(
        student::add_guardian(&state.app, &actor, school_id, student_id, b).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/schools/{school_id}/students/{student_id}/guardians/{guardian_id}", tag = "students",
    params(("school_id" = i64, Path), ("student_id" = i64, Path), ("guardian_id" = i64, Path)),
    responses((status = 200, body = StudentView), (status = 404, body = ErrorBody)))]
pub async fn remove_guardian(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((school_id, student_id, guardian_id)): ApiPath<(i64, i64, i64)>,
) -> Result<Json<StudentView>, ApiError> {
    Ok(Json(
        student::remove_guardian(&state.app, &actor, school_id, student_id, guardian_id).await?,
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
    ApiActor(actor): ApiActor,
    ApiPath((school_id, student_id)): ApiPath<(i64, i64)>,
) -> Result<Json<IdNumberBody>, ApiError> {
    Ok(Json(IdNumberBody {
        id_number: student::reveal_id_number(&state.app, &actor, school_id, student_id).await?,
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
    Ok(Json(ListBody::whole(items)))
}
