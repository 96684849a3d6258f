//! A workspace: one store plus a clock, and the operations over it. Every
//! change made by the TUI, the CLI or the engine goes through one of its
//! methods, which checks the rules, writes the audit entry and commits in
//! one transaction. This module holds the workspace itself, its users,
//! reads and new sequences; the other changes have a module each beside it
//! (`enroll`, `unenroll`, `import`, `manage`, `tasks`, …).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::Duration;
use serde::Serialize;

use super::permissions::Stakeholders;
use super::*;
use crate::store::Store;
use crate::store::queries::{self as q, NewAudit};

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

/// A contact a request names, as looked up: its id, or the id or email
/// as given when it names no contact (refused `not_found`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactRef {
    Found(i64),
    Unknown(String),
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

    /// Whether the database server closed this workspace's connection (a
    /// restart, a failover, a terminated session); never for a file.
    pub fn connection_lost(&self) -> bool {
        self.store.is_lost()
    }

    /// The same workspace on a new connection, with this one's clock and
    /// rules, to replace one whose connection was lost. Its
    /// [`Workspace::data_version`] moves on from this one's, so whoever
    /// watches for other people's changes reads everything again.
    pub fn reopened(&self) -> Result<Workspace> {
        Ok(Workspace {
            store: self.store.reopen()?,
            clock: self.clock,
            rules: self.rules.clone(),
        })
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
            bounces: crate::store::bounces::bounces_of(conn, contact_id, 200)?,
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

impl NewStep {
    /// This step as step `position` of a sequence, stored as `id` (0 for
    /// one not stored yet).
    pub(super) fn at(&self, id: i64, position: i64) -> Step {
        Step {
            id,
            position,
            kind: self.kind,
            delay_days: self.delay_days,
            subject: self.subject.clone(),
            body: self.body.clone(),
            title: self.title.clone(),
        }
    }
}

/// The longest delay of a step: ten years.
pub const MAX_DELAY_DAYS: i64 = 3_650;

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

/// The merge fields an email template may use.
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
    /// Every distinct sentence of the code and how many items say it,
    /// commonest first, then in order of the text: what a screen lists
    /// when the one `phrase` would name only the first of several people.
    pub sentences: Vec<(String, usize)>,
}

pub fn skip_groups(skipped: &[Skipped]) -> Vec<SkipGroup> {
    // (code, count, distinct sentences in first-seen order, each counted);
    // a dialog regroups a bulk change's skips on every frame, so each
    // sentence is found by hashing, not by a walk over the others.
    type Sentences<'a> = (Vec<(&'a str, usize)>, HashMap<&'a str, usize>);
    let mut groups: Vec<(SkipCode, usize, Sentences<'_>)> = Vec::new();
    for s in skipped {
        let at = match groups.iter().position(|g| g.0 == s.code) {
            Some(at) => at,
            None => {
                groups.push((s.code, 0, (Vec::new(), HashMap::new())));
                groups.len() - 1
            }
        };
        let (_, count, (whys, index)) = &mut groups[at];
        *count += 1;
        match index.get(s.why.as_str()) {
            Some(&i) => whys[i].1 += 1,
            None => {
                index.insert(&s.why, whys.len());
                whys.push((&s.why, 1));
            }
        }
    }
    let mut groups: Vec<SkipGroup> = groups
        .into_iter()
        .map(|(code, count, (whys, _))| {
            let phrase = match whys.len() {
                1 => whys[0].0.to_string(),
                n => format!("{} (+{} similar)", whys[0].0, n - 1),
            };
            let mut sentences: Vec<(String, usize)> = whys
                .into_iter()
                .map(|(why, n)| (why.to_string(), n))
                .collect();
            sentences.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            SkipGroup {
                code,
                count,
                phrase,
                sentences,
            }
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
