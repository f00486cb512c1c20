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
    entity_type: Option<String>,
    page: Option<String>,
}

const ENTITY_TYPES: &[(&str, &str)] = &[
    ("org", "组织机构"),
    ("user", "用户账号"),
    ("role", "角色"),
    ("room", "场室"),
    ("term", "学期"),
    ("period", "作息"),
    ("school", "学校"),
    ("admin_class", "行政班"),
    ("unit", "教研组/岗位"),
];

fn action_label(action: &str) -> &str {
    match action {
        "org.create" => "新增组织",
        "org.update" => "修改组织",
        "user.create" => "新增用户",
        "user.update" => "修改用户",
        "user.freeze" => "冻结账号",
        "user.unfreeze" => "解冻账号",
        "user.reset_password" => "重置密码",
        "user.change_password" => "修改密码",
        "user.lock" => "账号锁定",
        "auth.login" => "登录",
        "auth.login_failed" => "登录失败",
        "membership.create" => "添加身份",
        "membership.delete" => "移除身份",
        "role.create" => "新增角色",
        "role.permissions" => "配置权限",
        "room.create" => "新增场室",
        "room.update" => "修改场室",
        "term.create" => "新增学期",
        "term.update" => "修改学期",
        "term.calendar" => "设置校历",
        "period.set" => "设置作息",
        "school.profile" => "设置学校信息",
        "school.contact_add" => "新增紧急联系人",
        "school.contact_remove" => "删除紧急联系人",
        "personal.view" => "查看个人信息",
        "admin_class.create" => "新增行政班",
        "admin_class.update" => "修改行政班",
        "admin_class.promote" => "班级升级",
        "unit.create" => "新增教研组/岗位",
        "unit.delete" => "删除教研组/岗位",
        other => other,
    }
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
            .filter(|t| ENTITY_TYPES.iter().any(|(code, _)| code == t));
        (
            AuditFilter {
                from,
                to,
                actor_user_id,
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
        action: action_label(&e.action).to_string(),
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
    let page = audit::list(&state.app, &actor, &filter, page_of(q.page.as_deref())).await?;
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let (from, to, actor_user_id, entity_type) =
        (s(&q.from), s(&q.to), s(&q.actor_user_id), s(&q.entity_type));
    let list = ListInfo::new(
        &page,
        &[
            ("from", &from),
            ("to", &to),
            ("actor_user_id", &actor_user_id),
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
        entity_type,
        entity_types: ENTITY_TYPES.iter().map(|(v, l)| Opt::new(v, *l)).collect(),
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
