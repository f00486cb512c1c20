//! Money: receiving accounts, payments, refunds, the ledger, notifications, waivers,
//! refund rules, reminders, reports, reconciliation, and the sandbox channel's records.

pub mod fee_waiver;
pub mod ledger_entry;
pub mod notification;
pub mod payment;
pub mod payment_order;
pub mod payment_reminder;
pub mod receiving_account;
pub mod recon_day;
pub mod recon_difference;
pub mod refund;
pub mod refund_offer;
pub mod refund_report;
pub mod refund_rule;
pub mod sandbox_refund;
pub mod sandbox_trade;
