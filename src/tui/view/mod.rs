//! Drawing: `view(&App, &mut Frame)` is a pure function of the state — it
//! never mutates it and never asks the store. The layout is computed by
//! `areas`, which `update` also uses to map clicks and page sizes, so the
//! two never disagree.

pub mod help;

pub use crate::tui::widgets::header::tab_at;
pub use crate::tui::widgets::table::{
    Column, draw_heading, draw_list, draw_table, fit_columns, header_line, measure, row_line,
    sequence_cell,
};
use crate::tui::widgets::{header::header, hints::hint_bar, status::status_line};

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::widgets::{Paragraph, Wrap};

use super::app::{App, MIN_HEIGHT, MIN_WIDTH, Screen};

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
        Screen::Enrollments | Screen::All | Screen::Contacts | Screen::Tasks if app.detail.open => {
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
        Screen::Tasks => super::screens::tasks::draw(app, frame, &a),
        Screen::Steps => super::screens::steps::draw(app, frame, &a),
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
