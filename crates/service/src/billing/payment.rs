//! Payments (H3, H4): a guardian pays one unpaid order or several together (merged
//! payment) through the school's receiving account; the channel's answer — by
//! notification or by asking it — settles the payment once: the orders are paid, the
//! enrollments confirmed, the ledger gets one payment row per order, and the channel's
//! result is kept as an immutable snapshot. Money arriving for an order that is no longer
//! waiting (it expired, or another payment paid it) is refunded automatically.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use kehou_domain::Fen;
use kehou_domain::billing::{LedgerKind, PaymentStatus};
use kehou_domain::enrollment::OrderStatus;
use kehou_store::entity::billing::{payment, payment_order};
use kehou_store::entity::enrollment::order;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

use super::channel::{NewPayment, PayParams, Trade, TradeState};
use super::ledger::{self, NewEntry};
use crate::platform::audit::By;
use crate::platform::clock::china_label;
use crate::{Actor, App, Error, Result};

/// How long a payment stays open at most (a seat hold is usually shorter).
const OPEN_AT_MOST: Duration = Duration::hours(2);
/// At most this many orders in one merged payment.
pub const MAX_ORDERS: usize = 20;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct PayInput {
    /// The unpaid orders to pay together, of one school.
    pub order_ids: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PaidOrder {
    pub order_id: i64,
    pub order_no: String,
    pub student_id: i64,
    pub course: String,
    pub amount_fen: i64,
    pub amount: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PaymentView {
    pub id: i64,
    pub payment_no: String,
    pub school_id: i64,
    pub school: String,
    pub channel: String,
    pub channel_name: String,
    pub merchant_id: String,
    pub account_name: String,
    /// created, paid or closed.
    pub status: String,
    pub status_label: &'static str,
    pub amount_fen: i64,
    pub amount: String,
    pub description: String,
    /// What the page needs to pay, while the payment is open.
    pub pay: Option<PayParams>,
    pub transaction_id: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub expires_label: String,
    pub paid_at: Option<DateTime<Utc>>,
    pub paid_label: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_label: String,
    pub orders: Vec<PaidOrder>,
}

fn status_of(p: &payment::Model) -> PaymentStatus {
    PaymentStatus::parse(&p.status).unwrap_or(PaymentStatus::Closed)
}

pub(crate) async fn view(
    app: &App,
    db: &impl ConnectionTrait,
    p: payment::Model,
) -> Result<PaymentView> {
    let links = payment_order::Entity::find()
        .filter(payment_order::Column::PaymentId.eq(p.id))
        .order_by_asc(payment_order::Column::Id)
        .all(db)
        .await?;
    let orders = order::Entity::find()
        .filter(order::Column::Id.is_in(links.iter().map(|l| l.order_id)))
        .all(db)
        .await?;
    let account = super::account::by_id(db, p.account_id).await?;
    let school = crate::system::load_any_school(db, p.school_id).await?;
    let status = status_of(&p);
    let mut paid = Vec::new();
    for l in &links {
        let Some(o) = orders.iter().find(|o| o.id == l.order_id) else {
            continue;
        };
        let course = crate::enrollment::order::order_view(o.clone())
            .map(|v| v.snapshot.course)
            .unwrap_or_default();
        paid.push(PaidOrder {
            order_id: o.id,
            order_no: o.order_no.clone(),
            student_id: o.student_id,
            course,
            amount_fen: l.amount_fen,
            amount: Fen(l.amount_fen).to_string(),
        });
    }
    Ok(PaymentView {
        id: p.id,
        payment_no: p.payment_no,
        school_id: p.school_id,
        school: school.name,
        channel_name: app
            .payments
            .get(&p.channel)
            .map_or_else(|| p.channel.clone(), |c| c.name().to_string()),
        channel: p.channel,
        merchant_id: account.merchant_id,
        account_name: account.account_name,
        status: status.code().into(),
        status_label: status.label(),
        amount: Fen(p.amount_fen).to_string(),
        amount_fen: p.amount_fen,
        description: p.description,
        pay: match (status, p.prepay_id, p.pay_url) {
            (PaymentStatus::Created, Some(prepay_id), Some(pay_url)) => {
                Some(PayParams { prepay_id, pay_url })
            }
            _ => None,
        },
        transaction_id: p.transaction_id,
        expires_label: china_label(p.expires_at),
        expires_at: p.expires_at,
        paid_label: p.paid_at.map(china_label),
        paid_at: p.paid_at,
        created_label: china_label(p.created_at),
        created_at: p.created_at,
        orders: paid,
    })
}

/// A payment its payer, a guardian of one of its students, or the school's billing staff
/// may read.
async fn readable(app: &App, actor: &Actor, payment_id: i64) -> Result<payment::Model> {
    let p = payment::Entity::find_by_id(payment_id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("支付单"))?;
    if p.user_id == actor.user_id {
        return Ok(p);
    }
    if let Some(link) = payment_order::Entity::find()
        .filter(payment_order::Column::PaymentId.eq(p.id))
        .one(&app.db)
        .await?
        && super::ledger::readable_order(&app.db, actor, link.order_id)
            .await
            .is_ok()
    {
        return Ok(p);
    }
    Err(Error::NotFound("支付单"))
}

/// Starts a payment of unpaid orders: answers what the page needs to pay. An open payment
/// of exactly these orders is answered again; other open payments of them are closed
/// first (a payment that turns out paid settles instead).
pub async fn create(app: &App, actor: &Actor, input: PayInput) -> Result<PaymentView> {
    let ids: Vec<i64> = {
        let mut seen = HashSet::new();
        input
            .order_ids
            .iter()
            .copied()
            .filter(|id| seen.insert(*id))
            .collect()
    };
    if ids.is_empty() {
        return Err(Error::invalid("order_ids", "请选择要支付的订单"));
    }
    if ids.len() > MAX_ORDERS {
        return Err(Error::invalid(
            "order_ids",
            format!("一次最多合并支付 {MAX_ORDERS} 个订单"),
        ));
    }
    let mut orders = Vec::new();
    for id in &ids {
        let o = order::Entity::find_by_id(*id)
            .one(&app.db)
            .await?
            .ok_or(Error::NotFound("订单"))?;
        crate::enrollment::child_of(&app.db, actor, o.student_id)
            .await
            .map_err(|_| Error::NotFound("订单"))?;
        orders.push(o);
    }
    let school_id = orders[0].school_id;
    if orders.iter().any(|o| o.school_id != school_id) {
        return Err(Error::invalid("order_ids", "不同学校的订单请分别支付"));
    }
    let now = app.now();
    // Settle or close the open payments of these orders first.
    let open = open_payments_of(&app.db, &ids).await?;
    for p in open {
        let links = links_of(&app.db, p.id).await?;
        let same: HashSet<i64> = links.iter().map(|l| l.order_id).collect();
        if same == ids.iter().copied().collect::<HashSet<_>>() && p.expires_at > now {
            return view(app, &app.db, p).await;
        }
        close_at_channel(app, p).await?;
    }
    let mut total = 0i64;
    for o in &mut orders {
        *o = order::Entity::find_by_id(o.id)
            .one(&app.db)
            .await?
            .ok_or(Error::NotFound("订单"))?;
        let status = OrderStatus::parse(&o.status).unwrap_or(OrderStatus::Cancelled);
        // An unpaid order, or a bill of one paid by the month or by the lesson.
        let bill = matches!(status, OrderStatus::Paid | OrderStatus::OnAccount)
            && super::bill::mode_of(o) != kehou_domain::billing::PayMode::Term;
        if status != OrderStatus::PendingPayment && !bill {
            return Err(Error::conflict(format!(
                "订单 {} {}，不能支付",
                o.order_no,
                status.label()
            )));
        }
        if status == OrderStatus::PendingPayment && o.hold_until.is_some_and(|h| h <= now) {
            return Err(Error::conflict(format!(
                "订单 {} 已超过支付时限",
                o.order_no
            )));
        }
        let owed = ledger::balance(&app.db, o.id).await?;
        if owed.0 <= 0 {
            return Err(Error::conflict(format!("订单 {} 无需支付", o.order_no)));
        }
        total += owed.0;
    }
    let account = super::account::receiving(&app.db, school_id)
        .await?
        .ok_or_else(|| Error::conflict("学校尚未配置收款账户，暂不能在线缴费，请联系学校"))?;
    let channel = app
        .payments
        .get(&account.channel)
        .ok_or_else(|| Error::Unavailable("学校的支付通道未开通".into()))?;
    let expires_at = orders
        .iter()
        .filter_map(|o| o.hold_until)
        .min()
        .unwrap_or(now + OPEN_AT_MOST)
        .min(now + OPEN_AT_MOST);
    let first_course = crate::enrollment::order::order_view(orders[0].clone())
        .map(|v| v.snapshot.course)
        .unwrap_or_default();
    let description = if orders.len() == 1 {
        format!("课后服务费-{first_course}")
    } else {
        format!("课后服务费-{first_course}等{}门", orders.len())
    };
    let txn = kehou_store::begin_write(&app.db).await?;
    let p = payment::ActiveModel {
        payment_no: Set(super::new_number("PY", now)),
        school_id: Set(school_id),
        account_id: Set(account.id),
        channel: Set(account.channel.clone()),
        user_id: Set(actor.user_id),
        amount_fen: Set(total),
        status: Set(PaymentStatus::Created.code().into()),
        description: Set(description.chars().take(120).collect()),
        prepay_id: Set(None),
        pay_url: Set(None),
        transaction_id: Set(None),
        expires_at: Set(expires_at),
        paid_at: Set(None),
        closed_at: Set(None),
        result: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for o in &orders {
        let owed = ledger::balance(&txn, o.id).await?;
        payment_order::ActiveModel {
            payment_id: Set(p.id),
            order_id: Set(o.id),
            amount_fen: Set(owed.0),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    let merchant = super::account::merchant(app, &account)?;
    let asked = NewPayment {
        out_trade_no: p.payment_no.clone(),
        description: p.description.clone(),
        amount_fen: p.amount_fen,
        expires_at,
        notify_url: format!(
            "/api/v1/pay/notify/{}?account={}",
            account.channel, account.id
        ),
        return_url: format!("/enroll/payments/{}", p.id),
    };
    match channel.create(&merchant, &asked).await {
        Ok(params) => {
            let mut m = p.into_active_model();
            m.prepay_id = Set(Some(params.prepay_id));
            m.pay_url = Set(Some(params.pay_url));
            m.updated_at = Set(app.now());
            let p = m.update(&app.db).await?;
            view(app, &app.db, p).await
        }
        Err(e) => {
            // Nothing was paid: the payment closes, the orders wait for another try.
            let mut m = p.into_active_model();
            m.status = Set(PaymentStatus::Closed.code().into());
            m.closed_at = Set(Some(app.now()));
            m.updated_at = Set(app.now());
            m.update(&app.db).await?;
            Err(match e {
                super::channel::ChannelError::Unavailable(_) => Error::Unavailable(
                    "支付通道暂时不可用，请稍后再试；订单仍为您保留到支付时限".into(),
                ),
                other => Error::conflict(other.to_string()),
            })
        }
    }
}

async fn links_of(db: &impl ConnectionTrait, payment_id: i64) -> Result<Vec<payment_order::Model>> {
    Ok(payment_order::Entity::find()
        .filter(payment_order::Column::PaymentId.eq(payment_id))
        .order_by_asc(payment_order::Column::Id)
        .all(db)
        .await?)
}

async fn open_payments_of(
    db: &impl ConnectionTrait,
    order_ids: &[i64],
) -> Result<Vec<payment::Model>> {
    let ids: Vec<i64> = payment_order::Entity::find()
        .filter(payment_order::Column::OrderId.is_in(order_ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.payment_id)
        .collect();
    Ok(payment::Entity::find()
        .filter(payment::Column::Id.is_in(ids))
        .filter(payment::Column::Status.eq(PaymentStatus::Created.code()))
        .order_by_asc(payment::Column::Id)
        .all(db)
        .await?)
}

/// Asks the channel about an open payment and settles it when paid; else closes it at
/// the channel and here. The channel down: an `Unavailable` error, nothing changed.
async fn close_at_channel(app: &App, p: payment::Model) -> Result<()> {
    let account = super::account::by_id(&app.db, p.account_id).await?;
    let merchant = super::account::merchant(app, &account)?;
    let channel = app
        .payments
        .get(&p.channel)
        .ok_or_else(|| Error::Unavailable("支付通道未开通".into()))?;
    let unavailable = |e: super::channel::ChannelError| Error::Unavailable(e.to_string());
    if p.prepay_id.is_some() {
        let trade = channel
            .query(&merchant, &p.payment_no)
            .await
            .map_err(unavailable)?;
        if matches!(trade.trade_state, TradeState::Success | TradeState::Refund) {
            let plain = serde_json::to_string(&trade).unwrap_or_default();
            settle(app, &trade, &plain, None).await?;
            return Ok(());
        }
        if let Err(e) = channel.close(&merchant, &p.payment_no).await {
            // Paid in the meantime: settle by asking once more.
            let trade = channel
                .query(&merchant, &p.payment_no)
                .await
                .map_err(unavailable)?;
            if matches!(trade.trade_state, TradeState::Success | TradeState::Refund) {
                let plain = serde_json::to_string(&trade).unwrap_or_default();
                settle(app, &trade, &plain, None).await?;
                return Ok(());
            }
            return Err(unavailable(e));
        }
    }
    let now = app.now();
    payment::Entity::update_many()
        .col_expr(payment::Column::Status, PaymentStatus::Closed.code().into())
        .col_expr(payment::Column::ClosedAt, Some(now).into())
        .col_expr(payment::Column::UpdatedAt, now.into())
        .filter(payment::Column::Id.eq(p.id))
        .filter(payment::Column::Status.eq(PaymentStatus::Created.code()))
        .exec(&app.db)
        .await?;
    Ok(())
}

/// Before an unpaid order's seat is released: its open payments are asked about (and
/// settled if paid) and closed. The channel down: an error, and the hold job retries.
pub(crate) async fn before_expiry(app: &App, order_id: i64) -> Result<()> {
    for p in open_payments_of(&app.db, &[order_id]).await? {
        close_at_channel(app, p).await?;
    }
    Ok(())
}

/// A payment; while it is open the channel is asked, so that a parent coming back from
/// the cashier sees it paid even before the notification arrives.
pub async fn get(app: &App, actor: &Actor, payment_id: i64) -> Result<PaymentView> {
    let p = readable(app, actor, payment_id).await?;
    let p = if status_of(&p) == PaymentStatus::Created && p.prepay_id.is_some() {
        refresh(app, p).await?
    } else {
        p
    };
    view(app, &app.db, p).await
}

async fn refresh(app: &App, p: payment::Model) -> Result<payment::Model> {
    let account = super::account::by_id(&app.db, p.account_id).await?;
    let merchant = super::account::merchant(app, &account)?;
    let Some(channel) = app.payments.get(&p.channel) else {
        return Ok(p);
    };
    match channel.query(&merchant, &p.payment_no).await {
        Ok(trade) if matches!(trade.trade_state, TradeState::Success | TradeState::Refund) => {
            let plain = serde_json::to_string(&trade).unwrap_or_default();
            settle(app, &trade, &plain, None).await?;
        }
        Ok(trade) if trade.trade_state == TradeState::Closed => {
            close_at_channel(app, p.clone()).await?;
        }
        // Not paid yet, or the channel cannot say now: the page shows it as waiting.
        Ok(_) | Err(_) => {}
    }
    Ok(payment::Entity::find_by_id(p.id)
        .one(&app.db)
        .await?
        .unwrap_or(p))
}

/// What settling a trade did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    Applied,
    /// Already settled: nothing changed.
    Duplicate,
}

/// Settles a paid trade, once: in one transaction with the payment's row locked, the
/// payment becomes paid with the channel's result as its snapshot, each order gets its
/// payment row in the ledger and is paid (its enrollment confirmed), or — when it no
/// longer waits — a refund of what it got. Refuses an unknown trade or a wrong amount.
/// `heard`: the notification that brought the result, recorded as applied in the same
/// transaction (so that it is applied and recorded together or not at all).
pub(crate) async fn settle(
    app: &App,
    trade: &Trade,
    plain: &str,
    heard: Option<super::notify::Applied>,
) -> Result<Settled> {
    let now = app.now();
    let txn = kehou_store::begin_write(&app.db).await?;
    let p = payment::Entity::find()
        .filter(payment::Column::PaymentNo.eq(&trade.out_trade_no))
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| {
            Error::invalid(
                "out_trade_no",
                format!("未知的商户订单号 {}", trade.out_trade_no),
            )
        })?;
    let account = super::account::by_id(&txn, p.account_id).await?;
    if account.merchant_id != trade.mchid {
        return Err(Error::invalid("mchid", "商户号与支付单的收款账户不符"));
    }
    if trade.amount_fen != p.amount_fen {
        return Err(Error::invalid(
            "amount",
            format!(
                "金额不符：支付单 {}，通道 {}",
                Fen(p.amount_fen),
                Fen(trade.amount_fen)
            ),
        ));
    }
    let status = status_of(&p);
    if status == PaymentStatus::Paid {
        return Ok(Settled::Duplicate);
    }
    if !status.can_become(PaymentStatus::Paid) {
        return Err(Error::conflict("支付单状态不允许"));
    }
    let paid_at = trade.success_time.unwrap_or(now);
    let mut m = p.clone().into_active_model();
    m.status = Set(PaymentStatus::Paid.code().into());
    m.transaction_id = Set(trade.transaction_id.clone());
    m.paid_at = Set(Some(paid_at));
    m.result = Set(Some(plain.to_string()));
    m.updated_at = Set(now);
    let p = m.update(&txn).await?;
    let mut late = Vec::new();
    let mut guardians = Vec::new();
    for link in links_of(&txn, p.id).await? {
        let o = order::Entity::find_by_id(link.order_id)
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or(Error::NotFound("订单"))?;
        ledger::append(
            &txn,
            NewEntry {
                order: &o,
                kind: LedgerKind::Payment,
                amount: Fen(link.amount_fen),
                payment_id: Some(p.id),
                refund_id: None,
                waiver_id: None,
                note: format!("支付单 {} 收款", p.payment_no),
                by: Some(p.user_id),
                period: String::new(),
            },
            now,
        )
        .await?;
        let waiting = o.status == OrderStatus::PendingPayment.code();
        // A bill of a running order paid by the month or by the lesson: what it owed
        // before this payment covers it.
        let bill = !waiting
            && super::bill::mode_of(&o) != kehou_domain::billing::PayMode::Term
            && ledger::balance(&txn, o.id).await?.0 >= 0;
        if bill {
            guardians.extend(
                crate::enrollment::tell_guardians(
                    &txn,
                    o.student_id,
                    "缴费成功".into(),
                    format!(
                        "订单 {} 的账单已支付 {} 元。电子票据可在报名记录中查看。",
                        o.order_no,
                        Fen(link.amount_fen)
                    ),
                    now,
                )
                .await?,
            );
        } else if waiting && crate::enrollment::order::paid(&txn, &o, now).await? {
            guardians.extend(
                crate::enrollment::tell_guardians(
                    &txn,
                    o.student_id,
                    "缴费成功".into(),
                    format!(
                        "订单 {} 已支付 {} 元，报名已确认。电子票据可在报名记录中查看。",
                        o.order_no,
                        Fen(link.amount_fen)
                    ),
                    now,
                )
                .await?,
            );
        } else {
            late.push((o, link.amount_fen));
        }
    }
    let school = crate::system::load_any_school(&txn, p.school_id).await?;
    super::record(
        &txn,
        app,
        &By::system(),
        (school.id, &school.path),
        "billing.paid",
        ("payment", p.id),
        format!(
            "支付单 {} 收款 {} 元（{} 交易号 {}）",
            p.payment_no,
            Fen(p.amount_fen),
            p.channel,
            p.transaction_id.clone().unwrap_or_default()
        ),
    )
    .await?;
    let mut refunds = Vec::new();
    for (o, amount) in late {
        refunds.push(
            super::refund::open(
                &txn,
                app,
                &o,
                &p,
                Fen(amount),
                super::refund::Source::LatePayment,
                "订单已关闭或已由其他支付单支付，款项原路退回",
                super::refund::Explanation::stated("订单已关闭后到账，全额退还"),
                None,
            )
            .await?,
        );
    }
    if let Some(h) = heard {
        h.record(&txn).await?;
    }
    txn.commit().await?;
    for g in guardians {
        crate::platform::messages::announce(app, g);
    }
    for r in refunds {
        super::refund::submit_soon(app, r).await;
    }
    Ok(Settled::Applied)
}

/// The payments a guardian made or that paid their children's orders, newest first.
pub async fn of_order(app: &App, actor: &Actor, order_id: i64) -> Result<Vec<PaymentView>> {
    let o = super::ledger::readable_order(&app.db, actor, order_id).await?;
    let ids: Vec<i64> = payment_order::Entity::find()
        .filter(payment_order::Column::OrderId.eq(o.id))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|l| l.payment_id)
        .collect();
    let mut out = Vec::new();
    for p in payment::Entity::find()
        .filter(payment::Column::Id.is_in(ids))
        .order_by_desc(payment::Column::Id)
        .all(&app.db)
        .await?
    {
        out.push(view(app, &app.db, p).await?);
    }
    Ok(out)
}

/// The payments a person made, oldest first, for their personal-data export.
pub(crate) async fn personal_data_of(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Vec<serde_json::Value>> {
    use crate::platform::clock::china_time;
    let payments = payment::Entity::find()
        .filter(payment::Column::UserId.eq(user_id))
        .order_by_asc(payment::Column::Id)
        .all(db)
        .await?;
    Ok(payments
        .iter()
        .map(|p| {
            serde_json::json!({
                "支付单号": p.payment_no,
                "渠道": p.channel,
                "金额（元）": Fen(p.amount_fen).to_string(),
                "状态": PaymentStatus::parse(&p.status).map(PaymentStatus::label).unwrap_or(&p.status),
                "支付时间": p.paid_at.map(china_time),
            })
        })
        .collect())
}
