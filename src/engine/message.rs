//! Rendering a due step: the email it becomes (an RFC 5322 message with
//! its Message-ID, List-Unsubscribe and merge fields filled) or the task
//! it makes. Pure but for the random part of a Message-ID; the outbox
//! ([`super::outbox`]) journals and delivers what this returns.

use crate::domain::*;

/// Where an email's List-Unsubscribe header points (R19): the rules'
/// `[unsubscribe] domain` (else the sender's domain) for the mailto
/// address, and `[unsubscribe] url` for the one-click HTTPS form.
#[derive(Debug, Clone, Default)]
pub struct UnsubscribeTo {
    pub domain: Option<String>,
    pub url: Option<String>,
}

impl UnsubscribeTo {
    pub fn from_rules(rules: &Rules) -> UnsubscribeTo {
        UnsubscribeTo {
            domain: rules.unsubscribe_domain.clone(),
            url: rules.unsubscribe_url.clone(),
        }
    }

    /// `mailto:unsubscribe+TOKEN@DOMAIN`.
    pub fn mailto(&self, token: &str, sender: &str) -> String {
        let domain = self.domain.as_deref().unwrap_or_else(|| domain_of(sender));
        format!(
            "mailto:{}{token}@{domain}",
            crate::domain::UNSUBSCRIBE_LOCAL_PREFIX
        )
    }

    /// The HTTPS one-click URL, when one is configured.
    pub fn https(&self, token: &str) -> Option<String> {
        self.url.as_deref().map(|url| {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}token={token}")
        })
    }

    /// What `{{unsubscribe_url}}` renders: the HTTPS URL when configured,
    /// else the mailto URL.
    pub fn for_body(&self, token: &str, sender: &str) -> String {
        self.https(token)
            .unwrap_or_else(|| self.mailto(token, sender))
    }
}

/// The merge fields of a template.
pub struct Merge<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub company: &'a str,
    pub sender_name: &'a str,
    pub unsubscribe_url: &'a str,
}

/// Replaces `{{field}}` with its value. Templates are checked when a
/// sequence is saved (`check_merge_fields`); a field unknown here anyway is
/// left as written rather than silently blanked.
pub fn render(template: &str, merge: &Merge<'_>) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let value = match after[..end].trim() {
            "first_name" => Some(merge.first_name),
            "last_name" => Some(merge.last_name),
            "company" => Some(merge.company),
            "sender_name" => Some(merge.sender_name),
            "unsubscribe_url" => Some(merge.unsubscribe_url),
            _ => None,
        };
        match value {
            Some(v) => out.push_str(v),
            None => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A header text, RFC 2047-encoded when it is not plain ASCII.
/// A header's text on one line: a control character (a line break in a
/// subject template or a contact's name) becomes a space, so words stay
/// apart and no header can be added, and the spaces around it become one.
fn one_line(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    let spaced: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn header_text(text: &str) -> String {
    let clean = one_line(text);
    if clean.is_ascii() {
        clean
    } else {
        // Encoded words of at most ~45 bytes of text each, split on chars.
        let mut words = Vec::new();
        let mut chunk = String::new();
        for c in clean.chars() {
            if chunk.len() + c.len_utf8() > 45 {
                words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
                chunk.clear();
            }
            chunk.push(c);
        }
        if !chunk.is_empty() {
            words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
        }
        words.join("\r\n ")
    }
}

/// `"Display Name" <address>`, the name encoded or quoted as needed.
fn mailbox(name: &str, address: &str) -> String {
    let name = name.trim();
    if name.is_empty() {
        return format!("<{address}>");
    }
    if !name.is_ascii() {
        return format!("{} <{address}>", header_text(name));
    }
    let escaped: String = one_line(name)
        .chars()
        .flat_map(|c| match c {
            '"' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("\"{escaped}\" <{address}>")
}

fn domain_of(address: &str) -> &str {
    address
        .rsplit_once('@')
        .map(|(_, d)| d)
        .filter(|d| !d.is_empty())
        .unwrap_or("seqtui.invalid")
}

/// 128 bits from the operating system's random source (a CSPRNG), as 32
/// hex digits.
fn random_part() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| {
        DomainError::Storage(format!(
            "cannot draw the random part of a Message-ID from the operating system: {e}"
        ))
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A new Message-ID: `<seqtui.<128 random bits>.<workspace id>@<sender's
/// domain>>`. The random part is what makes it unguessable (R6): knowing
/// one recipient's Message-ID says nothing of another's, so nobody can
/// end an enrollment by replying to a thread they were never on. It is
/// drawn when the step is rendered and stored with the sent email and the
/// journaled message in one transaction, before the file is delivered;
/// a delivery redone after a crash sends those stored bytes, so the ID a
/// recipient sees is the one on record. Matching a reply is by the stored
/// ID, never by parsing it, so IDs of the older form keep working.
pub fn message_id(workspace_id: &str, sender: &str) -> Result<String> {
    Ok(format!(
        "<seqtui.{}.{workspace_id}@{}>",
        random_part()?,
        domain_of(sender)
    ))
}

/// The outbox file name of a scheduled step (no `:` or `/`, as Maildir wants).
pub fn file_name(workspace_id: &str, scheduled_step_id: i64) -> String {
    format!("seqtui-{workspace_id}-{scheduled_step_id}")
}

/// Executes one due step in memory: the email or the task it makes. Fails
/// only when no random Message-ID (or unsubscribe token) can be drawn.
pub fn execute(
    step: &DueStep,
    workspace_id: &str,
    now: Timestamp,
    unsubscribe: &UnsubscribeTo,
) -> Result<ExecutedStep> {
    let is_email = step.kind == StepKind::AutoEmail.as_str();
    // The enrollment's token, or a new one (128 random bits) that the
    // claim gives it (`Workspace::record_executed`).
    let token = match &step.unsubscribe_token {
        Some(t) => t.clone(),
        None if is_email => random_part()?,
        None => String::new(),
    };
    let unsubscribe_url = unsubscribe.for_body(&token, &step.sender_email);
    let merge = Merge {
        first_name: &step.first_name,
        last_name: &step.last_name,
        company: &step.company,
        sender_name: &step.sender_name,
        unsubscribe_url: &unsubscribe_url,
    };
    let contact_name = full_name(&step.first_name, &step.last_name, &step.contact_email);
    let kind: StepKind = step.kind.parse().unwrap_or(StepKind::Task);
    let output = match kind {
        StepKind::AutoEmail => {
            // What is recorded is what is sent: one line.
            let mut subject = one_line(render(&step.subject, &merge).trim());
            if subject.is_empty() {
                subject = match &step.first_subject {
                    Some(first) if first.to_ascii_lowercase().starts_with("re:") => first.clone(),
                    Some(first) => format!("Re: {first}"),
                    None => format!("A note for {contact_name}"),
                };
            }
            let body = render(&step.body, &merge);
            let id = message_id(workspace_id, &step.sender_email)?;
            let thread_id = step
                .earlier_messages
                .first()
                .cloned()
                .unwrap_or_else(|| id.clone());
            let list_unsubscribe = ListUnsubscribe {
                mailto: unsubscribe.mailto(&token, &step.sender_email),
                https: unsubscribe.https(&token),
            };
            let message = compose(
                step,
                &contact_name,
                &subject,
                &body,
                &id,
                now,
                &list_unsubscribe,
            );
            StepOutput::Email {
                message_id: id,
                thread_id,
                subject,
                file_name: file_name(workspace_id, step.scheduled_step_id),
                message,
                unsubscribe_token: token,
            }
        }
        StepKind::Call | StepKind::ManualEmail | StepKind::Task => {
            let mut title = render(&step.title, &merge).trim().to_string();
            if title.is_empty() {
                title = match kind {
                    StepKind::Call => format!("Call {contact_name}"),
                    StepKind::ManualEmail => {
                        let subject = render(&step.subject, &merge);
                        format!("Email {contact_name}: {}", subject.trim())
                    }
                    _ => format!("Follow up with {contact_name}"),
                };
            }
            StepOutput::Task { title }
        }
    };
    Ok(ExecutedStep {
        step: step.clone(),
        output,
    })
}

/// An email's List-Unsubscribe targets.
struct ListUnsubscribe {
    mailto: String,
    https: Option<String>,
}

/// The RFC 5322 message of an automatic email, CRLF line ends.
fn compose(
    step: &DueStep,
    contact_name: &str,
    subject: &str,
    body: &str,
    id: &str,
    now: Timestamp,
    unsubscribe: &ListUnsubscribe,
) -> Vec<u8> {
    let mut m = String::with_capacity(body.len() + 600);
    let mut header = |name: &str, value: &str| {
        m.push_str(name);
        m.push_str(": ");
        m.push_str(value);
        m.push_str("\r\n");
    };
    header("From", &mailbox(&step.sender_name, &step.sender_email));
    header("To", &mailbox(contact_name, &step.contact_email));
    header("Subject", &header_text(subject));
    header(
        "Date",
        &now.format("%a, %d %b %Y %H:%M:%S +0000").to_string(),
    );
    header("Message-ID", id);
    // Follow-ups thread onto the first email of the enrollment.
    if let Some(first) = step.earlier_messages.first() {
        header("In-Reply-To", first);
        header("References", &step.earlier_messages.join("\r\n "));
    }
    // R19, RFC 2369 and RFC 8058: the HTTPS form first (what one-click
    // mail providers use), then the mailto form.
    match &unsubscribe.https {
        Some(https) => {
            header(
                "List-Unsubscribe",
                &format!("<{https}>,\r\n <{}>", unsubscribe.mailto),
            );
            header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
        }
        None => header("List-Unsubscribe", &format!("<{}>", unsubscribe.mailto)),
    }
    header("MIME-Version", "1.0");
    header("X-Seqtui-Enrollment", &step.enrollment_id.to_string());
    header("X-Seqtui-Sequence", &header_text(&step.sequence));
    let normalized = body.replace("\r\n", "\n");
    let plain = normalized.is_ascii() && normalized.lines().all(|l| l.len() <= 900);
    if plain {
        header("Content-Type", "text/plain; charset=utf-8");
        header("Content-Transfer-Encoding", "7bit");
        m.push_str("\r\n");
        for line in normalized.lines() {
            m.push_str(line);
            m.push_str("\r\n");
        }
    } else {
        header("Content-Type", "text/plain; charset=utf-8");
        header("Content-Transfer-Encoding", "base64");
        m.push_str("\r\n");
        let encoded = base64(normalized.replace('\n', "\r\n").as_bytes());
        for chunk in encoded.as_bytes().chunks(76) {
            m.push_str(std::str::from_utf8(chunk).unwrap_or_default());
            m.push_str("\r\n");
        }
    }
    m.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line break in a subject or a name keeps the words apart and adds
    /// no header (it was dropped: "EveBcc: …" in one word).
    #[test]
    fn a_line_break_in_a_header_is_a_space_and_adds_no_header() {
        assert_eq!(
            header_text("Hi\r\nBcc: x@evil.example"),
            "Hi Bcc: x@evil.example"
        );
        assert_eq!(one_line("two  spaces stay"), "two  spaces stay");
        let from = mailbox("Eve\r\nBcc: x@evil.example", "eve@acme.example");
        assert!(!from.contains('\r') && !from.contains('\n'), "{from:?}");
        assert!(from.contains("Eve Bcc: x@evil.example"), "{from:?}");
        // Encoded words fold with CRLF and a space; no other line break.
        let unicode = header_text("Zoë\nBcc: x");
        let unfolded = unicode.replace("\r\n ", " ");
        assert!(!unfolded.contains(['\r', '\n']), "{unicode:?}");
        assert!(unfolded.starts_with("=?UTF-8?B?"), "{unicode:?}");
    }
}
