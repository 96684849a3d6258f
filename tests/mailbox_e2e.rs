//! End to end with the real servers (issue 16): a demo workspace sends
//! over SMTP to aiosmtpd (tests/support/smtp.rs); a reply, a bounce and an
//! unsubscribe mail built from what that server received are APPENDed to a
//! real Dovecot (tests/support/dovecot.rs) and read back by
//! `ingest imap://…`.

mod common;
mod support;

use std::path::Path;

use common::cli::{Run, output, seqtui_at};
use mail_parser::{Message, MessageParser};
use support::dovecot::Dovecot;
use support::smtp::Smtp;

/// The demo's clock, and the run's a week later (Monday 09:00, inside the
/// R19 sending window), when first emails and follow-ups are due.
const DEMO: &str = "2026-11-02T09:00:00Z";
const NOW: &str = "2026-11-09T09:00:00Z";

/// One message the SMTP server received.
struct Got {
    raw: String,
    message_id: String,
    contact: String,
    sender: String,
    subject: String,
    enrollment: i64,
    in_reply_to: Option<String>,
    references: String,
    unsubscribe: String,
}

fn got(bytes: &[u8]) -> Got {
    let m: Message = MessageParser::default().parse(bytes).unwrap();
    let addr = |a: Option<&mail_parser::Address>| {
        a.unwrap().first().unwrap().address().unwrap().to_string()
    };
    let raw_header = |name: &str| m.header_raw(name).map(|v| v.trim().to_string());
    Got {
        raw: String::from_utf8_lossy(bytes).into_owned(),
        message_id: m.message_id().expect("a Message-ID").to_string(),
        contact: addr(m.to()),
        sender: addr(m.from()),
        subject: m.subject().unwrap_or_default().to_string(),
        enrollment: raw_header("X-Seqtui-Enrollment")
            .expect("X-Seqtui-Enrollment")
            .parse()
            .unwrap(),
        in_reply_to: raw_header("In-Reply-To"),
        references: raw_header("References").unwrap_or_default(),
        unsubscribe: raw_header("List-Unsubscribe").expect("a List-Unsubscribe header"),
    }
}

/// The `unsubscribe+TOKEN@DOMAIN` address of a List-Unsubscribe header.
fn unsubscribe_address(header: &str) -> String {
    let start = header.find("<mailto:").expect("a mailto URL") + "<mailto:".len();
    let end = start + header[start..].find('>').unwrap();
    header[start..end].to_string()
}

fn token(address: &str) -> &str {
    address
        .strip_prefix("unsubscribe+")
        .and_then(|r| r.split_once('@'))
        .map(|(t, _)| t)
        .unwrap_or_else(|| panic!("not unsubscribe+TOKEN@: {address}"))
}

fn reply(g: &Got) -> Vec<u8> {
    format!(
        "From: <{}>\r\nTo: <{}>\r\nSubject: Re: {}\r\nDate: Mon, 9 Nov 2026 11:00:00 +0000\r\n\
         Message-ID: <reply-e2e@client.example>\r\nIn-Reply-To: {id}\r\nReferences: {id}\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nYes, let's talk.\r\n",
        g.contact,
        g.sender,
        g.subject,
        id = angle(&g.message_id)
    )
    .into_bytes()
}

fn angle(id: &str) -> String {
    format!("<{}>", id.trim_matches(['<', '>']))
}

/// A Postfix-style DSN for `g`: its recipient unknown (550 5.1.1), with
/// the headers of the message it returns.
fn bounce(g: &Got) -> Vec<u8> {
    let headers = g.raw.split("\r\n\r\n").next().unwrap();
    let to = &g.contact;
    format!(
        "Return-Path: <>\r\nDate: Mon, 9 Nov 2026 09:01:02 +0000\r\n\
         From: MAILER-DAEMON@mx.team.example (Mail Delivery System)\r\n\
         Subject: Undelivered Mail Returned to Sender\r\nTo: {sender}\r\n\
         Auto-Submitted: auto-replied\r\nMessage-Id: <dsn-e2e@mx.team.example>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;\r\n\
         \tboundary=\"B0UND\"\r\n\r\n--B0UND\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n\
         <{to}>: host mx.example said: 550 5.1.1 <{to}>: Recipient address rejected: User unknown\r\n\r\n\
         --B0UND\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.team.example\r\n\r\n\
         Final-Recipient: rfc822; {to}\r\nAction: failed\r\nStatus: 5.1.1\r\n\
         Diagnostic-Code: smtp; 550 5.1.1 <{to}>: Recipient address rejected: User unknown\r\n\r\n\
         --B0UND\r\nContent-Type: text/rfc822-headers\r\n\r\n{headers}\r\n\r\n--B0UND--\r\n",
        sender = g.sender,
    )
    .into_bytes()
}

/// A mail to the List-Unsubscribe address, as a mail client sends it.
fn unsubscribe_mail(from: &str, to: &str) -> Vec<u8> {
    format!(
        "From: <{from}>\r\nTo: <{to}>\r\nSubject: unsubscribe\r\nDate: Mon, 9 Nov 2026 12:00:00 +0000\r\n\
         Message-ID: <unsub-e2e@client.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nunsubscribe\r\n"
    )
    .into_bytes()
}

type Statuses = Vec<(i64, String, Option<String>)>;

fn statuses(db: &Path) -> Statuses {
    let conn = common::raw(db);
    let mut stmt = conn
        .prepare("SELECT id, status, end_reason FROM enrollments ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Only the enrollments in `ended` changed, each ended for its reason.
fn only_changed(before: &Statuses, after: &Statuses, ended: &[(i64, &str)]) {
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

fn sql(db: &Path, query: &str, p: &str) -> Option<String> {
    let conn = common::raw(db);
    conn.query_row(query, [p], |r| r.get::<_, Option<String>>(0))
        .unwrap()
}

fn ok(run: Run) -> Run {
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run
}

fn ingest(db: &Path, imap: &Dovecot) -> Vec<serde_json::Value> {
    let run = ok(output(
        seqtui_at(db, NOW)
            .env("SEQTUI_IMAP_PASSWORD", imap.password)
            .args(["--json", "ingest", &imap.url("INBOX")]),
    ));
    run.json()["items"].as_array().unwrap().clone()
}

#[test]
fn sent_over_smtp_then_a_reply_a_bounce_and_an_unsubscribe_read_from_imap() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(&dir.path().join("smtp"));
    let imap = Dovecot::start();
    let db = dir.path().join("ws.db");
    ok(output(seqtui_at(&db, DEMO).args([
        "--json",
        "demo",
        "--contacts",
        "200",
    ])));

    // Sending: every message on the server once, with its headers.
    let report = ok(output(seqtui_at(&db, NOW).args([
        "--json",
        "run",
        "--deliver",
        &smtp.url(),
    ])))
    .json();
    let sent = report["emails_sent"].as_u64().unwrap() as usize;
    assert!(sent >= 4, "too few emails sent: {report}");
    assert_eq!(report["delivered"], sent, "{report}");
    let got: Vec<Got> = smtp.messages().iter().map(|m| got(m)).collect();
    assert_eq!(got.len(), sent);
    let mut ids: Vec<&str> = got.iter().map(|g| g.message_id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), sent, "every Message-ID once");
    for g in &got {
        let address = unsubscribe_address(&g.unsubscribe);
        let t = token(&address);
        assert_eq!(t.len(), 32, "{address}");
        assert!(t.bytes().all(|b| b.is_ascii_hexdigit()), "{address}");
        assert_eq!(
            sql(
                &db,
                "SELECT unsubscribe_token FROM enrollments WHERE id = ?1",
                &g.enrollment.to_string()
            )
            .as_deref(),
            Some(t),
            "the enrollment's own token"
        );
        let recorded = sql(
            &db,
            "SELECT count(*) || '' FROM sent_emails WHERE message_id = ?1",
            &angle(&g.message_id),
        );
        assert_eq!(recorded.as_deref(), Some("1"), "{} recorded", g.message_id);
    }
    // A follow-up threads onto its enrollment's first email.
    let follow_ups: Vec<&Got> = got.iter().filter(|g| g.in_reply_to.is_some()).collect();
    assert!(!follow_ups.is_empty(), "the demo has follow-ups due");
    for g in &follow_ups {
        let first = sql(
            &db,
            "SELECT message_id FROM sent_emails WHERE enrollment_id = ?1
             ORDER BY sent_at, id LIMIT 1",
            &g.enrollment.to_string(),
        )
        .unwrap();
        assert_eq!(g.in_reply_to.as_deref(), Some(angle(&first).as_str()));
        assert!(g.references.contains(&angle(&first)), "{}", g.references);
        assert_ne!(angle(&g.message_id), angle(&first));
    }

    // Three messages to three contacts who each have this one enrollment.
    let single = |g: &&Got| {
        sql(
            &db,
            "SELECT count(*) || '' FROM enrollments e JOIN contacts c ON c.id = e.contact_id
             WHERE c.email = ?1",
            &g.contact,
        )
        .as_deref()
            == Some("1")
    };
    let picked: Vec<&Got> = got.iter().filter(single).take(3).collect();
    assert_eq!(picked.len(), 3, "three contacts with one enrollment each");
    let (a, b, c) = (picked[0], picked[1], picked[2]);

    imap.append("INBOX", &reply(a));
    imap.append("INBOX", &bounce(b));
    let before = statuses(&db);
    let lines = ingest(&db, &imap);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(
        (
            &lines[0]["action"],
            &lines[0]["reason"],
            &lines[0]["enrollment"]
        ),
        (&"ended".into(), &"replied".into(), &a.enrollment.into()),
        "{lines:?}"
    );
    assert_eq!(
        (
            &lines[1]["action"],
            &lines[1]["reason"],
            &lines[1]["enrollment"]
        ),
        (&"ended".into(), &"bounced".into(), &b.enrollment.into()),
        "{lines:?}"
    );
    let after = statuses(&db);
    only_changed(
        &before,
        &after,
        &[(a.enrollment, "replied"), (b.enrollment, "bounced")],
    );
    // R9: the bounced address is undeliverable; the replier's is not.
    let undeliverable = |email: &str| {
        sql(
            &db,
            "SELECT undeliverable_reason FROM contacts WHERE email = ?1",
            email,
        )
    };
    assert_eq!(undeliverable(&b.contact).as_deref(), Some("user_unknown"));
    assert_eq!(undeliverable(&a.contact), None);

    // Again: nothing new, nothing changes.
    assert!(ingest(&db, &imap).is_empty());
    assert_eq!(statuses(&db), after);

    // An unsubscribe mail to the third message's List-Unsubscribe address.
    let address = unsubscribe_address(&c.unsubscribe);
    imap.append("INBOX", &unsubscribe_mail(&c.contact, &address));
    let lines = ingest(&db, &imap);
    assert_eq!(lines.len(), 1, "{lines:?}");
    only_changed(&after, &statuses(&db), &[(c.enrollment, "opted_out")]);
    let opted = sql(
        &db,
        "SELECT opted_out_via FROM contacts WHERE email = ?1 AND opted_out_at IS NOT NULL",
        &c.contact,
    );
    assert_eq!(opted.as_deref(), Some("list_unsubscribe"));
    let others = sql(
        &db,
        "SELECT count(*) || '' FROM contacts WHERE opted_out_at IS NOT NULL AND email <> ?1
         AND opted_out_via = 'list_unsubscribe'",
        &c.contact,
    );
    assert_eq!(others.as_deref(), Some("0"), "no one else opted out");
}
