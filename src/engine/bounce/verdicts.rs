//! From a recipient's texts and status to a reason and a verdict: the
//! table of diagnostic phrases and the order they are tried in.

use super::*;

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
pub(super) fn find_reply_class(text: &str) -> Option<u8> {
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
pub(super) enum Kind {
    /// Greylisting, a loop, a full system: the moment, never "gave up".
    Moment,
    Plain,
}

/// The diagnostic-text tables, in the order they are tried: the first table
/// with a phrase in the text gives the reason. Soft causes come before the
/// words of unknown users because their texts often say "rejected" or
/// "recipient" too; the vaguest words come last.
pub(super) const RULES: &[(BounceReason, Kind, &[&str])] = &[
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
pub(super) fn match_text(lower: &str) -> Option<(BounceReason, Kind, usize)> {
    for (reason, kind, phrases) in RULES {
        if let Some(at) = phrases.iter().filter_map(|p| lower.find(p)).min() {
            return Some((*reason, *kind, at));
        }
    }
    None
}

/// The reason an RFC 3463 status names when no text does.
pub(super) fn status_reason(status: &str) -> Option<BounceReason> {
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

pub(super) fn verdict_of(reason: BounceReason) -> BounceVerdict {
    match reason {
        BounceReason::UserUnknown | BounceReason::HostUnknown | BounceReason::Other => {
            BounceVerdict::Hard
        }
        _ => BounceVerdict::Soft,
    }
}

/// The line of `text` around byte `at`: what the decision was read from.
pub(super) fn line_around(text: &str, at: usize) -> String {
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
