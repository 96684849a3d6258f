//! The hint bar: the keys of the screen on show, from the keymap table.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::app::{App, Screen};
use crate::tui::text::{self};

pub fn hint_bar(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let dialog_hints = app
        .dialog
        .as_ref()
        .filter(|_| app.typing())
        .and_then(|d| d.typing_hints());
    let pairs: Vec<(String, String)> = if let Some(hints) = dialog_hints {
        hints
            .into_iter()
            .map(|(k, h)| (k.to_string(), h.to_string()))
            .collect()
    } else if app.typing() && app.dialog.is_none() && app.screen() == Screen::All {
        vec![
            ("typing".into(), "the query".into()),
            (
                app.keymap.first_key(crate::tui::action::Command::Complete),
                "complete".into(),
            ),
            ("↑↓".into(), "choose".into()),
            ("enter".into(), "apply".into()),
            ("esc".into(), "cancel".into()),
        ]
    } else if app.typing() && app.dialog.is_some() {
        vec![
            ("typing".into(), "the note".into()),
            ("enter".into(), "done".into()),
            ("esc".into(), "cancel".into()),
            ("↑↓".into(), "move".into()),
        ]
    } else if app.typing() {
        // A list's filter: enter and esc leave the box, keeping it.
        vec![
            ("typing".into(), "the filter".into()),
            ("enter/esc".into(), "keep it".into()),
            ("↑↓".into(), "move".into()),
        ]
    } else if app.help.is_some() {
        vec![
            ("↑↓ ^d ^u".into(), "scroll".into()),
            ("? esc q".into(), "close".into()),
        ]
    } else {
        app.keymap
            // `U` only while a batch of this user's can be undone; in a
            // dialog, what it offers now.
            .hints(&app.scopes(), |c| {
                (c != crate::tui::action::Command::Undo || app.undo_minutes_left().is_some())
                    && app.dialog.as_ref().is_none_or(|d| d.offers(c))
            })
            .into_iter()
            .map(|(k, h)| (k, h.to_string()))
            .collect()
    };
    // The help key always makes it into the bar: it is the way to the rest;
    // so does undo while a batch can be undone (it expires).
    let help_key = app.keymap.first_key(crate::tui::action::Command::Help);
    let undo_key = app.keymap.first_key(crate::tui::action::Command::Undo);
    let (pairs, tail): (Vec<_>, Vec<_>) = pairs.into_iter().partition(|(key, hint)| {
        !(key == &help_key && hint == "help" || key == &undo_key && hint == "undo")
    });
    let piece = |key: &str, hint: &str| text::width(key) + 1 + text::width(hint) + 2;
    let reserved: usize = tail.iter().map(|(k, h)| piece(k, h)).sum();
    let mut spans = Vec::new();
    let mut used = 1 + reserved;
    spans.push(Span::raw(" "));
    for (key, hint) in pairs {
        let w = piece(&key, &hint);
        if used + w > area.width as usize {
            break;
        }
        used += w;
        spans.push(Span::styled(key, t.key()));
        spans.push(Span::styled(format!(" {hint}  "), t.dim()));
    }
    for (key, hint) in tail {
        spans.push(Span::styled(key, t.key()));
        spans.push(Span::styled(format!(" {hint}  "), t.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
