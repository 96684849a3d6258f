//! Scale benchmark of the foundation (issue 2), on the 1,000,000-contact demo:
//!
//! 1. bulk unenroll of every open enrollment (≥ 100,000) of the largest
//!    sequence through the domain (`Workspace::unenroll`), next to the same
//!    change as plain SQL statements (`store::baseline`) on a copy of the
//!    same file, in the same run. Goal: domain ≤ 1.3 × plain SQL.
//! 2. the 50-row page of that sequence in contact-name order at its start,
//!    middle and end. Goal: ≤ 5 ms each.
//!
//! Run: `cargo bench --bench scale` (env `SEQTUI_BENCH_CONTACTS`, default
//! 1,000,000; `SEQTUI_BENCH_ROUNDS`, default 3). The demo file is built once
//! and kept under `target/bench-data/`.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use seqtui::domain::*;

#[path = "figures.rs"]
mod figures;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Copies the workspace (its WAL was checkpointed by the builder).
fn copy(from: &Path, to: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", to.display()));
    }
    std::fs::copy(from, to).expect("copy the workspace");
    // Flush the copy to disk now, so that writing 2 GB back does not run
    // in the background of the next measurement.
    std::fs::File::open(to)
        .and_then(|f| f.sync_all())
        .expect("sync the copy");
}

/// The domain's bulk unenroll of the first `n` enrollments `query` lists
/// (ids selected inside the measured time, as the TUI's Ctrl-a does).
fn unenroll_first(
    ws: &mut Workspace,
    admin: &User,
    query: &EnrollmentQuery,
    n: usize,
) -> UnenrollReport {
    let mut ids = ws.enrollment_ids(query).unwrap();
    ids.truncate(n);
    ws.unenroll(
        admin,
        &UnenrollRequest {
            enrollments: ids,
            reason: EndReason::Stale,
            note: None,
            dry_run: false,
        },
    )
    .unwrap()
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` does not: then
    // only prove the benchmark still builds.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let contacts = env_usize("SEQTUI_BENCH_CONTACTS", 1_000_000);
    let rounds = env_usize("SEQTUI_BENCH_ROUNDS", 3).max(1);
    let clock = Clock::Fixed(Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap());
    // SEQTUI_BENCH_DB: measure copies of that workspace instead.
    let (dir, source) = figures::bench_workspace(contacts, clock);

    let ws = Workspace::open(&source, clock).unwrap();
    let sequence = ws
        .sequences()
        .unwrap()
        .into_iter()
        .max_by_key(|s| s.active + s.paused)
        .unwrap();
    let open = EnrollmentQuery {
        sequences: vec![sequence.id],
        statuses: vec![Status::Active, Status::Paused],
        search: String::new(),
        stale: false,
        ..Default::default()
    };
    let open_count = ws.enrollment_ids(&open).unwrap().len();
    println!(
        "sequence '{}' (id {}): {} open enrollments, {} in all",
        sequence.name, sequence.id, open_count, sequence.total
    );

    // ---- pages: start, middle and end of the sequence, three filters
    println!();
    let mut slowest_median = 0.0f64;
    println!("| page of 50 (ordered by contact name) | filter | median ms | max ms |");
    println!("|---|---|---|---|");
    for (label, statuses) in [
        ("all statuses", vec![]),
        ("active", vec![Status::Active]),
        ("active + paused", vec![Status::Active, Status::Paused]),
    ] {
        let query = EnrollmentQuery {
            sequences: vec![sequence.id],
            statuses,
            search: String::new(),
            stale: false,
            ..Default::default()
        };
        let ids = ws.enrollment_ids(&query).unwrap();
        let key_at = |i: usize| -> Option<PageKey> {
            if i == 0 {
                return None;
            }
            Some(ws.enrollments_by_ids(&[ids[i - 1]]).unwrap()[0].page_key())
        };
        for (place, at) in [
            ("start", 0),
            ("middle", ids.len() / 2),
            ("end", ids.len().saturating_sub(50)),
        ] {
            let key = key_at(at);
            let mut times = Vec::new();
            for _ in 0..50 {
                let t = Instant::now();
                let page = ws.enrollment_page(&query, key.as_ref(), 50).unwrap();
                times.push(t.elapsed());
                assert_eq!(page.len(), 50.min(ids.len() - at));
                assert_eq!(page[0].id, ids[at]);
            }
            let max = *times.iter().max().unwrap();
            let median = ms(median(times));
            slowest_median = slowest_median.max(median);
            println!("| {place} | {label} | {median:.2} | {:.2} |", ms(max));
        }
    }
    drop(ws);
    figures::record(
        "page of 50 enrollments: slowest median of 9 (start/middle/end × 3 filters)",
        slowest_median,
        "ms",
        "≤ 5",
    );

    // ---- bulk unenroll: domain vs plain SQL, on fresh copies each round
    let domain_copy = dir.join("bench-domain.db");
    let plain_copy = dir.join("bench-plain.db");
    let mut domain_times = Vec::new();
    let mut tidy_times = Vec::new();
    let mut hundred_k_times = Vec::new();
    let mut plain_times = Vec::new();
    for round in 0..rounds {
        copy(&source, &plain_copy);
        let mut conn = rusqlite::Connection::open(&plain_copy).unwrap();
        conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;")
            .unwrap();
        let t = Instant::now();
        let changed = seqtui::store::baseline::unenroll_sequence(
            &mut conn,
            sequence.id,
            "stale",
            clock.now(),
        )
        .unwrap();
        plain_times.push(t.elapsed());
        assert_eq!(changed, open_count);
        drop(conn);

        copy(&source, &domain_copy);
        let mut ws = Workspace::open(&domain_copy, clock).unwrap();
        let admin = ws
            .users()
            .unwrap()
            .into_iter()
            .find(|u| u.role == Role::Admin)
            .unwrap();
        let t = Instant::now();
        let report = unenroll_first(&mut ws, &admin, &open, usize::MAX);
        domain_times.push(t.elapsed());
        assert_eq!(report.unenrolled.len(), open_count);
        // What a large batch leaves for after its result: cancelling the
        // scheduled steps and open tasks, in short transactions.
        let t = Instant::now();
        let tidied = ws.tidy_all().unwrap();
        tidy_times.push(t.elapsed());
        assert_eq!(tidied, open_count);
        drop(ws);

        // The figure: 100,000 of them (the first in list order).
        copy(&source, &domain_copy);
        let mut ws = Workspace::open(&domain_copy, clock).unwrap();
        let t = Instant::now();
        let hundred = unenroll_first(&mut ws, &admin, &open, 100_000);
        hundred_k_times.push(t.elapsed());
        assert_eq!(hundred.unenrolled.len(), open_count.min(100_000));
        drop(ws);
        println!(
            "round {}: plain SQL {:.0} ms, domain {:.0} ms + tidy {:.0} ms ({} emails, {} tasks cancelled); 100,000: {:.0} ms",
            round + 1,
            ms(*plain_times.last().unwrap()),
            ms(*domain_times.last().unwrap()),
            ms(*tidy_times.last().unwrap()),
            report.emails_cancelled,
            report.tasks_removed,
            ms(*hundred_k_times.last().unwrap()),
        );
    }
    let (d, p) = (median(domain_times), median(plain_times));
    let (tidy, hundred) = (median(tidy_times), median(hundred_k_times));
    println!();
    println!("| bulk unenroll of {open_count} enrollments | median ms |");
    println!("|---|---|");
    println!("| plain SQL (3 UPDATEs, one transaction) | {:.0} |", ms(p));
    println!(
        "| domain `Workspace::unenroll` (select ids, checks, audit) → result | {:.0} |",
        ms(d)
    );
    println!(
        "| ratio domain / plain (goal ≤ 1.3) | {:.2} |",
        d.as_secs_f64() / p.as_secs_f64()
    );
    println!(
        "| then `tidy_all` (steps and tasks cancelled in short transactions) | {:.0} |",
        ms(tidy)
    );
    println!(
        "| ratio (domain + tidy) / plain: all the work | {:.2} |",
        (d + tidy).as_secs_f64() / p.as_secs_f64()
    );
    println!(
        "| domain unenroll of the first 100,000 → result (goal ≤ 2,000) | {:.0} |",
        ms(hundred)
    );
    figures::record(
        "largest sequence: open enrollments",
        open_count as f64,
        "",
        "≥ 100,000 at 1M",
    );
    figures::record(
        "bulk unenroll, all open of the largest sequence: plain SQL",
        ms(p),
        "ms",
        "",
    );
    figures::record(
        "bulk unenroll, all open of the largest sequence: domain → result",
        ms(d),
        "ms",
        "",
    );
    figures::record(
        "bulk unenroll: ratio domain / plain SQL",
        d.as_secs_f64() / p.as_secs_f64(),
        "×",
        "≤ 1.3",
    );
    figures::record("bulk unenroll: tidy afterwards", ms(tidy), "ms", "");
    figures::record(
        "bulk unenroll of the first 100,000 open (all, when fewer) → result",
        ms(hundred),
        "ms",
        "≤ 2000 for 100,000",
    );
    for path in [&domain_copy, &plain_copy] {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
