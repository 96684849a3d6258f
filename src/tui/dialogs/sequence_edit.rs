//! An edit of a sequence from the steps screen (R17): a setting turned on
//! or off, or the file edited in `$EDITOR`. The dialog shows the domain's
//! dry-run plan — the same diff `sequence apply` prints: settings changed,
//! steps added / changed / removed and what that does to open enrollments —
//! with Cancel focused; confirming applies it as a new version, audited.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::manage::line;
use super::{Outcome, Preview, boxed, buttons, key};
use crate::domain::{PlanAction, SequencePlan, SettingToggle, StepChangeKind};
use crate::tui::action::{Action, Command, Job, JobOutcome};
use crate::tui::app::{App, Tone};
use crate::tui::dialogs::Dialog;

/// What the edit is.
#[derive(Debug, Clone, PartialEq)]
pub enum SequenceChange {
    Toggle(SettingToggle),
    /// The whole file, as the editor left it.
    File(String),
}

#[derive(Debug)]
pub struct SequenceEditDialog {
    pub sequence: i64,
    pub name: String,
    pub change: SequenceChange,
    /// For a toggle: whether it turns the setting on.
    pub turns_on: bool,
    pub generation: u64,
    pub preview: Preview<SequencePlan>,
    pub on_confirm: bool,
    pub notice: Option<String>,
}

impl SequenceEditDialog {
    pub fn new(
        sequence: i64,
        name: String,
        change: SequenceChange,
        turns_on: bool,
    ) -> SequenceEditDialog {
        SequenceEditDialog {
            sequence,
            name,
            change,
            turns_on,
            generation: 0,
            preview: Preview::Loading,
            on_confirm: false,
            notice: None,
        }
    }

    /// The dry run this dialog shows.
    pub fn preview_job(&self) -> Job {
        Job::from(PlanChange {
            generation: self.generation,
            sequence: self.sequence,
            change: self.change.clone(),
            dry_run: true,
        })
    }

    pub fn loading(&self) -> bool {
        matches!(self.preview, Preview::Loading)
    }

    pub fn handle(&mut self, action: &Action) -> Outcome {
        match action {
            Action::Command(Command::Cancel) | Action::Command(Command::Escape) => Outcome::Cancel,
            Action::Command(Command::NextField) | Action::Command(Command::PrevField) => {
                self.on_confirm = !self.on_confirm;
                Outcome::Stay
            }
            Action::Command(Command::Press) | Action::InputDone => {
                if self.on_confirm {
                    self.confirm()
                } else {
                    Outcome::Cancel
                }
            }
            Action::Command(Command::Confirm) => self.confirm(),
            _ => Outcome::Stay,
        }
    }

    fn confirm(&mut self) -> Outcome {
        match &self.preview {
            Preview::Ready(p) if p.action == PlanAction::Unchanged => {
                self.notice = Some("Nothing changes; press n or esc to close.".into());
                Outcome::Stay
            }
            Preview::Ready(_) => Outcome::Confirm(Job::from(PlanChange {
                generation: self.generation,
                sequence: self.sequence,
                change: self.change.clone(),
                dry_run: false,
            })),
            Preview::Failed(why) => {
                self.notice = Some(format!("Cannot apply: {why}"));
                Outcome::Stay
            }
            _ => {
                self.notice = Some("Still working out what will change; one moment.".into());
                Outcome::Stay
            }
        }
    }

    pub fn running_label(&self) -> String {
        format!("Saving a new version of '{}'", self.name)
    }
}

/// The plan as lines: the same facts, in the same words, as the CLI's
/// `sequence apply` dry run.
pub fn plan_lines(plan: &SequencePlan) -> Vec<String> {
    let mut out = Vec::new();
    match plan.action {
        PlanAction::Unchanged => {
            out.push(format!("'{}': nothing to change.", plan.sequence));
            return out;
        }
        PlanAction::Create => out.push(format!(
            "Create '{}' owned by {}, {} steps (version 1).",
            plan.sequence,
            plan.owner,
            plan.steps.len()
        )),
        PlanAction::Update => out.push(format!(
            "Update '{}' to version {} ({} open enrollments).",
            plan.sequence,
            plan.version.unwrap_or(0),
            plan.open_enrollments
        )),
    }
    for c in &plan.changes {
        out.push(format!(
            "  {}: {} → {}",
            c.field.replace('_', " "),
            c.from,
            c.to
        ));
    }
    for s in &plan.steps {
        let what = match s.change {
            StepChangeKind::Added => format!(
                "scheduled for {} open enrollments that have not passed it",
                s.enrollments
            ),
            StepChangeKind::Changed => format!(
                "{} changed; new text for {} open enrollments that have not run it",
                s.fields.join(", "),
                s.enrollments
            ),
            StepChangeKind::Removed => format!("cancelled for {} open enrollments", s.enrollments),
        };
        let sign = match s.change {
            StepChangeKind::Added => "+ added",
            StepChangeKind::Changed => "~ changed",
            StepChangeKind::Removed => "- removed",
        };
        out.push(format!(
            "  {sign} step {} ({}, \"{}\"): {what}",
            s.position, s.kind, s.label
        ));
    }
    let e = &plan.effects;
    out.push(format!(
        "Open enrollments: {} steps get new text, {} scheduled, {} cancelled, {} due dates moved, {} renumbered, {} finished{}.",
        e.texts_updated,
        e.steps_scheduled,
        e.steps_cancelled,
        e.due_dates_moved,
        e.enrollments_renumbered,
        e.enrollments_finished,
        e.tasks_removed_note()
    ));
    out
}

pub fn draw(app: &App, d: &SequenceEditDialog, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let width = 86.min(area.width.saturating_sub(2));
    let inner = width.saturating_sub(4) as usize;
    let title = match &d.change {
        SequenceChange::Toggle(toggle) => format!(
            " Turn {} '{}'? ",
            if d.turns_on { "on" } else { "off" },
            toggle.label()
        ),
        SequenceChange::File(_) => format!(" Apply your edit of '{}'? ", d.name),
    };
    let mut lines = Vec::new();
    match &d.preview {
        Preview::Ready(plan) => {
            let room = (area.height as usize).saturating_sub(10).max(3);
            let all = plan_lines(plan);
            let shown = all.len().min(room);
            for (i, text) in all.iter().take(shown).enumerate() {
                let style = if i == 0 { t.title() } else { t.base() };
                for l in crate::tui::text::wrap(text, inner).into_iter().take(2) {
                    lines.push(line(l, inner, style));
                }
            }
            if all.len() > shown {
                lines.push(line(
                    format!("… and {} more lines", all.len() - shown),
                    inner,
                    t.dim(),
                ));
            }
        }
        Preview::Failed(why) => {
            for l in crate::tui::text::wrap(&why.to_string(), inner)
                .into_iter()
                .take(4)
            {
                lines.push(line(l, inner, t.error()));
            }
            lines.push(line("Nothing was applied.".into(), inner, t.dim()));
        }
        _ => lines.push(line("Working out what it changes…".into(), inner, t.dim())),
    }
    lines.push(Line::from(""));
    lines.push(buttons(app, " Apply ", d.on_confirm, !d.on_confirm, inner));
    if let Some(notice) = &d.notice {
        lines.push(line(notice.clone(), inner, t.error()));
    }
    lines.push(line(
        format!(
            "{} apply · {}/esc cancel · tab switches the buttons · enter presses the focused one",
            key(app, Command::Confirm),
            key(app, Command::Cancel)
        ),
        inner,
        t.dim(),
    ));
    boxed(app, frame, area, title, width, lines);
}

/// The dry run (or the applied plan) arrived.
pub fn plan_done(app: &mut App, generation: u64, dry_run: bool, result: JobOutcome<SequencePlan>) {
    if dry_run {
        if let Some(d) = app.dialog_mut::<SequenceEditDialog>()
            && d.generation == generation
        {
            d.preview = match result {
                Ok(plan) => Preview::Ready(plan),
                Err(err) => Preview::Failed(err),
            };
        }
        return;
    }
    app.running = None;
    match result {
        Ok(plan) => {
            let text = format!(
                "'{}' is now version {}: {}",
                plan.sequence,
                plan.version.unwrap_or(0),
                plan.summary()
            );
            app.say(Tone::Success, text);
            crate::tui::update::saw_own_commit(app);
            crate::tui::screens::steps::request(app);
            crate::tui::screens::sequences::request(app);
        }
        Err(err) => app.fail(&err),
    }
}

impl Dialog for SequenceEditDialog {
    fn handle(&mut self, action: &Action) -> Outcome {
        SequenceEditDialog::handle(self, action)
    }
    fn draw(&self, app: &App, frame: &mut Frame, area: Rect) {
        draw(app, self, frame, area)
    }
    fn running_label(&self) -> String {
        SequenceEditDialog::running_label(self)
    }
    fn loading(&self) -> bool {
        SequenceEditDialog::loading(self)
    }
}

/// A setting toggled or a file applied to a sequence (R17); a dry run
/// is the plan the dialog shows.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanChange {
    pub generation: u64,
    pub sequence: i64,
    pub change: SequenceChange,
    pub dry_run: bool,
}

impl crate::tui::action::Work for PlanChange {
    type Answer = SequencePlan;
    const READ: bool = false;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        user: &crate::domain::User,
    ) -> crate::domain::Result<SequencePlan> {
        match &self.change {
            SequenceChange::Toggle(t) => {
                ws.toggle_sequence_setting(user, self.sequence, *t, self.dry_run)
            }
            SequenceChange::File(text) => {
                ws.apply_sequence_text(user, "the edited file", text, self.dry_run)
            }
        }
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<SequencePlan>) {
        plan_done(app, self.generation, self.dry_run, result)
    }
}
