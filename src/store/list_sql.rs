//! How an enrollment list is walked: the order a page walks in
//! ([`Walk`]), the shape of the statement ([`Shape`]), and the SQL of a
//! filter ([`filtered_ids_sql`]) over the enrollments and their contacts.

use crate::domain::*;
use rusqlite::types::Value;

use super::format_time;
use super::queries::{ids_json, stale_condition, stale_values};

/// The order a page walks in, and where it starts.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Walk<'a> {
    /// Contact order, `(sort_name, id)`, forwards or backwards, after a
    /// key; with `empty`, only the rows that have no value of that sort
    /// key (they come last in a list sorted by it, in contact order).
    Contact {
        descending: bool,
        after: Option<(&'a str, i64)>,
        empty: Option<SortKey>,
    },
    /// The rows that have a value of `key`, in `(value, id)` order, after
    /// a key, or (`resume`) after the row with that id, its value read by
    /// the statement.
    ///
    /// With `by_set`, the list's statuses are checked against the set of
    /// ids the status index holds for the sequence (built once by the
    /// statement) instead of row by row: the walk then reads the sort
    /// key's index alone. A row-by-row check reads each row the walk
    /// passes, which is slow exactly when the status is rare at the start
    /// of the order (the oldest enrollments are mostly ended): 0.7 s for
    /// the active ones of the 1M demo's largest sequence by enrolled at,
    /// against one read of their 164,375 ids. [`page_ids`] walks row by
    /// row first, for [`WALK_BUDGET`], and by set after that.
    Key {
        key: SortKey,
        descending: bool,
        after: Option<(&'a SortValue, i64)>,
        resume: Option<i64>,
        until: Option<i64>,
        by_set: bool,
    },
}

/// The column of a sort key in `enrollments`, and its indexes: one
/// sequence's, and every enrollment's (see `schema::SORT_INDEXES`).
pub(super) fn sort_column(key: SortKey) -> (&'static str, &'static str, &'static str) {
    match key {
        SortKey::Contact => ("sort_name", "enrollments_page", "enrollments_order"),
        SortKey::NextDue => (
            "next_due",
            "enrollments_next_due",
            "enrollments_all_next_due",
        ),
        SortKey::Step => ("current_step", "enrollments_step", "enrollments_all_step"),
        SortKey::LastEngagement => (
            "last_engagement",
            "enrollments_engaged",
            "enrollments_all_engaged",
        ),
        SortKey::EnrolledAt => (
            "enrolled_at",
            "enrollments_enrolled_at",
            "enrollments_all_enrolled_at",
        ),
    }
}

pub(super) fn sort_value(value: &SortValue) -> Value {
    match value {
        SortValue::Time(t) => Value::Text(format_time(*t)),
        SortValue::Number(n) => Value::Integer(*n),
    }
}

/// How the statement for a filter walks the tables.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Shape<'a> {
    /// One page in list order after a key, walked in (sort_name, id) order
    /// so that it stops after `limit` matching rows: within one sequence
    /// through that sequence's (status) range of `enrollments_page` or
    /// `enrollments_status_page`; across several or all sequences through
    /// `enrollments_order`, every enrollment in list order. (An `IN` list
    /// of sequences over the per-sequence index would walk the whole range
    /// of any sequence with no match.) Contact conditions are checked per
    /// row. When the filter names companies or email domains (a handful
    /// of contacts each) it starts from those contacts instead.
    ///
    /// A page in another order walks that order's index the same way
    /// ([`Walk::Key`]), and the rows without a value after it in contact
    /// order ([`Walk::Contact`] with `empty`).
    Page(Walk<'a>, usize),
    /// Every matching row (a count, or the whole list's ids): from the
    /// contacts when the filter has contact conditions and spans
    /// sequences or names owners, companies or domains (an index finds
    /// those contacts; else one pass over the contacts beats a lookup per
    /// enrollment, 2–4 ×); else from the enrollments through the
    /// per-sequence (status) indexes.
    All,
}

/// The contact's email domain, as the `contacts_email_domain` index has it.
macro_rules! email_domain {
    () => {
        "substr(c.email, instr(c.email, '@') + 1)"
    };
}

/// The conditions of a filter on the contact `c`, each with its
/// parameters. Every text is a parameter compared with `=` or `instr`, so
/// `%`, `_` and quotes are literal.
pub(super) fn contact_conditions(q: &EnrollmentQuery, values: &mut Vec<Value>) -> Vec<String> {
    let mut conds = Vec::new();
    // One equality per value (never `IN (json_each)`): the planner can then
    // start from the owner index when that is the cheaper way.
    if !q.owners.is_empty() {
        let alts: Vec<&str> = q
            .owners
            .iter()
            .map(|o| match o {
                Some(id) => {
                    values.push(Value::Integer(*id));
                    "c.owner_id = ?"
                }
                None => "c.owner_id IS NULL",
            })
            .collect();
        conds.push(format!("({})", alts.join(" OR ")));
    }
    if !q.companies.is_empty() {
        let alts: Vec<&str> = q
            .companies
            .iter()
            .map(|_| "c.company = ? COLLATE NOCASE")
            .collect();
        values.extend(q.companies.iter().map(|c| Value::Text(c.clone())));
        conds.push(format!("({})", alts.join(" OR ")));
    }
    if !q.email_domains.is_empty() {
        let alts: Vec<&str> = q
            .email_domains
            .iter()
            .map(|_| concat!(email_domain!(), " = ? COLLATE NOCASE"))
            .collect();
        values.extend(q.email_domains.iter().map(|d| Value::Text(d.clone())));
        conds.push(format!("({})", alts.join(" OR ")));
    }
    if !q.lifecycles.is_empty() {
        let alts: Vec<&str> = q
            .lifecycles
            .iter()
            .map(|_| "c.lifecycle_stage = ? COLLATE NOCASE")
            .collect();
        values.extend(q.lifecycles.iter().map(|l| Value::Text(l.clone())));
        conds.push(format!("({})", alts.join(" OR ")));
    }
    if !q.titles.is_empty() {
        let alts: Vec<&str> = q
            .titles
            .iter()
            .map(|_| "instr(lower(c.title), ?) > 0")
            .collect();
        values.extend(q.titles.iter().map(|t| Value::Text(t.to_lowercase())));
        conds.push(format!("({})", alts.join(" OR ")));
    }
    let needle = q.search.trim().to_lowercase();
    if !needle.is_empty() {
        conds.push(
            "(instr(lower(c.first_name || ' ' || c.last_name), ?) > 0
                OR instr(coalesce(c.email_key, lower(c.email)), ?) > 0
                OR instr(lower(c.company), ?) > 0)"
                .into(),
        );
        for _ in 0..3 {
            values.push(Value::Text(needle.clone()));
        }
    }
    conds
}

/// The statuses a list's walk checks (none: every status), and whether
/// nothing can match.
pub(super) fn walked_statuses(q: &EnrollmentQuery) -> (Vec<Status>, bool) {
    let mut statuses = q.statuses.clone();
    statuses.sort();
    statuses.dedup();
    if statuses.len() == Status::ALL.len() {
        statuses.clear();
    }
    // Stale enrollments are open ones: walk only the open statuses' index
    // ranges, and nothing at all when only ended statuses were asked for.
    let mut nothing = false;
    if q.stale {
        if statuses.is_empty() {
            statuses = vec![Status::Active, Status::Paused];
        } else {
            statuses.retain(|s| s.is_open());
            nothing = statuses.is_empty();
        }
    }
    (statuses, nothing)
}

/// Whether a walk of a sort key's index can check the list's statuses by
/// set ([`Walk::Key`]): a list of one sequence, walked from the
/// enrollments, with statuses to check.
pub(super) fn by_set_applies(q: &EnrollmentQuery) -> bool {
    let (statuses, nothing) = walked_statuses(q);
    q.sequences.len() == 1
        && q.companies.is_empty()
        && q.email_domains.is_empty()
        && !statuses.is_empty()
        && !nothing
}

/// The filtering part of an enrollment list: a `SELECT e.id AS id,
/// e.sort_name AS sort_name` (only the id for a walk of a sort key's
/// index) of the enrollments `q` matches, in the walk's order for a page.
/// See [`Shape`] for how it walks.
pub(super) fn filtered_ids_sql(
    q: &EnrollmentQuery,
    stale: &StaleCutoffs,
    shape: Shape<'_>,
    values: &mut Vec<Value>,
) -> String {
    let (statuses, nothing) = walked_statuses(q);
    let page = matches!(shape, Shape::Page(..));
    let mut conds: Vec<String> = Vec::new();
    let mut contact_values = Vec::new();
    let contact = contact_conditions(q, &mut contact_values);
    // Within one sequence that holds only while a contact index narrows
    // the contacts; otherwise that sequence's rows are fewer.
    let few_contacts = !q.companies.is_empty() || !q.email_domains.is_empty();
    let from_contacts = if page {
        few_contacts
    } else {
        !contact.is_empty() && (q.sequences.len() != 1 || few_contacts || !q.owners.is_empty())
    };
    // A page across sequences walks every enrollment in list order.
    let global = page && !from_contacts && q.sequences.len() != 1;
    let per_row = !from_contacts;
    // Walking the enrollments, the text is matched on their copy of it
    // (`store::search_text`), which the page indexes carry; the other
    // contact conditions stay on the contact.
    let needle = q.search.trim().to_lowercase();
    let search_on_enrollment =
        per_row && !needle.is_empty() && !needle.contains(super::search_text::SEPARATOR);
    let (contact, mut contact_values) = if search_on_enrollment {
        let mut values = Vec::new();
        let without = EnrollmentQuery {
            search: String::new(),
            ..q.clone()
        };
        (contact_conditions(&without, &mut values), values)
    } else {
        (contact, contact_values)
    };
    let (walk_key, by_set) = match shape {
        Shape::Page(Walk::Key { key, by_set, .. }, _) => (key, by_set),
        _ => (SortKey::Contact, false),
    };
    let by_set = by_set && by_set_applies(q);
    let (column, sequence_index, global_index) = sort_column(walk_key);
    // A walk of a sort key's index reads only the id: with no condition on
    // the row, the index alone answers.
    let mut sql = String::from(if walk_key == SortKey::Contact {
        "SELECT e.id AS id, e.sort_name AS sort_name FROM "
    } else {
        "SELECT e.id AS id FROM "
    });
    if from_contacts {
        // CROSS JOIN keeps this order, the contacts first, and each one's
        // enrollments through the contact index (with a sequence and a
        // status to match, the planner would rather walk those).
        sql.push_str(
            "contacts c CROSS JOIN enrollments e INDEXED BY enrollments_contact ON e.contact_id = c.id",
        );
        conds.extend(contact.iter().cloned());
        values.append(&mut contact_values);
    } else if page {
        // Pin the index whose order is the list's order: left to itself
        // the planner may take another one and sort every row for a page.
        // (A sort key's index has no status: the status is checked per row.)
        sql.push_str("enrollments e INDEXED BY ");
        sql.push_str(if global {
            global_index
        } else if statuses.is_empty() || walk_key != SortKey::Contact {
            sequence_index
        } else {
            "enrollments_status_page"
        });
    } else {
        sql.push_str("enrollments e");
    }
    // The columns `enrollments_order` carries (sequence, enrolled at)
    // first: SQLite reads the table row only for entries that pass them.
    match q.sequences.as_slice() {
        // The whole-table walk needs no condition; the planner's join
        // uses the `IN` to reach the per-sequence indexes.
        [] if global => {}
        [] => conds.push("e.sequence_id IN (SELECT id FROM sequences)".into()),
        [one] => {
            conds.push("e.sequence_id = ?".into());
            values.push(Value::Integer(*one));
        }
        many => {
            conds.push("e.sequence_id IN (SELECT CAST(value AS BIGINT) FROM json_each(?))".into());
            values.push(Value::Text(ids_json(many)));
        }
    }
    if let Some(t) = q.enrolled_before {
        conds.push("e.enrolled_at < ?".into());
        values.push(Value::Text(format_time(t)));
    }
    if let Some(t) = q.enrolled_from {
        conds.push("e.enrolled_at >= ?".into());
        values.push(Value::Text(format_time(t)));
    }
    let status_column = if by_set { "s.status" } else { "e.status" };
    let status = match statuses.as_slice() {
        [] => None,
        [one] => {
            values.push(Value::Text(one.as_str().into()));
            Some(format!("{status_column} = ?"))
        }
        many => {
            let names: Vec<&str> = many.iter().map(|s| s.as_str()).collect();
            values.push(Value::Text(
                serde_json::to_string(&names).expect("strings serialise"),
            ));
            Some(format!(
                "{status_column} IN (SELECT value FROM json_each(?))"
            ))
        }
    };
    if let Some(status) = status {
        if by_set {
            // The sequence's parameter goes before the status's. `+`
            // keeps the planner from reading the rows by the set's ids.
            values.insert(values.len() - 1, Value::Integer(q.sequences[0]));
            conds.push(format!(
                "+e.id IN (SELECT s.id FROM enrollments s INDEXED BY enrollments_status_page
                    WHERE s.sequence_id = ? AND {status})"
            ));
        } else {
            conds.push(status);
        }
    }
    if nothing {
        conds.push("1 = 0".into());
    }
    if let Some(n) = q.step_at_least {
        conds.push("e.current_step >= ?".into());
        values.push(Value::Integer(n));
    }
    if !q.enrolled_by.is_empty() {
        let alts: Vec<&str> = q.enrolled_by.iter().map(|_| "e.enrolled_by = ?").collect();
        values.extend(q.enrolled_by.iter().map(|id| Value::Integer(*id)));
        conds.push(format!("({})", alts.join(" OR ")));
    }
    if search_on_enrollment {
        conds.push("instr(e.search, ?) > 0".into());
        values.push(Value::Text(needle));
    }
    if per_row && !contact.is_empty() {
        // A scalar subquery, not EXISTS: SQLite turns EXISTS into a join,
        // which loses the early stop of an ordered walk with LIMIT.
        conds.push(format!(
            "(SELECT {} FROM contacts c WHERE c.id = e.contact_id)",
            contact.join(" AND ")
        ));
        values.append(&mut contact_values);
    }
    // Last, the conditions that read events (the dearest per row).
    if q.stale {
        conds.push(stale_condition!().into());
        values.extend(stale_values(stale));
    }
    if let Some(t) = q.quiet_since {
        conds.push(
            "e.enrolled_at <= ? AND NOT EXISTS (SELECT 1 FROM events ev WHERE ev.enrollment_id = e.id
                AND ev.type IN ('open', 'click', 'reply', 'meeting_booked') AND ev.at > ?)"
                .into(),
        );
        values.push(Value::Text(format_time(t)));
        values.push(Value::Text(format_time(t)));
    }
    let mut order = None;
    if let Shape::Page(walk, _) = shape {
        let (descending, after) = match walk {
            Walk::Contact {
                descending,
                after,
                empty,
            } => {
                if let Some(key) = empty {
                    conds.push(format!("e.{} IS NULL", sort_column(key).0));
                }
                (
                    descending,
                    after.map(|(name, id)| (Value::Text(name.into()), id)),
                )
            }
            Walk::Key {
                key,
                descending,
                after,
                resume,
                until,
                ..
            } => {
                // Also what lets SQLite use the partial index.
                if key.may_be_empty() {
                    conds.push(format!("e.{column} IS NOT NULL"));
                }
                // A bound given as a row's id: its value read by the
                // statement.
                let mut bound = |id: i64, cmp: &str| {
                    conds.push(format!(
                        "(e.{column}, e.id) {cmp} ((SELECT r.{column} FROM enrollments r WHERE r.id = ?), ?)"
                    ));
                    values.push(Value::Integer(id));
                    values.push(Value::Integer(id));
                };
                let (past, upto) = if descending { ("<", ">=") } else { (">", "<=") };
                if let Some(id) = until {
                    bound(id, upto);
                }
                match (after, resume) {
                    (None, Some(id)) => {
                        bound(id, past);
                        (descending, None)
                    }
                    (after, _) => (descending, after.map(|(value, id)| (sort_value(value), id))),
                }
            }
        };
        let (cmp, dir) = if descending {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        if let Some((value, id)) = after {
            conds.push(format!("(e.{column}, e.id) {cmp} (?, ?)"));
            values.push(value);
            values.push(Value::Integer(id));
        }
        order = Some(format!(" ORDER BY e.{column} {dir}, e.id {dir} LIMIT ?"));
    }
    if !conds.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conds.join(" AND "));
    }
    if let (Some(order), Shape::Page(_, limit)) = (order, shape) {
        sql.push_str(&order);
        values.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
    }
    sql
}

/// The walks a page of a list in `sort` order takes after `after`, in
/// turn, until it has its rows: the rows with a value of the sort key in
/// its order, then (for a key some rows lack) those without, in contact
/// order.
pub(super) fn walks<'a>(
    sort: Sort,
    statuses: &[Status],
    after: Option<&'a PageKey>,
) -> Vec<Walk<'a>> {
    if sort.key == SortKey::Contact {
        return vec![Walk::Contact {
            descending: sort.descending,
            after: after.map(|k| (k.sort_name.as_str(), k.id)),
            empty: None,
        }];
    }
    let mut walks = Vec::new();
    let in_empty = after.is_some_and(|k| k.value.is_none());
    if !in_empty && sort.key.has_value_for(statuses) {
        walks.push(Walk::Key {
            key: sort.key,
            descending: sort.descending,
            after: after.and_then(|k| k.value.as_ref().map(|v| (v, k.id))),
            resume: None,
            until: None,
            by_set: false,
        });
    }
    if sort.key.may_be_empty() {
        walks.push(Walk::Contact {
            descending: false,
            after: after
                .filter(|_| in_empty)
                .map(|k| (k.sort_name.as_str(), k.id)),
            empty: Some(sort.key),
        });
    }
    walks
}
