//! The steps and settings screen (`i` on a sequence's enrollments), its
//! setting toggles and `E` in `$EDITOR`; bulk `e` on marked rows; the
//! transfer preview. Headless app on a real demo workspace, checked against
//! the database after each step.

mod tui_support;

use seqtui::domain::{Status, TransferAction, Workspace};
use seqtui::tui::Headless;
use seqtui::tui::dialog::ManageDialog;
use seqtui::tui::dialog::bulk_enroll::BulkEnrollDialog;
use seqtui::tui::dialog::sequence_edit::SequenceEditDialog;
use tui_support::*;

const Q4: &str = "Q4 Mid-Market Outbound";

fn open(h: &mut Headless, name: &str) {
    let at = h
        .app
        .sequences
        .list
        .iter()
        .position(|s| s.name == name)
        .expect("the sequence exists");
    h.key("g");
    for _ in 0..at {
        h.key("j");
    }
    h.key("enter").settle();
}

fn ws(h: &Headless) -> Workspace {
    Workspace::open(&h.app.info.path, clock()).unwrap()
}

#[test]
fn steps_screen_shows_waiting_counts_and_the_template_filled_for_the_focused_contact() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = app(&path, 120, 40);
    h.settle();
    open(&mut h, Q4);
    let focused = h
        .app
        .enrollments
        .as_ref()
        .and_then(|e| e.focused_row())
        .cloned()
        .expect("a focused enrollment");
    h.key("i").settle();
    let screen = h.screen();
    let w = ws(&h);
    let seq = w.sequence(Q4).unwrap();
    let steps = w.steps(seq.id).unwrap();
    assert!(screen.contains("Subject or title"), "{screen}");
    assert!(!steps.is_empty());
    // Waiting counts match the store: open enrollments at each step.
    let view = h.app.steps.as_ref().unwrap().data.clone().unwrap();
    let mut q = seqtui::domain::EnrollmentQuery::sequence(seq.id);
    q.statuses = vec![Status::Active, Status::Paused];
    let ids = w.enrollment_ids(&q).unwrap();
    let open = w.enrollments_by_ids(&ids).unwrap();
    for line in &view.steps {
        let n = open
            .iter()
            .filter(|r| r.status.is_open() && r.step == line.step.position)
            .count();
        assert_eq!(line.waiting, n, "step {}", line.step.position);
    }
    assert!(view.steps.iter().map(|s| s.waiting).sum::<usize>() > 0);
    // The first email's template is filled for the focused contact.
    let contact = w.contact(&focused.contact_id.to_string()).unwrap();
    assert!(
        screen.contains(&format!("For {}", contact.full_name())),
        "{screen}"
    );
    let first_email = view
        .steps
        .iter()
        .find(|s| s.step.body.contains("{{first_name}}"))
        .expect("a step greets by first name");
    assert!(first_email.body.contains(&contact.first_name));
    assert!(!first_email.body.contains("{{"));
    // Back to the enrollments.
    h.key("esc");
    assert!(h.app.steps.is_none());
    assert!(h.app.enrollments.is_some());
}

#[test]
fn toggling_a_setting_asks_then_saves_a_new_audited_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = app(&path, 120, 40);
    h.settle();
    open(&mut h, Q4);
    h.key("i").settle();
    let before = ws(&h).sequence_detail(Q4).unwrap();
    let n = h
        .app
        .steps
        .as_ref()
        .unwrap()
        .data
        .as_ref()
        .unwrap()
        .steps
        .len();
    // Down past the steps to the first switch: unenroll colleagues.
    for _ in 0..n {
        h.key("j");
    }
    h.key("enter").settle();
    let screen = h.screen();
    assert!(
        h.app.dialog_as::<SequenceEditDialog>().is_some(),
        "{screen}"
    );
    let was = if before.settings.unenroll_colleagues {
        "on → off"
    } else {
        "off → on"
    };
    assert!(
        screen.contains(&format!("unenroll colleagues: {was}")),
        "{screen}"
    );
    // Enter presses Cancel (focused): nothing changes.
    h.key("enter").settle();
    assert_eq!(
        ws(&h).sequence_detail(Q4).unwrap().settings,
        before.settings
    );
    h.key("enter").settle().key("y").settle();
    let after = ws(&h).sequence_detail(Q4).unwrap();
    assert_eq!(
        after.settings.unenroll_colleagues,
        !before.settings.unenroll_colleagues
    );
    assert_eq!(after.version, before.version.max(1) + 1);
    let audit = ws(&h).audit(None, 5).unwrap();
    assert!(
        audit.iter().any(|a| a.action == "sequence_edit"),
        "{audit:?}"
    );
    // The screen shows the new state.
    let view = h.app.steps.as_ref().unwrap().data.clone().unwrap();
    assert_eq!(view.settings, after.settings);
}

#[test]
fn e_edits_the_file_in_the_editor_then_applies_the_diff_once_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    // A real program edits the file: the first subject line changes.
    let script = dir.path().join("editor.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nsed -i '0,/^subject = .*/s//subject = \"Edited from the TUI\"/' \"$1\"\n",
    )
    .unwrap();
    // SAFETY: no other test of this binary reads VISUAL or EDITOR.
    unsafe {
        std::env::remove_var("VISUAL");
        std::env::set_var("EDITOR", format!("sh {}", script.display()));
    }
    let mut h = app(&path, 120, 40);
    h.settle();
    open(&mut h, Q4);
    h.key("i").settle();
    let before = ws(&h).sequence_detail(Q4).unwrap();
    // First an edit the domain refuses: an unknown merge field. Its
    // sentence names the line; nothing is applied and confirm does nothing.
    let good = std::fs::read_to_string(&script).unwrap();
    std::fs::write(
        &script,
        "#!/bin/sh\nsed -i '0,/^subject = .*/s//subject = \"Hi {{nickname}}\"/' \"$1\"\n",
    )
    .unwrap();
    h.key("E").settle();
    let screen = h.screen();
    assert!(screen.contains("unknown merge field"), "{screen}");
    assert!(screen.contains("line "), "{screen}");
    h.key("y").settle();
    assert!(h.app.dialog_as::<SequenceEditDialog>().is_some());
    h.key("n");
    assert_eq!(
        ws(&h).steps(before.id).unwrap()[0].subject,
        before.steps[0].subject
    );
    // An editor that leaves the file as it was: nothing to apply.
    std::fs::write(&script, "#!/bin/sh\ntrue\n").unwrap();
    h.key("E").settle();
    assert!(h.app.dialog.is_none());
    assert!(h.screen().contains("unchanged"));
    std::fs::write(&script, good).unwrap();
    h.key("E").settle();
    let screen = h.screen();
    let Some(d) = h.app.dialog_as::<SequenceEditDialog>() else {
        panic!("no diff dialog: {screen}");
    };
    assert!(!d.on_confirm, "Cancel has the focus");
    assert!(screen.contains("~ changed step 1"), "{screen}");
    assert!(screen.contains("subject changed"), "{screen}");
    // Nothing applied yet.
    assert_eq!(
        ws(&h).steps(before.id).unwrap()[0].subject,
        before.steps[0].subject
    );
    h.key("y").settle();
    let steps = ws(&h).steps(before.id).unwrap();
    assert_eq!(steps[0].subject, "Edited from the TUI");
    assert_eq!(
        ws(&h).sequence_detail(Q4).unwrap().version,
        before.version.max(1) + 1
    );
}

#[test]
fn bulk_enroll_shows_the_dry_run_counts_then_enrolls_one_batch_that_u_undoes() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = app(&path, 120, 40);
    h.settle();
    // Contacts view: leave the Find box, mark five.
    h.key("2").settle();
    h.keys(&["space", "space", "space", "space", "space"]);
    let marked: Vec<i64> = h.app.contacts.marks.iter().copied().collect();
    assert_eq!(marked.len(), 5);
    let w = ws(&h);
    let target = w.sequence("Trial Nurture").unwrap();
    let expected = {
        let mut w = ws(&h);
        let actor = w.acting_user(None).unwrap();
        w.enroll_contacts(&actor, target.id, &marked, true).unwrap()
    };
    h.key("e");
    let Some(_) = h.app.dialog_as::<BulkEnrollDialog>() else {
        panic!("no bulk dialog: {}", h.screen());
    };
    let at = h
        .app
        .sequences
        .list
        .iter()
        .position(|s| s.id == target.id)
        .unwrap();
    h.key("g");
    for _ in 0..at {
        h.key("j");
    }
    h.key("enter").settle();
    let screen = h.screen();
    assert!(
        screen.contains(&format!(
            "Will enroll {} contact",
            expected.enrolled_contacts.len()
        )),
        "{screen}"
    );
    for r in &expected.refused {
        assert!(screen.contains(r.code.label()), "{screen}");
    }
    // Enter on the focused Cancel changes nothing.
    h.key("enter").settle();
    let open_in = |w: &Workspace| {
        marked
            .iter()
            .filter(|c| {
                w.contact_detail(**c).unwrap().enrollments.iter().any(|e| {
                    e.enrollment.sequence == target.name && e.enrollment.status == Status::Active
                })
            })
            .count()
    };
    let already = open_in(&ws(&h));
    h.key("e").key("g");
    for _ in 0..at {
        h.key("j");
    }
    h.key("enter").settle().key("y").settle();
    let w = ws(&h);
    assert_eq!(
        open_in(&w),
        already + expected.enrolled_contacts.len(),
        "{}",
        h.screen()
    );
    assert!(h.app.contacts.marks.is_empty(), "marks clear");
    let last = w.audit(None, 1).unwrap();
    assert_eq!(last[0].action, "enroll");
    // U undoes the batch.
    h.key("U").settle().key("y").settle();
    assert_eq!(open_in(&ws(&h)), already, "{}", h.screen());
}

#[test]
fn transfer_preview_starts_on_the_rules_policy_scrolls_every_row_and_offers_from_step() {
    use seqtui::tui::dialog::{ManageKind, ManagePreview, Preview};
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = app(&path, 120, 40);
    h.settle();
    h.app.rules.transfer_policy = seqtui::domain::TransferPolicy::Reassign;
    open(&mut h, Q4);
    // Every open row of Q4: more than fit in the dialog.
    h.key("ctrl-a").settle();
    h.key("o").key("enter").settle();
    let rows = match h.app.dialog_as::<ManageDialog>() {
        Some(d) => {
            let ManageKind::Transfer { policy, .. } = &d.kind else {
                panic!("not a transfer")
            };
            assert_eq!(
                *policy,
                Some(1),
                "starts on the rules file's policy: reassign"
            );
            match &d.preview {
                Preview::Ready(ManagePreview::Transfer(r)) => r.enrollments.clone(),
                other => panic!("no preview: {other:?}"),
            }
        }
        _ => panic!("no transfer dialog: {}", h.screen()),
    };
    assert!(rows.len() > 20, "{}", rows.len());
    let first = h.screen();
    let last = &rows[rows.len() - 1].contact;
    let shown = |s: &str, c: &str| s.contains(&c[..20.min(c.len())]);
    assert!(!shown(&first, last), "{first}");
    assert!(!first.contains("… and"), "{first}");
    // G scrolls to the end: the last affected enrollment is on screen.
    h.key("G");
    let end = h.screen();
    assert!(shown(&end, last), "{end}");
    assert!(end.contains(&format!("of {}", rows.len())), "{end}");
    // Tab to the step choice; down: from step 2 on. The preview keeps the
    // ones before step 2.
    h.key("tab").key("j").settle();
    let Some(d) = h.app.dialog_as::<ManageDialog>() else {
        panic!("the dialog closed")
    };
    let ManageKind::Transfer { from_step, .. } = &d.kind else {
        panic!()
    };
    assert_eq!(*from_step, Some(2));
    let Preview::Ready(ManagePreview::Transfer(r)) = &d.preview else {
        panic!("no preview")
    };
    for item in &r.enrollments {
        if item.step < 2 {
            assert_eq!(item.action, TransferAction::Keep, "{item:?}");
        }
    }
    assert!(h.screen().contains("step 2 or later"));
}

#[test]
fn toggling_a_setting_is_an_edit_under_r12_and_keeps_a_sending_day() {
    use seqtui::domain::{DomainError, SettingToggle};
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut w = Workspace::open(&path, clock()).unwrap();
    let seq = w.sequence(Q4).unwrap();
    let detail = w.sequence_detail(Q4).unwrap();
    let users = w.users().unwrap();
    // A rep who neither owns it nor manages its owner may not.
    let owner = users.iter().find(|u| u.email == detail.owner).unwrap();
    let rep = users
        .iter()
        .find(|u| u.role == seqtui::domain::Role::Rep && u.team != owner.team)
        .expect("a rep of another team");
    let err = w
        .toggle_sequence_setting(rep, seq.id, SettingToggle::UnenrollColleagues, false)
        .unwrap_err();
    assert!(matches!(err, DomainError::Refused(_)), "{err}");
    // A dry run changes nothing.
    let plan = w
        .toggle_sequence_setting(owner, seq.id, SettingToggle::PauseOnOutOfOffice, true)
        .unwrap();
    assert_eq!(plan.changes.len(), 1, "{plan:?}");
    assert_eq!(w.sequence_detail(Q4).unwrap().settings, detail.settings);
    // Days: off one by one down to the last, which stays.
    let days = detail.settings.sending_days.len();
    for d in 0..7 {
        let view = w.sequence_detail(Q4).unwrap();
        if !SettingToggle::SendingDay(d).is_on(&view.settings) {
            continue;
        }
        let r = w.toggle_sequence_setting(owner, seq.id, SettingToggle::SendingDay(d), false);
        if view.settings.sending_days.len() == 1 {
            assert!(matches!(r, Err(DomainError::Invalid(_))), "{r:?}");
        } else {
            r.unwrap();
        }
    }
    let after = w.sequence_detail(Q4).unwrap();
    assert_eq!(after.settings.sending_days.len(), 1);
    assert_eq!(after.version, detail.version.max(1) + days as i64 - 1);
}

#[test]
fn bulk_enroll_from_all_enrollments_enrolls_the_contacts_of_the_marked_rows() {
    use seqtui::tui::dialog::Preview;
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut h = app(&path, 120, 40);
    h.settle();
    h.key("5").settle();
    h.keys(&["space", "space", "space"]);
    let marked: Vec<i64> = {
        let e = h.app.all.as_ref().unwrap();
        e.marks.targets(&e.ids, e.cursor.selected).0
    };
    assert_eq!(marked.len(), 3);
    h.key("e").key("enter").settle();
    let Some(d) = h.app.dialog_as::<BulkEnrollDialog>() else {
        panic!("no bulk dialog: {}", h.screen());
    };
    let Preview::Ready(report) = &d.preview else {
        panic!("no dry run: {:?}", d.preview);
    };
    let mut w = ws(&h);
    let contacts = w.contacts_of_enrollments(&marked).unwrap();
    let actor = w.acting_user(None).unwrap();
    let sequence = d.sequences[d.selected].id;
    let expected = w
        .enroll_contacts(&actor, sequence, &contacts, true)
        .unwrap();
    assert_eq!(report, &expected);
    // These rows are active enrollments: R1 refuses their contacts
    // elsewhere (or they are already in that sequence).
    assert_eq!(
        report.refused.len() + report.enrolled_contacts.len(),
        contacts.len()
    );
    assert!(h.screen().contains("enrolled elsewhere"), "{}", h.screen());
}
