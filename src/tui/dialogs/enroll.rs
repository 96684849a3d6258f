//! The sequence picker: enroll one contact, after the domain's preview.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::{Outcome, Preview, boxed};
use crate::domain::{EnrollPreview, SequenceSummary};
use crate::tui::action::{Action, Command, Job};
use crate::tui::app::App;
use crate::tui::text::{count, fit, pad};

use crate::domain::{full_name, opted_out_refusal, undeliverable_refusal};
use crate::tui::action::JobOutcome;
use crate::tui::app::{Screen, Tone};
use crate::tui::dialogs::Dialog;

/// Picks the sequence to enroll one contact in. Typing finds the sequence
/// (ranked by the same matcher as the Contacts search; letters are text,
/// so `e` then `y` typed by accident only types a y). Nothing is chosen at
/// first: ↑/↓ choose among the matches, or enter chooses the best one;
/// once a sequence is chosen the domain's preview (sequence, contact,
/// first step and when it is due) shows, and only then does enter enroll.
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
    /// What is typed to find the sequence, and the sequences it matches,
    /// best first (indexes into `sequences`; all while nothing is typed).
    pub filter: String,
    pub shown: Vec<usize>,
    /// The fresh read of the contact (R2) on its way from the reader, and
    /// the contact as the Contacts view shows it, should that read fail.
    pub check: Option<u64>,
    pub listed: Option<crate::domain::Contact>,
}

impl EnrollPicker {
    pub fn new(contact_id: i64, contact: String, sequences: Vec<SequenceSummary>) -> EnrollPicker {
        EnrollPicker {
            contact_id,
            contact,
            shown: (0..sequences.len()).collect(),
            sequences,
            selected: None,
            generation: 0,
            preview: Preview::None,
            notice: None,
            filter: String::new(),
            check: None,
            listed: None,
        }
    }

    pub fn handle(&mut self, action: &Action) -> Outcome {
        match action {
            Action::Command(Command::Cancel) | Action::Command(Command::Escape) => Outcome::Cancel,
            Action::Command(Command::Down) => self.pick(1),
            Action::Command(Command::Up) => self.pick(-1),
            Action::Input(c) => self.find(Some(*c)),
            Action::InputBackspace => self.find(None),
            // Enter with nothing chosen chooses the best match (a preview,
            // never an enroll); with a sequence chosen it enrolls.
            Action::InputDone if self.selected.is_none() && !self.filter.trim().is_empty() => {
                self.pick(1)
            }
            Action::Command(Command::Confirm)
            | Action::Command(Command::Press)
            | Action::InputDone => self.confirm(),
            _ => Outcome::Stay,
        }
    }

    /// A character typed (`None`: backspace): the matches, best first; a
    /// choice the filter hides is dropped.
    fn find(&mut self, c: Option<char>) -> Outcome {
        match c {
            Some(c) => self.filter.push(c),
            None => {
                self.filter.pop();
            }
        }
        let names: Vec<&str> = self.sequences.iter().map(|s| s.name.as_str()).collect();
        self.shown = crate::domain::fuzzy::rank(&self.filter, &names);
        if self.selected.is_some_and(|i| !self.shown.contains(&i)) {
            self.selected = None;
            self.generation += 1;
            self.preview = Preview::None;
        }
        self.notice = None;
        Outcome::Stay
    }

    fn pick(&mut self, delta: isize) -> Outcome {
        let Some(last) = self.shown.len().checked_sub(1) else {
            return Outcome::Stay;
        };
        let at = self
            .selected
            .and_then(|i| self.shown.iter().position(|&s| s == i));
        let next = match at {
            None if delta < 0 => last,
            None => 0,
            Some(i) => i.saturating_add_signed(delta).min(last),
        };
        let next = self.shown[next];
        if self.selected == Some(next) {
            return Outcome::Stay;
        }
        self.selected = Some(next);
        self.generation += 1;
        self.preview = Preview::Loading;
        self.notice = None;
        Outcome::Preview(Job::from(PreviewEnroll {
            generation: self.generation,
            contact: self.contact_id,
            sequence: self.sequences[next].id,
        }))
    }

    fn confirm(&mut self) -> Outcome {
        let Some(sequence) = self.selected.and_then(|i| self.sequences.get(i)) else {
            self.notice = Some("Choose a sequence first (↑/↓).".into());
            return Outcome::Stay;
        };
        match &self.preview {
            Preview::Ready(p) if p.sequence_id == sequence.id => {
                Outcome::Confirm(Job::from(EnrollOne {
                    contact: self.contact_id,
                    sequence: sequence.id,
                }))
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
}

pub fn draw(app: &App, p: &EnrollPicker, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let width = 70.min(area.width.saturating_sub(2));
    let inner = width.saturating_sub(4) as usize;
    // Room for the list once the preview (four lines) and the hints fit.
    let room = (area.height as usize).saturating_sub(14).clamp(3, 12);
    let chosen = p
        .selected
        .and_then(|i| p.shown.iter().position(|&s| s == i))
        .unwrap_or(0);
    let first = chosen.saturating_sub(room.saturating_sub(1));
    let mut lines = vec![
        Line::from(Span::styled(
            fit(
                &format!(
                    "Enroll {} in: {}▏",
                    p.contact,
                    crate::tui::text::clean(&p.filter)
                ),
                inner,
            ),
            t.title(),
        )),
        Line::from(""),
    ];
    if p.shown.is_empty() && !p.sequences.is_empty() {
        lines.push(Line::from(Span::styled("No sequence matches.", t.dim())));
    }
    for &i in p.shown.iter().skip(first).take(room) {
        let s = &p.sequences[i];
        let mut label = format!(
            "{} · {} · {} active",
            s.name,
            crate::tui::text::plural(s.steps, "step", "steps"),
            count(s.active)
        );
        if s.archived {
            label.push_str(" · archived");
        }
        let style = if p.selected == Some(i) {
            t.focused()
        } else if s.archived {
            t.dim()
        } else {
            t.base()
        };
        // The chosen one is marked in text too (no colour, NO_COLOR).
        let mark = if p.selected == Some(i) { "›" } else { " " };
        lines.push(Line::from(Span::styled(
            pad(&format!("{mark} {label}"), inner),
            style,
        )));
    }
    if p.sequences.is_empty() {
        lines.push(Line::from(Span::styled("There are no sequences.", t.dim())));
    }
    lines.push(Line::from(""));
    // What confirming will do, from the domain: nothing until a sequence
    // is chosen.
    let preview: Vec<(String, Style)> = match &p.preview {
        Preview::None => vec![(
            "Nothing chosen yet: type to find a sequence, ↑/↓ to choose.".into(),
            t.dim(),
        )],
        Preview::Loading => vec![("Working out the first step…".into(), t.dim())],
        Preview::Failed(why) => vec![(format!("Cannot enroll: {why}"), t.error())],
        Preview::Ready(e) => vec![
            (format!("Will enroll {}", e.contact), t.title()),
            (
                format!(
                    "in '{}' ({})",
                    e.sequence,
                    crate::tui::text::plural(e.steps as i64, "step", "steps")
                ),
                t.title(),
            ),
            (
                format!(
                    "step 1, due {} UTC: {} '{}'",
                    e.first_due_at.format("%Y-%m-%d %H:%M"),
                    e.first_kind.as_str().replace('_', " "),
                    e.first_text
                ),
                t.base(),
            ),
        ],
    };
    for (text, style) in preview {
        lines.push(Line::from(Span::styled(fit(&text, inner), style)));
    }
    if let Some(notice) = &p.notice {
        lines.push(Line::from(Span::styled(fit(notice, inner), t.error())));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        fit(
            "type to find · ↑↓ choose · enter choose, then enroll · esc cancel",
            inner,
        ),
        t.dim(),
    )));
    boxed(
        app,
        frame,
        area,
        " Enroll in a sequence ".into(),
        width,
        lines,
    );
}

pub fn open(app: &mut App) {
    let contact = match app.screen() {
        Screen::Enrollments | Screen::All => app
            .shown_list()
            .and_then(|e| e.focused_row())
            .map(|r| (r.contact_id, r.contact_name.clone())),
        Screen::Contacts => app
            .focused_contact()
            .map(|c| (c.id, full_name(&c.first_name, &c.last_name, &c.email))),
        _ => None,
    };
    let Some((contact_id, contact)) = contact else {
        app.say(Tone::Info, "Choose a contact first.");
        return;
    };
    // R2: an opted-out contact is never offered for enrollment. The reader
    // reads it afresh (one row: the list on screen may predate the
    // opt-out) before anything else the picker asks; a refusal closes it.
    let mut picker = EnrollPicker::new(contact_id, contact, app.sequences.list.clone());
    if app.screen() == Screen::Contacts {
        picker.listed = app.focused_contact().cloned();
    }
    let generation = app.next_generation();
    picker.check = Some(generation);
    app.dialog = Some(Box::new(picker));
    app.run(EnrollCheck {
        generation,
        contact: contact_id,
    });
}

/// The contact as it is now arrived: an opted-out or undeliverable one
/// closes the picker with the reason (R2).
pub fn checked(app: &mut App, generation: u64, result: JobOutcome<Box<crate::domain::Contact>>) {
    let Some(p) = app.dialog_mut::<EnrollPicker>() else {
        return;
    };
    if p.check != Some(generation) {
        return;
    }
    p.check = None;
    let current = result.ok().map(|c| *c).or_else(|| p.listed.take());
    let refusal = current
        .as_ref()
        .and_then(|c| opted_out_refusal(c).or_else(|| undeliverable_refusal(c)));
    if let Some(why) = refusal {
        app.dialog = None;
        app.say(Tone::Error, format!("Not enrolling: {why}."));
    }
}

/// The preview arrived, if the picker still waits for it.
pub fn preview_done(app: &mut App, generation: u64, result: JobOutcome<EnrollPreview>) {
    if let Some(p) = app.dialog_mut::<EnrollPicker>()
        && p.generation == generation
    {
        p.preview = match result {
            Ok(preview) => Preview::Ready(preview),
            Err(err) => Preview::Failed(err),
        };
    }
}

/// The enroll was written (or refused).
pub fn done(app: &mut App, contact: i64, result: JobOutcome<crate::domain::EnrollReport>) {
    app.running = None;
    match result {
        Ok(report) if !report.refused.is_empty() => {
            let why: Vec<&str> = report.refused.iter().map(|r| r.why.as_str()).collect();
            app.say(Tone::Error, format!("Not enrolled: {}", why.join("; ")));
        }
        Ok(report) => {
            let name = app
                .detail
                .data
                .as_ref()
                .filter(|d| d.contact.id == contact)
                .map(|d| d.contact.full_name())
                .unwrap_or_else(|| "the contact".into());
            let batch = report
                .batch
                .as_ref()
                .map(|b| format!(" · batch {b}"))
                .unwrap_or_default();
            app.say(
                Tone::Success,
                format!("Enrolled {name} in '{}'{batch}", report.sequence),
            );
            app.note_batch(report.batch);
            crate::tui::update::saw_own_commit(app);
            app.refresh_all();
        }
        Err(err) => app.fail(&err),
    }
}

impl Dialog for EnrollPicker {
    fn handle(&mut self, action: &Action) -> Outcome {
        EnrollPicker::handle(self, action)
    }
    fn draw(&self, app: &App, frame: &mut Frame, area: Rect) {
        draw(app, self, frame, area)
    }
    fn running_label(&self) -> String {
        format!("Enrolling {}", self.contact)
    }
    fn loading(&self) -> bool {
        self.preview == Preview::Loading || self.check.is_some()
    }
    fn typing(&self) -> bool {
        true
    }
    fn typing_hints(&self) -> Option<Vec<(&'static str, &'static str)>> {
        Some(vec![
            ("typing", "finds the sequence"),
            ("↑↓", "choose"),
            ("enter", "choose, then enroll"),
            ("esc", "cancel"),
        ])
    }
}

/// What enrolling one contact in a sequence would do (the picker shows
/// it before it can be confirmed).
#[derive(Debug, Clone, PartialEq)]
pub struct PreviewEnroll {
    pub generation: u64,
    pub contact: i64,
    pub sequence: i64,
}

impl crate::tui::action::Work for PreviewEnroll {
    type Answer = EnrollPreview;
    const READ: bool = true;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        _: &crate::domain::User,
    ) -> crate::domain::Result<EnrollPreview> {
        ws.enroll_preview(self.sequence, self.contact)
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<EnrollPreview>) {
        preview_done(app, self.generation, result)
    }
}

/// Enroll one contact (R1, R2 refusals come back as sentences).
#[derive(Debug, Clone, PartialEq)]
pub struct EnrollOne {
    pub contact: i64,
    pub sequence: i64,
}

impl crate::tui::action::Work for EnrollOne {
    type Answer = crate::domain::EnrollReport;
    const READ: bool = false;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        user: &crate::domain::User,
    ) -> crate::domain::Result<crate::domain::EnrollReport> {
        ws.enroll(user, self.sequence, &[self.contact])
    }
    fn done(
        self,
        app: &mut App,
        result: crate::tui::action::JobOutcome<crate::domain::EnrollReport>,
    ) {
        done(app, self.contact, result)
    }
}

/// The contact `e` is about, as it is now (R2: an opt-out or an
/// undeliverable address since the list was read refuses the enroll).
#[derive(Debug, Clone, PartialEq)]
pub struct EnrollCheck {
    pub generation: u64,
    pub contact: i64,
}

impl crate::tui::action::Work for EnrollCheck {
    type Answer = Box<crate::domain::Contact>;
    const READ: bool = true;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        _: &crate::domain::User,
    ) -> crate::domain::Result<Box<crate::domain::Contact>> {
        ws.contact(&self.contact.to_string()).map(Box::new)
    }
    fn done(
        self,
        app: &mut App,
        result: crate::tui::action::JobOutcome<Box<crate::domain::Contact>>,
    ) {
        checked(app, self.generation, result)
    }
}
