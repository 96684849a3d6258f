//! "Mine" (issue 15, §5): what a user's own enrollments did by
//! themselves, the audit entries about them, and the sequences that are
//! theirs — the reads behind the TUI's notices and its "mine" filters.
//!
//! - *My enrollments* are those the user enrolled (`enrolled_by`; a
//!   transfer with `reassign` moves them to the new owner).
//! - *Ended by itself*: an unenroll audited without an actor — a reply,
//!   a meeting, a bounce, an opt-out by unsubscribe, a colleague's reply
//!   (R6–R9).
//! - *My sequences*: those the user owns, and those the user enrolled at
//!   least one contact in (any status).

use serde::Serialize;

use super::*;
use crate::store::mine as qm;
use crate::store::queries as q;

/// One of the user's enrollments that ended by itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AutomaticEnd {
    pub audit_id: i64,
    pub enrollment_id: i64,
    pub contact_name: String,
    pub sequence: String,
    pub reason: Option<EndReason>,
}

impl AutomaticEnd {
    /// "Emily Chen replied — Webinar Follow-up ended".
    pub fn sentence(&self) -> String {
        let what = match self.reason {
            Some(EndReason::Replied) => "replied".to_string(),
            Some(EndReason::MeetingBooked) => "booked a meeting".to_string(),
            Some(EndReason::Bounced) => "bounced".to_string(),
            Some(EndReason::OptedOut) => "opted out".to_string(),
            Some(EndReason::ColleagueEngaged) => "has a colleague who engaged".to_string(),
            Some(other) => format!("was unenrolled ({})", other.label()),
            None => "was unenrolled".to_string(),
        };
        format!("{} {what} — {} ended", self.contact_name, self.sequence)
    }
}

/// What [`Workspace::automatic_ends`] found: the ends, and the audit id to
/// ask after next time.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AutomaticEnds {
    pub ends: Vec<AutomaticEnd>,
    pub upto: i64,
}

impl Workspace {
    /// The user's enrollments that ended by themselves after the audit
    /// entry `after` (at most `limit`, oldest first), and the newest audit
    /// id now. With `after` `None` nothing is listed: the answer only sets
    /// the starting point (what happened before the app opened is in the
    /// Activity view).
    pub fn automatic_ends(
        &self,
        user: &User,
        after: Option<i64>,
        limit: usize,
    ) -> Result<AutomaticEnds> {
        let conn = self.store.conn();
        let upto = qm::last_audit_id(conn)?;
        let Some(after) = after else {
            return Ok(AutomaticEnds {
                ends: Vec::new(),
                upto,
            });
        };
        let ends = qm::automatic_ends(conn, user.id, after, upto, limit)?
            .into_iter()
            .map(|r| AutomaticEnd {
                audit_id: r.audit_id,
                enrollment_id: r.enrollment_id,
                contact_name: full_name(&r.first_name, &r.last_name, &r.contact_email),
                sequence: r.sequence,
                reason: r.reason.as_deref().and_then(|x| x.parse().ok()),
            })
            .collect();
        Ok(AutomaticEnds { ends, upto })
    }

    /// The newest audit entries made by the user or naming an enrollment
    /// the user enrolled.
    pub fn audit_mine(&self, user: &User, limit: usize) -> Result<Vec<AuditEntry>> {
        q::audit_entries(self.store.conn(), None, Some(user.id), limit)
    }

    /// The sequences (with their counts) the user owns or enrolled someone in.
    pub fn my_sequences(&self, user: &User) -> Result<Vec<SequenceSummary>> {
        let mine: std::collections::HashSet<i64> = qm::my_sequence_ids(self.store.conn(), user.id)?
            .into_iter()
            .collect();
        let mut all = self.sequences()?;
        all.retain(|s| mine.contains(&s.id));
        Ok(all)
    }
}
