//! Background work, off the UI thread: every job runs on a `Workspace` of
//! its own opened on the same file, so the UI keeps drawing while SQLite
//! scans or writes. Reads that follow typing (filters, contact search) go
//! to one long-lived reader that skips requests made stale by newer ones;
//! writes (dry runs, unenroll, enroll, saving a list) and CSV exports (a file write that
//! may take seconds) each get a thread. Results come back
//! over the channel the event loop listens on.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread;

use super::action::{BulkSource, Job, JobError, JobResult, SequenceChange};
use super::dialogs::ManagePreview;
use crate::domain::{
    ChangeReport, Clock, EndReason, EnrollReport, Rules, TransferPolicy, TransferReport,
    TransferRequest, UnenrollRequest, User, Workspace,
};

/// What the event loop receives: a terminal event or a finished job.
#[derive(Debug)]
pub enum Message {
    Terminal(crossterm::event::Event),
    Job(JobResult),
}

/// Names worker threads start with; the panic hook leaves the terminal
/// alone when one of them panics (the job reports the failure instead).
pub const WORKER_PREFIX: &str = "seqtui-";

#[derive(Debug)]
pub struct Jobs {
    path: PathBuf,
    clock: Clock,
    /// The rules the UI's own workspace runs under, for every worker's.
    rules: Rules,
    user: User,
    results: Sender<Message>,
    reader: Option<Sender<Job>>,
}

impl Jobs {
    pub fn new(
        path: PathBuf,
        clock: Clock,
        rules: Rules,
        user: User,
        results: Sender<Message>,
    ) -> Jobs {
        Jobs {
            path,
            clock,
            rules,
            user,
            results,
            reader: None,
        }
    }

    pub fn submit(&mut self, job: Job) {
        if job.is_read() {
            self.read(job)
        } else {
            self.write(job)
        }
    }

    fn read(&mut self, job: Job) {
        if let Some(reader) = &self.reader
            && let Err(returned) = reader.send(job.clone())
        {
            // The reader died (it should not); start a new one below.
            self.reader = None;
            drop(returned);
        }
        if self.reader.is_none() {
            let (tx, rx) = channel::<Job>();
            let (path, clock, rules, user, results) = (
                self.path.clone(),
                self.clock,
                self.rules.clone(),
                self.user.clone(),
                self.results.clone(),
            );
            let spawned = thread::Builder::new()
                .name(format!("{WORKER_PREFIX}reader"))
                .spawn(move || reader_loop(path, clock, rules, user, rx, results));
            match spawned {
                Ok(_) => {
                    let _ = tx.send(job);
                    self.reader = Some(tx);
                }
                Err(e) => {
                    let _ = self.results.send(Message::Job(failed(
                        &job,
                        JobError::Worker(format!("cannot start a worker: {e}")),
                    )));
                }
            }
        }
    }

    fn write(&mut self, job: Job) {
        let (path, clock, rules, user, results) = (
            self.path.clone(),
            self.clock,
            self.rules.clone(),
            self.user.clone(),
            self.results.clone(),
        );
        let spawned = thread::Builder::new()
            .name(format!("{WORKER_PREFIX}writer"))
            .spawn({
                let job = job.clone();
                move || {
                    let mut ws = Workspace::open(&path, clock).and_then(|mut ws| {
                        ws.set_rules(rules);
                        ws.limit_page_cache(super::app::WRITER_CACHE_MIB)?;
                        Ok(ws)
                    });
                    let result = guarded(&job, || match &mut ws {
                        Ok(ws) => run(ws, &user, &job),
                        Err(e) => failed(&job, JobError::from(&*e)),
                    });
                    let unenrolled = matches!(
                        result,
                        JobResult::Unenrolled { result: Ok(_) }
                            | JobResult::Managed { result: Ok(_) }
                    );
                    let _ = results.send(Message::Job(result));
                    // A large unenroll left its scheduled steps and tasks to
                    // be cancelled in short transactions: do that now that
                    // the person has the result. Quitting first is harmless;
                    // the next unenroll or engine run carries on.
                    if unenrolled && let Ok(ws) = &mut ws {
                        let _ = ws.tidy_all();
                    }
                }
            });
        if let Err(e) = spawned {
            let _ = self.results.send(Message::Job(failed(
                &job,
                JobError::Worker(format!("cannot start a worker: {e}")),
            )));
        }
    }
}

fn reader_loop(
    path: PathBuf,
    clock: Clock,
    rules: Rules,
    user: User,
    jobs: Receiver<Job>,
    results: Sender<Message>,
) {
    let mut ws = Workspace::open(&path, clock).and_then(|mut ws| {
        ws.set_rules(rules);
        ws.limit_page_cache(super::app::READER_CACHE_MIB)?;
        Ok(ws)
    });
    while let Ok(first) = jobs.recv() {
        // Keep only the newest request of each kind: typing "acme" sends
        // four filters, and only the last one is still wanted.
        let mut batch = vec![first];
        while let Ok(next) = jobs.try_recv() {
            batch.retain(|j| std::mem::discriminant(j) != std::mem::discriminant(&next));
            batch.push(next);
        }
        for job in batch {
            let result = guarded(&job, || match &mut ws {
                Ok(ws) => run_read(ws, &user, &job),
                Err(e) => failed(&job, JobError::from(&*e)),
            });
            if results.send(Message::Job(result)).is_err() {
                return;
            }
        }
    }
}

/// Runs `f`, turning a panic into a failed result so that the UI is told.
fn guarded(job: &Job, f: impl FnOnce() -> JobResult) -> JobResult {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown failure".into());
        failed(job, JobError::Worker(format!("internal error: {why}")))
    })
}

fn run_read(ws: &mut Workspace, user: &User, job: &Job) -> JobResult {
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
                .automatic_ends(user, *after, super::app::NOTICE_LIMIT)
                .map_err(JobError::from),
        },
        Job::EnrollmentIds { generation, query } => JobResult::EnrollmentIds {
            generation: *generation,
            result: ws.enrollment_ids(query).map_err(JobError::from),
        },
        Job::FilterIds { generation, filter } => JobResult::FilterIds {
            generation: *generation,
            result: ws
                .resolve(filter)
                .and_then(|q| ws.enrollment_ids(&q))
                .map_err(JobError::from),
        },
        Job::FilterPage {
            generation,
            filter,
            limit,
        } => JobResult::FilterPage {
            generation: *generation,
            result: ws
                .resolve(filter)
                .and_then(|q| ws.enrollment_page(&q, None, *limit))
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
                .find_contacts(text, super::app::CONTACT_LIMIT)
                .map_err(JobError::from),
        },
        Job::Audit { generation, mine } => JobResult::Audit {
            generation: *generation,
            result: if *mine {
                ws.audit_mine(user, super::app::AUDIT_LIMIT)
            } else {
                ws.audit(None, super::app::AUDIT_LIMIT)
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

/// The result a job gives when it could not run at all.
fn failed(job: &Job, why: JobError) -> JobResult {
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

/// The reason a dry run is computed with: the preview does not depend on it.
pub const PREVIEW_REASON: EndReason = EndReason::Other;
