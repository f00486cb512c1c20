//! How the installation is doing, for `/readyz` and the platform administrators' page
//! 系统运行: readiness, the keys the data needs, the retention policy and its last run, the
//! last backups, the job queue.

use kehou_domain::Permission;
use serde::Serialize;

use crate::platform::keys;
use crate::platform::retention::Policy;
use crate::{Actor, App, Error, Result};

/// A worker renews a running job's lease every few seconds and polls every two when idle.
pub const WORKER_SILENT_SECONDS: i64 = 60;

/// What keeps this instance from taking traffic; empty when ready.
pub async fn unready(app: &App) -> Vec<String> {
    let mut failed = Vec::new();
    match app.ping().await {
        Err(_) => failed.push("database: unreachable".to_string()),
        Ok(()) => match app.pending_migrations().await {
            Ok(0) => {}
            Ok(n) => failed.push(format!("migrations: {n} pending")),
            Err(e) => failed.push(format!("migrations: {e}")),
        },
    }
    match app.metrics.worker_age(app.now()) {
        None => failed.push("job worker: not started".into()),
        Some(age) if age > WORKER_SILENT_SECONDS => {
            failed.push(format!("job worker: silent for {age} s"));
        }
        Some(_) => {}
    }
    failed
}

#[derive(Debug, Serialize)]
pub struct Event {
    pub at: chrono::DateTime<chrono::Utc>,
    pub summary: String,
}

#[derive(Debug, Serialize)]
pub struct StatusView {
    pub installation_id: String,
    pub version: &'static str,
    /// Empty when this instance is ready.
    pub unready: Vec<String>,
    pub current_key: String,
    pub keys: keys::Usage,
    pub left_to_rotate: u64,
    pub retention: Policy,
    pub last_retention: Option<Event>,
    pub backups: Vec<Event>,
    /// (kind, state, count)
    pub jobs: Vec<(String, String, i64)>,
}

async fn events(app: &App, action: &str, limit: u64) -> Result<Vec<Event>> {
    Ok(crate::platform::audit::latest(&app.db, action, limit)
        .await?
        .into_iter()
        .map(|e| Event {
            at: e.occurred_at,
            summary: e.summary,
        })
        .collect())
}

/// The page 系统运行: platform administrators only.
pub async fn overview(app: &App, actor: &Actor) -> Result<StatusView> {
    actor.require(Permission::AuditView)?;
    if !actor.is_platform() {
        return Err(Error::Forbidden("仅平台管理员可查看系统运行情况".into()));
    }
    let usage = keys::usage(&app.db).await?;
    let current = app.vault.current_key_id().to_string();
    Ok(StatusView {
        installation_id: crate::platform::installation::id(&app.db).await?,
        version: env!("CARGO_PKG_VERSION"),
        unready: unready(app).await,
        left_to_rotate: usage.left(&current),
        current_key: current,
        keys: usage,
        retention: app.retention,
        last_retention: events(app, "retention.apply", 1).await?.pop(),
        backups: events(app, "system.backup", 5).await?,
        jobs: crate::platform::jobs::counts(&app.db).await?,
    })
}
