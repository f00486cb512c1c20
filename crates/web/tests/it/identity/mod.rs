pub mod accounts;
pub mod auth;
pub mod departments;
pub mod roles;
pub mod sms;
