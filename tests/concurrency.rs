//! Issue 6, several people at once: on a demo workspace built by the real
//! binary, for a bounded time and all together —
//!
//! * two `seqtui run --watch --outbox DIR` workers at a clock where a few thousand steps
//!   are due (and every new enrollment's first step is due at once),
//! * a loop of `seqtui ingest` over small JSON Lines and mbox files (opens,
//!   clicks, replies on sequence threads, bounces, unsubscribes),
//! * CLI writer loops, one thread per user (`--as`), each invocation a new
//!   process: `enroll`, `unenroll --enrollment`, `pause`, `resume`, `undo`,
//!   `transfer` (preview and for real),
//! * the TUI as Maya Okafor: mark three rows, `u`, confirm, then `U`, confirm.
//!
//! The TUI is the in-process [`seqtui::tui::Headless`] driven on a thread
//! (the same `App`, `update` and worker-thread jobs as the real terminal, on
//! ratatui's test backend) rather than the binary in tmux: on the shared
//! two-core machine, with four other processes writing, reading a tmux
//! screen back on time is the flaky part, not the app. Every error the TUI
//! shows is collected from its status line.
//!
//! Then: no process's stderr (or the TUI's status line) says `database is
//! locked`, `busy` or `panicked`; every exit code is 0 or a documented
//! refusal (3 rule/permission, 4 not found); `PRAGMA integrity_check` is ok;
//! R1 and R3 hold (before and after tidying); no update a process was told
//! succeeded is lost; every audit entry matches a change and every change
//! made meanwhile has its audit entry; every step was sent at most once and
//! every email sent is in the outbox. The operations per second each process
//! sustained are printed.
//!
//! `concurrent_users` is the CI version (about 15 s of load, debug build).
//! `concurrent_users_long` is the release-script version:
//!
//! ```sh
//! SEQTUI_CONCURRENCY_SECS=90 SEQTUI_CONCURRENCY_WRITERS=4 \
//!   cargo test --release --test concurrency -- --ignored --nocapture
//! ```

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use seqtui::domain::{Clock, Workspace};
use seqtui::tui::app::{Screen, Tone};
use seqtui::tui::{Headless, Theme};
use serde_json::Value;

/// The workspace clock of every process. The demo is built at
/// `DEMO_NOW`; three weeks later about 2,900 steps of its open enrollments
/// are due, which keeps `run --watch` writing for the whole test.
const DEMO_NOW: &str = "2026-11-27T09:00:00Z";
const CLOCK: &str = "2026-12-15T09:00:00Z";
const CLOCK_SQL: &str = "2026-12-15T09:00:00Z";
/// How many `run --watch` workers share the queue (issue 18: several
/// workers; on PostgreSQL each claims its own batch).
const ENGINE_WORKERS: usize = 2;

/// The CLI writers: an admin, a manager of each team, a rep of each team.
/// Maya Okafor (manager East, the default user) is the TUI's.
const WRITERS: [&str; 5] = [
    "dana.whitfield@northwind.example",
    "daniel.reyes@northwind.example",
    "priya.raman@northwind.example",
    "hannah.schmidt@northwind.example",
    "luca.moretti@northwind.example",
];
const TUI_USER: &str = "maya.okafor@northwind.example";
const Q4: &str = "Q4 Mid-Market Outbound";

/// Words that must never reach a user.
const FORBIDDEN: [&str; 3] = ["database is locked", "busy", "panicked"];

struct Config {
    seconds: u64,
    writers: usize,
}

#[test]
fn concurrent_users() {
    scenario(&Config {
        seconds: 15,
        writers: 4,
    });
}

#[test]
#[ignore = "release-time load test; see the module comment"]
fn concurrent_users_long() {
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    scenario(&Config {
        seconds: env("SEQTUI_CONCURRENCY_SECS", 90),
        writers: (env("SEQTUI_CONCURRENCY_WRITERS", 4) as usize).clamp(1, WRITERS.len()),
    });
}

// ------------------------------------------------------------ processes

/// One finished process.
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

fn seqtui(db: &Path) -> Command {
    common::cli::process(db)
}

fn run(db: &Path, user: Option<&str>, args: &[&str]) -> Ran {
    let mut cmd = seqtui(db);
    cmd.args(["--now", CLOCK, "--json"]);
    if let Some(user) = user {
        cmd.args(["--as", user]);
    }
    let started = Instant::now();
    let out = cmd.args(args).stdin(Stdio::null()).output().unwrap();
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
        elapsed: started.elapsed(),
    }
}

/// What went wrong anywhere, collected and asserted at the end (a panic
/// on a worker thread would hide the others).
#[derive(Default)]
struct Problems(Mutex<Vec<String>>);

impl Problems {
    fn add(&self, p: String) {
        self.0.lock().unwrap().push(p);
    }

    fn check_output(&self, who: &str, args: &[&str], ran: &Ran, allowed: &[i32]) {
        for word in FORBIDDEN {
            if ran.stderr.to_lowercase().contains(word) {
                self.add(format!(
                    "{who} `{}`: stderr says '{word}': {}",
                    args.join(" "),
                    ran.stderr.trim()
                ));
            }
        }
        if !allowed.contains(&ran.code) {
            self.add(format!(
                "{who} `{}`: exit {} (allowed {allowed:?}); stderr: {}",
                args.join(" "),
                ran.code,
                ran.stderr.trim()
            ));
        }
    }
}

/// Operations one process (or loop of processes) did.
#[derive(Default, Clone)]
struct Tally {
    ops: u64,
    refused: u64,
    /// Invocations that took over a second: the visible sign of waiting
    /// for another writer (SQLite does not count its busy waits for us).
    slow: u64,
    longest: Duration,
    busy_time: Duration,
}

impl Tally {
    fn record(&mut self, elapsed: Duration, refused: bool) {
        self.ops += 1;
        if refused {
            self.refused += 1;
        }
        if elapsed > Duration::from_secs(1) {
            self.slow += 1;
        }
        self.longest = self.longest.max(elapsed);
        self.busy_time += elapsed;
    }
}

// ------------------------------------------------------------ what writers were told

/// A change a process was told succeeded.
#[derive(Debug, Clone)]
enum Told {
    Enrolled {
        batch: String,
        ids: Vec<i64>,
        contact: i64,
        sequence: i64,
    },
    Unenrolled {
        batch: String,
        ids: Vec<i64>,
    },
    Paused {
        batch: String,
        ids: Vec<i64>,
    },
    Resumed {
        batch: String,
        ids: Vec<i64>,
    },
    Undid {
        batch: String,
        undo_batch: String,
        ids: Vec<i64>,
    },
    Transferred {
        batch: String,
        contacts: Vec<i64>,
        to: String,
        reassigned: Vec<i64>,
        ended: Vec<i64>,
    },
    /// Ingest: an enrollment ended automatically with a reason.
    Ended {
        id: i64,
        reason: String,
    },
    /// The TUI: a batch unenrolled `count` enrollments (its summary line).
    TuiUnenrolled {
        batch: String,
        count: usize,
    },
    /// The TUI: an undo of `batch` restored `count`.
    TuiUndid {
        batch: String,
        count: usize,
    },
}

fn ids(v: &Value) -> Vec<i64> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

// ------------------------------------------------------------ the scenario

fn scenario(config: &Config) {
    let dir = tempfile::tempdir().unwrap();
    // A file, or with SEQTUI_TEST_PG a schema of its own on that server:
    // the same scenario on both engines.
    let db = match common::location(dir.path()) {
        file if seqtui::store::postgres_url(&file).is_none() => dir.path().join("demo.db"),
        url => url,
    };
    let built = seqtui(&db)
        .args(["--now", DEMO_NOW, "demo", "--contacts", "3000"])
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let conn = common::raw(&db);
    let audit_start: i64 = conn
        .query_row("SELECT coalesce(max(id), 0) FROM audit", [], |r| r.get(0))
        .unwrap();
    let due: i64 = conn
        .query_row(
            "SELECT count(*) FROM scheduled_steps ss JOIN enrollments e ON e.id = ss.enrollment_id
             WHERE e.status = 'active' AND ss.state = 'scheduled' AND ss.due_at <= ?1",
            [CLOCK_SQL],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        due > 2000,
        "the clock should make thousands of steps due: {due}"
    );
    let contacts: i64 = conn
        .query_row("SELECT count(*) FROM contacts", [], |r| r.get(0))
        .unwrap();
    let sequences: i64 = conn
        .query_row("SELECT count(*) FROM sequences", [], |r| r.get(0))
        .unwrap();
    let emails: Vec<String> = conn
        .prepare("SELECT email FROM contacts ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    // Message-IDs of the demo's sent emails of open enrollments: replies to
    // them end those enrollments (R6).
    let threads: Vec<(String, String)> = conn
        .prepare(
            "SELECT c.email, se.message_id FROM sent_emails se
             JOIN enrollments e ON e.id = se.enrollment_id JOIN contacts c ON c.id = e.contact_id
             WHERE e.status IN ('active','paused') ORDER BY se.id",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    drop(conn);

    let problems = Arc::new(Problems::default());
    let told: Arc<Mutex<Vec<Told>>> = Arc::default();
    let deadline = Instant::now() + Duration::from_secs(config.seconds);
    let outbox = dir.path().join("outbox");

    // The engine: two `run --watch` workers sharing the queue.
    let engine_started = Instant::now();
    // Each worker's output is read as it comes (a full pipe would block
    // it between passes, where it notices SIGTERM).
    let mut engines: Vec<(Guard, Drained, Drained)> = (0..ENGINE_WORKERS)
        .map(|_| {
            let mut engine = seqtui(&db)
                .args(["--now", CLOCK, "--json", "run", "--watch", "--outbox"])
                .arg(&outbox)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let stdout = drain(engine.stdout.take().unwrap());
            let stderr = drain(engine.stderr.take().unwrap());
            (Guard(Some(engine)), stdout, stderr)
        })
        .collect();

    let mut threads_out = Vec::new();
    // The CLI writers.
    for (n, user) in WRITERS.iter().take(config.writers).enumerate() {
        let (db, problems, told) = (db.clone(), Arc::clone(&problems), Arc::clone(&told));
        let user = user.to_string();
        threads_out.push(std::thread::spawn(move || {
            let tally = writer(
                &db, &user, n as u64, deadline, contacts, sequences, &problems, &told,
            );
            (format!("cli writer {user}"), tally)
        }));
    }
    // The ingest loop.
    {
        let (db, problems, told) = (db.clone(), Arc::clone(&problems), Arc::clone(&told));
        let inbox = dir.path().join("inbox");
        threads_out.push(std::thread::spawn(move || {
            let tally = ingester(&db, &inbox, deadline, &emails, &threads, &problems, &told);
            ("ingest loop".to_string(), tally)
        }));
    }
    // The TUI.
    {
        let (db, problems, told) = (db.clone(), Arc::clone(&problems), Arc::clone(&told));
        threads_out.push(std::thread::spawn(move || {
            let tally = tui(&db, deadline, &problems, &told);
            ("tui (headless) as maya".to_string(), tally)
        }));
    }

    let mut tallies = Vec::new();
    for t in threads_out {
        match t.join() {
            Ok(result) => tallies.push(result),
            Err(_) => problems.add("a load thread panicked".into()),
        }
    }

    // Stop the workers as an operator would, and read what they said.
    let mut engine_tally = Tally::default();
    let mut engine_passes = 0;
    let mut worker_steps = Vec::new();
    for (engine, _, _) in &mut engines {
        let child = engine.0.as_mut().unwrap();
        if let Some(status) = child.try_wait().unwrap() {
            // What it said is read below, with the other problems.
            problems.add(format!("run --watch exited early: {status}"));
        } else {
            let killed = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status()
                .unwrap();
            assert!(killed.success());
        }
    }
    let mut engine_elapsed = Duration::ZERO;
    for (mut engine, stdout, stderr) in engines {
        let child = engine.0.as_mut().unwrap();
        let stop_started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(
                stop_started.elapsed() < Duration::from_secs(60),
                "run --watch did not stop within 60 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        engine_elapsed = engine_started.elapsed();
        engine.0.take();
        let engine_ran = Ran {
            code: status.code().unwrap_or(-1),
            stdout: stdout.join().unwrap(),
            stderr: stderr.join().unwrap(),
            elapsed: engine_elapsed,
        };
        problems.check_output("run --watch", &["run", "--watch"], &engine_ran, &[0]);
        let mut steps = 0;
        for line in engine_ran.stdout.lines().filter(|l| !l.trim().is_empty()) {
            match serde_json::from_str::<Value>(line) {
                Ok(pass) => {
                    engine_passes += 1;
                    steps += pass["emails_sent"].as_u64().unwrap_or(0)
                        + pass["tasks_created"].as_u64().unwrap_or(0);
                }
                Err(e) => {
                    problems.add(format!("run --watch printed a non-JSON line ({e}): {line}"))
                }
            }
        }
        engine_tally.ops += steps;
        worker_steps.push(steps);
    }

    // ------------------------------------------------------------ report
    let seconds = config.seconds as f64;
    println!(
        "\nconcurrent users: {} s, {} CLI writers, ingest loop, headless TUI, run --watch",
        config.seconds, config.writers
    );
    println!(
        "{:<44} {:>7} {:>8} {:>8} {:>6} {:>9}",
        "process", "ops", "ops/s", "refused", "slow", "longest"
    );
    for (name, t) in &tallies {
        println!(
            "{name:<44} {:>7} {:>8.1} {:>8} {:>6} {:>8.2}s",
            t.ops,
            t.ops as f64 / seconds,
            t.refused,
            t.slow,
            t.longest.as_secs_f64()
        );
    }
    println!(
        "{:<44} {:>7} {:>8.1}   (steps executed in {engine_passes} passes over {:.1} s; per worker {worker_steps:?})",
        format!("run --watch ({ENGINE_WORKERS} workers)"),
        engine_tally.ops,
        engine_tally.ops as f64 / engine_elapsed.as_secs_f64(),
        engine_elapsed.as_secs_f64()
    );

    let problems = std::mem::take(&mut *problems.0.lock().unwrap());
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    for (name, t) in &tallies {
        assert!(t.ops > 0, "{name} did nothing");
    }
    assert!(engine_tally.ops > 0, "run --watch executed nothing");

    // ------------------------------------------------------------ the end state
    let told = std::mem::take(&mut *told.lock().unwrap());
    check_end_state(&db, &outbox, audit_start, &told);
}

/// A child's output, read to its end on a thread.
type Drained = std::thread::JoinHandle<String>;

fn drain(mut from: impl std::io::Read + Send + 'static) -> Drained {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = from.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Kills the engine if the test fails before it has stopped.
struct Guard(Option<Child>);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

// ------------------------------------------------------------ the CLI writers

#[allow(clippy::too_many_arguments)]
fn writer(
    db: &Path,
    user: &str,
    seed: u64,
    deadline: Instant,
    contacts: i64,
    sequences: i64,
    problems: &Problems,
    told: &Mutex<Vec<Told>>,
) -> Tally {
    let mut rng = fastrand::Rng::with_seed(0x5eed + seed);
    let mut tally = Tally::default();
    let mut open = open_enrollments(db);
    let mut n = 0u64;
    while Instant::now() < deadline {
        n += 1;
        if n.is_multiple_of(15) {
            open = open_enrollments(db);
        }
        let pick = |rng: &mut fastrand::Rng| -> String {
            if open.is_empty() || rng.u8(..10) == 0 {
                rng.i64(1..=(open.len() as i64 + 4000)).to_string()
            } else {
                open[rng.usize(..open.len())].to_string()
            }
        };
        let who = format!("cli {user}");
        let roll = rng.u8(..100);
        let args: Vec<String> = match roll {
            0..=19 => vec![
                "enroll".into(),
                "--sequence".into(),
                rng.i64(1..=sequences).to_string(),
                "--contact".into(),
                rng.i64(1..=contacts).to_string(),
            ],
            20..=44 => {
                let mut a = vec!["unenroll".into()];
                for _ in 0..rng.usize(1..=3) {
                    a.push("--enrollment".into());
                    a.push(pick(&mut rng));
                }
                a.extend(["--reason".into(), "not_a_fit".into(), "--yes".into()]);
                a
            }
            45..=59 => vec!["pause".into(), "--enrollment".into(), pick(&mut rng)],
            60..=74 => vec!["resume".into(), "--enrollment".into(), pick(&mut rng)],
            75..=84 => vec!["undo".into()],
            _ => {
                let to = WRITERS[rng.usize(..WRITERS.len())];
                let policy = ["keep", "reassign", "unenroll"][rng.usize(..3)];
                let mut a: Vec<String> = vec![
                    "transfer".into(),
                    "--contact".into(),
                    rng.i64(1..=contacts).to_string(),
                    "--to".into(),
                    to.into(),
                    "--policy".into(),
                    policy.into(),
                ];
                if rng.bool() {
                    a.push("--dry-run".into());
                }
                a
            }
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let ran = run(db, Some(user), &args);
        problems.check_output(&who, &args, &ran, &[0, 3, 4]);
        tally.record(ran.elapsed, ran.code != 0);
        if ran.code != 0 {
            continue;
        }
        let Ok(v) = serde_json::from_str::<Value>(&ran.stdout) else {
            problems.add(format!(
                "{who} `{}`: not JSON: {}",
                args.join(" "),
                ran.stdout
            ));
            continue;
        };
        let batch = text(&v["batch"]);
        let event = match args[0] {
            "enroll" => batch.map(|batch| Told::Enrolled {
                batch,
                ids: ids(&v["enrolled"]),
                contact: args[4].parse().unwrap(),
                sequence: args[2].parse().unwrap(),
            }),
            "unenroll" => batch.map(|batch| Told::Unenrolled {
                batch,
                ids: ids(&v["unenrolled"]),
            }),
            "pause" => batch.map(|batch| Told::Paused {
                batch,
                ids: ids(&v["changed"]),
            }),
            "resume" => batch.map(|batch| Told::Resumed {
                batch,
                ids: ids(&v["changed"]),
            }),
            "undo" => text(&v["undo_batch"]).map(|undo_batch| Told::Undid {
                batch: text(&v["batch"]).unwrap(),
                undo_batch,
                // An unenroll or a transfer undone restores; an enroll
                // undone ends what it made.
                ids: [ids(&v["restored"]), ids(&v["ended"])].concat(),
            }),
            _ => batch.map(|batch| {
                let items = v["enrollments"].as_array().cloned().unwrap_or_default();
                let with = |action: &str| -> Vec<i64> {
                    items
                        .iter()
                        .filter(|i| i["action"] == action)
                        .filter_map(|i| i["enrollment"].as_i64())
                        .collect()
                };
                Told::Transferred {
                    batch,
                    contacts: ids(&v["contacts"]),
                    to: text(&v["to"]).unwrap(),
                    reassigned: with("reassign"),
                    ended: with("unenroll"),
                }
            }),
        };
        if let Some(event) = event {
            told.lock().unwrap().push(event);
        }
    }
    tally
}

/// Open enrollment ids right now (a reader beside the writers).
fn open_enrollments(db: &Path) -> Vec<i64> {
    let conn = common::raw(db);
    let mut stmt = conn
        .prepare("SELECT id FROM enrollments WHERE status IN ('active','paused')")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

// ------------------------------------------------------------ the ingest loop

fn ingester(
    db: &Path,
    inbox: &Path,
    deadline: Instant,
    emails: &[String],
    threads: &[(String, String)],
    problems: &Problems,
    told: &Mutex<Vec<Told>>,
) -> Tally {
    std::fs::create_dir_all(inbox).unwrap();
    let mut rng = fastrand::Rng::with_seed(0x1_26e5);
    let mut tally = Tally::default();
    let mut n = 0u64;
    while Instant::now() < deadline {
        n += 1;
        let mut lines = Vec::new();
        let email = |rng: &mut fastrand::Rng| emails[rng.usize(..emails.len())].clone();
        for k in 0..3 {
            let kind = if k % 2 == 0 { "open" } else { "click" };
            lines.push(format!(
                r#"{{"type": "{kind}", "id": "load-{n}-{k}", "email": "{}", "url": "https://northwind.example/p", "at": "{CLOCK}"}}"#,
                email(&mut rng)
            ));
        }
        if rng.u8(..3) == 0 {
            lines.push(format!(
                r#"{{"type": "bounce", "id": "load-{n}-b", "email": "{}", "status": "5.1.1", "at": "{CLOCK}"}}"#,
                email(&mut rng)
            ));
        }
        if rng.u8(..8) == 0 {
            lines.push(format!(
                r#"{{"type": "unsubscribe", "id": "load-{n}-u", "email": "{}", "at": "{CLOCK}"}}"#,
                email(&mut rng)
            ));
        }
        let (reply_from, reply_to) = &threads[rng.usize(..threads.len())];
        lines.push(format!(
            r#"{{"type": "reply", "id": "load-{n}-r", "email": "{reply_from}", "in_reply_to": "{reply_to}", "subject": "Re: hello", "at": "{CLOCK}"}}"#
        ));
        let jsonl = inbox.join(format!("events-{n}.jsonl"));
        std::fs::write(&jsonl, lines.join("\n") + "\n").unwrap();
        // And one reply as mail, in an mbox.
        let (from, to_id) = &threads[rng.usize(..threads.len())];
        let mbox = inbox.join(format!("replies-{n}.mbox"));
        std::fs::write(
            &mbox,
            format!(
                "From {from} Tue Dec 15 08:00:00 2026\n\
                 From: <{from}>\nTo: <rep@northwind.example>\nSubject: Re: hello\n\
                 Message-ID: <load-{n}@mail.example>\nIn-Reply-To: {to_id}\nReferences: {to_id}\n\
                 Date: Tue, 15 Dec 2026 08:00:00 +0000\n\nSounds good, let's talk.\n"
            ),
        )
        .unwrap();
        let args = ["ingest", jsonl.to_str().unwrap(), mbox.to_str().unwrap()];
        let ran = run(db, None, &args);
        problems.check_output("ingest", &args, &ran, &[0]);
        tally.record(ran.elapsed, false);
        let Ok(v) = serde_json::from_str::<Value>(&ran.stdout) else {
            problems.add(format!("ingest: not JSON: {}", ran.stdout));
            continue;
        };
        let mut told = told.lock().unwrap();
        let Some(items) = v["items"].as_array() else {
            problems.add(format!("ingest: no items: {}", ran.stdout));
            continue;
        };
        for line in items {
            if line["error"].is_string() {
                problems.add(format!("ingest could not read an item: {line}"));
            }
            if line["action"] == "ended"
                && let (Some(id), Some(reason)) =
                    (line["enrollment"].as_i64(), text(&line["reason"]))
            {
                told.push(Told::Ended { id, reason });
            }
            for id in ids(&line["colleagues"]) {
                told.push(Told::Ended {
                    id,
                    reason: "colleague_engaged".into(),
                });
            }
        }
    }
    tally
}

// ------------------------------------------------------------ the TUI

fn tui(db: &Path, deadline: Instant, problems: &Problems, told: &Mutex<Vec<Told>>) -> Tally {
    let mut tally = Tally::default();
    let mut h = match Headless::open(
        db,
        Clock::parse(CLOCK).unwrap(),
        Some(TUI_USER),
        (120, 40),
        Theme::plain(),
    ) {
        Ok(h) => h,
        Err(e) => {
            problems.add(format!("the TUI did not open: {e:#}"));
            return tally;
        }
    };
    h.settle();
    let Some(at) = h.app.sequences.list.iter().position(|s| s.name == Q4) else {
        problems.add("the TUI does not list Q4".into());
        return tally;
    };
    h.key("g");
    for _ in 0..at {
        h.key("j");
    }
    h.key("enter").settle();
    let note = |h: &mut Headless, problems: &Problems| -> Option<(Tone, String)> {
        let n = h.app.note.as_ref()?;
        let text = n.text.clone();
        let lower = text.to_lowercase();
        for word in FORBIDDEN {
            if lower.contains(word) {
                problems.add(format!("the TUI says '{word}': {text}"));
            }
        }
        Some((n.tone, text))
    };
    let batch_in = |text: &str| -> Option<String> {
        let at = text.find("batch B")? + "batch ".len();
        Some(
            text[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect(),
        )
    };
    while Instant::now() < deadline {
        // Notice the other processes' changes, as the 250 ms tick does.
        h.tick().settle();
        h.key("ctrl-r").settle();
        if h.app.screen() != Screen::Enrollments {
            problems.add(format!(
                "the TUI left the enrollments: {:?}",
                h.app.screen()
            ));
            break;
        }
        if h.app
            .enrollments
            .as_ref()
            .is_some_and(|e| e.marked_count() > 0)
        {
            h.key("esc");
        }
        h.key("g");
        // Mark three rows, unenroll them (the bulk dialog starts on
        // Cancel; `y` confirms).
        let started = Instant::now();
        h.app.note = None;
        h.keys(&["space", "space", "space"]);
        h.key("u").settle();
        if h.app.dialog.is_none() {
            note(&mut h, problems);
            continue;
        }
        // The first reason (the picker starts with none chosen), confirm.
        h.keys(&["down", "y"]).settle();
        if let Some((tone, text)) = note(&mut h, problems) {
            let refused = tone == Tone::Error;
            tally.record(started.elapsed(), refused);
            if !refused && text.starts_with("Unenrolled") {
                let count = text
                    .trim_start_matches("Unenrolled ")
                    .split(' ')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                if let Some(batch) = batch_in(&text) {
                    told.lock()
                        .unwrap()
                        .push(Told::TuiUnenrolled { batch, count });
                }
            }
        }
        if h.app.dialog.is_some() {
            h.key("esc");
        }
        // Undo it.
        let started = Instant::now();
        h.app.note = None;
        h.key("U");
        if h.app.dialog.is_some() {
            h.key("y").settle();
        }
        if let Some((tone, text)) = note(&mut h, problems) {
            tally.record(started.elapsed(), tone == Tone::Error);
            if let Some(rest) = text.strip_prefix("Undid ") {
                let batch: String = rest.chars().take_while(|c| *c != ':').collect();
                let count = rest
                    .split("restored ")
                    .nth(1)
                    .and_then(|r| r.split(' ').next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                told.lock().unwrap().push(Told::TuiUndid { batch, count });
            }
        }
        if h.app.dialog.is_some() {
            h.key("esc");
        }
    }
    tally
}

// ------------------------------------------------------------ the checks

/// An audit entry made during the test.
#[derive(Debug)]
struct Entry {
    id: i64,
    action: String,
    actor: Option<String>,
    reason: Option<String>,
    detail: String,
    count: i64,
    members: Vec<i64>,
}

/// An enrollment at the end.
#[derive(Debug)]
struct Final {
    contact: i64,
    sequence: i64,
    status: String,
    end_reason: Option<String>,
    batch: Option<String>,
    enrolled_by: String,
    sender: String,
}

fn check_end_state(db: &Path, outbox: &Path, audit_start: i64, told: &[Told]) {
    let conn = common::raw(db);
    // A file's pages checked by SQLite itself (PostgreSQL has no such
    // check of a database; its own constraints hold the tables).
    if conn.dialect() == seqtui::store::Dialect::Sqlite {
        let integrity: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(integrity, "ok");
    }
    common::check_invariants(db);
    let mut ws = Workspace::open(db, Clock::parse(CLOCK).unwrap()).unwrap();
    ws.tidy_all().unwrap();
    drop(ws);
    common::check_tidied(db);

    // Every audit entry written during the test, with its enrollments.
    let mut entries: BTreeMap<i64, Entry> = BTreeMap::new();
    {
        let mut stmt = conn
            .prepare(
                "SELECT a.id, a.action, u.email, a.reason, a.detail, a.count FROM audit a
                 LEFT JOIN users u ON u.id = a.actor_id WHERE a.id > ?1 ORDER BY a.id",
            )
            .unwrap();
        let rows = stmt
            .query_map([audit_start], |r| {
                Ok(Entry {
                    id: r.get(0)?,
                    action: r.get(1)?,
                    actor: r.get(2)?,
                    reason: r.get(3)?,
                    detail: r.get(4)?,
                    count: r.get(5)?,
                    members: Vec::new(),
                })
            })
            .unwrap();
        for e in rows {
            let e = e.unwrap();
            entries.insert(e.id, e);
        }
        let mut stmt = conn
            .prepare(
                "SELECT audit_id, enrollment_id FROM audit_enrollments WHERE audit_id > ?1
                 ORDER BY audit_id, enrollment_id",
            )
            .unwrap();
        for row in stmt
            .query_map([audit_start], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
            })
            .unwrap()
        {
            let (audit, enrollment) = row.unwrap();
            entries
                .get_mut(&audit)
                .expect("audit_enrollments names an audit entry")
                .members
                .push(enrollment);
        }
    }
    let entry_of = |batch: &str| -> &Entry {
        let id: i64 = batch.trim_start_matches('B').parse().unwrap();
        entries
            .get(&id)
            .unwrap_or_else(|| panic!("no audit entry for batch {batch}"))
    };
    // The audit entries after `id` that list enrollment `e`.
    let mut touched: HashMap<i64, Vec<i64>> = HashMap::new();
    for e in entries.values() {
        for m in &e.members {
            touched.entry(*m).or_default().push(e.id);
        }
    }
    let later = |e: i64, after: i64| {
        touched
            .get(&e)
            .is_some_and(|v| v.iter().any(|a| *a > after))
    };

    let mut finals: HashMap<i64, Final> = HashMap::new();
    {
        let mut stmt = conn
            .prepare(
                "SELECT e.id, e.contact_id, e.sequence_id, e.status, e.end_reason, e.batch,
                        ub.email, us.email
                 FROM enrollments e JOIN users ub ON ub.id = e.enrolled_by
                 JOIN users us ON us.id = e.sender_id",
            )
            .unwrap();
        for row in stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    Final {
                        contact: r.get(1)?,
                        sequence: r.get(2)?,
                        status: r.get(3)?,
                        end_reason: r.get(4)?,
                        batch: r.get(5)?,
                        enrolled_by: r.get(6)?,
                        sender: r.get(7)?,
                    },
                ))
            })
            .unwrap()
        {
            let (id, f) = row.unwrap();
            finals.insert(id, f);
        }
    }
    let fin = |id: i64| -> &Final {
        finals
            .get(&id)
            .unwrap_or_else(|| panic!("enrollment {id} is gone"))
    };
    let owner_of = |contact: i64| -> Option<String> {
        conn.query_row(
            "SELECT u.email FROM contacts c LEFT JOIN users u ON u.id = c.owner_id WHERE c.id = ?1",
            [contact],
            |r| r.get(0),
        )
        .unwrap()
    };

    // 1. No update a process was told succeeded is lost: the audit names
    //    exactly what it was told, and the end state still shows it unless
    //    a later audit entry changed that enrollment again.
    let mut transfers: Vec<(i64, &Vec<i64>, &String)> = Vec::new();
    let mut checked = 0;
    for t in told {
        checked += 1;
        match t {
            Told::Enrolled {
                batch,
                ids,
                contact,
                sequence,
            } => {
                let e = entry_of(batch);
                assert_eq!(e.action, "enroll", "{batch}");
                assert_eq!(&e.members, ids, "{batch} lists what enroll reported");
                assert_eq!(ids.len(), 1, "{batch}");
                let f = fin(ids[0]);
                assert_eq!((f.contact, f.sequence), (*contact, *sequence), "{t:?}");
                if !later(ids[0], e.id) {
                    assert_eq!(f.batch.as_deref(), Some(batch.as_str()), "{t:?}: {f:?}");
                    // Only the engine may have moved it on (to finished,
                    // which it does not list).
                    assert!(
                        ["active", "finished"].contains(&f.status.as_str()),
                        "lost enroll {t:?}: now {f:?}"
                    );
                }
            }
            Told::Unenrolled { batch, ids } => {
                let e = entry_of(batch);
                assert_eq!(e.action, "unenroll", "{batch}");
                assert_eq!(
                    sorted(&e.members),
                    sorted(ids),
                    "{batch} lists what unenroll reported"
                );
                for id in ids {
                    let f = fin(*id);
                    if !later(*id, e.id) {
                        assert_eq!(
                            f.status, "unenrolled",
                            "lost unenroll of {id} ({batch}): {f:?}"
                        );
                        assert_eq!(f.batch.as_deref(), Some(batch.as_str()), "{id}: {f:?}");
                        assert_eq!(f.end_reason.as_deref(), Some("not_a_fit"), "{id}");
                    }
                }
            }
            Told::Paused { batch, ids } | Told::Resumed { batch, ids } => {
                let e = entry_of(batch);
                let (action, now) = match t {
                    Told::Paused { .. } => ("pause", &["paused"][..]),
                    _ => ("resume", &["active", "finished"][..]),
                };
                assert_eq!(e.action, action, "{batch}");
                assert_eq!(&e.members, ids, "{batch} lists what {action} reported");
                for id in ids {
                    let f = fin(*id);
                    if !later(*id, e.id) {
                        assert!(
                            now.contains(&f.status.as_str()),
                            "lost {action} of {id} ({batch}): {f:?}"
                        );
                    }
                }
            }
            Told::Undid {
                batch,
                undo_batch,
                ids,
            } => {
                let e = entry_of(undo_batch);
                assert_eq!(e.action, "undo");
                assert_eq!(&e.detail, batch, "{undo_batch} names the batch it undid");
                assert_eq!(sorted(&e.members), sorted(ids), "{undo_batch}");
                let undone = entry_of(batch);
                assert!(
                    ["unenroll", "transfer", "enroll"].contains(&undone.action.as_str()),
                    "{batch} is {}",
                    undone.action
                );
                for id in ids {
                    assert!(undone.members.contains(id), "{id} was not in {batch}");
                    let f = fin(*id);
                    if !later(*id, e.id) {
                        if undone.action == "enroll" {
                            assert_eq!(f.status, "unenrolled", "lost undo of {id}: {f:?}");
                            assert_eq!(f.batch.as_deref(), Some(undo_batch.as_str()));
                        } else {
                            assert!(
                                ["active", "paused", "finished"].contains(&f.status.as_str()),
                                "lost undo of {id} ({undo_batch}): {f:?}"
                            );
                        }
                    }
                }
            }
            Told::Transferred {
                batch,
                contacts,
                to,
                reassigned,
                ended,
            } => {
                let e = entry_of(batch);
                assert_eq!(e.action, "transfer");
                let mut listed = reassigned.clone();
                listed.extend(ended);
                assert_eq!(sorted(&e.members), sorted(&listed), "{batch}");
                for id in reassigned {
                    let f = fin(*id);
                    if !later(*id, e.id) {
                        assert_eq!(
                            (&f.enrolled_by, &f.sender),
                            (to, to),
                            "lost reassign of {id} ({batch}): {f:?}"
                        );
                    }
                }
                for id in ended {
                    let f = fin(*id);
                    if !later(*id, e.id) {
                        assert_eq!(f.status, "unenrolled", "lost transfer end of {id}: {f:?}");
                        assert_eq!(f.end_reason.as_deref(), Some("ownership_changed"));
                        assert_eq!(f.batch.as_deref(), Some(batch.as_str()));
                    }
                }
                transfers.push((e.id, contacts, to));
            }
            Told::Ended { id, reason } => {
                // Automatic ends cannot be undone: nothing may bring it back.
                let f = fin(*id);
                assert_eq!(f.status, "unenrolled", "lost automatic end of {id}: {f:?}");
                assert_eq!(f.end_reason.as_deref(), Some(reason.as_str()), "{id}");
            }
            Told::TuiUnenrolled { batch, count } => {
                let e = entry_of(batch);
                assert_eq!(e.action, "unenroll");
                assert_eq!(e.actor.as_deref(), Some(TUI_USER));
                assert_eq!(e.members.len(), *count, "{batch}: the TUI said {count}");
                for id in &e.members {
                    let f = fin(*id);
                    if !later(*id, e.id) {
                        assert_eq!(f.status, "unenrolled", "lost TUI unenroll {id}: {f:?}");
                        assert_eq!(f.batch.as_deref(), Some(batch.as_str()));
                    }
                }
            }
            Told::TuiUndid { batch, count } => {
                let undo = entries
                    .values()
                    .find(|e| e.action == "undo" && &e.detail == batch)
                    .unwrap_or_else(|| panic!("the TUI undid {batch}: no audit entry"));
                assert_eq!(undo.members.len(), *count, "undo of {batch}");
                assert_eq!(undo.actor.as_deref(), Some(TUI_USER));
            }
        }
    }
    // A contact's owner is the one its last transfer (in audit order) gave.
    transfers.sort_by_key(|(id, _, _)| *id);
    let mut last_owner: HashMap<i64, &String> = HashMap::new();
    for (_, contacts, to) in &transfers {
        for c in contacts.iter() {
            last_owner.insert(*c, to);
        }
    }
    for (c, to) in &last_owner {
        assert_eq!(
            owner_of(*c).as_ref(),
            Some(*to),
            "lost transfer of contact {c}"
        );
    }

    // 2. Every audit entry matches a change.
    let listing = [
        "enroll", "unenroll", "pause", "resume", "undo", "opt_out", "transfer",
    ];
    for e in entries.values() {
        if listing.contains(&e.action.as_str()) {
            assert_eq!(
                e.count,
                e.members.len() as i64,
                "entry {} ({}) counts {} but lists {}",
                e.id,
                e.action,
                e.count,
                e.members.len()
            );
        }
        let batch = format!("B{}", e.id);
        for m in &e.members {
            let f = fin(*m);
            let again = later(*m, e.id);
            match e.action.as_str() {
                "enroll" if !again => {
                    assert_eq!(f.batch.as_deref(), Some(batch.as_str()), "{e:?}: {f:?}")
                }
                "unenroll" | "opt_out" if !again => {
                    assert_eq!(f.status, "unenrolled", "{e:?}: {m} is {f:?}");
                    assert_eq!(f.batch.as_deref(), Some(batch.as_str()), "{e:?}: {f:?}");
                    assert_eq!(f.end_reason, e.reason, "{e:?}: {f:?}");
                }
                "pause" if !again => assert_eq!(f.status, "paused", "{e:?}: {m} is {f:?}"),
                // An undone enroll ends what it made (unenrolled by the undo).
                "undo" if !again && entry_of(&e.detail).action == "enroll" => {
                    assert_eq!(f.status, "unenrolled", "{e:?}: {m} is {f:?}");
                    assert_eq!(f.batch.as_deref(), Some(batch.as_str()), "{e:?}: {f:?}");
                }
                "resume" | "undo" if !again => assert!(
                    ["active", "paused", "finished"].contains(&f.status.as_str()),
                    "{e:?}: {m} is {f:?}"
                ),
                "transfer" if !again => {
                    let ended = f.batch.as_deref() == Some(batch.as_str())
                        && f.status == "unenrolled"
                        && f.end_reason.as_deref() == Some("ownership_changed");
                    let to = e
                        .detail
                        .split(" to ")
                        .nth(1)
                        .and_then(|r| r.split(',').next())
                        .unwrap_or_default();
                    assert!(ended || f.enrolled_by == to, "{e:?}: {m} is {f:?}");
                }
                _ => {}
            }
        }
    }
    // Every change made meanwhile has its entry: each enrollment ended at
    // the clock is listed by the entry of its batch, each new one by its
    // enroll entry.
    let ended_now: Vec<(i64, Option<String>)> = conn
        .prepare("SELECT id, batch FROM enrollments WHERE status = 'unenrolled' AND ended_at = ?1")
        .unwrap()
        .query_map([CLOCK_SQL], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (id, batch) in &ended_now {
        let batch = batch.as_deref().unwrap_or_else(|| {
            panic!(
                "enrollment {id} was unenrolled without a batch: {:?}, listed by {:?}",
                fin(*id),
                touched.get(id)
            )
        });
        assert!(
            entry_of(batch).members.contains(id),
            "enrollment {id} ended in {batch} without being listed there"
        );
    }
    let enrolled_now: Vec<i64> = conn
        .prepare("SELECT id FROM enrollments WHERE enrolled_at = ?1")
        .unwrap()
        .query_map([CLOCK_SQL], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for id in &enrolled_now {
        let first = touched.get(id).and_then(|v| v.first()).map(|a| &entries[a]);
        assert!(
            first.is_some_and(|e| e.action == "enroll"),
            "enrollment {id} was made without an enroll entry: {first:?}"
        );
    }
    // The engine's entries count exactly the steps it executed.
    let run_count: i64 = entries
        .values()
        .filter(|e| e.action == "run")
        .map(|e| e.count)
        .sum();
    let executed: i64 = conn
        .query_row(
            "SELECT count(*) FROM scheduled_steps WHERE executed_at = ?1",
            [CLOCK_SQL],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(run_count, executed, "run entries vs executed steps");

    // A reassigned enrollment's open tasks are its new owner's, also the
    // ones the engine created while the transfer ran.
    let misowned: Vec<(i64, i64)> = conn
        .prepare(
            "SELECT t.id, e.id FROM tasks t JOIN enrollments e ON e.id = t.enrollment_id
             WHERE t.state = 'open' AND e.status IN ('active','paused') AND t.owner_id <> e.enrolled_by",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        misowned.is_empty(),
        "open tasks owned by someone other than their enrollment's owner (task, enrollment): {misowned:?}"
    );

    // 3. Each step sent at most once, each email in the outbox, none left
    //    in the journal.
    let doubled: i64 = conn
        .query_row(
            "SELECT count(*) FROM (SELECT scheduled_step_id FROM sent_emails
             GROUP BY scheduled_step_id HAVING count(*) > 1) AS twice",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(doubled, 0, "a step was sent twice");
    let sent_now: i64 = conn
        .query_row(
            "SELECT count(*) FROM sent_emails WHERE sent_at = ?1",
            [CLOCK_SQL],
            |r| r.get(0),
        )
        .unwrap();
    let files = std::fs::read_dir(outbox.join("new"))
        .map(|d| d.count())
        .unwrap_or(0) as i64;
    assert_eq!(files, sent_now, "outbox files vs emails sent");
    let journal: i64 = conn
        .query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, 0, "messages left in the outbox journal");
    let tui_batches = told
        .iter()
        .filter(|t| matches!(t, Told::TuiUnenrolled { .. }))
        .count();
    let tui_undos = told
        .iter()
        .filter(|t| matches!(t, Told::TuiUndid { .. }))
        .count();
    println!(
        "checked {checked} reported changes ({tui_batches} TUI unenrolls, {tui_undos} TUI undos) and {} audit entries",
        entries.len()
    );
}

fn sorted(v: &[i64]) -> Vec<i64> {
    let mut v = v.to_vec();
    v.sort_unstable();
    v
}
