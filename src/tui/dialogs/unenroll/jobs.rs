//! The unenroll dialog's jobs: its dry run, and the unenroll of one
//! enrollment (R4) or many (R5) it confirms.

use super::{done, preview_done};
use crate::domain::{EndReason, EnrollmentRow, Expected, UnenrollReport};
use crate::tui::action::StatusCount;
use crate::tui::app::App;

/// The dry run an unenroll dialog shows, plus what the targets are now
/// (and the one target as it is now, when there is one: R4 checks it).
#[derive(Debug, Clone, PartialEq)]
pub struct PreviewUnenroll {
    pub generation: u64,
    pub enrollments: Vec<i64>,
    pub reason: EndReason,
}

impl crate::tui::action::Work for PreviewUnenroll {
    type Answer = (UnenrollReport, Vec<StatusCount>, Option<Box<EnrollmentRow>>);
    const READ: bool = false;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        user: &crate::domain::User,
    ) -> crate::domain::Result<(UnenrollReport, Vec<StatusCount>, Option<Box<EnrollmentRow>>)> {
        let request = crate::domain::UnenrollRequest {
            enrollments: self.enrollments.clone(),
            reason: self.reason,
            note: None,
            dry_run: true,
        };
        let report = ws.unenroll(user, &request)?;
        let row = match self.enrollments.as_slice() {
            [one] => Some(Box::new(ws.enrollment(*one)?)),
            _ => None,
        };
        Ok((report, ws.status_counts(&self.enrollments)?, row))
    }
    fn done(
        self,
        app: &mut App,
        result: crate::tui::action::JobOutcome<(
            UnenrollReport,
            Vec<StatusCount>,
            Option<Box<EnrollmentRow>>,
        )>,
    ) {
        preview_done(app, self.generation, result)
    }
}

/// Unenroll many (R5): one transaction, one batch.
#[derive(Debug, Clone, PartialEq)]
pub struct UnenrollMany {
    pub enrollments: Vec<i64>,
    pub reason: EndReason,
    pub note: Option<String>,
}

impl crate::tui::action::Work for UnenrollMany {
    type Answer = UnenrollReport;
    const READ: bool = false;
    const TIDIES: bool = true;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        user: &crate::domain::User,
    ) -> crate::domain::Result<UnenrollReport> {
        ws.unenroll(
            user,
            &crate::domain::UnenrollRequest {
                enrollments: self.enrollments.clone(),
                reason: self.reason,
                note: self.note.clone(),
                dry_run: false,
            },
        )
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<UnenrollReport>) {
        done(app, result)
    }
}

/// Unenroll the one enrollment the person confirmed (R4).
#[derive(Debug, Clone, PartialEq)]
pub struct UnenrollOne {
    pub enrollment: i64,
    pub expected: Expected,
    pub reason: EndReason,
    pub note: Option<String>,
}

impl crate::tui::action::Work for UnenrollOne {
    type Answer = UnenrollReport;
    const READ: bool = false;
    const TIDIES: bool = true;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        user: &crate::domain::User,
    ) -> crate::domain::Result<UnenrollReport> {
        ws.unenroll_one(
            user,
            self.enrollment,
            &self.expected,
            self.reason,
            self.note.clone(),
        )
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<UnenrollReport>) {
        done(app, result)
    }
}
