//! The application state, and the reads that fill it. Every read goes
//! through `crate::domain::Workspace`; long ones are handed out as jobs
//! (see `jobs.rs`). Lists hold ids and a cursor as numbers and load full
//! rows only for the window on screen.

use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::time::Instant;

use super::action::{Effect, Job, JobError};
use super::dialog::Dialog;
use super::jobs::{Jobs, Message};
use super::keymap::{Keymap, Scope};
use super::list::{Cursor, Marks};
use super::query::{Known, QueryEditor};
use super::screens::activity::ActivityState;
use super::screens::contacts::ContactsState;
use super::screens::detail::DetailState;
use super::screens::lists::ListsState;
use super::screens::reports::ReportsState;
use super::screens::sequences::SequencesState;
use super::theme::Theme;
use super::view;
use crate::domain::{
    Contact, DomainError, EnrollmentQuery, EnrollmentRow, Filter, SavedList, SequenceSummary,
    Status, UndoCandidate, User, Workspace, WorkspaceInfo, export_file_name,
};

/// How many contacts the Contacts view lists for one search.
pub const CONTACT_LIMIT: usize = 500;
/// How many audit entries the Activity view lists.
pub const AUDIT_LIMIT: usize = 1000;
/// Page cache of the UI thread's connection and of the reader's, in MiB
/// (SQLite's default here is 64 each; the UI keeps under 150 MB in all).
pub const SCREEN_CACHE_MIB: u32 = 16;
pub const READER_CACHE_MIB: u32 = 32;
/// Rows of a new filter's first page in the All view (a tall screen's
/// worth), shown before the whole list's ids arrive.
pub const FIRST_PAGE: usize = 100;
pub const WRITER_CACHE_MIB: u32 = 16;
/// From this width the detail pane sits beside the list.
pub const WIDE: u16 = 120;
/// Below this size the app says it needs more room.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;

/// The top-level views, switched with 1–6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Sequences,
    Contacts,
    Activity,
    Reports,
    All,
    Lists,
}

impl View {
    pub const ALL: [View; 6] = [
        View::Sequences,
        View::Contacts,
        View::Activity,
        View::Reports,
        View::All,
        View::Lists,
    ];

    pub fn title(self) -> &'static str {
        match self {
            View::Sequences => "Sequences",
            View::Contacts => "Contacts",
            View::Activity => "Activity",
            View::Reports => "Reports",
            View::All => "All enrollments",
            View::Lists => "Lists",
        }
    }

    /// The name in a header with less room.
    pub fn short(self) -> &'static str {
        match self {
            View::All => "All",
            other => other.title(),
        }
    }
}

/// What is on screen: a top-level view, or the enrollments of a sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Sequences,
    Enrollments,
    Contacts,
    Activity,
    Reports,
    /// The All enrollments view.
    All,
    Lists,
}

impl Screen {
    /// One of the two enrollment lists (a sequence's, or All enrollments):
    /// marking, the actions on marked rows and the detail pane work here.
    pub fn lists_enrollments(self) -> bool {
        matches!(self, Screen::Enrollments | Screen::All)
    }
}

/// Which enrollment list: the open sequence's, or the All enrollments
/// view's. Each keeps its own filter, cursor and marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Sequence,
    All,
}

/// What completion may offer: the sequence names and user emails the app
/// holds (a function of the fields, so that the editor can change while
/// they are borrowed).
pub fn known<'a>(sequences: &'a [SequenceSummary], users: &'a [String]) -> Known<'a> {
    Known {
        sequences: sequences.iter().map(|s| s.name.as_str()).collect(),
        users,
    }
}

/// Where `x` writes its CSV files: the directory seqtui was started in
/// (the one place this is decided; README "Exporting enrollments").
pub fn export_dir() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}

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

/// The All enrollments view's filter. The status chips and the stale
/// toggle are written into the query itself, so that what is on screen,
/// what the query line says and what `L` saves are one filter.
#[derive(Debug, Default)]
pub struct QuerySource {
    /// The filter the listed ids are for.
    pub filter: Filter,
    /// A filter sent to the reader and not answered yet: it becomes
    /// `filter` when its ids arrive.
    pub asked: Option<Filter>,
    /// The text typed for `asked`: when the workspace refuses it (an
    /// unknown sequence or user), the editor opens again on it.
    pub asked_text: Option<String>,
    /// The saved list on screen (opened from the Lists view, or saved here).
    pub list: Option<SavedList>,
    /// The query editor, while open.
    pub editor: Option<QueryEditor>,
    /// How many enrollments the filter matches now, read after a change of
    /// ours while the changed rows stay in place; `None`: as many as listed.
    pub count: Option<i64>,
    pub count_pending: Option<u64>,
}

impl QuerySource {
    /// The filter on screen, or the one about to be (what the chips and the
    /// stale toggle change).
    pub fn current(&self) -> &Filter {
        self.asked.as_ref().unwrap_or(&self.filter)
    }

    /// The saved list's filter was changed here and not saved again.
    pub fn edited(&self) -> bool {
        self.list.as_ref().is_some_and(|l| l.filter != self.filter)
    }
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
            ..Default::default()
        }
    }

    /// The reader job that lists this list's ids.
    pub fn ids_job(&self, generation: u64) -> Job {
        match &self.source {
            Source::Sequence(_) => Job::EnrollmentIds {
                generation,
                query: Box::new(self.query()),
            },
            Source::Query(q) => Job::FilterIds {
                generation,
                filter: Box::new(q.current().clone()),
            },
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Success,
    Error,
}

/// The one line under the screen saying what just happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub text: String,
    pub tone: Tone,
}

/// A write running on a worker: the status line shows it with a spinner.
#[derive(Debug, Clone)]
pub struct Running {
    pub label: String,
    pub started: Instant,
    /// The enrollment list it was started from: its marks clear when done.
    pub list: Option<Which>,
}

pub struct App {
    pub ws: Workspace,
    pub info: WorkspaceInfo,
    pub user: User,
    pub keymap: Keymap,
    pub theme: Theme,
    pub width: u16,
    pub height: u16,
    pub view: View,
    pub sequences: SequencesState,
    /// The sequence opened from the Sequences view, if any.
    pub enrollments: Option<EnrollmentsState>,
    /// The All enrollments view, once it has been opened.
    pub all: Option<EnrollmentsState>,
    pub lists: ListsState,
    /// The workspace's user emails, for completion in the query editor
    /// (read once, when the All view first opens).
    /// The workspace's users (read on the reader at start and on every
    /// refresh): the owners a transfer offers.
    pub team: Vec<User>,
    /// Their emails, for the query editor's completion.
    pub users: Vec<String>,
    pub users_pending: Option<u64>,
    /// This user's last undoable batch as the reader last saw it (asked
    /// at start, after every change and on every refresh): what `U` offers.
    pub undoable: Option<UndoCandidate>,
    pub undo_pending: Option<u64>,
    pub contacts: ContactsState,
    pub activity: ActivityState,
    pub reports: ReportsState,
    pub detail: DetailState,
    pub dialog: Option<Dialog>,
    /// The help overlay, with its scroll position.
    pub help: Option<u16>,
    pub note: Option<Note>,
    pub running: Option<Running>,
    /// The store's change counter when last looked at.
    pub data_version: i64,
    pub quit: bool,
    pub(crate) generation: u64,
    pub(crate) effects: Vec<Effect>,
    pub(crate) jobs: Jobs,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("view", &self.view)
            .field("screen", &self.screen())
            .finish_non_exhaustive()
    }
}

impl App {
    /// The app on `ws`, acting as `user` (None: the workspace's default
    /// user), drawing into a `width`×`height` screen. Background results
    /// are sent to `results`.
    pub fn new(
        ws: Workspace,
        user: Option<&str>,
        keymap: Keymap,
        theme: Theme,
        size: (u16, u16),
        results: Sender<Message>,
    ) -> Result<App, DomainError> {
        // The screen's connection reads small windows; a small cache will do.
        ws.limit_page_cache(SCREEN_CACHE_MIB)?;
        let info = ws.info()?;
        let user = ws.acting_user(user)?;
        let data_version = ws.data_version()?;
        let path: PathBuf = ws.path().to_path_buf();
        let jobs = Jobs::new(path, ws.clock(), ws.rules().clone(), user.clone(), results);
        let mut app = App {
            ws,
            info,
            user,
            keymap,
            theme,
            width: size.0,
            height: size.1,
            view: View::Sequences,
            sequences: SequencesState::default(),
            enrollments: None,
            all: None,
            lists: ListsState::default(),
            team: Vec::new(),
            users: Vec::new(),
            users_pending: None,
            undoable: None,
            undo_pending: None,
            contacts: ContactsState::default(),
            activity: ActivityState::default(),
            reports: ReportsState::default(),
            detail: DetailState::default(),
            dialog: None,
            help: None,
            note: None,
            running: None,
            data_version,
            quit: false,
            generation: 0,
            effects: Vec::new(),
            jobs,
        };
        // The first frame does not wait for the sequence counts: they are
        // aggregates over the whole store and come from the reader.
        super::screens::sequences::request(&mut app);
        app.request_users();
        app.request_undoable();
        for effect in std::mem::take(&mut app.effects) {
            if let Effect::Run(job) = effect {
                app.jobs.submit(job);
            }
        }
        Ok(app)
    }

    pub fn screen(&self) -> Screen {
        match self.view {
            View::Sequences if self.enrollments.is_some() => Screen::Enrollments,
            View::Sequences => Screen::Sequences,
            View::Contacts => Screen::Contacts,
            View::Activity => Screen::Activity,
            View::Reports => Screen::Reports,
            View::All => Screen::All,
            View::Lists => Screen::Lists,
        }
    }

    /// The enrollment list on screen, if one is.
    pub fn shown(&self) -> Option<Which> {
        match self.screen() {
            Screen::Enrollments => Some(Which::Sequence),
            Screen::All => Some(Which::All),
            _ => None,
        }
    }

    pub fn list(&self, which: Which) -> Option<&EnrollmentsState> {
        match which {
            Which::Sequence => self.enrollments.as_ref(),
            Which::All => self.all.as_ref(),
        }
    }

    pub fn list_mut(&mut self, which: Which) -> Option<&mut EnrollmentsState> {
        match which {
            Which::Sequence => self.enrollments.as_mut(),
            Which::All => self.all.as_mut(),
        }
    }

    /// The enrollment list on screen.
    pub fn shown_list(&self) -> Option<&EnrollmentsState> {
        self.shown().and_then(|w| self.list(w))
    }

    pub fn shown_list_mut(&mut self) -> Option<&mut EnrollmentsState> {
        self.shown().and_then(|w| self.list_mut(w))
    }

    /// The All view's filter.
    pub fn all_query(&self) -> Option<&QuerySource> {
        self.all.as_ref().and_then(|e| e.query_source())
    }

    /// The query editor, while it is open.
    pub fn editor(&self) -> Option<&QueryEditor> {
        self.all_query().and_then(|q| q.editor.as_ref())
    }

    pub fn wide(&self) -> bool {
        self.width >= WIDE
    }

    pub fn too_small(&self) -> bool {
        self.width < MIN_WIDTH || self.height < MIN_HEIGHT
    }

    /// Whether the detail pane is on screen (beside the list or full).
    pub fn detail_shown(&self) -> bool {
        matches!(
            self.screen(),
            Screen::Enrollments | Screen::All | Screen::Contacts
        ) && (self.detail.open || self.wide())
    }

    /// A text field has the focus: printable keys type into it.
    pub fn typing(&self) -> bool {
        if self.help.is_some() {
            return false;
        }
        match &self.dialog {
            Some(Dialog::Unenroll(d)) => d.typing(),
            Some(Dialog::SaveList(_)) => true,
            Some(Dialog::Enroll(_)) | Some(Dialog::Manage(_)) => false,
            None if self.detail.open => false,
            None => match self.screen() {
                Screen::Enrollments => self.enrollments.as_ref().is_some_and(|e| e.editing),
                Screen::All => self.editor().is_some(),
                Screen::Contacts => self.contacts.editing,
                _ => false,
            },
        }
    }

    /// The keymap scopes in force.
    pub fn scopes(&self) -> Vec<Scope> {
        if self.help.is_some() {
            return vec![Scope::Help];
        }
        if self.dialog.is_some() {
            return vec![Scope::Dialog];
        }
        if self.detail.open && self.detail_shown() {
            return vec![Scope::Global, Scope::Detail];
        }
        let own = match self.screen() {
            Screen::Sequences => Scope::Sequences,
            Screen::Enrollments => Scope::Enrollments,
            Screen::All if self.editor().is_some() => Scope::Editor,
            Screen::All => {
                return vec![
                    Scope::Global,
                    Scope::List,
                    Scope::Enrollments,
                    Scope::AllEnrollments,
                ];
            }
            Screen::Lists => Scope::Lists,
            Screen::Contacts => Scope::Contacts,
            Screen::Activity | Screen::Reports => Scope::List,
        };
        vec![Scope::Global, Scope::List, own]
    }

    /// Rows the current list shows at once.
    pub fn list_rows(&self) -> usize {
        let areas = view::areas(
            self,
            ratatui::layout::Rect::new(0, 0, self.width, self.height),
        );
        areas.list.height.saturating_sub(1).max(1) as usize
    }

    /// A job's error in the status line, in the domain's own sentence
    /// (busy: "…; try again"; refused: the rule's sentence).
    pub fn fail(&mut self, err: &JobError) {
        self.say(Tone::Error, err.to_string());
    }

    pub fn say(&mut self, tone: Tone, text: impl Into<String>) {
        self.note = Some(Note {
            text: text.into(),
            tone,
        });
    }

    pub(crate) fn run(&mut self, job: Job) {
        self.effects.push(Effect::Run(job));
    }

    pub(crate) fn next_generation(&mut self) -> u64 {
        self.generation += 1;
        self.generation
    }

    /// Something is still on its way from a worker.
    pub fn waiting(&self) -> bool {
        self.running.is_some()
            || self.sequences.pending.is_some()
            || self
                .enrollments
                .as_ref()
                .is_some_and(|e| e.pending.is_some())
            || self.all.as_ref().is_some_and(|e| e.pending.is_some())
            || self.all_query().is_some_and(|q| q.count_pending.is_some())
            || self.lists.pending.is_some()
            || self.users_pending.is_some()
            || self.undo_pending.is_some()
            || self.contacts.pending.is_some()
            || self.activity.pending.is_some()
            || self.reports.pending.is_some()
            || self.detail.pending.is_some()
            || matches!(&self.dialog, Some(Dialog::Unenroll(d)) if d.preview == super::dialog::Preview::Loading)
            || matches!(&self.dialog, Some(Dialog::Manage(d)) if d.preview == super::manage::PreviewState::Loading)
            || matches!(&self.dialog, Some(Dialog::Enroll(p)) if p.preview == super::dialog::EnrollPreviewState::Loading)
    }

    // ---------------------------------------------------------- enrollments

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
    pub fn query_list(&mut self, which: Which, keep: Keep) {
        let generation = self.next_generation();
        let Some(e) = self.list_mut(which) else {
            return;
        };
        e.pending = Some(Pending { generation, keep });
        // A new filter in the All view: its first rows first (see
        // `Job::FilterPage`), on the same reader, just before its ids.
        let first = match (&e.source, keep) {
            (Source::Query(q), Keep::Top) => Some(Job::FilterPage {
                generation,
                filter: Box::new(q.current().clone()),
                limit: FIRST_PAGE,
            }),
            _ => None,
        };
        let job = e.ids_job(generation);
        if let Some(first) = first {
            self.run(first);
        }
        self.run(job);
    }

    /// The first rows of a new filter in the All view, while its ids are
    /// still on the way (`Job::FilterPage`): shown at the top, marks kept.
    pub fn apply_first_page(&mut self, rows: Vec<EnrollmentRow>) {
        let Some(e) = self.all.as_mut() else {
            return;
        };
        e.ids = rows.iter().map(|r| r.id).collect();
        e.loaded = 0..e.ids.len();
        e.rows = rows.into_iter().map(|r| (r.id, r)).collect();
        e.cursor = Cursor::default();
        e.provisional = true;
        if self.shown() == Some(Which::All) {
            self.ensure_window();
            super::screens::detail::sync(self);
        }
    }

    /// Replaces the list's ids, keeping marks and (when asked) the focus.
    pub fn apply_ids(&mut self, which: Which, ids: Vec<i64>, keep: Keep) {
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
        e.rows.clear();
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
        if self.shown() == Some(which) {
            self.ensure_window();
            super::screens::detail::sync(self);
        }
    }

    /// Loads full rows for the enrollment list on screen (and a screen
    /// either side, so that moving line by line rarely asks the store).
    /// A list not on screen loads its window when it comes back.
    pub fn ensure_window(&mut self) {
        let rows = self.list_rows();
        // The fields, not `shown_list_mut`, so that `ws` stays readable.
        let shown = match self.shown() {
            Some(Which::Sequence) => &mut self.enrollments,
            Some(Which::All) => &mut self.all,
            None => return,
        };
        let Some(e) = shown else {
            return;
        };
        let len = e.ids.len();
        e.cursor.follow(len, rows);
        let visible = e.cursor.visible(len, rows);
        if visible.is_empty() || (e.loaded.start <= visible.start && visible.end <= e.loaded.end) {
            return;
        }
        let from = visible.start.saturating_sub(rows);
        let to = (visible.end + rows).min(len);
        match self.ws.enrollments_by_ids(&e.ids[from..to]) {
            Ok(found) => {
                e.rows = found.into_iter().map(|r| (r.id, r)).collect();
                e.loaded = from..to;
            }
            Err(err) => {
                let text = err.to_string();
                self.say(Tone::Error, text);
            }
        }
    }

    /// Reloads the rows on screen in place (their status may have changed);
    /// the other enrollment list reloads its window when it comes back.
    pub fn reload_window(&mut self) {
        for which in [Which::Sequence, Which::All] {
            if let Some(e) = self.list_mut(which) {
                e.loaded = 0..0;
            }
        }
        self.ensure_window();
    }

    // ------------------------------------------------------ all enrollments

    /// The All enrollments view, made on its first visit: every sequence,
    /// active enrollments (the chips' default), read on the reader.
    pub fn open_all(&mut self) {
        if self.make_all() {
            let filter = Filter {
                statuses: vec![Status::Active],
                ..Filter::default()
            };
            self.apply_filter(filter, None, Keep::Top);
        }
    }

    /// Makes the All view's state if there is none yet (true then), and
    /// asks for the users completion offers.
    pub(crate) fn make_all(&mut self) -> bool {
        if self.users.is_empty() && self.users_pending.is_none() {
            self.request_users();
        }
        if self.all.is_some() {
            return false;
        }
        self.all = Some(EnrollmentsState::new(Source::Query(Box::default())));
        true
    }

    /// Shows `filter` in the All view: asks the reader for its ids (it
    /// resolves the names there). `typed` is the editor text it came from,
    /// so that a refusal can reopen the editor on it.
    pub fn apply_filter(&mut self, filter: Filter, typed: Option<String>, keep: Keep) {
        let Some(q) = self.all.as_mut().and_then(|e| e.query_source_mut()) else {
            return;
        };
        q.asked = Some(filter);
        q.asked_text = typed;
        self.query_list(Which::All, keep);
    }

    /// The All view's ids arrived: the asked filter is now the one shown.
    pub fn apply_filter_ids(&mut self, ids: Vec<i64>, keep: Keep) {
        if let Some(q) = self.all.as_mut().and_then(|e| e.query_source_mut()) {
            if let Some(f) = q.asked.take() {
                q.filter = f;
            }
            q.asked_text = None;
            q.count = None;
        }
        self.apply_ids(Which::All, ids, keep);
    }

    /// Asks the reader for the workspace's users.
    pub fn request_users(&mut self) {
        let generation = self.next_generation();
        self.users_pending = Some(generation);
        self.run(Job::Users { generation });
    }

    /// Asks the reader for this user's last undoable batch; until it
    /// answers `U` has none to offer.
    pub fn request_undoable(&mut self) {
        let generation = self.next_generation();
        self.undoable = None;
        self.undo_pending = Some(generation);
        self.run(Job::LastUndoable { generation });
    }

    /// The users arrived: the owners a transfer offers, the emails the
    /// query editor completes.
    pub fn apply_users(&mut self, team: Vec<User>) {
        self.users = team.iter().map(|u| u.email.clone()).collect();
        self.team = team;
        self.refresh_completion();
    }

    /// The workspace refused the asked filter (an unknown sequence or
    /// user): the filter shown stays; a typed query opens again with the
    /// sentence under it.
    pub fn refuse_filter(&mut self, why: JobError) {
        let known = known(&self.sequences.list, &self.users);
        let Some(e) = self.all.as_mut() else {
            return;
        };
        e.mark_all_when_loaded = false;
        let typed = e.query_source_mut().and_then(|q| {
            q.asked = None;
            q.asked_text.take().map(|text| (q, text))
        });
        match typed {
            Some((q, text)) => {
                let mut editor = QueryEditor {
                    text,
                    ..QueryEditor::default()
                };
                editor.refresh(&known);
                editor.error = Some(why.to_string());
                q.editor = Some(editor);
            }
            None => self.fail(&why),
        }
    }

    /// Asks the reader how many enrollments the All view's filter matches
    /// now (after a change of ours: the rows stay, the count moves).
    pub fn count_filter(&mut self) {
        let generation = self.next_generation();
        let Some(q) = self.all.as_mut().and_then(|e| e.query_source_mut()) else {
            return;
        };
        q.count_pending = Some(generation);
        let filter = Box::new(q.filter.clone());
        self.run(Job::FilterCount { generation, filter });
    }

    /// The editor's candidates again, when the names they come from changed.
    pub fn refresh_completion(&mut self) {
        let known = known(&self.sequences.list, &self.users);
        if let Some(editor) = self
            .all
            .as_mut()
            .and_then(|e| e.query_source_mut())
            .and_then(|q| q.editor.as_mut())
        {
            let selected = editor.selected;
            editor.refresh(&known);
            editor.choose(selected as isize);
        }
    }

    // ------------------------------------------------------------- contacts

    pub fn focused_contact(&self) -> Option<&Contact> {
        self.contacts.results.get(self.contacts.cursor.selected)
    }

    // --------------------------------------------------------------- export

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
        let name = export_file_name(label, self.ws.now());
        Some((ids, export_dir().join(name)))
    }

    // --------------------------------------------------------------- detail

    /// The contact the detail pane is about on this screen.
    pub fn focused_contact_id(&self) -> Option<i64> {
        match self.screen() {
            Screen::Enrollments | Screen::All => self
                .shown_list()
                .and_then(|e| e.focused_row())
                .map(|r| r.contact_id),
            Screen::Contacts => self.focused_contact().map(|c| c.id),
            _ => None,
        }
    }

    // -------------------------------------------------------------- refresh

    /// Rows on screen that another process ended by itself (a reply, a
    /// meeting, a bounce, an opt-out: no person's name on the end) change
    /// in place, and one line says so — before the list is asked again, so
    /// the notice comes even when the chip then hides those rows.
    fn notice_automatic_ends(&mut self) {
        let mut ended: Vec<String> = Vec::new();
        let mut seen: std::collections::HashSet<i64> = std::collections::HashSet::new();
        for which in [Which::Sequence, Which::All] {
            let Some(e) = self.list(which) else {
                continue;
            };
            let ids: Vec<i64> = e.rows.keys().copied().collect();
            if ids.is_empty() {
                continue;
            }
            let Ok(fresh) = self.ws.enrollments_by_ids(&ids) else {
                continue;
            };
            ended.extend(
                fresh
                    .iter()
                    .filter(|now| {
                        now.status == Status::Unenrolled
                            && now.ended_by.is_none()
                            && e.rows.get(&now.id).is_some_and(|was| was.status.is_open())
                            && seen.insert(now.id)
                    })
                    .map(|now| match now.end_reason {
                        Some(reason) => format!("{} ({})", now.contact_name, reason.label()),
                        None => now.contact_name.clone(),
                    }),
            );
            if let Some(e) = self.list_mut(which) {
                for row in fresh {
                    e.rows.insert(row.id, row);
                }
            }
        }
        if ended.is_empty() {
            return;
        }
        ended.sort();
        let more = ended.len().saturating_sub(3);
        ended.truncate(3);
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        self.say(
            Tone::Info,
            format!("Ended automatically: {}{tail}", ended.join(", ")),
        );
    }

    /// Reads everything on screen again, keeping cursors and marks: another
    /// process (the engine, the CLI, a colleague) changed the store.
    pub fn refresh_all(&mut self) {
        self.notice_automatic_ends();
        super::screens::sequences::request(self);
        self.request_users();
        self.request_undoable();
        for which in [Which::Sequence, Which::All] {
            if let Some(e) = self.list(which) {
                let focus = e.focused_id();
                self.query_list(which, Keep::Focus(focus));
            }
        }
        // Counts over every saved list: only while they are on screen.
        if self.view == View::Lists {
            super::screens::lists::request(self);
        }
        if self.activity.loaded {
            super::screens::activity::request(self);
        }
        // The reports are aggregates over the whole store (seconds on a
        // million contacts): read again only while they are on screen.
        if self.view == View::Reports {
            super::screens::reports::request(self);
        }
        if self.contacts.searched.is_some() {
            let focus = self.focused_contact().map(|c| c.id);
            super::screens::contacts::search(self, Keep::Focus(focus));
        }
        super::screens::detail::reload(self);
    }
}
