//! Index runs off the UI's thread: on request, at start (to catch what changed while
//! the app was closed) and when the file watcher sees a library file change.
//!
//! The thread opens its own handle on the data dir, so searches go on during a run; the
//! index's single-writer lock keeps it from clashing with a `quiver index` in a shell.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use chrono::Utc;
use notify::{EventKind, RecursiveMode, Watcher};
use quiver::datadir::DataDir;
use quiver::extract::pool::WorkerCommand;
use quiver::indexer::{self, IndexReport, Progress};
use quiver::{Error, UserError};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};

use crate::Shell;
use crate::commands::ApiError;

/// A file change waits this long for its neighbours (a copy of many files, an editor's
/// save dance) before the run starts.
const SETTLE: Duration = Duration::from_millis(700);
/// Progress events are sent at most this often.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);
/// While `quiver index` holds the index, retry this often, this many times.
const RETRY_EVERY: Duration = Duration::from_secs(2);
const RETRIES: usize = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    Index,
    /// Load the sample library with a demo history (`quiver demo`).
    Demo,
    /// The watcher saw a file change.
    Changed,
}

pub struct Handle {
    tx: mpsc::Sender<Job>,
    busy: Arc<AtomicBool>,
}

impl Handle {
    pub fn request(&self, job: Job) {
        // The thread only ends with the app.
        let _ = self.tx.send(job);
    }

    pub fn busy(&self) -> bool {
        self.busy.load(Ordering::Relaxed)
    }
}

#[derive(Clone, Serialize)]
struct ProgressEvent {
    phase: &'static str,
    done: usize,
    total: usize,
    path: Option<String>,
}

#[derive(Clone, Serialize)]
struct Finished {
    report: Option<IndexReport>,
    demo: Option<quiver::demo::Summary>,
    error: Option<ApiError>,
}

pub fn start(app: AppHandle, root: PathBuf) -> Result<Handle, Box<dyn std::error::Error>> {
    let (tx, rx) = mpsc::channel();
    let changes = tx.clone();
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && !matches!(event.kind, EventKind::Access(_))
        {
            let _ = changes.send(Job::Changed);
        }
    })?;
    let busy = Arc::new(AtomicBool::new(false));
    let dd = DataDir::open(&root, Utc::now())?;
    let worker = WorkerCommand::current_exe()?;
    let thread_busy = busy.clone();
    std::thread::Builder::new()
        .name("quiver-index".into())
        .spawn(move || {
            Worker {
                app,
                dd,
                worker,
                watcher,
                watched: Vec::new(),
                busy: thread_busy,
            }
            .serve(rx)
        })?;
    tx.send(Job::Index)?;
    Ok(Handle { tx, busy })
}

struct Worker {
    app: AppHandle,
    dd: DataDir,
    worker: WorkerCommand,
    watcher: notify::RecommendedWatcher,
    watched: Vec<PathBuf>,
    busy: Arc<AtomicBool>,
}

impl Worker {
    fn serve(mut self, rx: mpsc::Receiver<Job>) {
        self.rewatch();
        while let Ok(first) = rx.recv() {
            let mut jobs = vec![first];
            // Gather what else is asked meanwhile; a change waits for the files to settle.
            loop {
                let wait = if jobs.contains(&Job::Changed) {
                    SETTLE
                } else {
                    Duration::ZERO
                };
                match rx.recv_timeout(wait) {
                    Ok(job) => jobs.push(job),
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
            self.busy.store(true, Ordering::Relaxed);
            let finished = if jobs.contains(&Job::Demo) {
                self.demo()
            } else {
                self.index()
            };
            self.rewatch();
            if let Some(shell) = self.app.try_state::<Arc<Shell>>() {
                let dd = shell.dd.lock().unwrap_or_else(|p| p.into_inner());
                let _ = dd.index.reload();
            }
            self.busy.store(false, Ordering::Relaxed);
            let _ = self.app.emit("index-finished", finished);
        }
    }

    fn index(&mut self) -> Finished {
        for _ in 0..RETRIES {
            let mut last = Instant::now() - PROGRESS_EVERY;
            let (mut done, mut total) = (0, 0);
            let app = self.app.clone();
            let mut progress = |p: Progress| {
                let (phase, path) = match p {
                    Progress::Planned { to_read } => {
                        total = to_read;
                        ("planned", None)
                    }
                    Progress::Read { path } => {
                        done += 1;
                        ("read", Some(path.display().to_string()))
                    }
                    Progress::Finished => ("finished", None),
                };
                if phase != "read" || last.elapsed() >= PROGRESS_EVERY || done == total {
                    last = Instant::now();
                    let _ = app.emit(
                        "index-progress",
                        ProgressEvent {
                            phase,
                            done,
                            total,
                            path,
                        },
                    );
                }
            };
            match indexer::run(&mut self.dd, &self.worker, Utc::now(), &mut progress) {
                Ok(report) => {
                    return Finished {
                        report: Some(report),
                        demo: None,
                        error: None,
                    };
                }
                Err(Error::User(UserError::IndexingRunning(_))) => {
                    std::thread::sleep(RETRY_EVERY);
                }
                Err(e) => {
                    return Finished {
                        report: None,
                        demo: None,
                        error: Some(e.into()),
                    };
                }
            }
        }
        Finished {
            report: None,
            demo: None,
            error: Some(Error::User(UserError::IndexingRunning(self.dd.index_dir())).into()),
        }
    }

    fn demo(&mut self) -> Finished {
        let _ = self.app.emit(
            "index-progress",
            ProgressEvent {
                phase: "demo",
                done: 0,
                total: 0,
                path: None,
            },
        );
        let now = Utc::now();
        match quiver::demo::populate(
            &mut self.dd,
            &self.worker,
            7,
            quiver::demo::Size::Small,
            now,
        ) {
            Ok(summary) => Finished {
                report: None,
                demo: Some(summary),
                error: None,
            },
            Err(e) => Finished {
                report: None,
                demo: None,
                error: Some(e.into()),
            },
        }
    }

    /// Watches exactly the library's folders.
    fn rewatch(&mut self) {
        let roots = self.dd.catalog.roots().unwrap_or_default();
        for gone in self.watched.iter().filter(|p| !roots.contains(p)) {
            let _ = self.watcher.unwatch(gone);
        }
        for new in roots.iter().filter(|p| !self.watched.contains(p)) {
            if let Err(e) = self.watcher.watch(new, RecursiveMode::Recursive) {
                eprintln!("quiver-app: not watching {}: {e}", new.display());
            }
        }
        self.watched = roots;
    }
}
