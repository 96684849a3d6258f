//! The built binary end to end: `demo` → `run` (emails in the outbox
//! Maildir) → a reply built from one outbox message → `ingest` → that
//! enrollment is `replied`, the rest unchanged → the same `ingest` again
//! changes nothing.

mod common;

use std::path::Path;

use common::cli::seqtui;
use serde_json::Value;

fn json(db: &Path, args: &[&str]) -> Value {
    let out = seqtui(db).arg("--json").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
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

#[test]
fn demo_run_reply_ingest_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    json(&db, &["demo", "--contacts", "300"]);

    let run = json(&db, &["run", "--once"]);
    let sent = run["emails_sent"].as_u64().unwrap();
    assert!(sent > 0, "{run}");
    let outbox = dir.path().join("outbox");
    let mut files: Vec<_> = std::fs::read_dir(outbox.join("new"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    assert_eq!(files.len() as u64, sent);
    // Running again at the same clock sends nothing more.
    let again = json(&db, &["run"]);
    assert_eq!(again["emails_sent"], 0);

    // A reply to one outbox message, as a mail client writes it.
    let original = std::fs::read(&files[0]).unwrap();
    let message = mail_parser::MessageParser::default()
        .parse(&original)
        .unwrap();
    let id = message.message_id().unwrap().to_string();
    let contact = message
        .to()
        .unwrap()
        .first()
        .unwrap()
        .address()
        .unwrap()
        .to_string();
    let sender = message
        .from()
        .unwrap()
        .first()
        .unwrap()
        .address()
        .unwrap()
        .to_string();
    let enrollment: i64 = message
        .header_raw("X-Seqtui-Enrollment")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let reply = format!(
        "From: <{contact}>\r\nTo: <{sender}>\r\nSubject: Re: {}\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\n\
         Message-ID: <reply-e2e-1@client.example>\r\nIn-Reply-To: <{id}>\r\nReferences: <{id}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nYes, let's talk.\r\n\r\n> earlier text\r\n",
        message.subject().unwrap_or_default()
    );
    let reply_path = dir.path().join("reply.eml");
    std::fs::write(&reply_path, reply).unwrap();

    let before = statuses(&db);
    let result = json(&db, &["ingest", reply_path.to_str().unwrap()])["items"].clone();
    assert_eq!(result[0]["action"], "ended", "{result}");
    assert_eq!(result[0]["reason"], "replied");
    assert_eq!(result[0]["enrollment"], enrollment);
    let after = statuses(&db);
    for (b, a) in before.iter().zip(&after) {
        if a.0 == enrollment {
            assert_eq!(
                (a.1.as_str(), a.2.as_deref()),
                ("unenrolled", Some("replied"))
            );
        } else {
            assert_eq!(b, a, "another enrollment changed");
        }
    }

    let second = json(&db, &["ingest", reply_path.to_str().unwrap()])["items"].clone();
    assert_eq!(second[0]["action"], "duplicate");
    assert_eq!(statuses(&db), after);
}

#[test]
fn ingest_reports_a_bad_file_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    json(&db, &["demo", "--contacts", "50"]);
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "\u{0}\u{1} not mail").unwrap();
    let events = dir.path().join("events.jsonl");
    std::fs::write(
        &events,
        "{\"type\": \"open\", \"email\": \"nobody@nowhere.example\"}\n",
    )
    .unwrap();
    let out = seqtui(&db)
        .args(["ingest", bad.to_str().unwrap(), events.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.txt"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("2 items"), "{stdout}");
}

#[test]
fn sequence_set_changes_the_settings() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    json(&db, &["demo", "--contacts", "50"]);
    let sequences = json(&db, &["sequences"]);
    let id = sequences[0]["id"].as_i64().unwrap().to_string();
    // R12: a sequence's settings are its owner's, their manager's or an
    // admin's (the demo's default manager is not in every owner's team).
    let users = json(&db, &["users"]);
    let admin = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["role"] == "admin")
        .unwrap()["email"]
        .as_str()
        .unwrap()
        .to_string();
    let set = json(
        &db,
        &[
            "--as",
            &admin,
            "sequence",
            "set",
            &id,
            "--unenroll-colleagues",
            "on",
            "--pause-on-out-of-office",
            "on",
        ],
    );
    assert_eq!(set["unenroll_colleagues"], true);
    assert_eq!(set["pause_on_ooo"], true);
    let out = seqtui(&db).args(["sequence", "set", &id]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
