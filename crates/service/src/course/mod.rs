//! Courses: the city's course specifications and prices; offerings come next.

pub mod spec;
