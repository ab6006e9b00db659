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

/// Whether `text`, after any leading quotes, begins like a formula. Text that already
/// begins with quotes before a trigger is quoted once more, so [`unescape`] gives back
/// exactly what was written.
fn needs_quote(text: &str) -> bool {
    text.trim_start_matches('\'')
        .chars()
        .next()
        .is_some_and(is_trigger)
}

/// `text` as a cell no spreadsheet evaluates.
pub fn safe(text: &str) -> Cow<'_, str> {
    if needs_quote(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The text [`safe`] was given, from a cell it wrote.
pub fn unescape(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_quote(rest) => rest,
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
        assert_eq!(
            unescape(&safe("'=x")),
            "'=x",
            "quotes before a formula survive"
        );
    }
}
