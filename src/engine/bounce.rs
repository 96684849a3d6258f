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
const MAX_DEPTH: usize = 3;

/// The bounce `message` is, or `None` when it is no delivery report.
pub fn classify(message: &Message<'_>) -> Option<Bounce> {
    classify_at(message, 0)
}

fn classify_at(message: &Message<'_>, depth: usize) -> Option<Bounce> {
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

fn content_type_is(part: &mail_parser::MessagePart<'_>, ctype: &str, subtypes: &[&str]) -> bool {
    part.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case(ctype)
            && ct
                .subtype()
                .is_some_and(|s| subtypes.iter().any(|t| s.eq_ignore_ascii_case(t)))
    })
}

fn is_dsn_part(part: &mail_parser::MessagePart<'_>) -> bool {
    content_type_is(
        part,
        "message",
        &["delivery-status", "global-delivery-status"],
    )
}

/// A `multipart/report` whose report-type is delivery-status or missing
/// (a read receipt or an abuse report is no bounce).
fn is_report_root(message: &Message<'_>) -> bool {
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
fn looks_like_report(inner: &Message<'_>) -> bool {
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

fn raw_header(message: &Message<'_>, name: &str) -> Option<String> {
    message
        .headers_raw()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_string())
}

/// The addresses of `X-Failed-Recipients` (Exim, mail.ru, Gmail…).
fn failed_recipients_header(message: &Message<'_>) -> Option<Vec<String>> {
    let value = raw_header(message, "X-Failed-Recipients")?;
    let list: Vec<String> = addresses_in(&value).into_iter().map(|a| a.2).collect();
    (!list.is_empty()).then_some(list)
}

/// Local parts of the mailboxes mail systems send reports from.
const DAEMON_LOCALS: &[&str] = &[
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
const DAEMON_NAMES: &[&str] = &[
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
    if raw_header(message, "Return-Path").is_some_and(|v| v.trim() == "<>") {
        return true;
    }
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
        || DAEMON_NAMES.iter().any(|n| address == *n)
}

/// Subject words of delivery reports (lower case, several languages).
const BOUNCE_SUBJECTS: &[&str] = &[
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
const BOUNCE_BODIES: &[&str] = &[
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

fn contains_any(haystack: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| haystack.contains(n))
}

/// The plain-text report shape: a mail system's sender or a report's
/// subject, with a report's body (or both sender and subject).
fn looks_like_plain_bounce(message: &Message<'_>, heads: &[&str]) -> bool {
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
const FAILURE_BODIES: &[&str] = &[
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
fn sender_is_daemon(message: &Message<'_>) -> bool {
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
}

// ------------------------------------------------------------------ texts

/// The human-readable parts of a message (not those of a message nested in
/// it): text parts, HTML turned to text. A part holding the returned
/// headers is no human text.
fn human_texts(message: &Message<'_>) -> Vec<String> {
    let mut out = Vec::new();
    // HTML only when the message has no plain text of its own.
    let human = |p: &mail_parser::MessagePart<'_>| {
        !content_type_is(p, "text", &["rfc822-headers", "calendar"])
    };
    let has_text = message
        .parts
        .iter()
        .any(|p| matches!(p.body, PartType::Text(_)) && human(p));
    for part in &message.parts {
        match &part.body {
            PartType::Text(text) if human(part) => out.push(text.to_string()),
            PartType::Html(html) if !has_text => {
                out.push(mail_parser::decoders::html::html_to_text(html));
            }
            _ => {}
        }
    }
    out
}

/// Lines (normalised: trimmed of spaces and rules, lower case) after which
/// a report carries the returned message, not its own words.
const ORIGINAL_MARKERS: &[&str] = &[
    "below this line is a copy of the message",
    "this is a copy of the message",
    "unsent message follows",
    "original message follows",
    "original message",
    "returned message follows",
    "returned mail follows",
    "message header follows",
    "message headers follow",
    "the header of the original message",
    "below is a copy of the original message",
    "original message headers",
    "received message headers",
    "headers of the original message",
    "copy of the message follows",
    "copy of original message",
    "a copy of the original message",
    "original message header",
    "undelivered message headers",
    "content-type: message/rfc822",
];

/// The report's own words: `text` up to the line that starts the returned
/// message.
fn head_of(text: &str) -> &str {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let norm = line
            .trim()
            .trim_matches(|c: char| c == '-' || c == '=' || c == '*' || c == '_' || c == ' ')
            .to_ascii_lowercase();
        if !norm.is_empty() && ORIGINAL_MARKERS.iter().any(|m| norm.starts_with(m)) {
            return &text[..offset];
        }
        offset += line.len();
    }
    text
}

/// `<id>` with its angle brackets.
fn bracketed(id: &str) -> String {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>');
    format!("<{}>", id.trim())
}

/// The Message-IDs of the returned email: a `message/rfc822` part, a
/// `text/rfc822-headers` part, or `Message-ID:` lines of a plain report
/// that quotes the returned message.
fn returned_ids(message: &Message<'_>, texts: &[String]) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    let push = |id: String, ids: &mut Vec<String>| {
        if id.len() > 2 && id.contains('@') && !ids.contains(&id) {
            ids.push(id);
        }
    };
    for part in &message.parts {
        if let PartType::Message(inner) = &part.body {
            if let Some(id) = inner.message_id() {
                push(bracketed(id), &mut ids);
            }
        } else if content_type_is(part, "text", &["rfc822-headers"])
            || content_type_is(part, "message", &["rfc822-headers"])
        {
            let text = String::from_utf8_lossy(part.contents());
            for id in message_id_lines(&text) {
                push(id, &mut ids);
            }
            if let Some(headers) = MessageParser::default().parse(part.contents())
                && let Some(id) = headers.message_id()
            {
                push(bracketed(id), &mut ids);
            }
        }
    }
    for text in texts {
        for id in message_id_lines(text) {
            push(id, &mut ids);
        }
    }
    ids
}

/// Every `Message-ID: <…>` header line of a quoted message (`>` quoting
/// and indentation allowed; the value may be folded to the next line).
fn message_id_lines(text: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim_start_matches(|c: char| c == '>' || c.is_whitespace());
        let Some((name, value)) = t.split_once(':') else {
            continue;
        };
        if !name.trim().eq_ignore_ascii_case("message-id") {
            continue;
        }
        let mut value = value.trim().to_string();
        if value.is_empty()
            && let Some(next) = lines.peek()
            && next.starts_with([' ', '\t'])
        {
            value = next.trim().to_string();
        }
        let value = value.split_whitespace().next().unwrap_or_default();
        if value.contains('@') {
            ids.push(bracketed(value));
        }
    }
    ids
}

/// Collapses runs of white space to one space and keeps at most 300
/// characters: the diagnostic as people read it.
fn collapse(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match joined.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &joined[..i]),
        None => joined,
    }
}

// -------------------------------------------------------------- addresses

fn is_local_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"._%+-=!#$&'*/?^`{|}~".contains(&b)
}

fn is_domain_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'.' || b == b'-'
}

/// Every email address in `text`: (start, end, lower-cased address).
fn addresses_in(text: &str) -> Vec<(usize, usize, String)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut search = 0;
    while let Some(rel) = text[search..].find('@') {
        let at = search + rel;
        let mut start = at;
        while start > 0 && is_local_char(bytes[start - 1]) {
            start -= 1;
        }
        // Quotes and dots may not open a local part.
        while start < at && matches!(bytes[start], b'\'' | b'.' | b'`') {
            start += 1;
        }
        let mut end = at + 1;
        while end < bytes.len() && is_domain_char(bytes[end]) {
            end += 1;
        }
        while end > at + 1 && matches!(bytes[end - 1], b'.' | b'-') {
            end -= 1;
        }
        let domain = &text[at + 1..end];
        if start < at && domain.contains('.') && !domain.starts_with('.') {
            out.push((start, end, text[start..end].to_ascii_lowercase()));
        }
        search = end.max(at + 1);
    }
    out
}

/// An address at the very start of `s` (optionally in `<>` or quotes):
/// the address and the text after it.
fn leading_address(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start();
    let (open, body) = match s.as_bytes().first() {
        Some(b'<') => (Some('>'), &s[1..]),
        Some(b'"') => (Some('"'), &s[1..]),
        Some(b'\'') => (Some('\''), &s[1..]),
        _ => (None, s),
    };
    let found = addresses_in(body);
    let (start, end, address) = found.first()?;
    if *start != 0 {
        return None;
    }
    let mut rest = &body[*end..];
    if let Some(close) = open {
        rest = rest.strip_prefix(close)?;
    }
    Some((address.clone(), rest))
}

/// Who is never a failed recipient: the report's own sender and
/// addressees, mail-system mailboxes, Message-IDs.
struct Exclusions {
    addresses: Vec<String>,
}

impl Exclusions {
    fn of(message: &Message<'_>) -> Self {
        let mut addresses = Vec::new();
        // Not the From: a list relaying a bounce (Google Groups) sends it
        // from the very address that failed.
        for list in [message.to(), message.cc()].into_iter().flatten() {
            for a in list.iter() {
                if let Some(addr) = a.address() {
                    addresses.push(addr.trim().to_ascii_lowercase());
                }
            }
        }
        Exclusions { addresses }
    }

    fn excludes(&self, address: &str) -> bool {
        let local = address.split('@').next().unwrap_or_default();
        self.addresses.iter().any(|a| a == address)
            || DAEMON_LOCALS.contains(&local)
            || local.starts_with("mailer-daemon")
            || local.starts_with("microsoftexchange")
            || local.starts_with("seqtui.")
    }
}

/// Labels of a `Label: address` recipient line (lower case).
const RECIPIENT_LABELS: &[&str] = &[
    "unknown user",
    "user unknown",
    "no such user",
    "invalid recipient",
    "invalid address",
    "invalid user",
    "unknown recipient",
    "recipient",
    "recipients",
    "failed recipient",
    "failed recipients",
    "failed address",
    "recipient address",
    "original recipient",
    "final recipient",
    "original-recipient",
    "final-recipient",
    "intended recipient",
    "address",
    "e-mail address",
    "email address",
    "mailbox full",
    "mailbox unavailable",
    "host unknown",
    "to address",
    "undeliverable to",
    "delivery to",
    "failed to deliver to",
    "could not be delivered to",
    "couldn't be delivered to",
    "not delivered to",
    "your message to",
    "rcpt to",
];

/// Header fields whose lines never name a failed recipient.
const HEADER_LABELS: &[&str] = &[
    "from",
    "sender",
    "reply-to",
    "return-path",
    "received",
    "message-id",
    "in-reply-to",
    "references",
    "reporting-mta",
    "remote-mta",
    "x-postfix-sender",
    "dkim-signature",
    "list-unsubscribe",
];

/// A line that names a failed recipient in one of the templates: the
/// address and the diagnostic text on the same line.
///
/// - alone: `<a@b>:` (qmail, Yahoo), `  a@b` (Exim, Domino), `"a@b":`
///   (GMX), `a@b on 3/2/2026 9:01 AM` (Exchange 2003), `a@b (expanded…)`;
/// - first, then the error: `<a@b>: host … said: 550 …` (Postfix),
///   `a@b: 550 5.1.1 …` (OpenSMTPD);
/// - Sendmail's `550 5.1.1 <a@b>... User unknown` (V5 too);
/// - a label: `Unknown user: a@b` (iMail), `Recipient: <a@b>`.
fn recipient_line(line: &str) -> Option<(String, String)> {
    let t = line.trim();
    if t.is_empty() || !t.contains('@') {
        return None;
    }
    if let Some((address, rest)) = leading_address(t) {
        let rest = rest.trim();
        let lower = rest.to_ascii_lowercase();
        if rest.is_empty() || rest == ":" || rest == "," || rest == ";" {
            return Some((address, String::new()));
        }
        if let Some(after) = rest.strip_prefix(':') {
            return Some((address, after.trim().to_string()));
        }
        if let Some(after) = rest.strip_prefix("...") {
            return Some((address, after.trim().to_string()));
        }
        if lower.starts_with("on ") || rest.starts_with('(') || rest.starts_with('[') {
            return Some((address, rest.to_string()));
        }
        if lower.starts_with("- ") || lower.starts_with("is ") || lower.starts_with("was ") {
            return Some((address, rest.to_string()));
        }
        return None;
    }
    // Sendmail: `<a@b>... reason` anywhere on the line.
    if let Some(dots) = t.find(">...") {
        for (start, end, address) in addresses_in(t) {
            if end == dots && start > 0 && t.as_bytes()[start - 1] == b'<' {
                return Some((address, t[dots + 4..].trim().to_string()));
            }
        }
    }
    if let Some((label, value)) = t.split_once(':') {
        let label = label.trim().to_ascii_lowercase();
        if RECIPIENT_LABELS.contains(&label.as_str()) {
            let value = value.trim();
            let value = value
                .strip_prefix("rfc822;")
                .or_else(|| value.strip_prefix("RFC822;"))
                .unwrap_or(value)
                .trim();
            if let Some((address, rest)) = leading_address(value) {
                let rest = rest.trim().trim_start_matches([':', ',']).trim();
                return Some((address, format!("{label} {rest}").trim().to_string()));
            }
        }
    }
    None
}

/// The text a report gives about one recipient: `near` is what follows its
/// recipient line up to the first blank line, `full` up to the next
/// recipient.
#[derive(Debug, Default)]
struct Block {
    address: String,
    near: String,
    full: String,
    near_done: bool,
}

/// The recipients of the returned email (its `To` and `Cc`): from a
/// `message/rfc822` part, a `text/rfc822-headers` part, or the header
/// lines quoted after a report's words.
fn returned_recipients(message: &Message<'_>, heads: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |a: String| {
        if !out.contains(&a) {
            out.push(a);
        }
    };
    for part in &message.parts {
        if let PartType::Message(inner) = &part.body {
            for list in [inner.to(), inner.cc()].into_iter().flatten() {
                for a in list.iter() {
                    if let Some(addr) = a.address() {
                        push(addr.trim().to_ascii_lowercase());
                    }
                }
            }
        } else if content_type_is(part, "text", &["rfc822-headers"]) {
            quoted_to(&String::from_utf8_lossy(part.contents()), &mut push);
        }
    }
    for part in &message.parts {
        if let PartType::Text(text) = &part.body {
            for head in heads {
                if text.starts_with(head) && text.len() > head.len() {
                    quoted_to(&text[head.len()..], &mut push);
                }
            }
        }
    }
    out
}

/// The addresses of `To:` / `Cc:` header lines in quoted headers.
fn quoted_to(text: &str, push: &mut dyn FnMut(String)) {
    let mut in_headers = false;
    for line in text.lines() {
        let t = line.trim_start_matches(|c: char| c == '>' || c.is_whitespace());
        if t.is_empty() && in_headers {
            break;
        }
        let Some((name, value)) = t.split_once(':') else {
            continue;
        };
        in_headers = true;
        if name.eq_ignore_ascii_case("to") || name.eq_ignore_ascii_case("cc") {
            for (_, _, a) in addresses_in(value) {
                push(a);
            }
        }
    }
}

/// The recipient blocks of a plain report's own words.
fn plain_blocks(heads: &[&str], exclude: &Exclusions) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    for head in heads {
        let mut current: Option<usize> = None;
        for line in head.lines() {
            let named = recipient_line(line).filter(|(a, _)| !exclude.excludes(a));
            if let Some((address, rest)) = named {
                let index = match blocks.iter().position(|b| b.address == address) {
                    Some(i) => i,
                    None => {
                        blocks.push(Block {
                            address,
                            ..Block::default()
                        });
                        blocks.len() - 1
                    }
                };
                let b = &mut blocks[index];
                if current == Some(index) {
                    // The same recipient again (a folded diagnostic).
                    b.full.push_str(&rest);
                    b.full.push('\n');
                    if !b.near_done {
                        b.near.push_str(&rest);
                        b.near.push('\n');
                    }
                } else {
                    b.near_done = false;
                    b.near.push_str(&rest);
                    b.near.push('\n');
                    b.full.push_str(&rest);
                    b.full.push('\n');
                }
                current = Some(index);
                continue;
            }
            let Some(i) = current else { continue };
            let b = &mut blocks[i];
            b.full.push_str(line);
            b.full.push('\n');
            if !b.near_done {
                if line.trim().is_empty() {
                    if !b.near.trim().is_empty() {
                        b.near_done = true;
                    }
                } else {
                    b.near.push_str(line);
                    b.near.push('\n');
                }
            }
        }
    }
    blocks
}

/// Addresses named anywhere in the report's words (a sentence such as
/// "Your message wasn't delivered to a@b because…"), each with its
/// paragraph: the last resort when no template line names a recipient.
fn sentence_blocks(heads: &[&str], exclude: &Exclusions) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    for head in heads {
        let paragraphs: Vec<&str> = head.split("\n\n").collect();
        for (i, paragraph) in paragraphs.iter().enumerate() {
            for line in paragraph.lines() {
                let label = line
                    .trim()
                    .split_once(':')
                    .map(|(l, _)| l.trim().to_ascii_lowercase())
                    .unwrap_or_default();
                if HEADER_LABELS.contains(&label.as_str()) {
                    continue;
                }
                for (_, _, address) in addresses_in(line) {
                    if exclude.excludes(&address) || blocks.iter().any(|b| b.address == address) {
                        continue;
                    }
                    let mut full = paragraph.to_string();
                    if let Some(next) = paragraphs.get(i + 1) {
                        full.push_str("\n\n");
                        full.push_str(next);
                    }
                    blocks.push(Block {
                        address,
                        near: paragraph.to_string(),
                        full,
                        near_done: true,
                    });
                }
            }
        }
    }
    blocks
}

/// Phrases of a delay warning: the report says the message is still
/// being retried (a DSN with `Action: delayed` in plain words).
const DELAY_PHRASES: &[&str] = &[
    "will retry",
    "will be retried",
    "still being retried",
    "will continue to try",
    "will continue trying",
    "will keep trying",
    "will try again",
    "will try to deliver",
    "will attempt to deliver",
    "delivery attempts will continue",
    "this is a warning message only",
    "is only a warning",
    "not yet been delivered",
    "hasn't been delivered yet",
    "has not been delivered yet",
    "delivery has been delayed",
    "delivery is delayed",
    "has been delayed",
    "you do not need to resend",
    "no need to resend",
    "you don't need to resend",
];

/// A plain report (or one whose DSN names nobody): one entry per failed
/// recipient, read from `X-Failed-Recipients`, the template's recipient
/// lines, or the addresses its sentences name.
fn plain_bounce(
    message: &Message<'_>,
    heads: &[&str],
    exclude: &Exclusions,
    failed_header: Option<Vec<String>>,
) -> Vec<BounceRecipient> {
    let head_all = heads.join("\n");
    let lower_all = head_all.to_ascii_lowercase();
    let subject = message.subject().unwrap_or_default().to_ascii_lowercase();
    let delayed = contains_any(&lower_all, DELAY_PHRASES)
        || subject.contains("delayed")
        || subject.contains("delay)")
        || subject.starts_with("warning:");
    let action = if delayed { "delayed" } else { "failed" };
    let mut blocks = plain_blocks(heads, exclude);
    if let Some(list) = &failed_header {
        let mut named = Vec::new();
        for address in list {
            match blocks.iter().position(|b| &b.address == address) {
                Some(i) => named.push(blocks.remove(i)),
                None => named.push(Block {
                    address: address.clone(),
                    ..Block::default()
                }),
            }
        }
        blocks = named;
    }
    if blocks.is_empty() {
        blocks = sentence_blocks(heads, exclude);
    }
    if blocks.is_empty() {
        // The report's words name nobody: the returned email's own
        // recipient, when it had exactly one.
        if let [only] = returned_recipients(message, heads).as_slice()
            && !exclude.excludes(only)
        {
            blocks.push(Block {
                address: only.clone(),
                ..Block::default()
            });
        }
    }
    // With several recipients, the words before the first of them speak
    // for all; each one's own block speaks only for it.
    let context: &str = if blocks.len() > 1 {
        let first = blocks
            .iter()
            .filter_map(|b| lower_all.find(&b.address))
            .min()
            .unwrap_or(head_all.len());
        let start = head_all[..first].rfind('\n').map_or(0, |i| i + 1);
        &head_all[..start]
    } else {
        &head_all
    };
    let mut out = Vec::new();
    for b in &blocks {
        let status = find_status(&b.near)
            .or_else(|| find_status(&b.full))
            .or_else(|| find_status(context));
        let decision = decide(
            status.as_deref(),
            Some(action),
            &[&b.near, &b.full],
            Fallback::Report(context),
        );
        out.push(BounceRecipient {
            address: Some(b.address.clone()),
            verdict: decision.verdict,
            reason: decision.reason,
            diagnostic: decision
                .line
                .or_else(|| Some(collapse(&b.near)).filter(|d| !d.is_empty()))
                .or_else(|| status.clone())
                .unwrap_or_default(),
            status,
        });
    }
    if out.is_empty() {
        let status = find_status(&head_all);
        let decision = decide(
            status.as_deref(),
            Some(action),
            &[],
            Fallback::Report(&head_all),
        );
        out.push(BounceRecipient {
            address: None,
            verdict: decision.verdict,
            reason: decision.reason,
            diagnostic: decision.line.or_else(|| status.clone()).unwrap_or_default(),
            status,
        });
    }
    out
}

// -------------------------------------------------------------- RFC 3464

/// One per-recipient block of a `message/delivery-status` part.
#[derive(Debug, Default)]
struct DsnRecipient {
    address: Option<String>,
    action: Option<String>,
    status: Option<String>,
    diagnostic: Option<String>,
}

/// The address of a recipient field: `rfc822; <a@b>`.
fn field_address(value: &str) -> Option<String> {
    let value = match value.split_once(';') {
        Some((_, v)) => v,
        None => value,
    };
    addresses_in(value).into_iter().next().map(|a| a.2)
}

/// The per-recipient blocks of a DSN (the per-message block first, then
/// one block per recipient, blank lines between; folded lines joined).
fn parse_dsn(text: &str) -> Vec<DsnRecipient> {
    let mut out = Vec::new();
    let mut fields: Vec<(String, String)> = Vec::new();
    let flush = |fields: &mut Vec<(String, String)>, out: &mut Vec<DsnRecipient>| {
        let mut r = DsnRecipient::default();
        let mut is_recipient = false;
        let mut orig = None;
        for (name, value) in fields.drain(..) {
            match name.as_str() {
                "final-recipient" => {
                    is_recipient = true;
                    r.address = r.address.or(field_address(&value));
                }
                "original-recipient" => {
                    is_recipient = true;
                    orig = field_address(&value);
                }
                "x-actual-recipient" if r.address.is_none() => {
                    r.address = field_address(&value);
                }
                "action" => {
                    is_recipient = true;
                    r.action = Some(value.trim().to_ascii_lowercase());
                }
                "status" => {
                    is_recipient = true;
                    r.status = find_status(&value).or_else(|| {
                        let v = value.trim();
                        (!v.is_empty()).then(|| v.to_string())
                    });
                }
                "diagnostic-code" => {
                    let v = match value.split_once(';') {
                        Some((kind, rest)) if !kind.contains(' ') => rest,
                        _ => &value,
                    };
                    r.diagnostic = Some(v.trim().to_string());
                }
                _ => {}
            }
        }
        if r.address.is_none() {
            r.address = orig;
        }
        if is_recipient {
            out.push(r);
        }
    };
    let mut last: Option<usize> = None;
    for line in text.lines() {
        if line.trim().is_empty() {
            flush(&mut fields, &mut out);
            last = None;
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(i) = last {
                fields[i].1.push(' ');
                fields[i].1.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim().to_ascii_lowercase();
            // A second recipient with no blank line before it.
            let starts_recipient = name == "final-recipient" || name == "original-recipient";
            if starts_recipient && fields.iter().any(|(n, _)| n == &name) {
                flush(&mut fields, &mut out);
            }
            fields.push((name, value.trim().to_string()));
            last = Some(fields.len() - 1);
        }
    }
    flush(&mut fields, &mut out);
    // A report that repeats one recipient (some MTAs do) counts it once.
    let mut seen: Vec<String> = Vec::new();
    out.retain(|r| match &r.address {
        Some(a) if seen.contains(a) => false,
        Some(a) => {
            seen.push(a.clone());
            true
        }
        None => true,
    });
    out
}

// --------------------------------------------------------------- verdicts

/// The first RFC 3463 status (`5.1.1`) in `text`, not part of an IP
/// address or a longer number.
pub fn find_status(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let digits = |mut i: usize| {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        (i - start, i)
    };
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let boundary = i == 0 || !(b[i - 1].is_ascii_digit() || b[i - 1] == b'.');
        if matches!(c, b'2' | b'4' | b'5') && boundary && b.get(i + 1) == Some(&b'.') {
            let (n1, j) = digits(i + 2);
            if (1..=3).contains(&n1) && b.get(j) == Some(&b'.') {
                let (n2, k) = digits(j + 1);
                let after_ok = k >= b.len()
                    || !(b[k].is_ascii_digit()
                        || (b[k] == b'.' && b.get(k + 1).is_some_and(u8::is_ascii_digit)));
                if (1..=3).contains(&n2) && after_ok {
                    return Some(text[i..k].to_string());
                }
            }
        }
        i += 1;
    }
    None
}

/// The class (`'4'` or `'5'`) of the first SMTP reply code in `text`.
fn find_reply_class(text: &str) -> Option<u8> {
    let b = text.as_bytes();
    for i in 0..b.len().saturating_sub(2) {
        let boundary = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.');
        if boundary
            && matches!(b[i], b'4' | b'5')
            && b[i + 1].is_ascii_digit()
            && b[i + 2].is_ascii_digit()
            && b.get(i + 3)
                .is_none_or(|&c| matches!(c, b' ' | b'-' | b','))
        {
            return Some(b[i]);
        }
    }
    None
}

/// How strongly a table's phrases decide.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// Greylisting, a loop, a full system: the moment, never "gave up".
    Moment,
    Plain,
}

/// The diagnostic-text tables, in the order they are tried: the first table
/// with a phrase in the text gives the reason. Soft causes come before the
/// words of unknown users because their texts often say "rejected" or
/// "recipient" too; the vaguest words come last.
const RULES: &[(BounceReason, Kind, &[&str])] = &[
    (
        BounceReason::Temporary,
        Kind::Moment,
        &[
            "greylist",
            "graylist",
            "grey-list",
            "gray-list",
            "grey list",
            "gray list",
            "greylisting",
            "insufficient system storage",
            "system storage",
            "loop",
        ],
    ),
    (
        BounceReason::RateLimited,
        Kind::Plain,
        &[
            "rate limit",
            "ratelimit",
            "rate-limit",
            "too many messages",
            "too many emails",
            "too many mails",
            "too many connections",
            "too many concurrent",
            "too many recipients this",
            "too much mail from",
            "sending quota",
            "sending limit",
            "daily limit",
            "hourly limit",
            "receiving mail at a rate",
            "at a rate that",
            "throttl",
            "unusual rate",
            "exceeded the rate",
            "message rate",
            "rate of",
            "unexpected volume",
            "high volume",
            "volume of mail",
            "sent too many",
            "exceeded the maximum number of messages",
            "deferred due to",
        ],
    ),
    (
        BounceReason::AuthFailure,
        Kind::Plain,
        &[
            "spf",
            "dkim",
            "dmarc",
            "sender policy framework",
            "domainkeys",
            "authenticat",
            "not authorized to send",
            "sender is not authorized",
            "5.7.23",
            "5.7.24",
            "5.7.25",
            "5.7.26",
            "5.7.27",
        ],
    ),
    (
        BounceReason::MailboxFull,
        Kind::Plain,
        &[
            "mailbox full",
            "mailbox is full",
            "mailbox quota",
            "over quota",
            "overquota",
            "over the allowed quota",
            "quota exceeded",
            "exceeded quota",
            "exceeds quota",
            "exceeded its quota",
            "exceeded their quota",
            "quotaexceeded",
            "disk quota",
            "quota",
            "exceeded storage",
            "storage allocation",
            "insufficient storage",
            "not enough space",
            "out of storage",
            "storage space",
            "storage limit",
            "mailbox size limit",
            "mailbox has exceeded",
            "mailbox exceeded",
            "full mailbox",
            "inbox is full",
            "mail file is full",
            "too much mail data",
            "is full",
            "postfach voll",
            "boîte pleine",
            "casella piena",
            "buzón lleno",
        ],
    ),
    (
        BounceReason::Suspended,
        Kind::Plain,
        &[
            "suspended account",
            "suspended mailbox",
            "suspended user",
            "account suspended",
            "account is suspended",
            "account has been suspended",
            "account was suspended",
            "mailbox suspended",
            "mailbox is suspended",
            "mailbox has been suspended",
            "user suspended",
            "user is suspended",
            "address suspended",
            "has been suspended",
            "been disabled",
            "is disabled",
            "account disabled",
            "mailbox disabled",
            "user disabled",
            "address disabled",
            "administratively disabled",
            "administrativly disabled",
            "deactivated",
            "inactive",
            "not active",
            "no longer active",
            "account is locked",
            "account locked",
            "locked account",
            "account frozen",
            "frozen",
            "inactivity",
            "temporarily disabled",
            "account expired",
            "mailbox expired",
            "account is blocked",
            "account has been blocked",
        ],
    ),
    (
        // The text calls the message itself spam, whatever list is named.
        BounceReason::Spam,
        Kind::Plain,
        &[
            "as spam",
            "is spam",
            "likely spam",
            "looks like spam",
            "unsolicited",
            "spam message",
            "spam content",
        ],
    ),
    (
        BounceReason::Policy,
        Kind::Plain,
        &[
            "blacklist",
            "blocklist",
            "black list",
            "block list",
            "blocked using",
            "listed at",
            "listed on",
            "dnsbl",
            " rbl",
            "spamhaus",
            "spamcop",
            "barracuda",
            "sorbs",
            "reputation",
            "client host rejected",
            "client host [",
            "traffic not accepted",
            "from this ip",
            "your ip",
            "sending ip",
            "banned",
            "denylist",
            "permission to post",
            "sender address rejected",
            "sender rejected",
            "sender verify",
            "sender domain",
        ],
    ),
    (
        BounceReason::Spam,
        Kind::Plain,
        &[
            "spam",
            "junk",
            "unsolicited",
            "bulk mail",
            "content filter",
            "content rejected",
            "virus",
            "malware",
            "phish",
            "infected",
            "suspicious",
            "bayes",
        ],
    ),
    (
        BounceReason::HostUnknown,
        Kind::Plain,
        &[
            "host unknown",
            "unknown host",
            "host not found",
            "domain not found",
            "no such domain",
            "domain does not exist",
            "domain doesn't exist",
            "domain doesnt exist",
            "domain name not found",
            "unknown domain",
            "invalid domain",
            "couldn't find any host",
            "could not find any host",
            "no mx",
            "mx record",
            "mail exchanger",
            "unrouteable",
            "unroutable",
            "unable to route",
            "name or service not known",
            "nxdomain",
            "name service error",
            "host or domain name not found",
            "no route found to domain",
            "non-existent host",
            "nonexistent host",
            "domain name service",
            "could not be found in dns",
            "dns lookup",
            "dns error",
            "does not accept mail",
            "domain is not configured",
        ],
    ),
    (
        BounceReason::UserUnknown,
        Kind::Plain,
        &[
            "recipient address rejected: access denied",
            "does not exist",
            "doesn't exist",
            "doesnt exist",
            "not exist",
            "no such user",
            "no such mailbox",
            "no such recipient",
            "no such address",
            "no such person",
            "no such account",
            "no such local user",
            "user unknown",
            "unknown user",
            "user is unknown",
            "recipient is unknown",
            "unknown recipient",
            "recipient unknown",
            "address unknown",
            "unknown address",
            "unknown mailbox",
            "mailbox unknown",
            "unknown virtual user",
            "unknown or invalid",
            "invalid or unknown",
            "mailbox not found",
            "mailbox does not",
            "user not found",
            "recipient not found",
            "recipientnotfound",
            "address not found",
            "account not found",
            "couldn't be found",
            "could not be found",
            "cannot be found",
            "can't be found",
            "was not found",
            "not found in",
            "not listed in",
            "no mailbox",
            "no mail box",
            "invalid recipient",
            "invalid address",
            "invalid mailbox",
            "invalid user",
            "invalid email",
            "not a valid",
            "no longer valid",
            "no longer in use",
            "no longer exists",
            "no longer accepts",
            "no longer with",
            "no longer employed",
            "not a known user",
            "nonexistent",
            "non-existent",
            "non existent",
            "bad recipient",
            "bad destination",
            "bad address",
            "undeliverable address",
            "address does not",
            "not our customer",
            "no account",
            "doesn't have a",
            "does not have a",
            "isn't in my list of allowed rcpthosts",
            "unable to locate",
            "unbekannt",
            "inconnu",
            "existiert nicht",
            "no existe",
            "inexistente",
            "non esiste",
            "sconosciuto",
            "onbekend",
        ],
    ),
    (
        BounceReason::Expired,
        Kind::Plain,
        &[
            "queue too long",
            "too long in queue",
            "too long in the queue",
            "delivery time expired",
            "message expired",
            "retry timeout exceeded",
            "retry time not reached",
            "gave up",
            "giving up after",
            "could not be delivered for",
            "couldn't be delivered for",
            "has not been delivered for",
            "message timed out",
            "maximum time",
            "after multiple retries",
            "for more than",
            "expired after",
            "queue lifetime",
            "not delivered within",
            "could not be delivered within",
        ],
    ),
    (
        BounceReason::Policy,
        Kind::Plain,
        &[
            "policy",
            "not allowed",
            "not permitted",
            "permission",
            "prohibited",
            "prohibition",
            "restricted",
            "relay",
            "blocked",
            "message size",
            "too large",
            "too big",
            "exceeds the maximum",
            "size limit",
            "reverse dns",
            "ptr record",
            "helo",
            "tls",
            "encryption",
            "moderat",
        ],
    ),
    (
        BounceReason::UserUnknown,
        Kind::Plain,
        &[
            "does not like recipient",
            "recipient address rejected",
            "address rejected",
            "recipient rejected",
            "rejected: recipient",
            "mailbox unavailable",
            "mailbox not available",
            "no valid recipients",
            "not a local address",
        ],
    ),
    (
        BounceReason::Temporary,
        Kind::Plain,
        &[
            "temporar",
            "try again",
            "try later",
            "retry later",
            "deferred",
            "timed out",
            "timeout",
            "connection refused",
            "connection reset",
            "connection lost",
            "connection dropped",
            "no route to host",
            "network",
            "service unavailable",
            "service not available",
            "too busy",
            "server busy",
            "resources",
            "local error",
            "not reachable",
            "unreachable",
            "not responding",
        ],
    ),
    (
        BounceReason::Policy,
        Kind::Plain,
        &["denied", "rejected", "refused", "not accepted", "declined"],
    ),
];

/// The reason the first matching table gives, the kind of that table and
/// where in `lower` its phrase is.
fn match_text(lower: &str) -> Option<(BounceReason, Kind, usize)> {
    for (reason, kind, phrases) in RULES {
        if let Some(at) = phrases.iter().filter_map(|p| lower.find(p)).min() {
            return Some((*reason, *kind, at));
        }
    }
    None
}

/// The reason an RFC 3463 status names when no text does.
fn status_reason(status: &str) -> Option<BounceReason> {
    let mut parts = status.split('.');
    let class = parts.next()?;
    let subject = parts.next()?;
    let detail = parts.next()?;
    Some(match (class, subject, detail) {
        ("2", _, _) => return None,
        (_, "1", "0" | "1" | "3" | "6") => BounceReason::UserUnknown,
        (_, "1", "2") => BounceReason::HostUnknown,
        (_, "2", "1") => BounceReason::Suspended,
        (_, "2", "2") | (_, "3", "1") => BounceReason::MailboxFull,
        (_, "2", "3") | (_, "3", "4") => BounceReason::Policy,
        (_, "4", "4") => BounceReason::HostUnknown,
        (_, "4", "7") => BounceReason::Expired,
        (_, "7", "23" | "24" | "25" | "26" | "27") => BounceReason::AuthFailure,
        (_, "7", "28") => BounceReason::RateLimited,
        (_, "7", _) | (_, "6", _) => BounceReason::Policy,
        ("4", _, _) => BounceReason::Temporary,
        _ => BounceReason::Other,
    })
}

/// What is known of the whole report when the recipient's own text decides
/// nothing.
#[derive(Clone, Copy)]
pub enum Fallback<'a> {
    /// The report's own words (tried after the status).
    Report(&'a str),
    None,
}

/// The verdict and reason for one recipient, and the text it was read from.
#[derive(Debug, Clone)]
pub struct Decision {
    pub verdict: BounceVerdict,
    pub reason: BounceReason,
    /// The diagnostic (collapsed) the reason was read from, if text decided.
    pub line: Option<String>,
}

fn verdict_of(reason: BounceReason) -> BounceVerdict {
    match reason {
        BounceReason::UserUnknown | BounceReason::HostUnknown | BounceReason::Other => {
            BounceVerdict::Hard
        }
        _ => BounceVerdict::Soft,
    }
}

/// The line of `text` around byte `at`: what the decision was read from.
fn line_around(text: &str, at: usize) -> String {
    let at = at.min(text.len());
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    collapse(&text[start..end])
}

/// Decides one recipient: a report that is no failure (`Action: delayed`,
/// `delivered`…) is no bounce; else the first of `texts` whose words a
/// table names decides, then the status, then the report's words, then
/// the status class (`5` hard, `4` soft).
pub fn decide(
    status: Option<&str>,
    action: Option<&str>,
    texts: &[&str],
    fallback: Fallback<'_>,
) -> Decision {
    let action = action.map(|a| a.trim().to_ascii_lowercase());
    let no_failure = matches!(
        action.as_deref(),
        Some("delayed" | "relayed" | "delivered" | "expanded")
    ) || status.is_some_and(|s| s.starts_with('2'));
    if no_failure {
        let line = texts.iter().map(|t| collapse(t)).find(|t| !t.is_empty());
        return Decision {
            verdict: BounceVerdict::NotABounce,
            reason: BounceReason::Other,
            line,
        };
    }
    let class = status
        .and_then(|s| s.bytes().next())
        .or_else(|| texts.iter().find_map(|t| find_reply_class(t)));
    let finish = |reason: BounceReason, kind: Kind, line: Option<String>| {
        // A failed report of a temporary error: the system gave up.
        let reason = if reason == BounceReason::Temporary
            && kind != Kind::Moment
            && (class == Some(b'4') || action.as_deref() == Some("failed"))
        {
            BounceReason::Expired
        } else {
            reason
        };
        Decision {
            verdict: verdict_of(reason),
            reason,
            line,
        }
    };
    for text in texts {
        let lower = text.to_ascii_lowercase();
        if let Some((reason, kind, at)) = match_text(&lower) {
            return finish(reason, kind, Some(line_around(text, at)));
        }
    }
    if let Some(reason) = status.and_then(status_reason)
        && reason != BounceReason::Other
    {
        return finish(reason, Kind::Plain, None);
    }
    if let Fallback::Report(report) = fallback {
        let lower = report.to_ascii_lowercase();
        if let Some((reason, kind, at)) = match_text(&lower) {
            return finish(reason, kind, Some(line_around(report, at)));
        }
    }
    let class = class.or_else(|| match fallback {
        Fallback::Report(r) => find_reply_class(r),
        Fallback::None => None,
    });
    let reason = match class {
        Some(b'4') => BounceReason::Temporary,
        _ => BounceReason::Other,
    };
    Decision {
        verdict: verdict_of(reason),
        reason,
        line: None,
    }
}

// ------------------------------------------------------------- Amazon SES

/// What an Amazon SES notification says.
#[derive(Debug, Clone, PartialEq)]
pub enum SesNotice {
    /// A bounce, a delivery delay, or a delivery (each recipient then
    /// `not_a_bounce`).
    Bounce(Bounce),
    /// A recipient marked the email as spam.
    Complaint {
        recipients: Vec<String>,
        message_ids: Vec<String>,
    },
}

/// Whether a JSON value is an Amazon SES notification (or an SNS envelope
/// around one).
pub fn is_ses(value: &Value) -> bool {
    ses_body(value).is_some()
}

/// The notification itself: SES's own object, or the `Message` string of
/// an SNS envelope.
fn ses_body(value: &Value) -> Option<Value> {
    let kind = value
        .get("notificationType")
        .or_else(|| value.get("eventType"))
        .and_then(Value::as_str);
    if kind.is_some() && value.get("mail").is_some() {
        return Some(value.clone());
    }
    if value.get("Type").and_then(Value::as_str) == Some("Notification")
        && let Some(text) = value.get("Message").and_then(Value::as_str)
        && let Ok(inner) = serde_json::from_str::<Value>(text)
    {
        return ses_body(&inner);
    }
    None
}

/// The time an SES notification gives (its bounce, complaint or delivery
/// timestamp, else the email's).
pub fn ses_timestamp(value: &Value) -> Option<String> {
    let body = ses_body(value)?;
    ["bounce", "complaint", "delivery", "deliveryDelay", "mail"]
        .iter()
        .find_map(|k| body.get(k)?.get("timestamp")?.as_str().map(str::to_string))
}

/// Reads an Amazon SES bounce, complaint, delivery or delay notification.
pub fn classify_ses(value: &Value) -> Option<SesNotice> {
    let body = ses_body(value)?;
    let kind = body
        .get("notificationType")
        .or_else(|| body.get("eventType"))
        .and_then(Value::as_str)?
        .to_ascii_lowercase();
    let mail = body.get("mail");
    let mut message_ids: Vec<String> = Vec::new();
    if let Some(mail) = mail {
        let common = mail
            .get("commonHeaders")
            .and_then(|h| h.get("messageId"))
            .and_then(Value::as_str);
        let header = mail
            .get("headers")
            .and_then(Value::as_array)
            .and_then(|list| {
                list.iter().find(|h| {
                    h.get("name")
                        .and_then(Value::as_str)
                        .is_some_and(|n| n.eq_ignore_ascii_case("message-id"))
                })
            })
            .and_then(|h| h.get("value"))
            .and_then(Value::as_str);
        for id in [common, header].into_iter().flatten() {
            let id = bracketed(id);
            if id.contains('@') && !message_ids.contains(&id) {
                message_ids.push(id);
            }
        }
    }
    let str_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    match kind.as_str() {
        "bounce" => {
            let bounce = body.get("bounce")?;
            let bounce_type = str_of(bounce, "bounceType")
                .unwrap_or_default()
                .to_ascii_lowercase();
            let sub_type = str_of(bounce, "bounceSubType")
                .unwrap_or_default()
                .to_ascii_lowercase();
            let mut recipients = Vec::new();
            for r in bounce
                .get("bouncedRecipients")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let address = str_of(r, "emailAddress").map(|a| {
                    addresses_in(&a)
                        .into_iter()
                        .next()
                        .map(|x| x.2)
                        .unwrap_or_else(|| a.trim().to_ascii_lowercase())
                });
                let status = str_of(r, "status").and_then(|s| find_status(&s));
                let diagnostic = str_of(r, "diagnosticCode").map(|d| match d.split_once(';') {
                    Some((kind, rest)) if !kind.contains(' ') => rest.trim().to_string(),
                    _ => d.trim().to_string(),
                });
                let action = str_of(r, "action");
                let decision = decide(
                    status.as_deref(),
                    action.as_deref(),
                    &[diagnostic.as_deref().unwrap_or("")],
                    Fallback::None,
                );
                let (verdict, reason) =
                    if decision.line.is_some() || decision.verdict == BounceVerdict::NotABounce {
                        (decision.verdict, decision.reason)
                    } else {
                        ses_type_reason(&bounce_type, &sub_type, status.as_deref())
                    };
                recipients.push(BounceRecipient {
                    address,
                    verdict,
                    reason,
                    diagnostic: diagnostic
                        .map(|d| collapse(&d))
                        .unwrap_or_else(|| format!("SES {bounce_type}/{sub_type}")),
                    status,
                });
            }
            if recipients.is_empty() {
                let (verdict, reason) = ses_type_reason(&bounce_type, &sub_type, None);
                recipients.push(BounceRecipient {
                    address: None,
                    verdict,
                    reason,
                    status: None,
                    diagnostic: format!("SES {bounce_type}/{sub_type}"),
                });
            }
            Some(SesNotice::Bounce(Bounce {
                recipients,
                message_ids,
            }))
        }
        "complaint" => {
            let recipients = body
                .get("complaint")
                .and_then(|c| c.get("complainedRecipients"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|r| str_of(r, "emailAddress"))
                .filter_map(|a| addresses_in(&a).into_iter().next().map(|x| x.2))
                .collect();
            Some(SesNotice::Complaint {
                recipients,
                message_ids,
            })
        }
        "delivery" | "deliverydelay" => {
            let (field, list) = if kind == "delivery" {
                ("delivery", "recipients")
            } else {
                ("deliveryDelay", "delayedRecipients")
            };
            let section = body.get(field);
            let recipients = section
                .and_then(|s| s.get(list))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|r| {
                    r.as_str()
                        .map(str::to_string)
                        .or_else(|| str_of(r, "emailAddress"))
                })
                .filter_map(|a| addresses_in(&a).into_iter().next().map(|x| x.2))
                .map(|address| BounceRecipient {
                    address: Some(address),
                    verdict: BounceVerdict::NotABounce,
                    reason: BounceReason::Other,
                    status: None,
                    diagnostic: if kind == "delivery" {
                        "delivered".into()
                    } else {
                        "delivery delayed".into()
                    },
                })
                .collect();
            Some(SesNotice::Bounce(Bounce {
                recipients,
                message_ids,
            }))
        }
        _ => None,
    }
}

/// SES's own bounce type when the diagnostic says nothing more.
fn ses_type_reason(
    bounce_type: &str,
    sub_type: &str,
    status: Option<&str>,
) -> (BounceVerdict, BounceReason) {
    let reason = match sub_type {
        "mailboxfull" => BounceReason::MailboxFull,
        "messagetoolarge" | "attachmentrejected" => BounceReason::Policy,
        "contentrejected" => BounceReason::Spam,
        "noemail" => BounceReason::UserUnknown,
        "suppressed" | "onaccountsuppressionlist" => BounceReason::UserUnknown,
        _ => match bounce_type {
            "permanent" => status
                .and_then(status_reason)
                .filter(|r| matches!(r, BounceReason::UserUnknown | BounceReason::HostUnknown))
                .unwrap_or(BounceReason::UserUnknown),
            _ => status
                .and_then(status_reason)
                .filter(|r| verdict_of(*r) == BounceVerdict::Soft)
                .unwrap_or(BounceReason::Temporary),
        },
    };
    (verdict_of(reason), reason)
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
        let d = decide(
            Some("5.2.2"),
            Some("failed"),
            &["552 mailbox full"],
            Fallback::None,
        );
        assert_eq!(
            (d.verdict, d.reason),
            (BounceVerdict::Soft, BounceReason::MailboxFull)
        );
        let d = decide(
            Some("4.0.0"),
            Some("failed"),
            &["450 user unknown"],
            Fallback::None,
        );
        assert_eq!(
            (d.verdict, d.reason),
            (BounceVerdict::Hard, BounceReason::UserUnknown)
        );
        let d = decide(
            Some("5.0.0"),
            Some("failed"),
            &["greylisted, try again later"],
            Fallback::None,
        );
        assert_eq!(
            (d.verdict, d.reason),
            (BounceVerdict::Soft, BounceReason::Temporary)
        );
        let d = decide(
            Some("4.4.7"),
            Some("delayed"),
            &["user unknown"],
            Fallback::None,
        );
        assert_eq!(d.verdict, BounceVerdict::NotABounce);
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
