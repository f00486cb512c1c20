//! Text messages to phones. A real provider implements [`SmsChannel`]; until one is
//! configured the built-in [`Sandbox`] is the channel: it delivers nothing, keeps what it
//! "sent" for the sandbox inbox (platform administrators) and writes it to the log.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use kehou_domain::Phone;
use serde::Serialize;

use crate::{Error, Result};

pub type Sending<'a> = Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

/// A way to send a text message to a mobile number.
pub trait SmsChannel: Send + Sync {
    /// Sends `text` to `phone`; an error when the provider refuses it.
    fn send<'a>(&'a self, phone: &'a Phone, text: &'a str, now: DateTime<Utc>) -> Sending<'a>;

    /// The sandbox, when this channel is it: then its inbox may be shown.
    fn sandbox(&self) -> Option<&Sandbox> {
        None
    }
}

/// One message the sandbox "sent".
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SandboxMessage {
    pub phone: String,
    pub text: String,
    pub sent_at: DateTime<Utc>,
}

/// The channel when no provider is configured: the last [`Sandbox::KEEP`] messages stay
/// in memory, newest first, and each is logged.
#[derive(Default)]
pub struct Sandbox {
    sent: Mutex<VecDeque<SandboxMessage>>,
}

impl Sandbox {
    pub const KEEP: usize = 500;

    /// The messages sent, newest first, to `phone` only when given.
    pub fn inbox(&self, phone: Option<&Phone>) -> Vec<SandboxMessage> {
        let sent = self.sent.lock().map(|s| s.clone()).unwrap_or_default();
        sent.into_iter()
            .filter(|m| phone.is_none_or(|p| m.phone == p.as_str()))
            .collect()
    }
}

impl SmsChannel for Sandbox {
    fn send<'a>(&'a self, phone: &'a Phone, text: &'a str, now: DateTime<Utc>) -> Sending<'a> {
        Box::pin(async move {
            tracing::info!(phone = %phone.masked(), "短信沙箱（未真正发送）：{text}");
            let mut sent = self
                .sent
                .lock()
                .map_err(|_| Error::Internal("短信沙箱不可用".into()))?;
            sent.push_front(SandboxMessage {
                phone: phone.as_str().to_string(),
                text: text.to_string(),
                sent_at: now,
            });
            sent.truncate(Self::KEEP);
            Ok(())
        })
    }

    fn sandbox(&self) -> Option<&Sandbox> {
        Some(self)
    }
}
