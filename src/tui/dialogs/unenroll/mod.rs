//! Unenroll (R4, R5): one enrollment or many, a reason, a note, and the
//! domain's dry run of what it cancels before it can be confirmed.

mod draw;
mod jobs;

pub use draw::draw;
pub use jobs::{PreviewUnenroll, UnenrollMany, UnenrollOne};

use super::{Outcome, Preview};
use crate::domain::{EndReason, EnrollmentRow, Expected, Status, UnenrollReport};
use crate::tui::action::{Action, Command, Job, StatusCount};
use crate::tui::app::App;

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
    /// The enrollment as read.
    pub fn of(row: &EnrollmentRow) -> Target {
        Target {
            enrollment: row.id,
            contact: row.contact_name.clone(),
            sequence: row.sequence.clone(),
            sequence_id: row.sequence_id,
            status: row.status,
            end_reason: row.end_reason,
            step: row.step,
            steps: row.steps,
        }
    }

    pub fn status_text(&self) -> String {
        crate::tui::text::status_label(self.status, self.end_reason)
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

#[derive(Debug)]
pub struct UnenrollDialog {
    /// The screen it was opened from (`Enrollments`, `All` or
    /// `Contacts`): what to refresh after it.
    pub origin: Screen,
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
    /// The first of the dry run's skip sentences on screen, when they do
    /// not all fit (page down / up move it one sentence at a time).
    pub reasons_from: usize,
}

impl UnenrollDialog {
    pub fn new(
        origin: Screen,
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
            reasons_from: 0,
        }
    }

    /// The dry run says nothing of it can be unenrolled (every one is
    /// skipped: not permitted, already ended, gone): the dialog says so and
    /// only closes.
    pub fn nothing_to_unenroll(&self) -> bool {
        matches!(&self.preview, Preview::Ready(p) if p.report.unenrolled.is_empty())
    }

    /// How many distinct skip sentences the dry run has (each one a line,
    /// or a few, of the dialog).
    fn skip_sentences(&self) -> usize {
        match &self.preview {
            Preview::Ready(p) => crate::domain::skip_groups(&p.report.skipped)
                .iter()
                .map(|g| g.sentences.len())
                .sum(),
            _ => 0,
        }
    }

    /// Moves the first skip sentence shown by `delta` (kept on one).
    fn scroll_reasons(&mut self, delta: isize) {
        let last = self.skip_sentences().saturating_sub(1);
        self.reasons_from = self.reasons_from.saturating_add_signed(delta).min(last);
    }

    pub fn reason(&self) -> Option<EndReason> {
        self.reason.and_then(|i| EndReason::MANUAL.get(i).copied())
    }

    /// The note field has the focus: keys type into it.
    pub fn typing(&self) -> bool {
        self.focus == Field::Note
    }

    pub fn handle(&mut self, action: &Action) -> Outcome {
        if self.nothing_to_unenroll() {
            return self.handle_nothing(action);
        }
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
            Action::Command(Command::PageDown) => {
                self.scroll_reasons(1);
                Outcome::Stay
            }
            Action::Command(Command::PageUp) => {
                self.scroll_reasons(-1);
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

    /// Nothing can be unenrolled: there is no reason to choose and no note
    /// to write, only the skip sentences to read and the dialog to close.
    fn handle_nothing(&mut self, action: &Action) -> Outcome {
        self.focus = Field::Cancel;
        match action {
            Action::Command(Command::Cancel | Command::Escape | Command::Press)
            | Action::InputDone => Outcome::Cancel,
            Action::Command(Command::Confirm) => self.confirm(),
            Action::Command(Command::Down | Command::PageDown) => {
                self.scroll_reasons(1);
                Outcome::Stay
            }
            Action::Command(Command::Up | Command::PageUp) => {
                self.scroll_reasons(-1);
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
            Some(t) => Job::from(UnenrollOne {
                enrollment: t.enrollment,
                expected: Expected {
                    sequence_id: t.sequence_id,
                    status: t.status,
                },
                reason,
                note,
            }),
            None => Job::from(UnenrollMany {
                enrollments: self.targets.clone(),
                reason,
                note,
            }),
        })
    }
}

fn cycle(field: Field, delta: isize) -> Field {
    let at = FIELDS.iter().position(|f| *f == field).unwrap_or(0) as isize;
    FIELDS[(at + delta).rem_euclid(FIELDS.len() as isize) as usize]
}

/// `u` on an enrollment list: the marked enrollments, or the focused one.
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
    // One enrollment: the dry run reads it afresh on the worker, and the
    // dialog shows it (and R4 checks it) once that answers.
    let origin = if app.screen() == Screen::All {
        Screen::All
    } else {
        Screen::Enrollments
    };
    open_unenroll(app, origin, targets, None, hidden);
}

/// `u` in the Contacts view or the detail pane: the contact's open
/// enrollment.
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
    let target = Target::of(row);
    open_unenroll(app, Screen::Contacts, vec![row.id], Some(target), 0);
}

fn open_unenroll(
    app: &mut App,
    origin: Screen,
    targets: Vec<i64>,
    single: Option<Target>,
    hidden: usize,
) {
    let generation = app.next_generation();
    app.run(PreviewUnenroll {
        generation,
        enrollments: targets.clone(),
        reason: crate::tui::jobs::PREVIEW_REASON,
    });
    app.dialog = Some(Box::new(UnenrollDialog::new(
        origin, targets, single, hidden, generation,
    )));
}

/// The dry run arrived, if the dialog still waits for it.
pub fn preview_done(
    app: &mut App,
    generation: u64,
    result: JobOutcome<(UnenrollReport, Vec<StatusCount>, Option<Box<EnrollmentRow>>)>,
) {
    if let Some(d) = app.dialog_mut::<UnenrollDialog>()
        && d.generation == generation
    {
        d.preview = match result {
            Ok((report, counts, row)) => {
                if d.single.is_none() {
                    d.single = row.as_deref().map(Target::of);
                }
                // Nothing to unenroll: only closing is offered, so the
                // focus is on it (and off a note being typed).
                if report.unenrolled.is_empty() {
                    d.focus = Field::Cancel;
                }
                Preview::Ready(UnenrollPreview { report, counts })
            }
            Err(err) => Preview::Failed(err),
        };
    }
}

/// The unenroll was written (or refused).
pub fn done(app: &mut App, result: JobOutcome<UnenrollReport>) {
    let list = app.running.take().and_then(|r| r.list);
    match result {
        Ok(report) => {
            after_change(app, report.summary(), list);
            app.note_batch(report.batch);
        }
        Err(err) => app.fail(&err),
    }
}

impl Dialog for UnenrollDialog {
    fn handle(&mut self, action: &Action) -> Outcome {
        UnenrollDialog::handle(self, action)
    }
    fn draw(&self, app: &App, frame: &mut ratatui::Frame, area: ratatui::layout::Rect) {
        draw(app, self, frame, area)
    }
    fn running_label(&self) -> String {
        match self.targets.len() {
            1 => "Unenrolling 1 enrollment".to_string(),
            n => format!(
                "Unenrolling {} enrollments",
                crate::tui::text::count(n as i64)
            ),
        }
    }
    fn loading(&self) -> bool {
        self.preview == Preview::Loading
    }
    fn typing(&self) -> bool {
        UnenrollDialog::typing(self)
    }
    fn offers(&self, command: Command) -> bool {
        // Nothing to unenroll: reading the reasons and closing are all.
        !self.nothing_to_unenroll()
            || matches!(
                command,
                Command::Cancel | Command::Press | Command::PageDown | Command::PageUp
            )
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
        let mut d = UnenrollDialog::new(Screen::Enrollments, vec![1, 2, 3], None, 0, 1);
        assert_eq!(d.focus, Field::Cancel);
        d.preview = Preview::Ready(UnenrollPreview {
            report: report(&[1, 2, 3]),
            counts: Vec::new(),
        });
        assert_eq!(d.handle(&cmd(Command::Press)), Outcome::Cancel);
    }

    #[test]
    fn confirm_needs_the_preview_and_a_reason() {
        let mut d = UnenrollDialog::new(Screen::Enrollments, vec![1, 2], None, 0, 1);
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
            Outcome::Confirm(Job::from(UnenrollMany {
                enrollments: vec![1, 2],
                reason: EndReason::MANUAL[1],
                note: Some("moved to a call".into()),
            }))
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
        let mut d = UnenrollDialog::new(Screen::Contacts, vec![7], Some(target), 0, 1);
        assert_eq!(d.focus, Field::Confirm);
        d.preview = Preview::Ready(UnenrollPreview {
            report: report(&[7]),
            counts: Vec::new(),
        });
        d.handle(&cmd(Command::Up));
        assert_eq!(d.reason(), Some(EndReason::Other));
        assert_eq!(
            d.handle(&cmd(Command::Press)),
            Outcome::Confirm(Job::from(UnenrollOne {
                enrollment: 7,
                expected: Expected {
                    sequence_id: 3,
                    status: Status::Paused
                },
                reason: EndReason::Other,
                note: None,
            }))
        );
    }

    #[test]
    fn nothing_eligible_offers_only_closing_and_pages_through_the_reasons() {
        use crate::domain::{SkipCode, Skipped};
        let mut d = UnenrollDialog::new(Screen::Enrollments, vec![7], None, 0, 1);
        assert_eq!(d.focus, Field::Confirm, "one enrollment starts on confirm");
        let mut r = report(&[]);
        r.skipped = vec![
            Skipped::new(7, SkipCode::NotPermitted, "not permitted: only Ann may"),
            Skipped::new(8, SkipCode::NotPermitted, "not permitted: only Bob may"),
            Skipped::new(9, SkipCode::AlreadyEnded, "already finished"),
        ];
        d.preview = Preview::Ready(UnenrollPreview {
            report: r,
            counts: Vec::new(),
        });
        assert!(d.nothing_to_unenroll());
        assert!(!Dialog::offers(&d, Command::Confirm));
        assert!(Dialog::offers(&d, Command::Cancel));
        d.handle(&cmd(Command::NextField));
        assert_eq!(d.focus, Field::Cancel, "nowhere else to go");
        for _ in 0..5 {
            d.handle(&cmd(Command::PageDown));
        }
        assert_eq!(d.reasons_from, 2, "kept on the last of three sentences");
        d.handle(&cmd(Command::Up));
        assert_eq!(d.reasons_from, 1);
        assert_eq!(d.reason, None, "no reason is chosen");
        assert_eq!(d.handle(&cmd(Command::Confirm)), Outcome::Stay);
        assert!(d.notice.is_some());
        assert_eq!(d.handle(&cmd(Command::Press)), Outcome::Cancel);
    }

    #[test]
    fn nothing_eligible_cannot_be_confirmed_and_n_cancels() {
        let mut d = UnenrollDialog::new(Screen::Enrollments, vec![1, 2], None, 0, 1);
        d.preview = Preview::Ready(UnenrollPreview {
            report: report(&[]),
            counts: Vec::new(),
        });
        d.handle(&cmd(Command::Down));
        assert_eq!(d.handle(&cmd(Command::Confirm)), Outcome::Stay);
        assert_eq!(d.handle(&cmd(Command::Cancel)), Outcome::Cancel);
    }
}
