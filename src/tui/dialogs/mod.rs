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
pub use unenroll::{Field, Target, UnenrollDialog, UnenrollPreview};

use crate::tui::action::{Action, Command, Job, JobError};
use crate::tui::app::App;
pub(crate) use crate::tui::widgets::boxed::{boxed, button, buttons, draw_box};

/// One dialog: its state, what an action does to it, and its draw. The
/// app holds the open one as `Box<dyn Dialog>`; `update` and `view` call
/// it through this trait only, so a new dialog is its module, its `pub
/// mod` line here, and the key that opens it.
pub trait Dialog: std::fmt::Debug + std::any::Any {
    /// What one action (a bound key or typed text) does to it.
    fn handle(&mut self, action: &Action) -> Outcome;
    /// Draws it over the screen (`area`: the whole screen).
    fn draw(&self, app: &App, frame: &mut Frame, area: Rect);
    /// The status line's words while the job it confirmed runs.
    fn running_label(&self) -> String;
    /// Its preview is on the way from a worker.
    fn loading(&self) -> bool {
        false
    }
    /// A text field has the focus: printable keys type into it.
    fn typing(&self) -> bool {
        false
    }
    /// The hint bar's pairs while it is typing (`None`: a note's).
    fn typing_hints(&self) -> Option<Vec<(&'static str, &'static str)>> {
        None
    }
    /// Whether `command` does something here now: the hint bar leaves
    /// out what it would only refuse (a confirm with nothing to confirm).
    fn offers(&self, command: Command) -> bool {
        let _ = command;
        true
    }
}

impl App {
    /// The open dialog, if it is a `T`.
    pub fn dialog_as<T: Dialog>(&self) -> Option<&T> {
        let d: &dyn std::any::Any = self.dialog.as_deref()?;
        d.downcast_ref()
    }

    /// The open dialog, if it is a `T`, to change it.
    pub fn dialog_mut<T: Dialog>(&mut self) -> Option<&mut T> {
        let d: &mut dyn std::any::Any = self.dialog.as_deref_mut()?;
        d.downcast_mut()
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
    if let Some(d) = &app.dialog {
        d.draw(app, frame, area);
    }
}

pub(crate) fn key(app: &App, c: Command) -> String {
    app.keymap.first_key(c)
}

/// [`crate::tui::text::hanging`] as lines of one style: a sentence shown
/// whole in a dialog, wrapped under its count.
pub(crate) fn hanging(
    lead: usize,
    text: &str,
    indent: usize,
    inner: usize,
    style: ratatui::style::Style,
) -> Vec<ratatui::text::Line<'static>> {
    crate::tui::text::hanging(lead, text, indent, inner)
        .into_iter()
        .map(|l| ratatui::text::Line::from(ratatui::text::Span::styled(l, style)))
        .collect()
}
