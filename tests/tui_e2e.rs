//! End-to-end: the built `seqtui` binary in a real terminal (tmux). Start on
//! a demo workspace, open a sequence, mark three contacts, unenroll them
//! with a reason, quit — then the CLI shows those three unenrolled with that
//! reason and the shell is back (alternate screen left, keys echo again).
//! Also: a single unenroll from the Contacts view, a panic restoring the
//! terminal, resizing, NO_COLOR, and a bad keymap file.
//!
//! Each test fails, naming the package, when `tmux` is not on PATH.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_seqtui");
const NOW: &str = "2026-11-27T09:00:00Z";
const Q4: &str = "Q4 Mid-Market Outbound";

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

macro_rules! require_tmux {
    () => {
        assert!(
            tmux_available(),
            "tmux is needed for the end-to-end TUI tests: apt-get install tmux"
        );
    };
}

/// A tmux server of our own with one window running `sh`.
struct Tmux {
    socket: String,
    dir: tempfile::TempDir,
}

static SERVERS: AtomicUsize = AtomicUsize::new(0);

impl Tmux {
    fn start(width: u16, height: u16, extra_env: &[(&str, &str)]) -> Tmux {
        let dir = tempfile::tempdir().unwrap();
        let socket = format!(
            "seqtui-e2e-{}-{}",
            std::process::id(),
            SERVERS.fetch_add(1, Ordering::SeqCst)
        );
        let config = dir.path().join("config");
        std::fs::create_dir_all(&config).unwrap();
        let mut env = vec![
            format!("HOME={}", dir.path().display()),
            format!("XDG_CONFIG_HOME={}", config.display()),
            format!("XDG_DATA_HOME={}", dir.path().join("data").display()),
            "PS1=$ ".to_string(),
            "LANG=C.UTF-8".to_string(),
            "LC_ALL=C.UTF-8".to_string(),
        ];
        for (k, v) in extra_env {
            env.push(format!("{k}={v}"));
        }
        let mut shell = vec!["env".to_string(), "-u".into(), "NO_COLOR".into()];
        shell.extend(env);
        shell.push("sh".into());
        let status = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                "e2e",
            ])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .args(&shell)
            .status()
            .unwrap();
        assert!(status.success(), "tmux new-session failed");
        let t = Tmux { socket, dir };
        t.wait_for("the shell prompt", |s| s.contains('$'));
        t
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .unwrap()
    }

    /// Named keys ("Space", "Enter", "Down", "C-a") or plain ones ("j").
    fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.tmux(&["send-keys", "-t", "e2e", key]);
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// Text typed literally.
    fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "e2e", "-l", text]);
        std::thread::sleep(Duration::from_millis(30));
    }

    fn run(&self, command_line: &str) {
        self.type_text(command_line);
        self.keys(&["Enter"]);
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "e2e"]).stdout)
            .into_owned()
    }

    /// The screen with its colours and attributes as escape sequences.
    fn styled_screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-e", "-t", "e2e"]).stdout)
            .into_owned()
    }

    fn format(&self, what: &str) -> String {
        String::from_utf8_lossy(
            &self
                .tmux(&["display-message", "-p", "-t", "e2e", what])
                .stdout,
        )
        .trim()
        .to_string()
    }

    fn alternate_screen(&self) -> bool {
        self.format("#{alternate_on}") == "1"
    }

    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; the screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_until(&self, what: &str, ok: impl Fn(&Tmux) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !ok(self) {
            if Instant::now() > deadline {
                panic!(
                    "timed out waiting for {what}; the screen:\n{}",
                    self.screen()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// After the app ended: the main screen is back, mouse reporting is off
    /// and the terminal is in cooked mode again (typed keys echo, Enter
    /// runs the command).
    fn assert_restored(&self) {
        self.wait_until("the alternate screen to be left", |t| !t.alternate_screen());
        assert_eq!(
            self.format("#{mouse_any_flag}"),
            "0",
            "mouse reporting left on"
        );
        self.run("echo restored-$((40+2))");
        self.wait_for("the shell to answer", |s| s.contains("restored-42"));
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

fn build_demo(db: &Path) {
    let out = Command::new(BIN)
        .args([
            "--db",
            db.to_str().unwrap(),
            "--now",
            NOW,
            "demo",
            "--contacts",
            "300",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn cli_json(db: &Path, args: &[&str]) -> serde_json::Value {
    cli_json_at(db, NOW, args)
}

fn cli_json_at(db: &Path, now: &str, args: &[&str]) -> serde_json::Value {
    let out = Command::new(BIN)
        .args(["--db", db.to_str().unwrap(), "--now", now, "--json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn ids_of(value: &serde_json::Value) -> Vec<i64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect()
}

fn tui_command(db: &Path) -> String {
    format!("{BIN} --db {} --now {NOW}", db.display())
}

/// Moves the Sequences list to `name` (reading its row from the screen)
/// and opens it.
fn open_sequence(t: &Tmux, name: &str) {
    let screen = t.wait_for("the sequences", |s| s.contains(name));
    let lines: Vec<&str> = screen.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.starts_with("Sequence "))
        .unwrap();
    let row = lines.iter().position(|l| l.starts_with(name)).unwrap();
    for _ in 0..(row - header - 1) {
        t.keys(&["j"]);
    }
    t.keys(&["Enter"]);
    t.wait_for("the enrollments", |s| {
        s.contains(&format!("Sequences › {name}")) && s.contains("[ ]")
    });
}

#[test]
fn mark_three_unenroll_them_with_a_reason_and_quit() {
    require_tmux!();
    let t = Tmux::start(120, 40, &[]);
    let db = t.path("demo.db");
    build_demo(&db);
    let active_before = ids_of(&cli_json(
        &db,
        &["enrollments", "--sequence", "1", "--status", "active"],
    ));
    let unenrolled_before = ids_of(&cli_json(
        &db,
        &["enrollments", "--sequence", "1", "--status", "unenrolled"],
    ));

    t.run(&tui_command(&db));
    t.wait_for("the first screen", |s| {
        s.contains("1 Sequences") && s.contains(Q4)
    });
    assert!(t.alternate_screen());
    open_sequence(&t, Q4);
    t.keys(&["Space", "Space", "Space"]);
    t.wait_for("three marks", |s| s.contains("3 marked"));
    t.keys(&["u"]);
    t.wait_for("the dry run", |s| s.contains("Will unenroll 3 enrollments"));
    // The third reason of the picker: converted elsewhere (another channel).
    t.keys(&["Down", "Down", "Down"]);
    t.wait_for("the reason", |s| s.contains("(•) converted"));
    t.keys(&["y"]);
    t.wait_for("the result line", |s| s.contains("Unenrolled 3 · "));
    t.keys(&["q"]);
    t.wait_for("the Sequences view", |s| s.contains("Active/total"));
    t.keys(&["q"]);
    t.assert_restored();

    let unenrolled = cli_json(
        &db,
        &["enrollments", "--sequence", "1", "--status", "unenrolled"],
    );
    let new: Vec<&serde_json::Value> = unenrolled
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !unenrolled_before.contains(&e["id"].as_i64().unwrap()))
        .collect();
    let mut new_ids: Vec<i64> = new.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    new_ids.sort();
    let mut expected = active_before[..3].to_vec();
    expected.sort();
    assert_eq!(new_ids, expected, "the three marked rows, and only them");
    for e in new {
        assert_eq!(e["end_reason"], "converted");
        assert_eq!(e["status"], "unenrolled");
    }
}

#[test]
fn single_unenroll_from_the_contacts_view() {
    require_tmux!();
    let t = Tmux::start(120, 40, &[]);
    let db = t.path("demo.db");
    build_demo(&db);
    let first = cli_json(
        &db,
        &[
            "enrollments",
            "--sequence",
            "1",
            "--status",
            "active",
            "--limit",
            "1",
        ],
    );
    let enrollment = first[0]["id"].as_i64().unwrap();
    let email = first[0]["contact_email"].as_str().unwrap().to_string();

    t.run(&tui_command(&db));
    t.wait_for("the first screen", |s| s.contains(Q4));
    t.keys(&["2"]);
    t.wait_for("the Contacts view", |s| s.contains("Find"));
    t.keys(&["/"]);
    t.type_text(&email);
    t.wait_for("the contact", |s| s.contains("1 found"));
    t.keys(&["Enter"]);
    t.wait_for("the detail pane", |s| {
        s.contains("Enrollments (") && s.contains(Q4)
    });
    t.keys(&["u"]);
    t.wait_for("the confirm dialog", |s| {
        s.contains(&format!("in '{Q4}'"))
            && s.contains("now active, at step")
            && s.contains("Will unenroll 1")
    });
    t.keys(&["Down"]);
    // The focus starts on the confirm button for one contact.
    t.keys(&["Enter"]);
    t.wait_for("the result line", |s| s.contains("Unenrolled 1 · "));
    t.keys(&["q"]);
    t.assert_restored();

    let row = cli_json(
        &db,
        &["enrollments", "--sequence", "1", "--status", "unenrolled"],
    );
    let row = row
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"].as_i64() == Some(enrollment))
        .expect("the enrollment is unenrolled");
    assert_eq!(row["end_reason"], "not_a_fit");
}

#[test]
fn ctrl_c_quits_from_a_dialog_and_restores_the_terminal() {
    require_tmux!();
    let t = Tmux::start(80, 24, &[]);
    let db = t.path("demo.db");
    build_demo(&db);
    t.run(&tui_command(&db));
    open_sequence(&t, Q4);
    t.keys(&["u"]);
    t.wait_for("the dialog", |s| s.contains("Unenroll this enrollment?"));
    t.keys(&["C-c"]);
    t.assert_restored();
}

/// Ctrl-Z gives the terminal back to the shell (main screen, cooked mode,
/// mouse off) and stops the app as a job; `fg` brings it back whole, in
/// the same place, still taking keys.
#[test]
fn ctrl_z_suspends_to_the_shell_and_fg_resumes() {
    require_tmux!();
    let t = Tmux::start(80, 24, &[]);
    let db = t.path("demo.db");
    build_demo(&db);
    t.run(&tui_command(&db));
    open_sequence(&t, Q4);
    t.keys(&["C-z"]);
    t.assert_restored();
    t.run("fg");
    t.wait_until("the alternate screen again", |t| t.alternate_screen());
    t.wait_for("the enrollments drawn again", |s| {
        s.contains(&format!("Sequences › {Q4}")) && s.contains("[ ]")
    });
    t.keys(&["Space"]);
    t.wait_for("keys work after the resume", |s| s.contains("1 marked"));
    t.keys(&["Escape", "q", "q"]);
    t.assert_restored();
}

#[test]
fn a_panic_restores_the_terminal() {
    require_tmux!();
    let t = Tmux::start(80, 24, &[]);
    let db = t.path("demo.db");
    build_demo(&db);
    let stderr = t.path("stderr");
    t.run(&format!(
        "SEQTUI_TEST_PANIC=1 {} 2>{}",
        tui_command(&db),
        stderr.display()
    ));
    t.wait_until("the panic message", |_| {
        std::fs::read_to_string(&stderr).is_ok_and(|s| s.contains("panicking on purpose"))
    });
    // Let the process finish exiting before typing to the shell.
    t.wait_for("the shell prompt", |s| s.trim_end().ends_with('$'));
    t.assert_restored();
}

#[test]
fn resizing_redraws_and_small_terminals_are_told() {
    require_tmux!();
    let t = Tmux::start(120, 40, &[]);
    let db = t.path("demo.db");
    build_demo(&db);
    t.run(&tui_command(&db));
    open_sequence(&t, Q4);
    t.wait_for("the wide layout", |s| s.contains("Upcoming steps"));
    t.tmux(&["resize-window", "-t", "e2e", "-x", "80", "-y", "24"]);
    t.wait_for("the narrow layout", |s| {
        !s.contains("Upcoming steps") && s.contains("[ ]")
    });
    t.tmux(&["resize-window", "-t", "e2e", "-x", "50", "-y", "12"]);
    t.wait_for("the size message", |s| s.contains("60×15"));
    t.tmux(&["resize-window", "-t", "e2e", "-x", "100", "-y", "30"]);
    t.wait_for("the list again", |s| s.contains("[ ]"));
    t.keys(&["C-c"]);
    t.assert_restored();
}

/// How many SGR colour parameters (30–37, 40–47, 90–97, 100–107, 38, 48)
/// the escape sequences in `s` carry.
fn colour_codes(s: &str) -> usize {
    let mut found = 0;
    for seq in s.split("\u{1b}[").skip(1) {
        let Some(end) = seq.find(|c: char| c.is_ascii_alphabetic()) else {
            continue;
        };
        if &seq[end..end + 1] != "m" {
            continue;
        }
        found += seq[..end]
            .split(';')
            .filter(|p| {
                matches!(
                    p.parse::<u16>(),
                    Ok(30..=37 | 40..=47 | 90..=97 | 100..=107 | 38 | 48)
                )
            })
            .count();
    }
    found
}

#[test]
fn no_color_means_no_colour() {
    require_tmux!();
    let has_colour = |s: &str| colour_codes(s) > 0;
    for (env, coloured) in [(vec![("NO_COLOR", "1")], false), (vec![], true)] {
        let t = Tmux::start(100, 30, &env);
        let db = t.path("demo.db");
        build_demo(&db);
        t.run(&tui_command(&db));
        open_sequence(&t, Q4);
        let styled = t.styled_screen();
        assert_eq!(has_colour(&styled), coloured, "NO_COLOR={env:?}:\n{styled}");
        t.keys(&["C-c"]);
        t.assert_restored();
    }
}

#[test]
fn a_bad_keymap_file_stops_the_start_with_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    build_demo(&db);
    let config = dir.path().join("config");
    std::fs::create_dir_all(config.join("seqtui")).unwrap();
    std::fs::write(
        config.join("seqtui").join("keymap.toml"),
        "# my keys\nunenroll = \"x\"\ndown = \"ctrl-foo\"\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["--db", db.to_str().unwrap(), "--now", NOW])
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", &config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("keymap.toml: line 3: 'ctrl-foo' is not a key (for 'down')"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "the terminal was never taken over"
    );
}

#[test]
fn first_start_without_a_workspace_builds_the_demo_and_says_so() {
    require_tmux!();
    let t = Tmux::start(120, 40, &[]);
    let data = t.path("data");
    let db = data.join("seqtui").join("workspace.db");
    assert!(!db.exists());
    // no --db and no SEQTUI_DB: the default path in the (temporary) data dir
    t.run(&format!("env -u SEQTUI_DB {BIN} --now {NOW}"));
    t.wait_for("the demo workspace", |s| {
        s.contains("demo workspace") && s.contains(Q4)
    });
    t.keys(&["q"]);
    t.assert_restored();
    let screen = t.screen();
    assert!(
        screen.contains("No workspace yet: built the demo workspace at"),
        "{screen}"
    );
    assert!(db.exists(), "the demo workspace is at the default path");
    let sequences = cli_json(&db, &["sequences"]);
    assert_eq!(sequences.as_array().unwrap().len(), 12);
}

/// Issue 5's manager flow: on a sequence, the stale toggle, Ctrl-a,
/// unenroll with reason `stale`, then `U` — and the CLI shows every one of
/// them back in its old status with its remaining steps scheduled again.
#[test]
fn mark_all_stale_unenroll_them_then_undo_with_capital_u() {
    require_tmux!();
    let t = Tmux::start(120, 40, &[]);
    let db = t.path("demo.db");
    build_demo(&db);
    // A week after the demo's clock, some enrollments have gone quiet.
    let later = "2026-12-04T09:00:00Z";
    let cli = |args: &[&str]| cli_json_at(&db, later, args);
    let stale = cli(&["enrollments", "--sequence", "1", "--stale"]);
    let before: Vec<(i64, String, String)> = stale
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_i64().unwrap(),
                e["status"].as_str().unwrap().to_string(),
                e["next_due_at"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect();
    assert!(
        before.len() >= 5,
        "the demo has stale enrollments: {before:?}"
    );
    let n = before.len();

    t.run(&format!("{BIN} --db {} --now {later}", db.display()));
    t.wait_for("the first screen", |s| s.contains(Q4));
    open_sequence(&t, Q4);
    // Every status, then only the stale ones; mark them all.
    let total = cli(&["sequences"])
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == Q4)
        .unwrap()["total"]
        .as_i64()
        .unwrap();
    t.keys(&["S"]);
    t.wait_for("the all chip", |s| s.contains(&format!(" of {total}")));
    t.keys(&["t"]);
    t.wait_for("the stale filter", |s| s.contains(&format!("stale ✓ {n}")));
    t.keys(&["C-a"]);
    t.wait_for("every stale row marked", |s| {
        s.contains(&format!("{n} marked"))
    });
    t.keys(&["u"]);
    t.wait_for("the dry run", |s| {
        s.contains(&format!("Will unenroll {n} enrollments"))
    });
    // The seventh reason of the picker: stale.
    t.keys(&["Down", "Down", "Down", "Down", "Down", "Down", "Down"]);
    t.wait_for("the reason", |s| s.contains("(•) stale"));
    t.keys(&["y"]);
    t.wait_for("the result line", |s| {
        s.contains(&format!("Unenrolled {n} · "))
    });
    let unenrolled = cli(&["enrollments", "--sequence", "1", "--status", "unenrolled"]);
    let ended: Vec<i64> = ids_of(&unenrolled);
    assert!(before.iter().all(|(id, _, _)| ended.contains(id)));

    t.keys(&["U"]);
    t.wait_for("the undo dialog", |s| s.contains("Undo your last unenroll"));
    t.keys(&["y"]);
    t.wait_for("the undo result", |s| s.contains(&format!("restored {n}")));
    t.keys(&["q"]);
    t.wait_for("the Sequences view", |s| s.contains("Active/total"));
    t.keys(&["q"]);
    t.assert_restored();

    for (id, status, due) in &before {
        let e = cli(&["enrollments", "--sequence", "1", "--search", ""])
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"].as_i64() == Some(*id))
            .cloned()
            .unwrap();
        assert_eq!(e["status"].as_str().unwrap(), status, "enrollment {id}");
        assert!(e["end_reason"].is_null());
        // Steps still due later keep their time; overdue ones moved to now.
        let now_due = e["next_due_at"].as_str().unwrap_or("-");
        assert!(
            now_due == due || now_due == later,
            "enrollment {id}: next due {now_due}, was {due}"
        );
        let contact = cli(&["contact", e["contact_email"].as_str().unwrap()]);
        let restored = contact["enrollments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"].as_i64() == Some(*id))
            .unwrap();
        let states: Vec<&str> = restored["scheduled"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["state"].as_str().unwrap())
            .collect();
        assert!(
            states.contains(&"scheduled") && !states.contains(&"cancelled"),
            "enrollment {id}: {states:?}"
        );
    }
}

/// Issue 7's flow: a list saved by the team (here through the domain, as a
/// colleague's `list save` would), opened from the Lists view; every row
/// it matches marked with Ctrl-a, unenrolled with a reason — and the Lists
/// view's count drops to the number left: the rows the acting manager may
/// not change (R12, another team's), which the dialog said would be skipped.
#[test]
fn open_a_saved_list_mark_all_unenroll_and_its_count_drops() {
    use seqtui::domain::{Clock, EndReason, Filter, Status, UnenrollRequest, Workspace};
    require_tmux!();
    let t = Tmux::start(120, 40, &[]);
    let db = t.path("demo.db");
    build_demo(&db);
    let clock = Clock::parse(NOW).unwrap();
    let list = "West handoff";
    // Jamal (team West) owns contacts in several sequences; Maya, the
    // default user, manages team East.
    let query = "status:active owner:jamal.wright@northwind.example";
    let (before, eligible) = {
        let mut ws = Workspace::open(&db, clock).unwrap();
        let maya = ws.acting_user(None).unwrap();
        let filter = Filter::parse(query).unwrap();
        let saved = ws.save_list(&maya, list, &filter).unwrap();
        let ids = ws.enrollment_ids(&ws.resolve(&filter).unwrap()).unwrap();
        assert_eq!(saved.count, ids.len() as i64);
        let sequences: std::collections::HashSet<i64> = ws
            .enrollments_by_ids(&ids)
            .unwrap()
            .iter()
            .map(|e| e.sequence_id)
            .collect();
        assert!(sequences.len() > 1, "the list spans sequences");
        let dry = ws
            .unenroll(
                &maya,
                &UnenrollRequest {
                    enrollments: ids.clone(),
                    reason: EndReason::OwnershipChanged,
                    note: None,
                    dry_run: true,
                },
            )
            .unwrap();
        assert!(!dry.unenrolled.is_empty() && !dry.skipped.is_empty());
        (ids, dry.unenrolled)
    };
    let left = before.len() - eligible.len();

    t.run(&tui_command(&db));
    t.wait_for("the first screen", |s| s.contains(Q4));
    t.keys(&["6"]);
    let count_of = |s: &str| -> Option<String> {
        s.lines()
            .find_map(|l| l.strip_prefix(list))
            .and_then(|rest| rest.split_whitespace().next().map(str::to_string))
    };
    t.wait_for("the Lists view", |s| {
        count_of(s) == Some(before.len().to_string())
    });
    t.keys(&["Enter"]);
    t.wait_for("the list's enrollments", |s| {
        s.contains(&format!("Lists › {list}")) && s.contains("[ ]")
    });
    t.keys(&["C-a"]);
    t.wait_for("every row marked", |s| {
        s.contains(&format!("{} marked", before.len()))
    });
    t.keys(&["u"]);
    t.wait_for("the dry run", |s| {
        s.contains(&format!("Will unenroll {} enrollments", eligible.len()))
            && s.contains(&format!("{left} will be skipped"))
            && s.contains("not permitted")
    });
    // The ninth reason of the picker: ownership changed.
    t.keys(&["Down"; 9]);
    t.wait_for("the reason", |s| s.contains("(•) ownership changed"));
    t.keys(&["y"]);
    t.wait_for("the result line", |s| {
        s.contains(&format!("Unenrolled {} · ", eligible.len()))
    });
    // Back (←) returns to the Lists view, which counts the list again.
    t.keys(&["Left"]);
    let screen = t.wait_for("the count to drop", |s| {
        count_of(s) == Some(left.to_string())
    });
    assert!(screen.contains(query), "{screen}");
    t.keys(&["q"]);
    t.assert_restored();

    let ws = Workspace::open(&db, clock).unwrap();
    let saved = ws.list(list).unwrap();
    let now = ws
        .enrollment_ids(&ws.resolve(&saved.filter).unwrap())
        .unwrap();
    assert_eq!(now.len(), left);
    for id in &before {
        let e = ws.enrollment(*id).unwrap();
        if eligible.contains(id) {
            assert_eq!(e.status, Status::Unenrolled, "enrollment {id}");
            assert_eq!(e.end_reason, Some(EndReason::OwnershipChanged));
        } else {
            assert_eq!(e.status, Status::Active, "enrollment {id} was skipped");
            assert!(now.contains(id));
        }
    }
}

/// Active enrollments across every sequence, as the CLI lists them.
fn active_count(db: &Path) -> usize {
    cli_json(db, &["enrollments", "--status", "active"])
        .as_array()
        .unwrap()
        .len()
}

#[test]
fn mark_five_contacts_enroll_them_in_one_batch_then_undo_with_capital_u() {
    require_tmux!();
    let t = Tmux::start(120, 40, &[]);
    let db = t.path("demo.db");
    build_demo(&db);
    let before = active_count(&db);

    t.run(&tui_command(&db));
    t.wait_for("the first screen", |s| s.contains(Q4));
    t.keys(&["2"]);
    t.wait_for("the contacts", |s| s.contains(" found"));
    // Contacts opens in the list (typing goes to Find only after `/`):
    // mark five contacts.
    t.keys(&["Space", "Space", "Space", "Space", "Space"]);
    t.wait_for("five marks", |s| s.contains("5 marked"));
    t.keys(&["e"]);
    t.wait_for("the sequence picker", |s| s.contains("Choose the sequence"));
    t.keys(&["Enter"]);
    let screen = t.wait_for("the dry run", |s| s.contains("Will enroll "));
    let will: usize = screen
        .lines()
        .find_map(|l| {
            let at = l.find("Will enroll ")?;
            l[at + "Will enroll ".len()..]
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .expect("the count of contacts it will enroll");
    assert!(will > 0, "{screen}");
    // Nothing written by the dry run.
    assert_eq!(active_count(&db), before);
    t.keys(&["y"]);
    t.wait_for("the result line", |s| {
        s.contains("Enrolled ") && s.contains("batch")
    });
    assert_eq!(active_count(&db), before + will);
    let audit = cli_json(&db, &["audit", "--limit", "1"]);
    assert_eq!(audit[0]["action"], "enroll", "{audit}");

    t.keys(&["U"]);
    t.wait_for("the undo dialog", |s| s.contains("Undo your last enroll"));
    t.keys(&["y"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while active_count(&db) != before {
        assert!(
            Instant::now() < deadline,
            "the undo did not end the batch; the screen:\n{}",
            t.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    t.keys(&["q"]);
    t.assert_restored();
}
