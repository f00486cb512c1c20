pub mod audit;
pub mod concurrency;
pub mod headers;
pub mod jobs;
pub mod messages;
pub mod operations;
pub mod privacy;
pub mod requests;
