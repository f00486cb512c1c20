//! `kehou bench payments`: 20 000 orders paid through the sandbox; their notifications
//! (10 % sent twice, in shuffled order) posted to the notification endpoint at full speed
//! through the application's router in this process; then the day's bill reconciled and
//! the whole database checked.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use axum::body::Body;
use axum::http::Request;
use kehou_service::billing::channel::Notice;
use kehou_service::platform::vault::Vault;
use kehou_service::{App, SystemClock};
use tower::ServiceExt;

use crate::describe;
use crate::rush::percentile;

pub async fn run(
    database_url: Option<String>,
    students: usize,
    connections: usize,
    duplicate_percent: usize,
) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("kehou-pay-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = database_url
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", dir.join("pay.db").display()));
    let engine = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let vault = Vault::from_hex(&Vault::generate_key()).map_err(describe)?;
    let app = App::start(&url, Arc::new(SystemClock), Arc::new(vault))
        .await
        .map_err(describe)?;
    let started = Instant::now();
    let data = kehou_service::system::bench_payments::setup(&app, students)
        .await
        .map_err(describe)?;
    println!(
        "数据 / data ({engine}): {} orders placed, paid at the sandbox's cashier ({:.1} s)",
        data.trades.len(),
        started.elapsed().as_secs_f64()
    );

    // The notifications as the channel signs them, some twice, in shuffled order.
    let sandbox = app.payments.sandbox();
    let mut signed = Vec::new();
    for t in &data.trades {
        let n = sandbox
            .notification(&data.merchant, &Notice::Trade(t.clone()), app.now())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        signed.push(n);
    }
    let dups: Vec<_> = signed
        .iter()
        .step_by((100 / duplicate_percent.clamp(1, 100)).max(1))
        .cloned()
        .collect();
    signed.extend(dups);
    // A fixed shuffle (xorshift), so that runs compare.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in (1..signed.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        signed.swap(i, (x % (i as u64 + 1)) as usize);
    }
    let signed = Arc::new(signed);
    let router = kehou_web::router(app.clone(), kehou_web::WebConfig::default());
    let next = Arc::new(AtomicUsize::new(0));
    let path = format!(
        "/api/v1/pay/notify/sandbox?account={}",
        data.merchant.account_id
    );
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections.max(1) {
        let (signed, router, next, path) =
            (signed.clone(), router.clone(), next.clone(), path.clone());
        tasks.push(tokio::spawn(async move {
            let mut out: Vec<(Duration, u16)> = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(n) = signed.get(i) else { break };
                let mut req = Request::post(&path);
                for (k, v) in &n.headers {
                    req = req.header(k.as_str(), v.as_str());
                }
                let Ok(req) = req.body(Body::from(n.body.clone())) else {
                    continue;
                };
                let began = Instant::now();
                let status = match router.clone().oneshot(req).await {
                    Ok(r) => r.status().as_u16(),
                    Err(_) => 0,
                };
                out.push((began.elapsed(), status));
            }
            out
        }));
    }
    let mut results = Vec::new();
    for t in tasks {
        results.extend(t.await?);
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let ok = results.iter().filter(|r| r.1 == 200).count();
    let mut latencies: Vec<Duration> = results.iter().map(|r| r.0).collect();
    latencies.sort();
    println!(
        "notifications: {} ({} duplicates) over {connections} connections in {elapsed:.1} s: {:.0}/s, p50 {:.1} ms, p99 {:.1} ms; {ok} acknowledged, {} not",
        results.len(),
        results.len() - data.trades.len(),
        results.len() as f64 / elapsed,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        results.len() - ok
    );

    let recon = Instant::now();
    let view = kehou_service::billing::reconcile::system_run_today(&app, data.merchant.account_id)
        .await
        .map_err(describe)?;
    println!(
        "reconciliation: {} bill lines, {} matched, {} differences in {:.2} s",
        view.0,
        view.1,
        view.2,
        recon.elapsed().as_secs_f64()
    );
    let check = Instant::now();
    let mut found = kehou_service::enrollment::check::run(&app.db)
        .await
        .map_err(describe)?;
    found.extend(
        kehou_service::billing::check::run(&app.db)
            .await
            .map_err(describe)?,
    );
    println!(
        "kehou check: {} violations ({:.1} s)",
        found.len(),
        check.elapsed().as_secs_f64()
    );
    for v in found.iter().take(5) {
        println!("  [{}] {}", v.rule, v.detail);
    }
    let _ = std::fs::remove_dir_all(&dir);
    if !found.is_empty() || ok != results.len() || view.1 != data.trades.len() || view.2 != 0 {
        bail!("the payments benchmark found problems");
    }
    Ok(())
}
