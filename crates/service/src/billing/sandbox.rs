//! The sandbox channel: the payment channel whenever no real one is configured. It keeps
//! its side of every trade and refund in its own tables and behaves like WeChat Pay v3:
//! a cashier page on this server where the parent confirms or fails a payment (`pay`);
//! notifications sent asynchronously through the job queue, signed (HMAC-SM3 over
//! `timestamp\nnonce\nbody\n`, the sandbox's "platform certificate"), their content
//! encrypted with the merchant's API key (SM4-GCM), retried with back-off until
//! acknowledged; refunds that complete a moment later; a daily bill in the trade bill's
//! column layout. [`Behaviour`] makes it duplicate and reorder notifications, or be down.

use std::sync::{Arc, RwLock};

use aes_gcm::AesGcm;
use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Nonce, Payload};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use hmac::{Hmac, Mac};
use kehou_domain::Fen;
use kehou_store::entity::billing::{sandbox_refund, sandbox_trade};
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};
use sm3::Sm3;
use sm4::Sm4;

use super::channel::{
    BillLine, Call, ChannelError, ChannelRefund, Incoming, Merchant, NewPayment, NewRefund, Notice,
    PayParams, PaymentChannel, RefundState, Trade, TradeState, Verified,
};
use crate::platform::clock::{china, china_time};
use crate::platform::jobs;

type Sm4Gcm = AesGcm<Sm4, U12>;
type HmacSm3 = Hmac<Sm3>;

/// The job that delivers one sandbox notification (and completes a refund first).
pub const NOTIFY_JOB_KIND: &str = "sandbox_notify";
/// The serial of the sandbox's signing key derived from the data key `key_id`, named in
/// every notification it signs (as WeChat Pay names its platform certificate's serial, so
/// that a receiver holding several certificates during a switch picks the right one).
pub fn serial_of(key_id: &str) -> String {
    format!("SANDBOX-{key_id}")
}
/// How old a notification may be when it arrives.
pub const MAX_AGE: Duration = Duration::minutes(5);
/// Deliveries before the sandbox gives up (WeChat tries 15 times over a day).
const ATTEMPTS: i32 = 10;

/// How the sandbox misbehaves on purpose.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Behaviour {
    /// Every notification is sent twice, the copies a moment apart in random order.
    pub duplicate: bool,
    /// The channel answers every call with an error, as when it is down.
    pub down: bool,
}

pub struct Sandbox {
    db: DatabaseConnection,
    clock: Arc<dyn crate::Clock>,
    /// (serial, key): the first signs, every one verifies.
    signing_keys: Vec<(String, Vec<u8>)>,
    wakeup: Arc<tokio::sync::Notify>,
    behaviour: RwLock<Behaviour>,
}

fn sign(key: &[u8], timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut mac = <HmacSm3 as hmac::KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(format!("{timestamp}\n{nonce}\n").as_bytes());
    mac.update(body);
    mac.update(b"\n");
    mac.finalize().into_bytes().to_vec()
}

fn cipher(api_key: &str) -> Result<Sm4Gcm, ChannelError> {
    let key = hex::decode(api_key.trim())
        .ok()
        .filter(|k| k.len() == 16)
        .ok_or_else(|| ChannelError::Forged("商户密钥应为32位十六进制字符".into()))?;
    Sm4Gcm::new_from_slice(&key).map_err(|_| ChannelError::Forged("商户密钥无效".into()))
}

fn digits(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

/// A new API key for a sandbox receiving account.
pub fn new_api_key() -> String {
    let mut key = [0u8; 16];
    rand::rng().fill_bytes(&mut key);
    hex::encode(key)
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    id: String,
    create_time: String,
    event_type: String,
    resource_type: String,
    summary: String,
    resource: Resource,
}

#[derive(Serialize, Deserialize)]
struct Resource {
    algorithm: String,
    ciphertext: String,
    nonce: String,
    associated_data: String,
    original_type: String,
}

/// A notification ready to post: headers and body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Signed {
    pub headers: Vec<(String, String)>,
    pub body: String,
}

fn unavailable() -> ChannelError {
    ChannelError::Unavailable("沙箱支付通道已设为不可用".into())
}

impl Sandbox {
    /// `secrets`: (data key id, secret) as `Vault::derived_secrets` gives them, the one that
    /// signs first.
    pub fn new(
        db: DatabaseConnection,
        clock: Arc<dyn crate::Clock>,
        secrets: Vec<(String, Vec<u8>)>,
        wakeup: Arc<tokio::sync::Notify>,
    ) -> Self {
        Self {
            db,
            clock,
            signing_keys: secrets
                .into_iter()
                .map(|(id, key)| (serial_of(&id), key))
                .collect(),
            wakeup,
            behaviour: RwLock::new(Behaviour::default()),
        }
    }

    pub fn behaviour(&self) -> Behaviour {
        self.behaviour.read().map(|b| *b).unwrap_or_default()
    }

    pub fn set_behaviour(&self, b: Behaviour) {
        if let Ok(mut current) = self.behaviour.write() {
            *current = b;
        }
    }

    fn check_up(&self) -> Result<(), ChannelError> {
        if self.behaviour().down {
            Err(unavailable())
        } else {
            Ok(())
        }
    }

    pub async fn trade_by_prepay(
        &self,
        prepay_id: &str,
    ) -> Result<Option<sandbox_trade::Model>, ChannelError> {
        sandbox_trade::Entity::find()
            .filter(sandbox_trade::Column::PrepayId.eq(prepay_id))
            .one(&self.db)
            .await
            .map_err(|e| ChannelError::Unavailable(e.to_string()))
    }

    /// The parent confirms (`succeed`) or fails the payment on the cashier page. Answers
    /// the trade as it is now and where the page goes back to.
    pub async fn pay(
        &self,
        prepay_id: &str,
        succeed: bool,
        now: DateTime<Utc>,
    ) -> Result<sandbox_trade::Model, ChannelError> {
        self.check_up()?;
        let t = self
            .trade_by_prepay(prepay_id)
            .await?
            .ok_or_else(|| ChannelError::Refused("支付单不存在".into()))?;
        if t.state != "NOTPAY" {
            return Ok(t);
        }
        if t.expires_at <= now {
            return Err(ChannelError::Refused("支付单已过期".into()));
        }
        let mut m = t.clone().into_active_model();
        if succeed {
            m.state = Set("SUCCESS".into());
            m.success_time = Set(Some(now));
        } else {
            m.state = Set("PAYERROR".into());
        }
        // Only a trade still unpaid changes: two clicks pay once.
        let changed = sandbox_trade::Entity::update_many()
            .set(m)
            .filter(sandbox_trade::Column::Id.eq(t.id))
            .filter(sandbox_trade::Column::State.eq("NOTPAY"))
            .exec(&self.db)
            .await
            .map_err(|e| ChannelError::Unavailable(e.to_string()))?;
        if changed.rows_affected == 1 && succeed {
            self.send(now, serde_json::json!({"trade": t.id})).await?;
        }
        self.trade_by_prepay(prepay_id)
            .await?
            .ok_or_else(|| ChannelError::Refused("支付单不存在".into()))
    }

    /// Queues the delivery of a notification (twice, a moment apart, when duplicating).
    async fn send(&self, now: DateTime<Utc>, what: serde_json::Value) -> Result<(), ChannelError> {
        let copies = if self.behaviour().duplicate { 2 } else { 1 };
        for copy in 0..copies {
            let delay = if copies > 1 {
                Duration::milliseconds(rand::rng().random_range(0..1500) + copy * 10)
            } else {
                Duration::zero()
            };
            jobs::enqueue_at(
                &self.db,
                now,
                now + delay,
                jobs::NewJob {
                    kind: NOTIFY_JOB_KIND,
                    org_id: None,
                    user_id: None,
                    membership_id: None,
                    ip: None,
                    params: what.clone(),
                    input: None,
                    max_attempts: ATTEMPTS,
                },
            )
            .await
            .map_err(|e| ChannelError::Unavailable(e.to_string()))?;
        }
        self.wakeup.notify_one();
        Ok(())
    }

    fn trade_of(t: &sandbox_trade::Model, now: DateTime<Utc>) -> Trade {
        let state = match t.state.as_str() {
            "SUCCESS" => TradeState::Success,
            "REFUND" => TradeState::Refund,
            "PAYERROR" => TradeState::Payerror,
            "CLOSED" => TradeState::Closed,
            _ if t.expires_at <= now => TradeState::Closed,
            _ => TradeState::Notpay,
        };
        let desc = match state {
            TradeState::Success => "支付成功",
            TradeState::Refund => "转入退款",
            TradeState::Payerror => "支付失败",
            TradeState::Closed => "已关闭",
            TradeState::Notpay => "未支付",
        };
        Trade {
            mchid: t.mch_id.clone(),
            out_trade_no: t.out_trade_no.clone(),
            transaction_id: matches!(state, TradeState::Success | TradeState::Refund)
                .then(|| t.transaction_id.clone()),
            trade_state: state,
            trade_state_desc: desc.into(),
            amount_fen: t.amount_fen,
            success_time: t.success_time,
        }
    }

    fn refund_of(r: &sandbox_refund::Model) -> ChannelRefund {
        ChannelRefund {
            mchid: r.mch_id.clone(),
            out_trade_no: r.out_trade_no.clone(),
            out_refund_no: r.out_refund_no.clone(),
            refund_id: r.refund_id.clone(),
            refund_status: match r.status.as_str() {
                "SUCCESS" => RefundState::Success,
                "ABNORMAL" => RefundState::Abnormal,
                "CLOSED" => RefundState::Closed,
                _ => RefundState::Processing,
            },
            amount_fen: r.amount_fen,
            success_time: r.success_time,
        }
    }

    async fn find_trade(
        &self,
        mch_id: &str,
        out_trade_no: &str,
    ) -> Result<sandbox_trade::Model, ChannelError> {
        sandbox_trade::Entity::find()
            .filter(sandbox_trade::Column::MchId.eq(mch_id))
            .filter(sandbox_trade::Column::OutTradeNo.eq(out_trade_no))
            .one(&self.db)
            .await
            .map_err(|e| ChannelError::Unavailable(e.to_string()))?
            .ok_or_else(|| ChannelError::Refused("ORDER_NOT_EXIST：订单不存在".into()))
    }

    /// Builds the signed notification of a trade or refund, encrypted for `m`, as the
    /// sandbox would post it at `now`.
    pub fn notification(
        &self,
        m: &Merchant,
        notice: &Notice,
        now: DateTime<Utc>,
    ) -> Result<Signed, ChannelError> {
        let (event_type, summary, original, plain) = match notice {
            Notice::Trade(t) => (
                "TRANSACTION.SUCCESS",
                "支付成功",
                "transaction",
                serde_json::to_string(t),
            ),
            Notice::Refund(r) => (
                match r.refund_status {
                    RefundState::Success => "REFUND.SUCCESS",
                    RefundState::Abnormal => "REFUND.ABNORMAL",
                    _ => "REFUND.CLOSED",
                },
                "退款状态变更",
                "refund",
                serde_json::to_string(r),
            ),
        };
        let plain = plain.map_err(|e| ChannelError::Unavailable(e.to_string()))?;
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let nonce_text = hex::encode(&nonce[..6]);
        let ciphertext = cipher(&m.api_key)?
            .encrypt(
                &Nonce::<Sm4Gcm>::from(nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: original.as_bytes(),
                },
            )
            .map_err(|_| ChannelError::Unavailable("加密失败".into()))?;
        let envelope = Envelope {
            id: format!("EV-{}", digits(20)),
            create_time: now.with_timezone(&china()).to_rfc3339(),
            event_type: event_type.into(),
            resource_type: "encrypt-resource".into(),
            summary: summary.into(),
            resource: Resource {
                algorithm: "AEAD_SM4_GCM".into(),
                ciphertext: hex::encode(ciphertext),
                nonce: hex::encode(nonce),
                associated_data: original.into(),
                original_type: original.into(),
            },
        };
        let body = serde_json::to_string(&envelope)
            .map_err(|e| ChannelError::Unavailable(e.to_string()))?;
        let timestamp = now.timestamp().to_string();
        let (serial, key) = self
            .signing_keys
            .first()
            .ok_or_else(|| ChannelError::Unavailable("沙箱没有签名密钥".into()))?;
        let signature = hex::encode(sign(key, &timestamp, &nonce_text, body.as_bytes()));
        Ok(Signed {
            headers: vec![
                ("Wechatpay-Timestamp".into(), timestamp),
                ("Wechatpay-Nonce".into(), nonce_text),
                ("Wechatpay-Signature".into(), signature),
                ("Wechatpay-Serial".into(), serial.clone()),
                ("Content-Type".into(), "application/json".into()),
            ],
            body,
        })
    }

    /// What a delivery job sends: the trade or refund as it is now (a refund still being
    /// processed completes first). `None` when there is nothing to tell.
    pub async fn due_notice(
        &self,
        what: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, String, Notice)>, ChannelError> {
        if let Some(id) = what.get("trade").and_then(serde_json::Value::as_i64) {
            let Some(t) = sandbox_trade::Entity::find_by_id(id)
                .one(&self.db)
                .await
                .map_err(|e| ChannelError::Unavailable(e.to_string()))?
            else {
                return Ok(None);
            };
            let trade = Self::trade_of(&t, now);
            if !matches!(trade.trade_state, TradeState::Success | TradeState::Refund) {
                return Ok(None);
            }
            return Ok(Some((
                t.mch_id.clone(),
                t.notify_url.clone(),
                Notice::Trade(trade),
            )));
        }
        if let Some(id) = what.get("refund").and_then(serde_json::Value::as_i64) {
            let Some(r) = sandbox_refund::Entity::find_by_id(id)
                .one(&self.db)
                .await
                .map_err(|e| ChannelError::Unavailable(e.to_string()))?
            else {
                return Ok(None);
            };
            let r = if r.status == "PROCESSING" {
                let mut m = r.into_active_model();
                m.status = Set("SUCCESS".into());
                m.success_time = Set(Some(now));
                m.update(&self.db)
                    .await
                    .map_err(|e| ChannelError::Unavailable(e.to_string()))?
            } else {
                r
            };
            return Ok(Some((
                r.mch_id.clone(),
                r.notify_url.clone(),
                Notice::Refund(Self::refund_of(&r)),
            )));
        }
        Ok(None)
    }

    /// Marks a refund as failed at the channel (the parent's card was closed): what a test
    /// or the sandbox page does to show the failure path.
    pub async fn fail_refund(
        &self,
        out_refund_no: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ChannelError> {
        let r = sandbox_refund::Entity::find()
            .filter(sandbox_refund::Column::OutRefundNo.eq(out_refund_no))
            .one(&self.db)
            .await
            .map_err(|e| ChannelError::Unavailable(e.to_string()))?
            .ok_or_else(|| ChannelError::Refused("退款单不存在".into()))?;
        let id = r.id;
        let mut m = r.into_active_model();
        m.status = Set("ABNORMAL".into());
        m.update(&self.db)
            .await
            .map_err(|e| ChannelError::Unavailable(e.to_string()))?;
        self.send(now, serde_json::json!({"refund": id})).await
    }
}

fn yuan(fen: i64) -> String {
    Fen(fen).to_string()
}

/// The trade bill's columns (WeChat Pay's 交易账单, type ALL).
const BILL_HEADER: &str = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";
const SUMMARY_HEADER: &str =
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额";
/// The channel's fee, 0.6 %, in fen rounded half up.
fn fee(fen: i64) -> i64 {
    (fen * 6 + 500) / 1000
}

fn row(fields: &[String]) -> String {
    fields
        .iter()
        .map(|f| format!("`{f}"))
        .collect::<Vec<_>>()
        .join(",")
}

impl PaymentChannel for Sandbox {
    fn code(&self) -> &'static str {
        "sandbox"
    }

    fn name(&self) -> &'static str {
        "沙箱支付"
    }

    fn create<'a>(&'a self, m: &'a Merchant, p: &'a NewPayment) -> Call<'a, PayParams> {
        Box::pin(async move {
            self.check_up()?;
            if p.amount_fen <= 0 {
                return Err(ChannelError::Refused("PARAM_ERROR：金额应大于0".into()));
            }
            // The same out_trade_no answers the same prepay (WeChat does the same).
            if let Ok(t) = self.find_trade(&m.merchant_id, &p.out_trade_no).await {
                if t.amount_fen != p.amount_fen {
                    return Err(ChannelError::Refused("INVALID_REQUEST：订单号重复".into()));
                }
                return Ok(PayParams {
                    pay_url: format!("/pay/sandbox/{}", t.prepay_id),
                    prepay_id: t.prepay_id,
                });
            }
            let now = self.clock.now();
            let prepay_id = format!("wx{}", &crate::identity::auth::random_token()[..32]);
            let local = p.expires_at.with_timezone(&china());
            sandbox_trade::ActiveModel {
                mch_id: Set(m.merchant_id.clone()),
                out_trade_no: Set(p.out_trade_no.clone()),
                transaction_id: Set(format!("4200{}{}", local.format("%Y%m%d"), digits(16))),
                prepay_id: Set(prepay_id.clone()),
                description: Set(p.description.chars().take(120).collect()),
                amount_fen: Set(p.amount_fen),
                state: Set("NOTPAY".into()),
                notify_url: Set(p.notify_url.clone()),
                return_url: Set(p.return_url.clone()),
                expires_at: Set(p.expires_at),
                success_time: Set(None),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&self.db)
            .await
            .map_err(|e| ChannelError::Unavailable(e.to_string()))?;
            Ok(PayParams {
                pay_url: format!("/pay/sandbox/{prepay_id}"),
                prepay_id,
            })
        })
    }

    fn query<'a>(&'a self, m: &'a Merchant, out_trade_no: &'a str) -> Call<'a, Trade> {
        Box::pin(async move {
            self.check_up()?;
            let t = self.find_trade(&m.merchant_id, out_trade_no).await?;
            Ok(Self::trade_of(&t, self.clock.now()))
        })
    }

    fn close<'a>(&'a self, m: &'a Merchant, out_trade_no: &'a str) -> Call<'a, ()> {
        Box::pin(async move {
            self.check_up()?;
            let t = self.find_trade(&m.merchant_id, out_trade_no).await?;
            let closed = sandbox_trade::Entity::update_many()
                .col_expr(sandbox_trade::Column::State, "CLOSED".into())
                .filter(sandbox_trade::Column::Id.eq(t.id))
                .filter(sandbox_trade::Column::State.is_in(["NOTPAY", "PAYERROR"]))
                .exec(&self.db)
                .await
                .map_err(|e| ChannelError::Unavailable(e.to_string()))?;
            if closed.rows_affected == 0 && t.state != "CLOSED" {
                return Err(ChannelError::Refused("ORDERPAID：订单已支付".into()));
            }
            Ok(())
        })
    }

    fn refund<'a>(&'a self, m: &'a Merchant, r: &'a NewRefund) -> Call<'a, ChannelRefund> {
        Box::pin(async move {
            self.check_up()?;
            let existing = sandbox_refund::Entity::find()
                .filter(sandbox_refund::Column::MchId.eq(&m.merchant_id))
                .filter(sandbox_refund::Column::OutRefundNo.eq(&r.out_refund_no))
                .one(&self.db)
                .await
                .map_err(|e| ChannelError::Unavailable(e.to_string()))?;
            if let Some(e) = existing {
                // The same out_refund_no is the same refund: asking again is safe.
                return Ok(Self::refund_of(&e));
            }
            let t = self.find_trade(&m.merchant_id, &r.out_trade_no).await?;
            if !matches!(t.state.as_str(), "SUCCESS" | "REFUND") {
                return Err(ChannelError::Refused("TRADE_NOT_PAID：订单未支付".into()));
            }
            if r.total_fen != t.amount_fen {
                return Err(ChannelError::Refused("PARAM_ERROR：订单金额不符".into()));
            }
            let done: i64 = sandbox_refund::Entity::find()
                .filter(sandbox_refund::Column::MchId.eq(&m.merchant_id))
                .filter(sandbox_refund::Column::OutTradeNo.eq(&r.out_trade_no))
                .filter(sandbox_refund::Column::Status.is_in(["PROCESSING", "SUCCESS"]))
                .all(&self.db)
                .await
                .map_err(|e| ChannelError::Unavailable(e.to_string()))?
                .iter()
                .map(|x| x.amount_fen)
                .sum();
            if r.amount_fen <= 0 || done + r.amount_fen > t.amount_fen {
                return Err(ChannelError::Refused("NOT_ENOUGH：可退金额不足".into()));
            }
            let now = self.clock.now();
            let row = sandbox_refund::ActiveModel {
                mch_id: Set(m.merchant_id.clone()),
                out_trade_no: Set(r.out_trade_no.clone()),
                out_refund_no: Set(r.out_refund_no.clone()),
                refund_id: Set(format!("5030{}", digits(24))),
                amount_fen: Set(r.amount_fen),
                total_fen: Set(t.amount_fen),
                status: Set("PROCESSING".into()),
                notify_url: Set(r.notify_url.clone()),
                success_time: Set(None),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&self.db)
            .await
            .map_err(|e| ChannelError::Unavailable(e.to_string()))?;
            sandbox_trade::Entity::update_many()
                .col_expr(sandbox_trade::Column::State, "REFUND".into())
                .filter(sandbox_trade::Column::Id.eq(t.id))
                .exec(&self.db)
                .await
                .map_err(|e| ChannelError::Unavailable(e.to_string()))?;
            // The money goes back a moment later; the notification says so.
            self.send(now, serde_json::json!({"refund": row.id}))
                .await?;
            Ok(Self::refund_of(&row))
        })
    }

    fn query_refund<'a>(
        &'a self,
        m: &'a Merchant,
        out_refund_no: &'a str,
    ) -> Call<'a, ChannelRefund> {
        Box::pin(async move {
            self.check_up()?;
            sandbox_refund::Entity::find()
                .filter(sandbox_refund::Column::MchId.eq(&m.merchant_id))
                .filter(sandbox_refund::Column::OutRefundNo.eq(out_refund_no))
                .one(&self.db)
                .await
                .map_err(|e| ChannelError::Unavailable(e.to_string()))?
                .map(|r| Self::refund_of(&r))
                .ok_or_else(|| ChannelError::Refused("RESOURCE_NOT_EXISTS：退款单不存在".into()))
        })
    }

    fn bill<'a>(&'a self, m: &'a Merchant, day: NaiveDate) -> Call<'a, String> {
        Box::pin(async move {
            self.check_up()?;
            let start = day
                .and_hms_opt(0, 0, 0)
                .and_then(|d| d.and_local_timezone(china()).single())
                .map(|d| d.with_timezone(&Utc))
                .ok_or_else(|| ChannelError::Refused("日期无效".into()))?;
            let end = start + Duration::days(1);
            let db_err = |e: kehou_store::sea_orm::DbErr| ChannelError::Unavailable(e.to_string());
            let trades = sandbox_trade::Entity::find()
                .filter(sandbox_trade::Column::MchId.eq(&m.merchant_id))
                .filter(sandbox_trade::Column::SuccessTime.gte(start))
                .filter(sandbox_trade::Column::SuccessTime.lt(end))
                .order_by_asc(sandbox_trade::Column::SuccessTime)
                .all(&self.db)
                .await
                .map_err(db_err)?;
            let refunds = sandbox_refund::Entity::find()
                .filter(sandbox_refund::Column::MchId.eq(&m.merchant_id))
                .filter(sandbox_refund::Column::Status.eq("SUCCESS"))
                .filter(sandbox_refund::Column::SuccessTime.gte(start))
                .filter(sandbox_refund::Column::SuccessTime.lt(end))
                .order_by_asc(sandbox_refund::Column::SuccessTime)
                .all(&self.db)
                .await
                .map_err(db_err)?;
            let mut out = String::from(BILL_HEADER);
            out.push('\n');
            let (mut paid, mut refunded, mut fees) = (0i64, 0i64, 0i64);
            for t in &trades {
                let when = t.success_time.map(china_time).unwrap_or_default();
                paid += t.amount_fen;
                fees += fee(t.amount_fen);
                out.push_str(&row(&[
                    when,
                    m.app_id.clone(),
                    m.merchant_id.clone(),
                    "0".into(),
                    String::new(),
                    t.transaction_id.clone(),
                    t.out_trade_no.clone(),
                    "sandbox-openid".into(),
                    "JSAPI".into(),
                    "SUCCESS".into(),
                    "OTHERS".into(),
                    "CNY".into(),
                    yuan(t.amount_fen),
                    "0.00".into(),
                    "0".into(),
                    "0".into(),
                    "0.00".into(),
                    "0.00".into(),
                    String::new(),
                    String::new(),
                    t.description.replace(',', "，"),
                    String::new(),
                    yuan(fee(t.amount_fen)),
                    "0.60%".into(),
                    yuan(t.amount_fen),
                    "0.00".into(),
                    String::new(),
                ]));
                out.push('\n');
            }
            for r in &refunds {
                let trade = trades
                    .iter()
                    .find(|t| t.out_trade_no == r.out_trade_no)
                    .cloned();
                let trade = match trade {
                    Some(t) => t,
                    None => self.find_trade(&m.merchant_id, &r.out_trade_no).await?,
                };
                refunded += r.amount_fen;
                fees -= fee(r.amount_fen);
                out.push_str(&row(&[
                    r.success_time.map(china_time).unwrap_or_default(),
                    m.app_id.clone(),
                    m.merchant_id.clone(),
                    "0".into(),
                    String::new(),
                    trade.transaction_id.clone(),
                    r.out_trade_no.clone(),
                    "sandbox-openid".into(),
                    "JSAPI".into(),
                    "REFUND".into(),
                    "OTHERS".into(),
                    "CNY".into(),
                    "0.00".into(),
                    "0.00".into(),
                    r.refund_id.clone(),
                    r.out_refund_no.clone(),
                    yuan(r.amount_fen),
                    "0.00".into(),
                    "ORIGINAL".into(),
                    "SUCCESS".into(),
                    trade.description.replace(',', "，"),
                    String::new(),
                    yuan(-fee(r.amount_fen)),
                    "0.60%".into(),
                    "0.00".into(),
                    yuan(r.amount_fen),
                    String::new(),
                ]));
                out.push('\n');
            }
            out.push_str(SUMMARY_HEADER);
            out.push('\n');
            out.push_str(&row(&[
                (trades.len() + refunds.len()).to_string(),
                yuan(paid),
                yuan(refunded),
                "0.00".into(),
                yuan(fees),
                yuan(paid),
                yuan(refunded),
            ]));
            out.push('\n');
            Ok(out)
        })
    }

    fn parse_bill(&self, text: &str) -> Result<Vec<BillLine>, ChannelError> {
        let bad = |n: usize, why: &str| ChannelError::Refused(format!("账单第 {n} 行：{why}"));
        let mut lines = text.lines().enumerate();
        match lines.next() {
            Some((_, h)) if h.trim_start_matches('\u{feff}') == BILL_HEADER => {}
            _ => return Err(bad(1, "表头不是交易账单的格式")),
        }
        let mut out = Vec::new();
        for (i, line) in lines {
            let n = i + 1;
            if line.starts_with("总交易单数") {
                break;
            }
            let f: Vec<&str> = line.split(',').map(|c| c.trim_start_matches('`')).collect();
            if f.len() != 27 {
                return Err(bad(n, "列数不对"));
            }
            let time =
                crate::platform::clock::parse_china(f[0]).ok_or_else(|| bad(n, "交易时间无效"))?;
            let money = |s: &str| Fen::parse_yuan(s).map(|f| f.0).map_err(|m| bad(n, &m));
            let (out_refund_no, amount_fen) = match f[9] {
                "SUCCESS" => (None, money(f[12])?),
                "REFUND" => (Some(f[15].to_string()), money(f[16])?),
                other => return Err(bad(n, &format!("未知的交易状态 {other}"))),
            };
            out.push(BillLine {
                time,
                out_trade_no: f[6].to_string(),
                transaction_id: f[5].to_string(),
                out_refund_no,
                amount_fen,
            });
        }
        Ok(out)
    }

    fn verify(
        &self,
        m: &Merchant,
        incoming: &Incoming<'_>,
        now: DateTime<Utc>,
    ) -> Result<Verified, ChannelError> {
        let forged = |why: &str| ChannelError::Forged(why.into());
        let header = |name: &str| {
            incoming
                .header(name)
                .ok_or_else(|| forged(&format!("缺少 {name}")))
        };
        let serial = header("Wechatpay-Serial")?;
        let (_, key) = self
            .signing_keys
            .iter()
            .find(|(s, _)| s == serial)
            .ok_or_else(|| forged("签名证书序列号不符"))?;
        let timestamp = header("Wechatpay-Timestamp")?;
        let nonce = header("Wechatpay-Nonce")?;
        let signature =
            hex::decode(header("Wechatpay-Signature")?).map_err(|_| forged("签名格式无效"))?;
        let mut mac = <HmacSm3 as hmac::KeyInit>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(format!("{timestamp}\n{nonce}\n").as_bytes());
        mac.update(incoming.body);
        mac.update(b"\n");
        mac.verify_slice(&signature)
            .map_err(|_| forged("签名不符"))?;
        let sent = timestamp
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
            .ok_or_else(|| forged("时间戳无效"))?;
        if (now - sent).abs() > MAX_AGE {
            return Err(forged("通知时间与当前时间相差超过5分钟"));
        }
        let envelope: Envelope = serde_json::from_slice(incoming.body)
            .map_err(|e| forged(&format!("通知格式无效：{e}")))?;
        let r = &envelope.resource;
        if r.algorithm != "AEAD_SM4_GCM" {
            return Err(forged("加密算法不符"));
        }
        let nonce: [u8; 12] = hex::decode(&r.nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or_else(|| forged("随机串无效"))?;
        let ciphertext = hex::decode(&r.ciphertext).map_err(|_| forged("密文无效"))?;
        let plain = cipher(&m.api_key)?
            .decrypt(
                &Nonce::<Sm4Gcm>::from(nonce),
                Payload {
                    msg: &ciphertext,
                    aad: r.associated_data.as_bytes(),
                },
            )
            .map_err(|_| forged("无法用商户密钥解密"))?;
        let plain = String::from_utf8(plain).map_err(|_| forged("明文不是 UTF-8"))?;
        let notice = match envelope.event_type.as_str() {
            "TRANSACTION.SUCCESS" => Notice::Trade(
                serde_json::from_str::<Trade>(&plain)
                    .map_err(|e| forged(&format!("交易内容无效：{e}")))?,
            ),
            t if t.starts_with("REFUND.") => Notice::Refund(
                serde_json::from_str::<ChannelRefund>(&plain)
                    .map_err(|e| forged(&format!("退款内容无效：{e}")))?,
            ),
            other => return Err(forged(&format!("未知的通知类型 {other}"))),
        };
        let mchid = match &notice {
            Notice::Trade(t) => &t.mchid,
            Notice::Refund(r) => &r.mchid,
        };
        if *mchid != m.merchant_id {
            return Err(forged("通知的商户号与收款账户不符"));
        }
        Ok(Verified {
            id: envelope.id,
            event_type: envelope.event_type,
            notice,
            plain,
        })
    }
}
