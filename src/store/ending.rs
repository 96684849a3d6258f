//! Ending enrollments in a batch: staging the batch in `temp.batch_ids`,
//! what ending it cancels (R3), the end itself, the tidy queue that
//! cancels a large batch's steps and tasks afterwards, and the audit
//! entries that record each change with the enrollments it touched.

use super::db::{Connection, OptionalExtension};
use chrono::{DateTime, Utc};
use rusqlite::params;
use rusqlite::types::Value;

use super::queries::sorted_ids_json;
use super::{format_time, parse_time};
use crate::domain::*;

/// Loads the enrollments a change will touch into the connection's
/// `temp.batch_ids` table, with their status and step before the change.
pub fn stage_batch(conn: &Connection, ids: &[i64]) -> Result<()> {
    create_batch_table(conn)?;
    conn.prepare_cached(
        "INSERT INTO temp.batch_ids(id, before_status, before_step)
         SELECT id, status, current_step FROM enrollments
         WHERE id IN (SELECT CAST(value AS BIGINT) FROM json_each(?1))",
    )?
    .execute([sorted_ids_json(ids)])?;
    Ok(())
}

/// Like [`stage_batch`], for enrollments whose status and step the caller
/// read in this transaction already (no second pass over the table).
pub fn stage_keys(conn: &Connection, keys: &[EnrollmentKey]) -> Result<()> {
    create_batch_table(conn)?;
    let values: Vec<Value> = keys
        .iter()
        .flat_map(|k| {
            [
                Value::Integer(k.id),
                Value::Text(k.status.as_str().to_string()),
                Value::Integer(k.current_step),
            ]
        })
        .collect();
    conn.insert_rows(
        "INSERT INTO temp.batch_ids(id, before_status, before_step)",
        3,
        &values,
    )?;
    Ok(())
}

fn create_batch_table(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS batch_ids(
            id INTEGER PRIMARY KEY, before_status TEXT NOT NULL, before_step INTEGER NOT NULL);
         DELETE FROM temp.batch_ids;",
    )?;
    Ok(())
}

/// What ending enrollments cancels: scheduled automatic emails, scheduled
/// steps of every kind (emails included), open tasks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cancellations {
    pub emails: i64,
    pub steps: i64,
    pub tasks: i64,
}

/// What ending the staged enrollments would cancel (a dry run).
pub fn staged_cancellations(conn: &Connection) -> Result<Cancellations> {
    let (emails, steps): (i64, i64) = conn.query_row(
        "SELECT coalesce(sum(CASE WHEN kind = 'auto_email' THEN 1 ELSE 0 END), 0), count(*) FROM scheduled_steps
         WHERE state = 'scheduled' AND enrollment_id IN (SELECT id FROM temp.batch_ids)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let tasks: i64 = conn.query_row(
        "SELECT count(*) FROM tasks
         WHERE state = 'open' AND enrollment_id IN (SELECT id FROM temp.batch_ids)",
        [],
        |r| r.get(0),
    )?;
    Ok(Cancellations {
        emails,
        steps,
        tasks,
    })
}

pub struct EndChange<'a> {
    pub at: DateTime<Utc>,
    pub reason: EndReason,
    pub ended_by: Option<i64>,
    pub note: Option<&'a str>,
    pub batch: Option<&'a str>,
}

/// When the rows that follow from ending enrollments (their scheduled steps
/// and open tasks) are physically cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tidy {
    /// In the same transaction: the right choice for a handful of rows.
    Now,
    /// Later, by [`tidy_step`], for the batch of this audit entry. Readers
    /// already see those rows as cancelled (see the v3 migration).
    Later { audit_id: i64 },
}

/// R3 for every staged enrollment: ends it, cancels its scheduled steps and
/// removes its open tasks (now or, for a large batch, through the tidy
/// queue). Returns what it cancelled.
pub fn end_staged(conn: &Connection, change: &EndChange<'_>, tidy: Tidy) -> Result<Cancellations> {
    let at = format_time(change.at);
    let done = match tidy {
        Tidy::Now => {
            let mut done = Cancellations::default();
            let mut stmt = conn.prepare_cached(
                "UPDATE scheduled_steps SET state = 'cancelled'
                 WHERE state = 'scheduled' AND enrollment_id IN (SELECT id FROM temp.batch_ids)
                 RETURNING kind = 'auto_email'",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                done.steps += 1;
                if row.get::<_, bool>(0)? {
                    done.emails += 1;
                }
            }
            drop(rows);
            done.tasks = conn.execute(
                "UPDATE tasks SET state = 'removed'
                 WHERE state = 'open' AND enrollment_id IN (SELECT id FROM temp.batch_ids)",
                [],
            )? as i64;
            done
        }
        Tidy::Later { audit_id } => {
            let done = staged_cancellations(conn)?;
            conn.prepare_cached("INSERT INTO tidy_queue(audit_id) VALUES (?1)")?
                .execute([audit_id])?;
            done
        }
    };
    conn.execute(
        "UPDATE enrollments SET status = 'unenrolled', ended_at = ?1, end_reason = ?2,
            ended_by = ?3, note = ?4, batch = ?5, next_due = NULL
         WHERE id IN (SELECT id FROM temp.batch_ids)",
        params![
            at,
            change.reason.as_str(),
            change.ended_by,
            change.note,
            change.batch
        ],
    )?;
    Ok(done)
}

/// Physically cancels the scheduled steps and removes the open tasks of up
/// to `limit` enrollments of the oldest batch in the tidy queue, and
/// records how far it got. Only rows whose enrollment is still ended are
/// touched, so the result never differs from what readers already saw.
/// Returns how many enrollments it went through; 0 means the queue is empty.
pub fn tidy_step(conn: &Connection, limit: usize) -> Result<usize> {
    loop {
        let head: Option<(i64, i64)> = conn
            .prepare_cached(
                "SELECT audit_id, next_enrollment FROM tidy_queue ORDER BY audit_id LIMIT 1",
            )?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let Some((audit_id, next)) = head else {
            return Ok(0);
        };
        let ids: Vec<i64> = conn
            .prepare_cached(
                "SELECT enrollment_id FROM audit_enrollments
                 WHERE audit_id = ?1 AND enrollment_id >= ?2 ORDER BY enrollment_id LIMIT ?3",
            )?
            .query_map(params![audit_id, next, limit as i64], |r| r.get(0))?
            .collect::<super::db::Result<_>>()?;
        let Some(&last) = ids.last() else {
            conn.prepare_cached("DELETE FROM tidy_queue WHERE audit_id = ?1")?
                .execute([audit_id])?;
            continue;
        };
        let json = sorted_ids_json(&ids);
        conn.prepare_cached(
            "UPDATE scheduled_steps SET state = 'cancelled'
             WHERE state = 'scheduled' AND enrollment_id IN (SELECT CAST(value AS BIGINT) FROM json_each(?1))
               AND NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.id = scheduled_steps.enrollment_id
                               AND e.status IN ('active', 'paused'))",
        )?
        .execute([&json])?;
        conn.prepare_cached(
            "UPDATE tasks SET state = 'removed'
             WHERE state = 'open' AND enrollment_id IN (SELECT CAST(value AS BIGINT) FROM json_each(?1))
               AND EXISTS (SELECT 1 FROM enrollments e WHERE e.id = tasks.enrollment_id
                           AND e.status = 'unenrolled')",
        )?
        .execute([&json])?;
        if ids.len() < limit {
            conn.prepare_cached("DELETE FROM tidy_queue WHERE audit_id = ?1")?
                .execute([audit_id])?;
        } else {
            conn.prepare_cached("UPDATE tidy_queue SET next_enrollment = ?2 WHERE audit_id = ?1")?
                .execute(params![audit_id, last + 1])?;
        }
        return Ok(ids.len());
    }
}

/// How many enrollments of queued batches are still to be tidied.
pub fn tidy_pending(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM tidy_queue q JOIN audit_enrollments ae
             ON ae.audit_id = q.audit_id AND ae.enrollment_id >= q.next_enrollment",
        )?
        .query_row([], |r| r.get(0))?)
}

pub struct NewAudit<'a> {
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub action: &'a str,
    pub reason: Option<&'a str>,
    pub note: Option<&'a str>,
    pub detail: &'a str,
    pub count: i64,
}

/// Appends an audit entry and returns its id and batch id (`B<id>`).
/// Runs inside a write transaction, which holds the write lock, so the next
/// id cannot be taken by another process in between.
pub fn insert_audit(conn: &Connection, a: &NewAudit<'_>) -> Result<(i64, String)> {
    let id: i64 = conn.query_row("SELECT coalesce(max(id), 0) + 1 FROM audit", [], |r| {
        r.get(0)
    })?;
    let batch = format!("B{id}");
    conn.prepare_cached(
        "INSERT INTO audit(id, at, actor_id, action, reason, note, batch, detail, count)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        id,
        format_time(a.at),
        a.actor_id,
        a.action,
        a.reason,
        a.note,
        batch,
        a.detail,
        a.count
    ])?;
    Ok((id, batch))
}

/// Records which staged enrollments an audit entry touched.
pub fn audit_staged(conn: &Connection, audit_id: i64) -> Result<()> {
    audit_staged_as(conn, audit_id, None)
}

/// [`audit_staged`], recording `before` as every row's status before the
/// change instead of the staged one (undo stages the status to return to;
/// what they were before the undo is `unenrolled`).
pub fn audit_staged_as(conn: &Connection, audit_id: i64, before: Option<Status>) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit_enrollments(audit_id, enrollment_id, before_status, before_step)
         SELECT ?1, id, coalesce(?2, before_status), before_step FROM temp.batch_ids",
    )?
    .execute(params![audit_id, before.map(Status::as_str)])?;
    Ok(())
}

/// Records a single enrollment an audit entry touched.
pub fn audit_enrollment(
    conn: &Connection,
    audit_id: i64,
    enrollment_id: i64,
    before_status: Status,
    before_step: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit_enrollments(audit_id, enrollment_id, before_status, before_step)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        audit_id,
        enrollment_id,
        before_status.as_str(),
        before_step
    ])?;
    Ok(())
}

/// The newest audit entries since `since`, at most `limit`; with `mine`,
/// only those made by that user or naming an enrollment that user
/// enrolled (the Activity view's "mine" filter).
pub fn audit_entries(
    conn: &Connection,
    since: Option<DateTime<Utc>>,
    mine: Option<i64>,
    limit: usize,
) -> Result<Vec<AuditEntry>> {
    // JSON arrays of the first 1,000 enrollment ids and owner changes.
    let (ids, owners) = match conn.dialect() {
        super::Dialect::Sqlite => (
            "json_group_array(enrollment_id)",
            "json_group_array(json_object('id', id, 'email', email, 'before_owner', before))",
        ),
        super::Dialect::Postgres => (
            "coalesce(json_agg(enrollment_id)::text, '[]')",
            "coalesce(json_agg(json_build_object('id', id, 'email', email, 'before_owner', before))::text, '[]')",
        ),
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT a.id, a.at, u.email, a.action, a.reason, a.note, a.detail, a.count, a.batch,
            (SELECT {ids} FROM
                (SELECT enrollment_id FROM audit_enrollments ae WHERE ae.audit_id = a.id
                 LIMIT 1000) AS first_ids),
            (SELECT {owners}
               FROM (SELECT c.id, c.email, bo.email AS before
                     FROM audit_owners ao JOIN contacts c ON c.id = ao.contact_id
                     LEFT JOIN users bo ON bo.id = ao.before_owner_id
                     WHERE ao.audit_id = a.id ORDER BY ao.contact_id LIMIT 1000) AS first_owners)
         FROM audit a LEFT JOIN users u ON u.id = a.actor_id
         WHERE a.at >= ?1 AND (CAST(?3 AS BIGINT) IS NULL OR a.actor_id = ?3 OR EXISTS (
                SELECT 1 FROM audit_enrollments ae JOIN enrollments e ON e.id = ae.enrollment_id
                WHERE ae.audit_id = a.id AND e.enrolled_by = ?3))
         ORDER BY a.id DESC LIMIT ?2"
    ))?;
    let since = since.map(format_time).unwrap_or_default();
    let rows = stmt.query_map(params![since, limit as i64, mine], |r| {
        let id: i64 = r.get(0)?;
        let ids: String = r.get(9)?;
        let contacts: String = r.get(10)?;
        Ok(AuditEntry {
            id,
            at: parse_time(&r.get::<_, String>(1)?),
            actor: r.get(2)?,
            action: r.get(3)?,
            reason: r.get(4)?,
            note: r.get(5)?,
            batch: r.get(8)?,
            detail: r.get(6)?,
            count: r.get(7)?,
            enrollments: serde_json::from_str(&ids).unwrap_or_default(),
            contacts: serde_json::from_str(&contacts).unwrap_or_default(),
        })
    })?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}
