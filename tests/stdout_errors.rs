//! Issue 12 item 11: writing to stdout fails. A reader that closed the pipe
//! (`| head -0`) ends the command quietly with its own exit code; any other
//! write error (`> /dev/full`) is one `seqtui: ` sentence and exit 1. In
//! both cases the change — and its tidying — is complete first, and
//! nothing panics. Through the built binary, on real files.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};

use common::cli::{NOW, Run, one_sentence, run};
use seqtui::domain::{Clock, Workspace};

/// The 3,000-contact demo: "Q4 Mid-Market Outbound" has 583 open
/// enrollments, more than `TIDY_NOW_MAX`, so a bulk unenroll of it leaves
/// its tidying for after the report.
fn demo(dir: &Path) -> PathBuf {
    let path = dir.join("ws.db");
    let r = run(&path, &["demo"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    path
}

/// Where stdout goes.
enum Sink {
    /// A pipe whose reading end is closed before seqtui starts: every
    /// write meets EPIPE.
    ClosedPipe,
    /// `/dev/full`: every write meets ENOSPC.
    Full,
}

fn run_into(db: &Path, sink: Sink, args: &[&str]) -> Run {
    let stdout = match sink {
        Sink::ClosedPipe => {
            let (reader, writer) = std::io::pipe().unwrap();
            drop(reader);
            Stdio::from(writer)
        }
        Sink::Full => Stdio::from(
            std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        ),
    };
    let out = common::cli::process(db)
        .arg("--now")
        .arg(NOW)
        .args(args)
        .stdout(stdout)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

/// Commands that print a table, a contact, a line, JSON or CSV.
const READERS: &[&[&str]] = &[
    &["report"],
    &["sequences"],
    &["lists"],
    &["users"],
    &["contact", "1"],
    &["enrollments", "--status", "active"],
    &["audit"],
    &["audit", "--format", "csv"],
    &["--json", "report"],
    &["--json", "contact", "1"],
    &["enrollments", "--status", "active", "--count"],
];

#[test]
fn a_closed_pipe_ends_every_reader_quietly_with_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    for args in READERS {
        let r = run_into(&path, Sink::ClosedPipe, args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr, "", "{args:?} said something");
    }
}

#[test]
fn a_full_stdout_is_one_sentence_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    for args in READERS {
        let r = run_into(&path, Sink::Full, args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        one_sentence(&r.stderr);
        assert!(
            r.stderr.contains("cannot write to standard output"),
            "{args:?}: {}",
            r.stderr
        );
    }
}

/// `head -2` and `head -0` as a person types them: a reader that quits
/// after what it wanted, through a real shell pipeline.
#[test]
fn head_in_a_shell_pipeline_exits_0_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let bin = env!("CARGO_BIN_EXE_seqtui");
    for (args, head) in [
        ("report", "-2"),
        ("contact 1", "-2"),
        ("lists", "-0"),
        ("enrollments --status active", "-1"),
    ] {
        // pipefail: the pipeline's status is seqtui's when head's is 0.
        let out = Process::new("bash")
            .arg("-c")
            .arg(format!(
                "set -o pipefail; \"$0\" --db \"$1\" --now {NOW} {args} | head {head} >/dev/null"
            ))
            .arg(bin)
            .arg(&path)
            .env_remove("SEQTUI_USER")
            .env_remove("SEQTUI_RULES")
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked"),
            "{args} | head {head}: {stderr}"
        );
        assert_eq!(stderr, "", "{args} | head {head}");
        assert_eq!(out.status.code(), Some(0), "{args} | head {head}");
    }
}

const UNENROLL_Q4: &[&str] = &[
    "--as",
    "dana.whitfield@northwind.example",
    "unenroll",
    "--sequence",
    "Q4 Mid-Market Outbound",
    "--all",
    "--reason",
    "campaign_ended",
    "--yes",
];

/// Open enrollments of Q4 (sequence 1), and batches still waiting to be
/// tidied.
fn open_and_pending(path: &Path) -> (i64, i64) {
    let open: i64 = common::raw(path)
        .query_row(
            "SELECT count(*) FROM enrollments WHERE sequence_id = 1
             AND status IN ('active', 'paused')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let ws = Workspace::open(path, Clock::System).unwrap();
    (open, ws.tidy_pending().unwrap())
}

#[test]
fn a_bulk_unenroll_to_a_full_or_closed_stdout_is_saved_and_tidied() {
    for (sink, code, json) in [
        (Sink::Full, 1, false),
        (Sink::ClosedPipe, 0, false),
        (Sink::Full, 1, true),
        (Sink::ClosedPipe, 0, true),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = demo(dir.path());
        let (open, _) = open_and_pending(&path);
        assert!(open > 500, "{open} open: not a large batch");
        let mut args = UNENROLL_Q4.to_vec();
        if json {
            args.insert(0, "--json");
        }
        let full = matches!(sink, Sink::Full);
        let r = run_into(&path, sink, &args);
        assert_eq!(r.code, code, "{}", r.stderr);
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
        if full {
            one_sentence(&r.stderr);
            assert!(r.stderr.contains("cannot write to standard output"));
        } else {
            assert_eq!(r.stderr, "");
        }
        assert_eq!(
            open_and_pending(&path),
            (0, 0),
            "the unenroll and its tidying are complete"
        );
        common::check_tidied(&path);
    }
}
