//! The Activity view: the audit log, newest first, live. Its state, the
//! reader's answer and its draw.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::domain::AuditEntry;
use crate::tui::action::{Job, JobOutcome};
use crate::tui::app::{AUDIT_LIMIT, App};
use crate::tui::list::Cursor;
use crate::tui::text::{count, local_part, moment};
use crate::tui::view::{Areas, Column, draw_table};

#[derive(Debug, Default)]
pub struct ActivityState {
    pub entries: Vec<AuditEntry>,
    pub cursor: Cursor,
    pub loaded: bool,
    pub pending: Option<u64>,
}

/// Asks the reader for the newest audit entries.
pub fn request(app: &mut App) {
    super::ask(
        app,
        |a| &mut a.activity.pending,
        |generation| Job::Audit { generation },
    );
}

/// The audit entries arrived (if still the ones asked): keep the focus
/// on the same entry.
pub fn done(app: &mut App, generation: u64, result: JobOutcome<Vec<AuditEntry>>) {
    let Some(entries) = super::answer(app, |a| &mut a.activity.pending, generation, result) else {
        return;
    };
    let s = &mut app.activity;
    let was = s.entries.get(s.cursor.selected).map(|a| a.id);
    s.entries = entries;
    s.loaded = true;
    let rows = app.list_rows();
    let s = &mut app.activity;
    super::refocus(&mut s.cursor, &s.entries, was, |a| a.id, rows);
}

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
