//! The SQL of the engine: due steps, claiming and recording executed steps,
//! the outbox journal, inbound matching (sent Message-IDs, contacts,
//! colleagues), engine pauses and sequence settings. Nothing here decides a
//! rule; `crate::domain::engine` does.

use super::db::{Connection, OptionalExtension};
use chrono::{DateTime, Utc};
use rusqlite::params;

use super::queries::ids_json;
use super::{format_time, parse_time};
use crate::domain::*;

fn texts_json(texts: &[String]) -> String {
    serde_json::to_string(texts).unwrap_or_else(|_| "[]".into())
}

/// One scheduled step that is due, with everything needed to execute it.
#[derive(Debug, Clone)]
pub struct DueRow {
    pub scheduled_step_id: i64,
    pub enrollment_id: i64,
    pub sequence_id: i64,
    pub sequence: String,
    pub position: i64,
    pub total_steps: i64,
    pub kind: String,
    pub due_at: DateTime<Utc>,
    pub subject: String,
    pub body: String,
    pub title: String,
    pub contact_id: i64,
    pub contact_email: String,
    pub first_name: String,
    pub last_name: String,
    pub company: String,
    pub enrolled_by: i64,
    pub sender_email: String,
    pub sender_name: String,
    /// Message-IDs this enrollment already sent, oldest first.
    pub earlier_messages: Vec<String>,
    /// The subject of the first email this enrollment sent.
    pub first_subject: Option<String>,
    /// The sequence's revision when the step was read: an edit of its
    /// steps in between makes the claim fail
    /// ([`Claim::Changed`](super::run_record::Claim::Changed)).
    pub revision: i64,
    /// The sender (a user id), whose daily cap the email counts toward.
    pub sender_id: i64,
    /// The sequence's sending window (R19): `HH:MM`, `HH:MM`,
    /// `mon,tue,…`, an IANA zone.
    pub window_start: String,
    pub window_end: String,
    pub sending_days: String,
    pub time_zone: String,
    /// The enrollment's List-Unsubscribe token, once it has one.
    pub unsubscribe_token: Option<String>,
    /// Where the walk is: the row's key in the due index.
    pub cursor: DueCursor,
}

/// A position in the due walk: (due time, due time before any deferral,
/// scheduled step id), as stored. The walk continues after it, so rows it
/// passed over (steps of paused enrollments, steps not yet current) are
/// read once per pass, not once per batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DueCursor {
    pub due_at: String,
    pub queued_at: String,
    pub id: i64,
}

/// The due walk's statement without its limit (see [`DUE_STEPS_SQL`]).
macro_rules! due_steps_walk {
    () => {
        "SELECT ss.id AS step_id, ss.enrollment_id, e.sequence_id, s.name, ss.position,
                (SELECT count(*) FROM steps WHERE sequence_id = e.sequence_id AND position > 0),
                ss.kind, ss.due_at, st.subject, st.body, st.title,
                c.id, c.email, c.first_name, c.last_name, c.company,
                e.enrolled_by, snd.email, snd.name,
                (SELECT json_group_array(message_id) FROM
                    (SELECT message_id FROM sent_emails WHERE enrollment_id = e.id ORDER BY id) AS sent),
                (SELECT subject FROM sent_emails WHERE enrollment_id = e.id ORDER BY id LIMIT 1),
                s.revision, e.sender_id, s.window_start, s.window_end, s.sending_days,
                s.time_zone, e.unsubscribe_token, ss.due_at, coalesce(ss.deferred_from, ss.due_at)
             FROM scheduled_steps ss INDEXED BY scheduled_steps_queue
             JOIN enrollments e ON e.id = ss.enrollment_id
             JOIN steps st ON st.id = ss.step_id
             JOIN contacts c ON c.id = e.contact_id
             JOIN users snd ON snd.id = e.sender_id
             JOIN sequences s ON s.id = e.sequence_id
             WHERE ss.state = 'scheduled' AND ss.due_at <= ?1
               AND (ss.due_at, coalesce(ss.deferred_from, ss.due_at), ss.id) > (?3, ?4, ?5)
               AND e.status = 'active' AND ss.position = e.current_step
               AND c.opted_out_at IS NULL
             ORDER BY ss.due_at, coalesce(ss.deferred_from, ss.due_at), ss.id"
    };
}

/// The due walk's statement (public for the query-plan test).
pub const DUE_STEPS_SQL: &str = concat!(due_steps_walk!(), " LIMIT ?2");

/// Due scheduled steps of active enrollments, oldest due first (equal due
/// times in the order they were due before a deferral, R19); only the
/// step an enrollment is at (`position = current_step`), so steps of one
/// enrollment run in order. With `after`, the walk continues past that
/// row of the `scheduled_steps_queue` index.
pub fn due_steps(
    conn: &Connection,
    now: DateTime<Utc>,
    after: Option<&DueCursor>,
    limit: usize,
) -> Result<Vec<DueRow>> {
    due_steps_with(conn, DUE_STEPS_SQL, now, after, limit)
}

/// [`due_steps`] as a claim: on PostgreSQL it opens one
/// ([`Connection::begin_claim`]) and takes each step it returns with a
/// transaction-level advisory lock, skipping the steps another session
/// holds, so that several `run` workers share the queue, each rendering
/// and recording its own batch; the caller ends the claim after recording
/// the batch. The locks are tried, never waited for, and lock no row: a
/// writer that cancels a claimed step (an unenroll) does not wait for the
/// run — the run's claim of the step then finds it cancelled — and no
/// lock order with the workspace's write lock can deadlock (row locks,
/// `FOR UPDATE SKIP LOCKED`, did: the run held a step's row and waited for
/// the write lock, an unenroll held that and waited for the row). Only
/// the steps returned are locked: the walk is a fenced subquery (`OFFSET
/// 0`) the lock's condition filters. On SQLite, where one writer runs at
/// a time, it is [`due_steps`].
pub fn claim_due_steps(
    conn: &Connection,
    now: DateTime<Utc>,
    after: Option<&DueCursor>,
    limit: usize,
) -> Result<Vec<DueRow>> {
    if !conn.begin_claim()? {
        return due_steps(conn, now, after, limit);
    }
    // The walk reads a few batches ahead, past the steps other workers
    // hold (each holds one batch).
    let sql = format!(
        "SELECT * FROM ({} LIMIT {} OFFSET 0) AS due
         WHERE pg_try_advisory_xact_lock(hashtext(current_schema()), CAST(due.step_id % 2147483647 AS INTEGER))
         LIMIT ?2",
        due_steps_walk!(),
        limit.saturating_mul(4).min(i64::MAX as usize)
    );
    let claimed = claim_still_scheduled(conn, &sql, now, after, limit);
    if claimed.is_err() {
        let _ = conn.end_claim(false);
    }
    claimed
}

/// The claim's walk, keeping only the steps still scheduled once locked.
/// The walk reads one snapshot: a step another worker recorded and
/// committed after it began, releasing its lock, is still due there and
/// its lock free. A second statement sees that commit, and such steps
/// are left out (they were that worker's); when a whole batch was, the
/// walk goes on after it rather than come back empty, which would end
/// the pass.
fn claim_still_scheduled(
    conn: &Connection,
    sql: &str,
    now: DateTime<Utc>,
    after: Option<&DueCursor>,
    limit: usize,
) -> Result<Vec<DueRow>> {
    let mut after = after.cloned();
    loop {
        let mut rows = due_steps_with(conn, sql, now, after.as_ref(), limit)?;
        let Some(last) = rows.last().map(|r| r.cursor.clone()) else {
            return Ok(rows);
        };
        let ids: Vec<i64> = rows.iter().map(|r| r.scheduled_step_id).collect();
        let scheduled: std::collections::HashSet<i64> = conn
            .prepare_cached(
                "SELECT id FROM scheduled_steps WHERE state = 'scheduled'
                   AND id IN (SELECT CAST(value AS BIGINT) FROM json_each(?1))",
            )?
            .query_map([ids_json(&ids)], |r| r.get(0))?
            .collect::<super::db::Result<_>>()?;
        rows.retain(|r| scheduled.contains(&r.scheduled_step_id));
        if !rows.is_empty() {
            return Ok(rows);
        }
        after = Some(last);
    }
}

fn due_steps_with(
    conn: &Connection,
    sql: &str,
    now: DateTime<Utc>,
    after: Option<&DueCursor>,
    limit: usize,
) -> Result<Vec<DueRow>> {
    let start = after.cloned().unwrap_or_default();
    let mut stmt = conn.prepare_cached(sql)?;
    let params = params![
        format_time(now),
        limit as i64,
        start.due_at,
        start.queued_at,
        start.id
    ];
    let rows = stmt.query_map(params, |r| {
        let earlier: String = r.get(19)?;
        Ok(DueRow {
            scheduled_step_id: r.get(0)?,
            enrollment_id: r.get(1)?,
            sequence_id: r.get(2)?,
            sequence: r.get(3)?,
            position: r.get(4)?,
            total_steps: r.get(5)?,
            kind: r.get(6)?,
            due_at: parse_time(&r.get::<_, String>(7)?),
            subject: r.get(8)?,
            body: r.get(9)?,
            title: r.get(10)?,
            contact_id: r.get(11)?,
            contact_email: r.get(12)?,
            first_name: r.get(13)?,
            last_name: r.get(14)?,
            company: r.get(15)?,
            enrolled_by: r.get(16)?,
            sender_email: r.get(17)?,
            sender_name: r.get(18)?,
            earlier_messages: serde_json::from_str(&earlier).unwrap_or_default(),
            first_subject: r.get(20)?,
            revision: r.get(21)?,
            sender_id: r.get(22)?,
            window_start: r.get(23)?,
            window_end: r.get(24)?,
            sending_days: r.get(25)?,
            time_zone: r.get(26)?,
            unsubscribe_token: r.get(27)?,
            cursor: DueCursor {
                due_at: r.get(28)?,
                queued_at: r.get(29)?,
                id: r.get(0)?,
            },
        })
    })?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// R19: moves a scheduled step to `to` (remembering the time it was due
/// before its first move, which orders steps moved to the same slot) and
/// the enrollment's later scheduled steps later by the same amount.
/// Returns whether the step was still scheduled.
pub fn defer_step(conn: &Connection, scheduled_step_id: i64, to: DateTime<Utc>) -> Result<bool> {
    let row: Option<(i64, i64, String)> = conn
        .prepare_cached(
            "SELECT enrollment_id, position, due_at FROM scheduled_steps
             WHERE id = ?1 AND state = 'scheduled'",
        )?
        .query_row([scheduled_step_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let Some((enrollment_id, position, due_at)) = row else {
        return Ok(false);
    };
    let shift = (to - parse_time(&due_at)).num_seconds();
    if shift <= 0 {
        return Ok(true);
    }
    conn.prepare_cached(
        "UPDATE scheduled_steps SET deferred_from = coalesce(deferred_from, due_at), due_at = ?2
         WHERE id = ?1",
    )?
    .execute(params![scheduled_step_id, format_time(to)])?;
    conn.prepare_cached(
        "UPDATE scheduled_steps
         SET due_at = strftime('%Y-%m-%dT%H:%M:%SZ', due_at, ?3 || ' seconds')
         WHERE enrollment_id = ?1 AND state = 'scheduled' AND position > ?2",
    )?
    .execute(params![enrollment_id, position, format!("+{shift}")])?;
    super::sort_keys::refresh(conn, enrollment_id)?;
    Ok(true)
}

/// How many emails `sender_id`'s enrollments sent in `[from, to)` (R19's
/// daily cap).
pub fn emails_sent_by(
    conn: &Connection,
    sender_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM sent_emails se INDEXED BY sent_emails_sent_at
             JOIN enrollments e ON e.id = se.enrollment_id
             WHERE se.sent_at >= ?2 AND se.sent_at < ?3 AND e.sender_id = ?1",
        )?
        .query_row(
            params![sender_id, format_time(from), format_time(to)],
            |r| r.get(0),
        )?)
}

/// The enrollment and contact a List-Unsubscribe token belongs to.
pub fn enrollment_by_unsubscribe_token(
    conn: &Connection,
    token: &str,
) -> Result<Option<(i64, i64)>> {
    Ok(conn
        .prepare_cached("SELECT id, contact_id FROM enrollments WHERE unsubscribe_token = ?1")?
        .query_row([token], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// How many steps [`due_steps`] would return at `now` without a limit.
pub fn count_due_steps(conn: &Connection, now: DateTime<Utc>) -> Result<usize> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM scheduled_steps ss
             JOIN enrollments e ON e.id = ss.enrollment_id
             JOIN contacts c ON c.id = e.contact_id
             WHERE ss.state = 'scheduled' AND ss.due_at <= ?1
               AND e.status = 'active' AND ss.position = e.current_step
               AND c.opted_out_at IS NULL",
        )?
        .query_row([format_time(now)], |r| r.get(0))?;
    Ok(n as usize)
}

/// The earliest time something becomes due: a scheduled step of an active
/// enrollment, or the end of an engine pause.
pub fn next_due(conn: &Connection) -> Result<Option<DateTime<Utc>>> {
    let step: Option<String> = conn.query_row(
        "SELECT min(ss.due_at) FROM scheduled_steps ss JOIN enrollments e ON e.id = ss.enrollment_id
         WHERE ss.state = 'scheduled' AND e.status = 'active' AND ss.position = e.current_step",
        [],
        |r| r.get(0),
    )?;
    let pause: Option<String> = conn.query_row(
        "SELECT min(p.until) FROM engine_pauses p JOIN enrollments e ON e.id = p.enrollment_id
         WHERE e.status = 'paused'",
        [],
        |r| r.get(0),
    )?;
    Ok([step, pause]
        .into_iter()
        .flatten()
        .min()
        .map(|t| parse_time(&t)))
}

/// One journal row: a message committed as sent, not yet delivered.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub sent_email_id: i64,
    pub file_name: String,
    pub message: Vec<u8>,
    pub attempts: i64,
    pub handing_over: bool,
    /// When the message was recorded as sent.
    pub sent_at: DateTime<Utc>,
}

/// Journal rows after `after` whose next try is due at `now` (rows a
/// server deferred wait for their `next_try_at`), in order.
pub fn pending_outbox(
    conn: &Connection,
    now: DateTime<Utc>,
    after: i64,
    limit: usize,
) -> Result<Vec<OutboxRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT o.sent_email_id, o.file_name, o.message, o.attempts,
                o.handing_over_at IS NOT NULL, s.sent_at
         FROM outbox o JOIN sent_emails s ON s.id = o.sent_email_id
         WHERE o.sent_email_id > ?1 AND (o.next_try_at IS NULL OR o.next_try_at <= ?2)
         ORDER BY o.sent_email_id LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![after, format_time(now), limit as i64], |r| {
        Ok(OutboxRow {
            sent_email_id: r.get(0)?,
            file_name: r.get(1)?,
            message: r.get(2)?,
            attempts: r.get(3)?,
            handing_over: r.get(4)?,
            sent_at: parse_time(&r.get::<_, String>(5)?),
        })
    })?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// Marks a journal row as being handed over to a server since `now`.
pub fn mark_handing_over(conn: &Connection, sent_email_id: i64, now: DateTime<Utc>) -> Result<()> {
    conn.prepare_cached("UPDATE outbox SET handing_over_at = ?2 WHERE sent_email_id = ?1")?
        .execute(params![sent_email_id, format_time(now)])?;
    Ok(())
}

/// A server deferred the message: one more attempt, the next at `next_try_at`.
pub fn defer_outbox(
    conn: &Connection,
    sent_email_id: i64,
    next_try_at: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE outbox SET attempts = attempts + 1, next_try_at = ?2, handing_over_at = NULL
         WHERE sent_email_id = ?1",
    )?
    .execute(params![sent_email_id, format_time(next_try_at)])?;
    Ok(())
}

/// The earliest next try of a deferred message, if any waits.
pub fn next_outbox_try(conn: &Connection) -> Result<Option<DateTime<Utc>>> {
    let next: Option<String> = conn
        .prepare_cached("SELECT MIN(next_try_at) FROM outbox")?
        .query_row([], |r| r.get(0))?;
    Ok(next.as_deref().map(parse_time))
}

pub fn delete_outbox(conn: &Connection, sent_email_ids: &[i64]) -> Result<()> {
    conn.prepare_cached(
        "DELETE FROM outbox WHERE sent_email_id IN (SELECT CAST(value AS BIGINT) FROM json_each(?1))",
    )?
    .execute([ids_json(sent_email_ids)])?;
    Ok(())
}

// ------------------------------------------------------------------ inbound

/// An email an enrollment sent, found by Message-ID.
#[derive(Debug, Clone)]
pub struct SentMatch {
    pub message_id: String,
    pub enrollment_id: i64,
    pub contact_id: i64,
    pub contact_email: String,
    pub sent_email_id: i64,
    /// The step position the email was sent for (0 if its scheduled step
    /// is unknown).
    pub position: i64,
    pub sent_at: DateTime<Utc>,
}

const SENT_MATCH: &str = "SELECT se.message_id, se.enrollment_id, e.contact_id, c.email,
        se.id, coalesce(ss.position, 0), se.sent_at
     FROM sent_emails se JOIN enrollments e ON e.id = se.enrollment_id
     JOIN contacts c ON c.id = e.contact_id
     LEFT JOIN scheduled_steps ss ON ss.id = se.scheduled_step_id";

fn sent_match(r: &super::db::Row<'_>) -> super::db::Result<SentMatch> {
    Ok(SentMatch {
        message_id: r.get(0)?,
        enrollment_id: r.get(1)?,
        contact_id: r.get(2)?,
        contact_email: r.get(3)?,
        sent_email_id: r.get(4)?,
        position: r.get(5)?,
        sent_at: parse_time(&r.get::<_, String>(6)?),
    })
}

/// The first of `message_ids` that an enrollment sent (the latest sent
/// wins when several are named, as References lists the whole thread).
pub fn sent_by_message_ids(conn: &Connection, message_ids: &[String]) -> Result<Option<SentMatch>> {
    if message_ids.is_empty() {
        return Ok(None);
    }
    Ok(conn
        .prepare_cached(&format!(
            "{SENT_MATCH} WHERE se.message_id IN (SELECT value FROM json_each(?1))
             ORDER BY se.id DESC LIMIT 1"
        ))?
        .query_row([texts_json(message_ids)], sent_match)
        .optional()?)
}

/// The latest email enrollment `enrollment_id` sent, if any.
pub fn latest_sent_of_enrollment(
    conn: &Connection,
    enrollment_id: i64,
) -> Result<Option<SentMatch>> {
    Ok(conn
        .prepare_cached(&format!(
            "{SENT_MATCH} WHERE se.enrollment_id = ?1 ORDER BY se.id DESC LIMIT 1"
        ))?
        .query_row([enrollment_id], sent_match)
        .optional()?)
}

pub fn is_sent_message(conn: &Connection, message_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM sent_emails WHERE message_id = ?1")?
        .query_row([message_id], |_| Ok(()))
        .optional()?
        .is_some())
}

pub fn event_exists(conn: &Connection, external_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM events WHERE external_id = ?1")?
        .query_row([external_id], |_| Ok(()))
        .optional()?
        .is_some())
}

pub fn insert_external_event(
    conn: &Connection,
    contact_id: i64,
    enrollment_id: Option<i64>,
    kind: &str,
    at: DateTime<Utc>,
    detail: &str,
    external_id: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO events(contact_id, enrollment_id, sequence_id, type, at, detail, external_id)
         VALUES (?1, ?2, (SELECT sequence_id FROM enrollments WHERE id = ?2), ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        contact_id,
        enrollment_id,
        kind,
        format_time(at),
        detail,
        external_id
    ])?;
    super::sort_keys::note_event(conn, enrollment_id, kind, at)
}

/// A contact by email (by its key): id, email as typed, company.
pub fn contact_by_email(conn: &Connection, email: &str) -> Result<Option<(i64, String, String)>> {
    Ok(conn
        .prepare_cached("SELECT id, email, company FROM contacts WHERE email_key = ?1")?
        .query_row([email_key(email)], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?)
}

/// Open enrollments in `sequence_id` of the other contacts at `company`.
pub fn colleague_enrollments(
    conn: &Connection,
    sequence_id: i64,
    company: &str,
    except_contact: i64,
) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.id FROM enrollments e JOIN contacts c ON c.id = e.contact_id
         WHERE e.sequence_id = ?1 AND e.status IN ('active', 'paused')
           AND c.company = ?2 COLLATE NOCASE AND c.id <> ?3 ORDER BY e.id",
    )?;
    let rows = stmt.query_map(params![sequence_id, company.trim(), except_contact], |r| {
        r.get(0)
    })?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

pub fn contact_company(conn: &Connection, contact_id: i64) -> Result<String> {
    Ok(conn
        .prepare_cached("SELECT company FROM contacts WHERE id = ?1")?
        .query_row([contact_id], |r| r.get(0))?)
}

// ------------------------------------------------------------------ pauses

/// Why the engine paused an enrollment (`engine_pauses.cause`).
pub const PAUSE_OUT_OF_OFFICE: &str = "out_of_office";
pub const PAUSE_SOFT_BOUNCE: &str = "soft_bounce";

/// Pauses an active enrollment until `until` (R14).
pub fn pause_until(conn: &Connection, enrollment_id: i64, until: DateTime<Utc>) -> Result<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE enrollments SET status = 'paused' WHERE id = ?1 AND status = 'active'",
        )?
        .execute([enrollment_id])?;
    if changed == 1 {
        conn.prepare_cached(
            "INSERT INTO engine_pauses(enrollment_id, until, cause) VALUES (?1, ?2, ?3)
             ON CONFLICT(enrollment_id) DO UPDATE SET until = excluded.until, cause = excluded.cause",
        )?
        .execute(params![enrollment_id, format_time(until), PAUSE_OUT_OF_OFFICE])?;
    }
    Ok(changed == 1)
}

/// Enrollments the engine paused whose pause has ended: id, step and the
/// pause's cause ([`PAUSE_OUT_OF_OFFICE`], [`PAUSE_SOFT_BOUNCE`]).
pub fn pauses_ended(conn: &Connection, now: DateTime<Utc>) -> Result<Vec<(i64, i64, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.id, e.current_step, p.cause FROM engine_pauses p JOIN enrollments e ON e.id = p.enrollment_id
         WHERE e.status = 'paused' AND p.until <= ?1 ORDER BY e.id",
    )?;
    let rows = stmt.query_map([format_time(now)], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// Resumes an enrollment paused by the engine. Its remaining steps keep
/// their spacing: when the next one is overdue, all of them move later by
/// the same amount, so a paused contact does not get a burst of emails.
pub fn resume(conn: &Connection, enrollment_id: i64, now: DateTime<Utc>) -> Result<()> {
    conn.prepare_cached("DELETE FROM engine_pauses WHERE enrollment_id = ?1")?
        .execute([enrollment_id])?;
    conn.prepare_cached(
        "UPDATE enrollments SET status = 'active' WHERE id = ?1 AND status = 'paused'",
    )?
    .execute([enrollment_id])?;
    let first: Option<String> = conn
        .prepare_cached(
            "SELECT min(due_at) FROM scheduled_steps WHERE enrollment_id = ?1 AND state = 'scheduled'",
        )?
        .query_row([enrollment_id], |r| r.get(0))?;
    if let Some(first) = first {
        let late = (now - parse_time(&first)).num_seconds();
        if late > 0 {
            conn.prepare_cached(
                "UPDATE scheduled_steps
                 SET due_at = strftime('%Y-%m-%dT%H:%M:%SZ', due_at, ?2 || ' seconds')
                 WHERE enrollment_id = ?1 AND state = 'scheduled'",
            )?
            .execute(params![enrollment_id, format!("+{late}")])?;
        }
    }
    super::sort_keys::refresh(conn, enrollment_id)
}

// --------------------------------------------------------------- sequences

pub fn set_sequence_options(
    conn: &Connection,
    sequence_id: i64,
    unenroll_colleagues: Option<bool>,
    pause_on_ooo: Option<bool>,
) -> Result<()> {
    conn.execute(
        "UPDATE sequences SET unenroll_colleagues = coalesce(?2, unenroll_colleagues),
            pause_on_ooo = coalesce(?3, pause_on_ooo) WHERE id = ?1",
        params![sequence_id, unenroll_colleagues, pause_on_ooo],
    )?;
    Ok(())
}
