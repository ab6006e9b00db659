//! Filters: `field=value` narrowing a search, freshness by expiry day.

use std::collections::HashSet;

use std::ops::Bound;

use tantivy::query::{BooleanQuery, EmptyQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery};
use tantivy::schema::{Facet, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Searcher, Term};

use crate::index::SearchIndex;
use crate::{Result, UserError};

use super::facets::normalise_format;
use super::plan::tokens;
use chrono::{Datelike, NaiveDate};

pub(super) fn filter_query(
    index: &SearchIndex,
    searcher: &Searcher,
    field: &str,
    value: &str,
    today: NaiveDate,
    stem: &mut TextAnalyzer,
) -> Result<Box<dyn Query>> {
    let f = index.fields;
    let value = value.trim();
    match field {
        "freshness" => {
            let (expired, expiring) = freshness_bounds(today);
            let term = |day: i64| Term::from_field_i64(f.expires, day);
            let (lo, hi) = match value.to_lowercase().as_str() {
                "expired" => (Bound::Unbounded, Bound::Excluded(term(expired))),
                "expiring" => (
                    Bound::Included(term(expired)),
                    Bound::Excluded(term(expiring)),
                ),
                "current" => (Bound::Included(term(expiring)), Bound::Unbounded),
                other => {
                    return Err(UserError::InvalidValue {
                        field: "freshness".into(),
                        message: format!("{other:?} is not expired, expiring or current"),
                    }
                    .into());
                }
            };
            Ok(Box::new(RangeQuery::new(lo, hi)))
        }
        "folder" => {
            let wanted = value.trim_matches('/').to_lowercase();
            let mut facets = Vec::new();
            for segment in searcher.segment_readers() {
                let inverted = segment.inverted_index(f.folder)?;
                let mut stream = inverted
                    .terms()
                    .stream()
                    .map_err(|e| crate::Error::io("reading folder facets", e))?;
                while stream.advance() {
                    let facet = Facet::from_encoded(stream.key().to_vec())
                        .map_err(|e| crate::Error::Internal(e.to_string()))?;
                    let text = facet.to_path_string().to_lowercase();
                    if text.trim_start_matches('/') == wanted
                        || text.ends_with(&format!("/{wanted}"))
                    {
                        facets.push(facet);
                    }
                }
            }
            let set: HashSet<Facet> = facets.into_iter().collect();
            let alternatives: Vec<(Occur, Box<dyn Query>)> = set
                .into_iter()
                .map(|facet| -> (Occur, Box<dyn Query>) {
                    (
                        Occur::Should,
                        Box::new(TermQuery::new(
                            Term::from_facet(f.folder, &facet),
                            IndexRecordOption::Basic,
                        )),
                    )
                })
                .collect();
            Ok(if alternatives.is_empty() {
                Box::new(EmptyQuery)
            } else {
                Box::new(BooleanQuery::new(alternatives))
            })
        }
        "tag" | "tags" => {
            let terms: Vec<Term> = tokens(stem, value)
                .iter()
                .map(|s| Term::from_field_text(f.tags, s))
                .collect();
            Ok(match terms.len() {
                0 => Box::new(EmptyQuery),
                1 => Box::new(TermQuery::new(
                    terms.into_iter().next().expect("one"),
                    IndexRecordOption::Basic,
                )),
                _ => Box::new(PhraseQuery::new(terms)),
            })
        }
        name => {
            let field = f
                .filter(name)
                .ok_or_else(|| UserError::UnknownField(name.to_owned(), FILTER_NAMES))?;
            let value = if name == "format" {
                normalise_format(value)
            } else {
                value.to_lowercase()
            };
            Ok(Box::new(TermQuery::new(
                Term::from_field_text(field, &value),
                IndexRecordOption::Basic,
            )))
        }
    }
}

const FILTER_NAMES: &str =
    "format, folder, tag, product, persona, stage, industry, owner, freshness";

/// Material expiring within this many days counts as `expiring`.
const EXPIRING_DAYS: i64 = 30;

/// The first day that is not expired, and the first that is not expiring, as days
/// since the common era.
pub(super) fn freshness_bounds(today: NaiveDate) -> (i64, i64) {
    let today = i64::from(today.num_days_from_ce());
    (today, today + EXPIRING_DAYS)
}
