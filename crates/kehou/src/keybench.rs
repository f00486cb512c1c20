//! `kehou bench keys`: the personal data of a city-sized set of families under one key —
//! what every start and every view of 系统运行 counts, a backup and its restore, and a key
//! rotation while parents keep signing in through the application's router.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use axum::body::Body;
use axum::http::Request;
use kehou_service::platform::keys;
use kehou_service::platform::vault::Vault;
use kehou_service::system::{backup, bench_keys, bench_rush};
use kehou_service::{App, SystemClock};
use kehou_store::sea_orm::{ConnectionTrait, Statement};
use tower::ServiceExt;

use crate::describe;
use crate::rush::percentile;

async fn start(url: &str, vault: Vault) -> Result<App> {
    App::start(url, Arc::new(SystemClock), Arc::new(vault))
        .await
        .map_err(describe)
}

/// The median of three runs of `f`, in milliseconds.
async fn median_ms<F, Fut>(mut f: F) -> Result<f64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = kehou_service::Result<()>>,
{
    let mut times = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        f().await.map_err(describe)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[1])
}

fn folder_megabytes(dir: &Path) -> f64 {
    let bytes: u64 = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum();
    bytes as f64 / 1_048_576.0
}

async fn sign_in(router: &axum::Router, phone: &str) -> u16 {
    let body = serde_json::json!({"phone": phone, "password": bench_rush::PASSWORD}).to_string();
    let Ok(req) = Request::post("/api/v1/auth/token")
        .header("content-type", "application/json")
        .body(Body::from(body))
    else {
        return 0;
    };
    match router.clone().oneshot(req).await {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    }
}

pub async fn run(database_url: Option<String>, students: usize, batch: u64) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("kehou-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = database_url
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", dir.join("keys.db").display()));
    let postgres = url.starts_with("postgres");
    let engine = if postgres { "PostgreSQL" } else { "SQLite" };
    let old = Vault::generate_key();
    let new = Vault::generate_key();
    let app = start(&url, Vault::from_hex(&old).map_err(describe)?).await?;
    let t = Instant::now();
    let data = bench_keys::setup(&app, students).await.map_err(describe)?;
    let usage = keys::usage(&app.db).await.map_err(describe)?;
    println!(
        "数据 / data ({engine}): {} students with ID numbers and {} parents with phone numbers; {} encrypted values ({:.1} s)",
        students,
        data.parents.len(),
        usage.by_key.values().sum::<u64>(),
        t.elapsed().as_secs_f64()
    );

    // What each start (keys::check) and each view of 系统运行 (keys::usage) reads.
    let usage_ms = median_ms(|| async { keys::usage(&app.db).await.map(|_| ()) }).await?;
    let check_ms = median_ms(|| async { keys::check(&app.db, &app.vault).await }).await?;
    println!(
        "keys::usage (系统运行): {usage_ms:.0} ms; keys::check (every start): {check_ms:.0} ms (median of 3)"
    );

    let out = dir.join("backup");
    let t = Instant::now();
    let manifest = backup::backup(&app, &url, None, &out)
        .await
        .map_err(describe)?;
    println!(
        "kehou backup: {:.1} s, {:.0} MB, {} tables",
        t.elapsed().as_secs_f64(),
        folder_megabytes(&out),
        manifest.rows.len()
    );

    // The rotation, run by an instance holding both keys while parents sign in through
    // another instance holding both keys.
    let both = || Vault::with_keys(&new, &[&old]).map_err(describe);
    let rotating = start(&url, both()?).await?;
    let serving = start(&url, both()?).await?;
    let router = kehou_web::router(serving.clone(), kehou_web::WebConfig::default());
    let stop = Arc::new(AtomicBool::new(false));
    let parents: Arc<Vec<String>> = Arc::new(data.parents.iter().map(|p| p.0.clone()).collect());
    let signer = {
        let (stop, parents, router) = (stop.clone(), parents.clone(), router.clone());
        tokio::spawn(async move {
            let mut out: Vec<(Duration, u16)> = Vec::new();
            let mut i = 0usize;
            while !stop.load(Ordering::Relaxed) {
                // Spread over the table: rotated and unrotated rows alike.
                let phone = &parents[(i * 7_919) % parents.len()];
                let began = Instant::now();
                let status = sign_in(&router, phone).await;
                out.push((began.elapsed(), status));
                i += 1;
            }
            out
        })
    };
    let t = Instant::now();
    let rotation = keys::rotate(&rotating, batch, |_, _| true)
        .await
        .map_err(describe)?;
    let rotate_s = t.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let signed = signer.await?;
    let refused = signed.iter().filter(|s| s.1 != 200).count();
    if let Some(s) = signed.iter().find(|s| s.1 != 200) {
        println!("a sign-in was refused: {}", s.1);
    }
    let mut latencies: Vec<Duration> = signed.iter().map(|s| s.0).collect();
    latencies.sort();
    let left = rotation.after.left(rotating.vault.current_key_id());
    println!(
        "kehou key rotate --batch {batch}: {} values in {rotate_s:.1} s ({:.0}/s), {left} left; meanwhile {} sign-ins, p50 {:.1} ms, p99 {:.1} ms, {refused} refused",
        rotation.rewritten,
        rotation.rewritten as f64 / rotate_s.max(1e-9),
        signed.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
    );

    // The new key alone: starts (its check reads everything) and a parent signs in.
    let t = Instant::now();
    let new_only = start(&url, Vault::from_hex(&new).map_err(describe)?).await?;
    let start_s = t.elapsed().as_secs_f64();
    let router = kehou_web::router(new_only, kehou_web::WebConfig::default());
    let status = sign_in(&router, &parents[parents.len() / 2]).await;
    println!("start with the new key alone: {start_s:.1} s; a parent signs in: {status}");

    // The restore of the backup made before the rotation, into an empty database.
    let target = if postgres {
        let name = format!("kehou_keybench_{}", std::process::id());
        app.db
            .execute_raw(Statement::from_string(
                app.db.get_database_backend(),
                format!("CREATE DATABASE {name}"),
            ))
            .await?;
        let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b);
        format!("{base}/{name}")
    } else {
        format!("sqlite://{}?mode=rwc", dir.join("restored.db").display())
    };
    let t = Instant::now();
    let restored = backup::restore(
        &target,
        &Vault::from_hex(&old).map_err(describe)?,
        None,
        &out,
    )
    .await
    .map_err(describe)?;
    println!(
        "kehou restore (the backup before the rotation): {:.1} s, {} tables compared",
        t.elapsed().as_secs_f64(),
        restored.rows.len()
    );
    if postgres {
        println!("(the database {target} stays; drop it by hand)");
    }
    let _ = std::fs::remove_dir_all(&dir);
    if refused > 0 || left > 0 || status != 200 {
        bail!("the keys benchmark found problems");
    }
    Ok(())
}
