//! A sequence as a TOML file a team keeps in git (R17): reading one, with
//! every mistake reported as one sentence naming the file and the line, and
//! writing one back (`sequence show --format toml`) so that reading it again
//! gives the same definition.
//!
//! Decision: time zones are checked against the IANA database of
//! `chrono-tz` (MIT/Apache-2.0, rust-version 1.65, no build script with its
//! default features); R19 needs the same crate to send inside a window.

use std::ops::Range;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::{DomainError, MAX_DELAY_DAYS, MERGE_FIELDS, NewStep, Result, StepKind};

/// The days a sending window may name, in week order.
pub const WEEKDAYS: &[&str] = &["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A sequence's settings (R8, R14, R19).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SequenceSettings {
    pub unenroll_colleagues: bool,
    pub pause_on_out_of_office: bool,
    /// `HH:MM`, in `time_zone`.
    pub window_start: String,
    pub window_end: String,
    /// Lower-case three-letter days, in week order.
    pub sending_days: Vec<String>,
    /// An IANA time zone name.
    pub time_zone: String,
}

impl Default for SequenceSettings {
    fn default() -> Self {
        SequenceSettings {
            unenroll_colleagues: false,
            pause_on_out_of_office: false,
            window_start: "08:00".into(),
            window_end: "18:00".into(),
            sending_days: WEEKDAYS[..5].iter().map(|d| d.to_string()).collect(),
            time_zone: "UTC".into(),
        }
    }
}

/// A sequence's definition as a file gives it.
#[derive(Debug, Clone)]
pub struct SequenceDefinition {
    /// Where it came from, for messages ("outbound.toml").
    pub file: String,
    pub name: String,
    /// The owner's email; `None`: whoever applies the file.
    pub owner: Option<String>,
    /// The line of `owner = …`, for messages about it.
    pub owner_line: usize,
    pub settings: SequenceSettings,
    pub steps: Vec<NewStep>,
}

impl SequenceDefinition {
    /// "FILE, line N: why" as an invalid-input error.
    pub fn error_at(&self, line: usize, why: impl std::fmt::Display) -> DomainError {
        DomainError::Invalid(format!("{}, line {line}: {why}", self.file))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTop {
    name: Spanned<String>,
    owner: Option<Spanned<String>>,
    settings: Option<FileSettings>,
    #[serde(default)]
    steps: Vec<Spanned<FileStep>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    unenroll_colleagues: Option<bool>,
    pause_on_out_of_office: Option<bool>,
    sending_window: Option<Spanned<String>>,
    sending_days: Option<Spanned<Vec<String>>>,
    time_zone: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileStep {
    kind: Spanned<String>,
    delay_days: Spanned<i64>,
    subject: Option<Spanned<String>>,
    body: Option<Spanned<String>>,
    title: Option<Spanned<String>>,
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The line of the character at `at` inside a string value whose literal
/// spans `span`: a multi-line literal's first newline is not part of it.
fn line_in_value(text: &str, span: &Range<usize>, value: &str, at: usize) -> usize {
    let literal = &text[span.clone()];
    let opens_on_own_line = (literal.starts_with("\"\"\"") || literal.starts_with("'''"))
        && (literal[3..].starts_with('\n') || literal[3..].starts_with("\r\n"));
    line_of(text, span.start) + usize::from(opens_on_own_line) + value[..at].matches('\n').count()
}

/// Where the first unknown or unclosed merge field of `text` starts, and why.
fn bad_merge_field(text: &str) -> Option<(usize, String)> {
    let mut from = 0;
    while let Some(start) = text[from..].find("{{").map(|i| i + from) {
        let after = &text[start + 2..];
        let Some(end) = after.find("}}") else {
            return Some((start, "a merge field is not closed with }}".into()));
        };
        let field = after[..end].trim();
        if !MERGE_FIELDS.contains(&field) {
            return Some((
                start,
                format!(
                    "unknown merge field {{{{{field}}}}}; use one of {}",
                    MERGE_FIELDS.join(", ")
                ),
            ));
        }
        from = start + 2 + end + 2;
    }
    None
}

/// The TOML reader's words as a person reads them: Rust's number types
/// named as numbers.
fn in_words(message: &str) -> String {
    let mut text = message.to_string();
    for rust in ["i64", "i32", "u64", "u32", "u16", "u8", "usize"] {
        text = text.replace(&format!("expected {rust}"), "expected a whole number");
    }
    text
}

/// Reads a sequence file. `file` names it in messages.
pub fn parse_sequence(file: &str, text: &str) -> Result<SequenceDefinition> {
    let at = |line: usize, why: &dyn std::fmt::Display| {
        DomainError::Invalid(format!("{file}, line {line}: {why}"))
    };
    let top: FileTop = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |s| line_of(text, s.start));
        let message = e.message().trim().trim_end_matches('.').replace('\n', " ");
        at(line, &in_words(&message))
    })?;
    let name_line = line_of(text, top.name.span().start);
    let name = top.name.get_ref().trim().to_string();
    if name.is_empty() {
        return Err(at(name_line, &"the sequence needs a name"));
    }
    let (owner, owner_line) = match &top.owner {
        Some(o) => (
            Some(o.get_ref().trim().to_string()),
            line_of(text, o.span().start),
        ),
        None => (None, name_line),
    };
    if owner.as_deref() == Some("") {
        return Err(at(
            owner_line,
            &"the owner is empty; name a user's email or leave it out",
        ));
    }
    let mut settings = SequenceSettings::default();
    if let Some(s) = top.settings {
        settings.unenroll_colleagues = s.unenroll_colleagues.unwrap_or(false);
        settings.pause_on_out_of_office = s.pause_on_out_of_office.unwrap_or(false);
        if let Some(w) = s.sending_window {
            let line = line_of(text, w.span().start);
            let (start, end) = parse_window(w.get_ref()).map_err(|why| at(line, &why))?;
            settings.window_start = start;
            settings.window_end = end;
        }
        if let Some(d) = s.sending_days {
            let line = line_of(text, d.span().start);
            settings.sending_days = parse_days(d.get_ref()).map_err(|why| at(line, &why))?;
        }
        if let Some(z) = s.time_zone {
            let line = line_of(text, z.span().start);
            settings.time_zone = check_time_zone(z.get_ref()).map_err(|why| at(line, &why))?;
        }
    }
    if top.steps.is_empty() {
        return Err(at(
            name_line,
            &format!("sequence '{name}' has no steps; add at least one [[steps]]"),
        ));
    }
    let mut steps = Vec::new();
    for (i, spanned) in top.steps.iter().enumerate() {
        let n = i + 1;
        let step = spanned.get_ref();
        let step_line = line_of(text, spanned.span().start);
        let kind_line = line_of(text, step.kind.span().start);
        let kind = StepKind::from_str(step.kind.get_ref())
            .map_err(|e| at(kind_line, &format!("step {n}: {e}")))?;
        let delay_line = line_of(text, step.delay_days.span().start);
        let delay_days = *step.delay_days.get_ref();
        if i == 0 && delay_days != 0 {
            return Err(at(
                delay_line,
                &"the first step's delay_days must be 0: it is due when a contact is enrolled",
            ));
        }
        if !(0..=MAX_DELAY_DAYS).contains(&delay_days) {
            return Err(at(
                delay_line,
                &format!("step {n}: delay_days must be between 0 and {MAX_DELAY_DAYS}"),
            ));
        }
        for field in [&step.subject, &step.body, &step.title]
            .into_iter()
            .flatten()
        {
            if let Some((offset, why)) = bad_merge_field(field.get_ref()) {
                let line = line_in_value(text, &field.span(), field.get_ref(), offset);
                return Err(at(line, &format!("step {n}: {why}")));
            }
        }
        let text_of = |f: &Option<Spanned<String>>| {
            f.as_ref().map(|s| s.get_ref().clone()).unwrap_or_default()
        };
        let line_or = |f: &Option<Spanned<String>>, fallback: usize| {
            f.as_ref()
                .map_or(fallback, |s| line_of(text, s.span().start))
        };
        let (subject, body, title) = (
            text_of(&step.subject),
            text_of(&step.body),
            text_of(&step.title),
        );
        match kind {
            StepKind::AutoEmail => {
                // A later email may leave its subject out: it goes as a
                // reply on the thread ("Re: " and the first one's subject).
                let earlier_email = steps
                    .iter()
                    .any(|s: &NewStep| s.kind == StepKind::AutoEmail);
                if step.subject.is_some() && subject.trim().is_empty() {
                    return Err(at(
                        line_or(&step.subject, step_line),
                        &format!(
                            "step {n}: the subject is empty; write one, or leave subject out to send the email as a reply on the thread"
                        ),
                    ));
                }
                if step.subject.is_none() && !earlier_email {
                    return Err(at(
                        step_line,
                        &format!("step {n}: the first auto_email step needs a subject"),
                    ));
                }
                if body.trim().is_empty() {
                    return Err(at(
                        line_or(&step.body, step_line),
                        &format!("step {n}: an auto_email step needs a body"),
                    ));
                }
                if step.title.is_some() {
                    return Err(at(
                        line_or(&step.title, step_line),
                        &format!("step {n}: an auto_email step has no title (it creates no task)"),
                    ));
                }
            }
            StepKind::ManualEmail | StepKind::Call | StepKind::Task => {
                if title.trim().is_empty() {
                    return Err(at(
                        line_or(&step.title, step_line),
                        &format!("step {n}: a {kind} step needs a title (the rep's task)"),
                    ));
                }
                if kind != StepKind::ManualEmail {
                    if let Some(extra) = step.subject.as_ref().or(step.body.as_ref()) {
                        return Err(at(
                            line_of(text, extra.span().start),
                            &format!(
                                "step {n}: a {kind} step has no subject or body; write the task in title"
                            ),
                        ));
                    }
                } else if step.subject.is_some() && subject.trim().is_empty() {
                    return Err(at(
                        line_or(&step.subject, step_line),
                        &format!("step {n}: the subject is empty; write one or leave it out"),
                    ));
                }
            }
        }
        steps.push(NewStep {
            kind,
            delay_days,
            subject,
            body,
            title,
        });
    }
    Ok(SequenceDefinition {
        file: file.to_string(),
        name,
        owner,
        owner_line,
        settings,
        steps,
    })
}

fn parse_clock(text: &str) -> Option<String> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60 && text.trim().len() == 5).then(|| format!("{h:02}:{m:02}"))
}

/// "08:00-18:00" → ("08:00", "18:00"); the start before the end.
pub fn parse_window(text: &str) -> std::result::Result<(String, String), String> {
    let bad = || format!("sending_window '{text}' is not like \"08:00-18:00\"");
    let (a, b) = text.split_once('-').ok_or_else(bad)?;
    let (start, end) = (
        parse_clock(a).ok_or_else(bad)?,
        parse_clock(b).ok_or_else(bad)?,
    );
    if start >= end {
        return Err(format!("sending_window '{text}' ends before it starts"));
    }
    Ok((start, end))
}

/// Day names → lower-case three-letter days in week order, each once.
pub fn parse_days(days: &[String]) -> std::result::Result<Vec<String>, String> {
    let mut seen = [false; 7];
    for d in days {
        let key = d.trim().to_ascii_lowercase();
        let key = key.get(..3).unwrap_or(&key).to_string();
        let i = WEEKDAYS
            .iter()
            .position(|w| *w == key && d.trim().len() >= 3)
            .ok_or_else(|| format!("'{d}' is not a day; use mon, tue, wed, thu, fri, sat, sun"))?;
        if seen[i] {
            return Err(format!("'{d}' is named twice in sending_days"));
        }
        seen[i] = true;
    }
    if !seen.iter().any(|&s| s) {
        return Err("sending_days names no day".into());
    }
    Ok(WEEKDAYS
        .iter()
        .zip(seen)
        .filter(|(_, s)| *s)
        .map(|(d, _)| d.to_string())
        .collect())
}

/// An IANA time zone name, as the database spells it.
pub fn check_time_zone(name: &str) -> std::result::Result<String, String> {
    chrono_tz::Tz::from_str(name.trim())
        .map(|tz| tz.name().to_string())
        .map_err(|_| {
            format!("'{name}' is not an IANA time zone (like Europe/Berlin or America/New_York)")
        })
}

/// A TOML basic string: one line, or a multi-line literal for text with
/// line breaks (what a person would write for a body).
fn toml_string(text: &str) -> String {
    let multi = text.contains('\n');
    let mut out = String::from(if multi { "\"\"\"\n" } else { "\"" });
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' if multi => out.push('\n'),
            '\t' => out.push('\t'),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            // Controls and bidi formatting characters are written escaped:
            // printing the file can never drive or reorder a terminal.
            c if c.is_control()
                || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') =>
            {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push_str(if multi { "\"\"\"" } else { "\"" });
    out
}

/// Writes a definition as a file [`parse_sequence`] reads back unchanged.
pub fn render_sequence(
    name: &str,
    owner: &str,
    settings: &SequenceSettings,
    steps: &[NewStep],
) -> String {
    let mut out = String::new();
    out.push_str("# A seqtui sequence: `seqtui sequence apply FILE` creates or updates it.\n");
    out.push_str(&format!(
        "# Merge fields: {}.\n\n",
        MERGE_FIELDS
            .iter()
            .map(|f| format!("{{{{{f}}}}}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    out.push_str(&format!("name = {}\n", toml_string(name)));
    out.push_str(&format!("owner = {}\n\n", toml_string(owner)));
    out.push_str("[settings]\n");
    out.push_str(&format!(
        "unenroll_colleagues = {}\npause_on_out_of_office = {}\n",
        settings.unenroll_colleagues, settings.pause_on_out_of_office
    ));
    out.push_str(&format!(
        "sending_window = \"{}-{}\"\n",
        settings.window_start, settings.window_end
    ));
    out.push_str(&format!(
        "sending_days = [{}]\n",
        settings
            .sending_days
            .iter()
            .map(|d| format!("\"{d}\""))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    out.push_str(&format!(
        "time_zone = {}\n",
        toml_string(&settings.time_zone)
    ));
    for step in steps {
        out.push_str("\n[[steps]]\n");
        out.push_str(&format!("kind = \"{}\"\n", step.kind));
        out.push_str(&format!("delay_days = {}\n", step.delay_days));
        if !step.subject.is_empty() {
            out.push_str(&format!("subject = {}\n", toml_string(&step.subject)));
        }
        if !step.body.is_empty() {
            out.push_str(&format!("body = {}\n", toml_string(&step.body)));
        }
        if !step.title.is_empty() {
            out.push_str(&format!("title = {}\n", toml_string(&step.title)));
        }
    }
    out
}
