//! The `?` overlay, written from the keymap table itself, and the query
//! language of the All enrollments view from the domain's key table.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::domain::FILTER_KEYS;
use crate::tui::app::App;
use crate::tui::text::{fit, pad, wrap};

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let width = 96.min(area.width.saturating_sub(2));
    let rect = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + 1,
        width,
        area.height.saturating_sub(2),
    );
    let inner_width = width.saturating_sub(4) as usize;
    let key_width = 22.min(inner_width / 3);
    let mut lines = Vec::new();
    for (group, rows) in app.keymap.help() {
        if !lines.is_empty() {
            lines.push(Line::from(""));
        }
        lines.push(Line::from(Span::styled(group, t.section())));
        for (keys, help) in rows {
            lines.push(Line::from(vec![
                Span::styled(pad(&keys, key_width), t.key()),
                Span::raw(" "),
                Span::raw(fit(help, inner_width.saturating_sub(key_width + 1))),
            ]));
        }
    }
    // The All enrollments view's query language, from the domain's table.
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "The query (All enrollments: / edits it, tab completes, enter applies)",
        t.section(),
    )));
    for row in wrap(
        "Terms separated by spaces, all of which must hold: key:value (\"quoted\" when it has spaces), the same key twice for either value, or plain words for name, email or company. The status chips and the stale toggle are its status: and is:stale.",
        inner_width,
    ) {
        lines.push(Line::from(Span::raw(row)));
    }
    for k in FILTER_KEYS {
        let help = match k.short {
            Some(short) => format!("{short}: · {}", k.help),
            None => k.help.to_string(),
        };
        lines.push(Line::from(vec![
            Span::styled(pad(&format!("{}:", k.name), key_width), t.key()),
            Span::raw(" "),
            Span::raw(fit(&help, inner_width.saturating_sub(key_width + 1))),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "While typing in a filter or note: printable keys type, enter keeps, esc clears or cancels, backspace deletes.",
        t.dim(),
    )));
    lines.push(Line::from(Span::styled(
        "Keys can be changed in keymap.toml in the config directory.",
        t.dim(),
    )));
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .border_style(t.dialog_border())
        .title(Span::styled(" Keys ", t.title()))
        .title_bottom(Span::styled(" ↑↓ scroll · any other key closes ", t.dim()));
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
        .map(|l| {
            // Long help lines are cut, not wrapped, so scrolling stays simple.
            let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            if crate::tui::text::width(&text) > inner.width as usize && l.spans.len() == 1 {
                Line::from(Span::styled(
                    fit(&text, inner.width as usize),
                    l.spans[0].style,
                ))
            } else {
                l
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(shown), inner);
}
