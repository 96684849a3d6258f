//! The built binary, for every command of the foundation and each bad input:
//! exit codes, one-sentence errors, stable JSON.

mod common;

use assert_cmd::Command;
use common::cli::*;
use common::*;
use serde_json::Value;

/// A fixture whose contacts 0..n are all enrolled in Alpha by ann.
fn enrolled(n: usize) -> (Fixture, Vec<i64>) {
    let mut f = fixture(n);
    let ann = f.rep_ann.clone();
    let contacts = f.c.clone();
    let report = f.ws.enroll(&ann, f.seq_a.id, &contacts).unwrap();
    (f, report.enrolled)
}

#[test]
fn missing_workspace_says_how_to_create_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nothing.db");
    let r = run(&db, &["sequences"]);
    assert_eq!(r.code, 4);
    one_sentence(&r.stderr);
    assert!(r.stderr.contains("no workspace at"), "{}", r.stderr);
    assert!(r.stderr.contains("seqtui demo") && r.stderr.contains("seqtui init"));
    assert!(!db.exists(), "nothing is created by a read");
}

#[test]
fn a_file_that_is_not_a_workspace_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.db");
    std::fs::write(&text, "these are my notes, not a database\n".repeat(20)).unwrap();
    let before = std::fs::read(&text).unwrap();
    let r = run(&text, &["sequences"]);
    assert_eq!(r.code, 1);
    one_sentence(&r.stderr);
    assert!(r.stderr.contains("not a seqtui workspace"), "{}", r.stderr);
    assert_eq!(std::fs::read(&text).unwrap(), before);

    let foreign = dir.path().join("other.db");
    {
        let conn = rusqlite::Connection::open(&foreign).unwrap();
        conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
            .unwrap();
    }
    let before = std::fs::read(&foreign).unwrap();
    let r = run(&foreign, &["sequences"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("SQLite database but not a seqtui workspace"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(&foreign).unwrap(), before);

    let r = run(dir.path(), &["sequences"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("is a directory"), "{}", r.stderr);
}

#[test]
fn a_newer_schema_is_refused_untouched() {
    let f = sqlite_fixture(2);
    let path = f.path.clone();
    drop(f.ws);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let r = run(&path, &["sequences"]);
    assert_eq!(r.code, 1);
    one_sentence(&r.stderr);
    assert!(r.stderr.contains("newer seqtui"), "{}", r.stderr);
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn init_creates_an_empty_workspace_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sub dir/ws ü.db");
    let r = run(
        &db,
        &["init", "--admin", "boss@corp.example", "--name", "Corp"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let users = run(&db, &["--json", "users"]).json();
    assert_eq!(users[0]["email"], "boss@corp.example");
    assert_eq!(users[0]["role"], "admin");
    assert_eq!(
        run(&db, &["--json", "sequences"]).json(),
        Value::Array(vec![])
    );
    let again = run(&db, &["init"]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("already exists"));
}

#[test]
fn users_lists_roles_and_the_default_and_add_is_for_admins() {
    let f = fixture(1);
    let r = run(&f.path, &["users"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("admin@team.example (default)"));
    assert!(r.stdout.contains("ROLE") && r.stdout.contains("manager"));
    let add = run(
        &f.path,
        &[
            "users",
            "add",
            "new@team.example",
            "--name",
            "New Rep",
            "--role",
            "rep",
            "--team",
            "East",
        ],
    );
    assert_eq!(add.code, 0, "{}", add.stderr);
    let denied = run(
        &f.path,
        &[
            "--as",
            "ann@team.example",
            "users",
            "add",
            "x@team.example",
            "--name",
            "X",
            "--role",
            "rep",
            "--team",
            "East",
        ],
    );
    assert_eq!(denied.code, 3);
    let unknown = run(&f.path, &["--as", "ghost@team.example", "sequences"]);
    assert_eq!(unknown.code, 4);
    assert!(unknown.stderr.contains("seqtui users"));
}

#[test]
fn sequences_text_and_json() {
    let (f, _) = enrolled(4);
    let r = run(&f.path, &["sequences"]);
    assert_eq!(r.code, 0);
    let header = r.stdout.lines().next().unwrap();
    assert!(header.starts_with("ID  NAME"), "{header}");
    assert!(r.stdout.contains("Alpha Outbound"));
    let json = run(&f.path, &["--json", "sequences"]).json();
    let alpha = json
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Alpha Outbound")
        .unwrap();
    for key in [
        "id",
        "name",
        "owner",
        "steps",
        "active",
        "paused",
        "finished",
        "unenrolled",
        "total",
    ] {
        assert!(alpha.get(key).is_some(), "missing {key}");
    }
    assert_eq!(alpha["steps"], 3);
    assert_eq!(alpha["active"], 4);
    assert_eq!(alpha["total"], 4);
    assert_eq!(alpha["owner"], "mae@team.example");
}

#[test]
fn enrollments_filters_by_status_and_text() {
    let (f, ids) = enrolled(6);
    let r = run(
        &f.path,
        &["--json", "enrollments", "--sequence", "alpha outbound"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = r.json();
    assert_eq!(rows.as_array().unwrap().len(), 6);
    let row = &rows[0];
    for key in [
        "id",
        "sequence_id",
        "sequence",
        "contact_id",
        "contact_email",
        "status",
        "step",
        "steps",
        "enrolled_by",
        "enrolled_at",
        "ended_at",
        "end_reason",
        "note",
        "next_due_at",
    ] {
        assert!(row.get(key).is_some(), "missing {key}");
    }
    assert_eq!(row["status"], "active");
    assert_eq!(row["enrolled_by"], "ann@team.example");
    assert_eq!(row["enrolled_at"], NOW);
    let un = run(
        &f.path,
        &[
            "--json",
            "unenroll",
            "--enrollment",
            &ids[0].to_string(),
            "--reason",
            "converted",
        ],
    );
    assert_eq!(un.code, 0, "{}", un.stderr);
    let active = run(
        &f.path,
        &[
            "--json",
            "enrollments",
            "--sequence",
            &f.seq_a.id.to_string(),
            "--status",
            "active",
        ],
    )
    .json();
    assert_eq!(active.as_array().unwrap().len(), 5);
    let ended = run(
        &f.path,
        &[
            "--json",
            "enrollments",
            "--sequence",
            "1",
            "--status",
            "unenrolled",
        ],
    )
    .json();
    assert_eq!(ended[0]["end_reason"], "converted");
    let found = run(
        &f.path,
        &[
            "--json",
            "enrollments",
            "--sequence",
            "1",
            "--search",
            "FIRST0002",
        ],
    )
    .json();
    assert_eq!(found.as_array().unwrap().len(), 1);
    let text = run(&f.path, &["enrollments", "--sequence", "1", "--limit", "2"]);
    assert_eq!(text.stdout.lines().count(), 3, "{}", text.stdout);
    let bad = run(
        &f.path,
        &["enrollments", "--sequence", "1", "--status", "gone"],
    );
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("unknown status 'gone'"),
        "{}",
        bad.stderr
    );
}

#[test]
fn unknown_sequence_and_contact_are_not_found() {
    let f = fixture(1);
    let r = run(&f.path, &["enrollments", "--sequence", "Nope"]);
    assert_eq!(r.code, 4);
    one_sentence(&r.stderr);
    assert!(r.stderr.contains("no sequence 'Nope'"));
    let r = run(&f.path, &["contact", "nobody@x.example"]);
    assert_eq!(r.code, 4);
    assert!(r.stderr.contains("no contact"));
}

/// A file a command is given that is not there is "not found" (exit 4),
/// the same for every command that reads one, before anything is read.
#[test]
fn a_missing_input_file_is_not_found_for_every_command() {
    let f = fixture(1);
    let missing = f.dir.path().join("nosuch.csv");
    let missing = missing.to_str().unwrap();
    for args in [
        vec!["import", "contacts", missing],
        vec!["enroll", "--sequence", "Alpha Outbound", "--csv", missing],
        vec!["sequence", "apply", missing],
        vec!["ingest", missing],
    ] {
        let r = run(&f.path, &args);
        assert_eq!(r.code, 4, "{args:?}: {}", r.stderr);
        one_sentence(&r.stderr);
        assert!(r.stderr.contains("nosuch.csv"), "{args:?}: {}", r.stderr);
    }
}

#[test]
fn contact_shows_enrollments_schedule_tasks_and_timeline() {
    let (f, ids) = enrolled(3);
    run(
        &f.path,
        &[
            "unenroll",
            "--enrollment",
            &ids[0].to_string(),
            "--reason",
            "not_a_fit",
            "--note",
            "too small",
        ],
    );
    let email = "contact0000@acme0.example";
    let c = run(&f.path, &["--json", "contact", email]).json();
    for key in [
        "id",
        "email",
        "first_name",
        "last_name",
        "company",
        "owner",
        "opted_out",
    ] {
        assert!(c.get(key).is_some(), "missing {key}");
    }
    assert_eq!(c["email"], email);
    assert_eq!(c["owner"], "ann@team.example");
    assert_eq!(c["opted_out"], false);
    let e = &c["enrollments"][0];
    assert_eq!(e["status"], "unenrolled");
    assert_eq!(e["note"], "too small");
    assert_eq!(e["scheduled"][0]["state"], "cancelled");
    assert!(e["scheduled"][0].get("due_at").is_some() && e["scheduled"][0].get("kind").is_some());
    assert!(e["tasks"].is_array());
    let t = &c["timeline"][0];
    assert_eq!(t["type"], "unenrolled");
    assert_eq!(t["sequence"], "Alpha Outbound");
    assert!(
        t["detail"]
            .as_str()
            .unwrap()
            .contains("not_a_fit by Ada Admin: too small"),
        "{t}"
    );
    let text = run(&f.path, &["contact", &c["id"].to_string()]);
    assert_eq!(text.code, 0);
    assert!(text.stdout.contains("First0000") && text.stdout.contains("Timeline"));
    assert!(
        text.stdout.lines().all(|l| l == l.trim_end()),
        "no trailing spaces: {:?}",
        text.stdout
    );

    // An event with no detail (an open): `null`, never "".
    raw(&f.path)
        .execute(
            "INSERT INTO events(contact_id, enrollment_id, sequence_id, type, at)
             VALUES (?1, ?2, ?3, 'open', '2026-11-01T10:00:00Z')",
            rusqlite::params![c["id"].as_i64().unwrap(), ids[0], f.seq_a.id],
        )
        .unwrap();
    let c = run(&f.path, &["--json", "contact", email]).json();
    let open = c["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["type"] == "open")
        .unwrap()
        .clone();
    assert_eq!(open["detail"], serde_json::Value::Null, "{open}");
}

#[test]
fn enroll_applies_r1_and_r2() {
    let mut f = fixture(3);
    f.ws.opt_out(f.c[2], "test").unwrap();
    let r = run(
        &f.path,
        &[
            "--json",
            "--as",
            "ann@team.example",
            "enroll",
            "--sequence",
            "Alpha Outbound",
            "--contact",
            "contact0000@acme0.example",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["enrolled"].as_array().unwrap().len(), 1);
    let again = run(
        &f.path,
        &[
            "enroll",
            "--sequence",
            "Beta Nurture",
            "--contact",
            "contact0000@acme0.example",
        ],
    );
    assert_eq!(again.code, 3);
    assert!(
        again
            .stderr
            .contains("already enrolled in 'Alpha Outbound'"),
        "{}",
        again.stderr
    );
    let opted = run(
        &f.path,
        &[
            "enroll",
            "--sequence",
            "Beta Nurture",
            "--contact",
            "contact0002@acme2.example",
        ],
    );
    assert_eq!(opted.code, 3);
    assert!(opted.stderr.contains("opted out"));
    let missing = run(
        &f.path,
        &[
            "enroll",
            "--sequence",
            "Beta Nurture",
            "--contact",
            "zz@zz.example",
        ],
    );
    assert_eq!(missing.code, 4);
}

#[test]
fn unenroll_one_json_shape_and_repeat_is_harmless() {
    let (f, ids) = enrolled(2);
    let id = ids[0].to_string();
    let r = run(
        &f.path,
        &[
            "--json",
            "unenroll",
            "--enrollment",
            &id,
            "--reason",
            "not_a_fit",
            "--note",
            "n",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["dry_run"], false);
    assert_eq!(j["unenrolled"], serde_json::json!([ids[0]]));
    assert_eq!(j["skipped"], serde_json::json!([]));
    assert_eq!(j["emails_cancelled"], 2);
    assert_eq!(j["tasks_removed"], 0);
    assert!(j["batch"].as_str().unwrap().starts_with('B'));
    let again = run(
        &f.path,
        &[
            "--json",
            "unenroll",
            "--enrollment",
            &id,
            "--reason",
            "not_a_fit",
        ],
    );
    assert_eq!(again.code, 0);
    let j = again.json();
    assert_eq!(j["batch"], Value::Null);
    assert_eq!(j["skipped"][0]["why"], "already unenrolled (not_a_fit)");
}

#[test]
fn bulk_unenroll_needs_yes_without_a_terminal_and_dry_run_changes_nothing() {
    let (f, _) = enrolled(5);
    let args = [
        "unenroll",
        "--sequence",
        "Alpha Outbound",
        "--all",
        "--reason",
        "campaign_ended",
    ];
    let refused = run(&f.path, &args);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    one_sentence(&refused.stderr);
    assert!(refused.stderr.contains("--yes"), "{}", refused.stderr);
    let dry = run(
        &f.path,
        &[&["--json"][..], &args[..], &["--dry-run"]].concat(),
    )
    .json();
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["unenrolled"].as_array().unwrap().len(), 5);
    assert_eq!(dry["emails_cancelled"], 10);
    let still = run(
        &f.path,
        &[
            "--json",
            "enrollments",
            "--sequence",
            "1",
            "--status",
            "active",
        ],
    )
    .json();
    assert_eq!(still.as_array().unwrap().len(), 5);
    let done = run(&f.path, &[&["--json"][..], &args[..], &["--yes"]].concat());
    assert_eq!(done.code, 0, "{}", done.stderr);
    assert_eq!(done.json()["unenrolled"], dry["unenrolled"]);
    let left = run(
        &f.path,
        &[
            "--json",
            "enrollments",
            "--sequence",
            "1",
            "--status",
            "active",
        ],
    )
    .json();
    assert_eq!(left.as_array().unwrap().len(), 0);
    check_invariants(&f.path);
}

#[test]
fn unenroll_by_contact_in_a_sequence() {
    let (f, ids) = enrolled(3);
    let r = run(
        &f.path,
        &[
            "--json",
            "unenroll",
            "--sequence",
            "Alpha Outbound",
            "--contact",
            "contact0001@acme1.example",
            "--reason",
            "new_context",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["unenrolled"], serde_json::json!([ids[1]]));
    let none = run(
        &f.path,
        &[
            "unenroll",
            "--sequence",
            "Beta Nurture",
            "--contact",
            "contact0001@acme1.example",
            "--reason",
            "other",
        ],
    );
    assert_eq!(none.code, 4);
    assert!(none.stderr.contains("is not enrolled in 'Beta Nurture'"));
}

#[test]
fn unknown_reason_and_bad_clock_are_usage_errors() {
    let (f, ids) = enrolled(1);
    let r = run(
        &f.path,
        &[
            "unenroll",
            "--enrollment",
            &ids[0].to_string(),
            "--reason",
            "bored",
        ],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("unknown end reason 'bored'"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("not_a_fit"));
    let missing = run(&f.path, &["unenroll", "--enrollment", &ids[0].to_string()]);
    assert_eq!(missing.code, 2);
    let clock = Command::cargo_bin("seqtui")
        .unwrap()
        .args([
            "--db",
            f.path.to_str().unwrap(),
            "--now",
            "yesterday",
            "sequences",
        ])
        .output()
        .unwrap();
    assert_eq!(clock.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&clock.stderr).contains("is not a time"));
    assert_eq!(
        f.ws.enrollment(ids[0]).unwrap().status,
        seqtui::domain::Status::Active
    );
}

#[test]
fn permission_refused_exits_3_and_says_who_may() {
    let (f, ids) = enrolled(2);
    // contact 1 is owned by bob and was enrolled by ann; wes is in West
    let r = run(
        &f.path,
        &[
            "--as",
            "wes@team.example",
            "unenroll",
            "--enrollment",
            &ids[1].to_string(),
            "--reason",
            "other",
        ],
    );
    assert_eq!(r.code, 3, "{}", r.stdout);
    one_sentence(&r.stderr);
    assert!(
        r.stderr.contains("not permitted: only Ann Rep"),
        "{}",
        r.stderr
    );
    assert_eq!(
        f.ws.enrollment(ids[1]).unwrap().status,
        seqtui::domain::Status::Active
    );
    let env = seqtui(&f.path)
        .env("SEQTUI_USER", "bob@team.example")
        .args([
            "--json",
            "unenroll",
            "--enrollment",
            &ids[1].to_string(),
            "--reason",
            "other",
        ])
        .output()
        .unwrap();
    assert_eq!(env.status.code(), Some(0), "SEQTUI_USER picks the owner");
}

#[test]
fn import_contacts_maps_crm_columns_updates_and_is_all_or_nothing() {
    let f = fixture(1);
    let dir = f.dir.path();
    let good = dir.join("hubspot.csv");
    std::fs::write(
        &good,
        "First Name,Last Name,Email,Company Name,Job Title,Contact owner,Lifecycle Stage\n\
         Zoë,O'Brien,zoe@new.example,\"New Co, Inc.\",CTO,ann@team.example,Customer\n\
         Li,Wei,li@new.example,New Co,,,\n",
    )
    .unwrap();
    let r = run(
        &f.path,
        &["--json", "import", "contacts", good.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let counts = |r: &Run| {
        let j = r.json();
        (
            j["created"].clone(),
            j["updated"].clone(),
            j["unchanged"].clone(),
        )
    };
    assert_eq!(counts(&r), (2.into(), 0.into(), 0.into()));
    let zoe = run(&f.path, &["--json", "contact", "zoe@new.example"]).json();
    assert_eq!(zoe["last_name"], "O'Brien");
    assert_eq!(zoe["company"], "New Co, Inc.");
    assert_eq!(zoe["owner"], "ann@team.example");
    assert_eq!(zoe["lifecycle_stage"], "customer");

    let snake = dir.join("snake.csv");
    std::fs::write(
        &snake,
        "email,first_name,last_name,company,title\nZOE@new.example,Zoe,OBrien,New Co,CEO\n",
    )
    .unwrap();
    let r = run(
        &f.path,
        &["--json", "import", "contacts", snake.to_str().unwrap()],
    );
    assert_eq!(counts(&r), (0.into(), 1.into(), 0.into()));
    let zoe = run(&f.path, &["--json", "contact", "zoe@new.example"]).json();
    assert_eq!(zoe["title"], "CEO");
    assert_eq!(
        zoe["owner"], "ann@team.example",
        "an absent column keeps the owner"
    );

    let count = || -> i64 {
        raw(&f.path)
            .query_row("SELECT count(*) FROM contacts", [], |r| r.get(0))
            .unwrap()
    };
    let before = count();
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "Email,First Name\nok1@x.example,A\nnot-an-email,B\nok2@x.example,C\n",
    )
    .unwrap();
    let r = run(&f.path, &["import", "contacts", bad.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    one_sentence(&r.stderr);
    assert!(r.stderr.contains("line 3, column 'Email'"), "{}", r.stderr);
    assert_eq!(count(), before, "nothing imported");

    let ragged = dir.join("ragged.csv");
    std::fs::write(
        &ragged,
        "Email,First Name\nok1@x.example,A\nok2@x.example,B,extra\n",
    )
    .unwrap();
    let r = run(&f.path, &["import", "contacts", ragged.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("line 3"), "{}", r.stderr);
    assert!(r.stderr.contains("nothing was imported"));
    assert_eq!(count(), before);

    let owner = dir.join("owner.csv");
    std::fs::write(
        &owner,
        "Email,Contact owner\nok1@x.example,ghost@team.example\n",
    )
    .unwrap();
    let r = run(&f.path, &["import", "contacts", owner.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("line 2, column 'Contact owner'"),
        "{}",
        r.stderr
    );

    let no_email = dir.join("noemail.csv");
    std::fs::write(&no_email, "Name\nA\n").unwrap();
    assert_eq!(
        run(&f.path, &["import", "contacts", no_email.to_str().unwrap()]).code,
        2
    );
    assert_eq!(count(), before);
}

#[test]
fn audit_lists_newest_first_and_filters_by_time() {
    let (f, ids) = enrolled(2);
    let r = seqtui(&f.path)
        .args([
            "--now",
            "2026-11-03T10:00:00Z",
            "unenroll",
            "--enrollment",
            &ids[0].to_string(),
        ])
        .args(["--reason", "stale", "--note", "quiet for weeks"])
        .output()
        .unwrap();
    assert!(r.status.success());
    let all = run(&f.path, &["--json", "audit"]).json();
    assert_eq!(all[0]["action"], "unenroll");
    assert_eq!(all[0]["reason"], "stale");
    assert_eq!(all[0]["note"], "quiet for weeks");
    assert_eq!(all[0]["at"], "2026-11-03T10:00:00Z");
    assert_eq!(all[0]["enrollments"], serde_json::json!([ids[0]]));
    let since = run(&f.path, &["--json", "audit", "--since", "2026-11-03"]).json();
    assert_eq!(since.as_array().unwrap().len(), 1);
    let text = run(&f.path, &["audit"]);
    assert!(text.stdout.starts_with("AT"));
    assert!(text.stdout.contains("quiet for weeks"));
}

#[test]
fn terminal_escapes_in_data_are_neutralised_in_tables() {
    let f = fixture(1);
    let csv = f.dir.path().join("evil.csv");
    std::fs::write(
        &csv,
        "Email,First Name,Company\nevil@x.example,\"\x1b[31mRed\",\"Acme\x07\"\n",
    )
    .unwrap();
    assert_eq!(
        run(&f.path, &["import", "contacts", csv.to_str().unwrap()]).code,
        0
    );
    let out = run(&f.path, &["contact", "evil@x.example"]);
    assert!(!out.stdout.contains('\x1b') && !out.stdout.contains('\x07'));
    assert!(out.stdout.contains("Red"));
    let json = run(&f.path, &["--json", "contact", "evil@x.example"]).json();
    assert_eq!(json["first_name"], "\u{1b}[31mRed", "stored verbatim");
}

#[test]
fn demo_builds_refuses_to_replace_and_replaces_with_force() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let built = run(&db, &["--json", "demo", "--contacts", "60", "--seed", "7"]);
    assert_eq!(built.code, 0, "{}", built.stderr);
    let report = built.json();
    assert_eq!(report["contacts"], 60);
    assert_eq!(report["users"], 11);
    assert_eq!(report["sequences"], 12);
    assert!(report["enrollments"].as_i64().unwrap() >= 60);
    let users = run(&db, &["--json", "users"]).json();
    assert!(
        users
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["role"] == "manager")
    );
    let before = std::fs::read(&db).unwrap();
    let again = run(&db, &["demo", "--contacts", "60"]);
    assert_eq!(again.code, 3);
    one_sentence(&again.stderr);
    assert!(
        again.stderr.contains("already exists; pass --force"),
        "{}",
        again.stderr
    );
    assert_eq!(std::fs::read(&db).unwrap(), before, "left untouched");
    let forced = run(&db, &["--json", "demo", "--contacts", "30", "--force"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_eq!(forced.json()["contacts"], 30);
    let contacts: i64 = raw(&db)
        .query_row("SELECT count(*) FROM contacts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(contacts, 30);
}
