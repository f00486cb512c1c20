//! Tables every area uses: the audit trail and the job queue.

pub mod audit_event;
pub mod job;
