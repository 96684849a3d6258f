//! R9 as amended, applied (issue 13): a hard bounce ends the enrollment
//! and marks the contact's address undeliverable, which blocks enrollment
//! and undo until the address changes (`contact email … --to …`); a soft
//! bounce pauses the enrollment and retries the step after the rules
//! file's delay, the third soft bounce in a row ends it and leaves the
//! address good; a report that is no bounce changes nothing; the same
//! bounce twice changes nothing the second time. Through the built binary,
//! with `--now`.

mod common;

use std::path::{Path, PathBuf};

use chrono::Duration;
use common::cli::{NOW, output, run, seqtui, seqtui_at};
use common::*;
use seqtui::domain::*;
use seqtui::engine::outbox::run_once;
use serde_json::Value;

fn email(i: usize) -> String {
    format!("contact{i:04}@acme{}.example", i % 7)
}

fn at(hours: i64) -> String {
    (now() + Duration::hours(hours))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Contacts 0 and 1 enrolled in Alpha by Ann, their first emails sent at
/// [`NOW`]; the workspace closed (the binary takes over).
fn sent() -> (tempfile::TempDir, PathBuf) {
    let mut f = fixture(10);
    let ids = vec![f.c[0], f.c[1]];
    f.ws.enroll(&f.rep_ann, f.seq_a.id, &ids).unwrap();
    let outbox = f.dir.path().join("outbox");
    assert_eq!(run_once(&mut f.ws, &outbox).unwrap().emails_sent, 2);
    let Fixture { dir, path, .. } = f;
    (dir, path)
}

/// The latest email sent to `address`: Message-ID and the step it ran.
fn latest_sent(db: &Path, address: &str) -> (String, i64) {
    raw(db)
        .query_row(
            "SELECT se.message_id, ss.position FROM sent_emails se
             JOIN scheduled_steps ss ON ss.id = se.scheduled_step_id
             JOIN enrollments e ON e.id = se.enrollment_id
             JOIN contacts c ON c.id = e.contact_id WHERE c.email = ?1
             ORDER BY se.id DESC LIMIT 1",
            [address],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
}

fn sent_count(db: &Path, address: &str) -> i64 {
    raw(db)
        .query_row(
            "SELECT count(*) FROM sent_emails se JOIN enrollments e ON e.id = se.enrollment_id
             JOIN contacts c ON c.id = e.contact_id WHERE c.email = ?1",
            [address],
            |r| r.get(0),
        )
        .unwrap()
}

fn status_of(db: &Path, address: &str) -> (String, Option<String>) {
    raw(db)
        .query_row(
            "SELECT e.status, e.end_reason FROM enrollments e JOIN contacts c ON c.id = e.contact_id
             WHERE c.email = ?1 ORDER BY e.id DESC LIMIT 1",
            [address],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
}

/// A JSON Lines bounce of `message_id` for `address`, as a sending tool's
/// webhook reports it after classifying it.
/// `what`: verdict, reason, status and diagnostic.
fn bounce_file(dir: &Path, id: &str, address: &str, message_id: &str, what: [&str; 4]) -> PathBuf {
    let path = dir.join(format!("{id}.jsonl"));
    let [verdict, reason, status, diagnostic] = what;
    let line = serde_json::json!({
        "type": "bounce", "id": id, "email": address, "message_id": message_id,
        "verdict": verdict, "reason": reason, "status": status, "diagnostic": diagnostic,
    });
    std::fs::write(&path, format!("{line}\n")).unwrap();
    path
}

fn soft(dir: &Path, id: &str, address: &str, message_id: &str) -> PathBuf {
    bounce_file(
        dir,
        id,
        address,
        message_id,
        [
            "soft",
            "mailbox_full",
            "5.2.2",
            "552 5.2.2 Mailbox full, try again later",
        ],
    )
}

fn hard(dir: &Path, id: &str, address: &str, message_id: &str) -> PathBuf {
    bounce_file(
        dir,
        id,
        address,
        message_id,
        [
            "hard",
            "user_unknown",
            "5.1.1",
            "550 5.1.1 <x>: Recipient address rejected: User unknown",
        ],
    )
}

/// `ingest --json` at `hours` after [`NOW`]: the one outcome line.
fn ingest_at(db: &Path, hours: i64, file: &Path, rules: Option<&Path>) -> Value {
    let mut cmd = seqtui_at(db, &at(hours));
    if let Some(rules) = rules {
        cmd.arg("--rules").arg(rules);
    }
    let run = output(cmd.arg("--json").arg("ingest").arg(file));
    assert_eq!(run.code, 0, "{} {}", run.stdout, run.stderr);
    let lines = run.json()["items"].clone();
    assert_eq!(lines.as_array().unwrap().len(), 1, "{lines}");
    lines[0].clone()
}

/// `run --json` at `hours` after [`NOW`].
fn run_at(db: &Path, hours: i64) -> Value {
    let outbox = common::cli::outbox_of(db);
    let run = output(
        seqtui_at(db, &at(hours))
            .args(["--json", "run", "--outbox"])
            .arg(&outbox),
    );
    assert_eq!(run.code, 0, "{} {}", run.stdout, run.stderr);
    run.json()
}

fn contact_json(db: &Path, address: &str) -> Value {
    let run = run(db, &["--json", "contact", address]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.json()
}

#[test]
fn a_soft_bounce_pauses_and_the_step_is_tried_again_after_24_hours() {
    let (dir, db) = sent();
    let (first, position) = latest_sent(&db, &email(0));
    assert_eq!(position, 1);
    let line = ingest_at(&db, 0, &soft(dir.path(), "s1", &email(0), &first), None);
    assert_eq!(line["action"], "paused", "{line}");
    assert_eq!(line["paused_until"], at(24), "{line}");
    let b = &line["bounce"][0];
    assert_eq!(b["verdict"], "soft", "{line}");
    assert_eq!(b["reason"], "mailbox_full", "{line}");
    assert_eq!(b["status"], "5.2.2", "{line}");
    assert_eq!(b["address"], email(0).as_str(), "{line}");
    assert_eq!(b["soft_in_a_row"], 1, "{line}");
    assert!(
        b["diagnostic"].as_str().unwrap().contains("Mailbox full"),
        "{line}"
    );
    assert_eq!(status_of(&db, &email(0)), ("paused".into(), None));
    // R13: the pause is audited without an actor, with the enrollment.
    let entry = Workspace::open(&db, Clock::Fixed(now()))
        .unwrap()
        .audit(None, 50)
        .unwrap()
        .into_iter()
        .find(|e| e.action == "pause")
        .expect("the pause is audited");
    assert_eq!(entry.actor, None);
    assert_eq!(entry.note.as_deref(), Some("soft bounce"));
    assert!(
        entry
            .detail
            .contains("bounced softly (mailbox_full, 1 in a row)"),
        "{}",
        entry.detail
    );
    assert_eq!((entry.count, entry.enrollments.len()), (1, 1));
    // The address is good: nothing marks it.
    assert_eq!(contact_json(&db, &email(0))["address_state"], "deliverable");
    // The retry is its next due (the lists sort by it, issue 14).
    check_invariants(&db);

    // 23 hours later: still paused, nothing sent to it.
    let report = run_at(&db, 23);
    assert_eq!(report["emails_sent"], 0, "{report}");
    assert_eq!(sent_count(&db, &email(0)), 1);
    assert_eq!(status_of(&db, &email(0)).0, "paused");

    // 25 hours later: resumed, the same step sent again.
    let report = run_at(&db, 25);
    assert_eq!(report["resumed"], 1, "{report}");
    assert_eq!(report["emails_sent"], 1, "{report}");
    assert_eq!(sent_count(&db, &email(0)), 2);
    let (second, position) = latest_sent(&db, &email(0));
    assert_ne!(second, first);
    assert_eq!(position, 1, "the bounced step, not the next one");
    assert_eq!(status_of(&db, &email(0)), ("active".into(), None));
    // The other contact was never touched.
    assert_eq!(sent_count(&db, &email(1)), 1);
    check_invariants(&db);
}

#[test]
fn three_soft_bounces_in_a_row_end_it_and_the_address_stays_enrollable() {
    let (dir, db) = sent();
    let (m1, _) = latest_sent(&db, &email(0));
    let line = ingest_at(&db, 0, &soft(dir.path(), "s1", &email(0), &m1), None);
    assert_eq!(line["action"], "paused", "{line}");
    assert_eq!(run_at(&db, 25)["emails_sent"], 1);
    let (m2, _) = latest_sent(&db, &email(0));
    let line = ingest_at(&db, 25, &soft(dir.path(), "s2", &email(0), &m2), None);
    assert_eq!(line["action"], "paused", "{line}");
    assert_eq!(line["bounce"][0]["soft_in_a_row"], 2, "{line}");
    assert_eq!(line["paused_until"], at(49), "{line}");
    assert_eq!(run_at(&db, 50)["emails_sent"], 1);
    let (m3, position) = latest_sent(&db, &email(0));
    assert_eq!(position, 1);
    let line = ingest_at(&db, 50, &soft(dir.path(), "s3", &email(0), &m3), None);
    assert_eq!(line["action"], "ended", "{line}");
    assert_eq!(line["reason"], "bounced", "{line}");
    assert_eq!(line["bounce"][0]["soft_in_a_row"], 3, "{line}");
    assert_eq!(
        status_of(&db, &email(0)),
        ("unenrolled".into(), Some("bounced".into()))
    );
    // Audited as an automatic end.
    let ended_by: Option<i64> = raw(&db)
        .query_row(
            "SELECT a.actor_id FROM audit a JOIN audit_enrollments ae ON ae.audit_id = a.id
             JOIN enrollments e ON e.id = ae.enrollment_id JOIN contacts c ON c.id = e.contact_id
             WHERE c.email = ?1 AND a.action = 'unenroll' AND a.reason = 'bounced'",
            [email(0)],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(ended_by, None);
    // The address is good: it may be enrolled again.
    let contact = contact_json(&db, &email(0));
    assert_eq!(contact["address_state"], "deliverable", "{contact}");
    assert_eq!(contact["bounces"].as_array().unwrap().len(), 3, "{contact}");
    let again = run(
        &db,
        &[
            "enroll",
            "--sequence",
            "Beta Nurture",
            "--contact",
            &email(0),
        ],
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    check_invariants(&db);
}

#[test]
fn a_soft_bounce_after_the_next_step_went_out_starts_a_new_count() {
    let (dir, db) = sent();
    let (m1, _) = latest_sent(&db, &email(0));
    ingest_at(&db, 0, &soft(dir.path(), "s1", &email(0), &m1), None);
    assert_eq!(run_at(&db, 25)["emails_sent"], 1);
    let (m2, _) = latest_sent(&db, &email(0));
    ingest_at(&db, 25, &soft(dir.path(), "s2", &email(0), &m2), None);
    assert_eq!(run_at(&db, 50)["emails_sent"], 1);
    // The third attempt went through; the call task and then step 3 (an
    // email, 3 days after the call is done, R18) follow.
    run_at(&db, 24 * 5);
    let tasks =
        output(seqtui_at(&db, &at(24 * 5)).args(["--json", "--as", "ann@team.example", "tasks"]))
            .json();
    let task = tasks
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["contact_email"] == email(0).as_str())
        .unwrap()["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let done = output(seqtui_at(&db, &at(24 * 5)).args([
        "--as",
        "ann@team.example",
        "task",
        "done",
        &task,
    ]));
    assert_eq!(done.code, 0, "{}", done.stderr);
    assert_eq!(run_at(&db, 24 * 8 - 1)["emails_sent"], 0);
    run_at(&db, 24 * 8);
    assert_eq!(sent_count(&db, &email(0)), 4);
    let (m4, position) = latest_sent(&db, &email(0));
    assert_eq!(position, 3);
    // Step 3 is the last: the enrollment finished when it went out.
    assert_eq!(status_of(&db, &email(0)), ("finished".into(), None));
    let line = ingest_at(&db, 24 * 8, &soft(dir.path(), "s4", &email(0), &m4), None);
    assert_eq!(line["action"], "paused", "{line}");
    assert_eq!(line["bounce"][0]["soft_in_a_row"], 1, "{line}");
    // Reopened for the retry of its last step, which then finishes it.
    assert_eq!(status_of(&db, &email(0)), ("paused".into(), None));
    assert_eq!(run_at(&db, 24 * 9 + 1)["emails_sent"], 1);
    assert_eq!(latest_sent(&db, &email(0)).1, 3);
    assert_eq!(status_of(&db, &email(0)), ("finished".into(), None));
    check_invariants(&db);
}

#[test]
fn an_open_between_soft_bounces_breaks_the_row() {
    let (dir, db) = sent();
    let (m1, _) = latest_sent(&db, &email(0));
    ingest_at(&db, 0, &soft(dir.path(), "s1", &email(0), &m1), None);
    assert_eq!(run_at(&db, 25)["emails_sent"], 1);
    let (m2, _) = latest_sent(&db, &email(0));
    // The contact opened the retry: the address takes mail.
    let open = dir.path().join("open.jsonl");
    std::fs::write(
        &open,
        format!(
            "{{\"type\": \"open\", \"id\": \"o1\", \"message_id\": \"{m2}\", \"at\": \"{}\"}}\n",
            at(26)
        ),
    )
    .unwrap();
    ingest_at(&db, 26, &open, None);
    let line = ingest_at(&db, 27, &soft(dir.path(), "s2", &email(0), &m2), None);
    assert_eq!(line["bounce"][0]["soft_in_a_row"], 1, "{line}");
    assert_eq!(line["action"], "paused", "{line}");
}

#[test]
fn the_rules_file_sets_the_soft_retry_delay() {
    let (dir, db) = sent();
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, "[bounce]\nsoft_retry_hours = 2\n").unwrap();
    let (m1, _) = latest_sent(&db, &email(0));
    let line = ingest_at(
        &db,
        0,
        &soft(dir.path(), "s1", &email(0), &m1),
        Some(&rules),
    );
    assert_eq!(line["paused_until"], at(2), "{line}");
    assert_eq!(line["bounce"][0]["retry_at"], at(2), "{line}");
    assert_eq!(run_at(&db, 1)["emails_sent"], 0);
    let report = run_at(&db, 3);
    assert_eq!(report["emails_sent"], 1, "{report}");
    assert_eq!(latest_sent(&db, &email(0)).1, 1);
}

#[test]
fn a_hard_bounce_ends_it_and_blocks_the_address_until_it_changes() {
    let (dir, db) = sent();
    let (m1, _) = latest_sent(&db, &email(0));
    let line = ingest_at(&db, 1, &hard(dir.path(), "h1", &email(0), &m1), None);
    assert_eq!(line["action"], "ended", "{line}");
    assert_eq!(line["reason"], "bounced", "{line}");
    assert_eq!(line["bounce"][0]["verdict"], "hard", "{line}");
    assert_eq!(line["bounce"][0]["reason"], "user_unknown", "{line}");
    assert_eq!(line["bounce"][0]["marked_undeliverable"], true, "{line}");
    assert_eq!(
        status_of(&db, &email(0)),
        ("unenrolled".into(), Some("bounced".into()))
    );
    let contact = contact_json(&db, &email(0));
    assert_eq!(contact["address_state"], "undeliverable", "{contact}");
    assert_eq!(contact["undeliverable_reason"], "user_unknown", "{contact}");
    assert_eq!(contact["undeliverable_at"], at(1), "{contact}");
    // The mark is audited on its own (it outlives the enrollment).
    let marked: String = raw(&db)
        .query_row(
            "SELECT detail FROM audit WHERE action = 'address_undeliverable' AND actor_id IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(marked.contains(&email(0)), "{marked}");
    assert!(marked.contains("user_unknown"), "{marked}");

    // R2-like: enroll refuses it, exit 3, code undeliverable.
    let refused = run(
        &db,
        &[
            "--json",
            "enroll",
            "--sequence",
            "Beta Nurture",
            "--contact",
            &email(0),
        ],
    );
    assert_eq!(refused.code, 3, "{} {}", refused.stdout, refused.stderr);
    let report = refused.json();
    assert_eq!(report["refused"][0]["code"], "undeliverable", "{report}");
    let why = report["refused"][0]["why"].as_str().unwrap();
    assert!(why.contains("undeliverable since"), "{why}");
    assert!(why.contains("user_unknown"), "{why}");
    let text = run(
        &db,
        &[
            "enroll",
            "--sequence",
            "Beta Nurture",
            "--contact",
            &email(0),
        ],
    );
    assert_eq!(text.code, 3);
    assert!(text.stderr.contains("undeliverable"), "{}", text.stderr);

    // Another contact's address is refused (exit 3), nothing changes.
    let taken = run(&db, &["contact", "email", &email(0), "--to", &email(1)]);
    assert_eq!(taken.code, 3, "{}", taken.stderr);
    one_line_error(&taken.stderr);
    // So is a rep who does not own the contact (Bob; Ann owns contact 0).
    let bob = run(
        &db,
        &[
            "--as",
            "bob@team.example",
            "contact",
            "email",
            &email(0),
            "--to",
            "new0@acme0.example",
        ],
    );
    assert_eq!(bob.code, 3, "{}", bob.stderr);
    assert!(bob.stderr.contains("not permitted"), "{}", bob.stderr);
    assert_eq!(
        contact_json(&db, &email(0))["address_state"],
        "undeliverable"
    );

    // Ann changes the address: the block lifts.
    let changed = run(
        &db,
        &[
            "--as",
            "ann@team.example",
            "--json",
            "contact",
            "email",
            &email(0),
            "--to",
            "New0@acme0.example",
        ],
    );
    assert_eq!(changed.code, 0, "{}", changed.stderr);
    let report = changed.json();
    assert_eq!(report["before"], email(0).as_str(), "{report}");
    assert_eq!(report["was_undeliverable"], true, "{report}");
    let contact = contact_json(&db, "new0@acme0.example");
    assert_eq!(contact["address_state"], "deliverable", "{contact}");
    assert!(contact["undeliverable_at"].is_null(), "{contact}");
    // The history stays.
    assert_eq!(contact["bounces"][0]["verdict"], "hard", "{contact}");
    // Audited with the previous address.
    let detail: String = raw(&db)
        .query_row(
            "SELECT detail FROM audit WHERE action = 'contact_email'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(detail.contains(&email(0)), "{detail}");
    assert!(detail.contains("New0@acme0.example"), "{detail}");
    let again = run(
        &db,
        &[
            "enroll",
            "--sequence",
            "Beta Nurture",
            "--contact",
            "new0@acme0.example",
        ],
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    check_invariants(&db);
}

fn one_line_error(stderr: &str) {
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("seqtui: "), "{stderr}");
}

#[test]
fn not_a_bounce_changes_nothing() {
    let (dir, db) = sent();
    let (m1, _) = latest_sent(&db, &email(0));
    let file = bounce_file(
        dir.path(),
        "d1",
        &email(0),
        &m1,
        [
            "not_a_bounce",
            "other",
            "4.4.7",
            "Action: delayed; still trying",
        ],
    );
    let line = ingest_at(&db, 0, &file, None);
    assert_eq!(line["action"], "recorded", "{line}");
    assert_eq!(line["bounce"][0]["verdict"], "not_a_bounce", "{line}");
    assert!(line["reason"].is_null(), "{line}");
    assert!(line["paused_until"].is_null(), "{line}");
    assert_eq!(status_of(&db, &email(0)), ("active".into(), None));
    let contact = contact_json(&db, &email(0));
    assert_eq!(contact["address_state"], "deliverable");
    assert_eq!(
        contact["bounces"][0]["verdict"], "not_a_bounce",
        "{contact}"
    );
    let pauses: i64 = raw(&db)
        .query_row("SELECT count(*) FROM engine_pauses", [], |r| r.get(0))
        .unwrap();
    assert_eq!(pauses, 0);
}

#[test]
fn the_same_bounce_twice_changes_nothing_the_second_time() {
    let (dir, db) = sent();
    let (m1, _) = latest_sent(&db, &email(0));
    let file = soft(dir.path(), "s1", &email(0), &m1);
    assert_eq!(ingest_at(&db, 0, &file, None)["action"], "paused");
    let steps = |db: &Path| -> i64 {
        raw(db)
            .query_row("SELECT count(*) FROM scheduled_steps", [], |r| r.get(0))
            .unwrap()
    };
    let before = steps(&db);
    let audit = |db: &Path| -> i64 {
        raw(db)
            .query_row("SELECT count(*) FROM audit", [], |r| r.get(0))
            .unwrap()
    };
    let audit_before = audit(&db);
    let line = ingest_at(&db, 1, &file, None);
    assert_eq!(line["action"], "duplicate", "{line}");
    // Another report of the same failed attempt is no second soft bounce.
    let line = ingest_at(&db, 1, &soft(dir.path(), "s1-again", &email(0), &m1), None);
    assert_eq!(line["action"], "recorded", "{line}");
    assert!(line["bounce"][0]["soft_in_a_row"].is_null(), "{line}");
    assert_eq!(steps(&db), before);
    assert_eq!(audit(&db), audit_before);
    // And a hard bounce twice marks and ends once.
    let (m, _) = latest_sent(&db, &email(1));
    let file = hard(dir.path(), "h1", &email(1), &m);
    assert_eq!(ingest_at(&db, 2, &file, None)["action"], "ended");
    let audit_before = audit(&db);
    assert_eq!(ingest_at(&db, 3, &file, None)["action"], "duplicate");
    assert_eq!(
        contact_json(&db, &email(1))["undeliverable_at"],
        at(2),
        "the first mark stays"
    );
    assert_eq!(audit(&db), audit_before);
}

#[test]
fn ingest_text_says_verdict_and_reason_in_the_why_column() {
    let (dir, db) = sent();
    let (m1, _) = latest_sent(&db, &email(0));
    // The items' table is printed with -v (the default is the summary).
    let run = output(seqtui(&db).args(["-v", "ingest"]).arg(soft(
        dir.path(),
        "s1",
        &email(0),
        &m1,
    )));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("soft bounce (mailbox_full, 5.2.2)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("paused"), "{}", run.stdout);
}

#[test]
fn contact_shows_the_address_state_and_the_bounce_history() {
    let (dir, db) = sent();
    let (m1, _) = latest_sent(&db, &email(0));
    ingest_at(&db, 0, &soft(dir.path(), "s1", &email(0), &m1), None);
    ingest_at(&db, 1, &hard(dir.path(), "h1", &email(0), &m1), None);
    let contact = contact_json(&db, &email(0));
    let bounces = contact["bounces"].as_array().unwrap();
    assert_eq!(bounces.len(), 2, "{contact}");
    // Newest first, each with when, verdict, reason, diagnostic, enrollment.
    assert_eq!(bounces[0]["verdict"], "hard");
    assert_eq!(bounces[0]["reason"], "user_unknown");
    assert_eq!(bounces[0]["action"], "ended");
    assert_eq!(bounces[0]["at"], at(1));
    assert!(
        bounces[0]["diagnostic"]
            .as_str()
            .unwrap()
            .contains("User unknown")
    );
    assert_eq!(bounces[1]["verdict"], "soft");
    assert_eq!(bounces[1]["reason"], "mailbox_full");
    assert_eq!(bounces[1]["action"], "paused");
    assert_eq!(bounces[1]["enrollment"], bounces[0]["enrollment"]);
    assert!(bounces[0]["enrollment"].is_i64());
    assert_eq!(contact["address_state"], "undeliverable");
    let text = run(&db, &["contact", &email(0)]);
    assert_eq!(text.code, 0);
    assert!(
        text.stdout.contains("address UNDELIVERABLE since"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("Bounces"), "{}", text.stdout);
    assert!(text.stdout.contains("user_unknown"), "{}", text.stdout);
    assert!(text.stdout.contains("mailbox_full"), "{}", text.stdout);
    let other = run(&db, &["contact", &email(1)]);
    assert!(
        other.stdout.contains("address deliverable"),
        "{}",
        other.stdout
    );
}

#[test]
fn undo_never_reopens_an_enrollment_of_an_undeliverable_address() {
    let mut f = fixture(10);
    let ids = vec![f.c[0], f.c[1]];
    f.ws.enroll(&f.rep_ann, f.seq_a.id, &ids).unwrap();
    let outbox = f.dir.path().join("outbox");
    run_once(&mut f.ws, &outbox).unwrap();
    let enrollments: Vec<i64> = ids
        .iter()
        .map(|&c| f.ws.enrollment_of(c, f.seq_a.id).unwrap().unwrap())
        .collect();
    let report =
        f.ws.unenroll(
            &f.rep_ann,
            &UnenrollRequest {
                enrollments: enrollments.clone(),
                reason: EndReason::NotAFit,
                note: None,
                dry_run: false,
            },
        )
        .unwrap();
    let batch = report.batch.clone().unwrap();
    // The email sent before the unenroll bounces hard afterwards.
    let (m, _) = latest_sent(&f.path, &email(0));
    let file = hard(f.dir.path(), "h1", &email(0), &m);
    for item in seqtui::engine::read_path(&file, f.ws.now()) {
        let out = f.ws.apply_inbound(&item.event.unwrap()).unwrap();
        assert_eq!(out[0].action, IngestAction::Recorded, "{:?}", out[0]);
        assert!(out[0].bounce[0].marked_undeliverable, "{:?}", out[0]);
    }
    let undo = f.ws.undo(&f.rep_ann, &batch).unwrap();
    assert_eq!(undo.restored, vec![enrollments[1]], "{undo:?}");
    assert_eq!(undo.not_restored.len(), 1, "{undo:?}");
    assert_eq!(undo.not_restored[0].id, enrollments[0]);
    assert_eq!(undo.not_restored[0].code, SkipCode::Undeliverable);
    assert_eq!(
        status_of(&f.path, &email(0)),
        ("unenrolled".into(), Some("not_a_fit".into()))
    );
}

#[test]
fn a_json_lines_bounce_with_an_unknown_verdict_is_refused() {
    let (dir, db) = sent();
    let file = dir.path().join("bad.jsonl");
    std::fs::write(
        &file,
        format!(
            "{{\"type\": \"bounce\", \"id\": \"x\", \"email\": \"{}\", \"verdict\": \"squishy\"}}\n",
            email(0)
        ),
    )
    .unwrap();
    let run = output(seqtui(&db).args(["--json", "ingest"]).arg(&file));
    assert_eq!(run.code, 1, "{}", run.stdout);
    let lines = run.json()["items"].clone();
    assert_eq!(lines[0]["code"], "invalid", "{lines}");
    assert!(
        lines[0]["error"]
            .as_str()
            .unwrap()
            .contains("unknown bounce verdict"),
        "{lines}"
    );
    assert_eq!(status_of(&db, &email(0)), ("active".into(), None));
    // The older `permanent` flag still works: false is soft.
    let file = dir.path().join("old.jsonl");
    let (m, _) = latest_sent(&db, &email(0));
    std::fs::write(
        &file,
        format!(
            "{{\"type\": \"bounce\", \"id\": \"y\", \"message_id\": \"{m}\", \"permanent\": false, \"status\": \"4.2.2\"}}\n"
        ),
    )
    .unwrap();
    let line = ingest_at(&db, 0, &file, None);
    assert_eq!(line["bounce"][0]["verdict"], "soft", "{line}");
    // Its status says why: X.2.2 is a full mailbox (the classifier reads a
    // status when no text says more).
    assert_eq!(line["bounce"][0]["reason"], "mailbox_full", "{line}");
    assert_eq!(line["action"], "paused", "{line}");
    let _ = NOW;
}

/// The TUI's detail pane shows an undeliverable address, and `e` refuses
/// it like an opted-out contact, even when the list was loaded before the
/// bounce; a new address lifts it.
#[test]
fn tui_shows_and_refuses_an_undeliverable_address() {
    use seqtui::tui::{Headless, Theme};
    let (dir, db) = sent();
    let open = || {
        let mut h = Headless::open(
            &db,
            Clock::Fixed(now() + Duration::hours(2)),
            Some("ann@team.example"),
            (160, 40),
            Theme::plain(),
        )
        .unwrap();
        h.settle();
        h
    };
    let mut h = open();
    h.key("2").settle().key("/");
    h.type_text(&email(0)).settle().key("enter");
    // Hard-bounced elsewhere after the list was shown.
    let (m1, _) = latest_sent(&db, &email(0));
    ingest_at(&db, 1, &hard(dir.path(), "h1", &email(0), &m1), None);
    h.key("e").settle();
    assert!(h.app.dialog.is_none(), "no sequence picker");
    let note = h.app.note.clone().expect("a sentence").text;
    assert!(note.contains("undeliverable"), "{note}");
    assert!(note.contains("user_unknown"), "{note}");

    let mut h = open();
    h.key("2").settle().key("/");
    h.type_text(&email(0)).settle().key("enter");
    let screen = h.screen();
    assert!(
        screen.contains("undeliverable since Nov 02 (user_unknown)"),
        "{screen}"
    );
    h.key("e").settle();
    assert!(h.app.dialog.is_none());

    // A new address: the picker opens again.
    let changed = run(
        &db,
        &["contact", "email", &email(0), "--to", "fresh@acme0.example"],
    );
    assert_eq!(changed.code, 0, "{}", changed.stderr);
    let mut h = open();
    h.key("2").settle().key("/");
    h.type_text("fresh@acme0.example").settle().key("enter");
    assert!(!h.screen().contains("undeliverable since"));
    h.key("e").settle();
    assert!(h.app.dialog.is_some(), "the picker opens");
}

/// A bounce's diagnostic comes from whoever wrote it: kept on one line and
/// at most 500 characters, wherever it is shown.
#[test]
fn a_hostile_diagnostic_is_kept_short_and_on_one_line() {
    let (dir, db) = sent();
    let (m1, _) = latest_sent(&db, &email(0));
    let long = format!("550 5.1.1 gone\n\u{1b}[2Jevil\r\n{}", "x".repeat(5000));
    let file = bounce_file(
        dir.path(),
        "h1",
        &email(0),
        &m1,
        ["hard", "user_unknown", "5.1.1", &long],
    );
    let line = ingest_at(&db, 0, &file, None);
    let diagnostic = line["bounce"][0]["diagnostic"].as_str().unwrap();
    assert!(
        diagnostic.starts_with("550 5.1.1 gone [2Jevil x"),
        "{diagnostic}"
    );
    assert!(diagnostic.chars().count() <= 501, "{}", diagnostic.len());
    assert!(!diagnostic.chars().any(char::is_control), "{diagnostic:?}");
    let contact = contact_json(&db, &email(0));
    let kept = contact["undeliverable_diagnostic"].as_str().unwrap();
    assert_eq!(kept, diagnostic);
    let text = run(&db, &["contact", &email(0)]);
    assert!(!text.stdout.contains('\u{1b}'), "{}", text.stdout);
}
