//! R12: who may unenroll, pause or transfer an enrollment, and who may
//! create or change a contact. Everyone may read.

use super::{Role, User};

/// The people an enrollment's permission depends on.
#[derive(Debug, Clone)]
pub struct Stakeholders<'a> {
    pub enrolled_by: &'a User,
    pub owner: Option<&'a User>,
}

/// A rep may change enrollments they enrolled or whose contact they own; a
/// manager, any enrolled by or owned by someone in their team; an admin, any.
pub fn may_change(actor: &User, who: &Stakeholders<'_>) -> bool {
    match actor.role {
        Role::Admin => true,
        Role::Manager => {
            who.enrolled_by.team == actor.team || who.owner.is_some_and(|o| o.team == actor.team)
        }
        Role::Rep => who.enrolled_by.id == actor.id || who.owner.is_some_and(|o| o.id == actor.id),
    }
}

/// The sentence a refusal carries: who may do it instead.
pub fn who_may(verb: &str, who: &Stakeholders<'_>) -> String {
    let mut people = vec![format!(
        "{} (who enrolled the contact)",
        who.enrolled_by.name
    )];
    if let Some(owner) = who.owner
        && owner.id != who.enrolled_by.id
    {
        people.push(format!("{} (the contact's owner)", owner.name));
    }
    let mut teams = vec![who.enrolled_by.team.clone()];
    if let Some(owner) = who.owner
        && owner.team != who.enrolled_by.team
    {
        teams.push(owner.team.clone());
    }
    format!(
        "not permitted: only {}, a manager of team {} or an admin may {verb} it",
        people.join(", "),
        teams.join(" or ")
    )
}

/// Who may replace or delete a saved list: whoever saved it, a manager or
/// an admin. Everyone may read and use every list, and save new ones.
pub fn may_edit_list(actor: &User, created_by: i64) -> bool {
    actor.id == created_by || matches!(actor.role, Role::Manager | Role::Admin)
}

/// R12 for a contact itself (its fields and its owner): a rep may change
/// the contacts they own; a manager, those owned by someone in their team
/// or by nobody; an admin, any. A transfer (changing the owner) and an
/// import (updating a contact, or changing its owner) both ask this.
pub fn may_change_contact(actor: &User, owner: Option<&User>) -> bool {
    match (actor.role, owner) {
        (Role::Admin, _) => true,
        (Role::Manager, None) => true,
        (Role::Manager, Some(o)) => o.team == actor.team,
        (Role::Rep, Some(o)) => o.id == actor.id,
        (Role::Rep, None) => false,
    }
}

/// Who may create a contact owned by `owner`: a rep, only one they own
/// themselves; a manager or an admin, for anyone (giving a new contact an
/// owner is a transfer from nobody).
pub fn may_create_contact(actor: &User, owner: Option<&User>) -> bool {
    match actor.role {
        Role::Admin | Role::Manager => true,
        Role::Rep => owner.is_some_and(|o| o.id == actor.id),
    }
}

/// The sentence refusing a change to contact `email` owned by `owner`:
/// who may change it instead.
pub fn who_may_change_contact(email: &str, owner: Option<&User>) -> String {
    match owner {
        Some(o) => format!(
            "not permitted: {email} is owned by {} ({}); only {}, a manager of team {} or an admin may change it",
            o.name, o.email, o.name, o.team
        ),
        None => {
            format!("not permitted: {email} has no owner; only a manager or an admin may change it")
        }
    }
}

/// The sentence refusing to create contact `email` for `owner`.
pub fn who_may_create_contact(email: &str, owner: Option<&User>) -> String {
    match owner {
        Some(o) => format!(
            "not permitted: a rep creates contacts owned by themselves; only {} ({}), a manager or an admin may create {email} owned by {}",
            o.name, o.email, o.name
        ),
        None => format!(
            "not permitted: a rep creates contacts owned by themselves; only a manager or an admin may create {email} without an owner"
        ),
    }
}

/// R12 and R17 for a sequence: its owner, a manager of the owner's team
/// or an admin may edit, archive or unarchive it.
pub fn may_edit_sequence(actor: &User, owner: &User) -> bool {
    match actor.role {
        Role::Admin => true,
        Role::Manager => actor.id == owner.id || actor.team == owner.team,
        Role::Rep => actor.id == owner.id,
    }
}

/// The sentence refusing an edit of sequence `name` owned by `owner`.
pub fn who_may_edit_sequence(name: &str, owner: &User) -> String {
    format!(
        "not permitted: only {} ({}, the owner of '{name}'), a manager of team {} or an admin may change it",
        owner.name, owner.email, owner.team
    )
}
