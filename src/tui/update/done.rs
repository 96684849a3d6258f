//! A finished job: its result handed to the screen or dialog that asked for it.

use super::*;

pub(super) fn done(app: &mut App, result: JobResult) {
    match result {
        JobResult::Sequences { generation, result } => sequences::done(app, generation, result),
        JobResult::EnrollmentIds { generation, result } => {
            enrollments::ids_done(app, generation, result)
        }
        JobResult::FilterIds { generation, result } => query::ids_done(app, generation, result),
        JobResult::FilterPage { generation, result } => query::page_done(app, generation, result),
        JobResult::EnrollmentPage { generation, result } => {
            enrollments::page_done(app, generation, result)
        }
        JobResult::FilterCount { generation, result } => query::count_done(app, generation, result),
        JobResult::Lists { generation, result } => lists::done(app, generation, result),
        JobResult::Users { generation, result } => {
            if let Some(users) = answer(app, |a| &mut a.users_pending, generation, result) {
                app.apply_users(users);
            }
        }
        JobResult::Fresh { generation, result } => app.notice_automatic_ends(generation, result),
        JobResult::Window { generation, result } => {
            enrollments::window_done(app, generation, result)
        }
        JobResult::LastUndoable { generation, result } => {
            if let Some(candidate) = answer(app, |a| &mut a.undo_pending, generation, result) {
                app.undoable = candidate;
            }
        }
        JobResult::Changes {
            generation,
            absorb,
            result,
        } => app.changes_seen(generation, absorb, result),
        JobResult::EnrollCheck { generation, result } => enroll::checked(app, generation, result),
        JobResult::ListSaved { result } => save_list::done(app, result),
        JobResult::ListDeleted { result } => delete_list::done(app, result),
        JobResult::Audit { generation, result } => activity::done(app, generation, result),
        JobResult::Report { generation, result } => reports::done(app, generation, result),
        JobResult::Exported { path, result } => enrollments::exported(app, path, result),
        JobResult::SearchContacts { generation, result } => contacts::done(app, generation, result),
        JobResult::Preview { generation, result } => {
            unenroll::preview_done(app, generation, result)
        }
        JobResult::Unenrolled { result } => unenroll::done(app, result),
        JobResult::Managed { result } => manage::done(app, result),
        JobResult::ManagePreview { generation, result } => {
            manage::preview_done(app, generation, result)
        }
        JobResult::ContactDetail { generation, result } => detail::done(app, generation, result),
        JobResult::EnrollPreview { generation, result } => {
            enroll::preview_done(app, generation, result)
        }
        JobResult::Enrolled { contact, result } => enroll::done(app, contact, result),
        JobResult::Tasks {
            generation,
            limit,
            result,
        } => tasks::done(app, generation, limit, result),
        JobResult::TaskWorked { result } => tasks::worked(app, result),
        JobResult::AutomaticEnds { generation, result } => {
            activity::ends_done(app, generation, result)
        }
        JobResult::BulkEnrollPreview { generation, result } => {
            bulk_enroll::preview_done(app, generation, result)
        }
        JobResult::BulkEnrolled { result } => bulk_enroll::done(app, result),
        JobResult::StepsView { generation, result } => steps::done(app, generation, result),
        JobResult::SequencePlan {
            generation,
            dry_run,
            result,
        } => sequence_edit::plan_done(app, generation, dry_run, result),
    }
}
