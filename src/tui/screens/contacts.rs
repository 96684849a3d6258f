//! The Contacts view: find any contact by name, email or company as you
//! type, and open the same detail pane (the "from the contact record"
//! path: unenroll its open enrollment, enroll it elsewhere).

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::domain::{Contact, full_name};
use crate::tui::action::JobOutcome;
use crate::tui::app::{App, CONTACT_LIMIT, Keep, Pending};
use crate::tui::list::Cursor;
use crate::tui::text::{self, count, local_part};
use crate::tui::view::{Areas, Column, draw_list, fit_columns, header_line, measure, row_line};

#[derive(Debug, Default)]
pub struct ContactsState {
    pub query: String,
    pub editing: bool,
    pub results: Vec<Contact>,
    /// The text the results are for (None before the first search).
    pub searched: Option<String>,
    /// The results are close matches (letters in order), none exact.
    pub close: bool,
    pub cursor: Cursor,
    pub pending: Option<Pending>,
    /// Marked contacts (ids), for `e` on many at once.
    pub marks: std::collections::BTreeSet<i64>,
}

/// Asks the reader for the contacts matching the Find box.
pub fn search(app: &mut App, keep: Keep) {
    let generation = app.next_generation();
    app.contacts.pending = Some(Pending { generation, keep });
    let text = app.contacts.query.trim().to_string();
    app.run(ContactSearch { generation, text });
}

/// The view comes on screen: the first visit lists the contacts. It opens
/// in list mode like every other list: keys are commands until `/` puts
/// the focus in the Find box.
pub fn shown(app: &mut App) {
    if app.contacts.searched.is_none() && app.contacts.pending.is_none() {
        search(app, Keep::Top);
    }
}

/// A character typed in the Find box (`None`: backspace).
pub fn typed(app: &mut App, c: Option<char>) {
    if !app.contacts.editing {
        return;
    }
    let before = app.contacts.query.trim().to_string();
    match c {
        Some(c) => app.contacts.query.push(c),
        None => {
            app.contacts.query.pop();
        }
    }
    if app.contacts.query.trim() != before {
        search(app, Keep::Top);
    }
}

/// Esc, as in every list: in the Find box it leaves the box and keeps the
/// filter; in the list it clears the filter (and searches again).
pub fn escape(app: &mut App) {
    if app.contacts.editing {
        app.contacts.editing = false;
        return;
    }
    if !app.contacts.marks.is_empty() {
        let n = app.contacts.marks.len();
        app.contacts.marks.clear();
        app.say(
            crate::tui::app::Tone::Info,
            format!(
                "Cleared {}.",
                crate::text::plural(n as i64, "mark", "marks")
            ),
        );
        return;
    }
    if !app.contacts.query.is_empty() {
        app.contacts.query.clear();
        let focus = app.focused_contact().map(|c| c.id);
        search(app, Keep::Focus(focus));
    } else {
        app.note = None;
    }
}

/// Space: marks or unmarks the focused contact and moves down.
pub fn toggle_mark(app: &mut App) -> bool {
    let Some(id) = app
        .contacts
        .results
        .get(app.contacts.cursor.selected)
        .map(|c| c.id)
    else {
        return false;
    };
    if !app.contacts.marks.remove(&id) {
        app.contacts.marks.insert(id);
    }
    true
}

/// The reader's answer, if it is still the one asked: keep the focus
/// where the search asked.
pub fn done(app: &mut App, generation: u64, result: JobOutcome<(Vec<Contact>, bool)>) {
    let Some(pending) = app.contacts.pending.filter(|p| p.generation == generation) else {
        return;
    };
    app.contacts.pending = None;
    match result {
        Ok((found, close)) => {
            app.contacts.close = close;
            let rows = app.list_rows();
            let at = match pending.keep {
                Keep::Focus(Some(id)) => found.iter().position(|c| c.id == id),
                _ => None,
            };
            app.contacts.results = found;
            app.contacts.searched = Some(app.contacts.query.trim().to_string());
            let len = app.contacts.results.len();
            match at {
                Some(at) => app.contacts.cursor.keep_at(at, len, rows),
                None if pending.keep == Keep::Top => app.contacts.cursor = Default::default(),
                None => app.contacts.cursor.follow(len, rows),
            }
            super::detail::sync(app);
        }
        Err(err) => app.fail(&err),
    }
}

/// A contact's cells on the page, whether it opted out, and its row style.
type ContactRow = (
    Vec<(String, ratatui::style::Style)>,
    bool,
    ratatui::style::Style,
);

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
    let visible = c
        .cursor
        .visible(c.results.len(), a.list.height.saturating_sub(1) as usize);
    let page: Vec<ContactRow> = visible
        .map(|i| {
            let x = &c.results[i];
            let mut name = full_name(&x.first_name, &x.last_name, &x.email);
            // Marks show only once there are some (as text: NO_COLOR).
            if !c.marks.is_empty() {
                let mark = if c.marks.contains(&x.id) {
                    "[x] "
                } else {
                    "[ ] "
                };
                name.insert_str(0, mark);
            }
            // An opted-out contact (R9) says so where its stage would be
            // (beside its name when that column is hidden); the detail pane
            // says when, how and by whom.
            let stage = if x.opted_out {
                ("opted out".to_string(), t.error())
            } else {
                (x.lifecycle_label.clone(), t.base())
            };
            let cells = vec![
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
            ];
            (cells, x.opted_out, t.row(i == c.cursor.selected))
        })
        .collect();
    let content = measure(COLUMNS.len(), page.iter().map(|(c, _, _)| c.as_slice()));
    let widths = fit_columns(&COLUMNS, a.list.width, &content);
    let rows = page
        .into_iter()
        .map(|(mut cells, opted_out, style)| {
            // An opted-out contact (R9) says so where its stage would be
            // (beside its name when that column is hidden); the detail pane
            // says when, how and by whom.
            if opted_out && widths[4].is_none() {
                cells[0].0.push_str(" (opted out)");
            }
            row_line(&COLUMNS, cells, &widths, a.list.width, style)
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

/// Contacts matching the Contacts view's search text; the answer says
/// whether they are close matches, not exact.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactSearch {
    pub generation: u64,
    pub text: String,
}

impl crate::tui::action::Work for ContactSearch {
    type Answer = (Vec<Contact>, bool);
    const READ: bool = true;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        _: &crate::domain::User,
    ) -> crate::domain::Result<(Vec<Contact>, bool)> {
        ws.find_contacts(&self.text, CONTACT_LIMIT)
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<(Vec<Contact>, bool)>) {
        done(app, self.generation, result)
    }
}
