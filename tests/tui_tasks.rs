//! The TUI's Tasks view (R18) and the notices of one's own enrollments
//! ending by themselves, driven headless on real workspace files: the keys
//! go through the keymap, the changes through the domain on worker
//! threads, and the engine runs as the built binary with `--now`.

mod common;

use std::path::Path;

use chrono::{Duration, TimeZone, Utc};
use common::cli::{home, output, seqtui_at};
use common::*;
use seqtui::domain::*;
use seqtui::tui::{Headless, Theme};

fn day(days: f64) -> String {
    let at = now() + Duration::seconds((days * 86_400.0) as i64);
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn run_engine(db: &Path, days: f64) -> serde_json::Value {
    let r = output(seqtui_at(db, &day(days)).args(["--json", "run"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.json()
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

/// Alpha (email, call +2 days, email +3 days) with the first `n` contacts
/// enrolled by Ann, sending at any hour; the engine has run on days 0 to
/// 4, so each waits at the call with an open task for Ann.
fn waiting_at_calls(contacts: usize, n: usize) -> (tempfile::TempDir, std::path::PathBuf) {
    let mut f = fixture(contacts);
    send_any_time(&f.path);
    let ids: Vec<i64> = f.c[..n].to_vec();
    assert_eq!(
        f.ws.enroll(&f.rep_ann, f.seq_a.id, &ids)
            .unwrap()
            .enrolled
            .len(),
        n
    );
    let (dir, path) = (f.dir, f.path);
    drop(f.ws);
    // The daily cap (R19: 200 a sender) spreads the first emails of a
    // large enrollment over days, and the calls after them.
    let mut created = 0;
    for d in 0..=4 {
        created += run_engine(&path, f64::from(d))["tasks_created"]
            .as_i64()
            .unwrap();
    }
    assert_eq!(created, n as i64);
    (dir, path)
}

fn ui(path: &Path, days: f64, user: &str, size: (u16, u16)) -> Headless {
    let mut h = Headless::open(
        path,
        Clock::parse(&day(days)).unwrap(),
        Some(user),
        size,
        Theme::plain(),
    )
    .unwrap();
    h.settle();
    h
}

#[test]
fn done_and_skip_in_the_tasks_view_release_the_enrollment_and_the_engine_counts_from_then() {
    let (_dir, db) = waiting_at_calls(6, 2);
    let mut h = ui(&db, 10.0, "ann@team.example", (120, 40));
    h.key("7").settle();
    let screen = h.screen();
    assert!(screen.contains("7 Tasks"), "{screen}");
    assert!(screen.contains("Call First"), "{screen}");
    assert!(
        screen.contains("! Nov 04 09:00"),
        "overdue flagged: {screen}"
    );
    assert_eq!(h.app.tasks.list.len(), 2);
    let first = h.app.tasks.list[0].clone();
    let second = h.app.tasks.list[1].clone();

    // d asks first; n changes nothing.
    h.key("d");
    assert!(h.screen().contains("Complete this task?"));
    h.key("n").settle();
    assert_eq!(h.app.tasks.list.len(), 2);

    h.key("d").key("y").settle();
    let note = h.app.note.clone().unwrap();
    assert!(
        note.text
            .starts_with("Completed 1 task; 1 enrollment moved on"),
        "{note:?}"
    );
    assert_eq!(h.app.tasks.list.len(), 1, "the queue was read again");
    let e1 = first.enrollment_id.unwrap();
    assert_eq!(due_of(&db, e1, 3), day(13.0));
    drop(h);

    // The other one skipped on day 11.
    let mut h = ui(&db, 11.0, "ann@team.example", (120, 40));
    h.key("7").settle();
    assert_eq!(h.app.tasks.list[0].id, second.id);
    h.key("s");
    assert!(h.screen().contains("Skip this task?"));
    h.key("y").settle();
    assert!(h.screen().contains("No open tasks"), "{}", h.screen());
    let e2 = second.enrollment_id.unwrap();
    assert_eq!(due_of(&db, e2, 3), day(14.0));
    drop(h);

    // The engine sends each last email its delay after the task, no sooner.
    assert_eq!(run_engine(&db, 12.9)["emails_sent"], 0);
    let r = run_engine(&db, 13.0);
    assert_eq!(
        (r["emails_sent"].as_i64(), r["finished"].as_i64()),
        (Some(1), Some(1))
    );
    let r = run_engine(&db, 14.0);
    assert_eq!(
        (r["emails_sent"].as_i64(), r["finished"].as_i64()),
        (Some(1), Some(1))
    );
}

#[test]
fn snooze_picks_tomorrow_at_nine_in_the_sequence_zone_and_the_enrollment_keeps_waiting() {
    let (_dir, db) = waiting_at_calls(3, 1);
    raw(&db)
        .execute("UPDATE sequences SET time_zone = 'America/New_York'", [])
        .unwrap();
    // Day 10 is Thursday 2026-11-12, 09:00 UTC (04:00 in New York).
    let mut h = ui(&db, 10.0, "ann@team.example", (120, 40));
    h.key("7").settle().key("z");
    let screen = h.screen();
    assert!(
        screen.contains("Snooze until (America/New_York time"),
        "{screen}"
    );
    assert!(screen.contains("In 3 hours"), "{screen}");
    h.key("j").key("y").settle();
    let task = h.app.tasks.list[0].clone();
    // Tomorrow 09:00 in New York (EST, UTC-5) is 14:00 UTC.
    assert_eq!(
        task.due_at,
        Utc.with_ymd_and_hms(2026, 11, 13, 14, 0, 0).unwrap()
    );
    assert!(!task.overdue);
    assert!(
        h.app
            .note
            .as_ref()
            .unwrap()
            .text
            .starts_with("Snoozed 1 task until 2026-11-13 14:00"),
        "{:?}",
        h.app.note
    );
    // Still waiting at the call: nothing is sent.
    drop(h);
    assert_eq!(run_engine(&db, 20.0)["emails_sent"], 0);
}

#[test]
fn snooze_choices_are_local_times() {
    // Saturday 2026-11-14 23:30 UTC is Sunday 08:30 in Tokyo.
    let now = Utc.with_ymd_and_hms(2026, 11, 14, 23, 30, 0).unwrap();
    let choices = snooze_choices(now, "Asia/Tokyo");
    let at: Vec<_> = choices.iter().map(|c| c.1).collect();
    assert_eq!(at[0], now + Duration::hours(3));
    // Monday 09:00 in Tokyo is Monday 00:00 UTC — tomorrow and next
    // Monday are the same day here.
    assert_eq!(at[1], Utc.with_ymd_and_hms(2026, 11, 16, 0, 0, 0).unwrap());
    assert_eq!(at[2], Utc.with_ymd_and_hms(2026, 11, 16, 0, 0, 0).unwrap());
    let utc = snooze_choices(now, "not a zone");
    assert_eq!(
        utc[1].1,
        Utc.with_ymd_and_hms(2026, 11, 15, 9, 0, 0).unwrap()
    );
    assert_eq!(
        utc[2].1,
        Utc.with_ymd_and_hms(2026, 11, 16, 9, 0, 0).unwrap()
    );
}

#[test]
fn enter_opens_the_tasks_contact_and_others_see_only_their_own_queue() {
    let (_dir, db) = waiting_at_calls(6, 2);
    let mut h = ui(&db, 3.0, "ann@team.example", (120, 40));
    h.key("7").settle().key("j").key("enter").settle();
    let contact = h.app.tasks.list[1].contact_id;
    assert!(h.app.detail.open);
    assert_eq!(h.app.detail.contact_id, contact);
    let email = h.app.tasks.list[1].contact_email.clone().unwrap();
    assert!(h.screen().contains(&email), "{}", h.screen());
    h.key("esc");
    assert!(!h.app.detail.open);
    // Bob enrolled nobody: his queue is empty.
    let mut h = ui(&db, 3.0, "bob@team.example", (120, 40));
    h.key("7").settle();
    assert!(h.app.tasks.list.is_empty());
    assert!(h.screen().contains("No open tasks"));
}

#[test]
fn the_queue_is_read_a_page_at_a_time_as_the_cursor_goes_down() {
    let (_dir, db) = waiting_at_calls(450, 450);
    let mut h = ui(&db, 5.0, "ann@team.example", (120, 40));
    h.key("7").settle();
    assert_eq!(h.app.tasks.list.len(), 200, "the first page only");
    assert!(h.app.tasks.more);
    assert!(h.screen().contains("1 of 200+"), "{}", h.screen());
    h.key("G").settle();
    assert_eq!(h.app.tasks.list.len(), 400);
    h.key("G").settle();
    assert_eq!(h.app.tasks.list.len(), 450);
    assert!(!h.app.tasks.more);
    let mut ids: Vec<i64> = h.app.tasks.list.iter().map(|t| t.id).collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "no task twice across pages");
    // The page arrived after the cursor moved: G again reaches the end.
    assert!(h.screen().contains("400 of 450"), "{}", h.screen());
    h.key("G");
    assert!(h.screen().contains("450 of 450"), "{}", h.screen());
}

#[test]
fn an_automatic_end_of_my_enrollment_is_announced_anywhere_and_counted_on_activity() {
    let (_dir, db) = waiting_at_calls(6, 2);
    let mut h = ui(&db, 3.0, "ann@team.example", (120, 40));
    h.key("7").settle();
    assert!(!h.screen().contains("Activity ("));
    // Another process: the first contact replies on the thread.
    let (email, message): (String, String) = raw(&db)
        .query_row(
            "SELECT c.email, m.message_id FROM sent_emails m JOIN enrollments e ON e.id = m.enrollment_id
             JOIN contacts c ON c.id = e.contact_id ORDER BY m.id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let name: String = raw(&db)
        .query_row(
            "SELECT first_name || ' ' || last_name FROM contacts WHERE email = ?1",
            [&email],
            |r| r.get(0),
        )
        .unwrap();
    let file = home(&db).join("reply.jsonl");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(
        &file,
        format!(r#"{{"type": "reply", "email": "{email}", "in_reply_to": "{message}"}}"#) + "\n",
    )
    .unwrap();
    let r = output(seqtui_at(&db, &day(3.0)).args(["ingest", file.to_str().unwrap()]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    h.tick().settle();
    let note = h.app.note.clone().unwrap();
    assert_eq!(note.text, format!("{name} replied — Alpha Outbound ended"));
    let screen = h.screen();
    assert!(screen.contains("3 Activity (1)"), "{screen}");
    assert!(
        screen.contains("replied — Alpha Outbound ended"),
        "{screen}"
    );
    // The task of the ended enrollment left the queue.
    assert_eq!(h.app.tasks.list.len(), 1);
    // Opening Activity clears the count; m keeps only entries about
    // Ann's enrollments (or by Ann).
    h.key("3").settle();
    assert!(!h.screen().contains("Activity ("));
    let all = h.app.activity.list.len();
    h.key("m").settle();
    assert!(h.screen().contains("only about my enrollments"));
    let mine = h.app.activity.list.clone();
    assert!(
        !mine.is_empty() && mine.len() < all,
        "{} of {all}",
        mine.len()
    );
    assert!(
        mine.iter()
            .all(|a| a.actor.as_deref() == Some("ann@team.example") || !a.enrollments.is_empty())
    );
    // Bob's app said nothing: not his enrollment.
    let mut bob = ui(&db, 3.0, "bob@team.example", (120, 40));
    bob.tick().settle();
    assert!(bob.app.note.is_none(), "{:?}", bob.app.note);
}

#[test]
fn sequences_mine_shows_the_ones_i_own_or_enrolled_someone_in() {
    let (_dir, db) = waiting_at_calls(6, 2);
    let mut h = ui(&db, 3.0, "ann@team.example", (120, 40));
    let names = |h: &Headless| -> Vec<String> {
        h.app
            .sequences
            .list
            .iter()
            .map(|s| s.name.clone())
            .collect()
    };
    assert_eq!(names(&h).len(), 2);
    h.key("m").settle();
    assert_eq!(names(&h), vec!["Alpha Outbound".to_string()]);
    assert!(h.screen().contains("mine"));
    h.key("m").settle();
    assert_eq!(names(&h).len(), 2);
    // Mo owns Beta and enrolled nobody.
    let mut mo = ui(&db, 3.0, "mo@team.example", (120, 40));
    mo.key("m").settle();
    assert_eq!(names(&mo), vec!["Beta Nurture".to_string()]);
}

#[test]
fn the_enrollments_table_names_who_enrolled_each_contact_when_there_is_room() {
    let (_dir, db) = waiting_at_calls(6, 2);
    let mut h = ui(&db, 3.0, "mae@team.example", (200, 30));
    h.key("enter").settle();
    let screen = h.screen();
    let header = screen
        .lines()
        .find(|l| l.contains("Contact") && l.contains("Status"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(header.contains("Enrolled by"), "{screen}");
    let rows: Vec<&str> = screen.lines().filter(|l| l.contains("[ ]")).collect();
    assert_eq!(rows.len(), 2, "{screen}");
    assert!(rows.iter().all(|r| r.contains(" ann ")), "{screen}");
}
