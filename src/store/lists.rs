//! SQL of saved lists (issue 7): named filters shared by the team. The
//! filter itself is stored as its query text; the domain reads it.

use super::db::{Connection, OptionalExtension, Row};
use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{format_time, parse_time};
use crate::domain::DomainError;

type Result<T, E = DomainError> = std::result::Result<T, E>;

/// A saved list as stored.
#[derive(Debug, Clone)]
pub struct ListRow {
    pub id: i64,
    pub name: String,
    pub query: String,
    pub created_by: i64,
    pub created_by_email: String,
    pub created_at: DateTime<Utc>,
    pub updated_by_email: String,
    pub updated_at: DateTime<Utc>,
}

const LIST_ROW: &str = "SELECT l.id, l.name, l.query, l.created_by, cb.email, l.created_at,
        ub.email, l.updated_at
    FROM saved_lists l
    JOIN users cb ON cb.id = l.created_by
    JOIN users ub ON ub.id = l.updated_by";

fn list_from_row(r: &Row<'_>) -> super::db::Result<ListRow> {
    Ok(ListRow {
        id: r.get(0)?,
        name: r.get(1)?,
        query: r.get(2)?,
        created_by: r.get(3)?,
        created_by_email: r.get(4)?,
        created_at: parse_time(&r.get::<_, String>(5)?),
        updated_by_email: r.get(6)?,
        updated_at: parse_time(&r.get::<_, String>(7)?),
    })
}

/// Every saved list, by name.
pub fn lists(conn: &Connection) -> Result<Vec<ListRow>> {
    let mut stmt = conn.prepare_cached(&format!("{LIST_ROW} ORDER BY l.name COLLATE NOCASE"))?;
    let rows = stmt.query_map([], list_from_row)?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// The list of this name (any case).
pub fn list_by_name(conn: &Connection, name: &str) -> Result<Option<ListRow>> {
    Ok(conn
        .prepare_cached(&format!("{LIST_ROW} WHERE l.name = ?1 COLLATE NOCASE"))?
        .query_row([name], list_from_row)
        .optional()?)
}

/// Saves a new list, or replaces the query of the list of that name;
/// returns its id.
pub fn upsert_list(
    conn: &Connection,
    name: &str,
    query: &str,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<i64> {
    let at = format_time(now);
    // The name is unique in any case: a NOCASE column in SQLite, a unique
    // index on lower(name) in PostgreSQL.
    let target = match conn.dialect() {
        super::Dialect::Sqlite => "name",
        super::Dialect::Postgres => "lower(name)",
    };
    Ok(conn
        .prepare_cached(&format!(
            "INSERT INTO saved_lists(name, query, created_by, created_at, updated_by, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?3, ?4)
             ON CONFLICT({target}) DO UPDATE SET query = excluded.query,
                updated_by = excluded.updated_by, updated_at = excluded.updated_at
             RETURNING id"
        ))?
        .query_row(params![name, query, user_id, at], |r| r.get(0))?)
}

pub fn delete_list(conn: &Connection, id: i64) -> Result<()> {
    conn.prepare_cached("DELETE FROM saved_lists WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}
