//! The durable job queue. A job is a row: queued until a worker of any instance claims it
//! under a lease, running while that worker renews the lease and writes its progress,
//! then finished or failed. A worker that dies stops renewing; once its lease runs out
//! another worker claims the job again. Failures that may pass (the database, a crash)
//! are retried with back-off up to `max_attempts`; a bad input fails at once. Finished
//! jobs are purged a day after they finish.
//!
//! Claiming is one statement: on PostgreSQL an `UPDATE … WHERE id = (SELECT … FOR UPDATE
//! SKIP LOCKED)`, so concurrent workers never take the same row and never wait for each
//! other; on SQLite the same `UPDATE` without the lock clause, which SQLite's single
//! writer makes atomic.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, Utc};
use kehou_store::entity::platform::job;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement,
    sea_query::{Expr, ExprTrait},
};

use crate::Result;

/// How long a claim holds without renewal.
pub const LEASE: Duration = Duration::seconds(30);
/// How long a finished or failed job stays visible (for its report).
pub const KEEP_FINISHED: Duration = Duration::hours(24);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Queued,
    Running,
    Finished,
    Failed,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Running => "running",
            Status::Finished => "finished",
            Status::Failed => "failed",
        }
    }

    /// The state as operators read it.
    pub fn label(self) -> &'static str {
        match self {
            Status::Queued => "排队中",
            Status::Running => "运行中",
            Status::Finished => "已完成",
            Status::Failed => "失败",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::Queued, Self::Running, Self::Finished, Self::Failed]
            .into_iter()
            .find(|s| s.code() == code)
    }
}

/// What to run, for whom.
pub struct NewJob {
    pub kind: &'static str,
    pub org_id: Option<i64>,
    pub user_id: Option<i64>,
    pub membership_id: Option<i64>,
    pub ip: Option<String>,
    pub params: serde_json::Value,
    pub input: Option<Vec<u8>>,
    pub max_attempts: i32,
}

pub async fn enqueue(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    new: NewJob,
) -> Result<job::Model> {
    enqueue_at(db, now, now, new).await
}

/// Queues today's run of a daily job of the whole platform (its parameters: China's date),
/// unless it is queued or done. `false` when it was.
pub async fn enqueue_daily(app: &crate::App, kind: &'static str) -> Result<bool> {
    enqueue_once(
        &app.db,
        app.now(),
        NewJob {
            kind,
            org_id: None,
            user_id: None,
            membership_id: None,
            ip: None,
            params: serde_json::json!({ "date": app.today().to_string() }),
            input: None,
            max_attempts: 5,
        },
    )
    .await
}

/// Queues a job unless one of the same kind and parameters is already recorded (a
/// periodic task queued from every instance's idle rounds). `false` when it was.
pub async fn enqueue_once(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    new: NewJob,
) -> Result<bool> {
    let queued = job::Entity::find()
        .filter(job::Column::Kind.eq(new.kind))
        .filter(job::Column::Params.eq(new.params.to_string()))
        .one(db)
        .await?
        .is_some();
    if !queued {
        enqueue(db, now, new).await?;
    }
    Ok(!queued)
}

/// Queues a job that no worker claims before `run_after` (a seat hold's end).
pub async fn enqueue_at(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    run_after: DateTime<Utc>,
    new: NewJob,
) -> Result<job::Model> {
    Ok(job::ActiveModel {
        kind: Set(new.kind.into()),
        org_id: Set(new.org_id),
        user_id: Set(new.user_id),
        membership_id: Set(new.membership_id),
        ip: Set(new.ip),
        params: Set(new.params.to_string()),
        input: Set(new.input),
        status: Set(Status::Queued.code().into()),
        attempts: Set(0),
        max_attempts: Set(Ord::max(new.max_attempts, 1)),
        run_after: Set(run_after),
        locked_by: Set(None),
        lease_until: Set(None),
        stage: Set("排队中".into()),
        done: Set(0),
        total: Set(0),
        result: Set(None),
        error: Set(None),
        created_at: Set(now),
        started_at: Set(None),
        finished_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<Option<job::Model>> {
    Ok(job::Entity::find_by_id(id).one(db).await?)
}

/// Claims the next runnable job for `worker`: a queued one whose time has come, or a
/// running one whose lease ran out (its worker died). Jobs out of attempts are failed
/// first, so that a job that kills its workers is not claimed forever.
pub async fn claim(
    db: &impl ConnectionTrait,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<Option<job::Model>> {
    // Look before writing: an idle worker only reads, so it never competes with the
    // requests for the database's write lock.
    let runnable = Condition::any()
        .add(
            Condition::all()
                .add(job::Column::Status.eq(Status::Queued.code()))
                .add(job::Column::RunAfter.lte(now)),
        )
        .add(
            Condition::all()
                .add(job::Column::Status.eq(Status::Running.code()))
                .add(job::Column::LeaseUntil.lt(now)),
        );
    if job::Entity::find().filter(runnable).count(db).await? == 0 {
        return Ok(None);
    }
    job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(Status::Failed.code()))
        .col_expr(
            job::Column::Error,
            Expr::value("任务多次中断，已停止重试，请重新提交"),
        )
        .col_expr(job::Column::FinishedAt, Expr::value(now))
        .col_expr(job::Column::LockedBy, Expr::value(Option::<String>::None))
        .filter(job::Column::Status.eq(Status::Running.code()))
        .filter(job::Column::LeaseUntil.lt(now))
        .filter(Expr::col(job::Column::Attempts).gte(Expr::col(job::Column::MaxAttempts)))
        .exec(db)
        .await?;
    let backend = db.get_database_backend();
    let (sql, lock) = match backend {
        DbBackend::Postgres => (POSTGRES_CLAIM, "FOR UPDATE SKIP LOCKED"),
        _ => (SQLITE_CLAIM, ""),
    };
    let sql = sql.replace("{lock}", lock);
    let lease_until = now + LEASE;
    let values: Vec<kehou_store::sea_orm::Value> = vec![
        worker.into(),
        lease_until.into(),
        now.into(),
        Status::Running.code().into(),
        Status::Queued.code().into(),
        now.into(),
        Status::Running.code().into(),
        now.into(),
    ];
    let stmt = Statement::from_sql_and_values(backend, sql, values);
    Ok(job::Entity::find().from_raw_sql(stmt).one(db).await?)
}

const POSTGRES_CLAIM: &str = "UPDATE jobs SET locked_by = $1, lease_until = $2, \
     started_at = COALESCE(started_at, $3), status = $4, attempts = attempts + 1 \
     WHERE id = (SELECT id FROM jobs \
       WHERE (status = $5 AND run_after <= $6) OR (status = $7 AND lease_until < $8) \
       ORDER BY run_after, id LIMIT 1 {lock}) \
     RETURNING *";

const SQLITE_CLAIM: &str = "UPDATE jobs SET locked_by = ?, lease_until = ?, \
     started_at = COALESCE(started_at, ?), status = ?, attempts = attempts + 1 \
     WHERE id = (SELECT id FROM jobs \
       WHERE (status = ? AND run_after <= ?) OR (status = ? AND lease_until < ?) \
       ORDER BY run_after, id LIMIT 1 {lock}) \
     RETURNING *";

/// Renews the lease and records progress. `false` when the job is no longer this
/// worker's (its lease ran out and another worker took it).
pub async fn heartbeat(
    db: &impl ConnectionTrait,
    id: i64,
    worker: &str,
    now: DateTime<Utc>,
    (stage, done, total): (&str, u64, u64),
) -> Result<bool> {
    let updated = job::Entity::update_many()
        .col_expr(job::Column::LeaseUntil, Expr::value(now + LEASE))
        .col_expr(job::Column::Stage, Expr::value(stage))
        .col_expr(
            job::Column::Done,
            Expr::value(i64::try_from(done).unwrap_or(i64::MAX)),
        )
        .col_expr(
            job::Column::Total,
            Expr::value(i64::try_from(total).unwrap_or(i64::MAX)),
        )
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::LockedBy.eq(worker))
        .filter(job::Column::Status.eq(Status::Running.code()))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Records the result of a job this worker still holds; the uploaded input is dropped.
pub async fn finish(
    db: &impl ConnectionTrait,
    id: i64,
    worker: &str,
    now: DateTime<Utc>,
    result: &serde_json::Value,
) -> Result<bool> {
    let updated = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(Status::Finished.code()))
        .col_expr(job::Column::Result, Expr::value(result.to_string()))
        .col_expr(job::Column::FinishedAt, Expr::value(now))
        // `locked_by` stays: which instance's worker ran it, for the operator.
        .col_expr(job::Column::Input, Expr::value(Option::<Vec<u8>>::None))
        .col_expr(job::Column::Stage, Expr::value("完成"))
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::LockedBy.eq(worker))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// How a job failed: for good (bad input, refused) or perhaps not (retried later).
pub enum Failure {
    Permanent(String),
    Transient(String),
}

/// Records a failure of a job this worker holds: retried after a back-off (20 s, 40 s,
/// 80 s …) while attempts remain and the failure may pass, else failed for good.
pub async fn fail(
    db: &impl ConnectionTrait,
    held: &job::Model,
    worker: &str,
    now: DateTime<Utc>,
    failure: Failure,
) -> Result<()> {
    let (message, retry) = match failure {
        Failure::Permanent(m) => (m, false),
        Failure::Transient(m) => (m, held.attempts < held.max_attempts),
    };
    let mut update = job::Entity::update_many()
        .col_expr(job::Column::Error, Expr::value(message))
        .col_expr(job::Column::LockedBy, Expr::value(Option::<String>::None))
        .filter(job::Column::Id.eq(held.id))
        .filter(job::Column::LockedBy.eq(worker));
    if retry {
        update = update
            .col_expr(job::Column::Status, Expr::value(Status::Queued.code()))
            .col_expr(
                job::Column::RunAfter,
                Expr::value(now + backoff(held.attempts)),
            )
            .col_expr(job::Column::Stage, Expr::value("等待重试"));
    } else {
        update = update
            .col_expr(job::Column::Status, Expr::value(Status::Failed.code()))
            .col_expr(job::Column::FinishedAt, Expr::value(now))
            .col_expr(job::Column::Stage, Expr::value("失败"))
            .col_expr(job::Column::Input, Expr::value(Option::<Vec<u8>>::None));
    }
    update.exec(db).await?;
    Ok(())
}

/// The wait before attempt `attempts + 1`: 20 s doubled per attempt, at most an hour.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.clamp(1, 8) - 1).unwrap_or(0);
    Duration::seconds(Ord::min(20_i64 << exponent, 3600))
}

/// Deletes jobs that finished or failed before `now - keep` (the retention policy's
/// period; [`KEEP_FINISHED`] by default).
pub async fn purge(db: &impl ConnectionTrait, now: DateTime<Utc>, keep: Duration) -> Result<u64> {
    let old = Condition::all()
        .add(job::Column::Status.is_in([Status::Finished.code(), Status::Failed.code()]))
        .add(job::Column::FinishedAt.lt(now - keep));
    // Look before writing, as `claim` does: nothing to purge, no write.
    if job::Entity::find().filter(old.clone()).count(db).await? == 0 {
        return Ok(0);
    }
    let deleted = job::Entity::delete_many().filter(old).exec(db).await?;
    Ok(deleted.rows_affected)
}

/// How many jobs there are of each kind and state: (kind, state, count).
pub async fn counts(db: &impl ConnectionTrait) -> Result<Vec<(String, String, i64)>> {
    Ok(job::Entity::find()
        .select_only()
        .column(job::Column::Kind)
        .column(job::Column::Status)
        .column_as(job::Column::Id.count(), "n")
        .group_by(job::Column::Kind)
        .group_by(job::Column::Status)
        .order_by_asc(job::Column::Kind)
        .order_by_asc(job::Column::Status)
        .into_tuple()
        .all(db)
        .await?)
}

/// When the job that has waited longest became due (queued, due by `now`), if any.
pub async fn oldest_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    // Only the time: a queued job may hold its uploaded file.
    Ok(job::Entity::find()
        .select_only()
        .column(job::Column::RunAfter)
        .filter(job::Column::Status.eq(Status::Queued.code()))
        .filter(job::Column::RunAfter.lte(now))
        .order_by_asc(job::Column::RunAfter)
        .into_tuple()
        .one(db)
        .await?)
}

/// The progress of a running job, read by the page and the command line.
#[derive(Debug, Default)]
pub struct Progress {
    stage: Mutex<&'static str>,
    done: AtomicU64,
    total: AtomicU64,
}

impl Progress {
    pub fn stage(&self, label: &'static str, total: usize) {
        if let Ok(mut s) = self.stage.lock() {
            *s = label;
        }
        self.total.store(total as u64, Ordering::Relaxed);
        self.done.store(0, Ordering::Relaxed);
    }

    pub fn advance(&self, n: usize) {
        self.done.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// (stage, done, total).
    pub fn snapshot(&self) -> (&'static str, u64, u64) {
        let stage = self.stage.lock().map(|s| *s).unwrap_or("");
        (
            stage,
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let seconds: Vec<i64> = (1..=9).map(|a| super::backoff(a).num_seconds()).collect();
        assert_eq!(seconds, [20, 40, 80, 160, 320, 640, 1280, 2560, 2560]);
    }
}
