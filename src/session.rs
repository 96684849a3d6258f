//! What both front ends share before they start: which workspace file, the
//! clock, the rules in force, who is acting, and the demo workspace built
//! on first start of the TUI. `cli` parses these from the command line and
//! environment; `tui` opens with them.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::domain::{Clock, DomainError, Overrides, Rules, User, Workspace};

/// The settings a run starts with (`--db`, `--as`, `--now`, `--rules` or
/// their `SEQTUI_*` variables). An empty value counts as not given.
#[derive(Debug, Clone, Default)]
pub struct Session {
    pub db: Option<PathBuf>,
    pub as_user: Option<String>,
    pub now: Option<String>,
    pub rules: Option<PathBuf>,
}

impl Session {
    /// The rules in force: the rules file given (which must exist), else
    /// the default rules file if there is one, else the defaults.
    ///
    /// The rules' time zone becomes the user's: `TZ` when it names a zone,
    /// else the file's `[dates] time_zone` (see [`crate::domain::user_zone`]).
    pub fn rules(&self) -> Result<Rules, DomainError> {
        let mut rules = crate::config::load_rules(self.rules_path_given())?;
        let zone = crate::domain::user_zone(
            std::env::var("TZ").ok().as_deref(),
            rules.time_zone.as_deref(),
        );
        rules.time_zone = (zone != chrono_tz::Tz::UTC).then(|| zone.name().to_string());
        Ok(rules)
    }

    fn rules_path_given(&self) -> Option<&Path> {
        self.rules.as_deref().filter(|p| !p.as_os_str().is_empty())
    }

    /// Where `init` writes the default rules: the path given, else the
    /// default one.
    pub fn rules_path(&self) -> Option<PathBuf> {
        self.rules_path_given()
            .map(|p| p.to_path_buf())
            .or_else(crate::config::default_rules_path)
    }

    /// Which of the clock and the rules are set for this run (see
    /// `Workspace::identify`: only admins may once logins are bound).
    pub fn overrides(&self) -> Overrides {
        Overrides {
            clock: self.now_given().is_some(),
            rules: self.rules_path_given().is_some(),
        }
    }

    fn now_given(&self) -> Option<&str> {
        self.now.as_deref().map(str::trim).filter(|t| !t.is_empty())
    }

    /// The clock: `--now` (an absolute time; a date or a local time in
    /// the user's zone), else the system's.
    pub fn clock(&self) -> Result<Clock, DomainError> {
        match self.now_given() {
            Some(text) => {
                // The rules file may not be there yet (`init` writes it):
                // its zone only when it reads.
                let zone = self.rules().ok().and_then(|r| r.time_zone);
                Clock::parse_in(text, crate::domain::user_zone(None, zone.as_deref()))
            }
            None => Ok(Clock::System),
        }
    }

    /// The workspace file: the one given, else the default path.
    pub fn db_path(&self) -> PathBuf {
        self.db.clone().unwrap_or_else(default_db_path)
    }

    /// Opens the workspace at `path` with this run's rules and tells who
    /// is acting (the login, `--as`, and what the run overrides).
    pub fn open(&self, path: &Path, clock: Clock) -> Result<(Workspace, User), DomainError> {
        let rules = self.rules()?;
        let mut ws = Workspace::open(path, clock)?;
        ws.set_rules(rules);
        let user = ws.identify(
            current_login().as_deref(),
            self.as_user.as_deref(),
            self.overrides(),
        )?;
        Ok((ws, user))
    }

    /// The path the TUI opens: the given one, or the default, building the
    /// demo workspace there first when it does not exist yet (and saying
    /// so).
    pub fn workspace_or_demo(&self) -> anyhow::Result<(PathBuf, Option<String>)> {
        match &self.db {
            Some(path) => Ok((path.clone(), None)),
            None => {
                let path = default_db_path();
                if path.exists() {
                    return Ok((path, None));
                }
                let report = crate::demo::build(&path, &Default::default(), self.clock()?)
                    .context("building the demo workspace")?;
                Ok((
                    path,
                    Some(format!(
                        "No workspace yet: built the demo workspace at {} ({} contacts).",
                        report.path.display(),
                        report.contacts
                    )),
                ))
            }
        }
    }
}

/// The operating-system login running this process: on Linux the name of
/// the real user id (from `/proc/self/status` and `/etc/passwd`, which an
/// environment variable cannot change); elsewhere `$USER` / `$LOGNAME`.
pub fn current_login() -> Option<String> {
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|rest| rest.split_whitespace().next().map(str::to_string))
        });
    if let Some(uid) = uid {
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        return Some(
            passwd
                .lines()
                .find_map(|line| {
                    let mut fields = line.split(':');
                    let name = fields.next()?;
                    (fields.nth(1)? == uid).then(|| name.to_string())
                })
                // A uid with no passwd entry (some containers) is its number.
                .unwrap_or(uid),
        );
    }
    ["USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
}

/// Where the workspace lives when `--db` and `SEQTUI_DB` are not given.
pub fn default_db_path() -> PathBuf {
    directories::ProjectDirs::from("", "", "seqtui")
        .map(|d| d.data_dir().join("workspace.db"))
        .unwrap_or_else(|| PathBuf::from("seqtui.db"))
}
