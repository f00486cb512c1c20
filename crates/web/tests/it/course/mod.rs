pub mod courses;
pub mod flow;
pub mod offerings;
pub mod pages;
pub mod plans;
pub mod specs;
