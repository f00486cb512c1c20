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

impl<T> ListBody<T> {
    /// A list that is never paged: every item on page 1.
    pub fn whole(items: Vec<T>) -> Self {
        let total = items.len() as u64;
        Self {
            items,
            total,
            page: 1,
            page_size: total.max(1),
        }
    }
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
    components(schemas(ErrorBody, crate::http::error::ErrorDetails, kehou_domain::FieldError))
)]
pub struct ApiDoc;

/// Deserializes a field that may be absent, `null` or a value into
/// `None` / `Some(None)` / `Some(Some(v))`, so that a patch can clear it.
/// The `mode` query of an import: all_or_nothing when absent or empty.
pub fn import_mode(mode: Option<&str>) -> Result<kehou_service::import::Mode, ApiError> {
    use kehou_service::import::Mode;
    match mode {
        None | Some("") => Ok(Mode::AllOrNothing),
        Some(m) => Mode::parse(m).ok_or_else(|| {
            kehou_service::Error::invalid("mode", "导入方式应为 all_or_nothing 或 good_rows").into()
        }),
    }
}

pub fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

/// Adds what every operation answers alike, so that the document says all the API does:
/// 401 and 403 where a token is needed, 400 where a query or body is read, 404 where a
/// path names a resource, and the paging bounds of `page` and `page_size`.
pub fn complete(openapi: &mut utoipa::openapi::OpenApi) {
    let Ok(mut doc) = serde_json::to_value(&*openapi) else {
        return;
    };
    let error = |description: &str| {
        serde_json::json!({
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        })
    };
    if let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) {
        for item in paths.values_mut().filter_map(|i| i.as_object_mut()) {
            for op in item.values_mut().filter_map(|o| o.as_object_mut()) {
                let public = op
                    .get("security")
                    .and_then(|s| s.as_array())
                    .is_some_and(|s| {
                        s.iter()
                            .all(|r| r.as_object().is_some_and(|r| r.is_empty()))
                    });
                let params = op
                    .get_mut("parameters")
                    .and_then(|p| p.as_array_mut())
                    .map(std::mem::take)
                    .unwrap_or_default();
                let mut reads_input = op.contains_key("requestBody");
                let mut names_resource = false;
                let mut kept = Vec::with_capacity(params.len());
                for mut param in params {
                    let place = param["in"].as_str().unwrap_or("").to_string();
                    reads_input |= place == "query";
                    names_resource |= place == "path";
                    match param["name"].as_str() {
                        Some("page") if place == "query" => {
                            param["schema"]["minimum"] = 1.into();
                            param["schema"]["maximum"] = PageRequest::MAX_PAGE.into();
                        }
                        Some("page_size") if place == "query" => {
                            param["schema"]["minimum"] = 1.into();
                            param["schema"]["maximum"] = PageRequest::MAX_SIZE.into();
                        }
                        _ => {}
                    }
                    kept.push(param);
                }
                if !kept.is_empty() {
                    op.insert("parameters".into(), kept.into());
                }
                let Some(responses) = op.get_mut("responses").and_then(|r| r.as_object_mut())
                else {
                    continue;
                };
                if !public {
                    responses
                        .entry("401")
                        .or_insert_with(|| error("not logged in, or the session ended"));
                    responses.entry("403").or_insert_with(|| {
                        error(
                            "no permission, the account frozen, or its password must change first",
                        )
                    });
                }
                if reads_input {
                    responses
                        .entry("400")
                        .or_insert_with(|| error("the input is malformed or breaks a rule"));
                }
                if names_resource {
                    responses
                        .entry("404")
                        .or_insert_with(|| error("no such resource within the caller's reach"));
                }
            }
        }
    }
    if let Ok(done) = serde_json::from_value(doc) {
        *openapi = done;
    }
}
