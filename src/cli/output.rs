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
pub fn line(text: &str) {
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

pub fn time(t: Option<Timestamp>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "-".into())
}

/// Prints rows under headers with every column padded to its widest cell
/// (display width, so CJK and emoji line up). The last column is not padded.
pub fn table(headers: &[&str], rows: &[Vec<String>]) {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| safe(c)).collect())
        .collect();
    let headers: Vec<String> = headers.iter().map(|h| safe(h)).collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.width()).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(cell.width());
            }
        }
    }
    let mut text = String::new();
    let mut line = |cells: Vec<&str>| {
        let start = text.len();
        for (i, cell) in cells.iter().enumerate() {
            text.push_str(cell);
            if i + 1 < cells.len() {
                let pad = widths[i].saturating_sub(cell.width()) + 2;
                text.extend(std::iter::repeat_n(' ', pad));
            }
        }
        text.truncate(start + text[start..].trim_end().len());
        text.push('\n');
    };
    line(headers.iter().map(String::as_str).collect());
    for row in &rows {
        line(row.iter().map(String::as_str).collect());
    }
    write_bytes(text.as_bytes());
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
