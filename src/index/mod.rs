//! The tantivy index: a derived, rebuildable view of the catalog made for search. It
//! stores only asset ids; titles, paths and text for snippets come from the catalog.
//! One document per asset; its body field holds one value per page, slide or sheet, so
//! phrases don't match across page breaks.

mod readonly;
pub mod tokenizer;

use std::path::Path;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::index::{SegmentComponent, SegmentId};
use tantivy::query::{EnableScoring, Query};
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions,
};
use tantivy::{
    Directory, HasLen, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument,
    Term,
};

use crate::catalog::IndexDoc;
use crate::{Error, Result, UserError};

/// Bumped whenever the schema or the analyzer changes; a data dir with another value
/// has its index rebuilt from the catalog.
pub const SCHEMA_VERSION: &str = "4";

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
    /// Each document's distinct words, unstemmed: what prefix and typo matching expand
    /// against (see [`tokenizer::vocabulary`]).
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
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer::ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    // Only which documents hold a word: expansions are searched as their stems.
    let words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer::WORDS_ANALYZER)
            .set_index_option(IndexRecordOption::Basic)
            .set_fieldnorms(false),
    );
    let fields = Fields {
        asset_id: b.add_text_field("asset_id", STRING | STORED | FAST),
        title: b.add_text_field("title", text.clone()),
        tags: b.add_text_field("tags", text.clone()),
        body: b.add_text_field("body", text),
        // After title, tags and body: its analyzer emits the words they noted.
        words: b.add_text_field("words", words),
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

/// How many segments a compacted index keeps, and how many threads search them: one
/// per core, up to four.
fn slices() -> usize {
    static SLICES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *SLICES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(4)))
}

type SegmentFruit<C> = <<C as Collector>::Child as SegmentCollector>::Fruit;

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
        let index = if readonly::is_read_only(dir) {
            Index::open(readonly::ReadOnlyDirectory(directory))?
        } else {
            Index::open_or_create(directory, schema)?
        };
        Self::register_analyzers(&index);
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

    /// For the writer only: these note each document's words for the `words` field.
    /// Queries and snippets build `tokenizer::analyzer()` themselves, never these.
    fn register_analyzers(index: &Index) {
        index
            .tokenizers()
            .register(tokenizer::ANALYZER, tokenizer::indexing_analyzer());
        index
            .tokenizers()
            .register(tokenizer::WORDS_ANALYZER, tokenizer::vocabulary());
    }

    /// An empty index in memory: the stand-in while the one on disk cannot be opened,
    /// so that commands that do not search still run.
    pub fn in_ram() -> SearchIndex {
        let (schema, fields) = schema();
        let index = Index::create_in_ram(schema);
        Self::register_analyzers(&index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .expect("an empty index in memory opens");
        SearchIndex {
            index,
            reader,
            fields,
        }
    }

    /// Whether a segment file fails its checksum (a bit flipped, a file truncated):
    /// reads every file of the index, so it is for after an unclean exit, the start of
    /// an index run, `doctor`, and a search that failed or found nothing.
    pub fn damaged(&self) -> bool {
        // Only reads; nothing is left half-changed by a panic.
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.index.validate_checksum()
        })) {
            Ok(Ok(bad)) => !bad.is_empty(),
            _ => true,
        }
    }

    /// Whether an index run (of this or another process) holds the writer of the
    /// index in `dir`: its files are changing, and it is not to be touched.
    pub fn writer_busy(dir: &Path) -> bool {
        tantivy::directory::MmapDirectory::open(dir)
            .map_err(|_| ())
            .and_then(|d| {
                match d.acquire_lock(&tantivy::directory::INDEX_WRITER_LOCK) {
                    // Only a lock held elsewhere means a run; a lock that cannot be
                    // taken at all (a read-only mount) means none can run.
                    Err(tantivy::directory::error::LockError::LockBusy) => Err(()),
                    _ => Ok(()),
                }
            })
            .is_err()
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
        for t in &doc.tags {
            d.add_text(f.tags, t);
        }
        for t in &doc.own_tags {
            d.add_text(f.tag, t.to_lowercase());
        }
        d.add_i64(f.expires, doc.expires_day.unwrap_or(NO_EXPIRY));
        for s in &doc.sections {
            d.add_text(f.body, s);
        }
        d.add_text(f.words, "");
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

    /// Merges the segments into [`slices`] of about equal size on disk and waits for it.
    /// Prefix and typo expansion read each segment's term dictionary, so a large run's
    /// many small segments answer slowly; [`SearchIndex::search`] reads segments in
    /// parallel, so one segment per core answers faster than a single one. Size, not
    /// document count, is what a query's work follows: a run indexes its largest files
    /// first, so early segments hold few, long documents.
    pub fn compact(&self, writer: &mut IndexWriter) -> Result<()> {
        self.compact_into(writer, slices())
    }

    fn compact_into(&self, writer: &mut IndexWriter, slices: usize) -> Result<()> {
        let metas = self.index.searchable_segment_metas()?;
        if metas.len() <= slices {
            return Ok(());
        }
        let directory = self.index.directory();
        let mut sized = Vec::with_capacity(metas.len());
        for meta in metas {
            let mut bytes = 0;
            for part in [SegmentComponent::Postings, SegmentComponent::Positions] {
                bytes += directory
                    .open_read(&meta.relative_path(part))
                    .map_or(0, |f| f.len());
            }
            sized.push((bytes, meta.id()));
        }
        sized.sort_by_key(|(bytes, _)| std::cmp::Reverse(*bytes));
        let mut groups: Vec<(usize, Vec<SegmentId>)> = vec![(0, Vec::new()); slices];
        for (bytes, id) in sized {
            let smallest = groups
                .iter_mut()
                .min_by_key(|(size, _)| *size)
                .expect("at least one slice");
            smallest.0 += bytes;
            smallest.1.push(id);
        }
        let merges: Vec<_> = groups
            .iter()
            .filter(|(_, ids)| ids.len() > 1)
            .map(|(_, ids)| writer.merge(ids))
            .collect();
        for merge in merges {
            merge.wait()?;
        }
        self.reader.reload()?;
        Ok(())
    }

    /// Runs `query` through `collector` over every segment, [`slices`] of them at once:
    /// the calling thread takes the first share, scoped threads the others. tantivy's
    /// own rayon executor was tried: rayon wakes one sleeping thread per job and may
    /// count one woken but not yet running as idle, so about half the time the second
    /// segment waited for the first, and a phrase's p99 at 100k stayed at the
    /// single-thread figure.
    pub fn search<C: Collector>(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        collector: &C,
    ) -> Result<C::Fruit> {
        let scoring = if collector.requires_scoring() {
            EnableScoring::enabled_from_searcher(searcher)
        } else {
            EnableScoring::disabled_from_searcher(searcher)
        };
        let weight = query.weight(scoring)?;
        collector.check_schema(searcher.schema())?;
        let readers = searcher.segment_readers();
        let slices = slices().min(readers.len()).max(1);
        // Segment `i` goes to slice `i % slices`; fruits are put back in segment order.
        let collect = |slice: usize| -> tantivy::Result<Vec<(usize, SegmentFruit<C>)>> {
            (slice..readers.len())
                .step_by(slices)
                .map(|i| {
                    Ok((
                        i,
                        collector.collect_segment(weight.as_ref(), i as u32, &readers[i])?,
                    ))
                })
                .collect()
        };
        let mut fruits = std::thread::scope(|scope| {
            let others: Vec<_> = (1..slices)
                .map(|slice| scope.spawn(move || collect(slice)))
                .collect();
            let mut all = collect(0)?;
            for other in others {
                all.extend(
                    other
                        .join()
                        .unwrap_or_else(|p| std::panic::resume_unwind(p))?,
                );
            }
            tantivy::Result::Ok(all)
        })?;
        fruits.sort_by_key(|(i, _)| *i);
        Ok(collector.merge_fruits(fruits.into_iter().map(|(_, f)| f).collect())?)
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

#[cfg(test)]
mod tests {
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{BooleanQuery, Occur, TermQuery};

    use super::*;

    fn word_query(index: &SearchIndex, word: &str) -> Box<dyn tantivy::query::Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(index.fields.words, word),
            IndexRecordOption::Basic,
        ))
    }

    fn doc(n: usize, words: usize) -> IndexDoc {
        IndexDoc {
            asset_id: format!("a{n}"),
            title: format!("doc {n}"),
            format: "text".into(),
            tags: vec![],
            own_tags: vec![],
            folders: vec!["/lib".into()],
            fields: vec![],
            expires_day: None,
            sections: vec![format!("pricing {}", "renewal terms ".repeat(words))],
        }
    }

    #[test]
    fn compaction_balances_segments_by_size_and_search_sees_them_all() {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open(dir.path()).unwrap();
        let mut writer = index.writer(dir.path()).unwrap();
        writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        // Largest first, as an index run reads them: segment sizes fall steeply.
        let mut n = 0;
        for commit in 0..8 {
            for _ in 0..5 {
                writer
                    .add_document(index.document(&doc(n, 2000 >> commit)))
                    .unwrap();
                n += 1;
            }
            writer.commit().unwrap();
        }
        index.reload().unwrap();
        let query = TermQuery::new(
            Term::from_field_text(index.fields.body, "renew"),
            IndexRecordOption::WithFreqs,
        );
        let collector = (TopDocs::with_limit(7).order_by_score(), Count);
        let searcher = index.reader.searcher();
        let before = searcher.search(&query, &collector).unwrap();
        assert!(searcher.segment_readers().len() >= 8);
        assert_eq!(index.search(&searcher, &query, &collector).unwrap(), before);

        index.compact_into(&mut writer, 2).unwrap();
        writer.wait_merging_threads().unwrap();
        index.reload().unwrap();
        let searcher = index.reader.searcher();
        let metas = index.index.searchable_segment_metas().unwrap();
        assert_eq!(metas.len(), 2);
        let sizes: Vec<usize> = metas
            .iter()
            .map(|m| {
                index
                    .index
                    .directory()
                    .open_read(&m.relative_path(SegmentComponent::Positions))
                    .unwrap()
                    .len()
            })
            .collect();
        let (small, big) = (sizes[0].min(sizes[1]), sizes[0].max(sizes[1]));
        assert!(big < small * 2, "unbalanced slices: {sizes:?}");
        let (top, count) = index.search(&searcher, &query, &collector).unwrap();
        assert_eq!(count, 40);
        let scores =
            |t: &[(f32, tantivy::DocAddress)]| t.iter().map(|(s, _)| *s).collect::<Vec<_>>();
        assert_eq!(scores(&top), scores(&before.0));
    }

    /// The `words` field is filled from what the body analyzer noted for the same
    /// document: a change in how tantivy orders fields or spreads a document over
    /// threads would put one document's words on another.
    #[test]
    fn each_document_holds_its_own_unstemmed_words() {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open(dir.path()).unwrap();
        let mut writer = index.writer(dir.path()).unwrap();
        let texts = [
            ("Pricing Sheet", "Renewals and discounts"),
            ("Battlecard", "Pricing objections, renewals"),
            ("Résumé", "Onboarding checklist"),
        ];
        for round in 0..50 {
            for (i, (title, body)) in texts.iter().enumerate() {
                let mut d = doc(round * 3 + i, 0);
                d.title = (*title).to_owned();
                d.sections = vec![(*body).to_owned()];
                writer.add_document(index.document(&d)).unwrap();
            }
        }
        writer.commit().unwrap();
        index.reload().unwrap();
        let searcher = index.reader.searcher();
        let docs = |word: &str| {
            let query = TermQuery::new(
                Term::from_field_text(index.fields.words, word),
                IndexRecordOption::Basic,
            );
            searcher.search(&query, &Count).unwrap()
        };
        // Unstemmed, lower-cased and folded; from title and body.
        assert_eq!(docs("pricing"), 100);
        assert_eq!(docs("renewals"), 100);
        assert_eq!(docs("discounts"), 50);
        assert_eq!(docs("objections"), 50);
        assert_eq!(docs("resume"), 50);
        assert_eq!(docs("onboarding"), 50);
        assert_eq!(docs("checklist"), 50);
        // Stems are the body's, not the vocabulary's.
        assert_eq!(docs("renew"), 0);
        let pricing_and_checklist = BooleanQuery::new(vec![
            (Occur::Must, word_query(&index, "pricing")),
            (Occur::Must, word_query(&index, "checklist")),
        ]);
        assert_eq!(searcher.search(&pricing_and_checklist, &Count).unwrap(), 0);
    }

    /// A damaged index is rebuilt only when no index run holds it.
    #[test]
    fn a_held_writer_is_seen_from_outside() {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open(dir.path()).unwrap();
        assert!(!SearchIndex::writer_busy(dir.path()));
        let writer = index.writer(dir.path()).unwrap();
        assert!(SearchIndex::writer_busy(dir.path()));
        drop(writer);
        assert!(!SearchIndex::writer_busy(dir.path()));
    }
}
