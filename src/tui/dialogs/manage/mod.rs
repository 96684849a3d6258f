//! What the manager dialogs share: pause / resume (`p`), undo of the last
//! batch (`U`), ownership transfer (`o`) and deleting a saved list (`d` in
//! the Lists view) are one `ManageDialog` with a kind; each kind draws in
//! its own module (`pause_resume`, `undo`, `transfer`, `delete_list`).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::{Outcome, Preview, boxed, buttons, key};
use crate::domain::{
    ChangeReport, CountedList, Skipped, TransferPolicy, TransferReport, UndoCandidate, User,
    skip_groups,
};
use crate::tui::action::{Action, Command, Job};
use crate::tui::app::App;
use crate::tui::text::{count, fit};

use crate::tui::action::JobOutcome;
use crate::tui::dialogs::Dialog;
use crate::tui::update::after_change;

mod answers;
mod draw;

pub use answers::*;
pub use draw::*;

/// A dry run the worker computed for a manager dialog.
#[derive(Debug, Clone, PartialEq)]
pub enum ManagePreview {
    Change(ChangeReport),
    Transfer(TransferReport),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ManageKind {
    /// Pause (`true`) or resume the targets.
    Change {
        pause: bool,
    },
    Undo(UndoCandidate),
    Transfer {
        users: Vec<User>,
        /// Index into `users`.
        owner: usize,
        /// Set once the owner is chosen: index into `TransferPolicy::ALL`.
        policy: Option<usize>,
        /// The policy chosen first (the rules file's default).
        default_policy: usize,
        /// Apply the policy only from this step on (`--from-step`).
        from_step: Option<i64>,
        /// The first preview row on screen.
        scroll: usize,
        /// What ↑/↓ move in the policy step.
        focus: super::transfer::Focus,
        /// What is typed to find the owner (name or email, letters in
        /// order), and the users it matches, best first (indexes into
        /// `users`; every user while nothing is typed).
        filter: String,
        shown: Vec<usize>,
    },
    /// Delete a saved list (its enrollments do not change).
    DeleteList {
        name: String,
        query: String,
        /// How many enrollments it matches now.
        count: i64,
        saved_by: String,
    },
}

#[derive(Debug)]
pub struct ManageDialog {
    pub kind: ManageKind,
    /// The enrollments it acts on (none for undo).
    pub targets: Vec<i64>,
    pub generation: u64,
    pub preview: Preview<ManagePreview>,
    /// The confirm button has the focus (else Cancel).
    pub on_confirm: bool,
    pub notice: Option<String>,
}

impl ManageDialog {
    pub fn change(targets: Vec<i64>, pause: bool, generation: u64) -> ManageDialog {
        ManageDialog {
            on_confirm: targets.len() == 1,
            kind: ManageKind::Change { pause },
            targets,
            generation,
            preview: Preview::Loading,
            notice: None,
        }
    }

    pub fn undo(candidate: UndoCandidate) -> ManageDialog {
        ManageDialog {
            kind: ManageKind::Undo(candidate),
            targets: Vec::new(),
            generation: 0,
            preview: Preview::None,
            on_confirm: true,
            notice: None,
        }
    }

    /// Deleting a list is for the whole team: the focus starts on Cancel.
    pub fn delete_list(list: CountedList) -> ManageDialog {
        ManageDialog {
            kind: ManageKind::DeleteList {
                name: list.list.name,
                query: list.list.query,
                count: list.count,
                saved_by: list.list.created_by,
            },
            targets: Vec::new(),
            generation: 0,
            preview: Preview::None,
            on_confirm: false,
            notice: None,
        }
    }

    pub fn transfer(targets: Vec<i64>, users: Vec<User>) -> ManageDialog {
        ManageDialog::transfer_from(targets, users, TransferPolicy::Keep)
    }

    /// A transfer whose policy step starts on `default` (the rules file's).
    pub fn transfer_from(
        targets: Vec<i64>,
        users: Vec<User>,
        default: TransferPolicy,
    ) -> ManageDialog {
        ManageDialog {
            kind: ManageKind::Transfer {
                shown: (0..users.len()).collect(),
                users,
                owner: 0,
                policy: None,
                default_policy: TransferPolicy::ALL
                    .iter()
                    .position(|p| *p == default)
                    .unwrap_or(0),
                from_step: None,
                scroll: 0,
                focus: super::transfer::Focus::Policy,
                filter: String::new(),
            },
            targets,
            generation: 0,
            preview: Preview::None,
            on_confirm: false,
            notice: None,
        }
    }

    /// The dry-run job this dialog needs now, if any.
    pub fn preview_job(&self) -> Option<Job> {
        match &self.kind {
            ManageKind::Change { pause } => Some(Job::from(
                crate::tui::dialogs::pause_resume::PreviewChange {
                    generation: self.generation,
                    enrollments: self.targets.clone(),
                    pause: *pause,
                },
            )),
            ManageKind::Transfer {
                users,
                owner,
                policy: Some(p),
                from_step,
                ..
            } => Some(Job::from(crate::tui::dialogs::transfer::PreviewTransfer {
                generation: self.generation,
                enrollments: self.targets.clone(),
                to: users.get(*owner)?.id,
                policy: TransferPolicy::ALL[*p],
                from_step: *from_step,
            })),
            _ => None,
        }
    }

    pub(super) fn repreview(&mut self) -> Outcome {
        self.generation += 1;
        self.preview = Preview::Loading;
        self.notice = None;
        match self.preview_job() {
            Some(job) => Outcome::Preview(job),
            None => Outcome::Stay,
        }
    }

    pub fn handle(&mut self, action: &Action) -> Outcome {
        if let Some(outcome) = super::transfer::handle(self, action) {
            return outcome;
        }
        let stay = Outcome::Stay;
        match action {
            Action::Command(Command::Cancel) | Action::Command(Command::Escape) => {
                // Esc in the transfer's policy step goes back to the owner.
                if let ManageKind::Transfer { policy, .. } = &mut self.kind
                    && policy.is_some()
                    && matches!(action, Action::Command(Command::Escape))
                {
                    *policy = None;
                    self.preview = Preview::None;
                    return stay;
                }
                Outcome::Cancel
            }
            Action::Command(Command::Up) => self.pick(-1),
            Action::Command(Command::Down) => self.pick(1),
            Action::Command(Command::NextField) | Action::Command(Command::PrevField) => {
                self.on_confirm = !self.on_confirm;
                stay
            }
            Action::Command(Command::Confirm) => self.confirm(),
            Action::Input(c) => self.find_owner(Some(*c)),
            Action::InputBackspace => self.find_owner(None),
            Action::Command(Command::Press) | Action::InputDone => {
                if let ManageKind::Transfer { policy: None, .. } = &self.kind {
                    return self.choose_owner();
                }
                if self.on_confirm {
                    self.confirm()
                } else {
                    Outcome::Cancel
                }
            }
            _ => stay,
        }
    }

    /// The transfer's owner step has a text field: typing finds the owner.
    pub fn typing(&self) -> bool {
        matches!(self.kind, ManageKind::Transfer { policy: None, .. })
    }

    /// A character typed in the owner step (`None`: backspace): the users
    /// are ranked by the same matcher as the Contacts search, and the best
    /// match is chosen (enter still only moves on to the policy step).
    fn find_owner(&mut self, c: Option<char>) -> Outcome {
        let ManageKind::Transfer {
            users,
            owner,
            policy: None,
            filter,
            shown,
            ..
        } = &mut self.kind
        else {
            return Outcome::Stay;
        };
        match c {
            Some(c) => filter.push(c),
            None => {
                filter.pop();
            }
        }
        let labels: Vec<String> = users
            .iter()
            .map(|u| format!("{} {}", u.name, u.email))
            .collect();
        *shown = crate::domain::fuzzy::rank(filter, &labels);
        if filter.trim().is_empty() {
            // Nothing typed: the whole list, the choice where it was.
        } else if let Some(&best) = shown.first() {
            *owner = best;
        }
        self.notice = None;
        Outcome::Stay
    }

    fn pick(&mut self, delta: isize) -> Outcome {
        let ManageKind::Transfer {
            owner,
            policy,
            shown,
            ..
        } = &mut self.kind
        else {
            return Outcome::Stay;
        };
        match policy {
            None => {
                // Through the users the filter shows, in their order.
                let at = shown.iter().position(|i| i == owner);
                let last = shown.len().saturating_sub(1);
                let next = match at {
                    Some(at) => at.saturating_add_signed(delta).min(last),
                    None => 0,
                };
                if let Some(&i) = shown.get(next) {
                    *owner = i;
                }
                Outcome::Stay
            }
            Some(p) => {
                let last = TransferPolicy::ALL.len() - 1;
                let next = p.saturating_add_signed(delta).min(last);
                if next == *p {
                    return Outcome::Stay;
                }
                *p = next;
                self.repreview()
            }
        }
    }

    pub(super) fn choose_owner(&mut self) -> Outcome {
        if let ManageKind::Transfer {
            policy,
            default_policy,
            owner,
            shown,
            ..
        } = &mut self.kind
        {
            if !shown.contains(owner) {
                self.notice = Some("No user matches what is typed.".into());
                return Outcome::Stay;
            }
            *policy = Some(*default_policy);
        }
        self.repreview()
    }

    pub(super) fn confirm(&mut self) -> Outcome {
        let stay = Outcome::Stay;
        match &self.kind {
            ManageKind::Undo(c) => {
                Outcome::Confirm(Job::from(crate::tui::dialogs::undo::UndoBatch {
                    batch: c.batch.clone(),
                }))
            }
            ManageKind::DeleteList { name, .. } => Outcome::Confirm(Job::from(
                crate::tui::dialogs::delete_list::DeleteTeamList { name: name.clone() },
            )),
            ManageKind::Transfer { policy: None, .. } => self.choose_owner(),
            kind => {
                let eligible = match &self.preview {
                    Preview::Ready(ManagePreview::Change(r)) => r.changed.len(),
                    Preview::Ready(ManagePreview::Transfer(r)) => r.contacts.len(),
                    Preview::Failed(why) => {
                        self.notice = Some(format!("Cannot do this: {why}"));
                        return stay;
                    }
                    _ => {
                        self.notice =
                            Some("Still working out what will change; one moment.".into());
                        return stay;
                    }
                };
                if eligible == 0 {
                    self.notice = Some("Nothing here can change; press n or esc to close.".into());
                    return stay;
                }
                let job = match kind {
                    ManageKind::Change { pause } => {
                        Job::from(crate::tui::dialogs::pause_resume::Change {
                            enrollments: self.targets.clone(),
                            pause: *pause,
                        })
                    }
                    ManageKind::Transfer {
                        users,
                        owner,
                        policy: Some(p),
                        from_step,
                        ..
                    } => Job::from(crate::tui::dialogs::transfer::TransferOwners {
                        enrollments: self.targets.clone(),
                        to: users[*owner].id,
                        policy: TransferPolicy::ALL[*p],
                        from_step: *from_step,
                    }),
                    _ => return stay,
                };
                Outcome::Confirm(job)
            }
        }
    }

    /// Words for the running spinner once confirmed.
    pub fn running_label(&self) -> String {
        let n = count(self.targets.len() as i64);
        match &self.kind {
            ManageKind::Change { pause: true } => format!("Pausing {n} enrollments"),
            ManageKind::Change { pause: false } => format!("Resuming {n} enrollments"),
            ManageKind::Undo(c) => format!("Undoing {}", c.batch),
            ManageKind::Transfer { .. } => format!("Transferring the contacts of {n} enrollments"),
            ManageKind::DeleteList { name, .. } => format!("Deleting the list '{name}'"),
        }
    }
}

impl Dialog for ManageDialog {
    fn handle(&mut self, action: &Action) -> Outcome {
        ManageDialog::handle(self, action)
    }
    fn draw(&self, app: &App, frame: &mut Frame, area: Rect) {
        draw(app, self, frame, area)
    }
    fn running_label(&self) -> String {
        ManageDialog::running_label(self)
    }
    fn loading(&self) -> bool {
        self.preview == Preview::Loading
    }
    fn typing(&self) -> bool {
        ManageDialog::typing(self)
    }
    fn typing_hints(&self) -> Option<Vec<(&'static str, &'static str)>> {
        Some(vec![
            ("typing", "finds the owner"),
            ("↑↓", "choose"),
            ("enter", "next"),
            ("esc", "cancel"),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ChangeAction, Role, SkipCode, Skipped, UndoableAction};

    fn cmd(c: Command) -> Action {
        Action::Command(c)
    }

    fn user(id: i64, email: &str) -> User {
        User {
            id,
            email: email.into(),
            name: email.into(),
            role: Role::Rep,
            team: "East".into(),
            login: None,
        }
    }

    fn change(changed: &[i64], skipped: usize) -> ManagePreview {
        ManagePreview::Change(ChangeReport {
            action: ChangeAction::Pause,
            batch: None,
            dry_run: true,
            changed: changed.to_vec(),
            skipped: (0..skipped)
                .map(|i| Skipped::new(100 + i as i64, SkipCode::AlreadyPaused, "already paused"))
                .collect(),
            steps_moved: 0,
        })
    }

    #[test]
    fn bulk_pause_starts_on_cancel_and_needs_its_dry_run() {
        let mut d = ManageDialog::change(vec![1, 2, 3], true, 7);
        assert!(!d.on_confirm);
        assert_eq!(
            d.preview_job(),
            Some(Job::from(
                crate::tui::dialogs::pause_resume::PreviewChange {
                    generation: 7,
                    enrollments: vec![1, 2, 3],
                    pause: true
                }
            ))
        );
        assert_eq!(d.handle(&cmd(Command::Press)), Outcome::Cancel);
        assert_eq!(d.handle(&cmd(Command::Confirm)), Outcome::Stay);
        assert!(d.notice.as_deref().unwrap().starts_with("Still working"));
        d.preview = Preview::Ready(change(&[1, 2], 1));
        assert_eq!(
            d.handle(&cmd(Command::Confirm)),
            Outcome::Confirm(Job::from(crate::tui::dialogs::pause_resume::Change {
                enrollments: vec![1, 2, 3],
                pause: true
            }))
        );
        d.preview = Preview::Ready(change(&[], 3));
        assert_eq!(
            d.handle(&cmd(Command::Confirm)),
            Outcome::Stay,
            "nothing eligible cannot be confirmed"
        );
    }

    #[test]
    fn transfer_picks_an_owner_then_previews_each_policy() {
        let users = vec![user(1, "ann@x"), user(2, "bob@x")];
        let mut d = ManageDialog::transfer(vec![5, 6], users);
        assert_eq!(d.preview_job(), None, "no preview before the owner");
        d.handle(&cmd(Command::Down));
        let first = d.handle(&cmd(Command::Press));
        assert_eq!(
            first,
            Outcome::Preview(Job::from(crate::tui::dialogs::transfer::PreviewTransfer {
                generation: 1,
                enrollments: vec![5, 6],
                to: 2,
                policy: TransferPolicy::Keep,
                from_step: None
            }))
        );
        let next = d.handle(&cmd(Command::Down));
        assert_eq!(
            next,
            Outcome::Preview(Job::from(crate::tui::dialogs::transfer::PreviewTransfer {
                generation: 2,
                enrollments: vec![5, 6],
                to: 2,
                policy: TransferPolicy::Reassign,
                from_step: None
            }))
        );
        d.preview = Preview::Ready(ManagePreview::Transfer(TransferReport {
            dry_run: true,
            policy: TransferPolicy::Reassign,
            to: "bob@x".into(),
            batch: None,
            contacts: vec![10, 11],
            contacts_skipped: Vec::new(),
            enrollments: Vec::new(),
            emails_cancelled: 0,
            tasks_removed: 0,
        }));
        assert_eq!(
            d.handle(&Action::Command(Command::Confirm)),
            Outcome::Confirm(Job::from(crate::tui::dialogs::transfer::TransferOwners {
                enrollments: vec![5, 6],
                to: 2,
                policy: TransferPolicy::Reassign,
                from_step: None
            }))
        );
        // Esc steps back to the owner, a second Esc closes.
        assert_eq!(d.handle(&cmd(Command::Escape)), Outcome::Stay);
        assert_eq!(d.preview, Preview::None);
        assert_eq!(d.handle(&cmd(Command::Escape)), Outcome::Cancel);
    }

    #[test]
    fn undo_confirms_its_batch() {
        let mut d = ManageDialog::undo(UndoCandidate {
            batch: "B12".into(),
            action: UndoableAction::Unenroll,
            at: chrono::DateTime::UNIX_EPOCH,
            count: 3,
            reason: Some("stale".into()),
            detail: String::new(),
        });
        assert_eq!(
            d.handle(&cmd(Command::Press)),
            Outcome::Confirm(Job::from(crate::tui::dialogs::undo::UndoBatch {
                batch: "B12".into()
            }))
        );
    }
}
