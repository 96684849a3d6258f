//! Machine-readable figures for `benches/scale-suite.sh`: when
//! `SEQTUI_BENCH_FIGURES` names a file, each bench appends one line per
//! headline figure, `name<TAB>value<TAB>unit<TAB>goal`. Included by each
//! bench with `#[path = "figures.rs"] mod figures;`.

use std::io::Write;

#[allow(dead_code)]
pub fn record(name: &str, value: f64, unit: &str, goal: &str) {
    let Some(path) = std::env::var_os("SEQTUI_BENCH_FIGURES") else {
        return;
    };
    let line = format!("{name}\t{value:.2}\t{unit}\t{goal}\n");
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(line.as_bytes()));
    if let Err(e) = written {
        eprintln!("cannot record a figure in {}: {e}", path.to_string_lossy());
    }
}

/// Milliseconds, for recording durations.
#[allow(dead_code)]
pub fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Where benches keep their data (`target/tmp/bench-data`), and the
/// workspace to measure: `SEQTUI_BENCH_DB`, or the demo of `contacts`
/// contacts there, built once.
#[allow(dead_code)]
pub fn bench_workspace(
    contacts: usize,
    clock: seqtui::domain::Clock,
) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let source = std::env::var_os("SEQTUI_BENCH_DB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.join(format!("demo-{contacts}.db")));
    if !source.exists() {
        let started = std::time::Instant::now();
        let report = seqtui::demo::build(
            &source,
            &seqtui::demo::DemoOptions {
                contacts,
                seed: 42,
                force: true,
            },
            clock,
        )
        .expect("build the demo workspace");
        println!(
            "built demo: {} contacts, {} enrollments in {:.1} s",
            report.contacts,
            report.enrollments,
            started.elapsed().as_secs_f64()
        );
    }
    (dir, source)
}
