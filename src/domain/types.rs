//! The vocabulary of SPEC §2: roles, statuses, end reasons, step kinds and
//! the records the rest of the program passes around. Plain data, no I/O.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

use super::DomainError;

/// Declares a string-backed enum with `as_str`, `ALL`, `Display`, `FromStr`
/// and a serde representation that is the same snake_case text the store
/// and the CLI use.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = DomainError;
            fn from_str(text: &str) -> Result<Self, DomainError> {
                let wanted = text.trim().to_ascii_lowercase().replace('-', "_");
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == wanted)
                    .ok_or_else(|| {
                        let known: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                        DomainError::Invalid(format!(
                            "unknown {} '{}'; expected one of: {}{}",
                            $what,
                            text,
                            known.join(", "),
                            super::names::did_you_mean(text, known.iter().copied())
                        ))
                    })
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// What a user may do (R12).
    Role, "role" {
        Rep => "rep",
        Manager => "manager",
        Admin => "admin",
    }
);

text_enum!(
    /// Enrollment status (SPEC §2).
    Status, "status" {
        Active => "active",
        Paused => "paused",
        Finished => "finished",
        Unenrolled => "unenrolled",
    }
);

impl Status {
    /// Active or paused: the enrollment still has a future (R1, R4).
    pub fn is_open(self) -> bool {
        matches!(self, Status::Active | Status::Paused)
    }
}

text_enum!(
    /// Why an enrollment ended (SPEC §2).
    EndReason, "end reason" {
        Replied => "replied",
        MeetingBooked => "meeting_booked",
        OptedOut => "opted_out",
        Bounced => "bounced",
        NotAFit => "not_a_fit",
        NewContext => "new_context",
        Converted => "converted",
        OwnershipChanged => "ownership_changed",
        Stale => "stale",
        CampaignEnded => "campaign_ended",
        ColleagueEngaged => "colleague_engaged",
        SequenceArchived => "sequence_archived",
        Other => "other",
    }
);

impl EndReason {
    /// The reasons a person picks when unenrolling by hand, in the order a
    /// picker shows them. The others are set by the engine or by another
    /// operation (transfer, archive), though a script may still pass them.
    pub const MANUAL: &'static [EndReason] = &[
        EndReason::NotAFit,
        EndReason::NewContext,
        EndReason::Converted,
        EndReason::Replied,
        EndReason::MeetingBooked,
        EndReason::OptedOut,
        EndReason::Stale,
        EndReason::CampaignEnded,
        EndReason::OwnershipChanged,
        EndReason::Other,
    ];

    /// A short phrase for people ("not a fit").
    pub fn label(self) -> &'static str {
        match self {
            EndReason::Replied => "replied",
            EndReason::MeetingBooked => "meeting booked",
            EndReason::OptedOut => "opted out",
            EndReason::Bounced => "bounced",
            EndReason::NotAFit => "not a fit",
            EndReason::NewContext => "conversation moved elsewhere",
            EndReason::Converted => "converted elsewhere",
            EndReason::OwnershipChanged => "ownership changed",
            EndReason::Stale => "stale",
            EndReason::CampaignEnded => "campaign ended",
            EndReason::ColleagueEngaged => "colleague engaged",
            EndReason::SequenceArchived => "sequence archived",
            EndReason::Other => "other",
        }
    }
}

text_enum!(
    /// What a sequence step does when it comes due.
    StepKind, "step kind" {
        AutoEmail => "auto_email",
        ManualEmail => "manual_email",
        Call => "call",
        Task => "task",
    }
);

text_enum!(
    /// State of one scheduled step of an enrollment.
    StepState, "step state" {
        Scheduled => "scheduled",
        Sent => "sent",
        Done => "done",
        Cancelled => "cancelled",
    }
);

text_enum!(
    /// State of a task created by a task, call or manual-email step.
    TaskState, "task state" {
        Open => "open",
        Done => "done",
        Removed => "removed",
    }
);

text_enum!(
    /// Why one item of a request was skipped or refused: a stable code
    /// beside the sentence, for exit codes, JSON and grouping. Nothing
    /// decides by matching the sentence.
    SkipCode, "skip code" {
        NotFound => "not_found",
        AlreadyEnded => "already_ended",
        AlreadyPaused => "already_paused",
        AlreadyActive => "already_active",
        NotPermitted => "not_permitted",
        OptedOut => "opted_out",
        AlreadyEnrolled => "already_enrolled",
        Changed => "changed",
        AlreadyStarted => "already_started",
        AlreadyOptedOut => "already_opted_out",
        Undeliverable => "undeliverable",
        AlreadyDone => "already_done",
        TaskRemoved => "task_removed",
        AlreadyRun => "already_run",
    }
);

text_enum!(
    /// How a contact came to be opted out (R9), kept with the contact:
    /// a person unenrolled one of its enrollments with reason `opted_out`,
    /// `seqtui contact opt-out`, an opt-out column of an import, an
    /// unsubscribe event read by `seqtui ingest`, a List-Unsubscribe
    /// request (R19: a mail to `unsubscribe+TOKEN@…` or an event naming
    /// the token).
    OptOutVia, "opt-out source" {
        Unenroll => "unenroll",
        Command => "command",
        Import => "import",
        UnsubscribeEvent => "unsubscribe_event",
        ListUnsubscribe => "list_unsubscribe",
    }
);

text_enum!(
    /// What a transfer or a hand-over (R10) does to one open enrollment:
    /// its policy's action, or `keep` (before the step it starts from, or
    /// already the new owner's) or `skip` (not permitted), with why.
    TransferAction, "transfer action" {
        Keep => "keep",
        Reassign => "reassign",
        Unenroll => "unenroll",
        Skip => "skip",
    }
);

text_enum!(
    /// The engagements a report counts, as the events table names them.
    Engagement, "engagement" {
        Open => "open",
        Click => "click",
        Reply => "reply",
        MeetingBooked => "meeting_booked",
    }
);

text_enum!(
    /// The manual batches undo takes back (R15), as their audit entry
    /// names them.
    UndoableAction, "undoable action" {
        Unenroll => "unenroll",
        Transfer => "transfer",
        Enroll => "enroll",
    }
);

text_enum!(
    /// A pause or a resume (R14), as its audit entry names it.
    ChangeAction, "change" {
        Pause => "pause",
        Resume => "resume",
    }
);

impl SkipCode {
    /// A short phrase for people, when several sentences share a code.
    pub fn label(self) -> &'static str {
        match self {
            SkipCode::NotFound => "not found",
            SkipCode::AlreadyEnded => "already ended",
            SkipCode::AlreadyPaused => "already paused",
            SkipCode::AlreadyActive => "already active",
            SkipCode::NotPermitted => "not permitted",
            SkipCode::OptedOut => "opted out",
            SkipCode::AlreadyEnrolled => "enrolled elsewhere",
            SkipCode::Changed => "changed since",
            SkipCode::AlreadyStarted => "already started",
            SkipCode::AlreadyOptedOut => "already opted out",
            SkipCode::Undeliverable => "undeliverable address",
            SkipCode::AlreadyDone => "already done",
            SkipCode::TaskRemoved => "task removed",
            SkipCode::AlreadyRun => "run by another run",
        }
    }

    /// The exit code a request gets when every item was skipped with this
    /// code (SPEC §6): 4 not found, 3 refused, 0 for "already so".
    pub fn exit_code(self) -> i32 {
        match self {
            SkipCode::NotFound => 4,
            SkipCode::NotPermitted
            | SkipCode::OptedOut
            | SkipCode::AlreadyEnrolled
            | SkipCode::Changed
            | SkipCode::AlreadyStarted
            | SkipCode::Undeliverable
            | SkipCode::TaskRemoved => 3,
            SkipCode::AlreadyEnded
            | SkipCode::AlreadyPaused
            | SkipCode::AlreadyActive
            | SkipCode::AlreadyOptedOut
            | SkipCode::AlreadyDone
            | SkipCode::AlreadyRun => 0,
        }
    }
}

text_enum!(
    /// What a bounce says of one recipient (R9): `hard`, the address does
    /// not exist or never will accept mail; `soft`, the address is good but
    /// the moment, the sender or the content is not (mailbox full, a
    /// block, greylisting, a temporary failure); `not_a_bounce`, a report
    /// that is no failure (a delay warning, a relay notice, a success).
    BounceVerdict, "bounce verdict" {
        Hard => "hard",
        Soft => "soft",
        NotABounce => "not_a_bounce",
    }
);

text_enum!(
    /// Why a bounce got its verdict, read from its status and diagnostic
    /// text (see `engine::bounce`).
    BounceReason, "bounce reason" {
        UserUnknown => "user_unknown",
        HostUnknown => "host_unknown",
        MailboxFull => "mailbox_full",
        Policy => "policy",
        Spam => "spam",
        Suspended => "suspended",
        RateLimited => "rate_limited",
        AuthFailure => "auth_failure",
        Expired => "expired",
        Temporary => "temporary",
        Other => "other",
    }
);

text_enum!(
    /// Whether mail to a contact's address can arrive (R9): a hard bounce
    /// of an email sent to it makes it `undeliverable` until the address
    /// changes.
    AddressState, "address state" {
        Deliverable => "deliverable",
        Undeliverable => "undeliverable",
    }
);

/// One failed recipient of a bounce and what the classifier made of it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BounceRecipient {
    /// The address the report names (`Final-Recipient`, `X-Failed-
    /// Recipients`, the text of a plain bounce…); `None` when it names
    /// none, and then the returned email's recipient is meant.
    pub address: Option<String>,
    pub verdict: BounceVerdict,
    pub reason: BounceReason,
    /// The RFC 3463 status (`5.1.1`) when the report gives one.
    pub status: Option<String>,
    /// The diagnostic line the verdict was read from (else the status or
    /// the action), for people.
    pub diagnostic: String,
}

pub type Timestamp = DateTime<Utc>;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub team: String,
    /// The operating-system login bound to this user, if any (see
    /// `Workspace::identify`).
    pub login: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub company: String,
    pub title: String,
    /// The owner's email, if the contact has one.
    pub owner: Option<String>,
    /// The stored value: HubSpot's internal value for its stages
    /// (`marketingqualifiedlead`), see [`crate::domain::lifecycle_value`].
    pub lifecycle_stage: String,
    /// What people read: "Marketing Qualified Lead".
    pub lifecycle_label: String,
    pub opted_out: bool,
    pub opted_out_at: Option<Timestamp>,
    /// Who recorded the opt-out (a user's email); `None` when it came by
    /// itself (an unsubscribe event) or before this was kept.
    pub opted_out_by: Option<String>,
    /// How it was recorded; `None` only for opt-outs older than this.
    pub opted_out_via: Option<OptOutVia>,
    /// R9: `undeliverable` while the address is the one a hard bounce
    /// marked (changing the address lifts it).
    pub address_state: AddressState,
    /// When the hard bounce marked it, why (its reason code) and the
    /// diagnostic it gave; `None` while deliverable.
    pub undeliverable_at: Option<Timestamp>,
    pub undeliverable_reason: Option<BounceReason>,
    pub undeliverable_diagnostic: Option<String>,
    /// The phone number as the CRM gave it (empty when unknown).
    pub phone: String,
    /// The contact's record id in the CRM it was imported from (HubSpot's
    /// "Record ID"; empty when unknown).
    pub crm_id: String,
}

impl Contact {
    pub fn full_name(&self) -> String {
        full_name(&self.first_name, &self.last_name, &self.email)
    }
}

/// "First Last", or the email when the contact has no name.
pub fn full_name(first: &str, last: &str, email: &str) -> String {
    let name = format!("{} {}", first.trim(), last.trim());
    let name = name.trim();
    if name.is_empty() {
        email.to_string()
    } else {
        name.to_string()
    }
}

/// The one form every email is compared in: trimmed, Unicode NFC, then
/// Unicode lower case (NFC again, as lower-casing can undo it). SQLite's
/// `NOCASE` and `lower()` fold ASCII only, so `Élodie@x` and `élodie@x` would
/// be two people to it; the store keeps this key beside the email as typed
/// (`email_key` on contacts and users) and looks every email up by it.
pub fn email_key(email: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let email = email.trim();
    if email.is_ascii() {
        // ASCII is already NFC: the common case, kept cheap for bulk loads.
        return email.to_ascii_lowercase();
    }
    let composed: String = email.trim().nfc().collect();
    composed.to_lowercase().nfc().collect()
}

/// The domain of an email key (after the last `@`), if it has one.
pub fn email_key_domain(key: &str) -> Option<&str> {
    key.rsplit_once('@')
        .map(|(_, domain)| domain)
        .filter(|d| !d.is_empty())
}

/// The key every contact list sorts by: last name, first name, email.
pub fn sort_name(first: &str, last: &str, email: &str) -> String {
    format!(
        "{} {} {}",
        last.trim().to_lowercase(),
        first.trim().to_lowercase(),
        email.trim().to_lowercase()
    )
}

/// An enrollment's search text (`store::search_text`) as SQLite's
/// `lower` makes it (ASCII letters only): "first last", the email key and
/// the company, lower-cased and joined by newlines. For a writer that
/// builds rows without reading the contact back (the demo's bulk loader).
pub fn search_text(first: &str, last: &str, email: &str, company: &str) -> String {
    format!(
        "{} {}\n{}\n{}",
        first.to_ascii_lowercase(),
        last.to_ascii_lowercase(),
        email_key(email),
        company.to_ascii_lowercase()
    )
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub id: i64,
    pub position: i64,
    pub kind: StepKind,
    pub delay_days: i64,
    pub subject: String,
    pub body: String,
    pub title: String,
}

/// A sequence with its per-status enrollment counts and engagement rates.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SequenceSummary {
    pub id: i64,
    pub name: String,
    pub owner: String,
    pub steps: i64,
    pub active: i64,
    pub paused: i64,
    pub finished: i64,
    pub unenrolled: i64,
    pub total: i64,
    /// Enrollments with a reply, over every enrollment of the sequence
    /// (unenrolled ones included; see `queries::sequence_summaries`).
    pub reply_rate: f64,
    /// Enrollments with a booked meeting, over every enrollment.
    pub meeting_rate: f64,
    pub unenroll_colleagues: bool,
    pub archived: bool,
}

/// One enrollment as lists and the CLI show it (the JSON shape in docs/cli.md).
#[derive(Debug, Clone, Serialize)]
pub struct EnrollmentRow {
    pub id: i64,
    pub sequence_id: i64,
    pub sequence: String,
    pub contact_id: i64,
    pub contact_email: String,
    pub contact_name: String,
    pub company: String,
    pub owner: Option<String>,
    pub status: Status,
    pub step: i64,
    pub steps: i64,
    pub enrolled_by: String,
    pub enrolled_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub end_reason: Option<EndReason>,
    pub ended_by: Option<String>,
    pub note: Option<String>,
    pub batch: Option<String>,
    pub next_due_at: Option<Timestamp>,
    pub last_engagement_at: Option<Timestamp>,
    /// R11 at the workspace clock and the rules in force: open, enrolled at
    /// least `stale.after_days` ago, and no open, click or reply of this
    /// enrollment in the last `stale.quiet_days`.
    pub stale: bool,
    #[serde(skip)]
    pub sort_name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScheduledStepView {
    pub step: i64,
    pub kind: StepKind,
    pub due_at: Timestamp,
    pub state: StepState,
}

#[derive(Debug, Clone, Serialize)]
pub struct TaskView {
    pub title: String,
    pub due_at: Timestamp,
    pub state: TaskState,
    pub owner: String,
    /// The kind of the step that created it (`call`, `task`,
    /// `manual_email`).
    pub kind: StepKind,
    /// For a call, the contact's phone number as it is now (`None` when
    /// the contact has none, and for other kinds).
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimelineEntry {
    pub at: Timestamp,
    #[serde(rename = "type")]
    pub kind: String,
    pub sequence: Option<String>,
    /// What happened, in a few words; `null` in JSON when there are none.
    #[serde(serialize_with = "empty_as_null")]
    pub detail: String,
}

/// An empty text as JSON's `null`: absent values are `null`, never `""`.
fn empty_as_null<S: serde::Serializer>(text: &str, s: S) -> Result<S::Ok, S::Error> {
    if text.is_empty() {
        s.serialize_none()
    } else {
        s.serialize_str(text)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ContactEnrollment {
    #[serde(flatten)]
    pub enrollment: EnrollmentRow,
    pub scheduled: Vec<ScheduledStepView>,
    pub tasks: Vec<TaskView>,
}

/// Everything the detail pane and `seqtui contact` show about one contact.
#[derive(Debug, Clone, Serialize)]
pub struct ContactDetail {
    #[serde(flatten)]
    pub contact: Contact,
    pub enrollments: Vec<ContactEnrollment>,
    pub timeline: Vec<TimelineEntry>,
    /// Every bounce recorded for the contact, newest first (R9).
    pub bounces: Vec<BounceEntry>,
}

/// One bounce of a contact's history: what the report said of the
/// address and what seqtui did with it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BounceEntry {
    pub at: Timestamp,
    /// The inbound item (Message-ID or event id) the bounce came in.
    pub id: String,
    /// The address the report named, if any.
    pub address: Option<String>,
    pub verdict: BounceVerdict,
    pub reason: BounceReason,
    pub status: Option<String>,
    pub diagnostic: String,
    pub enrollment: Option<i64>,
    pub sequence: Option<String>,
    /// `ended`, `paused`, `recorded` or `unverified`.
    pub action: String,
    /// For a soft bounce: how many soft bounces in a row it made (R9).
    pub soft_in_a_row: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: Timestamp,
    pub actor: Option<String>,
    pub action: String,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub batch: Option<String>,
    pub detail: String,
    pub count: i64,
    pub enrollments: Vec<i64>,
    /// The contacts whose owner the entry changed (a transfer), with the
    /// owner each had before; empty for every other action.
    pub contacts: Vec<AuditContact>,
}

/// A contact an audit entry gave a new owner, and its owner before.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct AuditContact {
    pub id: i64,
    pub email: String,
    /// The previous owner's email (`None`: it had none).
    pub before_owner: Option<String>,
}

/// Which enrollments a list shows: a [`crate::domain::Filter`] resolved
/// against the workspace (ids for names, instants for days). The store
/// turns it into one parameterised statement. Empty lists and `None` mean
/// no condition; conditions of different fields all hold, values within a
/// list are alternatives.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnrollmentQuery {
    /// Empty means every sequence.
    pub sequences: Vec<i64>,
    /// Empty means every status.
    pub statuses: Vec<Status>,
    /// Matched, case-insensitively and literally, against the contact's
    /// name, email and company. Empty means no text filter.
    pub search: String,
    /// Only stale enrollments (R11; see [`crate::domain::Rules`]). Stale
    /// ones are always open, so with statuses that are all ended the list
    /// is empty.
    pub stale: bool,
    pub step_at_least: Option<i64>,
    /// Enrolled strictly before this instant.
    pub enrolled_before: Option<DateTime<Utc>>,
    /// Enrolled at or after this instant.
    pub enrolled_from: Option<DateTime<Utc>>,
    /// Enrolled at or before this instant, and no open, click, reply or
    /// meeting after it.
    pub quiet_since: Option<DateTime<Utc>>,
    pub enrolled_by: Vec<i64>,
    /// Contact owners; `None` is "no owner".
    pub owners: Vec<Option<i64>>,
    /// Whole company names, case-insensitive; "" is no company.
    pub companies: Vec<String>,
    /// Lower-case lifecycle stages.
    pub lifecycles: Vec<String>,
    /// Lower-case texts, any of which the title contains.
    pub titles: Vec<String>,
    /// Lower-case email domains.
    pub email_domains: Vec<String>,
    /// The order of the list (contact, A to Z, unless asked otherwise).
    pub sort: super::Sort,
}

impl EnrollmentQuery {
    /// Every enrollment of one sequence.
    pub fn sequence(id: i64) -> EnrollmentQuery {
        EnrollmentQuery {
            sequences: vec![id],
            ..EnrollmentQuery::default()
        }
    }
}

/// A sequence as the domain refers to it.
#[derive(Debug, Clone, Serialize)]
pub struct SequenceRef {
    pub id: i64,
    pub name: String,
    pub owner_id: i64,
    pub archived: bool,
    pub unenroll_colleagues: bool,
    pub pause_on_ooo: bool,
}

/// What a change to many enrollments needs to know of each one: no names,
/// so that a batch of 100,000 stays small in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnrollmentKey {
    pub id: i64,
    pub sequence_id: i64,
    pub status: Status,
    pub end_reason: Option<EndReason>,
    pub current_step: i64,
    pub enrolled_by: i64,
    pub owner_id: Option<i64>,
}

/// What the domain needs to know about an enrollment to decide a change.
#[derive(Debug, Clone)]
pub struct EnrollmentFacts {
    pub id: i64,
    pub sequence_id: i64,
    pub sequence: String,
    pub contact_id: i64,
    pub contact_name: String,
    pub status: Status,
    pub end_reason: Option<EndReason>,
    pub current_step: i64,
    pub enrolled_by: i64,
    pub owner_id: Option<i64>,
}
