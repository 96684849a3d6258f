//! Who is acting (R12 depends on it). A team shares one workspace file on
//! one host; each person runs seqtui under their own operating-system
//! login. An admin may bind users to logins (`seqtui users bind`). Until
//! anyone is bound, the acting user is `--as EMAIL` or the workspace's
//! default user, as before. Once any user is bound:
//! - the acting user is the one bound to the login running seqtui;
//! - `--as` someone else is allowed only when that bound user is an admin;
//! - a login bound to nobody is refused, with how to get bound.
//!
//! This guards against mistakes and casual impersonation through seqtui.
//! It is not a security boundary against people who can write the file
//! with other tools: the file's permissions are (see the README).

use super::*;
use crate::store::queries::{self as q, NewAudit};

impl Workspace {
    /// The acting user for `login` (the operating-system login running
    /// seqtui, `None` when it cannot be told) and `--as` (`as_email`).
    pub fn identify(&self, login: Option<&str>, as_email: Option<&str>) -> Result<User> {
        let conn = self.store.conn();
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
    /// moves to this user.
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
        q::set_login(&tx, user.id, login)?;
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
}
