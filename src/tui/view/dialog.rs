//! The dialogs, drawn over the screen: the unenroll confirmation (names
//! the contact or the count, the sequence, the status now, what the dry run
//! says will be cancelled, the reason picker, the note, the buttons) and
//! the sequence picker for enrolling, and the name of a list to save.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::domain::EndReason;
use crate::tui::action::Command;
use crate::tui::app::App;
use crate::tui::dialog::{
    Dialog, EnrollPicker, Field, Origin, Preview, SaveListDialog, UnenrollDialog, UnenrollPreview,
};
use crate::tui::text::{self, count, fit, pad, plural};

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    match &app.dialog {
        Some(Dialog::Unenroll(d)) => unenroll(app, d, frame, area),
        Some(Dialog::Enroll(p)) => enroll(app, p, frame, area),
        Some(Dialog::Manage(d)) => super::manage::draw(app, d, frame, area),
        Some(Dialog::SaveList(d)) => save_list(app, d, frame, area),
        None => {}
    }
}

/// Draws `lines` in a bordered box titled `title`, `width` wide, in the
/// middle of `area`, over whatever is below.
pub(super) fn boxed(
    app: &App,
    frame: &mut Frame,
    area: Rect,
    title: String,
    width: u16,
    lines: Vec<Line<'_>>,
) {
    let t = &app.theme;
    let rect = centered(area, width, lines.len() as u16 + 2);
    let block = Block::bordered()
        .border_style(t.dialog_border())
        .title(Span::styled(title, t.title()));
    draw_box(frame, rect, block, lines);
}

/// Draws `lines` inside `block` at `rect`, a column of margin on each
/// side, over whatever is below.
pub(crate) fn draw_box(frame: &mut Frame, rect: Rect, block: Block<'_>, lines: Vec<Line<'_>>) {
    frame.render_widget(Clear, rect);
    let body = block.inner(rect);
    frame.render_widget(block, rect);
    let body = Rect::new(
        body.x + 1,
        body.y,
        body.width.saturating_sub(2),
        body.height,
    );
    frame.render_widget(Paragraph::new(lines), body);
}

/// A box of `width` × `height` in the middle of `area`.
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width.saturating_sub(2)).max(10);
    let h = height.min(area.height.saturating_sub(2)).max(5);
    Rect::new(
        area.x + (area.width.saturating_sub(w)) / 2,
        area.y + (area.height.saturating_sub(h)) / 2,
        w,
        h,
    )
}

/// A dialog's two buttons, centred in `inner` cells; the focused one is
/// bracketed and highlighted.
pub(super) fn buttons(
    app: &App,
    go: &str,
    go_focused: bool,
    cancel_focused: bool,
    inner: usize,
) -> Line<'static> {
    let t = &app.theme;
    let button = |label: &str, focused: bool| {
        Span::styled(
            if focused {
                format!("[{label}]")
            } else {
                format!(" {label} ")
            },
            if focused {
                t.button_focused()
            } else {
                t.button()
            },
        )
    };
    let spans = [
        button(go, go_focused),
        Span::raw("   "),
        button(" Cancel ", cancel_focused),
    ];
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let mut row = vec![Span::raw(" ".repeat(inner.saturating_sub(used) / 2))];
    row.extend(spans);
    Line::from(row)
}

pub(super) fn key(app: &App, c: Command) -> String {
    app.keymap.first_key(c)
}

fn unenroll(app: &App, d: &UnenrollDialog, frame: &mut Frame, area: Rect) {
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
                (Origin::Enrollments, Some(e), _) => e
                    .sequence()
                    .map(|s| format!(" in '{}'", s.name))
                    .unwrap_or_default(),
                // Rows of any sequence: name it when there is one, else
                // say how many (the line below names each).
                (Origin::All, _, Preview::Ready(UnenrollPreview { counts, .. })) => {
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

/// The name to save the All view's query under.
fn save_list(app: &App, d: &SaveListDialog, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let width = 70.min(area.width.saturating_sub(2));
    let inner = width.saturating_sub(4) as usize;
    let query = d.filter.to_query();
    let mut lines = vec![
        Line::from(vec![
            Span::styled("Query  ", t.dim()),
            Span::styled(
                fit(
                    if query.is_empty() {
                        "(every enrollment)"
                    } else {
                        &query
                    },
                    inner.saturating_sub(7),
                ),
                t.input(),
            ),
        ]),
        Line::from(Span::styled(
            fit(
                &format!(
                    "It matches {} now.",
                    plural(d.count as i64, "enrollment", "enrollments")
                ),
                inner,
            ),
            t.base(),
        )),
        Line::from(""),
    ];
    // Keep the end of a long name (where the typing is) in view.
    let room = inner.saturating_sub(7);
    let mut chars: Vec<char> = text::clean(&d.name).chars().collect();
    while text::width(&chars.iter().collect::<String>()) > room.saturating_sub(1) {
        chars.remove(0);
    }
    let shown: String = chars.into_iter().collect();
    lines.push(Line::from(vec![
        Span::styled("Name   ", t.key()),
        Span::styled(format!("{shown}▏"), t.input()),
    ]));
    // A name in use: saving replaces that list's query (the domain says
    // whether this user may).
    let name = d.name.trim();
    if let Some(existing) = app
        .lists
        .list
        .iter()
        .find(|c| !name.is_empty() && c.list.name.eq_ignore_ascii_case(name))
    {
        lines.push(Line::from(Span::styled(
            fit(
                &format!(
                    "A list of this name exists (saved by {}); saving replaces its query.",
                    existing.list.created_by
                ),
                inner,
            ),
            t.error(),
        )));
    } else {
        lines.push(Line::from(Span::styled(
            fit("Shared with the team: anyone can open it.", inner),
            t.dim(),
        )));
    }
    if let Some(notice) = &d.notice {
        lines.push(Line::from(Span::styled(fit(notice, inner), t.error())));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        fit("enter saves · esc cancels", inner),
        t.dim(),
    )));
    boxed(
        app,
        frame,
        area,
        " Save the query as a list ".into(),
        width,
        lines,
    );
}

fn enroll(app: &App, p: &EnrollPicker, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let width = 70.min(area.width.saturating_sub(2));
    let inner = width.saturating_sub(4) as usize;
    // Room for the list once the preview (four lines) and the hints fit.
    let room = (area.height as usize).saturating_sub(14).clamp(3, 12);
    let chosen = p.selected.unwrap_or(0);
    let first = chosen.saturating_sub(room.saturating_sub(1));
    let mut lines = vec![
        Line::from(Span::styled(
            fit(&format!("Enroll {} in:", p.contact), inner),
            t.title(),
        )),
        Line::from(""),
    ];
    for (i, s) in p.sequences.iter().enumerate().skip(first).take(room) {
        let mut label = format!(
            "{} · {} steps · {} active",
            s.name,
            s.steps,
            count(s.active)
        );
        if s.archived {
            label.push_str(" · archived");
        }
        let style = if p.selected == Some(i) {
            t.focused()
        } else if s.archived {
            t.dim()
        } else {
            t.base()
        };
        // The chosen one is marked in text too (no colour, NO_COLOR).
        let mark = if p.selected == Some(i) { "›" } else { " " };
        lines.push(Line::from(Span::styled(
            pad(&format!("{mark} {label}"), inner),
            style,
        )));
    }
    if p.sequences.is_empty() {
        lines.push(Line::from(Span::styled("There are no sequences.", t.dim())));
    }
    lines.push(Line::from(""));
    // What confirming will do, from the domain: nothing until a sequence
    // is chosen.
    let preview: Vec<(String, Style)> = match &p.preview {
        Preview::None => vec![(
            "Nothing chosen yet: pick a sequence with ↑/↓.".into(),
            t.dim(),
        )],
        Preview::Loading => vec![("Working out the first step…".into(), t.dim())],
        Preview::Failed(why) => vec![(format!("Cannot enroll: {why}"), t.error())],
        Preview::Ready(e) => vec![
            (format!("Will enroll {}", e.contact), t.title()),
            (
                format!("in '{}' ({} steps)", e.sequence, e.steps),
                t.title(),
            ),
            (
                format!(
                    "step 1, due {} UTC: {} '{}'",
                    e.first_due_at.format("%Y-%m-%d %H:%M"),
                    e.first_kind.as_str().replace('_', " "),
                    e.first_text
                ),
                t.base(),
            ),
        ],
    };
    for (text, style) in preview {
        lines.push(Line::from(Span::styled(fit(&text, inner), style)));
    }
    if let Some(notice) = &p.notice {
        lines.push(Line::from(Span::styled(fit(notice, inner), t.error())));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        fit(
            &format!(
                "↑↓ choose · enter/{} enroll · {}/esc cancel",
                key(app, Command::Confirm),
                key(app, Command::Cancel)
            ),
            inner,
        ),
        t.dim(),
    )));
    boxed(
        app,
        frame,
        area,
        " Enroll in a sequence ".into(),
        width,
        lines,
    );
}
