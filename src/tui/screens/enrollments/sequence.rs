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
                " · {} · {} · {} enrolled",
                local_part(&s.owner),
                text::plural(s.steps, "step", "steps"),
                count(s.total)
            ),
            t.dim(),
        ),
    ]);
    // What follows the chips — the stale toggle, the filter and its count —
    // is laid out first: the chips take the room left, in the roomiest form
    // that fits (counts on every chip; on the chosen one only; the others
    // shortened; the chosen one alone), so that the filter and its count
    // always show.
    let mut tail = Vec::new();
    // The stale toggle sits with the chips: it narrows whichever is chosen,
    // and when on shows how many rows are left, as the chosen chip does.
    if e.stale {
        let left = if e.pending.is_some() {
            String::new()
        } else {
            format!("{} ", count(e.ids.len() as i64))
        };
        tail.push(Span::styled(format!(" stale ✓ {left}"), t.chip_active()));
    } else {
        tail.push(Span::styled(" stale ", t.chip()));
    }
    tail.push(Span::raw("  "));
    if e.editing {
        tail.push(Span::styled("/ ", t.key()));
        tail.push(Span::styled(
            format!("{}▏", text::clean(&e.search)),
            t.input(),
        ));
    } else if !e.search.is_empty() {
        tail.push(Span::styled("/ ", t.key()));
        tail.push(Span::styled(text::clean(&e.search).into_owned(), t.input()));
    } else {
        tail.push(Span::styled("/ filter", t.dim()));
    }
    if e.pending.is_some() && !e.search.trim().is_empty() {
        tail.push(Span::styled("  filtering…", t.dim()));
    } else if e.pending.is_some() {
        tail.push(Span::styled("  loading…", t.dim()));
    } else if !e.search.trim().is_empty() {
        tail.push(Span::styled(
            format!("  {} match", count(e.ids.len() as i64)),
            t.dim(),
        ));
    }
    let tail_width: usize = tail.iter().map(|s| s.width()).sum();
    let chips_in = |form: usize| -> Vec<Span<'static>> {
        let mut chips = vec![Span::raw(" ")];
        for c in Chip::ALL {
            let chosen = c == e.chip;
            let label = match form {
                0 => format!(" {} {} ", c.label(), count(c.count(s))),
                _ if chosen => format!(" {} {} ", c.label(), count(c.count(s))),
                1 => format!(" {} ", c.label()),
                2 => format!(" {} ", c.label().chars().take(3).collect::<String>()),
                _ => continue,
            };
            chips.push(Span::styled(
                label,
                if chosen { t.chip_active() } else { t.chip() },
            ));
            chips.push(Span::raw(" "));
        }
        chips
    };
    let mut chips = Vec::new();
    for form in 0..4 {
        chips = chips_in(form);
        let used: usize = chips.iter().map(|s| s.width()).sum();
        if used + tail_width <= width {
            break;
        }
    }
    chips.extend(tail);
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
