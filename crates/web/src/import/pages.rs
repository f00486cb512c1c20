//! Import pages (C2, C4, C6): the template download, the upload form, and the job page
//! that shows progress until the import ends, then its counts and the rejected rows.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use kehou_domain::Permission;
use kehou_service::import::{self, JobView, Kind, Mode};
use kehou_service::platform::sheet::Column;
use kehou_service::{Error, Principal};

use crate::AppState;
use crate::http::extract::{CsrfUpload, PageActor, PagePath};
use crate::http::page::{Frame, PageError, PageResult, frame, render, rerender};

fn kind_of(code: &str) -> Result<Kind, PageError> {
    Kind::parse(code).ok_or(PageError(Error::NotFound("导入类型")))
}

/// The path segment of each kind's list page.
fn list_segment(kind: Kind) -> &'static str {
    match kind {
        Kind::AdminClasses => "admin-classes",
        other => other.code(),
    }
}

/// Where the list of each kind lives, for the links back.
fn list_href(kind: Kind, school_id: i64) -> String {
    format!("/schools/{school_id}/{}", list_segment(kind))
}

#[derive(Template)]
#[template(path = "import/import.html")]
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
    let school =
        kehou_service::school::school_for(&state.app.db, a, school_id, Permission::SchoolManage)
            .await?;
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
    format!("/{}", list_segment(kind))
}

pub async fn form(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PagePath((school_id, kind)): PagePath<(i64, String)>,
) -> PageResult {
    let kind = kind_of(&kind)?;
    Ok(render(
        &upload_page(&state, &p, school_id, kind, String::new()).await?,
    ))
}

pub async fn template(
    State(state): State<AppState>,
    PageActor(_p, actor): PageActor,
    PagePath((school_id, kind)): PagePath<(i64, String)>,
) -> PageResult {
    let kind = kind_of(&kind)?;
    let template = import::template(&state.app, &actor, kind, school_id).await?;
    Ok(crate::http::xlsx::file(
        &format!("{}导入模板.xlsx", kind.label()),
        Ok(template),
    ))
}

pub async fn upload(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, kind)): PagePath<(i64, String)>,
    CsrfUpload(upload): CsrfUpload,
) -> PageResult {
    let kind = kind_of(&kind)?;
    let result = match upload {
        Ok(u) => {
            let mode = Mode::parse(&u.mode).unwrap_or(Mode::AllOrNothing);
            let name = if u.file_name.is_empty() {
                format!("{}.xlsx", kind.label())
            } else {
                u.file_name
            };
            import::start(&state.app, &actor, kind, school_id, name, u.bytes, mode).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(job) => Ok(
            Redirect::to(&format!("/schools/{school_id}/imports/jobs/{}", job.id)).into_response(),
        ),
        Err(e @ Error::Invalid(_)) => Ok(rerender(
            StatusCode::BAD_REQUEST,
            &upload_page(&state, &p, school_id, kind, e.one_line()).await?,
        )),
        Err(e) => Err(PageError(e)),
    }
}

/// At most this many rejected rows are listed on the page; the report has them all.

#[derive(Template)]
#[template(path = "import/import_job.html")]
struct JobPage {
    frame: Frame,
    school_id: i64,
    job: JobView,
    percent: u64,
    back: String,
    started_at: String,
    /// One page of the rejected cells, in row order.
    shown: Vec<kehou_service::import::RowError>,
    list: crate::http::page::ListInfo,
}

#[derive(serde::Deserialize, Default)]
pub struct JobQuery {
    page: Option<String>,
    size: Option<String>,
}

pub async fn job(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, job_id)): PagePath<(i64, i64)>,
    crate::http::extract::PageQuery(q): crate::http::extract::PageQuery<JobQuery>,
) -> PageResult {
    let errors = crate::http::page::page_of(q.page.as_deref(), q.size.as_deref());
    let mut job = import::job(&state.app, &actor, school_id, job_id, errors).await?;
    let shown = job
        .outcome
        .as_mut()
        .map(|o| std::mem::take(&mut o.errors))
        .unwrap_or_default();
    let list = crate::http::page::ListInfo::new(
        &kehou_service::Page {
            items: Vec::<()>::new(),
            total: job.errors_total as u64,
            page: errors.page,
            page_size: errors.page_size,
        },
        &[],
    );
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
        started_at: crate::http::page::china_time(job.started_at),
        shown,
        list,
        job,
    }))
}

pub async fn report(
    State(state): State<AppState>,
    PageActor(_p, actor): PageActor,
    PagePath((school_id, job_id)): PagePath<(i64, i64)>,
) -> PageResult {
    let report = import::report(&state.app, &actor, school_id, job_id).await?;
    Ok(crate::http::xlsx::file("导入错误报告.xlsx", Ok(report)))
}
