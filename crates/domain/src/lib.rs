//! Plain types and rules of the kehou after-school platform: no IO, no async.
//!
//! Constructors of the value types here reject bad input ("parse, don't validate"), so a
//! value that exists is valid everywhere it travels.

pub mod attendance;
pub mod billing;
pub mod calendar;
pub mod course;
pub mod enrollment;
pub mod field;
pub mod file;
pub mod geo;
pub mod id_card;
pub mod institution;
pub mod lottery;
pub mod money;
pub mod org;
pub mod password;
pub mod permission;
pub mod phone;
pub mod role;
pub mod school;
pub mod secret;
pub mod supervision;
pub mod teaching;

pub use field::{FieldError, Invalid};
pub use id_card::{Gender, IdCardNo};
pub use money::Fen;
pub use org::{BureauLevel, OrgKind};
pub use password::Password;
pub use permission::{PERMISSIONS, Permission, PermissionDef};
pub use phone::Phone;
pub use role::{PRESET_ROLES, PresetRole};
pub use secret::Secret;
