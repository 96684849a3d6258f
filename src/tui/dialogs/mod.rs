//! The dialogs, one module each: its state, how it turns an action into
//! one [`Outcome`] (stay, cancel, confirm with this job, or ask a worker
//! for a new [`Preview`]), and its draw. Every destructive action goes
//! through one; `update` does the rest.

pub mod delete_list;
pub mod enroll;
pub mod manage;
pub mod pause_resume;
pub mod save_list;
pub mod transfer;
pub mod undo;
pub mod unenroll;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

pub use enroll::EnrollPicker;
pub use manage::{ManageDialog, ManageKind, ManagePreview};
pub use save_list::SaveListDialog;
pub use unenroll::{Field, Origin, Target, UnenrollDialog, UnenrollPreview};

use crate::tui::action::{Command, Job, JobError};
use crate::tui::app::App;

#[derive(Debug)]
pub enum Dialog {
    Unenroll(Box<UnenrollDialog>),
    Enroll(Box<EnrollPicker>),
    /// Pause / resume, undo, transfer, deleting a saved list.
    Manage(Box<super::dialogs::ManageDialog>),
    /// The name to save the All view's query under.
    SaveList(Box<SaveListDialog>),
}

impl Dialog {
    /// Its preview is on the way from a worker.
    pub fn loading(&self) -> bool {
        match self {
            Dialog::Unenroll(d) => d.preview == Preview::Loading,
            Dialog::Enroll(p) => p.preview == Preview::Loading,
            Dialog::Manage(d) => d.preview == Preview::Loading,
            Dialog::SaveList(_) => false,
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
        Some(Dialog::Manage(d)) => manage::draw(app, d, frame, area),
        Some(Dialog::SaveList(d)) => save_list::draw(app, d, frame, area),
        None => {}
    }
}

/// Draws `lines` in a bordered box titled `title`, `width` wide, in the
/// middle of `area`, over whatever is below.
pub(crate) fn boxed(
    app: &App,
    frame: &mut Frame,
    area: Rect,
    title: String,
    width: u16,
    lines: Vec<Line<'_>>,
) {
    let t = &app.theme;
    let rect = centered(area, width, lines.len() as u16 + 2);
    let block = Block::bordered()
        .border_style(t.dialog_border())
        .title(Span::styled(title, t.title()));
    draw_box(frame, rect, block, lines);
}

/// Draws `lines` inside `block` at `rect`, a column of margin on each
/// side, over whatever is below.
pub(crate) fn draw_box(frame: &mut Frame, rect: Rect, block: Block<'_>, lines: Vec<Line<'_>>) {
    frame.render_widget(Clear, rect);
    let body = block.inner(rect);
    frame.render_widget(block, rect);
    let body = Rect::new(
        body.x + 1,
        body.y,
        body.width.saturating_sub(2),
        body.height,
    );
    frame.render_widget(Paragraph::new(lines), body);
}

/// A box of `width` × `height` in the middle of `area`.
pub(crate) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width.saturating_sub(2)).max(10);
    let h = height.min(area.height.saturating_sub(2)).max(5);
    Rect::new(
        area.x + (area.width.saturating_sub(w)) / 2,
        area.y + (area.height.saturating_sub(h)) / 2,
        w,
        h,
    )
}

/// A dialog's two buttons, centred in `inner` cells; the focused one is
/// bracketed and highlighted.
pub(crate) fn buttons(
    app: &App,
    go: &str,
    go_focused: bool,
    cancel_focused: bool,
    inner: usize,
) -> Line<'static> {
    let t = &app.theme;
    let button = |label: &str, focused: bool| {
        Span::styled(
            if focused {
                format!("[{label}]")
            } else {
                format!(" {label} ")
            },
            if focused {
                t.button_focused()
            } else {
                t.button()
            },
        )
    };
    let spans = [
        button(go, go_focused),
        Span::raw("   "),
        button(" Cancel ", cancel_focused),
    ];
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let mut row = vec![Span::raw(" ".repeat(inner.saturating_sub(used) / 2))];
    row.extend(spans);
    Line::from(row)
}

pub(crate) fn key(app: &App, c: Command) -> String {
    app.keymap.first_key(c)
}
