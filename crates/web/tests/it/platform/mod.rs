pub mod audit;
pub mod jobs;
