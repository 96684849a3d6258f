//! The command line: clap definitions, dispatch, and text / JSON output.
//! Every subcommand calls the domain; none holds SQL or a rule.

mod choice;
mod commands;
mod contacts;
mod engine;
mod examples;
mod filter;
mod format;
mod import;
mod ingest;
mod listing;
mod lists;
mod manage;
mod migrate;
pub mod output;
mod progress;
mod records;
mod sequences;
mod surface;
mod tasks;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::domain::{Clock, DomainError, EndReason, Role};

pub use crate::session::{Session, current_login, default_db_path};
pub use commands::{Failure, run};
use filter::FilterArgs;
pub use import::{ContactsFile, read_contacts, read_contacts_file};
pub use surface::{GLOBAL_HEADING, command, man_pages, parse, parse_from, usage_error};

/// A workspace location as given (`--db`, `migrate --from/--to`): a file
/// path or a PostgreSQL URL; a URL of another scheme is a usage error
/// rather than a file named like it (see [`crate::store::pg::location_mistake`]).
fn workspace_location(value: &str) -> Result<String, String> {
    match crate::store::pg::location_mistake(value) {
        Some(why) => Err(why),
        None => Ok(value.to_string()),
    }
}

fn workspace_path(value: &str) -> Result<PathBuf, String> {
    workspace_location(value).map(PathBuf::from)
}

#[derive(Debug, Parser)]
#[command(
    name = "seqtui",
    version,
    args_override_self = true,
    about = "Email sequences for sales teams: who is enrolled where, what they get next, and how to stop it.",
    after_help = "With no command, opens the terminal UI. Exit codes: 0 success, 1 error, 2 usage, 3 refused by a rule or permission, 4 not found."
)]
pub struct Cli {
    /// The workspace: a SQLite file, or a PostgreSQL database as postgres://USER@HOST[:PORT]/DB[?sslmode=MODE] (password from PGPASSWORD or ~/.pgpass; sslmode as for psql) [default: a file in the platform data directory]
    #[arg(long, env = "SEQTUI_DB", global = true, value_name = "PATH|URL", value_parser = workspace_path)]
    pub db: Option<PathBuf>,
    /// Act as this user (email) [default: the workspace's default user]
    #[arg(long = "as", env = "SEQTUI_USER", global = true, value_name = "EMAIL")]
    pub as_user: Option<String>,
    /// The clock, for scripts and tests: RFC 3339, a date or a local time (2026-12-01 09:00)
    #[arg(long, env = "SEQTUI_NOW", global = true, value_name = "TIME")]
    pub now: Option<String>,
    /// The rules file [default: rules.toml in the platform config directory]
    #[arg(long, env = "SEQTUI_RULES", global = true, value_name = "PATH")]
    pub rules: Option<PathBuf>,
    /// Machine-readable output on stdout (the same as --format json on a listing)
    #[arg(long, global = true)]
    pub json: bool,
    /// When to colour statuses and refusals: auto (on a terminal, unless NO_COLOR is set), always, never
    #[arg(long, global = true, value_enum, default_value_t = output::ColorWhen::Auto, value_name = "WHEN")]
    pub color: output::ColorWhen,
    /// Print nothing but errors and the data asked for (no summaries, no progress)
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more: `ingest` lists every item it read
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Lay tables out for a terminal this many columns wide, even when piped
    #[arg(long, global = true, hide = true, value_name = "COLUMNS")]
    pub width: Option<usize>,
    /// How long a bulk change keeps tidying after its result, in milliseconds
    /// [default: domain::TIDY_BUDGET]
    #[arg(
        long,
        global = true,
        hide = true,
        env = "SEQTUI_TIDY_BUDGET_MS",
        value_name = "MS"
    )]
    pub tidy_budget_ms: Option<u64>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build a realistic demo workspace (replaces nothing without --force)
    Demo {
        /// How many contacts
        #[arg(long, default_value_t = 3000)]
        contacts: usize,
        /// Seed of the generator: the same seed and --now give the same workspace
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Replace an existing workspace file
        #[arg(long)]
        force: bool,
    },
    /// Create an empty workspace with one admin, and the default rules file if there is none
    Init {
        /// The workspace's name
        #[arg(long, default_value = "Sales workspace")]
        name: String,
        /// The admin's email (the default acting user)
        #[arg(long, default_value = "admin@example.com")]
        admin: String,
        /// The admin's name
        #[arg(long, default_value = "Admin")]
        admin_name: String,
    },
    /// Copy a workspace between a SQLite file and a PostgreSQL database, either way, losing nothing
    Migrate {
        /// The workspace to copy: a SQLite file, or postgres://USER@HOST[:PORT]/DB
        #[arg(long, value_name = "FILE|URL", value_parser = workspace_location)]
        from: String,
        /// Where to copy it: a new SQLite file, or an empty PostgreSQL database
        #[arg(long, value_name = "FILE|URL", value_parser = workspace_location)]
        to: String,
    },
    /// List users (role, team), or add one
    Users {
        #[command(subcommand)]
        action: Option<UsersAction>,
        #[command(flatten)]
        output: FormatArgs,
    },
    /// List sequences with their enrollment counts and rates
    Sequences(FormatArgs),
    /// List enrollments matching a filter, across every sequence unless --sequence, in contact-name order
    Enrollments(EnrollmentsArgs),
    /// Show one contact (`contact EMAIL`), or record or clear an opt-out
    /// (`contact opt-out EMAIL...`, `contact opt-in EMAIL --note TEXT`)
    Contact(ContactArgs),
    /// List contacts (owner, company, stage, opted out, open enrollment), in name order
    Contacts(contacts::ContactsArgs),
    /// Enroll contacts in a sequence: named ones, every one matching contact filters, a list's, a CSV's
    #[command(
        override_usage = "seqtui enroll --sequence ID|NAME (--contact EMAIL|ID... | --all [CONTACT FILTER...] | --list NAME | --csv FILE) [OPTIONS]"
    )]
    Enroll(contacts::EnrollArgs),
    /// End enrollments: cancel their scheduled steps and open tasks
    #[command(
        override_usage = "seqtui unenroll (--enrollment ID... | --sequence S --contact EMAIL... | --all [FILTER...] | --list NAME) --reason REASON [OPTIONS]"
    )]
    Unenroll(UnenrollArgs),
    /// Pause active enrollments: nothing is sent until they are resumed
    #[command(
        override_usage = "seqtui pause (--enrollment ID... | --sequence S --contact EMAIL... | --all [FILTER...] | --list NAME) [OPTIONS]"
    )]
    Pause(manage::SelectArgs),
    /// Resume paused enrollments: overdue steps move to now, keeping their gaps
    #[command(
        override_usage = "seqtui resume (--enrollment ID... | --sequence S --contact EMAIL... | --all [FILTER...] | --list NAME) [OPTIONS]"
    )]
    Resume(manage::SelectArgs),
    /// Undo a manual unenroll batch of yours within the undo window
    Undo {
        /// The batch id (e.g. B42) [default: your last one within the window]
        batch: Option<String>,
    },
    /// Give contacts a new owner; keep, reassign or unenroll their open enrollments
    Transfer(manage::TransferArgs),
    /// Saved lists (named filters the team shares) with how many enrollments each matches now
    Lists(FormatArgs),
    /// Save, show or delete a saved list
    List {
        #[command(subcommand)]
        action: ListAction,
    },
    /// Import data
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Execute the steps that are due: emails into the outbox Maildir, tasks for reps
    #[command(group(clap::ArgGroup::new("mode").args(["once", "watch"])))]
    Run {
        /// One pass over what is due now, then exit (the default)
        #[arg(long)]
        once: bool,
        /// Keep running, waking when the next step is due; Ctrl-C or SIGTERM stops
        #[arg(long)]
        watch: bool,
        /// The outbox Maildir [default: `outbox` beside the workspace file; for a PostgreSQL workspace, in the platform data directory]; same as --deliver maildir:DIR
        #[arg(long, value_name = "DIR", conflicts_with = "deliver")]
        outbox: Option<PathBuf>,
        /// Where emails go: maildir:DIR, smtp://[USER@]HOST[:PORT][?tls=required], smtps://[USER@]HOST[:PORT] or sendmail[:PATH]; the SMTP password comes from SEQTUI_SMTP_PASSWORD or [smtp] password_file in the rules file
        #[arg(long, value_name = "TARGET")]
        deliver: Option<String>,
    },
    /// Read replies, auto-replies, bounces (.eml, mbox, Maildir, an IMAP mailbox), meetings (.ics) and JSON Lines events
    Ingest {
        /// Files or folders (the kind is told from the content), or
        /// imap://USER@HOST[:PORT]/MAILBOX (imaps:// for TLS; the password
        /// from SEQTUI_IMAP_PASSWORD): its messages not read before
        #[arg(required = true, value_name = "PATH|IMAP-URL")]
        paths: Vec<PathBuf>,
        /// Keep reading the one IMAP mailbox given (IDLE, else polling); Ctrl-C or SIGTERM stops
        #[arg(long)]
        watch: bool,
        /// Move the IMAP messages applied to this mailbox (created if missing); without it nothing on the server is moved or deleted
        #[arg(long, value_name = "MAILBOX")]
        move_processed: Option<String>,
    },
    /// Open tasks (call, task and manual-email steps), overdue first: yours unless --owner or --all
    Tasks(tasks::TasksArgs),
    /// Complete, skip or snooze tasks (yours, your team's as a manager, any as an admin)
    Task {
        #[command(subcommand)]
        action: tasks::TaskCommand,
    },
    /// Change a sequence
    Sequence {
        #[command(subcommand)]
        action: SequenceAction,
    },
    /// The audit log, newest first
    Audit {
        /// Only entries at or after this time, in your zone: yesterday, 7d, 3h, last monday, 2026-12-01, 2026-12-01 09:00, RFC 3339
        #[arg(long)]
        since: Option<String>,
        /// At most this many entries
        #[arg(long, default_value_t = 1000)]
        limit: usize,
        /// `table`, `tsv`, `csv` (id, at, actor, action, reason, note, batch, count, detail), `json` or `jsonl`
        #[arg(long, value_name = "table|tsv|csv|json|jsonl",
            value_parser = choice::one_of(output::Format::names, output::Format::parse))]
        format: Option<output::Format>,
    },
    /// Finish cancelling the scheduled steps and open tasks of large ended batches (a bulk change leaves what takes over a second to the next `run`, the TUI or this)
    Tidy,
    /// Per-sequence report: enrollments by status and end reason, sends, engagement rates
    Report {
        /// Only this sequence (id or name)
        #[arg(long)]
        sequence: Option<String>,
        /// Only enrollments enrolled at or after this time (the forms of audit --since)
        #[arg(long)]
        since: Option<String>,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
    /// Print the files in use: workspace, rules, keymap, log and outbox
    Paths,
    /// Print the man page of seqtui, or of one of its commands (roff)
    Man {
        /// A command, e.g. unenroll [default: the page of seqtui itself]
        command: Option<String>,
    },
}

/// `--format` of a listing (see [`output::Format::chosen`]).
#[derive(Debug, Clone, Default, Args)]
pub struct FormatArgs {
    /// `table` (for people; fits a terminal), `tsv`, `csv`, `json` (= --json) or `jsonl` (one JSON object a line)
    #[arg(long, value_name = "table|tsv|csv|json|jsonl",
        value_parser = choice::one_of(output::Format::names, output::Format::parse))]
    pub format: Option<output::Format>,
}

impl FormatArgs {
    pub fn chosen(&self, cli: &Cli) -> Result<output::Format, DomainError> {
        output::Format::chosen(cli.json, self.format)
    }
}

#[derive(Debug, Args)]
pub struct EnrollmentsArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Use this saved list's filter (`seqtui lists`) instead of filter flags
    #[arg(long, value_name = "NAME", conflicts_with = "FilterArgs")]
    pub list: Option<String>,
    /// At most this many rows
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Print only how many enrollments match
    #[arg(long, conflicts_with = "limit")]
    pub count: bool,
    /// Order by this column (default: contact name); rows without a next
    /// due or an engagement come last, in contact order
    #[arg(
        long,
        value_name = "KEY",
        conflicts_with = "count",
        value_parser = clap::builder::PossibleValuesParser::new(
            ["contact", "next-due", "step", "last-engagement", "enrolled-at"]
        )
    )]
    pub sort: Option<String>,
    /// Reverse the order (ties by id reversed too; rows without a value
    /// stay last)
    #[arg(long, conflicts_with = "count")]
    pub desc: bool,
    #[command(flatten)]
    pub output: FormatArgs,
}

/// `contact EMAIL` shows a contact; `contact opt-out …` and `contact
/// opt-in …` change its opt-out; `contact email … --to …` its address. A
/// bare email or id is always a contact to show (neither `opt-out`,
/// `opt-in` nor `email` is an email).
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    subcommand_value_name = "ACTION",
    override_usage = "seqtui contact EMAIL|ID\n       seqtui contact opt-out EMAIL... [--note TEXT]\n       seqtui contact opt-in EMAIL --note TEXT\n       seqtui contact email EMAIL|ID --to NEW"
)]
pub struct ContactArgs {
    /// Email or id: properties, enrollments with schedule and tasks, timeline
    #[arg(required = true, value_name = "EMAIL|ID")]
    pub contact: Option<String>,
    #[command(subcommand)]
    pub action: Option<ContactAction>,
}

#[derive(Debug, Subcommand)]
pub enum ContactAction {
    /// Record that contacts opted out (anyone may): they can no longer be
    /// enrolled, and every open enrollment they have ends (opted_out)
    OptOut {
        /// Email or id (one or more)
        #[arg(required = true, value_name = "EMAIL|ID")]
        contacts: Vec<String>,
        /// A note kept with the audit entry and the ended enrollments
        #[arg(long)]
        note: Option<String>,
    },
    /// Clear a contact's opt-out (admins only, with a note; audited): it may
    /// be enrolled again
    OptIn {
        /// Email or id
        #[arg(value_name = "EMAIL|ID")]
        contact: String,
        /// Why (required): e.g. where the contact opted in again
        #[arg(long, required = true)]
        note: String,
    },
    /// Change a contact's email address (whoever may change the contact;
    /// audited with the previous address). A new address lifts an
    /// undeliverable mark, which belongs to the old one
    Email {
        /// Email or id
        #[arg(value_name = "EMAIL|ID")]
        contact: String,
        /// The new address (no other contact may have it)
        #[arg(long, value_name = "NEW")]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ListAction {
    /// Save the filter flags as a list shared by the team; replaces the
    /// filter of a list of that name (whoever saved it, a manager or an admin may)
    Save {
        /// The list's name (any case matches it later)
        name: String,
        #[command(flatten)]
        filter: Box<FilterArgs>,
    },
    /// A list's filter, who saved it, how many enrollments it matches and which
    Show {
        /// The list's name (any case)
        name: String,
        /// At most this many rows
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
    /// Delete a list (whoever saved it, a manager or an admin may); its enrollments are untouched
    Delete {
        /// The list's name (any case)
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UsersAction {
    /// Add a user (admins only)
    Add {
        /// The user's email (how they are named everywhere)
        email: String,
        /// Their name, as tables show it
        #[arg(long)]
        name: String,
        /// What they may do (R12)
        #[arg(long, value_parser = choice::choice::<Role>(choice::names_of!(Role)))]
        role: crate::domain::Role,
        /// Their team (a manager may act on the enrollments of their team)
        #[arg(long)]
        team: String,
    },
    /// Bind a user to an operating-system login (admins only): from then on
    /// that login acts as that user, and only admins may use --as. On
    /// PostgreSQL the login is a database role, which this gives the
    /// workspace's tables (the audit append-only for it)
    Bind {
        /// The user's email
        email: String,
        /// The login name (as `id -un` prints it); on PostgreSQL the
        /// database role
        #[arg(long)]
        login: String,
    },
    /// Remove a user's login binding (admins only); on PostgreSQL a role
    /// no user is bound to any more loses the workspace's tables
    Unbind {
        /// The user's email
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SequenceAction {
    /// Create or update sequences from TOML files (all or nothing), after a dry-run diff
    Apply {
        /// Sequence files (see assets/sequences/)
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Apply without asking (needed without a terminal)
        #[arg(long)]
        yes: bool,
        /// Only show the diff and what it does to open enrollments
        #[arg(long)]
        dry_run: bool,
    },
    /// Show a sequence: a summary, or the file `apply` accepts (--format toml)
    Show {
        /// Sequence id or name
        sequence: String,
        /// `text` (a summary) or `toml` (the sequence file)
        #[arg(long, default_value = "text", value_name = "text|toml",
            value_parser = choice::one_of(|| vec!["text", "toml"], parse_show_format))]
        format: String,
        /// An earlier version's file
        #[arg(long, value_name = "N")]
        version: Option<i64>,
    },
    /// List a sequence's versions
    Versions {
        /// Sequence id or name
        sequence: String,
    },
    /// Archive a sequence: ends its open enrollments (sequence_archived) after a preview
    Archive {
        /// Sequence id or name
        sequence: String,
        /// Archive without asking (needed without a terminal)
        #[arg(long)]
        yes: bool,
        /// Only show how many open enrollments it would end
        #[arg(long)]
        dry_run: bool,
    },
    /// Make an archived sequence enrollable again
    Unarchive {
        /// Sequence id or name
        sequence: String,
    },
    /// Give a sequence another owner (a manager or an admin)
    Owner {
        /// Sequence id or name
        sequence: String,
        /// The new owner's email
        #[arg(long, value_name = "EMAIL")]
        to: String,
    },
    /// Set the automation settings of a sequence
    #[command(group(clap::ArgGroup::new("setting").required(true).multiple(true)
        .args(["unenroll_colleagues", "pause_on_out_of_office"])))]
    Set {
        /// Sequence id or name
        sequence: String,
        /// R8: a reply or meeting also ends colleagues' enrollments in this sequence
        #[arg(long, value_parser = choice::one_of(|| vec!["on", "off"], parse_on_off), value_name = "on|off")]
        unenroll_colleagues: Option<bool>,
        /// R14: an out-of-office reply with a return date pauses the enrollment until then
        #[arg(long, value_parser = choice::one_of(|| vec!["on", "off"], parse_on_off), value_name = "on|off")]
        pause_on_out_of_office: Option<bool>,
    },
}

/// `sequence show --format`: `text` or `toml`, any case.
fn parse_show_format(text: &str) -> Result<String, String> {
    let name = text.trim().to_ascii_lowercase();
    if matches!(name.as_str(), "text" | "toml") {
        Ok(name)
    } else {
        Err(format!(
            "unknown format '{}'; use text or toml",
            text.trim()
        ))
    }
}

fn parse_on_off(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" => Ok(true),
        "off" | "false" | "no" => Ok(false),
        _ => Err(format!("'{text}' is not on or off")),
    }
}

#[derive(Debug, Subcommand)]
pub enum ImportWhat {
    /// Contacts from a CSV file (CRM export column names or snake_case)
    Contacts {
        /// The CSV file (a header row, then one contact a line)
        file: PathBuf,
        /// Show what would be created and changed (field by field); change nothing
        #[arg(long)]
        dry_run: bool,
        /// An empty cell clears its field (and an empty owner cell the owner); by default it keeps it
        #[arg(long)]
        clear_empty: bool,
    },
}

#[derive(Debug, Args)]
pub struct UnenrollArgs {
    #[command(flatten)]
    pub select: manage::SelectArgs,
    /// Why the enrollments end
    #[arg(long, value_parser = choice::choice::<EndReason>(choice::names_of!(EndReason)))]
    pub reason: EndReason,
    /// A free note kept with the enrollment and the audit entry
    #[arg(long)]
    pub note: Option<String>,
    /// Do not ask before unenrolling more than one enrollment
    #[arg(long)]
    pub yes: bool,
}

impl Cli {
    /// What the run starts with, shared with the TUI (see `crate::session`).
    pub fn session(&self) -> Session {
        Session {
            db: self.db.clone(),
            as_user: self.as_user.clone(),
            now: self.now.clone(),
            rules: self.rules.clone(),
        }
    }

    pub fn rules(&self) -> Result<crate::domain::Rules, DomainError> {
        self.session().rules()
    }

    pub fn rules_path(&self) -> Option<PathBuf> {
        self.session().rules_path()
    }

    pub fn overrides(&self) -> crate::domain::Overrides {
        self.session().overrides()
    }

    pub fn clock(&self) -> Result<Clock, DomainError> {
        self.session().clock()
    }

    /// How long a bulk change tidies after printing its result.
    pub fn tidy_budget(&self) -> std::time::Duration {
        self.tidy_budget_ms
            .map(std::time::Duration::from_millis)
            .unwrap_or(crate::domain::TIDY_BUDGET)
    }
}
