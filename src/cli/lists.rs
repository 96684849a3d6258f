//! Saved lists (issue 7): `lists`, `list save`, `list show`, `list delete`.

use serde::Serialize;

use super::commands::{Outcome, unsaved};
use super::listing::{fetch_enrollments, print_enrollments};
use super::output::{json, outln, safe, table, time};
use super::{Cli, ListAction};
use crate::domain::*;

/// What `list show --json` prints: the list, its count now, and its
/// enrollments (at most `--limit`).
#[derive(Debug, Serialize)]
struct ShownList<'a> {
    #[serde(flatten)]
    list: &'a SavedList,
    count: i64,
    enrollments: Vec<EnrollmentRow>,
}

/// `seqtui lists`: every list with its count now.
pub fn lists(cli: &Cli, ws: &Workspace, output: &super::FormatArgs) -> Outcome {
    let format = output.chosen(cli)?;
    let lists = ws.lists_with_counts()?;
    if format.is_machine() {
        super::output::machine(format, &lists)?;
        return Ok(0);
    }
    if lists.is_empty() {
        outln!("No saved lists yet; `seqtui list save NAME --company …` saves one.");
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = lists
        .iter()
        .map(|c| {
            vec![
                c.list.name.clone(),
                c.count.to_string(),
                c.list.created_by.clone(),
                c.list.query.clone(),
            ]
        })
        .collect();
    table(&["NAME", "COUNT", "SAVED BY", "FILTER"], &rows);
    Ok(0)
}

pub fn list(cli: &Cli, ws: &mut Workspace, actor: &User, action: &ListAction) -> Outcome {
    match action {
        ListAction::Save { name, filter } => {
            let filter = filter.filter()?;
            let report = ws.save_list(actor, name, &filter).map_err(unsaved)?;
            if cli.json {
                super::output::change(&report, &[report.list.id], &[])?;
            } else {
                outln!(
                    "{} the list '{}' ({} enrollments match now): {}",
                    if report.replaced { "Replaced" } else { "Saved" },
                    safe(&report.list.name),
                    report.count,
                    safe(&report.list.query)
                );
            }
            Ok(0)
        }
        ListAction::Show { name, limit } => {
            let list = ws.list(name)?;
            let query = ws.resolve(&list.filter)?;
            let count = ws.enrollment_count(&query)?;
            let enrollments = fetch_enrollments(ws, &query, *limit)?;
            if cli.json {
                json(&ShownList {
                    list: &list,
                    count,
                    enrollments,
                })?;
                return Ok(0);
            }
            outln!("List '{}': {}", safe(&list.name), safe(&list.query));
            let mut saved = format!(
                "Saved by {} on {}",
                list.created_by,
                time(Some(list.created_at))
            );
            if list.updated_at != list.created_at || list.updated_by != list.created_by {
                saved.push_str(&format!(
                    ", last changed by {} on {}",
                    list.updated_by,
                    time(Some(list.updated_at))
                ));
            }
            outln!("{} · {count} enrollments match now", safe(&saved));
            if !enrollments.is_empty() {
                outln!();
                print_enrollments(&enrollments);
            }
            Ok(0)
        }
        ListAction::Delete { name } => {
            let list = ws.delete_list(actor, name).map_err(unsaved)?;
            if cli.json {
                super::output::change(&list, &[list.id], &[])?;
            } else {
                outln!(
                    "Deleted the list '{}' ({}); its enrollments are untouched.",
                    safe(&list.name),
                    safe(&list.query)
                );
            }
            Ok(0)
        }
    }
}
