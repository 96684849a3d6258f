//! The manager tools: pause and resume (R14) and undo of a manual
//! unenroll, transfer or enroll batch (R15); transfers themselves (R10)
//! are in `transfer`. Each is one transaction with one audit entry and
//! batch id (R13), and checks R12 per enrollment.

use std::collections::{HashMap, HashSet};

use chrono::Duration;
use serde::Serialize;

use super::permissions::{may_change, who_may};
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
    pub(super) fn users_by_id(&self) -> Result<HashMap<i64, User>> {
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
        let now = self.now();
        let since = now - Duration::minutes(self.rules().undo_window_minutes);
        let Some(candidate) =
            m::last_undoable_batch(self.store.conn(), actor.id, Some(since), Some(now))?
        else {
            return Ok(None);
        };
        Ok((!m::undone(self.store.conn(), &candidate.batch)?).then_some(candidate))
    }

    /// The batch `seqtui undo` takes when none is named: the newest of
    /// `actor`'s batches of the kinds undo takes, however old or new and
    /// whether undone or not, so that [`Workspace::undo`] says why it
    /// cannot be undone (a second `undo` never walks back to
    /// an earlier batch: that one is undone by name).
    pub fn last_batch(&self, actor: &User) -> Result<Option<String>> {
        Ok(m::last_undoable_batch(self.store.conn(), actor.id, None, None)?.map(|c| c.batch))
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
        if entry.at > now {
            return Err(DomainError::Refused(format!(
                "batch {batch} was made at {} UTC, after the clock's now ({} UTC); it can be undone only from then on",
                entry.at.format("%Y-%m-%d %H:%M"),
                now.format("%Y-%m-%d %H:%M")
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
}
