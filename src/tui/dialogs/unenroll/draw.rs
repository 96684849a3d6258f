//! The unenroll dialog drawn: who and what it takes, the dry run's counts
//! and the rows it skips (each reason whole), the reason list, the note,
//! and the buttons (only Close when nothing can be unenrolled).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::{Field, Screen, UnenrollDialog, UnenrollPreview};
use crate::domain::EndReason;
use crate::tui::action::Command;
use crate::tui::app::App;
use crate::tui::dialogs::hanging;
use crate::tui::dialogs::{Preview, boxed, button, buttons, key};
use crate::tui::text::{self, count, fit, pad, plural};

pub fn draw(app: &App, d: &UnenrollDialog, frame: &mut Frame, area: Rect) {
    let width = 78.min(area.width.saturating_sub(2));
    let inner = width.saturating_sub(4) as usize;
    // The roomiest layout that fits: the reason grid and every skip
    // sentence; then the reasons on one line; then the skip sentences
    // that fit from the one page down reached, each still whole.
    let room = area.height.saturating_sub(4) as usize;
    let skipped = skipped_lines(app, d, inner);
    let every = Shown {
        from: 0,
        to: skipped.sentences.len(),
    };
    let mut lines = unenroll_lines(app, d, width, false, &skipped, every);
    if lines.len() > room {
        lines = unenroll_lines(app, d, width, true, &skipped, every);
    }
    if lines.len() > room && skipped.sentences.len() > 1 {
        let all: usize = skipped.sentences.iter().map(Vec::len).sum();
        // What is left once the sentences are out and the line saying
        // which of them show is in.
        let mut free = (room + all).saturating_sub(lines.len() + 1);
        let from = d.reasons_from.min(skipped.sentences.len() - 1);
        let mut to = from;
        for sentence in &skipped.sentences[from..] {
            if to > from && sentence.len() > free {
                break;
            }
            free = free.saturating_sub(sentence.len());
            to += 1;
        }
        lines = unenroll_lines(app, d, width, true, &skipped, Shown { from, to });
    }
    let title = if d.targets.len() == 1 {
        " Unenroll this enrollment? ".to_string()
    } else {
        format!(" Unenroll {} enrollments? ", count(d.targets.len() as i64))
    };
    boxed(app, frame, area, title, width, lines);
}

/// The dry run's skipped rows as the dialog lists them: grouped by the
/// domain's code (commonest first), each distinct sentence of a code with
/// how many rows it is about, wrapped whole to the dialog's width — every
/// person who may is named, none cut at the border (R12).
struct Skipped {
    /// "6 will be skipped:" above the sentences when there are several
    /// (with how many of each code, when there are several codes).
    head: Vec<Line<'static>>,
    /// One entry per distinct sentence, its wrapped lines.
    sentences: Vec<Vec<Line<'static>>>,
}

/// Which of the skip sentences are on screen: `from..to`.
#[derive(Clone, Copy)]
struct Shown {
    from: usize,
    to: usize,
}

fn skipped_lines(app: &App, d: &UnenrollDialog, inner: usize) -> Skipped {
    let style = app.theme.error();
    let mut out = Skipped {
        head: Vec::new(),
        sentences: Vec::new(),
    };
    let Preview::Ready(UnenrollPreview { report, .. }) = &d.preview else {
        return out;
    };
    if report.skipped.is_empty() {
        return out;
    }
    let skipped = count(report.skipped.len() as i64);
    let groups = crate::domain::skip_groups(&report.skipped);
    let sentences: Vec<&(String, usize)> = groups.iter().flat_map(|g| &g.sentences).collect();
    if let [(why, _)] = sentences.as_slice() {
        out.sentences.push(hanging(
            0,
            &format!("{skipped} will be skipped: {why}"),
            2,
            inner,
            style,
        ));
        return out;
    }
    let codes = match groups.as_slice() {
        [_] => String::new(),
        many => {
            let each: Vec<String> = many
                .iter()
                .map(|g| format!("{} {}", count(g.count as i64), g.code.label()))
                .collect();
            format!(" ({})", each.join(", "))
        }
    };
    out.head = hanging(
        0,
        &format!("{skipped} will be skipped{codes}:"),
        2,
        inner,
        style,
    );
    for (why, n) in sentences {
        let n = count(*n as i64);
        let indent = 2 + text::width(&n) + 1;
        out.sentences
            .push(hanging(2, &format!("{n} {why}"), indent, inner, style));
    }
    out
}

fn unenroll_lines<'a>(
    app: &App,
    d: &UnenrollDialog,
    width: u16,
    compact: bool,
    skipped: &Skipped,
    shown: Shown,
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
        Preview::Ready(_) if d.nothing_to_unenroll() => {
            // Said before anything is chosen, not after y.
            lines.push(line("Nothing here can be unenrolled.".into(), t.title()));
        }
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
        }
    }
    lines.extend(skipped.head.iter().cloned());
    for sentence in &skipped.sentences[shown.from..shown.to] {
        lines.extend(sentence.iter().cloned());
    }
    let total = skipped.sentences.len();
    if shown.to - shown.from < total {
        let which = if shown.to - shown.from == 1 {
            format!("reason {} of {}", shown.from + 1, total)
        } else {
            format!("reasons {}–{} of {}", shown.from + 1, shown.to, total)
        };
        lines.push(line(
            format!(
                "{which} · {}/{} for the others",
                key(app, Command::PageDown),
                key(app, Command::PageUp)
            ),
            t.dim(),
        ));
    }
    lines.push(Line::from(""));

    if d.nothing_to_unenroll() {
        // No reason to choose, no note: closing is all there is to do.
        lines.push(button(app, " Close ", inner));
        if let Some(notice) = &d.notice {
            lines.push(line(notice.clone(), t.error()));
        }
        lines.push(line(
            format!("{}/esc/enter close", key(app, Command::Cancel)),
            t.dim(),
        ));
        return lines;
    }

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
