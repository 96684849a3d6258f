//! Issue 18, what a team meets on PostgreSQL beyond the happy path: a demo
//! replaced with `--force` is replaced whole or not at all, and only by
//! the role that owns its tables; what an earlier seqtui left behind does
//! not block a new workspace. Against a real cluster started by the test
//! (tests/support/postgres.rs).

mod common;
mod support;

use common::cli::{Run, on_cluster, one_sentence, output};
use support::postgres::Postgres;

/// seqtui on `url` as the role the URL names.
fn seqtui(url: &str, pg: &Postgres, args: &[&str]) -> Run {
    output(on_cluster(url, &pg.dir().join("home"), pg.password).args(args))
}

fn ok(run: Run) -> Run {
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    run
}

fn count(pg: &Postgres, db: &str, sql: &str) -> i64 {
    pg.client(db).unwrap().query_one(sql, &[]).unwrap().get(0)
}

#[test]
fn demo_force_replaces_a_demo_whole_and_only_for_the_role_that_owns_it() {
    let pg = Postgres::start();
    let url = pg.database("demo");
    let tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'";
    ok(seqtui(&url, &pg, &["demo", "--contacts", "60"]));
    let built = count(&pg, "demo", tables);
    assert!(built > 20, "{built} tables");
    let contacts = || count(&pg, "demo", "SELECT count(*) FROM contacts");
    assert_eq!(contacts(), 60);

    // Twice over the same database: each time a whole new demo.
    for n in ["80", "70"] {
        ok(seqtui(&url, &pg, &["demo", "--contacts", n, "--force"]));
        assert_eq!(contacts(), n.parse::<i64>().unwrap());
        assert_eq!(count(&pg, "demo", tables), built);
    }

    // Another role, even one that may read and write every table, does
    // not own them: refused with who may, and the demo is untouched.
    let mut admin = pg.client("demo").unwrap();
    admin
        .batch_execute(&format!(
            "CREATE ROLE rita LOGIN PASSWORD '{}';
             GRANT ALL ON ALL TABLES IN SCHEMA public TO rita;
             GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO rita;",
            pg.password
        ))
        .unwrap();
    let rita = url.replacen(&format!("{}@", pg.user), "rita@", 1);
    let r = seqtui(&rita, &pg, &["demo", "--contacts", "10", "--force"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    one_sentence(&r.stderr);
    assert!(
        r.stderr.contains(&format!("({})", pg.user)),
        "names the owner: {}",
        r.stderr
    );
    assert_eq!(contacts(), 70);
    assert_eq!(count(&pg, "demo", tables), built);
}

#[test]
fn what_an_earlier_seqtui_left_beside_no_tables_does_not_block_a_workspace() {
    let pg = Postgres::start();
    let url = pg.database("left");
    // The collation and a function the schema creates, without its tables
    // (what an interrupted replace of an earlier seqtui left behind).
    pg.client("left")
        .unwrap()
        .batch_execute(
            "CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
             CREATE FUNCTION unixepoch(at TEXT) RETURNS BIGINT LANGUAGE sql IMMUTABLE STRICT
                 AS $$ SELECT 0::bigint $$;",
        )
        .unwrap();
    ok(seqtui(
        &url,
        &pg,
        &["init", "--name", "Team", "--admin", "admin@team.example"],
    ));
    assert_eq!(
        count(&pg, "left", "SELECT unixepoch('1970-01-02T00:00:00Z')"),
        86_400,
        "the schema's own function replaced the one left behind"
    );
    let demo = pg.database("left_demo");
    pg.client("left_demo")
        .unwrap()
        .batch_execute(
            "CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);",
        )
        .unwrap();
    ok(seqtui(&demo, &pg, &["demo", "--contacts", "20"]));
}
