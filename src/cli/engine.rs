//! `seqtui run`, `seqtui ingest` and `seqtui sequence set`: call the engine
//! and the domain, print a table or JSON.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::Serialize;

use super::Cli;
use super::commands::{Failure, unsaved};
use super::output::{json, outln, safe, table, time};
use crate::domain::*;
use crate::engine::deliver::{Sendmail, Smtp, Target};
use crate::engine::inbound::InputSkip;
use crate::engine::outbox::{Delivery, Maildir, RunReport, default_outbox, run_delivering};
use crate::engine::read_path;

type Outcome = Result<i32, Failure>;

fn print_run(cli: &Cli, report: &RunReport, compact: bool) -> Result<(), Failure> {
    if cli.json {
        if compact {
            super::output::json_line(report)?;
        } else {
            json(report)?;
        }
    } else {
        let mut line = format!(
            "Sent {} emails to {} · created {} tasks · {} enrollments finished",
            report.emails_sent, report.deliver, report.tasks_created, report.finished
        );
        if report.resumed > 0 {
            line.push_str(&format!(
                " · {} resumed after an engine pause (out-of-office or soft-bounce retry)",
                report.resumed
            ));
        }
        if report.recovered > 0 {
            line.push_str(&format!(
                " · {} delivered from an interrupted run",
                report.recovered
            ));
        }
        if report.skipped > 0 {
            line.push_str(&format!(" · {} taken by another run", report.skipped));
        }
        if report.delivery_deferred > 0 {
            line.push_str(&format!(
                " · {} deferred by the server, tried again from {}",
                report.delivery_deferred,
                time(report.next_delivery_try)
            ));
        }
        if !report.refused.is_empty() {
            line.push_str(&format!(
                " · {} refused by the server (applied as bounces)",
                report.refused.len()
            ));
        }
        line.push_str(&format!(" · next due {}", time(report.next_due_at)));
        outln!("{}", safe(&line));
        for r in &report.refused {
            outln!(
                "{}",
                safe(&format!(
                    "refused: {} ({}): {}",
                    r.recipient, r.message_id, r.answer
                ))
            );
        }
        for u in &report.unconfirmed {
            super::output::note(&format!(
                "possibly sent, not sent again: {} to {} (an interrupted run was handing it to the server when it stopped)",
                u.message_id, u.recipient
            ));
        }
    }
    Ok(())
}

/// The SMTP password: `SEQTUI_SMTP_PASSWORD`, else the first line of the
/// rules file's `[smtp] password_file`; never the command line.
fn smtp_password(ws: &Workspace) -> Result<Option<String>, Failure> {
    if let Ok(p) = std::env::var("SEQTUI_SMTP_PASSWORD") {
        return Ok(Some(p));
    }
    let Some(file) = ws.rules().smtp_password_file.clone() else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&file).map_err(|e| Failure {
        code: 1,
        message: format!(
            "cannot read the SMTP password file {} named in the rules file: {e}",
            file.display()
        ),
    })?;
    Ok(Some(text.lines().next().unwrap_or_default().to_string()))
}

/// Where `run` delivers: `--deliver`, else `--outbox`, else the default
/// outbox Maildir.
fn delivery(
    ws: &Workspace,
    outbox: Option<&Path>,
    deliver: Option<&str>,
) -> Result<Delivery, Failure> {
    let target = match deliver {
        Some(text) => Target::parse(text).map_err(|message| Failure { code: 2, message })?,
        None => Target::Maildir(
            outbox
                .map(Path::to_path_buf)
                .unwrap_or_else(|| default_outbox(ws.path())),
        ),
    };
    Ok(match target {
        Target::Maildir(dir) => Delivery::Maildir(Maildir::open(&dir).map_err(|e| Failure {
            code: 1,
            message: format!("cannot write the outbox {}: {e}", dir.display()),
        })?),
        Target::Smtp(t) => {
            let password = match &t.user {
                Some(user) => Some(smtp_password(ws)?.ok_or_else(|| Failure {
                    code: 2,
                    message: format!(
                        "--deliver logs in as {user}: set SEQTUI_SMTP_PASSWORD or [smtp] password_file in the rules file"
                    ),
                })?),
                None => None,
            };
            let what = Target::Smtp(t.clone()).describe();
            Delivery::Server(what, Box::new(Smtp::new(t, password)))
        }
        Target::Sendmail(path) => {
            let what = Target::Sendmail(path.clone()).describe();
            Delivery::Server(what, Box::new(Sendmail { path }))
        }
    })
}

/// `run [--once | --watch] [--outbox DIR | --deliver TARGET]`.
pub fn run(
    cli: &Cli,
    ws: &mut Workspace,
    watch: bool,
    outbox: Option<&Path>,
    deliver: Option<&str>,
) -> Outcome {
    let mut delivery = delivery(ws, outbox, deliver)?;
    let target = delivery.describe();
    if !watch {
        let report = run_delivering(ws, &mut delivery)?;
        print_run(cli, &report, false)?;
        return Ok(0);
    }
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .map_err(|e| anyhow::anyhow!("cannot watch for Ctrl-C: {e}"))?;
    }
    if !cli.json {
        super::output::note(&format!("running; emails go to {target}. Ctrl-C stops."));
    }
    // Nobody reads a report once stdout is gone (its reader quit): stop.
    while !stop.load(Ordering::Relaxed) && !super::output::failed() {
        let report = run_delivering(ws, &mut delivery)?;
        if report.emails_sent + report.tasks_created + report.resumed + report.recovered > 0 {
            print_run(cli, &report, true)?;
        }
        // Sleep until the next step is due, waking every half second to
        // notice a stop or a change made by another process (new
        // enrollments may be due sooner).
        let seen = ws.data_version()?;
        loop {
            if stop.load(Ordering::Relaxed) || super::output::failed() {
                break;
            }
            let now = ws.now();
            if report.next_due_at.is_some_and(|due| due <= now) || ws.data_version()? != seen {
                break;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
    if !cli.json {
        super::output::note("stopped.");
    }
    Ok(0)
}

/// One line of `ingest --json`: an input item and what it did.
#[derive(Debug, Serialize)]
struct IngestLine {
    source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// Why the item was skipped, as a code (with `error`).
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<InputSkip>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    outcome: Option<IngestOutcome>,
}

/// `ingest PATH...`: every item is applied on its own (whole or not at
/// all); an item that cannot be read is reported and skipped.
pub fn ingest(cli: &Cli, ws: &mut Workspace, paths: &[PathBuf]) -> Outcome {
    let now = ws.now();
    let mut lines = Vec::new();
    let mut failed = 0;
    let mut applied = 0;
    for path in paths {
        for item in read_path(path, now) {
            match item.event {
                Err(why) => {
                    failed += 1;
                    if !cli.json {
                        super::output::note(&format!("skipped {}: {why}", item.source));
                    }
                    lines.push(IngestLine {
                        source: item.source,
                        error: Some(why),
                        code: item.code,
                        outcome: None,
                    });
                }
                Ok(event) => {
                    // Each item is its own transaction: the ones before
                    // this one are saved, this one and the rest are not.
                    let outcomes = ws.apply_inbound(&event).map_err(|e| match e {
                        DomainError::Storage(why) => Failure {
                            code: 1,
                            message: format!(
                                "{why} while applying {}; the {applied} items before it were applied (ingesting them again changes nothing), it and the rest were not",
                                item.source
                            ),
                        },
                        other => other.into(),
                    })?;
                    applied += 1;
                    for outcome in outcomes {
                        lines.push(IngestLine {
                            source: item.source.clone(),
                            error: None,
                            code: None,
                            outcome: Some(outcome),
                        });
                    }
                }
            }
        }
    }
    if cli.json {
        json(&lines)?;
    } else {
        let rows: Vec<Vec<String>> = lines
            .iter()
            .filter_map(|l| {
                let o = l.outcome.as_ref()?;
                let action = match (o.action, o.reason) {
                    (_, Some(r)) => format!("ended ({r})"),
                    (IngestAction::Paused, _) => "paused".into(),
                    (IngestAction::Recorded, _) => "recorded".into(),
                    (IngestAction::Duplicate, _) => "duplicate".into(),
                    (IngestAction::Ended, None) => "ended".into(),
                    (IngestAction::Ignored, _) => "ignored".into(),
                    (IngestAction::Unverified, _) => "unverified".into(),
                };
                let mut why = o.why.clone();
                if !o.colleagues.is_empty() {
                    why.push_str(&format!(
                        "; {} colleague enrollment(s) ended",
                        o.colleagues.len()
                    ));
                }
                Some(vec![
                    l.source.clone(),
                    o.kind.to_string(),
                    o.contact.clone().unwrap_or_else(|| "-".into()),
                    o.enrollment
                        .map(|e| e.to_string())
                        .unwrap_or_else(|| "-".into()),
                    action,
                    why,
                ])
            })
            .collect();
        if !rows.is_empty() {
            table(
                &["SOURCE", "TYPE", "CONTACT", "ENROLLMENT", "ACTION", "WHY"],
                &rows,
            );
        }
        let count = |a: IngestAction| {
            lines
                .iter()
                .filter(|l| l.outcome.as_ref().is_some_and(|o| o.action == a))
                .count()
        };
        outln!(
            "{} items: {} ended, {} paused, {} recorded, {} unverified, {} duplicates, {} ignored, {} unreadable.",
            lines.len(),
            count(IngestAction::Ended),
            count(IngestAction::Paused),
            count(IngestAction::Recorded),
            count(IngestAction::Unverified),
            count(IngestAction::Duplicate),
            count(IngestAction::Ignored),
            failed
        );
    }
    Ok(if failed > 0 { 1 } else { 0 })
}

/// `sequence set ID|NAME --unenroll-colleagues on|off --pause-on-out-of-office on|off`.
pub fn sequence_set(
    cli: &Cli,
    ws: &mut Workspace,
    actor: &User,
    sequence: &str,
    unenroll_colleagues: Option<bool>,
    pause_on_ooo: Option<bool>,
) -> Outcome {
    let updated = ws
        .set_sequence_options(actor, sequence, unenroll_colleagues, pause_on_ooo)
        .map_err(unsaved)?;
    if cli.json {
        json(&updated)?;
    } else {
        let onoff = |v: bool| if v { "on" } else { "off" };
        outln!(
            "Sequence '{}': unenroll colleagues {}, pause on out-of-office {}.",
            safe(&updated.name),
            onoff(updated.unenroll_colleagues),
            onoff(updated.pause_on_ooo)
        );
    }
    Ok(0)
}
