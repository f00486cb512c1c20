pub mod admin_class;
pub mod calendar;
pub mod initial_password;
pub mod profile;
pub mod room;
pub mod staff;
pub mod student;
