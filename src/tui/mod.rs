//! The terminal UI, Elm-shaped: a key becomes an `Action` through the
//! keymap table (which also writes the hint bar and the `?` overlay),
//! `update` applies it to the `App` and returns effects (quit, background
//! jobs), and `view` draws the state without changing it. It reads and
//! writes only through `crate::domain::Workspace`: no SQL and no rule here.
//!
//! `Headless` drives the same app on ratatui's `TestBackend`, for tests and
//! the benchmark.

pub mod action;
pub mod app;
pub mod dialogs;
pub mod jobs;
pub mod keymap;
pub mod list;
pub mod query;
pub mod runtime;
pub mod screens;
#[cfg(test)]
mod tests;
pub mod text;
pub mod theme;
pub mod update;
pub mod view;
pub mod widgets;

use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

pub use action::{Action, Command, Done, Effect, Job, JobError, JobOutcome, Work};
pub use app::App;
/// The dialogs under their older name (the tests use it).
pub use dialogs as dialog;
pub use keymap::{Key, Keymap, KeymapError};
pub use runtime::start;
pub use theme::Theme;
pub use update::update;

use crate::domain::Clock;
use jobs::Message;

/// Carries out what `update` asked for.
pub fn perform(app: &mut App, effects: Vec<Effect>) {
    for effect in effects {
        match effect {
            Effect::Quit => app.quit = true,
            Effect::Run(job) => app.jobs.submit(job),
            // Only the real terminal can be given back (see `runtime`).
            Effect::Suspend => {}
        }
    }
}

/// Applies one action and carries out its effects.
pub fn dispatch(app: &mut App, action: Action) {
    let effects = update(app, action);
    perform(app, effects);
}

/// Runs `$VISUAL`, else `$EDITOR`, else `vi` on `path` and waits for it
/// (through the shell, so that `EDITOR="code --wait"` works).
pub fn run_editor(path: &Path) -> Result<(), String> {
    let editor = std::env::var("VISUAL")
        .ok()
        .filter(|e| !e.trim().is_empty())
        .or_else(|| {
            std::env::var("EDITOR")
                .ok()
                .filter(|e| !e.trim().is_empty())
        })
        .unwrap_or_else(|| "vi".into());
    #[cfg(unix)]
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(path)
        .status();
    #[cfg(not(unix))]
    let status = std::process::Command::new(&editor).arg(path).status();
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("'{editor}' exited with {s}")),
        Err(e) => Err(format!("cannot run '{editor}': {e}")),
    }
}

/// A key press as an action: ctrl-c always quits; a focused text field
/// takes printable keys; the keymap table decides the rest.
pub fn resolve_key(app: &App, event: &KeyEvent) -> Option<Action> {
    let key = Key::from_event(event);
    if key == Key::ctrl('c') {
        return Some(Action::ForceQuit);
    }
    if app.typing()
        && let Some(action) = keymap::text_field_action(key)
    {
        return Some(action);
    }
    // A key the place does not bind does nothing (the help overlay stays
    // open: only ?, esc and q close it).
    app.keymap.command(key, &app.scopes()).map(Action::Command)
}

/// The app on a `TestBackend`: keys in, screens out, jobs run on the same
/// worker threads as in the real terminal.
pub struct Headless {
    pub app: App,
    pub terminal: Terminal<TestBackend>,
    messages: Receiver<Message>,
}

impl Headless {
    pub fn open(
        path: &Path,
        clock: Clock,
        user: Option<&str>,
        size: (u16, u16),
        theme: Theme,
    ) -> anyhow::Result<Headless> {
        Headless::with_keymap(path, clock, user, size, theme, Keymap::default())
    }

    pub fn with_keymap(
        path: &Path,
        clock: Clock,
        user: Option<&str>,
        size: (u16, u16),
        theme: Theme,
        keymap: Keymap,
    ) -> anyhow::Result<Headless> {
        let ws = jobs::open(path, clock)?;
        let (sender, messages) = channel();
        let app = App::new(ws, user, keymap, theme, size, sender)?;
        let terminal = Terminal::new(TestBackend::new(size.0, size.1))?;
        Ok(Headless {
            app,
            terminal,
            messages,
        })
    }

    /// Applies an action and carries out its effects.
    pub fn act(&mut self, action: Action) -> &mut Self {
        dispatch(&mut self.app, action);
        // No terminal to give up here: the editor just runs.
        while let Some(path) = self.app.edit.take() {
            let result = run_editor(&path);
            dispatch(&mut self.app, Action::Edited { path, result });
        }
        self
    }

    /// Presses one key, in `keymap.toml` notation ("j", "ctrl-a", "enter").
    pub fn key(&mut self, spec: &str) -> &mut Self {
        let key = Key::parse(spec).unwrap_or_else(|e| panic!("{e}"));
        let event = KeyEvent {
            code: key.code,
            modifiers: key.mods,
            kind: KeyEventKind::Press,
            state: KeyEventState::NONE,
        };
        if let Some(action) = resolve_key(&self.app, &event) {
            self.act(action);
        }
        self
    }

    pub fn keys(&mut self, specs: &[&str]) -> &mut Self {
        for spec in specs {
            self.key(spec);
        }
        self
    }

    /// Types text, one key per character.
    pub fn type_text(&mut self, text: &str) -> &mut Self {
        for c in text.chars() {
            let event = KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
            if let Some(action) = resolve_key(&self.app, &event) {
                self.act(action);
            }
        }
        self
    }

    /// Applies the results of finished jobs without waiting.
    pub fn pump(&mut self) -> &mut Self {
        while let Ok(message) = self.messages.try_recv() {
            if let Message::Job(result) = message {
                self.act(Action::Done(result));
            }
        }
        self
    }

    /// Waits until no job is outstanding and applies every result.
    pub fn settle(&mut self) -> &mut Self {
        let deadline = Instant::now() + Duration::from_secs(120);
        while self.app.waiting() {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.messages.recv_timeout(left) {
                Ok(Message::Job(result)) => {
                    self.act(Action::Done(result));
                }
                Ok(Message::Terminal(_)) => {}
                Err(RecvTimeoutError::Timeout) => panic!("a background job took over two minutes"),
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        self
    }

    /// The periodic tick (the real loop sends one every 250 ms).
    pub fn tick(&mut self) -> &mut Self {
        self.act(Action::Tick)
    }

    pub fn resize(&mut self, width: u16, height: u16) -> &mut Self {
        self.terminal.backend_mut().resize(width, height);
        self.act(Action::Resize { width, height })
    }

    pub fn draw(&mut self) -> &mut Self {
        let app = &self.app;
        self.terminal
            .draw(|frame| view::view(app, frame))
            .expect("drawing on the test backend cannot fail");
        self
    }

    /// The screen as text, one line per row.
    pub fn screen(&mut self) -> String {
        self.draw();
        self.terminal.backend().to_string()
    }

    /// The drawn screen's cells (text and styles), e.g. to render a
    /// screenshot.
    pub fn buffer(&mut self) -> ratatui::buffer::Buffer {
        self.draw();
        self.terminal.backend().buffer().clone()
    }

    /// The screen with its styles (ratatui's buffer debug format).
    pub fn styled_screen(&mut self) -> String {
        self.draw();
        format!("{:?}", self.terminal.backend().buffer())
    }
}
