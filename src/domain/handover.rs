//! R10 when a rep leaves: their open enrollments, whoever owns the
//! contacts, go to another user (reassigned: enrolling user, sender, open
//! and future tasks) or end as `ownership_changed`. The contacts keep
//! their owners. One audit entry and batch (a `transfer`, so its
//! unenrollments can be undone, R15).

use serde::Serialize;

use super::permissions::{Stakeholders, may_change};
use super::transfer::TransferPlan;
use super::*;
use crate::store::manage as m;
use crate::store::queries::{self as q, NewAudit};

/// Hand over the open enrollments `from` enrolled to `to`.
#[derive(Debug, Clone)]
pub struct HandoverRequest {
    pub from: i64,
    pub to: i64,
    /// `reassign` or `unenroll` (`keep` would change nothing).
    pub policy: TransferPolicy,
    /// Apply the policy only to enrollments at or after this step; the
    /// others are kept (and stay the departing rep's).
    pub from_step: Option<i64>,
    pub dry_run: bool,
}

/// What a hand-over did (or, in a dry run, would do): a transfer's
/// report (no contact in `contacts`: owners do not change) and whose
/// enrollments moved.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HandoverReport {
    /// The departing rep's email.
    pub enrolled_by: String,
    #[serde(flatten)]
    pub transfer: TransferReport,
}

impl HandoverReport {
    /// One line for people.
    pub fn summary(&self) -> String {
        let t = &self.transfer;
        let verb = if t.dry_run {
            "Would hand over"
        } else {
            "Handed over"
        };
        let mut line = format!(
            "{verb} the open enrollments of {} to {} · policy {} · {} reassigned, {} unenrolled, {} kept · contacts keep their owners",
            self.enrolled_by,
            t.to,
            t.policy,
            t.count(TransferAction::Reassign),
            t.count(TransferAction::Unenroll),
            t.count(TransferAction::Keep)
        );
        if let Some(batch) = &t.batch {
            line.push_str(&format!(" · batch {batch}"));
        }
        line
    }
}

impl Workspace {
    /// R10 for a departing rep: applies the policy to every open
    /// enrollment `from` enrolled, including those on contacts owned by
    /// others, and changes no contact's owner. R12 is asked once, of the
    /// enrollments' common stakeholder: the departing rep themselves, a
    /// manager of their team, or an admin (a refusal changes nothing). A
    /// dry run is the preview.
    pub fn hand_over(&mut self, actor: &User, request: &HandoverRequest) -> Result<HandoverReport> {
        let now = self.now();
        let users = self.users_by_id()?;
        let user = |id: i64| {
            users
                .get(&id)
                .cloned()
                .ok_or_else(|| DomainError::NotFound(format!("no user {id}")))
        };
        let (from, to) = (user(request.from)?, user(request.to)?);
        if request.policy == TransferPolicy::Keep {
            return Err(DomainError::Invalid(
                "handing over enrollments reassigns or unenrolls them: pass --policy reassign or --policy unenroll".into(),
            ));
        }
        if from.id == to.id {
            return Err(DomainError::Invalid(format!(
                "{} would hand over their enrollments to themselves; name another user",
                from.email
            )));
        }
        let who = Stakeholders {
            enrolled_by: &from,
            owner: None,
        };
        if !may_change(actor, &who) {
            return Err(DomainError::Refused(format!(
                "not permitted: only {} ({}), a manager of team {} or an admin may hand over the enrollments {} made",
                from.name, from.email, from.team, from.name
            )));
        }
        let tx = self.store.write()?;
        let mut plan = TransferPlan::default();
        for open in m::open_enrollments_by(&tx, from.id)? {
            let (action, why) = match request.from_step {
                Some(n) if open.key.current_step < n => {
                    (TransferAction::Keep, Some(format!("before step {n}")))
                }
                _ => (request.policy.action(), None),
            };
            plan.add(open, action, why);
        }
        let mut report = TransferReport {
            dry_run: request.dry_run,
            policy: request.policy,
            to: to.email.clone(),
            batch: None,
            contacts: Vec::new(),
            contacts_skipped: Vec::new(),
            enrollments: std::mem::take(&mut plan.items),
            emails_cancelled: 0,
            tasks_removed: 0,
        };
        plan.sort();
        if request.dry_run || plan.changed() == 0 {
            plan.preview(&tx, &mut report)?;
            return Ok(HandoverReport {
                enrolled_by: from.email,
                transfer: report,
            });
        }
        let (audit_id, batch) = q::insert_audit(
            &tx,
            &NewAudit {
                at: now,
                actor_id: Some(actor.id),
                action: "transfer",
                reason: plan.end_reason(),
                note: None,
                detail: &format!(
                    "enrollments of {} to {}, policy {}{}: {} reassigned, {} unenrolled; contacts keep their owners",
                    from.email,
                    to.email,
                    request.policy,
                    request
                        .from_step
                        .map(|n| format!(" from step {n}"))
                        .unwrap_or_default(),
                    plan.reassigned(),
                    plan.ended()
                ),
                count: plan.changed() as i64,
            },
        )?;
        plan.apply(&tx, actor, to.id, now, (audit_id, &batch), &mut report)?;
        tx.commit()?;
        report.batch = Some(batch);
        Ok(HandoverReport {
            enrolled_by: from.email,
            transfer: report,
        })
    }
}
