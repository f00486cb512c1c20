//! End to end in headless Chromium, driven through ChromeDriver's WebDriver protocol: log
//! in by password and by SMS code at desktop and phone widths, and hold every role's main
//! pages to axe-core's WCAG 2.1 AA rules. Skipped (with a message) where Chromium or
//! axe-core is not installed, unless `KEHOU_REQUIRE_ALL=1`.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::*;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// One WebDriver call: a minimal HTTP/1.1 exchange with ChromeDriver on loopback.
async fn wd(port: u16, method: &str, path: &str, body: Option<Value>) -> Value {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect chromedriver");
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    // Read until the headers end, then exactly the announced body (ChromeDriver may keep
    // the connection open).
    let mut raw = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(60), stream.read(&mut chunk))
            .await
            .expect("webdriver answers in time")
            .expect("read");
        raw.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&raw);
        if let Some((head, rest)) = text.split_once("\r\n\r\n") {
            let lower = head.to_ascii_lowercase();
            let length = lower
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            let complete = match length {
                Some(len) => rest.len() >= len,
                None => n == 0 || (lower.contains("chunked") && rest.ends_with("0\r\n\r\n")),
            };
            if complete {
                let payload = if lower.contains("transfer-encoding: chunked") {
                    dechunk(rest)
                } else {
                    rest.to_string()
                };
                return serde_json::from_str(&payload)
                    .unwrap_or_else(|e| panic!("webdriver {method} {path}: {e}: {payload}"));
            }
        }
        assert!(
            n > 0,
            "webdriver closed the connection early: {}",
            String::from_utf8_lossy(&raw)
        );
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

fn base64_decode(input: &str) -> Vec<u8> {
    let table = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut out = Vec::new();
    let (mut buf, mut bits) = (0u32, 0);
    for v in input.bytes().filter_map(table) {
        buf = (buf << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    out
}

async fn screenshot(port: u16, session: &str, name: &str) {
    let shot = wd(port, "GET", &format!("/session/{session}/screenshot"), None).await;
    if let Some(data) = shot["value"].as_str() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ci-artifacts");
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join(name), base64_decode(data));
    }
}

async fn find(port: u16, session: &str, css: &str) -> String {
    let found = wd(
        port,
        "POST",
        &format!("/session/{session}/element"),
        Some(json!({"using": "css selector", "value": css})),
    )
    .await;
    found["value"][ELEMENT]
        .as_str()
        .unwrap_or_else(|| panic!("element {css}: {found}"))
        .to_string()
}

/// A headless Chromium driven through ChromeDriver, with the app served on loopback.
struct Chrome {
    driver: Driver,
    session: String,
    base: String,
    _profile: tempfile::TempDir,
}

impl Chrome {
    /// Starts the app's server and a browser; `None` (after saying so) where Chromium is
    /// not installed and not required.
    async fn start(t: &TestApp) -> Option<Self> {
        if !Path::new(CHROMEDRIVER).exists() || !Path::new(CHROMIUM).exists() {
            assert!(
                !require_all(),
                "KEHOU_REQUIRE_ALL=1 but {CHROMIUM} or {CHROMEDRIVER} is missing"
            );
            println!(
                "skipped: Chromium and ChromeDriver are not installed (apt-get install chromium chromium-driver)"
            );
            return None;
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let router = t.router.clone();
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
        });
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver = Driver { child, port };
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1920,1080",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([format!("--user-data-dir={}", profile.path().display())])
        .collect::<Vec<_>>();
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {"binary": CHROMIUM, "args": args}}}});
        let created = wd(driver.port, "POST", "/session", Some(caps)).await;
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("session: {created}"))
            .to_string();
        Some(Self {
            driver,
            session,
            base,
            _profile: profile,
        })
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        wd(
            self.driver.port,
            method,
            &format!("/session/{}{path}", self.session),
            body,
        )
        .await
    }

    async fn go(&self, path: &str) {
        self.call(
            "POST",
            "/url",
            Some(json!({"url": format!("{}{path}", self.base)})),
        )
        .await;
    }

    async fn url(&self) -> String {
        self.call("GET", "/url", None).await["value"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    async fn find(&self, css: &str) -> String {
        find(self.driver.port, &self.session, css).await
    }

    async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.call(
            "POST",
            &format!("/element/{element}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let element = self.find(css).await;
        let clicked = self
            .call(
                "POST",
                &format!("/element/{element}/click"),
                Some(json!({})),
            )
            .await;
        assert!(clicked["value"].is_null(), "click {css}: {clicked}");
    }

    /// Waits (up to five seconds) until the text of `css` holds `wanted`: the element may not
    /// exist yet while the next page loads after a submit.
    async fn wait_for_text(&self, css: &str, wanted: &str) -> bool {
        for _ in 0..50 {
            let found = self
                .call(
                    "POST",
                    "/element",
                    Some(json!({"using": "css selector", "value": css})),
                )
                .await;
            if let Some(element) = found["value"][ELEMENT].as_str() {
                let text = self
                    .call("GET", &format!("/element/{element}/text"), None)
                    .await;
                if text["value"].as_str().is_some_and(|t| t.contains(wanted)) {
                    return true;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    async fn text(&self, css: &str) -> String {
        let element = self.find(css).await;
        self.call("GET", &format!("/element/{element}/text"), None)
            .await["value"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    async fn script(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await["value"]
            .clone()
    }

    async fn resize(&self, width: u32, height: u32) {
        self.call(
            "POST",
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
    }

    async fn screenshot(&self, name: &str) {
        screenshot(self.driver.port, &self.session, name).await;
    }

    /// Logs in through the login form, a fresh browser session (no cookies) first.
    async fn login(&self, phone: &str) {
        self.call("DELETE", "/cookie", None).await;
        self.go("/login").await;
        self.type_into("#f-phone", phone).await;
        self.type_into("#f-password", PASSWORD).await;
        self.click("button[type=submit]").await;
        for _ in 0..50 {
            if !self.url().await.contains("/login") {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("login of {phone} stayed on the login page");
    }

    async fn quit(&self) {
        self.call("DELETE", "", None).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a6_browser_login_lands_on_home_with_school_and_navigation() {
    let t = TestApp::new().await;
    let Some(c) = Chrome::start(&t).await else {
        return;
    };
    c.login(SCHOOL1_ADMIN).await;
    c.screenshot("home-1920.png").await;
    assert_eq!(
        c.url().await,
        format!("{}/", c.base),
        "landed on the home page"
    );
    assert_eq!(c.text("main h1").await, "示例第一小学");
    let nav_text = c.text("nav.sidebar").await;
    for item in [
        "首页",
        "组织机构",
        "用户账号",
        "角色权限",
        "操作日志",
        "消息",
    ] {
        assert!(
            nav_text.contains(item),
            "navigation lacks {item}: {nav_text}"
        );
    }

    // At phone width nothing overflows sideways.
    c.resize(375, 812).await;
    c.go("/users").await;
    let width = c
        .script("return [document.documentElement.scrollWidth, window.innerWidth]")
        .await;
    c.screenshot("users-375.png").await;
    let (scroll, inner) = (
        width[0].as_i64().unwrap_or(0),
        width[1].as_i64().unwrap_or(0),
    );
    assert!(
        inner > 0 && scroll <= inner,
        "page wider than the phone: {scroll} > {inner}"
    );
    c.quit().await;
}

/// A parent on a phone logs in with an SMS code and sees their children and messages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a6_a_parent_logs_in_by_sms_on_a_phone() {
    let t = TestApp::new().await;
    let Some(c) = Chrome::start(&t).await else {
        return;
    };
    c.resize(375, 812).await;
    c.go("/login?by=sms").await;
    c.type_into("#f-phone", PARENT).await;
    c.click("button[formaction='/login/sms-code']").await;
    for _ in 0..50 {
        if c.script("return !!document.querySelector('.notice')").await == json!(true) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let inbox = t.app.sms.sandbox().expect("the sandbox").inbox(None);
    let text = &inbox.first().expect("a code was sent").text;
    let at = text.find("验证码 ").expect("code") + "验证码 ".len();
    c.type_into("#f-code", &text[at..at + 6]).await;
    c.click("button[type=submit]:not([formaction])").await;
    for _ in 0..50 {
        if c.url().await == format!("{}/", c.base) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    c.screenshot("parent-home-375.png").await;
    assert!(c.text("main").await.contains("周俊"), "the child is listed");
    assert_eq!(
        c.text("[data-unread]").await,
        "1",
        "the welcome message waits"
    );
    c.click("a.inbox").await;
    assert!(c.text("main").await.contains("欢迎使用课后服务管理平台"));
    c.quit().await;
}

/// On a phone, a refused form comes back as its own page: the first bad field has the
/// focus and is on screen, the error box above it.
#[tokio::test]
async fn p1_a_refused_form_on_a_phone_puts_the_first_bad_field_in_view() {
    let t = TestApp::new().await;
    let Some(c) = Chrome::start(&t).await else {
        return;
    };
    let school = t.org_id("示例第一小学").await;
    c.resize(375, 812).await;
    c.login(SCHOOL1_ADMIN).await;
    c.go(&format!("/schools/{school}/students")).await;
    c.click(&format!("a[href='/schools/{school}/students/new']"))
        .await;
    c.type_into("#f-student_no", "T-0001").await;
    c.type_into("#f-name", "林小雨").await;
    c.type_into("#f-id_number", "4420001").await;
    c.type_into("#f-guardian_name", "林大海").await;
    c.type_into("#f-guardian_phone", "13800000000").await;
    c.script(
        "document.querySelector('#f-gender').selectedIndex = 1;\
         document.querySelector('#f-class_id').selectedIndex = 1;\
         document.querySelector('#f-guardian_relation').selectedIndex = 1;",
    )
    .await;
    c.click("form.form button[type=submit]").await;
    for _ in 0..50 {
        if c.script("return !!document.querySelector('.alert')").await == json!(true) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    c.screenshot("student-new-refused-375.png").await;
    let seen = c
        .script(
            "const f = document.activeElement, r = f.getBoundingClientRect();\
             const a = document.querySelector('.alert').getBoundingClientRect();\
             return [f.id, r.top >= 0 && r.bottom <= innerHeight, a.top < r.top];",
        )
        .await;
    assert_eq!(
        seen,
        json!(["f-id_number", true, true]),
        "focus, in view, errors above"
    );
    c.quit().await;
}

/// D5 at phone width: an institution applies in the browser (phone proven by SMS code,
/// documents uploaded), the street officer admits it on its page, and the applicant sees
/// it admitted.
#[tokio::test]
async fn d5_an_institution_applies_at_phone_width_and_the_officer_admits_it() {
    let t = TestApp::new().await;
    let Some(c) = Chrome::start(&t).await else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("kehou-apply-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let licence = dir.join("营业执照.pdf");
    let pledge = dir.join("安全承诺书.pdf");
    std::fs::write(&licence, crate::institution::PDF).expect("file");
    std::fs::write(&pledge, crate::institution::PDF).expect("file");
    c.resize(375, 812).await;
    c.go("/register/institution").await;
    c.type_into("#f-contact_name", "马晓东").await;
    c.type_into("#f-phone", crate::institution::APPLICANT).await;
    c.click("button[formaction='/register/institution/sms-code']")
        .await;
    for _ in 0..50 {
        if c.script("return !!document.querySelector('.notice')").await == json!(true) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let inbox = t.app.sms.sandbox().expect("the sandbox").inbox(None);
    let text = &inbox.first().expect("a code was sent").text;
    let at = text.find("验证码 ").expect("code") + "验证码 ".len();
    c.type_into("#f-sms_code", &text[at..at + 6]).await;
    c.type_into("#f-password", PASSWORD).await;
    c.type_into("#f-name", "示例编程教育中心").await;
    c.type_into(
        "#f-credit_code",
        &crate::institution::credit_code("52442000MJ0000777"),
    )
    .await;
    c.type_into("#f-legal_rep", "马晓东").await;
    c.type_into("#f-address", "示例市石岐街道学院路8号").await;
    c.type_into("#f-business_scope", "少儿编程、机器人培训")
        .await;
    c.click("input[name=service_types][value=quality]").await;
    let shiqi = t.org_id("石岐街道").await;
    c.script(&format!(
        "document.querySelector('#f-bureau_id').value = '{shiqi}';"
    ))
    .await;
    c.type_into("#f-doc-business_license", &licence.to_string_lossy())
        .await;
    c.type_into("#f-doc-safety_pledge", &pledge.to_string_lossy())
        .await;
    c.screenshot("institution-apply-375.png").await;
    c.click("form button[type=submit]:not([formaction])").await;
    let applied = c.wait_for_text("main", "申请已提交").await;
    c.screenshot("institution-applied-375.png").await;
    assert!(applied, "{}", c.text("main").await);

    let id = crate::institution::institution_id(&t, "示例编程教育中心").await;
    c.login(STREET_OFFICER).await;
    c.go(&format!("/institutions/{id}")).await;
    c.click("button[value=approve]").await;
    assert!(c.wait_for_text("main", "已准入").await);
    c.login(crate::institution::APPLICANT).await;
    c.go("/institution").await;
    c.screenshot("institution-own-375.png").await;
    assert!(c.text("main").await.contains("已准入"));
    let _ = std::fs::remove_dir_all(&dir);
    c.quit().await;
}

/// Where the axe-core script is: `KEHOU_AXE_JS`, set by `.ci/run` after `npm install axe-core`.
fn axe_source() -> Option<String> {
    let path = std::env::var("KEHOU_AXE_JS")
        .ok()
        .filter(|p| !p.is_empty())?;
    std::fs::read_to_string(path).ok()
}

/// Every role's main pages, at phone and desktop width, pass axe-core's WCAG 2.1 A and AA
/// rules: any violation fails, so that every later page is held to them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn p1_every_roles_main_pages_pass_axe_at_375_and_1920() {
    let Some(axe) = axe_source() else {
        assert!(
            !require_all(),
            "KEHOU_REQUIRE_ALL=1 but KEHOU_AXE_JS does not name axe-core's axe.min.js"
        );
        println!(
            "skipped: axe-core not found (npm install axe-core, then KEHOU_AXE_JS=…/axe.min.js)"
        );
        return;
    };
    let t = TestApp::new().await;
    let Some(c) = Chrome::start(&t).await else {
        return;
    };
    let school = t.org_id("示例第一小学").await;
    let s = |p: &str| format!("/schools/{school}{p}");
    let shiqi = t.org_id("石岐街道").await;
    let applying = crate::institution::institution_id(&t, "示例科创教育中心").await;
    let officer = t.user_id(STREET_OFFICER).await;
    let officer_membership = {
        let token = t.login(STREET_OFFICER).await;
        t.get("/api/v1/me", &token).await.1["memberships"][0]["id"]
            .as_i64()
            .expect("membership")
    };
    // The demo's current term of the school, its enabled plan and an institution course.
    let admin_token = t.login(SCHOOL1_ADMIN).await;
    let (_, terms) = t
        .get(&format!("/api/v1/schools/{school}/terms"), &admin_token)
        .await;
    let term = terms["items"][0]["id"].as_i64().expect("term");
    let (_, plans) = t
        .get(
            &format!("/api/v1/schools/{school}/terms/{term}/plans"),
            &admin_token,
        )
        .await;
    let plan = plans["items"][0]["id"].as_i64().expect("plan");
    let (_, classes) = t
        .get(
            &format!("/api/v1/schools/{school}/terms/{term}/teaching-classes"),
            &admin_token,
        )
        .await;
    let class = classes["items"][0]["id"].as_i64().expect("teaching class");
    let slot = classes["items"][0]["slots"][0]["id"]
        .as_i64()
        .expect("slot");
    let (_, courses) = t
        .get("/api/v1/courses", &t.login(INSTITUTION_ADMIN).await)
        .await;
    let course = courses["items"][0]["id"].as_i64().expect("course");
    let roles: Vec<(&str, Vec<String>)> = vec![
        (
            SCHOOL1_ADMIN,
            vec![
                "/".into(),
                s("/students"),
                s("/staff"),
                s("/admin-classes"),
                s("/calendar"),
                s("/rooms"),
                "/school".into(),
                "/users".into(),
                "/roles".into(),
                "/audit".into(),
                "/messages".into(),
                s("/imports/students"),
                s("/admin-classes/promote?year=2026-2027"),
                s("/students/new"),
                s("/staff/new"),
                s("/rooms/new"),
                s("/admin-classes/new"),
                s("/dispatches"),
                "/roles/new".into(),
                "/courses".into(),
                "/courses/new".into(),
                "/library".into(),
                s(&format!("/offering?term={term}")),
                s(&format!("/offering/items/new?term={term}&course={course}")),
                s(&format!("/plans?term={term}")),
                s(&format!("/plans/{plan}?term={term}")),
                "/offering/published".into(),
                s(&format!("/teaching?term={term}")),
                s(&format!("/teaching/{class}?term={term}")),
                s(&format!("/schedule?term={term}&slot={slot}")),
                s(&format!("/schedule/settings?term={term}")),
                "/timetable?date=2026-09-07".into(),
                "/timetable?mode=month&date=2026-09-07".into(),
                s(&format!("/enrollment?term={term}")),
                s(&format!("/enrollment/lottery?term={term}")),
                s(&format!("/enrollment/assign?term={term}")),
            ],
        ),
        (EXPERT_REVIEWER, vec!["/library".into()]),
        (
            TEACHER,
            vec![
                "/".into(),
                "/messages".into(),
                "/invitations/1".into(),
                s("/students"),
                "/me/timetable?date=2026-09-07".into(),
            ],
        ),
        (
            HEAD_TEACHER,
            vec!["/".into(), s("/students"), "/enrollment/my-classes".into()],
        ),
        (
            PARENT,
            vec![
                "/".into(),
                "/messages".into(),
                "/password".into(),
                "/offering/published".into(),
                format!("/courses/{course}"),
                "/me/timetable?date=2026-09-07".into(),
                "/me/timetable?mode=month&date=2026-09-07".into(),
                "/enroll".into(),
            ],
        ),
        (
            CITY_LEADER,
            vec![
                "/".into(),
                "/orgs".into(),
                "/students".into(),
                "/audit".into(),
                format!("/orgs/{shiqi}"),
                format!("/orgs/{shiqi}/departments/new"),
                "/institutions".into(),
                format!("/institutions/{applying}"),
                "/course-specs".into(),
                "/course-specs/new".into(),
                "/offerings".into(),
                "/library".into(),
                format!("/users/{officer}/memberships/{officer_membership}/departments"),
            ],
        ),
        (
            INSTITUTION_ADMIN,
            vec![
                "/".into(),
                "/users".into(),
                "/institution".into(),
                "/institution/teachers".into(),
                "/institution/teachers/new".into(),
                "/institution/dispatches".into(),
                "/institution/dispatches/new".into(),
                "/courses".into(),
                "/courses/new".into(),
                format!("/courses/{course}"),
                format!("/courses/{course}/edit"),
            ],
        ),
        (
            PLATFORM_ADMIN,
            vec!["/".into(), "/sandbox/sms".into(), "/orgs".into()],
        ),
    ];
    let run = format!("{axe};\nreturn 1;");
    let check = "var done = arguments[0]; axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}).then(function (r) { done(r.violations.map(function (v) { return v.id + ': ' + v.nodes.map(function (n) { return n.target.join(' '); }).slice(0, 5).join(', '); })); }, function (e) { done(['axe failed: ' + e]); });";
    let mut violations = Vec::new();
    let mut checked = 0;
    for (width, height) in [(375, 812), (1920, 1080)] {
        c.resize(width, height).await;
        let mut pages: Vec<(Option<&str>, String)> = vec![
            (None, "/login".into()),
            (None, "/login?by=sms".into()),
            (None, "/login?by=reset".into()),
            (None, "/register/institution".into()),
        ];
        for (phone, list) in &roles {
            pages.extend(list.iter().map(|p| (Some(*phone), p.clone())));
        }
        let mut current: Option<&str> = None;
        for (phone, path) in pages {
            if phone != current {
                match phone {
                    Some(p) => c.login(p).await,
                    None => {
                        c.call("DELETE", "/cookie", None).await;
                    }
                }
                current = phone;
            }
            c.go(&path).await;
            c.script(&run).await;
            let found = c
                .call(
                    "POST",
                    "/execute/async",
                    Some(json!({"script": check, "args": []})),
                )
                .await;
            let list = found["value"].as_array().cloned().unwrap_or_default();
            if !list.is_empty() {
                violations.push(format!(
                    "{width}px {} {path}: {list:?}",
                    phone.unwrap_or("-")
                ));
            }
            checked += 1;
        }
    }
    c.quit().await;
    assert!(checked >= 60, "checked {checked} pages");
    assert!(
        violations.is_empty(),
        "axe violations:\n{}",
        violations.join("\n")
    );
}
