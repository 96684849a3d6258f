//! R19 through the built binary: the sending window in the sequence's
//! time zone (across daylight-saving changes), business days, the daily
//! cap per sender, what `run --json` says of deferrals; List-Unsubscribe
//! headers with a per-enrollment token, `{{unsubscribe_url}}`, and
//! unsubscribe requests read by `ingest` (a mail to the mailto address, a
//! JSON Lines event with the token).

mod common;

use std::path::{Path, PathBuf};

use common::cli::{Run, output, seqtui_at};
use common::{fixture, raw, sqlite_fixture};
use serde_json::Value;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn at(db: &Path, now: &str, args: &[&str]) -> Run {
    output(seqtui_at(db, now).args(args))
}

fn ok(r: Run) -> Run {
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    r
}

/// A two-email sequence (the second 2 days after the first) with these
/// settings lines, applied by the admin.
fn sequence(db: &Path, name: &str, settings: &str, body: &str) {
    let dir = common::cli::home(db);
    std::fs::create_dir_all(&dir).unwrap();
    let file = write(
        &dir,
        &format!("{}.toml", name.replace(' ', "_")),
        &format!(
            "name = \"{name}\"\n[settings]\n{settings}\n\
             [[steps]]\nkind = \"auto_email\"\ndelay_days = 0\nsubject = \"Hello {{{{first_name}}}}\"\nbody = \"{body}\"\n\
             [[steps]]\nkind = \"auto_email\"\ndelay_days = 2\nbody = \"Following up\"\n"
        ),
    );
    ok(at(
        db,
        "2026-10-01T09:00:00Z",
        &["sequence", "apply", "--yes", file.to_str().unwrap()],
    ));
}

fn enroll(db: &Path, now: &str, sequence: &str, contact: &str) {
    ok(at(
        db,
        now,
        &["enroll", "--sequence", sequence, "--contact", contact],
    ));
}

fn run_json(db: &Path, now: &str, rules: Option<&Path>) -> Value {
    let mut cmd = seqtui_at(db, now);
    if let Some(rules) = rules {
        cmd.arg("--rules").arg(rules);
    }
    let r = ok(output(cmd.args(["--json", "run"])));
    r.json()
}

fn email(i: usize) -> String {
    format!("contact{i:04}@acme{}.example", i % 7)
}

/// Due times of an enrollment's scheduled steps, by position.
fn due_times(db: &Path, contact: &str) -> Vec<(i64, String, String)> {
    let conn = raw(db);
    let mut stmt = conn
        .prepare(
            "SELECT ss.position, ss.due_at, ss.state FROM scheduled_steps ss
             JOIN enrollments e ON e.id = ss.enrollment_id JOIN contacts c ON c.id = e.contact_id
             WHERE c.email = ?1 ORDER BY ss.position",
        )
        .unwrap();
    stmt.query_map([contact], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn outbox_files(db: &Path) -> Vec<String> {
    let dir = common::cli::outbox_of(db).join("new");
    let mut files: Vec<String> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

fn header(message: &str, name: &str) -> Option<String> {
    let head = message.split("\r\n\r\n").next().unwrap();
    let mut lines = head.split("\r\n").peekable();
    while let Some(line) = lines.next() {
        if let Some((n, v)) = line.split_once(':')
            && n.eq_ignore_ascii_case(name)
        {
            let mut value = v.trim().to_string();
            while lines.peek().is_some_and(|l| l.starts_with(' ')) {
                value.push(' ');
                value.push_str(lines.next().unwrap().trim());
            }
            return Some(value);
        }
    }
    None
}

fn sent_to(db: &Path) -> Vec<String> {
    let conn = raw(db);
    let mut stmt = conn
        .prepare(
            "SELECT c.email FROM sent_emails se JOIN enrollments e ON e.id = se.enrollment_id
             JOIN contacts c ON c.id = e.contact_id ORDER BY se.id",
        )
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn a_step_due_on_saturday_goes_out_monday_at_0800_in_berlin_across_the_dst_change() {
    let f = fixture(2);
    sequence(&f.path, "Berlin", "time_zone = \"Europe/Berlin\"", "Hi");
    // Saturday 24 October 2026, 12:00 in Berlin (CEST, +02:00); the clocks
    // go back on Sunday, so Monday 08:00 is 07:00 UTC.
    enroll(&f.path, "2026-10-24T10:00:00Z", "Berlin", &email(0));
    let report = run_json(&f.path, "2026-10-24T10:00:00Z", None);
    assert_eq!(report["emails_sent"], 0, "{report}");
    assert_eq!(report["deferred"], 1, "{report}");
    assert_eq!(report["deferred_by"]["window"], 1, "{report}");
    assert_eq!(report["deferred_until"], "2026-10-26T07:00:00Z", "{report}");
    let due = due_times(&f.path, &email(0));
    assert_eq!(due[0].1, "2026-10-26T07:00:00Z");
    // The second email keeps its spacing: it moves by as much (1 day 21
    // hours), from Monday 10:00 UTC to Wednesday 07:00 UTC.
    assert_eq!(due[1].1, "2026-10-28T07:00:00Z");
    // The deferred steps' enrollment sorts by its new due time (issue 14).
    common::check_invariants(&f.path);
    // A minute before the window opens: nothing; at 08:00 Berlin: sent.
    let early = run_json(&f.path, "2026-10-26T06:59:00Z", None);
    assert_eq!(
        (early["emails_sent"].as_u64(), early["deferred"].as_u64()),
        (Some(0), Some(0)),
        "{early}"
    );
    let monday = run_json(&f.path, "2026-10-26T07:00:00Z", None);
    assert_eq!(monday["emails_sent"], 1, "{monday}");
}

#[test]
fn a_step_due_on_saturday_goes_out_monday_at_0800_in_new_york_across_the_dst_change() {
    let f = fixture(2);
    sequence(
        &f.path,
        "New York",
        "time_zone = \"America/New_York\"",
        "Hi",
    );
    // Saturday 31 October 2026, 11:00 EDT (-04:00); the clocks go back on
    // Sunday 1 November, so Monday 08:00 EST is 13:00 UTC.
    enroll(&f.path, "2026-10-31T15:00:00Z", "New York", &email(1));
    let report = run_json(&f.path, "2026-10-31T15:00:00Z", None);
    assert_eq!(report["deferred"], 1, "{report}");
    assert_eq!(report["deferred_until"], "2026-11-02T13:00:00Z", "{report}");
    assert_eq!(
        run_json(&f.path, "2026-11-02T12:59:59Z", None)["emails_sent"],
        0
    );
    assert_eq!(
        run_json(&f.path, "2026-11-02T13:00:00Z", None)["emails_sent"],
        1
    );
}

#[test]
fn a_step_due_at_19_00_waits_for_the_next_morning_and_tasks_do_not_wait() {
    let f = fixture(2);
    sequence(&f.path, "Evening", "sending_window = \"08:00-18:00\"", "Hi");
    // Tuesday 19:00 UTC (the sequence's zone is UTC by default).
    enroll(&f.path, "2026-11-03T19:00:00Z", "Evening", &email(0));
    // A call step due on Saturday is a task created on Saturday.
    enroll(&f.path, "2026-11-07T10:00:00Z", "Alpha Outbound", &email(1));
    let report = run_json(&f.path, "2026-11-03T19:00:00Z", None);
    assert_eq!(report["deferred"], 1, "{report}");
    assert_eq!(report["deferred_until"], "2026-11-04T08:00:00Z", "{report}");
    let text = ok(at(&f.path, "2026-11-03T19:30:00Z", &["run"]));
    assert!(text.stdout.contains("Sent 0 emails"), "{}", text.stdout);
    let morning = run_json(&f.path, "2026-11-04T08:00:00Z", None);
    assert_eq!(morning["emails_sent"], 1, "{morning}");
    assert_eq!(sent_to(&f.path), vec![email(0)]);
    // Alpha Outbound's first step is an email (held on Saturday), its
    // second a call: due Monday + 2 days, created then whatever the hour.
    // Evening's follow-up, due Friday 08:00 (Thursday 19:00 moved by the
    // same 13 hours), was not run on Friday: it waits for Monday too.
    let saturday = run_json(&f.path, "2026-11-07T10:00:00Z", None);
    assert_eq!(saturday["deferred"], 2, "{saturday}");
    assert_eq!(
        saturday["deferred_until"], "2026-11-09T08:00:00Z",
        "{saturday}"
    );
    let monday = run_json(&f.path, "2026-11-09T08:00:00Z", None);
    assert_eq!(monday["emails_sent"], 2, "{monday}");
    let night = run_json(&f.path, "2026-11-11T23:00:00Z", None);
    assert_eq!(
        (night["tasks_created"].as_u64(), night["deferred"].as_u64()),
        (Some(1), Some(0)),
        "{night}"
    );
}

#[test]
fn the_daily_cap_sends_two_a_day_in_due_order() {
    let f = fixture(6);
    let rules = write(f.dir.path(), "rules.toml", "[sending]\ndaily_cap = 2\n");
    sequence(&f.path, "Capped", "", "Hi");
    // Enrolled in the reverse of their due order: the first enrolled is
    // due last (ids do not follow due times).
    for (i, minute) in [(1, 50), (2, 40), (3, 30), (4, 20), (5, 10)] {
        enroll(
            &f.path,
            &format!("2026-11-02T08:{minute}:00Z"),
            "Capped",
            &email(i),
        );
    }
    let monday = run_json(&f.path, "2026-11-02T09:00:00Z", Some(&rules));
    assert_eq!(monday["emails_sent"], 2, "{monday}");
    assert_eq!(monday["deferred"], 3, "{monday}");
    assert_eq!(monday["deferred_by"]["cap"], 3, "{monday}");
    assert_eq!(monday["deferred_until"], "2026-11-03T08:00:00Z", "{monday}");
    assert_eq!(sent_to(&f.path), vec![email(5), email(4)]);
    // A second run the same day sends nothing more.
    let again = run_json(&f.path, "2026-11-02T10:00:00Z", Some(&rules));
    assert_eq!(again["emails_sent"], 0, "{again}");
    let tuesday = run_json(&f.path, "2026-11-03T08:00:00Z", Some(&rules));
    assert_eq!(tuesday["emails_sent"], 2, "{tuesday}");
    assert_eq!(tuesday["deferred"], 1, "{tuesday}");
    assert_eq!(
        sent_to(&f.path),
        vec![email(5), email(4), email(3), email(2)]
    );
    let wednesday = run_json(&f.path, "2026-11-04T08:00:00Z", Some(&rules));
    assert_eq!(wednesday["emails_sent"], 1, "{wednesday}");
    assert_eq!(sent_to(&f.path).last(), Some(&email(1)));
    // The held enrollment's second email kept its 2-day spacing.
    let due = due_times(&f.path, &email(1));
    assert_eq!(due[1].1, "2026-11-06T08:00:00Z", "{due:?}");
    common::check_invariants(&f.path);
}

/// One sender with sequences in two zones: the cap counts every email of
/// the sender in the day of each zone, whichever sequence sent it (R19),
/// not a cap per zone.
#[test]
fn the_daily_cap_counts_a_senders_emails_across_the_zones_of_their_sequences() {
    let f = fixture(6);
    let rules = write(f.dir.path(), "rules.toml", "[sending]\ndaily_cap = 3\n");
    sequence(&f.path, "In London", "time_zone = \"Europe/London\"", "Hi");
    sequence(&f.path, "In Berlin", "time_zone = \"Europe/Berlin\"", "Hi");
    for i in 0..3 {
        enroll(&f.path, "2026-11-02T08:00:00Z", "In London", &email(i));
        enroll(&f.path, "2026-11-02T08:00:00Z", "In Berlin", &email(i + 3));
    }
    let monday = run_json(&f.path, "2026-11-02T10:00:00Z", Some(&rules));
    assert_eq!(monday["emails_sent"], 3, "{monday}");
    assert_eq!(monday["deferred_by"]["cap"], 3, "{monday}");
    assert_eq!(sent_to(&f.path).len(), 3);
    common::check_invariants(&f.path);
}

fn tokens(db: &Path) -> Vec<String> {
    let conn = raw(db);
    let mut stmt = conn
        .prepare("SELECT unsubscribe_token FROM enrollments WHERE unsubscribe_token IS NOT NULL ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn every_email_carries_list_unsubscribe_with_its_enrollments_token() {
    let f = fixture(3);
    sequence(
        &f.path,
        "Footer",
        "",
        "Hi {{first_name}}. Unsubscribe: {{unsubscribe_url}}",
    );
    enroll(&f.path, "2026-11-02T09:00:00Z", "Footer", &email(0));
    enroll(&f.path, "2026-11-02T09:00:00Z", "Footer", &email(1));
    run_json(&f.path, "2026-11-02T09:00:00Z", None);
    let files = outbox_files(&f.path);
    assert_eq!(files.len(), 2);
    let tokens = tokens(&f.path);
    assert_eq!(tokens.len(), 2);
    assert_ne!(tokens[0], tokens[1]);
    for t in &tokens {
        assert!(
            t.len() >= 32 && t.chars().all(|c| c.is_ascii_hexdigit()),
            "{t}"
        );
    }
    for m in &files {
        let value = header(m, "List-Unsubscribe").expect("a List-Unsubscribe header");
        let token = tokens
            .iter()
            .find(|t| value.contains(t.as_str()))
            .expect("its token");
        assert_eq!(value, format!("<mailto:unsubscribe+{token}@team.example>"));
        assert_eq!(header(m, "List-Unsubscribe-Post"), None);
        assert!(
            m.contains(&format!(
                "Unsubscribe: mailto:unsubscribe+{token}@team.example"
            )),
            "{m}"
        );
    }
    // The follow-up carries the same token.
    run_json(&f.path, "2026-11-04T09:00:00Z", None);
    let files = outbox_files(&f.path);
    assert_eq!(files.len(), 4);
    for m in &files {
        let value = header(m, "List-Unsubscribe").unwrap();
        assert!(tokens.iter().any(|t| value.contains(t.as_str())), "{value}");
    }
    assert_eq!(self::tokens(&f.path), tokens);
}

#[test]
fn with_an_unsubscribe_url_the_one_click_pair_is_there_too() {
    let f = fixture(2);
    let rules = write(
        f.dir.path(),
        "rules.toml",
        "[unsubscribe]\ndomain = \"lists.example.org\"\nurl = \"https://example.org/u?list=sales\"\n",
    );
    sequence(&f.path, "Footer", "", "Bye: {{unsubscribe_url}}");
    enroll(&f.path, "2026-11-02T09:00:00Z", "Footer", &email(0));
    run_json(&f.path, "2026-11-02T09:00:00Z", Some(&rules));
    let files = outbox_files(&f.path);
    assert_eq!(files.len(), 1);
    let token = &tokens(&f.path)[0];
    let m = &files[0];
    assert_eq!(
        header(m, "List-Unsubscribe").unwrap(),
        format!(
            "<https://example.org/u?list=sales&token={token}>, <mailto:unsubscribe+{token}@lists.example.org>"
        )
    );
    assert_eq!(
        header(m, "List-Unsubscribe-Post").unwrap(),
        "List-Unsubscribe=One-Click"
    );
    assert!(
        m.contains(&format!(
            "Bye: https://example.org/u?list=sales&token={token}"
        )),
        "{m}"
    );
}

fn contact_state(db: &Path, contact: &str) -> (Option<String>, Option<String>, i64) {
    raw(db)
        .query_row(
            "SELECT c.opted_out_at, c.opted_out_via,
                (SELECT count(*) FROM enrollments e WHERE e.contact_id = c.id AND e.status IN ('active', 'paused'))
             FROM contacts c WHERE c.email = ?1",
            [contact],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
}

fn ingest(db: &Path, file: &Path) -> Value {
    ok(at(
        db,
        "2026-11-02T12:00:00Z",
        &["--json", "ingest", file.to_str().unwrap()],
    ))
    .json()["items"]
        .clone()
}

#[test]
fn a_mail_to_the_unsubscribe_address_or_an_event_with_the_token_opts_out() {
    let f = fixture(3);
    sequence(&f.path, "Footer", "", "Hi");
    for i in 0..3 {
        enroll(&f.path, "2026-11-02T09:00:00Z", "Footer", &email(i));
    }
    run_json(&f.path, "2026-11-02T09:00:00Z", None);
    let token_of = |contact: &str| -> String {
        raw(&f.path)
            .query_row(
                "SELECT e.unsubscribe_token FROM enrollments e JOIN contacts c ON c.id = e.contact_id
                 WHERE c.email = ?1",
                [contact],
                |r| r.get(0),
            )
            .unwrap()
    };
    let dir = f.dir.path();
    // A wrong token (well formed) does nothing.
    let wrong = write(
        dir,
        "wrong.eml",
        &format!(
            "From: someone@else.example\r\nTo: <unsubscribe+{}@team.example>\r\nSubject: unsubscribe\r\nMessage-ID: <w1@else.example>\r\n\r\nunsubscribe\r\n",
            "0".repeat(32)
        ),
    );
    let out = ingest(&f.path, &wrong);
    assert_eq!(out[0]["action"], "ignored", "{out}");
    for i in 0..3 {
        assert_eq!(contact_state(&f.path, &email(i)).2, 1);
    }
    // A mail to the mailto address (here named by Delivered-To, from any
    // sender: the token is the proof).
    let mail = write(
        dir,
        "unsub.eml",
        &format!(
            "From: mailer@provider.example\r\nTo: list@team.example\r\nDelivered-To: unsubscribe+{}@team.example\r\nSubject: unsubscribe\r\nMessage-ID: <u1@provider.example>\r\n\r\nunsubscribe\r\n",
            token_of(&email(0))
        ),
    );
    let out = ingest(&f.path, &mail);
    assert_eq!(out[0]["action"], "ended", "{out}");
    let (at0, via0, open0) = contact_state(&f.path, &email(0));
    assert!(at0.is_some());
    assert_eq!(via0.as_deref(), Some("list_unsubscribe"));
    assert_eq!(open0, 0);
    // The others are untouched.
    assert_eq!(contact_state(&f.path, &email(1)).0, None);
    // The same mail again changes nothing.
    assert_eq!(ingest(&f.path, &mail)[0]["action"], "duplicate");
    // A JSON Lines event with the token.
    let events = write(
        dir,
        "events.jsonl",
        &format!(
            "{{\"type\": \"unsubscribe\", \"id\": \"evt-9\", \"token\": \"{}\"}}\n",
            token_of(&email(1))
        ),
    );
    let out = ingest(&f.path, &events);
    assert_eq!(out[0]["action"], "ended", "{out}");
    let (at1, via1, open1) = contact_state(&f.path, &email(1));
    assert!(at1.is_some());
    assert_eq!(via1.as_deref(), Some("list_unsubscribe"));
    assert_eq!(open1, 0);
    assert_eq!(contact_state(&f.path, &email(2)).0, None);
}

#[test]
fn the_due_walk_reads_its_index_in_order_without_sorting() {
    let f = sqlite_fixture(1);
    let conn = raw(&f.path);
    let plan: Vec<String> = conn
        .prepare(&format!(
            "EXPLAIN QUERY PLAN {}",
            seqtui::store::engine::DUE_STEPS_SQL
        ))
        .unwrap()
        .query_map(
            rusqlite::params!["2026-11-02T09:00:00Z", 10, "", "", 0],
            |r| r.get::<_, String>(3),
        )
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let text = plan.join("\n");
    assert!(text.contains("scheduled_steps_queue"), "{text}");
    // The keyset continues in the index: no sort of every due row per batch.
    assert!(!text.contains("TEMP B-TREE FOR ORDER BY"), "{text}");
}
