//! The manager dialogs, drawn over the screen: pause / resume with its dry
//! run, undo of the last batch, and the transfer's owner picker and policy
//! preview (each open enrollment: sequence, enrolled by, step, next due,
//! what the policy does to it), and deleting a saved list.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::dialog::{boxed, buttons, key};
use crate::domain::{Skipped, TransferPolicy, skip_groups};
use crate::tui::action::Command;
use crate::tui::app::App;
use crate::tui::dialog::Preview;
use crate::tui::manage::{ManageDialog, ManageKind, ManagePreview};
use crate::tui::text::{count, fit, pad, plural};

pub fn draw(app: &App, d: &ManageDialog, frame: &mut Frame, area: Rect) {
    let width = 78.min(area.width.saturating_sub(2));
    let inner = width.saturating_sub(4) as usize;
    let room = area.height.saturating_sub(4) as usize;
    let (title, lines) = match &d.kind {
        ManageKind::Change { pause } => change(app, d, *pause, inner),
        ManageKind::Undo(_) => undo(app, d, inner),
        ManageKind::Transfer { .. } => transfer(app, d, inner, room),
        ManageKind::DeleteList { .. } => delete_list(app, d, inner),
    };
    boxed(app, frame, area, title, width, lines);
}

fn line(text: String, inner: usize, style: Style) -> Line<'static> {
    Line::from(Span::styled(fit(&text, inner), style))
}

/// The domain's skip reasons, grouped by code, commonest first.
fn skipped_lines(app: &App, skipped: &[Skipped], inner: usize, lines: &mut Vec<Line<'static>>) {
    for g in skip_groups(skipped).iter().take(3) {
        lines.push(line(
            format!("{} skipped: {}", count(g.count as i64), g.phrase),
            inner,
            app.theme.error(),
        ));
    }
}

/// The buttons, the notice and the key line every manager dialog ends with.
fn footer(app: &App, d: &ManageDialog, go: &str, inner: usize, lines: &mut Vec<Line<'static>>) {
    let t = &app.theme;
    lines.push(Line::from(""));
    lines.push(buttons(
        app,
        &format!(" {go} "),
        d.on_confirm,
        !d.on_confirm,
        inner,
    ));
    if let Some(notice) = &d.notice {
        lines.push(line(notice.clone(), inner, t.error()));
    }
    lines.push(line(
        format!(
            "{} confirm · {}/esc cancel · tab switches the buttons · enter presses the focused one",
            key(app, Command::Confirm),
            key(app, Command::Cancel)
        ),
        inner,
        t.dim(),
    ));
}

fn change(app: &App, d: &ManageDialog, pause: bool, inner: usize) -> (String, Vec<Line<'static>>) {
    let t = &app.theme;
    let (verb, would) = if pause {
        ("Pause", "Will pause")
    } else {
        ("Resume", "Will resume")
    };
    let n = d.targets.len() as i64;
    let title = format!(" {verb} {}? ", plural(n, "enrollment", "enrollments"));
    let mut lines = Vec::new();
    match app.shown_list().map(|e| e.sequence()) {
        Some(Some(s)) => lines.push(line(
            format!("{} in '{}'", plural(n, "contact", "contacts"), s.name),
            inner,
            t.title(),
        )),
        Some(None) => lines.push(line(
            format!("{} of All enrollments", plural(n, "contact", "contacts")),
            inner,
            t.title(),
        )),
        None => {}
    }
    lines.push(line(
        if pause {
            "Nothing is sent while an enrollment is paused.".into()
        } else {
            "Overdue steps move to now; the steps after keep their spacing.".into()
        },
        inner,
        t.base(),
    ));
    lines.push(Line::from(""));
    let mut go = verb.to_string();
    match &d.preview {
        Preview::Ready(ManagePreview::Change(r)) => {
            lines.push(line(
                format!(
                    "{would} {}",
                    plural(r.changed.len() as i64, "enrollment", "enrollments")
                ),
                inner,
                t.title(),
            ));
            skipped_lines(app, &r.skipped, inner, &mut lines);
            go = format!("{verb} {}", count(r.changed.len() as i64));
        }
        Preview::Failed(why) => lines.push(line(why.to_string(), inner, t.error())),
        _ => lines.push(line("Working out what will change…".into(), inner, t.dim())),
    }
    footer(app, d, &go, inner, &mut lines);
    (title, lines)
}

fn undo(app: &App, d: &ManageDialog, inner: usize) -> (String, Vec<Line<'static>>) {
    let t = &app.theme;
    let ManageKind::Undo(c) = &d.kind else {
        return (String::new(), Vec::new());
    };
    let enroll = c.action == "enroll";
    let verb = match c.action.as_str() {
        "enroll" => "enrolled",
        "transfer" => "transferred",
        _ => "unenrolled",
    };
    let mut lines = vec![
        line(
            format!(
                "Batch {} · {} · reason {}",
                c.batch,
                plural(c.count, "enrollment", "enrollments"),
                c.reason.as_deref().unwrap_or("-")
            ),
            inner,
            t.title(),
        ),
        line(
            format!("{verb} at {} UTC", c.at.format("%Y-%m-%d %H:%M")),
            inner,
            t.base(),
        ),
    ];
    if !c.detail.is_empty() {
        lines.push(line(c.detail.clone(), inner, t.dim()));
    }
    lines.push(Line::from(""));
    let text: &[&str] = if enroll {
        &[
            "Each enrollment it made that is still active at step 1, with nothing",
            "sent and no task created, ends (unenrolled, reason other, the undo",
            "named in its note); its scheduled steps are cancelled.",
        ]
    } else {
        &[
            "Each one still unenrolled by this batch returns to its status and step,",
            "its steps are scheduled again and its removed tasks reopen. Contacts",
            "enrolled elsewhere since, or opted out, stay as they are.",
        ]
    };
    for text in text {
        lines.push(line(text.to_string(), inner, t.base()));
    }
    if c.action == "transfer" {
        lines.push(line(
            "The new owners and any reassignments stay.".into(),
            inner,
            t.base(),
        ));
    }
    footer(app, d, "Undo", inner, &mut lines);
    let what = match c.action.as_str() {
        "enroll" => "enroll",
        "transfer" => "transfer",
        _ => "unenroll",
    };
    (format!(" Undo your last {what} ({})? ", c.batch), lines)
}

fn delete_list(app: &App, d: &ManageDialog, inner: usize) -> (String, Vec<Line<'static>>) {
    let t = &app.theme;
    let ManageKind::DeleteList {
        name,
        query,
        count: matches,
        saved_by,
    } = &d.kind
    else {
        return (String::new(), Vec::new());
    };
    let mut lines = vec![
        line(format!("'{name}', saved by {saved_by}"), inner, t.title()),
        line(
            if query.is_empty() {
                "query: every enrollment".to_string()
            } else {
                format!("query: {query}")
            },
            inner,
            t.base(),
        ),
        Line::from(""),
        line(
            format!(
                "It matches {} now; they do not change.",
                plural(*matches, "enrollment", "enrollments")
            ),
            inner,
            t.base(),
        ),
        line(
            "The list is gone for the whole team.".into(),
            inner,
            t.base(),
        ),
    ];
    footer(app, d, "Delete", inner, &mut lines);
    (" Delete this saved list? ".to_string(), lines)
}

fn transfer(
    app: &App,
    d: &ManageDialog,
    inner: usize,
    room: usize,
) -> (String, Vec<Line<'static>>) {
    let t = &app.theme;
    let ManageKind::Transfer {
        users,
        owner,
        policy,
    } = &d.kind
    else {
        return (String::new(), Vec::new());
    };
    let n = d.targets.len() as i64;
    let title = format!(
        " New owner for the contacts of {} ",
        plural(n, "enrollment", "enrollments")
    );
    let mut lines = Vec::new();
    let Some(p) = policy else {
        lines.push(line("Choose the new owner:".into(), inner, t.title()));
        let shown = room.saturating_sub(6).clamp(3, 12);
        let first = owner.saturating_sub(shown.saturating_sub(1));
        for (i, u) in users.iter().enumerate().skip(first).take(shown) {
            let label = format!(
                " {} {} · {} · {} {}",
                if i == *owner { "(•)" } else { "( )" },
                u.name,
                u.email,
                u.role.as_str(),
                u.team
            );
            let style = if i == *owner { t.focused() } else { t.base() };
            lines.push(Line::from(Span::styled(
                pad(&fit(&label, inner), inner),
                style,
            )));
        }
        lines.push(Line::from(""));
        lines.push(line(
            format!(
                "↑↓ choose · enter next · {}/esc cancel",
                key(app, Command::Cancel)
            ),
            inner,
            t.dim(),
        ));
        return (title, lines);
    };
    let to = users.get(*owner);
    lines.push(line(
        format!(
            "To {}",
            to.map_or("?".into(), |u| format!("{} ({})", u.name, u.email))
        ),
        inner,
        t.title(),
    ));
    lines.push(Line::from(Span::styled(
        "Their open enrollments (↑/↓ to change):",
        t.base(),
    )));
    for (i, policy) in TransferPolicy::ALL.iter().enumerate() {
        let what = match policy {
            TransferPolicy::Keep => "keep: run on under whoever enrolled them",
            TransferPolicy::Reassign => "reassign: future emails and tasks move to the new owner",
            TransferPolicy::Unenroll => "unenroll: end them (ownership changed)",
        };
        let chosen = i == *p;
        lines.push(line(
            format!("{} {what}", if chosen { "(•)" } else { "( )" }),
            inner,
            if chosen { t.button_focused() } else { t.base() },
        ));
    }
    lines.push(Line::from(""));
    let mut go = "Transfer".to_string();
    match &d.preview {
        Preview::Ready(ManagePreview::Transfer(r)) => {
            let rows = room.saturating_sub(lines.len() + 9).clamp(1, 8);
            lines.push(Line::from(Span::styled(
                fit(
                    &format!(
                        "{} {} {} {} {}",
                        pad("Contact", 22),
                        pad("Sequence", 18),
                        pad("Enrolled by", 12),
                        pad("Step", 5),
                        "Does"
                    ),
                    inner,
                ),
                t.table_header(),
            )));
            for item in r.enrollments.iter().take(rows) {
                let does = match &item.why {
                    Some(why) => format!("{} ({why})", item.action),
                    None => item.action.clone(),
                };
                lines.push(line(
                    format!(
                        "{} {} {} {} {}",
                        pad(&fit(&item.contact, 22), 22),
                        pad(&fit(&item.sequence, 18), 18),
                        pad(
                            &fit(crate::tui::text::local_part(&item.enrolled_by), 12),
                            12
                        ),
                        pad(&format!("{}/{}", item.step, item.steps), 5),
                        does
                    ),
                    inner,
                    t.base(),
                ));
            }
            if r.enrollments.len() > rows {
                lines.push(line(
                    format!("… and {} more", count((r.enrollments.len() - rows) as i64)),
                    inner,
                    t.dim(),
                ));
            }
            if r.enrollments.is_empty() {
                lines.push(line("No open enrollments.".into(), inner, t.dim()));
            }
            lines.push(line(r.summary(), inner, t.title()));
            skipped_lines(app, &r.contacts_skipped, inner, &mut lines);
            go = format!("Transfer {}", count(r.contacts.len() as i64));
        }
        Preview::Failed(why) => lines.push(line(why.to_string(), inner, t.error())),
        _ => lines.push(line("Preparing the preview…".into(), inner, t.dim())),
    }
    footer(app, d, &go, inner, &mut lines);
    (title, lines)
}
