//! Finding a reason as a rep types it, best first: the one rule behind the app's picker,
//! `quiver reasons find`, and the "did you mean" of every place a code is typed.
//!
//! A rep typing `price` means "Price too high", not "Competitor was cheaper" (whose
//! keywords mention price): what the label or code starts with comes first, then a
//! word start inside the label, then keywords, then near misses; among equals, the
//! codes the team uses most.

use serde::Serialize;

use super::{Kind, Reason};
use crate::catalog::{Catalog, Tables};
use crate::{Result, edit};

/// How a reason matched what was typed, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, ts(export))]
pub enum Matched {
    /// The label starts with the typed words.
    Label,
    /// The code starts with them (`price too` for PRICE.TOO_HIGH).
    Code,
    /// Each typed word starts a word of the label or the code.
    Word,
    /// Each typed word starts a keyword, or a word of the category.
    Keyword,
    /// Each typed word is one or two edits from a word of the label, code or keywords.
    Typo,
}

/// A reason that matched, how, and how many recorded deals carry it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct ReasonMatch {
    #[serde(flatten)]
    pub reason: Reason,
    pub matched: Matched,
    #[cfg_attr(test, ts(type = "number"))]
    pub uses: i64,
}

/// Words of a code, label or typed text: lower case, split at spaces and punctuation.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether `typed` (all words whole but the last, which may be partial) starts `of`.
fn starts(of: &[String], typed: &[String]) -> bool {
    typed.len() <= of.len()
        && typed.iter().enumerate().all(|(i, t)| {
            if i + 1 == typed.len() {
                of[i].starts_with(t.as_str())
            } else {
                of[i] == *t
            }
        })
}

/// Whether a typed word is a near miss of a word: one edit from 4 letters, two from 7;
/// a typed word shorter than the word is compared with as much of it, since the rep may
/// still be typing.
fn near(typed: &str, word: &str) -> bool {
    let allowed = match typed.chars().count() {
        0..=3 => return false,
        4..=6 => 1,
        _ => 2,
    };
    let prefix: String = word.chars().take(typed.chars().count()).collect();
    edit::distance(typed, word) <= allowed || edit::distance(typed, &prefix) <= allowed
}

/// How `reason` matches the typed words, if it does.
fn matched(reason: &Reason, typed: &[String]) -> Option<Matched> {
    let label = words(&reason.label);
    let code = words(&reason.code);
    if starts(&label, typed) {
        return Some(Matched::Label);
    }
    if starts(&code, typed) {
        return Some(Matched::Code);
    }
    let any_starts = |pool: &[String], t: &String| pool.iter().any(|w| w.starts_with(t.as_str()));
    let named: Vec<String> = label.iter().chain(&code).cloned().collect();
    if typed.iter().all(|t| any_starts(&named, t)) {
        return Some(Matched::Word);
    }
    let keywords: Vec<String> = reason
        .keywords
        .iter()
        .flat_map(|k| words(k))
        .chain(words(&reason.category))
        .collect();
    let all: Vec<String> = named.iter().chain(&keywords).cloned().collect();
    if typed.iter().all(|t| any_starts(&all, t)) {
        return Some(Matched::Keyword);
    }
    if typed
        .iter()
        .all(|t| all.iter().any(|w| w.starts_with(t.as_str()) || near(t, w)))
    {
        return Some(Matched::Typo);
    }
    None
}

/// Active reasons matching `text`, best first. `kind` keeps the reasons that fit an
/// outcome (buy reasons for a win, objections for a loss), and the catch-alls that fit
/// any. Blank text lists every fitting reason, most used first.
///
/// # Errors
/// Catalog errors.
pub fn find(
    catalog: &Catalog,
    text: &str,
    kind: Option<Kind>,
    limit: usize,
) -> Result<Vec<ReasonMatch>> {
    find_in(catalog.tables(), text, kind, limit)
}

pub(crate) fn find_in(
    db: Tables<'_>,
    text: &str,
    kind: Option<Kind>,
    limit: usize,
) -> Result<Vec<ReasonMatch>> {
    let uses = db.reason_uses()?;
    let typed = words(text);
    let mut found: Vec<ReasonMatch> = db
        .reasons(false)?
        .into_iter()
        .filter(|r| r.status == "active")
        .filter(|r| kind.is_none_or(|k| r.kind == k || r.kind == Kind::Any))
        .filter_map(|reason| {
            let matched = if typed.is_empty() {
                Matched::Label
            } else {
                matched(&reason, &typed)?
            };
            Some(ReasonMatch {
                uses: uses.get(&reason.code).copied().unwrap_or(0),
                reason,
                matched,
            })
        })
        .collect();
    found.sort_by(|a, b| {
        a.matched
            .cmp(&b.matched)
            .then(b.uses.cmp(&a.uses))
            // A catch-all (OTHER) only ahead of a real reason when it was typed.
            .then((a.reason.kind == Kind::Any).cmp(&(b.reason.kind == Kind::Any)))
            .then(a.reason.label.cmp(&b.reason.label))
    });
    found.truncate(limit);
    Ok(found)
}

/// "; did you mean CODE (label)?" for an unknown code or label, or nothing.
pub(crate) fn did_you_mean(db: Tables<'_>, given: &str) -> String {
    match find_in(db, given, None, 1)
        .ok()
        .and_then(|m| m.into_iter().next())
    {
        Some(m) => format!("; did you mean {} ({})?", m.reason.code, m.reason.label),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use rstest::rstest;

    use super::*;

    fn catalog() -> (tempfile::TempDir, Catalog) {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(&dir.path().join("catalog.sqlite3")).unwrap();
        super::super::seed(&catalog, Utc::now()).unwrap();
        (dir, catalog)
    }

    /// What a rep types, and the reason they mean, first (default taxonomy).
    #[rstest]
    #[case::a_label_start("price", Some(Kind::Objection), "PRICE.TOO_HIGH")]
    #[case::two_words("price too", None, "PRICE.TOO_HIGH")]
    #[case::a_code("price.value", None, "PRICE.VALUE_UNCLEAR")]
    #[case::a_swap("pirce too", None, "PRICE.TOO_HIGH")]
    #[case::a_typo_in_a_code("PRICE.TOO_HIHG", None, "PRICE.TOO_HIGH")]
    #[case::a_keyword("roi", Some(Kind::Buy), "VALUE.ROI_CLEAR")]
    #[case::other_when_typed("other", None, "OTHER")]
    fn the_reason_meant_comes_first(
        #[case] typed: &str,
        #[case] kind: Option<Kind>,
        #[case] code: &str,
    ) {
        let (_dir, catalog) = catalog();
        let found = find(&catalog, typed, kind, 5).unwrap();
        assert_eq!(
            found.first().map(|m| m.reason.code.as_str()),
            Some(code),
            "{typed}: {:?}",
            found
                .iter()
                .map(|m| (&m.reason.code, m.matched))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_kind_keeps_its_reasons_and_the_catch_alls() {
        let (_dir, catalog) = catalog();
        let all = find(&catalog, "", Some(Kind::Buy), 100).unwrap();
        assert!(!all.is_empty());
        assert!(
            all.iter()
                .all(|m| matches!(m.reason.kind, Kind::Buy | Kind::Any))
        );
        assert!(find(&catalog, "zzzz qqqq", None, 5).unwrap().is_empty());
    }
}
