//! The rules file: defaults when absent, each key overriding, one sentence
//! naming the key and the line for each bad value, `init` writing the
//! commented defaults (and never overwriting), `--rules` that names no file,
//! and the team-wide out-of-office switch reaching the engine.

mod common;

use std::path::{Path, PathBuf};

use common::cli::*;
use common::*;
use seqtui::config::{DEFAULT_RULES_FILE, parse_rules, read_rules};
use seqtui::domain::*;

fn run(db: &Path, config: &Path, args: &[&str]) -> Run {
    output(seqtui(db).env("XDG_CONFIG_HOME", config).args(args))
}

fn stderr_one_sentence(r: &Run) {
    one_sentence(&r.stderr);
}

fn error_of(text: &str) -> (usize, String) {
    let e = parse_rules(text).expect_err(text);
    (e.line, e.what)
}

#[test]
fn an_empty_file_and_the_shipped_one_are_the_defaults() {
    assert_eq!(parse_rules("").unwrap(), Rules::default());
    assert_eq!(parse_rules(DEFAULT_RULES_FILE).unwrap(), Rules::default());
    let d = Rules::default();
    assert_eq!(
        (
            d.stale_after_days,
            d.stale_quiet_days,
            d.transfer_policy,
            d.undo_window_minutes,
            d.pause_on_out_of_office
        ),
        (30, 14, TransferPolicy::Keep, 15, true)
    );
}

#[test]
fn each_key_overrides_its_default_only() {
    type Change = fn(&mut Rules);
    let cases: [(&str, Change); 9] = [
        ("[stale]\nafter_days = 45\n", |r| r.stale_after_days = 45),
        ("[stale]\nquiet_days = 7\n", |r| r.stale_quiet_days = 7),
        ("[transfer]\npolicy = \"reassign\"\n", |r| {
            r.transfer_policy = TransferPolicy::Reassign
        }),
        ("[undo]\nwindow_minutes = 60\n", |r| {
            r.undo_window_minutes = 60
        }),
        ("[out_of_office]\npause = false\n", |r| {
            r.pause_on_out_of_office = false
        }),
        ("[bounce]\nsoft_retry_hours = 6\n", |r| {
            r.soft_retry_hours = 6
        }),
        ("[sending]\ndaily_cap = 2\n", |r| r.daily_cap = 2),
        ("[unsubscribe]\ndomain = \"Mail.Example.com\"\n", |r| {
            r.unsubscribe_domain = Some("mail.example.com".into())
        }),
        (
            "[unsubscribe]\nurl = \"https://example.com/u?list=1\"\n",
            |r| r.unsubscribe_url = Some("https://example.com/u?list=1".into()),
        ),
    ];
    for (text, change) in cases {
        let mut want = Rules::default();
        change(&mut want);
        assert_eq!(parse_rules(text).unwrap(), want, "{text}");
    }
    let all = "[stale]\nafter_days = 60\nquiet_days = 21\n[transfer]\npolicy = \"unenroll\"\n\
               [undo]\nwindow_minutes = 5\n[out_of_office]\npause = false\n\
               [bounce]\nsoft_retry_hours = 48\n[smtp]\npassword_file = \"pw.txt\"\ndefer_limit_hours = 96\n[sending]\ndaily_cap = 50\n\
               [unsubscribe]\ndomain = \"example.com\"\nurl = \"https://example.com/u\"\n\
               [dates]\ntime_zone = \"Europe/Berlin\"\n";
    assert_eq!(
        parse_rules(all).unwrap(),
        Rules {
            stale_after_days: 60,
            stale_quiet_days: 21,
            transfer_policy: TransferPolicy::Unenroll,
            undo_window_minutes: 5,
            pause_on_out_of_office: false,
            soft_retry_hours: 48,
            smtp_password_file: Some("pw.txt".into()),
            smtp_defer_limit_hours: 96,
            daily_cap: 50,
            unsubscribe_domain: Some("example.com".into()),
            unsubscribe_url: Some("https://example.com/u".into()),
            time_zone: Some("Europe/Berlin".into()),
        }
    );
}

#[test]
fn each_bad_value_names_its_key_and_line() {
    let cases = [
        (
            "# team rules\n\n[stale]\nafter_days = 0\n",
            4,
            "stale.after_days must be a whole number of days ≥ 1",
        ),
        (
            "[stale]\nafter_days = -3\n",
            2,
            "stale.after_days must be a whole number of days ≥ 1",
        ),
        (
            "[stale]\nafter_days = \"thirty\"\n",
            2,
            "stale.after_days must be a whole number of days ≥ 1",
        ),
        (
            "[stale]\nafter_days = 30.5\n",
            2,
            "stale.after_days must be a whole number of days ≥ 1",
        ),
        (
            "[stale]\nafter_days = 36501\n",
            2,
            "stale.after_days must be a whole number of days ≥ 1 (at most 36500)",
        ),
        (
            "[stale]\nafter_days = 30\nquiet_days = -1\n",
            3,
            "stale.quiet_days must be a whole number of days ≥ 1",
        ),
        (
            "[transfer]\npolicy = \"move\"\n",
            2,
            "transfer.policy must be \"keep\", \"reassign\" or \"unenroll\", not \"move\"",
        ),
        ("[transfer]\npolicy = 1\n", 2, "transfer.policy must be"),
        (
            "[undo]\nwindow_minutes = 0\n",
            2,
            "undo.window_minutes must be a whole number of minutes ≥ 1",
        ),
        (
            "[undo]\nwindow_minutes = \"15m\"\n",
            2,
            "undo.window_minutes must be a whole number of minutes",
        ),
        (
            "[out_of_office]\npause = \"yes\"\n",
            2,
            "out_of_office.pause must be true or false, not \"yes\"",
        ),
        (
            "[bounce]\nsoft_retry_hours = 0\n",
            2,
            "bounce.soft_retry_hours must be a whole number of hours ≥ 1",
        ),
        (
            "# retry\n[bounce]\nsoft_retry_hours = 721\n",
            3,
            "bounce.soft_retry_hours must be a whole number of hours ≥ 1 (at most 720)",
        ),
        (
            "[bounce]\nsoft_retry_hours = \"1d\"\n",
            2,
            "bounce.soft_retry_hours must be a whole number of hours",
        ),
        (
            "[sending]\ndaily_cap = 0\n",
            2,
            "sending.daily_cap must be a whole number of emails ≥ 1",
        ),
        (
            "[unsubscribe]\n\nurl = \"http://example.com/u\"\n",
            3,
            "unsubscribe.url must be an https:// URL",
        ),
        (
            "[unsubscribe]\nurl = \"https://example.com/u>\\r\\nBcc: x@y.z\"\n",
            2,
            "unsubscribe.url must be an https:// URL",
        ),
        (
            "[unsubscribe]\ndomain = \"exa mple.com\"\n",
            2,
            "unsubscribe.domain must be a domain name",
        ),
    ];
    for (text, line, start) in cases {
        let (at, what) = error_of(text);
        assert_eq!(at, line, "{text}: {what}");
        assert!(what.starts_with(start), "{text}: {what}");
        assert!(!what.contains('\n'), "one line: {what}");
    }
}

#[test]
fn unknown_keys_and_sections_are_errors() {
    let (line, what) = error_of("[stale]\nafter_days = 30\nafterdays = 31\n");
    assert_eq!(line, 3);
    assert_eq!(
        what,
        "stale.afterdays is not a rule; [stale] takes stale.after_days, stale.quiet_days"
    );
    let (line, what) = error_of("[undo]\nwindow_minutes = 5\n\n[stael]\nafter_days = 3\n");
    assert_eq!(line, 4, "{what}");
    assert_eq!(
        what,
        "'stael' is not a section of the rules file; the sections are [stale], [transfer], [undo], [out_of_office], [bounce], [smtp], [sending], [unsubscribe] and [dates]"
    );
    let (line, what) = error_of("# mine\nafter_days = 30\n");
    assert_eq!(line, 2, "{what}");
    assert!(what.starts_with("'after_days' is not a section"), "{what}");
    let (line, what) = error_of("\nstale = 3\n");
    assert_eq!(line, 2, "{what}");
    assert!(what.starts_with("the rules go in sections"), "{what}");
}

#[test]
fn broken_toml_names_the_line() {
    let (line, what) = error_of("[stale]\nafter_days = 30\nquiet_days = \n");
    assert_eq!(line, 3, "{what}");
    let (line, _) = error_of("[stale\nafter_days = 30\n");
    assert_eq!(line, 1);
    let (line, what) = error_of("[stale]\nafter_days = 30\nafter_days = 31\n");
    assert_eq!(line, 3);
    assert!(what.contains("duplicate key"), "{what}");
}

#[test]
fn read_rules_says_which_file_and_maps_to_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rules.toml");
    std::fs::write(&file, "[stale]\nafter_days = 0\n").unwrap();
    let e = read_rules(&file).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert_eq!(
        e.to_string(),
        format!(
            "rules file {}, line 2: stale.after_days must be a whole number of days ≥ 1 (at most 36500), not 0",
            file.display()
        )
    );
    let e = read_rules(&dir.path().join("missing.toml")).unwrap_err();
    assert_eq!(e.exit_code(), 4);
}

// ------------------------------------------------------------------ CLI

fn default_rules(config: &Path) -> PathBuf {
    config.join("seqtui").join("rules.toml")
}

#[test]
fn init_writes_the_commented_defaults_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let db = dir.path().join("ws.db");
    let r = run(&db, &config, &["init"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let file = default_rules(&config);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), DEFAULT_RULES_FILE);
    assert!(
        r.stdout
            .contains(&format!("Wrote the default rules to {}.", file.display())),
        "{}",
        r.stdout
    );

    // A team's own file is kept as it is by a second init.
    std::fs::write(&file, "[stale]\nafter_days = 45\n").unwrap();
    let other = dir.path().join("other.db");
    let r = run(&other, &config, &["init"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("Kept the rules file"), "{}", r.stdout);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "[stale]\nafter_days = 45\n"
    );

    // With --rules, init writes there.
    let named = dir.path().join("team").join("rules.toml");
    let third = dir.path().join("third.db");
    let r = run(
        &third,
        &config,
        &["--rules", named.to_str().unwrap(), "--json", "init"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&named).unwrap(), DEFAULT_RULES_FILE);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(report["rules_file_written"], true);
    assert_eq!(report["rules_file"], named.to_str().unwrap());
}

#[test]
fn a_missing_default_file_means_defaults_a_missing_named_one_is_not_found() {
    let f = fixture(2);
    let config = f.dir.path().join("config");
    let r = run(&f.path, &config, &["sequences"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!default_rules(&config).exists(), "reading writes nothing");

    let missing = f.dir.path().join("missing.toml");
    let r = run(
        &f.path,
        &config,
        &["--rules", missing.to_str().unwrap(), "sequences"],
    );
    assert_eq!(r.code, 4, "{}", r.stderr);
    stderr_one_sentence(&r);
    assert!(r.stderr.contains("no rules file at"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
}

#[test]
fn a_bad_default_file_stops_every_command_with_exit_2() {
    let f = fixture(2);
    let config = f.dir.path().join("config");
    let file = default_rules(&config);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "[transfer]\n\npolicy = \"sometimes\"\n").unwrap();
    for args in [
        &["sequences"][..],
        &["enrollments", "--sequence", "Alpha Outbound"][..],
    ] {
        let r = run(&f.path, &config, args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        stderr_one_sentence(&r);
        assert_eq!(
            r.stderr.trim_end(),
            format!(
                "seqtui: rules file {}, line 3: transfer.policy must be \"keep\", \"reassign\" or \"unenroll\", not \"sometimes\"",
                file.display()
            )
        );
    }
    // SEQTUI_RULES names another file, which wins.
    let good = f.dir.path().join("good.toml");
    std::fs::write(&good, "[transfer]\npolicy = \"keep\"\n").unwrap();
    let r = output(
        seqtui(&f.path)
            .env("XDG_CONFIG_HOME", &config)
            .env("SEQTUI_RULES", &good)
            .arg("sequences"),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

// ---------------------------------------------------- out-of-office (R14)

#[test]
fn the_rules_file_can_turn_out_of_office_pauses_off() {
    let mut f = fixture(4);
    let manager = f.manager_east.clone();
    f.ws.set_sequence_options(&manager, "Alpha Outbound", None, Some(true))
        .unwrap();
    let ann = f.rep_ann.clone();
    let ids = f.ws.enroll(&ann, f.seq_a.id, &f.c[..2]).unwrap().enrolled;
    let away = |id: &str, contact: usize| InboundEvent {
        id: id.into(),
        at: now(),
        inbound: Inbound::AutoReply {
            from: format!("contact{contact:04}@acme{}.example", contact % 7),
            references: vec![],
            subject: "Out of office".into(),
            return_date: Some(now() + chrono::Duration::days(10)),
        },
    };

    f.ws.set_rules(Rules {
        pause_on_out_of_office: false,
        ..Rules::default()
    });
    let out = f.ws.apply_inbound(&away("a", 0)).unwrap();
    assert_eq!(out[0].action, IngestAction::Recorded, "{:?}", out[0]);
    assert!(out[0].why.contains("rules file"), "{}", out[0].why);
    assert_eq!(f.ws.enrollment(ids[0]).unwrap().status, Status::Active);

    f.ws.set_rules(Rules::default());
    let out = f.ws.apply_inbound(&away("b", 1)).unwrap();
    assert_eq!(out[0].action, IngestAction::Paused, "{:?}", out[0]);
    assert_eq!(f.ws.enrollment(ids[1]).unwrap().status, Status::Paused);
}
