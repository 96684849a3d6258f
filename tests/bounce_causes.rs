//! One test per cause of issue 13's "What was seen": each way real bounces
//! were missed or misjudged, read through the path `ingest` uses.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use seqtui::domain::*;
use seqtui::engine::inbound::{parse_json_line, parse_message};
use seqtui::engine::outbox::run_once;
use seqtui::engine::read_path;

const BOUNCES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/bounces");
const MAIL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/mail");

/// The one event a file is read as, through `read_path` (what ingest does).
fn event_of(path: &Path) -> InboundEvent {
    let mut items = read_path(path, now());
    assert_eq!(items.len(), 1, "{}", path.display());
    let item = items.remove(0);
    item.event
        .unwrap_or_else(|e| panic!("{} unreadable: {e}", path.display()))
}

fn fixture_path(name: &str) -> PathBuf {
    Path::new(BOUNCES).join(name)
}

/// (address, verdict, reason) of each recipient, and the returned ids.
type Read = (Vec<(String, BounceVerdict, BounceReason)>, Vec<String>);

fn bounce_of(name: &str) -> Read {
    let event = event_of(&fixture_path(name));
    match event.inbound {
        Inbound::Bounce {
            recipients,
            message_ids,
            ..
        } => (
            recipients
                .into_iter()
                .map(|r| (r.address.unwrap_or_default(), r.verdict, r.reason))
                .collect(),
            message_ids,
        ),
        other => panic!("{name}: read as {} ({other:?}), not a bounce", other.kind()),
    }
}

fn hard(address: &str, reason: BounceReason) -> (String, BounceVerdict, BounceReason) {
    (address.to_string(), BounceVerdict::Hard, reason)
}

fn soft(address: &str, reason: BounceReason) -> (String, BounceVerdict, BounceReason) {
    (address.to_string(), BounceVerdict::Soft, reason)
}

#[test]
fn plain_text_bounces_of_each_mail_system_are_bounces() {
    use BounceReason::*;
    for (file, want) in [
        (
            "qmail/01-no-mailbox.eml",
            hard("nobody@example.com", UserUnknown),
        ),
        (
            "qmail/03-host-not-found.eml",
            hard("sales@nowhere.example", HostUnknown),
        ),
        (
            "exim/01-user-unknown.eml",
            hard("nobody@example.com", UserUnknown),
        ),
        (
            "domino/01-not-listed-in-directory.eml",
            hard("pat.lee@domino.example", UserUnknown),
        ),
        (
            "exchange2003/08-plain-text-quoted-headers.eml",
            hard("old.staff@corp.example", UserUnknown),
        ),
        (
            "yahoo/02-no-such-account.eml",
            hard("pat.kim@yahoo.example", UserUnknown),
        ),
        (
            "gmx/01-user-unknown.eml",
            hard("nobody@example.com", UserUnknown),
        ),
        (
            "opensmtpd/02-invalid-domain.eml",
            hard("info@bad-domain.example", HostUnknown),
        ),
        (
            "sendmail/07-v5-user-unknown.eml",
            hard("pat@oldhost.example", UserUnknown),
        ),
        (
            "mimecast/06-plain-text-notice.eml",
            hard("left@example.com", UserUnknown),
        ),
        (
            "imail/01-unknown-user.eml",
            hard("nobody@imail.example", UserUnknown),
        ),
        (
            "postfix/10-plain-text-from-empty.eml",
            hard("gone@example.net", UserUnknown),
        ),
    ] {
        let (recipients, ids) = bounce_of(file);
        assert_eq!(recipients, vec![want], "{file}");
        assert_eq!(
            ids.len(),
            1,
            "{file}: the returned email's Message-ID, {ids:?}"
        );
        assert!(ids[0].starts_with("<seqtui."), "{file}: {ids:?}");
    }
}

#[test]
fn multipart_mixed_bounces_are_bounces() {
    let (r, ids) = bounce_of("exchange2003/01-account-does-not-exist.eml");
    assert_eq!(
        r,
        vec![hard("pat.lee@corp.example", BounceReason::UserUnknown)]
    );
    assert_eq!(ids.len(), 1);
    let (r, _) = bounce_of("domino/03-no-route-to-domain.eml");
    assert_eq!(
        r,
        vec![hard("info@elsewhere.example", BounceReason::HostUnknown)]
    );
}

#[test]
fn auto_submitted_and_x_failed_recipients_make_a_bounce_not_an_out_of_office() {
    let path = fixture_path("exim/08-two-recipients-gone-and-disabled.eml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("Auto-Submitted: auto-replied"));
    assert!(text.contains("X-Failed-Recipients: a.one@example.com, b.two@example.com"));
    let (r, _) = bounce_of("exim/08-two-recipients-gone-and-disabled.eml");
    assert_eq!(
        r,
        vec![
            hard("a.one@example.com", BounceReason::UserUnknown),
            soft("b.two@example.com", BounceReason::Suspended),
        ]
    );
}

#[test]
fn a_delivery_status_part_inside_multipart_mixed_is_read() {
    let (r, ids) = bounce_of("opensmtpd/06-mixed-two-recipients.eml");
    assert_eq!(
        r,
        vec![
            hard("a@example.com", BounceReason::UserUnknown),
            soft("b@example.com", BounceReason::MailboxFull),
        ]
    );
    assert_eq!(ids.len(), 1);
}

#[test]
fn amazon_ses_json_notifications_are_read() {
    // A pretty-printed notification saved as a .json file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ses_bounce.json");
    let text = std::fs::read_to_string(Path::new(MAIL).join("ses_bounce.json")).unwrap();
    std::fs::write(
        &path,
        text.replace("__MSGID__", "<seqtui.5e5.ws1@team.example>"),
    )
    .unwrap();
    let event = event_of(&path);
    let Inbound::Bounce {
        recipients,
        message_ids,
        ..
    } = &event.inbound
    else {
        panic!("{event:?}")
    };
    assert_eq!(recipients.len(), 1);
    assert_eq!(
        recipients[0].address.as_deref(),
        Some("contact0004@acme4.example")
    );
    assert_eq!(recipients[0].verdict, BounceVerdict::Hard);
    assert_eq!(recipients[0].reason, BounceReason::UserUnknown);
    assert_eq!(
        message_ids,
        &vec!["<seqtui.5e5.ws1@team.example>".to_string()]
    );

    // The same on one JSON Lines line, inside its SNS envelope; a
    // Permanent type whose text says mailbox full is soft.
    let inner = serde_json::json!({
        "notificationType": "Bounce",
        "bounce": {"bounceType": "Permanent", "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": "Full@Example.com", "action": "failed",
                "status": "5.2.2", "diagnosticCode": "smtp; 552 5.2.2 Mailbox full"}],
            "timestamp": "2026-11-02T09:04:00.000Z"},
        "mail": {"messageId": "ses-1", "commonHeaders": {"messageId": "<abc@team.example>"}}
    });
    let envelope = serde_json::json!({"Type": "Notification", "Message": inner.to_string()});
    let event = parse_json_line(&envelope.to_string(), now()).unwrap();
    let Inbound::Bounce {
        recipients,
        message_ids,
        ..
    } = &event.inbound
    else {
        panic!("{event:?}")
    };
    assert_eq!(recipients[0].address.as_deref(), Some("full@example.com"));
    assert_eq!(recipients[0].verdict, BounceVerdict::Soft);
    assert_eq!(recipients[0].reason, BounceReason::MailboxFull);
    assert_eq!(message_ids, &vec!["<abc@team.example>".to_string()]);

    // The same notification as Amazon SNS sends it to an email
    // subscription: an email whose body is the JSON.
    let mail = format!(
        "From: no-reply@sns.amazonaws.example\nTo: rep@team.example\n\
         Subject: AWS Notification Message\nDate: Mon, 2 Nov 2026 09:05:00 +0000\n\
         Message-ID: <sns-1@sns.example>\nContent-Type: text/plain; charset=UTF-8\n\n{inner}\n"
    );
    let event = parse_message(mail.as_bytes(), now()).unwrap();
    let Inbound::Bounce {
        recipients,
        message_ids,
        ..
    } = &event.inbound
    else {
        panic!("{event:?}")
    };
    assert_eq!(recipients[0].address.as_deref(), Some("full@example.com"));
    assert_eq!(recipients[0].verdict, BounceVerdict::Soft);
    assert_eq!(message_ids, &vec!["<abc@team.example>".to_string()]);

    // A complaint: the recipient marked the email as spam.
    let complaint = serde_json::json!({
        "notificationType": "Complaint",
        "complaint": {"complainedRecipients": [{"emailAddress": "angry@example.com"}],
            "timestamp": "2026-11-02T09:05:00.000Z"},
        "mail": {"messageId": "ses-2"}
    });
    let event = parse_json_line(&complaint.to_string(), now()).unwrap();
    assert!(
        matches!(&event.inbound, Inbound::Unsubscribe { email } if email == "angry@example.com"),
        "{event:?}"
    );
}

#[test]
fn a_report_forwarded_inside_message_rfc822_is_read_from_the_inner_report() {
    let (r, ids) = bounce_of("postfix/11-report-forwarded-as-attachment.eml");
    assert_eq!(r, vec![hard("dana@example.com", BounceReason::UserUnknown)]);
    // The returned email inside the inner report, not the inner report's
    // own Message-ID, nor the forward's.
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert!(ids[0].starts_with("<seqtui."), "{ids:?}");
}

#[test]
fn a_multipart_report_without_report_type_is_a_bounce() {
    let text =
        std::fs::read_to_string(fixture_path("postfix/09-report-without-report-type.eml")).unwrap();
    assert!(text.contains("Content-Type: multipart/report; boundary="));
    let (r, _) = bounce_of("postfix/09-report-without-report-type.eml");
    assert_eq!(r, vec![soft("partner@relay.example", BounceReason::Policy)]);
}

#[test]
fn a_from_of_empty_or_bare_mailer_daemon_is_never_unreadable() {
    for file in [
        "postfix/10-plain-text-from-empty.eml",
        "qmail/10-bare-mailer-daemon-from.eml",
        "sendmail/07-v5-user-unknown.eml",
    ] {
        let (r, _) = bounce_of(file);
        assert_eq!(r[0].1, BounceVerdict::Hard, "{file}");
    }
    // A mail system's notice that is no bounce is read too: an automatic
    // message, not refused for its sender.
    for from in [
        "<>",
        "MAILER-DAEMON",
        "Mail Delivery System <MAILER-DAEMON@mx.example.com>",
    ] {
        let raw = format!(
            "From: {from}\r\nTo: ann@team.example\r\nSubject: Postmaster notice\r\n\
             Date: Mon, 2 Nov 2026 09:00:00 +0000\r\n\r\nYour quarantine summary is ready.\r\n"
        );
        let event = parse_message(raw.as_bytes(), now())
            .unwrap_or_else(|e| panic!("From: {from}: unreadable: {e}"));
        assert_eq!(event.inbound.kind(), "auto_reply", "From: {from}");
    }
}

#[test]
fn action_failed_with_a_4xx_status_for_an_unknown_user_is_hard() {
    let (r, _) = bounce_of("postfix/08-failed-4xx-user-unknown.eml");
    assert_eq!(r, vec![hard("x.y@example.org", BounceReason::UserUnknown)]);
}

#[test]
fn soft_failures_under_a_5xx_status_are_soft() {
    use BounceReason::*;
    for (file, address, reason) in [
        (
            "postfix/02-mailbox-full-5xx.eml",
            "full@example.org",
            MailboxFull,
        ),
        ("exim/06-rejected-as-spam.eml", "cfo@example.net", Spam),
        (
            "yahoo/05-not-accepted-for-policy-reasons.eml",
            "team@example.org",
            Policy,
        ),
        (
            "yahoo/03-mailbox-disabled.eml",
            "quiet@yahoo.example",
            Suspended,
        ),
        (
            "sendmail/06-too-many-messages.eml",
            "promo@example.net",
            RateLimited,
        ),
        ("postfix/12-spf-fail.eml", "legal@example.net", AuthFailure),
        (
            "office365/04-dmarc-reject.eml",
            "cfo@corp365.example",
            AuthFailure,
        ),
        ("exim/10-greylisted-5xx.eml", "k.ito@example.jp", Temporary),
    ] {
        let (r, _) = bounce_of(file);
        assert_eq!(r, vec![soft(address, reason)], "{file}");
    }
}

#[test]
fn delay_warnings_are_reports_but_no_failure() {
    for file in [
        "exim/07-delay-warning.eml",
        "postfix/06-delayed-warning.eml",
        "gmail/07-delay.eml",
    ] {
        let (r, _) = bounce_of(file);
        assert!(
            r.iter().all(|x| x.1 == BounceVerdict::NotABounce),
            "{file}: {r:?}"
        );
    }
}

#[test]
fn json_bounce_events_keep_permanent_and_status_and_take_a_verdict_or_diagnostic() {
    let read = |line: &str| match parse_json_line(line, now()).unwrap().inbound {
        Inbound::Bounce { recipients, .. } => (recipients[0].verdict, recipients[0].reason),
        other => panic!("{other:?}"),
    };
    use BounceReason::*;
    use BounceVerdict::*;
    assert_eq!(
        read(r#"{"type":"bounce","email":"a@example.com"}"#),
        (Hard, Other)
    );
    assert_eq!(
        read(r#"{"type":"bounce","email":"a@example.com","status":"5.1.1"}"#),
        (Hard, UserUnknown)
    );
    assert_eq!(
        read(r#"{"type":"bounce","email":"a@example.com","permanent":false}"#),
        (Soft, Temporary)
    );
    assert_eq!(
        read(
            r#"{"type":"bounce","email":"a@example.com","status":"5.2.2","diagnostic":"552 5.2.2 Mailbox full"}"#
        ),
        (Soft, MailboxFull)
    );
    assert_eq!(
        read(r#"{"type":"bounce","email":"a@example.com","verdict":"soft","reason":"spam"}"#),
        (Soft, Spam)
    );
    assert!(
        parse_json_line(
            r#"{"type":"bounce","email":"a@example.com","verdict":"maybe"}"#,
            now()
        )
        .is_err()
    );
}

// ------------------------------------------------- through ingest, on a DB

/// Contacts 0..6 enrolled in Alpha by Ann; the first emails sent.
fn sent_fixture() -> Fixture {
    let mut f = fixture(10);
    let ids: Vec<i64> = f.c[..6].to_vec();
    f.ws.enroll(&f.rep_ann, f.seq_a.id, &ids).unwrap();
    let outbox = f.dir.path().join("outbox");
    assert_eq!(run_once(&mut f.ws, &outbox).unwrap().emails_sent, 6);
    f
}

fn contact_email(contact: usize) -> String {
    format!("contact{contact:04}@acme{}.example", contact % 7)
}

fn message_id_of(f: &Fixture, contact: usize) -> String {
    raw(&f.path)
        .query_row(
            "SELECT se.message_id FROM sent_emails se JOIN enrollments e ON e.id = se.enrollment_id
             JOIN contacts c ON c.id = e.contact_id WHERE c.email = ?1 ORDER BY se.id LIMIT 1",
            [contact_email(contact)],
            |r| r.get(0),
        )
        .unwrap()
}

/// A mail fixture with `__MSGID__` replaced by what `contact` was sent.
fn with_message_id(f: &Fixture, name: &str, contact: usize) -> PathBuf {
    let id = message_id_of(f, contact);
    let text = std::fs::read_to_string(Path::new(MAIL).join(name)).unwrap();
    let text = text.replace("__MSGID__", &id);
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

fn events_of_type(f: &Fixture, kind: &str) -> i64 {
    raw(&f.path)
        .query_row("SELECT count(*) FROM events WHERE type = ?1", [kind], |r| {
            r.get(0)
        })
        .unwrap()
}

fn status_of(f: &Fixture, contact: usize) -> (String, Option<String>) {
    raw(&f.path)
        .query_row(
            "SELECT e.status, e.end_reason FROM enrollments e JOIN contacts c ON c.id = e.contact_id
             WHERE c.email = ?1 ORDER BY e.id DESC LIMIT 1",
            [contact_email(contact)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
}

#[test]
fn a_google_groups_bounce_on_our_thread_is_a_bounce_not_an_out_of_office() {
    let mut f = sent_fixture();
    let path = with_message_id(&f, "google_groups_bounce.eml", 3);
    let out = ingest(&mut f, &path);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].kind, "bounce", "{:?}", out[0]);
    assert_eq!(events_of_type(&f, "out_of_office"), 0);
    assert_eq!(
        status_of(&f, 3),
        ("unenrolled".to_string(), Some("bounced".to_string()))
    );
}

#[test]
fn an_amazon_ses_bounce_file_is_ingested_as_a_bounce() {
    let mut f = sent_fixture();
    let path = with_message_id(&f, "ses_bounce.json", 4);
    let out = ingest(&mut f, &path);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].kind, "bounce", "{:?}", out[0]);
    assert_eq!(
        status_of(&f, 4),
        ("unenrolled".to_string(), Some("bounced".to_string()))
    );
}
