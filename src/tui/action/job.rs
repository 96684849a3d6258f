//! The work `update` hands to the workers (`Job`), what comes back
//! (`Done`), and why a job could not do it (`JobError`).
//!
//! A job is one type in the module of the screen or dialog that asks for
//! it, implementing [`Work`]: its data, what it runs on a worker's
//! workspace, and what its answer does to the app. Adding one touches that
//! module only; the workers and `update` handle every `Work` the same way.

use std::any::{Any, TypeId};
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::*;
use crate::domain::Workspace;
use crate::tui::app::App;

/// One kind of job: plain data (compared and cloned like any value), the
/// domain call it runs on a worker, and what its answer does on the UI
/// thread.
pub trait Work: std::fmt::Debug + Clone + PartialEq + Send + 'static {
    /// What the domain gives back.
    type Answer: Send + 'static;
    /// A read goes to the one long-lived reader, which keeps only the
    /// newest job of each kind waiting; anything else gets a thread.
    const READ: bool;
    /// A write whose success leaves tidying for afterwards (steps and
    /// tasks of ended enrollments): the worker runs it once the answer is
    /// sent.
    const TIDIES: bool = false;
    /// Runs on a worker's own workspace (never on the UI thread).
    fn run(&self, ws: &mut Workspace, user: &User) -> crate::domain::Result<Self::Answer>;
    /// The answer, handed to the screen or dialog that asked (UI thread).
    fn done(self, app: &mut App, answer: JobOutcome<Self::Answer>);
}

/// A [`Work`] of any kind, as the workers carry it.
pub trait AnyWork: std::fmt::Debug + Send {
    fn read(&self) -> bool;
    /// Its kind: the reader keeps only the newest waiting job of a kind.
    fn kind(&self) -> TypeId;
    /// Runs it on a workspace as a user (or fails with why there is no
    /// workspace), catching a panic; the answer comes back as a [`Done`].
    fn execute(self: Box<Self>, on: Result<(&mut Workspace, &User), JobError>) -> Done;
    fn as_any(&self) -> &dyn Any;
    fn clone_box(&self) -> Box<dyn AnyWork>;
    fn same(&self, other: &dyn AnyWork) -> bool;
}

impl<W: Work> AnyWork for W {
    fn read(&self) -> bool {
        W::READ
    }

    fn kind(&self) -> TypeId {
        TypeId::of::<W>()
    }

    fn execute(self: Box<Self>, on: Result<(&mut Workspace, &User), JobError>) -> Done {
        let answer = on.and_then(|(ws, user)| {
            catch_unwind(AssertUnwindSafe(|| self.run(ws, user)))
                .map_err(|panic| {
                    let why = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "unknown failure".into());
                    JobError::Worker(format!("internal error: {why}"))
                })
                .and_then(|r| r.map_err(JobError::from))
        });
        if let Err(why) = &answer {
            tracing::warn!("a worker's job failed: {why}");
        }
        let tidy = W::TIDIES && answer.is_ok();
        let name = std::any::type_name::<W>();
        Done {
            name,
            tidy,
            apply: Box::new(move |app: &mut App| (*self).done(app, answer)),
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn clone_box(&self) -> Box<dyn AnyWork> {
        Box::new(self.clone())
    }

    fn same(&self, other: &dyn AnyWork) -> bool {
        other.as_any().downcast_ref::<W>() == Some(self)
    }
}

/// Work that may take longer than a frame, run off the UI thread on a
/// `Workspace` of its own opened on the same file: any [`Work`], as
/// `update` hands it to the runner (`Effect::Run`).
#[derive(Debug)]
pub struct Job(Box<dyn AnyWork>);

impl Clone for Job {
    fn clone(&self) -> Job {
        Job(self.0.clone_box())
    }
}

impl PartialEq for Job {
    fn eq(&self, other: &Job) -> bool {
        self.0.same(&*other.0)
    }
}

impl<W: Work> From<W> for Job {
    fn from(work: W) -> Job {
        Job(Box::new(work))
    }
}

impl Job {
    /// A read: it goes to the one long-lived reader (which drops requests
    /// made stale by newer ones of the same kind); the rest are writes (and
    /// exports), a worker thread each.
    pub fn is_read(&self) -> bool {
        self.0.read()
    }

    /// Its kind: the reader keeps only the newest waiting job of a kind.
    pub fn kind(&self) -> TypeId {
        self.0.kind()
    }

    /// The job as a `W`, if it is one (tests look into the jobs `update`
    /// asked for).
    pub fn get<W: Work>(&self) -> Option<&W> {
        self.0.as_any().downcast_ref()
    }

    /// Runs it on a workspace as a user, or fails with why there is no
    /// workspace; a panic is caught and told as a failure.
    pub fn execute(self, on: Result<(&mut Workspace, &User), JobError>) -> Done {
        self.0.execute(on)
    }
}

/// A finished job's answer, bound to what it does to the app.
pub struct Done {
    name: &'static str,
    /// A write that left tidying for afterwards succeeded.
    pub tidy: bool,
    apply: Box<dyn FnOnce(&mut App) + Send>,
}

impl Done {
    /// Hands the answer to the screen or dialog that asked for it.
    pub fn apply(self, app: &mut App) {
        (self.apply)(app)
    }
}

impl std::fmt::Debug for Done {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Done")
            .field("job", &self.name)
            .field("tidy", &self.tidy)
            .finish_non_exhaustive()
    }
}

/// Why a job gave no result: the domain's own typed error (so "busy, try
/// again" and "refused" stay apart up to the screen), or a worker that could
/// not start or failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("{0}")]
    Worker(String),
}

impl JobError {
    /// The workspace was held by another process for too long: trying
    /// again may work.
    pub fn is_busy(&self) -> bool {
        matches!(self, JobError::Domain(DomainError::Busy))
    }

    /// A rule or a permission said no.
    pub fn is_refused(&self) -> bool {
        matches!(self, JobError::Domain(DomainError::Refused(_)))
    }
}

impl From<&DomainError> for JobError {
    /// The same error again: a worker whose workspace failed to open
    /// answers every job it is asked with it.
    fn from(e: &DomainError) -> JobError {
        JobError::Domain(match e {
            DomainError::Invalid(s) => DomainError::Invalid(s.clone()),
            DomainError::NotFound(s) => DomainError::NotFound(s.clone()),
            DomainError::Refused(s) => DomainError::Refused(s.clone()),
            DomainError::NoWorkspace(p) => DomainError::NoWorkspace(p.clone()),
            DomainError::Busy => DomainError::Busy,
            DomainError::Storage(s) => DomainError::Storage(s.clone()),
        })
    }
}

impl Clone for JobError {
    fn clone(&self) -> JobError {
        match self {
            JobError::Domain(e) => JobError::from(e),
            JobError::Worker(s) => JobError::Worker(s.clone()),
        }
    }
}

impl PartialEq for JobError {
    fn eq(&self, other: &JobError) -> bool {
        match (self, other) {
            (JobError::Domain(a), JobError::Domain(b)) => {
                std::mem::discriminant(a) == std::mem::discriminant(b)
                    && a.to_string() == b.to_string()
            }
            (JobError::Worker(a), JobError::Worker(b)) => a == b,
            _ => false,
        }
    }
}

/// What a job gives back.
pub type JobOutcome<T> = Result<T, JobError>;

#[cfg(test)]
mod job_error_tests {
    use super::*;

    #[test]
    fn busy_and_refused_stay_apart_with_the_domains_sentence() {
        let busy = JobError::from(DomainError::Busy);
        let refused = JobError::from(DomainError::Refused("not yours".into()));
        assert!(busy.is_busy() && !busy.is_refused());
        assert!(refused.is_refused() && !refused.is_busy());
        assert_eq!(refused.to_string(), "not yours");
        assert_eq!(busy.to_string(), DomainError::Busy.to_string());
        assert_eq!(busy.clone(), busy);
        assert_ne!(busy, refused);
    }
}
