//! Delete a saved list (its enrollments do not change).

use ratatui::text::Line;

use super::manage::{ManageDialog, ManageKind, footer, line};
use crate::tui::app::App;
use crate::tui::text::plural;

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
