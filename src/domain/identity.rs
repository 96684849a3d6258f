//! Who is acting (R12 depends on it). A team shares one workspace file on
//! one host; each person runs seqtui under their own operating-system
//! login. An admin may bind users to logins (`seqtui users bind`). Until
//! anyone is bound, the acting user is `--as EMAIL` or the workspace's
//! default user, as before. Once any user is bound:
//! - the acting user is the one bound to the login running seqtui;
//! - `--as` someone else is allowed only when that bound user is an admin;
//! - a login bound to nobody is refused, with how to get bound;
//! - the clock (`--now`) and the rules file (`--rules`) may be set only by
//!   a login bound to an admin (R12): anyone else giving them is refused,
//!   not silently ignored, so a script never runs on a clock it did not ask
//!   for.
//!
//! Binding never locks the admins out: the first binding must be the
//! acting admin's own, and while anyone is bound an admin stays bound.
//!
//! This guards against mistakes and casual impersonation through seqtui.
//! It is not a security boundary against people who can write the file
//! with other tools: the file's permissions are (see docs/operations.md).

use super::*;
use crate::store::queries::{self as q, NewAudit};

/// What the command line asked to override besides the acting user:
/// honoured only for admins once users are bound to logins (R12).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--now` / `SEQTUI_NOW` was given.
    pub clock: bool,
    /// `--rules` / `SEQTUI_RULES` was given.
    pub rules: bool,
}

impl Overrides {
    pub const NONE: Overrides = Overrides {
        clock: false,
        rules: false,
    };
}

impl Workspace {
    /// The acting user for `login` (the operating-system login running
    /// seqtui, `None` when it cannot be told), `--as` (`as_email`) and what
    /// else the command line overrides (the clock, the rules).
    ///
    /// On PostgreSQL the login is not the operating system's but the
    /// database role the server authenticated: users are bound to roles
    /// (`users bind EMAIL --login ROLE`; `init` binds the admin to the
    /// role that created the workspace), and acting as someone else needs
    /// an admin's role, as with operating-system logins.
    pub fn identify(
        &self,
        login: Option<&str>,
        as_email: Option<&str>,
        overrides: Overrides,
    ) -> Result<User> {
        let conn = self.store.conn();
        let server = q::server_login(conn)?;
        let login = match &server {
            Some(role) => Some(role.as_str()),
            None => login,
        };
        if !q::logins_bound(conn)? {
            return self.acting_user(as_email);
        }
        let Some(login) = login else {
            return Err(DomainError::Refused(
                "users of this workspace are bound to logins, and the login running seqtui cannot be told".into(),
            ));
        };
        let me = q::user_by_login(conn, login)?.ok_or_else(|| {
            DomainError::Refused(format!(
                "the login '{login}' is not bound to a user of this workspace; an admin can bind it with `seqtui users bind EMAIL --login {login}`"
            ))
        })?;
        if me.role != Role::Admin && (overrides.clock || overrides.rules) {
            let what = match (overrides.clock, overrides.rules) {
                (true, true) => {
                    "the clock (--now, SEQTUI_NOW) or the rules file (--rules, SEQTUI_RULES)"
                }
                (true, false) => "the clock (--now, SEQTUI_NOW)",
                _ => "the rules file (--rules, SEQTUI_RULES)",
            };
            return Err(DomainError::Refused(format!(
                "you are {} ({}, a {}); while users are bound to logins only an admin may set {what}",
                me.name, me.email, me.role
            )));
        }
        match as_email.map(str::trim).filter(|e| !e.is_empty()) {
            Some(e) if email_key(e) != email_key(&me.email) => {
                if me.role != Role::Admin {
                    return Err(DomainError::Refused(format!(
                        "you are {} ({}, login '{login}'); only an admin may act as someone else",
                        me.name, me.email
                    )));
                }
                self.acting_user(Some(e))
            }
            _ => Ok(me),
        }
    }

    /// Binds `user_email` to an operating-system login, or unbinds it with
    /// `None`. Admins only; audited. A login already bound to someone else
    /// moves to this user. Nobody is locked out: while no login is bound,
    /// the first binding must be the acting admin's own (binding anyone
    /// else first would leave the login running seqtui bound to nobody);
    /// and a change that would leave users bound but no admin bound is
    /// refused.
    pub fn bind_login(
        &mut self,
        actor: &User,
        user_email: &str,
        login: Option<&str>,
    ) -> Result<User> {
        if actor.role != Role::Admin {
            return Err(DomainError::Refused(format!(
                "only an admin may bind users to logins; {} is a {}",
                actor.email, actor.role
            )));
        }
        let login = login.map(str::trim);
        if let Some(l) = login
            && (l.is_empty() || l.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return Err(DomainError::Invalid(format!("'{l}' is not a login name")));
        }
        let now = self.now();
        let tx = self.store.write()?;
        let user = q::user_by_email(&tx, user_email)?.ok_or_else(|| {
            DomainError::NotFound(format!(
                "no user '{user_email}' in this workspace; `seqtui users` lists them"
            ))
        })?;
        if login.is_some() && user.id != actor.id && !q::logins_bound(&tx)? {
            return Err(DomainError::Refused(format!(
                "no login is bound yet: bind yourself first (`seqtui users bind {} --login LOGIN`), or once {} is bound the login you run seqtui under is bound to nobody and can no longer act",
                actor.email, user.email
            )));
        }
        let before: Option<String> = user.login.clone();
        q::set_login(&tx, user.id, login)?;
        // On a database server the login is a role: binding gives it the
        // workspace's tables, unbinding the last user of a role takes them
        // back (in this transaction: a refusal undoes both).
        if let Some(login) = login {
            q::grant_login(&tx, login, user.role == Role::Admin)?;
        }
        if let Some(old) = before.filter(|old| Some(old.as_str()) != login)
            && q::user_by_login(&tx, &old)?.is_none()
        {
            q::revoke_login(&tx, &old)?;
        }
        if q::logins_bound(&tx)? && !q::admins_bound(&tx)? {
            return Err(DomainError::Refused(format!(
                "that would leave users bound to logins but no admin bound, and nobody could bind or unbind again; bind another admin first, or unbind the others; {} was not changed",
                user.email
            )));
        }
        q::insert_audit(
            &tx,
            &NewAudit {
                at: now,
                actor_id: Some(actor.id),
                action: if login.is_some() {
                    "bind_login"
                } else {
                    "unbind_login"
                },
                reason: None,
                note: None,
                detail: &match login {
                    Some(l) => format!("{} ↔ login '{l}'", user.email),
                    None => user.email.clone(),
                },
                count: 0,
            },
        )?;
        let bound = q::user_by_email(&tx, user_email)?.unwrap_or(user);
        tx.commit()?;
        Ok(bound)
    }

    /// After `seqtui migrate` into a database server: the workspace arrives
    /// with the file's bindings, which name operating-system logins, not
    /// the server's roles. When some user is bound but no admin is bound to
    /// the role that ran the copy (it owns the tables), nobody could act
    /// as an admin to rebind the others: the first admin (lowest id) is
    /// bound to that role, as `init` binds its admin, and audited as their
    /// own binding. Returns that admin, or `None` when nothing was needed
    /// (no binding, a SQLite file, or an admin already bound to the role).
    pub fn adopt_server_role(&mut self) -> Result<Option<User>> {
        let conn = self.store.conn();
        let Some(role) = q::server_login(conn)? else {
            return Ok(None);
        };
        if !q::logins_bound(conn)?
            || q::user_by_login(conn, &role)?.is_some_and(|u| u.role == Role::Admin)
        {
            return Ok(None);
        }
        let Some(admin) = q::users(conn)?
            .into_iter()
            .filter(|u| u.role == Role::Admin)
            .min_by_key(|u| u.id)
        else {
            return Ok(None);
        };
        self.bind_login(&admin, &admin.email.clone(), Some(&role))
            .map(Some)
    }
}
