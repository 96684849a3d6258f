//! Saving the All view's query as the team's list: its name.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{Outcome, boxed};
use crate::domain::Filter;
use crate::tui::action::{Action, Command, Job};
use crate::tui::app::App;
use crate::tui::text::{self, fit, plural};

use crate::tui::action::JobOutcome;
use crate::tui::app::{Screen, Tone};
use crate::tui::dialogs::Dialog;
use crate::tui::screens::lists;
use crate::tui::update::saw_own_commit;

/// Asks for the name to save a filter under. Enter saves (on a worker),
/// Esc cancels; a name the team already uses replaces that list's filter,
/// which the dialog says before.
#[derive(Debug)]
pub struct SaveListDialog {
    pub name: String,
    pub filter: Filter,
    /// How many enrollments the filter lists now.
    pub count: usize,
    pub notice: Option<String>,
}

impl SaveListDialog {
    pub fn handle(&mut self, action: &Action) -> Outcome {
        match action {
            Action::Command(Command::Cancel) | Action::Command(Command::Escape) => Outcome::Cancel,
            Action::Input(c) => {
                self.name.push(*c);
                self.notice = None;
                Outcome::Stay
            }
            Action::InputBackspace => {
                self.name.pop();
                self.notice = None;
                Outcome::Stay
            }
            Action::InputDone | Action::Command(Command::Press) => {
                let name = self.name.trim();
                if name.is_empty() {
                    self.notice = Some("Type a name for the list first.".into());
                    return Outcome::Stay;
                }
                Outcome::Confirm(Job::from(SaveTeamList {
                    name: name.to_string(),
                    filter: Box::new(self.filter.clone()),
                }))
            }
            _ => Outcome::Stay,
        }
    }
}

pub fn draw(app: &App, d: &SaveListDialog, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let width = 70.min(area.width.saturating_sub(2));
    let inner = width.saturating_sub(4) as usize;
    let query = d.filter.to_query();
    let mut lines = vec![
        Line::from(vec![
            Span::styled("Query  ", t.dim()),
            Span::styled(
                fit(
                    if query.is_empty() {
                        "(every enrollment)"
                    } else {
                        &query
                    },
                    inner.saturating_sub(7),
                ),
                t.input(),
            ),
        ]),
        Line::from(Span::styled(
            fit(
                &format!(
                    "It matches {} now.",
                    plural(d.count as i64, "enrollment", "enrollments")
                ),
                inner,
            ),
            t.base(),
        )),
        Line::from(""),
    ];
    // Keep the end of a long name (where the typing is) in view.
    let room = inner.saturating_sub(7);
    let mut chars: Vec<char> = text::clean(&d.name).chars().collect();
    while text::width(&chars.iter().collect::<String>()) > room.saturating_sub(1) {
        chars.remove(0);
    }
    let shown: String = chars.into_iter().collect();
    lines.push(Line::from(vec![
        Span::styled("Name   ", t.key()),
        Span::styled(format!("{shown}▏"), t.input()),
    ]));
    // A name in use: saving replaces that list's query (the domain says
    // whether this user may).
    let name = d.name.trim();
    if let Some(existing) = app
        .lists
        .list
        .iter()
        .find(|c| !name.is_empty() && c.list.name.eq_ignore_ascii_case(name))
    {
        lines.push(Line::from(Span::styled(
            fit(
                &format!(
                    "A list of this name exists (saved by {}); saving replaces its query.",
                    existing.list.created_by
                ),
                inner,
            ),
            t.error(),
        )));
    } else {
        lines.push(Line::from(Span::styled(
            fit("Shared with the team: anyone can open it.", inner),
            t.dim(),
        )));
    }
    if let Some(notice) = &d.notice {
        lines.push(Line::from(Span::styled(fit(notice, inner), t.error())));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        fit("enter saves · esc cancels", inner),
        t.dim(),
    )));
    boxed(
        app,
        frame,
        area,
        " Save the query as a list ".into(),
        width,
        lines,
    );
}

/// `L` in the All view: asks for a name to save the query under (the open
/// list's name by default, which replaces its query).
pub fn open(app: &mut App) {
    if app.screen() != Screen::All {
        return;
    }
    let Some(e) = app.shown_list() else {
        return;
    };
    let Some(q) = e.query_source() else {
        return;
    };
    if q.asked.is_some() {
        app.say(
            Tone::Info,
            "The query is still running; save it when the list is there.",
        );
        return;
    }
    let dialog = SaveListDialog {
        name: q.list.as_ref().map(|l| l.name.clone()).unwrap_or_default(),
        filter: q.filter.clone(),
        count: e.ids.len(),
        notice: None,
    };
    app.dialog = Some(Box::new(dialog));
    // The names in use, so that the dialog can say a save replaces one.
    lists::request(app);
}

/// The list was saved (or not).
pub fn done(app: &mut App, result: JobOutcome<Box<crate::domain::SaveListReport>>) {
    app.running = None;
    match result {
        Ok(report) => {
            let n = crate::tui::text::plural(report.count, "enrollment", "enrollments");
            let text = if report.replaced {
                format!(
                    "Saved the new query of the list '{}' ({n})",
                    report.list.name
                )
            } else {
                format!("Saved the list '{}' ({n})", report.list.name)
            };
            app.say(Tone::Success, text);
            if let Some(q) = app.all.as_mut().and_then(|e| e.query_source_mut())
                && q.filter == report.list.filter
            {
                q.list = Some(report.list);
            }
            saw_own_commit(app);
            lists::request(app);
        }
        Err(err) => app.fail(&err),
    }
}

impl Dialog for SaveListDialog {
    fn handle(&mut self, action: &Action) -> Outcome {
        SaveListDialog::handle(self, action)
    }
    fn draw(&self, app: &App, frame: &mut Frame, area: Rect) {
        draw(app, self, frame, area)
    }
    fn running_label(&self) -> String {
        format!("Saving the list '{}'", self.name.trim())
    }
    fn typing(&self) -> bool {
        true
    }
    fn typing_hints(&self) -> Option<Vec<(&'static str, &'static str)>> {
        Some(vec![
            ("typing", "the list's name"),
            ("enter", "save"),
            ("esc", "cancel"),
        ])
    }
}

/// Save the filter as the team's list `name` (or replace its filter).
#[derive(Debug, Clone, PartialEq)]
pub struct SaveTeamList {
    pub name: String,
    pub filter: Box<Filter>,
}

impl crate::tui::action::Work for SaveTeamList {
    type Answer = Box<crate::domain::SaveListReport>;
    const READ: bool = false;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        user: &crate::domain::User,
    ) -> crate::domain::Result<Box<crate::domain::SaveListReport>> {
        ws.save_list(user, &self.name, &self.filter).map(Box::new)
    }
    fn done(
        self,
        app: &mut App,
        result: crate::tui::action::JobOutcome<Box<crate::domain::SaveListReport>>,
    ) {
        done(app, result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(c: Command) -> Action {
        Action::Command(c)
    }

    #[test]
    fn saving_a_list_needs_a_name_and_y_is_text() {
        let filter = Filter::parse("status:active").unwrap();
        let mut d = SaveListDialog {
            name: String::new(),
            filter: filter.clone(),
            count: 3,
            notice: None,
        };
        assert_eq!(d.handle(&Action::InputDone), Outcome::Stay);
        assert!(d.notice.is_some());
        for c in "yes ".chars() {
            d.handle(&Action::Input(c));
        }
        assert_eq!(
            d.handle(&Action::InputDone),
            Outcome::Confirm(Job::from(SaveTeamList {
                name: "yes".into(),
                filter: Box::new(filter)
            }))
        );
        assert_eq!(d.handle(&cmd(Command::Escape)), Outcome::Cancel);
    }
}
