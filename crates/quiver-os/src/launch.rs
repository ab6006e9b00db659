//! Launching a viewer for a file a rep opens, at the page or slide that matched where
//! the viewer has a way, and knowing whether it started: a viewer that cannot start,
//! or exits at once with an error, is an error the rep sees, and the open is not
//! counted. Every child is reaped.

use std::fmt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::handler;

/// How long a launch is watched for an early failure (a bad argument, a missing file).
/// A viewer still running then has started; a launcher (`xdg-open`) that exits 0 then
/// has handed the file on.
const WATCH: Duration = Duration::from_millis(1500);

/// A viewer that could not be started, or that failed at once.
#[derive(Debug)]
pub struct LaunchError {
    pub path: String,
    pub reason: String,
}

impl fmt::Display for LaunchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not open {}: {}", self.path, self.reason)
    }
}

impl std::error::Error for LaunchError {}

/// What a launch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launched {
    /// The program started.
    pub program: String,
    /// Whether it was asked to show the page or slide asked for.
    pub at_page: bool,
    /// Said to the rep when a page was asked for and the viewer has no way to go there.
    pub note: Option<String>,
}

/// Starts a viewer for `path`, at `page` (1-based page or slide) when given:
/// `QUIVER_VIEWER` when set (like `$BROWSER`: for kiosks, remote sessions and scripts;
/// `%f` stands for the file and `%p` for the page, the file is added at the end when
/// `%f` is absent), else the desktop's default application for the type when it is a
/// viewer Quiver knows how to send to a page (evince, okular, zathura, qpdfview,
/// mupdf), else `xdg-open`.
///
/// # Errors
/// [`LaunchError`] when nothing could start, or the viewer failed at once.
pub fn launch(path: &str, page: Option<u32>) -> Result<Launched, LaunchError> {
    let failed = |reason: String| LaunchError {
        path: path.to_owned(),
        reason,
    };
    if let Ok(viewer) = std::env::var("QUIVER_VIEWER")
        && !viewer.trim().is_empty()
    {
        let mut words: Vec<String> = viewer.split_whitespace().map(str::to_owned).collect();
        let program = words.remove(0);
        let at_page = page.is_some() && words.iter().any(|w| w.contains("%p"));
        let mut args: Vec<String> = words
            .iter()
            .map(|w| {
                w.replace("%f", path)
                    .replace("%p", &page.unwrap_or(1).to_string())
            })
            .collect();
        if !words.iter().any(|w| w.contains("%f")) {
            args.push(path.to_owned());
        }
        run(&program, &args).map_err(failed)?;
        return Ok(Launched {
            note: (page.is_some() && !at_page)
                .then(|| format!("{program} opens the file at its start")),
            program,
            at_page,
        });
    }
    if let Some(program) = handler::default_program(path) {
        if let Some(n) = page
            && let Some(args) = handler::page_args(&program, path, n)
        {
            run(&program, &args).map_err(failed)?;
            return Ok(Launched {
                program,
                at_page: true,
                note: None,
            });
        }
        run(&program, &[path.to_owned()]).map_err(failed)?;
        return Ok(Launched {
            note: page
                .map(|_| format!("{program} has no way to open at a page; it opens at the start")),
            program,
            at_page: false,
        });
    }
    run("xdg-open", &[path.to_owned()]).map_err(|reason| {
        failed(if reason.contains("No such file") {
            "no application is set to open this type of file, and xdg-open is missing".into()
        } else {
            reason
        })
    })?;
    Ok(Launched {
        program: "xdg-open".into(),
        at_page: false,
        note: page.map(|_| "the default viewer opens the file at its start".to_owned()),
    })
}

/// Runs a program, watches it for [`WATCH`], and reaps it: a non-zero exit in that
/// time is its failure; one still running is reaped by a thread when it ends.
fn run(program: &str, args: &[String]) -> Result<(), String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{program}: {e}"))?;
    let started = Instant::now();
    while started.elapsed() < WATCH {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(failure(program, status, &mut child)),
            Ok(None) => std::thread::sleep(Duration::from_millis(25)),
            Err(e) => return Err(format!("{program}: {e}")),
        }
    }
    // Started and still showing the file: reap it whenever it ends, so no zombie stays.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

fn failure(program: &str, status: std::process::ExitStatus, child: &mut Child) -> String {
    use std::io::Read;
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    let said = err
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    // xdg-open's exit codes, as its manual gives them.
    let meaning = match (program, status.code()) {
        ("xdg-open", Some(2)) => "the file does not exist".to_owned(),
        ("xdg-open", Some(3)) => "no application is set to open this type of file".to_owned(),
        ("xdg-open", Some(4)) => "the application failed to open it".to_owned(),
        _ => format!("{program} exited with {status}"),
    };
    if said.is_empty() {
        meaning
    } else {
        format!("{meaning}: {said}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Children of this process that have ended but were not waited for.
    fn zombies() -> usize {
        let me = std::process::id().to_string();
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("stat")).ok())
            .filter(|stat| {
                // pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
                let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
                let mut f = rest.split_whitespace();
                f.next() == Some("Z") && f.next() == Some(me.as_str())
            })
            .count()
    }

    #[test]
    fn a_viewer_that_stays_is_reaped_when_it_ends_and_one_that_fails_is_an_error() {
        run("sleep", &["2".into()]).expect("a running viewer has started");
        std::thread::sleep(Duration::from_millis(1500));
        assert_eq!(zombies(), 0, "the viewer ended and was reaped");
        let err = run("sh", &["-c".into(), "echo no such page >&2; exit 3".into()]).unwrap_err();
        assert!(err.contains("no such page"), "{err}");
        assert!(run("/nonexistent/viewer", &[]).is_err());
    }
}
