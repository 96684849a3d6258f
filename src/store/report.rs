//! The SQL behind `domain::report`: grouped aggregates over enrollments,
//! sent emails and engagement events, one row per group, never per
//! enrollment. Every query takes the same filter (an optional sequence and
//! an optional "enrolled at or after"); the fragments spliced into the SQL
//! come from this file only and every value is bound as a parameter.

use super::db::{Connection, params_from_iter};
use chrono::{DateTime, Utc};
use rusqlite::types::Value;

use super::format_time;
use crate::domain::{Engagement, Result};

/// Which enrollments a report counts.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportFilter {
    pub sequence_id: Option<i64>,
    pub enrolled_since: Option<DateTime<Utc>>,
}

impl ReportFilter {
    /// ` AND …` conditions on the enrollment alias `e`, with their values.
    fn on_enrollment(&self, values: &mut Vec<Value>) -> String {
        let mut sql = String::new();
        if let Some(id) = self.sequence_id {
            sql.push_str(" AND e.sequence_id = ?");
            values.push(Value::Integer(id));
        }
        if let Some(since) = self.enrolled_since {
            sql.push_str(" AND e.enrolled_at >= ?");
            values.push(Value::Text(format_time(since)));
        }
        sql
    }
}

/// A sequence a report has a line for.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSequence {
    pub id: i64,
    pub name: String,
    pub archived: bool,
}

/// The sequences to report on, in the order the Sequences list uses.
pub fn sequences(conn: &Connection, filter: &ReportFilter) -> Result<Vec<ReportSequence>> {
    let mut values = Vec::new();
    let mut sql = String::from("SELECT s.id, s.name, s.archived FROM sequences s WHERE 1 = 1");
    if let Some(id) = filter.sequence_id {
        sql.push_str(" AND s.id = ?");
        values.push(Value::Integer(id));
    }
    sql.push_str(" ORDER BY s.archived, s.name");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), |r| {
        Ok(ReportSequence {
            id: r.get(0)?,
            name: r.get(1)?,
            archived: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// (sequence id, status, count). Without a date this is a walk of the
/// covering index `enrollments_status_page`; with one every enrollment of
/// the sequences concerned is read for its `enrolled_at`.
pub fn status_counts(conn: &Connection, filter: &ReportFilter) -> Result<Vec<(i64, String, i64)>> {
    let mut values = Vec::new();
    let conditions = filter.on_enrollment(&mut values);
    let sql = format!(
        "SELECT e.sequence_id, e.status, count(*) FROM enrollments e
         WHERE 1 = 1{conditions} GROUP BY e.sequence_id, e.status"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// One group of unenrolled enrollments: sequence, end reason, the UTC day
/// (`YYYY-MM-DD`) it ended when that day is in `[days_from, days_until)`,
/// and how many.
#[derive(Debug, Clone, PartialEq)]
pub struct UnenrolledGroup {
    pub sequence_id: i64,
    pub end_reason: String,
    pub day: Option<String>,
    pub count: i64,
}

/// Unenrolled enrollments grouped by sequence, end reason and (inside the
/// window) the day they ended: one pass over the unenrolled rows only,
/// found through `enrollments_status_page` one sequence at a time (the
/// CROSS JOIN keeps sequences the outer loop).
pub fn unenrolled_groups(
    conn: &Connection,
    filter: &ReportFilter,
    days_from: DateTime<Utc>,
    days_until: DateTime<Utc>,
) -> Result<Vec<UnenrolledGroup>> {
    let mut values = vec![
        Value::Text(format_time(days_from)),
        Value::Text(format_time(days_until)),
    ];
    let conditions = filter.on_enrollment(&mut values);
    let sql = format!(
        "SELECT e.sequence_id, e.end_reason,
            CASE WHEN e.ended_at >= ?1 AND e.ended_at < ?2 THEN substr(e.ended_at, 1, 10) END,
            count(*)
         FROM sequences s CROSS JOIN enrollments e ON e.sequence_id = s.id AND e.status = 'unenrolled'
         WHERE 1 = 1{conditions}
         GROUP BY 1, 2, 3"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), |r| {
        Ok(UnenrolledGroup {
            sequence_id: r.get(0)?,
            end_reason: r.get(1)?,
            day: r.get(2)?,
            count: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// (sequence id, sent emails, enrollments with at least one sent email),
/// whatever the enrollment's status now (R3). Without a date, a walk of
/// `sent_emails_sequence`.
pub fn sent_counts(conn: &Connection, filter: &ReportFilter) -> Result<Vec<(i64, i64, i64)>> {
    let mut values = Vec::new();
    let mut sql = String::from(
        "SELECT se.sequence_id, count(*), count(DISTINCT se.enrollment_id) FROM sent_emails se",
    );
    if let Some(since) = filter.enrolled_since {
        sql.push_str(" JOIN enrollments e ON e.id = se.enrollment_id AND e.enrolled_at >= ?");
        values.push(Value::Text(format_time(since)));
    }
    sql.push_str(" WHERE 1 = 1");
    if let Some(id) = filter.sequence_id {
        sql.push_str(" AND se.sequence_id = ?");
        values.push(Value::Integer(id));
    }
    sql.push_str(" GROUP BY se.sequence_id");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// (sequence id, event type, distinct enrollments with such an event),
/// whatever the enrollment's status now (R3). Without a date, a walk of
/// the covering index `events_sequence` (about 0.4 s for a million events);
/// with one, each distinct enrollment is looked up for its `enrolled_at`.
pub fn engaged_counts(
    conn: &Connection,
    filter: &ReportFilter,
) -> Result<Vec<(i64, Engagement, i64)>> {
    let mut values: Vec<Value> = Engagement::ALL
        .iter()
        .map(|t| Value::Text(t.as_str().into()))
        .collect();
    let mut inner = String::from(
        "SELECT DISTINCT ev.sequence_id AS sequence_id, ev.type AS type, ev.enrollment_id AS enrollment_id
         FROM events ev WHERE ev.type IN (?, ?, ?, ?) AND ev.enrollment_id IS NOT NULL",
    );
    if let Some(id) = filter.sequence_id {
        inner.push_str(" AND ev.sequence_id = ?");
        values.push(Value::Integer(id));
    }
    let mut sql = format!("SELECT d.sequence_id, d.type, count(*) FROM ({inner}) d WHERE 1 = 1");
    if let Some(since) = filter.enrolled_since {
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM enrollments e WHERE e.id = d.enrollment_id AND e.enrolled_at >= ?)",
        );
        values.push(Value::Text(format_time(since)));
    }
    sql.push_str(" GROUP BY d.sequence_id, d.type");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), |r| {
        Ok((
            r.get(0)?,
            super::queries::parse_enum(&r.get::<_, String>(1)?, 1)?,
            r.get(2)?,
        ))
    })?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}
