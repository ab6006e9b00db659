//! DOCX and PPTX: OOXML packages read with `zip` (through [`zipguard`]) and `quick-xml`.
//! Only text and core properties are read; layout is not.

use quick_xml::XmlVersion;
use quick_xml::events::Event;
use quick_xml::reader::Reader;

use super::zipguard::Package;
use super::{Document, Format, Limits, Problem, Section, SectionKind};

/// Word: body, text boxes, tables, headers, footers, footnotes and endnotes. Deleted
/// tracked changes (`w:delText`) are not text of the document and are left out.
pub(super) fn docx(bytes: &[u8], limits: &Limits) -> Result<Document, Problem> {
    let mut pkg = Package::open(bytes, "DOCX", limits)?;
    let body = pkg
        .read("word/document.xml", "DOCX")?
        .ok_or_else(|| Problem::corrupt("DOCX", "word/document.xml is missing"))?;
    let mut text = xml_text(&body, &WORD)?;
    let mut extra: Vec<String> = pkg
        .names()
        .into_iter()
        .filter(|n| {
            n.starts_with("word/")
                && n.ends_with(".xml")
                && ["header", "footer", "footnotes", "endnotes", "comments"]
                    .iter()
                    .any(|p| n["word/".len()..].starts_with(p))
        })
        .collect();
    extra.sort();
    for name in extra {
        if let Some(xml) = pkg.read(&name, "DOCX")? {
            text.push('\n');
            text.push_str(&xml_text(&xml, &WORD)?);
        }
    }
    let mut doc = Document::single(Format::Docx, None, text);
    core_properties(&mut pkg, "DOCX", &mut doc)?;
    if let Some(app) = pkg.read("docProps/app.xml", "DOCX")? {
        doc.page_count = element_text(&app, "Pages").and_then(|p| p.trim().parse().ok());
    }
    Ok(doc)
}

/// PowerPoint: one section per slide, in presentation order, with its speaker notes.
pub(super) fn pptx(bytes: &[u8], limits: &Limits) -> Result<Document, Problem> {
    let mut pkg = Package::open(bytes, "PPTX", limits)?;
    let slides = slide_order(&mut pkg)?;
    let mut sections = Vec::with_capacity(slides.len());
    for (i, slide) in slides.iter().enumerate() {
        let Some(xml) = pkg.read(slide, "PPTX")? else {
            continue;
        };
        let mut text = xml_text(&xml, &DRAWING)?;
        if let Some(notes) = notes_for(&mut pkg, slide)? {
            text.push('\n');
            text.push_str(&notes);
        }
        sections.push(Section {
            kind: SectionKind::Slide,
            number: i as u32 + 1,
            name: None,
            text,
        });
    }
    let mut doc = Document {
        format: Some(Format::Pptx),
        page_count: Some(slides.len() as u32),
        sections,
        ..Document::default()
    };
    core_properties(&mut pkg, "PPTX", &mut doc)?;
    if doc.title.is_none() {
        // The first line of the first slide is its title in nearly every deck.
        doc.title = doc
            .sections
            .first()
            .and_then(|s| s.text.lines().find(|l| !l.trim().is_empty()))
            .map(|l| l.trim().to_owned());
    }
    Ok(doc)
}

/// Slide part names in the order the presentation lists them; falls back to the
/// numeric order of `ppt/slides/slideN.xml` when the relationships are broken.
fn slide_order(pkg: &mut Package) -> Result<Vec<String>, Problem> {
    let ids = pkg
        .read("ppt/presentation.xml", "PPTX")?
        .map(|xml| attribute_values(&xml, "sldId", "id"))
        .unwrap_or_default();
    let rels = pkg
        .read("ppt/_rels/presentation.xml.rels", "PPTX")?
        .map(|xml| relationships(&xml))
        .unwrap_or_default();
    let ordered: Vec<String> = ids
        .iter()
        .filter_map(|id| rels.iter().find(|(rid, _)| rid == id))
        .map(|(_, target)| resolve("ppt/", target))
        .filter(|p| pkg.has(p))
        .collect();
    if !ordered.is_empty() {
        return Ok(ordered);
    }
    let mut numbered: Vec<(u32, String)> = pkg
        .names()
        .into_iter()
        .filter_map(|n| {
            let num = n.strip_prefix("ppt/slides/slide")?.strip_suffix(".xml")?;
            Some((num.parse().ok()?, n))
        })
        .collect();
    numbered.sort();
    Ok(numbered.into_iter().map(|(_, n)| n).collect())
}

fn notes_for(pkg: &mut Package, slide: &str) -> Result<Option<String>, Problem> {
    let (dir, file) = slide.rsplit_once('/').unwrap_or(("", slide));
    let rels_name = format!("{dir}/_rels/{file}.rels");
    let Some(rels) = pkg.read(&rels_name, "PPTX")? else {
        return Ok(None);
    };
    let Some((_, target)) = relationships(&rels)
        .into_iter()
        .find(|(_, t)| t.contains("notesSlide"))
    else {
        return Ok(None);
    };
    let path = resolve(&format!("{dir}/"), &target);
    match pkg.read(&path, "PPTX")? {
        Some(xml) => Ok(Some(xml_text(&xml, &DRAWING)?)),
        None => Ok(None),
    }
}

/// Resolves a relationship target against the folder of its source part.
fn resolve(base_dir: &str, target: &str) -> String {
    if let Some(abs) = target.strip_prefix('/') {
        return abs.to_owned();
    }
    let mut parts: Vec<&str> = base_dir.trim_end_matches('/').split('/').collect();
    for seg in target.split('/') {
        match seg {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            s => parts.push(s),
        }
    }
    parts.join("/")
}

fn core_properties(pkg: &mut Package, format: &str, doc: &mut Document) -> Result<(), Problem> {
    if let Some(core) = pkg.read("docProps/core.xml", format)? {
        let clean = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        doc.title = clean(element_text(&core, "title")).or(doc.title.take());
        doc.author = clean(element_text(&core, "creator"));
        doc.created = clean(element_text(&core, "created"));
        doc.modified = clean(element_text(&core, "modified"));
    }
    Ok(())
}

/// Which elements carry text, which end a line, and which are tabs, for one OOXML
/// vocabulary (matched on local names, so Strict and Transitional OOXML both work).
struct Vocabulary {
    text: &'static [&'static str],
    line_end: &'static [&'static str],
    tab: &'static [&'static str],
}

const WORD: Vocabulary = Vocabulary {
    text: &["t"],
    line_end: &["p", "br", "cr", "tr"],
    tab: &["tab", "tc"],
};

const DRAWING: Vocabulary = Vocabulary {
    text: &["t"],
    line_end: &["p", "br"],
    tab: &["tc"],
};

fn xml_text(xml: &str, vocab: &Vocabulary) -> Result<String, Problem> {
    let mut reader = Reader::from_str(xml);
    let mut out = String::with_capacity(xml.len() / 4);
    let mut in_text = 0usize;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                if vocab.text.contains(&e.local_name().as_ref()) {
                    in_text += 1;
                }
            }
            Ok(Event::End(e)) => {
                let name = e.local_name();
                let name = name.as_ref();
                if vocab.text.contains(&name) {
                    in_text = in_text.saturating_sub(1);
                } else if vocab.line_end.contains(&name) {
                    out.push('\n');
                } else if vocab.tab.contains(&name) {
                    out.push('\t');
                }
            }
            Ok(Event::Empty(e)) => {
                let name = e.local_name();
                let name = name.as_ref();
                if vocab.line_end.contains(&name) {
                    out.push('\n');
                } else if vocab.tab.contains(&name) {
                    out.push('\t');
                }
            }
            Ok(Event::Text(t)) if in_text > 0 => {
                out.push_str(&t.xml_content(XmlVersion::Implicit1_0))
            }
            Ok(Event::CData(t)) if in_text > 0 => out.push_str(&t),
            Ok(Event::GeneralRef(r)) if in_text > 0 => {
                if let Some(c) = resolve_ref(&r) {
                    out.push(c);
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                return Err(Problem::corrupt(
                    "XML part",
                    format!("at byte {}: {e}", reader.error_position()),
                ));
            }
        }
    }
    Ok(out)
}

fn resolve_ref(r: &quick_xml::events::BytesRef) -> Option<char> {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return Some(c);
    }
    match r.as_ref() {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => None,
    }
}

/// The text of the first element with this local name.
fn element_text(xml: &str, local: &str) -> Option<String> {
    let mut reader = Reader::from_str(xml);
    let mut inside = false;
    let mut out = String::new();
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) if e.local_name().as_ref() == local => inside = true,
            Event::End(e) if inside && e.local_name().as_ref() == local => return Some(out),
            Event::Text(t) if inside => out.push_str(&t.xml_content(XmlVersion::Implicit1_0)),
            Event::GeneralRef(r) if inside => out.extend(resolve_ref(&r)),
            Event::Eof => return None,
            _ => {}
        }
    }
}

/// Values of one attribute (by local name) on every element with this local name.
fn attribute_values(xml: &str, element: &str, attr: &str) -> Vec<String> {
    let mut reader = Reader::from_str(xml);
    let mut out = Vec::new();
    while let Ok(ev) = reader.read_event() {
        match ev {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == element => {
                // `r:id` and the plain `id` share a local name; the relationship id is
                // the namespaced one.
                for a in e.attributes().flatten() {
                    if a.key.local_name().as_ref() == attr && a.key.prefix().is_some() {
                        out.push(
                            a.normalized_value(XmlVersion::Implicit1_0)
                                .map(|v| v.into_owned())
                                .unwrap_or_default(),
                        );
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

/// `(Id, Target)` of every relationship in a `.rels` part.
fn relationships(xml: &str) -> Vec<(String, String)> {
    let mut reader = Reader::from_str(xml);
    let mut out = Vec::new();
    while let Ok(ev) = reader.read_event() {
        match ev {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Relationship" => {
                let mut id = None;
                let mut target = None;
                for a in e.attributes().flatten() {
                    let v = a
                        .normalized_value(XmlVersion::Implicit1_0)
                        .map(|v| v.into_owned())
                        .unwrap_or_default();
                    match a.key.local_name().as_ref() {
                        "Id" => id = Some(v),
                        "Target" => target = Some(v),
                        _ => {}
                    }
                }
                if let (Some(i), Some(t)) = (id, target) {
                    out.push((i, t));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_text_keeps_paragraphs_and_drops_deletions() {
        let xml = r#"<w:document xmlns:w="x"><w:body>
            <w:p><w:r><w:t>Hello</w:t></w:r><w:r><w:t xml:space="preserve"> world &amp; co</w:t></w:r></w:p>
            <w:p><w:del><w:r><w:delText>gone</w:delText></w:r></w:del><w:r><w:t>Second</w:t></w:r></w:p>
        </w:body></w:document>"#;
        let text = xml_text(xml, &WORD).unwrap();
        assert!(
            text.contains("Hello world & co\n"),
            "runs join, entities resolve: {text:?}"
        );
        assert!(text.contains("Second"));
        assert!(
            !text.contains("gone"),
            "deleted tracked changes are not document text"
        );
    }

    #[test]
    fn relationship_targets_resolve_against_their_folder() {
        assert_eq!(
            resolve("ppt/slides/", "../notesSlides/notesSlide3.xml"),
            "ppt/notesSlides/notesSlide3.xml"
        );
        assert_eq!(
            resolve("ppt/", "slides/slide1.xml"),
            "ppt/slides/slide1.xml"
        );
        assert_eq!(
            resolve("ppt/", "/ppt/slides/slide2.xml"),
            "ppt/slides/slide2.xml"
        );
    }
}
