//! What every business area uses: the audit trail, the clock, the error type, paging,
//! spreadsheets, the personal-data vault and the durable job queue.

pub mod audit;
pub mod clock;
pub mod error;
pub mod jobs;
pub mod page;
pub mod sheet;
pub mod vault;
