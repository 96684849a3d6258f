//! The built binary for filters across sequences and saved lists (issue 7):
//! `enrollments` with filter flags and without `--sequence`, `list save` /
//! `show` / `delete`, `lists`, and the same filters (`--all …`, `--list`)
//! on `unenroll`, `pause` and `transfer`.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{Duration, TimeZone, Utc};
use common::cli::*;
use common::*;
use seqtui::domain::*;
use seqtui::engine::outbox::run_once;
use serde_json::Value;

const ALPHA: &str = "Alpha Outbound";
const BETA: &str = "Beta Nurture";
const GAMMA: &str = "Gamma Renewal";
/// A company whose name holds a quote, `%` and `_`, and one that a LIKE
/// pattern made of it would also match.
const ODD: &str = r#"Quote "Q" 100%_Co"#;
const ODD_LOOKALIKE: &str = r#"Quote "Q" 100abcXCo"#;

fn at(y: i32, m: u32, d: u32) -> Timestamp {
    Utc.with_ymd_and_hms(y, m, d, 9, 0, 0).unwrap()
}

fn ws_at(path: &Path, t: Timestamp) -> Workspace {
    Workspace::open(path, Clock::Fixed(t)).unwrap()
}

fn email(i: usize) -> String {
    format!("contact{i:04}@acme{}.example", i % 7)
}

/// A contact as `fixture(12)` made it, to update through an import.
fn contact_row(f: &Fixture, i: usize) -> ContactInput {
    let owners = [&f.rep_ann, &f.rep_bob, &f.rep_wes];
    ContactInput {
        line: i as u64 + 2,
        email_column: "Email".into(),
        email: email(i),
        first_name: Some(format!("First{i:04}")),
        last_name: Some(format!("Last{:04}", (i * 37) % 12)),
        company: Some(format!("Acme {}", i % 7)),
        title: Some("VP Sales".into()),
        owner: Some(owners[i % 3].email.clone()),
        ..Default::default()
    }
}

/// The team of `fixture(12)` (contact i is `Acme {i % 7}`, owned by Ann,
/// Bob, Wes in turn) and three sequences:
///
/// | sequence | contacts | enrolled by | enrolled at | step |
/// |---|---|---|---|---|
/// | Alpha | c0–c3 | Ann | 2026-09-15 | 1 (c3 unenrolled; c1 opened an email 3 days ago) |
/// | Beta  | c4–c7, solo (no owner, no company) | Mo | 2026-10-15 | 1 |
/// | Gamma | c8–c11 | Mae | 2026-11-01 | 2 (the engine sent step 1) |
/// | Gamma | odd, lookalike (owned by Wes) | Mae | now | 1 |
///
/// c0, c4 and c8 are customers; c5 is "Head of Ops". Fifteen enrollments.
struct Team {
    f: Fixture,
    alpha: Vec<i64>,
    beta: Vec<i64>,
    gamma_ids: Vec<i64>,
}

fn team() -> Team {
    let mut f = fixture(12);
    let path = f.path.clone();
    let mae = f.manager_east.clone();
    let gamma = f.ws.create_sequence(&mae, GAMMA, &steps(), false).unwrap();
    // The engine runs on Sunday Nov 1: R19's window out of the way.
    common::send_any_time(&path);
    let mut ws = ws_at(&path, now());
    let mut rows: Vec<ContactInput> = (0..12).map(|i| contact_row(&f, i)).collect();
    for i in [0, 4, 8] {
        rows[i].lifecycle_stage = Some("customer".into());
    }
    rows[5].title = Some("Head of Ops".into());
    let extra = |line: u64, email: &str, company: &str, owner: Option<&User>| ContactInput {
        line,
        email_column: "Email".into(),
        email: email.into(),
        first_name: Some("Extra".into()),
        last_name: Some(email.split('@').next().unwrap().into()),
        company: Some(company.into()),
        owner: owner.map(|u| u.email.clone()),
        ..Default::default()
    };
    rows.push(extra(20, "solo@solo.example", "", None));
    rows.push(extra(21, "odd@odd.example", ODD, Some(&f.rep_wes)));
    rows.push(extra(
        22,
        "lookalike@odd.example",
        ODD_LOOKALIKE,
        Some(&f.rep_wes),
    ));
    ws.import_contacts(&f.admin, &rows).unwrap();
    let id = |ws: &Workspace, e: &str| ws.contact(e).unwrap().id;

    // Gamma first, and the engine at its enrollment time: only step 1 is due.
    let t_gamma = at(2026, 11, 1);
    let mut ws = ws_at(&path, t_gamma);
    let g: Vec<i64> = (8..12).map(|i| f.c[i]).collect();
    let mut gamma_ids = ws.enroll(&f.manager_east, gamma.id, &g).unwrap().enrolled;
    let outbox = f.dir.path().join("outbox");
    assert_eq!(run_once(&mut ws, &outbox).unwrap().emails_sent, 4);

    let alpha = ws_at(&path, at(2026, 9, 15))
        .enroll(&f.rep_ann, f.seq_a.id, &f.c[0..4])
        .unwrap()
        .enrolled;
    let mut ws = ws_at(&path, at(2026, 10, 15));
    let mut b: Vec<i64> = f.c[4..8].to_vec();
    b.push(id(&ws, "solo@solo.example"));
    let beta = ws.enroll(&f.manager_west, f.seq_b.id, &b).unwrap().enrolled;
    let mut ws = ws_at(&path, now());
    let odd = vec![id(&ws, "odd@odd.example"), id(&ws, "lookalike@odd.example")];
    gamma_ids.extend(ws.enroll(&f.manager_east, gamma.id, &odd).unwrap().enrolled);
    assert_eq!((alpha.len(), beta.len(), gamma_ids.len()), (4, 5, 6));

    // c1 opened an email three days ago; c3 was unenrolled.
    let when = now() - Duration::days(3);
    let out = ws_at(&path, when)
        .apply_inbound(&InboundEvent {
            id: "evt-open-c1".into(),
            at: when,
            inbound: Inbound::Open {
                email: Some(email(1)),
                message_id: None,
            },
        })
        .unwrap();
    assert_eq!(out[0].action, IngestAction::Recorded, "{:?}", out[0]);
    ws.unenroll(
        &f.admin,
        &UnenrollRequest {
            enrollments: vec![alpha[3]],
            reason: EndReason::NotAFit,
            note: None,
            dry_run: false,
        },
    )
    .unwrap();
    Team {
        f,
        alpha,
        beta,
        gamma_ids,
    }
}

/// Runs the binary and expects success.
fn ok(db: &Path, args: &[&str]) -> Run {
    let r = run(db, args);
    assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    r
}

/// The enrollment ids of `enrollments --json ARGS`, sorted.
fn listed(db: &Path, args: &[&str]) -> Vec<i64> {
    let r = ok(db, &[&["--json", "enrollments"][..], args].concat());
    sorted(
        r.json()
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap()),
    )
}

fn sorted(ids: impl IntoIterator<Item = i64>) -> Vec<i64> {
    let mut v: Vec<i64> = ids.into_iter().collect();
    v.sort_unstable();
    v
}

fn ids_of(value: &Value) -> Vec<i64> {
    sorted(
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap()),
    )
}

fn statuses(db: &Path) -> Vec<(i64, String)> {
    let r = ok(db, &["--json", "enrollments"]);
    let mut all: Vec<(i64, String)> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_i64().unwrap(),
                e["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    all.sort();
    all
}

#[test]
fn a_filter_spans_several_sequences_and_no_sequence_spans_them_all() {
    let t = team();
    let db = &t.f.path;
    let r = ok(
        db,
        &[
            "--json",
            "enrollments",
            "--sequence",
            ALPHA,
            "--sequence",
            "beta nurture",
        ],
    );
    let rows = r.json();
    let rows = rows.as_array().unwrap();
    let names: BTreeSet<&str> = rows
        .iter()
        .map(|e| e["sequence"].as_str().unwrap())
        .collect();
    assert_eq!(names, BTreeSet::from([ALPHA, BETA]), "not from {GAMMA}");
    assert_eq!(
        sorted(rows.iter().map(|e| e["id"].as_i64().unwrap())),
        sorted(t.alpha.iter().chain(&t.beta).copied())
    );

    // Without --sequence: every sequence, every status.
    let all = listed(db, &[]);
    assert_eq!(all.len(), 15);
    assert_eq!(
        all,
        sorted(t.alpha.iter().chain(&t.beta).chain(&t.gamma_ids).copied())
    );
    let text = ok(db, &["enrollments", "--company", "acme 1"]);
    let header = text.stdout.lines().next().unwrap();
    assert!(header.contains("SEQUENCE"), "{header}");
    assert!(
        text.stdout.contains(ALPHA) && text.stdout.contains(GAMMA),
        "{}",
        text.stdout
    );
    assert_eq!(text.stdout.lines().count(), 3, "{}", text.stdout);

    // --count: the number alone, or {"count": n}.
    assert_eq!(ok(db, &["enrollments", "--count"]).stdout.trim(), "15");
    let c = ok(
        db,
        &["--json", "enrollments", "--count", "--sequence", GAMMA],
    )
    .json();
    assert_eq!(c, serde_json::json!({"count": 6}));
    let r = run(db, &["enrollments", "--count", "--limit", "2"]);
    assert_eq!(r.code, 2, "--count and --limit are exclusive");
    // Paging across sequences keeps contact-name order and --limit.
    let first = ok(db, &["--json", "enrollments", "--limit", "4"]).json();
    assert_eq!(first.as_array().unwrap().len(), 4);
    let full = ok(db, &["--json", "enrollments"]).json();
    assert_eq!(first.as_array().unwrap()[..], full.as_array().unwrap()[..4]);
}

#[test]
fn every_filter_flag_narrows_as_documented() {
    let t = team();
    let db = &t.f.path;
    let (a, b, g) = (&t.alpha, &t.beta, &t.gamma_ids);
    let c = |i: usize| -> i64 {
        // contact index → its enrollment (Alpha c0–3, Beta c4–7, Gamma c8–11)
        match i {
            0..=3 => a[i],
            4..=7 => b[i - 4],
            _ => g[i - 8],
        }
    };
    let solo = b[4];
    let (odd, lookalike) = (g[4], g[5]);
    let cases: Vec<(Vec<&str>, Vec<i64>)> = vec![
        (vec!["--status", "unenrolled"], vec![a[3]]),
        (
            vec!["--status", "active,paused", "--sequence", ALPHA],
            vec![a[0], a[1], a[2]],
        ),
        (vec!["--status", "finished"], vec![]),
        (vec!["--step-at-least", "2"], g[..4].to_vec()),
        (vec!["--enrolled-before", "2026-10-01"], a.clone()),
        (vec!["--enrolled-after", "2026-10-31"], g.clone()),
        (
            vec![
                "--enrolled-after",
                "2026-10-01",
                "--enrolled-before",
                "2026-11-01",
            ],
            b.clone(),
        ),
        // Enrolled 21+ days ago and quiet for 21 days: Alpha but c1 (the
        // unenrolled c3 too: the condition is not about status).
        (vec!["--no-engagement-days", "21"], vec![a[0], a[2], a[3]]),
        (
            vec!["--no-engagement-days", "10"],
            [vec![a[0], a[2], a[3]], b.clone()].concat(),
        ),
        // R11 with the default 30 / 14 days: open, old, quiet.
        (vec!["--stale"], vec![a[0], a[2]]),
        (vec!["--enrolled-by", "MO@team.example"], b.clone()),
        (
            vec!["--owner", "ann@team.example"],
            vec![c(0), c(3), c(6), c(9)],
        ),
        (vec!["--owner", "none"], vec![solo]),
        (
            vec!["--owner", "ann@team.example", "--owner", "none"],
            vec![c(0), c(3), c(6), c(9), solo],
        ),
        (vec!["--company", "ACME 0"], vec![c(0), c(7)]),
        (vec!["--company", "Acme"], vec![]),
        (vec!["--company", ""], vec![solo]),
        (vec!["--company", ODD], vec![odd]),
        (
            vec!["--company", "acme 5", "--company", "Acme 6"],
            vec![c(5), c(6)],
        ),
        (vec!["--lifecycle", "Customer"], vec![c(0), c(4), c(8)]),
        (vec!["--title", "head of"], vec![c(5)]),
        (vec!["--email-domain", "@ACME1.example"], vec![c(1), c(8)]),
        (vec!["--search", "first0001"], vec![c(1)]),
        (vec!["--search", "100%_"], vec![odd]),
        (vec!["--search", "q\" 100"], vec![odd, lookalike]),
        (
            vec![
                "--sequence",
                GAMMA,
                "--owner",
                "wes@team.example",
                "--company",
                "acme 1",
            ],
            vec![c(8)],
        ),
    ];
    for (args, want) in cases {
        assert_eq!(listed(db, &args), sorted(want.clone()), "{args:?}");
        let n = ok(db, &[&["enrollments", "--count"][..], &args].concat());
        assert_eq!(n.stdout.trim(), want.len().to_string(), "{args:?}");
    }
}

#[test]
fn bad_values_are_one_sentence_with_exit_2_and_unknown_names_exit_4() {
    let t = team();
    let db = &t.f.path;
    for (args, wanted) in [
        (&["--status", "gone"][..], "unknown status 'gone'"),
        (
            &["--step-at-least", "0"],
            "step-at-least takes a whole number from 1",
        ),
        (
            &["--step-at-least", "three"],
            "step-at-least takes a whole number",
        ),
        (
            &["--enrolled-before", "1/9/2026"],
            "enrolled-before takes a day as YYYY-MM-DD",
        ),
        (
            &["--enrolled-after", "2026-13-01"],
            "enrolled-after takes a day",
        ),
        (
            &["--no-engagement-days=-1"],
            "no-engagement-days takes a whole number from 0",
        ),
        (
            &["--owner", "bob smith"],
            "owner takes a user's email or none",
        ),
        (
            &["--enrolled-by", "none"],
            "enrolled-by takes a user's email",
        ),
        (
            &["--email-domain", "a@b.example"],
            "email-domain takes a domain",
        ),
        (&["--sequence", " "], "sequence needs a value"),
        (&["--lifecycle", ""], "lifecycle needs a value"),
        (&["--title", ""], "title needs a value"),
    ] {
        for command in [&["enrollments"][..], &["list", "save", "bad"][..]] {
            let r = run(db, &[command, args].concat());
            assert_eq!(r.code, 2, "{command:?} {args:?}: {}", r.stderr);
            one_sentence(&r.stderr);
            assert!(r.stderr.contains(wanted), "{args:?}: {}", r.stderr);
        }
        let r = run(
            db,
            &[
                &["unenroll", "--all", "--reason", "other", "--dry-run"][..],
                args,
            ]
            .concat(),
        );
        assert_eq!(r.code, 2, "unenroll {args:?}: {}", r.stderr);
        one_sentence(&r.stderr);
    }
    for (args, wanted) in [
        (
            &["--sequence", ALPHA, "--sequence", "Nope"][..],
            "no sequence 'Nope'",
        ),
        (
            &["--owner", "nobody@team.example"],
            "no user 'nobody@team.example'",
        ),
        (
            &["--enrolled-by", "nobody@team.example"],
            "no user 'nobody@team.example'",
        ),
        (&["--list", "Nope"], "no list 'Nope'"),
    ] {
        for command in [
            &["enrollments"][..],
            &["pause", "--dry-run"][..],
            &["transfer", "--to", "ann@team.example", "--dry-run"][..],
        ] {
            // Filter flags go with --all; --list stands alone.
            let all: &[&str] = if args[0] == "--list" || command[0] == "enrollments" {
                &[]
            } else {
                &["--all"]
            };
            let r = run(db, &[command, all, args].concat());
            assert_eq!(r.code, 4, "{command:?} {args:?}: {}", r.stderr);
            one_sentence(&r.stderr);
            assert!(r.stderr.contains(wanted), "{}", r.stderr);
        }
    }
    let r = run(db, &["list", "save", "x", "--owner", "nobody@team.example"]);
    assert_eq!(r.code, 4, "a list's names must exist: {}", r.stderr);
    let r = run(db, &["list", "save", "nothing"]);
    assert_eq!(r.code, 2, "a list without a condition");
    one_sentence(&r.stderr);
    assert_eq!(ok(db, &["--json", "lists"]).json(), serde_json::json!([]));
}

#[test]
fn a_saved_list_is_seen_by_the_next_process_with_a_live_count() {
    let t = team();
    let db = &t.f.path;
    let save = ok(
        db,
        &[
            "--as",
            "mae@team.example",
            "--json",
            "list",
            "save",
            "Acme 1 and 2",
            "--company",
            "Acme 1",
            "--company",
            "Acme 2",
            "--status",
            "active",
        ],
    )
    .json();
    assert_eq!(save["replaced"], false);
    assert_eq!(save["count"], 4);
    assert_eq!(save["list"]["name"], "Acme 1 and 2");
    assert_eq!(
        save["list"]["query"],
        r#"status:active company:"Acme 1" company:"Acme 2""#
    );
    assert_eq!(save["list"]["created_by"], "mae@team.example");

    // Another process, another user: the list is the team's.
    let lists = ok(db, &["--as", "bob@team.example", "--json", "lists"]).json();
    assert_eq!(lists.as_array().unwrap().len(), 1);
    let l = &lists[0];
    assert_eq!(l["name"], "Acme 1 and 2");
    assert_eq!(l["count"], 4);
    assert_eq!(l["created_by"], "mae@team.example");
    assert_eq!(l["query"], save["list"]["query"]);
    for key in ["id", "created_at", "updated_by", "updated_at"] {
        assert!(l.get(key).is_some(), "lists lacks {key}");
    }
    let text = ok(db, &["lists"]);
    assert!(text.stdout.starts_with("NAME"), "{}", text.stdout);
    assert!(text.stdout.contains("Acme 1 and 2") && text.stdout.contains("mae@team.example"));

    // Its enrollments, three ways, are the same rows.
    let flags = [
        "--company",
        "Acme 1",
        "--company",
        "Acme 2",
        "--status",
        "active",
    ];
    let by_flags = listed(db, &flags);
    assert_eq!(by_flags.len(), 4);
    assert_eq!(
        listed(db, &["--list", "acme 1 AND 2"]),
        by_flags,
        "any case"
    );
    let show = ok(db, &["--json", "list", "show", "Acme 1 and 2"]).json();
    assert_eq!(show["count"], 4);
    assert_eq!(show["query"], save["list"]["query"]);
    assert_eq!(
        sorted(
            show["enrollments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_i64().unwrap())
        ),
        by_flags
    );
    let limited = ok(
        db,
        &["--json", "list", "show", "Acme 1 and 2", "--limit", "1"],
    )
    .json();
    assert_eq!(
        limited["count"], 4,
        "the count is the list's, not the page's"
    );
    assert_eq!(limited["enrollments"].as_array().unwrap().len(), 1);
    let text = ok(db, &["list", "show", "Acme 1 and 2"]);
    assert!(
        text.stdout.contains("Saved by mae@team.example"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("4 enrollments match now"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("SEQUENCE"), "{}", text.stdout);
    let r = run(
        db,
        &[
            "enrollments",
            "--list",
            "Acme 1 and 2",
            "--company",
            "Acme 3",
        ],
    );
    assert_eq!(r.code, 2, "--list stands alone");

    // The count is live: unenroll one of them, and the next `lists` says 3.
    let one = by_flags[0].to_string();
    ok(
        db,
        &["unenroll", "--enrollment", &one, "--reason", "converted"],
    );
    let lists = ok(db, &["--json", "lists"]).json();
    assert_eq!(lists[0]["count"], 3);

    // Saving the name again replaces the filter (any case finds it).
    let again = ok(
        db,
        &[
            "--as",
            "mae@team.example",
            "--json",
            "list",
            "save",
            "acme 1 and 2",
            "--company",
            "Acme 1",
        ],
    )
    .json();
    assert_eq!(again["replaced"], true);
    assert_eq!(again["count"], 2);
    let lists = ok(db, &["--json", "lists"]).json();
    assert_eq!(lists.as_array().unwrap().len(), 1);
    assert_eq!(lists[0]["query"], r#"company:"Acme 1""#);
    assert_eq!(lists[0]["count"], 2);
}

#[test]
fn a_dry_run_unenroll_of_a_list_changes_nothing_and_reports_what_it_would() {
    let t = team();
    let db = &t.f.path;
    // Everyone not heard from in 10 days, in every sequence.
    ok(db, &["list", "save", "Quiet", "--no-engagement-days", "10"]);
    let before = statuses(db);
    let open = listed(
        db,
        &["--no-engagement-days", "10", "--status", "active,paused"],
    );
    assert_eq!(open.len(), 7, "c0, c2 and Beta's five");

    let dry = ok(
        db,
        &[
            "--json",
            "unenroll",
            "--list",
            "Quiet",
            "--reason",
            "stale",
            "--dry-run",
        ],
    )
    .json();
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["batch"], Value::Null);
    assert_eq!(ids_of(&dry["unenrolled"]), open);
    assert_eq!(
        dry["skipped"],
        serde_json::json!([]),
        "only open ones are selected"
    );
    let seqs: BTreeSet<&str> = dry["sequences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sequence"].as_str().unwrap())
        .collect();
    assert_eq!(seqs, BTreeSet::from([ALPHA, BETA]));
    let text = ok(
        db,
        &[
            "unenroll",
            "--list",
            "Quiet",
            "--reason",
            "stale",
            "--dry-run",
        ],
    );
    assert!(text.stdout.contains("Would unenroll 7"), "{}", text.stdout);
    for id in &open {
        assert!(
            text.stdout
                .lines()
                .any(|l| l.starts_with(&format!("{id} "))),
            "#{id} not in the preview: {}",
            text.stdout
        );
    }
    assert_eq!(statuses(db), before, "a dry run changes nothing");
    let audit = ok(db, &["--json", "audit"]).json();
    assert!(
        !audit
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action"] == "unenroll" && a["reason"] == "stale"),
        "a dry run is not audited"
    );

    // Without --yes and no terminal: refused, naming both sequences.
    let r = run(db, &["unenroll", "--list", "Quiet", "--reason", "stale"]);
    assert_eq!(r.code, 2);
    one_sentence(&r.stderr);
    assert!(r.stderr.contains("from 2 sequences"), "{}", r.stderr);
    let done = ok(
        db,
        &[
            "--json", "unenroll", "--list", "Quiet", "--reason", "stale", "--yes",
        ],
    )
    .json();
    assert_eq!(ids_of(&done["unenrolled"]), open);
    assert_eq!(
        ok(db, &["--json", "lists"]).json()[0]["count"],
        8,
        "ended ones still match"
    );
    let again = ok(
        db,
        &[
            "--json",
            "unenroll",
            "--list",
            "Quiet",
            "--reason",
            "stale",
            "--dry-run",
        ],
    )
    .json();
    assert_eq!(again["unenrolled"], serde_json::json!([]));
    check_tidied(db);
}

#[test]
fn the_same_filter_gives_the_same_ids_in_enrollments_and_in_the_reports() {
    let t = team();
    let db = &t.f.path;
    let filters: [&[&str]; 4] = [
        &[
            "--sequence",
            ALPHA,
            "--sequence",
            BETA,
            "--no-engagement-days",
            "10",
        ],
        &["--company", "Acme 1"],
        &["--owner", "wes@team.example", "--step-at-least", "1"],
        &["--stale"],
    ];
    for filter in filters {
        // unenroll's default statuses are the open ones.
        let open = listed(
            db,
            &[filter, &["--status", "active", "--status", "paused"]].concat(),
        );
        assert!(!open.is_empty(), "{filter:?}");
        let report = ok(
            db,
            &[
                &["--json", "unenroll", "--all"][..],
                filter,
                &["--reason", "converted", "--dry-run"],
            ]
            .concat(),
        )
        .json();
        assert_eq!(ids_of(&report["unenrolled"]), open, "{filter:?}");
        // pause's default is the active ones.
        let active = listed(db, &[filter, &["--status", "active"]].concat());
        let report = ok(
            db,
            &[&["--json", "pause", "--all", "--dry-run"][..], filter].concat(),
        )
        .json();
        assert_eq!(ids_of(&report["changed"]), active, "{filter:?}");
        // An explicit status is the filter's own: the same in both.
        let ended = listed(db, &[filter, &["--status", "unenrolled"]].concat());
        let report = ok(
            db,
            &[
                &["--json", "unenroll", "--all", "--status", "unenrolled"][..],
                filter,
                &["--reason", "converted", "--dry-run"],
            ]
            .concat(),
        )
        .json();
        let skipped = sorted(
            report["skipped"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_i64().unwrap()),
        );
        assert_eq!(skipped, ended, "{filter:?}: already ended ones are skipped");
    }

    // "Unenroll everyone at Acme 1 from every sequence, reason converted":
    // a dry run, then the change.
    let args = [
        "unenroll",
        "--all",
        "--company",
        "acme 1",
        "--reason",
        "converted",
    ];
    let dry = ok(db, &[&["--json"][..], &args, &["--dry-run"]].concat()).json();
    assert_eq!(dry["sequences"].as_array().unwrap().len(), 2, "{dry}");
    let done = ok(db, &[&["--json"][..], &args, &["--yes"]].concat()).json();
    assert_eq!(done["unenrolled"], dry["unenrolled"]);
    assert!(done["batch"].as_str().unwrap().starts_with('B'));
    let after = ok(db, &["--json", "enrollments", "--company", "Acme 1"]).json();
    for e in after.as_array().unwrap() {
        assert_eq!(e["status"], "unenrolled");
        assert_eq!(e["end_reason"], "converted");
    }
    check_tidied(db);
}

#[test]
fn a_company_with_quotes_percent_and_underscore_is_taken_literally() {
    let t = team();
    let db = &t.f.path;
    let (odd, lookalike) = (t.gamma_ids[4], t.gamma_ids[5]);
    assert_eq!(listed(db, &["--company", ODD]), vec![odd]);
    assert_eq!(listed(db, &["--company", &ODD.to_lowercase()]), vec![odd]);
    assert_eq!(listed(db, &["--company", ODD_LOOKALIKE]), vec![lookalike]);
    assert!(listed(db, &["--company", r#"Quote "Q" 100%"#]).is_empty());
    assert_eq!(listed(db, &["--search", "_"]), vec![odd]);
    // Saved and read back through the query text.
    let save = ok(db, &["--json", "list", "save", "Odd one", "--company", ODD]).json();
    assert_eq!(save["list"]["query"], r#"company:"Quote \"Q\" 100%_Co""#);
    assert_eq!(save["count"], 1);
    assert_eq!(listed(db, &["--list", "Odd one"]), vec![odd]);
    let dry = ok(
        db,
        &[
            "--json",
            "unenroll",
            "--list",
            "Odd one",
            "--reason",
            "other",
            "--dry-run",
        ],
    )
    .json();
    assert_eq!(dry["unenrolled"], serde_json::json!([odd]));
}

#[test]
fn filter_flags_act_only_with_all_and_list_stands_alone() {
    let t = team();
    let db = &t.f.path;
    let before = statuses(db);
    let one = t.alpha[0].to_string();
    for args in [
        &[
            "unenroll",
            "--enrollment",
            &one,
            "--company",
            "Acme 0",
            "--reason",
            "other",
        ][..],
        &[
            "unenroll",
            "--sequence",
            ALPHA,
            "--contact",
            &email(0),
            "--stale",
            "--reason",
            "stale",
        ],
        &["pause", "--enrollment", &one, "--status", "active"],
        &[
            "resume",
            "--sequence",
            ALPHA,
            "--contact",
            &email(0),
            "--owner",
            "none",
        ],
        &[
            "transfer",
            "--contact",
            &email(0),
            "--company",
            "Acme 0",
            "--to",
            "bob@team.example",
        ],
    ] {
        let r = run(db, args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        one_sentence(&r.stderr);
        assert!(r.stderr.contains("narrows --all"), "{}", r.stderr);
    }
    // --sequence without --all names the sequence of --contact, exactly one.
    let r = run(db, &["pause", "--sequence", ALPHA, "--enrollment", &one]);
    assert_eq!(r.code, 2);
    one_sentence(&r.stderr);
    let r = run(
        db,
        &[
            "pause",
            "--sequence",
            ALPHA,
            "--sequence",
            BETA,
            "--contact",
            &email(0),
        ],
    );
    assert_eq!(r.code, 2);
    one_sentence(&r.stderr);
    assert!(r.stderr.contains("exactly one --sequence"), "{}", r.stderr);
    // A filter alone is no selector: the sentence says it narrows --all.
    for args in [
        &["unenroll", "--company", "Acme 0", "--reason", "other"][..],
        &["pause", "--stale"],
        &["enroll", "--sequence", ALPHA, "--company", "Acme 0"],
    ] {
        let r = run(db, args);
        assert_eq!(r.code, 2, "{args:?}");
        one_sentence(&r.stderr);
        assert!(r.stderr.contains("narrows --all"), "{args:?}: {}", r.stderr);
    }
    let r = run(
        db,
        &[
            "transfer",
            "--company",
            "Acme 0",
            "--to",
            "bob@team.example",
        ],
    );
    assert_eq!(r.code, 2);
    // No selector at all: which ones there are.
    for args in [
        &["unenroll", "--reason", "other"][..],
        &["resume"],
        &["enroll", "--sequence", ALPHA],
    ] {
        let r = run(db, args);
        assert_eq!(r.code, 2, "{args:?}");
        one_sentence(&r.stderr);
        assert!(
            r.stderr.contains("--all [") && r.stderr.contains("--list NAME"),
            "{args:?}: {}",
            r.stderr
        );
    }
    ok(db, &["list", "save", "Alpha", "--sequence", ALPHA]);
    for args in [
        &["pause", "--list", "Alpha", "--all"][..],
        &["pause", "--list", "Alpha", "--company", "Acme 0"],
        &["pause", "--list", "Alpha", "--enrollment", &one],
        &[
            "transfer",
            "--list",
            "Alpha",
            "--stale",
            "--to",
            "bob@team.example",
        ],
    ] {
        assert_eq!(run(db, args).code, 2, "{args:?}");
    }
    assert_eq!(statuses(db), before, "nothing changed");

    // The old selectors keep working: --sequence S --contact C, and
    // --sequence S --all narrowed by --status.
    let r = ok(
        db,
        &[
            "--json",
            "pause",
            "--sequence",
            ALPHA,
            "--contact",
            &email(0),
        ],
    );
    assert_eq!(r.json()["changed"], serde_json::json!([t.alpha[0]]));
    let r = ok(
        db,
        &[
            "--json",
            "resume",
            "--sequence",
            ALPHA,
            "--all",
            "--dry-run",
        ],
    );
    assert_eq!(r.json()["changed"], serde_json::json!([t.alpha[0]]));
    // --list on pause / resume
    let r = ok(db, &["--json", "resume", "--list", "Alpha"]);
    assert_eq!(r.json()["changed"], serde_json::json!([t.alpha[0]]));
    let r = ok(db, &["--json", "pause", "--list", "Alpha", "--dry-run"]);
    assert_eq!(ids_of(&r.json()["changed"]), sorted(t.alpha[..3].to_vec()));
}

#[test]
fn transfer_takes_the_contacts_of_a_filter_or_a_list() {
    let t = team();
    let db = &t.f.path;
    let contact = |e: &str| ws_at(db, now()).contact(e).unwrap().id;
    let args = [
        "--all",
        "--company",
        "Acme 1",
        "--to",
        "ann@team.example",
        "--policy",
        "reassign",
    ];
    let dry = ok(
        db,
        &[&["--json", "transfer"][..], &args, &["--dry-run"]].concat(),
    )
    .json();
    assert_eq!(dry["dry_run"], true);
    assert_eq!(
        ids_of(&dry["contacts"]),
        sorted([contact(&email(1)), contact(&email(8))])
    );
    let moved: Vec<i64> = sorted(
        dry["enrollments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["enrollment"].as_i64().unwrap()),
    );
    assert_eq!(moved, sorted([t.alpha[1], t.gamma_ids[0]]));
    assert_eq!(
        ok(db, &["--json", "contact", &email(1)]).json()["owner"],
        "bob@team.example",
        "a preview changes nothing"
    );
    // A list: its enrollments' contacts, any status (c3's is unenrolled).
    ok(
        db,
        &[
            "list",
            "save",
            "Alpha 2-3",
            "--sequence",
            ALPHA,
            "--company",
            "Acme 2",
            "--company",
            "Acme 3",
        ],
    );
    let r = ok(
        db,
        &[
            "--json",
            "transfer",
            "--list",
            "Alpha 2-3",
            "--to",
            "bob@team.example",
        ],
    )
    .json();
    assert_eq!(r["dry_run"], false);
    assert_eq!(
        ids_of(&r["contacts"]),
        sorted([contact(&email(2)), contact(&email(3))])
    );
    assert_eq!(
        ok(db, &["--json", "contact", &email(3)]).json()["owner"],
        "bob@team.example"
    );
    assert_eq!(
        ok(db, &["--json", "contact", &email(2)]).json()["owner"],
        "bob@team.example"
    );
    check_invariants(db);
}

#[test]
fn who_may_replace_or_delete_a_list_and_the_audit_says_who_did() {
    let t = team();
    let db = &t.f.path;
    ok(
        db,
        &[
            "--as",
            "ann@team.example",
            "list",
            "save",
            "Ann's",
            "--owner",
            "ann@team.example",
        ],
    );
    // Bob (a rep) may use Ann's list but not change or delete it.
    ok(db, &["--as", "bob@team.example", "list", "show", "Ann's"]);
    for args in [
        &["--as", "bob@team.example", "list", "delete", "Ann's"][..],
        &[
            "--as",
            "bob@team.example",
            "list",
            "save",
            "ann's",
            "--stale",
        ],
    ] {
        let r = run(db, args);
        assert_eq!(r.code, 3, "{args:?}: {}", r.stdout);
        one_sentence(&r.stderr);
        assert!(
            r.stderr.contains("only they, a manager or an admin"),
            "{}",
            r.stderr
        );
    }
    assert_eq!(
        ok(db, &["--json", "list", "show", "Ann's"]).json()["query"],
        "owner:ann@team.example",
        "unchanged"
    );
    let r = run(db, &["list", "delete", "Nope"]);
    assert_eq!(r.code, 4);
    one_sentence(&r.stderr);
    // A manager may delete anyone's list.
    let deleted = ok(
        db,
        &[
            "--as",
            "mae@team.example",
            "--json",
            "list",
            "delete",
            "ANN'S",
        ],
    )
    .json();
    assert_eq!(deleted["name"], "Ann's");
    assert_eq!(deleted["created_by"], "ann@team.example");
    let text = ok(
        db,
        &[
            "--as",
            "bob@team.example",
            "list",
            "save",
            "Bob's",
            "--stale",
        ],
    );
    assert!(
        text.stdout.starts_with("Saved the list 'Bob's'"),
        "{}",
        text.stdout
    );
    let text = ok(db, &["--as", "bob@team.example", "list", "delete", "Bob's"]);
    assert!(
        text.stdout.starts_with("Deleted the list 'Bob's'"),
        "{}",
        text.stdout
    );
    assert_eq!(ok(db, &["--json", "lists"]).json(), serde_json::json!([]));

    let audit = ok(db, &["--json", "audit"]).json();
    let lists: Vec<(String, String, String)> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] == "save_list" || a["action"] == "delete_list")
        .map(|a| {
            (
                a["action"].as_str().unwrap().to_string(),
                a["actor"].as_str().unwrap().to_string(),
                a["detail"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("delete_list", "bob@team.example", "Bob's: is:stale"),
        ("save_list", "bob@team.example", "Bob's: is:stale"),
        (
            "delete_list",
            "mae@team.example",
            "Ann's: owner:ann@team.example",
        ),
        (
            "save_list",
            "ann@team.example",
            "Ann's: owner:ann@team.example",
        ),
    ];
    assert_eq!(
        lists,
        expected
            .iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
            .collect::<Vec<_>>(),
        "newest first"
    );
}
