//! Every query and statement the domain runs. Functions take a
//! `&Connection` (a `Transaction` derefs to one) so the domain decides
//! where transactions begin and end. Values are always bound as
//! parameters; the only text spliced into SQL is from fixed lists here.

use std::collections::HashMap;

use super::db::{Connection, OptionalExtension, Row, params_from_iter};
use chrono::{DateTime, Utc};
use rusqlite::params;
use rusqlite::types::Value;

use super::{format_time, parse_time};
use crate::domain::*;

fn opt_time(text: Option<String>) -> Option<DateTime<Utc>> {
    text.map(|t| parse_time(&t))
}

fn parse_enum<T: std::str::FromStr>(text: &str, col: usize) -> super::db::Result<T> {
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

// -------------------------------------------------------------------- users

fn user_from_row(r: &Row<'_>) -> super::db::Result<User> {
    let role: String = r.get(3)?;
    Ok(User {
        id: r.get(0)?,
        email: r.get(1)?,
        name: r.get(2)?,
        role: parse_enum(&role, 3)?,
        team: r.get(4)?,
        login: r.get(5)?,
    })
}

pub fn users(conn: &Connection) -> Result<Vec<User>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, email, name, role, team, os_login FROM users ORDER BY team, role, name",
    )?;
    let rows = stmt.query_map([], user_from_row)?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

pub fn user_by_email(conn: &Connection, email: &str) -> Result<Option<User>> {
    Ok(conn
        .query_row(
            "SELECT id, email, name, role, team, os_login FROM users WHERE email_key = ?1",
            [email_key(email)],
            user_from_row,
        )
        .optional()?)
}

pub fn insert_user(
    conn: &Connection,
    email: &str,
    name: &str,
    role: Role,
    team: &str,
) -> Result<i64> {
    Ok(conn.query_row(
        "INSERT INTO users(email, email_key, name, role, team) VALUES (?1, ?2, ?3, ?4, ?5)
         RETURNING id",
        params![email, email_key(email), name, role.as_str(), team],
        |r| r.get(0),
    )?)
}

/// The login the database server authenticated this session as (the
/// PostgreSQL role); `None` for a SQLite file, which has no logins of
/// its own.
pub fn server_login(conn: &Connection) -> Result<Option<String>> {
    match conn.dialect() {
        super::Dialect::Sqlite => Ok(None),
        super::Dialect::Postgres => Ok(Some(conn.query_row(
            "SELECT CAST(current_user AS TEXT)",
            [],
            |r| r.get(0),
        )?)),
    }
}

/// On a database server, gives the role `login` access to the
/// workspace's tables as a user is bound to it (the audit append-only for
/// it; an admin's role may grant in turn); nothing for a SQLite file,
/// whose logins are the operating system's. See `pg::grant`.
pub fn grant_login(conn: &Connection, login: &str, admin: bool) -> Result<()> {
    match conn.dialect() {
        super::Dialect::Sqlite => Ok(()),
        super::Dialect::Postgres => super::pg::grant(conn, login, admin),
    }
}

/// Takes back what [`grant_login`] gave a role no user is bound to any
/// more; nothing for a SQLite file.
pub fn revoke_login(conn: &Connection, login: &str) -> Result<()> {
    match conn.dialect() {
        super::Dialect::Sqlite => Ok(()),
        super::Dialect::Postgres => super::pg::revoke(conn, login),
    }
}

/// The user bound to an operating-system login.
pub fn user_by_login(conn: &Connection, login: &str) -> Result<Option<User>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, email, name, role, team, os_login FROM users WHERE os_login = ?1",
        )?
        .query_row([login], user_from_row)
        .optional()?)
}

/// Whether any user is bound to a login (then identity is enforced).
pub fn logins_bound(conn: &Connection) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM users WHERE os_login IS NOT NULL)")?
        .query_row([], |r| r.get(0))?)
}

/// Whether any admin is bound to a login.
pub fn admins_bound(conn: &Connection) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM users WHERE os_login IS NOT NULL AND role = 'admin')",
        )?
        .query_row([], |r| r.get(0))?)
}

/// Binds (or with `None` unbinds) a user's login; a login bound to someone
/// else is moved, so that one login is one user.
pub fn set_login(conn: &Connection, user_id: i64, login: Option<&str>) -> Result<()> {
    if let Some(login) = login {
        conn.prepare_cached("UPDATE users SET os_login = NULL WHERE os_login = ?1 AND id <> ?2")?
            .execute(params![login, user_id])?;
    }
    conn.prepare_cached("UPDATE users SET os_login = ?2 WHERE id = ?1")?
        .execute(params![user_id, login])?;
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

// ----------------------------------------------------------------- contacts

const CONTACT: &str = "SELECT c.id, c.email, c.first_name, c.last_name, c.company, c.title,
        u.email, c.lifecycle_stage, c.opted_out_at, ob.email, c.opted_out_via,
        c.undeliverable_email_key = c.email_key, c.undeliverable_at, c.undeliverable_reason,
        c.undeliverable_diagnostic, c.phone, c.crm_id
    FROM contacts c LEFT JOIN users u ON u.id = c.owner_id
    LEFT JOIN users ob ON ob.id = c.opted_out_by";

fn contact_from_row(r: &Row<'_>) -> super::db::Result<Contact> {
    let opted: Option<String> = r.get(8)?;
    let via: Option<String> = r.get(10)?;
    // R9: the mark holds only while the address is the one it marked.
    let undeliverable = r.get::<_, Option<bool>>(11)?.unwrap_or(false);
    Ok(Contact {
        id: r.get(0)?,
        email: r.get(1)?,
        first_name: r.get(2)?,
        last_name: r.get(3)?,
        company: r.get(4)?,
        title: r.get(5)?,
        owner: r.get(6)?,
        lifecycle_label: crate::domain::lifecycle_label(&r.get::<_, String>(7)?),
        lifecycle_stage: r.get(7)?,
        opted_out: opted.is_some(),
        opted_out_at: opt_time(opted),
        opted_out_by: r.get(9)?,
        opted_out_via: via.and_then(|v| v.parse().ok()),
        address_state: if undeliverable {
            AddressState::Undeliverable
        } else {
            AddressState::Deliverable
        },
        undeliverable_at: if undeliverable {
            opt_time(r.get(12)?)
        } else {
            None
        },
        undeliverable_reason: if undeliverable {
            r.get::<_, Option<String>>(13)?.and_then(|v| v.parse().ok())
        } else {
            None
        },
        undeliverable_diagnostic: if undeliverable { r.get(14)? } else { None },
        phone: r.get(15)?,
        crm_id: r.get(16)?,
    })
}

/// A contact by numeric id or by email (compared by its key, so any case
/// and any Unicode normal form of it finds the contact).
pub fn find_contact(conn: &Connection, id_or_email: &str) -> Result<Option<Contact>> {
    let text = id_or_email.trim();
    if let Ok(id) = text.parse::<i64>() {
        return Ok(conn
            .query_row(
                &format!("{CONTACT} WHERE c.id = ?1"),
                [id],
                contact_from_row,
            )
            .optional()?);
    }
    Ok(conn
        .query_row(
            &format!("{CONTACT} WHERE c.email_key = ?1"),
            [email_key(text)],
            contact_from_row,
        )
        .optional()?)
}

/// The contacts a bulk enroll staged and refused as opted out or
/// undeliverable (see `store::contacts::refuse_staged`), in one query.
pub fn staged_blocked_contacts(conn: &Connection) -> Result<Vec<Contact>> {
    let mut stmt = conn.prepare(&format!(
        "{CONTACT} JOIN temp.enroll_contacts t ON t.contact_id = c.id
         WHERE t.code IN ('opted_out', 'undeliverable')"
    ))?;
    let rows = stmt.query_map([], contact_from_row)?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// Contacts whose name, email or company contain every word of `text`,
/// in name order, at most `limit`.
pub fn search_contacts(conn: &Connection, text: &str, limit: usize) -> Result<Vec<Contact>> {
    let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    let mut sql = format!("{CONTACT} WHERE 1 = 1");
    let mut values: Vec<Value> = Vec::new();
    for word in words {
        sql.push_str(" AND (instr(c.sort_name, ?) > 0 OR instr(lower(c.company), ?) > 0)");
        values.push(Value::Text(word.clone()));
        values.push(Value::Text(word));
    }
    sql.push_str(" ORDER BY c.sort_name, c.id LIMIT ?");
    values.push(Value::Integer(limit as i64));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), contact_from_row)?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// The letters of a typed word as a LIKE pattern that finds them in order
/// from the start of a text ("emly" → "e%m%l%y%"); LIKE's own wildcards
/// are dropped (they are not letters). None when nothing is left.
fn letters_in_order(word: &str) -> Option<String> {
    let mut pattern = String::new();
    for ch in word.chars().filter(|c| !matches!(c, '%' | '_')) {
        pattern.push(ch);
        pattern.push('%');
    }
    (!pattern.is_empty()).then_some(pattern)
}

/// The statement of [`contacts_by_word_starts`] and its values, or None
/// when no word has a letter.
fn word_starts_sql(words: &[String], limit: usize) -> Option<(String, Vec<Value>)> {
    let patterns: Vec<String> = words.iter().filter_map(|w| letters_in_order(w)).collect();
    if patterns.is_empty() {
        return None;
    }
    let mut values: Vec<Value> = Vec::new();
    // Some word starts the first name, last name, company or email: four
    // ranges of NOCASE indexes per word (LIKE with a fixed first letter
    // walks only that letter's part of each), read as one multi-index OR.
    let mut anchors = Vec::new();
    for p in &patterns {
        for column in ["c.first_name", "c.last_name", "c.company", "c.email"] {
            anchors.push(format!("{column} LIKE ?"));
            values.push(Value::Text(p.clone()));
        }
    }
    let mut sql = format!("{CONTACT} WHERE ({})", anchors.join(" OR "));
    // And every word starts a word of them, its other letters following.
    for p in &patterns {
        sql.push_str(
            " AND (' ' || c.first_name || ' ' || c.last_name || ' ' || c.company || ' '
                || c.email) LIKE ?",
        );
        values.push(Value::Text(format!("% {p}")));
    }
    sql.push_str(" LIMIT ?");
    values.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
    Some((sql, values))
}

/// The candidates of a fuzzy contact search, at most `limit`, in no
/// particular order (the domain ranks them): contacts where some word
/// starts the first name, last name, company or email with its letters in
/// order, and every word starts a word of those with its letters in order
/// ("emly chn": Emily Chen, Emily Chang). Index ranges of the words' first
/// letters, never a walk of every contact.
pub fn contacts_by_word_starts(
    conn: &Connection,
    words: &[String],
    limit: usize,
) -> Result<Vec<Contact>> {
    let Some((sql, values)) = word_starts_sql(words, limit) else {
        return Ok(Vec::new());
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), contact_from_row)?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// The query plan of [`contacts_by_word_starts`], one line per step (for
/// the test that keeps it on the indexes).
pub fn contacts_by_word_starts_plan(conn: &Connection, words: &[String]) -> Result<Vec<String>> {
    let Some((sql, values)) = word_starts_sql(words, 1) else {
        return Ok(Vec::new());
    };
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let rows = stmt.query_map(params_from_iter(values), |r| r.get::<_, String>(3))?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// The fields an import writes for one contact.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactFields {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub company: String,
    pub title: String,
    pub owner_id: Option<i64>,
    pub lifecycle_stage: Option<String>,
    pub phone: String,
    pub crm_id: String,
}

/// The contact an import row with this email updates, if any (matched as
/// [`upsert_contact`] matches it), with its id and its fields as they are.
pub fn contact_fields(conn: &Connection, email: &str) -> Result<Option<(i64, ContactFields)>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, email, first_name, last_name, company, title, owner_id, lifecycle_stage,
                phone, crm_id
             FROM contacts WHERE email_key = ?1",
        )?
        .query_row([email_key(email)], |r| {
            Ok((
                r.get(0)?,
                ContactFields {
                    email: r.get(1)?,
                    first_name: r.get(2)?,
                    last_name: r.get(3)?,
                    company: r.get(4)?,
                    title: r.get(5)?,
                    owner_id: r.get(6)?,
                    lifecycle_stage: r.get(7)?,
                    phone: r.get(8)?,
                    crm_id: r.get(9)?,
                },
            ))
        })
        .optional()?)
}

/// Inserts a contact, or updates the one with the same email key (every
/// field as given, the owner too; a `None` stage keeps the stage; the email
/// as first typed is kept). Returns
/// whether it was new. Keeps the enrollments' copy of the sort key in step.
pub fn upsert_contact(conn: &Connection, c: &ContactFields, now: DateTime<Utc>) -> Result<bool> {
    let sort = sort_name(&c.first_name, &c.last_name, &c.email);
    let existing: Option<i64> = conn
        .query_row(
            "SELECT id FROM contacts WHERE email_key = ?1",
            [email_key(&c.email)],
            |r| r.get(0),
        )
        .optional()?;
    match existing {
        Some(id) => {
            conn.prepare_cached(
                "UPDATE contacts SET first_name = ?2, last_name = ?3, company = ?4, title = ?5,
                    owner_id = ?6, lifecycle_stage = coalesce(?7, lifecycle_stage),
                    sort_name = ?8, phone = ?9, crm_id = ?10
                 WHERE id = ?1",
            )?
            .execute(params![
                id,
                c.first_name,
                c.last_name,
                c.company,
                c.title,
                c.owner_id,
                c.lifecycle_stage,
                sort,
                c.phone,
                c.crm_id
            ])?;
            super::search_text::copy_to_enrollments(conn, id, &sort)?;
            Ok(false)
        }
        None => {
            conn.prepare_cached(
                "INSERT INTO contacts(email, first_name, last_name, company, title, owner_id,
                    lifecycle_stage, created_at, sort_name, email_key, phone, crm_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, coalesce(?7, 'lead'), ?8, ?9, ?10, ?11, ?12)",
            )?
            .execute(params![
                c.email,
                c.first_name,
                c.last_name,
                c.company,
                c.title,
                c.owner_id,
                c.lifecycle_stage,
                format_time(now),
                sort,
                email_key(&c.email),
                c.phone,
                c.crm_id
            ])?;
            Ok(true)
        }
    }
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

// ---------------------------------------------------------------- unenroll

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
