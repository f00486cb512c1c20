//! The test harness: a fresh database per test (SQLite in a temporary folder, or a new
//! PostgreSQL database when `KEHOU_TEST_DATABASE_URL` is set), the demo data, and an
//! in-process router driven with `tower::ServiceExt::oneshot`.

#![allow(dead_code)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::{TimeZone, Utc};
use kehou_service::{App, ManualClock};
use kehou_store::sea_orm::{ConnectionTrait, Database};
use serde_json::Value;
use tower::ServiceExt;

pub const PASSWORD: &str = "Demo@2026";
pub const PLATFORM_ADMIN: &str = "13800000001";
pub const CITY_LEADER: &str = "13800000002";
pub const STREET_OFFICER: &str = "13800000003";
pub const SCHOOL1_ADMIN: &str = "13800000004";
pub const SCHOOL2_ADMIN: &str = "13800000005";
pub const TEACHER: &str = "13800000006";
pub const PARENT: &str = "13800000007";
pub const INSTITUTION_ADMIN: &str = "13800000008";
pub const PATROL_TEACHER: &str = "13800000009";
pub const HEAD_TEACHER: &str = "13800000010";

/// Set by `.ci/run`: a test that cannot run here fails instead of skipping.
pub fn require_all() -> bool {
    std::env::var("KEHOU_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

pub struct TestApp {
    pub app: App,
    /// The test's own database.
    pub url: String,
    pub clock: Arc<ManualClock>,
    pub router: axum::Router,
    _dir: tempfile::TempDir,
}

fn start_time() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, 1, 8, 0, 0)
        .single()
        .expect("time")
}

/// The demo world, loaded once per test process into a template database that every test
/// copies: a copy takes milliseconds where loading takes a second or more.
struct Template {
    /// `sqlite://` file to copy, or the PostgreSQL database to clone.
    source: String,
    key_hex: String,
}

static TEMPLATE: tokio::sync::OnceCell<Template> = tokio::sync::OnceCell::const_new();

fn pg_admin_url() -> Option<String> {
    std::env::var("KEHOU_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// `postgres://…/name` for another database on the server of `admin_url`.
fn pg_url(admin_url: &str, name: &str) -> String {
    let base = admin_url.split('?').next().unwrap_or(admin_url);
    let (prefix, _) = base.rsplit_once('/').expect("database URL with a path");
    format!("{prefix}/{name}")
}

fn new_name(prefix: &str) -> String {
    format!(
        "{prefix}_{}",
        kehou_service::identity::auth::random_token()[..16].to_lowercase()
    )
}

async fn pg_create(admin_url: &str, sql: &str) {
    let admin = Database::connect(admin_url)
        .await
        .expect("connect to KEHOU_TEST_DATABASE_URL");
    // Two clones of one template at the same moment may collide; a retry settles it.
    let mut last = None;
    for _ in 0..20 {
        match admin.execute_unprepared(sql).await {
            Ok(_) => {
                admin.close().await.ok();
                return;
            }
            Err(e) => {
                last = Some(e);
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
    panic!("{sql}: {last:?}");
}

async fn template() -> &'static Template {
    TEMPLATE
        .get_or_init(|| async {
            let key_hex = kehou_service::platform::vault::Vault::generate_key();
            let (url, source) = match pg_admin_url() {
                Some(admin_url) => {
                    let name = new_name("kehou_template");
                    pg_create(&admin_url, &format!("CREATE DATABASE \"{name}\"")).await;
                    (pg_url(&admin_url, &name), name)
                }
                None => {
                    // Kept for the whole test process.
                    let dir = tempfile::tempdir().expect("temp dir").keep();
                    let path = dir.join("template.db");
                    let url = format!("sqlite://{}", path.display());
                    (url, path.display().to_string())
                }
            };
            let vault =
                Arc::new(kehou_service::platform::vault::Vault::from_hex(&key_hex).expect("vault"));
            let app = App::start(&url, Arc::new(ManualClock::new(start_time())), vault)
                .await
                .expect("start template");
            kehou_service::system::demo::load(&app)
                .await
                .expect("demo data");
            // Closing the last connection checkpoints SQLite's WAL into the file.
            app.db.clone().close().await.expect("close template");
            Template { source, key_hex }
        })
        .await
}

/// The key of the template's (and so every test database's) personal data.
pub async fn template_key() -> String {
    template().await.key_hex.clone()
}

/// A new database with nothing in it, on the engine the tests run on, in `dir` for SQLite.
pub async fn empty_database(dir: &std::path::Path) -> String {
    match pg_admin_url() {
        Some(admin_url) => {
            let name = new_name("kehou_empty");
            pg_create(&admin_url, &format!("CREATE DATABASE \"{name}\"")).await;
            pg_url(&admin_url, &name)
        }
        None => format!(
            "sqlite://{}",
            dir.join(format!("{}.db", new_name("empty"))).display()
        ),
    }
}

/// Whether the tests run on PostgreSQL.
pub fn on_postgres() -> bool {
    pg_admin_url().is_some()
}

/// A database of its own for one test, copied from the template.
async fn database_url(dir: &tempfile::TempDir) -> String {
    let template = template().await;
    match pg_admin_url() {
        Some(admin_url) => {
            let name = new_name("kehou_test");
            pg_create(
                &admin_url,
                &format!(
                    "CREATE DATABASE \"{name}\" TEMPLATE \"{}\"",
                    template.source
                ),
            )
            .await;
            pg_url(&admin_url, &name)
        }
        None => {
            let path = dir.path().join("test.db");
            std::fs::copy(&template.source, &path).expect("copy the template database");
            format!("sqlite://{}", path.display())
        }
    }
}

impl TestApp {
    /// A new platform with the demo data (a copy of the template), the clock at a fixed
    /// time.
    pub async fn new() -> Self {
        Self::with_config(kehou_web::WebConfig::default()).await
    }

    pub async fn with_config(config: kehou_web::WebConfig) -> Self {
        let t = Self::without_worker(config).await;
        kehou_service::system::worker::spawn(t.app.clone());
        t
    }

    /// A platform whose background jobs wait until a test runs them (no worker).
    pub async fn without_worker(config: kehou_web::WebConfig) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = database_url(&dir).await;
        let clock = Arc::new(ManualClock::new(start_time()));
        let vault = Arc::new(
            kehou_service::platform::vault::Vault::from_hex(&template().await.key_hex)
                .expect("vault"),
        );
        let app = App::start(&url, clock.clone(), vault)
            .await
            .expect("start app");
        let router = kehou_web::router(app.clone(), config);
        Self {
            app,
            url,
            clock,
            router,
            _dir: dir,
        }
    }

    pub async fn request(&self, req: Request<Body>) -> axum::response::Response {
        self.router
            .clone()
            .oneshot(req)
            .await
            .expect("router answers")
    }

    /// A JSON API call; `token` as bearer, `body` as JSON.
    pub async fn api(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .expect("request");
        let res = self.request(req).await;
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 10 << 20)
            .await
            .expect("body");
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        (status, value)
    }

    /// A download through the API: status, content type and the bytes.
    pub async fn download(&self, path: &str, token: &str) -> (StatusCode, String, Vec<u8>) {
        let req = Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .expect("request");
        let res = self.request(req).await;
        let status = res.status();
        let content_type = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let bytes = axum::body::to_bytes(res.into_body(), 50 << 20)
            .await
            .expect("body");
        (status, content_type, bytes.to_vec())
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.api(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.api(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.api(Method::PATCH, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.api(Method::PUT, path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.api(Method::DELETE, path, Some(token), None).await
    }

    pub async fn try_login(&self, phone: &str, password: &str) -> (StatusCode, Value) {
        self.api(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(serde_json::json!({"phone": phone, "password": password})),
        )
        .await
    }

    /// Logs a demo account in and returns its bearer token.
    pub async fn login(&self, phone: &str) -> String {
        let (status, body) = self.try_login(phone, PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "login {phone}: {body}");
        body["token"].as_str().expect("token").to_string()
    }

    /// The id of the organization with this name, looked up as the platform admin.
    pub async fn org_id(&self, name: &str) -> i64 {
        let admin = self.login(PLATFORM_ADMIN).await;
        let (_, body) = self
            .get(&format!("/api/v1/orgs?q={}", urlencode(name)), &admin)
            .await;
        body["items"]
            .as_array()
            .and_then(|items| items.iter().find(|o| o["name"] == name))
            .and_then(|o| o["id"].as_i64())
            .expect("org exists")
    }

    /// The id of the first student the school's list shows.
    pub async fn first_student(&self, school: i64) -> i64 {
        let admin = self.login(PLATFORM_ADMIN).await;
        let (_, body) = self
            .get(&format!("/api/v1/schools/{school}/students"), &admin)
            .await;
        body["items"][0]["id"].as_i64().expect("a student")
    }

    pub async fn role_id(&self, code: &str) -> i64 {
        let admin = self.login(PLATFORM_ADMIN).await;
        let (_, body) = self.get("/api/v1/roles", &admin).await;
        body["items"]
            .as_array()
            .and_then(|items| items.iter().find(|r| r["code"] == code))
            .and_then(|r| r["id"].as_i64())
            .expect("role exists")
    }

    pub async fn user_id(&self, phone: &str) -> i64 {
        let admin = self.login(PLATFORM_ADMIN).await;
        let (_, body) = self.get(&format!("/api/v1/users?q={phone}"), &admin).await;
        body["items"][0]["id"].as_i64().expect("user exists")
    }

    /// How many audit events with this action exist in the whole platform.
    pub async fn audit_count(&self, action: &str) -> usize {
        use kehou_store::entity::platform::audit_event;
        use kehou_store::sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq(action))
            .count(&self.app.db)
            .await
            .expect("count") as usize
    }
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn names(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["name"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// The cells of the first sheet of an `.xlsx` download, as text, header row first: tests
/// read exports back instead of trusting their first bytes.
pub fn workbook_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    use calamine::{Reader, Xlsx};
    let mut book = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("an .xlsx workbook");
    let name = book.sheet_names().first().cloned().expect("a sheet");
    let range = book.worksheet_range(&name).expect("the sheet reads");
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

pub const EXPERT_REVIEWER: &str = "13800000030";

/// The text poppler's `pdftotext` reads from a PDF — a reader other than ours, with its
/// own Chinese character maps (poppler-data); `None` (after saying so) where it is not
/// installed and not required.
pub fn pdftotext(pdf: &[u8]) -> Option<String> {
    let ready = std::path::Path::new("/usr/bin/pdftotext").exists()
        && std::path::Path::new("/usr/share/poppler/cMap").exists();
    if !ready {
        assert!(
            !require_all(),
            "KEHOU_REQUIRE_ALL=1 but pdftotext or poppler-data is missing"
        );
        println!("skipped: poppler is not installed (apt-get install poppler-utils poppler-data)");
        return None;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).expect("write pdf");
    let out = std::process::Command::new("/usr/bin/pdftotext")
        .arg("-enc")
        .arg("UTF-8")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}
