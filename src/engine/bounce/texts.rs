//! The human texts of a bounce, the Message-IDs it returns, the
//! addresses in it, and the recipient blocks of plain-text reports.

use super::*;

// ------------------------------------------------------------------ texts

/// The human-readable parts of a message (not those of a message nested in
/// it): text parts, HTML turned to text. A part holding the returned
/// headers is no human text.
pub(super) fn human_texts(message: &Message<'_>) -> Vec<String> {
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
pub(super) const ORIGINAL_MARKERS: &[&str] = &[
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
pub(super) fn head_of(text: &str) -> &str {
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
pub(super) fn bracketed(id: &str) -> String {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>');
    format!("<{}>", id.trim())
}

/// The Message-IDs of the returned email: a `message/rfc822` part, a
/// `text/rfc822-headers` part, or `Message-ID:` lines of a plain report
/// that quotes the returned message.
pub(super) fn returned_ids(message: &Message<'_>, texts: &[String]) -> Vec<String> {
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
pub(super) fn message_id_lines(text: &str) -> Vec<String> {
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
pub(super) fn collapse(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match joined.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &joined[..i]),
        None => joined,
    }
}

// -------------------------------------------------------------- addresses

pub(super) fn is_local_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"._%+-=!#$&'*/?^`{|}~".contains(&b)
}

pub(super) fn is_domain_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'.' || b == b'-'
}

/// Every email address in `text`: (start, end, lower-cased address).
pub(super) fn addresses_in(text: &str) -> Vec<(usize, usize, String)> {
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
pub(super) fn leading_address(s: &str) -> Option<(String, &str)> {
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
pub(super) struct Exclusions {
    addresses: Vec<String>,
}

impl Exclusions {
    pub(super) fn of(message: &Message<'_>) -> Self {
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
pub(super) const RECIPIENT_LABELS: &[&str] = &[
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
pub(super) const HEADER_LABELS: &[&str] = &[
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
pub(super) fn recipient_line(line: &str) -> Option<(String, String)> {
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
pub(super) struct Block {
    pub(super) address: String,
    pub(super) near: String,
    pub(super) full: String,
    pub(super) near_done: bool,
}

/// The recipients of the returned email (its `To` and `Cc`): from a
/// `message/rfc822` part, a `text/rfc822-headers` part, or the header
/// lines quoted after a report's words.
pub(super) fn returned_recipients(message: &Message<'_>, heads: &[&str]) -> Vec<String> {
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
pub(super) fn quoted_to(text: &str, push: &mut dyn FnMut(String)) {
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
pub(super) fn plain_blocks(heads: &[&str], exclude: &Exclusions) -> Vec<Block> {
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
pub(super) fn sentence_blocks(heads: &[&str], exclude: &Exclusions) -> Vec<Block> {
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
pub(super) const DELAY_PHRASES: &[&str] = &[
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
pub(super) fn plain_bounce(
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
