//! The Sequences view, where the app starts: every sequence with its
//! owner, steps, active / total enrolled and engagement rates.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Areas, Column, draw_table};
use crate::tui::action::Command;
use crate::tui::app::App;
use crate::tui::text::{count, local_part, rate};

const COLUMNS: [Column; 6] = [
    Column::new("Sequence", 16, 64, 3, 0),
    Column::new("Owner", 8, 32, 1, 4),
    Column::new("Steps", 5, 5, 0, 3).right(),
    Column::new("Active / total", 17, 21, 1, 1).right(),
    Column::new("Replied", 7, 8, 0, 2).right(),
    Column::new("Meetings", 8, 8, 0, 5).right(),
];

pub fn draw(app: &App, frame: &mut Frame, a: &Areas) {
    let t = &app.theme;
    let s = &app.sequences;
    let open_key = app.keymap.first_key(Command::Open);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" Sequences", t.title()),
            Span::styled(
                if s.loaded {
                    format!(" · {} · {open_key} opens one", count(s.list.len() as i64))
                } else {
                    " · loading…".to_string()
                },
                t.dim(),
            ),
        ])),
        a.top,
    );
    draw_table(
        app,
        frame,
        a.list,
        &COLUMNS,
        s.list.len(),
        &s.cursor,
        if s.loaded {
            "No sequences yet."
        } else {
            "Loading the sequences…"
        },
        |i| {
            let q = &s.list[i];
            let (name, style) =
                super::sequence_cell(t, &q.name, q.archived, i == s.cursor.selected);
            (
                vec![
                    (name, t.base()),
                    (local_part(&q.owner).to_string(), t.base()),
                    (q.steps.to_string(), t.base()),
                    (
                        format!("{} / {}", count(q.active), count(q.total)),
                        t.base(),
                    ),
                    (rate(q.reply_rate), t.base()),
                    (rate(q.meeting_rate), t.base()),
                ],
                style,
            )
        },
    );
}
