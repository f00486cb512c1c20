//! The JSON API under `/api/v1`, described by the OpenAPI document served at
//! `/api/v1/openapi.json`.

mod audit;
mod auth;
mod orgs;
mod roles;
mod schools;
mod staff;
mod users;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, patch, post, put};
use kehou_service::{Page, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi_json))
        .route("/auth/token", post(auth::token))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/password", post(auth::change_password))
        .route("/me", get(auth::me))
        .route("/me/membership", put(auth::switch_membership))
        .route("/orgs", get(orgs::list).post(orgs::create))
        .route("/orgs/{id}", get(orgs::get).patch(orgs::update))
        .route("/users", get(users::list).post(users::create))
        .route("/users/{id}", get(users::get).patch(users::update))
        .route("/users/{id}/freeze", post(users::freeze))
        .route("/users/{id}/unfreeze", post(users::unfreeze))
        .route("/users/{id}/reset-password", post(users::reset_password))
        .route("/users/{id}/memberships", post(users::add_membership))
        .route(
            "/users/{id}/memberships/{membership_id}",
            delete(users::remove_membership),
        )
        .route("/permissions", get(roles::permissions))
        .route("/roles", get(roles::list).post(roles::create))
        .route("/roles/{id}", get(roles::get))
        .route("/roles/{id}/permissions", put(roles::set_permissions))
        .route("/audit-events", get(audit::list))
        .route(
            "/schools/{school_id}/rooms",
            get(schools::list_rooms).post(schools::create_room),
        )
        .route(
            "/schools/{school_id}/rooms/{room_id}",
            get(schools::get_room).patch(schools::update_room),
        )
        .route(
            "/schools/{school_id}/terms",
            get(schools::list_terms).post(schools::create_term),
        )
        .route(
            "/schools/{school_id}/terms/{term_id}",
            get(schools::get_term).patch(schools::update_term),
        )
        .route(
            "/schools/{school_id}/terms/{term_id}/calendar",
            put(schools::set_calendar),
        )
        .route(
            "/schools/{school_id}/terms/{term_id}/days",
            get(schools::term_days),
        )
        .route(
            "/schools/{school_id}/periods",
            get(schools::list_periods).put(schools::set_periods),
        )
        .route(
            "/schools/{school_id}/profile",
            get(schools::get_profile).put(schools::set_profile),
        )
        .route("/schools/{school_id}/contacts", post(schools::add_contact))
        .route(
            "/schools/{school_id}/contacts/{contact_id}",
            delete(schools::remove_contact),
        )
        .route(
            "/schools/{school_id}/contacts/{contact_id}/phone",
            get(schools::contact_phone),
        )
        .route(
            "/schools/{school_id}/classes",
            get(schools::list_classes).post(schools::create_class),
        )
        .route(
            "/schools/{school_id}/classes/promote",
            post(schools::promote_classes),
        )
        .route(
            "/schools/{school_id}/classes/{class_id}",
            patch(schools::update_class),
        )
        .route(
            "/schools/{school_id}/units",
            get(schools::list_units).post(schools::add_unit),
        )
        .route(
            "/schools/{school_id}/units/{unit_id}",
            delete(schools::remove_unit),
        )
        .route(
            "/schools/{school_id}/students",
            get(schools::list_students).post(schools::create_student),
        )
        .route(
            "/schools/{school_id}/students/{student_id}",
            get(schools::get_student).patch(schools::update_student),
        )
        .route(
            "/schools/{school_id}/students/{student_id}/guardians",
            post(schools::add_guardian),
        )
        .route(
            "/schools/{school_id}/students/{student_id}/guardians/{guardian_id}",
            delete(schools::remove_guardian),
        )
        .route(
            "/schools/{school_id}/students/{student_id}/id-number",
            get(schools::student_id_number),
        )
        .route("/me/children", get(schools::my_children))
        .route("/schools/{school_id}/grades", get(schools::list_grades))
        .route(
            "/schools/{school_id}/staff",
            get(staff::list).post(staff::create),
        )
        .route(
            "/schools/{school_id}/staff/{staff_id}",
            get(staff::get).patch(staff::update),
        )
        .route(
            "/schools/{school_id}/imports/{kind}/template",
            get(staff::template),
        )
        .route(
            "/schools/{school_id}/imports/{kind}",
            post(staff::start).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route(
            "/schools/{school_id}/imports/jobs/{job_id}",
            get(staff::job),
        )
        .route(
            "/schools/{school_id}/imports/jobs/{job_id}/report",
            get(staff::report),
        )
        .fallback(not_found)
}

/// Uploads are read up to a little over the import limit so that a too-large file gets the
/// import's own message rather than a bare 413.
pub const UPLOAD_LIMIT: usize = kehou_service::sheet::MAX_UPLOAD_BYTES + 5_000_000;

async fn not_found() -> ApiError {
    ApiError(kehou_service::Error::NotFound("接口"))
}

async fn openapi_json() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(ApiDoc::openapi())
}

/// A page of a list: `{"items":[...],"total":N,"page":P,"page_size":S}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ListBody<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
}

impl<T> From<Page<T>> for ListBody<T> {
    fn from(p: Page<T>) -> Self {
        Self {
            items: p.items,
            total: p.total,
            page: p.page,
            page_size: p.page_size,
        }
    }
}

/// `page` (from 1) and `page_size` (1–100, default 20) of every list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    pub page: Option<u64>,
    pub page_size: Option<u64>,
}

impl Paging {
    pub fn request(&self) -> Result<PageRequest, ApiError> {
        Ok(PageRequest::new(self.page, self.page_size)?)
    }
}

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "kehou 课后服务管理平台 API", version = "1", description = "All lists answer {items,total,page,page_size}; all errors {code,message,details}."),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    paths(
        auth::token, auth::logout, auth::change_password, auth::me, auth::switch_membership,
        orgs::list, orgs::create, orgs::get, orgs::update,
        users::list, users::create, users::get, users::update, users::freeze, users::unfreeze, users::reset_password,
        users::add_membership, users::remove_membership,
        roles::permissions, roles::list, roles::create, roles::get, roles::set_permissions,
        audit::list,
        schools::list_rooms, schools::create_room, schools::get_room, schools::update_room,
        schools::list_terms, schools::create_term, schools::get_term, schools::update_term, schools::set_calendar, schools::term_days,
        schools::list_periods, schools::set_periods,
        schools::get_profile, schools::set_profile, schools::add_contact, schools::remove_contact, schools::contact_phone,
        schools::list_classes, schools::create_class, schools::update_class, schools::promote_classes,
        schools::list_units, schools::add_unit, schools::remove_unit,
        schools::list_students, schools::create_student, schools::get_student, schools::update_student,
        schools::add_guardian, schools::remove_guardian, schools::student_id_number, schools::my_children, schools::list_grades,
        staff::list, staff::create, staff::get, staff::update,
        staff::template, staff::start, staff::job, staff::report,
    ),
    components(schemas(ErrorBody))
)]
pub struct ApiDoc;
