//! The task dialog (R18), from the Tasks view: confirm completing (`d`) or
//! skipping (`s`) the focused task, or pick when a snoozed one (`z`) comes
//! back — in three hours, tomorrow at 09:00 or next Monday at 09:00 in the
//! zone of the task's sequence (`crate::domain::snooze_choices`). It
//! confirms with one `tasks::WorkTask`; the domain does the rest.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{Outcome, boxed, buttons, key};
use crate::domain::{TaskAction, TaskItem, Timestamp};
use crate::tui::action::{Action, Command, Job};
use crate::tui::app::App;
use crate::tui::text::fit;

#[derive(Debug)]
pub struct TaskDialog {
    pub task: TaskItem,
    pub action: TaskAction,
    /// Snooze: the choices (label, when) and the one chosen.
    pub choices: Vec<(&'static str, Timestamp)>,
    pub chosen: usize,
    /// The confirm button has the focus (else Cancel).
    pub on_confirm: bool,
}

impl TaskDialog {
    pub fn new(task: TaskItem, action: TaskAction, now: Timestamp) -> TaskDialog {
        let choices = if action == TaskAction::Snooze {
            crate::domain::snooze_choices(now, &task.time_zone)
        } else {
            Vec::new()
        };
        TaskDialog {
            task,
            action,
            choices,
            chosen: 0,
            on_confirm: true,
        }
    }

    /// What the status line says while it is written.
    pub fn running_label(&self) -> String {
        let verb = match self.action {
            TaskAction::Done => "Completing",
            TaskAction::Skip => "Skipping",
            TaskAction::Snooze => "Snoozing",
        };
        format!("{verb} the task '{}'", self.task.title)
    }

    fn job(&self) -> Job {
        crate::tui::screens::tasks::WorkTask {
            task: self.task.id,
            action: self.action,
            until: self.choices.get(self.chosen).map(|c| c.1),
        }
        .into()
    }

    pub fn handle(&mut self, action: &Action) -> Outcome {
        match action {
            Action::Command(Command::Cancel) | Action::Command(Command::Escape) => Outcome::Cancel,
            Action::Command(Command::Up) => {
                self.chosen = self.chosen.saturating_sub(1);
                Outcome::Stay
            }
            Action::Command(Command::Down) => {
                self.chosen = (self.chosen + 1).min(self.choices.len().saturating_sub(1));
                Outcome::Stay
            }
            Action::Command(Command::NextField) | Action::Command(Command::PrevField) => {
                self.on_confirm = !self.on_confirm;
                Outcome::Stay
            }
            Action::Command(Command::Confirm) => Outcome::Confirm(self.job()),
            Action::Command(Command::Press) | Action::InputDone if self.on_confirm => {
                Outcome::Confirm(self.job())
            }
            Action::Command(Command::Press) | Action::InputDone => Outcome::Cancel,
            _ => Outcome::Stay,
        }
    }
}

pub fn draw(app: &App, d: &TaskDialog, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let width = 64u16.min(area.width.saturating_sub(4));
    let inner = width.saturating_sub(4) as usize;
    let x = &d.task;
    let now = app.now();
    let line = |text: String, style| Line::from(Span::styled(fit(&text, inner), style));
    let mut lines = vec![line(x.title.clone(), t.title())];
    let who = match (&x.contact_email, x.company.is_empty()) {
        (Some(_), false) => format!("{} · {}", x.contact_name, x.company),
        (Some(_), true) => x.contact_name.clone(),
        (None, _) => "no contact".to_string(),
    };
    lines.push(line(who, t.base()));
    if let Some(phone) = &x.phone {
        lines.push(line(format!("phone {phone}"), t.base()));
    }
    if let (Some(seq), Some(n), Some(m)) = (&x.sequence, x.step, x.steps) {
        lines.push(line(format!("{seq}, step {n} of {m}"), t.dim()));
    }
    lines.push(line(
        format!(
            "due {}{}",
            crate::tui::text::moment(x.due_at, now),
            if x.overdue { " (overdue)" } else { "" }
        ),
        if x.overdue { t.error() } else { t.dim() },
    ));
    lines.push(Line::from(""));
    let (title, go) = match d.action {
        TaskAction::Done => {
            lines.push(line(
                "Its enrollment moves on: the next step is due its delay from now.".into(),
                t.base(),
            ));
            (" Complete this task? ", " Done ")
        }
        TaskAction::Skip => {
            lines.push(line(
                "Skipped, not done: the enrollment moves on as if it were.".into(),
                t.base(),
            ));
            (" Skip this task? ", " Skip ")
        }
        TaskAction::Snooze => {
            lines.push(line(
                format!("Snooze until ({} time; ↑↓ choose):", x.time_zone),
                t.base(),
            ));
            for (i, (label, at)) in d.choices.iter().enumerate() {
                let mark = if i == d.chosen { "▸" } else { " " };
                let style = if i == d.chosen { t.focused() } else { t.base() };
                lines.push(line(
                    format!("{mark} {label:<18} {}", at.format("%a %b %d %H:%M UTC")),
                    style,
                ));
            }
            lines.push(line(
                "The enrollment keeps waiting at this step.".into(),
                t.dim(),
            ));
            (" Snooze this task ", " Snooze ")
        }
    };
    lines.push(Line::from(""));
    lines.push(buttons(app, go, d.on_confirm, !d.on_confirm, inner));
    lines.push(line(
        format!(
            "{} confirm · {}/esc cancel · tab switches the buttons",
            key(app, Command::Confirm),
            key(app, Command::Cancel)
        ),
        t.dim(),
    ));
    boxed(app, frame, area, title.to_string(), width, lines);
}

impl super::Dialog for TaskDialog {
    fn handle(&mut self, action: &Action) -> Outcome {
        TaskDialog::handle(self, action)
    }
    fn draw(&self, app: &App, frame: &mut Frame, area: Rect) {
        draw(app, self, frame, area)
    }
    fn running_label(&self) -> String {
        TaskDialog::running_label(self)
    }
}
