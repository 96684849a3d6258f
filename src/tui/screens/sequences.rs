//! The Sequences view, where the app starts: every sequence with its
//! owner, steps, active / total enrolled and engagement rates.

use ratatui::Frame;

use crate::domain::SequenceSummary;
use crate::tui::action::{Command, JobOutcome};
use crate::tui::app::{App, EnrollmentsState, Keep, Source};
use crate::tui::text::{count, local_part, rate};
use crate::tui::view::{Areas, Column, draw_heading, draw_table, sequence_cell};

/// The Sequences view: every sequence with its counts and rates.
pub type SequencesState = super::Listed<SequenceSummary>;

/// Asks the reader for the sequence list (counts and rates).
pub fn request(app: &mut App) {
    let generation = app.next_generation();
    app.sequences.pending = Some(generation);
    let mine = app.mine.sequences;
    app.run(SequencesRead { generation, mine });
}

/// `m` in Sequences: only the sequences I own or enrolled someone in, or
/// all again.
pub fn toggle_mine(app: &mut App) {
    app.mine.sequences = !app.mine.sequences;
    request(app);
}

/// The sequence list arrived (if still the one asked): keep the focus on
/// the same sequence and update the counts of the open one.
pub fn done(app: &mut App, generation: u64, result: JobOutcome<Vec<SequenceSummary>>) {
    let Some(list) = super::answer(app, |a| &mut a.sequences.pending, generation, result) else {
        return;
    };
    let s = &mut app.sequences;
    let focused = s.list.get(s.cursor.selected).map(|s| s.id);
    s.list = list;
    s.loaded = true;
    if let Some(at) = focused.and_then(|id| s.list.iter().position(|s| s.id == id)) {
        s.cursor.selected = at;
    }
    let rows = app.list_rows();
    let s = &mut app.sequences;
    s.cursor.follow(s.list.len(), rows);
    if let Some(e) = &mut app.enrollments
        && let Source::Sequence(open) = &mut e.source
        && let Some(s) = app.sequences.list.iter().find(|s| s.id == open.id)
    {
        *open = s.clone();
    }
    app.refresh_completion();
}

/// Opens the sequence at `index`: its enrollment list.
pub fn open(app: &mut App, index: usize) {
    let Some(sequence) = app.sequences.list.get(index).cloned() else {
        return;
    };
    app.enrollments = Some(EnrollmentsState::new(Source::Sequence(sequence)));
    app.detail.open = false;
    app.query_enrollments(Keep::Top);
}

const COLUMNS: [Column; 6] = [
    Column::new("Sequence", 16, 64, 3, 0),
    Column::new("Owner", 8, 32, 1, 4),
    Column::new("Steps", 5, 5, 0, 3).right(),
    Column::new("Active/total", 12, 21, 1, 1).right(),
    Column::new("Replied", 7, 8, 0, 2).right(),
    Column::new("Meetings", 8, 8, 0, 5).right(),
];

pub fn draw(app: &App, frame: &mut Frame, a: &Areas) {
    let t = &app.theme;
    let s = &app.sequences;
    let open_key = app.keymap.first_key(Command::Open);
    draw_heading(
        app,
        frame,
        a.top,
        " Sequences",
        if s.loaded {
            format!(
                " · {}{} · {open_key} opens one",
                count(s.list.len() as i64),
                if app.mine.sequences {
                    " mine (I own or enrolled someone in; m: all)"
                } else {
                    ""
                }
            )
        } else {
            " · loading…".to_string()
        },
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
            let (name, style) = sequence_cell(t, &q.name, q.archived, i == s.cursor.selected);
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

/// Every sequence with its counts and rates (aggregates over the whole
/// store); `mine`: only those the user owns or enrolled someone in.
#[derive(Debug, Clone, PartialEq)]
pub struct SequencesRead {
    pub generation: u64,
    pub mine: bool,
}

impl crate::tui::action::Work for SequencesRead {
    type Answer = Vec<SequenceSummary>;
    const READ: bool = true;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        user: &crate::domain::User,
    ) -> crate::domain::Result<Vec<SequenceSummary>> {
        if self.mine {
            ws.my_sequences(user)
        } else {
            ws.sequences()
        }
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<Vec<SequenceSummary>>) {
        done(app, self.generation, result)
    }
}
