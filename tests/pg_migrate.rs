//! `seqtui migrate` against a real PostgreSQL cluster started by the test:
//! the demo workspace (with hostile text and every byte value in a blob)
//! copied into PostgreSQL and back loses nothing — the same rows and
//! checksums each way, and the copy reads the same through seqtui — and
//! the PostgreSQL schema keeps R1 and the append-only audit.

mod common;
mod support;

use std::path::Path;

use common::cli::{Run, output, process};
use serde_json::Value;
use support::postgres::Postgres;

const NOW: &str = "2026-11-27T09:00:00Z";

fn seqtui(db: &Path, pg: &Postgres, args: &[&str]) -> Run {
    let mut cmd = assert_cmd::Command::from_std(process(db));
    cmd.env("PGPASSWORD", pg.password)
        .env("PGPASSFILE", db.with_extension("no-pgpass"))
        .arg("--now")
        .arg(NOW);
    output(cmd.args(args))
}

fn demo(dir: &Path, pg: &Postgres) -> std::path::PathBuf {
    let db = dir.join("demo.db");
    let run = seqtui(&db, pg, &["demo", "--contacts", "300"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = seqtui(
        &db,
        pg,
        &["run", "--outbox", dir.join("outbox").to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Text COPY must escape, and every byte value in a blob.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE contacts SET title = ?1 WHERE id = 1",
        ["tab\there, back\\slash, new\nline, cr\r, bell\x07, é, \\N, 日本"],
    )
    .unwrap();
    let every_byte: Vec<u8> = (0..=255).collect();
    let sent: i64 = conn
        .query_row("SELECT max(id) FROM sent_emails", [], |r| r.get(0))
        .unwrap();
    conn.execute(
        "INSERT INTO outbox (sent_email_id, file_name, message, attempts) VALUES (?1, 'x.eml', ?2, 1)",
        rusqlite::params![sent, every_byte],
    )
    .unwrap();
    db
}

fn tables(run: &Run) -> Value {
    assert_eq!(run.code, 0, "migrate failed: {}{}", run.stdout, run.stderr);
    run.json()["tables"].clone()
}

#[test]
fn a_workspace_goes_to_postgresql_and_back_losing_nothing() {
    let pg = Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path(), &pg);
    let url = pg.database("team");

    let there = tables(&seqtui(
        &db,
        &pg,
        &[
            "--json",
            "migrate",
            "--from",
            db.to_str().unwrap(),
            "--to",
            &url,
        ],
    ));
    let list = there.as_array().unwrap();
    assert!(list.len() >= 19, "{there}");
    let rows = |name: &str| {
        list.iter().find(|t| t["table"] == name).unwrap()["rows"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(rows("contacts"), 300);
    assert_eq!(rows("outbox"), 1);
    assert!(rows("enrollments") > 300 && rows("audit") > 0 && rows("sent_emails") > 0);

    // PostgreSQL holds the same counts, read with its own client.
    let mut client = pg.client("team").unwrap();
    let sqlite = rusqlite::Connection::open(&db).unwrap();
    for table in list {
        let name = table["table"].as_str().unwrap();
        let in_pg: i64 = client
            .query_one(&format!("SELECT count(*) FROM \"{name}\""), &[])
            .unwrap()
            .get(0);
        let in_sqlite: i64 = sqlite
            .query_row(&format!("SELECT count(*) FROM \"{name}\""), [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(in_pg, in_sqlite, "{name}");
    }
    let blob: Vec<u8> = client
        .query_one("SELECT message FROM outbox", &[])
        .unwrap()
        .get(0);
    assert_eq!(blob, (0..=255).collect::<Vec<u8>>());
    // The copy leaves the planner statistics of every table it filled
    // (without them its first plans walk whole tables).
    let unanalysed: Vec<String> = client
        .query(
            "SELECT relname::text FROM pg_stat_user_tables
             WHERE schemaname = current_schema() AND n_live_tup > 0 AND last_analyze IS NULL
               AND last_autoanalyze IS NULL",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(unanalysed.is_empty(), "never analysed: {unanalysed:?}");

    // And back into a new file: the same rows, the same checksums.
    let back = dir.path().join("back.db");
    let again = tables(&seqtui(
        &db,
        &pg,
        &[
            "--json",
            "migrate",
            "--from",
            &url,
            "--to",
            back.to_str().unwrap(),
        ],
    ));
    assert_eq!(
        there, again,
        "the same tables, rows and checksums both ways"
    );
    let title: String = rusqlite::Connection::open(&back)
        .unwrap()
        .query_row("SELECT title FROM contacts WHERE id = 1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        title,
        "tab\there, back\\slash, new\nline, cr\r, bell\x07, é, \\N, 日本"
    );
    for args in [
        &["sequences", "--json"][..],
        &["enrollments", "--json"],
        &["audit", "--json", "--limit", "1000"],
    ] {
        let original = seqtui(&db, &pg, args);
        let copy = seqtui(&back, &pg, args);
        assert_eq!(original.code, 0, "{}", original.stderr);
        assert_eq!(original.stdout, copy.stdout, "{args:?} reads the same");
    }

    // Into a database that is not empty, or onto a file that exists:
    // refused, and nothing written.
    let run = seqtui(
        &db,
        &pg,
        &["migrate", "--from", db.to_str().unwrap(), "--to", &url],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("not empty"), "{}", run.stderr);
    let run = seqtui(
        &db,
        &pg,
        &["migrate", "--from", &url, "--to", back.to_str().unwrap()],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
}

#[test]
fn the_postgresql_schema_keeps_r1_and_the_append_only_audit() {
    let pg = Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path(), &pg);
    let url = pg.database("rules");
    let run = seqtui(
        &db,
        &pg,
        &["migrate", "--from", db.to_str().unwrap(), "--to", &url],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut client = pg.client("rules").unwrap();
    // R1: a second open enrollment for a contact that has one.
    let err = client
        .batch_execute(
            "INSERT INTO enrollments (sequence_id, contact_id, enrolled_by, sender_id, status, current_step, enrolled_at, sort_name)
             SELECT sequence_id, contact_id, enrolled_by, sender_id, 'active', 1, enrolled_at, sort_name
             FROM enrollments WHERE status = 'active' LIMIT 1",
        )
        .unwrap_err();
    assert!(
        err.as_db_error()
            .unwrap()
            .message()
            .contains("enrollments_one_open"),
        "{err}"
    );
    for statement in ["UPDATE audit SET note = 'x'", "DELETE FROM audit"] {
        let err = client.batch_execute(statement).unwrap_err();
        assert!(
            err.as_db_error().unwrap().message().contains("append-only"),
            "{statement}: {err}"
        );
    }
    // New rows get ids after the copied ones.
    let (max, next): (i64, i64) = {
        let row = client
            .query_one(
                "SELECT (SELECT max(id) FROM saved_lists), nextval(pg_get_serial_sequence('saved_lists', 'id'))",
                &[],
            )
            .unwrap();
        (row.get::<_, Option<i64>>(0).unwrap_or(0), row.get(1))
    };
    assert!(next > max, "identity after the copied ids: {next} > {max}");
}

#[test]
fn credentials_never_come_from_the_command_line() {
    let pg = Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path(), &pg);
    pg.database("creds");
    let with_password = format!(
        "postgres://{}:{}@127.0.0.1:{}/creds",
        pg.user, pg.password, pg.port
    );
    let run = seqtui(
        &db,
        &pg,
        &[
            "migrate",
            "--from",
            db.to_str().unwrap(),
            "--to",
            &with_password,
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("PGPASSWORD"), "{}", run.stderr);
    assert!(!run.stderr.contains(pg.password), "{}", run.stderr);

    // A wrong password: one sentence naming where it tried.
    let mut cmd = assert_cmd::Command::from_std(process(&db));
    cmd.env("PGPASSWORD", "wrong")
        .env("PGPASSFILE", dir.path().join("none"));
    let run = output(cmd.args([
        "migrate",
        "--from",
        db.to_str().unwrap(),
        "--to",
        &pg.url("creds"),
    ]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with("seqtui: cannot connect to PostgreSQL"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.trim_end().lines().count(), 1, "{}", run.stderr);

    // The password file, as libpq reads it.
    let pgpass = dir.path().join("pgpass");
    std::fs::write(
        &pgpass,
        format!("127.0.0.1:{}:creds:{}:{}\n", pg.port, pg.user, pg.password),
    )
    .unwrap();
    std::fs::set_permissions(&pgpass, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let mut cmd = assert_cmd::Command::from_std(process(&db));
    cmd.env_remove("PGPASSWORD").env("PGPASSFILE", &pgpass);
    let run = output(cmd.args([
        "migrate",
        "--from",
        db.to_str().unwrap(),
        "--to",
        &pg.url("creds"),
    ]));
    assert_eq!(run.code, 0, "{}", run.stderr);
}
