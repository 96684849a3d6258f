//! `seqtui migrate --from A --to B`: a workspace copied between a SQLite
//! file and a PostgreSQL database (`domain::migrate`), with each table's
//! row count and checksum printed.

use serde::Serialize;

use super::Cli;
use super::commands::Outcome;
use super::output::{json, note, on_terminal, outln, safe, table};
use crate::domain::migrate::{TableCopy, migrate};

#[derive(Serialize)]
struct MigrateReport<'a> {
    from: &'a str,
    to: &'a str,
    tables: &'a [TableCopy],
    rows: u64,
    /// The admin bound to the role that ran a copy into PostgreSQL, when
    /// the workspace had bindings and none for that role (else null).
    bound: Option<Adopted<'a>>,
}

#[derive(Serialize)]
struct Adopted<'a> {
    admin: &'a str,
    role: &'a str,
}

/// A URL as it may be shown: without a password, should one be there.
fn shown(location: &str) -> String {
    match (location.find("://"), location.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &location[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => {
                    format!("{}{user}:…{}", &location[..scheme + 3], &location[at..])
                }
                None => location.to_string(),
            }
        }
        _ => location.to_string(),
    }
}

pub fn run(cli: &Cli, from: &str, to: &str) -> Outcome {
    let talk = on_terminal() && !cli.json;
    let migrated = migrate(from, to, |done| {
        if talk {
            note(&format!("copied {} ({} rows)", done.table, done.rows));
        }
    })?;
    let copies = &migrated.tables;
    let adopted = migrated.adopted.as_ref().map(|(admin, role)| Adopted {
        admin: &admin.email,
        role,
    });
    let rows = copies.iter().map(|c| c.rows).sum();
    let (from, to) = (shown(from), shown(to));
    if cli.json {
        json(&MigrateReport {
            from: &from,
            to: &to,
            tables: copies,
            rows,
            bound: adopted,
        })?;
        return Ok(0);
    }
    table(
        &["TABLE", "ROWS", "CHECKSUM"],
        &copies
            .iter()
            .map(|c| vec![c.table.clone(), c.rows.to_string(), c.checksum.clone()])
            .collect::<Vec<_>>(),
    );
    outln!(
        "Copied {} tables, {rows} rows, from {from} to {to}; every table's checksum matches its source.",
        copies.len()
    );
    if let Some(a) = adopted {
        outln!(
            "Bound {} (admin) to the role {}, which ran the copy: the other bindings name the file's operating-system logins; rebind each user to their role with `seqtui users bind EMAIL --login ROLE`.",
            safe(a.admin),
            safe(a.role)
        );
    }
    Ok(0)
}
