//! Copying a workspace between SQLite and PostgreSQL, table by table,
//! through PostgreSQL's `COPY` text format, with a checksum per table
//! computed on the source and again on the copy.

use std::io::{BufRead, BufReader, Write};

use postgres::{Client, IsolationLevel, Transaction};
use rusqlite::Connection;
use rusqlite::types::{Value, ValueRef};
use serde::Serialize;

use super::{SCHEMA_VERSION, TABLES, pg_error};
use crate::domain::DomainError;

/// One table copied: how many rows and their checksum (the same on both
/// sides, or the copy fails).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableCopy {
    pub table: String,
    pub rows: u64,
    pub checksum: String,
}

/// FNV-1a, 64 bits: a checksum of the rows' text, not a defence against
/// tampering.
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Text,
    Bytes,
}

/// A table as both sides have it: its columns (in SQLite's order) with
/// their PostgreSQL kind, and the columns its rows are ordered by.
struct Table {
    name: &'static str,
    columns: Vec<(String, Kind)>,
    key: Vec<String>,
}

impl Table {
    fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|(c, _)| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn sqlite_select(&self) -> String {
        let order = self
            .key
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "SELECT {} FROM \"{}\" ORDER BY {order}",
            self.column_list(),
            self.name
        )
    }

    fn pg_select(&self) -> String {
        let order = self
            .key
            .iter()
            .map(|c| {
                let text = self
                    .columns
                    .iter()
                    .any(|(name, kind)| name == c && *kind == Kind::Text);
                if text {
                    format!("\"{c}\" COLLATE \"C\"")
                } else {
                    format!("\"{c}\"")
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "SELECT {} FROM \"{}\" ORDER BY {order}",
            self.column_list(),
            self.name
        )
    }
}

/// The tables the copy moves: every table but `schema_version`, which is
/// SQLite's `user_version` on the other side.
fn copied_tables() -> impl Iterator<Item = &'static str> {
    TABLES.iter().copied().filter(|t| *t != "schema_version")
}

fn sqlite_version(conn: &Connection) -> Result<i64, DomainError> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Reads a table's shape from both sides and checks they have the same
/// columns: a column one side lacks means the two schemas drifted apart,
/// and nothing is copied.
fn table(
    name: &'static str,
    sqlite: &Connection,
    pg: &mut Transaction<'_>,
) -> Result<Table, DomainError> {
    let mut stmt = sqlite.prepare(&format!("PRAGMA table_info(\"{name}\")"))?;
    let mut sqlite_columns: Vec<(String, i64)> = stmt
        .query_map([], |r| Ok((r.get::<_, String>(1)?, r.get::<_, i64>(5)?)))?
        .collect::<Result<_, _>>()?;
    if sqlite_columns.is_empty() {
        return Err(DomainError::Storage(format!(
            "the SQLite workspace has no table {name}"
        )));
    }
    let pg_columns: Vec<(String, String)> = pg
        .query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1",
            &[&name],
        )
        .map_err(pg_error)?
        .into_iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    let only_sqlite: Vec<&str> = sqlite_columns
        .iter()
        .filter(|(c, _)| !pg_columns.iter().any(|(p, _)| p == c))
        .map(|(c, _)| c.as_str())
        .collect();
    let only_pg: Vec<&str> = pg_columns
        .iter()
        .filter(|(p, _)| !sqlite_columns.iter().any(|(c, _)| c == p))
        .map(|(p, _)| p.as_str())
        .collect();
    if !only_sqlite.is_empty() || !only_pg.is_empty() {
        return Err(DomainError::Storage(format!(
            "table {name} differs between the two stores (only in SQLite: {only_sqlite:?}; only in PostgreSQL: {only_pg:?}); this seqtui's PostgreSQL schema is out of date"
        )));
    }
    let mut columns = Vec::new();
    for (c, _) in &sqlite_columns {
        let data_type = &pg_columns.iter().find(|(p, _)| p == c).unwrap().1;
        let kind = match data_type.as_str() {
            "bigint" | "integer" | "smallint" => Kind::Int,
            "text" => Kind::Text,
            "bytea" => Kind::Bytes,
            other => {
                return Err(DomainError::Storage(format!(
                    "column {name}.{c} is {other} in PostgreSQL; the copy knows bigint, text and bytea"
                )));
            }
        };
        columns.push((c.clone(), kind));
    }
    sqlite_columns.retain(|(_, pk)| *pk > 0);
    sqlite_columns.sort_by_key(|(_, pk)| *pk);
    let key = if sqlite_columns.is_empty() {
        columns.iter().map(|(c, _)| c.clone()).collect()
    } else {
        sqlite_columns.into_iter().map(|(c, _)| c).collect()
    };
    Ok(Table { name, columns, key })
}

/// Appends a text in COPY's text format (backslash escapes for the
/// backslash and the six control characters COPY escapes).
fn escape(text: &[u8], out: &mut Vec<u8>) {
    for &b in text {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            0x0b => out.extend_from_slice(b"\\v"),
            other => out.push(other),
        }
    }
}

/// One SQLite row as the line PostgreSQL's `COPY … TO STDOUT` prints for
/// the same values.
fn encode_row(
    table: &Table,
    row: &rusqlite::Row<'_>,
    out: &mut Vec<u8>,
) -> Result<(), DomainError> {
    for (i, (column, kind)) in table.columns.iter().enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        let wrong = |what: &str| {
            DomainError::Storage(format!(
                "{}.{column} holds {what} where PostgreSQL keeps {kind:?}; the workspace cannot be copied as it is",
                table.name
            ))
        };
        match (row.get_ref(i)?, kind) {
            (ValueRef::Null, _) => out.extend_from_slice(b"\\N"),
            (ValueRef::Integer(n), Kind::Int) => write!(out, "{n}").unwrap(),
            (ValueRef::Integer(n), Kind::Text) => write!(out, "{n}").unwrap(),
            (ValueRef::Text(t), Kind::Text) => {
                std::str::from_utf8(t).map_err(|_| wrong("text that is not UTF-8"))?;
                escape(t, out);
            }
            (ValueRef::Blob(b), Kind::Bytes) => {
                out.extend_from_slice(b"\\\\x");
                for byte in b {
                    write!(out, "{byte:02x}").unwrap();
                }
            }
            (ValueRef::Text(_), _) => return Err(wrong("text")),
            (ValueRef::Integer(_), _) => return Err(wrong("a number")),
            (ValueRef::Real(_), _) => return Err(wrong("a real number")),
            (ValueRef::Blob(_), _) => return Err(wrong("bytes")),
        }
    }
    out.push(b'\n');
    Ok(())
}

/// The checksum and count of a SQLite table's rows in COPY text form.
fn sqlite_checksum(conn: &Connection, table: &Table) -> Result<(u64, String), DomainError> {
    let mut stmt = conn.prepare(&table.sqlite_select())?;
    let mut rows = stmt.query([])?;
    let mut fnv = Fnv::new();
    let mut line = Vec::new();
    let mut count = 0;
    while let Some(row) = rows.next()? {
        line.clear();
        encode_row(table, row, &mut line)?;
        fnv.update(&line);
        count += 1;
    }
    Ok((count, fnv.hex()))
}

/// The checksum and count of a PostgreSQL table's rows, read with COPY.
fn pg_checksum(pg: &mut Transaction<'_>, table: &Table) -> Result<(u64, String), DomainError> {
    let reader = pg
        .copy_out(&format!("COPY ({}) TO STDOUT", table.pg_select()))
        .map_err(pg_error)?;
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    let mut fnv = Fnv::new();
    let mut line = Vec::new();
    let mut count = 0;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| DomainError::Storage(format!("reading from PostgreSQL: {e}")))?;
        if n == 0 {
            break;
        }
        fnv.update(&line);
        count += 1;
    }
    Ok((count, fnv.hex()))
}

fn differs(table: &str, source: (u64, String), copy: (u64, String)) -> DomainError {
    DomainError::Storage(format!(
        "the copy of table {table} differs from its source ({} rows, checksum {}; copied {} rows, checksum {}); nothing was kept",
        source.0, source.1, copy.0, copy.1
    ))
}

/// What [`sqlite_to_pg`] may find in the database it copies into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyInto {
    /// No tables (`seqtui migrate`): anything else is refused.
    Empty,
    /// No tables, or a demo workspace, dropped in the copy's own
    /// transaction, so a failed copy leaves the old demo as it was
    /// (`seqtui demo --force`).
    ReplacingDemo,
}

/// Copies a SQLite workspace (at [`SCHEMA_VERSION`]) into an empty
/// PostgreSQL database, in one transaction: the schema, then every table;
/// each table is read back and its checksum compared with the source's.
/// `progress` hears each table as it is done.
pub fn sqlite_to_pg(
    src: &Connection,
    pg: &mut Client,
    url: &str,
    into: CopyInto,
    mut progress: impl FnMut(&TableCopy),
) -> Result<Vec<TableCopy>, DomainError> {
    let version = sqlite_version(src)?;
    if version != SCHEMA_VERSION {
        return Err(DomainError::Storage(format!(
            "the workspace is at schema {version} and this seqtui copies schema {SCHEMA_VERSION}"
        )));
    }
    let mut tx = pg.transaction().map_err(pg_error)?;
    let existing: i64 = tx
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()",
            &[],
        )
        .map_err(pg_error)?
        .get(0);
    match into {
        _ if existing == 0 => {}
        CopyInto::ReplacingDemo => super::drop_demo(&mut tx, url)?,
        CopyInto::Empty => {
            return Err(DomainError::Refused(format!(
                "the PostgreSQL database is not empty ({existing} tables); migrate copies into an empty database only"
            )));
        }
    }
    super::create_schema(&mut tx, url)?;
    tx.execute(
        "INSERT INTO schema_version (version) VALUES ($1)",
        &[&SCHEMA_VERSION],
    )
    .map_err(pg_error)?;
    let mut copies = Vec::new();
    for name in copied_tables() {
        let table = table(name, src, &mut tx)?;
        let mut writer = tx
            .copy_in(&format!(
                "COPY \"{}\" ({}) FROM STDIN",
                table.name,
                table.column_list()
            ))
            .map_err(pg_error)?;
        let mut stmt = src.prepare(&table.sqlite_select())?;
        let mut rows = stmt.query([])?;
        let mut fnv = Fnv::new();
        let mut buffer = Vec::with_capacity(1 << 17);
        let mut line = Vec::new();
        let mut count = 0u64;
        let write_error = |e: std::io::Error| {
            DomainError::Storage(format!("writing table {name} to PostgreSQL: {e}"))
        };
        while let Some(row) = rows.next()? {
            line.clear();
            encode_row(&table, row, &mut line)?;
            fnv.update(&line);
            buffer.extend_from_slice(&line);
            count += 1;
            if buffer.len() >= 1 << 16 {
                writer.write_all(&buffer).map_err(write_error)?;
                buffer.clear();
            }
        }
        writer.write_all(&buffer).map_err(write_error)?;
        writer.finish().map_err(pg_error)?;
        if table.columns.iter().any(|(c, _)| c == "id") && table.key == ["id"] && count > 0 {
            // The identity goes on after the highest id copied.
            tx.execute(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('\"{0}\"', 'id'), (SELECT max(id) FROM \"{0}\"))",
                    table.name
                ),
                &[],
            )
            .map_err(pg_error)?;
        }
        let source = (count, fnv.hex());
        let copied = pg_checksum(&mut tx, &table)?;
        if source != copied {
            return Err(differs(name, source, copied));
        }
        let done = TableCopy {
            table: name.to_string(),
            rows: count,
            checksum: source.1,
        };
        progress(&done);
        copies.push(done);
    }
    tx.commit().map_err(pg_error)?;
    // Statistics for the planner now, not when autovacuum comes round: a
    // table just loaded has none, and the planner's guesses then walk
    // whole tables (a `run` on a fresh 100,000-contact demo took 6× as
    // long before its first analysis).
    let names: Vec<String> = TABLES.iter().map(|t| format!("\"{t}\"")).collect();
    pg.batch_execute(&format!("ANALYZE {}", names.join(", ")))
        .map_err(pg_error)?;
    Ok(copies)
}

/// Undoes COPY's text escapes in one field.
fn unescape(field: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        let b = field[i];
        if b != b'\\' || i + 1 == field.len() {
            out.push(b);
            i += 1;
            continue;
        }
        let next = field[i + 1];
        i += 2;
        match next {
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(0x0b),
            b'0'..=b'7' => {
                let mut value = u32::from(next - b'0');
                let mut digits = 1;
                while digits < 3 && i < field.len() && (b'0'..=b'7').contains(&field[i]) {
                    value = value * 8 + u32::from(field[i] - b'0');
                    i += 1;
                    digits += 1;
                }
                out.push(value as u8);
            }
            b'x' if i < field.len() && field[i].is_ascii_hexdigit() => {
                let mut value = 0u32;
                let mut digits = 0;
                while digits < 2 && i < field.len() && field[i].is_ascii_hexdigit() {
                    value = value * 16 + (field[i] as char).to_digit(16).unwrap();
                    i += 1;
                    digits += 1;
                }
                out.push(value as u8);
            }
            other => out.push(other),
        }
    }
    out
}

/// One COPY text line as SQLite values, by the columns' kinds.
fn decode_row(table: &Table, line: &[u8]) -> Result<Vec<Value>, DomainError> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let fields: Vec<&[u8]> = line.split(|&b| b == b'\t').collect();
    if fields.len() != table.columns.len() {
        return Err(DomainError::Storage(format!(
            "PostgreSQL sent a row of {} with {} fields for {} columns",
            table.name,
            fields.len(),
            table.columns.len()
        )));
    }
    let bad = |column: &str| {
        DomainError::Storage(format!(
            "PostgreSQL sent a value for {}.{column} that cannot be read",
            table.name
        ))
    };
    let mut values = Vec::with_capacity(fields.len());
    for (field, (column, kind)) in fields.into_iter().zip(&table.columns) {
        if field == b"\\N" {
            values.push(Value::Null);
            continue;
        }
        let raw = unescape(field);
        values.push(match kind {
            Kind::Int => Value::Integer(
                std::str::from_utf8(&raw)
                    .ok()
                    .and_then(|t| t.parse().ok())
                    .ok_or_else(|| bad(column))?,
            ),
            Kind::Text => Value::Text(String::from_utf8(raw).map_err(|_| bad(column))?),
            Kind::Bytes => {
                let hex = raw.strip_prefix(b"\\x").ok_or_else(|| bad(column))?;
                if hex.len() % 2 != 0 {
                    return Err(bad(column));
                }
                let mut bytes = Vec::with_capacity(hex.len() / 2);
                for pair in hex.chunks(2) {
                    let text = std::str::from_utf8(pair).map_err(|_| bad(column))?;
                    bytes.push(u8::from_str_radix(text, 16).map_err(|_| bad(column))?);
                }
                Value::Blob(bytes)
            }
        });
    }
    Ok(values)
}

/// Copies a PostgreSQL workspace into `dst`, a SQLite workspace just
/// created at [`SCHEMA_VERSION`] and holding no rows, in one transaction
/// on each side (PostgreSQL's a read-only snapshot); each table's copy is
/// checksummed against what PostgreSQL sent.
pub fn pg_to_sqlite(
    pg: &mut Client,
    dst: &mut Connection,
    mut progress: impl FnMut(&TableCopy),
) -> Result<Vec<TableCopy>, DomainError> {
    if sqlite_version(dst)? != SCHEMA_VERSION {
        return Err(DomainError::Storage(format!(
            "this seqtui writes SQLite schema {} but copies schema {SCHEMA_VERSION}",
            sqlite_version(dst)?
        )));
    }
    let mut src = pg
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(pg_error)?;
    let version: i64 = src
        .query_one("SELECT version FROM schema_version", &[])
        .map_err(|_| {
            DomainError::NotFound(
                "the PostgreSQL database holds no seqtui workspace (no schema_version)".into(),
            )
        })?
        .get(0);
    if version != SCHEMA_VERSION {
        return Err(DomainError::Storage(format!(
            "the PostgreSQL workspace is at schema {version} and this seqtui copies schema {SCHEMA_VERSION}"
        )));
    }
    let tx = dst.transaction()?;
    let mut copies = Vec::new();
    for name in copied_tables() {
        let table = table(name, &tx, &mut src)?;
        let placeholders = vec!["?"; table.columns.len()].join(", ");
        tx.execute(&format!("DELETE FROM \"{name}\""), [])?;
        let mut insert = tx.prepare(&format!(
            "INSERT INTO \"{name}\" ({}) VALUES ({placeholders})",
            table.column_list()
        ))?;
        let reader = src
            .copy_out(&format!("COPY ({}) TO STDOUT", table.pg_select()))
            .map_err(pg_error)?;
        let mut reader = BufReader::with_capacity(1 << 16, reader);
        let mut fnv = Fnv::new();
        let mut line = Vec::new();
        let mut count = 0u64;
        loop {
            line.clear();
            let n = reader
                .read_until(b'\n', &mut line)
                .map_err(|e| DomainError::Storage(format!("reading from PostgreSQL: {e}")))?;
            if n == 0 {
                break;
            }
            fnv.update(&line);
            insert.execute(rusqlite::params_from_iter(decode_row(&table, &line)?))?;
            count += 1;
        }
        drop(insert);
        let source = (count, fnv.hex());
        let copied = sqlite_checksum(&tx, &table)?;
        if source != copied {
            return Err(differs(name, source, copied));
        }
        let done = TableCopy {
            table: name.to_string(),
            rows: count,
            checksum: source.1,
        };
        progress(&done);
        copies.push(done);
    }
    tx.commit()?;
    src.commit().map_err(pg_error)?;
    Ok(copies)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_round_trip() {
        let text = b"a\\b\tc\nd\re\x08f\x0cg\x0bh \xc3\xa9";
        let mut out = Vec::new();
        escape(text, &mut out);
        assert!(!out.contains(&b'\n') && !out.contains(&b'\t'));
        assert_eq!(unescape(&out), text.to_vec());
        assert_eq!(unescape(b"\\101\\x42\\\\"), b"AB\\".to_vec());
    }
}
