//! Quiver's core: a catalog of sales collateral, its full-text index and search.
//!
//! The flow of data: [`library`] names folders; an [`indexer`] run [`walk`]s them,
//! reads new or changed files with [`extract`] (in worker processes), records assets,
//! versions, locations and text in the [`catalog`] (SQLite, the source of truth), and
//! derives the tantivy [`index`] from it; [`search`] queries the index and fills hits
//! from the catalog. A [`datadir::DataDir`] holds the three together. [`ops`] has one
//! operation per user action; the `quiver` CLI (`crates/quiver-cli`) and the desktop
//! app (`src-tauri`) are thin fronts over it and these modules.
//!
//! The core reads no clock, no environment variable and starts no viewer: the fronts
//! pass the time and the login name in, and launch what a rep opens.

pub mod capture;
pub mod catalog;
pub mod config;
pub mod csvcell;
pub mod datadir;
pub mod deals;
pub mod demo;
pub mod edit;
pub mod error;
pub mod extract;
pub mod fsutil;
pub mod index;
pub mod indexer;
pub mod insights;
pub mod library;
pub mod ops;
pub mod reasons;
pub mod search;
pub mod walk;

pub use error::{Error, Result, UserError};
