//! Third-party institutions: admission, documents, review history.

pub mod admission;
pub mod department;
pub mod dispatch;
pub mod document;
pub mod event;
pub mod teacher;
