//! Ownership transfer (R10): the owner picker, then the policy with the
//! domain's preview of each open enrollment.

use ratatui::text::{Line, Span};

use super::Preview;
use super::manage::{ManageDialog, ManageKind, ManagePreview, footer, line, skipped_lines};
use crate::domain::TransferPolicy;
use crate::tui::app::App;
use crate::tui::text::{count, fit, pad, plural};

use crate::tui::app::Tone;
use crate::tui::dialogs::Dialog;
use crate::tui::update::list_targets;

pub(super) fn lines(
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
        filter,
        shown,
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
        lines.push(line(
            format!("Choose the new owner: {}▏", crate::tui::text::clean(filter)),
            inner,
            t.title(),
        ));
        let rows = room.saturating_sub(6).clamp(3, 12);
        let at = shown.iter().position(|i| i == owner).unwrap_or(0);
        let first = at.saturating_sub(rows.saturating_sub(1));
        if shown.is_empty() {
            lines.push(line("No user matches.".into(), inner, t.dim()));
        }
        for &i in shown.iter().skip(first).take(rows) {
            let u = &users[i];
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
            "type to find · ↑↓ choose · enter next · esc cancel".into(),
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

/// `o`: pick the new owner of the targets' contacts, then the policy.
pub fn open(app: &mut App) {
    let Some(targets) = list_targets(app, "transfer") else {
        return;
    };
    // The users come from the reader (at start and on every refresh).
    if app.team.is_empty() {
        app.say(Tone::Info, "Still reading the team; one moment.");
        return;
    }
    let mut d = ManageDialog::transfer(targets, app.team.clone());
    d.generation = app.next_generation();
    app.dialog = Some(Dialog::Manage(Box::new(d)));
}
