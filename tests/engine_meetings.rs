//! `ingest` of calendars as real calendar programs write them (R7 as
//! amended): a declined, tentative or cancelled meeting ends nothing and is
//! not an error; a contact's acceptance of the enrolling user's meeting is
//! a booking; `mailto:` in any case. And content detection: a message whose
//! first header is the obsolete `From  :` is one email, not an mbox; an
//! mbox splits only on real `From sender date` lines. Through the built
//! binary, on real SQLite files.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::cli::{output, seqtui};
use common::mail::{active, ended, message_id_to, status_of};
use common::*;
use seqtui::engine::outbox::run_once;
use serde_json::Value;

const MAIL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/mail");

fn email(i: usize) -> String {
    format!("contact{i:04}@acme{}.example", i % 7)
}

/// Contacts 0..6 enrolled in Alpha by Ann, their first emails sent; the
/// workspace closed so the binary can use it.
fn sent_workspace() -> (tempfile::TempDir, PathBuf) {
    let mut f = fixture(10);
    let ids: Vec<i64> = f.c[..6].to_vec();
    f.ws.enroll(&f.rep_ann, f.seq_a.id, &ids).unwrap();
    let outbox = f.dir.path().join("outbox");
    assert_eq!(run_once(&mut f.ws, &outbox).unwrap().emails_sent, 6);
    let path = f.path.clone();
    drop(f.ws);
    (f.dir, path)
}

/// A fixture copied next to the workspace, `__MSGID__` replaced by the
/// Message-ID the contact was sent and `edits` applied.
fn fixture_file(
    dir: &Path,
    db: &Path,
    name: &str,
    contact: usize,
    edits: &[(&str, &str)],
) -> PathBuf {
    let mut text = std::fs::read_to_string(Path::new(MAIL).join(name)).unwrap();
    text = text.replace("__MSGID__", &message_id_to(db, &email(contact)));
    for (from, to) in edits {
        assert!(text.contains(from), "{name} has no {from}");
        text = text.replace(from, to);
    }
    let path = dir.join(format!("{}-{name}", edits.len()));
    std::fs::write(&path, text).unwrap();
    path
}

fn ingest_json(db: &Path, paths: &[&Path]) -> (i32, Vec<Value>, String) {
    let mut cmd = seqtui(db);
    cmd.arg("--json").arg("ingest").args(paths);
    cmd.timeout(Duration::from_secs(60));
    let run = output(&mut cmd);
    let Value::Array(lines) = run.json()["items"].clone() else {
        panic!("not an array: {}", run.stdout)
    };
    (run.code, lines, run.stderr)
}

/// The contact's timeline event types, newest first.
fn timeline_types(db: &Path, address: &str) -> Vec<String> {
    let contact = output(seqtui(db).args(["--json", "contact", address])).json();
    contact["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["type"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn a_declined_invitation_ends_nothing_and_is_recorded_then_an_acceptance_books() {
    let (dir, db) = sent_workspace();
    let declined = Path::new(MAIL).join("calendar_declined.ics");
    let (code, lines, stderr) = ingest_json(&db, &[&declined]);
    assert_eq!(code, 0, "{stderr} {lines:?}");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["kind"], "meeting");
    assert_eq!(lines[0]["action"], "recorded", "{lines:?}");
    assert!(lines[0]["reason"].is_null(), "{lines:?}");
    assert!(lines[0]["why"].as_str().unwrap().contains("declined"));
    assert_eq!(status_of(&db, &email(0)), active());
    assert!(
        timeline_types(&db, &email(0)).contains(&"meeting_declined".to_string()),
        "{:?}",
        timeline_types(&db, &email(0))
    );
    // Not a booking: no meeting in the sequence's figures.
    let booked: i64 = raw(&db)
        .query_row(
            "SELECT count(*) FROM events WHERE type = 'meeting_booked'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(booked, 0);
    // Again: a duplicate, still exit 0.
    let (code, lines, _) = ingest_json(&db, &[&declined]);
    assert_eq!(code, 0);
    assert_eq!(lines[0]["action"], "duplicate", "{lines:?}");
    // The same meeting, the contact having changed their mind: a booking.
    let accepted = fixture_file(
        dir.path(),
        &db,
        "calendar_declined.ics",
        0,
        &[("PARTSTAT=DECLINED", "PARTSTAT=ACCEPTED")],
    );
    let (code, lines, stderr) = ingest_json(&db, &[&accepted]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(lines[0]["action"], "ended", "{lines:?}");
    assert_eq!(lines[0]["reason"], "meeting_booked");
    assert_eq!(status_of(&db, &email(0)), ended("meeting_booked"));
    check_invariants(&db);
}

#[test]
fn a_cancelled_meeting_ends_nothing_and_exits_0() {
    let (_dir, db) = sent_workspace();
    let cancel = Path::new(MAIL).join("calendar_cancel.ics");
    let (code, lines, stderr) = ingest_json(&db, &[&cancel]);
    assert_eq!(code, 0, "{stderr} {lines:?}");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0]["error"].is_null(), "{lines:?}");
    assert_eq!(lines[0]["action"], "recorded", "{lines:?}");
    assert_eq!(lines[0]["contact"], email(1).as_str());
    assert!(lines[0]["why"].as_str().unwrap().contains("cancelled"));
    assert_eq!(status_of(&db, &email(1)), active());
    assert!(timeline_types(&db, &email(1)).contains(&"meeting_cancelled".to_string()));
    // Again, as text: a duplicate, nothing skipped, exit 0.
    let run = output(seqtui(&db).arg("ingest").arg(&cancel));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    assert!(run.stdout.contains("duplicate"), "{}", run.stdout);
    check_invariants(&db);
}

#[test]
fn a_contacts_acceptance_of_the_enrollers_meeting_is_a_booking() {
    let (_dir, db) = sent_workspace();
    let reply = Path::new(MAIL).join("calendar_accepted_reply.eml");
    let (code, lines, stderr) = ingest_json(&db, &[&reply]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["kind"], "meeting", "{lines:?}");
    assert_eq!(lines[0]["action"], "ended", "{lines:?}");
    assert_eq!(lines[0]["reason"], "meeting_booked");
    assert_eq!(status_of(&db, &email(2)), ended("meeting_booked"));
    // The same acceptance again changes nothing.
    let (_, lines, _) = ingest_json(&db, &[&reply]);
    assert_eq!(lines[0]["action"], "duplicate", "{lines:?}");
    check_invariants(&db);
}

#[test]
fn a_declined_or_tentative_reply_ends_nothing() {
    let (_dir, db) = sent_workspace();
    let tentative = Path::new(MAIL).join("calendar_tentative_reply.ics");
    let declined = Path::new(MAIL).join("calendar_declined_reply.ics");
    let (code, lines, stderr) = ingest_json(&db, &[&tentative, &declined]);
    assert_eq!(code, 0, "{stderr} {lines:?}");
    assert_eq!(lines.len(), 2, "{lines:?}");
    for line in &lines {
        assert_eq!(line["action"], "recorded", "{lines:?}");
        assert!(line["reason"].is_null(), "{lines:?}");
    }
    assert_eq!(lines[0]["contact"], email(4).as_str());
    assert_eq!(lines[1]["contact"], email(5).as_str());
    assert_eq!(status_of(&db, &email(4)), active());
    assert_eq!(status_of(&db, &email(5)), active());
    assert!(timeline_types(&db, &email(4)).contains(&"meeting_tentative".to_string()));
    assert!(timeline_types(&db, &email(5)).contains(&"meeting_declined".to_string()));
}

#[test]
fn mailto_in_any_case_is_recognised() {
    let (_dir, db) = sent_workspace();
    let file = Path::new(MAIL).join("calendar_mailto_case.ics");
    let (code, lines, stderr) = ingest_json(&db, &[&file]);
    assert_eq!(code, 0, "{stderr} {lines:?}");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["contact"], email(3).as_str(), "{lines:?}");
    assert_eq!(lines[0]["action"], "ended", "{lines:?}");
    assert_eq!(status_of(&db, &email(3)), ended("meeting_booked"));
}

#[test]
fn a_message_starting_with_an_obsolete_from_header_is_one_email_with_its_sender() {
    let (dir, db) = sent_workspace();
    let file = fixture_file(dir.path(), &db, "obsolete_from.eml", 0, &[]);
    let (code, lines, stderr) = ingest_json(&db, &[&file]);
    assert_eq!(code, 0, "{stderr} {lines:?}");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(
        lines[0]["source"],
        file.display().to_string().as_str(),
        "read as an mbox: {lines:?}"
    );
    assert_eq!(lines[0]["kind"], "reply", "{lines:?}");
    assert_eq!(lines[0]["contact"], email(0).as_str());
    assert_eq!(lines[0]["action"], "ended", "{lines:?}");
    assert_eq!(status_of(&db, &email(0)), ended("replied"));
}

#[test]
fn an_mbox_splits_only_on_real_from_separator_lines() {
    let (dir, db) = sent_workspace();
    let file = fixture_file(dir.path(), &db, "two_messages.mbox", 0, &[]);
    let (code, lines, stderr) = ingest_json(&db, &[&file]);
    assert_eq!(code, 0, "{stderr} {lines:?}");
    let sources: Vec<&str> = lines
        .iter()
        .map(|l| l["source"].as_str().unwrap())
        .collect();
    let shown = file.display().to_string();
    assert_eq!(
        sources,
        vec![format!("{shown}#1"), format!("{shown}#2")],
        "{lines:?}"
    );
    assert_eq!(lines[0]["kind"], "reply");
    assert_eq!(lines[0]["action"], "ended", "{lines:?}");
    assert_eq!(lines[1]["action"], "ignored", "{lines:?}");
    assert_eq!(status_of(&db, &email(0)), ended("replied"));
}
