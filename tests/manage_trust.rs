//! Issue 12's manager items on real files: a transfer asks like a bulk
//! unenroll and can be undone (R15), undo rechecks R12 when it runs, an
//! enroll can be undone, and the audit names what `run` and `transfer`
//! changed (R13).

mod common;

use chrono::Duration;
use common::cli::*;
use common::*;
use seqtui::domain::*;

/// Enrolls in Alpha, or in Beta when `beta`.
fn enroll(f: &mut Fixture, actor: &User, beta: bool, contacts: &[i64]) -> (Vec<i64>, String) {
    let seq = if beta { f.seq_b.id } else { f.seq_a.id };
    let report = f.ws.enroll(actor, seq, contacts).unwrap();
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    (report.enrolled, report.batch.unwrap())
}

fn status(f: &Fixture, id: i64) -> Status {
    f.ws.enrollment(id).unwrap().status
}

fn owner(f: &Fixture, contact: i64) -> Option<String> {
    f.ws.contact(&contact.to_string()).unwrap().owner
}

fn transfer(
    f: &mut Fixture,
    actor: &User,
    contacts: &[i64],
    to: &User,
    policy: TransferPolicy,
) -> TransferReport {
    f.ws.transfer(
        actor,
        &TransferRequest {
            contacts: contacts.to_vec(),
            to: to.id,
            policy,
            from_step: None,
            dry_run: false,
        },
    )
    .unwrap()
}

// ------------------------------------------------------------- domain

#[test]
fn undo_rechecks_r12_after_a_transfer_to_another_team() {
    let mut f = fixture(3);
    let c0 = f.c[0];
    let (ann, bob, wes, admin) = (
        f.rep_ann.clone(),
        f.rep_bob.clone(),
        f.rep_wes.clone(),
        f.admin.clone(),
    );
    // Bob enrolled c0; Ann owns it, so she may unenroll it.
    let (ids, _) = enroll(&mut f, &bob, false, &[c0]);
    let batch =
        f.ws.unenroll(
            &ann,
            &UnenrollRequest {
                enrollments: ids.clone(),
                reason: EndReason::NotAFit,
                note: None,
                dry_run: false,
            },
        )
        .unwrap()
        .batch
        .unwrap();
    // An admin moves c0 to Wes (West): Ann neither enrolled nor owns it now.
    transfer(&mut f, &admin, &[c0], &wes, TransferPolicy::Keep);
    let undo = f.ws.undo(&ann, &batch).unwrap();
    assert!(undo.restored.is_empty(), "{undo:?}");
    assert_eq!(undo.undo_batch, None);
    assert_eq!(undo.not_restored.len(), 1);
    let skip = &undo.not_restored[0];
    assert_eq!((skip.id, skip.code), (ids[0], SkipCode::NotPermitted));
    assert!(
        skip.why.contains("Bob Rep") && skip.why.contains("Wes Rep"),
        "says who may: {}",
        skip.why
    );
    assert_eq!(status(&f, ids[0]), Status::Unenrolled);
}

#[test]
fn undo_of_a_transfer_restores_what_it_ended_and_keeps_the_owner_change() {
    let mut f = fixture(4);
    let (c0, c1, c3) = (f.c[0], f.c[1], f.c[3]);
    let (mae, bob) = (f.manager_east.clone(), f.rep_bob.clone());
    let (ids, _) = enroll(&mut f, &mae, false, &[c0, c1]);
    let done = transfer(&mut f, &mae, &[c0, c1, c3], &bob, TransferPolicy::Unenroll);
    let batch = done.batch.clone().unwrap();
    assert!(ids.iter().all(|id| status(&f, *id) == Status::Unenrolled));
    assert_eq!(
        f.ws.last_undoable_batch(&mae).unwrap(),
        Some(batch.clone()),
        "a transfer that ended enrollments is the one U offers"
    );
    f.ws = Workspace::open(&f.path, Clock::Fixed(now() + Duration::minutes(5))).unwrap();
    let undo = f.ws.undo(&mae, &batch).unwrap();
    assert_eq!(undo.action, UndoableAction::Transfer);
    assert_eq!(undo.restored, ids);
    assert!(undo.not_restored.is_empty());
    // c1 was Bob's already: two contacts changed owner.
    assert_eq!(undo.owners_kept, 2);
    assert!(
        undo.summary().contains("owner change of 2 contacts stays"),
        "{}",
        undo.summary()
    );
    for id in &ids {
        let e = f.ws.enrollment(*id).unwrap();
        assert_eq!((e.status, e.end_reason), (Status::Active, None));
        assert_eq!(e.next_due_at, Some(now() + Duration::minutes(5)));
    }
    for c in [c0, c1, c3] {
        assert_eq!(owner(&f, c).as_deref(), Some("bob@team.example"));
    }
    check_invariants(&f.path);
}

#[test]
fn undo_of_a_transfer_leaves_its_reassignments() {
    let mut f = fixture(3);
    let c0 = f.c[0];
    let (mae, bob) = (f.manager_east.clone(), f.rep_bob.clone());
    let (ids, _) = enroll(&mut f, &mae, false, &[c0]);
    let batch = transfer(&mut f, &mae, &[c0], &bob, TransferPolicy::Reassign)
        .batch
        .unwrap();
    let undo = f.ws.undo(&mae, &batch).unwrap();
    assert!(undo.restored.is_empty() && undo.not_restored.is_empty());
    assert_eq!((undo.owners_kept, undo.reassignments_kept), (1, 1));
    let e = f.ws.enrollment(ids[0]).unwrap();
    assert_eq!(
        (e.status, e.enrolled_by.as_str()),
        (Status::Active, "bob@team.example")
    );
}

#[test]
fn undo_of_an_enroll_ends_the_untouched_enrollments_only() {
    let mut f = fixture(7);
    let (c0, c3, c6) = (f.c[0], f.c[3], f.c[6]);
    let ann = f.rep_ann.clone();
    let (ids, batch) = enroll(&mut f, &ann, false, &[c0, c3, c6]);
    assert_eq!(
        f.ws.last_undoable(&ann).unwrap().map(|c| c.batch),
        Some(batch.clone()),
        "U offers the last enroll batch"
    );
    // c3's first email went out; c6 was paused by someone.
    raw(&f.path)
        .execute_batch(&format!(
            "UPDATE scheduled_steps SET state = 'sent', executed_at = due_at
               WHERE enrollment_id = {e3} AND position = 1;
             UPDATE enrollments SET current_step = 2 WHERE id = {e3};
             UPDATE enrollments SET status = 'paused' WHERE id = {e6};",
            e3 = ids[1],
            e6 = ids[2],
        ))
        .unwrap();
    seqtui::store::sort_keys::recompute_all(&raw(&f.path)).unwrap();
    let undo = f.ws.undo(&ann, &batch).unwrap();
    assert_eq!(undo.action, UndoableAction::Enroll);
    assert_eq!(undo.ended, vec![ids[0]]);
    assert!(undo.restored.is_empty());
    let codes: Vec<(i64, SkipCode)> = undo.not_restored.iter().map(|s| (s.id, s.code)).collect();
    assert_eq!(
        codes,
        vec![
            (ids[1], SkipCode::AlreadyStarted),
            (ids[2], SkipCode::Changed)
        ]
    );
    let e = f.ws.enrollment(ids[0]).unwrap();
    assert_eq!(e.status, Status::Unenrolled);
    assert_eq!(e.end_reason, Some(EndReason::Other));
    assert_eq!(e.ended_by.as_deref(), Some("ann@team.example"));
    assert!(
        e.note.as_deref().unwrap().contains(&batch),
        "the note names the undone batch: {:?}",
        e.note
    );
    assert_eq!(e.next_due_at, None, "its scheduled steps are cancelled");
    assert_eq!(status(&f, ids[1]), Status::Active);
    check_invariants(&f.path);
    // The contact can be enrolled again, and the batch is not undone twice.
    assert!(f.ws.undo(&ann, &batch).is_err());
    enroll(&mut f, &ann, true, &[c0]);
}

#[test]
fn undo_of_an_enroll_rechecks_r12() {
    let mut f = fixture(3);
    let c1 = f.c[1];
    let (ann, mae, wes, admin) = (
        f.rep_ann.clone(),
        f.manager_east.clone(),
        f.rep_wes.clone(),
        f.admin.clone(),
    );
    // Ann enrolls Bob's contact; Mae reassigns the enrollment to Wes.
    let (ids, batch) = enroll(&mut f, &ann, false, &[c1]);
    transfer(&mut f, &mae, &[c1], &wes, TransferPolicy::Reassign);
    let undo = f.ws.undo(&ann, &batch).unwrap();
    assert!(undo.ended.is_empty());
    assert_eq!(undo.not_restored[0].code, SkipCode::NotPermitted);
    assert_eq!(status(&f, ids[0]), Status::Active);
    let _ = admin;
}

#[test]
fn audit_of_run_lists_the_enrollments_it_finished() {
    let mut f = fixture(3);
    let ann = f.rep_ann.clone();
    let two = [f.c[0], f.c[1]];
    let (ids, _) = enroll(&mut f, &ann, false, &two);
    // Day 5 is a Saturday: R19's window out of the way.
    common::send_any_time(&f.path);
    let outbox = f.dir.path().join("outbox");
    for day in [0, 2, 5] {
        let mut ws = Workspace::open(&f.path, Clock::Fixed(now() + Duration::days(day))).unwrap();
        seqtui::engine::outbox::run_once(&mut ws, &outbox).unwrap();
        if day == 2 {
            // R18: the call tasks are done the day they appear.
            assert_eq!(do_all_tasks(&f.path, now() + Duration::days(day)), 2);
        }
    }
    let audit = f.ws.audit(None, 50).unwrap();
    let runs: Vec<&AuditEntry> = audit.iter().filter(|e| e.action == "run").collect();
    assert_eq!(runs.len(), 3);
    // Newest first: the last run finished both.
    let mut finished = runs[0].enrollments.clone();
    finished.sort_unstable();
    assert_eq!(finished, ids);
    assert!(runs[1].enrollments.is_empty() && runs[2].enrollments.is_empty());
}

#[test]
fn audit_of_a_transfer_names_the_contacts_and_their_previous_owners() {
    let mut f = fixture(3);
    let (c0, c1, c2) = (f.c[0], f.c[1], f.c[2]);
    let (admin, mae) = (f.admin.clone(), f.manager_east.clone());
    let batch = transfer(&mut f, &admin, &[c0, c1, c2], &mae, TransferPolicy::Keep)
        .batch
        .unwrap();
    let audit = f.ws.audit(None, 5).unwrap();
    let entry = audit
        .iter()
        .find(|e| e.batch.as_deref() == Some(&batch))
        .unwrap();
    let owners: Vec<(i64, &str, Option<&str>)> = entry
        .contacts
        .iter()
        .map(|c| (c.id, c.email.as_str(), c.before_owner.as_deref()))
        .collect();
    assert_eq!(
        owners,
        vec![
            (c0, "contact0000@acme0.example", Some("ann@team.example")),
            (c1, "contact0001@acme1.example", Some("bob@team.example")),
            (c2, "contact0002@acme2.example", Some("wes@team.example")),
        ]
    );
    assert!(
        entry.detail.contains("ann@team.example"),
        "the text names them too: {}",
        entry.detail
    );
}

// ---------------------------------------------------------------- CLI

/// Contacts 0..n enrolled in Alpha by Mae; returns the enrollment ids.
fn enrolled(n: usize) -> (Fixture, Vec<i64>) {
    let mut f = fixture(n);
    let mae = f.manager_east.clone();
    let contacts = f.c.clone();
    let (ids, _) = enroll(&mut f, &mae, false, &contacts);
    (f, ids)
}

#[test]
fn cli_transfer_unenroll_of_many_needs_yes_without_a_terminal_and_can_be_undone() {
    let (f, ids) = enrolled(3);
    let args = [
        "--as",
        "mae@team.example",
        "transfer",
        "--contact",
        "contact0000@acme0.example",
        "--contact",
        "contact0001@acme1.example",
        "--to",
        "bob@team.example",
        "--policy",
        "unenroll",
    ];
    let r = run(&f.path, &args);
    assert_eq!(r.code, 2, "{} {}", r.stdout, r.stderr);
    one_sentence(&r.stderr);
    assert!(r.stderr.contains("--yes"), "{}", r.stderr);
    assert!(ids.iter().all(|id| status(&f, *id) == Status::Active));
    assert_eq!(owner(&f, f.c[0]).as_deref(), Some("ann@team.example"));

    let mut yes = args.to_vec();
    yes.insert(2, "--json");
    yes.push("--yes");
    let r = run(&f.path, &yes);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let batch = r.json()["batch"].as_str().unwrap().to_string();
    assert_eq!(status(&f, ids[0]), Status::Unenrolled);
    assert_eq!(status(&f, ids[2]), Status::Active);

    let r = run(&f.path, &["--as", "mae@team.example", "--json", "undo"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["batch"], batch.as_str());
    assert_eq!(j["restored"].as_array().unwrap().len(), 2);
    assert_eq!(j["owners_kept"], 1, "c1 was Bob's already");
    assert!(ids.iter().all(|id| status(&f, *id) == Status::Active));
    assert_eq!(owner(&f, f.c[0]).as_deref(), Some("bob@team.example"));
    check_invariants(&f.path);
}

#[test]
fn cli_transfer_that_ends_one_or_nothing_does_not_ask() {
    let (f, ids) = enrolled(3);
    let r = run(
        &f.path,
        &[
            "transfer",
            "--contact",
            "contact0000@acme0.example",
            "--to",
            "bob@team.example",
            "--policy",
            "unenroll",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(status(&f, ids[0]), Status::Unenrolled);
    let r = run(
        &f.path,
        &[
            "transfer",
            "--from",
            "bob@team.example",
            "--to",
            "ann@team.example",
            "--policy",
            "keep",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn cli_transfer_refused_for_every_contact_exits_3_in_both_modes() {
    let (f, _) = enrolled(3);
    // Wes (West rep) owns none of Ann's or Bob's contacts.
    let args = [
        "--as",
        "wes@team.example",
        "transfer",
        "--contact",
        "contact0000@acme0.example",
        "--contact",
        "contact0001@acme1.example",
        "--to",
        "wes@team.example",
    ];
    let text = run(&f.path, &args);
    assert_eq!(text.code, 3, "{}", text.stdout);
    let mut json_args = args.to_vec();
    json_args.insert(2, "--json");
    let json = run(&f.path, &json_args);
    assert_eq!(json.code, 3, "{}", json.stdout);
    let j = json.json();
    assert_eq!(j["contacts_skipped"][0]["code"], "not_permitted");
    assert_eq!(owner(&f, f.c[0]).as_deref(), Some("ann@team.example"));
}

#[test]
fn cli_undo_of_an_enroll_batch() {
    let f = fixture(3);
    let r = run(
        &f.path,
        &[
            "--as",
            "ann@team.example",
            "--json",
            "enroll",
            "--sequence",
            "Alpha Outbound",
            "--contact",
            "contact0000@acme0.example",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    let batch = j["batch"].as_str().unwrap().to_string();
    let id = j["enrolled"][0].as_i64().unwrap();
    let r = run(&f.path, &["--as", "ann@team.example", "undo", &batch]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("ended 1"), "{}", r.stdout);
    assert_eq!(status(&f, id), Status::Unenrolled);
    check_invariants(&f.path);
}
