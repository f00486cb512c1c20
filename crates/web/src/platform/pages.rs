//! The audit log page: events of the jurisdiction, filtered by date, actor and object.

use askama::Template;
use axum::extract::State;
use chrono::{NaiveDate, TimeZone};
use kehou_service::platform::audit::{self, AuditEventView, AuditFilter};
use serde::Deserialize;

use kehou_service::platform::page::every;

use crate::AppState;
use crate::http::extract::{PageActor, PageQuery};
use crate::http::page::{
    Frame, ListInfo, Opt, PageResult, beijing, frame, local_time, page_of, render,
};

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    from: Option<String>,
    to: Option<String>,
    actor_user_id: Option<String>,
    actor_name: Option<String>,
    entity_type: Option<String>,
    page: Option<String>,
    /// Rows per page: 20, 50 or 100.
    size: Option<String>,
}

impl AuditQuery {
    /// The filter, with a message when a value could not be read. Dates are Beijing dates;
    /// the end date is inclusive.
    fn filter(&self) -> (AuditFilter, String) {
        let mut problems = Vec::new();
        let mut date = |value: &Option<String>, label: &str, days: i64| {
            let v = value.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
            match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
                Ok(d) => {
                    let start = (d + chrono::Duration::days(days)).and_hms_opt(0, 0, 0)?;
                    beijing()
                        .from_local_datetime(&start)
                        .single()
                        .map(|t| t.to_utc())
                }
                Err(_) => {
                    problems.push(format!("{label}格式应为 年-月-日"));
                    None
                }
            }
        };
        let from = date(&self.from, "开始日期", 0);
        let to = date(&self.to, "结束日期", 1);
        let actor_user_id = match self
            .actor_user_id
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            None => None,
            Some(v) => v
                .parse()
                .map_err(|_| problems.push("操作人ID应为数字".into()))
                .ok(),
        };
        let entity_type = self
            .entity_type
            .clone()
            .filter(|t| audit::ENTITY_TYPES.iter().any(|(code, _)| code == t));
        (
            AuditFilter {
                from,
                to,
                actor_user_id,
                actor_name: self.actor_name.clone(),
                entity_type,
                entity_id: None,
            },
            problems.join("；"),
        )
    }
}

pub struct Row {
    time: String,
    actor: String,
    action: String,
    summary: String,
    ip: String,
}

fn row(e: AuditEventView) -> Row {
    Row {
        time: local_time(e.occurred_at),
        actor: match e.actor_user_id {
            Some(id) => format!("{}（ID {id}）", e.actor_name),
            None => e.actor_name,
        },
        action: audit::action_label(&e.action)
            .unwrap_or(e.action.as_str())
            .to_string(),
        summary: e.summary,
        ip: e.ip.unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "platform/audit.html")]
struct ListPage {
    frame: Frame,
    items: Vec<Row>,
    list: ListInfo,
    from: String,
    to: String,
    actor_user_id: String,
    actor_name: String,
    entity_type: String,
    entity_types: Vec<Opt>,
    filter_error: String,
}

pub async fn list(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PageQuery(q): PageQuery<AuditQuery>,
) -> PageResult {
    let (filter, filter_error) = q.filter();
    let page = audit::list(
        &state.app,
        &actor,
        &filter,
        page_of(q.page.as_deref(), q.size.as_deref()),
    )
    .await?;
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let (from, to, actor_user_id, entity_type) =
        (s(&q.from), s(&q.to), s(&q.actor_user_id), s(&q.entity_type));
    let actor_name = s(&q.actor_name);
    let list = ListInfo::new(
        &page,
        &[
            ("from", &from),
            ("to", &to),
            ("actor_user_id", &actor_user_id),
            ("actor_name", &actor_name),
            ("entity_type", &entity_type),
        ],
    );
    Ok(render(&ListPage {
        frame: frame(&state, &p, "操作日志", "/audit", "").await?,
        items: page.items.into_iter().map(row).collect(),
        list,
        from,
        to,
        actor_user_id,
        actor_name,
        entity_type,
        entity_types: audit::ENTITY_TYPES
            .iter()
            .map(|(v, l)| Opt::new(v, *l))
            .collect(),
        filter_error,
    }))
}

pub async fn export(
    State(state): State<AppState>,
    PageActor(_p, actor): PageActor,
    PageQuery(q): PageQuery<AuditQuery>,
) -> PageResult {
    let (filter, _) = q.filter();
    let page = every(|page| audit::list(&state.app, &actor, &filter, page)).await?;
    let rows: Vec<Vec<String>> = page
        .items
        .into_iter()
        .map(row)
        .map(|r| vec![r.time, r.actor, r.action, r.summary, r.ip])
        .collect();
    Ok(crate::http::xlsx::download(
        "操作日志.xlsx",
        &["时间", "操作人", "操作", "内容", "IP"],
        &rows,
    ))
}

pub async fn css() -> impl axum::response::IntoResponse {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "max-age=300"),
        ],
        include_str!("../../static/app.css"),
    )
}

pub async fn js() -> impl axum::response::IntoResponse {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/javascript; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "max-age=300"),
        ],
        include_str!("../../static/app.js"),
    )
}

pub async fn favicon() -> impl axum::response::IntoResponse {
    (
        [
            (axum::http::header::CONTENT_TYPE, "image/svg+xml"),
            (axum::http::header::CACHE_CONTROL, "max-age=86400"),
        ],
        include_str!("../../static/favicon.svg"),
    )
}
