//! Bulk loading for the demo builder: the pragmas that make a fresh file
//! fast to fill, the secondary indexes dropped before and rebuilt after,
//! batched inserts bound with parameters (many rows per statement), and
//! the copy of a part file written on another thread into the workspace.
//! Only the demo builder uses this room, and only on files nobody else
//! has open: it turns off the journal, CHECK constraints and foreign-key
//! checks while it runs (the builder keeps those rules itself, and its
//! tests check them on the result).

use std::path::Path;

use rusqlite::Connection;

use super::schema::{bulk_indexes, migrations};
use crate::domain::{DomainError, Result};

mod inserts;
mod rows;
pub use inserts::*;
pub use rows::*;

/// Readies a freshly created, still private file for a bulk load: larger
/// pages, no rollback journal, no fsync, no CHECK or foreign-key work per
/// row (the builder keeps those rules itself, and its tests check them), a
/// large page cache, and none of the secondary indexes but those in
/// `keep`. An index whose keys arrive in order (or at a few points) is
/// cheaper to keep up row by row; the others are rebuilt over sorted data
/// by [`create_indexes`] and [`finish`]. Must run outside a transaction.
pub fn prepare(conn: &Connection, keep: &[&str]) -> Result<()> {
    conn.query_row("PRAGMA journal_mode = OFF", [], |r| r.get::<_, String>(0))?;
    // The file holds only the schema yet, so the VACUUM that applies the
    // page size costs nothing.
    conn.execute_batch(
        "PRAGMA page_size = 16384;
         VACUUM;
         PRAGMA ignore_check_constraints = ON;
         PRAGMA foreign_keys = OFF;
         PRAGMA synchronous = OFF;
         PRAGMA cache_size = -4194304;
         PRAGMA temp_store = MEMORY;
         PRAGMA threads = 2;",
    )?;
    for (name, _) in bulk_indexes() {
        if !keep.contains(name) {
            // The names come from the fixed list in `schema`, never from input.
            conn.execute_batch(&format!("DROP INDEX IF EXISTS {name}"))?;
        }
    }
    Ok(())
}

/// Creates a scratch file with the workspace's tables, in bulk mode, for a
/// part of the load that runs on another thread; [`absorb`] copies its
/// tables into the workspace.
pub fn create_part(path: &Path, keep: &[&str]) -> Result<Connection> {
    let conn = Connection::open(path)
        .map_err(|e| DomainError::Storage(format!("cannot create {}: {e}", path.display())))?;
    conn.query_row("PRAGMA journal_mode = OFF", [], |r| r.get::<_, String>(0))?;
    conn.execute_batch("PRAGMA page_size = 16384;")?;
    for sql in migrations() {
        conn.execute_batch(&sql)?;
        if let Some(step) = super::schema::rust_step(&sql) {
            step(&conn)?;
        }
    }
    prepare(&conn, keep)?;
    Ok(conn)
}

fn index_table(create: &str) -> Option<&str> {
    let (_, rest) = create.split_once(" ON ")?;
    rest.split('(').next().map(str::trim)
}

/// Creates the secondary indexes of `tables` that do not exist yet.
pub fn create_indexes(conn: &Connection, tables: &[&str]) -> Result<()> {
    let mut exists = conn.prepare("SELECT count(*) FROM sqlite_master WHERE name = ?1")?;
    for (name, create) in bulk_indexes() {
        if !index_table(create).is_some_and(|t| tables.contains(&t)) {
            continue;
        }
        if exists.query_row([name], |r| r.get::<_, i64>(0))? == 0 {
            conn.execute_batch(create)?;
        }
    }
    Ok(())
}

/// Copies `tables`, with their indexes, from the part file at `path` into
/// the (still empty) same tables of `conn`. With the same schema and the
/// same indexes on both sides, SQLite copies the records as they are
/// (its transfer optimisation), without decoding or re-sorting them.
///
/// That optimisation is off for a table with a trigger (`contacts` has one
/// that refuses a row without its `email_key`; the audit's refuse changes),
/// and a million contacts then went in row by row, index by index: 9.4 s
/// instead of about 1. So the copy drops the tables' triggers and creates
/// them again from their own text, in the same transaction: the builder
/// wrote every row itself and keeps what the triggers check, and its tests
/// check the result and that the triggers are back.
pub fn absorb(conn: &Connection, path: &Path, tables: &[&str]) -> Result<()> {
    create_indexes(conn, tables)?;
    let path = path.to_string_lossy();
    conn.execute("ATTACH DATABASE ?1 AS part", [path.as_ref()])?;
    let copied = (|| -> Result<()> {
        conn.execute_batch("BEGIN")?;
        let mut triggers = Vec::new();
        for table in tables {
            let mut stmt = conn.prepare(
                "SELECT name, sql FROM main.sqlite_master WHERE type = 'trigger' AND tbl_name = ?1",
            )?;
            let found = stmt.query_map([table], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?;
            for trigger in found {
                triggers.push(trigger?);
            }
        }
        for (name, _) in &triggers {
            // The names come from the schema, never from input.
            conn.execute_batch(&format!("DROP TRIGGER main.\"{name}\""))?;
        }
        for table in tables {
            // Table names come from the builder's fixed list.
            conn.execute_batch(&format!(
                "INSERT INTO main.\"{table}\" SELECT * FROM part.\"{table}\""
            ))?;
        }
        for (_, sql) in &triggers {
            conn.execute_batch(sql)?;
        }
        conn.execute_batch("COMMIT")?;
        Ok(())
    })();
    if copied.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    conn.execute_batch("DETACH DATABASE part")?;
    copied
}

/// Creates whatever secondary index is still missing and puts the file
/// back into the mode every other connection expects (WAL, normal sync,
/// CHECK constraints and foreign keys on). Must run outside a transaction.
pub fn finish(conn: &Connection) -> Result<()> {
    let tables: Vec<&str> = bulk_indexes()
        .filter_map(|(_, create)| index_table(create))
        .collect();
    conn.execute_batch("BEGIN")?;
    create_indexes(conn, &tables)?;
    conn.execute_batch("COMMIT")?;
    conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))?;
    conn.execute_batch(
        "PRAGMA synchronous = NORMAL;
         PRAGMA ignore_check_constraints = OFF;
         PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -65536;
         PRAGMA threads = 0;",
    )?;
    Ok(())
}

/// Opens a transaction on a connection that is in bulk mode. Plain `BEGIN`:
/// nobody else can have the file open yet.
pub fn begin(conn: &Connection) -> Result<()> {
    conn.execute_batch("BEGIN")?;
    Ok(())
}

pub fn commit(conn: &Connection) -> Result<()> {
    conn.execute_batch("COMMIT")?;
    Ok(())
}
