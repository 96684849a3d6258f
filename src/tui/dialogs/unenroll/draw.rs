//! The unenroll dialog drawn: who and what it takes, the reason list, the
//! note, the dry run's counts, and the buttons.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::{Field, Screen, UnenrollDialog, UnenrollPreview};
use crate::domain::EndReason;
use crate::tui::action::Command;
use crate::tui::app::App;
use crate::tui::dialogs::{Preview, boxed, buttons, key};
use crate::tui::text::{self, count, fit, pad, plural};

pub fn draw(app: &App, d: &UnenrollDialog, frame: &mut Frame, area: Rect) {
    let width = 78.min(area.width.saturating_sub(2));
    // The roomiest layout that fits: the reason grid and every group of
    // skipped rows; then the reasons on one line; then one skipped line.
    let room = area.height.saturating_sub(4) as usize;
    let mut lines = unenroll_lines(app, d, width, false, 3);
    if lines.len() > room {
        lines = unenroll_lines(app, d, width, true, 3);
    }
    if lines.len() > room {
        lines = unenroll_lines(app, d, width, true, 0);
    }
    let title = if d.targets.len() == 1 {
        " Unenroll this enrollment? ".to_string()
    } else {
        format!(" Unenroll {} enrollments? ", count(d.targets.len() as i64))
    };
    boxed(app, frame, area, title, width, lines);
}

fn unenroll_lines<'a>(
    app: &App,
    d: &UnenrollDialog,
    width: u16,
    compact: bool,
    skip_groups: usize,
) -> Vec<Line<'a>> {
    let t = &app.theme;
    let inner = width.saturating_sub(4) as usize;
    let line = |s: String, style: Style| Line::from(Span::styled(fit(&s, inner), style));
    let mut lines: Vec<Line> = Vec::new();

    // What will change, as the person must recognise it.
    match &d.single {
        Some(target) => {
            lines.push(line(
                format!("{} in '{}'", target.contact, target.sequence),
                t.title(),
            ));
            lines.push(line(
                format!(
                    "now {}, at step {} of {}",
                    target.status_text(),
                    target.step,
                    target.steps
                ),
                t.status(target.status),
            ));
        }
        None => {
            let sequence = match (d.origin, &app.enrollments, &d.preview) {
                (Screen::Enrollments, Some(e), _) => e
                    .sequence()
                    .map(|s| format!(" in '{}'", s.name))
                    .unwrap_or_default(),
                // Rows of any sequence: name it when there is one, else
                // say how many (the line below names each).
                (Screen::All, _, Preview::Ready(UnenrollPreview { counts, .. })) => {
                    let mut names: Vec<&String> = counts.iter().map(|c| &c.0).collect();
                    names.sort();
                    names.dedup();
                    match names.as_slice() {
                        [] => String::new(),
                        [one] => format!(" in '{one}'"),
                        many => format!(" in {} sequences", many.len()),
                    }
                }
                _ => String::new(),
            };
            lines.push(line(
                format!("{} contacts{sequence}", count(d.targets.len() as i64)),
                t.title(),
            ));
            let now = match &d.preview {
                Preview::Ready(UnenrollPreview { counts, .. }) if !counts.is_empty() => {
                    let multi = counts
                        .iter()
                        .map(|c| &c.0)
                        .collect::<std::collections::HashSet<_>>()
                        .len()
                        > 1;
                    let parts: Vec<String> = counts
                        .iter()
                        .map(|(seq, status, n)| {
                            if multi {
                                format!("{} {status} in '{seq}'", count(*n))
                            } else {
                                format!("{} {status}", count(*n))
                            }
                        })
                        .collect();
                    format!("now {}", parts.join(" · "))
                }
                Preview::Ready(_) => "none of them exists any more".into(),
                _ => "now …".into(),
            };
            lines.push(line(now, t.base()));
        }
    }
    if d.hidden > 0 {
        lines.push(line(
            format!(
                "{} of them are marked but hidden by the current filter",
                count(d.hidden as i64)
            ),
            t.error(),
        ));
    }
    lines.push(Line::from(""));
    match &d.preview {
        Preview::None | Preview::Loading => {
            lines.push(line("Counting what will be cancelled…".into(), t.dim()))
        }
        Preview::Failed(why) => lines.push(line(why.to_string(), t.error())),
        Preview::Ready(UnenrollPreview { report, .. }) => {
            lines.push(line(
                format!(
                    "Will unenroll {}, which cancels:",
                    plural(report.unenrolled.len() as i64, "enrollment", "enrollments")
                ),
                t.base(),
            ));
            lines.push(line(
                format!(
                    "  {} ({} in all) and {}",
                    plural(
                        report.emails_cancelled,
                        "scheduled email",
                        "scheduled emails"
                    ),
                    plural(report.steps_cancelled, "scheduled step", "scheduled steps"),
                    plural(report.tasks_removed, "open task", "open tasks")
                ),
                t.title(),
            ));
            if !report.skipped.is_empty() {
                // The domain's reasons, grouped by code: the commonest first.
                let groups = crate::domain::skip_groups(&report.skipped);
                let skipped = count(report.skipped.len() as i64);
                if groups.len() == 1 {
                    lines.push(line(
                        format!("{skipped} will be skipped: {}", groups[0].phrase),
                        t.error(),
                    ));
                } else {
                    lines.push(line(format!("{skipped} will be skipped:"), t.error()));
                    for g in groups.iter().take(skip_groups) {
                        lines.push(line(
                            format!("  {} {}", count(g.count as i64), g.phrase),
                            t.error(),
                        ));
                    }
                    if groups.len() > skip_groups {
                        let rest: i64 = groups[skip_groups..].iter().map(|g| g.count as i64).sum();
                        lines.push(line(
                            format!(
                                "  {} for {} other reasons",
                                count(rest),
                                groups.len() - skip_groups
                            ),
                            t.error(),
                        ));
                    }
                }
            }
        }
    }
    lines.push(Line::from(""));

    // The reason picker: two columns when there is room.
    let focus_style = |f: Field| if d.focus == f { t.key() } else { t.title() };
    lines.push(Line::from(vec![
        Span::styled("Reason", focus_style(Field::Reason)),
        Span::styled(
            match d.reason() {
                Some(_) => "  (↑/↓ to change)".to_string(),
                None => "  (↑/↓ to choose; required)".to_string(),
            },
            t.dim(),
        ),
    ]));
    let reasons = EndReason::MANUAL;
    let columns = if inner >= 70 { 2 } else { 1 };
    let per_column = reasons.len().div_ceil(columns);
    let cell = inner / columns;
    if !compact {
        for r in 0..per_column {
            let mut spans = Vec::new();
            for c in 0..columns {
                let i = c * per_column + r;
                if let Some(reason) = reasons.get(i) {
                    let chosen = d.reason == Some(i);
                    let label =
                        format!("{} {}", if chosen { "(•)" } else { "( )" }, reason.label());
                    let style = if chosen {
                        if d.focus == Field::Reason {
                            t.button_focused()
                        } else {
                            t.title()
                        }
                    } else {
                        t.base()
                    };
                    spans.push(Span::styled(pad(&label, cell.saturating_sub(1)), style));
                    spans.push(Span::raw(" "));
                }
            }
            lines.push(Line::from(spans));
        }
    } else {
        let label = d.reason().map(|r| r.label()).unwrap_or("— none chosen —");
        lines.push(Line::from(Span::styled(
            format!("‹ {label} ›"),
            if d.focus == Field::Reason {
                t.button_focused()
            } else {
                t.title()
            },
        )));
    }

    // The note.
    let note = if d.note.is_empty() && d.focus != Field::Note {
        Span::styled("optional", t.dim())
    } else if d.focus == Field::Note {
        let room = inner.saturating_sub(8);
        let shown = text::clean(&d.note);
        // Keep the end of a long note (where the typing is) in view.
        let tail: String = {
            let mut chars: Vec<char> = shown.chars().collect();
            while text::width(&chars.iter().collect::<String>()) > room.saturating_sub(1) {
                chars.remove(0);
            }
            chars.into_iter().collect()
        };
        Span::styled(format!("{tail}▏"), t.input())
    } else {
        Span::styled(fit(&d.note, inner.saturating_sub(8)), t.input())
    };
    lines.push(Line::from(vec![
        Span::styled("Note  ", focus_style(Field::Note)),
        note,
    ]));
    lines.push(Line::from(""));

    // The buttons.
    let go = match (&d.preview, &d.single) {
        (Preview::Ready(UnenrollPreview { report, .. }), None) => {
            format!(" Unenroll {} ", count(report.unenrolled.len() as i64))
        }
        _ => " Unenroll ".to_string(),
    };
    lines.push(buttons(
        app,
        &go,
        d.focus == Field::Confirm,
        d.focus == Field::Cancel,
        inner,
    ));
    if let Some(notice) = &d.notice {
        lines.push(line(notice.clone(), t.error()));
    }
    lines.push(line(
        format!(
            "{} confirm · {}/esc cancel · tab next field · enter presses the focused one",
            key(app, Command::Confirm),
            key(app, Command::Cancel)
        ),
        t.dim(),
    ));

    lines
}
