//! `seqtui ingest`: read what comes back (files, folders, Maildirs, an
//! IMAP mailbox once or `--watch`), apply it through the domain, print a
//! table or JSON.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::Serialize;

use super::Cli;
use super::commands::{Failure, Outcome};
use super::output::{json, outln, table};
use crate::domain::*;
use crate::engine::imap::{ImapError, ImapSource, Mailbox, PASSWORD_VAR, SyncReport, is_imap_url};
use crate::engine::inbound::InputSkip;
use crate::engine::read_path;

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

/// How many items of an `ingest` came to each decision.
#[derive(Debug, Serialize)]
struct IngestCounts {
    ended: usize,
    paused: usize,
    recorded: usize,
    unverified: usize,
    duplicate: usize,
    ignored: usize,
    unreadable: usize,
}

/// An item `ingest` could not read, in the one vocabulary: no id (an item
/// is no record), its code, why, and where it was.
#[derive(Debug, Serialize)]
struct IngestSkipped<'a> {
    id: Option<i64>,
    code: Option<InputSkip>,
    why: &'a str,
    source: &'a str,
}

/// What `ingest --json` prints: the counts per decision, every item, the
/// enrollments it changed (ended or paused, colleagues' included) and the
/// items it skipped.
#[derive(Debug, Serialize)]
struct IngestJson<'a> {
    counts: IngestCounts,
    items: &'a [IngestLine],
    changed: Vec<i64>,
    skipped: Vec<IngestSkipped<'a>>,
}

impl<'a> IngestJson<'a> {
    fn of(tally: &'a IngestTally) -> IngestJson<'a> {
        let mut changed = Vec::new();
        for o in tally.lines.iter().filter_map(|l| l.outcome.as_ref()) {
            if matches!(o.action, IngestAction::Ended | IngestAction::Paused) {
                changed.extend(o.enrollment);
            }
            changed.extend(o.colleagues.iter().copied());
        }
        changed.sort_unstable();
        changed.dedup();
        IngestJson {
            counts: tally.counts(),
            items: &tally.lines,
            changed,
            skipped: tally
                .lines
                .iter()
                .filter_map(|l| {
                    Some(IngestSkipped {
                        id: None,
                        code: l.code,
                        why: l.error.as_deref()?,
                        source: &l.source,
                    })
                })
                .collect(),
        }
    }
}

/// What an item of `ingest` did, for the table and the summary.
struct IngestTally {
    lines: Vec<IngestLine>,
    failed: usize,
    applied: usize,
}

impl IngestTally {
    fn new() -> Self {
        IngestTally {
            lines: Vec::new(),
            failed: 0,
            applied: 0,
        }
    }

    fn skipped(&mut self, cli: &Cli, source: String, why: String, code: Option<InputSkip>) {
        self.failed += 1;
        if !cli.json {
            super::output::note(&format!("skipped {source}: {why}"));
        }
        self.lines.push(IngestLine {
            source,
            error: Some(why),
            code,
            outcome: None,
        });
    }

    fn applied(&mut self, source: &str, outcomes: Vec<IngestOutcome>) {
        self.applied += 1;
        for outcome in outcomes {
            self.lines.push(IngestLine {
                source: source.to_string(),
                error: None,
                code: None,
                outcome: Some(outcome),
            });
        }
    }

    fn counts(&self) -> IngestCounts {
        let count = |a: IngestAction| {
            self.lines
                .iter()
                .filter(|l| l.outcome.as_ref().is_some_and(|o| o.action == a))
                .count()
        };
        IngestCounts {
            ended: count(IngestAction::Ended),
            paused: count(IngestAction::Paused),
            recorded: count(IngestAction::Recorded),
            unverified: count(IngestAction::Unverified),
            duplicate: count(IngestAction::Duplicate),
            ignored: count(IngestAction::Ignored),
            unreadable: self.failed,
        }
    }

    /// Adds what one read of an IMAP mailbox did.
    fn add_sync(&mut self, cli: &Cli, source: &ImapSource, report: SyncReport) {
        if let Some((was, now)) = report.restarted {
            super::output::note(&format!(
                "the UIDVALIDITY of {} changed ({was} to {now}): reading it from the start; messages already applied are recognised by their Message-ID and change nothing",
                source.shown()
            ));
        }
        if !cli.json {
            super::output::note(&format!(
                "read {} new message(s) from {}{}",
                report.items.len(),
                source.shown(),
                if report.moved > 0 {
                    format!("; moved {} to the processed mailbox", report.moved)
                } else {
                    String::new()
                }
            ));
        }
        for (item, outcomes) in report.items {
            match item.event {
                Err(why) => self.skipped(cli, item.source, why, item.code),
                Ok(_) => self.applied(&item.source, outcomes),
            }
        }
    }
}

/// An IMAP failure as a one-sentence error: a refused login is exit 3,
/// a missing mailbox 4.
fn imap_failure(e: ImapError, applied: usize) -> Failure {
    match e {
        ImapError::Login(message) => Failure { code: 3, message },
        ImapError::NoMailbox(message) => Failure { code: 4, message },
        ImapError::Connection(why) | ImapError::Server(why) => Failure {
            code: 1,
            message: if applied > 0 {
                format!("{why}; the {applied} items before were applied and stay so")
            } else {
                why
            },
        },
        ImapError::Domain(DomainError::Storage(why)) => Failure {
            code: 1,
            message: format!(
                "{why} while applying a message; the {applied} items before it were applied (reading the mailbox again goes on after them)"
            ),
        },
        ImapError::Domain(other) => other.into(),
    }
}

/// `ingest PATH|imap://USER@HOST[:PORT]/MAILBOX... [--watch] [--move-processed MAILBOX]`:
/// every item is applied on its own (whole or not at all); an item that
/// cannot be read is reported and skipped.
pub fn ingest(
    cli: &Cli,
    ws: &mut Workspace,
    paths: &[PathBuf],
    watch: bool,
    move_to: Option<&str>,
) -> Outcome {
    let usage = |message: String| Failure { code: 2, message };
    let mut sources = Vec::new();
    let mut files = Vec::new();
    for path in paths {
        match path.to_str() {
            Some(text) if is_imap_url(text) => {
                sources.push(ImapSource::parse(text).map_err(usage)?)
            }
            _ => files.push(path),
        }
    }
    // A file or folder named that is not there is "not found" before
    // anything is read (as for `import` and `sequence apply`), rather than
    // an unreadable item among the others.
    if let Some(missing) = files.iter().find(|p| {
        std::fs::symlink_metadata(p).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
    }) {
        return Err(Failure {
            code: 4,
            message: format!("no file or folder {}; nothing was read", missing.display()),
        });
    }
    if (watch || move_to.is_some()) && (sources.len() != 1 || !files.is_empty()) {
        return Err(usage(
            "--watch and --move-processed take exactly one imap:// or imaps:// mailbox and no files"
                .into(),
        ));
    }
    let password = match sources.first() {
        None => String::new(),
        Some(source) => std::env::var(PASSWORD_VAR).map_err(|_| {
            usage(format!(
                "set {PASSWORD_VAR} to the password of '{}' (it is never read from the command line)",
                source.user
            ))
        })?,
    };
    if watch {
        return watch_imap(cli, ws, &sources[0], &password, move_to);
    }
    let now = ws.now();
    let mut tally = IngestTally::new();
    let progress = super::progress::Progress::counter(cli, "ingesting");
    for path in files {
        for item in read_path(path, now) {
            progress.advance(1);
            match item.event {
                Err(why) => tally.skipped(cli, item.source, why, item.code),
                Ok(event) => {
                    // Each item is its own transaction: the ones before
                    // this one are saved, this one and the rest are not.
                    let outcomes = ws.apply_inbound(&event).map_err(|e| match e {
                        DomainError::Storage(why) => Failure {
                            code: 1,
                            message: format!(
                                "{why} while applying {}; the {} items before it were applied (ingesting them again changes nothing), it and the rest were not",
                                item.source, tally.applied
                            ),
                        },
                        other => other.into(),
                    })?;
                    tally.applied(&item.source, outcomes);
                }
            }
        }
    }
    for source in &sources {
        let mut mailbox =
            Mailbox::open(source, &password).map_err(|e| imap_failure(e, tally.applied))?;
        let report = mailbox
            .sync(ws, move_to)
            .map_err(|e| imap_failure(e, tally.applied))?;
        mailbox.close();
        tally.add_sync(cli, source, report);
    }
    progress.finish();
    print_ingest(cli, &tally, false)?;
    Ok(if tally.failed > 0 { 1 } else { 0 })
}

/// The table and summary of `ingest` (with `--json`, an array of lines,
/// or one line each when `compact`, as `--watch` prints them).
fn print_ingest(cli: &Cli, tally: &IngestTally, compact: bool) -> Result<(), Failure> {
    let lines = &tally.lines;
    if cli.json {
        if compact {
            for line in lines {
                super::output::json_line(line)?;
            }
        } else {
            json(&IngestJson::of(tally))?;
        }
        return Ok(());
    }
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
    // Item by item only when asked (-v) or as `--watch` goes; otherwise
    // the summary below says it (20,000 lines help nobody).
    if !rows.is_empty() && (compact || super::output::style().verbose) {
        table(
            &["SOURCE", "TYPE", "CONTACT", "ENROLLMENT", "ACTION", "WHY"],
            &rows,
        );
    }
    let c = tally.counts();
    outln!(
        "{} items: {} ended, {} paused, {} recorded, {} unverified, {} duplicates, {} ignored, {} unreadable.",
        lines.len(),
        c.ended,
        c.paused,
        c.recorded,
        c.unverified,
        c.duplicate,
        c.ignored,
        c.unreadable
    );
    Ok(())
}

/// How often `ingest --watch` re-issues IDLE (or polls without it), and
/// so how long Ctrl-C may take to be noticed.
const WATCH_TICK: Duration = Duration::from_secs(5);
/// The longest wait between two reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// `ingest imap://… --watch`: read what is new, wait (IDLE, else poll),
/// again, until Ctrl-C or SIGTERM. A lost connection is said on stderr and
/// retried with a doubling wait; a refused login or a lost workspace ends.
fn watch_imap(
    cli: &Cli,
    ws: &mut Workspace,
    source: &ImapSource,
    password: &str,
    move_to: Option<&str>,
) -> Outcome {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .map_err(|e| anyhow::anyhow!("cannot watch for Ctrl-C: {e}"))?;
    }
    let _log = crate::log::start();
    tracing::info!("ingest --watch started on {}", source.shown());
    let mut mailbox = Some(Mailbox::open(source, password).map_err(|e| {
        let failure = imap_failure(e, 0);
        tracing::error!("ingest --watch stopped: {}", failure.message);
        failure
    })?);
    super::output::note(&format!(
        "watching {} ({}); Ctrl-C stops.",
        source.shown(),
        if mailbox.as_ref().is_some_and(Mailbox::has_idle) {
            "IDLE"
        } else {
            "polling: the server offers no IDLE"
        }
    ));
    let mut backoff = Duration::from_secs(1);
    let mut applied = 0;
    while !stop.load(Ordering::Relaxed) && !super::output::failed() {
        let step = match mailbox.as_mut() {
            Some(open) => open.sync(ws, move_to).and_then(|report| {
                let mut tally = IngestTally::new();
                tally.add_sync(cli, source, report);
                applied += tally.applied;
                tracing::info!(
                    "ingest cycle on {}: {} applied, {} items",
                    source.shown(),
                    tally.applied,
                    tally.lines.len()
                );
                if !tally.lines.is_empty() {
                    print_ingest(cli, &tally, true).map_err(|f| ImapError::Server(f.message))?;
                }
                open.wait(WATCH_TICK, &stop)
            }),
            None => Mailbox::open(source, password).map(|open| {
                super::output::note(&format!("reconnected to {}", source.shown()));
                backoff = Duration::from_secs(1);
                mailbox = Some(open);
            }),
        };
        match step {
            Ok(()) => {}
            Err(ImapError::Connection(why)) => {
                mailbox = None;
                tracing::warn!(
                    "ingest --watch: {why}; reconnecting in {}s",
                    backoff.as_secs()
                );
                super::output::note(&format!("{why}; reconnecting in {}s", backoff.as_secs()));
                let until = std::time::Instant::now() + backoff;
                while std::time::Instant::now() < until && !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(100));
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            Err(e) => {
                let failure = imap_failure(e, applied);
                tracing::error!("ingest --watch stopped: {}", failure.message);
                return Err(failure);
            }
        }
    }
    if let Some(open) = mailbox {
        open.close();
    }
    tracing::info!("ingest --watch stopped");
    super::output::note("stopped.");
    Ok(0)
}
