//! Excel imports (C2, C4, C6): every upload runs as a background job whose progress the page
//! polls; the command line runs the same import in the foreground with a progress bar.
//! Every row is validated before anything is written; in all-or-nothing mode one bad row
//! stops the whole import, otherwise the good rows are written and the bad ones reported.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use kehou_domain::Permission;
use serde::Serialize;

use crate::sheet::{self, Column};
use crate::{Actor, App, Error, Result};

/// What an import loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Students,
    Staff,
    Classes,
    Rooms,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Students, Kind::Staff, Kind::Classes, Kind::Rooms];

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn code(self) -> &'static str {
        match self {
            Kind::Students => "students",
            Kind::Staff => "staff",
            Kind::Classes => "classes",
            Kind::Rooms => "rooms",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Students => "学生及监护人",
            Kind::Staff => "教职工",
            Kind::Classes => "行政班",
            Kind::Rooms => "场室",
        }
    }

    /// The audited entity type; the audit action is `{entity}.import`.
    fn entity(self) -> &'static str {
        match self {
            Kind::Students => "student",
            Kind::Staff => "staff",
            Kind::Classes => "class",
            Kind::Rooms => "room",
        }
    }

    /// The counting word for the audit summary: people or things.
    fn unit(self) -> &'static str {
        match self {
            Kind::Students | Kind::Staff => "人",
            Kind::Classes | Kind::Rooms => "个",
        }
    }

    pub fn columns(self) -> &'static [Column] {
        match self {
            Kind::Students => crate::student_import::COLUMNS,
            Kind::Staff => crate::staff::COLUMNS,
            Kind::Classes => crate::classes::IMPORT_COLUMNS,
            Kind::Rooms => crate::school::ROOM_COLUMNS,
        }
    }

    pub fn example(self) -> &'static [&'static str] {
        match self {
            Kind::Students => crate::student_import::EXAMPLE,
            Kind::Staff => crate::staff::EXAMPLE,
            Kind::Classes => crate::classes::IMPORT_EXAMPLE,
            Kind::Rooms => crate::school::ROOM_EXAMPLE,
        }
    }

    /// The template workbook for this kind.
    pub fn template(self) -> Result<Vec<u8>> {
        sheet::template(self.label(), self.columns(), self.example())
    }
}

/// What to do when some rows are bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Write nothing unless every row is good.
    AllOrNothing,
    /// Write the good rows and report the bad ones.
    GoodRows,
}

impl Mode {
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "all_or_nothing" => Some(Self::AllOrNothing),
            "good_rows" => Some(Self::GoodRows),
            _ => None,
        }
    }
}

/// One rejected cell: the row as Excel numbers it, the column header, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowError {
    pub row: u32,
    pub column: String,
    pub reason: String,
}

/// The result of an import.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Outcome {
    /// Data rows read from the sheet.
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    /// Bad rows left out (only in good-rows mode).
    pub skipped: usize,
    /// Whether anything was written.
    pub committed: bool,
    pub errors: Vec<RowError>,
}

impl Outcome {
    /// The outcome of validating `rows` rows of which `good` passed, and whether to write:
    /// not when no row is good, nor in all-or-nothing mode when any is bad.
    pub fn validated(rows: usize, errors: RowErrors, good: usize, mode: Mode) -> (Self, bool) {
        let mut errors = errors.errors;
        errors.sort_by_key(|e| e.row);
        let bad = rows - good;
        let write = good > 0 && !(mode == Mode::AllOrNothing && bad > 0);
        let outcome = Self {
            rows,
            skipped: if write { bad } else { 0 },
            errors,
            ..Default::default()
        };
        (outcome, write)
    }

    /// Marks the outcome written and records its audit event: "导入行政班：新增3个…".
    pub async fn record(
        &mut self,
        db: &impl kehou_store::sea_orm::ConnectionTrait,
        now: DateTime<Utc>,
        runner: &Runner,
        school: &kehou_store::entity::org::Model,
        kind: Kind,
    ) -> Result<()> {
        self.committed = true;
        let (what, unit) = (kind.label(), kind.unit());
        crate::audit::record(
            db,
            now,
            &runner.by(),
            crate::audit::Change {
                org_id: Some(school.id),
                org_path: &school.path,
                action: &format!("{}.import", kind.entity()),
                entity_type: kind.entity(),
                entity_id: None,
                summary: format!(
                    "导入{what}：新增{}{unit}，更新{}{unit}，跳过{}行",
                    self.created, self.updated, self.skipped
                ),
            },
        )
        .await
    }

    /// The error report as a workbook.
    pub fn report(&self) -> Result<Vec<u8>> {
        let rows: Vec<Vec<String>> = self
            .errors
            .iter()
            .map(|e| vec![e.row.to_string(), e.column.clone(), e.reason.clone()])
            .collect();
        sheet::workbook(&[sheet::SheetData {
            name: "错误报告",
            headers: &["行号", "列", "原因"],
            rows: &rows,
        }])
    }
}

/// Errors collected while validating rows, by row.
#[derive(Debug, Default)]
pub struct RowErrors {
    pub errors: Vec<RowError>,
}

impl RowErrors {
    pub fn push(&mut self, row: u32, column: &str, reason: impl Into<String>) {
        self.errors.push(RowError {
            row,
            column: column.to_string(),
            reason: reason.into(),
        });
    }

    /// Whether row `row` has any error.
    pub fn has(&self, row: u32) -> bool {
        self.errors.iter().rev().any(|e| e.row == row)
    }
}

/// The progress of a running import, read by the page and the command line.
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

/// Who runs an import: a person through the web (checked for permission and scope), or
/// the operator of the machine through the command line.
#[derive(Clone)]
pub enum Runner {
    Actor(Box<Actor>),
    System,
}

impl Runner {
    pub fn by(&self) -> crate::audit::By<'_> {
        match self {
            Runner::Actor(a) => crate::audit::By::actor(a),
            Runner::System => crate::audit::By::system(),
        }
    }
}

/// Runs an import to its end.
pub async fn run(
    app: &App,
    runner: &Runner,
    kind: Kind,
    school_id: i64,
    bytes: Vec<u8>,
    mode: Mode,
    progress: &Progress,
) -> Result<Outcome> {
    let school = match runner {
        Runner::Actor(actor) => {
            actor.require(Permission::SchoolManage)?;
            crate::school::load_school(&app.db, actor, school_id).await?
        }
        Runner::System => crate::school::load_any_school(&app.db, school_id).await?,
    };
    progress.stage("读取文件", 0);
    let rows =
        tokio::task::spawn_blocking(move || sheet::read(&bytes, kind.columns(), kind.example()))
            .await
            .map_err(|e| Error::Internal(e.to_string()))??;
    match kind {
        Kind::Students => {
            crate::student_import::import(app, runner, &school, rows, mode, progress).await
        }
        Kind::Staff => crate::staff::import(app, runner, &school, rows, mode, progress).await,
        Kind::Classes => crate::classes::import(app, runner, &school, rows, mode, progress).await,
        Kind::Rooms => {
            crate::school::import_rooms(app, runner, &school, rows, mode, progress).await
        }
    }
}

/// A background import started from the web.
pub struct Job {
    pub id: u64,
    pub kind: Kind,
    pub mode: Mode,
    pub school_id: i64,
    pub user_id: i64,
    pub file_name: String,
    pub started_at: DateTime<Utc>,
    pub progress: Progress,
    result: Mutex<Option<Result<Outcome, Error>>>,
}

/// What a job page shows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobView {
    pub id: u64,
    pub kind: Kind,
    pub kind_label: &'static str,
    pub mode: Mode,
    pub file_name: String,
    pub started_at: DateTime<Utc>,
    /// running, finished or failed.
    pub status: &'static str,
    pub stage: &'static str,
    pub done: u64,
    pub total: u64,
    pub outcome: Option<Outcome>,
    /// Why the file could not be imported at all (not a sheet, missing columns…).
    pub failure: Option<String>,
}

impl Job {
    pub fn view(&self) -> JobView {
        let (stage, done, total) = self.progress.snapshot();
        let result = self.result.lock().ok().and_then(|r| {
            r.as_ref().map(|r| match r {
                Ok(o) => (Some(o.clone()), None),
                Err(e) => (None, Some(describe(e))),
            })
        });
        let (outcome, failure) = result.clone().unwrap_or((None, None));
        JobView {
            id: self.id,
            kind: self.kind,
            kind_label: self.kind.label(),
            mode: self.mode,
            file_name: self.file_name.clone(),
            started_at: self.started_at,
            status: match (&outcome, &failure) {
                (Some(_), _) => "finished",
                (_, Some(_)) => "failed",
                _ => "running",
            },
            stage,
            done,
            total,
            outcome,
            failure,
        }
    }
}

/// One line for a failure: field errors joined, anything else as its message.
fn describe(e: &Error) -> String {
    match e {
        Error::Invalid(fields) => fields
            .iter()
            .map(|f| f.reason.clone())
            .collect::<Vec<_>>()
            .join("；"),
        other => other.to_string(),
    }
}

/// The jobs of this server process. Finished jobs stay for an hour so their reports can
/// be downloaded.
#[derive(Default)]
pub struct Jobs {
    next_id: AtomicU64,
    jobs: Mutex<HashMap<u64, Arc<Job>>>,
}

const KEEP_FINISHED_SECONDS: i64 = 3600;

impl Jobs {
    fn insert(&self, job: Job) -> Arc<Job> {
        let job = Arc::new(job);
        if let Ok(mut jobs) = self.jobs.lock() {
            let now = job.started_at;
            jobs.retain(|_, j| {
                (now - j.started_at).num_seconds() < KEEP_FINISHED_SECONDS
                    || j.result.lock().map(|r| r.is_none()).unwrap_or(false)
            });
            jobs.insert(job.id, job.clone());
        }
        job
    }

    /// A job the actor started, at that school.
    pub fn get(&self, actor: &Actor, school_id: i64, id: u64) -> Result<Arc<Job>> {
        self.jobs
            .lock()
            .ok()
            .and_then(|jobs| jobs.get(&id).cloned())
            .filter(|j| j.user_id == actor.user_id && j.school_id == school_id)
            .ok_or(Error::NotFound("导入任务"))
    }
}

/// Starts an import in the background after the checks that need no reading of the file:
/// permission, scope and size.
pub async fn start(
    app: &App,
    actor: &Actor,
    kind: Kind,
    school_id: i64,
    file_name: String,
    bytes: Vec<u8>,
    mode: Mode,
) -> Result<Arc<Job>> {
    actor.require(Permission::SchoolManage)?;
    crate::school::load_school(&app.db, actor, school_id).await?;
    sheet::check_upload(&bytes)?;
    let id = app.jobs.next_id.fetch_add(1, Ordering::Relaxed) + 1;
    let job = app.jobs.insert(Job {
        id,
        kind,
        mode,
        school_id,
        user_id: actor.user_id,
        file_name,
        started_at: app.now(),
        progress: Progress::default(),
        result: Mutex::new(None),
    });
    let (app, runner, running) = (
        app.clone(),
        Runner::Actor(Box::new(actor.clone())),
        job.clone(),
    );
    tokio::spawn(async move {
        let result = run(
            &app,
            &runner,
            kind,
            school_id,
            bytes,
            mode,
            &running.progress,
        )
        .await;
        if let Err(e) = &result {
            tracing::info!(job = running.id, error = %e, "import failed");
        }
        if let Ok(mut slot) = running.result.lock() {
            *slot = Some(result);
        }
    });
    Ok(job)
}

/// Writes `items` in chunks small enough for every engine's limit on bind parameters.
pub const CHUNK: usize = 500;
