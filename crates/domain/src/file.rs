//! Uploaded files are hostile: their type is read from their first bytes, never from their
//! name, and a name that claims another type is refused.

/// A type of file the platform accepts as a document or picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Pdf,
    Png,
    Jpeg,
}

impl FileType {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
        }
    }

    fn extensions(self) -> &'static [&'static str] {
        match self {
            Self::Pdf => &["pdf"],
            Self::Png => &["png"],
            Self::Jpeg => &["jpg", "jpeg"],
        }
    }

    /// The type the bytes are, by their signature.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"%PDF-") {
            Some(Self::Pdf)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else {
            None
        }
    }
}

/// Checks an upload: its size, its type by content, and that its name does not claim
/// another type. Returns the type and a file name safe to show and to send back.
pub fn check_upload(
    file_name: &str,
    bytes: &[u8],
    max_bytes: usize,
) -> Result<(FileType, String), String> {
    if bytes.is_empty() {
        return Err("文件是空的".into());
    }
    if bytes.len() > max_bytes {
        return Err(format!("文件不能超过{}MB", max_bytes / (1024 * 1024)));
    }
    let Some(kind) = FileType::sniff(bytes) else {
        return Err("只接受PDF、PNG或JPG文件（按文件内容判断）".into());
    };
    let name = safe_name(file_name);
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if !kind.extensions().contains(&extension.as_str()) {
        return Err("文件内容与扩展名不符".into());
    }
    Ok((kind, name))
}

/// The last path segment of a name, without control, direction or quote characters, at
/// most 100 characters.
pub fn safe_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !crate::field::forbidden_char(*c) && !matches!(c, '"' | '<' | '>' | ';'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.');
    let count = cleaned.chars().count();
    if count <= 100 {
        return cleaned.to_string();
    }
    // Keep the extension when shortening.
    let tail: String = cleaned.chars().skip(count - 10).collect();
    let head: String = cleaned.chars().take(90).collect();
    match tail.rsplit_once('.') {
        Some((_, ext)) => format!("{head}.{ext}"),
        None => head,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_comes_from_content_and_the_name_must_agree() {
        let pdf = b"%PDF-1.7\n...";
        let png = b"\x89PNG\r\n\x1a\n....";
        assert_eq!(
            check_upload("营业执照.PDF", pdf, 100).map(|(t, _)| t),
            Ok(FileType::Pdf)
        );
        assert_eq!(
            check_upload("a.jpeg", &[0xFF, 0xD8, 0xFF, 0xE0], 100).map(|(t, _)| t),
            Ok(FileType::Jpeg)
        );
        assert!(check_upload("a.pdf", png, 100).is_err(), "disguised");
        assert!(
            check_upload("a.pdf", b"MZ\x90\x00", 100).is_err(),
            "executable"
        );
        assert!(check_upload("a.pdf", b"", 100).is_err(), "empty");
        assert!(check_upload("a.pdf", pdf, 5).is_err(), "too big");
        assert!(check_upload("a", pdf, 100).is_err(), "no extension");
    }

    #[test]
    fn names_lose_paths_and_dangerous_characters() {
        assert_eq!(safe_name("../../etc/passwd.pdf"), "passwd.pdf");
        assert_eq!(safe_name("C:\\x\\证书.pdf"), "证书.pdf");
        assert_eq!(safe_name("a\u{202E}fdp.exe\".pdf"), "afdp.exe.pdf");
        let long = format!("{}.pdf", "名".repeat(200));
        let short = safe_name(&long);
        assert!(short.ends_with(".pdf") && short.chars().count() <= 100);
    }
}
