//! The audit log page (events of the jurisdiction, filtered by date, actor and object),
//! the message centre with its live badge, the SMS sandbox's inbox and the static files.

use askama::Template;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect};
use chrono::{NaiveDate, TimeZone};
use kehou_service::identity::sms_login;
use kehou_service::platform::audit::{self, AuditEventView, AuditFilter};
use kehou_service::platform::messages;
use serde::Deserialize;

use kehou_service::platform::page::every;

use crate::AppState;
use crate::http::extract::{CsrfForm, PageActor, PagePath, PagePrincipal, PageQuery};
use crate::http::page::{
    Frame, ListInfo, Opt, PageError, PageResult, china, china_time, frame, page_of, render,
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
                    china()
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
        time: china_time(e.occurred_at),
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

#[derive(Deserialize, Default)]
pub struct MessagesQuery {
    only: Option<String>,
    page: Option<String>,
    size: Option<String>,
    notice: Option<String>,
}

pub struct MessageRow {
    id: i64,
    title: String,
    body: String,
    kind_label: String,
    time: String,
    link: Option<String>,
    read: bool,
}

#[derive(Template)]
#[template(path = "platform/messages.html")]
struct MessagesPage {
    frame: Frame,
    items: Vec<MessageRow>,
    list: ListInfo,
    unread_only: bool,
}

/// The caller's message centre. Needs a login only: an invitation reaches a person who
/// has no membership yet.
pub async fn messages(
    State(state): State<AppState>,
    PagePrincipal(p): PagePrincipal,
    PageQuery(q): PageQuery<MessagesQuery>,
) -> PageResult {
    let unread_only = q.only.as_deref() == Some("unread");
    let page = messages::list(
        &state.app,
        &p,
        unread_only,
        page_of(q.page.as_deref(), q.size.as_deref()),
    )
    .await?;
    let list = ListInfo::new(&page, &[("only", if unread_only { "unread" } else { "" })]);
    let frame = frame(
        &state,
        &p,
        "消息",
        "/messages",
        q.notice.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(render(&MessagesPage {
        frame,
        items: page
            .items
            .into_iter()
            .map(|m| MessageRow {
                id: m.id,
                title: m.title,
                body: m.body,
                kind_label: m.kind_label,
                time: china_time(m.created_at),
                link: m.link,
                read: m.read,
            })
            .collect(),
        list,
        unread_only,
    }))
}

/// Marks a message read and goes where it leads (back to the list when it leads nowhere).
pub async fn open_message(
    State(state): State<AppState>,
    PagePrincipal(p): PagePrincipal,
    PagePath(id): PagePath<i64>,
    CsrfForm(_form): CsrfForm,
) -> PageResult {
    let m = messages::mark_read(&state.app, &p, id).await?;
    Ok(Redirect::to(m.link.as_deref().unwrap_or("/messages")).into_response())
}

pub async fn read_all_messages(
    State(state): State<AppState>,
    PagePrincipal(p): PagePrincipal,
    CsrfForm(_form): CsrfForm,
) -> PageResult {
    messages::mark_all_read(&state.app, &p).await?;
    Ok(Redirect::to("/messages?notice=all_read").into_response())
}

/// How long one event stream lives; the browser reconnects (and logs in again) after.
const STREAM_LIFETIME: std::time::Duration = std::time::Duration::from_secs(30 * 60);
/// How often a stream looks for messages that arrived through another instance.
const STREAM_POLL: std::time::Duration = std::time::Duration::from_secs(15);

/// Server-sent events for the open pages of the caller: an `unread` event with the count
/// (and the newest unread message) at once, then whenever the count changes.
pub async fn message_stream(
    State(state): State<AppState>,
    PagePrincipal(p): PagePrincipal,
) -> Sse<impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>>> {
    struct Feed {
        state: AppState,
        rx: tokio::sync::broadcast::Receiver<i64>,
        user_id: i64,
        last: Option<u64>,
        until: tokio::time::Instant,
    }
    let feed = Feed {
        rx: state.app.message_feed.subscribe(),
        state,
        user_id: p.user_id,
        last: None,
        until: tokio::time::Instant::now() + STREAM_LIFETIME,
    };
    let stream = futures_util::stream::unfold(feed, |mut feed| async move {
        loop {
            if feed.last.is_some() {
                let news = wait_for_news(&mut feed.rx, feed.user_id);
                tokio::select! {
                    () = news => {}
                    () = tokio::time::sleep(STREAM_POLL) => {}
                    () = tokio::time::sleep_until(feed.until) => return None,
                }
            }
            let Ok((count, newest)) = messages::unread(&feed.state.app.db, feed.user_id).await
            else {
                continue;
            };
            if feed.last == Some(count) {
                continue;
            }
            let announce = feed.last.is_some_and(|last| count > last);
            feed.last = Some(count);
            let data = serde_json::json!({
                "unread": count,
                "announce": announce,
                "newest": newest.map(|m| serde_json::json!({"title": m.title, "link": m.link})),
            });
            let event = Event::default().event("unread").data(data.to_string());
            return Some((Ok(event), feed));
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// How long a stream waits after news before it reads: a burst (a roll call tells a whole
/// class's parents at once) then costs each open page one query, not one per message.
const STREAM_SETTLE: std::time::Duration = std::time::Duration::from_millis(250);

/// Returns when `user_id` gets a message on this instance (or news were lost to lag), once
/// the burst it came in has settled.
async fn wait_for_news(rx: &mut tokio::sync::broadcast::Receiver<i64>, user_id: i64) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        match rx.recv().await {
            Ok(id) if id == user_id => break,
            Ok(_) => {}
            Err(RecvError::Lagged(_)) => break,
            Err(RecvError::Closed) => std::future::pending::<()>().await,
        }
    }
    tokio::time::sleep(STREAM_SETTLE).await;
    // What arrived meanwhile is answered by the same read.
    while !matches!(
        rx.try_recv(),
        Err(tokio::sync::broadcast::error::TryRecvError::Empty
            | tokio::sync::broadcast::error::TryRecvError::Closed)
    ) {}
}

#[derive(Template)]
#[template(path = "platform/sandbox_sms.html")]
struct SandboxPage {
    frame: Frame,
    phone: String,
    items: Vec<(String, String, String)>,
    error: String,
}

#[derive(Deserialize, Default)]
pub struct SandboxQuery {
    phone: Option<String>,
}

/// The SMS sandbox's inbox (platform administrators, while the sandbox is the channel).
pub async fn sandbox_sms(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PageQuery(q): PageQuery<SandboxQuery>,
) -> PageResult {
    let phone = q.phone.unwrap_or_default();
    let (items, error) = match sms_login::sandbox_inbox(&state.app, &actor, Some(&phone)) {
        Ok(Some(items)) => (items, String::new()),
        Ok(None) => return Err(PageError(kehou_service::Error::NotFound("短信沙箱"))),
        Err(kehou_service::Error::Invalid(fields)) => (
            Vec::new(),
            fields
                .into_iter()
                .map(|f| f.reason)
                .collect::<Vec<_>>()
                .join("；"),
        ),
        Err(e) => return Err(PageError(e)),
    };
    Ok(render(&SandboxPage {
        frame: frame(&state, &p, "短信沙箱", "/sandbox/sms", "").await?,
        phone,
        items: items
            .into_iter()
            .map(|m| (china_time(m.sent_at), m.phone, m.text))
            .collect(),
        error,
    }))
}

#[derive(Template)]
#[template(path = "platform/system.html")]
struct SystemPage {
    frame: Frame,
    installation_id: String,
    version: &'static str,
    unready: Vec<String>,
    current_key: String,
    /// (key id, values, current?)
    keys: Vec<(String, u64, bool)>,
    first_form: u64,
    left_to_rotate: u64,
    /// (what, days)
    retention: Vec<(&'static str, u32)>,
    last_retention: Option<(String, String)>,
    backups: Vec<(String, String)>,
    jobs: Vec<(String, String, i64)>,
}

/// 系统运行: readiness, keys, retention, backups and the job queue (platform administrators).
pub async fn system_status(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
) -> PageResult {
    let s = kehou_service::platform::status::overview(&state.app, &actor).await?;
    let r = s.retention;
    Ok(render(&SystemPage {
        frame: frame(&state, &p, "系统运行", "/system", "").await?,
        installation_id: s.installation_id,
        version: s.version,
        unready: s.unready,
        keys: s
            .keys
            .by_key
            .iter()
            .map(|(k, n)| (k.clone(), *n, *k == s.current_key))
            .collect(),
        first_form: s.keys.first_form,
        current_key: s.current_key,
        left_to_rotate: s.left_to_rotate,
        retention: vec![
            ("操作日志（审计记录）", r.audit_events_days),
            ("消息", r.messages_days),
            ("已结束的后台任务", r.finished_jobs_days),
            ("巡课照片", r.patrol_photos_days),
            ("离校学生的个人信息", r.departed_students_days),
        ],
        last_retention: s.last_retention.map(|e| (china_time(e.at), e.summary)),
        backups: s
            .backups
            .into_iter()
            .map(|e| (china_time(e.at), e.summary))
            .collect(),
        jobs: s
            .jobs
            .into_iter()
            .map(|(kind, state, n)| {
                let state = kehou_service::platform::jobs::Status::parse(&state)
                    .map_or(state, |s| s.label().to_string());
                (
                    kehou_service::system::worker::kind_label(&kind).to_string(),
                    state,
                    n,
                )
            })
            .collect(),
    }))
}
