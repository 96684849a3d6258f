//! SQL of the manager tools: pause and resume (R14), undo (R15) and
//! ownership transfer (R10). Every function works on the enrollments staged
//! in `temp.batch_ids` (see [`super::queries::stage_keys`]) inside the
//! caller's write transaction.

use super::db::{Connection, OptionalExtension};
use chrono::{DateTime, Utc};
use rusqlite::params;

use super::queries::ids_json;
use super::{format_time, parse_time};
use crate::domain::*;

type Result<T, E = DomainError> = std::result::Result<T, E>;

/// Sets the staged enrollments that are `from` to `to`; returns how many.
pub fn set_status_staged(conn: &Connection, from: Status, to: Status) -> Result<usize> {
    let changed = conn
        .prepare_cached(
            "UPDATE enrollments SET status = ?2
             WHERE id IN (SELECT id FROM temp.batch_ids) AND status = ?1",
        )?
        .execute(params![from.as_str(), to.as_str()])?;
    super::sort_keys::refresh_staged(conn)?;
    Ok(changed)
}

/// Forgets the engine's out-of-office pauses of the staged enrollments (a
/// person resumed them).
pub fn clear_engine_pauses_staged(conn: &Connection) -> Result<()> {
    conn.prepare_cached(
        "DELETE FROM engine_pauses WHERE enrollment_id IN (SELECT id FROM temp.batch_ids)",
    )?
    .execute([])?;
    Ok(())
}

/// Moves the scheduled steps of each staged enrollment whose earliest
/// scheduled step is overdue at `now` later by that lateness, so the next
/// step is due now and the rest keep their spacing. Returns how many steps
/// moved. `next_due` must be exact for the staged enrollments before: it
/// is recomputed only for those whose steps moved.
pub fn reschedule_staged(conn: &Connection, now: DateTime<Utc>) -> Result<usize> {
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS shifts(enrollment_id INTEGER PRIMARY KEY, late INTEGER NOT NULL);
         DELETE FROM temp.shifts;",
    )?;
    conn.prepare_cached(
        "INSERT INTO temp.shifts(enrollment_id, late)
         SELECT enrollment_id, unixepoch(CAST(?1 AS TEXT)) - unixepoch(min(due_at)) FROM scheduled_steps
         WHERE state = 'scheduled' AND enrollment_id IN (SELECT id FROM temp.batch_ids)
         GROUP BY enrollment_id HAVING unixepoch(CAST(?1 AS TEXT)) - unixepoch(min(due_at)) > 0",
    )?
    .execute([format_time(now)])?;
    let moved = conn
        .prepare_cached(
            "UPDATE scheduled_steps
             SET due_at = strftime('%Y-%m-%dT%H:%M:%SZ', due_at, '+' || sh.late || ' seconds')
             FROM temp.shifts sh
             WHERE sh.enrollment_id = scheduled_steps.enrollment_id
               AND scheduled_steps.state = 'scheduled'",
        )?
        .execute([])?;
    // Only the enrollments whose steps moved have a new `next_due`.
    super::sort_keys::refresh_where(conn, "SELECT enrollment_id FROM temp.shifts")?;
    Ok(moved)
}

/// The audit entry that made a batch: id, time, actor and action.
pub struct BatchEntry {
    pub audit_id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub action: String,
}

pub fn batch_entry(conn: &Connection, batch: &str) -> Result<Option<BatchEntry>> {
    Ok(conn
        .prepare_cached("SELECT id, at, actor_id, action FROM audit WHERE batch = ?1")?
        .query_row([batch], |r| {
            Ok(BatchEntry {
                audit_id: r.get(0)?,
                at: parse_time(&r.get::<_, String>(1)?),
                actor_id: r.get(2)?,
                action: r.get(3)?,
            })
        })
        .optional()?)
}

/// The newest batch of `actor_id` made from `since` to `until` (either
/// bound left out when `None`) of the kinds undo takes: a manual unenroll,
/// an enroll, or a transfer that ended enrollments (only those carry a
/// reason). Undone or not.
pub fn last_undoable_batch(
    conn: &Connection,
    actor_id: i64,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> Result<Option<UndoCandidate>> {
    Ok(conn
        .prepare_cached(
            "SELECT batch, at, count, reason, detail, action FROM audit
             WHERE actor_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR at >= ?2)
               AND (CAST(?3 AS TEXT) IS NULL OR at <= ?3)
               AND (action IN ('unenroll', 'enroll') OR (action = 'transfer' AND reason IS NOT NULL))
             ORDER BY id DESC LIMIT 1",
        )?
        .query_row(params![actor_id, since.map(format_time), until.map(format_time)], |r| {
            Ok(UndoCandidate {
                batch: r.get(0)?,
                at: parse_time(&r.get::<_, String>(1)?),
                count: r.get(2)?,
                reason: r.get(3)?,
                detail: r.get(4)?,
                action: super::queries::parse_enum(&r.get::<_, String>(5)?, 5)?,
            })
        })
        .optional()?)
}

/// The contacts of the given enrollments (each once).
pub fn contacts_of_enrollments(conn: &Connection, ids: &[i64]) -> Result<Vec<i64>> {
    let json = ids_json(ids);
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT contact_id FROM enrollments
         WHERE id IN (SELECT CAST(value AS BIGINT) FROM json_each(?1)) ORDER BY contact_id",
    )?;
    let rows = stmt.query_map([json], |r| r.get(0))?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// Whether an undo of `batch` was already recorded.
pub fn undone(conn: &Connection, batch: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM audit WHERE action = 'undo' AND detail = ?1")?
        .query_row([batch], |r| r.get::<_, i64>(0))?
        > 0)
}

/// One enrollment of a batch, with what undo needs to decide about it.
pub struct BatchMember {
    pub enrollment_id: i64,
    pub before_status: Status,
    pub before_step: i64,
    /// Set when a transfer reassigned the enrollment: who enrolled it before.
    pub before_enrolled_by: Option<i64>,
    pub status: Status,
    pub current_step: i64,
    /// Whether any of its steps ran (an email sent, a task created).
    pub started: bool,
    pub enrolled_by: i64,
    pub owner_id: Option<i64>,
    /// The batch that last ended it (`None` while open).
    pub batch: Option<String>,
    pub contact_name: String,
    pub opted_out: bool,
    /// Whether the contact's address is the one a hard bounce marked
    /// undeliverable (R9).
    pub undeliverable: bool,
    /// The sequence of another open enrollment of the same contact.
    pub open_elsewhere: Option<String>,
}

pub fn batch_members(conn: &Connection, audit_id: i64) -> Result<Vec<BatchMember>> {
    let mut stmt = conn.prepare_cached(
        "SELECT ae.enrollment_id, ae.before_status, ae.before_step, e.status, e.batch,
            c.first_name, c.last_name, c.email, c.opted_out_at IS NOT NULL,
            (SELECT s.name FROM enrollments o JOIN sequences s ON s.id = o.sequence_id
              WHERE o.contact_id = e.contact_id AND o.id <> e.id
                AND o.status IN ('active', 'paused') LIMIT 1),
            ae.before_enrolled_by, e.current_step, e.enrolled_by, c.owner_id,
            EXISTS (SELECT 1 FROM scheduled_steps ss WHERE ss.enrollment_id = e.id
                    AND (ss.state IN ('sent', 'done') OR ss.executed_at IS NOT NULL)),
            c.undeliverable_email_key IS NOT NULL AND c.undeliverable_email_key = c.email_key
         FROM audit_enrollments ae
         JOIN enrollments e ON e.id = ae.enrollment_id
         JOIN contacts c ON c.id = e.contact_id
         WHERE ae.audit_id = ?1 ORDER BY ae.enrollment_id",
    )?;
    let rows = stmt.query_map([audit_id], |r| {
        let before: String = r.get(1)?;
        let status: String = r.get(3)?;
        Ok(BatchMember {
            enrollment_id: r.get(0)?,
            before_status: before.parse().unwrap_or(Status::Active),
            before_step: r.get(2)?,
            status: status.parse().unwrap_or(Status::Unenrolled),
            batch: r.get(4)?,
            contact_name: full_name(
                &r.get::<_, String>(5)?,
                &r.get::<_, String>(6)?,
                &r.get::<_, String>(7)?,
            ),
            opted_out: r.get(8)?,
            open_elsewhere: r.get(9)?,
            before_enrolled_by: r.get(10)?,
            current_step: r.get(11)?,
            enrolled_by: r.get(12)?,
            owner_id: r.get(13)?,
            started: r.get(14)?,
            undeliverable: r.get(15)?,
        })
    })?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// Undo for the staged enrollments: back to the status and step recorded
/// before the change, end fields cleared, the steps cancelled from that
/// step on scheduled again (whether or not tidying had cancelled them
/// physically yet) and the removed tasks open again. The caller
/// reschedules afterwards.
///
/// The steps come back first, so the one `UPDATE` of the enrollments also
/// sets their `next_due`: each row is written once (on PostgreSQL every
/// write of a row is a new version with an entry in each of the table's
/// indexes, and a second pass for `next_due` doubled an undo's time).
pub fn restore_staged(conn: &Connection) -> Result<usize> {
    conn.prepare_cached(
        "UPDATE scheduled_steps SET state = 'scheduled'
         FROM temp.batch_ids b
         WHERE b.id = scheduled_steps.enrollment_id AND scheduled_steps.state = 'cancelled'
           AND scheduled_steps.executed_at IS NULL AND scheduled_steps.position >= b.before_step
           AND (SELECT st.position FROM steps st WHERE st.id = scheduled_steps.step_id) > 0",
    )?
    .execute([])?;
    conn.prepare_cached(
        "UPDATE tasks SET state = 'open'
         WHERE state = 'removed' AND enrollment_id IN (SELECT id FROM temp.batch_ids)",
    )?
    .execute([])?;
    let restored = conn
        .prepare_cached(
            "UPDATE enrollments SET status = b.before_status, current_step = b.before_step,
                ended_at = NULL, end_reason = NULL, ended_by = NULL, note = NULL, batch = NULL,
                next_due = CASE WHEN b.before_status IN ('active', 'paused') THEN
                    (SELECT min(ss.due_at) FROM scheduled_steps ss
                     WHERE ss.enrollment_id = enrollments.id AND ss.state = 'scheduled') END
             FROM temp.batch_ids b WHERE b.id = enrollments.id AND enrollments.status = 'unenrolled'",
        )?
        .execute([])?;
    Ok(restored)
}

/// An open enrollment of a contact being transferred, for the preview.
#[derive(Debug, Clone)]
pub struct OpenEnrollment {
    pub key: EnrollmentKey,
    pub contact_id: i64,
    pub contact_email: String,
    pub sequence: String,
    pub enrolled_by: String,
    pub steps: i64,
    pub next_due_at: Option<DateTime<Utc>>,
}

/// The open enrollments of the given contacts.
pub fn open_enrollments_of(conn: &Connection, contact_ids: &[i64]) -> Result<Vec<OpenEnrollment>> {
    let json = ids_json(contact_ids);
    open_enrollments_where(
        conn,
        "e.contact_id IN (SELECT CAST(value AS BIGINT) FROM json_each(?1))",
        rusqlite::types::Value::Text(json),
    )
}

/// The open enrollments a user enrolled (a departing rep's, R10),
/// whoever owns their contacts; through the `enrollments_enrolled_by`
/// index.
pub fn open_enrollments_by(conn: &Connection, user_id: i64) -> Result<Vec<OpenEnrollment>> {
    open_enrollments_where(
        conn,
        "e.enrolled_by = ?1",
        rusqlite::types::Value::Integer(user_id),
    )
}

/// `which` is one of the fixed conditions above, with its one parameter.
fn open_enrollments_where(
    conn: &Connection,
    which: &str,
    value: rusqlite::types::Value,
) -> Result<Vec<OpenEnrollment>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT e.id, e.sequence_id, e.status, e.current_step, e.enrolled_by, c.owner_id,
            e.contact_id, c.email, s.name, u.email,
            (SELECT count(*) FROM steps st WHERE st.sequence_id = e.sequence_id AND st.position > 0),
            (SELECT min(ss.due_at) FROM scheduled_steps ss
              WHERE ss.enrollment_id = e.id AND ss.state = 'scheduled')
         FROM enrollments e
         JOIN contacts c ON c.id = e.contact_id
         JOIN sequences s ON s.id = e.sequence_id
         JOIN users u ON u.id = e.enrolled_by
         WHERE {which}
           AND e.status IN ('active', 'paused')
         ORDER BY c.sort_name, e.id"
    ))?;
    let rows = stmt.query_map([value], |r| {
        let status: String = r.get(2)?;
        Ok(OpenEnrollment {
            key: EnrollmentKey {
                id: r.get(0)?,
                sequence_id: r.get(1)?,
                status: status.parse().unwrap_or(Status::Active),
                end_reason: None,
                current_step: r.get(3)?,
                enrolled_by: r.get(4)?,
                owner_id: r.get(5)?,
            },
            contact_id: r.get(6)?,
            contact_email: r.get(7)?,
            sequence: r.get(8)?,
            enrolled_by: r.get(9)?,
            steps: r.get(10)?,
            next_due_at: r.get::<_, Option<String>>(11)?.map(|t| parse_time(&t)),
        })
    })?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// The contacts a user owns.
pub fn contacts_owned_by(conn: &Connection, user_id: i64) -> Result<Vec<i64>> {
    let mut stmt =
        conn.prepare_cached("SELECT id FROM contacts WHERE owner_id = ?1 ORDER BY id")?;
    let rows = stmt.query_map([user_id], |r| r.get(0))?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// Records, for an audit entry, each of the given contacts whose owner is
/// not `owner_id` yet, with its owner now (call before [`set_owner`]).
pub fn audit_owners(
    conn: &Connection,
    audit_id: i64,
    contact_ids: &[i64],
    owner_id: i64,
) -> Result<usize> {
    let json = ids_json(contact_ids);
    Ok(conn
        .prepare_cached(
            "INSERT INTO audit_owners(audit_id, contact_id, before_owner_id)
             SELECT ?1, id, owner_id FROM contacts
             WHERE id IN (SELECT CAST(value AS BIGINT) FROM json_each(?2)) AND owner_id IS NOT ?3
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![audit_id, json, owner_id])?)
}

/// How many contacts an audit entry gave a new owner.
pub fn owner_changes(conn: &Connection, audit_id: i64) -> Result<usize> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM audit_owners WHERE audit_id = ?1")?
        .query_row([audit_id], |r| r.get::<_, i64>(0))? as usize)
}

/// Records the staged enrollments a transfer reassigns, with the user who
/// enrolled each before (call before [`reassign_staged`]).
pub fn audit_reassign_staged(conn: &Connection, audit_id: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit_enrollments(audit_id, enrollment_id, before_status, before_step,
            before_enrolled_by)
         SELECT ?1, b.id, b.before_status, b.before_step, e.enrolled_by
         FROM temp.batch_ids b JOIN enrollments e ON e.id = b.id",
    )?
    .execute([audit_id])?;
    Ok(())
}

/// Gives the contacts a new owner; returns how many changed.
pub fn set_owner(conn: &Connection, contact_ids: &[i64], owner_id: i64) -> Result<usize> {
    let json = ids_json(contact_ids);
    Ok(conn
        .prepare_cached(
            "UPDATE contacts SET owner_id = ?2
             WHERE id IN (SELECT CAST(value AS BIGINT) FROM json_each(?1)) AND owner_id IS NOT ?2",
        )?
        .execute(params![json, owner_id])?)
}

/// Moves the staged enrollments to `user_id`: they send as that user from
/// now on, the tasks their steps create go to that user, and their open
/// tasks move too. Returns how many open tasks moved.
pub fn reassign_staged(conn: &Connection, user_id: i64) -> Result<usize> {
    conn.prepare_cached(
        "UPDATE enrollments SET enrolled_by = ?1, sender_id = ?1
         WHERE id IN (SELECT id FROM temp.batch_ids)",
    )?
    .execute([user_id])?;
    Ok(conn
        .prepare_cached(
            "UPDATE tasks SET owner_id = ?1
             WHERE state = 'open' AND enrollment_id IN (SELECT id FROM temp.batch_ids)",
        )?
        .execute([user_id])?)
}
