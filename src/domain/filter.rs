//! The one filter model (issue 7): a set of conditions on an enrollment and
//! its contact, with one parser. The CLI's flags, the terminal UI's
//! one-line filter editor and saved lists all go through [`Filter::set`];
//! a filter is written back as text by [`Filter::to_query`], which
//! [`Filter::parse`] reads back to the same filter. Resolving names
//! (sequences, users) and dates against a workspace gives the
//! [`EnrollmentQuery`] that the store turns into parameterised SQL.
//!
//! The query language, in one line: terms separated by spaces, all of
//! which must hold. A term is `key:value` (the value in double quotes when
//! it has spaces, `"` or `\`, which are escaped with `\`), `is:stale`, or
//! bare words (free text). Giving the same list key twice means "any of"
//! (`company:Acme company:Globex`); `status:` also takes a comma list.
//!
//! | key (`--flag` on the CLI)  | short  | matches |
//! |---|---|---|
//! | `sequence`                 | `seq`  | enrollments in this sequence (id or name) |
//! | `status`                   |        | with this status |
//! | `step-at-least`            | `step` | at step n or later |
//! | `enrolled-before`          | `before` | enrolled before the day (a date or a relative day such as `7d`, `last monday`; see `domain::when`), in the user's zone |
//! | `enrolled-after`           | `after`  | enrolled after the day, i.e. from the next day on |
//! | `no-engagement-days`       | `quiet`  | enrolled at least n days ago and no open, click, reply or meeting in the last n days |
//! | `stale` (`is:stale`)       |        | stale (R11) |
//! | `enrolled-by`              | `by`   | enrolled by this user (email) |
//! | `owner`                    |        | contact owned by this user (email), or `none` |
//! | `company`                  |        | contact's company, whole and case-insensitive; `""` is no company |
//! | `lifecycle`                |        | contact's lifecycle stage: HubSpot's label or internal value, any case |
//! | `title`                    |        | contact's title contains the text |
//! | `email-domain`             | `domain` | contact's email is at this domain |
//! | `search` (bare words)      |        | name, email or company contains the text |
//!
//! Every text is taken literally: `%`, `_` and quotes are ordinary
//! characters, never patterns.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{Day, DomainError, Status};

/// A filter on enrollments and their contacts, as people write it: names
/// and emails, not ids. Empty lists and `None` mean "no condition".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Filter {
    pub sequences: Vec<String>,
    pub statuses: Vec<Status>,
    pub step_at_least: Option<i64>,
    pub enrolled_before: Option<Day>,
    pub enrolled_after: Option<Day>,
    pub no_engagement_days: Option<i64>,
    pub stale: bool,
    pub enrolled_by: Vec<String>,
    /// User emails; `none` for contacts without an owner.
    pub owners: Vec<String>,
    /// Whole company names; the empty string is "no company".
    pub companies: Vec<String>,
    pub lifecycles: Vec<String>,
    pub titles: Vec<String>,
    pub email_domains: Vec<String>,
    pub search: String,
}

/// One condition key: its name (also the CLI flag), its short form in the
/// one-line editor, and what it matches (for help and completion).
#[derive(Debug, Clone, Copy)]
pub struct FilterKey {
    pub name: &'static str,
    pub short: Option<&'static str>,
    pub help: &'static str,
}

/// Every key, in the order [`Filter::to_query`] writes them.
pub const FILTER_KEYS: &[FilterKey] = &[
    FilterKey {
        name: "sequence",
        short: Some("seq"),
        help: "in this sequence (name or id; repeat for any of several)",
    },
    FilterKey {
        name: "status",
        short: None,
        help: "active, paused, finished or unenrolled (comma list)",
    },
    FilterKey {
        name: "step-at-least",
        short: Some("step"),
        help: "at step n or later",
    },
    FilterKey {
        name: "enrolled-before",
        short: Some("before"),
        help: "enrolled before the day (2026-12-01, yesterday, 7d, last monday)",
    },
    FilterKey {
        name: "enrolled-after",
        short: Some("after"),
        help: "enrolled after the day (2026-12-01, yesterday, 7d, last monday)",
    },
    FilterKey {
        name: "no-engagement-days",
        short: Some("quiet"),
        help: "enrolled n+ days ago, no open, click, reply or meeting in n days",
    },
    FilterKey {
        name: "is",
        short: None,
        help: "is:stale, stale enrollments (R11)",
    },
    FilterKey {
        name: "enrolled-by",
        short: Some("by"),
        help: "enrolled by this user (email)",
    },
    FilterKey {
        name: "owner",
        short: None,
        help: "contact owner (email), or none",
    },
    FilterKey {
        name: "company",
        short: None,
        help: "company, whole name, any case; \"\" for no company",
    },
    FilterKey {
        name: "lifecycle",
        short: None,
        help: "lifecycle stage (lead, mql, sql, opportunity, customer, …)",
    },
    FilterKey {
        name: "title",
        short: None,
        help: "title contains the text",
    },
    FilterKey {
        name: "email-domain",
        short: Some("domain"),
        help: "email at this domain",
    },
    FilterKey {
        name: "search",
        short: None,
        help: "name, email or company contains the text (bare words too)",
    },
];

fn invalid(message: String) -> DomainError {
    DomainError::Invalid(message)
}

/// The key a name or short form stands for, as [`FILTER_KEYS`] lists it
/// (any case).
pub fn filter_key(typed: &str) -> Option<&'static FilterKey> {
    let typed = typed.trim().to_ascii_lowercase();
    FILTER_KEYS
        .iter()
        .find(|k| k.name == typed || k.short == Some(typed.as_str()))
}

/// The key a name or short form stands for, with the aliases the parser
/// also takes (`stale`, `text`).
fn canonical_key(key: &str) -> Option<&'static str> {
    let key = key.trim().to_ascii_lowercase();
    filter_key(&key).map(|k| k.name).or(match key.as_str() {
        "stale" => Some("stale"),
        "text" => Some("search"),
        _ => None,
    })
}

fn parse_day(key: &str, value: &str) -> Result<Day, DomainError> {
    Day::parse(value).map_err(|_| {
        invalid(format!(
            "{key} takes a day as YYYY-MM-DD or a relative day (yesterday, today, 7d, 2w, last monday), not '{}'",
            value.trim()
        ))
    })
}

fn parse_count(key: &str, value: &str, min: i64) -> Result<i64, DomainError> {
    match value.trim().parse::<i64>() {
        Ok(n) if (min..=100_000).contains(&n) => Ok(n),
        _ => Err(invalid(format!(
            "{key} takes a whole number from {min} to 100000, not '{}'",
            value.trim()
        ))),
    }
}

fn once<T>(slot: &mut Option<T>, key: &str, value: T) -> Result<(), DomainError> {
    if slot.is_some() {
        return Err(invalid(format!("{key} is given twice; give it once")));
    }
    *slot = Some(value);
    Ok(())
}

fn push_unique(list: &mut Vec<String>, value: String) {
    if !list.contains(&value) {
        list.push(value);
    }
}

fn nonempty(key: &str, value: &str) -> Result<String, DomainError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(invalid(format!("{key} needs a value")));
    }
    Ok(v.to_string())
}

fn user_email(key: &str, value: &str, allow_none: bool) -> Result<String, DomainError> {
    let v = nonempty(key, value)?;
    if allow_none && v.eq_ignore_ascii_case("none") {
        return Ok("none".into());
    }
    // The part before the @ (as tables show it) is resolved later, when
    // one user has it; `none` is never one.
    let local_part = !v.eq_ignore_ascii_case("none")
        && v.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-' | '\''));
    if !v.contains('@') && !local_part {
        return Err(invalid(format!(
            "{key} takes a user's email{} (or the part before the @ of one), not '{v}'",
            if allow_none { " or none" } else { "" }
        )));
    }
    Ok(v.to_lowercase())
}

impl Filter {
    /// The keys of the conditions on the enrollment itself (not its
    /// contact) this filter sets, in key order: what a contact list cannot
    /// take.
    pub fn enrollment_keys(&self) -> Vec<&'static str> {
        let mut keys = Vec::new();
        for (key, set) in [
            ("sequence", !self.sequences.is_empty()),
            ("status", !self.statuses.is_empty()),
            ("step-at-least", self.step_at_least.is_some()),
            ("enrolled-before", self.enrolled_before.is_some()),
            ("enrolled-after", self.enrolled_after.is_some()),
            ("no-engagement-days", self.no_engagement_days.is_some()),
            ("stale", self.stale),
            ("enrolled-by", !self.enrolled_by.is_empty()),
        ] {
            if set {
                keys.push(key);
            }
        }
        keys
    }

    /// True when the filter has no condition at all.
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }

    /// Adds one condition, as `--key value` on the command line or
    /// `key:value` in a query. The one place a condition's value is read.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), DomainError> {
        let name = canonical_key(key).ok_or_else(|| {
            let known: Vec<&str> = FILTER_KEYS.iter().map(|k| k.name).collect();
            invalid(format!(
                "unknown filter key '{}'; known keys: {}",
                key.trim(),
                known.join(", ")
            ))
        })?;
        match name {
            "sequence" => push_unique(&mut self.sequences, nonempty(name, value)?),
            "status" => {
                for part in value.split(',').filter(|p| !p.trim().is_empty()) {
                    let status: Status = part.parse()?;
                    if !self.statuses.contains(&status) {
                        self.statuses.push(status);
                    }
                }
                if value.split(',').all(|p| p.trim().is_empty()) {
                    return Err(invalid("status needs a value".into()));
                }
            }
            "step-at-least" => once(&mut self.step_at_least, name, parse_count(name, value, 1)?)?,
            "enrolled-before" => once(&mut self.enrolled_before, name, parse_day(name, value)?)?,
            "enrolled-after" => once(&mut self.enrolled_after, name, parse_day(name, value)?)?,
            "no-engagement-days" => once(
                &mut self.no_engagement_days,
                name,
                parse_count(name, value, 0)?,
            )?,
            "is" | "stale" => {
                let v = value.trim().to_ascii_lowercase();
                let on = match (name, v.as_str()) {
                    ("is", "stale") => true,
                    ("stale", "" | "yes" | "true") => true,
                    ("stale", "no" | "false") => false,
                    _ => {
                        return Err(invalid(format!(
                            "'{name}:{}' is not a filter; did you mean is:stale?",
                            value.trim()
                        )));
                    }
                };
                self.stale = on;
            }
            "enrolled-by" => push_unique(&mut self.enrolled_by, user_email(name, value, false)?),
            "owner" => push_unique(&mut self.owners, user_email(name, value, true)?),
            // An empty company is a condition of its own: no company.
            "company" => push_unique(&mut self.companies, value.trim().to_string()),
            // Kept as typed (lower-cased) so that the text reads back the
            // same; resolving maps a label or short name to the stored value.
            "lifecycle" => push_unique(&mut self.lifecycles, nonempty(name, value)?.to_lowercase()),
            "title" => push_unique(&mut self.titles, nonempty(name, value)?),
            "email-domain" => {
                let v = nonempty(name, value)?;
                let v = v.trim_start_matches('@').to_lowercase();
                if v.is_empty() || v.contains('@') || v.chars().any(char::is_whitespace) {
                    return Err(invalid(format!(
                        "email-domain takes a domain such as example.com, not '{}'",
                        value.trim()
                    )));
                }
                push_unique(&mut self.email_domains, v);
            }
            "search" => {
                let words: Vec<&str> = self
                    .search
                    .split_whitespace()
                    .chain(value.split_whitespace())
                    .collect();
                self.search = words.join(" ");
            }
            _ => unreachable!("canonical_key returns only known keys"),
        }
        Ok(())
    }

    /// Reads a one-line query (see the module documentation).
    pub fn parse(text: &str) -> Result<Filter, DomainError> {
        let mut filter = Filter::default();
        for term in tokens(text)? {
            match term {
                Term::Words(words) => filter.set("search", &words)?,
                Term::Key(key, value) => filter.set(&key, &value)?,
            }
        }
        Ok(filter)
    }

    /// The filter as a one-line query that [`Filter::parse`] reads back to
    /// the same filter; keys in a fixed order, canonical names.
    pub fn to_query(&self) -> String {
        let mut terms: Vec<String> = Vec::new();
        let mut add = |key: &str, value: &str| terms.push(format!("{key}:{}", quote_value(value)));
        for s in &self.sequences {
            add("sequence", s);
        }
        if !self.statuses.is_empty() {
            let list: Vec<&str> = self.statuses.iter().map(|s| s.as_str()).collect();
            add("status", &list.join(","));
        }
        if let Some(n) = self.step_at_least {
            add("step-at-least", &n.to_string());
        }
        if let Some(d) = &self.enrolled_before {
            add("enrolled-before", &d.to_string());
        }
        if let Some(d) = &self.enrolled_after {
            add("enrolled-after", &d.to_string());
        }
        if let Some(n) = self.no_engagement_days {
            add("no-engagement-days", &n.to_string());
        }
        if self.stale {
            add("is", "stale");
        }
        for (key, list) in [
            ("enrolled-by", &self.enrolled_by),
            ("owner", &self.owners),
            ("company", &self.companies),
            ("lifecycle", &self.lifecycles),
            ("title", &self.titles),
            ("email-domain", &self.email_domains),
        ] {
            for v in list {
                add(key, v);
            }
        }
        if !self.search.is_empty() {
            let plain = self
                .search
                .split_whitespace()
                .all(|w| !w.contains([':', '"', '\\']));
            if plain {
                terms.push(self.search.clone());
            } else {
                add("search", &self.search);
            }
        }
        terms.join(" ")
    }
}

/// A value as the query language writes it: bare when it can be, else in
/// double quotes with `"` and `\` escaped (also what the terminal UI's
/// completion inserts).
pub fn quote_value(value: &str) -> String {
    let bare = !value.is_empty()
        && !value
            .chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '\\' || c.is_control());
    if bare {
        return value.to_string();
    }
    let mut out = String::from("\"");
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

enum Term {
    Words(String),
    Key(String, String),
}

/// Splits a query into terms. A token `word:` whose word is made of
/// letters and `-` starts a key; anything else is free text.
fn tokens(text: &str) -> Result<Vec<Term>, DomainError> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut terms = Vec::new();
    let quoted = |i: &mut usize| -> Result<String, DomainError> {
        // chars[*i] is the opening quote
        *i += 1;
        let mut out = String::new();
        while *i < chars.len() {
            match chars[*i] {
                '"' => {
                    *i += 1;
                    return Ok(out);
                }
                '\\' if *i + 1 < chars.len() => {
                    out.push(chars[*i + 1]);
                    *i += 2;
                }
                c => {
                    out.push(c);
                    *i += 1;
                }
            }
        }
        Err(invalid(
            "a quoted value is not closed: add the ending \"".into(),
        ))
    };
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        if chars[i] == '"' {
            terms.push(Term::Words(quoted(&mut i)?));
            continue;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_ascii_alphabetic() || chars[i] == '-') {
            i += 1;
        }
        if i > start && i < chars.len() && chars[i] == ':' {
            let key: String = chars[start..i].iter().collect();
            i += 1;
            let value = if i < chars.len() && chars[i] == '"' {
                quoted(&mut i)?
            } else {
                let vstart = i;
                while i < chars.len() && !chars[i].is_whitespace() {
                    i += 1;
                }
                chars[vstart..i].iter().collect()
            };
            terms.push(Term::Key(key, value));
            continue;
        }
        while i < chars.len() && !chars[i].is_whitespace() {
            i += 1;
        }
        terms.push(Term::Words(chars[start..i].iter().collect()));
    }
    Ok(terms)
}

pub(super) fn days_before(now: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    now - Duration::days(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_key_and_reads_back_its_own_text() {
        let f = Filter::parse(
            r#"seq:"Q3 Outbound" sequence:7 status:active,paused step:3 before:2026-09-01
               after:2026-01-31 quiet:21 is:stale by:Rep@X.example owner:none
               company:"Acme \"Intl\" 100%_" company:"" lifecycle:Customer title:VP
               domain:@acme.example jane doe"#,
        )
        .unwrap();
        assert_eq!(f.sequences, vec!["Q3 Outbound", "7"]);
        assert_eq!(f.statuses, vec![Status::Active, Status::Paused]);
        assert_eq!(f.step_at_least, Some(3));
        assert_eq!(
            f.enrolled_before,
            chrono::NaiveDate::from_ymd_opt(2026, 9, 1).map(Day::Date)
        );
        assert_eq!(
            f.enrolled_after,
            chrono::NaiveDate::from_ymd_opt(2026, 1, 31).map(Day::Date)
        );
        assert_eq!(f.no_engagement_days, Some(21));
        assert!(f.stale);
        assert_eq!(f.enrolled_by, vec!["rep@x.example"]);
        assert_eq!(f.owners, vec!["none"]);
        assert_eq!(f.companies, vec![r#"Acme "Intl" 100%_"#, ""]);
        assert_eq!(f.lifecycles, vec!["customer"]);
        assert_eq!(f.titles, vec!["VP"]);
        assert_eq!(f.email_domains, vec!["acme.example"]);
        assert_eq!(f.search, "jane doe");
        assert_eq!(Filter::parse(&f.to_query()).unwrap(), f);
    }

    #[test]
    fn bad_values_are_one_sentence_each() {
        for (text, wanted) in [
            ("status:gone", "unknown status 'gone'"),
            ("step:0", "step-at-least takes a whole number from 1"),
            (
                "before:1/9/2026",
                "enrolled-before takes a day as YYYY-MM-DD",
            ),
            ("owner:\"bob smith\"", "owner takes a user's email or none"),
            ("colour:red", "unknown filter key 'colour'"),
            ("company:\"Acme", "a quoted value is not closed"),
            ("step:2 step:3", "step-at-least is given twice"),
            ("is:old", "did you mean is:stale"),
        ] {
            let e = Filter::parse(text).unwrap_err().to_string();
            assert!(e.contains(wanted), "{text}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn empty_query_is_the_empty_filter() {
        assert!(Filter::parse("  ").unwrap().is_empty());
        assert_eq!(Filter::default().to_query(), "");
    }

    #[test]
    fn free_text_with_a_colon_is_kept_as_text() {
        let f = Filter::parse(r#""re: hello" 10:30"#).unwrap();
        assert_eq!(f.search, "re: hello 10:30");
        assert_eq!(Filter::parse(&f.to_query()).unwrap(), f);
    }
}
