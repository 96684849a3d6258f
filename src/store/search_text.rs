//! `enrollments.search` (migration 20): the text a list's filter box
//! matches — the contact's "first last", email key and company, lower-cased
//! and joined by newlines — copied onto each enrollment, as `sort_name` is,
//! so that a text filter over one sequence reads the page index alone
//! (`enrollments_page`, `enrollments_status_page` carry it) instead of the
//! enrollment's row and its contact's per row: in the 1M demo's largest
//! sequence, a filter that matches nothing shows its empty page in 23 ms
//! (262 before) and every match's id in 72–79 ms (435–464). Every store
//! function that writes an enrollment or changes a
//! contact's name, email or company keeps it exact ([`drift`] says where it
//! is not, for the tests).
//!
//! The three parts are matched apart, as the contact condition does: a
//! needle holding a newline can span two of them here, so such a needle is
//! checked on the contact instead (`list_sql::contact_conditions`).

use rusqlite::params;

use super::db::Connection;
use crate::domain::Result;

/// The search text of the contact `c`, in SQL (the same on both engines).
macro_rules! search_text_of_contact {
    () => {
        "lower(c.first_name || ' ' || c.last_name) || '\n' || coalesce(c.email_key, lower(c.email)) || '\n' || lower(c.company)"
    };
}
pub(crate) use search_text_of_contact;

/// The separator of the three parts.
pub const SEPARATOR: char = '\n';

/// Copies a contact's sort name and search text onto its enrollments (after
/// its name, email or company changed), one write per enrollment.
pub fn copy_to_enrollments(conn: &Connection, contact_id: i64, sort_name: &str) -> Result<()> {
    conn.prepare_cached(concat!(
        "UPDATE enrollments SET sort_name = ?2, search = (SELECT ",
        search_text_of_contact!(),
        " FROM contacts c WHERE c.id = ?1) WHERE contact_id = ?1"
    ))?
    .execute(params![contact_id, sort_name])?;
    Ok(())
}

/// The enrollments whose search text differs from their contact's: (id,
/// stored, recomputed). Empty when the column is exact.
pub fn drift(conn: &Connection) -> Result<Vec<(i64, String, String)>> {
    let mut stmt = conn.prepare(concat!(
        "SELECT e.id, e.search, ",
        search_text_of_contact!(),
        " FROM enrollments e JOIN contacts c ON c.id = e.contact_id
         WHERE e.search <> ",
        search_text_of_contact!(),
        " ORDER BY e.id"
    ))?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}
