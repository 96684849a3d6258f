//! Sequences are the team's (R17): applying sequence files (create or
//! update, with the diff and what it does to open enrollments), versions,
//! archiving, unarchiving and changing the owner. Every edit is one
//! transaction with its audit entry and the new version's definition.
//! How an edit lines up with the steps it replaces, and what it does to
//! open enrollments, is `sequence_diff`.

use serde::Serialize;

use super::permissions::{may_edit_sequence, who_may_edit_sequence};
use super::sequence_diff::{align, changed_fields, label, reconcile, setting_changes};
use super::sequence_file::{SequenceDefinition, SequenceSettings, render_sequence};
use super::*;
use crate::store::queries::{self as q, EndChange, NewAudit, Tidy};
use crate::store::sequences::{self as qs, SequenceRow};

/// What applying one file does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanAction {
    Create,
    Update,
    Unchanged,
}

/// A name, owner or setting the file changes.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SettingChange {
    pub field: String,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepChangeKind {
    Added,
    Changed,
    Removed,
}

/// One step the file adds, changes or removes, and how many open
/// enrollments that reaches.
#[derive(Debug, Clone, Serialize)]
pub struct StepChange {
    pub change: StepChangeKind,
    /// The step's position after the edit (before it, for a removed one).
    pub position: i64,
    pub kind: StepKind,
    /// Its subject, or its title for a task.
    pub label: String,
    /// The fields that changed (changed steps).
    pub fields: Vec<String>,
    /// Open enrollments it reaches: scheduled for (added), new text for
    /// (changed: those that have not run it), cancelled for (removed).
    pub enrollments: usize,
}

/// What an edit does to the sequence's open enrollments (R17).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct EditEffects {
    /// Scheduled (not yet run) steps that will use the new text.
    pub texts_updated: usize,
    /// Added steps scheduled for enrollments that have not passed them.
    pub steps_scheduled: usize,
    /// Scheduled steps of removed steps, cancelled.
    pub steps_cancelled: usize,
    /// Scheduled steps whose due time moves (delays changed, steps added
    /// or removed before them).
    pub due_dates_moved: usize,
    /// Enrollments whose step number changes.
    pub enrollments_renumbered: usize,
    /// Enrollments with nothing left to run: finished.
    pub enrollments_finished: usize,
    /// Open tasks of removed steps that enrollments waited at (R18),
    /// removed; each such enrollment moves on as after a skipped task.
    pub tasks_removed: usize,
}

impl EditEffects {
    /// ", 1 open task of removed steps removed (the enrollments waiting at
    /// them move on)" for the summary line, or nothing.
    pub fn tasks_removed_note(&self) -> String {
        if self.tasks_removed == 0 {
            return String::new();
        }
        format!(
            ", {} of removed steps removed (the enrollments waiting at them move on)",
            crate::text::plural(self.tasks_removed as i64, "open task", "open tasks")
        )
    }
}

/// The dry-run diff of one file, and after applying it, the version made.
#[derive(Debug, Clone, Serialize)]
pub struct SequencePlan {
    pub file: String,
    pub sequence: String,
    pub action: PlanAction,
    /// The version this edit makes (`None` when nothing changes).
    pub version: Option<i64>,
    pub owner: String,
    pub changes: Vec<SettingChange>,
    pub steps: Vec<StepChange>,
    pub open_enrollments: usize,
    pub effects: EditEffects,
}

/// A stored version of a sequence.
#[derive(Debug, Clone, Serialize)]
pub struct SequenceVersion {
    pub version: i64,
    pub at: Timestamp,
    pub actor: Option<String>,
    pub definition: String,
}

/// A sequence as `sequence show` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct SequenceDetail {
    pub id: i64,
    pub name: String,
    pub owner: String,
    pub archived: bool,
    pub version: i64,
    pub settings: SequenceSettings,
    pub steps: Vec<Step>,
    pub open_enrollments: usize,
}

/// What archiving ends (R17), or ended.
#[derive(Debug, Clone, Serialize)]
pub struct ArchiveReport {
    pub sequence: String,
    pub dry_run: bool,
    /// It was archived already: nothing to do.
    pub already_archived: bool,
    pub batch: Option<String>,
    /// Open enrollments ended `sequence_archived`.
    pub unenrolled: usize,
    pub emails_cancelled: i64,
    pub steps_cancelled: i64,
    pub tasks_removed: i64,
}

/// Writes a sequence's name, owner and settings.
fn write_sequence(
    tx: &crate::store::Connection,
    id: i64,
    name: &str,
    owner_id: i64,
    s: &SequenceSettings,
) -> Result<()> {
    qs::set_sequence(
        tx,
        id,
        name,
        owner_id,
        s.unenroll_colleagues,
        s.pause_on_out_of_office,
        (&s.window_start, &s.window_end),
        &s.sending_days.join(","),
        &s.time_zone,
    )?;
    Ok(())
}

fn settings_of(row: &SequenceRow) -> SequenceSettings {
    SequenceSettings {
        unenroll_colleagues: row.unenroll_colleagues,
        pause_on_out_of_office: row.pause_on_ooo,
        window_start: row.window_start.clone(),
        window_end: row.window_end.clone(),
        sending_days: row
            .sending_days
            .split(',')
            .filter(|d| !d.is_empty())
            .map(str::to_string)
            .collect(),
        time_zone: row.time_zone.clone(),
    }
}

fn as_new(step: &Step) -> NewStep {
    NewStep {
        kind: step.kind,
        delay_days: step.delay_days,
        subject: step.subject.clone(),
        body: step.body.clone(),
        title: step.title.clone(),
    }
}

fn row_of(conn: &crate::store::Connection, id: i64) -> Result<SequenceRow> {
    qs::sequence_row(conn, id)?.ok_or_else(|| DomainError::NotFound(format!("no sequence {id}")))
}

/// The definition stored now, as a file.
fn current_file(conn: &crate::store::Connection, id: i64) -> Result<String> {
    let row = row_of(conn, id)?;
    let steps: Vec<NewStep> = q::steps(conn, id)?.iter().map(as_new).collect();
    Ok(render_sequence(
        &row.name,
        &row.owner_email,
        &settings_of(&row),
        &steps,
    ))
}

/// Before the first recorded edit of a sequence made before versions were
/// kept, its definition then becomes version 1.
pub(super) fn ensure_base_version(
    conn: &crate::store::Connection,
    id: i64,
    now: Timestamp,
) -> Result<()> {
    if qs::last_version(conn, id)? == 0 {
        qs::insert_version(conn, id, 1, now, None, None, &current_file(conn, id)?)?;
    }
    Ok(())
}

/// Stores the definition as it is now as the next version.
pub(super) fn record_version(
    conn: &crate::store::Connection,
    id: i64,
    actor: &User,
    audit_id: i64,
    now: Timestamp,
) -> Result<i64> {
    let version = qs::last_version(conn, id)? + 1;
    qs::insert_version(
        conn,
        id,
        version,
        now,
        Some(actor.id),
        Some(audit_id),
        &current_file(conn, id)?,
    )?;
    Ok(version)
}

impl SequencePlan {
    /// One line for the audit and for people.
    pub fn summary(&self) -> String {
        let count = |k: StepChangeKind| self.steps.iter().filter(|s| s.change == k).count();
        let mut parts = vec![format!(
            "{} steps added, {} changed, {} removed",
            count(StepChangeKind::Added),
            count(StepChangeKind::Changed),
            count(StepChangeKind::Removed)
        )];
        if !self.changes.is_empty() {
            parts.push(
                self.changes
                    .iter()
                    .map(|c| format!("{} {} → {}", c.field, c.from, c.to))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
        let e = &self.effects;
        parts.push(format!(
            "open enrollments: {} steps get new text, {} scheduled, {} cancelled, {} due dates moved, {} finished",
            e.texts_updated, e.steps_scheduled, e.steps_cancelled, e.due_dates_moved, e.enrollments_finished
        ));
        parts.join("; ")
    }
}

impl Workspace {
    fn sequence_row_named(&self, name: &str) -> Result<SequenceRow> {
        let found = self.sequence(name)?;
        row_of(self.store.conn(), found.id)
    }

    /// The named sequence's row, refused unless `actor` may edit it.
    fn sequence_row_to_edit(&self, actor: &User, name: &str) -> Result<SequenceRow> {
        let row = self.sequence_row_named(name)?;
        let owner = self.user_by_id(row.owner_id)?;
        if !may_edit_sequence(actor, &owner) {
            return Err(DomainError::Refused(who_may_edit_sequence(
                &row.name, &owner,
            )));
        }
        Ok(row)
    }

    fn user_by_id(&self, id: i64) -> Result<User> {
        q::users(self.store.conn())?
            .into_iter()
            .find(|u| u.id == id)
            .ok_or_else(|| DomainError::NotFound(format!("no user {id}")))
    }

    /// A sequence with its settings, steps and version.
    pub fn sequence_detail(&self, name: &str) -> Result<SequenceDetail> {
        let row = self.sequence_row_named(name)?;
        let conn = self.store.conn();
        Ok(SequenceDetail {
            id: row.id,
            name: row.name.clone(),
            owner: row.owner_email.clone(),
            archived: row.archived,
            version: qs::last_version(conn, row.id)?.max(1),
            settings: settings_of(&row),
            steps: q::steps(conn, row.id)?,
            open_enrollments: qs::open_enrollments(conn, row.id)?.len(),
        })
    }

    /// The sequence as a file `sequence apply` accepts unchanged; with a
    /// version, that version's file.
    pub fn sequence_file(&self, name: &str, version: Option<i64>) -> Result<String> {
        let row = self.sequence_row_named(name)?;
        let conn = self.store.conn();
        match version {
            None => current_file(conn, row.id),
            Some(n) => {
                let versions = qs::versions(conn, row.id)?;
                if versions.is_empty() && n == 1 {
                    return current_file(conn, row.id);
                }
                versions
                    .into_iter()
                    .find(|v| v.version == n)
                    .map(|v| v.definition)
                    .ok_or_else(|| {
                        DomainError::NotFound(format!("sequence '{}' has no version {n}", row.name))
                    })
            }
        }
    }

    /// Every stored version of a sequence, oldest first.
    pub fn sequence_versions(&self, name: &str) -> Result<Vec<SequenceVersion>> {
        let row = self.sequence_row_named(name)?;
        Ok(qs::versions(self.store.conn(), row.id)?
            .into_iter()
            .map(|v| SequenceVersion {
                version: v.version,
                at: v.at,
                actor: v.actor,
                definition: v.definition,
            })
            .collect())
    }

    /// Applies sequence files all together or not at all (R17): each
    /// creates a sequence or updates the one of its name (any case). A dry
    /// run returns the same plans and changes nothing. R12: anyone may
    /// create a sequence, owned by themselves unless a manager (for their
    /// team) or an admin names another owner; editing one is for its owner,
    /// a manager of the owner's team, an admin; changing the owner, for a
    /// manager of that team or an admin.
    pub fn apply_sequences(
        &mut self,
        actor: &User,
        files: &[SequenceDefinition],
        dry_run: bool,
    ) -> Result<Vec<SequencePlan>> {
        for (i, a) in files.iter().enumerate() {
            if let Some(b) = files[..i]
                .iter()
                .find(|b| b.name.to_lowercase() == a.name.to_lowercase())
            {
                return Err(DomainError::Invalid(format!(
                    "{} and {} both define sequence '{}'; apply one of them",
                    b.file, a.file, a.name
                )));
            }
        }
        let users = q::users(self.store.conn())?;
        let now = self.now();
        let tx = self.store.write()?;
        let mut plans = Vec::new();
        for def in files {
            let owner = match &def.owner {
                Some(email) => Some(
                    users
                        .iter()
                        .find(|u| email_key(&u.email) == email_key(email))
                        .ok_or_else(|| {
                            def.error_at(
                                def.owner_line,
                                format!("owner '{email}' is not a user of this workspace"),
                            )
                        })?,
                ),
                None => None,
            };
            let existing = qs::sequence_id_by_name(&tx, &def.name)?;
            let plan = match existing {
                None => {
                    let owner = owner.unwrap_or(actor);
                    if owner.id != actor.id
                        && !(actor.role == Role::Admin
                            || (actor.role == Role::Manager && owner.team == actor.team))
                    {
                        return Err(DomainError::Refused(format!(
                            "not permitted: a rep creates sequences owned by themselves; only a manager of team {} or an admin may create '{}' owned by {}",
                            owner.team, def.name, owner.email
                        )));
                    }
                    create_from_file(&tx, actor, owner, def, dry_run, now)?
                }
                Some(id) => {
                    let row = row_of(&tx, id)?;
                    let current_owner =
                        users.iter().find(|u| u.id == row.owner_id).ok_or_else(|| {
                            DomainError::NotFound(format!("no user {}", row.owner_id))
                        })?;
                    let owner = owner.unwrap_or(current_owner);
                    // A file that changes nothing needs no right to edit.
                    let preview = update_from_file(&tx, actor, &row, owner, def, true, now)?;
                    if preview.action == PlanAction::Unchanged {
                        plans.push(preview);
                        continue;
                    }
                    if !may_edit_sequence(actor, current_owner) {
                        return Err(DomainError::Refused(who_may_edit_sequence(
                            &row.name,
                            current_owner,
                        )));
                    }
                    if owner.id != current_owner.id && actor.role == Role::Rep {
                        return Err(DomainError::Refused(format!(
                            "not permitted: only a manager of team {} or an admin may change the owner of '{}'",
                            current_owner.team, row.name
                        )));
                    }
                    update_from_file(&tx, actor, &row, owner, def, dry_run, now)?
                }
            };
            plans.push(plan);
        }
        if !dry_run {
            tx.commit()?;
        }
        Ok(plans)
    }

    /// Archives a sequence (R17): its open enrollments end
    /// `sequence_archived` (R3 for each) and nobody can be enrolled in it.
    /// A dry run says how many it would end.
    pub fn archive_sequence(
        &mut self,
        actor: &User,
        name: &str,
        dry_run: bool,
    ) -> Result<ArchiveReport> {
        let row = self.sequence_row_to_edit(actor, name)?;
        let now = self.now();
        let tx = self.store.write()?;
        let row = row_of(&tx, row.id)?;
        let ids = qs::open_enrollments(&tx, row.id)?;
        q::stage_batch(&tx, &ids)?;
        let cancel = q::staged_cancellations(&tx)?;
        let mut report = ArchiveReport {
            sequence: row.name.clone(),
            dry_run,
            already_archived: row.archived,
            batch: None,
            unenrolled: ids.len(),
            emails_cancelled: cancel.emails,
            steps_cancelled: cancel.steps,
            tasks_removed: cancel.tasks,
        };
        if dry_run || row.archived {
            return Ok(report);
        }
        let (audit_id, batch) = q::insert_audit(
            &tx,
            &NewAudit {
                at: now,
                actor_id: Some(actor.id),
                action: "archive_sequence",
                reason: Some(EndReason::SequenceArchived.as_str()),
                note: None,
                detail: &format!("{}: {} open enrollments ended", row.name, ids.len()),
                count: ids.len() as i64,
            },
        )?;
        if !ids.is_empty() {
            let tidy = if ids.len() <= TIDY_NOW_MAX {
                Tidy::Now
            } else {
                Tidy::Later { audit_id }
            };
            q::end_staged(
                &tx,
                &EndChange {
                    at: now,
                    reason: EndReason::SequenceArchived,
                    ended_by: Some(actor.id),
                    note: None,
                    batch: Some(&batch),
                },
                tidy,
            )?;
            q::audit_staged(&tx, audit_id)?;
        }
        qs::set_archived(&tx, row.id, true)?;
        tx.commit()?;
        report.batch = Some(batch);
        Ok(report)
    }

    /// Makes an archived sequence enrollable again (R17).
    pub fn unarchive_sequence(&mut self, actor: &User, name: &str) -> Result<SequenceRef> {
        let row = self.sequence_row_to_edit(actor, name)?;
        let now = self.now();
        let tx = self.store.write()?;
        if row.archived {
            qs::set_archived(&tx, row.id, false)?;
            q::insert_audit(
                &tx,
                &NewAudit {
                    at: now,
                    actor_id: Some(actor.id),
                    action: "unarchive_sequence",
                    reason: None,
                    note: None,
                    detail: &row.name,
                    count: 0,
                },
            )?;
        }
        let found = q::find_sequence(&tx, &row.id.to_string())?
            .ok_or_else(|| DomainError::NotFound(format!("no sequence {}", row.id)))?;
        tx.commit()?;
        Ok(found)
    }

    /// Gives a sequence another owner (R17: a manager's or an admin's; a
    /// manager, for a sequence owned in their team). A new version.
    pub fn change_sequence_owner(
        &mut self,
        actor: &User,
        name: &str,
        to: &str,
    ) -> Result<SequenceRef> {
        let row = self.sequence_row_named(name)?;
        let owner = self.user_by_id(row.owner_id)?;
        if actor.role == Role::Rep || !may_edit_sequence(actor, &owner) {
            return Err(DomainError::Refused(format!(
                "not permitted: only a manager of team {} or an admin may change the owner of '{}'",
                owner.team, row.name
            )));
        }
        let new_owner = q::user_by_email(self.store.conn(), to)?
            .ok_or_else(|| DomainError::NotFound(format!("no user '{to}'")))?;
        let now = self.now();
        let tx = self.store.write()?;
        if new_owner.id != row.owner_id {
            ensure_base_version(&tx, row.id, now)?;
            write_sequence(&tx, row.id, &row.name, new_owner.id, &settings_of(&row))?;
            let (audit_id, _) = q::insert_audit(
                &tx,
                &NewAudit {
                    at: now,
                    actor_id: Some(actor.id),
                    action: "sequence_owner",
                    reason: None,
                    note: None,
                    detail: &format!("{}: owner {} → {}", row.name, owner.email, new_owner.email),
                    count: 0,
                },
            )?;
            record_version(&tx, row.id, actor, audit_id, now)?;
        }
        let found = q::find_sequence(&tx, &row.id.to_string())?
            .ok_or_else(|| DomainError::NotFound(format!("no sequence {}", row.id)))?;
        tx.commit()?;
        Ok(found)
    }
}

fn create_from_file(
    tx: &crate::store::Connection,
    actor: &User,
    owner: &User,
    def: &SequenceDefinition,
    dry_run: bool,
    now: Timestamp,
) -> Result<SequencePlan> {
    let steps = def
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| StepChange {
            change: StepChangeKind::Added,
            position: i as i64 + 1,
            kind: s.kind,
            label: label(s),
            fields: Vec::new(),
            enrollments: 0,
        })
        .collect();
    let mut plan = SequencePlan {
        file: def.file.clone(),
        sequence: def.name.clone(),
        action: PlanAction::Create,
        version: Some(1),
        owner: owner.email.clone(),
        changes: Vec::new(),
        steps,
        open_enrollments: 0,
        effects: EditEffects::default(),
    };
    if dry_run {
        return Ok(plan);
    }
    let s = &def.settings;
    let id = q::insert_sequence(tx, &def.name, owner.id, s.unenroll_colleagues, now)?;
    write_sequence(tx, id, &def.name, owner.id, s)?;
    insert_steps(tx, id, &def.steps)?;
    let (audit_id, _) = q::insert_audit(
        tx,
        &NewAudit {
            at: now,
            actor_id: Some(actor.id),
            action: "create_sequence",
            reason: None,
            note: Some(&def.file),
            detail: &format!(
                "{}: version 1, {} steps, owner {}",
                def.name,
                def.steps.len(),
                owner.email
            ),
            count: 0,
        },
    )?;
    plan.version = Some(record_version(tx, id, actor, audit_id, now)?);
    Ok(plan)
}

pub(super) fn insert_steps(
    tx: &crate::store::Connection,
    id: i64,
    steps: &[NewStep],
) -> Result<Vec<i64>> {
    let mut ids = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        ids.push(q::insert_step(tx, id, &step.at(0, i as i64 + 1))?);
    }
    Ok(ids)
}

fn update_from_file(
    tx: &crate::store::Connection,
    actor: &User,
    row: &SequenceRow,
    owner: &User,
    def: &SequenceDefinition,
    dry_run: bool,
    now: Timestamp,
) -> Result<SequencePlan> {
    let old = q::steps(tx, row.id)?;
    let old_new: Vec<NewStep> = old.iter().map(as_new).collect();
    let kept = align(&old_new, &def.steps);
    let mut changes = Vec::new();
    if row.name != def.name {
        changes.push(SettingChange {
            field: "name".into(),
            from: row.name.clone(),
            to: def.name.clone(),
        });
    }
    if row.owner_id != owner.id {
        changes.push(SettingChange {
            field: "owner".into(),
            from: row.owner_email.clone(),
            to: owner.email.clone(),
        });
    }
    setting_changes(&settings_of(row), &def.settings, &mut changes);
    let steps_differ = old_new != def.steps;
    let (effects, reach_new, reach_old, _) =
        reconcile(tx, row.id, &old, &def.steps, &kept, None, now)?;
    let mut steps = Vec::new();
    for (j, step) in def.steps.iter().enumerate() {
        let position = j as i64 + 1;
        match kept[j] {
            None => steps.push(StepChange {
                change: StepChangeKind::Added,
                position,
                kind: step.kind,
                label: label(step),
                fields: Vec::new(),
                enrollments: reach_new[j],
            }),
            Some(o) if old_new[o] != *step => steps.push(StepChange {
                change: StepChangeKind::Changed,
                position,
                kind: step.kind,
                label: label(step),
                fields: changed_fields(&old_new[o], step),
                enrollments: reach_new[j],
            }),
            Some(_) => {}
        }
    }
    for (o, step) in old_new.iter().enumerate() {
        if !kept.contains(&Some(o)) {
            steps.push(StepChange {
                change: StepChangeKind::Removed,
                position: o as i64 + 1,
                kind: step.kind,
                label: label(step),
                fields: Vec::new(),
                enrollments: reach_old[o],
            });
        }
    }
    let open_enrollments = qs::open_enrollments(tx, row.id)?.len();
    let unchanged = changes.is_empty() && !steps_differ;
    let mut plan = SequencePlan {
        file: def.file.clone(),
        sequence: row.name.clone(),
        action: if unchanged {
            PlanAction::Unchanged
        } else {
            PlanAction::Update
        },
        version: None,
        owner: owner.email.clone(),
        changes,
        steps,
        open_enrollments,
        effects,
    };
    if unchanged || dry_run {
        if !unchanged {
            plan.version = Some(qs::last_version(tx, row.id)?.max(1) + 1);
        }
        return Ok(plan);
    }
    ensure_base_version(tx, row.id, now)?;
    let mut touched = Vec::new();
    if steps_differ {
        qs::park_steps(tx, row.id)?;
        let mut ids = vec![0i64; def.steps.len()];
        for (j, step) in def.steps.iter().enumerate() {
            let position = j as i64 + 1;
            match kept[j] {
                Some(o) => {
                    qs::update_step(tx, &step.at(old[o].id, position))?;
                    ids[j] = old[o].id;
                }
                None => {
                    ids[j] = q::insert_step(tx, row.id, &step.at(0, position))?;
                }
            }
        }
        qs::bump_revision(tx, row.id)?;
        let (_, _, _, t) = reconcile(tx, row.id, &old, &def.steps, &kept, Some(&ids), now)?;
        touched = t;
    }
    let s = &def.settings;
    write_sequence(tx, row.id, &def.name, owner.id, s)?;
    let (audit_id, _) = q::insert_audit(
        tx,
        &NewAudit {
            at: now,
            actor_id: Some(actor.id),
            action: "sequence_edit",
            reason: None,
            note: Some(&def.file),
            detail: &format!("{}: {}", def.name, plan.summary()),
            count: touched.len() as i64,
        },
    )?;
    for (id, status, step) in touched {
        q::audit_enrollment(tx, audit_id, id, status, step)?;
    }
    let version = record_version(tx, row.id, actor, audit_id, now)?;
    plan.version = Some(version);
    plan.sequence = def.name.clone();
    Ok(plan)
}
