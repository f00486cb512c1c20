//! Excel exports of lists: one sheet, a bold header row, the rows as text.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::extract::urlencode;

fn workbook(headers: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let sheet = wb.add_worksheet();
    let bold = Format::new().set_bold();
    for (col, title) in headers.iter().enumerate() {
        let col = u16::try_from(col).unwrap_or(u16::MAX);
        sheet.write_string_with_format(0, col, *title, &bold)?;
        sheet.set_column_width(col, 18)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
        for (c, value) in row.iter().enumerate() {
            sheet.write_string(r, u16::try_from(c).unwrap_or(u16::MAX), value)?;
        }
    }
    wb.save_to_buffer()
}

/// An `.xlsx` download named `filename` (Chinese names are sent RFC 5987-encoded).
pub fn download(filename: &str, headers: &[&str], rows: &[Vec<String>]) -> Response {
    match workbook(headers, rows) {
        Ok(bytes) => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"export.xlsx\"; filename*=UTF-8''{}",
                        urlencode(filename)
                    ),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "xlsx export failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "导出失败").into_response()
        }
    }
}
