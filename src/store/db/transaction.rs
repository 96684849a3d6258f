//! A transaction on either engine, or a part (a savepoint) of an open
//! claim (see [`Connection::begin_claim`]).

use std::ops::Deref;

use super::{Connection, Result};

/// The savepoint a transaction inside a claim is.
pub(super) const PART: &str = "seqtui_part";

/// An open transaction; rolled back when dropped without [`commit`].
///
/// [`commit`]: Transaction::commit
pub struct Transaction<'c> {
    conn: &'c mut Connection,
    done: bool,
    /// A part of an open claim (a savepoint): its end ends the part only.
    part: bool,
}

impl<'c> Transaction<'c> {
    pub(super) fn new(conn: &'c mut Connection, part: bool) -> Transaction<'c> {
        Transaction {
            conn,
            done: false,
            part,
        }
    }

    pub fn commit(mut self) -> Result<()> {
        self.finish(true)
    }

    pub fn rollback(mut self) -> Result<()> {
        self.finish(false)
    }

    fn finish(&mut self, commit: bool) -> Result<()> {
        self.done = true;
        match (self.part, commit) {
            (true, true) => self
                .conn
                .execute_batch(&format!("RELEASE SAVEPOINT {PART}")),
            (true, false) => self.conn.execute_batch(&format!(
                "ROLLBACK TO SAVEPOINT {PART}; RELEASE SAVEPOINT {PART}"
            )),
            (false, true) => self.conn.end("COMMIT"),
            (false, false) => self.conn.end("ROLLBACK"),
        }
    }
}

impl Deref for Transaction<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.finish(false);
        }
    }
}
