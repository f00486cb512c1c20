//! Tables every area uses: the audit trail, the job queue, the message centre and the
//! installation's identity.

pub mod audit_event;
pub mod installation;
pub mod job;
pub mod message;
