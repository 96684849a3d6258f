//! TUI latency benchmark: drives the real app headlessly on ratatui's
//! `TestBackend` (120×40) over a demo workspace and times what a person
//! feels — first frame, opening the largest sequence, key → next frame
//! while scrolling, marking and typing a filter, Ctrl-a, and the dry run +
//! confirm of unenrolling everything marked. Then, on a workspace of its
//! own, the Tasks view's first page read and first frame with 50,000 open
//! tasks for the acting user (`SEQTUI_BENCH_TASKS=N` for another number,
//! 0 to skip).
//!
//! ```text
//! cargo bench --bench tui                                  # 100,000 contacts
//! SEQTUI_BENCH_CONTACTS=1000000 cargo bench --bench tui    # the 1M demo
//! SEQTUI_BENCH_DB=/tmp/big.db cargo bench --bench tui      # copy of an existing workspace
//! SEQTUI_BENCH_MARK=100000 …                                # mark the first N rows (a range) instead of Ctrl-a
//! ```
//!
//! `SEQTUI_BENCH_SEQUENCE=NAME` measures that sequence instead of the
//! largest; `SEQTUI_BENCH_CHIP=all` marks every status instead of the
//! active ones; `SEQTUI_BENCH_SKIP_DOMAIN=1` skips the domain-call timings;
//! `SEQTUI_BENCH_SKIP_SORT=1` the sorted first pages (issue 14).
//!
//! "key → frame" is `update` plus `view` on the test backend: everything
//! the UI thread does between a key press and the next frame. Work handed
//! to a worker (a text filter's scan, the unenroll) is timed separately as
//! "until shown".

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use seqtui::demo::{DemoOptions, build};
use seqtui::domain::{
    Clock, ContactInput, EnrollmentQuery, Filter, NewStep, Sort, SortKey, Status, StepKind,
    Workspace,
};
#[path = "figures.rs"]
mod figures;

use seqtui::tui::{Headless, Theme};

const NOW: &str = "2026-11-27T09:00:00Z";
const SIZE: (u16, u16) = (120, 40);

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs us too and
    // should stay quick, so do nothing then.
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let clock = Clock::parse(NOW).expect("fixed clock");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = workspace(dir.path(), clock);
    println!("workspace: {}", path.display());
    let mut table = Table::default();

    if std::env::var_os("SEQTUI_BENCH_SORT_MATRIX").is_some() {
        sort_matrix(&path, clock);
        return;
    }
    if std::env::var_os("SEQTUI_BENCH_SKIP_DOMAIN").is_none() {
        domain_calls(&path, clock, &mut table);
    }
    if std::env::var_os("SEQTUI_BENCH_SKIP_FIRST_PAGE").is_none() {
        filter_first_page(&path, clock);
    }
    if std::env::var_os("SEQTUI_BENCH_SKIP_SORT").is_none() {
        sorted_first_page(&path, clock);
    }
    println!("rss before the app: {}", rss_now());

    // Start: open the workspace, build the app, draw the first frame.
    let started = Instant::now();
    let mut ui = Headless::open(&path, clock, None, SIZE, Theme::colored()).expect("open");
    ui.draw();
    table.one("first frame after start", started.elapsed());
    let started = Instant::now();
    ui.settle().draw();
    table.one("sequences listed (after first frame)", started.elapsed());
    println!("rss after start: {}", rss_now());

    // The largest sequence, or the one SEQTUI_BENCH_SEQUENCE names.
    let wanted = std::env::var("SEQTUI_BENCH_SEQUENCE").ok();
    let largest = ui
        .app
        .sequences
        .list
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            wanted
                .as_ref()
                .is_none_or(|w| s.name.eq_ignore_ascii_case(w))
        })
        .max_by_key(|(_, s)| s.total)
        .map(|(i, s)| (i, s.name.clone(), s.active, s.total))
        .expect("a sequence");
    println!(
        "sequence: '{}' ({} active of {} enrollments)",
        largest.1, largest.2, largest.3
    );
    ui.key("g");
    for _ in 0..largest.0 {
        ui.key("j");
    }
    let started = Instant::now();
    ui.key("enter");
    // The first rows on screen, then every job Enter started (the chip
    // counts, every id of the list) done.
    let deadline = Instant::now() + Duration::from_secs(600);
    while ui
        .app
        .enrollments
        .as_ref()
        .is_none_or(|e| e.rows.is_empty())
        && Instant::now() < deadline
    {
        ui.pump();
        std::thread::yield_now();
    }
    ui.draw();
    table.one(
        "open the largest sequence: first rows on screen",
        started.elapsed(),
    );
    ui.settle().draw();
    table.one("open the largest sequence (active chip)", started.elapsed());
    println!("rss after opening it: {}", rss_now());

    // Scrolling.
    let mut j = Vec::new();
    for _ in 0..200 {
        j.push(timed(&mut ui, "j"));
    }
    table.many("key → frame: j (down)", j);
    let mut pages = Vec::new();
    for _ in 0..100 {
        pages.push(timed(&mut ui, "pagedown"));
    }
    table.many("key → frame: PageDown", pages);
    let mut bottom = Vec::new();
    for key in ["G", "g", "G", "g", "G", "g"] {
        bottom.push(timed(&mut ui, key));
    }
    table.many("key → frame: G / g (ends of the list)", bottom);

    // Marking.
    let mut space = Vec::new();
    for _ in 0..200 {
        space.push(timed(&mut ui, "space"));
    }
    table.many("key → frame: space (mark, move down)", space);
    ui.key("esc");

    // Status chips: every chip, including "all".
    let mut chips = Vec::new();
    for _ in 0..5 {
        chips.push(timed(&mut ui, "s"));
    }
    table.many(
        "key → frame: s (next status chip; ids load on the reader)",
        chips,
    );

    // Typing a filter: the keystroke itself, and until the matches show.
    ui.key("/");
    let mut typing = Vec::new();
    let mut shown = Vec::new();
    for c in "ana".chars() {
        let started = Instant::now();
        ui.type_text(&c.to_string()).draw();
        typing.push(started.elapsed());
        ui.settle().draw();
        shown.push(started.elapsed());
    }
    table.many("key → frame: typing a filter character", typing);
    table.many("filter character → matches shown (worker)", shown);
    let mut clear = Vec::new();
    for _ in 0..3 {
        clear.push(timed(&mut ui, "backspace"));
        ui.settle();
    }
    table.many("key → frame: backspace in the filter", clear);
    ui.key("esc").settle();

    // On the active chip (or SEQTUI_BENCH_CHIP), mark all.
    let chip = std::env::var("SEQTUI_BENCH_CHIP").unwrap_or_else(|_| "active".into());
    while ui
        .app
        .enrollments
        .as_ref()
        .is_some_and(|e| e.chip.label() != chip)
    {
        ui.key("s").settle();
    }
    match std::env::var("SEQTUI_BENCH_MARK")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
    {
        // Mark the first N rows with a range: g, v, move down to row N, v.
        Some(n) => {
            ui.key("g").key("v");
            let at = |ui: &Headless| ui.app.enrollments.as_ref().map_or(0, |e| e.cursor.selected);
            while at(&ui) + 1 < n {
                let before = at(&ui);
                ui.key("pagedown");
                if at(&ui) == before {
                    break;
                }
            }
            while at(&ui) + 1 > n {
                ui.key("k");
            }
            let started = Instant::now();
            ui.key("v").draw();
            table.one("key → frame: v (mark the range)", started.elapsed());
        }
        None => {
            let started = Instant::now();
            ui.key("ctrl-a").draw();
            table.one("key → frame: ctrl-a (mark every match)", started.elapsed());
        }
    }
    let marked = ui.app.enrollments.as_ref().map_or(0, |e| e.marks.len());
    println!("marked: {marked}; rss: {}", rss_now());
    let mut after = Vec::new();
    for _ in 0..50 {
        after.push(timed(&mut ui, "j"));
    }
    table.many("key → frame: j with everything marked", after);

    // Unenroll everything marked: the dialog opens at once; the dry run and
    // the unenroll run on workers while the UI keeps drawing.
    let started = Instant::now();
    ui.key("u").draw();
    table.one(
        "key → frame: u (dialog opens, dry run starts)",
        started.elapsed(),
    );
    let longest = keep_drawing_until_settled(&mut ui);
    table.one("dry run shown in the dialog", started.elapsed());
    table.one("longest frame gap while the dry run ran", longest);
    println!("rss after the dry run: {}", rss_now());
    ui.key("j");
    let started = Instant::now();
    ui.key("y").draw();
    table.one("key → frame: y (confirm, worker starts)", started.elapsed());
    let longest = keep_drawing_until_settled(&mut ui);
    table.one(
        &format!("unenroll {marked} → result shown"),
        started.elapsed(),
    );
    table.one("longest frame gap while unenrolling", longest);
    if let Some(note) = &ui.app.note {
        println!("result: {}", note.text);
    }
    println!("rss after the unenroll: {}", rss_now());
    drop(ui);
    tasks_view(dir.path(), clock, &mut table);
    table.print();
    table.record_figures();
    if let Some(rss) = resident_kib() {
        println!("peak resident memory of this process: {} MiB", rss / 1024);
        figures::record(
            "TUI (headless): peak resident memory of the process",
            (rss / 1024) as f64,
            "MiB",
            "≤ 150",
        );
    }
}

/// The Tasks view with `SEQTUI_BENCH_TASKS` (default 50,000) open tasks for
/// the acting user: a workspace whose one sequence starts with a call,
/// every contact enrolled and the engine run once (through the domain and
/// the engine, as `seqtui run` does). Times the first page read plus the
/// first frame after `7`.
fn tasks_view(dir: &Path, clock: Clock, table: &mut Table) {
    let n: usize = std::env::var("SEQTUI_BENCH_TASKS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(50_000);
    if n == 0 {
        return;
    }
    let path = dir.join("tasks.db");
    let started = Instant::now();
    let mut ws = Workspace::create(&path, clock, "Tasks bench", "rep@bench.example", "Rita Rep")
        .expect("create");
    let rep = ws.acting_user(None).expect("user");
    let steps = [
        NewStep {
            kind: StepKind::Call,
            delay_days: 0,
            subject: String::new(),
            body: String::new(),
            title: "Call {{first_name}}".into(),
        },
        NewStep {
            kind: StepKind::AutoEmail,
            delay_days: 2,
            subject: "After our call, {{first_name}}".into(),
            body: "Hello {{first_name}}".into(),
            title: String::new(),
        },
    ];
    let sequence = ws
        .create_sequence(&rep, "Calls first", &steps, false)
        .expect("sequence");
    let rows: Vec<ContactInput> = (0..n)
        .map(|i| ContactInput {
            line: i as u64 + 2,
            email_column: "email".into(),
            email: format!("person{i:06}@company{}.example", i % 997),
            first_name: Some(format!("Person{i:06}")),
            last_name: Some("Bench".into()),
            company: Some(format!("Company {}", i % 997)),
            ..Default::default()
        })
        .collect();
    ws.import_contacts(&rep, &rows).expect("import");
    let ids = ws
        .contact_ids(&Filter::parse("").expect("empty filter"), None)
        .expect("contacts");
    ws.enroll(&rep, sequence.id, &ids).expect("enroll");
    let outbox = dir.join("tasks-outbox");
    let mut created = 0;
    loop {
        let report = seqtui::engine::outbox::run_once(&mut ws, &outbox).expect("run");
        if report.tasks_created == 0 {
            break;
        }
        created += report.tasks_created;
    }
    drop(ws);
    println!(
        "built {created} open tasks in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut ui = Headless::open(&path, clock, None, SIZE, Theme::colored()).expect("open");
    ui.settle().draw();
    let started = Instant::now();
    ui.key("7").settle().draw();
    let first = started.elapsed();
    table.one(
        &format!("Tasks view: first page read + first frame, {created} open tasks"),
        first,
    );
    figures::record(
        &format!("TUI Tasks view: first page read + first frame, {created} open tasks"),
        first.as_secs_f64() * 1000.0,
        "ms",
        "≤ 100",
    );
    let started = Instant::now();
    ui.key("G").settle().draw();
    table.one("Tasks view: G (next page read + frame)", started.elapsed());
}

/// The workspace to measure: a copy of `SEQTUI_BENCH_DB`, or a new demo of
/// `SEQTUI_BENCH_CONTACTS` contacts (default 100,000).
fn workspace(dir: &Path, clock: Clock) -> PathBuf {
    let path = dir.join("bench.db");
    if let Ok(source) = std::env::var("SEQTUI_BENCH_DB") {
        let started = Instant::now();
        std::fs::copy(&source, &path).expect("copy the workspace");
        println!(
            "copied {source} in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        return path;
    }
    let contacts = std::env::var("SEQTUI_BENCH_CONTACTS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(100_000);
    let started = Instant::now();
    let report = build(
        &path,
        &DemoOptions {
            contacts,
            seed: 42,
            force: false,
        },
        clock,
    )
    .expect("build the demo workspace");
    println!(
        "built a demo of {} contacts, {} enrollments in {:.1} s",
        report.contacts,
        report.enrollments,
        started.elapsed().as_secs_f64()
    );
    path
}

/// What the domain calls the TUI makes cost on their own.
fn domain_calls(path: &Path, clock: Clock, table: &mut Table) {
    let ws = Workspace::open(path, clock).expect("open");
    let mut runs = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let _ = ws.sequences().expect("sequences");
        runs.push(started.elapsed());
    }
    table.many("domain: sequences() (3 runs)", runs);
    let sequences = ws.sequences().expect("sequences");
    let Some(largest) = sequences.iter().max_by_key(|s| s.total) else {
        return;
    };
    for (label, statuses) in [("active", vec![Status::Active]), ("all", Vec::new())] {
        let query = EnrollmentQuery {
            sequences: vec![largest.id],
            statuses,
            search: String::new(),
            stale: false,
            ..Default::default()
        };
        let started = Instant::now();
        let ids = ws.enrollment_ids(&query).expect("ids");
        table.one(
            &format!("domain: enrollment_ids({label}) → {}", ids.len()),
            started.elapsed(),
        );
        let window: Vec<i64> = ids.iter().take(114).copied().collect();
        let started = Instant::now();
        let rows = ws.enrollments_by_ids(&window).expect("rows");
        table.one(
            &format!("domain: enrollments_by_ids({})", rows.len()),
            started.elapsed(),
        );
        if let Some(row) = rows.first() {
            let started = Instant::now();
            let _ = ws.contact_detail(row.contact_id).expect("detail");
            table.one("domain: contact_detail()", started.elapsed());
        }
    }
    let started = Instant::now();
    let _ = ws.data_version();
    table.one("domain: data_version()", started.elapsed());
    let started = Instant::now();
    let found = ws.search_contacts("ana", 500).expect("search");
    table.one(
        &format!("domain: search_contacts(\"ana\") → {}", found.len()),
        started.elapsed(),
    );
    let started = Instant::now();
    let _ = ws.audit(None, 1000).expect("audit");
    table.one("domain: audit(1000)", started.elapsed());
}

/// Criterion: a character typed in the largest sequence's filter (active
/// chip) → its first page of matches on screen, through the real app: the
/// key, the reader's first-page walk (`Job::EnrollmentPage`), the frame.
/// The ids of every match, which follow, are waited for outside the timing.
/// `SEQTUI_BENCH_SKIP_FIRST_PAGE=1` skips it.
fn filter_first_page(path: &Path, clock: Clock) {
    let mut ui = Headless::open(path, clock, None, SIZE, Theme::colored()).expect("open");
    ui.settle();
    let Some(at) = ui
        .app
        .sequences
        .list
        .iter()
        .enumerate()
        .max_by_key(|(_, s)| s.total)
        .map(|(i, _)| i)
    else {
        return;
    };
    ui.key("g");
    for _ in 0..at {
        ui.key("j");
    }
    ui.key("enter").settle();
    while ui
        .app
        .enrollments
        .as_ref()
        .is_some_and(|e| e.chip.label() != "active")
    {
        ui.key("s").settle();
    }
    let active = ui.app.enrollments.as_ref().map_or(0, |e| e.ids.len());
    ui.key("/");
    let mut c = criterion::Criterion::default()
        .configure_from_args()
        .sample_size(10);
    // "an" is common, "zq" matches nobody (the walk reads the whole range).
    for needle in ["an", "zq"] {
        let (first, last) = needle.split_at(needle.len() - 1);
        ui.type_text(first).settle();
        c.bench_function(
            &format!("key '{last}' after '{first}' → first page of matches ({active} active)"),
            |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let started = Instant::now();
                        ui.type_text(last);
                        while ui
                            .app
                            .enrollments
                            .as_ref()
                            .is_some_and(|e| e.pending.is_some() && !e.provisional)
                        {
                            ui.pump();
                            std::thread::yield_now();
                        }
                        ui.draw();
                        total += started.elapsed();
                        ui.settle().key("backspace").settle();
                    }
                    total
                })
            },
        );
        for _ in 0..first.chars().count() {
            ui.key("backspace");
        }
        ui.settle();
    }
    c.final_summary();
}

/// Criterion (issue 14): the first page (100 rows) of the largest
/// sequence's list sorted by next due — the domain call on its open and
/// its active rows, every sort key's, and through the real app: `>` in the
/// list (every status) → the first page of the new order on screen (its
/// ids, which follow, waited for outside the timing). Goal: ≤ 50 ms on the
/// 1M demo. `SEQTUI_BENCH_SKIP_SORT=1` skips it.
/// `SEQTUI_BENCH_SORT_MATRIX=1`: the first page of 100 of the largest
/// sequence for every sort key, status chip and direction (median of five
/// calls after one), as a Markdown table; nothing else is measured.
fn sort_matrix(path: &Path, clock: Clock) {
    let ws = Workspace::open(path, clock).expect("open");
    let largest = ws
        .sequences()
        .expect("sequences")
        .into_iter()
        .max_by_key(|s| s.total)
        .expect("a sequence");
    // Row by row only (every walk before the set walk), then as shipped.
    for (label, probe) in [
        ("row by row only", usize::MAX),
        ("as shipped", seqtui::store::queries::PROBE_ROWS_DEFAULT),
    ] {
        println!(
            "first page of 100, ms, '{}' ({} enrolled), {label}",
            largest.name, largest.total
        );
        seqtui::store::queries::with_probe_rows(probe, || matrix(&ws, largest.id));
    }
}

fn matrix(ws: &Workspace, sequence: i64) {
    let chips: [(&str, Vec<Status>); 5] = [
        ("active", vec![Status::Active]),
        ("paused", vec![Status::Paused]),
        ("finished", vec![Status::Finished]),
        ("unenrolled", vec![Status::Unenrolled]),
        ("open", vec![Status::Active, Status::Paused]),
    ];
    let names: Vec<&str> = chips.iter().map(|c| c.0).collect();
    println!("| key | order | {} |", names.join(" | "));
    println!("|---|---|{}", "---|".repeat(chips.len()));
    for key in [
        SortKey::NextDue,
        SortKey::Step,
        SortKey::LastEngagement,
        SortKey::EnrolledAt,
    ] {
        for descending in [false, true] {
            let mut cells = Vec::new();
            for (_, statuses) in &chips {
                let query = EnrollmentQuery {
                    sequences: vec![sequence],
                    statuses: statuses.clone(),
                    sort: Sort::new(key, descending),
                    ..EnrollmentQuery::default()
                };
                ws.enrollment_page(&query, None, 100).expect("page");
                let mut times: Vec<Duration> = (0..5)
                    .map(|_| {
                        let started = Instant::now();
                        ws.enrollment_page(&query, None, 100).expect("page");
                        started.elapsed()
                    })
                    .collect();
                times.sort();
                cells.push(format!("{:.1}", times[2].as_secs_f64() * 1000.0));
            }
            let order = if descending {
                "descending"
            } else {
                "ascending"
            };
            println!("| {key:?} | {order} | {} |", cells.join(" | "));
        }
    }
}

fn sorted_first_page(path: &Path, clock: Clock) {
    let ws = Workspace::open(path, clock).expect("open");
    let Some(largest) = ws
        .sequences()
        .expect("sequences")
        .into_iter()
        .max_by_key(|s| s.total)
    else {
        return;
    };
    let mut c = criterion::Criterion::default()
        .configure_from_args()
        .sample_size(20);
    let cases: [(&str, Vec<Status>, Sort); 6] = [
        (
            "next due, open",
            vec![Status::Active, Status::Paused],
            Sort::new(SortKey::NextDue, false),
        ),
        (
            "next due, every status",
            vec![],
            Sort::new(SortKey::NextDue, false),
        ),
        (
            "next due descending, active",
            vec![Status::Active],
            Sort::new(SortKey::NextDue, true),
        ),
        (
            "step, active",
            vec![Status::Active],
            Sort::new(SortKey::Step, false),
        ),
        (
            "last engagement, active",
            vec![Status::Active],
            Sort::new(SortKey::LastEngagement, true),
        ),
        (
            "enrolled at, active",
            vec![Status::Active],
            Sort::new(SortKey::EnrolledAt, false),
        ),
    ];
    for (label, statuses, sort) in cases {
        let query = EnrollmentQuery {
            sequences: vec![largest.id],
            statuses,
            sort,
            ..EnrollmentQuery::default()
        };
        c.bench_function(
            &format!(
                "domain: first page sorted by {label} ({} enrolled)",
                largest.total
            ),
            |b| b.iter(|| ws.enrollment_page(&query, None, 100).expect("page")),
        );
    }
    drop(ws);

    let mut ui = Headless::open(path, clock, None, SIZE, Theme::colored()).expect("open");
    ui.settle();
    let Some(at) = ui
        .app
        .sequences
        .list
        .iter()
        .position(|s| s.id == largest.id)
    else {
        return;
    };
    ui.key("g");
    for _ in 0..at {
        ui.key("j");
    }
    ui.key("enter").settle();
    ui.key("S").settle(); // every status
    c.bench_function(
        &format!(
            "key '>' → first page sorted by next due on screen ({} enrolled)",
            largest.total
        ),
        |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let started = Instant::now();
                    ui.key(">");
                    while ui
                        .app
                        .enrollments
                        .as_ref()
                        .is_some_and(|e| e.pending.is_some() && !e.provisional)
                    {
                        ui.pump();
                        std::thread::yield_now();
                    }
                    ui.draw();
                    total += started.elapsed();
                    // Back to the contact order.
                    ui.settle().key("<").settle();
                }
                total
            })
        },
    );
    c.final_summary();
}

/// One key, then one frame.
fn timed(ui: &mut Headless, key: &str) -> Duration {
    let started = Instant::now();
    ui.key(key).draw();
    started.elapsed()
}

/// Draws a frame every 10 ms (as the event loop does while a spinner is
/// up) until the workers are done; returns the longest draw + pump.
fn keep_drawing_until_settled(ui: &mut Headless) -> Duration {
    let mut longest = Duration::ZERO;
    let deadline = Instant::now() + Duration::from_secs(600);
    while ui.app.waiting() && Instant::now() < deadline {
        let started = Instant::now();
        ui.pump().draw();
        longest = longest.max(started.elapsed());
        std::thread::sleep(Duration::from_millis(10));
    }
    ui.pump().draw();
    longest
}

#[derive(Default)]
struct Table {
    rows: Vec<(String, usize, Duration, Duration)>,
}

impl Table {
    fn one(&mut self, what: &str, d: Duration) {
        self.rows.push((what.to_string(), 1, d, d));
    }

    fn many(&mut self, what: &str, mut ds: Vec<Duration>) {
        if ds.is_empty() {
            return;
        }
        ds.sort();
        let median = ds[ds.len() / 2];
        let max = ds[ds.len() - 1];
        self.rows.push((what.to_string(), ds.len(), median, max));
    }

    /// The headline figures for the scale suite (see `figures.rs`).
    fn record_figures(&self) {
        let find = |prefix: &str| self.rows.iter().find(|r| r.0.starts_with(prefix));
        for (prefix, name, goal) in [
            (
                "first frame after start",
                "first frame after start",
                "≤ 200",
            ),
            (
                "open the largest sequence",
                "open the largest sequence",
                "≤ 100",
            ),
            (
                "filter character → matches shown",
                "filter character → matches shown",
                "",
            ),
            (
                "dry run shown in the dialog",
                "u → dry run shown in the dialog",
                "",
            ),
            (
                "unenroll ",
                "Ctrl-a, u, y on the largest sequence's active rows → result",
                "≤ 2000 for 100,000",
            ),
            (
                "longest frame gap while unenrolling",
                "longest frame gap while unenrolling",
                "≤ 100",
            ),
        ] {
            if let Some((_, _, median, _)) = find(prefix) {
                figures::record(&format!("TUI: {name}"), figures::ms(*median), "ms", goal);
            }
        }
        let keys: Vec<_> = self
            .rows
            .iter()
            .filter(|r| r.0.starts_with("key → frame"))
            .collect();
        if let Some(worst) = keys.iter().map(|r| figures::ms(r.2)).reduce(f64::max) {
            figures::record(
                "TUI: key → frame, slowest median of every measured key",
                worst,
                "ms",
                "≤ 16",
            );
        }
        if let Some(worst) = keys.iter().map(|r| figures::ms(r.3)).reduce(f64::max) {
            figures::record(
                "TUI: key → frame, the single slowest press (max)",
                worst,
                "ms",
                "≤ 16",
            );
        }
    }

    fn print(&self) {
        let width = self
            .rows
            .iter()
            .map(|r| r.0.chars().count())
            .max()
            .unwrap_or(10);
        println!();
        println!(
            "{:width$}  {:>5}  {:>10}  {:>10}",
            "measure", "n", "median ms", "max ms"
        );
        for (what, n, median, max) in &self.rows {
            println!(
                "{what:width$}  {n:>5}  {:>10.2}  {:>10.2}",
                median.as_secs_f64() * 1000.0,
                max.as_secs_f64() * 1000.0
            );
        }
    }
}

/// Peak resident set size (VmHWM) on Linux.
fn resident_kib() -> Option<u64> {
    status_kib("VmHWM:")
}

/// Resident set size now, in MiB, for the phase log.
fn rss_now() -> String {
    let mib = |field| status_kib(field).map_or_else(|| "?".into(), |k| format!("{} MiB", k / 1024));
    format!("{} (peak so far {})", mib("VmRSS:"), mib("VmHWM:"))
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
