//! Errors of the core, split the meilisearch way: a [`UserError`] is something the user
//! can fix (a bad path, a busy data dir, a newer schema), everything else is internal.
//! Each error has a stable [`Error::code`] so the CLI's JSON and the desktop UI never
//! match on message text.

use std::path::PathBuf;

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Any error of the Quiver core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    User(#[from] UserError),
    /// Not `#[from]`: see the `From` impl, which turns a busy catalog into a user error.
    #[error("catalog database: {0}")]
    Sqlite(rusqlite::Error),
    #[error("catalog migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    /// Not `#[from]`: see the `From` impl, which turns a full disk into a user error.
    #[error("search index: {0}")]
    Tantivy(tantivy::TantivyError),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Internal(String),
}

/// Errors the user can act on; their messages say what to do.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error(
        "indexing already running: another Quiver process holds the index writer of {0} (searches keep working; wait for it to finish)"
    )]
    IndexingRunning(PathBuf),
    #[error(
        "the data dir {path} was written by a newer Quiver (schema v{found}, this build knows up to v{known}); upgrade Quiver to open it"
    )]
    SchemaTooNew {
        path: PathBuf,
        found: usize,
        known: usize,
    },
    #[error("no such folder: {0}")]
    NoSuchFolder(PathBuf),
    #[error("{0} is not in the library")]
    NotInLibrary(PathBuf),
    #[error("no asset matches {0:?} (give an asset id or the path of a file in the library)")]
    NoSuchAsset(String),
    #[error("no deal {0:?} is recorded here")]
    NoSuchDeal(String),
    #[error("unknown field {0:?} (known: {1})")]
    UnknownField(String, &'static str),
    #[error("invalid value for {field}: {message}")]
    InvalidValue { field: String, message: String },
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    #[error("invalid config file {path}: {message}")]
    InvalidConfig { path: PathBuf, message: String },
    #[error(
        "the catalog is busy: another Quiver command or the app has been writing to it for over 10 s (a large import or index run); try again when it is done"
    )]
    CatalogBusy,
    #[error(
        "the data dir {0} already holds a library, events or deals: the demo fills only a new data dir, so that its made-up history never mixes with real data (start Quiver on a new data dir to try it)"
    )]
    DataDirInUse(PathBuf),
    #[error(
        "no Quiver data dir at {0}: nothing has been set up there (to start one, add a library folder or load the sample library)"
    )]
    NoDataDir(PathBuf),
    #[error("could not open {path}: {reason}")]
    ViewerFailed { path: String, reason: String },
    /// A write failed for want of space; `what` says which write.
    #[error("the disk is full ({0}); free some space and try again")]
    DiskFull(String),
    #[error(
        "the data dir is read-only: this command writes to it (searches without recording, status and reports still work)"
    )]
    ReadOnly,
    /// The catalog file exists but is not a whole SQLite database (0 bytes, truncated,
    /// overwritten). Nothing is deleted: the data dir is left for the user to restore.
    #[error(
        "the catalog {path} is damaged ({reason}); nothing was changed: restore it from a backup (a `quiver backup` copy, with its -wal file if any) or move the data dir aside to start a new one"
    )]
    CatalogDamaged { path: PathBuf, reason: String },
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        // The busy timeout ran out while another process held the write lock. Nothing
        // of this command was written, and trying again later works.
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy) => return UserError::CatalogBusy.into(),
            Some(rusqlite::ErrorCode::DiskFull) => {
                return UserError::DiskFull("writing the catalog".into()).into();
            }
            Some(rusqlite::ErrorCode::ReadOnly) => return UserError::ReadOnly.into(),
            _ => {}
        }
        Error::Sqlite(e)
    }
}

/// Whether an I/O error says the disk (or the user's quota) is full.
pub fn is_disk_full(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOSPC | libc::EDQUOT))
        || e.kind() == std::io::ErrorKind::StorageFull
}

impl From<tantivy::TantivyError> for Error {
    fn from(e: tantivy::TantivyError) -> Self {
        use tantivy::TantivyError as T;
        // tantivy reports a full disk in its own words, often as a writer thread that
        // died ("index writer was killed or panicked"): find the I/O error underneath.
        let full = match &e {
            T::IoError(io) => is_disk_full(io),
            T::OpenWriteError(tantivy::directory::error::OpenWriteError::IoError {
                io_error,
                ..
            }) => is_disk_full(io_error),
            other => {
                let text = other.to_string();
                text.contains("No space left on device") || text.contains("os error 28")
            }
        };
        if full {
            return UserError::DiskFull("writing the search index".into()).into();
        }
        Error::Tantivy(e)
    }
}

impl Error {
    /// A stable, machine-readable code: `user.<kind>` or `internal.<kind>`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::User(u) => match u {
                UserError::IndexingRunning(_) => "user.indexing_running",
                UserError::SchemaTooNew { .. } => "user.schema_too_new",
                UserError::NoSuchFolder(_) => "user.no_such_folder",
                UserError::NotInLibrary(_) => "user.not_in_library",
                UserError::NoSuchAsset(_) => "user.no_such_asset",
                UserError::NoSuchDeal(_) => "user.no_such_deal",
                UserError::UnknownField(..) => "user.unknown_field",
                UserError::InvalidValue { .. } => "user.invalid_value",
                UserError::InvalidQuery(_) => "user.invalid_query",
                UserError::InvalidConfig { .. } => "user.invalid_config",
                UserError::CatalogBusy => "user.catalog_busy",
                UserError::DataDirInUse(_) => "user.data_dir_in_use",
                UserError::NoDataDir(_) => "user.no_data_dir",
                UserError::ViewerFailed { .. } => "user.viewer_failed",
                UserError::DiskFull(_) => "user.disk_full",
                UserError::ReadOnly => "user.read_only",
                UserError::CatalogDamaged { .. } => "user.catalog_damaged",
            },
            Error::Sqlite(_) => "internal.sqlite",
            Error::Migration(_) => "internal.migration",
            Error::Tantivy(_) => "internal.index",
            Error::Io { .. } => "internal.io",
            Error::Internal(_) => "internal.other",
        }
    }

    /// The field a [`UserError::InvalidValue`] or [`UserError::UnknownField`] is about,
    /// so a form can point at it.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::User(UserError::InvalidValue { field, .. }) => Some(field),
            Error::User(UserError::UnknownField(field, _)) => Some(field),
            _ => None,
        }
    }

    /// An I/O error with what was being done; a full disk becomes
    /// [`UserError::DiskFull`], which the user can act on.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        if is_disk_full(&source) {
            return UserError::DiskFull(context.into()).into();
        }
        if source.raw_os_error() == Some(libc::EROFS) {
            return UserError::ReadOnly.into();
        }
        Error::Io {
            context: context.into(),
            source,
        }
    }
}
