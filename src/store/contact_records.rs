//! One contact at a time: finding it by id, email or the starts of the
//! words of its name, the contacts a staged batch may not touch, and its
//! fields as an import reads and writes them (the upsert).

use super::db::{Connection, OptionalExtension, Row, params_from_iter};
use chrono::{DateTime, Utc};
use rusqlite::params;
use rusqlite::types::Value;

use super::format_time;
use super::queries::opt_time;
use crate::domain::*;

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
