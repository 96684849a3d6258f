//! The enrollment lists: the core both share (ids in order, a window of
//! loaded rows, marks, status chips, the table), and the two sources —
//! one sequence's enrollments (`sequence`) and a query across sequences,
//! the All enrollments view (`query`).

pub mod query;
pub mod sequence;
mod table;

pub(crate) use table::{ALL_COLUMNS, COLUMNS, table};

use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;

use crate::domain::{
    EnrollmentQuery, EnrollmentRow, Exported, SequenceSummary, Sort, Status, export_file_name,
};
use crate::tui::action::Job;
use crate::tui::action::JobOutcome;
use crate::tui::app::Running;
use crate::tui::app::{App, FIRST_PAGE, Screen, Tone, export_dir};
use crate::tui::list::{Cursor, Marks};
use crate::tui::text::{self};
use query::{QuerySource, change_query};
use std::time::Instant;

mod answers;
mod jobs;
mod marking;
mod sorting;

pub use answers::*;
pub use jobs::*;
pub use marking::*;
pub use sorting::sort;

/// The status filter chips of an enrollment list. `Open` (active and
/// paused: every enrollment that may still send) is a sequence list's
/// default, so that Ctrl-a then `u` ends paused ones too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chip {
    Open,
    Active,
    Paused,
    Finished,
    Unenrolled,
    All,
}

impl Chip {
    pub const ALL: [Chip; 6] = [
        Chip::Open,
        Chip::Active,
        Chip::Paused,
        Chip::Finished,
        Chip::Unenrolled,
        Chip::All,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Chip::Open => "open",
            Chip::Active => "active",
            Chip::Paused => "paused",
            Chip::Finished => "finished",
            Chip::Unenrolled => "unenrolled",
            Chip::All => "all",
        }
    }

    /// The statuses the chip asks the domain for (empty: every status).
    pub fn statuses(self) -> Vec<Status> {
        match self {
            Chip::Open => vec![Status::Active, Status::Paused],
            Chip::Active => vec![Status::Active],
            Chip::Paused => vec![Status::Paused],
            Chip::Finished => vec![Status::Finished],
            Chip::Unenrolled => vec![Status::Unenrolled],
            Chip::All => Vec::new(),
        }
    }

    /// How many enrollments of the sequence the chip covers.
    pub fn count(self, s: &SequenceSummary) -> i64 {
        match self {
            Chip::Open => s.active + s.paused,
            Chip::Active => s.active,
            Chip::Paused => s.paused,
            Chip::Finished => s.finished,
            Chip::Unenrolled => s.unenrolled,
            Chip::All => s.total,
        }
    }

    pub fn step(self, delta: isize) -> Chip {
        let at = Chip::ALL.iter().position(|c| *c == self).unwrap_or(0) as isize;
        Chip::ALL[(at + delta).rem_euclid(Chip::ALL.len() as isize) as usize]
    }

    /// The chip that stands for exactly these statuses, if one does
    /// (`status:active,paused` has none).
    pub fn of(statuses: &[Status]) -> Option<Chip> {
        Chip::ALL.into_iter().find(|c| {
            let want = c.statuses();
            want.len() == statuses.len() && want.iter().all(|s| statuses.contains(s))
        })
    }
}

/// Where the focus goes when a list's ids are replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// The first row (a new filter).
    Top,
    /// The row with this id if it is still there, else the same position.
    Focus(Option<i64>),
}

/// A filter query in flight on the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    pub generation: u64,
    pub keep: Keep,
}

/// Where an enrollment list's rows come from.
#[derive(Debug)]
pub enum Source {
    /// One sequence; its filter is the list's chip, stale toggle and text.
    Sequence(SequenceSummary),
    /// Every sequence, filtered by a query (the All enrollments view).
    Query(Box<QuerySource>),
}

/// An enrollment list: the enrollments of one sequence, or of every
/// sequence through a query (the All enrollments view). The same table,
/// marking, dialogs and export serve both.
#[derive(Debug)]
pub struct EnrollmentsState {
    pub source: Source,
    /// The status chip of a sequence's list (the All view's is in its query).
    pub chip: Chip,
    /// Only stale enrollments (R11), on top of the chip and the search (a
    /// sequence's list; the All view says `is:stale` in its query).
    pub stale: bool,
    /// A sequence's text filter, applied as typed.
    pub search: String,
    pub editing: bool,
    /// Every enrollment id the filter matches, in list order.
    pub ids: Vec<i64>,
    pub cursor: Cursor,
    /// Full rows for `ids[loaded]`: the window around the screen.
    pub rows: HashMap<i64, EnrollmentRow>,
    pub loaded: Range<usize>,
    pub marks: Marks,
    pub pending: Option<Pending>,
    /// Ctrl-a pressed while a filter was still running: mark when it lands.
    pub mark_all_when_loaded: bool,
    /// `ids` holds only the first page of a new filter (All enrollments);
    /// the whole list is still on its way.
    pub provisional: bool,
    /// The list's order (`>`/`<` choose the column, `r` reverses it).
    pub sort: Sort,
}

impl EnrollmentsState {
    pub fn new(source: Source) -> EnrollmentsState {
        EnrollmentsState {
            source,
            chip: Chip::Open,
            stale: false,
            search: String::new(),
            editing: false,
            ids: Vec::new(),
            cursor: Cursor::default(),
            rows: HashMap::new(),
            loaded: 0..0,
            marks: Marks::default(),
            pending: None,
            mark_all_when_loaded: false,
            provisional: false,
            sort: Sort::default(),
        }
    }

    /// The sequence a sequence's list shows.
    pub fn sequence(&self) -> Option<&SequenceSummary> {
        match &self.source {
            Source::Sequence(s) => Some(s),
            Source::Query(_) => None,
        }
    }

    /// The All view's filter.
    pub fn query_source(&self) -> Option<&QuerySource> {
        match &self.source {
            Source::Query(q) => Some(q),
            Source::Sequence(_) => None,
        }
    }

    pub fn query_source_mut(&mut self) -> Option<&mut QuerySource> {
        match &mut self.source {
            Source::Query(q) => Some(q),
            Source::Sequence(_) => None,
        }
    }

    /// A sequence's list as a query (chip, stale toggle, text).
    pub fn query(&self) -> EnrollmentQuery {
        EnrollmentQuery {
            sequences: self.sequence().map(|s| vec![s.id]).unwrap_or_default(),
            statuses: self.chip.statuses(),
            search: self.search.trim().to_string(),
            stale: self.stale,
            sort: self.sort,
            ..Default::default()
        }
    }

    /// The reader job that lists this list's ids.
    pub fn ids_job(&self, generation: u64) -> Job {
        match &self.source {
            Source::Sequence(_) => Job::from(EnrollmentIds {
                generation,
                query: Box::new(self.query()),
            }),
            Source::Query(q) => Job::from(FilterIds {
                generation,
                filter: Box::new(q.current().clone()),
                sort: self.sort,
            }),
        }
    }

    pub fn focused_id(&self) -> Option<i64> {
        self.ids.get(self.cursor.selected).copied()
    }

    pub fn focused_row(&self) -> Option<&EnrollmentRow> {
        self.focused_id().and_then(|id| self.rows.get(&id))
    }

    pub fn marked_count(&self) -> usize {
        self.marks.count(&self.ids, self.cursor.selected)
    }
}

impl App {
    /// Asks the reader for the ids of the enrollment list on screen.
    pub fn query_enrollments(&mut self, keep: Keep) {
        if let Some(which) = self.shown() {
            self.query_list(which, keep);
        }
    }

    /// Asks the reader for the ids of an enrollment list: an index walk of
    /// up to a few hundred thousand rows, or a scan with a text filter or a
    /// query across sequences — either way off the UI thread. The newest
    /// request wins.
    pub fn query_list(&mut self, which: Screen, keep: Keep) {
        let generation = self.next_generation();
        let Some(e) = self.list_mut(which) else {
            return;
        };
        e.pending = Some(Pending { generation, keep });
        // A new filter in the All view: its first rows first (see
        // `FilterPage`), on the same reader, just before its ids.
        let first = match (&e.source, keep) {
            (Source::Query(q), Keep::Top) => Some(Job::from(FilterPage {
                generation,
                filter: Box::new(q.current().clone()),
                sort: e.sort,
                limit: FIRST_PAGE,
            })),
            // A sequence opened, its text filter as it is typed, a new
            // chip or order: its first rows in a few milliseconds (a walk
            // of the order's index), its every id (the count, Ctrl-a)
            // after — 164,375 of them take 100–170 ms on the 1M demo.
            (Source::Sequence(_), Keep::Top) => Some(Job::from(EnrollmentPage {
                generation,
                query: Box::new(e.query()),
                limit: FIRST_PAGE,
            })),
            _ => None,
        };
        let job = e.ids_job(generation);
        if let Some(first) = first {
            self.run(first);
        }
        self.run(job);
    }

    /// The first rows of a new filter (the All view's query, a sequence's
    /// text filter), while its ids are still on the way (`FilterPage`,
    /// `EnrollmentPage`): shown at the top, marks kept.
    pub fn apply_first_page(&mut self, which: Screen, rows: Vec<EnrollmentRow>) {
        let Some(e) = self.list_mut(which) else {
            return;
        };
        e.ids = rows.iter().map(|r| r.id).collect();
        e.loaded = 0..e.ids.len();
        if matches!(self.window, Some((_, w, _)) if w == which) {
            self.window = None;
        }
        let Some(e) = self.list_mut(which) else {
            return;
        };
        e.rows = rows.into_iter().map(|r| (r.id, r)).collect();
        e.cursor = Cursor::default();
        e.provisional = true;
        if self.shown() == Some(which) {
            self.ensure_window();
            crate::tui::screens::detail::sync(self);
        }
    }

    /// Replaces the list's ids, keeping marks and (when asked) the focus.
    pub fn apply_ids(&mut self, which: Screen, ids: Vec<i64>, keep: Keep) {
        let rows = self.list_rows();
        let Some(e) = self.list_mut(which) else {
            return;
        };
        // After a first page (`apply_first_page`) the person may have moved
        // already: stay on their row.
        let keep = if e.provisional {
            Keep::Focus(e.focused_id())
        } else {
            keep
        };
        let found = match keep {
            Keep::Focus(Some(id)) => ids.iter().position(|&x| x == id),
            _ => None,
        };
        e.ids = ids;
        e.provisional = false;
        // The rows shown stay until the new window arrives (no blank frame).
        e.loaded = 0..0;
        match (keep, found) {
            (Keep::Top, _) => e.cursor = Cursor::default(),
            (_, Some(at)) => e.cursor.keep_at(at, e.ids.len(), rows),
            (_, None) => e.cursor.follow(e.ids.len(), rows),
        }
        e.marks.relocate(&e.ids);
        if e.mark_all_when_loaded {
            e.mark_all_when_loaded = false;
            e.marks.mark_all(&e.ids);
        }
        if self.window.as_ref().is_some_and(|w| w.1 == which) {
            self.window = None;
        }
        if self.shown() == Some(which) {
            self.ensure_window();
            crate::tui::screens::detail::sync(self);
        }
    }

    /// Asks the reader for full rows of the enrollment list on screen (and
    /// a screen either side, so that moving line by line rarely asks the
    /// store). A list not on screen loads its window when it comes back.
    pub fn ensure_window(&mut self) {
        let rows = self.list_rows();
        let Some(which) = self.shown() else {
            return;
        };
        let asked = self.window.clone();
        let Some(e) = self.list_mut(which) else {
            return;
        };
        let len = e.ids.len();
        e.cursor.follow(len, rows);
        let visible = e.cursor.visible(len, rows);
        let covers = |r: &Range<usize>| r.start <= visible.start && visible.end <= r.end;
        if visible.is_empty()
            || covers(&e.loaded)
            || asked.is_some_and(|(_, w, r)| w == which && covers(&r))
        {
            return;
        }
        let from = visible.start.saturating_sub(rows);
        let to = (visible.end + rows).min(len);
        let ids = e.ids[from..to].to_vec();
        let generation = self.next_generation();
        self.window = Some((generation, which, from..to));
        self.run(Window { generation, ids });
    }

    /// Reloads the rows on screen in place (their status may have changed);
    /// the other enrollment list reloads its window when it comes back.
    pub fn reload_window(&mut self) {
        for which in Screen::LISTS {
            if let Some(e) = self.list_mut(which) {
                e.loaded = 0..0;
            }
        }
        self.window = None;
        self.ensure_window();
    }

    /// What `x` exports from the enrollment list: the marked rows (and a
    /// range being drawn) in list order, else every row the filter
    /// matches; and the file it goes to. None when there is nothing.
    pub fn export_request(&self) -> Option<(Vec<i64>, PathBuf)> {
        let e = self.shown_list()?;
        let ids = if e.marked_count() > 0 {
            e.marks.targets(&e.ids, e.cursor.selected).0
        } else {
            e.ids.clone()
        };
        if ids.is_empty() {
            return None;
        }
        // The sequence's name, the saved list's, or "all enrollments".
        let label = match &e.source {
            Source::Sequence(s) => s.name.as_str(),
            Source::Query(q) => q
                .list
                .as_ref()
                .map_or("all enrollments", |l| l.name.as_str()),
        };
        let name = export_file_name(label, self.now());
        Some((ids, export_dir().join(name)))
    }
}
