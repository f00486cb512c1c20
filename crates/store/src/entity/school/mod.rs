//! School master data: profile and contacts, rooms, terms and days, periods,
//! administrative classes, departments and posts, staff, students and guardians.

pub mod admin_class;
pub mod guardian;
pub mod period;
pub mod room;
pub mod school_contact;
pub mod school_profile;
pub mod school_unit;
pub mod staff;
pub mod student;
pub mod term;
pub mod term_day;
