//! Attendance pages. Teachers (phone first): today's lessons with check-in by the browser's
//! position, the roll call, their own record and requests, leave to decide as head teacher.
//! Parents (phone first): a child's attendance, updated live, and leave. Schools: the day's
//! lessons with check-ins and roll calls, the fence, requests to decide.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use chrono::Duration;
use kehou_domain::attendance::{LeaveKind, Mark, RequestStatus, SYMPTOMS};
use kehou_domain::{OrgKind, Permission};
use kehou_service::attendance::Decision;
use kehou_service::attendance::change::{
    self, ChangeDecision, ChangeInput, ChangeOptions, ChangeView,
};
use kehou_service::attendance::check_in::{
    self, CheckInInput, LessonPunch, PunchRequestInput, PunchRequestView,
};
use kehou_service::attendance::fence::{self, FenceInput, FenceView};
use kehou_service::attendance::hours::{self, HoursQuery, HoursReport};
use kehou_service::attendance::leave::{self, LeaveInput, LeaveQuery, LeaveView};
use kehou_service::attendance::record::{
    self, SchoolDay, SpanQuery, StudentAttendance, Whereabouts,
};
use kehou_service::attendance::report::{self, PeriodQuery, SchoolReport};
use kehou_service::attendance::roll::{self, MarkInput, RollCallView, RollInput};
use kehou_service::attendance::symptoms::{self, SymptomQuery, SymptomReport};
use kehou_service::attendance::teacher_leave::{
    self, TeacherLeaveDecision, TeacherLeaveInput, TeacherLeaveView,
};
use kehou_service::school::student::ChildView;
use kehou_service::{Actor, Error, Principal};
use serde::Deserialize;

use crate::AppState;
use crate::http::extract::{CsrfForm, PageActor, PagePath, PageQuery};
use crate::http::page::{FormData, FormErrors, Frame, PageError, PageResult, frame, rerender};

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "attendance/teacher.html")]
struct TeacherPage {
    frame: Frame,
    lessons: Vec<LessonPunch>,
    today: String,
    to_decide: Vec<LeaveView>,
    school_page: Option<i64>,
    options: ChangeOptions,
    changes: Vec<ChangeView>,
    my_leaves: Vec<TeacherLeaveView>,
    /// A school's staff may ask for leave here (an institution's teachers ask their own).
    school_staff: bool,
    errors: FormErrors,
}

async fn teacher_page(
    state: &AppState,
    p: &Principal,
    actor: &Actor,
    notice: &str,
    errors: FormErrors,
) -> PageResult {
    let today = state.app.today();
    let lessons = check_in::mine(
        &state.app,
        actor,
        today - Duration::days(6),
        today + Duration::days(1),
    )
    .await?;
    let to_decide = leave::list(
        &state.app,
        actor,
        &LeaveQuery {
            status: Some(RequestStatus::Pending.code().into()),
            ..Default::default()
        },
    )
    .await?
    .into_iter()
    .filter(|l| l.student_id > 0)
    .collect::<Vec<_>>();
    let status = if errors.general.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::CONFLICT
    };
    let school_page = (actor.org_kind == OrgKind::School && actor.can(Permission::AttendanceView))
        .then_some(actor.org_id);
    Ok(rerender(
        status,
        &TeacherPage {
            frame: frame(state, p, "签到点名", "/attendance", notice).await?,
            lessons,
            today: today.to_string(),
            to_decide,
            school_page,
            options: change::options(&state.app, actor).await?,
            changes: change::mine(&state.app, actor).await?,
            my_leaves: teacher_leave::mine(&state.app, actor).await?,
            school_staff: actor.org_kind == OrgKind::School,
            errors,
        },
    ))
}

/// Whether the actor is a parent: a school's member without staff permissions.
fn is_parent(actor: &Actor) -> bool {
    actor.org_kind == OrgKind::School && !actor.can(Permission::SchoolView)
}

/// `GET /attendance`: a teacher's lessons of the week with check-in and roll call; parents
/// go to their children's attendance.
pub async fn index(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PageQuery(q): PageQuery<NoticeQuery>,
) -> PageResult {
    if is_parent(&actor) {
        return Ok(Redirect::to("/attendance/children").into_response());
    }
    teacher_page(
        &state,
        &p,
        &actor,
        q.notice.as_deref().unwrap_or(""),
        FormErrors::default(),
    )
    .await
}

/// `GET /attendance/school`: the school's own attendance page.
pub async fn school_redirect(PageActor(_, actor): PageActor) -> PageResult {
    Ok(Redirect::to(&format!("/schools/{}/attendance", actor.org_id)).into_response())
}

fn number(data: &FormData, key: &str) -> Option<f64> {
    data.get(key).and_then(|v| v.trim().parse::<f64>().ok())
}

/// `POST /attendance/lessons/{id}/check-in`: the page's script fills in the position.
pub async fn check_in(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(lesson_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let input = CheckInInput {
        lat: number(&data, "lat"),
        lng: number(&data, "lng"),
        accuracy: number(&data, "accuracy"),
    };
    match check_in::check_in(&state.app, &actor, lesson_id, input).await {
        Ok(v) => Ok(Redirect::to(&format!(
            "/attendance?notice={}",
            if v.status == "late" {
                "checked_in_late"
            } else {
                "checked_in"
            }
        ))
        .into_response()),
        Err(e) => {
            let (_, errors) = FormErrors::from_error(e)?;
            teacher_page(&state, &p, &actor, "", errors).await
        }
    }
}

/// `POST /attendance/lessons/{id}/punch-requests`: a make-up punch or an appeal.
pub async fn request_punch(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(lesson_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let input = PunchRequestInput {
        kind: data.text("kind"),
        reason: data.text("reason"),
    };
    match check_in::request(&state.app, &actor, lesson_id, input).await {
        Ok(_) => Ok(Redirect::to("/attendance?notice=punch_requested").into_response()),
        Err(e) => {
            let (_, errors) = FormErrors::from_error(e)?;
            teacher_page(&state, &p, &actor, "", errors).await
        }
    }
}

/// `POST /attendance/punch-requests/{id}/revoke`.
pub async fn revoke_punch(
    State(state): State<AppState>,
    PageActor(_, actor): PageActor,
    PagePath(request_id): PagePath<i64>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    check_in::revoke(&state.app, &actor, request_id).await?;
    Ok(Redirect::to("/attendance?notice=revoked").into_response())
}

/// A local path to go back to after a decision; anything else goes to `fallback`.
fn back(data: &FormData, fallback: &str) -> String {
    let b = data.text("back");
    if b.starts_with('/') && !b.starts_with("//") && !b.contains('\\') {
        b
    } else {
        fallback.to_string()
    }
}

fn decision(data: &FormData) -> Decision {
    Decision {
        approve: match data.text("approve").as_str() {
            "1" => Some(true),
            "0" => Some(false),
            _ => None,
        },
        note: data.text("note"),
    }
}

/// `POST /attendance/punch-requests/{id}/decide`: the school decides.
pub async fn decide_punch(
    State(state): State<AppState>,
    PageActor(_, actor): PageActor,
    PagePath(request_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    check_in::decide(&state.app, &actor, request_id, decision(&data)).await?;
    let to = back(&data, "/attendance/school");
    Ok(Redirect::to(&with_notice(&to, "decided")).into_response())
}

fn with_notice(path: &str, notice: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}notice={notice}")
}

#[derive(Template)]
#[template(path = "attendance/roll_call.html")]
struct RollCallPage {
    frame: Frame,
    r: RollCallView,
    marks: Vec<(&'static str, &'static str)>,
    errors: FormErrors,
}

async fn roll_page(
    state: &AppState,
    p: &Principal,
    actor: &Actor,
    lesson_id: i64,
    notice: &str,
    errors: FormErrors,
    status: StatusCode,
) -> PageResult {
    let r = roll::get(&state.app, actor, lesson_id).await?;
    Ok(rerender(
        status,
        &RollCallPage {
            frame: frame(state, p, "点名", "/attendance", notice).await?,
            r,
            marks: Mark::ALL.iter().map(|m| (m.code(), m.label())).collect(),
            errors,
        },
    ))
}

/// `GET /attendance/lessons/{id}`: the roll call.
pub async fn roll_call(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(lesson_id): PagePath<i64>,
    PageQuery(q): PageQuery<NoticeQuery>,
) -> PageResult {
    roll_page(
        &state,
        &p,
        &actor,
        lesson_id,
        q.notice.as_deref().unwrap_or(""),
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// `POST /attendance/lessons/{id}`: saves the marks (`student` repeated, `mark_<id>` each).
pub async fn save_roll_call(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(lesson_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let marks = data
        .all("student")
        .into_iter()
        .filter_map(|raw| {
            let id: i64 = raw.trim().parse().ok()?;
            let status = data.text(&format!("mark_{id}"));
            (!status.is_empty()).then_some(MarkInput {
                student_id: Some(id),
                status,
            })
        })
        .collect();
    match roll::save(&state.app, &actor, lesson_id, RollInput { marks }).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/attendance/lessons/{lesson_id}?notice=roll_saved"
        ))
        .into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            roll_page(&state, &p, &actor, lesson_id, "", errors, status).await
        }
    }
}

#[derive(Template)]
#[template(path = "attendance/children.html")]
struct ChildrenPage {
    frame: Frame,
    children: Vec<ChildView>,
    child: Option<ChildView>,
    record: Option<StudentAttendance>,
    now: Option<Whereabouts>,
    leave: Vec<LeaveView>,
    kinds: Vec<(&'static str, &'static str)>,
    symptoms: &'static [&'static str],
    today: String,
    form: LeaveInput,
    errors: FormErrors,
    /// The child's lesson hours by day, week or month (I11).
    hours: Option<HoursReport>,
}

#[derive(Deserialize, Default)]
pub struct ChildQuery {
    student_id: Option<String>,
    notice: Option<String>,
    /// day, week or month: how the lesson hours are cut.
    hours_by: Option<String>,
}

/// Which child, and how their lesson hours are cut.
struct Shown {
    student: Option<i64>,
    hours_by: String,
}

/// A child's lesson hours: the last 14 days by day, 8 weeks by week or 6 months by month.
async fn child_hours(
    state: &AppState,
    actor: &Actor,
    student_id: i64,
    by: &str,
) -> Result<HoursReport, Error> {
    let today = state.app.today();
    let (by, days) = match by {
        "day" => ("day", 13),
        "month" => ("month", 180),
        _ => ("week", 55),
    };
    hours::student(
        &state.app,
        actor,
        student_id,
        &HoursQuery {
            from: Some((today - Duration::days(days)).to_string()),
            to: Some(today.to_string()),
            by: Some(by.into()),
            ..Default::default()
        },
    )
    .await
}

async fn children_page(
    state: &AppState,
    p: &Principal,
    actor: &Actor,
    shown: Shown,
    notice: &str,
    form: LeaveInput,
    (status, errors): (StatusCode, FormErrors),
) -> PageResult {
    let children = kehou_service::school::student::my_children(&state.app, p).await?;
    let wanted = shown.student;
    let child = match wanted {
        Some(id) => children.iter().find(|c| c.student_id == id).cloned(),
        None => children.first().cloned(),
    };
    if wanted.is_some() && child.is_none() {
        return Err(PageError(Error::NotFound("学生")));
    }
    let (record, now, leave) = match &child {
        Some(c) => (
            Some(record::student(&state.app, actor, c.student_id, &SpanQuery::default()).await?),
            Some(record::whereabouts(&state.app, actor, c.student_id).await?),
            leave::list(
                &state.app,
                actor,
                &LeaveQuery {
                    student_id: Some(c.student_id),
                    ..Default::default()
                },
            )
            .await?,
        ),
        None => (None, None, Vec::new()),
    };
    let hours = match &child {
        Some(c) => Some(child_hours(state, actor, c.student_id, &shown.hours_by).await?),
        None => None,
    };
    Ok(rerender(
        status,
        &ChildrenPage {
            frame: frame(state, p, "孩子考勤", "/attendance/children", notice).await?,
            children,
            child,
            record,
            now,
            leave,
            kinds: LeaveKind::ALL
                .iter()
                .map(|k| (k.code(), k.label()))
                .collect(),
            symptoms: SYMPTOMS,
            today: state.app.today().to_string(),
            form,
            errors,
            hours,
        },
    ))
}

/// `GET /attendance/children`: a child's attendance (live), leave requests and the form.
pub async fn children(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PageQuery(q): PageQuery<ChildQuery>,
) -> PageResult {
    let shown = Shown {
        student: q.student_id.as_deref().and_then(|s| s.trim().parse().ok()),
        hours_by: q.hours_by.unwrap_or_default(),
    };
    children_page(
        &state,
        &p,
        &actor,
        shown,
        q.notice.as_deref().unwrap_or(""),
        LeaveInput::default(),
        (StatusCode::OK, FormErrors::default()),
    )
    .await
}

/// `POST /attendance/leave`: a guardian asks leave.
pub async fn create_leave(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let student_id = data
        .get("student_id")
        .and_then(|s| s.trim().parse::<i64>().ok());
    let input = LeaveInput {
        student_id,
        kind: data.text("kind"),
        symptom: data.text("symptom"),
        reason: data.text("reason"),
        from: data.text("from"),
        to: data.text("to"),
    };
    match leave::create(&state.app, &actor, input.clone()).await {
        Ok(v) => Ok(Redirect::to(&format!(
            "/attendance/children?student_id={}&notice=leave_requested",
            v.student_id
        ))
        .into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            let shown = Shown {
                student: student_id,
                hours_by: String::new(),
            };
            children_page(&state, &p, &actor, shown, "", input, (status, errors)).await
        }
    }
}

/// `POST /attendance/leave/{id}/revoke`.
pub async fn revoke_leave(
    State(state): State<AppState>,
    PageActor(_, actor): PageActor,
    PagePath(leave_id): PagePath<i64>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    let v = leave::revoke(&state.app, &actor, leave_id).await?;
    Ok(Redirect::to(&format!(
        "/attendance/children?student_id={}&notice=revoked",
        v.student_id
    ))
    .into_response())
}

/// `POST /attendance/leave/{id}/decide`: the head teacher or the school decides.
pub async fn decide_leave(
    State(state): State<AppState>,
    PageActor(_, actor): PageActor,
    PagePath(leave_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    leave::decide(&state.app, &actor, leave_id, decision(&data)).await?;
    let to = back(&data, "/attendance");
    Ok(Redirect::to(&with_notice(&to, "decided")).into_response())
}

#[derive(Template)]
#[template(path = "attendance/school.html")]
struct SchoolPage {
    frame: Frame,
    day: SchoolDay,
    fence: FenceView,
    corners_text: String,
    punches: Vec<PunchRequestView>,
    leave: Vec<LeaveView>,
    changes: Vec<ChangeView>,
    teacher_leaves: Vec<TeacherLeaveView>,
    /// Whom a teacher's leave may hand its lessons to.
    substitutes: Vec<(i64, String)>,
    can_manage: bool,
    errors: FormErrors,
}

#[derive(Deserialize, Default)]
pub struct DayQuery {
    date: Option<String>,
    notice: Option<String>,
}

async fn school_page(
    state: &AppState,
    p: &Principal,
    actor: &Actor,
    school_id: i64,
    q: &DayQuery,
    errors: FormErrors,
    status: StatusCode,
) -> PageResult {
    let day = record::school_day(&state.app, actor, school_id, q.date.as_deref()).await?;
    let fence = fence::get(&state.app, actor, school_id).await?;
    let corners_text = fence
        .corners
        .iter()
        .map(|[lat, lng]| format!("{lat},{lng}"))
        .collect::<Vec<_>>()
        .join("\n");
    let punches = check_in::pending(&state.app, actor, school_id).await?;
    let leave = leave::list(
        &state.app,
        actor,
        &LeaveQuery {
            school_id: Some(school_id),
            status: Some(RequestStatus::Pending.code().into()),
            ..Default::default()
        },
    )
    .await?;
    Ok(rerender(
        status,
        &SchoolPage {
            frame: frame(
                state,
                p,
                "考勤管理",
                "/attendance/school",
                q.notice.as_deref().unwrap_or(""),
            )
            .await?,
            day,
            fence,
            corners_text,
            punches,
            leave,
            changes: change::list(&state.app, actor, school_id, Some("pending")).await?,
            teacher_leaves: teacher_leave::list(&state.app, actor, school_id, Some("pending"))
                .await?,
            substitutes: if actor.can(Permission::AttendanceManage) {
                teacher_leave::substitutes(&state.app, actor, school_id).await?
            } else {
                Vec::new()
            },
            can_manage: actor.can(Permission::AttendanceManage),
            errors,
        },
    ))
}

/// `GET /schools/{id}/attendance?date=`: the day's lessons, the fence, requests to decide.
pub async fn school(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<DayQuery>,
) -> PageResult {
    school_page(
        &state,
        &p,
        &actor,
        school_id,
        &q,
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// Parses the corners' text: one `lat,lng` per line.
fn corners(text: &str) -> Result<Vec<[f64; 2]>, Error> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let mut parts = line.split([',', '，', ' ']).filter(|s| !s.is_empty());
            match (
                parts.next().and_then(|s| s.parse::<f64>().ok()),
                parts.next().and_then(|s| s.parse::<f64>().ok()),
                parts.next(),
            ) {
                (Some(lat), Some(lng), None) => Ok([lat, lng]),
                _ => Err(Error::invalid(
                    "corners",
                    format!("“{line}”不是“纬度,经度”"),
                )),
            }
        })
        .collect()
}

/// `POST /schools/{id}/attendance/fence`.
pub async fn save_fence(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let result = match corners(&data.text("corners")) {
        Err(e) => Err(e),
        Ok(c) => {
            let input = FenceInput {
                datum: data.text("datum"),
                kind: data.text("kind"),
                center_lat: number(&data, "center_lat"),
                center_lng: number(&data, "center_lng"),
                radius_m: number(&data, "radius_m"),
                corners: c,
                open_before_min: data
                    .get("open_before_min")
                    .and_then(|v| v.trim().parse().ok()),
            };
            fence::save(&state.app, &actor, school_id, input).await
        }
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!(
            "/schools/{school_id}/attendance?notice=saved#fence"
        ))
        .into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            school_page(
                &state,
                &p,
                &actor,
                school_id,
                &DayQuery::default(),
                errors,
                status,
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "attendance/report.html")]
struct ReportPage {
    frame: Frame,
    r: SchoolReport,
    from: String,
    to: String,
}

/// `GET /schools/{id}/attendance/report?from=&to=`: the period's attendance.
pub async fn report(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<PeriodQuery>,
) -> PageResult {
    let r = report::school(&state.app, &actor, school_id, &q).await?;
    Ok(crate::http::page::render(&ReportPage {
        frame: frame(&state, &p, "考勤统计", "/attendance/school", "").await?,
        from: r.from.to_string(),
        to: r.to.to_string(),
        r,
    }))
}

/// `GET /schools/{id}/attendance/report.xlsx`.
pub async fn report_xlsx(
    State(state): State<AppState>,
    PageActor(_, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<PeriodQuery>,
) -> PageResult {
    let r = report::school(&state.app, &actor, school_id, &q).await?;
    Ok(crate::http::xlsx::file(
        &format!("考勤统计{}至{}.xlsx", r.from, r.to),
        report::workbook(&r),
    ))
}

/// `POST /attendance/lessons/{id}/changes`: a substitute or a swap.
pub async fn request_change(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(lesson_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let id = |k: &str| data.get(k).and_then(|v| v.trim().parse::<i64>().ok());
    let kind = data.text("kind");
    let input = ChangeInput {
        substitute_staff_id: if kind == change::SUBSTITUTE {
            id("substitute_staff_id")
        } else {
            None
        },
        other_lesson_id: if kind == change::SWAP {
            id("other_lesson_id")
        } else {
            None
        },
        kind,
        reason: data.text("reason"),
    };
    match change::request(&state.app, &actor, lesson_id, input).await {
        Ok(_) => Ok(Redirect::to("/attendance?notice=change_requested").into_response()),
        Err(e) => {
            let (_, errors) = FormErrors::from_error(e)?;
            teacher_page(&state, &p, &actor, "", errors).await
        }
    }
}

/// `POST /attendance/lesson-changes/{id}/revoke`.
pub async fn revoke_change(
    State(state): State<AppState>,
    PageActor(_, actor): PageActor,
    PagePath(change_id): PagePath<i64>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    change::revoke(&state.app, &actor, change_id).await?;
    Ok(Redirect::to("/attendance?notice=revoked").into_response())
}

/// The substitute's pay a decision form gives in yuan (`fee`), in fen; blank is none.
fn fee_of(data: &FormData) -> Result<i64, PageError> {
    match data.text("fee").trim() {
        "" => Ok(0),
        fee => kehou_domain::Fen::parse_yuan(fee)
            .map(|f| f.0)
            .map_err(|_| {
                PageError(Error::invalid(
                    "fee_fen",
                    "代课费格式不正确，如 80 或 80.50",
                ))
            }),
    }
}

/// `POST /attendance/lesson-changes/{id}/decide`: the school decides, with the pay in yuan.
pub async fn decide_change(
    State(state): State<AppState>,
    PageActor(_, actor): PageActor,
    PagePath(change_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let fee_fen = Some(fee_of(&data)?);
    let d = decision(&data);
    change::decide(
        &state.app,
        &actor,
        change_id,
        ChangeDecision {
            approve: d.approve,
            note: d.note,
            fee_fen,
        },
    )
    .await?;
    let to = back(&data, "/attendance/school");
    Ok(Redirect::to(&with_notice(&to, "decided")).into_response())
}

/// `GET /schools/{id}/lesson-changes.xlsx`: every substitute and swap with its pay.
pub async fn export_changes(
    State(state): State<AppState>,
    PageActor(_, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
) -> PageResult {
    let rows = change::list(&state.app, &actor, school_id, None).await?;
    Ok(crate::http::xlsx::download(
        "调代课记录.xlsx",
        &change::EXPORT_HEADERS,
        &change::export_rows(&rows),
    ))
}

#[derive(Template)]
#[template(path = "attendance/hours.html")]
struct HoursPage {
    frame: Frame,
    r: HoursReport,
    /// teachers or students; empty on the institution's page.
    who: String,
    /// Where the filter form goes.
    action: String,
    school_id: Option<i64>,
    q: HoursPageQuery,
}

#[derive(Deserialize, Default, Clone)]
pub struct HoursPageQuery {
    who: Option<String>,
    from: Option<String>,
    to: Option<String>,
    by: Option<String>,
    category: Option<String>,
    source: Option<String>,
}

impl HoursPageQuery {
    fn hours(&self) -> HoursQuery {
        HoursQuery {
            from: self.from.clone(),
            to: self.to.clone(),
            by: self.by.clone(),
            category: self.category.clone(),
            source: self.source.clone(),
        }
    }

    fn students(&self) -> bool {
        self.who.as_deref() == Some("students")
    }

    /// The query string of the same report, for its export.
    fn query_string(&self, r: &HoursReport) -> String {
        let mut parts = vec![
            format!("from={}", r.from),
            format!("to={}", r.to),
            format!("by={}", r.by),
        ];
        if self.students() {
            parts.push("who=students".into());
        }
        for (k, v) in [("category", &self.category), ("source", &self.source)] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                parts.push(format!("{k}={}", crate::http::extract::urlencode(v)));
            }
        }
        parts.join("&")
    }
}

async fn school_hours(
    state: &AppState,
    actor: &Actor,
    school_id: i64,
    q: &HoursPageQuery,
) -> Result<HoursReport, Error> {
    if q.students() {
        hours::students(&state.app, actor, school_id, &q.hours()).await
    } else {
        hours::teachers(&state.app, actor, school_id, &q.hours()).await
    }
}

/// `GET /schools/{id}/attendance/hours?who=&from=&to=&by=&category=&source=`: teachers' or
/// students' lesson hours.
pub async fn hours(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<HoursPageQuery>,
) -> PageResult {
    let r = school_hours(&state, &actor, school_id, &q).await?;
    Ok(crate::http::page::render(&HoursPage {
        frame: frame(&state, &p, "课时统计", "/attendance/school", "").await?,
        who: if q.students() { "students" } else { "teachers" }.into(),
        action: format!("/schools/{school_id}/attendance/hours"),
        school_id: Some(school_id),
        r,
        q,
    }))
}

/// `GET /schools/{id}/attendance/hours.xlsx`: the same report as a workbook.
pub async fn hours_xlsx(
    State(state): State<AppState>,
    PageActor(_, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<HoursPageQuery>,
) -> PageResult {
    let r = school_hours(&state, &actor, school_id, &q).await?;
    let (who, name) = if q.students() {
        ("学生", "学生课时")
    } else {
        ("教师", "教师课时")
    };
    Ok(crate::http::xlsx::file(
        &format!("{name}{}至{}.xlsx", r.from, r.to),
        hours::workbook(&r, who),
    ))
}

/// `GET /institution/lesson-hours`: the institution's teachers across schools.
pub async fn institution_hours(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PageQuery(q): PageQuery<HoursPageQuery>,
) -> PageResult {
    let r = hours::institution(&state.app, &actor, actor.org_id, &q.hours()).await?;
    Ok(crate::http::page::render(&HoursPage {
        frame: frame(&state, &p, "教师课时", "/institution", "").await?,
        who: String::new(),
        action: "/institution/lesson-hours".into(),
        school_id: None,
        r,
        q,
    }))
}

#[derive(Template)]
#[template(path = "attendance/symptoms.html")]
struct SymptomsPage {
    frame: Frame,
    r: SymptomReport,
}

/// `GET /attendance/symptoms?date=`: the day's sick-leave symptoms of the jurisdiction.
pub async fn symptoms(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PageQuery(q): PageQuery<SymptomQuery>,
) -> PageResult {
    let r = symptoms::daily(&state.app, &actor, &q).await?;
    Ok(crate::http::page::render(&SymptomsPage {
        frame: frame(&state, &p, "症状日报", "/attendance/symptoms", "").await?,
        r,
    }))
}

/// `GET /attendance/symptoms.xlsx?date=`.
pub async fn symptoms_xlsx(
    State(state): State<AppState>,
    PageActor(_, actor): PageActor,
    PageQuery(q): PageQuery<SymptomQuery>,
) -> PageResult {
    let r = symptoms::daily(&state.app, &actor, &q).await?;
    Ok(crate::http::xlsx::file(
        &format!("症状日报{}.xlsx", r.date),
        symptoms::workbook(&r),
    ))
}

/// `POST /attendance/teacher-leaves`: a teacher asks for leave.
pub async fn request_teacher_leave(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let input = TeacherLeaveInput {
        from: data.text("from"),
        to: data.text("to"),
        reason: data.text("reason"),
    };
    match teacher_leave::request(&state.app, &actor, input).await {
        Ok(_) => Ok(Redirect::to("/attendance?notice=teacher_leave_requested").into_response()),
        Err(e) => {
            let (_, errors) = FormErrors::from_error(e)?;
            teacher_page(&state, &p, &actor, "", errors).await
        }
    }
}

/// `POST /attendance/teacher-leaves/{id}/revoke`.
pub async fn revoke_teacher_leave(
    State(state): State<AppState>,
    PageActor(_, actor): PageActor,
    PagePath(leave_id): PagePath<i64>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    teacher_leave::revoke(&state.app, &actor, leave_id).await?;
    Ok(Redirect::to("/attendance?notice=revoked").into_response())
}

/// `POST /attendance/teacher-leaves/{id}/decide`: the school decides, naming the substitute
/// and the pay per lesson in yuan.
pub async fn decide_teacher_leave(
    State(state): State<AppState>,
    PageActor(_, actor): PageActor,
    PagePath(leave_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let fee_fen = Some(fee_of(&data)?);
    let d = decision(&data);
    teacher_leave::decide(
        &state.app,
        &actor,
        leave_id,
        TeacherLeaveDecision {
            approve: d.approve,
            note: d.note,
            substitute_staff_id: data
                .get("substitute_staff_id")
                .and_then(|v| v.trim().parse().ok()),
            fee_fen,
        },
    )
    .await?;
    let to = back(&data, "/attendance/school");
    Ok(Redirect::to(&with_notice(&to, "decided")).into_response())
}
