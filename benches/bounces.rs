//! Bounce classification (issue 13): how fast inbound mail is read and
//! classified, on a mixed mbox whose bounces come in the shapes real mail
//! systems write, beside the full `ingest` of the same file.
//!
//! ```sh
//! cargo bench --bench bounces
//! SEQTUI_BENCH_MESSAGES=20000 cargo bench --bench bounces   # a quicker run
//! ```
//!
//! A new workspace of `SEQTUI_BENCH_STEPS` contacts (default 10,000)
//! enrolled in a two-email sequence is built in a temporary directory under
//! `target/tmp`, and `run` writes their first emails to the outbox. The
//! mbox then has `SEQTUI_BENCH_MESSAGES` messages (default 100,000), built
//! deterministically in a cycle of 20: 12 bounces, one of each shape in
//! [`SHAPES`] (RFC 3464 reports, plain-text qmail / Exim / Postfix / Domino
//! bounces, `multipart/mixed` ones, an Amazon SES notification, a Google
//! Groups relay), 4 replies, 2 out-of-office replies and 2 unrelated
//! messages, each about one of the emails just written.
//!
//! Timed: (a) classification — `read_path` of the mbox, which splits it and
//! parses and classifies every message (no database); (b) the full
//! `ingest` as `seqtui ingest` does it — `read_path` again, then
//! `apply_inbound` of every item. The figures end with a markdown table
//! for BENCHMARKS.md, with what each shape was read as.

use std::collections::BTreeMap;
use std::path::PathBuf;
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

/// One message of the mix, about the email `e`; `n` makes its ids unique.
type Shape = fn(e: &Sent, n: usize) -> String;

const DATE: &str = "Tue, 3 Nov 2026 10:00:00 +0000";

/// The headers of the email that bounced, as a returned copy holds them.
fn returned(e: &Sent) -> String {
    format!(
        "Return-Path: <rep@bench.example>\nFrom: Rita Rep <rep@bench.example>\nTo: <{to}>\n\
         Subject: {subject}\nDate: Mon, 2 Nov 2026 09:00:00 +0000\nMessage-ID: <{id}>\n\
         MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n",
        to = e.to,
        subject = e.subject,
        id = e.id
    )
}

/// An RFC 3464 report from `mta`, with `status`, `action` and `diagnostic`,
/// returning the headers (`text/rfc822-headers`) or the whole message.
fn dsn(
    e: &Sent,
    n: usize,
    mta: &str,
    action: &str,
    status: &str,
    diagnostic: &str,
    whole: bool,
) -> String {
    let (kind, copy) = if whole {
        ("message/rfc822", format!("{}\nHello.\n", returned(e)))
    } else {
        ("text/rfc822-headers", returned(e))
    };
    format!(
        "From: Mail Delivery System <MAILER-DAEMON@{mta}>\nTo: <rep@bench.example>\n\
         Subject: Undelivered Mail Returned to Sender\nDate: {DATE}\n\
         Message-ID: <dsn{n}@{mta}>\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"b{n}\"\n\n\
         --b{n}\nContent-Type: text/plain; charset=us-ascii\n\n\
         This is the mail system at host {mta}.\n\nI'm sorry to have to inform you that your message could not\n\
         be delivered to one or more recipients.\n\n<{to}>: {diagnostic}\n\n\
         --b{n}\nContent-Type: message/delivery-status\n\n\
         Reporting-MTA: dns; {mta}\nArrival-Date: Mon, 2 Nov 2026 09:00:01 +0000\n\n\
         Final-Recipient: rfc822; {to}\nOriginal-Recipient: rfc822;{to}\nAction: {action}\n\
         Status: {status}\nRemote-MTA: dns; mx.remote.example\nDiagnostic-Code: smtp; {diagnostic}\n\n\
         --b{n}\nContent-Type: {kind}\n\n{copy}\n--b{n}--\n",
        to = e.to,
    )
}

/// The shapes of the mix, with the name the figures give each.
const SHAPES: &[(&str, Shape)] = &[
    ("DSN, Postfix: 5.1.1 user unknown", |e, n| {
        dsn(
            e,
            n,
            "mail.bench.example",
            "failed",
            "5.1.1",
            "550 5.1.1 Recipient address rejected: User unknown in virtual mailbox table",
            false,
        )
    }),
    ("DSN, Gmail: 5.2.2 mailbox full", |e, n| {
        dsn(
            e,
            n,
            "mx.google.example",
            "failed",
            "5.2.2",
            "552-5.2.2 The email account that you tried to reach is over quota.",
            true,
        )
    }),
    ("DSN, Exchange Online: 5.7.1 policy", |e, n| {
        dsn(
            e,
            n,
            "outlook.example",
            "failed",
            "5.7.1",
            "550 5.7.1 Service unavailable, Client host blocked using Spamhaus",
            false,
        )
    }),
    ("DSN: 4.4.1 delayed", |e, n| {
        dsn(
            e,
            n,
            "mail.bench.example",
            "delayed",
            "4.4.1",
            "connect to mx.remote.example: Connection timed out",
            false,
        )
    }),
    ("qmail, plain text", |e, n| {
        format!(
            "From: MAILER-DAEMON@qmail.example\nTo: rep@bench.example\nSubject: failure notice\n\
             Date: {DATE}\nMessage-ID: <qmail{n}@qmail.example>\n\n\
             Hi. This is the qmail-send program at qmail.example.\n\
             I'm afraid I wasn't able to deliver your message to the following addresses.\n\
             This is a permanent error; I've given up. Sorry it didn't work out.\n\n\
             <{to}>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n\
             --- Below this line is a copy of the message.\n\n{copy}\nHello.\n",
            to = e.to,
            copy = returned(e),
        )
    }),
    ("Exim, plain text, X-Failed-Recipients", |e, n| {
        format!(
            "From: Mail Delivery System <Mailer-Daemon@exim.example>\nTo: rep@bench.example\n\
             Subject: Mail delivery failed: returning message to sender\nDate: {DATE}\n\
             Message-ID: <exim{n}@exim.example>\nX-Failed-Recipients: {to}\n\
             Auto-Submitted: auto-replied\n\n\
             This message was created automatically by mail delivery software.\n\n\
             A message that you sent could not be delivered to one or more of its\n\
             recipients. This is a permanent error. The following address(es) failed:\n\n  {to}\n\
             host mx.remote.example [192.0.2.25]\n\
             SMTP error from remote mail server after RCPT TO:<{to}>:\n\
             550 5.2.1 The email account that you tried to reach is disabled.\n\n\
             ------ This is a copy of the message, including all the headers. ------\n\n{copy}\nHello.\n",
            to = e.to,
            copy = returned(e),
        )
    }),
    ("Postfix, plain text, blocklist", |e, n| {
        format!(
            "From: MAILER-DAEMON (Mail Delivery System)\nTo: rep@bench.example\n\
             Subject: Undelivered Mail Returned to Sender\nDate: {DATE}\n\
             Message-ID: <pfx{n}@postfix.example>\n\n\
             This is the mail system at host postfix.example.\n\n\
             I'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients.\n\n\
             <{to}>: host mx.remote.example[192.0.2.26] said: 554 5.7.1\n    \
             Service unavailable; Client host [198.51.100.7] blocked using\n    \
             zen.spamhaus.org (in reply to RCPT TO command)\n\n{copy}\n",
            to = e.to,
            copy = returned(e),
        )
    }),
    ("Exchange 2003, multipart/mixed", |e, n| {
        format!(
            "From: System Administrator <postmaster@ex2003.example>\nTo: <rep@bench.example>\n\
             Subject: Undeliverable: {subject}\nDate: {DATE}\nMessage-ID: <ex{n}@ex2003.example>\n\
             MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"x{n}\"\n\n\
             --x{n}\nContent-Type: text/plain; charset=us-ascii\n\n\
             Your message did not reach some or all of the intended recipients.\n\n\
             The following recipient(s) could not be reached:\n\n\
             {to} on 11/3/2026 10:00 AM\n\
             The e-mail account does not exist at the organization this message was sent to.\n\
             <ex2003.example #5.1.1>\n\n\
             --x{n}\nContent-Type: message/rfc822\n\n{copy}\nHello.\n\n--x{n}--\n",
            to = e.to,
            subject = e.subject,
            copy = returned(e),
        )
    }),
    ("OpenSMTPD, delivery-status in multipart/mixed", |e, n| {
        format!(
            "From: Mailer Daemon <MAILER-DAEMON@smtpd.example>\nTo: rep@bench.example\n\
             Subject: Delivery status notification: error\nDate: {DATE}\n\
             Message-ID: <smtpd{n}@smtpd.example>\nMIME-Version: 1.0\n\
             Content-Type: multipart/mixed; boundary=\"s{n}\"\n\n\
             --s{n}\nContent-Type: text/plain; charset=utf-8\n\n\
             Hi!\n\nThis is the MAILER-DAEMON, please DO NOT REPLY to this email.\n\n\
             An error has occurred while attempting to deliver a message for\nthe following list of recipients:\n\n\
             {to}: 550 5.1.1 <{to}>: Recipient address rejected: User unknown\n\n\
             --s{n}\nContent-Type: message/delivery-status\n\n\
             Reporting-MTA: dns; smtpd.example\n\nFinal-Recipient: rfc822; {to}\n\
             Action: failed\nStatus: 5.1.1\n\n\
             --s{n}\nContent-Type: message/rfc822\n\n{copy}\nHello.\n\n--s{n}--\n",
            to = e.to,
            copy = returned(e),
        )
    }),
    ("Amazon SES notification (JSON)", |e, n| {
        format!(
            "From: no-reply@sns.amazonaws.example\nTo: rep@bench.example\n\
             Subject: AWS Notification Message\nDate: {DATE}\nMessage-ID: <ses{n}@sns.example>\n\
             Content-Type: text/plain; charset=UTF-8\n\n\
             {{\"notificationType\":\"Bounce\",\"bounce\":{{\"bounceType\":\"Permanent\",\
             \"bounceSubType\":\"General\",\"bouncedRecipients\":[{{\"emailAddress\":\"{to}\",\
             \"action\":\"failed\",\"status\":\"5.1.1\",\"diagnosticCode\":\"smtp; 550 5.1.1 user unknown\"}}],\
             \"timestamp\":\"2026-11-03T10:00:00.000Z\",\"feedbackId\":\"fb{n}\"}},\
             \"mail\":{{\"messageId\":\"ses-{n}\",\"source\":\"rep@bench.example\",\
             \"destination\":[\"{to}\"],\"commonHeaders\":{{\"messageId\":\"<{id}>\"}}}}}}\n",
            to = e.to,
            id = e.id,
        )
    }),
    ("Domino, From: <> and bare MAILER-DAEMON", |e, n| {
        format!(
            "Return-Path: <>\nFrom: MAILER-DAEMON\nTo: rep@bench.example\n\
             Subject: DELIVERY FAILURE: User {to} not listed in Domino Directory\n\
             Date: {DATE}\nMessage-ID: <domino{n}@domino.example>\n\n\
             Your message\n\n  Subject: {subject}\n\nwas not delivered to:\n\n  {to}\n\n\
             because:\n\n  User {to} not listed in Domino Directory\n",
            to = e.to,
            subject = e.subject,
        )
    }),
    ("Google Groups relay on the thread", |e, n| {
        format!(
            "From: Mail Delivery Subsystem <mailer-daemon@googlemail.example>\n\
             To: rep@bench.example\nSubject: Delivery Status Notification (Failure)\n\
             Date: {DATE}\nMessage-ID: <groups{n}@googlemail.example>\n\
             In-Reply-To: <{id}>\nReferences: <{id}>\nAuto-Submitted: auto-replied\n\n\
             ** Address not found **\n\n\
             We're writing to let you know that the group you tried to contact ({to}) may not exist,\n\
             or you may not have permission to post messages to the group.\n",
            to = e.to,
            id = e.id,
        )
    }),
    ("reply", |e, n| {
        format!(
            "From: <{to}>\nTo: <rep@bench.example>\nSubject: Re: {subject}\nDate: {DATE}\n\
             Message-ID: <reply{n}@client.example>\nIn-Reply-To: <{id}>\nReferences: <{id}>\n\
             MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n\
             Thanks, let's talk next week.\n\n> Hello\n",
            to = e.to,
            subject = e.subject,
            id = e.id,
        )
    }),
    ("out-of-office", |e, n| {
        format!(
            "From: <{to}>\nTo: <rep@bench.example>\nSubject: Out of Office: {subject}\nDate: {DATE}\n\
             Message-ID: <auto{n}@client.example>\nIn-Reply-To: <{id}>\nReferences: <{id}>\n\
             Auto-Submitted: auto-replied\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n\
             I am out of the office and back on 20 November 2026.\n",
            to = e.to,
            subject = e.subject,
            id = e.id,
        )
    }),
    ("unrelated", |_, n| {
        format!(
            "From: \"Newsletter\" <news{d}@unrelated.example>\nTo: <rep@bench.example>\n\
             Subject: Weekly digest #{n}\nDate: {DATE}\nMessage-ID: <digest{n}@unrelated.example>\n\
             MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n\
             This week's news, number {n}.\n",
            d = n % 50,
        )
    }),
];

/// The cycle of 20: each of the 12 bounce shapes once, 4 replies, 2
/// out-of-office replies, 2 unrelated messages (indexes into [`SHAPES`]).
const CYCLE: [usize; 20] = [
    0, 12, 1, 2, 12, 3, 4, 13, 5, 14, 6, 7, 12, 8, 13, 9, 10, 12, 11, 14,
];
const BOUNCE_SHAPES: usize = 12;

/// The mbox text and, for each message, its shape.
fn build_mbox(emails: &[Sent], messages: usize) -> (String, Vec<usize>) {
    let mut mbox = String::with_capacity(messages * 1400);
    let mut shapes = Vec::with_capacity(messages);
    for n in 0..messages {
        let shape = CYCLE[n % CYCLE.len()];
        let e = &emails[(n * 7919) % emails.len()];
        let text = (SHAPES[shape].1)(e, n);
        mbox.push_str("From MAILER-DAEMON Tue Nov  3 10:00:00 2026\n");
        for line in text.lines() {
            // mboxrd: a line that could be read as a separator is quoted.
            if line.trim_start_matches('>').starts_with("From ") {
                mbox.push('>');
            }
            mbox.push_str(line);
            mbox.push('\n');
        }
        mbox.push('\n');
        shapes.push(shape);
    }
    (mbox, shapes)
}

/// What one item was read as: its kind, and for a bounce the verdicts.
fn read_as(item: &seqtui::engine::InputItem) -> String {
    match &item.event {
        Err(_) => "unreadable".into(),
        Ok(event) => match &event.inbound {
            Inbound::Bounce { recipients, .. } => {
                let verdicts: Vec<&str> = recipients.iter().map(|r| r.verdict.as_str()).collect();
                format!("bounce ({})", verdicts.join(", "))
            }
            other => other.kind().to_string(),
        },
    }
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` does not: then
    // only prove the benchmark still builds.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let contacts = size("SEQTUI_BENCH_STEPS", 10_000);
    let messages = size("SEQTUI_BENCH_MESSAGES", 100_000);
    let now = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&tmp).expect("target tmp dir");
    let dir = tempfile::tempdir_in(&tmp).expect("temp dir");
    let path = dir.path().join("bench.db");
    let mut rows: Vec<(String, String)> = Vec::new();

    let setup = Instant::now();
    small_workspace(&path, now, contacts);
    let mut ws = Workspace::open(&path, Clock::Fixed(now)).expect("open");
    let outbox = dir.path().join("outbox");
    let report = run_once(&mut ws, &outbox).expect("run");
    let emails = outbox_emails(&outbox);
    assert!(!emails.is_empty(), "the run wrote no emails to bounce");
    println!(
        "workspace: {} contacts, {} emails written, ready in {:.1} s",
        thousands(contacts),
        thousands(report.emails_sent),
        secs(setup.elapsed())
    );

    let preparing = Instant::now();
    let (mbox, shapes) = build_mbox(&emails, messages);
    let mbox_path = dir.path().join("mixed.mbox");
    std::fs::write(&mbox_path, &mbox).expect("mbox");
    drop(mbox);
    let megabytes = std::fs::metadata(&mbox_path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    let bounces = shapes.iter().filter(|&&s| s < BOUNCE_SHAPES).count();
    println!(
        "mbox: {} messages ({} bounces in {BOUNCE_SHAPES} shapes), {megabytes:.1} MB, built in {:.1} s",
        thousands(messages),
        thousands(bounces),
        secs(preparing.elapsed())
    );
    rows.push((
        "mbox".into(),
        format!(
            "{} messages, {megabytes:.1} MB: {} bounces ({BOUNCE_SHAPES} shapes), {} replies, {} out-of-office, {} unrelated",
            thousands(messages),
            thousands(bounces),
            thousands(shapes.iter().filter(|&&s| s == 12).count()),
            thousands(shapes.iter().filter(|&&s| s == 13).count()),
            thousands(shapes.iter().filter(|&&s| s == 14).count()),
        ),
    ));

    // ------------------------------------------------ (a) classification
    let started = Instant::now();
    let items = read_path(&mbox_path, now);
    let classify_time = started.elapsed();
    assert_eq!(
        items.len(),
        messages,
        "the mbox did not split into its messages"
    );
    let rate = messages as f64 / secs(classify_time);
    println!(
        "classification: {} messages in {:.2} s ({rate:.0} messages/s)",
        thousands(messages),
        secs(classify_time)
    );
    // What each shape was read as.
    let mut read: BTreeMap<usize, BTreeMap<String, usize>> = BTreeMap::new();
    for (item, &shape) in items.iter().zip(&shapes) {
        *read
            .entry(shape)
            .or_default()
            .entry(read_as(item))
            .or_default() += 1;
    }
    drop(items);
    rows.push((
        "(a) classification: `read_path` (split, parse, classify)".into(),
        format!("{:.2} s", secs(classify_time)),
    ));
    rows.push((
        "(a) classification throughput".into(),
        format!("{} messages/s (goal ≥ 1,000)", thousands(rate as usize)),
    ));

    // ------------------------------------------------- (b) full ingest
    let started = Instant::now();
    let items = read_path(&mbox_path, now);
    let parse_time = started.elapsed();
    let mut tally: BTreeMap<&'static str, usize> = BTreeMap::new();
    for item in items {
        let Ok(event) = item.event else {
            *tally.entry("unreadable").or_default() += 1;
            continue;
        };
        for outcome in ws.apply_inbound(&event).expect("applied") {
            let action = match outcome.action {
                IngestAction::Ended => "ended",
                IngestAction::Paused => "paused",
                IngestAction::Recorded => "recorded",
                IngestAction::Unverified => "unverified",
                IngestAction::Duplicate => "duplicate",
                IngestAction::Ignored => "ignored",
            };
            *tally.entry(action).or_default() += 1;
        }
    }
    let ingest_time = started.elapsed();
    let ingest_rate = messages as f64 / secs(ingest_time);
    let outcomes = tally
        .iter()
        .map(|(action, n)| format!("{} {action}", thousands(*n)))
        .collect::<Vec<_>>()
        .join(", ");
    println!(
        "ingest: {:.1} s (read_path {:.1} s + apply_inbound {:.1} s), {ingest_rate:.0} messages/s: {outcomes}",
        secs(ingest_time),
        secs(parse_time),
        secs(ingest_time - parse_time)
    );
    rows.push((
        "(b) ingest: time".into(),
        format!(
            "{:.1} s (`read_path` {:.1} s + `apply_inbound` {:.1} s)",
            secs(ingest_time),
            secs(parse_time),
            secs(ingest_time - parse_time)
        ),
    ));
    rows.push((
        "(b) ingest throughput".into(),
        format!("{} messages/s", thousands(ingest_rate as usize)),
    ));
    rows.push(("(b) ingest outcomes".into(), outcomes));

    figures::record(
        "bounces: classification throughput",
        rate,
        "messages/s",
        "1000",
    );
    figures::record("bounces: ingest throughput", ingest_rate, "messages/s", "");

    println!("\n| figure | measured |\n|---|---|");
    for (name, value) in rows {
        println!("| {name} | {value} |");
    }
    println!("\n| shape | messages | read as |\n|---|---|---|");
    for (shape, seen) in read {
        let total: usize = seen.values().sum();
        let what = seen
            .iter()
            .map(|(as_what, n)| format!("{} {as_what}", thousands(*n)))
            .collect::<Vec<_>>()
            .join(", ");
        println!("| {} | {} | {what} |", SHAPES[shape].0, thousands(total));
    }
}
