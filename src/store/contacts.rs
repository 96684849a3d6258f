//! The contact list (`seqtui contacts`) and the set-based bulk enroll:
//! contacts staged in `temp.enroll_contacts`, their refusals computed in
//! SQL, enrollments, scheduled steps and audit rows inserted with
//! INSERT … SELECT.

use super::db::{Connection, params_from_iter};
use rusqlite::params;
use rusqlite::types::Value;

use super::format_time;
use super::queries::{contact_conditions, ids_json};
use crate::domain::*;

const ROW: &str = "SELECT c.id, c.email, c.first_name, c.last_name, c.company, c.title,
        u.email, c.lifecycle_stage, c.phone, c.crm_id, c.opted_out_at IS NOT NULL,
        CASE WHEN c.undeliverable_email_key = c.email_key THEN 1 ELSE 0 END, s.name, e.id, c.sort_name
    FROM contacts c LEFT JOIN users u ON u.id = c.owner_id
    LEFT JOIN enrollments e ON e.contact_id = c.id AND e.status IN ('active', 'paused')
    LEFT JOIN sequences s ON s.id = e.sequence_id";

fn conditions(
    q: &EnrollmentQuery,
    opted_out: Option<bool>,
    values: &mut Vec<Value>,
) -> Vec<String> {
    let mut conds = contact_conditions(q, values);
    match opted_out {
        Some(true) => conds.push("c.opted_out_at IS NOT NULL".into()),
        Some(false) => conds.push("c.opted_out_at IS NULL".into()),
        None => {}
    }
    conds
}

/// A page of contacts in name order after `after`: the walk follows the
/// `contacts_sort` index from the cursor and stops after `limit` matches,
/// so a page costs the same on the first and the millionth contact.
pub fn contact_page(
    conn: &Connection,
    q: &EnrollmentQuery,
    opted_out: Option<bool>,
    after: Option<&ContactCursor>,
    limit: usize,
) -> Result<Vec<ContactRow>> {
    let mut values = Vec::new();
    let mut conds = conditions(q, opted_out, &mut values);
    if let Some(after) = after {
        conds.push("(c.sort_name, c.id) > (?, ?)".into());
        values.push(Value::Text(after.sort_name.clone()));
        values.push(Value::Integer(after.id));
    }
    let sql = format!(
        "{ROW} {} ORDER BY c.sort_name, c.id LIMIT ?",
        where_clause(&conds)
    );
    values.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), |r| {
        let stage: String = r.get(7)?;
        Ok(ContactRow {
            id: r.get(0)?,
            email: r.get(1)?,
            first_name: r.get(2)?,
            last_name: r.get(3)?,
            company: r.get(4)?,
            title: r.get(5)?,
            owner: r.get(6)?,
            lifecycle_label: lifecycle_label(&stage),
            lifecycle_stage: stage,
            phone: r.get(8)?,
            crm_id: r.get(9)?,
            opted_out: r.get(10)?,
            undeliverable: r.get(11)?,
            open_sequence: r.get(12)?,
            open_enrollment: r.get(13)?,
            sort_name: r.get(14)?,
        })
    })?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

fn where_clause(conds: &[String]) -> String {
    if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    }
}

/// The ids of every contact matching, in id order.
pub fn contact_ids(
    conn: &Connection,
    q: &EnrollmentQuery,
    opted_out: Option<bool>,
) -> Result<Vec<i64>> {
    let mut values = Vec::new();
    let conds = conditions(q, opted_out, &mut values);
    let sql = format!(
        "SELECT c.id FROM contacts c {} ORDER BY c.id",
        where_clause(&conds)
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), |r| r.get(0))?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// The query plan of [`contact_page`]'s first page, one line per step
/// (for the test that keeps it a walk of the name index, never a sort).
pub fn contact_page_plan(
    conn: &Connection,
    q: &EnrollmentQuery,
    opted_out: Option<bool>,
) -> Result<Vec<String>> {
    let mut values = Vec::new();
    let mut conds = conditions(q, opted_out, &mut values);
    conds.push("(c.sort_name, c.id) > (?, ?)".into());
    values.push(Value::Text(String::new()));
    values.push(Value::Integer(0));
    values.push(Value::Integer(50));
    let sql = format!(
        "EXPLAIN QUERY PLAN {ROW} {} ORDER BY c.sort_name, c.id LIMIT ?",
        where_clause(&conds)
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), |r| r.get::<_, String>(3))?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// The id of the contact with this email (by its key).
pub fn contact_id_by_email(conn: &Connection, email: &str) -> Result<Option<i64>> {
    use super::db::OptionalExtension;
    Ok(conn
        .prepare_cached("SELECT id FROM contacts WHERE email_key = ?1")?
        .query_row([email_key(email)], |r| r.get(0))
        .optional()?)
}

// ------------------------------------------------------------ bulk enroll

/// Stages the contacts of an enroll request (each once) in
/// `temp.enroll_contacts`, with no refusal yet.
pub fn stage_contacts(conn: &Connection, ids: &[i64]) -> Result<()> {
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS enroll_contacts(
            contact_id INTEGER PRIMARY KEY, code TEXT, open_enrollment INTEGER);
         DELETE FROM temp.enroll_contacts;",
    )?;
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut insert = conn.prepare_cached(
        "INSERT INTO temp.enroll_contacts(contact_id)
         SELECT CAST(value AS BIGINT) FROM json_each(?1)
         WHERE CAST(value AS BIGINT) IN (SELECT id FROM contacts)",
    )?;
    // In chunks: one JSON text per 50,000 ids keeps the memory small.
    for chunk in sorted.chunks(50_000) {
        let json = ids_json(chunk);
        insert.execute([json])?;
    }
    Ok(())
}

/// Marks each staged contact that may not be enrolled, in rule order: R2
/// (`opted_out`), R9 (`undeliverable`), R1 (`already_enrolled`, with the
/// open enrollment). One pass over the staged rows, each an index probe.
pub fn refuse_staged(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "UPDATE temp.enroll_contacts SET
            open_enrollment = (SELECT e.id FROM enrollments e
                WHERE e.contact_id = enroll_contacts.contact_id
                    AND e.status IN ('active', 'paused'));
         UPDATE temp.enroll_contacts SET code = (
            SELECT CASE
                WHEN c.opted_out_at IS NOT NULL THEN 'opted_out'
                WHEN c.undeliverable_email_key = c.email_key THEN 'undeliverable'
                WHEN enroll_contacts.open_enrollment IS NOT NULL THEN 'already_enrolled'
            END
            FROM contacts c WHERE c.id = enroll_contacts.contact_id);",
    )?;
    Ok(())
}

/// One staged contact a rule refused.
#[derive(Debug, Clone)]
pub struct StagedRefusal {
    pub contact_id: i64,
    pub email: String,
    pub code: SkipCode,
    /// The sequence of the open enrollment (R1).
    pub open_in: Option<String>,
}

/// The refused staged contacts, in id order.
pub fn staged_refusals(conn: &Connection) -> Result<Vec<StagedRefusal>> {
    let mut stmt = conn.prepare(
        "SELECT t.contact_id, c.email, t.code, s.name
         FROM temp.enroll_contacts t JOIN contacts c ON c.id = t.contact_id
         LEFT JOIN enrollments e ON e.id = t.open_enrollment
         LEFT JOIN sequences s ON s.id = e.sequence_id
         WHERE t.code IS NOT NULL ORDER BY t.contact_id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(StagedRefusal {
            contact_id: r.get(0)?,
            email: r.get(1)?,
            code: super::queries::parse_enum(&r.get::<_, String>(2)?, 2)?,
            open_in: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// How many staged contacts no rule refused.
pub fn staged_accepted(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM temp.enroll_contacts WHERE code IS NULL",
        [],
        |r| r.get(0),
    )?)
}

/// What a bulk enroll writes for each accepted contact.
pub struct StagedEnroll<'a> {
    pub sequence_id: i64,
    pub actor_id: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub batch: &'a str,
    pub audit_id: i64,
    /// Each step (id, position, kind) with its due time.
    pub steps: Vec<(i64, i64, StepKind, chrono::DateTime<chrono::Utc>)>,
}

/// Enrolls every accepted staged contact (active, step 1, enrolled by and
/// sent by the actor), schedules its steps and writes its audit row, each
/// with one INSERT … SELECT. New enrollments take ids above the largest
/// one, in contact-id order; returns (contact, enrollment) pairs.
pub fn enroll_staged(conn: &Connection, e: &StagedEnroll<'_>) -> Result<Vec<(i64, i64)>> {
    let before: i64 = conn.query_row("SELECT coalesce(max(id), 0) FROM enrollments", [], |r| {
        r.get(0)
    })?;
    // Every new enrollment has the same schedule: its next due is the
    // earliest step's (migration 19's column, written with the row).
    let next_due = e.steps.iter().map(|(_, _, _, due)| *due).min();
    conn.prepare(concat!(
        "INSERT INTO enrollments(sequence_id, contact_id, enrolled_by, sender_id, status,
            current_step, enrolled_at, sort_name, batch, next_due, search)
         SELECT ?1, t.contact_id, ?2, ?2, 'active', 1, ?3, c.sort_name, ?4, ?5, ",
        super::search_text::search_text_of_contact!(),
        " FROM temp.enroll_contacts t JOIN contacts c ON c.id = t.contact_id
         WHERE t.code IS NULL ORDER BY t.contact_id"
    ))?
    .execute(params![
        e.sequence_id,
        e.actor_id,
        format_time(e.at),
        e.batch,
        next_due.map(format_time)
    ])?;
    let mut schedule = conn.prepare(
        "INSERT INTO scheduled_steps(enrollment_id, step_id, position, kind, due_at, state)
         SELECT id, ?2, ?3, ?4, ?5, 'scheduled' FROM enrollments WHERE id > ?1 ORDER BY id",
    )?;
    for (step_id, position, kind, due_at) in &e.steps {
        schedule.execute(params![
            before,
            step_id,
            position,
            kind.as_str(),
            format_time(*due_at)
        ])?;
    }
    conn.prepare(
        "INSERT INTO audit_enrollments(audit_id, enrollment_id, before_status, before_step)
         SELECT ?2, id, 'active', 1 FROM enrollments WHERE id > ?1 ORDER BY id",
    )?
    .execute(params![before, e.audit_id])?;
    let mut stmt =
        conn.prepare("SELECT contact_id, id FROM enrollments WHERE id > ?1 ORDER BY id")?;
    let rows = stmt.query_map([before], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// Every staged contact (those that exist), refused or not.
pub fn staged_ids(conn: &Connection) -> Result<std::collections::HashSet<i64>> {
    let mut stmt = conn.prepare("SELECT contact_id FROM temp.enroll_contacts")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}
