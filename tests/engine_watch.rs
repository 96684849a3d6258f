//! `run --watch` as a process: it keeps running after its first pass and
//! stops cleanly on SIGTERM — exit status 0, the workspace still readable.

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const NOW: &str = "2026-11-02T09:00:00Z";

fn seqtui() -> Command {
    Command::new(env!("CARGO_BIN_EXE_seqtui"))
}

fn new_files(outbox: &Path) -> usize {
    std::fs::read_dir(outbox.join("new")).map_or(0, |d| d.flatten().count())
}

fn wait_for_exit(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let started = Instant::now();
    while started.elapsed() < timeout {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// Kills the child if the test fails before it has stopped.
struct Guard(Option<Child>);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[test]
fn watch_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("watch.db");
    let db_arg = db.to_str().unwrap();
    let demo = seqtui()
        .args(["--db", db_arg, "--now", NOW, "demo", "--contacts", "200"])
        .output()
        .unwrap();
    assert!(
        demo.status.success(),
        "demo failed: {}",
        String::from_utf8_lossy(&demo.stderr)
    );

    let outbox = dir.path().join("outbox");
    let child = seqtui()
        .args(["--db", db_arg, "--now", NOW, "run", "--watch"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut guard = Guard(Some(child));
    let child = guard.0.as_mut().unwrap();

    // The first pass is done once its emails are in the outbox and the
    // process is still running (it then waits for the next due step).
    let started = Instant::now();
    while new_files(&outbox) == 0 {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("run --watch exited before its first pass was written: {status}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no email in {} after 5 s",
            outbox.join("new").display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Let the pass finish (its last batch and journal) before stopping it.
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "run --watch should keep running after its first pass"
    );

    let killed = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(killed.success(), "kill -TERM failed");
    let status = wait_for_exit(child, Duration::from_secs(3))
        .expect("run --watch did not stop within 3 s of SIGTERM");
    let output = guard.0.take().unwrap().wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        status.code(),
        Some(0),
        "a stop on SIGTERM is a clean exit; stderr: {stderr}"
    );
    assert!(stderr.contains("stopped"), "stderr: {stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Sent "), "stdout: {stdout}");
    let written = new_files(&outbox);

    // The workspace is consistent: it opens, lists, and a second pass at the
    // same clock finds nothing left to send (nothing was lost or doubled).
    let listed = seqtui()
        .args(["--db", db_arg, "--json", "enrollments", "--sequence", "1"])
        .output()
        .unwrap();
    assert!(
        listed.status.success(),
        "enrollments failed: {}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert!(json.is_array() || json.is_object(), "{json}");

    let again = seqtui()
        .args(["--db", db_arg, "--now", NOW, "--json", "run"])
        .output()
        .unwrap();
    assert!(
        again.status.success(),
        "run failed: {}",
        String::from_utf8_lossy(&again.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(report["emails_sent"], 0, "{report}");
    assert_eq!(report["recovered"], 0, "{report}");
    assert_eq!(new_files(&outbox), written);
}
