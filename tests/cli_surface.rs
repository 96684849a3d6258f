//! The command line as a program people learn (issue 17): completions, the
//! man page, `--help` (global options apart, allowed values, a line for
//! every argument, examples), short flags, clap's usage errors as one
//! sentence, and a declined prompt exiting 3.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use clap::CommandFactory;
use common::cli::*;
use common::*;

/// Every command of the tree with its path (`["sequence", "apply"]`), the
/// root excluded.
fn commands(cmd: &clap::Command, path: Vec<String>, out: &mut Vec<(Vec<String>, clap::Command)>) {
    for sub in cmd.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        let mut p = path.clone();
        p.push(sub.get_name().to_string());
        out.push((p.clone(), sub.clone()));
        commands(sub, p, out);
    }
}

fn all_commands() -> Vec<(Vec<String>, clap::Command)> {
    let mut out = Vec::new();
    commands(&seqtui::cli::command(), Vec::new(), &mut out);
    out
}

#[test]
fn the_command_tree_is_consistent() {
    // clap's own checks (duplicate short flags among them), on the tree
    // with the short flags and examples added.
    seqtui::cli::command().debug_assert();
    // The derive's tree is what the builder starts from.
    seqtui::cli::Cli::command().debug_assert();
}

#[test]
fn every_argument_has_a_help_line() {
    let mut missing = Vec::new();
    let root = seqtui::cli::command();
    let mut all = vec![(vec!["seqtui".to_string()], root.clone())];
    all.extend(all_commands());
    for (path, cmd) in &all {
        for arg in cmd.get_arguments() {
            if matches!(arg.get_id().as_str(), "help" | "version") {
                continue;
            }
            let help = arg
                .get_help()
                .or(arg.get_long_help())
                .map(|h| h.to_string())
                .unwrap_or_default();
            if help.trim().is_empty() {
                missing.push(format!("{} {}", path.join(" "), arg.get_id()));
            }
        }
    }
    assert!(missing.is_empty(), "arguments without help: {missing:#?}");
}

/// Arguments whose values are a closed set, by id, beyond those whose
/// value name spells the set (`table|tsv|csv`, `on|off`).
const CLOSED: &[&str] = &[
    "reason",
    "role",
    "policy",
    "status",
    "format",
    "due",
    "color",
    "shell",
    "opted_out",
];

/// The values a value name like `today|overdue|week` spells (lower-case
/// words between bars), or none for a placeholder (`EMAIL|ID`, `N`).
fn spelled_values(name: &str) -> Option<Vec<String>> {
    let parts: Vec<&str> = name.split('|').collect();
    (parts.len() > 1
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c == '-')
        }))
    .then(|| parts.iter().map(|p| p.to_string()).collect())
}

#[test]
fn every_argument_with_a_closed_set_of_values_lists_them_in_help() {
    let mut wrong = Vec::new();
    let root = seqtui::cli::command();
    let mut all = vec![(vec!["seqtui".to_string()], root.clone())];
    all.extend(all_commands());
    let mut seen = 0;
    for (path, cmd) in &all {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            let spelled = arg
                .get_value_names()
                .and_then(|names| names.first().and_then(|n| spelled_values(n)));
            if spelled.is_none() && !CLOSED.contains(&id) {
                continue;
            }
            seen += 1;
            let at = format!("{} --{}", path.join(" "), arg.get_long().unwrap_or(id));
            let values: Vec<String> = arg
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_string())
                .collect();
            if values.is_empty() || arg.is_hide_possible_values_set() {
                wrong.push(format!("{at}: its values are not declared (value_parser)"));
                continue;
            }
            if let Some(spelled) = spelled
                && spelled != values
            {
                wrong.push(format!(
                    "{at}: the value name says {spelled:?}, the parser {values:?}"
                ));
            }
        }
    }
    assert!(seen >= 10, "only {seen} closed arguments found");
    assert!(wrong.is_empty(), "{wrong:#?}");
    // And the help shows them.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("none.db");
    let help = run(&db, &["tasks", "--help"]).stdout;
    assert!(
        help.contains("[possible values: today, overdue, week]"),
        "{help}"
    );
    let help = run(&db, &["enrollments", "--help"]).stdout;
    assert!(
        help.contains("[possible values: table, tsv, csv, json, jsonl]"),
        "{help}"
    );
}

#[test]
fn every_command_has_examples_that_parse() {
    let mut missing = Vec::new();
    for (path, cmd) in all_commands() {
        let after = cmd
            .get_after_help()
            .or(cmd.get_after_long_help())
            .map(|h| h.to_string())
            .unwrap_or_default();
        if !after.contains("Examples:") {
            missing.push(path.join(" "));
            continue;
        }
        // Every example of a command names that command and parses.
        let mut examples = 0;
        for line in after.lines().map(str::trim) {
            let Some(args) = line.strip_prefix("seqtui ") else {
                continue;
            };
            examples += 1;
            // What the shell does after the command: a comment, a redirect.
            let args = [" #", " >", " |"]
                .iter()
                .filter_map(|cut| args.find(cut))
                .min()
                .map_or(args, |end| &args[..end]);
            let words = shell_words(args);
            // Global options may come first.
            let mut command = words.as_slice();
            loop {
                match command.first().map(String::as_str) {
                    Some("--db" | "--as" | "--now" | "--rules") => command = &command[2..],
                    Some("--json") => command = &command[1..],
                    _ => break,
                }
            }
            assert!(
                command.starts_with(&path),
                "example '{line}' of `{}` runs another command",
                path.join(" ")
            );
            let parsed = seqtui::cli::command()
                .try_get_matches_from(std::iter::once("seqtui".into()).chain(words));
            assert!(
                parsed.is_ok(),
                "example '{line}' does not parse: {parsed:?}"
            );
        }
        assert!(examples > 0, "no example line under `{}`", path.join(" "));
    }
    assert!(
        missing.is_empty(),
        "commands without examples: {missing:#?}"
    );
}

/// Splits a line like a shell would, for double and single quotes.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if !word.is_empty() || any {
                    words.push(std::mem::take(&mut word));
                }
                any = false;
            }
            (None, c) => word.push(c),
        }
    }
    if !word.is_empty() || any {
        words.push(word);
    }
    words
}

#[test]
fn help_groups_global_options_and_lists_allowed_values() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    let top = run(&db, &["--help"]);
    assert_eq!(top.code, 0, "{}", top.stderr);
    assert!(top.stdout.contains("Global options:"), "{}", top.stdout);
    let unenroll = run(&db, &["unenroll", "--help"]);
    assert_eq!(unenroll.code, 0);
    let text = &unenroll.stdout;
    // The global options are apart from the command's own.
    let global = text.find("Global options:").expect(text);
    assert!(text[global..].contains("--db"), "{text}");
    assert!(!text[..global].contains("--db <PATH>"), "{text}");
    // Allowed values, from the domain's enums.
    for reason in seqtui::domain::EndReason::ALL {
        assert!(text.contains(reason.as_str()), "{reason} missing: {text}");
    }
    for status in seqtui::domain::Status::ALL {
        assert!(text.contains(status.as_str()), "{status} missing: {text}");
    }
    assert!(text.contains("Examples:"), "{text}");
    let transfer = run(&db, &["transfer", "--help"]).stdout;
    for policy in ["keep", "reassign", "unenroll"] {
        assert!(transfer.contains(policy), "{transfer}");
    }
    let add = run(&db, &["users", "add", "--help"]).stdout;
    assert!(
        add.contains("[possible values: rep, manager, admin]"),
        "{add}"
    );
}

#[test]
fn short_flags_yes_dry_run_and_sequence() {
    let mut f = fixture(4);
    let ann = f.rep_ann.clone();
    let contacts = f.c.clone();
    f.ws.enroll(&ann, f.seq_a.id, &contacts).unwrap();
    let dry = run(
        &f.path,
        &[
            "--json",
            "unenroll",
            "-s",
            "Alpha Outbound",
            "--all",
            "--reason",
            "stale",
            "-n",
        ],
    );
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert_eq!(dry.json()["dry_run"], true);
    assert_eq!(dry.json()["unenrolled"].as_array().unwrap().len(), 4);
    let done = run(
        &f.path,
        &[
            "--json",
            "unenroll",
            "-s",
            "Alpha Outbound",
            "--all",
            "--reason",
            "stale",
            "-y",
        ],
    );
    assert_eq!(done.code, 0, "{}", done.stderr);
    assert_eq!(done.json()["dry_run"], false);
    assert_eq!(done.json()["unenrolled"].as_array().unwrap().len(), 4);
}

#[test]
fn clap_usage_errors_are_one_sentence_and_keep_suggestions() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    let typo = run(&db, &["enrollmens"]);
    assert_eq!(typo.code, 2);
    one_sentence(&typo.stderr);
    assert!(typo.stderr.contains("'enrollments'"), "{}", typo.stderr);
    let flag = run(&db, &["enrollments", "--stauts", "active"]);
    assert_eq!(flag.code, 2);
    one_sentence(&flag.stderr);
    assert!(flag.stderr.contains("--status"), "{}", flag.stderr);
    let value = run(&db, &["unenroll", "--all", "--reason", "not_a_fitt", "-y"]);
    assert_eq!(value.code, 2);
    one_sentence(&value.stderr);
    assert!(value.stderr.contains("not_a_fit"), "{}", value.stderr);
    let missing = run(&db, &["unenroll", "--all"]);
    assert_eq!(missing.code, 2);
    one_sentence(&missing.stderr);
    assert!(missing.stderr.contains("--reason"), "{}", missing.stderr);
    let no_action = run(&db, &["list"]);
    assert_eq!(no_action.code, 2);
    one_sentence(&no_action.stderr);
    // Help and version still print in full on stdout, exit 0.
    let version = run(&db, &["--version"]);
    assert_eq!(version.code, 0);
    assert!(version.stdout.starts_with("seqtui "), "{}", version.stdout);
}

#[test]
fn completions_for_every_shell() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    for (shell, marker) in [
        ("bash", "_seqtui()"),
        ("zsh", "#compdef seqtui"),
        ("fish", "complete -c seqtui"),
        ("elvish", "edit:completion:arg-completer[seqtui]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let r = run(&db, &["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        assert!(
            r.stdout.contains(marker),
            "{shell}: {}",
            &r.stdout[..200.min(r.stdout.len())]
        );
        // Subcommands and the reasons' values are completed.
        assert!(r.stdout.contains("unenroll"), "{shell}");
    }
    let bash = run(&db, &["completions", "bash"]).stdout;
    assert!(bash.contains("meeting_booked"), "reasons not completed");
    let bad = run(&db, &["completions", "tcsh"]);
    assert_eq!(bad.code, 2);
    one_sentence(&bad.stderr);
}

fn man_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/man")
}

/// The committed man pages are the ones the clap definitions give; with
/// SEQTUI_UPDATE_MAN=1 this test writes them instead of failing.
#[test]
fn committed_man_pages_are_current() {
    let pages = seqtui::cli::man_pages().unwrap();
    assert!(pages.iter().any(|(name, _)| name == "seqtui.1"));
    assert!(pages.iter().any(|(name, _)| name == "seqtui-unenroll.1"));
    let update = std::env::var("SEQTUI_UPDATE_MAN").is_ok_and(|v| v == "1");
    let mut stale = Vec::new();
    for (name, text) in &pages {
        let path = man_dir().join(name);
        let committed = std::fs::read(&path).unwrap_or_default();
        if committed != *text {
            if update {
                std::fs::create_dir_all(man_dir()).unwrap();
                std::fs::write(&path, text).unwrap();
            } else {
                stale.push(name.clone());
            }
        }
    }
    // No page left over from a command that is gone.
    for entry in std::fs::read_dir(man_dir()).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".1") && !pages.iter().any(|(n, _)| *n == name) {
            if update {
                std::fs::remove_file(entry.path()).unwrap();
            } else {
                stale.push(name);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale man pages {stale:?}: run SEQTUI_UPDATE_MAN=1 cargo test --test cli_surface committed_man_pages_are_current"
    );
}

#[test]
fn man_prints_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    let r = run(&db, &["man"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let committed = std::fs::read_to_string(man_dir().join("seqtui.1")).unwrap();
    assert_eq!(r.stdout, committed);
    assert!(r.stdout.starts_with(".ie"), "{}", &r.stdout[..80]);
    let sub = run(&db, &["man", "unenroll"]);
    assert_eq!(sub.code, 0, "{}", sub.stderr);
    assert!(
        sub.stdout.contains("seqtui\\-unenroll"),
        "{}",
        &sub.stdout[..400]
    );
    let none = run(&db, &["man", "nosuch"]);
    assert_eq!(none.code, 4);
    one_sentence(&none.stderr);
    assert!(
        none.stderr.contains("`seqtui --help` lists the commands"),
        "{}",
        none.stderr
    );
}

/// Declining a `[y/N]` question is a refusal (exit 3), not a usage error.
#[cfg(unix)]
#[test]
fn declining_a_prompt_exits_3_and_changes_nothing() {
    let mut f = fixture(3);
    let ann = f.rep_ann.clone();
    let contacts = f.c.clone();
    f.ws.enroll(&ann, f.seq_a.id, &contacts).unwrap();
    let code = pty::run_answering(
        process(&f.path).args([
            "--now",
            NOW,
            "unenroll",
            "-s",
            "Alpha Outbound",
            "--all",
            "--reason",
            "stale",
        ]),
        b"n\n",
    );
    assert_eq!(code, 3);
    let still = run(&f.path, &["--json", "enrollments", "--status", "active"]).json();
    assert_eq!(still.as_array().unwrap().len(), 3);
}

#[cfg(unix)]
mod pty {
    use std::io::{Read, Write};
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::process::{Command, Stdio};

    /// Runs `cmd` with its stdin and stderr on a new pseudo-terminal,
    /// types `answer` once the question is on it, and returns the exit
    /// code.
    pub fn run_answering(cmd: &mut Command, answer: &[u8]) -> i32 {
        let (mut master, slave) = open();
        let mut child = cmd
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave))
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        // Wait for the question ("[y/N]") before answering.
        let mut seen = Vec::new();
        let mut buf = [0u8; 256];
        while !String::from_utf8_lossy(&seen).contains("[y/N]") {
            let n = master.read(&mut buf).unwrap_or(0);
            assert!(n > 0, "no question: {}", String::from_utf8_lossy(&seen));
            seen.extend_from_slice(&buf[..n]);
        }
        master.write_all(answer).unwrap();
        let status = child.wait().unwrap();
        status.code().unwrap_or(-1)
    }

    fn open() -> (std::fs::File, OwnedFd) {
        let mut master = 0;
        let mut slave = 0;
        // SAFETY: openpty writes two new descriptors we then own.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(rc, 0, "openpty failed");
        // SAFETY: both descriptors are fresh and owned by nobody else.
        unsafe {
            (
                std::fs::File::from_raw_fd(master),
                OwnedFd::from_raw_fd(slave),
            )
        }
    }
}

/// A fixture whose contacts 0..n are all enrolled in Alpha by ann.
fn enrolled(n: usize) -> Fixture {
    let mut f = fixture(n);
    let ann = f.rep_ann.clone();
    let contacts = f.c.clone();
    f.ws.enroll(&ann, f.seq_a.id, &contacts).unwrap();
    f
}

#[test]
fn near_misses_suggest_the_closest_names() {
    let f = enrolled(2);
    let seq = run(&f.path, &["enrollments", "-s", "Alpha"]);
    assert_eq!(seq.code, 4, "{}", seq.stderr);
    one_sentence(&seq.stderr);
    assert!(
        seq.stderr
            .contains("no sequence 'Alpha'; did you mean 'Alpha Outbound'?"),
        "{}",
        seq.stderr
    );
    let typo = run(&f.path, &["report", "-s", "Beta Nurtur"]);
    assert_eq!(typo.code, 4);
    assert!(
        typo.stderr.contains("did you mean 'Beta Nurture'?"),
        "{}",
        typo.stderr
    );
    let saved = run(&f.path, &["list", "save", "Stuck in Q3", "--stale"]);
    assert_eq!(saved.code, 0, "{}", saved.stderr);
    let list = run(&f.path, &["list", "show", "Stuck"]);
    assert_eq!(list.code, 4);
    one_sentence(&list.stderr);
    assert!(
        list.stderr.contains("did you mean 'Stuck in Q3'?"),
        "{}",
        list.stderr
    );
    let user = run(&f.path, &["--as", "anne@team.example", "tasks"]);
    assert_eq!(user.code, 4);
    one_sentence(&user.stderr);
    assert!(
        user.stderr.contains("did you mean 'ann@team.example'?"),
        "{}",
        user.stderr
    );
    let reason = run(
        &f.path,
        &["unenroll", "--all", "--reason", "campaign-endd", "-y"],
    );
    assert_eq!(reason.code, 2);
    one_sentence(&reason.stderr);
    assert!(
        reason.stderr.contains("did you mean 'campaign_ended'?"),
        "{}",
        reason.stderr
    );
    // Nothing close: the sentence says where the names are.
    let far = run(&f.path, &["enrollments", "-s", "Zebra"]);
    assert_eq!(far.code, 4);
    assert!(
        far.stderr.contains("`seqtui sequences` lists them"),
        "{}",
        far.stderr
    );
}

#[test]
fn a_user_may_be_named_by_the_part_before_the_at() {
    let mut f = enrolled(3);
    let by_email = run(
        &f.path,
        &["--json", "enrollments", "--owner", "ann@team.example"],
    )
    .json();
    let by_local = run(&f.path, &["--json", "enrollments", "--owner", "Ann"]);
    assert_eq!(by_local.code, 0, "{}", by_local.stderr);
    assert_eq!(by_local.json(), by_email);
    assert!(!by_email.as_array().unwrap().is_empty());
    let acting = run(&f.path, &["--json", "--as", "bob", "tasks"]);
    assert_eq!(acting.code, 0, "{}", acting.stderr);
    // Two users with that part: one sentence naming both, a usage error.
    let admin = f.admin.clone();
    f.ws.add_user(
        &admin,
        "ann@other.example",
        "Ann Other",
        seqtui::domain::Role::Rep,
        "East",
    )
    .unwrap();
    let ambiguous = run(&f.path, &["enrollments", "--owner", "ann"]);
    assert_eq!(ambiguous.code, 2, "{}", ambiguous.stderr);
    one_sentence(&ambiguous.stderr);
    assert!(
        ambiguous.stderr.contains("ann@team.example")
            && ambiguous.stderr.contains("ann@other.example"),
        "{}",
        ambiguous.stderr
    );
}

#[test]
fn dates_take_relative_and_local_forms_in_the_users_zone() {
    let f = enrolled(3);
    // Enrolled at 2026-11-02 09:00 UTC: before the 2nd in UTC, not yet;
    // in Honolulu (UTC-10) the 2nd starts at 10:00 UTC, after them.
    let count = |tz: Option<&str>, args: &[&str]| -> i64 {
        let mut cmd = seqtui(&f.path);
        if let Some(tz) = tz {
            cmd.env("TZ", tz);
        }
        let r = output(cmd.args([&["--json", "enrollments", "--count"][..], args].concat()));
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        r.json()["count"].as_i64().unwrap()
    };
    assert_eq!(count(None, &["--enrolled-before", "2026-11-02"]), 0);
    assert_eq!(
        count(
            Some("Pacific/Honolulu"),
            &["--enrolled-before", "2026-11-02"]
        ),
        3
    );
    assert_eq!(count(None, &["--enrolled-before", "tomorrow"]), 3);
    assert_eq!(count(None, &["--enrolled-before", "today"]), 0);
    assert_eq!(count(None, &["--enrolled-after", "last monday"]), 3);
    assert_eq!(count(None, &["--enrolled-after", "yesterday"]), 3);
    assert_eq!(count(None, &["--enrolled-after", "today"]), 0);
    assert_eq!(count(None, &["--enrolled-before", "7d"]), 0);
    // A saved list keeps a relative day as typed.
    let save = run(
        &f.path,
        &["--json", "list", "save", "Recent", "--enrolled-after", "1w"],
    );
    assert_eq!(save.code, 0, "{}", save.stderr);
    assert_eq!(save.json()["list"]["query"], "enrolled-after:1w");
    // Times: relative, local, with the zone; a bad one names the forms.
    for since in [
        "yesterday",
        "3h",
        "2026-11-02 08:00",
        "last monday",
        "2026-11-02T08:00:00+00:00",
    ] {
        let r = run(&f.path, &["--json", "audit", "--since", since]);
        assert_eq!(r.code, 0, "{since}: {}", r.stderr);
        assert!(!r.json().as_array().unwrap().is_empty(), "{since}");
    }
    let late = run(&f.path, &["--json", "audit", "--since", "2026-11-02 09:30"]).json();
    assert!(late.as_array().unwrap().is_empty(), "{late}");
    let bad = run(&f.path, &["audit", "--since", "soon"]);
    assert_eq!(bad.code, 2);
    one_sentence(&bad.stderr);
    assert!(
        bad.stderr
            .contains("--since: 'soon' is not a time; use RFC 3339")
            && bad.stderr.contains("2026-12-01 09:00")
            && bad.stderr.contains("last monday"),
        "{}",
        bad.stderr
    );
    // --now: absolute forms, a local time in the user's zone.
    let local_now = output(
        Command::from_std(process(&f.path))
            .env("TZ", "Europe/Berlin")
            .args([
                "--now",
                "2026-11-02 10:00",
                "--json",
                "enrollments",
                "--count",
                "--enrolled-before",
                "today",
            ]),
    );
    assert_eq!(local_now.code, 0, "{}", local_now.stderr);
    let relative_now = run_no_clock(&f.path, &["--now", "yesterday", "sequences"]);
    assert_eq!(relative_now.code, 2);
    assert!(
        relative_now.stderr.contains("is not a time"),
        "{}",
        relative_now.stderr
    );
}

#[test]
fn paths_prints_the_files_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    let state = dir.path().join("state");
    let r = output(
        seqtui(&db)
            .env("XDG_STATE_HOME", &state)
            .env("TZ", "Europe/Berlin")
            .args(["--json", "paths"]),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["workspace"], db.to_str().unwrap());
    assert_eq!(j["workspace_exists"], false);
    let config = dir.path().join("config/seqtui");
    assert_eq!(j["rules"], config.join("rules.toml").to_str().unwrap());
    assert_eq!(j["keymap"], config.join("keymap.toml").to_str().unwrap());
    assert_eq!(j["keymap_exists"], false);
    assert_eq!(j["outbox"], dir.path().join("outbox").to_str().unwrap());
    assert!(
        j["log"]
            .as_str()
            .unwrap()
            .starts_with(state.join("seqtui/seqtui.log.").to_str().unwrap()),
        "{j}"
    );
    assert_eq!(j["time_zone"], "Europe/Berlin");
    let text = output(seqtui(&db).env("XDG_STATE_HOME", &state).arg("paths"));
    assert_eq!(text.code, 0);
    for what in ["workspace", "rules", "keymap", "log", "outbox"] {
        assert!(text.stdout.contains(what), "{}", text.stdout);
    }
}

/// `run --watch` writes its start, each cycle's counts and its stop to the
/// log file, and nothing of it on the terminal.
#[cfg(unix)]
#[test]
fn run_watch_logs_to_the_log_file() {
    let f = enrolled(2);
    let state = f.dir.path().join("state");
    let child = process(&f.path)
        .env("XDG_STATE_HOME", &state)
        .args(["--now", NOW, "run", "--watch"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let log_dir = state.join("seqtui");
    let read_log = || -> String {
        std::fs::read_dir(&log_dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .collect()
    };
    // Wait (no timing asserted) for the first cycle's line.
    let mut waited = 0;
    while !read_log().contains("run cycle: 2 emails sent") {
        std::thread::sleep(std::time::Duration::from_millis(100));
        waited += 1;
        assert!(waited < 600, "no cycle logged: {}", read_log());
    }
    // SAFETY: a plain signal to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let log = read_log();
    assert!(log.contains("run --watch started"), "{log}");
    assert!(log.contains("run --watch stopped"), "{log}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("run cycle"), "{stderr}");
    // SEQTUI_LOG=off: a cycle runs (it sends the two emails of the next
    // step, due now), and no log is written.
    let quiet_state = f.dir.path().join("quiet");
    let later = "2026-11-04T10:00:00Z";
    let mut quiet = process(&f.path)
        .env("XDG_STATE_HOME", &quiet_state)
        .env("SEQTUI_LOG", "off")
        .args(["--now", later, "--json", "run", "--watch"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(quiet.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    assert!(first.contains("tasks_created"), "{first}");
    // SAFETY: a plain signal to our own child.
    unsafe { libc::kill(quiet.id() as i32, libc::SIGTERM) };
    assert_eq!(quiet.wait().unwrap().code(), Some(0));
    assert!(!quiet_state.exists());
}
