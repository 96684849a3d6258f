//! `seqtui run` and `seqtui sequence set`: call the engine and the domain,
//! print a table or JSON (`seqtui ingest` is in `cli::ingest`).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::Cli;
use super::commands::{Failure, Outcome, unsaved};
use super::output::{json, outln, safe, time};
use crate::domain::*;
use crate::engine::deliver::{Sendmail, Smtp, Target};
use crate::engine::outbox::{Delivery, Maildir, RunReport, default_outbox, run_delivering};

fn print_run(cli: &Cli, report: &RunReport, compact: bool) -> Result<(), Failure> {
    if cli.json {
        if compact {
            super::output::json_line(report)?;
        } else {
            json(report)?;
        }
    } else {
        let plural = crate::text::plural;
        let mut line = format!(
            "Sent {} to {} · created {} · {} finished",
            plural(report.emails_sent as i64, "email", "emails"),
            report.deliver,
            plural(report.tasks_created as i64, "task", "tasks"),
            plural(report.finished as i64, "enrollment", "enrollments")
        );
        if report.resumed > 0 {
            line.push_str(&format!(
                " · {} resumed after an engine pause (out-of-office or soft-bounce retry)",
                report.resumed
            ));
        }
        if report.recovered > 0 {
            line.push_str(&format!(
                " · {} delivered from an earlier run's outbox",
                report.recovered
            ));
        }
        if !report.skipped.is_empty() {
            line.push_str(&format!(" · {} taken by another run", report.skipped.len()));
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
                "handed to the server by an interrupted run that never saw its answer, counted as sent and not sent again: {} to {}",
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
        let progress = super::progress::Progress::spinner(cli, "running due steps");
        progress.message(&format!("running due steps into {target}"));
        let report = run_delivering(ws, &mut delivery)?;
        progress.finish();
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
    let _log = crate::log::start();
    tracing::info!("run --watch started; emails go to {target}");
    // Nobody reads a report once stdout is gone (its reader quit): stop.
    while !stop.load(Ordering::Relaxed) && !super::output::failed() {
        let report = match run_delivering(ws, &mut delivery) {
            Ok(report) => report,
            // The server closed the connection (a restart, a failover):
            // what the pass had not committed is rolled back, as after a
            // crash, and the next pass on a new connection picks it up.
            Err(f) if ws.connection_lost() => {
                reconnect(ws, &stop, &f);
                continue;
            }
            Err(f) => {
                tracing::error!("run --watch stopped: {f}");
                return Err(f.into());
            }
        };
        tracing::info!(
            "run cycle: {} emails sent, {} tasks created, {} finished, {} resumed, {} recovered, {} deferred, {} skipped",
            report.emails_sent,
            report.tasks_created,
            report.finished,
            report.resumed,
            report.recovered,
            report.deferred,
            report.skipped.len()
        );
        if report.emails_sent + report.tasks_created + report.resumed + report.recovered > 0 {
            print_run(cli, &report, true)?;
        }
        // Sleep until the next step is due, waking every half second to
        // notice a stop or a change made by another process (new
        // enrollments may be due sooner).
        let mut seen = None;
        loop {
            if stop.load(Ordering::Relaxed) || super::output::failed() {
                break;
            }
            let now = ws.now();
            let moved = match ws.data_version() {
                Ok(version) => *seen.get_or_insert(version) != version,
                Err(e) if ws.connection_lost() => {
                    reconnect(ws, &stop, &e);
                    true
                }
                Err(e) => return Err(e.into()),
            };
            if report.next_due_at.is_some_and(|due| due <= now) || moved {
                break;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
    if !cli.json {
        super::output::note("stopped.");
    }
    tracing::info!("run --watch stopped");
    Ok(0)
}

/// Replaces `ws` with the same workspace on a new connection once the
/// server takes one again, trying every few seconds until then (or until
/// `stop`): a watcher outlives a database restart instead of exiting.
fn reconnect(ws: &mut Workspace, stop: &AtomicBool, lost: &dyn std::fmt::Display) {
    tracing::warn!("run --watch lost its database connection ({lost}); opening a new one");
    let mut wait = Duration::from_secs(1);
    while !stop.load(Ordering::Relaxed) {
        match ws.reopened() {
            Ok(new) => {
                *ws = new;
                tracing::info!("opened a new database connection");
                return;
            }
            Err(e) => tracing::warn!("cannot open a new database connection yet: {e}"),
        }
        let until = std::time::Instant::now() + wait;
        while std::time::Instant::now() < until && !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(200));
        }
        wait = (wait * 2).min(Duration::from_secs(30));
    }
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
        super::output::change(&updated, &[updated.id], &[])?;
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
