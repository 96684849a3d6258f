//! R18, tasks for reps: a task step creates a task for the enrolling user,
//! the enrollment waits at that step until the task is done or skipped,
//! and the next step's delay counts from then. `seqtui tasks` lists a
//! rep's queue; `seqtui task done|skip|snooze` works it (R12, R13), all
//! through the built binary on a real workspace file with `--now`.

mod common;

use std::path::Path;

use chrono::{Duration, TimeZone, Utc};
use common::cli::{one_sentence, output, seqtui_at};
use common::*;
use seqtui::domain::*;

/// The clock `days` after the fixture's start (2026-11-02T09:00:00Z), as
/// `--now` takes it.
/// The fixture, sending at any hour of any day: these stories are about
/// R18, and their calendars cross weekends (R19 has its own tests).
fn fixture(contacts: usize) -> Fixture {
    let f = common::fixture(contacts);
    common::send_any_time(&f.path);
    f
}

fn day(days: f64) -> String {
    let at = now() + Duration::seconds((days * 86_400.0) as i64);
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn at(db: &Path, days: f64, args: &[&str]) -> common::cli::Run {
    output(seqtui_at(db, &day(days)).args(args))
}

fn count(path: &Path, sql: &str) -> i64 {
    raw(path).query_row(sql, [], |r| r.get(0)).unwrap()
}

/// A fixture with Alpha (email, call +2 days, email +3 days) and the
/// first `n` contacts (owned by ann, bob, wes in turn) enrolled by Ann.
fn enrolled(contacts: usize, n: usize) -> Fixture {
    let mut f = fixture(contacts);
    let ids: Vec<i64> = f.c[..n].to_vec();
    let report = f.ws.enroll(&f.rep_ann, f.seq_a.id, &ids).unwrap();
    assert_eq!(report.enrolled.len(), n);
    f
}

fn run_engine(db: &Path, days: f64) -> serde_json::Value {
    let r = at(db, days, &["--json", "run"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.json()
}

fn tasks_json(db: &Path, days: f64, who: &str, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["--json", "--as", who, "tasks"];
    args.extend_from_slice(extra);
    let r = at(db, days, &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.json().as_array().unwrap().clone()
}

fn due_of(db: &Path, enrollment: i64, position: i64) -> String {
    raw(db)
        .query_row(
            "SELECT due_at FROM scheduled_steps WHERE enrollment_id = ?1 AND position = ?2
             AND state = 'scheduled'",
            [enrollment, position],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn the_enrollment_waits_at_a_task_until_it_is_done_then_counts_the_delay_from_then() {
    let f = enrolled(6, 2);
    let db = f.path.clone();
    drop(f.ws);
    assert_eq!(run_engine(&db, 0.0)["emails_sent"], 2);
    // Day 2: the call step becomes a task for Ann, who enrolled them.
    let report = run_engine(&db, 2.0);
    assert_eq!(report["tasks_created"], 2);
    assert_eq!(report["finished"], 0);
    let tasks = tasks_json(&db, 2.0, "ann@team.example", &[]);
    assert_eq!(tasks.len(), 2, "{tasks:?}");
    let first = &tasks[0];
    assert_eq!(first["kind"], "call");
    assert_eq!(first["sequence"], "Alpha Outbound");
    assert_eq!(
        (first["step"].as_i64(), first["steps"].as_i64()),
        (Some(2), Some(3))
    );
    assert_eq!(first["owner"], "ann@team.example");
    assert!(first["title"].as_str().unwrap().starts_with("Call First"));
    assert!(first["contact_email"].as_str().unwrap().contains('@'));
    assert!(first["company"].as_str().unwrap().starts_with("Acme"));
    // Bob has none: the task is the enrolling user's.
    assert!(tasks_json(&db, 2.0, "bob@team.example", &[]).is_empty());

    // Days later nothing more is sent: the enrollments wait at the call.
    let report = run_engine(&db, 9.0);
    assert_eq!(
        (report["emails_sent"].as_i64(), report["finished"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM enrollments WHERE status = 'active' AND current_step = 2"
        ),
        2
    );

    // Done at day 10: the last email is due 3 days after that, not before.
    let (t1, e1) = (
        first["id"].as_i64().unwrap(),
        first["enrollment_id"].as_i64().unwrap(),
    );
    let (t2, e2) = (
        tasks[1]["id"].as_i64().unwrap(),
        tasks[1]["enrollment_id"].as_i64().unwrap(),
    );
    let done = at(
        &db,
        10.0,
        &[
            "--json",
            "--as",
            "ann@team.example",
            "task",
            "done",
            &t1.to_string(),
        ],
    );
    assert_eq!(done.code, 0, "{}", done.stderr);
    let done = done.json();
    assert_eq!(done["changed"], serde_json::json!([t1]));
    assert_eq!(done["released"][0]["enrollment"], e1);
    assert_eq!(done["released"][0]["next_due_at"], day(13.0));
    assert_eq!(due_of(&db, e1, 3), day(13.0));
    // Skipped at day 11: the same, from day 11.
    let skip = at(
        &db,
        11.0,
        &[
            "--as",
            "ann@team.example",
            "task",
            "skip",
            &t2.to_string(),
            "--note",
            "no answer twice",
        ],
    );
    assert_eq!(skip.code, 0, "{}", skip.stderr);
    assert_eq!(due_of(&db, e2, 3), day(14.0));
    assert!(tasks_json(&db, 11.0, "ann@team.example", &[]).is_empty());

    let report = run_engine(&db, 12.9);
    assert_eq!(report["emails_sent"], 0);
    let report = run_engine(&db, 13.0);
    assert_eq!(
        (report["emails_sent"].as_i64(), report["finished"].as_i64()),
        (Some(1), Some(1))
    );
    let report = run_engine(&db, 14.0);
    assert_eq!(
        (report["emails_sent"].as_i64(), report["finished"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM enrollments WHERE status = 'finished'"
        ),
        2
    );
    // The skipped task is not counted as done on the contact's timeline.
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT count(*) FROM tasks WHERE id = {t2} AND state = 'done' AND skipped = 1"
            )
        ),
        1
    );
    let timeline_types = |email: &str| -> Vec<String> {
        let c = at(&db, 15.0, &["--json", "contact", email]).json();
        c["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["type"].as_str().unwrap().to_string())
            .collect()
    };
    let skipped_types = timeline_types(tasks[1]["contact_email"].as_str().unwrap());
    assert!(
        skipped_types.contains(&"task_skipped".to_string()),
        "{skipped_types:?}"
    );
    assert!(
        !skipped_types.contains(&"task_done".to_string()),
        "{skipped_types:?}"
    );
    let done_types = timeline_types(first["contact_email"].as_str().unwrap());
    assert!(
        done_types.contains(&"task_done".to_string()),
        "{done_types:?}"
    );
    // Audited, naming the tasks and the enrollments.
    let audit = at(&db, 15.0, &["--json", "audit"]).json();
    let entries = audit.as_array().unwrap();
    let done_entry = entries.iter().find(|e| e["action"] == "task_done").unwrap();
    assert_eq!(done_entry["actor"], "ann@team.example");
    assert_eq!(done_entry["enrollments"], serde_json::json!([e1]));
    assert!(
        done_entry["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("task {t1}"))
    );
    let skip_entry = entries.iter().find(|e| e["action"] == "task_skip").unwrap();
    assert_eq!(skip_entry["note"], "no answer twice");
    check_invariants(&db);
}

/// R17 with R18: an edit that removes the task step an enrollment waits at
/// removes its open task (no orphan in anyone's queue) and moves the
/// enrollment on as a skipped task would: the next step due its delay
/// after now, one open task at most. The diff says so before.
#[test]
fn removing_the_step_an_enrollment_waits_at_removes_its_task_and_moves_it_on() {
    let f = enrolled(3, 1);
    let db = f.path.clone();
    drop(f.ws);
    run_engine(&db, 0.0);
    assert_eq!(run_engine(&db, 2.0)["tasks_created"], 1);
    assert_eq!(tasks_json(&db, 2.0, "ann@team.example", &[]).len(), 1);

    // The same sequence without its call step.
    let shown = at(
        &db,
        2.0,
        &["sequence", "show", "Alpha Outbound", "--format", "toml"],
    );
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    let blocks: Vec<&str> = shown.stdout.split("[[steps]]").collect();
    let kept: Vec<&str> = blocks[1..]
        .iter()
        .copied()
        .filter(|b| !b.contains("kind = \"call\""))
        .collect();
    assert_eq!(kept.len(), blocks.len() - 2, "one call step removed");
    let file = f.dir.path().join("alpha.toml");
    std::fs::write(
        &file,
        format!("{}[[steps]]{}", blocks[0], kept.join("[[steps]]")),
    )
    .unwrap();
    let file = file.to_str().unwrap();

    let dry = at(
        &db,
        3.0,
        &["--json", "sequence", "apply", "--dry-run", file],
    );
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert_eq!(
        dry.json()["sequences"][0]["effects"]["tasks_removed"],
        1,
        "{}",
        dry.stdout
    );
    let applied = at(&db, 3.0, &["--json", "sequence", "apply", "--yes", file]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    assert_eq!(
        applied.json()["sequences"][0]["effects"]["tasks_removed"],
        1
    );

    assert!(
        tasks_json(&db, 3.0, "ann@team.example", &[]).is_empty(),
        "no orphan task"
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM tasks WHERE state = 'removed'"),
        1
    );
    // Moved on to what was step 3 (now 2): due its 3 days after the edit.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM enrollments WHERE status = 'active' AND current_step = 2"
        ),
        1
    );
    let e: i64 = count(&db, "SELECT id FROM enrollments WHERE status = 'active'");
    assert_eq!(due_of(&db, e, 2), day(6.0));
    assert_eq!(
        run_engine(&db, 5.0)["emails_sent"],
        0,
        "not before its delay"
    );
    let last = run_engine(&db, 6.0);
    assert_eq!(last["emails_sent"], 1, "{last}");
    assert_eq!(last["finished"], 1, "{last}");
    check_invariants(&db);
}

#[test]
fn a_task_as_the_last_step_keeps_the_enrollment_open_until_it_is_done() {
    let mut f = fixture(3);
    let steps = vec![
        NewStep {
            kind: StepKind::AutoEmail,
            delay_days: 0,
            subject: "Hi".into(),
            body: "Hello".into(),
            title: String::new(),
        },
        NewStep {
            kind: StepKind::Task,
            delay_days: 1,
            subject: String::new(),
            body: String::new(),
            title: "Connect on LinkedIn".into(),
        },
    ];
    let seq =
        f.ws.create_sequence(&f.admin, "Short", &steps, false)
            .unwrap();
    let e = f.ws.enroll(&f.rep_ann, seq.id, &[f.c[0]]).unwrap().enrolled[0];
    let db = f.path.clone();
    drop(f.ws);
    run_engine(&db, 0.0);
    let report = run_engine(&db, 1.0);
    assert_eq!(
        (
            report["tasks_created"].as_i64(),
            report["finished"].as_i64()
        ),
        (Some(1), Some(0))
    );
    let tasks = tasks_json(&db, 1.0, "ann@team.example", &[]);
    assert_eq!(tasks[0]["kind"], "task");
    let id = tasks[0]["id"].as_i64().unwrap().to_string();
    let done = at(
        &db,
        2.0,
        &["--json", "--as", "ann@team.example", "task", "done", &id],
    )
    .json();
    assert_eq!(done["finished"], serde_json::json!([e]));
    assert_eq!(
        count(
            &db,
            &format!("SELECT count(*) FROM enrollments WHERE id = {e} AND status = 'finished'")
        ),
        1
    );
}

#[test]
fn snooze_moves_the_due_date_and_needs_until() {
    let f = enrolled(3, 1);
    let db = f.path.clone();
    drop(f.ws);
    run_engine(&db, 0.0);
    run_engine(&db, 2.0);
    let task = &tasks_json(&db, 2.0, "ann@team.example", &[])[0];
    let id = task["id"].as_i64().unwrap().to_string();
    let missing = at(
        &db,
        2.0,
        &["--as", "ann@team.example", "task", "snooze", &id],
    );
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    let r = at(
        &db,
        2.0,
        &[
            "--json",
            "--as",
            "ann@team.example",
            "task",
            "snooze",
            &id,
            "--until",
            "2026-11-09",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["until"], "2026-11-09T00:00:00Z");
    let task = &tasks_json(&db, 2.0, "ann@team.example", &[])[0];
    assert_eq!(task["due_at"], "2026-11-09T00:00:00Z");
    assert_eq!(task["overdue"], false);
    // An RFC 3339 time works too; snoozing keeps the enrollment waiting.
    let r = at(
        &db,
        3.0,
        &[
            "--as",
            "ann@team.example",
            "task",
            "snooze",
            &id,
            "--until",
            "2026-11-10T14:30:00Z",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        tasks_json(&db, 3.0, "ann@team.example", &[])[0]["due_at"],
        "2026-11-10T14:30:00Z"
    );
    assert_eq!(run_engine(&db, 20.0)["emails_sent"], 0);
    let bad = at(
        &db,
        3.0,
        &[
            "--as",
            "ann@team.example",
            "task",
            "snooze",
            &id,
            "--until",
            "soon",
        ],
    );
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    one_sentence(&bad.stderr);
}

#[test]
fn the_queue_lists_overdue_first_and_filters() {
    let mut f = fixture(9);
    // Ann enrolls c0 in Alpha at day 0 and c3 in Beta at day 3; c6 in
    // Alpha at day 6. Their call tasks are due at days 2, 5 and 8.
    f.ws.enroll(&f.rep_ann, f.seq_a.id, &[f.c[0]]).unwrap();
    let db = f.path.clone();
    drop(f.ws);
    let mut ws = Workspace::open(&db, Clock::Fixed(now() + Duration::days(3))).unwrap();
    ws.enroll(&f.rep_ann, f.seq_b.id, &[f.c[3]]).unwrap();
    drop(ws);
    let mut ws = Workspace::open(&db, Clock::Fixed(now() + Duration::days(6))).unwrap();
    ws.enroll(&f.rep_ann, f.seq_a.id, &[f.c[6]]).unwrap();
    // Bob's own task, which Ann's queue never shows.
    ws.enroll(&f.rep_bob, f.seq_a.id, &[f.c[1]]).unwrap();
    drop(ws);
    for d in [0.0, 3.0, 6.0, 8.0] {
        run_engine(&db, d);
    }
    let all = tasks_json(&db, 8.5, "ann@team.example", &[]);
    let dues: Vec<&str> = all.iter().map(|t| t["due_at"].as_str().unwrap()).collect();
    assert_eq!(dues, vec![day(2.0), day(5.0), day(8.0)]);
    // Snooze the oldest to day 12: it goes last, no longer overdue.
    let oldest = all[0]["id"].as_i64().unwrap().to_string();
    let r = at(
        &db,
        8.5,
        &[
            "--as",
            "ann@team.example",
            "task",
            "snooze",
            &oldest,
            "--until",
            &day(12.0),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let all = tasks_json(&db, 8.5, "ann@team.example", &["--mine"]);
    let dues: Vec<&str> = all.iter().map(|t| t["due_at"].as_str().unwrap()).collect();
    assert_eq!(dues, vec![day(5.0), day(8.0), day(12.0)]);
    assert_eq!(
        all.iter()
            .map(|t| t["overdue"].as_bool().unwrap())
            .collect::<Vec<_>>(),
        vec![true, true, false]
    );
    let overdue = tasks_json(&db, 8.5, "ann@team.example", &["--due", "overdue"]);
    assert_eq!(overdue.len(), 2);
    // Today (UTC day of the clock): due before tomorrow, overdue included.
    let today = tasks_json(&db, 8.5, "ann@team.example", &["--due", "today"]);
    assert_eq!(today.len(), 2);
    let week = tasks_json(&db, 8.5, "ann@team.example", &["--due", "week"]);
    assert_eq!(week.len(), 3);
    let beta = tasks_json(
        &db,
        8.5,
        "ann@team.example",
        &["--sequence", "Beta Nurture"],
    );
    assert_eq!(beta.len(), 1);
    assert_eq!(beta[0]["sequence"], "Beta Nurture");
    // Everyone's, and one user's.
    assert_eq!(
        tasks_json(&db, 8.5, "ann@team.example", &["--all"]).len(),
        4
    );
    let bobs = tasks_json(
        &db,
        8.5,
        "ann@team.example",
        &["--owner", "bob@team.example"],
    );
    assert_eq!(bobs.len(), 1);
    assert_eq!(bobs[0]["owner"], "bob@team.example");
    // Text: a header and one line per task, overdue marked.
    let text = at(&db, 8.5, &["--as", "ann@team.example", "tasks"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(text.stdout.contains("OVERDUE"), "{}", text.stdout);
    assert!(text.stdout.contains("Beta Nurture"), "{}", text.stdout);
    // A bad --due is a usage error.
    let bad = at(&db, 8.5, &["tasks", "--due", "tomorrow"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

#[test]
fn only_the_owner_their_manager_or_an_admin_may_work_a_task() {
    let f = enrolled(3, 1);
    let db = f.path.clone();
    drop(f.ws);
    run_engine(&db, 0.0);
    run_engine(&db, 2.0);
    let id = tasks_json(&db, 2.0, "ann@team.example", &[])[0]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    // Bob is in Ann's team but not her manager; Mo manages West.
    for who in ["bob@team.example", "mo@team.example"] {
        let r = at(&db, 3.0, &["--as", who, "task", "done", &id]);
        assert_eq!(r.code, 3, "{who}: {}", r.stderr);
        one_sentence(&r.stderr);
        assert!(r.stderr.contains("not permitted"), "{}", r.stderr);
        assert!(r.stderr.contains("Ann Rep"), "{}", r.stderr);
        let r = at(
            &db,
            3.0,
            &[
                "--json",
                "--as",
                who,
                "task",
                "snooze",
                &id,
                "--until",
                "2026-11-20",
            ],
        );
        assert_eq!(r.code, 3, "{who}: {}", r.stderr);
        assert_eq!(r.json()["skipped"][0]["code"], "not_permitted");
    }
    assert_eq!(
        count(&db, "SELECT count(*) FROM tasks WHERE state = 'open'"),
        1
    );
    // Ann's manager may snooze it; an admin may complete it.
    let r = at(
        &db,
        3.0,
        &[
            "--as",
            "mae@team.example",
            "task",
            "snooze",
            &id,
            "--until",
            "2026-11-20",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = at(
        &db,
        3.0,
        &["--json", "--as", "admin@team.example", "task", "done", &id],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Done twice: harmless, with a code.
    let again = at(
        &db,
        3.0,
        &["--json", "--as", "ann@team.example", "task", "done", &id],
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    let again = again.json();
    assert_eq!(again["changed"], serde_json::json!([]));
    assert_eq!(again["skipped"][0]["code"], "already_done");
    assert_eq!(again["batch"], serde_json::Value::Null);
    // A task that does not exist: not found.
    let missing = at(
        &db,
        3.0,
        &["--as", "ann@team.example", "task", "done", "99999"],
    );
    assert_eq!(missing.code, 4, "{}", missing.stderr);
}

#[test]
fn unenroll_removes_the_open_task_and_undo_restores_it() {
    let f = enrolled(3, 1);
    let db = f.path.clone();
    drop(f.ws);
    run_engine(&db, 0.0);
    run_engine(&db, 2.0);
    let task = tasks_json(&db, 2.0, "ann@team.example", &[])[0].clone();
    let (id, e) = (
        task["id"].as_i64().unwrap().to_string(),
        task["enrollment_id"].as_i64().unwrap(),
    );
    let r = at(
        &db,
        3.0,
        &[
            "--json",
            "--as",
            "ann@team.example",
            "unenroll",
            "--enrollment",
            &e.to_string(),
            "--reason",
            "not_a_fit",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["tasks_removed"], 1);
    assert!(tasks_json(&db, 3.0, "ann@team.example", &[]).is_empty());
    let r = at(
        &db,
        3.0,
        &["--json", "--as", "ann@team.example", "task", "done", &id],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(r.json()["skipped"][0]["code"], "task_removed");
    // Undo: the task is open again and the enrollment waits at it.
    let r = at(&db, 3.005, &["--as", "ann@team.example", "undo"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let back = tasks_json(&db, 3.005, "ann@team.example", &[]);
    assert_eq!(back.len(), 1);
    assert_eq!(back[0]["id"], task["id"]);
    assert_eq!(run_engine(&db, 9.0)["emails_sent"], 0);
    let r = at(
        &db,
        10.0,
        &["--as", "ann@team.example", "task", "done", &id],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(due_of(&db, e, 3), day(13.0));
    check_invariants(&db);
}

#[test]
fn a_reassigned_enrollment_gives_its_next_task_to_the_new_owner() {
    let f = enrolled(3, 1);
    let db = f.path.clone();
    drop(f.ws);
    run_engine(&db, 0.0);
    let r = at(
        &db,
        1.0,
        &[
            "--as",
            "mae@team.example",
            "transfer",
            "--contact",
            "contact0000@acme0.example",
            "--to",
            "bob@team.example",
            "--policy",
            "reassign",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    run_engine(&db, 2.0);
    assert!(tasks_json(&db, 2.0, "ann@team.example", &[]).is_empty());
    assert_eq!(tasks_json(&db, 2.0, "bob@team.example", &[]).len(), 1);
}

#[test]
/// The queue of 50,000 open tasks pages by keyset over an index, with no
/// sort, whatever the filters (how fast it is lives in a benchmark, not
/// here).
fn fifty_thousand_open_tasks_page_by_an_index_without_a_sort() {
    let f = sqlite_fixture(3);
    let db = f.path.clone();
    let e = {
        let mut ws = f.ws;
        ws.enroll(&f.rep_ann, f.seq_a.id, &[f.c[0]])
            .unwrap()
            .enrolled[0]
    };
    let conn = raw(&db);
    conn.execute_batch("BEGIN").unwrap();
    {
        let mut insert = conn
            .prepare(
                "INSERT INTO tasks(enrollment_id, owner_id, title, due_at, state, created_at)
                 VALUES (?1, ?2, 'Call', ?3, 'open', ?3)",
            )
            .unwrap();
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        for i in 0..50_000i64 {
            let owner = if i % 2 == 0 {
                f.rep_ann.id
            } else {
                f.rep_bob.id
            };
            let due = (start + Duration::minutes(i * 7 % 400_000))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            insert.execute(rusqlite::params![e, owner, due]).unwrap();
        }
    }
    conn.execute_batch("COMMIT").unwrap();
    drop(conn);
    let ws = Workspace::open(&db, Clock::Fixed(now())).unwrap();
    let page = ws
        .tasks(&TaskQuery {
            owner: Some(f.rep_ann.id),
            limit: 100,
            ..TaskQuery::default()
        })
        .unwrap();
    assert_eq!(page.len(), 100);
    assert!(
        page.windows(2)
            .all(|w| (w[0].due_at, w[0].id) <= (w[1].due_at, w[1].id))
    );
    // The next page starts after the last row (keyset), without overlap.
    let last = page.last().unwrap();
    let next = ws
        .tasks(&TaskQuery {
            owner: Some(f.rep_ann.id),
            after: Some((last.due_at, last.id)),
            limit: 100,
            ..TaskQuery::default()
        })
        .unwrap();
    assert!((next[0].due_at, next[0].id) > (last.due_at, last.id));
    // Every page, whatever the filters, walks an index in due order: no
    // sort of the open tasks.
    use seqtui::store::tasks::{TaskFilter, open_tasks_plan};
    let conn = raw(&db);
    for owner in [Some(f.rep_ann.id), None] {
        for sequence in [None, Some(f.seq_a.id)] {
            for after in [None, Some((last.due_at, last.id))] {
                let filter = TaskFilter {
                    owner,
                    sequence,
                    due_before: Some(now()),
                    after,
                    limit: 100,
                };
                let plan = open_tasks_plan(&conn, &filter).unwrap();
                assert!(
                    !plan.iter().any(|l| l.contains("TEMP B-TREE")),
                    "{filter:?}: {plan:?}"
                );
                assert!(plan.iter().any(|l| l.contains("tasks_")), "{plan:?}");
            }
        }
    }
}
