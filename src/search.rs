//! Search: a query string and filters in, ranked assets with snippets and locations out.
//!
//! The query language is what people type: words (all must match, in title, tags or
//! body, BM25 with the title boosted), `"quoted phrases"`, the last word matched as a
//! prefix while typing, and typo tolerance for a word that matches nothing as typed.
//! Prefix and typo matching expand the word into words the index holds (the unstemmed
//! `words` field), each searched as if typed in full, so scoring and highlighting treat
//! expansions like typed words.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::time::Instant;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::Serialize;
use std::ops::Bound;

use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::{AggContextParams, AggregationCollector};
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, EmptyQuery, FuzzyTermQuery, Occur, PhraseQuery, Query,
    RangeQuery, TermQuery,
};
use tantivy::schema::{Facet, Field, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Searcher, TantivyDocument, Term};

use crate::catalog::{Catalog, SectionHead, SectionTexts};
use crate::index::{SearchIndex, tokenizer};
use crate::{Result, UserError};

const TITLE_BOOST: f32 = 3.0;
const TAGS_BOOST: f32 = 1.5;
/// How many index terms one prefix or misspelt word may expand to.
const MAX_EXPANSIONS: usize = 32;
/// The same for a two-letter prefix (the shortest that expands), whose completions each
/// match most of a large library: every one more is a long postings list to merge (at
/// 100k documents, 8 rather than 32 cut "pr" or "re" by about a quarter), for results
/// that change with the next key anyway.
const SHORT_PREFIX_EXPANSIONS: usize = 8;
const SNIPPET_CHARS: usize = 180;
/// Documents from which a phrase skips checking its most common inner words
/// ([`checked_words`]).
const LARGE_LIBRARY: u64 = 10_000;

/// A search request.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub query: String,
    pub filters: Vec<(String, String)>,
    pub limit: usize,
    /// Today, for marking expired assets (`YYYY-MM-DD`).
    pub today: String,
}

/// `quiver search --json`.
#[derive(Debug, Clone, Serialize)]
pub struct Results {
    pub query: String,
    pub total: usize,
    pub took_ms: f64,
    pub hits: Vec<Hit>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub asset_id: String,
    pub title: String,
    pub path: String,
    /// Other files of the same asset.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_at: Vec<String>,
    pub format: String,
    pub score: f32,
    /// The best passage, HTML-escaped, matched words in `<mark>`.
    pub snippet: String,
    pub location: Option<Location>,
    pub expired: bool,
    pub expires_on: Option<String>,
    /// The passage as plain text, and the byte ranges of matched words in it.
    #[serde(skip)]
    pub fragment: String,
    #[serde(skip)]
    pub highlights: Vec<Range<usize>>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Location {
    pub kind: String,
    pub number: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    let plan = plan(index, &searcher, req)?;
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
    let snapshot = rusqlite::Transaction::new_unchecked(
        catalog.conn(),
        rusqlite::TransactionBehavior::Deferred,
    )?;
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
            .is_some_and(|d| d < req.today.as_str());
        hits.push(Hit {
            asset_id: asset_id.to_owned(),
            title: record.title,
            path: record.path,
            also_at: record.also_at,
            format: record.format,
            score,
            snippet: best.html,
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
    let plan = plan(index, &searcher, &req)?;
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

struct Plan {
    query: Box<dyn Query>,
    /// Stemmed terms to mark in snippets, weighted rarer-first.
    highlight_terms: BTreeMap<String, f32>,
    /// The stems of each phrase, so that the best page is one that holds the phrase.
    phrases: Vec<Vec<String>>,
    /// Each query word's stems (a typed prefix or a typo: all its expansions), so that
    /// a snippet can show every word of the query together.
    words: Vec<Vec<String>>,
}

/// A piece of the typed query.
#[derive(Debug, PartialEq)]
enum Piece {
    Word(String),
    Phrase(String),
}

/// Splits a query into words and quoted phrases; says whether the last word is still
/// being typed (no trailing space or quote), which makes it a prefix.
fn pieces(query: &str) -> (Vec<Piece>, bool) {
    let mut out = Vec::new();
    let mut rest = query;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('"') {
            let end = after.find('"').unwrap_or(after.len());
            out.push(Piece::Phrase(after[..end].to_owned()));
            rest = after.get(end + 1..).unwrap_or("");
        } else {
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '"')
                .unwrap_or(rest.len());
            if end > 0 {
                out.push(Piece::Word(rest[..end].to_owned()));
            }
            rest = rest[end..].trim_start_matches(char::is_whitespace);
        }
    }
    let typing = matches!(out.last(), Some(Piece::Word(_)))
        && !query.ends_with(|c: char| c.is_whitespace() || c == '"');
    (out, typing)
}

fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while let Some(t) = stream.next() {
        out.push(t.text.clone());
    }
    out
}

fn plan(index: &SearchIndex, searcher: &Searcher, req: &Request) -> Result<Plan> {
    let f = index.fields;
    let mut stem = tokenizer::analyzer();
    let mut plain = tokenizer::words_analyzer();
    let (pieces, typing) = pieces(&req.query);
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut highlight = BTreeMap::new();
    let mut phrases = Vec::new();
    let mut words: Vec<Vec<String>> = Vec::new();
    let mut mark = |term: &str, df: u64| {
        highlight.insert(term.to_owned(), 1.0 / (1.0 + df as f32));
    };
    let last = pieces.len().saturating_sub(1);
    for (i, piece) in pieces.iter().enumerate() {
        match piece {
            Piece::Phrase(text) => {
                let stems = tokens(&mut stem, text);
                if stems.is_empty() {
                    continue;
                }
                let mut dfs = Vec::with_capacity(stems.len());
                for s in &stems {
                    let df = searcher.doc_freq(&Term::from_field_text(f.body, s))?;
                    mark(s, df);
                    dfs.push(df);
                }
                if stems.len() == 1 {
                    clauses.push((Occur::Must, word_query(index, &stems[0])));
                    continue;
                }
                phrases.push(stems.clone());
                words.extend(stems.iter().map(|s| vec![s.clone()]));
                let checked = checked_words(&stems, &dfs, searcher.num_docs());
                let phrase = |field: Field| phrase_query(field, &checked);
                let either: Vec<(Occur, Box<dyn Query>)> = vec![
                    (
                        Occur::Should,
                        Box::new(BoostQuery::new(phrase(f.title), TITLE_BOOST)),
                    ),
                    (Occur::Should, phrase(f.body)),
                ];
                clauses.push((Occur::Must, Box::new(BooleanQuery::new(either))));
            }
            Piece::Word(word) => {
                let stems = tokens(&mut stem, word);
                let plains = tokens(&mut plain, word);
                // A word with punctuation inside ("soc-2", "e-mail") is a short phrase.
                if stems.len() > 1 {
                    for s in &stems {
                        mark(s, searcher.doc_freq(&Term::from_field_text(f.body, s))?);
                    }
                    phrases.push(stems.clone());
                    words.extend(stems.iter().map(|s| vec![s.clone()]));
                    let terms = stems
                        .iter()
                        .map(|s| Term::from_field_text(f.body, s))
                        .collect();
                    clauses.push((Occur::Must, Box::new(PhraseQuery::new(terms))));
                    continue;
                }
                let (Some(s), Some(p)) = (stems.first(), plains.first()) else {
                    continue;
                };
                let df = doc_freq_any(searcher, index, s, p)?;
                let mut alternatives: Vec<(Occur, Box<dyn Query>)> = word_clauses(index, s).into();
                if df > 0 {
                    mark(s, df);
                }
                let mut expansions = if typing && i == last && p.chars().count() >= 2 {
                    expand(searcher, f.words, p, Expansion::Prefix)?
                } else {
                    Vec::new()
                };
                if df == 0 && expansions.is_empty() {
                    let distance = match p.chars().count() {
                        0..=3 => 0,
                        4..=5 => 1,
                        _ => 2,
                    };
                    if distance > 0 {
                        expansions = expand(searcher, f.words, p, Expansion::Typo(distance))?;
                    }
                }
                // An expansion is searched as if typed in full: its stem, in title,
                // tags or body.
                let mut stems = HashSet::from([s.clone()]);
                for (term, df) in expansions {
                    if let Some(s) = tokens(&mut stem, &term).pop() {
                        mark(&s, df);
                        if stems.insert(s.clone()) {
                            alternatives.extend(word_clauses(index, &s));
                        }
                    }
                }
                words.push(stems.into_iter().collect());
                clauses.push((Occur::Must, Box::new(BooleanQuery::new(alternatives))));
            }
        }
    }
    for (field, value) in &req.filters {
        clauses.push((
            Occur::Must,
            filter_query(index, searcher, field, value, &req.today, &mut stem)?,
        ));
    }
    let query: Box<dyn Query> = if clauses.is_empty() {
        if pieces.is_empty() {
            Box::new(AllQuery)
        } else {
            Box::new(EmptyQuery)
        }
    } else if clauses.iter().all(|(o, _)| *o == Occur::Must) && pieces.is_empty() {
        // Filters alone: browse everything that matches them.
        let mut all = clauses;
        all.push((Occur::Must, Box::new(AllQuery)));
        Box::new(BooleanQuery::new(all))
    } else {
        Box::new(BooleanQuery::new(clauses))
    };
    Ok(Plan {
        query,
        highlight_terms: highlight,
        phrases,
        words,
    })
}

/// The words of a phrase whose positions are checked, each at its offset in the phrase.
/// In a large library, a word inside the phrase that is in most documents ("of" in
/// "total cost of ownership") only holds its place: reading its positions in every
/// candidate was most of such a phrase's time (21 against 5 ms at 100k documents), and
/// its neighbours, at their exact distance apart, still pin the phrase down. So that
/// they do, two words side by side are never both skipped ("out of the box" checks
/// "out _ the box"), and the first and last words are always checked. A library
/// smaller than [`LARGE_LIBRARY`] checks every word: there it costs nothing.
fn checked_words<'s>(stems: &'s [String], dfs: &[u64], docs: u64) -> Vec<(usize, &'s str)> {
    let mut checked: Vec<(usize, &str)> = Vec::with_capacity(stems.len());
    for (at, (stem, &df)) in stems.iter().zip(dfs).enumerate() {
        let inside = at > 0 && at + 1 < stems.len();
        let after_checked = checked.last().is_some_and(|&(last, _)| last + 1 == at);
        let skip = inside && after_checked && docs >= LARGE_LIBRARY && df * 2 > docs;
        if !skip {
            checked.push((at, stem));
        }
    }
    checked
}

/// A phrase of `checked` words (see [`checked_words`]) in `field`.
fn phrase_query(field: Field, checked: &[(usize, &str)]) -> Box<dyn Query> {
    Box::new(PhraseQuery::new_with_offset(
        checked
            .iter()
            .map(|&(at, s)| (at, Term::from_field_text(field, s)))
            .collect(),
    ))
}

/// One stemmed word in title (boosted), tags or body.
fn word_query(index: &SearchIndex, stem: &str) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(word_clauses(index, stem).into()))
}

/// The clauses of [`word_query`], for a caller that joins several words in one flat
/// union: tantivy runs a union of term queries as one specialised scorer, where nested
/// unions buffer each other (a two-letter prefix at 100k documents: a third less time).
fn word_clauses(index: &SearchIndex, stem: &str) -> [(Occur, Box<dyn Query>); 3] {
    let f = index.fields;
    let term = |field| {
        TermQuery::new(
            Term::from_field_text(field, stem),
            IndexRecordOption::WithFreqs,
        )
    };
    [
        (
            Occur::Should,
            Box::new(BoostQuery::new(Box::new(term(f.title)), TITLE_BOOST)),
        ),
        (
            Occur::Should,
            Box::new(BoostQuery::new(Box::new(term(f.tags)), TAGS_BOOST)),
        ),
        (Occur::Should, Box::new(term(f.body))),
    ]
}

fn doc_freq_any(searcher: &Searcher, index: &SearchIndex, stem: &str, plain: &str) -> Result<u64> {
    let f = index.fields;
    let mut total = 0;
    for field in [f.title, f.tags, f.body] {
        total += searcher.doc_freq(&Term::from_field_text(field, stem))?;
    }
    total += searcher.doc_freq(&Term::from_field_text(f.words, plain))?;
    Ok(total)
}

#[derive(Clone, Copy)]
enum Expansion {
    Prefix,
    /// Edits allowed (a swap of neighbours is one): 1 or 2, as tantivy's automata go
    /// no further.
    Typo(u8),
}

/// Index terms of `field` that start with `word` (prefix) or are within an edit
/// distance of it (typo: same first letter, as nearly all typos keep it), most frequent
/// first. For a typo, tantivy's Levenshtein automaton walks the term dictionary and
/// reads only the branches that can still match, where testing every term under the
/// first letter was a third of a typo search's time at 100k documents. For a prefix
/// the byte range alone bounds the walk; its automaton (no edits) only lets both
/// kinds share one stream.
fn expand(
    searcher: &Searcher,
    field: Field,
    word: &str,
    how: Expansion,
) -> Result<Vec<(String, u64)>> {
    let term = Term::from_field_text(field, word);
    let (automaton, lower) = match how {
        Expansion::Prefix => (
            FuzzyTermQuery::new_prefix(term, 0, true).automaton()?,
            word.to_owned(),
        ),
        Expansion::Typo(d) => (
            FuzzyTermQuery::new(term, d, true).automaton()?,
            word.chars().next().map(String::from).unwrap_or_default(),
        ),
    };
    let mut upper = lower.clone().into_bytes();
    upper.push(0xFF);
    let mut found: BTreeMap<String, u64> = BTreeMap::new();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(field)?;
        let mut stream = inverted
            .terms()
            .search(&automaton)
            .ge(lower.as_bytes())
            .lt(&upper)
            .into_stream()
            .map_err(|e| crate::Error::io("reading the term dictionary", e))?;
        while stream.advance() {
            match std::str::from_utf8(stream.key()) {
                Ok(term) if term != word => {
                    *found.entry(term.to_owned()).or_insert(0) +=
                        u64::from(stream.value().doc_freq);
                }
                _ => {}
            }
        }
    }
    let mut ranked: Vec<(String, u64)> = found.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked.truncate(match how {
        Expansion::Prefix if word.chars().count() <= 2 => SHORT_PREFIX_EXPANSIONS,
        _ => MAX_EXPANSIONS,
    });
    Ok(ranked)
}

fn filter_query(
    index: &SearchIndex,
    searcher: &Searcher,
    field: &str,
    value: &str,
    today: &str,
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
fn freshness_bounds(today: &str) -> (i64, i64) {
    let today = chrono::NaiveDate::parse_from_str(today, "%Y-%m-%d")
        .map_or(0, |d| i64::from(chrono::Datelike::num_days_from_ce(&d)));
    (today, today + EXPIRING_DAYS)
}

/// One value of a facet and how many matching assets carry it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

/// A facet: the filter field it narrows (`filter=value`) and its values, most common
/// first.
#[derive(Debug, Clone, Serialize)]
pub struct FacetGroup {
    pub field: &'static str,
    pub values: Vec<FacetCount>,
}

/// Values shown per facet.
const FACET_VALUES: u32 = 12;

/// Facet counts over every asset the request matches, not just the page of hits.
///
/// # Errors
/// As [`search`].
pub fn facets(index: &SearchIndex, req: &Request) -> Result<Vec<FacetGroup>> {
    let searcher = index.reader.searcher();
    let plan = plan(index, &searcher, req)?;
    let names = [
        "format", "product", "persona", "stage", "industry", "owner", "tag",
    ];
    let mut aggs = serde_json::Map::new();
    for name in names {
        aggs.insert(
            name.into(),
            serde_json::json!({"terms": {"field": name, "size": FACET_VALUES}}),
        );
    }
    let (expired, expiring) = freshness_bounds(&req.today);
    aggs.insert(
        "freshness".into(),
        serde_json::json!({"range": {"field": "expires", "ranges": [
            {"key": "expired", "to": expired as f64},
            {"key": "expiring", "from": expired as f64, "to": expiring as f64},
            {"key": "current", "from": expiring as f64},
        ]}}),
    );
    let aggs: Aggregations = serde_json::from_value(serde_json::Value::Object(aggs))
        .map_err(|e| crate::Error::Internal(format!("facet request: {e}")))?;
    let collector = AggregationCollector::from_aggs(
        aggs,
        AggContextParams::new(Default::default(), index.index.tokenizers().clone()),
    );
    // Folders are counted one level below each library folder.
    let mut roots = FacetCollector::for_field("folder");
    roots.add_facet(Facet::root());
    let root_counts = index.search(&searcher, plan.query.as_ref(), &roots)?;
    let mut folders = FacetCollector::for_field("folder");
    let root_facets: Vec<Facet> = root_counts.get("/").map(|(f, _)| f.clone()).collect();
    for f in &root_facets {
        folders.add_facet(f.clone());
    }
    let (aggs, folder_counts) =
        index.search(&searcher, plan.query.as_ref(), &(collector, folders))?;
    let aggs = serde_json::to_value(aggs)
        .map_err(|e| crate::Error::Internal(format!("facet result: {e}")))?;
    let mut out = Vec::new();
    let mut folder_values: Vec<FacetCount> = root_facets
        .iter()
        .flat_map(|root| folder_counts.get(root.clone()))
        .map(|(f, n)| FacetCount {
            value: f.to_path_string().trim_start_matches('/').to_owned(),
            count: n,
        })
        .collect();
    if folder_values.is_empty() {
        folder_values = root_counts
            .get("/")
            .map(|(f, n)| FacetCount {
                value: f.to_path_string().trim_start_matches('/').to_owned(),
                count: n,
            })
            .collect();
    }
    folder_values.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
    folder_values.truncate(FACET_VALUES as usize);
    out.push(FacetGroup {
        field: "folder",
        values: folder_values,
    });
    for name in names.into_iter().chain(["freshness"]) {
        let values = aggs[name]["buckets"]
            .as_array()
            .map(|buckets| {
                buckets
                    .iter()
                    .filter_map(|b| {
                        let count = b["doc_count"].as_u64()?;
                        let value = match &b["key"] {
                            serde_json::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        (count > 0).then_some(FacetCount { value, count })
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push(FacetGroup {
            field: if name == "tag" { "tag" } else { name },
            values,
        });
    }
    Ok(out)
}

fn normalise_format(value: &str) -> String {
    match value.to_lowercase().trim_start_matches('.') {
        "md" => "markdown".into(),
        "txt" => "text".into(),
        "htm" => "html".into(),
        other => other.into(),
    }
}

struct Best {
    html: String,
    fragment: String,
    highlights: Vec<Range<usize>>,
    location: Option<Location>,
}

/// Bytes of text around the best match that the snippet generator sees: tokenising a
/// whole 3 MB book for a 180-character snippet is what made searches slow.
const SNIPPET_WINDOW: usize = 1200;

/// Bytes of a section read at a time while looking for the best one.
const PIECE: usize = 64 * 1024;

/// Matches counted per section: enough to rank pages, and a common word in a book
/// stops the scan early.
const MATCHES_PER_SECTION: usize = 200;

/// Bytes of text with letters that fold (see [`may_fold`]) the analyser reads, over all
/// sections, when the substring search found no word it agrees with (about 170 pages
/// of a French PDF).
const ANALYSED_FALLBACK: usize = 512 * 1024;

/// Bytes kept before a piece's first match start: one UTF-8 character.
const CHAR_CONTEXT: usize = 4;

/// Places tried for a snippet, in case the analyser disagrees with a substring hit (a
/// stem less its last letter that starts another word: `pric` in *prick*).
const SNIPPET_TRIES: usize = 8;

/// What one pass found in one section: (distinct needles, matches), the query's phrases
/// it holds, whether all the words come close together, and where some of its matches
/// start (phrases first, then places with all the words).
struct Found {
    key: (usize, usize),
    phrases: usize,
    /// All the query's words within [`NEAR`] bytes somewhere.
    near: bool,
    starts: Vec<usize>,
}

/// Bytes within which all of a query's words make a good snippet place (about the
/// snippet's length).
const NEAR: usize = 200;

/// Bytes of a text read in search of its phrases, or of a place with all the words, past
/// where the scan would stop without them: a collateral document's whole text, most of
/// the time. Reading on through a 3 MB book whose words never meet cost 4 ms a search,
/// and the index can match a phrase the scan does not see (in the title, say).
const READ_ON: usize = 512 * 1024;

/// Bytes allowed between two words of a phrase: the rest of the first word after its
/// needle (a stem less a letter), then spaces, punctuation and line breaks.
const PHRASE_GAP: usize = 24;

/// How far [`scan`] has followed one phrase: its next word, and where the words so far
/// start and end.
#[derive(Clone, Copy, Default)]
struct Chain {
    next: usize,
    start: usize,
    end: usize,
}

/// Whether two needles are neighbouring words: `between` (the bytes from the first's
/// end to the second's start) is the rest of the first word and then no other word, or
/// nothing at all beside a CJK character, which is a word of its own.
fn adjacent(before: &[u8], between: &[u8], after: &[u8]) -> bool {
    if between.len() > PHRASE_GAP {
        return false;
    }
    if between.is_empty() {
        let last = String::from_utf8_lossy(&before[before.len().saturating_sub(4)..])
            .chars()
            .last();
        let next = String::from_utf8_lossy(&after[..after.len().min(4)])
            .chars()
            .next();
        return last.is_some_and(tokenizer::is_cjk) || next.is_some_and(tokenizer::is_cjk);
    }
    let text = String::from_utf8_lossy(between);
    let rest = text.trim_start_matches(tokenizer::is_word);
    !rest.is_empty()
        && !rest
            .chars()
            .any(|c| tokenizer::is_word(c) || tokenizer::is_cjk(c))
}

/// Scans section `id` a piece at a time. `enough_early` stops once every snippet place
/// is found: with one section there is nothing to rank against.
///
/// Each match belongs to the piece it starts in, and a piece leaves a match that may
/// run past its end to the next one; the next piece keeps the bytes before its first
/// start, so a match there can be told from the middle of a word.
fn scan(
    pass: &Pass,
    words: usize,
    texts: &mut SectionTexts,
    id: i64,
    enough_early: bool,
    buf: &mut Vec<u8>,
) -> Result<Found> {
    let mut seen = vec![false; words];
    let mut total = 0;
    let mut starts: Vec<usize> = Vec::new();
    // Each phrase's chains in progress: with a word repeated ("a a b" in "a a a b")
    // more than one can be.
    let mut chains: Vec<Vec<Chain>> = vec![Vec::new(); pass.phrases.len()];
    let mut phrase_seen = vec![false; pass.phrases.len()];
    let mut phrase_starts: Vec<usize> = Vec::new();
    // Where each query word was last seen, for a place where all of them are close.
    let mut last_at: Vec<Option<usize>> = vec![None; pass.groups.count];
    let mut near_starts: Vec<usize> = Vec::new();
    let len = texts.text_len(id)?;
    let hold = pass.longest.saturating_sub(1);
    buf.clear();
    // `base`: where `buf` starts in the text; `owned`: matches starting before it have
    // been counted.
    let (mut base, mut owned) = (0, 0);
    'pieces: while base + buf.len() < len {
        let read = base + buf.len();
        let kept = buf.len();
        buf.resize(kept + PIECE.min(len - read), 0);
        let n = texts.read_at(id, read, &mut buf[kept..])?;
        buf.truncate(kept + n);
        if n == 0 {
            break;
        }
        let end = base + buf.len();
        let limit = if end >= len {
            end
        } else {
            end.saturating_sub(hold)
        };
        for m in pass.matcher.find_iter(&buf[..]) {
            let start = base + m.start();
            if start >= limit {
                break;
            }
            if start < owned || inside_word(&buf[..], m.start()) {
                continue;
            }
            let word = pass.word_of[m.pattern().as_usize()];
            seen[word] = true;
            total += 1;
            if starts.len() < SNIPPET_TRIES
                && starts.last().is_none_or(|p| start > p + SNIPPET_WINDOW / 2)
            {
                starts.push(start);
            }
            if let Some(g) = pass.groups.of[word] {
                last_at[g] = Some(start);
            }
            if pass.groups.count > 1 {
                let first = last_at
                    .iter()
                    .map(|a| a.filter(|a| start - a <= NEAR))
                    .min()
                    .flatten();
                if let Some(first) = first
                    && near_starts.len() < SNIPPET_TRIES
                    && near_starts
                        .last()
                        .is_none_or(|p| first > p + SNIPPET_WINDOW / 2)
                {
                    near_starts.push(first);
                }
            }
            let end = base + m.end();
            let mut here = None;
            for (p, (phrase, active)) in pass.phrases.iter().zip(&mut chains).enumerate() {
                let mut found_at = None;
                // The previous word's bytes are still in `buf` unless a piece ended
                // between the two: the chain then ends.
                active.retain_mut(|chain| {
                    let follows = chain.end >= base
                        && chain.end <= start
                        && pass.is_phrase_word(
                            &phrase[chain.next],
                            word,
                            buf,
                            m.start(),
                            &mut here,
                        )
                        && adjacent(
                            &buf[..chain.end - base],
                            &buf[chain.end - base..m.start()],
                            &buf[m.start()..],
                        );
                    if follows {
                        chain.next += 1;
                        chain.end = end;
                        if chain.next == phrase.len() {
                            found_at = Some(chain.start);
                            return false;
                        }
                    }
                    follows
                });
                if pass.is_phrase_word(&phrase[0], word, buf, m.start(), &mut here) {
                    if phrase.len() == 1 {
                        found_at.get_or_insert(start);
                    } else {
                        active.push(Chain {
                            next: 1,
                            start,
                            end,
                        });
                    }
                }
                if let Some(at) = found_at {
                    phrase_seen[p] = true;
                    if phrase_starts.len() < SNIPPET_TRIES {
                        phrase_starts.push(at);
                    }
                }
            }
            // A common word of a phrase can fill the count before the phrase is found.
            let phrases_pending = phrase_seen.iter().any(|s| !s) && start < READ_ON;
            if total >= MATCHES_PER_SECTION && !phrases_pending {
                break 'pieces;
            }
        }
        owned = owned.max(limit);
        // A single text is read on until its phrases are found, and a place with all
        // the words close together, or [`READ_ON`] of it.
        let read_on = base + buf.len() < READ_ON
            && (phrase_seen.iter().any(|s| !s)
                || (pass.groups.count > 1 && near_starts.is_empty()));
        if enough_early && starts.len() == SNIPPET_TRIES && !read_on {
            break;
        }
        let drop = owned.saturating_sub(CHAR_CONTEXT).max(base) - base;
        buf.drain(..drop);
        base += drop;
    }
    Ok(Found {
        key: (seen.iter().filter(|s| **s).count(), total),
        phrases: phrase_seen.iter().filter(|s| **s).count(),
        near: !near_starts.is_empty(),
        starts: {
            let mut all: Vec<usize> = Vec::with_capacity(SNIPPET_TRIES);
            for &at in phrase_starts.iter().chain(&near_starts).chain(&starts) {
                if all.len() < SNIPPET_TRIES && !all.contains(&at) {
                    all.push(at);
                }
            }
            all
        },
    })
}

/// Whether the match at `at` continues the word before it ([`scan`] keeps the bytes of
/// the character before; `at` 0 is the start of the text).
fn inside_word(buf: &[u8], at: usize) -> bool {
    let before = &buf[at.saturating_sub(CHAR_CONTEXT)..at];
    let Some(start) = before.iter().rposition(|b| (b & 0xC0) != 0x80) else {
        return false;
    };
    let prev = std::str::from_utf8(&before[start..])
        .ok()
        .and_then(|s| s.chars().next());
    let next = std::str::from_utf8(&buf[at..(at + CHAR_CONTEXT).min(buf.len())])
        .unwrap_or_else(|e| std::str::from_utf8(&buf[at..at + e.valid_up_to()]).unwrap_or(""))
        .chars()
        .next();
    prev.zip(next)
        .is_some_and(|(a, b)| tokenizer::same_word(a, b))
}

/// The section with the most of the query's phrases, then one with all the words close
/// together, then the most distinct needles, then the most matches, with where some of
/// its matches start.
fn ranked<'h>(
    pass: &Pass,
    words: usize,
    texts: &mut SectionTexts,
    heads: &'h [SectionHead],
) -> Result<Option<(&'h SectionHead, Vec<usize>)>> {
    let mut buf = Vec::with_capacity(PIECE + pass.longest);
    let mut best: Option<(Found, &SectionHead)> = None;
    for head in heads {
        let found = scan(pass, words, texts, head.id, heads.len() == 1, &mut buf)?;
        if found.key.0 > 0
            && best.as_ref().is_none_or(|b| {
                (b.0.phrases, b.0.near, b.0.key) < (found.phrases, found.near, found.key)
            })
        {
            best = Some((found, head));
        }
    }
    Ok(best.map(|(found, head)| (head, found.starts)))
}

/// Up to `len` bytes of a section's text from about `from`, cut to whole characters.
fn excerpt(texts: &mut SectionTexts, id: i64, from: usize, len: usize) -> Result<String> {
    let mut buf = vec![0; texts.text_len(id)?.saturating_sub(from).min(len)];
    let n = texts.read_at(id, from, &mut buf)?;
    buf.truncate(n);
    let lead = buf
        .iter()
        .take(3)
        .take_while(|b| (**b & 0xC0) == 0x80)
        .count();
    let bytes = &buf[lead..];
    Ok(match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        // A character cut at the end of the piece.
        Err(e) if e.error_len().is_none() => {
            String::from_utf8_lossy(&bytes[..e.valid_up_to()]).into_owned()
        }
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    })
}

/// The section that matches the most query words, and the snippet around its first
/// match. Matches are found by a multi-pattern substring search for stem prefixes
/// (cheap), reading each text in pieces, and only a window around the first one is
/// analysed for the snippet.
fn best_section(
    snippets: &SnippetGenerator,
    needles: &Needles,
    texts: &mut SectionTexts,
    heads: &[SectionHead],
) -> Result<Best> {
    let best = if needles.words == 0 {
        None
    } else {
        match ranked(&needles.usual_case, needles.words, texts, heads)? {
            Some(best) => Some(best),
            None => ranked(&needles.any_case, needles.words, texts, heads)?,
        }
    };
    if let Some((head, starts)) = best {
        // A substring hit can sit inside another word ("pric" in *Pricewaterhouse*):
        // try the next place until the analyser agrees it is a match.
        for first in starts {
            let from = first.saturating_sub(SNIPPET_WINDOW / 4);
            let text = excerpt(texts, head.id, from, SNIPPET_WINDOW)?;
            if let Some(best) = marked(snippets, &text, head) {
                return Ok(best);
            }
        }
    }
    // Folded accents (`eleve` for *élevé*) escape the substring search, and only text
    // with letters that fold can hold them: let the analyser read the start of each
    // such section, up to a budget (analysing every page of a 619-page PDF took 70 ms).
    let mut budget = ANALYSED_FALLBACK;
    for head in heads {
        if budget == 0 {
            break;
        }
        let text = excerpt(texts, head.id, 0, budget.min(SNIPPET_WINDOW * 16))?;
        if !may_fold(&text) {
            continue;
        }
        budget = budget.saturating_sub(text.len());
        if let Some(best) = marked(snippets, &text, head) {
            return Ok(best);
        }
    }
    // A title or tag match: show the opening of the document.
    let mut opening = String::new();
    'sections: for head in heads {
        let mut from = 0;
        loop {
            let text = excerpt(texts, head.id, from, SNIPPET_WINDOW * 4)?;
            if text.is_empty() {
                break;
            }
            if !text.trim().is_empty() {
                opening = text;
                break 'sections;
            }
            from += text.len();
        }
    }
    let opening = opening.trim();
    let end = opening
        .char_indices()
        .map(|(i, _)| i)
        .nth(SNIPPET_CHARS)
        .unwrap_or(opening.len());
    let fragment = collapse_whitespace(&opening[..end]);
    Ok(Best {
        html: escape(&fragment),
        fragment,
        highlights: Vec::new(),
        location: None,
    })
}

/// Whether `text` may hold a letter that ASCII folding changes: the UTF-8 lead bytes of
/// Latin letters with marks (U+00C0 to U+024F, U+1E00 to U+1EFF) and of ligatures and
/// full-width forms (U+FB00 up). Curly quotes and dashes, in nearly every PDF, are not.
fn may_fold(text: &str) -> bool {
    text.bytes().any(|b| matches!(b, 0xC3..=0xC9 | 0xE1 | 0xEF))
}

/// The snippet of `text` (a window of `section`), if the analyser finds a query term in it.
fn marked(snippets: &SnippetGenerator, text: &str, section: &SectionHead) -> Option<Best> {
    let mut snippet = snippets.snippet(text);
    if snippet.highlighted().is_empty() {
        return None;
    }
    snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
    Some(Best {
        html: collapse_whitespace(&snippet.to_html()),
        fragment: snippet.fragment().to_owned(),
        highlights: snippet.highlighted().to_vec(),
        location: (section.kind != "body").then(|| Location {
            kind: section.kind.clone(),
            number: section.number,
            name: section.name.clone(),
        }),
    })
}

/// The highlighted stems, to find in raw text: each stem less its last letter (`pric`
/// finds *pricing* and *price*), or the whole stem when short.
struct Needles {
    /// Each word in lower case, capitalised and in capitals, case sensitively, longest
    /// first: that lets aho-corasick's SIMD prefilter run, which a case-insensitive
    /// automaton does not (two words over War and Peace's 3.2 MB: 0.3 ms against 5.6
    /// ms; a hit on a long document is scanned whole).
    usual_case: Pass,
    /// Every case (*JavaScript*, *iPhone*): only when `usual_case` finds nothing.
    any_case: Pass,
    words: usize,
}

/// The query word each needle word stands for.
#[derive(Clone)]
struct Groups {
    of: Vec<Option<usize>>,
    count: usize,
}

/// One automaton over the needles, and the word each of its patterns spells.
struct Pass {
    matcher: AhoCorasick,
    word_of: Vec<usize>,
    /// Each phrase of the query as its words: the needle's number and the stem.
    phrases: Vec<Vec<(usize, String)>>,
    groups: Groups,
    /// Bytes of the longest pattern.
    longest: usize,
    /// Stems of the text's words met as a phrase's words: a needle is a stem's prefix,
    /// and "the" at the start of "there" is no word of "position the AOA".
    stems: RefCell<WordStems>,
}

/// Words of the texts and their stems, as the index has them.
struct WordStems {
    analyzer: TextAnalyzer,
    memo: rustc_hash::FxHashMap<String, String>,
}

/// Distinct words a [`WordStems`] remembers before it starts over.
const STEM_MEMO_WORDS: usize = 4096;

impl WordStems {
    fn stem(&mut self, word: &str) -> &str {
        if self.memo.len() >= STEM_MEMO_WORDS && !self.memo.contains_key(word) {
            self.memo.clear();
        }
        if !self.memo.contains_key(word) {
            let stem = tokens(&mut self.analyzer, word).pop().unwrap_or_default();
            self.memo.insert(word.to_owned(), stem);
        }
        &self.memo[word]
    }
}

/// The word of the text that starts at `at` (a CJK character is a word of its own),
/// or none when it may run on past the end of `buf`.
fn word_at(buf: &[u8], at: usize) -> Option<&str> {
    let tail = &buf[at..(at + 4 * PHRASE_GAP).min(buf.len())];
    let text = std::str::from_utf8(tail)
        .unwrap_or_else(|e| std::str::from_utf8(&tail[..e.valid_up_to()]).unwrap_or_default());
    let mut chars = text.char_indices();
    let end = match chars.next() {
        Some((_, c)) if tokenizer::is_cjk(c) => c.len_utf8(),
        Some(_) => chars
            .find(|&(_, c)| !tokenizer::is_word(c) || tokenizer::is_cjk(c))
            .map_or(text.len(), |(i, _)| i),
        None => 0,
    };
    (end < text.len() || at + text.len() < buf.len()).then(|| &text[..end])
}

impl Pass {
    fn new(
        builder: &mut AhoCorasickBuilder,
        patterns: &[(&String, usize)],
        phrases: Vec<Vec<(usize, String)>>,
        groups: Groups,
    ) -> Result<Pass> {
        Ok(Pass {
            matcher: builder
                .build(patterns.iter().map(|(p, _)| p))
                .map_err(|e| crate::Error::Internal(format!("snippet matcher: {e}")))?,
            word_of: patterns.iter().map(|(_, i)| *i).collect(),
            phrases,
            groups,
            longest: patterns.iter().map(|(p, _)| p.len()).max().unwrap_or(0),
            stems: RefCell::new(WordStems {
                analyzer: tokenizer::analyzer(),
                memo: Default::default(),
            }),
        })
    }

    /// Whether the match of needle `word` at `at` in `buf` is the phrase word `of`.
    /// `here` keeps the stem of the text's word there for the other phrases.
    fn is_phrase_word(
        &self,
        of: &(usize, String),
        word: usize,
        buf: &[u8],
        at: usize,
        here: &mut Option<Option<String>>,
    ) -> bool {
        // A word cut by the end of the piece read so far is taken on trust.
        of.0 == word
            && here
                .get_or_insert_with(|| {
                    word_at(buf, at).map(|w| self.stems.borrow_mut().stem(w).to_owned())
                })
                .as_ref()
                .is_none_or(|stem| *stem == of.1)
    }
}

impl Needles {
    fn new(
        terms: &BTreeMap<String, f32>,
        phrases: &[Vec<String>],
        query_words: &[Vec<String>],
    ) -> Result<Needles> {
        let needle = |t: &String| -> String {
            let n = t.chars().count();
            if n > 4 && t.is_ascii() {
                t.chars().take(n - 1).collect()
            } else {
                t.clone()
            }
        };
        let mut words: Vec<String> = terms.keys().map(needle).collect();
        words.sort();
        words.dedup();
        let phrases: Vec<Vec<(usize, String)>> = phrases
            .iter()
            .filter_map(|stems| {
                stems
                    .iter()
                    .map(|s| Some((words.binary_search(&needle(s)).ok()?, s.clone())))
                    .collect()
            })
            .collect();
        // Which query word each needle stands for. A query word with no needle of its
        // own (not in the index, or typed twice) is no group: it could never be seen
        // near the others, and a single text would be read on for it every time.
        let mut group_of = vec![None; words.len()];
        let mut count = 0;
        for stems in query_words {
            let mut own = false;
            for s in stems {
                if let Ok(i) = words.binary_search(&needle(s))
                    && group_of[i].is_none()
                {
                    group_of[i] = Some(count);
                    own = true;
                }
            }
            count += usize::from(own);
        }
        let groups = Groups {
            of: group_of,
            count,
        };
        let mut patterns: Vec<(String, usize)> = Vec::new();
        for (i, word) in words.iter().enumerate() {
            let mut chars = word.chars();
            let capitalised: String = chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default();
            for variant in [word.clone(), capitalised, word.to_uppercase()] {
                if !patterns.iter().any(|(p, _)| *p == variant) {
                    patterns.push((variant, i));
                }
            }
        }
        patterns.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        let variants: Vec<(&String, usize)> = patterns.iter().map(|(p, i)| (p, *i)).collect();
        let plain: Vec<(&String, usize)> = words.iter().zip(0..).collect();
        Ok(Needles {
            usual_case: Pass::new(
                AhoCorasickBuilder::new().match_kind(MatchKind::LeftmostFirst),
                &variants,
                phrases.clone(),
                groups.clone(),
            )?,
            any_case: Pass::new(
                AhoCorasickBuilder::new().ascii_case_insensitive(true),
                &plain,
                phrases,
                groups,
            )?,
            words: words.len(),
        })
    }
}

fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A catalog holding one version with these sections, and their heads.
    fn catalog_with(sections: &[&str]) -> (tempfile::TempDir, Catalog, Vec<SectionHead>) {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(&dir.path().join("catalog.sqlite3")).unwrap();
        catalog
            .conn()
            .execute_batch(
                "INSERT INTO assets (id, created_at, status) VALUES ('a', 'now', 'present');
                 INSERT INTO versions (id, asset_id, hash, byte_size, first_seen)
                 VALUES (1, 'a', 'h', 0, 'now');",
            )
            .unwrap();
        for (n, text) in sections.iter().enumerate() {
            catalog
                .conn()
                .execute(
                    "INSERT INTO sections (version_id, number, kind, text) VALUES (1, ?1, 'page', ?2)",
                    rusqlite::params![n as i64 + 1, text],
                )
                .unwrap();
        }
        let heads = catalog.section_heads(1).unwrap();
        (dir, catalog, heads)
    }

    /// The best section and snippet for one query word, as `search` finds them.
    fn best_for(catalog: &Catalog, heads: &[SectionHead], word: &str) -> Best {
        let terms: BTreeMap<String, f32> = [(word.to_owned(), 1.0)].into_iter().collect();
        let needles = Needles::new(&terms, &[], &[]).unwrap();
        let snippets = SnippetGenerator::new(
            terms,
            tokenizer::analyzer(),
            tantivy::schema::Field::from_field_id(0),
            SNIPPET_CHARS,
        );
        best_section(&snippets, &needles, &mut catalog.section_texts(), heads).unwrap()
    }

    /// The usual-case pass of `needles` over one section.
    fn scan_with(needles: &Needles, texts: &mut SectionTexts, id: i64, early: bool) -> Found {
        scan(
            &needles.usual_case,
            needles.words,
            texts,
            id,
            early,
            &mut Vec::new(),
        )
        .unwrap()
    }

    /// Needles for a query of these words, each typed in full.
    fn needles(words: &[&str]) -> Needles {
        let terms: BTreeMap<String, f32> = words.iter().map(|w| (w.to_string(), 1.0)).collect();
        let groups: Vec<Vec<String>> = words.iter().map(|w| vec![w.to_string()]).collect();
        Needles::new(&terms, &[], &groups).unwrap()
    }

    #[test]
    fn the_page_with_the_phrase_beats_a_page_with_more_of_its_words() {
        let scattered =
            "Position the vane. The AOA sensor is in place; position it and the AOA reads. "
                .repeat(5);
        let (_dir, catalog, heads) = catalog_with(&[
            &scattered,
            "Put the position of the AOA vane aside.",
            "Operators use a fixture to\nposition\tthe AOA, then check.",
        ]);
        let terms: BTreeMap<String, f32> = ["posit", "the", "aoa"]
            .iter()
            .map(|w| (w.to_string(), 1.0))
            .collect();
        let phrase = vec!["posit".to_owned(), "the".to_owned(), "aoa".to_owned()];
        let groups: Vec<Vec<String>> = phrase.iter().map(|w| vec![w.clone()]).collect();
        let needles = Needles::new(&terms, &[phrase], &groups).unwrap();
        let mut texts = catalog.section_texts();
        let (head, starts) = ranked(&needles.any_case, needles.words, &mut texts, &heads)
            .unwrap()
            .unwrap();
        assert_eq!(head.number, 3, "a word between (page 2) breaks the phrase");
        let text = "Operators use a fixture to\nposition\tthe AOA, then check.";
        assert_eq!(
            starts[0],
            text.find("position").unwrap(),
            "the snippet starts there"
        );
        let page_one = scan_with(&needles, &mut texts, heads[0].id, false);
        assert_eq!(page_one.phrases, 0, "no phrase across a sentence's words");
    }

    #[test]
    fn a_phrase_is_whole_words_of_its_stems_and_may_repeat_a_word() {
        let phrase_needles = |stems: &[&str]| {
            let phrase: Vec<String> = stems.iter().map(|s| s.to_string()).collect();
            let terms: BTreeMap<String, f32> = phrase.iter().map(|w| (w.clone(), 1.0)).collect();
            let groups: Vec<Vec<String>> = phrase.iter().map(|w| vec![w.clone()]).collect();
            Needles::new(&terms, &[phrase], &groups).unwrap()
        };
        let near_miss = "Position there AOA and the vane. Later: positioned the AOA.";
        let repeated = "Say bye bye bye now.";
        let (_dir, catalog, heads) = catalog_with(&[near_miss, repeated]);
        let mut texts = catalog.section_texts();

        let needles = phrase_needles(&["posit", "the", "aoa"]);
        let found = scan_with(&needles, &mut texts, heads[0].id, false);
        assert_eq!(found.phrases, 1, "'positioned the AOA' stems alike");
        assert_eq!(
            found.starts[0],
            near_miss.find("positioned").unwrap(),
            "not 'Position there AOA': 'there' is no form of 'the'"
        );

        let needles = phrase_needles(&["bye", "bye", "now"]);
        let found = scan_with(&needles, &mut texts, heads[1].id, false);
        assert_eq!(found.phrases, 1, "the second and third 'bye' and 'now'");
        assert_eq!(found.starts[0], repeated.find("bye bye now").unwrap());
    }

    #[test]
    fn neighbouring_words_are_the_rest_of_a_word_then_no_other_word() {
        assert!(adjacent(b"Posit", b"ion\n ", b"the AOA"));
        assert!(adjacent(b"cost", b"-", b"benefit"));
        assert!(!adjacent(b"posit", b"ion of ", b"the"), "a word between");
        assert!(!adjacent(b"price", b"", b"sheet"), "one word, pricesheet");
        assert!(!adjacent(b"posit", b"ion", b"the"), "positionthe");
        assert!(
            adjacent("美".as_bytes(), b"", "国".as_bytes()),
            "CJK characters"
        );
        assert!(!adjacent("美".as_bytes(), "日".as_bytes(), "国".as_bytes()));
    }

    #[test]
    fn a_query_word_without_needles_of_its_own_is_no_group() {
        let terms: BTreeMap<String, f32> = [("price".to_owned(), 1.0), ("sheet".to_owned(), 1.0)]
            .into_iter()
            .collect();
        let query = [
            vec!["price".to_owned()],
            vec!["price".to_owned()],
            vec!["zzyzx".to_owned()],
            vec!["sheet".to_owned()],
        ];
        let needles = Needles::new(&terms, &[], &query).unwrap();
        assert_eq!(needles.usual_case.groups.count, 2);
        assert_eq!(needles.usual_case.groups.of, [Some(0), Some(1)]);
    }

    #[test]
    fn a_place_with_all_the_words_beats_more_matches_far_apart() {
        let apart = format!("price price price {} sheet sheet", " filler".repeat(100));
        let together = format!(
            "price{} and later the price sheet itself{}",
            " filler".repeat(300),
            " filler".repeat(300)
        );
        let (_dir, catalog, heads) = catalog_with(&[&apart, &together]);
        let needles = needles(&["price", "sheet"]);
        let mut texts = catalog.section_texts();
        let (head, starts) = ranked(&needles.usual_case, needles.words, &mut texts, &heads)
            .unwrap()
            .unwrap();
        assert_eq!(head.number, 2, "the words together, not the most matches");
        assert_eq!(starts[0], together.find("price sheet").unwrap());
        // A single text is read on, past its first snippet places, to find them together.
        let (_dir, catalog, heads) = catalog_with(&[&together]);
        let mut texts = catalog.section_texts();
        let found = scan_with(&needles, &mut texts, heads[0].id, true);
        assert!(found.near);
        assert_eq!(found.starts[0], together.find("price sheet").unwrap());
    }

    #[test]
    fn a_word_in_mixed_case_is_found_by_the_any_case_pass() {
        let needles = needles(&["javascript"]);
        let (_dir, catalog, heads) = catalog_with(&["no match here", "We ship JavaScript SDKs"]);
        let mut texts = catalog.section_texts();
        assert!(
            ranked(&needles.usual_case, 1, &mut texts, &heads)
                .unwrap()
                .is_none()
        );
        let best = ranked(&needles.any_case, 1, &mut texts, &heads).unwrap();
        assert_eq!(
            best.map(|(head, starts)| (head.number, starts)),
            Some((2, vec![8]))
        );
    }

    #[test]
    fn the_page_with_most_words_wins_and_a_match_across_pieces_is_found_once() {
        // "pricing" straddles the first piece's end in page 2; page 2 also has "sheet".
        let long = format!("{} pricing sheet", "x".repeat(PIECE - 3));
        let (_dir, catalog, heads) = catalog_with(&["price price price", &long]);
        let needles = needles(&["price", "sheet"]);
        let mut texts = catalog.section_texts();
        let (head, starts) = ranked(&needles.usual_case, 2, &mut texts, &heads)
            .unwrap()
            .unwrap();
        assert_eq!((head.number, starts), (2, vec![PIECE - 2]));
        let found = scan_with(&needles, &mut texts, heads[1].id, false);
        assert_eq!(found.key, (2, 2), "each match counted once");
    }

    #[test]
    fn a_match_at_a_piece_end_is_read_whole_in_the_next_piece() {
        // "plan" fits in the first piece, "planne" (for *planner*) does not: a scan of
        // the whole text finds "planne" there, once.
        let (_dir, catalog, heads) = catalog_with(&[&format!("{} planner", "x".repeat(PIECE - 5))]);
        let plan = needles(&["plan", "planner"]);
        let mut texts = catalog.section_texts();
        let found = scan_with(&plan, &mut texts, heads[0].id, false);
        assert_eq!((found.key, found.starts), ((1, 1), vec![PIECE - 4]));
        // And a match that starts a piece but is the end of a longer word is no match.
        let (_dir, catalog, heads) = catalog_with(&[&format!("{}pricing", "x".repeat(PIECE - 2))]);
        let price = needles(&["price"]);
        let mut texts = catalog.section_texts();
        let found = scan_with(&price, &mut texts, heads[0].id, false);
        assert_eq!(found.key, (0, 0));
    }

    #[test]
    fn a_folded_accent_on_a_late_page_is_found_past_ascii_pages() {
        // "zurich" does not occur in "Zürich": only the analyser (which folds accents)
        // sees it; the pages before it have no letters that fold (curly quotes and dashes
        // are not letters) and cost nothing of its budget.
        let mut pages: Vec<String> = (0..300)
            .map(|_| "plain “english” text — ".repeat(200))
            .collect();
        pages.push("Our office in Zürich opened in May.".to_owned());
        let pages: Vec<&str> = pages.iter().map(String::as_str).collect();
        let (_dir, catalog, heads) = catalog_with(&pages);
        let best = best_for(&catalog, &heads, "zurich");
        assert_eq!(best.location.map(|l| l.number), Some(301));
        assert!(best.html.contains("<mark>Zürich</mark>"), "{}", best.html);
    }

    #[test]
    fn a_title_match_shows_the_first_words_of_the_document() {
        let blank = " ".repeat(SNIPPET_WINDOW * 5);
        let (_dir, catalog, heads) = catalog_with(&["", &format!("{blank}Opening words here")]);
        let best = best_for(&catalog, &heads, "absent");
        assert_eq!(
            (best.html.as_str(), best.location),
            ("Opening words here", None)
        );
    }

    #[test]
    fn a_long_single_text_is_read_only_until_the_snippet_places_are_found() {
        // Both words and eight snippet places in the first piece, more matches later.
        let mut book = "price sheet".to_owned();
        for _ in 0..10 {
            book.push_str(&" ".repeat(SNIPPET_WINDOW));
            book.push_str("price");
        }
        book.push_str(&" ".repeat(2 * PIECE));
        book.push_str("sheet sheet");
        let (_dir, catalog, heads) = catalog_with(&[&book]);
        let needles = needles(&["price", "sheet"]);
        let mut texts = catalog.section_texts();
        let early = scan_with(&needles, &mut texts, heads[0].id, true);
        let whole = scan_with(&needles, &mut texts, heads[0].id, false);
        assert_eq!(early.key, (2, 12));
        assert_eq!(whole.key, (2, 14));
        assert_eq!(early.starts.len(), SNIPPET_TRIES);
        assert_eq!(early.starts, whole.starts);
    }

    #[test]
    fn a_needle_inside_another_word_is_not_a_match() {
        // "revie" (for *review*) inside *preview* must not make page 1 the best page.
        let (_dir, catalog, heads) =
            catalog_with(&["preview previewed PREVIEW", "a review, Review: 中review"]);
        let needles = needles(&["review"]);
        let mut texts = catalog.section_texts();
        let (head, starts) = ranked(&needles.usual_case, 1, &mut texts, &heads)
            .unwrap()
            .unwrap();
        assert_eq!((head.number, starts), (2, vec![2]));
        let found = scan_with(&needles, &mut texts, heads[1].id, false);
        assert_eq!(
            found.key,
            (1, 3),
            "a CJK character before a word ends the word before it"
        );
        assert!(may_fold("Zürich") && may_fold("ﬁnance") && may_fold("Việt"));
        assert!(!may_fold("“quoted” — text") && !may_fold("Москва"));
        assert!(inside_word(b"preview", 1));
        assert!(!inside_word(b"a review", 2));
        assert!(!inside_word("中review".as_bytes(), 3));
        assert!(!inside_word(b"review", 0));
    }

    #[test]
    fn an_excerpt_is_cut_to_whole_characters() {
        let (_dir, catalog, heads) = catalog_with(&["été à Zürich"]);
        let mut texts = catalog.section_texts();
        // Byte 1 is inside "é", and ten bytes from there end inside "ü".
        assert_eq!(excerpt(&mut texts, heads[0].id, 1, 10).unwrap(), "té à Z");
        assert_eq!(
            excerpt(&mut texts, heads[0].id, 0, 100).unwrap(),
            "été à Zürich"
        );
        assert_eq!(excerpt(&mut texts, heads[0].id, 100, 10).unwrap(), "");
    }

    #[test]
    fn needles_find_words_in_the_usual_cases_and_say_which_word() {
        let terms: BTreeMap<String, f32> = [("price".to_owned(), 1.0), ("sheet".to_owned(), 0.5)]
            .into_iter()
            .collect();
        let needles = Needles::new(&terms, &[], &[]).unwrap();
        assert_eq!(needles.words, 2);
        let text = "PRICE list. Pricing sheets; the price SHEET";
        let found: Vec<(usize, &str)> = needles
            .usual_case
            .matcher
            .find_iter(text)
            .map(|m| {
                (
                    needles.usual_case.word_of[m.pattern().as_usize()],
                    &text[m.range()],
                )
            })
            .collect();
        assert_eq!(
            found,
            vec![
                (0, "PRIC"),
                (0, "Pric"),
                (1, "shee"),
                (0, "pric"),
                (1, "SHEE")
            ]
        );
    }

    #[test]
    fn query_pieces() {
        let (p, typing) = pieces("\"implementation timeline\" pric");
        assert_eq!(
            p,
            vec![
                Piece::Phrase("implementation timeline".into()),
                Piece::Word("pric".into())
            ]
        );
        assert!(
            typing,
            "a last word without a trailing space is being typed"
        );
        let (_, typing) = pieces("pricing ");
        assert!(!typing);
        let (p, _) = pieces("\"unclosed phrase");
        assert_eq!(p, vec![Piece::Phrase("unclosed phrase".into())]);
    }

    /// Typo and prefix expansions over a real index: which words, in what order.
    #[test]
    fn expansions_follow_the_edit_distance_and_the_prefix_most_frequent_first() {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open(dir.path()).unwrap();
        let mut writer = index.writer(dir.path()).unwrap();
        let bodies = [
            "pricing price prize",
            "pricing implementation",
            "pricing priority leader",
            "ledger private",
            "цена",
            "paa pab pac pad pae paf pag pah pai paj",
            "total cost of ownership",
            "total cost and ownership",
            "total cost ownership",
            "total cost of the ownership",
        ];
        for (n, body) in bodies.iter().enumerate() {
            let doc = crate::catalog::IndexDoc {
                asset_id: format!("a{n}"),
                title: String::new(),
                format: "text".into(),
                tags: vec![],
                folders: vec!["/lib".into()],
                fields: vec![],
                expires_day: None,
                sections: vec![(*body).to_owned()],
            };
            writer.add_document(index.document(&doc)).unwrap();
        }
        writer.commit().unwrap();
        index.reload().unwrap();
        let searcher = index.reader.searcher();
        let words = |word: &str, how| -> Vec<String> {
            expand(&searcher, index.fields.words, word, how)
                .unwrap()
                .into_iter()
                .map(|(w, _)| w)
                .collect()
        };
        assert_eq!(words("pricng", Expansion::Typo(1)), ["pricing"]);
        assert_eq!(
            words("pirce", Expansion::Typo(1)),
            ["price"],
            "a swap is one edit"
        );
        assert_eq!(
            words("implmentaton", Expansion::Typo(2)),
            ["implementation"]
        );
        assert!(
            words("ledger", Expansion::Typo(1)).is_empty(),
            "leader is two edits away, and the word itself is no expansion"
        );
        assert!(
            words("rpice", Expansion::Typo(1)).is_empty(),
            "a typo keeps the first letter"
        );
        assert_eq!(
            words("цеан", Expansion::Typo(1)),
            ["цена"],
            "not only ASCII"
        );
        assert_eq!(
            words("pri", Expansion::Prefix),
            ["pricing", "price", "priority", "private", "prize"]
        );
        assert_eq!(
            words("pa", Expansion::Prefix).len(),
            SHORT_PREFIX_EXPANSIONS
        );
        assert_eq!(words("paa", Expansion::Prefix), Vec::<String>::new());

        // A phrase that skips its inner word still holds that word's place.
        let stems: Vec<String> = ["total", "cost", "of", "ownership"]
            .map(String::from)
            .into();
        let checked = checked_words(&stems, &[10, 10, 99_000, 10], 100_000);
        let found = searcher
            .search(
                phrase_query(index.fields.body, &checked).as_ref(),
                &TopDocs::with_limit(10).order_by_score(),
            )
            .unwrap();
        let mut ids: Vec<String> = found
            .iter()
            .map(|(_, addr)| {
                let doc: TantivyDocument = searcher.doc(*addr).unwrap();
                let id = doc.get_first(index.fields.asset_id).unwrap();
                id.as_str().unwrap().to_owned()
            })
            .collect();
        ids.sort();
        assert_eq!(ids, ["a6", "a7"], "one word between cost and ownership");
    }

    #[test]
    fn a_phrase_checks_common_inner_words_only_in_a_small_library() {
        let stems: Vec<String> = ["total", "cost", "of", "ownership"]
            .map(String::from)
            .into();
        let at = |docs, dfs: &[u64]| -> Vec<usize> {
            checked_words(&stems, dfs, docs)
                .iter()
                .map(|&(at, _)| at)
                .collect()
        };
        // "of" is in nearly every document of a large library: it holds its place.
        assert_eq!(at(100_000, &[900, 20_000, 99_000, 800]), vec![0, 1, 3]);
        // Of two common words side by side, only the first is skipped.
        assert_eq!(at(100_000, &[900, 99_000, 99_000, 800]), vec![0, 2, 3]);
        // A small library checks every word, however common.
        assert_eq!(at(500, &[9, 200, 499, 8]), vec![0, 1, 2, 3]);
        // In half the documents or fewer: checked.
        assert_eq!(at(100_000, &[900, 20_000, 50_000, 800]), vec![0, 1, 2, 3]);
        // First and last words are always checked, common or not.
        assert_eq!(
            at(100_000, &[99_000, 99_000, 99_000, 99_000]),
            vec![0, 2, 3]
        );
    }
}
