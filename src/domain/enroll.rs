//! Enrolling (R1, R2, R9, R16), one contact or a hundred thousand: the
//! contacts are staged in the store, refused by rule in SQL, and the rest
//! enrolled with one audit entry and one batch (undoable, R15).

use std::collections::HashMap;

use super::bounce::undeliverable_refusal;
use super::optout::opted_out_refusal;
use super::unenroll::TIDY_NOW_MAX;
use super::workspace::{enrollable, schedule};
use super::*;
use crate::store::contacts::{self as cq, StagedEnroll};
use crate::store::queries::{self as q, NewAudit};

/// The page cache (MiB) of a large enroll, given back when it is done.
/// 1 GiB was measured faster than the default 64 MiB at schema 17; at
/// schema 21, 256 MiB is as fast as 1 GiB (median 5.84 s both, seven runs
/// each of issue 15's enroll) with 0.7 GB less memory (BENCHMARKS.md,
/// "Session 12: the bulk enroll's page cache").
const BULK_PAGE_CACHE_MIB: u32 = 256;

impl Workspace {
    /// Enrolls contacts into a sequence: each contact is enrolled or
    /// refused with its code — `already_enrolled` (R1, naming the sequence
    /// it is open in), `opted_out` (R2), `undeliverable` (R9), `not_found`
    /// — and the enrolled ones share one transaction, one audit entry and
    /// one batch id. An archived sequence (or one without steps) refuses
    /// the whole request. A dry run reports the same and changes nothing.
    /// Set-based: the work is a few statements whatever the count.
    pub fn enroll_contacts(
        &mut self,
        actor: &User,
        sequence_id: i64,
        contact_ids: &[i64],
        dry_run: bool,
    ) -> Result<EnrollReport> {
        // As a large unenroll: every reference written was just read under
        // the write lock, so the per-row foreign-key probes add only time.
        // A big enough page cache keeps the enrollments indexes ordered by
        // name (touched at random) in memory until the commit, instead of
        // spilling dirty pages to the WAL and reading them back.
        let large = !dry_run && contact_ids.len() > TIDY_NOW_MAX;
        if large {
            self.store.set_foreign_keys(false)?;
            self.store.set_page_cache(BULK_PAGE_CACHE_MIB)?;
        }
        let result = self.enroll_checked(actor, sequence_id, contact_ids, dry_run);
        if large {
            self.store.set_page_cache(crate::store::PAGE_CACHE_MIB)?;
            self.store.set_foreign_keys(true)?;
        }
        result
    }

    /// [`Workspace::enroll_contacts`] for contacts as a request named them
    /// (`seqtui enroll`'s `--contact` and `--csv`): one that is no contact
    /// is refused `not_found` beside the others, and every refusal is
    /// listed in request order, each contact once.
    pub fn enroll_refs(
        &mut self,
        actor: &User,
        sequence_id: i64,
        contacts: &[ContactRef],
        dry_run: bool,
    ) -> Result<EnrollReport> {
        let ids: Vec<i64> = contacts
            .iter()
            .filter_map(|c| match c {
                ContactRef::Found(id) => Some(*id),
                ContactRef::Unknown(_) => None,
            })
            .collect();
        let mut report = self.enroll_contacts(actor, sequence_id, &ids, dry_run)?;
        let mut by_contact: HashMap<i64, EnrollRefusal> = report
            .refused
            .drain(..)
            .map(|r| (r.contact_id, r))
            .collect();
        let mut unknown_seen = std::collections::HashSet::new();
        for c in contacts {
            match c {
                ContactRef::Found(id) => report.refused.extend(by_contact.remove(id)),
                ContactRef::Unknown(given) => {
                    if unknown_seen.insert(given.to_lowercase()) {
                        report.refused.push(EnrollRefusal {
                            contact_id: 0,
                            contact: given.clone(),
                            code: SkipCode::NotFound,
                            why: format!("{given} is not a contact"),
                        });
                    }
                }
            }
        }
        Ok(report)
    }

    fn enroll_checked(
        &mut self,
        actor: &User,
        sequence_id: i64,
        contact_ids: &[i64],
        dry_run: bool,
    ) -> Result<EnrollReport> {
        let now = self.now();
        let tx = self.store.write()?;
        let (sequence, steps) = enrollable(&tx, sequence_id)?;
        cq::stage_contacts(&tx, contact_ids)?;
        cq::refuse_staged(&tx)?;
        // The sentences the single-contact path gives, for the contacts
        // R2 and R9 refuse (read in one query).
        let blocked: HashMap<i64, Contact> = q::staged_blocked_contacts(&tx)?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        let mut refused: HashMap<i64, EnrollRefusal> = HashMap::new();
        for r in cq::staged_refusals(&tx)? {
            let code = r.code;
            let why = match code {
                SkipCode::AlreadyEnrolled => format!(
                    "{} is already enrolled in '{}'; unenroll them there first",
                    r.email,
                    r.open_in.as_deref().unwrap_or("another sequence")
                ),
                _ => blocked
                    .get(&r.contact_id)
                    .and_then(|c| {
                        if code == SkipCode::OptedOut {
                            opted_out_refusal(c)
                        } else {
                            undeliverable_refusal(c)
                        }
                    })
                    .unwrap_or_else(|| format!("{} cannot be enrolled", r.email)),
            };
            refused.insert(
                r.contact_id,
                EnrollRefusal {
                    contact_id: r.contact_id,
                    contact: r.email,
                    code,
                    why,
                },
            );
        }
        let accepted = cq::staged_accepted(&tx)?;
        let mut report = EnrollReport {
            sequence: sequence.name.clone(),
            dry_run,
            batch: None,
            enrolled: Vec::new(),
            enrolled_contacts: Vec::new(),
            refused: Vec::new(),
        };
        let mut made: HashMap<i64, i64> = HashMap::new();
        if accepted > 0 && !dry_run {
            let (audit_id, batch) = q::insert_audit(
                &tx,
                &NewAudit {
                    at: now,
                    actor_id: Some(actor.id),
                    action: "enroll",
                    reason: None,
                    note: None,
                    detail: &format!("{}: {accepted} enrolled", sequence.name),
                    count: accepted,
                },
            )?;
            let pairs = cq::enroll_staged(
                &tx,
                &StagedEnroll {
                    sequence_id,
                    actor_id: actor.id,
                    at: now,
                    batch: &batch,
                    audit_id,
                    steps: schedule(&steps, now)
                        .into_iter()
                        .map(|(s, due)| (s.id, s.position, s.kind, due))
                        .collect(),
                },
            )?;
            made = pairs.into_iter().collect();
            report.batch = Some(batch);
        }
        // Request order, each contact once.
        let mut seen = std::collections::HashSet::new();
        let known = cq::staged_ids(&tx)?;
        for &id in contact_ids {
            if !seen.insert(id) {
                continue;
            }
            if let Some(r) = refused.remove(&id) {
                report.refused.push(r);
            } else if !known.contains(&id) {
                report.refused.push(EnrollRefusal {
                    contact_id: 0,
                    contact: id.to_string(),
                    code: SkipCode::NotFound,
                    why: "not found".into(),
                });
            } else {
                report.enrolled_contacts.push(id);
                if let Some(e) = made.get(&id) {
                    report.enrolled.push(*e);
                }
            }
        }
        if !dry_run {
            tx.commit()?;
        }
        Ok(report)
    }
}
