//! Issue 18, the TUI on PostgreSQL when the server closes its connection
//! (a restart, a failover, an idle cut-off): its reader opens the workspace
//! again and live refresh carries on, instead of showing "connection
//! closed" until the person quits. Against a real cluster started by the
//! test (tests/support/postgres.rs). Its own test binary: it sets
//! PGPASSWORD for the app this process runs.

mod common;
mod support;
mod tui_support;

use std::path::Path;
use std::time::{Duration, Instant};

use common::cli::{Run, on_cluster, output};
use seqtui::tui::{Headless, Theme};
use support::postgres::Postgres;

fn seqtui(url: &str, pg: &Postgres, args: &[&str]) -> Run {
    let run = output(on_cluster(url, &pg.dir().join("home"), pg.password).args(args));
    assert_eq!(run.code, 0, "{args:?}: {}{}", run.stdout, run.stderr);
    run
}

#[test]
fn the_tui_opens_its_connection_again_after_the_server_closed_it() {
    let pg = Postgres::start();
    let url = pg.database("team");
    seqtui(&url, &pg, &["demo", "--contacts", "60"]);
    // SAFETY: this test binary has one test, and sets the variable before
    // any thread of its own reads the environment.
    unsafe {
        std::env::set_var("PGPASSWORD", pg.password);
        std::env::set_var("PGPASSFILE", pg.dir().join("no-pgpass"));
    }
    let mut app = Headless::open(
        Path::new(&url),
        tui_support::clock(),
        None,
        (120, 40),
        Theme::plain(),
    )
    .unwrap();
    app.settle().key("3").settle();
    let before = app.screen();

    // The server ends every session of the app's.
    pg.client("team")
        .unwrap()
        .batch_execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE datname = 'team' AND pid <> pg_backend_pid()",
        )
        .unwrap();
    // Another user changes something meanwhile: ends an open enrollment.
    let open = seqtui(
        &url,
        &pg,
        &[
            "--json",
            "enrollments",
            "--status",
            "active",
            "--limit",
            "1",
        ],
    );
    let open = serde_json::from_str::<serde_json::Value>(&open.stdout).unwrap()[0]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let changed = seqtui(
        &url,
        &pg,
        &[
            "--json",
            "--now",
            tui_support::NOW,
            "unenroll",
            "--enrollment",
            &open,
            "--reason",
            "other",
        ],
    );
    let batch = serde_json::from_str::<serde_json::Value>(&changed.stdout).unwrap()["batch"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!before.contains(&batch), "{before}");

    // Within a few ticks the reader is back and the change is on screen.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut screen = String::new();
    while Instant::now() < deadline {
        app.tick().settle();
        screen = app.screen();
        if screen.contains(&batch) {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(
        screen.contains(&batch),
        "the change never showed:\n{screen}"
    );
    assert!(!screen.contains("connection closed"), "{screen}");
}
