//! `run --deliver smtp://…` against a real SMTP server (Python's aiosmtpd,
//! tests/support/smtp_server.py) on 127.0.0.1: what the server holds, a
//! deferred (4xx) recipient retried, refused (5xx) recipients applied as
//! bounces (R9), and a run killed between the server's acceptance and the
//! record of it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// The demo's clock, and the run's: a week later, when many steps are due.
const DEMO: &str = "2026-11-02T09:00:00Z";
const NOW: &str = "2026-11-09T09:00:00Z";
const LATER: &str = "2026-11-09T10:00:00Z";

mod support;

use support::smtp::Smtp;

fn start_server(store: &Path) -> Smtp {
    Smtp::start(store)
}

fn seqtui(db: &Path, now: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_seqtui"));
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", db.parent().unwrap())
        .args(["--db", db.to_str().unwrap(), "--now", now]);
    c
}

fn ok(mut cmd: Command) -> String {
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn demo(dir: &Path) -> PathBuf {
    let db = dir.join("ws.db");
    let mut c = seqtui(&db, DEMO);
    c.args(["demo", "--contacts", "40"]);
    ok(c);
    db
}

fn run_json(db: &Path, now: &str, deliver: &str) -> Value {
    let mut c = seqtui(db, now);
    c.args(["--json", "run", "--deliver", deliver]);
    serde_json::from_str(&ok(c)).unwrap()
}

fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message
        .split("\r\n\r\n")
        .next()?
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .map(str::trim)
}

/// The recipients the run at NOW sends to, learned from a Maildir run on a
/// copy of the workspace (the clock is fixed, so the same steps run).
fn recipients(dir: &Path, db: &Path) -> Vec<String> {
    let copy = dir.join("copy.db");
    std::fs::copy(db, &copy).unwrap();
    let out = dir.join("learn");
    run_json(&copy, NOW, &format!("maildir:{}", out.display()));
    let mut to: Vec<String> = std::fs::read_dir(out.join("new"))
        .unwrap()
        .flatten()
        .map(|e| {
            let m = std::fs::read_to_string(e.path()).unwrap();
            let t = header(&m, "To").unwrap().to_string();
            t[t.rfind('<').unwrap() + 1..t.rfind('>').unwrap()].to_string()
        })
        .collect();
    to.sort();
    to
}

fn sql_one(db: &Path, sql: &str, p: &str) -> String {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(sql, [p], |r| r.get::<_, String>(0)).unwrap()
}

#[test]
fn the_server_holds_each_message_once_with_its_threading() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(&dir.path().join("server"));
    let db = demo(dir.path());
    let report = run_json(&db, NOW, &server.url());
    let sent = report["emails_sent"].as_u64().unwrap() as usize;
    assert!(sent > 0, "{report}");
    assert_eq!(report["delivered"], sent, "{report}");
    assert_eq!(report["deliver"], server.url() + "", "{report}");
    let messages = server.texts();
    assert_eq!(messages.len(), sent);
    let mut ids: Vec<&str> = messages
        .iter()
        .map(|m| header(m, "Message-ID").expect("a Message-ID"))
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), sent, "every Message-ID once");
    // Follow-ups thread onto the enrollment's first email, which the
    // workspace recorded as sent.
    let follow_ups: Vec<&String> = messages
        .iter()
        .filter(|m| header(m, "In-Reply-To").is_some())
        .collect();
    assert!(!follow_ups.is_empty(), "the demo has follow-ups due");
    for m in follow_ups {
        let first = header(m, "In-Reply-To").unwrap();
        assert!(header(m, "References").unwrap().contains(first));
        let n = sql_one(
            &db,
            "SELECT count(*) || '' FROM sent_emails WHERE message_id = ?1",
            first,
        );
        assert_eq!(n, "1", "{first} was sent by seqtui");
    }
    // Nothing left to deliver: a second run sends nothing more.
    let again = run_json(&db, NOW, &server.url());
    assert_eq!(again["emails_sent"], 0);
    assert_eq!(again["recovered"], 0);
    assert_eq!(server.texts().len(), sent);
}

#[test]
fn a_deferred_recipient_is_retried_later_and_delivered_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(&dir.path().join("server"));
    let db = demo(dir.path());
    let to = recipients(dir.path(), &db);
    let slow = to[0].clone();
    server.answer(&[(slow.clone(), "451 4.3.0 try again later")]);
    let first = run_json(&db, NOW, &server.url());
    let sent = first["emails_sent"].as_u64().unwrap() as usize;
    assert_eq!(first["delivery_deferred"], 1, "{first}");
    assert_eq!(first["delivered"], sent - 1, "{first}");
    assert!(first["next_delivery_try"].is_string(), "{first}");
    assert_eq!(server.texts().len(), sent - 1);
    // The answer changes; a run before the backoff ends does not try yet.
    std::fs::remove_file(server.store.join("answers")).unwrap();
    let early = run_json(&db, NOW, &server.url());
    assert_eq!(early["recovered"], 0, "{early}");
    assert_eq!(server.texts().len(), sent - 1);
    let later = run_json(&db, LATER, &server.url());
    assert_eq!(later["recovered"], 1, "{later}");
    assert_eq!(later["delivered"], 1, "{later}");
    let messages = server.texts();
    assert_eq!(messages.len(), sent);
    let to_slow = messages
        .iter()
        .filter(|m| header(m, "To").unwrap().contains(&slow))
        .count();
    assert_eq!(to_slow, 1);
    let last = run_json(&db, LATER, &server.url());
    assert_eq!(last["delivered"], 0);
    assert_eq!(server.texts().len(), sent);
}

/// Issue 16: a 4xx answer is retried, but not forever. Once the message
/// has waited `[smtp] defer_limit_hours` (default 72) since it was
/// recorded, the next 4xx answer is applied as a soft bounce (R9): the
/// enrollment pauses for the retry and the message leaves the journal.
#[test]
fn a_recipient_deferred_for_three_days_is_a_soft_bounce() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(&dir.path().join("server"));
    let db = demo(dir.path());
    let to = recipients(dir.path(), &db);
    let slow = to[0].clone();
    server.answer(&[(slow.clone(), "451 4.3.0 try again later")]);
    let first = run_json(&db, NOW, &server.url());
    assert_eq!(first["delivery_deferred"], 1, "{first}");
    // Still inside the limit: deferred again.
    let inside = run_json(&db, "2026-11-12T08:00:00Z", &server.url());
    assert_eq!(inside["delivery_deferred"], 1, "{inside}");
    assert_eq!(inside["refused"].as_array().unwrap().len(), 0, "{inside}");
    // Tried again and deferred again: nothing was delivered or recovered.
    assert_eq!(inside["recovered"], 0, "{inside}");
    assert_eq!(inside["delivered"], 0, "{inside}");
    // 72 hours after it was recorded: the 4xx answer is a soft bounce.
    let after = run_json(&db, "2026-11-12T09:00:00Z", &server.url());
    assert_eq!(after["delivery_deferred"], 0, "{after}");
    let refused = after["refused"].as_array().unwrap();
    assert_eq!(refused.len(), 1, "{after}");
    let r = &refused[0];
    assert_eq!(r["recipient"], slow.as_str(), "{after}");
    assert_eq!(r["verdict"], "soft", "{after}");
    assert_eq!(r["given_up"], true, "{after}");
    assert!(r["answer"].as_str().unwrap().starts_with("451"), "{after}");
    let status = sql_one(
        &db,
        "SELECT e.status FROM enrollments e JOIN sent_emails s ON s.enrollment_id = e.id
         WHERE s.message_id = ?1",
        r["message_id"].as_str().unwrap(),
    );
    assert_eq!(status, "paused");
    let journal = sql_one(&db, "SELECT count(*) || '' FROM outbox WHERE ?1 = ?1", "");
    assert_eq!(journal, "0");
    assert!(
        server
            .texts()
            .iter()
            .all(|m| !header(m, "To").unwrap().contains(&slow)),
        "the deferred message never reached the server"
    );
    // And the rules file's limit is honoured: 1 hour.
    let dir2 = dir.path().join("second");
    std::fs::create_dir(&dir2).unwrap();
    let db2 = demo(&dir2);
    let slow2 = recipients(&dir2, &db2)[0].clone();
    server.answer(&[(slow2, "451 4.3.0 try again later")]);
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, "[smtp]\ndefer_limit_hours = 1\n").unwrap();
    let run = |now: &str| -> Value {
        let mut c = seqtui(&db2, now);
        c.arg("--rules").arg(&rules);
        c.args(["--json", "run", "--deliver", &server.url()]);
        serde_json::from_str(&ok(c)).unwrap()
    };
    let first = run(NOW);
    assert_eq!(first["delivery_deferred"], 1, "{first}");
    let later = run(LATER);
    assert_eq!(later["refused"][0]["given_up"], true, "{later}");
}

#[test]
fn refused_recipients_bounce_hard_or_soft_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(&dir.path().join("server"));
    let db = demo(dir.path());
    let to = recipients(dir.path(), &db);
    let (gone, full) = (to[0].clone(), to[1].clone());
    server.answer(&[
        (gone.clone(), "550 5.1.1 user unknown"),
        (full.clone(), "552 5.2.2 mailbox full"),
    ]);
    let report = run_json(&db, NOW, &server.url());
    let sent = report["emails_sent"].as_u64().unwrap() as usize;
    let refused = report["refused"].as_array().unwrap();
    assert_eq!(refused.len(), 2, "{report}");
    assert_eq!(server.texts().len(), sent - 2);
    let by = |a: &str| {
        refused
            .iter()
            .find(|r| r["recipient"] == a)
            .unwrap_or_else(|| panic!("{a} refused: {report}"))
    };
    assert_eq!(by(&gone)["verdict"], "hard");
    assert_eq!(by(&full)["verdict"], "soft");
    // The enrollment of the refused message.
    let status = |a: &str| {
        sql_one(
            &db,
            "SELECT e.status || ' ' || coalesce(e.end_reason, '-')
             FROM enrollments e JOIN sent_emails s ON s.enrollment_id = e.id
             WHERE s.message_id = ?1",
            by(a)["message_id"].as_str().unwrap(),
        )
    };
    assert_eq!(status(&gone), "unenrolled bounced");
    assert_eq!(status(&full), "paused -");
    let address = |a: &str| {
        sql_one(
            &db,
            "SELECT coalesce(undeliverable_reason, 'deliverable') FROM contacts WHERE email = ?1",
            a,
        )
    };
    assert_eq!(address(&gone), "user_unknown");
    assert_eq!(address(&full), "deliverable");
    // Nothing of them stays in the journal.
    let again = run_json(&db, NOW, &server.url());
    assert_eq!(again["recovered"], 0, "{again}");
    assert_eq!(again["refused"].as_array().unwrap().len(), 0);
}

#[test]
fn a_run_killed_after_the_server_accepted_never_sends_twice() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(&dir.path().join("server"));
    let db = demo(dir.path());
    let mut c = seqtui(&db, NOW);
    c.args(["--json", "run", "--deliver", &server.url()])
        .env("SEQTUI_TEST_KILL_AFTER_ACCEPT", "3");
    let out = c.stdin(Stdio::null()).output().unwrap();
    assert!(!out.status.success(), "the test hook kills the run");
    // The server accepted three; the third is not recorded as delivered.
    assert_eq!(server.texts().len(), 3);
    let next = run_json(&db, NOW, &server.url());
    let unconfirmed = next["unconfirmed"].as_array().unwrap();
    assert_eq!(unconfirmed.len(), 1, "{next}");
    let messages = server.texts();
    let mut ids: Vec<&str> = messages
        .iter()
        .map(|m| header(m, "Message-ID").unwrap())
        .collect();
    let total = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total, "no message on the server twice");
    assert!(ids.contains(&unconfirmed[0]["message_id"].as_str().unwrap()));
    // Every recorded email is on the server, once.
    let recorded: usize = sql_one(
        &db,
        "SELECT count(*) || '' FROM sent_emails WHERE sent_at >= ?1",
        "2026-11-09",
    )
    .parse()
    .unwrap();
    assert_eq!(total, recorded);
    let journal = sql_one(&db, "SELECT count(*) || '' FROM outbox WHERE ?1 = ?1", "");
    assert_eq!(journal, "0");
}

#[test]
fn a_password_on_the_command_line_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let mut c = seqtui(&db, NOW);
    c.args(["run", "--deliver", "smtp://me:secret@127.0.0.1:1"]);
    let out = c.stdin(Stdio::null()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("SEQTUI_SMTP_PASSWORD"), "{err}");
    assert!(!err.contains("secret"), "{err}");
    // And a login with no password anywhere says where to put it.
    let mut c = seqtui(&db, NOW);
    c.args(["run", "--deliver", "smtp://me@127.0.0.1:1"]);
    let out = c.stdin(Stdio::null()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("password_file"));
}

/// `--deliver sendmail:PATH` with a real sendmail-compatible program:
/// msmtp (Debian package `msmtp`), configured by `~/.msmtprc` to hand
/// the messages to the test's SMTP server. Every message arrives once;
/// a 5xx answer (msmtp exits 69 with the server's words on stderr) is a
/// bounce by the classifier; a 4xx answer (exit 75) is deferred.
#[test]
fn sendmail_through_msmtp_delivers_each_message_once() {
    let msmtp = ["/usr/bin/msmtp", "/usr/local/bin/msmtp"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .unwrap_or_else(|| panic!("msmtp (Debian package msmtp) is needed: apt-get install msmtp"));
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(&dir.path().join("server"));
    let db = demo(dir.path());
    let to = recipients(dir.path(), &db);
    let (gone, slow) = (to[0].clone(), to[1].clone());
    server.answer(&[
        (gone.clone(), "550 5.1.1 user unknown"),
        (slow.clone(), "451 4.3.0 try again later"),
    ]);
    // `seqtui` sets HOME to the workspace's folder: msmtp reads its
    // configuration from there.
    let rc = dir.path().join(".msmtprc");
    std::fs::write(
        &rc,
        format!(
            "defaults\nauth off\ntls off\nlogfile -\naccount default\nhost 127.0.0.1\nport {}\nfrom seqtui@test.example\n",
            server.port
        ),
    )
    .unwrap();
    std::fs::set_permissions(&rc, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let target = format!("sendmail:{msmtp}");
    let report = run_json(&db, NOW, &target);
    let sent = report["emails_sent"].as_u64().unwrap() as usize;
    assert_eq!(report["deliver"], target, "{report}");
    assert_eq!(report["delivered"], sent - 2, "{report}");
    assert_eq!(report["delivery_deferred"], 1, "{report}");
    let refused = report["refused"].as_array().unwrap();
    assert_eq!(refused.len(), 1, "{report}");
    assert_eq!(refused[0]["recipient"], gone.as_str(), "{report}");
    assert_eq!(refused[0]["verdict"], "hard", "{report}");
    let messages = server.texts();
    assert_eq!(messages.len(), sent - 2);
    let mut ids: Vec<&str> = messages
        .iter()
        .map(|m| header(m, "Message-ID").unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), sent - 2, "every Message-ID once");
    // The deferred one goes out later, once.
    std::fs::remove_file(server.store.join("answers")).unwrap();
    let later = run_json(&db, LATER, &target);
    assert_eq!(later["delivered"], 1, "{later}");
    assert_eq!(server.texts().len(), sent - 1);
}
