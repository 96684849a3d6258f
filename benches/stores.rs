//! SQLite and PostgreSQL side by side on the same workspace (issue 18):
//! the same domain calls, in the same run, on a SQLite file and on a
//! PostgreSQL database loaded from it.
//!
//! ```text
//! seqtui migrate --from m1.db --to postgres://USER@HOST/m1     # load once
//! SEQTUI_BENCH_DB=m1.db SEQTUI_BENCH_PG=postgres://USER@HOST/m1 \
//!     cargo bench --bench stores
//! ```
//!
//! `SEQTUI_BENCH_ONLY=PostgreSQL` (or `SQLite`) measures that store alone.
//! `SEQTUI_BENCH_DB` is copied first (the bulk unenroll writes); the
//! PostgreSQL database is used as it is: the bulk unenroll is undone (its
//! batch, with `undo`) after each round, so the database ends as it began.
//! Measured, each the median of several rounds:
//! - a page of 50 rows in the largest sequence, from its middle;
//! - opening that sequence: its first page (the TUI then reads every id on
//!   a worker, timed beside it);
//! - a filter's first page (owner + status across every sequence);
//! - a bulk unenroll of 100,000 open enrollments, to the result, and its
//!   undo.

use std::path::{Path, PathBuf};

use std::time::{Duration, Instant};

use seqtui::domain::*;

#[path = "figures.rs"]
mod figures;

const NOW: &str = "2026-11-27T09:00:00Z";
const ROUNDS: usize = 7;
const BULK: usize = 100_000;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", figures::ms(d))
}

/// The figures of one store.
struct Figures {
    page: Duration,
    open: Duration,
    ids: Duration,
    filter: Duration,
    unenroll: Duration,
    undo: Duration,
    unenrolled: usize,
}

fn measure(location: &Path, clock: Clock) -> Figures {
    let mut ws = Workspace::open(location, clock).expect("open the workspace");
    let admin = ws
        .users()
        .unwrap()
        .into_iter()
        .find(|u| u.role == Role::Admin)
        .expect("an admin");
    let largest = ws
        .sequences()
        .unwrap()
        .into_iter()
        .max_by_key(|s| s.total)
        .expect("a sequence");
    let query = EnrollmentQuery {
        sequences: vec![largest.id],
        ..Default::default()
    };
    // Opening the sequence: its first page, then every id.
    let mut open = Vec::new();
    let mut ids_time = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let page = ws.enrollment_page(&query, None, 50).unwrap();
        open.push(t.elapsed());
        assert_eq!(page.len(), 50);
        let t = Instant::now();
        ids = ws.enrollment_ids(&query).unwrap();
        ids_time.push(t.elapsed());
    }
    // A page of 50 from the middle (keyset: after the row there).
    let middle = ws
        .enrollment_page(&query, None, ids.len() / 2)
        .unwrap()
        .last()
        .map(|r| r.page_key())
        .expect("a middle row");
    let mut page = Vec::new();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let rows = ws.enrollment_page(&query, Some(&middle), 50).unwrap();
        page.push(t.elapsed());
        assert_eq!(rows.len(), 50);
    }
    // A filter across every sequence: one rep's active enrollments.
    let rep = ws
        .users()
        .unwrap()
        .into_iter()
        .find(|u| u.role == Role::Rep)
        .expect("a rep");
    let filter = Filter::parse(&format!("status:active owner:{}", rep.email)).unwrap();
    let mut filter_time = Vec::new();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let q = ws.resolve(&filter).unwrap();
        let rows = ws.enrollment_page(&q, None, 50).unwrap();
        filter_time.push(t.elapsed());
        assert!(!rows.is_empty());
    }
    // The bulk unenroll: 100,000 open enrollments of the largest sequence,
    // undone after each of three rounds.
    let open_query = EnrollmentQuery {
        sequences: vec![largest.id],
        statuses: vec![Status::Active, Status::Paused],
        ..Default::default()
    };
    let targets: Vec<i64> = ws
        .enrollment_ids(&open_query)
        .unwrap()
        .into_iter()
        .take(BULK)
        .collect();
    let mut unenroll = Vec::new();
    let mut undo = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let report = ws
            .unenroll(
                &admin,
                &UnenrollRequest {
                    enrollments: targets.clone(),
                    reason: EndReason::CampaignEnded,
                    note: None,
                    dry_run: false,
                },
            )
            .expect("unenroll");
        unenroll.push(t.elapsed());
        assert_eq!(report.unenrolled.len(), targets.len());
        let batch = report.batch.expect("a batch");
        let t = Instant::now();
        ws.undo(&admin, &batch).expect("undo the batch");
        undo.push(t.elapsed());
    }
    Figures {
        page: median(page),
        open: median(open),
        ids: median(ids_time),
        filter: median(filter_time),
        unenroll: median(unenroll),
        undo: median(undo),
        unenrolled: targets.len(),
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let clock = Clock::parse(NOW).expect("clock");
    let (Some(file), Some(url)) = (
        std::env::var_os("SEQTUI_BENCH_DB"),
        std::env::var("SEQTUI_BENCH_PG").ok(),
    ) else {
        eprintln!(
            "stores: set SEQTUI_BENCH_DB (a workspace file) and SEQTUI_BENCH_PG (a postgres:// URL loaded from it with `seqtui migrate`)"
        );
        std::process::exit(1);
    };
    // `SEQTUI_BENCH_ONLY=PostgreSQL` (or `SQLite`) measures one store and
    // prints its figures alone: a quick look while working on one of them.
    let only = std::env::var("SEQTUI_BENCH_ONLY").ok();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-stores");
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join("workspace.db");
    let stores = [
        ("SQLite", copy.clone()),
        ("PostgreSQL", PathBuf::from(&url)),
    ];
    let mut results = Vec::new();
    for (name, location) in &stores {
        if only.as_deref().is_some_and(|o| o != *name) {
            continue;
        }
        if *name == "SQLite" {
            std::fs::copy(&file, &copy).expect("copy the workspace");
        }
        println!("measuring {name} …");
        let f = measure(location, clock);
        results.push((name, f));
    }
    if results.len() == 1 {
        let (name, f) = &results[0];
        println!(
            "{name}: page {} · open {} · every id {} · filter {} · unenroll of {} {} · its undo {}",
            ms(f.page),
            ms(f.open),
            ms(f.ids),
            ms(f.filter),
            f.unenrolled,
            ms(f.unenroll),
            ms(f.undo)
        );
        return;
    }
    println!();
    println!("| measure | goal | SQLite | PostgreSQL |");
    println!("|---|---|---|---|");
    let row = |what: &str, goal: &str, get: &dyn Fn(&Figures) -> String| {
        println!(
            "| {what} | {goal} | {} | {} |",
            get(&results[0].1),
            get(&results[1].1)
        );
    };
    row(
        "page of 50 (middle of the largest sequence)",
        "≤ 5 ms",
        &|f| ms(f.page),
    );
    row(
        "open the largest sequence: first page",
        "≤ 100 ms",
        &|f| ms(f.open),
    );
    row("… every id of it (on a worker)", "", &|f| ms(f.ids));
    row(
        "filter's first page (rep + active, all sequences)",
        "≤ 50 ms",
        &|f| ms(f.filter),
    );
    row(
        &format!("bulk unenroll of {} to the result", results[0].1.unenrolled),
        "≤ 2 s",
        &|f| ms(f.unenroll),
    );
    row("its undo, to the result", "", &|f| ms(f.undo));
    for (name, f) in &results {
        let key = name.to_lowercase();
        figures::record(
            &format!("stores_{key}_page_ms"),
            figures::ms(f.page),
            "ms",
            "5",
        );
        figures::record(
            &format!("stores_{key}_open_ms"),
            figures::ms(f.open),
            "ms",
            "100",
        );
        figures::record(
            &format!("stores_{key}_filter_ms"),
            figures::ms(f.filter),
            "ms",
            "50",
        );
        figures::record(
            &format!("stores_{key}_unenroll_ms"),
            figures::ms(f.unenroll),
            "ms",
            "2000",
        );
    }
    let _ = std::fs::remove_file(&copy);
}
