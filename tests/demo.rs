//! The demo workspace builder, checked on real SQLite files: every rule the
//! domain keeps holds in the data it writes, every status and end reason
//! shows up, the build is deterministic, and it never overwrites a file
//! without being told to.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;

use rusqlite::{Connection, types::Value};
use seqtui::demo::{self, DemoOptions};
use seqtui::domain::{
    Clock, DomainError, EndReason, EnrollmentQuery, Status, Workspace, schedule, sort_name,
};
use seqtui::store::parse_time;

const NOW: &str = "2026-11-27T09:00:00Z";
const CONTACTS: usize = 2000;

fn clock() -> Clock {
    Clock::parse(NOW).unwrap()
}

fn options(contacts: usize, seed: u64) -> DemoOptions {
    DemoOptions {
        contacts,
        seed,
        force: false,
    }
}

fn open(path: &Path) -> Connection {
    Connection::open(path).unwrap()
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn strings(conn: &Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(sql).unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

const AUTOMATIC: &[&str] = &[
    "replied",
    "meeting_booked",
    "bounced",
    "opted_out",
    "colleague_engaged",
];

#[test]
fn builds_a_workspace_that_keeps_every_rule() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.db");
    let report = demo::build(&path, &options(CONTACTS, 42), clock()).unwrap();
    assert_eq!(report.path, path);
    assert_eq!(report.contacts, CONTACTS);
    let db = open(&path);
    let now = NOW.to_string();

    // The file is a ready workspace: WAL, every index back, no debris.
    let mode: String = db
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    // The sort columns of migration 19 as a recomputation gives them, and
    // their indexes built too.
    assert_eq!(
        seqtui::store::sort_keys::drift(&seqtui::store::connect(&path).unwrap()).unwrap(),
        Vec::new(),
        "(id, next_due, recomputed, last_engagement, recomputed)"
    );
    // The search text the loader computes is the one SQL gives (migration
    // 20), on every enrollment.
    assert_eq!(
        seqtui::store::search_text::drift(&seqtui::store::connect(&path).unwrap()).unwrap(),
        Vec::new(),
        "(id, search, recomputed)"
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM enrollments WHERE search = ''"),
        0
    );
    assert!(
        count(
            &db,
            "SELECT count(*) FROM enrollments WHERE next_due IS NOT NULL"
        ) > 0
    );
    assert!(
        count(
            &db,
            "SELECT count(*) FROM enrollments WHERE last_engagement IS NOT NULL"
        ) > 0
    );
    for (name, _) in seqtui::store::schema::bulk_indexes() {
        assert_eq!(
            count(
                &db,
                &format!(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = '{name}'"
                )
            ),
            1,
            "index {name} is missing"
        );
    }
    // The triggers the copy of the part file drops (store::bulk::absorb)
    // are back, as a new workspace has them, and still refuse.
    let fresh = dir.path().join("fresh.db");
    drop(seqtui::store::Store::create(&fresh).unwrap());
    let triggers =
        "SELECT name || ': ' || sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name";
    let expected = strings(&open(&fresh), triggers);
    assert!(
        expected
            .iter()
            .any(|t| t.starts_with("contacts_email_key_required: ")),
        "{expected:?}"
    );
    assert_eq!(strings(&db, triggers), expected);
    let refused = db.execute(
        "INSERT INTO contacts(email, created_at, sort_name) VALUES ('x@example.com', ?1, 'x')",
        [&now],
    );
    assert!(refused.is_err(), "a contact without its email_key went in");
    let fk: Vec<String> = strings(&db, "SELECT \"table\" FROM pragma_foreign_key_check");
    assert!(fk.is_empty(), "dangling references in {fk:?}");
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("building"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Settings and the team.
    let setting = |key: &str| -> String {
        db.query_row("SELECT value FROM workspace WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .unwrap()
    };
    assert!(setting("name").contains("demo"));
    assert_eq!(setting("demo"), "1");
    let default_role: String = db
        .query_row(
            "SELECT role FROM users WHERE email = ?1",
            [setting("default_user")],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(default_role, "manager");
    assert_eq!(
        count(&db, "SELECT count(*) FROM users WHERE role = 'admin'"),
        1
    );
    assert_eq!(
        strings(
            &db,
            "SELECT team FROM users WHERE role = 'manager' ORDER BY team"
        ),
        ["East", "West"]
    );
    let reps = count(&db, "SELECT count(*) FROM users WHERE role = 'rep'");
    assert!((6..=10).contains(&reps), "{reps} reps");
    assert_eq!(
        count(
            &db,
            "SELECT count(DISTINCT team) FROM users WHERE role = 'rep'"
        ),
        2
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(DISTINCT substr(email, instr(email, '@'))) FROM users"
        ),
        1
    );
    assert_eq!(
        report.users as i64,
        count(&db, "SELECT count(*) FROM users")
    );

    // Sequences and steps.
    let sequences = count(&db, "SELECT count(*) FROM sequences");
    assert!((10..=14).contains(&sequences));
    assert_eq!(report.sequences as i64, sequences);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM (SELECT sequence_id, count(*) n FROM steps GROUP BY sequence_id)
             WHERE n BETWEEN 3 AND 7"
        ),
        sequences
    );
    assert_eq!(
        strings(&db, "SELECT DISTINCT kind FROM steps ORDER BY kind"),
        ["auto_email", "call", "manual_email", "task"]
    );
    assert!(count(&db, "SELECT count(*) FROM sequences WHERE archived = 1") >= 1);
    assert!(
        count(
            &db,
            "SELECT count(*) FROM sequences WHERE unenroll_colleagues = 1"
        ) >= 1
    );
    assert_eq!(
        count(&db, "SELECT archived FROM sequences WHERE id = 1"),
        0,
        "the first sequence is live"
    );
    let allowed = ["first_name", "last_name", "company", "sender_name"];
    for text in strings(&db, "SELECT subject || body || title FROM steps") {
        let mut rest = text.as_str();
        while let Some(i) = rest.find("{{") {
            let end = rest[i..].find("}}").expect("closed merge field") + i;
            let field = rest[i + 2..end].trim();
            assert!(allowed.contains(&field), "merge field {field}");
            rest = &rest[end + 2..];
        }
    }
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM steps WHERE kind = 'auto_email' AND (subject = '' OR body = '')"
        ),
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM steps WHERE kind <> 'auto_email' AND title = ''"
        ),
        0
    );

    // Contacts.
    assert_eq!(count(&db, "SELECT count(*) FROM contacts"), CONTACTS as i64);
    {
        let mut stmt = db
            .prepare("SELECT first_name, last_name, email, sort_name FROM contacts")
            .unwrap();
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .unwrap();
        for row in rows {
            let (first, last, email, sort) = row.unwrap();
            assert_eq!(sort, sort_name(&first, &last, &email));
            assert!(email.is_ascii() && email.contains('@'), "{email}");
            assert!(seqtui::domain::check_email(&email).is_ok(), "{email}");
        }
    }
    let companies = count(&db, "SELECT count(DISTINCT company) FROM contacts");
    assert!(
        companies > 100 && companies < CONTACTS as i64 / 2,
        "{companies} companies"
    );
    assert!(
        count(
            &db,
            "SELECT max(n) FROM (SELECT count(*) n FROM contacts GROUP BY company)"
        ) >= 4
    );
    assert_eq!(
        strings(
            &db,
            "SELECT DISTINCT lifecycle_stage FROM contacts ORDER BY 1"
        ),
        [
            "customer",
            "lead",
            "marketingqualifiedlead",
            "opportunity",
            "salesqualifiedlead"
        ]
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM contacts c JOIN users u ON u.id = c.owner_id
             WHERE u.role IN ('rep', 'manager')"
        ),
        CONTACTS as i64
    );
    assert!(count(&db, "SELECT count(DISTINCT title) FROM contacts") > 20);
    let opted_out = count(
        &db,
        "SELECT count(*) FROM contacts WHERE opted_out_at IS NOT NULL",
    );
    assert!(
        opted_out > 10 && opted_out < CONTACTS as i64 / 10,
        "{opted_out} opted out"
    );

    // Enrollments: every status and end reason.
    let enrollments = count(&db, "SELECT count(*) FROM enrollments");
    assert_eq!(report.enrollments as i64, enrollments);
    assert!(enrollments > CONTACTS as i64 && enrollments < 2 * CONTACTS as i64);
    for status in Status::ALL {
        assert!(
            count(
                &db,
                &format!("SELECT count(*) FROM enrollments WHERE status = '{status}'")
            ) > 0,
            "no {status} enrollment"
        );
    }
    for reason in EndReason::ALL {
        assert!(
            count(
                &db,
                &format!("SELECT count(*) FROM enrollments WHERE end_reason = '{reason}'")
            ) > 0,
            "no enrollment ended {reason}"
        );
    }
    let first_open = count(
        &db,
        "SELECT count(*) FROM enrollments WHERE sequence_id = 1 AND status IN ('active', 'paused')",
    );
    assert!(
        first_open * 10 >= CONTACTS as i64,
        "{first_open} open in sequence 1"
    );
    assert!(
        count(
            &db,
            "SELECT count(*) FROM (SELECT contact_id FROM enrollments GROUP BY contact_id HAVING count(*) >= 3)"
        ) > 0
    );
    assert!(
        count(
            &db,
            "SELECT count(*) FROM contacts WHERE id NOT IN (SELECT contact_id FROM enrollments)"
        ) > 0
    );

    // R1: at most one open enrollment per contact.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM (SELECT contact_id FROM enrollments
             WHERE status IN ('active', 'paused') GROUP BY contact_id HAVING count(*) > 1)"
        ),
        0
    );
    // Ended means ended: the reason, the time, who, the batch.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM enrollments WHERE (status = 'unenrolled') <> (end_reason IS NOT NULL)"
        ),
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM enrollments WHERE status = 'unenrolled'
             AND (ended_at IS NULL OR batch IS NULL)"
        ),
        0
    );
    let automatic = AUTOMATIC
        .iter()
        .map(|r| format!("'{r}'"))
        .collect::<Vec<_>>()
        .join(", ");
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT count(*) FROM enrollments WHERE status = 'unenrolled'
                 AND (ended_by IS NULL) <> (end_reason IN ({automatic}))"
            )
        ),
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM enrollments WHERE status IN ('active', 'paused')
             AND (ended_at IS NOT NULL OR ended_by IS NOT NULL OR note IS NOT NULL)"
        ),
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM enrollments WHERE status = 'finished' AND ended_at IS NULL"
        ),
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM enrollments e JOIN contacts c ON c.id = e.contact_id
             WHERE e.sort_name <> c.sort_name"
        ),
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM enrollments WHERE enrolled_at > ?1 OR ended_at > ?1 OR ended_at < enrolled_at"
                .replace("?1", &format!("'{now}'"))
                .as_str()
        ),
        0
    );
    // A contact's enrollments follow each other: each ended before the next.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM enrollments a JOIN enrollments b
               ON a.contact_id = b.contact_id AND a.id <> b.id AND a.enrolled_at <= b.enrolled_at
             WHERE a.ended_at IS NULL OR a.ended_at > b.enrolled_at"
        ),
        0
    );
    // The current step: within the sequence; the last one when finished.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM enrollments e
             WHERE e.current_step < 1
                OR e.current_step > (SELECT count(*) FROM steps s WHERE s.sequence_id = e.sequence_id)
                OR (e.status = 'finished'
                    AND e.current_step <> (SELECT count(*) FROM steps s WHERE s.sequence_id = e.sequence_id))"
        ),
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM enrollments e JOIN sequences s ON s.id = e.sequence_id
             WHERE s.archived = 1 AND e.status IN ('active', 'paused')"
        ),
        0
    );

    // Opt-outs (R9): nothing open, the latest enrollment ended opted_out.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM contacts c WHERE c.opted_out_at IS NOT NULL AND (
                EXISTS (SELECT 1 FROM enrollments e WHERE e.contact_id = c.id AND e.status IN ('active', 'paused'))
                OR coalesce((SELECT e.end_reason FROM enrollments e WHERE e.contact_id = c.id
                    ORDER BY e.enrolled_at DESC LIMIT 1), '') <> 'opted_out')"
        ),
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM enrollments e JOIN contacts c ON c.id = e.contact_id
             WHERE e.end_reason = 'opted_out' AND c.opted_out_at IS NULL"
        ),
        0
    );

    // R14: the engine's out-of-office pauses hold paused enrollments of
    // sequences that pause on auto-replies, until a date still ahead, and
    // came with an out-of-office event.
    let pauses = count(&db, "SELECT count(*) FROM engine_pauses");
    assert!(pauses > 0, "no out-of-office pause");
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT count(*) FROM engine_pauses p JOIN enrollments e ON e.id = p.enrollment_id
                 JOIN sequences s ON s.id = e.sequence_id
                 WHERE e.status = 'paused' AND s.pause_on_ooo = 1 AND p.until > '{now}'
                   AND EXISTS (SELECT 1 FROM events ev WHERE ev.enrollment_id = e.id
                               AND ev.type = 'out_of_office')"
            )
        ),
        pauses
    );
    // R11: some open enrollments are stale (older than 30 days, nothing
    // opened, clicked or replied in 14), so the stale filter shows rows.
    assert!(
        count(
            &db,
            "SELECT count(*) FROM enrollments e WHERE e.status IN ('active', 'paused')
               AND e.enrolled_at < '2026-10-28T09:00:00Z'
               AND NOT EXISTS (SELECT 1 FROM events ev WHERE ev.enrollment_id = e.id
                   AND ev.type IN ('open', 'click', 'reply') AND ev.at > '2026-11-13T09:00:00Z')"
        ) > 0,
        "no stale enrollment"
    );

    // R3: nothing scheduled or open left behind an ended enrollment.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM scheduled_steps ss JOIN enrollments e ON e.id = ss.enrollment_id
             WHERE e.status IN ('finished', 'unenrolled') AND ss.state = 'scheduled'"
        ),
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM tasks t JOIN enrollments e ON e.id = t.enrollment_id
             WHERE e.status IN ('finished', 'unenrolled') AND t.state = 'open'"
        ),
        0
    );

    // Scheduled steps: one per step, due as `schedule()` says, executed
    // before the current step, then scheduled (open) or cancelled — except
    // that an open enrollment waiting at a task step (R18: its task still
    // open) has that step executed too.
    let ws = Workspace::open(&path, clock()).unwrap();
    let mut steps_of = HashMap::new();
    for s in ws.sequences().unwrap() {
        steps_of.insert(s.id, ws.steps(s.id).unwrap());
    }
    let mut expected_rows = 0;
    let mut overdue = 0;
    let mut upcoming = 0;
    {
        let mut stmt = db
            .prepare(
                "SELECT id, sequence_id, status, current_step, enrolled_at FROM enrollments ORDER BY id",
            )
            .unwrap();
        let mut steps_stmt = db
            .prepare(
                "SELECT step_id, position, kind, due_at, state, executed_at FROM scheduled_steps
                 WHERE enrollment_id = ?1 ORDER BY position",
            )
            .unwrap();
        let mut open_task_stmt = db
            .prepare(
                "SELECT count(*) FROM tasks t JOIN scheduled_steps ss ON ss.id = t.scheduled_step_id
                 WHERE t.enrollment_id = ?1 AND ss.position = ?2 AND t.state = 'open'",
            )
            .unwrap();
        let mut waiting_enrollments = 0;
        let rows: Vec<(i64, i64, String, i64, String)> = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for (id, sequence_id, status, current, enrolled_at) in rows {
            let steps = &steps_of[&sequence_id];
            let plan = schedule(steps, parse_time(&enrolled_at));
            let actual: Vec<(i64, i64, String, String, String, Option<String>)> = steps_stmt
                .query_map([id], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(actual.len(), steps.len(), "enrollment {id}");
            expected_rows += steps.len();
            let open_tasks_at_current: i64 = open_task_stmt
                .query_row([id, current], |r| r.get(0))
                .unwrap();
            let waiting = open_tasks_at_current > 0;
            if waiting {
                assert!(
                    status == "active" || status == "paused",
                    "enrollment {id} waits at a task but is {status}"
                );
                waiting_enrollments += 1;
            }
            let mut next_due = None;
            for ((step, due), (step_id, position, kind, due_at, state, executed_at)) in
                plan.iter().zip(&actual)
            {
                assert_eq!(*step_id, step.id);
                assert_eq!(*position, step.position);
                assert_eq!(kind, step.kind.as_str());
                assert_eq!(*due_at, seqtui::store::format_time(*due));
                let executed = status == "finished"
                    || *position < current
                    || (waiting && *position == current && kind != "auto_email");
                if executed {
                    let want = if kind == "auto_email" { "sent" } else { "done" };
                    assert_eq!(state, want, "enrollment {id} step {position}");
                    assert!(executed_at.is_some());
                    assert!(*due_at <= now);
                } else {
                    let want = if status == "unenrolled" {
                        "cancelled"
                    } else {
                        "scheduled"
                    };
                    assert_eq!(state, want, "enrollment {id} step {position}");
                    assert!(executed_at.is_none());
                    if next_due.is_none() {
                        next_due = Some(due_at.clone());
                    }
                }
            }
            if status == "active" {
                match next_due {
                    Some(due) if due <= now => overdue += 1,
                    Some(_) => upcoming += 1,
                    // Waiting at its last step, a task: done, it finishes.
                    None if waiting => {}
                    None => panic!("active enrollment {id} has nothing scheduled"),
                }
            }
        }
        // The demo leaves enrollments waiting at their tasks (R18), so that
        // the Tasks view has something to show.
        assert!(waiting_enrollments > 0, "no enrollment waits at a task");
    }
    assert_eq!(
        count(&db, "SELECT count(*) FROM scheduled_steps"),
        expected_rows as i64
    );
    assert!(overdue > 0, "no overdue step");
    assert!(
        upcoming > overdue * 3,
        "{upcoming} upcoming, {overdue} overdue"
    );

    // Sent emails: one per executed automatic email, threaded on the first.
    assert_eq!(
        count(&db, "SELECT count(*) FROM sent_emails"),
        count(
            &db,
            "SELECT count(*) FROM scheduled_steps WHERE kind = 'auto_email' AND state = 'sent'"
        )
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM sent_emails se
             JOIN scheduled_steps ss ON ss.id = se.scheduled_step_id
             JOIN enrollments e ON e.id = se.enrollment_id
             WHERE ss.enrollment_id <> se.enrollment_id OR ss.state <> 'sent'
                OR se.sent_at <> ss.executed_at OR se.sequence_id <> e.sequence_id"
        ),
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM sent_emails se WHERE se.thread_id <>
                (SELECT f.message_id FROM sent_emails f WHERE f.enrollment_id = se.enrollment_id
                 ORDER BY f.id LIMIT 1)"
        ),
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM sent_emails WHERE subject LIKE '%{{%' OR subject = ''"
        ),
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM sent_emails WHERE message_id NOT LIKE '<%@northwind.example>'"
        ),
        0
    );

    // Tasks: one per executed task, call or manual email, for the enroller.
    assert_eq!(
        count(&db, "SELECT count(*) FROM tasks"),
        count(
            &db,
            "SELECT count(*) FROM scheduled_steps WHERE kind <> 'auto_email' AND state = 'done'"
        )
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM tasks t JOIN enrollments e ON e.id = t.enrollment_id
             JOIN scheduled_steps ss ON ss.id = t.scheduled_step_id
             WHERE t.owner_id <> e.enrolled_by OR ss.enrollment_id <> e.id
                OR (t.state = 'done') <> (t.done_at IS NOT NULL) OR t.title LIKE '%{{%'"
        ),
        0
    );
    for state in ["open", "done", "removed"] {
        assert!(
            count(
                &db,
                &format!("SELECT count(*) FROM tasks WHERE state = '{state}'")
            ) > 0,
            "no {state} task"
        );
    }

    // Events agree with how enrollments ended (R6, R7, R9).
    let types = strings(&db, "SELECT DISTINCT type FROM events ORDER BY 1");
    for t in &types {
        assert!(
            [
                "click",
                "bounce",
                "meeting_booked",
                "open",
                "out_of_office",
                "reply",
                "unsubscribe"
            ]
            .contains(&t.as_str()),
            "event type {t}"
        );
    }
    assert_eq!(types.len(), 7, "{types:?}");
    for (reason, event) in [
        ("replied", "reply"),
        ("meeting_booked", "meeting_booked"),
        ("bounced", "bounce"),
        ("opted_out", "unsubscribe"),
    ] {
        assert_eq!(
            count(
                &db,
                &format!(
                    "SELECT count(*) FROM enrollments e WHERE e.end_reason = '{reason}' AND NOT EXISTS
                        (SELECT 1 FROM events ev WHERE ev.enrollment_id = e.id AND ev.type = '{event}'
                         AND ev.at <= e.ended_at)"
                )
            ),
            0,
            "an enrollment ended {reason} without a {event} event"
        );
        assert_eq!(
            count(
                &db,
                &format!(
                    "SELECT count(*) FROM events ev JOIN enrollments e ON e.id = ev.enrollment_id
                     WHERE ev.type = '{event}' AND coalesce(e.end_reason, '') <> '{reason}'"
                )
            ),
            0,
            "a {event} event on an enrollment that did not end {reason}"
        );
    }
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT count(*) FROM events ev LEFT JOIN enrollments e ON e.id = ev.enrollment_id
                 WHERE ev.at > '{now}' OR (ev.enrollment_id IS NOT NULL AND
                    (e.contact_id <> ev.contact_id OR e.sequence_id <> ev.sequence_id
                     OR ev.at < e.enrolled_at))"
            )
        ),
        0
    );
    let opens = count(&db, "SELECT count(*) FROM events WHERE type = 'open'");
    let sent = count(&db, "SELECT count(*) FROM sent_emails");
    assert!(
        opens * 5 > sent && opens < sent,
        "{opens} opens of {sent} sends"
    );

    // The audit log: every unenroll batch has its entry, with the right
    // actor, reason, time and enrollments (R13, R15).
    {
        let mut stmt = db
            .prepare(
                "SELECT e.batch, e.end_reason, e.ended_by, e.ended_at, count(*), group_concat(e.id)
                 FROM enrollments e WHERE e.status = 'unenrolled'
                 GROUP BY e.batch, e.end_reason, e.ended_by, e.ended_at",
            )
            .unwrap();
        let groups: Vec<(String, String, Option<i64>, String, i64, String)> = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut batches = BTreeSet::new();
        for (batch, reason, ended_by, ended_at, n, _) in &groups {
            assert!(batches.insert(batch.clone()), "batch {batch} is split");
            let (action, a_reason, actor, at, a_count, audit_id): (
                String,
                Option<String>,
                Option<i64>,
                String,
                i64,
                i64,
            ) = db
                .query_row(
                    "SELECT action, reason, actor_id, at, count, id FROM audit WHERE batch = ?1",
                    [batch],
                    |r| {
                        Ok((
                            r.get(0)?,
                            r.get(1)?,
                            r.get(2)?,
                            r.get(3)?,
                            r.get(4)?,
                            r.get(5)?,
                        ))
                    },
                )
                .unwrap_or_else(|e| panic!("no audit entry for batch {batch}: {e}"));
            assert_eq!(action, "unenroll");
            assert_eq!(a_reason.as_deref(), Some(reason.as_str()));
            assert_eq!(actor, *ended_by);
            assert_eq!(&at, ended_at);
            assert_eq!(a_count, *n);
            assert_eq!(batch, &format!("B{audit_id}"));
            assert_eq!(
                count(
                    &db,
                    &format!(
                        "SELECT count(*) FROM audit_enrollments ae JOIN enrollments e ON e.id = ae.enrollment_id
                         WHERE ae.audit_id = {audit_id} AND e.batch = '{batch}'
                           AND ae.before_status IN ('active', 'paused') AND ae.before_step = e.current_step"
                    )
                ),
                *n,
                "batch {batch}"
            );
        }
        assert!(
            groups.iter().any(|g| g.2.is_some()),
            "no manual unenroll batch"
        );
    }
    // Manual unenrolls were made by someone allowed to (R12).
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM enrollments e
             JOIN users a ON a.id = e.ended_by
             JOIN users eb ON eb.id = e.enrolled_by
             JOIN contacts c ON c.id = e.contact_id
             JOIN users o ON o.id = c.owner_id
             WHERE NOT (a.role = 'admin'
                OR (a.role = 'manager' AND (eb.team = a.team OR o.team = a.team))
                OR (a.role = 'rep' AND (eb.id = a.id OR o.id = a.id)))"
        ),
        0
    );
    let entries = count(&db, "SELECT count(*) FROM audit");
    assert_eq!(report.audit_entries as i64, entries);
    assert!(entries < 600, "{entries} audit entries");
    assert!(count(&db, "SELECT count(*) FROM audit WHERE action = 'enroll'") > 0);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM audit a WHERE a.action = 'enroll' AND a.count <>
                (SELECT count(*) FROM audit_enrollments ae WHERE ae.audit_id = a.id)"
        ),
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM audit a JOIN audit b ON b.id = a.id + 1 WHERE b.at < a.at"
        ),
        0,
        "audit ids follow time"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM enrollments e WHERE e.batch IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM audit a WHERE a.batch = e.batch)"
        ),
        0
    );
}

/// Every table, row by row, folded into one number per table.
fn digests(path: &Path) -> BTreeMap<String, (i64, u64)> {
    let db = open(path);
    let tables = strings(
        &db,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    );
    let mut out = BTreeMap::new();
    for table in tables {
        let mut stmt = db
            .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY 1, 2"))
            .unwrap();
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        let mut hasher = DefaultHasher::new();
        let mut n = 0;
        while let Some(row) = rows.next().unwrap() {
            n += 1;
            for i in 0..columns {
                format!("{:?}", row.get::<_, Value>(i).unwrap()).hash(&mut hasher);
            }
        }
        out.insert(table, (n, hasher.finish()));
    }
    out
}

#[test]
fn same_seed_and_clock_build_the_same_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.db");
    let b = dir.path().join("b.db");
    let c = dir.path().join("c.db");
    demo::build(&a, &options(600, 7), clock()).unwrap();
    demo::build(&b, &options(600, 7), clock()).unwrap();
    demo::build(&c, &options(600, 8), clock()).unwrap();
    let (da, db, dc) = (digests(&a), digests(&b), digests(&c));
    assert!(da["enrollments"].0 > 600);
    assert_eq!(da, db);
    assert_ne!(da["contacts"], dc["contacts"]);
    assert_ne!(da["enrollments"], dc["enrollments"]);
}

#[test]
fn never_replaces_a_file_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("work.db");
    std::fs::write(&path, b"my real workspace").unwrap();
    let err = demo::build(&path, &options(50, 1), clock()).unwrap_err();
    assert!(matches!(err, DomainError::Refused(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "{} already exists; pass --force to replace it",
            path.display()
        )
    );
    assert_eq!(err.exit_code(), 3);
    assert_eq!(std::fs::read(&path).unwrap(), b"my real workspace");

    // Issue 12 item 4: --force replaces only a demo, never another file.
    let forced = DemoOptions {
        force: true,
        ..options(50, 1)
    };
    let err = demo::build(&path, &forced, clock()).unwrap_err();
    assert!(matches!(err, DomainError::Refused(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "{} is not a demo workspace; move it away or delete it yourself",
            path.display()
        )
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"my real workspace");
    std::fs::remove_file(&path).unwrap();
    demo::build(&path, &options(40, 1), clock()).unwrap();

    std::fs::write(dir.path().join("work.db-wal"), b"stale journal").unwrap();
    let report = demo::build(&path, &forced, clock()).unwrap();
    assert_eq!(report.contacts, 50);
    // The old file's journal went with it: it must never be replayed onto
    // the new workspace.
    assert!(!dir.path().join("work.db-wal").exists());
    let ws = Workspace::open(&path, clock()).unwrap();
    assert!(ws.info().unwrap().demo);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains("building")), "{names:?}");

    // Building again over a demo is refused too, and replaced with force.
    assert!(matches!(
        demo::build(&path, &options(50, 2), clock()),
        Err(DomainError::Refused(_))
    ));
    demo::build(
        &path,
        &DemoOptions {
            force: true,
            ..options(60, 2)
        },
        clock(),
    )
    .unwrap();
    let ws = Workspace::open(&path, clock()).unwrap();
    assert_eq!(ws.search_contacts("", 1000).unwrap().len(), 60);
}

#[test]
fn reports_what_it_built_and_refuses_silly_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.db");
    let report = demo::build(&path, &options(0, 5), clock()).unwrap();
    assert_eq!(report.contacts, 0);
    assert_eq!(report.enrollments, 0);
    let json = serde_json::to_value(&report).unwrap();
    assert!(json["elapsed_ms"].is_u64(), "{json}");
    assert_eq!(json["users"], 11);
    let ws = Workspace::open(&path, clock()).unwrap();
    assert_eq!(ws.sequences().unwrap().len(), 12);

    let err = demo::build(
        &dir.path().join("huge.db"),
        &options(demo::MAX_CONTACTS + 1, 5),
        clock(),
    )
    .unwrap_err();
    assert!(matches!(err, DomainError::Invalid(_)), "{err:?}");
    assert!(!dir.path().join("huge.db").exists());
}

#[test]
fn the_domain_reads_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("demo.db");
    demo::build(&path, &options(800, 3), clock()).unwrap();
    let ws = Workspace::open(&path, clock()).unwrap();
    let info = ws.info().unwrap();
    assert!(info.demo);
    let me = ws.acting_user(None).unwrap();
    assert_eq!(me.role, seqtui::domain::Role::Manager);
    let sequences = ws.sequences().unwrap();
    assert_eq!(sequences.len(), 12);
    let first = sequences.iter().find(|s| s.id == 1).unwrap();
    assert!((first.active + first.paused) * 10 >= 800);
    assert!(sequences.iter().any(|s| s.reply_rate > 0.0));
    assert!(sequences.iter().any(|s| s.meeting_rate > 0.0));

    let query = EnrollmentQuery {
        sequences: vec![1],
        statuses: vec![Status::Active],
        search: String::new(),
        stale: false,
        ..Default::default()
    };
    let page = ws.enrollment_page(&query, None, 50).unwrap();
    assert_eq!(page.len(), 50);
    assert!(page.windows(2).all(|w| w[0].sort_name <= w[1].sort_name));
    assert!(
        page.iter()
            .all(|r| r.status == Status::Active && r.next_due_at.is_some())
    );
    let next = ws
        .enrollment_page(&query, Some(&page[49].page_key()), 50)
        .unwrap();
    assert!(next[0].sort_name >= page[49].sort_name);
    let all = ws
        .enrollment_ids(&EnrollmentQuery {
            sequences: vec![1],
            statuses: vec![],
            search: String::new(),
            stale: false,
            ..Default::default()
        })
        .unwrap();
    assert!(all.len() > 100);

    let detail = ws.contact_detail(page[0].contact_id).unwrap();
    assert!(!detail.enrollments.is_empty());
    assert!(!detail.timeline.is_empty());
    assert!(!ws.audit(None, 20).unwrap().is_empty());

    // The default user can act on the demo right away.
    let mut ws = ws;
    let report = ws
        .unenroll(
            &me,
            &seqtui::domain::UnenrollRequest {
                enrollments: page.iter().take(5).map(|r| r.id).collect(),
                reason: EndReason::NotAFit,
                note: None,
                dry_run: true,
            },
        )
        .unwrap();
    assert_eq!(report.unenrolled.len() + report.skipped.len(), 5);
}

/// Builds `contacts` contacts and prints what was written.
fn build_and_print(contacts: usize) -> (demo::DemoReport, Connection, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.db");
    let report = demo::build(&path, &options(contacts, 42), clock()).unwrap();
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
    let size = std::fs::metadata(&path).unwrap().len();
    println!("file size: {} MB", size / 1_000_000);
    let db = open(&path);
    for table in [
        "contacts",
        "enrollments",
        "scheduled_steps",
        "sent_emails",
        "tasks",
        "events",
        "audit",
        "audit_enrollments",
    ] {
        println!(
            "{table}: {}",
            count(&db, &format!("SELECT count(*) FROM {table}"))
        );
    }
    for (status, n) in db
        .prepare("SELECT status || coalesce(' ' || end_reason, ''), count(*) FROM enrollments GROUP BY 1 ORDER BY 1")
        .unwrap()
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .unwrap()
        .map(Result::unwrap)
    {
        println!("  {status}: {n}");
    }
    (report, db, dir)
}

/// Row counts of the default demo: `cargo test --test demo -- --ignored --nocapture default`.
#[test]
#[ignore]
fn default_size_counts() {
    let (_, db, _dir) = build_and_print(DemoOptions::default().contacts);
    let first_open = count(
        &db,
        "SELECT count(*) FROM enrollments WHERE sequence_id = 1 AND status IN ('active', 'paused')",
    );
    println!("open in sequence 1: {first_open}");
}

/// The scale figure: `cargo test --release --test demo -- --ignored --nocapture million`.
#[test]
#[ignore]
fn a_million_contacts_build_in_under_a_minute() {
    let n = std::env::var("DEMO_CONTACTS").map_or(1_000_000, |v| v.parse().unwrap());
    let (report, db, _dir) = build_and_print(n);
    let first_open = count(
        &db,
        "SELECT count(*) FROM enrollments WHERE sequence_id = 1 AND status IN ('active', 'paused')",
    );
    println!("open in sequence 1: {first_open}");
    assert!(first_open * 10 >= n as i64);
    if !cfg!(debug_assertions) {
        assert!(report.elapsed.as_secs() < 60, "{:?}", report.elapsed);
    }
}
