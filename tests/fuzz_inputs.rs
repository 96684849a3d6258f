//! Issue 6, hostile and broken input: property tests (proptest, so they run
//! in CI) over every parser that reads a file a person or another tool
//! wrote — the contacts CSV, every ingest format (.eml, mbox, Maildir, .ics,
//! JSON Lines), the rules file and the keymap file.
//!
//! The inputs are (a) the fixtures under `tests/fixtures/**` mutated by
//! random byte flips, truncations, insertions, deletions and duplications
//! (the seed corpus), and (b) structured-random files built from hostile
//! pieces (quotes, NUL, escape sequences, invalid UTF-8, huge fields).
//!
//! What must hold: no panic; an error is one sentence (not empty, one line,
//! no `panicked`); an import is all rows or none; ingesting the same input a
//! second time changes nothing; the built binary exits non-zero with one
//! `seqtui: ` line on stderr.
//!
//! `SEQTUI_FUZZ_CASES=N` multiplies every case count by N for a longer run.

mod common;

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use common::cli::{NOW, seqtui};
use common::*;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use seqtui::domain::*;
use seqtui::engine::outbox::run_once;
use seqtui::engine::read_path;
use seqtui::tui::Keymap;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn runner(cases: u32) -> TestRunner {
    let factor: u32 = std::env::var("SEQTUI_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    TestRunner::new(Config {
        cases: cases * factor,
        // No regression files written into the source tree; a failure
        // prints the minimal input, which becomes a plain regression test.
        failure_persistence: None,
        max_shrink_iters: 2_000,
        ..Config::default()
    })
}

// ------------------------------------------------------------ the corpus

/// Every file under `tests/fixtures`, with its path relative to it.
fn corpus() -> Vec<(String, Vec<u8>)> {
    fn walk(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else {
                let name = path
                    .strip_prefix(FIXTURES)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(Path::new(FIXTURES), &mut out);
    assert!(out.len() >= 20, "the seed corpus is the test fixtures");
    out
}

/// The fixtures whose name matches, first; then every other one (a CSV
/// parser also gets mail, a mail parser also gets TOML).
fn seeds(matching: impl Fn(&str) -> bool) -> Vec<Vec<u8>> {
    let all = corpus();
    let (mut mine, others): (Vec<_>, Vec<_>) = all.into_iter().partition(|(n, _)| matching(n));
    assert!(!mine.is_empty(), "no seed fixture for this parser");
    // Weigh the parser's own format: three times each.
    let own: Vec<_> = mine.clone();
    mine.extend(own.iter().cloned());
    mine.extend(own);
    mine.extend(others);
    mine.into_iter().map(|(_, b)| b).collect()
}

/// Pieces that break parsers: delimiters, quotes, NUL, escape sequences,
/// invalid UTF-8, header and format markers.
const PIECES: &[&[u8]] = &[
    b"\n",
    b"\r\n",
    b"\r",
    b",",
    b"\"",
    b"'",
    b";",
    b":",
    b"=",
    b"[",
    b"]",
    b"{",
    b"}",
    b"\0",
    b"\x1b[2J",
    b"\x1b]0;title\x07",
    b"\x07",
    b"\x08",
    b"\xff\xfe",
    b"\xc3",
    b"\xe2\x80\xae",
    b"\xf0\x9f\x98",
    b"From ",
    b"BEGIN:VCALENDAR\r\n",
    b"BEGIN:VEVENT\r\n",
    b"END:VEVENT\r\n",
    b"ORGANIZER:mailto:ann@team.example\r\n",
    b"ATTENDEE:mailto:contact0000@acme0.example\r\n",
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n",
    b"Content-Type: text/calendar\n",
    b"--b\n",
    b"=?utf-8?B?",
    b"=?x-unknown?Q?=FF=00?=",
    b"Message-ID: <>\n",
    b"In-Reply-To: <",
    b"\"type\": \"reply\"",
    b"\"at\": \"99999-99-99\"",
    b"1e999999",
    b"-9223372036854775809",
    b"\"\"\"",
    b"'''",
    b"\\u0000",
    b"\\",
    b"%",
    b"_",
    b"' OR 1=1 --",
    b"Robert'); DROP TABLE contacts;--",
];

#[derive(Debug, Clone)]
enum Mutation {
    Flip(Index, u8),
    Truncate(Index),
    Insert(Index, Vec<u8>),
    Delete(Index, usize),
    Duplicate(Index, usize, Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let piece = prop_oneof![
        3 => proptest::sample::select(PIECES).prop_map(|p| p.to_vec()),
        1 => proptest::collection::vec(any::<u8>(), 1..16),
        // A long run: a field or header far beyond any buffer size.
        1 => (any::<u8>(), 1_000usize..20_000).prop_map(|(b, n)| vec![b; n]),
    ];
    prop_oneof![
        3 => (any::<Index>(), 0u8..8).prop_map(|(i, bit)| Mutation::Flip(i, bit)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        4 => (any::<Index>(), piece).prop_map(|(i, p)| Mutation::Insert(i, p)),
        2 => (any::<Index>(), 1usize..64).prop_map(|(i, n)| Mutation::Delete(i, n)),
        1 => (any::<Index>(), 1usize..512, any::<Index>())
            .prop_map(|(a, n, b)| Mutation::Duplicate(a, n, b)),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len();
        match m {
            Mutation::Flip(i, bit) if len > 0 => {
                let at = i.index(len);
                bytes[at] ^= 1 << bit;
            }
            Mutation::Truncate(i) => bytes.truncate(i.index(len + 1)),
            Mutation::Insert(i, piece) => {
                let at = i.index(len + 1);
                bytes.splice(at..at, piece.iter().copied());
            }
            Mutation::Delete(i, n) if len > 0 => {
                let at = i.index(len);
                bytes.drain(at..(at + n).min(len));
            }
            Mutation::Duplicate(a, n, b) if len > 0 => {
                let from = a.index(len);
                let chunk: Vec<u8> = bytes[from..(from + n).min(len)].to_vec();
                let to = b.index(len + 1);
                bytes.splice(to..to, chunk);
            }
            _ => {}
        }
    }
    bytes
}

/// A seed from `corpus`, mutated zero to eight times.
fn mutated(corpus: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::sample::select(corpus),
        proptest::collection::vec(mutation(), 0..8),
    )
        .prop_map(|(seed, ms)| mutate(seed, &ms))
}

/// A text made of hostile pieces and ordinary characters.
fn hostile_text(max: usize) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        2 => "[a-zA-Z0-9 @._-]{1,8}",
        1 => proptest::sample::select(vec![
            "'", "\"", ";", "--", "%", "_", "\\", "' OR 1=1 --",
            "Robert'); DROP TABLE contacts;--", "\0", "\x1b[31m", "\x1b]0;title\x07",
            "\x1b[2J", "\x07", "\x08", "\r", "\n", "\t", "\u{202e}", "\u{feff}",
            "😀", "東京", "שלום", "Émile", ",", "=", "[", "]", "{", "}", "#",
        ])
        .prop_map(str::to_string),
        1 => any::<String>(),
    ];
    proptest::collection::vec(piece, 0..max).prop_map(|parts| parts.concat())
}

/// One sentence: not empty, one line, no panic text.
fn one_sentence(message: &str) -> Result<(), TestCaseError> {
    prop_assert!(!message.trim().is_empty(), "an empty error");
    prop_assert!(
        !message.contains('\n') && !message.contains('\r'),
        "a multi-line error: {message:?}"
    );
    prop_assert!(!message.contains("panicked"), "{message:?}");
    Ok(())
}

// ------------------------------------------------------------------ CSV

fn contact_count(path: &Path) -> i64 {
    raw(path)
        .query_row("SELECT count(*) FROM contacts", [], |r| r.get(0))
        .unwrap()
}

fn audit_count(path: &Path) -> i64 {
    raw(path)
        .query_row("SELECT count(*) FROM audit", [], |r| r.get(0))
        .unwrap()
}

/// Reads `bytes` as a contacts CSV the way `seqtui import contacts` does
/// and imports it: everything or nothing, and what went in reads back.
fn import_case(f: &mut Fixture, file: &Path, bytes: &[u8]) -> Result<(), TestCaseError> {
    std::fs::write(file, bytes).unwrap();
    let before = (contact_count(&f.path), audit_count(&f.path));
    let rows = match seqtui::cli::read_contacts(file) {
        Ok(rows) => rows,
        Err(e) => {
            prop_assert!(matches!(e, DomainError::Invalid(_)), "{e:?}");
            one_sentence(&e.to_string())?;
            prop_assert_eq!((contact_count(&f.path), audit_count(&f.path)), before);
            return Ok(());
        }
    };
    // Each row's contact as it was, for the fields a row leaves as they are.
    let was: Vec<Option<Contact>> = rows
        .iter()
        .map(|r| f.ws.contact(r.email.trim()).ok())
        .collect();
    match f.ws.import_contacts(&f.admin, &rows) {
        Ok(report) => {
            prop_assert!(report.refused.is_empty(), "an admin is refused nothing");
            prop_assert_eq!(
                report.created + report.updated + report.unchanged,
                rows.len()
            );
            prop_assert_eq!(report.changes.len(), report.created + report.updated);
            prop_assert_eq!(
                contact_count(&f.path),
                before.0 + report.created as i64,
                "every new row is a new contact"
            );
            // What went in reads back: for each field, the last non-empty
            // cell (trimmed) of the rows for an email, else what the
            // contact had (an empty cell keeps the field).
            for (i, row) in rows.iter().enumerate() {
                let c = f.ws.contact(row.email.trim()).unwrap();
                let same =
                    |r: &&ContactInput| r.email.trim().eq_ignore_ascii_case(row.email.trim());
                let expect = |cell: fn(&ContactInput) -> &Option<String>,
                              had: fn(&Contact) -> &String| {
                    rows.iter().filter(same).fold(
                        was[i].as_ref().map(had).cloned().unwrap_or_default(),
                        |acc, r| match cell(r).as_deref().map(str::trim) {
                            Some(v) if !v.is_empty() => v.to_string(),
                            _ => acc,
                        },
                    )
                };
                let kept = |text: String| as_stored(&f.path, &text);
                prop_assert_eq!(
                    &c.first_name,
                    &kept(expect(|r| &r.first_name, |c| &c.first_name))
                );
                prop_assert_eq!(
                    &c.last_name,
                    &kept(expect(|r| &r.last_name, |c| &c.last_name))
                );
                prop_assert_eq!(&c.company, &kept(expect(|r| &r.company, |c| &c.company)));
                prop_assert_eq!(&c.title, &kept(expect(|r| &r.title, |c| &c.title)));
            }
        }
        Err(e) => {
            one_sentence(&e.to_string())?;
            prop_assert_eq!(
                (contact_count(&f.path), audit_count(&f.path)),
                before,
                "a refused import changed the workspace: {}",
                e
            );
        }
    }
    check_invariants(&f.path);
    Ok(())
}

#[test]
fn csv_import_of_mutated_fixtures_is_all_or_nothing() {
    let f = RefCell::new(fixture(6));
    let file = f.borrow().dir.path().join("import.csv");
    let corpus = seeds(|n| n.ends_with(".csv"));
    runner(120)
        .run(&mutated(corpus), |bytes| {
            import_case(&mut f.borrow_mut(), &file, &bytes)
        })
        .unwrap();
}

/// A CSV with hostile cells, written by the csv crate (so quoting is
/// right) or joined by hand (so it often is not).
fn hostile_csv() -> impl Strategy<Value = Vec<u8>> {
    let email = prop_oneof![
        4 => (0u32..50).prop_map(|i| format!("p{i}@fuzz{}.example", i % 5)),
        1 => hostile_text(3),
        1 => Just("contact0001@acme1.example".to_string()),
        1 => Just("  MiXeD@Case.Example ".to_string()),
    ];
    let owner = prop_oneof![
        3 => Just(String::new()),
        2 => Just("ann@team.example".to_string()),
        1 => hostile_text(2),
    ];
    let row = (
        email,
        hostile_text(4),
        hostile_text(4),
        hostile_text(3),
        owner,
    );
    (
        proptest::collection::vec(row, 0..12),
        any::<bool>(),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 1..6)),
    )
        .prop_map(|(rows, by_hand, junk)| {
            let header = ["Email", "First Name", "last_name", "Company", "owner"];
            let mut out = Vec::new();
            if by_hand {
                out.extend(header.join(",").into_bytes());
                out.push(b'\n');
                for (e, f, l, c, o) in &rows {
                    out.extend(format!("{e},{f},{l},{c},{o}\n").into_bytes());
                }
            } else {
                let mut w = csv::Writer::from_writer(&mut out);
                w.write_record(header).unwrap();
                for (e, f, l, c, o) in &rows {
                    w.write_record([e, f, l, c, o]).unwrap();
                }
                w.flush().unwrap();
                drop(w);
            }
            if let Some(junk) = junk {
                // Invalid UTF-8 somewhere in the last third.
                let at = out.len() - out.len() / 3;
                out.splice(at..at, junk);
            }
            out
        })
}

#[test]
fn csv_import_of_hostile_rows_is_all_or_nothing() {
    let f = RefCell::new(fixture(6));
    let file = f.borrow().dir.path().join("hostile.csv");
    runner(120)
        .run(&hostile_csv(), |bytes| {
            import_case(&mut f.borrow_mut(), &file, &bytes)
        })
        .unwrap();
}

// --------------------------------------------------------------- ingest

/// Contacts 0..6 enrolled in Alpha by Ann, the first emails sent; R8 on,
/// so that a reply can end colleagues' enrollments too.
fn sent_fixture() -> (Fixture, Vec<String>) {
    let mut f = fixture(10);
    let ids: Vec<i64> = f.c[..6].to_vec();
    f.ws.enroll(&f.rep_ann, f.seq_a.id, &ids).unwrap();
    let outbox = f.dir.path().join("outbox");
    assert_eq!(run_once(&mut f.ws, &outbox).unwrap().emails_sent, 6);
    f.ws.set_sequence_options(&f.admin, "Alpha Outbound", Some(true), Some(true))
        .unwrap();
    let ids: Vec<String> = raw(&f.path)
        .prepare("SELECT message_id FROM sent_emails ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    (f, ids)
}

/// Everything ingest may change, as one comparable value.
fn fingerprint(path: &Path) -> String {
    raw(path)
        .query_row(
            "SELECT (SELECT count(*) FROM events) || '/' || (SELECT count(*) FROM audit) || '/'
              || (SELECT count(*) FROM audit_enrollments) || '/'
              || (SELECT count(*) FROM engine_pauses) || '/'
              || (SELECT count(*) FROM contacts WHERE opted_out_at IS NOT NULL) || '/'
              || (SELECT json_group_array(x) FROM (SELECT id || status ||
                   coalesce(end_reason, '') || current_step AS x FROM enrollments ORDER BY id) AS e)
              || '/' || (SELECT json_group_array(state) FROM
                   (SELECT state FROM scheduled_steps ORDER BY id) AS s)
              || '/' || (SELECT json_group_array(state) FROM
                   (SELECT state FROM tasks ORDER BY id) AS t)",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

/// Reads `path` and applies every item; returns the outcomes' actions.
fn ingest_once(f: &mut Fixture, path: &Path) -> Result<Vec<IngestAction>, TestCaseError> {
    let mut actions = Vec::new();
    for item in read_path(path, f.ws.now()) {
        prop_assert!(!item.source.is_empty());
        match item.event {
            Err(why) => {
                prop_assert!(!why.trim().is_empty(), "{}: an empty reason", item.source);
            }
            Ok(event) => match f.ws.apply_inbound(&event) {
                Ok(outcomes) => actions.extend(outcomes.into_iter().map(|o| o.action)),
                Err(e) => one_sentence(&e.to_string())?,
            },
        }
    }
    Ok(actions)
}

/// The same input twice: no panic either time, and the second time
/// changes nothing.
fn ingest_case(f: &mut Fixture, path: &Path) -> Result<(), TestCaseError> {
    ingest_once(f, path)?;
    let first = fingerprint(&f.path);
    let again = ingest_once(f, path)?;
    prop_assert_eq!(
        &fingerprint(&f.path),
        &first,
        "a second identical ingest changed the workspace"
    );
    prop_assert!(
        again
            .iter()
            .all(|a| matches!(a, IngestAction::Duplicate | IngestAction::Ignored)),
        "a second ingest did something: {:?}",
        again
    );
    check_invariants(&f.path);
    Ok(())
}

/// The mail fixtures with their `__MSGID__` placeholders naming emails this
/// workspace really sent, so that mutations land on live threads.
fn mail_seeds(ids: &[String], matching: impl Fn(&str) -> bool) -> Vec<Vec<u8>> {
    seeds(matching)
        .into_iter()
        .enumerate()
        .map(|(i, bytes)| {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            if text.contains("__MSGID__") {
                text.replace("__MSGID__", &ids[i % ids.len()]).into_bytes()
            } else {
                bytes
            }
        })
        .collect()
}

#[test]
fn ingest_of_mutated_mail_mbox_calendars_and_json_lines_never_panics() {
    let (f, ids) = sent_fixture();
    let f = RefCell::new(f);
    let dir = f.borrow().dir.path().join("in");
    std::fs::create_dir_all(&dir).unwrap();
    let corpus = mail_seeds(&ids, |n| n.starts_with("mail"));
    // As a plain file (.eml, .ics, JSON Lines, and an mbox when it starts
    // with "From ": a second mutated fixture is appended as an mbox).
    let strategy = (mutated(corpus.clone()), mutated(corpus), any::<u8>());
    let n = RefCell::new(0u32);
    runner(150)
        .run(&strategy, |(a, b, shape)| {
            let mut n = n.borrow_mut();
            *n += 1;
            let path = dir.join(format!("item-{n}"));
            match shape % 3 {
                0 => std::fs::write(&path, &a).unwrap(),
                1 => {
                    let mut mbox = b"From MAILER-DAEMON Mon Nov  2 09:00:00 2026\n".to_vec();
                    mbox.extend(&a);
                    mbox.extend(b"\nFrom someone@example.com Mon Nov  2 10:00:00 2026\n");
                    mbox.extend(&b);
                    std::fs::write(&path, &mbox).unwrap();
                }
                _ => {
                    // A Maildir with both messages, one in new/, one in cur/.
                    std::fs::create_dir_all(path.join("new")).unwrap();
                    std::fs::create_dir_all(path.join("cur")).unwrap();
                    std::fs::write(path.join("new").join("1.host"), &a).unwrap();
                    std::fs::write(path.join("cur").join("2.host:2,S"), &b).unwrap();
                }
            }
            ingest_case(&mut f.borrow_mut(), &path)
        })
        .unwrap();
}

/// JSON Lines events with hostile values in every field.
fn hostile_events(ids: Vec<String>) -> impl Strategy<Value = Vec<u8>> {
    let kind = proptest::sample::select(vec![
        "open",
        "click",
        "reply",
        "meeting_booked",
        "bounce",
        "unsubscribe",
        "REPLY",
        "nope",
        "",
    ]);
    let email = prop_oneof![
        3 => (0usize..10).prop_map(|i| format!("contact{i:04}@acme{}.example", i % 7)),
        1 => hostile_text(3),
    ];
    let msgid = prop_oneof![
        2 => proptest::sample::select(ids),
        1 => hostile_text(2),
    ];
    let at = prop_oneof![
        Just(None),
        Just(Some("2026-11-01T10:00:00Z".to_string())),
        Just(Some("2026-13-45".to_string())),
        Just(Some("+275760-09-13T00:00:00Z".to_string())),
        hostile_text(2).prop_map(Some),
    ];
    let event = (
        kind,
        proptest::option::of(hostile_text(2)),
        email,
        msgid,
        at,
        hostile_text(3),
        any::<(bool, bool)>(),
    )
        .prop_map(|(kind, id, email, msgid, at, text, (auto, permanent))| {
            let mut v = serde_json::json!({
                "type": kind,
                "email": email,
                "message_id": msgid,
                "in_reply_to": msgid,
                "references": [msgid, text],
                "subject": text,
                "url": text,
                "organizer": "ann@team.example",
                "attendees": [email, text],
                "auto": auto,
                "permanent": permanent,
                "status": "5.1.1",
                "return_date": "2026-11-20",
            });
            if let Some(id) = id {
                v["id"] = id.into();
            }
            if let Some(at) = at {
                v["at"] = at.into();
            }
            v.to_string()
        });
    proptest::collection::vec(event, 1..6).prop_map(|lines| (lines.join("\n") + "\n").into_bytes())
}

#[test]
fn ingest_of_hostile_json_lines_events_never_panics_and_dedupes() {
    let (f, ids) = sent_fixture();
    let f = RefCell::new(f);
    let dir = f.borrow().dir.path().join("events");
    std::fs::create_dir_all(&dir).unwrap();
    let n = RefCell::new(0u32);
    runner(80)
        .run(&hostile_events(ids), |bytes| {
            let mut n = n.borrow_mut();
            *n += 1;
            let path = dir.join(format!("events-{n}.jsonl"));
            std::fs::write(&path, &bytes).unwrap();
            ingest_case(&mut f.borrow_mut(), &path)
        })
        .unwrap();
}

// ------------------------------------------------------------ rules file

/// A rules file is read or refused with one sentence naming the file and a
/// line, or saying it is not TOML text; never a panic.
fn rules_case(file: &Path, bytes: &[u8]) -> Result<(), TestCaseError> {
    std::fs::write(file, bytes).unwrap();
    match seqtui::config::read_rules(file) {
        Ok(rules) => {
            prop_assert!((1..=seqtui::config::MAX_DAYS).contains(&rules.stale_after_days));
            prop_assert!((1..=seqtui::config::MAX_DAYS).contains(&rules.stale_quiet_days));
        }
        Err(e) => {
            let message = e.to_string();
            one_sentence(&message)?;
            prop_assert!(matches!(e, DomainError::Invalid(_)), "exit 2: {e:?}");
            prop_assert!(
                message.starts_with(&format!("rules file {}", file.display())),
                "{message}"
            );
            prop_assert!(
                message.contains(", line ") || message.contains("not TOML"),
                "names no line: {message}"
            );
        }
    }
    Ok(())
}

#[test]
fn rules_files_mutated_from_the_fixtures_are_read_or_refused_in_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rules.toml");
    let corpus = seeds(|n| n.starts_with("config/rules"));
    runner(300)
        .run(&mutated(corpus), |bytes| rules_case(&file, &bytes))
        .unwrap();
}

/// Structured-random rules: known and unknown sections and keys, values of
/// every kind.
fn hostile_rules() -> impl Strategy<Value = String> {
    let section = proptest::sample::select(vec![
        "stale",
        "transfer",
        "undo",
        "out_of_office",
        "bogus",
        "stale.deeper",
        "\"quoted\"",
    ]);
    let key = proptest::sample::select(vec![
        "after_days",
        "quiet_days",
        "policy",
        "window_minutes",
        "pause",
        "unknown",
        "\"after_days\"",
    ]);
    let value = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        Just("0".to_string()),
        Just("36501".to_string()),
        Just("1.5".to_string()),
        Just("true".to_string()),
        Just("[1, 2]".to_string()),
        Just("{ a = 1 }".to_string()),
        Just("1979-05-27T07:32:00Z".to_string()),
        Just("\"\"\"multi\nline\n\"\"\"".to_string()),
        Just("'''\u{1b}[2J\nx'''".to_string()),
        hostile_text(3).prop_map(|t| format!("{t:?}")),
        hostile_text(3),
    ];
    proptest::collection::vec(
        (proptest::option::of(section), key, value, hostile_text(1)),
        0..8,
    )
    .prop_map(|lines| {
        let mut out = String::new();
        for (section, key, value, comment) in lines {
            if let Some(s) = section {
                out.push_str(&format!("[{s}]\n"));
            }
            out.push_str(&format!("{key} = {value} # {comment}\n"));
        }
        out
    })
}

#[test]
fn hostile_rules_files_are_read_or_refused_in_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rules.toml");
    runner(300)
        .run(&hostile_rules(), |text| rules_case(&file, text.as_bytes()))
        .unwrap();
}

// ---------------------------------------------------------------- keymap

fn keymap_case(text: &str) -> Result<(), TestCaseError> {
    match Keymap::from_toml(text) {
        Ok(keymap) => prop_assert!(!keymap.bindings().is_empty()),
        Err(e) => {
            one_sentence(&e.0)?;
            prop_assert!(e.0.starts_with("line "), "names no line: {}", e.0);
        }
    }
    Ok(())
}

#[test]
fn keymaps_mutated_from_the_fixture_are_read_or_refused_in_one_sentence() {
    let corpus = seeds(|n| n.starts_with("config/keymap"));
    runner(300)
        .run(&mutated(corpus), |bytes| {
            keymap_case(&String::from_utf8_lossy(&bytes))
        })
        .unwrap();
}

fn hostile_keymap() -> impl Strategy<Value = String> {
    let command = prop_oneof![
        4 => proptest::sample::select(vec![
            "quit", "help", "down", "up", "unenroll", "mark_all", "confirm", "cancel",
            "filter", "escape", "export", "open",
        ])
        .prop_map(str::to_string),
        1 => hostile_text(2).prop_map(|t| format!("{t:?}")),
    ];
    let key = prop_oneof![
        3 => proptest::sample::select(vec![
            "d", "G", "/", "?", "ctrl-a", "ctrl-c", "alt-j", "shift-tab", "f1", "f13",
            "space", "enter", "esc", "ctrl-", "alt-", "shift-", "ctrl-ctrl-x", "é", "ctrl-é",
            "東", "", "  ",
        ])
        .prop_map(str::to_string),
        1 => hostile_text(2),
    ];
    let value = prop_oneof![
        3 => key.clone().prop_map(|k| format!("{k:?}")),
        2 => proptest::collection::vec(key, 0..4).prop_map(|ks| format!("{ks:?}")),
        1 => Just("1".to_string()),
        1 => Just("[1, \"x\"]".to_string()),
        1 => Just("{ a = \"b\" }".to_string()),
        1 => Just("\"\"\"\nmulti\nline\"\"\"".to_string()),
        1 => hostile_text(2),
    ];
    proptest::collection::vec((command, value), 0..6).prop_map(|lines| {
        lines
            .into_iter()
            .map(|(c, v)| format!("{c} = {v}\n"))
            .collect()
    })
}

#[test]
fn hostile_keymaps_are_read_or_refused_in_one_sentence() {
    runner(400)
        .run(&hostile_keymap(), |text| keymap_case(&text))
        .unwrap();
}

// --------------------------------------------------------- the built binary

/// The binary on a mutated input: success, or a non-zero exit with one
/// `seqtui: ` line per problem and never a panic or a backtrace.
fn binary_case(
    db: &Path,
    args: &[&std::ffi::OsStr],
    one_line: bool,
) -> Result<(i32, String), TestCaseError> {
    let out = seqtui(db)
        .env("RUST_BACKTRACE", "1")
        .args(args)
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    prop_assert!(code >= 0, "killed by a signal: {stderr}");
    prop_assert!(
        !stderr.contains("panicked") && !stderr.contains("stack backtrace"),
        "{stderr}"
    );
    if code != 0 {
        prop_assert!(
            !stderr.as_bytes().contains(&0x1b),
            "an escape reached stderr"
        );
        let lines: Vec<&str> = stderr.trim_end().lines().collect();
        prop_assert!(!lines.is_empty(), "exit {code} with nothing on stderr");
        if one_line {
            prop_assert_eq!(lines.len(), 1, "not one line: {}", stderr);
        }
        for line in lines {
            prop_assert!(line.starts_with("seqtui: "), "{stderr}");
        }
    }
    Ok((code, stderr))
}

#[test]
fn the_binary_refuses_mutated_csv_and_rules_files_in_one_line() {
    let f = fixture(6);
    let csv_file = f.dir.path().join("in.csv");
    let rules_file = f.dir.path().join("rules.toml");
    let csv_corpus = seeds(|n| n.ends_with(".csv"));
    let rules_corpus = seeds(|n| n.starts_with("config/rules"));
    let path = f.path.clone();
    drop(f.ws);
    let strategy = (mutated(csv_corpus), mutated(rules_corpus));
    runner(12)
        .run(&strategy, |(csv_bytes, rules_bytes)| {
            std::fs::write(&csv_file, &csv_bytes).unwrap();
            let before = contact_count(&path);
            let (code, _) = binary_case(
                &path,
                &["import".as_ref(), "contacts".as_ref(), csv_file.as_os_str()],
                true,
            )?;
            if code != 0 {
                prop_assert_eq!(contact_count(&path), before, "nothing imported");
            }
            std::fs::write(&rules_file, &rules_bytes).unwrap();
            binary_case(
                &path,
                &[
                    "--rules".as_ref(),
                    rules_file.as_os_str(),
                    "sequences".as_ref(),
                ],
                true,
            )?;
            Ok(())
        })
        .unwrap();
    // Always at least one refusal of each, whatever the random inputs were.
    std::fs::write(
        &csv_file,
        b"Email,First Name\nok@x.example,A\nragged@x.example,B,\x1b[2J\n",
    )
    .unwrap();
    std::fs::write(&rules_file, b"[stale]\nafter_days = \xff\x1b[2J\n").unwrap();
    let mut r = runner(1);
    r.run(&Just(()), |()| {
        let (code, _) = binary_case(
            &path,
            &["import".as_ref(), "contacts".as_ref(), csv_file.as_os_str()],
            true,
        )?;
        prop_assert_eq!(code, 2);
        let (code, _) = binary_case(
            &path,
            &[
                "--rules".as_ref(),
                rules_file.as_os_str(),
                "sequences".as_ref(),
            ],
            true,
        )?;
        prop_assert_eq!(code, 2);
        Ok(())
    })
    .unwrap();
}

#[test]
fn the_binary_ingests_mutated_mail_without_a_panic() {
    let (f, ids) = sent_fixture();
    let path = f.path.clone();
    let dir = f.dir.path().join("bin-in");
    std::fs::create_dir_all(&dir).unwrap();
    let corpus = mail_seeds(&ids, |n| n.starts_with("mail"));
    drop(f.ws);
    let n = RefCell::new(0u32);
    runner(10)
        .run(&mutated(corpus), |bytes| {
            let mut n = n.borrow_mut();
            *n += 1;
            let file = dir.join(format!("m{n}\x1b[2J.eml"));
            std::fs::write(&file, &bytes).unwrap();
            // One line per unreadable item (each names its file); exit 1
            // when any was skipped.
            let (code, _) = binary_case(&path, &["ingest".as_ref(), file.as_os_str()], false)?;
            prop_assert!(code == 0 || code == 1, "exit {code}");
            Ok(())
        })
        .unwrap();
    let _keep = NOW;
}

// ------------------------------------------ regressions found by the above

/// Found by `hostile_rules_files…` and `hostile_keymaps…`: a value quoted
/// back in the message (a multi-line TOML string, a key with an escape
/// sequence) made the error several lines and sent raw control characters
/// to the terminal.
#[test]
fn regression_errors_quoting_the_file_stay_one_line_and_escape_controls() {
    let e = seqtui::config::parse_rules("[stale]\nafter_days = \"\"\"multi\nline\n\"\"\"\n")
        .unwrap_err();
    assert_eq!(e.line, 2);
    assert!(!e.what.contains('\n'), "{:?}", e.what);
    assert!(e.what.contains(r"multi\nline"), "{:?}", e.what);

    let e = Keymap::from_toml("quit = \"\"\"\nmulti\nline\"\"\"\n").unwrap_err();
    assert_eq!(e.0, r"line 1: 'multi\nline' is not a key (for 'quit')");
    let e = Keymap::from_toml("quit = \"\\u001b[2J\"\n").unwrap_err();
    assert!(!e.0.contains('\u{1b}'), "{:?}", e.0);
    assert!(e.0.contains(r"\u{1b}[2J"), "{:?}", e.0);
    let e = Keymap::from_toml("\"\\u001b]0;x\\u0007\" = \"d\"\n").unwrap_err();
    assert!(
        !e.0.contains('\u{1b}') && !e.0.contains('\u{7}'),
        "{:?}",
        e.0
    );
}

/// Found by `rules_files_mutated…`: a rules file with a byte that is not
/// UTF-8 was "cannot read … stream did not contain valid UTF-8" (exit 1,
/// no line) instead of a usage error naming the line.
#[test]
fn regression_a_rules_or_keymap_file_that_is_not_utf8_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rules.toml");
    std::fs::write(&file, b"[stale]\n# caf\xe9\nafter_days = 3\n").unwrap();
    let e = seqtui::config::read_rules(&file).unwrap_err();
    assert!(matches!(e, DomainError::Invalid(_)), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "rules file {}, line 2: not UTF-8 text, so not TOML",
            file.display()
        )
    );
    let keymap = dir.path().join("keymap.toml");
    std::fs::write(&keymap, b"quit = \"q\"\n\xff = \"d\"\n").unwrap();
    let e = Keymap::from_file(&keymap).unwrap_err();
    assert!(
        e.0.ends_with("line 2: not UTF-8 text, so not TOML"),
        "{}",
        e.0
    );
}

/// Found by `ingest_of_mutated_mail_mbox_calendars_and_json_lines_never_panics`:
/// mail-parser panics ("Invalid part ID, could not find multipart") while
/// walking one message of this mbox. That message is one invalid item with
/// a sentence, the other is read, and nothing panics.
#[test]
fn a_message_whose_mime_parts_cannot_be_walked_is_one_invalid_item() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mail/broken_mime.mbox");
    let items = seqtui::engine::inbound::read_path(&path, now());
    assert_eq!(items.len(), 2, "{items:?}");
    let broken: Vec<_> = items.iter().filter(|i| i.event.is_err()).collect();
    assert_eq!(broken.len(), 1, "{items:?}");
    assert_eq!(
        broken[0].code,
        Some(seqtui::engine::inbound::InputSkip::Invalid)
    );
    assert!(
        broken[0]
            .event
            .as_ref()
            .unwrap_err()
            .contains("MIME structure is broken"),
        "{items:?}"
    );
}
