//! Extraction in worker processes. A PDF that makes PDFium spin, a zip bomb that gets
//! past the budget, a segfault in native code: each kills one worker, which is replaced,
//! and the file is reported; the index run goes on. Time is bounded here (the parent
//! kills a worker that overruns), memory in the worker (`RLIMIT_AS`).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{Document, Format, Limits, PAGES_PER_REQUEST, Problem, ProblemKind, extract_file};

/// The argument that turns a Quiver binary into an extraction worker.
pub const WORKER_ARG: &str = "__extract-worker";

/// How to start a worker: a binary that calls [`serve_stdio`] when given [`WORKER_ARG`].
#[derive(Debug, Clone)]
pub struct WorkerCommand {
    pub program: PathBuf,
    pub args: Vec<String>,
}

impl WorkerCommand {
    /// This very executable, which must dispatch [`WORKER_ARG`] to [`serve_stdio`].
    pub fn current_exe() -> std::io::Result<Self> {
        Ok(WorkerCommand {
            program: std::env::current_exe()?,
            args: vec![WORKER_ARG.to_owned()],
        })
    }
}

/// Bounds on one file's extraction.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub limits: Limits,
    pub timeout: Duration,
    pub max_memory_bytes: u64,
}

#[derive(Serialize, Deserialize)]
struct Request {
    path: PathBuf,
    limits: Limits,
    /// The pages of a PDF to read; none for a file's first request.
    pages: Option<Range<u32>>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Response {
    Ok(Document),
    Err(Problem),
    /// The first [`PAGES_PER_REQUEST`] pages of a longer PDF; `page_count` says how many
    /// there are, and the pool asks for the rest.
    Part(Document),
}

/// One file's result.
pub struct Outcome<T> {
    pub tag: T,
    pub path: PathBuf,
    pub result: Result<Document, Problem>,
}

enum Job<T> {
    File(T, PathBuf),
    Pages(Arc<Mutex<Split<T>>>, Range<u32>),
}

/// A long PDF whose pages are being read by several requests.
struct Split<T> {
    tag: Option<T>,
    path: PathBuf,
    /// The first part (with the metadata); the other parts' pages are added to it.
    doc: Document,
    problem: Option<Problem>,
    pending: usize,
    /// The file's time limit, which its parts share.
    deadline: Instant,
}

struct Queue<T> {
    jobs: VecDeque<Job<T>>,
    /// Jobs being worked on: a file's first request may add jobs, so a driver that finds
    /// the queue empty waits for these before it stops.
    active: usize,
}

/// Extracts every `(tag, path)` on `workers` processes; results arrive on the returned
/// channel in completion order, and the channel closes when all are done.
pub fn extract_all<T: Send + 'static>(
    command: &WorkerCommand,
    bounds: Bounds,
    workers: usize,
    jobs: Vec<(T, PathBuf)>,
) -> Receiver<Outcome<T>> {
    let (tx, rx) = mpsc::channel();
    let queue = Arc::new((
        Mutex::new(Queue {
            jobs: jobs.into_iter().map(|(t, p)| Job::File(t, p)).collect(),
            active: 0,
        }),
        Condvar::new(),
    ));
    for _ in 0..workers.max(1) {
        let queue = Arc::clone(&queue);
        let tx = tx.clone();
        let command = command.clone();
        thread::spawn(move || drive(&command, bounds, workers, &queue, &tx));
    }
    rx
}

fn drive<T>(
    command: &WorkerCommand,
    bounds: Bounds,
    workers: usize,
    queue: &(Mutex<Queue<T>>, Condvar),
    tx: &Sender<Outcome<T>>,
) {
    let (lock, more) = queue;
    let mut worker: Option<Worker> = None;
    while let Some(job) = next_job(lock, more) {
        let done = Done { lock, more };
        let outcome = match job {
            Job::File(tag, path) => {
                let deadline = Instant::now() + bounds.timeout;
                match run_one(command, bounds, &mut worker, &path, None, deadline) {
                    Ok(Response::Part(doc)) => split(lock, tag, path, doc, deadline, workers),
                    Ok(Response::Ok(doc)) => Some(Outcome {
                        tag,
                        path,
                        result: Ok(doc),
                    }),
                    Ok(Response::Err(p)) | Err(p) => Some(Outcome {
                        tag,
                        path,
                        result: Err(p),
                    }),
                }
            }
            Job::Pages(split, pages) => {
                let (path, failed, deadline) = {
                    let s = locked(&split);
                    (s.path.clone(), s.problem.is_some(), s.deadline)
                };
                // Once a part has failed, so has the file, and the time limit is the
                // file's: the rest of its parts are not read.
                let result = if failed {
                    Ok(Response::Ok(Document::default()))
                } else if Instant::now() >= deadline {
                    Err(timed_out(bounds))
                } else {
                    run_one(command, bounds, &mut worker, &path, Some(pages), deadline)
                };
                join_part(&split, result)
            }
        };
        drop(done);
        if let Some(outcome) = outcome
            && tx.send(outcome).is_err()
        {
            break;
        }
    }
    if let Some(w) = worker {
        w.stop();
    }
}

/// The most pages one part of a long PDF holds.
const MAX_PART_PAGES: u32 = 256;

/// The rest of a long PDF in equal parts: enough for every worker to share it, but no
/// more than that needs (at least [`PAGES_PER_REQUEST`] pages each) or than
/// [`MAX_PART_PAGES`] allows. Each part opens the file again and parses its fonts
/// again: in 64-page parts, the 619-page PDF took 9 % more CPU than in one.
fn parts(rest: Range<u32>, workers: usize) -> Vec<Range<u32>> {
    let pages = rest.end.saturating_sub(rest.start);
    if pages == 0 {
        return Vec::new();
    }
    let workers = u32::try_from(workers.max(1)).unwrap_or(u32::MAX);
    let n = pages
        .div_ceil(MAX_PART_PAGES)
        .max(workers.min((pages / PAGES_PER_REQUEST).max(1)));
    let size = pages.div_ceil(n);
    (rest.start..rest.end)
        .step_by(size as usize)
        .map(|start| start..(start + size).min(rest.end))
        .collect()
}

/// Ends a job when dropped, a panic included, so that drivers waiting for the jobs it
/// might have added wake up (and stop when there are none).
struct Done<'a, T> {
    lock: &'a Mutex<Queue<T>>,
    more: &'a Condvar,
}

impl<T> Drop for Done<'_, T> {
    fn drop(&mut self) {
        locked(self.lock).active -= 1;
        self.more.notify_all();
    }
}

/// A driver that panics poisons the locks it held; the queue and the parts stay
/// consistent (each change is one statement), so the others go on.
fn locked<X>(m: &Mutex<X>) -> MutexGuard<'_, X> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The next job, waiting while the queue is empty but a running job may add more; none
/// when all are done.
fn next_job<T>(lock: &Mutex<Queue<T>>, more: &Condvar) -> Option<Job<T>> {
    let mut q = locked(lock);
    loop {
        if let Some(job) = q.jobs.pop_front() {
            q.active += 1;
            return Some(job);
        }
        if q.active == 0 {
            return None;
        }
        q = more.wait(q).unwrap_or_else(PoisonError::into_inner);
    }
}

/// Queues the rest of a long PDF's pages ahead of other files, so that the workers
/// finish it before they start on more. A first part that is the whole file is its
/// outcome.
fn split<T>(
    lock: &Mutex<Queue<T>>,
    tag: T,
    path: PathBuf,
    doc: Document,
    deadline: Instant,
    workers: usize,
) -> Option<Outcome<T>> {
    let parts = parts(PAGES_PER_REQUEST..doc.page_count.unwrap_or(0), workers);
    if parts.is_empty() {
        return Some(Outcome {
            tag,
            path,
            result: Ok(doc),
        });
    }
    let state = Arc::new(Mutex::new(Split {
        tag: Some(tag),
        path,
        doc,
        problem: None,
        pending: parts.len(),
        deadline,
    }));
    let mut q = locked(lock);
    for pages in parts.into_iter().rev() {
        q.jobs.push_front(Job::Pages(Arc::clone(&state), pages));
    }
    None
}

/// Adds one part's pages to its file; the last part yields the file's outcome. The
/// first failing part's problem is the file's.
fn join_part<T>(split: &Mutex<Split<T>>, result: Result<Response, Problem>) -> Option<Outcome<T>> {
    let mut s = locked(split);
    match result {
        Ok(Response::Ok(part) | Response::Part(part)) => s.doc.sections.extend(part.sections),
        Ok(Response::Err(p)) | Err(p) => {
            s.problem.get_or_insert(p);
        }
    }
    s.pending -= 1;
    if s.pending > 0 {
        return None;
    }
    let tag = s.tag.take()?;
    let result = match s.problem.take() {
        Some(p) => Err(p),
        None => {
            let mut doc = std::mem::take(&mut s.doc);
            doc.sections.sort_by_key(|sec| sec.number);
            Ok(doc)
        }
    };
    Some(Outcome {
        tag,
        path: s.path.clone(),
        result,
    })
}

fn run_one(
    command: &WorkerCommand,
    bounds: Bounds,
    slot: &mut Option<Worker>,
    path: &Path,
    pages: Option<Range<u32>>,
    deadline: Instant,
) -> Result<Response, Problem> {
    if slot.is_none() {
        *slot = Some(
            Worker::spawn(command, bounds.max_memory_bytes, bounds.timeout).map_err(|e| {
                Problem::new(
                    ProblemKind::Crashed,
                    format!("cannot start an extraction worker: {e}"),
                )
            })?,
        );
    }
    let worker = slot.as_mut().expect("just filled");
    let request = Request {
        path: path.to_owned(),
        limits: bounds.limits,
        pages,
    };
    let line = serde_json::to_string(&request).expect("request serialises");
    if writeln!(worker.stdin, "{line}")
        .and_then(|()| worker.stdin.flush())
        .is_err()
    {
        let status = slot.take().map(Worker::kill).unwrap_or_default();
        return Err(crashed(&status));
    }
    match worker
        .responses
        .recv_timeout(deadline.saturating_duration_since(Instant::now()))
    {
        Ok(line) => match serde_json::from_str::<Response>(&line) {
            Ok(response) => Ok(response),
            Err(e) => {
                slot.take().map(Worker::kill);
                Err(Problem::new(
                    ProblemKind::Crashed,
                    format!("garbled worker reply: {e}"),
                ))
            }
        },
        Err(RecvTimeoutError::Timeout) => {
            slot.take().map(Worker::kill);
            Err(timed_out(bounds))
        }
        Err(RecvTimeoutError::Disconnected) => {
            let status = slot.take().map(Worker::kill).unwrap_or_default();
            Err(crashed(&status))
        }
    }
}

fn timed_out(bounds: Bounds) -> Problem {
    Problem::new(
        ProblemKind::TimedOut,
        format!(
            "extraction took longer than {} s (timeout_secs in config.toml)",
            bounds.timeout.as_secs()
        ),
    )
}

fn crashed(status: &str) -> Problem {
    Problem::new(
        ProblemKind::Crashed,
        format!(
            "the extractor died on this file ({status}); it may need more memory than max_memory_mb allows, or be malformed"
        ),
    )
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
    responses: Receiver<String>,
}

impl Worker {
    fn spawn(
        command: &WorkerCommand,
        max_memory_bytes: u64,
        timeout: Duration,
    ) -> std::io::Result<Worker> {
        use std::os::unix::process::CommandExt;
        let parent = std::process::id();
        let mut cmd = Command::new(&command.program);
        cmd.args(&command.args)
            .arg(MAX_MEMORY_ARG)
            .arg(max_memory_bytes.to_string())
            .arg(CPU_SECS_ARG)
            .arg(timeout.as_secs().max(1).to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        // A worker dies with the index run that started it: after a kill -9 of the run,
        // one parsing a deeply nested HTML file kept a core busy for over 40 s.
        // SAFETY: between fork and exec only async-signal-safe calls (prctl, getppid,
        // _exit), on no shared state.
        unsafe {
            cmd.pre_exec(move || {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
                // The parent may have died before the line above: then no signal comes.
                if libc::getppid() as u32 != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
        let mut child = cmd.spawn()?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = child.stdout.take().expect("piped");
        let (tx, responses) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Worker {
            child,
            stdin,
            responses,
        })
    }

    /// Kills the worker and says how it ended.
    fn kill(mut self) -> String {
        let _ = self.child.kill();
        match self.child.wait() {
            Ok(status) => describe(status),
            Err(e) => e.to_string(),
        }
    }

    fn stop(mut self) {
        drop(self.stdin);
        let _ = self.child.wait();
    }
}

fn describe(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (_, Some(9)) => "killed".to_owned(),
        (_, Some(6)) => "aborted, typically out of memory".to_owned(),
        (_, Some(11)) => "segmentation fault".to_owned(),
        (_, Some(s)) => format!("signal {s}"),
        (Some(c), _) => format!("exit code {c}"),
        _ => "unknown".to_owned(),
    }
}

/// The worker's side: reads requests from stdin, answers one JSON line each, until
/// stdin closes. Call it from `main` when the first argument is [`WORKER_ARG`], with
/// the arguments after it (the limits the pool passes: `--max-memory BYTES`,
/// `--cpu-secs SECS`).
pub fn serve_stdio(args: &[String]) -> std::io::Result<()> {
    let value = |name: &str| -> Option<u64> {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
    };
    if let Some(bytes) = value(MAX_MEMORY_ARG) {
        limit_memory(bytes);
    }
    let cpu_secs = value(CPU_SECS_ARG);
    // A panic inside a parser is reported as this file's problem, not printed.
    std::panic::set_hook(Box::new(|_| {}));
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line?;
        let response = match serde_json::from_str::<Request>(&line) {
            Ok(req) => {
                if let Some(secs) = cpu_secs {
                    limit_cpu(secs);
                }
                let pages = req.pages.clone().unwrap_or(0..PAGES_PER_REQUEST);
                let result = std::panic::catch_unwind(|| {
                    extract_file(&req.path, &req.limits, pages.clone())
                });
                match result {
                    Ok(Ok(doc))
                        if req.pages.is_none()
                            && doc.format == Some(Format::Pdf)
                            && doc.page_count.is_some_and(|n| n > pages.end) =>
                    {
                        Response::Part(doc)
                    }
                    Ok(Ok(doc)) => Response::Ok(doc),
                    Ok(Err(p)) => Response::Err(p),
                    Err(panic) => Response::Err(Problem::new(
                        ProblemKind::Corrupt,
                        format!("the parser gave up on this file: {}", panic_message(&panic)),
                    )),
                }
            }
            Err(e) => Response::Err(Problem::new(
                ProblemKind::Crashed,
                format!("bad request: {e}"),
            )),
        };
        serde_json::to_writer(&mut stdout, &response)?;
        stdout.write_all(b"\n")?;
        stdout.flush()?;
    }
    Ok(())
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "internal error".to_owned())
}

/// The memory limit a worker sets on itself (`RLIMIT_AS`), in bytes.
const MAX_MEMORY_ARG: &str = "--max-memory";
/// The time limit a worker keeps itself, besides the parent's: `RLIMIT_CPU`.
const CPU_SECS_ARG: &str = "--cpu-secs";

/// Lets this request use `secs` more seconds of CPU (twice that, for the threads a
/// parser may use, plus a margin) before the kernel stops the worker: a backstop for
/// a worker whose parent is gone or stuck. The limit counts the process's whole life,
/// so it is moved on at each request.
fn limit_cpu(secs: u64) {
    // SAFETY: getrusage and setrlimit only write and read the structs we pass.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            return;
        }
        let used = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) as u64 + 1;
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_CPU, &mut limit) != 0 {
            return;
        }
        let soft = used + 2 * secs + 5;
        limit.rlim_cur = if limit.rlim_max == libc::RLIM_INFINITY {
            soft as libc::rlim_t
        } else {
            (soft as libc::rlim_t).min(limit.rlim_max)
        };
        libc::setrlimit(libc::RLIMIT_CPU, &limit);
    }
}

fn limit_memory(bytes: u64) {
    let limit = libc::rlimit {
        rlim_cur: bytes as libc::rlim_t,
        rlim_max: bytes as libc::rlim_t,
    };
    // SAFETY: setrlimit only reads the struct we pass; failure leaves the old limit.
    unsafe {
        libc::setrlimit(libc::RLIMIT_AS, &limit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_pdf_is_shared_by_the_workers_in_few_parts() {
        // 619 pages: 64 first, the rest in three equal parts of at most 256 pages.
        assert_eq!(parts(64..619, 2), vec![64..249, 249..434, 434..619]);
        // Every worker gets a part, but no part is shorter than a first request.
        assert_eq!(parts(64..200, 4), vec![64..132, 132..200]);
        assert_eq!(parts(64..100, 8), vec![64..100]);
        assert_eq!(parts(64..64, 2), Vec::<Range<u32>>::new());
        let many = parts(64..10_000, 2);
        assert_eq!(many.len(), 39);
        assert!(many.iter().all(|p| p.len() <= 256));
        assert_eq!(many.last().map(|p| p.end), Some(10_000));
    }

    fn bounds(timeout_ms: u64) -> Bounds {
        Bounds {
            limits: Limits::default(),
            timeout: Duration::from_millis(timeout_ms),
            max_memory_bytes: 1 << 30,
        }
    }

    fn one(command: WorkerCommand, timeout_ms: u64) -> Result<Document, Problem> {
        let rx = extract_all(
            &command,
            bounds(timeout_ms),
            1,
            vec![((), PathBuf::from("/x.md"))],
        );
        rx.recv().expect("one outcome").result
    }

    #[test]
    fn a_worker_that_hangs_is_killed_at_the_time_limit() {
        // Through sh, which ignores the limits the pool appends as arguments.
        let hang = WorkerCommand {
            program: "sh".into(),
            args: vec!["-c".into(), "sleep 30".into(), "worker".into()],
        };
        let started = std::time::Instant::now();
        let err = one(hang, 300).unwrap_err();
        assert_eq!(err.kind, ProblemKind::TimedOut);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the limit is enforced, not waited out"
        );
    }

    /// A worker that answers a 150-page PDF: its first part (page 1) for the first
    /// request, then runs `second` for the part from page 65 and `third` for the one
    /// from page 129.
    fn long_pdf_worker(second: &str, third: &str) -> WorkerCommand {
        let part = r#"{"part":{"format":"pdf","page_count":300,"sections":[{"kind":"page","number":1,"text":"one"}]}}"#;
        let script = format!(
            r#"while read line; do case "$line" in *'"pages":null'*) echo '{part}';; *'"start":64'*) {second};; *) {third};; esac; done"#
        );
        WorkerCommand {
            program: "sh".into(),
            args: vec!["-c".into(), script],
        }
    }

    fn page(n: u32) -> String {
        format!(
            r#"echo '{{"ok":{{"format":"pdf","page_count":300,"sections":[{{"kind":"page","number":{n},"text":"p"}}]}}}}'"#
        )
    }

    #[test]
    fn a_long_pdf_is_read_in_parts_and_joined_in_page_order() {
        // 300 pages on two workers: 64 first, then 64..182 and 182..300. The third
        // part answers first: the join must still put pages in order.
        let worker = long_pdf_worker(&format!("sleep 0.3; {}", page(65)), &page(183));
        let rx = extract_all(
            &worker,
            bounds(5000),
            2,
            vec![((), PathBuf::from("/x.pdf"))],
        );
        let doc = rx.recv().expect("one outcome").result.expect("joined");
        let pages: Vec<u32> = doc.sections.iter().map(|s| s.number).collect();
        assert_eq!(pages, vec![1, 65, 183]);
        assert_eq!(doc.page_count, Some(300));
        assert!(rx.recv().is_err(), "one outcome per file");
    }

    #[test]
    fn a_failing_part_fails_the_file_and_its_other_parts_are_not_read() {
        let fail = r#"echo '{"err":{"kind":"corrupt","message":"bad page"}}'"#;
        let worker = long_pdf_worker(fail, "sleep 30");
        let started = std::time::Instant::now();
        let rx = extract_all(
            &worker,
            bounds(20_000),
            1,
            vec![((), PathBuf::from("/x.pdf"))],
        );
        let err = rx.recv().expect("one outcome").result.unwrap_err();
        assert_eq!(err.kind, ProblemKind::Corrupt);
        assert_eq!(err.message, "bad page");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the hanging part was skipped"
        );
    }

    #[test]
    fn a_worker_that_dies_is_reported_as_crashed() {
        let die = WorkerCommand {
            program: "true".into(),
            args: vec![],
        };
        assert_eq!(one(die, 5000).unwrap_err().kind, ProblemKind::Crashed);
    }
}
