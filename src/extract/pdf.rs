//! PDF through PDFium's C API (bound by `pdfium-render`), chosen by measurement: see BENCHMARKS.md,
//! "PDF extractor". PDFium is loaded at run time from `libpdfium.so`; `cargo xtask
//! setup` puts it in `target/pdfium/`, `QUIVER_PDFIUM` may name another copy.

use std::char::DecodeUtf16Error;
use std::ops::Range;
use std::os::raw::c_ulong;
use std::path::PathBuf;
use std::ptr::null_mut;
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

/// A `libpdfium.so` a front names (from `QUIVER_PDFIUM`): looked for first.
static CHOSEN: OnceLock<PathBuf> = OnceLock::new();

/// Makes `path` the first place `libpdfium.so` is looked for, in this process. Call it
/// before the first PDF is read.
pub fn use_library(path: PathBuf) {
    let _ = CHOSEN.set(path);
}

/// Places `libpdfium.so` is looked for, in order.
pub fn library_candidates() -> Vec<PathBuf> {
    let name = Pdfium::pdfium_platform_library_name();
    let mut out: Vec<PathBuf> = CHOSEN.get().cloned().into_iter().collect();
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
    let b = pdfium()?.bindings();
    // The raw API, not pdfium-render's pages: those look up each page's label and
    // register it in a cache, and fetch a page's text twice (its length, then itself).
    // SAFETY: `bytes` outlives the document, which `Pdf` closes when dropped.
    let handle = unsafe { b.FPDF_LoadMemDocument64(bytes, None) };
    if handle.is_null() {
        return Err(open_problem(unsafe { b.FPDF_GetLastError() }));
    }
    let pdf = Pdf { b, handle };
    let count = u32::try_from(unsafe { b.FPDF_GetPageCount(pdf.handle) }).unwrap_or(0);
    let mut buf = Vec::new();
    let sections = (wanted.start..wanted.end.min(count))
        .map(|i| Section {
            kind: SectionKind::Page,
            number: i + 1,
            name: None,
            text: pdf.page_text(i, &mut buf),
        })
        .collect();
    Ok(Document {
        format: Some(Format::Pdf),
        title: pdf.meta("Title"),
        author: pdf.meta("Author"),
        created: pdf.meta("CreationDate").and_then(|d| pdf_date(&d)),
        modified: pdf.meta("ModDate").and_then(|d| pdf_date(&d)),
        page_count: Some(count),
        sections,
    })
}

/// An open document, closed when dropped.
struct Pdf<'a> {
    b: &'a dyn PdfiumLibraryBindings,
    handle: FPDF_DOCUMENT,
}

impl Drop for Pdf<'_> {
    fn drop(&mut self) {
        // SAFETY: opened by `FPDF_LoadMemDocument64`, closed once.
        unsafe { self.b.FPDF_CloseDocument(self.handle) }
    }
}

impl Pdf<'_> {
    /// Page `index`'s text, cleaned; empty for a page PDFium cannot load.
    fn page_text(&self, index: u32, buf: &mut Vec<u16>) -> String {
        let b = self.b;
        let Ok(index) = i32::try_from(index) else {
            return String::new();
        };
        // SAFETY: each handle is checked for null before use and closed once, text page
        // first; `buf` is as long as the length passed with it.
        unsafe {
            let page = b.FPDF_LoadPage(self.handle, index);
            if page.is_null() {
                return String::new();
            }
            let text_page = b.FPDFText_LoadPage(page);
            let mut out = String::new();
            if !text_page.is_null() {
                // The whole bounding box: clipping to the page box loses the text of
                // rotated pages (../shared/notes/pdf-extractors.md).
                let mut r = FS_RECTF {
                    left: 0.0,
                    top: b.FPDF_GetPageHeightF(page),
                    right: b.FPDF_GetPageWidthF(page),
                    bottom: 0.0,
                };
                b.FPDF_GetPageBoundingBox(page, &mut r);
                let (l, t, rt, bt) = (
                    f64::from(r.left),
                    f64::from(r.top),
                    f64::from(r.right),
                    f64::from(r.bottom),
                );
                // Room for every character with a line break before it; a text that
                // fills the buffer may have been cut, and is asked for again at its size.
                let chars = usize::try_from(b.FPDFText_CountChars(text_page)).unwrap_or(0);
                buf.resize(chars * 3 + 2, 0);
                let mut len = b.FPDFText_GetBoundedText(
                    text_page,
                    l,
                    t,
                    rt,
                    bt,
                    buf.as_mut_ptr(),
                    i32::try_from(buf.len()).unwrap_or(i32::MAX),
                );
                if usize::try_from(len).unwrap_or(0) >= buf.len() {
                    let need = b.FPDFText_GetBoundedText(text_page, l, t, rt, bt, null_mut(), 0);
                    // `need` counts characters; one outside the BMP is two units.
                    buf.resize(usize::try_from(need).unwrap_or(0) * 2 + 2, 0);
                    len = b.FPDFText_GetBoundedText(
                        text_page,
                        l,
                        t,
                        rt,
                        bt,
                        buf.as_mut_ptr(),
                        i32::try_from(buf.len()).unwrap_or(i32::MAX),
                    );
                }
                let len = usize::try_from(len).unwrap_or(0).min(buf.len());
                out = clean(char::decode_utf16(buf[..len].iter().copied()));
                b.FPDFText_ClosePage(text_page);
            }
            b.FPDF_ClosePage(page);
            out
        }
    }

    /// A document information entry, if set.
    fn meta(&self, tag: &str) -> Option<String> {
        // SAFETY: the first call gives the size in bytes (UTF-16LE, with the final NUL),
        // the second fills a buffer of that size.
        let bytes = unsafe {
            let size = self.b.FPDF_GetMetaText(self.handle, tag, null_mut(), 0);
            let mut bytes = vec![0u8; usize::try_from(size).ok()?];
            self.b
                .FPDF_GetMetaText(self.handle, tag, bytes.as_mut_ptr().cast(), size);
            bytes
        };
        let units = bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .take_while(|&u| u != 0);
        let value: String = char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect();
        Some(value.trim().to_owned()).filter(|v| !v.is_empty())
    }
}

/// PDFium marks line ends with `\r\n`, hyphenation points with control characters and
/// bidi runs with invisible format characters (U+202A..U+202E); all of them would split
/// words in the index.
fn clean(text: impl Iterator<Item = Result<char, DecodeUtf16Error>>) -> String {
    text.map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .filter(|&c| {
            (!c.is_control() || c == '\n' || c == '\t')
                && !matches!(
                    c,
                    '\u{202A}'..='\u{202E}' | '\u{200E}' | '\u{200F}' | '\u{FEFF}'
                )
        })
        .collect()
}

/// `FPDF_GetLastError` codes (fpdfview.h).
const FPDF_ERR_FILE: c_ulong = 2;
const FPDF_ERR_FORMAT: c_ulong = 3;
const FPDF_ERR_PASSWORD: c_ulong = 4;
const FPDF_ERR_SECURITY: c_ulong = 5;

fn open_problem(code: c_ulong) -> Problem {
    match code {
        FPDF_ERR_PASSWORD => Problem::new(ProblemKind::Encrypted, "password-protected PDF"),
        FPDF_ERR_SECURITY => Problem::new(
            ProblemKind::Encrypted,
            "PDF with an unsupported security handler",
        ),
        FPDF_ERR_FORMAT => Problem::corrupt("PDF", "damaged or truncated file structure"),
        FPDF_ERR_FILE => Problem::corrupt("PDF", "the file could not be read"),
        other => Problem::corrupt("PDF", format!("PDFium error {other}")),
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
        let utf16: Vec<u16> = "\u{202B}abc\u{202C}\r\n".encode_utf16().collect();
        assert_eq!(clean(char::decode_utf16(utf16)), "abc\n");
    }
}
