//! Output for people and for scripts: the one writer of stdout, aligned
//! text tables and JSON.
//!
//! # Every byte on stdout goes through here
//!
//! Use these, never `println!` / `print!` (a test greps `src/cli` for them):
//!
//! - [`outln!`]`("…", args)` — one line of text for a person. The whole line
//!   is made terminal-safe with [`safe`], so stored text (names, companies,
//!   teams, notes, reasons quoting them) can never drive the terminal even
//!   when a caller forgets to clean a piece. A newline inside becomes a
//!   space: call it once per line.
//! - [`table`] — rows under headers, every cell made safe.
//! - [`json`] — JSON, verbatim (serde escapes control characters itself).
//! - [`Verbatim`] — an `io::Write` for other machine formats (CSV), verbatim.
//!
//! On stderr, [`note`] prints one safe `seqtui: ` line (never `eprintln!`).
//!
//! Writing never fails the command: the first write error (a reader that
//! closed the pipe, a full disk behind `> file`) is recorded and every later
//! write is dropped, so a change and its tidying always run to the end.
//! `cli::run` calls [`finish`] last and turns the error into the exit: a
//! closed pipe keeps the command's own exit code (as `head` expects);
//! anything else is one sentence on stderr and exit 1.

use std::io::Write;
use std::sync::{Mutex, PoisonError};

use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use crate::domain::Timestamp;

/// Replaces control characters (escape sequences included) so that data can
/// never drive the terminal; tabs and newlines become spaces, and bidi
/// overrides (which would reorder the rest of the line) are dropped. The
/// same rule as the TUI's ([`crate::text::clean`]).
pub fn safe(text: &str) -> String {
    crate::text::clean(text).into_owned()
}

/// Prints one line of text on stdout through the sink, made terminal-safe
/// as a whole (see the module documentation). `outln!()` prints an empty
/// line.
macro_rules! outln {
    () => {
        $crate::cli::output::line("")
    };
    ($($arg:tt)*) => {
        $crate::cli::output::line(&format!($($arg)*))
    };
}
pub(crate) use outln;

/// The first error met writing stdout; once set, nothing more is written.
static FAILED: Mutex<Option<std::io::Error>> = Mutex::new(None);

/// Writes `bytes` to stdout unless an earlier write failed; records the
/// first failure instead of returning it.
fn write_bytes(bytes: &[u8]) {
    let mut failed = FAILED.lock().unwrap_or_else(PoisonError::into_inner);
    if failed.is_some() {
        return;
    }
    if let Err(e) = std::io::stdout().lock().write_all(bytes) {
        *failed = Some(e);
    }
}

/// One line of text, made safe, then a newline. What [`outln!`] calls.
/// Silent with `-q` (the text for people; tables and machine formats
/// still print).
pub fn line(text: &str) {
    if style().quiet {
        return;
    }
    let mut text = safe(text);
    text.push('\n');
    write_bytes(text.as_bytes());
}

/// One `seqtui: ` line on stderr (a warning, a refusal, progress), made
/// terminal-safe like [`outln!`]. A failure to write stderr is ignored:
/// there is nowhere left to say it.
pub fn note(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "seqtui: {}", safe(text));
}

/// A question on stderr, made safe, waiting on the same line for the
/// answer.
pub fn prompt(question: &str) {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{} [y/N] ", safe(question));
    let _ = err.flush();
}

/// Whether stdout is a terminal (where even machine formats are made safe).
pub fn on_terminal() -> bool {
    std::io::IsTerminal::is_terminal(&std::io::stdout())
}

/// Whether a write to stdout has failed (a long-running command such as
/// `run --watch` stops then: nobody reads what it reports).
pub fn failed() -> bool {
    FAILED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .is_some()
}

/// Flushes stdout and hands back the first write error, if any. Called
/// once, by `cli::run`, after the command and its tidying are complete.
pub fn finish() -> Option<std::io::Error> {
    let mut failed = FAILED.lock().unwrap_or_else(PoisonError::into_inner);
    if failed.is_none()
        && let Err(e) = std::io::stdout().lock().flush()
    {
        *failed = Some(e);
    }
    failed.take()
}

/// Stdout for machine formats (CSV), through the sink and verbatim: no
/// cleaning. Never returns an error (the sink records it, see [`finish`]).
pub struct Verbatim;

impl Write for Verbatim {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        write_bytes(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A time for people, the one way text and tables show one: in the
/// user's zone ([`Style::zone`]: `TZ`, else the rules file's `[dates]
/// time_zone`, else UTC) with the zone named — `2026-12-01 10:00 CET`,
/// `2026-12-01 09:00 UTC` — through [`crate::domain::show_time`]; `-` for
/// none. Machine formats (JSON, CSV) keep RFC 3339 in UTC instead.
pub fn time(t: Option<Timestamp>) -> String {
    t.map(|t| crate::domain::show_time(t, style().zone))
        .unwrap_or_else(|| "-".into())
}

/// How output looks in this run: decided once, by `cli::run`, from the
/// command line, the environment and whether stdout is a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Colour statuses and refusals (ANSI): `--color always`, or `auto` on
    /// a terminal without `NO_COLOR`.
    pub color: bool,
    /// Colour refusals on stderr (its own terminal test).
    pub color_stderr: bool,
    /// Lay tables out for a terminal this wide (truncating with …); `None`
    /// when piped: whole rows.
    pub width: Option<usize>,
    /// The screen's height when stdout is a real terminal: a longer table
    /// goes through the pager. `None` when piped or the width was forced.
    pub pager_height: Option<usize>,
    /// `-q`: nothing but errors.
    pub quiet: bool,
    /// `-v`: item by item where a summary is the default.
    pub verbose: bool,
    /// The zone times are shown in (see [`time`]).
    pub zone: chrono_tz::Tz,
}

/// `--color`: when to colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorWhen {
    /// On a terminal, unless `NO_COLOR` is set (and not empty)
    #[default]
    Auto,
    Always,
    Never,
}

impl Style {
    /// The style for this process: `color` from `--color`, `width` from
    /// the hidden `--width` (a terminal layout even when piped, for tests
    /// and scripts).
    pub fn detect(
        color: ColorWhen,
        width: Option<usize>,
        quiet: bool,
        verbose: bool,
        zone: chrono_tz::Tz,
    ) -> Style {
        let stdout_tty = on_terminal();
        let stderr_tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
            || std::env::var("TERM").is_ok_and(|t| t == "dumb");
        let colour = |tty: bool| match color {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => tty && !no_color,
        };
        let size = if stdout_tty {
            crossterm::terminal::size().ok()
        } else {
            None
        };
        let columns_env = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|&c| c > 0);
        Style {
            color: colour(stdout_tty),
            color_stderr: colour(stderr_tty),
            width: width.or(if stdout_tty {
                size.map(|(w, _)| w as usize).or(columns_env).or(Some(80))
            } else {
                None
            }),
            pager_height: match (width, size) {
                (None, Some((_, h))) if h > 0 => Some(h as usize),
                _ => None,
            },
            quiet,
            verbose,
            zone,
        }
    }
}

static STYLE: std::sync::OnceLock<Style> = std::sync::OnceLock::new();

/// Sets this process's [`Style`] (once; later calls change nothing).
pub fn configure(style: Style) {
    let _ = STYLE.set(style);
}

/// This process's [`Style`]: plain, whole rows, unless configured.
pub fn style() -> Style {
    STYLE.get().copied().unwrap_or(Style {
        color: false,
        color_stderr: false,
        width: None,
        pager_height: None,
        quiet: false,
        verbose: false,
        zone: chrono_tz::Tz::UTC,
    })
}

/// Whether progress bars may be drawn: stderr is a terminal and neither
/// `-q` nor a machine format asked for silence.
pub fn progress_allowed(machine: bool) -> bool {
    !machine && !style().quiet && std::io::IsTerminal::is_terminal(&std::io::stderr())
}

/// The colour a table cell gets, from its column and its text: statuses
/// (enrollments), blocks (contacts), overdue tasks, refusals.
fn cell_colour(header: &str, cell: &str) -> Option<comfy_table::Color> {
    use comfy_table::Color;
    match header {
        "STATUS" => {
            if cell.contains("stale") {
                Some(Color::Yellow)
            } else if cell.starts_with("active") {
                Some(Color::Green)
            } else if cell.starts_with("paused") {
                Some(Color::Yellow)
            } else if cell.starts_with("finished") {
                Some(Color::Blue)
            } else if cell.starts_with("unenrolled") {
                Some(Color::Red)
            } else {
                None
            }
        }
        "BLOCKED" if cell != "-" => Some(Color::Red),
        "DUE" if cell.contains("OVERDUE") => Some(Color::Red),
        _ => None,
    }
}

/// No column is cut narrower than this (or its content, if narrower).
const NARROWEST: usize = 4;

/// Column widths that fit `room` (the width without the gaps between
/// columns): the widest column gives way first, one character at a time,
/// so ids, counts, statuses and dates stay whole while long names, emails
/// and companies are cut.
pub fn fit_widths(content: &[usize], room: usize) -> Vec<usize> {
    let mut widths = content.to_vec();
    let mut total: usize = widths.iter().sum();
    while total > room {
        let Some((i, &widest)) = widths
            .iter()
            .enumerate()
            .max_by_key(|(i, w)| (**w, usize::MAX - i))
        else {
            break;
        };
        if widest <= NARROWEST {
            break;
        }
        widths[i] -= 1;
        total -= 1;
    }
    widths
}

/// Prints rows under headers through comfy-table. Piped: whole rows,
/// columns padded to their widest cell (display width, so CJK and emoji
/// line up). On a terminal ([`Style::width`]): the table fits the width,
/// the widest text columns cut with …, never wrapped; statuses coloured
/// ([`Style::color`]); longer than the screen, it goes through `$PAGER`.
pub fn table(headers: &[&str], rows: &[Vec<String>]) {
    let text = render_table(&style(), headers, rows);
    let style = style();
    if let Some(height) = style.pager_height
        && text.lines().count() >= height
        && page(&text)
    {
        return;
    }
    write_bytes(text.as_bytes());
}

/// The text of [`table`] in `style`, every cell made safe.
pub fn render_table(style: &Style, headers: &[&str], rows: &[Vec<String>]) -> String {
    use comfy_table::{Cell, ColumnConstraint, ContentArrangement, Row};
    let mut t = comfy_table::Table::new();
    t.load_style(comfy_table::presets::NOTHING);
    if style.color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    let mut header = Row::from(headers.iter().map(|h| Cell::new(safe(h))));
    let mut widths: Vec<usize> = headers.iter().map(|h| safe(h).width()).collect();
    if style.width.is_some() {
        header.max_height(1);
    }
    t.set_header(header);
    for row in rows {
        let mut cells = Row::new();
        for (i, cell) in row.iter().enumerate() {
            let cell = safe(cell);
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.width());
            }
            let colour = if style.color {
                headers.get(i).and_then(|h| cell_colour(h, &cell))
            } else {
                None
            };
            let mut c = Cell::new(cell);
            if let Some(colour) = colour {
                c = c.fg(colour);
            }
            cells.add_cell(c);
        }
        if style.width.is_some() {
            cells.max_height(1);
        }
        t.add_row(cells);
    }
    match style.width {
        Some(width) => {
            t.set_content_arrangement(ContentArrangement::Dynamic);
            t.set_width(width.min(u16::MAX as usize) as u16);
            t.set_truncation_indicator("…");
            let fitted = fit_widths(&widths, width.saturating_sub(2 * widths.len()));
            for (i, w) in fitted.iter().enumerate() {
                if let Some(column) = t.column_mut(i) {
                    // The fixed width counts the padding.
                    let padding = if i == 0 { 1 } else { 2 };
                    column.set_constraint(ColumnConstraint::Absolute(comfy_table::Width::Fixed(
                        (*w + padding).min(u16::MAX as usize) as u16,
                    )));
                }
            }
        }
        None => {
            t.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    // Two spaces between columns, none before the first.
    for (i, column) in t.column_iter_mut().enumerate() {
        column.set_padding(if i == 0 { (0, 1) } else { (1, 1) });
    }
    let mut text = String::new();
    for line in t.lines() {
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

/// Shows `text` through `$PAGER` (default `less -FRX`, which exits at
/// once when the text fits); false when no pager could be started (the
/// caller prints it instead). An empty `PAGER` means none.
fn page(text: &str) -> bool {
    let pager = std::env::var("PAGER").unwrap_or_else(|_| "less -FRX".into());
    if pager.trim().is_empty() {
        return false;
    }
    let mut command = if cfg!(windows) {
        let mut c = std::process::Command::new("cmd");
        c.arg("/C").arg(&pager);
        c
    } else {
        let mut c = std::process::Command::new("sh");
        c.arg("-c").arg(&pager);
        c
    };
    if std::env::var_os("LESS").is_none() {
        command.env("LESS", "FRX");
    }
    let Ok(mut child) = command.stdin(std::process::Stdio::piped()).spawn() else {
        return false;
    };
    if let Some(mut stdin) = child.stdin.take() {
        // The reader may quit early (`q`): not an error.
        let _ = stdin.write_all(text.as_bytes());
    }
    let _ = child.wait();
    true
}

/// Prints one line like [`outln!`], in `colour` when [`Style::color`]:
/// refusals and warnings a person should not miss.
pub fn line_coloured(text: &str, colour: comfy_table::Color) {
    if style().quiet {
        return;
    }
    let text = safe(text);
    if style().color {
        let code = ansi(colour);
        write_bytes(format!("\x1b[{code}m{text}\x1b[0m\n").as_bytes());
    } else {
        write_bytes(format!("{text}\n").as_bytes());
    }
}

/// A `seqtui: ` line on stderr like [`note`], coloured when stderr is a
/// terminal that may be coloured.
pub fn note_coloured(text: &str, colour: comfy_table::Color) {
    if style().color_stderr {
        let _ = writeln!(
            std::io::stderr().lock(),
            "\x1b[{}mseqtui: {}\x1b[0m",
            ansi(colour),
            safe(text)
        );
    } else {
        note(text);
    }
}

fn ansi(colour: comfy_table::Color) -> u8 {
    use comfy_table::Color;
    match colour {
        Color::Red | Color::DarkRed => 31,
        Color::Green | Color::DarkGreen => 32,
        Color::Yellow | Color::DarkYellow => 33,
        Color::Blue | Color::DarkBlue => 34,
        _ => 39,
    }
}

/// A change's report as JSON in the one vocabulary (docs: `changed`,
/// `skipped`): the report's own fields, and `changed` (the ids it changed)
/// and `skipped` (`[{id, code, why}]`) set from what the command names them
/// (an unenroll's `unenrolled`, an enroll's `refused`, …) when the report
/// has no such list of its own.
pub fn change<T: Serialize + ?Sized>(
    report: &T,
    changed: &[i64],
    skipped: &[crate::domain::Skipped],
) -> anyhow::Result<()> {
    change_value(serde_json::to_value(report)?, changed, skipped)
}

/// [`change`] for a report already made a JSON value (a command that
/// added to it), without copying it again: a bulk enroll's is 66 MB.
pub fn change_value(
    mut value: serde_json::Value,
    changed: &[i64],
    skipped: &[crate::domain::Skipped],
) -> anyhow::Result<()> {
    if let Some(object) = value.as_object_mut() {
        if !object.get("changed").is_some_and(|c| c.is_array()) {
            object.insert("changed".into(), serde_json::json!(changed));
        }
        if !object.get("skipped").is_some_and(|c| c.is_array()) {
            object.insert("skipped".into(), serde_json::to_value(skipped)?);
        }
    }
    json(&value)
}

/// `value` as pretty JSON and a newline, verbatim.
pub fn json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_vec_pretty(value)?;
    text.push(b'\n');
    write_bytes(&text);
    Ok(())
}

/// `value` as JSON on one line (a stream of JSON Lines), verbatim.
pub fn json_line<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_vec(value)?;
    text.push(b'\n');
    write_bytes(&text);
    Ok(())
}

pub use super::format::{Format, Records, machine};
