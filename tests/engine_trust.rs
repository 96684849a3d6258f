//! Inbound mail that should not be believed, and inputs that should not be
//! read: R6 replies end an enrollment only from the contact (or its email
//! domain), R9 bounces only when they name the recipient or return the
//! Message-ID, Message-IDs cannot be guessed, one spelling of an email is
//! the same contact whatever its case (Unicode included), and `ingest` on a
//! hostile folder (FIFO, symlinks to devices and loops, huge files) ends
//! quickly, naming what it skipped.

mod common;

use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::cli::{output, seqtui};
use common::mail::{active, ended, message_id_to, status_of};
use common::*;
use seqtui::domain::*;
use seqtui::engine::outbox::run_once;
use seqtui::engine::read_path;
use serde_json::Value;

const MAIL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/mail");

fn email(i: usize) -> String {
    format!("contact{i:04}@acme{}.example", i % 7)
}

/// Contacts 0..6 enrolled in Alpha by Ann; the first emails sent.
fn sent_fixture() -> Fixture {
    let mut f = fixture(10);
    let ids: Vec<i64> = f.c[..6].to_vec();
    f.ws.enroll(&f.rep_ann, f.seq_a.id, &ids).unwrap();
    let outbox = f.dir.path().join("outbox");
    assert_eq!(run_once(&mut f.ws, &outbox).unwrap().emails_sent, 6);
    f
}

/// A reply to `message_id` from `from`, as a mail client writes it.
fn reply(dir: &Path, name: &str, from: &str, message_id: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "From: Someone <{from}>\r\nTo: Ann Rep <ann@team.example>\r\n\
             Subject: Re: Hi\r\nDate: Tue, 3 Nov 2026 10:00:00 +0000\r\n\
             Message-ID: <{name}@client.example>\r\nIn-Reply-To: {message_id}\r\n\
             References: {message_id}\r\nMIME-Version: 1.0\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\nStop emailing this person.\r\n"
        ),
    )
    .unwrap();
    path
}

fn ingest_json(db: &Path, paths: &[&Path]) -> (i32, Vec<Value>) {
    let mut cmd = seqtui(db);
    cmd.arg("--json").arg("ingest").args(paths);
    cmd.timeout(Duration::from_secs(60));
    let run = output(&mut cmd);
    let Value::Array(lines) = run.json()["items"].clone() else {
        panic!("not an array: {}", run.stdout)
    };
    (run.code, lines)
}

fn ingest_lib(f: &mut Fixture, path: &Path) -> Vec<IngestOutcome> {
    let mut out = Vec::new();
    for item in read_path(path, f.ws.now()) {
        let event = item
            .event
            .unwrap_or_else(|e| panic!("{}: {e:?}", item.source));
        out.extend(f.ws.apply_inbound(&event).unwrap());
    }
    out
}

// ------------------------------------------------------------------- R6

#[test]
fn a_strangers_reply_on_the_thread_ends_nothing_and_is_recorded_unverified() {
    let f = sent_fixture();
    let id = message_id_to(&f.path, &email(0));
    let file = reply(f.dir.path(), "stranger", "mallory@evil.example", &id);
    let path = f.path.clone();
    drop(f.ws);
    let (code, lines) = ingest_json(&path, &[&file]);
    assert_eq!(code, 0, "{lines:?}");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["action"], "unverified", "{lines:?}");
    assert_eq!(lines[0]["contact"], email(0).as_str());
    assert!(lines[0]["reason"].is_null(), "{lines:?}");
    assert_eq!(status_of(&path, &email(0)), active());
    // Visible on the contact's timeline, as what it is.
    let contact = output(seqtui(&path).args(["--json", "contact", &email(0)])).json();
    let timeline = contact["timeline"].as_array().unwrap();
    assert!(
        timeline.iter().any(|t| t["type"] == "unverified_reply"
            && t["detail"]
                .as_str()
                .unwrap()
                .contains("mallory@evil.example")),
        "{timeline:?}"
    );
    // It is not a reply: it does not count in the sequence's reply rate.
    let replies: i64 = raw(&path)
        .query_row(
            "SELECT count(*) FROM events WHERE type = 'reply'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(replies, 0);
    // The text report names the outcome too.
    let run = output(seqtui(&path).args(["ingest"]).arg(reply(
        f.dir.path(),
        "stranger2",
        "eve@evil.example",
        &id,
    )));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("unverified"), "{}", run.stdout);
    assert_eq!(status_of(&path, &email(0)), active());
}

#[test]
fn a_reply_from_the_contact_in_another_case_or_a_colleague_at_its_domain_ends_it() {
    let mut f = sent_fixture();
    // The contact, shouting.
    let id = message_id_to(&f.path, &email(0));
    let file = reply(f.dir.path(), "upper", &email(0).to_uppercase(), &id);
    let out = ingest_lib(&mut f, &file);
    assert_eq!(out[0].action, IngestAction::Ended, "{:?}", out[0]);
    assert_eq!(status_of(&f.path, &email(0)), ended("replied"));
    // A colleague at the contact's domain answers for them.
    let id = message_id_to(&f.path, &email(1));
    let file = reply(f.dir.path(), "boss", "The.Boss@ACME1.example", &id);
    let out = ingest_lib(&mut f, &file);
    assert_eq!(out[0].action, IngestAction::Ended, "{:?}", out[0]);
    assert_eq!(out[0].reason, Some(EndReason::Replied));
    assert_eq!(status_of(&f.path, &email(1)), ended("replied"));
    // A look-alike domain is not the contact's domain.
    let id = message_id_to(&f.path, &email(2));
    let file = reply(
        f.dir.path(),
        "lookalike",
        "x@acme2.example.evil.example",
        &id,
    );
    let out = ingest_lib(&mut f, &file);
    assert_eq!(out[0].action, IngestAction::Unverified, "{:?}", out[0]);
    assert_eq!(status_of(&f.path, &email(2)), active());
    check_invariants(&f.path);
}

#[test]
fn a_json_lines_reply_is_verified_by_its_email() {
    let mut f = sent_fixture();
    let id0 = message_id_to(&f.path, &email(0));
    let id1 = message_id_to(&f.path, &email(1));
    let file = f.dir.path().join("events.jsonl");
    std::fs::write(
        &file,
        format!(
            "{{\"type\": \"reply\", \"id\": \"r1\", \"email\": \"mallory@evil.example\", \"in_reply_to\": \"{id0}\"}}\n\
             {{\"type\": \"reply\", \"id\": \"r2\", \"email\": \"{}\", \"in_reply_to\": \"{id1}\"}}\n",
            email(1)
        ),
    )
    .unwrap();
    let out = ingest_lib(&mut f, &file);
    assert_eq!(out[0].action, IngestAction::Unverified, "{:?}", out[0]);
    assert_eq!(out[1].action, IngestAction::Ended, "{:?}", out[1]);
    assert_eq!(status_of(&f.path, &email(0)), active());
    assert_eq!(status_of(&f.path, &email(1)), ended("replied"));
}

#[test]
fn an_automatic_reply_on_the_thread_from_a_stranger_pauses_nothing() {
    let mut f = sent_fixture();
    let manager = f.manager_east.clone();
    f.ws.set_sequence_options(&manager, "Alpha Outbound", None, Some(true))
        .unwrap();
    let id = message_id_to(&f.path, &email(0));
    let event = InboundEvent {
        id: "ooo-forged".into(),
        at: now(),
        inbound: Inbound::AutoReply {
            from: "mallory@evil.example".into(),
            references: vec![id],
            subject: "Out of office".into(),
            return_date: Some(now() + chrono::Duration::days(300)),
        },
    };
    let out = f.ws.apply_inbound(&event).unwrap();
    assert_ne!(out[0].action, IngestAction::Paused, "{:?}", out[0]);
    assert_eq!(status_of(&f.path, &email(0)), active());
}

// ------------------------------------------------------------ Message-IDs

/// The part of a Message-ID between `seqtui.` and `.<workspace id>@`.
fn random_part(id: &str, workspace: &str) -> String {
    let inner = id.trim_start_matches('<').trim_end_matches('>');
    let (local, _) = inner.split_once('@').unwrap();
    local
        .strip_prefix("seqtui.")
        .and_then(|r| r.strip_suffix(&format!(".{workspace}")))
        .unwrap_or_else(|| panic!("unexpected Message-ID {id}"))
        .to_string()
}

#[test]
fn message_ids_carry_an_unguessable_random_part() {
    let f = sent_fixture();
    let conn = raw(&f.path);
    let workspace: String = conn
        .query_row(
            "SELECT value FROM workspace WHERE key = 'workspace_id'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let mut stmt = conn
        .prepare("SELECT message_id, scheduled_step_id FROM sent_emails ORDER BY id")
        .unwrap();
    let ids: Vec<(String, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(ids.len(), 6);
    let parts: Vec<String> = ids
        .iter()
        .map(|(id, _)| random_part(id, &workspace))
        .collect();
    for ((id, step), part) in ids.iter().zip(&parts) {
        // At least 128 bits: 32 hex digits, nothing else.
        assert!(part.len() >= 32, "{id}: random part too short");
        assert!(part.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        assert!(
            !id.starts_with(&format!("<seqtui.{step}.")),
            "{id} is named after its step {step}"
        );
    }
    // Consecutive steps of one workspace: about half the bits differ.
    for pair in parts.windows(2) {
        let differing: u32 = pair[0]
            .bytes()
            .zip(pair[1].bytes())
            .map(|(a, b)| {
                let v = |c: u8| (c as char).to_digit(16).unwrap();
                (v(a) ^ v(b)).count_ones()
            })
            .sum();
        assert!(differing >= 32, "{pair:?} differ in {differing} bits");
    }
    // Hex digits spread over the alphabet (not a counter).
    let distinct: std::collections::HashSet<u8> = parts.iter().flat_map(|p| p.bytes()).collect();
    assert!(distinct.len() >= 12, "{distinct:?}");
}

#[test]
fn an_old_format_message_id_already_sent_still_matches_a_reply() {
    let mut f = sent_fixture();
    let old = "<seqtui.1.0123456789abcdef@team.example>";
    raw(&f.path)
        .execute(
            "UPDATE sent_emails SET message_id = ?1, thread_id = ?1 WHERE id = (
                SELECT se.id FROM sent_emails se JOIN enrollments e ON e.id = se.enrollment_id
                JOIN contacts c ON c.id = e.contact_id WHERE c.email = ?2)",
            rusqlite::params![old, email(3)],
        )
        .unwrap();
    let file = reply(f.dir.path(), "old", &email(3), old);
    let out = ingest_lib(&mut f, &file);
    assert_eq!(out[0].action, IngestAction::Ended, "{:?}", out[0]);
    assert_eq!(status_of(&f.path, &email(3)), ended("replied"));
}

// ------------------------------------------------------------------- R9

/// The DSN fixture, bouncing `message_id` (in the returned headers when
/// `returned`, else only in the report's own In-Reply-To) for `recipient`.
fn dsn(dir: &Path, name: &str, recipient: &str, message_id: &str, returned: bool) -> PathBuf {
    let text = std::fs::read_to_string(Path::new(MAIL).join("dsn_bounce.eml")).unwrap();
    let mut text = text
        .replace("contact0003@acme3.example", recipient)
        .replace("20261102090102.4F2A1C0123", name);
    if returned {
        text = text.replace("__MSGID__", message_id);
    } else {
        text = text.replace("Message-ID: __MSGID__\n", "").replace(
            "Auto-Submitted: auto-replied\n",
            &format!("Auto-Submitted: auto-replied\nIn-Reply-To: {message_id}\n"),
        );
    }
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_bounce_naming_another_recipient_ends_nothing() {
    let mut f = sent_fixture();
    let id = message_id_to(&f.path, &email(3));
    // Names contact 3's email only as a thread reference, for someone else.
    let file = dsn(
        f.dir.path(),
        "forged.eml",
        "victim@elsewhere.example",
        &id,
        false,
    );
    let out = ingest_lib(&mut f, &file);
    assert_eq!(out[0].kind, "bounce");
    assert_ne!(out[0].action, IngestAction::Ended, "{:?}", out[0]);
    assert_eq!(status_of(&f.path, &email(3)), active());
    // Recorded, so someone can see it happened.
    let recorded: i64 = raw(&f.path)
        .query_row(
            "SELECT count(*) FROM events WHERE type = 'unverified_bounce'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(recorded, 1);
    // A JSON Lines bounce for an address seqtui never emailed ends nothing.
    let jsonl = f.dir.path().join("b.jsonl");
    std::fs::write(
        &jsonl,
        format!(
            "{{\"type\": \"bounce\", \"id\": \"b1\", \"email\": \"{}\"}}\n",
            email(8)
        ),
    )
    .unwrap();
    let ids: Vec<i64> = vec![f.c[8]];
    f.ws.enroll(&f.rep_ann, f.seq_a.id, &ids).unwrap();
    let out = ingest_lib(&mut f, &jsonl);
    assert_ne!(out[0].action, IngestAction::Ended, "{:?}", out[0]);
    assert_eq!(status_of(&f.path, &email(8)), active());
}

#[test]
fn a_bounce_naming_the_recipient_or_returning_the_message_id_ends_it() {
    let mut f = sent_fixture();
    // The recipient named (in another case), the Message-ID only referenced.
    let id = message_id_to(&f.path, &email(3));
    let file = dsn(f.dir.path(), "a.eml", &email(3).to_uppercase(), &id, false);
    let out = ingest_lib(&mut f, &file);
    assert_eq!(out[0].action, IngestAction::Ended, "{:?}", out[0]);
    assert_eq!(status_of(&f.path, &email(3)), ended("bounced"));
    // The Message-ID returned, whatever recipient the relay wrote.
    let id = message_id_to(&f.path, &email(4));
    let file = dsn(f.dir.path(), "b.eml", "alias@relay.example", &id, true);
    let out = ingest_lib(&mut f, &file);
    assert_eq!(out[0].action, IngestAction::Ended, "{:?}", out[0]);
    assert_eq!(status_of(&f.path, &email(4)), ended("bounced"));
}

// --------------------------------------------------------------- Unicode

/// A workspace with Élodie (as typed), enrolled, her first email sent;
/// the built binary from there on.
fn elodie() -> (tempfile::TempDir, PathBuf) {
    let mut f = fixture(0);
    let rows = vec![
        ContactInput {
            line: 2,
            email_column: "email".into(),
            email: "Élodie.Test@Exemple-Ü.example".into(),
            first_name: Some("Élodie".into()),
            owner: Some("ann@team.example".into()),
            ..Default::default()
        },
        ContactInput {
            line: 3,
            email_column: "email".into(),
            email: "zoe@other.example".into(),
            first_name: Some("Zoë".into()),
            owner: Some("ann@team.example".into()),
            ..Default::default()
        },
    ];
    let admin = f.admin.clone();
    f.ws.import_contacts(&admin, &rows).unwrap();
    let ids: Vec<i64> = vec![1, 2];
    assert_eq!(
        f.ws.enroll(&f.rep_ann, f.seq_a.id, &ids)
            .unwrap()
            .enrolled
            .len(),
        2
    );
    run_once(&mut f.ws, &f.dir.path().join("outbox")).unwrap();
    let path = f.path.clone();
    drop(f.ws);
    (f.dir, path)
}

const ELODIE: &str = "Élodie.Test@Exemple-Ü.example";

#[test]
fn a_reply_from_the_lower_case_spelling_ends_the_enrollment() {
    let (dir, db) = elodie();
    let id = message_id_to(&db, ELODIE);
    let file = reply(dir.path(), "lower", "élodie.test@exemple-ü.example", &id);
    let (_, lines) = ingest_json(&db, &[&file]);
    assert_eq!(lines[0]["action"], "ended", "{lines:?}");
    assert_eq!(status_of(&db, ELODIE), ended("replied"));
}

#[test]
fn an_unsubscribe_in_another_spelling_opts_the_contact_out() {
    let (dir, db) = elodie();
    let file = dir.path().join("unsub.jsonl");
    // Upper case, and decomposed (NFD: E + combining acute).
    std::fs::write(
        &file,
        "{\"type\": \"unsubscribe\", \"id\": \"u1\", \"email\": \"E\u{301}LODIE.TEST@EXEMPLE-U\u{308}.EXAMPLE\"}\n",
    )
    .unwrap();
    let (_, lines) = ingest_json(&db, &[&file]);
    assert_eq!(lines[0]["action"], "ended", "{lines:?}");
    assert_eq!(status_of(&db, ELODIE), ended("opted_out"));
    let contact = output(seqtui(&db).args(["--json", "contact", "élodie.test@exemple-ü.example"]));
    assert_eq!(contact.code, 0, "{}", contact.stderr);
    assert_eq!(contact.json()["opted_out"], true);
    // Shown as typed.
    assert_eq!(contact.json()["email"], ELODIE);
}

#[test]
fn a_bounce_for_the_lower_case_spelling_ends_the_enrollment() {
    let (dir, db) = elodie();
    let file = dir.path().join("bounce.jsonl");
    std::fs::write(
        &file,
        "{\"type\": \"bounce\", \"id\": \"b1\", \"email\": \"élodie.test@exemple-ü.example\", \"status\": \"5.1.1\"}\n",
    )
    .unwrap();
    let (_, lines) = ingest_json(&db, &[&file]);
    assert_eq!(lines[0]["action"], "ended", "{lines:?}");
    assert_eq!(status_of(&db, ELODIE), ended("bounced"));
}

#[test]
fn importing_both_spellings_gives_one_contact() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    let init = output(seqtui(&db).args(["init", "--admin", "admin@team.example"]));
    assert_eq!(init.code, 0, "{}", init.stderr);
    let csv = dir.path().join("contacts.csv");
    std::fs::write(
        &csv,
        "email,first_name\n\
         Élodie.Test@Exemple-Ü.example,Élodie\n\
         élodie.test@exemple-ü.example,Elodie\n\
         E\u{301}LODIE.TEST@EXEMPLE-Ü.EXAMPLE,E.\n",
    )
    .unwrap();
    let run = output(seqtui(&db).args(["import", "contacts"]).arg(&csv));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let count: i64 = raw(&db)
        .query_row("SELECT count(*) FROM contacts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 1);
    // The same file again: still one.
    let run = output(seqtui(&db).args(["import", "contacts"]).arg(&csv));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let count: i64 = raw(&db)
        .query_row("SELECT count(*) FROM contacts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 1);
}

#[test]
fn a_workspace_from_before_the_email_key_is_migrated() {
    // A version-7 file: the schema as it was, with two contacts and a user.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.pragma_update(None, "application_id", 0x5345_5154)
        .unwrap();
    let migrations = seqtui::store::schema::migrations();
    for sql in &migrations[..7] {
        conn.execute_batch(sql).unwrap();
    }
    conn.pragma_update(None, "user_version", 7).unwrap();
    conn.execute_batch(
        "INSERT INTO users(email, name, role, team) VALUES ('Ädmin@Team.example', 'Ada', 'admin', 'T');
         INSERT INTO workspace(key, value) VALUES ('default_user', 'Ädmin@Team.example');
         INSERT INTO contacts(email, created_at, sort_name) VALUES ('Élodie.Test@x.example', '2026-01-01T00:00:00Z', 'a');
         INSERT INTO contacts(email, created_at, sort_name) VALUES ('élodie.test@x.example', '2026-01-02T00:00:00Z', 'b');
         INSERT INTO contacts(email, created_at, sort_name) VALUES ('bob@x.example', '2026-01-02T00:00:00Z', 'c');",
    )
    .unwrap();
    drop(conn);
    let ws = Workspace::open(&db, Clock::Fixed(now())).unwrap();
    // The older spelling holds the key; the later duplicate keeps its row.
    assert_eq!(ws.contact("ÉLODIE.TEST@X.EXAMPLE").unwrap().id, 1);
    assert_eq!(ws.contact("BOB@x.example").unwrap().id, 3);
    assert_eq!(ws.contact("2").unwrap().email, "élodie.test@x.example");
    assert!(ws.acting_user(Some("ädmin@team.example")).is_ok());
    drop(ws);
    let keys: Vec<Option<String>> = raw(&db)
        .prepare("SELECT email_key FROM contacts ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        keys,
        vec![
            Some("élodie.test@x.example".to_string()),
            None,
            Some("bob@x.example".to_string())
        ]
    );
}

// ------------------------------------------------------- hostile folders

#[test]
#[cfg(unix)]
fn ingest_of_a_hostile_folder_finishes_and_names_what_it_skipped() {
    use std::os::unix::fs::symlink;
    let f = sent_fixture();
    let db = f.path.clone();
    let id = message_id_to(&db, &email(0));
    drop(f.ws);
    let inbox = f.dir.path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    // One real reply, in a subfolder.
    std::fs::create_dir(inbox.join("sub")).unwrap();
    reply(&inbox.join("sub"), "real.eml", &email(0), &id);
    // A FIFO nobody writes to.
    let fifo = inbox.join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // Symlinks: to an endless device, to itself, in a pair, out of the
    // tree and back into it.
    symlink("/dev/zero", inbox.join("zero.eml")).unwrap();
    symlink(inbox.join("self"), inbox.join("self")).unwrap();
    symlink(inbox.join("pong"), inbox.join("ping")).unwrap();
    symlink(inbox.join("ping"), inbox.join("pong")).unwrap();
    symlink("/", inbox.join("root")).unwrap();
    symlink(&inbox, inbox.join("sub").join("back")).unwrap();
    // A file over the cap (sparse: takes no disk).
    let big = inbox.join("big.eml");
    let mut file = std::fs::File::create(&big).unwrap();
    file.write_all(b"From: a@b.example\r\nSubject: big\r\n\r\n")
        .unwrap();
    file.set_len(60 * 1024 * 1024).unwrap();
    drop(file);
    // An mbox with one message over the cap, then a good one.
    let mbox = inbox.join("box.mbox");
    let mut file = std::fs::File::create(&mbox).unwrap();
    file.write_all(
        b"From a@b.example Tue Nov  3 10:00:00 2026\nFrom: a@b.example\nSubject: huge\n\n",
    )
    .unwrap();
    file.set_len(55 * 1024 * 1024).unwrap();
    file.seek(SeekFrom::End(0)).unwrap();
    let good = std::fs::read_to_string(reply(
        f.dir.path(),
        "mboxed",
        &email(1),
        &message_id_to(&db, &email(1)),
    ))
    .unwrap();
    file.write_all(
        format!(
            "\nFrom x@y Tue Nov  3 10:00:00 2026\n{}",
            good.replace("\r\n", "\n")
        )
        .as_bytes(),
    )
    .unwrap();
    drop(file);

    let started = std::time::Instant::now();
    let (code, lines) = ingest_json(&db, &[&inbox]);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(code, 1, "skips make the exit code 1: {lines:?}");
    let code_of = |name: &str| -> String {
        let line = lines
            .iter()
            .find(|l| {
                let source = l["source"].as_str().unwrap();
                source.ends_with(&format!("/{name}")) || source.ends_with(&format!("/{name}#1"))
            })
            .unwrap_or_else(|| panic!("{name} not named: {lines:#?}"));
        assert!(line["error"].is_string(), "{line}");
        line["code"].as_str().unwrap_or_default().to_string()
    };
    assert_eq!(code_of("fifo"), "not_a_file");
    for link in ["zero.eml", "self", "ping", "pong", "root", "back"] {
        assert_eq!(code_of(link), "symlink", "{link}");
    }
    assert_eq!(code_of("big.eml"), "too_large");
    assert_eq!(code_of("box.mbox"), "too_large");
    // What was readable was applied.
    assert_eq!(status_of(&db, &email(0)), ended("replied"));
    assert_eq!(status_of(&db, &email(1)), ended("replied"));

    // The text report names the skipped paths with their reason.
    let mut cmd = seqtui(&db);
    cmd.arg("ingest")
        .arg(&inbox)
        .timeout(Duration::from_secs(60));
    let run = output(&mut cmd);
    assert!(
        run.stderr.contains("fifo") && run.stderr.contains("not a regular file"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("zero.eml") && run.stderr.contains("symbolic link"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("big.eml") && run.stderr.contains("MB"),
        "{}",
        run.stderr
    );

    // Given directly: a symlink to a device is refused, one to a regular
    // file is followed.
    let (_, lines) = ingest_json(&db, &[&inbox.join("zero.eml"), &fifo]);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines.iter().all(|l| l["code"] == "not_a_file"), "{lines:?}");
    let target = reply(
        f.dir.path(),
        "target.eml",
        &email(2),
        &message_id_to(&db, &email(2)),
    );
    let link = f.dir.path().join("link.eml");
    symlink(&target, &link).unwrap();
    let (code, lines) = ingest_json(&db, &[&link]);
    assert_eq!(code, 0, "{lines:?}");
    assert_eq!(lines[0]["action"], "ended", "{lines:?}");
}
