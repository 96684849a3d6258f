//! Marking, chips, the stale toggle and exporting in an enrollment list.

use super::*;

pub fn range(app: &mut App) {
    let Some(e) = app.shown_list_mut() else {
        return;
    };
    if e.marks.range_active() {
        e.marks.commit_range(&e.ids, e.cursor.selected);
    } else if let Some(id) = e.focused_id() {
        e.marks.start_range(e.cursor.selected, id);
    }
}

pub fn mark_all(app: &mut App) {
    let Some(e) = app.shown_list_mut() else {
        return;
    };
    if e.pending.is_some() {
        // The list on screen is not the filter's yet: mark when it is.
        e.mark_all_when_loaded = true;
        app.say(
            Tone::Info,
            "Marking every match as soon as the filter has run…",
        );
        return;
    }
    let n = e.ids.len();
    if e.marks.toggle_all(&e.ids) {
        app.say(
            Tone::Info,
            format!(
                "Marked all {} the filter matches.",
                text::plural(n as i64, "row", "rows")
            ),
        );
    } else {
        app.say(
            Tone::Info,
            format!("Unmarked those {}.", text::plural(n as i64, "row", "rows")),
        );
    }
}

pub fn chip(app: &mut App, delta: isize) {
    if app.screen() == Screen::All {
        // The chip is the query's status condition.
        change_query(app, |f| {
            let next = match Chip::of(&f.statuses) {
                Some(chip) => chip.step(delta),
                None if delta > 0 => Chip::Active,
                None => Chip::All,
            };
            f.statuses = next.statuses();
        });
        return;
    }
    let Some(e) = &mut app.enrollments else {
        return;
    };
    e.chip = e.chip.step(delta);
    let focus = e.focused_id();
    app.query_enrollments(Keep::Focus(focus));
}

/// `t`: only stale enrollments, or all again; the ids are read anew on the
/// reader, like a chip's. In the All view it is the query's `is:stale`.
pub fn toggle_stale(app: &mut App) {
    if app.screen() == Screen::All {
        change_query(app, |f| f.stale = !f.stale);
        return;
    }
    let Some(e) = &mut app.enrollments else {
        return;
    };
    e.stale = !e.stale;
    let focus = e.focused_id();
    app.query_enrollments(Keep::Focus(focus));
}

/// `x`: writes the marked rows, or every row the filter matches, to a CSV
/// file (see `App::export_request`) on a worker thread.
pub fn export(app: &mut App) {
    if !app.screen().lists_enrollments() {
        return;
    }
    if app.still_writing() {
        return;
    }
    if app.shown_list().is_some_and(|e| e.pending.is_some()) {
        app.say(
            Tone::Info,
            "The filter is still running; export when the list is there.",
        );
        return;
    }
    let Some((enrollments, path)) = app.export_request() else {
        app.say(Tone::Info, "Nothing here to export.");
        return;
    };
    app.note = None;
    app.running = Some(Running {
        label: format!(
            "Exporting {}",
            text::plural(enrollments.len() as i64, "enrollment", "enrollments")
        ),
        started: Instant::now(),
        list: None,
    });
    app.run(ExportCsv { enrollments, path });
}

/// The export finished (or failed): the status line names the file it
/// wrote, which is not the name asked for when that one was taken.
pub fn exported(app: &mut App, result: JobOutcome<Exported>) {
    app.running = None;
    match result {
        Ok(Exported { rows, path }) => app.say(
            Tone::Success,
            format!(
                "Exported {} to {}",
                text::plural(rows as i64, "enrollment", "enrollments"),
                path.display()
            ),
        ),
        Err(err) => app.fail(&err),
    }
}
