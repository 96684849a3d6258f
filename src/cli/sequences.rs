//! `seqtui sequence apply|show|versions|archive|unarchive|owner`: sequences
//! as files (R17). Reads files and prints; every change is the domain's.

use std::path::PathBuf;

use serde::Serialize;

use super::Cli;
use super::commands::{Failure, Outcome, confirm, finish_tidying, unsaved};
use super::output::{Verbatim, json, outln, safe, table};
use crate::domain::*;

/// Reads and checks every file first: one bad file applies nothing.
fn read_files(files: &[PathBuf]) -> Result<Vec<SequenceDefinition>, Failure> {
    let mut defs = Vec::new();
    for path in files {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| Failure {
            code: if e.kind() == std::io::ErrorKind::NotFound {
                4
            } else {
                1
            },
            message: format!("cannot read {name}: {e}; nothing was applied"),
        })?;
        defs.push(parse_sequence(&name, &text).map_err(Failure::from)?);
    }
    Ok(defs)
}

fn print_plan(plan: &SequencePlan) {
    let file = safe(&plan.file);
    match plan.action {
        PlanAction::Unchanged => {
            outln!("{file}: '{}' — nothing to change.", plan.sequence);
            return;
        }
        PlanAction::Create => outln!(
            "{file}: create '{}' owned by {}, {} steps (version 1).",
            plan.sequence,
            plan.owner,
            plan.steps.len()
        ),
        PlanAction::Update => outln!(
            "{file}: update '{}' to version {} ({} open enrollments).",
            plan.sequence,
            plan.version.unwrap_or(0),
            plan.open_enrollments
        ),
    }
    for c in &plan.changes {
        outln!("  {}: {} → {}", c.field.replace('_', " "), c.from, c.to);
    }
    if plan.action == PlanAction::Create {
        return;
    }
    for s in &plan.steps {
        let what = match s.change {
            StepChangeKind::Added => format!(
                "scheduled for {} open enrollments that have not passed it",
                s.enrollments
            ),
            StepChangeKind::Changed => format!(
                "{} changed; new text for {} open enrollments that have not run it",
                s.fields.join(", "),
                s.enrollments
            ),
            StepChangeKind::Removed => {
                format!("cancelled for {} open enrollments", s.enrollments)
            }
        };
        let sign = match s.change {
            StepChangeKind::Added => "+ added",
            StepChangeKind::Changed => "~ changed",
            StepChangeKind::Removed => "- removed",
        };
        outln!(
            "  {sign} step {} ({}, \"{}\"): {what}",
            s.position,
            s.kind,
            s.label
        );
    }
    let e = &plan.effects;
    outln!(
        "  open enrollments: {} steps get new text, {} steps scheduled, {} cancelled, {} due dates moved, {} renumbered, {} finished (nothing left to run){}.",
        e.texts_updated,
        e.steps_scheduled,
        e.steps_cancelled,
        e.due_dates_moved,
        e.enrollments_renumbered,
        e.enrollments_finished,
        e.tasks_removed_note()
    );
}

#[derive(Serialize)]
struct ApplyOutput<'a> {
    dry_run: bool,
    applied: bool,
    sequences: &'a [SequencePlan],
    /// The sequences created or updated (with `--dry-run`, those that
    /// exist and would be updated: a new one has no id yet).
    changed: Vec<i64>,
    skipped: [Skipped; 0],
}

/// The ids of the sequences `plans` create or update, as far as they
/// exist now.
fn plan_ids(ws: &Workspace, plans: &[SequencePlan]) -> Vec<i64> {
    plans
        .iter()
        .filter(|p| p.action != PlanAction::Unchanged)
        .filter_map(|p| ws.sequence(&p.sequence).ok().map(|s| s.id))
        .collect()
}

/// `sequence apply FILE... [--yes] [--dry-run]`.
pub fn apply(
    cli: &Cli,
    ws: &mut Workspace,
    actor: &User,
    files: &[PathBuf],
    yes: bool,
    dry_run: bool,
) -> Outcome {
    let defs = read_files(files)?;
    let plans = ws.apply_sequences(actor, &defs, true).map_err(unsaved)?;
    let nothing = plans.iter().all(|p| p.action == PlanAction::Unchanged);
    if dry_run || nothing {
        if cli.json {
            json(&ApplyOutput {
                dry_run,
                applied: false,
                sequences: &plans,
                changed: plan_ids(ws, &plans),
                skipped: [],
            })?;
        } else {
            for plan in &plans {
                print_plan(plan);
            }
            if nothing {
                outln!("Nothing to change.");
            }
        }
        return Ok(0);
    }
    if !cli.json {
        for plan in &plans {
            print_plan(plan);
        }
    }
    if !yes {
        let n = plans
            .iter()
            .filter(|p| p.action != PlanAction::Unchanged)
            .count();
        confirm(
            &format!("Apply {n} sequence file(s)?"),
            &format!(
                "Refusing to apply {n} sequence file(s) without confirmation; nothing was changed."
            ),
        )?;
    }
    let applied = ws.apply_sequences(actor, &defs, false).map_err(unsaved)?;
    if cli.json {
        json(&ApplyOutput {
            dry_run: false,
            applied: true,
            sequences: &applied,
            changed: plan_ids(ws, &applied),
            skipped: [],
        })?;
    } else {
        for p in applied.iter().filter(|p| p.action != PlanAction::Unchanged) {
            outln!(
                "Applied {}: '{}' is now version {}.",
                safe(&p.file),
                p.sequence,
                p.version.unwrap_or(0)
            );
        }
    }
    Ok(0)
}

#[derive(Serialize)]
struct VersionOutput<'a> {
    sequence: &'a str,
    version: i64,
    definition: &'a str,
}

/// `sequence show NAME [--format text|toml] [--version N]`.
pub fn show(
    cli: &Cli,
    ws: &Workspace,
    sequence: &str,
    format: &str,
    version: Option<i64>,
) -> Outcome {
    let format = format.trim().to_ascii_lowercase();
    if !matches!(format.as_str(), "text" | "toml") {
        return Err(
            DomainError::Invalid(format!("unknown format '{format}'; use text or toml")).into(),
        );
    }
    if format == "toml" || version.is_some() {
        let text = ws.sequence_file(sequence, version)?;
        if cli.json && format != "toml" {
            let detail = ws.sequence_detail(sequence)?;
            json(&VersionOutput {
                sequence: &detail.name,
                version: version.unwrap_or(detail.version),
                definition: &text,
            })?;
        } else {
            use std::io::Write;
            Verbatim.write_all(text.as_bytes())?;
        }
        return Ok(0);
    }
    let d = ws.sequence_detail(sequence)?;
    if cli.json {
        json(&d)?;
        return Ok(0);
    }
    let onoff = |v: bool| if v { "on" } else { "off" };
    outln!(
        "{} — version {}, owner {}{}, {} open enrollments",
        d.name,
        d.version,
        d.owner,
        if d.archived { ", archived" } else { "" },
        d.open_enrollments
    );
    let s = &d.settings;
    outln!(
        "Settings: unenroll colleagues {} · pause on out-of-office {} · sending {}–{} on {} ({})",
        onoff(s.unenroll_colleagues),
        onoff(s.pause_on_out_of_office),
        s.window_start,
        s.window_end,
        s.sending_days.join(", "),
        s.time_zone
    );
    let mut day = 0;
    let rows: Vec<Vec<String>> = d
        .steps
        .iter()
        .map(|st| {
            day += st.delay_days;
            vec![
                st.position.to_string(),
                day.to_string(),
                st.kind.to_string(),
                if st.kind == StepKind::AutoEmail || st.title.is_empty() {
                    st.subject.clone()
                } else {
                    st.title.clone()
                },
            ]
        })
        .collect();
    table(&["STEP", "DAY", "KIND", "SUBJECT OR TITLE"], &rows);
    Ok(0)
}

/// `sequence versions NAME`.
pub fn versions(cli: &Cli, ws: &Workspace, sequence: &str) -> Outcome {
    let versions = ws.sequence_versions(sequence)?;
    if cli.json {
        json(&versions)?;
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = versions
        .iter()
        .map(|v| {
            vec![
                v.version.to_string(),
                super::output::time(Some(v.at)),
                v.actor
                    .clone()
                    .unwrap_or_else(|| "(before versions were kept)".into()),
            ]
        })
        .collect();
    table(&["VERSION", "AT", "BY"], &rows);
    Ok(0)
}

/// `sequence archive NAME [--yes] [--dry-run]`.
pub fn archive(
    cli: &Cli,
    ws: &mut Workspace,
    actor: &User,
    sequence: &str,
    yes: bool,
    dry_run: bool,
) -> Outcome {
    let id = ws.sequence(sequence)?.id;
    let preview = ws
        .archive_sequence(actor, sequence, true)
        .map_err(unsaved)?;
    if preview.already_archived {
        if cli.json {
            super::output::change(&preview, &[], &[])?;
        } else {
            outln!(
                "'{}' is archived already; nothing to change.",
                preview.sequence
            );
        }
        return Ok(0);
    }
    let what = format!(
        "Archiving '{}' ends {} open enrollments (sequence_archived): {} scheduled emails and {} open tasks cancelled.",
        preview.sequence, preview.unenrolled, preview.emails_cancelled, preview.tasks_removed
    );
    if dry_run {
        if cli.json {
            super::output::change(&preview, &[id], &[])?;
        } else {
            outln!("{what}");
        }
        return Ok(0);
    }
    if !cli.json {
        outln!("{what}");
    }
    if !yes && preview.unenrolled > 0 {
        confirm(
            &format!("Archive '{}'?", safe(&preview.sequence)),
            &format!(
                "Refusing to archive '{}' and end {} open enrollments without confirmation; nothing was changed.",
                safe(&preview.sequence),
                preview.unenrolled
            ),
        )?;
    }
    let report = ws
        .archive_sequence(actor, sequence, false)
        .map_err(unsaved)?;
    finish_tidying(cli, ws, "archive", report.batch.as_deref())?;
    if cli.json {
        super::output::change(&report, &[id], &[])?;
    } else {
        outln!(
            "Archived '{}': {} enrollments ended{}.",
            report.sequence,
            report.unenrolled,
            report
                .batch
                .as_deref()
                .map(|b| format!(" (batch {b})"))
                .unwrap_or_default()
        );
    }
    Ok(0)
}

/// `sequence unarchive NAME`.
pub fn unarchive(cli: &Cli, ws: &mut Workspace, actor: &User, sequence: &str) -> Outcome {
    let s = ws.unarchive_sequence(actor, sequence).map_err(unsaved)?;
    if cli.json {
        super::output::change(&s, &[s.id], &[])?;
    } else {
        outln!(
            "'{}' is not archived: contacts can be enrolled in it.",
            s.name
        );
    }
    Ok(0)
}

/// `sequence owner NAME --to EMAIL`.
pub fn owner(cli: &Cli, ws: &mut Workspace, actor: &User, sequence: &str, to: &str) -> Outcome {
    let s = ws
        .change_sequence_owner(actor, sequence, to)
        .map_err(unsaved)?;
    let detail = ws.sequence_detail(&s.id.to_string())?;
    if cli.json {
        super::output::change(&detail, &[s.id], &[])?;
    } else {
        outln!(
            "'{}' is now owned by {} (version {}).",
            detail.name,
            detail.owner,
            detail.version
        );
    }
    Ok(0)
}
