//! PDF through PDFium (`pdfium-render`), chosen by measurement: see BENCHMARKS.md,
//! "PDF extractor". PDFium is loaded at run time from `libpdfium.so`; `cargo xtask
//! setup` puts it in `target/pdfium/`, `QUIVER_PDFIUM` may name another copy.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::OnceLock;

use pdfium_render::prelude::*;

use super::{Document, Format, Problem, ProblemKind, Section, SectionKind};

static PDFIUM: OnceLock<Result<Pdfium, String>> = OnceLock::new();

fn pdfium() -> Result<&'static Pdfium, Problem> {
    PDFIUM
        .get_or_init(bind)
        .as_ref()
        .map_err(|e| Problem::new(ProblemKind::Unsupported, e.clone()))
}

/// Places `libpdfium.so` is looked for, in order.
pub fn library_candidates() -> Vec<PathBuf> {
    let name = Pdfium::pdfium_platform_library_name();
    let mut out = Vec::new();
    if let Some(p) = std::env::var_os("QUIVER_PDFIUM") {
        out.push(PathBuf::from(p));
    }
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(PathBuf::from))
    {
        out.push(dir.join(&name));
        // target/{debug,release}/quiver and target/debug/deps/<test> both find
        // target/pdfium/, where `cargo xtask setup` puts the library.
        out.push(dir.join("../pdfium").join(&name));
        out.push(dir.join("../../pdfium").join(&name));
        // An installed layout: bin/quiver beside lib/quiver/.
        out.push(dir.join("../lib/quiver").join(&name));
    }
    out
}

fn bind() -> Result<Pdfium, String> {
    for candidate in library_candidates() {
        if candidate.is_file()
            && let Ok(bindings) = Pdfium::bind_to_library(&candidate)
        {
            return Ok(Pdfium::new(bindings));
        }
    }
    Pdfium::bind_to_system_library().map(Pdfium::new).map_err(|_| {
        "PDF support is not installed: libpdfium.so was not found (run `cargo xtask setup`, or set QUIVER_PDFIUM to its path)".to_owned()
    })
}

pub(super) fn extract(bytes: &[u8], wanted: Range<u32>) -> Result<Document, Problem> {
    let pdfium = pdfium()?;
    let pdf = pdfium
        .load_pdf_from_byte_slice(bytes, None)
        .map_err(open_problem)?;
    let pages = pdf.pages();
    let count = u32::try_from(pages.len()).unwrap_or(0);
    let mut sections = Vec::new();
    for i in wanted.start..wanted.end.min(count) {
        let text = pages
            .get(i as PdfPageIndex)
            .ok()
            .and_then(|page| {
                let text = page.text().ok()?;
                // `all()` clips to the unrotated page box and loses text on rotated
                // pages; the bounding box keeps it (../shared/notes/pdf-extractors.md).
                Some(match page.boundaries().bounding() {
                    Ok(b) => text.inside_rect(b.bounds),
                    Err(_) => text.all(),
                })
            })
            .unwrap_or_default();
        sections.push(Section {
            kind: SectionKind::Page,
            number: i + 1,
            name: None,
            text: clean(&text),
        });
    }
    let meta = pdf.metadata();
    let get = |tag| {
        meta.get(tag)
            .map(|t| t.value().trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    Ok(Document {
        format: Some(Format::Pdf),
        title: get(PdfDocumentMetadataTagType::Title),
        author: get(PdfDocumentMetadataTagType::Author),
        created: get(PdfDocumentMetadataTagType::CreationDate).and_then(|d| pdf_date(&d)),
        modified: get(PdfDocumentMetadataTagType::ModificationDate).and_then(|d| pdf_date(&d)),
        page_count: Some(count),
        sections,
    })
}

/// PDFium marks line ends with `\r\n`, hyphenation points with control characters and
/// bidi runs with invisible format characters (U+202A..U+202E); all of them would split
/// words in the index.
fn clean(text: &str) -> String {
    text.chars()
        .filter(|&c| {
            (!c.is_control() || c == '\n' || c == '\t')
                && !matches!(
                    c,
                    '\u{202A}'..='\u{202E}' | '\u{200E}' | '\u{200F}' | '\u{FEFF}'
                )
        })
        .collect()
}

fn open_problem(e: PdfiumError) -> Problem {
    match e {
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::PasswordError) => {
            Problem::new(ProblemKind::Encrypted, "password-protected PDF")
        }
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::SecurityError) => {
            Problem::new(
                ProblemKind::Encrypted,
                "PDF with an unsupported security handler",
            )
        }
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::FormatError) => {
            Problem::corrupt("PDF", "damaged or truncated file structure")
        }
        other => Problem::corrupt("PDF", format!("{other:?}")),
    }
}

/// `D:YYYYMMDDHHmmSS...` to RFC 3339 (UTC offset ignored: dates, not instants, matter
/// here).
fn pdf_date(raw: &str) -> Option<String> {
    let digits: String = raw
        .trim_start_matches("D:")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    if digits.len() < 8 {
        return None;
    }
    let part = |a: usize, b: usize, default: &str| digits.get(a..b).unwrap_or(default).to_owned();
    Some(format!(
        "{}-{}-{}T{}:{}:{}Z",
        part(0, 4, "1970"),
        part(4, 6, "01"),
        part(6, 8, "01"),
        part(8, 10, "00"),
        part(10, 12, "00"),
        part(12, 14, "00")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_dates_become_rfc3339() {
        assert_eq!(
            pdf_date("D:20240315093000+01'00'").as_deref(),
            Some("2024-03-15T09:30:00Z")
        );
        assert_eq!(pdf_date("D:2024").as_deref(), None);
    }

    #[test]
    fn bidi_marks_are_removed() {
        assert_eq!(clean("\u{202B}abc\u{202C}\r\n"), "abc\n");
    }
}
