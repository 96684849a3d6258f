//! Text made safe to print on a terminal, the one rule both front ends use:
//! no control characters (so data can never send an escape sequence) and
//! no bidi overrides that would reorder a line.

use std::borrow::Cow;

/// Characters that would reorder or hide text if sent to the terminal:
/// the bidi embeddings, overrides and isolates, and the directional marks.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Data made safe to print: whitespace controls become a space, other
/// control characters (ESC, BEL, C1 …) become `�` so that something odd is
/// visible, and bidi controls are dropped. Never sends an escape sequence.
pub fn clean(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_bidi_control(c) {
            continue;
        }
        if matches!(c, '\t' | '\n' | '\r') {
            out.push(' ');
        } else if c.is_control() {
            out.push('\u{FFFD}');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// 100000 → "100,000": counts people read, in both front ends.
pub fn count(n: impl Into<i64>) -> String {
    let n: i64 = n.into();
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "1 task", "2 tasks", "12,345 emails".
pub fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_replaces_controls_and_drops_bidi() {
        assert_eq!(clean("a\x1b[31mb"), "a\u{FFFD}[31mb");
        assert_eq!(clean("line\nnext\ttab"), "line next tab");
        assert_eq!(clean("\u{202E}evil"), "evil");
        assert!(matches!(clean("plain"), Cow::Borrowed(_)));
    }
}
