pub mod auth;
pub mod roles;
pub mod users;
