//! The HTTP machinery every area shares: errors as answers, extractors (who is acting,
//! CSRF-checked forms), paging, page frames, spreadsheets as downloads, route assembly.

pub mod api;
pub mod error;
pub mod extract;
pub mod files;
pub mod page;
pub mod proxy;
pub mod routes;
pub mod trace;
pub mod xlsx;
