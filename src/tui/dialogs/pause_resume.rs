//! Pause or resume the targets (R14), with the domain's dry run.

use ratatui::text::Line;

use super::Preview;
use super::manage::{ManageDialog, ManagePreview, footer, line, skipped_lines};
use crate::tui::app::App;
use crate::tui::text::{count, plural};

use crate::tui::update::list_targets;

pub(super) fn lines(
    app: &App,
    d: &ManageDialog,
    pause: bool,
    inner: usize,
) -> (String, Vec<Line<'static>>) {
    let t = &app.theme;
    let (verb, would) = if pause {
        ("Pause", "Will pause")
    } else {
        ("Resume", "Will resume")
    };
    let n = d.targets.len() as i64;
    let title = format!(" {verb} {}? ", plural(n, "enrollment", "enrollments"));
    let mut lines = Vec::new();
    match app.shown_list().map(|e| e.sequence()) {
        Some(Some(s)) => lines.push(line(
            format!("{} in '{}'", plural(n, "contact", "contacts"), s.name),
            inner,
            t.title(),
        )),
        Some(None) => lines.push(line(
            format!("{} of All enrollments", plural(n, "contact", "contacts")),
            inner,
            t.title(),
        )),
        None => {}
    }
    lines.push(line(
        if pause {
            "Nothing is sent while an enrollment is paused.".into()
        } else {
            "Overdue steps move to now; the steps after keep their spacing.".into()
        },
        inner,
        t.base(),
    ));
    lines.push(Line::from(""));
    let mut go = verb.to_string();
    match &d.preview {
        Preview::Ready(ManagePreview::Change(r)) => {
            lines.push(line(
                format!(
                    "{would} {}",
                    plural(r.changed.len() as i64, "enrollment", "enrollments")
                ),
                inner,
                t.title(),
            ));
            skipped_lines(app, &r.skipped, inner, &mut lines);
            go = format!("{verb} {}", count(r.changed.len() as i64));
        }
        Preview::Failed(why) => lines.push(line(why.to_string(), inner, t.error())),
        _ => lines.push(line("Working out what will change…".into(), inner, t.dim())),
    }
    footer(app, d, &go, inner, &mut lines);
    (title, lines)
}

/// `p`: pause the targets, or resume them when the focused row is paused.
pub fn open(app: &mut App) {
    let Some(targets) = list_targets(app, "pause") else {
        return;
    };
    let pause = app
        .shown_list()
        .and_then(|e| e.focused_row())
        .is_none_or(|r| r.status != crate::domain::Status::Paused);
    let generation = app.next_generation();
    let d = ManageDialog::change(targets, pause, generation);
    if let Some(job) = d.preview_job() {
        app.run(job);
    }
    app.dialog = Some(Box::new(d));
}

/// The dry run of a pause (`true`) or resume.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviewChange {
    pub generation: u64,
    pub enrollments: Vec<i64>,
    pub pause: bool,
}

impl crate::tui::action::Work for PreviewChange {
    type Answer = ManagePreview;
    const READ: bool = false;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        user: &crate::domain::User,
    ) -> crate::domain::Result<ManagePreview> {
        if self.pause {
            ws.pause(user, &self.enrollments, true)
        } else {
            ws.resume(user, &self.enrollments, true)
        }
        .map(ManagePreview::Change)
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<ManagePreview>) {
        super::manage::preview_done(app, self.generation, result)
    }
}

/// Pause or resume (R14): one transaction, one batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub enrollments: Vec<i64>,
    pub pause: bool,
}

impl crate::tui::action::Work for Change {
    type Answer = String;
    const READ: bool = false;
    const TIDIES: bool = true;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        user: &crate::domain::User,
    ) -> crate::domain::Result<String> {
        if self.pause {
            ws.pause(user, &self.enrollments, false)
        } else {
            ws.resume(user, &self.enrollments, false)
        }
        .map(|r| r.summary())
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<String>) {
        super::manage::done(app, result)
    }
}
