//! The channels' notifications (`POST /api/v1/pay/notify/{channel}`): each is recorded as
//! received; its signature and content are verified before anything in it is used; a
//! verified one is applied once — its id is stored under a unique key with the outcome
//! `applied`, in the very transaction that settles the payment or refund (idempotently,
//! under its row lock), so that it is applied and recorded together or not at all. The answer tells the channel whether to send
//! it again.

use chrono::{DateTime, Utc};
use kehou_store::entity::billing::notification;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
};

use super::channel::{Incoming, Notice, Verified};
use crate::{App, Error, Result};

/// What became of a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// Seen before (or its payment already settled): acknowledged, nothing changed.
    Duplicate,
    /// Forged, tampered, too old, or about something unknown: refused, recorded.
    Refused,
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Duplicate => "duplicate",
            Self::Refused => "refused",
        }
    }
}

/// A verified notification to record as applied, inside the transaction that applies it.
pub(crate) struct Applied(notification::ActiveModel);

impl Applied {
    pub(crate) async fn record(self, txn: &impl ConnectionTrait) -> Result<()> {
        self.0.insert(txn).await?;
        Ok(())
    }
}

/// A notification as it came in, for the record.
struct Heard<'a> {
    channel: &'a str,
    body: &'a [u8],
    now: DateTime<Utc>,
}

impl Heard<'_> {
    fn row(
        &self,
        id: Option<&str>,
        event_type: &str,
        outcome: &str,
        reason: Option<String>,
    ) -> notification::ActiveModel {
        let (channel, body, now) = (self.channel, self.body, self.now);
        notification::ActiveModel {
            channel: Set(channel.chars().take(20).collect()),
            notification_id: Set(id.map(|i| i.chars().take(64).collect())),
            event_type: Set(event_type.chars().take(40).collect()),
            outcome: Set(outcome.into()),
            reason: Set(reason.map(|r| r.chars().take(200).collect())),
            // A hostile body is kept for the record, bounded.
            body: Set(String::from_utf8_lossy(&body[..body.len().min(8192)]).into_owned()),
            received_at: Set(now),
            ..Default::default()
        }
    }

    async fn log(
        &self,
        app: &App,
        id: Option<&str>,
        event_type: &str,
        outcome: &str,
        reason: Option<String>,
    ) -> Result<()> {
        self.row(id, event_type, outcome, reason)
            .insert(&app.db)
            .await?;
        Ok(())
    }
}

/// Receives one notification of `channel` for the receiving account `account_id` (named
/// in the notify URL the payment gave the channel). `Ok` acknowledges it; an error asks
/// the channel to send it again (a failure of ours) or refuses it for good (forged).
pub async fn receive(
    app: &App,
    channel_code: &str,
    account_id: Option<i64>,
    incoming: &Incoming<'_>,
) -> Result<Outcome> {
    let now = app.now();
    let heard = Heard {
        channel: channel_code,
        body: incoming.body,
        now,
    };
    let heard = &heard;
    let refuse = |reason: String| async move {
        heard
            .log(
                app,
                None,
                "unverified",
                Outcome::Refused.code(),
                Some(reason.clone()),
            )
            .await?;
        tracing::warn!(channel = channel_code, %reason, "payment notification refused");
        Err::<Outcome, Error>(Error::Forbidden(reason))
    };
    let Some(channel) = app.payments.get(channel_code) else {
        return refuse(format!("未知的支付通道 {channel_code}")).await;
    };
    let Some(account_id) = account_id else {
        return refuse("通知地址缺少收款账户".into()).await;
    };
    let Ok(account) = super::account::by_id(&app.db, account_id).await else {
        return refuse(format!("收款账户 {account_id} 不存在")).await;
    };
    if account.channel != channel_code {
        return refuse("收款账户不属于该通道".into()).await;
    }
    let merchant = super::account::merchant(app, &account)?;
    let verified: Verified = match channel.verify(&merchant, incoming, now) {
        Ok(v) => v,
        Err(e) => return refuse(e.to_string()).await,
    };
    let seen = notification::Entity::find()
        .filter(notification::Column::Channel.eq(channel_code))
        .filter(notification::Column::NotificationId.eq(&verified.id))
        .filter(notification::Column::Outcome.eq(Outcome::Applied.code()))
        .one(&app.db)
        .await?
        .is_some();
    if seen {
        heard
            .log(
                app,
                Some(&verified.id),
                &verified.event_type,
                Outcome::Duplicate.code(),
                None,
            )
            .await?;
        return Ok(Outcome::Duplicate);
    }
    // Recorded as applied in the transaction that applies it: both or neither.
    let record = || {
        Some(Applied(heard.row(
            Some(&verified.id),
            &verified.event_type,
            Outcome::Applied.code(),
            None,
        )))
    };
    let applied = match &verified.notice {
        Notice::Trade(t) => super::payment::settle(app, t, &verified.plain, record())
            .await
            .map(|s| s == super::payment::Settled::Applied),
        Notice::Refund(r) => super::refund::settle(app, r, &verified.plain, record()).await,
    };
    match applied {
        Ok(true) => Ok(Outcome::Applied),
        Ok(false) => {
            heard
                .log(
                    app,
                    Some(&verified.id),
                    &verified.event_type,
                    Outcome::Duplicate.code(),
                    None,
                )
                .await?;
            Ok(Outcome::Duplicate)
        }
        // Unknown trade, wrong amount: refused and recorded, never applied.
        Err(Error::Invalid(fields)) => {
            let reason = fields
                .iter()
                .map(|f| f.reason.clone())
                .collect::<Vec<_>>()
                .join("；");
            heard
                .log(
                    app,
                    Some(&verified.id),
                    &verified.event_type,
                    Outcome::Refused.code(),
                    Some(reason.clone()),
                )
                .await?;
            tracing::warn!(channel = channel_code, %reason, "payment notification refused");
            Err(Error::Invalid(fields))
        }
        // Ours failed (database): the channel sends it again.
        Err(e) => Err(e),
    }
}

/// Delivers one of the sandbox's notifications: what the channel's servers do, here
/// through the job queue. Not acknowledged: the job fails and is tried again later.
pub(crate) async fn run_sandbox_job(
    app: &App,
    held: &kehou_store::entity::platform::job::Model,
) -> Result<serde_json::Value> {
    let what: serde_json::Value = serde_json::from_str(&held.params)
        .map_err(|e| Error::Internal(format!("任务参数：{e}")))?;
    let now = app.now();
    let sandbox = app.payments.sandbox();
    let due = sandbox
        .due_notice(&what, now)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    let Some((mch_id, notify_url, notice)) = due else {
        return Ok(serde_json::json!({"sent": false}));
    };
    let account_id = notify_url
        .split_once("account=")
        .and_then(|(_, id)| id.parse::<i64>().ok());
    let account = match account_id {
        Some(id) => super::account::by_id(&app.db, id).await?,
        None => return Err(Error::Internal("通知地址缺少收款账户".into())),
    };
    if account.merchant_id != mch_id {
        return Err(Error::Internal("通知的商户号与收款账户不符".into()));
    }
    let merchant = super::account::merchant(app, &account)?;
    let signed = sandbox
        .notification(&merchant, &notice, now)
        .map_err(|e| Error::Internal(e.to_string()))?;
    let incoming = Incoming {
        headers: &signed.headers,
        body: signed.body.as_bytes(),
    };
    match receive(app, "sandbox", Some(account.id), &incoming).await {
        Ok(outcome) => Ok(serde_json::json!({"sent": true, "outcome": outcome.code()})),
        Err(e) => Err(Error::Internal(format!("商户未确认通知：{}", e.one_line()))),
    }
}
