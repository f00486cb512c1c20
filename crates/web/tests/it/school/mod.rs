pub mod admin_class;
pub mod calendar;
pub mod initial_passwords;
pub mod profile;
pub mod rooms;
pub mod students;
