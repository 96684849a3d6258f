//! Every job run on a thread of its own: dry runs, changes, exports, and
//! the reads when called directly (tests, the benchmark).

use super::*;

/// Runs one job on `ws` as `user`. Public so that tests and the benchmark
/// can run a job on the calling thread.
pub fn run(ws: &mut Workspace, user: &User, job: &Job) -> JobResult {
    match job {
        Job::Preview {
            generation,
            enrollments,
            reason,
        } => {
            let request = UnenrollRequest {
                enrollments: enrollments.clone(),
                reason: *reason,
                note: None,
                dry_run: true,
            };
            let result = ws
                .unenroll(user, &request)
                .and_then(|report| {
                    // One enrollment: as it is now, for the dialog to show
                    // and R4 to check.
                    let row = match enrollments.as_slice() {
                        [one] => Some(Box::new(ws.enrollment(*one)?)),
                        _ => None,
                    };
                    Ok((report, ws.status_counts(enrollments)?, row))
                })
                .map_err(JobError::from);
            JobResult::Preview {
                generation: *generation,
                result,
            }
        }
        Job::Unenroll {
            enrollments,
            reason,
            note,
        } => JobResult::Unenrolled {
            result: ws
                .unenroll(
                    user,
                    &UnenrollRequest {
                        enrollments: enrollments.clone(),
                        reason: *reason,
                        note: note.clone(),
                        dry_run: false,
                    },
                )
                .map_err(JobError::from),
        },
        Job::UnenrollOne {
            enrollment,
            expected,
            reason,
            note,
        } => JobResult::Unenrolled {
            result: ws
                .unenroll_one(user, *enrollment, expected, *reason, note.clone())
                .map_err(JobError::from),
        },
        Job::BulkEnrollPreview {
            generation,
            sequence,
            source,
        } => JobResult::BulkEnrollPreview {
            generation: *generation,
            result: bulk_enroll(ws, user, *sequence, source, true).map_err(JobError::from),
        },
        Job::BulkEnroll { sequence, source } => JobResult::BulkEnrolled {
            result: bulk_enroll(ws, user, *sequence, source, false).map_err(JobError::from),
        },
        Job::SequencePlan {
            generation,
            sequence,
            change,
            dry_run,
        } => JobResult::SequencePlan {
            generation: *generation,
            dry_run: *dry_run,
            result: match change {
                SequenceChange::Toggle(t) => {
                    ws.toggle_sequence_setting(user, *sequence, *t, *dry_run)
                }
                SequenceChange::File(text) => {
                    ws.apply_sequence_text(user, "the edited file", text, *dry_run)
                }
            }
            .map_err(JobError::from),
        },
        Job::Enroll { contact, sequence } => JobResult::Enrolled {
            contact: *contact,
            result: ws
                .enroll(user, *sequence, &[*contact])
                .map_err(JobError::from),
        },
        Job::ChangePreview {
            generation,
            enrollments,
            pause,
        } => JobResult::ManagePreview {
            generation: *generation,
            result: change(ws, user, enrollments, *pause, true)
                .map(ManagePreview::Change)
                .map_err(JobError::from),
        },
        Job::Change { enrollments, pause } => JobResult::Managed {
            result: change(ws, user, enrollments, *pause, false)
                .map(|r| r.summary())
                .map_err(JobError::from),
        },
        Job::Undo { batch } => JobResult::Managed {
            result: ws
                .undo(user, batch)
                .map(|r| r.summary())
                .map_err(JobError::from),
        },
        Job::TransferPreview {
            generation,
            enrollments,
            to,
            policy,
            from_step,
        } => JobResult::ManagePreview {
            generation: *generation,
            result: transfer(ws, user, enrollments, *to, (*policy, *from_step), true)
                .map(ManagePreview::Transfer)
                .map_err(JobError::from),
        },
        Job::Transfer {
            enrollments,
            to,
            policy,
            from_step,
        } => JobResult::Managed {
            result: transfer(ws, user, enrollments, *to, (*policy, *from_step), false)
                .map(|r| r.summary())
                .map_err(JobError::from),
        },
        Job::Export { enrollments, path } => JobResult::Exported {
            path: path.clone(),
            result: ws
                .export_enrollments(enrollments, path)
                .map_err(JobError::from),
        },
        Job::SaveList { name, filter } => JobResult::ListSaved {
            result: ws
                .save_list(user, name, filter)
                .map(Box::new)
                .map_err(JobError::from),
        },
        Job::DeleteList { name } => JobResult::ListDeleted {
            result: ws
                .delete_list(user, name)
                .map(Box::new)
                .map_err(JobError::from),
        },
        Job::WorkTask {
            task,
            action,
            until,
        } => JobResult::TaskWorked {
            result: ws
                .work_tasks(user, *action, &[*task], *until, None)
                .map_err(JobError::from),
        },
        // Every read (see `Job::is_read`).
        read => run_read(ws, user, read),
    }
}

/// Enrolls the marked contacts (or the contacts of the marked
/// enrollments) in one batch; a dry run says who would be refused, why.
fn bulk_enroll(
    ws: &mut Workspace,
    user: &User,
    sequence: i64,
    source: &BulkSource,
    dry_run: bool,
) -> crate::domain::Result<EnrollReport> {
    let contacts = match source {
        BulkSource::Contacts(ids) => ids.clone(),
        BulkSource::Enrollments(ids) => ws.contacts_of_enrollments(ids)?,
    };
    ws.enroll_contacts(user, sequence, &contacts, dry_run)
}

fn change(
    ws: &mut Workspace,
    user: &User,
    enrollments: &[i64],
    pause: bool,
    dry_run: bool,
) -> crate::domain::Result<ChangeReport> {
    if pause {
        ws.pause(user, enrollments, dry_run)
    } else {
        ws.resume(user, enrollments, dry_run)
    }
}

fn transfer(
    ws: &mut Workspace,
    user: &User,
    enrollments: &[i64],
    to: i64,
    (policy, from_step): (TransferPolicy, Option<i64>),
    dry_run: bool,
) -> crate::domain::Result<TransferReport> {
    let contacts = ws.contacts_of_enrollments(enrollments)?;
    ws.transfer(
        user,
        &TransferRequest {
            contacts,
            to,
            policy,
            from_step,
            dry_run,
        },
    )
}
