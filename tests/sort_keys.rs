//! Sorting enrollment lists (issue 14): every order pages by keyset to the
//! same list a full sort gives (ties by id, rows without a value last in
//! contact order), and the two derived sort columns (`next_due`,
//! `last_engagement`) stay equal to a recomputation from scheduled steps
//! and events through enrolls, engine runs, events, tasks, pauses,
//! unenrolls and undo.

mod common;

use std::cmp::Ordering;
use std::path::Path;

use chrono::Duration;
use common::*;
use proptest::prelude::*;
use seqtui::domain::*;
use seqtui::engine::inbound::parse_json_line;
use seqtui::engine::outbox::run_once;

fn at(path: &Path, days: i64, hours: i64) -> Workspace {
    Workspace::open(
        path,
        Clock::Fixed(now() + Duration::days(days) + Duration::hours(hours)),
    )
    .unwrap()
}

/// The enrollments whose derived sort columns differ from a recomputation.
fn assert_exact(path: &Path) {
    let conn = raw(path);
    let drift = seqtui::store::sort_keys::drift(&conn).unwrap();
    assert!(
        drift.is_empty(),
        "(id, next_due, recomputed, last_engagement, recomputed): {drift:?}"
    );
}

/// The first email an enrollment sent, if any.
fn message_of(path: &Path, enrollment: i64) -> Option<String> {
    use seqtui::store::db::OptionalExtension;
    raw(path)
        .query_row(
            "SELECT message_id FROM sent_emails WHERE enrollment_id = ?1 ORDER BY id LIMIT 1",
            [enrollment],
            |r| r.get(0),
        )
        .optional()
        .unwrap()
}

/// Applies an open or a click of the email `enrollment` was sent, at `at`.
fn engage(ws: &mut Workspace, path: &Path, enrollment: i64, kind: &str, at: Timestamp) -> bool {
    let Some(message_id) = message_of(path, enrollment) else {
        return false;
    };
    let line = serde_json::json!({
        "type": kind,
        "message_id": message_id,
        "at": at.to_rfc3339(),
    })
    .to_string();
    let event = parse_json_line(&line, ws.now()).unwrap();
    ws.apply_inbound(&event).unwrap();
    true
}

/// A workspace with enrollments in both sequences at different times,
/// engine runs, opens and clicks, a few unenrolled and one paused.
fn varied() -> Fixture {
    varied_in(fixture(36))
}

/// [`varied`] in a SQLite file (for a file's migrations and query plans).
fn varied_sqlite() -> Fixture {
    varied_in(sqlite_fixture(36))
}

fn varied_in(f: Fixture) -> Fixture {
    send_any_time(&f.path);
    let outbox = f.dir.path().join("outbox");
    for (i, chunk) in f.c.chunks(6).enumerate() {
        let mut ws = at(&f.path, 0, i as i64 * 3);
        let seq = if i % 2 == 0 { f.seq_a.id } else { f.seq_b.id };
        ws.enroll(&f.admin, seq, chunk).unwrap();
        run_once(&mut ws, &outbox).unwrap();
    }
    let mut ws = at(&f.path, 1, 0);
    for (n, id) in ws
        .enrollment_ids(&EnrollmentQuery::default())
        .unwrap()
        .into_iter()
        .enumerate()
    {
        if n % 3 == 0 {
            let when = now() + Duration::hours(20 - (n as i64 % 7));
            engage(&mut ws, &f.path, id, "open", when);
        }
        if n % 5 == 0 {
            let when = now() + Duration::hours(21);
            engage(&mut ws, &f.path, id, "click", when);
        }
    }
    do_all_tasks(&f.path, now() + Duration::days(2));
    run_once(&mut at(&f.path, 2, 1), &outbox).unwrap();
    let mut ws = at(&f.path, 3, 0);
    let all = ws.enrollment_ids(&EnrollmentQuery::default()).unwrap();
    ws.unenroll(
        &f.admin,
        &UnenrollRequest {
            enrollments: all.iter().step_by(7).copied().collect(),
            reason: EndReason::NotAFit,
            note: None,
            dry_run: false,
        },
    )
    .unwrap();
    ws.pause(&f.admin, &all[1..3], false).unwrap();
    f
}

/// The list `query` matches in `sort` order, computed here from its rows:
/// rows with a value by (value, id) in the sort's direction, then rows
/// without one by contact (sort name, id).
fn expected(ws: &Workspace, query: &EnrollmentQuery, sort: Sort) -> Vec<i64> {
    let plain = EnrollmentQuery {
        sort: Sort::default(),
        ..query.clone()
    };
    let rows = ws
        .enrollments_by_ids(&ws.enrollment_ids(&plain).unwrap())
        .unwrap();
    let value = |r: &EnrollmentRow| -> Option<(i64, String)> {
        match sort.key {
            SortKey::Contact => Some((0, r.sort_name.clone())),
            SortKey::NextDue => r.next_due_at.map(|t| (t.timestamp(), String::new())),
            SortKey::Step => Some((r.step, String::new())),
            SortKey::LastEngagement => r.last_engagement_at.map(|t| (t.timestamp(), String::new())),
            SortKey::EnrolledAt => Some((r.enrolled_at.timestamp(), String::new())),
        }
    };
    type Keyed = (Option<(i64, String)>, String, i64);
    let mut rows: Vec<Keyed> = rows
        .iter()
        .map(|r| (value(r), r.sort_name.clone(), r.id))
        .collect();
    rows.sort_by(|a, b| match (&a.0, &b.0) {
        (Some(x), Some(y)) => {
            let o = (x, a.2).cmp(&(y, b.2));
            if sort.descending { o.reverse() } else { o }
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => (&a.1, a.2).cmp(&(&b.1, b.2)),
    });
    rows.into_iter().map(|r| r.2).collect()
}

/// The list read a page of `size` at a time.
fn paged(ws: &Workspace, query: &EnrollmentQuery, size: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut after: Option<PageKey> = None;
    loop {
        let page = ws.enrollment_page(query, after.as_ref(), size).unwrap();
        after = page.last().map(|r| r.page_key_in(query.sort.key));
        let done = page.len() < size;
        ids.extend(page.iter().map(|r| r.id));
        if done {
            break;
        }
        assert!(ids.len() <= 10_000, "paging does not end");
    }
    ids
}

#[test]
fn pages_of_every_sort_concatenate_to_the_sorted_list() {
    let f = varied();
    let ws = at(&f.path, 3, 1);
    // The fixture has values and empties for both keys that may lack one,
    // and ties (many share a step and an enrolled-at).
    let all = ws
        .enrollments_by_ids(&ws.enrollment_ids(&EnrollmentQuery::default()).unwrap())
        .unwrap();
    assert!(all.iter().any(|r| r.next_due_at.is_some()));
    assert!(all.iter().any(|r| r.next_due_at.is_none()));
    assert!(all.iter().any(|r| r.last_engagement_at.is_some()));
    assert!(all.iter().any(|r| r.last_engagement_at.is_none()));
    let queries = [
        EnrollmentQuery::default(),
        EnrollmentQuery::sequence(f.seq_a.id),
        EnrollmentQuery {
            sequences: vec![f.seq_a.id],
            statuses: vec![Status::Active, Status::Paused],
            ..Default::default()
        },
        EnrollmentQuery {
            statuses: vec![Status::Unenrolled],
            ..Default::default()
        },
        EnrollmentQuery {
            sequences: vec![f.seq_a.id, f.seq_b.id],
            search: "first00".into(),
            ..Default::default()
        },
        EnrollmentQuery {
            companies: vec!["Acme 3".into()],
            ..Default::default()
        },
    ];
    for query in &queries {
        check_every_sort(&ws, query);
    }
}

/// A sorted page of one sequence with statuses walks the sort key's index
/// row by row for a while, then checks the statuses by set: every way
/// through (by set at once, after a window of 1 or 3 rows, never) gives
/// the same pages.
#[test]
fn sorted_pages_by_set_are_the_pages_row_by_row() {
    let f = varied();
    let ws = at(&f.path, 3, 1);
    let mut queries: Vec<EnrollmentQuery> = [
        vec![Status::Active],
        vec![Status::Paused],
        vec![Status::Unenrolled],
        vec![Status::Active, Status::Paused],
    ]
    .into_iter()
    .map(|statuses| EnrollmentQuery {
        sequences: vec![f.seq_a.id],
        statuses,
        ..Default::default()
    })
    .collect();
    queries.push(EnrollmentQuery {
        sequences: vec![f.seq_b.id],
        statuses: vec![Status::Active],
        search: "first0".into(),
        ..Default::default()
    });
    queries.push(EnrollmentQuery {
        sequences: vec![f.seq_a.id],
        statuses: vec![Status::Active, Status::Unenrolled],
        step_at_least: Some(2),
        ..Default::default()
    });
    for probe in [0, 1, 3, usize::MAX] {
        seqtui::store::queries::with_probe_rows(probe, || {
            for query in &queries {
                check_every_sort(&ws, query);
            }
        });
    }
}

/// Every sort of `query`, read by pages of 1, 4 and 7 and whole, is the
/// sorted list [`expected`] computes.
fn check_every_sort(ws: &Workspace, query: &EnrollmentQuery) {
    {
        for key in SortKey::ALL {
            for descending in [false, true] {
                let sort = Sort::new(key, descending);
                let query = EnrollmentQuery {
                    sort,
                    ..query.clone()
                };
                let want = expected(ws, &query, sort);
                assert!(!want.is_empty(), "{query:?}");
                for size in [1, 4, 7] {
                    assert_eq!(
                        paged(ws, &query, size),
                        want,
                        "{sort:?} by {size}: {query:?}"
                    );
                }
                assert_eq!(
                    ws.enrollment_ids(&query).unwrap(),
                    want,
                    "ids {sort:?}: {query:?}"
                );
            }
        }
    }
}

/// Opening a file made before migration 19 fills the two columns from
/// the scheduled steps and events it holds.
#[test]
fn the_migration_backfills_the_sort_columns() {
    let f = varied_sqlite();
    drop(f.ws);
    let conn = raw(&f.path);
    for (name, _) in seqtui::store::schema::SORT_INDEXES {
        conn.execute_batch(&format!("DROP INDEX {name}")).unwrap();
    }
    // The file as version 18 had it (before migrations 19 and 20).
    conn.execute_batch(
        "ALTER TABLE enrollments DROP COLUMN next_due;
         ALTER TABLE enrollments DROP COLUMN last_engagement;
         DROP INDEX enrollments_page;
         DROP INDEX enrollments_status_page;
         ALTER TABLE enrollments DROP COLUMN search;
         CREATE INDEX enrollments_page ON enrollments(sequence_id, sort_name, id);
         CREATE INDEX enrollments_status_page ON enrollments(sequence_id, status, sort_name, id);
         PRAGMA user_version = 18;",
    )
    .unwrap();
    drop(conn);
    let ws = at(&f.path, 3, 1);
    let engaged: i64 = raw(&f.path)
        .query_row(
            "SELECT count(*) FROM enrollments WHERE last_engagement IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(engaged > 0);
    assert_exact(&f.path);
    let query = EnrollmentQuery {
        sort: Sort::new(SortKey::NextDue, false),
        ..Default::default()
    };
    assert_eq!(
        ws.enrollment_ids(&query).unwrap(),
        expected(&ws, &query, query.sort)
    );
}

/// A sequence's first page sorted by next due walks the sort key's index
/// (the planner's plan names it), never a sort of the sequence.
#[test]
fn a_sorted_page_walks_its_index() {
    let f = varied_sqlite();
    let conn = raw(&f.path);
    for (key, index) in [
        (SortKey::NextDue, "enrollments_next_due"),
        (SortKey::Step, "enrollments_step"),
        (SortKey::LastEngagement, "enrollments_engaged"),
        (SortKey::EnrolledAt, "enrollments_enrolled_at"),
    ] {
        for statuses in [
            vec![Status::Active],
            vec![Status::Active, Status::Paused],
            vec![],
        ] {
            let query = EnrollmentQuery {
                sequences: vec![f.seq_a.id],
                statuses,
                sort: Sort::new(key, true),
                ..Default::default()
            };
            let plan = seqtui::store::queries::enrollment_page_plan(&conn, &query, false).unwrap();
            let text = plan.join("\n");
            assert!(text.contains(index), "{key:?}: {text}");
            assert!(!text.contains("TEMP B-TREE"), "{key:?} sorts: {text}");
            // By set: the key's index alone, and the status index once.
            if !query.statuses.is_empty() {
                let plan =
                    seqtui::store::queries::enrollment_page_plan(&conn, &query, true).unwrap();
                let text = plan.join("\n");
                assert!(
                    text.contains(&format!("COVERING INDEX {index} ")),
                    "{key:?}: {text}"
                );
                assert!(text.contains("LIST SUBQUERY"), "{key:?}: {text}");
                assert!(text.contains("enrollments_status_page"), "{key:?}: {text}");
                assert!(!text.contains("TEMP B-TREE"), "{key:?} sorts: {text}");
            }
            // Across every sequence (the All view): the key's global index.
            let all = EnrollmentQuery {
                sequences: vec![],
                ..query
            };
            let plan = seqtui::store::queries::enrollment_page_plan(&conn, &all, false).unwrap();
            let text = plan.join("\n");
            let global = index.replacen("enrollments_", "enrollments_all_", 1);
            assert!(text.contains(&global), "{key:?}: {text}");
            assert!(!text.contains("TEMP B-TREE"), "{key:?} sorts: {text}");
        }
    }
}

/// Ended enrollments have no next due: a list of them sorted by next due
/// is their contact order, walked through the status index as the list
/// in contact order is, and never a walk of the next-due index that finds
/// nothing (0.7 s on the largest sequence of the 1M demo before).
/// The restore of an undo writes each enrollment once: its own `UPDATE`
/// sets `next_due`, so the recomputation the domain runs afterwards
/// (after rescheduling overdue steps) has nothing to write for them.
#[test]
fn the_restore_of_an_undo_sets_next_due_itself() {
    let f = varied();
    let mut ws = at(&f.path, 3, 1);
    let open = ws
        .enrollment_ids(&EnrollmentQuery {
            statuses: vec![Status::Active, Status::Paused],
            ..Default::default()
        })
        .unwrap();
    let report = ws
        .unenroll(
            &f.admin,
            &UnenrollRequest {
                enrollments: open.clone(),
                reason: EndReason::Other,
                note: None,
                dry_run: false,
            },
        )
        .unwrap();
    let batch = report.batch.unwrap();
    drop(ws);
    let mut conn = raw(&f.path);
    let tx = conn.transaction().unwrap();
    let keys: Vec<EnrollmentKey> = tx
        .prepare(
            "SELECT ae.enrollment_id, ae.before_status, ae.before_step FROM audit_enrollments ae
             JOIN audit a ON a.id = ae.audit_id WHERE a.batch = ?1 ORDER BY ae.enrollment_id",
        )
        .unwrap()
        .query_map([&batch], |r| {
            let status: String = r.get(1)?;
            Ok(EnrollmentKey {
                id: r.get(0)?,
                sequence_id: 0,
                status: status.parse().unwrap(),
                end_reason: None,
                current_step: r.get(2)?,
                enrolled_by: 0,
                owner_id: None,
            })
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(keys.len(), open.len());
    assert!(
        keys.iter().any(|k| k.status == Status::Active),
        "the batch ended active enrollments"
    );
    seqtui::store::queries::stage_keys(&tx, &keys).unwrap();
    let restored = seqtui::store::manage::restore_staged(&tx).unwrap();
    assert_eq!(restored, open.len());
    let drift = seqtui::store::sort_keys::drift(&tx).unwrap();
    assert!(drift.is_empty(), "{drift:?}");
    let due: i64 = tx
        .query_row(
            "SELECT count(*) FROM enrollments WHERE next_due IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(due > 0, "restored enrollments have a next step due");
}

#[test]
fn ended_enrollments_sorted_by_next_due_skip_its_index() {
    let f = varied_sqlite();
    let conn = raw(&f.path);
    for statuses in [
        vec![Status::Unenrolled],
        vec![Status::Finished, Status::Unenrolled],
    ] {
        let query = EnrollmentQuery {
            sequences: vec![f.seq_a.id],
            statuses,
            sort: Sort::new(SortKey::NextDue, false),
            ..Default::default()
        };
        let plan = |q: &EnrollmentQuery| {
            seqtui::store::queries::enrollment_page_plan(&conn, q, false)
                .unwrap()
                .join("\n")
                .replace("COVERING INDEX", "INDEX")
        };
        let text = plan(&query);
        assert!(!text.contains("enrollments_next_due"), "{text}");
        // The same walk as the list in contact order (which reads the
        // index alone: it needs no next due to check).
        let plain = EnrollmentQuery {
            sort: Sort::default(),
            ..query.clone()
        };
        assert_eq!(text, plan(&plain));
        assert!(text.contains("enrollments_status_page"), "{text}");
    }
}

#[derive(Debug, Clone)]
enum Op {
    Enroll {
        contacts: Vec<usize>,
        seq: bool,
    },
    Run,
    Engage {
        pick: usize,
        click: bool,
        hours_ago: i64,
    },
    Unenroll {
        picks: Vec<usize>,
    },
    Pause {
        pick: usize,
    },
    Resume {
        pick: usize,
    },
    Undo,
    Tasks,
    Later {
        hours: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (prop::collection::vec(0..10usize, 1..4), any::<bool>())
            .prop_map(|(contacts, seq)| Op::Enroll { contacts, seq }),
        3 => Just(Op::Run),
        3 => (0..40usize, any::<bool>(), 0..60i64)
            .prop_map(|(pick, click, hours_ago)| Op::Engage { pick, click, hours_ago }),
        2 => prop::collection::vec(0..40usize, 1..4).prop_map(|picks| Op::Unenroll { picks }),
        1 => (0..40usize).prop_map(|pick| Op::Pause { pick }),
        1 => (0..40usize).prop_map(|pick| Op::Resume { pick }),
        1 => Just(Op::Undo),
        1 => Just(Op::Tasks),
        2 => (1..80i64).prop_map(|hours| Op::Later { hours }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// After any run of enrolls, engine runs, opens and clicks, pauses,
    /// resumes, unenrolls, undo and completed tasks, `next_due` and
    /// `last_engagement` equal a full recomputation.
    #[test]
    fn sort_columns_equal_a_recomputation(ops in prop::collection::vec(op(), 1..24)) {
        let f = fixture(10);
        send_any_time(&f.path);
        let outbox = f.dir.path().join("outbox");
        let mut hours = 0i64;
        let mut last_batch: Option<String> = None;
        for op in &ops {
            let mut ws = at(&f.path, 0, hours);
            let ids = ws.enrollment_ids(&EnrollmentQuery::default()).unwrap();
            let pick = |n: usize| (!ids.is_empty()).then(|| ids[n % ids.len()]);
            match op {
                Op::Enroll { contacts, seq } => {
                    let seq = if *seq { f.seq_a.id } else { f.seq_b.id };
                    let contacts: Vec<i64> = contacts.iter().map(|c| f.c[*c]).collect();
                    ws.enroll(&f.admin, seq, &contacts).unwrap();
                }
                Op::Run => {
                    run_once(&mut ws, &outbox).unwrap();
                }
                Op::Engage { pick: n, click, hours_ago } => {
                    if let Some(id) = pick(*n) {
                        let when = ws.now() - Duration::hours(*hours_ago);
                        engage(&mut ws, &f.path, id, if *click { "click" } else { "open" }, when);
                    }
                }
                Op::Unenroll { picks } => {
                    let chosen: Vec<i64> = picks.iter().filter_map(|n| pick(*n)).collect();
                    let report = ws.unenroll(&f.admin, &UnenrollRequest {
                        enrollments: chosen,
                        reason: EndReason::Other,
                        note: None,
                        dry_run: false,
                    }).unwrap();
                    if report.batch.is_some() {
                        last_batch = report.batch.clone();
                    }
                }
                Op::Pause { pick: n } => {
                    if let Some(id) = pick(*n) {
                        ws.pause(&f.admin, &[id], false).unwrap();
                    }
                }
                Op::Resume { pick: n } => {
                    if let Some(id) = pick(*n) {
                        ws.resume(&f.admin, &[id], false).unwrap();
                    }
                }
                Op::Undo => {
                    if let Some(batch) = last_batch.take() {
                        let _ = ws.undo(&f.admin, &batch);
                    }
                }
                Op::Tasks => {
                    do_all_tasks(&f.path, ws.now());
                }
                Op::Later { hours: h } => hours += h,
            }
            assert_exact(&f.path);
        }
        check_invariants(&f.path);
    }
}

/// `seqtui enrollments --sort KEY [--desc]` lists in the order the store's
/// pages give (across its pages of 1,000 too, with `--limit`), and refuses
/// an unknown key as a usage error.
#[test]
fn the_cli_sorts_the_enrollments_listing() {
    use common::cli::{output, run, seqtui_at};
    let f = varied();
    let now = (now() + Duration::days(3) + Duration::hours(1)).to_rfc3339();
    let ws = at(&f.path, 3, 1);
    let ids_of = |args: &[&str]| -> Vec<i64> {
        let r = output(
            seqtui_at(&f.path, &now)
                .args(["--json", "enrollments"])
                .args(args),
        );
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        r.json()
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["id"].as_i64().unwrap())
            .collect()
    };
    for (name, key) in [
        ("next-due", SortKey::NextDue),
        ("step", SortKey::Step),
        ("last-engagement", SortKey::LastEngagement),
        ("enrolled-at", SortKey::EnrolledAt),
        ("contact", SortKey::Contact),
    ] {
        for descending in [false, true] {
            let query = EnrollmentQuery {
                sequences: vec![f.seq_a.id],
                ..Default::default()
            };
            let want = expected(&ws, &query, Sort::new(key, descending));
            let mut args = vec!["--sequence", "Alpha Outbound", "--sort", name];
            if descending {
                args.push("--desc");
            }
            assert_eq!(ids_of(&args), want, "{args:?}");
            args.extend(["--limit", "5"]);
            assert_eq!(ids_of(&args), want[..5].to_vec(), "{args:?}");
        }
    }
    // The plain listing is the contact order, as before.
    let plain = expected(&ws, &EnrollmentQuery::default(), Sort::default());
    assert_eq!(ids_of(&[]), plain);

    let r = run(&f.path, &["enrollments", "--sort", "due"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("next-due"), "{}", r.stderr);
    let r = run(&f.path, &["enrollments", "--sort", "step", "--count"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}
