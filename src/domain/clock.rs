//! The clock every operation reads "now" from: the system clock, or a
//! fixed instant (`--now`) so that scripts and tests are deterministic.

use chrono::{DateTime, Datelike, SubsecRound, Utc};

use super::DomainError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    System,
    Fixed(DateTime<Utc>),
}

impl Clock {
    /// Now, to the second (the precision the store keeps).
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now().trunc_subsecs(0),
            Clock::Fixed(t) => *t,
        }
    }

    /// Parses an RFC 3339 time (`2026-11-27T09:00:00Z`, any offset), in
    /// [`CLOCK_YEARS`].
    pub fn parse(text: &str) -> Result<Clock, DomainError> {
        Clock::parse_in(text, chrono_tz::Tz::UTC)
    }

    /// Parses an absolute time ([`super::when::absolute`]: RFC 3339, a
    /// date or a local date-time in `zone`), in [`CLOCK_YEARS`]. Relative
    /// forms are refused: a fixed clock is for runs that repeat exactly.
    pub fn parse_in(text: &str, zone: chrono_tz::Tz) -> Result<Clock, DomainError> {
        let t = super::when::absolute(text, zone).ok_or_else(|| {
            DomainError::Invalid(format!(
                "'{}' is not a time; --now takes an absolute time: RFC 3339 (2026-12-01T09:00:00Z), a date (2026-12-01) or a local time (2026-12-01 09:00)",
                text.trim()
            ))
        })?;
        if !CLOCK_YEARS.contains(&t.year()) {
            return Err(DomainError::Invalid(format!(
                "'{}' is outside the years the clock accepts ({} to {})",
                text.trim(),
                CLOCK_YEARS.start(),
                CLOCK_YEARS.end()
            )));
        }
        Ok(Clock::Fixed(t))
    }
}

/// The years a fixed clock (`--now`) may be set to. Every time seqtui
/// stores is "now" plus at most a sequence's delays, and the store's text
/// form holds four-digit years only: a clock in 9999 scheduled steps in
/// year 10000, which read back as 1970 and were sent at once. A thousand
/// years of room above any real date, and nothing before the Unix epoch.
pub const CLOCK_YEARS: std::ops::RangeInclusive<i32> = 1970..=2999;

/// An RFC 3339 time, or a plain date (`2026-11-27`, midnight UTC).
pub fn parse_instant(text: &str) -> Result<DateTime<Utc>, DomainError> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc).trunc_subsecs(0));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(t.and_utc());
    }
    Err(DomainError::Invalid(format!(
        "'{text}' is not a time; use RFC 3339 like 2026-11-27T09:00:00Z or a date like 2026-11-27"
    )))
}
