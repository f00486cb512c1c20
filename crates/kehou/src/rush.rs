//! `kehou bench rush`: the enrollment rush over HTTP. Builds the data
//! (`system::bench_rush`), starts `kehou serve` (one or more instances, optionally behind
//! nginx), signs every parent in through the API, then lets them all select 1–3 classes at
//! once; reports accepted selections per second, latency, errors, the servers' peak
//! memory, and runs the invariant check.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use kehou_service::platform::vault::Vault;
use kehou_service::system::bench_rush::{self, RushSpec};
use kehou_service::{App, SystemClock};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::describe;

/// One keep-alive HTTP/1.1 connection: enough of a client for a benchmark.
struct Conn {
    addr: String,
    stream: Option<BufReader<TcpStream>>,
}

impl Conn {
    fn new(addr: &str) -> Self {
        Self {
            addr: addr.to_string(),
            stream: None,
        }
    }

    async fn post(&mut self, path: &str, token: Option<&str>, body: &str) -> Result<(u16, String)> {
        for attempt in 0..2 {
            if self.stream.is_none() {
                let s = TcpStream::connect(&self.addr).await?;
                s.set_nodelay(true)?;
                self.stream = Some(BufReader::new(s));
            }
            match self.exchange(path, token, body).await {
                Ok(r) => return Ok(r),
                Err(e) if attempt == 0 => {
                    // The server closed an idle connection: open another once.
                    self.stream = None;
                    tracing::debug!(error = %e, "reconnecting");
                }
                Err(e) => return Err(e),
            }
        }
        bail!("unreachable")
    }

    async fn exchange(
        &mut self,
        path: &str,
        token: Option<&str>,
        body: &str,
    ) -> Result<(u16, String)> {
        let s = self
            .stream
            .as_mut()
            .ok_or_else(|| anyhow!("no connection"))?;
        let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: bench\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        s.get_mut().write_all(req.as_bytes()).await?;
        // Headers, then a body of Content-Length bytes.
        let mut head = Vec::new();
        loop {
            let b = s.read_u8().await?;
            head.push(b);
            if head.ends_with(b"\r\n\r\n") {
                break;
            }
            if head.len() > 16 * 1024 {
                bail!("response headers too long");
            }
        }
        let head = String::from_utf8_lossy(&head);
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| anyhow!("bad status line"))?;
        let len: usize = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())
                    .flatten()
            })
            .ok_or_else(|| anyhow!("no content-length"))?;
        let mut buf = vec![0; len];
        s.read_exact(&mut buf).await?;
        Ok((status, String::from_utf8_lossy(&buf).into_owned()))
    }
}

fn peak_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

struct Servers {
    children: Vec<Child>,
    nginx: Option<Child>,
    addr: String,
}

impl Drop for Servers {
    fn drop(&mut self) {
        for c in self.children.iter_mut().chain(self.nginx.iter_mut()) {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

async fn wait_ready(addr: &str) -> Result<()> {
    for _ in 0..300 {
        if TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("{addr} did not start")
}

async fn start(url: &str, key: &str, instances: usize, nginx: bool, dir: &Path) -> Result<Servers> {
    let exe = std::env::current_exe()?;
    let mut servers = Servers {
        children: Vec::new(),
        nginx: None,
        addr: String::new(),
    };
    let mut addrs = Vec::new();
    for i in 0..instances {
        let addr = format!("127.0.0.1:{}", free_port()?);
        let child = Command::new(&exe)
            .arg("serve")
            .env("KEHOU_DATABASE_URL", url)
            .env("KEHOU_DATA_KEY", key)
            .env("KEHOU_BIND", &addr)
            .env("KEHOU_FILES_DIR", dir.join("files"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join(format!("server{i}.log")))?)
            .spawn()
            .context("starting kehou serve")?;
        servers.children.push(child);
        addrs.push(addr);
    }
    for a in &addrs {
        wait_ready(a).await?;
    }
    if nginx {
        let port = free_port()?;
        let upstream: String = addrs.iter().map(|a| format!("server {a};")).collect();
        let d = dir.display();
        std::fs::create_dir_all(dir.join("nginx"))?;
        let conf = format!(
            "worker_processes 2; pid {d}/nginx/nginx.pid; error_log {d}/nginx/error.log warn;\n\
             events {{ worker_connections 4096; }}\n\
             http {{ access_log off; client_body_temp_path {d}/nginx/body; proxy_temp_path {d}/nginx/proxy;\n\
               fastcgi_temp_path {d}/nginx/fcgi; uwsgi_temp_path {d}/nginx/uwsgi; scgi_temp_path {d}/nginx/scgi;\n\
               upstream kehou {{ {upstream} keepalive 128; }}\n\
               server {{ listen 127.0.0.1:{port}; location / {{ proxy_pass http://kehou; proxy_http_version 1.1;\n\
                 proxy_set_header Connection \"\"; proxy_set_header Host $host; }} }} }}\n"
        );
        let path = dir.join("nginx/nginx.conf");
        std::fs::write(&path, conf)?;
        let child = Command::new("nginx")
            .args(["-c"])
            .arg(&path)
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting nginx (Debian package nginx)")?;
        servers.nginx = Some(child);
        servers.addr = format!("127.0.0.1:{port}");
        wait_ready(&servers.addr).await?;
    } else {
        servers.addr = addrs[0].clone();
    }
    Ok(servers)
}

/// Runs `tasks` jobs on `workers` connections; each job gets its index.
async fn run_all<F, Fut>(
    addr: &str,
    count: usize,
    workers: usize,
    job: F,
) -> Vec<Result<(Duration, usize)>>
where
    F: Fn(usize, Conn) -> Fut + Send + Sync + 'static + Clone,
    Fut: std::future::Future<Output = (Conn, Result<usize>)> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let results = Arc::new(tokio::sync::Mutex::new(Vec::with_capacity(count)));
    let mut handles = Vec::new();
    for _ in 0..workers {
        let (next, results, job, addr) =
            (next.clone(), results.clone(), job.clone(), addr.to_string());
        handles.push(tokio::spawn(async move {
            let mut conn = Conn::new(&addr);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let started = Instant::now();
                let (c, r) = job(i, conn).await;
                conn = c;
                results.lock().await.push(r.map(|n| (started.elapsed(), n)));
            }
        }));
    }
    for h in handles {
        let _ = h.await;
    }
    std::mem::take(&mut *results.lock().await)
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

pub async fn run(
    database_url: Option<String>,
    students: usize,
    instances: usize,
    nginx: bool,
    workers: usize,
) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("kehou-rush-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = database_url
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", dir.join("rush.db").display()));
    let key = Vault::generate_key();
    let vault = Vault::from_hex(&key).map_err(describe)?;
    let app = App::start(&url, Arc::new(SystemClock), Arc::new(vault))
        .await
        .map_err(describe)?;
    let spec = RushSpec {
        students,
        ..RushSpec::default()
    };
    let setup = Instant::now();
    let data = bench_rush::setup(&app, &spec).await.map_err(describe)?;
    println!(
        "数据 / data: {} students and parents, {} classes of {} seats in {} courses ({:.1} s)",
        data.parents.len(),
        data.classes.len(),
        spec.seats,
        spec.courses,
        setup.elapsed().as_secs_f64()
    );
    let servers = start(&url, &key, instances, nginx, &dir).await?;
    println!(
        "servers: {instances} × kehou serve{}",
        if nginx { " behind nginx" } else { "" }
    );

    // Every parent signs in through the API.
    let parents = Arc::new(data.parents.clone());
    let tokens = Arc::new(std::sync::Mutex::new(vec![String::new(); parents.len()]));
    let login_started = Instant::now();
    let logins = {
        let (parents, tokens) = (parents.clone(), tokens.clone());
        run_all(&servers.addr, parents.len(), workers.min(64), move |i, mut conn| {
            let (parents, tokens) = (parents.clone(), tokens.clone());
            async move {
                let body = serde_json::json!({"phone": parents[i].0, "password": bench_rush::PASSWORD}).to_string();
                let r = conn.post("/api/v1/auth/token", None, &body).await;
                let r = r.and_then(|(status, text)| {
                    if status != 200 {
                        bail!("login {status}: {text}");
                    }
                    let v: serde_json::Value = serde_json::from_str(&text)?;
                    let t = v["token"].as_str().ok_or_else(|| anyhow!("no token"))?.to_string();
                    if let Ok(mut all) = tokens.lock() {
                        all[i] = t;
                    }
                    Ok(1)
                });
                (conn, r)
            }
        })
        .await
    };
    let login_errors = logins.iter().filter(|r| r.is_err()).count();
    if let Some(Err(e)) = logins.iter().find(|r| r.is_err()) {
        println!("first sign-in error: {e}");
    }
    println!(
        "sign-in: {} parents in {:.1} s ({:.0}/s), {login_errors} errors",
        logins.len(),
        login_started.elapsed().as_secs_f64(),
        logins.len() as f64 / login_started.elapsed().as_secs_f64()
    );

    // The rush: all parents select 1–3 classes at once.
    let classes = Arc::new(data.classes.clone());
    let tokens: Arc<Vec<String>> = Arc::new(tokens.lock().map(|t| t.clone()).unwrap_or_default());
    let requests = parents.len();
    let rush_started = Instant::now();
    let results = {
        let (parents, classes, tokens) = (parents.clone(), classes.clone(), tokens.clone());
        run_all(&servers.addr, requests, workers, move |i, mut conn| {
            let (parents, classes, tokens) = (parents.clone(), classes.clone(), tokens.clone());
            async move {
                // A fixed pseudo-random pick per parent: 1–3 distinct classes.
                let mut x = (i as u64)
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let mut step = || {
                    x ^= x >> 33;
                    x = x.wrapping_mul(0xff51afd7ed558ccd);
                    x ^= x >> 33;
                    x
                };
                let n = 1 + (step() % 3) as usize;
                let mut picked: Vec<i64> = Vec::new();
                while picked.len() < n {
                    let c = classes[(step() % classes.len() as u64) as usize];
                    if !picked.contains(&c) {
                        picked.push(c);
                    }
                }
                let items: Vec<serde_json::Value> = picked
                    .iter()
                    .map(|c| serde_json::json!({"teaching_class_id": c}))
                    .collect();
                let body =
                    serde_json::json!({"student_id": parents[i].1, "items": items}).to_string();
                let r = conn
                    .post("/api/v1/enrollments", Some(&tokens[i]), &body)
                    .await;
                let r = r.and_then(|(status, text)| {
                    if status != 200 {
                        bail!("select {status}: {text}");
                    }
                    let v: serde_json::Value = serde_json::from_str(&text)?;
                    Ok(v["accepted"].as_u64().unwrap_or(0) as usize)
                });
                (conn, r)
            }
        })
        .await
    };
    let wall = rush_started.elapsed().as_secs_f64();
    let mut latencies: Vec<Duration> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().map(|x| x.0))
        .collect();
    latencies.sort_unstable();
    let accepted: usize = results
        .iter()
        .filter_map(|r| r.as_ref().ok().map(|x| x.1))
        .sum();
    let errors = results.iter().filter(|r| r.is_err()).count();
    if let Some(Err(e)) = results.iter().find(|r| r.is_err()) {
        println!("first selection error: {e}");
    }
    let peaks: Vec<u64> = servers.children.iter().map(|c| peak_kib(c.id())).collect();
    println!(
        "rush: {requests} selections ({workers} connections) in {wall:.2} s: {:.0} requests/s, {accepted} accepted items = {:.0} accepted/s; p50 {:.1} ms, p99 {:.1} ms; {errors} errors",
        requests as f64 / wall,
        accepted as f64 / wall,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
    );
    println!(
        "server peak memory (VmHWM): {}",
        peaks
            .iter()
            .map(|k| format!("{:.0} MiB", *k as f64 / 1024.0))
            .collect::<Vec<_>>()
            .join(", ")
    );
    drop(servers);
    let violations = kehou_service::enrollment::check::run(&app.db)
        .await
        .map_err(describe)?;
    println!("kehou check: {} violations", violations.len());
    for v in violations.iter().take(10) {
        println!("  [{}] {}", v.rule, v.detail);
    }
    let _ = std::fs::remove_dir_all(&dir);
    if !violations.is_empty() {
        bail!("invariants violated");
    }
    Ok(())
}
