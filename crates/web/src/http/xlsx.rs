//! Excel downloads: list exports, import templates and error reports.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use kehou_service::platform::sheet::{self, SheetData};

use crate::http::error::ApiError;
use crate::http::extract::urlencode;

/// An export of one list: a bold header row and the rows as text.
pub fn download(filename: &str, headers: &[&str], rows: &[Vec<String>]) -> Response {
    let name = filename.trim_end_matches(".xlsx");
    file(
        filename,
        sheet::workbook(&[SheetData {
            name,
            headers,
            rows,
        }]),
    )
}

/// An `.xlsx` attachment named `filename` (Chinese names are sent RFC 5987-encoded).
pub fn file(filename: &str, bytes: kehou_service::Result<Vec<u8>>) -> Response {
    match bytes {
        Ok(bytes) => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"download.xlsx\"; filename*=UTF-8''{}",
                        urlencode(filename)
                    ),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => ApiError(e).into_response(),
    }
}
