//! Moving in lists and the help overlay: rows, pages, ends, clicks and the wheel.

use super::*;

pub(super) fn list_len(app: &App) -> usize {
    match app.screen() {
        Screen::Sequences => app.sequences.list.len(),
        Screen::Enrollments | Screen::All => app.shown_list().map_or(0, |e| e.ids.len()),
        Screen::Contacts => app.contacts.results.len(),
        Screen::Activity => app.activity.list.len(),
        Screen::Reports => app.reports.list.len(),
        Screen::Lists => app.lists.list.len(),
        Screen::Tasks => app.tasks.list.len(),
        Screen::Steps => 0,
    }
}

pub(super) fn with_cursor(
    app: &mut App,
    f: impl FnOnce(&mut crate::tui::list::Cursor, usize, usize),
) {
    let rows = app.list_rows();
    let len = list_len(app);
    let cursor = match app.screen() {
        Screen::Sequences => &mut app.sequences.cursor,
        Screen::Enrollments | Screen::All => match app.shown_list_mut() {
            Some(e) => &mut e.cursor,
            None => return,
        },
        Screen::Contacts => &mut app.contacts.cursor,
        Screen::Activity => &mut app.activity.cursor,
        Screen::Reports => &mut app.reports.cursor,
        Screen::Lists => &mut app.lists.cursor,
        Screen::Tasks => &mut app.tasks.cursor,
        Screen::Steps => return,
    };
    f(cursor, len, rows);
    app.ensure_window();
    tasks::follow(app);
    detail::sync(app);
}

pub(super) fn move_by(app: &mut App, delta: isize) {
    with_cursor(app, |c, len, rows| c.move_by(delta, len, rows));
}

pub(super) fn move_to(app: &mut App, index: usize) {
    with_cursor(app, |c, len, rows| c.select(index, len, rows));
}

pub(super) fn page(app: &mut App, pages: isize) {
    with_cursor(app, |c, len, rows| c.page(pages, len, rows));
}

/// Ctrl-D / Ctrl-U: the view and the focus move half a page together.
pub(super) fn half_page(app: &mut App, direction: isize) {
    with_cursor(app, |c, len, rows| c.half_page(direction, len, rows));
}

pub(super) fn click(app: &mut App, column: u16, row: u16) {
    if app.help.is_some() || app.dialog.is_some() || app.too_small() {
        return;
    }
    let area = ratatui::layout::Rect::new(0, 0, app.width, app.height);
    let areas = view::areas(app, area);
    // A click on a view's name in the header switches to it.
    if row == areas.header.y {
        if let Some(view) = view::tab_at(app, column) {
            switch(app, view);
        }
        return;
    }
    let list = areas.list;
    if column < list.x
        || column >= list.x + list.width
        || row <= list.y
        || row >= list.y + list.height
    {
        return;
    }
    let offset = match app.screen() {
        Screen::Sequences => app.sequences.cursor.offset,
        Screen::Enrollments | Screen::All => app.shown_list().map_or(0, |e| e.cursor.offset),
        Screen::Contacts => app.contacts.cursor.offset,
        Screen::Activity => app.activity.cursor.offset,
        Screen::Reports => app.reports.cursor.offset,
        Screen::Lists => app.lists.cursor.offset,
        Screen::Tasks => app.tasks.cursor.offset,
        Screen::Steps => return,
    };
    let index = offset + (row - list.y - 1) as usize;
    if index < list_len(app) {
        move_to(app, index);
    }
}

pub(super) fn scroll(app: &mut App, lines: i32) {
    if app.help.is_some() {
        let s = app.help.unwrap_or(0);
        app.help = Some(s.saturating_add_signed(lines as i16));
        clamp_help(app);
        return;
    }
    if app.dialog.is_some() {
        return;
    }
    if app.detail.open {
        app.detail.scroll = app.detail.scroll.saturating_add_signed(lines as i16);
        return;
    }
    move_by(app, lines as isize);
}
