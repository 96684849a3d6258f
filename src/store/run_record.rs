//! Recording a batch of executed steps (`seqtui run`): the claim of each
//! step, the sent emails with their outbox journal rows, the tasks, and
//! what each step does to its enrollment — in a few set-based statements
//! over a staged temporary table rather than four or five statements a
//! step. On SQLite a statement is a function call either way; on
//! PostgreSQL each was a round trip and an executor start, and a worker
//! records while it holds the workspace's write lock, so the per-step
//! statements were what kept two workers apart (BENCHMARKS.md, "`run`
//! with several workers on PostgreSQL").
//!
//! Nothing here decides a rule: the conditions of a claim are the ones
//! [`Claim`] names, and `crate::domain::engine` turns the outcomes into
//! its report and audit entry.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rusqlite::types::Value;

use super::db::{Connection, Dialect};
use super::format_time;
use super::queries::sorted_ids_json;
use crate::domain::Result;

/// What a claim of one step found.
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

/// A step a run executed, to record.
#[derive(Debug, Clone, Copy)]
pub struct StepRun<'a> {
    pub scheduled_step_id: i64,
    pub enrollment_id: i64,
    pub sequence_id: i64,
    pub position: i64,
    pub total_steps: i64,
    /// Who enrolled the contact when the step was read (the task's owner).
    pub enrolled_by: i64,
    /// The sender's address the step was rendered for.
    pub sender_email: &'a str,
    /// The sequence's revision when the step was read.
    pub revision: i64,
    pub due_at: DateTime<Utc>,
    pub output: RunOutput<'a>,
}

/// What the step produced.
#[derive(Debug, Clone, Copy)]
pub enum RunOutput<'a> {
    Email {
        /// The List-Unsubscribe token the message carries.
        token: &'a str,
        message_id: &'a str,
        thread_id: &'a str,
        subject: &'a str,
        file_name: &'a str,
        message: &'a [u8],
    },
    Task {
        title: &'a str,
    },
}

/// What recording one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Claimed and sent: its journal row is `sent_email_id`; `finished`
    /// when it was the sequence's last step.
    Email { sent_email_id: i64, finished: bool },
    /// Claimed: the task is open for the enrolling user.
    Task,
    /// Not claimed ([`Claim::Taken`] or [`Claim::Changed`]); nothing written.
    NotClaimed(Claim),
}

/// The claim of every staged step (see [`record_steps`]), returning the
/// ids claimed: `?1` the time, `?2` the staged step ids as a JSON array.
/// The ids drive it (`id IN (…)`: a lookup each): an `UPDATE … FROM` the
/// staged table let SQLite scan every pending step, and PostgreSQL's
/// planner may merge-join the staged table with the whole key index
/// (public for the query-plan test).
pub const CLAIM_SQL: &str = "UPDATE scheduled_steps SET executed_at = ?1,
        state = (SELECT b.state FROM temp.run_steps b WHERE b.step_id = scheduled_steps.id)
     WHERE id IN (SELECT CAST(value AS BIGINT) FROM json_each(?2)) AND state = 'scheduled'
       AND EXISTS (
        SELECT 1 FROM temp.run_steps b, enrollments e, users snd
        WHERE b.step_id = scheduled_steps.id AND e.id = scheduled_steps.enrollment_id
        AND snd.id = e.sender_id
        AND e.status = 'active' AND e.current_step = scheduled_steps.position
        AND e.enrolled_by = b.enrolled_by AND snd.email = b.sender_email
        AND (SELECT revision FROM sequences WHERE id = e.sequence_id) = b.revision
        AND coalesce(e.unsubscribe_token, b.token, '') = coalesce(b.token, e.unsubscribe_token, ''))
     RETURNING id";

/// Records `steps`, executed at `at`, in the caller's write transaction;
/// one outcome per step, in the same order.
///
/// Each step is claimed only while it is still scheduled and its
/// enrollment still active, at that step, still enrolled by `enrolled_by`
/// and sent by `sender_email` (what the step was rendered for), and its
/// sequence still at `revision` (an edit of the steps, R17, renumbers them
/// and may change the text), so two overlapping runs can never both
/// execute it and a transfer or a sequence edit committed meanwhile is
/// not undone. An email also needs the enrollment's List-Unsubscribe
/// token to be none yet or the one its message carries (another run may
/// have set one meanwhile: then it is rendered again).
///
/// A claimed email is journaled (`sent_emails`, `outbox`) and moves its
/// enrollment on to the next step, `next_due` its next scheduled step's
/// due time, or `finished` after its last step (no end reason, `ended_at`
/// set; the tasks its steps created stay open: a call the last step asked
/// for is still the rep's to make). A claimed task step opens the task;
/// R18: the enrollment waits at that step, and only its `next_due`
/// changes. Each enrollment's row is written once a step.
///
/// Steps of one enrollment are recorded in their order (a step can only
/// be claimed once the one before it moved the enrollment on), one round
/// per repetition.
pub fn record_steps(
    conn: &Connection,
    steps: &[StepRun<'_>],
    at: DateTime<Utc>,
) -> Result<Vec<Recorded>> {
    let mut outcomes = vec![Recorded::Task; steps.len()];
    let mut seen: HashMap<i64, usize> = HashMap::new();
    let rounds: Vec<usize> = steps
        .iter()
        .map(|s| {
            let n = seen.entry(s.enrollment_id).or_default();
            *n += 1;
            *n - 1
        })
        .collect();
    let last_round = rounds.iter().copied().max().unwrap_or(0);
    for round in 0..=last_round {
        let members: Vec<usize> = (0..steps.len()).filter(|&i| rounds[i] == round).collect();
        if members.is_empty() {
            continue;
        }
        let done = record_round(conn, steps, &members, at)?;
        for (i, outcome) in members.into_iter().zip(done) {
            outcomes[i] = outcome;
        }
    }
    Ok(outcomes)
}

/// One round of [`record_steps`]: `members` (indexes into `steps`) name
/// distinct enrollments.
fn record_round(
    conn: &Connection,
    steps: &[StepRun<'_>],
    members: &[usize],
    at: DateTime<Utc>,
) -> Result<Vec<Recorded>> {
    stage(conn, steps, members)?;
    let at = format_time(at);
    let ids: Vec<i64> = members
        .iter()
        .map(|&i| steps[i].scheduled_step_id)
        .collect();
    let staged_ids = sorted_ids_json(&ids);
    let claimed: HashSet<i64> = conn
        .prepare_cached(CLAIM_SQL)?
        .query_map([&at, &staged_ids], |r| r.get(0))?
        .collect::<super::db::Result<_>>()?;
    let claimed_ids: Vec<i64> = claimed.iter().copied().collect();
    conn.prepare_cached(
        "UPDATE temp.run_steps SET claimed = 1
         WHERE step_id IN (SELECT CAST(value AS BIGINT) FROM json_each(?1))",
    )?
    .execute([sorted_ids_json(&claimed_ids)])?;
    // The sent emails, numbered in the batch's order.
    let sent: HashMap<i64, i64> = conn
        .prepare_cached(
            "INSERT INTO sent_emails(enrollment_id, sequence_id, scheduled_step_id, message_id,
                thread_id, subject, sent_at)
             SELECT enrollment_id, sequence_id, step_id, message_id, thread_id, subject, ?1
             FROM temp.run_steps WHERE claimed = 1 AND message_id IS NOT NULL ORDER BY ord
             RETURNING scheduled_step_id, id",
        )?
        .query_map([&at], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<super::db::Result<_>>()?;
    let mut journal = Vec::new();
    for &i in members {
        if let RunOutput::Email {
            file_name, message, ..
        } = steps[i].output
            && let Some(&id) = sent.get(&steps[i].scheduled_step_id)
        {
            journal.extend([
                Value::Integer(id),
                Value::Text(file_name.to_string()),
                Value::Blob(message.to_vec()),
            ]);
        }
    }
    conn.insert_rows(
        "INSERT INTO outbox(sent_email_id, file_name, message)",
        3,
        &journal,
    )?;
    conn.prepare_cached(
        "INSERT INTO tasks(enrollment_id, scheduled_step_id, owner_id, title, due_at, state, created_at)
         SELECT enrollment_id, step_id, enrolled_by, title, due_at, 'open', ?1
         FROM temp.run_steps WHERE claimed = 1 AND title IS NOT NULL ORDER BY ord",
    )?
    .execute([&at])?;
    conn.prepare_cached(
        "UPDATE enrollments SET status = 'finished', ended_at = ?1, next_due = NULL,
            unsubscribe_token = coalesce(enrollments.unsubscribe_token, b.token)
         FROM temp.run_steps b
         WHERE enrollments.id = b.enrollment_id AND b.claimed = 1 AND b.message_id IS NOT NULL
           AND b.position >= b.total_steps",
    )?
    .execute([&at])?;
    conn.prepare_cached(
        "UPDATE enrollments SET current_step = b.position + 1,
            unsubscribe_token = coalesce(enrollments.unsubscribe_token, b.token),
            next_due = (SELECT min(ss.due_at) FROM scheduled_steps ss
                        WHERE ss.enrollment_id = enrollments.id AND ss.state = 'scheduled')
         FROM temp.run_steps b
         WHERE enrollments.id = b.enrollment_id AND b.claimed = 1 AND b.message_id IS NOT NULL
           AND b.position < b.total_steps",
    )?
    .execute([])?;
    // A task step: the enrollment waits; its next due is the next step
    // still scheduled (written only where it differs).
    super::sort_keys::refresh_where(
        conn,
        "SELECT enrollment_id FROM temp.run_steps WHERE claimed = 1 AND title IS NOT NULL",
    )?;
    members
        .iter()
        .map(|&i| {
            let step = &steps[i];
            if !claimed.contains(&step.scheduled_step_id) {
                return Ok(Recorded::NotClaimed(unclaimed(
                    conn,
                    step.scheduled_step_id,
                )?));
            }
            Ok(match step.output {
                RunOutput::Email { .. } => Recorded::Email {
                    sent_email_id: sent[&step.scheduled_step_id],
                    finished: step.position >= step.total_steps,
                },
                RunOutput::Task { .. } => Recorded::Task,
            })
        })
        .collect()
}

/// R13: the audit entry `audit_id` names the enrollments a run finished,
/// each with the step it was at (`(enrollment, step)`; it was active, or
/// the step would not have been claimed).
pub fn audit_finished(conn: &Connection, audit_id: i64, finished: &[(i64, i64)]) -> Result<()> {
    let values: Vec<Value> = finished
        .iter()
        .flat_map(|&(enrollment_id, step)| {
            [
                Value::Integer(audit_id),
                Value::Integer(enrollment_id),
                Value::Text("active".into()),
                Value::Integer(step),
            ]
        })
        .collect();
    conn.insert_rows(
        "INSERT INTO audit_enrollments(audit_id, enrollment_id, before_status, before_step)",
        4,
        &values,
    )?;
    Ok(())
}

/// Stages the round's steps in `temp.run_steps` (see [`stage_table`]).
fn stage(conn: &Connection, steps: &[StepRun<'_>], members: &[usize]) -> Result<()> {
    stage_table(conn)?;
    let text = |s: &str| Value::Text(s.to_string());
    let mut values = Vec::with_capacity(members.len() * 15);
    for (ord, &i) in members.iter().enumerate() {
        let s = &steps[i];
        let (state, token, message_id, thread_id, subject, title) = match s.output {
            RunOutput::Email {
                token,
                message_id,
                thread_id,
                subject,
                ..
            } => (
                "sent",
                text(token),
                text(message_id),
                text(thread_id),
                text(subject),
                Value::Null,
            ),
            RunOutput::Task { title } => (
                "done",
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                text(title),
            ),
        };
        values.extend([
            Value::Integer(s.scheduled_step_id),
            Value::Integer(ord as i64),
            Value::Integer(s.enrollment_id),
            Value::Integer(s.sequence_id),
            Value::Integer(s.position),
            Value::Integer(s.total_steps),
            Value::Integer(s.enrolled_by),
            text(s.sender_email),
            Value::Integer(s.revision),
            Value::Text(format_time(s.due_at)),
            text(state),
            token,
            message_id,
            thread_id,
            subject,
            title,
        ]);
    }
    conn.insert_rows(
        "INSERT INTO temp.run_steps(step_id, ord, enrollment_id, sequence_id, position,
            total_steps, enrolled_by, sender_email, revision, due_at, state, token, message_id,
            thread_id, subject, title)",
        16,
        &values,
    )?;
    if conn.dialect() == Dialect::Postgres {
        // Its size, for the planner (a temporary table is never analysed
        // by autovacuum): the claim then looks steps up by key.
        conn.execute_batch("ANALYZE pg_temp.run_steps")?;
    }
    Ok(())
}

/// Why a step was not claimed: still due (its enrollment changed hands:
/// render it again), or taken.
fn unclaimed(conn: &Connection, scheduled_step_id: i64) -> Result<Claim> {
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

/// Creates the connection's `temp.run_steps` if need be, empty (on
/// PostgreSQL it also empties at each commit).
pub fn stage_table(conn: &Connection) -> Result<()> {
    let on_commit = match conn.dialect() {
        Dialect::Postgres => " ON COMMIT DELETE ROWS",
        Dialect::Sqlite => "",
    };
    conn.execute_batch(&format!(
        "CREATE TEMP TABLE IF NOT EXISTS run_steps(
            step_id INTEGER PRIMARY KEY, ord INTEGER NOT NULL, enrollment_id INTEGER NOT NULL,
            sequence_id INTEGER NOT NULL, position INTEGER NOT NULL, total_steps INTEGER NOT NULL,
            enrolled_by INTEGER NOT NULL, sender_email TEXT NOT NULL, revision INTEGER NOT NULL,
            due_at TEXT NOT NULL, state TEXT NOT NULL, token TEXT, message_id TEXT,
            thread_id TEXT, subject TEXT, title TEXT, claimed INTEGER NOT NULL DEFAULT 0){on_commit};
         DELETE FROM temp.run_steps;"
    ))?;
    Ok(())
}
