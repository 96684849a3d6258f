//! `ingest imap://…` throughput (issue 16, target ≥ 500 messages/s): a
//! real Dovecot on 127.0.0.1 (tests/support/dovecot.rs; Debian package
//! `dovecot-imapd`) holding `SEQTUI_BENCH_MESSAGES` replies (default 5,000)
//! to emails a fresh workspace just sent; timed from the connection to the
//! last message applied, through the same code as `seqtui ingest`
//! (`Mailbox::open` + `Mailbox::sync`: UID SEARCH, UID FETCH in batches,
//! parse, apply with the cursor in each message's transaction).
//!
//! ```sh
//! cargo bench --bench imap
//! SEQTUI_BENCH_MESSAGES=20000 cargo bench --bench imap
//! ```

use std::path::PathBuf;
use std::time::Instant;

use chrono::{TimeZone, Utc};
#[path = "support/engine_setup.rs"]
mod setup;
#[path = "../tests/support/mod.rs"]
mod support;

use seqtui::domain::*;
use seqtui::engine::imap::{ImapSource, Mailbox};
use seqtui::engine::outbox::run_once;
use setup::{outbox_emails, secs, size, small_workspace, thousands};
use support::dovecot::Dovecot;

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` does not: then
    // only prove the benchmark still builds.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let messages = size("SEQTUI_BENCH_MESSAGES", 5000);
    let base = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&tmp).expect("target tmp dir");
    let dir = tempfile::tempdir_in(&tmp).expect("temp dir");
    let path = dir.path().join("bench.db");
    small_workspace(&path, base, messages);
    let mut ws = Workspace::open(&path, Clock::Fixed(base)).expect("open");
    let outbox = dir.path().join("outbox");
    run_once(&mut ws, &outbox).expect("run");
    let emails = outbox_emails(&outbox);
    assert!(!emails.is_empty(), "nothing sent");

    let server = Dovecot::start();
    let appending = Instant::now();
    let mut session = server.session();
    for i in 0..messages {
        let e = &emails[i % emails.len()];
        let text = format!(
            "From: <{to}>\r\nTo: <rep@bench.example>\r\nSubject: Re: {subject}\r\n\
             Date: Mon, 2 Nov 2026 10:00:00 +0000\r\nMessage-ID: <imap-reply{i}@client.example>\r\n\
             In-Reply-To: <{id}>\r\nReferences: <{id}>\r\nMIME-Version: 1.0\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\nThanks, let's talk next week.\r\n\r\n> Hello\r\n",
            to = e.to,
            subject = e.subject,
            id = e.id.trim_matches(['<', '>']),
        );
        session
            .append("INBOX", text.as_bytes())
            .finish()
            .expect("append");
    }
    let _ = session.logout();
    println!(
        "appended {} messages to Dovecot in {:.1} s",
        thousands(messages),
        secs(appending.elapsed())
    );

    let source = ImapSource::parse(&server.url("INBOX")).expect("url");
    let start = Instant::now();
    let mut mailbox = Mailbox::open(&source, server.password).expect("connect");
    let report = mailbox.sync(&mut ws, None).expect("sync");
    mailbox.close();
    let took = start.elapsed();
    let ended = report
        .items
        .iter()
        .flat_map(|(_, o)| o)
        .filter(|o| o.action == IngestAction::Ended)
        .count();
    assert_eq!(report.items.len(), messages, "not every message was read");
    println!();
    println!("| ingest imap:// | |");
    println!("| --- | --- |");
    println!(
        "| messages | {} ({} ended an enrollment) |",
        thousands(messages),
        thousands(ended)
    );
    println!("| time | {:.2} s |", secs(took));
    println!(
        "| throughput | {} messages/s |",
        thousands((messages as f64 / secs(took)) as usize)
    );
}
