//! The Activity view: the audit log, newest first, live; `m` shows only
//! entries about the user's own enrollments (or made by the user). Its
//! state, the reader's answer and its draw — and the notices of the
//! user's enrollments that ended by themselves (reply, meeting, bounce,
//! opt-out), said in the status line wherever the user is and counted on
//! the Activity tab until Activity is opened.

use ratatui::Frame;

use crate::domain::{AuditEntry, AutomaticEnds};
use crate::tui::action::JobOutcome;
use crate::tui::app::{AUDIT_LIMIT, App, Screen, Tone};
use crate::tui::text::{count, local_part, moment, reason_label};
use crate::tui::view::{Areas, Column, draw_heading, draw_table};

/// The Activity view: the newest audit entries.
pub type ActivityState = super::Listed<AuditEntry>;

/// The "mine" filters of the Sequences and Activity views (`m`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Mine {
    /// Sequences the user owns or enrolled someone in.
    pub sequences: bool,
    /// Audit entries about enrollments the user enrolled, or by the user.
    pub activity: bool,
}

/// Watching for the user's enrollments that end by themselves.
#[derive(Debug, Default)]
pub struct Notices {
    /// The newest audit id already looked at (`None` until the first
    /// answer: what happened before the app opened is not announced).
    pub after: Option<i64>,
    pub pending: Option<u64>,
    /// Ends announced since Activity was last opened (the tab's count).
    pub unseen: usize,
}

/// Asks the reader for the newest audit entries (only the user's, with
/// the "mine" filter on).
pub fn request(app: &mut App) {
    let generation = app.next_generation();
    app.activity.pending = Some(generation);
    let mine = app.mine.activity;
    app.run(AuditRead { generation, mine });
}

/// `m` in Activity: only entries about my enrollments, or all again.
pub fn toggle_mine(app: &mut App) {
    app.mine.activity = !app.mine.activity;
    app.activity.cursor = Default::default();
    request(app);
}

/// The view comes on screen: read it, and the count on its tab is seen.
pub fn shown(app: &mut App) {
    app.notices.unseen = 0;
    request(app);
}

/// Asks which of the user's enrollments ended by themselves since the
/// last look (the first look only takes the starting point).
pub fn watch_ends(app: &mut App) {
    let generation = app.next_generation();
    app.notices.pending = Some(generation);
    let after = app.notices.after;
    app.run(EndsRead { generation, after });
}

/// The answer: say the newest end in the status line ("Emily Chen replied
/// — Webinar Follow-up ended", and how many more), count them on the
/// Activity tab unless Activity is on screen.
pub fn ends_done(app: &mut App, generation: u64, result: JobOutcome<AutomaticEnds>) {
    let Some(found) = super::answer(app, |a| &mut a.notices.pending, generation, result) else {
        return;
    };
    let first_look = app.notices.after.is_none();
    app.notices.after = Some(found.upto.max(app.notices.after.unwrap_or(0)));
    if first_look || found.ends.is_empty() {
        return;
    }
    let n = found.ends.len();
    if app.tab != Screen::Activity {
        app.notices.unseen += n;
    }
    let Some(last) = found.ends.last() else {
        return;
    };
    let more = if n > 1 {
        format!(" (and {} more of yours)", count((n - 1) as i64))
    } else {
        String::new()
    };
    app.say(Tone::Info, format!("{}{more}", last.sentence()));
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
    let now = app.now();
    draw_heading(
        app,
        frame,
        a.top,
        " Activity",
        format!(
            " · the audit log, newest first{} · {}{}",
            if app.mine.activity {
                ", only about my enrollments or by me (m: all)"
            } else {
                ""
            },
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

/// The newest audit entries (`mine`: only those by the user or about
/// enrollments the user enrolled).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRead {
    pub generation: u64,
    pub mine: bool,
}

impl crate::tui::action::Work for AuditRead {
    type Answer = Vec<AuditEntry>;
    const READ: bool = true;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        user: &crate::domain::User,
    ) -> crate::domain::Result<Vec<AuditEntry>> {
        if self.mine {
            ws.audit_mine(user, AUDIT_LIMIT)
        } else {
            ws.audit(None, AUDIT_LIMIT)
        }
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<Vec<AuditEntry>>) {
        done(app, self.generation, result)
    }
}

/// The user's enrollments that ended by themselves after an audit id
/// (`None`: only the newest audit id, the starting point).
#[derive(Debug, Clone, PartialEq)]
pub struct EndsRead {
    pub generation: u64,
    pub after: Option<i64>,
}

impl crate::tui::action::Work for EndsRead {
    type Answer = AutomaticEnds;
    const READ: bool = true;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        user: &crate::domain::User,
    ) -> crate::domain::Result<AutomaticEnds> {
        ws.automatic_ends(user, self.after, crate::tui::app::NOTICE_LIMIT)
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<AutomaticEnds>) {
        ends_done(app, self.generation, result)
    }
}
