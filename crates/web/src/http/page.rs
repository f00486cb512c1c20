//! What every page router shares: rendering, the page frame and navigation, form errors,
//! list paging, the school picker. Shared page components are in `templates/layout.html`
//! and `templates/macros.html`.

use std::collections::HashMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use kehou_domain::Permission;
use kehou_service::identity::auth::MembershipView;
use kehou_service::{Error, Principal};

use crate::AppState;
use crate::http::error::status_of;

pub async fn not_found() -> PageError {
    PageError(Error::NotFound("页面"))
}

/// Renders a template, or a plain 500 if rendering fails.
pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "页面渲染失败").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    message: String,
    request_id: String,
}

/// An error shown as a page with the error's status code.
#[derive(Debug)]
pub struct PageError(pub Error);

impl From<Error> for PageError {
    fn from(e: Error) -> Self {
        Self(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if matches!(self.0, Error::Unauthenticated(_)) {
            return Redirect::to("/login").into_response();
        }
        if matches!(self.0, Error::PasswordChangeRequired) {
            return Redirect::to("/password").into_response();
        }
        let status = status_of(&self.0);
        let mut response = render(&ErrorPage {
            status: status.as_u16(),
            message: self.0.one_line(),
            request_id: crate::http::trace::current().unwrap_or_default(),
        });
        *response.status_mut() = status;
        response
    }
}

pub type PageResult = Result<Response, PageError>;

/// One link of the navigation.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

/// What the page frame shows around every page: who is acting and where they can go.
pub struct Frame {
    pub title: String,
    pub user_name: String,
    pub org_name: String,
    pub role_name: String,
    pub memberships: Vec<MembershipView>,
    pub active_membership_id: i64,
    pub nav: Vec<NavItem>,
    pub csrf: String,
    pub notice: String,
    /// Unread messages, for the badge of the message centre's link.
    pub unread: u64,
}

/// The navigation, built from the active membership's permissions.
const NAV: &[(&str, &str, Option<Permission>)] = &[
    ("/", "首页", None),
    ("/orgs", "组织机构", Some(Permission::OrgView)),
    ("/users", "用户账号", Some(Permission::UserView)),
    ("/roles", "角色权限", Some(Permission::RoleView)),
    ("/school", "学校信息", Some(Permission::SchoolView)),
    ("/admin-classes", "班级管理", Some(Permission::SchoolView)),
    ("/students", "学生管理", Some(Permission::SchoolView)),
    ("/staff", "教职工", Some(Permission::SchoolView)),
    ("/rooms", "场室管理", Some(Permission::SchoolView)),
    ("/calendar", "校历作息", Some(Permission::SchoolView)),
    ("/dispatches", "派驻教师", Some(Permission::SchoolView)),
    (
        "/course-specs",
        "课程规格",
        Some(Permission::CourseSpecManage),
    ),
    ("/courses", "课程管理", Some(Permission::CourseManage)),
    ("/library", "课程库", None),
    ("/offering", "开课计划", Some(Permission::OfferingManage)),
    ("/offerings", "开课审批", Some(Permission::OfferingApprove)),
    ("/offering/published", "开课公示", None),
    ("/teaching", "教学班排课", Some(Permission::TeachingManage)),
    ("/timetable", "课表", Some(Permission::SchoolView)),
    ("/me/timetable", "我的课表", None),
    ("/enroll", "报名选课", None),
    (
        "/enrollment",
        "报名管理",
        Some(Permission::EnrollmentManage),
    ),
    ("/billing", "收费管理", Some(Permission::BillingView)),
    ("/attendance", "签到点名", None),
    ("/attendance/children", "孩子考勤", None),
    (
        "/attendance/school",
        "考勤管理",
        Some(Permission::AttendanceView),
    ),
    (
        "/attendance/symptoms",
        "症状日报",
        Some(Permission::AttendanceView),
    ),
    (
        "/institution/lesson-hours",
        "教师课时",
        Some(Permission::InstitutionView),
    ),
    ("/patrol", "巡课", Some(Permission::PatrolRecord)),
    ("/patrol/school", "巡课管理", Some(Permission::PatrolManage)),
    (
        "/institutions",
        "机构管理",
        Some(Permission::InstitutionView),
    ),
    (
        "/institution",
        "机构入驻",
        Some(Permission::InstitutionView),
    ),
    ("/audit", "操作日志", Some(Permission::AuditView)),
    // Platform administrators only.
    ("/system", "系统运行", Some(Permission::AuditView)),
    ("/messages", "消息", None),
    // Platform administrators, and only while the sandbox is the SMS channel.
    ("/sandbox/sms", "短信沙箱", Some(Permission::UserManage)),
];

pub async fn frame(
    state: &AppState,
    p: &Principal,
    title: &str,
    section: &str,
    notice: &str,
) -> Result<Frame, PageError> {
    let actor = p.actor.as_ref();
    let nav = NAV
        .iter()
        .filter(|(_, _, perm)| perm.is_none_or(|perm| actor.is_some_and(|a| a.can(perm))))
        .filter(|(href, _, _)| {
            *href != "/sandbox/sms"
                || (state.app.sms.sandbox().is_some() && actor.is_some_and(|a| a.is_platform()))
        })
        .filter(|(href, _, _)| *href != "/system" || actor.is_some_and(|a| a.is_platform()))
        // An institution's people see their own admission; everyone else the list.
        .filter(|(href, _, _)| {
            let institution =
                actor.is_some_and(|a| a.org_kind == kehou_domain::OrgKind::Institution);
            match *href {
                "/institutions" => !institution,
                "/institution"
                | "/institution/teachers"
                | "/institution/dispatches"
                | "/institution/lesson-hours" => institution,
                // Libraries concern who submits or reviews; the notice, a school's people.
                "/library" => actor.is_some_and(|a| {
                    a.can(Permission::CourseManage) || a.can(Permission::LibraryReview)
                }),
                // Parents: school members without any permission of the school's staff.
                "/enroll" => actor.is_some_and(|a| {
                    a.org_kind == kehou_domain::OrgKind::School && !a.can(Permission::SchoolView)
                }),
                // Who teaches: a school's staff, an institution's teachers.
                "/attendance" => actor.is_some_and(|a| {
                    a.org_kind == kehou_domain::OrgKind::Institution
                        || (a.org_kind == kehou_domain::OrgKind::School
                            && a.can(Permission::SchoolView))
                }),
                "/attendance/children" => actor.is_some_and(|a| {
                    a.org_kind == kehou_domain::OrgKind::School && !a.can(Permission::SchoolView)
                }),
                "/attendance/school" | "/patrol" | "/patrol/school" => {
                    actor.is_some_and(|a| a.org_kind == kehou_domain::OrgKind::School)
                }
                "/enrollment/my-classes" => {
                    actor.is_some_and(|a| a.org_kind == kehou_domain::OrgKind::School)
                }
                "/offering/published" => {
                    actor.is_some_and(|a| a.org_kind == kehou_domain::OrgKind::School)
                }
                _ => true,
            }
        })
        .map(|&(href, label, _)| NavItem {
            href,
            label,
            active: href == section,
        })
        .collect();
    Ok(Frame {
        title: title.into(),
        user_name: p.user_name.clone(),
        org_name: actor
            .map(|a| a.org_name.clone())
            .unwrap_or_else(|| "未分配身份".into()),
        role_name: actor.map(|a| a.role_name.clone()).unwrap_or_default(),
        memberships: kehou_service::identity::auth::memberships_of(&state.app, p).await?,
        active_membership_id: actor.map(|a| a.membership_id).unwrap_or_default(),
        nav,
        csrf: p.csrf_token.expose().to_string(),
        notice: notice_text(notice).into(),
        unread: kehou_service::platform::messages::unread_count(&state.app.db, p.user_id).await?,
    })
}

/// Messages shown once after a redirect, by code.
fn notice_text(code: &str) -> &'static str {
    match code {
        "saved" => "已保存",
        "created" => "已创建",
        "frozen" => "账号已冻结",
        "unfrozen" => "账号已解冻",
        "activated" => "已启用",
        "deactivated" => "已停用",
        "membership_added" => "已添加身份",
        "membership_removed" => "已移除身份",
        "password_changed" => "密码已修改",
        "switched" => "已切换身份",
        "all_read" => "已全部标为已读",
        "promoted" => "已升级到新学年：学生已随班升入新班级，最高年级学生已毕业",
        "invited" => {
            "该手机号已是其他单位的账号，已向其发出加入邀请，对方接受后将出现在教职工列表中"
        }
        "offer_accepted" => "已接受邀请",
        "run_started" => "已开始自动排课，完成后本页自动刷新",
        "moved" => "已调整，没有冲突",
        "moved_conflict" => "已调整，但这节课现在有冲突，请看下方冲突列表",
        "offer_declined" => "已拒绝邀请",
        "checked_in" => "签到成功",
        "checked_in_late" => "签到成功，已记为迟到",
        "roll_saved" => "点名已保存，已通知家长",
        "punch_requested" => "已提交申请，请等待学校审批",
        "revoked" => "已撤回",
        "change_requested" => "已提交调代课申请，请等待学校审批",
        "decided" => "已处理，并通知了申请人",
        "patrol_saved" => "巡课记录已保存",
        "transferred" => "已调班，已通知家长",
        "teacher_leave_requested" => "已提交请假申请，请等待学校审批并安排代课",
        "photos_added" => "照片已上传",
        "task_closed" => "巡课任务已停止",
        "leave_requested" => "已提交请假申请，请等待班主任或学校审批",
        "signed" => "已签署报名须知，现在可以报名了",
        "waitlisted" => "已加入候补，有名额空出时按顺序递补，并通知您",
        "dropped" => "已取消或退课，名额已释放",
        "drop_requested" => "已提交退课申请，请等待学校审核",
        "drop_withdrawn" => "已撤回退课申请",
        "drop_approved" => "已同意退课，名额已释放",
        "course_change_requested" => "已提交调课申请，请等待学校审核",
        "course_change_withdrawn" => "已撤回调课申请",
        "course_change_approved" => "已同意调课，报名与费用已随之调整",
        "course_change_rejected" => "已驳回调课申请，并通知了家长",
        "drop_rejected" => "已驳回退课申请，并通知了家长",
        "resubmitted" => "已重新提交，请等待教育行政部门审核",
        "invited_teacher" => {
            "该手机号已是其他单位的账号，已向其发出加入邀请，对方接受后即可以本机构教师身份登录"
        }
        _ => "",
    }
}

/// Field errors of a form, and a message for the whole form.
#[derive(Default)]
pub struct FormErrors {
    pub general: String,
    fields: HashMap<String, String>,
}

impl FormErrors {
    /// The message of one field, if it has one.
    pub fn field(&self, field: &str) -> Option<&String> {
        self.fields.get(field)
    }

    pub fn get(&self, field: &str) -> &str {
        self.fields.get(field).map(String::as_str).unwrap_or("")
    }

    /// The messages of a list field and its rows (`chapters`, `chapters.3`), joined.
    pub fn under(&self, prefix: &str) -> String {
        let mut keys: Vec<&String> = self
            .fields
            .keys()
            .filter(|k| *k == prefix || k.starts_with(&format!("{prefix}.")))
            .collect();
        keys.sort();
        keys.iter()
            .map(|k| self.fields[*k].as_str())
            .collect::<Vec<_>>()
            .join("；")
    }

    /// Everything wrong, in one line: for a form with one message box.
    pub fn first_message(&self) -> String {
        if self.fields.is_empty() {
            return self.general.clone();
        }
        let mut reasons: Vec<&str> = self.fields.values().map(String::as_str).collect();
        reasons.sort();
        reasons.join("；")
    }

    /// Turns an error into messages on the form when it concerns the input; other errors
    /// become an error page.
    pub fn from_error(e: Error) -> Result<(StatusCode, Self), PageError> {
        let status = status_of(&e);
        let mut errors = Self::default();
        match e {
            Error::Invalid(fields) => {
                errors.general = "请检查标红的项目".into();
                for f in fields {
                    errors.fields.entry(f.field).or_insert(f.reason);
                }
            }
            Error::Unavailable(message) => errors.general = message,
            Error::Conflict { field, message } => {
                if let Some(field) = field {
                    errors.fields.insert(field, message.clone());
                }
                errors.general = message;
            }
            // A refusal is an answer of its own (403 page), not a remark on the input.
            other => return Err(PageError(other)),
        }
        Ok((status, errors))
    }
}

/// Renders a form page again with its errors and the error's status code.
pub fn rerender(status: StatusCode, t: &impl Template) -> Response {
    let mut response = render(t);
    *response.status_mut() = status;
    response
}

/// An `application/x-www-form-urlencoded` body, keeping repeated keys (checkboxes).
pub struct FormData(Vec<(String, String)>);

impl FormData {
    /// The text fields of a multipart form (see `http::extract::read_files`).
    pub(crate) fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        Self(pairs)
    }

    /// Reads an urlencoded body. Private to the extractors: handlers receive forms only
    /// through [`crate::http::extract::CsrfForm`] (or `PublicForm` before a login).
    pub(crate) async fn read(req: Request, state: &AppState) -> Result<Self, PageError> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| PageError(Error::invalid("body", "表单内容过大或无法读取")))?;
        Ok(Self(form_urlencoded::parse(&bytes).into_owned().collect()))
    }
}

impl FormData {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self, key: &str) -> String {
        self.get(key).unwrap_or("").to_string()
    }

    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// An optional id field: blank is `None`, anything but a number is a field error.
    pub fn id(&self, key: &str, errors: &mut kehou_domain::Invalid) -> Option<i64> {
        match self.get(key).map(str::trim) {
            None | Some("") => None,
            Some(v) => match v.parse() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.push(key, "选项无效");
                    None
                }
            },
        }
    }
}

/// A `<select>` option.
pub struct Opt {
    pub value: String,
    pub label: String,
}

impl Opt {
    pub fn new(value: impl ToString, label: impl Into<String>) -> Self {
        Self {
            value: value.to_string(),
            label: label.into(),
        }
    }
}

/// What the pager needs: counts and the filter query to keep.
pub struct ListInfo {
    pub total: u64,
    pub page: u64,
    pub pages: u64,
    pub size: u64,
    /// The filters as `k=v&` pairs, ready to prefix `page=` (the size included).
    pub query: String,
    /// The filters without the size, for the size links.
    pub filters: String,
}

/// One entry of the pager: a page number, or a gap (…).
pub struct PageLink {
    pub page: u64,
    pub current: bool,
    pub gap: bool,
}

impl ListInfo {
    /// The first and last page, and two on each side of the current one, with gaps.
    pub fn links(&self) -> Vec<PageLink> {
        let mut out: Vec<PageLink> = Vec::new();
        for page in 1..=self.pages {
            let near = page + 2 >= self.page && page <= self.page + 2;
            if page == 1 || page == self.pages || near {
                if out.last().is_some_and(|l| l.page + 1 < page) {
                    out.push(PageLink {
                        page: 0,
                        current: false,
                        gap: true,
                    });
                }
                out.push(PageLink {
                    page,
                    current: page == self.page,
                    gap: false,
                });
            }
        }
        out
    }

    pub fn sizes(&self) -> &'static [u64] {
        &PAGE_SIZES
    }
}

impl ListInfo {
    pub fn new<T>(page: &kehou_service::Page<T>, filters: &[(&str, &str)]) -> Self {
        let filters: String = filters
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}&", crate::http::extract::urlencode(v)))
            .collect();
        let query = if page.page_size == kehou_service::PageRequest::DEFAULT_SIZE {
            filters.clone()
        } else {
            format!("{filters}size={}&", page.page_size)
        };
        Self {
            total: page.total,
            page: page.page,
            pages: page.pages(),
            size: page.page_size,
            query,
            filters,
        }
    }
}

/// The page sizes a list offers.
pub const PAGE_SIZES: [u64; 3] = [20, 50, 100];

/// The page number and size of a list query; anything else falls back to the first page of
/// the default size.
pub fn page_of(page: Option<&str>, size: Option<&str>) -> kehou_service::PageRequest {
    let page = page
        .and_then(|v| v.parse().ok())
        .filter(|p| (1..=kehou_service::PageRequest::MAX_PAGE).contains(p))
        .unwrap_or(1);
    let page_size = size
        .and_then(|v| v.parse().ok())
        .filter(|s| PAGE_SIZES.contains(s))
        .unwrap_or(kehou_service::PageRequest::DEFAULT_SIZE);
    kehou_service::PageRequest { page, page_size }
}

pub use kehou_service::platform::clock::{china, china_time};

/// The school a page of the school area shows for a bureau or platform user: the one asked
/// for in the address (then remembered with the session), else the one chosen last.
pub async fn chosen_school(
    state: &AppState,
    p: &Principal,
    requested: Option<&str>,
) -> Result<Option<i64>, PageError> {
    match requested.and_then(|s| s.trim().parse::<i64>().ok()) {
        Some(id) => {
            kehou_service::identity::auth::remember_school(&state.app, p, id).await?;
            Ok(Some(id))
        }
        None => Ok(p.chosen_school_id),
    }
}

/// The schools a bureau user may pick from (empty for a school's own staff), and the
/// school to show: the one asked for, else the first of the list.
pub async fn school_choice(
    state: &AppState,
    a: &kehou_service::Actor,
    requested: Option<i64>,
) -> Result<(Vec<Opt>, Option<i64>), PageError> {
    if a.org_kind == kehou_domain::OrgKind::School {
        return Ok((Vec::new(), Some(requested.unwrap_or(a.org_id))));
    }
    let schools: Vec<Opt> = kehou_service::school::schools_in_scope(&state.app, a)
        .await?
        .into_iter()
        .map(|s| Opt::new(s.id, s.name))
        .collect();
    let chosen = requested.or_else(|| schools.first().and_then(|s| s.value.parse().ok()));
    Ok((schools, chosen))
}

/// A list with nothing to show yet.
pub fn empty_list() -> ListInfo {
    ListInfo {
        total: 0,
        page: 1,
        pages: 1,
        size: kehou_service::PageRequest::DEFAULT_SIZE,
        query: String::new(),
        filters: String::new(),
    }
}
