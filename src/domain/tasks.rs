//! Tasks for reps (R18): the queue of a user's open tasks, and completing,
//! skipping or snoozing them (R12: the task's owner, a manager of their
//! team or an admin; R13: one audit entry per request).
//!
//! # Waiting at a task step
//!
//! `run` executes a task, call or manual-email step by creating an open
//! task for the enrolling user (the sender after a reassign) and marking
//! the step's scheduled row `done`, but it does **not** move the enrollment
//! on: it stays `active` with `current_step` at that step. Since `run`
//! executes only the scheduled row at an enrollment's current step, nothing
//! after it can run: the enrollment *waits*. The steps after it keep their
//! `scheduled` rows, with the due dates they got at enrollment — the
//! earliest they could ever be due. Completing or skipping the task
//! releases the enrollment ([`crate::store::tasks::release`]): the first
//! step still scheduled after the task step becomes due at that moment
//! plus its delay, the later ones move by as much (they keep their
//! spacing), and `current_step` moves to it; with nothing left the
//! enrollment is `finished`. A step added after a waiting task (R17) only
//! needs a `scheduled` row: the release moves it with the others.

use chrono::{Duration, NaiveTime};
use serde::Serialize;

use super::*;
use crate::store::queries::{self as q, NewAudit};
use crate::store::tasks::{self as qt, Release, TaskFilter};

/// How far ahead `tasks --due` looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskDue {
    /// Due before now.
    Overdue,
    /// Due before the end of today (UTC), overdue included.
    Today,
    /// Due before the end of the seventh day from today, overdue included.
    Week,
}

impl std::str::FromStr for TaskDue {
    type Err = DomainError;
    fn from_str(text: &str) -> Result<TaskDue> {
        match text.trim().to_ascii_lowercase().as_str() {
            "overdue" => Ok(TaskDue::Overdue),
            "today" => Ok(TaskDue::Today),
            "week" => Ok(TaskDue::Week),
            _ => Err(DomainError::Invalid(format!(
                "unknown due '{}'; use today, overdue or week",
                text.trim()
            ))),
        }
    }
}

/// Which open tasks to list: one user's (or everyone's), optionally due
/// soon or in one sequence; a page after a `(due_at, id)` key.
#[derive(Debug, Clone, Default)]
pub struct TaskQuery {
    /// `None`: everyone's.
    pub owner: Option<i64>,
    pub due: Option<TaskDue>,
    pub sequence: Option<i64>,
    pub after: Option<(Timestamp, i64)>,
    pub limit: usize,
}

/// One open task in a queue (the JSON shape of `seqtui tasks`).
#[derive(Debug, Clone, Serialize)]
pub struct TaskItem {
    pub id: i64,
    pub title: String,
    /// The step kind that created it: `call`, `task`, `manual_email`.
    pub kind: Option<StepKind>,
    pub due_at: Timestamp,
    pub overdue: bool,
    pub owner: String,
    pub owner_name: String,
    pub enrollment_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub contact_email: Option<String>,
    pub contact_name: String,
    pub company: String,
    pub sequence_id: Option<i64>,
    pub sequence: Option<String>,
    /// The step's position and how many steps the sequence has.
    pub step: Option<i64>,
    pub steps: Option<i64>,
    /// The contact's phone number, for a call task whose contact has one.
    pub phone: Option<String>,
    /// The sequence's time zone: the working day of its sender (see
    /// `crate::domain::sending`), where [`snooze_choices`] fall.
    #[serde(skip)]
    pub time_zone: String,
}

/// The snooze picker's choices for a task, from `now` in the IANA zone
/// `zone` (a name that does not parse counts as UTC): three hours from
/// now, tomorrow at 09:00, and next week's Monday at 09:00 — local times,
/// returned as instants.
pub fn snooze_choices(now: Timestamp, zone: &str) -> Vec<(&'static str, Timestamp)> {
    use chrono::{Datelike, TimeZone};
    let tz: chrono_tz::Tz = zone.trim().parse().unwrap_or(chrono_tz::Tz::UTC);
    let today = now.with_timezone(&tz).date_naive();
    let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(NaiveTime::MIN);
    let at_nine = |date: chrono::NaiveDate| {
        // 09:00 exists on every day in every zone (transitions are at
        // night), but fall back to UTC rather than fail.
        let local = date.and_time(nine);
        tz.from_local_datetime(&local)
            .earliest()
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_else(|| local.and_utc())
    };
    let tomorrow = today + Duration::days(1);
    let monday = today + Duration::days(7 - i64::from(today.weekday().num_days_from_monday()));
    vec![
        ("In 3 hours", now + Duration::hours(3)),
        ("Tomorrow 09:00", at_nine(tomorrow)),
        ("Next Monday 09:00", at_nine(monday)),
    ]
}

/// What a person does with a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskAction {
    Done,
    Skip,
    Snooze,
}

impl TaskAction {
    /// The audit action it is recorded as.
    pub fn audit_action(self) -> &'static str {
        match self {
            TaskAction::Done => "task_done",
            TaskAction::Skip => "task_skip",
            TaskAction::Snooze => "task_snooze",
        }
    }

    fn verb(self) -> &'static str {
        match self {
            TaskAction::Done => "complete",
            TaskAction::Skip => "skip",
            TaskAction::Snooze => "snooze",
        }
    }
}

/// An enrollment a done or skipped task moved on.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Released {
    pub enrollment: i64,
    pub task: i64,
    /// The step it is at now and when that is due.
    pub next_step: i64,
    pub next_due_at: Timestamp,
}

/// What `task done|skip|snooze` did (its JSON shape).
#[derive(Debug, Clone, Serialize)]
pub struct TaskReport {
    pub action: TaskAction,
    /// The audit entry's batch; `None` when nothing changed.
    pub batch: Option<String>,
    /// The tasks done, skipped or snoozed.
    pub changed: Vec<i64>,
    /// Enrollments that were waiting at a task and moved on.
    pub released: Vec<Released>,
    /// Enrollments whose last step was the task: finished now.
    pub finished: Vec<i64>,
    pub skipped: Vec<Skipped>,
    /// Snooze: the new due date.
    pub until: Option<Timestamp>,
}

impl TaskReport {
    /// The summary with a snooze's new due time in UTC (the TUI's).
    pub fn summary(&self) -> String {
        self.summary_showing(|t| t.format("%Y-%m-%d %H:%M").to_string())
    }

    /// The summary, a snooze's new due time written by `show` (the
    /// command line's: in the user's zone, named).
    pub fn summary_showing(&self, show: impl Fn(Timestamp) -> String) -> String {
        let what = match self.action {
            TaskAction::Done => "Completed",
            TaskAction::Skip => "Skipped",
            TaskAction::Snooze => "Snoozed",
        };
        let mut text = format!(
            "{what} {} task{}",
            self.changed.len(),
            if self.changed.len() == 1 { "" } else { "s" }
        );
        if let Some(until) = self.until.filter(|_| !self.changed.is_empty()) {
            text.push_str(&format!(" until {}", show(until)));
        }
        if !self.released.is_empty() {
            text.push_str(&format!(
                "; {} enrollment{} moved on",
                self.released.len(),
                if self.released.len() == 1 { "" } else { "s" }
            ));
        }
        if !self.finished.is_empty() {
            text.push_str(&format!("; {} finished", self.finished.len()));
        }
        if let Some(b) = &self.batch {
            text.push_str(&format!(" (batch {b})"));
        }
        text.push('.');
        text
    }
}

/// R12 for a task: its owner, a manager of the owner's team, an admin.
fn may_work(actor: &User, owner: &User) -> bool {
    match actor.role {
        Role::Admin => true,
        Role::Manager => actor.team == owner.team,
        Role::Rep => actor.id == owner.id,
    }
}

impl Workspace {
    /// Open tasks in due order (overdue first), one page: see [`TaskQuery`].
    pub fn tasks(&self, query: &TaskQuery) -> Result<Vec<TaskItem>> {
        let now = self.now();
        // Days are the user's (`today` ends at their midnight).
        let when = self.when();
        let today = now.with_timezone(&when.zone).date_naive();
        let due_before = query.due.map(|due| match due {
            TaskDue::Overdue => now,
            TaskDue::Today => when.day_start(today + Duration::days(1)),
            TaskDue::Week => when.day_start(today + Duration::days(7)),
        });
        let rows = qt::open_tasks(
            self.store.conn(),
            &TaskFilter {
                owner: query.owner,
                sequence: query.sequence,
                due_before,
                after: query.after,
                limit: query.limit,
            },
        )?;
        Ok(rows
            .into_iter()
            .map(|r| TaskItem {
                id: r.id,
                title: r.title,
                kind: r.kind.as_deref().and_then(|k| k.parse().ok()),
                due_at: r.due_at,
                overdue: r.due_at < now,
                owner: r.owner,
                owner_name: r.owner_name,
                enrollment_id: r.enrollment_id,
                contact_id: r.contact_id,
                contact_name: match r.contact_email.as_deref() {
                    Some(email) => full_name(&r.first_name, &r.last_name, email),
                    None => String::new(),
                },
                contact_email: r.contact_email,
                company: r.company,
                sequence_id: r.sequence_id,
                sequence: r.sequence,
                step: r.step,
                steps: r.steps,
                phone: (r.kind.as_deref() == Some(StepKind::Call.as_str())
                    && !r.phone.trim().is_empty())
                .then(|| r.phone.clone()),
                time_zone: r.time_zone,
            })
            .collect())
    }

    /// Completes (`Done`), skips or snoozes tasks, in one transaction with
    /// one audit entry. A done or skipped task releases the enrollment
    /// waiting at its step (see the module documentation). `until` is the
    /// snooze's new due date (required for `Snooze`, ignored otherwise).
    /// Each task not changed is listed with its code: `not_found`,
    /// `not_permitted`, `already_done`, `task_removed` (its enrollment was
    /// unenrolled, R3).
    pub fn work_tasks(
        &mut self,
        actor: &User,
        action: TaskAction,
        ids: &[i64],
        until: Option<Timestamp>,
        note: Option<String>,
    ) -> Result<TaskReport> {
        let until = match (action, until) {
            (TaskAction::Snooze, None) => {
                return Err(DomainError::Invalid(
                    "snooze needs --until: a time (RFC 3339) or a date".into(),
                ));
            }
            (TaskAction::Snooze, until) => until,
            _ => None,
        };
        let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
        let now = self.now();
        let users: std::collections::HashMap<i64, User> = q::users(self.store.conn())?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let tx = self.store.write()?;
        let mut report = TaskReport {
            action,
            batch: None,
            changed: Vec::new(),
            released: Vec::new(),
            finished: Vec::new(),
            skipped: Vec::new(),
            until,
        };
        // Each enrollment a change touched, with its status and step before.
        let mut touched: Vec<(i64, Status, i64)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for &id in ids {
            if !seen.insert(id) {
                continue;
            }
            let Some(task) = qt::task_facts(&tx, id)? else {
                report.skipped.push(Skipped::new(
                    id,
                    SkipCode::NotFound,
                    format!("no task {id}"),
                ));
                continue;
            };
            let Some(owner) = users.get(&task.owner_id) else {
                report.skipped.push(Skipped::new(
                    id,
                    SkipCode::NotFound,
                    format!("no task {id}"),
                ));
                continue;
            };
            match task.state {
                TaskState::Open => {}
                TaskState::Done => {
                    report.skipped.push(Skipped::new(
                        id,
                        SkipCode::AlreadyDone,
                        format!(
                            "task {id} ({}) is already {}",
                            task.title,
                            if task.skipped { "skipped" } else { "done" }
                        ),
                    ));
                    continue;
                }
                TaskState::Removed => {
                    report.skipped.push(Skipped::new(
                        id,
                        SkipCode::TaskRemoved,
                        format!(
                            "task {id} ({}) was removed when its enrollment was unenrolled",
                            task.title
                        ),
                    ));
                    continue;
                }
            }
            if !may_work(actor, owner) {
                report.skipped.push(Skipped::new(
                    id,
                    SkipCode::NotPermitted,
                    format!(
                        "not permitted: only {} (the task's owner), a manager of team {} or an admin may {} task {id}",
                        owner.name,
                        owner.team,
                        action.verb()
                    ),
                ));
                continue;
            }
            if action == TaskAction::Snooze {
                if let Some(until) = until
                    && qt::snooze(&tx, id, until, note.as_deref())?
                {
                    report.changed.push(id);
                    if let (Some(e), Some(status), Some(step)) = (
                        task.enrollment_id,
                        task.enrollment_status,
                        task.current_step,
                    ) {
                        touched.push((e, status, step));
                    }
                }
                continue;
            }
            if !qt::complete(
                &tx,
                id,
                action == TaskAction::Skip,
                actor.id,
                note.as_deref(),
                now,
            )? {
                continue;
            }
            report.changed.push(id);
            let (Some(e), Some(status), Some(current), Some(position)) = (
                task.enrollment_id,
                task.enrollment_status,
                task.current_step,
                task.position,
            ) else {
                continue;
            };
            touched.push((e, status, current));
            // Released only when the enrollment is open and still waiting
            // at this task's step (an enrollment that moved on before R18,
            // or a finished one, has nothing to release).
            if !status.is_open()
                || current != position
                || qt::other_open_task_at(&tx, e, position, id)?
            {
                continue;
            }
            match qt::release(&tx, e, position, now)? {
                Release::Next { step, due_at } => report.released.push(Released {
                    enrollment: e,
                    task: id,
                    next_step: step,
                    next_due_at: due_at,
                }),
                Release::Finished => report.finished.push(e),
            }
        }
        if !report.changed.is_empty() {
            let tasks: Vec<String> = report.changed.iter().map(|t| format!("task {t}")).collect();
            let mut detail = tasks.join(", ");
            if let Some(until) = until {
                detail.push_str(&format!(" until {}", crate::store::format_time(until)));
            }
            for r in &report.released {
                detail.push_str(&format!(
                    "; enrollment {} at step {} due {}",
                    r.enrollment,
                    r.next_step,
                    crate::store::format_time(r.next_due_at)
                ));
            }
            for e in &report.finished {
                detail.push_str(&format!("; enrollment {e} finished"));
            }
            let (audit_id, batch) = q::insert_audit(
                &tx,
                &NewAudit {
                    at: now,
                    actor_id: Some(actor.id),
                    action: action.audit_action(),
                    reason: None,
                    note: note.as_deref(),
                    detail: &detail,
                    count: report.changed.len() as i64,
                },
            )?;
            let mut named = std::collections::HashSet::new();
            for (e, status, step) in touched {
                if named.insert(e) {
                    q::audit_enrollment(&tx, audit_id, e, status, step)?;
                }
            }
            report.batch = Some(batch);
        }
        tx.commit()?;
        Ok(report)
    }
}
