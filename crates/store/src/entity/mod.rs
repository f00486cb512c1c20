//! Hand-written entities, one module per table.

pub mod admin_class;
pub mod audit_event;
pub mod guardian;
pub mod membership;
pub mod org;
pub mod period;
pub mod permission_seed;
pub mod role;
pub mod role_permission;
pub mod room;
pub mod school_contact;
pub mod school_profile;
pub mod school_unit;
pub mod session;
pub mod staff;
pub mod student;
pub mod term;
pub mod term_day;
pub mod user;
