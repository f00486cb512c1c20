//! End to end in headless Chromium, driven through ChromeDriver's WebDriver protocol:
//! log in as the school administrator, land on the home page, see the school and the
//! navigation, at desktop and phone widths. Skipped (with a message) where Chromium is not
//! installed, unless `KEHOU_REQUIRE_ALL=1`.

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a6_browser_login_lands_on_home_with_school_and_navigation() {
    if !Path::new(CHROMEDRIVER).exists() || !Path::new(CHROMIUM).exists() {
        assert!(
            !require_all(),
            "KEHOU_REQUIRE_ALL=1 but {CHROMIUM} or {CHROMEDRIVER} is missing"
        );
        println!(
            "skipped: Chromium and ChromeDriver are not installed (apt-get install chromium chromium-driver)"
        );
        return;
    }
    let t = TestApp::new().await;
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
    let s = |path: &str| format!("/session/{session}{path}");

    wd(
        port,
        "POST",
        &s("/url"),
        Some(json!({"url": format!("{base}/login")})),
    )
    .await;
    let phone = find(port, &session, "#f-phone").await;
    wd(
        port,
        "POST",
        &s(&format!("/element/{phone}/value")),
        Some(json!({"text": SCHOOL1_ADMIN})),
    )
    .await;
    let password = find(port, &session, "#f-password").await;
    wd(
        port,
        "POST",
        &s(&format!("/element/{password}/value")),
        Some(json!({"text": PASSWORD})),
    )
    .await;
    let submit = find(port, &session, "button[type=submit]").await;
    let clicked = wd(
        port,
        "POST",
        &s(&format!("/element/{submit}/click")),
        Some(json!({})),
    )
    .await;
    assert!(clicked["value"].is_null(), "click: {clicked}");

    let mut url = String::new();
    for _ in 0..50 {
        url = wd(port, "GET", &s("/url"), None).await["value"]
            .as_str()
            .unwrap_or("")
            .to_string();
        if url == format!("{base}/") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    screenshot(port, &session, "home-1920.png").await;
    if url != format!("{base}/") {
        let source = wd(port, "GET", &s("/source"), None).await;
        println!(
            "page after login: {}",
            source["value"].as_str().unwrap_or("")
        );
    }
    assert_eq!(url, format!("{base}/"), "landed on the home page");
    let heading = find(port, &session, "main h1").await;
    let text = wd(port, "GET", &s(&format!("/element/{heading}/text")), None).await;
    assert_eq!(text["value"], "示例第一小学");
    let nav = find(port, &session, "nav.sidebar").await;
    let nav_text = wd(port, "GET", &s(&format!("/element/{nav}/text")), None).await["value"]
        .as_str()
        .unwrap_or("")
        .to_string();
    for item in ["首页", "组织机构", "用户账号", "角色权限", "操作日志"] {
        assert!(
            nav_text.contains(item),
            "navigation lacks {item}: {nav_text}"
        );
    }

    // At phone width nothing overflows sideways.
    wd(
        port,
        "POST",
        &s("/window/rect"),
        Some(json!({"width": 375, "height": 812})),
    )
    .await;
    wd(
        port,
        "POST",
        &s("/url"),
        Some(json!({"url": format!("{base}/users")})),
    )
    .await;
    let width = wd(port, "POST", &s("/execute/sync"), Some(json!({"script": "return [document.documentElement.scrollWidth, window.innerWidth]", "args": []}))).await;
    screenshot(port, &session, "users-375.png").await;
    let (scroll, inner) = (
        width["value"][0].as_i64().unwrap_or(0),
        width["value"][1].as_i64().unwrap_or(0),
    );
    assert!(
        inner > 0 && scroll <= inner,
        "page wider than the phone: {scroll} > {inner}"
    );

    wd(port, "DELETE", &s(""), None).await;
}
