pub mod accounts;
pub mod auth;
pub mod roles;
pub mod sms;
