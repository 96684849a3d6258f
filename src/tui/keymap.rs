//! The keymap: one table that says, for every command, its keys, where it
//! works (scope), its short hint and its help line. The same table turns
//! key presses into actions, draws the hint bar and writes the `?` overlay,
//! so the three can never disagree. A `keymap.toml` file may rebind keys.
//!
//! # `keymap.toml`
//!
//! The file lives in the platform config directory
//! (`~/.config/seqtui/keymap.toml` on Linux,
//! `~/Library/Application Support/seqtui/keymap.toml` on macOS,
//! `%APPDATA%\seqtui\config\keymap.toml` on Windows). Every line is
//! optional and names a command and the keys that run it — one key as a
//! string, or several as an array. The keys listed replace that command's
//! default keys; commands not listed keep theirs.
//!
//! ```toml
//! # vim-style people are served by the defaults; this moves unenroll to d
//! unenroll = "d"
//! down = ["j", "down", "ctrl-n"]
//! up = ["k", "up", "ctrl-p"]
//! mark_all = "ctrl-a"
//! ```
//!
//! Keys: a single character (`"j"`, `"G"`, `"/"`, `"?"`); a name — `space`,
//! `enter`, `esc`, `tab`, `backtab`, `backspace`, `delete`, `insert`, `up`,
//! `down`, `left`, `right`, `home`, `end`, `pageup`, `pagedown`, `f1`…`f12`;
//! optionally prefixed by `ctrl-` and/or `alt-` (`"ctrl-a"`, `"alt-j"`).
//! `shift-tab` is `backtab`; an upper-case letter is that letter with shift.
//!
//! Commands (default keys in brackets): `quit` [q], `help` [?],
//! `view_sequences` [1], `view_contacts` [2], `view_activity` [3],
//! `view_reports` [4], `view_all` [5], `view_lists` [6], `view_tasks` [7],
//! `refresh` [ctrl-r],
//! `up` [k, up], `down` [j, down], `page_up` [pageup,
//! ctrl-b], `page_down` [pagedown, ctrl-f], `half_page_up` [ctrl-u],
//! `half_page_down` [ctrl-d], `top` [g, home], `bottom`
//! [G, end], `open` [enter, right, l], `back` [left, h, backspace], `detail`
//! [tab], `toggle_mark` [space], `range` [v], `mark_all` [ctrl-a],
//! `escape` [esc], `filter` [/], `next_status` [s], `prev_status` [S],
//! `toggle_stale` [t], `unenroll` [u], `enroll` [e], `pause_resume` [p], `transfer` [o],
//! `steps` [i], `edit_sequence` [E, on the steps screen],
//! `undo` [U], `messages` [M], `suspend` [ctrl-z], `export` [x],
//! `save_list` [L], `delete_list` [d], `complete` [tab, in the query
//! editor], in the Tasks view `task_done` [d], `task_skip` [s],
//! `task_snooze` [z], in Sequences and Activity `toggle_mine` [m], and in
//! dialogs `confirm` [y],
//! `cancel` [n, esc], `press` [enter], `next_field` [tab, right],
//! `prev_field` [backtab, left].
//!
//! Ctrl-C always quits and cannot be rebound. A key may not run two
//! commands in the same place; a file that tries, names an unknown command
//! or spells a key wrongly stops seqtui before it starts, with one sentence
//! naming the line.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{Action, Command};

/// A key with only the modifiers that matter (ctrl, alt): shift is part of
/// the character itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            mods: KeyModifiers::NONE,
        }
    }

    pub const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            mods: KeyModifiers::CONTROL,
        }
    }

    pub fn from_event(event: &KeyEvent) -> Key {
        let mods = event.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code = match event.code {
            // Some terminals report ctrl-letters as upper case.
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            KeyCode::Tab if event.modifiers.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
            other => other,
        };
        Key { code, mods }
    }

    /// Parses the notation of `keymap.toml` ("ctrl-a", "G", "pagedown").
    pub fn parse(text: &str) -> Result<Key, String> {
        let mut rest = text;
        let mut mods = KeyModifiers::NONE;
        let mut shift = false;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.chars().count() > 1 && lower.starts_with("ctrl-") {
                mods |= KeyModifiers::CONTROL;
                rest = &rest[5..];
            } else if rest.chars().count() > 1 && lower.starts_with("alt-") {
                mods |= KeyModifiers::ALT;
                rest = &rest[4..];
            } else if rest.chars().count() > 1 && lower.starts_with("shift-") {
                shift = true;
                rest = &rest[6..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() => {
                if shift {
                    KeyCode::Char(c.to_uppercase().next().unwrap_or(c))
                } else if mods.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            _ => match rest.to_ascii_lowercase().as_str() {
                "space" => KeyCode::Char(' '),
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" if shift => KeyCode::BackTab,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "insert" | "ins" => KeyCode::Insert,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pageup" | "pgup" => KeyCode::PageUp,
                "pagedown" | "pgdn" => KeyCode::PageDown,
                name => match name.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                    Some(n) if (1..=12).contains(&n) => KeyCode::F(n),
                    _ => return Err(format!("'{text}' is not a key")),
                },
            },
        };
        Ok(Key { code, mods })
    }

    /// Short form for the hint bar: "^a", "space", "↑".
    pub fn short(&self) -> String {
        let mut out = String::new();
        if self.mods.contains(KeyModifiers::CONTROL) {
            out.push('^');
        }
        if self.mods.contains(KeyModifiers::ALT) {
            out.push_str("M-");
        }
        out.push_str(&match self.code {
            KeyCode::Char(' ') => "space".into(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "enter".into(),
            KeyCode::Esc => "esc".into(),
            KeyCode::Tab => "tab".into(),
            KeyCode::BackTab => "S-tab".into(),
            KeyCode::Backspace => "bksp".into(),
            KeyCode::Delete => "del".into(),
            KeyCode::Insert => "ins".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::Home => "home".into(),
            KeyCode::End => "end".into(),
            KeyCode::PageUp => "pgup".into(),
            KeyCode::PageDown => "pgdn".into(),
            KeyCode::F(n) => format!("F{n}"),
            _ => "?".into(),
        });
        out
    }
}

/// The long form, the notation `keymap.toml` uses: "ctrl-a", "pagedown".
impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("backtab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("delete"),
            KeyCode::Insert => f.write_str("insert"),
            KeyCode::Up => f.write_str("up"),
            KeyCode::Down => f.write_str("down"),
            KeyCode::Left => f.write_str("left"),
            KeyCode::Right => f.write_str("right"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pageup"),
            KeyCode::PageDown => f.write_str("pagedown"),
            KeyCode::F(n) => write!(f, "f{n}"),
            _ => f.write_str("?"),
        }
    }
}

/// Where a binding works. The app is in a few scopes at once (a list view
/// is `Global` + `List` + its own); dialogs and the help overlay are alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Global,
    List,
    Sequences,
    /// An enrollment list: one sequence's, or the All enrollments view.
    Enrollments,
    /// The All enrollments view only (with `Enrollments`).
    AllEnrollments,
    /// The Lists view (saved lists).
    Lists,
    /// The All enrollments view's query editor.
    Editor,
    Contacts,
    /// The Tasks view.
    Tasks,
    /// The Activity view.
    Activity,
    Detail,
    Dialog,
    Help,
    /// A sequence's steps and settings.
    Steps,
}

use Scope as S;

/// Every set of scopes the app is in at once (`App::scopes` returns one of
/// them): within a set, a key may run one command only.
pub const SCOPE_SETS: &[&[Scope]] = &[
    &[S::Help],
    &[S::Dialog],
    &[S::Global, S::Detail],
    &[S::Global, S::List, S::Sequences],
    &[S::Global, S::List, S::Enrollments],
    &[S::Global, S::List, S::Enrollments, S::AllEnrollments],
    &[S::Global, S::List, S::Editor],
    &[S::Global, S::List, S::Contacts],
    &[S::Global, S::List, S::Lists],
    &[S::Global, S::List, S::Tasks],
    &[S::Global, S::List, S::Activity],
    &[S::Global, S::List, S::Steps],
    &[S::Global, S::List],
];

/// The sections of the `?` overlay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    General,
    Moving,
    Marking,
    Filtering,
    Dialogs,
}

impl Group {
    pub const ALL: &'static [Group] = &[
        Group::General,
        Group::Moving,
        Group::Marking,
        Group::Filtering,
        Group::Dialogs,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Group::General => "General",
            Group::Moving => "Moving",
            Group::Marking => "Marking and actions",
            Group::Filtering => "Filtering",
            Group::Dialogs => "In a dialog",
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone)]
pub struct Binding {
    pub command: Command,
    pub keys: Vec<Key>,
    pub scopes: &'static [Scope],
    /// Short text for the hint bar; empty keeps it out of the bar.
    pub hint: &'static str,
    /// The line of the `?` overlay.
    pub help: &'static str,
    pub group: Group,
}

/// Rows of the `?` overlay: the command, its keys, its help line.
pub type HelpRows = Vec<(Command, String, &'static str)>;

impl Binding {
    fn help_row(&self) -> (Command, String, &'static str) {
        let keys: Vec<String> = self.keys.iter().map(Key::short).collect();
        (self.command, keys.join(" "), self.help)
    }
}

const LISTS: &[Scope] = &[S::List, S::Detail, S::Dialog, S::Help];
const MOVES: &[Scope] = &[S::List, S::Detail, S::Dialog, S::Help];
const ACTS: &[Scope] = &[S::Enrollments, S::Contacts, S::Detail];

/// The default table: (command, keys, scopes, hint, help, group). The order
/// is the hint bar's order of importance.
fn defaults() -> Vec<Binding> {
    use Command as C;
    use KeyCode as K;
    let k = Key::plain;
    let ch = |c: char| Key::plain(K::Char(c));
    let row = |command, keys: Vec<Key>, scopes, hint, help, group| Binding {
        command,
        keys,
        scopes,
        hint,
        help,
        group,
    };
    vec![
        row(
            C::ToggleMark,
            vec![ch(' ')],
            &[S::Enrollments, S::Contacts],
            "mark",
            "Mark or unmark the focused row and move down",
            Group::Marking,
        ),
        row(
            C::Range,
            vec![ch('v')],
            &[S::Enrollments],
            "range",
            "Start a range at the focused row; again (or space) marks it",
            Group::Marking,
        ),
        row(
            C::MarkAll,
            vec![Key::ctrl('a')],
            &[S::Enrollments],
            "all",
            "Mark every row the filter matches, also rows never scrolled to (again: unmark them)",
            Group::Marking,
        ),
        row(
            C::Unenroll,
            vec![ch('u')],
            ACTS,
            "unenroll",
            "Unenroll the marked rows, or the focused one when none is marked",
            Group::Marking,
        ),
        row(
            C::Enroll,
            vec![ch('e')],
            ACTS,
            "enroll",
            "Enroll the marked contacts (or the focused one) in a sequence: pick, see who would be refused, confirm",
            Group::Marking,
        ),
        row(
            C::Steps,
            vec![ch('i')],
            &[S::Enrollments],
            "",
            "A sequence's steps (waiting at each, templates filled for the focused contact) and settings",
            Group::General,
        ),
        row(
            C::EditSequence,
            vec![ch('E')],
            &[S::Steps],
            "edit",
            "On the steps screen: edit the sequence's file in $EDITOR, then confirm the diff",
            Group::General,
        ),
        row(
            C::PauseResume,
            vec![ch('p')],
            &[S::Enrollments],
            "pause",
            "Pause the marked rows (or the focused one); resume them when the focused row is paused",
            Group::Marking,
        ),
        row(
            C::Transfer,
            vec![ch('o')],
            &[S::Enrollments],
            "owner",
            "Give the contacts of the marked rows (or the focused one) a new owner: pick, preview, confirm",
            Group::Marking,
        ),
        row(
            C::Undo,
            vec![ch('U')],
            &[S::Global],
            "undo",
            "Undo your last unenroll, transfer or enroll batch (within the undo window)",
            Group::Marking,
        ),
        row(
            C::Filter,
            vec![ch('/')],
            &[S::Enrollments, S::Contacts],
            "filter",
            "Filter by name, email or company as you type (enter or esc leaves the box and keeps the filter; esc again clears it); in All enrollments, edit the query",
            Group::Filtering,
        ),
        row(
            C::NextStatus,
            vec![ch('s')],
            &[S::Enrollments],
            "status",
            "Next status chip: open (active and paused), active, paused, finished, unenrolled, all",
            Group::Filtering,
        ),
        row(
            C::Export,
            vec![ch('x')],
            &[S::Enrollments],
            "export",
            "Export marked rows, or the whole filtered list, to a CSV file",
            Group::Marking,
        ),
        row(
            C::SaveList,
            vec![ch('L')],
            &[S::AllEnrollments],
            "save list",
            "Save the query as a list the team shares (a list's own name replaces its query)",
            Group::Filtering,
        ),
        row(
            C::Complete,
            vec![k(K::Tab)],
            &[S::Editor],
            "",
            "In the query editor: complete the key or value being typed (↑↓ choose)",
            Group::Filtering,
        ),
        row(
            C::PrevStatus,
            vec![ch('S')],
            &[S::Enrollments],
            "",
            "Previous status chip",
            Group::Filtering,
        ),
        row(
            C::ToggleStale,
            vec![ch('t')],
            &[S::Enrollments],
            "stale",
            "Only stale enrollments: open, old and quiet (rules file); again: all",
            Group::Filtering,
        ),
        row(
            C::Open,
            vec![k(K::Enter), k(K::Right), ch('l')],
            &[
                S::Sequences,
                S::Enrollments,
                S::Contacts,
                S::Lists,
                S::Tasks,
                S::Steps,
            ],
            "open",
            "Open the focused sequence or saved list, or the focused contact's (or task's contact's) detail; on the steps screen, turn the focused setting on or off",
            Group::Moving,
        ),
        row(
            C::Detail,
            vec![k(K::Tab)],
            &[S::Enrollments, S::Contacts, S::Detail],
            "detail",
            "Show or hide the contact detail full screen",
            Group::Moving,
        ),
        row(
            C::Back,
            vec![k(K::Left), ch('h'), k(K::Backspace)],
            &[S::Enrollments, S::Detail, S::Steps],
            "",
            "Back to the previous level",
            Group::Moving,
        ),
        row(
            C::Escape,
            vec![k(K::Esc)],
            &[S::Enrollments, S::Contacts, S::Detail, S::Steps, S::Help],
            "back",
            "Back out one level: range, then marks, then filter, then the list",
            Group::General,
        ),
        row(
            C::Up,
            vec![ch('k'), k(K::Up)],
            LISTS,
            "",
            "Move up (in a dialog: previous reason)",
            Group::Moving,
        ),
        row(
            C::Down,
            vec![ch('j'), k(K::Down)],
            LISTS,
            "",
            "Move down (in a dialog: next reason)",
            Group::Moving,
        ),
        row(
            C::PageUp,
            vec![k(K::PageUp), Key::ctrl('b')],
            MOVES,
            "",
            "Page up",
            Group::Moving,
        ),
        row(
            C::PageDown,
            vec![k(K::PageDown), Key::ctrl('f')],
            MOVES,
            "",
            "Page down",
            Group::Moving,
        ),
        row(
            C::HalfPageUp,
            vec![Key::ctrl('u')],
            MOVES,
            "",
            "Half a page up",
            Group::Moving,
        ),
        row(
            C::HalfPageDown,
            vec![Key::ctrl('d')],
            MOVES,
            "",
            "Half a page down",
            Group::Moving,
        ),
        row(
            C::Top,
            vec![ch('g'), k(K::Home)],
            MOVES,
            "",
            "First row",
            Group::Moving,
        ),
        row(
            C::Bottom,
            vec![ch('G'), k(K::End)],
            MOVES,
            "",
            "Last row",
            Group::Moving,
        ),
        row(
            C::ViewSequences,
            vec![ch('1')],
            &[S::Global],
            "",
            "Sequences view",
            Group::General,
        ),
        row(
            C::ViewContacts,
            vec![ch('2')],
            &[S::Global],
            "",
            "Contacts view",
            Group::General,
        ),
        row(
            C::ViewActivity,
            vec![ch('3')],
            &[S::Global],
            "",
            "Activity view (audit log)",
            Group::General,
        ),
        row(
            C::ViewReports,
            vec![ch('4')],
            &[S::Global],
            "",
            "Reports view (per-sequence counts, rates and unenrollments)",
            Group::General,
        ),
        row(
            C::ViewAll,
            vec![ch('5')],
            &[S::Global],
            "",
            "All enrollments view (every sequence, filtered by a query)",
            Group::General,
        ),
        row(
            C::ViewLists,
            vec![ch('6')],
            &[S::Global],
            "",
            "Lists view (the team's saved lists and their counts)",
            Group::General,
        ),
        row(
            C::ViewTasks,
            vec![ch('7')],
            &[S::Global],
            "",
            "Tasks view (your open tasks, overdue first)",
            Group::General,
        ),
        row(
            C::TaskDone,
            vec![ch('d')],
            &[S::Tasks],
            "done",
            "Complete the focused task (asks first); its enrollment moves on",
            Group::Marking,
        ),
        row(
            C::TaskSkip,
            vec![ch('s')],
            &[S::Tasks],
            "skip",
            "Skip the focused task (asks first); its enrollment moves on",
            Group::Marking,
        ),
        row(
            C::TaskSnooze,
            vec![ch('z')],
            &[S::Tasks],
            "snooze",
            "Snooze the focused task: in 3 hours, tomorrow 09:00 or next Monday 09:00",
            Group::Marking,
        ),
        row(
            C::ToggleMine,
            vec![ch('m')],
            &[S::Sequences, S::Activity],
            "mine",
            "Only mine: sequences I own or enrolled someone in; activity about my enrollments or by me (again: all)",
            Group::Filtering,
        ),
        row(
            C::DeleteList,
            vec![ch('d')],
            &[S::Lists],
            "delete",
            "Delete the focused saved list (asks first; its enrollments stay as they are)",
            Group::Marking,
        ),
        row(
            C::Refresh,
            vec![Key::ctrl('r')],
            &[S::Global],
            "",
            "Reload now (changes also appear by themselves within a second)",
            Group::General,
        ),
        row(
            C::Messages,
            vec![ch('M')],
            &[S::Global, S::Help],
            "",
            "The last status messages, whole (they leave the status line after a few seconds)",
            Group::General,
        ),
        row(
            C::Suspend,
            vec![Key::ctrl('z')],
            &[S::Global, S::Dialog, S::Help],
            "",
            "Suspend to the shell (fg comes back)",
            Group::General,
        ),
        row(
            C::Help,
            vec![ch('?')],
            &[S::Global, S::Help],
            "help",
            "Show or hide this help (? esc q close it)",
            Group::General,
        ),
        row(
            C::Quit,
            vec![ch('q')],
            &[S::Global, S::Help],
            "quit",
            "Quit from a top-level view; elsewhere go back (ctrl-c always quits)",
            Group::General,
        ),
        row(
            C::Confirm,
            vec![ch('y')],
            &[S::Dialog],
            "confirm",
            "Confirm",
            Group::Dialogs,
        ),
        row(
            C::Cancel,
            vec![ch('n'), k(K::Esc)],
            &[S::Dialog],
            "cancel",
            "Cancel; nothing changes",
            Group::Dialogs,
        ),
        row(
            C::Press,
            vec![k(K::Enter)],
            &[S::Dialog],
            "press",
            "Press the focused button (the default for many contacts is Cancel)",
            Group::Dialogs,
        ),
        row(
            C::NextField,
            vec![k(K::Tab), k(K::Right)],
            &[S::Dialog],
            "next",
            "Next field: reason, note, buttons",
            Group::Dialogs,
        ),
        row(
            C::PrevField,
            vec![k(K::BackTab), k(K::Left)],
            &[S::Dialog],
            "",
            "Previous field",
            Group::Dialogs,
        ),
    ]
}

#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

/// A `keymap.toml` that cannot be used: one sentence, naming the line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct KeymapError(pub String);

impl Default for Keymap {
    fn default() -> Self {
        Keymap {
            bindings: defaults(),
        }
    }
}

impl Keymap {
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// Where the config file is looked for.
    pub fn config_path() -> Option<PathBuf> {
        crate::config::keymap_path()
    }

    /// The defaults, changed by `keymap.toml` in the config directory if
    /// there is one.
    pub fn load() -> Result<Keymap, KeymapError> {
        match Keymap::config_path() {
            Some(path) if path.exists() => Keymap::from_file(&path),
            _ => Ok(Keymap::default()),
        }
    }

    pub fn from_file(path: &Path) -> Result<Keymap, KeymapError> {
        let bytes = std::fs::read(path)
            .map_err(|e| KeymapError(format!("cannot read the keymap {}: {e}", path.display())))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let bad = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..bad].iter().filter(|b| **b == b'\n').count() + 1;
            KeymapError(format!(
                "keymap {}: line {line}: not UTF-8 text, so not TOML",
                path.display()
            ))
        })?;
        Keymap::from_toml(&text)
            .map_err(|e| KeymapError(format!("keymap {}: {}", path.display(), e.0)))
    }

    /// The defaults with the commands `text` names rebound. An error is
    /// one line whatever the file holds: text quoted from it has its
    /// control characters escaped.
    pub fn from_toml(text: &str) -> Result<Keymap, KeymapError> {
        Keymap::from_toml_text(text).map_err(|e| KeymapError(crate::config::one_line(&e.0)))
    }

    fn from_toml_text(text: &str) -> Result<Keymap, KeymapError> {
        let line_of = |offset: usize| crate::config::line_of(text, offset);
        let table: Vec<(toml::Spanned<String>, toml::Spanned<toml::Value>)> = toml::from_str::<
            std::collections::BTreeMap<toml::Spanned<String>, toml::Spanned<toml::Value>>,
        >(text)
        .map_err(|e| {
            let at = e
                .span()
                .map(|s| format!("line {}: ", line_of(s.start)))
                .unwrap_or_default();
            KeymapError(format!("{at}{}", e.message().trim()))
        })?
        .into_iter()
        .collect();
        let mut keymap = Keymap::default();
        let mut lines: HashMap<Command, usize> = HashMap::new();
        for (name, value) in table {
            let line = line_of(name.span().start);
            let command = Command::from_name(name.get_ref()).ok_or_else(|| {
                KeymapError(format!(
                    "line {line}: '{}' is not a command; known commands: {}",
                    name.get_ref(),
                    Command::ALL
                        .iter()
                        .map(|c| c.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
            let texts: Vec<String> = match value.get_ref() {
                toml::Value::String(s) => vec![s.clone()],
                toml::Value::Array(items) => items
                    .iter()
                    .map(|item| match item {
                        toml::Value::String(s) => Ok(s.clone()),
                        other => Err(KeymapError(format!(
                            "line {line}: the keys of '{}' must be strings like \"ctrl-a\", not {other}",
                            command.name()
                        ))),
                    })
                    .collect::<Result<_, _>>()?,
                other => {
                    return Err(KeymapError(format!(
                        "line {line}: '{}' takes a key (\"x\") or a list of keys ([\"x\", \"ctrl-x\"]), not {other}",
                        command.name()
                    )));
                }
            };
            if texts.is_empty() {
                return Err(KeymapError(format!(
                    "line {line}: '{}' needs at least one key",
                    command.name()
                )));
            }
            let mut keys = Vec::new();
            for t in &texts {
                let key = Key::parse(t).map_err(|e| {
                    KeymapError(format!("line {line}: {e} (for '{}')", command.name()))
                })?;
                if key == Key::ctrl('c') {
                    return Err(KeymapError(format!(
                        "line {line}: ctrl-c always quits and cannot be bound to '{}'",
                        command.name()
                    )));
                }
                keys.push(key);
            }
            lines.insert(command, line);
            for binding in keymap.bindings.iter_mut().filter(|b| b.command == command) {
                binding.keys = keys.clone();
            }
        }
        keymap.check(&lines)?;
        Ok(keymap)
    }

    /// No key may run two commands in one place: within each set of scopes
    /// the app is in at once (`SCOPE_SETS`).
    fn check(&self, lines: &HashMap<Command, usize>) -> Result<(), KeymapError> {
        for set in SCOPE_SETS {
            let mut seen: HashMap<Key, Command> = HashMap::new();
            for b in &self.bindings {
                if !b.scopes.iter().any(|s| set.contains(s)) {
                    continue;
                }
                for &key in &b.keys {
                    if let Some(&other) = seen.get(&key)
                        && other != b.command
                    {
                        let (changed, kept) = if lines.contains_key(&b.command) {
                            (b.command, other)
                        } else {
                            (other, b.command)
                        };
                        let line = lines
                            .get(&changed)
                            .or(lines.get(&kept))
                            .copied()
                            .unwrap_or(0);
                        return Err(KeymapError(format!(
                            "line {line}: key '{key}' would run both '{}' and '{}'; give one of them another key",
                            changed.name(),
                            kept.name()
                        )));
                    }
                    seen.insert(key, b.command);
                }
            }
        }
        Ok(())
    }

    /// The command `key` runs in the given scopes, if any.
    pub fn command(&self, key: Key, scopes: &[Scope]) -> Option<Command> {
        self.bindings
            .iter()
            .find(|b| b.keys.contains(&key) && b.scopes.iter().any(|s| scopes.contains(s)))
            .map(|b| b.command)
    }

    /// The keys of a command, for messages ("press u to unenroll").
    pub fn keys_of(&self, command: Command) -> &[Key] {
        self.bindings
            .iter()
            .find(|b| b.command == command)
            .map(|b| b.keys.as_slice())
            .unwrap_or(&[])
    }

    /// The first key of a command in short form, or "" when unbound.
    pub fn first_key(&self, command: Command) -> String {
        self.keys_of(command)
            .first()
            .map(Key::short)
            .unwrap_or_default()
    }

    /// (key, hint) pairs for the hint bar in the given scopes, in order of
    /// importance, for the commands that can run now (`available`).
    pub fn hints(
        &self,
        scopes: &[Scope],
        available: impl Fn(Command) -> bool,
    ) -> Vec<(String, &'static str)> {
        let mut out: Vec<(String, &'static str)> = Vec::new();
        for b in &self.bindings {
            if b.hint.is_empty()
                || !b.scopes.iter().any(|s| scopes.contains(s))
                || !available(b.command)
            {
                continue;
            }
            if let Some(key) = b.keys.first() {
                out.push((key.short(), b.hint));
            }
        }
        out
    }

    /// The lines of the `?` overlay: (group title, [(command, keys, help)]).
    pub fn help(&self) -> Vec<(&'static str, HelpRows)> {
        Group::ALL
            .iter()
            .map(|&group| {
                let rows = self
                    .bindings
                    .iter()
                    .filter(|b| b.group == group)
                    .map(Binding::help_row)
                    .collect();
                (group.title(), rows)
            })
            .collect()
    }

    /// The bindings of the place itself (not the global or list-wide
    /// ones): what the `?` overlay shows first.
    pub fn help_here(&self, scopes: &[Scope]) -> HelpRows {
        self.bindings
            .iter()
            .filter(|b| {
                b.scopes.iter().any(|s| {
                    !matches!(s, Scope::Global | Scope::List | Scope::Help) && scopes.contains(s)
                })
            })
            .map(Binding::help_row)
            .collect()
    }
}

/// How a key reaches `update` while a text field has the focus: printable
/// characters type, Enter keeps the text, Esc clears it, Backspace deletes;
/// every other key (arrows, pages, ctrl- bindings) works as usual.
pub fn text_field_action(key: Key) -> Option<Action> {
    match key.code {
        KeyCode::Esc => Some(Action::Command(Command::Escape)),
        KeyCode::Enter => Some(Action::InputDone),
        KeyCode::Backspace => Some(Action::InputBackspace),
        KeyCode::Char(c) if key.mods.is_empty() || key.mods == KeyModifiers::SHIFT => {
            Some(Action::Input(c))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_key_notation() {
        assert_eq!(Key::parse("ctrl-a").unwrap(), Key::ctrl('a'));
        assert_eq!(Key::parse("G").unwrap(), Key::plain(KeyCode::Char('G')));
        assert_eq!(
            Key::parse("shift-tab").unwrap(),
            Key::plain(KeyCode::BackTab)
        );
        assert_eq!(
            Key::parse("PageDown").unwrap(),
            Key::plain(KeyCode::PageDown)
        );
        assert_eq!(Key::parse("f5").unwrap(), Key::plain(KeyCode::F(5)));
        assert_eq!(Key::parse("space").unwrap(), Key::plain(KeyCode::Char(' ')));
        assert!(Key::parse("ctrl-foo").is_err());
        assert_eq!(Key::parse("ctrl-a").unwrap().to_string(), "ctrl-a");
    }

    #[test]
    fn defaults_have_no_conflicts() {
        Keymap::default().check(&HashMap::new()).unwrap();
    }

    #[test]
    fn config_rebinds_and_reports_lines() {
        let km = Keymap::from_toml("unenroll = \"d\"\ndown = [\"j\", \"ctrl-n\"]\n").unwrap();
        assert_eq!(
            km.command(Key::plain(KeyCode::Char('d')), &[S::Enrollments]),
            Some(Command::Unenroll)
        );
        assert_eq!(
            km.command(Key::plain(KeyCode::Char('u')), &[S::Enrollments]),
            None
        );
        assert_eq!(km.command(Key::ctrl('n'), &[S::List]), Some(Command::Down));

        let err = Keymap::from_toml("# mine\ndown = \"ctrl-foo\"\n")
            .unwrap_err()
            .0;
        assert_eq!(err, "line 2: 'ctrl-foo' is not a key (for 'down')");
        let err = Keymap::from_toml("\n\nfly = \"x\"\n").unwrap_err().0;
        assert!(err.starts_with("line 3: 'fly' is not a command"), "{err}");
        let err = Keymap::from_toml("unenroll = \"x\"\n").unwrap_err().0;
        assert!(
            err.starts_with("line 1: key 'x' would run both 'unenroll' and 'export'"),
            "{err}"
        );
        let err = Keymap::from_toml("down = \"u\"\n").unwrap_err().0;
        assert!(
            err.starts_with("line 1: key 'u' would run both 'down' and 'unenroll'"),
            "{err}"
        );
        let err = Keymap::from_toml("quit = \"ctrl-c\"\n").unwrap_err().0;
        assert!(err.contains("ctrl-c always quits"), "{err}");
        let err = Keymap::from_toml("down = 3\n").unwrap_err().0;
        assert!(err.starts_with("line 1: 'down' takes a key"), "{err}");
        let err = Keymap::from_toml("down = [\n").unwrap_err().0;
        assert!(err.starts_with("line "), "{err}");
    }
}
