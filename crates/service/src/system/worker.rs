//! The job worker of this instance: claims jobs from the shared table, runs them while
//! renewing their lease and recording progress, records the result. Every instance runs
//! one; it wakes when this instance queues a job and polls for the others' jobs.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use kehou_store::entity::platform::job;
use tracing::Instrument;

use crate::platform::jobs::{self, Failure, Progress};
use crate::{App, Error, Result};

/// How often a running job's lease is renewed and its progress written.
const HEARTBEAT: StdDuration = StdDuration::from_secs(3);
/// How often an idle worker looks for jobs queued by other instances.
const POLL: StdDuration = StdDuration::from_secs(2);

/// A name for this process's worker, unique across instances.
pub fn worker_name() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        &crate::identity::auth::random_token()[..8]
    )
}

/// Claims and runs one job. `false` when there was nothing to run.
pub async fn run_next(app: &App, worker: &str) -> Result<bool> {
    let Some(held) = jobs::claim(&app.db, worker, app.now()).await? else {
        return Ok(false);
    };
    // Every log line written while the job runs names it, as requests name theirs.
    let span = tracing::info_span!("job", id = held.id, kind = %held.kind);
    run_held(app, worker, held).instrument(span).await?;
    Ok(true)
}

async fn run_held(app: &App, worker: &str, held: job::Model) -> Result<()> {
    tracing::info!(attempt = held.attempts, worker, "job claimed");
    let progress = Arc::new(Progress::default());
    let heartbeat = {
        let (app, worker, progress, id) =
            (app.clone(), worker.to_string(), progress.clone(), held.id);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(HEARTBEAT).await;
                app.metrics.worker_alive(app.now());
                let (stage, done, total) = progress.snapshot();
                match jobs::heartbeat(&app.db, id, &worker, app.now(), (stage, done, total)).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(job = id, "lease lost to another worker");
                        break;
                    }
                    Err(e) => tracing::warn!(job = id, error = %e, "heartbeat failed"),
                }
            }
        })
    };
    let outcome = dispatch(app, &held, &progress).await;
    heartbeat.abort();
    let now = app.now();
    match outcome {
        Ok(result) => {
            if !jobs::finish(&app.db, held.id, worker, now, &result).await? {
                tracing::warn!(
                    job = held.id,
                    "finished after losing the lease; result dropped"
                );
            }
        }
        Err(e) => {
            let message = e.one_line();
            tracing::info!(error = %message, "job failed");
            let failure = match e {
                Error::Internal(_) | Error::Unavailable(_) => Failure::Transient(message),
                _ => Failure::Permanent(message),
            };
            jobs::fail(&app.db, &held, worker, now, failure).await?;
        }
    }
    Ok(())
}

async fn dispatch(app: &App, held: &job::Model, progress: &Progress) -> Result<serde_json::Value> {
    match held.kind.as_str() {
        crate::import::JOB_KIND => crate::import::run_job(app, held, progress).await,
        crate::enrollment::order::HOLD_JOB_KIND => {
            crate::enrollment::order::run_hold_job(app, held, progress).await
        }
        crate::billing::sandbox::NOTIFY_JOB_KIND => {
            crate::billing::notify::run_sandbox_job(app, held).await
        }
        crate::billing::reconcile::JOB_KIND => crate::billing::reconcile::run_job(app, held).await,
        crate::billing::bill::JOB_KIND => crate::billing::bill::run_cycle(app).await,
        crate::platform::retention::JOB_KIND => crate::platform::retention::run_job(app).await,
        crate::billing::refund::SUBMIT_JOB_KIND => {
            crate::billing::refund::run_submit_job(app, held).await
        }
        crate::teaching::schedule::JOB_KIND => {
            crate::teaching::schedule::run_job(app, held, progress).await
        }
        other => Err(Error::Internal(format!("未知的任务类型：{other}"))),
    }
}

/// A job kind as operators read it; the code itself for a kind this version does not know.
pub fn kind_label(kind: &str) -> &str {
    match kind {
        crate::import::JOB_KIND => "Excel 导入",
        crate::enrollment::order::HOLD_JOB_KIND => "未支付订单的座位保留到期",
        crate::billing::sandbox::NOTIFY_JOB_KIND => "支付结果通知（沙箱）",
        crate::billing::reconcile::JOB_KIND => "对账",
        crate::billing::bill::JOB_KIND => "按月、按课时计费",
        crate::billing::refund::SUBMIT_JOB_KIND => "提交退款",
        crate::teaching::schedule::JOB_KIND => "自动排课",
        crate::platform::retention::JOB_KIND => "按保存期限清理数据",
        other => other,
    }
}

/// Runs the worker until the process ends: jobs one at a time, purging old ones now and
/// then.
pub fn spawn(app: App) -> tokio::task::JoinHandle<()> {
    let worker = worker_name();
    tokio::spawn(async move {
        let mut idle_rounds: u32 = 0;
        loop {
            app.metrics.worker_alive(app.now());
            match run_next(&app, &worker).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => tracing::error!(error = %e, "job worker"),
            }
            idle_rounds = idle_rounds.wrapping_add(1);
            if idle_rounds % 300 == 1 {
                if let Err(e) = jobs::purge(&app.db, app.now(), app.retention.finished_jobs()).await
                {
                    tracing::error!(error = %e, "purging jobs");
                }
                // The retention policy, once a day.
                if let Err(e) = crate::platform::retention::schedule_due(&app).await {
                    tracing::error!(error = %e, "scheduling retention");
                }
                // Yesterday's channel bills, once a day per account.
                if let Err(e) = crate::billing::reconcile::schedule_due(&app).await {
                    tracing::error!(error = %e, "scheduling reconciliation");
                }
                // The bills of orders paid by the month or by the lesson, once a day.
                if let Err(e) = crate::billing::bill::schedule_due(&app).await {
                    tracing::error!(error = %e, "scheduling the billing cycle");
                }
            }
            tokio::select! {
                () = app.job_wakeup.notified() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    })
}
