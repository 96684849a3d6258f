//! Issue 18, "TLS as the URL says": seqtui reaches a PostgreSQL server
//! over TLS the way `sslmode` in its URL asks, with libpq's meaning of each
//! value. Against a real cluster started by the test whose TCP port takes
//! only TLS connections (as managed PostgreSQL services do), with a
//! certificate from a throwaway authority (tests/support/certs.rs).

mod common;
mod support;

use std::path::Path;

use common::cli::{Run, on_cluster, output};
use support::certs::Certs;
use support::postgres::Postgres;

/// seqtui on `url` with the cluster's password, trusting `ca` in addition
/// to the system's authorities when given.
fn seqtui(url: &str, pg: &Postgres, ca: Option<&Path>, args: &[&str]) -> Run {
    let mut cmd = on_cluster(url, &pg.dir().join("home"), pg.password);
    if let Some(ca) = ca {
        cmd.env("SEQTUI_CA_FILE", ca);
    }
    output(cmd.args(args))
}

/// An empty workspace in the database `url`, its admin bound to the
/// cluster's user.
fn init(url: &str, pg: &Postgres) {
    ok(seqtui(
        url,
        pg,
        None,
        &["init", "--name", "Team", "--admin", "admin@team.example"],
    ));
}

fn ok(run: Run) -> Run {
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    run
}

#[test]
fn a_server_that_takes_only_tls_is_reached_as_the_url_says() {
    let certs = Certs::generate();
    let pg = Postgres::start_tls_only(&certs);
    let url = pg.database("team");

    // No sslmode: libpq's default, `prefer`, tries TLS first.
    init(&url, &pg);
    // `require`: TLS or nothing; as with libpq, the certificate is not
    // checked (that is what verify-ca and verify-full are for).
    let listed = ok(seqtui(
        &format!("{url}?sslmode=require"),
        &pg,
        None,
        &["users"],
    ));
    assert!(
        listed.stdout.contains("admin@team.example"),
        "{}",
        listed.stdout
    );

    // `verify-full`: the authority must be trusted and the certificate
    // must name the host. The throwaway authority is not, until named.
    let strict = format!("{url}?sslmode=verify-full");
    let refused = seqtui(&strict, &pg, None, &["users"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("not signed by an authority seqtui trusts")
            && refused.stderr.contains("SEQTUI_CA_FILE")
            && refused.stderr.contains("sslrootcert"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        refused.stderr.trim().lines().count(),
        1,
        "{}",
        refused.stderr
    );
    ok(seqtui(&strict, &pg, Some(&certs.ca), &["users"]));
    ok(seqtui(
        &format!("{strict}&sslrootcert={}", certs.ca.display()),
        &pg,
        None,
        &["users"],
    ));
    ok(seqtui(
        &format!("{url}?sslmode=verify-ca&sslrootcert={}", certs.ca.display()),
        &pg,
        None,
        &["users"],
    ));

    // `disable`: no TLS, which this server refuses, in its own words.
    let plain = seqtui(&format!("{url}?sslmode=disable"), &pg, None, &["users"]);
    assert_eq!(plain.code, 1, "{}", plain.stderr);
    assert!(plain.stderr.contains("no encryption"), "{}", plain.stderr);

    // An sslmode libpq does not know is a usage error naming the values.
    let bad = seqtui(&format!("{url}?sslmode=always"), &pg, None, &["users"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("verify-full"), "{}", bad.stderr);
}

/// A server without TLS: `require` refuses to go on in plain text, and the
/// default (`prefer`) goes on without it, as libpq does.
#[test]
fn require_refuses_a_server_without_tls_and_prefer_goes_on_without_it() {
    let pg = Postgres::start();
    let url = pg.database("team");
    init(&url, &pg);
    ok(seqtui(
        &format!("{url}?sslmode=prefer"),
        &pg,
        None,
        &["users"],
    ));
    let refused = seqtui(&format!("{url}?sslmode=require"), &pg, None, &["users"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("sslmode=require")
            && refused.stderr.contains("server does not support TLS"),
        "{}",
        refused.stderr
    );
}

/// `verify-ca` checks the authority alone; `verify-full` also wants the
/// certificate to name the host the URL gives.
#[test]
fn verify_ca_takes_a_certificate_for_another_host_and_verify_full_does_not() {
    let certs = Certs::generate_naming("DNS:db.example");
    let pg = Postgres::start_tls_only(&certs);
    let url = pg.database("team");
    init(&url, &pg);
    ok(seqtui(
        &format!("{url}?sslmode=verify-ca"),
        &pg,
        Some(&certs.ca),
        &["users"],
    ));
    let refused = seqtui(
        &format!("{url}?sslmode=verify-full"),
        &pg,
        Some(&certs.ca),
        &["users"],
    );
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("does not name the host")
            && !refused.stderr.contains("sslrootcert"),
        "{}",
        refused.stderr
    );
}
