//! The routers of the areas. API routes are declared with `utoipa_axum::routes!`, so the
//! OpenAPI document is built from the same declarations as the router; page routes are
//! declared through [`PageRoutes`], which keeps the list of what it registered. Together
//! the two lists are every route of the application (the authorization matrix test walks
//! them).

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodRouter, get, post};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// One route: its method and its path as declared (`/schools/{id}/rooms`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RouteInfo {
    pub method: Method,
    pub path: String,
}

/// The page routes of an area, remembering what they registered.
#[derive(Default)]
pub struct PageRoutes {
    router: Router<AppState>,
    list: Vec<RouteInfo>,
}

impl PageRoutes {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get<H, T>(self, path: &str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.with(path, Method::GET, get(handler))
    }

    pub fn post<H, T>(self, path: &str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.with(path, Method::POST, post(handler))
    }

    /// A route for one method whose method router carries layers of its own (upload limits).
    pub fn with(mut self, path: &str, method: Method, route: MethodRouter<AppState>) -> Self {
        self.router = self.router.route(path, route);
        self.list.push(RouteInfo {
            method,
            path: path.to_string(),
        });
        self
    }

    pub fn routes(&self) -> &[RouteInfo] {
        &self.list
    }
}

/// What each business area contributes: its JSON API and its pages.
pub struct Area {
    pub api: OpenApiRouter<AppState>,
    pub pages: PageRoutes,
}

/// Every area's routers, merged: the axum router, the OpenAPI document and the route list.
pub struct Assembled {
    pub router: Router<AppState>,
    pub openapi: utoipa::openapi::OpenApi,
    pub routes: Vec<RouteInfo>,
}

pub fn assemble(areas: Vec<Area>) -> Assembled {
    use utoipa::OpenApi;
    let mut api = OpenApiRouter::with_openapi(crate::http::api::ApiDoc::openapi());
    let mut pages = Router::new();
    let mut routes = Vec::new();
    for area in areas {
        api = api.merge(area.api);
        routes.extend(area.pages.list);
        pages = pages.merge(area.pages.router);
    }
    let (api, mut openapi) = api.split_for_parts();
    crate::http::api::complete(&mut openapi);
    for (path, item) in &openapi.paths.paths {
        for method in methods_of(item) {
            routes.push(RouteInfo {
                method,
                path: path.clone(),
            });
        }
    }
    routes.sort();
    Assembled {
        router: api.merge(pages),
        openapi,
        routes,
    }
}

fn methods_of(item: &utoipa::openapi::PathItem) -> Vec<Method> {
    [
        (item.get.is_some(), Method::GET),
        (item.post.is_some(), Method::POST),
        (item.put.is_some(), Method::PUT),
        (item.patch.is_some(), Method::PATCH),
        (item.delete.is_some(), Method::DELETE),
    ]
    .into_iter()
    .filter_map(|(present, m)| present.then_some(m))
    .collect()
}
