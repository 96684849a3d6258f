//! The demo builder's rows and the batched inserts that write them: rows
//! buffered per table and bound many to a statement, short fixed lists
//! bound as codes and turned back into text by the statement.

use rusqlite::{Connection, Statement};

use super::rows::*;
use crate::domain::{
    DomainError, EndReason, Result, Status, StepKind, StepState, TaskState, email_key,
};

/// One value of a buffered row; text lives in the batch's arena.
#[derive(Debug, Clone, Copy)]
enum Cell {
    Null,
    Int(i64),
    Text(usize, usize),
}

/// Buffers rows of one table and writes them many to a statement: the
/// per-statement cost (cursors opened and closed, the statement reset)
/// then falls on a hundred rows instead of one.
///
/// The id column is left out: the rows come in id order, so SQLite's own
/// next rowid is the id, and appending needs no search. Columns drawn
/// from a short fixed list are bound as their index into the list and
/// turned back into text by a `CASE` in the statement, which costs far
/// less than binding (copying) a string.
struct Batch<'c> {
    many: Statement<'c>,
    one: Statement<'c>,
    params: usize,
    rows_per_statement: usize,
    rows: usize,
    next_id: i64,
    cells: Vec<Cell>,
    text: String,
}

/// `CASE ?n WHEN 0 THEN 'a' WHEN 1 THEN 'b' … END`: the text of a code.
fn case(param: usize, values: &[&str]) -> String {
    let mut sql = format!("CASE ?{param}");
    for (i, v) in values.iter().enumerate() {
        sql.push_str(&format!(" WHEN {i} THEN '{v}'"));
    }
    sql.push_str(" END");
    sql
}

fn code<T: PartialEq>(all: &[T], value: &T) -> i64 {
    all.iter().position(|v| v == value).map_or(-1, |i| i as i64)
}

impl<'c> Batch<'c> {
    /// `columns` are the columns written after the id; `row(n)` is the SQL
    /// of one row whose `params` parameters start at `?n`, `texts` of them
    /// strings.
    fn new(
        conn: &'c Connection,
        table: &str,
        columns: &[&str],
        (params, texts): (usize, usize),
        row: impl Fn(usize) -> String,
    ) -> Result<Batch<'c>> {
        // A bound string is a copy SQLite allocates; while a statement
        // holds fewer than about a hundred, they come from the connection's
        // own small-allocation pool instead of the process-wide allocator
        // (whose lock two writers on two threads would fight over).
        let rows_per_statement = (1000 / params).min(80 / texts.max(1)).max(1);
        let head = format!("INSERT INTO {table}({}) VALUES ", columns.join(", "));
        let rows: Vec<String> = (0..rows_per_statement)
            .map(|r| row(r * params + 1))
            .collect();
        let many = conn.prepare(&format!("{head}{}", rows.join(", ")))?;
        let one = conn.prepare(&format!("{head}{}", row(1)))?;
        Ok(Batch {
            many,
            one,
            params,
            rows_per_statement,
            rows: 0,
            next_id: 1,
            cells: Vec::with_capacity(rows_per_statement * params),
            text: String::new(),
        })
    }

    /// Plain parameters `?n, ?n+1, …` for `count` columns.
    fn plain(count: usize) -> impl Fn(usize) -> String {
        move |n| {
            let params: Vec<String> = (n..n + count).map(|i| format!("?{i}")).collect();
            format!("({})", params.join(", "))
        }
    }

    /// Starts a row, checking that `id` is the next one.
    fn row(&mut self, id: i64) -> Result<&mut Self> {
        if id != self.next_id {
            return Err(DomainError::Storage(format!(
                "bulk rows must come in id order: got {id}, expected {}",
                self.next_id
            )));
        }
        self.next_id += 1;
        Ok(self)
    }

    fn int(&mut self, value: i64) -> &mut Self {
        self.cells.push(Cell::Int(value));
        self
    }

    fn opt_int(&mut self, value: Option<i64>) -> &mut Self {
        self.cells.push(value.map_or(Cell::Null, Cell::Int));
        self
    }

    fn text(&mut self, value: &str) -> &mut Self {
        let start = self.text.len();
        self.text.push_str(value);
        self.cells.push(Cell::Text(start, self.text.len()));
        self
    }

    fn opt_text(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(v) => self.text(v),
            None => {
                self.cells.push(Cell::Null);
                self
            }
        }
    }

    fn end_row(&mut self) -> Result<()> {
        debug_assert_eq!(self.cells.len(), (self.rows + 1) * self.params);
        self.rows += 1;
        if self.rows == self.rows_per_statement {
            self.flush()?;
        }
        Ok(())
    }

    fn bind(stmt: &mut Statement<'_>, cells: &[Cell], text: &str) -> Result<()> {
        for (i, cell) in cells.iter().enumerate() {
            match *cell {
                Cell::Null => stmt.raw_bind_parameter(i + 1, rusqlite::types::Null)?,
                Cell::Int(v) => stmt.raw_bind_parameter(i + 1, v)?,
                Cell::Text(a, b) => stmt.raw_bind_parameter(i + 1, &text[a..b])?,
            }
        }
        stmt.raw_execute()?;
        Ok(())
    }

    /// Writes the buffered rows: all in one statement when the batch is
    /// full, else one statement each (only at the very end of a load).
    fn flush(&mut self) -> Result<()> {
        if self.rows == self.rows_per_statement {
            Self::bind(&mut self.many, &self.cells, &self.text)?;
        } else {
            for row in self.cells.chunks(self.params) {
                Self::bind(&mut self.one, row, &self.text)?;
            }
        }
        self.rows = 0;
        self.cells.clear();
        self.text.clear();
        Ok(())
    }
}

fn texts<T: Copy>(all: &[T], text: impl Fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|v| text(*v)).collect()
}

/// The event types the bulk loader writes by code.
const EVENT_TYPES: &[&str] = &[
    "open",
    "click",
    "reply",
    "meeting_booked",
    "bounce",
    "unsubscribe",
    "out_of_office",
];

/// The inserts of a bulk load, one batch per table. Rows are buffered:
/// call [`Inserts::flush`] before committing.
pub struct Inserts<'c> {
    setting: Statement<'c>,
    user: Statement<'c>,
    sequence: Statement<'c>,
    step: Statement<'c>,
    contact: Batch<'c>,
    enrollment: Batch<'c>,
    scheduled_step: Batch<'c>,
    task: Batch<'c>,
    sent_email: Batch<'c>,
    event: Batch<'c>,
    audit: Statement<'c>,
    audit_enrollment: Batch<'c>,
    engine_pause: Statement<'c>,
}

impl<'c> Inserts<'c> {
    pub fn new(conn: &'c Connection) -> Result<Inserts<'c>> {
        let statuses = texts(Status::ALL, Status::as_str);
        let reasons = texts(EndReason::ALL, EndReason::as_str);
        let kinds = texts(StepKind::ALL, StepKind::as_str);
        let step_states = texts(StepState::ALL, StepState::as_str);
        let task_states = texts(TaskState::ALL, TaskState::as_str);
        Ok(Inserts {
            setting: conn.prepare("INSERT INTO workspace(key, value) VALUES (?1, ?2)")?,
            user: conn.prepare(
                "INSERT INTO users(id, email, name, role, team, email_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?,
            sequence: conn.prepare(
                "INSERT INTO sequences(id, name, owner_id, unenroll_colleagues, pause_on_ooo,
                    archived, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?,
            step: conn.prepare(
                "INSERT INTO steps(id, sequence_id, position, kind, delay_days, subject, body, title)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?,
            contact: Batch::new(
                conn,
                "contacts",
                &[
                    "email",
                    "first_name",
                    "last_name",
                    "company",
                    "title",
                    "owner_id",
                    "lifecycle_stage",
                    "opted_out_at",
                    "created_at",
                    "sort_name",
                    "email_key",
                ],
                (11, 10),
                Batch::plain(11),
            )?,
            enrollment: Batch::new(
                conn,
                "enrollments",
                &[
                    "sequence_id",
                    "contact_id",
                    "enrolled_by",
                    "sender_id",
                    "status",
                    "current_step",
                    "enrolled_at",
                    "ended_at",
                    "end_reason",
                    "ended_by",
                    "note",
                    "batch",
                    "sort_name",
                    "next_due",
                    "last_engagement",
                    "search",
                ],
                (16, 8),
                |n| {
                    format!(
                        "(?{}, ?{}, ?{}, ?{}, {}, ?{}, ?{}, ?{}, {}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{})",
                        n,
                        n + 1,
                        n + 2,
                        n + 3,
                        case(n + 4, &statuses),
                        n + 5,
                        n + 6,
                        n + 7,
                        case(n + 8, &reasons),
                        n + 9,
                        n + 10,
                        n + 11,
                        n + 12,
                        n + 13,
                        n + 14,
                        n + 15
                    )
                },
            )?,
            scheduled_step: Batch::new(
                conn,
                "scheduled_steps",
                &[
                    "enrollment_id",
                    "step_id",
                    "position",
                    "kind",
                    "due_at",
                    "state",
                    "executed_at",
                ],
                (7, 1),
                |n| {
                    // A step that ran with no time of its own ran when due.
                    format!(
                        "(?{}, ?{}, ?{}, {}, ?{}, {}, CASE WHEN ?{} IN ({}, {}) THEN coalesce(?{}, ?{}) END)",
                        n,
                        n + 1,
                        n + 2,
                        case(n + 3, &kinds),
                        n + 4,
                        case(n + 5, &step_states),
                        n + 5,
                        code(StepState::ALL, &StepState::Sent),
                        code(StepState::ALL, &StepState::Done),
                        n + 6,
                        n + 4
                    )
                },
            )?,
            task: Batch::new(
                conn,
                "tasks",
                &[
                    "enrollment_id",
                    "scheduled_step_id",
                    "owner_id",
                    "title",
                    "due_at",
                    "state",
                    "created_at",
                    "done_at",
                ],
                (8, 3),
                |n| {
                    // A task with no creation time of its own was created when due.
                    format!(
                        "(?{}, ?{}, ?{}, ?{}, ?{}, {}, coalesce(?{}, ?{}), ?{})",
                        n,
                        n + 1,
                        n + 2,
                        n + 3,
                        n + 4,
                        case(n + 5, &task_states),
                        n + 6,
                        n + 4,
                        n + 7
                    )
                },
            )?,
            sent_email: Batch::new(
                conn,
                "sent_emails",
                &[
                    "enrollment_id",
                    "sequence_id",
                    "scheduled_step_id",
                    "message_id",
                    "thread_id",
                    "subject",
                    "sent_at",
                ],
                (7, 4),
                |n| {
                    // An email with no thread of its own starts one.
                    format!(
                        "(?{}, ?{}, ?{}, ?{}, coalesce(?{}, ?{}), ?{}, ?{})",
                        n,
                        n + 1,
                        n + 2,
                        n + 3,
                        n + 4,
                        n + 3,
                        n + 5,
                        n + 6
                    )
                },
            )?,
            event: Batch::new(
                conn,
                "events",
                &[
                    "contact_id",
                    "enrollment_id",
                    "sequence_id",
                    "type",
                    "at",
                    "detail",
                ],
                (6, 2),
                |n| {
                    format!(
                        "(?{}, ?{}, ?{}, {}, ?{}, ?{})",
                        n,
                        n + 1,
                        n + 2,
                        case(n + 3, EVENT_TYPES),
                        n + 4,
                        n + 5
                    )
                },
            )?,
            audit: conn.prepare(
                "INSERT INTO audit(id, at, actor_id, action, reason, note, batch, detail, count)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?,
            audit_enrollment: Batch::new(
                conn,
                "audit_enrollments",
                &["audit_id", "enrollment_id", "before_status", "before_step"],
                (4, 0),
                |n| format!("(?{}, ?{}, {}, ?{})", n, n + 1, case(n + 2, &statuses), n + 3),
            )?,
            engine_pause: conn
                .prepare("INSERT INTO engine_pauses(enrollment_id, until) VALUES (?1, ?2)")?,
        })
    }

    pub fn setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.setting.execute((key, value))?;
        Ok(())
    }

    pub fn user(&mut self, id: i64, email: &str, name: &str, role: &str, team: &str) -> Result<()> {
        self.user
            .execute((id, email, name, role, team, email_key(email)))?;
        Ok(())
    }

    pub fn sequence(&mut self, r: &SequenceRow<'_>) -> Result<()> {
        self.sequence.execute((
            r.id,
            r.name,
            r.owner_id,
            r.unenroll_colleagues,
            r.pause_on_ooo,
            r.archived,
            r.created_at,
        ))?;
        Ok(())
    }

    pub fn step(&mut self, r: &StepRow<'_>) -> Result<()> {
        self.step.execute((
            r.id,
            r.sequence_id,
            r.position,
            r.kind,
            r.delay_days,
            r.subject,
            r.body,
            r.title,
        ))?;
        Ok(())
    }

    pub fn contact(&mut self, r: &ContactRow<'_>) -> Result<()> {
        self.contact
            .row(r.id)?
            .text(r.email)
            .text(r.first_name)
            .text(r.last_name)
            .text(r.company)
            .text(r.title)
            .int(r.owner_id)
            .text(r.lifecycle_stage)
            .opt_text(r.opted_out_at)
            .text(r.created_at)
            .text(r.sort_name)
            .text(&email_key(r.email))
            .end_row()
    }

    pub fn enrollment(&mut self, r: &EnrollmentRow<'_>) -> Result<()> {
        self.enrollment
            .row(r.id)?
            .int(r.sequence_id)
            .int(r.contact_id)
            .int(r.enrolled_by)
            .int(r.sender_id)
            .int(code(Status::ALL, &r.status))
            .int(r.current_step)
            .text(r.enrolled_at)
            .opt_text(r.ended_at)
            .opt_int(r.end_reason.map(|e| code(EndReason::ALL, &e)))
            .opt_int(r.ended_by)
            .opt_text(r.note)
            .opt_text(r.batch)
            .text(r.sort_name)
            .opt_text(r.next_due)
            .opt_text(r.last_engagement)
            .text(r.search)
            .end_row()
    }

    pub fn scheduled_step(&mut self, r: &ScheduledStepRow<'_>) -> Result<()> {
        self.scheduled_step
            .row(r.id)?
            .int(r.enrollment_id)
            .int(r.step_id)
            .int(r.position)
            .int(code(StepKind::ALL, &r.kind))
            .text(r.due_at)
            .int(code(StepState::ALL, &r.state))
            .opt_text(r.executed_at)
            .end_row()
    }

    pub fn task(&mut self, r: &TaskRow<'_>) -> Result<()> {
        self.task
            .row(r.id)?
            .int(r.enrollment_id)
            .int(r.scheduled_step_id)
            .int(r.owner_id)
            .text(r.title)
            .text(r.due_at)
            .int(code(TaskState::ALL, &r.state))
            .opt_text(r.created_at)
            .opt_text(r.done_at)
            .end_row()
    }

    pub fn sent_email(&mut self, r: &SentEmailRow<'_>) -> Result<()> {
        self.sent_email
            .row(r.id)?
            .int(r.enrollment_id)
            .int(r.sequence_id)
            .int(r.scheduled_step_id)
            .text(r.message_id)
            .opt_text(r.thread_id)
            .text(r.subject)
            .text(r.sent_at)
            .end_row()
    }

    /// `r.kind` must be one of the event types the store knows.
    pub fn event(&mut self, r: &EventRow<'_>) -> Result<()> {
        let kind = code(EVENT_TYPES, &r.kind);
        if kind < 0 {
            return Err(DomainError::Storage(format!(
                "unknown event type '{}'",
                r.kind
            )));
        }
        self.event
            .row(r.id)?
            .int(r.contact_id)
            .opt_int(r.enrollment_id)
            .opt_int(r.sequence_id)
            .int(kind)
            .text(r.at)
            .text(r.detail)
            .end_row()
    }

    pub fn audit(&mut self, r: &AuditRow<'_>) -> Result<()> {
        self.audit.execute((
            r.id, r.at, r.actor_id, r.action, r.reason, r.note, r.batch, r.detail, r.count,
        ))?;
        Ok(())
    }

    pub fn audit_enrollment(
        &mut self,
        audit_id: i64,
        enrollment_id: i64,
        before_status: Status,
        before_step: i64,
    ) -> Result<()> {
        self.audit_enrollment
            .int(audit_id)
            .int(enrollment_id)
            .int(code(Status::ALL, &before_status))
            .int(before_step)
            .end_row()
    }

    /// An enrollment the engine paused on an out-of-office reply (R14),
    /// to be resumed at `until`.
    pub fn engine_pause(&mut self, enrollment_id: i64, until: &str) -> Result<()> {
        self.engine_pause.execute((enrollment_id, until))?;
        Ok(())
    }

    /// Writes every buffered row.
    pub fn flush(&mut self) -> Result<()> {
        for batch in [
            &mut self.contact,
            &mut self.enrollment,
            &mut self.scheduled_step,
            &mut self.task,
            &mut self.sent_email,
            &mut self.event,
            &mut self.audit_enrollment,
        ] {
            batch.flush()?;
        }
        Ok(())
    }
}
