//! Reading what comes back: `.eml` files, mbox files, Maildir folders,
//! `.ics` files and JSON Lines, told apart by their content. Each input
//! item becomes an [`InboundEvent`] (or the reason it could not be read);
//! deciding what it means for enrollments is the domain's job.

use std::io::BufReader;
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use mail_parser::{Message, MessageParser, MimeHeaders, PartType};
use serde::Deserialize;

use super::{autoreply, stable_hash};
use crate::domain::*;

/// One item of an input: where it came from and what it is.
#[derive(Debug)]
pub struct InputItem {
    /// The file, with `#n` for the n-th message of an mbox or line of a
    /// JSON Lines file.
    pub source: String,
    pub event: Result<InboundEvent, String>,
}

fn item(source: String, event: Result<InboundEvent, String>) -> InputItem {
    InputItem { source, event }
}

/// What a file is, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Mbox,
    Calendar,
    JsonLines,
    Message,
}

fn sniff(bytes: &[u8]) -> Option<Shape> {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    let start = text.trim_start_matches('\u{feff}').trim_start();
    if start.starts_with("From ") {
        Some(Shape::Mbox)
    } else if start.to_ascii_uppercase().starts_with("BEGIN:VCALENDAR") {
        Some(Shape::Calendar)
    } else if start.starts_with('{') {
        Some(Shape::JsonLines)
    } else {
        // A message starts with a header field: `Name: value`.
        let first = start.lines().next().unwrap_or_default();
        let is_header = first.split_once(':').is_some_and(|(name, _)| {
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && b != b':')
        });
        is_header.then_some(Shape::Message)
    }
}

/// Reads every item of `path` (a file or a Maildir / folder), in a stable
/// order. An unreadable file is one item with its reason.
pub fn read_path(path: &Path, now: Timestamp) -> Vec<InputItem> {
    let shown = path.display().to_string();
    if path.is_dir() {
        let mut items = Vec::new();
        let maildir = ["cur", "new"].iter().any(|s| path.join(s).is_dir());
        let dirs: Vec<PathBuf> = if maildir {
            ["new", "cur"].iter().map(|s| path.join(s)).collect()
        } else {
            vec![path.to_path_buf()]
        };
        for dir in dirs {
            let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
                Ok(entries) => entries.flatten().map(|e| e.path()).collect(),
                Err(e) if maildir && e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    items.push(item(
                        dir.display().to_string(),
                        Err(format!("cannot read: {e}")),
                    ));
                    continue;
                }
            };
            files.sort();
            for file in files {
                let hidden = file
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'));
                if hidden {
                    continue;
                }
                if maildir {
                    items.push(read_message_file(&file, now));
                } else {
                    items.extend(read_path(&file, now));
                }
            }
        }
        return items;
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return vec![item(shown, Err(format!("cannot read: {e}")))],
    };
    match sniff(&bytes) {
        Some(Shape::Mbox) => read_mbox(path, bytes, now),
        Some(Shape::Calendar) => vec![item(
            shown,
            parse_calendar(&String::from_utf8_lossy(&bytes), now),
        )],
        Some(Shape::JsonLines) => read_json_lines(&shown, &bytes, now),
        Some(Shape::Message) => vec![item(shown, parse_message(&bytes, now))],
        None => vec![item(
            shown,
            Err("not an email, mbox, Maildir, iCalendar or JSON Lines file".into()),
        )],
    }
}

fn read_message_file(path: &Path, now: Timestamp) -> InputItem {
    let shown = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => item(shown, parse_message(&bytes, now)),
        Err(e) => item(shown, Err(format!("cannot read: {e}"))),
    }
}

fn read_mbox(path: &Path, bytes: Vec<u8>, now: Timestamp) -> Vec<InputItem> {
    let shown = path.display().to_string();
    let reader = BufReader::new(std::io::Cursor::new(bytes));
    mail_parser::mailbox::mbox::MessageIterator::new(reader)
        .enumerate()
        .map(|(i, message)| {
            let source = format!("{shown}#{}", i + 1);
            match message {
                Ok(m) => item(source, parse_message(m.contents(), now)),
                Err(_) => item(source, Err("damaged mbox entry".into())),
            }
        })
        .collect()
}

// ----------------------------------------------------------------- email

fn to_utc(date: &mail_parser::DateTime) -> Option<Timestamp> {
    Utc.timestamp_opt(date.to_timestamp(), 0).single()
}

/// `<id>` with its angle brackets, the form `sent_emails` keeps.
fn bracketed(id: &str) -> String {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>');
    format!("<{id}>")
}

fn id_list(value: &mail_parser::HeaderValue<'_>) -> Vec<String> {
    match value {
        mail_parser::HeaderValue::Text(t) => vec![bracketed(t)],
        mail_parser::HeaderValue::TextList(list) => list.iter().map(|t| bracketed(t)).collect(),
        _ => Vec::new(),
    }
}

fn raw_header(message: &Message<'_>, name: &str) -> Option<String> {
    message
        .headers_raw()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_string())
}

fn content_type_is(part: &mail_parser::MessagePart<'_>, ctype: &str, subtype: &str) -> bool {
    part.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case(ctype)
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case(subtype))
    })
}

/// One email: a delivery status notification (bounce), a calendar
/// invitation, an automatic reply or a reply.
pub fn parse_message(bytes: &[u8], now: Timestamp) -> Result<InboundEvent, String> {
    let message = MessageParser::default()
        .parse(bytes)
        .filter(|m| !m.headers().is_empty())
        .ok_or_else(|| "not an email message (no header fields)".to_string())?;
    let at = message.date().and_then(to_utc).unwrap_or(now);
    let id = message
        .message_id()
        .map(bracketed)
        .unwrap_or_else(|| format!("sha:{:016x}", stable_hash(bytes)));
    let subject = message.subject().unwrap_or_default().trim().to_string();
    let from = message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(|a| a.trim().to_lowercase());

    if let Some(bounce) = delivery_status(&message) {
        return Ok(InboundEvent {
            id,
            at,
            inbound: bounce,
        });
    }
    for part in &message.parts {
        if content_type_is(part, "text", "calendar")
            && let Some(text) = part.text_contents()
            && let Ok(mut event) = parse_calendar(text, now)
        {
            // The invitation's own UID is the dedupe key, so the same
            // meeting sent as an email and as an .ics file counts once.
            if event.at == now {
                event.at = at;
            }
            return Ok(event);
        }
    }

    let from = from.ok_or_else(|| "the message has no From address".to_string())?;
    let mut references = id_list(message.in_reply_to());
    for r in id_list(message.references()) {
        if !references.contains(&r) {
            references.push(r);
        }
    }
    let header = |name: &str| raw_header(&message, name);
    if autoreply::detect(&header, &subject).is_some() {
        let body = message.body_text(0).unwrap_or_default();
        let text = format!("{subject}\n{body}");
        return Ok(InboundEvent {
            id,
            at,
            inbound: Inbound::AutoReply {
                from,
                references,
                subject,
                return_date: autoreply::return_date(&text, at.max(now)),
            },
        });
    }
    Ok(InboundEvent {
        id,
        at,
        inbound: Inbound::Reply {
            from,
            references,
            subject,
        },
    })
}

/// RFC 3464: `multipart/report; report-type=delivery-status`. The bounced
/// message is named by the Message-ID of the returned message or headers.
fn delivery_status(message: &Message<'_>) -> Option<Inbound> {
    let root = message.parts.first()?;
    let is_report = root.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && ct
                .attribute("report-type")
                .is_some_and(|t| t.eq_ignore_ascii_case("delivery-status"))
    });
    if !is_report {
        return None;
    }
    let mut recipient = None;
    let mut status = String::new();
    let mut action = String::new();
    let mut message_ids = Vec::new();
    for part in &message.parts {
        if content_type_is(part, "message", "delivery-status") {
            let text = String::from_utf8_lossy(part.contents()).into_owned();
            for line in text.lines() {
                let Some((name, value)) = line.split_once(':') else {
                    continue;
                };
                let value = value.trim();
                match name.trim().to_ascii_lowercase().as_str() {
                    "final-recipient" | "original-recipient" if recipient.is_none() => {
                        let address = value.rsplit(';').next().unwrap_or(value).trim();
                        recipient = Some(address.trim_matches(['<', '>']).to_lowercase());
                    }
                    "status" if status.is_empty() => status = value.to_string(),
                    "action" if action.is_empty() => action = value.to_ascii_lowercase(),
                    _ => {}
                }
            }
        } else if let PartType::Message(inner) = &part.body {
            message_ids.extend(inner.message_id().map(bracketed));
        } else if content_type_is(part, "text", "rfc822-headers")
            && let Some(headers) = MessageParser::default().parse(part.contents())
        {
            message_ids.extend(headers.message_id().map(bracketed));
        }
    }
    for r in id_list(message.in_reply_to())
        .into_iter()
        .chain(id_list(message.references()))
    {
        if !message_ids.contains(&r) {
            message_ids.push(r);
        }
    }
    let permanent = status.starts_with('5') || (status.is_empty() && action == "failed");
    Some(Inbound::Bounce {
        recipient,
        message_ids,
        permanent: permanent && action != "delayed",
        status: if status.is_empty() {
            action.clone()
        } else {
            status
        },
    })
}

// -------------------------------------------------------------- calendar

fn calendar_address(value: &str) -> String {
    let v = value.trim();
    let v = v
        .strip_prefix("mailto:")
        .or_else(|| v.strip_prefix("MAILTO:"))
        .unwrap_or(v);
    v.trim().to_lowercase()
}

fn calendar_time(value: &str) -> Option<Timestamp> {
    let v = value.trim();
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(v.trim_end_matches('Z'), "%Y%m%dT%H%M%S") {
        return Some(t.and_utc());
    }
    chrono::NaiveDate::parse_from_str(v, "%Y%m%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// An iCalendar file: a meeting REQUEST (or a published booking) with its
/// organizer and attendees. A CANCEL or a reply is not a booking.
pub fn parse_calendar(text: &str, now: Timestamp) -> Result<InboundEvent, String> {
    let unfolded = icalendar::parser::unfold(text);
    let calendar = icalendar::parser::read_calendar(&unfolded).map_err(|e| {
        format!(
            "not a valid iCalendar file: {}",
            e.lines().next().unwrap_or("")
        )
    })?;
    let method = calendar
        .properties
        .iter()
        .find(|p| p.name.as_str().eq_ignore_ascii_case("METHOD"))
        .map(|p| p.val.as_str().trim().to_ascii_uppercase())
        .unwrap_or_else(|| "PUBLISH".into());
    if !matches!(method.as_str(), "REQUEST" | "PUBLISH") {
        return Err(format!("a calendar {method}, not a booked meeting"));
    }
    let event = calendar
        .components
        .iter()
        .find(|c| c.name.as_str().eq_ignore_ascii_case("VEVENT"))
        .ok_or_else(|| "the calendar has no event".to_string())?;
    let prop = |name: &str| {
        event
            .properties
            .iter()
            .find(|p| p.name.as_str().eq_ignore_ascii_case(name))
    };
    if prop("STATUS").is_some_and(|p| p.val.as_str().eq_ignore_ascii_case("CANCELLED")) {
        return Err("a cancelled meeting, not a booking".into());
    }
    let organizer = prop("ORGANIZER")
        .map(|p| calendar_address(p.val.as_str()))
        .filter(|a| a.contains('@'))
        .ok_or_else(|| "the meeting has no ORGANIZER".to_string())?;
    let attendees: Vec<String> = event
        .properties
        .iter()
        .filter(|p| p.name.as_str().eq_ignore_ascii_case("ATTENDEE"))
        .map(|p| calendar_address(p.val.as_str()))
        .filter(|a| a.contains('@'))
        .collect();
    if attendees.is_empty() {
        return Err("the meeting has no ATTENDEE".into());
    }
    let uid = prop("UID")
        .map(|p| p.val.as_str().trim().to_string())
        .unwrap_or_else(|| format!("{:016x}", stable_hash(unfolded.as_bytes())));
    let at = prop("DTSTAMP")
        .and_then(|p| calendar_time(p.val.as_str()))
        .unwrap_or(now);
    let summary = prop("SUMMARY")
        .map(|p| p.val.as_str().replace("\\,", ",").replace("\\;", ";"))
        .unwrap_or_else(|| "meeting".into());
    Ok(InboundEvent {
        id: format!("ics:{uid}"),
        at,
        inbound: Inbound::Meeting {
            organizer,
            attendees,
            summary,
        },
    })
}

// ------------------------------------------------------------ JSON Lines

/// One line of a JSON Lines events file (see docs/engine.md).
#[derive(Debug, Deserialize)]
struct JsonEvent {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    at: Option<String>,
    #[serde(default)]
    message_id: Option<String>,
    #[serde(default)]
    in_reply_to: Option<String>,
    #[serde(default)]
    references: Option<serde_json::Value>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    organizer: Option<String>,
    #[serde(default)]
    attendees: Option<Vec<String>>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    permanent: Option<bool>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    auto: Option<bool>,
    #[serde(default)]
    return_date: Option<String>,
}

fn read_json_lines(shown: &str, bytes: &[u8], now: Timestamp) -> Vec<InputItem> {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            let source = format!("{shown}#{}", i + 1);
            item(source, parse_json_line(line, now))
        })
        .collect()
}

fn required(value: Option<String>, field: &str, kind: &str) -> Result<String, String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("a '{kind}' event needs \"{field}\""))
}

/// One JSON Lines event.
pub fn parse_json_line(line: &str, now: Timestamp) -> Result<InboundEvent, String> {
    let e: JsonEvent =
        serde_json::from_str(line.trim()).map_err(|err| format!("not a JSON event: {err}"))?;
    let at = match e.at.as_deref() {
        Some(t) => parse_instant(t).map_err(|err| err.to_string())?,
        None => now,
    };
    let email = e.email.as_deref().map(|s| s.trim().to_lowercase());
    let message_id = e.message_id.as_deref().map(bracketed);
    let kind = e.kind.trim().to_ascii_lowercase();
    let id =
        e.id.clone()
            .map(|i| format!("jsonl:{i}"))
            .unwrap_or_else(|| format!("jsonl:{:016x}", stable_hash(line.trim().as_bytes())));
    let mut references: Vec<String> = e
        .in_reply_to
        .as_deref()
        .map(bracketed)
        .into_iter()
        .collect();
    match &e.references {
        Some(serde_json::Value::String(s)) => {
            references.extend(s.split_whitespace().map(bracketed));
        }
        Some(serde_json::Value::Array(list)) => {
            references.extend(list.iter().filter_map(|v| v.as_str()).map(bracketed));
        }
        _ => {}
    }
    let inbound = match kind.as_str() {
        "reply" => {
            let from = required(email, "email", &kind)?;
            let subject = e.subject.unwrap_or_default();
            let auto = e.auto.unwrap_or(false) || autoreply::ooo_subject(&subject).is_some();
            if auto {
                let return_date = match e.return_date.as_deref() {
                    Some(t) => Some(parse_instant(t).map_err(|err| err.to_string())?),
                    None => None,
                };
                Inbound::AutoReply {
                    from,
                    references,
                    subject,
                    return_date,
                }
            } else {
                Inbound::Reply {
                    from,
                    references,
                    subject,
                }
            }
        }
        "meeting_booked" => {
            let organizer = required(e.organizer.map(|o| o.to_lowercase()), "organizer", &kind)?;
            let mut attendees: Vec<String> = email.into_iter().collect();
            attendees.extend(
                e.attendees
                    .unwrap_or_default()
                    .iter()
                    .map(|a| a.trim().to_lowercase()),
            );
            if attendees.is_empty() {
                return Err("a 'meeting_booked' event needs \"email\" or \"attendees\"".into());
            }
            Inbound::Meeting {
                organizer,
                attendees,
                summary: e.subject.unwrap_or_else(|| "meeting".into()),
            }
        }
        "bounce" => {
            if email.is_none() && message_id.is_none() {
                return Err("a 'bounce' event needs \"email\" or \"message_id\"".into());
            }
            Inbound::Bounce {
                recipient: email,
                message_ids: message_id.into_iter().collect(),
                permanent: e.permanent.unwrap_or(true),
                status: e.status.unwrap_or_else(|| "5.0.0".into()),
            }
        }
        "unsubscribe" => Inbound::Unsubscribe {
            email: required(email, "email", &kind)?,
        },
        "open" | "click" => {
            if email.is_none() && message_id.is_none() {
                return Err(format!(
                    "an '{kind}' event needs \"email\" or \"message_id\""
                ));
            }
            if kind == "open" {
                Inbound::Open { email, message_id }
            } else {
                Inbound::Click {
                    email,
                    message_id,
                    url: e.url.unwrap_or_default(),
                }
            }
        }
        other => {
            return Err(format!(
                "unknown event type '{other}'; expected open, click, reply, meeting_booked, bounce or unsubscribe"
            ));
        }
    };
    Ok(InboundEvent { id, at, inbound })
}
