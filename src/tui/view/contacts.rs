//! The Contacts view: find any contact by name, email or company as you
//! type, and open the same detail pane (the "from the contact record"
//! path: unenroll its open enrollment, enroll it elsewhere).

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Areas, Column, draw_list, fit_columns, header_line, row_line};
use crate::domain::full_name;
use crate::tui::app::{App, CONTACT_LIMIT};
use crate::tui::text::{self, count, local_part};

const COLUMNS: [Column; 5] = [
    Column::new("Contact", 14, 30, 3, 0),
    Column::new("Email", 16, 34, 3, 1),
    Column::new("Company", 10, 24, 2, 2),
    Column::new("Owner", 8, 14, 1, 4),
    Column::new("Stage", 9, 12, 1, 3),
];

pub fn draw(app: &App, frame: &mut Frame, a: &Areas) {
    let t = &app.theme;
    let c = &app.contacts;
    let mut line = vec![Span::styled(" Find ", t.title())];
    if c.editing {
        line.push(Span::styled(
            format!("{}▏", text::clean(&c.query)),
            t.input(),
        ));
    } else if c.query.is_empty() {
        line.push(Span::styled(
            "(/ to type a name, email or company)",
            t.dim(),
        ));
    } else {
        line.push(Span::styled(text::clean(&c.query).into_owned(), t.input()));
    }
    let status = if c.pending.is_some() {
        "  searching…".to_string()
    } else if c.results.len() >= CONTACT_LIMIT {
        format!(
            "  first {} matches; type more to narrow",
            count(CONTACT_LIMIT as i64)
        )
    } else if c.close {
        format!(
            "  no exact match; {} close (letters in order)",
            count(c.results.len() as i64)
        )
    } else if c.searched.is_some() {
        format!("  {} found", count(c.results.len() as i64))
    } else {
        String::new()
    };
    line.push(Span::styled(status, t.dim()));
    frame.render_widget(Paragraph::new(Line::from(line)), a.top);
    if a.list.height == 0 {
        return;
    }
    let widths = fit_columns(&COLUMNS, a.list.width);
    let visible = c
        .cursor
        .visible(c.results.len(), a.list.height.saturating_sub(1) as usize);
    let rows = visible
        .map(|i| {
            let x = &c.results[i];
            let mut name = full_name(&x.first_name, &x.last_name, &x.email);
            // An opted-out contact (R9) says so where its stage would be
            // (beside its name when that column is hidden); the detail pane
            // says when, how and by whom.
            let stage = if x.opted_out {
                if widths[4].is_none() {
                    name.push_str(" (opted out)");
                }
                ("opted out".to_string(), t.error())
            } else {
                (x.lifecycle_label.clone(), t.base())
            };
            let style = if i == c.cursor.selected {
                t.focused()
            } else {
                t.base()
            };
            row_line(
                &COLUMNS,
                vec![
                    (name, t.base()),
                    (x.email.clone(), t.base()),
                    (x.company.clone(), t.base()),
                    (
                        x.owner
                            .as_deref()
                            .map(local_part)
                            .unwrap_or("–")
                            .to_string(),
                        t.base(),
                    ),
                    stage,
                ],
                &widths,
                a.list.width,
                style,
            )
        })
        .collect();
    let empty = if c.pending.is_some() {
        "Searching…"
    } else {
        "No contact matches."
    };
    draw_list(
        app,
        frame,
        a.list,
        header_line(app, &COLUMNS, &widths),
        rows,
        empty,
    );
}
