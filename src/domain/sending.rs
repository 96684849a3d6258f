//! R19, sending like a person: automatic emails go out on a sequence's
//! sending days inside its sending window, in its time zone, and no sender
//! sends more than the rules file's daily cap in one day.
//!
//! Decisions:
//! - The zone is the sequence's `time_zone` setting: the sequence speaks
//!   for its sender (a per-user zone could override it later). The cap's
//!   "day" is the calendar day in that zone too.
//! - Only automatic emails wait for the window and count toward the cap.
//!   Task, call and manual-email steps are created at their due time (a
//!   task waits in the rep's queue; the rep chooses when to act).
//! - A step that does not fit moves to the next slot: outside the window,
//!   the next opening of the window on a sending day; over the cap, the
//!   opening of the next sending day. Its enrollment's later scheduled
//!   steps move later by the same amount, so their spacing is kept. Steps
//!   moved to the same slot keep their order: the walk orders equal due
//!   times by the time each was due before its first move.
//! - A daylight-saving change is followed: the window opens at 08:00 local
//!   time whatever the UTC offset that day; an opening inside a skipped
//!   hour (spring forward) is the first instant after the gap.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Weekday};
use chrono_tz::Tz;
use serde::Serialize;

use super::Timestamp;

/// The local part of a List-Unsubscribe mailto address before the token:
/// `unsubscribe+TOKEN@DOMAIN`.
pub const UNSUBSCRIBE_LOCAL_PREFIX: &str = "unsubscribe+";

/// The token of a List-Unsubscribe address (`unsubscribe+TOKEN@…`, any
/// case), when `address` is one: 32 to 64 hex digits. The domain is not
/// checked: the token is the secret, and mail reaches `ingest` only from
/// the team's own mailbox.
pub fn unsubscribe_token_of(address: &str) -> Option<String> {
    let address = address.trim().trim_start_matches('<').trim_end_matches('>');
    let (local, _) = address.rsplit_once('@')?;
    let local = local.to_ascii_lowercase();
    let token = local.strip_prefix(UNSUBSCRIBE_LOCAL_PREFIX)?;
    is_token(token).then(|| token.to_string())
}

/// Whether `text` looks like a List-Unsubscribe token: 32 to 64 lower-case
/// hex digits.
pub fn is_token(text: &str) -> bool {
    (32..=64).contains(&text.len())
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

/// A sequence's sending window, ready to answer "may it send at…".
#[derive(Debug, Clone)]
pub struct SendingWindow {
    tz: Tz,
    start: NaiveTime,
    end: NaiveTime,
    /// Monday first.
    days: [bool; 7],
}

impl Default for SendingWindow {
    /// SPEC R19's default: Monday–Friday 08:00–18:00, UTC.
    fn default() -> Self {
        SendingWindow {
            tz: Tz::UTC,
            start: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default(),
            end: NaiveTime::from_hms_opt(18, 0, 0).unwrap_or_default(),
            days: [true, true, true, true, true, false, false],
        }
    }
}

impl SendingWindow {
    /// From a sequence's stored settings (`HH:MM`, `HH:MM`, `mon,tue,…`,
    /// an IANA zone). They were checked when saved; a value that still
    /// does not read keeps the default for that part.
    pub fn from_settings(start: &str, end: &str, days: &str, zone: &str) -> SendingWindow {
        let mut w = SendingWindow::default();
        let clock = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").ok();
        if let (Some(s), Some(e)) = (clock(start), clock(end))
            && s < e
        {
            w.start = s;
            w.end = e;
        }
        let mut named = [false; 7];
        for d in days.split(',') {
            if let Ok(day) = d.trim().parse::<Weekday>() {
                named[day.num_days_from_monday() as usize] = true;
            }
        }
        if named.iter().any(|&d| d) {
            w.days = named;
        }
        if let Ok(tz) = zone.trim().parse::<Tz>() {
            w.tz = tz;
        }
        w
    }

    fn sends_on(&self, date: NaiveDate) -> bool {
        self.days[date.weekday().num_days_from_monday() as usize]
    }

    /// The instant a local wall-clock time happens on `date`: the earlier
    /// of two (fall back), the end of the gap (spring forward).
    fn instant(&self, date: NaiveDate, time: NaiveTime) -> Timestamp {
        let local = date.and_time(time);
        let mut probe = local;
        for _ in 0..6 {
            if let Some(t) = self.tz.from_local_datetime(&probe).earliest() {
                return t.with_timezone(&chrono::Utc);
            }
            // Inside a gap: try 30 minutes later (gaps are ≤ 2 hours).
            probe += Duration::minutes(30);
        }
        chrono::Utc.from_utc_datetime(&local)
    }

    /// Whether an email may go out at `at`.
    pub fn is_open(&self, at: Timestamp) -> bool {
        let local = at.with_timezone(&self.tz);
        let time = local.time();
        self.sends_on(local.date_naive()) && time >= self.start && time < self.end
    }

    /// The earliest instant ≥ `at` inside the window.
    pub fn next_opening(&self, at: Timestamp) -> Timestamp {
        if self.is_open(at) {
            return at;
        }
        let local = at.with_timezone(&self.tz);
        let today = local.date_naive();
        if self.sends_on(today) && local.time() < self.start {
            return self.instant(today, self.start);
        }
        self.opening_after(today)
    }

    /// The opening of the first sending day after `date`.
    fn opening_after(&self, date: NaiveDate) -> Timestamp {
        let mut day = date;
        for _ in 0..8 {
            day = day.succ_opt().unwrap_or(day);
            if self.sends_on(day) {
                return self.instant(day, self.start);
            }
        }
        self.instant(day, self.start)
    }

    /// The opening of the next sending day after `at`'s local day (where a
    /// step over the daily cap goes).
    pub fn next_day_opening(&self, at: Timestamp) -> Timestamp {
        self.opening_after(at.with_timezone(&self.tz).date_naive())
    }

    /// `at`'s local calendar day as `[start, end)` in UTC, for the cap.
    pub fn day_of(&self, at: Timestamp) -> (Timestamp, Timestamp) {
        let date = at.with_timezone(&self.tz).date_naive();
        let midnight = NaiveTime::MIN;
        let next = date.succ_opt().unwrap_or(date);
        (self.instant(date, midnight), self.instant(next, midnight))
    }
}

/// Why a step was moved to a later slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeferReason {
    /// Outside the sending window or not a sending day.
    Window,
    /// The sender reached the daily cap.
    Cap,
}

/// What the sending rules did to the steps of a run.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Deferrals {
    /// Steps moved outside-the-window.
    pub window: usize,
    /// Steps moved because their sender reached the daily cap.
    pub cap: usize,
    /// The latest slot a step was moved to.
    #[serde(skip)]
    pub until: Option<Timestamp>,
}

impl Deferrals {
    pub fn total(&self) -> usize {
        self.window + self.cap
    }

    pub fn add(&mut self, reason: DeferReason, to: Timestamp) {
        match reason {
            DeferReason::Window => self.window += 1,
            DeferReason::Cap => self.cap += 1,
        }
        self.until = Some(self.until.map_or(to, |u| u.max(to)));
    }
}

/// The per-run memory of the sending rules: each sequence's window, read
/// once, and how many emails each sender sent on each (local) day.
///
/// A sender's day depends on the sequence's zone, and one sender may have
/// sequences in several: the cap counts every email of the sender in the
/// day of the zone at hand, whichever sequence sent it (R19). So the emails
/// this run lets through are counted per sender — they all go out now,
/// which lies in every zone's today — and the store is asked once per
/// sender and day for what was recorded before.
#[derive(Debug, Default)]
pub struct SendingState {
    pub(super) windows: HashMap<i64, SendingWindow>,
    /// (sender id, the day's first instant) → the emails recorded that day
    /// when first asked, and how many of this run's emails were recorded
    /// by then (those let through by the batches before).
    pub(super) recorded: HashMap<(i64, Timestamp), (i64, i64)>,
    /// Sender id → the emails this run let through so far.
    pub(super) allowed: HashMap<i64, i64>,
    pub deferred: Deferrals,
}

impl super::Workspace {
    /// R19 for one batch of the due walk, in its order (earliest due
    /// first): an automatic email whose window is closed, or whose sender
    /// reached the rules' daily cap today, is moved to its next slot (and
    /// its enrollment's later steps by the same amount), in one
    /// transaction; the steps that may run now are returned. Task steps
    /// always run. `state` carries the counts across the batches of a run.
    pub fn hold_for_sending(
        &mut self,
        due: Vec<super::DueStep>,
        now: Timestamp,
        state: &mut SendingState,
    ) -> super::Result<Vec<super::DueStep>> {
        use crate::store::engine as qe;
        let cap = self.rules().daily_cap;
        // This run's emails already recorded: those of the batches before.
        let before_batch = state.allowed.clone();
        let mut ready = Vec::with_capacity(due.len());
        let mut moves: Vec<(i64, Timestamp, DeferReason)> = Vec::new();
        for step in due {
            if step.kind != super::StepKind::AutoEmail.as_str() {
                ready.push(step);
                continue;
            }
            let window = state
                .windows
                .entry(step.sequence_id)
                .or_insert_with(|| {
                    SendingWindow::from_settings(
                        &step.window_start,
                        &step.window_end,
                        &step.sending_days,
                        &step.time_zone,
                    )
                })
                .clone();
            if !window.is_open(now) {
                moves.push((
                    step.scheduled_step_id,
                    window.next_opening(now),
                    DeferReason::Window,
                ));
                continue;
            }
            let (day_start, day_end) = window.day_of(now);
            let sender = step.sender_id;
            let (recorded, counted) = match state.recorded.get(&(sender, day_start)) {
                Some(&seen) => seen,
                None => {
                    let n = qe::emails_sent_by(self.store.conn(), sender, day_start, day_end)?;
                    let seen = (n, before_batch.get(&sender).copied().unwrap_or(0));
                    state.recorded.insert((sender, day_start), seen);
                    seen
                }
            };
            let allowed = state.allowed.get(&sender).copied().unwrap_or(0);
            let sent = recorded + allowed - counted;
            if sent >= cap {
                moves.push((
                    step.scheduled_step_id,
                    window.next_day_opening(now),
                    DeferReason::Cap,
                ));
                continue;
            }
            *state.allowed.entry(sender).or_default() += 1;
            ready.push(step);
        }
        if !moves.is_empty() {
            let tx = self.store.write()?;
            for &(id, to, reason) in &moves {
                if qe::defer_step(&tx, id, to)? {
                    state.deferred.add(reason, to);
                }
            }
            tx.commit()?;
        }
        Ok(ready)
    }
}
