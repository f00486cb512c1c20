//! Accounts, sessions, memberships, roles and their permissions.

pub mod membership;
pub mod permission_seed;
pub mod role;
pub mod role_permission;
pub mod session;
pub mod user;
