//! The rules of SPEC §3 (R1–R5, R12, R13, R16) through the domain, on real
//! SQLite files.

mod common;

use common::*;
use proptest::prelude::*;
use seqtui::domain::*;

fn enroll_one(f: &mut Fixture, actor: &User, seq: i64, contact: i64) -> i64 {
    let report = f.ws.enroll(actor, seq, &[contact]).unwrap();
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    report.enrolled[0]
}

fn unenroll(f: &mut Fixture, actor: &User, ids: &[i64], dry_run: bool) -> UnenrollReport {
    f.ws.unenroll(
        actor,
        &UnenrollRequest {
            enrollments: ids.to_vec(),
            reason: EndReason::NotAFit,
            note: Some("wrong segment".into()),
            dry_run,
        },
    )
    .unwrap()
}

#[test]
fn enroll_schedules_every_step_with_cumulative_due_dates() {
    let mut f = fixture(3);
    let (ann, seq, c0) = (f.rep_ann.clone(), f.seq_a.id, f.c[0]);
    let id = enroll_one(&mut f, &ann, seq, c0);
    let detail = f.ws.contact_detail(c0).unwrap();
    let e = &detail.enrollments[0];
    assert_eq!(e.enrollment.id, id);
    assert_eq!(e.enrollment.status, Status::Active);
    assert_eq!((e.enrollment.step, e.enrollment.steps), (1, 3));
    assert_eq!(e.enrollment.enrolled_by, "ann@team.example");
    let due: Vec<_> = e
        .scheduled
        .iter()
        .map(|s| (s.step, s.due_at - now()))
        .collect();
    assert_eq!(
        due,
        vec![
            (1, chrono::Duration::days(0)),
            (2, chrono::Duration::days(2)),
            (3, chrono::Duration::days(5)),
        ]
    );
    assert!(e.scheduled.iter().all(|s| s.state == StepState::Scheduled));
    assert_eq!(e.enrollment.next_due_at, Some(now()));
}

#[test]
fn r1_one_open_enrollment_per_contact_refusal_names_the_sequence() {
    let mut f = fixture(3);
    let (ann, a, b, c0) = (f.rep_ann.clone(), f.seq_a.id, f.seq_b.id, f.c[0]);
    enroll_one(&mut f, &ann, a, c0);
    for seq in [a, b] {
        let report = f.ws.enroll(&ann, seq, &[c0]).unwrap();
        assert!(report.enrolled.is_empty());
        assert_eq!(report.refused.len(), 1);
        assert!(
            report.refused[0]
                .why
                .contains("already enrolled in 'Alpha Outbound'"),
            "{}",
            report.refused[0].why
        );
    }
    check_invariants(&f.path);
}

#[test]
fn r2_opted_out_contact_is_never_enrolled() {
    let mut f = fixture(3);
    let (ann, a, b, c0) = (f.rep_ann.clone(), f.seq_a.id, f.seq_b.id, f.c[0]);
    let id = enroll_one(&mut f, &ann, a, c0);
    let report = f.ws.opt_out(c0, "unsubscribe link").unwrap();
    assert_eq!(report.unenrolled, vec![id]);
    let e = f.ws.enrollment(id).unwrap();
    assert_eq!(e.status, Status::Unenrolled);
    assert_eq!(e.end_reason, Some(EndReason::OptedOut));
    assert_eq!(e.ended_by, None, "an opt-out is automatic");
    for seq in [a, b] {
        let report = f.ws.enroll(&ann, seq, &[c0]).unwrap();
        assert!(report.enrolled.is_empty());
        assert!(report.refused[0].why.contains("opted out"));
    }
    // a second opt-out changes nothing
    let again = f.ws.opt_out(c0, "unsubscribe link").unwrap();
    assert!(again.unenrolled.is_empty() && again.batch.is_none());
    check_invariants(&f.path);
}

#[test]
fn r3_unenroll_ends_cancels_steps_removes_open_tasks_keeps_history() {
    let mut f = fixture(3);
    let (ann, a, c0) = (f.rep_ann.clone(), f.seq_a.id, f.c[0]);
    let id = enroll_one(&mut f, &ann, a, c0);
    // The engine (a later issue) executes steps; here the history it leaves
    // is written directly: step 1 sent with its email, step 2's call task open.
    {
        let conn = raw(&f.path);
        conn.execute_batch(&format!(
            "UPDATE scheduled_steps SET state = 'sent', executed_at = due_at
               WHERE enrollment_id = {id} AND position = 1;
             UPDATE scheduled_steps SET state = 'done', executed_at = due_at
               WHERE enrollment_id = {id} AND position = 2;
             UPDATE enrollments SET current_step = 3 WHERE id = {id};
             INSERT INTO sent_emails(enrollment_id, sequence_id, message_id, thread_id, subject, sent_at)
               VALUES ({id}, {a}, '<m1@x>', '<m1@x>', 'Hi', '2026-11-02T09:00:00Z');
             INSERT INTO tasks(enrollment_id, owner_id, title, due_at, state, created_at)
               VALUES ({id}, {ann}, 'Call', '2026-11-04T09:00:00Z', 'open', '2026-11-04T09:00:00Z');
             INSERT INTO tasks(enrollment_id, owner_id, title, due_at, state, created_at, done_at)
               VALUES ({id}, {ann}, 'Old call', '2026-11-03T09:00:00Z', 'done', '2026-11-03T09:00:00Z', '2026-11-03T10:00:00Z');",
            ann = ann.id
        ))
        .unwrap();
    }
    let report = unenroll(&mut f, &ann, &[id], false);
    assert_eq!(report.unenrolled, vec![id]);
    assert_eq!(
        report.emails_cancelled, 1,
        "only step 3 (an email) was still scheduled"
    );
    assert_eq!(report.steps_cancelled, 1);
    assert_eq!(report.tasks_removed, 1);
    let detail = f.ws.contact_detail(c0).unwrap();
    let e = &detail.enrollments[0];
    assert_eq!(e.enrollment.status, Status::Unenrolled);
    assert_eq!(e.enrollment.end_reason, Some(EndReason::NotAFit));
    assert_eq!(e.enrollment.ended_at, Some(now()));
    assert_eq!(e.enrollment.ended_by.as_deref(), Some("ann@team.example"));
    assert_eq!(e.enrollment.note.as_deref(), Some("wrong segment"));
    assert_eq!(e.enrollment.step, 3, "the step it stopped at is kept");
    let states: Vec<_> = e.scheduled.iter().map(|s| s.state).collect();
    assert_eq!(
        states,
        vec![StepState::Sent, StepState::Done, StepState::Cancelled]
    );
    let tasks: Vec<_> = e.tasks.iter().map(|t| t.state).collect();
    assert!(tasks.contains(&TaskState::Removed) && tasks.contains(&TaskState::Done));
    assert!(detail.timeline.iter().any(|t| t.kind == "sent"));
    assert!(
        detail
            .timeline
            .iter()
            .any(|t| t.kind == "unenrolled" && t.detail.contains("not_a_fit by Ann Rep"))
    );
    // the contact and the sequence stay, and so do the sequence's sends
    assert!(f.ws.contact(&c0.to_string()).is_ok());
    let summary = f.ws.sequences().unwrap();
    let alpha = summary.iter().find(|s| s.id == a).unwrap();
    assert_eq!((alpha.unenrolled, alpha.total), (1, 1));
    check_invariants(&f.path);
}

/// A batch larger than [`TIDY_NOW_MAX`] ends its enrollments in its own
/// transaction and leaves the physical cancelling of their steps and tasks
/// to `tidy`: nothing a reader, the engine or a report sees differs in
/// between, and tidying never touches an enrollment that is open again.
#[test]
fn r3_large_batch_cancels_at_once_for_readers_and_tidies_after() {
    // Over one multi-row insert's rows too (`ROWS_PER_INSERT`): the staged
    // batch is written in a full chunk and a partial one on PostgreSQL.
    let n = (TIDY_NOW_MAX + 40).max(seqtui::store::ROWS_PER_INSERT + 40);
    let mut f = fixture(n);
    let (admin, a) = (f.admin.clone(), f.seq_a.id);
    let contacts = f.c.clone();
    let enrolled = f.ws.enroll(&admin, a, &contacts).unwrap().enrolled;
    assert_eq!(enrolled.len(), n);
    // Ten enrollments have an open call task; one of them is then finished
    // (its task stays the rep's to do), and enrollment 0 is at step 2.
    {
        let conn = raw(&f.path);
        for id in &enrolled[..10] {
            conn.execute(
                "INSERT INTO tasks(enrollment_id, owner_id, title, due_at, state, created_at)
                 VALUES (?1, ?2, 'Call', '2026-11-04T09:00:00Z', 'open', '2026-11-04T09:00:00Z')",
                [*id, admin.id],
            )
            .unwrap();
        }
        conn.execute_batch(&format!(
            "UPDATE scheduled_steps SET state = 'sent', executed_at = due_at
               WHERE enrollment_id = {e0} AND position = 1;
             UPDATE enrollments SET current_step = 2 WHERE id = {e0};
             UPDATE scheduled_steps SET state = 'done', executed_at = due_at WHERE enrollment_id = {e9};
             UPDATE enrollments SET status = 'finished' WHERE id = {e9};",
            e0 = enrolled[0],
            e9 = enrolled[9]
        ))
        .unwrap();
        // Written by hand: the sort columns follow (migration 19).
        seqtui::store::sort_keys::recompute_all(&conn).unwrap();
    }
    let due_later = now() + chrono::Duration::days(30);
    assert_eq!(f.ws.due_step_count(due_later).unwrap(), n - 1);
    let report = unenroll(&mut f, &admin, &enrolled, false);
    assert_eq!(
        report.unenrolled.len(),
        n - 1,
        "the finished one is skipped"
    );
    let open_left = n - 1;
    assert_eq!(report.steps_cancelled, (open_left * 3 - 1) as i64);
    assert_eq!(report.emails_cancelled, (open_left * 2 - 1) as i64);
    assert_eq!(report.tasks_removed, 9);
    // Readers: ended now, although the rows are still to be tidied.
    assert_eq!(f.ws.tidy_pending().unwrap(), open_left as i64);
    check_invariants(&f.path);
    assert_eq!(f.ws.due_step_count(due_later).unwrap(), 0);
    let detail = f.ws.contact_detail(contacts[0]).unwrap();
    let e = &detail.enrollments[0];
    let states: Vec<_> = e.scheduled.iter().map(|s| s.state).collect();
    assert_eq!(
        states,
        vec![StepState::Sent, StepState::Cancelled, StepState::Cancelled]
    );
    assert_eq!(
        e.tasks.iter().map(|t| t.state).collect::<Vec<_>>(),
        vec![TaskState::Removed]
    );
    let finished = f.ws.contact_detail(contacts[9]).unwrap();
    assert_eq!(finished.enrollments[0].tasks[0].state, TaskState::Open);
    let page =
        f.ws.enrollment_page(
            &EnrollmentQuery {
                sequences: vec![a],
                statuses: vec![],
                search: String::new(),
                stale: false,
                ..Default::default()
            },
            None,
            n,
        )
        .unwrap();
    assert!(page.iter().all(|r| r.next_due_at.is_none()));
    // An enrollment open again before tidying (what undo will do) keeps
    // its steps: tidying touches only what is still ended.
    let reopened = enrolled[1];
    raw(&f.path)
        .execute(
            "UPDATE enrollments SET status = 'active', end_reason = NULL WHERE id = ?1",
            [reopened],
        )
        .unwrap();
    seqtui::store::sort_keys::recompute_all(&raw(&f.path)).unwrap();
    let mut tidied = 0;
    loop {
        let step = f.ws.tidy(100).unwrap();
        if step == 0 {
            break;
        }
        assert!(step <= 100);
        tidied += step;
    }
    assert_eq!(tidied, open_left);
    assert_eq!(f.ws.tidy_pending().unwrap(), 0);
    let conn = raw(&f.path);
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(
        count(&format!(
            "SELECT count(*) FROM scheduled_steps WHERE state = 'scheduled' AND enrollment_id = {reopened}"
        )),
        3
    );
    assert_eq!(
        count("SELECT count(*) FROM scheduled_steps WHERE state = 'cancelled'"),
        report.steps_cancelled - 3
    );
    assert_eq!(
        count("SELECT count(*) FROM tasks WHERE state = 'removed'"),
        report.tasks_removed - 1
    );
    check_tidied(&f.path);
}

#[test]
fn r4_single_unenroll_refuses_when_the_enrollment_changed() {
    let mut f = fixture(3);
    let (ann, mae, a, c0) = (
        f.rep_ann.clone(),
        f.manager_east.clone(),
        f.seq_a.id,
        f.c[0],
    );
    let id = enroll_one(&mut f, &ann, a, c0);
    let confirmed = Expected {
        sequence_id: a,
        status: Status::Active,
    };
    // someone else ends it between the look and the confirm
    f.ws.unenroll_one(&mae, id, &confirmed, EndReason::Converted, None)
        .unwrap();
    let err =
        f.ws.unenroll_one(&ann, id, &confirmed, EndReason::NotAFit, None)
            .unwrap_err();
    assert_eq!(err.exit_code(), 3);
    let text = err.to_string();
    assert!(text.contains("is now unenrolled (converted)"), "{text}");
    assert!(text.contains("nothing was changed"));
    let e = f.ws.enrollment(id).unwrap();
    assert_eq!(e.end_reason, Some(EndReason::Converted));
    assert_eq!(e.ended_by.as_deref(), Some("mae@team.example"));
    // a confirmation naming another sequence is refused too
    let (c1,) = (f.c[1],);
    let other = enroll_one(&mut f, &ann, a, c1);
    let wrong = Expected {
        sequence_id: f.seq_b.id,
        status: Status::Active,
    };
    assert!(
        f.ws.unenroll_one(&ann, other, &wrong, EndReason::NotAFit, None)
            .is_err()
    );
    assert_eq!(f.ws.enrollment(other).unwrap().status, Status::Active);
}

#[test]
fn r5_bulk_is_one_batch_lists_skips_and_is_idempotent() {
    let mut f = fixture(9);
    let (ann, a) = (f.rep_ann.clone(), f.seq_a.id);
    let admin = f.admin.clone();
    let contacts = f.c.clone();
    let ids: Vec<i64> = contacts
        .iter()
        .map(|&c| enroll_one(&mut f, &admin, a, c))
        .collect();
    // one already ended before the bulk action
    unenroll(&mut f, &admin, &ids[..1], false);
    let mut request: Vec<i64> = ids.clone();
    request.push(999_999);
    let preview = unenroll(&mut f, &ann, &request, true);
    assert!(preview.dry_run && preview.batch.is_none());
    // nothing changed by the dry run
    assert_eq!(f.ws.enrollment(ids[1]).unwrap().status, Status::Active);
    let report = unenroll(&mut f, &ann, &request, false);
    assert_eq!(
        report.unenrolled, preview.unenrolled,
        "a dry run reports what happens"
    );
    assert_eq!(report.emails_cancelled, preview.emails_cancelled);
    assert_eq!(report.tasks_removed, preview.tasks_removed);
    // ann (rep) owns contacts 0, 3, 6 (every third); admin enrolled all
    let owned_by_ann: Vec<i64> = vec![ids[3], ids[6]];
    assert_eq!(report.unenrolled, owned_by_ann);
    assert_eq!(report.emails_cancelled, 4, "two emails per enrollment");
    let why = |id: i64| {
        report
            .skipped
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.why.clone())
            .unwrap()
    };
    assert_eq!(why(ids[0]), "already unenrolled (not_a_fit)");
    assert!(why(ids[1]).starts_with("not permitted"));
    assert_eq!(why(999_999), "not found");
    let batch = report.batch.clone().unwrap();
    for id in &owned_by_ann {
        assert_eq!(
            f.ws.enrollment(*id).unwrap().batch.as_deref(),
            Some(batch.as_str())
        );
    }
    // the same request again changes nothing and writes no batch
    let again = unenroll(&mut f, &ann, &request, false);
    assert!(again.unenrolled.is_empty() && again.batch.is_none());
    assert_eq!(again.skipped.len(), request.len());
    check_invariants(&f.path);
}

#[test]
fn r5_bulk_is_all_or_nothing_when_the_write_fails() {
    let mut f = fixture(4);
    let (admin, a) = (f.admin.clone(), f.seq_a.id);
    let contacts = f.c.clone();
    let ids: Vec<i64> = contacts
        .iter()
        .map(|&c| enroll_one(&mut f, &admin, a, c))
        .collect();
    // make the last write of the transaction fail
    fail_inserts_into(&f.path, "audit_enrollments");
    let err =
        f.ws.unenroll(
            &admin,
            &UnenrollRequest {
                enrollments: ids.clone(),
                reason: EndReason::Stale,
                note: None,
                dry_run: false,
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("disk on fire"));
    for id in ids {
        assert_eq!(f.ws.enrollment(id).unwrap().status, Status::Active);
    }
    let conn = raw(&f.path);
    let cancelled: i64 = conn
        .query_row(
            "SELECT count(*) FROM scheduled_steps WHERE state = 'cancelled'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(cancelled, 0);
}

#[test]
fn r12_permissions_by_role_and_team() {
    let mut f = fixture(6);
    let (admin, ann, bob, wes, mae, mo) = (
        f.admin.clone(),
        f.rep_ann.clone(),
        f.rep_bob.clone(),
        f.rep_wes.clone(),
        f.manager_east.clone(),
        f.manager_west.clone(),
    );
    let a = f.seq_a.id;
    // contact 1 is owned by bob (East); ann enrolls it
    let c1 = f.c[1];
    let id = enroll_one(&mut f, &ann, a, c1);
    let try_as = |f: &mut Fixture, who: &User| {
        f.ws.unenroll(
            who,
            &UnenrollRequest {
                enrollments: vec![id],
                reason: EndReason::Other,
                note: None,
                dry_run: true,
            },
        )
        .unwrap()
    };
    assert_eq!(try_as(&mut f, &ann).unenrolled, vec![id], "the enroller");
    assert_eq!(
        try_as(&mut f, &bob).unenrolled,
        vec![id],
        "the contact owner"
    );
    assert_eq!(
        try_as(&mut f, &mae).unenrolled,
        vec![id],
        "a manager of the team"
    );
    assert_eq!(try_as(&mut f, &admin).unenrolled, vec![id], "an admin");
    let refused = try_as(&mut f, &wes);
    assert!(refused.unenrolled.is_empty(), "a rep of another team");
    assert_eq!(
        refused.skipped[0].why,
        "not permitted: only Ann Rep (who enrolled the contact), Bob Rep (the contact's owner), a manager of team East or an admin may unenroll it"
    );
    assert!(
        try_as(&mut f, &mo).unenrolled.is_empty(),
        "a manager of another team"
    );
    // the single path refuses with the sentence, and nothing changes
    let err =
        f.ws.unenroll_one(
            &wes,
            id,
            &Expected {
                sequence_id: a,
                status: Status::Active,
            },
            EndReason::Other,
            None,
        )
        .unwrap_err();
    assert_eq!(err.exit_code(), 3);
    assert!(err.to_string().contains("who enrolled the contact"));
    assert_eq!(f.ws.enrollment(id).unwrap().status, Status::Active);
    // only an admin adds users
    assert!(
        f.ws.add_user(&mae, "x@team.example", "X", Role::Rep, "East")
            .is_err()
    );
}

#[test]
fn r13_every_change_is_audited_with_actor_reason_note_batch() {
    let mut f = fixture(3);
    let (ann, a) = (f.rep_ann.clone(), f.seq_a.id);
    let (c0, c1) = (f.c[0], f.c[1]);
    let report = f.ws.enroll(&ann, a, &[c0, c1]).unwrap();
    let enroll_batch = report.batch.clone().unwrap();
    let ids = report.enrolled.clone();
    let admin = f.admin.clone();
    let un = unenroll(&mut f, &admin, &ids, false);
    let entries = f.ws.audit(None, 100).unwrap();
    let newest = &entries[0];
    assert_eq!(newest.action, "unenroll");
    assert_eq!(newest.actor.as_deref(), Some("admin@team.example"));
    assert_eq!(newest.reason.as_deref(), Some("not_a_fit"));
    assert_eq!(newest.note.as_deref(), Some("wrong segment"));
    assert_eq!(newest.batch, un.batch);
    assert_eq!(newest.count, 2);
    let mut touched = newest.enrollments.clone();
    touched.sort();
    assert_eq!(touched, ids);
    let enrolled = entries.iter().find(|e| e.action == "enroll").unwrap();
    assert_eq!(enrolled.batch.as_deref(), Some(enroll_batch.as_str()));
    assert_eq!(enrolled.actor.as_deref(), Some("ann@team.example"));
    // append-only
    let conn = raw(&f.path);
    assert!(conn.execute("DELETE FROM audit", []).is_err());
    assert!(conn.execute("UPDATE audit SET note = 'x'", []).is_err());
    // --since filters
    let later = now() + chrono::Duration::hours(1);
    assert!(f.ws.audit(Some(later), 100).unwrap().is_empty());
}

#[test]
fn r16_reenroll_after_the_open_enrollment_ended() {
    let mut f = fixture(3);
    let (ann, a, b, c0) = (f.rep_ann.clone(), f.seq_a.id, f.seq_b.id, f.c[0]);
    let first = enroll_one(&mut f, &ann, a, c0);
    unenroll(&mut f, &ann, &[first], false);
    let second = enroll_one(&mut f, &ann, b, c0);
    unenroll(&mut f, &ann, &[second], false);
    let third = enroll_one(&mut f, &ann, a, c0);
    assert!(third > second && second > first);
    let detail = f.ws.contact_detail(c0).unwrap();
    assert_eq!(detail.enrollments.len(), 3);
    check_invariants(&f.path);
}

#[test]
fn keyset_pages_walk_the_whole_list_in_name_order() {
    let mut f = fixture(40);
    let (admin, a) = (f.admin.clone(), f.seq_a.id);
    let contacts = f.c.clone();
    let report = f.ws.enroll(&admin, a, &contacts).unwrap();
    // end a few so that status filters matter
    unenroll(&mut f, &admin, &report.enrolled[..5], false);
    for statuses in [
        vec![],
        vec![Status::Active],
        vec![Status::Unenrolled],
        vec![Status::Active, Status::Unenrolled],
    ] {
        let query = EnrollmentQuery {
            sequences: vec![a],
            statuses: statuses.clone(),
            search: String::new(),
            stale: false,
            ..Default::default()
        };
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = f.ws.enrollment_page(&query, after.as_ref(), 7).unwrap();
            after = page.last().map(|r| r.page_key());
            let done = page.len() < 7;
            seen.extend(page);
            if done {
                break;
            }
        }
        let ids: Vec<i64> = seen.iter().map(|r| r.id).collect();
        assert_eq!(ids, f.ws.enrollment_ids(&query).unwrap(), "{statuses:?}");
        let keys: Vec<(String, i64)> = seen.iter().map(|r| (r.sort_name.clone(), r.id)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        let expected = match statuses.as_slice() {
            [] => 40,
            [Status::Active] => 35,
            [Status::Unenrolled] => 5,
            _ => 40,
        };
        assert_eq!(seen.len(), expected, "{statuses:?}");
    }
    // text search is literal: % and _ are not wildcards
    let query = |search: &str| EnrollmentQuery {
        sequences: vec![a],
        statuses: vec![],
        search: search.into(),
        stale: false,
        ..Default::default()
    };
    assert_eq!(f.ws.enrollment_ids(&query("first0007")).unwrap().len(), 1);
    assert_eq!(f.ws.enrollment_ids(&query("ACME 3")).unwrap().len(), 6);
    assert!(f.ws.enrollment_ids(&query("%")).unwrap().is_empty());
    assert!(f.ws.enrollment_ids(&query("_")).unwrap().is_empty());
}

#[test]
fn create_sequence_rejects_unknown_merge_fields() {
    let mut f = fixture(1);
    let admin = f.admin.clone();
    let mut steps = steps();
    steps[0].body = "Hi {{firstname}}".into();
    let err =
        f.ws.create_sequence(&admin, "Broken", &steps, false)
            .unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(
        err.to_string()
            .contains("unknown merge field '{{firstname}}'"),
        "{err}"
    );
    assert!(f.ws.sequence("Broken").is_err());
}

#[derive(Debug, Clone)]
enum Op {
    Enroll { contact: usize, seq: bool },
    Unenroll { contact: usize },
    Bulk { contacts: Vec<usize>, dry_run: bool },
    OptOut { contact: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..8usize, any::<bool>()).prop_map(|(contact, seq)| Op::Enroll { contact, seq }),
        2 => (0..8usize).prop_map(|contact| Op::Unenroll { contact }),
        2 => (prop::collection::vec(0..8usize, 0..6), any::<bool>())
            .prop_map(|(contacts, dry_run)| Op::Bulk { contacts, dry_run }),
        1 => (0..8usize).prop_map(|contact| Op::OptOut { contact }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Random interleavings of enroll, unenroll, bulk unenroll and opt-out
    /// keep R1 (one open enrollment per contact) and R3 (nothing scheduled
    /// or open left on an ended enrollment), and never enroll an opted-out
    /// contact (R2).
    #[test]
    fn random_interleavings_keep_r1_r2_r3(ops in prop::collection::vec(op(), 1..30)) {
        let mut f = fixture(8);
        let admin = f.admin.clone();
        let users = [f.rep_ann.clone(), f.rep_wes.clone(), f.manager_east.clone(), admin.clone()];
        let mut opted_out = std::collections::HashSet::new();
        for (i, op) in ops.iter().enumerate() {
            let actor = &users[i % users.len()];
            match op {
                Op::Enroll { contact, seq } => {
                    let seq = if *seq { f.seq_a.id } else { f.seq_b.id };
                    let report = f.ws.enroll(actor, seq, &[f.c[*contact]]).unwrap();
                    if opted_out.contains(contact) {
                        prop_assert!(report.enrolled.is_empty());
                    }
                }
                Op::Unenroll { contact } => {
                    let detail = f.ws.contact_detail(f.c[*contact]).unwrap();
                    if let Some(open) = detail.enrollments.iter().find(|e| e.enrollment.status.is_open()) {
                        let expected = Expected { sequence_id: open.enrollment.sequence_id, status: open.enrollment.status };
                        let _ = f.ws.unenroll_one(actor, open.enrollment.id, &expected, EndReason::Other, None);
                    }
                }
                Op::Bulk { contacts, dry_run } => {
                    let mut ids = Vec::new();
                    for c in contacts {
                        for e in f.ws.contact_detail(f.c[*c]).unwrap().enrollments {
                            ids.push(e.enrollment.id);
                        }
                    }
                    f.ws.unenroll(actor, &UnenrollRequest { enrollments: ids, reason: EndReason::Stale, note: None, dry_run: *dry_run }).unwrap();
                }
                Op::OptOut { contact } => {
                    f.ws.opt_out(f.c[*contact], "test").unwrap();
                    opted_out.insert(*contact);
                }
            }
        }
        check_invariants(&f.path);
    }
}
