//! `update`: applies one action to the state and returns the effects for
//! the runner (quit, background jobs). Reads go through the workspace;
//! every change to the store leaves as a job for a worker thread, and its
//! result comes back as another action.

use std::time::Instant;

use super::action::{Action, Command, Effect};
use super::app::{App, Keep, Running, Screen, Tone};
use super::dialogs::Outcome;
use super::dialogs::{
    bulk_enroll, delete_list, enroll, pause_resume, save_list, transfer, undo, unenroll,
};
use super::screens::enrollments::{self, query};
use super::screens::{activity, contacts, detail, lists, reports, sequences, steps, tasks};
use super::view;

mod moves;
mod overlay;

use moves::*;
use overlay::*;

/// Applies `action`; returns what the runner must do next.
pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::ForceQuit => quit_now(app),
        Action::Resize { width, height } => {
            app.width = width;
            app.height = height;
            follow_all(app);
        }
        Action::Tick => tick(app),
        // Ctrl-Z works everywhere: in a list, a dialog or an overlay.
        Action::Command(Command::Suspend) => app.effects.push(Effect::Suspend),
        // A finished job: its answer goes to the screen or dialog that
        // asked (the job's own `Work::done`).
        Action::Done(done) => done.apply(app),
        Action::Edited { path, result } => steps::edited(app, path, result),
        Action::Click { column, row } => click(app, column, row),
        Action::Scroll(lines) => scroll(app, lines),
        other => {
            if app.help.is_some() {
                help(app, &other);
            } else if app.dialog.is_some() {
                dialog(app, &other);
            } else {
                match other {
                    Action::Command(c) => command(app, c),
                    Action::Input(c) => input(app, Some(c)),
                    Action::InputBackspace => input(app, None),
                    Action::InputDone => input_done(app),
                    _ => {}
                }
            }
        }
    }
    std::mem::take(&mut app.effects)
}

fn quit_now(app: &mut App) {
    app.quit = true;
    app.effects.push(Effect::Quit);
}

/// Keeps every cursor on screen after a resize, and loads what became
/// visible.
fn follow_all(app: &mut App) {
    let rows = app.list_rows();
    let len = app.sequences.list.len();
    app.sequences.cursor.follow(len, rows);
    let len = app.contacts.results.len();
    app.contacts.cursor.follow(len, rows);
    let len = app.activity.list.len();
    app.activity.cursor.follow(len, rows);
    let len = app.reports.list.len();
    app.reports.cursor.follow(len, rows);
    let len = app.lists.list.len();
    app.lists.cursor.follow(len, rows);
    let len = app.tasks.list.len();
    app.tasks.cursor.follow(len, rows);
    app.ensure_window();
    detail::sync(app);
}

fn command(app: &mut App, command: Command) {
    // The query editor takes completion, ↑↓ and esc; typing comes as input.
    if app.editor().is_some() && app.screen() == Screen::All {
        query::editor_command(app, command);
        return;
    }
    // The full-screen detail pane takes movement keys for scrolling and
    // closes on back / esc / tab / q.
    if app.detail.open && app.detail_shown() {
        if !detail::command(app, command) {
            match command {
                Command::Unenroll | Command::Enroll | Command::Undo => act(app, command),
                _ => global(app, command),
            }
        }
        return;
    }
    if app.screen() == Screen::Steps {
        steps_command(app, command);
        return;
    }
    match command {
        Command::Steps if app.screen() == Screen::Enrollments => steps::open(app),
        Command::Steps | Command::EditSequence => {}
        Command::Help
        | Command::Quit
        | Command::ViewSequences
        | Command::ViewContacts
        | Command::ViewActivity
        | Command::ViewReports
        | Command::ViewAll
        | Command::ViewLists
        | Command::ViewTasks
        | Command::Refresh
        | Command::Messages
        | Command::Suspend
        | Command::Escape => global(app, command),
        Command::TaskDone => tasks::work(app, crate::domain::TaskAction::Done),
        Command::TaskSkip => tasks::work(app, crate::domain::TaskAction::Skip),
        Command::TaskSnooze => tasks::work(app, crate::domain::TaskAction::Snooze),
        Command::ToggleMine => match app.screen() {
            Screen::Sequences => sequences::toggle_mine(app),
            Screen::Activity => activity::toggle_mine(app),
            _ => {}
        },
        Command::Up => move_by(app, -1),
        Command::Down => move_by(app, 1),
        Command::PageUp => page(app, -1),
        Command::PageDown => page(app, 1),
        Command::HalfPageUp => half_page(app, -1),
        Command::HalfPageDown => half_page(app, 1),
        Command::Top => move_to(app, 0),
        Command::Bottom => move_to(app, usize::MAX),
        Command::Open => open(app),
        Command::Back => back(app),
        Command::Detail => {
            if matches!(
                app.screen(),
                Screen::Enrollments | Screen::All | Screen::Contacts
            ) {
                app.detail.open = true;
                detail::sync(app);
            }
        }
        Command::ToggleMark => toggle_mark(app),
        Command::Range => enrollments::range(app),
        Command::MarkAll => enrollments::mark_all(app),
        Command::Filter => match app.screen() {
            Screen::Enrollments => {
                if let Some(e) = &mut app.enrollments {
                    e.editing = true;
                }
            }
            Screen::All => query::open_editor(app),
            Screen::Contacts => app.contacts.editing = true,
            _ => {}
        },
        Command::NextStatus => enrollments::chip(app, 1),
        Command::PrevStatus => enrollments::chip(app, -1),
        Command::ToggleStale => enrollments::toggle_stale(app),
        Command::NextSort | Command::PrevSort | Command::ReverseSort => {
            enrollments::sort(app, command)
        }
        Command::Unenroll
        | Command::Enroll
        | Command::PauseResume
        | Command::Undo
        | Command::Transfer => act(app, command),
        Command::Export => enrollments::export(app),
        Command::SaveList => save_list::open(app),
        Command::DeleteList => delete_list::open(app),
        Command::Complete
        | Command::Confirm
        | Command::Cancel
        | Command::Press
        | Command::NextField
        | Command::PrevField => {}
    }
}

/// The steps screen: moving, enter on a setting, `E`, and back.
fn steps_command(app: &mut App, command: Command) {
    match command {
        Command::Up => steps::move_by(app, -1),
        Command::Down => steps::move_by(app, 1),
        Command::PageUp | Command::Top => steps::move_to(app, 0),
        Command::PageDown | Command::Bottom => steps::move_to(app, usize::MAX),
        Command::Open => steps::toggle(app),
        Command::EditSequence => steps::edit(app),
        Command::Back | Command::Escape | Command::Quit => steps::close(app),
        Command::Undo => act(app, command),
        other => global(app, other),
    }
}

pub(crate) fn global(app: &mut App, command: Command) {
    match command {
        Command::Help => {
            app.help = Some(0);
            app.help_messages = false;
        }
        Command::Messages => {
            app.help = Some(0);
            app.help_messages = true;
        }
        Command::Suspend => app.effects.push(Effect::Suspend),
        Command::Quit => quit(app),
        Command::ViewSequences => switch(app, Screen::Sequences),
        Command::ViewContacts => switch(app, Screen::Contacts),
        Command::ViewActivity => switch(app, Screen::Activity),
        Command::ViewReports => switch(app, Screen::Reports),
        Command::ViewAll => switch(app, Screen::All),
        Command::ViewLists => switch(app, Screen::Lists),
        Command::ViewTasks => switch(app, Screen::Tasks),
        Command::Refresh => {
            app.refresh_all();
            app.say(Tone::Info, "Reloaded.");
        }
        Command::Escape => escape(app),
        _ => {}
    }
}

/// Shows a tab (a screen stacked on one shows that tab).
fn switch(app: &mut App, tab: Screen) {
    let tab = tab.tab();
    app.tab = tab;
    app.detail.open = false;
    match tab {
        Screen::Contacts => contacts::shown(app),
        Screen::Activity => activity::shown(app),
        Screen::Tasks => tasks::shown(app),
        Screen::Reports => reports::request(app),
        Screen::All => app.open_all(),
        Screen::Lists => lists::request(app),
        Screen::Sequences | Screen::Enrollments | Screen::Steps => {}
    }
    follow_all(app);
}

/// `q`: quits from a top-level view; one level down it goes back.
fn quit(app: &mut App) {
    if app.screen() == Screen::Enrollments || from_list(app) {
        back(app);
        return;
    }
    if app.screen() == Screen::All && refuse_dropping_marks(app) {
        return;
    }
    if app.running.is_some() {
        app.say(
            Tone::Error,
            "A change is still being written; wait for it to finish (ctrl-c quits anyway).",
        );
        return;
    }
    quit_now(app);
}

/// Esc backs out one level: range, then marks, then the filter, then the
/// enrollment list itself.
fn escape(app: &mut App) {
    match app.screen() {
        Screen::Enrollments => {
            let Some(e) = &mut app.enrollments else {
                return;
            };
            if e.editing {
                // Leaves the box and keeps the filter (as in Contacts);
                // the next esc clears it.
                e.editing = false;
            } else if e.marks.range_active() {
                e.marks.cancel_range();
            } else if !e.marks.is_empty() {
                let n = e.marks.len();
                e.marks.clear();
                app.say(
                    Tone::Info,
                    format!(
                        "Cleared {}.",
                        super::text::plural(n as i64, "mark", "marks")
                    ),
                );
            } else if !e.search.is_empty() {
                e.search.clear();
                let focus = e.focused_id();
                app.query_enrollments(Keep::Focus(focus));
            } else {
                back(app);
            }
        }
        Screen::All => {
            let Some(e) = &mut app.all else {
                return;
            };
            if e.marks.range_active() {
                e.marks.cancel_range();
            } else if !e.marks.is_empty() {
                let n = e.marks.len();
                e.marks.clear();
                app.say(
                    Tone::Info,
                    format!(
                        "Cleared {}.",
                        super::text::plural(n as i64, "mark", "marks")
                    ),
                );
            } else if from_list(app) {
                back(app);
            } else {
                app.note = None;
            }
        }
        Screen::Contacts => contacts::escape(app),
        _ => app.note = None,
    }
}

/// The All view shows a saved list opened from the Lists view: back, esc
/// and q return there.
fn from_list(app: &App) -> bool {
    app.screen() == Screen::All && app.all_query().is_some_and(|q| q.list.is_some())
}

/// Says so and returns true when rows are marked on screen: leaving would
/// drop them.
fn refuse_dropping_marks(app: &mut App) -> bool {
    let Some(n) = app.shown_list().map(|e| e.marks.len()).filter(|n| *n > 0) else {
        return false;
    };
    app.say(
        Tone::Info,
        format!(
            "{} marked: esc clears the marks first.",
            super::text::count(n as i64)
        ),
    );
    true
}

/// Leaves the enrollment list for the Sequences list — not while rows are
/// marked, so that marks are never dropped by accident.
fn back(app: &mut App) {
    if from_list(app) {
        if refuse_dropping_marks(app) {
            return;
        }
        switch(app, Screen::Lists);
        return;
    }
    if app.screen() != Screen::Enrollments {
        return;
    }
    if refuse_dropping_marks(app) {
        return;
    }
    app.enrollments = None;
    app.detail.open = false;
    sequences::request(app);
    detail::sync(app);
}

fn open(app: &mut App) {
    match app.screen() {
        Screen::Sequences => {
            let at = app.sequences.cursor.selected;
            sequences::open(app, at);
        }
        Screen::Lists => {
            let at = app.lists.cursor.selected;
            lists::open(app, at);
            follow_all(app);
        }
        Screen::Enrollments | Screen::All | Screen::Contacts | Screen::Tasks => {
            if app.focused_contact_id().is_some() {
                app.detail.open = true;
                detail::sync(app);
            }
        }
        Screen::Activity | Screen::Reports | Screen::Steps => {}
    }
}

fn toggle_mark(app: &mut App) {
    if app.screen() == Screen::Contacts {
        if contacts::toggle_mark(app) {
            move_by(app, 1);
        }
        return;
    }
    let Some(e) = app.shown_list_mut() else {
        return;
    };
    if e.marks.range_active() {
        e.marks.commit_range(&e.ids, e.cursor.selected);
        return;
    }
    if let Some(id) = e.focused_id() {
        e.marks.toggle(id);
        move_by(app, 1);
    }
}

fn input(app: &mut App, c: Option<char>) {
    match app.screen() {
        Screen::All => query::typed(app, c),
        Screen::Enrollments => enrollments::sequence::typed(app, c),
        Screen::Contacts => contacts::typed(app, c),
        _ => {}
    }
}

fn input_done(app: &mut App) {
    match app.screen() {
        Screen::All => query::apply_query(app),
        Screen::Enrollments => {
            if let Some(e) = &mut app.enrollments {
                e.editing = false;
            }
        }
        Screen::Contacts => app.contacts.editing = false,
        _ => {}
    }
}

/// `u` and `e`: open the unenroll dialog or the enroll picker.
fn act(app: &mut App, command: Command) {
    if app.still_writing() {
        return;
    }
    match command {
        Command::Unenroll => match app.screen() {
            Screen::Enrollments | Screen::All => unenroll::from_list(app),
            Screen::Contacts => unenroll::from_contact(app),
            _ => {}
        },
        // Marked rows enroll together; none marked: the focused contact.
        Command::Enroll if !bulk_enroll::open(app) => enroll::open(app),
        Command::PauseResume if app.screen().lists_enrollments() => pause_resume::open(app),
        Command::Transfer if app.screen().lists_enrollments() => transfer::open(app),
        Command::Undo => undo::open(app),
        _ => {}
    }
}

/// The marked enrollments, or the focused one; `None` (and a word) when
/// there is neither.
pub(crate) fn list_targets(app: &mut App, what: &str) -> Option<Vec<i64>> {
    let e = app.shown_list()?;
    let targets = if e.marked_count() > 0 {
        e.marks.targets(&e.ids, e.cursor.selected).0
    } else if let Some(id) = e.focused_id() {
        vec![id]
    } else {
        app.say(Tone::Info, format!("Nothing here to {what}."));
        return None;
    };
    Some(targets)
}

/// A change of ours was written: say what happened, clear the marks of the
/// list it was made from (the rows stay where they are and show their new
/// state) and reload; the All view and the saved lists count again.
pub(crate) fn after_change(app: &mut App, summary: String, list: Option<Screen>) {
    app.say(Tone::Success, summary);
    if let Some(e) = list.and_then(|w| app.list_mut(w)) {
        e.marks.clear();
    }
    if app.all.is_some() {
        app.count_filter();
    }
    if app.lists.loaded {
        lists::request(app);
    }
    saw_own_commit(app);
    app.request_undoable();
    sequences::request(app);
    app.reload_window();
    if app.activity.loaded {
        activity::request(app);
    }
    detail::reload(app);
}

/// Our own commit moved the change counter: take it as seen (the reader
/// reads it after the commit), so that the lists are not re-filtered
/// under the person's eyes.
pub(crate) fn saw_own_commit(app: &mut App) {
    app.look_for_changes(true);
}
