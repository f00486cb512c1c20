//! Courses: the city's course specifications and their prices, schools' and institutions'
//! courses, the bureaus' libraries and the schools' term offerings.

pub mod catalog;
pub mod chapter;
pub mod course_file;
pub mod library_entry;
pub mod material;
pub mod offering;
pub mod offering_item;
pub mod offering_part;
pub mod offering_teacher;
pub mod plan;
pub mod plan_line;
pub mod policy;
pub mod spec;
pub mod spec_price;
