//! Unenroll (R4, R5): one enrollment or many, a reason, a note, and the
//! domain's dry run of what it cancels before it can be confirmed.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::{Outcome, Preview, boxed, buttons, key};
use crate::domain::{EndReason, Expected, Status, UnenrollReport, describe_status};
use crate::tui::action::{Action, Command, Job, StatusCount};
use crate::tui::app::App;
use crate::tui::text::{self, count, fit, pad, plural};

use crate::tui::action::JobOutcome;
use crate::tui::app::{Screen, Tone};
use crate::tui::dialogs::Dialog;
use crate::tui::screens::detail;
use crate::tui::update::after_change;

/// The one enrollment a single unenroll is about, as the person sees it:
/// what they confirm is what the domain checks (R4).
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub enrollment: i64,
    pub contact: String,
    pub sequence: String,
    pub sequence_id: i64,
    pub status: Status,
    pub end_reason: Option<EndReason>,
    pub step: i64,
    pub steps: i64,
}

impl Target {
    pub fn status_text(&self) -> String {
        describe_status(self.status, self.end_reason)
    }
}

/// The unenroll dialog's dry run, plus what the targets are now.
#[derive(Debug, Clone, PartialEq)]
pub struct UnenrollPreview {
    pub report: UnenrollReport,
    pub counts: Vec<StatusCount>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Reason,
    Note,
    Confirm,
    Cancel,
}

const FIELDS: [Field; 4] = [Field::Reason, Field::Note, Field::Confirm, Field::Cancel];

/// Where an unenroll dialog was opened from (what to refresh after it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A sequence's enrollment list.
    Enrollments,
    /// The All enrollments view (rows of any sequence).
    All,
    Contacts,
}

#[derive(Debug)]
pub struct UnenrollDialog {
    pub origin: Origin,
    /// Every enrollment the action takes.
    pub targets: Vec<i64>,
    /// Set when there is exactly one.
    pub single: Option<Target>,
    /// Marked enrollments the current filter does not show.
    pub hidden: usize,
    pub generation: u64,
    pub preview: Preview<UnenrollPreview>,
    /// Index into `EndReason::MANUAL`; none until the person picks one.
    pub reason: Option<usize>,
    pub note: String,
    pub focus: Field,
    /// A line under the buttons: why confirm did nothing yet.
    pub notice: Option<String>,
}

impl UnenrollDialog {
    pub fn new(
        origin: Origin,
        targets: Vec<i64>,
        single: Option<Target>,
        hidden: usize,
        generation: u64,
    ) -> UnenrollDialog {
        // For more than one contact the safe button has the focus.
        let focus = if targets.len() > 1 {
            Field::Cancel
        } else {
            Field::Confirm
        };
        UnenrollDialog {
            origin,
            targets,
            single,
            hidden,
            generation,
            preview: Preview::Loading,
            reason: None,
            note: String::new(),
            focus,
            notice: None,
        }
    }

    pub fn reason(&self) -> Option<EndReason> {
        self.reason.and_then(|i| EndReason::MANUAL.get(i).copied())
    }

    /// The note field has the focus: keys type into it.
    pub fn typing(&self) -> bool {
        self.focus == Field::Note
    }

    pub fn handle(&mut self, action: &Action) -> Outcome {
        match action {
            Action::Command(Command::Cancel) | Action::Command(Command::Escape) => Outcome::Cancel,
            Action::Command(Command::Confirm) => self.confirm(),
            Action::Command(Command::Press) | Action::InputDone => match self.focus {
                Field::Confirm => self.confirm(),
                Field::Cancel => Outcome::Cancel,
                Field::Reason => {
                    self.focus = Field::Note;
                    Outcome::Stay
                }
                Field::Note => {
                    self.focus = Field::Confirm;
                    Outcome::Stay
                }
            },
            Action::Command(Command::NextField) => {
                self.focus = cycle(self.focus, 1);
                Outcome::Stay
            }
            Action::Command(Command::PrevField) => {
                self.focus = cycle(self.focus, -1);
                Outcome::Stay
            }
            Action::Command(Command::Down) => {
                self.pick(1);
                Outcome::Stay
            }
            Action::Command(Command::Up) => {
                self.pick(-1);
                Outcome::Stay
            }
            Action::Input(c) if self.focus == Field::Note => {
                self.note.push(*c);
                Outcome::Stay
            }
            Action::InputBackspace if self.focus == Field::Note => {
                self.note.pop();
                Outcome::Stay
            }
            _ => Outcome::Stay,
        }
    }

    fn pick(&mut self, delta: isize) {
        let last = EndReason::MANUAL.len() - 1;
        self.reason = Some(match self.reason {
            None if delta < 0 => last,
            None => 0,
            Some(i) => i.saturating_add_signed(delta).min(last),
        });
        self.notice = None;
    }

    fn confirm(&mut self) -> Outcome {
        let eligible = match &self.preview {
            Preview::None | Preview::Loading => {
                self.notice = Some("Still counting what will change; one moment.".into());
                return Outcome::Stay;
            }
            Preview::Failed(why) => {
                self.notice = Some(format!("Cannot unenroll: {why}"));
                return Outcome::Stay;
            }
            Preview::Ready(p) => p.report.unenrolled.len(),
        };
        if eligible == 0 {
            self.notice = Some("Nothing here can be unenrolled; press n or esc to close.".into());
            return Outcome::Stay;
        }
        let Some(reason) = self.reason() else {
            self.notice = Some("Choose a reason first (↑/↓).".into());
            self.focus = Field::Reason;
            return Outcome::Stay;
        };
        let note = Some(self.note.trim().to_string()).filter(|n| !n.is_empty());
        Outcome::Confirm(match &self.single {
            Some(t) => Job::UnenrollOne {
                enrollment: t.enrollment,
                expected: Expected {
                    sequence_id: t.sequence_id,
                    status: t.status,
                },
                reason,
                note,
            },
            None => Job::Unenroll {
                enrollments: self.targets.clone(),
                reason,
                note,
            },
        })
    }
}

fn cycle(field: Field, delta: isize) -> Field {
    let at = FIELDS.iter().position(|f| *f == field).unwrap_or(0) as isize;
    FIELDS[(at + delta).rem_euclid(FIELDS.len() as isize) as usize]
}

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
pub fn from_list(app: &mut App) {
    let Some(e) = app.shown_list() else {
        return;
    };
    let (targets, hidden) = if e.marked_count() > 0 {
        e.marks.targets(&e.ids, e.cursor.selected)
    } else {
        match e.focused_id() {
            Some(id) => (vec![id], 0),
            None => {
                app.say(Tone::Info, "Nothing here to unenroll.");
                return;
            }
        }
    };
    let single = if targets.len() == 1 {
        match app.ws.enrollment(targets[0]) {
            Ok(row) => Some(Target {
                enrollment: row.id,
                contact: row.contact_name.clone(),
                sequence: row.sequence.clone(),
                sequence_id: row.sequence_id,
                status: row.status,
                end_reason: row.end_reason,
                step: row.step,
                steps: row.steps,
            }),
            Err(err) => {
                app.say(Tone::Error, err.to_string());
                return;
            }
        }
    } else {
        None
    };
    let origin = if app.screen() == Screen::All {
        Origin::All
    } else {
        Origin::Enrollments
    };
    open_unenroll(app, origin, targets, single, hidden);
}

pub fn from_contact(app: &mut App) {
    detail::sync(app);
    let Some(d) = &app.detail.data else {
        if app.detail.pending.is_some() {
            app.say(Tone::Info, "Still reading the contact; one moment.");
        } else {
            app.say(Tone::Info, "Choose a contact first.");
        }
        return;
    };
    let Some(open) = d.enrollments.iter().find(|e| e.enrollment.status.is_open()) else {
        let name = d.contact.full_name();
        let key = app.keymap.first_key(Command::Enroll);
        app.say(
            Tone::Info,
            format!("{name} has no open enrollment; {key} enrolls them in a sequence."),
        );
        return;
    };
    let row = &open.enrollment;
    let target = Target {
        enrollment: row.id,
        contact: row.contact_name.clone(),
        sequence: row.sequence.clone(),
        sequence_id: row.sequence_id,
        status: row.status,
        end_reason: row.end_reason,
        step: row.step,
        steps: row.steps,
    };
    open_unenroll(app, Origin::Contacts, vec![row.id], Some(target), 0);
}

fn open_unenroll(
    app: &mut App,
    origin: Origin,
    targets: Vec<i64>,
    single: Option<Target>,
    hidden: usize,
) {
    let generation = app.next_generation();
    app.run(Job::Preview {
        generation,
        enrollments: targets.clone(),
        reason: crate::tui::jobs::PREVIEW_REASON,
    });
    app.dialog = Some(Dialog::Unenroll(Box::new(UnenrollDialog::new(
        origin, targets, single, hidden, generation,
    ))));
}

/// The dry run arrived, if the dialog still waits for it.
pub fn preview_done(
    app: &mut App,
    generation: u64,
    result: JobOutcome<(UnenrollReport, Vec<StatusCount>)>,
) {
    if let Some(Dialog::Unenroll(d)) = &mut app.dialog
        && d.generation == generation
    {
        d.preview = match result {
            Ok((report, counts)) => Preview::Ready(UnenrollPreview { report, counts }),
            Err(err) => Preview::Failed(err),
        };
    }
}

/// The unenroll was written (or refused).
pub fn done(app: &mut App, result: JobOutcome<UnenrollReport>) {
    let list = app.running.take().and_then(|r| r.list);
    match result {
        Ok(report) => after_change(app, report.summary(), list),
        Err(err) => app.fail(&err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(eligible: &[i64]) -> UnenrollReport {
        UnenrollReport {
            batch: None,
            dry_run: true,
            reason: EndReason::Other,
            unenrolled: eligible.to_vec(),
            skipped: Vec::new(),
            opted_out: Vec::new(),
            emails_cancelled: 2,
            steps_cancelled: 3,
            tasks_removed: 1,
            sequences: Vec::new(),
        }
    }

    fn cmd(c: Command) -> Action {
        Action::Command(c)
    }

    #[test]
    fn bulk_starts_on_cancel_and_enter_cancels() {
        let mut d = UnenrollDialog::new(Origin::Enrollments, vec![1, 2, 3], None, 0, 1);
        assert_eq!(d.focus, Field::Cancel);
        d.preview = Preview::Ready(UnenrollPreview {
            report: report(&[1, 2, 3]),
            counts: Vec::new(),
        });
        assert_eq!(d.handle(&cmd(Command::Press)), Outcome::Cancel);
    }

    #[test]
    fn confirm_needs_the_preview_and_a_reason() {
        let mut d = UnenrollDialog::new(Origin::Enrollments, vec![1, 2], None, 0, 1);
        assert_eq!(d.handle(&cmd(Command::Confirm)), Outcome::Stay);
        assert!(d.notice.as_deref().unwrap().starts_with("Still counting"));
        d.preview = Preview::Ready(UnenrollPreview {
            report: report(&[1, 2]),
            counts: Vec::new(),
        });
        assert_eq!(d.handle(&cmd(Command::Confirm)), Outcome::Stay);
        assert_eq!(d.focus, Field::Reason);
        d.handle(&cmd(Command::Down));
        d.handle(&cmd(Command::Down));
        assert_eq!(d.reason(), Some(EndReason::MANUAL[1]));
        d.handle(&cmd(Command::NextField));
        for c in "moved to a call".chars() {
            d.handle(&Action::Input(c));
        }
        // y typed in the note is text, not a confirmation: the key map sends
        // it as input while the note has the focus.
        d.handle(&Action::Input('y'));
        d.handle(&Action::InputBackspace);
        assert_eq!(d.note, "moved to a call");
        assert_eq!(
            d.handle(&cmd(Command::Confirm)),
            Outcome::Confirm(Job::Unenroll {
                enrollments: vec![1, 2],
                reason: EndReason::MANUAL[1],
                note: Some("moved to a call".into()),
            })
        );
    }

    #[test]
    fn single_confirms_what_was_shown() {
        let target = Target {
            enrollment: 7,
            contact: "Ana".into(),
            sequence: "Q4".into(),
            sequence_id: 3,
            status: Status::Paused,
            end_reason: None,
            step: 2,
            steps: 5,
        };
        let mut d = UnenrollDialog::new(Origin::Contacts, vec![7], Some(target), 0, 1);
        assert_eq!(d.focus, Field::Confirm);
        d.preview = Preview::Ready(UnenrollPreview {
            report: report(&[7]),
            counts: Vec::new(),
        });
        d.handle(&cmd(Command::Up));
        assert_eq!(d.reason(), Some(EndReason::Other));
        assert_eq!(
            d.handle(&cmd(Command::Press)),
            Outcome::Confirm(Job::UnenrollOne {
                enrollment: 7,
                expected: Expected {
                    sequence_id: 3,
                    status: Status::Paused
                },
                reason: EndReason::Other,
                note: None,
            })
        );
    }

    #[test]
    fn nothing_eligible_cannot_be_confirmed_and_n_cancels() {
        let mut d = UnenrollDialog::new(Origin::Enrollments, vec![1, 2], None, 0, 1);
        d.preview = Preview::Ready(UnenrollPreview {
            report: report(&[]),
            counts: Vec::new(),
        });
        d.handle(&cmd(Command::Down));
        assert_eq!(d.handle(&cmd(Command::Confirm)), Outcome::Stay);
        assert_eq!(d.handle(&cmd(Command::Cancel)), Outcome::Cancel);
    }
}
