//! The `?` overlay, written from the keymap table itself — the keys of the
//! view underneath first, then every other key by group, then the query
//! language of the All enrollments view from the domain's key table and
//! where the keymap file lives — and the `M` overlay, the last status
//! messages whole. Long lines wrap; nothing is cut.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::domain::FILTER_KEYS;
use crate::tui::app::{App, Tone};
use crate::tui::keymap::Keymap;
use crate::tui::text::{self, pad};

/// Where the overlay goes on a screen of `area`.
fn frame_rect(area: Rect) -> Rect {
    let width = 96.min(area.width.saturating_sub(2));
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + 1,
        width,
        area.height.saturating_sub(2),
    )
}

/// The text area inside the overlay's border and margins.
fn inner_size(app: &App) -> (usize, usize) {
    let rect = frame_rect(Rect::new(0, 0, app.width, app.height));
    (
        rect.width.saturating_sub(4) as usize,
        rect.height.saturating_sub(2) as usize,
    )
}

/// How far the overlay can scroll on this screen (`update` clamps to it).
pub fn max_scroll(app: &App) -> u16 {
    let (width, height) = inner_size(app);
    let lines = if app.help_messages {
        message_lines(app, width).len()
    } else {
        key_lines(app, width).len()
    };
    lines.saturating_sub(height).min(u16::MAX as usize) as u16
}

/// `text` in lines of at most `width` cells, breaking inside a word only
/// when the word alone is longer than a line (a path, say).
fn wrap_all(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let clean = text::clean(text);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in clean.split_whitespace() {
        let mut word = word.to_string();
        // A word longer than a line is broken by characters.
        while text::width(&word) > width {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            let mut head = String::new();
            let mut rest = String::new();
            for c in word.chars() {
                if rest.is_empty()
                    && text::width(&head) + text::width(c.encode_utf8(&mut [0; 4])) <= width
                {
                    head.push(c);
                } else {
                    rest.push(c);
                }
            }
            lines.push(head);
            word = rest;
        }
        if !line.is_empty() && text::width(&line) + 1 + text::width(&word) > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// A key and its help, the help wrapped under itself; keys wider than
/// the key column get a line of their own.
fn entry(
    lines: &mut Vec<Line<'static>>,
    keys: &str,
    help: &str,
    key_width: usize,
    width: usize,
    key_style: Style,
) {
    let room = width.saturating_sub(key_width + 1).max(8);
    let own_line = text::width(keys) > key_width;
    if own_line {
        for row in wrap_all(keys, width) {
            lines.push(Line::from(Span::styled(row, key_style)));
        }
    }
    for (i, row) in wrap_all(help, room).into_iter().enumerate() {
        let keys = if i == 0 && !own_line {
            pad(keys, key_width)
        } else {
            " ".repeat(key_width)
        };
        lines.push(Line::from(vec![
            Span::styled(keys, key_style),
            Span::raw(" "),
            Span::raw(row),
        ]));
    }
}

fn paragraph(lines: &mut Vec<Line<'static>>, text: &str, width: usize, style: Style) {
    for row in wrap_all(text, width) {
        lines.push(Line::from(Span::styled(row, style)));
    }
}

/// The `?` overlay's lines for a text area `width` cells wide.
pub fn key_lines(app: &App, width: usize) -> Vec<Line<'static>> {
    let t = &app.theme;
    // As wide as the widest keys of the table, within a third of the
    // overlay (a longer query key gets a line of its own).
    let widest = app
        .keymap
        .bindings()
        .iter()
        .map(|b| {
            let keys: Vec<String> = b.keys.iter().map(crate::tui::keymap::Key::short).collect();
            text::width(&keys.join(" "))
        })
        .max()
        .unwrap_or(8);
    let key_width = widest.min(22).min(width / 3).max(1);
    let mut lines: Vec<Line<'static>> = Vec::new();
    let scopes = app.view_scopes();
    let here = app.keymap.help_here(&scopes);
    let mut shown = std::collections::HashSet::new();
    if !here.is_empty() {
        lines.push(Line::from(Span::styled(
            format!("Here: {}", app.place_name()),
            t.section(),
        )));
        for (command, keys, help) in here {
            shown.insert(command);
            entry(&mut lines, &keys, help, key_width, width, t.key());
        }
    }
    for (group, rows) in app.keymap.help() {
        let rows: Vec<_> = rows
            .into_iter()
            .filter(|(c, _, _)| !shown.contains(c))
            .collect();
        if rows.is_empty() {
            continue;
        }
        if !lines.is_empty() {
            lines.push(Line::from(""));
        }
        lines.push(Line::from(Span::styled(group, t.section())));
        for (_, keys, help) in rows {
            entry(&mut lines, &keys, help, key_width, width, t.key());
        }
    }
    // The All enrollments view's query language, from the domain's table.
    lines.push(Line::from(""));
    paragraph(
        &mut lines,
        "The query (All enrollments: / edits it, tab completes, enter applies)",
        width,
        t.section(),
    );
    paragraph(
        &mut lines,
        "Terms separated by spaces, all of which must hold: key:value (\"quoted\" when it has spaces), the same key twice for either value, or plain words for name, email or company. The status chips and the stale toggle are its status: and is:stale.",
        width,
        t.base(),
    );
    for k in FILTER_KEYS {
        let help = match k.short {
            Some(short) => format!("{short}: · {}", k.help),
            None => k.help.to_string(),
        };
        entry(
            &mut lines,
            &format!("{}:", k.name),
            &help,
            key_width,
            width,
            t.key(),
        );
    }
    lines.push(Line::from(""));
    paragraph(
        &mut lines,
        "While typing in a filter or note: printable keys type, enter keeps, esc clears or cancels, backspace deletes.",
        width,
        t.dim(),
    );
    let file = match Keymap::config_path() {
        Some(path) => format!(
            "Keys can be changed in {} (see the keymap section of the README).",
            path.display()
        ),
        None => "Keys can be changed in keymap.toml in the config directory.".to_string(),
    };
    paragraph(&mut lines, &file, width, t.dim());
    lines
}

/// The `M` overlay's lines: the last status messages, newest first, whole.
pub fn message_lines(app: &App, width: usize) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut lines = Vec::new();
    if app.messages.is_empty() {
        paragraph(&mut lines, "No messages yet.", width, t.dim());
    }
    for (i, note) in app.messages.iter().rev().enumerate() {
        if i > 0 {
            lines.push(Line::from(""));
        }
        let style = match note.tone {
            Tone::Info => t.base(),
            Tone::Success => t.success(),
            Tone::Error => t.error(),
        };
        paragraph(&mut lines, &note.text, width, style);
    }
    lines
}

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let rect = frame_rect(area);
    let (width, _) = inner_size(app);
    let (title, lines) = if app.help_messages {
        (" Messages, newest first ", message_lines(app, width))
    } else {
        (" Keys ", key_lines(app, width))
    };
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .border_style(t.dialog_border())
        .title(Span::styled(title, t.title()))
        .title_bottom(Span::styled(" ↑↓ ^d ^u scroll · ? esc q close ", t.dim()));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let inner = Rect::new(
        inner.x + 1,
        inner.y,
        inner.width.saturating_sub(2),
        inner.height,
    );
    let max_scroll = lines.len().saturating_sub(inner.height as usize);
    let scroll = (app.help.unwrap_or(0) as usize).min(max_scroll);
    let shown: Vec<Line> = lines
        .into_iter()
        .skip(scroll)
        .take(inner.height as usize)
        .collect();
    frame.render_widget(Paragraph::new(shown), inner);
}
