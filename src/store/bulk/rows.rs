//! The rows of the tables the demo builder fills, as it hands them to
//! [`super::Inserts`].

use crate::domain::{EndReason, Status, StepKind, StepState, TaskState};

/// Rows of the tables the demo builder fills. Times are the stored text
/// form (`format_time`). The batched tables take their rows in id order
/// (1, 2, 3, …): SQLite then appends each row without searching for its
/// place, and a row out of order is refused.
#[derive(Debug, Clone, Copy)]
pub struct ContactRow<'a> {
    pub id: i64,
    pub email: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub company: &'a str,
    pub title: &'a str,
    pub owner_id: i64,
    pub lifecycle_stage: &'a str,
    pub opted_out_at: Option<&'a str>,
    pub created_at: &'a str,
    pub sort_name: &'a str,
}

#[derive(Debug, Clone, Copy)]
pub struct EnrollmentRow<'a> {
    pub id: i64,
    pub sequence_id: i64,
    pub contact_id: i64,
    pub enrolled_by: i64,
    pub sender_id: i64,
    pub status: Status,
    pub current_step: i64,
    pub enrolled_at: &'a str,
    pub ended_at: Option<&'a str>,
    pub end_reason: Option<EndReason>,
    pub ended_by: Option<i64>,
    pub note: Option<&'a str>,
    pub batch: Option<&'a str>,
    pub sort_name: &'a str,
    /// Its contact's search text (migration 20, `domain::search_text`).
    pub search: &'a str,
    /// The due time of its first step still scheduled, while it is open
    /// (migration 19).
    pub next_due: Option<&'a str>,
    /// The time of its latest open, click, reply or booked meeting.
    pub last_engagement: Option<&'a str>,
}

#[derive(Debug, Clone, Copy)]
pub struct ScheduledStepRow<'a> {
    pub id: i64,
    pub enrollment_id: i64,
    pub step_id: i64,
    pub position: i64,
    pub kind: StepKind,
    pub due_at: &'a str,
    pub state: StepState,
    /// When a `sent` or `done` step ran; `None` means at `due_at`.
    pub executed_at: Option<&'a str>,
}

#[derive(Debug, Clone, Copy)]
pub struct TaskRow<'a> {
    pub id: i64,
    pub enrollment_id: i64,
    pub scheduled_step_id: i64,
    pub owner_id: i64,
    pub title: &'a str,
    pub due_at: &'a str,
    pub state: TaskState,
    /// `None` means at `due_at`.
    pub created_at: Option<&'a str>,
    pub done_at: Option<&'a str>,
}

#[derive(Debug, Clone, Copy)]
pub struct SentEmailRow<'a> {
    pub id: i64,
    pub enrollment_id: i64,
    pub sequence_id: i64,
    pub scheduled_step_id: i64,
    pub message_id: &'a str,
    /// `None` for the email that starts its thread (the thread is itself).
    pub thread_id: Option<&'a str>,
    pub subject: &'a str,
    pub sent_at: &'a str,
}

#[derive(Debug, Clone, Copy)]
pub struct EventRow<'a> {
    pub id: i64,
    pub contact_id: i64,
    pub enrollment_id: Option<i64>,
    pub sequence_id: Option<i64>,
    pub kind: &'a str,
    pub at: &'a str,
    pub detail: &'a str,
}

#[derive(Debug, Clone, Copy)]
pub struct AuditRow<'a> {
    pub id: i64,
    pub at: &'a str,
    pub actor_id: Option<i64>,
    pub action: &'a str,
    pub reason: Option<&'a str>,
    pub note: Option<&'a str>,
    pub batch: &'a str,
    pub detail: &'a str,
    pub count: i64,
}

#[derive(Debug, Clone, Copy)]
pub struct SequenceRow<'a> {
    pub id: i64,
    pub name: &'a str,
    pub owner_id: i64,
    pub unenroll_colleagues: bool,
    pub pause_on_ooo: bool,
    pub archived: bool,
    pub created_at: &'a str,
}

#[derive(Debug, Clone, Copy)]
pub struct StepRow<'a> {
    pub id: i64,
    pub sequence_id: i64,
    pub position: i64,
    pub kind: &'a str,
    pub delay_days: i64,
    pub subject: &'a str,
    pub body: &'a str,
    pub title: &'a str,
}
