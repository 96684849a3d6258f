//! The help overlay, dialogs and the clock tick: what keys do while one is open.

use super::*;

/// The periodic look at the store's change counter, asked of the reader
/// (one look at a time); when another process committed, what is on
/// screen is read again (`App::changes_seen`).
pub(super) fn tick(app: &mut App) {
    app.age_note();
    if app.changes_pending.is_none() {
        app.look_for_changes(false);
    }
}

/// The overlay (keys or messages): moving keys scroll it, `?`, esc and q
/// close it, `M` shows the messages; every other key leaves it open.
pub(super) fn help(app: &mut App, action: &Action) {
    let scroll = app.help.unwrap_or(0);
    let page = app.height.saturating_sub(4).max(1);
    let half = (page / 2).max(1);
    let Action::Command(command) = action else {
        return;
    };
    app.help = match command {
        Command::Down => Some(scroll.saturating_add(1)),
        Command::Up => Some(scroll.saturating_sub(1)),
        Command::PageDown => Some(scroll.saturating_add(page)),
        Command::PageUp => Some(scroll.saturating_sub(page)),
        Command::HalfPageDown => Some(scroll.saturating_add(half)),
        Command::HalfPageUp => Some(scroll.saturating_sub(half)),
        Command::Top => Some(0),
        Command::Bottom => Some(u16::MAX),
        Command::Messages => {
            app.help_messages = true;
            Some(0)
        }
        Command::Help | Command::Escape | Command::Quit => None,
        _ => Some(scroll),
    };
    clamp_help(app);
}

/// Keeps the overlay's scroll inside its text; closing it forgets which
/// page it showed.
pub(super) fn clamp_help(app: &mut App) {
    match app.help {
        Some(scroll) => app.help = Some(scroll.min(view::help::max_scroll(app))),
        None => app.help_messages = false,
    }
}

pub(super) fn dialog(app: &mut App, action: &Action) {
    let Some(d) = &mut app.dialog else {
        return;
    };
    match d.handle(action) {
        Outcome::Stay => {}
        Outcome::Preview(job) => app.run(job),
        Outcome::Cancel => {
            app.dialog = None;
            app.say(Tone::Info, "Cancelled; nothing changed.");
        }
        Outcome::Confirm(job) => {
            let label = app
                .dialog
                .take()
                .map_or_else(|| "Working".to_string(), |d| d.running_label());
            app.note = None;
            app.running = Some(Running {
                label,
                started: Instant::now(),
                list: app.shown(),
            });
            app.run(job);
        }
    }
}
