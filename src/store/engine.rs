//! The SQL of the engine: due steps, claiming and recording executed steps,
//! the outbox journal, inbound matching (sent Message-IDs, contacts,
//! colleagues), engine pauses and sequence settings. Nothing here decides a
//! rule; `crate::domain::engine` does.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::{format_time, parse_time};
use crate::domain::*;

fn ids_json(ids: &[i64]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
}

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
}

/// Due scheduled steps of active enrollments, oldest due first; only the
/// step an enrollment is at (`position = current_step`), so steps of one
/// enrollment run in order.
pub fn due_steps(conn: &Connection, now: DateTime<Utc>, limit: usize) -> Result<Vec<DueRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT ss.id, ss.enrollment_id, e.sequence_id, s.name, ss.position,
            (SELECT count(*) FROM steps WHERE sequence_id = e.sequence_id),
            ss.kind, ss.due_at, st.subject, st.body, st.title,
            c.id, c.email, c.first_name, c.last_name, c.company,
            e.enrolled_by, snd.email, snd.name,
            (SELECT json_group_array(message_id) FROM
                (SELECT message_id FROM sent_emails WHERE enrollment_id = e.id ORDER BY id)),
            (SELECT subject FROM sent_emails WHERE enrollment_id = e.id ORDER BY id LIMIT 1)
         FROM scheduled_steps ss
         JOIN enrollments e ON e.id = ss.enrollment_id
         JOIN steps st ON st.id = ss.step_id
         JOIN contacts c ON c.id = e.contact_id
         JOIN users snd ON snd.id = e.sender_id
         JOIN sequences s ON s.id = e.sequence_id
         WHERE ss.state = 'scheduled' AND ss.due_at <= ?1
           AND e.status = 'active' AND ss.position = e.current_step
           AND c.opted_out_at IS NULL
         ORDER BY ss.due_at, ss.id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![format_time(now), limit as i64], |r| {
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
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
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

/// What [`claim_step`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The step is this run's to record.
    Claimed,
    /// Another run executed it, or its enrollment ended, paused or moved on.
    Taken,
    /// Still due, but its enrollment changed hands (a transfer reassigned
    /// it) after the step was read and rendered: render it again.
    Changed,
}

/// Claims a scheduled step for execution: succeeds only while the step is
/// still scheduled and its enrollment still active, at that step, and
/// still enrolled by `enrolled_by` and sent by `sender_email` (what the
/// step was rendered for), so two overlapping runs can never both execute
/// it and a transfer committed meanwhile is not undone.
pub fn claim_step(
    conn: &Connection,
    scheduled_step_id: i64,
    state: StepState,
    at: DateTime<Utc>,
    enrolled_by: i64,
    sender_email: &str,
) -> Result<Claim> {
    let changed = conn
        .prepare_cached(
            "UPDATE scheduled_steps SET state = ?2, executed_at = ?3
             WHERE id = ?1 AND state = 'scheduled' AND EXISTS (
                SELECT 1 FROM enrollments e JOIN users snd ON snd.id = e.sender_id
                WHERE e.id = scheduled_steps.enrollment_id
                AND e.status = 'active' AND e.current_step = scheduled_steps.position
                AND e.enrolled_by = ?4 AND snd.email = ?5)",
        )?
        .execute(params![
            scheduled_step_id,
            state.as_str(),
            format_time(at),
            enrolled_by,
            sender_email
        ])?;
    if changed == 1 {
        return Ok(Claim::Claimed);
    }
    let still_due: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM scheduled_steps ss JOIN enrollments e
                ON e.id = ss.enrollment_id
             WHERE ss.id = ?1 AND ss.state = 'scheduled' AND e.status = 'active'
               AND e.current_step = ss.position)",
        )?
        .query_row([scheduled_step_id], |r| r.get(0))?;
    Ok(if still_due {
        Claim::Changed
    } else {
        Claim::Taken
    })
}

pub struct NewSentEmail<'a> {
    pub enrollment_id: i64,
    pub sequence_id: i64,
    pub scheduled_step_id: i64,
    pub message_id: &'a str,
    pub thread_id: &'a str,
    pub subject: &'a str,
    pub sent_at: DateTime<Utc>,
}

pub fn insert_sent_email(conn: &Connection, e: &NewSentEmail<'_>) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO sent_emails(enrollment_id, sequence_id, scheduled_step_id, message_id,
            thread_id, subject, sent_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        e.enrollment_id,
        e.sequence_id,
        e.scheduled_step_id,
        e.message_id,
        e.thread_id,
        e.subject,
        format_time(e.sent_at)
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Journals a message that must reach the outbox Maildir; the row is
/// deleted once the file is there.
pub fn insert_outbox(
    conn: &Connection,
    sent_email_id: i64,
    file_name: &str,
    message: &[u8],
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO outbox(sent_email_id, file_name, message) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![sent_email_id, file_name, message])?;
    Ok(())
}

/// Messages committed as sent whose file may not be in the outbox yet.
pub fn pending_outbox(conn: &Connection, limit: usize) -> Result<Vec<(i64, String, Vec<u8>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT sent_email_id, file_name, message FROM outbox ORDER BY sent_email_id LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn delete_outbox(conn: &Connection, sent_email_ids: &[i64]) -> Result<()> {
    conn.prepare_cached(
        "DELETE FROM outbox WHERE sent_email_id IN (SELECT value FROM json_each(?1))",
    )?
    .execute([ids_json(sent_email_ids)])?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub fn insert_task(
    conn: &Connection,
    enrollment_id: i64,
    scheduled_step_id: i64,
    owner_id: i64,
    title: &str,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO tasks(enrollment_id, scheduled_step_id, owner_id, title, due_at, state, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'open', ?6)",
    )?
    .execute(params![
        enrollment_id,
        scheduled_step_id,
        owner_id,
        title,
        format_time(due_at),
        format_time(now)
    ])?;
    Ok(())
}

/// Moves an enrollment past the step at `position`; after the last step it
/// is `finished` (no end reason, `ended_at` set). Tasks its steps created
/// stay open: finishing means every step ran, and a call the last step
/// asked for is still the rep's to make (only unenrolling removes them, R3).
pub fn advance_enrollment(
    conn: &Connection,
    enrollment_id: i64,
    position: i64,
    total_steps: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    if position >= total_steps {
        conn.prepare_cached(
            "UPDATE enrollments SET status = 'finished', ended_at = ?2 WHERE id = ?1",
        )?
        .execute(params![enrollment_id, format_time(now)])?;
        Ok(true)
    } else {
        conn.prepare_cached("UPDATE enrollments SET current_step = ?2 WHERE id = ?1")?
            .execute(params![enrollment_id, position + 1])?;
        Ok(false)
    }
}

// ------------------------------------------------------------------ inbound

/// An email an enrollment sent, found by Message-ID.
#[derive(Debug, Clone)]
pub struct SentMatch {
    pub message_id: String,
    pub enrollment_id: i64,
    pub contact_id: i64,
    pub contact_email: String,
}

/// The first of `message_ids` that an enrollment sent (the latest sent
/// wins when several are named, as References lists the whole thread).
pub fn sent_by_message_ids(conn: &Connection, message_ids: &[String]) -> Result<Option<SentMatch>> {
    if message_ids.is_empty() {
        return Ok(None);
    }
    Ok(conn
        .prepare_cached(
            "SELECT se.message_id, se.enrollment_id, e.contact_id, c.email
             FROM sent_emails se JOIN enrollments e ON e.id = se.enrollment_id
             JOIN contacts c ON c.id = e.contact_id
             WHERE se.message_id IN (SELECT value FROM json_each(?1))
             ORDER BY se.id DESC LIMIT 1",
        )?
        .query_row([texts_json(message_ids)], |r| {
            Ok(SentMatch {
                message_id: r.get(0)?,
                enrollment_id: r.get(1)?,
                contact_id: r.get(2)?,
                contact_email: r.get(3)?,
            })
        })
        .optional()?)
}

/// The latest email enrollment `enrollment_id` sent, if any.
pub fn latest_sent_of_enrollment(
    conn: &Connection,
    enrollment_id: i64,
) -> Result<Option<SentMatch>> {
    Ok(conn
        .prepare_cached(
            "SELECT se.message_id, se.enrollment_id, e.contact_id, c.email
             FROM sent_emails se JOIN enrollments e ON e.id = se.enrollment_id
             JOIN contacts c ON c.id = e.contact_id
             WHERE se.enrollment_id = ?1 ORDER BY se.id DESC LIMIT 1",
        )?
        .query_row([enrollment_id], |r| {
            Ok(SentMatch {
                message_id: r.get(0)?,
                enrollment_id: r.get(1)?,
                contact_id: r.get(2)?,
                contact_email: r.get(3)?,
            })
        })
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
    Ok(())
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
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn contact_company(conn: &Connection, contact_id: i64) -> Result<String> {
    Ok(conn
        .prepare_cached("SELECT company FROM contacts WHERE id = ?1")?
        .query_row([contact_id], |r| r.get(0))?)
}

// ------------------------------------------------------------------ pauses

/// Pauses an active enrollment until `until` (R14).
pub fn pause_until(conn: &Connection, enrollment_id: i64, until: DateTime<Utc>) -> Result<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE enrollments SET status = 'paused' WHERE id = ?1 AND status = 'active'",
        )?
        .execute([enrollment_id])?;
    if changed == 1 {
        conn.prepare_cached(
            "INSERT INTO engine_pauses(enrollment_id, until) VALUES (?1, ?2)
             ON CONFLICT(enrollment_id) DO UPDATE SET until = excluded.until",
        )?
        .execute(params![enrollment_id, format_time(until)])?;
    }
    Ok(changed == 1)
}

/// Enrollments the engine paused whose pause has ended: id and step.
pub fn pauses_ended(conn: &Connection, now: DateTime<Utc>) -> Result<Vec<(i64, i64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.id, e.current_step FROM engine_pauses p JOIN enrollments e ON e.id = p.enrollment_id
         WHERE e.status = 'paused' AND p.until <= ?1 ORDER BY e.id",
    )?;
    let rows = stmt.query_map([format_time(now)], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
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
    Ok(())
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
