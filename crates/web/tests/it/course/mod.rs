pub mod courses;
pub mod offerings;
pub mod pages;
pub mod plans;
pub mod specs;
