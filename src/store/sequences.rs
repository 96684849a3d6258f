//! The SQL of sequences as files (R17): a sequence's full definition and
//! settings, its versions, rewriting its steps, and the scheduled steps of
//! its open enrollments that an edit moves, adds or cancels. Nothing here
//! decides a rule; `crate::domain::sequences` does.

use super::db::{Connection, OptionalExtension};
use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{format_time, parse_time};
use crate::domain::{Result, Step};

/// A sequence's row with every setting.
#[derive(Debug, Clone)]
pub struct SequenceRow {
    pub id: i64,
    pub name: String,
    pub owner_id: i64,
    pub owner_email: String,
    pub archived: bool,
    pub unenroll_colleagues: bool,
    pub pause_on_ooo: bool,
    pub window_start: String,
    pub window_end: String,
    pub sending_days: String,
    pub time_zone: String,
    pub revision: i64,
}

pub fn sequence_row(conn: &Connection, id: i64) -> Result<Option<SequenceRow>> {
    Ok(conn
        .prepare_cached(
            "SELECT s.id, s.name, s.owner_id, u.email, s.archived, s.unenroll_colleagues,
                s.pause_on_ooo, s.window_start, s.window_end, s.sending_days, s.time_zone,
                s.revision
             FROM sequences s JOIN users u ON u.id = s.owner_id WHERE s.id = ?1",
        )?
        .query_row([id], |r| {
            Ok(SequenceRow {
                id: r.get(0)?,
                name: r.get(1)?,
                owner_id: r.get(2)?,
                owner_email: r.get(3)?,
                archived: r.get(4)?,
                unenroll_colleagues: r.get(5)?,
                pause_on_ooo: r.get(6)?,
                window_start: r.get(7)?,
                window_end: r.get(8)?,
                sending_days: r.get(9)?,
                time_zone: r.get(10)?,
                revision: r.get(11)?,
            })
        })
        .optional()?)
}

/// A sequence by its name only (any case), never by id: a file names it.
pub fn sequence_id_by_name(conn: &Connection, name: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT id FROM sequences WHERE name = ?1 COLLATE NOCASE")?
        .query_row([name.trim()], |r| r.get(0))
        .optional()?)
}

/// Writes a sequence's name, owner and settings.
#[allow(clippy::too_many_arguments)]
pub fn set_sequence(
    conn: &Connection,
    id: i64,
    name: &str,
    owner_id: i64,
    unenroll_colleagues: bool,
    pause_on_ooo: bool,
    window: (&str, &str),
    sending_days: &str,
    time_zone: &str,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE sequences SET name = ?2, owner_id = ?3, unenroll_colleagues = ?4,
            pause_on_ooo = ?5, window_start = ?6, window_end = ?7, sending_days = ?8,
            time_zone = ?9
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        name,
        owner_id,
        unenroll_colleagues,
        pause_on_ooo,
        window.0,
        window.1,
        sending_days,
        time_zone
    ])?;
    Ok(())
}

pub fn set_archived(conn: &Connection, id: i64, archived: bool) -> Result<()> {
    conn.prepare_cached("UPDATE sequences SET archived = ?2 WHERE id = ?1")?
        .execute(params![id, archived])?;
    Ok(())
}

/// One more edit of the steps: a step claimed before it is read again.
pub fn bump_revision(conn: &Connection, id: i64) -> Result<()> {
    conn.prepare_cached("UPDATE sequences SET revision = revision + 1 WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Takes every step of the sequence out of its numbering (`position =
/// -id`): the steps an edit keeps get their new position back with
/// [`update_step`]; the ones it removes stay out, as history.
pub fn park_steps(conn: &Connection, sequence_id: i64) -> Result<()> {
    conn.prepare_cached("UPDATE steps SET position = -id WHERE sequence_id = ?1 AND position > 0")?
        .execute([sequence_id])?;
    Ok(())
}

pub fn update_step(conn: &Connection, step: &Step) -> Result<()> {
    conn.prepare_cached(
        "UPDATE steps SET position = ?2, delay_days = ?3, subject = ?4, body = ?5, title = ?6
         WHERE id = ?1",
    )?
    .execute(params![
        step.id,
        step.position,
        step.delay_days,
        step.subject,
        step.body,
        step.title
    ])?;
    Ok(())
}

/// An open enrollment of a sequence, as an edit of its steps sees it.
#[derive(Debug, Clone)]
pub struct OpenProgress {
    pub id: i64,
    pub status: String,
    pub current_step: i64,
    pub enrolled_at: DateTime<Utc>,
}

pub fn open_progress(conn: &Connection, sequence_id: i64) -> Result<Vec<OpenProgress>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, status, current_step, enrolled_at FROM enrollments
         WHERE sequence_id = ?1 AND status IN ('active', 'paused') ORDER BY id",
    )?;
    let rows = stmt.query_map([sequence_id], |r| {
        Ok(OpenProgress {
            id: r.get(0)?,
            status: r.get(1)?,
            current_step: r.get(2)?,
            enrolled_at: parse_time(&r.get::<_, String>(3)?),
        })
    })?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// A scheduled step of an open enrollment.
#[derive(Debug, Clone)]
pub struct ScheduledRow {
    pub id: i64,
    pub enrollment_id: i64,
    pub step_id: i64,
    pub scheduled: bool,
    pub due_at: DateTime<Utc>,
}

/// Every scheduled step (any state) of the sequence's open enrollments,
/// by enrollment.
pub fn open_scheduled_rows(conn: &Connection, sequence_id: i64) -> Result<Vec<ScheduledRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT ss.id, ss.enrollment_id, ss.step_id, ss.state = 'scheduled', ss.due_at
         FROM enrollments e JOIN scheduled_steps ss ON ss.enrollment_id = e.id
         WHERE e.sequence_id = ?1 AND e.status IN ('active', 'paused')
         ORDER BY ss.enrollment_id, ss.id",
    )?;
    let rows = stmt.query_map([sequence_id], |r| {
        Ok(ScheduledRow {
            id: r.get(0)?,
            enrollment_id: r.get(1)?,
            step_id: r.get(2)?,
            scheduled: r.get(3)?,
            due_at: parse_time(&r.get::<_, String>(4)?),
        })
    })?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// How many open tasks the scheduled step `id` created (the task an
/// enrollment waits at, R18).
pub fn open_tasks_of(conn: &Connection, id: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM tasks WHERE scheduled_step_id = ?1 AND state = 'open'",
        )?
        .query_row([id], |r| r.get(0))?)
}

/// Removes the open tasks the scheduled step `id` created (its step was
/// removed from the sequence, R17), as an unenroll removes them (R3).
pub fn remove_open_tasks_of(conn: &Connection, id: i64) -> Result<usize> {
    Ok(conn
        .prepare_cached(
            "UPDATE tasks SET state = 'removed' WHERE scheduled_step_id = ?1 AND state = 'open'",
        )?
        .execute([id])?)
}

pub fn cancel_scheduled(conn: &Connection, id: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE scheduled_steps SET state = 'cancelled' WHERE id = ?1 AND state = 'scheduled'",
    )?
    .execute([id])?;
    super::sort_keys::refresh_of_step(conn, id)
}

/// Renumbers a scheduled step (its step moved) and sets its due time.
pub fn move_scheduled(
    conn: &Connection,
    id: i64,
    position: i64,
    due_at: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached("UPDATE scheduled_steps SET position = ?2, due_at = ?3 WHERE id = ?1")?
        .execute(params![id, position, format_time(due_at)])?;
    super::sort_keys::refresh_of_step(conn, id)
}

/// Renumbers an executed scheduled step (history keeps the new number).
pub fn renumber_scheduled(conn: &Connection, id: i64, position: i64) -> Result<()> {
    conn.prepare_cached("UPDATE scheduled_steps SET position = ?2 WHERE id = ?1")?
        .execute(params![id, position])?;
    Ok(())
}

pub fn set_current_step(conn: &Connection, enrollment_id: i64, step: i64) -> Result<()> {
    conn.prepare_cached("UPDATE enrollments SET current_step = ?2 WHERE id = ?1")?
        .execute(params![enrollment_id, step])?;
    Ok(())
}

/// Every step ran (the ones left were removed): the enrollment is finished.
pub fn finish(conn: &Connection, enrollment_id: i64, at: DateTime<Utc>) -> Result<()> {
    conn.prepare_cached(
        "UPDATE enrollments SET status = 'finished', ended_at = ?2, next_due = NULL
         WHERE id = ?1 AND status IN ('active', 'paused')",
    )?
    .execute(params![enrollment_id, format_time(at)])?;
    conn.prepare_cached("DELETE FROM engine_pauses WHERE enrollment_id = ?1")?
        .execute([enrollment_id])?;
    Ok(())
}

/// Open enrollments of a sequence, by id.
pub fn open_enrollments(conn: &Connection, sequence_id: i64) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM enrollments WHERE sequence_id = ?1 AND status IN ('active', 'paused')
         ORDER BY id",
    )?;
    let rows = stmt.query_map([sequence_id], |r| r.get(0))?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// How many open enrollments (active or paused) of a sequence stand at
/// each step: (position, count), for the steps screen.
pub fn waiting_by_step(conn: &Connection, sequence_id: i64) -> Result<Vec<(i64, i64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT current_step, COUNT(*) FROM enrollments
         WHERE sequence_id = ?1 AND status IN ('active', 'paused')
         GROUP BY current_step ORDER BY current_step",
    )?;
    let rows = stmt.query_map([sequence_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

// ------------------------------------------------------------ versions

/// One stored version of a sequence's definition.
#[derive(Debug, Clone)]
pub struct VersionRow {
    pub version: i64,
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    pub definition: String,
}

pub fn last_version(conn: &Connection, sequence_id: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT coalesce(max(version), 0) FROM sequence_versions WHERE sequence_id = ?1",
        )?
        .query_row([sequence_id], |r| r.get(0))?)
}

pub fn insert_version(
    conn: &Connection,
    sequence_id: i64,
    version: i64,
    at: DateTime<Utc>,
    actor_id: Option<i64>,
    audit_id: Option<i64>,
    definition: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sequence_versions(sequence_id, version, at, actor_id, audit_id, definition)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        sequence_id,
        version,
        format_time(at),
        actor_id,
        audit_id,
        definition
    ])?;
    Ok(())
}

pub fn versions(conn: &Connection, sequence_id: i64) -> Result<Vec<VersionRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT v.version, v.at, u.email, v.definition FROM sequence_versions v
         LEFT JOIN users u ON u.id = v.actor_id
         WHERE v.sequence_id = ?1 ORDER BY v.version",
    )?;
    let rows = stmt.query_map([sequence_id], |r| {
        Ok(VersionRow {
            version: r.get(0)?,
            at: parse_time(&r.get::<_, String>(1)?),
            actor: r.get(2)?,
            definition: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}
