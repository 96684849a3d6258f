//! The enrollment lists: one sequence's (title, status chips and filter
//! field) and the All enrollments view's (title, chips, the query line and
//! its editor's completion popup), then the same table — built only for the
//! rows on screen; the All view's has a Sequence column.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{Areas, Column, draw_list, fit_columns, header_line, row_line};
use crate::domain::describe_status;
use crate::tui::action::Command;
use crate::tui::app::{App, Chip, EnrollmentsState, QuerySource};
use crate::tui::text::{self, count, day, fit, local_part, pad};

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

/// The All view's columns: the same, and the sequence after the contact
/// (kept before everything but the contact when the screen is narrow).
const ALL_COLUMNS: [Column; 10] = [
    Column::new("", 3, 3, 0, 0),
    Column::new("Contact", 12, 30, 3, 1),
    Column::new("Sequence", 14, 28, 2, 2),
    Column::new("Email", 14, 34, 3, 7),
    Column::new("Company", 10, 24, 2, 6),
    Column::new("Owner", 8, 14, 1, 8),
    Column::new("Status", 10, 24, 1, 3),
    Column::new("Step", 5, 5, 0, 4),
    Column::new("Next due", 8, 10, 1, 5),
    Column::new("Engaged", 7, 10, 1, 9),
];

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

/// The All enrollments view.
pub fn draw_all(app: &App, frame: &mut Frame, a: &Areas) {
    let Some(e) = &app.all else {
        return;
    };
    let Some(q) = e.query_source() else {
        return;
    };
    top_all(app, e, q, frame, a);
    let empty = if e.pending.is_some() {
        "Loading…"
    } else if q.filter.is_empty() {
        "Nobody is enrolled in any sequence yet."
    } else {
        "No enrollments match this query."
    };
    table(app, e, &ALL_COLUMNS, frame, a.list, empty);
}

/// The table of an enrollment list; `columns` has a "Sequence" column or
/// not.
fn table(
    app: &App,
    e: &EnrollmentsState,
    columns: &[Column],
    frame: &mut Frame,
    area: Rect,
    empty: &str,
) {
    if area.height == 0 {
        return;
    }
    let t = &app.theme;
    let now = app.ws.now();
    let with_sequence = columns.iter().any(|c| c.title == "Sequence");
    let widths = fit_columns(columns, area.width);
    let status_width = columns
        .iter()
        .position(|c| c.title == "Status")
        .and_then(|i| widths[i])
        .unwrap_or(0) as usize;
    let rows_on_screen = area.height.saturating_sub(1) as usize;
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
                let mut cells = vec![
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
                ];
                if with_sequence {
                    cells.insert(2, (r.sequence.clone(), t.base()));
                }
                cells
            }
            None => vec![(check.to_string(), t.base()), ("…".to_string(), t.dim())],
        };
        rows.push(row_line(columns, cells, &widths, area.width, row_style));
    }
    draw_list(
        app,
        frame,
        area,
        header_line(app, columns, &widths),
        rows,
        empty,
    );
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

/// The All view's lines above the table: where the rows come from and how
/// many match, the status chips and stale toggle (both part of the query),
/// and the query itself.
fn top_all(app: &App, e: &EnrollmentsState, q: &QuerySource, frame: &mut Frame, a: &Areas) {
    let t = &app.theme;
    let width = a.top.width as usize;
    let mut title = match &q.list {
        Some(list) => vec![
            Span::styled(" Lists › ", t.dim()),
            Span::styled(fit(&list.name, width.saturating_sub(40).max(10)), t.title()),
        ],
        None => vec![Span::styled(" All enrollments", t.title())],
    };
    if q.edited() {
        title.push(Span::styled(" (query changed)", t.dim()));
    }
    let listed = e.ids.len() as i64;
    let counted = if e.pending.is_some() {
        " · loading…".to_string()
    } else {
        match q.count {
            // After a change of ours the rows stay; the count is read again.
            Some(now) if now != listed => {
                format!(" · {} match now · {} listed", count(now), count(listed))
            }
            _ => format!(
                " · {}",
                text::plural(listed, "enrollment matches", "enrollments match")
            ),
        }
    };
    title.push(Span::styled(counted, t.dim()));
    if q.list.is_none() && !app.wide() {
        // Nothing more: the hint bar names the keys.
    } else if q.list.is_none() {
        title.push(Span::styled(" · across every sequence", t.dim()));
    }

    let current = q.current();
    let chosen = Chip::of(&current.statuses);
    let mut chips = vec![Span::raw(" ")];
    for c in Chip::ALL {
        chips.push(Span::styled(
            format!(" {} ", c.label()),
            if Some(c) == chosen {
                t.chip_active()
            } else {
                t.chip()
            },
        ));
        chips.push(Span::raw(" "));
    }
    if current.stale {
        chips.push(Span::styled(" stale ✓ ", t.chip_active()));
    } else {
        chips.push(Span::styled(" stale ", t.chip()));
    }

    let mut query = vec![Span::styled(" / ", t.key())];
    match &q.editor {
        Some(editor) => {
            // Keep the end, where the typing is, in view.
            let room = width.saturating_sub(4);
            let shown = text::clean(&editor.text);
            let mut chars: Vec<char> = shown.chars().collect();
            while text::width(&chars.iter().collect::<String>()) > room.saturating_sub(1) {
                chars.remove(0);
            }
            let tail: String = chars.into_iter().collect();
            query.push(Span::styled(format!("{tail}▏"), t.input()));
        }
        None => {
            let text_ = current.to_query();
            if text_.is_empty() {
                query.push(Span::styled("every enrollment (/ writes a query)", t.dim()));
            } else {
                query.push(Span::styled(
                    fit(&text_, width.saturating_sub(4)),
                    t.input(),
                ));
            }
        }
    }
    frame.render_widget(
        Paragraph::new(vec![
            Line::from(title),
            Line::from(chips),
            Line::from(query),
        ]),
        a.top,
    );
}

/// The query editor's popup under the query line: the sentence of a query
/// the domain could not read, and the completions for the term being typed
/// (or what its key takes).
pub fn draw_editor(app: &App, frame: &mut Frame, a: &Areas) {
    let Some(editor) = app.editor() else {
        return;
    };
    let t = &app.theme;
    let area = a.list;
    if editor.error.is_none() && editor.candidates.is_empty() && editor.key_help.is_none() {
        return;
    }
    let width = area.width.saturating_sub(2).min(76);
    if width < 20 || area.height < 4 {
        return;
    }
    let inner = width.saturating_sub(4) as usize;
    let mut lines: Vec<Line> = Vec::new();
    if let Some(error) = &editor.error {
        // The whole sentence, wrapped (up to four lines): it says what to
        // change.
        let mut rows = text::wrap(&format!("✗ {error}"), inner);
        if rows.len() > 4 {
            let rest = rows[3..].join(" ");
            rows.truncate(3);
            rows.push(fit(&rest, inner));
        }
        lines.extend(rows.into_iter().map(|r| Line::styled(r, t.error())));
    }
    if let Some(help) = &editor.key_help {
        lines.push(Line::styled(fit(help, inner), t.dim()));
    }
    let room = (area.height as usize)
        .saturating_sub(2 + lines.len())
        .clamp(1, 10);
    if !editor.candidates.is_empty() {
        let label_width = editor
            .candidates
            .iter()
            .map(|c| text::width(&c.label))
            .max()
            .unwrap_or(0)
            .min(inner / 2)
            .max(8);
        // A line says how many more there are when they do not all fit.
        let room = if editor.candidates.len() > room {
            room.saturating_sub(1).max(1)
        } else {
            room
        };
        let first = editor.selected.saturating_sub(room.saturating_sub(1));
        for (i, c) in editor.candidates.iter().enumerate().skip(first).take(room) {
            let chosen = i == editor.selected;
            let style = if chosen { t.focused() } else { t.base() };
            let mut spans = vec![Span::styled(
                format!(
                    "{}{}",
                    if chosen { "›" } else { " " },
                    pad(&c.label, label_width)
                ),
                style,
            )];
            if !c.help.is_empty() {
                let help_room = inner.saturating_sub(label_width + 2);
                spans.push(Span::styled(
                    format!(" {}", pad(&c.help, help_room)),
                    if chosen { style } else { t.dim() },
                ));
            }
            lines.push(Line::from(spans));
        }
        let hidden = editor.candidates.len().saturating_sub(first + room);
        if hidden > 0 {
            lines.push(Line::styled(
                format!("  … {} more", count(hidden as i64)),
                t.dim(),
            ));
        }
    }
    let height = (lines.len() as u16 + 2).min(area.height);
    let rect = Rect::new(area.x + 1, area.y, width, height);
    let complete = app.keymap.first_key(Command::Complete);
    let block = Block::bordered()
        .border_style(t.dialog_border())
        .title(Span::styled(" query ", t.title()))
        .title_bottom(Span::styled(
            fit(
                &format!(" {complete} completes · ↑↓ choose · enter applies · esc cancels "),
                width.saturating_sub(2) as usize,
            ),
            t.dim(),
        ));
    super::dialog::draw_box(frame, rect, block, lines);
}
