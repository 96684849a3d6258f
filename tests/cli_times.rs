//! Times as people read them (issue 17): text and tables show a time in
//! the user's zone (`TZ`, else the rules file's `[dates] time_zone`, else
//! UTC) with the zone named; JSON keeps RFC 3339 in UTC.

mod common;

use common::cli::*;
use common::*;

/// One enrollment of contact 0 in Alpha, its first email due at the
/// fixture's now (2026-11-02 09:00 UTC), and a call task of contact 1's
/// enrollment, made by a run two days on (due 2026-11-04 09:00 UTC).
fn workspace() -> Fixture {
    let mut f = fixture(3);
    let ann = f.rep_ann.clone();
    f.ws.enroll(&ann, f.seq_a.id, &[f.c[0], f.c[1]]).unwrap();
    f
}

fn berlin(f: &Fixture, args: &[&str]) -> Run {
    output(seqtui(&f.path).env("TZ", "Europe/Berlin").args(args))
}

#[test]
fn tables_show_times_in_the_users_zone_with_the_zone() {
    let f = workspace();
    // No zone anywhere: UTC, and it says so.
    let r = run(&f.path, &["enrollments"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("2026-11-02 09:00 UTC"), "{}", r.stdout);
    // TZ: that zone's wall clock and its name.
    let r = berlin(&f, &["enrollments"]);
    assert!(r.stdout.contains("2026-11-02 10:00 CET"), "{}", r.stdout);
    assert!(!r.stdout.contains("09:00"), "{}", r.stdout);
    // Without TZ, the rules file's zone.
    let rules = f.dir.path().join("rules.toml");
    std::fs::write(&rules, "[dates]\ntime_zone = \"America/New_York\"\n").unwrap();
    let r = run(
        &f.path,
        &["--rules", rules.to_str().unwrap(), "enrollments"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("2026-11-02 04:00 EST"), "{}", r.stdout);
    // A contact's schedule and timeline too.
    let email = "contact0000@acme0.example";
    let r = berlin(&f, &["contact", email]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("due 2026-11-02 10:00 CET"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("09:00 "), "{}", r.stdout);
    // The audit log.
    let r = berlin(&f, &["audit"]);
    assert!(r.stdout.contains("2026-11-02 10:00 CET"), "{}", r.stdout);
}

#[test]
fn json_keeps_rfc3339_in_utc_whatever_the_zone() {
    let f = workspace();
    let r = berlin(&f, &["--json", "enrollments"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = r.json();
    assert_eq!(rows[0]["next_due_at"], "2026-11-02T09:00:00Z", "{rows}");
    let r = berlin(&f, &["audit", "--format", "csv"]);
    assert!(r.stdout.contains("2026-11-02T09:00:00Z"), "{}", r.stdout);
}

#[test]
fn a_snoozed_task_says_until_when_in_the_users_zone() {
    let f = workspace();
    for at in [NOW, "2026-11-04T09:00:00Z"] {
        let r = output(seqtui_at(&f.path, at).args(["run"]));
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let tasks = run(&f.path, &["--json", "tasks", "--all"]).json();
    let task = tasks[0]["id"].as_i64().expect("a call task").to_string();
    let r = output(
        seqtui_at(&f.path, "2026-11-04T09:00:00Z")
            .env("TZ", "Europe/Berlin")
            .args(["task", "snooze", &task, "--until", "2026-11-05 09:00"]),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("until 2026-11-05 09:00 CET"),
        "{}",
        r.stdout
    );
    // The queue shows it so too.
    let r = output(
        seqtui_at(&f.path, "2026-11-04T09:00:00Z")
            .env("TZ", "Europe/Berlin")
            .args(["tasks", "--all"]),
    );
    assert!(r.stdout.contains("2026-11-05 09:00 CET"), "{}", r.stdout);
}

/// `tasks --due today` is the user's today: a task due 23:30 UTC is due
/// tomorrow in Berlin (00:30 CET) and today in UTC.
#[test]
fn tasks_due_today_is_the_users_today() {
    let f = workspace();
    for at in [NOW, "2026-11-04T09:00:00Z"] {
        let r = output(seqtui_at(&f.path, at).args(["run"]));
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let tasks = run(&f.path, &["--json", "tasks", "--all"]).json();
    let task = tasks[0]["id"].as_i64().expect("a call task");
    let noon = "2026-11-04T12:00:00Z";
    let r = output(seqtui_at(&f.path, noon).args([
        "task",
        "snooze",
        &task.to_string(),
        "--until",
        "2026-11-04T23:30:00Z",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let due_today = |tz: Option<&str>| -> Vec<i64> {
        let mut cmd = seqtui_at(&f.path, noon);
        if let Some(tz) = tz {
            cmd.env("TZ", tz);
        }
        let r = output(cmd.args(["--json", "tasks", "--all", "--due", "today"]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.json()
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect()
    };
    assert!(due_today(None).contains(&task));
    assert!(due_today(Some("America/New_York")).contains(&task));
    assert!(!due_today(Some("Europe/Berlin")).contains(&task));
}
