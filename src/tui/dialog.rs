//! The dialogs: every destructive action goes through one door, the
//! unenroll confirm dialog, and enrolling goes through the sequence picker;
//! saving the All view's query as a list asks for its name.
//! Each dialog is plain state plus `handle`, which turns an action into
//! "stay", "cancel" or "confirm with this job"; `update` does the rest.

use super::action::{Action, Command, Job, JobError, StatusCount};
use crate::domain::{
    EndReason, EnrollPreview, Expected, Filter, SequenceSummary, Status, UnenrollReport,
    describe_status,
};

#[derive(Debug)]
pub enum Dialog {
    Unenroll(Box<UnenrollDialog>),
    Enroll(Box<EnrollPicker>),
    /// Pause / resume, undo, transfer, deleting a saved list.
    Manage(Box<super::manage::ManageDialog>),
    /// The name to save the All view's query under.
    SaveList(Box<SaveListDialog>),
}

impl Dialog {
    /// Its preview is on the way from a worker.
    pub fn loading(&self) -> bool {
        match self {
            Dialog::Unenroll(d) => d.preview == Preview::Loading,
            Dialog::Enroll(p) => p.preview == Preview::Loading,
            Dialog::Manage(d) => d.preview == Preview::Loading,
            Dialog::SaveList(_) => false,
        }
    }
}

/// What a dialog decided about one action.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    Stay,
    Cancel,
    Confirm(Job),
    /// The dialog needs a (new) preview: run this job and stay.
    Preview(Job),
}

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

/// What a dialog shows before it can be confirmed: the domain's dry run
/// (or preview), as the worker answers it. One shape for every dialog.
#[derive(Debug, Clone, PartialEq)]
pub enum Preview<T> {
    /// Nothing asked yet (no choice made).
    None,
    Loading,
    Ready(T),
    Failed(JobError),
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

/// Asks for the name to save a filter under. Enter saves (on a worker),
/// Esc cancels; a name the team already uses replaces that list's filter,
/// which the dialog says before.
#[derive(Debug)]
pub struct SaveListDialog {
    pub name: String,
    pub filter: Filter,
    /// How many enrollments the filter lists now.
    pub count: usize,
    pub notice: Option<String>,
}

impl SaveListDialog {
    pub fn handle(&mut self, action: &Action) -> Outcome {
        match action {
            Action::Command(Command::Cancel) | Action::Command(Command::Escape) => Outcome::Cancel,
            Action::Input(c) => {
                self.name.push(*c);
                self.notice = None;
                Outcome::Stay
            }
            Action::InputBackspace => {
                self.name.pop();
                self.notice = None;
                Outcome::Stay
            }
            Action::InputDone | Action::Command(Command::Press) => {
                let name = self.name.trim();
                if name.is_empty() {
                    self.notice = Some("Type a name for the list first.".into());
                    return Outcome::Stay;
                }
                Outcome::Confirm(Job::SaveList {
                    name: name.to_string(),
                    filter: Box::new(self.filter.clone()),
                })
            }
            _ => Outcome::Stay,
        }
    }
}

/// Picks the sequence to enroll one contact in. Nothing is chosen at
/// first, so no stray key can enroll (`e` then `y` typed by accident); once
/// a sequence is chosen the domain's preview (sequence, contact, first step
/// and when it is due) shows, and only then can it be confirmed.
#[derive(Debug)]
pub struct EnrollPicker {
    pub contact_id: i64,
    pub contact: String,
    pub sequences: Vec<SequenceSummary>,
    /// Index into `sequences`; none until the person picks one.
    pub selected: Option<usize>,
    pub generation: u64,
    pub preview: Preview<EnrollPreview>,
    /// A line under the list: why confirm did nothing yet.
    pub notice: Option<String>,
}

impl EnrollPicker {
    pub fn new(contact_id: i64, contact: String, sequences: Vec<SequenceSummary>) -> EnrollPicker {
        EnrollPicker {
            contact_id,
            contact,
            sequences,
            selected: None,
            generation: 0,
            preview: Preview::None,
            notice: None,
        }
    }

    pub fn handle(&mut self, action: &Action) -> Outcome {
        match action {
            Action::Command(Command::Cancel) | Action::Command(Command::Escape) => Outcome::Cancel,
            Action::Command(Command::Down) => self.pick(1),
            Action::Command(Command::Up) => self.pick(-1),
            Action::Command(Command::Confirm) | Action::Command(Command::Press) => self.confirm(),
            _ => Outcome::Stay,
        }
    }

    fn pick(&mut self, delta: isize) -> Outcome {
        let Some(last) = self.sequences.len().checked_sub(1) else {
            return Outcome::Stay;
        };
        let next = match self.selected {
            None if delta < 0 => last,
            None => 0,
            Some(i) => i.saturating_add_signed(delta).min(last),
        };
        if self.selected == Some(next) {
            return Outcome::Stay;
        }
        self.selected = Some(next);
        self.generation += 1;
        self.preview = Preview::Loading;
        self.notice = None;
        Outcome::Preview(Job::EnrollPreview {
            generation: self.generation,
            contact: self.contact_id,
            sequence: self.sequences[next].id,
        })
    }

    fn confirm(&mut self) -> Outcome {
        let Some(sequence) = self.selected.and_then(|i| self.sequences.get(i)) else {
            self.notice = Some("Choose a sequence first (↑/↓).".into());
            return Outcome::Stay;
        };
        match &self.preview {
            Preview::Ready(p) if p.sequence_id == sequence.id => Outcome::Confirm(Job::Enroll {
                contact: self.contact_id,
                sequence: sequence.id,
            }),
            Preview::Failed(why) => {
                self.notice = Some(format!("Cannot enroll: {why}"));
                Outcome::Stay
            }
            _ => {
                self.notice = Some("Still working out what will happen; one moment.".into());
                Outcome::Stay
            }
        }
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
    fn saving_a_list_needs_a_name_and_y_is_text() {
        let filter = Filter::parse("status:active").unwrap();
        let mut d = SaveListDialog {
            name: String::new(),
            filter: filter.clone(),
            count: 3,
            notice: None,
        };
        assert_eq!(d.handle(&Action::InputDone), Outcome::Stay);
        assert!(d.notice.is_some());
        for c in "yes ".chars() {
            d.handle(&Action::Input(c));
        }
        assert_eq!(
            d.handle(&Action::InputDone),
            Outcome::Confirm(Job::SaveList {
                name: "yes".into(),
                filter: Box::new(filter)
            })
        );
        assert_eq!(d.handle(&cmd(Command::Escape)), Outcome::Cancel);
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
