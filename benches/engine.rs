//! The engine at scale (issue 4): `run` of N due steps into the outbox
//! Maildir, then `ingest` of an mbox of M mixed messages — replies to the
//! emails just written, automatic replies, unrelated mail.
//!
//! ```sh
//! cargo bench --bench engine                               # quick: a small new workspace
//! SEQTUI_BENCH_DB=/tmp/m1.db cargo bench --bench engine    # a copy of an existing workspace
//! ```
//!
//! With `SEQTUI_BENCH_DB` the file (and a non-empty `-wal` beside it) is
//! copied into a temporary directory under `target/tmp` first; the source is
//! never opened. The workspace clock is then set to the earliest minute at
//! which at least `SEQTUI_BENCH_STEPS` (default 100,000) steps are due, and
//! `run_once` executes everything due then. Without it, a workspace with
//! `SEQTUI_BENCH_STEPS` (default 5,000) contacts enrolled in a two-email
//! sequence is built and its first steps are due.
//!
//! The mbox has `SEQTUI_BENCH_MESSAGES` messages (default: 100,000 with
//! `SEQTUI_BENCH_DB`, else the number of steps), interleaved 3:1:1 — 60 %
//! replies (From the contact, In-Reply-To/References an outbox Message-ID),
//! 20 % automatic replies (`Auto-Submitted: auto-replied`, out-of-office
//! subjects in six languages, a return date) on other outbox emails, 20 %
//! unrelated mail from unknown senders. With fewer outbox emails than
//! replies, emails are reused (a second reply to an ended enrollment is
//! recorded, not ended).
//!
//! The figures end with a markdown table for BENCHMARKS.md.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{TimeZone, Utc};
#[path = "figures.rs"]
mod figures;
#[path = "support/engine_setup.rs"]
mod setup;

use seqtui::domain::*;
use seqtui::engine::outbox::run_once;
use seqtui::engine::read_path;
use setup::{Sent, outbox_emails, secs, size, small_workspace, thousands};

/// Copies `source` (and its WAL when it holds anything) to `to`.
fn copy_workspace(source: &Path, to: &Path) {
    std::fs::copy(source, to).expect("copy the workspace");
    let wal = PathBuf::from(format!("{}-wal", source.display()));
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        std::fs::copy(&wal, format!("{}-wal", to.display())).expect("copy the WAL");
    }
}

/// The earliest whole minute from `from` on (at most a year later) at which
/// at least `target` steps are due, and how many are due then. Doubling
/// from an hour first, then halving: a count far in the future scans
/// millions of rows.
fn clock_for(ws: &mut Workspace, from: Timestamp, target: usize) -> (Timestamp, usize) {
    let at = |m: i64| from + chrono::Duration::minutes(m);
    let mut count = |m: i64| ws.due_step_count(at(m)).expect("count");
    let (mut lo, mut hi) = (0i64, 60i64);
    if count(0) >= target {
        hi = 0;
    } else {
        let year = 366 * 24 * 60;
        while hi < year && count(hi) < target {
            lo = hi + 1;
            hi = (hi * 2).min(year);
        }
        if hi == year && count(hi) < target {
            lo = hi;
        }
    }
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if count(mid) >= target {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    (at(hi), count(hi))
}

/// Out-of-office subjects and first lines, one per language.
const AUTO: &[(&str, &str)] = &[
    (
        "Out of Office",
        "I am out of the office and back on 20 November 2026.",
    ),
    (
        "Abwesenheitsnotiz",
        "Ich bin nicht im Büro und ab dem 20.11.2026 wieder da.",
    ),
    (
        "Réponse automatique",
        "Je suis absent et de retour le 20/11/2026.",
    ),
    (
        "Respuesta automática",
        "Estoy fuera de la oficina, de vuelta el 20/11/2026.",
    ),
    (
        "Risposta automatica",
        "Sono fuori ufficio fino al 20/11/2026.",
    ),
    ("Automatisch antwoord", "Ik ben afwezig tot 20-11-2026."),
];

/// The mbox: `messages` items interleaved reply, reply, reply, auto-reply,
/// unrelated. Returns the text and the count of each kind.
fn build_mbox(emails: &[Sent], messages: usize) -> (String, [usize; 3]) {
    let replies = messages * 3 / 5;
    let autos = messages / 5;
    let mut counts = [0usize; 3];
    let mut mbox = String::with_capacity(messages * 700);
    let date = "Mon, 2 Nov 2026 10:00:00 +0000";
    for i in 0..messages {
        let kind = match i % 5 {
            0..=2 if counts[0] < replies => 0,
            3 if counts[1] < autos => 1,
            _ if counts[0] < replies => 0,
            _ if counts[1] < autos => 1,
            _ => 2,
        };
        match kind {
            0 => {
                let e = &emails[counts[0] % emails.len()];
                mbox.push_str(&format!(
                    "From {to} Mon Nov  2 10:00:00 2026\nFrom: <{to}>\nTo: <rep@bench.example>\n\
                     Subject: Re: {subject}\nDate: {date}\nMessage-ID: <reply{i}@client.example>\n\
                     In-Reply-To: <{id}>\nReferences: <{id}>\nMIME-Version: 1.0\n\
                     Content-Type: text/plain; charset=utf-8\n\n\
                     Thanks, let's talk next week.\n\n> Hello\n\n",
                    to = e.to,
                    subject = e.subject,
                    id = e.id,
                ));
            }
            1 => {
                let e = &emails[(replies + counts[1]) % emails.len()];
                let (subject, body) = AUTO[counts[1] % AUTO.len()];
                mbox.push_str(&format!(
                    "From {to} Mon Nov  2 10:00:00 2026\nFrom: <{to}>\nTo: <rep@bench.example>\n\
                     Subject: {subject}: {original}\nDate: {date}\nMessage-ID: <auto{i}@client.example>\n\
                     In-Reply-To: <{id}>\nReferences: <{id}>\nAuto-Submitted: auto-replied\n\
                     MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\
                     Content-Transfer-Encoding: 8bit\n\n{body}\n\n",
                    to = e.to,
                    original = e.subject,
                    id = e.id,
                ));
            }
            _ => {
                let n = counts[2];
                mbox.push_str(&format!(
                    "From news{n}@unrelated{d}.example Mon Nov  2 10:00:00 2026\n\
                     From: \"Newsletter {d}\" <news{n}@unrelated{d}.example>\nTo: <rep@bench.example>\n\
                     Subject: Weekly digest #{n}\nDate: {date}\nMessage-ID: <digest{i}@unrelated{d}.example>\n\
                     MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n\
                     This week's news, number {n}.\n\n",
                    d = n % 50,
                ));
            }
        }
        counts[kind] += 1;
    }
    (mbox, counts)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` does not: then
    // only prove the benchmark still builds.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let source = std::env::var("SEQTUI_BENCH_DB").ok();
    let big = source.is_some();
    let target = size("SEQTUI_BENCH_STEPS", if big { 100_000 } else { 5000 });
    let messages = size("SEQTUI_BENCH_MESSAGES", if big { 100_000 } else { target });
    let base = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&tmp).expect("target tmp dir");
    let dir = tempfile::tempdir_in(&tmp).expect("temp dir");
    let path = dir.path().join("bench.db");
    let mut rows: Vec<(String, String)> = Vec::new();

    let setup = Instant::now();
    let shown = match &source {
        Some(source) => {
            copy_workspace(Path::new(source), &path);
            format!("copy of {source}")
        }
        None => {
            small_workspace(&path, base, target);
            format!(
                "new, {} contacts in one two-email sequence",
                thousands(target)
            )
        }
    };
    println!("workspace: {shown} ready in {:.1} s", secs(setup.elapsed()));
    rows.push(("workspace".into(), shown));

    // ---------------------------------------------------------------- run
    let mut ws = Workspace::open(&path, Clock::Fixed(base)).expect("open");
    let from = ws.next_due().expect("next due").unwrap_or(base).min(base);
    let searching = Instant::now();
    let (now, due) = clock_for(&mut ws, from, target);
    println!(
        "clock: {} steps due at {now} (found in {:.1} s)",
        thousands(due),
        secs(searching.elapsed())
    );
    drop(ws);
    let mut ws = Workspace::open(&path, Clock::Fixed(now)).expect("open");
    let outbox = dir.path().join("outbox");
    let started = Instant::now();
    let report = run_once(&mut ws, &outbox).expect("run");
    let run_time = started.elapsed();
    let executed = report.emails_sent + report.tasks_created;
    println!(
        "run: {executed} steps ({} emails, {} tasks, {} enrollments finished, {} skipped) in {:.1} s ({:.0} steps/s)",
        report.emails_sent,
        report.tasks_created,
        report.finished,
        report.skipped.len(),
        secs(run_time),
        executed as f64 / secs(run_time)
    );
    assert!(
        executed >= due.min(target),
        "run executed fewer steps than due"
    );
    rows.push((
        "run: clock (`--now`)".into(),
        now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    ));
    rows.push((
        "run: steps due at the clock".into(),
        format!("{} (at their enrollment's current step)", thousands(due)),
    ));
    rows.push((
        "run: steps executed".into(),
        format!(
            "{} ({} emails written, {} tasks created; {} enrollments finished)",
            thousands(executed),
            thousands(report.emails_sent),
            thousands(report.tasks_created),
            thousands(report.finished)
        ),
    ));
    rows.push(("run: time".into(), format!("{:.1} s", secs(run_time))));
    rows.push((
        "run: throughput".into(),
        format!("{:.0} steps/s", executed as f64 / secs(run_time)),
    ));

    // ------------------------------------------------------------- ingest
    let preparing = Instant::now();
    let emails = outbox_emails(&outbox);
    assert!(!emails.is_empty(), "the run wrote no emails to reply to");
    let (mbox, counts) = build_mbox(&emails, messages);
    let mbox_path = dir.path().join("inbound.mbox");
    std::fs::write(&mbox_path, &mbox).expect("mbox");
    drop(mbox);
    println!(
        "mbox: {messages} messages ({} replies, {} auto-replies, {} unrelated) on {} outbox emails, {:.1} MB, built in {:.1} s",
        counts[0],
        counts[1],
        counts[2],
        emails.len(),
        std::fs::metadata(&mbox_path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6,
        secs(preparing.elapsed())
    );

    let started = Instant::now();
    let items = read_path(&mbox_path, now);
    let parse_time = started.elapsed();
    let mut tally = [0usize; 5];
    let (mut colleagues, mut unreadable) = (0, 0);
    for item in items {
        let Ok(event) = item.event else {
            unreadable += 1;
            continue;
        };
        for outcome in ws.apply_inbound(&event).expect("applied") {
            colleagues += outcome.colleagues.len();
            tally[match outcome.action {
                IngestAction::Ended => 0,
                IngestAction::Paused => 1,
                IngestAction::Recorded | IngestAction::Unverified => 2,
                IngestAction::Duplicate => 3,
                IngestAction::Ignored => 4,
            }] += 1;
        }
    }
    let ingest_time = started.elapsed();
    let outcomes = format!(
        "{} ended (+{} colleague enrollments, R8), {} paused, {} recorded, {} duplicates, {} ignored, {} unreadable",
        thousands(tally[0]),
        thousands(colleagues),
        thousands(tally[1]),
        thousands(tally[2]),
        thousands(tally[3]),
        thousands(tally[4]),
        unreadable
    );
    println!(
        "ingest: parsed in {:.1} s, applied in {:.1} s, {:.1} s total ({:.0} messages/s): {outcomes}",
        secs(parse_time),
        secs(ingest_time - parse_time),
        secs(ingest_time),
        messages as f64 / secs(ingest_time)
    );
    rows.push((
        "ingest: mbox".into(),
        format!(
            "{} messages: {} replies, {} auto-replies, {} unrelated ({:.1} MB)",
            thousands(messages),
            thousands(counts[0]),
            thousands(counts[1]),
            thousands(counts[2]),
            std::fs::metadata(&mbox_path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6
        ),
    ));
    rows.push((
        "ingest: time".into(),
        format!(
            "{:.1} s (`read_path` {:.1} s + `apply_inbound` {:.1} s)",
            secs(ingest_time),
            secs(parse_time),
            secs(ingest_time - parse_time)
        ),
    ));
    rows.push((
        "ingest: throughput".into(),
        format!("{:.0} messages/s", messages as f64 / secs(ingest_time)),
    ));
    rows.push(("ingest: outcomes".into(), outcomes));

    figures::record("engine: run, steps executed", executed as f64, "", "");
    figures::record(
        "engine: run throughput",
        executed as f64 / secs(run_time),
        "steps/s",
        "",
    );
    figures::record("engine: ingest, messages", messages as f64, "", "");
    figures::record(
        "engine: ingest throughput",
        messages as f64 / secs(ingest_time),
        "messages/s",
        "",
    );
    println!("\n| figure | measured |\n|---|---|");
    for (name, value) in rows {
        println!("| {name} | {value} |");
    }
}
