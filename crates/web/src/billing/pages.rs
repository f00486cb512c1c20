//! Money pages. Parents (phone first): pay one order or all that wait, the sandbox's
//! cashier, the payment's result and its electronic receipt (page and PDF). Schools: the
//! receiving accounts.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use kehou_domain::OrgKind;
use kehou_service::billing::account::{self, AccountInput, AccountView};
use kehou_service::billing::payment::{self, PayInput, PaymentView};
use kehou_service::billing::receipt::{self, Receipt};
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
pub async fn index(PageActor(_p, actor): PageActor) -> PageResult {
    actor.require(kehou_domain::Permission::BillingManage)?;
    if actor.org_kind == OrgKind::School {
        return Ok(Redirect::to(&format!("/schools/{}/billing", actor.org_id)).into_response());
    }
    Err(PageError(kehou_service::Error::NotFound("学校")))
}

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "billing/manage.html")]
struct ManagePage {
    frame: Frame,
    school_id: i64,
    accounts: Vec<AccountView>,
    channels: Vec<(&'static str, &'static str)>,
    errors: FormErrors,
}

/// `/schools/{id}/billing`: the receiving accounts.
pub async fn manage(
    State(state): State<AppState>,
    PageActor(p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    PageQuery(q): PageQuery<NoticeQuery>,
) -> PageResult {
    manage_page(
        &state,
        &p,
        &actor,
        school_id,
        q.notice.as_deref().unwrap_or(""),
        FormErrors::default(),
    )
    .await
    .map(|page| render(&page))
}

async fn manage_page(
    state: &AppState,
    p: &kehou_service::Principal,
    actor: &kehou_service::Actor,
    school_id: i64,
    notice: &str,
    errors: FormErrors,
) -> Result<ManagePage, PageError> {
    let accounts = account::list(&state.app, actor, school_id).await?;
    let notice = match notice {
        "saved" => "收款账户已保存",
        _ => "",
    };
    Ok(ManagePage {
        frame: frame(state, p, "收费管理", "/billing", notice).await?,
        school_id,
        accounts,
        channels: state.app.payments.all(),
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
                &manage_page(&state, &p, &actor, school_id, "", errors).await?,
            ))
        }
    }
}
