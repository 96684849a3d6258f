//! Issue 18, identity on PostgreSQL: a team member's database role gets
//! the workspace's tables when an admin binds a user to it, and loses
//! them when unbound; the audit stays append-only for it by privilege
//! (no UPDATE, DELETE or TRUNCATE), before any trigger. Against a real
//! cluster started by the test (tests/support/postgres.rs).

mod common;
mod support;

use common::cli::{Run, on_cluster, one_sentence, output};
use support::postgres::Postgres;

/// seqtui on `url` as the role the URL names (the password is the
/// cluster's; the real clock: only an admin may set it once users are
/// bound).
fn seqtui(url: &str, pg: &Postgres, args: &[&str]) -> Run {
    output(on_cluster(url, &pg.dir().join("home"), pg.password).args(args))
}

fn as_role(pg: &Postgres, role: &str, db: &str) -> postgres::Client {
    postgres::Config::new()
        .host("127.0.0.1")
        .port(pg.port)
        .user(role)
        .password(pg.password)
        .dbname(db)
        .connect(postgres::NoTls)
        .unwrap()
}

#[test]
fn binding_a_user_grants_their_role_the_workspace_and_the_audit_stays_append_only() {
    let pg = Postgres::start();
    let owner = pg.database("team");
    let bob_url = owner.replacen(&format!("{}@", pg.user), "bob@", 1);
    let ok = |run: Run| {
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
        run
    };
    ok(seqtui(
        &owner,
        &pg,
        &["init", "--name", "Team", "--admin", "admin@team.example"],
    ));
    let mut admin = pg.client("team").unwrap();
    admin
        .batch_execute(&format!("CREATE ROLE bob LOGIN PASSWORD '{}'", pg.password))
        .unwrap();
    ok(seqtui(
        &owner,
        &pg,
        &[
            "users",
            "add",
            "bob@team.example",
            "--name",
            "Bob",
            "--role",
            "manager",
            "--team",
            "east",
        ],
    ));

    // Not bound: bob's role cannot read the workspace, and is told what an
    // admin would run (a refusal, exit 3, not the server's raw words).
    let before = seqtui(&bob_url, &pg, &["sequences"]);
    assert_eq!(before.code, 3, "{}{}", before.stdout, before.stderr);
    one_sentence(&before.stderr);
    assert!(
        before
            .stderr
            .contains("`seqtui users bind EMAIL --login bob`"),
        "{}",
        before.stderr
    );

    // A role the server does not know is refused, nothing bound.
    let unknown = seqtui(
        &owner,
        &pg,
        &["users", "bind", "bob@team.example", "--login", "nosuchrole"],
    );
    assert_eq!(unknown.code, 4, "{}", unknown.stderr);
    assert!(
        unknown.stderr.contains("no role 'nosuchrole'"),
        "{}",
        unknown.stderr
    );

    // Bound: bob works, as himself.
    ok(seqtui(
        &owner,
        &pg,
        &["users", "bind", "bob@team.example", "--login", "bob"],
    ));
    let whoami = ok(seqtui(&bob_url, &pg, &["--json", "users"]));
    assert!(whoami.stdout.contains("bob@team.example"));
    ok(seqtui(
        &bob_url,
        &pg,
        &["list", "save", "Bob's list", "--company", "Acme"],
    ));
    let audit: i64 = admin
        .query_one(
            "SELECT count(*) FROM audit a JOIN users u ON u.id = a.actor_id
             WHERE u.email = 'bob@team.example'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(audit, 1, "bob's change has its audit entry");

    // The audit is append-only for bob's role by privilege.
    let mut bob = as_role(&pg, "bob", "team");
    for statement in [
        "UPDATE audit SET note = 'rewritten'",
        "DELETE FROM audit",
        "TRUNCATE audit",
        "DELETE FROM audit_enrollments",
        "UPDATE audit_owners SET audit_id = audit_id",
    ] {
        let refused = bob.batch_execute(statement).unwrap_err();
        let text = refused.as_db_error().map(|e| e.message().to_string());
        assert!(
            text.as_deref()
                .is_some_and(|t| t.starts_with("permission denied for table")),
            "{statement}: {refused:?}"
        );
    }
    // What seqtui itself needs is there.
    bob.batch_execute("SELECT count(*) FROM enrollments")
        .unwrap();
    drop(bob);

    // Unbound: the role loses the workspace again.
    ok(seqtui(
        &owner,
        &pg,
        &["users", "unbind", "bob@team.example"],
    ));
    let after = seqtui(&bob_url, &pg, &["sequences"]);
    assert_eq!(after.code, 3, "{}{}", after.stdout, after.stderr);
    assert!(
        after
            .stderr
            .contains("`seqtui users bind EMAIL --login bob`"),
        "{}",
        after.stderr
    );
}
