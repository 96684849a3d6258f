//! A small team, two sequences and a handful of contacts in a real SQLite
//! file in a temp directory, built through the domain's own operations.
#![allow(dead_code)]

pub mod cli;
pub mod crash;
pub mod mail;

use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use seqtui::domain::*;

pub fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
    pub ws: Workspace,
    pub admin: User,
    pub manager_east: User,
    pub manager_west: User,
    pub rep_ann: User,
    pub rep_bob: User,
    pub rep_wes: User,
    pub seq_a: SequenceRef,
    pub seq_b: SequenceRef,
    /// Contact ids: c[0]..c[n], owned in turn by ann, bob, wes.
    pub c: Vec<i64>,
}

pub fn steps() -> Vec<NewStep> {
    vec![
        NewStep {
            kind: StepKind::AutoEmail,
            delay_days: 0,
            subject: "Hi {{first_name}}".into(),
            body: "Hello {{first_name}} at {{company}}, {{sender_name}}".into(),
            title: String::new(),
        },
        NewStep {
            kind: StepKind::Call,
            delay_days: 2,
            subject: String::new(),
            body: String::new(),
            title: "Call {{first_name}}".into(),
        },
        NewStep {
            kind: StepKind::AutoEmail,
            delay_days: 3,
            subject: "Re: Hi {{first_name}}".into(),
            body: "Following up".into(),
            title: String::new(),
        },
    ]
}

/// Where a test's workspace lives: `ws.db` in `dir`, or, when
/// `SEQTUI_TEST_PG` names a PostgreSQL database (`postgres://USER@HOST:PORT/DB`,
/// a user who may create databases), a new empty database on that server.
/// `.ci/run` runs the suite both ways.
pub fn location(dir: &std::path::Path) -> PathBuf {
    match std::env::var("SEQTUI_TEST_PG")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(url) => PathBuf::from(pg_database(&url)),
        None => dir.join("ws.db"),
    }
}

/// Creates a new schema in the database `url` names and returns a URL
/// whose sessions work in it (`options=-c search_path=…`): a workspace
/// per test without a database per test (each would copy a template).
pub fn pg_database(url: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!(
        "t{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let admin = seqtui::store::connect(std::path::Path::new(url)).unwrap_or_else(|e| {
        panic!("SEQTUI_TEST_PG names {url}, but PostgreSQL there cannot be used: {e}")
    });
    admin
        .execute_batch(&format!("CREATE SCHEMA {name}"))
        .unwrap_or_else(|e| panic!("cannot create a test schema on {url}: {e}"));
    let join = if url.contains('?') { '&' } else { '?' };
    format!("{url}{join}options=-csearch_path%3D{name}")
}

pub fn fixture(contacts: usize) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = location(dir.path());
    fixture_at(dir, path, contacts)
}

/// [`fixture`] in a SQLite file whatever `SEQTUI_TEST_PG` says: for tests
/// of what only a file has (its header, journal, copies, query plans,
/// operating-system logins).
pub fn sqlite_fixture(contacts: usize) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ws.db");
    fixture_at(dir, path, contacts)
}

fn fixture_at(dir: tempfile::TempDir, path: PathBuf, contacts: usize) -> Fixture {
    let mut ws = Workspace::create(
        &path,
        Clock::Fixed(now()),
        "Test team",
        "admin@team.example",
        "Ada Admin",
    )
    .unwrap();
    let admin = ws.acting_user(None).unwrap();
    let mut add = |email: &str, name: &str, role: Role, team: &str| {
        ws.add_user(&admin, email, name, role, team).unwrap()
    };
    let manager_east = add("mae@team.example", "Mae East", Role::Manager, "East");
    let manager_west = add("mo@team.example", "Mo West", Role::Manager, "West");
    let rep_ann = add("ann@team.example", "Ann Rep", Role::Rep, "East");
    let rep_bob = add("bob@team.example", "Bob Rep", Role::Rep, "East");
    let rep_wes = add("wes@team.example", "Wes Rep", Role::Rep, "West");
    let seq_a = ws
        .create_sequence(&manager_east, "Alpha Outbound", &steps(), false)
        .unwrap();
    let seq_b = ws
        .create_sequence(&manager_west, "Beta Nurture", &steps(), false)
        .unwrap();
    let owners = [&rep_ann, &rep_bob, &rep_wes];
    let rows: Vec<ContactInput> = (0..contacts)
        .map(|i| ContactInput {
            line: i as u64 + 2,
            email_column: "Email".into(),
            email: format!("contact{i:04}@acme{}.example", i % 7),
            first_name: Some(format!("First{i:04}")),
            last_name: Some(format!("Last{:04}", (i * 37) % contacts.max(1))),
            company: Some(format!("Acme {}", i % 7)),
            title: Some("VP Sales".into()),
            owner: Some(owners[i % 3].email.clone()),
            ..Default::default()
        })
        .collect();
    ws.import_contacts(&admin, &rows).unwrap();
    let c = (1..=contacts as i64).collect();
    Fixture {
        dir,
        path,
        ws,
        admin,
        manager_east,
        manager_west,
        rep_ann,
        rep_bob,
        rep_wes,
        seq_a,
        seq_b,
        c,
    }
}

/// A plain connection for checking what the domain wrote.
pub fn raw(path: &std::path::Path) -> seqtui::store::Connection {
    seqtui::store::connect(path).unwrap()
}

/// `text` as the workspace at `path` keeps it: PostgreSQL's text cannot
/// hold NUL, which the store writes as U+FFFD there (SQLite keeps it).
pub fn as_stored(path: &std::path::Path, text: &str) -> String {
    if seqtui::store::postgres_url(path).is_some() {
        text.replace('\0', "\u{FFFD}")
    } else {
        text.to_string()
    }
}

/// Makes every insert into `table` fail ("disk on fire"), on either
/// store: a write that fails late in its transaction.
pub fn fail_inserts_into(path: &std::path::Path, table: &str) {
    let conn = raw(path);
    let sql = match conn.dialect() {
        seqtui::store::Dialect::Sqlite => format!(
            "CREATE TRIGGER fail_{table} BEFORE INSERT ON {table}
             BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;"
        ),
        seqtui::store::Dialect::Postgres => format!(
            "CREATE FUNCTION fail_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN RAISE EXCEPTION 'disk on fire'; END $$;
             CREATE TRIGGER fail_{table} BEFORE INSERT ON {table}
             FOR EACH ROW EXECUTE FUNCTION fail_{table}();"
        ),
    };
    conn.execute_batch(&sql).unwrap();
}

/// R1 and R3 over the whole file: no contact with two open enrollments; no
/// ended (finished or unenrolled) enrollment with a scheduled step left, no
/// unenrolled one with an open task (a finished enrollment's last call task
/// is still the rep's to do).
/// Rows of an ended enrollment may still be physically scheduled or open
/// only while its batch waits in the tidy queue (readers already see them
/// cancelled); anything else is a broken R3. `CROSS JOIN` keeps the queue
/// (a few rows) outside: left to itself the planner scans every
/// `audit_enrollments` row per leftover step (45 s for a 3,733-row batch).
const NOT_QUEUED: &str =
    "AND NOT EXISTS (SELECT 1 FROM tidy_queue q CROSS JOIN audit_enrollments ae
     ON ae.audit_id = q.audit_id AND ae.enrollment_id >= q.next_enrollment
     WHERE ae.enrollment_id = e.id)";

/// Checks the invariants and, in addition, that nothing waits in the tidy
/// queue: every ended enrollment's rows are physically cancelled.
pub fn check_tidied(path: &std::path::Path) {
    check_invariants(path);
    let queued: i64 = raw(path)
        .query_row("SELECT count(*) FROM tidy_queue", [], |r| r.get(0))
        .unwrap();
    assert_eq!(queued, 0, "batches still wait to be tidied");
}

pub fn check_invariants(path: &std::path::Path) {
    let conn = raw(path);
    let two_open: i64 = conn
        .query_row(
            "SELECT count(*) FROM (SELECT contact_id FROM enrollments
             WHERE status IN ('active','paused') GROUP BY contact_id HAVING count(*) > 1) AS twice",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(two_open, 0, "R1: a contact has two open enrollments");
    let leftover_steps: i64 = conn
        .query_row(
            &format!("SELECT count(*) FROM scheduled_steps ss JOIN enrollments e ON e.id = ss.enrollment_id
             WHERE e.status IN ('finished','unenrolled') AND ss.state = 'scheduled' {NOT_QUEUED}"),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        leftover_steps, 0,
        "R3: an ended enrollment has a scheduled step"
    );
    let leftover_tasks: i64 = conn
        .query_row(
            &format!(
                "SELECT count(*) FROM tasks t JOIN enrollments e ON e.id = t.enrollment_id
             WHERE e.status = 'unenrolled' AND t.state = 'open' {NOT_QUEUED}"
            ),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        leftover_tasks, 0,
        "R3: an ended enrollment has an open task"
    );
    let no_reason: i64 = conn
        .query_row(
            "SELECT count(*) FROM enrollments WHERE status = 'unenrolled'
             AND (end_reason IS NULL OR ended_at IS NULL)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        no_reason, 0,
        "an unenrolled enrollment lacks its end reason or time"
    );
    // The sort columns (migration 19) equal a recomputation from the
    // scheduled steps and events.
    assert_eq!(
        seqtui::store::sort_keys::drift(&conn).unwrap(),
        Vec::new(),
        "(id, next_due, recomputed, last_engagement, recomputed)"
    );
    // The search text (migration 20) equals its contact's.
    assert_eq!(
        seqtui::store::search_text::drift(&conn).unwrap(),
        Vec::new(),
        "(id, search, recomputed)"
    );
}

/// R18 for a story that needs every step to run: at `at`, an admin
/// completes every open task, so each enrollment waiting at a task step
/// moves on (its next step due its delay after `at`). Returns how many.
pub fn do_all_tasks(path: &std::path::Path, at: Timestamp) -> usize {
    let mut ws = Workspace::open(path, Clock::Fixed(at)).unwrap();
    let admin = ws
        .users()
        .unwrap()
        .into_iter()
        .find(|u| u.role == Role::Admin)
        .unwrap();
    let open: Vec<i64> = ws
        .tasks(&TaskQuery {
            limit: 1_000_000,
            ..TaskQuery::default()
        })
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    let report = ws
        .work_tasks(&admin, TaskAction::Done, &open, None, None)
        .unwrap();
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    open.len()
}

/// Lets the fixture's two sequences send at any hour of any day (R19's
/// default window is Monday–Friday 08:00–18:00): for tests of other rules
/// whose calendar crosses a weekend. The sending rules have their own
/// tests (`tests/sending.rs`).
pub fn send_any_time(path: &std::path::Path) {
    raw(path)
        .execute(
            "UPDATE sequences SET window_start = '00:00', window_end = '23:59',
                sending_days = 'mon,tue,wed,thu,fri,sat,sun'",
            [],
        )
        .unwrap();
}
