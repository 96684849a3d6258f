//! R9 opt-outs and R2. One function, [`opt_out_in`], marks contacts opted
//! out (who, when, how) and ends every open enrollment they have, inside
//! the caller's transaction, with one audit entry and batch: `seqtui
//! contact opt-out`, an import's opt-out column and an unsubscribe event
//! all go through it; an unenroll with reason `opted_out` marks its
//! contacts through the same store call and ends their other open
//! enrollments in its own batch (see `Workspace::unenroll`). Clearing an
//! opt-out is an admin's, with a note, audited ([`Workspace::opt_in`]).
//!
//! Anyone may record an opt-out, for any contact: it is the contact's
//! wish, not a change of someone's work, so R12 does not limit it, and
//! it ends enrollments the recorder could not unenroll otherwise.

use crate::store::Connection;
use serde::Serialize;

use super::*;
use crate::store::queries::{self as q, EndChange, NewAudit, Tidy};

/// What an opt-out did.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OptOutReport {
    /// The batch of the audit entry; `None` when nothing changed.
    pub batch: Option<String>,
    pub via: OptOutVia,
    /// Contacts opted out now.
    pub opted_out: Vec<i64>,
    /// Their open enrollments, ended with `opted_out`.
    pub unenrolled: Vec<i64>,
    /// Contacts left as they were (`already_opted_out`), by contact id.
    pub skipped: Vec<Skipped>,
    pub emails_cancelled: i64,
    pub steps_cancelled: i64,
    pub tasks_removed: i64,
}

impl OptOutReport {
    /// "Opted out 2 contacts · ended 1 open enrollment · 3 emails and 1
    /// task cancelled · batch B12", with what was already so.
    pub fn summary(&self) -> String {
        let mut line = format!(
            "Opted out {} · ended {} · {} and {} cancelled",
            plural(self.opted_out.len(), "contact", "contacts"),
            plural(self.unenrolled.len(), "open enrollment", "open enrollments"),
            crate::text::plural(self.emails_cancelled, "email", "emails"),
            crate::text::plural(self.tasks_removed, "task", "tasks")
        );
        if !self.skipped.is_empty() {
            line.push_str(&format!(
                " · {} already opted out",
                plural(self.skipped.len(), "contact", "contacts")
            ));
        }
        if let Some(batch) = &self.batch {
            line.push_str(&format!(" · batch {batch}"));
        }
        line
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What clearing an opt-out did.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OptInReport {
    pub contact: i64,
    pub email: String,
    /// Whether the contact was opted out (and now is not).
    pub opted_in: bool,
    /// The audit entry's batch; `None` when the contact was not opted out.
    pub batch: Option<String>,
    /// What the opt-out was: when, by whom, how.
    pub was_opted_out_at: Option<Timestamp>,
    pub was_opted_out_by: Option<String>,
    pub was_opted_out_via: Option<OptOutVia>,
}

/// Who records an opt-out and how.
pub(super) struct OptOutHow<'a> {
    pub actor: Option<&'a User>,
    pub via: OptOutVia,
    pub note: Option<&'a str>,
    /// Where it came from, for the audit entry (e.g. the event id).
    pub source: Option<&'a str>,
}

/// R2's sentence for a contact that may not be enrolled because it opted
/// out, or `None`. Enroll and the TUI's enroll key both ask this.
pub fn opted_out_refusal(contact: &Contact) -> Option<String> {
    if !contact.opted_out {
        return None;
    }
    let when = contact
        .opted_out_at
        .map(|t| format!(" on {}", t.format("%Y-%m-%d")))
        .unwrap_or_default();
    Some(format!(
        "{} opted out{when} and cannot be enrolled; only an admin can clear that (`seqtui contact opt-in`)",
        contact.email
    ))
}

/// R9 inside the caller's transaction: marks `contacts` opted out (those
/// not yet), ends every open enrollment they have (`opted_out`, ended by
/// the actor), with one audit entry naming the contacts. A contact already
/// opted out is skipped (`already_opted_out`), though an open enrollment it
/// somehow still has is ended too. Nothing to do: no audit entry.
pub(super) fn opt_out_in(
    tx: &Connection,
    contacts: &[i64],
    how: &OptOutHow<'_>,
    now: Timestamp,
) -> Result<OptOutReport> {
    if let Some(note) = how.note
        && note.chars().count() > 2000
    {
        return Err(DomainError::Invalid(
            "the note is longer than 2000 characters".into(),
        ));
    }
    let mut report = OptOutReport {
        batch: None,
        via: how.via,
        opted_out: Vec::new(),
        unenrolled: Vec::new(),
        skipped: Vec::new(),
        emails_cancelled: 0,
        steps_cancelled: 0,
        tasks_removed: 0,
    };
    let mut seen = std::collections::HashSet::new();
    let mut newly = Vec::new();
    let mut emails = Vec::new();
    for &id in contacts {
        if !seen.insert(id) {
            continue;
        }
        let contact = q::find_contact(tx, &id.to_string())?
            .ok_or_else(|| DomainError::NotFound(format!("no contact {id}")))?;
        if contact.opted_out {
            report.skipped.push(Skipped::new(
                id,
                SkipCode::AlreadyOptedOut,
                format!("{} has already opted out", contact.email),
            ));
        } else {
            newly.push(id);
            emails.push(contact.email.clone());
        }
        report.unenrolled.extend(q::open_enrollment_ids(tx, id)?);
    }
    if newly.is_empty() && report.unenrolled.is_empty() {
        return Ok(report);
    }
    let mut detail = format!("via {}", how.via);
    if let Some(source) = how.source {
        detail.push_str(&format!(" ({source})"));
    }
    if !emails.is_empty() {
        detail.push_str(": ");
        detail.push_str(&emails.join(", "));
    }
    let (audit_id, batch) = q::insert_audit(
        tx,
        &NewAudit {
            at: now,
            actor_id: how.actor.map(|a| a.id),
            action: "opt_out",
            reason: Some(EndReason::OptedOut.as_str()),
            note: how.note,
            detail: &detail,
            count: report.unenrolled.len() as i64,
        },
    )?;
    report.opted_out = q::set_opted_out(tx, &newly, now, how.actor.map(|a| a.id), how.via)?;
    q::stage_batch(tx, &report.unenrolled)?;
    let cancelled = q::end_staged(
        tx,
        &EndChange {
            at: now,
            reason: EndReason::OptedOut,
            ended_by: how.actor.map(|a| a.id),
            note: how.note,
            batch: Some(&batch),
        },
        Tidy::Now,
    )?;
    q::audit_staged(tx, audit_id)?;
    report.emails_cancelled = cancelled.emails;
    report.steps_cancelled = cancelled.steps;
    report.tasks_removed = cancelled.tasks;
    report.batch = Some(batch);
    Ok(report)
}

impl Workspace {
    /// `seqtui contact opt-out`: R9 for these contacts, by `actor` (anyone
    /// may), in one transaction and batch.
    pub fn opt_out_contacts(
        &mut self,
        actor: &User,
        contacts: &[i64],
        note: Option<&str>,
    ) -> Result<OptOutReport> {
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        let now = self.now();
        let tx = self.store.write()?;
        let report = opt_out_in(
            &tx,
            contacts,
            &OptOutHow {
                actor: Some(actor),
                via: OptOutVia::Command,
                note,
                source: None,
            },
            now,
        )?;
        tx.commit()?;
        Ok(report)
    }

    /// R9 for an unsubscribe event (`via` an event naming the address or
    /// a List-Unsubscribe request naming an enrollment's token): marks the
    /// contact opted out and ends every open enrollment it has (an
    /// automatic end: no `ended_by`). R2 then blocks re-enrollment. Doing
    /// it twice changes nothing the second time (no batch).
    pub fn opt_out(&mut self, contact_id: i64, source: &str) -> Result<OptOutReport> {
        self.opt_out_via(contact_id, source, OptOutVia::UnsubscribeEvent)
    }

    /// [`Workspace::opt_out`], saying how the request came.
    pub fn opt_out_via(
        &mut self,
        contact_id: i64,
        source: &str,
        via: OptOutVia,
    ) -> Result<OptOutReport> {
        let now = self.now();
        let tx = self.store.write()?;
        let report = opt_out_in(
            &tx,
            &[contact_id],
            &OptOutHow {
                actor: None,
                via,
                note: None,
                source: Some(source),
            },
            now,
        )?;
        if report.batch.is_some() {
            q::insert_event(
                &tx,
                contact_id,
                report.unenrolled.first().copied(),
                "unsubscribe",
                now,
                source,
            )?;
        }
        tx.commit()?;
        Ok(report)
    }

    /// Clears a contact's opt-out (R9): an admin's only, with a note saying
    /// why, audited with what the opt-out was. Its enrollments stay ended;
    /// the contact may be enrolled again. A contact not opted out is left
    /// as it is.
    pub fn opt_in(&mut self, actor: &User, contact_id: i64, note: &str) -> Result<OptInReport> {
        if actor.role != Role::Admin {
            return Err(DomainError::Refused(format!(
                "only an admin may clear an opt-out; {} is a {}",
                actor.email, actor.role
            )));
        }
        let note = note.trim();
        if note.is_empty() {
            return Err(DomainError::Invalid(
                "clearing an opt-out needs a note saying why (--note TEXT)".into(),
            ));
        }
        if note.chars().count() > 2000 {
            return Err(DomainError::Invalid(
                "the note is longer than 2000 characters".into(),
            ));
        }
        let now = self.now();
        let tx = self.store.write()?;
        let contact = q::find_contact(&tx, &contact_id.to_string())?
            .ok_or_else(|| DomainError::NotFound(format!("no contact {contact_id}")))?;
        let mut report = OptInReport {
            contact: contact.id,
            email: contact.email.clone(),
            opted_in: false,
            batch: None,
            was_opted_out_at: contact.opted_out_at,
            was_opted_out_by: contact.opted_out_by.clone(),
            was_opted_out_via: contact.opted_out_via,
        };
        if !contact.opted_out {
            return Ok(report);
        }
        let detail = format!(
            "{}: was opted out{}{}{}",
            contact.email,
            contact
                .opted_out_at
                .map(|t| format!(" at {}", crate::store::format_time(t)))
                .unwrap_or_default(),
            contact
                .opted_out_by
                .as_deref()
                .map(|b| format!(" by {b}"))
                .unwrap_or_default(),
            contact
                .opted_out_via
                .map(|v| format!(" via {v}"))
                .unwrap_or_default(),
        );
        let (_, batch) = q::insert_audit(
            &tx,
            &NewAudit {
                at: now,
                actor_id: Some(actor.id),
                action: "opt_in",
                reason: None,
                note: Some(note),
                detail: &detail,
                count: 0,
            },
        )?;
        q::clear_opted_out(&tx, contact.id)?;
        tx.commit()?;
        report.opted_in = true;
        report.batch = Some(batch);
        Ok(report)
    }
}
