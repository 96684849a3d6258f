//! The team's users and the database logins bound to them: reading them,
//! adding one, binding and unbinding a login (on PostgreSQL, granting the
//! role the workspace or taking it back).

use super::db::{Connection, OptionalExtension, Row};
use rusqlite::params;

use super::queries::parse_enum;
use crate::domain::*;

fn user_from_row(r: &Row<'_>) -> super::db::Result<User> {
    let role: String = r.get(3)?;
    Ok(User {
        id: r.get(0)?,
        email: r.get(1)?,
        name: r.get(2)?,
        role: parse_enum(&role, 3)?,
        team: r.get(4)?,
        login: r.get(5)?,
    })
}

pub fn users(conn: &Connection) -> Result<Vec<User>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, email, name, role, team, os_login FROM users ORDER BY team, role, name",
    )?;
    let rows = stmt.query_map([], user_from_row)?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

pub fn user_by_email(conn: &Connection, email: &str) -> Result<Option<User>> {
    Ok(conn
        .query_row(
            "SELECT id, email, name, role, team, os_login FROM users WHERE email_key = ?1",
            [email_key(email)],
            user_from_row,
        )
        .optional()?)
}

pub fn insert_user(
    conn: &Connection,
    email: &str,
    name: &str,
    role: Role,
    team: &str,
) -> Result<i64> {
    Ok(conn.query_row(
        "INSERT INTO users(email, email_key, name, role, team) VALUES (?1, ?2, ?3, ?4, ?5)
         RETURNING id",
        params![email, email_key(email), name, role.as_str(), team],
        |r| r.get(0),
    )?)
}

/// The login the database server authenticated this session as (the
/// PostgreSQL role); `None` for a SQLite file, which has no logins of
/// its own.
pub fn server_login(conn: &Connection) -> Result<Option<String>> {
    match conn.dialect() {
        super::Dialect::Sqlite => Ok(None),
        super::Dialect::Postgres => Ok(Some(conn.query_row(
            "SELECT CAST(current_user AS TEXT)",
            [],
            |r| r.get(0),
        )?)),
    }
}

/// On a database server, gives the role `login` access to the
/// workspace's tables as a user is bound to it (the audit append-only for
/// it; an admin's role may grant in turn); nothing for a SQLite file,
/// whose logins are the operating system's. See `pg::grant`.
pub fn grant_login(conn: &Connection, login: &str, admin: bool) -> Result<()> {
    match conn.dialect() {
        super::Dialect::Sqlite => Ok(()),
        super::Dialect::Postgres => super::pg::grant(conn, login, admin),
    }
}

/// Takes back what [`grant_login`] gave a role no user is bound to any
/// more; nothing for a SQLite file.
pub fn revoke_login(conn: &Connection, login: &str) -> Result<()> {
    match conn.dialect() {
        super::Dialect::Sqlite => Ok(()),
        super::Dialect::Postgres => super::pg::revoke(conn, login),
    }
}

/// The user bound to an operating-system login.
pub fn user_by_login(conn: &Connection, login: &str) -> Result<Option<User>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, email, name, role, team, os_login FROM users WHERE os_login = ?1",
        )?
        .query_row([login], user_from_row)
        .optional()?)
}

/// Whether any user is bound to a login (then identity is enforced).
pub fn logins_bound(conn: &Connection) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM users WHERE os_login IS NOT NULL)")?
        .query_row([], |r| r.get(0))?)
}

/// Whether any admin is bound to a login.
pub fn admins_bound(conn: &Connection) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM users WHERE os_login IS NOT NULL AND role = 'admin')",
        )?
        .query_row([], |r| r.get(0))?)
}

/// Binds (or with `None` unbinds) a user's login; a login bound to someone
/// else is moved, so that one login is one user.
pub fn set_login(conn: &Connection, user_id: i64, login: Option<&str>) -> Result<()> {
    if let Some(login) = login {
        conn.prepare_cached("UPDATE users SET os_login = NULL WHERE os_login = ?1 AND id <> ?2")?
            .execute(params![login, user_id])?;
    }
    conn.prepare_cached("UPDATE users SET os_login = ?2 WHERE id = ?1")?
        .execute(params![user_id, login])?;
    Ok(())
}
