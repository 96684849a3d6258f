//! Unenroll (R4, R5): one enrollment or many, a reason, a note, and the
//! domain's dry run of what it cancels before it can be confirmed.

mod draw;

pub use draw::draw;

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
}

/// The dry run an unenroll dialog shows, plus what the targets are now
/// (and the one target as it is now, when there is one: R4 checks it).
#[derive(Debug, Clone, PartialEq)]
pub struct PreviewUnenroll {
    pub generation: u64,
    pub enrollments: Vec<i64>,
    pub reason: EndReason,
}

impl crate::tui::action::Work for PreviewUnenroll {
    type Answer = (UnenrollReport, Vec<StatusCount>, Option<Box<EnrollmentRow>>);
    const READ: bool = false;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        user: &crate::domain::User,
    ) -> crate::domain::Result<(UnenrollReport, Vec<StatusCount>, Option<Box<EnrollmentRow>>)> {
        let request = crate::domain::UnenrollRequest {
            enrollments: self.enrollments.clone(),
            reason: self.reason,
            note: None,
            dry_run: true,
        };
        let report = ws.unenroll(user, &request)?;
        let row = match self.enrollments.as_slice() {
            [one] => Some(Box::new(ws.enrollment(*one)?)),
            _ => None,
        };
        Ok((report, ws.status_counts(&self.enrollments)?, row))
    }
    fn done(
        self,
        app: &mut App,
        result: crate::tui::action::JobOutcome<(
            UnenrollReport,
            Vec<StatusCount>,
            Option<Box<EnrollmentRow>>,
        )>,
    ) {
        preview_done(app, self.generation, result)
    }
}

/// Unenroll many (R5): one transaction, one batch.
#[derive(Debug, Clone, PartialEq)]
pub struct UnenrollMany {
    pub enrollments: Vec<i64>,
    pub reason: EndReason,
    pub note: Option<String>,
}

impl crate::tui::action::Work for UnenrollMany {
    type Answer = UnenrollReport;
    const READ: bool = false;
    const TIDIES: bool = true;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        user: &crate::domain::User,
    ) -> crate::domain::Result<UnenrollReport> {
        ws.unenroll(
            user,
            &crate::domain::UnenrollRequest {
                enrollments: self.enrollments.clone(),
                reason: self.reason,
                note: self.note.clone(),
                dry_run: false,
            },
        )
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<UnenrollReport>) {
        done(app, result)
    }
}

/// Unenroll the one enrollment the person confirmed (R4).
#[derive(Debug, Clone, PartialEq)]
pub struct UnenrollOne {
    pub enrollment: i64,
    pub expected: Expected,
    pub reason: EndReason,
    pub note: Option<String>,
}

impl crate::tui::action::Work for UnenrollOne {
    type Answer = UnenrollReport;
    const READ: bool = false;
    const TIDIES: bool = true;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        user: &crate::domain::User,
    ) -> crate::domain::Result<UnenrollReport> {
        ws.unenroll_one(
            user,
            self.enrollment,
            &self.expected,
            self.reason,
            self.note.clone(),
        )
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<UnenrollReport>) {
        done(app, result)
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
