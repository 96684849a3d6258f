//! Text for the terminal: data made safe to print (no control characters,
//! no bidi overrides that would reorder a row) and fitted to a column by
//! display width, so that long names, emoji and CJK keep columns aligned.
//! Also the small formatters every view shares (counts, dates, rates).

use chrono::Datelike;
use unicode_width::UnicodeWidthStr;

use crate::domain::Timestamp;

pub use crate::text::{clean, count, plural};

use crate::domain::{EndReason, Status};

/// An end reason as people read it ("not a fit", "conversation moved
/// elsewhere"): the one label every screen and dialog uses, from the
/// domain's code ("not_a_fit") as the store and the audit log keep it.
pub fn reason_label(code: &str) -> String {
    match code.parse::<EndReason>() {
        Ok(reason) => reason.label().to_string(),
        Err(_) => code.replace('_', " "),
    }
}

/// "unenrolled (not a fit)", "finished", "active": a status with its end
/// reason's label.
pub fn status_label(status: Status, reason: Option<EndReason>) -> String {
    match reason {
        Some(r) if status == Status::Unenrolled => format!("unenrolled ({})", r.label()),
        _ => status.to_string(),
    }
}

/// Display width in terminal cells.
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// `text`, cleaned and cut to at most `max` cells, ending in `…` when cut.
pub fn fit(text: &str, max: usize) -> String {
    let text = clean(text);
    if width(&text) <= max {
        return text.into_owned();
    }
    if max == 0 {
        return String::new();
    }
    // The longest prefix (on a char boundary) that leaves a cell for the
    // ellipsis. Prefix width never shrinks as the prefix grows, so a binary
    // search over the boundaries finds it without measuring every prefix.
    let mut bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    bounds.push(text.len());
    let room = max - 1;
    let (mut lo, mut hi) = (0usize, bounds.len() - 1);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if width(&text[..bounds[mid]]) <= room {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let mut cut = String::with_capacity(bounds[lo] + 4);
    cut.push_str(&text[..bounds[lo]]);
    cut.push('…');
    // A wide character that no longer fits leaves one cell: a space keeps
    // the column its width.
    if width(&cut) < max {
        cut.push(' ');
    }
    cut
}

/// `text` fitted to exactly `cells` cells (cut or padded with spaces).
pub fn pad(text: &str, cells: usize) -> String {
    let mut out = fit(text, cells);
    let w = width(&out);
    out.extend(std::iter::repeat_n(' ', cells.saturating_sub(w)));
    out
}

/// `text` fitted to exactly `cells` cells, aligned right.
pub fn pad_left(text: &str, cells: usize) -> String {
    let cut = fit(text, cells);
    let w = width(&cut);
    let mut out = " ".repeat(cells.saturating_sub(w));
    out.push_str(&cut);
    out
}

/// `text`, cleaned and broken at spaces into lines of at most `width`
/// cells (a word longer than a line is cut).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let text = clean(text);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let word = fit(word, width);
        if !line.is_empty() && self::width(&line) + 1 + self::width(&word) > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// 0.1234 → "12.3%".
pub fn rate(r: f64) -> String {
    if r.is_finite() {
        format!("{:.1}%", r * 100.0)
    } else {
        "–".into()
    }
}

/// A date in a column: "Nov 30" within the year of `now`, else "2025-11-30".
pub fn day(t: Timestamp, now: Timestamp) -> String {
    if t.year() == now.year() {
        t.format("%b %d").to_string()
    } else {
        t.format("%Y-%m-%d").to_string()
    }
}

/// A time in a list: "Nov 30 14:05" within the year of `now`, else with year.
pub fn moment(t: Timestamp, now: Timestamp) -> String {
    if t.year() == now.year() {
        t.format("%b %d %H:%M").to_string()
    } else {
        t.format("%Y-%m-%d %H:%M").to_string()
    }
}

/// The part of an email before the `@` (owners in narrow columns).
pub fn local_part(email: &str) -> &str {
    email.split_once('@').map_or(email, |(local, _)| local)
}

/// `text` after `lead` spaces, broken at spaces into lines of at most
/// `inner` cells, the lines after the first indented by `indent` (a word
/// longer than a line is cut, as [`wrap`] does): a sentence shown whole
/// under a count or a bullet.
pub fn hanging(lead: usize, text: &str, indent: usize, inner: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = " ".repeat(lead);
    let mut empty = true;
    // A word fits a line wherever it lands.
    let longest = inner.saturating_sub(lead.max(indent)).max(1);
    for word in clean(text).split_whitespace() {
        let word = fit(word, longest);
        if !empty && width(&line) + 1 + width(&word) > inner {
            lines.push(std::mem::replace(&mut line, " ".repeat(indent)));
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(&word);
        empty = false;
    }
    if !empty || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_cuts_by_display_width() {
        assert_eq!(fit("hello", 10), "hello");
        assert_eq!(fit("hello world", 6), "hello…");
        assert_eq!(width(&fit("東京都港区六本木", 7)), 7);
        assert_eq!(fit("東京都港区", 6), "東京… ");
        assert_eq!(width(&fit("😀😀😀😀", 5)), 5);
        assert_eq!(fit("abc", 0), "");
        assert_eq!(fit("abc", 1), "…");
        assert_eq!(width(&pad("שלום עולם", 12)), 12);
    }

    #[test]
    fn wrap_breaks_at_spaces() {
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), ["abc…"]);
        assert_eq!(wrap("", 4), [""]);
    }

    #[test]
    fn counts_have_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(100000), "100,000");
        assert_eq!(count(1234567), "1,234,567");
    }
}
