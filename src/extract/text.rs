//! Plain text, CSV and Markdown, and the character-set guessing they share with HTML.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};
use pulldown_cmark::{Event, Parser, Tag, TagEnd};

use super::{Document, Format};

/// Decodes bytes whose encoding nobody declared: a BOM wins, then UTF-8 if the bytes
/// are valid UTF-8 (after ruling out BOM-less UTF-16), then `declared` (an HTML meta charset), then Windows-1252, the
/// superset of Latin-1 that old Western documents are nearly always in.
pub(super) fn decode(bytes: &[u8], declared: Option<&'static Encoding>) -> String {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        return enc
            .decode_without_bom_handling(&bytes[bom_len..])
            .0
            .into_owned();
    }
    // Before UTF-8: NUL bytes are valid UTF-8, so ASCII in UTF-16 would pass as it.
    if let Some(enc) = utf16_without_bom(bytes) {
        return enc.decode_without_bom_handling(bytes).0.into_owned();
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_owned();
    }
    let enc = declared.filter(|e| *e != UTF_8).unwrap_or(WINDOWS_1252);
    enc.decode_without_bom_handling(bytes).0.into_owned()
}

/// UTF-16 text without a BOM shows as every other byte being NUL.
pub(super) fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let n = bytes.len().min(512) & !1;
    if n < 4 {
        return None;
    }
    let (even, odd) = bytes[..n].chunks(2).fold((0, 0), |(e, o), c| {
        (e + usize::from(c[0] == 0), o + usize::from(c[1] == 0))
    });
    let half = n / 4;
    if even > half && odd == 0 {
        Some(UTF_16BE)
    } else if odd > half && even == 0 {
        Some(UTF_16LE)
    } else {
        None
    }
}

pub(super) fn plain(bytes: &[u8], format: Format) -> Document {
    Document::single(format, None, decode(bytes, None))
}

/// Markdown is indexed as the text a reader sees (no markup), titled by its first
/// heading.
pub(super) fn markdown(bytes: &[u8]) -> Document {
    let source = decode(bytes, None);
    let mut text = String::with_capacity(source.len());
    let mut title: Option<String> = None;
    let mut in_heading = false;
    let mut heading = String::new();
    for event in Parser::new(&source) {
        match event {
            Event::Start(Tag::Heading { .. }) => {
                in_heading = true;
                heading.clear();
            }
            Event::End(TagEnd::Heading(_)) => {
                in_heading = false;
                if title.is_none() && !heading.trim().is_empty() {
                    title = Some(heading.trim().to_owned());
                }
                text.push('\n');
            }
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                if in_heading {
                    heading.push_str(&t);
                }
                text.push_str(&t);
            }
            Event::Html(t) | Event::InlineHtml(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::Rule => text.push('\n'),
            Event::End(
                TagEnd::Paragraph | TagEnd::Item | TagEnd::TableCell | TagEnd::CodeBlock,
            ) => text.push('\n'),
            _ => {}
        }
    }
    Document::single(Format::Markdown, title, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_handles_latin1_and_utf16() {
        assert_eq!(
            decode(b"\xe4\xf6\xfc\xdf", None),
            "äöüß",
            "Latin-1 falls back to 1252"
        );
        let be: Vec<u8> = "Hi there"
            .encode_utf16()
            .flat_map(|u| u.to_be_bytes())
            .collect();
        assert_eq!(
            decode(&be, None),
            "Hi there",
            "BOM-less UTF-16BE is recognised"
        );
        let mut bom = vec![0xFE, 0xFF];
        bom.extend(&be);
        assert_eq!(decode(&bom, None), "Hi there");
    }

    #[test]
    fn markdown_title_is_first_heading_and_markup_is_dropped() {
        let doc = markdown(b"Intro line\n\n# Battlecard: **Acme**\n\nSome *bold* claim.\n");
        assert_eq!(doc.title.as_deref(), Some("Battlecard: Acme"));
        assert!(doc.sections[0].text.contains("Some bold claim."));
    }
}
