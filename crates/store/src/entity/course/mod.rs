//! Courses: the city's course specifications and their prices.

pub mod spec;
pub mod spec_price;
