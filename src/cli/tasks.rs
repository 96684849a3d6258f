//! Tasks for reps (R18): `tasks` lists a queue, `task done|skip|snooze`
//! works it. Both call `domain::tasks`.

use clap::{Args, Subcommand};

use super::Cli;
use super::commands::{Failure, Outcome, refused, unsaved};
use super::output::{json, outln, table, time};
use crate::domain::*;

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("whose").args(["mine", "owner", "all"])))]
pub struct TasksArgs {
    /// The acting user's open tasks (the default)
    #[arg(long)]
    pub mine: bool,
    /// This user's open tasks (email)
    #[arg(long, value_name = "EMAIL")]
    pub owner: Option<String>,
    /// Everyone's open tasks
    #[arg(long)]
    pub all: bool,
    /// Only tasks due: `overdue` (before now), `today` (before the end of
    /// today in your zone, overdue included) or `week` (before the end of the
    /// seventh day from today, overdue included)
    #[arg(long, value_name = "today|overdue|week",
        value_parser = super::choice::one_of(|| vec!["today", "overdue", "week"], parse_due))]
    pub due: Option<TaskDue>,
    /// Only tasks of this sequence (id or name)
    #[arg(long, value_name = "ID|NAME")]
    pub sequence: Option<String>,
    /// At most this many tasks
    #[arg(long, value_name = "N", default_value_t = 500)]
    pub limit: usize,
    #[command(flatten)]
    pub output: super::FormatArgs,
}

fn parse_due(text: &str) -> Result<TaskDue, String> {
    text.parse().map_err(|e: DomainError| e.to_string())
}

#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// Mark tasks done: each enrollment waiting at a task moves on, its
    /// next step due after its delay from now
    Done {
        /// Task id (one or more; `seqtui tasks` lists them)
        #[arg(required = true, value_name = "ID")]
        ids: Vec<i64>,
        /// A note kept with the task and the audit entry
        #[arg(long)]
        note: Option<String>,
    },
    /// Skip tasks: like done (the enrollment moves on), recorded as skipped
    Skip {
        /// Task id (one or more; `seqtui tasks` lists them)
        #[arg(required = true, value_name = "ID")]
        ids: Vec<i64>,
        /// A note kept with the task and the audit entry
        #[arg(long)]
        note: Option<String>,
    },
    /// Move tasks' due date; their enrollments keep waiting
    Snooze {
        /// Task id (one or more; `seqtui tasks` lists them)
        #[arg(required = true, value_name = "ID")]
        ids: Vec<i64>,
        /// The new due time, in your zone: 2026-12-01 09:00, a date (its midnight), RFC 3339, tomorrow, 2d, next monday
        #[arg(long, required = true, value_name = "TIME")]
        until: String,
        /// A note kept with the task and the audit entry
        #[arg(long)]
        note: Option<String>,
    },
}

pub fn tasks(cli: &Cli, ws: &Workspace, actor: &User, args: &TasksArgs) -> Outcome {
    let format = args.output.chosen(cli)?;
    let owner = if args.all {
        None
    } else if let Some(email) = &args.owner {
        Some(ws.acting_user(Some(email))?.id)
    } else {
        Some(actor.id)
    };
    let sequence = match &args.sequence {
        Some(s) => Some(ws.sequence(s)?.id),
        None => None,
    };
    let items = ws.tasks(&TaskQuery {
        owner,
        due: args.due,
        sequence,
        after: None,
        limit: args.limit.saturating_add(1),
    })?;
    let more = items.len() > args.limit;
    let items = &items[..items.len().min(args.limit)];
    if format.is_machine() {
        super::output::machine(format, items)?;
        return Ok(0);
    }
    if items.is_empty() {
        outln!("No open tasks.");
        return Ok(0);
    }
    let mut headers = vec![
        "ID", "DUE", "KIND", "CONTACT", "PHONE", "COMPANY", "SEQUENCE", "STEP",
    ];
    if owner.is_none() {
        headers.push("OWNER");
    }
    headers.push("TITLE");
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|t| {
            let mut row = vec![
                t.id.to_string(),
                format!(
                    "{}{}",
                    time(Some(t.due_at)),
                    if t.overdue { " OVERDUE" } else { "" }
                ),
                t.kind.map(|k| k.to_string()).unwrap_or_else(|| "-".into()),
                match &t.contact_email {
                    Some(email) => format!("{} <{email}>", t.contact_name),
                    None => "-".into(),
                },
                t.phone.clone().unwrap_or_else(|| "-".into()),
                t.company.clone(),
                t.sequence.clone().unwrap_or_else(|| "-".into()),
                match (t.step, t.steps) {
                    (Some(s), Some(n)) => format!("{s}/{n}"),
                    _ => "-".into(),
                },
            ];
            if owner.is_none() {
                row.push(t.owner.clone());
            }
            row.push(t.title.clone());
            row
        })
        .collect();
    table(&headers, &rows);
    if more {
        outln!("… more tasks: raise --limit to see them");
    }
    Ok(0)
}

pub fn task(cli: &Cli, ws: &mut Workspace, actor: &User, command: &TaskCommand) -> Outcome {
    let (action, ids, until, note) = match command {
        TaskCommand::Done { ids, note } => (TaskAction::Done, ids, None, note),
        TaskCommand::Skip { ids, note } => (TaskAction::Skip, ids, None, note),
        TaskCommand::Snooze { ids, until, note } => {
            let until = super::commands::read_time(ws, "--until", until, Toward::Future)?;
            (TaskAction::Snooze, ids, Some(until), note)
        }
    };
    let report = ws
        .work_tasks(actor, action, ids, until, note.clone())
        .map_err(unsaved)?;
    if cli.json {
        json(&report)?;
    } else {
        outln!("{}", report.summary_showing(|t| time(Some(t))));
        for r in &report.released {
            outln!(
                "  enrollment #{}: step {} due {}",
                r.enrollment,
                r.next_step,
                time(Some(r.next_due_at))
            );
        }
        for s in &report.skipped {
            super::output::line_coloured(
                &format!("  skipped #{}: {}", s.id, s.why),
                comfy_table::Color::Yellow,
            );
        }
    }
    if report.changed.is_empty() && !report.skipped.is_empty() {
        if let Some(s) = report.skipped.iter().find(|s| s.code.exit_code() == 3) {
            return Err(refused(s.why.clone()));
        }
        if report.skipped.iter().all(|s| s.code == SkipCode::NotFound) {
            return Err(Failure {
                code: 4,
                message: report.skipped[0].why.clone(),
            });
        }
    }
    Ok(0)
}
