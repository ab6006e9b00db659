//! Closed deals, their ranked reasons and their audit trail, as stored. The rules
//! (validation, what counts as a change) are in `crate::deals`.

use rusqlite::{OptionalExtension, params};

use super::Tables;
use crate::Result;
use crate::deals::{AuditEntry, Deal, KnownDeal, Outcome, ReasonEntry};

/// One changed field of a deal, for the audit trail: name, before, after.
pub(crate) type FieldChange = (&'static str, Option<String>, Option<String>);

impl Tables<'_> {
    /// A recorded deal with its reasons in rank order, or `None`.
    pub(crate) fn deal(&self, id: &str) -> Result<Option<Deal>> {
        let deal = self
            .conn
            .query_row(
                "SELECT id, name, account, rep, outcome, close_date, amount, currency, competitor, stage, industry,
                   size, region FROM deals WHERE id = ?1",
                [id],
                |r| {
                    Ok(Deal {
                        deal_id: r.get(0)?,
                        name: r.get(1)?,
                        account: r.get(2)?,
                        rep: r.get(3)?,
                        outcome: r.get(4)?,
                        close_date: r.get(5)?,
                        amount: r.get(6)?,
                        currency: r.get(7)?,
                        competitor: r.get(8)?,
                        stage: r.get(9)?,
                        industry: r.get(10)?,
                        size: r.get(11)?,
                        region: r.get(12)?,
                        reasons: Vec::new(),
                    })
                },
            )
            .optional()?;
        let Some(mut deal) = deal else {
            return Ok(None);
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT code, note FROM deal_reasons WHERE deal_id = ?1 ORDER BY rank",
        )?;
        deal.reasons = stmt
            .query_map([id], |r| {
                Ok(ReasonEntry {
                    code: r.get(0)?,
                    note: r.get(1)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(Some(deal))
    }

    /// Writes a new deal, its reasons and its `created` audit entry.
    pub(crate) fn create_deal(&self, deal: &Deal, by: &str, now: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO deals (id, name, account, rep, outcome, close_date, amount, currency, competitor,
               stage, industry, size, region, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)",
            params![
                deal.deal_id, deal.name, deal.account, deal.rep, deal.outcome, deal.close_date, deal.amount,
                deal.currency, deal.competitor, deal.stage, deal.industry, deal.size, deal.region, now
            ],
        )?;
        self.write_reasons(deal)?;
        self.audit(
            &deal.deal_id,
            by,
            "created",
            None,
            Some(deal.outcome.as_str()),
            now,
        )
    }

    /// Overwrites a recorded deal and its reasons, with an audit entry per change.
    pub(crate) fn update_deal(
        &self,
        deal: &Deal,
        by: &str,
        changes: Vec<FieldChange>,
        now: &str,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE deals SET name = ?2, account = ?3, rep = ?4, outcome = ?5, close_date = ?6, amount = ?7,
               currency = ?8, competitor = ?9, stage = ?10, industry = ?11, size = ?12, region = ?13,
               updated_at = ?14 WHERE id = ?1",
            params![
                deal.deal_id, deal.name, deal.account, deal.rep, deal.outcome, deal.close_date, deal.amount,
                deal.currency, deal.competitor, deal.stage, deal.industry, deal.size, deal.region, now
            ],
        )?;
        self.conn.execute(
            "DELETE FROM deal_reasons WHERE deal_id = ?1",
            [&deal.deal_id],
        )?;
        self.write_reasons(deal)?;
        for (field, before, after) in changes {
            self.audit(
                &deal.deal_id,
                by,
                field,
                before.as_deref(),
                after.as_deref(),
                now,
            )?;
        }
        Ok(())
    }

    fn write_reasons(&self, deal: &Deal) -> Result<()> {
        for (rank, r) in deal.reasons.iter().enumerate() {
            self.conn.execute(
                "INSERT INTO deal_reasons (deal_id, rank, code, note) VALUES (?1, ?2, ?3, ?4)",
                params![deal.deal_id, rank as i64, r.code, r.note],
            )?;
        }
        Ok(())
    }

    fn audit(
        &self,
        id: &str,
        by: &str,
        field: &str,
        old: Option<&str>,
        new: Option<&str>,
        at: &str,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO deal_audit (deal_id, at, rep, field, old, new) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, at, by, field, old, new],
        )?;
        Ok(())
    }

    /// A deal's audit trail, oldest first.
    pub(crate) fn deal_audit(&self, id: &str) -> Result<Vec<AuditEntry>> {
        let mut stmt = self.conn.prepare(
            "SELECT at, rep, field, old, new FROM deal_audit WHERE deal_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok(AuditEntry {
                at: r.get(0)?,
                rep: r.get(1)?,
                field: r.get(2)?,
                old: r.get(3)?,
                new: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every deal id, newest close first.
    pub(crate) fn deal_ids(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM deals ORDER BY close_date DESC, id")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl rusqlite::types::ToSql for Outcome {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}

/// A stored outcome is one [`Outcome::as_str`] wrote; anything else is damage, said so.
impl rusqlite::types::FromSql for Outcome {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let text = value.as_str()?;
        Outcome::parse(text).ok_or_else(|| {
            rusqlite::types::FromSqlError::Other(format!("{text:?} is not a deal outcome").into())
        })
    }
}

impl Tables<'_> {
    /// Records a deal the CRM shows as still open (or refreshes it).
    pub(crate) fn upsert_open_deal(&self, deal: &KnownDeal, now: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO open_deals (id, name, account, rep, stage, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, account = excluded.account,
               rep = excluded.rep, stage = excluded.stage, updated_at = excluded.updated_at",
            params![
                deal.deal_id,
                deal.name,
                deal.account,
                deal.rep,
                deal.stage,
                now
            ],
        )?;
        Ok(())
    }

    /// Deals not recorded closed: the CRM's open ones and those opens were tied to, the
    /// most recently seen first, with `text` (lower case) in their id, name or account.
    pub(crate) fn known_deals(&self, text: &str, limit: usize) -> Result<Vec<KnownDeal>> {
        let pattern = format!("%{}%", text.replace(['%', '_'], ""));
        let mut stmt = self.conn.prepare_cached(
            "WITH seen AS (
               SELECT id, name, account, rep, stage, updated_at AS at FROM open_deals
               UNION ALL
               SELECT deal_id, NULL, NULL, rep, NULL, max(at) FROM events
                WHERE deal_id IS NOT NULL AND kind IN ('open', 'preview') GROUP BY deal_id
             )
             SELECT id, max(name), max(account), max(rep), max(stage), max(at) AS last
               FROM seen
              WHERE id NOT IN (SELECT id FROM deals)
              GROUP BY id
             HAVING lower(id) LIKE ?1 OR lower(coalesce(max(name), '')) LIKE ?1
                 OR lower(coalesce(max(account), '')) LIKE ?1
              ORDER BY last DESC, id
              LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![pattern, limit as i64], |r| {
            Ok(KnownDeal {
                deal_id: r.get(0)?,
                name: r.get(1)?,
                account: r.get(2)?,
                rep: r.get(3)?,
                stage: r.get(4)?,
                last_seen: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Whether a deal is recorded closed.
    pub(crate) fn deal_closed(&self, id: &str) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM deals WHERE id = ?1)",
            [id],
            |r| r.get(0),
        )?)
    }
}
