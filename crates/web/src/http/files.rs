//! Stored files sent back: the type checked at upload, a safe name, never sniffed, never
//! cached.

use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::http::extract::urlencode;

/// A stored file as an attachment (an `<img>` still shows a picture sent so).
pub fn stored_file(content_type: &str, name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"document\"; filename*=UTF-8''{}",
                    urlencode(name)
                ),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}
