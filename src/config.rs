//! `config.toml` in the data dir: the per-file bounds of extraction. Every key is
//! optional; a missing file means the defaults.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::extract::Limits;
use crate::extract::pool::Bounds;
use crate::{Result, UserError};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Files larger than this are reported as too large, not read.
    pub max_file_bytes: u64,
    /// The most a DOCX/PPTX/XLSX/ODS may inflate to (zip-bomb guard).
    pub max_unzipped_bytes: u64,
    /// Wall-clock limit for extracting one file.
    pub timeout_secs: u64,
    /// Address-space limit of an extraction worker.
    pub max_memory_mb: u64,
    /// Extraction workers; 0 means one per core.
    pub workers: usize,
    /// Commit the search index after this many documents (also every 10 s), so a long
    /// first run shows results early and an interrupted one loses little.
    pub commit_every_docs: usize,
    /// The stages a deal can be lost at, in funnel order.
    pub stages: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        let limits = Limits::default();
        Config {
            max_file_bytes: limits.max_file_bytes,
            max_unzipped_bytes: limits.max_unzipped_bytes,
            timeout_secs: 30,
            max_memory_mb: 4096,
            workers: 0,
            commit_every_docs: 2000,
            stages: crate::deals::DEFAULT_STAGES
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        }
    }
}

impl Config {
    /// Reads `config.toml`, or the defaults when there is none.
    ///
    /// # Errors
    /// [`UserError::InvalidConfig`] when the file exists but does not parse.
    pub fn load(path: &Path) -> Result<Config> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| {
                UserError::InvalidConfig {
                    path: path.to_owned(),
                    message: e.to_string(),
                }
                .into()
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(crate::Error::io(format!("reading {}", path.display()), e)),
        }
    }

    pub fn bounds(&self) -> Bounds {
        Bounds {
            limits: Limits {
                max_file_bytes: self.max_file_bytes,
                max_unzipped_bytes: self.max_unzipped_bytes,
            },
            timeout: Duration::from_secs(self.timeout_secs.max(1)),
            max_memory_bytes: self.max_memory_mb.max(256) << 20,
        }
    }

    /// The limits a file's problem depends on, as one string: when it changes, files
    /// with problems are read again.
    pub fn limits_key(&self) -> String {
        format!(
            "max_file_bytes={} max_unzipped_bytes={} timeout_secs={} max_memory_mb={}",
            self.max_file_bytes, self.max_unzipped_bytes, self.timeout_secs, self.max_memory_mb
        )
    }

    pub fn worker_count(&self) -> usize {
        if self.workers > 0 {
            self.workers
        } else {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        }
    }
}
