//! The work `update` hands to the workers (`Job`), what comes back
//! (`JobResult`), and why a job could not do it (`JobError`).

use super::*;

/// Work that may take longer than a frame, run off the UI thread on a
/// `Workspace` of its own opened on the same file.
#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    /// Every sequence with its counts and rates (aggregates over the whole
    /// store: too slow for the UI thread on a big workspace); `mine`: only
    /// those the user owns or enrolled someone in.
    Sequences { generation: u64, mine: bool },
    /// The ids of an enrollment list, in order (an index walk; a scan with
    /// a text filter).
    EnrollmentIds {
        generation: u64,
        query: Box<EnrollmentQuery>,
    },
    /// The ids of the All enrollments view: the filter resolved against
    /// the workspace (names to ids, days to instants), then its ids in
    /// order — both on the reader, as resolving reads the store.
    FilterIds {
        generation: u64,
        filter: Box<Filter>,
        sort: Sort,
    },
    /// The first rows of the All enrollments view's filter, asked just
    /// before its ids: a page stops after `limit` rows (milliseconds),
    /// while every id of a large match takes up to a second, so the rows
    /// show first.
    FilterPage {
        generation: u64,
        filter: Box<Filter>,
        sort: Sort,
        limit: usize,
    },
    /// The first rows of a sequence's list under a new text filter, asked
    /// just before its ids: a walk of the list's index that stops after
    /// `limit` matches (a few milliseconds where matches are common),
    /// while every id takes a pass over the whole sequence.
    EnrollmentPage {
        generation: u64,
        query: Box<EnrollmentQuery>,
        limit: usize,
    },
    /// How many enrollments the filter matches now (after a change of ours,
    /// while the rows stay in place).
    FilterCount {
        generation: u64,
        filter: Box<Filter>,
    },
    /// Every saved list with its count now.
    Lists { generation: u64 },
    /// The workspace's users: the new owners a transfer offers, and the
    /// emails the query editor completes.
    Users { generation: u64 },
    /// The newest audit entries (`mine`: only those by the user or about
    /// enrollments the user enrolled).
    Audit { generation: u64, mine: bool },
    /// A page of the user's open tasks, after a (due, id) key (R18).
    Tasks {
        generation: u64,
        after: Option<(crate::domain::Timestamp, i64)>,
        limit: usize,
    },
    /// The user's enrollments that ended by themselves after an audit id
    /// (`None`: only the newest audit id, the starting point).
    AutomaticEnds { generation: u64, after: Option<i64> },
    /// Contacts matching the Contacts view's search text.
    SearchContacts { generation: u64, text: String },
    /// Every sequence's report (grouped aggregates over the whole store).
    Report { generation: u64 },
    /// Full rows of an enrollment list's window around the screen.
    Window { generation: u64, ids: Vec<i64> },
    /// The rows on screen as they are now, after another process changed
    /// the store (to say which ended by themselves).
    Fresh { generation: u64, ids: Vec<i64> },
    /// This user's last batch that can still be undone (R15), for `U`.
    LastUndoable { generation: u64 },
    /// The contact in the detail pane: fields, enrollments, timeline.
    ContactDetail { generation: u64, contact: i64 },
    /// The dry run an unenroll dialog shows, plus what the targets are now.
    Preview {
        generation: u64,
        enrollments: Vec<i64>,
        reason: EndReason,
    },
    /// Unenroll many (R5): one transaction, one batch.
    Unenroll {
        enrollments: Vec<i64>,
        reason: EndReason,
        note: Option<String>,
    },
    /// Unenroll the one enrollment the person confirmed (R4).
    UnenrollOne {
        enrollment: i64,
        expected: Expected,
        reason: EndReason,
        note: Option<String>,
    },
    /// What enrolling one contact in a sequence would do (the picker shows
    /// it before it can be confirmed).
    EnrollPreview {
        generation: u64,
        contact: i64,
        sequence: i64,
    },
    /// The dry run of enrolling many contacts (marked contacts, or the
    /// contacts of marked enrollments) in a sequence.
    BulkEnrollPreview {
        generation: u64,
        sequence: i64,
        source: BulkSource,
    },
    /// Enroll them: one transaction, one batch (undoable).
    BulkEnroll { sequence: i64, source: BulkSource },
    /// A sequence's steps, settings and templates filled for a contact.
    StepsView {
        generation: u64,
        sequence: i64,
        contact: Option<i64>,
        sender: Option<String>,
    },
    /// A setting toggled or a file applied to a sequence (R17); a dry run
    /// is the plan the dialog shows.
    SequencePlan {
        generation: u64,
        sequence: i64,
        change: SequenceChange,
        dry_run: bool,
    },
    /// Enroll one contact (R1, R2 refusals come back as sentences).
    Enroll { contact: i64, sequence: i64 },
    /// The dry run of a pause (`true`) or resume.
    ChangePreview {
        generation: u64,
        enrollments: Vec<i64>,
        pause: bool,
    },
    /// Pause or resume (R14): one transaction, one batch.
    Change { enrollments: Vec<i64>, pause: bool },
    /// Undo a batch of ours: an unenroll, a transfer or an enroll (R15).
    Undo { batch: String },
    /// The preview of a transfer of the contacts of these enrollments (R10).
    TransferPreview {
        generation: u64,
        enrollments: Vec<i64>,
        to: i64,
        policy: TransferPolicy,
        /// Only enrollments at or after this step (`--from-step`).
        from_step: Option<i64>,
    },
    /// The transfer itself.
    Transfer {
        enrollments: Vec<i64>,
        to: i64,
        policy: TransferPolicy,
        from_step: Option<i64>,
    },
    /// Write these enrollments, in this order, as CSV to `path`.
    Export {
        enrollments: Vec<i64>,
        path: PathBuf,
    },
    /// Save the filter as the team's list `name` (or replace its filter).
    SaveList { name: String, filter: Box<Filter> },
    /// Delete the saved list `name`.
    DeleteList { name: String },
    /// Complete, skip or snooze (until `until`) one task (R18).
    WorkTask {
        task: i64,
        action: crate::domain::TaskAction,
        until: Option<crate::domain::Timestamp>,
    },
}

impl Job {
    /// A read: it goes to the one long-lived reader (which drops requests
    /// made stale by newer ones of the same kind); the rest are writes (and
    /// exports), a worker thread each.
    pub fn is_read(&self) -> bool {
        matches!(
            self,
            Job::Sequences { .. }
                | Job::EnrollmentIds { .. }
                | Job::FilterIds { .. }
                | Job::FilterPage { .. }
                | Job::EnrollmentPage { .. }
                | Job::FilterCount { .. }
                | Job::Lists { .. }
                | Job::Users { .. }
                | Job::SearchContacts { .. }
                | Job::Audit { .. }
                | Job::EnrollPreview { .. }
                | Job::Report { .. }
                | Job::ContactDetail { .. }
                | Job::LastUndoable { .. }
                | Job::Window { .. }
                | Job::Fresh { .. }
                | Job::Tasks { .. }
                | Job::AutomaticEnds { .. }
                | Job::StepsView { .. }
        )
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

/// The answer to a [`Job`]. Errors travel typed ([`JobError`]).
#[derive(Debug)]
pub enum JobResult {
    Sequences {
        generation: u64,
        result: JobOutcome<Vec<SequenceSummary>>,
    },
    EnrollmentIds {
        generation: u64,
        result: JobOutcome<Vec<i64>>,
    },
    SearchContacts {
        generation: u64,
        /// The contacts, and whether they are close matches, not exact.
        result: JobOutcome<(Vec<Contact>, bool)>,
    },
    FilterIds {
        generation: u64,
        result: JobOutcome<Vec<i64>>,
    },
    FilterPage {
        generation: u64,
        result: JobOutcome<Vec<EnrollmentRow>>,
    },
    EnrollmentPage {
        generation: u64,
        result: JobOutcome<Vec<EnrollmentRow>>,
    },
    FilterCount {
        generation: u64,
        result: JobOutcome<i64>,
    },
    Lists {
        generation: u64,
        result: JobOutcome<Vec<CountedList>>,
    },
    Users {
        generation: u64,
        result: JobOutcome<Vec<User>>,
    },
    LastUndoable {
        generation: u64,
        result: JobOutcome<Option<UndoCandidate>>,
    },
    Window {
        generation: u64,
        result: JobOutcome<Vec<EnrollmentRow>>,
    },
    Fresh {
        generation: u64,
        result: JobOutcome<Vec<EnrollmentRow>>,
    },
    Audit {
        generation: u64,
        result: JobOutcome<Vec<AuditEntry>>,
    },
    Report {
        generation: u64,
        result: JobOutcome<Vec<SequenceReport>>,
    },
    ContactDetail {
        generation: u64,
        result: JobOutcome<Box<ContactDetail>>,
    },
    Preview {
        generation: u64,
        /// The dry run, what the targets are now, and the one target as
        /// it is now when there is one.
        result: JobOutcome<(UnenrollReport, Vec<StatusCount>, Option<Box<EnrollmentRow>>)>,
    },
    Unenrolled {
        result: JobOutcome<UnenrollReport>,
    },
    Enrolled {
        contact: i64,
        result: JobOutcome<EnrollReport>,
    },
    ManagePreview {
        generation: u64,
        result: JobOutcome<ManagePreview>,
    },
    EnrollPreview {
        generation: u64,
        result: JobOutcome<EnrollPreview>,
    },
    BulkEnrollPreview {
        generation: u64,
        result: JobOutcome<EnrollReport>,
    },
    BulkEnrolled {
        result: JobOutcome<EnrollReport>,
    },
    StepsView {
        generation: u64,
        result: JobOutcome<Box<StepsView>>,
    },
    SequencePlan {
        generation: u64,
        dry_run: bool,
        result: JobOutcome<SequencePlan>,
    },
    /// A pause, resume, undo or transfer finished: its summary line.
    Managed {
        result: JobOutcome<String>,
    },
    /// How many rows were written to `path`.
    Exported {
        path: PathBuf,
        result: JobOutcome<usize>,
    },
    ListSaved {
        result: JobOutcome<Box<SaveListReport>>,
    },
    ListDeleted {
        result: JobOutcome<Box<SavedList>>,
    },
    Tasks {
        generation: u64,
        /// The page size asked: a full page means there may be more.
        limit: usize,
        result: JobOutcome<Vec<crate::domain::TaskItem>>,
    },
    TaskWorked {
        result: JobOutcome<crate::domain::TaskReport>,
    },
    AutomaticEnds {
        generation: u64,
        result: JobOutcome<crate::domain::AutomaticEnds>,
    },
}

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
