//! Word splitting for the index. Like tantivy's `SimpleTokenizer` (runs of letters and
//! digits), except that each Chinese, Japanese or Korean character is a token of its
//! own: those scripts don't separate words with spaces (and Korean spaces don't follow
//! word boundaries), so single characters with positions let a quoted phrase match any
//! run of characters.

use std::cell::RefCell;

use rustc_hash::FxHashMap;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, TextAnalyzer, Token, TokenFilter,
    TokenStream, Tokenizer,
};

/// The name the body, title and tags analyzer is registered under.
pub const ANALYZER: &str = "quiver";
/// The name the `words` field's analyzer is registered under: see [`vocabulary`].
pub const WORDS_ANALYZER: &str = "quiver_words";

/// Words, lower-cased, accents folded, English-stemmed: for queries and snippets.
pub fn analyzer() -> TextAnalyzer {
    stemming(MemoStemmer { collect: false })
}

/// [`analyzer`] for the index writer: it also notes each document's distinct words,
/// unstemmed, for [`vocabulary`].
pub fn indexing_analyzer() -> TextAnalyzer {
    stemming(MemoStemmer { collect: true })
}

fn stemming(stemmer: MemoStemmer) -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_WORD_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(stemmer)
        .build()
}

/// Words, lower-cased and accents folded, not stemmed: what a typed word is compared
/// with when prefix and typo matching expand it.
pub fn words_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_WORD_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The `words` field's analyzer in the index writer. Prefix and typo matching expand
/// what is typed against unstemmed words (a stem such as `price` is no prefix of
/// `pricin`), so the field holds each document's distinct words. Tokenising the whole
/// text a second time for it cost 7 % of a full index run; instead, the document's
/// title, tags and body, which tantivy analyses first (fields in schema order, one
/// document at a time on one thread), note their words in this thread's stem memo, and
/// this analyzer, given any value, emits and clears them.
pub fn vocabulary() -> TextAnalyzer {
    TextAnalyzer::from(Vocabulary::default())
}

const MAX_WORD_BYTES: usize = 48;

pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0x1100..=0x11FF    // Hangul jamo
        | 0x3130..=0x318F    // Hangul compatibility jamo
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0x20000..=0x2FA1F) // CJK extensions B..
}

pub(crate) fn is_word(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        c.is_alphanumeric() && !is_cjk(c)
    }
}

/// Whether `a` followed by `b` lies inside one token: a match that starts there is the
/// middle of a word (*review* in *preview*), not a word of its own.
pub(crate) fn same_word(a: char, b: char) -> bool {
    is_word(a) && is_word(b)
}

#[derive(Clone, Default)]
pub struct WordTokenizer {
    token: Token,
}

pub struct WordTokenStream<'a> {
    text: &'a str,
    /// Where the next token is looked for, in bytes.
    at: usize,
    token: &'a mut Token,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordTokenStream<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordTokenStream<'a> {
        self.token.reset();
        WordTokenStream {
            text,
            at: 0,
            token: &mut self.token,
        }
    }
}

/// The character at byte `at` of `text`, and its length. ASCII, nearly all of the
/// text, is read as a byte: decoding every character cost a tenth of tokenising.
fn char_at(text: &str, at: usize) -> (char, usize) {
    let b = text.as_bytes()[at];
    if b.is_ascii() {
        (char::from(b), 1)
    } else {
        let c = text[at..]
            .chars()
            .next()
            .unwrap_or(char::REPLACEMENT_CHARACTER);
        (c, c.len_utf8())
    }
}

impl TokenStream for WordTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.token.text.clear();
        self.token.position = self.token.position.wrapping_add(1);
        let bytes = self.text.as_bytes();
        while self.at < bytes.len() {
            let from = self.at;
            let (c, len) = char_at(self.text, from);
            self.at += len;
            if is_cjk(c) {
                // A token of its own.
            } else if is_word(c) {
                while self.at < bytes.len() {
                    let (n, len) = char_at(self.text, self.at);
                    if !is_word(n) {
                        break;
                    }
                    self.at += len;
                }
            } else {
                continue;
            }
            self.token.offset_from = from;
            self.token.offset_to = self.at;
            self.token.text.push_str(&self.text[from..self.at]);
            return true;
        }
        false
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// English (Snowball) stemming that remembers the words it has stemmed: text repeats
/// its words, and stemming each occurrence anew was a tenth of an index run's CPU time.
/// The memo is per thread, shared by the fields of the document the thread indexes.
#[derive(Clone)]
pub struct MemoStemmer {
    /// Note each document's distinct words for [`vocabulary`].
    collect: bool,
}

/// Words a memo holds before it starts over: bounds its memory (a few MiB).
const MEMO_WORDS: usize = 50_000;
/// The most bytes of distinct words noted for one document: a hostile file of random
/// words costs bounded memory, and only its own expansions are incomplete.
const DOC_WORDS_BYTES: usize = 1 << 20;

struct Memo {
    stems: FxHashMap<String, Stem>,
    /// Which document is being indexed on this thread: the next one starts when
    /// [`vocabulary`] takes this one's words.
    doc: u64,
    /// The current document's distinct words, each followed by a NUL.
    words: String,
}

struct Stem {
    stem: String,
    /// The last document the word was noted for.
    doc: u64,
}

thread_local! {
    static MEMO: RefCell<Memo> = RefCell::new(Memo {
        stems: FxHashMap::default(),
        doc: 0,
        words: String::new(),
    });
}

impl Memo {
    /// The stem of a word seen before, noting the word for this document.
    fn stem(&mut self, word: &str, collect: bool) -> Option<&str> {
        let stem = self.stems.get_mut(word)?;
        if collect && stem.doc != self.doc {
            stem.doc = self.doc;
            note(&mut self.words, word);
        }
        Some(&stem.stem)
    }

    fn insert(&mut self, word: String, stem: String, collect: bool) {
        let doc = if collect {
            note(&mut self.words, &word);
            self.doc
        } else {
            u64::MAX
        };
        self.stems.insert(word, Stem { stem, doc });
    }
}

fn note(words: &mut String, word: &str) {
    if words.len() < DOC_WORDS_BYTES {
        words.push_str(word);
        words.push('\0');
    }
}

impl TokenFilter for MemoStemmer {
    type Tokenizer<T: Tokenizer> = MemoStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> MemoStemmerFilter<T> {
        MemoStemmerFilter {
            inner,
            collect: self.collect,
        }
    }
}

#[derive(Clone)]
pub struct MemoStemmerFilter<T> {
    inner: T,
    collect: bool,
}

impl<T: Tokenizer> Tokenizer for MemoStemmerFilter<T> {
    type TokenStream<'a> = MemoStemmerStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        MEMO.with_borrow_mut(|m| {
            if m.stems.len() > MEMO_WORDS {
                m.stems.clear();
            }
        });
        MemoStemmerStream {
            tail: self.inner.token_stream(text),
            collect: self.collect,
            stemmer: frostem::Stemmer::new(frostem::Algorithm::English),
        }
    }
}

pub struct MemoStemmerStream<T> {
    tail: T,
    collect: bool,
    stemmer: frostem::Stemmer,
}

impl<T: TokenStream> TokenStream for MemoStemmerStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        MEMO.with_borrow_mut(|m| {
            if let Some(stem) = m.stem(&token.text, self.collect) {
                token.text.clear();
                token.text.push_str(stem);
            } else {
                let stem = self.stemmer.stem(&token.text).into_owned();
                let word = std::mem::replace(&mut token.text, stem.clone());
                m.insert(word, stem, self.collect);
            }
        });
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// See [`vocabulary`].
#[derive(Clone, Default)]
pub struct Vocabulary {
    words: String,
    token: Token,
}

pub struct VocabularyStream<'a> {
    words: std::str::Split<'a, char>,
    token: &'a mut Token,
}

impl Tokenizer for Vocabulary {
    type TokenStream<'a> = VocabularyStream<'a>;

    fn token_stream<'a>(&'a mut self, _value: &'a str) -> VocabularyStream<'a> {
        self.words.clear();
        MEMO.with_borrow_mut(|m| {
            std::mem::swap(&mut self.words, &mut m.words);
            m.doc += 1;
        });
        self.token.reset();
        VocabularyStream {
            words: self.words.split('\0'),
            token: &mut self.token,
        }
    }
}

impl TokenStream for VocabularyStream<'_> {
    fn advance(&mut self) -> bool {
        for word in self.words.by_ref() {
            if !word.is_empty() {
                self.token.text.clear();
                self.token.text.push_str(word);
                self.token.position = self.token.position.wrapping_add(1);
                return true;
            }
        }
        false
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<String> {
        let mut a = analyzer();
        let mut stream = a.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn latin_words_are_stemmed_and_folded() {
        assert_eq!(
            tokens("Pricing sheets, Résumé!"),
            vec!["price", "sheet", "resum"]
        );
    }

    #[test]
    fn remembered_stems_match_the_snowball_stemmer() {
        let text = "pricing renewals priced renewal pricing running runs ran pricing renewals";
        let mut plain = TextAnalyzer::builder(WordTokenizer::default())
            .filter(tantivy::tokenizer::Stemmer::new(
                tantivy::tokenizer::Language::English,
            ))
            .build();
        let mut expected = Vec::new();
        let mut stream = plain.token_stream(text);
        while stream.advance() {
            expected.push(stream.token().text.clone());
        }
        // Twice through one analyzer: the second pass reads every stem from the memo.
        let mut a = analyzer();
        for _ in 0..2 {
            let mut got = Vec::new();
            let mut stream = a.token_stream(text);
            while stream.advance() {
                got.push(stream.token().text.clone());
            }
            assert_eq!(got, expected);
        }
    }

    #[test]
    fn cjk_characters_are_single_tokens() {
        assert_eq!(tokens("美国The Next"), vec!["美", "国", "the", "next"]);
        assert_eq!(tokens("대 해분"), vec!["대", "해", "분"]);
    }

    #[test]
    fn words_keep_their_byte_offsets_across_accents_and_dashes() {
        let text = "naïve café—Zürich, 42x_Ω美!";
        let mut t = WordTokenizer::default();
        let mut stream = t.token_stream(text);
        let mut got = Vec::new();
        while stream.advance() {
            let tok = stream.token();
            assert_eq!(&text[tok.offset_from..tok.offset_to], tok.text);
            got.push(tok.text.clone());
        }
        assert_eq!(got, vec!["naïve", "café", "Zürich", "42x", "Ω", "美"]);
    }
}
