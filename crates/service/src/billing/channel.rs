//! A payment channel (WeChat Pay, Alipay, UnionPay, the sandbox) as the platform uses it:
//! create a payment and get what the parent's page needs to pay, query and close it,
//! refund and query a refund, download a day's bill, and verify a notification before
//! anything in it is believed. The shapes follow WeChat Pay v3 (out_trade_no,
//! transaction_id, out_refund_no, trade and refund states); nothing here assumes the
//! sandbox.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub type Call<'a, T> = Pin<Box<dyn Future<Output = Result<T, ChannelError>> + Send + 'a>>;

/// What went wrong at the channel.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    /// The channel could not be reached or answered an error of its own: try again later.
    #[error("支付通道暂时不可用：{0}")]
    Unavailable(String),
    /// The channel refused the request (unknown trade, amount too large, closed …).
    #[error("支付通道拒绝：{0}")]
    Refused(String),
    /// A notification whose signature, time or content does not hold.
    #[error("通知验证失败：{0}")]
    Forged(String),
}

/// The keys of a school's receiving account, decrypted for one call.
#[derive(Clone)]
pub struct Merchant {
    pub account_id: i64,
    pub merchant_id: String,
    pub app_id: String,
    /// The account's API key (WeChat's APIv3 key): decrypts notifications.
    pub api_key: String,
}

impl std::fmt::Debug for Merchant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Merchant({}, key ***)", self.merchant_id)
    }
}

#[derive(Debug, Clone)]
pub struct NewPayment {
    pub out_trade_no: String,
    pub description: String,
    pub amount_fen: i64,
    pub expires_at: DateTime<Utc>,
    /// Where the channel posts its notifications.
    pub notify_url: String,
    /// Where the parent's page goes back to once paid (H5 style).
    pub return_url: String,
}

/// What the parent's page needs to pay.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PayParams {
    pub prepay_id: String,
    /// The page to open (the channel's cashier, H5 style).
    pub pay_url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TradeState {
    /// Not paid (yet).
    Notpay,
    Success,
    Closed,
    /// The payment failed (bank refused …).
    Payerror,
    /// Paid, then (partly) refunded.
    Refund,
}

/// A trade as the channel knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trade {
    pub mchid: String,
    pub out_trade_no: String,
    pub transaction_id: Option<String>,
    pub trade_state: TradeState,
    pub trade_state_desc: String,
    pub amount_fen: i64,
    pub success_time: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct NewRefund {
    pub out_trade_no: String,
    pub out_refund_no: String,
    pub amount_fen: i64,
    /// The trade's whole amount (the channel checks it).
    pub total_fen: i64,
    pub reason: String,
    pub notify_url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RefundState {
    Processing,
    Success,
    /// The money could not go back by the original route.
    Abnormal,
    Closed,
}

/// A refund as the channel knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelRefund {
    pub mchid: String,
    pub out_trade_no: String,
    pub out_refund_no: String,
    pub refund_id: String,
    pub refund_status: RefundState,
    pub amount_fen: i64,
    pub success_time: Option<DateTime<Utc>>,
}

/// A notification once verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Trade(Trade),
    Refund(ChannelRefund),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The channel's id of the notification: the idempotency key.
    pub id: String,
    pub event_type: String,
    pub notice: Notice,
    /// The decrypted content, kept as the payment's or refund's snapshot.
    pub plain: String,
}

/// One notification as it arrives over HTTP.
pub struct Incoming<'a> {
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

impl Incoming<'_> {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub trait PaymentChannel: Send + Sync {
    /// `sandbox`, `wechat`, `alipay`, `unionpay`: the `{channel}` of the notify URL.
    fn code(&self) -> &'static str;
    /// The name parents see.
    fn name(&self) -> &'static str;

    fn create<'a>(&'a self, m: &'a Merchant, p: &'a NewPayment) -> Call<'a, PayParams>;
    fn query<'a>(&'a self, m: &'a Merchant, out_trade_no: &'a str) -> Call<'a, Trade>;
    /// Closes an unpaid trade; a paid one answers `Refused`.
    fn close<'a>(&'a self, m: &'a Merchant, out_trade_no: &'a str) -> Call<'a, ()>;
    fn refund<'a>(&'a self, m: &'a Merchant, r: &'a NewRefund) -> Call<'a, ChannelRefund>;
    fn query_refund<'a>(
        &'a self,
        m: &'a Merchant,
        out_refund_no: &'a str,
    ) -> Call<'a, ChannelRefund>;
    /// The day's trade bill (China's calendar day), in the channel's own text layout.
    fn bill<'a>(&'a self, m: &'a Merchant, day: NaiveDate) -> Call<'a, String>;
    /// Reads a bill downloaded by [`PaymentChannel::bill`] into lines.
    fn parse_bill(&self, text: &str) -> Result<Vec<BillLine>, ChannelError>;
    /// Checks a notification's signature and time, then decrypts it with the merchant's
    /// key. Nothing in an unverified notification is used.
    fn verify(
        &self,
        m: &Merchant,
        incoming: &Incoming<'_>,
        now: DateTime<Utc>,
    ) -> Result<Verified, ChannelError>;
}

/// One line of a channel's bill: a payment or a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillLine {
    pub time: DateTime<Utc>,
    pub out_trade_no: String,
    pub transaction_id: String,
    /// A refund line names the refund; a payment line does not.
    pub out_refund_no: Option<String>,
    pub amount_fen: i64,
}

/// A channel whose calls are counted in the metrics (calls and failures by operation).
pub struct Counted {
    inner: std::sync::Arc<dyn PaymentChannel>,
    metrics: std::sync::Arc<crate::platform::metrics::Metrics>,
}

impl Counted {
    pub fn new(
        inner: std::sync::Arc<dyn PaymentChannel>,
        metrics: std::sync::Arc<crate::platform::metrics::Metrics>,
    ) -> Self {
        Self { inner, metrics }
    }

    fn count<'a, T: Send + 'a>(
        &'a self,
        operation: &'static str,
        call: Call<'a, T>,
    ) -> Call<'a, T> {
        Box::pin(async move {
            let outcome = call.await;
            self.metrics
                .channel_call(self.inner.code(), operation, outcome.is_ok());
            outcome
        })
    }
}

impl PaymentChannel for Counted {
    fn code(&self) -> &'static str {
        self.inner.code()
    }

    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn create<'a>(&'a self, m: &'a Merchant, p: &'a NewPayment) -> Call<'a, PayParams> {
        self.count("create", self.inner.create(m, p))
    }

    fn query<'a>(&'a self, m: &'a Merchant, out_trade_no: &'a str) -> Call<'a, Trade> {
        self.count("query", self.inner.query(m, out_trade_no))
    }

    fn close<'a>(&'a self, m: &'a Merchant, out_trade_no: &'a str) -> Call<'a, ()> {
        self.count("close", self.inner.close(m, out_trade_no))
    }

    fn refund<'a>(&'a self, m: &'a Merchant, r: &'a NewRefund) -> Call<'a, ChannelRefund> {
        self.count("refund", self.inner.refund(m, r))
    }

    fn query_refund<'a>(
        &'a self,
        m: &'a Merchant,
        out_refund_no: &'a str,
    ) -> Call<'a, ChannelRefund> {
        self.count("query_refund", self.inner.query_refund(m, out_refund_no))
    }

    fn bill<'a>(&'a self, m: &'a Merchant, day: NaiveDate) -> Call<'a, String> {
        self.count("bill", self.inner.bill(m, day))
    }

    fn parse_bill(&self, text: &str) -> Result<Vec<BillLine>, ChannelError> {
        self.inner.parse_bill(text)
    }

    fn verify(
        &self,
        m: &Merchant,
        incoming: &Incoming<'_>,
        now: DateTime<Utc>,
    ) -> Result<Verified, ChannelError> {
        let verified = self.inner.verify(m, incoming, now);
        self.metrics
            .channel_call(self.inner.code(), "notify", verified.is_ok());
        verified
    }
}
