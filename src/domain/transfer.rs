//! Transfers (R10): contacts get a new owner, and their open enrollments
//! are kept, reassigned to the new owner or ended, as the policy says and
//! R12 allows; the plan a hand-over shares. One transaction, one audit
//! entry and batch id (R13).

use std::collections::HashSet;

use serde::Serialize;

use super::permissions::{may_change, may_change_contact, who_may, who_may_change_contact};
use super::unenroll::tidy_mode;
use super::workspace::stakeholders;
use super::*;
use crate::store::manage as m;
use crate::store::queries::{self as q, EndChange, NewAudit};

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
    /// How many of the open enrollments looked at get `action`.
    pub fn count(&self, action: TransferAction) -> usize {
        self.enrollments
            .iter()
            .filter(|i| i.action == action)
            .count()
    }

    pub fn summary(&self) -> String {
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
            self.count(TransferAction::Keep),
            self.count(TransferAction::Reassign),
            self.count(TransferAction::Unenroll)
        );
        let skipped = self.count(TransferAction::Skip) + self.contacts_skipped.len();
        if skipped > 0 {
            line.push_str(&format!(" · {skipped} skipped"));
        }
        if let Some(batch) = &self.batch {
            line.push_str(&format!(" · batch {batch}"));
        }
        line
    }
}

impl Workspace {
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
