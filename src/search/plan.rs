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
            filter_query(index, searcher, field, value, req.today, &mut stem)?,
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

#[cfg(test)]
mod tests;
