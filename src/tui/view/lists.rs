//! The Lists view: every saved list (a named query the team shares) with
//! how many enrollments it matches now, its query, who saved it and when.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Areas, Column, draw_table};
use crate::tui::action::Command;
use crate::tui::app::App;
use crate::tui::text::{self, count, local_part, moment};

const COLUMNS: [Column; 5] = [
    Column::new("List", 14, 28, 1, 0),
    Column::new("Matches", 7, 9, 0, 1).right(),
    Column::new("Query", 16, 96, 5, 2),
    Column::new("Saved by", 12, 16, 1, 3),
    Column::new("Updated", 12, 12, 0, 4),
];

pub fn draw(app: &App, frame: &mut Frame, a: &Areas) {
    let t = &app.theme;
    let s = &app.lists;
    let open = app.keymap.first_key(Command::Open);
    let delete = app.keymap.first_key(Command::DeleteList);
    let save = app.keymap.first_key(Command::SaveList);
    let all = app.keymap.first_key(Command::ViewAll);
    let title = if !s.loaded {
        " · loading…".to_string()
    } else if s.list.is_empty() {
        String::new()
    } else {
        format!(
            " · {} · {open} opens one in All enrollments · {delete} deletes",
            text::plural(s.list.len() as i64, "list", "lists")
        )
    };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" Lists", t.title()),
            Span::styled(title, t.dim()),
        ])),
        a.top,
    );
    let now = app.ws.now();
    let empty = if s.loaded {
        format!("No saved lists yet: in {all} All enrollments, write a query and {save} saves it.")
    } else {
        "Loading the lists…".to_string()
    };
    draw_table(
        app,
        frame,
        a.list,
        &COLUMNS,
        s.list.len(),
        &s.cursor,
        &empty,
        |i| {
            let c = &s.list[i];
            let style = if i == s.cursor.selected {
                t.focused()
            } else {
                t.base()
            };
            (
                vec![
                    (c.list.name.clone(), t.base()),
                    (count(c.count), t.base()),
                    (c.list.query.clone(), t.base()),
                    (local_part(&c.list.updated_by).to_string(), t.base()),
                    (moment(c.list.updated_at, now), t.base()),
                ],
                style,
            )
        },
    );
}
