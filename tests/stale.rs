//! R11, stale enrollments: the thresholds' edges (enrolled exactly N days
//! ago, activity exactly M days ago), which events count, open enrollments
//! only, custom thresholds from a rules file, keyset paging with the
//! filter, and the CLI's `enrollments --stale` and `unenroll --all --stale`.

mod common;

use std::path::Path;

use chrono::Duration;
use common::*;
use seqtui::domain::*;
use seqtui::engine::outbox::run_once;
use serde_json::Value;

fn at(t: Timestamp) -> Clock {
    Clock::Fixed(t)
}

fn ws_at(f: &Fixture, t: Timestamp) -> Workspace {
    Workspace::open(&f.path, at(t)).unwrap()
}

fn email(i: usize) -> String {
    format!("contact{i:04}@acme{}.example", i % 7)
}

/// Enrolls contacts (by index) into Alpha as Ann at `t`; their enrollment ids.
fn enroll_at(f: &Fixture, t: Timestamp, contacts: &[usize]) -> Vec<i64> {
    let ids: Vec<i64> = contacts.iter().map(|&i| f.c[i]).collect();
    let report = ws_at(f, t).enroll(&f.rep_ann, f.seq_a.id, &ids).unwrap();
    assert_eq!(report.enrolled.len(), ids.len(), "{report:?}");
    report.enrolled
}

/// Records an open (or a click) by contact `i` at `when`, as a webhook would.
fn engage(f: &Fixture, i: usize, when: Timestamp, click: bool) {
    let inbound = if click {
        Inbound::Click {
            email: Some(email(i)),
            message_id: None,
            url: "https://example.com/pricing".into(),
        }
    } else {
        Inbound::Open {
            email: Some(email(i)),
            message_id: None,
        }
    };
    let event = InboundEvent {
        id: format!("evt-{i}-{}-{click}", when.timestamp()),
        at: when,
        inbound,
    };
    let out = ws_at(f, when).apply_inbound(&event).unwrap();
    assert_eq!(out[0].action, IngestAction::Recorded, "{:?}", out[0]);
}

fn query(f: &Fixture, statuses: Vec<Status>, stale: bool) -> EnrollmentQuery {
    EnrollmentQuery {
        sequences: vec![f.seq_a.id],
        statuses,
        search: String::new(),
        stale,
        ..Default::default()
    }
}

/// The stale enrollment ids of Alpha seen at `t`, checked against the
/// rows' own `stale` flags.
fn stale_at(f: &Fixture, t: Timestamp) -> Vec<i64> {
    let ws = ws_at(f, t);
    stale_in(&ws, f)
}

fn stale_in(ws: &Workspace, f: &Fixture) -> Vec<i64> {
    let mut filtered = ws.enrollment_ids(&query(f, vec![], true)).unwrap();
    let all = ws.enrollment_ids(&query(f, vec![], false)).unwrap();
    let mut flagged: Vec<i64> = ws
        .enrollments_by_ids(&all)
        .unwrap()
        .into_iter()
        .filter(|r| r.stale)
        .map(|r| r.id)
        .collect();
    filtered.sort_unstable();
    flagged.sort_unstable();
    assert_eq!(filtered, flagged, "the filter and the rows' flags disagree");
    filtered
}

#[test]
fn enrolled_exactly_n_days_ago_is_old_enough_a_day_less_is_not() {
    let f = fixture(4);
    let t0 = now();
    let old = enroll_at(&f, t0, &[0])[0];
    let younger = enroll_at(&f, t0 + Duration::days(1), &[1])[0];
    let then = t0 + Duration::days(30);
    assert_eq!(stale_at(&f, then), vec![old]);
    // A second before the 30 days are up, nobody is stale yet.
    assert!(stale_at(&f, then - Duration::seconds(1)).is_empty());
    // A day later the younger one is too.
    assert_eq!(stale_at(&f, then + Duration::days(1)), vec![old, younger]);
}

#[test]
fn activity_exactly_m_days_ago_no_longer_counts_a_day_less_does() {
    let f = fixture(6);
    let t0 = now();
    let ids = enroll_at(&f, t0, &[0, 1, 2, 3]);
    let then = t0 + Duration::days(40);
    engage(&f, 0, then - Duration::days(14), false);
    engage(&f, 1, then - Duration::days(13), false);
    engage(&f, 2, then - Duration::days(13), true);
    // Contact 3 never engaged.
    assert_eq!(stale_at(&f, then), vec![ids[0], ids[3]]);
    // One second earlier, the open 14 days before `then` is still recent.
    assert_eq!(stale_at(&f, then - Duration::seconds(1)), vec![ids[3]]);
    let row = ws_at(&f, then).enrollment(ids[1]).unwrap();
    assert!(!row.stale);
    assert_eq!(row.last_engagement_at, Some(then - Duration::days(13)));
}

#[test]
fn a_reply_counts_an_auto_reply_does_not() {
    let mut f = fixture(4);
    let t0 = now();
    let ids = enroll_at(&f, t0, &[0, 1, 2]);
    let then = t0 + Duration::days(40);
    // A reply on a sequence thread ends the enrollment (R6), so an open
    // enrollment carries one only when it was recorded without ending it
    // (imported history); write it as such.
    raw(&f.path)
        .execute(
            "INSERT INTO events(contact_id, enrollment_id, sequence_id, type, at)
             VALUES (?1, ?2, ?3, 'reply', ?4)",
            rusqlite::params![
                f.c[0],
                ids[0],
                f.seq_a.id,
                (then - Duration::days(2))
                    .format("%Y-%m-%dT%H:%M:%SZ")
                    .to_string()
            ],
        )
        .unwrap();
    // An out-of-office reply is recorded on the enrollment and is not
    // engagement.
    f.ws = ws_at(&f, then - Duration::days(1));
    let out =
        f.ws.apply_inbound(&InboundEvent {
            id: "ooo-1".into(),
            at: then - Duration::days(1),
            inbound: Inbound::AutoReply {
                from: email(1),
                references: vec![],
                subject: "Automatic reply: away".into(),
                return_date: None,
            },
        })
        .unwrap();
    assert_eq!(out[0].enrollment, Some(ids[1]), "{:?}", out[0]);
    assert_eq!(stale_at(&f, then), vec![ids[1], ids[2]]);
}

#[test]
fn only_open_enrollments_are_stale() {
    let mut f = fixture(8);
    // The run 6 days on is a Sunday: the follow-ups go out all the same.
    common::send_any_time(&f.path);
    let t0 = now();
    let manager = f.manager_east.clone();
    f.ws.set_sequence_options(&manager, "Alpha Outbound", None, Some(true))
        .unwrap();
    let first = enroll_at(&f, t0, &[0, 1, 2]);
    ws_at(&f, t0)
        .unenroll(
            &f.rep_ann,
            &UnenrollRequest {
                enrollments: vec![first[1]],
                reason: EndReason::NotAFit,
                note: None,
                dry_run: false,
            },
        )
        .unwrap();
    // Every step of 0 and 2 runs: they finish (their call tasks done the
    // day they appear, R18).
    let outbox = f.dir.path().join("outbox");
    run_once(&mut ws_at(&f, t0 + Duration::days(2)), &outbox).unwrap();
    assert_eq!(do_all_tasks(&f.path, t0 + Duration::days(2)), 2);
    let report = run_once(&mut ws_at(&f, t0 + Duration::days(6)), &outbox).unwrap();
    assert_eq!(report.finished, 2);
    // Then 3 (stays active) and 4 (paused until well after `then`).
    let later = enroll_at(&f, t0 + Duration::days(6), &[3, 4]);
    let mut ws = ws_at(&f, t0 + Duration::days(7));
    let out = ws
        .apply_inbound(&InboundEvent {
            id: "ooo-4".into(),
            at: t0 + Duration::days(7),
            inbound: Inbound::AutoReply {
                from: email(4),
                references: vec![],
                subject: "Out of office".into(),
                return_date: Some(t0 + Duration::days(90)),
            },
        })
        .unwrap();
    assert_eq!(out[0].action, IngestAction::Paused, "{:?}", out[0]);

    let then = t0 + Duration::days(60);
    assert_eq!(stale_at(&f, then), later);
    let ws = ws_at(&f, then);
    let only = |statuses: Vec<Status>| ws.enrollment_ids(&query(&f, statuses, true)).unwrap();
    assert_eq!(only(vec![Status::Paused]), vec![later[1]]);
    assert_eq!(only(vec![Status::Active]), vec![later[0]]);
    assert!(only(vec![Status::Finished]).is_empty());
    assert!(only(vec![Status::Finished, Status::Unenrolled]).is_empty());
    let mut both = only(vec![Status::Active, Status::Finished, Status::Paused]);
    both.sort_unstable();
    assert_eq!(both, later);
    for id in [first[0], first[1], first[2]] {
        assert!(!ws.enrollment(id).unwrap().stale, "ended {id} is not stale");
    }
}

#[test]
fn custom_thresholds_change_the_result() {
    let f = fixture(4);
    let t0 = now();
    let ids = enroll_at(&f, t0, &[0, 1]);
    let then = t0 + Duration::days(10);
    engage(&f, 1, then - Duration::days(5), false);
    assert!(stale_at(&f, then).is_empty(), "defaults: 30 / 14 days");

    let file = f.dir.path().join("rules.toml");
    std::fs::write(&file, "[stale]\nafter_days = 7\nquiet_days = 3\n").unwrap();
    let mut ws = ws_at(&f, then);
    ws.set_rules(seqtui::config::read_rules(&file).unwrap());
    assert_eq!(stale_in(&ws, &f), ids, "the open 5 days ago is past 3 days");

    std::fs::write(&file, "[stale]\nafter_days = 7\nquiet_days = 6\n").unwrap();
    ws.set_rules(seqtui::config::read_rules(&file).unwrap());
    assert_eq!(stale_in(&ws, &f), vec![ids[0]]);
}

#[test]
fn keyset_pages_with_the_stale_filter_walk_the_same_ids() {
    let f = fixture(40);
    let t0 = now();
    let all: Vec<usize> = (0..40).collect();
    enroll_at(&f, t0, &all);
    let then = t0 + Duration::days(31);
    for i in (0..40).step_by(3) {
        engage(&f, i, then - Duration::days(2), i % 2 == 0);
    }
    let ws = ws_at(&f, then);
    for statuses in [
        vec![],
        vec![Status::Active],
        vec![Status::Active, Status::Paused],
    ] {
        let q = query(&f, statuses.clone(), true);
        let ids = ws.enrollment_ids(&q).unwrap();
        assert_eq!(ids.len(), 40 - 14, "{statuses:?}");
        let mut paged = Vec::new();
        let mut after: Option<PageKey> = None;
        loop {
            let page = ws.enrollment_page(&q, after.as_ref(), 7).unwrap();
            assert!(page.iter().all(|r| r.stale));
            after = page.last().map(EnrollmentRow::page_key);
            paged.extend(page.iter().map(|r| r.id));
            if page.len() < 7 {
                break;
            }
        }
        assert_eq!(paged, ids, "{statuses:?}");
    }
}

// ------------------------------------------------------------------ CLI

fn seqtui(db: &Path, now: Timestamp) -> assert_cmd::Command {
    common::cli::seqtui_at(db, &now.to_rfc3339())
}

fn json_of(cmd: &mut assert_cmd::Command) -> Value {
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn ids_of(rows: &Value) -> Vec<i64> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

#[test]
fn cli_enrollments_stale_and_unenroll_all_stale_list_the_same_ids() {
    let f = fixture(12);
    let t0 = now();
    let all: Vec<usize> = (0..12).collect();
    let ids = enroll_at(&f, t0, &all);
    let then = t0 + Duration::days(35);
    for i in [1, 4, 7] {
        engage(&f, i, then - Duration::days(3), false);
    }
    let mut expected: Vec<i64> = ids
        .iter()
        .enumerate()
        .filter(|(i, _)| ![1, 4, 7].contains(i))
        .map(|(_, id)| *id)
        .collect();
    expected.sort_unstable();

    let rows = json_of(seqtui(&f.path, then).args([
        "--json",
        "enrollments",
        "--sequence",
        "Alpha Outbound",
        "--stale",
    ]));
    let mut listed = ids_of(&rows);
    listed.sort_unstable();
    assert_eq!(listed, expected);
    assert!(rows.as_array().unwrap().iter().all(|r| r["stale"] == true));
    let everyone = json_of(seqtui(&f.path, then).args([
        "--json",
        "enrollments",
        "--sequence",
        "Alpha Outbound",
    ]));
    assert_eq!(everyone.as_array().unwrap().len(), 12);
    assert_eq!(
        everyone
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["stale"] == false)
            .count(),
        3
    );

    let unenroll = [
        "--json",
        "unenroll",
        "--sequence",
        "Alpha Outbound",
        "--all",
        "--stale",
        "--reason",
        "stale",
    ];
    let dry = json_of(seqtui(&f.path, then).args(unenroll).arg("--dry-run"));
    let mut would: Vec<i64> = dry["unenrolled"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    would.sort_unstable();
    assert_eq!(would, expected);
    assert_eq!(dry["batch"], Value::Null);

    // With the stale thresholds raised past the enrollments' age, none is.
    let rules = f.dir.path().join("strict.toml");
    std::fs::write(&rules, "[stale]\nafter_days = 60\n").unwrap();
    let none = json_of(
        seqtui(&f.path, then)
            .arg("--rules")
            .arg(&rules)
            .args(unenroll)
            .arg("--dry-run"),
    );
    assert_eq!(none["unenrolled"], serde_json::json!([]));

    let done = json_of(seqtui(&f.path, then).args(unenroll).arg("--yes"));
    let mut ended: Vec<i64> = done["unenrolled"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    ended.sort_unstable();
    assert_eq!(ended, expected);
    let ws = ws_at(&f, then);
    for (i, id) in ids.iter().enumerate() {
        let row = ws.enrollment(*id).unwrap();
        if [1, 4, 7].contains(&i) {
            assert_eq!(row.status, Status::Active);
        } else {
            assert_eq!(row.status, Status::Unenrolled);
            assert_eq!(row.end_reason, Some(EndReason::Stale));
        }
    }
    check_tidied(&f.path);
}

#[test]
fn cli_stale_needs_all_for_unenroll() {
    let f = fixture(2);
    let out = seqtui(&f.path, now())
        .args([
            "unenroll",
            "--sequence",
            "Alpha Outbound",
            "--contact",
            &email(0),
            "--stale",
            "--reason",
            "stale",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
