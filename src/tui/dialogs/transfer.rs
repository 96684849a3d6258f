//! Ownership transfer (R10): the owner picker, then the policy with the
//! domain's preview of each open enrollment.

use ratatui::text::{Line, Span};

use super::manage::{ManageDialog, ManageKind, ManagePreview, footer_with, line, skipped_lines};
use super::{Outcome, Preview};
use crate::domain::TransferPolicy;
use crate::tui::action::Action;
use crate::tui::action::Command;
use crate::tui::app::App;
use crate::tui::text::{count, fit, pad, plural};

use crate::tui::app::Tone;
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
        from_step,
        scroll,
        focus,
        filter,
        shown,
        ..
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
    let cue = |f: Focus| if *focus == f { "›" } else { " " };
    lines.push(Line::from(Span::styled(
        format!("{}Their open enrollments:", cue(Focus::Policy)),
        t.base(),
    )));
    for (i, policy) in TransferPolicy::ALL.iter().enumerate() {
        let what = match policy {
            TransferPolicy::Keep => "keep: run on under whoever enrolled them".to_string(),
            TransferPolicy::Reassign => {
                "reassign: future emails and tasks move to the new owner".to_string()
            }
            // The end reason by the one label every screen uses.
            TransferPolicy::Unenroll => format!(
                "unenroll: end them ({})",
                crate::domain::EndReason::OwnershipChanged.label()
            ),
        };
        let chosen = i == *p;
        lines.push(line(
            format!(" {} {what}", if chosen { "(•)" } else { "( )" }),
            inner,
            if chosen { t.button_focused() } else { t.base() },
        ));
    }
    lines.push(line(
        format!(
            "{}Apply it to: {}",
            cue(Focus::FromStep),
            match from_step {
                None => "enrollments at every step".to_string(),
                Some(n) => format!("enrollments at step {n} or later (the others keep running)"),
            }
        ),
        inner,
        if *focus == Focus::FromStep {
            t.focused()
        } else {
            t.base()
        },
    ));
    let mut go = "Transfer".to_string();
    match &d.preview {
        Preview::Ready(ManagePreview::Transfer(r)) => {
            // The refusals are shown whole: the rows give way to them.
            let mut skipped = Vec::new();
            skipped_lines(app, &r.contacts_skipped, inner, &mut skipped);
            let rows = room
                .saturating_sub(lines.len() + 8 + skipped.len().max(1))
                .max(1);
            let total = r.enrollments.len();
            let first = (*scroll).min(total.saturating_sub(rows));
            lines.push(Line::from(Span::styled(
                fit(
                    &format!(
                        "{}{} {} {} {} {}",
                        cue(Focus::Rows),
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
            for item in r.enrollments.iter().skip(first).take(rows) {
                let does = match &item.why {
                    Some(why) => format!("{} ({why})", item.action),
                    None => item.action.to_string(),
                };
                lines.push(line(
                    format!(
                        " {} {} {} {} {}",
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
            if total > rows {
                lines.push(line(
                    format!(
                        "rows {}–{} of {} · tab to the list, then ↑↓ pgup pgdn g G scroll",
                        count(first as i64 + 1),
                        count((first + rows).min(total) as i64),
                        count(total as i64)
                    ),
                    inner,
                    t.dim(),
                ));
            }
            if r.enrollments.is_empty() {
                lines.push(line("No open enrollments.".into(), inner, t.dim()));
            }
            lines.push(line(r.summary(), inner, t.title()));
            lines.extend(skipped);
            go = format!("Transfer {}", count(r.contacts.len() as i64));
        }
        Preview::Failed(why) => lines.push(line(why.to_string(), inner, t.error())),
        _ => lines.push(line("Preparing the preview…".into(), inner, t.dim())),
    }
    footer_with(
        app,
        d,
        &go,
        inner,
        &mut lines,
        "tab: policy, step, rows, buttons · pgup/pgdn scroll",
    );
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
    let default = app.rules.transfer_policy;
    let mut d = ManageDialog::transfer_from(targets, app.team.clone(), default);
    d.generation = app.next_generation();
    app.dialog = Some(Box::new(d));
}

/// What ↑/↓ move once the owner is chosen: the policy, the step it applies
/// from, or the preview's rows. Tab goes round them and the buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Policy,
    FromStep,
    Rows,
    Buttons,
}

/// The policy step's keys (`None`: the shared handling applies — the owner
/// step, cancel, confirm).
pub(super) fn handle(d: &mut ManageDialog, action: &Action) -> Option<Outcome> {
    let rows_total = match &d.preview {
        Preview::Ready(ManagePreview::Transfer(r)) => r.enrollments.len(),
        _ => 0,
    };
    let last_step = match &d.preview {
        Preview::Ready(ManagePreview::Transfer(r)) => {
            r.enrollments.iter().map(|i| i.steps).max().unwrap_or(2)
        }
        _ => 2,
    }
    .max(2);
    let ManageKind::Transfer {
        policy: Some(_),
        from_step,
        scroll,
        focus,
        ..
    } = &mut d.kind
    else {
        return None;
    };
    let Action::Command(command) = action else {
        return None;
    };
    let page = 8;
    let scroll_to = |scroll: &mut usize, to: usize| {
        *scroll = to.min(rows_total.saturating_sub(1));
        Some(Outcome::Stay)
    };
    match command {
        Command::NextField | Command::PrevField => {
            let order = [Focus::Policy, Focus::FromStep, Focus::Rows, Focus::Buttons];
            let at = order.iter().position(|f| f == focus).unwrap_or(0);
            let next = if *command == Command::NextField {
                (at + 1) % order.len()
            } else {
                (at + order.len() - 1) % order.len()
            };
            *focus = order[next];
            d.on_confirm = *focus == Focus::Buttons;
            Some(Outcome::Stay)
        }
        Command::PageDown => scroll_to(scroll, *scroll + page),
        Command::PageUp => scroll_to(scroll, scroll.saturating_sub(page)),
        Command::Top => scroll_to(scroll, 0),
        Command::Bottom => scroll_to(scroll, rows_total),
        Command::Up | Command::Down => {
            let delta: i64 = if *command == Command::Down { 1 } else { -1 };
            match focus {
                Focus::Rows => {
                    let to = scroll.saturating_add_signed(delta as isize);
                    scroll_to(scroll, to)
                }
                Focus::FromStep => {
                    // 1 stands for "every step".
                    let now = from_step.unwrap_or(1);
                    let next = (now + delta).clamp(1, last_step);
                    if next == now {
                        return Some(Outcome::Stay);
                    }
                    *from_step = (next > 1).then_some(next);
                    *scroll = 0;
                    Some(d.repreview())
                }
                // The shared handling changes the policy.
                Focus::Policy | Focus::Buttons => None,
            }
        }
        _ => None,
    }
}

/// The preview of a transfer of the contacts of these enrollments (R10);
/// `from_step`: only enrollments at or after this step.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviewTransfer {
    pub generation: u64,
    pub enrollments: Vec<i64>,
    pub to: i64,
    pub policy: TransferPolicy,
    pub from_step: Option<i64>,
}

impl crate::tui::action::Work for PreviewTransfer {
    type Answer = ManagePreview;
    const READ: bool = false;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        user: &crate::domain::User,
    ) -> crate::domain::Result<ManagePreview> {
        let contacts = ws.contacts_of_enrollments(&self.enrollments)?;
        ws.transfer(
            user,
            &crate::domain::TransferRequest {
                contacts,
                to: self.to,
                policy: self.policy,
                from_step: self.from_step,
                dry_run: true,
            },
        )
        .map(ManagePreview::Transfer)
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<ManagePreview>) {
        super::manage::preview_done(app, self.generation, result)
    }
}

/// The transfer itself.
#[derive(Debug, Clone, PartialEq)]
pub struct TransferOwners {
    pub enrollments: Vec<i64>,
    pub to: i64,
    pub policy: TransferPolicy,
    pub from_step: Option<i64>,
}

impl crate::tui::action::Work for TransferOwners {
    type Answer = String;
    const READ: bool = false;
    const TIDIES: bool = true;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        user: &crate::domain::User,
    ) -> crate::domain::Result<String> {
        let contacts = ws.contacts_of_enrollments(&self.enrollments)?;
        ws.transfer(
            user,
            &crate::domain::TransferRequest {
                contacts,
                to: self.to,
                policy: self.policy,
                from_step: self.from_step,
                dry_run: false,
            },
        )
        .map(|r| r.summary())
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<String>) {
        super::manage::done(app, result)
    }
}
