//! Delete a saved list (its enrollments do not change).

use ratatui::text::Line;

use super::manage::{ManageDialog, ManageKind, footer, line};
use crate::tui::app::App;
use crate::tui::text::plural;

use crate::tui::action::JobOutcome;
use crate::tui::app::{Screen, Tone};
use crate::tui::screens::lists;
use crate::tui::update::saw_own_commit;

pub(super) fn lines(app: &App, d: &ManageDialog, inner: usize) -> (String, Vec<Line<'static>>) {
    let t = &app.theme;
    let ManageKind::DeleteList {
        name,
        query,
        count: matches,
        saved_by,
    } = &d.kind
    else {
        return (String::new(), Vec::new());
    };
    let mut lines = vec![
        line(format!("'{name}', saved by {saved_by}"), inner, t.title()),
        line(
            if query.is_empty() {
                "query: every enrollment".to_string()
            } else {
                format!("query: {query}")
            },
            inner,
            t.base(),
        ),
        Line::from(""),
        line(
            format!(
                "It matches {} now; they do not change.",
                plural(*matches, "enrollment", "enrollments")
            ),
            inner,
            t.base(),
        ),
        line(
            "The list is gone for the whole team.".into(),
            inner,
            t.base(),
        ),
    ];
    footer(app, d, "Delete", inner, &mut lines);
    (" Delete this saved list? ".to_string(), lines)
}

/// `d` in the Lists view: asks before deleting the focused list.
pub fn open(app: &mut App) {
    if app.screen() != Screen::Lists {
        return;
    }
    if app.still_writing() {
        return;
    }
    match app.lists.focused() {
        Some(list) => app.dialog = Some(Box::new(ManageDialog::delete_list(list.clone()))),
        None => app.say(Tone::Info, "There is no saved list to delete."),
    }
}

/// The list was deleted (or not).
pub fn done(app: &mut App, result: JobOutcome<Box<crate::domain::SavedList>>) {
    app.running = None;
    match result {
        Ok(list) => {
            app.say(
                Tone::Success,
                format!(
                    "Deleted the list '{}'; its enrollments did not change.",
                    list.name
                ),
            );
            if let Some(q) = app.all.as_mut().and_then(|e| e.query_source_mut())
                && q.list.as_ref().is_some_and(|l| l.id == list.id)
            {
                q.list = None;
            }
            saw_own_commit(app);
            lists::request(app);
        }
        Err(err) => app.fail(&err),
    }
}

/// Delete the saved list `name`.
#[derive(Debug, Clone, PartialEq)]
pub struct DeleteTeamList {
    pub name: String,
}

impl crate::tui::action::Work for DeleteTeamList {
    type Answer = Box<crate::domain::SavedList>;
    const READ: bool = false;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        user: &crate::domain::User,
    ) -> crate::domain::Result<Box<crate::domain::SavedList>> {
        ws.delete_list(user, &self.name).map(Box::new)
    }
    fn done(
        self,
        app: &mut App,
        result: crate::tui::action::JobOutcome<Box<crate::domain::SavedList>>,
    ) {
        done(app, result)
    }
}
