pub mod auth;
pub mod invitations;
pub mod roles;
pub mod users;
