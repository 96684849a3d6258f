//! The one-line query editor of the All enrollments view: the text being
//! typed, the completion candidates for the term at its end, and the
//! sentence of the last failed apply. The language is the domain's
//! (`crate::domain::Filter`, see `src/domain/filter.rs`); this module only
//! proposes keys (`FILTER_KEYS`) and the values the app already holds
//! (statuses, `is:stale`, sequence names, user emails). Plain state and
//! pure functions: no store, no drawing.

use crate::domain::{FILTER_KEYS, Status, filter_key, quote_value};

/// One completion the popup offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// What the popup shows ("sequence:", "Q4 Mid-Market Outbound").
    pub label: String,
    /// For a key, its short form and what it matches; empty for a value.
    pub help: String,
    /// The text that replaces the term being typed.
    pub insert: String,
}

/// What completion may propose besides the fixed words: the names the app
/// has already read (the Sequences list, the workspace's users).
#[derive(Debug, Clone, Default)]
pub struct Known<'a> {
    pub sequences: Vec<&'a str>,
    pub users: &'a [String],
}

/// The editor while it is open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryEditor {
    /// The query as typed; typing and deleting happen at its end.
    pub text: String,
    /// Why the last Enter did not apply it (the domain's sentence).
    pub error: Option<String>,
    /// Completions for the term at the end of the text.
    pub candidates: Vec<Candidate>,
    /// The candidate Tab takes (↑/↓ move it).
    pub selected: usize,
    /// A key whose values are not known here: what it takes, shown instead.
    pub key_help: Option<String>,
}

impl QueryEditor {
    /// The editor on an applied query: the cursor after it, ready for one
    /// more term.
    pub fn open(query: &str, known: &Known<'_>) -> QueryEditor {
        let mut text = query.trim().to_string();
        if !text.is_empty() {
            text.push(' ');
        }
        let mut editor = QueryEditor {
            text,
            ..QueryEditor::default()
        };
        editor.refresh(known);
        editor
    }

    /// Reads the text again for completions (after an edit, or when the
    /// known names arrive).
    pub fn refresh(&mut self, known: &Known<'_>) {
        let (candidates, key_help) = complete(&self.text, known);
        self.candidates = candidates;
        self.key_help = key_help;
        self.selected = 0;
    }

    pub fn push(&mut self, c: char, known: &Known<'_>) {
        self.text.push(c);
        self.error = None;
        self.refresh(known);
    }

    pub fn pop(&mut self, known: &Known<'_>) {
        self.text.pop();
        self.error = None;
        self.refresh(known);
    }

    /// ↑/↓ in the popup.
    pub fn choose(&mut self, delta: isize) {
        if self.candidates.is_empty() {
            return;
        }
        let last = self.candidates.len() - 1;
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    /// Tab: the chosen candidate replaces the term being typed. Returns
    /// whether anything changed.
    pub fn take(&mut self, known: &Known<'_>) -> bool {
        let Some(c) = self.candidates.get(self.selected).cloned() else {
            return false;
        };
        let start = term_start(&self.text);
        self.text.truncate(start);
        self.text.push_str(&c.insert);
        self.error = None;
        self.refresh(known);
        true
    }
}

/// Where the term at the end of `text` starts: after the last space that
/// is not inside double quotes.
pub fn term_start(text: &str) -> usize {
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if quoted {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                quoted = false;
            }
        } else if c == '"' {
            quoted = true;
        } else if c.is_whitespace() {
            start = i + c.len_utf8();
        }
    }
    start
}

/// A value as typed so far: without its opening quote and escapes.
fn typed_value(raw: &str) -> String {
    let Some(rest) = raw.strip_prefix('"') else {
        return raw.to_string();
    };
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            '"' => break,
            c => out.push(c),
        }
    }
    out
}

/// `values` that start with `prefix` (any case) first, then those that
/// contain it elsewhere.
fn matching<'a>(values: impl Iterator<Item = &'a str> + Clone, prefix: &str) -> Vec<&'a str> {
    let p = prefix.to_lowercase();
    let mut out: Vec<&str> = values
        .clone()
        .filter(|v| v.to_lowercase().starts_with(&p))
        .collect();
    if !p.is_empty() {
        out.extend(values.filter(|v| {
            let v = v.to_lowercase();
            !v.starts_with(&p) && v.contains(&p)
        }));
    }
    out
}

/// The completions for the term at the end of `text`, and for a key whose
/// values are not known here, what it takes.
pub fn complete(text: &str, known: &Known<'_>) -> (Vec<Candidate>, Option<String>) {
    let term = &text[term_start(text)..];
    let split = term.find(':').filter(|&at| {
        at > 0
            && term[..at]
                .chars()
                .all(|c| c.is_ascii_alphabetic() || c == '-')
    });
    let Some(at) = split else {
        // A key being typed (or nothing yet): the keys it may start.
        if term.starts_with('"') {
            return (Vec::new(), None);
        }
        let typed = term.to_ascii_lowercase();
        let candidates = FILTER_KEYS
            .iter()
            .filter_map(|k| {
                let word = if k.name.starts_with(&typed) {
                    k.name
                } else {
                    k.short.filter(|s| s.starts_with(&typed))?
                };
                let help = match k.short {
                    Some(s) => format!("{s}: · {}", k.help),
                    None => k.help.to_string(),
                };
                Some(Candidate {
                    label: format!("{}:", k.name),
                    help,
                    insert: format!("{word}:"),
                })
            })
            .collect();
        return (candidates, None);
    };
    let (typed_key, raw) = (&term[..at], &term[at + 1..]);
    let Some(key) = filter_key(typed_key) else {
        return (Vec::new(), None);
    };
    let value = typed_value(raw);
    let whole = |v: &str| format!("{typed_key}:{} ", quote_value(v));
    let candidates: Vec<Candidate> = match key.name {
        "status" => {
            // A comma list: complete its last part.
            let (done, part) = match value.rfind(',') {
                Some(i) => (&value[..=i], &value[i + 1..]),
                None => ("", value.as_str()),
            };
            let names = Status::ALL
                .iter()
                .map(|s| s.as_str())
                .filter(|s| !done.split(',').any(|d| d.trim().eq_ignore_ascii_case(s)));
            matching(names, part)
                .into_iter()
                .map(|s| Candidate {
                    label: s.to_string(),
                    help: String::new(),
                    insert: format!("{typed_key}:{done}{s} "),
                })
                .collect()
        }
        "is" => value_candidates(matching(["stale"].into_iter(), &value), whole),
        "sequence" => value_candidates(matching(known.sequences.iter().copied(), &value), whole),
        "owner" => value_candidates(
            matching(
                std::iter::once("none").chain(known.users.iter().map(String::as_str)),
                &value,
            ),
            whole,
        ),
        "enrolled-by" => value_candidates(
            matching(known.users.iter().map(String::as_str), &value),
            whole,
        ),
        _ => return (Vec::new(), Some(format!("{}: {}", key.name, key.help))),
    };
    // A term already complete needs no popup.
    if candidates.len() == 1 && candidates[0].insert.trim_end() == term {
        return (Vec::new(), None);
    }
    (candidates, None)
}

fn value_candidates(values: Vec<&str>, whole: impl Fn(&str) -> String) -> Vec<Candidate> {
    values
        .into_iter()
        .map(|v| Candidate {
            label: v.to_string(),
            help: String::new(),
            insert: whole(v),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known<'a>(sequences: &'a [String], users: &'a [String]) -> Known<'a> {
        Known {
            sequences: sequences.iter().map(String::as_str).collect(),
            users,
        }
    }

    #[test]
    fn terms_end_at_spaces_outside_quotes() {
        assert_eq!(term_start("status:active seq:Q4"), 14);
        assert_eq!(term_start(r#"seq:"Q4 Mid"#), 0);
        assert_eq!(term_start(r#"seq:"a \" b" own"#), 13);
        assert_eq!(term_start("acme "), 5);
    }

    #[test]
    fn keys_complete_from_their_names_and_short_forms() {
        let (all, _) = complete("", &Known::default());
        assert_eq!(all.len(), FILTER_KEYS.len());
        let (c, _) = complete("status:active qu", &Known::default());
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].label, "no-engagement-days:");
        assert_eq!(c[0].insert, "quiet:", "the short form typed is kept");
        let (c, _) = complete("se", &Known::default());
        let labels: Vec<&str> = c.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["sequence:", "search:"]);
        assert!(complete("acme", &Known::default()).0.is_empty());
    }

    #[test]
    fn values_complete_from_what_the_app_knows() {
        let seqs = vec!["Q4 Mid-Market Outbound".to_string(), "Trial Nurture".into()];
        let users = vec!["ann@x.example".to_string()];
        let (c, _) = complete("seq:mid", &known(&seqs, &users));
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].insert, r#"seq:"Q4 Mid-Market Outbound" "#);
        let (c, _) = complete(r#"sequence:"Tri"#, &known(&seqs, &users));
        assert_eq!(c[0].insert, r#"sequence:"Trial Nurture" "#);
        let (c, _) = complete("owner:", &known(&seqs, &users));
        let labels: Vec<&str> = c.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["none", "ann@x.example"]);
        let (c, _) = complete("status:active,p", &Known::default());
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].insert, "status:active,paused ");
        let (c, _) = complete("is:", &Known::default());
        assert_eq!(c[0].insert, "is:stale ");
        // A complete term needs nothing more.
        assert!(complete("status:active", &Known::default()).0.is_empty());
        // Values not known here: the key says what it takes.
        let (c, help) = complete("before:", &Known::default());
        assert!(c.is_empty());
        assert!(
            help.unwrap()
                .starts_with("enrolled-before: enrolled before the day")
        );
    }

    #[test]
    fn tab_takes_the_chosen_candidate() {
        let seqs = vec!["Q4 Mid-Market Outbound".to_string(), "Trial Nurture".into()];
        let k = &known(&seqs, &[]);
        let mut e = QueryEditor::open("status:active", k);
        assert_eq!(e.text, "status:active ");
        assert_eq!(e.candidates.len(), FILTER_KEYS.len());
        for c in "seq".chars() {
            e.push(c, k);
        }
        assert!(e.take(k));
        assert_eq!(
            e.text, "status:active sequence:",
            "the whole name it starts"
        );
        assert_eq!(e.candidates.len(), 2);
        e.choose(1);
        assert!(e.take(k));
        assert_eq!(e.text, r#"status:active sequence:"Trial Nurture" "#);
        assert!(crate::domain::Filter::parse(&e.text).is_ok());
    }
}
