//! The enrollments of one sequence: title, status chips and filter field,
//! then the table — built only for the rows on screen.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Areas, Column, draw_list, fit_columns, header_line, row_line};
use crate::domain::describe_status;
use crate::tui::app::{App, Chip, EnrollmentsState};
use crate::tui::text::{self, count, day, fit, local_part};

const COLUMNS: [Column; 9] = [
    Column::new("", 3, 3, 0, 0),
    Column::new("Contact", 12, 30, 3, 1),
    Column::new("Email", 14, 34, 3, 6),
    Column::new("Company", 10, 24, 2, 5),
    Column::new("Owner", 8, 14, 1, 7),
    Column::new("Status", 10, 24, 1, 2),
    Column::new("Step", 5, 5, 0, 3),
    Column::new("Next due", 8, 10, 1, 4),
    Column::new("Engaged", 7, 10, 1, 8),
];

pub fn draw(app: &App, frame: &mut Frame, a: &Areas) {
    let Some(e) = &app.enrollments else {
        return;
    };
    top(app, e, frame, a);
    if a.list.height == 0 {
        return;
    }
    let t = &app.theme;
    let now = app.ws.now();
    let widths = fit_columns(&COLUMNS, a.list.width);
    let status_width = widths[5].unwrap_or(0) as usize;
    let rows_on_screen = a.list.height.saturating_sub(1) as usize;
    let visible = e.cursor.visible(e.ids.len(), rows_on_screen);
    let mut rows = Vec::with_capacity(visible.len());
    for index in visible {
        let id = e.ids[index];
        let focused = index == e.cursor.selected;
        let in_range = e
            .marks
            .range(e.cursor.selected)
            .is_some_and(|r| r.contains(&index));
        let marked = e.marks.contains(id);
        let check = match (marked, in_range) {
            (true, _) => "[x]",
            (false, true) => "[+]",
            _ => "[ ]",
        };
        let row_style = if focused {
            t.focused()
        } else if marked || in_range {
            t.marked()
        } else {
            t.base()
        };
        let cells = match e.rows.get(&id) {
            Some(r) => {
                // The end reason (or the stale mark) when the column has
                // room; else the status, or for a stale row just "stale".
                let (mut status, short) = if r.stale {
                    (format!("{}·stale", r.status), "stale".to_string())
                } else {
                    (
                        describe_status(r.status, r.end_reason),
                        r.status.to_string(),
                    )
                };
                if text::width(&status) > status_width {
                    status = short;
                }
                vec![
                    (check.to_string(), t.base()),
                    (r.contact_name.clone(), t.base()),
                    (r.contact_email.clone(), t.base()),
                    (r.company.clone(), t.base()),
                    (
                        r.owner
                            .as_deref()
                            .map(local_part)
                            .unwrap_or("–")
                            .to_string(),
                        t.base(),
                    ),
                    (status, t.status(r.status)),
                    (format!("{}/{}", r.step, r.steps), t.base()),
                    (
                        r.next_due_at
                            .map(|d| day(d, now))
                            .unwrap_or_else(|| "–".into()),
                        t.base(),
                    ),
                    (
                        r.last_engagement_at
                            .map(|d| day(d, now))
                            .unwrap_or_else(|| "–".into()),
                        t.base(),
                    ),
                ]
            }
            None => vec![(check.to_string(), t.base()), ("…".to_string(), t.dim())],
        };
        rows.push(row_line(&COLUMNS, cells, &widths, a.list.width, row_style));
    }
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
    draw_list(
        app,
        frame,
        a.list,
        header_line(app, &COLUMNS, &widths),
        rows,
        &empty,
    );
}

fn top(app: &App, e: &EnrollmentsState, frame: &mut Frame, a: &Areas) {
    let t = &app.theme;
    let s = &e.sequence;
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
