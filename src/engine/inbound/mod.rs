//! Reading what comes back: `.eml` files, mbox files, Maildir folders,
//! `.ics` files and JSON Lines, told apart by their content. Each input
//! item becomes an [`InboundEvent`] (or the reason it could not be read);
//! deciding what it means for enrollments is the domain's job.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use mail_parser::{Message, MessageParser, MimeHeaders};
use serde::{Deserialize, Serialize};

use super::{autoreply, bounce, stable_hash};
use crate::domain::*;

mod calendar;
mod json_lines;

pub use calendar::parse_calendar;
pub use json_lines::parse_json_line;
use json_lines::{read_json_lines, ses_event};

/// One item of an input: where it came from and what it is.
#[derive(Debug)]
pub struct InputItem {
    /// The file, with `#n` for the n-th message of an mbox or line of a
    /// JSON Lines file.
    pub source: String,
    pub event: Result<InboundEvent, String>,
    /// Why the item was skipped: set exactly when `event` is an error.
    pub code: Option<InputSkip>,
}

/// Why an input item was skipped, as a stable code (`--json`'s `code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputSkip {
    /// A symbolic link met inside a folder: never followed.
    Symlink,
    /// A FIFO, a device, a socket: not a regular file.
    NotAFile,
    /// Over [`MAX_INPUT_BYTES`] (a file, or one message of an mbox).
    TooLarge,
    /// The operating system refused to read it.
    Unreadable,
    /// Not an email, mbox, Maildir, iCalendar or JSON Lines file.
    Unrecognised,
    /// Recognised, but not a valid item (a bad JSON line, a message with
    /// no From, a meeting with no organizer…).
    Invalid,
}

/// The most `ingest` reads of one file, or of one message of an mbox (an
/// mbox itself is read as a stream and may be larger).
pub const MAX_INPUT_BYTES: u64 = 50 * 1024 * 1024;

fn item(source: String, event: Result<InboundEvent, String>) -> InputItem {
    let code = event.is_err().then_some(InputSkip::Invalid);
    InputItem {
        source,
        event,
        code,
    }
}

fn skip(source: String, code: InputSkip, why: impl Into<String>) -> InputItem {
    InputItem {
        source,
        event: Err(why.into()),
        code: Some(code),
    }
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
}

fn too_large(source: String, size: Option<u64>, what: &str) -> InputItem {
    let size = size
        .map(|s| format!(" ({})", megabytes(s)))
        .unwrap_or_default();
    skip(
        source,
        InputSkip::TooLarge,
        format!(
            "{what}{size} is over the {} MB limit; not read",
            MAX_INPUT_BYTES / (1024 * 1024)
        ),
    )
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
    let first = start.lines().next().unwrap_or_default();
    if is_mbox_separator(first.as_bytes()) {
        Some(Shape::Mbox)
    } else if start.to_ascii_uppercase().starts_with("BEGIN:VCALENDAR") {
        Some(Shape::Calendar)
    } else if start.starts_with('{') {
        Some(Shape::JsonLines)
    } else {
        // A message starts with a header field: `Name: value`, or in the
        // obsolete syntax still legal to read, `Name  : value` (RFC 5322
        // section 4.5: blanks before the colon).
        let is_header = first.split_once(':').is_some_and(|(name, _)| {
            let name = name.trim_end_matches([' ', '\t']);
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && b != b':')
        });
        is_header.then_some(Shape::Message)
    }
}

/// Whether `line` separates two messages of an mbox: `From `, the envelope
/// sender, then the date the message arrived, as `ctime` writes it (`From
/// MAILER-DAEMON Fri Jul  8 12:08:34 2011`; a zone may follow the time,
/// `-` stands for an unknown sender). A line that merely starts with
/// `From ` — a header written `From  : …`, a body's "From the desk of" —
/// is not one.
fn is_mbox_separator(line: &[u8]) -> bool {
    const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let Some(rest) = line.strip_prefix(b"From ") else {
        return false;
    };
    // The sender is one word (a quoted local part may hold blanks: the
    // date is then still the line's last words).
    let rest = String::from_utf8_lossy(rest);
    let words: Vec<&str> = rest.split_ascii_whitespace().collect();
    if words.len() < 6 || words[0].starts_with(':') {
        return false;
    }
    let named = |list: &[&str], word: &str| {
        let word = word.trim_end_matches(',');
        word.len() == 3 && list.iter().any(|n| n.eq_ignore_ascii_case(word))
    };
    let digits = |word: &str, lengths: std::ops::RangeInclusive<usize>| {
        lengths.contains(&word.len()) && word.bytes().all(|b| b.is_ascii_digit())
    };
    let is_time = |word: &str| {
        let mut parts = word.split(':');
        let hour = parts.next().is_some_and(|h| digits(h, 1..=2));
        let minute = parts.next().is_some_and(|m| digits(m, 2..=2));
        let second = parts.next().is_none_or(|s| digits(s, 2..=2));
        hour && minute && second && parts.next().is_none()
    };
    // `Www Mmm dd hh:mm[:ss] [zone] yyyy [zone]`, after the sender.
    words.windows(4).skip(1).any(|w| {
        named(&WEEKDAYS, w[0]) && named(&MONTHS, w[1]) && digits(w[2], 1..=2) && is_time(w[3])
    }) && words.iter().rev().take(2).any(|w| digits(w, 4..=4))
}

#[cfg(test)]
mod separator_tests {
    use super::{Shape, is_mbox_separator, sniff};

    #[test]
    fn only_from_sender_date_lines_separate_messages() {
        for line in [
            "From MAILER-DAEMON Fri Jul  8 12:08:34 2011",
            "From a@b.example Mon Dec  1 09:00:00 2026",
            "From - Mon Dec 01 09:00:00 2026",
            "From 1234abcd Mon Sep 17 00:00:00 2001",
            "From x@y.example Fri Jul 08 12:08:34 +0000 2011",
            "From x@y.example Fri Jul  8 12:08 2011 -0700",
            "From \"a b\"@y.example Fri Jul  8 12:08:34 2011",
        ] {
            assert!(is_mbox_separator(line.as_bytes()), "{line}");
        }
        for line in [
            "From  : Ann <a@b.example>",
            "From : Ann <a@b.example>",
            "From: Ann <a@b.example>",
            "From the desk of Ann: Thursday works.",
            "From Monday to Friday, Jul 8 at 12:08 in 2011",
            "From Fri Jul  8 12:08:34 2011",
            "From a@b.example",
            ">From a@b.example Fri Jul  8 12:08:34 2011",
        ] {
            assert!(!is_mbox_separator(line.as_bytes()), "{line}");
        }
    }

    #[test]
    fn an_obsolete_from_header_is_a_message_not_an_mbox() {
        assert_eq!(
            sniff(b"From  : Ann <a@b.example>\r\nSubject: hi\r\n\r\nbody"),
            Some(Shape::Message)
        );
        assert_eq!(
            sniff(b"\xef\xbb\xbfFrom a@b.example Mon Dec  1 09:00:00 2026\nFrom: a@b.example\n"),
            Some(Shape::Mbox)
        );
        assert_eq!(sniff(b"From the desk of Ann\n"), None);
    }
}

/// Reads every item of `path` (a file or a Maildir / folder), in a stable
/// order. An item that cannot be read is one item with its reason.
///
/// Hostile folders: only regular files are read (a FIFO, device or socket
/// is skipped, and is opened non-blocking so it cannot hang the run); a
/// symbolic link inside a folder is never followed (so no loop, and no
/// way out of or back into the tree); `path` itself may be a link, followed
/// only to a regular file or a folder. A file over [`MAX_INPUT_BYTES`] is
/// skipped unread, except an mbox, which is read as a stream with that
/// limit on each message.
pub fn read_path(path: &Path, now: Timestamp) -> Vec<InputItem> {
    let shown = path.display().to_string();
    let mut items = Vec::new();
    match std::fs::metadata(path) {
        Err(e) => items.push(skip(
            shown,
            InputSkip::Unreadable,
            format!("cannot read: {e}"),
        )),
        Ok(meta) if meta.is_dir() => walk(path, now, &mut items),
        Ok(meta) if meta.is_file() => read_file(path, false, false, now, &mut items),
        Ok(_) => items.push(not_a_file(shown)),
    }
    items
}

fn not_a_file(source: String) -> InputItem {
    skip(
        source,
        InputSkip::NotAFile,
        "not a regular file (a FIFO, device or socket); not read",
    )
}

/// Whether `path` is a real folder (not a link to one).
fn is_real_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// Every item of a folder: a Maildir's `new/` and `cur/` messages, or
/// every entry of a plain folder (subfolders walked the same way).
fn walk(dir: &Path, now: Timestamp, items: &mut Vec<InputItem>) {
    let maildir = ["cur", "new"].iter().any(|s| is_real_dir(&dir.join(s)));
    let dirs: Vec<PathBuf> = if maildir {
        ["new", "cur"].iter().map(|s| dir.join(s)).collect()
    } else {
        vec![dir.to_path_buf()]
    };
    for dir in dirs {
        let mut entries: Vec<(PathBuf, Option<std::fs::FileType>)> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries
                .flatten()
                .map(|e| (e.path(), e.file_type().ok()))
                .collect(),
            Err(e) if maildir && e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                items.push(skip(
                    dir.display().to_string(),
                    InputSkip::Unreadable,
                    format!("cannot read: {e}"),
                ));
                continue;
            }
        };
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (file, kind) in entries {
            let hidden = file
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if hidden {
                continue;
            }
            let shown = file.display().to_string();
            match kind {
                None => items.push(skip(shown, InputSkip::Unreadable, "cannot read its type")),
                Some(k) if k.is_symlink() => items.push(skip(
                    shown,
                    InputSkip::Symlink,
                    "a symbolic link: links inside a folder are not followed (name the target itself to read it)",
                )),
                Some(k) if k.is_dir() && !maildir => walk(&file, now, items),
                Some(k) if k.is_dir() => items.push(skip(
                    shown,
                    InputSkip::NotAFile,
                    "a folder inside a Maildir's new/ or cur/; not read",
                )),
                Some(k) if k.is_file() => read_file(&file, true, maildir, now, items),
                Some(_) => items.push(not_a_file(shown)),
            }
        }
    }
}

/// Opens a file for reading without ever blocking (a FIFO swapped in
/// after the check opens at once) and, inside a folder, without
/// following a link; then checks what was opened is a regular file.
fn open_regular(path: &Path, no_follow: bool) -> std::io::Result<Option<std::fs::File>> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut flags = libc::O_NONBLOCK;
        if no_follow {
            flags |= libc::O_NOFOLLOW;
        }
        options.custom_flags(flags);
    }
    #[cfg(not(unix))]
    let _ = no_follow;
    let file = options.open(path)?;
    Ok(file.metadata()?.is_file().then_some(file))
}

/// Reads one regular file: told apart by its first bytes (a Maildir entry
/// is always a message), size-checked, an mbox streamed.
fn read_file(
    path: &Path,
    no_follow: bool,
    message_only: bool,
    now: Timestamp,
    items: &mut Vec<InputItem>,
) {
    use std::io::{Read, Seek};
    let shown = path.display().to_string();
    let unreadable = |e: std::io::Error| {
        skip(
            shown.clone(),
            InputSkip::Unreadable,
            format!("cannot read: {e}"),
        )
    };
    let mut file = match open_regular(path, no_follow) {
        Ok(Some(file)) => file,
        Ok(None) => return items.push(not_a_file(shown)),
        Err(e) => return items.push(unreadable(e)),
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut head = Vec::with_capacity(4096);
    if let Err(e) = (&mut file).take(4096).read_to_end(&mut head) {
        return items.push(unreadable(e));
    }
    let shape = if message_only {
        Some(Shape::Message)
    } else {
        sniff(&head)
    };
    if shape == Some(Shape::Mbox) {
        if let Err(e) = file.rewind() {
            return items.push(unreadable(e));
        }
        return read_mbox(&shown, BufReader::new(file), now, items);
    }
    if size > MAX_INPUT_BYTES {
        return items.push(too_large(shown, Some(size), "the file"));
    }
    let mut bytes = head;
    // The file may grow after the size was read: never past the limit.
    if let Err(e) = (&mut file)
        .take(MAX_INPUT_BYTES + 1 - bytes.len() as u64)
        .read_to_end(&mut bytes)
    {
        return items.push(unreadable(e));
    }
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return items.push(too_large(shown, None, "the file"));
    }
    match shape {
        Some(Shape::Mbox) => {}
        Some(Shape::Calendar) => items.push(item(
            shown,
            parse_calendar(&String::from_utf8_lossy(&bytes), now),
        )),
        Some(Shape::JsonLines) => items.extend(read_json_lines(&shown, &bytes, now)),
        Some(Shape::Message) => items.push(item(shown, parse_message(&bytes, now))),
        None => items.push(skip(
            shown,
            InputSkip::Unrecognised,
            "not an email, mbox, Maildir, iCalendar or JSON Lines file",
        )),
    }
}

/// How much of a line is read at once: a "line" with no line end for
/// gigabytes never sits in memory whole.
const MBOX_CHUNK: u64 = 64 * 1024;

/// An mbox, read as a stream: a `From sender date` line begins a message;
/// `>From ` (any number of `>`) loses one `>` (mboxrd). A message over
/// [`MAX_INPUT_BYTES`] is skipped, the rest go on.
fn read_mbox(shown: &str, mut reader: impl BufRead, now: Timestamp, items: &mut Vec<InputItem>) {
    use std::io::Read;
    let mut index = 0usize;
    let mut message: Option<Vec<u8>> = None;
    let mut over = false;
    let mut at_line_start = true;
    let mut line = Vec::with_capacity(256);
    let finish =
        |message: Option<Vec<u8>>, over: bool, index: usize, items: &mut Vec<InputItem>| {
            let Some(bytes) = message else { return };
            let source = format!("{shown}#{index}");
            items.push(if over {
                too_large(source, None, "the message")
            } else {
                item(source, parse_message(&bytes, now))
            });
        };
    loop {
        line.clear();
        match (&mut reader).take(MBOX_CHUNK).read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                index += 1;
                items.push(skip(
                    format!("{shown}#{index}"),
                    InputSkip::Unreadable,
                    format!("cannot read: {e}"),
                ));
                return;
            }
        }
        let starts_line = at_line_start;
        at_line_start = line.ends_with(b"\n");
        if starts_line && is_mbox_separator(line.trim_ascii_end()) {
            finish(message.take(), over, index, items);
            index += 1;
            message = Some(Vec::new());
            over = false;
            continue;
        }
        let Some(bytes) = message.as_mut() else {
            continue; // text before the first `From ` line
        };
        if over {
            continue;
        }
        let quoted = starts_line
            && line.first() == Some(&b'>')
            && line[line.iter().position(|&b| b != b'>').unwrap_or(line.len())..]
                .starts_with(b"From ");
        let content = if quoted { &line[1..] } else { &line[..] };
        if (bytes.len() + content.len()) as u64 > MAX_INPUT_BYTES {
            over = true;
            *bytes = Vec::new();
        } else {
            bytes.extend_from_slice(content);
        }
    }
    finish(message, over, index, items);
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

/// The token of the first List-Unsubscribe address among the message's
/// recipients as its headers name them (To, Delivered-To, X-Original-To).
fn list_unsubscribe_token(message: &Message<'_>) -> Option<String> {
    message
        .headers_raw()
        .filter(|(n, _)| {
            ["to", "delivered-to", "x-original-to"]
                .iter()
                .any(|h| n.eq_ignore_ascii_case(h))
        })
        .flat_map(|(_, v)| {
            v.split(|c: char| c == ',' || c == '<' || c == '>' || c == ';' || c.is_whitespace())
                .filter_map(crate::domain::unsubscribe_token_of)
                .collect::<Vec<_>>()
        })
        .next()
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
///
/// A message whose MIME structure the parser cannot walk (mail-parser
/// panics on some: "Invalid part ID") is an unreadable item like any
/// other, not the end of the ingest: the parse runs under
/// [`without_panicking`].
pub fn parse_message(bytes: &[u8], now: Timestamp) -> Result<InboundEvent, String> {
    without_panicking(|| read_message(bytes, now)).unwrap_or_else(|| {
        Err("the message's MIME structure is broken (its parts cannot be walked)".to_string())
    })
}

thread_local! {
    /// Set while [`without_panicking`] runs: its panics are not printed.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, turning a panic inside it into `None` without printing the
/// panic message (other threads' panics print as before).
pub fn without_panicking<T>(f: impl FnOnce() -> T) -> Option<T> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(|q| q.get()) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    result.ok()
}

fn read_message(bytes: &[u8], now: Timestamp) -> Result<InboundEvent, String> {
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
    let mut references = id_list(message.in_reply_to());
    for r in id_list(message.references()) {
        if !references.contains(&r) {
            references.push(r);
        }
    }

    // A delivery report first, before anything looks at who sent it:
    // `From: <>` or `MAILER-DAEMON` is what a bounce normally looks like.
    if let Some(report) = bounce::classify(&message) {
        // The report's own In-Reply-To and References find the email but,
        // being free to write, do not prove the bounce (R9).
        references.retain(|r| !report.message_ids.contains(r));
        return Ok(InboundEvent {
            id,
            at,
            inbound: Inbound::Bounce {
                recipients: report.recipients,
                message_ids: report.message_ids,
                references,
            },
        });
    }
    // R19: a mail to a List-Unsubscribe address (`unsubscribe+TOKEN@…`)
    // is a request to opt out, whoever sent it: the token is the proof.
    if let Some(token) = list_unsubscribe_token(&message) {
        return Ok(InboundEvent {
            id,
            at,
            inbound: Inbound::ListUnsubscribe { token },
        });
    }
    // Amazon SNS delivers SES notifications by email too: the body is the
    // notification's JSON.
    if let Some(body) = message.body_text(0)
        && body.trim_start().starts_with('{')
        && let Ok(value) = serde_json::from_str::<serde_json::Value>(body.trim())
        && bounce::is_ses(&value)
    {
        return ses_event(&value, id, now);
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

    // No From, `<>` or a bare `MAILER-DAEMON` is never a reason to refuse
    // a message: it is an automatic one (a mail system's notice), read as
    // such.
    let from = message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(|a| a.trim().to_lowercase())
        .filter(|a| a.contains('@'));
    let header = |name: &str| raw_header(&message, name);
    let automatic = from.is_none() || bounce::from_mail_system(&message);
    let from = from.unwrap_or_default();
    if automatic || autoreply::detect(&header, &subject).is_some() {
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
