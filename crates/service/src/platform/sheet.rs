//! Spreadsheets: reading an uploaded `.xlsx` against the columns an import expects, and
//! writing workbooks (exports, import templates, error reports).

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use rust_xlsxwriter::{Color, Format, Workbook, XlsxError};

use crate::{Error, Result};

/// Uploads above this size are refused before they are read.
pub const MAX_UPLOAD_BYTES: usize = 20_000_000;

/// One column an import reads: its header in the sheet, whether a value is required, and
/// what may be written in it (shown in the template).
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub title: &'static str,
    pub required: bool,
    pub help: &'static str,
}

/// One data row of an uploaded sheet: its row number as Excel shows it, and the cell texts
/// in the order of the import's columns (blank when the column is absent).
#[derive(Debug, Clone)]
pub struct Row {
    pub number: u32,
    pub cells: Vec<String>,
}

impl Row {
    pub fn get(&self, index: usize) -> &str {
        self.cells.get(index).map(String::as_str).unwrap_or("")
    }
}

fn file_error(reason: impl Into<String>) -> Error {
    Error::invalid("file", reason)
}

/// Checks the size of an upload before anything else is done with it.
pub fn check_upload(bytes: &[u8]) -> Result<()> {
    if bytes.is_empty() {
        return Err(file_error("文件为空，请选择填写好的 Excel 文件"));
    }
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(file_error(format!(
            "文件大小为 {:.1} MB，超过 20 MB 上限，请分成几个文件导入",
            bytes.len() as f64 / 1_000_000.0
        )));
    }
    Ok(())
}

/// What an uploaded workbook may hold, checked on the zip archive before the sheet reader
/// sees it: a 2 KB file can declare a cell at XFD1048576 (the reader would allocate the
/// whole grid) or unpack a 200 MB string.
const MAX_ENTRIES: usize = 2_000;
const MAX_UNPACKED_BYTES: u64 = 150_000_000;
const MAX_ROWS: u64 = 200_000;
const MAX_COLUMNS: u64 = 200;
/// The longest text node: Excel's 32 767 characters, as UTF-8 with entities.
const MAX_TEXT_BYTES: u64 = 200_000;

fn too_big(what: &str) -> Error {
    file_error(format!(
        "{what}，请只保留需要导入的数据（可先下载模板填写）"
    ))
}

/// Checks the archive of an `.xlsx`: entry count, unpacked size (counted while unpacking,
/// whatever the archive declares), the rows and columns every cell reference and the
/// sheet's declared dimension name, and the length of every text. O(1) memory.
pub fn check_bounds(bytes: &[u8]) -> Result<()> {
    let unreadable = || file_error("无法读取文件：请上传 Excel 工作簿（.xlsx），可先下载模板填写");
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| unreadable())?;
    if archive.len() > MAX_ENTRIES {
        return Err(too_big("工作簿内部文件过多"));
    }
    let mut unpacked: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|_| unreadable())?;
        let name = entry.name().map_err(|_| unreadable())?.to_string();
        let xml = name.ends_with(".xml") && name.starts_with("xl/");
        let mut scan = Scan::default();
        let mut reader = std::io::Read::take(entry, MAX_UNPACKED_BYTES - unpacked + 1);
        let mut buf = [0u8; 64 * 1024];
        loop {
            let n = std::io::Read::read(&mut reader, &mut buf).map_err(|_| unreadable())?;
            if n == 0 {
                break;
            }
            unpacked += n as u64;
            if unpacked > MAX_UNPACKED_BYTES {
                return Err(too_big("工作簿解压后超过 150 MB"));
            }
            if xml {
                scan.feed(&buf[..n])?;
            }
        }
    }
    Ok(())
}

/// A streaming look at sheet XML: cell and row references (`r="XFD1048576"`, `r="12"`),
/// the dimension (`ref="A1:XFD1048576"`) and text-node lengths.
#[derive(Default)]
struct Scan {
    /// The last bytes seen, to find ` r="` and ` ref="` across buffer boundaries.
    tail: [u8; 6],
    /// Inside a reference value: its bytes so far.
    reference: Option<Vec<u8>>,
    text_run: u64,
}

impl Scan {
    fn feed(&mut self, chunk: &[u8]) -> Result<()> {
        for &b in chunk {
            if let Some(value) = &mut self.reference {
                if b == b'"' {
                    let value = std::mem::take(value);
                    self.reference = None;
                    check_reference(&value)?;
                } else if value.len() < 40 {
                    value.push(b);
                }
            }
            if b == b'<' {
                self.text_run = 0;
            } else {
                self.text_run += 1;
                if self.text_run > MAX_TEXT_BYTES {
                    return Err(too_big("表格中有超过 32767 个字符的单元格内容"));
                }
            }
            self.tail.rotate_left(1);
            self.tail[5] = b;
            // ` r="` on cells and rows, ` ref="` on the dimension (not `sqref`, which a
            // selection of whole columns fills up to row 1048576).
            if self.reference.is_none() && (&self.tail[2..] == b" r=\"" || &self.tail == b" ref=\"")
            {
                self.reference = Some(Vec::new());
            }
        }
        Ok(())
    }
}

/// Checks `A1`, `XFD1048576`, `12` or `A1:XFD1048576` against the row and column limits.
fn check_reference(value: &[u8]) -> Result<()> {
    for part in value.split(|b| *b == b':') {
        let letters = part.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        let column = part[..letters].iter().fold(0u64, |n, b| {
            n.saturating_mul(26)
                .saturating_add(u64::from(b.to_ascii_uppercase().saturating_sub(b'A')) + 1)
        });
        let row = part[letters..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .fold(0u64, |n, b| {
                n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
            });
        if column > MAX_COLUMNS {
            return Err(too_big(&format!("表格有超过 {MAX_COLUMNS} 列的内容")));
        }
        if row > MAX_ROWS {
            return Err(too_big(&format!("表格有超过 {MAX_ROWS} 行的内容")));
        }
    }
    Ok(())
}

/// The text of a cell as a person typed it: whole numbers without a decimal point (phone
/// numbers typed as numbers), dates as 年-月-日.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        Data::DateTime(d) => d
            .as_datetime()
            .map(|dt| dt.date().format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| d.to_string()),
        Data::DateTimeIso(s) => s.get(..10).unwrap_or(s).to_string(),
        other => other.to_string(),
    }
}

/// Reads the first worksheet of an `.xlsx` file. The first non-blank row is the header:
/// every required column must be there, and no header may be unknown (a renamed column
/// would otherwise be silently ignored). Blank rows are skipped, and so is the template's
/// example row when it was left in.
pub fn read(bytes: &[u8], columns: &[Column], example: &[&str]) -> Result<Vec<Row>> {
    check_upload(bytes)?;
    check_bounds(bytes)?;
    let mut book = Xlsx::new(Cursor::new(bytes))
        .map_err(|_| file_error("无法读取文件：请上传 Excel 工作簿（.xlsx），可先下载模板填写"))?;
    let range = match book.worksheet_range_at(0) {
        Some(Ok(range)) => range,
        Some(Err(_)) => return Err(file_error("工作表内容损坏，无法读取")),
        None => return Err(file_error("工作簿中没有工作表")),
    };
    let first_row = range.start().map(|(r, _)| r).unwrap_or(0);
    let mut rows = range
        .rows()
        .enumerate()
        .map(|(i, cells)| {
            let number = first_row + u32::try_from(i).unwrap_or(u32::MAX) + 1;
            (number, cells.iter().map(cell_text).collect::<Vec<_>>())
        })
        .filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()));
    let Some((header_row, headers)) = rows.next() else {
        return Err(file_error(
            "工作表是空的：第一行应为表头，从第二行起每行一条记录",
        ));
    };
    let position: HashMap<&str, usize> = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| !h.is_empty())
        .map(|(i, h)| (h.trim_start_matches('*').trim(), i))
        .collect();
    let mut problems = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let name = h.trim_start_matches('*').trim();
        if !name.is_empty() && !columns.iter().any(|c| c.title == name) {
            problems.push(format!(
                "第{header_row}行第{}列的列名“{name}”无法识别",
                column_letter(i)
            ));
        }
    }
    let missing: Vec<&str> = columns
        .iter()
        .filter(|c| c.required && !position.contains_key(c.title))
        .map(|c| c.title)
        .collect();
    if !missing.is_empty() {
        problems.push(format!("缺少必填列：{}", missing.join("、")));
    }
    if !problems.is_empty() {
        return Err(file_error(format!(
            "{}。表头应为模板中的列名：{}",
            problems.join("；"),
            columns
                .iter()
                .map(|c| c.title)
                .collect::<Vec<_>>()
                .join("、")
        )));
    }
    let index: Vec<Option<usize>> = columns
        .iter()
        .map(|c| position.get(c.title).copied())
        .collect();
    let data: Vec<Row> = rows
        .map(|(number, cells)| Row {
            number,
            cells: index
                .iter()
                .map(|i| i.and_then(|i| cells.get(i).cloned()).unwrap_or_default())
                .collect(),
        })
        .filter(|row| {
            !(row.cells.len() == example.len()
                && row.cells.iter().zip(example).all(|(a, b)| a == b))
        })
        .collect();
    if data.is_empty() {
        return Err(file_error("表中没有数据行：请从表头下一行起填写"));
    }
    Ok(data)
}

/// Spreadsheet column letters: 0 → A, 26 → AA.
pub fn column_letter(mut index: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + u8::try_from(index % 26).unwrap_or(0));
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// One sheet of a workbook to write.
pub struct SheetData<'a> {
    pub name: &'a str,
    pub headers: &'a [&'a str],
    pub rows: &'a [Vec<String>],
}

fn col(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

fn write_sheet(book: &mut Workbook, sheet: &SheetData<'_>) -> Result<(), XlsxError> {
    let ws = book.add_worksheet();
    ws.set_name(sheet.name)?;
    let bold = Format::new().set_bold();
    for (c, title) in sheet.headers.iter().enumerate() {
        ws.write_string_with_format(0, col(c), *title, &bold)?;
        ws.set_column_width(col(c), 18)?;
    }
    for (r, row) in sheet.rows.iter().enumerate() {
        let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
        for (c, value) in row.iter().enumerate() {
            if !value.is_empty() {
                ws.write_string(r, col(c), value)?;
            }
        }
    }
    Ok(())
}

fn xlsx_error(e: XlsxError) -> Error {
    Error::Internal(format!("生成 Excel 失败：{e}"))
}

/// A workbook of one or more sheets of text.
pub fn workbook(sheets: &[SheetData<'_>]) -> Result<Vec<u8>> {
    let mut book = Workbook::new();
    for sheet in sheets {
        write_sheet(&mut book, sheet).map_err(xlsx_error)?;
    }
    book.save_to_buffer().map_err(xlsx_error)
}

/// An import template: the data sheet with the headers (required ones in red) and an
/// example row, every column formatted as text so that Excel keeps ID and phone numbers
/// as typed; and a sheet explaining each column and its allowed values.
pub fn template(sheet_name: &str, columns: &[Column], example: &[&str]) -> Result<Vec<u8>> {
    let build = || -> Result<Vec<u8>, XlsxError> {
        let mut book = Workbook::new();
        let ws = book.add_worksheet();
        ws.set_name(sheet_name)?;
        let text = Format::new().set_num_format("@");
        let header = Format::new().set_bold();
        let required = Format::new().set_bold().set_font_color(Color::Red);
        let sample = Format::new()
            .set_num_format("@")
            .set_font_color(Color::Gray);
        for (c, column) in columns.iter().enumerate() {
            ws.set_column_width(col(c), 16)?;
            ws.set_column_format(col(c), &text)?;
            let f = if column.required { &required } else { &header };
            ws.write_string_with_format(0, col(c), column.title, f)?;
            if let Some(value) = example.get(c) {
                ws.write_string_with_format(1, col(c), *value, &sample)?;
            }
        }
        let help = book.add_worksheet();
        help.set_name("填写说明")?;
        let bold = Format::new().set_bold();
        for (c, title) in ["列名", "是否必填", "填写要求与允许的值"]
            .iter()
            .enumerate()
        {
            help.write_string_with_format(0, col(c), *title, &bold)?;
        }
        help.set_column_width(0, 16)?;
        help.set_column_width(1, 10)?;
        help.set_column_width(2, 80)?;
        for (r, column) in columns.iter().enumerate() {
            let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
            help.write_string(r, 0, column.title)?;
            help.write_string(r, 1, if column.required { "必填" } else { "选填" })?;
            help.write_string(r, 2, column.help)?;
        }
        let last = u32::try_from(columns.len() + 2).unwrap_or(u32::MAX);
        help.write_string(
            last,
            0,
            "说明：第一行为表头，请勿修改列名；灰色的第二行是示例，可删除或覆盖（原样保留时导入会跳过它）。",
        )?;
        book.save_to_buffer()
    };
    build().map_err(xlsx_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: [Column; 3] = [
        Column {
            title: "学号",
            required: true,
            help: "",
        },
        Column {
            title: "姓名",
            required: true,
            help: "",
        },
        Column {
            title: "备注",
            required: false,
            help: "",
        },
    ];

    fn book(rows: &[Vec<String>], headers: &[&str]) -> Vec<u8> {
        workbook(&[SheetData {
            name: "学生",
            headers,
            rows,
        }])
        .expect("workbook")
    }

    #[test]
    fn reads_rows_in_column_order_and_skips_the_example() {
        let bytes = book(
            &[
                vec!["张三".into(), "S1".into()],
                vec![],
                vec!["李四".into(), "S2".into()],
            ],
            &["姓名", "学号"],
        );
        let rows = read(&bytes, &COLUMNS, &["S2", "李四", ""]).expect("read");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].number, 2);
        assert_eq!(rows[0].cells, vec!["S1", "张三", ""]);
    }

    #[test]
    fn template_reads_back_with_its_example_skipped() {
        let example = ["S001", "张小明", "无"];
        let bytes = template("学生", &COLUMNS, &example).expect("template");
        let err = read(&bytes, &COLUMNS, &example).expect_err("only the example");
        assert!(format!("{err:?}").contains("没有数据行"), "{err:?}");
    }

    #[test]
    fn renamed_and_missing_columns_are_named() {
        let bytes = book(&[vec!["S1".into(), "张三".into()]], &["学号", "学生姓名"]);
        let err = format!("{:?}", read(&bytes, &COLUMNS, &[]).expect_err("renamed"));
        assert!(err.contains("第1行第B列的列名“学生姓名”无法识别"), "{err}");
        assert!(err.contains("缺少必填列：姓名"), "{err}");
    }

    #[test]
    fn non_xlsx_empty_and_oversized_files_are_refused() {
        let err = |bytes: &[u8]| format!("{:?}", read(bytes, &COLUMNS, &[]).expect_err("bad"));
        assert!(err(b"").contains("文件为空"));
        assert!(err(b"name,phone\n").contains("无法读取文件"));
        assert!(err(&vec![0u8; 20 * 1024 * 1024]).contains("超过 20 MB"));
        assert!(err(&book(&[], &[])).contains("工作表是空的"));
    }

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
    }
}
