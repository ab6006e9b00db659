//! An index run: walk the library, read what is new or changed, and bring the catalog
//! and the search index up to date.
//!
//! Work is ordered so that a kill at any moment is harmless (see `catalog::ingest`):
//! the catalog records content first, the index is committed second, and assets are
//! marked indexed last. A run starts by reconciling the index with the catalog, which
//! removes whatever a killed run left half-done.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tantivy::IndexWriter;
use tantivy::indexer::NoMergePolicy;

use crate::Result;
use crate::catalog::{FileStat, KnownPath};
use crate::datadir::DataDir;
use crate::extract::pool::{self, WorkerCommand};
use crate::extract::{Problem, ProblemKind};
use crate::walk;

/// Commit the search index at least this often (and every `commit_every_docs`).
const COMMIT_EVERY: Duration = Duration::from_secs(10);
/// A run that reads at least this many files merges the index into one segment per
/// core, which queries read faster than the many a large run leaves (BENCHMARKS.md,
/// scale); small runs leave merging to tantivy's policy.
const COMPACT_AFTER: usize = 1000;
/// Catalog writes are batched: each transaction is an fsync. A batch is written at
/// this many files, at this much text, or this long after the last: the index threads
/// start on a long document while the workers read on, instead of all at the end.
const INGEST_BATCH: usize = 64;
const INGEST_TEXT: usize = 1 << 20;
const INGEST_AFTER: Duration = Duration::from_millis(250);

/// `quiver index --json`.
#[derive(Debug, Default, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct IndexReport {
    /// Files read (or recognised as known bytes at a new path) in this run.
    pub indexed: usize,
    pub unchanged: usize,
    /// Files that vanished since the last run.
    pub missing: usize,
    /// Files of this run that could not be (fully) indexed.
    pub failed: Vec<Failure>,
    /// Folders or entries the walk could not read.
    pub warnings: Vec<Failure>,
    pub took_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(export))]
pub struct Failure {
    pub path: String,
    pub kind: String,
    pub reason: String,
}

/// What a run reports while it works.
#[derive(Debug, Clone)]
pub enum Progress<'a> {
    /// The walk is done; `to_read` files will be extracted.
    Planned {
        to_read: usize,
    },
    /// One file was read (or failed).
    Read {
        path: &'a Path,
    },
    Finished,
}

/// The catalog meta key of the limits the recorded problems were found under.
const PROBLEM_LIMITS: &str = "problem_limits";

/// Runs one index run over every library folder.
///
/// # Errors
/// [`crate::UserError::IndexingRunning`] when another process is indexing this data
/// dir; catalog and index errors. Problems with single files are not errors: they are
/// in the report and in `quiver problems`.
pub fn run(
    dd: &mut DataDir,
    worker: &WorkerCommand,
    now: DateTime<Utc>,
    progress: &mut dyn FnMut(Progress),
) -> Result<IndexReport> {
    run_inner(dd, worker, now, progress).map_err(|e| match e {
        // tantivy's writer threads report a failed write as a writer that "was killed
        // or panicked", the I/O error lost; a disk with (next to) nothing free is the
        // cause to name, since freeing space is what mends it.
        crate::Error::Tantivy(_)
            if crate::fsutil::free_bytes(&dd.root).is_some_and(|free| free < LOW_DISK) =>
        {
            crate::UserError::DiskFull("writing the search index".into()).into()
        }
        e => e,
    })
}

/// Free space below which a failed index write is taken for a full disk.
const LOW_DISK: u64 = 4 << 20;

fn run_inner(
    dd: &mut DataDir,
    worker: &WorkerCommand,
    now: DateTime<Utc>,
    progress: &mut dyn FnMut(Progress),
) -> Result<IndexReport> {
    let started = Instant::now();
    let mut writer = dd.index.writer(&dd.index_dir())?;
    // Verified at every run's start: a damaged segment is rebuilt from the catalog
    // now, not found later by a search that panics or silently misses.
    if dd.index.damaged() {
        drop(writer);
        dd.rebuild_index()?;
        writer = dd.index.writer(&dd.index_dir())?;
    }
    dd.index_dirty()?;
    reconcile(dd, &mut writer)?;
    let mut report = IndexReport::default();

    let roots = dd.catalog.roots()?;
    let mut files = Vec::new();
    // What the walk could not reach, as (path, library folder, reason); kept in
    // `quiver problems` until a run reaches it.
    let mut skipped = Vec::new();
    for root in &roots {
        let root_text = root.to_string_lossy().into_owned();
        if !root.is_dir() {
            skipped.push((
                root_text.clone(),
                root_text,
                "library folder not found; its files are marked missing".to_owned(),
            ));
            continue;
        }
        let (found, warnings) = walk::walk(root);
        skipped.extend(
            warnings
                .into_iter()
                .map(|(p, w)| (p.to_string_lossy().into_owned(), root_text.clone(), w)),
        );
        files.extend(found.into_iter().map(|f| FileStat {
            path: f.path.to_string_lossy().into_owned(),
            root: root.to_string_lossy().into_owned(),
            size: f.size as i64,
            mtime_ns: f.mtime_ns,
        }));
    }

    let known = dd.catalog.known_paths()?;
    let known_problems = dd.catalog.known_problems()?;
    // A problem is kept (the file not read again) only while its cause can't have
    // changed: a content problem until the file or the limits change; a transient one
    // (unreadable, timed out, crashed) never, since an unmounted folder comes back and
    // a raised time limit is meant to be used.
    let limits_key = dd.config.limits_key();
    let limits_changed = dd.catalog.meta(PROBLEM_LIMITS)?.as_deref() != Some(limits_key.as_str());
    let seen: HashSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let vanished: HashSet<String> = known
        .iter()
        .filter(|(p, k)| k.present && !seen.contains(p.as_str()))
        .map(|(p, _)| p.clone())
        .collect();

    // Sort the walk into unchanged files, known bytes at new paths, and new bytes.
    let limits = dd.config.bounds().limits;
    let mut to_read: HashMap<String, Vec<FileStat>> = HashMap::new();
    let unchanged = |f: &FileStat| {
        let same_stat = |size: i64, mtime: i64| size == f.size && mtime == f.mtime_ns;
        known
            .get(&f.path)
            .is_some_and(|k| k.present && same_stat(k.size, k.mtime_ns))
            || known_problems.get(&f.path).is_some_and(|(s, m, kind)| {
                same_stat(*s, *m)
                    && !limits_changed
                    && ProblemKind::parse(kind).is_some_and(|k| !k.is_transient())
            })
    };
    let too_large = |f: &FileStat| f.size as u64 > limits.max_file_bytes;
    let mut hashes = hash_files(&files, |f| !unchanged(f) && !too_large(f)).into_iter();
    // After hashing, which reads every new file: the transaction holds the catalog's
    // write lock, and other processes' writes wait for it.
    let ingest = dd.catalog.begin()?;
    for f in &files {
        let hash = hashes.next().flatten();
        let prior = known.get(&f.path);
        if unchanged(f) {
            report.unchanged += 1;
            continue;
        }
        if too_large(f) {
            let problem = Problem::new(
                ProblemKind::TooLarge,
                format!(
                    "file is {} MiB, over the {} MiB limit (max_file_bytes in config.toml)",
                    f.size >> 20,
                    limits.max_file_bytes >> 20
                ),
            );
            fail(&ingest, &mut report, f, &problem, now)?;
            continue;
        }
        let hash = match hash.unwrap_or_else(|| hash_file(Path::new(&f.path))) {
            Ok(h) => h,
            Err(e) => {
                let problem = Problem::new(
                    ProblemKind::Unreadable,
                    format!("cannot read the file: {e}"),
                );
                fail(&ingest, &mut report, f, &problem, now)?;
                continue;
            }
        };
        if prior.is_some_and(|k| k.present && k.hash == hash) {
            ingest.touch(f, now)?;
            report.unchanged += 1;
        } else if ingest
            .link_known_bytes(f, &hash, prior, &vanished, now)?
            .is_some()
        {
            report.indexed += 1;
        } else {
            to_read.entry(hash).or_default().push(f.clone());
        }
    }
    for path in &vanished {
        ingest.mark_missing(path, now)?;
        ingest.clear_problem(path)?;
        report.missing += 1;
    }
    ingest.replace_skipped(&skipped, now)?;
    ingest.commit()?;
    report
        .warnings
        .extend(skipped.into_iter().map(|(path, _, reason)| Failure {
            path,
            kind: ProblemKind::Skipped.as_str().into(),
            reason,
        }));

    // Read new content on all cores; record it in batches as it arrives.
    progress(Progress::Planned {
        to_read: to_read.len(),
    });
    let mut jobs: Vec<((String, Vec<FileStat>), PathBuf)> = to_read
        .into_iter()
        .map(|(hash, stats)| {
            let path = PathBuf::from(&stats[0].path);
            ((hash, stats), path)
        })
        .collect();
    // Largest first: a 600-page PDF started last would leave the other cores idle while
    // it finishes (longest-processing-time-first scheduling).
    jobs.sort_by_key(|((_, stats), _)| std::cmp::Reverse(stats[0].size));
    // A large run is merged once at the end (below) into segments of equal size, which
    // only works from the many small segments its commits leave; merges on the way
    // would leave one segment too big to balance, and do the work twice.
    let large = jobs.len() >= COMPACT_AFTER;
    if large {
        writer.set_merge_policy(Box::new(NoMergePolicy));
    }
    let results = pool::extract_all(worker, dd.config.bounds(), dd.config.worker_count(), jobs);
    let mut batch = Vec::with_capacity(INGEST_BATCH);
    let mut pending = Pending::default();
    let mut last_flush = Instant::now();
    let mut batch_text = 0;
    for outcome in results {
        progress(Progress::Read {
            path: &outcome.path,
        });
        if let Ok(doc) = &outcome.result {
            batch_text += doc.sections.iter().map(|s| s.text.len()).sum::<usize>();
        }
        batch.push(outcome);
        if batch.len() >= INGEST_BATCH
            || batch_text >= INGEST_TEXT
            || last_flush.elapsed() > INGEST_AFTER
        {
            batch_text = 0;
            ingest_batch(
                dd,
                &mut batch,
                &known,
                &vanished,
                &mut report,
                &mut pending,
                now,
            )?;
            write_docs(dd, &mut writer, &mut pending, false)?;
            last_flush = Instant::now();
        }
    }
    ingest_batch(
        dd,
        &mut batch,
        &known,
        &vanished,
        &mut report,
        &mut pending,
        now,
    )?;

    // Everything else out of date: moved and edited assets, missing ones, and work a
    // killed run left behind.
    for (id, _) in dd.catalog.assets_to_index()? {
        pending.add(id);
    }
    // All text this run read is recorded: the WAL holds megabytes of it, which the
    // checkpoint when the catalog closes would copy after everything else.
    let checkpoint = (report.indexed > 0).then(|| dd.catalog.checkpoint_meanwhile());
    write_docs(dd, &mut writer, &mut pending, true)?;
    if let Some(checkpoint) = checkpoint {
        let _ = checkpoint.join();
    }
    if large || report.indexed >= COMPACT_AFTER {
        // Merges the writer started on its own must end before all segments can merge,
        // which gives up the writer's lock for a moment. Another process that takes it
        // then is indexing too, and this run's work is committed: merging can wait,
        // though searches read the unmerged segments, more slowly, until a later large
        // run merges them.
        writer.wait_merging_threads()?;
        match dd.index.writer(&dd.index_dir()) {
            Ok(mut writer) => {
                dd.index.compact(&mut writer)?;
                writer.wait_merging_threads()?;
            }
            Err(crate::Error::User(crate::UserError::IndexingRunning(_))) => {}
            Err(e) => return Err(e),
        }
    }
    dd.catalog.set_meta(PROBLEM_LIMITS, &limits_key)?;
    dd.index_clean();
    progress(Progress::Finished);
    report.took_ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(report)
}

/// Brings the search index up to date with the catalog without reading any file:
/// after `quiver asset set`, for instance.
///
/// # Errors
/// [`crate::UserError::IndexingRunning`] when an index run holds the writer (it will
/// pick the changes up itself).
pub fn refresh(dd: &mut DataDir) -> Result<usize> {
    let mut writer = dd.index.writer(&dd.index_dir())?;
    let mut pending = Pending::default();
    for (id, _) in dd.catalog.assets_to_index()? {
        pending.add(id);
    }
    let n = pending.ids.len();
    write_docs(dd, &mut writer, &mut pending, true)?;
    Ok(n)
}

/// Assets written to the index writer but not yet committed.
#[derive(Default)]
struct Pending {
    ids: Vec<String>,
    queued: HashSet<String>,
    written: usize,
    since: Option<Instant>,
}

impl Pending {
    fn add(&mut self, id: String) {
        if self.queued.insert(id.clone()) {
            self.ids.push(id);
        }
    }
}

fn ingest_batch(
    dd: &mut DataDir,
    batch: &mut Vec<pool::Outcome<(String, Vec<FileStat>)>>,
    known: &HashMap<String, KnownPath>,
    vanished: &HashSet<String>,
    report: &mut IndexReport,
    pending: &mut Pending,
    now: DateTime<Utc>,
) -> Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let ingest = dd.catalog.begin()?;
    for outcome in batch.drain(..) {
        let (hash, stats) = outcome.tag;
        let doc = match outcome.result {
            Ok(doc) => doc,
            Err(problem) => {
                for f in &stats {
                    fail(&ingest, report, f, &problem, now)?;
                }
                continue;
            }
        };
        for f in &stats {
            let prior = known.get(&f.path);
            // Identical new bytes at several paths: read once, the others link to it.
            let asset = match ingest.link_known_bytes(f, &hash, prior, vanished, now)? {
                Some(id) => id,
                None => {
                    let fallback = Path::new(&f.path)
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    ingest.record_extracted(f, &hash, prior, &doc, &fallback, now)?
                }
            };
            report.indexed += 1;
            if !doc.has_text() {
                let problem = Problem::new(
                    ProblemKind::NoText,
                    if doc.format == Some(crate::extract::Format::Pdf) {
                        "no text layer (image-only PDF: it needs OCR); findable by its title only"
                    } else {
                        "no text in the file; findable by its title only"
                    },
                );
                fail(&ingest, report, f, &problem, now)?;
            }
            pending.add(asset);
        }
    }
    ingest.commit()
}

fn fail(
    ingest: &crate::catalog::Ingest,
    report: &mut IndexReport,
    f: &FileStat,
    problem: &Problem,
    now: DateTime<Utc>,
) -> Result<()> {
    ingest.record_problem(f, problem, now)?;
    report.failed.push(Failure {
        path: f.path.clone(),
        kind: problem.kind.as_str().to_owned(),
        reason: problem.message.clone(),
    });
    Ok(())
}

/// Writes pending assets' documents; commits when enough has built up (or `finish`),
/// and only then records them as indexed in the catalog.
fn write_docs(
    dd: &mut DataDir,
    writer: &mut IndexWriter,
    pending: &mut Pending,
    finish: bool,
) -> Result<()> {
    let ids: Vec<String> = pending.ids[pending.written..].to_vec();
    for id in &ids {
        writer.delete_term(dd.index.id_term(id));
        if let Some(doc) = dd.catalog.index_doc(id)? {
            writer.add_document(dd.index.document(&doc))?;
        }
    }
    pending.written = pending.ids.len();
    let since = *pending.since.get_or_insert_with(Instant::now);
    let due =
        pending.written >= dd.config.commit_every_docs.max(1) || since.elapsed() >= COMMIT_EVERY;
    if pending.written > 0 && (finish || due) {
        writer.commit()?;
        // This process sees its own commit at once (others reload on their own).
        dd.index.reader.reload()?;
        dd.catalog.mark_indexed(&pending.ids)?;
        *pending = Pending::default();
    }
    Ok(())
}

/// Makes the committed index agree with the catalog: drops documents of assets the
/// catalog does not count as indexed (a run killed between commit and mark) and
/// duplicates, and forgets assets the index lost.
fn reconcile(dd: &mut DataDir, writer: &mut IndexWriter) -> Result<()> {
    let in_index = dd.index.asset_ids()?;
    let believed = dd.catalog.indexed_assets()?;
    let mut deleted = false;
    let mut forget = Vec::new();
    for (id, count) in &in_index {
        if !believed.contains(id) || *count > 1 {
            writer.delete_term(dd.index.id_term(id));
            deleted = true;
            if *count > 1 {
                forget.push(id.clone());
            }
        }
    }
    forget.extend(believed.into_iter().filter(|id| !in_index.contains_key(id)));
    if deleted {
        writer.commit()?;
    }
    dd.catalog.forget_indexed(&forget)?;
    Ok(())
}

/// The content hash of each file `wanted` picks (in `files`' order; `None` for the
/// others), read on all cores: hashing is the one pass over every new file before the
/// workers can start.
fn hash_files(
    files: &[FileStat],
    wanted: impl Fn(&FileStat) -> bool + Sync,
) -> Vec<Option<std::io::Result<String>>> {
    let mut out: Vec<Option<std::io::Result<String>>> = files.iter().map(|_| None).collect();
    if !files.iter().any(&wanted) {
        return out;
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let found: Vec<Vec<(usize, std::io::Result<String>)>> = std::thread::scope(|scope| {
        let work = || {
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(f) = files.get(i) else { break };
                if wanted(f) {
                    done.push((i, hash_file(Path::new(&f.path))));
                }
            }
            done
        };
        let handles: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    for (i, hash) in found.into_iter().flatten() {
        out[i] = Some(hash);
    }
    out
}

fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(std::fs::File::open(path)?)?;
    Ok(hasher.finalize().to_hex().to_string())
}
