//! Sequences as files (R17) through the built binary: `sequence apply`
//! (create, update with its effects on open enrollments, validation with
//! file and line, permissions), `show` round trips, archive / unarchive,
//! owner, versions in the audit.

mod common;

use std::path::{Path, PathBuf};

use common::cli::{Run, one_sentence, output, run, seqtui_at};
use common::{fixture, raw};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn at(db: &Path, now: &str, args: &[&str]) -> Run {
    output(seqtui_at(db, now).args(args))
}

fn count(db: &Path, sql: &str) -> i64 {
    raw(db).query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Everything a sequence edit could change, as text.
fn snapshot(db: &Path) -> String {
    let conn = raw(db);
    let mut out = String::new();
    for sql in [
        "SELECT id, name, owner_id, archived, unenroll_colleagues, pause_on_ooo, window_start, window_end, sending_days, time_zone, revision FROM sequences ORDER BY id",
        "SELECT id, sequence_id, position, kind, delay_days, subject, body, title FROM steps ORDER BY id",
        "SELECT id, enrollment_id, step_id, position, state, due_at FROM scheduled_steps ORDER BY id",
        "SELECT id, status, current_step FROM enrollments ORDER BY id",
        "SELECT sequence_id, version FROM sequence_versions ORDER BY 1, 2",
        "SELECT count(*) FROM audit",
    ] {
        let mut stmt = conn.prepare(sql).unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                Ok((0..n)
                    .map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).unwrap()))
                    .collect::<Vec<_>>()
                    .join("|"))
            })
            .unwrap();
        for row in rows {
            out.push_str(&row.unwrap());
            out.push('\n');
        }
    }
    out
}

const NEW_SEQUENCE: &str = r#"
name = "Gamma Launch"

[settings]
pause_on_out_of_office = true
time_zone = "Europe/Berlin"
sending_days = ["Mon", "wed"]

[[steps]]
kind = "auto_email"
delay_days = 0
subject = "Hello {{first_name}}"
body = """
Hi {{first_name}} at {{company}},
{{sender_name}}
"""

[[steps]]
kind = "call"
delay_days = 2
title = "Call {{first_name}}"
"#;

#[test]
fn round_trip_of_every_demo_sequence_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    let built = run(&db, &["demo", "--contacts", "200", "--seed", "3"]);
    assert_eq!(built.code, 0, "{}", built.stderr);
    let names: Vec<String> = {
        let conn = raw(&db);
        let mut stmt = conn
            .prepare("SELECT name FROM sequences ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert!(names.len() >= 5);
    let before = snapshot(&db);
    let mut files = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let shown = run(&db, &["sequence", "show", name, "--format", "toml"]);
        assert_eq!(shown.code, 0, "{name}: {}", shown.stderr);
        files.push(write(dir.path(), &format!("s{i}.toml"), &shown.stdout));
    }
    let mut args = vec!["--json", "sequence", "apply", "--yes"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let applied = run(&db, &args);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    for plan in applied.json()["sequences"].as_array().unwrap() {
        assert_eq!(plan["action"], "unchanged", "{plan}");
    }
    let text = run(&db, &["sequence", "apply", files[0].to_str().unwrap()]);
    assert!(
        text.stdout.contains("Nothing to change."),
        "{}",
        text.stdout
    );
    assert_eq!(
        snapshot(&db),
        before,
        "the round trip changed the workspace"
    );
}

/// A follow-up email with no subject of its own replies in the thread: the
/// diff names it so, not with an empty label.
#[test]
fn a_reply_in_the_thread_is_named_in_the_diff() {
    let f = fixture(1);
    let file = write(
        f.dir.path(),
        "thread.toml",
        "name = \"Thread\"\n[[steps]]\nkind = \"auto_email\"\ndelay_days = 0\nsubject = \"Hello\"\nbody = \"Hi\"\n\
         [[steps]]\nkind = \"auto_email\"\ndelay_days = 2\nbody = \"Bump\"\n",
    );
    let r = run(
        &f.path,
        &[
            "--json",
            "sequence",
            "apply",
            "--dry-run",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let steps = r.json()["sequences"][0]["steps"].clone();
    assert_eq!(steps[0]["label"], "Hello", "{steps}");
    assert_eq!(steps[1]["label"], "(reply in the thread)", "{steps}");
}

#[test]
fn apply_creates_a_sequence_owned_by_the_actor_with_version_one() {
    let f = fixture(3);
    let file = write(f.dir.path(), "gamma.toml", NEW_SEQUENCE);
    let r = run(
        &f.path,
        &[
            "--json",
            "--as",
            "ann@team.example",
            "sequence",
            "apply",
            "--yes",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let plan = &r.json()["sequences"][0];
    assert_eq!(plan["action"], "create");
    assert_eq!(plan["owner"], "ann@team.example");
    assert_eq!(plan["version"], 1);
    let shown = run(&f.path, &["--json", "sequence", "show", "gamma launch"]);
    let d = shown.json();
    assert_eq!(d["owner"], "ann@team.example");
    assert_eq!(d["settings"]["time_zone"], "Europe/Berlin");
    assert_eq!(
        d["settings"]["sending_days"],
        serde_json::json!(["mon", "wed"])
    );
    assert_eq!(d["settings"]["pause_on_out_of_office"], true);
    assert_eq!(d["steps"].as_array().unwrap().len(), 2);
    // The shown file applies unchanged.
    let toml = run(
        &f.path,
        &["sequence", "show", "Gamma Launch", "--format", "toml"],
    );
    let again = write(f.dir.path(), "again.toml", &toml.stdout);
    let r = run(
        &f.path,
        &["--json", "sequence", "apply", again.to_str().unwrap()],
    );
    assert_eq!(r.json()["sequences"][0]["action"], "unchanged");
    // Without a terminal and without --yes, a change is refused.
    let renamed = write(
        f.dir.path(),
        "delta.toml",
        &NEW_SEQUENCE.replace("Gamma Launch", "Delta"),
    );
    let r = run(&f.path, &["sequence", "apply", renamed.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    one_sentence(&r.stderr);
    assert!(r.stderr.contains("--yes"), "{}", r.stderr);
    assert_eq!(
        count(
            &f.path,
            "SELECT count(*) FROM sequences WHERE name = 'Delta'"
        ),
        0
    );
    // Naming another owner is a manager's (their team) or an admin's.
    let other = write(
        f.dir.path(),
        "owned.toml",
        &NEW_SEQUENCE.replace(
            "name = \"Gamma Launch\"",
            "name = \"Owned\"\nowner = \"bob@team.example\"",
        ),
    );
    let r = run(
        &f.path,
        &[
            "--as",
            "ann@team.example",
            "sequence",
            "apply",
            "--yes",
            other.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    let r = run(
        &f.path,
        &[
            "--as",
            "mae@team.example",
            "--json",
            "sequence",
            "apply",
            "--yes",
            other.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["sequences"][0]["owner"], "bob@team.example");
}

/// One bad thing per file: exit 2, one sentence naming the file and the
/// line, nothing applied (and with a good file beside it, not that either).
#[test]
fn each_validation_error_names_file_and_line_and_applies_nothing() {
    let f = fixture(3);
    let good = write(f.dir.path(), "good.toml", NEW_SEQUENCE);
    let cases: &[(&str, String, usize)] = &[
        (
            "merge.toml",
            NEW_SEQUENCE.replace("Hi {{first_name}} at", "Hi {{nickname}} at"),
            14,
        ),
        (
            "subject.toml",
            NEW_SEQUENCE.replace("subject = \"Hello {{first_name}}\"", "subject = \"  \""),
            12,
        ),
        (
            "delay.toml",
            NEW_SEQUENCE.replacen("delay_days = 0", "delay_days = 1", 1),
            11,
        ),
        (
            "unknown.toml",
            NEW_SEQUENCE.replace("pause_on_out_of_office = true", "pause_on_ooo = true"),
            5,
        ),
        (
            "kind.toml",
            NEW_SEQUENCE.replace("kind = \"call\"", "kind = \"sms\""),
            19,
        ),
        (
            "zone.toml",
            NEW_SEQUENCE.replace("Europe/Berlin", "Mars/Olympus"),
            6,
        ),
        (
            "window.toml",
            NEW_SEQUENCE.replace(
                "[settings]\n",
                "[settings]\nsending_window = \"18:00-08:00\"\n",
            ),
            5,
        ),
    ];
    let before = snapshot(&f.path);
    for (name, text, line) in cases {
        let bad = write(f.dir.path(), name, text);
        let r = run(
            &f.path,
            &[
                "sequence",
                "apply",
                "--yes",
                good.to_str().unwrap(),
                bad.to_str().unwrap(),
            ],
        );
        assert_eq!(r.code, 2, "{name}: {}", r.stderr);
        one_sentence(&r.stderr);
        assert!(
            r.stderr.contains(&format!("{name}, line {line}:")),
            "{name}: expected line {line}: {}",
            r.stderr
        );
        assert_eq!(snapshot(&f.path), before, "{name} applied something");
    }
    // A value of the wrong type is named in words, not as Rust's type.
    let bad = write(
        f.dir.path(),
        "type.toml",
        &NEW_SEQUENCE.replacen("delay_days = 0", "delay_days = \"two\"", 1),
    );
    let r = run(
        &f.path,
        &["sequence", "apply", "--yes", bad.to_str().unwrap()],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    one_sentence(&r.stderr);
    assert!(r.stderr.contains("type.toml, line 11:"), "{}", r.stderr);
    assert!(r.stderr.contains("expected a whole number"), "{}", r.stderr);
    assert_eq!(snapshot(&f.path), before);
}

/// Enrollment A has run steps 1 and 2 (at step 3); B has run nothing.
fn two_enrollments(f: &common::Fixture) {
    let db = &f.path;
    let enroll = |now: &str, contact: &str| {
        let r = at(
            db,
            now,
            &[
                "--as",
                "mae@team.example",
                "enroll",
                "--sequence",
                "Alpha Outbound",
                "--contact",
                contact,
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
    };
    enroll("2026-11-02T09:00:00Z", "contact0000@acme0.example");
    assert_eq!(at(db, "2026-11-02T09:00:00Z", &["run"]).code, 0);
    assert_eq!(at(db, "2026-11-04T09:00:00Z", &["run"]).code, 0);
    // R18: A waits at its call until the call task is done.
    let done_at = chrono::DateTime::parse_from_rfc3339("2026-11-04T09:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    assert_eq!(common::do_all_tasks(db, done_at), 1);
    enroll("2026-11-04T10:00:00Z", "contact0001@acme1.example");
}

fn rows(db: &Path, contact: i64) -> Vec<(i64, String, String)> {
    let conn = raw(db);
    let mut stmt = conn
        .prepare(
            "SELECT ss.position, ss.state, st.kind FROM scheduled_steps ss
             JOIN enrollments e ON e.id = ss.enrollment_id JOIN steps st ON st.id = ss.step_id
             WHERE e.contact_id = ?1 ORDER BY ss.position, ss.id",
        )
        .unwrap();
    stmt.query_map([contact], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn update_changes_text_adds_and_removes_steps_for_open_enrollments() {
    let f = fixture(3);
    two_enrollments(&f);
    let db = &f.path;
    let shown = run(
        db,
        &["sequence", "show", "Alpha Outbound", "--format", "toml"],
    );
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    // New text for step 3; a task added after step 1.
    let edited = shown
        .stdout
        .replace("Re: Hi {{first_name}}", "Fresh angle for {{company}}")
        .replacen(
            "\n[[steps]]\nkind = \"call\"",
            "\n[[steps]]\nkind = \"task\"\ndelay_days = 1\ntitle = \"Research {{company}}\"\n\n[[steps]]\nkind = \"call\"",
            1,
        );
    let file = write(f.dir.path(), "alpha.toml", &edited);
    let dry = run(
        db,
        &[
            "--json",
            "sequence",
            "apply",
            "--dry-run",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    let plan = &dry.json()["sequences"][0];
    assert_eq!(plan["action"], "update", "{plan}");
    assert_eq!(plan["effects"]["steps_scheduled"], 1, "{plan}");
    assert_eq!(plan["effects"]["texts_updated"], 2, "{plan}");
    let before = snapshot(db);
    assert_eq!(snapshot(db), before, "the dry run wrote");
    let r = at(
        db,
        "2026-11-04T11:00:00Z",
        &["sequence", "apply", "--yes", file.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("+ added step 2 (task"), "{}", r.stdout);
    common::check_invariants(db);
    // A passed position 2: no task scheduled for it; it is now at step 4.
    let a = rows(db, 1);
    assert!(!a.iter().any(|(_, _, k)| k == "task"), "{a:?}");
    assert_eq!(
        count(
            db,
            "SELECT current_step FROM enrollments WHERE contact_id = 1"
        ),
        4
    );
    // B had not: the task is scheduled at position 2, the call moved to 3.
    let b = rows(db, 2);
    assert!(b.contains(&(2, "scheduled".into(), "task".into())), "{b:?}");
    assert!(b.contains(&(3, "scheduled".into(), "call".into())), "{b:?}");
    // A's next email (due Saturday Nov 7, so sent Monday Nov 9, R19) goes
    // out with the new text.
    let sent = at(db, "2026-11-09T09:30:00Z", &["run"]);
    assert_eq!(sent.code, 0, "{}", sent.stderr);
    let outbox = common::cli::outbox_of(&f.path).join("new");
    let texts: Vec<String> = std::fs::read_dir(&outbox)
        .unwrap()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains("Subject: Fresh angle for Acme 0")),
        "no email with the new text"
    );
    assert!(
        !texts
            .iter()
            .any(|t| t.contains("Subject: Re: Hi First0000"))
    );

    // Removing the call: cancelled for B (before it), nothing for A.
    let shown = run(
        db,
        &["sequence", "show", "Alpha Outbound", "--format", "toml"],
    );
    let without_call = shown.stdout.replace(
        "\n[[steps]]\nkind = \"call\"\ndelay_days = 2\ntitle = \"Call {{first_name}}\"\n",
        "",
    );
    assert_ne!(without_call, shown.stdout);
    let file = write(f.dir.path(), "alpha2.toml", &without_call);
    let r = at(
        db,
        "2026-11-04T12:00:00Z",
        &[
            "--json",
            "sequence",
            "apply",
            "--yes",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let plan = &r.json()["sequences"][0];
    assert_eq!(plan["steps"][0]["change"], "removed", "{plan}");
    assert_eq!(plan["steps"][0]["enrollments"], 1, "{plan}");
    let b = rows(db, 2);
    assert!(
        b.iter().any(|(_, s, k)| k == "call" && s == "cancelled"),
        "{b:?}"
    );
    // A contact enrolled after the edit gets the steps of the new version
    // only (the removed call keeps its row for history, not a schedule).
    let r = at(
        db,
        "2026-11-04T13:00:00Z",
        &[
            "--as",
            "mae@team.example",
            "enroll",
            "--sequence",
            "Alpha Outbound",
            "--contact",
            "contact0002@acme2.example",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let c = rows(db, 3);
    assert!(!c.iter().any(|(_, _, k)| k == "call"), "{c:?}");
    assert_eq!(
        c.iter().map(|(p, _, _)| *p).collect::<Vec<_>>(),
        vec![1, 2, 3],
        "{c:?}"
    );
    common::check_invariants(db);
    // Each edit is a version, listed and audited.
    let versions = run(db, &["--json", "sequence", "versions", "Alpha Outbound"]);
    assert_eq!(versions.json().as_array().unwrap().len(), 3);
    let v1 = run(
        db,
        &["sequence", "show", "Alpha Outbound", "--version", "1"],
    );
    assert!(v1.stdout.contains("Re: Hi {{first_name}}"), "{}", v1.stdout);
    assert_eq!(
        count(
            db,
            "SELECT count(*) FROM audit WHERE action = 'sequence_edit'"
        ),
        2
    );
}

#[test]
fn a_rep_may_not_edit_a_sequence_they_do_not_own() {
    let f = fixture(3);
    let shown = run(
        &f.path,
        &["sequence", "show", "Alpha Outbound", "--format", "toml"],
    );
    let file = write(
        f.dir.path(),
        "a.toml",
        &shown.stdout.replace("Following up", "Following up again"),
    );
    let before = snapshot(&f.path);
    let r = run(
        &f.path,
        &[
            "--as",
            "ann@team.example",
            "sequence",
            "apply",
            "--yes",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    one_sentence(&r.stderr);
    assert!(r.stderr.contains("Mae East"), "{}", r.stderr);
    // A manager of another team neither.
    let r = run(
        &f.path,
        &[
            "--as",
            "mo@team.example",
            "sequence",
            "apply",
            "--yes",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(snapshot(&f.path), before);
    let r = run(
        &f.path,
        &[
            "--as",
            "mae@team.example",
            "sequence",
            "apply",
            "--yes",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn archive_previews_confirms_and_unarchive_restores_enrolling() {
    let f = fixture(3);
    two_enrollments(&f);
    let db = &f.path;
    let preview = run(
        db,
        &[
            "--json",
            "sequence",
            "archive",
            "Alpha Outbound",
            "--dry-run",
        ],
    );
    assert_eq!(preview.code, 0, "{}", preview.stderr);
    assert_eq!(preview.json()["unenrolled"], 2);
    let refused = run(db, &["sequence", "archive", "Alpha Outbound"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stdout.contains("ends 2 open enrollments"),
        "{}",
        refused.stdout
    );
    assert_eq!(
        count(
            db,
            "SELECT archived FROM sequences WHERE name = 'Alpha Outbound'"
        ),
        0
    );
    let rep = run(
        db,
        &[
            "--as",
            "ann@team.example",
            "sequence",
            "archive",
            "Alpha Outbound",
            "--yes",
        ],
    );
    assert_eq!(rep.code, 3, "{}", rep.stderr);
    let done = run(db, &["sequence", "archive", "Alpha Outbound", "--yes"]);
    assert_eq!(done.code, 0, "{}", done.stderr);
    assert_eq!(
        count(
            db,
            "SELECT count(*) FROM enrollments WHERE end_reason = 'sequence_archived'"
        ),
        2
    );
    let enroll = run(
        db,
        &[
            "enroll",
            "--sequence",
            "Alpha Outbound",
            "--contact",
            "contact0002@acme2.example",
        ],
    );
    assert_eq!(enroll.code, 3, "{}", enroll.stderr);
    let un = run(db, &["sequence", "unarchive", "Alpha Outbound"]);
    assert_eq!(un.code, 0, "{}", un.stderr);
    let enroll = run(
        db,
        &[
            "enroll",
            "--sequence",
            "Alpha Outbound",
            "--contact",
            "contact0002@acme2.example",
        ],
    );
    assert_eq!(enroll.code, 0, "{}", enroll.stderr);
}

#[test]
fn owner_change_is_a_managers_or_an_admins() {
    let f = fixture(1);
    let db = &f.path;
    let r = run(
        db,
        &[
            "--as",
            "ann@team.example",
            "sequence",
            "owner",
            "Alpha Outbound",
            "--to",
            "ann@team.example",
        ],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    one_sentence(&r.stderr);
    let r = run(
        db,
        &[
            "--as",
            "mae@team.example",
            "--json",
            "sequence",
            "owner",
            "Alpha Outbound",
            "--to",
            "bob@team.example",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["owner"], "bob@team.example");
    let versions = run(db, &["--json", "sequence", "versions", "Alpha Outbound"]);
    assert_eq!(versions.json().as_array().unwrap().len(), 2);
    assert_eq!(
        count(
            db,
            "SELECT count(*) FROM audit WHERE action = 'sequence_owner'"
        ),
        1
    );
}

/// The engine's claim protocol (R17): a step read and rendered before an
/// edit of the sequence's steps is not recorded with the old text; it stays
/// due and is rendered again.
#[test]
fn a_step_rendered_before_an_edit_is_not_claimed() {
    let mut f = fixture(1);
    let manager = f.manager_east.clone();
    f.ws.enroll(&manager, f.seq_a.id, &[f.c[0]]).unwrap();
    let due = f.ws.due_steps(common::now(), None, 10).unwrap();
    assert_eq!(due.len(), 1);
    let rendered =
        seqtui::engine::outbox::execute(&due[0], "ws", common::now(), &Default::default()).unwrap();
    let text = f.ws.sequence_file("Alpha Outbound", None).unwrap();
    let def = seqtui::domain::parse_sequence(
        "alpha.toml",
        &text.replace("Hi {{first_name}}\"", "Hello again {{first_name}}\""),
    )
    .unwrap();
    let plans = f.ws.apply_sequences(&manager, &[def], false).unwrap();
    assert_eq!(plans[0].effects.texts_updated, 2, "{plans:?}");
    let report = f.ws.record_executed(&[rendered]).unwrap();
    assert_eq!((report.emails, report.changed), (0, 1));
    let again = f.ws.due_steps(common::now(), None, 10).unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].subject, "Hello again {{first_name}}");
}

/// The claim protocol's token check: a step rendered while its enrollment
/// had no List-Unsubscribe token, recorded after another run gave the
/// enrollment one, is not recorded with the message's own token (the
/// one-click link would name a token nobody stores); it stays due and is
/// rendered again, with the stored token.
#[test]
fn a_step_rendered_before_another_run_set_the_token_is_rendered_again() {
    let mut f = fixture(1);
    let manager = f.manager_east.clone();
    f.ws.enroll(&manager, f.seq_a.id, &[f.c[0]]).unwrap();
    let due = f.ws.due_steps(common::now(), None, 10).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].unsubscribe_token, None);
    let rendered =
        seqtui::engine::outbox::execute(&due[0], "ws", common::now(), &Default::default()).unwrap();
    // Another run's token, set meanwhile.
    let conn = raw(&f.path);
    conn.execute(
        "UPDATE enrollments SET unsubscribe_token = 'set-by-another-run' WHERE id = ?1",
        [due[0].enrollment_id],
    )
    .unwrap();
    drop(conn);
    let report = f.ws.record_executed(&[rendered]).unwrap();
    assert_eq!((report.emails, report.changed), (0, 1));
    let again = f.ws.due_steps(common::now(), None, 10).unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(
        again[0].unsubscribe_token.as_deref(),
        Some("set-by-another-run")
    );
    let rendered =
        seqtui::engine::outbox::execute(&again[0], "ws", common::now(), &Default::default())
            .unwrap();
    let report = f.ws.record_executed(&[rendered]).unwrap();
    assert_eq!((report.emails, report.changed), (1, 0));
    common::check_invariants(&f.path);
}
