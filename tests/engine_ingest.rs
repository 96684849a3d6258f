//! `ingest`: replies (R6), automatic replies and out-of-office pauses (R14),
//! meetings (R7), colleagues (R8), bounces and unsubscribes (R9), dedupe, and
//! bad input skipped — from fixtures shaped like real mail systems write them.

mod common;

use std::path::{Path, PathBuf};

use chrono::Duration;
use common::*;
use seqtui::domain::*;
use seqtui::engine::outbox::run_once;
use seqtui::engine::read_path;

const MAIL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/mail");

/// Contacts 0..6 enrolled in Alpha by Ann; the first emails sent.
fn sent_fixture() -> Fixture {
    let mut f = fixture(10);
    let ids: Vec<i64> = f.c[..6].to_vec();
    f.ws.enroll(&f.rep_ann, f.seq_a.id, &ids).unwrap();
    let outbox = f.dir.path().join("outbox");
    assert_eq!(run_once(&mut f.ws, &outbox).unwrap().emails_sent, 6);
    f
}

fn message_id_of(f: &Fixture, contact: usize) -> String {
    raw(&f.path)
        .query_row(
            "SELECT se.message_id FROM sent_emails se JOIN enrollments e ON e.id = se.enrollment_id
             JOIN contacts c ON c.id = e.contact_id WHERE c.email = ?1 ORDER BY se.id LIMIT 1",
            [format!("contact{contact:04}@acme{}.example", contact % 7)],
            |r| r.get(0),
        )
        .unwrap()
}

/// A fixture file with `__MSGID__` replaced by what `contact` was sent.
fn fixture_file(f: &Fixture, name: &str, contact: usize) -> PathBuf {
    let text = std::fs::read_to_string(Path::new(MAIL).join(name)).unwrap();
    let text = text.replace("__MSGID__", &message_id_of(f, contact));
    let path = f.dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn ingest(f: &mut Fixture, path: &Path) -> Vec<IngestOutcome> {
    let mut out = Vec::new();
    for item in read_path(path, f.ws.now()) {
        let event = item
            .event
            .unwrap_or_else(|e| panic!("{}: {e}", item.source));
        out.extend(f.ws.apply_inbound(&event).unwrap());
    }
    out
}

fn status_of(f: &Fixture, contact: usize) -> (String, Option<String>) {
    raw(&f.path)
        .query_row(
            "SELECT e.status, e.end_reason FROM enrollments e JOIN contacts c ON c.id = e.contact_id
             WHERE c.email = ?1 ORDER BY e.id DESC LIMIT 1",
            [format!("contact{contact:04}@acme{}.example", contact % 7)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
}

fn open_count(f: &Fixture) -> i64 {
    raw(&f.path)
        .query_row(
            "SELECT count(*) FROM enrollments WHERE status IN ('active', 'paused')",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

fn ended(reason: &str) -> (String, Option<String>) {
    ("unenrolled".into(), Some(reason.into()))
}

fn active() -> (String, Option<String>) {
    ("active".into(), None)
}

#[test]
fn replies_from_gmail_outlook_and_apple_mail_end_their_enrollment_only() {
    let mut f = sent_fixture();
    for (file, contact) in [
        ("gmail_reply.eml", 0),
        ("outlook_reply.eml", 1),
        ("apple_reply.eml", 2),
    ] {
        let path = fixture_file(&f, file, contact);
        let out = ingest(&mut f, &path);
        assert_eq!(out.len(), 1, "{file}");
        assert_eq!(out[0].action, IngestAction::Ended, "{file}: {:?}", out[0]);
        assert_eq!(out[0].reason, Some(EndReason::Replied));
        assert_eq!(status_of(&f, contact), ended("replied"), "{file}");
    }
    assert_eq!(open_count(&f), 3);
    // R13: automatic, no actor.
    let automatic: i64 = raw(&f.path)
        .query_row(
            "SELECT count(*) FROM audit WHERE action = 'unenroll' AND reason = 'replied' AND actor_id IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(automatic, 3);
    // The same files again change nothing.
    for (file, contact) in [("gmail_reply.eml", 0), ("outlook_reply.eml", 1)] {
        let path = fixture_file(&f, file, contact);
        assert_eq!(ingest(&mut f, &path)[0].action, IngestAction::Duplicate);
    }
    check_invariants(&f.path);
}

#[test]
fn a_message_off_the_thread_is_recorded_and_ends_nothing() {
    let mut f = sent_fixture();
    let out = ingest(&mut f, &Path::new(MAIL).join("off_thread.eml"));
    assert_eq!(out[0].action, IngestAction::Recorded);
    assert_eq!(out[0].contact.as_deref(), Some("contact0004@acme4.example"));
    assert_eq!(status_of(&f, 4), active());
    let timeline = f.ws.contact_detail(f.c[4]).unwrap().timeline;
    assert!(timeline.iter().any(|t| t.kind == "reply"));
}

#[test]
fn automatic_replies_end_nothing_in_any_language() {
    let mut f = sent_fixture();
    for file in [
        "vacation_gmail.eml",
        "ooo_outlook.eml",
        "ooo_de.eml",
        "ooo_fr.eml",
        "ooo_es.eml",
        "ooo_it.eml",
        "ooo_nl.eml",
        "ooo_pt.eml",
    ] {
        let path = fixture_file(&f, file, 0);
        let event = read_path(&path, now()).remove(0).event.unwrap();
        let Inbound::AutoReply { return_date, .. } = &event.inbound else {
            panic!("{file} was not seen as automatic: {:?}", event.inbound);
        };
        assert!(return_date.is_some(), "{file}: no return date");
        let out = f.ws.apply_inbound(&event).unwrap();
        assert_eq!(out[0].action, IngestAction::Recorded, "{file}");
        assert_eq!(status_of(&f, 0), active(), "{file}");
    }
    let ooo: i64 = raw(&f.path)
        .query_row(
            "SELECT count(*) FROM events WHERE type = 'out_of_office'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(ooo, 8);
}

#[test]
fn out_of_office_pauses_until_the_return_date_with_the_setting_on() {
    let mut f = sent_fixture();
    let manager = f.manager_east.clone();
    f.ws.set_sequence_options(&manager, "Alpha Outbound", None, Some(true))
        .unwrap();
    let path = fixture_file(&f, "vacation_gmail.eml", 0);
    let out = ingest(&mut f, &path);
    assert_eq!(out[0].action, IngestAction::Paused, "{:?}", out[0]);
    let until = out[0].paused_until.unwrap();
    assert_eq!(until.format("%Y-%m-%d").to_string(), "2026-11-16");
    assert_eq!(status_of(&f, 0).0, "paused");
    // R13: the pause is audited without an actor, with the enrollment.
    let entry =
        f.ws.audit(None, 50)
            .unwrap()
            .into_iter()
            .find(|e| e.action == "pause")
            .expect("the pause is audited");
    assert_eq!(entry.actor, None);
    assert_eq!(entry.note.as_deref(), Some("out of office"));
    assert!(
        entry.detail.ends_with("out of office until 2026-11-16"),
        "{}",
        entry.detail
    );
    assert_eq!((entry.count, entry.enrollments.len()), (1, 1));
    // Paused: the call (day 2) does not become a task.
    let outbox = f.dir.path().join("outbox");
    let mut ws = Workspace::open(&f.path, Clock::Fixed(now() + Duration::days(3))).unwrap();
    let report = run_once(&mut ws, &outbox).unwrap();
    assert_eq!(report.tasks_created, 5);
    // After the return date it resumes and runs.
    let mut ws = Workspace::open(&f.path, Clock::Fixed(until + Duration::hours(1))).unwrap();
    let report = run_once(&mut ws, &outbox).unwrap();
    assert_eq!(report.resumed, 1);
    assert_eq!(status_of(&f, 0).0, "active");
    assert!(report.tasks_created >= 1);
}

#[test]
fn a_dsn_bounce_ends_the_enrollment_that_sent_the_message() {
    let mut f = sent_fixture();
    let path = fixture_file(&f, "dsn_bounce.eml", 3);
    let out = ingest(&mut f, &path);
    assert_eq!(out[0].kind, "bounce");
    assert_eq!(out[0].action, IngestAction::Ended, "{:?}", out[0]);
    assert_eq!(status_of(&f, 3), ended("bounced"));
    assert_eq!(open_count(&f), 5);
    assert_eq!(ingest(&mut f, &path)[0].action, IngestAction::Duplicate);
}

#[test]
fn meetings_end_only_when_the_enrolling_user_organizes() {
    let mut f = sent_fixture();
    // Google Calendar, organized by Ann, who enrolled contact 0.
    let out = ingest(&mut f, &Path::new(MAIL).join("google_calendar.ics"));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].action, IngestAction::Ended, "{:?}", out[0]);
    assert_eq!(status_of(&f, 0), ended("meeting_booked"));
    // Outlook, organized by Bob, who did not enroll contact 1.
    let out = ingest(&mut f, &Path::new(MAIL).join("outlook_calendar.ics"));
    assert_eq!(out[0].action, IngestAction::Recorded, "{:?}", out[0]);
    assert_eq!(status_of(&f, 1), active());
    // Again: nothing more.
    let out = ingest(&mut f, &Path::new(MAIL).join("google_calendar.ics"));
    assert_eq!(out[0].action, IngestAction::Duplicate);
}

#[test]
fn colleagues_are_unenrolled_only_with_the_setting_on() {
    let mut f = fixture(20);
    // Contacts 0, 7 and 14 work at Acme 0.
    let ids = vec![f.c[0], f.c[7], f.c[14], f.c[1]];
    f.ws.enroll(&f.rep_ann, f.seq_a.id, &ids).unwrap();
    let outbox = f.dir.path().join("outbox");
    run_once(&mut f.ws, &outbox).unwrap();
    let manager = f.manager_east.clone();
    f.ws.set_sequence_options(&manager, "Alpha Outbound", Some(true), None)
        .unwrap();
    let path = fixture_file(&f, "gmail_reply.eml", 0);
    let out = ingest(&mut f, &path);
    assert_eq!(out[0].reason, Some(EndReason::Replied));
    assert_eq!(out[0].colleagues.len(), 2);
    assert_eq!(status_of(&f, 7), ended("colleague_engaged"));
    assert_eq!(status_of(&f, 14), ended("colleague_engaged"));
    assert_eq!(status_of(&f, 1), active());
    check_invariants(&f.path);
}

#[test]
fn json_lines_events_apply_r6_r7_r9_once() {
    let mut f = sent_fixture();
    let path = fixture_file(&f, "events.jsonl", 0);
    let out = ingest(&mut f, &path);
    let actions: Vec<(&str, IngestAction)> = out.iter().map(|o| (o.kind, o.action)).collect();
    assert_eq!(
        actions,
        vec![
            ("open", IngestAction::Recorded),
            ("click", IngestAction::Recorded),
            ("bounce", IngestAction::Ended),
            ("unsubscribe", IngestAction::Ended),
            ("reply", IngestAction::Ended),
            ("meeting", IngestAction::Ended),
        ]
    );
    assert_eq!(status_of(&f, 3), ended("bounced"));
    assert_eq!(status_of(&f, 4), ended("opted_out"));
    assert!(f.ws.contact(&f.c[4].to_string()).unwrap().opted_out);
    assert_eq!(status_of(&f, 0), ended("replied"));
    assert_eq!(status_of(&f, 1), ended("meeting_booked"));
    assert_eq!(status_of(&f, 5), active());
    let again = ingest(&mut f, &path);
    assert!(
        again.iter().all(|o| o.action == IngestAction::Duplicate),
        "{again:?}"
    );
    check_invariants(&f.path);
}

#[test]
fn an_mbox_and_a_maildir_of_many_messages() {
    let mut f = sent_fixture();
    let mut mbox = String::new();
    let maildir = f.dir.path().join("Maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    for (i, (file, contact)) in [
        ("gmail_reply.eml", 0),
        ("outlook_reply.eml", 1),
        ("apple_reply.eml", 2),
        ("dsn_bounce.eml", 3),
        ("off_thread.eml", 4),
        ("ooo_fr.eml", 5),
    ]
    .iter()
    .enumerate()
    {
        let text = std::fs::read_to_string(fixture_file(&f, file, *contact)).unwrap();
        mbox.push_str("From MAILER-DAEMON Tue Nov  3 10:00:00 2026\n");
        for line in text.lines() {
            if line.starts_with("From ") {
                mbox.push('>');
            }
            mbox.push_str(line);
            mbox.push('\n');
        }
        mbox.push('\n');
        let dir = if i % 2 == 0 { "new" } else { "cur" };
        let name = if i % 2 == 0 {
            format!("17930000{i}.M1P1.host")
        } else {
            format!("17930000{i}.M1P1.host:2,S")
        };
        std::fs::write(maildir.join(dir).join(name), &text).unwrap();
    }
    let mbox_path = f.dir.path().join("inbox.mbox");
    std::fs::write(&mbox_path, mbox).unwrap();
    let out = ingest(&mut f, &mbox_path);
    assert_eq!(out.len(), 6);
    assert_eq!(open_count(&f), 2); // 4 (off thread) and 5 (out of office)
    // The Maildir holds the same messages: all duplicates.
    let out = ingest(&mut f, &maildir);
    assert_eq!(out.len(), 6);
    assert!(out.iter().all(|o| o.action == IngestAction::Duplicate));
}

#[test]
fn unreadable_input_is_reported_and_skipped() {
    let f = sent_fixture();
    let items = read_path(&Path::new(MAIL).join("garbage.bin"), now());
    assert_eq!(items.len(), 1);
    assert!(items[0].event.is_err());
    let items = read_path(&f.dir.path().join("missing.eml"), now());
    assert!(items[0].event.as_ref().unwrap_err().contains("cannot read"));
    let bad = f.dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"type\": \"open\", \"email\": \"a@b.example\"}\n{\"type\": \"nope\"}\n{oops\n",
    )
    .unwrap();
    let items = read_path(&bad, now());
    assert_eq!(items.len(), 3);
    assert!(items[0].event.is_ok());
    assert!(
        items[1]
            .event
            .as_ref()
            .unwrap_err()
            .contains("unknown event type")
    );
    assert!(items[2].event.is_err());
}
