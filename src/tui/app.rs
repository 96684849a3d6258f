//! The application state, and the reads that fill it. Every read goes
//! through `crate::domain::Workspace`; long ones are handed out as jobs
//! (see `jobs.rs`). Lists hold ids and a cursor as numbers and load full
//! rows only for the window on screen.

use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::time::Instant;

use super::action::{Effect, Job};
use super::dialog::Dialog;
use super::jobs::{Jobs, Message};
use super::keymap::{Keymap, Scope};
use super::list::{Cursor, Marks};
use super::theme::Theme;
use super::view;
use crate::domain::{
    AuditEntry, Contact, ContactDetail, DomainError, EnrollmentQuery, EnrollmentRow,
    SequenceReport, SequenceSummary, Status, User, Workspace, WorkspaceInfo, export_file_name,
};

/// How many contacts the Contacts view lists for one search.
pub const CONTACT_LIMIT: usize = 500;
/// How many audit entries the Activity view lists.
pub const AUDIT_LIMIT: usize = 1000;
/// Page cache of the UI thread's connection and of the reader's, in MiB
/// (SQLite's default here is 64 each; the UI keeps under 150 MB in all).
pub const SCREEN_CACHE_MIB: u32 = 16;
pub const READER_CACHE_MIB: u32 = 32;
pub const WRITER_CACHE_MIB: u32 = 16;
/// From this width the detail pane sits beside the list.
pub const WIDE: u16 = 120;
/// Below this size the app says it needs more room.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;

/// The top-level views, switched with 1–4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Sequences,
    Contacts,
    Activity,
    Reports,
}

impl View {
    pub const ALL: [View; 4] = [
        View::Sequences,
        View::Contacts,
        View::Activity,
        View::Reports,
    ];

    pub fn title(self) -> &'static str {
        match self {
            View::Sequences => "Sequences",
            View::Contacts => "Contacts",
            View::Activity => "Activity",
            View::Reports => "Reports",
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
}

/// Where `x` writes its CSV files: the directory seqtui was started in
/// (the one place this is decided; README "Exporting enrollments").
pub fn export_dir() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}

/// The status filter chips of an enrollment list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chip {
    Active,
    Paused,
    Finished,
    Unenrolled,
    All,
}

impl Chip {
    pub const ALL: [Chip; 5] = [
        Chip::Active,
        Chip::Paused,
        Chip::Finished,
        Chip::Unenrolled,
        Chip::All,
    ];

    pub fn label(self) -> &'static str {
        match self {
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
}

#[derive(Debug, Default)]
pub struct SequencesState {
    pub list: Vec<SequenceSummary>,
    pub cursor: Cursor,
    /// The list has been read at least once.
    pub loaded: bool,
    /// A read in flight on the reader.
    pub pending: Option<u64>,
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

/// The enrollments of one sequence.
#[derive(Debug)]
pub struct EnrollmentsState {
    pub sequence: SequenceSummary,
    pub chip: Chip,
    /// Only stale enrollments (R11), on top of the chip and the search.
    pub stale: bool,
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
}

impl EnrollmentsState {
    pub fn query(&self) -> EnrollmentQuery {
        EnrollmentQuery {
            sequences: vec![self.sequence.id],
            statuses: self.chip.statuses(),
            search: self.search.trim().to_string(),
            stale: self.stale,
            ..Default::default()
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

#[derive(Debug, Default)]
pub struct ContactsState {
    pub query: String,
    pub editing: bool,
    pub results: Vec<Contact>,
    /// The text the results are for (None before the first search).
    pub searched: Option<String>,
    /// The results are close matches (letters in order), none exact.
    pub close: bool,
    pub cursor: Cursor,
    pub pending: Option<Pending>,
}

/// The Reports view: one report per sequence; the focused one's charts.
#[derive(Debug, Default)]
pub struct ReportsState {
    pub list: Vec<SequenceReport>,
    pub cursor: Cursor,
    pub loaded: bool,
    pub pending: Option<u64>,
}

impl ReportsState {
    pub fn focused(&self) -> Option<&SequenceReport> {
        self.list.get(self.cursor.selected)
    }
}

#[derive(Debug, Default)]
pub struct ActivityState {
    pub entries: Vec<AuditEntry>,
    pub cursor: Cursor,
    pub loaded: bool,
    pub pending: Option<u64>,
}

/// The contact detail pane: beside the list when the terminal is wide,
/// full screen when `open`.
#[derive(Debug, Default)]
pub struct DetailState {
    pub contact_id: Option<i64>,
    pub data: Option<ContactDetail>,
    pub error: Option<String>,
    pub open: bool,
    pub scroll: u16,
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
        app.request_sequences();
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
        }
    }

    pub fn wide(&self) -> bool {
        self.width >= WIDE
    }

    pub fn too_small(&self) -> bool {
        self.width < MIN_WIDTH || self.height < MIN_HEIGHT
    }

    /// Whether the detail pane is on screen (beside the list or full).
    pub fn detail_shown(&self) -> bool {
        matches!(self.screen(), Screen::Enrollments | Screen::Contacts)
            && (self.detail.open || self.wide())
    }

    /// A text field has the focus: printable keys type into it.
    pub fn typing(&self) -> bool {
        if self.help.is_some() {
            return false;
        }
        match &self.dialog {
            Some(Dialog::Unenroll(d)) => d.typing(),
            Some(Dialog::Enroll(_)) | Some(Dialog::Manage(_)) => false,
            None if self.detail.open => false,
            None => match self.screen() {
                Screen::Enrollments => self.enrollments.as_ref().is_some_and(|e| e.editing),
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
        if self.detail.open && matches!(self.screen(), Screen::Enrollments | Screen::Contacts) {
            return vec![Scope::Global, Scope::Detail];
        }
        let own = match self.screen() {
            Screen::Sequences => Scope::Sequences,
            Screen::Enrollments => Scope::Enrollments,
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
            || self.contacts.pending.is_some()
            || self.activity.pending.is_some()
            || self.reports.pending.is_some()
            || matches!(&self.dialog, Some(Dialog::Unenroll(d)) if d.preview == super::dialog::Preview::Loading)
            || matches!(&self.dialog, Some(Dialog::Manage(d)) if d.preview == super::manage::PreviewState::Loading)
    }

    // ------------------------------------------------------------ sequences

    /// Asks the reader for the sequence list (counts and rates).
    pub fn request_sequences(&mut self) {
        let generation = self.next_generation();
        self.sequences.pending = Some(generation);
        self.run(Job::Sequences { generation });
    }

    /// The sequence list arrived: keep the focus on the same sequence and
    /// update the counts of the open one.
    pub fn apply_sequences(&mut self, list: Vec<SequenceSummary>) {
        let focused = self
            .sequences
            .list
            .get(self.sequences.cursor.selected)
            .map(|s| s.id);
        self.sequences.list = list;
        self.sequences.loaded = true;
        if let Some(at) = focused.and_then(|id| self.sequences.list.iter().position(|s| s.id == id))
        {
            self.sequences.cursor.selected = at;
        }
        let (len, rows) = (self.sequences.list.len(), self.list_rows());
        self.sequences.cursor.follow(len, rows);
        if let Some(e) = &mut self.enrollments
            && let Some(s) = self.sequences.list.iter().find(|s| s.id == e.sequence.id)
        {
            e.sequence = s.clone();
        }
    }

    pub fn open_sequence(&mut self, index: usize) {
        let Some(sequence) = self.sequences.list.get(index).cloned() else {
            return;
        };
        self.enrollments = Some(EnrollmentsState {
            sequence,
            chip: Chip::Active,
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
        });
        self.detail.open = false;
        self.query_enrollments(Keep::Top);
    }

    // ---------------------------------------------------------- enrollments

    /// Asks the reader for the ids of the enrollment list: an index walk
    /// of up to a few hundred thousand rows, or a scan with a text filter —
    /// either way off the UI thread. The newest request wins.
    pub fn query_enrollments(&mut self, keep: Keep) {
        let Some(e) = &self.enrollments else {
            return;
        };
        let query = e.query();
        let generation = self.next_generation();
        if let Some(e) = &mut self.enrollments {
            e.pending = Some(Pending { generation, keep });
        }
        self.run(Job::EnrollmentIds {
            generation,
            query: Box::new(query),
        });
    }

    /// Replaces the list's ids, keeping marks and (when asked) the focus.
    pub fn apply_ids(&mut self, ids: Vec<i64>, keep: Keep) {
        let rows = self.list_rows();
        let Some(e) = &mut self.enrollments else {
            return;
        };
        let found = match keep {
            Keep::Focus(Some(id)) => ids.iter().position(|&x| x == id),
            _ => None,
        };
        e.ids = ids;
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
        self.ensure_window();
        self.sync_detail();
    }

    /// Loads full rows for the screen (and a screen either side, so that
    /// moving line by line rarely asks the store).
    pub fn ensure_window(&mut self) {
        let rows = self.list_rows();
        let Some(e) = &mut self.enrollments else {
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

    /// Reloads the rows on screen in place (their status may have changed).
    pub fn reload_window(&mut self) {
        if let Some(e) = &mut self.enrollments {
            e.loaded = 0..0;
        }
        self.ensure_window();
    }

    // ------------------------------------------------------------- contacts

    pub fn search_contacts(&mut self, keep: Keep) {
        let generation = self.next_generation();
        self.contacts.pending = Some(Pending { generation, keep });
        let text = self.contacts.query.trim().to_string();
        self.run(Job::SearchContacts { generation, text });
    }

    pub fn focused_contact(&self) -> Option<&Contact> {
        self.contacts.results.get(self.contacts.cursor.selected)
    }

    // ------------------------------------------------------------- activity

    /// Asks the reader for the newest audit entries.
    pub fn request_activity(&mut self) {
        let generation = self.next_generation();
        self.activity.pending = Some(generation);
        self.run(Job::Audit { generation });
    }

    /// The audit entries arrived: keep the focus on the same entry.
    pub fn apply_activity(&mut self, entries: Vec<AuditEntry>) {
        let focused = self
            .activity
            .entries
            .get(self.activity.cursor.selected)
            .map(|a| a.id);
        self.activity.entries = entries;
        self.activity.loaded = true;
        let rows = self.list_rows();
        let len = self.activity.entries.len();
        match focused.and_then(|id| self.activity.entries.iter().position(|a| a.id == id)) {
            Some(at) => self.activity.cursor.keep_at(at, len, rows),
            None => self.activity.cursor.follow(len, rows),
        }
    }

    // -------------------------------------------------------------- reports

    /// Asks the reader for every sequence's report.
    pub fn request_reports(&mut self) {
        let generation = self.next_generation();
        self.reports.pending = Some(generation);
        self.run(Job::Report { generation });
    }

    /// The reports arrived: keep the focus on the same sequence.
    pub fn apply_reports(&mut self, list: Vec<SequenceReport>) {
        let focused = self.reports.focused().map(|r| r.sequence_id);
        self.reports.list = list;
        self.reports.loaded = true;
        let rows = self.list_rows();
        let len = self.reports.list.len();
        match focused.and_then(|id| self.reports.list.iter().position(|r| r.sequence_id == id)) {
            Some(at) => self.reports.cursor.keep_at(at, len, rows),
            None => self.reports.cursor.follow(len, rows),
        }
    }

    // --------------------------------------------------------------- export

    /// What `x` exports from the enrollment list: the marked rows (and a
    /// range being drawn) in list order, else every row the filter
    /// matches; and the file it goes to. None when there is nothing.
    pub fn export_request(&self) -> Option<(Vec<i64>, PathBuf)> {
        let e = self.enrollments.as_ref()?;
        let ids = if e.marked_count() > 0 {
            e.marks.targets(&e.ids, e.cursor.selected).0
        } else {
            e.ids.clone()
        };
        if ids.is_empty() {
            return None;
        }
        let name = export_file_name(&e.sequence.name, self.ws.now());
        Some((ids, export_dir().join(name)))
    }

    // --------------------------------------------------------------- detail

    /// The contact the detail pane is about on this screen.
    pub fn focused_contact_id(&self) -> Option<i64> {
        match self.screen() {
            Screen::Enrollments => self
                .enrollments
                .as_ref()
                .and_then(|e| e.focused_row())
                .map(|r| r.contact_id),
            Screen::Contacts => self.focused_contact().map(|c| c.id),
            _ => None,
        }
    }

    /// Loads the detail of the focused contact when it changed and the
    /// pane is on screen.
    pub fn sync_detail(&mut self) {
        let want = if self.detail_shown() {
            self.focused_contact_id()
        } else {
            None
        };
        if want != self.detail.contact_id {
            self.detail.contact_id = want;
            self.detail.scroll = 0;
            self.reload_detail();
        }
    }

    pub fn reload_detail(&mut self) {
        self.detail.data = None;
        self.detail.error = None;
        if let Some(id) = self.detail.contact_id {
            match self.ws.contact_detail(id) {
                Ok(d) => self.detail.data = Some(d),
                Err(e) => self.detail.error = Some(e.to_string()),
            }
        }
    }

    // -------------------------------------------------------------- refresh

    /// Rows on screen that another process ended by itself (a reply, a
    /// meeting, a bounce, an opt-out: no person's name on the end) change
    /// in place, and one line says so — before the list is asked again, so
    /// the notice comes even when the chip then hides those rows.
    fn notice_automatic_ends(&mut self) {
        let Some(e) = &self.enrollments else {
            return;
        };
        let ids: Vec<i64> = e.rows.keys().copied().collect();
        if ids.is_empty() {
            return;
        }
        let Ok(fresh) = self.ws.enrollments_by_ids(&ids) else {
            return;
        };
        let mut ended: Vec<String> = fresh
            .iter()
            .filter(|now| {
                now.status == Status::Unenrolled
                    && now.ended_by.is_none()
                    && e.rows.get(&now.id).is_some_and(|was| was.status.is_open())
            })
            .map(|now| match now.end_reason {
                Some(reason) => format!("{} ({})", now.contact_name, reason.label()),
                None => now.contact_name.clone(),
            })
            .collect();
        if let Some(e) = &mut self.enrollments {
            for row in fresh {
                e.rows.insert(row.id, row);
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
        self.request_sequences();
        if self.enrollments.is_some() {
            let focus = self.enrollments.as_ref().and_then(|e| e.focused_id());
            self.query_enrollments(Keep::Focus(focus));
        }
        if self.activity.loaded {
            self.request_activity();
        }
        // The reports are aggregates over the whole store (seconds on a
        // million contacts): read again only while they are on screen.
        if self.view == View::Reports {
            self.request_reports();
        }
        if self.contacts.searched.is_some() {
            let focus = self.focused_contact().map(|c| c.id);
            self.search_contacts(Keep::Focus(focus));
        }
        self.reload_detail();
    }
}
