//! The conventions terminal users expect (issue 14, part 2), driven through
//! the headless app on a 300-contact demo workspace with a fixed clock:
//! columns sized to what is on screen, a help overlay that fits, vim/less
//! keys, undo that can be found, a live Activity top, plurals and numbers,
//! and a filter line that keeps its count at 80 columns.

mod tui_support;

use seqtui::domain::{EndReason, UnenrollRequest, Workspace};
use seqtui::tui::{Command, Headless, Key, Keymap, keymap::Scope};
use tui_support::*;

const Q4: &str = "Q4 Mid-Market Outbound";

fn ready(path: &std::path::Path, width: u16, height: u16) -> Headless {
    let mut h = plain_app(path, width, height);
    h.settle();
    h
}

fn open(h: &mut Headless, name: &str) {
    let at = h
        .app
        .sequences
        .list
        .iter()
        .position(|s| s.name == name)
        .expect("the sequence exists");
    h.key("g");
    for _ in 0..at {
        h.key("j");
    }
    h.key("enter").settle();
}

/// The rows of the overlay drawn over the screen (between its borders).
fn overlay(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter_map(|l| {
            let start = l.find('│')?;
            let end = l.rfind('│')?;
            (end > start).then(|| l[start + '│'.len_utf8()..end].to_string())
        })
        .collect()
}

// ------------------------------------------------------------- 1. columns

#[test]
fn at_80x24_every_sequence_name_shows_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = ready(&path, 80, 24);
    let screen = h.screen();
    assert!(!h.app.sequences.list.is_empty());
    for s in &h.app.sequences.list {
        assert!(screen.contains(&s.name), "'{}' is cut:\n{screen}", s.name);
    }
}

#[test]
fn a_column_with_slack_never_sits_beside_a_cut_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = ready(&path, 200, 50);
    open(&mut h, Q4);
    let screen = h.screen();
    let e = h.app.enrollments.as_ref().unwrap();
    let rows = h.app.list_rows();
    let visible: Vec<_> = e
        .ids
        .iter()
        .skip(e.cursor.offset)
        .take(rows)
        .filter_map(|id| e.rows.get(id))
        .collect();
    assert!(!visible.is_empty());
    // The columns as drawn, from the titles' positions in the header row.
    let header = screen
        .lines()
        .find(|l| l.contains("Contact") && l.contains("Status"))
        .unwrap()
        .trim_matches('"')
        .to_string();
    let at = |title: &str| header.find(title).unwrap();
    let width = |title: &str, next: &str| header[at(title)..at(next)].chars().count() - 1;
    let widest = |cells: Vec<&str>, title: &str| {
        cells
            .iter()
            .map(|c| c.chars().count())
            .chain([title.len()])
            .max()
            .unwrap()
    };
    let columns = [
        (
            width("Contact", "Email"),
            widest(
                visible.iter().map(|r| r.contact_name.as_str()).collect(),
                "Contact",
            ),
        ),
        (
            width("Email", "Company"),
            widest(
                visible.iter().map(|r| r.contact_email.as_str()).collect(),
                "Email",
            ),
        ),
        (
            width("Company", "Owner"),
            widest(
                visible.iter().map(|r| r.company.as_str()).collect(),
                "Company",
            ),
        ),
        (
            width("Status", "Step"),
            widest(vec!["active", "paused"], "Status"),
        ),
    ];
    let cut = columns.iter().any(|(w, need)| w < need);
    let slack = columns.iter().any(|(w, need)| w > need);
    assert!(
        !(cut && slack),
        "(width, need) per column {columns:?}:\n{screen}"
    );
}

// ---------------------------------------------------------------- 2. help

#[test]
fn help_shows_this_views_keys_first_wraps_and_names_the_keymap_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = ready(&path, 80, 24);
    open(&mut h, Q4);
    h.key("?");
    let screen = h.screen();
    let rows = overlay(&screen);
    let mark = rows
        .iter()
        .position(|r| r.contains("Mark or unmark the focused row"));
    let views = rows.iter().position(|r| r.contains("Sequences view"));
    assert!(
        mark.is_some() && (views.is_none() || mark < views),
        "this view's keys come first:\n{screen}"
    );
    // Long lines wrap: nothing is cut with an ellipsis.
    let mut all = Vec::new();
    for _ in 0..40 {
        all.extend(overlay(&h.screen()));
        h.key("ctrl-d");
    }
    assert!(
        h.app.help.is_some(),
        "ctrl-d scrolls the help, it does not close it"
    );
    let text = all.join("\n");
    // A cut ends a cell or a row in "…" (the help's own "…)" is text).
    let cut = all
        .iter()
        .any(|r| r.contains("… ") && !r.contains("…)") || r.trim_end().ends_with('…'));
    assert!(!cut, "the help cuts a line:\n{text}");
    let joined: String = all.iter().map(|r| r.trim()).collect::<Vec<_>>().join(" ");
    assert!(
        joined.contains("Back out one level: range, then marks, then filter, then the list"),
        "{joined}"
    );
    let file = Keymap::config_path().unwrap();
    assert!(
        joined.contains(&file.display().to_string()),
        "the help names {}:\n{joined}",
        file.display()
    );
}

#[test]
fn only_question_mark_esc_and_q_close_the_help() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = ready(&path, 80, 24);
    for close in ["?", "esc", "q"] {
        h.key("?");
        for other in ["ctrl-d", "ctrl-u", "g", "G", "j", "k", "x", "u", "enter"] {
            h.key(other);
            assert!(h.app.help.is_some(), "{other} closed the help");
        }
        h.key(close);
        assert!(h.app.help.is_none(), "{close} did not close the help");
    }
    assert!(!h.app.quit, "q closes the help, it does not quit");
}

// --------------------------------------------------------- 3. vim/less keys

#[test]
fn ctrl_d_and_ctrl_u_move_half_a_page_in_every_list() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = ready(&path, 80, 24);
    let half = h.app.list_rows() / 2;
    open(&mut h, Q4);
    h.key("ctrl-d");
    assert_eq!(h.app.enrollments.as_ref().unwrap().cursor.selected, half);
    h.key("ctrl-d");
    assert_eq!(
        h.app.enrollments.as_ref().unwrap().cursor.selected,
        2 * half
    );
    h.key("ctrl-u");
    assert_eq!(h.app.enrollments.as_ref().unwrap().cursor.selected, half);
    h.key("3").settle();
    h.key("ctrl-d");
    assert_eq!(h.app.activity.cursor.selected, half);
    h.key("ctrl-u");
    assert_eq!(h.app.activity.cursor.selected, 0);
}

#[test]
fn ctrl_z_suspends_from_the_keymap_table() {
    let keymap = Keymap::default();
    let suspend = Command::from_name("suspend").expect("a suspend command");
    assert_eq!(
        keymap.command(Key::ctrl('z'), &[Scope::Global, Scope::List]),
        Some(suspend)
    );
    let half_down = Command::from_name("half_page_down").expect("a half page command");
    assert_eq!(
        keymap.command(Key::ctrl('d'), &[Scope::Global, Scope::List]),
        Some(half_down)
    );
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = ready(&path, 80, 24);
    h.key("?");
    // The help scrolls: ctrl-z is listed on one of its pages.
    let mut pages = String::new();
    for _ in 0..20 {
        pages.push_str(&h.screen());
        h.key("ctrl-d");
    }
    assert!(pages.contains("^z"), "the help lists ctrl-z:\n{pages}");
}

// ------------------------------------------------------------------ 4. undo

#[test]
fn after_an_unenroll_the_status_line_and_the_hint_bar_offer_undo() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = ready(&path, 120, 40);
    open(&mut h, Q4);
    let before = h.screen();
    let hints = before.lines().last().unwrap().to_string();
    assert!(!hints.contains("U undo"), "nothing to undo yet: {hints}");
    h.keys(&["space", "space", "u"]).settle();
    h.keys(&["j", "y"]).settle();
    let screen = h.screen();
    let lines: Vec<&str> = screen.lines().collect();
    let status = lines[lines.len() - 2];
    let hints = lines[lines.len() - 1];
    assert!(status.contains("U undo (15 min)"), "{status}");
    assert!(hints.contains("U undo"), "{hints}");
}

#[test]
fn status_messages_expire_on_the_apps_ticks_and_stay_readable_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = ready(&path, 80, 24);
    open(&mut h, Q4);
    h.keys(&["space", "space", "space", "u"]).settle();
    h.keys(&["j", "y"]).settle();
    let said = h.app.note.as_ref().expect("a result line").text.clone();
    let screen = h.screen();
    let status = screen.lines().nth(22).unwrap();
    // Even at 80 columns, where the list's own keys fill the bar, `U` shows.
    let hints = screen.lines().nth(23).unwrap();
    assert!(hints.contains("U undo"), "{hints}");
    assert!(status.contains("Unenrolled 3"), "{status}");
    // Too long for 80 columns beside the marks and the undo offer: the
    // status line cuts it…
    assert!(!status.contains(&said), "{status}");
    for _ in 0..40 {
        h.tick();
    }
    assert!(h.app.note.is_none(), "the message is still there");
    assert!(!h.screen().contains("Unenrolled 3"));
    // …and the messages overlay shows it whole, wrapped.
    h.key("M");
    let shown: String = overlay(&h.screen())
        .iter()
        .map(|r| r.trim().to_string())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(shown.contains(&said), "{said} not whole in:\n{shown}");
    h.key("esc");
    assert!(!h.screen().contains(&said));
}

// -------------------------------------------------------- 5. live Activity

#[test]
fn a_new_audit_entry_shows_at_the_top_when_the_cursor_is_there() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = ready(&path, 80, 24);
    h.key("3").settle();
    assert_eq!(h.app.activity.cursor.selected, 0);
    let top = h.app.activity.list[0].id;
    // Another process unenrolls someone.
    let mut ws = Workspace::open(&path, clock()).unwrap();
    let admin = ws
        .acting_user(Some("dana.whitfield@northwind.example"))
        .unwrap();
    let q4 = ws.sequence(Q4).unwrap();
    let open_one = ws
        .enrollment_ids(&seqtui::domain::EnrollmentQuery {
            statuses: vec![seqtui::domain::Status::Active],
            ..seqtui::domain::EnrollmentQuery::sequence(q4.id)
        })
        .unwrap()[0];
    ws.unenroll(
        &admin,
        &UnenrollRequest {
            enrollments: vec![open_one],
            reason: EndReason::NewContext,
            note: None,
            dry_run: false,
        },
    )
    .unwrap();
    h.tick().settle();
    let a = &h.app.activity;
    assert_ne!(a.list[0].id, top, "the new entry arrived");
    assert_eq!(a.cursor.offset, 0, "the new entry is on screen");
    let screen = h.screen();
    let first_row = screen.lines().nth(3).unwrap();
    assert!(first_row.contains("unenroll"), "{screen}");
}

// -------------------------------------------------- 6. plurals and numbers

#[test]
fn results_say_one_task_and_reasons_read_the_same_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = ready(&path, 160, 40);
    open(&mut h, Q4);
    h.keys(&["space", "space", "space", "u"]).settle();
    h.keys(&["j", "y"]).settle();
    let said = h.app.note.as_ref().unwrap().text.clone();
    // Every count agrees with its noun: "1 task", "2 tasks", "3 emails".
    let words: Vec<&str> = said.split_whitespace().collect();
    let mut counted = 0;
    for pair in words.windows(2) {
        let Ok(n) = pair[0].replace(',', "").parse::<i64>() else {
            continue;
        };
        for (one, many) in [("email", "emails"), ("task", "tasks")] {
            if pair[1] == one || pair[1] == many {
                counted += 1;
                assert_eq!(pair[1] == one, n == 1, "{said}");
            }
        }
    }
    assert_eq!(counted, 2, "the result counts emails and tasks: {said}");
    h.key("3").settle();
    let screen = h.screen();
    // The Activity view names reasons as the dialogs do.
    assert!(
        screen.contains(EndReason::NewContext.label()),
        "Activity shows the raw code:\n{screen}"
    );
    assert!(!screen.contains("new_context"), "{screen}");
}

// ----------------------------------------------------- 7. filter at 80 cols

#[test]
fn at_80_columns_the_chip_and_the_filter_count_both_show() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = ready(&path, 80, 24);
    open(&mut h, Q4);
    h.key("/").type_text("ch").settle();
    let n = h.app.enrollments.as_ref().unwrap().ids.len();
    let screen = h.screen();
    let chips = screen.lines().nth(2).unwrap();
    assert!(chips.contains("open 53"), "{chips}");
    assert!(chips.contains("/ ch"), "{chips}");
    assert!(chips.contains(&format!("{n} match")), "{chips}");
}
