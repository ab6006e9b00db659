//! The snippet locator: the best page or slide of a hit and the passage to show, found
//! by substring search over the catalog's text in pieces, then marked by tantivy's
//! snippet generator over a window around the match.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;

use crate::Result;
use crate::catalog::{SectionHead, SectionTexts};
use crate::index::tokenizer;

use super::plan::tokens;
use super::*;

/// Characters in a snippet.
pub(super) const SNIPPET_CHARS: usize = 180;

pub(super) struct Best {
    pub(super) fragment: String,
    pub(super) highlights: Vec<Range<usize>>,
    pub(super) location: Option<Location>,
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
pub(super) fn best_section(
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
    let snippet = snippets.snippet(text);
    if snippet.highlighted().is_empty() {
        return None;
    }
    Some(Best {
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
pub(super) struct Needles {
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
    pub(super) fn new(
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

#[cfg(test)]
mod tests;
