//! Sorting an enrollment list (issue 14): `>` and `<` choose the column
//! (contact, next due, step, engaged, enrolled), `r` reverses it; the
//! sorted column's header carries ▲ or ▼. The reader walks the order's
//! index (keyset pages, never a sort of the list), first rows first.

use super::*;
use crate::domain::SortKey;
use crate::tui::action::Command;
use crate::tui::view::Column;

/// The column an enrollment list shows when sorted by its enrollment
/// time (no list shows it otherwise).
const ENROLLED: Column = Column::new("Enrolled", 8, 10, 1, 1);

/// `>`, `<` or `r` in an enrollment list: the next or previous sort
/// column, or the other direction; the list is read again from its top.
pub fn sort(app: &mut App, command: Command) {
    let Some(e) = app.shown_list_mut() else {
        return;
    };
    let mut sort = e.sort;
    match command {
        Command::NextSort => sort.key = sort.key.next(),
        Command::PrevSort => {
            let keys = SortKey::ALL;
            let at = keys.iter().position(|k| *k == sort.key).unwrap_or(0);
            sort.key = keys[(at + keys.len() - 1) % keys.len()];
        }
        Command::ReverseSort => sort.descending = !sort.descending,
        _ => return,
    }
    e.sort = sort;
    let said = format!(
        "Sorted by {} {}{}",
        label(sort.key).to_lowercase(),
        arrow(sort.descending),
        if sort.key.may_be_empty() {
            " · rows without one last"
        } else {
            ""
        }
    );
    app.say(Tone::Info, said);
    app.query_enrollments(Keep::Top);
}

/// The header of the column a key sorts by.
fn label(key: SortKey) -> &'static str {
    match key {
        SortKey::Contact => "Contact",
        SortKey::NextDue => "Next due",
        SortKey::Step => "Step",
        SortKey::LastEngagement => "Engaged",
        SortKey::EnrolledAt => ENROLLED.title,
    }
}

fn arrow(descending: bool) -> &'static str {
    if descending { "▼" } else { "▲" }
}

/// A sorted column's header: its title and the direction.
fn titled(key: SortKey, descending: bool) -> &'static str {
    match (key, descending) {
        (SortKey::Contact, false) => "Contact ▲",
        (SortKey::Contact, true) => "Contact ▼",
        (SortKey::NextDue, false) => "Next due ▲",
        (SortKey::NextDue, true) => "Next due ▼",
        (SortKey::Step, false) => "Step ▲",
        (SortKey::Step, true) => "Step ▼",
        (SortKey::LastEngagement, false) => "Engaged ▲",
        (SortKey::LastEngagement, true) => "Engaged ▼",
        (SortKey::EnrolledAt, false) => "Enrolled ▲",
        (SortKey::EnrolledAt, true) => "Enrolled ▼",
    }
}

/// The columns of a list in `sort` order: as they are in the lists' own
/// order (contact, A to Z); else the sorted one titled with ▲ or ▼ and
/// kept on a narrow screen right after the contact, and for the
/// enrollment time an "Enrolled" column at the end (`with_enrolled`).
pub(super) fn sorted_columns(columns: &[Column], sort: Sort) -> (Vec<Column>, bool) {
    let mut columns = columns.to_vec();
    if sort.is_default() {
        return (columns, false);
    }
    let with_enrolled = sort.key == SortKey::EnrolledAt;
    if with_enrolled {
        columns.push(ENROLLED);
    }
    let title = label(sort.key);
    for c in &mut columns {
        if c.title == title {
            c.title = titled(sort.key, sort.descending);
            c.min = c.min.max(crate::tui::text::width(c.title) as u16);
            c.keep = c.keep.min(1);
        }
    }
    (columns, with_enrolled)
}
