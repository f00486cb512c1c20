//! `kehou bench attendance`: a 3 000-student school at 16:00. 150 lessons start together;
//! their teachers check in by location, then call the roll of 40 students each; every
//! parent has the live page open (the message stream) and must see both of their child's
//! marks. Then the school's and the bureau's attendance reports for the term. Requests go
//! through the application's router in this process.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use axum::body::Body;
use axum::http::Request;
use chrono::{TimeZone, Utc};
use futures_util::StreamExt;
use kehou_service::App;
use kehou_service::platform::clock::{ManualClock, china};
use kehou_service::platform::vault::Vault;
use tower::ServiceExt;

use crate::describe;
use crate::rush::percentile;

async fn call(
    router: &axum::Router,
    req: Request<Body>,
) -> Result<(u16, serde_json::Value, Duration)> {
    let began = Instant::now();
    let res = router
        .clone()
        .oneshot(req)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let status = res.status().as_u16();
    let bytes = axum::body::to_bytes(res.into_body(), 10 << 20).await?;
    let v = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    Ok((status, v, began.elapsed()))
}

fn json_req(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &serde_json::Value,
) -> Result<Request<Body>> {
    let mut r = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json");
    if let Some(t) = token {
        r = r.header("authorization", format!("Bearer {t}"));
    }
    Ok(r.body(Body::from(body.to_string()))?)
}

/// Signs everyone in through the API, `connections` at a time.
async fn tokens(
    router: &axum::Router,
    phones: Vec<String>,
    connections: usize,
) -> Result<Vec<String>> {
    let phones = Arc::new(phones);
    let next = Arc::new(AtomicUsize::new(0));
    let out = Arc::new(std::sync::Mutex::new(vec![String::new(); phones.len()]));
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (router, phones, next, out) =
            (router.clone(), phones.clone(), next.clone(), out.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(phone) = phones.get(i) else { return Ok::<(), anyhow::Error>(()) };
                let body = serde_json::json!({"phone": phone, "password": kehou_service::system::bench_rush::PASSWORD});
                let (s, v, _) = call(&router, json_req("POST", "/api/v1/auth/token", None, &body)?).await?;
                if s != 200 {
                    bail!("login {s}: {v}");
                }
                let t = v["token"].as_str().ok_or_else(|| anyhow!("no token"))?.to_string();
                if let Ok(mut all) = out.lock() {
                    all[i] = t;
                }
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    let all = out.lock().map(|t| t.clone()).map_err(|_| anyhow!("lock"))?;
    Ok(all)
}

pub async fn run(database_url: Option<String>, students: usize, lessons: usize) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("kehou-att-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = database_url
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", dir.join("att.db").display()));
    let engine = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    // Today, ten to four in the afternoon, China time; the clock moves as the bench says.
    let today = Utc::now().with_timezone(&china()).date_naive();
    let at = |h: u32, m: u32| {
        today
            .and_hms_opt(h, m, 0)
            .and_then(|t| china().from_local_datetime(&t).single())
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| anyhow!("time"))
    };
    let clock = Arc::new(ManualClock::new(at(15, 50)?));
    let vault = Vault::from_hex(&Vault::generate_key()).map_err(describe)?;
    let app = App::start(&url, clock.clone(), Arc::new(vault))
        .await
        .map_err(describe)?;
    let started = Instant::now();
    let data = kehou_service::system::bench_attendance::setup(&app, students, lessons, today)
        .await
        .map_err(describe)?;
    println!(
        "数据 / data ({engine}): {} students with a parent each, {} lessons at 16:00 of 40 students ({:.1} s)",
        data.parents.len(),
        data.lessons.len(),
        started.elapsed().as_secs_f64()
    );
    let router = kehou_web::router(app.clone(), kehou_web::WebConfig::default());
    let t0 = Instant::now();
    let teacher_tokens = tokens(
        &router,
        data.lessons.iter().map(|l| l.0.clone()).collect(),
        16,
    )
    .await?;
    let parent_tokens = tokens(
        &router,
        data.parents.iter().map(|p| p.0.clone()).collect(),
        16,
    )
    .await?;
    println!(
        "sign-in: {} teachers, {} parents ({:.1} s)",
        teacher_tokens.len(),
        parent_tokens.len(),
        t0.elapsed().as_secs_f64()
    );

    // Every parent's live page: the message stream, its latest unread count kept.
    let unread: Arc<Vec<AtomicI64>> = Arc::new(
        (0..parent_tokens.len())
            .map(|_| AtomicI64::new(-1))
            .collect(),
    );
    let mut streams = Vec::new();
    for (i, token) in parent_tokens.iter().enumerate() {
        let req = Request::get("/messages/stream")
            .header("cookie", format!("kehou_session={token}"))
            .body(Body::empty())?;
        let res = router
            .clone()
            .oneshot(req)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        if res.status() != 200 {
            bail!("stream {}", res.status());
        }
        let unread = unread.clone();
        let mut body = res.into_body().into_data_stream();
        streams.push(tokio::spawn(async move {
            while let Some(Ok(chunk)) = body.next().await {
                let text = String::from_utf8_lossy(&chunk);
                for line in text.lines().filter_map(|l| l.strip_prefix("data: ")) {
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(line)
                        && let Some(n) = v["unread"].as_i64()
                    {
                        unread[i].store(n, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    let wait = Instant::now();
    while unread.iter().any(|u| u.load(Ordering::Relaxed) < 0) {
        if wait.elapsed() > Duration::from_secs(60) {
            bail!("live pages did not open");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let baseline: Vec<i64> = unread.iter().map(|u| u.load(Ordering::Relaxed)).collect();
    println!("live pages open: {}", baseline.len());

    // 15:58: every teacher checks in from the schoolyard.
    clock.advance(at(15, 58)? - app.now());
    let (lat, lng) = {
        use kehou_domain::geo::{Point, wgs84_to_gcj02};
        let c = Point {
            lat: 22.5176,
            lng: 113.3926,
        };
        let s = wgs84_to_gcj02(c);
        (c.lat - (s.lat - c.lat), c.lng - (s.lng - c.lng))
    };
    let lessons = Arc::new(data.lessons.clone());
    let teacher_tokens = Arc::new(teacher_tokens);
    let run_all = |kind: &'static str| {
        let mut tasks = Vec::new();
        for k in 0..lessons.len() {
            let (router, lessons, tokens) =
                (router.clone(), lessons.clone(), teacher_tokens.clone());
            tasks.push(tokio::spawn(async move {
                let (_, lesson, members) = &lessons[k];
                let req = if kind == "check-in" {
                    json_req("POST", &format!("/api/v1/lessons/{lesson}/check-in"), Some(&tokens[k]), &serde_json::json!({"lat": lat, "lng": lng, "accuracy": 20}))?
                } else {
                    // Everyone present but two: one absent, one late.
                    let marks: Vec<serde_json::Value> = members
                        .iter()
                        .enumerate()
                        .map(|(j, s)| serde_json::json!({"student_id": s, "status": match j { 0 => "absent", 1 => "late", _ => "present" }}))
                        .collect();
                    json_req("PUT", &format!("/api/v1/lessons/{lesson}/roll-call"), Some(&tokens[k]), &serde_json::json!({"marks": marks}))?
                };
                let (s, v, took) = call(&router, req).await?;
                if s != 200 {
                    bail!("{kind} {s}: {v}");
                }
                Ok::<Duration, anyhow::Error>(took)
            }));
        }
        tasks
    };
    let t1 = Instant::now();
    let mut latencies = Vec::new();
    for t in run_all("check-in") {
        latencies.push(t.await??);
    }
    latencies.sort();
    println!(
        "check-ins: {} at once in {:.2} s, p50 {:.1} ms, p99 {:.1} ms",
        latencies.len(),
        t1.elapsed().as_secs_f64(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );
    // 16:02: every teacher calls the roll.
    clock.advance(at(16, 2)? - app.now());
    let t2 = Instant::now();
    let mut latencies = Vec::new();
    for t in run_all("roll call") {
        latencies.push(t.await??);
    }
    latencies.sort();
    let marks: usize = lessons.iter().map(|l| l.2.len()).sum();
    println!(
        "roll calls: {} at once ({marks} marks) in {:.2} s, p50 {:.1} ms, p99 {:.1} ms",
        latencies.len(),
        t2.elapsed().as_secs_f64(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );
    // Every parent's open page must show both marks of their child.
    let mut expected = vec![0i64; data.parents.len()];
    let index: std::collections::HashMap<i64, usize> = data
        .parents
        .iter()
        .enumerate()
        .map(|(i, p)| (p.1, i))
        .collect();
    for (_, _, members) in lessons.iter() {
        for s in members {
            if let Some(i) = index.get(s) {
                expected[*i] += 1;
            }
        }
    }
    let want: i64 = expected.iter().sum();
    let delivered = || {
        unread
            .iter()
            .enumerate()
            .map(|(i, u)| (u.load(Ordering::Relaxed) - baseline[i]).clamp(0, expected[i]))
            .sum::<i64>()
    };
    while delivered() < want && t2.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "live notifications: {} of {want} shown on the parents' open pages, all within {:.2} s of the first roll call",
        delivered(),
        t2.elapsed().as_secs_f64()
    );
    for s in streams {
        s.abort();
    }

    // The reports of the term, as the school and the bureau read them.
    let admin = kehou_service::system::bench_attendance::school_admin(&app, data.school_id)
        .await
        .map_err(describe)?;
    let term = kehou_service::attendance::report::PeriodQuery {
        from: Some((today - chrono::Duration::days(120)).to_string()),
        to: Some(today.to_string()),
    };
    let mut school_ms = Vec::new();
    let mut bureau_ms = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let r = kehou_service::attendance::report::school(&app, &admin.0, data.school_id, &term)
            .await
            .map_err(describe)?;
        school_ms.push(t.elapsed());
        if r.total.present == 0 {
            bail!("the school's report counts nobody present");
        }
        let t = Instant::now();
        let b = kehou_service::attendance::report::jurisdiction(&app, &admin.1, &term)
            .await
            .map_err(describe)?;
        bureau_ms.push(t.elapsed());
        if b.total.present != r.total.present {
            bail!("the bureau's total differs from the school's");
        }
    }
    school_ms.sort();
    bureau_ms.sort();
    println!(
        "reports of the term: school {:.1} ms, bureau {:.1} ms (median of 5)",
        percentile(&school_ms, 0.5),
        percentile(&bureau_ms, 0.5)
    );
    drop(app);
    if engine == "SQLite" {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}
