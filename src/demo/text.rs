//! Small text tools for the demo builder: stored time stamps written
//! without allocating, merge-field templates, and email-safe slugs.

use std::fmt::Write as _;

/// A stored time stamp (`format_time`'s `YYYY-MM-DDTHH:MM:SSZ`), written
/// from Unix seconds into a fixed buffer: the builder writes tens of
/// millions of them, and chrono's formatter would dominate the build.
#[derive(Clone, Copy)]
pub(super) struct Stamp([u8; 20]);

impl Stamp {
    pub(super) fn new(unix: i64) -> Stamp {
        let days = unix.div_euclid(86_400);
        let secs = unix.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        let year = year.clamp(0, 9999) as u32;
        let mut b = *b"0000-00-00T00:00:00Z";
        put(&mut b[0..4], year);
        put(&mut b[5..7], month);
        put(&mut b[8..10], day);
        put(&mut b[11..13], (secs / 3600) as u32);
        put(&mut b[14..16], (secs / 60 % 60) as u32);
        put(&mut b[17..19], (secs % 60) as u32);
        Stamp(b)
    }

    pub(super) fn as_str(&self) -> &str {
        // Only ASCII digits and separators are ever written.
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// The date part, `YYYY-MM-DD`.
    pub(super) fn date(&self) -> &str {
        &self.as_str()[..10]
    }
}

fn put(out: &mut [u8], mut value: u32) {
    for digit in out.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// Year, month, day of a count of days since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = (if mp < 10 { mp + 3 } else { mp - 9 }) as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The merge fields a demo template may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    FirstName,
    LastName,
    Company,
    SenderName,
}

impl Field {
    fn parse(name: &str) -> Option<Field> {
        match name.trim() {
            "first_name" => Some(Field::FirstName),
            "last_name" => Some(Field::LastName),
            "company" => Some(Field::Company),
            "sender_name" => Some(Field::SenderName),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Field(Field),
}

/// A subject or title split once into text and merge fields, so that
/// rendering it for a million contacts is a few string pushes.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Template(Vec<Piece>);

/// The values merge fields take for one contact and sender.
pub(super) struct Merge<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub company: &'a str,
    pub sender_name: &'a str,
}

impl Template {
    /// Parses `{{field}}` placeholders; an unknown field is an error naming it.
    pub(super) fn parse(text: &str) -> Result<Template, String> {
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                pieces.push(Piece::Text(rest[..open].to_string()));
            }
            let after = &rest[open + 2..];
            let close = after
                .find("}}")
                .ok_or_else(|| format!("unclosed merge field in '{text}'"))?;
            let name = &after[..close];
            let field = Field::parse(name)
                .ok_or_else(|| format!("unknown merge field '{{{{{name}}}}}'"))?;
            pieces.push(Piece::Field(field));
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_string()));
        }
        Ok(Template(pieces))
    }

    pub(super) fn render_into(&self, merge: &Merge<'_>, out: &mut String) {
        out.clear();
        for piece in &self.0 {
            out.push_str(match piece {
                Piece::Text(text) => text,
                Piece::Field(Field::FirstName) => merge.first_name,
                Piece::Field(Field::LastName) => merge.last_name,
                Piece::Field(Field::Company) => merge.company,
                Piece::Field(Field::SenderName) => merge.sender_name,
            });
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Appends `text` as an email-safe slug: lower-case ASCII letters and
/// digits, accents folded ("Søren" → "soren"), other characters dropped.
pub(super) fn push_slug(out: &mut String, text: &str) {
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        let folded = match c.to_lowercase().next().unwrap_or(c) {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => "a",
            'æ' => "ae",
            'ç' => "c",
            'é' | 'è' | 'ê' | 'ë' => "e",
            'í' | 'ì' | 'î' | 'ï' => "i",
            'ñ' => "n",
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' => "o",
            'ß' => "ss",
            'ú' | 'ù' | 'û' | 'ü' => "u",
            'ý' | 'ÿ' => "y",
            '-' => "-",
            _ => "",
        };
        out.push_str(folded);
    }
}

/// `name: n, name: n` — the detail format of the domain's unenroll entries.
pub(super) fn per_sequence_detail(parts: impl Iterator<Item = (String, u32)>) -> String {
    let mut detail = String::new();
    for (name, n) in parts {
        if !detail.is_empty() {
            detail.push_str(", ");
        }
        let _ = write!(detail, "{name}: {n}");
    }
    detail
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::format_time;
    use chrono::DateTime;

    #[test]
    fn stamps_match_the_store_format() {
        for unix in [
            0_i64,
            951_782_400,   // 2000-02-29
            1_700_000_000, // 2023-11-14
            1_798_761_599, // 2026-12-31T23:59:59
            4_102_444_800, // 2100-01-01
            -86_400,
        ] {
            let expected = format_time(DateTime::from_timestamp(unix, 0).unwrap());
            assert_eq!(Stamp::new(unix).as_str(), expected);
        }
        let mut unix = 1_600_000_000_i64;
        while unix < 1_900_000_000 {
            let expected = format_time(DateTime::from_timestamp(unix, 0).unwrap());
            assert_eq!(Stamp::new(unix).as_str(), expected);
            unix += 86_399 * 3 + 7;
        }
    }

    #[test]
    fn templates_render_merge_fields() {
        let t =
            Template::parse("Hi {{first_name}} at {{ company }}, from {{sender_name}}!").unwrap();
        let mut out = String::new();
        t.render_into(
            &Merge {
                first_name: "Ana",
                last_name: "Silva",
                company: "Bluepoint Labs",
                sender_name: "Maya Okafor",
            },
            &mut out,
        );
        assert_eq!(out, "Hi Ana at Bluepoint Labs, from Maya Okafor!");
        assert!(Template::parse("{{title}}").is_err());
        assert!(Template::parse("{{first_name").is_err());
    }

    #[test]
    fn slugs_are_ascii() {
        let mut out = String::new();
        push_slug(&mut out, "Søren O'Brien-Núñez");
        assert_eq!(out, "sorenobrien-nunez");
    }
}
