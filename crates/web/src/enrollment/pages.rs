//! Enrollment pages. Parents (phone first): a child's selectable courses, the notice to
//! sign, the selection with each item's answer, the waitlist, the history and each order's
//! snapshot. Schools: the term's rules, windows, exclusive groups, notice, the roster and
//! the signatures as .xlsx.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use kehou_domain::{OrgKind, Permission};
use kehou_service::Principal;
use kehou_service::enrollment::assign::{self, AssignView, MergeInput, MoveInput, RunInput};
use kehou_service::enrollment::change::{self, EnrollmentChangeInput, EnrollmentChangeView};
use kehou_service::enrollment::drops::{self, DecisionInput, DropRequestView};
use kehou_service::enrollment::lottery::{
    self, DrawView, PreferencesInput, PreferencesView, SeedInput,
};
use kehou_service::enrollment::notice::{self, NoticeInput, NoticeView, SignInput};
use kehou_service::enrollment::order::{self, DropInput, EnrollmentView, OrderView};
use kehou_service::enrollment::roster::{self, CancelInput, HeadView, RosterQuery, RosterRow};
use kehou_service::enrollment::select::{
    self, EnrollInput, ItemInput, ItemOutcome, SelectableView,
};
use kehou_service::enrollment::settings::{
    self, GroupInput, RulesInput, SettingsView, WindowInput,
};
use kehou_service::enrollment::waitlist::{self, JoinInput, WaitView};
use kehou_service::school::calendar;
use kehou_service::school::student::ChildView;
use serde::Deserialize;

use crate::AppState;
use crate::course::pick_term;
use crate::http::extract::{CsrfForm, PageActor, PagePath, PageQuery};
use crate::http::page::{
    FormData, FormErrors, Frame, ListInfo, Opt, PageError, PageResult, frame, page_of, render,
    rerender,
};

#[derive(Deserialize, Default)]
pub struct ChildQuery {
    student_id: Option<String>,
    term: Option<String>,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "enrollment/enroll.html")]
struct EnrollPage {
    frame: Frame,
    children: Vec<ChildView>,
    v: Option<SelectableView>,
    notice: Option<NoticeView>,
    outcomes: Vec<ItemOutcome>,
    history: Vec<EnrollmentView>,
    /// The unpaid orders of the history, to pay together, and their sum.
    unpaid: Vec<i64>,
    unpaid_total: String,
    waits: Vec<WaitView>,
    prefs: Option<PreferencesView>,
    /// The selected class of each seat's choices, 3 × 3, for the form.
    pref_grid: Vec<Vec<String>>,
    errors: FormErrors,
}

async fn enroll_page(
    state: &AppState,
    p: &Principal,
    q: &ChildQuery,
    outcomes: Vec<ItemOutcome>,
    errors: FormErrors,
) -> Result<EnrollPage, PageError> {
    let a = p.actor()?;
    let children = kehou_service::school::student::my_children(&state.app, p).await?;
    let wanted: Option<i64> = q.student_id.as_deref().and_then(|s| s.parse().ok());
    let child = match wanted {
        Some(id) => children.iter().find(|c| c.student_id == id),
        None => children.first(),
    };
    let (v, notice, history, waits) = match child {
        None => (None, None, Vec::new(), Vec::new()),
        Some(c) => {
            let term = q.term.as_deref().and_then(|t| t.parse().ok());
            let v = select::selectable(&state.app, a, c.student_id, term).await?;
            let notice = match &v.notice {
                Some(_) => notice::current(&state.app, a, v.school_id, v.term_id)
                    .await
                    .ok(),
                None => None,
            };
            let history = order::history(&state.app, a, c.student_id).await?;
            let waits = waitlist::of_student(&state.app, a, c.student_id).await?;
            (Some(v), notice, history, waits)
        }
    };
    let prefs = match &v {
        Some(v) => Some(lottery::preferences(&state.app, a, v.student_id, Some(v.term_id)).await?)
            .filter(|p| p.open || !p.slots.is_empty() || !p.results.is_empty()),
        None => None,
    };
    let pref_grid = (0..lottery::SLOTS_MAX)
        .map(|i| {
            (0..lottery::CHOICES_MAX)
                .map(|r| {
                    prefs
                        .as_ref()
                        .and_then(|p| p.slots.get(i))
                        .and_then(|s| s.get(r))
                        .map(|c| c.teaching_class_id.to_string())
                        .unwrap_or_default()
                })
                .collect()
        })
        .collect();
    let unpaid_orders: Vec<&OrderView> = history
        .iter()
        .filter(|e| e.can_cancel)
        .filter_map(|e| e.order.as_ref())
        .filter(|o| o.status == "pending_payment" && o.total_fen > 0)
        .collect();
    let unpaid: Vec<i64> = unpaid_orders.iter().map(|o| o.id).collect();
    let unpaid_total =
        kehou_domain::Fen(unpaid_orders.iter().map(|o| o.total_fen).sum()).to_string();
    Ok(EnrollPage {
        unpaid,
        unpaid_total,
        frame: frame(
            state,
            p,
            "报名选课",
            "/enroll",
            q.notice.as_deref().unwrap_or(""),
        )
        .await?,
        children,
        v,
        notice,
        outcomes,
        history,
        waits,
        prefs,
        pref_grid,
        errors,
    })
}

/// `/enroll?student_id=`: a child's courses to choose from, the notice, the history.
pub async fn enroll(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PageQuery(q): PageQuery<ChildQuery>,
) -> PageResult {
    Ok(render(
        &enroll_page(&state, &p, &q, Vec::new(), FormErrors::default()).await?,
    ))
}

fn child_query(data: &FormData) -> ChildQuery {
    ChildQuery {
        student_id: Some(data.text("student_id")),
        term: None,
        notice: None,
    }
}

/// The ticked classes or courses (`class:12`, `course:7`), each with its optional fees.
fn picked(data: &FormData) -> Vec<ItemInput> {
    let textbook = data.all("textbook");
    let misc = data.all("misc");
    data.all("pick")
        .iter()
        .map(|v| {
            let (kind, id) = v.split_once(':').unwrap_or(("", ""));
            let id = id.parse().ok();
            let mut fees = Vec::new();
            if textbook.contains(v) {
                fees.push("textbook".to_string());
            }
            if misc.contains(v) {
                fees.push("misc".to_string());
            }
            ItemInput {
                teaching_class_id: if kind == "class" { id } else { None },
                offering_item_id: if kind == "course" { id } else { None },
                optional_fees: Some(fees),
            }
        })
        .collect()
}

/// The selection: the page again, with each item's answer on top.
pub async fn select(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let q = child_query(&data);
    let input = EnrollInput {
        student_id: data.text("student_id").parse().ok(),
        items: Some(picked(&data)),
    };
    match select::enroll(&state.app, &actor, input).await {
        Ok(r) => Ok(render(
            &enroll_page(&state, &p, &q, r.items, FormErrors::default()).await?,
        )),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &enroll_page(&state, &p, &q, Vec::new(), errors).await?,
            ))
        }
    }
}

/// Runs a parent's action and goes back to the child's page, or shows the page with the
/// refusal.
async fn then_back(
    state: &AppState,
    p: &Principal,
    data: &FormData,
    done: kehou_service::Result<()>,
    notice: &str,
) -> PageResult {
    let q = child_query(data);
    match done {
        Ok(()) => Ok(Redirect::to(&format!(
            "/enroll?student_id={}&notice={notice}",
            q.student_id.as_deref().unwrap_or("")
        ))
        .into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &enroll_page(state, p, &q, Vec::new(), errors).await?,
            ))
        }
    }
}

pub async fn sign(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let input = SignInput {
        student_id: data.text("student_id").parse().ok(),
        notice_id: data.text("notice_id").parse().ok(),
    };
    let done = notice::sign(&state.app, &actor, input).await.map(|_| ());
    then_back(&state, &p, &data, done, "signed").await
}

/// The ranked choices: `slot1`…`slot3`, each up to three classes in order.
pub async fn set_preferences(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let slots: Vec<Vec<i64>> = (1..=lottery::SLOTS_MAX)
        .map(|i| {
            data.all(&format!("slot{i}"))
                .iter()
                .filter_map(|v| v.parse().ok())
                .collect::<Vec<i64>>()
        })
        .filter(|s| !s.is_empty())
        .collect();
    let input = PreferencesInput {
        term_id: data.text("term_id").parse().ok(),
        slots: Some(slots),
    };
    let student: i64 = data.text("student_id").parse().unwrap_or(0);
    let done = lottery::set_preferences(&state.app, &actor, student, input)
        .await
        .map(|_| ());
    then_back(&state, &p, &data, done, "saved").await
}

pub async fn join_waitlist(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let input = JoinInput {
        student_id: data.text("student_id").parse().ok(),
        teaching_class_id: data.text("teaching_class_id").parse().ok(),
    };
    let done = waitlist::join(&state.app, &actor, input).await.map(|_| ());
    then_back(&state, &p, &data, done, "waitlisted").await
}

pub async fn leave_waitlist(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(entry_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let done = waitlist::leave(&state.app, &actor, entry_id)
        .await
        .map(|_| ());
    then_back(&state, &p, &data, done, "saved").await
}

pub async fn drop(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(enrollment_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let reason = data.text("reason");
    let input = DropInput {
        reason: (!reason.trim().is_empty()).then_some(reason),
    };
    let done = order::drop(&state.app, &actor, enrollment_id, input).await;
    let requested = done.as_ref().is_ok_and(|e| {
        e.drop_request
            .as_ref()
            .is_some_and(|r| r.status == "pending")
    });
    let code = if requested {
        "drop_requested"
    } else {
        "dropped"
    };
    then_back(&state, &p, &data, done.map(|_| ()), code).await
}

/// The parent withdraws a drop request that waits.
pub async fn withdraw_drop(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(request_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let done = drops::withdraw(&state.app, &actor, request_id)
        .await
        .map(|_| ());
    then_back(&state, &p, &data, done, "drop_withdrawn").await
}

/// The parent asks to move an enrollment to another class or course.
pub async fn request_change(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(enrollment_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let input = EnrollmentChangeInput {
        to_class_id: data.text("to_class_id").parse().ok(),
        reason: Some(data.text("reason")),
    };
    let done = change::request(&state.app, &actor, enrollment_id, input)
        .await
        .map(|_| ());
    then_back(&state, &p, &data, done, "course_change_requested").await
}

/// The parent withdraws a change request that waits.
pub async fn withdraw_change(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(request_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let done = change::withdraw(&state.app, &actor, request_id)
        .await
        .map(|_| ());
    then_back(&state, &p, &data, done, "course_change_withdrawn").await
}

/// The school approves or rejects a change request from 报名管理.
pub async fn decide_change(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, request_id)): PagePath<(i64, i64)>,
    PageQuery(q): PageQuery<ManageQuery>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let input = decision_of(&data);
    let code = if input.approve == Some(true) {
        "course_change_approved"
    } else {
        "course_change_rejected"
    };
    let done = change::decide(&state.app, &actor, request_id, input).await;
    school_back(&state, &p, school_id, &q, done, code, "changes").await
}

/// The decision of a review form: the pressed button and the note.
fn decision_of(data: &FormData) -> DecisionInput {
    let approve = match data.text("decision").as_str() {
        "approve" => Some(true),
        "reject" => Some(false),
        _ => None,
    };
    let note = data.text("note");
    DecisionInput {
        approve,
        note: (!note.trim().is_empty()).then_some(note),
    }
}

/// The school approves or rejects a drop request from 报名管理.
pub async fn decide_drop(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, request_id)): PagePath<(i64, i64)>,
    PageQuery(q): PageQuery<ManageQuery>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let input = decision_of(&data);
    let code = if input.approve == Some(true) {
        "drop_approved"
    } else {
        "drop_rejected"
    };
    let done = drops::decide(&state.app, &actor, request_id, input).await;
    school_back(&state, &p, school_id, &q, done, code, "drops").await
}

#[derive(Template)]
#[template(path = "enrollment/order.html")]
struct OrderPage {
    frame: Frame,
    o: OrderView,
    ledger: kehou_service::billing::ledger::LedgerView,
    payments: Vec<kehou_service::billing::payment::PaymentView>,
    refunds: Vec<kehou_service::billing::refund::RefundView>,
    offers: Vec<kehou_service::billing::offer::OfferView>,
}

/// `/enroll/orders/{id}`: an order and what was bought.
pub async fn order_detail(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(order_id): PagePath<i64>,
) -> PageResult {
    let o = order::get(&state.app, &actor, order_id).await?;
    let ledger = kehou_service::billing::ledger::of(&state.app, &actor, order_id).await?;
    let payments = kehou_service::billing::payment::of_order(&state.app, &actor, order_id).await?;
    let preview = kehou_service::billing::refund::preview(&state.app, &actor, order_id).await?;
    Ok(render(&OrderPage {
        frame: frame(&state, &p, "订单详情", "/enroll", "").await?,
        o,
        ledger,
        payments,
        refunds: preview.refunds,
        offers: preview.offers,
    }))
}

// ---- the school's side ----

/// `/enrollment`: a school's people go to their school's page.
pub async fn index(PageActor(_p, actor): PageActor) -> PageResult {
    if actor.org_kind == OrgKind::School {
        return Ok(Redirect::to(&format!("/schools/{}/enrollment", actor.org_id)).into_response());
    }
    Err(PageError(kehou_service::Error::NotFound("学校")))
}

#[derive(Deserialize, Default)]
pub struct ManageQuery {
    term: Option<String>,
    class: Option<String>,
    status: Option<String>,
    notice: Option<String>,
    page: Option<String>,
    size: Option<String>,
}

#[derive(Template)]
#[template(path = "enrollment/manage.html")]
struct ManagePage {
    frame: Frame,
    school_id: i64,
    term_id: i64,
    terms: Vec<Opt>,
    s: SettingsView,
    max_courses: String,
    notice: Option<NoticeView>,
    notice_title: String,
    rows: Vec<RosterRow>,
    list: ListInfo,
    drops: Vec<DropRequestView>,
    changes: Vec<EnrollmentChangeView>,
    classes: Vec<Opt>,
    class_filter: String,
    status_filter: String,
    kinds: Vec<Opt>,
    grades: Vec<Opt>,
    statuses: Vec<Opt>,
    /// The answer to the school's selection for a student, when one was just made.
    outcomes: Vec<ItemOutcome>,
    errors: FormErrors,
}

async fn manage_page(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    q: &ManageQuery,
    errors: FormErrors,
) -> Result<ManagePage, PageError> {
    let a = p.actor()?;
    let terms = calendar::list_terms(&state.app, a, school_id).await?;
    let term = pick_term(&terms, q.term.as_deref(), state.app.today())
        .ok_or(PageError(kehou_service::Error::NotFound("学期")))?;
    let s = settings::get(&state.app, a, school_id, term.id).await?;
    let notice = notice::current(&state.app, a, school_id, term.id)
        .await
        .ok();
    let class_filter = q.class.clone().unwrap_or_default();
    let status_filter = q.status.clone().unwrap_or_default();
    let paging = page_of(q.page.as_deref(), q.size.as_deref());
    let page = roster::list(
        &state.app,
        a,
        school_id,
        term.id,
        &RosterQuery {
            teaching_class_id: class_filter.parse().ok(),
            status: Some(status_filter.clone())
                .filter(|s| kehou_domain::enrollment::EnrollmentStatus::parse(s).is_some()),
            page: Some(paging.page),
            page_size: Some(paging.page_size),
            ..Default::default()
        },
    )
    .await?;
    let term_text = term.id.to_string();
    let list = ListInfo::new(
        &page,
        &[
            ("term", &term_text),
            ("class", &class_filter),
            ("status", &status_filter),
        ],
    );
    let rows = page.items;
    let mut drops = drops::list(&state.app, a, school_id, term.id, None).await?;
    // Every waiting request, and the latest decided ones for reference.
    let waiting = drops.iter().filter(|d| d.status == "pending").count();
    drops.truncate(waiting + 20);
    let mut changes = change::list(&state.app, a, school_id, term.id, None).await?;
    let waiting = changes.iter().filter(|c| c.status == "pending").count();
    changes.truncate(waiting + 20);
    let classes = kehou_service::teaching::class::list(&state.app, a, school_id, term.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|c| {
            Opt::new(
                c.id,
                format!("{}（{}/{}）", c.name, c.enrolled, c.capacity_max),
            )
        })
        .collect();
    Ok(ManagePage {
        frame: frame(
            state,
            p,
            "报名管理",
            "/enrollment",
            q.notice.as_deref().unwrap_or(""),
        )
        .await?,
        school_id,
        term_id: term.id,
        terms: terms
            .iter()
            .map(|t| Opt::new(t.id, format!("{} {}", t.school_year, t.name)))
            .collect(),
        max_courses: s.max_courses.map(|m| m.to_string()).unwrap_or_default(),
        s,
        notice_title: notice.as_ref().map(|n| n.title.clone()).unwrap_or_default(),
        notice,
        rows,
        list,
        drops,
        changes,
        classes,
        class_filter,
        status_filter,
        kinds: kehou_domain::enrollment::WindowKind::ALL
            .iter()
            .map(|k| Opt::new(k.code(), k.label()))
            .collect(),
        grades: (1..=9).map(|g| Opt::new(g, format!("{g}年级"))).collect(),
        statuses: kehou_domain::enrollment::EnrollmentStatus::ALL
            .iter()
            .map(|k| Opt::new(k.code(), k.label()))
            .collect(),
        outcomes: Vec::new(),
        errors,
    })
}

/// The school selects a class for a student (by number); the page shows the answer.
pub async fn select_for(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<ManageQuery>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::EnrollmentManage)?;
    let done = roster::select_by_number(
        &state.app,
        &actor,
        school_id,
        &data.text("student_no"),
        data.text("teaching_class_id").parse().ok(),
    )
    .await;
    match done {
        Ok(r) => {
            let mut page = manage_page(&state, &p, school_id, &q, FormErrors::default()).await?;
            page.outcomes = r.items;
            Ok(render(&page))
        }
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &manage_page(&state, &p, school_id, &q, errors).await?,
            ))
        }
    }
}

/// `/schools/{id}/enrollment?term=`: the term's enrollment settings, notice and roster.
pub async fn manage(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<ManageQuery>,
) -> PageResult {
    actor.require(Permission::EnrollmentManage)?;
    Ok(render(
        &manage_page(&state, &p, school_id, &q, FormErrors::default()).await?,
    ))
}

fn term_id(q: &ManageQuery) -> Result<i64, PageError> {
    q.term
        .as_deref()
        .and_then(|t| t.parse().ok())
        .ok_or(PageError(kehou_service::Error::NotFound("学期")))
}

/// Runs a school action and returns to the page (at `anchor`), or shows its errors.
async fn school_back<T>(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    q: &ManageQuery,
    done: kehou_service::Result<T>,
    notice: &str,
    anchor: &str,
) -> PageResult {
    match done {
        Ok(_) => Ok(Redirect::to(&format!(
            "/schools/{school_id}/enrollment?term={}&notice={notice}#{anchor}",
            q.term.as_deref().unwrap_or("")
        ))
        .into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &manage_page(state, p, school_id, q, errors).await?,
            ))
        }
    }
}

fn number(data: &FormData, key: &str) -> Option<i32> {
    let v = data.text(key);
    match v.trim() {
        "" => None,
        t => Some(t.parse().unwrap_or(-1)),
    }
}

pub async fn set_rules(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<ManageQuery>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::EnrollmentManage)?;
    let input = RulesInput {
        max_courses: number(&data, "max_courses"),
        hold_minutes: number(&data, "hold_minutes"),
    };
    let done = settings::set_rules(&state.app, &actor, school_id, term_id(&q)?, input).await;
    school_back(&state, &p, school_id, &q, done, "saved", "rules").await
}

pub async fn add_window(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<ManageQuery>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::EnrollmentManage)?;
    let input = WindowInput {
        kind: Some(data.text("kind")),
        grade: number(&data, "grade"),
        opens_at: Some(data.text("opens_at")),
        closes_at: Some(data.text("closes_at")),
    };
    let done = settings::add_window(&state.app, &actor, school_id, term_id(&q)?, input).await;
    school_back(&state, &p, school_id, &q, done, "saved", "windows").await
}

pub async fn remove_window(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, window_id)): PagePath<(i64, i64)>,
    PageQuery(q): PageQuery<ManageQuery>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    actor.require(Permission::EnrollmentManage)?;
    let done =
        settings::remove_window(&state.app, &actor, school_id, term_id(&q)?, window_id).await;
    school_back(&state, &p, school_id, &q, done, "saved", "windows").await
}

pub async fn add_group(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<ManageQuery>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::EnrollmentManage)?;
    let input = GroupInput {
        name: Some(data.text("name")),
        item_ids: Some(
            data.all("item_ids")
                .iter()
                .filter_map(|v| v.parse().ok())
                .collect(),
        ),
    };
    let done = settings::add_group(&state.app, &actor, school_id, term_id(&q)?, input).await;
    school_back(&state, &p, school_id, &q, done, "saved", "groups").await
}

pub async fn remove_group(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, group_id)): PagePath<(i64, i64)>,
    PageQuery(q): PageQuery<ManageQuery>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    actor.require(Permission::EnrollmentManage)?;
    let done = settings::remove_group(&state.app, &actor, school_id, term_id(&q)?, group_id).await;
    school_back(&state, &p, school_id, &q, done, "saved", "groups").await
}

pub async fn publish_notice(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<ManageQuery>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::EnrollmentManage)?;
    let input = NoticeInput {
        title: Some(data.text("title")),
        body: Some(data.text("body")),
    };
    let done = notice::publish(&state.app, &actor, school_id, term_id(&q)?, input).await;
    school_back(&state, &p, school_id, &q, done, "saved", "notice").await
}

/// The signatures of the term's notice as .xlsx (one teaching class with `class=`).
/// The term a download of 报名管理 asks for (`term=`), the current one by default.
async fn asked_term(
    state: &AppState,
    actor: &kehou_service::Actor,
    school_id: i64,
    q: &ManageQuery,
) -> Result<i64, PageError> {
    let terms = calendar::list_terms(&state.app, actor, school_id).await?;
    Ok(pick_term(&terms, q.term.as_deref(), state.app.today())
        .ok_or(PageError(kehou_service::Error::NotFound("学期")))?
        .id)
}

/// A picture of a course on the parent's page.
pub async fn picture(
    State(state): State<AppState>,
    PageActor(_p, actor): PageActor,
    PagePath((student_id, file_id)): PagePath<(i64, i64)>,
) -> PageResult {
    let (content_type, name, bytes) =
        select::picture(&state.app, &actor, student_id, file_id).await?;
    Ok(crate::http::files::stored_file(&content_type, &name, bytes))
}

pub async fn signatures(
    State(state): State<AppState>,
    PageActor(_p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<ManageQuery>,
) -> PageResult {
    actor.require(Permission::EnrollmentManage)?;
    let term = asked_term(&state, &actor, school_id, &q).await?;
    let class = q.class.as_deref().and_then(|c| c.parse().ok());
    let rows = notice::signatures(&state.app, &actor, school_id, term, class).await?;
    Ok(crate::http::xlsx::file(
        "报名须知签署.xlsx",
        notice::workbook(&rows),
    ))
}

/// Signed confirmations as PDF: the term's, or a teaching class's with `class`.
pub async fn confirmations(
    State(state): State<AppState>,
    PageActor(_p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<ManageQuery>,
) -> PageResult {
    actor.require(Permission::EnrollmentManage)?;
    let term = asked_term(&state, &actor, school_id, &q).await?;
    let class = q.class.as_deref().and_then(|c| c.parse().ok());
    let pdf = notice::confirmations(&state.app, &actor, school_id, term, class, None).await?;
    Ok(crate::http::files::stored_file(
        "application/pdf",
        "报名须知签署确认书.pdf",
        pdf,
    ))
}

/// One signed confirmation as PDF.
pub async fn confirmation(
    State(state): State<AppState>,
    PageActor(_p, actor): PageActor,
    PagePath((school_id, signature_id)): PagePath<(i64, i64)>,
) -> PageResult {
    let pdf = notice::confirmation(&state.app, &actor, school_id, signature_id).await?;
    Ok(crate::http::files::stored_file(
        "application/pdf",
        "报名须知签署确认书.pdf",
        pdf,
    ))
}

#[derive(Template)]
#[template(path = "enrollment/lottery.html")]
struct LotteryPage {
    frame: Frame,
    school_id: i64,
    term_id: i64,
    term: String,
    d: DrawView,
    errors: FormErrors,
}

async fn lottery_page(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    q: &ManageQuery,
    errors: FormErrors,
) -> Result<LotteryPage, PageError> {
    let a = p.actor()?;
    let terms = calendar::list_terms(&state.app, a, school_id).await?;
    let term = pick_term(&terms, q.term.as_deref(), state.app.today())
        .ok_or(PageError(kehou_service::Error::NotFound("学期")))?;
    let d = lottery::get_draw(&state.app, a, school_id, term.id).await?;
    Ok(LotteryPage {
        frame: frame(
            state,
            p,
            "志愿抽签",
            "/enrollment",
            q.notice.as_deref().unwrap_or(""),
        )
        .await?,
        school_id,
        term_id: term.id,
        term: format!("{} {}", term.school_year, term.name),
        d,
        errors,
    })
}

/// `/schools/{id}/enrollment/lottery?term=`: the seed, the draw and its report.
pub async fn lottery(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<ManageQuery>,
) -> PageResult {
    actor.require(Permission::EnrollmentManage)?;
    Ok(render(
        &lottery_page(&state, &p, school_id, &q, FormErrors::default()).await?,
    ))
}

async fn lottery_back<T>(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    q: &ManageQuery,
    done: kehou_service::Result<T>,
) -> PageResult {
    match done {
        Ok(_) => Ok(Redirect::to(&format!(
            "/schools/{school_id}/enrollment/lottery?term={}&notice=saved",
            q.term.as_deref().unwrap_or("")
        ))
        .into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &lottery_page(state, p, school_id, q, errors).await?,
            ))
        }
    }
}

pub async fn publish_seed(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<ManageQuery>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::EnrollmentManage)?;
    let seed = data.text("seed");
    let input = SeedInput {
        seed: (!seed.trim().is_empty()).then_some(seed),
    };
    let done = lottery::publish_seed(&state.app, &actor, school_id, term_id(&q)?, input).await;
    lottery_back(&state, &p, school_id, &q, done).await
}

pub async fn run_draw(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<ManageQuery>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    actor.require(Permission::EnrollmentManage)?;
    let done = lottery::run_draw(&state.app, &actor, school_id, term_id(&q)?).await;
    lottery_back(&state, &p, school_id, &q, done).await
}

pub async fn publish_report(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<ManageQuery>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    actor.require(Permission::EnrollmentManage)?;
    let done = lottery::publish_report(&state.app, &actor, school_id, term_id(&q)?).await;
    lottery_back(&state, &p, school_id, &q, done).await
}

#[derive(Deserialize, Default)]
pub struct AssignQuery {
    term: Option<String>,
    item: Option<String>,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "enrollment/assign.html")]
struct AssignPage {
    frame: Frame,
    school_id: i64,
    term_id: i64,
    item: String,
    a: AssignView,
    /// Each waiting student's proposed class, as the form's selected value.
    proposed: Vec<String>,
    errors: FormErrors,
}

async fn assign_page(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    q: &AssignQuery,
    a: Option<AssignView>,
    errors: FormErrors,
) -> Result<AssignPage, PageError> {
    let actor = p.actor()?;
    let terms = calendar::list_terms(&state.app, actor, school_id).await?;
    let term = pick_term(&terms, q.term.as_deref(), state.app.today())
        .ok_or(PageError(kehou_service::Error::NotFound("学期")))?;
    let item = q.item.as_deref().and_then(|i| i.parse().ok());
    let a = match a {
        Some(a) => a,
        None => assign::get(&state.app, actor, school_id, term.id, item).await?,
    };
    Ok(AssignPage {
        frame: frame(
            state,
            p,
            "分班",
            "/enrollment",
            q.notice.as_deref().unwrap_or(""),
        )
        .await?,
        school_id,
        term_id: term.id,
        item: a.item_id.map(|i| i.to_string()).unwrap_or_default(),
        proposed: a
            .students
            .iter()
            .map(|x| {
                x.proposed_class_id
                    .map(|c| c.to_string())
                    .unwrap_or_default()
            })
            .collect(),
        a,
        errors,
    })
}

/// `/schools/{id}/enrollment/assign?term=&item=`: class assignment of enroll-first courses.
pub async fn assignment(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<AssignQuery>,
) -> PageResult {
    actor.require(Permission::EnrollmentManage)?;
    Ok(render(
        &assign_page(&state, &p, school_id, &q, None, FormErrors::default()).await?,
    ))
}

fn assign_term(q: &AssignQuery) -> Result<i64, PageError> {
    q.term
        .as_deref()
        .and_then(|t| t.parse().ok())
        .ok_or(PageError(kehou_service::Error::NotFound("学期")))
}

/// Shows the page with the result (the run's unplaced students) or with the error.
async fn assign_done(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    q: &AssignQuery,
    done: kehou_service::Result<AssignView>,
) -> PageResult {
    match done {
        Ok(a) => Ok(render(
            &assign_page(state, p, school_id, q, Some(a), FormErrors::default()).await?,
        )),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &assign_page(state, p, school_id, q, None, errors).await?,
            ))
        }
    }
}

pub async fn run_assignment(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<AssignQuery>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::EnrollmentManage)?;
    let input = RunInput {
        item_id: q.item.as_deref().and_then(|i| i.parse().ok()),
        keep_admin_classes_together: Some(data.get("together").is_some()),
    };
    let done = assign::run(&state.app, &actor, school_id, assign_term(&q)?, input).await;
    assign_done(&state, &p, school_id, &q, done).await
}

pub async fn move_student(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<AssignQuery>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::EnrollmentManage)?;
    let input = MoveInput {
        enrollment_id: data.text("enrollment_id").parse().ok(),
        teaching_class_id: data.text("teaching_class_id").parse().ok(),
    };
    let done = assign::move_one(&state.app, &actor, school_id, assign_term(&q)?, input).await;
    assign_done(&state, &p, school_id, &q, done).await
}

pub async fn publish_assignment(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<AssignQuery>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    actor.require(Permission::EnrollmentManage)?;
    let item = q.item.as_deref().and_then(|i| i.parse().ok());
    let done = assign::publish(&state.app, &actor, school_id, assign_term(&q)?, item).await;
    assign_done(&state, &p, school_id, &q, done).await
}

pub async fn merge_classes(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<AssignQuery>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    actor.require(Permission::EnrollmentManage)?;
    let students: Vec<i64> = data
        .text("student_ids")
        .split(|c: char| c == ',' || c == '，' || c.is_whitespace())
        .filter_map(|x| x.trim().parse().ok())
        .collect();
    let input = MergeInput {
        from_class_id: data.text("from_class_id").parse().ok(),
        into_class_id: data.text("into_class_id").parse().ok(),
        student_ids: (!students.is_empty()).then_some(students),
    };
    let done = assign::merge(&state.app, &actor, school_id, assign_term(&q)?, input).await;
    assign_done(&state, &p, school_id, &q, done).await
}

#[derive(Template)]
#[template(path = "enrollment/head.html")]
struct HeadPage {
    frame: Frame,
    h: HeadView,
    errors: FormErrors,
}

async fn head_page(
    state: &AppState,
    p: &Principal,
    notice: &str,
    errors: FormErrors,
) -> Result<HeadPage, PageError> {
    let a = p.actor()?;
    Ok(HeadPage {
        frame: frame(state, p, "本班报名", "/enrollment/my-classes", notice).await?,
        h: roster::head_teacher(&state.app, a, None).await?,
        errors,
    })
}

/// `/enrollment/my-classes`: a head teacher's classes' enrollments, with cancelling.
pub async fn head_teacher(
    State(state): State<AppState>,
    PageActor(p, _): PageActor,
    PageQuery(q): PageQuery<ChildQuery>,
) -> PageResult {
    Ok(render(
        &head_page(
            &state,
            &p,
            q.notice.as_deref().unwrap_or(""),
            FormErrors::default(),
        )
        .await?,
    ))
}

pub async fn cancel_for(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(enrollment_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let input = CancelInput {
        reason: Some(data.text("reason")),
    };
    match roster::cancel_for(&state.app, &actor, enrollment_id, input).await {
        Ok(_) => Ok(Redirect::to("/enrollment/my-classes?notice=dropped").into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(status, &head_page(&state, &p, "", errors).await?))
        }
    }
}
