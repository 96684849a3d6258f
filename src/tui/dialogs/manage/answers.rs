//! A manage dialog's preview and result arriving from the worker.

use super::*;

/// The dry run arrived, if the dialog still waits for it.
pub fn preview_done(app: &mut App, generation: u64, result: JobOutcome<ManagePreview>) {
    if let Some(d) = app.dialog_mut::<ManageDialog>()
        && d.generation == generation
    {
        d.preview = match result {
            Ok(preview) => Preview::Ready(preview),
            Err(err) => Preview::Failed(err),
        };
    }
}

/// A pause, resume, undo or transfer was written: its summary line.
pub fn done(app: &mut App, result: JobOutcome<String>) {
    let list = app.running.take().and_then(|r| r.list);
    match result {
        Ok(summary) => after_change(app, summary, list),
        Err(err) => app.fail(&err),
    }
}
