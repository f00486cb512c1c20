//! Who is acting: logins and sessions, accounts and memberships, roles and permissions.

pub mod account;
pub mod actor;
pub mod auth;
pub mod department;
pub mod offer;
pub mod role;
pub mod sms_login;
