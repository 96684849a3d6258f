//! The SQL of "mine" (issue 15): what one user's own enrollments did by
//! themselves since a point in the audit log, the newest audit entries
//! about them, and the sequences a user owns or enrolled someone in.
//! Nothing here decides a rule; `crate::domain::mine` does.

use super::db::Connection;
use rusqlite::params;

use crate::domain::*;

/// One enrollment an automatic unenroll (an audit entry without an actor)
/// ended, as the notice names it.
#[derive(Debug, Clone)]
pub struct AutomaticEndRow {
    pub audit_id: i64,
    pub enrollment_id: i64,
    pub contact_email: String,
    pub first_name: String,
    pub last_name: String,
    pub sequence: String,
    pub reason: Option<String>,
}

/// The newest audit entry's id (0 for an empty log).
pub fn last_audit_id(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT coalesce(max(id), 0) FROM audit")?
        .query_row([], |r| r.get(0))?)
}

/// Enrollments enrolled by `user` that an automatic unenroll with an
/// audit id in `(after, upto]` ended, oldest first, at most `limit`.
pub fn automatic_ends(
    conn: &Connection,
    user: i64,
    after: i64,
    upto: i64,
    limit: usize,
) -> Result<Vec<AutomaticEndRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.id, e.id, c.email, c.first_name, c.last_name, s.name, a.reason
         FROM audit a
         JOIN audit_enrollments ae ON ae.audit_id = a.id
         JOIN enrollments e ON e.id = ae.enrollment_id
         JOIN contacts c ON c.id = e.contact_id
         JOIN sequences s ON s.id = e.sequence_id
         WHERE a.id > ?1 AND a.id <= ?2 AND a.actor_id IS NULL AND a.action = 'unenroll'
           AND e.enrolled_by = ?3
         ORDER BY a.id, e.id LIMIT ?4",
    )?;
    let rows = stmt.query_map(params![after, upto, user, limit as i64], |r| {
        Ok(AutomaticEndRow {
            audit_id: r.get(0)?,
            enrollment_id: r.get(1)?,
            contact_email: r.get(2)?,
            first_name: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
            last_name: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
            sequence: r.get(5)?,
            reason: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// The sequences `user` owns or has enrolled at least one contact in.
pub fn my_sequence_ids(conn: &Connection, user: i64) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM sequences WHERE owner_id = ?1
         UNION SELECT DISTINCT sequence_id FROM enrollments WHERE enrolled_by = ?1",
    )?;
    let rows = stmt.query_map([user], |r| r.get(0))?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}
