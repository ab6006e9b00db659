//! The reason taxonomy and its numbered changes, as stored. The rules (code format,
//! merges without loops, retired codes) are in `crate::reasons`.

use rusqlite::{OptionalExtension, params};

use super::Tables;
use crate::Result;
use crate::reasons::{Kind, Reason};

const COLUMNS: &str =
    "code, label, kind, category, description, keywords, low_quality, status, merged_into";

fn row(r: &rusqlite::Row) -> rusqlite::Result<Reason> {
    Ok(Reason {
        code: r.get(0)?,
        label: r.get(1)?,
        kind: match r.get::<_, String>(2)?.as_str() {
            "buy" => Kind::Buy,
            "objection" => Kind::Objection,
            _ => Kind::Any,
        },
        category: r.get(3)?,
        description: r.get(4)?,
        keywords: serde_json::from_str(&r.get::<_, String>(5)?).unwrap_or_default(),
        low_quality: r.get(6)?,
        status: r.get(7)?,
        merged_into: r.get(8)?,
    })
}

impl Tables<'_> {
    /// Writes a code, replacing whatever the code had.
    pub(crate) fn upsert_reason(&self, r: &Reason) -> Result<()> {
        self.conn.execute(
            "INSERT INTO reasons (code, label, kind, category, description, keywords, low_quality, status, merged_into)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (code) DO UPDATE SET label = excluded.label, kind = excluded.kind,
               category = excluded.category, description = excluded.description, keywords = excluded.keywords,
               low_quality = excluded.low_quality, status = excluded.status, merged_into = excluded.merged_into",
            params![
                r.code,
                r.label,
                r.kind.as_str(),
                r.category,
                r.description,
                serde_json::to_string(&r.keywords).expect("strings serialise"),
                r.low_quality,
                r.status,
                r.merged_into
            ],
        )?;
        Ok(())
    }

    /// Numbers a change of the taxonomy (`at` is RFC 3339).
    pub(crate) fn log_taxonomy_change(
        &self,
        at: &str,
        rep: &str,
        action: &str,
        code: &str,
        detail: &str,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO taxonomy_changes (at, rep, action, code, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![at, rep, action, code, detail],
        )?;
        Ok(())
    }

    /// The number of the latest change, 0 before any.
    pub(crate) fn taxonomy_version(&self) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT coalesce(max(version), 0) FROM taxonomy_changes",
            [],
            |r| r.get(0),
        )?)
    }

    /// Every code (or only active ones), active first, by category.
    pub(crate) fn reasons(&self, include_retired: bool) -> Result<Vec<Reason>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM reasons WHERE status = 'active' OR ?1
             ORDER BY status, low_quality, category, kind, code"
        ))?;
        let rows = stmt.query_map([include_retired], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The reason with exactly this code.
    pub(crate) fn reason(&self, code: &str) -> Result<Option<Reason>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM reasons WHERE code = ?1"),
                [code],
                row,
            )
            .optional()?)
    }

    /// The reason whose code or label (case-insensitive) is `given`, retired or not;
    /// an active one before a retired one of the same label.
    pub(crate) fn reason_by_code_or_label(&self, given: &str) -> Result<Option<Reason>> {
        // Cached: an import looks up every reason of every row.
        Ok(self
            .conn
            .prepare_cached(
                "SELECT code, label, kind, category, description, keywords, low_quality, status, merged_into
                 FROM reasons WHERE code = upper(?1) OR lower(label) = lower(?1)
                 ORDER BY code = upper(?1) DESC, status = 'active' DESC LIMIT 1",
            )?
            .query_row([given], row)
            .optional()?)
    }

    /// The CRM values mapped to codes, as (value, code), by value.
    pub(crate) fn reason_value_map(&self) -> Result<Vec<(String, String)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT value, code FROM reason_value_map ORDER BY key")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Maps a CRM value (compared lower-cased and trimmed) to a code.
    pub(crate) fn set_reason_value(&self, value: &str, code: &str, at: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO reason_value_map (key, value, code, updated_at)
             VALUES (lower(trim(?1)), trim(?1), ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET code = excluded.code, updated_at = excluded.updated_at",
            [value, code, at],
        )?;
        Ok(())
    }

    pub(crate) fn relabel_reason(&self, code: &str, label: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE reasons SET label = ?2 WHERE code = ?1",
            params![code, label],
        )?;
        Ok(())
    }

    pub(crate) fn retire_reason(&self, code: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE reasons SET status = 'retired' WHERE code = ?1",
            [code],
        )?;
        Ok(())
    }

    /// Retires `old` and points it at `new`.
    pub(crate) fn merge_reason(&self, old: &str, new: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE reasons SET status = 'retired', merged_into = ?2 WHERE code = ?1",
            params![old, new],
        )?;
        Ok(())
    }
}

impl Tables<'_> {
    /// How many recorded deals carry each code (primary or secondary).
    pub(crate) fn reason_uses(&self) -> Result<std::collections::HashMap<String, i64>> {
        let mut stmt = self
            .conn
            .prepare("SELECT code, count(DISTINCT deal_id) FROM deal_reasons GROUP BY code")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
