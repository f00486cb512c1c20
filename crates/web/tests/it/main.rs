#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The integration tests of kehou's HTTP layer, in one binary, one folder per business
//! area as in the sources; the authorization matrix, the page checks, the OpenAPI snapshot
//! and the browser check cover every area. Each test gets its own database.

pub mod common;

pub mod attendance;
pub mod billing;
pub mod browser;
pub mod course;
pub mod enrollment;
pub mod identity;
pub mod import;
pub mod institution;
pub mod matrix;
pub mod openapi;
pub mod org;
pub mod pages;
pub mod platform;
pub mod school;
pub mod supervision;
pub mod teaching;
