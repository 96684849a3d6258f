//! Drawing: `view(&App, &mut Frame)` is a pure function of the state — it
//! never mutates it and never asks the store. The layout is computed by
//! `areas`, which `update` also uses to map clicks and page sizes, so the
//! two never disagree.

mod help;

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::app::{App, MIN_HEIGHT, MIN_WIDTH, Screen, Tone, View};
use super::text::{self, fit};

/// Where everything goes on a screen of a given size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Areas {
    pub header: Rect,
    /// The view's own lines above the list (title, chips, search field).
    pub top: Rect,
    /// The list, its column header row included.
    pub list: Rect,
    pub detail: Option<Rect>,
    /// The Reports view's charts of the focused sequence, under the list.
    pub charts: Option<Rect>,
    pub status: Rect,
    pub hints: Rect,
}

/// The layout of `app` on `area`.
pub fn areas(app: &App, area: Rect) -> Areas {
    let [header, body, status, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let top_lines = match app.screen() {
        Screen::Enrollments => 2,
        // Title, chips, and the query line.
        Screen::All => 3,
        _ => 1,
    };
    let [top, rest] =
        Layout::vertical([Constraint::Length(top_lines), Constraint::Min(0)]).areas(body);
    let mut charts = None;
    let (list, detail) = match app.screen() {
        Screen::Enrollments | Screen::All | Screen::Contacts if app.detail.open => {
            (Rect::new(rest.x, rest.y, rest.width, 0), Some(rest))
        }
        Screen::Enrollments | Screen::All | Screen::Contacts if app.wide() => {
            let pane = (rest.width * 35 / 100).clamp(40, 72).min(rest.width / 2);
            let [list, detail] =
                Layout::horizontal([Constraint::Min(0), Constraint::Length(pane)]).areas(rest);
            (list, Some(detail))
        }
        Screen::Reports => {
            // The table takes what its rows need, leaving the charts at
            // least 45% (5 to 17 lines); the charts get the rest.
            let chart_min = (rest.height * 45 / 100).clamp(5, 17).min(rest.height);
            let table = (app.reports.list.len() as u16 + 1)
                .max(2)
                .min(rest.height - chart_min);
            let [list, below] =
                Layout::vertical([Constraint::Length(table), Constraint::Min(0)]).areas(rest);
            charts = Some(below);
            (list, None)
        }
        _ => (rest, None),
    };
    Areas {
        header,
        top,
        list,
        detail,
        charts,
        status,
        hints,
    }
}

/// Draws the whole screen.
pub fn view(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(app, frame, area);
        return;
    }
    let a = areas(app, area);
    header(app, frame, a.header);
    match app.screen() {
        Screen::Sequences => super::screens::sequences::draw(app, frame, &a),
        Screen::Enrollments => super::screens::enrollments::sequence::draw(app, frame, &a),
        Screen::Contacts => super::screens::contacts::draw(app, frame, &a),
        Screen::Activity => super::screens::activity::draw(app, frame, &a),
        Screen::Reports => super::screens::reports::draw(app, frame, &a),
        Screen::All => super::screens::enrollments::query::draw_all(app, frame, &a),
        Screen::Lists => super::screens::lists::draw(app, frame, &a),
    }
    if let Some(pane) = a.detail {
        super::screens::detail::draw(app, frame, pane);
    }
    if app.screen() == Screen::All {
        super::screens::enrollments::query::draw_editor(app, frame, &a);
    }
    status_line(app, frame, a.status);
    hint_bar(app, frame, a.hints);
    if app.dialog.is_some() {
        super::dialogs::draw(app, frame, area);
    }
    if app.help.is_some() {
        help::draw(app, frame, area);
    }
}

fn too_small(app: &App, frame: &mut Frame, area: Rect) {
    let text = format!(
        "The terminal is {}×{}; seqtui needs at least {MIN_WIDTH}×{MIN_HEIGHT}. Make the window larger, or press ctrl-c to quit.",
        area.width, area.height
    );
    let y = area.height.saturating_sub(3) / 2;
    let rect = Rect::new(
        area.x,
        area.y + y,
        area.width,
        area.height.saturating_sub(y),
    );
    frame.render_widget(
        Paragraph::new(text)
            .style(app.theme.title())
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        rect,
    );
}

/// How the header names the views, says who and when, and badges a demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HeaderLayout {
    /// "demo workspace" rather than "demo".
    long_badge: bool,
    right: Right,
    tabs: Tabs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Right {
    /// "Maya Okafor (manager) Nov 27 09:00 UTC".
    Long,
    /// "Maya (manager) 09:00".
    Short,
    /// "Maya (manager)".
    NoClock,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tabs {
    /// " 1 Sequences  2 Contacts  …": full names, a space either side.
    Spaced,
    /// " 1 Sequences 2 Contacts …": full names sharing their spaces.
    Full,
    /// The same with short names ("5 All").
    Short,
    /// Short names for views 1–4; the newest two (5 All enrollments and
    /// 6 Lists) by number only, so that the line does not change as one
    /// moves between views (their own title line names them).
    Newest,
}

/// The layouts from the richest down. The first whose parts leave the
/// workspace's name `HEADER_NAME_ROOM` cells is used; failing that, the
/// first that fits at all (the name then shows only if 8 cells are left).
/// The long badge is kept while it fits, as newcomers look for it.
const HEADER_LAYOUTS: [HeaderLayout; 7] = [
    HeaderLayout {
        long_badge: true,
        right: Right::Long,
        tabs: Tabs::Spaced,
    },
    HeaderLayout {
        long_badge: true,
        right: Right::Long,
        tabs: Tabs::Full,
    },
    HeaderLayout {
        long_badge: true,
        right: Right::Long,
        tabs: Tabs::Short,
    },
    HeaderLayout {
        long_badge: false,
        right: Right::Short,
        tabs: Tabs::Full,
    },
    HeaderLayout {
        long_badge: false,
        right: Right::Short,
        tabs: Tabs::Short,
    },
    HeaderLayout {
        long_badge: false,
        right: Right::Short,
        tabs: Tabs::Newest,
    },
    HeaderLayout {
        long_badge: false,
        right: Right::NoClock,
        tabs: Tabs::Newest,
    },
];

const HEADER_NAME_ROOM: usize = 14;

/// The pieces of the header line, left to right: text, style, and the
/// view a click on it switches to.
fn header_parts(app: &App, width: u16) -> Vec<(String, Style, Option<View>)> {
    let t = &app.theme;
    let now = app.ws.now();
    let first = app
        .user
        .name
        .split_whitespace()
        .next()
        .unwrap_or(&app.user.name);
    let badge_of = |l: &HeaderLayout| match (app.info.demo, l.long_badge) {
        (true, true) => Some(" demo workspace "),
        (true, false) => Some(" demo "),
        _ => None,
    };
    let right_of = |l: &HeaderLayout| match l.right {
        Right::Long => format!(
            " {} ({}) {} ",
            app.user.name,
            app.user.role,
            now.format("%b %d %H:%M UTC")
        ),
        Right::Short => format!(
            " {} ({}) {} ",
            fit(first, 12),
            app.user.role,
            now.format("%H:%M")
        ),
        Right::NoClock => format!(" {} ({}) ", fit(first, 12), app.user.role),
    };
    let room_of = |l: &HeaderLayout| {
        let tabs: usize = tab_labels(l.tabs)
            .iter()
            .map(|(label, _)| text::width(label))
            .sum();
        let used = badge_of(l).map_or(0, text::width) + text::width(&right_of(l)) + tabs;
        (width as usize).checked_sub(used)
    };
    // The long badge's layouts first, roomy then tight; then the others.
    let (long, short): (Vec<HeaderLayout>, Vec<HeaderLayout>) =
        HEADER_LAYOUTS.iter().partition(|l| l.long_badge);
    let layout = [long, short]
        .iter()
        .find_map(|group| {
            group
                .iter()
                .find(|l| room_of(l).is_some_and(|r| r >= HEADER_NAME_ROOM))
                .or_else(|| group.iter().find(|l| room_of(l).is_some()))
                .copied()
        })
        .unwrap_or(HEADER_LAYOUTS[HEADER_LAYOUTS.len() - 1]);
    let badge = badge_of(&layout);
    let right = right_of(&layout);
    let name_room = room_of(&layout).unwrap_or(0).min(40);
    let mut parts = Vec::new();
    if name_room >= 8 {
        parts.push((
            format!(" {} ", fit(&app.info.name, name_room - 2)),
            t.header_title(),
            None,
        ));
    }
    if let Some(b) = badge {
        parts.push((b.to_string(), t.badge(), None));
    }
    for (label, v) in tab_labels(layout.tabs) {
        let style = if v == app.view {
            t.tab_active()
        } else {
            t.header()
        };
        parts.push((label, style, Some(v)));
    }
    let used: usize = parts.iter().map(|p| text::width(&p.0)).sum();
    let gap = (width as usize).saturating_sub(used + text::width(&right));
    parts.push((" ".repeat(gap), t.header(), None));
    parts.push((right, t.header(), None));
    parts
}

/// The views' names in the header, in one of its layouts.
fn tab_labels(tabs: Tabs) -> Vec<(String, View)> {
    let last = View::ALL.len();
    View::ALL
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let n = i + 1;
            let newest = matches!(v, View::All | View::Lists);
            let name = match tabs {
                Tabs::Spaced | Tabs::Full => v.title(),
                Tabs::Newest if newest => "",
                Tabs::Short | Tabs::Newest => v.short(),
            };
            let mut label = if name.is_empty() {
                format!(" {n}")
            } else {
                format!(" {n} {name}")
            };
            if tabs == Tabs::Spaced || n == last {
                label.push(' ');
            }
            (label, v)
        })
        .collect()
}

fn header(app: &App, frame: &mut Frame, area: Rect) {
    let spans: Vec<Span> = header_parts(app, area.width)
        .into_iter()
        .map(|(text, style, _)| Span::styled(text, style))
        .collect();
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(app.theme.header()),
        area,
    );
}

/// The view whose name in the header is at `column`.
pub fn tab_at(app: &App, column: u16) -> Option<View> {
    let mut x = 0usize;
    for (text, _, view) in header_parts(app, app.width) {
        let w = text::width(&text);
        if (column as usize) >= x && (column as usize) < x + w {
            return view;
        }
        x += w;
    }
    None
}

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

fn status_line(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    // The list on screen; elsewhere the open sequence's marks.
    let list = app.shown_list().or(app.enrollments.as_ref());
    let marked = list.map_or(0, |e| e.marked_count());
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
        Screen::Activity => (app.activity.cursor.selected, app.activity.entries.len()),
        Screen::Reports => (app.reports.cursor.selected, app.reports.list.len()),
        Screen::Lists => (app.lists.cursor.selected, app.lists.list.len()),
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

fn hint_bar(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let pairs: Vec<(String, String)> =
        if app.typing() && matches!(app.dialog, Some(super::dialogs::Dialog::SaveList(_))) {
            vec![
                ("typing".into(), "the list's name".into()),
                ("enter".into(), "save".into()),
                ("esc".into(), "cancel".into()),
            ]
        } else if app.typing() && app.dialog.is_none() && app.screen() == Screen::All {
            vec![
                ("typing".into(), "the query".into()),
                (
                    app.keymap.first_key(super::action::Command::Complete),
                    "complete".into(),
                ),
                ("↑↓".into(), "choose".into()),
                ("enter".into(), "apply".into()),
                ("esc".into(), "cancel".into()),
            ]
        } else if app.typing() {
            let what = if app.dialog.is_some() {
                "note"
            } else {
                "filter"
            };
            vec![
                ("typing".into(), format!("the {what}")),
                ("enter".into(), "done".into()),
                (
                    "esc".into(),
                    if app.dialog.is_some() {
                        "cancel".into()
                    } else {
                        "clear".into()
                    },
                ),
                ("↑↓".into(), "move".into()),
            ]
        } else if app.help.is_some() {
            vec![
                ("↑↓".into(), "scroll".into()),
                ("any key".into(), "close".into()),
            ]
        } else {
            app.keymap
                .hints(&app.scopes())
                .into_iter()
                .map(|(k, h)| (k, h.to_string()))
                .collect()
        };
    // The help key always makes it into the bar: it is the way to the rest.
    let help_key = app.keymap.first_key(super::action::Command::Help);
    let (pairs, tail): (Vec<_>, Vec<_>) = pairs
        .into_iter()
        .partition(|(key, hint)| !(key == &help_key && hint == "help"));
    let piece = |key: &str, hint: &str| text::width(key) + 1 + text::width(hint) + 2;
    let reserved: usize = tail.iter().map(|(k, h)| piece(k, h)).sum();
    let mut spans = Vec::new();
    let mut used = 1 + reserved;
    spans.push(Span::raw(" "));
    for (key, hint) in pairs {
        let w = piece(&key, &hint);
        if used + w > area.width as usize {
            break;
        }
        used += w;
        spans.push(Span::styled(key, t.key()));
        spans.push(Span::styled(format!(" {hint}  "), t.dim()));
    }
    for (key, hint) in tail {
        spans.push(Span::styled(key, t.key()));
        spans.push(Span::styled(format!(" {hint}  "), t.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

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
/// `None` for a column that does not fit.
pub fn fit_columns(columns: &[Column], width: u16) -> Vec<Option<u16>> {
    let mut order: Vec<usize> = (0..columns.len()).collect();
    order.sort_by_key(|&i| (columns[i].keep, i));
    let mut chosen = vec![false; columns.len()];
    let mut used = 0u16;
    for i in order {
        let need = columns[i].min + if used == 0 { 0 } else { 1 };
        if used + need <= width {
            chosen[i] = true;
            used += need;
        }
    }
    let mut widths: Vec<Option<u16>> = columns
        .iter()
        .zip(&chosen)
        .map(|(c, &on)| on.then_some(c.min))
        .collect();
    // Share the spare cells by weight, a cell at a time up to each max.
    let mut spare = width.saturating_sub(used);
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
pub(crate) fn sequence_cell(
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

/// A list view's table: the columns that fit `area`, one row per item the
/// cursor's window shows (`cells(i)` gives item `i`'s cells and row style),
/// and the header; `empty` when there are no rows.
#[allow(clippy::too_many_arguments)]
pub(crate) fn draw_table(
    app: &App,
    frame: &mut Frame,
    area: Rect,
    columns: &[Column],
    len: usize,
    cursor: &crate::tui::list::Cursor,
    empty: &str,
    mut cells: impl FnMut(usize) -> (Vec<(String, Style)>, Style),
) {
    let widths = fit_columns(columns, area.width);
    let rows: Vec<Line> = cursor
        .visible(len, area.height.saturating_sub(1) as usize)
        .map(|i| {
            let (cells, style) = cells(i);
            row_line(columns, cells, &widths, area.width, style)
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
