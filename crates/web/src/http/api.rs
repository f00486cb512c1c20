//! What every API router shares: list bodies and paging, the upload limit, the frame of
//! the OpenAPI document served at `/api/v1/openapi.json`.

use kehou_service::{Page, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use crate::http::error::{ApiError, ErrorBody};

/// Uploads are read up to a little over the import limit so that a too-large file gets the
/// import's own message rather than a bare 413.
pub const UPLOAD_LIMIT: usize = kehou_service::platform::sheet::MAX_UPLOAD_BYTES + 5_000_000;

pub async fn not_found() -> ApiError {
    ApiError(kehou_service::Error::NotFound("接口"))
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

/// The document's frame: title, bearer security, the error body. The paths come from the
/// areas' routers (`utoipa_axum::routes!`), so a route cannot be missing from it.
#[derive(OpenApi)]
#[openapi(
    info(title = "kehou 课后服务管理平台 API", version = "1", description = "All lists answer {items,total,page,page_size}; all errors {code,message,details}."),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(ErrorBody))
)]
pub struct ApiDoc;

/// Deserializes a field that may be absent, `null` or a value into
/// `None` / `Some(None)` / `Some(Some(v))`, so that a patch can clear it.
pub fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}
