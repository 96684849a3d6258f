//! Output for people and for scripts: aligned text tables (terminal-safe)
//! and JSON on stdout.

use std::io::Write;

use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use crate::domain::Timestamp;

/// Replaces control characters (escape sequences included) so that data can
/// never drive the terminal; tabs and newlines become spaces, and bidi
/// overrides (which would reorder the rest of the line) are dropped. The
/// same rule as the TUI's ([`crate::tui::text::clean`]).
pub fn safe(text: &str) -> String {
    crate::tui::text::clean(text).into_owned()
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
    let mut widths: Vec<usize> = headers.iter().map(|h| h.width()).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(cell.width());
            }
        }
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut line = |cells: Vec<&str>| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            text.push_str(cell);
            if i + 1 < cells.len() {
                let pad = widths[i].saturating_sub(cell.width()) + 2;
                text.extend(std::iter::repeat_n(' ', pad));
            }
        }
        let _ = writeln!(out, "{}", text.trim_end());
    };
    line(headers.to_vec());
    for row in &rows {
        line(row.iter().map(String::as_str).collect());
    }
    let _ = out.flush();
}

pub fn json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}
