//! One module per screen: its state, the jobs it asks for and their
//! answers, and its draw.

pub mod activity;
pub mod contacts;
pub mod detail;
pub mod enrollments;
pub mod lists;
pub mod reports;
pub mod sequences;
pub mod steps;
pub mod tasks;

use crate::tui::action::JobOutcome;
use crate::tui::app::App;
use crate::tui::list::Cursor;

/// A screen's list read whole from the reader: the items, the cursor, and
/// the read in flight.
#[derive(Debug)]
pub struct Listed<T> {
    pub list: Vec<T>,
    pub cursor: Cursor,
    /// The list has been read at least once.
    pub loaded: bool,
    /// A read in flight on the reader.
    pub pending: Option<u64>,
}

impl<T> Default for Listed<T> {
    fn default() -> Listed<T> {
        Listed {
            list: Vec::new(),
            cursor: Cursor::default(),
            loaded: false,
            pending: None,
        }
    }
}

impl<T> Listed<T> {
    pub fn focused(&self) -> Option<&T> {
        self.list.get(self.cursor.selected)
    }
}

/// Where a screen keeps the generation of its read in flight.
pub type PendingSlot = fn(&mut App) -> &mut Option<u64>;

/// Asks the reader for a screen's read, remembering it as the one pending.
pub fn ask<W: crate::tui::action::Work>(app: &mut App, pending: PendingSlot, job: fn(u64) -> W) {
    let generation = app.next_generation();
    *pending(app) = Some(generation);
    app.run(job(generation));
}

/// A read's value when it answers the request still pending (clearing
/// it); `None` when a newer request made it stale, or when it failed (said
/// in the status line).
pub fn answer<T>(
    app: &mut App,
    pending: impl FnOnce(&mut App) -> &mut Option<u64>,
    generation: u64,
    result: JobOutcome<T>,
) -> Option<T> {
    let slot = pending(app);
    if *slot != Some(generation) {
        return None;
    }
    *slot = None;
    match result {
        Ok(value) => Some(value),
        Err(err) => {
            app.fail(&err);
            None
        }
    }
}

/// A list screen's read arrived: when it answers the request still
/// pending, its list replaces the old one and the cursor goes back on the
/// item it was on (by `key`), else stays on screen.
pub fn arrived<T: 'static, K: PartialEq>(
    app: &mut App,
    state: fn(&mut App) -> &mut Listed<T>,
    generation: u64,
    result: JobOutcome<Vec<T>>,
    key: impl Fn(&T) -> K,
) {
    let Some(list) = answer(app, |a| &mut state(a).pending, generation, result) else {
        return;
    };
    let s = state(app);
    let was = s.focused().map(&key);
    s.list = list;
    s.loaded = true;
    let rows = app.list_rows();
    let s = state(app);
    refocus(&mut s.cursor, &s.list, was, key, rows);
}

/// After a list was read again: the cursor back on the item it was on
/// (`was`, by `key`), else kept on screen. A view scrolled to the top
/// stays there, so that entries arriving at the top of a live list
/// (Activity) show rather than scroll off above.
pub fn refocus<T, K: PartialEq>(
    cursor: &mut Cursor,
    items: &[T],
    was: Option<K>,
    key: impl Fn(&T) -> K,
    rows: usize,
) {
    let len = items.len();
    match was.and_then(|k| items.iter().position(|x| key(x) == k)) {
        Some(at) if cursor.offset == 0 => cursor.select(at, len, rows),
        Some(at) => cursor.keep_at(at, len, rows),
        None => cursor.follow(len, rows),
    }
}
