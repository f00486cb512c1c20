//! PDF documents (signed confirmations, receipts): A4 pages of text set in STSong-Light,
//! the Chinese font every PDF reader brings (Acrobat, pdf.js, Chrome, WeChat, poppler with
//! its data), addressed through the predefined `UniGB-UTF16-H` encoding — so no font file
//! is embedded and a page of text stays a few kilobytes. The layout is deliberately plain:
//! headings, wrapped paragraphs, label–value lines and tables with fixed columns; a text
//! that does not fit its cell is cut with "…".

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;
const BODY_SIZE: f32 = 11.0;
const SMALL_SIZE: f32 = 9.0;
const HEADING_SIZE: f32 = 18.0;
const LEADING: f32 = 1.65;
const FONT: Name<'static> = Name(b"F1");

/// How wide a character is, in ems: ASCII is half width, everything else (Chinese,
/// full-width punctuation) a whole em, as in the font.
fn em(c: char) -> f32 {
    if c.is_ascii() { 0.5 } else { 1.0 }
}

fn width(text: &str, size: f32) -> f32 {
    text.chars().map(em).sum::<f32>() * size
}

/// What may be shown: no controls or direction overrides (they would reorder or hide
/// text), tabs as spaces.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .filter(|c| !kehou_domain::field::forbidden_char(*c))
        .collect()
}

/// Splits a text into lines no wider than `max` points, breaking anywhere (Chinese has no
/// spaces between words), keeping each paragraph of the text apart.
fn wrap(text: &str, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut used = 0.0;
        for c in clean(paragraph).chars() {
            let w = em(c) * size;
            if used + w > max && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                used = 0.0;
            }
            line.push(c);
            used += w;
        }
        lines.push(line);
    }
    lines
}

/// Cuts a text to fit `max` points, ending it with "…" when cut.
fn fit(text: &str, size: f32, max: f32) -> String {
    let text = clean(text);
    if width(&text, size) <= max {
        return text;
    }
    let mut out = String::new();
    let mut used = em('…') * size;
    for c in text.chars() {
        used += em(c) * size;
        if used > max {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

/// A document being laid out, page by page, top to bottom.
pub struct Document {
    title: String,
    pages: Vec<Content>,
    /// Where the next line's top is, in points from the bottom.
    y: f32,
}

impl Document {
    pub fn new(title: &str) -> Self {
        let mut d = Document {
            title: clean(title),
            pages: Vec::new(),
            y: 0.0,
        };
        d.new_page();
        d
    }

    /// Starts a new page (a new confirmation, say).
    pub fn new_page(&mut self) {
        self.pages.push(Content::new());
        self.y = PAGE_HEIGHT - MARGIN;
    }

    /// Makes room for `height` points, on a new page when this one is full.
    fn room(&mut self, height: f32) {
        if self.y - height < MARGIN + 20.0 {
            self.new_page();
        }
    }

    fn page(&mut self) -> &mut Content {
        if self.pages.is_empty() {
            self.pages.push(Content::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn show(&mut self, x: f32, baseline: f32, size: f32, text: &str) {
        let bytes = utf16(text);
        self.page()
            .begin_text()
            .set_font(FONT, size)
            .next_line(x, baseline)
            .show(Str(&bytes))
            .end_text();
    }

    /// A centred heading.
    pub fn heading(&mut self, text: &str) {
        let line = fit(text, HEADING_SIZE, PAGE_WIDTH - 2.0 * MARGIN);
        self.room(HEADING_SIZE * 2.2);
        let x = (PAGE_WIDTH - width(&line, HEADING_SIZE)) / 2.0;
        self.show(x, self.y - HEADING_SIZE, HEADING_SIZE, &line);
        self.y -= HEADING_SIZE * 2.2;
    }

    /// A paragraph (or several, one per line of the text), wrapped to the page.
    pub fn text(&mut self, text: &str) {
        self.lines(text, BODY_SIZE, MARGIN);
    }

    /// Small print, wrapped.
    pub fn small(&mut self, text: &str) {
        self.lines(text, SMALL_SIZE, MARGIN);
    }

    fn lines(&mut self, text: &str, size: f32, x: f32) {
        for line in wrap(text, size, PAGE_WIDTH - MARGIN - x) {
            self.room(size * LEADING);
            self.show(x, self.y - size, size, &line);
            self.y -= size * LEADING;
        }
    }

    /// "label：value", the value wrapped beside the label.
    pub fn field(&mut self, label: &str, value: &str) {
        let label = format!("{}：", clean(label));
        let indent = MARGIN + width(&label, BODY_SIZE);
        self.room(BODY_SIZE * LEADING);
        self.show(MARGIN, self.y - BODY_SIZE, BODY_SIZE, &label);
        self.lines(value, BODY_SIZE, indent);
    }

    /// Vertical space.
    pub fn gap(&mut self, points: f32) {
        self.y -= points;
    }

    /// A thin rule across the page.
    pub fn rule(&mut self) {
        self.room(8.0);
        let y = self.y - 4.0;
        self.page()
            .set_line_width(0.5)
            .set_stroke_gray(0.6)
            .move_to(MARGIN, y)
            .line_to(PAGE_WIDTH - MARGIN, y)
            .stroke();
        self.y -= 8.0;
    }

    /// A table: `shares` are the columns' parts of the page's width; the header is
    /// repeated on each page the table runs onto.
    pub fn table(&mut self, headers: &[&str], shares: &[f32], rows: &[Vec<String>]) {
        let total: f32 = shares.iter().sum::<f32>().max(f32::EPSILON);
        let usable = PAGE_WIDTH - 2.0 * MARGIN;
        let widths: Vec<f32> = shares.iter().map(|s| s / total * usable).collect();
        let height = SMALL_SIZE * 2.0;
        let header: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
        self.room(height * 2.0);
        self.row(&header, &widths, height);
        for r in rows {
            if self.y - height < MARGIN + 20.0 {
                self.new_page();
                self.row(&header, &widths, height);
            }
            self.row(r, &widths, height);
        }
        self.gap(height / 2.0);
    }

    fn row(&mut self, cells: &[String], widths: &[f32], height: f32) {
        let mut x = MARGIN;
        for (cell, w) in cells.iter().zip(widths) {
            let text = fit(cell, SMALL_SIZE, w - 4.0);
            self.show(x + 2.0, self.y - SMALL_SIZE * 1.4, SMALL_SIZE, &text);
            x += w;
        }
        let bottom = self.y - height;
        self.page()
            .set_line_width(0.3)
            .set_stroke_gray(0.75)
            .move_to(MARGIN, bottom)
            .line_to(PAGE_WIDTH - MARGIN, bottom)
            .stroke();
        self.y = bottom;
    }

    /// The finished file: every page numbered "第 i / n 页" at its foot.
    pub fn finish(mut self) -> Vec<u8> {
        let count = self.pages.len();
        let mut contents = std::mem::take(&mut self.pages);
        for (i, page) in contents.iter_mut().enumerate() {
            let foot = format!("{} · 第 {} / {} 页", self.title, i + 1, count);
            let foot = fit(&foot, SMALL_SIZE, PAGE_WIDTH - 2.0 * MARGIN);
            let x = (PAGE_WIDTH - width(&foot, SMALL_SIZE)) / 2.0;
            let bytes = utf16(&foot);
            page.begin_text()
                .set_font(FONT, SMALL_SIZE)
                .next_line(x, MARGIN / 2.0)
                .show(Str(&bytes))
                .end_text();
        }
        write(&self.title, contents)
    }
}

fn write(title: &str, contents: Vec<Content>) -> Vec<u8> {
    let mut next = 1;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let catalog = alloc();
    let tree = alloc();
    let info = alloc();
    let font = alloc();
    let cid_font = alloc();
    let descriptor = alloc();
    let pages: Vec<(Ref, Ref)> = contents.iter().map(|_| (alloc(), alloc())).collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.document_info(info)
        .title(TextStr(title))
        .creator(TextStr("kehou 课后服务平台"));
    pdf.pages(tree)
        .kids(pages.iter().map(|(p, _)| *p))
        .count(pages.len() as i32);
    pdf.type0_font(font)
        .base_font(Name(b"STSong-Light-UniGB-UTF16-H"))
        .encoding_predefined(Name(b"UniGB-UTF16-H"))
        .descendant_font(cid_font);
    let mut cid = pdf.cid_font(cid_font);
    cid.subtype(CidFontType::Type0)
        .base_font(Name(b"STSong-Light"))
        .system_info(SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"GB1"),
            supplement: 4,
        })
        .font_descriptor(descriptor)
        .default_width(1000.0);
    // CIDs 1–95 are the printable ASCII characters, set half width as `em` measures them.
    cid.widths().consecutive(1, [500.0; 95]);
    cid.finish();
    pdf.font_descriptor(descriptor)
        .name(Name(b"STSong-Light"))
        .flags(FontFlags::SERIF | FontFlags::SYMBOLIC)
        .bbox(Rect::new(-25.0, -254.0, 1000.0, 880.0))
        .italic_angle(0.0)
        .ascent(880.0)
        .descent(-120.0)
        .cap_height(880.0)
        .stem_v(93.0);
    for ((page, content), stream) in pages.iter().zip(contents) {
        let mut p = pdf.page(*page);
        p.parent(tree)
            .media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
            .contents(*content);
        p.resources().fonts().pair(FONT, font);
        p.finish();
        let packed = miniz_oxide::deflate::compress_to_vec_zlib(&stream.finish(), 6);
        pdf.stream(*content, &packed).filter(Filter::FlateDecode);
    }
    pdf.finish()
}

/// The text a document of this module shows, line by line: its content streams inflated and
/// their strings decoded. For reading back in tests what a download contains.
pub fn text_of(pdf: &[u8]) -> String {
    let mut out = String::new();
    let mut rest = pdf;
    while let Some(start) = find(rest, b"stream\n") {
        let body = &rest[start + 7..];
        let Some(end) = find(body, b"\nendstream") else {
            break;
        };
        if let Ok(content) = miniz_oxide::inflate::decompress_to_vec_zlib(&body[..end]) {
            for s in strings(&content) {
                out.push_str(&s);
                out.push('\n');
            }
        }
        rest = &body[end + b"\nendstream".len()..];
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn decode(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|p| u16::from_be_bytes([p[0], p.get(1).copied().unwrap_or(0)]))
        .collect();
    String::from_utf16_lossy(&units)
}

/// The strings of a content stream — literal `( … )` or hexadecimal `< … >` — decoded
/// from UTF-16BE.
fn strings(content: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < content.len() {
        if content[i] == b'<' {
            let end = content[i..]
                .iter()
                .position(|b| *b == b'>')
                .map_or(content.len(), |p| i + p);
            let digits: Vec<u8> = content[i + 1..end]
                .iter()
                .filter(|b| b.is_ascii_hexdigit())
                .copied()
                .collect();
            let bytes: Vec<u8> = digits
                .chunks(2)
                .filter_map(|p| {
                    let pair = std::str::from_utf8(p).ok()?;
                    u8::from_str_radix(&format!("{pair:0<2}"), 16).ok()
                })
                .collect();
            found.push(decode(&bytes));
            i = end + 1;
            continue;
        }
        if content[i] != b'(' {
            i += 1;
            continue;
        }
        let mut bytes = Vec::new();
        let mut depth = 1;
        i += 1;
        while i < content.len() {
            let b = content[i];
            match b {
                b'\\' if i + 1 < content.len() => {
                    i += 1;
                    let e = content[i];
                    match e {
                        b'n' => bytes.push(b'\n'),
                        b'r' => bytes.push(b'\r'),
                        b't' => bytes.push(b'\t'),
                        b'b' => bytes.push(8),
                        b'f' => bytes.push(12),
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match content.get(i + 1) {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        i += 1;
                                    }
                                    _ => break,
                                }
                            }
                            bytes.push(v as u8);
                        }
                        other => bytes.push(other),
                    }
                }
                b'(' => {
                    depth += 1;
                    bytes.push(b);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    bytes.push(b);
                }
                _ => bytes.push(b),
            }
            i += 1;
        }
        found.push(decode(&bytes));
        i += 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_reads_back_with_its_text_wrapped_and_numbered() {
        let mut d = Document::new("报名须知签署确认书");
        d.heading("报名须知签署确认书");
        d.field("学生", "周俊（S0001）");
        d.text(&"课后服务自愿参加。".repeat(40));
        d.table(
            &["学生", "签署人"],
            &[1.0, 1.0],
            &[vec!["周俊".into(), "周杰 (a)\\b".into()]],
        );
        let pdf = d.finish();
        assert!(pdf.starts_with(b"%PDF-"));
        let text = text_of(&pdf);
        assert!(text.contains("学生：\n周俊（S0001）"), "{text}");
        // 360 characters do not fit one line: wrapped into several.
        let lines = text.lines().filter(|l| l.contains("课后服务")).count();
        assert!(lines >= 4, "{text}");
        assert!(text.contains("周杰 (a)\\b"), "{text}");
        assert!(text.contains("第 1 / 1 页"), "{text}");
    }

    #[test]
    fn long_documents_run_onto_new_pages_and_hostile_characters_are_dropped() {
        let mut d = Document::new("t");
        let rows: Vec<Vec<String>> = (0..120)
            .map(|i| vec![format!("学生{i}\u{202E}exe.txt"), "x".repeat(500)])
            .collect();
        d.table(&["学生", "备注"], &[1.0, 3.0], &rows);
        let text = text_of(&d.finish());
        // About 38 rows a page.
        assert!(text.contains("第 4 / 4 页"), "{text}");
        assert!(!text.contains('\u{202E}'));
        assert!(text.contains("学生119exe.txt"));
        // The header is repeated on each page; long cells are cut.
        assert_eq!(text.lines().filter(|l| *l == "备注").count(), 4);
        assert!(text.contains("x…"));
    }
}
