//! The integration tests of kehou's HTTP layer, in one binary: the API, the pages, the
//! authorization matrix and the browser check. Each test gets its own database.

mod common;

mod accounts;
mod audit;
mod auth;
mod browser;
mod calendar;
mod classes;
mod imports;
mod matrix;
mod orgs;
mod pages;
mod roles;
mod rooms;
mod school;
mod students;
