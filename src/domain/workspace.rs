//! A workspace: one store plus a clock, and the operations over it. Every
//! change made by the TUI, the CLI or the engine goes through a method here,
//! which checks the rules, writes the audit entry and commits in one
//! transaction.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::Duration;
use serde::Serialize;

use super::permissions::{
    Stakeholders, may_change, may_change_contact, may_create_contact, who_may,
    who_may_change_contact, who_may_create_contact,
};
use super::*;
use crate::store::Store;
use crate::store::queries::{self as q, ContactFields, EndChange, NewAudit, Tidy};

/// Keys of the workspace settings table.
pub mod setting {
    pub const NAME: &str = "name";
    pub const DEFAULT_USER: &str = "default_user";
    pub const DEMO: &str = "demo";
}

#[derive(Debug)]
pub struct Workspace {
    pub(super) store: Store,
    clock: Clock,
    rules: Rules,
}

#[derive(Debug, Clone, Serialize)]
pub struct WorkspaceInfo {
    pub name: String,
    pub path: PathBuf,
    pub demo: bool,
    pub default_user: Option<String>,
}

/// One contact of an enroll request a rule refused: `already_enrolled`
/// (R1; `why` names the other sequence), `opted_out` (R2),
/// `undeliverable` (R9) or `not_found`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EnrollRefusal {
    /// The contact's id (0 when not found).
    pub contact_id: i64,
    /// Its email (the id as given when not found).
    pub contact: String,
    pub code: SkipCode,
    pub why: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EnrollReport {
    pub sequence: String,
    pub dry_run: bool,
    /// `None` for a dry run, or when nobody was enrolled.
    pub batch: Option<String>,
    /// The new enrollments, in request order (empty in a dry run).
    pub enrolled: Vec<i64>,
    /// The contacts enrolled (or, in a dry run, that would be), in request
    /// order.
    pub enrolled_contacts: Vec<i64>,
    pub refused: Vec<EnrollRefusal>,
}

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
pub struct Skipped {
    pub id: i64,
    pub code: SkipCode,
    pub why: String,
}

impl Skipped {
    pub fn new(id: i64, code: SkipCode, why: impl Into<String>) -> Skipped {
        Skipped {
            id,
            code,
            why: why.into(),
        }
    }
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
    pub fn open(path: &Path, clock: Clock) -> Result<Workspace> {
        Ok(Workspace {
            store: Store::open(path)?,
            clock,
            rules: Rules::default(),
        })
    }

    /// Creates an empty workspace with one admin, who becomes the default
    /// acting user.
    pub fn create(
        path: &Path,
        clock: Clock,
        name: &str,
        admin_email: &str,
        admin_name: &str,
    ) -> Result<Workspace> {
        check_email(admin_email)?;
        let mut store = Store::create(path)?;
        let tx = store.write()?;
        q::set_setting(&tx, setting::NAME, name)?;
        let admin = q::insert_user(&tx, admin_email, admin_name, Role::Admin, "admin")?;
        q::set_setting(&tx, setting::DEFAULT_USER, admin_email)?;
        // On a database server the admin is the role that created it: the
        // login is bound from the start, so every session is who the
        // server says it is.
        if let Some(role) = q::server_login(&tx)? {
            q::set_login(&tx, admin, Some(&role))?;
        }
        tx.commit()?;
        Ok(Workspace {
            store,
            clock,
            rules: Rules::default(),
        })
    }

    /// Wraps a store that was just built (the demo builder).
    pub fn from_store(store: Store, clock: Clock) -> Workspace {
        Workspace {
            store,
            clock,
            rules: Rules::default(),
        }
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// The team's rules in force (defaults until a rules file is applied).
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    pub fn set_rules(&mut self, rules: Rules) {
        self.rules = rules;
    }

    /// The zone dates and local times are read in (the rules' time zone,
    /// which the session makes the user's; else UTC).
    pub fn zone(&self) -> chrono_tz::Tz {
        super::when::user_zone(None, self.rules.time_zone.as_deref())
    }

    /// Reads times and days typed by the user, against the workspace clock
    /// in the user's zone (see `domain::when`).
    pub fn when(&self) -> super::when::When {
        super::when::When::new(self.now(), self.zone())
    }

    /// R11's cutoffs at the workspace clock under the rules in force.
    pub(super) fn stale_cutoffs(&self) -> StaleCutoffs {
        self.rules.stale_cutoffs(self.now())
    }

    pub fn path(&self) -> &Path {
        self.store.path()
    }

    pub fn info(&self) -> Result<WorkspaceInfo> {
        let conn = self.store.conn();
        Ok(WorkspaceInfo {
            name: q::setting(conn, setting::NAME)?.unwrap_or_else(|| "workspace".into()),
            path: self.store.path().to_path_buf(),
            demo: q::setting(conn, setting::DEMO)?.as_deref() == Some("1"),
            default_user: q::setting(conn, setting::DEFAULT_USER)?,
        })
    }

    /// A counter that moves whenever another connection commits: poll it to
    /// notice changes made by other processes.
    pub fn data_version(&self) -> Result<i64> {
        self.store.data_version()
    }

    // ------------------------------------------------------------- users

    pub fn users(&self) -> Result<Vec<User>> {
        q::users(self.store.conn())
    }

    /// The acting user: the one named, or the workspace's default user.
    pub fn acting_user(&self, email: Option<&str>) -> Result<User> {
        let conn = self.store.conn();
        let email = match email.map(str::trim).filter(|e| !e.is_empty()) {
            Some(e) => e.to_string(),
            None => q::setting(conn, setting::DEFAULT_USER)?.ok_or_else(|| {
                DomainError::Invalid("this workspace has no default user; pass --as EMAIL".into())
            })?,
        };
        if let Some(user) = q::user_by_email(conn, &email)? {
            return Ok(user);
        }
        // The part before the @, as tables show it, when one user has it.
        let users = q::users(conn)?;
        let local = |e: &str| e.split('@').next().unwrap_or(e).to_lowercase();
        if !email.contains('@') {
            let same: Vec<&User> = users
                .iter()
                .filter(|u| local(&u.email) == email.to_lowercase())
                .collect();
            match same.as_slice() {
                [one] => return Ok((*one).clone()),
                [] => {}
                many => {
                    let emails: Vec<&str> = many.iter().map(|u| u.email.as_str()).collect();
                    return Err(DomainError::Invalid(format!(
                        "'{email}' is more than one user ({}); give the whole email",
                        emails.join(", ")
                    )));
                }
            }
        }
        let emails: Vec<&str> = users.iter().map(|u| u.email.as_str()).collect();
        let mut near = super::names::closest(&email, emails.iter().copied());
        let wanted_local = local(&email);
        let locals: Vec<String> = emails.iter().map(|e| local(e)).collect();
        for l in super::names::closest(&wanted_local, locals.iter().map(String::as_str)) {
            for e in emails.iter().filter(|e| local(e) == l) {
                if !near.contains(e) && near.len() < 3 {
                    near.push(e);
                }
            }
        }
        let hint = super::names::suggestion(&near);
        Err(DomainError::NotFound(format!(
            "no user '{email}' in this workspace{}",
            super::names::or_listed(hint, "`seqtui users` lists them")
        )))
    }

    pub fn add_user(
        &mut self,
        actor: &User,
        email: &str,
        name: &str,
        role: Role,
        team: &str,
    ) -> Result<User> {
        if actor.role != Role::Admin {
            return Err(DomainError::Refused(
                "not permitted: only an admin may add users".into(),
            ));
        }
        check_email(email)?;
        let now = self.now();
        let tx = self.store.write()?;
        if q::user_by_email(&tx, email)?.is_some() {
            return Err(DomainError::Refused(format!(
                "a user '{email}' already exists"
            )));
        }
        let id = q::insert_user(&tx, email, name, role, team)?;
        q::insert_audit(
            &tx,
            &NewAudit {
                at: now,
                actor_id: Some(actor.id),
                action: "add_user",
                reason: None,
                note: None,
                detail: &format!("{email} ({role}, team {team})"),
                count: 0,
            },
        )?;
        tx.commit()?;
        Ok(User {
            id,
            email: email.into(),
            name: name.into(),
            role,
            team: team.into(),
            login: None,
        })
    }

    // -------------------------------------------------------- reading

    pub fn sequences(&self) -> Result<Vec<SequenceSummary>> {
        q::sequence_summaries(self.store.conn())
    }

    pub fn sequence(&self, id_or_name: &str) -> Result<SequenceRef> {
        if let Some(found) = q::find_sequence(self.store.conn(), id_or_name)? {
            return Ok(found);
        }
        let names = q::sequence_names(self.store.conn())?;
        let mut names: Vec<&str> = names.values().map(String::as_str).collect();
        names.sort_unstable();
        let hint = super::names::did_you_mean(id_or_name, names);
        Err(DomainError::NotFound(format!(
            "no sequence '{}'{}",
            id_or_name.trim(),
            super::names::or_listed(hint, "`seqtui sequences` lists them")
        )))
    }

    pub fn steps(&self, sequence_id: i64) -> Result<Vec<Step>> {
        q::steps(self.store.conn(), sequence_id)
    }

    pub fn contact(&self, id_or_email: &str) -> Result<Contact> {
        q::find_contact(self.store.conn(), id_or_email)?
            .ok_or_else(|| DomainError::NotFound(format!("no contact '{}'", id_or_email.trim())))
    }

    pub fn search_contacts(&self, text: &str, limit: usize) -> Result<Vec<Contact>> {
        q::search_contacts(self.store.conn(), text, limit)
    }

    pub fn contact_detail(&self, contact_id: i64) -> Result<ContactDetail> {
        let conn = self.store.conn();
        let contact = self.contact(&contact_id.to_string())?;
        let mut enrollments = Vec::new();
        for enrollment in q::enrollments_of_contact(conn, contact_id, &self.stale_cutoffs())? {
            enrollments.push(ContactEnrollment {
                scheduled: q::scheduled_of(conn, enrollment.id)?,
                tasks: q::tasks_of(conn, enrollment.id)?,
                enrollment,
            });
        }
        Ok(ContactDetail {
            contact,
            enrollments,
            timeline: q::timeline_of(conn, contact_id, 200)?,
            bounces: crate::store::engine::bounces_of(conn, contact_id, 200)?,
        })
    }

    pub fn enrollment_page(
        &self,
        query: &EnrollmentQuery,
        after: Option<&PageKey>,
        limit: usize,
    ) -> Result<Vec<EnrollmentRow>> {
        q::enrollment_page(
            self.store.conn(),
            query,
            &self.stale_cutoffs(),
            after,
            limit,
        )
    }

    pub fn enrollment_ids(&self, query: &EnrollmentQuery) -> Result<Vec<i64>> {
        q::enrollment_ids(self.store.conn(), query, &self.stale_cutoffs())
    }

    pub fn enrollments_by_ids(&self, ids: &[i64]) -> Result<Vec<EnrollmentRow>> {
        q::enrollments_by_ids(self.store.conn(), ids, &self.stale_cutoffs())
    }

    pub fn enrollment(&self, id: i64) -> Result<EnrollmentRow> {
        self.enrollments_by_ids(&[id])?
            .pop()
            .ok_or_else(|| DomainError::NotFound(format!("no enrollment {id}")))
    }

    /// The enrollment of a contact in a sequence: the open one, else the
    /// most recent.
    pub fn enrollment_of(&self, contact_id: i64, sequence_id: i64) -> Result<Option<i64>> {
        q::enrollment_of_contact_in(self.store.conn(), contact_id, sequence_id)
    }

    pub fn audit(&self, since: Option<Timestamp>, limit: usize) -> Result<Vec<AuditEntry>> {
        q::audit_entries(self.store.conn(), since, None, limit)
    }

    // -------------------------------------------------------- enroll

    /// Enrolls contacts into a sequence (R1, R2, R16): the others are
    /// enrolled together in one transaction with one batch id; see
    /// [`Workspace::enroll_contacts`].
    pub fn enroll(
        &mut self,
        actor: &User,
        sequence_id: i64,
        contact_ids: &[i64],
    ) -> Result<EnrollReport> {
        self.enroll_contacts(actor, sequence_id, contact_ids, false)
    }

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

    // ----------------------------------------------------- sequences

    /// Creates a sequence with its steps. Templates may use only the merge
    /// fields of [`MERGE_FIELDS`]: an unknown one is an error now, not a
    /// blank in a sent email later.
    pub fn create_sequence(
        &mut self,
        actor: &User,
        name: &str,
        steps: &[NewStep],
        unenroll_colleagues: bool,
    ) -> Result<SequenceRef> {
        let name = name.trim();
        if name.is_empty() {
            return Err(DomainError::Invalid("a sequence needs a name".into()));
        }
        if steps.is_empty() {
            return Err(DomainError::Invalid(format!(
                "sequence '{name}' needs at least one step"
            )));
        }
        for (i, step) in steps.iter().enumerate() {
            for text in [&step.subject, &step.body, &step.title] {
                check_merge_fields(text)
                    .map_err(|e| DomainError::Invalid(format!("step {}: {e}", i + 1)))?;
            }
            if step.delay_days < 0 {
                return Err(DomainError::Invalid(format!(
                    "step {}: the delay cannot be negative",
                    i + 1
                )));
            }
            // Keeps every due date a storable time (see CLOCK_YEARS).
            if step.delay_days > MAX_DELAY_DAYS {
                return Err(DomainError::Invalid(format!(
                    "step {}: the delay is at most {MAX_DELAY_DAYS} days",
                    i + 1
                )));
            }
        }
        let now = self.now();
        let tx = self.store.write()?;
        if q::find_sequence(&tx, name)?.is_some() {
            return Err(DomainError::Refused(format!(
                "a sequence named '{name}' already exists"
            )));
        }
        let id = q::insert_sequence(&tx, name, actor.id, unenroll_colleagues, now)?;
        super::sequences::insert_steps(&tx, id, steps)?;
        let (audit_id, _) = q::insert_audit(
            &tx,
            &NewAudit {
                at: now,
                actor_id: Some(actor.id),
                action: "create_sequence",
                reason: None,
                note: None,
                detail: &format!("{name}: version 1, {} steps", steps.len()),
                count: 0,
            },
        )?;
        super::sequences::record_version(&tx, id, actor, audit_id, now)?;
        let created = q::find_sequence(&tx, &id.to_string())?
            .ok_or_else(|| DomainError::Storage("the new sequence vanished".into()))?;
        tx.commit()?;
        Ok(created)
    }

    // -------------------------------------------------------- import

    /// [`Workspace::import_contacts_with`] with the default options: empty
    /// cells keep what is there, and the import is applied.
    pub fn import_contacts(&mut self, actor: &User, rows: &[ContactInput]) -> Result<ImportReport> {
        self.import_contacts_with(actor, rows, ImportOptions::default())
    }

    /// Imports contacts all together or not at all; existing emails are
    /// updated, not duplicated. A field whose column is absent is left as
    /// it is; an empty cell too, unless `clear_empty`. Owners are named by
    /// a user's email or full name. R12 holds per row: a rep creates
    /// contacts owned by themselves (a new contact without an owner becomes
    /// theirs) and changes only contacts they own; a manager, contacts of
    /// their team or of nobody; an admin, any. Changing an owner needs the
    /// right to transfer, which is that same rule. A row that would change
    /// nothing is never refused. A bad row is an error (nothing imported);
    /// refused rows are all listed in the report and nothing is imported
    /// either. A dry run reports the same and changes nothing.
    pub fn import_contacts_with(
        &mut self,
        actor: &User,
        rows: &[ContactInput],
        options: ImportOptions,
    ) -> Result<ImportReport> {
        let now = self.now();
        let tx = self.store.write()?;
        let users = q::users(&tx)?;
        let directory = UserDirectory::new(&users);
        let mut report = ImportReport {
            dry_run: options.dry_run,
            ..Default::default()
        };
        // Every row is applied inside the transaction, even in a dry run or
        // after a refusal, so that a later row for the same email sees the
        // earlier one; what decides whether anything stays is the commit.
        // Contacts an opt-out column opts out (R9), applied after the rows.
        let mut opting_out = Vec::new();
        for row in rows {
            let email = row.email.trim();
            check_email(email).map_err(|e| {
                DomainError::Invalid(format!(
                    "line {}, column '{}': {e}",
                    row.line, row.email_column
                ))
            })?;
            // `None`: leave the owner as it is; `Some(None)`: no owner.
            let owner: Option<Option<&User>> = match row.owner.as_deref().map(str::trim) {
                None => None,
                Some("") => options.clear_empty.then_some(None),
                Some(text) => Some(Some(directory.resolve(text).map_err(|e| {
                    DomainError::Invalid(format!(
                        "line {}, column '{}': {e}",
                        row.line,
                        row.owner_column.as_deref().unwrap_or("owner")
                    ))
                })?)),
            };
            let by_id = |id: Option<i64>| id.and_then(|id| directory.by_id(id));
            let (fields, change) = match q::contact_fields(&tx, email)? {
                None => {
                    let mut owner = owner.flatten();
                    if owner.is_none() && actor.role == Role::Rep {
                        owner = Some(actor);
                    }
                    if !may_create_contact(actor, owner) {
                        report.refuse(row, email, who_may_create_contact(email, owner));
                        continue;
                    }
                    let blank = ContactFields::default();
                    let fields = ContactFields {
                        email: email.to_string(),
                        owner_id: owner.map(|o| o.id),
                        ..row.apply_to(&blank, options.clear_empty)
                    };
                    let changed = field_changes(&blank, &fields, by_id);
                    (fields, (row.line, email, true, changed))
                }
                Some((_, old)) => {
                    let mut fields = row.apply_to(&old, options.clear_empty);
                    if let Some(owner) = owner {
                        fields.owner_id = owner.map(|o| o.id);
                    }
                    let changed = field_changes(&old, &fields, by_id);
                    if changed.is_empty() {
                        report.unchanged += 1;
                        if row.opted_out
                            && let Some((id, _)) = q::contact_fields(&tx, email)?
                        {
                            opting_out.push(id);
                        }
                        continue;
                    }
                    let current = by_id(old.owner_id);
                    if !may_change_contact(actor, current) {
                        report.refuse(row, email, who_may_change_contact(email, current));
                        continue;
                    }
                    (fields, (row.line, email, false, changed))
                }
            };
            q::upsert_contact(&tx, &fields, now)?;
            let fields_email = fields.email;
            let (line, email, created, fields) = change;
            if created {
                report.created += 1;
            } else {
                report.updated += 1;
            }
            report.changes.push(ContactChange {
                line,
                email: email.to_string(),
                created,
                fields,
            });
            // R9: a true opt-out column opts the contact out; false never
            // clears an opt-out (only an admin's opt-in does).
            if row.opted_out
                && let Some((id, _)) = q::contact_fields(&tx, &fields_email)?
            {
                opting_out.push(id);
            }
        }
        if !opting_out.is_empty() && report.refused.is_empty() {
            // Anyone may record a contact's wish to hear nothing more (as
            // `contact opt-out`), so an opt-out cell needs no R12 right.
            let done = super::optout::opt_out_in(
                &tx,
                &opting_out,
                &super::optout::OptOutHow {
                    actor: Some(actor),
                    via: OptOutVia::Import,
                    note: None,
                    source: None,
                },
                now,
            )?;
            report.opted_out = done.opted_out;
            report.unenrolled = done.unenrolled;
        }
        if !report.refused.is_empty() && !options.dry_run {
            // Nothing is imported: the report says so.
            report.created = 0;
            report.updated = 0;
            report.unchanged = 0;
            report.changes.clear();
        }
        if options.dry_run || !report.refused.is_empty() {
            return Ok(report);
        }
        let (_, batch) = q::insert_audit(
            &tx,
            &NewAudit {
                at: now,
                actor_id: Some(actor.id),
                action: "import",
                reason: None,
                note: None,
                detail: &report.audit_detail(),
                count: (report.created + report.updated) as i64,
            },
        )?;
        tx.commit()?;
        report.batch = Some(batch);
        Ok(report)
    }
}

/// How an import treats its rows.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// An empty cell clears its field (and an empty owner cell the owner);
    /// without it an empty cell leaves the field as it is.
    pub clear_empty: bool,
    /// Report what the import would do and change nothing.
    pub dry_run: bool,
}

/// What an import did (or, in a dry run, would do). `created`, `updated`
/// and `unchanged` count rows; a refused row is in none of them. When any
/// row is refused nothing is imported, and outside a dry run the counts
/// and changes are zero and empty.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub dry_run: bool,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Each created or updated contact, in file order.
    pub changes: Vec<ContactChange>,
    pub refused: Vec<ImportRefusal>,
    /// The audit entry's batch id, when something was imported.
    pub batch: Option<String>,
    /// Contacts an opt-out column marked opted out now (R9), and the open
    /// enrollments that ended with it (its own audit entry and batch).
    pub opted_out: Vec<i64>,
    pub unenrolled: Vec<i64>,
}

/// One contact an import creates or updates: which fields change, from
/// what to what (for a new contact, from empty).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ContactChange {
    pub line: u64,
    pub email: String,
    pub created: bool,
    pub fields: Vec<FieldChange>,
}

/// One field of a contact: `first_name`, `last_name`, `company`, `title`,
/// `lifecycle_stage` (the stored value), `phone`, `crm_id` or `owner` (a
/// user's email, empty for none).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FieldChange {
    pub field: &'static str,
    pub from: String,
    pub to: String,
}

/// A row an import refused, and who may make that change instead.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ImportRefusal {
    pub line: u64,
    pub email: String,
    pub code: SkipCode,
    pub why: String,
}

/// How many changed contacts an import's audit entry names; the rest are
/// counted.
pub const AUDIT_CONTACTS_MAX: usize = 1_000;

impl ImportReport {
    fn refuse(&mut self, row: &ContactInput, email: &str, why: String) {
        self.refused.push(ImportRefusal {
            line: row.line,
            email: email.to_string(),
            code: SkipCode::NotPermitted,
            why,
        });
    }

    /// The audit entry's detail (R13): the counts, then each contact
    /// created and each contact updated with its fields' previous and new
    /// values (quoted as JSON strings), enough to reverse it by hand; at
    /// most [`AUDIT_CONTACTS_MAX`] contacts, then how many more.
    fn audit_detail(&self) -> String {
        let quote = |text: &str| serde_json::to_string(text).unwrap_or_default();
        let mut detail = format!(
            "contacts: {} created, {} updated, {} unchanged",
            self.created, self.updated, self.unchanged
        );
        for change in self.changes.iter().take(AUDIT_CONTACTS_MAX) {
            if change.created {
                detail.push_str(&format!("; created {}", change.email));
                continue;
            }
            let fields: Vec<String> = change
                .fields
                .iter()
                .map(|f| format!("{} {} → {}", f.field, quote(&f.from), quote(&f.to)))
                .collect();
            detail.push_str(&format!(
                "; updated {}: {}",
                change.email,
                fields.join(", ")
            ));
        }
        if self.changes.len() > AUDIT_CONTACTS_MAX {
            detail.push_str(&format!(
                "; and {} more contacts",
                self.changes.len() - AUDIT_CONTACTS_MAX
            ));
        }
        detail
    }
}

/// The users an import's owner cells may name, by email or full name.
struct UserDirectory<'a> {
    users: &'a [User],
}

impl<'a> UserDirectory<'a> {
    fn new(users: &'a [User]) -> UserDirectory<'a> {
        UserDirectory { users }
    }

    fn by_id(&self, id: i64) -> Option<&'a User> {
        self.users.iter().find(|u| u.id == id)
    }

    /// The user whose email is `text` (any case), else the one whose full
    /// name is `text` (any case, spaces collapsed): CRM exports name the
    /// owner by name ("Contact owner" in HubSpot).
    fn resolve(&self, text: &str) -> std::result::Result<&'a User, String> {
        let key = |t: &str| {
            t.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        };
        if let Some(user) = self
            .users
            .iter()
            .find(|u| email_key(&u.email) == email_key(text))
        {
            return Ok(user);
        }
        let wanted = key(text);
        let named: Vec<&User> = self
            .users
            .iter()
            .filter(|u| key(&u.name) == wanted)
            .collect();
        match named.as_slice() {
            [user] => Ok(user),
            [] => Err(format!(
                "no user '{}' in this workspace (give a user's email or full name)",
                text.escape_debug()
            )),
            many => Err(format!(
                "'{}' is the name of {} users ({}); give the owner's email",
                text.escape_debug(),
                many.len(),
                many.iter()
                    .map(|u| u.email.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}

/// The fields that differ between `old` and `new`, in a fixed order.
fn field_changes<'a>(
    old: &ContactFields,
    new: &ContactFields,
    user: impl Fn(Option<i64>) -> Option<&'a User>,
) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    let mut text = |field: &'static str, from: &str, to: &str| {
        if from != to {
            changes.push(FieldChange {
                field,
                from: from.to_string(),
                to: to.to_string(),
            });
        }
    };
    text("first_name", &old.first_name, &new.first_name);
    text("last_name", &old.last_name, &new.last_name);
    text("company", &old.company, &new.company);
    text("title", &old.title, &new.title);
    text(
        "lifecycle_stage",
        old.lifecycle_stage.as_deref().unwrap_or(""),
        new.lifecycle_stage.as_deref().unwrap_or(""),
    );
    text("phone", &old.phone, &new.phone);
    text("crm_id", &old.crm_id, &new.crm_id);
    if old.owner_id != new.owner_id {
        let email = |id| user(id).map_or(String::new(), |u| u.email.clone());
        changes.push(FieldChange {
            field: "owner",
            from: email(old.owner_id),
            to: email(new.owner_id),
        });
    }
    changes
}

/// A step of a sequence being created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewStep {
    pub kind: StepKind,
    pub delay_days: i64,
    pub subject: String,
    pub body: String,
    pub title: String,
}

/// The merge fields an email template may use.
/// Batches of at most this many enrollments cancel their scheduled steps
/// and open tasks in their own transaction; larger ones leave that to
/// [`Workspace::tidy`] (readers see no difference), which keeps a bulk
/// unenroll of 100,000 contacts to the enrollments' own rows.
pub const TIDY_NOW_MAX: usize = 500;

/// The longest delay of a step: ten years.
pub const MAX_DELAY_DAYS: i64 = 3_650;

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

/// A sequence contacts may be enrolled in (not archived, with steps), and
/// its steps.
pub(super) fn enrollable(
    conn: &crate::store::Connection,
    sequence_id: i64,
) -> Result<(SequenceRef, Vec<Step>)> {
    let sequence = q::find_sequence(conn, &sequence_id.to_string())?
        .ok_or_else(|| DomainError::NotFound(format!("no sequence {sequence_id}")))?;
    if sequence.archived {
        return Err(DomainError::Refused(format!(
            "sequence '{}' is archived; nobody can be enrolled in it",
            sequence.name
        )));
    }
    let steps = q::steps(conn, sequence_id)?;
    if steps.is_empty() {
        return Err(DomainError::Refused(format!(
            "sequence '{}' has no steps",
            sequence.name
        )));
    }
    Ok((sequence, steps))
}

pub(crate) fn tidy_mode(enrollments: usize, audit_id: i64) -> Tidy {
    if enrollments <= TIDY_NOW_MAX {
        Tidy::Now
    } else {
        Tidy::Later { audit_id }
    }
}

pub const MERGE_FIELDS: &[&str] = &[
    "first_name",
    "last_name",
    "company",
    "sender_name",
    "unsubscribe_url",
];

/// Every `{{field}}` in `text` must be one of [`MERGE_FIELDS`].
pub fn check_merge_fields(text: &str) -> Result<()> {
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err(DomainError::Invalid(format!(
                "unclosed merge field in '{text}'"
            )));
        };
        let field = after[..end].trim();
        if !MERGE_FIELDS.contains(&field) {
            return Err(DomainError::Invalid(format!(
                "unknown merge field '{{{{{field}}}}}'; use one of {}",
                MERGE_FIELDS.join(", ")
            )));
        }
        rest = &after[end + 2..];
    }
    Ok(())
}

/// One contact row of an import, already mapped from its columns. A
/// field is `None` when the file has no column for it (the contact keeps
/// what it has) and `Some("")` for an empty cell (kept too, unless the
/// import clears empty cells).
#[derive(Debug, Clone, Default)]
pub struct ContactInput {
    /// The line of the source file where the row starts, for messages.
    pub line: u64,
    /// The header of the email column, for error messages.
    pub email_column: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub title: Option<String>,
    /// A user's email or full name.
    pub owner: Option<String>,
    /// The header of the owner column, for error messages.
    pub owner_column: Option<String>,
    /// A label ("Marketing Qualified Lead") or a value
    /// (`marketingqualifiedlead`), stored as the value
    /// ([`crate::domain::lifecycle_value`]); `None` also for an empty cell
    /// (a contact always has a stage).
    pub lifecycle_stage: Option<String>,
    pub phone: Option<String>,
    /// The contact's record id in the CRM (HubSpot's "Record ID").
    pub crm_id: Option<String>,
    /// An opt-out column said true: the contact opts out (R9).
    pub opted_out: bool,
}

impl ContactInput {
    /// `old`'s fields with this row's cells written over them (trimmed);
    /// the owner is left to the caller.
    fn apply_to(&self, old: &ContactFields, clear_empty: bool) -> ContactFields {
        let cell = |new: &Option<String>, old: &str| match new.as_deref().map(str::trim) {
            Some(value) if !value.is_empty() || clear_empty => value.to_string(),
            _ => old.to_string(),
        };
        ContactFields {
            email: old.email.clone(),
            first_name: cell(&self.first_name, &old.first_name),
            last_name: cell(&self.last_name, &old.last_name),
            company: cell(&self.company, &old.company),
            title: cell(&self.title, &old.title),
            owner_id: old.owner_id,
            lifecycle_stage: self
                .lifecycle_stage
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(super::contacts::lifecycle_value)
                .or_else(|| old.lifecycle_stage.clone()),
            phone: cell(&self.phone, &old.phone),
            crm_id: cell(&self.crm_id, &old.crm_id),
        }
    }
}

/// The due date of each step of a new enrollment: each step's delay counts
/// from the previous step's due date (the first from enrollment).
pub fn schedule(steps: &[Step], start: Timestamp) -> Vec<(&Step, Timestamp)> {
    let mut due = start;
    steps
        .iter()
        .map(|step| {
            due += Duration::days(step.delay_days.max(0));
            (step, due)
        })
        .collect()
}

/// A short email check: something@something.something, no spaces.
pub fn check_email(email: &str) -> Result<()> {
    let email = email.trim();
    let ok = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
                && !domain.contains('@')
        }
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(DomainError::Invalid(format!(
            "'{}' is not an email address",
            email.escape_debug()
        )))
    }
}

/// The reasons of skipped items for a summary line, grouped by code (see
/// [`skip_groups`]).
pub fn skip_phrases(skipped: &[Skipped]) -> String {
    skip_groups(skipped)
        .iter()
        .map(|g| g.phrase.clone())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Skipped items grouped by code, commonest first (then by phrase).
#[derive(Debug, Clone, PartialEq)]
pub struct SkipGroup {
    pub code: SkipCode,
    pub count: usize,
    /// The shared sentence; when the items of a code say different things
    /// (each names who may), the first one and how many others.
    pub phrase: String,
}

pub fn skip_groups(skipped: &[Skipped]) -> Vec<SkipGroup> {
    // (code, count, distinct sentences in first-seen order)
    let mut groups: Vec<(SkipCode, usize, Vec<&str>)> = Vec::new();
    for s in skipped {
        match groups.iter_mut().find(|g| g.0 == s.code) {
            Some(g) => {
                g.1 += 1;
                if !g.2.contains(&s.why.as_str()) {
                    g.2.push(&s.why);
                }
            }
            None => groups.push((s.code, 1, vec![&s.why])),
        }
    }
    let mut groups: Vec<SkipGroup> = groups
        .into_iter()
        .map(|(code, count, whys)| SkipGroup {
            code,
            count,
            phrase: match whys.len() {
                1 => whys[0].to_string(),
                n => format!("{} (+{} similar)", whys[0], n - 1),
            },
        })
        .collect();
    groups.sort_by(|a, b| b.count.cmp(&a.count).then(a.phrase.cmp(&b.phrase)));
    groups
}

/// "unenrolled (replied)", "finished", "active".
pub fn describe_status(status: Status, reason: Option<EndReason>) -> String {
    match reason {
        Some(r) if status == Status::Unenrolled => format!("unenrolled ({r})"),
        _ => status.to_string(),
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

pub(super) fn stakeholders(
    users: &HashMap<i64, User>,
    enrollment: i64,
    enrolled_by: i64,
    owner_id: Option<i64>,
) -> Result<Stakeholders<'_>> {
    let enrolled_by = users.get(&enrolled_by).ok_or_else(|| {
        DomainError::Storage(format!("enrollment {enrollment} names an unknown user"))
    })?;
    Ok(Stakeholders {
        enrolled_by,
        owner: owner_id.and_then(|id| users.get(&id)),
    })
}
