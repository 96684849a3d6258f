//! `seqtui migrate`: a whole workspace copied between a SQLite file and a
//! PostgreSQL database, either way, losing nothing (every table's rows and
//! a checksum of them, the same on both sides, or nothing is kept).
//!
//! It copies files, not changes: no rule decides anything, and it needs no
//! acting user. Whoever can read the source and write the destination (the
//! file's permissions, the database role's rights) may copy a workspace.

use std::path::{Path, PathBuf};

use super::{Clock, DomainError, User, Workspace};
use crate::store::Store;
use crate::store::pg;

pub use pg::TableCopy;

/// Whether a `--db` / `--from` / `--to` value names a PostgreSQL database.
pub fn is_postgres(location: &str) -> bool {
    pg::is_url(location)
}

/// What `migrate` did: each table copied, and on a database server the
/// admin it bound to the role that ran the copy, if it had to (see
/// [`Workspace::adopt_server_role`]).
#[derive(Debug)]
pub struct Migrated {
    pub tables: Vec<TableCopy>,
    pub adopted: Option<(User, String)>,
}

/// Copies the workspace at `from` to `to`: exactly one of them is a
/// `postgres://` URL, the other a SQLite file. Into PostgreSQL the
/// database must be empty; into SQLite the file must not exist (it is
/// written beside and renamed when whole). `progress` hears each table.
/// The copy is exact; into PostgreSQL, a workspace whose users are bound
/// to logins then has its first admin bound to the role that ran the
/// copy when no admin is bound to it, so that someone can rebind the
/// others to their roles (an audited binding, after the copy).
pub fn migrate(
    from: &str,
    to: &str,
    progress: impl FnMut(&TableCopy),
) -> Result<Migrated, DomainError> {
    match (is_postgres(from), is_postgres(to)) {
        (false, true) => {
            let store = Store::open(Path::new(from))?;
            let mut client = pg::connect(to)?;
            let tables =
                pg::sqlite_to_pg(store.sqlite()?, &mut client, to, pg::CopyInto::Empty, progress)?;
            drop(client);
            let mut ws = Workspace::open(Path::new(to), Clock::System)?;
            let adopted = ws
                .adopt_server_role()?
                .and_then(|admin| admin.login.clone().map(|role| (admin, role)));
            Ok(Migrated { tables, adopted })
        }
        (true, false) => {
            let path = PathBuf::from(to);
            if path.exists() {
                return Err(DomainError::Refused(format!(
                    "{} already exists; migrate writes a new workspace file only",
                    path.display()
                )));
            }
            let mut client = pg::connect(from)?;
            let mut partial = path.clone().into_os_string();
            partial.push(format!(".partial-{}", std::process::id()));
            let partial = PathBuf::from(partial);
            let copied = (|| {
                let mut store = Store::create(&partial)?;
                let copies = pg::pg_to_sqlite(&mut client, store.sqlite_mut()?, progress)?;
                drop(store);
                std::fs::rename(&partial, &path).map_err(|e| {
                    DomainError::Storage(format!("cannot write {}: {e}", path.display()))
                })?;
                Ok(copies)
            })();
            if copied.is_err() {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = partial.clone().into_os_string();
                    file.push(suffix);
                    std::fs::remove_file(file).ok();
                }
            }
            copied.map(|tables| Migrated {
                tables,
                adopted: None,
            })
        }
        (true, true) => Err(DomainError::Invalid(
            "both --from and --to are PostgreSQL databases; one of them must be a workspace file"
                .into(),
        )),
        (false, false) => Err(DomainError::Invalid(
            "neither --from nor --to is a PostgreSQL database (postgres://USER@HOST/DB); to copy a workspace file, use `sqlite3 FILE \".backup COPY\"`"
                .into(),
        )),
    }
}
