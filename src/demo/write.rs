//! The second pass of the demo builder: turns the plan into rows. One
//! walk over contacts, enrollments and steps numbers every row the same
//! way each time; a [`Tables`] set says which tables a walk writes, so two
//! walks on two threads (into two files) can share the work. Random
//! choices made while writing (task states, opens and clicks) come from a
//! stream per table, so the rows do not depend on how the work is split.
//! Every row goes through `store::bulk`; buffers are reused row to row.

use std::fmt::Write as _;

use fastrand::Rng;
use rusqlite::Connection;

use super::data::{Model, company};
use super::plan::{DAY, Enrollment, HOUR, MINUTE, NONE, Plan, SlotKind, email};
use super::text::{Merge, Stamp, per_sequence_detail};
use crate::domain::{
    EndReason, Result, Status, StepKind, StepState, TaskState, search_text, setting, sort_name,
};
use crate::store::bulk::{
    AuditRow, ContactRow, EnrollmentRow, EventRow, Inserts, ScheduledStepRow, SentEmailRow,
    SequenceRow, StepRow, TaskRow,
};

/// How many rows of each kind were written.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Counts {
    pub scheduled_steps: usize,
    pub sent_emails: usize,
    pub tasks: usize,
    pub events: usize,
    pub audit_entries: usize,
    pub audit_enrollments: usize,
}

impl Counts {
    pub fn add(self, o: Counts) -> Counts {
        Counts {
            scheduled_steps: self.scheduled_steps + o.scheduled_steps,
            sent_emails: self.sent_emails + o.sent_emails,
            tasks: self.tasks + o.tasks,
            events: self.events + o.events,
            audit_entries: self.audit_entries + o.audit_entries,
            audit_enrollments: self.audit_enrollments + o.audit_enrollments,
        }
    }
}

/// Engagement rates: how often a sent email is opened, an open clicked.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rates {
    pub open: f32,
    pub click: f32,
    pub out_of_office: f32,
}

/// Which tables a walk writes.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Tables {
    /// Settings, users, sequences, steps, contacts, enrollments (with the
    /// engine's out-of-office pauses) and the audit log.
    pub people: bool,
    pub scheduled_steps: bool,
    pub sent_emails: bool,
    pub tasks: bool,
    pub events: bool,
}

impl Tables {
    /// The store tables of the set (for copying them between files).
    pub fn names(self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.people {
            names.extend([
                "workspace",
                "users",
                "sequences",
                "steps",
                "contacts",
                "enrollments",
                "audit",
                "audit_enrollments",
                "engine_pauses",
            ]);
        }
        for (on, name) in [
            (self.scheduled_steps, "scheduled_steps"),
            (self.sent_emails, "sent_emails"),
            (self.tasks, "tasks"),
            (self.events, "events"),
        ] {
            if on {
                names.push(name);
            }
        }
        names
    }
}

/// Steps of an enrollment that have run: all when finished, else those
/// before the current step.
/// Whether open enrollment `index`, whose last executed step created a
/// task, still waits at that step with the task open (R18: it moves on
/// only when the task is done or skipped) — two in five, decided by a hash
/// so that every pass of the writer agrees without sharing an rng.
fn waits_at_task(seed: u64, index: usize) -> bool {
    super::plan::mix(seed ^ 0x7761_6974_7461_736b ^ index as u64) % 5 < 2
}

fn executed_steps(e: &Enrollment, steps: usize) -> usize {
    if e.status == Status::Finished {
        steps
    } else {
        e.current_step as usize - 1
    }
}

/// The message id of sent email `id`: zero-padded, so that ids sort (and
/// the unique index fills) in the order they are written.
fn message_id(out: &mut String, seed: u64, id: i64, domain: &str) {
    out.clear();
    let _ = write!(out, "<d{seed}.{id:09}@{domain}>");
}

struct Walk<'a, 'c> {
    model: &'a Model,
    plan: &'a Plan,
    tables: Tables,
    ins: Inserts<'c>,
    /// Task states and completion times.
    task_rng: Rng,
    /// Opens, clicks, automatic replies and other engagement.
    event_rng: Rng,
    seed: u64,
    now: i64,
    rates: Rates,
    counts: Counts,
    next_scheduled: i64,
    next_sent: i64,
    next_task: i64,
    next_event: i64,
    /// The latest engagement of the enrollment being written (0: none).
    engaged: i64,
    address: String,
    root_subject: String,
    subject: String,
    thread: String,
    message: String,
    title: String,
    detail: String,
}

/// Writes the rows of `tables`, numbered as in a full build.
pub(super) fn write(
    conn: &Connection,
    model: &Model,
    plan: &Plan,
    seed: u64,
    now: i64,
    rates: Rates,
    tables: Tables,
) -> Result<Counts> {
    let mut w = Walk {
        model,
        plan,
        tables,
        ins: Inserts::new(conn)?,
        task_rng: Rng::with_seed(seed ^ 0x7461_736b_7374_6174),
        event_rng: Rng::with_seed(seed ^ 0x6576_656e_7473_2121),
        seed,
        now,
        rates,
        counts: Counts::default(),
        next_scheduled: 0,
        next_sent: 0,
        next_task: 0,
        next_event: 0,
        engaged: 0,
        address: String::new(),
        root_subject: String::new(),
        subject: String::new(),
        thread: String::new(),
        message: String::new(),
        title: String::new(),
        detail: String::new(),
    };
    if tables.people {
        workspace(&mut w.ins, model, now)?;
    }
    let lists = &model.lists;
    let mut company_name = String::new();
    let mut domain = String::new();
    let mut next = 0;
    for (i, c) in plan.contacts.iter().enumerate() {
        let contact_id = i as i64 + 1;
        let first = lists.first_names[c.first_name as usize];
        let last = lists.last_names[c.last_name as usize];
        company(lists, c.company as usize, &mut company_name, &mut domain);
        let contact = Merge {
            first_name: first,
            last_name: last,
            company: &company_name,
            sender_name: "",
        };
        let mut sort = String::new();
        let mut search = String::new();
        if tables.people {
            email(model, c, &domain, &mut w.address);
            sort = sort_name(first, last, &w.address);
            search = search_text(first, last, &w.address, &company_name);
            let opted_out = (c.opted_out_at != 0).then(|| Stamp::new(c.opted_out_at));
            w.ins.contact(&ContactRow {
                id: contact_id,
                email: &w.address,
                first_name: first,
                last_name: last,
                company: &company_name,
                title: lists.titles[c.title as usize],
                owner_id: model.users[c.owner as usize].id,
                lifecycle_stage: c.lifecycle_stage,
                opted_out_at: opted_out.as_ref().map(Stamp::as_str),
                created_at: Stamp::new(c.created_at).as_str(),
                sort_name: &sort,
            })?;
        }
        for index in next..next + c.enrollments as usize {
            w.enrollment(index, contact_id, &contact, &sort, &search)?;
        }
        next += c.enrollments as usize;
    }
    if tables.people {
        audit(&mut w.ins, model, plan, &mut w.counts)?;
    }
    w.ins.flush()?;
    Ok(w.counts)
}

impl Walk<'_, '_> {
    fn enrollment(
        &mut self,
        index: usize,
        contact_id: i64,
        contact: &Merge<'_>,
        sort: &str,
        search: &str,
    ) -> Result<()> {
        let model = self.model;
        let plan = self.plan;
        let tables = self.tables;
        let e = &plan.enrollments[index];
        let id = index as i64 + 1;
        let seq = &model.sequences[e.sequence as usize];
        let enrolled_by = &model.users[e.enrolled_by as usize];
        let open = e.status.is_open();
        let executed = executed_steps(e, seq.steps.len());
        // An open enrollment whose last step run made a task may still be
        // waiting at it: its current step is that task's step (R18).
        let waiting = open
            && executed > 0
            && seq.steps[executed - 1].kind != StepKind::AutoEmail
            && waits_at_task(self.seed, index);
        let current_step = if waiting {
            seq.steps[executed - 1].position
        } else {
            i64::from(e.current_step)
        };
        self.engaged = 0;
        let merge = Merge {
            sender_name: &enrolled_by.name,
            ..*contact
        };
        // Tasks done after the enrollment ended would be odd.
        let limit = if e.ended_at != 0 {
            e.ended_at.min(self.now)
        } else {
            self.now
        };
        let bounced = e.reason == Some(EndReason::Bounced);
        self.root_subject.clear();
        self.thread.clear();
        for (k, step) in seq.steps.iter().enumerate() {
            let due = e.enrolled_at + step.offset_days * DAY;
            let due_text = Stamp::new(due);
            self.next_scheduled += 1;
            let scheduled_id = self.next_scheduled;
            let ran = k < executed;
            if tables.scheduled_steps {
                self.counts.scheduled_steps += 1;
                let state = match (ran, step.kind, e.status) {
                    (true, StepKind::AutoEmail, _) => StepState::Sent,
                    (true, _, _) => StepState::Done,
                    (false, _, Status::Unenrolled) => StepState::Cancelled,
                    (false, _, _) => StepState::Scheduled,
                };
                self.ins.scheduled_step(&ScheduledStepRow {
                    id: scheduled_id,
                    enrollment_id: id,
                    step_id: step.id,
                    position: step.position,
                    kind: step.kind,
                    due_at: due_text.as_str(),
                    state,
                    executed_at: None,
                })?;
            }
            if !ran {
                continue;
            }
            if step.kind == StepKind::AutoEmail {
                self.next_sent += 1;
                let first_email = self.root_subject.is_empty();
                if tables.sent_emails || (tables.events && first_email) {
                    step.subject_template.render_into(&merge, &mut self.subject);
                    if first_email {
                        self.root_subject.push_str(&self.subject);
                    }
                }
                if tables.sent_emails {
                    self.counts.sent_emails += 1;
                    message_id(&mut self.message, self.seed, self.next_sent, &model.domain);
                    let starts_thread = self.thread.is_empty();
                    if starts_thread {
                        self.thread.push_str(&self.message);
                    }
                    self.ins.sent_email(&SentEmailRow {
                        id: self.next_sent,
                        enrollment_id: id,
                        sequence_id: seq.id,
                        scheduled_step_id: scheduled_id,
                        message_id: &self.message,
                        thread_id: (!starts_thread).then_some(self.thread.as_str()),
                        subject: &self.subject,
                        sent_at: due_text.as_str(),
                    })?;
                }
                if tables.events && !bounced {
                    self.engagement(contact_id, id, seq.id, due)?;
                }
            } else if tables.tasks {
                self.next_task += 1;
                self.counts.tasks += 1;
                step.title_template.render_into(&merge, &mut self.title);
                let latest = k + 1 == executed;
                let (state, done_at) = if latest && waiting {
                    (TaskState::Open, None)
                } else if latest && e.status == Status::Unenrolled && self.task_rng.f32() < 0.25 {
                    (TaskState::Removed, None)
                } else {
                    let done = (due + self.task_rng.i64(10 * MINUTE..2 * DAY))
                        .min(limit)
                        .max(due);
                    (TaskState::Done, Some(Stamp::new(done)))
                };
                self.ins.task(&TaskRow {
                    id: self.next_task,
                    enrollment_id: id,
                    scheduled_step_id: scheduled_id,
                    owner_id: enrolled_by.id,
                    title: &self.title,
                    due_at: due_text.as_str(),
                    state,
                    created_at: None,
                    done_at: done_at.as_ref().map(Stamp::as_str),
                })?;
            }
        }
        if tables.events {
            self.outcome_events(e, id, contact_id)?;
        }
        if tables.people {
            let end_slot = (e.end_slot != NONE).then(|| &plan.slots[e.end_slot as usize]);
            let enroll_slot = (e.enroll_slot != NONE).then(|| &plan.slots[e.enroll_slot as usize]);
            let ended_at = (e.ended_at != 0).then(|| Stamp::new(e.ended_at));
            // Its first step still scheduled (the steps' due times grow
            // with their position), and its latest engagement (migration
            // 19's columns).
            let next_due = if open && executed < seq.steps.len() {
                Some(Stamp::new(
                    e.enrolled_at + seq.steps[executed].offset_days * DAY,
                ))
            } else {
                None
            };
            let engaged = (self.engaged != 0).then(|| Stamp::new(self.engaged));
            self.ins.enrollment(&EnrollmentRow {
                id,
                sequence_id: seq.id,
                contact_id,
                enrolled_by: enrolled_by.id,
                sender_id: enrolled_by.id,
                status: e.status,
                current_step,
                enrolled_at: Stamp::new(e.enrolled_at).as_str(),
                ended_at: ended_at.as_ref().map(Stamp::as_str),
                end_reason: e.reason,
                ended_by: end_slot.and_then(|s| s.actor).map(|u| model.users[u].id),
                note: end_slot.and_then(|s| s.note.as_deref()),
                batch: end_slot.or(enroll_slot).map(|s| s.batch.as_str()),
                sort_name: sort,
                search,
                next_due: next_due.as_ref().map(Stamp::as_str),
                last_engagement: engaged.as_ref().map(Stamp::as_str),
            })?;
            if e.pause_until != 0 {
                self.ins
                    .engine_pause(id, Stamp::new(e.pause_until).as_str())?;
            }
        }

        Ok(())
    }

    /// What ended an enrollment, or paused it, left a trace (R6, R7, R9,
    /// R14); and now and then something happened that ends nothing.
    fn outcome_events(&mut self, e: &Enrollment, id: i64, contact_id: i64) -> Result<()> {
        let model = self.model;
        let seq = &model.sequences[e.sequence as usize];
        let enrolled_by = &model.users[e.enrolled_by as usize];
        let moment = e.moment;
        let kind = match (e.status, e.reason) {
            (Status::Unenrolled, Some(EndReason::Replied)) => {
                self.detail.clear();
                self.detail.push_str("Re: ");
                self.detail.push_str(&self.root_subject);
                Some("reply")
            }
            (Status::Unenrolled, Some(EndReason::MeetingBooked)) => {
                self.detail.clear();
                let _ = write!(self.detail, "30-minute intro with {}", enrolled_by.name);
                Some("meeting_booked")
            }
            (Status::Unenrolled, Some(EndReason::Bounced)) => {
                self.detail.clear();
                self.detail
                    .push_str("550 5.1.1 recipient address rejected: mailbox unavailable");
                Some("bounce")
            }
            (Status::Unenrolled, Some(EndReason::OptedOut)) => {
                self.detail.clear();
                self.detail
                    .push_str("Unsubscribed with the link in the email footer");
                Some("unsubscribe")
            }
            (Status::Paused, _) if e.pause_until != 0 => {
                let back = Stamp::new(e.pause_until);
                self.detail.clear();
                let _ = write!(self.detail, "Out of office until {}", back.date());
                Some("out_of_office")
            }
            _ => None,
        };
        if let Some(kind) = kind {
            self.event(contact_id, Some(id), Some(seq.id), kind, moment)?;
        }
        // A meeting with someone other than the enrolling user (R7) or a
        // reply that is not on the sequence thread (R6) ends nothing.
        if e.status == Status::Active && e.current_step > 1 {
            let roll = self.event_rng.f32();
            let at = self.now - self.event_rng.i64(HOUR..5 * DAY);
            if roll < 0.01 && at > e.enrolled_at {
                let other = &model.users[self.event_rng.usize(0..model.users.len())];
                if other.id != enrolled_by.id {
                    self.detail.clear();
                    let _ = write!(
                        self.detail,
                        "Call with {} (not the enrolling user)",
                        other.name
                    );
                    self.event(contact_id, None, None, "meeting_booked", at)?;
                }
            } else if roll < 0.018 && at > e.enrolled_at {
                self.detail.clear();
                self.detail.push_str("New email, not on a sequence thread");
                self.event(contact_id, None, None, "reply", at)?;
            }
        }
        Ok(())
    }

    /// Opens, clicks and automatic replies to one sent email.
    fn engagement(
        &mut self,
        contact_id: i64,
        enrollment_id: i64,
        sequence_id: i64,
        sent: i64,
    ) -> Result<()> {
        if self.event_rng.f32() < self.rates.open {
            let r = self.event_rng.f32();
            let opened = sent + 2 * MINUTE + (r * r * (2 * DAY) as f32) as i64;
            if opened < self.now {
                self.detail.clear();
                self.event(
                    contact_id,
                    Some(enrollment_id),
                    Some(sequence_id),
                    "open",
                    opened,
                )?;
                if self.event_rng.f32() < self.rates.click {
                    let clicked = opened + self.event_rng.i64(5..15 * MINUTE);
                    if clicked < self.now {
                        self.detail.clear();
                        self.detail.push_str("https://northwind.example/guide");
                        self.event(
                            contact_id,
                            Some(enrollment_id),
                            Some(sequence_id),
                            "click",
                            clicked,
                        )?;
                    }
                }
            }
        } else if self.event_rng.f32() < self.rates.out_of_office {
            let at = sent + self.event_rng.i64(MINUTE..10 * MINUTE);
            if at < self.now {
                self.detail.clear();
                self.detail.push_str("Automatic reply: out of the office");
                self.event(
                    contact_id,
                    Some(enrollment_id),
                    Some(sequence_id),
                    "out_of_office",
                    at,
                )?;
            }
        }
        Ok(())
    }

    /// Writes one event with the detail in `self.detail`.
    fn event(
        &mut self,
        contact_id: i64,
        enrollment_id: Option<i64>,
        sequence_id: Option<i64>,
        kind: &str,
        at: i64,
    ) -> Result<()> {
        self.next_event += 1;
        self.counts.events += 1;
        if enrollment_id.is_some() && matches!(kind, "open" | "click" | "reply" | "meeting_booked")
        {
            self.engaged = self.engaged.max(at);
        }
        self.ins.event(&EventRow {
            id: self.next_event,
            contact_id,
            enrollment_id,
            sequence_id,
            kind,
            at: Stamp::new(at).as_str(),
            detail: &self.detail,
        })
    }
}

fn workspace(ins: &mut Inserts<'_>, model: &Model, now: i64) -> Result<()> {
    ins.setting(setting::NAME, &model.name)?;
    ins.setting(setting::DEMO, "1")?;
    ins.setting(setting::DEFAULT_USER, &model.default_user)?;
    for u in &model.users {
        ins.user(u.id, &u.email, &u.name, u.role.as_str(), &u.team)?;
    }
    let today = now - now.rem_euclid(DAY);
    let n = model.sequences.len() as i64;
    for (i, s) in model.sequences.iter().enumerate() {
        // Sequences were set up before the history starts, oldest last.
        let created = today - (150 + 4 * (n - i as i64)) * DAY + 10 * HOUR;
        ins.sequence(&SequenceRow {
            id: s.id,
            name: &s.name,
            owner_id: model.users[s.owner].id,
            unenroll_colleagues: s.unenroll_colleagues,
            pause_on_ooo: s.pause_on_ooo,
            archived: s.archived_days_ago.is_some(),
            created_at: Stamp::new(created).as_str(),
        })?;
        for st in &s.steps {
            ins.step(&StepRow {
                id: st.id,
                sequence_id: s.id,
                position: st.position,
                kind: st.kind.as_str(),
                delay_days: st.delay_days,
                subject: &st.subject,
                body: &st.body,
                title: &st.title,
            })?;
        }
    }
    Ok(())
}

fn audit(ins: &mut Inserts<'_>, model: &Model, plan: &Plan, counts: &mut Counts) -> Result<()> {
    let mut entries: Vec<usize> = (0..plan.slots.len())
        .filter(|&i| plan.slots[i].audit_id > 0)
        .collect();
    entries.sort_by_key(|&i| plan.slots[i].audit_id);
    for &i in &entries {
        let slot = &plan.slots[i];
        let (action, reason, detail) = match slot.kind {
            SlotKind::Enroll { sequence } => (
                "enroll",
                None,
                format!(
                    "{}: {} enrolled",
                    model.sequences[sequence].name,
                    slot.count()
                ),
            ),
            SlotKind::Unenroll { reason } => (
                "unenroll",
                Some(reason.as_str()),
                per_sequence_detail(
                    slot.per_sequence
                        .iter()
                        .enumerate()
                        .filter(|(_, n)| **n > 0)
                        .map(|(s, n)| (model.sequences[s].name.clone(), *n)),
                ),
            ),
        };
        ins.audit(&AuditRow {
            id: slot.audit_id,
            at: Stamp::new(slot.at).as_str(),
            actor_id: slot.actor.map(|u| model.users[u].id),
            action,
            reason,
            note: slot.note.as_deref(),
            batch: &slot.batch,
            detail: &detail,
            count: i64::from(slot.count()),
        })?;
        counts.audit_entries += 1;
    }

    // Which enrollments each entry touched, and what they were before.
    let mut touched: Vec<(u32, u32, bool, u8)> = Vec::new();
    for (index, e) in plan.enrollments.iter().enumerate() {
        let id = index as u32 + 1;
        if e.enroll_slot != NONE {
            touched.push((
                plan.slots[e.enroll_slot as usize].audit_id as u32,
                id,
                false,
                1,
            ));
        }
        if e.end_slot != NONE {
            touched.push((
                plan.slots[e.end_slot as usize].audit_id as u32,
                id,
                e.was_paused,
                e.current_step,
            ));
        }
    }
    touched.sort_unstable();
    for (audit_id, enrollment_id, paused, step) in touched {
        let before = if paused {
            Status::Paused
        } else {
            Status::Active
        };
        ins.audit_enrollment(
            i64::from(audit_id),
            i64::from(enrollment_id),
            before,
            i64::from(step),
        )?;
        counts.audit_enrollments += 1;
    }
    Ok(())
}
