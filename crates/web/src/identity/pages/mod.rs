pub mod departments;
pub mod invitations;
pub mod roles;
pub mod session;
pub mod users;
