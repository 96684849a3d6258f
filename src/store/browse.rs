//! The SQL behind `domain::browse`: read-only summaries for the terminal UI.

use super::db::Connection;

use super::queries::ids_json;
use crate::domain::{Result, Status};

/// Sequence name, status and count of the given enrollments, grouped.
pub fn status_counts(conn: &Connection, ids: &[i64]) -> Result<Vec<(String, Status, i64)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = ids_json(ids);
    let mut stmt = conn.prepare_cached(
        "SELECT s.name, e.status, count(*) AS n
         FROM enrollments e JOIN sequences s ON s.id = e.sequence_id
         WHERE e.id IN (SELECT CAST(value AS BIGINT) FROM json_each(?1))
         GROUP BY s.name, e.status
         ORDER BY n DESC, s.name, e.status",
    )?;
    let rows = stmt.query_map([ids], |r| {
        let status: String = r.get(1)?;
        let status = status.parse::<Status>().map_err(|_| {
            rusqlite::Error::FromSqlConversionFailure(
                1,
                rusqlite::types::Type::Text,
                format!("unexpected status '{status}'").into(),
            )
        })?;
        Ok((r.get(0)?, status, r.get(2)?))
    })?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// `PRAGMA cache_size` in KiB (a negative size is KiB to SQLite).
pub fn limit_page_cache(conn: &Connection, mebibytes: u32) -> Result<()> {
    if let Some(c) = conn.sqlite() {
        c.pragma_update(None, "cache_size", -(i64::from(mebibytes) * 1024))?;
    }
    Ok(())
}
