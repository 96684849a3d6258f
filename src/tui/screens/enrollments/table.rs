//! The table both enrollment lists draw: its columns (the All view's add
//! the sequence; a sorted list marks its sort column) and only the rows
//! the cursor's window shows.

use ratatui::Frame;
use ratatui::layout::Rect;

use super::EnrollmentsState;
use crate::tui::app::App;
use crate::tui::text::{self, day, local_part};
use crate::tui::view::{Column, draw_list, fit_columns, header_line, measure, row_line};

/// The All view's columns: the same, and the sequence after the contact
/// (kept before everything but the contact when the screen is narrow).
pub(crate) const ALL_COLUMNS: [Column; 11] = [
    Column::new("", 3, 3, 0, 0),
    Column::new("Contact", 16, 30, 3, 1),
    Column::new("Sequence", 14, 28, 2, 2),
    Column::new("Email", 14, 34, 3, 7),
    Column::new("Company", 10, 24, 2, 6),
    Column::new("Owner", 8, 14, 1, 8),
    // Who enrolled the contact (R10, R12): after the owner when narrow.
    Column::new("Enrolled by", 11, 14, 1, 9),
    Column::new("Status", 10, 24, 1, 3),
    Column::new("Step", 5, 5, 0, 4),
    Column::new("Next due", 8, 10, 1, 5),
    Column::new("Engaged", 7, 10, 1, 10),
];

pub(crate) const COLUMNS: [Column; 10] = [
    Column::new("", 3, 3, 0, 0),
    Column::new("Contact", 16, 30, 3, 1),
    Column::new("Email", 14, 34, 3, 6),
    Column::new("Company", 10, 24, 2, 5),
    Column::new("Owner", 8, 14, 1, 7),
    Column::new("Enrolled by", 11, 14, 1, 8),
    Column::new("Status", 10, 24, 1, 2),
    Column::new("Step", 5, 5, 0, 3),
    Column::new("Next due", 8, 10, 1, 4),
    Column::new("Engaged", 7, 10, 1, 9),
];

/// The table of an enrollment list; `columns` has a "Sequence" column or
/// not.
pub(crate) fn table(
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
    // Sorted by another column than the contact: its header says so.
    let (columns, with_enrolled) = super::sorting::sorted_columns(columns, e.sort);
    let columns = columns.as_slice();
    let t = &app.theme;
    let now = app.now();
    let with_sequence = columns.iter().any(|c| c.title == "Sequence");
    let status_column = columns.iter().position(|c| c.title == "Status");
    let rows_on_screen = area.height.saturating_sub(1) as usize;
    let visible = e.cursor.visible(e.ids.len(), rows_on_screen);
    // The page's cells first, so that the columns are sized to what is on
    // screen: measured with the short status; the long one (end reason,
    // stale mark) replaces it where the column ends up wide enough.
    let mut page = Vec::with_capacity(visible.len());
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
        let (cells, long) = match e.rows.get(&id) {
            Some(r) => {
                // The end reason (or the stale mark) when the column has
                // room; else the status, or for a stale row just "stale".
                let (long, status) = if r.stale {
                    (format!("{}·stale", r.status), "stale".to_string())
                } else {
                    (
                        crate::tui::text::status_label(r.status, r.end_reason),
                        r.status.to_string(),
                    )
                };
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
                    (local_part(&r.enrolled_by).to_string(), t.base()),
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
                if with_enrolled {
                    cells.push((day(r.enrolled_at, now), t.base()));
                }
                (cells, Some(long))
            }
            None => (
                vec![(check.to_string(), t.base()), ("…".to_string(), t.dim())],
                None,
            ),
        };
        page.push((cells, long, row_style));
    }
    let content = measure(columns.len(), page.iter().map(|(c, _, _)| c.as_slice()));
    let widths = fit_columns(columns, area.width, &content);
    let status_width = status_column.and_then(|i| widths[i]).unwrap_or(0) as usize;
    let rows = page
        .into_iter()
        .map(|(mut cells, long, row_style)| {
            if let (Some(i), Some(long)) = (status_column, long)
                && let Some(cell) = cells.get_mut(i)
                && text::width(&long) <= status_width
            {
                cell.0 = long;
            }
            row_line(columns, cells, &widths, area.width, row_style)
        })
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
