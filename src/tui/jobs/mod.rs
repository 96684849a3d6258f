//! Background work, off the UI thread: every job runs on a `Workspace` of
//! its own opened on the same file, so the UI keeps drawing while SQLite
//! scans or writes. Reads that follow typing (filters, contact search) go
//! to one long-lived reader that skips requests made stale by newer ones;
//! writes (dry runs, unenroll, enroll, saving a list) and CSV exports (a file write that
//! may take seconds) each get a thread. Results come back
//! over the channel the event loop listens on.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread;

use super::action::{Done, Job, JobError};
use crate::domain::{Clock, DomainError, EndReason, Rules, User, Workspace, WorkspaceInfo};

/// What the event loop receives: a terminal event or a finished job.
#[derive(Debug)]
pub enum Message {
    Terminal(crossterm::event::Event),
    Job(Done),
}

/// Runs one job on `ws` as `user`, on the calling thread (tests, the
/// benchmark); the workers run them the same way.
pub fn run(ws: &mut Workspace, user: &User, job: &Job) -> Done {
    job.clone().execute(Ok((ws, user)))
}

/// The answer of a job that could not start.
fn failed(job: Job, why: String) -> Message {
    Message::Job(job.execute(Err(JobError::Worker(why))))
}

/// Names worker threads start with; the panic hook leaves the terminal
/// alone when one of them panics (the job reports the failure instead).
pub const WORKER_PREFIX: &str = "seqtui-";

#[derive(Debug)]
pub struct Jobs {
    path: PathBuf,
    clock: Clock,
    /// The rules the app's workspace was opened with, for every worker's.
    rules: Rules,
    user: User,
    results: Sender<Message>,
    reader: Option<Sender<Job>>,
    /// The workspace the app was opened with, until the reader takes it
    /// as its connection.
    spare: Option<Workspace>,
}

/// What the app starts with, read before its first frame: the workspace's
/// name and kind, the acting user, the clock and the rules.
#[derive(Debug)]
pub struct Start {
    pub info: WorkspaceInfo,
    pub user: User,
    pub clock: Clock,
    pub rules: Rules,
}

impl Jobs {
    /// The workers of an app opened on `ws`, acting as `user` (None: the
    /// workspace's default user). The UI thread keeps no connection: `ws`
    /// becomes the reader's.
    pub fn start(
        ws: Workspace,
        user: Option<&str>,
        results: Sender<Message>,
    ) -> Result<(Jobs, Start), DomainError> {
        let start = Start {
            info: ws.info()?,
            user: ws.acting_user(user)?,
            clock: ws.clock(),
            rules: ws.rules().clone(),
        };
        let jobs = Jobs {
            path: ws.path().to_path_buf(),
            clock: start.clock,
            rules: start.rules.clone(),
            user: start.user.clone(),
            results,
            reader: None,
            spare: Some(ws),
        };
        Ok((jobs, start))
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
            let spare = self.spare.take();
            let spawned = thread::Builder::new()
                .name(format!("{WORKER_PREFIX}reader"))
                .spawn(move || {
                    let ws = match spare {
                        Some(ws) => Ok(ws),
                        None => Workspace::open(&path, clock),
                    };
                    reader_loop(
                        Reader {
                            ws,
                            path,
                            clock,
                            rules,
                            tried: None,
                        },
                        user,
                        rx,
                        results,
                    )
                });
            match spawned {
                Ok(_) => {
                    let _ = tx.send(job);
                    self.reader = Some(tx);
                }
                Err(e) => {
                    let _ = self
                        .results
                        .send(failed(job, format!("cannot start a worker: {e}")));
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
                    let done = match &mut ws {
                        Ok(ws) => job.execute(Ok((ws, &user))),
                        Err(e) => job.execute(Err(JobError::from(&*e))),
                    };
                    let unenrolled = done.tidy;
                    let _ = results.send(Message::Job(done));
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
            let _ = self
                .results
                .send(failed(job, format!("cannot start a worker: {e}")));
        }
    }
}

/// The reader's workspace, and what it takes to open it again: a database
/// server may close a connection at any time (a restart, a failover, an
/// idle cut-off), and a TUI left open all day must not stay on a dead one.
struct Reader {
    ws: crate::domain::Result<Workspace>,
    path: PathBuf,
    clock: Clock,
    rules: Rules,
    /// When a lost or failed workspace was last opened again.
    tried: Option<std::time::Instant>,
}

/// How often the reader tries to open its workspace again while it cannot.
const REOPEN_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

impl Reader {
    fn prepare(rules: &Rules, mut ws: Workspace) -> crate::domain::Result<Workspace> {
        ws.set_rules(rules.clone());
        ws.limit_page_cache(super::app::READER_CACHE_MIB)?;
        Ok(ws)
    }

    /// Opens the workspace again when its connection was lost (or it never
    /// opened), at most every [`REOPEN_EVERY`] (`now` skips the wait: the
    /// loss was just seen); returns whether it did. The new connection's
    /// change counter moves on, so the app reads everything again.
    fn heal(&mut self, now: bool) -> bool {
        let broken = match &self.ws {
            Ok(ws) => ws.connection_lost(),
            Err(_) => true,
        };
        if !broken || (!now && self.tried.is_some_and(|t| t.elapsed() < REOPEN_EVERY)) {
            return false;
        }
        self.tried = Some(std::time::Instant::now());
        let opened = match &self.ws {
            Ok(lost) => lost.reopened(),
            Err(_) => Workspace::open(&self.path, self.clock),
        }
        .and_then(|ws| Reader::prepare(&self.rules, ws));
        match opened {
            Ok(ws) => {
                tracing::info!("the reader opened the workspace again");
                self.ws = Ok(ws);
                true
            }
            Err(e) => {
                tracing::warn!("the reader cannot open the workspace again yet: {e}");
                // Keep the lost workspace (its change counter) rather than
                // the error, unless there never was one.
                if self.ws.is_err() {
                    self.ws = Err(e);
                }
                false
            }
        }
    }

    fn execute(&mut self, job: Job, user: &User) -> Done {
        match &mut self.ws {
            Ok(ws) => job.execute(Ok((ws, user))),
            Err(e) => job.execute(Err(JobError::from(&*e))),
        }
    }
}

fn reader_loop(mut reader: Reader, user: User, jobs: Receiver<Job>, results: Sender<Message>) {
    let rules = reader.rules.clone();
    reader.ws = reader.ws.and_then(|ws| Reader::prepare(&rules, ws));
    while let Ok(first) = jobs.recv() {
        // Keep only the newest request of each kind: typing "acme" sends
        // four filters, and only the last one is still wanted.
        let mut batch = vec![first];
        while let Ok(next) = jobs.try_recv() {
            batch.retain(|j| j.kind() != next.kind());
            batch.push(next);
        }
        for job in batch {
            reader.heal(false);
            let mut done = reader.execute(job.clone(), &user);
            // The connection went while the job ran: once more on a new one
            // (reads only: running one again changes nothing).
            if reader.ws.as_ref().is_ok_and(Workspace::connection_lost) && reader.heal(true) {
                done = reader.execute(job, &user);
            }
            if results.send(Message::Job(done)).is_err() {
                return;
            }
        }
    }
}

/// The workspace a headless app (tests, the benchmark) is started on.
pub fn open(path: &std::path::Path, clock: Clock) -> Result<Workspace, DomainError> {
    Workspace::open(path, clock)
}

/// Finishes, on a worker of its own, the tidying a bulk change left for
/// later (its steps and tasks already read as cancelled): short write
/// transactions that never hold the screen. Quitting first is harmless.
pub fn tidy_in_background(session: &crate::session::Session, path: &std::path::Path) {
    let (session, path) = (session.clone(), path.to_path_buf());
    let _ = thread::Builder::new()
        .name(format!("{WORKER_PREFIX}tidy"))
        .spawn(move || {
            if let Ok(clock) = session.clock()
                && let Ok((mut ws, _)) = session.open(&path, clock)
            {
                let _ = ws.tidy_all();
            }
        });
}

/// The reason a dry run is computed with: the preview does not depend on it.
pub const PREVIEW_REASON: EndReason = EndReason::Other;
