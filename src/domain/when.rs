//! Times and days the way people type them (issue 17): the one parser for
//! every option that takes a time or a day (`--since`, `--until`,
//! `--enrolled-before`, …) and for the filter language's days. Local forms
//! are read in the user's zone ([`user_zone`]).
//!
//! Forms: RFC 3339 (`2026-12-01T09:00:00Z`); a date (`2026-12-01`, its
//! midnight); a local time (`2026-12-01 09:00`, `2026-12-01T09:00:30`);
//! `now`, `today`, `yesterday`, `tomorrow` (midnight); an amount of time
//! (`7d`, `2w`, `3h`, `30min`, `7 days`) ago, or ahead with `+` or `in`
//! (`+2d`, `in 3 days`; `-7d` and `7d ago` are explicit about the past) —
//! a bare amount goes the way the option looks (the past for `--since`,
//! the future for `--until`); `last monday` … `last sunday` and
//! `next monday` … (midnight).

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::Serialize;

use super::DomainError;

/// The accepted forms, in the sentence every error ends with.
pub const TIME_FORMS: &str = "use RFC 3339 (2026-12-01T09:00:00Z), a date (2026-12-01), a local time (2026-12-01 09:00), or yesterday, today, 7d, 2w, 3h, +2d, last monday";

/// The day forms, for options that take a day.
pub const DAY_FORMS: &str = "use a date (2026-12-01) or yesterday, today, 7d, 2w, last monday";

/// Which way a bare amount (`7d`) counts from now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toward {
    Past,
    Future,
}

/// The zone local times are read in: `tz` (the `TZ` variable: an IANA
/// name like `Europe/Berlin`, or a path ending in one, like
/// `:/usr/share/zoneinfo/Europe/Berlin`), else `configured` (the rules
/// file's `[dates] time_zone`), else UTC. A `TZ` that names no zone is
/// passed over.
pub fn user_zone(tz: Option<&str>, configured: Option<&str>) -> Tz {
    let from_tz = tz.and_then(|t| {
        let t = t.trim().trim_start_matches(':');
        t.parse::<Tz>().ok().or_else(|| {
            t.split_once("zoneinfo/")
                .and_then(|(_, name)| name.parse::<Tz>().ok())
        })
    });
    from_tz
        .or_else(|| configured.and_then(|c| c.trim().parse::<Tz>().ok()))
        .unwrap_or(Tz::UTC)
}

/// Reads times and days against one "now", in one zone.
#[derive(Debug, Clone, Copy)]
pub struct When {
    pub now: DateTime<Utc>,
    pub zone: Tz,
}

fn invalid(text: &str, forms: &str) -> DomainError {
    DomainError::Invalid(format!("'{}' is not a time; {forms}", text.trim()))
}

impl When {
    pub fn new(now: DateTime<Utc>, zone: Tz) -> When {
        When { now, zone }
    }

    /// An instant, in any of the module's forms.
    pub fn instant(&self, text: &str, toward: Toward) -> Result<DateTime<Utc>, DomainError> {
        absolute(text, self.zone)
            .or_else(|| self.relative(text, toward))
            .ok_or_else(|| invalid(text, TIME_FORMS))
    }

    /// A day (of the user's zone): a date, or the day of a relative form.
    pub fn day(&self, text: &str, toward: Toward) -> Result<NaiveDate, DomainError> {
        if let Some(d) = date(text) {
            return Ok(d);
        }
        self.relative(text, toward)
            .map(|t| t.with_timezone(&self.zone).date_naive())
            .ok_or_else(|| invalid(text, DAY_FORMS))
    }

    /// The first instant of `day` in the zone (midnight, or the first
    /// moment after a gap that swallows it).
    pub fn day_start(&self, day: NaiveDate) -> DateTime<Utc> {
        local_start(day, self.zone)
    }

    fn today(&self) -> NaiveDate {
        self.now.with_timezone(&self.zone).date_naive()
    }

    fn relative(&self, text: &str, toward: Toward) -> Option<DateTime<Utc>> {
        let text = text.trim().to_lowercase();
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let today = self.today();
        let midnight = |d: NaiveDate| Some(self.day_start(d));
        match text.as_str() {
            "now" => return Some(self.now),
            "today" => return midnight(today),
            "yesterday" => return midnight(today - Duration::days(1)),
            "tomorrow" => return midnight(today + Duration::days(1)),
            _ => {}
        }
        if let Some((which, day)) = text.split_once(' ')
            && let Some(weekday) = weekday(day)
        {
            let step = match which {
                "last" => -1,
                "next" => 1,
                _ => return None,
            };
            let mut d = today + Duration::days(step);
            while d.weekday() != weekday {
                d += Duration::days(step);
            }
            return midnight(d);
        }
        let (sign, rest) = if let Some(rest) = text.strip_prefix('+') {
            (Some(Toward::Future), rest)
        } else if let Some(rest) = text.strip_prefix("in ") {
            (Some(Toward::Future), rest)
        } else if let Some(rest) = text.strip_prefix('-') {
            (Some(Toward::Past), rest)
        } else if let Some(rest) = text.strip_suffix(" ago") {
            (Some(Toward::Past), rest)
        } else {
            (None, text.as_str())
        };
        let rest = rest.trim();
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 || digits > 6 {
            return None;
        }
        let amount: i64 = rest[..digits].parse().ok()?;
        let unit = rest[digits..].trim();
        let span = match unit {
            "min" | "mins" | "minute" | "minutes" => Duration::minutes(amount),
            "h" | "hour" | "hours" => Duration::hours(amount),
            "d" | "day" | "days" => Duration::days(amount),
            "w" | "week" | "weeks" => Duration::weeks(amount),
            _ => return None,
        };
        match sign.unwrap_or(toward) {
            Toward::Past => self.now.checked_sub_signed(span),
            Toward::Future => self.now.checked_add_signed(span),
        }
    }
}

fn weekday(name: &str) -> Option<Weekday> {
    let all = [
        ("monday", Weekday::Mon),
        ("tuesday", Weekday::Tue),
        ("wednesday", Weekday::Wed),
        ("thursday", Weekday::Thu),
        ("friday", Weekday::Fri),
        ("saturday", Weekday::Sat),
        ("sunday", Weekday::Sun),
    ];
    all.iter()
        .find(|(full, _)| *full == name || (name.len() >= 3 && full.starts_with(name)))
        .map(|(_, d)| *d)
}

fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

fn local_start(day: NaiveDate, zone: Tz) -> DateTime<Utc> {
    let mut t = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    // A gap at midnight (some zones change there): the first hour after.
    for _ in 0..4 {
        if let Some(local) = zone.from_local_datetime(&t).earliest() {
            return local.with_timezone(&Utc);
        }
        t += Duration::hours(1);
    }
    t.and_utc()
}

/// An absolute time: RFC 3339 (any offset), a date (midnight in `zone`),
/// or a local date-time in `zone` (`2026-12-01 09:00`, seconds optional,
/// `T` or a space). A local time that does not exist (skipped by a clock
/// change) is not a time; one that exists twice is the earlier.
pub fn absolute(text: &str, zone: Tz) -> Option<DateTime<Utc>> {
    use chrono::SubsecRound;
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc).trunc_subsecs(0));
    }
    if let Some(d) = date(text) {
        return Some(local_start(d, zone));
    }
    for format in [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return zone
                .from_local_datetime(&t)
                .earliest()
                .map(|l| l.with_timezone(&Utc));
        }
    }
    None
}

/// A day as a filter keeps it: a date, or a relative form kept as typed
/// (normalised) so that a saved list's "7d" stays seven days before each
/// use. Serialised as its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Day {
    Date(NaiveDate),
    Relative(String),
}

impl Day {
    /// Reads a day form without a clock: a date, or a relative form that
    /// [`When::day`] can read (checked against a fixed clock).
    pub fn parse(text: &str) -> Result<Day, DomainError> {
        if let Some(d) = date(text) {
            return Ok(Day::Date(d));
        }
        let normal = text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        let probe = When::new(
            DateTime::<Utc>::UNIX_EPOCH + Duration::days(20_000),
            Tz::UTC,
        );
        probe.day(&normal, Toward::Past)?;
        Ok(Day::Relative(normal))
    }

    /// The date this day is at `when` (relative forms count back).
    pub fn date(&self, when: &When) -> Result<NaiveDate, DomainError> {
        match self {
            Day::Date(d) => Ok(*d),
            Day::Relative(text) => when.day(text, Toward::Past),
        }
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Day::Date(d) => write!(f, "{d}"),
            Day::Relative(text) => f.write_str(text),
        }
    }
}

impl Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl std::str::FromStr for Day {
    type Err = DomainError;
    fn from_str(text: &str) -> Result<Day, DomainError> {
        Day::parse(text)
    }
}

impl From<NaiveDate> for Day {
    fn from(d: NaiveDate) -> Day {
        Day::Date(d)
    }
}

/// A time for people: `2026-12-01 09:00 CET`, in `zone`, with its zone.
pub fn show(t: DateTime<Utc>, zone: Tz) -> String {
    t.with_timezone(&zone)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    /// Wednesday 2 December 2026, 10:30 in Berlin (09:30 UTC).
    fn berlin() -> When {
        When::new(at("2026-12-02T09:30:00Z"), "Europe/Berlin".parse().unwrap())
    }

    #[test]
    fn absolute_forms_in_the_zone() {
        let w = berlin();
        let past = Toward::Past;
        assert_eq!(
            w.instant("2026-12-01T09:00:00Z", past).unwrap(),
            at("2026-12-01T09:00:00Z")
        );
        assert_eq!(
            w.instant("2026-12-01", past).unwrap(),
            at("2026-11-30T23:00:00Z")
        );
        assert_eq!(
            w.instant("2026-12-01 09:00", past).unwrap(),
            at("2026-12-01T08:00:00Z")
        );
        assert_eq!(
            w.instant("2026-12-01T09:00:30", past).unwrap(),
            at("2026-12-01T08:00:30Z")
        );
        // Summer time: +02:00.
        assert_eq!(
            w.instant("2026-07-01 09:00", past).unwrap(),
            at("2026-07-01T07:00:00Z")
        );
        // Skipped by the clock change (29 March 2026, 02:00 → 03:00).
        assert!(w.instant("2026-03-29 02:30", past).is_err());
    }

    #[test]
    fn relative_forms() {
        let w = berlin();
        let past = Toward::Past;
        assert_eq!(w.instant("now", past).unwrap(), at("2026-12-02T09:30:00Z"));
        assert_eq!(
            w.instant("today", past).unwrap(),
            at("2026-12-01T23:00:00Z")
        );
        assert_eq!(
            w.instant("Yesterday", past).unwrap(),
            at("2026-11-30T23:00:00Z")
        );
        assert_eq!(
            w.instant("tomorrow", past).unwrap(),
            at("2026-12-02T23:00:00Z")
        );
        assert_eq!(w.instant("7d", past).unwrap(), at("2026-11-25T09:30:00Z"));
        assert_eq!(
            w.instant("7d", Toward::Future).unwrap(),
            at("2026-12-09T09:30:00Z")
        );
        assert_eq!(
            w.instant("7d ago", Toward::Future).unwrap(),
            at("2026-11-25T09:30:00Z")
        );
        assert_eq!(w.instant("+2w", past).unwrap(), at("2026-12-16T09:30:00Z"));
        assert_eq!(
            w.instant("in 3 days", past).unwrap(),
            at("2026-12-05T09:30:00Z")
        );
        assert_eq!(w.instant("3h", past).unwrap(), at("2026-12-02T06:30:00Z"));
        assert_eq!(
            w.instant("30min", past).unwrap(),
            at("2026-12-02T09:00:00Z")
        );
        // Wednesday: last Monday is 30 November; last Wednesday a week ago.
        assert_eq!(
            w.instant("last monday", past).unwrap(),
            at("2026-11-29T23:00:00Z")
        );
        assert_eq!(
            w.instant("last wed", past).unwrap(),
            at("2026-11-24T23:00:00Z")
        );
        assert_eq!(
            w.instant("next monday", past).unwrap(),
            at("2026-12-06T23:00:00Z")
        );
    }

    #[test]
    fn days() {
        let w = berlin();
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(w.day("2026-11-01", Toward::Past).unwrap(), d(2026, 11, 1));
        assert_eq!(w.day("yesterday", Toward::Past).unwrap(), d(2026, 12, 1));
        assert_eq!(w.day("2w", Toward::Past).unwrap(), d(2026, 11, 18));
        assert_eq!(Day::parse("7D").unwrap(), Day::Relative("7d".into()));
        assert_eq!(
            Day::parse("Last  Monday").unwrap().to_string(),
            "last monday"
        );
        assert_eq!(Day::parse("2026-11-01").unwrap(), Day::Date(d(2026, 11, 1)));
        assert!(Day::parse("soon").is_err());
    }

    #[test]
    fn errors_name_the_forms() {
        let e = berlin()
            .instant("next week-ish", Toward::Past)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("'next week-ish' is not a time; use RFC 3339"),
            "{e}"
        );
        assert!(
            e.contains("2026-12-01 09:00") && e.contains("last monday"),
            "{e}"
        );
        assert!(
            berlin().instant("7m", Toward::Past).is_err(),
            "months or minutes: neither"
        );
        assert!(berlin().instant("99999999d", Toward::Past).is_err());
    }

    #[test]
    fn the_users_zone() {
        assert_eq!(
            user_zone(Some("Europe/Berlin"), Some("America/New_York")),
            Tz::Europe__Berlin
        );
        assert_eq!(
            user_zone(Some(":/usr/share/zoneinfo/Asia/Tokyo"), None),
            Tz::Asia__Tokyo
        );
        assert_eq!(
            user_zone(Some("nonsense"), Some("America/New_York")),
            Tz::America__New_York
        );
        assert_eq!(user_zone(None, None), Tz::UTC);
        assert_eq!(
            show(at("2026-12-01T08:00:00Z"), Tz::Europe__Berlin),
            "2026-12-01 09:00 CET"
        );
    }
}
