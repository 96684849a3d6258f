//! Snapshots of every view (Reports, All enrollments and Lists included) and dialog at 120×40 and 80×24, on a 300-contact
//! demo workspace with a fixed clock — in colour (as text) and with
//! NO_COLOR (text and styles, which must use no colour at all).

mod tui_support;

use ratatui::style::Color;
use seqtui::domain::{ContactInput, Filter, Workspace};
use seqtui::tui::{Headless, Theme};
use tui_support::*;

const Q4: &str = "Q4 Mid-Market Outbound";
const SIZES: [(u16, u16); 2] = [(120, 40), (80, 24)];

type Scenario = fn(&mut Headless);

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

fn sequences(h: &mut Headless) {
    h.keys(&["j", "j"]);
}

fn enrollments_marked(h: &mut Headless) {
    open(h, Q4);
    h.keys(&["space", "j", "space", "v", "j", "j"]);
}

fn enrollments_filter(h: &mut Headless) {
    open(h, Q4);
    h.key("s").settle().key("S").settle();
    h.key("/").type_text("ch").settle();
}

fn enrollments_all_chip(h: &mut Headless) {
    open(h, Q4);
    h.keys(&["S"]).settle();
    h.keys(&["j", "j", "j"]);
}

/// Every status, only the stale ones (the demo's are paused ones).
fn enrollments_stale(h: &mut Headless) {
    open(h, Q4);
    h.key("S").settle();
    h.key("t").settle();
}

/// Every status, sorted by next due, latest first (`>` then `r`): the
/// header says ▼ on "Next due"; ended rows (no next due) come last.
fn enrollments_sorted(h: &mut Headless) {
    open(h, Q4);
    h.key("S").settle();
    h.key(">").settle().key("r").settle();
}

fn detail_full(h: &mut Headless) {
    open(h, Q4);
    h.keys(&["j", "tab"]);
}

fn contacts(h: &mut Headless) {
    h.key("2")
        .settle()
        .key("/")
        .type_text("chen")
        .settle()
        .key("enter")
        .key("j");
}

fn activity(h: &mut Headless) {
    h.key("3").settle();
}

/// The Reports view with the focus on Q4, the sequence with the most end
/// reasons (the bar chart runs out of room at 80×24).
fn reports(h: &mut Headless) {
    h.key("4").settle();
    let at = h
        .app
        .reports
        .list
        .iter()
        .position(|r| r.sequence == Q4)
        .expect("Q4 has a report");
    for _ in 0..at {
        h.key("j");
    }
}

fn dialog_bulk(h: &mut Headless) {
    open(h, Q4);
    h.keys(&["space", "space", "space", "space"]);
    h.key("u").settle();
    h.keys(&["j", "j", "tab", "tab"])
        .type_text("moved to a call");
}

fn dialog_single(h: &mut Headless) {
    open(h, Q4);
    h.keys(&["j", "j", "u"]).settle();
}

/// The picker starts with nothing chosen; j chooses the first sequence and
/// the preview shows what enrolling will do.
fn enroll_picker(h: &mut Headless) {
    open(h, Q4);
    h.keys(&["e", "down"]);
}

/// The steps and settings of Q4, the second step focused: its template
/// filled for the contact focused in the enrollments.
fn steps(h: &mut Headless) {
    open(h, Q4);
    h.key("i").settle().key("j");
}

/// Five contacts marked in Contacts, `e`, the first sequence: the dry
/// run's counts, Cancel focused.
fn dialog_bulk_enroll(h: &mut Headless) {
    h.key("2").settle();
    h.keys(&["space", "space", "space", "space", "space"]);
    h.key("e").key("enter").settle();
}

fn help(h: &mut Headless) {
    open(h, Q4);
    h.key("?");
}

fn after_unenroll(h: &mut Headless) {
    open(h, Q4);
    h.keys(&["space", "space", "space", "u"]).settle();
    h.keys(&["j", "y"]).settle();
}

fn dialog_pause(h: &mut Headless) {
    open(h, Q4);
    h.keys(&["space", "space", "space", "p"]).settle();
}

fn dialog_undo(h: &mut Headless) {
    after_unenroll(h);
    h.key("U").settle();
}

fn after_undo(h: &mut Headless) {
    dialog_undo(h);
    h.key("y").settle();
}

fn dialog_transfer_owner(h: &mut Headless) {
    open(h, Q4);
    h.keys(&["space", "space", "o", "down", "down"]);
}

fn dialog_transfer_preview(h: &mut Headless) {
    dialog_transfer_owner(h);
    h.key("enter").settle().key("j").settle();
}

/// All enrollments: every sequence's active ones, with the Sequence column.
fn all_enrollments(h: &mut Headless) {
    h.key("5").settle();
    h.keys(&["j", "j", "space"]);
}

/// The query editor with the keys that start with "s" and what they match.
fn all_editor_completion(h: &mut Headless) {
    h.key("5").settle();
    h.key("/").type_text("s");
}

/// A query the domain cannot read: its sentence under the line.
fn all_editor_error(h: &mut Headless) {
    h.key("5").settle();
    h.key("/").type_text("step:0 company:Acme").key("enter");
}

/// Three rows of three sequences to unenroll from All enrollments.
fn all_dialog_unenroll(h: &mut Headless) {
    h.key("5").settle();
    h.keys(&["space", "j", "j", "space", "space", "u"]).settle();
}

/// Every status (the all chip: from active, back past open), only the
/// stale ones; then `L`.
fn save_list_prompt(h: &mut Headless) {
    h.key("5").settle();
    h.key("S").settle().key("S").settle().key("t").settle();
    h.key("L").settle().type_text("Stale, every sequence");
}

/// Two saved lists, made through the domain as a colleague would.
fn save_lists(h: &mut Headless) {
    let mut ws = Workspace::open(&h.app.info.path, clock()).unwrap();
    let maya = ws.acting_user(None).unwrap();
    let priya = ws
        .acting_user(Some("priya.raman@northwind.example"))
        .unwrap();
    let q4 = Filter::parse(&format!("seq:\"{Q4}\" is:stale")).unwrap();
    ws.save_list(&maya, "Stale in Q4", &q4).unwrap();
    let mine = Filter::parse("status:active owner:priya.raman@northwind.example").unwrap();
    ws.save_list(&priya, "My active contacts", &mine).unwrap();
}

fn lists(h: &mut Headless) {
    save_lists(h);
    h.key("6").settle();
    h.key("j");
}

/// A saved list opened from the Lists view.
fn list_opened(h: &mut Headless) {
    lists(h);
    h.key("enter").settle();
}

fn dialog_delete_list(h: &mut Headless) {
    lists(h);
    h.key("d");
}

/// Contacts whose data tries to break the table: long names, emoji, CJK,
/// right-to-left text and control characters.
fn unicode(h: &mut Headless) {
    open(h, "Trial Nurture");
    h.key("/").type_text("zeta").settle().key("enter");
}

fn add_awkward_contacts(path: &std::path::Path) {
    let mut ws = Workspace::open(path, clock()).unwrap();
    let actor = ws.acting_user(None).unwrap();
    let people = [
        (
            "long@zeta.example",
            "Maximiliana-Theodora",
            "Wolfeschlegelsteinhausen-Bergerdorff",
            "Zeta Holdings International Incorporated Worldwide",
        ),
        (
            "emoji@zeta.example",
            "😀 Emoji",
            "👩‍💻 Person",
            "Zeta 🚀 Rockets",
        ),
        ("cjk@zeta.example", "太郎", "山田", "Zeta 東京株式会社"),
        ("rtl@zeta.example", "שלום", "כהן", "Zeta חברה בע״מ"),
        ("arabic@zeta.example", "محمد", "العلي", "Zeta شركة"),
        (
            "control@zeta.example",
            "Evil\u{1b}[31m",
            "Name\u{7}",
            "Zeta\nCorp\u{202e}gnp.exe",
        ),
    ];
    let rows: Vec<ContactInput> = people
        .iter()
        .enumerate()
        .map(|(i, (email, first, last, company))| ContactInput {
            line: i as u64 + 2,
            email_column: "email".into(),
            email: email.to_string(),
            first_name: Some(first.to_string()),
            last_name: Some(last.to_string()),
            company: Some(company.to_string()),
            title: Some("Buyer".into()),
            owner: None,
            owner_column: None,
            lifecycle_stage: None,
            ..Default::default()
        })
        .collect();
    ws.import_contacts(&actor, &rows).unwrap();
    let seq = ws.sequence("Trial Nurture").unwrap();
    let ids: Vec<i64> = people.iter().map(|p| ws.contact(p.0).unwrap().id).collect();
    let report = ws.enroll(&actor, seq.id, &ids).unwrap();
    assert_eq!(report.enrolled.len(), ids.len());
}

/// The Tasks view (R18): the acting user's open tasks, overdue first.
fn tasks(h: &mut Headless) {
    h.key("7").settle();
    h.keys(&["j", "j"]);
}

/// The snooze picker on the focused task, tomorrow chosen.
fn dialog_task_snooze(h: &mut Headless) {
    tasks(h);
    h.keys(&["z", "j"]);
}

const SCENARIOS: &[(&str, Scenario)] = &[
    ("sequences", sequences),
    ("enrollments_marked", enrollments_marked),
    ("enrollments_filter", enrollments_filter),
    ("enrollments_all_chip", enrollments_all_chip),
    ("enrollments_stale", enrollments_stale),
    ("enrollments_sorted", enrollments_sorted),
    ("detail_full", detail_full),
    ("contacts", contacts),
    ("activity", activity),
    ("reports", reports),
    ("dialog_unenroll_bulk", dialog_bulk),
    ("dialog_unenroll_single", dialog_single),
    ("dialog_enroll_picker", enroll_picker),
    ("help", help),
    ("after_unenroll", after_unenroll),
    ("dialog_pause", dialog_pause),
    ("dialog_undo", dialog_undo),
    ("after_undo", after_undo),
    ("dialog_transfer_owner", dialog_transfer_owner),
    ("dialog_transfer_preview", dialog_transfer_preview),
    ("unicode", unicode),
    ("all_enrollments", all_enrollments),
    ("all_editor_completion", all_editor_completion),
    ("all_editor_error", all_editor_error),
    ("all_dialog_unenroll", all_dialog_unenroll),
    ("save_list_prompt", save_list_prompt),
    ("lists", lists),
    ("list_opened", list_opened),
    ("dialog_delete_list", dialog_delete_list),
    ("tasks", tasks),
    ("dialog_task_snooze", dialog_task_snooze),
    ("steps", steps),
    ("dialog_bulk_enroll", dialog_bulk_enroll),
];

fn run(theme: Theme, styled: bool) {
    let dir = tempfile::tempdir().unwrap();
    let base = demo(dir.path());
    add_awkward_contacts(&base);
    for (name, scenario) in SCENARIOS {
        for (w, h) in SIZES {
            // A fresh copy for each run: some scenarios change data.
            let path = dir.path().join(format!("{name}-{w}x{h}-{styled}.db"));
            std::fs::copy(&base, &path).unwrap();
            let mut ui = Headless::open(&path, clock(), None, (w, h), theme).unwrap();
            ui.settle();
            scenario(&mut ui);
            ui.settle();
            let screen = ui.screen();
            assert!(
                !screen.contains('\u{1b}'),
                "an escape character reached the screen"
            );
            if styled {
                let buffer = ui.terminal.backend().buffer();
                for cell in buffer.content() {
                    assert!(
                        cell.fg == Color::Reset && cell.bg == Color::Reset,
                        "{name} {w}×{h}: a colour with NO_COLOR: {cell:?}"
                    );
                }
                insta::assert_snapshot!(format!("{name}_{w}x{h}_no_color"), ui.styled_screen());
            } else {
                insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen);
            }
        }
    }
}

#[test]
fn every_view_and_dialog_in_colour() {
    run(Theme::colored(), false);
}

#[test]
fn every_view_and_dialog_with_no_color() {
    run(Theme::plain(), true);
}

/// R12 as a rep sees it in All enrollments: every active enrollment at a
/// company, four of them enrolled by four other people (each named whole,
/// with who else may), and a query matching only somebody else's
/// enrollment (nothing to unenroll: the dialog says so and only closes).
#[test]
fn a_rep_is_told_who_may_unenroll_every_refused_row() {
    const TOM: &str = "tom.becker@northwind.example";
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let cases = [
        ("rep_unenroll_some_refused", "Lakeshore Travel LLC", true),
        ("rep_unenroll_all_refused", "Atlasmark Apparel Group", false),
    ];
    for (name, company, mark_all) in cases {
        for (w, h) in SIZES {
            let mut ui =
                Headless::open(&path, clock(), Some(TOM), (w, h), Theme::colored()).unwrap();
            ui.settle();
            ui.key("5").settle().key("/");
            while !ui.app.editor().unwrap().text.is_empty() {
                ui.key("backspace");
            }
            ui.type_text(&format!("status:active company:\"{company}\""))
                .key("enter")
                .settle();
            if mark_all {
                ui.key("ctrl-a");
            }
            ui.key("u").settle();
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), ui.screen());
            if mark_all && h == 24 {
                // The sentences that did not fit, a page down.
                ui.key("pagedown").key("pagedown");
                insta::assert_snapshot!(format!("{name}_{w}x{h}_page_down"), ui.screen());
            }
        }
    }
}

#[test]
fn below_the_minimum_size_it_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut ui = app(&path, 50, 12);
    ui.settle();
    insta::assert_snapshot!("too_small_50x12", ui.screen());
}
