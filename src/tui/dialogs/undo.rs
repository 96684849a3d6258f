//! Undo this user's last unenroll, transfer or enroll batch (R15).

use ratatui::text::Line;

use super::manage::{ManageDialog, ManageKind, footer, line};
use crate::domain::UndoableAction;
use crate::tui::app::App;
use crate::tui::text::{plural, reason_label};

use crate::tui::app::Tone;

pub(super) fn lines(app: &App, d: &ManageDialog, inner: usize) -> (String, Vec<Line<'static>>) {
    let t = &app.theme;
    let ManageKind::Undo(c) = &d.kind else {
        return (String::new(), Vec::new());
    };
    let enroll = c.action == UndoableAction::Enroll;
    let verb = match c.action {
        UndoableAction::Enroll => "enrolled",
        UndoableAction::Transfer => "transferred",
        UndoableAction::Unenroll => "unenrolled",
    };
    let mut lines = vec![
        line(
            format!(
                "Batch {} · {} · reason {}",
                c.batch,
                plural(c.count, "enrollment", "enrollments"),
                c.reason
                    .as_deref()
                    .map(reason_label)
                    .unwrap_or_else(|| "–".into())
            ),
            inner,
            t.title(),
        ),
        line(
            format!("{verb} at {} UTC", c.at.format("%Y-%m-%d %H:%M")),
            inner,
            t.base(),
        ),
    ];
    if !c.detail.is_empty() {
        lines.push(line(c.detail.clone(), inner, t.dim()));
    }
    lines.push(Line::from(""));
    let text: &[&str] = if enroll {
        &[
            "Each enrollment it made that is still active at step 1, with nothing",
            "sent and no task created, ends (unenrolled, reason other, the undo",
            "named in its note); its scheduled steps are cancelled.",
        ]
    } else {
        &[
            "Each one still unenrolled by this batch returns to its status and step,",
            "its steps are scheduled again and its removed tasks reopen. Contacts",
            "enrolled elsewhere since, or opted out, stay as they are.",
        ]
    };
    for text in text {
        lines.push(line(text.to_string(), inner, t.base()));
    }
    if c.action == UndoableAction::Transfer {
        lines.push(line(
            "The new owners and any reassignments stay.".into(),
            inner,
            t.base(),
        ));
    }
    footer(app, d, "Undo", inner, &mut lines);
    (
        format!(" Undo your last {} ({})? ", c.action, c.batch),
        lines,
    )
}

/// `U`: offer to undo this user's last unenroll, transfer or enroll batch
/// inside the window.
pub fn open(app: &mut App) {
    let minutes = app.rules.undo_window_minutes;
    let since = app.now() - chrono::Duration::minutes(minutes);
    match app.undoable.clone().filter(|c| c.at >= since) {
        Some(candidate) => {
            app.dialog = Some(Box::new(ManageDialog::undo(candidate)));
        }
        None if app.undo_pending.is_some() => {
            app.say(Tone::Info, "Still reading what you can undo; one moment.");
        }
        None => {
            app.say(
                Tone::Info,
                format!(
                    "Nothing to undo: you made no unenroll, transfer or enroll batch in the last {minutes} minutes."
                ),
            );
        }
    }
}

/// Undo a batch of ours: an unenroll, a transfer or an enroll (R15).
#[derive(Debug, Clone, PartialEq)]
pub struct UndoBatch {
    pub batch: String,
}

impl crate::tui::action::Work for UndoBatch {
    type Answer = String;
    const READ: bool = false;
    const TIDIES: bool = true;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        user: &crate::domain::User,
    ) -> crate::domain::Result<String> {
        ws.undo(user, &self.batch).map(|r| r.summary())
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<String>) {
        super::manage::done(app, result)
    }
}
