//! Killing the real binary with SIGKILL in the middle of a bulk unenroll,
//! a `run` and an `ingest`, and checking what it left behind with a plain
//! SQLite connection (issue 6). Used by `tests/crash.rs`, whose ignored
//! test `benches/crash-suite.sh` runs on a large workspace.
//!
//! A kill point is a delay after the spawn (a fraction of how long an
//! unkilled run of the same command took) or the moment the command's
//! first line of output arrives. `Child::kill` is SIGKILL on Unix: no
//! destructor, no rollback, no flush runs in the killed process.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use seqtui::domain::{Clock, Timestamp, Workspace};

/// The demo's clock, as `tests/common/cli.rs` uses it.
pub const NOW: &str = super::cli::NOW;

/// The binary under test with a clean environment, a workspace and a clock.
pub fn seqtui_at(db: &Path, now: &str) -> Command {
    let mut cmd = super::cli::process(db);
    cmd.arg("--now").arg(now);
    cmd
}

/// Runs a command to its end; panics with its stderr when it fails.
pub fn run_ok(mut cmd: Command) -> String {
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Builds the demo workspace with the real binary.
pub fn build_demo(db: &Path, contacts: usize) {
    run_ok({
        let mut c = seqtui_at(db, NOW);
        c.args(["demo", "--contacts", &contacts.to_string(), "--force"]);
        c
    });
}

fn side(path: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", path.display()))
}

/// Copies a closed workspace (and its WAL, if any) to `to`.
pub fn copy_workspace(from: &Path, to: &Path) {
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(side(to, suffix));
    }
    std::fs::copy(from, to).unwrap();
    let wal = side(from, "-wal");
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        std::fs::copy(&wal, side(to, "-wal")).unwrap();
    }
}

/// Removes a workspace copy and its companions.
pub fn remove_workspace(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(side(db, suffix));
    }
}

/// Copies a directory tree (an outbox Maildir).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// How long an unkilled run of a command took, and what it printed.
pub struct Timed {
    pub total: Duration,
    /// Until its first line of output.
    pub first_output: Option<Duration>,
    pub stdout: String,
}

/// Runs `cmd` to its end, timing its first output line and its exit.
pub fn timed(mut cmd: Command) -> Timed {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    let n = out.read_line(&mut first).unwrap();
    let first_output = (n > 0).then(|| started.elapsed());
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    let total = started.elapsed();
    assert!(status.success(), "{cmd:?} failed ({status}): {stderr}");
    Timed {
        total,
        first_output,
        stdout: first + &rest,
    }
}

/// When to send SIGKILL.
#[derive(Debug, Clone, Copy)]
pub enum KillAt {
    /// This long after the spawn.
    After(Duration),
    /// As soon as the first line of output arrives (for `unenroll`: the
    /// report is printed, the batch committed, the tidying under way).
    FirstOutput,
}

/// What a kill did.
#[derive(Debug)]
pub struct Killed {
    /// The process was still running and died of the signal; false when it
    /// had already finished by itself.
    pub interrupted: bool,
    pub after: Duration,
    pub status: ExitStatus,
    /// The first line of output arrived before the kill.
    pub printed: bool,
}

/// Spawns `cmd` and SIGKILLs it at `at`.
pub fn spawn_and_kill(mut cmd: Command, at: KillAt) -> Killed {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let n = reader.read_line(&mut line).unwrap_or(0);
        let _ = tx.send(n > 0);
        // Keep the pipe drained so the child never blocks on it.
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    match at {
        KillAt::After(delay) => std::thread::sleep(delay.saturating_sub(started.elapsed())),
        KillAt::FirstOutput => {
            let got = rx.recv_timeout(Duration::from_secs(600));
            assert_eq!(got, Ok(true), "{cmd:?} printed nothing");
        }
    }
    let _ = child.kill();
    let after = started.elapsed();
    let status = child.wait().unwrap();
    let printed = matches!(at, KillAt::FirstOutput) || rx.try_recv() == Ok(true);
    Killed {
        interrupted: status.signal() == Some(9),
        after,
        status,
        printed,
    }
}

/// The kill points for a command whose unkilled run took `total`: the
/// given percentages of it.
pub fn spread(total: Duration, percents: &[u32]) -> Vec<KillAt> {
    percents
        .iter()
        .map(|p| KillAt::After(total * *p / 100))
        .collect()
}

// ------------------------------------------------------------------ checks

pub fn open(db: &Path) -> Connection {
    Connection::open(db).unwrap()
}

/// `PRAGMA integrity_check` and the foreign keys are clean.
pub fn check_integrity(db: &Path) {
    let conn = open(db);
    let result: Vec<String> = conn
        .prepare("PRAGMA integrity_check")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(result, vec!["ok".to_string()], "integrity_check");
    let broken: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(broken, 0, "foreign_key_check");
}

fn max_id(conn: &Connection, table: &str) -> i64 {
    conn.query_row(
        &format!("SELECT coalesce(max(id), 0) FROM {table}"),
        [],
        |r| r.get(0),
    )
    .unwrap()
}

fn ids(conn: &Connection, sql: &str, p: impl rusqlite::Params) -> BTreeSet<i64> {
    conn.prepare(sql)
        .unwrap()
        .query_map(p, |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// An audit entry: id, action, reason, batch, count.
type AuditRow = (i64, String, Option<String>, Option<String>, i64);

/// The audit entries after `after`, oldest first.
fn audit_since(conn: &Connection, after: i64) -> Vec<AuditRow> {
    conn.prepare("SELECT id, action, reason, batch, count FROM audit WHERE id > ?1 ORDER BY id")
        .unwrap()
        .query_map([after], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn count(conn: &Connection, sql: &str, p: impl rusqlite::Params) -> i64 {
    conn.query_row(sql, p, |r| r.get(0)).unwrap()
}

/// Resumes whatever tidying a killed process left (as the next `run`, the
/// TUI or an unenroll would) through the domain; returns how many
/// enrollments it went through.
pub fn finish_tidy(db: &Path, now: Timestamp) -> usize {
    let mut ws = Workspace::open(db, Clock::Fixed(now)).unwrap();
    ws.tidy_all().unwrap()
}

// ---------------------------------------------------------- bulk unenroll

/// The workspace before a bulk unenroll of one sequence.
pub struct UnenrollBase {
    pub sequence: i64,
    /// Its open (active or paused) enrollments.
    pub open: BTreeSet<i64>,
    pub max_audit: i64,
}

impl UnenrollBase {
    pub fn read(db: &Path, sequence: i64) -> UnenrollBase {
        let conn = open(db);
        UnenrollBase {
            sequence,
            open: open_of(&conn, sequence),
            max_audit: max_id(&conn, "audit"),
        }
    }

    /// `unenroll --sequence S --all --reason stale --yes` (and `--json`).
    pub fn command(&self, db: &Path, json: bool) -> Command {
        let mut cmd = seqtui_at(db, NOW);
        if json {
            cmd.arg("--json");
        }
        cmd.args([
            "unenroll",
            "--sequence",
            &self.sequence.to_string(),
            "--all",
            "--reason",
            "stale",
            "--yes",
        ]);
        cmd
    }
}

fn open_of(conn: &Connection, sequence: i64) -> BTreeSet<i64> {
    ids(
        conn,
        "SELECT id FROM enrollments WHERE sequence_id = ?1 AND status IN ('active','paused')",
        [sequence],
    )
}

/// What a killed bulk unenroll left: nothing, or the whole batch.
#[derive(Debug, PartialEq, Eq)]
pub enum BatchState {
    Absent,
    /// Applied; `tidy_pending` enrollments still wait for their steps and
    /// tasks to be cancelled.
    Applied {
        batch: String,
        tidy_pending: i64,
    },
}

/// R5 after a kill (run [`check_integrity`] first): the batch is
/// entirely applied or entirely absent, and the R1/R3 invariants hold
/// (steps of a batch still in the tidy queue count as cancelled, as every
/// reader treats them).
pub fn check_unenroll(db: &Path, base: &UnenrollBase) -> BatchState {
    let conn = open(db);
    let audits = audit_since(&conn, base.max_audit);
    let open_now = open_of(&conn, base.sequence);
    let state = match audits.as_slice() {
        [] => {
            assert_eq!(
                open_now, base.open,
                "no audit entry, yet the open enrollments changed"
            );
            let batched = count(
                &conn,
                "SELECT count(*) FROM tidy_queue WHERE audit_id > ?1",
                [base.max_audit],
            );
            assert_eq!(batched, 0, "a tidy queue entry without its batch");
            BatchState::Absent
        }
        [(id, action, reason, batch, n)] => {
            assert_eq!(action, "unenroll");
            assert_eq!(reason.as_deref(), Some("stale"));
            let batch = batch.clone().expect("an unenroll entry has a batch");
            assert!(open_now.is_empty(), "batch {batch} left open enrollments");
            let ended = ids(
                &conn,
                "SELECT id FROM enrollments WHERE batch = ?1 AND status = 'unenrolled'
                 AND end_reason = 'stale' AND ended_at IS NOT NULL",
                [&batch],
            );
            assert_eq!(
                ended, base.open,
                "batch {batch} did not end exactly the open enrollments"
            );
            let in_batch = count(
                &conn,
                "SELECT count(*) FROM enrollments WHERE batch = ?1",
                [&batch],
            );
            assert_eq!(in_batch as usize, base.open.len());
            assert_eq!(*n as usize, base.open.len(), "audit count of {batch}");
            let audited = ids(
                &conn,
                "SELECT enrollment_id FROM audit_enrollments WHERE audit_id = ?1",
                [id],
            );
            assert_eq!(audited, base.open, "audit_enrollments of {batch}");
            let tidy_pending = count(
                &conn,
                "SELECT count(*) FROM tidy_queue q JOIN audit_enrollments ae
                 ON ae.audit_id = q.audit_id AND ae.enrollment_id >= q.next_enrollment",
                [],
            );
            BatchState::Applied {
                batch,
                tidy_pending,
            }
        }
        more => panic!("more than one audit entry after one unenroll: {more:?}"),
    };
    drop(conn);
    super::check_invariants(db);
    state
}

/// One kill point of the bulk unenroll, checked: the state it left, then
/// the interrupted tidying resumed, then the same request repeated to its
/// end (it applies the batch if the kill came first, and changes nothing
/// if not).
pub struct UnenrollPoint {
    pub at: KillAt,
    pub json: bool,
    pub killed: Killed,
    pub state: BatchState,
    pub tidied: usize,
    pub tidy_time: Duration,
}

pub fn unenroll_point(
    source: &Path,
    work: &Path,
    base: &UnenrollBase,
    at: KillAt,
    json: bool,
) -> UnenrollPoint {
    copy_workspace(source, work);
    let killed = spawn_and_kill(base.command(work, json), at);
    check_integrity(work);
    let state = check_unenroll(work, base);
    let started = Instant::now();
    let tidied = finish_tidy(work, now());
    let tidy_time = started.elapsed();
    super::check_tidied(work);
    // The request again, to its end: all or nothing still, and one batch.
    run_ok(base.command(work, json));
    let again = check_unenroll(work, base);
    match (&state, &again) {
        (BatchState::Applied { batch: a, .. }, BatchState::Applied { batch: b, .. }) => {
            assert_eq!(a, b, "repeating the request made a second batch")
        }
        (BatchState::Absent, BatchState::Applied { .. }) => {}
        (_, BatchState::Absent) => panic!("the unkilled request applied nothing"),
    }
    super::check_tidied(work);
    remove_workspace(work);
    UnenrollPoint {
        at,
        json,
        killed,
        state,
        tidied,
        tidy_time,
    }
}

pub fn now() -> Timestamp {
    super::now()
}

pub fn describe(at: KillAt) -> String {
    match at {
        KillAt::After(d) => format!("{:.0} ms", d.as_secs_f64() * 1e3),
        KillAt::FirstOutput => "report printed".into(),
    }
}

// --------------------------------------------------------------------- run

/// The earliest whole hour from the demo clock at which at least `target`
/// steps are due (at most 60 days on).
pub fn clock_with_due(db: &Path, target: usize) -> (Timestamp, usize) {
    let mut ws = Workspace::open(db, Clock::Fixed(now())).unwrap();
    for hours in 0..=60 * 24 {
        let at = now() + chrono::Duration::hours(hours);
        let due = ws.due_step_count(at).unwrap();
        if due >= target {
            return (at, due);
        }
    }
    panic!("fewer than {target} steps due within 60 days");
}

pub fn rfc3339(t: Timestamp) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The workspace before a `run`.
pub struct RunBase {
    pub max_sent: i64,
    pub max_task: i64,
}

impl RunBase {
    pub fn read(db: &Path) -> RunBase {
        let conn = open(db);
        RunBase {
            max_sent: max_id(&conn, "sent_emails"),
            max_task: max_id(&conn, "tasks"),
        }
    }
}

///
/// The rules file beside the workspace lifts R19's daily cap out of the
/// way: which steps a cap holds back depends on the order a run meets
/// them in, and a run killed part-way meets them in other batches, while
/// these tests compare what was sent with an unkilled run (the cap has
/// its own tests in `sending.rs`).
pub fn run_command(db: &Path, now: &str, outbox: &Path) -> Command {
    let rules = db.with_extension("rules.toml");
    if !rules.exists() {
        std::fs::write(&rules, "[sending]\ndaily_cap = 100000\n").unwrap();
    }
    let mut cmd = seqtui_at(db, now);
    cmd.arg("--rules").arg(&rules);
    cmd.arg("--json").arg("run").arg("--outbox").arg(outbox);
    cmd
}

/// [`run_command`] delivering to `target` (`smtp://…`, `sendmail:…`)
/// instead of the outbox Maildir.
pub fn deliver_command(db: &Path, now: &str, target: &str) -> Command {
    let rules = db.with_extension("rules.toml");
    if !rules.exists() {
        std::fs::write(&rules, "[sending]\ndaily_cap = 100000\n").unwrap();
    }
    let mut cmd = seqtui_at(db, now);
    cmd.arg("--rules").arg(&rules);
    cmd.arg("--json").arg("run").arg("--deliver").arg(target);
    cmd
}

/// Spawns `cmd` and SIGKILLs it as soon as `ready()` holds (polled every
/// millisecond, for at most ten minutes). Returns whether the kill
/// interrupted it (false: it had finished by itself).
pub fn spawn_and_kill_when(mut cmd: Command, ready: impl Fn() -> bool) -> bool {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(600);
    while !ready() {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        assert!(
            Instant::now() < deadline,
            "{cmd:?}: the kill point never came"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let _ = child.kill();
    child.wait().unwrap().signal() == Some(9)
}

/// The Message-IDs of the files in an outbox Maildir (`new/` and `cur/`),
/// each with the file it is in.
pub fn maildir_ids(outbox: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        let Ok(entries) = std::fs::read_dir(outbox.join(sub)) else {
            continue;
        };
        for entry in entries.flatten() {
            let bytes = std::fs::read(entry.path()).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            let id = text
                .split("\r\n")
                .take_while(|l| !l.is_empty())
                .find_map(|l| l.strip_prefix("Message-ID: "))
                .unwrap_or_else(|| panic!("{} has no Message-ID", entry.path().display()))
                .trim()
                .to_string();
            out.push((id, entry.path()));
        }
    }
    out
}

/// What a run left: the new sent emails, which of them are still in the
/// journal, the outbox files, and the steps executed.
#[derive(Debug, PartialEq, Eq)]
pub struct RunState {
    pub sent: usize,
    pub journal: usize,
    pub files: usize,
    /// Recorded emails missing from the server that a run reported
    /// unconfirmed (see [`check_run_reported`]); 0 for [`check_run`].
    pub lost_reported: usize,
    /// Scheduled steps executed since the base: by an email, by a task.
    pub emailed_steps: BTreeSet<i64>,
    pub task_steps: BTreeSet<i64>,
}

/// Exactly once after a kill: every new `sent_emails` row has its Maildir
/// file or its journal row (which the next run delivers), no file lacks
/// its row, no Message-ID is in the Maildir twice, and no scheduled step
/// was executed twice or executed without being marked so.
pub fn check_run(db: &Path, outbox: &Path, base: &RunBase, clock: &str) -> RunState {
    check_run_reported(db, outbox, base, clock, &HashSet::new())
}

/// [`check_run`], where the emails whose Message-IDs are in `unconfirmed`
/// (a run reported them: handed to a server, answer never seen) may be
/// missing from the server. That is the one outcome the protocol admits
/// besides exactly once (src/engine/outbox.rs): a kill between the
/// handing-over mark and the write of the data loses the message, and
/// the next run reports it instead of sending it twice. Every other email
/// is still checked exactly once; the count of the reported missing ones
/// is [`RunState::lost_reported`].
pub fn check_run_reported(
    db: &Path,
    outbox: &Path,
    base: &RunBase,
    clock: &str,
    unconfirmed: &HashSet<String>,
) -> RunState {
    let conn = open(db);
    let sent: HashMap<String, (i64, i64)> = conn
        .prepare("SELECT message_id, id, scheduled_step_id FROM sent_emails WHERE id > ?1")
        .unwrap()
        .query_map([base.max_sent], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let journal = ids(&conn, "SELECT sent_email_id FROM outbox", []);
    let files = maildir_ids(outbox);
    let mut seen = HashSet::new();
    for (id, path) in &files {
        assert!(
            seen.insert(id.clone()),
            "Message-ID {id} is in the outbox twice ({})",
            path.display()
        );
        assert!(
            sent.contains_key(id),
            "{} ({id}) has no sent_emails row",
            path.display()
        );
    }
    let mut lost_reported = 0;
    for (message_id, (id, _)) in &sent {
        if seen.contains(message_id) || journal.contains(id) {
            continue;
        }
        assert!(
            unconfirmed.contains(message_id),
            "sent email {id} ({message_id}) is neither in the outbox nor in the journal, and no run reported it unconfirmed"
        );
        lost_reported += 1;
    }
    let new_ids: BTreeSet<i64> = sent.values().map(|(id, _)| *id).collect();
    assert!(
        journal.is_subset(&new_ids),
        "journal rows of emails not sent by this run: {:?}",
        journal.difference(&new_ids).collect::<Vec<_>>()
    );
    // No step executed twice, none executed and still scheduled.
    for table in ["sent_emails", "tasks"] {
        let twice = count(
            &conn,
            &format!(
                "SELECT count(*) FROM (SELECT scheduled_step_id FROM {table}
                 WHERE scheduled_step_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1)"
            ),
            [],
        );
        assert_eq!(twice, 0, "a scheduled step has two {table} rows");
    }
    let emailed_steps = ids(
        &conn,
        "SELECT scheduled_step_id FROM sent_emails WHERE id > ?1",
        [base.max_sent],
    );
    let task_steps = ids(
        &conn,
        "SELECT scheduled_step_id FROM tasks WHERE id > ?1 AND scheduled_step_id IS NOT NULL",
        [base.max_task],
    );
    assert!(
        emailed_steps.is_disjoint(&task_steps),
        "a step made both an email and a task"
    );
    let executed: BTreeSet<i64> = emailed_steps.union(&task_steps).copied().collect();
    let states: BTreeMap<i64, String> = conn
        .prepare(
            "SELECT ss.id, ss.state FROM scheduled_steps ss
             WHERE ss.id IN (SELECT value FROM json_each(?1))",
        )
        .unwrap()
        .query_map([serde_json::to_string(&executed).unwrap()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for step in &emailed_steps {
        assert_eq!(
            states.get(step).map(String::as_str),
            Some("sent"),
            "step {step}"
        );
    }
    for step in &task_steps {
        assert_eq!(
            states.get(step).map(String::as_str),
            Some("done"),
            "step {step}"
        );
    }
    // And the converse: every step this run marked executed has its row.
    let marked = count(
        &conn,
        "SELECT count(*) FROM scheduled_steps WHERE state IN ('sent','done') AND executed_at = ?1",
        [clock],
    );
    assert_eq!(
        marked as usize,
        executed.len(),
        "steps marked executed at the run's clock ≠ steps with an email or a task"
    );
    drop(conn);
    super::check_invariants(db);
    RunState {
        sent: sent.len(),
        journal: journal.len(),
        files: files.len(),
        lost_reported,
        emailed_steps,
        task_steps,
    }
}

// ------------------------------------------------------------------ ingest

/// An mbox of one reply to each outbox message, as a mail client writes it.
pub fn replies_mbox(outbox: &Path, path: &Path) -> usize {
    let mut files: Vec<PathBuf> = std::fs::read_dir(outbox.join("new"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let parser = mail_parser::MessageParser::default();
    let mut mbox = String::new();
    for (i, file) in files.iter().enumerate() {
        let bytes = std::fs::read(file).unwrap();
        let m = parser.parse(&bytes).unwrap();
        let id = m.message_id().unwrap();
        let address = |a: Option<&mail_parser::Address>| {
            a.and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap()
                .to_string()
        };
        let to = address(m.to());
        let from = address(m.from());
        mbox.push_str(&format!(
            "From {to} Wed Nov  4 10:00:00 2026\nFrom: <{to}>\nTo: <{from}>\n\
             Subject: Re: {subject}\nDate: Wed, 4 Nov 2026 10:00:00 +0000\n\
             Message-ID: <crash-reply-{i}@client.example>\nIn-Reply-To: <{id}>\nReferences: <{id}>\n\
             MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n\
             Thanks, let's talk next week.\n\n",
            subject = m.subject().unwrap_or_default(),
        ));
    }
    std::fs::write(path, mbox).unwrap();
    files.len()
}

/// The workspace before an `ingest`.
pub struct IngestBase {
    pub max_event: i64,
    pub max_audit: i64,
    pub open: BTreeSet<i64>,
}

impl IngestBase {
    pub fn read(db: &Path) -> IngestBase {
        let conn = open(db);
        IngestBase {
            max_event: max_id(&conn, "events"),
            max_audit: max_id(&conn, "audit"),
            open: ids(
                &conn,
                "SELECT id FROM enrollments WHERE status IN ('active','paused')",
                [],
            ),
        }
    }
}

pub fn ingest_command(db: &Path, now: &str, mbox: &Path) -> Command {
    let mut cmd = seqtui_at(db, now);
    cmd.arg("--json").arg("ingest").arg(mbox);
    cmd
}

/// Every ended enrollment since the base: `(status, end_reason, ended_at, batch)`.
pub type Endings = BTreeMap<i64, (String, Option<String>, Option<String>, Option<String>)>;

/// What an ingest left, checked: every event applied whole — an enrollment
/// ended `replied` has its reply event and its audit entry (with the right
/// count and `audit_enrollments` rows), and every reply event on an
/// enrollment that was open ended it.
pub fn check_ingest(db: &Path, base: &IngestBase) -> (Endings, usize) {
    let conn = open(db);
    let open_json = serde_json::to_string(&base.open).unwrap();
    let endings: Endings = conn
        .prepare(
            "SELECT id, status, end_reason, ended_at, batch FROM enrollments
             WHERE id IN (SELECT value FROM json_each(?1)) AND status NOT IN ('active','paused')",
        )
        .unwrap()
        .query_map([&open_json], |r| {
            Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let replied_events: BTreeMap<i64, i64> = conn
        .prepare(
            "SELECT enrollment_id, count(*) FROM events
             WHERE id > ?1 AND type = 'reply' AND enrollment_id IS NOT NULL GROUP BY 1",
        )
        .unwrap()
        .query_map([base.max_event], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    // Each new audit entry is whole: its count, its rows, its enrollments.
    let audits = audit_since(&conn, base.max_audit);
    let mut audited: BTreeMap<i64, String> = BTreeMap::new();
    for (id, action, reason, batch, n) in &audits {
        let rows = ids(
            &conn,
            "SELECT enrollment_id FROM audit_enrollments WHERE audit_id = ?1",
            [id],
        );
        assert_eq!(rows.len() as i64, *n, "audit entry {id} ({action}): count");
        if action == "unenroll" {
            let batch = batch.clone().unwrap();
            for e in &rows {
                let ending = endings.get(e).unwrap_or_else(|| {
                    panic!("enrollment {e} in unenroll entry {id} is not ended")
                });
                assert_eq!(ending.3.as_ref(), Some(&batch), "enrollment {e}'s batch");
                assert_eq!(ending.1, *reason, "enrollment {e}'s end reason");
                assert!(
                    audited.insert(*e, batch.clone()).is_none(),
                    "{e} ended twice"
                );
            }
        }
    }
    for (e, (status, reason, _, _)) in &endings {
        assert_eq!(status, "unenrolled", "ingest finished enrollment {e}?");
        assert!(
            audited.contains_key(e),
            "enrollment {e} ended ({reason:?}) without its audit entry"
        );
        if reason.as_deref() == Some("replied") {
            assert!(
                replied_events.contains_key(e),
                "enrollment {e} ended replied without its reply event"
            );
        }
    }
    for e in replied_events.keys() {
        if base.open.contains(e) {
            assert_eq!(
                endings.get(e).and_then(|x| x.1.as_deref()),
                Some("replied"),
                "a reply on the thread of open enrollment {e} did not end it"
            );
        }
    }
    let events = count(
        &conn,
        "SELECT count(*) FROM events WHERE id > ?1",
        [base.max_event],
    );
    drop(conn);
    super::check_invariants(db);
    (endings, events as usize)
}
