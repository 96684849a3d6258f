//! The store: one SQLite file. Connection setup (WAL, foreign keys, busy
//! timeout), migrations, and every SQL statement the program runs. Nothing
//! outside this module writes SQL; nothing in here decides a rule.

pub mod baseline;
pub mod bounces;
pub mod browse;
pub mod bulk;
pub mod contact_records;
pub mod contacts;
pub mod db;
pub mod ending;
pub mod engine;
pub mod imap;
mod list_pages;
mod list_sql;
pub mod lists;
pub mod manage;
pub mod mine;
pub mod pg;
pub mod queries;
pub mod report;
pub mod run_record;
pub mod schema;
pub mod search_text;
pub mod sequences;
pub mod sort_keys;
pub mod tasks;
pub mod users;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{OpenFlags, TransactionBehavior};

pub use db::{Connection, Dialect, ROWS_PER_INSERT};

use crate::domain::DomainError;

/// The page cache of every connection, in MiB.
pub const PAGE_CACHE_MIB: u32 = 64;

/// Written into the file header (`PRAGMA application_id`) so that a SQLite
/// file made by another program is recognised and left alone. "SEQT".
pub const APPLICATION_ID: i32 = 0x5345_5154;

/// How long a writer waits for another process's transaction before giving
/// up. Long enough that concurrent CLI runs, the engine and the TUI queue
/// behind each other instead of failing.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// The same text form for every stored time: sortable, second precision.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn parse_time(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// What SQLite met, as a sentence about what failed. It never says what
/// was or was not saved: only the caller knows what it had committed (one
/// transaction: nothing; a run or a tidy-up: its earlier transactions).
pub(crate) fn db_error(e: rusqlite::Error) -> DomainError {
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        match f.code {
            rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked => {
                return DomainError::Busy;
            }
            rusqlite::ErrorCode::ReadOnly => {
                return DomainError::Storage("the workspace file is read-only".into());
            }
            rusqlite::ErrorCode::DiskFull => {
                return DomainError::Storage("the disk is full".into());
            }
            rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt => {
                return DomainError::Storage("the workspace file is damaged".into());
            }
            rusqlite::ErrorCode::SystemIoFailure => {
                return DomainError::Storage(
                    "the workspace file could not be read or written (disk I/O error: is the disk full?)"
                        .into(),
                );
            }
            rusqlite::ErrorCode::CannotOpen => {
                return DomainError::Storage(
                    "the workspace file or its -wal/-shm companions could not be opened (is its folder read-only?)"
                        .into(),
                );
            }
            // A trigger's RAISE: its message is words its author wrote.
            rusqlite::ErrorCode::ConstraintViolation
                if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_TRIGGER =>
            {
                let message = e.to_string();
                return DomainError::Storage(format!(
                    "the workspace refused the change ({message})"
                ));
            }
            rusqlite::ErrorCode::ConstraintViolation => {
                return DomainError::Storage(format!(
                    "a change broke one of the workspace's own rules ({}), a bug in seqtui; please report it",
                    constraint_kind(f.extended_code)
                ));
            }
            rusqlite::ErrorCode::Unknown if schema_mismatch(e.to_string().as_str()) => {
                return DomainError::Storage(SCHEMA_DIFFERS.into());
            }
            _ => {}
        }
    }
    match e {
        // Its message quotes the SQL: never shown.
        rusqlite::Error::SqlInputError { msg, .. } if schema_mismatch(&msg) => {
            DomainError::Storage(SCHEMA_DIFFERS.into())
        }
        rusqlite::Error::SqlInputError { .. } => {
            DomainError::Storage("seqtui asked the workspace a question it could not read, a bug in seqtui; please report it".into())
        }
        e => DomainError::Storage(format!("the workspace file could not be used ({e})")),
    }
}

/// When the file's tables are not those of its schema version (changed by
/// hand, by another program, or a version number set back).
const SCHEMA_DIFFERS: &str = "the workspace's tables are not the ones its schema version says (changed by another program or by hand?); seqtui cannot use it as it is";

/// SQLite's words for a table, column or index that is missing or already
/// there: the file's schema is not ours. (SQLite gives these one generic
/// code; its message is the only place that tells them apart.)
fn schema_mismatch(message: &str) -> bool {
    [
        "no such table",
        "no such column",
        "no such index",
        "duplicate column name",
    ]
    .iter()
    .any(|m| message.contains(m))
        || message.contains("already exists")
}

/// Which kind of constraint a constraint violation broke, in words.
fn constraint_kind(extended: std::ffi::c_int) -> &'static str {
    match extended {
        rusqlite::ffi::SQLITE_CONSTRAINT_CHECK => "a check",
        rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY => "a reference between tables",
        rusqlite::ffi::SQLITE_CONSTRAINT_NOTNULL => "a required value",
        rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY | rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE => {
            "a unique value"
        }
        _ => "a constraint",
    }
}

impl From<rusqlite::Error> for DomainError {
    fn from(e: rusqlite::Error) -> Self {
        db_error(e)
    }
}

impl From<db::Error> for DomainError {
    fn from(e: db::Error) -> Self {
        match e {
            db::Error::Sqlite(e) => db_error(e),
            db::Error::Postgres(e) => pg::pg_error(e),
            db::Error::NoRows => DomainError::Storage(
                "seqtui expected a row the workspace does not have, a bug in seqtui; please report it"
                    .into(),
            ),
            db::Error::Conversion(why) => DomainError::Storage(format!(
                "the workspace holds a value seqtui cannot read ({why})"
            )),
        }
    }
}

fn configure(conn: &rusqlite::Connection) -> Result<(), DomainError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.execute_batch(
        "PRAGMA foreign_keys = ON;
         PRAGMA synchronous = NORMAL;",
    )?;
    conn.pragma_update(None, "cache_size", -(i64::from(PAGE_CACHE_MIB) * 1024))?;
    Ok(())
}

/// Checks, without opening it through SQLite, that `path` is a seqtui
/// workspace: SQLite's magic header and our application id. Reading the
/// header changes nothing, so a foreign file is never touched.
fn check_header(path: &Path) -> Result<(), DomainError> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            DomainError::NoWorkspace(path.to_path_buf())
        } else {
            DomainError::Storage(format!("cannot read the workspace {shown}: {e}"))
        }
    })?;
    if meta.is_dir() {
        return Err(DomainError::Storage(format!(
            "{shown} is a directory, not a seqtui workspace file"
        )));
    }
    let mut header = [0u8; 100];
    let mut file = std::fs::File::open(path)
        .map_err(|e| DomainError::Storage(format!("cannot read the workspace {shown}: {e}")))?;
    let mut read = 0;
    while read < header.len() {
        match file.read(&mut header[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) => {
                return Err(DomainError::Storage(format!(
                    "cannot read the workspace {shown}: {e}"
                )));
            }
        }
    }
    if read < header.len() || &header[..16] != b"SQLite format 3\0" {
        return Err(DomainError::Storage(format!(
            "{shown} is not a seqtui workspace (it is not a SQLite database); it was left untouched"
        )));
    }
    let app_id = i32::from_be_bytes([header[68], header[69], header[70], header[71]]);
    if app_id != APPLICATION_ID {
        return Err(DomainError::Storage(format!(
            "{shown} is a SQLite database but not a seqtui workspace; it was left untouched"
        )));
    }
    if let Some(expected) = header_length(&header)
        && meta.len() < expected
        && !has_wal(path)
    {
        return Err(damaged(path));
    }
    Ok(())
}

/// How long the main file must be by its header: page size × page count.
/// `None` when the header's count is not to be trusted: SQLite keeps it
/// valid only while the "version-valid-for" number (offset 92) equals the
/// change counter (offset 24), and a zero count means "use the file size".
fn header_length(header: &[u8; 100]) -> Option<u64> {
    let be32 = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536,
        n => u64::from(n),
    };
    let pages = u64::from(be32(28));
    let valid = pages > 0
        && be32(92) == be32(24)
        && (512..=65_536).contains(&page_size)
        && page_size.is_power_of_two();
    valid.then_some(page_size * pages)
}

/// Whether a non-empty `-wal` lies beside the file. Its commits are not in
/// the main file yet, and a checkpoint interrupted after writing page 1
/// may leave the main file shorter than its header says until the WAL is
/// replayed; then SQLite, not the header, knows the length.
fn has_wal(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_os_string();
    wal.push("-wal");
    std::fs::metadata(wal).is_ok_and(|m| m.len() > 0)
}

/// The sentence for a workspace file that is not whole.
fn damaged(path: &Path) -> DomainError {
    DomainError::Storage(format!(
        "the workspace file {} is damaged (truncated or overwritten); it was left untouched",
        path.display()
    ))
}

/// An error met while opening a workspace, as a sentence naming the file:
/// what the store says in general ("the workspace file is damaged") said
/// about this file.
fn open_error(e: DomainError, path: &Path) -> DomainError {
    let shown = path.display();
    match e {
        DomainError::Storage(message) => {
            let sentence = match message.as_str() {
                "the workspace file is damaged" => return damaged(path),
                "the workspace file is read-only" => format!(
                    "the workspace file {shown} is read-only, and seqtui needs to write to it even to read it; it was left untouched"
                ),
                m if m.contains(&shown.to_string()) => message,
                m => format!("cannot open the workspace {shown}: {m}"),
            };
            DomainError::Storage(sentence)
        }
        other => other,
    }
}

/// One workspace setting of the file at `path`, read without migrating or
/// writing anything: for deciding about a file before replacing it. `None`
/// when the setting is not there; an error when the file is not a whole
/// seqtui workspace.
pub fn peek_setting(path: &Path, key: &str) -> Result<Option<String>, DomainError> {
    check_header(path)?;
    let read = || -> Result<Option<String>, DomainError> {
        // Read-write (not read-only) so that closing removes the -wal and
        // -shm files that opening makes; nothing is written.
        let conn = rusqlite::Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        queries::setting(&conn.into(), key)
    };
    read().map_err(|e| open_error(e, path))
}

/// A plain connection to a workspace's database, without its schema
/// checked or migrated: for tests and tools that read what the domain
/// wrote.
pub fn connect(location: &Path) -> Result<Connection, DomainError> {
    if let Some(url) = postgres_url(location) {
        return Ok(Connection::postgres(pg::connect(url)?)?);
    }
    let conn = rusqlite::Connection::open(location)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn.into())
}

/// The PostgreSQL URL a workspace location is, when it is one. A location
/// is a path or a `postgres://` URL, carried in the same `Path` (so that
/// every place that passes a workspace's location on — the TUI's workers,
/// the CLI's session — works for both without knowing which).
pub fn postgres_url(location: &Path) -> Option<&str> {
    location.to_str().filter(|s| pg::is_url(s))
}

/// [`Store::set_auto_checkpoint`] on a connection (or an open
/// transaction's); nothing on PostgreSQL.
pub fn auto_checkpoint(conn: &Connection, on: bool) -> Result<(), DomainError> {
    let pages = if on { 1000 } else { 0 };
    if let Some(c) = conn.sqlite() {
        c.query_row(&format!("PRAGMA wal_autocheckpoint = {pages}"), [], |_| {
            Ok(())
        })?;
    }
    Ok(())
}

/// Brings a SQLite file's schema to this binary's version, in one
/// transaction.
fn migrate(conn: &mut rusqlite::Connection) -> Result<(), DomainError> {
    let migrations = schema::migrations();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (index, sql) in migrations.iter().enumerate().skip(version as usize) {
        tx.execute_batch(sql)?;
        if let Some(step) = schema::rust_step(sql) {
            step(&tx)?;
        }
        tx.pragma_update(None, "user_version", (index + 1) as i64)?;
    }
    tx.commit()?;
    Ok(())
}

impl Store {
    /// Opens an existing workspace, migrating an older schema forward. A
    /// missing file, a foreign file, a newer schema, a damaged (truncated)
    /// file or one that cannot be written is refused untouched, with one
    /// sentence naming the file.
    pub fn open(path: &Path) -> Result<Store, DomainError> {
        if let Some(url) = postgres_url(path) {
            return Ok(Store {
                conn: pg::open(url)?,
                path: path.to_path_buf(),
            });
        }
        check_header(path)?;
        Store::open_checked(path).map_err(|e| open_error(e, path))
    }

    fn open_checked(path: &Path) -> Result<Store, DomainError> {
        let conn = rusqlite::Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        configure(&conn)?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let known = schema::migrations().len() as i64;
        if version > known {
            return Err(DomainError::Storage(format!(
                "{} was written by a newer seqtui (schema {version}, this binary knows {known}); upgrade seqtui to open it",
                path.display()
            )));
        }
        let mut conn = conn;
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))?;
        }
        migrate(&mut conn)?;
        Ok(Store {
            conn: conn.into(),
            path: path.to_path_buf(),
        })
    }

    /// Creates a new, empty workspace file with the current schema. Fails
    /// when the file exists.
    pub fn create(path: &Path) -> Result<Store, DomainError> {
        if let Some(url) = postgres_url(path) {
            return Ok(Store {
                conn: pg::create(url)?,
                path: path.to_path_buf(),
            });
        }
        if path.is_dir() {
            return Err(DomainError::Invalid(format!(
                "{} is a directory; give the path of a workspace file",
                path.display()
            )));
        }
        if path.exists() {
            return Err(DomainError::Invalid(format!(
                "{} already exists",
                path.display()
            )));
        }
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                DomainError::Storage(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let mut conn = rusqlite::Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| DomainError::Storage(format!("cannot create {}: {e}", path.display())))?;
        configure(&conn)?;
        conn.pragma_update(None, "application_id", APPLICATION_ID)?;
        conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))?;
        migrate(&mut conn)?;
        Ok(Store {
            conn: conn.into(),
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the database server closed this store's connection (see
    /// [`Connection::is_lost`]).
    pub fn is_lost(&self) -> bool {
        self.conn.is_lost()
    }

    /// A new store on the same workspace, to replace this one when its
    /// connection was lost; its `data_version` moves on from this one's.
    pub fn reopen(&self) -> Result<Store, DomainError> {
        let store = Store::open(&self.path)?;
        store.conn.follow(&self.conn);
        Ok(store)
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Starts a write transaction that takes the write lock at once, so two
    /// processes never deadlock upgrading a read lock.
    pub fn write(&mut self) -> Result<db::Transaction<'_>, DomainError> {
        Ok(self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?)
    }

    /// Turns SQLite's automatic checkpoint after each commit off (`false`)
    /// or back on. A large write turns it off so that copying its pages
    /// into the main file is not part of the time a person waits for it;
    /// the next commit on this connection (with it back on) does it.
    pub fn set_auto_checkpoint(&self, on: bool) -> Result<(), DomainError> {
        auto_checkpoint(&self.conn, on)
    }

    /// [`Store::sqlite`], to write through it.
    pub fn sqlite_mut(&mut self) -> Result<&mut rusqlite::Connection, DomainError> {
        self.conn.sqlite_mut().ok_or_else(|| {
            DomainError::Invalid(
                "this works on a SQLite workspace file only, not on PostgreSQL".into(),
            )
        })
    }

    /// The SQLite connection of a workspace file, for the bulk writers
    /// that only exist for SQLite (the demo's builder, the copy of
    /// `migrate`); refused on PostgreSQL.
    pub fn sqlite(&self) -> Result<&rusqlite::Connection, DomainError> {
        self.conn.sqlite().ok_or_else(|| {
            DomainError::Invalid(
                "this works on a SQLite workspace file only, not on PostgreSQL".into(),
            )
        })
    }

    /// Turns SQLite's foreign-key enforcement on this connection on or off.
    /// Takes effect only outside a transaction.
    pub fn set_foreign_keys(&self, on: bool) -> Result<(), DomainError> {
        if let Some(c) = self.conn.sqlite() {
            c.pragma_update(None, "foreign_keys", on)?;
        }
        Ok(())
    }

    /// Sets SQLite's page cache of this connection, in MiB (the default is
    /// [`PAGE_CACHE_MIB`]); a smaller size gives the memory back.
    pub fn set_page_cache(&self, mebibytes: u32) -> Result<(), DomainError> {
        if let Some(c) = self.conn.sqlite() {
            c.pragma_update(None, "cache_size", -(i64::from(mebibytes) * 1024))?;
        }
        Ok(())
    }

    /// Changes whenever another connection commits to the file: the cheap
    /// poll the TUI uses to notice work done by other processes.
    pub fn data_version(&self) -> Result<i64, DomainError> {
        Ok(self.conn.data_version()?)
    }
}
