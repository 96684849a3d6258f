//! Every skipped or refused item carries a stable code beside its sentence
//! (`not_found`, `already_ended`, `not_permitted`, …), in the domain and in
//! each `--json` output; exit codes come from the code, never the text.

mod common;

use common::cli::*;
use common::*;
use seqtui::domain::*;

fn codes(items: &serde_json::Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            assert!(
                s["why"].as_str().is_some_and(|w| !w.is_empty()),
                "every item keeps its sentence: {s}"
            );
            s["code"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn unenroll_pause_and_enroll_report_a_code_per_item() {
    let mut f = fixture(6);
    let mae = f.manager_east.clone();
    let mo = f.manager_west.clone();
    let east = f.ws.enroll(&mae, f.seq_a.id, &f.c[..3]).unwrap().enrolled;
    let west = f.ws.enroll(&mo, f.seq_b.id, &f.c[3..4]).unwrap().enrolled;
    // c2 is owned by Wes (team West) but enrolled by Mae: Mae may end it.
    let ended =
        f.ws.unenroll(
            &mae,
            &UnenrollRequest {
                enrollments: vec![east[2]],
                reason: EndReason::NotAFit,
                note: None,
                dry_run: false,
            },
        )
        .unwrap();
    assert_eq!(ended.unenrolled, vec![east[2]]);

    // Bob (rep, East) asks for: c1's enrollment (his contact), an ended
    // one, c3's (enrolled by Mo of West, owned by Ann: not his) and an id
    // that does not exist.
    let bob = f.rep_bob.email.clone();
    let args = [
        "--as",
        bob.as_str(),
        "--json",
        "unenroll",
        "--enrollment",
        &east[1].to_string(),
        "--enrollment",
        &east[2].to_string(),
        "--enrollment",
        &west[0].to_string(),
        "--enrollment",
        "999999",
        "--reason",
        "not_a_fit",
        "--yes",
    ];
    let r = run(&f.path, &args);
    assert_eq!(
        r.code, 0,
        "Bob's own contact (c1) was unenrolled: {}",
        r.stderr
    );
    let j = r.json();
    assert_eq!(j["unenrolled"], serde_json::json!([east[1]]));
    assert_eq!(
        codes(&j["skipped"]),
        vec!["already_ended", "not_permitted", "not_found"]
    );

    // Nothing Bob may change: the code decides the exit code (3), in text
    // and in JSON alike.
    for json in [true, false] {
        let mut args = vec!["--as", bob.as_str()];
        if json {
            args.push("--json");
        }
        let west_id = west[0].to_string();
        args.extend(["unenroll", "--enrollment", &west_id, "--reason", "stale"]);
        let r = run(&f.path, &args);
        assert_eq!(r.code, 3, "json={json}: {} {}", r.stdout, r.stderr);
    }
    // Only unknown ids: 4. Only already-ended ones: 0 (idempotent).
    let r = run(
        &f.path,
        &[
            "--json",
            "unenroll",
            "--enrollment",
            "999999",
            "--reason",
            "stale",
        ],
    );
    assert_eq!(r.code, 4, "{}", r.stderr);
    let r = run(
        &f.path,
        &[
            "--json",
            "unenroll",
            "--enrollment",
            &east[2].to_string(),
            "--reason",
            "stale",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(codes(&r.json()["skipped"]), vec!["already_ended"]);

    // Pause twice: the second says already_paused.
    let id = east[0].to_string();
    let r = run(&f.path, &["--json", "pause", "--enrollment", &id]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(&f.path, &["--json", "pause", "--enrollment", &id]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(codes(&r.json()["skipped"]), vec!["already_paused"]);
    let r = run(&f.path, &["--json", "resume", "--enrollment", &id]);
    assert_eq!(r.code, 0);
    let r = run(&f.path, &["--json", "resume", "--enrollment", &id]);
    assert_eq!(codes(&r.json()["skipped"]), vec!["already_active"]);

    // Enroll a contact who is enrolled elsewhere: already_enrolled, exit 3.
    let r = run(
        &f.path,
        &[
            "--json",
            "enroll",
            "--sequence",
            "Beta Nurture",
            "--contact",
            &f.c[0].to_string(),
        ],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(codes(&r.json()["refused"]), vec!["already_enrolled"]);
    check_invariants(&f.path);
}

#[test]
fn skipped_items_are_grouped_by_code_in_summaries() {
    let skipped = vec![
        Skipped::new(1, SkipCode::NotPermitted, "not permitted: only Ann may"),
        Skipped::new(2, SkipCode::NotPermitted, "not permitted: only Bob may"),
        Skipped::new(3, SkipCode::AlreadyEnded, "already finished"),
        Skipped::new(4, SkipCode::NotPermitted, "not permitted: only Ann may"),
    ];
    let groups = skip_groups(&skipped);
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0].code, SkipCode::NotPermitted);
    assert_eq!(groups[0].count, 3);
    assert_eq!(groups[0].phrase, "not permitted: only Ann may (+1 similar)");
    assert_eq!(groups[1].phrase, "already finished");
    assert_eq!(
        skip_phrases(&skipped),
        "not permitted: only Ann may (+1 similar); already finished"
    );
}

/// A dialog that names who may for every skipped item needs each distinct
/// sentence of a code and how many items say it, not only the first.
#[test]
fn a_group_lists_each_distinct_sentence_with_its_count() {
    let skipped = vec![
        Skipped::new(1, SkipCode::NotPermitted, "not permitted: only Bob may"),
        Skipped::new(2, SkipCode::NotPermitted, "not permitted: only Cleo may"),
        Skipped::new(3, SkipCode::AlreadyEnded, "already finished"),
        Skipped::new(4, SkipCode::NotPermitted, "not permitted: only Ann may"),
        Skipped::new(5, SkipCode::NotPermitted, "not permitted: only Cleo may"),
    ];
    let groups = skip_groups(&skipped);
    assert_eq!(groups[0].code, SkipCode::NotPermitted);
    assert_eq!(groups[0].count, 4);
    assert_eq!(
        groups[0].sentences,
        vec![
            ("not permitted: only Cleo may".to_string(), 2),
            ("not permitted: only Ann may".to_string(), 1),
            ("not permitted: only Bob may".to_string(), 1),
        ],
        "commonest first, then in order of the text"
    );
    assert_eq!(
        groups[1].sentences,
        vec![("already finished".to_string(), 1)]
    );
    let total: usize = groups
        .iter()
        .flat_map(|g| g.sentences.iter().map(|(_, n)| n))
        .sum();
    assert_eq!(total, skipped.len());
}
