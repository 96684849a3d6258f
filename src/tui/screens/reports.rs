//! The Reports view: one line per sequence (enrolled, active, finished,
//! unenrolled, reply and meeting rates), and for the focused sequence a bar
//! chart of its unenrollments by end reason and a sparkline of its
//! unenrollments per day over the last 30 days.

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Borders, Paragraph, Sparkline};

use crate::domain::{SequenceReport, Status};
use crate::tui::action::JobOutcome;
use crate::tui::app::App;
use crate::tui::text::{self, count, fit, rate};
use crate::tui::view::{Areas, Column, draw_heading, draw_table, sequence_cell};

/// The Reports view: one report per sequence; the focused one's charts.
pub type ReportsState = super::Listed<SequenceReport>;

/// Asks the reader for every sequence's report.
pub fn request(app: &mut App) {
    super::ask(
        app,
        |a| &mut a.reports.pending,
        |generation| ReportRead { generation },
    );
}

/// The reports arrived (if still the ones asked): keep the focus on the
/// same sequence.
pub fn done(app: &mut App, generation: u64, result: JobOutcome<Vec<SequenceReport>>) {
    super::arrived(
        app,
        |a| &mut a.reports,
        generation,
        result,
        |r| r.sequence_id,
    );
}

const COLUMNS: [Column; 7] = [
    Column::new("Sequence", 16, 48, 3, 0),
    Column::new("Enrolled", 8, 9, 1, 1).right(),
    Column::new("Active", 7, 8, 1, 3).right(),
    Column::new("Finished", 8, 9, 1, 5).right(),
    Column::new("Unenrolled", 10, 11, 1, 2).right(),
    Column::new("Reply %", 7, 8, 0, 4).right(),
    Column::new("Meeting %", 9, 10, 0, 6).right(),
];

/// The width of the sparkline's box: one column a day, its borders and a
/// cell of air either side.
const SPARK_BOX: u16 = crate::domain::REPORT_DAYS as u16 + 4;

pub fn draw(app: &App, frame: &mut Frame, a: &Areas) {
    let t = &app.theme;
    let s = &app.reports;
    let title = if s.loaded {
        format!(
            " · {} · {}",
            text::plural(s.list.len() as i64, "sequence", "sequences"),
            if app.wide() {
                "rates over enrollments sent an email, unenrolled ones included"
            } else {
                "rates over emailed enrollments"
            }
        )
    } else {
        " · loading…".to_string()
    };
    draw_heading(app, frame, a.top, " Reports", title);
    draw_table(
        app,
        frame,
        a.list,
        &COLUMNS,
        s.list.len(),
        &s.cursor,
        if s.loaded {
            "No sequences yet."
        } else {
            "Loading the reports…"
        },
        |i| {
            let r = &s.list[i];
            let (name, style) = sequence_cell(t, &r.sequence, r.archived, i == s.cursor.selected);
            (
                vec![
                    (name, t.base()),
                    (count(r.enrolled), t.base()),
                    (count(r.active), t.base()),
                    (count(r.finished), t.base()),
                    (count(r.unenrolled), t.base()),
                    (rate(r.reply_rate), t.base()),
                    (rate(r.meeting_rate), t.base()),
                ],
                style,
            )
        },
    );
    if let Some(area) = a.charts {
        charts(app, frame, area, s.focused());
    }
}

fn charts(app: &App, frame: &mut Frame, area: Rect, report: Option<&SequenceReport>) {
    if area.height < 3 {
        return;
    }
    let spark_width = if area.width >= SPARK_BOX * 2 {
        SPARK_BOX
    } else {
        area.width / 2
    };
    let [left, right] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(spark_width)]).areas(area);
    by_reason(app, frame, left, report);
    per_day(app, frame, right, report);
}

fn boxed<'a>(app: &App, title: String) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border())
        .title(Span::styled(title, app.theme.title()))
}

/// Unenrollments by end reason, largest first: one horizontal bar each,
/// labelled with the reason and the count (so the numbers read without
/// colour). Reasons that do not fit are summed up on the last line.
fn by_reason(app: &App, frame: &mut Frame, area: Rect, report: Option<&SequenceReport>) {
    let t = &app.theme;
    let name = report.map_or(String::new(), |r| r.sequence.clone());
    let title = fit(
        &format!(" Unenrolled by end reason · {name} "),
        area.width.saturating_sub(2) as usize,
    );
    let block = boxed(app, title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(report) = report else {
        return;
    };
    let mut reasons: Vec<_> = report
        .unenrolled_by_reason
        .iter()
        .filter(|c| c.count > 0)
        .collect();
    if reasons.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(" No unenrollments.", t.dim())),
            inner,
        );
        return;
    }
    reasons.sort_by_key(|c| std::cmp::Reverse(c.count));
    let room = inner.height as usize;
    let (shown, hidden) = if reasons.len() > room {
        let keep = room.saturating_sub(1);
        (&reasons[..keep], &reasons[keep..])
    } else {
        (&reasons[..], &reasons[..0])
    };
    let label_width = shown
        .iter()
        .map(|c| text::width(&reason_label(c.reason)))
        .max()
        .unwrap_or(0);
    let count_width = shown
        .iter()
        .map(|c| count(c.count).len())
        .max()
        .unwrap_or(1);
    // The labels take at most half the box; the bars the rest.
    let label_room = (inner.width as usize / 2).max(count_width + 2);
    let bars: Vec<Bar> = shown
        .iter()
        .map(|c| {
            let label = format!(
                "{} {:>count_width$}",
                text::pad(
                    &fit(
                        &reason_label(c.reason),
                        label_room.saturating_sub(count_width + 1)
                    ),
                    label_width.min(label_room.saturating_sub(count_width + 1))
                ),
                count(c.count)
            );
            Bar::default()
                .value(c.count.max(0) as u64)
                .label(Line::from(label))
                .text_value(String::new())
        })
        .collect();
    let bars_area = Rect {
        height: shown.len() as u16,
        ..inner
    };
    frame.render_widget(
        BarChart::default()
            .direction(Direction::Horizontal)
            .bar_width(1)
            .bar_gap(0)
            .bar_style(t.status(Status::Unenrolled))
            .label_style(t.base())
            .data(BarGroup::default().bars(&bars)),
        bars_area,
    );
    if !hidden.is_empty() {
        let more: i64 = hidden.iter().map(|c| c.count).sum();
        let line = format!(
            " + {} more {} ({} unenrolled)",
            hidden.len(),
            if hidden.len() == 1 {
                "reason"
            } else {
                "reasons"
            },
            count(more)
        );
        frame.render_widget(
            Paragraph::new(Line::styled(line, t.dim())),
            Rect {
                y: inner.y + shown.len() as u16,
                height: 1,
                ..inner
            },
        );
    }
}

/// "not a fit", "meeting booked": the stored name, spaced.
fn reason_label(reason: crate::domain::EndReason) -> String {
    reason.label().to_string()
}

/// Unenrollments per UTC day, the last 30 days ending today, oldest on the
/// left; the first and last day under it.
fn per_day(app: &App, frame: &mut Frame, area: Rect, report: Option<&SequenceReport>) {
    let t = &app.theme;
    let total: i64 = report.map_or(0, |r| r.unenrolled_per_day.iter().map(|d| d.count).sum());
    let title = if report.is_some() {
        format!(" Per day: {} in 30 days ", count(total))
    } else {
        " Per day ".to_string()
    };
    let block = boxed(app, fit(&title, area.width.saturating_sub(2) as usize));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(report) = report else {
        return;
    };
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let inner = Rect {
        x: inner.x + u16::from(inner.width > SPARK_BOX - 2),
        width: inner
            .width
            .saturating_sub(u16::from(inner.width > SPARK_BOX - 2)),
        ..inner
    };
    // On a narrow screen the most recent days stay.
    let all = &report.unenrolled_per_day;
    let shown = &all[all.len().saturating_sub(inner.width as usize)..];
    let counts: Vec<u64> = shown.iter().map(|d| d.count.max(0) as u64).collect();
    let max = counts.iter().copied().max().unwrap_or(0);
    let axis_lines = u16::from(inner.height >= 3) * 2;
    let spark = Rect {
        height: inner.height - axis_lines,
        ..inner
    };
    frame.render_widget(
        Sparkline::default()
            .data(&counts)
            .max(max.max(1))
            .style(t.status(Status::Unenrolled)),
        spark,
    );
    if axis_lines == 0 {
        return;
    }
    if let (Some(first), Some(last)) = (shown.first(), shown.last()) {
        let left = first.day.format("%b %d").to_string();
        let right = last.day.format("%b %d").to_string();
        let width = shown.len();
        let gap = width.saturating_sub(text::width(&left) + text::width(&right));
        let axis = format!("{left}{}{right}", " ".repeat(gap));
        let peak = format!("highest: {} a day", count(max as i64));
        frame.render_widget(
            Paragraph::new(vec![
                Line::styled(fit(&axis, inner.width as usize), t.dim()),
                Line::styled(fit(&peak, inner.width as usize), t.dim()),
            ]),
            Rect {
                y: inner.y + spark.height,
                height: axis_lines,
                ..inner
            },
        );
    }
}

/// Every sequence's report (grouped aggregates over the whole store).
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRead {
    pub generation: u64,
}

impl crate::tui::action::Work for ReportRead {
    type Answer = Vec<SequenceReport>;
    const READ: bool = true;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        _: &crate::domain::User,
    ) -> crate::domain::Result<Vec<SequenceReport>> {
        ws.report(None, None)
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<Vec<SequenceReport>>) {
        done(app, self.generation, result)
    }
}
