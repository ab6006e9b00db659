//! The reports' reads ([`ReportData`]) over the catalog: deals and reasons, assets, and
//! the rollups that triggers keep (`usage_daily`, `asset_usage`, `open_days`,
//! `search_daily`), so no report scans raw events.

use rusqlite::Connection;

use super::Catalog;
use crate::Result;
use crate::insights::data::{
    AddressTag, AssetCard, AssetUsage, DayOpens, DealReason, DealRow, LocationOpens, OpenDay,
    OpenDays, PresentAsset, QueryRollup, ReportData, UsageDay,
};
use crate::reasons::Reason;

/// A borrowed text column, without copying it.
fn text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<&'r str> {
    r.get_ref(i)?.as_str().map_err(rusqlite::Error::from)
}

impl ReportData for Catalog {
    fn reasons(&self) -> Result<Vec<Reason>> {
        self.tables().reasons(true)
    }

    fn deals(&self, from: &str, to: &str) -> Result<Vec<DealRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, rep, outcome, close_date, stage, amount FROM deals WHERE close_date BETWEEN ?1 AND ?2",
        )?;
        let rows = stmt.query_map([from, to], |r| {
            Ok(DealRow {
                id: r.get(0)?,
                rep: r.get(1)?,
                outcome: r.get(2)?,
                close_date: r.get(3)?,
                stage: r.get(4)?,
                amount: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn deal_reasons(&self, from: &str, to: &str) -> Result<Vec<DealReason>> {
        let mut stmt = self.conn.prepare(
            "SELECT d.id, d.outcome, d.rep, d.close_date, d.industry, d.size, d.region, d.competitor, d.stage,
               r.rank, r.code, r.note IS NOT NULL AND r.note != ''
             FROM deals d JOIN deal_reasons r ON r.deal_id = d.id
             WHERE d.close_date BETWEEN ?1 AND ?2",
        )?;
        let rows = stmt.query_map([from, to], |r| {
            Ok(DealReason {
                deal_id: r.get(0)?,
                outcome: r.get(1)?,
                rep: r.get(2)?,
                close_date: r.get(3)?,
                industry: r.get(4)?,
                size: r.get(5)?,
                region: r.get(6)?,
                competitor: r.get(7)?,
                stage: r.get(8)?,
                rank: r.get(9)?,
                code: r.get(10)?,
                noted: r.get(11)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn each_deal_open(&self, from: &str, to: &str, each: &mut dyn FnMut(&str, &str)) -> Result<()> {
        // A deal's opens come ordered by asset (the `events_by_deal` index).
        let mut stmt = self.conn.prepare(
            "SELECT e.deal_id, e.asset_id FROM deals d
             JOIN events e ON e.deal_id = d.id AND e.deal_id IS NOT NULL AND e.asset_id IS NOT NULL
             WHERE d.close_date BETWEEN ?1 AND ?2",
        )?;
        let mut rows = stmt.query([from, to])?;
        while let Some(r) = rows.next()? {
            each(text(r, 0)?, text(r, 1)?);
        }
        Ok(())
    }

    fn present_assets(&self) -> Result<Vec<PresentAsset>> {
        // One ordered join; the first row of each asset is its main file. The first
        // open is one probe of `usage_by_asset` per row.
        let mut stmt = self.conn.prepare(
            "SELECT a.id, coalesce(a.title, ''), coalesce(a.format, ''), a.product, a.owner, a.created_at, a.expires_on,
               l.path, l.root, a.doc_created, l.mtime_ns,
               (SELECT min(u.day) FROM usage_daily u WHERE u.asset_id = a.id)
             FROM assets a JOIN locations l ON l.asset_id = a.id AND l.status = 'present'
             WHERE a.status = 'present'
             ORDER BY a.id, l.version_id = a.current_version DESC, l.path",
        )?;
        let mut out: Vec<PresentAsset> = Vec::new();
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id = text(r, 0)?;
            let mtime: i64 = r.get(10)?;
            if let Some(a) = out.last_mut().filter(|a| a.id == id) {
                a.file_modified_ns = Some(a.file_modified_ns.map_or(mtime, |m| m.min(mtime)));
                continue;
            }
            out.push(PresentAsset {
                id: id.to_owned(),
                title: r.get(1)?,
                format: r.get(2)?,
                product: r.get(3)?,
                owner: r.get(4)?,
                created_at: r.get(5)?,
                expires_on: r.get(6)?,
                path: r.get(7)?,
                root: r.get(8)?,
                doc_created: r.get(9)?,
                file_modified_ns: Some(mtime),
                first_opened: r.get(11)?,
            });
        }
        Ok(out)
    }

    fn present_asset_ids(&self) -> Result<Vec<String>> {
        Catalog::present_assets(self)
    }

    fn missing_assets(&self) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM assets WHERE status = 'missing'",
            [],
            |r| r.get(0),
        )?)
    }

    fn asset_card(&self, asset_id: &str) -> Result<Option<AssetCard>> {
        Ok(self.search_record(asset_id)?.map(|r| AssetCard {
            title: r.title,
            path: r.path,
            expires_on: r.expires_on,
        }))
    }

    fn address_tags(&self) -> Result<Vec<AddressTag>> {
        let mut stmt = self.conn.prepare(
            "SELECT a.id, j.value FROM assets a, json_each(a.addresses) j WHERE a.status = 'present'",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(AddressTag {
                asset_id: r.get(0)?,
                code: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn each_asset_text(&self, asset_id: &str, each: &mut dyn FnMut(&str) -> bool) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.text FROM sections s JOIN assets a ON a.current_version = s.version_id WHERE a.id = ?1 ORDER BY s.number",
        )?;
        for text in stmt.query_map([asset_id], |r| r.get::<_, String>(0))? {
            if !each(&text?) {
                break;
            }
        }
        Ok(())
    }

    fn asset_usage(&self) -> Result<Vec<AssetUsage>> {
        let mut stmt = self
            .conn
            .prepare("SELECT asset_id, opens, last_day FROM asset_usage")?;
        let rows = stmt.query_map([], |r| {
            Ok(AssetUsage {
                asset_id: r.get(0)?,
                opens: r.get(1)?,
                last_day: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn opened_between(&self, asset_id: &str, from: &str, to: &str) -> Result<bool> {
        // Only whether it was opened matters: an index-only probe.
        Ok(self
            .conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM usage_daily WHERE asset_id = ?1 AND day BETWEEN ?2 AND ?3)",
            )?
            .query_row([asset_id, from, to], |r| r.get(0))?)
    }

    fn assets_opened_between(&self, from: &str, to: &str) -> Result<Vec<String>> {
        // One index probe per asset ever opened, not a read of every open in the window.
        let mut stmt = self.conn.prepare(
            "SELECT asset_id FROM asset_usage a WHERE last_day >= ?1 AND EXISTS
               (SELECT 1 FROM usage_daily u WHERE u.asset_id = a.asset_id AND u.day BETWEEN ?1 AND ?2)",
        )?;
        let rows = stmt.query_map([from, to], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn each_usage_day(
        &self,
        from: &str,
        to: &str,
        each: &mut dyn FnMut(UsageDay<'_>),
    ) -> Result<()> {
        // The table is clustered by day, so this reads only the window's rows.
        let mut stmt = self.conn.prepare_cached(
            "SELECT day, asset_id, rep, opens FROM usage_daily WHERE day BETWEEN ?1 AND ?2",
        )?;
        let mut rows = stmt.query([from, to])?;
        while let Some(r) = rows.next()? {
            each(UsageDay {
                day: text(r, 0)?,
                asset_id: text(r, 1)?,
                rep: text(r, 2)?,
                opens: r.get(3)?,
            });
        }
        Ok(())
    }

    fn asset_days(&self, asset_id: &str, from: &str, to: &str) -> Result<Vec<DayOpens>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT day, opens FROM usage_daily WHERE asset_id = ?1 AND day BETWEEN ?2 AND ?3",
        )?;
        let rows = stmt.query_map([asset_id, from, to], |r| {
            Ok(DayOpens {
                day: r.get(0)?,
                opens: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn location_opens(
        &self,
        asset_id: &str,
        from: &str,
        before: &str,
    ) -> Result<Vec<LocationOpens>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT location_kind, location_number, count(*) FROM events
             WHERE asset_id = ?1 AND at >= ?2 AND at < ?3 AND location_kind IS NOT NULL
             GROUP BY location_kind, location_number ORDER BY count(*) DESC, location_number LIMIT 20",
        )?;
        let rows = stmt.query_map([asset_id, from, before], |r| {
            Ok(LocationOpens {
                kind: r.get(0)?,
                number: r.get(1)?,
                opens: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn open_days(&self) -> Result<Box<dyn OpenDays + Send>> {
        Ok(Box::new(OpenDayReader {
            conn: self.reader()?,
        }))
    }

    fn asset_of_number(&self, number: i64) -> Result<String> {
        Ok(self
            .conn
            .prepare_cached("SELECT asset_id FROM asset_numbers WHERE no = ?1")?
            .query_row([number], |r| r.get(0))?)
    }

    fn query_rollups(&self, from: &str, to: &str) -> Result<Vec<QueryRollup>> {
        let mut stmt = self.conn.prepare(
            "SELECT query, sum(searches), count(DISTINCT rep), sum(zero_results), sum(opened), max(day)
             FROM search_daily WHERE day BETWEEN ?1 AND ?2 GROUP BY query",
        )?;
        let rows = stmt.query_map([from, to], |r| {
            Ok(QueryRollup {
                query: r.get(0)?,
                searches: r.get(1)?,
                reps: r.get(2)?,
                zero_results: r.get(3)?,
                opened: r.get(4)?,
                last_day: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn each_query_day(&self, from: &str, to: &str, each: &mut dyn FnMut(&str, i64)) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare("SELECT query, searches FROM search_daily WHERE day BETWEEN ?1 AND ?2")?;
        let mut rows = stmt.query([from, to])?;
        while let Some(r) = rows.next()? {
            each(text(r, 0)?, r.get(1)?);
        }
        Ok(())
    }

    fn pseudonym_key(&self) -> Result<[u8; 32]> {
        Catalog::pseudonym_key(self)
    }
}

/// Open days read on a second, read-only connection (WAL lets it read while the
/// catalog's own connection works).
struct OpenDayReader {
    conn: Connection,
}

impl OpenDays for OpenDayReader {
    fn rep_names(&self) -> Result<Vec<Option<String>>> {
        let mut reps: Vec<Option<String>> = Vec::new();
        let mut stmt = self.conn.prepare("SELECT no, rep FROM rep_numbers")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let no = usize::try_from(r.get::<_, i64>(0)?).unwrap_or(0);
            if reps.len() <= no {
                reps.resize(no + 1, None);
            }
            reps[no] = Some(r.get(1)?);
        }
        Ok(reps)
    }

    fn each_open_day(&self, from: i64, to: i64, each: &mut dyn FnMut(OpenDay)) -> Result<()> {
        // A range of the table's primary key.
        let mut stmt = self.conn.prepare(
            "SELECT rep, asset, day FROM open_days WHERE day BETWEEN ?1 AND ?2 ORDER BY day",
        )?;
        let mut rows = stmt.query([from, to])?;
        while let Some(r) = rows.next()? {
            each(OpenDay {
                rep: r.get(0)?,
                asset: r.get(1)?,
                day: r.get(2)?,
            });
        }
        Ok(())
    }
}
