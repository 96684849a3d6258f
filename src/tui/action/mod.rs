//! The vocabulary of the TUI: what a key, a click, a tick or a finished
//! background job asks for (`Action`), the named commands the keymap binds
//! (`Command`), and the work `update` hands back to the runner (`Effect`,
//! `Job`). Plain data; nothing here touches the terminal or the store.

use std::path::PathBuf;

pub use super::dialogs::bulk_enroll::BulkSource;
pub use super::dialogs::sequence_edit::SequenceChange;
use crate::domain::{DomainError, Status, User};

mod job;

pub use job::*;

/// Sequence name, status and how many of the targets are in it now.
pub type StatusCount = (String, Status, i64);

/// A named command a key can be bound to. The snake_case names are the
/// ones `keymap.toml` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Command {
    Quit,
    Help,
    ViewSequences,
    ViewContacts,
    ViewActivity,
    ViewReports,
    ViewAll,
    ViewLists,
    ViewTasks,
    Refresh,
    Up,
    Down,
    PageUp,
    PageDown,
    HalfPageUp,
    HalfPageDown,
    Top,
    Bottom,
    Open,
    Back,
    Detail,
    ToggleMark,
    Range,
    MarkAll,
    Escape,
    Filter,
    NextStatus,
    PrevStatus,
    ToggleStale,
    NextSort,
    PrevSort,
    ReverseSort,
    Unenroll,
    Enroll,
    PauseResume,
    Undo,
    Transfer,
    Export,
    SaveList,
    DeleteList,
    Complete,
    Confirm,
    Cancel,
    Press,
    NextField,
    PrevField,
    TaskDone,
    TaskSkip,
    TaskSnooze,
    ToggleMine,
    Steps,
    EditSequence,
    Suspend,
    Messages,
}

impl Command {
    pub const ALL: &'static [Command] = &[
        Command::Quit,
        Command::Help,
        Command::ViewSequences,
        Command::ViewContacts,
        Command::ViewActivity,
        Command::ViewReports,
        Command::ViewAll,
        Command::ViewLists,
        Command::ViewTasks,
        Command::Refresh,
        Command::Up,
        Command::Down,
        Command::PageUp,
        Command::PageDown,
        Command::HalfPageUp,
        Command::HalfPageDown,
        Command::Top,
        Command::Bottom,
        Command::Open,
        Command::Back,
        Command::Detail,
        Command::ToggleMark,
        Command::Range,
        Command::MarkAll,
        Command::Escape,
        Command::Filter,
        Command::NextStatus,
        Command::PrevStatus,
        Command::ToggleStale,
        Command::NextSort,
        Command::PrevSort,
        Command::ReverseSort,
        Command::Unenroll,
        Command::Enroll,
        Command::PauseResume,
        Command::Undo,
        Command::Transfer,
        Command::Export,
        Command::SaveList,
        Command::DeleteList,
        Command::Complete,
        Command::Confirm,
        Command::Cancel,
        Command::Press,
        Command::NextField,
        Command::PrevField,
        Command::TaskDone,
        Command::TaskSkip,
        Command::TaskSnooze,
        Command::ToggleMine,
        Command::Steps,
        Command::EditSequence,
        Command::Suspend,
        Command::Messages,
    ];

    /// The name `keymap.toml` uses for this command.
    pub fn name(self) -> &'static str {
        match self {
            Command::Quit => "quit",
            Command::Help => "help",
            Command::ViewSequences => "view_sequences",
            Command::ViewContacts => "view_contacts",
            Command::ViewActivity => "view_activity",
            Command::ViewReports => "view_reports",
            Command::ViewAll => "view_all",
            Command::ViewLists => "view_lists",
            Command::ViewTasks => "view_tasks",
            Command::Refresh => "refresh",
            Command::Up => "up",
            Command::Down => "down",
            Command::PageUp => "page_up",
            Command::PageDown => "page_down",
            Command::HalfPageUp => "half_page_up",
            Command::HalfPageDown => "half_page_down",
            Command::Top => "top",
            Command::Bottom => "bottom",
            Command::Open => "open",
            Command::Back => "back",
            Command::Detail => "detail",
            Command::ToggleMark => "toggle_mark",
            Command::Range => "range",
            Command::MarkAll => "mark_all",
            Command::Escape => "escape",
            Command::Filter => "filter",
            Command::NextStatus => "next_status",
            Command::PrevStatus => "prev_status",
            Command::ToggleStale => "toggle_stale",
            Command::NextSort => "next_sort",
            Command::PrevSort => "prev_sort",
            Command::ReverseSort => "reverse_sort",
            Command::Unenroll => "unenroll",
            Command::Enroll => "enroll",
            Command::PauseResume => "pause_resume",
            Command::Undo => "undo",
            Command::Transfer => "transfer",
            Command::Export => "export",
            Command::SaveList => "save_list",
            Command::DeleteList => "delete_list",
            Command::Complete => "complete",
            Command::Confirm => "confirm",
            Command::Cancel => "cancel",
            Command::Press => "press",
            Command::NextField => "next_field",
            Command::PrevField => "prev_field",
            Command::TaskDone => "task_done",
            Command::TaskSkip => "task_skip",
            Command::TaskSnooze => "task_snooze",
            Command::ToggleMine => "toggle_mine",
            Command::Steps => "steps",
            Command::EditSequence => "edit_sequence",
            Command::Suspend => "suspend",
            Command::Messages => "messages",
        }
    }

    pub fn from_name(name: &str) -> Option<Command> {
        Command::ALL.iter().copied().find(|c| c.name() == name)
    }
}

/// Everything `update` reacts to.
#[derive(Debug)]
pub enum Action {
    /// A bound key.
    Command(Command),
    /// A character typed into the focused text field (filter, search, note).
    Input(char),
    /// Backspace in the focused text field.
    InputBackspace,
    /// Enter in the focused text field: keep the text, leave the field.
    InputDone,
    /// Ctrl-C: quit from anywhere, always.
    ForceQuit,
    /// A left click at a terminal cell.
    Click { column: u16, row: u16 },
    /// Mouse wheel: positive scrolls down.
    Scroll(i32),
    /// The terminal changed size.
    Resize { width: u16, height: u16 },
    /// The periodic tick: look for changes made by other processes.
    Tick,
    /// A background job finished.
    Done(Done),
    /// `$EDITOR` exited on the steps screen's file (`Err`: it could not
    /// run or failed).
    Edited {
        path: PathBuf,
        result: Result<(), String>,
    },
}

/// What `update` asks the runner to do after it changed the state.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Quit,
    /// Ctrl-Z: give the terminal back and stop (SIGTSTP); on `fg`, take it
    /// again and draw everything.
    Suspend,
    /// Run this on a background thread; the result comes back as
    /// `Action::Done`.
    Run(Job),
}
