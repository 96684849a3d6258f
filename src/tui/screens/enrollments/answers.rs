//! An enrollment list's reads arriving from the reader: its window of rows, its first page, its ids.

use super::*;

/// The rows of a window arrived: shown if they are still the newest asked.
pub fn window_done(app: &mut App, generation: u64, result: JobOutcome<Vec<EnrollmentRow>>) {
    let Some((asked, which, range)) = app.window.clone() else {
        return;
    };
    if asked != generation {
        return;
    }
    app.window = None;
    match result {
        Ok(found) => {
            if let Some(e) = app.list_mut(which) {
                e.rows = found.into_iter().map(|r| (r.id, r)).collect();
                e.loaded = range;
            }
            // The focused row (and so the detail pane's contact) is known now.
            if app.shown() == Some(which) {
                crate::tui::screens::detail::sync(app);
            }
        }
        Err(err) => app.fail(&err),
    }
}

/// The ids of the open sequence's list arrived, if still the ones asked.
/// The first matches of a sequence's text filter, while its ids are still
/// on the way (an error is left to them: the same query fails there).
pub fn page_done(app: &mut App, generation: u64, result: JobOutcome<Vec<EnrollmentRow>>) {
    let waiting = app
        .enrollments
        .as_ref()
        .and_then(|e| e.pending)
        .is_some_and(|p| p.generation == generation);
    if let (true, Ok(rows)) = (waiting, result) {
        app.apply_first_page(Screen::Enrollments, rows);
    }
}

pub fn ids_done(app: &mut App, generation: u64, result: JobOutcome<Vec<i64>>) {
    let Some(e) = &mut app.enrollments else {
        return;
    };
    let Some(pending) = e.pending.filter(|p| p.generation == generation) else {
        return;
    };
    e.pending = None;
    match result {
        Ok(ids) => app.apply_ids(Screen::Enrollments, ids, pending.keep),
        Err(err) => {
            e.mark_all_when_loaded = false;
            app.fail(&err);
        }
    }
}
