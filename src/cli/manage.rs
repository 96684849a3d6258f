//! The manager commands: `pause`, `resume`, `undo`, `transfer`.

use clap::Args;

use super::Cli;
use super::commands::{Failure, Outcome, confirm, finish_tidying, refused, unsaved};
use super::filter::{FilterArgs, chosen_filter, matching_ids, needs_all, usage};
use super::listing::print_enrollments;
use super::output::{json, outln, safe, table, time};
use crate::domain::*;

/// Which enrollments a command acts on: ids; contacts of one sequence;
/// every enrollment matching the filter flags (`--all`, which the flags
/// narrow: without it they select nothing, so that a forgotten selector
/// never means everything); or a saved list.
#[derive(Debug, Args)]
// The group is not `required`: a command given none of them is told which
// to give by `select`, and one given only filter flags that they narrow
// `--all` (clap would list the group's flags instead).
#[command(group(clap::ArgGroup::new("target")
    .args(["enrollments", "contacts", "all", "list"])))]
pub struct SelectArgs {
    /// Enrollment id (repeatable)
    #[arg(long = "enrollment", value_name = "ID")]
    pub enrollments: Vec<i64>,
    /// Contact email or id in the one --sequence given (repeatable)
    #[arg(long = "contact", value_name = "EMAIL|ID", requires = "sequence")]
    pub contacts: Vec<String>,
    /// Every enrollment matching the filter flags that this command can change
    /// (without --status: unenroll: active and paused; pause: active; resume: paused)
    #[arg(long)]
    pub all: bool,
    /// The enrollments of this saved list (`seqtui lists`), on its own
    #[arg(long, value_name = "NAME", conflicts_with = "FilterArgs")]
    pub list: Option<String>,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Report what would happen and change nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// The enrollment ids a selection names, in list order. `default_statuses`
/// apply to `--all` and `--list` when the filter names no status.
pub fn select(
    ws: &Workspace,
    args: &SelectArgs,
    default_statuses: &[Status],
) -> Result<Vec<i64>, Failure> {
    if args.all || args.list.is_some() {
        let filter = chosen_filter(ws, args.list.as_deref(), &args.filter)?;
        return Ok(matching_ids(ws, &filter, default_statuses)?);
    }
    let filter = args.filter.filter()?;
    // Without --all the filter flags select nothing: only --sequence, and
    // only to name the sequence of --contact.
    let flags = args.filter.flags();
    if let Some(flag) = flags.iter().find(|f| *f != "--sequence") {
        return Err(needs_all(flag));
    }
    if args.enrollments.is_empty() && args.contacts.is_empty() && flags.is_empty() {
        return Err(usage(
            "say which enrollments: --enrollment ID, --sequence S --contact EMAIL, --all [FILTER…] or --list NAME",
        ));
    }
    let mut ids: Vec<i64> = args.enrollments.clone();
    if !args.contacts.is_empty() {
        let [sequence] = filter.sequences.as_slice() else {
            return Err(usage(
                "--contact names one sequence: pass exactly one --sequence with it",
            ));
        };
        let sequence = ws.sequence(sequence)?;
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
    } else if !filter.sequences.is_empty() {
        return Err(usage(
            "--sequence goes with --contact or --all: pass --sequence S --contact EMAIL, or --all --sequence S",
        ));
    }
    Ok(ids)
}

/// Words for the sequences a change touches, for a question: " from
/// 'Q4 Outbound'", or " from 3 sequences ('A' 5, 'B' 2, 'C' 1)".
pub fn scope(sequences: &[SequenceCount]) -> String {
    match sequences {
        [] => String::new(),
        [one] => format!(" from '{}'", safe(&one.sequence)),
        many => {
            let mut named: Vec<String> = many
                .iter()
                .take(3)
                .map(|s| format!("'{}' {}", safe(&s.sequence), s.count))
                .collect();
            if many.len() > 3 {
                named.push(format!("{} more", many.len() - 3));
            }
            format!(" from {} sequences ({})", many.len(), named.join(", "))
        }
    }
}

/// In a dry run's text report, the enrollments it would change, as
/// `enrollments` prints them.
pub fn print_preview(ws: &Workspace, ids: &[i64]) -> Result<(), Failure> {
    if ids.is_empty() {
        return Ok(());
    }
    print_enrollments(&ws.enrollments_by_ids(ids)?);
    Ok(())
}

/// The exit code of a change where some requested enrollments were
/// skipped: success when anything changed or everything was already so;
/// 3 when refused (R12), 4 when nothing named exists.
pub fn skipped_outcome(changed: usize, skipped: &[Skipped]) -> Outcome {
    if changed == 0 && !skipped.is_empty() {
        if let Some(s) = skipped.iter().find(|s| s.code.exit_code() == 3) {
            return Err(refused(s.why.clone()));
        }
        if skipped.iter().all(|s| s.code == SkipCode::NotFound) {
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
        super::output::line_coloured(
            &format!("  skipped #{}: {}", s.id, s.why),
            comfy_table::Color::Yellow,
        );
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
    let ids = select(ws, args, &[from])?;
    let report = if pause {
        ws.pause(actor, &ids, args.dry_run).map_err(unsaved)?
    } else {
        ws.resume(actor, &ids, args.dry_run).map_err(unsaved)?
    };
    if cli.json {
        json(&report)?;
    } else {
        if report.dry_run {
            print_preview(ws, &report.changed)?;
        }
        outln!("{}", report.summary());
        print_skipped(&report.skipped);
    }
    skipped_outcome(report.changed.len(), &report.skipped)
}

pub fn undo(cli: &Cli, ws: &mut Workspace, actor: &User, batch: Option<&str>) -> Outcome {
    let batch = match batch {
        Some(b) => b.trim().to_string(),
        // The newest batch, which `undo` refuses with the reason when it is
        // undone already or outside the window (exit 3); none at all is a
        // refusal too.
        None => ws.last_batch(actor)?.ok_or_else(|| {
            DomainError::Refused(format!(
                "nothing to undo: {} has made no unenroll, transfer or enroll batch",
                actor.email
            ))
        })?,
    };
    let report = ws.undo(actor, &batch).map_err(unsaved)?;
    let changed = report.restored.clone();
    if !report.ended.is_empty() {
        // A large enroll batch undone left its scheduled steps to cancel
        // after the transaction (as a large unenroll); finish before exit.
        finish_tidying(cli, ws, "undo", report.undo_batch.as_deref())?;
    }
    if cli.json {
        super::output::change(&report, &changed, &report.not_restored)?;
    } else {
        outln!("{}", report.summary());
        for s in &report.not_restored {
            super::output::line_coloured(
                &format!("  not undone #{}: {}", s.id, s.why),
                comfy_table::Color::Yellow,
            );
        }
        if let Some(b) = &report.undo_batch {
            outln!("  undo recorded as batch {b}");
        }
    }
    // Refused (3) when nothing could be undone and something was left.
    skipped_outcome(
        report.restored.len() + report.ended.len(),
        &report.not_restored,
    )
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("whose").required(true).multiple(true)
    .args(["contacts", "from", "all", "list", "enrolled_by"])))]
pub struct TransferArgs {
    /// Contact email or id (repeatable)
    #[arg(long = "contact")]
    pub contacts: Vec<String>,
    /// Every contact this user (email) owns
    #[arg(long, value_name = "EMAIL")]
    pub from: Option<String>,
    /// The contacts of every enrollment matching the filter flags (any status unless --status)
    #[arg(long)]
    pub all: bool,
    /// The contacts of the enrollments of this saved list (`seqtui lists`)
    #[arg(long, value_name = "NAME", conflicts_with = "FilterArgs")]
    pub list: Option<String>,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// The new owner (email)
    #[arg(long, value_name = "EMAIL")]
    pub to: String,
    /// What happens to their open enrollments [default: the rules file's, else keep]
    #[arg(long, value_parser = super::choice::choice::<TransferPolicy>(super::choice::names_of!(TransferPolicy)))]
    pub policy: Option<TransferPolicy>,
    /// Apply the policy only to enrollments at or after this step
    #[arg(long, value_name = "N", value_parser = step_number)]
    pub from_step: Option<i64>,
    /// Show the preview and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask before a transfer that unenrolls more than one enrollment
    #[arg(long)]
    pub yes: bool,
}

pub fn transfer(cli: &Cli, ws: &mut Workspace, actor: &User, args: &TransferArgs) -> Outcome {
    if !args.all && args.list.is_none() && args.contacts.is_empty() && args.from.is_none() {
        return hand_over(cli, ws, actor, args);
    }
    if !args.all
        && let Some(flag) = args.filter.flags().first()
    {
        return Err(needs_all(flag));
    }
    let to = ws.acting_user(Some(&args.to))?;
    let mut contacts = Vec::new();
    if args.all || args.list.is_some() {
        // The contacts of the matching enrollments, whatever their status:
        // an owner belongs to the contact, not to one enrollment.
        let filter = chosen_filter(ws, args.list.as_deref(), &args.filter)?;
        contacts = ws.contacts_of_enrollments(&matching_ids(ws, &filter, &[])?)?;
    }
    for c in &args.contacts {
        contacts.push(ws.contact(c)?.id);
    }
    if let Some(from) = &args.from {
        let owner = ws.acting_user(Some(from))?;
        contacts.extend(ws.contacts_owned_by(&owner)?);
    }
    let mut request = TransferRequest {
        contacts,
        to: to.id,
        policy: args.policy.unwrap_or(ws.rules().transfer_policy),
        from_step: args.from_step,
        dry_run: true,
    };
    // The rule of a bulk unenroll: ending more than one enrollment asks
    // first (a terminal) or needs --yes. Keep and reassign end nothing and
    // the audit names every previous owner, so they do not ask.
    if !args.dry_run && !args.yes && request.policy == TransferPolicy::Unenroll {
        let preview = ws.transfer(actor, &request)?;
        let ending = unenrolling(&preview);
        if ending > 1 {
            let what = format!(
                "{} to {} and unenroll {ending} of their enrollments (ownership_changed)? {}",
                match preview.contacts.len() {
                    1 => "1 contact".to_string(),
                    n => format!("{n} contacts"),
                },
                to.email,
                cancels(&preview)
            );
            confirm(
                &format!("Transfer {what}"),
                &format!("Refusing to transfer {what}"),
            )?;
        }
    }
    request.dry_run = args.dry_run;
    let report = ws.transfer(actor, &request).map_err(unsaved)?;
    if !report.dry_run {
        // A large unenroll left its steps and tasks to tidy; finish first.
        finish_tidying(cli, ws, "transfer", report.batch.as_deref())?;
    }
    // The same exit code whatever the output: refused (3) or not found
    // (4) only when no contact could be transferred.
    let outcome = if report.contacts.is_empty() && !report.contacts_skipped.is_empty() {
        skipped_outcome(0, &report.contacts_skipped)
    } else {
        Ok(0)
    };
    if cli.json {
        super::output::change(&report, &report.contacts, &report.contacts_skipped)?;
        return outcome;
    }
    print_transfer_items(&report.enrollments);
    outln!("{}", report.summary());
    for s in &report.contacts_skipped {
        outln!("  skipped contact #{}: {}", s.id, safe(&s.why));
    }
    outcome
}

/// The preview table of a transfer: each open enrollment and what happens
/// to it.
fn print_transfer_items(items: &[TransferItem]) {
    let rows: Vec<Vec<String>> = items
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
                    None => i.action.to_string(),
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
}

/// `transfer --enrolled-by EMAIL --to EMAIL`: a departing rep's open
/// enrollments go to another user (or end); the contacts keep their
/// owners (R10).
fn hand_over(cli: &Cli, ws: &mut Workspace, actor: &User, args: &TransferArgs) -> Outcome {
    let [from] = args.filter.enrolled_by.as_slice() else {
        return Err(usage(
            "name one departing rep: transfer --enrolled-by EMAIL --to EMAIL --policy reassign|unenroll",
        ));
    };
    if let Some(flag) = args
        .filter
        .flags()
        .into_iter()
        .find(|f| f != "--enrolled-by")
    {
        return Err(needs_all(&flag));
    }
    let from = ws.acting_user(Some(from))?;
    let to = ws.acting_user(Some(&args.to))?;
    let mut request = HandoverRequest {
        from: from.id,
        to: to.id,
        policy: args.policy.unwrap_or(ws.rules().transfer_policy),
        from_step: args.from_step,
        dry_run: true,
    };
    if !args.dry_run && !args.yes && request.policy == TransferPolicy::Unenroll {
        let preview = ws.hand_over(actor, &request)?;
        let ending = unenrolling(&preview.transfer);
        if ending > 1 {
            let what = format!(
                "nroll {ending} open enrollments {} made (ownership_changed)? {}",
                from.email,
                cancels(&preview.transfer)
            );
            confirm(&format!("Une{what}"), &format!("Refusing to une{what}"))?;
        }
    }
    request.dry_run = args.dry_run;
    let report = ws.hand_over(actor, &request).map_err(unsaved)?;
    if !report.transfer.dry_run {
        finish_tidying(cli, ws, "transfer", report.transfer.batch.as_deref())?;
    }
    if cli.json {
        super::output::change(
            &report,
            &report.transfer.contacts,
            &report.transfer.contacts_skipped,
        )?;
        return Ok(0);
    }
    print_transfer_items(&report.transfer.enrollments);
    outln!("{}", report.summary());
    Ok(0)
}

/// How many enrollments a transfer preview unenrolls.
fn unenrolling(preview: &TransferReport) -> usize {
    preview.count(TransferAction::Unenroll)
}

/// The confirmation's last sentence: what unenrolling cancels.
fn cancels(preview: &TransferReport) -> String {
    format!(
        "{} scheduled emails and {} open tasks will be cancelled.",
        preview.emails_cancelled, preview.tasks_removed
    )
}

/// A step's number as typed: a whole number from 1 (the first step).
fn step_number(text: &str) -> Result<i64, String> {
    match text.trim().parse::<i64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("a step number is a whole number from 1 (the first step)".into()),
    }
}
