//! Importing contacts (R12 per row): rows already mapped from a file's
//! columns, created or updated all together or not at all, with a report
//! of every change and refusal.

use serde::Serialize;

use super::permissions::{
    may_change_contact, may_create_contact, who_may_change_contact, who_may_create_contact,
};
use super::*;
use crate::store::queries::{self as q, ContactFields, NewAudit};

impl Workspace {
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
        // A file that changes nothing (only a header, or every row as
        // stored) writes no audit entry and no batch: nothing to explain
        // or undo. Its opt-outs, if any, are a change of their own.
        let nothing = report.created == 0 && report.updated == 0 && report.opted_out.is_empty();
        if options.dry_run || !report.refused.is_empty() || nothing {
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
