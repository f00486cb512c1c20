//! What every business area uses: the audit trail, the clock, the error type, paging,
//! spreadsheets, text messages, the message centre, the personal-data vault and the
//! durable job queue.

pub mod audit;
pub mod clock;
pub mod error;
pub mod installation;
pub mod jobs;
pub mod keys;
pub mod messages;
pub mod metrics;
pub mod page;
pub mod pdf;
pub mod retention;
pub mod sheet;
pub mod sms;
pub mod status;
pub mod storage;
pub mod vault;
