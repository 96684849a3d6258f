//! The contact detail pane: properties, every enrollment across sequences
//! with status and end reason, upcoming scheduled steps, open tasks, and
//! the timeline (sent, opened, clicked, replied, meeting, task done,
//! unenrolled — who and why).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::domain::{AddressState, ContactDetail, StepState, TaskState};
use crate::tui::action::{Command, JobOutcome};
use crate::tui::app::App;
use crate::tui::text::{self, day, fit, local_part, moment};

/// The contact detail pane: beside the list when the terminal is wide,
/// full screen when `open`.
#[derive(Debug, Default)]
pub struct DetailState {
    pub contact_id: Option<i64>,
    /// The detail asked of the reader and not answered yet.
    pub pending: Option<u64>,
    pub data: Option<ContactDetail>,
    pub error: Option<String>,
    pub open: bool,
    pub scroll: u16,
}

/// Asks for the detail of the focused contact when it changed and the
/// pane is on screen.
pub fn sync(app: &mut App) {
    let want = if app.detail_shown() {
        app.focused_contact_id()
    } else {
        None
    };
    if want != app.detail.contact_id {
        app.detail.contact_id = want;
        app.detail.scroll = 0;
        reload(app);
    }
}

/// Asks the reader for the contact's detail again.
pub fn reload(app: &mut App) {
    app.detail.data = None;
    app.detail.error = None;
    app.detail.pending = None;
    if let Some(contact) = app.detail.contact_id {
        let generation = app.next_generation();
        app.detail.pending = Some(generation);
        app.run(DetailRead {
            generation,
            contact,
        });
    }
}

/// The reader's answer, if it is still the one asked.
pub fn done(app: &mut App, generation: u64, result: JobOutcome<Box<ContactDetail>>) {
    if app.detail.pending != Some(generation) {
        return;
    }
    app.detail.pending = None;
    match result {
        Ok(d) => app.detail.data = Some(*d),
        Err(e) => app.detail.error = Some(e.to_string()),
    }
}

/// The full-screen pane takes movement keys for scrolling and closes on
/// back / esc / tab / enter / q; false for a command it leaves to others.
pub fn command(app: &mut App, command: Command) -> bool {
    match command {
        Command::Up => app.detail.scroll = app.detail.scroll.saturating_sub(1),
        Command::Down => app.detail.scroll = app.detail.scroll.saturating_add(1),
        Command::PageUp => app.detail.scroll = app.detail.scroll.saturating_sub(10),
        Command::PageDown => app.detail.scroll = app.detail.scroll.saturating_add(10),
        Command::HalfPageUp => app.detail.scroll = app.detail.scroll.saturating_sub(5),
        Command::HalfPageDown => app.detail.scroll = app.detail.scroll.saturating_add(5),
        Command::Top => app.detail.scroll = 0,
        Command::Back | Command::Escape | Command::Detail | Command::Open | Command::Quit => {
            app.detail.open = false;
            sync(app);
        }
        _ => return false,
    }
    true
}

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let block = if app.detail.open {
        let close = app.keymap.first_key(Command::Detail);
        Block::bordered()
            .border_style(t.border())
            .title(Span::styled(" Contact ", t.title()))
            .title_bottom(Span::styled(
                format!(" ↑↓ scroll · {close}/esc close "),
                t.dim(),
            ))
    } else {
        Block::default()
            .borders(Borders::LEFT)
            .border_style(t.border())
    };
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width.saturating_sub(1) as usize;
    let lines: Vec<Line> = match (&app.detail.data, &app.detail.error) {
        (Some(d), _) => lines(app, d, width),
        (None, Some(err)) => vec![Line::styled(format!(" {}", fit(err, width)), t.error())],
        (None, None) if app.detail.pending.is_some() => vec![Line::styled(" Reading…", t.dim())],
        (None, None) => vec![Line::styled(" No contact in focus.", t.dim())],
    };
    let scroll = (app.detail.scroll as usize).min(lines.len().saturating_sub(1));
    let shown: Vec<Line> = lines
        .into_iter()
        .skip(scroll)
        .take(inner.height as usize)
        .collect();
    frame.render_widget(Paragraph::new(shown), inner);
}

fn lines<'a>(app: &App, d: &ContactDetail, width: usize) -> Vec<Line<'a>> {
    let t = &app.theme;
    let now = app.now();
    let c = &d.contact;
    let plain = |s: String| Line::from(Span::raw(format!(" {}", fit(&s, width))));
    let styled =
        |s: String, style: Style| Line::from(Span::styled(format!(" {}", fit(&s, width)), style));
    let mut out = vec![styled(c.full_name(), t.title())];
    out.push(plain(c.email.clone()));
    let role = match (c.title.is_empty(), c.company.is_empty()) {
        (false, false) => format!("{} at {}", c.title, c.company),
        (true, false) => c.company.clone(),
        (false, true) => c.title.clone(),
        (true, true) => String::new(),
    };
    if !role.is_empty() {
        out.push(plain(role));
    }
    out.push(Line::from(Span::styled(
        format!(
            " {}",
            fit(
                &format!(
                    "owner {} · stage {}{}{}",
                    c.owner.as_deref().map(local_part).unwrap_or("none"),
                    c.lifecycle_label,
                    if c.phone.is_empty() {
                        String::new()
                    } else {
                        format!(" · phone {}", c.phone)
                    },
                    if c.crm_id.is_empty() {
                        String::new()
                    } else {
                        format!(" · CRM id {}", c.crm_id)
                    }
                ),
                width
            )
        ),
        t.dim(),
    )));
    if c.opted_out {
        // R9/R2: who, when and how; the enroll key refuses such a contact.
        let mut line = String::from("OPTED OUT");
        if let Some(at) = c.opted_out_at {
            line.push_str(&format!(" {}", day(at, now)));
        }
        if let Some(via) = c.opted_out_via {
            line.push_str(&format!(" via {via}"));
        }
        if let Some(by) = &c.opted_out_by {
            line.push_str(&format!(" by {}", local_part(by)));
        }
        out.push(styled(line, t.error()));
        out.push(styled(
            "not enrollable; an admin may opt it in".into(),
            t.dim(),
        ));
    }
    if c.address_state == AddressState::Undeliverable {
        // R9: a hard bounce marked the address; the enroll key refuses it
        // until the address changes.
        let mut line = String::from("undeliverable");
        if let Some(at) = c.undeliverable_at {
            line.push_str(&format!(" since {}", day(at, now)));
        }
        if let Some(reason) = c.undeliverable_reason {
            line.push_str(&format!(" ({reason})"));
        }
        out.push(styled(line, t.error()));
        out.push(styled(
            "not enrollable until the address changes".into(),
            t.dim(),
        ));
    }

    out.push(Line::from(""));
    out.push(styled(
        format!("Enrollments ({})", d.enrollments.len()),
        t.section(),
    ));
    if d.enrollments.is_empty() {
        out.push(styled("none".into(), t.dim()));
    }
    for e in &d.enrollments {
        let r = &e.enrollment;
        let open = r.status.is_open();
        let style = if open { t.status(r.status) } else { t.base() };
        out.push(styled(
            format!("{} {}", if open { "●" } else { "○" }, r.sequence),
            style,
        ));
        let mut what = format!(
            "  {} · step {}/{}",
            crate::tui::text::status_label(r.status, r.end_reason),
            r.step,
            r.steps
        );
        if let Some(ended) = r.ended_at {
            what.push_str(&format!(" · ended {}", day(ended, now)));
            if let Some(by) = &r.ended_by {
                what.push_str(&format!(" by {}", local_part(by)));
            }
        } else {
            what.push_str(&format!(
                " · since {} by {}",
                day(r.enrolled_at, now),
                local_part(&r.enrolled_by)
            ));
        }
        out.push(styled(what, style));
        if let Some(note) = r.note.as_deref().filter(|n| !n.is_empty()) {
            out.push(styled(format!("  note: {note}"), t.dim()));
        }
    }

    let upcoming: Vec<_> = d
        .enrollments
        .iter()
        .flat_map(|e| e.scheduled.iter().map(move |s| (e, s)))
        .filter(|(_, s)| s.state == StepState::Scheduled)
        .collect();
    out.push(Line::from(""));
    out.push(styled(
        format!("Upcoming steps ({})", upcoming.len()),
        t.section(),
    ));
    if upcoming.is_empty() {
        out.push(styled("none".into(), t.dim()));
    }
    for (e, s) in upcoming {
        out.push(plain(format!(
            "{}  step {} {} · {}",
            day(s.due_at, now),
            s.step,
            s.kind.as_str().replace('_', " "),
            e.enrollment.sequence
        )));
    }

    let tasks: Vec<_> = d
        .enrollments
        .iter()
        .flat_map(|e| e.tasks.iter())
        .filter(|task| task.state == TaskState::Open)
        .collect();
    out.push(Line::from(""));
    out.push(styled(format!("Open tasks ({})", tasks.len()), t.section()));
    if tasks.is_empty() {
        out.push(styled("none".into(), t.dim()));
    }
    for task in tasks {
        out.push(plain(format!(
            "{}  {} · {}",
            day(task.due_at, now),
            task.title,
            local_part(&task.owner)
        )));
    }

    out.push(Line::from(""));
    out.push(styled(
        format!("Timeline ({})", d.timeline.len()),
        t.section(),
    ));
    if d.timeline.is_empty() {
        out.push(styled("nothing yet".into(), t.dim()));
    }
    for entry in &d.timeline {
        let mut what = format!(
            "{}  {}",
            moment(entry.at, now),
            entry.kind.replace('_', " ")
        );
        if let Some(seq) = &entry.sequence {
            what.push_str(&format!(" · {seq}"));
        }
        out.push(plain(what));
        if !entry.detail.is_empty() {
            out.push(styled(format!("  {}", text::clean(&entry.detail)), t.dim()));
        }
    }
    out
}

/// The contact in the detail pane: fields, enrollments, timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailRead {
    pub generation: u64,
    pub contact: i64,
}

impl crate::tui::action::Work for DetailRead {
    type Answer = Box<ContactDetail>;
    const READ: bool = true;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        _: &crate::domain::User,
    ) -> crate::domain::Result<Box<ContactDetail>> {
        ws.contact_detail(self.contact).map(Box::new)
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<Box<ContactDetail>>) {
        done(app, self.generation, result)
    }
}
