//! Text and metadata extraction, one module per family of formats.
//!
//! [`extract_file`] is a pure function from a path to a [`Document`] or a [`Problem`].
//! It runs inside a worker process (see [`pool`]) so that a hostile file can at worst
//! kill a worker: the parent enforces the time limit, the worker its memory limit.
//! Text is kept per [`Section`] (PDF page, slide, sheet) so a hit can say where it is.

mod html;
mod office;
pub mod pdf;
pub mod pool;
mod sheet;
mod text;

/// Text of unknown encoding (a CRM's CSV export, say) as a string: a BOM wins, then
/// UTF-16 without one, then UTF-8, else Windows-1252.
pub fn decode_text(bytes: &[u8]) -> String {
    text::decode(bytes, None)
}
mod zipguard;

use std::fmt;
use std::ops::Range;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The formats Quiver reads. The file's bytes decide, not only its name: a PDF named
/// `.docx` is read as a PDF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Pdf,
    Docx,
    Pptx,
    Xlsx,
    Xls,
    Ods,
    Html,
    Markdown,
    Text,
    Csv,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Docx => "docx",
            Format::Pptx => "pptx",
            Format::Xlsx => "xlsx",
            Format::Xls => "xls",
            Format::Ods => "ods",
            Format::Html => "html",
            Format::Markdown => "markdown",
            Format::Text => "text",
            Format::Csv => "csv",
        }
    }

    /// The format a file name promises, for the files the library walk picks up.
    pub fn from_extension(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "pdf" => Format::Pdf,
            "docx" | "docm" => Format::Docx,
            "pptx" | "pptm" => Format::Pptx,
            "xlsx" | "xlsm" | "xlsb" => Format::Xlsx,
            "xls" => Format::Xls,
            "ods" => Format::Ods,
            "html" | "htm" | "xhtml" => Format::Html,
            "md" | "markdown" => Format::Markdown,
            "txt" | "text" => Format::Text,
            "csv" | "tsv" => Format::Csv,
            _ => return None,
        })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// File types that are collateral but that Quiver cannot read yet: reported as
/// problems rather than silently skipped, so nobody wonders where their deck went.
pub fn is_known_unsupported(path: &Path) -> bool {
    let Some(ext) = path.extension().and_then(|e| e.to_str()) else {
        return false;
    };
    matches!(
        ext.to_ascii_lowercase().as_str(),
        "doc"
            | "ppt"
            | "pps"
            | "ppsx"
            | "rtf"
            | "odt"
            | "odp"
            | "key"
            | "pages"
            | "numbers"
            | "epub"
    )
}

/// Where in a document a piece of text lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SectionKind {
    Page,
    Slide,
    Sheet,
    /// The whole document (formats without pages).
    Body,
}

/// One page, slide or sheet of text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub kind: SectionKind,
    /// 1-based page, slide or sheet number.
    pub number: u32,
    /// The sheet's name, for spreadsheets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub text: String,
}

/// What extraction yields for one file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub format: Option<Format>,
    /// From document properties, else the first heading; the caller falls back to the
    /// file name.
    pub title: Option<String>,
    pub author: Option<String>,
    /// RFC 3339 where the document says.
    pub created: Option<String>,
    pub modified: Option<String>,
    /// Pages, slides or sheets, where the format has them.
    pub page_count: Option<u32>,
    pub sections: Vec<Section>,
}

impl Document {
    pub fn has_text(&self) -> bool {
        self.sections
            .iter()
            .any(|s| s.text.chars().any(|c| !c.is_whitespace()))
    }

    fn single(format: Format, title: Option<String>, text: String) -> Document {
        Document {
            format: Some(format),
            title,
            sections: vec![Section {
                kind: SectionKind::Body,
                number: 1,
                name: None,
                text,
            }],
            ..Document::default()
        }
    }
}

/// Why a file could not be (fully) indexed. Stable strings: they are stored in the
/// catalog and shown in `quiver problems --json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    Encrypted,
    Corrupt,
    Unsupported,
    TooLarge,
    /// Readable, but no text: an image-only PDF, an empty workbook, whitespace.
    NoText,
    TimedOut,
    Unreadable,
    Empty,
    /// The extractor process died (out of memory, or a crash in a native library).
    Crashed,
    /// Never reached by the walk of its library folder: a symlink loop, a folder that
    /// may not be read, a name that is not UTF-8, a library folder that is gone.
    Skipped,
}

impl ProblemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Encrypted => "encrypted",
            ProblemKind::Corrupt => "corrupt",
            ProblemKind::Unsupported => "unsupported",
            ProblemKind::TooLarge => "too_large",
            ProblemKind::NoText => "no_text",
            ProblemKind::TimedOut => "timed_out",
            ProblemKind::Unreadable => "unreadable",
            ProblemKind::Empty => "empty",
            ProblemKind::Crashed => "crashed",
            ProblemKind::Skipped => "skipped",
        }
    }

    /// Whether the cause may pass on its own (a folder unmounted for a while, a busy
    /// machine, a crash): such problems are retried at every run. The others are of
    /// the file's content, and are retried when the file or the limits change.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ProblemKind::Unreadable
                | ProblemKind::Skipped
                | ProblemKind::TimedOut
                | ProblemKind::Crashed
        )
    }

    pub fn parse(s: &str) -> Option<ProblemKind> {
        ALL_PROBLEM_KINDS.iter().copied().find(|k| k.as_str() == s)
    }
}

const ALL_PROBLEM_KINDS: [ProblemKind; 10] = [
    ProblemKind::Encrypted,
    ProblemKind::Corrupt,
    ProblemKind::Unsupported,
    ProblemKind::TooLarge,
    ProblemKind::NoText,
    ProblemKind::TimedOut,
    ProblemKind::Unreadable,
    ProblemKind::Empty,
    ProblemKind::Crashed,
    ProblemKind::Skipped,
];

/// A file that could not be indexed, and why, in words a marketer can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{kind:?}: {message}")]
pub struct Problem {
    pub kind: ProblemKind,
    pub message: String,
}

impl Problem {
    pub fn new(kind: ProblemKind, message: impl Into<String>) -> Problem {
        Problem {
            kind,
            message: message.into(),
        }
    }

    fn corrupt(format: &str, detail: impl fmt::Display) -> Problem {
        Problem::new(
            ProblemKind::Corrupt,
            format!("corrupt or truncated {format}: {detail}"),
        )
    }
}

/// Per-file bounds. Time is enforced by the worker pool, the rest here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Files larger than this are not read at all.
    pub max_file_bytes: u64,
    /// The most a ZIP-based document (DOCX, PPTX, XLSX, ODS) may expand to.
    pub max_unzipped_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 256 << 20,
            max_unzipped_bytes: 512 << 20,
        }
    }
}

/// How many pages of a PDF the first worker request for it reads. The first request
/// for a longer PDF reads these and hands the rest back to the pool in parts, so every
/// worker shares one long file: a 619-page PDF took 1.1 s on one core while the others
/// had finished.
pub const PAGES_PER_REQUEST: u32 = 64;

/// Reads one file into a [`Document`]; of a PDF, only the (0-based) `pages`, while
/// `page_count` says how many it has.
///
/// # Errors
/// A [`Problem`] saying why the file cannot be indexed. A document that is readable but
/// has no text is `Ok`: the caller decides that it is a `no_text` problem, because such
/// a file is still findable by its title.
pub fn extract_file(path: &Path, limits: &Limits, pages: Range<u32>) -> Result<Document, Problem> {
    let meta = std::fs::metadata(path).map_err(|e| unreadable(&e))?;
    if meta.len() == 0 {
        return Err(Problem::new(ProblemKind::Empty, "empty file (0 bytes)"));
    }
    if meta.len() > limits.max_file_bytes {
        return Err(Problem::new(
            ProblemKind::TooLarge,
            format!(
                "file is {} MiB, over the {} MiB limit (max_file_bytes in config.toml)",
                meta.len() >> 20,
                limits.max_file_bytes >> 20
            ),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| unreadable(&e))?;
    let claimed = Format::from_extension(path);
    let format = sniff(&bytes, claimed)?;
    let mut doc = match format {
        Format::Pdf => pdf::extract(&bytes, pages)?,
        Format::Docx => office::docx(&bytes, limits)?,
        Format::Pptx => office::pptx(&bytes, limits)?,
        Format::Xlsx | Format::Xls | Format::Ods => sheet::extract(&bytes, format, limits)?,
        Format::Html => html::extract(&bytes),
        Format::Markdown => text::markdown(&bytes),
        Format::Text => text::plain(&bytes, Format::Text),
        Format::Csv => text::plain(&bytes, Format::Csv),
    };
    doc.format = Some(format);
    if doc.title.as_deref().is_some_and(|t| t.trim().is_empty()) {
        doc.title = None;
    }
    Ok(doc)
}

fn unreadable(e: &std::io::Error) -> Problem {
    Problem::new(
        ProblemKind::Unreadable,
        format!("cannot read the file: {e}"),
    )
}

const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Decides the format from the bytes, using the name only where bytes can't tell
/// (text formats) or to name the problem.
fn sniff(bytes: &[u8], claimed: Option<Format>) -> Result<Format, Problem> {
    let head = &bytes[..bytes.len().min(1024)];
    if head.windows(5).any(|w| w == b"%PDF-") {
        return Ok(Format::Pdf);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return zipguard::ooxml_kind(bytes).map(|k| k.unwrap_or(claimed.unwrap_or(Format::Docx)));
    }
    if bytes.starts_with(&OLE_MAGIC) {
        return match claimed {
            Some(Format::Xls) => Ok(Format::Xls),
            // Password-protected OOXML files are OLE containers holding the encrypted
            // package.
            Some(Format::Docx | Format::Pptx | Format::Xlsx) => Err(Problem::new(
                ProblemKind::Encrypted,
                "password-protected Office document (encrypted package)",
            )),
            _ => Err(Problem::new(
                ProblemKind::Unsupported,
                "legacy Office binary format (save it as DOCX/PPTX/XLSX)",
            )),
        };
    }
    match claimed {
        Some(f @ (Format::Html | Format::Markdown | Format::Text | Format::Csv)) => {
            if looks_binary(head) {
                Err(Problem::new(
                    ProblemKind::Corrupt,
                    format!("the file holds binary content, not {f}"),
                ))
            } else {
                Ok(f)
            }
        }
        Some(Format::Pdf) => Err(Problem::corrupt("PDF", "no %PDF header")),
        Some(f) => Err(Problem::corrupt(
            f.as_str(),
            "not a ZIP package (damaged, truncated or not really this format)",
        )),
        None => Err(Problem::new(
            ProblemKind::Unsupported,
            "unsupported file type",
        )),
    }
}

/// NUL bytes outside UTF-16 mean binary data.
fn looks_binary(head: &[u8]) -> bool {
    let utf16 = head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]);
    !utf16 && text::utf16_without_bom(head).is_none() && head.contains(&0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_trusts_bytes_over_names() {
        assert_eq!(
            sniff(b"%PDF-1.7 ...", Some(Format::Docx)).unwrap(),
            Format::Pdf
        );
        let random = [0x13u8, 0x99, 0x00, 0x42, 0x17];
        let err = sniff(&random, Some(Format::Pdf)).unwrap_err();
        assert_eq!(
            err.kind,
            ProblemKind::Corrupt,
            "random bytes named .pdf are corrupt"
        );
        let err = sniff(&OLE_MAGIC, Some(Format::Docx)).unwrap_err();
        assert_eq!(
            err.kind,
            ProblemKind::Encrypted,
            "OLE-wrapped .docx is encrypted"
        );
        assert_eq!(
            sniff(b"# Title", Some(Format::Markdown)).unwrap(),
            Format::Markdown
        );
    }

    #[test]
    fn problem_kinds_round_trip() {
        for k in ALL_PROBLEM_KINDS {
            assert_eq!(ProblemKind::parse(k.as_str()), Some(k));
        }
    }
}
