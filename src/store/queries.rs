//! The store's common queries: settings, sequences, enrollments, the
//! contact view, events — and, re-exported so the domain calls them all
//! as `queries::…`, the parts kept in their own files: users and logins
//! (`users`), one contact at a time (`contact_records`), ending a batch
//! and its audit (`ending`), and the lists' pages (`list_pages`).
//! Functions take a `&Connection` (a `Transaction` derefs to one) so the
//! domain decides where transactions begin and end. Values are always
//! bound as parameters; the only text spliced into SQL is from fixed lists
//! here.

use std::collections::HashMap;

use super::db::{Connection, OptionalExtension, Row};
use chrono::{DateTime, Utc};
use rusqlite::params;
use rusqlite::types::Value;

use super::{format_time, parse_time};
use crate::domain::*;

pub use super::contact_records::*;
pub use super::ending::*;
pub use super::users::*;

pub(super) fn opt_time(text: Option<String>) -> Option<DateTime<Utc>> {
    text.map(|t| parse_time(&t))
}

pub(super) fn parse_enum<T: std::str::FromStr>(text: &str, col: usize) -> super::db::Result<T> {
    text.parse().map_err(|_| {
        super::db::Error::Conversion(format!("column {col} held an unexpected value '{text}'"))
    })
}

pub(super) fn ids_json(ids: &[i64]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
}

/// Ids in ascending order, for lookups whose result order does not matter:
/// walking the table in rowid order touches each page once instead of
/// jumping around a large file.
pub(super) fn sorted_ids_json(ids: &[i64]) -> String {
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    ids_json(&sorted)
}

// ---------------------------------------------------------------- workspace

pub fn setting(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM workspace WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?)
}

pub fn set_setting(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO workspace(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

// ---------------------------------------------------------------- sequences

fn sequence_ref_from_row(r: &Row<'_>) -> super::db::Result<SequenceRef> {
    Ok(SequenceRef {
        id: r.get(0)?,
        name: r.get(1)?,
        owner_id: r.get(2)?,
        archived: r.get(3)?,
        unenroll_colleagues: r.get(4)?,
        pause_on_ooo: r.get(5)?,
    })
}

const SEQUENCE_REF: &str =
    "SELECT id, name, owner_id, archived, unenroll_colleagues, pause_on_ooo FROM sequences";

/// A sequence by numeric id or by (case-insensitive) name.
pub fn find_sequence(conn: &Connection, id_or_name: &str) -> Result<Option<SequenceRef>> {
    let text = id_or_name.trim();
    if let Ok(id) = text.parse::<i64>() {
        let found = conn
            .query_row(
                &format!("{SEQUENCE_REF} WHERE id = ?1"),
                [id],
                sequence_ref_from_row,
            )
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(conn
        .query_row(
            &format!("{SEQUENCE_REF} WHERE name = ?1 COLLATE NOCASE"),
            [text],
            sequence_ref_from_row,
        )
        .optional()?)
}

pub fn sequence_summaries(conn: &Connection) -> Result<Vec<SequenceSummary>> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.id, s.name, u.email,
            (SELECT count(*) FROM steps WHERE sequence_id = s.id AND position > 0),
            (SELECT count(*) FROM enrollments WHERE sequence_id = s.id AND status = 'active'),
            (SELECT count(*) FROM enrollments WHERE sequence_id = s.id AND status = 'paused'),
            (SELECT count(*) FROM enrollments WHERE sequence_id = s.id AND status = 'finished'),
            (SELECT count(*) FROM enrollments WHERE sequence_id = s.id AND status = 'unenrolled'),
            (SELECT count(DISTINCT enrollment_id) FROM events WHERE sequence_id = s.id AND type = 'reply'),
            (SELECT count(DISTINCT enrollment_id) FROM events WHERE sequence_id = s.id AND type = 'meeting_booked'),
            s.unenroll_colleagues, s.archived
         FROM sequences s JOIN users u ON u.id = s.owner_id
         ORDER BY s.archived, s.name",
    )?;
    let rows = stmt.query_map([], |r| {
        let (active, paused, finished, unenrolled): (i64, i64, i64, i64) =
            (r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?);
        // Rates over every enrollment, as HubSpot reports them: counting
        // the contacted ones instead scans every sent email (≈ 350 ms at a
        // million contacts) on each refresh of the list.
        let total = active + paused + finished + unenrolled;
        let rate = |n: i64| {
            if total == 0 {
                0.0
            } else {
                n as f64 / total as f64
            }
        };
        Ok(SequenceSummary {
            id: r.get(0)?,
            name: r.get(1)?,
            owner: r.get(2)?,
            steps: r.get(3)?,
            active,
            paused,
            finished,
            unenrolled,
            total,
            reply_rate: rate(r.get(8)?),
            meeting_rate: rate(r.get(9)?),
            unenroll_colleagues: r.get(10)?,
            archived: r.get(11)?,
        })
    })?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

pub fn steps(conn: &Connection, sequence_id: i64) -> Result<Vec<Step>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, position, kind, delay_days, subject, body, title
         FROM steps WHERE sequence_id = ?1 AND position > 0 ORDER BY position",
    )?;
    let rows = stmt.query_map([sequence_id], |r| {
        let kind: String = r.get(2)?;
        Ok(Step {
            id: r.get(0)?,
            position: r.get(1)?,
            kind: parse_enum(&kind, 2)?,
            delay_days: r.get(3)?,
            subject: r.get(4)?,
            body: r.get(5)?,
            title: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

// -------------------------------------------------------------- enrollments

/// R11 for the enrollment `e`, with two parameters: the enrolled-by cutoff,
/// then the quiet-since cutoff ([`StaleCutoffs`]). "Activity" is the
/// enrollment's own open, click and reply events, found through the
/// `events_enrollment` index (a few rows per enrollment), so the test costs
/// one index probe per enrollment and never a scan of the events.
macro_rules! stale_condition {
    () => {
        "e.status IN ('active', 'paused') AND e.enrolled_at <= ?
        AND NOT EXISTS (SELECT 1 FROM events ev WHERE ev.enrollment_id = e.id
            AND ev.type IN ('open', 'click', 'reply') AND ev.at > ?)"
    };
}
pub(super) use stale_condition;

// The enrollment lists' walks and pages live in `list_sql` and
// `list_pages`; their public calls are still reached from here.
pub use super::list_pages::{
    PROBE_ROWS_DEFAULT, enrollment_count, enrollment_ids, enrollment_page, enrollment_page_plan,
    enrollments_by_ids, with_probe_rows,
};
pub(super) use super::list_sql::contact_conditions;

pub(super) fn stale_values(stale: &StaleCutoffs) -> [Value; 2] {
    [
        Value::Text(format_time(stale.enrolled_by)),
        Value::Text(format_time(stale.quiet_since)),
    ]
}

/// The columns of an [`EnrollmentRow`], joined from enrollments `e`. Its
/// first two parameters (numbered 1 and 2: no placeholder comes before
/// them) are the R11 cutoffs of [`stale_values`]; a statement built on it
/// numbers its own parameters from 3.
pub(super) const ENROLLMENT_ROW: &str = concat!(
    "SELECT e.id, e.sequence_id, s.name, e.contact_id, c.email,
        c.first_name, c.last_name, c.company, ow.email, e.status, e.current_step,
        (SELECT count(*) FROM steps st WHERE st.sequence_id = e.sequence_id AND st.position > 0),
        eb.email, e.enrolled_at, e.ended_at, e.end_reason, ed.email, e.note, e.batch,
        CASE WHEN e.status IN ('active', 'paused') THEN (SELECT min(ss.due_at) FROM scheduled_steps ss
            WHERE ss.enrollment_id = e.id AND ss.state = 'scheduled') END,
        (SELECT max(ev.at) FROM events ev
            WHERE ev.enrollment_id = e.id AND ev.type IN ('open', 'click', 'reply', 'meeting_booked')),
        e.sort_name,
        CASE WHEN ",
    stale_condition!(),
    " THEN 1 ELSE 0 END
    FROM enrollments e
    JOIN sequences s ON s.id = e.sequence_id
    JOIN contacts c ON c.id = e.contact_id
    LEFT JOIN users ow ON ow.id = c.owner_id
    JOIN users eb ON eb.id = e.enrolled_by
    LEFT JOIN users ed ON ed.id = e.ended_by"
);

pub(super) fn enrollment_from_row(r: &Row<'_>) -> super::db::Result<EnrollmentRow> {
    let status: String = r.get(9)?;
    let reason: Option<String> = r.get(15)?;
    let first: String = r.get(5)?;
    let last: String = r.get(6)?;
    let email: String = r.get(4)?;
    Ok(EnrollmentRow {
        id: r.get(0)?,
        sequence_id: r.get(1)?,
        sequence: r.get(2)?,
        contact_id: r.get(3)?,
        contact_name: full_name(&first, &last, &email),
        contact_email: email,
        company: r.get(7)?,
        owner: r.get(8)?,
        status: parse_enum(&status, 9)?,
        step: r.get(10)?,
        steps: r.get(11)?,
        enrolled_by: r.get(12)?,
        enrolled_at: parse_time(&r.get::<_, String>(13)?),
        ended_at: opt_time(r.get(14)?),
        end_reason: reason.map(|t| parse_enum(&t, 15)).transpose()?,
        ended_by: r.get(16)?,
        note: r.get(17)?,
        batch: r.get(18)?,
        next_due_at: opt_time(r.get(19)?),
        last_engagement_at: opt_time(r.get(20)?),
        sort_name: r.get(21)?,
        stale: r.get(22)?,
    })
}

pub fn enrollments_of_contact(
    conn: &Connection,
    contact_id: i64,
    stale: &StaleCutoffs,
) -> Result<Vec<EnrollmentRow>> {
    let sql =
        format!("{ENROLLMENT_ROW} WHERE e.contact_id = ?3 ORDER BY e.enrolled_at DESC, e.id DESC");
    let mut stmt = conn.prepare_cached(&sql)?;
    let [enrolled_by, quiet_since] = stale_values(stale);
    let rows = stmt.query_map(
        params![enrolled_by, quiet_since, contact_id],
        enrollment_from_row,
    )?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// The open enrollment of a contact, if any: its id and sequence name.
pub fn open_enrollment_of(conn: &Connection, contact_id: i64) -> Result<Option<(i64, String)>> {
    Ok(conn
        .prepare_cached(
            "SELECT e.id, s.name FROM enrollments e JOIN sequences s ON s.id = e.sequence_id
             WHERE e.contact_id = ?1 AND e.status IN ('active', 'paused')",
        )?
        .query_row([contact_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// The most recent enrollment of a contact in a sequence (open first).
pub fn enrollment_of_contact_in(
    conn: &Connection,
    contact_id: i64,
    sequence_id: i64,
) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM enrollments WHERE contact_id = ?1 AND sequence_id = ?2
             ORDER BY status IN ('active', 'paused') DESC, enrolled_at DESC, id DESC LIMIT 1",
        )?
        .query_row([contact_id, sequence_id], |r| r.get(0))
        .optional()?)
}

/// Collects query rows into a map keyed by their id.
fn by_id<T>(
    rows: impl Iterator<Item = super::db::Result<T>>,
    id: impl Fn(&T) -> i64,
    capacity: usize,
) -> Result<HashMap<i64, T>> {
    let mut out = HashMap::with_capacity(capacity);
    for row in rows {
        let row = row?;
        out.insert(id(&row), row);
    }
    Ok(out)
}

/// What the domain needs to decide a change, for each id that exists.
pub fn enrollment_facts(conn: &Connection, ids: &[i64]) -> Result<HashMap<i64, EnrollmentFacts>> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.id, e.sequence_id, s.name, e.contact_id, c.first_name, c.last_name, c.email,
            e.status, e.end_reason, e.current_step, e.enrolled_by, c.owner_id
         FROM enrollments e
         JOIN sequences s ON s.id = e.sequence_id
         JOIN contacts c ON c.id = e.contact_id
         WHERE e.id IN (SELECT CAST(value AS BIGINT) FROM json_each(?1))",
    )?;
    let rows = stmt.query_map([sorted_ids_json(ids)], |r| {
        let status: String = r.get(7)?;
        let reason: Option<String> = r.get(8)?;
        Ok(EnrollmentFacts {
            id: r.get(0)?,
            sequence_id: r.get(1)?,
            sequence: r.get(2)?,
            contact_id: r.get(3)?,
            contact_name: full_name(
                &r.get::<_, String>(4)?,
                &r.get::<_, String>(5)?,
                &r.get::<_, String>(6)?,
            ),
            status: parse_enum(&status, 7)?,
            end_reason: reason.map(|t| parse_enum(&t, 8)).transpose()?,
            current_step: r.get(9)?,
            enrolled_by: r.get(10)?,
            owner_id: r.get(11)?,
        })
    })?;
    by_id(rows, |row| row.id, ids.len())
}

/// [`EnrollmentKey`]s of the given ids (unknown ids are left out).
pub fn enrollment_keys(conn: &Connection, ids: &[i64]) -> Result<HashMap<i64, EnrollmentKey>> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.id, e.sequence_id, e.status, e.end_reason, e.enrolled_by, c.owner_id,
            e.current_step
         FROM enrollments e JOIN contacts c ON c.id = e.contact_id
         WHERE e.id IN (SELECT CAST(value AS BIGINT) FROM json_each(?1))",
    )?;
    let rows = stmt.query_map([sorted_ids_json(ids)], |r| {
        let status: String = r.get(2)?;
        let reason: Option<String> = r.get(3)?;
        Ok(EnrollmentKey {
            id: r.get(0)?,
            sequence_id: r.get(1)?,
            status: parse_enum(&status, 2)?,
            end_reason: reason.map(|t| parse_enum(&t, 3)).transpose()?,
            enrolled_by: r.get(4)?,
            owner_id: r.get(5)?,
            current_step: r.get(6)?,
        })
    })?;
    by_id(rows, |row| row.id, ids.len())
}

/// Every sequence's name by id.
pub fn sequence_names(conn: &Connection) -> Result<HashMap<i64, String>> {
    let mut stmt = conn.prepare_cached("SELECT id, name FROM sequences")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

pub struct NewEnrollment<'a> {
    pub sequence_id: i64,
    pub contact_id: i64,
    pub enrolled_by: i64,
    pub sender_id: i64,
    pub enrolled_at: DateTime<Utc>,
    pub sort_name: &'a str,
    pub batch: Option<&'a str>,
}

pub fn insert_enrollment(conn: &Connection, e: &NewEnrollment<'_>) -> Result<i64> {
    Ok(conn
        .prepare_cached(concat!(
            "INSERT INTO enrollments(sequence_id, contact_id, enrolled_by, sender_id, status,
            current_step, enrolled_at, sort_name, batch, search)
         VALUES (?1, ?2, ?3, ?4, 'active', 1, ?5, ?6, ?7, (SELECT ",
            super::search_text::search_text_of_contact!(),
            " FROM contacts c WHERE c.id = ?2)) RETURNING id"
        ))?
        .query_row(
            params![
                e.sequence_id,
                e.contact_id,
                e.enrolled_by,
                e.sender_id,
                format_time(e.enrolled_at),
                e.sort_name,
                e.batch
            ],
            |r| r.get(0),
        )?)
}

pub fn insert_scheduled_step(
    conn: &Connection,
    enrollment_id: i64,
    step: &Step,
    due_at: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO scheduled_steps(enrollment_id, step_id, position, kind, due_at, state)
         VALUES (?1, ?2, ?3, ?4, ?5, 'scheduled')",
    )?
    .execute(params![
        enrollment_id,
        step.id,
        step.position,
        step.kind.as_str(),
        format_time(due_at)
    ])?;
    super::sort_keys::refresh(conn, enrollment_id)
}

pub fn contact_sort_name(conn: &Connection, contact_id: i64) -> Result<String> {
    Ok(conn
        .prepare_cached("SELECT sort_name FROM contacts WHERE id = ?1")?
        .query_row([contact_id], |r| r.get(0))?)
}

// ------------------------------------------------------------ contact view

pub fn scheduled_of(conn: &Connection, enrollment_id: i64) -> Result<Vec<ScheduledStepView>> {
    let mut stmt = conn.prepare_cached(
        "SELECT ss.position, ss.kind, ss.due_at, CASE WHEN ss.state = 'scheduled'
                AND e.status NOT IN ('active', 'paused') THEN 'cancelled' ELSE ss.state END
         FROM scheduled_steps ss JOIN enrollments e ON e.id = ss.enrollment_id
         WHERE ss.enrollment_id = ?1 ORDER BY ss.position",
    )?;
    let rows = stmt.query_map([enrollment_id], |r| {
        let kind: String = r.get(1)?;
        let state: String = r.get(3)?;
        Ok(ScheduledStepView {
            step: r.get(0)?,
            kind: parse_enum(&kind, 1)?,
            due_at: parse_time(&r.get::<_, String>(2)?),
            state: parse_enum(&state, 3)?,
        })
    })?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

pub fn tasks_of(conn: &Connection, enrollment_id: i64) -> Result<Vec<TaskView>> {
    let mut stmt = conn.prepare_cached(
        "SELECT t.title, t.due_at, CASE WHEN t.state = 'open' AND e.status = 'unenrolled'
                THEN 'removed' ELSE t.state END, u.email, coalesce(ss.kind, 'task'),
                CASE WHEN ss.kind = 'call' THEN nullif(c.phone, '') END
         FROM tasks t JOIN users u ON u.id = t.owner_id JOIN enrollments e ON e.id = t.enrollment_id
         LEFT JOIN scheduled_steps ss ON ss.id = t.scheduled_step_id
         JOIN contacts c ON c.id = e.contact_id
         WHERE t.enrollment_id = ?1 ORDER BY t.due_at, t.id",
    )?;
    let rows = stmt.query_map([enrollment_id], |r| {
        let state: String = r.get(2)?;
        let kind: String = r.get(4)?;
        Ok(TaskView {
            title: r.get(0)?,
            due_at: parse_time(&r.get::<_, String>(1)?),
            state: parse_enum(&state, 2)?,
            owner: r.get(3)?,
            kind: parse_enum(&kind, 4)?,
            phone: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// A contact's timeline, newest first: sent emails, engagement events,
/// completed tasks, and unenrollments with who and why.
pub fn timeline_of(conn: &Connection, contact_id: i64, limit: usize) -> Result<Vec<TimelineEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, type, sequence, detail FROM (
            SELECT se.sent_at AS at, 'sent' AS type, s.name AS sequence, se.subject AS detail, se.id AS k
              FROM sent_emails se JOIN enrollments e ON e.id = se.enrollment_id
              JOIN sequences s ON s.id = se.sequence_id WHERE e.contact_id = ?1
            UNION ALL
            SELECT ev.at, ev.type, s.name, ev.detail, ev.id
              FROM events ev LEFT JOIN sequences s ON s.id = ev.sequence_id WHERE ev.contact_id = ?1
            UNION ALL
            SELECT t.done_at, CASE WHEN t.skipped <> 0 THEN 'task_skipped' ELSE 'task_done' END, s.name, t.title, t.id
              FROM tasks t JOIN enrollments e ON e.id = t.enrollment_id
              JOIN sequences s ON s.id = e.sequence_id
              WHERE e.contact_id = ?1 AND t.state = 'done' AND t.done_at IS NOT NULL
            UNION ALL
            SELECT e.ended_at, 'unenrolled', s.name,
                   e.end_reason || coalesce(' by ' || u.name, '') || coalesce(': ' || e.note, ''), e.id
              FROM enrollments e JOIN sequences s ON s.id = e.sequence_id
              LEFT JOIN users u ON u.id = e.ended_by
              WHERE e.contact_id = ?1 AND e.status = 'unenrolled'
         ) AS timeline ORDER BY at DESC, k DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![contact_id, limit as i64], |r| {
        Ok(TimelineEntry {
            at: parse_time(&r.get::<_, String>(0)?),
            kind: r.get(1)?,
            sequence: r.get(2)?,
            detail: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

pub fn insert_sequence(
    conn: &Connection,
    name: &str,
    owner_id: i64,
    unenroll_colleagues: bool,
    now: DateTime<Utc>,
) -> Result<i64> {
    Ok(conn.query_row(
        "INSERT INTO sequences(name, owner_id, unenroll_colleagues, created_at) VALUES (?1, ?2, ?3, ?4)
         RETURNING id",
        params![name, owner_id, unenroll_colleagues, format_time(now)],
        |r| r.get(0),
    )?)
}

pub fn insert_step(conn: &Connection, sequence_id: i64, step: &Step) -> Result<i64> {
    Ok(conn.query_row(
        "INSERT INTO steps(sequence_id, position, kind, delay_days, subject, body, title)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
        params![
            sequence_id,
            step.position,
            step.kind.as_str(),
            step.delay_days,
            step.subject,
            step.body,
            step.title
        ],
        |r| r.get(0),
    )?)
}

/// Marks the contacts not yet opted out as opted out at `at`, by `by`, via
/// `via` (an opt-out already recorded keeps its first time, who and how).
/// Returns the ids it marked.
pub fn set_opted_out(
    conn: &Connection,
    contact_ids: &[i64],
    at: DateTime<Utc>,
    by: Option<i64>,
    via: OptOutVia,
) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "UPDATE contacts SET opted_out_at = ?2, opted_out_by = ?3, opted_out_via = ?4
         WHERE opted_out_at IS NULL AND id IN (SELECT CAST(value AS BIGINT) FROM json_each(?1))
         RETURNING id",
    )?;
    let rows = stmt.query_map(
        params![
            sorted_ids_json(contact_ids),
            format_time(at),
            by,
            via.as_str()
        ],
        |r| r.get(0),
    )?;
    let mut ids: Vec<i64> = rows.collect::<super::db::Result<_>>()?;
    ids.sort_unstable();
    Ok(ids)
}

/// [`set_opted_out`] for the contacts of the staged enrollments (an
/// unenroll with reason `opted_out`, however large).
pub fn set_opted_out_staged(
    conn: &Connection,
    at: DateTime<Utc>,
    by: Option<i64>,
    via: OptOutVia,
) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "UPDATE contacts SET opted_out_at = ?1, opted_out_by = ?2, opted_out_via = ?3
         WHERE opted_out_at IS NULL AND id IN
            (SELECT e.contact_id FROM enrollments e WHERE e.id IN (SELECT id FROM temp.batch_ids))
         RETURNING id",
    )?;
    let rows = stmt.query_map(params![format_time(at), by, via.as_str()], |r| r.get(0))?;
    let mut ids: Vec<i64> = rows.collect::<super::db::Result<_>>()?;
    ids.sort_unstable();
    Ok(ids)
}

/// Adds to the staged enrollments the other open enrollments of their
/// contacts (an opt-out ends every open enrollment of the contact);
/// returns the ids it added.
pub fn stage_other_open_of_staged_contacts(conn: &Connection) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO temp.batch_ids(id, before_status, before_step)
         SELECT o.id, o.status, o.current_step FROM enrollments o
         WHERE o.status IN ('active', 'paused')
           AND o.id NOT IN (SELECT id FROM temp.batch_ids)
           AND o.contact_id IN (SELECT e.contact_id FROM enrollments e
                                WHERE e.id IN (SELECT id FROM temp.batch_ids))
         RETURNING id",
    )?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    let mut ids: Vec<i64> = rows.collect::<super::db::Result<_>>()?;
    ids.sort_unstable();
    Ok(ids)
}

/// Clears a contact's opt-out (who, when and how with it).
pub fn clear_opted_out(conn: &Connection, contact_id: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE contacts SET opted_out_at = NULL, opted_out_by = NULL, opted_out_via = NULL
         WHERE id = ?1",
    )?
    .execute([contact_id])?;
    Ok(())
}

/// The ids of a contact's open enrollments.
pub fn open_enrollment_ids(conn: &Connection, contact_id: i64) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM enrollments WHERE contact_id = ?1 AND status IN ('active', 'paused')",
    )?;
    let rows = stmt.query_map([contact_id], |r| r.get(0))?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

pub fn insert_event(
    conn: &Connection,
    contact_id: i64,
    enrollment_id: Option<i64>,
    kind: &str,
    at: DateTime<Utc>,
    detail: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO events(contact_id, enrollment_id, sequence_id, type, at, detail)
         VALUES (?1, ?2, (SELECT sequence_id FROM enrollments WHERE id = ?2), ?3, ?4, ?5)",
    )?
    .execute(params![
        contact_id,
        enrollment_id,
        kind,
        format_time(at),
        detail
    ])?;
    super::sort_keys::note_event(conn, enrollment_id, kind, at)
}

/// Gives a contact a new email: the email as typed, its key and the sort
/// name (which holds the email), also on the copies its enrollments keep.
pub fn set_contact_email(
    conn: &Connection,
    contact_id: i64,
    email: &str,
    sort: &str,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE contacts SET email = ?2, email_key = ?3, sort_name = ?4 WHERE id = ?1",
    )?
    .execute(params![contact_id, email, email_key(email), sort])?;
    super::search_text::copy_to_enrollments(conn, contact_id, sort)
}
