pub mod audit;
pub mod concurrency;
pub mod jobs;
pub mod requests;
