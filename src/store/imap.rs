//! Where `ingest imap://…` left off in each mailbox: the UIDVALIDITY it
//! saw and the highest UID it applied (table `imap_state`).

use super::db::{Connection, OptionalExtension};
use rusqlite::params;

use crate::domain::*;

/// `(uidvalidity, last_uid)` of `mailbox` at `source`, if ever read.
pub fn cursor(conn: &Connection, source: &str, mailbox: &str) -> Result<Option<(u32, u32)>> {
    Ok(conn
        .prepare_cached(
            "SELECT uidvalidity, last_uid FROM imap_state WHERE source = ?1 AND mailbox = ?2",
        )?
        .query_row(params![source, mailbox], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// Record that every message of `mailbox` up to `last_uid` (under
/// `uidvalidity`) has been applied.
pub fn set_cursor(
    conn: &Connection,
    source: &str,
    mailbox: &str,
    uidvalidity: u32,
    last_uid: u32,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO imap_state (source, mailbox, uidvalidity, last_uid) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (source, mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity,
             last_uid = excluded.last_uid",
    )?
    .execute(params![source, mailbox, uidvalidity, last_uid])?;
    Ok(())
}
