//! The store's one connection type, over either engine a workspace can live
//! in: a SQLite file (the embedded default) or a PostgreSQL database shared
//! by a team (beyond one host).
//!
//! **The boundary, decided.** The store is one set of functions written
//! against this [`Connection`]: an enum of the two engines' own connections
//! behind an API shaped like rusqlite's (`prepare_cached`, `query_map`,
//! `query_row`, `execute`, [`params!`](rusqlite::params), `Row::get`,
//! [`OptionalExtension`]). The domain, the CLI and the TUI only ever call
//! store functions, so they do not know which engine answers. The SQL is
//! written once where the two engines read the same text; [`Dialect`] lets
//! a store function choose its own text where they do not (migrations,
//! pragmas, date arithmetic, upserts on expression indexes). For
//! PostgreSQL a statement's text is adapted mechanically before it is
//! prepared (see [`pg_sql`]): `?N` and `?` placeholders become `$N`,
//! `temp.` becomes `pg_temp.`, `IS [NOT] ?` becomes `IS [NOT] DISTINCT
//! FROM $N`, `LIKE` becomes `ILIKE` (SQLite's LIKE ignores ASCII case),
//! `json_each(?N)` reads a JSON array, `instr` is `strpos`, and SQLite's
//! planner hints go.
//! Everything else is the store's job, in the store's files.
//!
//! Values cross the boundary as SQLite's dynamic values: parameters are
//! anything rusqlite can bind ([`rusqlite::ToSql`]), read back with
//! rusqlite's [`FromSql`]. A PostgreSQL parameter is converted to the type
//! the server asks for (an integer bound to a text column becomes its
//! digits), and a PostgreSQL cell becomes the SQLite value of the same
//! meaning (a boolean is 0 or 1, a numeric an integer when it is whole),
//! so each domain type has one conversion, not one per engine.
//!
//! Write transactions: on SQLite `BEGIN IMMEDIATE` takes the file's write
//! lock; on PostgreSQL a write transaction takes one transaction-scoped
//! advisory lock ([`WRITE_LOCK`]), so writers queue behind each other as
//! they do on a file and every rule the domain checks inside a write
//! transaction sees what it will change. Readers never wait.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use rusqlite::types::{FromSql, FromSqlError, Value, ValueRef};
use rusqlite::{ToSql, TransactionBehavior};

mod pg_sql;
mod transaction;
mod values;

pub use pg_sql::pg_sql;
use transaction::PART;
pub use transaction::Transaction;
use values::{PgCell, pg_params};

/// The advisory lock every PostgreSQL write transaction takes: "SEQT" and
/// a hash of the workspace's schema.
pub const WRITE_LOCK: i32 = 0x5345_5154;

/// Which engine a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// What went wrong talking to the engine.
#[derive(Debug)]
pub enum Error {
    Sqlite(rusqlite::Error),
    Postgres(postgres::Error),
    /// A query that must return a row returned none.
    NoRows,
    /// A cell could not be read as the type asked for, or a value could
    /// not be given to PostgreSQL as the type it asked for.
    Conversion(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Sqlite(e) => e.fmt(f),
            Error::Postgres(e) => match e.as_db_error() {
                Some(db) => f.write_str(db.message()),
                None => e.fmt(f),
            },
            Error::NoRows => f.write_str("the query returned no rows"),
            Error::Conversion(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for Error {}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::QueryReturnedNoRows => Error::NoRows,
            e => Error::Sqlite(e),
        }
    }
}

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Self {
        Error::Postgres(e)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `.optional()` on a one-row query: no row is `None`, not an error.
pub trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(Error::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A statement's parameters: what rusqlite's `params!`, `[a, b]`, `[]` and
/// [`params_from_iter`] give.
pub trait Params {
    /// Calls `f` with the parameters as rusqlite binds them.
    fn with<R>(&self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R;
}

impl Params for &[&dyn ToSql] {
    fn with<R>(&self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
        f(self)
    }
}

impl Params for [&(dyn ToSql + Send + Sync); 0] {
    fn with<R>(&self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
        f(&[])
    }
}

macro_rules! array_params {
    ($($n:literal)*) => {$(
        impl<T: ToSql> Params for [T; $n] {
            fn with<R>(&self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
                let refs: [&dyn ToSql; $n] = self.each_ref().map(|v| v as &dyn ToSql);
                f(&refs)
            }
        }
        impl<T: ToSql> Params for &[T; $n] {
            fn with<R>(&self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
                let refs: [&dyn ToSql; $n] = self.each_ref().map(|v| v as &dyn ToSql);
                f(&refs)
            }
        }
    )*};
}
array_params!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);

/// Parameters from an iterator (a list of values of one type).
pub struct ParamsFromIter<T>(Vec<T>);

pub fn params_from_iter<I>(iter: I) -> ParamsFromIter<I::Item>
where
    I: IntoIterator,
    I::Item: ToSql,
{
    ParamsFromIter(iter.into_iter().collect())
}

impl<T: ToSql> Params for ParamsFromIter<T> {
    fn with<R>(&self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
        let refs: Vec<&dyn ToSql> = self.0.iter().map(|v| v as &dyn ToSql).collect();
        f(&refs)
    }
}

/// Rows a multi-row insert on PostgreSQL carries at most
/// ([`Connection::insert_rows`]).
pub const ROWS_PER_INSERT: usize = 1000;

/// Parameters one statement binds at most: under both engines' limits
/// (SQLite 32,766, PostgreSQL 65,535).
const MAX_PARAMS: usize = 30_000;

/// A connection to a workspace's database.
pub struct Connection {
    inner: Inner,
}

enum Inner {
    Sqlite(rusqlite::Connection),
    Postgres(Box<PgConn>),
}

pub struct PgConn {
    client: RefCell<postgres::Client>,
    /// Prepared statements by the store's SQL text.
    cache: RefCell<HashMap<String, postgres::Statement>>,
    /// Whether a transaction is open (rusqlite's `is_autocommit`, inverted).
    in_transaction: Cell<bool>,
    /// Whether the open transaction took the write lock (its commit then
    /// tells the other sessions).
    writing: Cell<bool>,
    /// Whether a claim is open ([`Connection::begin_claim`]), and whether a
    /// transaction inside it wrote.
    claim: Cell<bool>,
    claim_wrote: Cell<bool>,
    /// This session's server process, to tell its own notices from others'.
    pid: i32,
    /// How many commits of other sessions this one has heard of.
    heard: Cell<i64>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("dialect", &self.dialect())
            .finish()
    }
}

impl From<rusqlite::Connection> for Connection {
    fn from(conn: rusqlite::Connection) -> Self {
        Connection {
            inner: Inner::Sqlite(conn),
        }
    }
}

/// The channel write transactions notify on commit (`NOTIFY seqtui`):
/// a session that listens hears the other sessions' changes at once.
pub const CHANNEL: &str = "seqtui";

impl Connection {
    /// Wraps a PostgreSQL client (which should `LISTEN` on [`CHANNEL`] for
    /// [`Connection::data_version`] to move).
    pub fn postgres(mut client: postgres::Client) -> Result<Connection> {
        let pid: i32 = client.query_one("SELECT pg_backend_pid()", &[])?.get(0);
        Ok(Connection {
            inner: Inner::Postgres(Box::new(PgConn {
                client: RefCell::new(client),
                cache: RefCell::new(HashMap::new()),
                in_transaction: Cell::new(false),
                writing: Cell::new(false),
                claim: Cell::new(false),
                claim_wrote: Cell::new(false),
                pid,
                heard: Cell::new(0),
            })),
        })
    }

    /// Whether the server closed this connection (a restart, a failover,
    /// an idle cut-off, a terminated session): nothing will work on it
    /// again, and a long-lived holder opens a new one. Never on SQLite.
    pub fn is_lost(&self) -> bool {
        match &self.inner {
            Inner::Sqlite(_) => false,
            Inner::Postgres(pg) => pg.client.borrow().is_closed(),
        }
    }

    /// Carries [`Connection::data_version`] over from the connection this
    /// one replaces, one further: whatever was committed while neither
    /// listened counts as a change for whoever compares the numbers.
    pub fn follow(&self, lost: &Connection) {
        if let (Inner::Postgres(new), Inner::Postgres(old)) = (&self.inner, &lost.inner) {
            new.heard.set(old.heard.get() + 1);
        }
    }

    /// A number that changes when another connection has committed a
    /// change since the last call: SQLite's `PRAGMA data_version`; on
    /// PostgreSQL the count of the other sessions' commit notices heard
    /// (read without waiting).
    pub fn data_version(&self) -> Result<i64> {
        match &self.inner {
            Inner::Sqlite(c) => Ok(c.query_row("PRAGMA data_version", [], |r| r.get(0))?),
            Inner::Postgres(pg) => {
                let mut client = pg.client.borrow_mut();
                let mut heard = pg.heard.get();
                {
                    // The client reads its socket only while it waits: a
                    // wait of a millisecond lets it take what has arrived
                    // (the non-blocking iterator would see nothing new).
                    let mut notices = client.notifications();
                    let mut it = notices.timeout_iter(std::time::Duration::from_millis(1));
                    while let Some(n) = fallible_iterator::FallibleIterator::next(&mut it)? {
                        if n.process_id() != pg.pid {
                            heard += 1;
                        }
                    }
                }
                pg.heard.set(heard);
                Ok(heard)
            }
        }
    }
}

impl Connection {
    pub fn dialect(&self) -> Dialect {
        match self.inner {
            Inner::Sqlite(_) => Dialect::Sqlite,
            Inner::Postgres(_) => Dialect::Postgres,
        }
    }

    /// The SQLite connection, for what only SQLite has (pragmas, the
    /// demo's and the import's bulk writers, the file copy of `migrate`).
    pub fn sqlite(&self) -> Option<&rusqlite::Connection> {
        match &self.inner {
            Inner::Sqlite(c) => Some(c),
            Inner::Postgres(_) => None,
        }
    }

    /// The SQLite connection, to write through it.
    pub fn sqlite_mut(&mut self) -> Option<&mut rusqlite::Connection> {
        match &mut self.inner {
            Inner::Sqlite(c) => Some(c),
            Inner::Postgres(_) => None,
        }
    }

    /// The PostgreSQL client, for what only PostgreSQL has (`COPY`,
    /// `LISTEN`); `None` on SQLite.
    pub fn with_postgres<R>(&self, f: impl FnOnce(&mut postgres::Client) -> R) -> Option<R> {
        match &self.inner {
            Inner::Sqlite(_) => None,
            Inner::Postgres(pg) => Some(f(&mut pg.client.borrow_mut())),
        }
    }

    pub fn prepare_cached(&self, sql: &str) -> Result<Statement<'_>> {
        match &self.inner {
            Inner::Sqlite(c) => Ok(Statement::Sqlite(c.prepare_cached(sql)?)),
            Inner::Postgres(pg) => Ok(Statement::Postgres {
                pg,
                stmt: pg.prepare(sql)?,
            }),
        }
    }

    /// Prepares without keeping the statement (for text built at run time).
    pub fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
        match &self.inner {
            Inner::Sqlite(c) => Ok(Statement::SqliteOnce(c.prepare(sql)?)),
            Inner::Postgres(pg) => Ok(Statement::Postgres {
                pg,
                stmt: pg.prepare(sql)?,
            }),
        }
    }

    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    pub fn query_row<T, P, F>(&self, sql: &str, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    /// Inserts rows of `width` values each (`values` holds them row after
    /// row) with `head`, an `INSERT INTO table(columns)` without its
    /// `VALUES`. SQLite runs one prepared statement per row (a function
    /// call each); PostgreSQL gets multi-row `VALUES` of up to
    /// [`ROWS_PER_INSERT`] rows, so a large batch costs a round trip per
    /// chunk rather than per row. Returns how many rows were inserted.
    pub fn insert_rows(&self, head: &str, width: usize, values: &[Value]) -> Result<usize> {
        assert!(
            width > 0 && values.len().is_multiple_of(width),
            "whole rows"
        );
        let row = format!("({})", vec!["?"; width].join(", "));
        if self.sqlite().is_some() {
            let mut stmt = self.prepare_cached(&format!("{head} VALUES {row}"))?;
            for r in values.chunks(width) {
                stmt.execute(params_from_iter(r))?;
            }
            return Ok(values.len() / width);
        }
        let per = ROWS_PER_INSERT.min(MAX_PARAMS / width).max(1);
        for chunk in values.chunks(per * width) {
            let rows = chunk.len() / width;
            let sql = format!("{head} VALUES {}", vec![row.as_str(); rows].join(", "));
            let mut stmt = if rows == per {
                self.prepare_cached(&sql)?
            } else {
                self.prepare(&sql)?
            };
            stmt.execute(params_from_iter(chunk))?;
        }
        Ok(values.len() / width)
    }

    /// Runs statements separated by `;`, without parameters.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match &self.inner {
            Inner::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Inner::Postgres(pg) => Ok(pg.client.borrow_mut().batch_execute(&pg_sql(sql))?),
        }
    }

    /// Opens a claim on PostgreSQL: a transaction whose reads may take
    /// transaction-level locks on what they return (see
    /// `store::engine::claim_due_steps`), so that sessions working one
    /// queue (several `run` workers) each take items the others have not.
    /// It takes no write lock; a transaction started while it is open is
    /// a savepoint in it (taking the write lock then, held to the claim's
    /// end), so the items stay claimed until [`Connection::end_claim`].
    /// Returns `false`, opening nothing, on SQLite: one writer at a time
    /// needs no claim.
    pub fn begin_claim(&self) -> Result<bool> {
        match &self.inner {
            Inner::Sqlite(_) => Ok(false),
            Inner::Postgres(pg) => {
                pg.client.borrow_mut().batch_execute("BEGIN")?;
                pg.in_transaction.set(true);
                pg.claim.set(true);
                pg.claim_wrote.set(false);
                Ok(true)
            }
        }
    }

    /// Ends the claim [`Connection::begin_claim`] opened: commits what its
    /// parts wrote (telling the other sessions) or rolls it all back, and
    /// releases what it claimed. Nothing on SQLite or without an open claim.
    pub fn end_claim(&self, commit: bool) -> Result<()> {
        if let Inner::Postgres(pg) = &self.inner
            && pg.claim.replace(false)
        {
            pg.in_transaction.set(false);
            let wrote = pg.claim_wrote.replace(false);
            let mut client = pg.client.borrow_mut();
            if commit && wrote {
                client.batch_execute(&format!("NOTIFY {CHANNEL}"))?;
            }
            client.batch_execute(if commit { "COMMIT" } else { "ROLLBACK" })?;
        }
        Ok(())
    }

    /// Whether no transaction is open on this connection.
    pub fn is_autocommit(&self) -> bool {
        match &self.inner {
            Inner::Sqlite(c) => c.is_autocommit(),
            Inner::Postgres(pg) => !pg.in_transaction.get(),
        }
    }

    /// Starts a transaction that reads (`Deferred`) or writes
    /// (`Immediate`, `Exclusive`: takes the write lock at once).
    pub fn transaction_with_behavior(
        &mut self,
        behavior: TransactionBehavior,
    ) -> Result<Transaction<'_>> {
        match &self.inner {
            Inner::Sqlite(c) => c.execute_batch(match behavior {
                TransactionBehavior::Deferred => "BEGIN DEFERRED",
                TransactionBehavior::Immediate => "BEGIN IMMEDIATE",
                TransactionBehavior::Exclusive => "BEGIN EXCLUSIVE",
                _ => "BEGIN IMMEDIATE",
            })?,
            Inner::Postgres(pg) if pg.claim.get() => {
                // Inside a claim: a part of its transaction, which keeps
                // the claimed items claimed (see `begin_claim`).
                {
                    let mut client = pg.client.borrow_mut();
                    client.batch_execute(&format!("SAVEPOINT {PART}"))?;
                    if !matches!(behavior, TransactionBehavior::Deferred) {
                        pg.claim_wrote.set(true);
                        take_write_lock(&mut client)?;
                    }
                }
                return Ok(Transaction::new(self, true));
            }
            Inner::Postgres(pg) => {
                let mut client = pg.client.borrow_mut();
                client.batch_execute("BEGIN")?;
                pg.in_transaction.set(true);
                let writing = !matches!(behavior, TransactionBehavior::Deferred);
                pg.writing.set(writing);
                if writing {
                    take_write_lock(&mut client)?;
                }
            }
        }
        Ok(Transaction::new(self, false))
    }

    /// A read transaction (a consistent snapshot on PostgreSQL only once
    /// something is read; SQLite's deferred transaction).
    pub fn transaction(&mut self) -> Result<Transaction<'_>> {
        self.transaction_with_behavior(TransactionBehavior::Deferred)
    }

    fn end(&self, sql: &str) -> Result<()> {
        match &self.inner {
            Inner::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Inner::Postgres(pg) => {
                pg.in_transaction.set(false);
                let notify = sql == "COMMIT" && pg.writing.replace(false);
                let mut client = pg.client.borrow_mut();
                if notify {
                    client.batch_execute(&format!("NOTIFY {CHANNEL}"))?;
                }
                Ok(client.batch_execute(sql)?)
            }
        }
    }
}

/// The workspace's write lock on PostgreSQL, held to the end of the
/// transaction: one lock per workspace, as a database may hold several
/// (one per schema).
fn take_write_lock(client: &mut postgres::Client) -> Result<()> {
    client.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))",
        &[&WRITE_LOCK],
    )?;
    Ok(())
}

impl PgConn {
    fn prepare(&self, sql: &str) -> Result<postgres::Statement> {
        if let Some(stmt) = self.cache.borrow().get(sql) {
            return Ok(stmt.clone());
        }
        let stmt = self.client.borrow_mut().prepare(&pg_sql(sql));
        if let Err(e) = &stmt {
            // The statement as PostgreSQL read it, for the log (never shown
            // to the person: their sentence comes from the error).
            tracing::debug!(error = %e, sql = %pg_sql(sql), "PostgreSQL refused a statement");
        }
        let stmt = stmt?;
        self.cache
            .borrow_mut()
            .insert(sql.to_string(), stmt.clone());
        Ok(stmt)
    }

    fn query(
        &self,
        stmt: &postgres::Statement,
        params: &[&dyn ToSql],
    ) -> Result<Vec<postgres::Row>> {
        let values = pg_params(params)?;
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = values
            .iter()
            .map(|v| v as &(dyn postgres::types::ToSql + Sync))
            .collect();
        Ok(self.client.borrow_mut().query(stmt, &refs)?)
    }

    fn execute(&self, stmt: &postgres::Statement, params: &[&dyn ToSql]) -> Result<usize> {
        let values = pg_params(params)?;
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = values
            .iter()
            .map(|v| v as &(dyn postgres::types::ToSql + Sync))
            .collect();
        Ok(self.client.borrow_mut().execute(stmt, &refs)? as usize)
    }
}

/// A prepared statement.
pub enum Statement<'c> {
    Sqlite(rusqlite::CachedStatement<'c>),
    SqliteOnce(rusqlite::Statement<'c>),
    Postgres {
        pg: &'c PgConn,
        stmt: postgres::Statement,
    },
}

/// What a statement is on its engine.
enum Target<'a, 'c> {
    Sqlite(&'a mut rusqlite::Statement<'c>),
    Postgres(&'c PgConn, &'a postgres::Statement),
}

impl<'c> Statement<'c> {
    fn target(&mut self) -> Target<'_, 'c> {
        match self {
            Statement::Sqlite(s) => Target::Sqlite(s),
            Statement::SqliteOnce(s) => Target::Sqlite(s),
            Statement::Postgres { pg, stmt } => Target::Postgres(pg, stmt),
        }
    }

    /// The SQLite statement, for binding parameters one by one in bulk
    /// writers (`raw_bind_parameter`); `None` on PostgreSQL.
    pub fn as_sqlite(&mut self) -> Option<&mut rusqlite::Statement<'c>> {
        match self {
            Statement::Sqlite(s) => Some(&mut **s),
            Statement::SqliteOnce(s) => Some(s),
            Statement::Postgres { .. } => None,
        }
    }

    /// How many columns the statement's rows have.
    pub fn column_count(&mut self) -> usize {
        match self.target() {
            Target::Sqlite(s) => s.column_count(),
            Target::Postgres(_, stmt) => stmt.columns().len(),
        }
    }

    pub fn execute<P: Params>(&mut self, params: P) -> Result<usize> {
        match self.target() {
            Target::Sqlite(s) => params.with(move |p| s.execute(p)).map_err(Error::from),
            Target::Postgres(pg, stmt) => params.with(|p| pg.execute(stmt, p)),
        }
    }

    /// The rows, read one by one as `f` maps them.
    pub fn query_map<T, P, F>(&mut self, params: P, f: F) -> Result<MappedRows<'_, F>>
    where
        P: Params,
        F: FnMut(&Row<'_>) -> Result<T>,
    {
        Ok(MappedRows {
            rows: self.query(params)?,
            f,
        })
    }

    pub fn query_row<T, P, F>(&mut self, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        let mut rows = self.query(params)?;
        match rows.next()? {
            Some(row) => f(&row),
            None => Err(Error::NoRows),
        }
    }

    /// Whether the query returns a row.
    pub fn exists<P: Params>(&mut self, params: P) -> Result<bool> {
        Ok(self.query(params)?.next()?.is_some())
    }

    pub fn query<P: Params>(&mut self, params: P) -> Result<Rows<'_>> {
        match self.target() {
            Target::Sqlite(s) => Ok(Rows::Sqlite(params.with(move |p| s.query(p))?)),
            Target::Postgres(pg, stmt) => {
                let rows = params.with(|p| pg.query(stmt, p))?;
                Ok(Rows::Postgres(rows.into_iter()))
            }
        }
    }
}

/// The rows of a query, read one at a time.
pub enum Rows<'s> {
    Sqlite(rusqlite::Rows<'s>),
    Postgres(std::vec::IntoIter<postgres::Row>),
}

impl Rows<'_> {
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Row<'_>>> {
        match self {
            Rows::Sqlite(rows) => Ok(rows.next()?.map(Row::Sqlite)),
            Rows::Postgres(rows) => Ok(rows.next().map(Row::PostgresOwned)),
        }
    }
}

/// The rows of a query mapped by a function, as an iterator.
pub struct MappedRows<'s, F> {
    rows: Rows<'s>,
    f: F,
}

impl<T, F> Iterator for MappedRows<'_, F>
where
    F: FnMut(&Row<'_>) -> Result<T>,
{
    type Item = Result<T>;
    fn next(&mut self) -> Option<Result<T>> {
        match self.rows.next() {
            Ok(Some(row)) => Some((self.f)(&row)),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

/// One row of a result.
pub enum Row<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    PostgresOwned(postgres::Row),
}

/// A column given by position.
pub trait ColumnIndex {
    fn index(self) -> usize;
}

impl ColumnIndex for usize {
    fn index(self) -> usize {
        self
    }
}

impl Row<'_> {
    /// The cell at `idx` as `T` (rusqlite's conversions on both engines).
    pub fn get<I: ColumnIndex, T: FromSql>(&self, idx: I) -> Result<T> {
        let idx = idx.index();
        match self {
            Row::Sqlite(r) => Ok(r.get(idx)?),
            Row::PostgresOwned(r) => {
                let cell: PgCell = r.try_get(idx)?;
                T::column_result(ValueRef::from(&cell.0)).map_err(|e| {
                    let why = match e {
                        FromSqlError::InvalidType => "a value of another type".to_string(),
                        FromSqlError::OutOfRange(v) => format!("{v}, out of range"),
                        e => e.to_string(),
                    };
                    Error::Conversion(format!(
                        "column {idx} ({}) held {why}",
                        r.columns()[idx].name()
                    ))
                })
            }
        }
    }

    /// The cell at `idx` as SQLite's dynamic value.
    pub fn get_value(&self, idx: usize) -> Result<Value> {
        self.get(idx)
    }
}
