//! Hand-written entities, one module per table, one folder per business area (the same
//! areas as in `kehou-service` and `kehou-web`).

pub mod attendance;
pub mod billing;
pub mod course;
pub mod enrollment;
pub mod identity;
pub mod institution;
pub mod org;
pub mod platform;
pub mod school;
pub mod supervision;
pub mod teaching;
