//! `run`: due steps become RFC 5322 messages in the outbox Maildir or tasks
//! for the enrolling user, each exactly once — across repeated runs,
//! overlapping runs and a run interrupted after its commit.

mod common;

use std::path::{Path, PathBuf};

use chrono::Duration;
use common::*;
use seqtui::domain::*;
use seqtui::engine::outbox::{execute, run_once};

/// A fixture whose first `enrolled` contacts are enrolled in Alpha by Ann,
/// with a fixed workspace id so Message-IDs are predictable.
fn enrolled_fixture(contacts: usize, enrolled: usize) -> Fixture {
    let mut f = fixture(contacts);
    let ids: Vec<i64> = f.c[..enrolled].to_vec();
    let report = f.ws.enroll(&f.rep_ann, f.seq_a.id, &ids).unwrap();
    assert_eq!(report.enrolled.len(), enrolled);
    raw(&f.path)
        .execute(
            "INSERT INTO workspace(key, value) VALUES ('workspace_id', 'testws')",
            [],
        )
        .unwrap();
    f
}

fn at(path: &Path, days: i64) -> Workspace {
    Workspace::open(path, Clock::Fixed(now() + Duration::days(days))).unwrap()
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn count(path: &Path, sql: &str) -> i64 {
    raw(path).query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn emails_tasks_follow_ups_and_finish() {
    let f = enrolled_fixture(6, 3);
    let outbox = f.dir.path().join("outbox");

    // Day 0: the first email of each enrollment.
    let report = run_once(&mut at(&f.path, 0), &outbox).unwrap();
    assert_eq!(report.emails_sent, 3);
    assert_eq!(report.tasks_created, 0);
    let sent = files(&outbox.join("new"));
    assert_eq!(sent.len(), 3);
    assert!(files(&outbox.join("tmp")).is_empty());
    let bytes = std::fs::read(&sent[0]).unwrap();
    let message = mail_parser::MessageParser::default().parse(&bytes).unwrap();
    let from = message.from().unwrap().first().unwrap();
    assert_eq!(from.address(), Some("ann@team.example"));
    assert_eq!(from.name(), Some("Ann Rep"));
    let to = message.to().unwrap().first().unwrap().address().unwrap();
    assert!(to.starts_with("contact000"), "{to}");
    let id = message.message_id().unwrap();
    assert!(
        id.starts_with("seqtui.") && id.ends_with(".testws@team.example"),
        "{id}"
    );
    assert!(message.date().is_some());
    assert!(message.subject().unwrap().starts_with("Hi First000"));
    let body = message.body_text(0).unwrap();
    assert!(
        body.contains("at Acme") && body.contains("Ann Rep"),
        "{body}"
    );
    assert!(!body.contains("{{"));
    assert_eq!(count(&f.path, "SELECT count(*) FROM sent_emails"), 3);
    assert_eq!(count(&f.path, "SELECT count(*) FROM outbox"), 0);

    // Day 2: the call steps become tasks for the enrolling user.
    let report = run_once(&mut at(&f.path, 2), &outbox).unwrap();
    assert_eq!((report.emails_sent, report.tasks_created), (0, 3));
    assert_eq!(
        count(
            &f.path,
            "SELECT count(*) FROM tasks t JOIN users u ON u.id = t.owner_id
             WHERE u.email = 'ann@team.example' AND t.state = 'open' AND t.title LIKE 'Call First%'"
        ),
        3
    );
    // R18: the enrollments wait at the call until Ann is done with it; she
    // is, the same day, so the follow-ups are due 3 days later.
    let mut ws = at(&f.path, 2);
    let open: Vec<i64> = ws
        .tasks(&TaskQuery {
            owner: Some(f.rep_ann.id),
            limit: 10,
            ..TaskQuery::default()
        })
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(open.len(), 3);
    let done = ws
        .work_tasks(&f.rep_ann, TaskAction::Done, &open, None, None)
        .unwrap();
    assert_eq!(done.released.len(), 3);
    drop(ws);
    let report = run_once(&mut at(&f.path, 4), &outbox).unwrap();
    assert_eq!(report.emails_sent, 0);

    // Day 5 is a Saturday: R19 holds the follow-ups until Monday 08:00
    // (the default window, Monday–Friday 08:00–18:00 UTC).
    let report = run_once(&mut at(&f.path, 5), &outbox).unwrap();
    assert_eq!((report.emails_sent, report.deferred), (0, 3));
    assert_eq!(
        report.deferred_until.unwrap().to_rfc3339(),
        "2026-11-09T08:00:00+00:00"
    );
    // Day 7, Monday: follow-ups thread onto the first email; the
    // enrollments finish.
    let report = run_once(&mut at(&f.path, 7), &outbox).unwrap();
    assert_eq!((report.emails_sent, report.finished), (3, 3));
    let first_of = |enrollment: i64| -> String {
        raw(&f.path)
            .query_row(
                "SELECT message_id FROM sent_emails WHERE enrollment_id = ?1 ORDER BY id LIMIT 1",
                [enrollment],
                |r| r.get(0),
            )
            .unwrap()
    };
    let mut follow_ups = 0;
    for path in files(&outbox.join("new")) {
        let bytes = std::fs::read(&path).unwrap();
        let m = mail_parser::MessageParser::default().parse(&bytes).unwrap();
        let enrollment: i64 = m
            .header_raw("X-Seqtui-Enrollment")
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        if let Some(parent) = m.in_reply_to().as_text() {
            follow_ups += 1;
            assert_eq!(format!("<{parent}>"), first_of(enrollment));
            assert!(m.references().as_text_list().is_some() || m.references().as_text().is_some());
        }
    }
    assert_eq!(follow_ups, 3);
    assert_eq!(
        count(
            &f.path,
            "SELECT count(*) FROM enrollments WHERE status = 'finished' AND ended_at IS NOT NULL AND end_reason IS NULL"
        ),
        3
    );
    assert_eq!(
        count(
            &f.path,
            "SELECT count(*) FROM scheduled_steps WHERE state = 'scheduled'"
        ),
        0
    );
    // One automatic audit entry per batch.
    assert_eq!(
        count(
            &f.path,
            "SELECT count(*) FROM audit WHERE action = 'run' AND actor_id IS NULL"
        ),
        3
    );
    check_invariants(&f.path);
}

#[test]
fn running_again_sends_nothing_twice() {
    let f = enrolled_fixture(4, 4);
    let outbox = f.dir.path().join("outbox");
    assert_eq!(
        run_once(&mut at(&f.path, 0), &outbox).unwrap().emails_sent,
        4
    );
    let again = run_once(&mut at(&f.path, 0), &outbox).unwrap();
    assert_eq!((again.emails_sent, again.recovered), (0, 0));
    assert_eq!(files(&outbox.join("new")).len(), 4);
    // A mail client moved one to cur/: still not sent again.
    let first = files(&outbox.join("new")).remove(0);
    let name = first.file_name().unwrap().to_string_lossy().into_owned();
    std::fs::rename(&first, outbox.join("cur").join(format!("{name}:2,S"))).unwrap();
    assert_eq!(
        run_once(&mut at(&f.path, 1), &outbox).unwrap().emails_sent,
        0
    );
    assert_eq!(files(&outbox.join("new")).len(), 3);
}

#[test]
fn a_run_killed_after_its_commit_is_completed_by_the_next() {
    let f = enrolled_fixture(5, 5);
    let outbox = f.dir.path().join("outbox");
    // The first half of a run: steps rendered and committed, no file yet
    // (as if the process died right after the commit).
    let mut ws = at(&f.path, 0);
    let id = ws.workspace_id().unwrap();
    let due = ws.due_steps(ws.now(), None, 100).unwrap();
    assert_eq!(due.len(), 5);
    let executed: Vec<ExecutedStep> = due
        .iter()
        .map(|s| execute(s, &id, ws.now(), &Default::default()).unwrap())
        .collect();
    let committed = ws.record_executed(&executed).unwrap();
    assert_eq!(committed.emails, 5);
    drop(ws);
    // A half-written tmp file of a run that died before its commit.
    std::fs::create_dir_all(outbox.join("tmp")).unwrap();
    std::fs::write(outbox.join("tmp").join("seqtui-testws-999.1.0"), b"From: x").unwrap();

    let report = run_once(&mut at(&f.path, 0), &outbox).unwrap();
    assert_eq!((report.recovered, report.emails_sent), (5, 0));
    assert_eq!(files(&outbox.join("new")).len(), 5);
    assert_eq!(count(&f.path, "SELECT count(*) FROM sent_emails"), 5);
    assert_eq!(count(&f.path, "SELECT count(*) FROM outbox"), 0);
    // Recovering twice (a crash after the link, before the journal row was
    // deleted) lands the same single file.
    let again = run_once(&mut at(&f.path, 0), &outbox).unwrap();
    assert_eq!((again.recovered, again.emails_sent), (0, 0));
    assert_eq!(files(&outbox.join("new")).len(), 5);
}

#[test]
fn overlapping_runs_execute_each_step_once() {
    let f = enrolled_fixture(60, 60);
    let outbox = f.dir.path().join("outbox");
    let path = f.path.clone();
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let path = path.clone();
            let outbox = outbox.clone();
            std::thread::spawn(move || run_once(&mut at(&path, 0), &outbox).unwrap())
        })
        .collect();
    let sent: usize = handles
        .into_iter()
        .map(|h| h.join().unwrap().emails_sent)
        .sum();
    assert_eq!(sent, 60);
    assert_eq!(files(&outbox.join("new")).len(), 60);
    assert_eq!(count(&f.path, "SELECT count(*) FROM sent_emails"), 60);
    assert_eq!(
        count(
            &f.path,
            "SELECT count(DISTINCT scheduled_step_id) FROM sent_emails"
        ),
        60
    );
}

#[test]
fn paused_and_ended_enrollments_send_nothing() {
    let mut f = enrolled_fixture(4, 3);
    let outbox = f.dir.path().join("outbox");
    let ids =
        f.ws.enrollment_ids(&EnrollmentQuery {
            sequences: vec![f.seq_a.id],
            ..Default::default()
        })
        .unwrap();
    f.ws.unenroll(
        &f.manager_east,
        &UnenrollRequest {
            enrollments: vec![ids[0]],
            reason: EndReason::NotAFit,
            note: None,
            dry_run: false,
        },
    )
    .unwrap();
    raw(&f.path)
        .execute(
            "UPDATE enrollments SET status = 'paused' WHERE id = ?1",
            [ids[1]],
        )
        .unwrap();
    let report = run_once(&mut at(&f.path, 0), &outbox).unwrap();
    assert_eq!(report.emails_sent, 1);
    assert_eq!(files(&outbox.join("new")).len(), 1);
}

#[test]
fn default_outbox_is_beside_the_workspace() {
    let p = seqtui::engine::outbox::default_outbox(Path::new("/data/team/ws.db"));
    assert_eq!(p, PathBuf::from("/data/team/outbox"));
}

/// Issue 6: `run` reads the due steps (and renders them) before it takes
/// the write lock. A transfer that reassigns the enrollment while the run
/// waits for that lock must not be undone by the run: the email goes out
/// from the new owner and the task is the new owner's.
#[test]
fn a_reassign_committed_while_a_run_waits_for_the_lock_is_not_lost() {
    let mut f = enrolled_fixture(3, 1);
    let outbox = f.dir.path().join("outbox");
    let reassign_to_bob = |f: &Fixture| {
        let mut other = Workspace::open(&f.path, f.ws.clock()).unwrap();
        let report = other
            .transfer(
                &f.manager_east,
                &TransferRequest {
                    contacts: vec![f.c[0]],
                    to: f.rep_bob.id,
                    policy: TransferPolicy::Reassign,
                    from_step: None,
                    dry_run: false,
                },
            )
            .unwrap();
        assert!(report.batch.is_some());
    };
    // Step 1, an email, read and rendered as Ann's.
    let now = f.ws.now();
    let due = f.ws.due_steps(now, None, 10).unwrap();
    assert_eq!(due.len(), 1);
    let rendered: Vec<ExecutedStep> = due
        .iter()
        .map(|s| execute(s, "testws", now, &Default::default()).unwrap())
        .collect();
    reassign_to_bob(&f);
    let stale = f.ws.record_executed(&rendered).unwrap();
    assert_eq!(
        stale.emails, 0,
        "an email rendered for Ann was recorded after the reassign"
    );
    let report = run_once(&mut f.ws, &outbox).unwrap();
    assert_eq!(report.emails_sent, 1, "the next pass sends it");
    let sent = files(&outbox.join("new"));
    assert_eq!(sent.len(), 1);
    let message = std::fs::read_to_string(&sent[0]).unwrap();
    assert!(
        message.contains("From: \"Bob Rep\" <bob@team.example>"),
        "{message}"
    );

    // Step 2, a call, read as Ann's task, then the contact goes back to Ann.
    let mut later = at(&f.path, 2);
    let now = later.now();
    let due = later.due_steps(now, None, 10).unwrap();
    assert_eq!(due.len(), 1);
    let rendered: Vec<ExecutedStep> = due
        .iter()
        .map(|s| execute(s, "testws", now, &Default::default()).unwrap())
        .collect();
    let mut other = at(&f.path, 2);
    other
        .transfer(
            &f.manager_east,
            &TransferRequest {
                contacts: vec![f.c[0]],
                to: f.rep_ann.id,
                policy: TransferPolicy::Reassign,
                from_step: None,
                dry_run: false,
            },
        )
        .unwrap();
    let stale = later.record_executed(&rendered).unwrap();
    assert_eq!(
        stale.tasks, 0,
        "a task made for Bob was recorded after the reassign"
    );
    assert_eq!(run_once(&mut later, &outbox).unwrap().tasks_created, 1);
    let wrong: i64 = raw(&f.path)
        .query_row(
            "SELECT count(*) FROM tasks t JOIN enrollments e ON e.id = t.enrollment_id
             WHERE t.state = 'open' AND t.owner_id <> e.enrolled_by",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        wrong, 0,
        "an open task belongs to someone other than its enrollment's owner"
    );
}

/// A step another run executed first is reported as a refusal of the one
/// vocabulary (`skipped: [{id, code, why}]`, issue 17): the enrollment's
/// id, the code `already_run`, and a sentence naming the step.
#[test]
fn a_step_taken_by_another_run_is_skipped_with_its_enrollment_and_a_code() {
    let mut f = enrolled_fixture(2, 2);
    let now = f.ws.now();
    let due = f.ws.due_steps(now, None, 10).unwrap();
    assert_eq!(due.len(), 2);
    let rendered: Vec<ExecutedStep> = due
        .iter()
        .map(|s| execute(s, "testws", now, &Default::default()).unwrap())
        .collect();
    // Another run records them first.
    let mut other = at(&f.path, 0);
    assert_eq!(other.record_executed(&rendered).unwrap().emails, 2);
    let late = f.ws.record_executed(&rendered).unwrap();
    assert_eq!(late.emails, 0);
    let mut ids: Vec<i64> = late.skipped.iter().map(|s| s.id).collect();
    ids.sort_unstable();
    let mut enrollments: Vec<i64> = due.iter().map(|s| s.enrollment_id).collect();
    enrollments.sort_unstable();
    assert_eq!(ids, enrollments);
    for s in &late.skipped {
        assert_eq!(s.code, SkipCode::AlreadyRun);
        assert!(s.why.contains("step 1"), "{}", s.why);
    }
    let json = serde_json::to_value(&late).unwrap();
    assert_eq!(json["skipped"][0]["code"], "already_run");
}

/// Two steps of one enrollment in one batch (the due walk gives only the
/// current one, a caller may give both) are recorded in their order: the
/// email moves the enrollment on to the call, which is then claimed too.
#[test]
fn steps_of_one_enrollment_in_one_batch_are_recorded_in_order() {
    let mut f = enrolled_fixture(2, 1);
    let now = f.ws.now();
    let due = f.ws.due_steps(now, None, 10).unwrap();
    assert_eq!(due.len(), 1);
    let first = due[0].clone();
    let mut second = first.clone();
    second.scheduled_step_id = raw(&f.path)
        .query_row(
            "SELECT id FROM scheduled_steps WHERE enrollment_id = ?1 AND position = 2",
            [first.enrollment_id],
            |r| r.get(0),
        )
        .unwrap();
    second.position = 2;
    second.kind = "call".into();
    second.title = "Call {{first_name}}".into();
    let executed: Vec<ExecutedStep> = [&first, &second]
        .iter()
        .map(|s| execute(s, "testws", now, &Default::default()).unwrap())
        .collect();
    let report = f.ws.record_executed(&executed).unwrap();
    assert_eq!((report.emails, report.tasks, report.changed), (1, 1, 0));
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    let id = first.enrollment_id;
    assert_eq!(
        count(
            &f.path,
            &format!("SELECT current_step FROM enrollments WHERE id = {id}")
        ),
        2
    );
    assert_eq!(
        count(
            &f.path,
            &format!("SELECT count(*) FROM tasks WHERE enrollment_id = {id} AND state = 'open'")
        ),
        1
    );
    check_invariants(&f.path);
}

/// Recording a batch looks each staged step up by its key: the claim never
/// scans the pending steps (an `UPDATE … FROM` the staged table did, on
/// SQLite, once per batch of 500).
#[test]
fn the_claim_of_a_batch_looks_up_each_staged_step() {
    let f = sqlite_fixture(1);
    let conn = raw(&f.path);
    seqtui::store::run_record::stage_table(&conn).unwrap();
    let plan: Vec<String> = conn
        .prepare(&format!(
            "EXPLAIN QUERY PLAN {}",
            seqtui::store::run_record::CLAIM_SQL
        ))
        .unwrap()
        .query_map(["2026-11-02T09:00:00Z", "[1, 2]"], |r| {
            r.get::<_, String>(3)
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let text = plan.join("\n");
    assert!(
        text.contains("SEARCH scheduled_steps USING INTEGER PRIMARY KEY"),
        "{text}"
    );
    assert!(!text.contains("SCAN scheduled_steps"), "{text}");
}

/// The run's audit entry (the Activity view shows its detail) counts in
/// words that agree with the number: "1 email sent", not "1 emails sent".
#[test]
fn the_run_audit_entry_says_one_email_in_the_singular() {
    let f = enrolled_fixture(3, 1);
    let outbox = f.dir.path().join("outbox");
    let mut ws = at(&f.path, 0);
    assert_eq!(run_once(&mut ws, &outbox).unwrap().emails_sent, 1);
    let entries = ws.audit(None, 10).unwrap();
    let run = entries.iter().find(|e| e.action == "run").unwrap();
    assert_eq!(
        run.detail,
        "1 email sent, 0 tasks created, 0 enrollments finished"
    );
}
