//! Enrollment: windows and rules, enrollments and their orders, waitlists, the enrollment
//! notice and its signatures, pre-registration choices and draws.

pub mod change;
pub mod draw;
pub mod drop_request;
#[allow(clippy::module_inception)]
pub mod enrollment;
pub mod exclusive_group;
pub mod notice;
pub mod order;
pub mod preference;
pub mod settings;
pub mod signature;
pub mod waitlist;
pub mod window;
