//! Money pages. Parents (phone first): pay one order or all that wait, the sandbox's
//! cashier, the payment's result and its electronic receipt (page and PDF). Schools: the
//! receiving accounts.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use kehou_domain::OrgKind;
use kehou_service::Page;
use kehou_service::billing::account::{self, AccountInput, AccountView};
use kehou_service::billing::payment::{self, PayInput, PaymentView};
use kehou_service::billing::receipt::{self, Receipt};
use kehou_service::billing::reconcile::{self, ReconView, ResolveDifferenceInput, RunInput};
use kehou_service::billing::relief::{self, RemindInput, WaiverInput};
use kehou_service::billing::report::{self, OrderRow, OrdersQuery, Summary};
use serde::Deserialize;

use crate::AppState;
use crate::http::extract::{CsrfForm, PageActor, PagePath, PagePrincipal, PageQuery};
use crate::http::files::stored_file;
use crate::http::page::{FormErrors, Frame, PageError, PageResult, frame, render, rerender};

#[derive(Template)]
#[template(path = "billing/payment.html")]
struct PaymentPage {
    frame: Frame,
    p: Option<PaymentView>,
    errors: FormErrors,
}

/// `POST /enroll/pay`: pays the orders named (`order_id`, one or several): to the
/// channel's cashier.
pub async fn pay(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let mut order_ids = Vec::new();
    for raw in data.all("order_id") {
        match raw.trim().parse::<i64>() {
            Ok(id) => order_ids.push(id),
            Err(_) => {
                return Err(PageError(kehou_service::Error::invalid(
                    "order_id",
                    "订单编号无效",
                )));
            }
        }
    }
    match payment::create(&state.app, &actor, PayInput { order_ids }).await {
        Ok(v) => match v.pay {
            Some(pay) => Ok(Redirect::to(&pay.pay_url).into_response()),
            None => Ok(Redirect::to(&format!("/enroll/payments/{}", v.id)).into_response()),
        },
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &PaymentPage {
                    frame: frame(&state, &p, "缴费", "/enroll", "").await?,
                    p: None,
                    errors,
                },
            ))
        }
    }
}

/// `/enroll/payments/{id}`: where the cashier comes back to; asks the channel while the
/// payment is open.
pub async fn payment_page(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(payment_id): PagePath<i64>,
) -> PageResult {
    let v = payment::get(&state.app, &actor, payment_id).await?;
    Ok(render(&PaymentPage {
        frame: frame(&state, &p, "缴费结果", "/enroll", "").await?,
        p: Some(v),
        errors: FormErrors::default(),
    }))
}

#[derive(Template)]
#[template(path = "billing/receipt.html")]
struct ReceiptPage {
    frame: Frame,
    r: Receipt,
}

/// `/enroll/payments/{id}/receipt`: the electronic receipt.
pub async fn receipt_page(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(payment_id): PagePath<i64>,
) -> PageResult {
    let r = receipt::get(&state.app, &actor, payment_id).await?;
    Ok(render(&ReceiptPage {
        frame: frame(&state, &p, "电子票据", "/enroll", "").await?,
        r,
    }))
}

/// `/enroll/payments/{id}/receipt.pdf`.
pub async fn receipt_pdf(
    State(state): State<AppState>,
    PageActor(_p, actor): PageActor,
    PagePath(payment_id): PagePath<i64>,
) -> PageResult {
    let (name, pdf) = receipt::pdf(&state.app, &actor, payment_id).await?;
    Ok(stored_file("application/pdf", &name, pdf))
}

#[derive(Template)]
#[template(path = "billing/cashier.html")]
struct CashierPage {
    frame: Frame,
    prepay_id: String,
    merchant: String,
    description: String,
    amount: String,
    state: String,
    expires: String,
    error: String,
}

/// `/pay/sandbox/{prepay_id}`: the sandbox channel's cashier, where the parent confirms
/// or fails the payment (a real channel shows its own).
pub async fn cashier(
    State(state): State<AppState>,
    PagePrincipal(p): PagePrincipal,
    PagePath(prepay_id): PagePath<String>,
) -> PageResult {
    cashier_page(&state, &p, &prepay_id, String::new()).await
}

async fn cashier_page(
    state: &AppState,
    p: &kehou_service::Principal,
    prepay_id: &str,
    error: String,
) -> PageResult {
    let trade = state
        .app
        .payments
        .sandbox()
        .trade_by_prepay(prepay_id)
        .await
        .map_err(|e| PageError(kehou_service::Error::Unavailable(e.to_string())))?
        .ok_or(PageError(kehou_service::Error::NotFound("支付单")))?;
    let page = CashierPage {
        frame: frame(state, p, "沙箱支付", "/enroll", "").await?,
        prepay_id: prepay_id.to_string(),
        merchant: trade.mch_id.clone(),
        description: trade.description.clone(),
        amount: kehou_domain::Fen(trade.amount_fen).to_string(),
        state: trade.state.clone(),
        expires: kehou_service::platform::clock::china_label(trade.expires_at),
        error,
    };
    Ok(render(&page))
}

/// The parent's choice on the cashier: `action` = `pay` or `fail`; back to the merchant.
pub async fn cashier_submit(
    State(state): State<AppState>,
    PagePrincipal(p): PagePrincipal,
    PagePath(prepay_id): PagePath<String>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let succeed = match data.text("action").as_str() {
        "pay" => true,
        "fail" => false,
        _ => return cashier_page(&state, &p, &prepay_id, "请选择确认支付或模拟失败".into()).await,
    };
    match state
        .app
        .payments
        .sandbox()
        .pay(&prepay_id, succeed, state.app.now())
        .await
    {
        Ok(trade) => Ok(Redirect::to(&trade.return_url).into_response()),
        Err(e) => cashier_page(&state, &p, &prepay_id, e.to_string()).await,
    }
}

// ---- the school's side ----

/// `/billing`: a school's people go to their school's page.
#[derive(Template)]
#[template(path = "billing/jurisdiction.html")]
struct JurisdictionPage {
    frame: Frame,
    money: kehou_service::billing::report::JurisdictionMoney,
}

#[derive(Deserialize, Default)]
pub struct PeriodForm {
    from: Option<String>,
    to: Option<String>,
}

/// `/billing`: a school's staff go to their school's page; a bureau sees the money of
/// every school of its jurisdiction.
pub async fn index(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PageQuery(q): PageQuery<PeriodForm>,
) -> PageResult {
    actor.require(kehou_domain::Permission::BillingView)?;
    if actor.org_kind == OrgKind::School {
        return Ok(Redirect::to(&format!("/schools/{}/billing", actor.org_id)).into_response());
    }
    let money = kehou_service::billing::report::jurisdiction(
        &state.app,
        &actor,
        &kehou_service::billing::report::PeriodQuery {
            from: q.from,
            to: q.to,
        },
    )
    .await?;
    Ok(render(&JurisdictionPage {
        frame: frame(&state, &p, "收费监管", "/billing", "").await?,
        money,
    }))
}

#[derive(Deserialize, Default)]
pub struct ManageQuery {
    notice: Option<String>,
    status: Option<String>,
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "billing/manage.html")]
struct ManagePage {
    frame: Frame,
    school_id: i64,
    accounts: Vec<AccountView>,
    channels: Vec<(&'static str, &'static str)>,
    orders: Page<OrderRow>,
    status: String,
    statuses: Vec<(&'static str, &'static str)>,
    summary: Summary,
    recon: ReconView,
    reports: Vec<kehou_service::billing::refund::ReportView>,
    fee_rules: Vec<kehou_service::billing::rules::FeeRulesView>,
    pay_modes: Vec<kehou_service::billing::rules::PayModeChoice>,
    today: String,
    errors: FormErrors,
}

/// Sets one course's fee rules from the 收费与退费规则 table.
pub async fn save_fee_rules(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, item_id)): PagePath<(i64, i64)>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let input = kehou_service::billing::rules::FeeRulesInput {
        pay_mode: data.text("pay_mode"),
        refund_leave: data.get("refund_leave").is_some(),
        refund_absence: data.get("refund_absence").is_some(),
        materials_before_start_only: data.get("materials_before_start_only").is_some(),
    };
    match kehou_service::billing::rules::save(&state.app, &actor, item_id, input).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/schools/{school_id}/billing?notice=rules#fee-rules"
        ))
        .into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &manage_page(
                    &state,
                    &p,
                    &actor,
                    school_id,
                    &ManageQuery::default(),
                    errors,
                )
                .await?,
            ))
        }
    }
}

/// `/schools/{id}/billing`: orders, reminders and relief, statistics, reconciliation,
/// receiving accounts.
pub async fn manage(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<ManageQuery>,
) -> PageResult {
    manage_page(&state, &p, &actor, school_id, &q, FormErrors::default())
        .await
        .map(|page| render(&page))
}

async fn manage_page(
    state: &AppState,
    p: &kehou_service::Principal,
    actor: &kehou_service::Actor,
    school_id: i64,
    q: &ManageQuery,
    errors: FormErrors,
) -> Result<ManagePage, PageError> {
    let accounts = account::list(&state.app, actor, school_id).await?;
    let notice = match q.notice.as_deref().unwrap_or("") {
        "saved" => "收款账户已保存".to_string(),
        "reconciled" => "对账完成".to_string(),
        "resolved" => "差异已处理".to_string(),
        "waived" => "减免已登记".to_string(),
        "refunded" => "退款已提交，款项将原路退回".to_string(),
        "extended" => "缴费期限已延长，已通知家长".to_string(),
        "answered" => "已答复家长".to_string(),
        "offered" => "退款金额已发给家长确认，确认后原路退回".to_string(),
        "rules" => "收费与退费规则已保存，此后的新订单按新规则".to_string(),
        n if n.starts_with("reminded") => {
            let count = n.trim_start_matches("reminded");
            format!("已向 {count} 位家长发送缴费提醒（当天已提醒过的家长不再重复提醒）")
        }
        _ => String::new(),
    };
    let status = q.status.clone().unwrap_or_default();
    let query = OrdersQuery {
        status: (!status.is_empty()).then(|| status.clone()),
        page: q.page.as_deref().and_then(|p| p.parse().ok()),
        page_size: Some(50),
        ..Default::default()
    };
    let orders = report::orders(&state.app, actor, school_id, query).await?;
    let summary = report::summary(
        &state.app,
        actor,
        school_id,
        OrdersQuery::default(),
        "course",
    )
    .await?;
    let recon = reconcile::view(&state.app, actor, school_id).await?;
    let reports = kehou_service::billing::refund::reports(&state.app, actor, school_id).await?;
    let fee_rules = kehou_service::billing::rules::list(&state.app, actor, school_id, None).await?;
    Ok(ManagePage {
        reports,
        fee_rules,
        pay_modes: kehou_service::billing::rules::pay_modes(),
        frame: frame(state, p, "收费管理", "/billing", &notice).await?,
        school_id,
        accounts,
        channels: state.app.payments.all(),
        orders,
        status,
        statuses: kehou_domain::enrollment::OrderStatus::ALL
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
        summary,
        recon,
        today: state.app.today().to_string(),
        errors,
    })
}

/// Saves a receiving account.
pub async fn save_account(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let key = data.text("api_key");
    let input = AccountInput {
        channel: data.text("channel"),
        merchant_id: data.text("merchant_id"),
        app_id: data.text("app_id"),
        account_name: data.text("account_name"),
        api_key: (!key.trim().is_empty()).then_some(key),
        active: data.get("active").is_some(),
    };
    match account::save(&state.app, &actor, school_id, input).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/schools/{school_id}/billing?notice=saved")).into_response())
        }
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &manage_page(
                    &state,
                    &p,
                    &actor,
                    school_id,
                    &ManageQuery::default(),
                    errors,
                )
                .await?,
            ))
        }
    }
}

/// After a school's form: back to the page with a notice, or the page again with the
/// error.
async fn school_back(
    state: &AppState,
    p: &kehou_service::Principal,
    actor: &kehou_service::Actor,
    school_id: i64,
    done: kehou_service::Result<String>,
    anchor: &str,
) -> PageResult {
    match done {
        Ok(notice) => Ok(Redirect::to(&format!(
            "/schools/{school_id}/billing?notice={notice}#{anchor}"
        ))
        .into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &manage_page(state, p, actor, school_id, &ManageQuery::default(), errors).await?,
            ))
        }
    }
}

/// 一键催缴: every guardian with an unpaid order of the current term.
pub async fn remind(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    CsrfForm(_data): CsrfForm,
) -> PageResult {
    let done = relief::remind(&state.app, &actor, school_id, RemindInput::default())
        .await
        .map(|r| format!("reminded{}", r.reminded));
    school_back(&state, &p, &actor, school_id, done, "orders").await
}

/// 困难家庭减免 of one unpaid order.
pub async fn waive(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, order_id)): PagePath<(i64, i64)>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let done = match kehou_domain::Fen::parse_yuan(&data.text("amount")) {
        Err(m) => Err(kehou_service::Error::invalid("amount_fen", m)),
        Ok(a) => relief::waive(
            &state.app,
            &actor,
            order_id,
            WaiverInput {
                amount_fen: a.fen(),
                reason: data.text("reason"),
                approved_by: data.text("approved_by"),
            },
        )
        .await
        .map(|_| "waived".to_string()),
    };
    school_back(&state, &p, &actor, school_id, done, "orders").await
}

/// A refund of a paid order by the school: the amount typed, or the course rule's.
pub async fn refund(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, order_id)): PagePath<(i64, i64)>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let raw = data.text("amount");
    let amount = if raw.trim().is_empty() {
        Ok(None)
    } else {
        kehou_domain::Fen::parse_yuan(&raw).map(|f| Some(f.fen()))
    };
    let done = match amount {
        Err(m) => Err(kehou_service::Error::invalid("amount_fen", m)),
        // The amount goes to the parent to confirm first (协商退费).
        Ok(amount_fen) if data.get("parent_confirms").is_some() => {
            kehou_service::billing::offer::create(
                &state.app,
                &actor,
                order_id,
                kehou_service::billing::offer::OfferInput {
                    amount_fen,
                    reason: data.text("reason"),
                },
            )
            .await
            .map(|_| "offered".to_string())
        }
        Ok(amount_fen) => kehou_service::billing::refund::request(
            &state.app,
            &actor,
            order_id,
            kehou_service::billing::refund::RefundInput {
                amount_fen,
                reason: data.text("reason"),
            },
        )
        .await
        .map(|_| "refunded".to_string()),
    };
    school_back(&state, &p, &actor, school_id, done, "orders").await
}

/// Reconciles one day now.
pub async fn run_reconciliation(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let done = reconcile::run_now(
        &state.app,
        &actor,
        school_id,
        RunInput {
            date: data.text("date"),
        },
    )
    .await
    .map(|_| "reconciled".to_string());
    school_back(&state, &p, &actor, school_id, done, "reconciliation").await
}

/// Resolves a difference with a note.
pub async fn resolve_difference(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, difference_id)): PagePath<(i64, i64)>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let done = reconcile::resolve(
        &state.app,
        &actor,
        difference_id,
        ResolveDifferenceInput {
            note: data.text("note"),
        },
    )
    .await
    .map(|_| "resolved".to_string());
    school_back(&state, &p, &actor, school_id, done, "reconciliation").await
}

/// The current term's orders as .xlsx.
pub async fn export_orders(
    State(state): State<AppState>,
    PageActor(_p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<ManageQuery>,
) -> PageResult {
    // The billing pages are the school's billing staff's.
    actor.require(kehou_domain::Permission::BillingManage)?;
    let status = q.status.unwrap_or_default();
    let rows = report::export(
        &state.app,
        &actor,
        school_id,
        OrdersQuery {
            status: (!status.is_empty()).then_some(status),
            ..Default::default()
        },
    )
    .await?;
    Ok(crate::http::xlsx::download(
        "订单.xlsx",
        &report::EXPORT_HEADERS,
        &rows,
    ))
}

/// A parent reports that a refund has not arrived, from the order's page.
/// The parent confirms or declines an amount the school proposed.
pub async fn answer_offer(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(offer_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let order_id = data.text("order_id");
    let accept = match data.text("accept").as_str() {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    };
    match kehou_service::billing::offer::answer(
        &state.app,
        &actor,
        offer_id,
        kehou_service::billing::offer::OfferAnswer { accept },
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/enroll/orders/{}", order_id.trim())).into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &PaymentPage {
                    frame: frame(&state, &p, "退款确认", "/enroll", "").await?,
                    p: None,
                    errors,
                },
            ))
        }
    }
}

pub async fn report_refund(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(refund_id): PagePath<i64>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let order_id = data.text("order_id");
    match kehou_service::billing::refund::report(
        &state.app,
        &actor,
        refund_id,
        kehou_service::billing::refund::ReportInput {
            note: data.text("note"),
        },
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/enroll/orders/{}", order_id.trim())).into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_error(e)?;
            Ok(rerender(
                status,
                &PaymentPage {
                    frame: frame(&state, &p, "退款反馈", "/enroll", "").await?,
                    p: None,
                    errors,
                },
            ))
        }
    }
}

/// 延期缴费 of one unpaid order.
pub async fn extend(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, order_id)): PagePath<(i64, i64)>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let done = relief::extend(
        &state.app,
        &actor,
        order_id,
        relief::ExtendInput {
            until: data.text("until").replace('T', " "),
        },
    )
    .await
    .map(|_| "extended".to_string());
    school_back(&state, &p, &actor, school_id, done, "orders").await
}

/// The school answers a "refund not received" report.
pub async fn answer_report(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath((school_id, report_id)): PagePath<(i64, i64)>,
    CsrfForm(data): CsrfForm,
) -> PageResult {
    let done = kehou_service::billing::refund::answer(
        &state.app,
        &actor,
        report_id,
        kehou_service::billing::refund::AnswerInput {
            answer: data.text("answer"),
        },
    )
    .await
    .map(|_| "answered".to_string());
    school_back(&state, &p, &actor, school_id, done, "reports").await
}
