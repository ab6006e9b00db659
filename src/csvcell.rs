//! CSV cells that a spreadsheet will not run: a cell that begins with `=`, `+`, `-`,
//! `@`, a tab or a carriage return is a formula to Excel and LibreOffice, and queries,
//! competitor names, rep names, titles and paths are typed by people or come from
//! files. Every CSV Quiver writes passes text cells through [`safe`] (OWASP's advice:
//! prefix a single quote, which spreadsheets show as text and do not display), and the
//! CSV Quiver reads back (a taxonomy) takes the quote off with [`unescape`].

use std::borrow::Cow;

fn is_trigger(c: char) -> bool {
    matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r')
}

/// `text` as a cell no spreadsheet evaluates.
pub fn safe(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some(c) if is_trigger(c) => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

/// The text [`safe`] was given, from a cell it wrote.
pub fn unescape(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.chars().next().is_some_and(is_trigger) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_quoted_and_round_trip() {
        for hostile in ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            let cell = safe(hostile);
            assert!(cell.starts_with('\''), "{hostile:?} is neutralised");
            assert_eq!(unescape(&cell), hostile, "and read back as written");
        }
        assert_eq!(safe("pricing"), "pricing");
        assert_eq!(unescape("'quoted"), "'quoted", "an ordinary quote is kept");
    }
}
