//! The rules file (`rules.toml`): where it lives, reading it into
//! [`crate::domain::Rules`], and the commented defaults `seqtui init`
//! writes. It reads files and fills the domain's values; the rules
//! themselves (what stale means, what a policy does) live in the domain.
//!
//! # `rules.toml`
//!
//! ```toml
//! [stale]             # R11
//! after_days = 30     # whole days, 1 to 36500
//! quiet_days = 14     # whole days, 1 to 36500
//! [transfer]          # R10
//! policy = "keep"     # keep | reassign | unenroll
//! [undo]              # R15
//! window_minutes = 15 # whole minutes, 1 to 10080
//! [out_of_office]     # R14
//! pause = true        # false: no out-of-office reply pauses anything
//! [bounce]            # R9
//! soft_retry_hours = 24 # whole hours, 1 to 720
//! [smtp]              # run --deliver smtp://USER@…
//! password_file = "smtp-password" # relative to this file's folder
//! defer_limit_hours = 72 # 4xx answers retried this long; 1 to 720
//! [sending]           # R19
//! daily_cap = 200     # emails per sender per day, 1 to 100000
//! [unsubscribe]       # R19 List-Unsubscribe
//! domain = "example.com"  # mailto domain; default: the sender's
//! url = "https://example.com/unsubscribe"  # one-click endpoint; default none
//! ```
//!
//! Every key is optional and keeps its default when left out. An unknown
//! section or key, a value of the wrong kind or out of range, or a file
//! that is not TOML (or not UTF-8 text) is one sentence naming the file,
//! the line and the key (`DomainError::Invalid`, exit 2), on one line
//! whatever the file holds: text quoted from it has its control characters
//! escaped ([`one_line`]). The file at the default path may be
//! missing (the defaults apply); a file named with `--rules` must exist
//! (`DomainError::NotFound`, exit 4).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::domain::{DomainError, Rules, TransferPolicy};

/// The commented defaults, as `seqtui init` writes them.
pub const DEFAULT_RULES_FILE: &str = include_str!("../assets/rules.toml");

/// The largest `stale.*_days` accepted: a hundred years.
pub const MAX_DAYS: i64 = 36_500;
/// The largest `undo.window_minutes` accepted: a week.
pub const MAX_UNDO_MINUTES: i64 = 10_080;
/// The largest `bounce.soft_retry_hours` accepted: thirty days.
pub const MAX_RETRY_HOURS: i64 = 720;
/// The largest `sending.daily_cap` accepted.
pub const MAX_DAILY_CAP: i64 = 100_000;

/// Where the rules file is looked for when `--rules` and `SEQTUI_RULES`
/// are not given: `rules.toml` in the platform config directory, beside
/// `keymap.toml`.
/// Where the terminal UI looks for `keymap.toml`.
pub fn keymap_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "seqtui").map(|d| d.config_dir().join("keymap.toml"))
}

pub fn default_rules_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "seqtui").map(|d| d.config_dir().join("rules.toml"))
}

/// The rules in force: the file named (which must exist), else the file at
/// the default path if there is one, else the defaults.
pub fn load_rules(given: Option<&Path>) -> Result<Rules, DomainError> {
    match given {
        Some(path) => read_rules(path),
        None => match default_rules_path() {
            Some(path) if path.exists() => read_rules(&path),
            _ => Ok(Rules::default()),
        },
    }
}

/// Reads and checks one rules file.
pub fn read_rules(path: &Path) -> Result<Rules, DomainError> {
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            DomainError::NotFound(format!("no rules file at {}", path.display()))
        }
        _ => DomainError::Storage(format!(
            "cannot read the rules file {}: {e}",
            path.display()
        )),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let bad = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..bad].iter().filter(|b| **b == b'\n').count() + 1;
        DomainError::Invalid(format!(
            "rules file {}, line {line}: not UTF-8 text, so not TOML",
            path.display()
        ))
    })?;
    let mut rules = parse_rules(&text).map_err(|e| {
        DomainError::Invalid(format!(
            "rules file {}, line {}: {}",
            path.display(),
            e.line,
            e.what
        ))
    })?;
    if let Some(file) = rules.smtp_password_file.take() {
        let dir = path.parent().unwrap_or(Path::new(""));
        rules.smtp_password_file = Some(dir.join(file));
    }
    Ok(rules)
}

/// Writes the commented defaults to `path` (creating its folder) unless a
/// file is already there. Returns whether it wrote one; never overwrites.
pub fn write_default_rules(path: &Path) -> std::io::Result<bool> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(mut file) => {
            file.write_all(DEFAULT_RULES_FILE.as_bytes())?;
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

/// Why a rules file's text was refused, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesFileError {
    pub line: usize,
    pub what: String,
}

type Section = BTreeMap<Spanned<String>, Spanned<toml::Value>>;

/// The file's shape: five optional sections; any other top-level key is an
/// error. The keys inside a section are checked one by one below, so that
/// a message can name `section.key` and its line.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    stale: Option<Section>,
    transfer: Option<Section>,
    undo: Option<Section>,
    out_of_office: Option<Section>,
    bounce: Option<Section>,
    smtp: Option<Section>,
    sending: Option<Section>,
    unsubscribe: Option<Section>,
    dates: Option<Section>,
}

/// Parses the text of a rules file over the defaults. The message of an
/// error is one line whatever the file holds (see [`one_line`]).
pub fn parse_rules(text: &str) -> Result<Rules, RulesFileError> {
    parse_rules_text(text).map_err(|e| RulesFileError {
        line: e.line,
        what: one_line(&e.what),
    })
}

/// The line (from 1) of a byte offset of `text`, counting bytes so that an
/// offset inside a character cannot panic.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Text quoted from a file in an error message, made one line: control
/// characters (newline, ESC, NUL …) and bidi controls are written as
/// escapes (`\n`, `\u{1b}`), so that the sentence stays on one line and
/// cannot drive the terminal, yet still shows what the file holds.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}');
        if c.is_control() || bidi {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

fn parse_rules_text(text: &str) -> Result<Rules, RulesFileError> {
    let line_of = |offset: usize| line_of(text, offset);
    let file: RulesFile = toml::from_str(text).map_err(|e| {
        let span = e.span();
        let message = e.message().trim().trim_end_matches('.');
        let spanned = span
            .clone()
            .and_then(|s| text.get(s))
            .map(str::trim)
            .filter(|t| !t.is_empty() && !t.contains('\n'));
        RulesFileError {
            line: span.map_or(1, |s| line_of(s.start)),
            what: top_level_message(message, spanned),
        }
    })?;
    let mut rules = Rules::default();
    let sections = [
        ("stale", file.stale, &["after_days", "quiet_days"][..]),
        ("transfer", file.transfer, &["policy"][..]),
        ("undo", file.undo, &["window_minutes"][..]),
        ("out_of_office", file.out_of_office, &["pause"][..]),
        ("bounce", file.bounce, &["soft_retry_hours"][..]),
        (
            "smtp",
            file.smtp,
            &["password_file", "defer_limit_hours"][..],
        ),
        ("sending", file.sending, &["daily_cap"][..]),
        ("unsubscribe", file.unsubscribe, &["domain", "url"][..]),
        ("dates", file.dates, &["time_zone"][..]),
    ];
    for (section, table, known) in sections {
        let Some(table) = table else {
            continue;
        };
        for (key, value) in table {
            let line = line_of(key.span().start);
            let name = format!("{section}.{}", key.get_ref());
            let fail = |what: String| RulesFileError { line, what };
            let value = value.into_inner();
            match name.as_str() {
                "stale.after_days" => {
                    rules.stale_after_days = whole(&value, 1, MAX_DAYS)
                        .ok_or_else(|| fail(format!("{name} must be a whole number of days ≥ 1 (at most {MAX_DAYS}), not {value}")))?
                }
                "stale.quiet_days" => {
                    rules.stale_quiet_days = whole(&value, 1, MAX_DAYS)
                        .ok_or_else(|| fail(format!("{name} must be a whole number of days ≥ 1 (at most {MAX_DAYS}), not {value}")))?
                }
                "transfer.policy" => {
                    rules.transfer_policy = value
                        .as_str()
                        .and_then(|s| s.parse::<TransferPolicy>().ok())
                        .ok_or_else(|| {
                            fail(format!(
                                "{name} must be \"keep\", \"reassign\" or \"unenroll\", not {value}"
                            ))
                        })?
                }
                "undo.window_minutes" => {
                    rules.undo_window_minutes = whole(&value, 1, MAX_UNDO_MINUTES)
                        .ok_or_else(|| fail(format!("{name} must be a whole number of minutes ≥ 1 (at most {MAX_UNDO_MINUTES}), not {value}")))?
                }
                "out_of_office.pause" => {
                    rules.pause_on_out_of_office = value
                        .as_bool()
                        .ok_or_else(|| fail(format!("{name} must be true or false, not {value}")))?
                }
                "bounce.soft_retry_hours" => {
                    rules.soft_retry_hours = whole(&value, 1, MAX_RETRY_HOURS)
                        .ok_or_else(|| fail(format!("{name} must be a whole number of hours ≥ 1 (at most {MAX_RETRY_HOURS}), not {value}")))?
                }
                "smtp.password_file" => {
                    rules.smtp_password_file = Some(
                        value
                            .as_str()
                            .filter(|s| !s.trim().is_empty())
                            .map(std::path::PathBuf::from)
                            .ok_or_else(|| fail(format!("{name} must be the path of a file holding the SMTP password, not {value}")))?,
                    )
                }
                "smtp.defer_limit_hours" => {
                    rules.smtp_defer_limit_hours = whole(&value, 1, MAX_RETRY_HOURS)
                        .ok_or_else(|| fail(format!("{name} must be a whole number of hours ≥ 1 (at most {MAX_RETRY_HOURS}), not {value}")))?
                }
                "sending.daily_cap" => {
                    rules.daily_cap = whole(&value, 1, MAX_DAILY_CAP)
                        .ok_or_else(|| fail(format!("{name} must be a whole number of emails ≥ 1 (at most {MAX_DAILY_CAP}), not {value}")))?
                }
                "unsubscribe.domain" => {
                    rules.unsubscribe_domain = Some(
                        value
                            .as_str()
                            .map(|d| d.trim().to_ascii_lowercase())
                            .filter(|d| is_domain(d))
                            .ok_or_else(|| fail(format!("{name} must be a domain name like \"example.com\", not {value}")))?,
                    )
                }
                "unsubscribe.url" => {
                    rules.unsubscribe_url = Some(
                        value
                            .as_str()
                            .map(str::trim)
                            .filter(|u| is_https_url(u))
                            .map(str::to_string)
                            .ok_or_else(|| fail(format!("{name} must be an https:// URL without spaces, quotes or angle brackets, not {value}")))?,
                    )
                }
                "dates.time_zone" => {
                    rules.time_zone = Some(
                        value
                            .as_str()
                            .map(str::trim)
                            .filter(|z| z.parse::<chrono_tz::Tz>().is_ok())
                            .map(str::to_string)
                            .ok_or_else(|| fail(format!("{name} must be an IANA time zone like \"Europe/Berlin\", not {value}")))?,
                    )
                }
                _ => {
                    let known: Vec<String> = known.iter().map(|k| format!("{section}.{k}")).collect();
                    return Err(fail(format!(
                        "{name} is not a rule; [{section}] takes {}",
                        known.join(", ")
                    )));
                }
            }
        }
    }
    Ok(rules)
}

/// The sentence for an error found while reading the file's shape: serde's
/// wording for the cases a person makes, toml's for broken syntax.
fn top_level_message(message: &str, spanned: Option<&str>) -> String {
    const SECTIONS: &str = "[stale], [transfer], [undo], [out_of_office], [bounce], [smtp], [sending], [unsubscribe] and [dates]";
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((key, _)) = rest.split_once('`')
    {
        return format!("'{key}' is not a section of the rules file; the sections are {SECTIONS}");
    }
    if let Some(rest) = message.strip_prefix("invalid type: ")
        && let Some(found) = rest.strip_suffix(", expected a map")
    {
        return format!("the rules go in sections ({SECTIONS}), not {found}");
    }
    match spanned {
        Some(key) if message == "duplicate key" => format!("duplicate key {key}"),
        _ => message.to_string(),
    }
}

/// A host name: dot-separated labels of letters, digits and hyphens.
fn is_domain(d: &str) -> bool {
    d.contains('.')
        && d.len() <= 253
        && d.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// An `https://host…` URL that can sit inside `<…>` in a header.
fn is_https_url(u: &str) -> bool {
    u.len() <= 2000
        && u.strip_prefix("https://")
            .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
        && u.chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"' | '\\'))
}

/// An integer within `min..=max`.
fn whole(value: &toml::Value, min: i64, max: i64) -> Option<i64> {
    value.as_integer().filter(|n| (min..=max).contains(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_is_the_defaults() {
        assert_eq!(parse_rules(DEFAULT_RULES_FILE), Ok(Rules::default()));
        // Uncommenting every key gives the defaults too: the comments tell
        // the truth about them.
        let uncommented: String = DEFAULT_RULES_FILE
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest) if rest.contains(" = ") => rest,
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n");
        assert!(uncommented.contains("\nafter_days = 30"), "{uncommented}");
        assert_eq!(parse_rules(&uncommented), Ok(Rules::default()));
    }
}
