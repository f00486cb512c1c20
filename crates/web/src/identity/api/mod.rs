pub mod auth;
pub mod departments;
pub mod invitations;
pub mod roles;
pub mod users;
