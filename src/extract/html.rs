//! HTML through `scraper` (html5ever, the browser-grade parser): the visible text,
//! titled by `<title>` or else the first `<h1>`.

use ego_tree::iter::Edge;
use encoding_rs::Encoding;
use scraper::{Html, Node};

use super::text::decode;
use super::{Document, Format};

const HIDDEN: [&str; 7] = [
    "script",
    "style",
    "noscript",
    "template",
    "head",
    "svg",
    // Inline XBRL's hidden facts (a 10-K filing's machine-readable header).
    "ix:header",
];

/// Whether an element and its contents are not shown: a kind never shown, the `hidden`
/// attribute, or an inline style that hides it, as a browser would (a filing's hidden
/// XBRL data sits in `<div style="display:none">`).
fn is_hidden(e: &scraper::node::Element) -> bool {
    if HIDDEN.contains(&e.name()) || e.attr("hidden").is_some() {
        return true;
    }
    e.attr("style").is_some_and(|style| {
        let style: String = style
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        style.contains("display:none") || style.contains("visibility:hidden")
    })
}
const BLOCK: [&str; 20] = [
    "p",
    "div",
    "br",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
    "table",
    "ul",
    "ol",
    "pre",
    "blockquote",
    "header",
    "footer",
];

pub(super) fn extract(bytes: &[u8]) -> Document {
    let source = decode(bytes, declared_charset(bytes));
    let html = Html::parse_document(&source);
    let mut text = String::with_capacity(source.len() / 3);
    let mut title: Option<String> = None;
    let mut h1: Option<String> = None;
    let mut hidden = 0usize;
    let mut in_title = false;
    let mut in_h1 = false;
    let mut heading = String::new();
    for edge in html.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(e) => {
                    let name = e.name();
                    if name == "title" {
                        in_title = true;
                    } else if is_hidden(e) {
                        hidden += 1;
                    } else if name == "h1" && h1.is_none() {
                        in_h1 = true;
                    }
                }
                Node::Text(t) => {
                    if in_title {
                        title.get_or_insert_with(String::new).push_str(t);
                    } else if hidden == 0 {
                        if in_h1 {
                            heading.push_str(t);
                        }
                        text.push_str(t);
                    }
                }
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(e) = node.value() {
                    let name = e.name();
                    if name == "title" {
                        in_title = false;
                    } else if is_hidden(e) {
                        hidden = hidden.saturating_sub(1);
                    } else if name == "h1" && in_h1 {
                        in_h1 = false;
                        h1 = Some(heading.split_whitespace().collect::<Vec<_>>().join(" "));
                    }
                    if BLOCK.contains(&name) || name == "td" || name == "th" {
                        text.push(if BLOCK.contains(&name) { '\n' } else { '\t' });
                    }
                }
            }
        }
    }
    let title = title
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty())
        .or(h1.filter(|h| !h.is_empty()));
    Document::single(Format::Html, title, text)
}

/// The `charset` of a `<meta>` tag near the top of the page, if any.
fn declared_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(4096)];
    let lower: Vec<u8> = head.to_ascii_lowercase();
    let at = lower.windows(8).position(|w| w == b"charset=")? + 8;
    let rest = &lower[at..];
    let rest = rest
        .strip_prefix(b"\"")
        .or(rest.strip_prefix(b"'"))
        .unwrap_or(rest);
    let end = rest
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_'))
        .unwrap_or(rest.len());
    Encoding::for_label(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_text_only_and_title_from_title_tag() {
        let page = b"<html><head><title> Security FAQ </title><style>p{}</style></head>\
            <body><h1>Ignored heading</h1><script>var x = 'secret';</script><p>SOC 2 Type II</p></body></html>";
        let doc = extract(page);
        assert_eq!(doc.title.as_deref(), Some("Security FAQ"));
        let text = &doc.sections[0].text;
        assert!(text.contains("SOC 2 Type II"));
        assert!(
            !text.contains("secret"),
            "script bodies are not visible text"
        );
    }

    #[test]
    fn hidden_elements_are_not_text() {
        let page = b"<html><body><div style=\"display: none\"><ix:header>us-gaap:Revenue 123</ix:header></div>\
            <p hidden>draft</p><span style=\"VISIBILITY:hidden\">ghost</span>\
            <p>Net revenue grew</p></body></html>";
        let text = &extract(page).sections[0].text;
        assert!(text.contains("Net revenue grew"), "{text}");
        for gone in ["us-gaap", "draft", "ghost"] {
            assert!(!text.contains(gone), "{gone} is not shown: {text}");
        }
    }

    #[test]
    fn meta_charset_decodes_cp1252() {
        let page = b"<html><head><meta charset=\"windows-1252\"></head><body><p>Sie sagte \x93ja\x94</p></body></html>";
        let doc = extract(page);
        assert!(
            doc.sections[0]
                .text
                .contains("Sie sagte \u{201c}ja\u{201d}")
        );
    }
}
