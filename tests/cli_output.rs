//! The built binary's output (issue 17, part B): tables that fit a terminal
//! and print whole rows when piped, `--format` on every listing, colour,
//! `-q`, and a bulk change that returns when its result is printed
//! (tidying within a budget, `seqtui tidy` for the rest).

mod common;

use common::cli::*;
use common::*;
use seqtui::domain::*;
use serde_json::Value;
use unicode_width::UnicodeWidthStr;

const LONG_COMPANY: &str =
    "Consolidated Intercontinental Widget Manufacturing and Distribution Holdings";

/// A few contacts enrolled in Alpha Outbound, one of them at a company
/// whose name is far wider than a terminal.
fn workspace() -> Fixture {
    let mut f = fixture(6);
    let admin = f.admin.clone();
    let ann = f.rep_ann.clone();
    f.ws.import_contacts(
        &admin,
        &[ContactInput {
            line: 2,
            email_column: "Email".into(),
            email: "wide@widget.example".into(),
            first_name: Some("Wilhelmina".into()),
            last_name: Some("Widebottom-Longfellow".into()),
            company: Some(LONG_COMPANY.into()),
            owner: Some(ann.email.clone()),
            ..Default::default()
        }],
    )
    .unwrap();
    let wide = f.ws.contact("wide@widget.example").unwrap().id;
    f.ws.enroll(&ann, f.seq_a.id, &[f.c[0], f.c[1], f.c[2], wide])
        .unwrap();
    f
}

#[test]
fn piped_tables_print_whole_rows() {
    let f = workspace();
    let r = run(&f.path, &["enrollments"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(LONG_COMPANY), "{}", r.stdout);
    assert!(!r.stdout.contains('…'), "{}", r.stdout);
    // A header and one line per enrollment: nothing wrapped.
    assert_eq!(r.stdout.lines().count(), 5, "{}", r.stdout);
    assert!(r.stdout.starts_with("ID  CONTACT"), "{}", r.stdout);
}

#[test]
fn tables_fit_a_terminal_width_truncating_the_widest_text() {
    let f = workspace();
    for width in [80usize, 120] {
        let r = run(&f.path, &["--width", &width.to_string(), "enrollments"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let lines: Vec<&str> = r.stdout.lines().collect();
        // Never wrapped: one line per row.
        assert_eq!(lines.len(), 5, "{}", r.stdout);
        for line in &lines {
            assert!(line.width() <= width, "{} > {width}: {line}", line.width());
        }
        let wide = lines
            .iter()
            .find(|l| l.starts_with("4 "))
            .unwrap_or_else(|| panic!("{}", r.stdout));
        assert!(wide.contains('…'), "{wide}");
        assert!(!wide.contains(LONG_COMPANY), "{wide}");
        // Short columns (ids, statuses, steps) stay whole.
        assert!(lines[0].starts_with("ID"), "{}", lines[0]);
        assert!(wide.contains("active"), "{wide}");
        assert!(wide.contains("1/3"), "{wide}");
    }
}

/// Every listing with its arguments.
const LISTINGS: &[&[&str]] = &[
    &["users"],
    &["sequences"],
    &["enrollments"],
    &["contacts"],
    &["tasks", "--all"],
    &["audit"],
    &["lists"],
];

fn with(args: &[&str], more: &[&str]) -> Vec<String> {
    args.iter().chain(more).map(|s| s.to_string()).collect()
}

fn run_args(f: &Fixture, args: &[String]) -> Run {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&f.path, &args)
}

#[test]
fn every_listing_prints_every_format() {
    let mut f = workspace();
    let mae = f.manager_east.clone();
    let filter = {
        let mut filter = Filter::default();
        filter.set("company", "Acme 1").unwrap();
        filter
    };
    f.ws.save_list(&mae, "Acme one", &filter).unwrap();
    // The first emails go out now; the call steps (tasks) two days on.
    for at in [NOW, "2026-11-05T09:00:00Z"] {
        let r = run_now(&f.path, at, &["run"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    for listing in LISTINGS {
        let json = run_args(&f, &with(listing, &["--format", "json"]));
        assert_eq!(json.code, 0, "{listing:?}: {}", json.stderr);
        let items = json.json();
        let items = items.as_array().unwrap_or_else(|| panic!("{listing:?}"));
        assert!(!items.is_empty(), "{listing:?} lists nothing");
        // --json is --format json.
        let alias = run_args(&f, &with(&["--json"], listing));
        assert_eq!(alias.stdout, json.stdout, "{listing:?}");

        let jsonl = run_args(&f, &with(listing, &["--format", "jsonl"]));
        assert_eq!(jsonl.code, 0, "{listing:?}: {}", jsonl.stderr);
        let lines: Vec<Value> = jsonl
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{listing:?} {e}: {l}")))
            .collect();
        assert_eq!(&lines, items, "{listing:?}");

        for (format, delimiter) in [("csv", b','), ("tsv", b'\t')] {
            let r = run_args(&f, &with(listing, &["--format", format]));
            assert_eq!(r.code, 0, "{listing:?} {format}: {}", r.stderr);
            let mut reader = csv::ReaderBuilder::new()
                .delimiter(delimiter)
                .quoting(delimiter == b',')
                .from_reader(r.stdout.as_bytes());
            let headers = reader.headers().unwrap().clone();
            let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
            assert_eq!(records.len(), items.len(), "{listing:?} {format}");
            assert!(headers.len() > 1, "{listing:?} {format}: {headers:?}");
            // The columns are the JSON's field names (or, for contacts,
            // the import's columns), with the same values.
            if listing[0] != "contacts" && listing[0] != "audit" {
                let first = items[0].as_object().unwrap();
                for (i, name) in headers.iter().enumerate() {
                    let value = &first[name];
                    let cell = &records[0][i];
                    match value {
                        Value::String(s) => assert_eq!(cell, s, "{listing:?} {name}"),
                        Value::Null => assert_eq!(cell, "", "{listing:?} {name}"),
                        Value::Number(n) => assert_eq!(cell, n.to_string(), "{listing:?} {name}"),
                        Value::Bool(b) => assert_eq!(cell, b.to_string(), "{listing:?} {name}"),
                        _ => {}
                    }
                }
            }
        }
        let table = run_args(&f, &with(listing, &["--format", "TABLE"]));
        assert_eq!(table.code, 0, "{listing:?}: {}", table.stderr);
        assert_eq!(table.stdout, run_args(&f, &with(listing, &[])).stdout);
    }
}

#[test]
fn a_listing_refuses_an_unknown_format_or_two_outputs() {
    let f = workspace();
    for listing in LISTINGS {
        let r = run_args(&f, &with(listing, &["--format", "xml"]));
        assert_eq!(r.code, 2, "{listing:?}: {}", r.stderr);
        one_sentence(&r.stderr);
        assert!(r.stderr.contains("'xml'"), "{}", r.stderr);
        let r = run_args(
            &f,
            &with(
                &["--json"],
                &with(listing, &["--format", "tsv"])
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
            ),
        );
        assert_eq!(r.code, 2, "{listing:?}: {}", r.stderr);
        one_sentence(&r.stderr);
        assert!(r.stdout.is_empty(), "{}", r.stdout);
    }
}

#[test]
fn csv_and_tsv_never_hand_a_spreadsheet_a_formula() {
    let mut f = fixture(1);
    let admin = f.admin.clone();
    let ann = f.rep_ann.clone();
    f.ws.import_contacts(
        &admin,
        &[ContactInput {
            line: 2,
            email_column: "Email".into(),
            email: "eve@evil.example".into(),
            first_name: Some("=cmd|' /C calc'!A0".into()),
            last_name: Some("Eve".into()),
            company: Some("@SUM(1+1)\tTabbed".into()),
            owner: Some(ann.email.clone()),
            ..Default::default()
        }],
    )
    .unwrap();
    let eve = f.ws.contact("eve@evil.example").unwrap().id;
    f.ws.enroll(&ann, f.seq_a.id, &[eve]).unwrap();
    for format in ["csv", "tsv"] {
        let r = run(&f.path, &["enrollments", "--format", format]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.contains("'@SUM(1+1)"), "{format}: {}", r.stdout);
        assert!(r.stdout.contains("'=cmd"), "{format}: {}", r.stdout);
        let contacts = run(&f.path, &["contacts", "--format", format]);
        assert!(contacts.stdout.contains("'=cmd"), "{}", contacts.stdout);
        assert!(contacts.stdout.contains("'@SUM"), "{}", contacts.stdout);
    }
    // TSV cannot quote: a tab inside a cell becomes a space.
    let r = run(&f.path, &["enrollments", "--format", "tsv"]);
    let header_columns = r.stdout.lines().next().unwrap().split('\t').count();
    for line in r.stdout.lines() {
        assert_eq!(line.split('\t').count(), header_columns, "{line}");
    }
    assert!(r.stdout.contains("'@SUM(1+1) Tabbed"), "{}", r.stdout);
}

#[test]
fn users_marks_the_default_user() {
    let f = workspace();
    let r = run(&f.path, &["users", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let users = r.json();
    let defaults: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["default"] == Value::Bool(true))
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(defaults, ["admin@team.example"]);
    assert!(
        users
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["default"].is_boolean())
    );
}

const ESC: char = '\u{1b}';

#[test]
fn colour_follows_color_and_no_color_and_never_when_piped() {
    let f = workspace();
    let always = run(&f.path, &["--color", "always", "enrollments"]);
    assert_eq!(always.code, 0, "{}", always.stderr);
    assert!(always.stdout.contains(ESC), "{}", always.stdout);
    let active = always
        .stdout
        .lines()
        .find(|l| l.contains("contact0000"))
        .unwrap();
    // Green status.
    assert!(active.contains("\u{1b}[38;5;10m active"), "{active:?}");
    for args in [
        &["enrollments"][..],
        &["--color", "auto", "enrollments"],
        &["--color", "never", "enrollments"],
    ] {
        let r = run(&f.path, args);
        assert!(!r.stdout.contains(ESC), "{args:?}: {:?}", r.stdout);
    }
    // `--color always` wins over NO_COLOR; auto on a pipe stays plain.
    let r = output(
        seqtui(&f.path)
            .env("NO_COLOR", "1")
            .args(["--color", "always", "enrollments"]),
    );
    assert!(r.stdout.contains(ESC));
    let r = output(seqtui(&f.path).env("NO_COLOR", "1").args(["enrollments"]));
    assert!(!r.stdout.contains(ESC));
    // A refusal is coloured too.
    let r = run(
        &f.path,
        &[
            "--color",
            "always",
            "--as",
            "wes@team.example",
            "pause",
            "--enrollment",
            "1",
        ],
    );
    let skipped = r
        .stdout
        .lines()
        .find(|l| l.contains("skipped #"))
        .unwrap_or_else(|| panic!("{} {}", r.stdout, r.stderr));
    assert!(skipped.starts_with(ESC), "{skipped:?}");
    let plain = run(
        &f.path,
        &["--as", "wes@team.example", "pause", "--enrollment", "1"],
    );
    assert!(!plain.stdout.contains(ESC), "{:?}", plain.stdout);
}

#[test]
fn quiet_prints_no_summary_and_verbose_is_accepted() {
    let f = workspace();
    let r = run(&f.path, &["-q", "pause", "--enrollment", "1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    let r = run(&f.path, &["--quiet", "resume", "--enrollment", "1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    // -q still prints the data asked for.
    let r = run(&f.path, &["-q", "enrollments", "--format", "csv"]);
    assert_eq!(r.stdout.lines().count(), 5, "{}", r.stdout);
}

/// A workspace where a bulk unenroll ends more enrollments than are tidied
/// in its own transaction ([`TIDY_NOW_MAX`]), and a copy of it.
fn large_batch() -> (Fixture, std::path::PathBuf) {
    let n = TIDY_NOW_MAX + 100;
    let mut f = sqlite_fixture(n + 10);
    let ann = f.admin.clone();
    f.ws.enroll(&ann, f.seq_a.id, &f.c[..n]).unwrap();
    f.ws.enroll(&ann, f.seq_b.id, &f.c[n..]).unwrap();
    // Some tasks exist to be removed: a call step is due after two days.
    let copy = f.dir.path().join("copy.db");
    raw(&f.path)
        .execute("VACUUM INTO ?1", [copy.to_str().unwrap()])
        .unwrap();
    (f, copy)
}

fn queued(path: &std::path::Path) -> i64 {
    raw(path)
        .query_row("SELECT count(*) FROM tidy_queue", [], |r| r.get(0))
        .unwrap()
}

/// What every reader says about a workspace, the batch ids aside.
fn readers(path: &std::path::Path) -> Vec<String> {
    let mut said = Vec::new();
    for args in [
        &[
            "enrollments",
            "--status",
            "active,paused,finished,unenrolled",
            "--json",
        ][..],
        &["tasks", "--all", "--json"],
        &["report", "--json"],
        &["sequences", "--json"],
        &["contact", "contact0001@acme1.example", "--json"],
        &["contact", "contact0605@acme3.example", "--json"],
    ] {
        let r = run(path, args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        said.push(r.stdout);
    }
    said
}

#[test]
fn a_bulk_unenroll_returns_within_its_tidy_budget_and_tidy_finishes_the_rest() {
    let (f, tidied) = large_batch();
    let later = "2026-11-09T09:00:00Z";
    let unenroll = [
        "unenroll",
        "--all",
        "--sequence",
        "Alpha Outbound",
        "--reason",
        "campaign_ended",
        "--yes",
        "--json",
    ];
    let r = output(
        seqtui(&f.path)
            .env("SEQTUI_TIDY_BUDGET_MS", "0")
            .args(unenroll),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.json()["unenrolled"].as_array().unwrap().len(),
        TIDY_NOW_MAX + 100
    );
    // Nothing was tidied: the whole batch waits.
    assert_eq!(queued(&f.path), 1);
    let r = run(&tidied, &unenroll);
    assert_eq!(r.code, 0, "{}", r.stderr);
    check_tidied(&tidied);
    check_invariants(&f.path);

    // Every reader sees the untidied workspace as the tidied one.
    assert_eq!(readers(&f.path), readers(&tidied));
    // A week on, too (the call steps would have been due).
    let tasks = |path: &std::path::Path| {
        let r = run_now(path, later, &["tasks", "--all", "--json"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stdout
    };
    assert_eq!(tasks(&f.path), tasks(&tidied));

    // `seqtui tidy` finishes the job.
    let r = run(&f.path, &["tidy", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let done = r.json();
    assert_eq!(done["tidied"], TIDY_NOW_MAX as u64 + 100, "{done}");
    assert_eq!(done["pending"], 0, "{done}");
    check_tidied(&f.path);
    assert_eq!(readers(&f.path), readers(&tidied));
    let again = run(&f.path, &["tidy"]);
    assert_eq!(again.code, 0);
    assert_eq!(again.stdout.trim(), "Nothing to tidy.");
}

#[test]
fn run_finishes_what_a_bulk_unenroll_left_and_sends_as_if_tidied() {
    let (f, tidied) = large_batch();
    let unenroll = [
        "unenroll",
        "--all",
        "--sequence",
        "Alpha Outbound",
        "--reason",
        "campaign_ended",
        "--yes",
    ];
    let r = output(
        seqtui(&f.path)
            .env("SEQTUI_TIDY_BUDGET_MS", "0")
            .args(unenroll),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Said on stderr that some tidying is left, and where it happens.
    assert!(r.stderr.contains("seqtui tidy"), "{}", r.stderr);
    assert_eq!(queued(&f.path), 1);
    assert_eq!(run(&tidied, &unenroll).code, 0);
    let sent = |path: &std::path::Path| {
        let r = run(path, &["run", "--json"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.json()
    };
    let (a, b) = (sent(&f.path), sent(&tidied));
    assert_eq!(a["emails_sent"], b["emails_sent"], "{a} {b}");
    assert_eq!(a["tasks_created"], b["tasks_created"], "{a} {b}");
    check_tidied(&f.path);
}

fn run_now(path: &std::path::Path, now: &str, args: &[&str]) -> Run {
    output(seqtui_at(path, now).args(args))
}

#[test]
fn ingest_prints_a_summary_and_items_only_with_verbose_or_json() {
    let f = workspace();
    let events = f.dir.path().join("events.jsonl");
    std::fs::write(
        &events,
        "{\"type\": \"open\", \"id\": \"e1\", \"email\": \"contact0000@acme0.example\"}\n\
         {\"type\": \"open\", \"id\": \"e2\", \"email\": \"nobody@nowhere.example\"}\n\
         {\"type\": \"click\", \"id\": \"e3\", \"email\": \"contact0001@acme1.example\"}\n",
    )
    .unwrap();
    let events = events.to_str().unwrap();
    let r = run(&f.path, &["ingest", events]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // One summary line, counts per decision; no table of items.
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    assert!(r.stdout.starts_with("3 items: "), "{}", r.stdout);
    assert!(!r.stdout.contains("SOURCE"), "{}", r.stdout);
    // -v: every item, then the summary (ingesting again: duplicates).
    let v = run(&f.path, &["-v", "ingest", events]);
    assert_eq!(v.code, 0, "{}", v.stderr);
    assert!(v.stdout.starts_with("SOURCE"), "{}", v.stdout);
    assert_eq!(v.stdout.lines().count(), 5, "{}", v.stdout);
    // --json: every item.
    let j = run(&f.path, &["--json", "ingest", events]);
    assert_eq!(
        j.json()["items"].as_array().unwrap().len(),
        3,
        "{}",
        j.stdout
    );
    // -q: nothing.
    let q = run(&f.path, &["-q", "ingest", events]);
    assert_eq!(q.code, 0, "{}", q.stderr);
    assert!(
        q.stdout.is_empty() && q.stderr.is_empty(),
        "{} {}",
        q.stdout,
        q.stderr
    );
}
