//! The application state, and the reads that fill it. Every read goes
//! through `crate::domain::Workspace`; long ones are handed out as jobs
//! (see `jobs.rs`). Lists hold ids and a cursor as numbers and load full
//! rows only for the window on screen.

use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::time::Instant;

use super::action::{Effect, Job, JobError, JobOutcome};
use super::dialogs::Dialog;
use super::jobs::{Jobs, Message};
use super::keymap::{Keymap, Scope};
use super::query::{Known, QueryEditor};
use super::screens::activity::ActivityState;
pub use super::screens::activity::{Mine, Notices};
use super::screens::contacts::ContactsState;
use super::screens::detail::DetailState;
pub use super::screens::enrollments::query::QuerySource;
pub use super::screens::enrollments::{Chip, EnrollmentsState, Keep, Pending, Source};
use super::screens::lists::ListsState;
use super::screens::reports::ReportsState;
use super::screens::sequences::SequencesState;
use super::screens::steps::StepsState;
use super::screens::tasks::TasksState;
use super::theme::Theme;
use super::view;
use crate::domain::{
    Clock, Contact, DomainError, EnrollmentRow, Rules, SequenceSummary, Status, Timestamp,
    UndoCandidate, User, Workspace, WorkspaceInfo,
};

mod place;
mod refresh;

/// How many contacts the Contacts view lists for one search.
pub const CONTACT_LIMIT: usize = 500;
/// How many audit entries the Activity view lists.
pub const AUDIT_LIMIT: usize = 1000;
/// How many automatic ends one look names at most (the rest are counted
/// on the next look).
pub const NOTICE_LIMIT: usize = 200;
/// Page cache of the reader's connection and of each writer's, in MiB
/// (SQLite's default here is 64 each; the UI keeps under 150 MB in all).
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

/// Where the person is: a top-level view (a tab, switched with 1–7), or,
/// stacked on the Sequences tab, a sequence's enrollments and over those
/// its steps. The app keeps the tab (`App::tab`); `App::screen` says
/// what is on top. An enrollment list is named by the screen that shows
/// it (`Enrollments` or `All`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Screen {
    Sequences,
    /// The enrollments of the sequence opened from the Sequences tab.
    Enrollments,
    Contacts,
    Activity,
    Reports,
    /// The All enrollments view.
    All,
    Lists,
    Tasks,
    /// The steps and settings of the sequence whose enrollments are open.
    Steps,
}

impl Screen {
    /// The tabs, in the header's order (keys 1–7).
    pub const TABS: [Screen; 7] = [
        Screen::Sequences,
        Screen::Contacts,
        Screen::Activity,
        Screen::Reports,
        Screen::All,
        Screen::Lists,
        Screen::Tasks,
    ];

    /// The two enrollment lists, each named by the screen showing it.
    pub const LISTS: [Screen; 2] = [Screen::Enrollments, Screen::All];

    /// One of the two enrollment lists (a sequence's, or All enrollments):
    /// marking, the actions on marked rows and the detail pane work here.
    pub fn lists_enrollments(self) -> bool {
        matches!(self, Screen::Enrollments | Screen::All)
    }

    /// The tab a screen is stacked on.
    pub fn tab(self) -> Screen {
        match self {
            Screen::Enrollments | Screen::Steps => Screen::Sequences,
            other => other,
        }
    }

    pub fn title(self) -> &'static str {
        match self.tab() {
            Screen::Contacts => "Contacts",
            Screen::Activity => "Activity",
            Screen::Reports => "Reports",
            Screen::All => "All enrollments",
            Screen::Lists => "Lists",
            Screen::Tasks => "Tasks",
            _ => "Sequences",
        }
    }

    /// The name in a header with less room.
    pub fn short(self) -> &'static str {
        match self {
            Screen::All => "All",
            other => other.title(),
        }
    }
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
/// (the one place this is decided; docs/tui.md "Exporting enrollments").
pub fn export_dir() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
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
    /// Ticks since it was said: it leaves the status line after
    /// [`NOTE_TICKS`] (errors after twice as many); `M` still shows it.
    pub ticks: u32,
    /// The batch the change it reports wrote, when `U` would undo it: the
    /// status line then offers the undo.
    pub batch: Option<String>,
}

/// How long a status message stays, in ticks of the event loop (250 ms
/// each: 8 s).
pub const NOTE_TICKS: u32 = 32;
/// How many status messages `M` keeps.
pub const MESSAGES_KEPT: usize = 50;

/// A write running on a worker: the status line shows it with a spinner.
#[derive(Debug, Clone)]
pub struct Running {
    pub label: String,
    pub started: Instant,
    /// The enrollment list it was started from: its marks clear when done.
    pub list: Option<Screen>,
}

pub struct App {
    /// The clock and the team's rules the workspace was opened with (the
    /// UI thread holds no connection: every read is a job).
    pub clock: Clock,
    pub rules: Rules,
    pub info: WorkspaceInfo,
    pub user: User,
    pub keymap: Keymap,
    pub theme: Theme,
    pub width: u16,
    pub height: u16,
    /// The tab on show (never `Enrollments` or `Steps`: those stack on
    /// the Sequences tab).
    pub tab: Screen,
    pub sequences: SequencesState,
    /// The sequence opened from the Sequences view, if any.
    pub enrollments: Option<EnrollmentsState>,
    /// The steps screen of that sequence, while it is open.
    pub steps: Option<StepsState>,
    /// A file the runner is to open in `$EDITOR` (the steps screen's `E`).
    pub edit: Option<PathBuf>,
    /// The All enrollments view, once it has been opened.
    pub all: Option<EnrollmentsState>,
    pub lists: ListsState,
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
    /// The window of full rows asked of the reader for an enrollment list:
    /// its generation, the list and which positions. Only the newest is
    /// wanted.
    pub window: Option<(u64, Screen, std::ops::Range<usize>)>,
    /// The rows on screen asked again after another process's change.
    pub fresh_pending: Option<u64>,
    pub contacts: ContactsState,
    pub activity: ActivityState,
    /// The Tasks view: the acting user's open tasks (R18).
    pub tasks: TasksState,
    /// The "mine" filters (`m`) of the Sequences and Activity views.
    pub mine: Mine,
    /// Automatic ends of the user's enrollments, announced wherever the
    /// user is and counted on the Activity tab until it is opened.
    pub notices: Notices,
    pub reports: ReportsState,
    pub detail: DetailState,
    pub dialog: Option<Box<dyn Dialog>>,
    /// The help overlay, with its scroll position.
    pub help: Option<u16>,
    /// The overlay shows the last messages (`M`) rather than the keys.
    pub help_messages: bool,
    pub note: Option<Note>,
    /// The last status messages, oldest first, for `M`.
    pub messages: std::collections::VecDeque<Note>,
    pub running: Option<Running>,
    /// The store's change counter as the reader last saw it (`None` until
    /// its first answer), and the look in flight (see `update::tick`).
    pub data_version: Option<i64>,
    pub changes_pending: Option<u64>,
    pub quit: bool,
    pub(crate) generation: u64,
    pub(crate) effects: Vec<Effect>,
    pub(crate) jobs: Jobs,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("tab", &self.tab)
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
        // What the first frame needs is read before it, on the workers'
        // side; the connection goes on to the reader.
        let (jobs, start) = Jobs::start(ws, user, results)?;
        let mut app = App {
            clock: start.clock,
            rules: start.rules,
            info: start.info,
            user: start.user,
            keymap,
            theme,
            width: size.0,
            height: size.1,
            tab: Screen::Sequences,
            sequences: SequencesState::default(),
            enrollments: None,
            steps: None,
            edit: None,
            all: None,
            lists: ListsState::default(),
            team: Vec::new(),
            users: Vec::new(),
            users_pending: None,
            undoable: None,
            undo_pending: None,
            window: None,
            fresh_pending: None,
            contacts: ContactsState::default(),
            activity: ActivityState::default(),
            tasks: TasksState::default(),
            mine: Mine::default(),
            notices: Notices::default(),
            reports: ReportsState::default(),
            detail: DetailState::default(),
            dialog: None,
            help: None,
            help_messages: false,
            note: None,
            messages: std::collections::VecDeque::new(),
            running: None,
            data_version: None,
            changes_pending: None,
            quit: false,
            generation: 0,
            effects: Vec::new(),
            jobs,
        };
        // The change counter's starting point, asked first so that every
        // read after it is at least as new.
        app.look_for_changes(true);
        // The first frame does not wait for the sequence counts: they are
        // aggregates over the whole store and come from the reader.
        super::screens::sequences::request(&mut app);
        app.request_users();
        app.request_undoable();
        super::screens::activity::watch_ends(&mut app);
        for effect in std::mem::take(&mut app.effects) {
            if let Effect::Run(job) = effect {
                app.jobs.submit(job);
            }
        }
        Ok(app)
    }

    /// Minutes left (rounded up) to undo this user's last batch (R15), if
    /// there is one still inside the rules' window.
    pub fn undo_minutes_left(&self) -> Option<i64> {
        let c = self.undoable.as_ref()?;
        let window = chrono::Duration::minutes(self.rules.undo_window_minutes);
        let left = (c.at + window - self.now()).num_seconds();
        (left > 0).then(|| (left + 59) / 60)
    }

    /// Now, by the workspace's clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The status line's message grows one tick older, and goes when it is
    /// old enough (it stays in `messages`).
    pub fn age_note(&mut self) {
        if let Some(note) = &mut self.note {
            note.ticks += 1;
            let limit = match note.tone {
                Tone::Error => NOTE_TICKS * 2,
                _ => NOTE_TICKS,
            };
            if note.ticks >= limit {
                self.note = None;
            }
        }
    }

    /// The message on the status line reports a change that wrote `batch`.
    pub fn note_batch(&mut self, batch: Option<String>) {
        if let Some(note) = &mut self.note {
            note.batch = batch;
        }
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

    /// True (and said in the status line) while a change is still being
    /// written: another one waits for it.
    pub fn still_writing(&mut self) -> bool {
        if self.running.is_some() {
            self.say(
                Tone::Error,
                "A change is still being written; wait for it to finish.",
            );
        }
        self.running.is_some()
    }

    pub fn say(&mut self, tone: Tone, text: impl Into<String>) {
        let note = Note {
            text: text.into(),
            tone,
            ticks: 0,
            batch: None,
        };
        if self.messages.len() >= MESSAGES_KEPT {
            self.messages.pop_front();
        }
        self.messages.push_back(note.clone());
        self.note = Some(note);
    }

    pub(crate) fn run(&mut self, job: impl Into<Job>) {
        self.effects.push(Effect::Run(job.into()));
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
            || self.window.is_some()
            || self.fresh_pending.is_some()
            || self.changes_pending.is_some()
            || self.contacts.pending.is_some()
            || self.activity.pending.is_some()
            || self.tasks.pending.is_some()
            || self.notices.pending.is_some()
            || self.reports.pending.is_some()
            || self.detail.pending.is_some()
            || self.steps.as_ref().is_some_and(|s| s.pending.is_some())
            || self.dialog.as_ref().is_some_and(|d| d.loading())
    }
}
