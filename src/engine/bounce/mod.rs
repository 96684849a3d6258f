//! The bounce classifier: from one message (or one Amazon SES notification)
//! the failed recipients, the Message-IDs of the email it returns, and per
//! recipient a verdict (hard / soft / not a bounce) with a reason code.
//!
//! Three passes, the way established classifiers are built:
//! 1. RFC 3464: a `message/delivery-status` part anywhere in the message
//!    (under `multipart/report` with or without `report-type`, or inside
//!    `multipart/mixed`), or a report forwarded inside `message/rfc822`.
//! 2. Plain-text reports of the mail systems that send no DSN part (qmail,
//!    Exim, Postfix, Sendmail / V5, Exchange 2003, Domino, Yahoo, GMX,
//!    OpenSMTPD, iMail…): the recipient lines of their templates and the
//!    text that follows each.
//! 3. Diagnostic-text patterns decide the reason (and from it the verdict);
//!    the status code only when the text names nothing: a `5.x.x` mailbox
//!    full is soft, a `4.x.x` unknown user in a failed report is hard.
//!
//! Detection looks at the shape of the message, never at who sent it first:
//! `From: <>`, a bare `MAILER-DAEMON`, `Auto-Submitted` and
//! `X-Failed-Recipients` are what a bounce normally looks like.
//!
//! Speed: every text is lower-cased once and matched with `str::contains`
//! over small tables (tens of thousands of messages a second).

use mail_parser::{Message, MessageParser, MimeHeaders, PartType};
use serde_json::Value;

use crate::domain::{BounceReason, BounceRecipient, BounceVerdict};

mod dsn;
mod ses;
mod texts;
mod verdicts;

use dsn::*;
pub use ses::{SesNotice, classify_ses, is_ses, ses_timestamp};
use texts::*;
use verdicts::*;
pub use verdicts::{Decision, Fallback, decide, find_status};

/// What the classifier read from one bounce.
#[derive(Debug, Clone, PartialEq)]
pub struct Bounce {
    /// One entry per failed recipient the report names, in order (one with
    /// no address when it names none).
    pub recipients: Vec<BounceRecipient>,
    /// The Message-IDs of the returned email (its returned message or
    /// headers), `<…>` bracketed.
    pub message_ids: Vec<String>,
}

/// How deep a report forwarded inside `message/rfc822` is looked for.
pub(super) const MAX_DEPTH: usize = 3;

/// The bounce `message` is, or `None` when it is no delivery report.
pub fn classify(message: &Message<'_>) -> Option<Bounce> {
    classify_at(message, 0)
}

pub(super) fn classify_at(message: &Message<'_>, depth: usize) -> Option<Bounce> {
    let dsn_parts: Vec<String> = message
        .parts
        .iter()
        .filter(|p| is_dsn_part(p))
        .map(|p| String::from_utf8_lossy(p.contents()).into_owned())
        .collect();
    let report_root = is_report_root(message);
    if dsn_parts.is_empty() && !report_root && depth < MAX_DEPTH {
        // A report forwarded inside a message/rfc822 (a person or a relay
        // passing a bounce on): the inner report decides.
        for part in &message.parts {
            if let PartType::Message(inner) = &part.body
                && looks_like_report(inner)
                && let Some(b) = classify_at(inner, depth + 1)
            {
                return Some(b);
            }
        }
    }
    let texts = human_texts(message);
    let heads: Vec<&str> = texts.iter().map(|t| head_of(t)).collect();
    let exclude = Exclusions::of(message);
    let message_ids = returned_ids(message, &texts);
    let failed_header = failed_recipients_header(message);

    if !dsn_parts.is_empty() {
        let plain = plain_blocks(&heads, &exclude);
        let head_all = heads.join("\n");
        let mut recipients = Vec::new();
        for dsn in &dsn_parts {
            for r in parse_dsn(dsn) {
                let block = r
                    .address
                    .as_deref()
                    .and_then(|a| plain.iter().find(|b| b.address == a));
                let mut texts: Vec<&str> = Vec::new();
                if let Some(d) = r.diagnostic.as_deref() {
                    texts.push(d);
                }
                if let Some(b) = block {
                    texts.push(&b.near);
                    texts.push(&b.full);
                }
                let status = r
                    .status
                    .clone()
                    .or_else(|| block.and_then(|b| find_status(&b.full)));
                let decision = decide(
                    status.as_deref(),
                    r.action.as_deref(),
                    &texts,
                    Fallback::Report(&head_all),
                );
                let diagnostic = r
                    .diagnostic
                    .as_deref()
                    .map(collapse)
                    .filter(|d| !d.is_empty())
                    .or(decision.line)
                    .or_else(|| status.clone())
                    .or_else(|| r.action.clone())
                    .unwrap_or_default();
                recipients.push(BounceRecipient {
                    address: r.address,
                    verdict: decision.verdict,
                    reason: decision.reason,
                    status,
                    diagnostic,
                });
            }
        }
        if recipients.iter().any(|r| r.address.is_some()) {
            recipients.retain(|r| r.address.is_some());
            return Some(Bounce {
                recipients,
                message_ids,
            });
        }
        // A DSN part that names no recipient: read the text instead.
        let mut bounce = plain_bounce(message, &heads, &exclude, failed_header);
        if bounce.is_empty() {
            bounce = recipients;
        }
        return Some(Bounce {
            recipients: bounce,
            message_ids,
        });
    }

    let shaped = failed_header.is_some() || report_root || looks_like_plain_bounce(message, &heads);
    if !shaped {
        return None;
    }
    let recipients = plain_bounce(message, &heads, &exclude, failed_header);
    Some(Bounce {
        recipients,
        message_ids,
    })
}

// ------------------------------------------------------------ shape tests

pub(super) fn content_type_is(
    part: &mail_parser::MessagePart<'_>,
    ctype: &str,
    subtypes: &[&str],
) -> bool {
    part.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case(ctype)
            && ct
                .subtype()
                .is_some_and(|s| subtypes.iter().any(|t| s.eq_ignore_ascii_case(t)))
    })
}

pub(super) fn is_dsn_part(part: &mail_parser::MessagePart<'_>) -> bool {
    content_type_is(
        part,
        "message",
        &["delivery-status", "global-delivery-status"],
    )
}

/// A `multipart/report` whose report-type is delivery-status or missing
/// (a read receipt or an abuse report is no bounce).
pub(super) fn is_report_root(message: &Message<'_>) -> bool {
    message.parts.first().is_some_and(|root| {
        root.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("multipart")
                && ct
                    .subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("report"))
                && ct
                    .attribute("report-type")
                    .is_none_or(|t| t.eq_ignore_ascii_case("delivery-status"))
        })
    }) && !message.parts.iter().any(|p| {
        content_type_is(
            p,
            "message",
            &["disposition-notification", "feedback-report"],
        )
    })
}

/// Whether a message found inside a `message/rfc822` is itself a report
/// (rather than the returned email).
pub(super) fn looks_like_report(inner: &Message<'_>) -> bool {
    if inner.parts.iter().any(is_dsn_part) || is_report_root(inner) {
        return true;
    }
    if failed_recipients_header(inner).is_some() {
        return true;
    }
    let texts = human_texts(inner);
    let heads: Vec<&str> = texts.iter().map(|t| head_of(t)).collect();
    looks_like_plain_bounce(inner, &heads)
}

pub(super) fn raw_header(message: &Message<'_>, name: &str) -> Option<String> {
    message
        .headers_raw()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_string())
}

/// The addresses of `X-Failed-Recipients` (Exim, mail.ru, Gmail…).
pub(super) fn failed_recipients_header(message: &Message<'_>) -> Option<Vec<String>> {
    let value = raw_header(message, "X-Failed-Recipients")?;
    let list: Vec<String> = addresses_in(&value).into_iter().map(|a| a.2).collect();
    (!list.is_empty()).then_some(list)
}

/// Local parts of the mailboxes mail systems send reports from.
pub(super) const DAEMON_LOCALS: &[&str] = &[
    "mailer-daemon",
    "mailerdaemon",
    "mailer_daemon",
    "mail-daemon",
    "postmaster",
    "mdaemon",
    "double-bounce",
    "post_master",
    "mail.delivery",
    "maildelivery",
    "mail-delivery",
    "bounce",
    "bounces",
];

/// Display names mail systems sign their reports with (lower case).
pub(super) const DAEMON_NAMES: &[&str] = &[
    "mailer-daemon",
    "mailer daemon",
    "mail delivery",
    "delivery subsystem",
    "postmaster",
    "mail administrator",
    "mail system",
    "microsoft outlook",
    "mail transport",
    "delivery status",
    "mail router",
    "mailer",
];

/// Whether the message comes from a mail system rather than a person: an
/// empty or missing From, a `MAILER-DAEMON` / postmaster mailbox or name,
/// or an empty Return-Path. Used only once a message is known not to be a
/// bounce report (an automatic message, not a person's reply).
pub fn from_mail_system(message: &Message<'_>) -> bool {
    raw_header(message, "Return-Path").is_some_and(|v| v.trim() == "<>")
        || daemon_sender(message, true)
}

/// Whether the message's sender is a mail system: none, a daemon's local
/// part or display name, or (with `whole_address`) an address the table
/// of names holds whole.
fn daemon_sender(message: &Message<'_>, whole_address: bool) -> bool {
    let Some(from) = message.from().and_then(|a| a.first()) else {
        return true;
    };
    let address = from
        .address()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let name = from.name().unwrap_or_default().to_ascii_lowercase();
    if address.is_empty() && name.is_empty() {
        return true;
    }
    let local = address.split('@').next().unwrap_or_default();
    DAEMON_LOCALS.contains(&local)
        || local.starts_with("mailer-daemon")
        || DAEMON_NAMES.iter().any(|n| name.contains(n))
        || (whole_address && DAEMON_NAMES.iter().any(|n| address == *n))
}

/// Subject words of delivery reports (lower case, several languages).
pub(super) const BOUNCE_SUBJECTS: &[&str] = &[
    "undeliver",
    "undelivered",
    "not delivered",
    "delivery status notification",
    "delivery notification",
    "delivery failure",
    "delivery failed",
    "delivery has failed",
    "delivery problem",
    "failure notice",
    "failure delivery",
    "returned mail",
    "returned to sender",
    "mail delivery failed",
    "mail delivery failure",
    "mail delivery system",
    "nondeliverable",
    "non-deliverable",
    "non delivery",
    "non-delivery",
    "mail system error",
    "could not be delivered",
    "couldn't be delivered",
    "delivery report",
    "message failure",
    "mail failure",
    "delayed mail",
    "delivery delayed",
    "delivery delay",
    "warning: message",
    "warning: could not send",
    "unzustellbar",
    "nicht zustellbar",
    "non remis",
    "non distribuable",
    "no entregado",
    "no se puede entregar",
    "non recapitato",
    "onbestelbaar",
    "mensagem não entregue",
    "error sending message",
    "message rejected",
    "mail rejected",
    "bounce",
    "配信できません",
    "配信エラー",
];

/// Phrases of the bodies of delivery reports (lower case): the openers of
/// the templates mail systems write.
pub(super) const BOUNCE_BODIES: &[&str] = &[
    "this is the qmail-send program",
    "qmail-send program",
    "created automatically by mail delivery software",
    "i'm sorry to have to inform you",
    "this is the mail system at host",
    "transcript of session follows",
    "the following addresses had permanent fatal errors",
    "did not reach the following recipient",
    "was not delivered to:",
    "could not be delivered",
    "couldn't be delivered",
    "could not deliver",
    "couldn't deliver",
    "wasn't delivered",
    "was not delivered",
    "were not delivered",
    "has not been delivered",
    "not yet been delivered",
    "unable to deliver",
    "delivery has failed",
    "delivery to the following recipient",
    "delivery failed",
    "delivery failure",
    "failed permanently",
    "permanent error",
    "permanent failure",
    "temporary failure",
    "address(es) failed",
    "addresses failed",
    "error has occurred while attempting to deliver",
    "this is the mailer-daemon",
    "undeliverable",
    "undelivered",
    "message not delivered",
    "returned to sender",
    "body of message generated response",
    "generated response",
    "delivery status notification",
    "message could not be sent",
    "message was not sent",
    "you tried to contact",
    "your message to",
    "your message could not",
    "your message was rejected",
    "rejected your message",
    "message was rejected",
    "the message was not delivered",
    "delivery to these recipients or groups",
    "delivery has been delayed",
    "delivery is delayed",
    "remote host said",
    "recipient address rejected",
    "smtp error",
    "non-delivery",
    "nondelivery",
    "requested action not taken",
    "requested mail action aborted",
    "no valid recipient",
    "配信できません",
    "配信に失敗",
    "送信できません",
];

pub(super) fn contains_any(haystack: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| haystack.contains(n))
}

/// The plain-text report shape: a mail system's sender or a report's
/// subject, with a report's body (or both sender and subject).
pub(super) fn looks_like_plain_bounce(message: &Message<'_>, heads: &[&str]) -> bool {
    let subject = message.subject().unwrap_or_default().to_lowercase();
    let by_subject = contains_any(&subject, BOUNCE_SUBJECTS);
    let by_sender = sender_is_daemon(message);
    if by_subject && by_sender {
        return true;
    }
    // An automatic message (a list relaying a bounce on the thread, such
    // as Google Groups) whose words report a failed delivery.
    let automatic = raw_header(message, "Auto-Submitted")
        .is_some_and(|v| !v.trim().to_ascii_lowercase().starts_with("no"))
        || raw_header(message, "Return-Path").is_some_and(|v| v.trim() == "<>");
    if automatic
        && heads
            .iter()
            .any(|h| contains_any(&h.to_lowercase(), FAILURE_BODIES))
    {
        return true;
    }
    (by_subject || by_sender)
        && heads
            .iter()
            .any(|h| contains_any(&h.to_lowercase(), BOUNCE_BODIES))
}

/// Words that report a failed delivery in so many words: enough, with
/// `Auto-Submitted`, to tell a relayed bounce from an out-of-office.
pub(super) const FAILURE_BODIES: &[&str] = &[
    "couldn't be delivered to",
    "could not be delivered to",
    "wasn't delivered to",
    "was not delivered to",
    "message not delivered",
    "delivery status notification",
    "the response from the remote server was",
    "did not reach the following recipient",
    "delivery has failed to these recipients",
    "delivery to the following recipient failed",
    "this is a permanent error",
    "permanent fatal errors",
    "may not have permission to post",
    "address couldn't be found",
    "has not been delivered",
    "have not been delivered",
    "were not delivered",
    "was blocked by",
    "配信できません",
    "配信に失敗",
];

/// A report's sender: like [`from_mail_system`] but without the empty
/// Return-Path, which every automatic message carries.
pub(super) fn sender_is_daemon(message: &Message<'_>) -> bool {
    daemon_sender(message, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_found_but_not_inside_an_ip_address() {
        assert_eq!(
            find_status("host 192.0.2.153 said 550 5.1.1 no"),
            Some("5.1.1".into())
        );
        assert_eq!(find_status("(#4.4.1)"), Some("4.4.1".into()));
        assert_eq!(find_status("at 10.5.1.1 only"), None);
        assert_eq!(find_status("status 5.7.26."), Some("5.7.26".into()));
    }

    #[test]
    fn text_decides_before_the_status() {
        for (status, action, text, verdict, reason) in [
            (
                "5.2.2",
                "failed",
                "552 mailbox full",
                BounceVerdict::Soft,
                Some(BounceReason::MailboxFull),
            ),
            (
                "4.0.0",
                "failed",
                "450 user unknown",
                BounceVerdict::Hard,
                Some(BounceReason::UserUnknown),
            ),
            (
                "5.0.0",
                "failed",
                "greylisted, try again later",
                BounceVerdict::Soft,
                Some(BounceReason::Temporary),
            ),
            // A delay is no bounce, whatever its words.
            (
                "4.4.7",
                "delayed",
                "user unknown",
                BounceVerdict::NotABounce,
                None,
            ),
        ] {
            let d = decide(Some(status), Some(action), &[text], Fallback::None);
            assert_eq!(d.verdict, verdict, "{text}");
            if let Some(reason) = reason {
                assert_eq!(d.reason, reason, "{text}");
            }
        }
    }

    #[test]
    fn recipient_lines_of_the_templates() {
        let r = |l: &str| recipient_line(l).map(|(a, _)| a);
        assert_eq!(r("<a@example.com>:"), Some("a@example.com".into()));
        assert_eq!(r("  a@example.com"), Some("a@example.com".into()));
        assert_eq!(r("\"a@example.com\":"), Some("a@example.com".into()));
        assert_eq!(
            r("a@example.com on 3/2/2026 9:01 AM"),
            Some("a@example.com".into())
        );
        assert_eq!(
            r("550 5.1.1 <a@example.com>... User unknown"),
            Some("a@example.com".into())
        );
        assert_eq!(
            r("Unknown user: a@example.com"),
            Some("a@example.com".into())
        );
        assert_eq!(r("To: a@example.com"), None);
        assert_eq!(r("a@example.com wrote some text"), None);
    }
}
