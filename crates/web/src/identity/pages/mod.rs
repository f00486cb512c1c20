pub mod roles;
pub mod session;
pub mod users;
