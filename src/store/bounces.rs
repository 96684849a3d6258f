//! The SQL of bounces: the bounces applied to a contact, the soft ones
//! counted per sent email, undeliverable addresses, and the retry a soft
//! bounce schedules (or the pause it starts). Nothing here decides a rule;
//! `crate::domain::bounce` does.

use super::db::{Connection, OptionalExtension};
use chrono::{DateTime, Utc};
use rusqlite::params;

use super::engine::PAUSE_SOFT_BOUNCE;
use super::{format_time, parse_time};
use crate::domain::*;

/// Whether a bounce of this inbound item was applied before.
pub fn bounce_seen(conn: &Connection, external_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM bounces WHERE external_id = ?1 LIMIT 1")?
        .query_row([external_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// One bounce applied to a contact (a row of `bounces`).
pub struct NewBounce<'a> {
    pub external_id: &'a str,
    pub address: Option<&'a str>,
    pub contact_id: i64,
    pub enrollment_id: Option<i64>,
    pub sent_email_id: Option<i64>,
    pub at: DateTime<Utc>,
    pub verdict: BounceVerdict,
    pub reason: BounceReason,
    pub status: Option<&'a str>,
    pub diagnostic: &'a str,
    pub verified: bool,
    pub action: &'a str,
    pub soft_in_a_row: Option<i64>,
}

/// Records a bounce; a second row for the same item and address is
/// ignored (the item was applied already).
pub fn insert_bounce(conn: &Connection, b: &NewBounce<'_>) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO bounces(external_id, address_key, address, contact_id, enrollment_id,
            sent_email_id, at, verdict, reason, status, diagnostic, verified, action, soft_in_a_row)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT(external_id, address_key) DO NOTHING",
    )?
    .execute(params![
        b.external_id,
        b.address.map(email_key).unwrap_or_default(),
        b.address,
        b.contact_id,
        b.enrollment_id,
        b.sent_email_id,
        format_time(b.at),
        b.verdict.as_str(),
        b.reason.as_str(),
        b.status,
        b.diagnostic,
        b.verified,
        b.action,
        b.soft_in_a_row,
    ])?;
    Ok(())
}

/// Whether a verified soft bounce of this very email (this attempt) was
/// counted already (another report of the same failure).
pub fn soft_bounce_counted(conn: &Connection, sent_email_id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM bounces WHERE sent_email_id = ?1 AND verdict = 'soft' AND verified = 1 LIMIT 1",
        )?
        .query_row([sent_email_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// R9, "in a row": the earlier attempts at step `position` of the
/// enrollment (other emails than `sent_email_id`) that a verified soft
/// bounce failed, not counting an attempt after whose sending the
/// enrollment had an open, a click or a reply (the address took mail).
pub fn earlier_soft_attempts(
    conn: &Connection,
    enrollment_id: i64,
    position: i64,
    sent_email_id: i64,
) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT count(DISTINCT b.sent_email_id) FROM bounces b
             JOIN sent_emails se ON se.id = b.sent_email_id
             JOIN scheduled_steps ss ON ss.id = se.scheduled_step_id
             WHERE b.enrollment_id = ?1 AND b.verdict = 'soft' AND b.verified = 1
               AND ss.position = ?2 AND b.sent_email_id <> ?3
               AND NOT EXISTS (SELECT 1 FROM events ev WHERE ev.enrollment_id = ?1
                   AND ev.type IN ('open', 'click', 'reply') AND ev.at >= se.sent_at)",
        )?
        .query_row(params![enrollment_id, position, sent_email_id], |r| {
            r.get(0)
        })?)
}

/// Marks the contact's address undeliverable (R9) while it is still
/// `address_key`; an address already marked keeps its first mark. Returns
/// whether it marked it now.
pub fn mark_undeliverable(
    conn: &Connection,
    contact_id: i64,
    address_key: &str,
    at: DateTime<Utc>,
    reason: BounceReason,
    diagnostic: &str,
    bounce_id: &str,
) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE contacts SET undeliverable_email_key = email_key, undeliverable_at = ?3,
                undeliverable_reason = ?4, undeliverable_diagnostic = ?5, undeliverable_bounce = ?6
             WHERE id = ?1 AND email_key = ?2 AND undeliverable_email_key IS NOT email_key",
        )?
        .execute(params![
            contact_id,
            address_key,
            format_time(at),
            reason.as_str(),
            diagnostic,
            bounce_id
        ])?
        == 1)
}

/// R9 soft bounce: step `position` of the enrollment is tried again at
/// `retry_at` (a new scheduled step for the same sequence step), the
/// enrollment goes back to that step, and its later scheduled steps move
/// later by as much as the retry comes after the bounced send, so they
/// keep their spacing. Returns whether a retry was scheduled (the bounced
/// email's scheduled step is known).
pub fn schedule_retry(
    conn: &Connection,
    enrollment_id: i64,
    sent_email_id: i64,
    retry_at: DateTime<Utc>,
    sent_at: DateTime<Utc>,
) -> Result<bool> {
    let step: Option<(i64, i64, String)> = conn
        .prepare_cached(
            "SELECT ss.step_id, ss.position, ss.kind FROM sent_emails se
             JOIN scheduled_steps ss ON ss.id = se.scheduled_step_id WHERE se.id = ?1",
        )?
        .query_row([sent_email_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((step_id, position, kind)) = step else {
        return Ok(false);
    };
    let shift = (retry_at - sent_at).num_seconds();
    if shift > 0 {
        conn.prepare_cached(
            "UPDATE scheduled_steps
             SET due_at = strftime('%Y-%m-%dT%H:%M:%SZ', due_at, ?3 || ' seconds')
             WHERE enrollment_id = ?1 AND state = 'scheduled' AND position > ?2",
        )?
        .execute(params![enrollment_id, position, format!("+{shift}")])?;
    }
    // A retry already waiting for this step (another attempt's bounce)
    // moves instead of doubling.
    let moved = conn
        .prepare_cached(
            "UPDATE scheduled_steps SET due_at = ?3
             WHERE enrollment_id = ?1 AND position = ?2 AND state = 'scheduled'",
        )?
        .execute(params![enrollment_id, position, format_time(retry_at)])?;
    if moved == 0 {
        conn.prepare_cached(
            "INSERT INTO scheduled_steps(enrollment_id, step_id, position, kind, due_at, state)
             VALUES (?1, ?2, ?3, ?4, ?5, 'scheduled')",
        )?
        .execute(params![
            enrollment_id,
            step_id,
            position,
            kind,
            format_time(retry_at)
        ])?;
    }
    conn.prepare_cached("UPDATE enrollments SET current_step = ?2 WHERE id = ?1")?
        .execute(params![enrollment_id, position])?;
    super::sort_keys::refresh(conn, enrollment_id)?;
    Ok(true)
}

/// A finished enrollment open again (active, no end time), for a retry of
/// its last step (R9). The caller checked the contact has no other open
/// enrollment.
pub fn reopen_finished(conn: &Connection, enrollment_id: i64) -> Result<bool> {
    let reopened = conn
        .prepare_cached(
            "UPDATE enrollments SET status = 'active', ended_at = NULL
             WHERE id = ?1 AND status = 'finished'",
        )?
        .execute([enrollment_id])?
        == 1;
    super::sort_keys::refresh(conn, enrollment_id)?;
    Ok(reopened)
}

/// Pauses an open enrollment for a soft-bounce retry until `until`: an
/// active one is paused by the engine; one the engine paused already keeps
/// the later end; one a person paused stays theirs to resume (the retry
/// waits for them). Returns whether the engine's pause now covers it.
pub fn pause_for_retry(
    conn: &Connection,
    enrollment_id: i64,
    until: DateTime<Utc>,
) -> Result<bool> {
    let paused = conn
        .prepare_cached(
            "UPDATE enrollments SET status = 'paused' WHERE id = ?1 AND status = 'active'",
        )?
        .execute([enrollment_id])?
        == 1;
    if paused {
        conn.prepare_cached(
            "INSERT INTO engine_pauses(enrollment_id, until, cause) VALUES (?1, ?2, ?3)
             ON CONFLICT(enrollment_id) DO UPDATE SET until = excluded.until, cause = excluded.cause",
        )?
        .execute(params![enrollment_id, format_time(until), PAUSE_SOFT_BOUNCE])?;
        return Ok(true);
    }
    Ok(conn
        .prepare_cached("UPDATE engine_pauses SET until = max(until, ?2) WHERE enrollment_id = ?1")?
        .execute(params![enrollment_id, format_time(until)])?
        == 1)
}

/// A contact's bounces, newest first.
pub fn bounces_of(conn: &Connection, contact_id: i64, limit: usize) -> Result<Vec<BounceEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT b.at, b.external_id, b.address, b.verdict, b.reason, b.status, b.diagnostic,
            b.enrollment_id, s.name, b.action, b.soft_in_a_row
         FROM bounces b LEFT JOIN enrollments e ON e.id = b.enrollment_id
         LEFT JOIN sequences s ON s.id = e.sequence_id
         WHERE b.contact_id = ?1 ORDER BY b.at DESC, b.id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![contact_id, limit as i64], |r| {
        Ok(BounceEntry {
            at: parse_time(&r.get::<_, String>(0)?),
            id: r.get(1)?,
            address: r.get(2)?,
            verdict: r
                .get::<_, String>(3)?
                .parse()
                .unwrap_or(BounceVerdict::Hard),
            reason: r
                .get::<_, String>(4)?
                .parse()
                .unwrap_or(BounceReason::Other),
            status: r.get(5)?,
            diagnostic: r.get(6)?,
            enrollment: r.get(7)?,
            sequence: r.get(8)?,
            action: r.get(9)?,
            soft_in_a_row: r.get(10)?,
        })
    })?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}
