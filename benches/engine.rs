//! The engine at scale: `run` of N due steps into the outbox Maildir, then
//! `ingest` of an mbox with M replies to those emails.
//!
//! Sizes from the environment (defaults are a quick run):
//! `SEQTUI_BENCH_STEPS` (default 5000) and `SEQTUI_BENCH_MESSAGES`
//! (default = steps). `cargo bench --bench engine` prints the figures.

use std::time::Instant;

use chrono::{TimeZone, Utc};
use seqtui::domain::*;
use seqtui::engine::outbox::run_once;
use seqtui::engine::read_path;

fn size(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn main() {
    let steps = size("SEQTUI_BENCH_STEPS", 5000);
    let messages = size("SEQTUI_BENCH_MESSAGES", steps).min(steps);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.db");
    let now = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
    let clock = Clock::Fixed(now);

    // A workspace with `steps` contacts enrolled in a two-email sequence
    // (the first email due now).
    let setup = Instant::now();
    let mut ws = Workspace::create(&path, clock, "Bench", "admin@bench.example", "Admin")
        .expect("workspace");
    let admin = ws.acting_user(None).expect("admin");
    let rep = ws
        .add_user(&admin, "rep@bench.example", "Rita Rep", Role::Rep, "East")
        .expect("rep");
    let sequence = ws
        .create_sequence(
            &rep,
            "Bench outbound",
            &[
                NewStep {
                    kind: StepKind::AutoEmail,
                    delay_days: 0,
                    subject: "Hi {{first_name}}".into(),
                    body:
                        "Hello {{first_name}} at {{company}},\n\nA short note.\n\n{{sender_name}}"
                            .into(),
                    title: String::new(),
                },
                NewStep {
                    kind: StepKind::AutoEmail,
                    delay_days: 3,
                    subject: String::new(),
                    body: "Following up, {{first_name}}.".into(),
                    title: String::new(),
                },
            ],
            false,
        )
        .expect("sequence");
    let rows: Vec<ContactInput> = (0..steps)
        .map(|i| ContactInput {
            line: i as u64 + 2,
            email_column: "email".into(),
            email: format!("c{i}@company{}.example", i % 997),
            first_name: format!("First{i}"),
            last_name: format!("Last{i}"),
            company: format!("Company {}", i % 997),
            ..Default::default()
        })
        .collect();
    ws.import_contacts(&admin, &rows).expect("import");
    let ids: Vec<i64> = (1..=steps as i64).collect();
    for chunk in ids.chunks(10_000) {
        ws.enroll(&rep, sequence.id, chunk).expect("enroll");
    }
    println!("setup: {steps} enrollments in {:.2?}", setup.elapsed());

    // run: every step due now.
    let outbox = dir.path().join("outbox");
    let started = Instant::now();
    let report = run_once(&mut ws, &outbox).expect("run");
    let elapsed = started.elapsed();
    assert_eq!(report.emails_sent, steps);
    println!(
        "run: {} due steps -> {} emails in the outbox in {:.2?} ({:.0} steps/s)",
        steps,
        report.emails_sent,
        elapsed,
        steps as f64 / elapsed.as_secs_f64()
    );

    // An mbox of replies to the first `messages` outbox emails.
    let mut files: Vec<_> = std::fs::read_dir(outbox.join("new"))
        .expect("outbox")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let mut mbox = String::with_capacity(messages * 700);
    for (i, file) in files.iter().take(messages).enumerate() {
        let bytes = std::fs::read(file).expect("outbox file");
        let m = mail_parser::MessageParser::default()
            .parse(&bytes)
            .expect("outbox message");
        let id = m.message_id().unwrap_or_default();
        let to = m
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or_default();
        mbox.push_str(&format!(
            "From {to} Mon Nov  2 10:00:00 2026\nFrom: <{to}>\nTo: <rep@bench.example>\n\
             Subject: Re: {}\nDate: Mon, 2 Nov 2026 10:00:00 +0000\nMessage-ID: <reply{i}@client.example>\n\
             In-Reply-To: <{id}>\nReferences: <{id}>\nMIME-Version: 1.0\n\
             Content-Type: text/plain; charset=utf-8\n\nThanks, let's talk next week.\n\n> Hello\n\n",
            m.subject().unwrap_or_default()
        ));
    }
    let mbox_path = dir.path().join("replies.mbox");
    std::fs::write(&mbox_path, mbox).expect("mbox");

    let started = Instant::now();
    let items = read_path(&mbox_path, now);
    let parsed = started.elapsed();
    let mut ended = 0;
    for item in items {
        let event = item.event.expect("parsed");
        for outcome in ws.apply_inbound(&event).expect("applied") {
            if outcome.action == IngestAction::Ended {
                ended += 1;
            }
        }
    }
    let elapsed = started.elapsed();
    assert_eq!(ended, messages);
    println!(
        "ingest: mbox of {messages} replies ({:.1} MB) parsed in {parsed:.2?}, applied in {:.2?} total ({:.0} messages/s), {ended} enrollments replied",
        std::fs::metadata(&mbox_path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6,
        elapsed,
        messages as f64 / elapsed.as_secs_f64()
    );
}
