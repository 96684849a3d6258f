//! Identity (issue 6): users bound to operating-system logins, `--as`
//! only for admins once anyone is bound, and R12 through every CLI command
//! and TUI action when a rep tries another rep's enrollment.

mod common;

use common::cli::*;
use common::*;
use seqtui::domain::*;
use seqtui::tui::{Headless, Theme};

/// Ann (rep, East) enrolled c0; Bob (rep, East) enrolled c1. Ann does not
/// own c1 (Bob does), so Ann may not change Bob's enrollment; Mae, East's
/// manager, may.
fn two_reps() -> (Fixture, i64, i64) {
    let mut f = sqlite_fixture(6);
    let (ann, bob, a) = (f.rep_ann.clone(), f.rep_bob.clone(), f.seq_a.id);
    let (c0, c1) = (f.c[0], f.c[1]);
    let anns = f.ws.enroll(&ann, a, &[c0]).unwrap().enrolled[0];
    let bobs = f.ws.enroll(&bob, a, &[c1]).unwrap().enrolled[0];
    (f, anns, bobs)
}

#[test]
fn without_bindings_as_and_the_default_user_work_as_before() {
    let f = sqlite_fixture(1);
    assert_eq!(
        f.ws.identify(Some("anyone"), None, Overrides::NONE)
            .unwrap()
            .email,
        "admin@team.example"
    );
    assert_eq!(
        f.ws.identify(None, Some("ann@team.example"), Overrides::NONE)
            .unwrap()
            .email,
        "ann@team.example"
    );
}

#[test]
fn only_an_admin_binds_and_a_login_is_one_user() {
    let mut f = sqlite_fixture(1);
    let (admin, ann) = (f.admin.clone(), f.rep_ann.clone());
    let refused =
        f.ws.bind_login(&ann, "ann@team.example", Some("ann"))
            .unwrap_err();
    assert!(matches!(refused, DomainError::Refused(_)), "{refused}");
    // The first binding is the acting admin's own (see the lock-out test).
    f.ws.bind_login(&admin, "admin@team.example", Some("root-ish"))
        .unwrap();
    let bound =
        f.ws.bind_login(&admin, "ann@team.example", Some("ann"))
            .unwrap();
    assert_eq!(bound.login.as_deref(), Some("ann"));
    // The same login given to Bob moves it.
    f.ws.bind_login(&admin, "bob@team.example", Some("ann"))
        .unwrap();
    let users = f.ws.users().unwrap();
    let with_login: Vec<&str> = users
        .iter()
        .filter(|u| u.login.as_deref() == Some("ann"))
        .map(|u| u.email.as_str())
        .collect();
    assert_eq!(with_login, vec!["bob@team.example"]);
    assert!(matches!(
        f.ws.bind_login(&admin, "bob@team.example", Some("two words")),
        Err(DomainError::Invalid(_))
    ));
    assert!(matches!(
        f.ws.bind_login(&admin, "nobody@team.example", Some("x")),
        Err(DomainError::NotFound(_))
    ));
    let audit = f.ws.audit(None, 10).unwrap();
    assert_eq!(audit.iter().filter(|e| e.action == "bind_login").count(), 3);
}

#[test]
fn with_bindings_the_login_decides_and_only_admins_use_as() {
    let mut f = sqlite_fixture(1);
    let admin = f.admin.clone();
    f.ws.bind_login(&admin, "admin@team.example", Some("root-ish"))
        .unwrap();
    f.ws.bind_login(&admin, "ann@team.example", Some("ann"))
        .unwrap();
    assert_eq!(
        f.ws.identify(Some("ann"), None, Overrides::NONE)
            .unwrap()
            .email,
        "ann@team.example"
    );
    assert_eq!(
        f.ws.identify(Some("ann"), Some("ANN@team.example"), Overrides::NONE)
            .unwrap()
            .email,
        "ann@team.example",
        "naming yourself is fine"
    );
    let as_mae =
        f.ws.identify(Some("ann"), Some("mae@team.example"), Overrides::NONE)
            .unwrap_err();
    assert!(
        as_mae
            .to_string()
            .contains("only an admin may act as someone else")
    );
    assert_eq!(
        f.ws.identify(Some("root-ish"), Some("mae@team.example"), Overrides::NONE)
            .unwrap()
            .email,
        "mae@team.example"
    );
    let stranger =
        f.ws.identify(Some("mallory"), None, Overrides::NONE)
            .unwrap_err();
    assert!(
        stranger
            .to_string()
            .contains("seqtui users bind EMAIL --login mallory"),
        "{stranger}"
    );
    assert!(f.ws.identify(None, None, Overrides::NONE).is_err());
    // Unbinding everyone returns to the default user.
    f.ws.bind_login(&admin, "ann@team.example", None).unwrap();
    f.ws.bind_login(&admin, "admin@team.example", None).unwrap();
    assert_eq!(
        f.ws.identify(Some("mallory"), None, Overrides::NONE)
            .unwrap()
            .email,
        "admin@team.example"
    );
}

/// The login running the tests, bound to Ann: every CLI change to Bob's
/// enrollment is refused with exit 3 and one sentence; Ann's own works.
#[test]
fn cli_as_a_bound_rep_r12_holds_for_every_command() {
    let login = seqtui::cli::current_login().expect("the test's login");
    let (mut f, anns, bobs) = two_reps();
    let admin = f.admin.clone();
    let mae = f.manager_east.clone();
    // A batch of Mae's, for undo.
    let c2 = f.c[2];
    let maes = f.ws.enroll(&mae, f.seq_b.id, &[c2]).unwrap().enrolled[0];
    let batch =
        f.ws.unenroll(
            &mae,
            &UnenrollRequest {
                enrollments: vec![maes],
                reason: EndReason::Stale,
                note: None,
                dry_run: false,
            },
        )
        .unwrap()
        .batch
        .unwrap();
    // A paused one of Bob's, for resume.
    let bob_user = f.rep_bob.clone();
    let c4 = f.c[4];
    let paused = f.ws.enroll(&bob_user, f.seq_a.id, &[c4]).unwrap().enrolled[0];
    f.ws.pause(&bob_user, &[paused], false).unwrap();
    f.ws.bind_login(&admin, "admin@team.example", Some("admin-elsewhere"))
        .unwrap();
    f.ws.bind_login(&admin, "ann@team.example", Some(&login))
        .unwrap();
    // A bound rep may not set the clock (see
    // `a_bound_rep_may_not_move_the_clock_or_the_rules`): run on the real one.
    let run = |path: &std::path::Path, args: &[&str]| run_no_clock(path, args);
    let bob = bobs.to_string();
    let bob_paused = paused.to_string();
    let refusals: Vec<Vec<&str>> = vec![
        vec!["unenroll", "--enrollment", &bob, "--reason", "stale"],
        vec!["pause", "--enrollment", &bob],
        vec!["resume", "--enrollment", &bob_paused],
        vec![
            "transfer",
            "--contact",
            "contact0001@acme1.example",
            "--to",
            "ann@team.example",
            "--policy",
            "reassign",
        ],
        vec!["undo", &batch],
        vec![
            "users",
            "add",
            "x@team.example",
            "--name",
            "X",
            "--role",
            "rep",
            "--team",
            "East",
        ],
        vec!["users", "bind", "ann@team.example", "--login", "other"],
        vec!["--as", "mae@team.example", "sequences"],
        vec![
            "--as",
            "admin@team.example",
            "unenroll",
            "--enrollment",
            &bob,
            "--reason",
            "stale",
        ],
    ];
    for args in &refusals {
        let r = run(&f.path, args);
        assert_eq!(r.code, 3, "{args:?}: {} {}", r.stdout, r.stderr);
        one_sentence(&r.stderr);
    }
    let e = f.ws.enrollment(bobs).unwrap();
    assert_eq!(e.status, Status::Active, "nothing changed");
    assert_eq!(
        f.ws.contact("contact0001@acme1.example")
            .unwrap()
            .owner
            .as_deref(),
        Some("bob@team.example")
    );
    // Ann's own enrollment: allowed, and done as Ann.
    let r = run(
        &f.path,
        &["--json", "pause", "--enrollment", &anns.to_string()],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let audit = f.ws.audit(None, 1).unwrap();
    assert_eq!(audit[0].action, "pause");
    assert_eq!(audit[0].actor.as_deref(), Some("ann@team.example"));
    let r = run(&f.path, &["--json", "users"]);
    let users = r.json();
    let ann = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "ann@team.example")
        .unwrap();
    assert_eq!(ann["login"], login.as_str());

    // Bound to the admin instead, the same login may act as anyone.
    f.ws.bind_login(&admin, "admin@team.example", Some(&login))
        .unwrap();
    let r = run(
        &f.path,
        &["--as", "mae@team.example", "pause", "--enrollment", &bob],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(f.ws.enrollment(bobs).unwrap().status, Status::Paused);

    // A login bound to nobody, while others are bound: refused.
    f.ws.bind_login(&admin, "admin@team.example", Some("someone-else"))
        .unwrap();
    let r = run(&f.path, &["sequences"]);
    assert_eq!(r.code, 3);
    one_sentence(&r.stderr);
    assert!(r.stderr.contains("users bind"), "{}", r.stderr);
}

/// The TUI as Ann: on Bob's enrollment, unenroll, pause and transfer all
/// show the domain's refusal and cannot be confirmed; Bob's row is unchanged.
#[test]
fn tui_as_a_rep_r12_holds_for_every_action() {
    let (f, anns, bobs) = two_reps();
    let mut h = Headless::open(
        &f.path,
        Clock::Fixed(now()),
        Some("ann@team.example"),
        (120, 40),
        Theme::plain(),
    )
    .unwrap();
    h.settle();
    h.key("g").key("enter").settle();
    // Alpha lists c0 (Ann's) and c1 (Bob's) in name order: find Bob's row.
    let at = h
        .app
        .enrollments
        .as_ref()
        .unwrap()
        .ids
        .iter()
        .position(|id| *id == bobs)
        .expect("Bob's enrollment is listed");
    h.key("g");
    for _ in 0..at {
        h.key("j");
    }
    h.key("space");

    h.key("u").settle();
    let screen = h.screen();
    assert!(screen.contains("not permitted"), "{screen}");
    h.key("y");
    assert!(
        h.app.dialog.is_some(),
        "nothing to confirm: the dialog stays"
    );
    h.key("esc");

    h.key("p").settle();
    let screen = h.screen();
    assert!(screen.contains("not permitted"), "{screen}");
    h.key("y");
    assert!(h.app.dialog.is_some());
    h.key("esc");

    h.key("o").key("enter").settle();
    let screen = h.screen();
    assert!(screen.contains("not permitted"), "{screen}");
    h.key("y");
    assert!(h.app.dialog.is_some());
    h.key("esc").key("esc");

    // U offers only Ann's own batch: her enroll of c0 (an enroll can be
    // undone), never anything of Bob's.
    let anns_batch = f.ws.enrollment(anns).unwrap().batch.unwrap();
    h.key("U");
    let screen = h.screen();
    assert!(
        screen.contains(&format!("Undo your last enroll ({anns_batch})")),
        "{screen}"
    );
    h.key("esc");
    let e = f.ws.enrollment(bobs).unwrap();
    assert_eq!(e.status, Status::Active);
    assert_eq!(e.enrolled_by, "bob@team.example");
}

/// R12 under binding: a bound rep may not move the clock or the rules
/// (`--now`, `SEQTUI_NOW`, `--rules`, `SEQTUI_RULES`): refused with exit 3
/// and one sentence, nothing changed. A bound admin may.
#[test]
fn a_bound_rep_may_not_move_the_clock_or_the_rules() {
    let login = seqtui::cli::current_login().expect("the test's login");
    let (mut f, anns, _bobs) = two_reps();
    let admin = f.admin.clone();
    f.ws.bind_login(&admin, "admin@team.example", Some("admin-elsewhere"))
        .unwrap();
    f.ws.bind_login(&admin, "ann@team.example", Some(&login))
        .unwrap();
    let rules = f.dir.path().join("rules.toml");
    std::fs::write(&rules, "").unwrap();
    let ann = anns.to_string();
    let unenroll = ["unenroll", "--enrollment", &ann, "--reason", "stale"];
    let audit_before = f.ws.audit(None, 1000).unwrap().len();
    // --now (what `run` passes), SEQTUI_NOW, --rules, SEQTUI_RULES.
    let attempts = [
        run(&f.path, &unenroll),
        output(
            assert_cmd::Command::from_std(process(&f.path))
                .env("SEQTUI_NOW", "2026-01-01T00:00:00Z")
                .args(unenroll),
        ),
        output(
            assert_cmd::Command::from_std(process(&f.path))
                .arg("--rules")
                .arg(&rules)
                .args(unenroll),
        ),
        output(
            assert_cmd::Command::from_std(process(&f.path))
                .env("SEQTUI_RULES", &rules)
                .args(unenroll),
        ),
    ];
    for (i, r) in attempts.iter().enumerate() {
        assert_eq!(r.code, 3, "attempt {i}: {} {}", r.stdout, r.stderr);
        one_sentence(&r.stderr);
        assert!(r.stderr.contains("only an admin may set"), "{}", r.stderr);
    }
    assert!(
        attempts[0].stderr.contains("--now"),
        "{}",
        attempts[0].stderr
    );
    assert!(
        attempts[2].stderr.contains("--rules"),
        "{}",
        attempts[2].stderr
    );
    assert_eq!(f.ws.enrollment(anns).unwrap().status, Status::Active);
    assert_eq!(f.ws.audit(None, 1000).unwrap().len(), audit_before);
    // Even reading is refused: the clock decides what "stale" and "due" say.
    assert_eq!(run(&f.path, &["sequences"]).code, 3);
    // The TUI's start goes through the same check, before taking the screen.
    let tui = run(&f.path, &[]);
    assert_eq!(tui.code, 3, "{} {}", tui.stdout, tui.stderr);
    one_sentence(&tui.stderr);
    assert!(
        tui.stderr.contains("only an admin may set"),
        "{}",
        tui.stderr
    );
    // On the real clock and rules Ann works as before.
    assert_eq!(run_no_clock(&f.path, &["sequences"]).code, 0);
    // The domain decides it, for every front end.
    let refused =
        f.ws.identify(
            Some(&login),
            None,
            Overrides {
                clock: false,
                rules: true,
            },
        )
        .unwrap_err();
    assert!(matches!(refused, DomainError::Refused(_)), "{refused}");
    // A login bound to an admin may set both.
    f.ws.bind_login(&admin, "admin@team.example", Some(&login))
        .unwrap();
    let r = output(
        seqtui(&f.path)
            .arg("--rules")
            .arg(&rules)
            .args(["--as", "ann@team.example"])
            .args(unenroll),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(f.ws.enrollment(anns).unwrap().status, Status::Unenrolled);
}

/// With no login bound yet, an admin binding someone else first would lock
/// themselves out (their own login bound to nobody): refused with a
/// sentence naming the command to bind themselves; after that it works.
/// Later, a change that leaves no admin bound is refused too.
#[test]
fn an_admin_binding_someone_else_first_is_not_locked_out() {
    let login = seqtui::cli::current_login().expect("the test's login");
    let f = sqlite_fixture(1);
    let r = run(
        &f.path,
        &["users", "bind", "ann@team.example", "--login", "ann"],
    );
    assert_eq!(r.code, 3, "{} {}", r.stdout, r.stderr);
    one_sentence(&r.stderr);
    assert!(
        r.stderr
            .contains("seqtui users bind admin@team.example --login"),
        "{}",
        r.stderr
    );
    assert!(f.ws.users().unwrap().iter().all(|u| u.login.is_none()));
    // The admin still acts (nothing was bound).
    assert_eq!(run(&f.path, &["sequences"]).code, 0);

    let r = run(
        &f.path,
        &["users", "bind", "admin@team.example", "--login", &login],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(
        &f.path,
        &["users", "bind", "ann@team.example", "--login", "ann"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Still the admin, bound to this login.
    let r = run(&f.path, &["--json", "users"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Unbinding the only bound admin while Ann stays bound: refused.
    let r = run(&f.path, &["users", "unbind", "admin@team.example"]);
    assert_eq!(r.code, 3, "{} {}", r.stdout, r.stderr);
    one_sentence(&r.stderr);
    assert!(r.stderr.contains("no admin bound"), "{}", r.stderr);
    // Nor may the admin's login be moved to Ann.
    let r = run(
        &f.path,
        &["users", "bind", "ann@team.example", "--login", &login],
    );
    assert_eq!(r.code, 3, "{} {}", r.stdout, r.stderr);
    let users = f.ws.users().unwrap();
    let admin = users
        .iter()
        .find(|u| u.email == "admin@team.example")
        .unwrap();
    assert_eq!(admin.login.as_deref(), Some(login.as_str()));
    // Ann unbound first, then the admin: back to no bindings.
    assert_eq!(
        run(&f.path, &["users", "unbind", "ann@team.example"]).code,
        0
    );
    assert_eq!(
        run(&f.path, &["users", "unbind", "admin@team.example"]).code,
        0
    );
}
