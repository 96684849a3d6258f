//! Unenrolling (R3, R4, R5, R9): one confirmed enrollment or a batch of
//! any size in one transaction, with the report of what it skipped and
//! cancelled; and the tidying that cancels a large batch's scheduled steps
//! and open tasks afterwards, in short transactions.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::permissions::{may_change, who_may};
use super::workspace::stakeholders;
use super::*;
use crate::store::queries::{self as q, EndChange, NewAudit, Tidy};

/// What the person confirmed about one enrollment before unenrolling it
/// (R4): if it is no longer so, nothing happens.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    pub sequence_id: i64,
    pub status: Status,
}

#[derive(Debug, Clone)]
pub struct UnenrollRequest {
    pub enrollments: Vec<i64>,
    pub reason: EndReason,
    pub note: Option<String>,
    pub dry_run: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UnenrollReport {
    /// `None` for a dry run, or when nothing was eligible.
    pub batch: Option<String>,
    pub dry_run: bool,
    pub reason: EndReason,
    pub unenrolled: Vec<i64>,
    pub skipped: Vec<Skipped>,
    /// With reason `opted_out` (R9): the contacts this marked opted out
    /// (those not yet; a dry run lists none). Their other open enrollments
    /// are among `unenrolled`.
    pub opted_out: Vec<i64>,
    /// Scheduled automatic emails that will not be sent.
    pub emails_cancelled: i64,
    /// Scheduled steps of every kind that were cancelled.
    pub steps_cancelled: i64,
    /// Open tasks marked removed.
    pub tasks_removed: i64,
    /// The sequences touched, with how many enrollments each.
    pub sequences: Vec<SequenceCount>,
}

impl UnenrollReport {
    fn set_cancellations(&mut self, c: q::Cancellations) {
        self.emails_cancelled = c.emails;
        self.steps_cancelled = c.steps;
        self.tasks_removed = c.tasks;
    }

    /// One line for people: "Unenrolled 37 · 52 emails and 18 tasks
    /// cancelled · 2 skipped: already finished".
    pub fn summary(&self) -> String {
        let verb = if self.dry_run {
            "Would unenroll"
        } else {
            "Unenrolled"
        };
        let mut line = format!(
            "{verb} {} · {} and {} cancelled",
            crate::text::count(self.unenrolled.len() as i64),
            crate::text::plural(self.emails_cancelled, "email", "emails"),
            crate::text::plural(self.tasks_removed, "task", "tasks")
        );
        if !self.opted_out.is_empty() {
            line.push_str(&format!(
                " · {} contact{} opted out",
                self.opted_out.len(),
                if self.opted_out.len() == 1 { "" } else { "s" }
            ));
        }
        if !self.skipped.is_empty() {
            line.push_str(&format!(
                " · {} skipped: {}",
                self.skipped.len(),
                skip_phrases(&self.skipped)
            ));
        }
        if let Some(batch) = &self.batch {
            line.push_str(&format!(" · batch {batch}"));
        }
        line
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SequenceCount {
    pub sequence: String,
    pub count: i64,
}

impl Workspace {
    // ------------------------------------------------------ unenroll

    /// Unenrolls one enrollment that a person confirmed (R3, R4). When it is
    /// no longer what they confirmed, or they may not change it, nothing
    /// happens and the error says what it is now or who may.
    pub fn unenroll_one(
        &mut self,
        actor: &User,
        enrollment_id: i64,
        expected: &Expected,
        reason: EndReason,
        note: Option<String>,
    ) -> Result<UnenrollReport> {
        let facts = q::enrollment_facts(self.store.conn(), &[enrollment_id])?;
        let current = facts
            .get(&enrollment_id)
            .ok_or_else(|| DomainError::NotFound(format!("no enrollment {enrollment_id}")))?;
        if current.sequence_id != expected.sequence_id || current.status != expected.status {
            return Err(DomainError::Refused(format!(
                "{} in '{}' is now {}; nothing was changed",
                current.contact_name,
                current.sequence,
                describe_status(current.status, current.end_reason)
            )));
        }
        let report = self.unenroll(
            actor,
            &UnenrollRequest {
                enrollments: vec![enrollment_id],
                reason,
                note,
                dry_run: false,
            },
        )?;
        match report.skipped.first() {
            Some(skip) => Err(DomainError::Refused(skip.why.clone())),
            None => Ok(report),
        }
    }

    /// Unenrolls many enrollments in one transaction with one batch id (R3,
    /// R5). Each requested id is either unenrolled or skipped with why (not
    /// found, already ended, not permitted). A dry run computes the same
    /// report and changes nothing; repeating a request is harmless.
    pub fn unenroll(&mut self, actor: &User, request: &UnenrollRequest) -> Result<UnenrollReport> {
        // A large batch writes only references it has just read under the
        // write lock (the actor, the audit entry it inserts, enrollments it
        // staged), so SQLite's per-row foreign-key lookups (~2 per
        // enrollment) can add nothing but time; they are off for it.
        let large = !request.dry_run && request.enrollments.len() > TIDY_NOW_MAX;
        if large {
            self.store.set_foreign_keys(false)?;
        }
        let result = self.unenroll_checked(actor, request);
        if large {
            self.store.set_foreign_keys(true)?;
        }
        result
    }

    fn unenroll_checked(
        &mut self,
        actor: &User,
        request: &UnenrollRequest,
    ) -> Result<UnenrollReport> {
        if let Some(note) = &request.note
            && note.chars().count() > 2000
        {
            return Err(DomainError::Invalid(
                "the note is longer than 2000 characters".into(),
            ));
        }
        let now = self.now();
        let users: HashMap<i64, User> = q::users(self.store.conn())?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let tx = self.store.write()?;
        let keys = q::enrollment_keys(&tx, &request.enrollments)?;
        let names = q::sequence_names(&tx)?;
        let mut seen = HashSet::new();
        let mut eligible = Vec::new();
        let mut skipped = Vec::new();
        let mut per_sequence: Vec<(i64, i64)> = Vec::new();
        for &id in &request.enrollments {
            if !seen.insert(id) {
                continue;
            }
            let Some(k) = keys.get(&id) else {
                skipped.push(Skipped::new(id, SkipCode::NotFound, "not found"));
                continue;
            };
            if !k.status.is_open() {
                skipped.push(Skipped::new(
                    id,
                    SkipCode::AlreadyEnded,
                    format!("already {}", describe_status(k.status, k.end_reason)),
                ));
                continue;
            }
            let who = stakeholders(&users, k.id, k.enrolled_by, k.owner_id)?;
            if !may_change(actor, &who) {
                skipped.push(Skipped::new(
                    id,
                    SkipCode::NotPermitted,
                    who_may("unenroll", &who),
                ));
                continue;
            }
            match per_sequence.iter_mut().find(|(s, _)| *s == k.sequence_id) {
                Some((_, n)) => *n += 1,
                None => per_sequence.push((k.sequence_id, 1)),
            }
            eligible.push(*k);
        }
        drop(keys);
        let per_sequence: Vec<SequenceCount> = per_sequence
            .into_iter()
            .map(|(id, count)| SequenceCount {
                sequence: names.get(&id).cloned().unwrap_or_default(),
                count,
            })
            .collect();
        let mut unenrolled: Vec<i64> = eligible.iter().map(|k| k.id).collect();
        // In id order the temporary table is filled by appending.
        eligible.sort_unstable_by_key(|k| k.id);
        q::stage_keys(&tx, &eligible)?;
        drop(eligible);
        // R9: an opt-out ends every open enrollment of the contact, in
        // this batch. (R1 leaves none today; the rule does not rely on it.)
        if request.reason == EndReason::OptedOut {
            unenrolled.extend(q::stage_other_open_of_staged_contacts(&tx)?);
        }
        let mut report = UnenrollReport {
            batch: None,
            dry_run: request.dry_run,
            reason: request.reason,
            unenrolled,
            skipped,
            opted_out: Vec::new(),
            emails_cancelled: 0,
            steps_cancelled: 0,
            tasks_removed: 0,
            sequences: per_sequence,
        };
        if request.dry_run || report.unenrolled.is_empty() {
            report.set_cancellations(q::staged_cancellations(&tx)?);
            drop(tx);
            return Ok(report);
        }
        let mut detail = report
            .sequences
            .iter()
            .map(|c| format!("{}: {}", c.sequence, c.count))
            .collect::<Vec<_>>()
            .join(", ");
        if request.reason == EndReason::OptedOut {
            // R9: the contacts are opted out, by this actor, in this batch.
            report.opted_out =
                q::set_opted_out_staged(&tx, now, Some(actor.id), OptOutVia::Unenroll)?;
            detail.push_str(&opted_out_detail(&tx, &report.opted_out)?);
        }
        let (audit_id, batch) = q::insert_audit(
            &tx,
            &NewAudit {
                at: now,
                actor_id: Some(actor.id),
                action: "unenroll",
                reason: Some(request.reason.as_str()),
                note: request.note.as_deref(),
                detail: &detail,
                count: report.unenrolled.len() as i64,
            },
        )?;
        let tidy = tidy_mode(report.unenrolled.len(), audit_id);
        let cancelled = q::end_staged(
            &tx,
            &EndChange {
                at: now,
                reason: request.reason,
                ended_by: Some(actor.id),
                note: request.note.as_deref(),
                batch: Some(&batch),
            },
            tidy,
        )?;
        report.set_cancellations(cancelled);
        q::audit_staged(&tx, audit_id)?;
        if tidy == Tidy::Now {
            tx.commit()?;
        } else {
            // Copying ~100 MB of changed pages into the main file is left
            // to the next commit (the first tidy step), not this one.
            crate::store::auto_checkpoint(&tx, false)?;
            let committed = tx.commit();
            self.store.set_auto_checkpoint(true)?;
            committed?;
        }
        report.batch = Some(batch);
        Ok(report)
    }

    /// Tidies up to `limit` enrollments of batches whose scheduled steps
    /// and open tasks were left for later (see [`TIDY_NOW_MAX`]), in one
    /// short transaction, so other writers wait at most that long. Returns
    /// how many it went through; 0 means nothing is left.
    pub fn tidy(&mut self, limit: usize) -> Result<usize> {
        let tx = self.store.write()?;
        let n = q::tidy_step(&tx, limit.max(1))?;
        tx.commit()?;
        Ok(n)
    }

    /// Tidies everything left for later, in short transactions.
    pub fn tidy_all(&mut self) -> Result<usize> {
        let mut total = 0;
        loop {
            let n = self.tidy(TIDY_CHUNK)?;
            if n == 0 {
                return Ok(total);
            }
            total += n;
        }
    }

    /// Tidies what was left for later for at most `budget` (whole
    /// [`TIDY_CHUNK`] transactions: the last one may end a little after it),
    /// and says how much is left. A command that ended a large batch calls
    /// this after printing its result with [`TIDY_BUDGET`], so that it
    /// returns promptly; the rest is finished by the next `run`, the TUI's
    /// start or `seqtui tidy` ([`Workspace::tidy_all`]). Readers already
    /// see the rows left as cancelled, so nothing waits on it.
    pub fn tidy_within(&mut self, budget: std::time::Duration) -> Result<TidyProgress> {
        let started = std::time::Instant::now();
        let mut tidied = 0;
        while started.elapsed() < budget {
            let n = self.tidy(TIDY_CHUNK)?;
            if n == 0 {
                return Ok(TidyProgress { tidied, pending: 0 });
            }
            tidied += n;
        }
        Ok(TidyProgress {
            tidied,
            pending: self.tidy_pending()?,
        })
    }

    /// How many ended enrollments still wait for [`Workspace::tidy`].
    pub fn tidy_pending(&self) -> Result<i64> {
        q::tidy_pending(self.store.conn())
    }
}

/// Batches of at most this many enrollments cancel their scheduled steps
/// and open tasks in their own transaction; larger ones leave that to
/// [`Workspace::tidy`] (readers see no difference), which keeps a bulk
/// unenroll of 100,000 contacts to the enrollments' own rows.
pub const TIDY_NOW_MAX: usize = 500;

/// How long a command that ended a large batch keeps tidying after it has
/// printed its result (see [`Workspace::tidy_within`]).
pub const TIDY_BUDGET: std::time::Duration = std::time::Duration::from_secs(1);

/// What [`Workspace::tidy_within`] and `seqtui tidy` did: how many ended
/// enrollments it went through, and how many still wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TidyProgress {
    pub tidied: usize,
    pub pending: i64,
}

/// How many enrollments one [`Workspace::tidy_all`] transaction handles:
/// small enough that other writers wait well under a second.
pub const TIDY_CHUNK: usize = 2_000;

pub(crate) fn tidy_mode(enrollments: usize, audit_id: i64) -> Tidy {
    if enrollments <= TIDY_NOW_MAX {
        Tidy::Now
    } else {
        Tidy::Later { audit_id }
    }
}

/// "; opted out 2 contacts: a@x.example, b@y.example" for an audit entry
/// (the first 50 by email; the rest are the contacts of its enrollments).
fn opted_out_detail(conn: &crate::store::Connection, contacts: &[i64]) -> Result<String> {
    if contacts.is_empty() {
        return Ok(String::new());
    }
    const NAMED: usize = 50;
    let mut emails = Vec::new();
    for id in contacts.iter().take(NAMED) {
        if let Some(c) = q::find_contact(conn, &id.to_string())? {
            emails.push(c.email);
        }
    }
    let more = contacts.len().saturating_sub(NAMED);
    Ok(format!(
        "; opted out {} contact{}: {}{}",
        contacts.len(),
        if contacts.len() == 1 { "" } else { "s" },
        emails.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    ))
}
