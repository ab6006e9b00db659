//! Word splitting for the index. Like tantivy's `SimpleTokenizer` (runs of letters and
//! digits), except that each Chinese, Japanese or Korean character is a token of its
//! own: those scripts don't separate words with spaces (and Korean spaces don't follow
//! word boundaries), so single characters with positions let a quoted phrase match any
//! run of characters.

use std::str::CharIndices;

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, Stemmer, TextAnalyzer, Token,
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
        .filter(Stemmer::new(Language::English))
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
    fn cjk_characters_are_single_tokens() {
        assert_eq!(tokens("美国The Next"), vec!["美", "国", "the", "next"]);
        assert_eq!(tokens("대 해분"), vec!["대", "해", "분"]);
    }
}
