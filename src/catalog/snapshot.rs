//! A read snapshot: several reads that must see one state of the catalog.

use super::Catalog;
use crate::Result;

/// Reads made while this lives see the catalog as it was when it began: an index run
/// writing meanwhile cannot remove a text between reading its section list and its
/// pieces. Deferred, so it neither waits for nor holds up writers.
pub struct Snapshot<'c>(rusqlite::Transaction<'c>);

impl Catalog {
    /// Starts a [`Snapshot`].
    ///
    /// # Errors
    /// Database errors.
    pub fn snapshot(&self) -> Result<Snapshot<'_>> {
        Ok(Snapshot(rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Deferred,
        )?))
    }
}

impl Snapshot<'_> {
    /// Ends the snapshot.
    ///
    /// # Errors
    /// Database errors.
    pub fn finish(self) -> Result<()> {
        Ok(self.0.finish()?)
    }
}
