//! Running the built binary: exit code, stdout, stderr.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

pub const NOW: &str = "2026-11-02T09:00:00Z";

pub fn seqtui(db: &Path) -> Command {
    seqtui_at(db, NOW)
}

/// [`seqtui`] with another clock.
pub fn seqtui_at(db: &Path, now: &str) -> Command {
    let mut cmd = Command::from_std(process(db));
    cmd.arg("--now").arg(now);
    cmd
}

/// The folder a test's workspace keeps its files in: the workspace file's
/// own, or for a PostgreSQL workspace (`SEQTUI_TEST_PG`) one per schema in
/// the temp directory.
pub fn home(db: &Path) -> std::path::PathBuf {
    match seqtui::store::postgres_url(db) {
        Some(url) => {
            let name: String = url
                .rsplit('=')
                .next()
                .unwrap_or(url)
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            std::env::temp_dir().join("seqtui-pg-tests").join(name)
        }
        None => db.parent().unwrap().to_path_buf(),
    }
}

/// Where `run` puts emails by default for the workspace at `db`.
pub fn outbox_of(db: &Path) -> std::path::PathBuf {
    match seqtui::store::postgres_url(db) {
        Some(_) => home(db).join("data").join("seqtui").join("outbox"),
        None => home(db).join("outbox"),
    }
}

/// The built binary as a plain process (to spawn, kill or time), with a
/// clean environment and the workspace, but no clock.
pub fn process(db: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_seqtui"));
    cmd.env_remove("SEQTUI_USER")
        .env_remove("SEQTUI_NOW")
        .env_remove("SEQTUI_DB")
        .env_remove("SEQTUI_RULES")
        .env_remove("SEQTUI_CA_FILE")
        // Dates are read in the user's zone: the tests' is UTC unless set.
        .env_remove("TZ")
        // `init` writes the default rules file: into the temp dir, not the
        // config directory of whoever runs the tests.
        .env("XDG_CONFIG_HOME", home(db).join("config"))
        // The log file of `run --watch` and `ingest --watch`: there too.
        .env("XDG_STATE_HOME", home(db).join("state"))
        .arg("--db")
        .arg(db);
    if seqtui::store::postgres_url(db).is_some() {
        // A database has no folder: its outbox is in the data directory.
        cmd.env("XDG_DATA_HOME", home(db).join("data"));
    }
    cmd
}

/// The built binary on the database `url` of a cluster the test started:
/// its `password` in `PGPASSWORD`, no password file, and the directories
/// seqtui writes to under `home`.
pub fn on_cluster(url: &str, home: &Path, password: &str) -> Command {
    std::fs::create_dir_all(home).unwrap();
    let mut cmd = Command::from_std(process(Path::new(url)));
    cmd.env("PGPASSWORD", password)
        .env("PGPASSFILE", home.join("no-pgpass"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_DATA_HOME", home.join("data"));
    cmd
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
}

pub fn run(db: &Path, args: &[&str]) -> Run {
    output(seqtui(db).args(args))
}

/// [`run`] on the real clock (no `--now`), as a login bound to a user who
/// is not an admin must (R12).
pub fn run_no_clock(db: &Path, args: &[&str]) -> Run {
    output(Command::from_std(process(db)).args(args))
}

/// Runs a prepared command and keeps what it said.
pub fn output(cmd: &mut Command) -> Run {
    cmd.output().unwrap().into()
}

impl From<std::process::Output> for Run {
    fn from(out: std::process::Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into(),
            stderr: String::from_utf8_lossy(&out.stderr).into(),
        }
    }
}

pub fn one_sentence(stderr: &str) {
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "not one line: {stderr}"
    );
    assert!(stderr.starts_with("seqtui: "), "{stderr}");
}
