//! The PostgreSQL side of a workspace (beyond one host): its schema, the
//! connection (a `postgres://` URL; the password from `PGPASSWORD` or the
//! password file, never the URL) and the lossless copy of a workspace
//! between SQLite and PostgreSQL that `seqtui migrate` runs.
//!
//! The tables and columns are the SQLite store's, one for one
//! (`schema.sql` says how the types map), so a copy is a plain column-wise
//! transfer: rows go through PostgreSQL's `COPY` text format both ways, and
//! each table's checksum is an FNV-1a 64 of its rows in that text form,
//! ordered by primary key — computed on the source and again on the copy.

mod copy;
mod tls;

pub use copy::{CopyInto, TableCopy, pg_to_sqlite, sqlite_to_pg};

use std::path::PathBuf;
use std::str::FromStr;

use crate::domain::DomainError;

/// The SQLite schema version `schema.sql` matches: a workspace is copied
/// only at this version (opening it with this seqtui migrates it there).
pub const SCHEMA_VERSION: i64 = 21;

/// The PostgreSQL schema, created in one transaction in an empty database.
pub const SCHEMA: &str = include_str!("schema.sql");

/// Every table, parents before children, so that rows copied in this order
/// always find what they refer to.
pub const TABLES: &[&str] = &[
    "workspace",
    "schema_version",
    "users",
    "contacts",
    "sequences",
    "steps",
    "enrollments",
    "scheduled_steps",
    "tasks",
    "sent_emails",
    "events",
    "audit",
    "audit_enrollments",
    "outbox",
    "engine_pauses",
    "tidy_queue",
    "saved_lists",
    "audit_owners",
    "bounces",
    "sequence_versions",
    "imap_state",
];

/// Whether a workspace location names a PostgreSQL database rather than a
/// SQLite file.
pub fn is_url(location: &str) -> bool {
    let lower = location.to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// Why a workspace location that is meant as a database URL is neither a
/// PostgreSQL URL nor a file path: another scheme (`postgress://…`,
/// `pg://…`, `mysql://…`) or `postgres:` without `//`. Taken as a path it
/// would quietly make a SQLite file named like the URL, and a teammate
/// would work alone believing they share the team's database.
pub fn location_mistake(location: &str) -> Option<String> {
    if is_url(location) {
        return None;
    }
    let lower = location.to_ascii_lowercase();
    let scheme = lower.split_once("://").map(|(s, _)| s).filter(|s| {
        s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    if let Some(scheme) = scheme {
        return Some(format!(
            "a {scheme}:// URL is no workspace; give a file path or a PostgreSQL database as postgres://USER@HOST[:PORT]/DB"
        ));
    }
    (lower.starts_with("postgres:") || lower.starts_with("postgresql:")).then(|| {
        "a PostgreSQL URL begins with postgres:// (postgres://USER@HOST[:PORT]/DB)".to_string()
    })
}

/// A sentence for a PostgreSQL error.
pub(crate) fn pg_error(e: postgres::Error) -> DomainError {
    let detail = match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => e.to_string(),
    };
    DomainError::Storage(format!("PostgreSQL: {detail}"))
}

/// The password file: `PGPASSFILE`, else `~/.pgpass`.
fn password_file() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PGPASSFILE") {
        return Some(PathBuf::from(path));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".pgpass"))
}

/// Whether others than its owner may read or write the password file: libpq
/// (psql) then ignores it, and so does seqtui.
fn open_to_others(file: &std::path::Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(file).is_ok_and(|m| m.permissions().mode() & 0o077 != 0)
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        false
    }
}

/// The password of `~/.pgpass` for this host, port, database and user
/// (`*` matches anything; `\:` and `\\` are escapes), as libpq reads it.
fn password_from_file(
    file: &std::path::Path,
    host: &str,
    port: u16,
    db: &str,
    user: &str,
) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    if let Some(next) = chars.next() {
                        field.push(next);
                    }
                }
                ':' if fields.len() < 4 => fields.push(std::mem::take(&mut field)),
                other => field.push(other),
            }
        }
        fields.push(field);
        if fields.len() != 5 {
            continue;
        }
        let port = port.to_string();
        let wanted = [host, port.as_str(), db, user];
        if fields[..4]
            .iter()
            .zip(wanted)
            .all(|(have, want)| have == "*" || have == want)
        {
            return Some(fields[4].clone());
        }
    }
    None
}

/// Opens the workspace in the PostgreSQL database `url` names: its
/// schema must be this seqtui's ([`SCHEMA_VERSION`]); an empty database is
/// "no workspace" (made with `seqtui init --db URL`, `demo` or `migrate`).
/// The connection listens for other sessions' commits (see
/// [`super::db::Connection::data_version`]).
pub fn open(url: &str) -> Result<super::Connection, DomainError> {
    let mut client = connect(url)?;
    let version = match client.query_opt("SELECT max(version) FROM schema_version", &[]) {
        Ok(row) => row.and_then(|r| r.get::<_, Option<i64>>(0)),
        Err(e) if e.code() == Some(&postgres::error::SqlState::UNDEFINED_TABLE) => {
            return Err(DomainError::NoWorkspace(std::path::PathBuf::from(url)));
        }
        // A role no user is bound to has no grants on the workspace (a new
        // teammate's, or one unbound): say what an admin would run, as
        // for a bound workspace's unbound login.
        Err(e) if e.code() == Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) => {
            let role: String = client
                .query_one("SELECT current_user::text", &[])
                .map_err(pg_error)?
                .get(0);
            return Err(DomainError::Refused(format!(
                "the role '{role}' may not use the workspace at {url}: it is bound to no user of it; an admin can bind it with `seqtui users bind EMAIL --login {role}`"
            )));
        }
        Err(e) => return Err(pg_error(e)),
    };
    match version {
        Some(SCHEMA_VERSION) => {}
        Some(v) if v > SCHEMA_VERSION => {
            return Err(DomainError::Storage(format!(
                "{url} was written by a newer seqtui (schema {v}, this binary knows {SCHEMA_VERSION}); upgrade seqtui to open it"
            )));
        }
        Some(v) => upgrade(&mut client, url, v)?,
        None => return Err(DomainError::NoWorkspace(std::path::PathBuf::from(url))),
    }
    client
        .batch_execute(&format!("LISTEN {}", super::db::CHANNEL))
        .map_err(pg_error)?;
    Ok(super::Connection::postgres(client)?)
}

/// The PostgreSQL migrations: each moves a workspace from the version
/// before it to its own, as the SQLite migration of the same number does
/// (`store::schema`). A workspace older than the first one listed is
/// copied through a SQLite file (`seqtui migrate`) instead.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        20,
        // The search text (SQLite's migration 20, `store::search_text`); the
        // page indexes stay as they are here (see schema.sql).
        "ALTER TABLE enrollments ADD COLUMN search TEXT COLLATE \"C\" NOT NULL DEFAULT '';
         UPDATE enrollments e SET search = lower(c.first_name || ' ' || c.last_name) || '\n'
             || coalesce(c.email_key, lower(c.email)) || '\n' || lower(c.company)
         FROM contacts c WHERE c.id = e.contact_id;",
    ),
    (
        21,
        // SQLite's migration 21 drops the due index the due walk's index
        // covers; here the audit rows of a batch also lose the foreign keys
        // checked one row at a time (see schema.sql).
        "DROP INDEX IF EXISTS scheduled_steps_due;
         ALTER TABLE audit_enrollments DROP CONSTRAINT IF EXISTS audit_enrollments_audit_id_fkey;
         ALTER TABLE audit_enrollments DROP CONSTRAINT IF EXISTS audit_enrollments_enrollment_id_fkey;
         ALTER TABLE audit_enrollments DROP CONSTRAINT IF EXISTS audit_enrollments_before_enrolled_by_fkey;",
    ),
];

/// Moves the workspace at `version` to [`SCHEMA_VERSION`] in one
/// transaction, under a lock on `schema_version` (a second seqtui opening
/// it meanwhile waits, then finds it done). Altering tables takes the
/// role that owns them: another role is told so and changes nothing.
fn upgrade(client: &mut postgres::Client, url: &str, version: i64) -> Result<(), DomainError> {
    let first = MIGRATIONS.first().map_or(SCHEMA_VERSION, |(v, _)| *v);
    if version + 1 < first {
        return Err(DomainError::Storage(format!(
            "{url} is at schema {version} and this seqtui runs schema {SCHEMA_VERSION} on PostgreSQL; copy it through a SQLite file with `seqtui migrate` to upgrade it"
        )));
    }
    let failed = |e: postgres::Error| {
        DomainError::Storage(format!(
            "{url} is at schema {version}; upgrading it to schema {SCHEMA_VERSION} failed ({}); open it once as the role that owns its tables",
            super::db::Error::from(e)
        ))
    };
    let mut tx = client.transaction().map_err(failed)?;
    tx.batch_execute("LOCK TABLE schema_version IN EXCLUSIVE MODE")
        .map_err(failed)?;
    let now: i64 = tx
        .query_one("SELECT coalesce(max(version), 0) FROM schema_version", &[])
        .map_err(failed)?
        .get(0);
    for (to, sql) in MIGRATIONS.iter().filter(|(to, _)| *to > now) {
        tx.batch_execute(sql).map_err(failed)?;
        tx.execute("INSERT INTO schema_version (version) VALUES ($1)", &[to])
            .map_err(failed)?;
    }
    tx.commit().map_err(failed)
}

/// Creates the schema in the empty PostgreSQL database `url` names, in
/// one transaction, and opens it. A database that already holds tables is
/// refused untouched.
pub fn create(url: &str) -> Result<super::Connection, DomainError> {
    let mut client = connect(url)?;
    let tables: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()",
            &[],
        )
        .map_err(pg_error)?
        .get(0);
    if tables > 0 {
        return Err(DomainError::Invalid(format!(
            "{url} already holds tables; give an empty database"
        )));
    }
    let mut tx = client.transaction().map_err(pg_error)?;
    create_schema(&mut tx, url)?;
    tx.execute(
        "INSERT INTO schema_version (version) VALUES ($1)",
        &[&SCHEMA_VERSION],
    )
    .map_err(pg_error)?;
    tx.commit().map_err(pg_error)?;
    drop(client);
    open(url)
}

/// Creates [`SCHEMA`] in this transaction's database, after dropping what
/// an earlier seqtui may have left beside no tables ([`DROP_EXTRAS`]). A
/// role that may not create there (PostgreSQL 15 lets only the database's
/// owner create in `public`) is told who may, not the server's words.
pub(super) fn create_schema(
    tx: &mut postgres::Transaction<'_>,
    url: &str,
) -> Result<(), DomainError> {
    // Asked first: after a refused statement the transaction answers nothing.
    let role: String = tx
        .query_one("SELECT current_user::text", &[])
        .map_err(pg_error)?
        .get(0);
    let created = tx
        .batch_execute(DROP_EXTRAS)
        .and_then(|()| tx.batch_execute(SCHEMA));
    match created {
        Err(e) if e.code() == Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) => {
            Err(DomainError::Refused(format!(
                "the role {role} may not create tables in {url}; run it as the database's owner, or have the owner run `GRANT CREATE ON SCHEMA public TO {role}`"
            )))
        }
        other => other.map_err(pg_error),
    }
}

/// The objects [`SCHEMA`] creates beside its tables (a collation, the
/// functions that stand in for SQLite's, the audit's trigger function),
/// dropped if they are there: before the schema is created in a database
/// that holds no tables (an earlier seqtui could leave them behind), and
/// with the tables when a demo is replaced.
pub const DROP_EXTRAS: &str = "
    DROP AGGREGATE IF EXISTS json_group_array(anycompatible);
    DROP FUNCTION IF EXISTS seqtui_json_array(anycompatiblearray);
    DROP FUNCTION IF EXISTS unixepoch(TEXT);
    DROP FUNCTION IF EXISTS strftime(TEXT, TEXT, TEXT);
    DROP FUNCTION IF EXISTS seqtui_audit_append_only() CASCADE;
    DROP COLLATION IF EXISTS nocase;";

/// Where a demo may go in the database `url` names, checked before it is
/// built (nothing is changed here): `Ok(false)` when the database holds no
/// tables; `Ok(true)` when it holds a demo workspace, `force` is given and
/// this role owns every table (only the owner may drop them); anything
/// else is refused with why.
pub fn demo_target(
    client: &mut postgres::Client,
    url: &str,
    force: bool,
) -> Result<bool, DomainError> {
    let row = client
        .query_one(
            "SELECT count(*), count(*) FILTER (WHERE tableowner <> current_user),
                    min(tableowner) FILTER (WHERE tableowner <> current_user), current_user::text
               FROM pg_tables WHERE schemaname = current_schema()",
            &[],
        )
        .map_err(pg_error)?;
    let (tables, foreign): (i64, i64) = (row.get(0), row.get(1));
    if tables == 0 {
        return Ok(false);
    }
    if !force {
        return Err(DomainError::Refused(format!(
            "{url} already holds tables; pass --force to replace a demo workspace"
        )));
    }
    if !holds_demo(client)? {
        return Err(DomainError::Refused(format!(
            "{url} is not a demo workspace; drop its tables yourself"
        )));
    }
    if foreign > 0 {
        let owner: String = row.get(2);
        let me: String = row.get(3);
        return Err(DomainError::Refused(format!(
            "only the role that owns the demo workspace's tables ({owner}) may replace it, not {me}"
        )));
    }
    Ok(true)
}

/// Whether the workspace in this database says it is a demo.
fn holds_demo(client: &mut impl postgres::GenericClient) -> Result<bool, DomainError> {
    Ok(client
        .query_opt("SELECT value FROM workspace WHERE key = 'demo'", &[])
        .ok()
        .flatten()
        .map(|r| r.get::<_, String>(0))
        .as_deref()
        == Some("1"))
}

/// Drops the demo workspace in this transaction's database, tables and
/// extras, after checking again that it is one (it may have been replaced
/// by a team's workspace since [`demo_target`] looked).
pub(super) fn drop_demo(tx: &mut postgres::Transaction<'_>, url: &str) -> Result<(), DomainError> {
    if !holds_demo(tx)? {
        return Err(DomainError::Refused(format!(
            "{url} is not a demo workspace any more; nothing was changed"
        )));
    }
    let drop: Vec<String> = TABLES
        .iter()
        .rev()
        .map(|t| format!("DROP TABLE IF EXISTS {t} CASCADE;"))
        .collect();
    tx.batch_execute(&format!("{} {DROP_EXTRAS}", drop.join(" ")))
        .map_err(pg_error)
}

/// Connects to the database a `postgres://USER@HOST[:PORT]/DB` URL names.
/// A password in the URL is refused (it would sit in shell histories and
/// process lists); it comes from `PGPASSWORD`, else the password file.
/// TLS is what the URL's `sslmode` says, as libpq reads it (see [`tls`]).
pub fn connect(url: &str) -> Result<postgres::Client, DomainError> {
    let (driver_url, tls) = tls::split(url)?;
    let mut config = postgres::Config::from_str(&driver_url).map_err(|e| {
        DomainError::Invalid(format!(
            "'{url}' is not a PostgreSQL URL like postgres://USER@HOST:PORT/DB ({e})"
        ))
    })?;
    if config.get_password().is_some() {
        return Err(DomainError::Invalid(
            "put the PostgreSQL password in PGPASSWORD or ~/.pgpass, not in the URL".into(),
        ));
    }
    // What the URL leaves out, as libpq (psql) fills it in: the user from
    // PGUSER, else the operating-system login; the database from
    // PGDATABASE, else the user's name.
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if config.get_user().is_none()
        && let Some(user) = env("PGUSER").or_else(crate::session::current_login)
    {
        config.user(&user);
    }
    if config.get_dbname().is_none()
        && let Some(db) = env("PGDATABASE")
    {
        config.dbname(&db);
    }
    let user = config.get_user().unwrap_or_default().to_string();
    let db = config.get_dbname().unwrap_or(&user).to_string();
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let mut password_given = true;
    let mut ignored = None;
    if let Ok(password) = std::env::var("PGPASSWORD") {
        config.password(password);
    } else if let Some(password) = password_file()
        .filter(|file| {
            let open = open_to_others(file);
            if open {
                tracing::warn!(
                    "password file {} has group or world access; ignored",
                    file.display()
                );
                ignored = Some(file.clone());
            }
            !open
        })
        .and_then(|file| password_from_file(&file, &host, port, &db, &user))
    {
        config.password(password);
    } else {
        password_given = false;
    }
    config.ssl_mode(tls.mode);
    let timeout = config
        .get_connect_timeout()
        .copied()
        .unwrap_or(CONNECT_TIMEOUT);
    let connector = tls::connector(&tls)?;
    let failed = |why: String| {
        let with = tls
            .written
            .as_ref()
            .map(|mode| format!(" with sslmode={mode}"))
            .unwrap_or_default();
        let hint = match (&ignored, password_given) {
            (Some(file), _) => format!(
                " (the password file {} was ignored: others may read it; chmod 0600 it)",
                file.display()
            ),
            (None, false) => {
                " (no password was found: set PGPASSWORD or add a line for this server to ~/.pgpass)"
                    .to_string()
            }
            (None, true) => String::new(),
        };
        DomainError::Storage(format!(
            "cannot connect to PostgreSQL at {host}:{port} (database {db}, user {user}){with}: {why}{hint}"
        ))
    };
    // The driver's connect_timeout bounds the TCP connection only; a server
    // that accepts it and never answers would hang every command and the
    // TUI. The whole start-up (TLS, authentication) gets the URL's
    // `connect_timeout` (seconds, as in libpq) or CONNECT_TIMEOUT; the
    // attempt left behind ends with the process.
    let (sent, answer) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sent.send(config.connect(connector));
    });
    let connected = answer.recv_timeout(timeout).map_err(|_| {
        failed(format!(
            "no answer within {} s (set connect_timeout=SECONDS in the URL to wait longer)",
            timeout.as_secs()
        ))
    })?;
    connected.map_err(|e| {
        if e.code() == Some(&postgres::error::SqlState::INVALID_CATALOG_NAME) {
            return DomainError::NotFound(format!(
                "there is no database {db} at {host}:{port}; whoever manages the server creates it (`createdb {db}`), then `seqtui init` or `seqtui migrate` fills it"
            ));
        }
        // The driver's own words, then each cause it names (a TLS
        // handshake's failure is in its cause).
        let text = match e.as_db_error() {
            Some(db) => db.message().to_string(),
            None => {
                let mut text = e.to_string();
                let mut cause = std::error::Error::source(&e);
                while let Some(c) = cause {
                    text.push_str(&format!(": {c}"));
                    cause = c.source();
                }
                text
            }
        };
        let refusal =
            crate::tls::Refusal::in_chain(&e).filter(|_| tls.check != tls::Check::Nothing);
        failed(match refusal {
            Some(r) if r.authority() => {
                format!(
                    "{}, or in the URL as sslrootcert=PATH: {text}",
                    r.sentence()
                )
            }
            Some(r) => format!("{}: {text}", r.sentence()),
            None => text,
        })
    })
}

/// How long [`connect`] waits for a server to complete a connection when
/// the URL gives no `connect_timeout`.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// The audit tables: a role bound to a user may read and append to them,
/// never change or empty them (R13). The triggers of the schema refuse an
/// UPDATE or DELETE from anyone, the owner included; the privileges say
/// it again for the team's roles, before any trigger runs.
const APPEND_ONLY: [&str; 3] = ["audit", "audit_enrollments", "audit_owners"];

/// Gives `role` what seqtui needs of the workspace's schema when a user
/// is bound to it (`users bind … --login ROLE`): USAGE of the schema,
/// SELECT, INSERT, UPDATE and DELETE on its tables but only SELECT and
/// INSERT on the audit tables, and its sequences. An admin's role gets
/// them WITH GRANT OPTION, so that admin can bind others in turn. The
/// role that owns the tables (who ran `init`) has them already and is
/// left as it is. In the binding's transaction: a refusal undoes both.
pub fn grant(conn: &super::Connection, role: &str, admin: bool) -> Result<(), DomainError> {
    if !role_exists(conn, role)? {
        return Err(DomainError::NotFound(format!(
            "no role '{role}' on this database server: create it (CREATE ROLE \"{role}\" LOGIN) and bind again"
        )));
    }
    if owns_tables(conn, role)? {
        return Ok(());
    }
    let option = if admin { " WITH GRANT OPTION" } else { "" };
    let (schema, tables, sequences, revoke): (String, String, String, String) = conn.query_row(
        "SELECT format('GRANT USAGE ON SCHEMA %I TO %I', s, r),
                format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', s, r),
                format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I', s, r),
                format('REVOKE UPDATE, DELETE, TRUNCATE ON %I.%I, %I.%I, %I.%I FROM %I',
                       s, CAST(?2 AS TEXT), s, CAST(?3 AS TEXT), s, CAST(?4 AS TEXT), r)
         FROM (SELECT CAST(current_schema() AS TEXT) AS s, CAST(?1 AS TEXT) AS r) AS x",
        rusqlite::params![role, APPEND_ONLY[0], APPEND_ONLY[1], APPEND_ONLY[2]],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let sql = format!("{schema}{option}; {tables}{option}; {sequences}{option}; {revoke}");
    conn.execute_batch(&sql)?;
    // A GRANT by a role that may not grant is a warning, not an error:
    // check that it took.
    let granted: bool = conn.query_row(
        "SELECT has_table_privilege(CAST(?1 AS TEXT), CAST(current_schema() || '.enrollments' AS TEXT), 'UPDATE')",
        [role],
        |r| r.get(0),
    )?;
    if !granted {
        let owner: String = conn.query_row(
            "SELECT CAST(tableowner AS TEXT) FROM pg_tables
             WHERE schemaname = current_schema() AND tablename = 'enrollments'",
            [],
            |r| r.get(0),
        )?;
        return Err(DomainError::Refused(format!(
            "your database role cannot give the role '{role}' access to this workspace's tables; bind it as their owner, '{owner}' (or as an admin bound after this change)"
        )));
    }
    Ok(())
}

/// Takes back what [`grant`] gave `role`, when no user is bound to it any
/// more (the owner's role is left as it is).
pub fn revoke(conn: &super::Connection, role: &str) -> Result<(), DomainError> {
    if !role_exists(conn, role)? || owns_tables(conn, role)? {
        return Ok(());
    }
    let sql: String = conn.query_row(
        "SELECT format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I', s, r)
             || format('; REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM %I', s, r)
             || format('; REVOKE USAGE ON SCHEMA %I FROM %I', s, r)
         FROM (SELECT CAST(current_schema() AS TEXT) AS s, CAST(?1 AS TEXT) AS r) AS x",
        [role],
        |r| r.get(0),
    )?;
    conn.execute_batch(&sql)?;
    Ok(())
}

fn role_exists(conn: &super::Connection, role: &str) -> Result<bool, DomainError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ?1)",
        [role],
        |r| r.get(0),
    )?)
}

fn owns_tables(conn: &super::Connection, role: &str) -> Result<bool, DomainError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM pg_tables
                        WHERE schemaname = current_schema() AND tablename = 'enrollments'
                          AND tableowner = ?1)",
        [role],
        |r| r.get(0),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_file_is_read_as_libpq_reads_it() {
        let dir = std::env::temp_dir().join(format!("seqtui-pgpass-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("pgpass");
        std::fs::write(
            &file,
            "# comment\nother:5432:team:ann:no\n127.0.0.1:*:team:ann:s\\:cret\n",
        )
        .unwrap();
        assert_eq!(
            password_from_file(&file, "127.0.0.1", 5544, "team", "ann").as_deref(),
            Some("s:cret")
        );
        assert_eq!(
            password_from_file(&file, "127.0.0.1", 5544, "team", "bob"),
            None
        );
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn a_password_in_the_url_is_refused() {
        let Err(err) = connect("postgres://ann:secret@127.0.0.1:1/team") else {
            panic!("a password in the URL was accepted");
        };
        assert!(err.to_string().contains("PGPASSWORD"), "{err}");
    }
}
