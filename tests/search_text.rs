//! `enrollments.search` (migration 20): the text a list's filter matches,
//! copied from the contact onto each enrollment so that a filter over one
//! sequence reads the page index alone. It must follow the contact's
//! name, email and company wherever they change, the migration must fill
//! it on both engines, and the filter must find what it found before.

mod common;

use common::*;
use seqtui::domain::*;

fn drift(path: &std::path::Path) -> Vec<(i64, String, String)> {
    seqtui::store::search_text::drift(&raw(path)).unwrap()
}

fn ids(ws: &Workspace, sequence: i64, statuses: Vec<Status>, search: &str) -> Vec<i64> {
    ws.enrollment_ids(&EnrollmentQuery {
        sequences: vec![sequence],
        statuses,
        search: search.into(),
        ..Default::default()
    })
    .unwrap()
}

/// The fixture with 12 of its contacts enrolled in sequence A.
fn enrolled() -> Fixture {
    let mut f = fixture(12);
    f.ws.enroll(&f.admin, f.seq_a.id, &f.c).unwrap();
    f
}

#[test]
fn an_import_that_renames_a_contact_moves_its_search_text() {
    let mut f = enrolled();
    assert_eq!(drift(&f.path), Vec::new());
    assert_eq!(ids(&f.ws, f.seq_a.id, vec![], "zelda").len(), 0);
    // Contact 1 (contact0000@acme0.example) renamed, at another company.
    let row = ContactInput {
        line: 2,
        email_column: "Email".into(),
        email: "contact0000@acme0.example".into(),
        first_name: Some("Zelda".into()),
        last_name: Some("Quorn".into()),
        company: Some("Hyrule Freight".into()),
        owner: Some(f.rep_ann.email.clone()),
        ..Default::default()
    };
    f.ws.import_contacts(&f.admin, &[row]).unwrap();
    assert_eq!(drift(&f.path), Vec::new());
    let renamed = ids(&f.ws, f.seq_a.id, vec![Status::Active], "zelda q");
    assert_eq!(renamed.len(), 1);
    assert_eq!(ids(&f.ws, f.seq_a.id, vec![], "hyrule").len(), 1);
    // The old name and company no longer match it.
    assert_eq!(ids(&f.ws, f.seq_a.id, vec![], "first0000").len(), 0);
}

#[test]
fn a_new_email_moves_the_search_text() {
    let mut f = enrolled();
    f.ws.change_contact_email(&f.admin, f.c[3], "new.address@elsewhere.example")
        .unwrap();
    assert_eq!(drift(&f.path), Vec::new());
    assert_eq!(ids(&f.ws, f.seq_a.id, vec![], "new.address@").len(), 1);
    assert_eq!(ids(&f.ws, f.seq_a.id, vec![], "contact0003@").len(), 0);
}

/// The parts are matched apart: a needle that would span the end of the
/// company and nothing (or the name and the email) matches nothing, as the
/// contact's own condition says; a needle with a newline in it is checked
/// on the contact.
#[test]
fn a_needle_does_not_span_two_parts() {
    let f = enrolled();
    // "first0000 last0000" is the name; the email starts "contact0000".
    assert_eq!(ids(&f.ws, f.seq_a.id, vec![], "last0000 contact").len(), 0);
    assert_eq!(ids(&f.ws, f.seq_a.id, vec![], "last0000\ncontact").len(), 0);
    assert_eq!(
        ids(&f.ws, f.seq_a.id, vec![], "first0000 last0000").len(),
        1
    );
}

#[test]
fn a_bulk_enroll_writes_the_search_text() {
    let mut f = fixture(21);
    let report =
        f.ws.enroll_contacts(&f.admin, f.seq_b.id, &f.c, false)
            .unwrap();
    assert_eq!(report.enrolled.len(), 21);
    assert_eq!(drift(&f.path), Vec::new());
    // Companies are "Acme 0" to "Acme 6" in turn.
    assert_eq!(ids(&f.ws, f.seq_b.id, vec![], "acme 3").len(), 3);
}

/// A text filter's first page of one sequence reads the page index alone:
/// the plan names the covering index and never the contacts.
#[test]
fn a_text_filter_reads_the_page_index_alone() {
    let f = sqlite_fixture(6);
    let conn = raw(&f.path);
    for (statuses, index) in [
        (vec![Status::Active], "enrollments_status_page"),
        (vec![], "enrollments_page"),
    ] {
        let query = EnrollmentQuery {
            sequences: vec![f.seq_a.id],
            statuses,
            search: "zq".into(),
            ..Default::default()
        };
        let text = seqtui::store::queries::enrollment_page_plan(&conn, &query, false)
            .unwrap()
            .join("\n");
        assert!(text.contains(&format!("COVERING INDEX {index} ")), "{text}");
        assert!(!text.contains("contacts"), "{text}");
    }
}

/// Opening a workspace made before migration 20 fills the column (and,
/// in a file, rebuilds the page indexes with it); on PostgreSQL the
/// version is recorded and a second opening has nothing left to do.
#[test]
fn the_migration_fills_the_search_text() {
    let mut f = fixture(12);
    f.ws.enroll(&f.admin, f.seq_a.id, &f.c).unwrap();
    drop(f.ws);
    let pg = seqtui::store::postgres_url(&f.path).is_some();
    let conn = raw(&f.path);
    if pg {
        conn.execute_batch(
            "ALTER TABLE enrollments DROP COLUMN search;
             UPDATE schema_version SET version = 19;",
        )
        .unwrap();
    } else {
        // The version before migration 20: it and those after it run again.
        let before = seqtui::store::schema::migrations()
            .iter()
            .position(|sql| sql.contains("ADD COLUMN search"))
            .unwrap();
        conn.execute_batch(&format!(
            "DROP INDEX enrollments_page;
             DROP INDEX enrollments_status_page;
             ALTER TABLE enrollments DROP COLUMN search;
             CREATE INDEX enrollments_page ON enrollments(sequence_id, sort_name, id);
             CREATE INDEX enrollments_status_page ON enrollments(sequence_id, status, sort_name, id);
             PRAGMA user_version = {before};"
        ))
        .unwrap();
    }
    drop(conn);
    let ws = Workspace::open(&f.path, Clock::Fixed(now())).unwrap();
    assert_eq!(drift(&f.path), Vec::new());
    let conn = raw(&f.path);
    let empty: i64 = conn
        .query_row(
            "SELECT count(*) FROM enrollments WHERE search = ''",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(empty, 0);
    if pg {
        let version: i64 = conn
            .query_row("SELECT max(version) FROM schema_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, seqtui::store::pg::SCHEMA_VERSION);
    } else {
        for index in ["enrollments_page", "enrollments_status_page"] {
            let sql: String = conn
                .query_row(
                    "SELECT sql FROM sqlite_master WHERE name = ?1",
                    [index],
                    |r| r.get(0),
                )
                .unwrap();
            assert!(sql.contains("search)"), "{sql}");
        }
    }
    assert_eq!(ids(&ws, f.seq_a.id, vec![], "first0004").len(), 1);
    drop(ws);
    Workspace::open(&f.path, Clock::Fixed(now())).unwrap();
    assert_eq!(drift(&f.path), Vec::new());
}

/// Migration 21 (in this file beside migration 20, whose test it follows):
/// opening a workspace made before it drops `scheduled_steps_due`, whose
/// rows and first column the due walk's `scheduled_steps_queue` has, and on
/// PostgreSQL the audit rows' foreign keys, checked one row at a time.
#[test]
fn migration_21_drops_the_second_due_index() {
    let mut f = fixture(6);
    f.ws.enroll(&f.admin, f.seq_a.id, &f.c).unwrap();
    drop(f.ws);
    let pg = seqtui::store::postgres_url(&f.path).is_some();
    let conn = raw(&f.path);
    let index =
        "CREATE INDEX scheduled_steps_due ON scheduled_steps (due_at) WHERE state = 'scheduled'";
    if pg {
        conn.execute_batch(&format!(
            "{index};
             ALTER TABLE audit_enrollments ADD FOREIGN KEY (audit_id) REFERENCES audit (id);
             ALTER TABLE audit_enrollments ADD FOREIGN KEY (enrollment_id) REFERENCES enrollments (id);
             ALTER TABLE audit_enrollments ADD FOREIGN KEY (before_enrolled_by) REFERENCES users (id);
             UPDATE schema_version SET version = 20;"
        ))
        .unwrap();
    } else {
        let before = seqtui::store::schema::migrations().len() - 1;
        conn.execute_batch(&format!("{index}; PRAGMA user_version = {before};"))
            .unwrap();
    }
    drop(conn);
    let count = |sql: &str| -> i64 { raw(&f.path).query_row(sql, [], |r| r.get(0)).unwrap() };
    // The foreign keys are PostgreSQL's alone: SQLite keeps its own.
    let (indexes, foreign_keys, version, latest) = if pg {
        (
            "SELECT count(*) FROM pg_indexes
             WHERE schemaname = current_schema() AND indexname = 'scheduled_steps_due'",
            Some(
                "SELECT count(*) FROM pg_constraint
                 WHERE conrelid = 'audit_enrollments'::regclass AND contype = 'f'",
            ),
            "SELECT max(version) FROM schema_version",
            seqtui::store::pg::SCHEMA_VERSION,
        )
    } else {
        (
            "SELECT count(*) FROM sqlite_master WHERE name = 'scheduled_steps_due'",
            None,
            "PRAGMA user_version",
            seqtui::store::schema::migrations().len() as i64,
        )
    };
    assert_eq!(count(indexes), 1);
    if let Some(sql) = foreign_keys {
        assert_eq!(count(sql), 3);
    }
    let ws = Workspace::open(&f.path, Clock::Fixed(now())).unwrap();
    assert_eq!(count(indexes), 0);
    if let Some(sql) = foreign_keys {
        assert_eq!(count(sql), 0);
    }
    assert_eq!(count(version), latest);
    drop(ws);
}
