//! Shared set-up for the TUI tests: a small demo workspace on a fixed clock
//! in a temp dir, and the headless app on it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use seqtui::demo::{DemoOptions, build};
use seqtui::domain::Clock;
use seqtui::tui::{Headless, Theme};

pub const NOW: &str = "2026-11-27T09:00:00Z";

pub fn clock() -> Clock {
    Clock::parse(NOW).unwrap()
}

/// A 300-contact demo workspace (seed 42) in `dir`.
pub fn demo(dir: &Path) -> PathBuf {
    let path = dir.join("demo.db");
    build(
        &path,
        &DemoOptions {
            contacts: 300,
            seed: 42,
            force: false,
        },
        clock(),
    )
    .unwrap();
    path
}

pub fn app(path: &Path, width: u16, height: u16) -> Headless {
    Headless::open(path, clock(), None, (width, height), Theme::colored()).unwrap()
}

pub fn plain_app(path: &Path, width: u16, height: u16) -> Headless {
    Headless::open(path, clock(), None, (width, height), Theme::plain()).unwrap()
}
