//! The domain: the one door for every change. Entities, statuses and end
//! reasons (SPEC §2), the rules R1–R16 and the operations the TUI, the CLI
//! and the engine call. It talks to SQLite only through `crate::store`.

mod bounce;
mod browse;
mod clock;
mod contacts;
mod engine;
mod enroll;
mod filter;
pub mod fuzzy;
mod handover;
mod identity;
mod import;
mod inbound;
mod lists;
mod manage;
pub mod migrate;
mod mine;
mod names;
mod optout;
mod permissions;
mod report;
mod rules;
mod sending;
mod sequence_diff;
mod sequence_file;
mod sequence_view;
mod sequences;
mod sort;
mod tasks;
mod transfer;
mod types;
mod unenroll;
mod when;
mod workspace;

pub use bounce::{BounceApplied, ContactEmailReport, SOFT_BOUNCES_TO_END, undeliverable_refusal};
pub use clock::{CLOCK_YEARS, Clock, parse_instant};
pub use contacts::{ContactCursor, ContactRow, lifecycle_label, lifecycle_value};
pub use engine::*;
pub use filter::{FILTER_KEYS, Filter, FilterKey, filter_key, quote_value};
pub use handover::{HandoverReport, HandoverRequest};
pub use identity::Overrides;
pub use import::*;
pub use inbound::*;
pub use lists::*;
pub use manage::*;
pub use mine::{AutomaticEnd, AutomaticEnds};
pub use names::{closest, did_you_mean, suggestion};
pub use optout::{OptInReport, OptOutReport, opted_out_refusal};
pub use permissions::may_change;
pub use report::{
    DayCount, EXPORT_CHUNK, EXPORT_COLUMNS, Exported, REPORT_DAYS, ReasonCount, SequenceReport,
    export_file_name, spreadsheet_text,
};
pub use rules::{Rules, StaleCutoffs, TransferPolicy};
pub use sending::{
    DeferReason, Deferrals, SendingState, SendingWindow, UNSUBSCRIBE_LOCAL_PREFIX, is_token,
    unsubscribe_token_of,
};
pub use sequence_file::*;
pub use sequence_view::{SettingToggle, StepLine, StepsView};
pub use sequences::*;
pub use sort::{PageKey, Sort, SortKey, SortValue};
pub use tasks::{Released, TaskAction, TaskDue, TaskItem, TaskQuery, TaskReport, snooze_choices};
pub use transfer::{TransferItem, TransferReport, TransferRequest};
pub use types::*;
pub use unenroll::*;
pub use when::{DAY_FORMS, Day, TIME_FORMS, Toward, When, show as show_time, user_zone};
pub use workspace::*;

use std::path::PathBuf;

/// Everything that can go wrong in the domain, each with one clear sentence
/// and the exit code SPEC §6 gives it.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// Bad input from the caller (unknown reason, malformed value).
    #[error("{0}")]
    Invalid(String),
    /// Something named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A rule (R1, R2, R4, …) or a permission (R12) refused the action.
    #[error("{0}")]
    Refused(String),
    #[error(
        "no workspace at {}; create one with `seqtui demo` (sample data) or `seqtui init` (empty)",
        .0.display()
    )]
    NoWorkspace(PathBuf),
    #[error("the workspace is busy: another process held it for too long; try again")]
    Busy,
    #[error("{0}")]
    Storage(String),
}

impl DomainError {
    /// The process exit code of SPEC §6.
    pub fn exit_code(&self) -> i32 {
        match self {
            DomainError::Invalid(_) => 2,
            DomainError::Refused(_) => 3,
            DomainError::NotFound(_) | DomainError::NoWorkspace(_) => 4,
            DomainError::Busy | DomainError::Storage(_) => 1,
        }
    }
}

pub type Result<T, E = DomainError> = std::result::Result<T, E>;
