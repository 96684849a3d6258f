//! The result a job gives when it could not run at all.

use super::*;

/// The result a job gives when it could not run at all.
pub(super) fn failed(job: &Job, why: JobError) -> JobResult {
    tracing::warn!("a worker's job failed: {why}");
    match job {
        Job::Sequences { generation, .. } => JobResult::Sequences {
            generation: *generation,
            result: Err(why),
        },
        Job::EnrollmentIds { generation, .. } => JobResult::EnrollmentIds {
            generation: *generation,
            result: Err(why),
        },
        Job::FilterIds { generation, .. } => JobResult::FilterIds {
            generation: *generation,
            result: Err(why),
        },
        Job::FilterPage { generation, .. } => JobResult::FilterPage {
            generation: *generation,
            result: Err(why),
        },
        Job::EnrollmentPage { generation, .. } => JobResult::EnrollmentPage {
            generation: *generation,
            result: Err(why),
        },
        Job::FilterCount { generation, .. } => JobResult::FilterCount {
            generation: *generation,
            result: Err(why),
        },
        Job::Lists { generation } => JobResult::Lists {
            generation: *generation,
            result: Err(why),
        },
        Job::Users { generation } => JobResult::Users {
            generation: *generation,
            result: Err(why),
        },
        Job::SearchContacts { generation, .. } => JobResult::SearchContacts {
            generation: *generation,
            result: Err(why),
        },
        Job::Audit { generation, .. } => JobResult::Audit {
            generation: *generation,
            result: Err(why),
        },
        Job::Tasks {
            generation, limit, ..
        } => JobResult::Tasks {
            generation: *generation,
            limit: *limit,
            result: Err(why),
        },
        Job::AutomaticEnds { generation, .. } => JobResult::AutomaticEnds {
            generation: *generation,
            result: Err(why),
        },
        Job::WorkTask { .. } => JobResult::TaskWorked { result: Err(why) },
        Job::Report { generation } => JobResult::Report {
            generation: *generation,
            result: Err(why),
        },
        Job::LastUndoable { generation } => JobResult::LastUndoable {
            generation: *generation,
            result: Err(why),
        },
        Job::Changes { generation, absorb } => JobResult::Changes {
            generation: *generation,
            absorb: *absorb,
            result: Err(why),
        },
        Job::EnrollCheck { generation, .. } => JobResult::EnrollCheck {
            generation: *generation,
            result: Err(why),
        },
        Job::Window { generation, .. } => JobResult::Window {
            generation: *generation,
            result: Err(why),
        },
        Job::Fresh { generation, .. } => JobResult::Fresh {
            generation: *generation,
            result: Err(why),
        },
        Job::ContactDetail { generation, .. } => JobResult::ContactDetail {
            generation: *generation,
            result: Err(why),
        },
        Job::Preview { generation, .. } => JobResult::Preview {
            generation: *generation,
            result: Err(why),
        },
        Job::Unenroll { .. } | Job::UnenrollOne { .. } => {
            JobResult::Unenrolled { result: Err(why) }
        }
        Job::Enroll { contact, .. } => JobResult::Enrolled {
            contact: *contact,
            result: Err(why),
        },
        Job::BulkEnrollPreview { generation, .. } => JobResult::BulkEnrollPreview {
            generation: *generation,
            result: Err(why),
        },
        Job::BulkEnroll { .. } => JobResult::BulkEnrolled { result: Err(why) },
        Job::StepsView { generation, .. } => JobResult::StepsView {
            generation: *generation,
            result: Err(why),
        },
        Job::SequencePlan {
            generation,
            dry_run,
            ..
        } => JobResult::SequencePlan {
            generation: *generation,
            dry_run: *dry_run,
            result: Err(why),
        },
        Job::EnrollPreview { generation, .. } => JobResult::EnrollPreview {
            generation: *generation,
            result: Err(why),
        },
        Job::ChangePreview { generation, .. } | Job::TransferPreview { generation, .. } => {
            JobResult::ManagePreview {
                generation: *generation,
                result: Err(why),
            }
        }
        Job::Change { .. } | Job::Undo { .. } | Job::Transfer { .. } => {
            JobResult::Managed { result: Err(why) }
        }
        Job::Export { path, .. } => JobResult::Exported {
            path: path.clone(),
            result: Err(why),
        },
        Job::SaveList { .. } => JobResult::ListSaved { result: Err(why) },
        Job::DeleteList { .. } => JobResult::ListDeleted { result: Err(why) },
    }
}
