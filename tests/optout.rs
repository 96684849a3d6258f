//! R9 opt-outs that stick (issue 12, item 1), through the built binary on
//! real files, the domain and the TUI: an unenroll with reason
//! `opted_out`, `contact opt-out`, an import's opt-out column, an
//! unsubscribe event — each marks the contact opted out (who, when, how)
//! and ends its open enrollments; R2 then refuses to enroll it; only an
//! admin may clear it, with a note, audited.

mod common;

use common::cli::*;
use common::*;
use seqtui::domain::*;
use seqtui::tui::{Headless, Theme};

const C0: &str = "contact0000@acme0.example";
const C1: &str = "contact0001@acme1.example";
const C2: &str = "contact0002@acme2.example";

/// Enrolls contact `c[i]` in the sequence named.
fn enroll(f: &mut Fixture, actor: &User, sequence: &str, i: usize) -> i64 {
    let (sequence, contact) = (f.ws.sequence(sequence).unwrap().id, f.c[i]);
    f.ws.enroll(actor, sequence, &[contact]).unwrap().enrolled[0]
}

#[test]
fn unenroll_with_reason_opted_out_marks_the_contact_and_blocks_enrollment() {
    let mut f = fixture(3);
    let ann = f.rep_ann.clone();
    let id = enroll(&mut f, &ann, "Alpha Outbound", 0);
    let r = run(
        &f.path,
        &[
            "--as",
            "ann@team.example",
            "--json",
            "unenroll",
            "--enrollment",
            &id.to_string(),
            "--reason",
            "opted_out",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let report = r.json();
    assert_eq!(report["unenrolled"], serde_json::json!([id]));
    assert_eq!(report["opted_out"], serde_json::json!([f.c[0]]));
    let batch = report["batch"].as_str().unwrap().to_string();

    // A minute later a rep tries to enroll them again: refused (R2).
    let r = output(seqtui_at(&f.path, "2026-11-02T09:01:00Z").args([
        "--as",
        "bob@team.example",
        "--json",
        "enroll",
        "--sequence",
        "Beta Nurture",
        "--contact",
        C0,
    ]));
    assert_eq!(r.code, 3, "{} {}", r.stdout, r.stderr);
    let refused = r.json();
    assert_eq!(refused["enrolled"], serde_json::json!([]));
    assert_eq!(refused["refused"][0]["code"], "opted_out");

    // Who, when, how: in `contact` JSON and text.
    let r = run(&f.path, &["--json", "contact", C0]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let detail = r.json();
    let c = &detail;
    assert_eq!(c["opted_out"], true);
    assert_eq!(c["opted_out_by"], "ann@team.example");
    assert_eq!(c["opted_out_via"], "unenroll");
    assert_eq!(c["opted_out_at"], "2026-11-02T09:00:00Z");
    let r = run(&f.path, &["contact", C0]);
    assert!(
        r.stdout
            .contains("opted out 2026-11-02 09:00 UTC by ann@team.example via unenroll"),
        "{}",
        r.stdout
    );
    // One audit entry, the unenroll's batch, naming the contact.
    let audit = f.ws.audit(None, 1).unwrap();
    assert_eq!(audit[0].action, "unenroll");
    assert_eq!(audit[0].batch.as_deref(), Some(batch.as_str()));
    assert!(audit[0].detail.contains(C0), "{}", audit[0].detail);
    check_invariants(&f.path);
}

#[test]
fn contact_opt_out_ends_every_open_enrollment_and_anyone_may_record_it() {
    let mut f = fixture(4);
    let (ann, bob) = (f.rep_ann.clone(), f.rep_bob.clone());
    let e0 = enroll(&mut f, &ann, "Alpha Outbound", 0);
    let e1 = enroll(&mut f, &bob, "Beta Nurture", 1);
    // Wes (a rep of the other team) may unenroll neither, but may record
    // that the contacts opted out.
    let r = run(
        &f.path,
        &[
            "--as",
            "wes@team.example",
            "--json",
            "contact",
            "opt-out",
            C0,
            C1,
            C2,
            "--note",
            "asked on the phone",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let report = r.json();
    assert_eq!(report["via"], "command");
    assert_eq!(
        report["opted_out"],
        serde_json::json!([f.c[0], f.c[1], f.c[2]])
    );
    assert_eq!(report["unenrolled"], serde_json::json!([e0, e1]));
    assert_eq!(report["skipped"], serde_json::json!([]));
    assert_eq!(report["emails_cancelled"], 4);
    let batch = report["batch"].as_str().unwrap().to_string();
    for e in [e0, e1] {
        let row = f.ws.enrollment(e).unwrap();
        assert_eq!(row.status, Status::Unenrolled);
        assert_eq!(row.end_reason, Some(EndReason::OptedOut));
        assert_eq!(row.ended_by.as_deref(), Some("wes@team.example"));
        assert_eq!(row.batch.as_deref(), Some(batch.as_str()));
        assert_eq!(row.note.as_deref(), Some("asked on the phone"));
    }
    let c2 = f.ws.contact(C2).unwrap();
    assert!(c2.opted_out);
    assert_eq!(c2.opted_out_via, Some(OptOutVia::Command));
    assert_eq!(c2.opted_out_by.as_deref(), Some("wes@team.example"));
    let audit = f.ws.audit(None, 1).unwrap();
    assert_eq!(audit[0].action, "opt_out");
    assert_eq!(audit[0].actor.as_deref(), Some("wes@team.example"));
    assert_eq!(audit[0].note.as_deref(), Some("asked on the phone"));
    assert_eq!(audit[0].batch.as_deref(), Some(batch.as_str()));
    for email in [C0, C1, C2] {
        assert!(audit[0].detail.contains(email), "{}", audit[0].detail);
    }
    check_invariants(&f.path);

    // Again: nothing changes, each contact skipped with its code; exit 0.
    let audit_before = f.ws.audit(None, 1000).unwrap().len();
    let r = run(&f.path, &["--json", "contact", "opt-out", C0]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let again = r.json();
    assert!(again["batch"].is_null());
    assert_eq!(again["skipped"][0]["id"], f.c[0]);
    assert_eq!(again["skipped"][0]["code"], "already_opted_out");
    assert_eq!(f.ws.audit(None, 1000).unwrap().len(), audit_before);

    // An unknown contact among them: exit 4, nothing changes.
    let e3 = enroll(&mut f, &ann, "Alpha Outbound", 3);
    let r = run(
        &f.path,
        &[
            "contact",
            "opt-out",
            "contact0003@acme3.example",
            "nobody@nowhere.example",
        ],
    );
    assert_eq!(r.code, 4, "{} {}", r.stdout, r.stderr);
    one_sentence(&r.stderr);
    assert_eq!(f.ws.enrollment(e3).unwrap().status, Status::Active);
    assert!(!f.ws.contact("contact0003@acme3.example").unwrap().opted_out);

    // `contact EMAIL` still shows a contact.
    let r = run(&f.path, &["contact", C1]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("OPTED OUT"), "{}", r.stdout);
    assert!(r.stdout.contains("via command"), "{}", r.stdout);
}

#[test]
fn only_an_admin_clears_an_opt_out_with_a_note_and_it_is_audited() {
    let mut f = fixture(3);
    let ann = f.rep_ann.clone();
    f.ws.opt_out_contacts(&ann, &[f.c[0]], None).unwrap();
    let audit_before = f.ws.audit(None, 1000).unwrap().len();

    for who in ["ann@team.example", "mae@team.example"] {
        let r = run(
            &f.path,
            &[
                "--as",
                who,
                "contact",
                "opt-in",
                C0,
                "--note",
                "re-consented",
            ],
        );
        assert_eq!(r.code, 3, "{who}: {} {}", r.stdout, r.stderr);
        one_sentence(&r.stderr);
        assert!(r.stderr.contains("only an admin may"), "{}", r.stderr);
    }
    // The note is required, and not blank.
    assert_eq!(run(&f.path, &["contact", "opt-in", C0]).code, 2);
    let r = run(&f.path, &["contact", "opt-in", C0, "--note", "  "]);
    assert_eq!(r.code, 2, "{} {}", r.stdout, r.stderr);
    one_sentence(&r.stderr);
    assert!(f.ws.contact(C0).unwrap().opted_out);
    assert_eq!(f.ws.audit(None, 1000).unwrap().len(), audit_before);

    let r = run(
        &f.path,
        &[
            "--json",
            "contact",
            "opt-in",
            C0,
            "--note",
            "re-consented at the fair",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let report = r.json();
    assert_eq!(report["opted_in"], true);
    assert_eq!(report["was_opted_out_by"], "ann@team.example");
    assert_eq!(report["was_opted_out_via"], "command");
    let c = f.ws.contact(C0).unwrap();
    assert!(!c.opted_out && c.opted_out_by.is_none() && c.opted_out_via.is_none());
    let audit = f.ws.audit(None, 1).unwrap();
    assert_eq!(audit[0].action, "opt_in");
    assert_eq!(audit[0].actor.as_deref(), Some("admin@team.example"));
    assert_eq!(audit[0].note.as_deref(), Some("re-consented at the fair"));
    assert!(audit[0].detail.contains("by ann@team.example via command"));
    // Enrollable again.
    let r = run(
        &f.path,
        &[
            "--as",
            "ann@team.example",
            "enroll",
            "--sequence",
            "Alpha Outbound",
            "--contact",
            C0,
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn an_import_opt_out_column_opts_out_and_never_clears() {
    let mut f = fixture(3);
    let ann = f.rep_ann.clone();
    let e0 = enroll(&mut f, &ann, "Alpha Outbound", 0);
    let e1 = enroll(&mut f, &ann, "Alpha Outbound", 1);
    f.ws.opt_out_contacts(&ann, &[f.c[2]], None).unwrap();
    let csv = f.dir.path().join("contacts.csv");
    // HubSpot's header; true, false (on an opted-out contact: stays), no.
    std::fs::write(
        &csv,
        format!(
            "Email,First Name,Unsubscribed from all email\n\
             {C0},Zed,true\n{C1},Yan,no\n{C2},Xu,false\nnew@acme9.example,New,YES\n"
        ),
    )
    .unwrap();
    let r = run(
        &f.path,
        &["--json", "import", "contacts", csv.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let report = r.json();
    let new_id = f.ws.contact("new@acme9.example").unwrap().id;
    assert_eq!(report["opted_out"], serde_json::json!([f.c[0], new_id]));
    assert_eq!(report["unenrolled"], serde_json::json!([e0]));
    assert_eq!(
        f.ws.enrollment(e0).unwrap().end_reason,
        Some(EndReason::OptedOut)
    );
    assert_eq!(f.ws.enrollment(e1).unwrap().status, Status::Active);
    let c0 = f.ws.contact(C0).unwrap();
    assert_eq!(c0.opted_out_via, Some(OptOutVia::Import));
    assert_eq!(c0.opted_out_by.as_deref(), Some("admin@team.example"));
    assert_eq!(c0.first_name, "Zed");
    assert!(f.ws.contact(C2).unwrap().opted_out, "false never clears");
    assert!(!f.ws.contact(C1).unwrap().opted_out);
    check_invariants(&f.path);

    // An invalid value is a bad row: line and column named, nothing imported.
    let bad = f.dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!("email,first_name,opted_out\n{C1},Changed,1\nz@acme9.example,Z,maybe\n"),
    )
    .unwrap();
    let r = run(&f.path, &["import", "contacts", bad.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{} {}", r.stdout, r.stderr);
    one_sentence(&r.stderr);
    assert!(
        r.stderr.contains("line 3") && r.stderr.contains("'opted_out'"),
        "{}",
        r.stderr
    );
    let c1 = f.ws.contact(C1).unwrap();
    assert!(!c1.opted_out && c1.first_name == "Yan", "nothing imported");
    assert!(f.ws.contact("z@acme9.example").is_err());
    assert_eq!(f.ws.enrollment(e1).unwrap().status, Status::Active);

    // A row whose only news is the opt-out (every other cell as stored)
    // still opts the contact out.
    let same = f.dir.path().join("same.csv");
    std::fs::write(
        &same,
        format!("email,first_name,opted_out\n{C1},Yan,true\n"),
    )
    .unwrap();
    let r = run(
        &f.path,
        &["--json", "import", "contacts", same.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["unchanged"], 1);
    assert_eq!(r.json()["opted_out"], serde_json::json!([f.c[1]]));
    assert!(f.ws.contact(C1).unwrap().opted_out);
    assert_eq!(
        f.ws.enrollment(e1).unwrap().end_reason,
        Some(EndReason::OptedOut)
    );
    check_invariants(&f.path);
}

// ------------------------------------------------------------ the domain

fn unenroll(
    f: &mut Fixture,
    actor: &User,
    id: i64,
    reason: EndReason,
    dry_run: bool,
) -> UnenrollReport {
    f.ws.unenroll(
        actor,
        &UnenrollRequest {
            enrollments: vec![id],
            reason,
            note: None,
            dry_run,
        },
    )
    .unwrap()
}

#[test]
fn r9_an_unenroll_with_reason_opted_out_opts_the_contact_out() {
    let mut f = fixture(3);
    let ann = f.rep_ann.clone();
    let id = enroll(&mut f, &ann, "Alpha Outbound", 0);
    // A dry run says nothing is opted out yet, and changes nothing.
    let preview = unenroll(&mut f, &ann, id, EndReason::OptedOut, true);
    assert_eq!(preview.unenrolled, vec![id]);
    assert!(preview.opted_out.is_empty());
    assert!(!f.ws.contact(C0).unwrap().opted_out);
    let report = unenroll(&mut f, &ann, id, EndReason::OptedOut, false);
    assert_eq!(report.opted_out, vec![f.c[0]]);
    let batch = report.batch.clone().unwrap();
    let c = f.ws.contact(C0).unwrap();
    assert_eq!(c.opted_out_at, Some(now()));
    assert_eq!(c.opted_out_by.as_deref(), Some("ann@team.example"));
    assert_eq!(c.opted_out_via, Some(OptOutVia::Unenroll));
    for seq in [f.seq_a.id, f.seq_b.id] {
        let refused = f.ws.enroll(&ann, seq, &[f.c[0]]).unwrap();
        assert!(refused.enrolled.is_empty());
        assert_eq!(refused.refused[0].code, SkipCode::OptedOut);
    }
    // Another reason opts nobody out.
    let other = enroll(&mut f, &ann, "Alpha Outbound", 1);
    let report = unenroll(&mut f, &ann, other, EndReason::NotAFit, false);
    assert!(report.opted_out.is_empty());
    assert!(!f.ws.contact(C1).unwrap().opted_out);
    // R15: undoing the opt-out batch does not bring the contact back.
    let undo = f.ws.undo(&ann, &batch).unwrap();
    assert!(undo.restored.is_empty(), "{undo:?}");
    assert_eq!(undo.not_restored[0].id, id);
    assert!(f.ws.contact(C0).unwrap().opted_out);
    assert_eq!(f.ws.enrollment(id).unwrap().status, Status::Unenrolled);
    check_invariants(&f.path);
}

#[test]
fn r9_an_unsubscribe_event_goes_through_the_same_opt_out() {
    let mut f = fixture(3);
    let ann = f.rep_ann.clone();
    let id = enroll(&mut f, &ann, "Alpha Outbound", 0);
    let report = f.ws.opt_out(f.c[0], "unsubscribe evt-1").unwrap();
    assert_eq!(report.via, OptOutVia::UnsubscribeEvent);
    assert_eq!(report.opted_out, vec![f.c[0]]);
    assert_eq!(report.unenrolled, vec![id]);
    let c = f.ws.contact(C0).unwrap();
    assert_eq!(c.opted_out_via, Some(OptOutVia::UnsubscribeEvent));
    assert_eq!(
        c.opted_out_by, None,
        "nobody recorded it: it came by itself"
    );
    let e = f.ws.enrollment(id).unwrap();
    assert_eq!(e.ended_by, None);
    let audit = f.ws.audit(None, 1).unwrap();
    assert_eq!(audit[0].action, "opt_out");
    assert_eq!(audit[0].actor, None);
    assert_eq!(audit[0].batch, report.batch);
    // A later manual opt-out keeps the first who, when and how.
    let again =
        f.ws.opt_out_contacts(&ann, &[f.c[0]], Some("again"))
            .unwrap();
    assert!(again.batch.is_none() && again.opted_out.is_empty());
    assert_eq!(again.skipped[0].code, SkipCode::AlreadyOptedOut);
    assert_eq!(
        f.ws.contact(C0).unwrap().opted_out_via,
        Some(OptOutVia::UnsubscribeEvent)
    );
}

#[test]
fn r9_only_an_admin_opts_a_contact_back_in() {
    let mut f = fixture(3);
    let (ann, mae, admin) = (f.rep_ann.clone(), f.manager_east.clone(), f.admin.clone());
    f.ws.opt_out_contacts(&ann, &[f.c[0]], None).unwrap();
    for who in [&ann, &mae] {
        let refused = f.ws.opt_in(who, f.c[0], "consented").unwrap_err();
        assert!(matches!(refused, DomainError::Refused(_)), "{refused}");
    }
    let blank = f.ws.opt_in(&admin, f.c[0], " ").unwrap_err();
    assert!(matches!(blank, DomainError::Invalid(_)), "{blank}");
    assert!(f.ws.contact(C0).unwrap().opted_out);
    let done = f.ws.opt_in(&admin, f.c[0], "consented").unwrap();
    assert!(done.opted_in && done.batch.is_some());
    assert_eq!(done.was_opted_out_via, Some(OptOutVia::Command));
    assert!(!f.ws.contact(C0).unwrap().opted_out);
    // Not opted out: nothing to do, nothing audited.
    let audit_before = f.ws.audit(None, 1000).unwrap().len();
    let noop = f.ws.opt_in(&admin, f.c[1], "consented").unwrap();
    assert!(!noop.opted_in && noop.batch.is_none());
    assert_eq!(f.ws.audit(None, 1000).unwrap().len(), audit_before);
    assert_eq!(
        f.ws.enroll(&ann, f.seq_a.id, &[f.c[0]])
            .unwrap()
            .enrolled
            .len(),
        1
    );
}

// --------------------------------------------------------------- the TUI

/// The TUI shows an opted-out contact as such and its `e` refuses with a
/// sentence instead of opening the sequence picker — even when the list on
/// screen was loaded before the opt-out.
#[test]
fn tui_never_offers_to_enroll_an_opted_out_contact() {
    let mut f = fixture(3);
    let ann = f.rep_ann.clone();
    let open = || {
        let mut h = Headless::open(
            &f.path,
            Clock::Fixed(now()),
            Some("ann@team.example"),
            (120, 40),
            Theme::plain(),
        )
        .unwrap();
        h.settle();
        h
    };
    let mut h = open();
    h.key("2").settle().key("/");
    h.type_text(C0).settle().key("enter");
    assert_eq!(h.app.focused_contact().map(|c| c.id), Some(f.c[0]));
    // Opted out by someone else after the list was shown.
    f.ws.opt_out_contacts(&ann, &[f.c[0]], None).unwrap();
    h.key("e").settle();
    assert!(h.app.dialog.is_none(), "no sequence picker");
    let note = h.app.note.clone().expect("a sentence").text;
    assert!(note.contains("opted out"), "{note}");
    assert!(note.contains("cannot be enrolled"), "{note}");

    // Shown as such in the Contacts view and the detail pane.
    let mut h = open();
    h.key("2").settle().key("/");
    h.type_text(C0).settle().key("enter");
    let screen = h.screen();
    let row = screen
        .lines()
        .find(|l| l.contains("First0000") && l.contains("contact0000@acme0"))
        .expect("the contact's row");
    assert!(row.contains(" opted out │"), "{screen}");
    assert!(
        screen.contains("OPTED OUT Nov 02 via command by ann"),
        "{screen}"
    );
    assert!(
        screen.contains("not enrollable; an admin may opt it in"),
        "{screen}"
    );
    h.key("e").settle();
    assert!(h.app.dialog.is_none());

    // A contact who has not opted out still gets the picker.
    let mut h = open();
    h.key("2").settle().key("/");
    h.type_text(C1).settle().key("enter");
    h.key("e").settle();
    assert!(h.app.dialog.is_some(), "the picker opens");
}

/// In the TUI, unenrolling with reason "opted out" opts the contact out
/// too (the same domain call as the CLI); `e` then refuses.
#[test]
fn tui_unenroll_with_reason_opted_out_opts_the_contact_out() {
    let mut f = fixture(3);
    let ann = f.rep_ann.clone();
    let id = enroll(&mut f, &ann, "Alpha Outbound", 0);
    let mut h = Headless::open(
        &f.path,
        Clock::Fixed(now()),
        Some("ann@team.example"),
        (120, 40),
        Theme::plain(),
    )
    .unwrap();
    h.settle();
    h.key("2").settle().key("/");
    h.type_text(C0).settle().key("enter");
    h.key("u").settle();
    assert!(h.app.dialog.is_some(), "the unenroll dialog");
    let at = EndReason::MANUAL
        .iter()
        .position(|r| *r == EndReason::OptedOut)
        .unwrap();
    for _ in 0..=at {
        h.key("j");
    }
    h.key("y").settle();
    let note = h.app.note.clone().expect("a summary").text;
    assert!(note.contains("1 contact opted out"), "{note}");
    assert_eq!(
        f.ws.enrollment(id).unwrap().end_reason,
        Some(EndReason::OptedOut)
    );
    let c = f.ws.contact(C0).unwrap();
    assert_eq!(c.opted_out_via, Some(OptOutVia::Unenroll));
    assert_eq!(c.opted_out_by.as_deref(), Some("ann@team.example"));
    h.key("e").settle();
    assert!(h.app.dialog.is_none(), "no sequence picker");
    assert!(
        h.app
            .note
            .clone()
            .unwrap()
            .text
            .contains("cannot be enrolled")
    );
}
