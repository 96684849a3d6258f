//! Running due steps: rendering emails into RFC 5322 messages and putting
//! them into the outbox Maildir exactly once.
//!
//! # The exactly-once protocol
//!
//! A step is executed by one database transaction and one file:
//!
//! 1. The message is rendered in memory. Its file name is derived from the
//!    workspace id and the scheduled step id, so every attempt at the same
//!    step produces the same name; its Message-ID carries 128 random bits
//!    (see [`message_id`]), so it is chosen here once and kept from step 2
//!    on: the journal holds the very bytes, ID included, that step 3 and
//!    any redone delivery write.
//! 2. One transaction claims the step (`UPDATE … WHERE state = 'scheduled'`
//!    and the enrollment is still active at that step), records the sent
//!    email, moves the enrollment on, and journals the message bytes in the
//!    `outbox` table. A run that loses the claim to another run skips the
//!    step; so two overlapping runs never both send it.
//! 3. After the commit the message is written to `tmp/` under a name unique
//!    to this process, synced, and hard-linked to `new/<file name>`; if
//!    `new/` (or `cur/`, once a mail client picked it up) already has that
//!    name, the link is not made. Then the tmp file is removed and the
//!    journal row deleted.
//!
//! A crash before the commit leaves no trace in the database (the step is
//! still scheduled and runs next time; a stray tmp file is removed by a
//! later run after an hour). A crash after the commit leaves the journal
//! row: every run starts by delivering the journal (step 3), and the fixed
//! file name makes delivering twice land one file. So nothing is lost and
//! nothing is doubled. The one remaining window — a mail client moving the
//! file from `new/` to `cur/` between the check and the link while a crashed
//! delivery is being redone — needs a crash and a concurrent client at the
//! same instant.
//!
//! Through a server (`--deliver smtp://…`, `sendmail`) step 3 is different,
//! because a server cannot be asked whether it already has a message: the
//! journal row is marked *handing over* (committed) right before the data
//! and its final "." go out in one write, and a run that finds the mark
//! counts the message as delivered, reported as unconfirmed (its answer
//! unseen), instead of sending it again. Exactly once but for a kill in the
//! microseconds between the mark and the write (then at most once, the
//! message reported); see [`super::deliver`], docs/engine.md "The outbox" and the
//! SMTP SIGKILL suite in tests/crash.rs. A message a server keeps
//! deferring (4xx) becomes a bounce after `[smtp] defer_limit_hours`.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::bounce;
use super::deliver::{Deliver, Handed};
pub use super::message::{Merge, UnsubscribeTo, execute, file_name, message_id, render};
use crate::domain::*;

/// How many due steps one transaction handles.
pub const BATCH: usize = 500;

/// Where the outbox is when `--outbox` is not given: beside the workspace
/// file; for a PostgreSQL workspace, in the platform data directory.
pub fn default_outbox(db: &Path) -> PathBuf {
    if crate::store::postgres_url(db).is_some() {
        // A database has no folder of its own: the platform data directory.
        return directories::ProjectDirs::from("", "", "seqtui")
            .map(|d| d.data_dir().join("outbox"))
            .unwrap_or_else(|| PathBuf::from("outbox"));
    }
    match db.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join("outbox"),
        _ => PathBuf::from("outbox"),
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RunReport {
    /// The outbox Maildir, when the messages go to one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outbox: Option<PathBuf>,
    /// Where the messages go: the Maildir folder, `smtp://…`, `sendmail:…`.
    pub deliver: String,
    pub emails_sent: usize,
    pub tasks_created: usize,
    pub finished: usize,
    pub resumed: usize,
    /// Messages an earlier run journaled (an interrupted run's, or ones a
    /// server deferred) and this run delivered; not those deferred or
    /// refused again.
    pub recovered: usize,
    /// Steps another run executed first, in the one vocabulary: the
    /// enrollment's id, code `already_run`, and which step.
    pub skipped: Vec<Skipped>,
    /// R19: automatic emails moved to a later slot by this run (outside
    /// the sending window or over the sender's daily cap), and the latest
    /// slot one was moved to.
    pub deferred: usize,
    pub deferred_until: Option<Timestamp>,
    /// `deferred` by reason: `window` and `cap`.
    pub deferred_by: Deferrals,
    pub next_due_at: Option<Timestamp>,
    /// Messages a server (SMTP, sendmail) accepted in this run.
    pub delivered: usize,
    /// Messages a server deferred (a 4xx answer) in this run: they stay
    /// journaled and are tried again from `next_delivery_try`.
    pub delivery_deferred: usize,
    pub next_delivery_try: Option<Timestamp>,
    /// Messages a server refused (a 5xx answer), each applied as a bounce.
    pub refused: Vec<Refusal>,
    /// Messages an interrupted run had started handing to a server without
    /// recording its answer: handed over whole (but for a kill in the
    /// microseconds before the write), counted as sent, not sent again.
    pub unconfirmed: Vec<Unconfirmed>,
}

/// A message a server refused, and what the bounce did (R9).
#[derive(Debug, Clone, Serialize)]
pub struct Refusal {
    pub message_id: String,
    pub recipient: String,
    /// The server's answer: `550 5.1.1 user unknown`.
    pub answer: String,
    pub verdict: BounceVerdict,
    pub reason: BounceReason,
    pub outcome: IngestOutcome,
    /// The answer was a 4xx after the message had been deferred for
    /// `[smtp] defer_limit_hours` (a 5xx answer: false).
    pub given_up: bool,
}

/// A message possibly sent: see [`RunReport::unconfirmed`].
#[derive(Debug, Clone, Serialize)]
pub struct Unconfirmed {
    pub message_id: String,
    pub recipient: String,
}

/// An outbox Maildir: `tmp/`, `new/`, `cur/`.
pub struct Maildir {
    root: PathBuf,
    /// Names already in `cur/` (before the `:2,` flags), read once.
    in_cur: HashSet<String>,
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl Maildir {
    pub fn open(root: &Path) -> std::io::Result<Maildir> {
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(root.join(sub))?;
        }
        let mut in_cur = HashSet::new();
        for entry in std::fs::read_dir(root.join("cur"))? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            let base = name.split(':').next().unwrap_or_default().to_string();
            in_cur.insert(base);
        }
        Ok(Maildir {
            root: root.to_path_buf(),
            in_cur,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Puts `message` into `new/<name>` unless it is already in `new/` or
    /// `cur/`. Returns whether this call delivered it.
    pub fn deliver(&self, name: &str, message: &[u8]) -> std::io::Result<bool> {
        let target = self.root.join("new").join(name);
        if self.in_cur.contains(name) || target.exists() {
            return Ok(false);
        }
        let tmp = self.root.join("tmp").join(format!(
            "{name}.{}.{}",
            std::process::id(),
            TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let written = (|| {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(message)?;
            file.sync_all()
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        let linked = match std::fs::hard_link(&tmp, &target) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            // A file system without hard links: rename, after the check above.
            Err(_) => std::fs::rename(&tmp, &target).map(|()| true),
        };
        let _ = std::fs::remove_file(&tmp);
        linked
    }

    /// Makes the new entries durable (the directory itself).
    pub fn sync(&self) {
        if let Ok(dir) = std::fs::File::open(self.root.join("new")) {
            let _ = dir.sync_all();
        }
    }

    /// Removes this workspace's tmp files older than an hour: left by a run
    /// that died before its commit (the step is still scheduled) or after
    /// delivering (the file is in `new/`).
    pub fn clean_tmp(&self, workspace_id: &str) {
        let prefix = format!("seqtui-{workspace_id}-");
        let Ok(entries) = std::fs::read_dir(self.root.join("tmp")) else {
            return;
        };
        let hour_ago = SystemTime::now() - Duration::from_secs(3600);
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t < hour_ago);
            if name.starts_with(&prefix) && old {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

fn io_error(outbox: &Path, e: std::io::Error) -> DomainError {
    DomainError::Storage(format!("cannot write the outbox {}: {e}", outbox.display()))
}

/// Where a run puts its messages.
pub enum Delivery {
    /// The outbox Maildir: idempotent by file name.
    Maildir(Maildir),
    /// A server (SMTP, sendmail), described for reports.
    Server(String, Box<dyn Deliver>),
}

impl Delivery {
    pub fn describe(&self) -> String {
        match self {
            Delivery::Maildir(m) => m.root().display().to_string(),
            Delivery::Server(what, _) => what.clone(),
        }
    }
}

/// The value of header `name` (unfolded) in a message seqtui composed.
fn header_value(message: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(message);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let mut value: Option<String> = None;
    for line in head.split("\r\n") {
        if let Some(v) = value.as_mut() {
            if line.starts_with([' ', '\t']) {
                v.push_str(line);
                continue;
            }
            break;
        }
        if let Some((n, v)) = line.split_once(':')
            && n.eq_ignore_ascii_case(name)
        {
            value = Some(v.trim().to_string());
        }
    }
    value
}

/// The address inside the last `<…>` of a header.
fn address_in(message: &[u8], name: &str) -> Option<String> {
    let v = header_value(message, name)?;
    let start = v.rfind('<')?;
    let end = v[start..].find('>')? + start;
    Some(v[start + 1..end].to_string())
}

/// The test hook of the crash tests: `SEQTUI_TEST_KILL_AFTER_ACCEPT=N`
/// makes the process kill itself with SIGKILL right after a server
/// accepted its N-th message, before that is recorded. Never set it
/// outside a test.
fn test_kill_after_accept(accepted: usize) {
    if let Ok(n) = std::env::var("SEQTUI_TEST_KILL_AFTER_ACCEPT")
        && n.parse::<usize>().ok() == Some(accepted)
    {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &std::process::id().to_string()])
            .status();
        std::process::abort();
    }
}

/// Delivers journaled messages; returns how many are delivered now (taken
/// by the Maildir or a server, or handed over whole by an interrupted
/// run): not those a server deferred or refused.
fn deliver_all(
    ws: &mut Workspace,
    delivery: &mut Delivery,
    messages: &[OutboxMessage],
    report: &mut RunReport,
) -> Result<usize> {
    let server = match delivery {
        Delivery::Maildir(maildir) => {
            for m in messages {
                maildir
                    .deliver(&m.file_name, &m.message)
                    .map_err(|e| io_error(maildir.root(), e))?;
            }
            maildir.sync();
            let ids: Vec<i64> = messages.iter().map(|m| m.sent_email_id).collect();
            ws.mark_delivered(&ids)?;
            return Ok(messages.len());
        }
        Delivery::Server(_, server) => server,
    };
    let mut delivered = 0;
    for m in messages {
        let id = m.sent_email_id;
        let message_id = header_value(&m.message, "Message-ID").unwrap_or_default();
        let to = address_in(&m.message, "To").unwrap_or_default();
        if m.handing_over {
            // An earlier run died after handing the message over whole
            // (its data and final "." go out in one write right after the
            // mark) and before recording the answer: the server has it,
            // unless it refused it at the final ".", and SMTP cannot be
            // asked. Sending it again would deliver it twice: it counts as
            // delivered and is reported, its answer unseen.
            ws.mark_delivered(&[id])?;
            delivered += 1;
            report.unconfirmed.push(Unconfirmed {
                message_id,
                recipient: to,
            });
            continue;
        }
        let from = address_in(&m.message, "From").unwrap_or_default();
        let handed = server.hand_over(&from, &to, &m.message, &mut || ws.mark_handing_over(id))?;
        match handed {
            Handed::Accepted => {
                delivered += 1;
                report.delivered += 1;
                test_kill_after_accept(report.delivered);
                ws.mark_delivered(&[id])?;
            }
            Handed::Deferred(answer) => {
                if ws.now() - m.sent_at >= ws.rules().smtp_defer_limit() {
                    // Deferred for too long: the answer is a bounce now.
                    let (code, text) = match answer.split_once(' ') {
                        Some((code, text)) if code.len() == 3 => (code, text),
                        _ => ("4", answer.as_str()),
                    };
                    refuse(ws, m, &message_id, &to, code, text, true, report)?;
                } else {
                    ws.defer_delivery(id, m.attempts)?;
                    report.delivery_deferred += 1;
                }
            }
            Handed::Refused { code, text } => {
                refuse(ws, m, &message_id, &to, &code, &text, false, report)?;
            }
        }
    }
    Ok(delivered)
}

/// Applies a server's negative answer to a message as the bounce it
/// amounts to (R9, hard or soft by the classifier from the answer's text
/// and status) and drops the message from the journal, in one
/// transaction. `given_up`: a 4xx answer after the message was deferred
/// for `Rules::smtp_defer_limit`.
#[allow(clippy::too_many_arguments)]
fn refuse(
    ws: &mut Workspace,
    m: &OutboxMessage,
    message_id: &str,
    to: &str,
    code: &str,
    text: &str,
    given_up: bool,
    report: &mut RunReport,
) -> Result<()> {
    let answer = format!("{code} {text}").trim().to_string();
    let status = bounce::find_status(text).or_else(|| {
        code.chars()
            .next()
            .filter(|c| matches!(c, '4' | '5'))
            .map(|c| format!("{c}.0.0"))
    });
    let decision = bounce::decide(status.as_deref(), None, &[text], bounce::Fallback::None);
    let recipient = BounceRecipient {
        address: Some(to.to_string()),
        verdict: decision.verdict,
        reason: decision.reason,
        diagnostic: decision.line.unwrap_or_else(|| answer.clone()),
        status,
    };
    let event = InboundEvent {
        id: format!("smtp-refused:{message_id}"),
        at: ws.now(),
        inbound: Inbound::Bounce {
            recipients: vec![recipient],
            message_ids: vec![message_id.to_string()],
            references: Vec::new(),
        },
    };
    let outcome = ws.reject_delivery(m.sent_email_id, &event)?;
    report.refused.push(Refusal {
        message_id: message_id.to_string(),
        recipient: to.to_string(),
        answer,
        verdict: decision.verdict,
        reason: decision.reason,
        outcome,
        given_up,
    });
    Ok(())
}

/// One pass: recover the journal, resume ended pauses, then execute every
/// step due at the workspace clock, in batches, until none is left. Each
/// batch is its own transaction: when one fails, the sentence says what the
/// batches before it saved (see [`interrupted`]).
pub fn run_once(ws: &mut Workspace, outbox: &Path) -> Result<RunReport> {
    let maildir = Maildir::open(outbox).map_err(|e| io_error(outbox, e))?;
    run_delivering(ws, &mut Delivery::Maildir(maildir))
}

/// [`run_once`] into any [`Delivery`].
pub fn run_delivering(ws: &mut Workspace, delivery: &mut Delivery) -> Result<RunReport> {
    let workspace_id = ws.workspace_id()?;
    let mut report = RunReport {
        deliver: delivery.describe(),
        ..RunReport::default()
    };
    if let Delivery::Maildir(maildir) = delivery {
        maildir.clean_tmp(&workspace_id);
        report.outbox = Some(maildir.root().to_path_buf());
    }
    let mut journaled = 0;
    let result = match delivery {
        Delivery::Server(_, server) => server.open(),
        Delivery::Maildir(_) => Ok(()),
    }
    .and_then(|()| run_pass(ws, delivery, &workspace_id, &mut report, &mut journaled));
    if let Delivery::Server(_, server) = delivery {
        server.close();
    }
    match result {
        Ok(()) => Ok(report),
        Err(e) => Err(interrupted(e, &report, journaled)),
    }
}

fn run_pass(
    ws: &mut Workspace,
    delivery: &mut Delivery,
    workspace_id: &str,
    report: &mut RunReport,
    journaled: &mut usize,
) -> Result<()> {
    let mut after = 0;
    loop {
        let pending = ws.pending_outbox(after, BATCH)?;
        let Some(last) = pending.last() else {
            break;
        };
        after = last.sent_email_id;
        // Journaled by an earlier run: an interrupted one's, or ones a
        // server deferred; only those delivered now count as recovered.
        report.recovered += deliver_all(ws, delivery, &pending, report)?;
    }
    report.resumed = ws.resume_ended_pauses()?.len();
    // Steps of enrollments ended in a large batch are never due, but they
    // sit in the due index until tidied: tidy first so the walk is short.
    ws.tidy_all()?;
    let now = ws.now();
    let unsubscribe = UnsubscribeTo::from_rules(ws.rules());
    let mut sending = SendingState::default();
    // The walk goes through the due index once per pass, continuing after
    // the last row it read, so the rows it passes over (paused
    // enrollments, steps not yet current) are read once per pass, not once
    // per batch. A pass that sent emails moved enrollments on, whose next
    // steps may be due already (earlier in the index): another pass.
    let mut cursor: Option<DueCursor> = None;
    let mut moved_on = false;
    loop {
        // Claimed (on PostgreSQL: locked, so that another worker takes the
        // next batch) until recorded; see `Workspace::claim_due_steps`.
        let due = ws.claim_due_steps(now, cursor.as_ref(), BATCH)?;
        let claimed = claimed_batch(ws, due, now, &mut sending, |step| {
            execute(step, workspace_id, now, &unsubscribe)
        });
        let claimed = match claimed {
            Ok(claimed) => {
                ws.end_claim(true)?;
                claimed
            }
            Err(e) => {
                let _ = ws.end_claim(false);
                return Err(e);
            }
        };
        let batch = match claimed {
            Claimed::Nothing => {
                if !moved_on {
                    break;
                }
                cursor = None;
                moved_on = false;
                continue;
            }
            Claimed::Held(last) => {
                cursor = Some(last);
                continue;
            }
            Claimed::Recorded(last, batch) => {
                cursor = Some(last);
                batch
            }
        };
        // Recorded and journaled: sent, as far as the workspace knows,
        // even if writing the files fails now (the next run writes them).
        report.tasks_created += batch.tasks;
        report.finished += batch.finished.len();
        report.skipped.extend(batch.skipped);
        *journaled = batch.emails;
        deliver_all(ws, delivery, &batch.outbox, report)?;
        *journaled = 0;
        report.emails_sent += batch.emails;
        if batch.emails + batch.tasks + batch.changed == 0 {
            // Every step of the batch was taken by another run; what is
            // left is that run's to do.
            break;
        }
        // Steps whose enrollment changed hands meanwhile are read again on
        // the next pass.
        moved_on |= batch.emails + batch.changed > 0;
    }
    report.deferred = sending.deferred.total();
    report.deferred_until = sending.deferred.until;
    report.deferred_by = sending.deferred;
    report.next_due_at = ws.next_due()?;
    report.next_delivery_try = ws.next_delivery_try()?;
    Ok(())
}

/// What a batch of claimed due steps came to.
enum Claimed {
    /// Nothing is due after the cursor.
    Nothing,
    /// Every step was held for its sending window or cap (R19); the walk
    /// goes on after the cursor.
    Held(DueCursor),
    /// Recorded, up to the cursor.
    Recorded(DueCursor, ExecutionReport),
}

/// Holds the claimed steps R19 keeps for later, renders the rest
/// (`render`) and records them, all inside the claim.
fn claimed_batch(
    ws: &mut Workspace,
    due: Vec<DueStep>,
    now: Timestamp,
    sending: &mut SendingState,
    render: impl Fn(&DueStep) -> Result<ExecutedStep>,
) -> Result<Claimed> {
    let Some(last) = due.last().map(|step| step.cursor.clone()) else {
        return Ok(Claimed::Nothing);
    };
    // R19: emails outside their window or over their sender's cap move
    // to their next slot; the rest run now.
    let due = ws.hold_for_sending(due, now, sending)?;
    if due.is_empty() {
        return Ok(Claimed::Held(last));
    }
    let executed: Vec<ExecutedStep> = due.iter().map(render).collect::<Result<_>>()?;
    Ok(Claimed::Recorded(last, ws.record_executed(&executed)?))
}

/// A run that failed part-way, as one sentence: what failed, then what the
/// transactions before it saved (nothing is undone: those emails are
/// recorded and in the outbox) and what is left for the next run.
fn interrupted(e: DomainError, report: &RunReport, journaled: usize) -> DomainError {
    let why = match e {
        DomainError::Storage(why) => why,
        DomainError::Busy => e.to_string(),
        other => return other,
    };
    let mut saved = Vec::new();
    let mut count = |n: usize, what: &str| {
        if n > 0 {
            saved.push(format!("{n} {what}"));
        }
    };
    count(
        report.recovered,
        "emails of an earlier run's outbox delivered",
    );
    count(
        report.resumed,
        "enrollments resumed after an engine pause (out-of-office or soft-bounce retry)",
    );
    let recorded = report.emails_sent + journaled;
    if journaled == 0 {
        count(recorded, "emails recorded and put into the outbox");
    } else {
        count(
            recorded,
            &format!(
                "emails recorded ({journaled} of them not all in the outbox yet: the next run puts them there, once each)"
            ),
        );
    }
    count(report.tasks_created, "tasks created");
    count(report.finished, "enrollments finished");
    if saved.is_empty() {
        DomainError::Storage(format!(
            "{why}; this run sent nothing and the due steps stay due for the next `seqtui run`"
        ))
    } else {
        DomainError::Storage(format!(
            "{why}; before that, this run saved: {}; the steps still due run with the next `seqtui run`",
            saved.join(", ")
        ))
    }
}
