//! Word splitting for the index. Like tantivy's `SimpleTokenizer` (runs of letters and
//! digits), except that each Chinese, Japanese or Korean character is a token of its
//! own: those scripts don't separate words with spaces (and Korean spaces don't follow
//! word boundaries), so single characters with positions let a quoted phrase match any
//! run of characters.

use std::str::CharIndices;

use rustc_hash::FxHashMap;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, TextAnalyzer, Token, TokenFilter,
    TokenStream, Tokenizer,
};

/// The name the analyzer is registered under.
pub const ANALYZER: &str = "quiver";
/// The unstemmed analyzer of the `words` field, which prefix and typo matching expand
/// against: a stem such as `price` is no prefix of what a user types (`pricin`).
pub const WORDS_ANALYZER: &str = "quiver_words";

/// Words, lower-cased, accents folded, English-stemmed.
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer::default())
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(MemoStemmer)
        .build()
}

/// Words, lower-cased and accents folded, not stemmed.
pub fn words_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer::default())
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

fn is_cjk(c: char) -> bool {
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

fn is_word(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
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
    chars: std::iter::Peekable<CharIndices<'a>>,
    token: &'a mut Token,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordTokenStream<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordTokenStream<'a> {
        self.token.reset();
        WordTokenStream {
            text,
            chars: text.char_indices().peekable(),
            token: &mut self.token,
        }
    }
}

impl TokenStream for WordTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.token.text.clear();
        self.token.position = self.token.position.wrapping_add(1);
        while let Some((from, c)) = self.chars.next() {
            let to = if is_cjk(c) {
                from + c.len_utf8()
            } else if is_word(c) {
                let mut end = from + c.len_utf8();
                while let Some(&(i, n)) = self.chars.peek() {
                    if !is_word(n) {
                        break;
                    }
                    end = i + n.len_utf8();
                    self.chars.next();
                }
                end
            } else {
                continue;
            };
            self.token.offset_from = from;
            self.token.offset_to = to;
            self.token.text.push_str(&self.text[from..to]);
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
/// Each index thread keeps its own memo for the segment it writes.
#[derive(Clone)]
pub struct MemoStemmer;

/// Words a memo holds before it starts over: bounds its memory (a few MiB).
const MEMO_WORDS: usize = 50_000;

impl TokenFilter for MemoStemmer {
    type Tokenizer<T: Tokenizer> = MemoStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> MemoStemmerFilter<T> {
        MemoStemmerFilter {
            inner,
            memo: FxHashMap::default(),
        }
    }
}

#[derive(Clone)]
pub struct MemoStemmerFilter<T> {
    inner: T,
    memo: FxHashMap<String, String>,
}

impl<T: Tokenizer> Tokenizer for MemoStemmerFilter<T> {
    type TokenStream<'a> = MemoStemmerStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        if self.memo.len() > MEMO_WORDS {
            self.memo.clear();
        }
        MemoStemmerStream {
            tail: self.inner.token_stream(text),
            memo: &mut self.memo,
            stemmer: frostem::Stemmer::new(frostem::Algorithm::English),
        }
    }
}

pub struct MemoStemmerStream<'a, T> {
    tail: T,
    memo: &'a mut FxHashMap<String, String>,
    stemmer: frostem::Stemmer,
}

impl<T: TokenStream> TokenStream for MemoStemmerStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if let Some(stem) = self.memo.get(&token.text) {
            token.text.clear();
            token.text.push_str(stem);
        } else {
            let stem = self.stemmer.stem(&token.text).into_owned();
            let word = std::mem::replace(&mut token.text, stem.clone());
            self.memo.insert(word, stem);
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
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
}
