//! Tables every area uses: the audit trail, the job queue and the message centre.

pub mod audit_event;
pub mod job;
pub mod message;
