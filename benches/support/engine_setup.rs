//! What the engine benches share (`engine`, `bounces`): sizes from the
//! environment, a small workspace of contacts enrolled in a two-email
//! sequence, and the emails a run wrote to the outbox. Included with
//! `#[path = "support/engine_setup.rs"] mod setup;` (a subfolder, so
//! cargo does not take it for a bench of its own).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use seqtui::domain::*;

pub fn size(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

pub fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A new workspace with `steps` contacts enrolled in a two-email sequence
/// whose first email is due at `now`.
pub fn small_workspace(path: &Path, now: Timestamp, steps: usize) {
    let clock = Clock::Fixed(now);
    let mut ws =
        Workspace::create(path, clock, "Bench", "admin@bench.example", "Admin").expect("workspace");
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
            first_name: Some(format!("First{i}")),
            last_name: Some(format!("Last{i}")),
            company: Some(format!("Company {}", i % 997)),
            ..Default::default()
        })
        .collect();
    ws.import_contacts(&admin, &rows).expect("import");
    let ids: Vec<i64> = (1..=steps as i64).collect();
    for chunk in ids.chunks(10_000) {
        ws.enroll(&rep, sequence.id, chunk).expect("enroll");
    }
}

/// An email in the outbox: its Message-ID, recipient and subject.
pub struct Sent {
    pub id: String,
    pub to: String,
    pub subject: String,
}

pub fn outbox_emails(outbox: &Path) -> Vec<Sent> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(outbox.join("new"))
        .expect("outbox")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let parser = mail_parser::MessageParser::default();
    files
        .iter()
        .map(|file| {
            let bytes = std::fs::read(file).expect("outbox file");
            let m = parser.parse(&bytes).expect("outbox message");
            Sent {
                id: m.message_id().unwrap_or_default().to_string(),
                to: m
                    .to()
                    .and_then(|a| a.first())
                    .and_then(|a| a.address())
                    .unwrap_or_default()
                    .to_string(),
                subject: m.subject().unwrap_or_default().to_string(),
            }
        })
        .collect()
}
