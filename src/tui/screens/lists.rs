//! The Lists view: every saved list (a named query the team shares) with
//! how many enrollments it matches now, its query, who saved it and when.

use ratatui::Frame;

use crate::domain::CountedList;
use crate::tui::action::{Command, JobOutcome};
use crate::tui::app::{App, Keep, Screen};
use crate::tui::text::{self, count, local_part, moment};
use crate::tui::view::{Areas, Column, draw_heading, draw_table};

/// The Lists view: the team's saved lists with their counts.
pub type ListsState = super::Listed<CountedList>;

/// Asks the reader for the saved lists and their counts.
pub fn request(app: &mut App) {
    super::ask(
        app,
        |a| &mut a.lists.pending,
        |generation| ListsRead { generation },
    );
}

/// The lists arrived (if still the ones asked): keep the focus on the
/// same list.
pub fn done(app: &mut App, generation: u64, result: JobOutcome<Vec<CountedList>>) {
    super::arrived(app, |a| &mut a.lists, generation, result, |c| c.list.id);
}

/// Opens a saved list in the All enrollments view, with its filter.
/// The view's marks stay, as they do when any filter changes.
pub fn open(app: &mut App, index: usize) {
    let Some(list) = app.lists.list.get(index).map(|c| c.list.clone()) else {
        return;
    };
    app.make_all();
    let filter = list.filter.clone();
    if let Some(q) = app.all.as_mut().and_then(|e| e.query_source_mut()) {
        q.list = Some(list);
        q.editor = None;
    }
    app.tab = Screen::All;
    app.detail.open = false;
    app.apply_filter(filter, None, Keep::Top);
}

const COLUMNS: [Column; 5] = [
    Column::new("List", 14, 28, 1, 0),
    Column::new("Matches", 7, 9, 0, 1).right(),
    Column::new("Query", 16, 96, 5, 2),
    Column::new("Saved by", 12, 16, 1, 3),
    Column::new("Updated", 12, 12, 0, 4),
];

pub fn draw(app: &App, frame: &mut Frame, a: &Areas) {
    let t = &app.theme;
    let s = &app.lists;
    let open = app.keymap.first_key(Command::Open);
    let delete = app.keymap.first_key(Command::DeleteList);
    let save = app.keymap.first_key(Command::SaveList);
    let all = app.keymap.first_key(Command::ViewAll);
    let title = if !s.loaded {
        " · loading…".to_string()
    } else if s.list.is_empty() {
        String::new()
    } else {
        format!(
            " · {} · {open} opens one in All enrollments · {delete} deletes",
            text::plural(s.list.len() as i64, "list", "lists")
        )
    };
    draw_heading(app, frame, a.top, " Lists", title);
    let now = app.now();
    let empty = if s.loaded {
        format!("No saved lists yet: in {all} All enrollments, write a query and {save} saves it.")
    } else {
        "Loading the lists…".to_string()
    };
    draw_table(
        app,
        frame,
        a.list,
        &COLUMNS,
        s.list.len(),
        &s.cursor,
        &empty,
        |i| {
            let c = &s.list[i];
            let style = t.row(i == s.cursor.selected);
            (
                vec![
                    (c.list.name.clone(), t.base()),
                    (count(c.count), t.base()),
                    (c.list.query.clone(), t.base()),
                    (local_part(&c.list.updated_by).to_string(), t.base()),
                    (moment(c.list.updated_at, now), t.base()),
                ],
                style,
            )
        },
    );
}

/// Every saved list with its count now.
#[derive(Debug, Clone, PartialEq)]
pub struct ListsRead {
    pub generation: u64,
}

impl crate::tui::action::Work for ListsRead {
    type Answer = Vec<CountedList>;
    const READ: bool = true;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        _: &crate::domain::User,
    ) -> crate::domain::Result<Vec<CountedList>> {
        ws.lists_with_counts()
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<Vec<CountedList>>) {
        done(app, self.generation, result)
    }
}
