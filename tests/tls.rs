//! TLS against real servers with a throwaway certificate authority made
//! by the test (tests/support/certs.rs): STARTTLS on `smtp://`, `?tls=required`
//! refusing a server without STARTTLS, implicit TLS on `smtps://`, and
//! `imaps://` to a Dovecot with `ssl = required`. The authority is trusted
//! through `SEQTUI_CA_FILE`; without it, a server whose certificate it
//! signed is refused with one sentence naming that variable.

mod common;
mod support;

use std::path::{Path, PathBuf};

use common::cli::{NOW, Run, one_sentence, output, seqtui, seqtui_at};
use support::certs::Certs;
use support::dovecot::Dovecot;
use support::smtp::{Smtp, Tls};

/// A week after the demo: many steps are due.
const LATER: &str = "2026-11-09T09:00:00Z";

fn demo(dir: &Path) -> PathBuf {
    let db = dir.join("ws.db");
    let demo = output(seqtui(&db).args(["demo", "--contacts", "40"]));
    assert_eq!(demo.code, 0, "{}", demo.stderr);
    db
}

fn run(db: &Path, deliver: &str, ca: Option<&Path>) -> Run {
    let mut c = seqtui_at(db, LATER);
    c.args(["--json", "run", "--deliver", deliver]);
    if let Some(ca) = ca {
        c.env("SEQTUI_CA_FILE", ca);
    }
    output(&mut c)
}

/// A run that must fail: exit 1, one sentence naming `needle`, nothing
/// on the server.
fn refused(run: &Run, server: &Smtp, needle: &str) {
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    one_sentence(&run.stderr);
    assert!(run.stderr.contains(needle), "{}", run.stderr);
    assert_eq!(server.messages().len(), 0, "a message reached the server");
}

fn delivered(run: &Run, server: &Smtp) {
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    let sent = report["emails_sent"].as_u64().unwrap() as usize;
    assert!(sent > 0, "{report}");
    assert_eq!(report["delivered"], sent, "{report}");
    assert_eq!(server.messages().len(), sent);
    assert!(
        server.all_encrypted(),
        "a message came over a plain session"
    );
}

#[test]
fn starttls_with_a_private_authority_trusted_through_seqtui_ca_file() {
    let certs = Certs::generate();
    let dir = tempfile::tempdir().unwrap();
    let server = Smtp::start_tls(
        &dir.path().join("server"),
        Tls::Offered(&certs.cert, &certs.key),
    );
    // Untrusted: refused, not sent in the clear instead.
    let db = demo(dir.path());
    let r = run(&db, &server.url(), None);
    refused(&r, &server, "SEQTUI_CA_FILE");
    // Trusted: sent over STARTTLS, with and without ?tls=required.
    let db = demo(&dir.path().join("a").tap_mkdir());
    delivered(&run(&db, &server.url(), Some(&certs.ca)), &server);
    let server2 = Smtp::start_tls(
        &dir.path().join("server2"),
        Tls::Offered(&certs.cert, &certs.key),
    );
    let db = demo(&dir.path().join("b").tap_mkdir());
    let url = format!("{}?tls=required", server2.url());
    delivered(&run(&db, &url, Some(&certs.ca)), &server2);
}

#[test]
fn tls_required_refuses_a_server_without_starttls() {
    let dir = tempfile::tempdir().unwrap();
    let server = Smtp::start(&dir.path().join("server"));
    let db = demo(dir.path());
    let url = format!("{}?tls=required", server.url());
    let r = run(&db, &url, None);
    refused(&r, &server, "does not offer STARTTLS");
    // Without ?tls=required the same server gets the messages in the
    // clear (STARTTLS only where offered).
    let plain = run(&db, &server.url(), None);
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    assert!(!server.messages().is_empty());
}

#[test]
fn smtps_is_tls_from_the_first_byte_and_checks_the_certificate() {
    let certs = Certs::generate();
    let dir = tempfile::tempdir().unwrap();
    let server = Smtp::start_tls(
        &dir.path().join("server"),
        Tls::Implicit(&certs.cert, &certs.key),
    );
    assert!(server.url().starts_with("smtps://"));
    let db = demo(dir.path());
    let r = run(&db, &server.url(), None);
    refused(&r, &server, "SEQTUI_CA_FILE");
    let db = demo(&dir.path().join("a").tap_mkdir());
    delivered(&run(&db, &server.url(), Some(&certs.ca)), &server);
    // A file that is no certificate is one sentence too.
    let bad = dir.path().join("not-a-ca.pem");
    std::fs::write(&bad, "hello\n").unwrap();
    let db = demo(&dir.path().join("b").tap_mkdir());
    let r = run(&db, &server.url(), Some(&bad));
    assert_eq!(r.code, 1, "{}", r.stderr);
    one_sentence(&r.stderr);
    assert!(r.stderr.contains("holds no certificate"), "{}", r.stderr);
}

#[test]
fn imaps_to_a_dovecot_that_requires_tls() {
    imap_with_tls(true);
}

#[test]
fn imap_starttls_to_a_dovecot_that_requires_tls() {
    imap_with_tls(false);
}

fn imap_with_tls(implicit: bool) {
    let certs = Certs::generate();
    let server = Dovecot::start_tls(&certs.cert, &certs.key, implicit);
    let url = server.url("INBOX");
    let scheme = if implicit { "imaps://" } else { "imap://" };
    assert!(url.starts_with(scheme), "{url}");
    server.append(
        "INBOX",
        b"From: <someone@else.example>\r\nTo: <ann@team.example>\r\nSubject: hello\r\n\
          Message-ID: <hello-1@else.example>\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\n\r\nhi\r\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let ingest = |ca: Option<&Path>| {
        let mut c = seqtui_at(&db, NOW);
        c.args(["--json", "ingest", &url])
            .env("SEQTUI_IMAP_PASSWORD", server.password);
        if let Some(ca) = ca {
            c.env("SEQTUI_CA_FILE", ca);
        }
        output(&mut c)
    };
    let untrusted = ingest(None);
    assert_eq!(
        untrusted.code, 1,
        "{}\n{}",
        untrusted.stdout, untrusted.stderr
    );
    one_sentence(&untrusted.stderr);
    assert!(
        untrusted.stderr.contains("SEQTUI_CA_FILE"),
        "{}",
        untrusted.stderr
    );
    let trusted = ingest(Some(&certs.ca));
    assert_eq!(trusted.code, 0, "{}\n{}", trusted.stdout, trusted.stderr);
    let lines = trusted.json()["items"].clone();
    let lines = lines.as_array().unwrap();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0]["source"].as_str().unwrap().starts_with(scheme),
        "{lines:?}"
    );
}

trait TapMkdir {
    fn tap_mkdir(self) -> Self;
}

impl TapMkdir for PathBuf {
    fn tap_mkdir(self) -> Self {
        std::fs::create_dir_all(&self).unwrap();
        self
    }
}

/// A server that cannot be used is found before anything is recorded:
/// every due step stays due, and the run that can deliver sends them all.
#[test]
fn a_refused_server_leaves_every_step_due() {
    let certs = Certs::generate();
    let dir = tempfile::tempdir().unwrap();
    let server = Smtp::start_tls(
        &dir.path().join("server"),
        Tls::Implicit(&certs.cert, &certs.key),
    );
    let db = demo(dir.path());
    let r = run(&db, &server.url(), None);
    refused(&r, &server, "this run sent nothing");
    let conn = common::raw(&db);
    let recorded: i64 = conn
        .query_row(
            "SELECT count(*) FROM sent_emails WHERE sent_at >= '2026-11-09'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(recorded, 0, "an email was recorded as sent");
    drop(conn);
    delivered(&run(&db, &server.url(), Some(&certs.ca)), &server);
}
