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

mod failed;
mod reads;
mod writes;

use super::dialogs::ManagePreview;
use crate::domain::{
    ChangeReport, Clock, EndReason, EnrollReport, EnrollmentQuery, Rules, TransferPolicy,
    TransferReport, TransferRequest, UnenrollRequest, User, Workspace,
};
use failed::failed;
use reads::run_read;
pub use writes::run;

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

/// The reason a dry run is computed with: the preview does not depend on it.
pub const PREVIEW_REASON: EndReason = EndReason::Other;
