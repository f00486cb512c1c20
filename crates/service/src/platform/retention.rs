//! How long each kind of data is kept (GB/T 35273: no longer than the purpose needs), and
//! the daily job that applies it. Each area deletes its own data; this module only knows the
//! policy and the order. Money records are never deleted here: the law asks to keep them.

use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::platform::audit::{self, By, Change};
use crate::platform::jobs;
use crate::{App, Result};

pub const JOB_KIND: &str = "retention";

/// Days each kind of data is kept (the `[retention]` table of the config file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// The audit trail: at least 180 days (等保 asks six months of logs); default 3 years.
    pub audit_events_days: u32,
    /// Messages in people's message centres, read or not; default a year.
    pub messages_days: u32,
    /// Background jobs that finished or failed (with their uploaded input and report);
    /// default a day.
    pub finished_jobs_days: u32,
    /// Patrol photos (pictures of classrooms, so of children); default a year.
    pub patrol_photos_days: u32,
    /// Students who transferred or graduated: after this many days their ID number, birth
    /// date and guardian links are erased and their name masked; default a year.
    pub departed_students_days: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            audit_events_days: 3 * 365,
            messages_days: 365,
            finished_jobs_days: 1,
            patrol_photos_days: 365,
            departed_students_days: 365,
        }
    }
}

impl Policy {
    /// The shortest periods allowed, with why; the first one broken is the error.
    pub fn check(&self) -> std::result::Result<(), String> {
        let limits = [
            ("audit_events_days", self.audit_events_days, 180),
            ("messages_days", self.messages_days, 30),
            ("finished_jobs_days", self.finished_jobs_days, 1),
            ("patrol_photos_days", self.patrol_photos_days, 30),
            ("departed_students_days", self.departed_students_days, 30),
        ];
        for (name, days, least) in limits {
            if days < least {
                return Err(format!(
                    "retention.{name} = {days}: at least {least} days / 至少保留 {least} 天"
                ));
            }
        }
        Ok(())
    }

    pub fn finished_jobs(&self) -> Duration {
        Duration::days(i64::from(self.finished_jobs_days))
    }
}

/// What one run deleted or erased.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Applied {
    pub audit_events: u64,
    pub messages: u64,
    pub finished_jobs: u64,
    pub patrol_photos: u64,
    pub departed_students: u64,
}

impl Applied {
    fn summary(&self) -> String {
        format!(
            "按保存期限清理：审计记录 {} 条，消息 {} 条，已结束的任务 {} 个，巡课照片 {} 张，离校学生个人信息 {} 人",
            self.audit_events,
            self.messages,
            self.finished_jobs,
            self.patrol_photos,
            self.departed_students
        )
    }
}

/// Applies the policy now, and records in the audit trail what it did (after deleting the
/// old audit events, so the record of this run stays).
pub async fn apply(app: &App) -> Result<Applied> {
    let now = app.now();
    let p = app.retention;
    let before = |days: u32| now - Duration::days(i64::from(days));
    let applied = Applied {
        audit_events: audit::purge_before(&app.db, before(p.audit_events_days)).await?,
        messages: crate::platform::messages::purge_before(&app.db, before(p.messages_days)).await?,
        finished_jobs: jobs::purge(&app.db, now, p.finished_jobs()).await?,
        patrol_photos: crate::supervision::patrol::purge_photos_before(
            app,
            before(p.patrol_photos_days),
        )
        .await?,
        departed_students: crate::school::student::erase_departed(
            app,
            before(p.departed_students_days),
        )
        .await?,
    };
    if applied != Applied::default() {
        audit::record(
            &app.db,
            now,
            &By::system(),
            Change {
                org_id: None,
                org_path: "/",
                action: "retention.apply",
                entity_type: "platform",
                entity_id: None,
                summary: applied.summary(),
            },
        )
        .await?;
    }
    Ok(applied)
}

/// Queues today's run unless it is queued or done (from every instance's idle rounds).
pub async fn schedule_due(app: &App) -> Result<bool> {
    jobs::enqueue_daily(app, JOB_KIND).await
}

/// The job: one run of [`apply`].
pub async fn run_job(app: &App) -> Result<serde_json::Value> {
    let applied = apply(app).await?;
    Ok(serde_json::to_value(applied).unwrap_or_default())
}
