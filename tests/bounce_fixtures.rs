//! Every real-shaped bounce under `tests/fixtures/bounces/<system>/`, read
//! through the path `ingest` reads files with (`engine::read_path`), against
//! its `expect.toml`: bounce or not, each failed recipient's address,
//! verdict and reason, and the returned Message-ID.

use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use seqtui::domain::{Inbound, InboundEvent};
use seqtui::engine::read_path;
use serde::Deserialize;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/bounces");

#[derive(Debug, Deserialize)]
struct Expect {
    system: String,
    fixture: Vec<Fixture>,
}

#[derive(Debug, Deserialize)]
struct Fixture {
    file: String,
    signal: String,
    #[serde(default = "yes")]
    bounce: bool,
    #[serde(default)]
    message_id: Option<String>,
    #[serde(default)]
    recipients: Vec<Recipient>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
struct Recipient {
    address: String,
    verdict: String,
    reason: String,
}

fn folders() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(ROOT)
        .expect("tests/fixtures/bounces exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// The one event a fixture file is read as, the way `ingest` reads it.
fn read_event(path: &Path) -> Result<InboundEvent, String> {
    let now = Utc.with_ymd_and_hms(2026, 11, 4, 12, 0, 0).unwrap();
    let mut items = read_path(path, now);
    if items.len() != 1 {
        return Err(format!("read as {} items, not one", items.len()));
    }
    items
        .remove(0)
        .event
        .map_err(|e| format!("unreadable: {e}"))
}

/// What is wrong with one fixture's reading, if anything.
fn check(dir: &Path, f: &Fixture) -> Option<String> {
    let event = match read_event(&dir.join(&f.file)) {
        Ok(e) => e,
        Err(e) => return Some(e),
    };
    let Inbound::Bounce {
        recipients,
        message_ids,
        ..
    } = &event.inbound
    else {
        return f
            .bounce
            .then(|| format!("read as '{}', not a bounce", event.inbound.kind()));
    };
    if !f.bounce {
        return Some(format!("read as a bounce: {recipients:?}"));
    }
    let got: Vec<(String, String, String)> = recipients
        .iter()
        .map(|r| {
            (
                r.address.clone().unwrap_or_default(),
                r.verdict.to_string(),
                r.reason.to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String, String)> = f
        .recipients
        .iter()
        .map(|r| {
            (
                r.address.to_lowercase(),
                r.verdict.clone(),
                r.reason.clone(),
            )
        })
        .collect();
    if got != want {
        let diagnostics: Vec<&str> = recipients.iter().map(|r| r.diagnostic.as_str()).collect();
        return Some(format!(
            "recipients {got:?}, expected {want:?} (diagnostics {diagnostics:?})"
        ));
    }
    if let Some(id) = &f.message_id
        && !message_ids.contains(id)
    {
        return Some(format!(
            "returned Message-IDs {message_ids:?}, expected {id}"
        ));
    }
    None
}

#[test]
fn every_bounce_fixture_reads_as_its_expect_toml_says() {
    let mut failures = Vec::new();
    let mut count = 0;
    let mut systems = 0;
    for dir in folders() {
        let text = std::fs::read_to_string(dir.join("expect.toml"))
            .unwrap_or_else(|e| panic!("{}: expect.toml: {e}", dir.display()));
        let expect: Expect =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: expect.toml: {e}", dir.display()));
        assert!(
            !expect.system.trim().is_empty(),
            "{}: no system",
            dir.display()
        );
        systems += 1;
        // Every message file of the folder is listed (none goes untested).
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".eml") || n.ends_with(".json"))
            .collect();
        files.sort();
        for file in &files {
            if !expect.fixture.iter().any(|f| &f.file == file) {
                failures.push(format!("{}/{file}: not in expect.toml", dir.display()));
            }
        }
        for f in &expect.fixture {
            count += 1;
            assert!(!f.signal.trim().is_empty(), "{}: no signal", f.file);
            if f.bounce {
                assert!(
                    !f.recipients.is_empty(),
                    "{}: a bounce names recipients",
                    f.file
                );
            }
            if let Some(why) = check(&dir, f) {
                let system = dir.file_name().unwrap().to_string_lossy();
                failures.push(format!(
                    "{system}/{}: {why}\n    signal: {}",
                    f.file, f.signal
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} fixtures in {systems} systems fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(count >= 80, "only {count} fixtures");
    assert!(systems >= 12, "only {systems} systems");
}
