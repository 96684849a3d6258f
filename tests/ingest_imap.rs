//! `ingest imap://…` against a real Dovecot started by the test on
//! 127.0.0.1 (tests/support/dovecot.rs): replies and bounces applied like
//! files, each message read once (UID cursor, UIDVALIDITY), nothing moved
//! unless `--move-processed`, `--watch` reconnecting after the server
//! drops, and a refused login in one sentence.

mod common;
mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::cli::{NOW, Run, one_sentence, output, process, seqtui};
use serde_json::Value;
use support::dovecot::Dovecot;

const DSN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/mail/dsn_bounce.eml"
);

/// A demo workspace whose first emails are in the outbox: their files.
fn sent_workspace(dir: &Path) -> (PathBuf, Vec<PathBuf>) {
    let db = dir.join("ws.db");
    let demo = output(seqtui(&db).args(["--json", "demo", "--contacts", "1000"]));
    assert_eq!(demo.code, 0, "{}", demo.stderr);
    let run = output(seqtui(&db).args(["--json", "run", "--once"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("outbox").join("new"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    assert!(files.len() >= 4, "too few emails sent: {}", files.len());
    (db, files)
}

struct Sent {
    message_id: String,
    contact: String,
    sender: String,
    subject: String,
    enrollment: i64,
}

fn sent(file: &Path) -> Sent {
    let bytes = std::fs::read(file).unwrap();
    let m = mail_parser::MessageParser::default().parse(&bytes).unwrap();
    let addr = |a: Option<&mail_parser::Address>| {
        a.unwrap().first().unwrap().address().unwrap().to_string()
    };
    Sent {
        message_id: m.message_id().unwrap().to_string(),
        contact: addr(m.to()),
        sender: addr(m.from()),
        subject: m.subject().unwrap_or_default().to_string(),
        enrollment: m
            .header_raw("X-Seqtui-Enrollment")
            .unwrap()
            .trim()
            .parse()
            .unwrap(),
    }
}

/// A reply to `s`, as a mail client writes it.
fn reply(s: &Sent, tag: &str) -> Vec<u8> {
    format!(
        "From: <{}>\r\nTo: <{}>\r\nSubject: Re: {}\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\n\
         Message-ID: <reply-{tag}@client.example>\r\nIn-Reply-To: <{id}>\r\nReferences: <{id}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nYes, let's talk.\r\n",
        s.contact,
        s.sender,
        s.subject,
        id = s.message_id
    )
    .into_bytes()
}

/// A Postfix DSN: `s`'s recipient unknown (5.1.1).
fn bounce(s: &Sent) -> Vec<u8> {
    std::fs::read_to_string(DSN)
        .unwrap()
        .replace("contact0003@acme3.example", &s.contact)
        .replace(
            "__MSGID__",
            &format!("<{}>", s.message_id.trim_matches(['<', '>'])),
        )
        .into_bytes()
}

fn statuses(db: &Path) -> Vec<(i64, String, Option<String>)> {
    let conn = common::raw(db);
    let mut stmt = conn
        .prepare("SELECT id, status, end_reason FROM enrollments ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn cursor(db: &Path, mailbox: &str) -> Option<(i64, i64)> {
    let conn = common::raw(db);
    conn.query_row(
        "SELECT uidvalidity, last_uid FROM imap_state WHERE mailbox = ?1",
        [mailbox],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .ok()
}

fn ingest(db: &Path, server: &Dovecot, args: &[&str]) -> Run {
    output(
        seqtui(db)
            .env("SEQTUI_IMAP_PASSWORD", server.password)
            .arg("ingest")
            .args(args),
    )
}

fn ingest_json(db: &Path, server: &Dovecot, args: &[&str]) -> Vec<Value> {
    let run = output(
        seqtui(db)
            .env("SEQTUI_IMAP_PASSWORD", server.password)
            .args(["--json", "ingest"])
            .args(args),
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.json()["items"].as_array().unwrap().clone()
}

/// Checks that only the enrollments in `ended` changed between two
/// snapshots, each to its reason.
fn only_changed(
    before: &[(i64, String, Option<String>)],
    after: &[(i64, String, Option<String>)],
    ended: &[(i64, &str)],
) {
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(after) {
        match ended.iter().find(|(id, _)| *id == a.0) {
            Some((_, reason)) => assert_eq!(
                (a.1.as_str(), a.2.as_deref()),
                ("unenrolled", Some(*reason)),
                "enrollment {}",
                a.0
            ),
            None => assert_eq!(b, a, "another enrollment changed"),
        }
    }
}

#[test]
fn a_reply_and_a_bounce_from_imap_then_nothing_twice_then_only_the_new_one() {
    let server = Dovecot::start();
    let dir = tempfile::tempdir().unwrap();
    let (db, files) = sent_workspace(dir.path());
    let (a, b, c) = (sent(&files[0]), sent(&files[1]), sent(&files[2]));
    server.append("INBOX", &reply(&a, "a"));
    server.append("INBOX", &bounce(&b));
    let url = server.url("INBOX");

    let before = statuses(&db);
    let lines = ingest_json(&db, &server, &[&url]);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0]["source"].as_str().unwrap().ends_with(";UID=1"),
        "{lines:?}"
    );
    assert_eq!(lines[0]["action"], "ended", "{lines:?}");
    assert_eq!(lines[0]["reason"], "replied");
    assert_eq!(lines[0]["enrollment"], a.enrollment);
    // R9: the classifier's verdict on a 5.1.1 is a hard bounce.
    assert_eq!(lines[1]["action"], "ended", "{lines:?}");
    assert_eq!(lines[1]["reason"], "bounced", "{lines:?}");
    assert_eq!(lines[1]["enrollment"], b.enrollment);
    let after = statuses(&db);
    only_changed(
        &before,
        &after,
        &[(a.enrollment, "replied"), (b.enrollment, "bounced")],
    );
    let (uidvalidity, last_uid) = cursor(&db, "INBOX").expect("no cursor stored");
    assert_eq!(last_uid, 2);

    // Again: nothing is fetched, nothing changes.
    let again = ingest(&db, &server, &[&url]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stderr.contains("read 0 new message(s)"),
        "{}",
        again.stderr
    );
    assert!(again.stdout.contains("0 items"), "{}", again.stdout);
    assert!(ingest_json(&db, &server, &[&url]).is_empty());
    assert_eq!(statuses(&db), after);
    assert_eq!(cursor(&db, "INBOX"), Some((uidvalidity, 2)));

    // A new message is read alone.
    server.append("INBOX", &reply(&c, "c"));
    let lines = ingest_json(&db, &server, &[&url]);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0]["source"].as_str().unwrap().ends_with(";UID=3"));
    assert_eq!(lines[0]["enrollment"], c.enrollment);
    assert_eq!(lines[0]["reason"], "replied");
    assert_eq!(cursor(&db, "INBOX"), Some((uidvalidity, 3)));
    // Nothing was moved or deleted on the server.
    assert_eq!(server.count("INBOX"), 3);
    assert_eq!(server.deleted("INBOX"), 0);
}

#[test]
fn a_new_uidvalidity_reads_the_mailbox_again_and_applies_nothing_twice() {
    let server = Dovecot::start();
    let dir = tempfile::tempdir().unwrap();
    let (db, files) = sent_workspace(dir.path());
    let (a, b) = (sent(&files[0]), sent(&files[1]));
    server.append("Replies", &reply(&a, "a"));
    let url = server.url("Replies");
    let first = ingest_json(&db, &server, &[&url]);
    assert_eq!(first[0]["reason"], "replied", "{first:?}");
    let (old_validity, _) = cursor(&db, "Replies").unwrap();
    let after_first = statuses(&db);

    let new_validity = server.recreate("Replies");
    server.append("Replies", &reply(&a, "a"));
    server.append("Replies", &reply(&b, "b"));
    let run = output(
        seqtui(&db)
            .env("SEQTUI_IMAP_PASSWORD", server.password)
            .args(["--json", "ingest", &url]),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("UIDVALIDITY"), "{}", run.stderr);
    let lines = run.json()["items"].clone();
    let lines = lines.as_array().unwrap();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["action"], "duplicate", "{lines:?}");
    assert_eq!(lines[1]["reason"], "replied", "{lines:?}");
    assert_eq!(lines[1]["enrollment"], b.enrollment);
    only_changed(&after_first, &statuses(&db), &[(b.enrollment, "replied")]);
    assert_ne!(i64::from(new_validity), old_validity);
    assert_eq!(cursor(&db, "Replies"), Some((i64::from(new_validity), 2)));
}

#[test]
fn move_processed_moves_the_applied_messages_and_only_with_the_flag() {
    let server = Dovecot::start();
    let dir = tempfile::tempdir().unwrap();
    let (db, files) = sent_workspace(dir.path());
    let (a, b) = (sent(&files[0]), sent(&files[1]));
    server.append("INBOX", &reply(&a, "a"));
    server.append("INBOX", &bounce(&b));
    let url = server.url("INBOX");
    let lines = ingest_json(&db, &server, &[&url, "--move-processed", "Done"]);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(server.count("INBOX"), 0);
    assert_eq!(server.count("Done"), 2);
    // A later message waits in INBOX until read; then it moves too.
    server.append("INBOX", &reply(&sent(&files[2]), "c"));
    assert_eq!(server.count("INBOX"), 1);
    let lines = ingest_json(&db, &server, &[&url, "--move-processed", "Done"]);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(server.count("INBOX"), 0);
    assert_eq!(server.count("Done"), 3);
}

#[test]
fn a_wrong_password_is_one_sentence_and_exit_3() {
    let server = Dovecot::start();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    assert_eq!(
        output(seqtui(&db).args(["demo", "--contacts", "5"])).code,
        0
    );
    let url = server.url("INBOX");
    let run = output(
        seqtui(&db)
            .env("SEQTUI_IMAP_PASSWORD", "not-the-password")
            .args(["ingest", &url]),
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    one_sentence(&run.stderr);
    assert!(run.stderr.contains("refused the login"), "{}", run.stderr);
    assert!(!run.stderr.contains("not-the-password"));
    assert!(cursor(&db, "INBOX").is_none());

    // No password at all: a usage error naming the variable.
    let run = output(
        seqtui(&db)
            .env_remove("SEQTUI_IMAP_PASSWORD")
            .args(["ingest", &url]),
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    one_sentence(&run.stderr);
    assert!(
        run.stderr.contains("SEQTUI_IMAP_PASSWORD"),
        "{}",
        run.stderr
    );
    // A password in the URL is refused before anything is sent.
    let with_password = url.replace("seller@", "seller:imap-test-secret@");
    let run = output(
        seqtui(&db)
            .env("SEQTUI_IMAP_PASSWORD", server.password)
            .args(["ingest", &with_password]),
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    one_sentence(&run.stderr);
    // A mailbox that does not exist: not found.
    let run = ingest(&db, &server, &[&server.url("Nowhere")]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    one_sentence(&run.stderr);
}

/// Waits until `file` holds `n` lines, or fails with what it holds.
fn wait_lines(file: &Path, n: usize, stderr: &Path) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        if lines.len() >= n {
            return lines;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {n} lines after 30s: {text}\nstderr: {}",
            lines.len(),
            std::fs::read_to_string(stderr).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn watch_reads_new_mail_and_reconnects_after_the_server_drops() {
    let mut server = Dovecot::start();
    let dir = tempfile::tempdir().unwrap();
    let (db, files) = sent_workspace(dir.path());
    let (a, b) = (sent(&files[0]), sent(&files[1]));
    let out = dir.path().join("watch.out");
    let err = dir.path().join("watch.err");
    let mut child = process(&db)
        .env("SEQTUI_IMAP_PASSWORD", server.password)
        .args([
            "--now",
            NOW,
            "--json",
            "ingest",
            "--watch",
            &server.url("INBOX"),
        ])
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();

    server.append("INBOX", &reply(&a, "a"));
    let lines = wait_lines(&out, 1, &err);
    assert_eq!(lines[0]["enrollment"], a.enrollment, "{lines:?}");
    assert_eq!(lines[0]["reason"], "replied");

    // The server goes away and comes back; the watcher says so and goes on.
    server.restart();
    server.append("INBOX", &reply(&b, "b"));
    let lines = wait_lines(&out, 2, &err);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[1]["enrollment"], b.enrollment, "{lines:?}");

    // SIGTERM stops it cleanly.
    // SAFETY: kill(2) of our own child.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("ingest --watch did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stderr = std::fs::read_to_string(&err).unwrap();
    assert!(status.success(), "{status}: {stderr}");
    assert!(stderr.contains("reconnecting in"), "{stderr}");
    assert!(stderr.contains("reconnected to"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 2);
    assert_eq!(cursor(&db, "INBOX").map(|c| c.1), Some(2));
}
