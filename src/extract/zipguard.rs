//! Safe reading of ZIP-based documents (DOCX, PPTX, XLSX, ODS): every byte we inflate
//! counts against [`Limits::max_unzipped_bytes`], so a zip bomb named `.docx` costs a
//! bounded amount of memory and time whatever its headers claim.

use std::cell::Cell;
use std::io::{Cursor, Read};

use zip::ZipArchive;
use zip::result::ZipError;

use super::{Format, Limits, Problem, ProblemKind};

/// A ZIP package with an inflation budget.
pub(super) struct Package<'a> {
    archive: ZipArchive<Cursor<&'a [u8]>>,
    budget: Cell<u64>,
    limit: u64,
}

impl<'a> Package<'a> {
    pub(super) fn open(bytes: &'a [u8], format: &str, limits: &Limits) -> Result<Self, Problem> {
        let mut archive =
            ZipArchive::new(Cursor::new(bytes)).map_err(|e| zip_problem(format, e))?;
        // Declared sizes can lie, but a package that admits to being a bomb is refused
        // before any work; the budget in `read` catches the liars.
        let mut declared: u64 = 0;
        for i in 0..archive.len() {
            let entry = archive
                .by_index_raw(i)
                .map_err(|e| zip_problem(format, e))?;
            declared = declared.saturating_add(entry.size());
        }
        if declared > limits.max_unzipped_bytes {
            return Err(bomb(declared, limits.max_unzipped_bytes));
        }
        Ok(Package {
            archive,
            budget: Cell::new(limits.max_unzipped_bytes),
            limit: limits.max_unzipped_bytes,
        })
    }

    pub(super) fn names(&self) -> Vec<String> {
        self.archive
            .file_names()
            .filter_map(|n| n.ok().map(|n| n.into_owned()))
            .collect()
    }

    pub(super) fn has(&self, name: &str) -> bool {
        self.archive.index_for_name(name).is_some()
    }

    /// Reads an entry as UTF-8 text, or `None` when the package has no such entry.
    pub(super) fn read(&mut self, name: &str, format: &str) -> Result<Option<String>, Problem> {
        let mut entry = match self.archive.by_name(name) {
            Ok(e) => e,
            Err(ZipError::FileNotFound) => return Ok(None),
            Err(e) => return Err(zip_problem(format, e)),
        };
        let budget = self.budget.get();
        let mut buf = Vec::new();
        (&mut entry)
            .take(budget + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Problem::corrupt(format, format!("{name}: {e}")))?;
        if buf.len() as u64 > budget {
            return Err(bomb(self.limit + 1, self.limit));
        }
        self.budget.set(budget - buf.len() as u64);
        Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
    }
}

/// Which OOXML/ODF format a ZIP package holds, if any.
pub(super) fn ooxml_kind(bytes: &[u8]) -> Result<Option<Format>, Problem> {
    let archive = ZipArchive::new(Cursor::new(bytes)).map_err(|e| zip_problem("ZIP package", e))?;
    let has = |n: &str| archive.index_for_name(n).is_some();
    Ok(if has("word/document.xml") {
        Some(Format::Docx)
    } else if has("ppt/presentation.xml") {
        Some(Format::Pptx)
    } else if has("xl/workbook.xml") || has("xl/workbook.bin") {
        Some(Format::Xlsx)
    } else if has("content.xml") && has("mimetype") {
        Some(Format::Ods)
    } else {
        None
    })
}

fn bomb(size: u64, limit: u64) -> Problem {
    Problem::new(
        ProblemKind::TooLarge,
        format!(
            "ZIP package expands to over {} MiB (limit {} MiB, max_unzipped_bytes in config.toml): possible zip bomb",
            size >> 20,
            limit >> 20
        ),
    )
}

fn zip_problem(format: &str, e: ZipError) -> Problem {
    match e {
        ZipError::UnsupportedArchive(msg) if msg.to_ascii_lowercase().contains("password") => {
            Problem::new(
                ProblemKind::Encrypted,
                format!("password-protected {format}"),
            )
        }
        e => Problem::corrupt(format, e),
    }
}
