//! Extraction in worker processes. A PDF that makes PDFium spin, a zip bomb that gets
//! past the budget, a segfault in native code: each kills one worker, which is replaced,
//! and the file is reported; the index run goes on. Time is bounded here (the parent
//! kills a worker that overruns), memory in the worker (`RLIMIT_AS`).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Document, Limits, Problem, ProblemKind, extract_file};

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
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Response {
    Ok(Document),
    Err(Problem),
}

/// One file's result.
pub struct Outcome<T> {
    pub tag: T,
    pub path: PathBuf,
    pub result: Result<Document, Problem>,
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
    let queue = Arc::new(Mutex::new(VecDeque::from(jobs)));
    for _ in 0..workers.max(1) {
        let queue = Arc::clone(&queue);
        let tx = tx.clone();
        let command = command.clone();
        thread::spawn(move || drive(&command, bounds, &queue, &tx));
    }
    rx
}

fn drive<T>(
    command: &WorkerCommand,
    bounds: Bounds,
    queue: &Mutex<VecDeque<(T, PathBuf)>>,
    tx: &Sender<Outcome<T>>,
) {
    let mut worker: Option<Worker> = None;
    loop {
        let Some((tag, path)) = queue.lock().map(|mut q| q.pop_front()).ok().flatten() else {
            break;
        };
        let result = run_one(command, bounds, &mut worker, &path);
        if tx.send(Outcome { tag, path, result }).is_err() {
            break;
        }
    }
    if let Some(w) = worker {
        w.stop();
    }
}

fn run_one(
    command: &WorkerCommand,
    bounds: Bounds,
    slot: &mut Option<Worker>,
    path: &Path,
) -> Result<Document, Problem> {
    if slot.is_none() {
        *slot = Some(
            Worker::spawn(command, bounds.max_memory_bytes).map_err(|e| {
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
    };
    let line = serde_json::to_string(&request).expect("request serialises");
    if writeln!(worker.stdin, "{line}")
        .and_then(|()| worker.stdin.flush())
        .is_err()
    {
        let status = slot.take().map(Worker::kill).unwrap_or_default();
        return Err(crashed(&status));
    }
    match worker.responses.recv_timeout(bounds.timeout) {
        Ok(line) => match serde_json::from_str::<Response>(&line) {
            Ok(Response::Ok(doc)) => Ok(doc),
            Ok(Response::Err(p)) => Err(p),
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
            Err(Problem::new(
                ProblemKind::TimedOut,
                format!(
                    "extraction took longer than {} s (timeout_secs in config.toml)",
                    bounds.timeout.as_secs()
                ),
            ))
        }
        Err(RecvTimeoutError::Disconnected) => {
            let status = slot.take().map(Worker::kill).unwrap_or_default();
            Err(crashed(&status))
        }
    }
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
    fn spawn(command: &WorkerCommand, max_memory_bytes: u64) -> std::io::Result<Worker> {
        let mut child = Command::new(&command.program)
            .args(&command.args)
            .env("QUIVER_WORKER_MAX_MEMORY", max_memory_bytes.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
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
/// stdin closes. Call it from `main` when the first argument is [`WORKER_ARG`].
pub fn serve_stdio() -> std::io::Result<()> {
    if let Some(bytes) = std::env::var("QUIVER_WORKER_MAX_MEMORY")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        limit_memory(bytes);
    }
    // A panic inside a parser is reported as this file's problem, not printed.
    std::panic::set_hook(Box::new(|_| {}));
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line?;
        let response = match serde_json::from_str::<Request>(&line) {
            Ok(req) => {
                let result = std::panic::catch_unwind(|| extract_file(&req.path, &req.limits));
                match result {
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
        let hang = WorkerCommand {
            program: "sleep".into(),
            args: vec!["30".into()],
        };
        let started = std::time::Instant::now();
        let err = one(hang, 300).unwrap_err();
        assert_eq!(err.kind, ProblemKind::TimedOut);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the limit is enforced, not waited out"
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
