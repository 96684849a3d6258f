//! The same change as a bulk unenroll, written as the plain SQL statements a
//! person would type: no permission checks, no per-enrollment report, no
//! audit. Benchmarks run it next to the domain operation to show what the
//! domain's bookkeeping costs. Not used by the program itself.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, TransactionBehavior, params};

use super::format_time;

/// Ends every open enrollment of a sequence with `reason`, cancelling its
/// scheduled steps and removing its open tasks, in one transaction.
/// Returns how many enrollments changed.
pub fn unenroll_sequence(
    conn: &mut Connection,
    sequence_id: i64,
    reason: &str,
    at: DateTime<Utc>,
) -> super::db::Result<usize> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "UPDATE scheduled_steps SET state = 'cancelled' WHERE state = 'scheduled' AND enrollment_id IN
           (SELECT id FROM enrollments WHERE sequence_id = ?1 AND status IN ('active', 'paused'))",
        [sequence_id],
    )?;
    tx.execute(
        "UPDATE tasks SET state = 'removed' WHERE state = 'open' AND enrollment_id IN
           (SELECT id FROM enrollments WHERE sequence_id = ?1 AND status IN ('active', 'paused'))",
        [sequence_id],
    )?;
    let changed = tx.execute(
        "UPDATE enrollments SET status = 'unenrolled', end_reason = ?2, ended_at = ?3,
            next_due = NULL
         WHERE sequence_id = ?1 AND status IN ('active', 'paused')",
        params![sequence_id, reason, format_time(at)],
    )?;
    tx.commit()?;
    Ok(changed)
}
