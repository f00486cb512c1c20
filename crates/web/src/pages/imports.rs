//! Import pages (C2, C4, C6): the template download, the upload form, and the job page
//! that shows progress until the import ends, then its counts and the rejected rows.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use kehou_domain::Permission;
use kehou_service::import::{self, JobView, Kind, Mode};
use kehou_service::sheet::Column;
use kehou_service::{Error, Principal};

use super::{Frame, PageError, PageResult, frame, render, rerender};
use crate::AppState;
use crate::extract::PagePrincipal;

fn kind_of(code: &str) -> Result<Kind, PageError> {
    Kind::parse(code).ok_or(PageError(Error::NotFound("导入类型")))
}

/// Where the list of each kind lives, for the links back.
fn list_href(kind: Kind, school_id: i64) -> String {
    format!("/schools/{school_id}/{}", kind.code())
}

#[derive(Template)]
#[template(path = "import.html")]
struct UploadPage {
    frame: Frame,
    school_id: i64,
    school_name: String,
    kind_code: &'static str,
    kind_label: &'static str,
    back: String,
    columns: &'static [Column],
    error: String,
}

async fn upload_page(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    kind: Kind,
    error: String,
) -> Result<UploadPage, PageError> {
    let a = p.actor()?;
    a.require(Permission::SchoolManage)?;
    let school = kehou_service::school::load_school(&state.app.db, a, school_id).await?;
    let title = format!("导入{}", kind.label());
    Ok(UploadPage {
        frame: frame(state, p, &title, &section(kind), "").await?,
        school_id,
        school_name: school.name,
        kind_code: kind.code(),
        kind_label: kind.label(),
        back: list_href(kind, school_id),
        columns: kind.columns(),
        error,
    })
}

/// The navigation entry each import belongs to.
fn section(kind: Kind) -> String {
    format!("/{}", kind.code())
}

pub async fn form(
    State(state): State<AppState>,
    PagePrincipal(p): PagePrincipal,
    Path((school_id, kind)): Path<(i64, String)>,
) -> PageResult {
    let kind = kind_of(&kind)?;
    Ok(render(
        &upload_page(&state, &p, school_id, kind, String::new()).await?,
    ))
}

pub async fn template(
    State(state): State<AppState>,
    PagePrincipal(p): PagePrincipal,
    Path((school_id, kind)): Path<(i64, String)>,
) -> PageResult {
    let kind = kind_of(&kind)?;
    let a = p.actor()?;
    a.require(Permission::SchoolView)?;
    kehou_service::school::load_school(&state.app.db, a, school_id).await?;
    Ok(crate::xlsx::file(
        &format!("{}导入模板.xlsx", kind.label()),
        kind.template(),
    ))
}

/// The fields of the upload form.
struct Upload {
    csrf: String,
    mode: String,
    file_name: String,
    bytes: Vec<u8>,
}

async fn read_upload(mut multipart: Multipart) -> Result<Upload, Error> {
    let unreadable = |_| Error::invalid("file", "上传内容无法读取，请重新选择文件");
    let mut upload = Upload {
        csrf: String::new(),
        mode: String::new(),
        file_name: String::new(),
        bytes: Vec::new(),
    };
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("_csrf") => upload.csrf = field.text().await.map_err(unreadable)?,
            Some("mode") => upload.mode = field.text().await.map_err(unreadable)?,
            Some("file") => {
                upload.file_name = field.file_name().unwrap_or("").chars().take(100).collect();
                upload.bytes = field.bytes().await.map_err(unreadable)?.to_vec();
            }
            _ => {}
        }
    }
    Ok(upload)
}

pub async fn upload(
    State(state): State<AppState>,
    PagePrincipal(p): PagePrincipal,
    Path((school_id, kind)): Path<(i64, String)>,
    multipart: Multipart,
) -> PageResult {
    let kind = kind_of(&kind)?;
    let result = match read_upload(multipart).await {
        Ok(u) if u.csrf != p.csrf_token => {
            return Err(PageError(Error::Forbidden(
                "页面已过期或来源不明，请刷新页面后重试".into(),
            )));
        }
        Ok(u) => {
            let mode = Mode::parse(&u.mode).unwrap_or(Mode::AllOrNothing);
            let name = if u.file_name.is_empty() {
                format!("{}.xlsx", kind.label())
            } else {
                u.file_name
            };
            import::start(&state.app, p.actor()?, kind, school_id, name, u.bytes, mode).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(job) => Ok(
            Redirect::to(&format!("/schools/{school_id}/imports/jobs/{}", job.id)).into_response(),
        ),
        Err(Error::Invalid(fields)) => {
            let message = fields
                .into_iter()
                .map(|f| f.reason)
                .collect::<Vec<_>>()
                .join("；");
            Ok(rerender(
                StatusCode::BAD_REQUEST,
                &upload_page(&state, &p, school_id, kind, message).await?,
            ))
        }
        Err(e) => Err(PageError(e)),
    }
}

/// At most this many rejected rows are listed on the page; the report has them all.
const ERRORS_SHOWN: usize = 200;

#[derive(Template)]
#[template(path = "import_job.html")]
struct JobPage {
    frame: Frame,
    school_id: i64,
    job: JobView,
    percent: u64,
    back: String,
    started_at: String,
    errors_shown: usize,
    /// The first rejected cells, in row order.
    shown: Vec<kehou_service::import::RowError>,
}

pub async fn job(
    State(state): State<AppState>,
    PagePrincipal(p): PagePrincipal,
    Path((school_id, job_id)): Path<(i64, u64)>,
) -> PageResult {
    let a = p.actor()?;
    let job = state.app.jobs.get(a, school_id, job_id)?.view();
    let percent = (job.done * 100)
        .checked_div(job.total)
        .unwrap_or(0)
        .min(100);
    let title = format!("导入{}", job.kind_label);
    Ok(render(&JobPage {
        frame: frame(&state, &p, &title, &section(job.kind), "").await?,
        school_id,
        percent,
        back: list_href(job.kind, school_id),
        errors_shown: ERRORS_SHOWN,
        started_at: super::local_time(job.started_at),
        shown: job
            .outcome
            .as_ref()
            .map(|o| o.errors.iter().take(ERRORS_SHOWN).cloned().collect())
            .unwrap_or_default(),
        job,
    }))
}

pub async fn report(
    State(state): State<AppState>,
    PagePrincipal(p): PagePrincipal,
    Path((school_id, job_id)): Path<(i64, u64)>,
) -> PageResult {
    let a = p.actor()?;
    let outcome = state
        .app
        .jobs
        .get(a, school_id, job_id)?
        .view()
        .outcome
        .ok_or_else(|| Error::conflict("导入尚未完成，没有错误报告"))?;
    Ok(crate::xlsx::file("导入错误报告.xlsx", outcome.report()))
}
