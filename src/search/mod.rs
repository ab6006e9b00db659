//! Search: a query string and filters in, ranked assets with snippets and locations out.
//!
//! The query language is what people type: words (all must match, in title, tags or
//! body, BM25 with the title boosted), `"quoted phrases"`, the last word matched as a
//! prefix while typing, and typo tolerance for a word that matches nothing as typed.
//! Prefix and typo matching expand the word into words the index holds (the unstemmed
//! `words` field), each searched as if typed in full, so scoring and highlighting treat
//! expansions like typed words.
//!
//! The parts: [`plan`] turns the typed query into tantivy queries, [`filter`] and
//! [`facets`] narrow and count, and [`snippet`] finds the page and passage to show. The
//! core returns the passage as plain text with the byte ranges of matched words; each
//! front marks them its own way (HTML, terminal bold), as ripgrep keeps its printer apart
//! from its searcher.

mod facets;
mod filter;
mod plan;
mod snippet;

use crate::Result;
use crate::catalog::Catalog;
use crate::index::{SearchIndex, tokenizer};
use serde::Serialize;
use snippet::{Needles, SNIPPET_CHARS, best_section};
use std::ops::Range;
use std::time::Instant;
use tantivy::TantivyDocument;
use tantivy::collector::{Count, TopDocs};
use tantivy::schema::Value;
use tantivy::snippet::SnippetGenerator;

pub use facets::{FacetCount, FacetGroup, facets};

/// A search request.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub query: String,
    pub filters: Vec<(String, String)>,
    pub limit: usize,
    /// Today, for marking expired assets and the freshness filter.
    pub today: chrono::NaiveDate,
}

/// `quiver search --json`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct Results {
    pub query: String,
    /// The query with misspelt words corrected, when a word was corrected or a rare
    /// word has a much more common neighbour: "did you mean".
    pub did_you_mean: Option<String>,
    pub total: usize,
    pub took_ms: f64,
    pub hits: Vec<Hit>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct Hit {
    pub asset_id: String,
    pub title: String,
    pub path: String,
    /// The folder of `path` from its library folder's name down (`collateral/pricing`).
    pub folder: String,
    /// Other files of the same asset.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(test, ts(as = "Option<Vec<String>>", optional))]
    pub also_at: Vec<String>,
    pub format: String,
    pub score: f32,
    pub location: Option<Location>,
    pub expired: bool,
    pub expires_on: Option<String>,
    /// The best passage, as plain text.
    pub fragment: String,
    /// Byte ranges of the matched words in `fragment`, in order.
    pub highlights: Vec<Range<usize>>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct Location {
    pub kind: String,
    pub number: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub name: Option<String>,
}

/// Runs a search.
///
/// # Errors
/// [`UserError::UnknownField`] for a filter on a field that does not exist; index and
/// catalog errors.
pub fn search(index: &SearchIndex, catalog: &Catalog, req: &Request) -> Result<Results> {
    let started = Instant::now();
    let searcher = index.reader.searcher();
    let plan = plan::plan(index, &searcher, req)?;
    let limit = req.limit.max(1);
    let (top, total) = index.search(
        &searcher,
        plan.query.as_ref(),
        &(TopDocs::with_limit(limit).order_by_score(), Count),
    )?;
    let needles = Needles::new(&plan.highlight_terms, &plan.phrases, &plan.words)?;
    let mut snippets = SnippetGenerator::new(
        plan.highlight_terms,
        tokenizer::analyzer(),
        index.fields.body,
        SNIPPET_CHARS,
    );
    snippets.set_max_num_chars(SNIPPET_CHARS);
    // One snapshot for every hit's record and text, so that an index run writing
    // meanwhile cannot remove a text between reading its section list and its pieces.
    // Deferred: a read, which must not wait for (or hold up) writers.
    let snapshot = catalog.snapshot()?;
    let roots = catalog.roots()?;
    let mut texts = catalog.section_texts();
    let mut hits = Vec::with_capacity(top.len());
    for (score, addr) in top {
        let doc: TantivyDocument = searcher.doc(addr)?;
        let Some(asset_id) = doc
            .get_first(index.fields.asset_id)
            .and_then(|v| v.as_str())
        else {
            continue;
        };
        let Some(record) = catalog.search_record(asset_id)? else {
            continue;
        };
        let heads = catalog.section_heads(record.version_id)?;
        let best = best_section(&snippets, &needles, &mut texts, &heads)?;
        let expired = record
            .expires_on
            .as_deref()
            .is_some_and(|d| d < req.today.to_string().as_str());
        hits.push(Hit {
            asset_id: asset_id.to_owned(),
            title: record.title,
            folder: crate::library::folder_label(&roots, &record.path),
            path: record.path,
            also_at: record.also_at,
            format: record.format,
            score,
            location: best.location,
            expired,
            expires_on: record.expires_on,
            fragment: best.fragment,
            highlights: best.highlights,
        });
    }
    drop(texts);
    snapshot.finish()?;
    Ok(Results {
        did_you_mean: plan.did_you_mean,
        query: req.query.clone(),
        total,
        took_ms: started.elapsed().as_secs_f64() * 1000.0,
        hits,
    })
}

/// Assets matching a query (same language as [`search`]), best first, without snippets:
/// for reports that need the set, not the page.
pub fn matching_assets(index: &SearchIndex, query: &str, limit: usize) -> Result<Vec<String>> {
    let searcher = index.reader.searcher();
    let req = Request {
        query: query.to_owned(),
        limit,
        ..Request::default()
    };
    let plan = plan::plan(index, &searcher, &req)?;
    let top = index.search(
        &searcher,
        plan.query.as_ref(),
        &TopDocs::with_limit(limit.max(1)).order_by_score(),
    )?;
    let mut out = Vec::with_capacity(top.len());
    for (_, addr) in top {
        let doc: TantivyDocument = searcher.doc(addr)?;
        if let Some(id) = doc
            .get_first(index.fields.asset_id)
            .and_then(|v| v.as_str())
        {
            out.push(id.to_owned());
        }
    }
    Ok(out)
}
