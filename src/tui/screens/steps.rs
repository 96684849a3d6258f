//! The steps and settings of the sequence whose enrollments are open
//! (`i` there): each step with its day, kind, subject or title and how many
//! open enrollments wait at it; the settings, the two switches toggled
//! with enter (a confirm dialog with the domain's plan); the focused step's
//! template filled for the contact focused in the enrollment list; and `E`,
//! the sequence's file in `$EDITOR`, applied after the same diff
//! `sequence apply` shows (R17).

use std::path::PathBuf;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::domain::{SettingToggle, StepKind, StepsView};
use crate::tui::action::JobOutcome;
use crate::tui::app::{App, Tone};
use crate::tui::dialogs::sequence_edit::{SequenceChange, SequenceEditDialog};
use crate::tui::list::Cursor;
use crate::tui::text::{count, fit, pad, pad_left, wrap};
use crate::tui::view::Areas;

/// The switches the screen lists under the steps, in order.
pub const TOGGLES: [SettingToggle; 2] = [
    SettingToggle::UnenrollColleagues,
    SettingToggle::PauseOnOutOfOffice,
];

#[derive(Debug)]
pub struct StepsState {
    pub sequence_id: i64,
    /// The contact focused in the enrollment list, and who enrolled them
    /// (the sender the templates are filled as).
    pub contact: Option<i64>,
    pub sender: Option<String>,
    pub data: Option<StepsView>,
    pub pending: Option<u64>,
    /// Over the steps, then the switches.
    pub cursor: Cursor,
}

impl StepsState {
    fn rows(&self) -> usize {
        self.data
            .as_ref()
            .map_or(0, |d| d.steps.len() + TOGGLES.len())
    }

    /// The step under the cursor, or the last one when a switch has it.
    pub fn focused_step(&self) -> Option<usize> {
        let n = self.data.as_ref()?.steps.len();
        (n > 0).then(|| self.cursor.selected.min(n - 1))
    }

    /// The switch under the cursor, if it is on one.
    pub fn focused_toggle(&self) -> Option<SettingToggle> {
        let n = self.data.as_ref()?.steps.len();
        self.cursor
            .selected
            .checked_sub(n)
            .and_then(|i| TOGGLES.get(i).copied())
    }
}

/// `i` on a sequence's enrollments: the steps screen of that sequence.
pub fn open(app: &mut App) {
    let Some(e) = app.enrollments.as_ref() else {
        return;
    };
    let Some(sequence) = e.sequence().map(|s| s.id) else {
        return;
    };
    let focused = e.focused_row();
    let contact = focused.map(|r| r.contact_id);
    let sender = focused.map(|r| r.enrolled_by.clone());
    app.steps = Some(StepsState {
        sequence_id: sequence,
        contact,
        sender,
        data: None,
        pending: None,
        cursor: Cursor::default(),
    });
    app.detail.open = false;
    request(app);
}

/// Asks the reader for the steps, settings and filled templates.
pub fn request(app: &mut App) {
    let generation = app.next_generation();
    let Some(s) = app.steps.as_mut() else {
        return;
    };
    s.pending = Some(generation);
    let job = StepsRead {
        generation,
        sequence: s.sequence_id,
        contact: s.contact,
        sender: s.sender.clone(),
    };
    app.run(job);
}

pub fn done(app: &mut App, generation: u64, result: JobOutcome<Box<StepsView>>) {
    let Some(s) = app.steps.as_mut() else {
        return;
    };
    if s.pending != Some(generation) {
        return;
    }
    s.pending = None;
    match result {
        Ok(view) => {
            s.data = Some(*view);
            let len = s.rows();
            s.cursor.follow(len, len.max(1));
        }
        Err(err) => app.fail(&err),
    }
}

/// Back to the enrollment list.
pub fn close(app: &mut App) {
    app.steps = None;
}

pub fn move_by(app: &mut App, delta: isize) {
    if let Some(s) = app.steps.as_mut() {
        let len = s.rows();
        s.cursor.move_by(delta, len, len.max(1));
    }
}

pub fn move_to(app: &mut App, index: usize) {
    if let Some(s) = app.steps.as_mut() {
        let len = s.rows();
        s.cursor.select(index, len, len.max(1));
    }
}

/// Enter on a switch: the confirm dialog with what turning it over does.
pub fn toggle(app: &mut App) {
    if app.still_writing() {
        return;
    }
    let Some(s) = app.steps.as_ref() else {
        return;
    };
    let (Some(toggle), Some(data)) = (s.focused_toggle(), s.data.as_ref()) else {
        app.say(
            Tone::Info,
            "Move to a setting (below the steps) to turn it on or off; E edits the whole sequence.",
        );
        return;
    };
    let dialog = SequenceEditDialog::new(
        data.sequence_id,
        data.name.clone(),
        SequenceChange::Toggle(toggle),
        !toggle.is_on(&data.settings),
    );
    open_dialog(app, dialog);
}

fn open_dialog(app: &mut App, mut dialog: SequenceEditDialog) {
    dialog.generation = app.next_generation();
    let job = dialog.preview_job();
    app.dialog = Some(Box::new(dialog));
    app.run(job);
}

/// `E`: the sequence's file, written to a temporary file for `$EDITOR`;
/// the runner suspends the terminal, runs the editor and comes back with
/// [`edited`].
pub fn edit(app: &mut App) {
    if app.still_writing() {
        return;
    }
    let stamp = app.next_generation();
    let Some(data) = app.steps.as_ref().and_then(|s| s.data.as_ref()) else {
        app.say(Tone::Info, "Still reading the sequence; one moment.");
        return;
    };
    let dir = std::env::temp_dir();
    let safe: String = data
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let path = dir.join(format!(
        "seqtui-{}-{}-{}.toml",
        safe.trim_matches('-'),
        std::process::id(),
        stamp
    ));
    if let Err(e) = std::fs::write(&path, &data.file) {
        app.say(
            Tone::Error,
            format!("Cannot write {} for the editor: {e}", path.display()),
        );
        return;
    }
    app.edit = Some(PathBuf::from(&path));
}

/// The editor exited: read the file back and show the plan of applying it
/// (nothing changed: say so).
pub fn edited(app: &mut App, path: PathBuf, status: Result<(), String>) {
    let text = std::fs::read_to_string(&path);
    let _ = std::fs::remove_file(&path);
    if let Err(why) = status {
        app.say(
            Tone::Error,
            format!("The editor failed: {why}; nothing applied."),
        );
        return;
    }
    let Some(data) = app.steps.as_ref().and_then(|s| s.data.as_ref()) else {
        return;
    };
    let text = match text {
        Ok(t) => t,
        Err(e) => {
            app.say(
                Tone::Error,
                format!("Cannot read the edited file back: {e}; nothing applied."),
            );
            return;
        }
    };
    if text == data.file {
        app.say(Tone::Info, "The file is unchanged; nothing applied.");
        return;
    }
    let dialog = SequenceEditDialog::new(
        data.sequence_id,
        data.name.clone(),
        SequenceChange::File(text),
        false,
    );
    open_dialog(app, dialog);
}

fn kind_label(kind: StepKind) -> &'static str {
    match kind {
        StepKind::AutoEmail => "auto email",
        StepKind::ManualEmail => "manual email",
        StepKind::Call => "call",
        StepKind::Task => "task",
    }
}

pub fn draw(app: &App, frame: &mut Frame, a: &Areas) {
    let t = &app.theme;
    let Some(s) = app.steps.as_ref() else {
        return;
    };
    let Some(d) = s.data.as_ref() else {
        frame.render_widget(
            Paragraph::new(Span::styled(" Reading the steps…", t.dim())),
            a.top,
        );
        return;
    };
    let title = format!(
        " {} · version {} · owner {} · {} open{}",
        d.name,
        d.version,
        d.owner,
        count(d.open_enrollments as i64),
        if d.archived { " · archived" } else { "" }
    );
    frame.render_widget(
        Paragraph::new(Span::styled(fit(&title, a.top.width as usize), t.title())),
        a.top,
    );
    let rest = a.list;
    let needed = (d.steps.len() + 8) as u16;
    let (list, pane) = if app.wide() {
        let w = (rest.width * 40 / 100).clamp(40, 72).min(rest.width / 2);
        let [l, p] = Layout::horizontal([Constraint::Min(0), Constraint::Length(w)]).areas(rest);
        (l, p)
    } else {
        let h = needed.min(rest.height.saturating_sub(4));
        let [l, p] = Layout::vertical([Constraint::Length(h), Constraint::Min(0)]).areas(rest);
        (l, p)
    };
    draw_steps(app, s, d, frame, list);
    draw_template(app, s, d, frame, pane);
}

fn draw_steps(app: &App, s: &StepsState, d: &StepsView, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let width = area.width as usize;
    let text_w = width.saturating_sub(4 + 5 + 13 + 9 + 4);
    let mut lines = vec![Line::from(Span::styled(
        pad(
            &format!(
                "{} {} {} {} {}",
                pad("Step", 4),
                pad_left("Day", 4),
                pad("Kind", 12),
                pad("Subject or title", text_w),
                pad_left("Waiting", 8)
            ),
            width,
        ),
        t.table_header(),
    ))];
    for (i, line) in d.steps.iter().enumerate() {
        let text = if line.step.kind == StepKind::AutoEmail || line.step.title.is_empty() {
            &line.step.subject
        } else {
            &line.step.title
        };
        let row = format!(
            "{} {} {} {} {}",
            pad(&format!("{}", line.step.position), 4),
            pad_left(&format!("{}", line.day), 4),
            pad(kind_label(line.step.kind), 12),
            pad(&fit(text, text_w), text_w),
            pad_left(&count(line.waiting as i64), 8)
        );
        let focused = s.cursor.selected == i;
        let mark = if focused { "›" } else { " " };
        lines.push(Line::from(Span::styled(
            pad(&fit(&format!("{mark}{row}"), width), width),
            t.row(focused),
        )));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        " Settings (enter turns one on or off)",
        t.title(),
    )));
    for (k, toggle) in TOGGLES.iter().enumerate() {
        let focused = s.cursor.selected == d.steps.len() + k;
        let on = toggle.is_on(&d.settings);
        let row = format!(
            "{}[{}] {}",
            if focused { "›" } else { " " },
            if on { "x" } else { " " },
            toggle.label()
        );
        lines.push(Line::from(Span::styled(
            pad(&fit(&row, width), width),
            t.row(focused),
        )));
    }
    let st = &d.settings;
    lines.push(Line::from(Span::styled(
        fit(
            &format!(
                "  sending window {}–{} {} · days {}",
                st.window_start,
                st.window_end,
                st.time_zone,
                st.sending_days.join(" ")
            ),
            width,
        ),
        t.base(),
    )));
    lines.push(Line::from(Span::styled(
        fit(
            "  E edits the whole sequence (window, days, time zone, steps) in $EDITOR",
            width,
        ),
        t.dim(),
    )));
    frame.render_widget(Paragraph::new(lines), area);
}

fn draw_template(app: &App, s: &StepsState, d: &StepsView, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    if area.height < 3 || area.width < 10 {
        return;
    }
    let block = Block::bordered()
        .border_style(t.dialog_border())
        .title(Span::styled(" Template ", t.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width.saturating_sub(1) as usize;
    let mut lines = Vec::new();
    match s.focused_step().and_then(|i| d.steps.get(i)) {
        None => lines.push(Line::from(Span::styled(" No steps.", t.dim()))),
        Some(step) => {
            lines.push(Line::from(Span::styled(
                fit(
                    &format!(
                        " Step {} · day {} · {}",
                        step.step.position,
                        step.day,
                        kind_label(step.step.kind)
                    ),
                    width,
                ),
                t.title(),
            )));
            lines.push(Line::from(Span::styled(
                fit(
                    &match &d.contact {
                        Some(c) => format!(" For {c}"),
                        None => " As written (no contact focused)".to_string(),
                    },
                    width,
                ),
                t.dim(),
            )));
            if !step.subject.is_empty() {
                lines.push(Line::from(Span::styled(
                    fit(&format!(" Subject: {}", step.subject), width),
                    t.base(),
                )));
            }
            if !step.title.is_empty() {
                lines.push(Line::from(Span::styled(
                    fit(&format!(" Title: {}", step.title), width),
                    t.base(),
                )));
            }
            if !step.body.is_empty() {
                lines.push(Line::from(""));
                for para in step.body.lines() {
                    if para.trim().is_empty() {
                        lines.push(Line::from(""));
                        continue;
                    }
                    for l in wrap(para, width.saturating_sub(1).max(10)) {
                        lines.push(Line::from(Span::styled(format!(" {l}"), t.base())));
                    }
                }
            }
        }
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// A sequence's steps, settings and templates filled for a contact.
#[derive(Debug, Clone, PartialEq)]
pub struct StepsRead {
    pub generation: u64,
    pub sequence: i64,
    pub contact: Option<i64>,
    pub sender: Option<String>,
}

impl crate::tui::action::Work for StepsRead {
    type Answer = Box<StepsView>;
    const READ: bool = true;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        _: &crate::domain::User,
    ) -> crate::domain::Result<Box<StepsView>> {
        ws.steps_view(self.sequence, self.contact, self.sender.as_deref())
            .map(Box::new)
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<Box<StepsView>>) {
        done(app, self.generation, result)
    }
}
