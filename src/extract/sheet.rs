//! Spreadsheets (XLSX, XLS, ODS) through calamine: one section per sheet, cells joined
//! by tabs and rows by newlines, so numbers and labels on one row stay together.

use std::io::Cursor;

use calamine::{Data, Reader, open_workbook_auto_from_rs};

use super::zipguard::Package;
use super::{Document, Format, Limits, Problem, ProblemKind, Section, SectionKind};

pub(super) fn extract(bytes: &[u8], format: Format, limits: &Limits) -> Result<Document, Problem> {
    let label = format.as_str().to_ascii_uppercase();
    if format != Format::Xls {
        // calamine inflates parts itself; check the package against the bomb limits first.
        Package::open(bytes, &label, limits)?;
    }
    let mut book =
        open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| problem(&label, e))?;
    let names = book.sheet_names().to_vec();
    let mut sections = Vec::with_capacity(names.len());
    let mut unzipped: u64 = 0;
    for (i, name) in names.iter().enumerate() {
        let range = match book.worksheet_range(name) {
            Ok(r) => r,
            // A chart sheet or a broken sheet does not spoil the others.
            Err(_) => continue,
        };
        let mut text = format!("{name}\n");
        for row in range.rows() {
            let mut first = true;
            for cell in row {
                if !first {
                    text.push('\t');
                }
                first = false;
                match cell {
                    Data::Empty => {}
                    Data::String(s) => text.push_str(s),
                    other => text.push_str(&other.to_string()),
                }
            }
            // Trailing tabs of sparse rows are noise in snippets.
            while text.ends_with('\t') {
                text.pop();
            }
            text.push('\n');
            unzipped += text.len() as u64;
            if unzipped > limits.max_unzipped_bytes {
                return Err(Problem::new(
                    ProblemKind::TooLarge,
                    format!("sheet text exceeds {} MiB", limits.max_unzipped_bytes >> 20),
                ));
            }
        }
        sections.push(Section {
            kind: SectionKind::Sheet,
            number: i as u32 + 1,
            name: Some(name.clone()),
            text,
        });
    }
    let mut doc = Document {
        format: Some(format),
        page_count: Some(names.len() as u32),
        sections,
        ..Document::default()
    };
    if doc
        .sections
        .iter()
        .all(|s| s.text.lines().skip(1).all(|l| l.trim().is_empty()))
    {
        // Only sheet names: an empty workbook has no text worth indexing.
        doc.sections.iter_mut().for_each(|s| s.text.clear());
    }
    Ok(doc)
}

fn problem(label: &str, e: calamine::Error) -> Problem {
    let msg = e.to_string();
    if msg.to_ascii_lowercase().contains("password") || msg.to_ascii_lowercase().contains("encrypt")
    {
        Problem::new(
            ProblemKind::Encrypted,
            format!("password-protected {label}"),
        )
    } else {
        Problem::corrupt(label, msg)
    }
}
