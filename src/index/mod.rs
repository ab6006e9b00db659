//! The tantivy index: a derived, rebuildable view of the catalog made for search. It
//! stores only asset ids; titles, paths and text for snippets come from the catalog.
//! One document per asset; its body field holds one value per page, slide or sheet, so
//! phrases don't match across page breaks.

pub mod tokenizer;

use std::path::Path;

use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::catalog::IndexDoc;
use crate::{Error, Result, UserError};

/// Bumped whenever the schema or the analyzer changes; a data dir with another value
/// has its index rebuilt from the catalog.
pub const SCHEMA_VERSION: &str = "2";

/// The `expires` value of material that never expires: far in the future, yet exact as
/// an f64 (range aggregations compare in f64; `i64::MAX` is not).
pub const NO_EXPIRY: i64 = 100_000_000;

/// The writer's memory budget: large enough that a 100k-document run makes few
/// segments, small enough for a laptop.
const WRITER_HEAP: usize = 128 << 20;

#[derive(Clone, Copy)]
pub struct Fields {
    pub asset_id: Field,
    pub title: Field,
    pub tags: Field,
    pub body: Field,
    /// Title and body, unstemmed and without positions: for prefix and typo expansion.
    pub words: Field,
    pub format: Field,
    pub folder: Field,
    pub product: Field,
    pub persona: Field,
    pub stage: Field,
    pub industry: Field,
    pub owner: Field,
    /// Tags as whole values (the `tags` field is tokenised for search): for facet counts.
    pub tag: Field,
    /// Expiry as days since the common era, [`NO_EXPIRY`] for none: the freshness
    /// facet and filter compare it with today at query time.
    pub expires: Field,
}

impl Fields {
    pub fn filter(&self, name: &str) -> Option<Field> {
        Some(match name {
            "format" => self.format,
            "product" => self.product,
            "persona" => self.persona,
            "stage" => self.stage,
            "industry" => self.industry,
            "owner" => self.owner,
            "tag" | "tags" => self.tags,
            _ => return None,
        })
    }
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |positions: bool| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(if positions {
                    tokenizer::ANALYZER
                } else {
                    tokenizer::WORDS_ANALYZER
                })
                .set_index_option(if positions {
                    IndexRecordOption::WithFreqsAndPositions
                } else {
                    IndexRecordOption::WithFreqs
                }),
        )
    };
    let fields = Fields {
        asset_id: b.add_text_field("asset_id", STRING | STORED | FAST),
        title: b.add_text_field("title", text(true)),
        tags: b.add_text_field("tags", text(true)),
        body: b.add_text_field("body", text(true)),
        words: b.add_text_field("words", text(false)),
        format: b.add_text_field("format", STRING | FAST),
        folder: b.add_facet_field("folder", FacetOptions::default()),
        product: b.add_text_field("product", STRING | FAST),
        persona: b.add_text_field("persona", STRING | FAST),
        stage: b.add_text_field("stage", STRING | FAST),
        industry: b.add_text_field("industry", STRING | FAST),
        owner: b.add_text_field("owner", STRING | FAST),
        tag: b.add_text_field("tag", STRING | FAST),
        expires: b.add_i64_field("expires", INDEXED | FAST),
    };
    (b.build(), fields)
}

/// An open index with its long-lived reader.
pub struct SearchIndex {
    pub(crate) index: Index,
    pub(crate) reader: IndexReader,
    pub fields: Fields,
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it if needed.
    ///
    /// # Errors
    /// Tantivy errors (a damaged index: the caller may rebuild it).
    pub fn open(dir: &Path) -> Result<SearchIndex> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        let (schema, fields) = schema();
        let directory = tantivy::directory::MmapDirectory::open(dir).map_err(|e| {
            Error::Internal(format!("opening index directory {}: {e}", dir.display()))
        })?;
        let index = Index::open_or_create(directory, schema)?;
        index
            .tokenizers()
            .register(tokenizer::ANALYZER, tokenizer::analyzer());
        index
            .tokenizers()
            .register(tokenizer::WORDS_ANALYZER, tokenizer::words_analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(SearchIndex {
            index,
            reader,
            fields,
        })
    }

    /// Takes the index's single writer.
    ///
    /// # Errors
    /// [`UserError::IndexingRunning`] when another process holds it.
    pub fn writer(&self, dir: &Path) -> Result<IndexWriter> {
        match self.index.writer(WRITER_HEAP) {
            Ok(w) => Ok(w),
            Err(tantivy::TantivyError::LockFailure(..)) => {
                Err(UserError::IndexingRunning(dir.to_owned()).into())
            }
            Err(e) => Err(e.into()),
        }
    }

    pub fn document(&self, doc: &IndexDoc) -> TantivyDocument {
        let f = &self.fields;
        let mut d = TantivyDocument::default();
        d.add_text(f.asset_id, &doc.asset_id);
        d.add_text(f.title, &doc.title);
        d.add_text(f.words, &doc.title);
        for t in &doc.tags {
            d.add_text(f.tags, t);
            d.add_text(f.tag, t.to_lowercase());
        }
        d.add_i64(f.expires, doc.expires_day.unwrap_or(NO_EXPIRY));
        for s in &doc.sections {
            d.add_text(f.body, s);
            d.add_text(f.words, s);
        }
        d.add_text(f.format, &doc.format);
        for folder in &doc.folders {
            d.add_facet(
                f.folder,
                Facet::from_text(folder).unwrap_or_else(|_| Facet::root()),
            );
        }
        for (name, value) in &doc.fields {
            if let Some(field) = f.filter(name) {
                d.add_text(field, value.to_lowercase());
            }
        }
        d
    }

    pub fn id_term(&self, asset_id: &str) -> Term {
        Term::from_field_text(self.fields.asset_id, asset_id)
    }

    /// Merges every segment into one and waits for it. Prefix and typo expansion read
    /// each segment's term dictionary, and phrase matching walks each segment's
    /// postings, so one segment answers faster than the eight a large run leaves.
    pub fn compact(&self, writer: &mut IndexWriter) -> Result<()> {
        let ids = self.index.searchable_segment_ids()?;
        if ids.len() > 1 {
            writer.merge(&ids).wait()?;
            self.reader.reload()?;
        }
        Ok(())
    }

    /// Sees the latest commit now rather than after the reader's reload delay: for a
    /// process that searches right after another one indexed.
    pub fn reload(&self) -> Result<()> {
        Ok(self.reader.reload()?)
    }

    /// Documents in the committed index.
    pub fn num_docs(&self) -> Result<u64> {
        self.reader.reload()?;
        Ok(self.reader.searcher().num_docs())
    }

    /// Every asset id in the committed index, with how many documents it has.
    pub fn asset_ids(&self) -> Result<std::collections::HashMap<String, usize>> {
        self.reader.reload()?;
        let searcher = self.reader.searcher();
        let mut out = std::collections::HashMap::new();
        for segment in searcher.segment_readers() {
            let column = segment
                .fast_fields()
                .str("asset_id")?
                .ok_or_else(|| Error::Internal("asset_id is not a fast field".into()))?;
            let alive = segment.alive_bitset();
            let mut buf = String::new();
            for doc in 0..segment.max_doc() {
                if alive.is_some_and(|a| !a.is_alive(doc)) {
                    continue;
                }
                for ord in column.term_ords(doc) {
                    buf.clear();
                    column
                        .ord_to_str(ord, &mut buf)
                        .map_err(|e| Error::io("reading asset ids", e))?;
                    *out.entry(buf.clone()).or_insert(0) += 1;
                }
            }
        }
        Ok(out)
    }
}
