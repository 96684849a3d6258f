//! The manager tools: pause and resume (R14), undo of a manual unenroll
//! batch (R15) and ownership transfer (R10). Each is one transaction with
//! one audit entry and batch id (R13), and checks R12 per enrollment.

use std::collections::{HashMap, HashSet};

use chrono::Duration;
use serde::Serialize;

use super::permissions::{may_change, may_change_contact, who_may, who_may_change_contact};
use super::unenroll::tidy_mode;
use super::workspace::{describe_status, enrollable, schedule, stakeholders};
use super::*;
use crate::store::manage as m;
use crate::store::queries::{self as q, EndChange, NewAudit};

/// What a pause or resume did: each requested enrollment changed or
/// skipped with why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChangeReport {
    pub action: ChangeAction,
    /// `None` for a dry run, or when nothing changed.
    pub batch: Option<String>,
    pub dry_run: bool,
    pub changed: Vec<i64>,
    pub skipped: Vec<Skipped>,
    /// Scheduled steps moved later on resume (the next one is due now and
    /// the rest keep their spacing).
    pub steps_moved: usize,
}

impl ChangeReport {
    /// One line for people: "Paused 12 · 1 skipped: already paused · batch B9".
    pub fn summary(&self) -> String {
        let verb = match (self.action, self.dry_run) {
            (ChangeAction::Pause, false) => "Paused",
            (ChangeAction::Pause, true) => "Would pause",
            (ChangeAction::Resume, false) => "Resumed",
            (ChangeAction::Resume, true) => "Would resume",
        };
        let mut line = format!("{verb} {}", crate::text::count(self.changed.len() as i64));
        if self.steps_moved > 0 {
            line.push_str(&format!(
                " · {} rescheduled",
                crate::text::plural(self.steps_moved as i64, "overdue step", "overdue steps")
            ));
        }
        push_skipped(&mut line, &self.skipped);
        if let Some(batch) = &self.batch {
            line.push_str(&format!(" · batch {batch}"));
        }
        line
    }
}

/// What an undo restored (or, for an enroll, ended) and what it could
/// not, with why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UndoReport {
    /// The batch that was undone.
    pub batch: String,
    /// What that batch was.
    pub action: UndoableAction,
    /// The undo's own batch id (`None` when nothing changed).
    pub undo_batch: Option<String>,
    /// Enrollments open again (an unenroll or a transfer undone).
    pub restored: Vec<i64>,
    /// Enrollments ended again (an enroll undone).
    pub ended: Vec<i64>,
    /// What was left as it is, with a code and why.
    pub not_restored: Vec<Skipped>,
    /// Contacts whose new owner (from an undone transfer) stays.
    pub owners_kept: usize,
    /// Enrollments an undone transfer reassigned, which stay so.
    pub reassignments_kept: usize,
}

impl UndoReport {
    pub fn summary(&self) -> String {
        // "Undid B5: …" whatever the batch was (scripts read the batch id
        // up to the colon).
        let mut line = if self.action == UndoableAction::Enroll {
            format!(
                "Undid {}: ended {} of the enrollments it made",
                self.batch,
                self.ended.len()
            )
        } else {
            format!("Undid {}: restored {}", self.batch, self.restored.len())
        };
        if !self.not_restored.is_empty() {
            line.push_str(&format!(" · {} not undone", self.not_restored.len()));
            line.push_str(&format!(": {}", skip_phrases(&self.not_restored)));
        }
        if self.owners_kept > 0 {
            line.push_str(&format!(
                " · the owner change of {} stays",
                match self.owners_kept {
                    1 => "1 contact".to_string(),
                    n => format!("{n} contacts"),
                }
            ));
        }
        if self.reassignments_kept > 0 {
            line.push_str(&format!(
                " · {} reassigned enrollment{} stay{} so",
                self.reassignments_kept,
                if self.reassignments_kept == 1 {
                    ""
                } else {
                    "s"
                },
                if self.reassignments_kept == 1 {
                    "s"
                } else {
                    ""
                },
            ));
        }
        line
    }
}

/// A batch its actor may still undo: what `U` offers.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UndoCandidate {
    pub batch: String,
    pub action: UndoableAction,
    pub at: Timestamp,
    pub count: i64,
    pub reason: Option<String>,
    pub detail: String,
}

/// What enrolling one contact would do, shown before the person confirms.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EnrollPreview {
    pub sequence_id: i64,
    pub sequence: String,
    pub contact_id: i64,
    /// "Name <email>".
    pub contact: String,
    pub steps: usize,
    pub first_kind: StepKind,
    /// The first step's subject (emails) or title (tasks and calls).
    pub first_text: String,
    pub first_due_at: Timestamp,
}

/// Who gets which contacts, and what happens to their open enrollments.
#[derive(Debug, Clone)]
pub struct TransferRequest {
    pub contacts: Vec<i64>,
    pub to: i64,
    pub policy: TransferPolicy,
    /// Apply the policy only to enrollments at or after this step; the
    /// others are kept.
    pub from_step: Option<i64>,
    pub dry_run: bool,
}

/// One open enrollment in a transfer preview or result.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TransferItem {
    pub enrollment: i64,
    pub contact: String,
    pub sequence: String,
    pub enrolled_by: String,
    pub step: i64,
    pub steps: i64,
    pub next_due_at: Option<Timestamp>,
    pub action: TransferAction,
    /// Why, for `keep` under another policy and for `skip`.
    pub why: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TransferReport {
    pub dry_run: bool,
    pub policy: TransferPolicy,
    pub to: String,
    pub batch: Option<String>,
    /// Contacts whose owner changes (or would).
    pub contacts: Vec<i64>,
    /// Contacts left with their owner, with why (not permitted).
    pub contacts_skipped: Vec<Skipped>,
    pub enrollments: Vec<TransferItem>,
    /// Scheduled automatic emails the unenrollments cancel (or would).
    pub emails_cancelled: i64,
    /// Open tasks the unenrollments remove (or would).
    pub tasks_removed: i64,
}

impl TransferReport {
    pub fn summary(&self) -> String {
        let count = |a: TransferAction| self.enrollments.iter().filter(|i| i.action == a).count();
        let verb = if self.dry_run {
            "Would transfer"
        } else {
            "Transferred"
        };
        let contacts = match self.contacts.len() {
            1 => "1 contact".to_string(),
            n => format!("{n} contacts"),
        };
        let mut line = format!(
            "{verb} {contacts} to {} · policy {} · enrollments: {} kept, {} reassigned, {} unenrolled",
            self.to,
            self.policy,
            count(TransferAction::Keep),
            count(TransferAction::Reassign),
            count(TransferAction::Unenroll)
        );
        let skipped = count(TransferAction::Skip) + self.contacts_skipped.len();
        if skipped > 0 {
            line.push_str(&format!(" · {skipped} skipped"));
        }
        if let Some(batch) = &self.batch {
            line.push_str(&format!(" · batch {batch}"));
        }
        line
    }
}

fn push_skipped(line: &mut String, skipped: &[Skipped]) {
    if skipped.is_empty() {
        return;
    }
    line.push_str(&format!(
        " · {} skipped: {}",
        skipped.len(),
        skip_phrases(skipped)
    ));
}

impl Workspace {
    fn users_by_id(&self) -> Result<HashMap<i64, User>> {
        Ok(q::users(self.store.conn())?
            .into_iter()
            .map(|u| (u.id, u))
            .collect())
    }

    /// What [`Workspace::enroll`] of one contact would do now: the
    /// sequence, the contact, and its first step with when it is due. The
    /// sequence must be enrollable; R1 and R2 are checked by the enroll
    /// itself.
    pub fn enroll_preview(&self, sequence_id: i64, contact_id: i64) -> Result<EnrollPreview> {
        let conn = self.store.conn();
        let (sequence, steps) = enrollable(conn, sequence_id)?;
        let contact = q::find_contact(conn, &contact_id.to_string())?
            .ok_or_else(|| DomainError::NotFound(format!("no contact {contact_id}")))?;
        let (first, due) = schedule(&steps, self.now())
            .first()
            .map(|(s, d)| ((*s).clone(), *d))
            .ok_or_else(|| {
                DomainError::Refused(format!("sequence '{}' has no steps", sequence.name))
            })?;
        Ok(EnrollPreview {
            sequence_id,
            sequence: sequence.name,
            contact_id,
            contact: format!("{} <{}>", contact.full_name(), contact.email),
            steps: steps.len(),
            first_kind: first.kind,
            first_text: match first.kind {
                StepKind::AutoEmail | StepKind::ManualEmail => first.subject,
                StepKind::Call | StepKind::Task => first.title,
            },
            first_due_at: due,
        })
    }

    /// The contacts `owner` owns (for a transfer of all of them).
    pub fn contacts_owned_by(&self, owner: &User) -> Result<Vec<i64>> {
        m::contacts_owned_by(self.store.conn(), owner.id)
    }

    /// R14: pauses open, active enrollments (nothing is sent while paused).
    pub fn pause(&mut self, actor: &User, ids: &[i64], dry_run: bool) -> Result<ChangeReport> {
        self.pause_or_resume(actor, ids, dry_run, true)
    }

    /// R14: resumes paused enrollments (also those the engine paused for an
    /// out-of-office reply); overdue steps move to now, keeping their gaps.
    pub fn resume(&mut self, actor: &User, ids: &[i64], dry_run: bool) -> Result<ChangeReport> {
        self.pause_or_resume(actor, ids, dry_run, false)
    }

    fn pause_or_resume(
        &mut self,
        actor: &User,
        ids: &[i64],
        dry_run: bool,
        pause: bool,
    ) -> Result<ChangeReport> {
        let (action, from, to) = if pause {
            (ChangeAction::Pause, Status::Active, Status::Paused)
        } else {
            (ChangeAction::Resume, Status::Paused, Status::Active)
        };
        let now = self.now();
        let users = self.users_by_id()?;
        let tx = self.store.write()?;
        let keys = q::enrollment_keys(&tx, ids)?;
        let mut seen = HashSet::new();
        let mut eligible = Vec::new();
        let mut skipped = Vec::new();
        for &id in ids {
            if !seen.insert(id) {
                continue;
            }
            let already = if pause {
                SkipCode::AlreadyPaused
            } else {
                SkipCode::AlreadyActive
            };
            let skip = match keys.get(&id) {
                None => Some((SkipCode::NotFound, "not found".to_string())),
                Some(k) if k.status == to => Some((already, format!("already {}", to.as_str()))),
                Some(k) if k.status != from => Some((
                    SkipCode::AlreadyEnded,
                    format!("already {}", describe_status(k.status, k.end_reason)),
                )),
                Some(k) => {
                    let who = stakeholders(&users, k.id, k.enrolled_by, k.owner_id)?;
                    if may_change(actor, &who) {
                        eligible.push(*k);
                        None
                    } else {
                        Some((SkipCode::NotPermitted, who_may(action.as_str(), &who)))
                    }
                }
            };
            if let Some((code, why)) = skip {
                skipped.push(Skipped::new(id, code, why));
            }
        }
        let mut report = ChangeReport {
            action,
            batch: None,
            dry_run,
            changed: eligible.iter().map(|k| k.id).collect(),
            skipped,
            steps_moved: 0,
        };
        if dry_run || eligible.is_empty() {
            return Ok(report);
        }
        eligible.sort_unstable_by_key(|k| k.id);
        q::stage_keys(&tx, &eligible)?;
        m::set_status_staged(&tx, from, to)?;
        if !pause {
            m::clear_engine_pauses_staged(&tx)?;
            report.steps_moved = m::reschedule_staged(&tx, now)?;
        }
        let (audit_id, batch) = q::insert_audit(
            &tx,
            &NewAudit {
                at: now,
                actor_id: Some(actor.id),
                action: action.as_str(),
                reason: None,
                note: None,
                detail: "",
                count: eligible.len() as i64,
            },
        )?;
        q::audit_staged(&tx, audit_id)?;
        tx.commit()?;
        report.batch = Some(batch);
        Ok(report)
    }

    /// The newest batch of `actor` that undo takes (a manual unenroll, an
    /// enroll, a transfer that ended enrollments) still inside the undo
    /// window (R15) and not undone yet, if any.
    pub fn last_undoable(&self, actor: &User) -> Result<Option<UndoCandidate>> {
        let since = self.now() - Duration::minutes(self.rules().undo_window_minutes);
        let Some(candidate) = m::last_undoable_batch(self.store.conn(), actor.id, since)? else {
            return Ok(None);
        };
        Ok((!m::undone(self.store.conn(), &candidate.batch)?).then_some(candidate))
    }

    /// The batch id of [`Workspace::last_undoable`].
    pub fn last_undoable_batch(&self, actor: &User) -> Result<Option<String>> {
        Ok(self.last_undoable(actor)?.map(|c| c.batch))
    }

    /// The contacts of the given enrollments, each once (a transfer from a
    /// list of marked enrollments).
    pub fn contacts_of_enrollments(&self, ids: &[i64]) -> Result<Vec<i64>> {
        m::contacts_of_enrollments(self.store.conn(), ids)
    }

    /// R15: undoes a batch of `actor` within the undo window: a manual
    /// unenroll, the unenrollments of a transfer, or an enroll.
    ///
    /// Unenroll and transfer: each enrollment still unenrolled by that
    /// batch, whose contact has no other open enrollment and is not opted
    /// out, returns to its previous status and step; its cancelled steps
    /// from that step on are scheduled again (the next one due now at the
    /// earliest, the rest keeping their spacing) and its removed tasks are
    /// open again. A transfer's owner changes and reassignments stay (the
    /// report counts them; its audit entry names the previous owners).
    ///
    /// Enroll: each enrollment of the batch still untouched — active, at
    /// step 1, none of its steps run (nothing sent, no task created) — is
    /// ended as unenrolled with reason `other` and a note naming the undone
    /// batch, its scheduled steps cancelled.
    ///
    /// Either way R12 is checked again now: an enrollment the actor may no
    /// longer change (a transfer moved it, their role changed) is left as
    /// it is. What could not be undone is listed with a code and why. The
    /// undo is audited.
    pub fn undo(&mut self, actor: &User, batch: &str) -> Result<UndoReport> {
        let now = self.now();
        let window = self.rules().undo_window_minutes;
        let users = self.users_by_id()?;
        let tx = self.store.write()?;
        let entry = m::batch_entry(&tx, batch)?
            .ok_or_else(|| DomainError::NotFound(format!("no batch {batch}")))?;
        let action = match (entry.action.parse::<UndoableAction>(), entry.actor_id) {
            (Ok(action), Some(_)) => action,
            _ => {
                return Err(DomainError::Refused(format!(
                    "batch {batch} ({}) is not a manual unenroll, transfer or enroll; only those can be undone",
                    entry.action
                )));
            }
        };
        if entry.actor_id != Some(actor.id) {
            let name = entry
                .actor_id
                .and_then(|id| users.get(&id))
                .map_or("its author".to_string(), |u| {
                    format!("{} ({})", u.name, u.email)
                });
            return Err(DomainError::Refused(format!(
                "only {name}, who made batch {batch}, may undo it"
            )));
        }
        if now - entry.at > Duration::minutes(window) {
            return Err(DomainError::Refused(format!(
                "batch {batch} was made at {} UTC; undo is possible for {window} minutes after",
                entry.at.format("%Y-%m-%d %H:%M")
            )));
        }
        if m::undone(&tx, batch)? {
            return Err(DomainError::Refused(format!(
                "batch {batch} was already undone"
            )));
        }
        let enroll = action == UndoableAction::Enroll;
        let mut report = UndoReport {
            batch: batch.to_string(),
            action,
            undo_batch: None,
            restored: Vec::new(),
            ended: Vec::new(),
            not_restored: Vec::new(),
            owners_kept: if action == UndoableAction::Transfer {
                m::owner_changes(&tx, entry.audit_id)?
            } else {
                0
            },
            reassignments_kept: 0,
        };
        let mut chosen = Vec::new();
        for member in m::batch_members(&tx, entry.audit_id)? {
            if member.before_enrolled_by.is_some() {
                report.reassignments_kept += 1;
                continue;
            }
            let id = member.enrollment_id;
            let name = &member.contact_name;
            let who = stakeholders(&users, id, member.enrolled_by, member.owner_id)?;
            let why = if enroll && member.status != Status::Active {
                Some((
                    SkipCode::Changed,
                    format!(
                        "{name} is no longer active (now {})",
                        member.status.as_str()
                    ),
                ))
            } else if enroll && (member.started || member.current_step != 1) {
                Some((
                    SkipCode::AlreadyStarted,
                    format!(
                        "{name} has started the sequence (at step {}); unenroll instead",
                        member.current_step
                    ),
                ))
            } else if !enroll
                && (member.status != Status::Unenrolled || member.batch.as_deref() != Some(batch))
            {
                Some((
                    SkipCode::Changed,
                    format!(
                        "{name} is no longer unenrolled by this batch (now {})",
                        member.status.as_str()
                    ),
                ))
            } else if !may_change(actor, &who) {
                Some((SkipCode::NotPermitted, who_may("change", &who)))
            } else if !enroll && member.opted_out {
                Some((SkipCode::OptedOut, format!("{name} has opted out")))
            } else if !enroll && member.undeliverable {
                Some((
                    SkipCode::Undeliverable,
                    format!(
                        "{name}'s address is undeliverable (a hard bounce); change it first (`seqtui contact email`)"
                    ),
                ))
            } else {
                member
                    .open_elsewhere
                    .as_ref()
                    .filter(|_| !enroll)
                    .map(|seq| {
                        (
                            SkipCode::AlreadyEnrolled,
                            format!("{name} is now enrolled in '{seq}'"),
                        )
                    })
            };
            match why {
                Some((code, why)) => report.not_restored.push(Skipped::new(id, code, why)),
                None => chosen.push(EnrollmentKey {
                    id,
                    sequence_id: 0,
                    status: if enroll {
                        member.status
                    } else {
                        member.before_status
                    },
                    end_reason: None,
                    current_step: if enroll {
                        member.current_step
                    } else {
                        member.before_step
                    },
                    enrolled_by: member.enrolled_by,
                    owner_id: member.owner_id,
                }),
            }
        }
        if chosen.is_empty() {
            return Ok(report);
        }
        let ids: Vec<i64> = chosen.iter().map(|k| k.id).collect();
        let (audit_id, undo_batch) = q::insert_audit(
            &tx,
            &NewAudit {
                at: now,
                actor_id: Some(actor.id),
                action: "undo",
                reason: None,
                note: None,
                detail: batch,
                count: chosen.len() as i64,
            },
        )?;
        q::stage_keys(&tx, &chosen)?;
        if enroll {
            // The enrollments it made end as a person would end them by
            // hand, with the undo named, so their history stays readable.
            q::audit_staged(&tx, audit_id)?;
            let note = format!("enroll batch {batch} undone");
            q::end_staged(
                &tx,
                &EndChange {
                    at: now,
                    reason: EndReason::Other,
                    ended_by: Some(actor.id),
                    note: Some(&note),
                    batch: Some(&undo_batch),
                },
                tidy_mode(chosen.len(), audit_id),
            )?;
            report.ended = ids;
        } else {
            // `batch_ids` records the status and step to return to; the
            // undo's own audit rows record 'unenrolled' as what they were.
            m::restore_staged(&tx)?;
            m::reschedule_staged(&tx, now)?;
            q::audit_staged_as(&tx, audit_id, Some(Status::Unenrolled))?;
            report.restored = ids;
        }
        tx.commit()?;
        report.undo_batch = Some(undo_batch);
        Ok(report)
    }

    /// R10: gives contacts a new owner and applies a policy to their open
    /// enrollments (keep, reassign to the new owner, or unenroll with
    /// `ownership_changed`), optionally only from a step on. A dry run is
    /// the preview: the same report, nothing changed. R12: the actor must
    /// be allowed to change each contact (as its owner, or as a manager of
    /// the team, or an admin) and each enrollment the policy touches.
    pub fn transfer(&mut self, actor: &User, request: &TransferRequest) -> Result<TransferReport> {
        let now = self.now();
        let users = self.users_by_id()?;
        let to = users
            .get(&request.to)
            .ok_or_else(|| DomainError::NotFound(format!("no user {}", request.to)))?
            .clone();
        let tx = self.store.write()?;
        let mut contacts = Vec::new();
        let mut contacts_skipped = Vec::new();
        // Previous owners of the contacts that change owner, for the audit
        // entry's text (its rows name each contact).
        let mut previous: Vec<(String, usize)> = Vec::new();
        let mut seen = HashSet::new();
        for &id in &request.contacts {
            if !seen.insert(id) {
                continue;
            }
            let Some(contact) = q::find_contact(&tx, &id.to_string())? else {
                contacts_skipped.push(Skipped::new(id, SkipCode::NotFound, "not found"));
                continue;
            };
            let owner = contact
                .owner
                .as_deref()
                .and_then(|e| users.values().find(|u| email_key(&u.email) == email_key(e)));
            if may_change_contact(actor, owner) {
                contacts.push(id);
                if owner.is_none_or(|o| o.id != to.id) {
                    let was = contact.owner.clone().unwrap_or_else(|| "nobody".into());
                    match previous.iter_mut().find(|(e, _)| *e == was) {
                        Some((_, n)) => *n += 1,
                        None => previous.push((was, 1)),
                    }
                }
            } else {
                contacts_skipped.push(Skipped::new(
                    id,
                    SkipCode::NotPermitted,
                    who_may_change_contact(&contact.email, owner),
                ));
            }
        }
        let mut plan = TransferPlan::default();
        for open in m::open_enrollments_of(&tx, &contacts)? {
            let k = open.key;
            let mut action = request.policy.action();
            let mut why = None;
            if request.policy != TransferPolicy::Keep {
                if request.from_step.is_some_and(|n| k.current_step < n) {
                    action = TransferAction::Keep;
                    why = Some(format!(
                        "before step {}",
                        request.from_step.unwrap_or_default()
                    ));
                } else if request.policy == TransferPolicy::Reassign && k.enrolled_by == to.id {
                    action = TransferAction::Keep;
                    why = Some(format!("already enrolled by {}", to.email));
                } else {
                    let who = stakeholders(&users, k.id, k.enrolled_by, k.owner_id)?;
                    if !may_change(actor, &who) {
                        action = TransferAction::Skip;
                        why = Some(who_may("transfer", &who));
                    }
                }
            }
            plan.add(open, action, why);
        }
        let mut report = TransferReport {
            dry_run: request.dry_run,
            policy: request.policy,
            to: to.email.clone(),
            batch: None,
            contacts,
            contacts_skipped,
            enrollments: std::mem::take(&mut plan.items),
            emails_cancelled: 0,
            tasks_removed: 0,
        };
        plan.sort();
        if request.dry_run || report.contacts.is_empty() {
            plan.preview(&tx, &mut report)?;
            return Ok(report);
        }
        let changed = plan.changed();
        let previous = if previous.is_empty() {
            String::new()
        } else {
            format!(
                "; previous owners: {}",
                previous
                    .iter()
                    .map(|(e, n)| format!("{e} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let (audit_id, batch) = q::insert_audit(
            &tx,
            &NewAudit {
                at: now,
                actor_id: Some(actor.id),
                action: "transfer",
                reason: plan.end_reason(),
                note: None,
                detail: &format!(
                    "{} contacts to {}, policy {}{}{}",
                    report.contacts.len(),
                    to.email,
                    request.policy,
                    request
                        .from_step
                        .map(|n| format!(" from step {n}"))
                        .unwrap_or_default(),
                    previous
                ),
                count: changed as i64,
            },
        )?;
        // R13: each contact whose owner changes, with its owner before.
        m::audit_owners(&tx, audit_id, &report.contacts, to.id)?;
        m::set_owner(&tx, &report.contacts, to.id)?;
        plan.apply(&tx, actor, to.id, now, (audit_id, &batch), &mut report)?;
        tx.commit()?;
        report.batch = Some(batch);
        Ok(report)
    }
}

/// The open enrollments a transfer or hand-over (R10) looked at: an item
/// each for the report, and the keys its policy reassigns or ends.
#[derive(Default)]
pub(super) struct TransferPlan {
    pub(super) items: Vec<TransferItem>,
    reassign: Vec<EnrollmentKey>,
    end: Vec<EnrollmentKey>,
}

impl TransferPlan {
    /// Records what the transfer does to `open`; `why` says why it is not
    /// the policy's.
    pub(super) fn add(
        &mut self,
        open: m::OpenEnrollment,
        action: TransferAction,
        why: Option<String>,
    ) {
        let k = open.key;
        match action {
            TransferAction::Reassign => self.reassign.push(k),
            TransferAction::Unenroll => self.end.push(k),
            TransferAction::Keep | TransferAction::Skip => {}
        }
        self.items.push(TransferItem {
            enrollment: k.id,
            contact: open.contact_email,
            sequence: open.sequence,
            enrolled_by: open.enrolled_by,
            step: k.current_step,
            steps: open.steps,
            next_due_at: open.next_due_at,
            action,
            why,
        });
    }

    pub(super) fn sort(&mut self) {
        self.end.sort_unstable_by_key(|k| k.id);
        self.reassign.sort_unstable_by_key(|k| k.id);
    }

    /// How many enrollments it reassigns or ends.
    pub(super) fn changed(&self) -> usize {
        self.reassign.len() + self.end.len()
    }

    pub(super) fn reassigned(&self) -> usize {
        self.reassign.len()
    }

    pub(super) fn ended(&self) -> usize {
        self.end.len()
    }

    /// The audit entry's reason: `ownership_changed` when it ends any.
    pub(super) fn end_reason(&self) -> Option<&'static str> {
        (!self.end.is_empty()).then_some(EndReason::OwnershipChanged.as_str())
    }

    /// The dry run's counts: what ending them would cancel.
    pub(super) fn preview(
        &self,
        tx: &crate::store::Connection,
        report: &mut TransferReport,
    ) -> Result<()> {
        if !self.end.is_empty() {
            q::stage_keys(tx, &self.end)?;
            let c = q::staged_cancellations(tx)?;
            (report.emails_cancelled, report.tasks_removed) = (c.emails, c.tasks);
        }
        Ok(())
    }

    /// Reassigns to `to` and ends (R3, `ownership_changed`) under the
    /// audit entry `(id, batch)`.
    pub(super) fn apply(
        &self,
        tx: &crate::store::Connection,
        actor: &User,
        to: i64,
        now: Timestamp,
        (audit_id, batch): (i64, &str),
        report: &mut TransferReport,
    ) -> Result<()> {
        if !self.reassign.is_empty() {
            q::stage_keys(tx, &self.reassign)?;
            m::audit_reassign_staged(tx, audit_id)?;
            m::reassign_staged(tx, to)?;
        }
        if !self.end.is_empty() {
            q::stage_keys(tx, &self.end)?;
            q::audit_staged(tx, audit_id)?;
            let c = q::end_staged(
                tx,
                &EndChange {
                    at: now,
                    reason: EndReason::OwnershipChanged,
                    ended_by: Some(actor.id),
                    note: None,
                    batch: Some(batch),
                },
                tidy_mode(self.end.len(), audit_id),
            )?;
            (report.emails_cancelled, report.tasks_removed) = (c.emails, c.tasks);
        }
        Ok(())
    }
}
