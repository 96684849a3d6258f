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
use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyModifiers};

use super::action::{Action, Command};
use super::app::Screen;

mod defaults;
mod key;

use defaults::defaults;
pub use key::Key;

/// Where a binding works. The app is in a few scopes at once (a list view
/// is `Global` + `List` + its screen); dialogs and the help overlay are
/// alone. A screen's own keys are `On(screen)`: `On(Screen::Enrollments)`
/// works in both enrollment lists (the All view's scopes include it), and
/// `On(Screen::All)` only in the All view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Global,
    List,
    On(Screen),
    /// The All enrollments view's query editor.
    Editor,
    /// The contact detail pane, full screen.
    Detail,
    Dialog,
    Help,
}

use Scope as S;

/// Every set of scopes the app is in at once (`App::scopes` returns one of
/// them): within a set, a key may run one command only.
pub const SCOPE_SETS: &[&[Scope]] = &[
    &[S::Help],
    &[S::Dialog],
    &[S::Global, S::Detail],
    &[S::Global, S::List, S::On(Screen::Sequences)],
    &[S::Global, S::List, S::On(Screen::Enrollments)],
    &[
        S::Global,
        S::List,
        S::On(Screen::Enrollments),
        S::On(Screen::All),
    ],
    &[S::Global, S::List, S::Editor],
    &[S::Global, S::List, S::On(Screen::Contacts)],
    &[S::Global, S::List, S::On(Screen::Lists)],
    &[S::Global, S::List, S::On(Screen::Tasks)],
    &[S::Global, S::List, S::On(Screen::Activity)],
    &[S::Global, S::List, S::On(Screen::Steps)],
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
            km.command(
                Key::plain(KeyCode::Char('d')),
                &[S::On(Screen::Enrollments)]
            ),
            Some(Command::Unenroll)
        );
        assert_eq!(
            km.command(
                Key::plain(KeyCode::Char('u')),
                &[S::On(Screen::Enrollments)]
            ),
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
