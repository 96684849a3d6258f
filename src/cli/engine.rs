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
use crate::engine::inbound::InputSkip;
use crate::engine::outbox::{RunReport, default_outbox, run_once};
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
            report.emails_sent,
            report.outbox.display(),
            report.tasks_created,
            report.finished
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
        if report.deferred > 0 {
            let d = &report.deferred_by;
            line.push_str(&format!(
                " · {} deferred ({} outside the sending window, {} over the daily cap) until {}",
                report.deferred,
                d.window,
                d.cap,
                time(report.deferred_until)
            ));
        }
        line.push_str(&format!(" · next due {}", time(report.next_due_at)));
        outln!("{}", safe(&line));
    }
    Ok(())
}

/// `run [--once | --watch] [--outbox DIR]`.
pub fn run(cli: &Cli, ws: &mut Workspace, watch: bool, outbox: Option<&Path>) -> Outcome {
    let outbox: PathBuf = outbox
        .map(Path::to_path_buf)
        .unwrap_or_else(|| default_outbox(ws.path()));
    if !watch {
        let report = run_once(ws, &outbox)?;
        print_run(cli, &report, false)?;
        return Ok(0);
    }
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .map_err(|e| anyhow::anyhow!("cannot watch for Ctrl-C: {e}"))?;
    }
    if !cli.json {
        super::output::note(&format!(
            "running; emails go to {}. Ctrl-C stops.",
            outbox.display()
        ));
    }
    // Nobody reads a report once stdout is gone (its reader quit): stop.
    while !stop.load(Ordering::Relaxed) && !super::output::failed() {
        let report = run_once(ws, &outbox)?;
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
