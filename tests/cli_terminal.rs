//! The command line in a real terminal (tmux): a table fits the window's
//! width, is coloured, and goes through `$PAGER` when longer than the
//! screen; piped, it does neither. Skipped, with a note, without tmux.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::cli::*;
use unicode_width::UnicodeWidthStr;

const BIN: &str = env!("CARGO_BIN_EXE_seqtui");

struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(width: u16, height: u16, dir: &Path) -> Tmux {
        let socket = format!("seqtui-cout-{}", std::process::id());
        let status = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                "t",
            ])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .args(["env", "-u", "NO_COLOR", "-u", "PAGER", "-u", "LESS"])
            .arg(format!("HOME={}", dir.display()))
            .args([
                "PS1=$ ",
                "LANG=C.UTF-8",
                "LC_ALL=C.UTF-8",
                "TERM=xterm-256color",
            ])
            .arg("sh")
            .status()
            .unwrap();
        assert!(status.success(), "tmux new-session failed");
        let t = Tmux { socket };
        t.wait_for("the prompt", |s| s.contains('$'));
        t
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .unwrap()
    }

    fn run(&self, line: &str) {
        self.tmux(&["send-keys", "-t", "t", "-l", line]);
        self.tmux(&["send-keys", "-t", "t", "Enter"]);
    }

    fn screen(&self, styled: bool) -> String {
        let mut args = vec!["capture-pane", "-p", "-t", "t"];
        if styled {
            args.push("-e");
        }
        String::from_utf8_lossy(&self.tmux(&args).stdout).into_owned()
    }

    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen(false);
            if ok(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "waited too long for {what}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

#[test]
fn on_a_terminal_tables_fit_are_coloured_and_page_when_long() {
    assert!(
        Command::new("tmux").arg("-V").output().is_ok(),
        "tmux is needed for the terminal tests: apt-get install tmux"
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let r = run(&db, &["demo", "--contacts", "300"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let t = Tmux::start(72, 12, dir.path());
    let seqtui = format!("{BIN} --db {} --now {NOW}", db.display());

    // Short enough for the screen: printed, fitted to 72 columns, coloured.
    t.run(&format!(
        "clear; {seqtui} enrollments --limit 4; echo STEP\"\"1"
    ));
    let screen = t.wait_for("the table", |s| s.contains("STEP1"));
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| l.starts_with(char::is_numeric))
        .collect();
    assert_eq!(rows.len(), 4, "{screen}");
    for line in screen.lines() {
        assert!(line.width() <= 72, "{line}");
    }
    assert!(rows.iter().any(|l| l.contains('…')), "{screen}");
    assert!(t.screen(true).contains('\u{1b}'), "no colour on a terminal");

    // Longer than the screen: through $PAGER.
    let paged = dir.path().join("paged.txt");
    t.run(&format!(
        "clear; PAGER='cat > {}' {seqtui} enrollments --limit 40; echo STEP\"\"2",
        paged.display()
    ));
    t.wait_for("the pager", |s| s.contains("STEP2"));
    let text = std::fs::read_to_string(&paged).expect("the pager was not run");
    assert_eq!(text.lines().count(), 41, "{text}");
    // Coloured for `less -R`; fitted once the colours are taken out.
    assert!(text.contains('\u{1b}'), "{text}");
    assert!(text.lines().all(|l| plain(l).width() <= 72), "{text}");

    // Piped: no pager, no colour, whole rows.
    std::fs::remove_file(&paged).unwrap();
    let piped = dir.path().join("piped.txt");
    t.run(&format!(
        "clear; PAGER='cat > {}' {seqtui} enrollments --limit 40 | cat > {}; echo STEP\"\"3",
        paged.display(),
        piped.display()
    ));
    t.wait_for("the pipe", |s| s.contains("STEP3"));
    assert!(!paged.exists(), "paged when piped");
    let text = std::fs::read_to_string(&piped).unwrap();
    assert_eq!(text.lines().count(), 41, "{text}");
    assert!(!text.contains('\u{1b}') && !text.contains('…'), "{text}");
    assert!(
        text.lines().any(|l| l.width() > 72),
        "rows were cut when piped"
    );
}

/// `line` without its SGR colour sequences (`ESC [ … m`).
fn plain(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
