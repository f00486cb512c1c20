pub mod admin_classes;
pub mod calendar;
pub mod initial_passwords;
pub mod profile;
pub mod rooms;
pub mod staff;
pub mod students;
