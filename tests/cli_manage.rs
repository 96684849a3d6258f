//! The built binary for the manager commands: pause, resume, undo, transfer.

mod common;

use common::cli::*;
use common::*;

/// Contacts 0..n all enrolled in Alpha by Mae (East manager); Ann owns
/// c0, c3, …, Bob c1, c4, …, Wes c2, c5, ….
fn enrolled(n: usize) -> (Fixture, Vec<i64>) {
    let mut f = fixture(n);
    let mae = f.manager_east.clone();
    let contacts = f.c.clone();
    let report = f.ws.enroll(&mae, f.seq_a.id, &contacts).unwrap();
    (f, report.enrolled)
}

fn statuses(db: &std::path::Path) -> Vec<String> {
    let r = run(
        db,
        &["--json", "enrollments", "--sequence", "Alpha Outbound"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn pause_and_resume_a_whole_sequence_with_json_reports() {
    let (f, ids) = enrolled(3);
    let r = run(
        &f.path,
        &[
            "--json",
            "pause",
            "--sequence",
            "Alpha Outbound",
            "--all",
            "--dry-run",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["action"], "pause");
    assert_eq!(j["dry_run"], true);
    assert_eq!(j["changed"].as_array().unwrap().len(), 3);
    assert_eq!(
        statuses(&f.path),
        vec!["active"; 3],
        "a dry run changes nothing"
    );

    let r = run(&f.path, &["pause", "--sequence", "Alpha Outbound", "--all"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("Paused 3 · batch B"), "{}", r.stdout);
    assert_eq!(statuses(&f.path), vec!["paused"; 3]);

    let one = ids[0].to_string();
    let r = run(&f.path, &["--json", "resume", "--enrollment", &one]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["changed"][0], ids[0]);
    assert!(j["batch"].as_str().unwrap().starts_with('B'));
    assert_eq!(
        j["steps_moved"], 0,
        "nothing was overdue at the same instant"
    );
    let r = run(
        &f.path,
        &["resume", "--sequence", "Alpha Outbound", "--all"],
    );
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with("Resumed 2"), "{}", r.stdout);
    assert_eq!(statuses(&f.path), vec!["active"; 3]);
    check_invariants(&f.path);
}

#[test]
fn pause_refusals_and_unknown_ids_have_their_exit_codes() {
    let (f, ids) = enrolled(3);
    let one = ids[0].to_string();
    // Wes is a rep in the West team: not his enrollment, not his contact.
    let r = run(
        &f.path,
        &["--as", "wes@team.example", "pause", "--enrollment", &one],
    );
    assert_eq!(r.code, 3, "{}", r.stdout);
    one_sentence(&r.stderr);
    assert!(r.stderr.contains("not permitted"), "{}", r.stderr);
    let r = run(&f.path, &["pause", "--enrollment", "9999"]);
    assert_eq!(r.code, 4);
    one_sentence(&r.stderr);
    let r = run(&f.path, &["pause"]);
    assert_eq!(r.code, 2, "a selector is required");
    assert_eq!(statuses(&f.path), vec!["active"; 3]);
}

#[test]
fn undo_the_last_batch_restores_and_is_refused_for_others_and_after_the_window() {
    let (f, _) = enrolled(3);
    let r = run(
        &f.path,
        &[
            "--as",
            "mae@team.example",
            "--json",
            "unenroll",
            "--sequence",
            "Alpha Outbound",
            "--all",
            "--reason",
            "stale",
            "--yes",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let batch = r.json()["batch"].as_str().unwrap().to_string();
    assert_eq!(statuses(&f.path), vec!["unenrolled"; 3]);

    let r = run(&f.path, &["--as", "ann@team.example", "undo", &batch]);
    assert_eq!(r.code, 3);
    one_sentence(&r.stderr);
    assert!(r.stderr.contains("only Mae East"), "{}", r.stderr);

    let late = seqtui(&f.path)
        .args([
            "--now",
            "2026-11-02T09:16:00Z",
            "--as",
            "mae@team.example",
            "undo",
            &batch,
        ])
        .output()
        .unwrap();
    assert_eq!(late.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&late.stderr).contains("15 minutes"));

    let r = run(&f.path, &["--as", "mae@team.example", "--json", "undo"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["batch"], batch.as_str());
    assert_eq!(j["restored"].as_array().unwrap().len(), 3);
    assert_eq!(j["not_restored"].as_array().unwrap().len(), 0);
    assert_eq!(statuses(&f.path), vec!["active"; 3]);
    let r = run(&f.path, &["--as", "mae@team.example", "undo"]);
    assert_eq!(r.code, 3, "the last batch, undone already, is refused");
    one_sentence(&r.stderr);
    assert!(
        r.stderr
            .contains(&format!("batch {batch} was already undone")),
        "{}",
        r.stderr
    );
    let r = run(&f.path, &["--as", "ann@team.example", "undo"]);
    assert_eq!(r.code, 3, "a user who made no batch has nothing to undo");
    assert!(r.stderr.contains("nothing to undo"), "{}", r.stderr);
    let r = run(&f.path, &["undo", "B999"]);
    assert_eq!(r.code, 4);
    check_invariants(&f.path);
}

/// `undo` without a batch takes the newest batch: once it is undone, a
/// second `undo` says so (true, exit 3) and never walks back to an earlier
/// batch, which is undone by name; a clock set before a batch was made
/// cannot undo it.
#[test]
fn undo_without_a_batch_takes_the_newest_and_a_clock_before_the_batch_is_refused() {
    let (f, ids) = enrolled(3);
    let mut batches = Vec::new();
    for id in &ids[..2] {
        let r = run(
            &f.path,
            &[
                "--as",
                "mae@team.example",
                "--json",
                "unenroll",
                "--enrollment",
                &id.to_string(),
                "--reason",
                "other",
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        batches.push(r.json()["batch"].as_str().unwrap().to_string());
    }
    assert_eq!(
        statuses(&f.path),
        vec!["unenrolled", "unenrolled", "active"]
    );

    let earlier = seqtui(&f.path)
        .args(["--now", "2026-11-01T09:00:00Z", "--as", "mae@team.example"])
        .args(["undo", &batches[1]])
        .output()
        .unwrap();
    assert_eq!(earlier.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&earlier.stderr);
    assert!(stderr.contains("after the clock's now"), "{stderr}");
    let bare = seqtui(&f.path)
        .args(["--now", "2026-11-01T09:00:00Z", "--as", "mae@team.example"])
        .arg("undo")
        .output()
        .unwrap();
    assert_eq!(
        bare.status.code(),
        Some(3),
        "no batch is undoable before it was made"
    );
    let stderr = String::from_utf8_lossy(&bare.stderr);
    assert!(stderr.contains("after the clock's now"), "{stderr}");
    assert_eq!(
        statuses(&f.path),
        vec!["unenrolled", "unenrolled", "active"]
    );

    let r = run(&f.path, &["--as", "mae@team.example", "--json", "undo"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["batch"], batches[1].as_str());
    let r = run(&f.path, &["--as", "mae@team.example", "undo"]);
    assert_eq!(r.code, 3);
    one_sentence(&r.stderr);
    assert!(
        r.stderr
            .contains(&format!("batch {} was already undone", batches[1])),
        "{}",
        r.stderr
    );
    assert_eq!(statuses(&f.path), vec!["unenrolled", "active", "active"]);
    let r = run(
        &f.path,
        &["--as", "mae@team.example", "--json", "undo", &batches[0]],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(statuses(&f.path), vec!["active"; 3]);
    check_invariants(&f.path);
}

#[test]
fn transfer_previews_then_reassigns_or_unenrolls_from_a_step() {
    let (f, ids) = enrolled(3);
    let r = run(
        &f.path,
        &[
            "transfer",
            "--contact",
            "contact0000@acme0.example",
            "--to",
            "bob@team.example",
            "--policy",
            "reassign",
            "--dry-run",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("ENROLLED BY"), "{}", r.stdout);
    assert!(r.stdout.contains("mae@team.example"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("Would transfer 1 contact to bob@team.example")
    );
    let r = run(&f.path, &["--json", "contact", "contact0000@acme0.example"]);
    assert_eq!(
        r.json()["owner"],
        "ann@team.example",
        "the preview changed nothing"
    );

    let r = run(
        &f.path,
        &[
            "--json",
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
    let j = r.json();
    assert_eq!(j["enrollments"][0]["action"], "reassign");
    assert_eq!(j["enrollments"][0]["enrollment"], ids[0]);
    let r = run(&f.path, &["--json", "contact", "contact0000@acme0.example"]);
    let c = r.json();
    assert_eq!(c["owner"], "bob@team.example");
    assert_eq!(c["enrollments"][0]["enrolled_by"], "bob@team.example");

    // Everything Wes owns (c2) goes to Ann; from step 2 only: c2 is at
    // step 1, so its enrollment is kept.
    let r = run(
        &f.path,
        &[
            "transfer",
            "--from",
            "wes@team.example",
            "--to",
            "ann@team.example",
            "--policy",
            "unenroll",
            "--from-step",
            "2",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("keep (before step 2)"), "{}", r.stdout);
    assert_eq!(statuses(&f.path), vec!["active"; 3]);
    let r = run(
        &f.path,
        &[
            "transfer",
            "--contact",
            "contact0001@acme1.example",
            "--to",
            "ann@team.example",
            "--policy",
            "unenroll",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(&f.path, &["--json", "contact", "contact0001@acme1.example"]);
    assert_eq!(
        r.json()["enrollments"][0]["end_reason"],
        "ownership_changed"
    );
    check_invariants(&f.path);

    let r = run(
        &f.path,
        &[
            "transfer",
            "--contact",
            "x@y.example",
            "--to",
            "ann@team.example",
            "--policy",
            "drop",
        ],
    );
    assert_eq!(r.code, 2);
    let r = run(
        &f.path,
        &[
            "transfer",
            "--contact",
            "nobody@y.example",
            "--to",
            "ann@team.example",
        ],
    );
    assert_eq!(r.code, 4);
    one_sentence(&r.stderr);
}
