//! The team's internal rules (SPEC R9, R10, R11, R14, R15): thresholds and
//! defaults a workspace's people agree on, written down in a TOML rules
//! file. This module holds the values and their defaults; reading the file
//! lives in [`crate::config`].

use chrono::Duration;
use serde::Serialize;

use super::Timestamp;

/// What a transfer (R10) does to the open enrollments of the contacts it
/// moves to a new owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferPolicy {
    /// The enrollment keeps running under the user who enrolled the contact.
    Keep,
    /// The enrollment (its future emails and tasks) moves to the new owner.
    Reassign,
    /// The enrollment ends with reason `ownership_changed`.
    Unenroll,
}

impl TransferPolicy {
    pub const ALL: [TransferPolicy; 3] = [
        TransferPolicy::Keep,
        TransferPolicy::Reassign,
        TransferPolicy::Unenroll,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TransferPolicy::Keep => "keep",
            TransferPolicy::Reassign => "reassign",
            TransferPolicy::Unenroll => "unenroll",
        }
    }

    /// What the policy does to an open enrollment it applies to.
    pub fn action(self) -> super::TransferAction {
        match self {
            TransferPolicy::Keep => super::TransferAction::Keep,
            TransferPolicy::Reassign => super::TransferAction::Reassign,
            TransferPolicy::Unenroll => super::TransferAction::Unenroll,
        }
    }
}

impl std::fmt::Display for TransferPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for TransferPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TransferPolicy::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("unknown transfer policy '{s}' (keep, reassign or unenroll)"))
    }
}

/// The rules in force. `Rules::default()` is what SPEC §3 names as the
/// defaults; the rules file overrides any of them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rules {
    /// R11: an open enrollment older than this many days …
    pub stale_after_days: i64,
    /// … with no open, click or reply in this many days is stale.
    pub stale_quiet_days: i64,
    /// R10: the policy a transfer uses when none is given.
    pub transfer_policy: TransferPolicy,
    /// R15: how long after a manual unenroll batch its actor may undo it.
    pub undo_window_minutes: i64,
    /// R14: the team-wide switch for pausing on an out-of-office reply with
    /// a return date. When on, each sequence's own setting decides; when
    /// off, no out-of-office reply pauses anything.
    pub pause_on_out_of_office: bool,
    /// R9: how long after a soft bounce the bounced step is tried again
    /// (the enrollment is paused until then), in whole hours.
    pub soft_retry_hours: i64,
    /// Issue 16: the file holding the SMTP password for `run --deliver
    /// smtp://USER@…` (when `SEQTUI_SMTP_PASSWORD` is not set), as written
    /// in the rules file (relative to the rules file's folder).
    pub smtp_password_file: Option<std::path::PathBuf>,
    /// Issue 16: how long a message a server keeps deferring (4xx answers)
    /// is tried again, counted from when it was recorded as sent; the
    /// first 4xx answer after that is applied as a bounce (R9: soft for a
    /// temporary failure), in whole hours.
    pub smtp_defer_limit_hours: i64,
    /// R19: the most automatic emails one sender sends in one day (the
    /// day of the sequence's time zone).
    pub daily_cap: i64,
    /// R19: the domain of the List-Unsubscribe mailto address
    /// (`unsubscribe+TOKEN@DOMAIN`); `None`: the sender's email domain.
    pub unsubscribe_domain: Option<String>,
    /// R19: an HTTPS endpoint for one-click unsubscribe (RFC 8058); the
    /// token is added as `token=…`. `None`: mailto only.
    pub unsubscribe_url: Option<String>,
    /// Issue 17: the zone dates and local times are read in (an IANA name
    /// like `Europe/Berlin`): the user's `TZ` when it names one, else the
    /// rules file's `[dates] time_zone`; `None`: UTC.
    pub time_zone: Option<String>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            stale_after_days: 30,
            stale_quiet_days: 14,
            transfer_policy: TransferPolicy::Keep,
            undo_window_minutes: 15,
            pause_on_out_of_office: true,
            soft_retry_hours: 24,
            smtp_password_file: None,
            smtp_defer_limit_hours: 72,
            daily_cap: 200,
            unsubscribe_domain: None,
            unsubscribe_url: None,
            time_zone: None,
        }
    }
}

/// The two instants R11 compares against, for one "now": an open
/// enrollment is stale when it was enrolled at or before `enrolled_by` and
/// none of its own open, click or reply events is later than `quiet_since`.
/// Activity exactly `stale.quiet_days` ago no longer counts as recent, just
/// as an enrollment exactly `stale.after_days` old is old enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaleCutoffs {
    pub enrolled_by: Timestamp,
    pub quiet_since: Timestamp,
}

impl StaleCutoffs {
    /// Cutoffs for a list that does not ask for stale enrollments (the
    /// statement's shape, e.g. a query plan, does not depend on them).
    pub fn none() -> StaleCutoffs {
        StaleCutoffs {
            enrolled_by: Timestamp::UNIX_EPOCH,
            quiet_since: Timestamp::UNIX_EPOCH,
        }
    }
}

impl Rules {
    /// R9's soft-bounce retry delay.
    pub fn soft_bounce_retry(&self) -> Duration {
        Duration::hours(self.soft_retry_hours.clamp(1, 100_000))
    }

    /// How long a server may keep deferring a message before its 4xx
    /// answer counts as a bounce.
    pub fn smtp_defer_limit(&self) -> Duration {
        Duration::hours(self.smtp_defer_limit_hours.clamp(1, 100_000))
    }

    /// R11's cutoffs at `now`.
    pub fn stale_cutoffs(&self, now: Timestamp) -> StaleCutoffs {
        // The rules file allows far less; the clamp keeps a value set in
        // code from overflowing the calendar.
        let back = |days: i64| now - Duration::days(days.clamp(0, 100_000));
        StaleCutoffs {
            enrolled_by: back(self.stale_after_days),
            quiet_since: back(self.stale_quiet_days),
        }
    }
}
