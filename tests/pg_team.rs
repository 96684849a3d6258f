//! Issue 18, what a team meets on PostgreSQL beyond the happy path: a demo
//! replaced with `--force` is replaced whole or not at all, and only by
//! the role that owns its tables; what an earlier seqtui left behind does
//! not block a new workspace. Against a real cluster started by the test
//! (tests/support/postgres.rs).

mod common;
mod support;

use common::cli::{Run, on_cluster, one_sentence, output, process};
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

/// A server that accepts the connection and never answers (a stuck server,
/// a firewall that swallows packets) is given up on after the URL's
/// `connect_timeout`, with one sentence, instead of hanging.
#[test]
fn a_server_that_never_answers_is_given_up_on_after_connect_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accept and hold every connection, saying nothing.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    let home = tempfile::tempdir().unwrap();
    let url = format!("postgres://maya@127.0.0.1:{port}/sales?connect_timeout=2");
    let started = std::time::Instant::now();
    let mut child = process(std::path::Path::new(&url))
        .env("PGPASSWORD", "pw")
        .env("PGPASSFILE", home.path().join("no-pgpass"))
        .arg("users")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(30) {
            child.kill().unwrap();
            panic!("seqtui still waited for the server after 30 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let took = started.elapsed();
    let r = Run::from(child.wait_with_output().unwrap());
    assert_eq!(r.code, 1, "{}", r.stderr);
    one_sentence(&r.stderr);
    assert!(r.stderr.contains("no answer within 2 s"), "{}", r.stderr);
    assert!(
        took < std::time::Duration::from_secs(20),
        "gave up after {took:?}"
    );
}

/// A URL without a user takes PGUSER (as psql does), and says whom it
/// tried when the server refuses.
#[test]
fn a_url_without_a_user_takes_pguser() {
    let pg = Postgres::start();
    let url = pg.database("team");
    ok(seqtui(
        &url,
        &pg,
        &["init", "--name", "Team", "--admin", "admin@team.example"],
    ));
    let without = format!("postgres://127.0.0.1:{}/team", pg.port);
    let home = pg.dir().join("home");
    ok(output(
        on_cluster(&without, &home, pg.password)
            .env("PGUSER", pg.user)
            .arg("sequences"),
    ));
    let r = output(
        on_cluster(&without, &home, pg.password)
            .env("PGUSER", "nobody_here")
            .arg("sequences"),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    one_sentence(&r.stderr);
    assert!(
        r.stderr.contains("(database team, user nobody_here)"),
        "{}",
        r.stderr
    );
}

/// A database the server does not have is "not found" (exit 4, as a
/// missing workspace file is), with who creates it.
#[test]
fn a_missing_database_is_not_found() {
    let pg = Postgres::start();
    let url = pg.url("nosuchdb");
    let r = seqtui(&url, &pg, &["sequences"]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    one_sentence(&r.stderr);
    assert!(r.stderr.contains("createdb nosuchdb"), "{}", r.stderr);
    // `paths` does not connect: whether it is there is unknown, not false.
    let paths = ok(seqtui(&url, &pg, &["--json", "paths"])).json();
    assert_eq!(paths["workspace"], url.as_str());
    assert!(paths["workspace_exists"].is_null(), "{paths}");
}

/// A workspace file whose users are bound to operating-system logins,
/// copied into PostgreSQL: those logins are no roles of the server, so the
/// first admin is bound to the role that ran the copy (it owns the
/// tables), which can then rebind the others; nobody is locked out.
#[test]
fn a_bound_workspace_migrated_in_has_its_admin_bound_to_the_role_that_copied_it() {
    let pg = Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("team.db");
    let file_url = file.to_str().unwrap();
    let home = pg.dir().join("home");
    let local = |args: &[&str]| output(on_cluster(file_url, &home, pg.password).args(args));
    ok(local(&["demo", "--contacts", "20"]));
    let admin = "dana.whitfield@northwind.example";
    let login = seqtui::session::current_login().unwrap();
    ok(local(&[
        "--as", admin, "users", "bind", admin, "--login", &login,
    ]));
    ok(local(&[
        "users",
        "bind",
        "tom.becker@northwind.example",
        "--login",
        "tom",
    ]));

    let report = migrate_into(&pg, file_url, "team");
    assert_eq!(report["bound"]["admin"], admin, "{report}");
    assert_eq!(report["bound"]["role"], pg.user);

    // The role that copied it acts as the admin and can rebind the others.
    let url = pg.url("team");
    let users = ok(seqtui(&url, &pg, &["--json", "users"])).json();
    let login_of = |email: &str| {
        users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["email"] == email)
            .map(|u| u["login"].clone())
            .unwrap()
    };
    assert_eq!(login_of(admin), pg.user);
    assert_eq!(login_of("tom.becker@northwind.example"), "tom");
    ok(seqtui(
        &url,
        &pg,
        &["users", "unbind", "tom.becker@northwind.example"],
    ));
    assert_eq!(
        count(
            &pg,
            "team",
            "SELECT count(*) FROM audit WHERE action = 'bind_login'"
        ),
        3,
        "the two bindings of the file and the one the copy made"
    );

    // A workspace with no binding arrives as it is.
    let plain = dir.path().join("plain.db");
    let plain_url = plain.to_str().unwrap();
    ok(output(on_cluster(plain_url, &home, pg.password).args([
        "demo",
        "--contacts",
        "20",
    ])));
    let report = migrate_into(&pg, plain_url, "plain");
    assert!(report["bound"].is_null(), "{report}");
}

/// `migrate --json` of the workspace file `from` into a new database `db`.
fn migrate_into(pg: &Postgres, from: &str, db: &str) -> serde_json::Value {
    let url = pg.database(db);
    ok(seqtui(
        &url,
        pg,
        &["--json", "migrate", "--from", from, "--to", &url],
    ))
    .json()
}

/// A password file others may read is ignored, as psql ignores it, and the
/// refusal says so; made private, it is used.
#[test]
fn a_password_file_others_may_read_is_ignored_and_the_refusal_says_so() {
    use std::os::unix::fs::PermissionsExt;
    let pg = Postgres::start();
    let url = pg.database("team");
    ok(seqtui(
        &url,
        &pg,
        &["init", "--name", "Team", "--admin", "admin@team.example"],
    ));
    let file = pg.dir().join("pgpass");
    std::fs::write(
        &file,
        format!("127.0.0.1:*:*:{}:{}\n", pg.user, pg.password),
    )
    .unwrap();
    let with_file = || {
        let mut cmd = on_cluster(&url, &pg.dir().join("home"), pg.password);
        cmd.env_remove("PGPASSWORD")
            .env("PGPASSFILE", &file)
            .arg("sequences");
        output(&mut cmd)
    };
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let r = with_file();
    assert_eq!(r.code, 1, "{}", r.stderr);
    one_sentence(&r.stderr);
    assert!(
        r.stderr.contains("was ignored: others may read it"),
        "{}",
        r.stderr
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    ok(with_file());
}

/// A role that may not create tables in the database (PostgreSQL 15 lets
/// only its owner create in `public`) is told who may, not the server's
/// "permission denied for schema public"; nothing is created.
#[test]
fn a_role_that_may_not_create_tables_is_told_who_may() {
    let pg = Postgres::start();
    let url = pg.database("team");
    pg.client("team")
        .unwrap()
        .batch_execute(&format!("CREATE ROLE vic LOGIN PASSWORD '{}'", pg.password))
        .unwrap();
    let vic = url.replacen(&format!("{}@", pg.user), "vic@", 1);
    for args in [
        &["init", "--name", "Team", "--admin", "vic@team.example"][..],
        &["demo", "--contacts", "10"][..],
    ] {
        let r = seqtui(&vic, &pg, args);
        assert_eq!(r.code, 3, "{args:?}: {}", r.stderr);
        one_sentence(&r.stderr);
        assert!(
            r.stderr.contains("GRANT CREATE ON SCHEMA public TO vic"),
            "{}",
            r.stderr
        );
    }
    assert_eq!(
        count(
            &pg,
            "team",
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ),
        0
    );
}

/// `run --watch` outlives a server that closes its connection (a restart,
/// a failover): it opens a new one and carries on, where it used to exit 1
/// and wait for systemd.
#[test]
fn run_watch_opens_a_new_connection_when_the_server_closed_its_own() {
    let pg = Postgres::start();
    let url = pg.database("team");
    ok(seqtui(&url, &pg, &["demo", "--contacts", "20"]));
    let home = pg.dir().join("home");
    let outbox = pg.dir().join("outbox");
    let mut watcher = process(std::path::Path::new(&url))
        .env("PGPASSWORD", pg.password)
        .env("PGPASSFILE", home.join("no-pgpass"))
        .args(["run", "--watch", "--outbox", outbox.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let settle = |seconds| std::thread::sleep(std::time::Duration::from_secs(seconds));
    settle(3);
    assert!(watcher.try_wait().unwrap().is_none(), "the watcher runs");
    let ended: i64 = pg
        .client("team")
        .unwrap()
        .query_one(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE datname = 'team' AND pid <> pg_backend_pid()) t",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(ended >= 1, "the watcher's session was there to end");
    settle(4);
    let still = watcher.try_wait().unwrap();
    // It holds a connection again (sessions other than this check's).
    let sessions: i64 = pg
        .client("team")
        .unwrap()
        .query_one(
            "SELECT count(*) FROM pg_stat_activity
              WHERE datname = 'team' AND pid <> pg_backend_pid()",
            &[],
        )
        .unwrap()
        .get(0);
    // SAFETY: a plain signal to our own child.
    unsafe { libc::kill(watcher.id() as i32, libc::SIGTERM) };
    let out = watcher.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        still.is_none(),
        "the watcher exited when its connection was closed: {stderr}"
    );
    assert!(sessions >= 1, "no new connection: {stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}
