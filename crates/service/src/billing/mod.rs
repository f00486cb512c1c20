//! Money (H1–H6): schools' receiving accounts (account), the append-only ledger every
//! balance is derived from (ledger), payments of one or several orders through a channel
//! and the notifications that settle them (payment, notify), refunds computed from the
//! class's lessons (refund), receipts (receipt), and the invariants `kehou check`
//! verifies (check). Channels sit behind [`channel::PaymentChannel`]; the built-in
//! [`sandbox::Sandbox`] is the channel when no real one is configured.

pub mod account;
pub mod bill;
pub mod channel;
pub mod check;
pub mod ledger;
pub mod notify;
pub mod offer;
pub mod payment;
pub mod receipt;
pub mod reconcile;
pub mod refund;
pub mod relief;
pub mod report;
pub mod rules;
pub mod sandbox;

use std::sync::Arc;

use channel::PaymentChannel;

/// The payment channels this instance can use, by code. Every call through [`Channels::get`]
/// is counted in the metrics.
pub struct Channels {
    metrics: Arc<crate::platform::metrics::Metrics>,
    sandbox: Arc<sandbox::Sandbox>,
    others: Vec<Arc<dyn PaymentChannel>>,
}

impl Channels {
    pub fn new(
        sandbox: Arc<sandbox::Sandbox>,
        metrics: Arc<crate::platform::metrics::Metrics>,
    ) -> Self {
        Self {
            metrics,
            sandbox,
            others: Vec::new(),
        }
    }

    /// Adds a real channel's adapter.
    pub fn with(mut self, channel: Arc<dyn PaymentChannel>) -> Self {
        self.others.push(channel);
        self
    }

    pub fn get(&self, code: &str) -> Option<Arc<dyn PaymentChannel>> {
        let inner: Arc<dyn PaymentChannel> = if code == "sandbox" {
            self.sandbox.clone()
        } else {
            self.others.iter().find(|c| c.code() == code).cloned()?
        };
        Some(Arc::new(channel::Counted::new(inner, self.metrics.clone())))
    }

    pub fn sandbox(&self) -> &sandbox::Sandbox {
        &self.sandbox
    }

    /// The codes and names of every channel, the sandbox last.
    pub fn all(&self) -> Vec<(&'static str, &'static str)> {
        let mut out: Vec<_> = self.others.iter().map(|c| (c.code(), c.name())).collect();
        out.push((self.sandbox.code(), self.sandbox.name()));
        out
    }
}

/// A payment or refund number: a prefix, the China date and 14 random digits (32 at most,
/// as the channels allow).
pub(crate) fn new_number(prefix: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    let digits: String = (0..14)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect();
    format!(
        "{prefix}{}{digits}",
        now.with_timezone(&crate::platform::clock::china())
            .format("%Y%m%d")
    )
}

/// Audit events of this area are a school's.
pub(crate) use crate::platform::audit::record_at_school as record;
