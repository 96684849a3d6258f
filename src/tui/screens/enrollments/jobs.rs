//! The reads and the export of an enrollment list, each a job of its own
//! (see `crate::tui::action::Work`): what it runs on a worker and which
//! answer of the list it feeds.

use std::path::PathBuf;

use super::query;
use crate::domain::{EnrollmentQuery, EnrollmentRow, Filter, Sort};
use crate::tui::app::App;

/// The ids of a sequence's list, in order (an index walk; a scan with a
/// text filter).
#[derive(Debug, Clone, PartialEq)]
pub struct EnrollmentIds {
    pub generation: u64,
    pub query: Box<EnrollmentQuery>,
}

impl crate::tui::action::Work for EnrollmentIds {
    type Answer = Vec<i64>;
    const READ: bool = true;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        _: &crate::domain::User,
    ) -> crate::domain::Result<Vec<i64>> {
        ws.enrollment_ids(&self.query)
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<Vec<i64>>) {
        super::ids_done(app, self.generation, result)
    }
}

/// The first rows of a sequence's list under a new text filter, asked
/// just before its ids: a walk of the list's index that stops after
/// `limit` matches (a few milliseconds where matches are common), while
/// every id takes a pass over the whole sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct EnrollmentPage {
    pub generation: u64,
    pub query: Box<EnrollmentQuery>,
    pub limit: usize,
}

impl crate::tui::action::Work for EnrollmentPage {
    type Answer = Vec<EnrollmentRow>;
    const READ: bool = true;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        _: &crate::domain::User,
    ) -> crate::domain::Result<Vec<EnrollmentRow>> {
        ws.enrollment_page(&self.query, None, self.limit)
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<Vec<EnrollmentRow>>) {
        super::page_done(app, self.generation, result)
    }
}

/// Full rows of an enrollment list's window around the screen.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub generation: u64,
    pub ids: Vec<i64>,
}

impl crate::tui::action::Work for Window {
    type Answer = Vec<EnrollmentRow>;
    const READ: bool = true;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        _: &crate::domain::User,
    ) -> crate::domain::Result<Vec<EnrollmentRow>> {
        ws.enrollments_by_ids(&self.ids)
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<Vec<EnrollmentRow>>) {
        super::window_done(app, self.generation, result)
    }
}

/// The ids of the All enrollments view: the filter resolved against the
/// workspace (names to ids, days to instants), then its ids in order —
/// both on the reader, as resolving reads the store.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterIds {
    pub generation: u64,
    pub filter: Box<Filter>,
    /// The order the ids come in.
    pub sort: Sort,
}

impl crate::tui::action::Work for FilterIds {
    type Answer = Vec<i64>;
    const READ: bool = true;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        _: &crate::domain::User,
    ) -> crate::domain::Result<Vec<i64>> {
        ws.resolve(&self.filter).and_then(|q| {
            ws.enrollment_ids(&EnrollmentQuery {
                sort: self.sort,
                ..q
            })
        })
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<Vec<i64>>) {
        query::ids_done(app, self.generation, result)
    }
}

/// The first rows of the All enrollments view's filter, asked just
/// before its ids: a page stops after `limit` rows (milliseconds), while
/// every id of a large match takes up to a second, so the rows show first.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterPage {
    pub generation: u64,
    pub filter: Box<Filter>,
    /// The order of the rows.
    pub sort: Sort,
    pub limit: usize,
}

impl crate::tui::action::Work for FilterPage {
    type Answer = Vec<EnrollmentRow>;
    const READ: bool = true;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        _: &crate::domain::User,
    ) -> crate::domain::Result<Vec<EnrollmentRow>> {
        ws.resolve(&self.filter).and_then(|q| {
            ws.enrollment_page(
                &EnrollmentQuery {
                    sort: self.sort,
                    ..q
                },
                None,
                self.limit,
            )
        })
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<Vec<EnrollmentRow>>) {
        query::page_done(app, self.generation, result)
    }
}

/// How many enrollments the filter matches now (after a change of ours,
/// while the rows stay in place).
#[derive(Debug, Clone, PartialEq)]
pub struct FilterCount {
    pub generation: u64,
    pub filter: Box<Filter>,
}

impl crate::tui::action::Work for FilterCount {
    type Answer = i64;
    const READ: bool = true;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        _: &crate::domain::User,
    ) -> crate::domain::Result<i64> {
        ws.resolve(&self.filter)
            .and_then(|q| ws.enrollment_count(&q))
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<i64>) {
        query::count_done(app, self.generation, result)
    }
}

/// Write these enrollments, in this order, as CSV to `path` (or, when
/// that name is taken, to the first free `-2`, `-3`, … after it).
#[derive(Debug, Clone, PartialEq)]
pub struct ExportCsv {
    pub enrollments: Vec<i64>,
    pub path: PathBuf,
}

impl crate::tui::action::Work for ExportCsv {
    type Answer = crate::domain::Exported;
    const READ: bool = false;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        _: &crate::domain::User,
    ) -> crate::domain::Result<crate::domain::Exported> {
        ws.export_enrollments(&self.enrollments, &self.path)
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<crate::domain::Exported>) {
        super::exported(app, result)
    }
}
