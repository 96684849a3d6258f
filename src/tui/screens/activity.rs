//! The Activity view: the audit log, newest first, live. Its state, the
//! reader's answer and its draw.

use ratatui::Frame;

use crate::domain::AuditEntry;
use crate::tui::action::{Job, JobOutcome};
use crate::tui::app::{AUDIT_LIMIT, App};
use crate::tui::text::{count, local_part, moment, reason_label};
use crate::tui::view::{Areas, Column, draw_heading, draw_table};

/// The Activity view: the newest audit entries.
pub type ActivityState = super::Listed<AuditEntry>;

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
    super::arrived(app, |a| &mut a.activity, generation, result, |a| a.id);
}

const COLUMNS: [Column; 7] = [
    Column::new("When", 12, 16, 0, 0),
    Column::new("Who", 8, 16, 1, 1),
    Column::new("Action", 9, 10, 0, 2),
    Column::new("Count", 7, 7, 0, 3).right(),
    Column::new("Reason", 10, 34, 1, 5),
    Column::new("What", 14, 60, 4, 4),
    Column::new("Batch", 6, 8, 0, 6),
];

pub fn draw(app: &App, frame: &mut Frame, a: &Areas) {
    let t = &app.theme;
    let s = &app.activity;
    let now = app.ws.now();
    draw_heading(
        app,
        frame,
        a.top,
        " Activity",
        format!(
            " · the audit log, newest first · {}{}",
            crate::tui::text::plural(s.list.len() as i64, "entry", "entries"),
            if s.list.len() >= AUDIT_LIMIT {
                " (latest)"
            } else {
                ""
            }
        ),
    );
    draw_table(
        app,
        frame,
        a.list,
        &COLUMNS,
        s.list.len(),
        &s.cursor,
        if s.loaded {
            "Nothing has happened yet."
        } else {
            "Loading the audit log…"
        },
        |i| {
            let x = &s.list[i];
            let what = match &x.note {
                Some(note) if !note.is_empty() => format!("{} — {note}", x.detail),
                _ => x.detail.clone(),
            };
            let style = t.row(i == s.cursor.selected);
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
                    (
                        x.reason
                            .as_deref()
                            .map(reason_label)
                            .unwrap_or_else(|| "–".into()),
                        t.base(),
                    ),
                    (what, t.base()),
                    (x.batch.clone().unwrap_or_default(), t.dim()),
                ],
                style,
            )
        },
    );
}
