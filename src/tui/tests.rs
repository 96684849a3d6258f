//! Tests of `update` driven through the keymap on a real demo workspace
//! (300 contacts, fixed clock): marking, filtering, the dialog flow,
//! refusals, refreshes made by other processes, mouse and resize.

use std::path::{Path, PathBuf};

use super::app::{Chip, Screen};
use super::dialog::{EnrollPicker, Field, ManageDialog, Preview, UnenrollDialog};
use super::screens::enrollments as ids;
use super::{Headless, Theme};
use crate::demo::{DemoOptions, build};
use crate::domain::{
    Clock, EndReason, EnrollmentQuery, Expected, Status, UnenrollRequest, Workspace,
};

const NOW: &str = "2026-11-27T09:00:00Z";
const Q4: &str = "Q4 Mid-Market Outbound";

fn clock() -> Clock {
    Clock::parse(NOW).unwrap()
}

fn demo(dir: &Path) -> PathBuf {
    let path = dir.join("demo.db");
    build(
        &path,
        &DemoOptions {
            contacts: 300,
            seed: 42,
            force: false,
        },
        clock(),
    )
    .unwrap();
    path
}

fn headless(path: &Path, user: Option<&str>, size: (u16, u16)) -> Headless {
    let mut h = Headless::open(path, clock(), user, size, Theme::plain()).unwrap();
    h.settle();
    h
}

/// Opens the sequence called `name` from the Sequences view.
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
    assert_eq!(h.app.screen(), Screen::Enrollments);
}

fn ids(h: &Headless) -> Vec<i64> {
    h.app.enrollments.as_ref().unwrap().ids.clone()
}

fn marked(h: &Headless) -> usize {
    h.app.enrollments.as_ref().unwrap().marked_count()
}

fn selected(h: &Headless) -> usize {
    h.app.enrollments.as_ref().unwrap().cursor.selected
}

/// The admin unenrolls one enrollment (reason converted) through `ws`: a
/// person's change in another process.
fn unenroll_elsewhere(ws: &mut Workspace, id: i64) {
    let admin = ws
        .acting_user(Some("dana.whitfield@northwind.example"))
        .unwrap();
    let report = ws
        .unenroll(
            &admin,
            &UnenrollRequest {
                enrollments: vec![id],
                reason: EndReason::Converted,
                note: None,
                dry_run: false,
            },
        )
        .unwrap();
    assert_eq!(report.unenrolled, vec![id], "{report:?}");
}

fn status_of(path: &Path, id: i64) -> Status {
    Workspace::open(path, clock())
        .unwrap()
        .enrollment(id)
        .unwrap()
        .status
}

#[test]
fn space_toggles_and_moves_down_and_v_marks_a_range() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (120, 40));
    open(&mut h, Q4);
    let list = ids(&h);
    assert!(list.len() > 20);

    h.key("space");
    assert_eq!(selected(&h), 1);
    h.key("space");
    assert_eq!(marked(&h), 2);
    h.keys(&["k", "space"]);
    assert_eq!(marked(&h), 1, "space on a marked row unmarks it");
    assert_eq!(selected(&h), 2);

    // v starts a range at row 2; moving extends it; v again marks it.
    h.keys(&["v", "j", "j", "j"]);
    assert_eq!(marked(&h), 1 + 4);
    assert!(h.screen().contains("5 marked"));
    h.key("v");
    let e = h.app.enrollments.as_ref().unwrap();
    assert!(!e.marks.range_active());
    for id in &list[2..=5] {
        assert!(e.marks.contains(*id));
    }
    assert!(e.marks.contains(list[0]));
    assert!(!e.marks.contains(list[1]));
    assert!(h.screen().contains("5 marked"));
}

#[test]
fn ctrl_a_marks_every_match_even_rows_never_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (80, 24));
    open(&mut h, Q4);
    // The active chip of Q4 has more rows than the 80×24 screen shows.
    let list = ids(&h);
    let e = h.app.enrollments.as_ref().unwrap();
    assert!(
        !e.rows.contains_key(list.last().unwrap()),
        "the last row was never loaded"
    );
    h.key("ctrl-a");
    assert_eq!(marked(&h), list.len());
    assert!(h.screen().contains(&format!("{} marked", list.len())));
    // Again: unmark them.
    h.key("ctrl-a");
    assert_eq!(marked(&h), 0);
}

#[test]
fn marks_survive_scrolling_filtering_chips_and_refreshes() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (80, 24));
    open(&mut h, Q4);
    let list = ids(&h);
    h.keys(&["space", "space"]);
    h.keys(&["G", "g", "pagedown", "pagedown"]);
    assert_eq!(marked(&h), 2);
    // The chips after the default (open): active, then paused.
    h.key("s").key("s").settle();
    assert_eq!(h.app.enrollments.as_ref().unwrap().chip, Chip::Paused);
    assert_eq!(marked(&h), 2, "marks hidden by the chip stay marked");
    h.key("S").key("S").settle();
    assert_eq!(h.app.enrollments.as_ref().unwrap().chip, Chip::Open);
    h.key("/").type_text("zzzz-no-match").settle();
    assert!(ids(&h).is_empty());
    assert_eq!(marked(&h), 2);
    h.key("esc").settle();
    assert!(
        ids(&h).is_empty(),
        "esc leaves the box and keeps the filter"
    );
    assert_eq!(marked(&h), 2);
    // Clearing the text brings every row back; the marks stay.
    h.key("/");
    for _ in 0.."zzzz-no-match".len() {
        h.key("backspace");
    }
    h.key("esc").settle();

    // Another process changes a row the cursor is not on: after the tick the
    // cursor is on the same enrollment and the marks are still there.
    h.keys(&["g", "j", "j", "j"]);
    let focused = list[3];
    assert_eq!(
        h.app.enrollments.as_ref().unwrap().focused_id(),
        Some(focused)
    );
    unenroll_elsewhere(&mut Workspace::open(&path, clock()).unwrap(), list[1]);
    h.tick().settle();
    let e = h.app.enrollments.as_ref().unwrap();
    assert!(!e.ids.contains(&list[1]), "the row left the active list");
    assert_eq!(
        e.focused_id(),
        Some(focused),
        "the cursor stayed on its row"
    );
    assert_eq!(e.marks.len(), 2);
}

#[test]
fn a_row_on_screen_that_ends_by_itself_changes_with_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (120, 40));
    open(&mut h, Q4);
    let list = ids(&h);
    let row = h.app.enrollments.as_ref().unwrap().rows[&list[2]].clone();
    // The engine in another process: the contact unsubscribes (R9).
    let mut engine = Workspace::open(&path, clock()).unwrap();
    engine.opt_out(row.contact_id, "unsubscribe link").unwrap();
    h.tick().settle();
    let note = h.app.note.as_ref().expect("a notice").text.clone();
    assert_eq!(
        note,
        format!("Ended automatically: {} (opted out)", row.contact_name)
    );
    assert!(!ids(&h).contains(&list[2]), "the active chip drops it");
    // A person's unenroll in another process is not announced as automatic.
    unenroll_elsewhere(&mut engine, list[3]);
    h.tick().settle();
    assert_eq!(h.app.note.as_ref().unwrap().text, note, "no new notice");
}

#[test]
fn esc_backs_out_one_level_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (120, 40));
    open(&mut h, Q4);
    h.key("/").type_text("a").key("enter").settle();
    assert_eq!(h.app.enrollments.as_ref().unwrap().search, "a");
    h.keys(&["space", "space", "v", "j"]);
    assert!(h.app.enrollments.as_ref().unwrap().marks.range_active());

    h.key("esc");
    let e = h.app.enrollments.as_ref().unwrap();
    assert!(!e.marks.range_active(), "first the range");
    assert_eq!(e.marks.len(), 2);
    h.key("esc");
    let e = h.app.enrollments.as_ref().unwrap();
    assert!(e.marks.is_empty(), "then the marks");
    assert_eq!(e.search, "a");
    h.key("esc").settle();
    assert_eq!(
        h.app.enrollments.as_ref().unwrap().search,
        "",
        "then the filter"
    );
    h.key("esc");
    assert_eq!(h.app.screen(), Screen::Sequences, "then the list itself");
}

#[test]
fn back_and_q_keep_marks_from_being_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (120, 40));
    open(&mut h, Q4);
    h.key("space");
    h.key("q");
    assert_eq!(h.app.screen(), Screen::Enrollments);
    assert!(h.screen().contains("esc clears the marks first"));
    h.keys(&["esc", "q"]);
    assert_eq!(h.app.screen(), Screen::Sequences);
    assert!(!h.app.quit);
    h.key("q");
    assert!(h.app.quit, "q quits from the top level");
}

#[test]
fn the_filter_applies_as_you_type() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (120, 40));
    open(&mut h, Q4);
    let all = ids(&h).len();
    h.key("/");
    assert!(h.app.typing());
    // While typing, letters that are also keys (u, e, q, j) are text.
    h.type_text("ch").settle();
    let some = ids(&h);
    assert!(!some.is_empty() && some.len() < all);
    let ws = Workspace::open(&path, clock()).unwrap();
    for row in ws.enrollments_by_ids(&some).unwrap() {
        let hay =
            format!("{} {} {}", row.contact_name, row.contact_email, row.company).to_lowercase();
        assert!(hay.contains("ch"), "{hay}");
    }
    assert_eq!(h.app.screen(), Screen::Enrollments);
    h.key("backspace").key("backspace").settle();
    assert_eq!(ids(&h).len(), all);
    h.type_text("zzq").settle();
    assert!(h.screen().contains("No open enrollments match 'zzq'"));
    h.key("esc").settle();
    assert!(!h.app.typing());
    assert!(
        h.screen().contains("No open enrollments match 'zzq'"),
        "esc while typing leaves the box and keeps the filter"
    );
    h.key("esc").settle();
    assert_eq!(ids(&h).len(), all, "esc again clears the filter");
}

#[test]
fn unenroll_marked_rows_with_a_reason_and_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (120, 40));
    open(&mut h, Q4);
    let list = ids(&h);
    h.keys(&["space", "space", "space"]);
    h.key("u");
    let Some(d) = h.app.dialog_as::<UnenrollDialog>() else {
        panic!("the dialog is open");
    };
    assert_eq!(d.targets, list[..3].to_vec());
    assert_eq!(
        d.focus,
        Field::Cancel,
        "for many contacts the focus starts on Cancel"
    );
    assert_eq!(d.preview, Preview::Loading);
    h.settle();
    let screen = h.screen();
    assert!(
        screen.contains("3 contacts in 'Q4 Mid-Market Outbound'"),
        "{screen}"
    );
    assert!(screen.contains("now 3 active"), "{screen}");
    assert!(screen.contains("Will unenroll 3 enrollments"), "{screen}");

    // Enter on Cancel cancels; nothing changed, marks kept.
    h.key("enter");
    assert!(h.app.dialog.is_none());
    assert_eq!(status_of(&path, list[0]), Status::Active);
    assert_eq!(marked(&h), 3);

    // y without a reason asks for one.
    h.key("u").settle();
    h.key("y");
    let Some(d) = h.app.dialog_as::<UnenrollDialog>() else {
        panic!("still open");
    };
    assert_eq!(d.notice.as_deref(), Some("Choose a reason first (↑/↓)."));
    h.keys(&["j", "j"]);
    h.key("tab");
    h.type_text("wrong persona, y n q");
    h.key("enter");
    let Some(d) = h.app.dialog_as::<UnenrollDialog>() else {
        panic!("still open");
    };
    assert_eq!(
        d.note, "wrong persona, y n q",
        "keys typed into the note are text"
    );
    assert_eq!(d.focus, Field::Confirm);
    h.key("enter");
    assert!(h.app.dialog.is_none());
    assert!(h.app.running.is_some());
    h.settle();

    let summary = h.app.note.as_ref().unwrap().text.clone();
    assert!(summary.starts_with("Unenrolled 3 · "), "{summary}");
    assert!(h.screen().contains("Unenrolled 3 · "));
    assert_eq!(marked(&h), 0, "marks clear");
    let e = h.app.enrollments.as_ref().unwrap();
    assert_eq!(e.ids, list, "the rows stay in place");
    for id in &list[..3] {
        assert_eq!(
            e.rows[id].status,
            Status::Unenrolled,
            "and show their new status"
        );
    }
    let ws = Workspace::open(&path, clock()).unwrap();
    for id in &list[..3] {
        let row = ws.enrollment(*id).unwrap();
        assert_eq!(row.end_reason, Some(EndReason::MANUAL[1]));
        assert_eq!(row.note.as_deref(), Some("wrong persona, y n q"));
    }
    assert_eq!(ws.enrollment(list[3]).unwrap().status, Status::Active);
}

#[test]
fn n_and_esc_cancel_and_single_starts_on_confirm() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (80, 24));
    open(&mut h, Q4);
    let first = ids(&h)[0];
    h.key("u").settle();
    let Some(d) = h.app.dialog_as::<UnenrollDialog>() else {
        panic!("the dialog is open");
    };
    assert_eq!(d.focus, Field::Confirm);
    let name = d.single.as_ref().unwrap().contact.clone();
    let screen = h.screen();
    assert!(
        screen.contains(&format!("{name} in 'Q4 Mid-Market Outbound'")),
        "{screen}"
    );
    assert!(screen.contains("now active, at step"), "{screen}");
    h.key("n");
    assert!(h.app.dialog.is_none());
    h.key("u").settle().key("esc");
    assert!(h.app.dialog.is_none());
    assert_eq!(status_of(&path, first), Status::Active);
}

#[test]
fn a_stale_view_is_refused_with_the_domain_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (120, 40));
    open(&mut h, Q4);
    let first = ids(&h)[0];
    h.key("u").settle();
    // Someone else ends it while the dialog is open (R4).
    let mut other = Workspace::open(&path, clock()).unwrap();
    let admin = other
        .acting_user(Some("dana.whitfield@northwind.example"))
        .unwrap();
    let seq = other.enrollment(first).unwrap().sequence_id;
    other
        .unenroll_one(
            &admin,
            first,
            &Expected {
                sequence_id: seq,
                status: Status::Active,
            },
            EndReason::Replied,
            None,
        )
        .unwrap();
    h.keys(&["j", "y"]).settle();
    let note = h.app.note.clone().unwrap();
    assert!(
        note.text
            .contains("is now unenrolled (replied); nothing was changed"),
        "{}",
        note.text
    );
    let row = Workspace::open(&path, clock())
        .unwrap()
        .enrollment(first)
        .unwrap();
    assert_eq!(row.end_reason, Some(EndReason::Replied), "nothing changed");
}

#[test]
fn a_rep_is_told_who_may_unenroll() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let rep = "aisha.khan@northwind.example";
    // A row of Q4 that Aisha neither enrolled nor owns.
    let ws = Workspace::open(&path, clock()).unwrap();
    let q4 = ws.sequence(Q4).unwrap();
    let all = ws
        .enrollment_ids(&EnrollmentQuery {
            sequences: vec![q4.id],
            statuses: vec![Status::Active],
            search: String::new(),
            stale: false,
            ..Default::default()
        })
        .unwrap();
    let rows = ws.enrollments_by_ids(&all).unwrap();
    let at = rows
        .iter()
        .position(|r| r.enrolled_by != rep && r.owner.as_deref() != Some(rep))
        .unwrap();
    drop(ws);

    let mut h = headless(&path, Some(rep), (120, 40));
    assert!(h.screen().contains("Aisha Khan (rep)"));
    open(&mut h, Q4);
    for _ in 0..at {
        h.key("j");
    }
    h.key("u").settle();
    let screen = h.screen();
    assert!(
        screen.contains("1 will be skipped: not permitted"),
        "{screen}"
    );
    h.keys(&["j", "y"]);
    let Some(d) = h.app.dialog_as::<UnenrollDialog>() else {
        panic!("still open");
    };
    assert!(
        d.notice
            .as_deref()
            .unwrap()
            .starts_with("Nothing here can be unenrolled")
    );
    h.key("esc");
    assert_eq!(status_of(&path, all[at]), Status::Active);
}

#[test]
fn contacts_view_unenrolls_and_enrolls_from_the_contact() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (120, 40));
    h.key("2").settle();
    assert_eq!(h.app.screen(), Screen::Contacts);
    assert!(!h.app.typing(), "the view opens in list mode");
    h.key("/");
    assert!(h.app.typing(), "/ puts the focus in the Find box");
    // Find a contact with an open enrollment by its email.
    let ws = Workspace::open(&path, clock()).unwrap();
    let q4 = ws.sequence(Q4).unwrap();
    let first = ws
        .enrollment_page(
            &EnrollmentQuery {
                sequences: vec![q4.id],
                statuses: vec![Status::Active],
                search: String::new(),
                stale: false,
                ..Default::default()
            },
            None,
            1,
        )
        .unwrap()
        .remove(0);
    drop(ws);
    h.type_text(&first.contact_email).settle().key("enter");
    assert!(!h.app.typing());
    assert_eq!(
        h.app.focused_contact().map(|c| c.id),
        Some(first.contact_id)
    );
    let screen = h.screen();
    assert!(screen.contains("Enrollments ("), "{screen}");

    h.key("u").settle();
    let Some(d) = h.app.dialog_as::<UnenrollDialog>() else {
        panic!("the dialog is open");
    };
    assert_eq!(d.targets, vec![first.id]);
    h.keys(&["j", "y"]).settle();
    assert!(
        h.app
            .note
            .as_ref()
            .unwrap()
            .text
            .starts_with("Unenrolled 1")
    );
    assert_eq!(status_of(&path, first.id), Status::Unenrolled);

    // Enroll the contact elsewhere (the picker starts with nothing chosen:
    // j picks the first sequence); then again, which R1 refuses with a
    // message, not a crash.
    h.key("e");
    assert!(h.app.dialog_as::<EnrollPicker>().is_some());
    h.key("down").settle().key("enter").settle();
    let note = h.app.note.clone().unwrap();
    assert!(note.text.starts_with("Enrolled "), "{}", note.text);
    h.key("e")
        .key("down")
        .key("down")
        .settle()
        .key("enter")
        .settle();
    let note = h.app.note.clone().unwrap();
    assert!(note.text.contains("already enrolled in"), "{}", note.text);
}

#[test]
fn activity_lists_the_audit_log_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (120, 40));
    h.key("3").settle();
    assert_eq!(h.app.screen(), Screen::Activity);
    let entries = &h.app.activity.list;
    assert!(!entries.is_empty());
    assert!(entries.windows(2).all(|w| w[0].id > w[1].id));
}

#[test]
fn mouse_click_focuses_and_wheel_scrolls() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (80, 24));
    open(&mut h, Q4);
    // Row 0 header, 1–2 the view's lines, 3 the column titles, 4 the first row.
    h.act(super::Action::Click { column: 10, row: 7 });
    assert_eq!(selected(&h), 3);
    h.act(super::Action::Scroll(3));
    assert_eq!(selected(&h), 6);
    // A click on "3 Activity" in the header switches view.
    let x = h
        .screen()
        .lines()
        .next()
        .unwrap()
        .find("3 Activity")
        .unwrap() as u16;
    h.act(super::Action::Click { column: x, row: 0 }).settle();
    assert_eq!(h.app.screen(), Screen::Activity);
}

#[test]
fn resize_keeps_the_cursor_on_screen_and_small_screens_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (120, 40));
    open(&mut h, Q4);
    h.key("G");
    h.resize(80, 24);
    let e = h.app.enrollments.as_ref().unwrap();
    let rows = h.app.list_rows();
    assert!(e.cursor.selected >= e.cursor.offset && e.cursor.selected < e.cursor.offset + rows);
    h.resize(50, 10);
    let screen = h.screen();
    assert!(
        screen.contains("50×10") && screen.contains("60×15"),
        "{screen}"
    );
    h.resize(80, 24);
    assert!(h.screen().contains("marked"));
}

#[test]
fn help_is_written_from_the_keymap() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let keymap = super::Keymap::from_toml("unenroll = \"d\"\n").unwrap();
    let mut h =
        Headless::with_keymap(&path, clock(), None, (120, 40), Theme::plain(), keymap).unwrap();
    h.settle();
    open(&mut h, Q4);
    assert!(
        h.screen().contains("d unenroll"),
        "the hint bar follows the keymap"
    );
    h.key("?");
    let screen = h.screen();
    assert!(screen.contains("Unenroll the marked rows"), "{screen}");
    h.key("d");
    assert!(h.app.help.is_some(), "only ?, esc and q close the help");
    h.key("esc");
    assert!(h.app.help.is_none(), "esc closes the help");
    h.key("d").settle();
    assert!(h.app.dialog_as::<UnenrollDialog>().is_some());
}

#[test]
fn contact_search_forgives_missing_letters() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (120, 40));
    h.key("2").settle().key("/").type_text("emly chn").settle();
    let names: Vec<String> = h
        .app
        .contacts
        .results
        .iter()
        .map(|c| c.full_name())
        .collect();
    assert!(names.iter().any(|n| n == "Emily Chen"), "{names:?}");
    // Whole words still come first.
    h.keys(&["esc", "esc"])
        .settle()
        .key("/")
        .type_text("chen")
        .settle();
    assert!(
        h.app.contacts.results[0]
            .last_name
            .to_lowercase()
            .contains("chen")
            || h.app.contacts.results[0].email.contains("chen")
            || h.app.contacts.results[0]
                .company
                .to_lowercase()
                .contains("chen")
    );
}

#[test]
fn t_toggles_the_stale_filter_and_asks_the_reader_for_ids() {
    use super::{Action, Command, Effect};
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (120, 40));
    open(&mut h, Q4);
    // The demo's active enrollments are all younger than 30 days: the
    // stale ones of Q4 are paused. Every status, then.
    h.key("S").settle();
    let every = ids(&h);
    assert!(h.screen().contains(" stale "), "the toggle shows, off");

    // The key runs the command; the command sets the filter and hands the
    // new query to the reader.
    let key = super::Key::parse("t").unwrap();
    assert_eq!(
        h.app.keymap.command(key, &h.app.scopes()),
        Some(Command::ToggleStale)
    );
    let effects = super::update(&mut h.app, Action::Command(Command::ToggleStale));
    let e = h.app.enrollments.as_ref().unwrap();
    assert!(e.stale);
    assert!(e.pending.is_some());
    let asked: Vec<_> = effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Run(job) => job.get::<ids::EnrollmentIds>().map(|j| (*j.query).clone()),
            _ => None,
        })
        .collect();
    assert_eq!(asked.len(), 1, "{effects:?}");
    assert!(asked[0].stale && asked[0].statuses.is_empty());
    super::perform(&mut h.app, effects);
    h.settle();

    let ws = Workspace::open(&path, clock()).unwrap();
    let want = ws
        .enrollment_ids(&EnrollmentQuery {
            sequences: asked[0].sequences.clone(),
            statuses: vec![],
            search: String::new(),
            stale: true,
            ..Default::default()
        })
        .unwrap();
    let stale = ids(&h);
    assert_eq!(stale, want);
    assert!(!stale.is_empty() && stale.len() < every.len(), "{stale:?}");
    assert!(stale.iter().all(|id| every.contains(id)));
    let e = h.app.enrollments.as_ref().unwrap();
    assert!(e.rows.values().all(|r| r.stale && r.status.is_open()));
    let screen = h.screen();
    assert!(screen.contains("stale ✓"), "{screen}");
    // Each row is marked (the chip line and the hint bar say it too).
    assert!(
        screen.matches("stale").count() > stale.len() + 1,
        "{screen}"
    );

    // t, ctrl-a, u: every stale row goes to the dialog.
    h.key("ctrl-a").key("u").settle();
    match h.app.dialog_as::<UnenrollDialog>() {
        Some(d) => {
            let mut targets = d.targets.clone();
            targets.sort_unstable();
            let mut want = stale.clone();
            want.sort_unstable();
            assert_eq!(targets, want);
        }
        other => panic!("no unenroll dialog: {other:?}"),
    }
    h.key("esc").key("esc");
    h.key("t").settle();
    assert!(!h.app.enrollments.as_ref().unwrap().stale);
    assert_eq!(ids(&h), every);
}

/// Presses `x` through the keymap and returns the export job `update`
/// asked for (without running it).
fn export_job(h: &mut Headless) -> (Vec<i64>, PathBuf) {
    let event = crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char('x'),
        crossterm::event::KeyModifiers::NONE,
    );
    let action = super::resolve_key(&h.app, &event).expect("x is bound in the enrollment list");
    let effects = super::update(&mut h.app, action);
    let jobs: Vec<(Vec<i64>, PathBuf)> = effects
        .into_iter()
        .filter_map(|e| match e {
            super::Effect::Run(job) => job
                .get::<ids::ExportCsv>()
                .map(|j| (j.enrollments.clone(), j.path.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(jobs.len(), 1, "one export job");
    jobs.into_iter().next().unwrap()
}

#[test]
fn x_exports_the_marked_rows_else_the_filtered_list() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (120, 40));
    open(&mut h, Q4);
    assert!(h.screen().contains("x export"), "the hint bar shows x");

    // Marked rows (and only those), in list order.
    let list = ids(&h);
    h.keys(&["j", "space", "space", "j", "space"]);
    let (chosen, file) = export_job(&mut h);
    assert_eq!(chosen, vec![list[1], list[2], list[4]]);
    assert_eq!(file.parent(), Some(super::app::export_dir().as_path()));
    assert_eq!(
        file.file_name().unwrap().to_str().unwrap(),
        "seqtui-export-q4-mid-market-outbound-20261127-090000.csv"
    );
    assert!(h.app.running.is_some(), "the status line shows the spinner");

    // The job itself, run into a temporary directory instead of the
    // current one; its result lands on the status line.
    let target = dir.path().join(file.file_name().unwrap());
    let mut ws = Workspace::open(&path, clock()).unwrap();
    let user = h.app.user.clone();
    let result = super::jobs::run(
        &mut ws,
        &user,
        &super::Job::from(ids::ExportCsv {
            enrollments: chosen.clone(),
            path: target.clone(),
        }),
    );
    h.act(super::Action::Done(result));
    assert!(h.app.running.is_none());
    let screen = h.screen();
    assert!(
        screen.contains("Exported 3 enrollments to"),
        "the status line names the file: {screen}"
    );
    let text = std::fs::read_to_string(&target).unwrap();
    assert_eq!(text.lines().count(), 1 + 3);
    assert!(text.starts_with("enrollment id,sequence,contact name,"));
    assert_eq!(marked(&h), 3, "exporting keeps the marks");

    // No marks: every row the filter matches, also rows never loaded.
    h.key("esc");
    assert_eq!(marked(&h), 0);
    let (all, _) = export_job(&mut h);
    assert_eq!(all, ids(&h));
    assert!(all.len() > h.app.list_rows(), "more than the screen shows");
    h.app.running = None;

    // A text filter narrows what is exported.
    h.key("/").type_text("ch").settle().key("enter");
    let filtered = ids(&h);
    assert!(!filtered.is_empty() && filtered.len() < all.len());
    let (narrow, _) = export_job(&mut h);
    assert_eq!(narrow, filtered);
}

/// With a fixed clock every export of a sequence asks for the same name;
/// the second one must not replace the first, and the status line names
/// the file it did write.
#[test]
fn a_second_export_with_the_same_name_gets_its_own_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (120, 40));
    open(&mut h, Q4);
    let out = dir.path().join("exports");
    std::fs::create_dir(&out).unwrap();
    let user = h.app.user.clone();
    let mut ws = Workspace::open(&path, clock()).unwrap();
    // Runs the job `x` asked for, into `out` instead of the current
    // directory, and hands its result to the app.
    let mut export = |h: &mut Headless| {
        let (chosen, file) = export_job(h);
        let target = out.join(file.file_name().unwrap());
        let result = super::jobs::run(
            &mut ws,
            &user,
            &super::Job::from(ids::ExportCsv {
                enrollments: chosen,
                path: target.clone(),
            }),
        );
        h.act(super::Action::Done(result));
        target
    };
    h.key("space");
    let first = export(&mut h);
    let first_text = std::fs::read_to_string(&first).unwrap();
    assert_eq!(first_text.lines().count(), 2, "header and the marked row");
    // Other rows: the first mark cleared, two more marked.
    h.keys(&["esc", "space", "space"]);
    let again = export(&mut h);
    assert_eq!(again, first, "the same name asked for, to the second");
    assert_eq!(
        std::fs::read_to_string(&first).unwrap(),
        first_text,
        "the first export is not replaced"
    );
    let second = out.join("seqtui-export-q4-mid-market-outbound-20261127-090000-2.csv");
    assert_eq!(
        std::fs::read_to_string(&second).unwrap().lines().count(),
        3,
        "the second export went to a name of its own"
    );
    let said = h.app.note.as_ref().unwrap().text.clone();
    assert!(
        said.starts_with("Exported 2 enrollments to ")
            && said.ends_with(&second.display().to_string()),
        "the status line names the file written: {said}"
    );
}

#[test]
fn the_reports_view_loads_on_4_and_follows_the_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (120, 40));
    h.key("4").settle();
    assert_eq!(h.app.screen(), Screen::Reports);
    assert!(h.app.reports.loaded);
    let names: Vec<String> = h
        .app
        .reports
        .list
        .iter()
        .map(|r| r.sequence.clone())
        .collect();
    let sequences: Vec<String> = h
        .app
        .sequences
        .list
        .iter()
        .map(|s| s.name.clone())
        .collect();
    assert_eq!(names, sequences, "the order of the Sequences list");
    h.keys(&["j", "j"]);
    let focused = h.app.reports.focused().unwrap().sequence.clone();
    let screen = h.screen();
    assert!(
        screen.contains(&format!("Unenrolled by end reason · {focused}")),
        "{screen}"
    );
    // A change by another process reloads the reports in place.
    let before = h.app.reports.focused().unwrap().unenrolled;
    let mut other = Workspace::open(&path, clock()).unwrap();
    let actor = other.acting_user(None).unwrap();
    let id = h.app.reports.focused().unwrap().sequence_id;
    let open_ids = other
        .enrollment_ids(&EnrollmentQuery {
            sequences: vec![id],
            statuses: vec![Status::Active],
            search: String::new(),
            stale: false,
            ..Default::default()
        })
        .unwrap();
    let report = other
        .unenroll(
            &actor,
            &UnenrollRequest {
                enrollments: vec![open_ids[0]],
                reason: EndReason::Stale,
                note: None,
                dry_run: false,
            },
        )
        .unwrap();
    assert_eq!(report.unenrolled.len(), 1);
    h.tick().settle();
    assert_eq!(
        h.app.reports.focused().unwrap().sequence_id,
        id,
        "focus kept"
    );
    assert_eq!(h.app.reports.focused().unwrap().unenrolled, before + 1);
}

// ------------------------------------------------------ all enrollments

const ADMIN: &str = "dana.whitfield@northwind.example";
const PRIYA: &str = "priya.raman@northwind.example";

fn all_ids(h: &Headless) -> Vec<i64> {
    h.app.all.as_ref().unwrap().ids.clone()
}

fn all_marked(h: &Headless) -> usize {
    h.app.all.as_ref().unwrap().marked_count()
}

/// What the domain says a query matches, on a workspace of its own.
fn matching(path: &Path, query: &str) -> Vec<i64> {
    let ws = Workspace::open(path, clock()).unwrap();
    let q = ws
        .resolve(&crate::domain::Filter::parse(query).unwrap())
        .unwrap();
    ws.enrollment_ids(&q).unwrap()
}

/// Types a query into the All view's editor (replacing what is there)
/// and applies it.
fn query(h: &mut Headless, text: &str) {
    h.key("/");
    while !h.app.editor().unwrap().text.is_empty() {
        h.key("backspace");
    }
    h.type_text(text).key("enter").settle();
}

#[test]
fn a_query_filters_enrollments_across_sequences() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (120, 40));
    h.key("5").settle();
    assert_eq!(h.app.screen(), Screen::All);
    // Active enrollments of every sequence, as the chips default to.
    assert_eq!(all_ids(&h), matching(&path, "status:active"));
    let screen = h.screen();
    assert!(screen.contains("All enrollments"), "{screen}");
    assert!(screen.contains("Sequence"), "the sequence column: {screen}");
    assert!(screen.contains("/ status:active"), "{screen}");

    let text = format!("status:active owner:{PRIYA}");
    query(&mut h, &text);
    assert!(
        h.app.editor().is_none(),
        "enter applied and closed the editor"
    );
    let ids = all_ids(&h);
    assert_eq!(ids, matching(&path, &text));
    let rows = Workspace::open(&path, clock())
        .unwrap()
        .enrollments_by_ids(&ids)
        .unwrap();
    assert!(rows.iter().all(|r| r.owner.as_deref() == Some(PRIYA)));
    let sequences: std::collections::HashSet<&str> =
        rows.iter().map(|r| r.sequence.as_str()).collect();
    assert!(
        sequences.len() > 1,
        "rows of several sequences: {sequences:?}"
    );
    // The rows on screen name their sequences.
    let screen = h.screen();
    let named = sequences
        .iter()
        .filter(|s| screen.contains(&s[..12.min(s.len())]))
        .count();
    assert!(named > 1, "{screen}");

    // The chips and the stale toggle write the query.
    h.key("s").settle();
    let shown = h.app.all_query().unwrap().filter.to_query();
    assert_eq!(shown, format!("status:paused owner:{PRIYA}"));
    assert_eq!(all_ids(&h), matching(&path, &shown));
    h.key("s").key("s").key("s").settle();
    h.key("t").settle();
    let shown = h.app.all_query().unwrap().filter.to_query();
    assert_eq!(
        shown,
        format!("is:stale owner:{PRIYA}"),
        "the all chip: no status"
    );
    assert_eq!(all_ids(&h), matching(&path, &shown));

    // x exports what the query lists, to a file named for the view.
    let (exported, file) = export_job(&mut h);
    assert_eq!(exported, all_ids(&h));
    let name = file.file_name().unwrap().to_str().unwrap().to_string();
    assert!(
        name.starts_with("seqtui-export-all-enrollments-20261127-"),
        "{name}"
    );
}

#[test]
fn a_query_the_domain_cannot_read_stays_in_the_editor_with_its_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (80, 24));
    h.key("5").settle();
    let before = all_ids(&h);
    h.key("/").type_text("step:0").key("enter");
    let editor = h.app.editor().expect("still editing");
    let error = editor.error.clone().unwrap();
    assert!(
        error.contains("step-at-least takes a whole number"),
        "{error}"
    );
    assert!(h.screen().contains("step-at-least takes a whole"));
    // Typing on clears the sentence; a name the workspace does not know
    // comes back from the reader into the editor.
    h.key("backspace")
        .type_text("1 seq:Nowhere")
        .key("enter")
        .settle();
    let editor = h.app.editor().expect("back in the editor");
    assert!(editor.text.contains("seq:Nowhere"));
    let error = editor.error.clone().unwrap();
    assert!(error.contains("Nowhere"), "{error}");
    assert_eq!(all_ids(&h), before, "the list shown did not change");
    // Esc closes the editor; the query shown stays.
    h.key("esc");
    assert!(h.app.editor().is_none());
    assert_eq!(
        h.app.all_query().unwrap().filter.to_query(),
        "status:active"
    );
}

#[test]
fn tab_completes_keys_and_values_in_the_query_editor() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (120, 40));
    h.key("5").settle();
    h.key("/").type_text("ow").key("tab");
    assert_eq!(h.app.editor().unwrap().text, "status:active owner:");
    // The users were read on the reader when the view opened.
    let labels: Vec<String> = h
        .app
        .editor()
        .unwrap()
        .candidates
        .iter()
        .map(|c| c.label.clone())
        .collect();
    assert!(labels.contains(&PRIYA.to_string()), "{labels:?}");
    h.type_text("pri").key("tab");
    assert_eq!(
        h.app.editor().unwrap().text,
        format!("status:active owner:{PRIYA} ")
    );
    h.type_text("seq:mid").key("tab");
    assert_eq!(
        h.app.editor().unwrap().text,
        format!("status:active owner:{PRIYA} seq:\"{Q4}\" ")
    );
    h.key("enter").settle();
    // Written back in the domain's order of keys.
    let text = format!("sequence:\"{Q4}\" status:active owner:{PRIYA}");
    assert_eq!(h.app.all_query().unwrap().filter.to_query(), text);
    assert_eq!(all_ids(&h), matching(&path, &text));
}

#[test]
fn ctrl_a_marks_every_match_across_sequences_and_u_unenrolls_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, Some(ADMIN), (80, 24));
    h.key("5").settle();
    // Every active enrollment: far more than the screen shows.
    let every = all_ids(&h);
    let e = h.app.all.as_ref().unwrap();
    assert!(!e.rows.contains_key(every.last().unwrap()), "never loaded");
    h.key("ctrl-a");
    assert_eq!(all_marked(&h), every.len());
    assert!(h.screen().contains(&format!("{} marked", every.len())));
    h.key("ctrl-a");
    assert_eq!(all_marked(&h), 0);

    let text = format!("status:active owner:{PRIYA}");
    query(&mut h, &text);
    let ids = all_ids(&h);
    assert!(ids.len() > 3);
    h.key("ctrl-a").key("u").settle();
    let Some(d) = h.app.dialog_as::<UnenrollDialog>() else {
        panic!("the dialog is open");
    };
    assert_eq!(d.targets, ids);
    let screen = h.screen();
    assert!(
        screen.contains(&format!("{} contacts in ", ids.len())) && screen.contains(" sequences"),
        "the dialog names how many sequences: {screen}"
    );
    h.keys(&["j", "j", "y"]).settle();
    let summary = h.app.note.as_ref().unwrap().text.clone();
    assert!(
        summary.starts_with(&format!("Unenrolled {} · ", ids.len())),
        "{summary}"
    );
    assert_eq!(all_marked(&h), 0, "marks clear");
    assert_eq!(all_ids(&h), ids, "the rows stay in place");
    // A fresh look at the store: every one of them ended, with the reason.
    let ws = Workspace::open(&path, clock()).unwrap();
    for id in &ids {
        let row = ws.enrollment(*id).unwrap();
        assert_eq!(row.status, Status::Unenrolled);
        assert_eq!(row.end_reason, Some(EndReason::MANUAL[1]));
    }
    assert!(matching(&path, &text).is_empty());
    let screen = h.screen();
    assert!(screen.contains("0 match now"), "{screen}");
}

const TOM: &str = "tom.becker@northwind.example";

/// The text inside the dialog box drawn over an 80-column screen, its
/// lines joined by one space (so that a wrapped sentence reads whole).
fn dialog_text(screen: &str) -> String {
    let inside: Vec<&str> = screen
        .lines()
        .filter_map(|l| {
            let first = l.find('│')?;
            let last = l.rfind('│')?;
            (last > first).then(|| l[first + '│'.len_utf8()..last].trim())
        })
        .collect();
    inside
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The unenroll dialog's dry run, once it has arrived.
fn unenroll_preview(h: &Headless) -> crate::domain::UnenrollReport {
    let Some(d) = h.app.dialog_as::<UnenrollDialog>() else {
        panic!("the unenroll dialog is open");
    };
    let Preview::Ready(p) = &d.preview else {
        panic!("the dry run arrived: {:?}", d.preview);
    };
    p.report.clone()
}

/// R12 for many rows: a rep marks every active enrollment at a company
/// where four people enrolled the contacts the rep may not touch; the
/// dialog names who may for each of them, every sentence whole (at 80×24
/// the rest are a page down), not the first one cut at the border.
#[test]
fn a_rep_is_told_who_may_unenroll_each_refused_row_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, Some(TOM), (80, 24));
    h.key("5").settle();
    query(&mut h, "status:active company:\"Lakeshore Travel LLC\"");
    h.key("ctrl-a").key("u").settle();
    let report = unenroll_preview(&h);
    assert_eq!(report.unenrolled.len(), 1);
    assert_eq!(report.skipped.len(), 4);
    let mut whys: Vec<&str> = report.skipped.iter().map(|s| s.why.as_str()).collect();
    whys.sort();
    whys.dedup();
    assert_eq!(whys.len(), 4, "four people enrolled them: {whys:?}");

    let first = h.screen();
    assert!(first.contains("4 will be skipped"), "{first}");
    assert!(
        first.contains("[ Cancel ]"),
        "some can be unenrolled: the buttons stay, Cancel focused: {first}"
    );
    // Every sentence shows whole, on this page or a later one.
    let mut seen = dialog_text(&first);
    for _ in 0..whys.len() {
        h.key("pagedown");
        seen.push(' ');
        seen.push_str(&dialog_text(&h.screen()));
    }
    for why in &whys {
        assert!(seen.contains(why), "'{why}' is not shown whole:\n{first}");
    }
    // Page keys move through the reasons, not out of the dialog.
    assert!(h.app.dialog_as::<UnenrollDialog>().is_some());
}

/// The pause dialog shows its refusals as the unenroll dialog does: each
/// sentence whole (who may, R12), those that do not fit counted.
#[test]
fn the_pause_dialog_shows_who_may_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, Some(TOM), (80, 24));
    h.key("5").settle();
    query(&mut h, "status:active company:\"Lakeshore Travel LLC\"");
    h.key("ctrl-a").key("p").settle();
    let skipped = match h.app.dialog_as::<ManageDialog>().map(|d| &d.preview) {
        Some(Preview::Ready(super::dialog::ManagePreview::Change(r))) => r.skipped.clone(),
        other => panic!("no pause preview: {other:?}"),
    };
    let mut whys: Vec<&str> = skipped.iter().map(|s| s.why.as_str()).collect();
    whys.sort();
    whys.dedup();
    assert!(whys.len() > 1, "several people may: {whys:?}");
    let screen = h.screen();
    let text = dialog_text(&screen);
    let whole = whys.iter().filter(|w| text.contains(*w)).count();
    assert!(whole >= 1, "a sentence whole:\n{screen}");
    if whole < whys.len() {
        assert!(
            text.contains("other reason"),
            "the others counted:\n{screen}"
        );
    }
    assert!(
        text.contains("[ Cancel ]"),
        "the buttons still show:\n{screen}"
    );
}

/// When nothing can be unenrolled the dialog says so before anything is
/// chosen, says who may, and offers only to close it.
#[test]
fn a_dialog_with_nothing_to_unenroll_says_so_and_only_closes() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, Some(TOM), (80, 24));
    h.key("5").settle();
    query(&mut h, "status:active company:\"Atlasmark Apparel Group\"");
    let rows = all_ids(&h);
    assert_eq!(rows.len(), 1, "one enrollment, somebody else's");
    h.key("u").settle();
    let report = unenroll_preview(&h);
    assert!(report.unenrolled.is_empty());
    let why = report.skipped[0].why.clone();
    assert!(why.starts_with("not permitted: only "), "{why}");

    let screen = h.screen();
    let text = dialog_text(&screen);
    assert!(
        text.contains("Nothing here can be unenrolled"),
        "said up front: {screen}"
    );
    assert!(text.contains(&why), "who may, whole: {screen}");
    assert!(
        !screen.contains("Unenroll ]"),
        "no Unenroll button: {screen}"
    );
    assert!(!screen.contains(" Unenroll 0 "), "{screen}");
    assert!(
        !screen.contains("Reason  (↑/↓"),
        "no reason to choose: {screen}"
    );
    assert!(screen.contains("[ Close ]"), "{screen}");
    let hints = screen.lines().last().unwrap();
    assert!(
        !hints.contains("confirm") && hints.contains("cancel"),
        "the hint bar offers only closing: {hints}"
    );
    let d = h.app.dialog_as::<UnenrollDialog>().unwrap();
    assert_eq!(d.focus, Field::Cancel);
    // Tab has nowhere else to go; enter closes; nothing changed.
    h.key("tab");
    assert_eq!(
        h.app.dialog_as::<UnenrollDialog>().unwrap().focus,
        Field::Cancel
    );
    h.key("enter").settle();
    assert!(h.app.dialog.is_none(), "enter closed it");
    assert_eq!(status_of(&path, rows[0]), Status::Active);
}

#[test]
fn a_saved_list_opens_from_the_lists_view_and_counts_what_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, Some(ADMIN), (120, 40));
    h.key("6").settle();
    assert_eq!(h.app.screen(), Screen::Lists);
    assert!(h.screen().contains("No saved lists yet"));

    // Save a query as a list from the All view.
    h.key("5").settle();
    let text = format!("status:active owner:{PRIYA}");
    query(&mut h, &text);
    let ids = all_ids(&h);
    h.key("L");
    assert!(h.app.typing(), "the name field has the focus");
    h.type_text("Priya active, y n q").key("enter").settle();
    let note = h.app.note.as_ref().unwrap().text.clone();
    assert!(
        note.starts_with("Saved the list 'Priya active, y n q'"),
        "{note}"
    );
    let ws = Workspace::open(&path, clock()).unwrap();
    let saved = ws.list("priya active, y n q").unwrap();
    assert_eq!(saved.query, text);
    assert_eq!(saved.updated_by, ADMIN);
    drop(ws);
    assert!(h.screen().contains("Lists › Priya active, y n q"));

    // Another query, then the list from the Lists view: its filter again.
    query(&mut h, "status:paused");
    h.key("6").settle();
    let lists = &h.app.lists.list;
    assert_eq!(lists.len(), 1);
    assert_eq!(lists[0].count, ids.len() as i64);
    let screen = h.screen();
    assert!(screen.contains(&text), "{screen}");
    h.key("enter").settle();
    assert_eq!(h.app.screen(), Screen::All);
    assert_eq!(all_ids(&h), ids);
    assert!(h.screen().contains("Lists › Priya active, y n q"));

    // Unenroll two of them: the list counts what is left.
    h.keys(&["space", "space", "u"]).settle();
    h.keys(&["j", "y"]).settle();
    assert!(
        h.app
            .note
            .as_ref()
            .unwrap()
            .text
            .starts_with("Unenrolled 2")
    );
    h.key("esc").settle();
    assert_eq!(h.app.screen(), Screen::Lists, "esc goes back to the lists");
    assert_eq!(h.app.lists.list[0].count, ids.len() as i64 - 2);
    assert!(h.screen().contains(&format!(" {} ", ids.len() - 2)));

    // d deletes it, after asking; the enrollments do not change.
    h.key("d");
    assert!(h.app.dialog_as::<ManageDialog>().is_some());
    assert!(h.screen().contains("Delete this saved list?"));
    h.key("y").settle();
    assert!(h.app.lists.list.is_empty());
    let ws = Workspace::open(&path, clock()).unwrap();
    assert!(ws.list("Priya active, y n q").is_err());
    assert_eq!(matching(&path, &text).len(), ids.len() - 2);
}

#[test]
fn the_all_view_follows_other_processes_keeping_cursor_and_marks() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (120, 40));
    h.key("5").settle();
    let list = all_ids(&h);
    h.keys(&["space", "space", "j", "j"]);
    let focused = list[4];
    assert_eq!(h.app.all.as_ref().unwrap().focused_id(), Some(focused));
    unenroll_elsewhere(&mut Workspace::open(&path, clock()).unwrap(), list[2]);
    h.tick().settle();
    let e = h.app.all.as_ref().unwrap();
    assert!(!e.ids.contains(&list[2]), "the row left the active list");
    assert_eq!(
        e.focused_id(),
        Some(focused),
        "the cursor stayed on its row"
    );
    assert_eq!(e.marks.len(), 2);
    assert!(e.marks.contains(list[0]) && e.marks.contains(list[1]));
}

#[test]
fn help_lists_the_query_language_from_the_domain() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (120, 40));
    h.key("5").settle().key("?");
    for _ in 0..10 {
        h.key("pagedown");
    }
    let screen = h.screen();
    assert!(screen.contains("The query (All enrollments"), "{screen}");
    for key in crate::domain::FILTER_KEYS {
        assert!(screen.contains(&format!("{}:", key.name)), "{screen}");
    }
    assert!(screen.contains("quiet: · enrolled n+ days ago"), "{screen}");
}

/// Opening a sequence asks the reader for its first page before every id
/// of its list (164,375 on the 1M demo: the rows showed only after them,
/// 170 ms in the TUI bench), in that order and under one generation.
#[test]
fn opening_a_sequence_asks_for_its_first_page_before_its_ids() {
    use super::action::{Action, Effect, Job};
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (120, 40));
    h.settle();
    let key = super::Key::parse("enter").unwrap();
    let command = h.app.keymap.command(key, &h.app.scopes()).unwrap();
    let effects = super::update(&mut h.app, Action::Command(command));
    let jobs: Vec<&Job> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Run(job)
                if job.get::<ids::EnrollmentPage>().is_some()
                    || job.get::<ids::EnrollmentIds>().is_some() =>
            {
                Some(job)
            }
            _ => None,
        })
        .collect();
    let (Some(page), Some(all)) = (
        jobs.first().and_then(|j| j.get::<ids::EnrollmentPage>()),
        jobs.get(1).and_then(|j| j.get::<ids::EnrollmentIds>()),
    ) else {
        panic!("{jobs:?}");
    };
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    assert_eq!(page.generation, all.generation);
    assert_eq!(*page.query, *all.query);
    super::perform(&mut h.app, effects);
    h.settle();
    let e = h.app.enrollments.as_ref().unwrap();
    assert!(!e.provisional && !e.ids.is_empty());
}

#[test]
fn a_new_query_shows_its_first_page_before_its_ids_arrive() {
    use super::action::{Action, Effect, Job};
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (120, 40));
    h.key("5").settle();
    // A new query: the editor's Enter asks the reader for the first page,
    // then for every id, in that order and under one generation.
    h.key("/");
    while !h.app.editor().unwrap().text.is_empty() {
        h.key("backspace");
    }
    h.type_text("status:active,paused");
    let effects = super::update(&mut h.app, Action::InputDone);
    let jobs: Vec<&Job> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Run(job)
                if job.get::<ids::FilterPage>().is_some()
                    || job.get::<ids::FilterIds>().is_some() =>
            {
                Some(job)
            }
            _ => None,
        })
        .collect();
    assert!(
        jobs.len() == 2
            && jobs[0].get::<ids::FilterPage>().is_some()
            && jobs[1].get::<ids::FilterIds>().is_some(),
        "{jobs:?}"
    );
    let (page, ids) = (jobs[0].clone(), jobs[1].clone());
    let mut ws = Workspace::open(&path, clock()).unwrap();
    let user = ws.acting_user(None).unwrap();
    let want = matching(&path, "status:active,paused");
    assert!(
        want.len() > super::app::FIRST_PAGE,
        "a list longer than a page"
    );

    // The page lands first: its rows show, the length is not claimed yet.
    let result = super::jobs::run(&mut ws, &user, &page);
    let fx = super::update(&mut h.app, Action::Done(result));
    super::perform(&mut h.app, fx);
    let e = h.app.all.as_ref().unwrap();
    assert!(e.provisional && e.pending.is_some());
    assert_eq!(e.ids, want[..super::app::FIRST_PAGE]);
    let first = e.rows[&want[0]].contact_name.clone();
    let screen = h.screen();
    assert!(screen.contains("loading…"), "{screen}");
    assert!(screen.contains("1 of … "), "{screen}");
    assert!(screen.contains(&first[..8.min(first.len())]), "{screen}");

    // The person moves down; the ids land and the focus stays on that row.
    h.key("j").key("j");
    let focused = h.app.all.as_ref().unwrap().focused_id();
    let result = super::jobs::run(&mut ws, &user, &ids);
    let fx = super::update(&mut h.app, Action::Done(result));
    super::perform(&mut h.app, fx);
    let e = h.app.all.as_ref().unwrap();
    assert!(!e.provisional && e.pending.is_none());
    assert_eq!(e.ids, want);
    assert_eq!(e.focused_id(), focused);
    let screen = h.screen();
    assert!(
        screen.contains(&format!(
            "3 of {} ",
            crate::tui::text::count(want.len() as i64)
        )),
        "{screen}"
    );

    // A page that arrives after a newer query was asked is dropped.
    let ask = |h: &mut Headless, text: &str| {
        h.key("/");
        while !h.app.editor().unwrap().text.is_empty() {
            h.key("backspace");
        }
        h.type_text(text);
        super::update(&mut h.app, Action::InputDone)
    };
    let effects = ask(&mut h, "status:paused");
    let stale = effects
        .iter()
        .find_map(|e| match e {
            Effect::Run(job) if job.get::<ids::FilterPage>().is_some() => Some(job.clone()),
            _ => None,
        })
        .unwrap();
    super::perform(&mut h.app, effects);
    let effects = ask(&mut h, "status:finished");
    super::perform(&mut h.app, effects);
    h.settle();
    let result = super::jobs::run(&mut ws, &user, &stale);
    let fx = super::update(&mut h.app, Action::Done(result));
    super::perform(&mut h.app, fx);
    assert!(!h.app.all.as_ref().unwrap().provisional);
    assert_eq!(all_ids(&h), matching(&path, "status:finished"));
}

/// The open enrollments (active or paused) of a sequence, from the store.
fn open_in(path: &Path, sequence: &str) -> Vec<(i64, Status)> {
    let ws = Workspace::open(path, clock()).unwrap();
    let id = ws.sequence(sequence).unwrap().id;
    let query = EnrollmentQuery {
        sequences: vec![id],
        statuses: vec![Status::Active, Status::Paused],
        ..Default::default()
    };
    ws.enrollment_page(&query, None, 10_000)
        .unwrap()
        .into_iter()
        .map(|r| (r.id, r.status))
        .collect()
}

#[test]
fn a_sequence_opens_on_the_open_chip_and_ctrl_a_then_u_ends_paused_ones_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, Some(ADMIN), (120, 40));
    open(&mut h, Q4);
    assert_eq!(h.app.enrollments.as_ref().unwrap().chip, Chip::Open);
    let open = open_in(&path, Q4);
    assert!(
        open.iter().any(|(_, s)| *s == Status::Paused),
        "the demo's Q4 has paused enrollments"
    );
    let mut listed = ids(&h);
    listed.sort_unstable();
    let mut want: Vec<i64> = open.iter().map(|(id, _)| *id).collect();
    want.sort_unstable();
    assert_eq!(listed, want, "the open chip lists active and paused");
    assert!(h.screen().contains(" open "), "the chip shows");

    h.key("ctrl-a").key("u").settle();
    h.key("j").key("y").settle();
    let summary = h.app.note.as_ref().unwrap().text.clone();
    assert!(summary.starts_with("Unenrolled "), "{summary}");
    assert!(
        open_in(&path, Q4).is_empty(),
        "no paused enrollment is left to send when resumed"
    );
}

#[test]
fn the_enroll_picker_needs_a_choice_shows_what_it_will_do_and_u_undoes_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    // A contact with no open enrollment: the admin ends its Q4 one first.
    let (first, enrollment) = {
        let mut ws = Workspace::open(&path, clock()).unwrap();
        let (id, _) = open_in(&path, Q4)[0];
        let row = ws.enrollment(id).unwrap();
        unenroll_elsewhere(&mut ws, id);
        (row, id)
    };
    let mut h = headless(&path, None, (120, 40));
    h.key("2").settle().key("/");
    h.type_text(&first.contact_email).settle().key("enter");
    assert_eq!(
        h.app.focused_contact().map(|c| c.id),
        Some(first.contact_id)
    );
    let open_of = |path: &Path| {
        Workspace::open(path, clock())
            .unwrap()
            .contact_detail(first.contact_id)
            .unwrap()
            .enrollments
            .into_iter()
            .filter(|e| e.enrollment.status.is_open())
            .map(|e| e.enrollment)
            .collect::<Vec<_>>()
    };

    // Two stray keys: e then y. y is text in the picker (it finds
    // sequences) and nothing is chosen, so nothing happens.
    h.key("e").key("y").settle();
    let Some(p) = h.app.dialog_as::<EnrollPicker>() else {
        panic!("the picker stays open");
    };
    assert_eq!(p.selected, None);
    assert_eq!(p.filter, "y");
    assert!(h.screen().contains("Nothing chosen yet"));
    assert!(open_of(&path).is_empty(), "y enrolled nobody");
    // Enter with nothing typed and nothing chosen says what to do.
    h.key("backspace").key("enter").settle();
    let Some(p) = h.app.dialog_as::<EnrollPicker>() else {
        panic!("the picker stays open");
    };
    assert_eq!(p.notice.as_deref(), Some("Choose a sequence first (↑/↓)."));
    assert!(open_of(&path).is_empty());

    // Choosing a sequence shows what confirming will do.
    h.key("down").settle();
    let sequence = h.app.sequences.list[0].name.clone();
    let screen = h.screen();
    assert!(
        screen.contains(&format!("Will enroll {}", first.contact_name)),
        "{screen}"
    );
    assert!(screen.contains(&format!("› {sequence}")), "{screen}");
    assert!(screen.contains(&format!("in '{sequence}' (")), "{screen}");
    assert!(
        screen.contains("step 1, due 2026-11-27 09:00 UTC"),
        "{screen}"
    );
    h.key("enter").settle();
    let note = h.app.note.clone().unwrap().text;
    assert!(note.starts_with("Enrolled "), "{note}");
    let made = open_of(&path);
    assert_eq!(made.len(), 1);
    assert_eq!(made[0].sequence, sequence);
    assert_ne!(made[0].id, enrollment);

    // U offers that enroll; y ends what it made.
    h.key("U");
    assert!(
        h.screen().contains("Undo your last enroll"),
        "{}",
        h.screen()
    );
    h.key("y").settle();
    let note = h.app.note.clone().unwrap().text;
    assert!(note.starts_with("Undid B"), "{note}");
    assert!(open_of(&path).is_empty(), "the enroll was undone");
    let undone = Workspace::open(&path, clock())
        .unwrap()
        .enrollment(made[0].id)
        .unwrap();
    assert_eq!(undone.status, Status::Unenrolled);
    assert_eq!(undone.end_reason, Some(EndReason::Other));
}

/// Contacts has one mode, the same as every list: it opens in list mode
/// (1–6 and q are commands, not text), `/` puts the focus in the Find
/// box, esc leaves the box and keeps the filter, esc again clears it.
#[test]
fn contacts_types_only_after_slash_and_esc_keeps_the_filter() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (120, 40));
    h.key("2").settle();
    assert_eq!(h.app.screen(), Screen::Contacts);
    assert!(!h.app.typing(), "the view opens in list mode");
    let everyone = h.app.contacts.results.len();
    assert!(everyone > 0);
    // A view key switches view instead of landing in the box.
    h.key("1").settle();
    assert_eq!(h.app.screen(), Screen::Sequences);
    h.key("2").settle();
    assert_eq!(h.app.contacts.query, "");

    h.key("/");
    assert!(h.app.typing());
    // In the box, digits and letters that are also keys are text.
    h.type_text("chen1q").settle();
    assert_eq!(h.app.contacts.query, "chen1q");
    assert_eq!(h.app.screen(), Screen::Contacts);
    for _ in 0..2 {
        h.key("backspace");
    }
    h.settle();
    let found: Vec<i64> = h.app.contacts.results.iter().map(|c| c.id).collect();
    assert!(!found.is_empty() && found.len() < everyone);

    h.key("esc").settle();
    assert!(!h.app.typing(), "esc leaves the box");
    assert_eq!(h.app.contacts.query, "chen", "and keeps the filter");
    let kept: Vec<i64> = h.app.contacts.results.iter().map(|c| c.id).collect();
    assert_eq!(kept, found);
    assert!(h.screen().contains("chen"));
    // In the list, j moves instead of typing.
    h.key("j");
    assert_eq!(h.app.contacts.query, "chen");

    h.key("esc").settle();
    assert_eq!(h.app.contacts.query, "", "esc again clears the filter");
    assert_eq!(h.app.contacts.results.len(), everyone);
    assert_eq!(h.app.screen(), Screen::Contacts);
    // q in list mode is the command it is everywhere (quit from a
    // top-level view).
    h.key("q");
    assert!(h.app.quit);
}

/// A character typed in a sequence's filter asks the reader for the first
/// page of matches (a walk that stops after a page) before every id (a
/// pass over the whole sequence): the matches show as soon as the page
/// lands, the length once the ids do.
#[test]
fn a_sequence_filter_shows_its_first_matches_before_every_id() {
    use super::action::{Action, Effect, Job};
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (120, 40));
    open(&mut h, Q4);
    h.key("S").settle();
    h.key("/");
    let effects = super::update(&mut h.app, Action::Input('a'));
    let jobs: Vec<Job> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Run(job)
                if job.get::<ids::EnrollmentPage>().is_some()
                    || job.get::<ids::EnrollmentIds>().is_some() =>
            {
                Some(job.clone())
            }
            _ => None,
        })
        .collect();
    assert!(
        jobs.len() == 2
            && jobs[0].get::<ids::EnrollmentPage>().is_some()
            && jobs[1].get::<ids::EnrollmentIds>().is_some(),
        "{jobs:?}"
    );
    let mut ws = Workspace::open(&path, clock()).unwrap();
    let user = ws.acting_user(None).unwrap();
    let query = h.app.enrollments.as_ref().unwrap().query();
    assert_eq!(query.search, "a");
    let want = ws.enrollment_ids(&query).unwrap();
    assert!(want.len() > 3, "{want:?}");
    let page = want.len().min(super::app::FIRST_PAGE);

    // The page lands first: its rows show; the length is not claimed yet.
    let result = super::jobs::run(&mut ws, &user, &jobs[0]);
    let fx = super::update(&mut h.app, Action::Done(result));
    super::perform(&mut h.app, fx);
    let e = h.app.enrollments.as_ref().unwrap();
    assert!(e.provisional && e.pending.is_some());
    assert_eq!(e.ids, want[..page]);
    let first = e.rows[&want[0]].contact_name.clone();
    let screen = h.screen();
    assert!(screen.contains("filtering…"), "{screen}");
    assert!(screen.contains("1 of … "), "{screen}");
    assert!(screen.contains(&first[..8.min(first.len())]), "{screen}");

    // The person moves down (still in the box: arrows move, letters
    // type); the ids land and the focus stays on that row.
    h.key("down").key("down");
    let focused = h.app.enrollments.as_ref().unwrap().focused_id();
    assert_eq!(focused, want.get(2).copied());
    let result = super::jobs::run(&mut ws, &user, &jobs[1]);
    let fx = super::update(&mut h.app, Action::Done(result));
    super::perform(&mut h.app, fx);
    let e = h.app.enrollments.as_ref().unwrap();
    assert!(!e.provisional && e.pending.is_none());
    assert_eq!(e.ids, want);
    assert_eq!(e.focused_id(), focused);
    assert!(h.screen().contains(&format!("{} match", want.len())));
}

/// The transfer's owner picker filters as you type, ranked by the same
/// matcher as the Contacts search: letters are text there (j is not down,
/// n is not cancel), the best match is chosen, arrows move among the
/// matches, enter moves on to the policy.
#[test]
fn the_owner_picker_finds_the_owner_as_you_type() {
    use super::dialog::ManageKind;
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (120, 40));
    open(&mut h, Q4);
    h.key("space").key("o").settle();
    assert!(h.app.typing(), "the owner step has a text field");
    let owner = |h: &Headless| match h.app.dialog_as::<ManageDialog>() {
        Some(d) => match &d.kind {
            ManageKind::Transfer {
                users,
                owner,
                shown,
                ..
            } => (users[*owner].name.clone(), shown.len(), users.len()),
            other => panic!("{other:?}"),
        },
        _ => panic!("the dialog closed"),
    };
    let (_, every, users) = owner(&h);
    assert_eq!(every, users, "nothing typed: every user");

    h.type_text("jml");
    let (name, shown, _) = owner(&h);
    assert_eq!(name, "Jamal Wright");
    assert!(shown >= 1 && shown < users, "{shown} of {users}");
    let screen = h.screen();
    assert!(screen.contains("Choose the new owner: jml"), "{screen}");
    assert!(!screen.contains("Dana Whitfield"), "filtered out: {screen}");

    // Backspace widens the list again; n is a letter here.
    for _ in 0..3 {
        h.key("backspace");
    }
    h.type_text("sfa lndqvn");
    assert!(h.app.dialog.is_some(), "n did not cancel");
    assert_eq!(owner(&h).0, "Sofia Lindqvist");
    h.key("backspace");
    h.key("down");
    assert_eq!(owner(&h).0, "Sofia Lindqvist", "the only match");

    h.key("enter").settle();
    let screen = h.screen();
    assert!(screen.contains("To Sofia Lindqvist"), "{screen}");
    assert!(!h.app.typing(), "the policy step has no text field");
}

/// The enroll picker filters as you type, ranked by the same matcher as
/// the Contacts search; enter with nothing chosen chooses the best match
/// (a preview, never an enroll).
#[test]
fn the_sequence_picker_finds_the_sequence_as_you_type() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (120, 40));
    open(&mut h, Q4);
    h.key("e").settle();
    assert!(h.app.typing(), "the picker has a text field");
    let names = |h: &Headless| match h.app.dialog_as::<EnrollPicker>() {
        Some(p) => (
            p.shown
                .iter()
                .map(|&i| p.sequences[i].name.clone())
                .collect::<Vec<_>>(),
            p.selected.map(|i| p.sequences[i].name.clone()),
            p.sequences.len(),
        ),
        _ => panic!("the picker closed"),
    };
    let (shown, _, every) = names(&h);
    assert_eq!(shown.len(), every, "nothing typed: every sequence");

    h.type_text("trl nrtr");
    let (shown, selected, _) = names(&h);
    assert_eq!(shown.first().map(String::as_str), Some("Trial Nurture"));
    assert!(shown.len() < every, "{shown:?}");
    assert_eq!(selected, None, "typing chooses nothing by itself");
    let screen = h.screen();
    assert!(screen.contains("in: trl nrtr"), "{screen}");
    assert!(!shown.iter().any(|n| n == Q4), "filtered out: {shown:?}");
    assert!(screen.contains("› Trial Nurture") || screen.contains("  Trial Nurture"));

    h.key("enter").settle();
    let (_, selected, _) = names(&h);
    assert_eq!(selected.as_deref(), Some("Trial Nurture"));
    assert!(h.app.dialog.is_some(), "enter chose; it did not enroll");
    // A letter that hides the choice drops it.
    h.type_text("zz");
    assert_eq!(names(&h).1, None);
}

/// A job that panics on its worker: the panic becomes the job's error, its
/// own `done` gets it, and the app says it; nothing else is touched.
#[derive(Debug, Clone, PartialEq)]
struct Boom;

impl super::Work for Boom {
    type Answer = ();
    const READ: bool = true;
    fn run(&self, _: &mut Workspace, _: &crate::domain::User) -> crate::domain::Result<()> {
        panic!("boom on purpose")
    }
    fn done(self, app: &mut super::App, result: super::JobOutcome<()>) {
        if let Err(err) = result {
            app.fail(&err);
        }
    }
}

#[test]
fn a_job_that_panics_reports_it_as_its_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = headless(&path, None, (120, 40));
    let mut ws = Workspace::open(&path, clock()).unwrap();
    let user = h.app.user.clone();
    let job = super::Job::from(Boom);
    assert!(job.is_read());
    assert_eq!(job.get::<Boom>(), Some(&Boom));
    assert_eq!(job.clone(), job);
    let done = super::jobs::run(&mut ws, &user, &job);
    h.act(super::Action::Done(done));
    let note = h.app.note.clone().expect("the failure is said").text;
    assert_eq!(note, "internal error: boom on purpose");
}
