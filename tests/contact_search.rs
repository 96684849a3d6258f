//! Ranked fuzzy contact search (issue 14): "emly chn" puts Emily Chen
//! first on a 3,000-contact demo, in the domain and in the Contacts view;
//! the store narrows the candidates through indexes (never a walk of every
//! contact), and the pickers filter with the same matcher.

use std::path::{Path, PathBuf};

use seqtui::demo::{DemoOptions, build};
use seqtui::domain::fuzzy::Fuzzy;
use seqtui::domain::{Clock, ContactInput, Workspace};
use seqtui::tui::{Headless, Theme};

const NOW: &str = "2026-11-27T09:00:00Z";

fn clock() -> Clock {
    Clock::parse(NOW).unwrap()
}

/// The 3,000-contact demo with one Emily Chen added (the demo may have
/// its own too: any of them first will do).
fn demo_with_emily(dir: &Path) -> PathBuf {
    let path = dir.join("demo.db");
    build(
        &path,
        &DemoOptions {
            contacts: 3_000,
            seed: 42,
            force: false,
        },
        clock(),
    )
    .unwrap();
    let mut ws = Workspace::open(&path, clock()).unwrap();
    let actor = ws.acting_user(None).unwrap();
    let row = ContactInput {
        line: 2,
        email_column: "email".into(),
        email: "emily.chen@lumen.example".into(),
        first_name: Some("Emily".into()),
        last_name: Some("Chen".into()),
        company: Some("Lumen Freight".into()),
        title: Some("Buyer".into()),
        ..Default::default()
    };
    ws.import_contacts(&actor, &[row]).unwrap();
    path
}

#[test]
fn emly_chn_puts_emily_chen_first() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo_with_emily(dir.path());
    let ws = Workspace::open(&path, clock()).unwrap();

    let (found, close) = ws.find_contacts("emly chn", 500).unwrap();
    let names: Vec<String> = found.iter().take(5).map(|c| c.full_name()).collect();
    assert_eq!(found[0].full_name(), "Emily Chen", "{names:?}");
    assert!(close, "no contact holds 'emly' as typed");
    // Others that hold the letters in order come after; nothing else does.
    assert!(found.len() > 1, "{names:?}");
    let mut fuzzy = Fuzzy::new("emly chn");
    for c in &found {
        let hay = format!("{} {} {}", c.full_name(), c.company, c.email);
        assert!(fuzzy.score(&hay).is_some(), "{hay}");
    }

    // Whole words: only contacts holding every word, best first.
    let (found, close) = ws.find_contacts("emily chen", 500).unwrap();
    assert!(!close);
    assert_eq!(found[0].full_name(), "Emily Chen");
    assert!(
        found
            .iter()
            .all(|c| c.full_name().to_lowercase() == "emily chen")
    );
    // Word order does not matter; case does not either.
    let (found, _) = ws.find_contacts("CHN emly", 500).unwrap();
    assert_eq!(found[0].full_name(), "Emily Chen");
    // Letters inside a word still find, when nothing starts with them.
    let (found, _) = ws.find_contacts("ily.chen@lum", 500).unwrap();
    assert!(
        found.iter().any(|c| c.email == "emily.chen@lumen.example"),
        "{:?}",
        found.iter().map(|c| c.full_name()).collect::<Vec<_>>()
    );
    // LIKE's wildcards are letters to the person typing.
    let (found, _) = ws.find_contacts("%", 500).unwrap();
    assert!(found.is_empty(), "no contact has a % in it");
}

#[test]
fn the_contacts_view_ranks_emily_chen_first() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo_with_emily(dir.path());
    let mut h = Headless::open(&path, clock(), None, (120, 40), Theme::plain()).unwrap();
    h.settle();
    h.key("2").settle().key("/").type_text("emly chn").settle();
    let first = h.app.focused_contact().expect("a match");
    assert_eq!(first.full_name(), "Emily Chen");
    let screen = h.screen();
    assert!(screen.contains("close (letters in order)"), "{screen}");
}

/// The candidates come from index ranges of each word's first letter
/// (first name, last name, company, email), never from a walk of every
/// contact: what keeps the search interactive at a million contacts.
#[test]
fn the_candidates_walk_indexes_not_every_contact() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo_with_emily(dir.path());
    let conn: seqtui::store::Connection = rusqlite::Connection::open(&path).unwrap().into();
    for words in [vec!["emly", "chn"], vec!["chen"], vec!["a"]] {
        let words: Vec<String> = words.into_iter().map(String::from).collect();
        let plan = seqtui::store::queries::contacts_by_word_starts_plan(&conn, &words).unwrap();
        for index in [
            "contacts_first_name",
            "contacts_last_name",
            "contacts_company",
        ] {
            assert!(plan.iter().any(|l| l.contains(index)), "{index}: {plan:?}");
        }
        assert!(
            !plan
                .iter()
                .any(|l| l.starts_with("SCAN c") && !l.contains("INDEX")),
            "a walk of every contact: {plan:?}"
        );
    }
}
