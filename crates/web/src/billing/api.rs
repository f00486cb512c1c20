//! The money API: receiving accounts, payments and the channels' notifications, refunds,
//! an order's ledger, receipts.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use kehou_service::billing::account::{self, AccountInput, AccountView};
use kehou_service::billing::channel::Incoming;
use kehou_service::billing::ledger::{self, LedgerView};
use kehou_service::billing::notify;
use kehou_service::billing::offer::{self, OfferAnswer, OfferInput, OfferView};
use kehou_service::billing::payment::{self, PayInput, PaymentView};
use kehou_service::billing::receipt::{self, Receipt};
use kehou_service::billing::reconcile::{
    self, DifferenceView, ReconView, ResolveDifferenceInput, RunInput,
};
use kehou_service::billing::refund::{
    self, AnswerInput, RefundInput, RefundPreview, RefundView, ReportInput, ReportView,
    ResolveInput,
};
use kehou_service::billing::relief::{
    self, ExtendInput, ExtendView, RemindInput, RemindResult, WaiverInput, WaiverView,
};
use kehou_service::billing::report::{
    self, JurisdictionMoney, OrderRow, OrdersQuery, PeriodQuery, Summary,
};
use kehou_service::billing::rules::{self, FeeRulesInput, FeeRulesView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::http::api::ListBody;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiActor, ApiJson, ApiPath, ApiQuery};
use crate::http::files::stored_file;

/// The school's receiving accounts (their keys are never shown).
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/receiving-accounts", tag = "billing",
    params(("school_id" = i64, Path)),
    responses((status = 200, body = ListBody<AccountView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn accounts(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
) -> Result<Json<ListBody<AccountView>>, ApiError> {
    Ok(Json(ListBody::whole(
        account::list(&state.app, &actor, school_id).await?,
    )))
}

/// Creates or replaces the school's receiving account at one channel.
#[utoipa::path(put, path = "/api/v1/schools/{school_id}/receiving-accounts", tag = "billing",
    params(("school_id" = i64, Path)), request_body = AccountInput,
    responses((status = 200, body = AccountView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn save_account(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiJson(b): ApiJson<AccountInput>,
) -> Result<Json<AccountView>, ApiError> {
    Ok(Json(account::save(&state.app, &actor, school_id, b).await?))
}

/// Starts a payment of one or several unpaid orders of one school (merged payment):
/// answers what the page needs to pay at the channel.
#[utoipa::path(post, path = "/api/v1/payments", tag = "billing",
    request_body = PayInput,
    responses((status = 200, body = PaymentView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, description = "the channel is down; the orders stay held", body = ErrorBody)))]
pub async fn create_payment(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<PayInput>,
) -> Result<Json<PaymentView>, ApiError> {
    Ok(Json(payment::create(&state.app, &actor, b).await?))
}

/// A payment; while open, the channel is asked how it stands.
#[utoipa::path(get, path = "/api/v1/payments/{payment_id}", tag = "billing",
    params(("payment_id" = i64, Path)),
    responses((status = 200, body = PaymentView), (status = 404, body = ErrorBody)))]
pub async fn get_payment(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(payment_id): ApiPath<i64>,
) -> Result<Json<PaymentView>, ApiError> {
    Ok(Json(payment::get(&state.app, &actor, payment_id).await?))
}

/// The electronic receipt of a paid payment.
#[utoipa::path(get, path = "/api/v1/payments/{payment_id}/receipt", tag = "billing",
    params(("payment_id" = i64, Path)),
    responses((status = 200, body = Receipt), (status = 404, body = ErrorBody), (status = 409, description = "not paid", body = ErrorBody)))]
pub async fn get_receipt(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(payment_id): ApiPath<i64>,
) -> Result<Json<Receipt>, ApiError> {
    Ok(Json(receipt::get(&state.app, &actor, payment_id).await?))
}

/// The electronic receipt as a PDF.
#[utoipa::path(get, path = "/api/v1/payments/{payment_id}/receipt.pdf", tag = "billing",
    params(("payment_id" = i64, Path)),
    responses((status = 200, description = "the receipt", content_type = "application/pdf"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn receipt_pdf(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(payment_id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    let (name, pdf) = receipt::pdf(&state.app, &actor, payment_id).await?;
    Ok(stored_file("application/pdf", &name, pdf))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotifyQuery {
    /// The receiving account the payment named in its notify URL.
    pub account: Option<i64>,
}

/// The channel's answer to a notification, in its own terms.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotifyAnswer {
    /// SUCCESS, or FAIL (the channel sends it again).
    pub code: &'static str,
    pub message: String,
}

/// The largest notification read; a channel's are a few kilobytes.
const NOTIFY_MAX: usize = 64 * 1024;

/// A payment channel's notification (payment or refund result). Signed by the channel and
/// encrypted with the school's key; verified before anything in it is used; applied once.
/// Needs no login: the signature is the proof.
#[utoipa::path(post, path = "/api/v1/pay/notify/{channel}", tag = "billing",
    params(("channel" = String, Path, description = "sandbox, wechat, alipay or unionpay"), NotifyQuery),
    request_body(content = String, description = "the channel's signed notification", content_type = "application/json"),
    responses((status = 200, body = NotifyAnswer), (status = 404, description = "no such channel", body = NotifyAnswer), (status = 400, description = "about an unknown trade or a wrong amount: refused and recorded", body = NotifyAnswer), (status = 401, description = "signature, time or content does not hold: refused and recorded", body = NotifyAnswer), (status = 500, description = "ours failed: send again", body = NotifyAnswer)),
    security(()))]
pub async fn notify(
    State(state): State<AppState>,
    ApiPath(channel): ApiPath<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let answer = |status: StatusCode, code: &'static str, message: String| {
        (status, Json(NotifyAnswer { code, message })).into_response()
    };
    // Read by hand: a channel gets this endpoint's own answer, never a framework's.
    let q = match query.as_deref().map(account_of_query).transpose() {
        Ok(account) => NotifyQuery {
            account: account.flatten(),
        },
        Err(()) => return answer(StatusCode::BAD_REQUEST, "FAIL", "收款账户参数无效".into()),
    };
    if state.app.payments.get(&channel).is_none() {
        return answer(StatusCode::NOT_FOUND, "FAIL", "没有这个支付通道".into());
    }
    if body.len() > NOTIFY_MAX {
        return answer(StatusCode::PAYLOAD_TOO_LARGE, "FAIL", "通知过大".into());
    }
    let headers: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let incoming = Incoming {
        headers: &headers,
        body: &body,
    };
    match notify::receive(&state.app, &channel, q.account, &incoming).await {
        Ok(_) => answer(StatusCode::OK, "SUCCESS", "成功".into()),
        Err(kehou_service::Error::Forbidden(m)) => answer(StatusCode::UNAUTHORIZED, "FAIL", m),
        Err(e @ kehou_service::Error::Invalid(_)) => {
            answer(StatusCode::BAD_REQUEST, "FAIL", e.one_line())
        }
        Err(e) => answer(StatusCode::INTERNAL_SERVER_ERROR, "FAIL", e.one_line()),
    }
}

/// An order's ledger: every money movement and the balance.
#[utoipa::path(get, path = "/api/v1/orders/{order_id}/ledger", tag = "billing",
    params(("order_id" = i64, Path)),
    responses((status = 200, body = LedgerView), (status = 404, body = ErrorBody)))]
pub async fn order_ledger(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(order_id): ApiPath<i64>,
) -> Result<Json<LedgerView>, ApiError> {
    Ok(Json(ledger::of(&state.app, &actor, order_id).await?))
}

/// What the course's refund rule gives for an order now, explained, and its refunds.
#[utoipa::path(get, path = "/api/v1/orders/{order_id}/refund-preview", tag = "billing",
    params(("order_id" = i64, Path)),
    responses((status = 200, body = RefundPreview), (status = 404, body = ErrorBody)))]
pub async fn refund_preview(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(order_id): ApiPath<i64>,
) -> Result<Json<RefundPreview>, ApiError> {
    Ok(Json(refund::preview(&state.app, &actor, order_id).await?))
}

/// Refunds part of a paid order by its original channel: the amount stated, or the
/// course rule's when left out. Never more than received less refunded.
#[utoipa::path(post, path = "/api/v1/orders/{order_id}/refunds", tag = "billing",
    params(("order_id" = i64, Path)), request_body = RefundInput,
    responses((status = 200, body = RefundView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "more than may be refunded, or nothing received", body = ErrorBody)))]
pub async fn create_refund(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(order_id): ApiPath<i64>,
    ApiJson(b): ApiJson<RefundInput>,
) -> Result<Json<RefundView>, ApiError> {
    Ok(Json(
        refund::request(&state.app, &actor, order_id, b).await?,
    ))
}

/// Resolves a failed refund by hand (the money went back outside the channel).
#[utoipa::path(post, path = "/api/v1/refunds/{refund_id}/resolve", tag = "billing",
    params(("refund_id" = i64, Path)), request_body = ResolveInput,
    responses((status = 200, body = RefundView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn resolve_refund(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(refund_id): ApiPath<i64>,
    ApiJson(b): ApiJson<ResolveInput>,
) -> Result<Json<RefundView>, ApiError> {
    Ok(Json(
        refund::resolve(&state.app, &actor, refund_id, b).await?,
    ))
}

/// The school's reconciliation: recent days against the channel's bill, and their
/// differences.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/reconciliation", tag = "billing",
    params(("school_id" = i64, Path)),
    responses((status = 200, body = ReconView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn reconciliation(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
) -> Result<Json<ReconView>, ApiError> {
    Ok(Json(reconcile::view(&state.app, &actor, school_id).await?))
}

/// Downloads one day's bill of each of the school's accounts now and matches it.
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/reconciliation", tag = "billing",
    params(("school_id" = i64, Path)), request_body = RunInput,
    responses((status = 200, body = ReconView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, description = "the channel is down", body = ErrorBody)))]
pub async fn run_reconciliation(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiJson(b): ApiJson<RunInput>,
) -> Result<Json<ReconView>, ApiError> {
    Ok(Json(
        reconcile::run_now(&state.app, &actor, school_id, b).await?,
    ))
}

/// Resolves a reconciliation difference with a note.
#[utoipa::path(post, path = "/api/v1/recon-differences/{difference_id}/resolve", tag = "billing",
    params(("difference_id" = i64, Path)), request_body = ResolveDifferenceInput,
    responses((status = 200, body = DifferenceView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn resolve_difference(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(difference_id): ApiPath<i64>,
    ApiJson(b): ApiJson<ResolveDifferenceInput>,
) -> Result<Json<DifferenceView>, ApiError> {
    Ok(Json(
        reconcile::resolve(&state.app, &actor, difference_id, b).await?,
    ))
}

/// A term's orders with their money, filtered by status, time, course and class.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/orders", tag = "billing",
    params(("school_id" = i64, Path), OrdersQuery),
    responses((status = 200, body = ListBody<OrderRow>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn school_orders(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<OrdersQuery>,
) -> Result<Json<ListBody<OrderRow>>, ApiError> {
    Ok(Json(ListBody::from(
        report::orders(&state.app, &actor, school_id, q).await?,
    )))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// The term; the school's current one when left out.
    pub term_id: Option<i64>,
    /// course, grade, class, channel or status.
    pub by: Option<String>,
}

/// Receivable, received, refunded and waived of a term, by course, grade, class, channel
/// or status.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/orders/summary", tag = "billing",
    params(("school_id" = i64, Path), SummaryQuery),
    responses((status = 200, body = Summary), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn orders_summary(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<SummaryQuery>,
) -> Result<Json<Summary>, ApiError> {
    let query = OrdersQuery {
        term_id: q.term_id,
        ..Default::default()
    };
    Ok(Json(
        report::summary(
            &state.app,
            &actor,
            school_id,
            query,
            q.by.as_deref().unwrap_or("course"),
        )
        .await?,
    ))
}

/// The matching orders as .xlsx.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/orders/export", tag = "billing",
    params(("school_id" = i64, Path), OrdersQuery),
    responses((status = 200, description = "the orders", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn export_orders(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<OrdersQuery>,
) -> Result<Response, ApiError> {
    let rows = report::export(&state.app, &actor, school_id, q).await?;
    Ok(crate::http::xlsx::download(
        "订单.xlsx",
        &report::EXPORT_HEADERS,
        &rows,
    ))
}

/// Reminds every guardian with an unpaid order of the term (or course, or class) to pay
/// (一键催缴); each guardian at most once a day.
#[utoipa::path(post, path = "/api/v1/schools/{school_id}/payment-reminders", tag = "billing",
    params(("school_id" = i64, Path)), request_body = RemindInput,
    responses((status = 200, body = RemindResult), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remind(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiJson(b): ApiJson<RemindInput>,
) -> Result<Json<RemindResult>, ApiError> {
    Ok(Json(
        relief::remind(&state.app, &actor, school_id, b).await?,
    ))
}

/// Waives part or all of an unpaid order for a family in difficulty (困难家庭减免).
#[utoipa::path(post, path = "/api/v1/orders/{order_id}/waivers", tag = "billing",
    params(("order_id" = i64, Path)), request_body = WaiverInput,
    responses((status = 200, body = WaiverView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn waive(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(order_id): ApiPath<i64>,
    ApiJson(b): ApiJson<WaiverInput>,
) -> Result<Json<WaiverView>, ApiError> {
    Ok(Json(relief::waive(&state.app, &actor, order_id, b).await?))
}

/// The school extends an unpaid order's deadline (延期缴费).
#[utoipa::path(post, path = "/api/v1/orders/{order_id}/extension", tag = "billing",
    params(("order_id" = i64, Path)), request_body = ExtendInput,
    responses((status = 200, body = ExtendView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn extend(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(order_id): ApiPath<i64>,
    ApiJson(b): ApiJson<ExtendInput>,
) -> Result<Json<ExtendView>, ApiError> {
    Ok(Json(relief::extend(&state.app, &actor, order_id, b).await?))
}

/// A guardian reports that a refund has not arrived.
#[utoipa::path(post, path = "/api/v1/refunds/{refund_id}/reports", tag = "billing",
    params(("refund_id" = i64, Path)), request_body = ReportInput,
    responses((status = 200, body = ReportView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn report_refund(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(refund_id): ApiPath<i64>,
    ApiJson(b): ApiJson<ReportInput>,
) -> Result<Json<ReportView>, ApiError> {
    Ok(Json(
        refund::report(&state.app, &actor, refund_id, b).await?,
    ))
}

/// The school's "refund not received" reports, open first.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/refund-reports", tag = "billing",
    params(("school_id" = i64, Path)),
    responses((status = 200, body = ListBody<ReportView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn refund_reports(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
) -> Result<Json<ListBody<ReportView>>, ApiError> {
    Ok(Json(ListBody::whole(
        refund::reports(&state.app, &actor, school_id).await?,
    )))
}

/// The school answers a report.
#[utoipa::path(post, path = "/api/v1/refund-reports/{report_id}/answer", tag = "billing",
    params(("report_id" = i64, Path)), request_body = AnswerInput,
    responses((status = 200, body = ReportView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn answer_report(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(report_id): ApiPath<i64>,
    ApiJson(b): ApiJson<AnswerInput>,
) -> Result<Json<ReportView>, ApiError> {
    Ok(Json(
        refund::answer(&state.app, &actor, report_id, b).await?,
    ))
}

/// The `account` of a notify URL's query: absent, or a positive number.
fn account_of_query(query: &str) -> Result<Option<i64>, ()> {
    let mut account = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k == "account" {
            account = Some(v.parse::<i64>().ok().filter(|n| *n > 0).ok_or(())?);
        }
    }
    Ok(account)
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TermParam {
    /// The term; the school's current one when left out.
    pub term_id: Option<i64>,
}

/// The fee rules of each priced course of the school's term: how parents pay (the whole
/// term, by the month, by the lessons held) and how it refunds.
#[utoipa::path(get, path = "/api/v1/schools/{school_id}/fee-rules", tag = "billing",
    params(("school_id" = i64, Path), TermParam),
    responses((status = 200, body = ListBody<FeeRulesView>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn fee_rules(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(school_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<TermParam>,
) -> Result<Json<ListBody<FeeRulesView>>, ApiError> {
    Ok(Json(ListBody::whole(
        rules::list(&state.app, &actor, school_id, q.term_id).await?,
    )))
}

/// Sets a course's fee rules; orders already placed keep theirs.
#[utoipa::path(put, path = "/api/v1/offering-items/{item_id}/fee-rules", tag = "billing",
    params(("item_id" = i64, Path)), request_body = FeeRulesInput,
    responses((status = 200, body = FeeRulesView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn save_fee_rules(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(item_id): ApiPath<i64>,
    ApiJson(b): ApiJson<FeeRulesInput>,
) -> Result<Json<FeeRulesView>, ApiError> {
    Ok(Json(rules::save(&state.app, &actor, item_id, b).await?))
}

/// Receivable, received, refunded and waived (with how many waivers) per school of the
/// bureau's jurisdiction over a period: what the bureau supervises.
#[utoipa::path(get, path = "/api/v1/billing/jurisdiction", tag = "billing",
    params(PeriodQuery),
    responses((status = 200, body = JurisdictionMoney), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn jurisdiction(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Json<JurisdictionMoney>, ApiError> {
    Ok(Json(report::jurisdiction(&state.app, &actor, &q).await?))
}

/// The school proposes a refund amount for the parent to confirm (协商退费); refunded
/// only once confirmed.
#[utoipa::path(post, path = "/api/v1/orders/{order_id}/refund-offers", tag = "billing",
    params(("order_id" = i64, Path)), request_body = OfferInput,
    responses((status = 200, body = OfferView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_offer(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(order_id): ApiPath<i64>,
    ApiJson(b): ApiJson<OfferInput>,
) -> Result<Json<OfferView>, ApiError> {
    Ok(Json(offer::create(&state.app, &actor, order_id, b).await?))
}

/// A guardian confirms (the amount is refunded by the original payments) or declines.
#[utoipa::path(post, path = "/api/v1/refund-offers/{offer_id}/answer", tag = "billing",
    params(("offer_id" = i64, Path)), request_body = OfferAnswer,
    responses((status = 200, body = OfferView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn answer_offer(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(offer_id): ApiPath<i64>,
    ApiJson(b): ApiJson<OfferAnswer>,
) -> Result<Json<OfferView>, ApiError> {
    Ok(Json(offer::answer(&state.app, &actor, offer_id, b).await?))
}
