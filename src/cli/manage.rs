//! The manager commands: `pause`, `resume`, `undo`, `transfer`.

use clap::Args;

use super::commands::{Failure, refused};
use super::output::{json, safe, table, time};
use super::{Cli, parse_status};
use crate::domain::*;

type Outcome = Result<i32, Failure>;

/// Which enrollments a command acts on: ids, or contacts of a sequence, or
/// every enrollment of a sequence with given statuses.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["enrollments", "sequence"])))]
pub struct SelectArgs {
    /// Enrollment id (repeatable)
    #[arg(long = "enrollment")]
    pub enrollments: Vec<i64>,
    /// Sequence id or name, with --contact or --all
    #[arg(long)]
    pub sequence: Option<String>,
    /// Contact email or id in that sequence (repeatable)
    #[arg(long = "contact", requires = "sequence", conflicts_with = "all")]
    pub contacts: Vec<String>,
    /// Every enrollment of the sequence this command can change (narrow with --status, --stale)
    #[arg(long, requires = "sequence")]
    pub all: bool,
    /// With --all: only these statuses (repeatable) [default: unenroll: active, paused; pause: active; resume: paused]
    #[arg(long = "status", value_parser = parse_status, requires = "all")]
    pub statuses: Vec<Status>,
    /// With --all: only the stale ones (R11; see the rules file)
    #[arg(long, requires = "all")]
    pub stale: bool,
    /// Report what would happen and change nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// The enrollment ids a selection names, and words for the scope ("from
/// 'Q4 Outbound'"). `default_statuses` apply to `--all` without `--status`.
pub fn select(
    ws: &Workspace,
    args: &SelectArgs,
    default_statuses: &[Status],
) -> Result<(Vec<i64>, String), Failure> {
    // clap counts a flag's default as present, so `requires = "all"` alone
    // lets `--stale` through without `--all`.
    if args.stale && !args.all {
        return Err(Failure {
            code: 2,
            message: "--stale narrows --all: pass --sequence S --all --stale".into(),
        });
    }
    let mut ids: Vec<i64> = args.enrollments.clone();
    let mut scope = String::new();
    if let Some(sequence) = &args.sequence {
        let sequence = ws.sequence(sequence)?;
        scope = format!(" from '{}'", sequence.name);
        for c in &args.contacts {
            let contact = ws.contact(c)?;
            match ws.enrollment_of(contact.id, sequence.id)? {
                Some(id) => ids.push(id),
                None => {
                    return Err(DomainError::NotFound(format!(
                        "{} is not enrolled in '{}'",
                        contact.email, sequence.name
                    ))
                    .into());
                }
            }
        }
        if args.all {
            let statuses = if args.statuses.is_empty() {
                default_statuses.to_vec()
            } else {
                args.statuses.clone()
            };
            ids.extend(ws.enrollment_ids(&EnrollmentQuery {
                sequences: vec![sequence.id],
                statuses,
                search: String::new(),
                stale: args.stale,
                ..Default::default()
            })?);
        }
    }
    Ok((ids, scope))
}

/// The exit code of a change where some requested enrollments were
/// skipped: success when anything changed or everything was already so;
/// 3 when refused (R12), 4 when nothing named exists.
pub fn skipped_outcome(changed: usize, skipped: &[Skipped]) -> Outcome {
    if changed == 0 && !skipped.is_empty() {
        if let Some(s) = skipped.iter().find(|s| s.why.starts_with("not permitted")) {
            return Err(refused(s.why.clone()));
        }
        if skipped.iter().all(|s| s.why == "not found") {
            return Err(Failure {
                code: 4,
                message: format!("no enrollment {}", skipped[0].id),
            });
        }
    }
    Ok(0)
}

fn print_skipped(skipped: &[Skipped]) {
    for s in skipped {
        println!("  skipped #{}: {}", s.id, safe(&s.why));
    }
}

pub fn pause_or_resume(
    cli: &Cli,
    ws: &mut Workspace,
    actor: &User,
    args: &SelectArgs,
    pause: bool,
) -> Outcome {
    let from = if pause {
        Status::Active
    } else {
        Status::Paused
    };
    let (ids, _) = select(ws, args, &[from])?;
    let report = if pause {
        ws.pause(actor, &ids, args.dry_run)?
    } else {
        ws.resume(actor, &ids, args.dry_run)?
    };
    if cli.json {
        json(&report)?;
    } else {
        println!("{}", report.summary());
        print_skipped(&report.skipped);
    }
    skipped_outcome(report.changed.len(), &report.skipped)
}

pub fn undo(cli: &Cli, ws: &mut Workspace, actor: &User, batch: Option<&str>) -> Outcome {
    let batch = match batch {
        Some(b) => b.trim().to_string(),
        None => ws.last_undoable_batch(actor)?.ok_or_else(|| {
            DomainError::NotFound(format!(
                "{} has no unenroll batch from the last {} minutes to undo",
                actor.email,
                ws.rules().undo_window_minutes
            ))
        })?,
    };
    let report = ws.undo(actor, &batch)?;
    if cli.json {
        json(&report)?;
    } else {
        println!("{}", report.summary());
        for s in &report.not_restored {
            println!("  not restored #{}: {}", s.id, safe(&s.why));
        }
        if let Some(b) = &report.undo_batch {
            println!("  undo recorded as batch {b}");
        }
    }
    Ok(0)
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("whose").required(true).args(["contacts", "from"])))]
pub struct TransferArgs {
    /// Contact email or id (repeatable)
    #[arg(long = "contact")]
    pub contacts: Vec<String>,
    /// Every contact this user (email) owns
    #[arg(long, value_name = "EMAIL")]
    pub from: Option<String>,
    /// The new owner (email)
    #[arg(long, value_name = "EMAIL")]
    pub to: String,
    /// What happens to their open enrollments [default: the rules file's, else keep]
    #[arg(long, value_parser = parse_policy)]
    pub policy: Option<TransferPolicy>,
    /// Apply the policy only to enrollments at or after this step
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    pub from_step: Option<i64>,
    /// Show the preview and change nothing
    #[arg(long)]
    pub dry_run: bool,
}

fn parse_policy(text: &str) -> Result<TransferPolicy, String> {
    text.parse()
}

pub fn transfer(cli: &Cli, ws: &mut Workspace, actor: &User, args: &TransferArgs) -> Outcome {
    let to = ws.acting_user(Some(&args.to))?;
    let mut contacts = Vec::new();
    for c in &args.contacts {
        contacts.push(ws.contact(c)?.id);
    }
    if let Some(from) = &args.from {
        let owner = ws.acting_user(Some(from))?;
        contacts.extend(ws.contacts_owned_by(&owner)?);
    }
    let report = ws.transfer(
        actor,
        &TransferRequest {
            contacts,
            to: to.id,
            policy: args.policy.unwrap_or(ws.rules().transfer_policy),
            from_step: args.from_step,
            dry_run: args.dry_run,
        },
    )?;
    if cli.json {
        json(&report)?;
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = report
        .enrollments
        .iter()
        .map(|i| {
            vec![
                i.enrollment.to_string(),
                i.contact.clone(),
                i.sequence.clone(),
                i.enrolled_by.clone(),
                format!("{}/{}", i.step, i.steps),
                time(i.next_due_at),
                match &i.why {
                    Some(why) => format!("{} ({why})", i.action),
                    None => i.action.clone(),
                },
            ]
        })
        .collect();
    if !rows.is_empty() {
        table(
            &[
                "ID",
                "CONTACT",
                "SEQUENCE",
                "ENROLLED BY",
                "STEP",
                "NEXT DUE",
                "ACTION",
            ],
            &rows,
        );
    }
    println!("{}", report.summary());
    for s in &report.contacts_skipped {
        println!("  skipped contact #{}: {}", s.id, safe(&s.why));
    }
    if report.contacts.is_empty() && !report.contacts_skipped.is_empty() {
        return skipped_outcome(0, &report.contacts_skipped);
    }
    Ok(0)
}
