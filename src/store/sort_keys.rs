//! The two columns an enrollment list is sorted by that are derived from
//! other tables (migration 19): `enrollments.next_due`, the due time of
//! the first step still scheduled while the enrollment is open, and
//! `enrollments.last_engagement`, the time of its latest open, click,
//! reply or booked meeting. Every store function that schedules, moves,
//! runs or cancels a step, changes a status or records an event calls one
//! of these in the same transaction, so the columns always equal a
//! recomputation from `scheduled_steps` and `events` ([`drift`] says where
//! they do not, for the tests).

use super::db::{Connection, OptionalExtension};
use chrono::{DateTime, Utc};
use rusqlite::params;

use super::format_time;
use crate::domain::Result;

/// `next_due` recomputed for the row `enrollments` being updated.
macro_rules! next_due_of {
    () => {
        "CASE WHEN enrollments.status IN ('active', 'paused') THEN
            (SELECT min(ss.due_at) FROM scheduled_steps ss
             WHERE ss.enrollment_id = enrollments.id AND ss.state = 'scheduled') END"
    };
}

/// The event types that count as engagement (the lists' "Engaged").
pub const ENGAGEMENT: &[&str] = &["open", "click", "reply", "meeting_booked"];

/// Recomputes `next_due` of one enrollment: one read (the value and its
/// recomputation), and a write only when they differ (a write moves the
/// row's entries in two indexes).
pub fn refresh(conn: &Connection, enrollment_id: i64) -> Result<()> {
    let read: Option<(Option<String>, Option<String>)> = conn
        .prepare_cached(
            "SELECT e.next_due, CASE WHEN e.status IN ('active', 'paused') THEN
                (SELECT min(ss.due_at) FROM scheduled_steps ss
                 WHERE ss.enrollment_id = e.id AND ss.state = 'scheduled') END
             FROM enrollments e WHERE e.id = ?1",
        )?
        .query_row([enrollment_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some((stored, due)) = read
        && stored != due
    {
        conn.prepare_cached("UPDATE enrollments SET next_due = ?2 WHERE id = ?1")?
            .execute(params![enrollment_id, due])?;
    }
    Ok(())
}

/// Recomputes `next_due` of the enrollment a scheduled step belongs to.
pub fn refresh_of_step(conn: &Connection, scheduled_step_id: i64) -> Result<()> {
    let enrollment: Option<i64> = conn
        .prepare_cached("SELECT enrollment_id FROM scheduled_steps WHERE id = ?1")?
        .query_row([scheduled_step_id], |r| r.get(0))
        .optional()?;
    match enrollment {
        Some(id) => refresh(conn, id),
        None => Ok(()),
    }
}

/// Recomputes `next_due` of the enrollments staged in `temp.batch_ids`.
pub fn refresh_staged(conn: &Connection) -> Result<()> {
    refresh_where(conn, "SELECT id FROM temp.batch_ids")
}

/// Recomputes `next_due` of the enrollments whose ids `ids_sql` (a
/// statement of the store's, without parameters) selects, writing only
/// the rows where it differs.
pub fn refresh_where(conn: &Connection, ids_sql: &str) -> Result<()> {
    conn.prepare_cached(&format!(
        "UPDATE enrollments SET next_due = {next} WHERE id IN ({ids_sql}) AND next_due IS DISTINCT FROM {next}",
        next = next_due_of!(),
    ))?
    .execute([])?;
    Ok(())
}

/// Recomputes both columns of every enrollment (for a file whose rows were
/// written by hand, e.g. a test's set-up; the store's own writes keep them
/// exact as they go).
pub fn recompute_all(conn: &Connection) -> Result<()> {
    conn.execute_batch(concat!(
        "UPDATE enrollments SET next_due = ",
        next_due_of!(),
        ";
         UPDATE enrollments SET last_engagement = (SELECT max(ev.at) FROM events ev
            WHERE ev.enrollment_id = enrollments.id
              AND ev.type IN ('open', 'click', 'reply', 'meeting_booked'));"
    ))?;
    Ok(())
}

/// Records an event of `kind` at `at` on the enrollment's
/// `last_engagement` when it is an engagement later than the one there.
pub fn note_event(
    conn: &Connection,
    enrollment_id: Option<i64>,
    kind: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    let Some(id) = enrollment_id else {
        return Ok(());
    };
    if !ENGAGEMENT.contains(&kind) {
        return Ok(());
    }
    conn.prepare_cached(
        "UPDATE enrollments SET last_engagement = ?2
         WHERE id = ?1 AND (last_engagement IS NULL OR last_engagement < ?2)",
    )?
    .execute(params![id, format_time(at)])?;
    Ok(())
}

/// The enrollments whose `next_due` or `last_engagement` differ from a
/// recomputation from `scheduled_steps` and `events`: (id, stored
/// next_due, recomputed, stored last_engagement, recomputed). Empty when
/// the columns are exact.
#[allow(clippy::type_complexity)]
pub fn drift(
    conn: &Connection,
) -> Result<
    Vec<(
        i64,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    )>,
> {
    let mut stmt = conn.prepare(concat!(
        "SELECT id, next_due, due, last_engagement, engaged FROM (
            SELECT id, next_due, ",
        next_due_of!(),
        " AS due, last_engagement,
                (SELECT max(ev.at) FROM events ev WHERE ev.enrollment_id = enrollments.id
                    AND ev.type IN ('open', 'click', 'reply', 'meeting_booked')) AS engaged
            FROM enrollments) AS recomputed
         WHERE next_due IS DISTINCT FROM due OR last_engagement IS DISTINCT FROM engaged
         ORDER BY id"
    ))?;
    let rows = stmt.query_map([], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}
