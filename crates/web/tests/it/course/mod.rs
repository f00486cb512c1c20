pub mod courses;
pub mod offerings;
pub mod specs;
