//! The runtime: opening the app on the session's workspace, and the real
//! terminal: raw mode and the alternate screen through
//! `ratatui::init`, mouse capture, a panic hook that restores everything,
//! a thread that reads terminal events, and the loop that merges those
//! events, ticks and finished jobs into actions and draws after each batch.

use std::io::stdout;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread;
use std::time::{Duration, Instant};

use crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind, MouseButton, MouseEventKind,
};
use crossterm::execute;

use super::action::{Action, Effect};
use super::app::App;
use super::jobs::{Message, WORKER_PREFIX};
use super::{Keymap, Theme, dispatch, perform, resolve_key, update, view};
use crate::session::Session;

/// Opens the TUI on the workspace the command line names.
pub fn start(session: &Session) -> anyhow::Result<()> {
    let (path, notice) = session.workspace_or_demo()?;
    if let Some(notice) = notice {
        eprintln!("{notice}");
    }
    // A bad keymap or rules file stops us here, before the screen is taken
    // over.
    let keymap = Keymap::load()?;
    let (ws, user) = session.open(&path, session.clock()?)?;
    // The workers' log goes to the log file, never to the terminal.
    let _log = crate::log::start();
    tracing::info!(
        "terminal UI started on {} as {}",
        path.display(),
        user.email
    );
    super::jobs::tidy_in_background(session, &path);
    let (sender, messages) = channel();
    let size = crossterm::terminal::size().unwrap_or((80, 24));
    let app = App::new(
        ws,
        Some(user.email.as_str()),
        keymap,
        Theme::from_env(),
        size,
        sender.clone(),
    )?;
    let ended = run(app, sender, messages);
    match &ended {
        Ok(()) => tracing::info!("terminal UI closed"),
        Err(e) => tracing::error!("terminal UI stopped: {e:#}"),
    }
    ended
}

/// How often the store's change counter is read (SPEC: changes by other
/// processes appear within a second).
pub const TICK: Duration = Duration::from_millis(250);
/// Redraw rate while a spinner is on screen.
const SPIN: Duration = Duration::from_millis(100);

/// Runs the app on the real terminal until it quits; the terminal is
/// restored on every way out, a panic included.
pub fn run(
    mut app: App,
    events: Sender<Message>,
    messages: Receiver<Message>,
) -> anyhow::Result<()> {
    let mut terminal = ratatui::try_init()?;
    install_panic_hook();
    let _ = execute!(stdout(), EnableMouseCapture);
    let reader = ReaderSwitch::default();
    spawn_event_reader(events, reader.clone());
    let result = event_loop(&mut terminal, &mut app, &messages, &reader);
    restore();
    result
}

/// Leaves the terminal as it was: mouse capture off, raw mode off, main
/// screen back.
pub fn restore() {
    let _ = execute!(stdout(), DisableMouseCapture);
    ratatui::restore();
}

/// `ratatui::init` already installed a hook that restores raw mode and the
/// screen; this one also turns mouse capture off first. A panic on a
/// worker thread leaves the terminal alone: the job reports it as an error
/// and the app keeps running.
fn install_panic_hook() {
    let restoring = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let worker = thread::current()
            .name()
            .is_some_and(|n| n.starts_with(WORKER_PREFIX));
        if worker {
            return;
        }
        let _ = execute!(stdout(), DisableMouseCapture);
        restoring(info);
    }));
}

/// Lets the event reader stand aside while `$EDITOR` owns the terminal
/// (else it would take the editor's keys): `paused` asks, `idle` answers.
#[derive(Debug, Clone, Default)]
struct ReaderSwitch {
    paused: Arc<AtomicBool>,
    idle: Arc<AtomicBool>,
}

impl ReaderSwitch {
    /// Asks the reader to stop reading and waits (at most a second) until
    /// it has.
    fn pause(&self) {
        self.paused.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + Duration::from_secs(1);
        while !self.idle.load(Ordering::SeqCst) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
    }

    fn resume(&self) {
        self.paused.store(false, Ordering::SeqCst);
    }
}

/// How long the reader waits for an event before looking at its switch.
const READ_POLL: Duration = Duration::from_millis(50);

fn spawn_event_reader(events: Sender<Message>, switch: ReaderSwitch) {
    let _ = thread::Builder::new()
        .name(format!("{WORKER_PREFIX}events"))
        .spawn(move || {
            loop {
                if switch.paused.load(Ordering::SeqCst) {
                    switch.idle.store(true, Ordering::SeqCst);
                    thread::sleep(Duration::from_millis(10));
                    continue;
                }
                switch.idle.store(false, Ordering::SeqCst);
                match event::poll(READ_POLL) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(_) => break,
                }
                let Ok(event) = event::read() else { break };
                if events.send(Message::Terminal(event)).is_err() {
                    break;
                }
            }
        });
}

/// Gives the terminal to `$EDITOR` on `path` and takes it back: the
/// reader stands aside, the screen and raw mode are left and restored.
fn edit_in_terminal(
    terminal: &mut ratatui::DefaultTerminal,
    reader: &ReaderSwitch,
    path: &std::path::Path,
) -> Result<(), String> {
    reader.pause();
    restore();
    let result = super::run_editor(path);
    let _ = crossterm::terminal::enable_raw_mode();
    let _ = execute!(
        stdout(),
        crossterm::terminal::EnterAlternateScreen,
        EnableMouseCapture
    );
    let _ = terminal.clear();
    reader.resume();
    result
}

fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    messages: &Receiver<Message>,
    reader: &ReaderSwitch,
) -> anyhow::Result<()> {
    let mut next_tick = Instant::now() + TICK;
    let mut dirty = true;
    loop {
        if dirty {
            let size = terminal.size()?;
            if (size.width, size.height) != (app.width, app.height) {
                dispatch(
                    app,
                    Action::Resize {
                        width: size.width,
                        height: size.height,
                    },
                );
            }
            terminal.draw(|frame| view::view(app, frame))?;
            dirty = false;
            // The end-to-end tests check that a panic restores the terminal.
            if std::env::var_os("SEQTUI_TEST_PANIC").is_some() {
                panic!("SEQTUI_TEST_PANIC is set: panicking on purpose after the first frame");
            }
        }
        let now = Instant::now();
        let mut wait = next_tick.saturating_duration_since(now);
        if app.running.is_some() {
            wait = wait.min(SPIN);
        }
        match messages.recv_timeout(wait) {
            Ok(first) => {
                handle(terminal, app, first)?;
                // Everything already queued is applied before the next
                // frame, so a burst of keys costs one draw.
                while let Ok(next) = messages.try_recv() {
                    handle(terminal, app, next)?;
                    if app.quit {
                        break;
                    }
                }
                dirty = true;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if app.quit {
            break;
        }
        if let Some(path) = app.edit.take() {
            let result = edit_in_terminal(terminal, reader, &path);
            dispatch(app, Action::Edited { path, result });
            dirty = true;
        }
        if Instant::now() >= next_tick {
            next_tick = Instant::now() + TICK;
            dispatch(app, Action::Tick);
            dirty = true;
        }
        if app.running.is_some() {
            dirty = true;
        }
        if app.quit {
            break;
        }
    }
    Ok(())
}

fn handle(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    message: Message,
) -> anyhow::Result<()> {
    let action = match message {
        Message::Job(result) => Some(Action::Done(result)),
        Message::Terminal(event) => action_for_event(app, &event),
    };
    if let Some(action) = action {
        let effects = update(app, action);
        let suspend = effects.contains(&Effect::Suspend);
        perform(app, effects);
        if suspend {
            suspend_and_resume(terminal)?;
        }
    }
    Ok(())
}

/// Ctrl-Z: the terminal goes back to the shell as it was (mouse capture
/// off, cooked mode, main screen), the process stops as any job does on
/// SIGTSTP; when the shell continues it (`fg`), raw mode, the alternate
/// screen and mouse capture come back and the next frame is drawn whole.
#[cfg(unix)]
fn suspend_and_resume(terminal: &mut ratatui::DefaultTerminal) -> anyhow::Result<()> {
    restore();
    signal_hook::low_level::raise(signal_hook::consts::SIGTSTP)?;
    // Here the shell has continued us.
    crossterm::terminal::enable_raw_mode()?;
    execute!(
        stdout(),
        crossterm::terminal::EnterAlternateScreen,
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All),
        EnableMouseCapture
    )?;
    // Both buffers empty: the next frame is drawn whole. (Not
    // `terminal.clear()`: it asks the terminal where the cursor is, and the
    // event thread takes the answer.)
    terminal.swap_buffers();
    terminal.swap_buffers();
    Ok(())
}

/// Job control is a Unix thing: elsewhere Ctrl-Z does nothing.
#[cfg(not(unix))]
fn suspend_and_resume(_terminal: &mut ratatui::DefaultTerminal) -> anyhow::Result<()> {
    Ok(())
}

/// A terminal event as an action, through the keymap.
pub fn action_for_event(app: &App, event: &Event) -> Option<Action> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => resolve_key(app, key),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::Down(MouseButton::Left) => Some(Action::Click {
                column: m.column,
                row: m.row,
            }),
            MouseEventKind::ScrollDown => Some(Action::Scroll(3)),
            MouseEventKind::ScrollUp => Some(Action::Scroll(-3)),
            _ => None,
        },
        Event::Resize(width, height) => Some(Action::Resize {
            width: *width,
            height: *height,
        }),
        _ => None,
    }
}
