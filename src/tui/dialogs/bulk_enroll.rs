//! `e` on marked rows: enroll many contacts at once. First the sequence
//! picker, then the domain's dry run (will enroll N, refused by reason with
//! counts), Cancel focused; confirming enrolls them as one batch, which
//! `U` can undo within the window (R15).

use std::collections::BTreeMap;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::manage::line;
use super::{Outcome, Preview, boxed, key};
use crate::domain::{EnrollReport, SequenceSummary, SkipCode};
use crate::tui::action::{Action, Command, Job, JobOutcome};
use crate::tui::app::{App, Screen, Tone};
use crate::tui::dialogs::Dialog;
use crate::tui::text::{count, fit, pad, plural};
use crate::tui::update::after_change;

/// Whose contacts to enroll: contacts marked in the Contacts view, or the
/// contacts of enrollments marked in an enrollment list (resolved by the
/// worker: a read the UI thread does not make).
#[derive(Debug, Clone, PartialEq)]
pub enum BulkSource {
    Contacts(Vec<i64>),
    Enrollments(Vec<i64>),
}

impl BulkSource {
    pub fn len(&self) -> usize {
        match self {
            BulkSource::Contacts(v) | BulkSource::Enrollments(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug)]
pub struct BulkEnrollDialog {
    pub source: BulkSource,
    pub sequences: Vec<SequenceSummary>,
    /// Index into `sequences`.
    pub selected: usize,
    /// The sequence is chosen: the dry run shows (else the picker).
    pub chosen: bool,
    pub generation: u64,
    pub preview: Preview<EnrollReport>,
    /// The Enroll button has the focus (else Cancel, the default).
    pub on_confirm: bool,
    pub notice: Option<String>,
}

/// The refusals of a dry run grouped by code, commonest first (ties in
/// code order): (code, how many).
pub fn refusal_counts(report: &EnrollReport) -> Vec<(SkipCode, usize)> {
    let mut by: BTreeMap<&'static str, (SkipCode, usize)> = BTreeMap::new();
    for r in &report.refused {
        by.entry(r.code.as_str()).or_insert((r.code, 0)).1 += 1;
    }
    let mut out: Vec<(SkipCode, usize)> = by.into_values().collect();
    out.sort_by_key(|g| std::cmp::Reverse(g.1));
    out
}

impl BulkEnrollDialog {
    pub fn new(source: BulkSource, sequences: Vec<SequenceSummary>) -> BulkEnrollDialog {
        // Start on the first sequence one can enroll in.
        let selected = sequences.iter().position(|s| !s.archived).unwrap_or(0);
        BulkEnrollDialog {
            source,
            sequences,
            selected,
            chosen: false,
            generation: 0,
            preview: Preview::None,
            on_confirm: false,
            notice: None,
        }
    }

    fn sequence(&self) -> Option<&SequenceSummary> {
        self.sequences.get(self.selected)
    }

    pub fn handle(&mut self, action: &Action) -> Outcome {
        match action {
            Action::Command(Command::Escape) if self.chosen => {
                // Back to the picker.
                self.chosen = false;
                self.preview = Preview::None;
                self.on_confirm = false;
                self.notice = None;
                Outcome::Stay
            }
            Action::Command(Command::Cancel) | Action::Command(Command::Escape) => Outcome::Cancel,
            Action::Command(Command::Up) if !self.chosen => self.pick(-1),
            Action::Command(Command::Down) if !self.chosen => self.pick(1),
            Action::Command(Command::Top) if !self.chosen => self.pick(isize::MIN / 2),
            Action::Command(Command::Bottom) if !self.chosen => self.pick(isize::MAX / 2),
            Action::Command(Command::NextField) | Action::Command(Command::PrevField)
                if self.chosen =>
            {
                self.on_confirm = !self.on_confirm;
                Outcome::Stay
            }
            Action::Command(Command::Press) | Action::InputDone if self.chosen => {
                if self.on_confirm {
                    self.confirm()
                } else {
                    Outcome::Cancel
                }
            }
            Action::Command(Command::Confirm) if self.chosen => self.confirm(),
            Action::Command(Command::Press) | Action::Command(Command::Confirm) => self.choose(),
            _ => Outcome::Stay,
        }
    }

    fn pick(&mut self, delta: isize) -> Outcome {
        let last = self.sequences.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
        self.notice = None;
        Outcome::Stay
    }

    /// The sequence is chosen: ask the domain's dry run.
    fn choose(&mut self) -> Outcome {
        let Some(sequence) = self.sequence() else {
            self.notice = Some("There is no sequence to enroll in.".into());
            return Outcome::Stay;
        };
        let id = sequence.id;
        self.chosen = true;
        self.on_confirm = false;
        self.generation += 1;
        self.preview = Preview::Loading;
        self.notice = None;
        Outcome::Preview(Job::from(PreviewBulkEnroll {
            generation: self.generation,
            sequence: id,
            source: self.source.clone(),
        }))
    }

    fn confirm(&mut self) -> Outcome {
        let Some(sequence) = self.sequence().map(|s| s.id) else {
            return Outcome::Stay;
        };
        match &self.preview {
            Preview::Ready(r) if !r.enrolled_contacts.is_empty() => {
                Outcome::Confirm(Job::from(BulkEnroll {
                    sequence,
                    source: self.source.clone(),
                }))
            }
            Preview::Ready(_) => {
                self.notice = Some(format!(
                    "Nobody here can be enrolled; press {}/esc to close.",
                    "n"
                ));
                Outcome::Stay
            }
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

    /// Words for the running spinner once confirmed.
    pub fn running_label(&self) -> String {
        let n = match &self.preview {
            Preview::Ready(r) => r.enrolled_contacts.len(),
            _ => self.source.len(),
        };
        format!(
            "Enrolling {} in '{}'",
            plural(n as i64, "contact", "contacts"),
            self.sequence().map_or("?", |s| s.name.as_str())
        )
    }
}

pub fn draw(app: &App, d: &BulkEnrollDialog, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let width = 72.min(area.width.saturating_sub(2));
    let inner = width.saturating_sub(4) as usize;
    let marked = d.source.len() as i64;
    let title = format!(
        " Enroll {} in a sequence ",
        plural(marked, "contact", "contacts")
    );
    let mut lines = Vec::new();
    if !d.chosen {
        lines.push(line("Choose the sequence:".into(), inner, t.title()));
        let room = (area.height as usize).saturating_sub(9).clamp(3, 12);
        let first = d.selected.saturating_sub(room.saturating_sub(1));
        for (i, s) in d.sequences.iter().enumerate().skip(first).take(room) {
            let mut label = format!(
                "{} · {} steps · {} active",
                s.name,
                s.steps,
                count(s.active)
            );
            if s.archived {
                label.push_str(" · archived");
            }
            let focused = i == d.selected;
            let style = if focused {
                t.focused()
            } else if s.archived {
                t.dim()
            } else {
                t.base()
            };
            let mark = if focused { "›" } else { " " };
            lines.push(Line::from(Span::styled(
                pad(&fit(&format!("{mark} {label}"), inner), inner),
                style,
            )));
        }
        if d.sequences.is_empty() {
            lines.push(line("There are no sequences.".into(), inner, t.dim()));
        }
        if let Some(notice) = &d.notice {
            lines.push(line(notice.clone(), inner, t.error()));
        }
        lines.push(Line::from(""));
        lines.push(line(
            format!(
                "↑↓ choose · enter next: what it would do · {}/esc cancel",
                key(app, Command::Cancel)
            ),
            inner,
            t.dim(),
        ));
        boxed(app, frame, area, title, width, lines);
        return;
    }
    let name = d.sequence().map_or("?", |s| s.name.as_str());
    lines.push(line(format!("Into '{name}'"), inner, t.title()));
    lines.push(Line::from(""));
    let mut go = "Enroll".to_string();
    match &d.preview {
        Preview::Ready(r) => {
            let will = r.enrolled_contacts.len() as i64;
            lines.push(line(
                format!("Will enroll {}", plural(will, "contact", "contacts")),
                inner,
                t.title(),
            ));
            let groups = refusal_counts(r);
            let refused: usize = groups.iter().map(|g| g.1).sum();
            if refused > 0 {
                lines.push(line(
                    format!("Refused {}:", plural(refused as i64, "contact", "contacts")),
                    inner,
                    t.base(),
                ));
                for (code, n) in &groups {
                    lines.push(line(
                        format!("  {} {}", pad(&count(*n as i64), 7), code.label()),
                        inner,
                        t.error(),
                    ));
                }
                // One sentence of the commonest reason, as the domain says it.
                if let Some(first) = groups
                    .first()
                    .and_then(|(code, _)| r.refused.iter().find(|x| x.code == *code))
                {
                    lines.push(line(format!("e.g. {}", first.why), inner, t.dim()));
                }
            }
            if will > 0 {
                lines.push(line(
                    "One batch: U undoes it within the undo window.".into(),
                    inner,
                    t.dim(),
                ));
            }
            go = format!("Enroll {}", count(will));
        }
        Preview::Failed(why) => lines.push(line(format!("Cannot enroll: {why}"), inner, t.error())),
        _ => lines.push(line(
            "Working out who can be enrolled…".into(),
            inner,
            t.dim(),
        )),
    }
    crate::tui::dialogs::manage::confirm_footer(
        app,
        d.on_confirm,
        d.notice.as_deref(),
        &go,
        inner,
        &mut lines,
        "esc back to the sequences · tab switches the buttons",
    );
    boxed(app, frame, area, title, width, lines);
}

/// `e` with rows marked: the marked contacts (Contacts view) or the
/// contacts of the marked enrollments. Returns false when nothing is
/// marked (the one-contact picker is for that).
pub fn open(app: &mut App) -> bool {
    let source = match app.screen() {
        Screen::Contacts if !app.contacts.marks.is_empty() => {
            BulkSource::Contacts(app.contacts.marks.iter().copied().collect())
        }
        Screen::Enrollments | Screen::All => match app.shown_list() {
            Some(e) if e.marked_count() > 0 => {
                BulkSource::Enrollments(e.marks.targets(&e.ids, e.cursor.selected).0)
            }
            _ => return false,
        },
        _ => return false,
    };
    if app.sequences.list.is_empty() {
        app.say(Tone::Info, "Still reading the sequences; one moment.");
        return true;
    }
    app.dialog = Some(Box::new(BulkEnrollDialog::new(
        source,
        app.sequences.list.clone(),
    )));
    true
}

/// The dry run arrived, if the dialog still waits for it.
pub fn preview_done(app: &mut App, generation: u64, result: JobOutcome<EnrollReport>) {
    if let Some(d) = app.dialog_mut::<BulkEnrollDialog>()
        && d.generation == generation
    {
        d.preview = match result {
            Ok(report) => Preview::Ready(report),
            Err(err) => Preview::Failed(err),
        };
    }
}

/// One line for the status bar: how many were enrolled, the batch, and
/// the refusals by reason.
pub fn summary(report: &EnrollReport) -> String {
    let mut line = format!(
        "Enrolled {} in '{}'",
        plural(report.enrolled.len() as i64, "contact", "contacts"),
        report.sequence
    );
    if let Some(batch) = &report.batch {
        line.push_str(&format!(" · batch {batch} (U undoes it)"));
    }
    let groups = refusal_counts(report);
    if !groups.is_empty() {
        line.push_str(&format!(
            " · refused: {}",
            groups
                .iter()
                .map(|(code, n)| format!("{n} {}", code.label()))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    line
}

/// The batch was written (or refused as a whole).
pub fn done(app: &mut App, result: JobOutcome<EnrollReport>) {
    let list = app.running.take().and_then(|r| r.list);
    match result {
        Ok(report) => {
            app.contacts.marks.clear();
            after_change(app, summary(&report), list);
        }
        Err(err) => app.fail(&err),
    }
}

impl Dialog for BulkEnrollDialog {
    fn handle(&mut self, action: &Action) -> Outcome {
        BulkEnrollDialog::handle(self, action)
    }
    fn draw(&self, app: &App, frame: &mut Frame, area: Rect) {
        draw(app, self, frame, area)
    }
    fn running_label(&self) -> String {
        BulkEnrollDialog::running_label(self)
    }
    fn loading(&self) -> bool {
        self.preview == Preview::Loading
    }
}

/// The dry run of enrolling many contacts (marked contacts, or the
/// contacts of marked enrollments) in a sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviewBulkEnroll {
    pub generation: u64,
    pub sequence: i64,
    pub source: BulkSource,
}

impl crate::tui::action::Work for PreviewBulkEnroll {
    type Answer = EnrollReport;
    const READ: bool = false;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        user: &crate::domain::User,
    ) -> crate::domain::Result<EnrollReport> {
        let contacts = match &self.source {
            BulkSource::Contacts(ids) => ids.clone(),
            BulkSource::Enrollments(ids) => ws.contacts_of_enrollments(ids)?,
        };
        ws.enroll_contacts(user, self.sequence, &contacts, true)
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<EnrollReport>) {
        preview_done(app, self.generation, result)
    }
}

/// Enroll them: one transaction, one batch (undoable).
#[derive(Debug, Clone, PartialEq)]
pub struct BulkEnroll {
    pub sequence: i64,
    pub source: BulkSource,
}

impl crate::tui::action::Work for BulkEnroll {
    type Answer = EnrollReport;
    const READ: bool = false;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        user: &crate::domain::User,
    ) -> crate::domain::Result<EnrollReport> {
        let contacts = match &self.source {
            BulkSource::Contacts(ids) => ids.clone(),
            BulkSource::Enrollments(ids) => ws.contacts_of_enrollments(ids)?,
        };
        ws.enroll_contacts(user, self.sequence, &contacts, false)
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<EnrollReport>) {
        done(app, result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EnrollRefusal;

    fn cmd(c: Command) -> Action {
        Action::Command(c)
    }

    fn seq(id: i64, name: &str) -> SequenceSummary {
        SequenceSummary {
            id,
            name: name.into(),
            ..SequenceSummary::default()
        }
    }

    fn report(enrolled: &[i64], refused: &[(i64, SkipCode)]) -> EnrollReport {
        EnrollReport {
            sequence: "S".into(),
            dry_run: true,
            batch: None,
            enrolled: Vec::new(),
            enrolled_contacts: enrolled.to_vec(),
            refused: refused
                .iter()
                .map(|(id, code)| EnrollRefusal {
                    contact_id: *id,
                    contact: format!("c{id}@x"),
                    code: *code,
                    why: format!("c{id} refused"),
                })
                .collect(),
        }
    }

    #[test]
    fn picks_then_previews_with_cancel_focused() {
        let source = BulkSource::Contacts(vec![1, 2, 3]);
        let mut d = BulkEnrollDialog::new(source.clone(), vec![seq(7, "A"), seq(8, "B")]);
        assert_eq!(d.handle(&cmd(Command::Down)), Outcome::Stay);
        assert_eq!(
            d.handle(&cmd(Command::Press)),
            Outcome::Preview(Job::from(PreviewBulkEnroll {
                generation: 1,
                sequence: 8,
                source: source.clone()
            }))
        );
        // Confirming before the dry run arrives does nothing.
        assert_eq!(d.handle(&cmd(Command::Confirm)), Outcome::Stay);
        d.preview = Preview::Ready(report(&[1, 2], &[(3, SkipCode::AlreadyEnrolled)]));
        // Enter presses the focused button: Cancel.
        assert_eq!(d.handle(&cmd(Command::Press)), Outcome::Cancel);
        d.handle(&cmd(Command::NextField));
        assert_eq!(
            d.handle(&cmd(Command::Press)),
            Outcome::Confirm(Job::from(BulkEnroll {
                sequence: 8,
                source
            }))
        );
        // Esc goes back to the picker; a second closes.
        assert_eq!(d.handle(&cmd(Command::Escape)), Outcome::Stay);
        assert!(!d.chosen);
        assert_eq!(d.handle(&cmd(Command::Escape)), Outcome::Cancel);
    }

    #[test]
    fn nobody_enrollable_cannot_be_confirmed() {
        let mut d = BulkEnrollDialog::new(BulkSource::Contacts(vec![1]), vec![seq(7, "A")]);
        d.handle(&cmd(Command::Press));
        d.preview = Preview::Ready(report(&[], &[(1, SkipCode::OptedOut)]));
        assert_eq!(d.handle(&cmd(Command::Confirm)), Outcome::Stay);
        assert!(d.notice.is_some());
    }

    #[test]
    fn refusals_group_by_code_commonest_first() {
        let r = report(
            &[9],
            &[
                (1, SkipCode::OptedOut),
                (2, SkipCode::AlreadyEnrolled),
                (3, SkipCode::AlreadyEnrolled),
            ],
        );
        assert_eq!(
            refusal_counts(&r),
            vec![(SkipCode::AlreadyEnrolled, 2), (SkipCode::OptedOut, 1)]
        );
    }
}
