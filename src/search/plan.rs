//! Query planning: the typed query into tantivy queries, with prefix and typo
//! expansion, and the terms that snippets mark.

use std::collections::{BTreeMap, HashSet};

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, EmptyQuery, FuzzyTermQuery, Occur, PhraseQuery, Query,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Searcher, Term};

use crate::Result;
use crate::index::{SearchIndex, tokenizer};

use super::filter::filter_query;
use super::*;

const TITLE_BOOST: f32 = 3.0;
const TAGS_BOOST: f32 = 1.5;
/// How many index terms one prefix or misspelt word may expand to.
const MAX_EXPANSIONS: usize = 32;
/// The same for a two-letter prefix (the shortest that expands), whose completions each
/// match most of a large library: every one more is a long postings list to merge (at
/// 100k documents, 8 rather than 32 cut "pr" or "re" by about a quarter), for results
/// that change with the next key anyway.
const SHORT_PREFIX_EXPANSIONS: usize = 8;
/// Documents from which a phrase skips checking its most common inner words
/// ([`checked_words`]).
const LARGE_LIBRARY: u64 = 10_000;

pub(super) struct Plan {
    pub(super) query: Box<dyn Query>,
    /// Stemmed terms to mark in snippets, weighted rarer-first.
    pub(super) highlight_terms: BTreeMap<String, f32>,
    /// The stems of each phrase, so that the best page is one that holds the phrase.
    pub(super) phrases: Vec<Vec<String>>,
    /// Each query word's stems (a typed prefix or a typo: all its expansions), so that
    /// a snippet can show every word of the query together.
    pub(super) words: Vec<Vec<String>>,
    /// The query with its misspelt words corrected, when any was.
    pub(super) did_you_mean: Option<String>,
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

pub(super) fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while let Some(t) = stream.next() {
        out.push(t.text.clone());
    }
    out
}

pub(super) fn plan(index: &SearchIndex, searcher: &Searcher, req: &Request) -> Result<Plan> {
    let f = index.fields;
    let mut stem = tokenizer::analyzer();
    let mut plain = tokenizer::words_analyzer();
    let (pieces, typing) = pieces(&req.query);
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut highlight = BTreeMap::new();
    let mut phrases = Vec::new();
    let mut words: Vec<Vec<String>> = Vec::new();
    // (word as typed, the correction meant), for "did you mean".
    let mut fixes: Vec<(String, String)> = Vec::new();
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
                let prefix = if typing && i == last && p.chars().count() >= 2 {
                    expand(searcher, f.words, p, Expansion::Prefix)?
                } else {
                    Vec::new()
                };
                let allowed = match p.chars().count() {
                    0..=3 => 0,
                    4..=5 => 1,
                    _ => 2,
                };
                // An expansion is searched as if typed in full: its stem, in title,
                // tags or body.
                let mut stems = HashSet::from([s.clone()]);
                if df == 0 && prefix.is_empty() && allowed > 0 {
                    let typos = expand(searcher, f.words, p, Expansion::Typo(allowed))?;
                    let corrected = corrections(p, typos, searcher.num_docs());
                    if let Some(best) = corrected.first() {
                        fixes.push((word.clone(), best.term.clone()));
                    }
                    let mut boosts: BTreeMap<String, f32> = BTreeMap::new();
                    for c in &corrected {
                        if let Some(s) = tokens(&mut stem, &c.term).pop() {
                            // Snippets show the corrections meant, not the far ones.
                            if c.nearest {
                                mark(&s, c.df);
                            }
                            let b = boosts.entry(s).or_insert(0.0);
                            *b = b.max(c.boost);
                        }
                    }
                    for (s, boost) in boosts {
                        if stems.insert(s.clone()) {
                            alternatives.extend(word_clauses(index, &s).map(|(o, q)| {
                                (o, Box::new(BoostQuery::new(q, boost)) as Box<dyn Query>)
                            }));
                        }
                    }
                } else if df > 0
                    && df <= RARE
                    && prefix.is_empty()
                    && allowed > 0
                    && !(typing && i == last)
                {
                    // A word the library has, but barely, beside a common one an edit
                    // away ("pride" for "price"): searched as typed, and suggested.
                    let typos = expand(searcher, f.words, p, Expansion::Typo(1))?;
                    if let Some((best, best_df)) = typos.iter().max_by_key(|(_, d)| *d)
                        && *best_df >= (df * SUGGEST_RATIO).max(SUGGEST_MIN)
                    {
                        fixes.push((word.clone(), best.clone()));
                    }
                }
                for (term, df) in prefix {
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
    // Values of one field are alternatives (format pdf or pptx); fields narrow each
    // other (pdf, and tagged pricing).
    let mut by_field: BTreeMap<&str, Vec<Box<dyn Query>>> = BTreeMap::new();
    for (field, value) in &req.filters {
        let q = filter_query(index, searcher, field, value, req.today, &mut stem)?;
        by_field.entry(field.as_str()).or_default().push(q);
    }
    for (_, mut values) in by_field {
        let q = if values.len() == 1 {
            values.pop().expect("one")
        } else {
            Box::new(BooleanQuery::new(
                values.into_iter().map(|q| (Occur::Should, q)).collect(),
            ))
        };
        clauses.push((Occur::Must, q));
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
    let did_you_mean = (!fixes.is_empty()).then(|| {
        // Each misspelt word replaced where it stands; the rest of the query as typed.
        let mut text = req.query.clone();
        for (typed, meant) in &fixes {
            if let Some(at) = text.find(typed.as_str()) {
                text.replace_range(at..at + typed.len(), meant);
            }
        }
        text.trim().to_owned()
    });
    Ok(Plan {
        query,
        highlight_terms: highlight,
        phrases,
        words,
        did_you_mean,
    })
}

/// A word in at most this many documents may be a typo of a common one.
const RARE: u64 = 2;
/// How many times more documents a neighbour must be in to be suggested for it, and
/// in how many at least.
const SUGGEST_RATIO: u64 = 4;
const SUGGEST_MIN: u64 = 5;
/// The weight of corrections further away than the nearest ones.
const FURTHER: f32 = 0.3;

/// A word of the index that a misspelt word may have meant.
struct Correction {
    term: String,
    df: u64,
    boost: f32,
    /// Among the fewest edits away.
    nearest: bool,
}

/// Corrections of a misspelt word, the one meant first, each with its boost and
/// document count. Nearest first, then most common: a one-edit match to a frequent
/// word beats a two-edit match to a rare one. BM25 weighs a term by its inverse
/// document frequency, so on its own a rare correction ("pride") outscores a common
/// one ("price"); each correction's boost brings its weight down to that of the most
/// common one, so that how often a document says the word decides, and then weights
/// the nearest corrections fully (1.0) and the others at [`FURTHER`].
fn corrections(word: &str, found: Vec<(String, u64)>, docs: u64) -> Vec<Correction> {
    let mut ranked: Vec<(usize, String, u64)> = found
        .into_iter()
        .map(|(term, df)| (crate::edit::distance(word, &term), term, df))
        .collect();
    ranked.sort_by(|a, b| a.0.cmp(&b.0).then(b.2.cmp(&a.2)).then(a.1.cmp(&b.1)));
    let idf = |df: u64| {
        let (n, df) = (docs as f32, df as f32);
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln().max(0.01)
    };
    let Some(nearest) = ranked.first().map(|r| r.0) else {
        return Vec::new();
    };
    let common = ranked.iter().map(|r| r.2).max().unwrap_or(0);
    ranked
        .into_iter()
        .map(|(d, term, df)| {
            let weight = if d == nearest { 1.0 } else { FURTHER };
            Correction {
                boost: weight * (idf(common) / idf(df)).min(1.0),
                nearest: d == nearest,
                term,
                df,
            }
        })
        .collect()
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

#[cfg(test)]
mod tests;
