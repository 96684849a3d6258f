//! The manager tools through the domain on real SQLite files: pause and
//! resume (R14), undo (R15), ownership transfer (R10), with R12 and R13.

mod common;

use chrono::Duration;
use common::*;
use seqtui::domain::*;

fn enroll(f: &mut Fixture, actor: &User, seq: i64, contacts: &[i64]) -> Vec<i64> {
    let report = f.ws.enroll(actor, seq, contacts).unwrap();
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    report.enrolled
}

fn unenroll(f: &mut Fixture, actor: &User, ids: &[i64]) -> UnenrollReport {
    f.ws.unenroll(
        actor,
        &UnenrollRequest {
            enrollments: ids.to_vec(),
            reason: EndReason::Stale,
            note: None,
            dry_run: false,
        },
    )
    .unwrap()
}

/// Moves the workspace clock.
fn at(f: &mut Fixture, t: Timestamp) {
    f.ws = Workspace::open(&f.path, Clock::Fixed(t)).unwrap();
}

fn dues(f: &Fixture, contact: i64) -> Vec<(StepState, Timestamp)> {
    let detail = f.ws.contact_detail(contact).unwrap();
    detail.enrollments[0]
        .scheduled
        .iter()
        .map(|s| (s.state, s.due_at))
        .collect()
}

fn status(f: &Fixture, id: i64) -> Status {
    f.ws.enrollment(id).unwrap().status
}

#[test]
fn pause_stops_sending_and_resume_moves_overdue_steps_keeping_gaps() {
    let mut f = fixture(3);
    let c = f.c.clone();
    let (ann, a) = (f.rep_ann.clone(), f.seq_a.id);
    let ids = enroll(&mut f, &ann, a, &[c[0]]);
    let before = dues(&f, c[0]);
    let report = f.ws.pause(&ann, &ids, false).unwrap();
    assert_eq!(report.changed, ids);
    assert!(report.batch.is_some());
    assert_eq!(status(&f, ids[0]), Status::Paused);
    assert_eq!(
        f.ws.due_step_count(now() + Duration::days(30)).unwrap(),
        0,
        "a paused enrollment sends nothing"
    );
    // Pausing again is harmless and says why.
    let again = f.ws.pause(&ann, &ids, false).unwrap();
    assert!(again.changed.is_empty());
    assert_eq!(again.skipped[0].why, "already paused");
    // Ten days later the first step is 10 days overdue: every step moves
    // 10 days later, so the gaps (2 and 3 days) stay.
    let later = now() + Duration::days(10);
    at(&mut f, later);
    let resumed = f.ws.resume(&ann, &ids, false).unwrap();
    assert_eq!(resumed.changed, ids);
    assert_eq!(resumed.steps_moved, 3);
    assert_eq!(status(&f, ids[0]), Status::Active);
    let after = dues(&f, c[0]);
    assert_eq!(after[0].1, later);
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(a.1 - b.1, Duration::days(10));
        assert_eq!(a.0, StepState::Scheduled);
    }
    let audit = f.ws.audit(None, 10).unwrap();
    assert!(audit.iter().any(|e| e.action == "pause"));
    assert!(audit.iter().any(|e| e.action == "resume"));
    check_invariants(&f.path);
}

#[test]
fn pause_checks_permissions_and_status_per_enrollment_and_dry_run_changes_nothing() {
    let mut f = fixture(6);
    let c = f.c.clone();
    let (ann, wes, a) = (f.rep_ann.clone(), f.rep_wes.clone(), f.seq_a.id);
    let ids = enroll(&mut f, &ann, a, &[c[0], c[1]]);
    unenroll(&mut f, &ann, &[ids[1]]);
    let dry = f.ws.pause(&ann, &[ids[0], ids[1], 9999], true).unwrap();
    assert_eq!(dry.changed, vec![ids[0]]);
    assert_eq!(
        status(&f, ids[0]),
        Status::Active,
        "a dry run changes nothing"
    );
    let whys: Vec<&str> = dry.skipped.iter().map(|s| s.why.as_str()).collect();
    assert_eq!(whys, vec!["already unenrolled (stale)", "not found"]);
    // Wes (a rep of the other team) neither enrolled c0 nor owns it.
    let refused = f.ws.pause(&wes, &[ids[0]], false).unwrap();
    assert!(refused.changed.is_empty());
    assert!(refused.skipped[0].why.starts_with("not permitted"));
    assert_eq!(status(&f, ids[0]), Status::Active);
}

#[test]
fn undo_restores_status_step_schedule_and_tasks_and_is_audited() {
    let mut f = fixture(4);
    let c = f.c.clone();
    let (mae, a) = (f.manager_east.clone(), f.seq_a.id);
    let ids = enroll(&mut f, &mae, a, &[c[0], c[1], c[2]]);
    // c1 is at step 2 with its call task open; c2 is paused.
    raw(&f.path)
        .execute_batch(&format!(
            "UPDATE scheduled_steps SET state = 'sent', executed_at = due_at
               WHERE enrollment_id = {e1} AND position = 1;
             UPDATE enrollments SET current_step = 2 WHERE id = {e1};
             INSERT INTO tasks(enrollment_id, owner_id, title, due_at, state, created_at)
               VALUES ({e1}, {mae}, 'Call', '2026-11-04T09:00:00Z', 'open', '2026-11-02T09:00:00Z');
             UPDATE enrollments SET status = 'paused' WHERE id = {e2};",
            e1 = ids[1],
            e2 = ids[2],
            mae = mae.id
        ))
        .unwrap();
    let before: Vec<_> = (0..3).map(|i| dues(&f, c[i])).collect();
    let report = unenroll(&mut f, &mae, &ids);
    let batch = report.batch.clone().unwrap();
    assert_eq!(f.ws.last_undoable_batch(&mae).unwrap(), Some(batch.clone()));
    let later = now() + Duration::minutes(10);
    at(&mut f, later);
    let undo = f.ws.undo(&mae, &batch).unwrap();
    assert_eq!(undo.restored, ids);
    assert!(undo.not_restored.is_empty());
    assert!(undo.undo_batch.is_some());
    let e: Vec<EnrollmentRow> = ids.iter().map(|id| f.ws.enrollment(*id).unwrap()).collect();
    assert_eq!(e[0].status, Status::Active);
    assert_eq!((e[1].status, e[1].step), (Status::Active, 2));
    assert_eq!(e[2].status, Status::Paused);
    assert!(
        e.iter()
            .all(|r| r.end_reason.is_none() && r.batch.is_none())
    );
    // The schedule is back: step 1 of c0 was due at `now`, 10 minutes ago,
    // so everything moved 10 minutes later; c1's sent step stays sent.
    let after0 = dues(&f, c[0]);
    assert_eq!(after0[0], (StepState::Scheduled, later));
    assert_eq!(after0[2].1 - before[0][2].1, Duration::minutes(10));
    let after1 = dues(&f, c[1]);
    assert_eq!(after1[0].0, StepState::Sent);
    assert!(after1[1..].iter().all(|s| s.0 == StepState::Scheduled));
    let detail = f.ws.contact_detail(c[1]).unwrap();
    assert_eq!(detail.enrollments[0].tasks[0].state, TaskState::Open);
    let audit = f.ws.audit(None, 10).unwrap();
    let entry = audit.iter().find(|e| e.action == "undo").unwrap();
    assert_eq!(entry.detail, batch);
    // The undo's own rows say what each was before it: unenrolled, at the
    // step it returns to.
    let mut rows: Vec<(i64, String, i64)> = {
        let conn = raw(&f.path);
        let mut stmt = conn
            .prepare(
                "SELECT enrollment_id, before_status, before_step FROM audit_enrollments
                 WHERE audit_id = ?1 ORDER BY enrollment_id",
            )
            .unwrap();
        stmt.query_map([entry.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<seqtui::store::db::Result<_>>()
            .unwrap()
    };
    rows.sort();
    assert_eq!(
        rows,
        vec![
            (ids[0], "unenrolled".to_string(), 1),
            (ids[1], "unenrolled".to_string(), 2),
            (ids[2], "unenrolled".to_string(), 1)
        ]
    );
    assert_eq!(f.ws.last_undoable_batch(&mae).unwrap(), None);
    // Twice is refused, and nothing changes.
    let again = f.ws.undo(&mae, &batch).unwrap_err();
    assert!(matches!(again, DomainError::Refused(_)), "{again}");
    check_invariants(&f.path);
}

#[test]
fn undo_is_refused_after_the_window_for_another_user_or_an_automatic_batch() {
    let mut f = fixture(3);
    let c = f.c.clone();
    let (mae, ann, a) = (f.manager_east.clone(), f.rep_ann.clone(), f.seq_a.id);
    let ids = enroll(&mut f, &ann, a, &[c[0]]);
    let batch = unenroll(&mut f, &ann, &ids).batch.unwrap();
    let other = f.ws.undo(&mae, &batch).unwrap_err();
    assert!(other.to_string().contains("only Ann Rep"), "{other}");
    at(&mut f, now() + Duration::minutes(16));
    assert_eq!(f.ws.last_undoable_batch(&ann).unwrap(), None);
    let late = f.ws.undo(&ann, &batch).unwrap_err();
    assert!(late.to_string().contains("15 minutes"), "{late}");
    assert_eq!(status(&f, ids[0]), Status::Unenrolled);
    // A custom window from the rules.
    f.ws.set_rules(Rules {
        undo_window_minutes: 30,
        ..Rules::default()
    });
    assert_eq!(f.ws.undo(&ann, &batch).unwrap().restored, ids);
    // An opt-out's batch is automatic: not undoable.
    let ids = enroll(&mut f, &ann, a, &[c[1]]);
    let auto = f.ws.opt_out(c[1], "test").unwrap().batch.unwrap();
    let refused = f.ws.undo(&ann, &auto).unwrap_err();
    assert!(
        refused.to_string().contains("not a manual unenroll"),
        "{refused}"
    );
    assert_eq!(status(&f, ids[0]), Status::Unenrolled);
    assert!(matches!(
        f.ws.undo(&ann, "B999").unwrap_err(),
        DomainError::NotFound(_)
    ));
}

#[test]
fn undo_leaves_contacts_enrolled_elsewhere_or_opted_out_and_says_why() {
    let mut f = fixture(4);
    let c = f.c.clone();
    let (mae, a, b) = (f.manager_east.clone(), f.seq_a.id, f.seq_b.id);
    let ids = enroll(&mut f, &mae, a, &[c[0], c[1], c[2]]);
    let batch = unenroll(&mut f, &mae, &ids).batch.unwrap();
    enroll(&mut f, &mae, b, &[c[0]]);
    f.ws.opt_out(c[1], "test").unwrap();
    let undo = f.ws.undo(&mae, &batch).unwrap();
    assert_eq!(undo.restored, vec![ids[2]]);
    let whys: Vec<&str> = undo.not_restored.iter().map(|s| s.why.as_str()).collect();
    assert_eq!(whys.len(), 2);
    assert!(
        whys[0].contains("is now enrolled in 'Beta Nurture'"),
        "{whys:?}"
    );
    assert!(whys[1].contains("has opted out"), "{whys:?}");
    assert_eq!(status(&f, ids[0]), Status::Unenrolled);
    assert_eq!(status(&f, ids[2]), Status::Active);
    check_invariants(&f.path);
}

/// A batch large enough to be tidied after its transaction: undo gives the
/// same result before and after the tidying.
#[test]
fn undo_of_a_large_batch_is_the_same_before_and_after_tidying() {
    for tidy_first in [false, true] {
        let n = TIDY_NOW_MAX + 10;
        let mut f = fixture(n);
        let c = f.c.clone();
        let (admin, a) = (f.admin.clone(), f.seq_a.id);
        let contacts = c.clone();
        let ids = enroll(&mut f, &admin, a, &contacts);
        let batch = unenroll(&mut f, &admin, &ids).batch.unwrap();
        if tidy_first {
            assert_eq!(f.ws.tidy_all().unwrap(), n);
        }
        let undo = f.ws.undo(&admin, &batch).unwrap();
        assert_eq!(undo.restored.len(), n);
        let scheduled: i64 = raw(&f.path)
            .query_row(
                "SELECT count(*) FROM scheduled_steps WHERE state = 'scheduled'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(scheduled, 3 * n as i64, "tidy first: {tidy_first}");
        f.ws.tidy_all().unwrap();
        check_tidied(&f.path);
        assert_eq!(
            f.ws.due_step_count(now()).unwrap(),
            n,
            "every first step is due again"
        );
    }
}

fn transfer(
    f: &mut Fixture,
    actor: &User,
    contacts: &[i64],
    to: &User,
    policy: TransferPolicy,
    from_step: Option<i64>,
    dry_run: bool,
) -> TransferReport {
    f.ws.transfer(
        actor,
        &TransferRequest {
            contacts: contacts.to_vec(),
            to: to.id,
            policy,
            from_step,
            dry_run,
        },
    )
    .unwrap()
}

#[test]
fn transfer_keep_changes_the_owner_only_and_the_preview_changes_nothing() {
    let mut f = fixture(3);
    let c = f.c.clone();
    let (mae, bob, a) = (f.manager_east.clone(), f.rep_bob.clone(), f.seq_a.id);
    let c0 = c[0];
    let ids = enroll(&mut f, &mae, a, &[c0]);
    let preview = transfer(&mut f, &mae, &[c0], &bob, TransferPolicy::Keep, None, true);
    assert_eq!(preview.contacts, vec![c0]);
    assert_eq!(preview.enrollments.len(), 1);
    let item = &preview.enrollments[0];
    assert_eq!(
        (
            item.sequence.as_str(),
            item.enrolled_by.as_str(),
            item.step,
            item.steps
        ),
        ("Alpha Outbound", "mae@team.example", 1, 3)
    );
    assert_eq!(item.next_due_at, Some(now()));
    assert_eq!(item.action, TransferAction::Keep);
    assert_eq!(
        f.ws.contact(&c0.to_string()).unwrap().owner.as_deref(),
        Some("ann@team.example")
    );
    let done = transfer(&mut f, &mae, &[c0], &bob, TransferPolicy::Keep, None, false);
    assert!(done.batch.is_some());
    assert_eq!(
        f.ws.contact(&c0.to_string()).unwrap().owner.as_deref(),
        Some("bob@team.example")
    );
    let e = f.ws.enrollment(ids[0]).unwrap();
    assert_eq!(
        (e.status, e.enrolled_by.as_str()),
        (Status::Active, "mae@team.example")
    );
    assert!(
        f.ws.audit(None, 5)
            .unwrap()
            .iter()
            .any(|e| e.action == "transfer")
    );
}

#[test]
fn transfer_reassign_moves_the_enrollment_and_its_open_tasks() {
    let mut f = fixture(3);
    let c = f.c.clone();
    let (mae, bob, a) = (f.manager_east.clone(), f.rep_bob.clone(), f.seq_a.id);
    let c0 = c[0];
    let ids = enroll(&mut f, &mae, a, &[c0]);
    raw(&f.path)
        .execute(
            "INSERT INTO tasks(enrollment_id, owner_id, title, due_at, state, created_at)
             VALUES (?1, ?2, 'Call', '2026-11-04T09:00:00Z', 'open', '2026-11-02T09:00:00Z')",
            [ids[0], mae.id],
        )
        .unwrap();
    let done = transfer(
        &mut f,
        &mae,
        &[c0],
        &bob,
        TransferPolicy::Reassign,
        None,
        false,
    );
    assert_eq!(done.enrollments[0].action, TransferAction::Reassign);
    let e = f.ws.enrollment(ids[0]).unwrap();
    assert_eq!(
        (e.status, e.enrolled_by.as_str()),
        (Status::Active, "bob@team.example")
    );
    let detail = f.ws.contact_detail(c0).unwrap();
    assert_eq!(detail.enrollments[0].tasks[0].owner, "bob@team.example");
    // Bob now may act on it; Mae's team still may.
    assert!(f.ws.pause(&bob, &ids, true).unwrap().skipped.is_empty());
}

#[test]
fn transfer_unenroll_ends_with_ownership_changed_only_from_the_given_step() {
    let mut f = fixture(4);
    let c = f.c.clone();
    let (mae, bob, a) = (f.manager_east.clone(), f.rep_bob.clone(), f.seq_a.id);
    let ids = enroll(&mut f, &mae, a, &[c[0], c[1]]);
    raw(&f.path)
        .execute(
            "UPDATE enrollments SET current_step = 3 WHERE id = ?1",
            [ids[1]],
        )
        .unwrap();
    let contacts = [c[0], c[1]];
    let done = transfer(
        &mut f,
        &mae,
        &contacts,
        &bob,
        TransferPolicy::Unenroll,
        Some(2),
        false,
    );
    let actions: Vec<(i64, &str)> = done
        .enrollments
        .iter()
        .map(|i| (i.enrollment, i.action.as_str()))
        .collect();
    assert!(actions.contains(&(ids[0], "keep")) && actions.contains(&(ids[1], "unenroll")));
    assert_eq!(status(&f, ids[0]), Status::Active);
    let ended = f.ws.enrollment(ids[1]).unwrap();
    assert_eq!(ended.status, Status::Unenrolled);
    assert_eq!(ended.end_reason, Some(EndReason::OwnershipChanged));
    // Both contacts changed owner whatever happened to the enrollments.
    for c in contacts {
        assert_eq!(
            f.ws.contact(&c.to_string()).unwrap().owner.as_deref(),
            Some("bob@team.example")
        );
    }
    check_invariants(&f.path);
}

#[test]
fn transfer_by_a_rep_moves_only_what_the_rep_may_change() {
    let mut f = fixture(6);
    let c = f.c.clone();
    let (ann, bob, a) = (f.rep_ann.clone(), f.rep_bob.clone(), f.seq_a.id);
    // c0 is Ann's, c1 is Bob's (fixture owners: ann, bob, wes in turn).
    let done = transfer(
        &mut f,
        &ann,
        &[c[0], c[1]],
        &bob,
        TransferPolicy::Keep,
        None,
        false,
    );
    assert_eq!(done.contacts, vec![c[0]]);
    assert_eq!(done.contacts_skipped.len(), 1);
    assert!(done.contacts_skipped[0].why.starts_with("not permitted"));
    assert_eq!(
        f.ws.contact(&c[1].to_string()).unwrap().owner.as_deref(),
        Some("bob@team.example")
    );
    let _ = a;
}
