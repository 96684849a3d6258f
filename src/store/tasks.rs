//! The SQL of tasks for reps (R18): a user's open tasks in due order, one
//! page at a time (keyset on `(due_at, id)` over the `tasks_queue` index),
//! a task with what completing it needs, completing, snoozing, and moving
//! an enrollment waiting at a task step on. Nothing here decides a rule;
//! `crate::domain::tasks` does.

use super::db::{Connection, OptionalExtension};
use chrono::{DateTime, Duration, Utc};
use rusqlite::params;

use super::{format_time, parse_time};
use crate::domain::*;

/// Which open tasks a page holds. An open task of an unenrolled enrollment
/// (its batch not tidied yet) counts as removed and is never listed.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub owner: Option<i64>,
    pub sequence: Option<i64>,
    /// Only tasks due before this time.
    pub due_before: Option<DateTime<Utc>>,
    /// Keyset: only tasks after this `(due_at, id)`.
    pub after: Option<(DateTime<Utc>, i64)>,
    pub limit: usize,
}

/// One open task as the queue shows it.
#[derive(Debug, Clone)]
pub struct TaskListRow {
    pub id: i64,
    pub title: String,
    pub kind: Option<String>,
    pub due_at: DateTime<Utc>,
    pub owner: String,
    pub owner_name: String,
    pub enrollment_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub contact_email: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub company: String,
    pub sequence_id: Option<i64>,
    pub sequence: Option<String>,
    pub step: Option<i64>,
    pub steps: Option<i64>,
    /// The contact's phone number ("" when unknown).
    pub phone: String,
    /// The sequence's time zone ("UTC" without one).
    pub time_zone: String,
}

/// Open tasks matching `f`, oldest due first (overdue ones come first by
/// construction), at most `f.limit`.
pub fn open_tasks(conn: &Connection, f: &TaskFilter) -> Result<Vec<TaskListRow>> {
    let (sql, values) = open_tasks_sql(f);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(super::db::params_from_iter(values), |r| {
        Ok(TaskListRow {
            id: r.get(0)?,
            title: r.get(1)?,
            kind: r.get(2)?,
            due_at: parse_time(&r.get::<_, String>(3)?),
            owner: r.get(4)?,
            owner_name: r.get(5)?,
            enrollment_id: r.get(6)?,
            contact_id: r.get(7)?,
            contact_email: r.get(8)?,
            first_name: r.get::<_, Option<String>>(9)?.unwrap_or_default(),
            last_name: r.get::<_, Option<String>>(10)?.unwrap_or_default(),
            company: r.get::<_, Option<String>>(11)?.unwrap_or_default(),
            sequence_id: r.get(12)?,
            sequence: r.get(13)?,
            step: r.get(14)?,
            steps: r.get(15)?,
            phone: r.get::<_, Option<String>>(16)?.unwrap_or_default(),
            time_zone: r
                .get::<_, Option<String>>(17)?
                .unwrap_or_else(|| "UTC".into()),
        })
    })?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// How SQLite runs [`open_tasks`] for `f` (`EXPLAIN QUERY PLAN`, one
/// detail line per step): the test that a page never sorts reads it.
pub fn open_tasks_plan(conn: &Connection, f: &TaskFilter) -> Result<Vec<String>> {
    let (sql, values) = open_tasks_sql(f);
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let rows = stmt.query_map(super::db::params_from_iter(values), |r| r.get(3))?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

fn open_tasks_sql(f: &TaskFilter) -> (String, Vec<rusqlite::types::Value>) {
    // The order and the keyset are on the index's own columns, and the
    // owner (when given) is the index's prefix, so a page is a walk of
    // `tasks_queue` (one owner) or `tasks_open_due` (everyone), never a
    // sort. Only the conditions asked for are written, so that the
    // planner sees a plain equality on the owner.
    let mut conditions = vec!["t.state = 'open'".to_string()];
    let mut values: Vec<rusqlite::types::Value> = Vec::new();
    let mut bind = |conditions: &mut Vec<String>, sql: &str, value: rusqlite::types::Value| {
        values.push(value);
        conditions.push(sql.replace('?', &format!("?{}", values.len())));
    };
    if let Some(owner) = f.owner {
        bind(&mut conditions, "t.owner_id = ?", owner.into());
    }
    if let Some(sequence) = f.sequence {
        bind(&mut conditions, "e.sequence_id = ?", sequence.into());
    }
    if let Some(before) = f.due_before {
        bind(&mut conditions, "t.due_at < ?", format_time(before).into());
    }
    if let Some((at, id)) = f.after {
        bind(&mut conditions, "t.due_at >= ?", format_time(at).into());
        let n = values.len();
        values.push(id.into());
        conditions.push(format!("(t.due_at > ?{n} OR t.id > ?{})", n + 1));
    }
    values.push((f.limit.min(i64::MAX as usize) as i64).into());
    let index = if f.owner.is_some() {
        "tasks_queue"
    } else {
        "tasks_open_due"
    };
    let sql = format!(
        "SELECT t.id, t.title, ss.kind, t.due_at, u.email, u.name, t.enrollment_id,
            c.id, c.email, c.first_name, c.last_name, c.company, s.id, s.name, ss.position,
            (SELECT count(*) FROM steps WHERE sequence_id = s.id AND position > 0), c.phone,
            s.time_zone
         FROM tasks t INDEXED BY {index}
         JOIN users u ON u.id = t.owner_id
         LEFT JOIN enrollments e ON e.id = t.enrollment_id
         LEFT JOIN contacts c ON c.id = e.contact_id
         LEFT JOIN sequences s ON s.id = e.sequence_id
         LEFT JOIN scheduled_steps ss ON ss.id = t.scheduled_step_id
         WHERE {} AND (e.id IS NULL OR e.status <> 'unenrolled')
         ORDER BY t.due_at, t.id LIMIT ?{}",
        conditions.join(" AND "),
        values.len()
    );
    (sql, values)
}

/// A task with what working it needs: its state as readers see it (an open
/// task of an unenrolled enrollment is removed), its owner, and the
/// enrollment and step it belongs to.
#[derive(Debug, Clone)]
pub struct TaskFacts {
    pub id: i64,
    pub title: String,
    pub state: TaskState,
    pub skipped: bool,
    pub owner_id: i64,
    pub enrollment_id: Option<i64>,
    pub enrollment_status: Option<Status>,
    pub current_step: Option<i64>,
    /// The position of the step that created the task.
    pub position: Option<i64>,
}

pub fn task_facts(conn: &Connection, id: i64) -> Result<Option<TaskFacts>> {
    Ok(conn
        .prepare_cached(
            "SELECT t.id, t.title, CASE WHEN t.state = 'open' AND e.status = 'unenrolled'
                    THEN 'removed' ELSE t.state END, t.skipped, t.owner_id, t.enrollment_id,
                e.status, e.current_step, ss.position
             FROM tasks t LEFT JOIN enrollments e ON e.id = t.enrollment_id
             LEFT JOIN scheduled_steps ss ON ss.id = t.scheduled_step_id
             WHERE t.id = ?1",
        )?
        .query_row([id], |r| {
            let state: String = r.get(2)?;
            let status: Option<String> = r.get(6)?;
            Ok(TaskFacts {
                id: r.get(0)?,
                title: r.get(1)?,
                state: state.parse().unwrap_or(TaskState::Removed),
                skipped: r.get(3)?,
                owner_id: r.get(4)?,
                enrollment_id: r.get(5)?,
                enrollment_status: status.and_then(|s| s.parse().ok()),
                current_step: r.get(7)?,
                position: r.get(8)?,
            })
        })
        .optional()?)
}

/// Marks an open task done (or skipped) by `by`; false if it was not open.
pub fn complete(
    conn: &Connection,
    id: i64,
    skipped: bool,
    by: i64,
    note: Option<&str>,
    at: DateTime<Utc>,
) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE tasks SET state = 'done', skipped = ?2, done_by = ?3, note = ?4, done_at = ?5
             WHERE id = ?1 AND state = 'open'",
        )?
        .execute(params![id, skipped, by, note, format_time(at)])?
        == 1)
}

/// Moves an open task's due date; false if it was not open.
pub fn snooze(
    conn: &Connection,
    id: i64,
    until: DateTime<Utc>,
    note: Option<&str>,
) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE tasks SET due_at = ?2, note = coalesce(?3, note) WHERE id = ?1 AND state = 'open'",
        )?
        .execute(params![id, format_time(until), note])?
        == 1)
}

/// Whether another open task of the enrollment was created by the step at
/// `position` (the enrollment keeps waiting for it).
pub fn other_open_task_at(
    conn: &Connection,
    enrollment_id: i64,
    position: i64,
    except: i64,
) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM tasks t JOIN scheduled_steps ss ON ss.id = t.scheduled_step_id
             WHERE t.enrollment_id = ?1 AND ss.position = ?2 AND t.state = 'open' AND t.id <> ?3)",
        )?
        .query_row(params![enrollment_id, position, except], |r| r.get(0))?)
}

/// What releasing an enrollment from its task step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// Moved on to the step at `step`, now due at `due_at`.
    Next { step: i64, due_at: DateTime<Utc> },
    /// Nothing was left to run: the enrollment is finished.
    Finished,
}

/// Moves an enrollment waiting at the task step at `position` on (R18):
/// the first step still scheduled after it becomes due `at` plus its
/// delay, and every later one moves by as much (they keep their spacing);
/// the enrollment is at that step now. With none left it is finished.
pub fn release(
    conn: &Connection,
    enrollment_id: i64,
    position: i64,
    at: DateTime<Utc>,
) -> Result<Release> {
    let next: Option<(i64, String, i64)> = conn
        .prepare_cached(
            "SELECT ss.position, ss.due_at, st.delay_days FROM scheduled_steps ss
             JOIN steps st ON st.id = ss.step_id
             WHERE ss.enrollment_id = ?1 AND ss.state = 'scheduled' AND ss.position > ?2
             ORDER BY ss.position, ss.id LIMIT 1",
        )?
        .query_row(params![enrollment_id, position], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let Some((step, due, delay)) = next else {
        conn.prepare_cached(
            "UPDATE enrollments SET status = 'finished', ended_at = ?2, current_step = ?3,
                next_due = NULL
             WHERE id = ?1 AND status IN ('active', 'paused')",
        )?
        .execute(params![enrollment_id, format_time(at), position])?;
        conn.prepare_cached("DELETE FROM engine_pauses WHERE enrollment_id = ?1")?
            .execute([enrollment_id])?;
        return Ok(Release::Finished);
    };
    let due_at = at + Duration::days(delay.max(0));
    let shift = (due_at - parse_time(&due)).num_seconds();
    conn.prepare_cached(
        "UPDATE scheduled_steps
         SET due_at = strftime('%Y-%m-%dT%H:%M:%SZ', due_at, ?3 || ' seconds')
         WHERE enrollment_id = ?1 AND state = 'scheduled' AND position > ?2",
    )?
    .execute(params![enrollment_id, position, format!("{shift:+}")])?;
    conn.prepare_cached("UPDATE enrollments SET current_step = ?2 WHERE id = ?1")?
        .execute(params![enrollment_id, step])?;
    super::sort_keys::refresh(conn, enrollment_id)?;
    Ok(Release::Next { step, due_at })
}
