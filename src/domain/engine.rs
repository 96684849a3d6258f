//! The operations `run` calls: which steps are due, recording what a run
//! executed (claim, sent email, task, finish), the outbox journal, and the
//! automatic end that inbound events and bounces share (the decisions on
//! inbound events are in `inbound`). File and network I/O live in
//! `crate::engine`; every change here is one transaction with its audit
//! entry (automatic changes have no actor, R13).

use crate::store::Connection;
use serde::Serialize;

use super::sequence_diff::onoff;
use super::*;
use crate::store::engine as qe;
use crate::store::queries::{self as q, EndChange, NewAudit};
use crate::store::run_record::{self, Claim, Recorded, RunOutput, StepRun};

/// Workspace setting: the id that makes this workspace's Message-IDs and
/// outbox file names unique.
pub const WORKSPACE_ID: &str = "workspace_id";

/// A scheduled step that is due, with what executing it needs.
pub type DueStep = qe::DueRow;

/// Where the due walk is (see [`Workspace::due_steps`]).
pub type DueCursor = qe::DueCursor;

/// What the engine produced for one due step.
#[derive(Debug, Clone)]
pub enum StepOutput {
    /// An automatic email, rendered; `message` is the whole RFC 5322 text.
    Email {
        message_id: String,
        thread_id: String,
        subject: String,
        file_name: String,
        message: Vec<u8>,
        /// The enrollment's List-Unsubscribe token the message carries:
        /// given to the enrollment with the claim unless it has one.
        unsubscribe_token: String,
    },
    /// A task for the enrolling user (task, call and manual-email steps).
    Task { title: String },
}

#[derive(Debug, Clone)]
pub struct ExecutedStep {
    pub step: DueStep,
    pub output: StepOutput,
}

/// A message committed as sent that must still be delivered (put into the
/// outbox Maildir, or handed to an SMTP server or sendmail).
#[derive(Debug, Clone)]
pub struct OutboxMessage {
    pub sent_email_id: i64,
    pub file_name: String,
    pub message: Vec<u8>,
    /// How many times a server deferred it (a 4xx answer).
    pub attempts: i64,
    /// An earlier run started handing it to a server and never recorded
    /// the answer: it may have been accepted.
    pub handing_over: bool,
    /// When it was recorded as sent (a server may defer it until
    /// `Rules::smtp_defer_limit` after that).
    pub sent_at: Timestamp,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ExecutionReport {
    pub emails: usize,
    pub tasks: usize,
    pub finished: Vec<i64>,
    /// Steps another run executed first: the enrollment's id, code
    /// `already_run`, and which step.
    pub skipped: Vec<Skipped>,
    /// Steps still due whose enrollment changed hands after they were
    /// read (a transfer reassigned it): left scheduled, to be read and
    /// rendered again for the new owner.
    pub changed: usize,
    #[serde(skip)]
    pub outbox: Vec<OutboxMessage>,
}

/// Ends `ids` automatically (no actor) with one audit entry; returns the
/// batch id, or `None` when `ids` is empty.
pub(super) fn end_automatically(
    conn: &Connection,
    ids: &[i64],
    reason: EndReason,
    detail: &str,
    now: Timestamp,
) -> Result<Option<String>> {
    if ids.is_empty() {
        return Ok(None);
    }
    q::stage_batch(conn, ids)?;
    let (audit_id, batch) = q::insert_audit(
        conn,
        &NewAudit {
            at: now,
            actor_id: None,
            action: "unenroll",
            reason: Some(reason.as_str()),
            note: None,
            detail,
            count: ids.len() as i64,
        },
    )?;
    q::end_staged(
        conn,
        &EndChange {
            at: now,
            reason,
            ended_by: None,
            note: None,
            batch: Some(&batch),
        },
        super::unenroll::tidy_mode(ids.len(), audit_id),
    )?;
    q::audit_staged(conn, audit_id)?;
    Ok(Some(batch))
}

/// Records an automatic pause of one enrollment (no actor, R13): an audit
/// entry with `note` and `detail`, and the enrollment as it was
/// (id, status, step).
pub(super) fn audit_automatic_pause(
    conn: &Connection,
    now: Timestamp,
    note: &str,
    detail: &str,
    (enrollment_id, before, step): (i64, Status, i64),
) -> Result<()> {
    let (audit_id, _) = q::insert_audit(
        conn,
        &NewAudit {
            at: now,
            actor_id: None,
            action: "pause",
            reason: None,
            note: Some(note),
            detail,
            count: 1,
        },
    )?;
    q::audit_enrollment(conn, audit_id, enrollment_id, before, step)?;
    Ok(())
}

pub(super) fn open_facts(conn: &Connection, enrollment_id: i64) -> Result<Option<EnrollmentFacts>> {
    Ok(q::enrollment_facts(conn, &[enrollment_id])?.remove(&enrollment_id))
}

impl Workspace {
    /// The workspace id used in Message-IDs and outbox file names; made
    /// once, on first use, and kept in the workspace settings.
    pub fn workspace_id(&mut self) -> Result<String> {
        if let Some(id) = q::setting(self.store.conn(), WORKSPACE_ID)? {
            return Ok(id);
        }
        let tx = self.store.write()?;
        let id = match q::setting(&tx, WORKSPACE_ID)? {
            Some(id) => id,
            None => {
                let id = format!("{:016x}", fastrand::u64(..));
                q::set_setting(&tx, WORKSPACE_ID, &id)?;
                id
            }
        };
        tx.commit()?;
        Ok(id)
    }

    /// Up to `limit` due steps of active enrollments, oldest first; with
    /// `after` (the cursor of the last step of the previous batch), the
    /// walk continues past it.
    pub fn due_steps(
        &mut self,
        now: Timestamp,
        after: Option<&qe::DueCursor>,
        limit: usize,
    ) -> Result<Vec<DueStep>> {
        qe::due_steps(self.store.conn(), now, after, limit)
    }

    /// [`Workspace::due_steps`] for a run that records them: on
    /// PostgreSQL the steps are claimed (locked; another worker's walk
    /// skips them) until [`Workspace::end_claim`], which the caller must
    /// call after recording them, or when it fails. On SQLite the same as
    /// `due_steps`.
    pub fn claim_due_steps(
        &mut self,
        now: Timestamp,
        after: Option<&qe::DueCursor>,
        limit: usize,
    ) -> Result<Vec<DueStep>> {
        qe::claim_due_steps(self.store.conn(), now, after, limit)
    }

    /// Ends what [`Workspace::claim_due_steps`] claimed: keeps what was
    /// recorded meanwhile (`commit`) or drops it all.
    pub fn end_claim(&mut self, commit: bool) -> Result<()> {
        Ok(self.store.conn().end_claim(commit)?)
    }

    /// How many steps are due at `now` (what [`Workspace::due_steps`]
    /// returns without a limit; a follow-up that becomes due once its
    /// predecessor runs is not counted).
    pub fn due_step_count(&mut self, now: Timestamp) -> Result<usize> {
        qe::count_due_steps(self.store.conn(), now)
    }

    /// When something next becomes due (a step or the end of a pause).
    pub fn next_due(&mut self) -> Result<Option<Timestamp>> {
        qe::next_due(self.store.conn())
    }

    /// Records executed steps in one transaction: each step is claimed
    /// (`scheduled` → `sent`/`done`) only if no other run took it; a claimed
    /// email gets its `sent_emails` row and an outbox journal row, and the
    /// enrollment moves on, or is `finished` after its last step; a task
    /// step gets its task, and the enrollment waits at that step until the
    /// task is done or skipped (R18, see `domain::tasks`). One audit entry
    /// (no actor) covers the batch. The store records the batch in a few
    /// set-based statements (`store::run_record`).
    pub fn record_executed(&mut self, steps: &[ExecutedStep]) -> Result<ExecutionReport> {
        let now = self.now();
        let tx = self.store.write()?;
        let mut report = ExecutionReport::default();
        let runs: Vec<StepRun<'_>> = steps
            .iter()
            .map(|executed| {
                let step = &executed.step;
                StepRun {
                    scheduled_step_id: step.scheduled_step_id,
                    enrollment_id: step.enrollment_id,
                    sequence_id: step.sequence_id,
                    position: step.position,
                    total_steps: step.total_steps,
                    enrolled_by: step.enrolled_by,
                    sender_email: &step.sender_email,
                    revision: step.revision,
                    due_at: step.due_at,
                    output: match &executed.output {
                        StepOutput::Email {
                            message_id,
                            thread_id,
                            subject,
                            file_name,
                            message,
                            unsubscribe_token,
                        } => RunOutput::Email {
                            token: unsubscribe_token,
                            message_id,
                            thread_id,
                            subject,
                            file_name,
                            message,
                        },
                        StepOutput::Task { title } => RunOutput::Task { title },
                    },
                }
            })
            .collect();
        // The claims check what the steps were rendered for (see
        // `run_record::record_steps`); a step another run took is skipped,
        // one whose enrollment changed hands is rendered again later.
        let recorded = run_record::record_steps(&tx, &runs, now)?;
        let mut finished_at = Vec::new();
        for (executed, outcome) in steps.iter().zip(recorded) {
            let step = &executed.step;
            match outcome {
                Recorded::NotClaimed(Claim::Taken) => {
                    report.skipped.push(Skipped::new(
                        step.enrollment_id,
                        SkipCode::AlreadyRun,
                        format!(
                            "step {} of enrollment {} ({}) was run by another run first",
                            step.position, step.enrollment_id, step.sequence
                        ),
                    ));
                }
                Recorded::NotClaimed(_) => report.changed += 1,
                Recorded::Task => report.tasks += 1,
                Recorded::Email {
                    sent_email_id,
                    finished,
                } => {
                    if let StepOutput::Email {
                        file_name, message, ..
                    } = &executed.output
                    {
                        report.outbox.push(OutboxMessage {
                            sent_email_id,
                            file_name: file_name.clone(),
                            message: message.clone(),
                            attempts: 0,
                            handing_over: false,
                            sent_at: now,
                        });
                    }
                    report.emails += 1;
                    if finished {
                        report.finished.push(step.enrollment_id);
                        finished_at.push((step.enrollment_id, step.position));
                    }
                }
            }
        }
        if report.emails + report.tasks > 0 {
            let (audit_id, _) = q::insert_audit(
                &tx,
                &NewAudit {
                    at: now,
                    actor_id: None,
                    action: "run",
                    reason: None,
                    note: None,
                    detail: &format!(
                        "{} sent, {} created, {} finished",
                        crate::text::plural(report.emails as i64, "email", "emails"),
                        crate::text::plural(report.tasks as i64, "task", "tasks"),
                        crate::text::plural(
                            report.finished.len() as i64,
                            "enrollment",
                            "enrollments"
                        )
                    ),
                    count: (report.emails + report.tasks) as i64,
                },
            )?;
            // R13: the entry names the enrollments it finished, each with
            // the step it was at (it was active, or the step would not
            // have run).
            run_record::audit_finished(&tx, audit_id, &finished_at)?;
        }
        tx.commit()?;
        Ok(report)
    }

    /// Messages committed as sent and not yet delivered whose (next) try
    /// is due now, after journal row `after`, in order.
    pub fn pending_outbox(&mut self, after: i64, limit: usize) -> Result<Vec<OutboxMessage>> {
        let now = self.now();
        Ok(qe::pending_outbox(self.store.conn(), now, after, limit)?
            .into_iter()
            .map(|r| OutboxMessage {
                sent_email_id: r.sent_email_id,
                file_name: r.file_name,
                message: r.message,
                attempts: r.attempts,
                handing_over: r.handing_over,
                sent_at: r.sent_at,
            })
            .collect())
    }

    /// Records, before a message's data goes to a server, that it is being
    /// handed over: a run that dies before recording the server's answer
    /// leaves this mark, and the next run does not send it again.
    pub fn mark_handing_over(&mut self, sent_email_id: i64) -> Result<()> {
        let now = self.now();
        let tx = self.store.write()?;
        qe::mark_handing_over(&tx, sent_email_id, now)?;
        tx.commit()?;
        Ok(())
    }

    /// A server deferred the message (a 4xx answer): it stays in the
    /// journal and is tried again after a backoff that doubles with each
    /// attempt (5 minutes, 10, 20 … at most 6 hours). Returns the next try.
    pub fn defer_delivery(&mut self, sent_email_id: i64, attempts: i64) -> Result<Timestamp> {
        let minutes = 5i64 << attempts.clamp(0, 7);
        let next = self.now() + chrono::Duration::minutes(minutes.min(360));
        let tx = self.store.write()?;
        qe::defer_outbox(&tx, sent_email_id, next)?;
        tx.commit()?;
        Ok(next)
    }

    /// The earliest next try of a message a server deferred.
    pub fn next_delivery_try(&mut self) -> Result<Option<Timestamp>> {
        qe::next_outbox_try(self.store.conn())
    }

    /// A server refused the message for good (a 5xx answer): `event` is
    /// the bounce it amounts to (R9, hard or soft by the classifier),
    /// applied now, and the message leaves the journal, in one
    /// transaction.
    pub fn reject_delivery(
        &mut self,
        sent_email_id: i64,
        event: &InboundEvent,
    ) -> Result<IngestOutcome> {
        let now = self.now();
        let retry = self.rules().soft_bounce_retry();
        let tx = self.store.write()?;
        let outcome = super::bounce::apply_bounce(&tx, event, now, retry)?;
        qe::delete_outbox(&tx, &[sent_email_id])?;
        tx.commit()?;
        Ok(outcome)
    }

    /// Forgets journal rows whose file is now in the outbox.
    pub fn mark_delivered(&mut self, sent_email_ids: &[i64]) -> Result<()> {
        if sent_email_ids.is_empty() {
            return Ok(());
        }
        let tx = self.store.write()?;
        qe::delete_outbox(&tx, sent_email_ids)?;
        tx.commit()?;
        Ok(())
    }

    /// R14 and R9: resumes the enrollments whose engine pause (an
    /// out-of-office reply, a soft-bounce retry) has ended. Returns their
    /// ids.
    pub fn resume_ended_pauses(&mut self) -> Result<Vec<i64>> {
        let now = self.now();
        let tx = self.store.write()?;
        let ended = qe::pauses_ended(&tx, now)?;
        for (id, step, cause) in &ended {
            let (id, step) = (*id, *step);
            qe::resume(&tx, id, now)?;
            let (audit_id, _) = q::insert_audit(
                &tx,
                &NewAudit {
                    at: now,
                    actor_id: None,
                    action: "resume",
                    reason: None,
                    note: Some(if cause == qe::PAUSE_SOFT_BOUNCE {
                        "soft-bounce pause ended: the step is tried again"
                    } else {
                        "out-of-office pause ended"
                    }),
                    detail: &format!("enrollment {id}"),
                    count: 1,
                },
            )?;
            q::audit_enrollment(&tx, audit_id, id, Status::Paused, step)?;
        }
        tx.commit()?;
        Ok(ended.into_iter().map(|(id, _, _)| id).collect())
    }

    /// R8 and R14 settings of a sequence. The sequence's owner, a manager
    /// or an admin may change them.
    pub fn set_sequence_options(
        &mut self,
        actor: &User,
        sequence: &str,
        unenroll_colleagues: Option<bool>,
        pause_on_ooo: Option<bool>,
    ) -> Result<SequenceRef> {
        let sequence = self.sequence(sequence)?;
        let owner = q::users(self.store.conn())?
            .into_iter()
            .find(|u| u.id == sequence.owner_id)
            .ok_or_else(|| DomainError::NotFound(format!("no user {}", sequence.owner_id)))?;
        if !super::permissions::may_edit_sequence(actor, &owner) {
            return Err(DomainError::Refused(
                super::permissions::who_may_edit_sequence(&sequence.name, &owner),
            ));
        }
        let now = self.now();
        let tx = self.store.write()?;
        super::sequences::ensure_base_version(&tx, sequence.id, now)?;
        qe::set_sequence_options(&tx, sequence.id, unenroll_colleagues, pause_on_ooo)?;
        let mut changes = Vec::new();
        if let Some(v) = unenroll_colleagues {
            changes.push(format!("unenroll colleagues {}", onoff(v)));
        }
        if let Some(v) = pause_on_ooo {
            changes.push(format!("pause on out-of-office {}", onoff(v)));
        }
        let (audit_id, _) = q::insert_audit(
            &tx,
            &NewAudit {
                at: now,
                actor_id: Some(actor.id),
                action: "sequence_settings",
                reason: None,
                note: None,
                detail: &format!("{}: {}", sequence.name, changes.join(", ")),
                count: 0,
            },
        )?;
        super::sequences::record_version(&tx, sequence.id, actor, audit_id, now)?;
        let updated = q::find_sequence(&tx, &sequence.id.to_string())?
            .ok_or_else(|| DomainError::NotFound(format!("no sequence {}", sequence.id)))?;
        tx.commit()?;
        Ok(updated)
    }
}
