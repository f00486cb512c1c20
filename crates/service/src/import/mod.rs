//! Excel imports (C2, C4, C6): every upload runs as a durable job (`platform::jobs`) that a
//! worker of any instance runs and whose progress the page polls; the command line runs the same import in the foreground with a progress bar.
//! Every row is validated before anything is written; in all-or-nothing mode one bad row
//! stops the whole import, otherwise the good rows are written and the bad ones reported.

use chrono::{DateTime, Utc};
use kehou_domain::Permission;
use kehou_store::entity::platform::job;
use serde::{Deserialize, Serialize};

pub use crate::platform::jobs::Progress;
use crate::platform::jobs::{self, Status};
use crate::platform::sheet::{self, Column};
use crate::{Actor, App, Error, PageRequest, Result};

/// What an import loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Students,
    Staff,
    AdminClasses,
    Rooms,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Students, Kind::Staff, Kind::AdminClasses, Kind::Rooms];

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn code(self) -> &'static str {
        match self {
            Kind::Students => "students",
            Kind::Staff => "staff",
            Kind::AdminClasses => "admin_classes",
            Kind::Rooms => "rooms",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Students => "学生及监护人",
            Kind::Staff => "教职工",
            Kind::AdminClasses => "行政班",
            Kind::Rooms => "场室",
        }
    }

    /// The audited entity type; the audit action is `{entity}.import`.
    pub(crate) fn entity(self) -> &'static str {
        match self {
            Kind::Students => "student",
            Kind::Staff => "staff",
            Kind::AdminClasses => "admin_class",
            Kind::Rooms => "room",
        }
    }

    /// The counting word for the audit summary: people or things.
    fn unit(self) -> &'static str {
        match self {
            Kind::Students | Kind::Staff => "人",
            Kind::AdminClasses | Kind::Rooms => "个",
        }
    }

    pub fn columns(self) -> &'static [Column] {
        match self {
            Kind::Students => crate::school::student_import::COLUMNS,
            Kind::Staff => crate::school::staff::COLUMNS,
            Kind::AdminClasses => crate::school::admin_class::IMPORT_COLUMNS,
            Kind::Rooms => crate::school::room::ROOM_COLUMNS,
        }
    }

    pub fn example(self) -> &'static [&'static str] {
        match self {
            Kind::Students => crate::school::student_import::EXAMPLE,
            Kind::Staff => crate::school::staff::EXAMPLE,
            Kind::AdminClasses => crate::school::admin_class::IMPORT_EXAMPLE,
            Kind::Rooms => crate::school::room::ROOM_EXAMPLE,
        }
    }

    /// The template workbook for this kind.
    pub fn template(self) -> Result<Vec<u8>> {
        sheet::template(self.label(), self.columns(), self.example())
    }
}

/// What to do when some rows are bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RowError {
    pub row: u32,
    pub column: String,
    pub reason: String,
}

/// The result of an import.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Outcome {
    /// Data rows read from the sheet.
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    /// Rows whose phone number's account belongs to another organization: it was invited,
    /// and joins when its owner accepts (staff only).
    #[serde(default)]
    pub invited: usize,
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
        crate::platform::audit::record(
            db,
            now,
            &runner.by(),
            crate::platform::audit::Change {
                org_id: Some(school.id),
                org_path: &school.path,
                action: &format!("{}.import", kind.entity()),
                entity_type: kind.entity(),
                entity_id: None,
                summary: format!(
                    "导入{what}：新增{}{unit}，更新{}{unit}，{}跳过{}行",
                    self.created,
                    self.updated,
                    if self.invited > 0 {
                        format!("邀请{}人待接受，", self.invited)
                    } else {
                        String::new()
                    },
                    self.skipped
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

/// Who runs an import: a person through the web (checked for permission and scope), or
/// the operator of the machine through the command line.
#[derive(Clone)]
pub enum Runner {
    Actor(Box<Actor>),
    System,
}

impl Runner {
    pub fn by(&self) -> crate::platform::audit::By<'_> {
        match self {
            Runner::Actor(a) => crate::platform::audit::By::actor(a),
            Runner::System => crate::platform::audit::By::system(),
        }
    }
}

/// Runs an import to its end.
pub(crate) async fn run(
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
            crate::school::school_for(&app.db, actor, school_id, Permission::SchoolManage).await?
        }
        Runner::System => crate::system::load_any_school(&app.db, school_id).await?,
    };
    progress.stage("读取文件", 0);
    let rows =
        tokio::task::spawn_blocking(move || sheet::read(&bytes, kind.columns(), kind.example()))
            .await
            .map_err(|e| Error::Internal(e.to_string()))??;
    match kind {
        Kind::Students => {
            crate::school::student_import::import(app, runner, &school, rows, mode, progress).await
        }
        Kind::Staff => {
            crate::school::staff::import(app, runner, &school, rows, mode, progress).await
        }
        Kind::AdminClasses => {
            crate::school::admin_class::import(app, runner, &school, rows, mode, progress).await
        }
        Kind::Rooms => {
            crate::school::room::import_rooms(app, runner, &school, rows, mode, progress).await
        }
    }
}

/// The template workbook of an import, for those who may see the school.
pub async fn template(app: &App, actor: &Actor, kind: Kind, school_id: i64) -> Result<Vec<u8>> {
    crate::school::school_for(&app.db, actor, school_id, Permission::SchoolView).await?;
    kind.template()
}

/// The job kind of imports in the job table.
pub const JOB_KIND: &str = "import";

/// What an import job was asked to do; the file is the job's input.
#[derive(Debug, Serialize, Deserialize)]
struct Params {
    kind: Kind,
    mode: Mode,
    school_id: i64,
    file_name: String,
}

/// What a job page shows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobView {
    pub id: i64,
    pub kind: Kind,
    pub kind_label: &'static str,
    pub mode: Mode,
    pub file_name: String,
    pub started_at: DateTime<Utc>,
    /// queued, running, finished or failed.
    pub status: &'static str,
    pub stage: String,
    pub done: u64,
    pub total: u64,
    /// What was done; its `errors` are one page of the row errors (`errors_page`).
    pub outcome: Option<Outcome>,
    /// All the row errors, of which `outcome.errors` is one page.
    pub errors_total: usize,
    /// Why the file could not be imported at all (not a sheet, missing columns…).
    pub failure: Option<String>,
}

fn view(job: &job::Model) -> Result<JobView> {
    let params: Params = serde_json::from_str(&job.params)
        .map_err(|e| Error::Internal(format!("导入任务参数有误：{e}")))?;
    let status = Status::parse(&job.status).unwrap_or(Status::Queued);
    let outcome = match (status, &job.result) {
        (Status::Finished, Some(result)) => Some(
            serde_json::from_str(result)
                .map_err(|e| Error::Internal(format!("导入结果有误：{e}")))?,
        ),
        _ => None,
    };
    Ok(JobView {
        id: job.id,
        kind: params.kind,
        kind_label: params.kind.label(),
        mode: params.mode,
        file_name: params.file_name,
        started_at: job.created_at,
        status: status.code(),
        stage: job.stage.clone(),
        done: u64::try_from(job.done).unwrap_or(0),
        total: u64::try_from(job.total).unwrap_or(0),
        outcome,
        errors_total: 0,
        failure: if status == Status::Failed {
            job.error.clone()
        } else {
            None
        },
    })
}

/// An import job the actor started, at that school.
/// An import job of the caller, with every row error.
async fn own_job(app: &App, actor: &Actor, school_id: i64, id: i64) -> Result<JobView> {
    let job = jobs::get(&app.db, id)
        .await?
        .filter(|j| {
            j.kind == JOB_KIND && j.org_id == Some(school_id) && j.user_id == Some(actor.user_id)
        })
        .ok_or(Error::NotFound("导入任务"))?;
    view(&job)
}

/// An import job of the caller, with one page of its row errors (a sheet of 50 000 bad
/// rows has far too many for one answer; the report has them all).
pub async fn job(
    app: &App,
    actor: &Actor,
    school_id: i64,
    id: i64,
    errors: PageRequest,
) -> Result<JobView> {
    let mut v = own_job(app, actor, school_id, id).await?;
    if let Some(o) = v.outcome.as_mut() {
        v.errors_total = o.errors.len();
        let offset = usize::try_from(errors.offset()).unwrap_or(usize::MAX);
        let size = usize::try_from(errors.page_size).unwrap_or(usize::MAX);
        o.errors = std::mem::take(&mut o.errors)
            .into_iter()
            .skip(offset)
            .take(size)
            .collect();
    }
    Ok(v)
}

/// The error report of a finished import job, as a workbook.
pub async fn report(app: &App, actor: &Actor, school_id: i64, id: i64) -> Result<Vec<u8>> {
    let outcome = own_job(app, actor, school_id, id)
        .await?
        .outcome
        .ok_or_else(|| Error::conflict("导入尚未完成或文件无法读取，没有错误报告"))?;
    outcome.report()
}

/// Queues an import after the checks that need no reading of the file: permission, scope
/// and size. A worker of any instance runs it.
pub async fn start(
    app: &App,
    actor: &Actor,
    kind: Kind,
    school_id: i64,
    file_name: String,
    bytes: Vec<u8>,
    mode: Mode,
) -> Result<JobView> {
    let school =
        crate::school::school_for(&app.db, actor, school_id, Permission::SchoolManage).await?;
    sheet::check_upload(&bytes)?;
    let params = Params {
        kind,
        mode,
        school_id: school.id,
        file_name,
    };
    let queued = jobs::enqueue(
        &app.db,
        app.now(),
        jobs::NewJob {
            kind: JOB_KIND,
            org_id: Some(school.id),
            user_id: Some(actor.user_id),
            membership_id: Some(actor.membership_id),
            ip: actor.ip.clone(),
            params: serde_json::to_value(&params).map_err(|e| Error::Internal(e.to_string()))?,
            input: Some(bytes),
            max_attempts: 3,
        },
    )
    .await?;
    app.job_wakeup.notify_one();
    view(&queued)
}

/// Runs a claimed import job as the person who started it (their permissions as they are
/// now) and answers its outcome as JSON.
pub(crate) async fn run_job(
    app: &App,
    job: &job::Model,
    progress: &Progress,
) -> Result<serde_json::Value> {
    let params: Params = serde_json::from_str(&job.params)
        .map_err(|e| Error::Internal(format!("导入任务参数有误：{e}")))?;
    let (Some(user_id), Some(membership_id)) = (job.user_id, job.membership_id) else {
        return Err(Error::Forbidden("导入任务没有发起人".into()));
    };
    let actor = crate::identity::auth::actor_of_membership(
        &app.db,
        user_id,
        membership_id,
        job.ip.as_deref(),
    )
    .await?
    .ok_or_else(|| Error::Forbidden("发起导入的身份已不可用".into()))?;
    let bytes = job
        .input
        .clone()
        .ok_or_else(|| Error::Internal("导入任务缺少文件".into()))?;
    let outcome = run(
        app,
        &Runner::Actor(Box::new(actor)),
        params.kind,
        params.school_id,
        bytes,
        params.mode,
        progress,
    )
    .await?;
    serde_json::to_value(outcome).map_err(|e| Error::Internal(e.to_string()))
}

/// Writes `items` in chunks small enough for every engine's limit on bind parameters.
pub const CHUNK: usize = 500;
