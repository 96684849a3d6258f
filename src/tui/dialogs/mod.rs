//! The dialogs, one module each: its state, how it turns an action into
//! one [`Outcome`] (stay, cancel, confirm with this job, or ask a worker
//! for a new [`Preview`]), and its draw. Every destructive action goes
//! through one; `update` does the rest.

pub mod bulk_enroll;
pub mod delete_list;
pub mod enroll;
pub mod manage;
pub mod pause_resume;
pub mod save_list;
pub mod sequence_edit;
pub mod task;
pub mod transfer;
pub mod undo;
pub mod unenroll;

use ratatui::Frame;
use ratatui::layout::Rect;

pub use enroll::EnrollPicker;
pub use manage::{ManageDialog, ManageKind, ManagePreview};
pub use save_list::SaveListDialog;
pub use unenroll::{Field, Origin, Target, UnenrollDialog, UnenrollPreview};

use crate::tui::action::{Command, Job, JobError};
use crate::tui::app::App;
pub(crate) use crate::tui::widgets::boxed::{boxed, buttons, draw_box};

#[derive(Debug)]
pub enum Dialog {
    Unenroll(Box<UnenrollDialog>),
    Enroll(Box<EnrollPicker>),
    /// `e` on marked rows: the sequence, then the dry run's counts.
    BulkEnroll(Box<bulk_enroll::BulkEnrollDialog>),
    /// A setting toggled or the file edited on the steps screen.
    SequenceEdit(Box<sequence_edit::SequenceEditDialog>),
    /// Pause / resume, undo, transfer, deleting a saved list.
    Manage(Box<super::dialogs::ManageDialog>),
    /// The name to save the All view's query under.
    SaveList(Box<SaveListDialog>),
    /// Complete, skip or snooze a task (the Tasks view).
    Task(Box<task::TaskDialog>),
}

impl Dialog {
    /// Its preview is on the way from a worker.
    pub fn loading(&self) -> bool {
        match self {
            Dialog::Unenroll(d) => d.preview == Preview::Loading,
            Dialog::Enroll(p) => p.preview == Preview::Loading || p.check.is_some(),
            Dialog::BulkEnroll(d) => d.preview == Preview::Loading,
            Dialog::SequenceEdit(d) => d.loading(),
            Dialog::Manage(d) => d.preview == Preview::Loading,
            Dialog::SaveList(_) | Dialog::Task(_) => false,
        }
    }
}

/// What a dialog decided about one action.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    Stay,
    Cancel,
    Confirm(Job),
    /// The dialog needs a (new) preview: run this job and stay.
    Preview(Job),
}

/// What a dialog shows before it can be confirmed: the domain's dry run
/// (or preview), as the worker answers it. One shape for every dialog.
#[derive(Debug, Clone, PartialEq)]
pub enum Preview<T> {
    /// Nothing asked yet (no choice made).
    None,
    Loading,
    Ready(T),
    Failed(JobError),
}

/// Draws the open dialog, if any, over the screen.
pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    match &app.dialog {
        Some(Dialog::Unenroll(d)) => unenroll::draw(app, d, frame, area),
        Some(Dialog::Enroll(p)) => enroll::draw(app, p, frame, area),
        Some(Dialog::BulkEnroll(d)) => bulk_enroll::draw(app, d, frame, area),
        Some(Dialog::SequenceEdit(d)) => sequence_edit::draw(app, d, frame, area),
        Some(Dialog::Manage(d)) => manage::draw(app, d, frame, area),
        Some(Dialog::SaveList(d)) => save_list::draw(app, d, frame, area),
        Some(Dialog::Task(d)) => task::draw(app, d, frame, area),
        None => {}
    }
}

pub(crate) fn key(app: &App, c: Command) -> String {
    app.keymap.first_key(c)
}
