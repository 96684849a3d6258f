//! Issue 6, hostile text: names, companies, notes and search / filter text
//! with SQL metacharacters, quotes, NUL, terminal escape sequences, BEL,
//! backspace, CR, bidi overrides, 10,000-character strings and invalid
//! UTF-8. They are stored verbatim (what goes in reads back through the
//! domain), searched literally, never executed (the tables survive), printed
//! exactly in `--json` and neutralised in text output and on the TUI screen.
//!
//! Invalid UTF-8: a CSV cell that is not UTF-8 is **rejected** (one
//! sentence naming the line and field, nothing imported); an email, mbox,
//! calendar or JSON Lines input is **decoded lossily** (each invalid byte
//! sequence becomes U+FFFD) because a reply must not be lost over one bad
//! byte in its subject.

mod common;

use std::path::Path;

use common::cli::run;
use common::*;
use seqtui::domain::*;
use seqtui::engine::read_path;
use seqtui::tui::{Headless, Theme};

/// Every hostile value; contact `i` carries `HOSTILE[i]` in its names,
/// company and title.
const HOSTILE: &[&str] = &[
    "'",
    "\"",
    ";",
    "--",
    "%",
    "_",
    "\\",
    "' OR 1=1 --",
    "Robert'); DROP TABLE contacts;--",
    "a\0b",
    "\x1b[31mred\x1b[0m",
    "\x1b]0;title\x07",
    "\x1b[2J",
    "bell\x07",
    "back\x08space",
    "car\rriage",
    "\u{202e}gnp.exe",
    "%_\\%",
];

/// What must never reach a terminal.
const RAW: &[char] = &['\u{1b}', '\u{7}', '\0', '\u{8}', '\r', '\u{202e}', '\u{9b}'];

fn long() -> String {
    "Ω'%_\\\x1b".repeat(2_000)
}

fn email(i: usize) -> String {
    format!("h{i:02}@hostile.example")
}

/// The value of contact `i`: a hostile piece between letters, so trimming
/// leaves it whole.
fn first(i: usize) -> String {
    if i == HOSTILE.len() {
        long()
    } else {
        format!("x{}x", HOSTILE[i])
    }
}

fn last(i: usize) -> String {
    format!("L{}L", HOSTILE.get(i).copied().unwrap_or("long"))
}

fn company(i: usize) -> String {
    format!("Co{}Co", HOSTILE.get(i).copied().unwrap_or("long"))
}

/// The fixture plus one contact per hostile value (and one with 10,000
/// characters), all enrolled in Alpha by Ann.
fn hostile_fixture() -> (Fixture, Vec<i64>) {
    let mut f = fixture(3);
    let rows: Vec<ContactInput> = (0..=HOSTILE.len())
        .map(|i| ContactInput {
            line: i as u64 + 2,
            email_column: "Email".into(),
            email: email(i),
            first_name: Some(first(i)),
            last_name: Some(last(i)),
            company: Some(company(i)),
            title: Some(first(i)),
            owner: Some("ann@team.example".into()),
            ..Default::default()
        })
        .collect();
    let report = f.ws.import_contacts(&f.admin, &rows).unwrap();
    assert_eq!(report.created, rows.len());
    let ids: Vec<i64> = (0..=HOSTILE.len())
        .map(|i| f.ws.contact(&email(i)).unwrap().id)
        .collect();
    let enrolled = f.ws.enroll(&f.rep_ann, f.seq_a.id, &ids).unwrap();
    assert_eq!(enrolled.enrolled.len(), ids.len());
    (f, ids)
}

fn tables(path: &Path) -> (i64, i64, i64) {
    let conn = raw(path);
    let tables = match conn.dialect() {
        seqtui::store::Dialect::Sqlite => "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
        seqtui::store::Dialect::Postgres => {
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
        }
    };
    conn.query_row(
        &format!(
            "SELECT ({tables}),
                    (SELECT count(*) FROM contacts), (SELECT count(*) FROM enrollments)"
        ),
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .unwrap()
}

#[test]
fn hostile_names_read_back_verbatim_through_the_domain() {
    let (f, _) = hostile_fixture();
    for i in 0..=HOSTILE.len() {
        let c = f.ws.contact(&email(i)).unwrap();
        assert_eq!(c.first_name, as_stored(&f.path, &first(i)), "contact {i}");
        assert_eq!(c.last_name, as_stored(&f.path, &last(i)));
        assert_eq!(c.company, as_stored(&f.path, &company(i)));
        assert_eq!(c.title, as_stored(&f.path, &first(i)));
        assert_eq!(c.email, email(i));
    }
    assert_eq!(
        f.ws.contact(&email(HOSTILE.len()))
            .unwrap()
            .first_name
            .chars()
            .count(),
        12_000
    );
    check_invariants(&f.path);
}

/// Which hostile contacts a literal, case-insensitive match of every word
/// of `text` against "last first email" or the company finds (what
/// `search_contacts` promises).
fn expected_contacts(text: &str) -> Vec<String> {
    let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    (0..=HOSTILE.len())
        .filter(|&i| {
            let name = format!("{} {} {}", last(i), first(i), email(i)).to_lowercase();
            let company = company(i).to_lowercase();
            words
                .iter()
                .all(|w| name.contains(w.as_str()) || company.contains(w.as_str()))
        })
        .map(email)
        .collect()
}

#[test]
fn contact_search_treats_metacharacters_literally_and_executes_nothing() {
    let (f, _) = hostile_fixture();
    let before = tables(&f.path);
    for needle in [
        "%",
        "_",
        "\\",
        "'",
        "\"",
        ";",
        "--",
        "' OR 1=1 --",
        "Robert'); DROP TABLE contacts;--",
        "\0",
        "\x1b[2J",
        "\x07",
        "\u{202e}",
        "%_\\%",
    ] {
        let found: Vec<String> =
            f.ws.search_contacts(needle, 1_000)
                .unwrap()
                .into_iter()
                .map(|c| c.email)
                .filter(|e| e.ends_with("@hostile.example"))
                .collect();
        let mut found = found;
        found.sort();
        assert_eq!(found, expected_contacts(needle), "search {needle:?}");
        assert!(!found.is_empty(), "search {needle:?} finds its contact");
        let all = f.ws.search_contacts(needle, 1_000).unwrap();
        assert_eq!(all.len(), found.len(), "{needle:?} matched a plain contact");
    }
    // `%` alone is not "everything": "%", "%_\\%" and the long one.
    assert_eq!(f.ws.search_contacts("%", 1_000).unwrap().len(), 3);
    assert_eq!(tables(&f.path), before, "the tables survive");
}

#[test]
fn enrollment_filter_treats_metacharacters_literally() {
    let (f, _) = hostile_fixture();
    let before = tables(&f.path);
    for needle in [
        "%",
        "_",
        "\\",
        "' OR 1=1 --",
        "\0",
        "\x1b[2J",
        ";--",
        "%_\\%",
    ] {
        let query = EnrollmentQuery {
            sequences: vec![f.seq_a.id],
            statuses: Vec::new(),
            search: needle.into(),
            stale: false,
            ..Default::default()
        };
        let rows = f.ws.enrollment_page(&query, None, 1_000).unwrap();
        let mut got: Vec<String> = rows.iter().map(|r| r.contact_email.clone()).collect();
        got.sort();
        let want: Vec<String> = (0..=HOSTILE.len())
            .filter(|&i| {
                let hay = format!("{} {}|{}|{}", first(i), last(i), email(i), company(i));
                hay.to_lowercase().contains(&needle.to_lowercase())
            })
            .map(email)
            .collect();
        assert_eq!(got, want, "filter {needle:?}");
        assert_eq!(f.ws.enrollment_ids(&query).unwrap().len(), want.len());
    }
    assert_eq!(tables(&f.path), before);
}

/// Every hostile value and then some, up to the note's limit (2,000
/// characters).
fn hostile_note() -> String {
    let mut note = HOSTILE.join(" | ");
    note.extend(long().chars().take(2_000 - note.chars().count()));
    assert_eq!(note.chars().count(), 2_000);
    note
}

/// Unenrolls contact 0 with a note holding every hostile value.
fn unenroll_with_note(f: &mut Fixture, contact: i64) -> i64 {
    let id = f.ws.enrollment_of(contact, f.seq_a.id).unwrap().unwrap();
    let report =
        f.ws.unenroll(
            &f.rep_ann,
            &UnenrollRequest {
                enrollments: vec![id],
                reason: EndReason::Other,
                note: Some(hostile_note()),
                dry_run: false,
            },
        )
        .unwrap();
    assert_eq!(report.unenrolled, vec![id]);
    id
}

#[test]
fn a_hostile_note_is_stored_verbatim_on_the_enrollment_and_in_the_audit() {
    let (mut f, ids) = hostile_fixture();
    let before = tables(&f.path);
    let id = unenroll_with_note(&mut f, ids[0]);
    let note = as_stored(&f.path, &hostile_note());
    assert_eq!(f.ws.enrollment(id).unwrap().note, Some(note.clone()));
    let audit = f.ws.audit(None, 10).unwrap();
    assert_eq!(audit[0].note.as_deref(), Some(note.as_str()));
    assert_eq!(tables(&f.path), before);
    check_invariants(&f.path);

    // 10,000 characters: refused in one sentence, nothing changed.
    let other = f.ws.enrollment_of(ids[1], f.seq_a.id).unwrap().unwrap();
    let e =
        f.ws.unenroll(
            &f.rep_ann,
            &UnenrollRequest {
                enrollments: vec![other],
                reason: EndReason::Other,
                note: Some(long() + &long()[..0]),
                dry_run: false,
            },
        )
        .unwrap_err();
    assert!(matches!(e, DomainError::Invalid(_)));
    assert_eq!(e.to_string(), "the note is longer than 2000 characters");
    assert_eq!(f.ws.enrollment(other).unwrap().status, Status::Active);
}

// --------------------------------------------------------------- the CLI

fn assert_neutral(what: &str, text: &str) {
    for c in RAW {
        assert!(
            !text.contains(*c),
            "{what}: a raw {c:?} reached the terminal:\n{text}"
        );
    }
}

#[test]
fn the_cli_prints_json_exactly_and_text_neutralised() {
    let (mut f, ids) = hostile_fixture();
    unenroll_with_note(&mut f, ids[0]);
    let path = f.path.clone();
    drop(f.ws);
    for i in 0..=HOSTILE.len() {
        let r = run(&path, &["--json", "contact", &email(i)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let json = r.json();
        assert_eq!(
            json["first_name"],
            as_stored(&path, &first(i)),
            "contact {i}"
        );
        assert_eq!(json["last_name"], as_stored(&path, &last(i)));
        assert_eq!(json["company"], as_stored(&path, &company(i)));
        let text = run(&path, &["contact", &email(i)]);
        assert_eq!(text.code, 0, "{}", text.stderr);
        assert_neutral(&format!("contact {i}"), &text.stdout);
        assert!(text.stdout.contains(&email(i)));
    }
    let r = run(&path, &["--json", "contact", &email(0)]);
    assert_eq!(
        r.json()["enrollments"][0]["note"],
        as_stored(&path, &hostile_note())
    );

    for needle in ["%", "' OR 1=1 --", "\x1b[2J", "_"] {
        let r = run(
            &path,
            &[
                "--json",
                "enrollments",
                "--sequence",
                "Alpha Outbound",
                "--search",
                needle,
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let names: Vec<String> = r
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["contact_email"].as_str().unwrap().to_string())
            .collect();
        assert!(!names.is_empty(), "{needle:?}");
        assert!(
            names.len() < HOSTILE.len(),
            "{needle:?} matched too much: {names:?}"
        );
        let text = run(
            &path,
            &[
                "enrollments",
                "--sequence",
                "Alpha Outbound",
                "--search",
                needle,
            ],
        );
        assert_eq!(text.code, 0);
        assert_neutral("enrollments", &text.stdout);
    }
    for args in [
        &[
            "enrollments",
            "--sequence",
            "Alpha Outbound",
            "--status",
            "unenrolled",
        ][..],
        &["audit"][..],
        &["sequences"][..],
        &["report"][..],
    ] {
        let r = run(&path, args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert_neutral(&format!("{args:?}"), &r.stdout);
    }
    let after = tables(&path);
    assert_eq!(after.1, 3 + HOSTILE.len() as i64 + 1);
}

/// Found while writing this suite: an error that quotes what the person
/// typed (`no contact '…'`, `no sequence '…'`) sent it to stderr as it
/// was — an escape sequence drove the terminal, a newline made two lines.
#[test]
fn regression_errors_quoting_hostile_arguments_are_one_neutral_line() {
    let (f, _) = hostile_fixture();
    let path = f.path.clone();
    drop(f.ws);
    for args in [
        &["contact", "\x1b]0;pwned\x07\x1b[2J"][..],
        &["contact", "two\nlines"][..],
        &["enrollments", "--sequence", "\x1b[31mred\nsecond line"][..],
        &["enroll", "--sequence", "\u{202e}evil", "--contact", "x"][..],
    ] {
        let r = run(&path, args);
        assert_eq!(r.code, 4, "{args:?}: {}", r.stderr);
        seqtui_one_line(&r.stderr);
    }
}

fn seqtui_one_line(stderr: &str) {
    common::cli::one_sentence(stderr);
    assert_neutral("stderr", stderr.trim_end_matches('\n'));
}

// ----------------------------------------------------------- invalid UTF-8

#[test]
fn a_csv_cell_that_is_not_utf8_is_rejected_with_its_line_and_nothing_imported() {
    let (f, _) = hostile_fixture();
    let before = tables(&f.path);
    let file = f.dir.path().join("latin1.csv");
    std::fs::write(
        &file,
        b"Email,First Name,Company\nok@x.example,Ana,Acme\nbad@x.example,Ren\xe9e,Caf\xe9\n",
    )
    .unwrap();
    let e = seqtui::cli::read_contacts(&file).unwrap_err();
    assert!(matches!(e, DomainError::Invalid(_)));
    assert!(
        e.to_string()
            .ends_with("line 3, field 2: not valid UTF-8; nothing was imported"),
        "{e}"
    );
    let path = f.path.clone();
    drop(f.ws);
    let r = run(&path, &["import", "contacts", file.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    seqtui_one_line(&r.stderr);
    assert!(r.stderr.contains("line 3, field 2: not valid UTF-8"));
    assert_eq!(tables(&path), before, "nothing imported");
}

#[test]
fn an_email_with_invalid_utf8_and_escapes_is_recorded_lossily_and_shown_neutralised() {
    let (mut f, _) = hostile_fixture();
    let file = f.dir.path().join("reply.eml");
    std::fs::write(
        &file,
        b"From: Hostile <h00@hostile.example>\r\nTo: ann@team.example\r\n\
          Subject: caf\xe9 \x1b]0;pwned\x07\x1b[2J ok\r\nMessage-ID: <bad-utf8@hostile.example>\r\n\
          Date: Mon, 2 Nov 2026 08:00:00 +0000\r\n\r\nBody \xff\xfe\x1b[31m\r\n",
    )
    .unwrap();
    let items = read_path(&file, f.ws.now());
    assert_eq!(items.len(), 1);
    let event = items.into_iter().next().unwrap().event.unwrap();
    let Inbound::Reply { subject, .. } = &event.inbound else {
        panic!("not a reply: {event:?}")
    };
    // Lossy: the bad byte is U+FFFD, the escape sequence is kept as data.
    assert!(subject.starts_with("caf\u{FFFD}"), "{subject:?}");
    assert!(subject.contains("\x1b[2J"), "{subject:?}");
    let out = f.ws.apply_inbound(&event).unwrap();
    assert_eq!(out[0].action, IngestAction::Recorded, "{out:?}");
    let contact = f.ws.contact(&email(0)).unwrap().id;
    let detail = f.ws.contact_detail(contact).unwrap();
    assert!(
        detail
            .timeline
            .iter()
            .any(|t| t.detail.contains("caf\u{FFFD}")),
        "{:?}",
        detail.timeline
    );
    let path = f.path.clone();
    drop(f.ws);
    let r = run(&path, &["contact", &email(0)]);
    assert_neutral("contact timeline", &r.stdout);
    assert!(r.stdout.contains("caf\u{FFFD}"));
    let json = run(&path, &["--json", "contact", &email(0)]).json();
    let details: Vec<&str> = json["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["detail"].as_str().unwrap())
        .collect();
    assert!(details.iter().any(|d| d.contains("\x1b[2J")), "{details:?}");
}

#[test]
fn json_lines_with_invalid_utf8_are_decoded_lossily() {
    let (mut f, _) = hostile_fixture();
    let file = f.dir.path().join("events.jsonl");
    std::fs::write(
        &file,
        b"{\"type\": \"reply\", \"id\": \"e\xff1\", \"email\": \"h01@hostile.example\", \"subject\": \"\\u001b[2J caf\xe9\"}\n",
    )
    .unwrap();
    let items = read_path(&file, f.ws.now());
    let event = items.into_iter().next().unwrap().event.unwrap();
    assert_eq!(event.id, "jsonl:e\u{FFFD}1");
    let out = f.ws.apply_inbound(&event).unwrap();
    assert_eq!(out[0].action, IngestAction::Recorded);
    assert_eq!(
        f.ws.apply_inbound(&event).unwrap()[0].action,
        IngestAction::Duplicate
    );
}

// ---------------------------------------------------------------- the TUI

fn screen_is_neutral(ui: &mut Headless, what: &str) -> String {
    ui.settle();
    let screen = ui.screen();
    assert_neutral(what, &screen);
    screen
}

#[test]
fn the_tui_never_shows_a_raw_control_character() {
    let (mut f, ids) = hostile_fixture();
    unenroll_with_note(&mut f, ids[11]);
    let path = f.path.clone();
    drop(f.ws);
    for (w, h) in [(120, 40), (80, 24)] {
        let mut ui =
            Headless::open(&path, Clock::Fixed(now()), None, (w, h), Theme::plain()).unwrap();
        screen_is_neutral(&mut ui, "sequences");
        // Alpha Outbound is first (name order).
        ui.key("g").key("enter");
        let screen = screen_is_neutral(&mut ui, "enrollments");
        assert!(
            screen.contains("Co'Co") || screen.contains("x'x"),
            "{screen}"
        );
        ui.key("S").settle();
        for row in 0..=HOSTILE.len() {
            let _ = row;
            screen_is_neutral(&mut ui, "enrollments, every status");
            ui.key("tab");
            screen_is_neutral(&mut ui, "detail");
            ui.key("esc").key("j");
        }
        for needle in ["%", "'", "\u{1b}[2J", "\u{7}", "\u{202e}"] {
            ui.key("/").type_text(needle);
            screen_is_neutral(&mut ui, &format!("filter {needle:?}"));
            ui.key("esc").key("esc").settle();
        }
        ui.key("esc").key("2").settle().key("/").type_text("x");
        screen_is_neutral(&mut ui, "contacts");
        ui.key("enter").key("tab");
        screen_is_neutral(&mut ui, "contact detail");
        ui.key("esc").key("3");
        screen_is_neutral(&mut ui, "activity");
    }
}

// ------------------------------------- issue 12 item 9: every command's text

/// An OSC title change ended by BEL, and a clear screen.
const OSC: &str = "\x1b]0;x\x07";
const CLEAR: &str = "\x1b[2J";

/// Neither ESC nor BEL anywhere in what a command printed, on either
/// stream, and no panic.
fn no_escape(what: &str, r: &common::cli::Run) {
    for (stream, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{what}: an escape sequence reached {stream}:\n{text:?}"
        );
    }
    assert!(!r.stderr.contains("panicked"), "{what}: {}", r.stderr);
}

/// A user whose name and team are escape sequences, who owns a sequence
/// whose name is one, enrolled contacts 0..3 of the fixture in it; the
/// hostile contacts (names, companies) are enrolled in Alpha by Ann, and
/// one of them was unenrolled with a hostile note.
#[test]
fn no_command_prints_an_escape_sequence_from_stored_text() {
    let (mut f, ids) = hostile_fixture();
    let admin = f.admin.clone();
    let evil_mgr =
        f.ws.add_user(
            &admin,
            "evil.mgr@team.example",
            &format!("Eve{OSC}Mgr"),
            Role::Manager,
            &format!("Team{CLEAR}"),
        )
        .unwrap();
    let evil_rep =
        f.ws.add_user(
            &admin,
            "evil.rep@team.example",
            &format!("Eve{OSC}{CLEAR}Rep"),
            Role::Rep,
            &format!("Team{CLEAR}"),
        )
        .unwrap();
    let seq_name = format!("Seq{OSC}{CLEAR}");
    let seq =
        f.ws.create_sequence(&evil_mgr, &seq_name, &steps(), false)
            .unwrap();
    let fixture_contacts = f.c.clone();
    let enrolled = f.ws.enroll(&evil_rep, seq.id, &fixture_contacts).unwrap();
    assert_eq!(enrolled.enrolled.len(), 3);
    unenroll_with_note(&mut f, ids[11]);
    let path = f.path.clone();
    let dir = f.dir.path().to_path_buf();
    drop(f.ws);

    let csv = dir.join("hostile.csv");
    std::fs::write(
        &csv,
        format!("Email,First Name,Company\nnew.h@hostile.example,N{OSC},C{CLEAR}\n"),
    )
    .unwrap();
    let events = dir.join("events.jsonl");
    std::fs::write(
        &events,
        "{\"type\": \"reply\", \"id\": \"r1\", \"email\": \"h01@hostile.example\", \"subject\": \"\\u001b]0;x\\u0007 hi \\u001b[2J\"}\n",
    )
    .unwrap();
    let outbox = dir.join("outbox");
    let ann = "ann@team.example";
    let steps: Vec<(&str, Vec<String>)> = vec![
        ("users", vec!["users".into()]),
        (
            "users add",
            vec![
                "users".into(),
                "add".into(),
                "evil2@team.example".into(),
                "--name".into(),
                format!("N{OSC}"),
                "--role".into(),
                "rep".into(),
                "--team".into(),
                format!("T{CLEAR}{OSC}"),
            ],
        ),
        ("sequences", vec!["sequences".into()]),
        ("report", vec!["report".into()]),
        (
            "enrollments",
            vec!["enrollments".into(), "--sequence".into(), seq_name.clone()],
        ),
        ("contact", vec!["contact".into(), email(11)]),
        // R1: already enrolled in Alpha; the refusal names both sequences.
        (
            "enroll",
            vec![
                "enroll".into(),
                "--sequence".into(),
                seq_name.clone(),
                "--contact".into(),
                email(10),
            ],
        ),
        // Ann may change contact 0 (she owns it), not 1 and 2: the
        // summary's skipped sentence names the hostile rep and team.
        (
            "pause",
            vec![
                "--as".into(),
                ann.into(),
                "pause".into(),
                "--all".into(),
                "--sequence".into(),
                seq_name.clone(),
            ],
        ),
        (
            "resume",
            vec![
                "--as".into(),
                ann.into(),
                "resume".into(),
                "--all".into(),
                "--sequence".into(),
                seq_name.clone(),
            ],
        ),
        (
            "unenroll dry run",
            vec![
                "--as".into(),
                ann.into(),
                "unenroll".into(),
                "--all".into(),
                "--sequence".into(),
                seq_name.clone(),
                "--reason".into(),
                "other".into(),
                "--dry-run".into(),
            ],
        ),
        (
            "unenroll",
            vec![
                "--as".into(),
                ann.into(),
                "unenroll".into(),
                "--all".into(),
                "--sequence".into(),
                seq_name.clone(),
                "--reason".into(),
                "other".into(),
                "--note".into(),
                format!("note {OSC}{CLEAR}"),
                "--yes".into(),
            ],
        ),
        // Two hostile contacts unenrolled by Ann; one enrolled elsewhere
        // meanwhile, so the undo names it as not restored.
        (
            "unenroll two",
            vec![
                "--as".into(),
                ann.into(),
                "unenroll".into(),
                "--sequence".into(),
                "Alpha Outbound".into(),
                "--contact".into(),
                email(10),
                "--contact".into(),
                email(12),
                "--reason".into(),
                "other".into(),
                "--yes".into(),
            ],
        ),
        (
            "enroll elsewhere",
            vec![
                "--as".into(),
                ann.into(),
                "enroll".into(),
                "--sequence".into(),
                "Beta Nurture".into(),
                "--contact".into(),
                email(10),
            ],
        ),
        ("undo", vec!["--as".into(), ann.into(), "undo".into()]),
        (
            "transfer",
            vec![
                "transfer".into(),
                "--contact".into(),
                email(12),
                "--to".into(),
                "evil.rep@team.example".into(),
                "--policy".into(),
                "reassign".into(),
            ],
        ),
        (
            "list save",
            vec![
                "list".into(),
                "save".into(),
                "Hostile".into(),
                "--company".into(),
                format!("Co{CLEAR}"),
            ],
        ),
        ("lists", vec!["lists".into()]),
        (
            "list show",
            vec!["list".into(), "show".into(), "Hostile".into()],
        ),
        (
            "list delete",
            vec!["list".into(), "delete".into(), "Hostile".into()],
        ),
        (
            "import",
            vec![
                "import".into(),
                "contacts".into(),
                csv.display().to_string(),
            ],
        ),
        (
            "sequence set",
            vec![
                "sequence".into(),
                "set".into(),
                seq_name.clone(),
                "--unenroll-colleagues".into(),
                "on".into(),
            ],
        ),
        (
            "run",
            vec![
                "run".into(),
                "--outbox".into(),
                outbox.display().to_string(),
            ],
        ),
        (
            "ingest",
            vec!["ingest".into(), events.display().to_string()],
        ),
        ("audit", vec!["audit".into()]),
        ("contact after", vec!["contact".into(), email(10)]),
    ];
    for (what, args) in &steps {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = run(&path, &args);
        assert!(r.code != 2, "{what}: a usage error: {}", r.stderr);
        no_escape(what, &r);
    }
    // The sentences still say who: the hostile names, made safe.
    let r = run(
        &path,
        &[
            "--as",
            ann,
            "pause",
            "--all",
            "--sequence",
            &seq_name,
            "--dry-run",
        ],
    );
    no_escape("pause dry run", &r);
    assert!(r.stdout.contains("Eve"), "{}", r.stdout);
    // JSON stays verbatim: the stored name, escape and all.
    let r = run(&path, &["--json", "users"]);
    assert!(r.stdout.contains("\\u001b]0;x\\u0007"), "{}", r.stdout);
}

/// The lead merges branches that add commands: a `println!` in `src/cli`
/// would bypass the sink (sanitising, write errors). None may be there.
#[test]
fn the_cli_prints_only_through_its_sink() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/cli");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n == "output.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for banned in ["println!", "print!(", "eprintln!", "std::io::stdout()"] {
                assert!(
                    !code.contains(banned),
                    "{}:{}: {banned} bypasses cli::output (use outln!, table, json, note): {line}",
                    path.display(),
                    n + 1
                );
            }
        }
    }
}

// -------------------------- issue 12 item 10: spreadsheet formula injection

/// Cells a spreadsheet would run as formulas (OWASP's CSV injection list:
/// `=`, `+`, `-`, `@`, tab, carriage return).
const FORMULAS: &[&str] = &[
    "=HYPERLINK(\"http://evil.example\",\"click\")",
    "@SUM(1+1)",
    "+1+2",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
];

/// One contact per formula (first name, company, the formula; last name
/// `Z`), owned by Ann and enrolled in Alpha; each unenrolled with the
/// formula as its note.
fn formula_fixture() -> (Fixture, Vec<i64>) {
    let mut f = fixture(3);
    let rows: Vec<ContactInput> = FORMULAS
        .iter()
        .enumerate()
        .map(|(i, formula)| ContactInput {
            line: i as u64 + 2,
            email_column: "Email".into(),
            email: format!("f{i}@formula.example"),
            first_name: Some(formula.to_string()),
            last_name: Some(String::new()),
            company: Some(formula.to_string()),
            owner: Some("ann@team.example".into()),
            ..Default::default()
        })
        .collect();
    f.ws.import_contacts(&f.admin, &rows).unwrap();
    let contacts: Vec<i64> = (0..FORMULAS.len())
        .map(|i| f.ws.contact(&format!("f{i}@formula.example")).unwrap().id)
        .collect();
    let report = f.ws.enroll(&f.rep_ann, f.seq_a.id, &contacts).unwrap();
    let enrollments = report.enrolled.clone();
    for (i, id) in enrollments.iter().enumerate() {
        f.ws.unenroll(
            &f.rep_ann,
            &UnenrollRequest {
                enrollments: vec![*id],
                reason: EndReason::Other,
                note: Some(FORMULAS[i].to_string()),
                dry_run: false,
            },
        )
        .unwrap();
    }
    (f, enrollments)
}

fn read_csv(text: &str) -> Vec<csv::StringRecord> {
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect()
}

/// A cell as written: the formula behind a `'`.
fn neutral(formula: &str) -> String {
    format!("'{formula}")
}

#[test]
fn the_enrollment_export_neutralises_formula_cells() {
    let (f, enrollments) = formula_fixture();
    let file = f.dir.path().join("export.csv");
    // What the TUI's `x` job runs.
    assert_eq!(
        f.ws.export_enrollments(&enrollments, &file).unwrap().rows,
        FORMULAS.len()
    );
    let rows = read_csv(&std::fs::read_to_string(&file).unwrap());
    assert_eq!(rows.len(), FORMULAS.len());
    let stored = f.ws.enrollments_by_ids(&enrollments).unwrap();
    let column = |c: &str| EXPORT_COLUMNS.iter().position(|h| *h == c).unwrap();
    for (row, e) in rows.iter().zip(&stored) {
        assert_eq!(&row[column("enrollment id")], e.id.to_string().as_str());
        for (name, value) in [
            ("contact name", &e.contact_name),
            ("company", &e.company),
            ("note", e.note.as_ref().unwrap()),
        ] {
            assert_eq!(&row[column(name)], neutral(value), "{name}");
        }
        // Our own numbers stay numbers; plain text stays as it is.
        assert!(row[column("step")].parse::<i64>().is_ok());
        assert_eq!(&row[column("sequence")], "Alpha Outbound");
        assert_eq!(&row[column("owner")], "ann@team.example");
    }
    let notes: Vec<&str> = rows.iter().map(|r| &r[column("note")]).collect();
    for formula in FORMULAS {
        assert!(notes.contains(&neutral(formula).as_str()), "{formula:?}");
    }
}

#[test]
fn audit_csv_neutralises_formula_cells() {
    let (f, _) = formula_fixture();
    let path = f.path.clone();
    drop(f.ws);
    let r = run(&path, &["audit", "--format", "csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = read_csv(&r.stdout);
    let notes: Vec<&str> = rows
        .iter()
        .map(|r| &r[5])
        .filter(|n| !n.is_empty())
        .collect();
    for formula in FORMULAS {
        assert!(
            notes.contains(&neutral(formula).as_str()),
            "{formula:?} not neutralised in {notes:?}"
        );
    }
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "column {i}: {cell:?}"
            );
        }
        assert!(row[0].parse::<i64>().is_ok(), "ids stay numbers");
        assert!(row[7].parse::<i64>().is_ok(), "counts stay numbers");
    }
}
