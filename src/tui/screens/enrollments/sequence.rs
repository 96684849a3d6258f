//! A sequence's enrollment list: its title, chips and search line, over
//! the shared table.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{COLUMNS, EnrollmentsState, table};
use crate::tui::app::Keep;
use crate::tui::app::{App, Chip};
use crate::tui::text::{self, count, fit, local_part};
use crate::tui::view::Areas;

/// One sequence's enrollments.
pub fn draw(app: &App, frame: &mut Frame, a: &Areas) {
    let Some(e) = &app.enrollments else {
        return;
    };
    top(app, e, frame, a);
    let which = match (e.stale, e.chip) {
        (true, Chip::All) => "stale".to_string(),
        (true, chip) => format!("stale {}", chip.label()),
        (false, chip) => chip.label().to_string(),
    };
    let empty = if e.pending.is_some() {
        "Loading…".to_string()
    } else if !e.search.trim().is_empty() {
        format!(
            "No {which} enrollments match '{}'.",
            text::clean(e.search.trim())
        )
    } else if e.stale {
        format!("No {which} enrollments in this sequence.")
    } else if e.chip == Chip::All {
        "Nobody is enrolled in this sequence yet.".to_string()
    } else {
        format!("No {} enrollments in this sequence.", e.chip.label())
    };
    table(app, e, &COLUMNS, frame, a.list, &empty);
}

fn top(app: &App, e: &EnrollmentsState, frame: &mut Frame, a: &Areas) {
    let t = &app.theme;
    let Some(s) = e.sequence() else {
        return;
    };
    let width = a.top.width as usize;
    let title = Line::from(vec![
        Span::styled(" Sequences › ", t.dim()),
        Span::styled(fit(&s.name, width.saturating_sub(40).max(10)), t.title()),
        Span::styled(
            format!(
                " · {} · {} steps · {} enrolled",
                local_part(&s.owner),
                s.steps,
                count(s.total)
            ),
            t.dim(),
        ),
    ]);
    // Counts on every chip when there is room, else only on the chosen one.
    let full: usize = Chip::ALL
        .iter()
        .map(|c| c.label().len() + count(c.count(s)).len() + 4)
        .sum();
    let roomy = full + 30 <= width;
    let mut chips = vec![Span::raw(" ")];
    for c in Chip::ALL {
        let label = if roomy || c == e.chip {
            format!(" {} {} ", c.label(), count(c.count(s)))
        } else {
            format!(" {} ", c.label())
        };
        chips.push(Span::styled(
            label,
            if c == e.chip {
                t.chip_active()
            } else {
                t.chip()
            },
        ));
        chips.push(Span::raw(" "));
    }
    // The stale toggle sits with the chips: it narrows whichever is chosen,
    // and when on shows how many rows are left, as the chosen chip does.
    if e.stale {
        let left = if e.pending.is_some() {
            String::new()
        } else {
            format!("{} ", count(e.ids.len() as i64))
        };
        chips.push(Span::styled(format!(" stale ✓ {left}"), t.chip_active()));
    } else {
        chips.push(Span::styled(" stale ", t.chip()));
    }
    chips.push(Span::raw("  "));
    if e.editing {
        chips.push(Span::styled("/ ", t.key()));
        chips.push(Span::styled(
            format!("{}▏", text::clean(&e.search)),
            t.input(),
        ));
    } else if !e.search.is_empty() {
        chips.push(Span::styled("/ ", t.key()));
        chips.push(Span::styled(text::clean(&e.search).into_owned(), t.input()));
    } else {
        chips.push(Span::styled("/ filter", t.dim()));
    }
    if e.pending.is_some() && !e.search.trim().is_empty() {
        chips.push(Span::styled("  filtering…", t.dim()));
    } else if e.pending.is_some() {
        chips.push(Span::styled("  loading…", t.dim()));
    } else if !e.search.trim().is_empty() {
        chips.push(Span::styled(
            format!("  {} match", count(e.ids.len() as i64)),
            t.dim(),
        ));
    }
    frame.render_widget(Paragraph::new(vec![title, Line::from(chips)]), a.top);
}

/// A character typed in the list's search line (`None`: backspace).
pub fn typed(app: &mut App, c: Option<char>) {
    let Some(e) = &mut app.enrollments else {
        return;
    };
    if !e.editing {
        return;
    }
    let before = e.search.trim().to_string();
    match c {
        Some(c) => e.search.push(c),
        None => {
            e.search.pop();
        }
    }
    if e.search.trim() != before {
        app.query_enrollments(Keep::Top);
    }
}
