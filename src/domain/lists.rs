//! Filters across sequences and saved lists (issue 7): resolving a
//! [`Filter`] against the workspace, counting what it matches, and the
//! team's saved lists (save, show, delete; each save and delete audited).

use chrono::Duration;
use serde::Serialize;

use super::filter::days_before;
use super::permissions::may_edit_list;
use super::*;
use crate::store::lists as l;
use crate::store::queries::{self as q, NewAudit};

/// A saved list: a named filter the team shares.
#[derive(Debug, Clone, Serialize)]
pub struct SavedList {
    pub id: i64,
    pub name: String,
    /// The filter in the query language ([`Filter::to_query`]).
    pub query: String,
    #[serde(skip)]
    pub filter: Filter,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_by: String,
    pub updated_at: Timestamp,
}

/// A saved list with how many enrollments it matches now.
#[derive(Debug, Clone, Serialize)]
pub struct CountedList {
    #[serde(flatten)]
    pub list: SavedList,
    pub count: i64,
}

/// What saving a list did.
#[derive(Debug, Clone, Serialize)]
pub struct SaveListReport {
    pub list: SavedList,
    /// A list of that name existed and now has the new filter.
    pub replaced: bool,
    pub count: i64,
}

/// The longest list name.
pub const LIST_NAME_MAX: usize = 80;

fn no_list(name: &str) -> DomainError {
    DomainError::NotFound(format!(
        "no list '{}'; `seqtui lists` shows them",
        name.trim()
    ))
}

fn to_saved(row: l::ListRow) -> Result<SavedList> {
    let filter = Filter::parse(&row.query).map_err(|e| {
        DomainError::Storage(format!(
            "the saved list '{}' has a filter this version cannot read ({e})",
            row.name
        ))
    })?;
    Ok(SavedList {
        id: row.id,
        name: row.name,
        query: row.query,
        filter,
        created_by: row.created_by_email,
        created_at: row.created_at,
        updated_by: row.updated_by_email,
        updated_at: row.updated_at,
    })
}

impl Workspace {
    /// The filter with names resolved: sequences (id or name) and users
    /// (email) must exist, days become instants (UTC), and "no engagement
    /// in n days" becomes a cutoff n days before now.
    pub fn resolve(&self, filter: &Filter) -> Result<EnrollmentQuery> {
        let mut sequences = Vec::new();
        for s in &filter.sequences {
            let id = self.sequence(s)?.id;
            if !sequences.contains(&id) {
                sequences.push(id);
            }
        }
        let user = |email: &str| -> Result<i64> { Ok(self.acting_user(Some(email))?.id) };
        let mut enrolled_by = Vec::new();
        for e in &filter.enrolled_by {
            enrolled_by.push(user(e)?);
        }
        let mut owners = Vec::new();
        for o in &filter.owners {
            owners.push(if o == "none" { None } else { Some(user(o)?) });
        }
        let when = self.when();
        let start = |day: &Option<Day>| -> Result<Option<Timestamp>> {
            day.as_ref()
                .map(|d| Ok(when.day_start(d.date(&when)?)))
                .transpose()
        };
        Ok(EnrollmentQuery {
            sequences,
            statuses: filter.statuses.clone(),
            search: filter.search.clone(),
            stale: filter.stale,
            step_at_least: filter.step_at_least,
            enrolled_before: start(&filter.enrolled_before)?,
            // After the day: from the start of the next one.
            enrolled_from: filter
                .enrolled_after
                .as_ref()
                .map(|d| Ok::<_, DomainError>(when.day_start(d.date(&when)? + Duration::days(1))))
                .transpose()?,
            quiet_since: filter
                .no_engagement_days
                .map(|n| days_before(self.now(), n)),
            enrolled_by,
            owners,
            companies: filter.companies.clone(),
            lifecycles: filter
                .lifecycles
                .iter()
                .map(|s| super::contacts::lifecycle_value(s))
                .collect(),
            titles: filter.titles.iter().map(|s| s.to_lowercase()).collect(),
            email_domains: filter
                .email_domains
                .iter()
                .map(|s| s.to_lowercase())
                .collect(),
            sort: Sort::default(),
        })
    }

    /// How many enrollments the query matches.
    pub fn enrollment_count(&self, query: &EnrollmentQuery) -> Result<i64> {
        q::enrollment_count(self.store.conn(), query, &self.stale_cutoffs())
    }

    /// Every saved list, by name.
    pub fn lists(&self) -> Result<Vec<SavedList>> {
        l::lists(self.store.conn())?
            .into_iter()
            .map(to_saved)
            .collect()
    }

    /// Every saved list with its count now.
    pub fn lists_with_counts(&self) -> Result<Vec<CountedList>> {
        self.lists()?
            .into_iter()
            .map(|list| {
                let count = self.enrollment_count(&self.resolve(&list.filter)?)?;
                Ok(CountedList { list, count })
            })
            .collect()
    }

    /// The saved list of this name (any case).
    pub fn list(&self, name: &str) -> Result<SavedList> {
        match l::list_by_name(self.store.conn(), name.trim())? {
            Some(row) => to_saved(row),
            None => {
                let rows = l::lists(self.store.conn())?;
                let hint = did_you_mean(name, rows.iter().map(|r| r.name.as_str()));
                Err(DomainError::NotFound(format!(
                    "no list '{}'{}",
                    name.trim(),
                    super::names::or_listed(hint, "`seqtui lists` shows them")
                )))
            }
        }
    }

    /// Saves `filter` as the list `name` for the whole team, or replaces
    /// the filter of the list of that name (its creator, a manager or an
    /// admin may). The filter must have a condition and resolve (its
    /// sequences and users exist). Audited as `save_list`.
    pub fn save_list(
        &mut self,
        actor: &User,
        name: &str,
        filter: &Filter,
    ) -> Result<SaveListReport> {
        let name = name.trim();
        if name.is_empty()
            || name.chars().count() > LIST_NAME_MAX
            || name.chars().any(char::is_control)
        {
            return Err(DomainError::Invalid(format!(
                "a list name is 1 to {LIST_NAME_MAX} characters without control characters"
            )));
        }
        // A list of everything is never what was meant (and would be
        // unenrolled whole by `unenroll --list`).
        if filter.is_empty() {
            return Err(DomainError::Invalid(
                "a saved list needs at least one condition, such as company:Acme (--company Acme)"
                    .into(),
            ));
        }
        let count = self.enrollment_count(&self.resolve(filter)?)?;
        let query = filter.to_query();
        let now = self.now();
        let tx = self.store.write()?;
        let existing = l::list_by_name(&tx, name)?;
        if let Some(old) = &existing
            && !may_edit_list(actor, old.created_by)
        {
            return Err(DomainError::Refused(format!(
                "the list '{}' was saved by {}; only they, a manager or an admin may replace it",
                old.name, old.created_by_email
            )));
        }
        l::upsert_list(&tx, name, &query, actor.id, now)?;
        q::insert_audit(
            &tx,
            &NewAudit {
                at: now,
                actor_id: Some(actor.id),
                action: "save_list",
                reason: None,
                note: None,
                detail: &format!("{name}: {query}"),
                count,
            },
        )?;
        let row = l::list_by_name(&tx, name)?
            .ok_or_else(|| DomainError::Storage(format!("the list '{name}' was not saved")))?;
        tx.commit()?;
        Ok(SaveListReport {
            list: to_saved(row)?,
            replaced: existing.is_some(),
            count,
        })
    }

    /// Deletes a saved list (its creator, a manager or an admin may; the
    /// enrollments it matched are untouched). Audited as `delete_list`.
    pub fn delete_list(&mut self, actor: &User, name: &str) -> Result<SavedList> {
        let now = self.now();
        let tx = self.store.write()?;
        let row = l::list_by_name(&tx, name.trim())?.ok_or_else(|| no_list(name))?;
        if !may_edit_list(actor, row.created_by) {
            return Err(DomainError::Refused(format!(
                "the list '{}' was saved by {}; only they, a manager or an admin may delete it",
                row.name, row.created_by_email
            )));
        }
        l::delete_list(&tx, row.id)?;
        q::insert_audit(
            &tx,
            &NewAudit {
                at: now,
                actor_id: Some(actor.id),
                action: "delete_list",
                reason: None,
                note: None,
                detail: &format!("{}: {}", row.name, row.query),
                count: 0,
            },
        )?;
        tx.commit()?;
        to_saved(row)
    }
}
