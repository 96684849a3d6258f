//! The Activity view: the audit log, newest first, live.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Areas, Column, draw_table};
use crate::tui::app::{AUDIT_LIMIT, App};
use crate::tui::text::{count, local_part, moment};

const COLUMNS: [Column; 7] = [
    Column::new("When", 12, 16, 0, 0),
    Column::new("Who", 8, 16, 1, 1),
    Column::new("Action", 9, 10, 0, 2),
    Column::new("Count", 7, 7, 0, 3).right(),
    Column::new("Reason", 10, 18, 1, 5),
    Column::new("What", 14, 60, 4, 4),
    Column::new("Batch", 6, 8, 0, 6),
];

pub fn draw(app: &App, frame: &mut Frame, a: &Areas) {
    let t = &app.theme;
    let s = &app.activity;
    let now = app.ws.now();
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" Activity", t.title()),
            Span::styled(
                format!(
                    " · the audit log, newest first · {} entries{}",
                    count(s.entries.len() as i64),
                    if s.entries.len() >= AUDIT_LIMIT {
                        " (latest)"
                    } else {
                        ""
                    }
                ),
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
        s.entries.len(),
        &s.cursor,
        if s.loaded {
            "Nothing has happened yet."
        } else {
            "Loading the audit log…"
        },
        |i| {
            let x = &s.entries[i];
            let what = match &x.note {
                Some(note) if !note.is_empty() => format!("{} — {note}", x.detail),
                _ => x.detail.clone(),
            };
            let style = if i == s.cursor.selected {
                t.focused()
            } else {
                t.base()
            };
            (
                vec![
                    (moment(x.at, now), t.base()),
                    (
                        x.actor
                            .as_deref()
                            .map(local_part)
                            .unwrap_or("engine")
                            .to_string(),
                        t.base(),
                    ),
                    (x.action.clone(), t.base()),
                    (count(x.count), t.base()),
                    (x.reason.clone().unwrap_or_else(|| "–".into()), t.base()),
                    (what, t.base()),
                    (x.batch.clone().unwrap_or_default(), t.dim()),
                ],
                style,
            )
        },
    );
}
