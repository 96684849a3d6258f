//! The status line: what just happened, a running write's spinner, and
//! where the cursor is in the list on screen.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::action::Command;
use crate::tui::app::{App, Screen, Tone};
use crate::tui::text::{self};

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub fn status_line(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    // The list on screen; elsewhere the open sequence's marks.
    let list = app.shown_list().or(app.enrollments.as_ref());
    let marked = match app.screen() {
        Screen::Contacts => app.contacts.marks.len(),
        _ => list.map_or(0, |e| e.marked_count()),
    };
    let mut spans = vec![Span::styled(
        format!(" {} marked ", text::count(marked as i64)),
        if marked > 0 { t.marked() } else { t.dim() },
    )];
    if let Some(e) = list
        && e.marks.range_active()
    {
        spans.push(Span::styled("(range: space or v marks it) ", t.dim()));
    }
    if let Some(r) = &app.running {
        let elapsed = r.started.elapsed();
        let frame_no = (elapsed.as_millis() / 100) as usize % SPINNER.len();
        spans.push(Span::styled(
            format!(
                "│ {} {}… {:.1} s ",
                SPINNER[frame_no],
                r.label,
                elapsed.as_secs_f32()
            ),
            t.key(),
        ));
    } else if let Some(note) = &app.note {
        let style = match note.tone {
            Tone::Info => t.base(),
            Tone::Success => t.success(),
            Tone::Error => t.error(),
        };
        spans.push(Span::styled("│ ", t.dim()));
        // The change just reported can be undone: say how, and for how long
        // (R15's window), before the message so that it is never cut.
        if let Some(batch) = &note.batch
            && app.undoable.as_ref().is_some_and(|c| &c.batch == batch)
            && let Some(minutes) = app.undo_minutes_left()
        {
            spans.push(Span::styled(
                format!(
                    "{} undo ({minutes} min)",
                    app.keymap.first_key(Command::Undo)
                ),
                t.key(),
            ));
            spans.push(Span::styled(" · ", t.dim()));
        }
        spans.push(Span::styled(text::clean(&note.text).into_owned(), style));
    }
    let position = position_text(app);
    let left: usize = spans.iter().map(|s| s.width()).sum();
    let room = (area.width as usize).saturating_sub(left);
    if !position.is_empty() && room > text::width(&position) + 1 {
        spans.push(Span::raw(" ".repeat(room - text::width(&position))));
        spans.push(Span::styled(position, t.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// "12 of 62,340" for the list on screen.
fn position_text(app: &App) -> String {
    let (at, len) = match app.screen() {
        Screen::Sequences => (app.sequences.cursor.selected, app.sequences.list.len()),
        Screen::Enrollments | Screen::All => match app.shown_list() {
            // Only a first page so far: the length is not known yet.
            Some(e) if e.provisional => {
                return format!("{} of … ", text::count(e.cursor.selected as i64 + 1));
            }
            Some(e) => (e.cursor.selected, e.ids.len()),
            None => (0, 0),
        },
        Screen::Contacts => (app.contacts.cursor.selected, app.contacts.results.len()),
        Screen::Activity => (app.activity.cursor.selected, app.activity.list.len()),
        Screen::Reports => (app.reports.cursor.selected, app.reports.list.len()),
        Screen::Lists => (app.lists.cursor.selected, app.lists.list.len()),
        // The queue is read a page at a time: "12 of 200+" while more wait.
        Screen::Tasks if app.tasks.more => {
            return format!(
                "{} of {}+ ",
                text::count(app.tasks.cursor.selected as i64 + 1),
                text::count(app.tasks.list.len() as i64)
            );
        }
        Screen::Tasks => (app.tasks.cursor.selected, app.tasks.list.len()),
        Screen::Steps => return String::new(),
    };
    if len == 0 {
        String::new()
    } else {
        format!(
            "{} of {} ",
            text::count(at as i64 + 1),
            text::count(len as i64)
        )
    }
}
