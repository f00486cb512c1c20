//! Accounts, sessions, memberships, roles and their permissions.

pub mod bureau_department;
pub mod membership;
pub mod membership_department;
pub mod membership_offer;
pub mod permission_seed;
pub mod role;
pub mod role_permission;
pub mod session;
pub mod sms_code;
pub mod user;
