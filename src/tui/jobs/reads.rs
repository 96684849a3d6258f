//! The reads the long-lived reader runs (lists, pages, ids, details).

use super::*;

pub(super) fn run_read(ws: &mut Workspace, user: &User, job: &Job) -> JobResult {
    match job {
        Job::Sequences { generation, mine } => JobResult::Sequences {
            generation: *generation,
            result: if *mine {
                ws.my_sequences(user)
            } else {
                ws.sequences()
            }
            .map_err(JobError::from),
        },
        Job::Tasks {
            generation,
            after,
            limit,
        } => JobResult::Tasks {
            generation: *generation,
            limit: *limit,
            result: ws
                .tasks(&crate::domain::TaskQuery {
                    owner: Some(user.id),
                    due: None,
                    sequence: None,
                    after: *after,
                    limit: *limit,
                })
                .map_err(JobError::from),
        },
        Job::AutomaticEnds { generation, after } => JobResult::AutomaticEnds {
            generation: *generation,
            result: ws
                .automatic_ends(user, *after, crate::tui::app::NOTICE_LIMIT)
                .map_err(JobError::from),
        },
        Job::EnrollmentIds { generation, query } => JobResult::EnrollmentIds {
            generation: *generation,
            result: ws.enrollment_ids(query).map_err(JobError::from),
        },
        Job::FilterIds {
            generation,
            filter,
            sort,
        } => JobResult::FilterIds {
            generation: *generation,
            result: ws
                .resolve(filter)
                .and_then(|q| ws.enrollment_ids(&EnrollmentQuery { sort: *sort, ..q }))
                .map_err(JobError::from),
        },
        Job::FilterPage {
            generation,
            filter,
            sort,
            limit,
        } => JobResult::FilterPage {
            generation: *generation,
            result: ws
                .resolve(filter)
                .and_then(|q| {
                    ws.enrollment_page(&EnrollmentQuery { sort: *sort, ..q }, None, *limit)
                })
                .map_err(JobError::from),
        },
        Job::EnrollmentPage {
            generation,
            query,
            limit,
        } => JobResult::EnrollmentPage {
            generation: *generation,
            result: ws
                .enrollment_page(query, None, *limit)
                .map_err(JobError::from),
        },
        Job::FilterCount { generation, filter } => JobResult::FilterCount {
            generation: *generation,
            result: ws
                .resolve(filter)
                .and_then(|q| ws.enrollment_count(&q))
                .map_err(JobError::from),
        },
        Job::Lists { generation } => JobResult::Lists {
            generation: *generation,
            result: ws.lists_with_counts().map_err(JobError::from),
        },
        Job::Users { generation } => JobResult::Users {
            generation: *generation,
            result: ws.users().map_err(JobError::from),
        },
        Job::LastUndoable { generation } => JobResult::LastUndoable {
            generation: *generation,
            result: ws.last_undoable(user).map_err(JobError::from),
        },
        Job::Window { generation, ids } => JobResult::Window {
            generation: *generation,
            result: ws.enrollments_by_ids(ids).map_err(JobError::from),
        },
        Job::Fresh { generation, ids } => JobResult::Fresh {
            generation: *generation,
            result: ws.enrollments_by_ids(ids).map_err(JobError::from),
        },
        Job::SearchContacts { generation, text } => JobResult::SearchContacts {
            generation: *generation,
            result: ws
                .find_contacts(text, crate::tui::app::CONTACT_LIMIT)
                .map_err(JobError::from),
        },
        Job::Audit { generation, mine } => JobResult::Audit {
            generation: *generation,
            result: if *mine {
                ws.audit_mine(user, crate::tui::app::AUDIT_LIMIT)
            } else {
                ws.audit(None, crate::tui::app::AUDIT_LIMIT)
            }
            .map_err(JobError::from),
        },
        Job::Report { generation } => JobResult::Report {
            generation: *generation,
            result: ws.report(None, None).map_err(JobError::from),
        },
        Job::EnrollPreview {
            generation,
            contact,
            sequence,
        } => JobResult::EnrollPreview {
            generation: *generation,
            result: ws
                .enroll_preview(*sequence, *contact)
                .map_err(JobError::from),
        },
        Job::ContactDetail {
            generation,
            contact,
        } => JobResult::ContactDetail {
            generation: *generation,
            result: ws
                .contact_detail(*contact)
                .map(Box::new)
                .map_err(JobError::from),
        },
        Job::StepsView {
            generation,
            sequence,
            contact,
            sender,
        } => JobResult::StepsView {
            generation: *generation,
            result: ws
                .steps_view(*sequence, *contact, sender.as_deref())
                .map(Box::new)
                .map_err(JobError::from),
        },
        other => failed(other, JobError::Worker("not a read".into())),
    }
}
