//! Lists as tables: columns sized to the screen (dropped in order when it
//! is narrow), the header row, and only the rows the cursor's window
//! shows (virtual lists).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::app::App;
use crate::tui::text::{self};

/// A column of a list: title, width bounds, share of spare width, and the
/// order in which columns are dropped when the screen is narrow (lower
/// stays longer).
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub title: &'static str,
    pub min: u16,
    pub max: u16,
    pub grow: u16,
    pub keep: u8,
    /// Numbers are right-aligned.
    pub right: bool,
}

impl Column {
    pub const fn new(title: &'static str, min: u16, max: u16, grow: u16, keep: u8) -> Column {
        Column {
            title,
            min,
            max,
            grow,
            keep,
            right: false,
        }
    }

    pub const fn right(self) -> Column {
        Column {
            right: true,
            ..self
        }
    }
}

/// Widths for `columns` in `width` cells (one space between columns);
/// `None` for a column that does not fit. `content` is, per column, the
/// widest cell on the page on screen (see [`measure`]): a column never
/// takes more than its title and its widest cell need before every
/// column that is cut has been given room — the most important first, up
/// to its max, then beyond it (VisiData- and k9s-style); what is left then
/// grows columns by weight up to their max.
pub fn fit_columns(columns: &[Column], width: u16, content: &[usize]) -> Vec<Option<u16>> {
    // What each column needs to show its title and its visible cells whole.
    let want: Vec<u16> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let cells = content.get(i).copied().unwrap_or(c.max as usize);
            cells.max(text::width(c.title)).min(u16::MAX as usize) as u16
        })
        .collect();
    // A column whose cells are narrower than its minimum needs no more.
    let floor: Vec<u16> = columns
        .iter()
        .zip(&want)
        .map(|(c, &w)| c.min.min(w))
        .collect();
    let mut order: Vec<usize> = (0..columns.len()).collect();
    order.sort_by_key(|&i| (columns[i].keep, i));
    let mut chosen = vec![false; columns.len()];
    let mut used = 0u16;
    for &i in &order {
        let need = floor[i] + if used == 0 { 0 } else { 1 };
        if used + need <= width {
            chosen[i] = true;
            used += need;
        }
    }
    let mut widths: Vec<Option<u16>> = floor
        .iter()
        .zip(&chosen)
        .map(|(&f, &on)| on.then_some(f))
        .collect();
    let mut spare = width.saturating_sub(used);
    // The cut columns first, the most important first, up to what their
    // cells need: first each up to its max (a fair share), then beyond.
    for cap in [true, false] {
        for &i in &order {
            let limit = if cap {
                want[i].min(columns[i].max.max(floor[i]))
            } else {
                want[i]
            };
            if let Some(w) = widths[i]
                && w < limit
                && spare > 0
            {
                let add = (limit - w).min(spare);
                widths[i] = Some(w + add);
                spare -= add;
            }
        }
    }
    // Then share what is left by weight, a cell at a time up to each max.
    while spare > 0 {
        let mut grew = false;
        for (i, c) in columns.iter().enumerate() {
            if let Some(w) = widths[i]
                && c.grow > 0
                && w < c.max
                && spare > 0
            {
                let add = c.grow.min(c.max - w).min(spare);
                widths[i] = Some(w + add);
                spare -= add;
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    widths
}

/// Per column, the widest of the given rows' cells (as they will print):
/// what [`fit_columns`] needs. Only the rows on screen are measured.
pub fn measure<'a>(
    columns: usize,
    rows: impl IntoIterator<Item = &'a [(String, Style)]>,
) -> Vec<usize> {
    let mut widest = vec![0usize; columns];
    for row in rows {
        for (w, (cell, _)) in widest.iter_mut().zip(row) {
            *w = (*w).max(text::width(&text::clean(cell)));
        }
    }
    widest
}

/// The column header line of a list.
pub fn header_line<'a>(app: &App, columns: &[Column], widths: &[Option<u16>]) -> Line<'a> {
    let mut spans = Vec::new();
    let mut first = true;
    for (c, w) in columns.iter().zip(widths) {
        if let Some(w) = w {
            if !first {
                spans.push(Span::raw(" "));
            }
            first = false;
            let title = if c.right {
                text::pad_left(c.title, *w as usize)
            } else {
                text::pad(c.title, *w as usize)
            };
            spans.push(Span::styled(title, app.theme.table_header()));
        }
    }
    Line::from(spans)
}

/// One list row from its cells (texts and styles per column); cells of
/// dropped columns are skipped. Every cell is cleaned and fitted.
pub fn row_line<'a>(
    columns: &[Column],
    cells: Vec<(String, Style)>,
    widths: &[Option<u16>],
    total: u16,
    row_style: Style,
) -> Line<'a> {
    let mut spans = Vec::new();
    let mut first = true;
    let mut used = 0usize;
    for (((text_, style), w), c) in cells.into_iter().zip(widths).zip(columns) {
        if let Some(w) = w {
            if !first {
                spans.push(Span::raw(" "));
                used += 1;
            }
            first = false;
            let cell = if c.right {
                text::pad_left(&text_, *w as usize)
            } else {
                text::pad(&text_, *w as usize)
            };
            spans.push(Span::styled(cell, style));
            used += *w as usize;
        }
    }
    // Pad to the full width so that the focused row's highlight is a bar.
    if (total as usize) > used {
        spans.push(Span::raw(" ".repeat(total as usize - used)));
    }
    Line::from(spans).style(row_style)
}

/// Draws a list: header row, then the given rows; a message when empty.
pub fn draw_list(
    app: &App,
    frame: &mut Frame,
    area: Rect,
    header: Line<'_>,
    rows: Vec<Line<'_>>,
    empty: &str,
) {
    if area.height == 0 {
        return;
    }
    let mut lines = vec![header];
    if rows.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::styled(format!("  {empty}"), app.theme.dim()));
    } else {
        lines.extend(rows);
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// A sequence's name in a list, "(archived)" when it is, and the row's
/// style: focused, dimmed when archived, else plain.
pub fn sequence_cell(
    t: &crate::tui::Theme,
    name: &str,
    archived: bool,
    focused: bool,
) -> (String, ratatui::style::Style) {
    let label = if archived {
        format!("{name} (archived)")
    } else {
        name.to_string()
    };
    let style = if focused {
        t.focused()
    } else if archived {
        t.dim()
    } else {
        t.base()
    };
    (label, style)
}

/// A list view's heading line: its name, then `note` dimmed.
pub fn draw_heading(app: &App, frame: &mut Frame, area: Rect, name: &str, note: String) {
    let t = &app.theme;
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(name.to_string(), t.title()),
            Span::styled(note, t.dim()),
        ])),
        area,
    );
}

/// A list view's table: the columns that fit `area`, one row per item the
/// cursor's window shows (`cells(i)` gives item `i`'s cells and row style),
/// and the header; `empty` when there are no rows.
#[allow(clippy::too_many_arguments)]
pub fn draw_table(
    app: &App,
    frame: &mut Frame,
    area: Rect,
    columns: &[Column],
    len: usize,
    cursor: &crate::tui::list::Cursor,
    empty: &str,
    mut cells: impl FnMut(usize) -> (Vec<(String, Style)>, Style),
) {
    let page: Vec<(Vec<(String, Style)>, Style)> = cursor
        .visible(len, area.height.saturating_sub(1) as usize)
        .map(&mut cells)
        .collect();
    let content = measure(columns.len(), page.iter().map(|(c, _)| c.as_slice()));
    let widths = fit_columns(columns, area.width, &content);
    let rows: Vec<Line> = page
        .into_iter()
        .map(|(cells, style)| row_line(columns, cells, &widths, area.width, style))
        .collect();
    draw_list(
        app,
        frame,
        area,
        header_line(app, columns, &widths),
        rows,
        empty,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: [Column; 3] = [
        Column::new("Name", 10, 40, 3, 0),
        Column::new("Count", 12, 20, 1, 1).right(),
        Column::new("Note", 8, 30, 1, 2),
    ];

    #[test]
    fn slack_goes_to_the_cut_columns_first() {
        // Names need 30, counts 5 (narrower than their minimum), notes 20.
        let widths = fit_columns(&COLUMNS, 50, &[30, 3, 20]);
        // The count shrinks to its title; the name gets all it needs before
        // the note (less important) gets the rest.
        assert_eq!(widths, vec![Some(30), Some(5), Some(13)]);
        // Nothing grows past its need while another column is cut.
        let widths = fit_columns(&COLUMNS, 40, &[30, 3, 20]);
        assert_eq!(widths, vec![Some(25), Some(5), Some(8)]);
    }

    #[test]
    fn when_everything_fits_the_rest_grows_by_weight() {
        let widths = fit_columns(&COLUMNS, 80, &[12, 3, 6]);
        let total: u16 = widths.iter().flatten().sum::<u16>() + 2;
        assert!(total <= 80);
        assert!(widths[0].unwrap() >= 12 && widths[2].unwrap() >= 8);
    }

    #[test]
    fn only_the_given_rows_are_measured() {
        let rows = [
            vec![
                ("Ada".to_string(), Style::default()),
                ("1".into(), Style::default()),
            ],
            vec![("Grace Hopper".to_string(), Style::default())],
        ];
        assert_eq!(
            measure(3, rows.iter().map(|r| r.as_slice())),
            vec![12, 1, 0]
        );
    }
}
