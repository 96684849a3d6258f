//! The demo workspace builder: a believable sales team, a dozen sequences
//! and thousands (or a million) contacts with months of history, built
//! into a fresh file that replaces the target only when complete. It
//! plans in memory (`plan`), then writes through `store::bulk` (`write`)
//! on two threads into two files, the smaller copied into the other at
//! the end. It touches no other workspace and never calls the domain's
//! operations, but every row it writes keeps the domain's rules (R1, R3,
//! R9, R13, R14).

mod data;
mod plan;
mod text;
mod write;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::domain::{Clock, DomainError, Result, setting};
use crate::store::{Store, bulk};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOptions {
    /// How many contacts to create.
    pub contacts: usize,
    /// Same seed and clock, same workspace, row for row.
    pub seed: u64,
    /// Replace an existing file at the path.
    pub force: bool,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            contacts: 3000,
            seed: 42,
            force: false,
        }
    }
}

/// What was built, for the CLI's text and `--json` output.
#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    pub path: PathBuf,
    pub users: usize,
    pub sequences: usize,
    pub contacts: usize,
    pub enrollments: usize,
    pub scheduled_steps: usize,
    pub sent_emails: usize,
    pub tasks: usize,
    pub events: usize,
    pub audit_entries: usize,
    #[serde(rename = "elapsed_ms", serialize_with = "as_millis")]
    pub elapsed: Duration,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

/// Builds the demo workspace at `path`. An existing file is refused unless
/// `options.force`; the build goes to a temporary file beside it that is
/// renamed over `path` only once complete, so a failed or interrupted
/// build leaves whatever was there untouched.
pub fn build(path: &Path, options: &DemoOptions, clock: Clock) -> Result<DemoReport> {
    let started = Instant::now();
    if let Some(url) = crate::store::postgres_url(path) {
        return build_on_postgres(url, options, clock, started);
    }
    if path.is_dir() {
        return Err(DomainError::Invalid(format!(
            "{} is a directory; give the path of a workspace file",
            path.display()
        )));
    }
    if options.contacts > MAX_CONTACTS {
        return Err(DomainError::Invalid(format!(
            "a demo workspace has at most {MAX_CONTACTS} contacts"
        )));
    }
    if path.exists() && !options.force {
        return Err(DomainError::Refused(format!(
            "{} already exists; pass --force to replace it",
            path.display()
        )));
    }
    // --force replaces a demo, never a team's workspace (or any other
    // file): what is there must say it is a demo. Its owner and mode are
    // kept.
    let keep =
        if path.exists() {
            let demo = crate::store::peek_setting(path, setting::DEMO)
                .is_ok_and(|v| v.as_deref() == Some("1"));
            if !demo {
                return Err(DomainError::Refused(format!(
                    "{} is not a demo workspace; move it away or delete it yourself",
                    path.display()
                )));
            }
            Some(std::fs::metadata(path).map_err(|e| {
                DomainError::Storage(format!("cannot read {}: {e}", path.display()))
            })?)
        } else {
            None
        };
    let temp = temp_path(path)?;
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| DomainError::Storage(format!("cannot create {}: {e}", dir.display())))?;
    }
    remove_database(&temp);
    let built = build_into(&temp, options, clock);
    let mut report = match built {
        Ok(report) => report,
        Err(e) => {
            remove_database(&temp);
            return Err(e);
        }
    };
    if let Some(old) = &keep
        && let Err(e) = keep_owner_and_mode(&temp, old)
    {
        remove_database(&temp);
        return Err(DomainError::Storage(format!(
            "cannot give the new demo workspace the owner and mode of {} ({e}); it was left as it was",
            path.display()
        )));
    }
    // The old file's journal must not be applied to the new one.
    for suffix in ["-wal", "-shm", "-journal"] {
        remove_if_there(&with_suffix(path, suffix));
    }
    if let Err(e) = std::fs::rename(&temp, path) {
        remove_database(&temp);
        return Err(DomainError::Storage(format!(
            "cannot move the demo workspace into place at {}: {e}",
            path.display()
        )));
    }
    report.path = path.to_path_buf();
    report.elapsed = started.elapsed();
    Ok(report)
}

/// The demo in a PostgreSQL database: built as a SQLite file in the temp
/// directory (the fast bulk writer), then copied in the way `seqtui
/// migrate` copies, table by table with checksums, in one transaction.
/// The database must be empty, or hold a demo whose tables this role owns
/// and `--force` be given: checked before the build, and the old demo is
/// dropped in the copy's own transaction, so a build or copy that fails
/// leaves it as it was.
fn build_on_postgres(
    url: &str,
    options: &DemoOptions,
    clock: Clock,
    started: Instant,
) -> Result<DemoReport> {
    if options.contacts > MAX_CONTACTS {
        return Err(DomainError::Invalid(format!(
            "a demo workspace has at most {MAX_CONTACTS} contacts"
        )));
    }
    let mut client = crate::store::pg::connect(url)?;
    let replacing = crate::store::pg::demo_target(&mut client, url, options.force)?;
    let into = if replacing {
        crate::store::pg::CopyInto::ReplacingDemo
    } else {
        crate::store::pg::CopyInto::Empty
    };
    let temp = std::env::temp_dir().join(format!("seqtui-demo-{}.db", std::process::id()));
    remove_database(&temp);
    let built = build_into(&temp, options, clock).and_then(|report| {
        let store = Store::open(&temp)?;
        crate::store::pg::sqlite_to_pg(store.sqlite()?, &mut client, url, into, |_| {})?;
        Ok(report)
    });
    remove_database(&temp);
    let mut report = built?;
    report.path = PathBuf::from(url);
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Gives `file` the owner, group and permission bits of the file it
/// replaces (`old`'s metadata), so that whoever could use the old demo
/// can use the new one.
#[cfg(unix)]
fn keep_owner_and_mode(file: &Path, old: &std::fs::Metadata) -> std::io::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let new = std::fs::metadata(file)?;
    if (new.uid(), new.gid()) != (old.uid(), old.gid()) {
        std::os::unix::fs::chown(file, Some(old.uid()), Some(old.gid()))?;
    }
    std::fs::set_permissions(
        file,
        std::fs::Permissions::from_mode(old.permissions().mode() & 0o7777),
    )
}

/// Elsewhere: the permissions std knows (read-only or not).
#[cfg(not(unix))]
fn keep_owner_and_mode(file: &Path, old: &std::fs::Metadata) -> std::io::Result<()> {
    std::fs::set_permissions(file, old.permissions())
}

/// Enough for any scale test; the plan is held in memory.
pub const MAX_CONTACTS: usize = 5_000_000;

/// Indexes kept up while loading rather than rebuilt after: contacts and
/// their enrollments arrive in name order and every other row in
/// enrollment order, so these indexes only ever grow at their end, or at
/// the end of one of a few runs (one per owner, sequence, status or event
/// type). The rest are rebuilt by sorting once the rows are in.
const LIVE_INDEXES: &[&str] = &[
    "contacts_owner",
    "contacts_sort",
    "enrollments_one_open",
    "enrollments_contact",
    "enrollments_page",
    "enrollments_status_page",
    "scheduled_steps_enrollment",
    "tasks_enrollment",
    "sent_emails_enrollment",
    "sent_emails_sequence",
    "events_sequence",
    "events_contact",
    "events_enrollment",
];

/// What goes into the part file: people, enrollments, engagement, audit.
const PEOPLE: write::Tables = write::Tables {
    people: true,
    scheduled_steps: false,
    sent_emails: false,
    tasks: false,
    events: true,
};

/// What goes straight into the workspace file: the step-by-step history.
const HISTORY: write::Tables = write::Tables {
    people: false,
    scheduled_steps: true,
    sent_emails: true,
    tasks: true,
    events: false,
};

fn build_into(temp: &Path, options: &DemoOptions, clock: Clock) -> Result<DemoReport> {
    let model = data::Model::load()?;
    let now = clock.now().timestamp();
    let mut plan = plan::plan(&model, options.contacts, options.seed, now);
    plan.order_by_name(&model);
    // Large workspaces keep every kind of history but fewer opens, so a
    // million contacts still build in well under a minute.
    let rates = if options.contacts > 200_000 {
        write::Rates {
            open: 0.25,
            click: 0.2,
            out_of_office: 0.01,
        }
    } else {
        write::Rates {
            open: 0.4,
            click: 0.25,
            out_of_office: 0.015,
        }
    };
    // Two writers, one per core: the workspace file gets the bulk of the
    // history on a second thread, a part file the people, their
    // enrollments and engagement; the part's tables (the smaller half) are
    // then copied in as whole records.
    let part = with_suffix(temp, ".part");
    remove_database(&part);
    let seed = options.seed;
    let write = |conn: &rusqlite::Connection, tables: write::Tables| {
        write::write(conn, &model, &plan, seed, now, rates, tables)
    };
    let (workspace, people) = std::thread::scope(|scope| {
        let workspace = scope.spawn(|| -> Result<(Store, write::Counts)> {
            let store = Store::create(temp)?;
            let conn = store.sqlite()?;
            bulk::prepare(conn, LIVE_INDEXES)?;
            bulk::begin(conn)?;
            let counts = write(conn, HISTORY)?;
            bulk::commit(conn)?;
            bulk::create_indexes(conn, &HISTORY.names())?;
            Ok((store, counts))
        });
        let people = (|| -> Result<write::Counts> {
            let conn = bulk::create_part(&part, LIVE_INDEXES)?;
            bulk::begin(&conn)?;
            let counts = write(&conn, PEOPLE)?;
            bulk::commit(&conn)?;
            bulk::create_indexes(&conn, &PEOPLE.names())?;
            Ok(counts)
        })();
        let workspace = workspace.join().unwrap_or_else(|_| {
            Err(DomainError::Storage(
                "the demo builder's second writer failed".into(),
            ))
        });
        (workspace, people)
    });
    let finished = (|| -> Result<(Store, write::Counts)> {
        let (store, history) = workspace?;
        let people = people?;
        bulk::absorb(store.sqlite()?, &part, &PEOPLE.names())?;
        bulk::finish(store.sqlite()?)?;
        Ok((store, people.add(history)))
    })();
    remove_database(&part);
    let (store, counts) = finished?;
    drop(store);
    Ok(DemoReport {
        path: temp.to_path_buf(),
        users: model.users.len(),
        sequences: model.sequences.len(),
        contacts: plan.contacts.len(),
        enrollments: plan.enrollments.len(),
        scheduled_steps: counts.scheduled_steps,
        sent_emails: counts.sent_emails,
        tasks: counts.tasks,
        events: counts.events,
        audit_entries: counts.audit_entries,
        elapsed: Duration::ZERO,
    })
}

/// `.{name}.building-{pid}` beside the target: same directory, so the
/// final rename is atomic.
fn temp_path(path: &Path) -> Result<PathBuf> {
    let name = path
        .file_name()
        .ok_or_else(|| DomainError::Invalid(format!("{} is not a file path", path.display())))?;
    let temp = format!(
        ".{}.building-{}",
        name.to_string_lossy(),
        std::process::id()
    );
    Ok(path.with_file_name(temp))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut text = path.as_os_str().to_os_string();
    text.push(suffix);
    PathBuf::from(text)
}

fn remove_if_there(path: &Path) {
    // Best effort: a file that is not there is what we want.
    let _ = std::fs::remove_file(path);
}

fn remove_database(path: &Path) {
    remove_if_there(path);
    for suffix in ["-wal", "-shm", "-journal"] {
        remove_if_there(&with_suffix(path, suffix));
    }
}
