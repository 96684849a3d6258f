//! Running a command line: the failure type and exit codes, the dispatch
//! of each subcommand to its function, and the subcommands of the
//! workspace itself (`init`, `demo`, `paths`, `tidy`), of one contact and
//! of `unenroll`. Every subcommand resolves names to ids, calls the domain
//! and prints a table or JSON; the others have a module each beside this
//! one (`listing`, `records`, `manage`, `sequences`, `tasks`, …).

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::listing::{enrollments, print_contact, sequences, users};
use super::output::{Format, json, machine, outln, safe, table, time};
use super::records::{audit, report};
use super::{Cli, Command, ImportWhat, UnenrollArgs, default_db_path};
use crate::domain::*;

/// An error the way it leaves the program: a sentence and an exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl From<DomainError> for Failure {
    fn from(e: DomainError) -> Self {
        Failure {
            code: e.exit_code(),
            message: e.to_string(),
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        match e.downcast::<DomainError>() {
            Ok(d) => d.into(),
            Err(e) => Failure {
                code: 1,
                message: format!("{e:#}"),
            },
        }
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure {
            code: 1,
            message: e.to_string(),
        }
    }
}

/// What a subcommand returns: its exit code, or the failure to print.
pub(super) type Outcome = Result<i32, Failure>;

/// The failure of a change made in one transaction: nothing of it was
/// saved, and a storage error (which says only what failed) says so.
pub(super) fn unsaved(e: DomainError) -> Failure {
    match e {
        DomainError::Storage(message) => Failure {
            code: 1,
            message: format!("{message}; nothing was changed"),
        },
        other => other.into(),
    }
}

/// Finishes the tidying a large batch left for after its transaction. The
/// change itself (`what`, batch `batch`) is saved whatever happens here,
/// and a failure says so.
///
/// It tidies for at most [`Cli::tidy_budget`] (a second), so that the
/// command returns when its result is printed; what is left waits for the
/// next `run`, the TUI's start or `seqtui tidy` (readers already see those
/// steps and tasks as cancelled).
pub(super) fn finish_tidying(
    cli: &Cli,
    ws: &mut Workspace,
    what: &str,
    batch: Option<&str>,
) -> Result<(), Failure> {
    let progress = ws.tidy_within(cli.tidy_budget()).map_err(|e| Failure {
        code: 1,
        message: format!(
            "the {what}{} was saved; cancelling its scheduled steps and open tasks could not finish ({e}); the next `seqtui run` or unenroll finishes it, as does `seqtui tidy`",
            batch.map(|b| format!(" (batch {b})")).unwrap_or_default()
        ),
    })?;
    if progress.pending > 0 && !cli.json && !super::output::style().quiet {
        super::output::note(&format!(
            "{} ended enrollments still have scheduled steps or open tasks to tidy (nothing runs them); the next `seqtui run`, the TUI or `seqtui tidy` finishes that",
            progress.pending
        ));
    }
    Ok(())
}

/// The time a flag was given, read by the one parser (`domain::when`) in
/// the user's zone against the workspace clock; a bad one is a usage error
/// naming the flag and the forms it takes.
pub(super) fn read_time(
    ws: &Workspace,
    flag: &str,
    text: &str,
    toward: Toward,
) -> Result<Timestamp, Failure> {
    ws.when().instant(text, toward).map_err(|e| Failure {
        code: 2,
        message: format!("{flag}: {e}"),
    })
}

pub(super) fn refused(message: impl Into<String>) -> Failure {
    Failure {
        code: 3,
        message: message.into(),
    }
}

/// What `init --json` prints: the workspace, and the rules file it wrote
/// (or found already there).
#[derive(Debug, serde::Serialize)]
struct InitReport {
    #[serde(flatten)]
    workspace: WorkspaceInfo,
    rules_file: Option<PathBuf>,
    rules_file_written: bool,
}

/// Runs one parsed command line; returns the exit code. The TUI is started
/// by the binary, not here, so that this stays testable.
pub fn run(cli: &Cli) -> Outcome {
    // The user's zone (`TZ`, else the rules file's; a rules file that
    // cannot be read fails the command later, with its own sentence).
    let zone = cli
        .rules()
        .map(|rules| user_zone(None, rules.time_zone.as_deref()))
        .unwrap_or(chrono_tz::Tz::UTC);
    super::output::configure(super::output::Style::detect(
        cli.color,
        cli.width,
        cli.quiet,
        cli.verbose,
        zone,
    ));
    let outcome = run_command(cli);
    // Last, after the change and its tidying: what writing stdout met.
    match (super::output::finish(), outcome) {
        (None, outcome) => outcome,
        // The reader has all it wanted (`| head`): not an error.
        (Some(e), outcome) if e.kind() == std::io::ErrorKind::BrokenPipe => outcome,
        (Some(e), Ok(_)) => Err(Failure {
            code: 1,
            message: format!("cannot write to standard output: {e}"),
        }),
        // The command's own failure is the sentence that matters.
        (Some(_), Err(failure)) => Err(failure),
    }
}

fn run_command(cli: &Cli) -> Outcome {
    let Some(command) = &cli.command else {
        return Err(Failure {
            code: 2,
            message: "no command given".into(),
        });
    };
    // What needs neither a clock nor a workspace.
    match command {
        Command::Completions { shell } => {
            super::surface::completions(*shell);
            return Ok(0);
        }
        Command::Man { command } => {
            use std::io::Write;
            let page = super::surface::man_page(command.as_deref())?;
            super::output::Verbatim.write_all(&page)?;
            return Ok(0);
        }
        _ => {}
    }
    let clock = cli.clock()?;
    let path = cli.db.clone().unwrap_or_else(default_db_path);
    match command {
        Command::Paths => paths(cli, &path),
        Command::Demo {
            contacts,
            seed,
            force,
        } => demo(cli, &path, clock, *contacts, *seed, *force),
        Command::Init {
            name,
            admin,
            admin_name,
        } => {
            let ws = Workspace::create(&path, clock, name, admin, admin_name)?;
            // The commented defaults, where the rules are read from, unless
            // a file is there already (never overwritten).
            let rules_file = cli.rules_path();
            let wrote = match &rules_file {
                Some(file) => crate::config::write_default_rules(file).with_context(|| {
                    format!("writing the default rules file {}", file.display())
                })?,
                None => false,
            };
            if cli.json {
                json(&InitReport {
                    workspace: ws.info()?,
                    rules_file: rules_file.clone(),
                    rules_file_written: wrote,
                })?;
            } else {
                outln!(
                    "Created workspace '{}' at {} with admin {admin}.",
                    safe(name),
                    path.display()
                );
                match (&rules_file, wrote) {
                    (Some(file), true) => {
                        outln!("Wrote the default rules to {}.", file.display())
                    }
                    (Some(file), false) => {
                        outln!("Kept the rules file already at {}.", file.display())
                    }
                    (None, _) => {}
                }
            }
            Ok(0)
        }
        Command::Migrate { from, to } => super::migrate::run(cli, from, to),
        _ => {
            let (mut ws, actor) = cli.session().open(&path, clock)?;
            on_workspace(cli, command, &mut ws, &actor)
        }
    }
}

/// What `seqtui paths` prints: the files this run uses (whether each is
/// there yet: a missing rules or keymap file means the defaults).
#[derive(Debug, serde::Serialize)]
struct Paths {
    workspace: PathBuf,
    /// Whether the file is there; `None` for a PostgreSQL database, which
    /// `paths` does not connect to.
    workspace_exists: Option<bool>,
    rules: Option<PathBuf>,
    rules_exists: bool,
    keymap: Option<PathBuf>,
    keymap_exists: bool,
    log: PathBuf,
    outbox: PathBuf,
    time_zone: String,
}

fn paths(cli: &Cli, workspace: &Path) -> Outcome {
    let rules = cli.rules_path();
    let keymap = crate::config::keymap_path();
    let exists = |p: &Option<PathBuf>| p.as_ref().is_some_and(|p| p.exists());
    let report = Paths {
        workspace: workspace.to_path_buf(),
        workspace_exists: crate::store::postgres_url(workspace)
            .is_none()
            .then(|| workspace.exists()),
        rules_exists: exists(&rules),
        rules,
        keymap_exists: exists(&keymap),
        keymap,
        log: crate::log::log_file(),
        outbox: crate::engine::outbox::default_outbox(workspace),
        time_zone: user_zone(None, cli.rules()?.time_zone.as_deref())
            .name()
            .to_string(),
    };
    if cli.json {
        json(&report)?;
        return Ok(0);
    }
    let shown = |p: &Option<PathBuf>, there: bool| match p {
        Some(p) if there => p.display().to_string(),
        Some(p) => format!("{} (not there: the defaults apply)", p.display()),
        None => "- (no configuration directory)".into(),
    };
    let rows = vec![
        vec![
            "workspace".to_string(),
            format!(
                "{}{}",
                report.workspace.display(),
                match report.workspace_exists {
                    None => " (a PostgreSQL database: not connected to)",
                    Some(true) => "",
                    Some(false) => " (not there yet)",
                }
            ),
        ],
        vec!["rules".into(), shown(&report.rules, report.rules_exists)],
        vec!["keymap".into(), shown(&report.keymap, report.keymap_exists)],
        vec!["log".into(), report.log.display().to_string()],
        vec!["outbox".into(), report.outbox.display().to_string()],
        vec!["time zone".into(), report.time_zone.clone()],
    ];
    table(&["WHAT", "PATH"], &rows);
    Ok(0)
}

fn demo(cli: &Cli, path: &Path, clock: Clock, contacts: usize, seed: u64, force: bool) -> Outcome {
    let options = crate::demo::DemoOptions {
        contacts,
        seed,
        force,
    };
    let progress = super::progress::Progress::spinner(cli, "building the demo workspace");
    let report = crate::demo::build(path, &options, clock)?;
    progress.finish();
    if cli.json {
        json(&report)?;
    } else {
        outln!(
            "Built the demo workspace at {}: {} users, {} sequences, {} contacts, {} enrollments.",
            report.path.display(),
            report.users,
            report.sequences,
            report.contacts,
            report.enrollments
        );
    }
    Ok(0)
}

fn on_workspace(cli: &Cli, command: &Command, ws: &mut Workspace, actor: &User) -> Outcome {
    match command {
        Command::Users { action, output } => users(cli, ws, actor, action.as_ref(), output),
        Command::Sequences(output) => sequences(cli, ws, output),
        Command::Tidy => tidy(cli, ws),
        Command::Enrollments(args) => {
            let filter = super::filter::chosen_filter(ws, args.list.as_deref(), &args.filter)?;
            let mut query = ws.resolve(&filter)?;
            let key: SortKey = args.sort.as_deref().unwrap_or("contact").parse()?;
            query.sort = Sort::new(key, args.desc);
            let format = args.output.chosen(cli)?;
            if args.count {
                let count = ws.enrollment_count(&query)?;
                let counted = serde_json::json!({ "count": count });
                if format == Format::Json {
                    json(&counted)?;
                } else if format.is_machine() {
                    machine(format, &[counted])?;
                } else {
                    outln!("{count}");
                }
                return Ok(0);
            }
            enrollments(format, ws, &query, args.limit)
        }
        Command::Contact(args) => match (&args.action, &args.contact) {
            (Some(action), _) => contact_action(cli, ws, actor, action),
            (None, Some(contact)) => {
                let contact = ws.contact(contact)?;
                let detail = ws.contact_detail(contact.id)?;
                if cli.json {
                    json(&detail)?;
                } else {
                    print_contact(&detail);
                }
                Ok(0)
            }
            (None, None) => Err(Failure {
                code: 2,
                message: "name a contact (email or id), or opt-out / opt-in / email".into(),
            }),
        },
        Command::Contacts(args) => super::contacts::contacts(cli, ws, args),
        Command::Enroll(args) => super::contacts::enroll(cli, ws, actor, args),
        Command::Unenroll(args) => unenroll(cli, ws, actor, args),
        Command::Pause(args) => super::manage::pause_or_resume(cli, ws, actor, args, true),
        Command::Resume(args) => super::manage::pause_or_resume(cli, ws, actor, args, false),
        Command::Tasks(args) => super::tasks::tasks(cli, ws, actor, args),
        Command::Task { action } => super::tasks::task(cli, ws, actor, action),
        Command::Undo { batch } => super::manage::undo(cli, ws, actor, batch.as_deref()),
        Command::Transfer(args) => super::manage::transfer(cli, ws, actor, args),
        Command::Lists(output) => super::lists::lists(cli, ws, output),
        Command::List { action } => super::lists::list(cli, ws, actor, action),
        Command::Import {
            what:
                ImportWhat::Contacts {
                    file,
                    dry_run,
                    clear_empty,
                },
        } => super::import::import_contacts(
            cli,
            ws,
            actor,
            file,
            ImportOptions {
                dry_run: *dry_run,
                clear_empty: *clear_empty,
            },
        ),
        Command::Audit {
            since,
            limit,
            format,
        } => audit(cli, ws, since.as_deref(), *limit, *format),
        Command::Report { sequence, since } => {
            report(cli, ws, sequence.as_deref(), since.as_deref())
        }
        Command::Run {
            watch,
            outbox,
            deliver,
            ..
        } => super::engine::run(cli, ws, *watch, outbox.as_deref(), deliver.as_deref()),
        Command::Ingest {
            paths,
            watch,
            move_processed,
        } => super::ingest::ingest(cli, ws, paths, *watch, move_processed.as_deref()),
        Command::Sequence {
            action:
                super::SequenceAction::Set {
                    sequence,
                    unenroll_colleagues,
                    pause_on_out_of_office,
                },
        } => super::engine::sequence_set(
            cli,
            ws,
            actor,
            sequence,
            *unenroll_colleagues,
            *pause_on_out_of_office,
        ),
        Command::Sequence { action } => match action {
            super::SequenceAction::Apply {
                files,
                yes,
                dry_run,
            } => super::sequences::apply(cli, ws, actor, files, *yes, *dry_run),
            super::SequenceAction::Show {
                sequence,
                format,
                version,
            } => super::sequences::show(cli, ws, sequence, format, *version),
            super::SequenceAction::Versions { sequence } => {
                super::sequences::versions(cli, ws, sequence)
            }
            super::SequenceAction::Archive {
                sequence,
                yes,
                dry_run,
            } => super::sequences::archive(cli, ws, actor, sequence, *yes, *dry_run),
            super::SequenceAction::Unarchive { sequence } => {
                super::sequences::unarchive(cli, ws, actor, sequence)
            }
            super::SequenceAction::Owner { sequence, to } => {
                super::sequences::owner(cli, ws, actor, sequence, to)
            }
            super::SequenceAction::Set { .. } => unreachable!("matched above"),
        },
        Command::Demo { .. }
        | Command::Init { .. }
        | Command::Migrate { .. }
        | Command::Paths
        | Command::Completions { .. }
        | Command::Man { .. } => unreachable!("handled before opening"),
    }
}

/// `contact opt-out`, `contact opt-in` (R9) and `contact email`.
fn contact_action(
    cli: &Cli,
    ws: &mut Workspace,
    actor: &User,
    action: &super::ContactAction,
) -> Outcome {
    match action {
        super::ContactAction::OptOut { contacts, note } => {
            // Every contact must exist before anything changes (exit 4).
            let mut ids = Vec::new();
            for c in contacts {
                ids.push(ws.contact(c)?.id);
            }
            let report = ws.opt_out_contacts(actor, &ids, note.as_deref())?;
            if cli.json {
                super::output::change(&report, &report.opted_out, &report.skipped)?;
            } else {
                outln!("{}", report.summary());
                for s in &report.skipped {
                    super::output::line_coloured(
                        &format!("  skipped contact {}: {}", s.id, s.why),
                        comfy_table::Color::Yellow,
                    );
                }
            }
            Ok(0)
        }
        super::ContactAction::Email { contact, to } => {
            let contact = ws.contact(contact)?;
            let report = ws
                .change_contact_email(actor, contact.id, to)
                .map_err(unsaved)?;
            if cli.json {
                let changed: &[i64] = if report.changed {
                    &[report.contact]
                } else {
                    &[]
                };
                let mut value = serde_json::to_value(&report).map_err(anyhow::Error::from)?;
                value["changed"] = serde_json::json!(changed);
                super::output::change_value(value, changed, &[])?;
            } else if report.changed {
                outln!(
                    "Changed the address of contact {} from {} to {}{} · batch {}.",
                    report.contact,
                    safe(&report.before),
                    safe(&report.email),
                    if report.was_undeliverable {
                        "; the old address was undeliverable, the new one may be enrolled"
                    } else {
                        ""
                    },
                    report.batch.as_deref().unwrap_or("")
                );
            } else {
                outln!(
                    "{} already has that address; nothing was changed.",
                    safe(&report.before)
                );
            }
            Ok(0)
        }
        super::ContactAction::OptIn { contact, note } => {
            let contact = ws.contact(contact)?;
            let report = ws.opt_in(actor, contact.id, note)?;
            if cli.json {
                let changed: &[i64] = if report.opted_in { &[contact.id] } else { &[] };
                super::output::change(&report, changed, &[])?;
            } else if report.opted_in {
                outln!(
                    "Cleared the opt-out of {} ({}); they may be enrolled again · batch {}.",
                    safe(&report.email),
                    opt_out_origin(
                        report.was_opted_out_at,
                        report.was_opted_out_by.as_deref(),
                        report.was_opted_out_via
                    ),
                    report.batch.as_deref().unwrap_or("")
                );
            } else {
                outln!(
                    "{} has not opted out; nothing was changed.",
                    safe(&report.email)
                );
            }
            Ok(0)
        }
    }
}

/// "opted out 2026-11-02 09:00 by ann@acme.example via unenroll".
pub(super) fn opt_out_origin(
    at: Option<Timestamp>,
    by: Option<&str>,
    via: Option<crate::domain::OptOutVia>,
) -> String {
    let mut text = String::from("opted out");
    if at.is_some() {
        text.push_str(&format!(" {}", time(at)));
    }
    if let Some(by) = by {
        text.push_str(&format!(" by {}", safe(by)));
    }
    if let Some(via) = via {
        text.push_str(&format!(" via {via}"));
    }
    text
}

/// `seqtui tidy`: finishes what bulk changes left to tidy.
fn tidy(cli: &Cli, ws: &mut Workspace) -> Outcome {
    let pending = ws.tidy_pending()?;
    let bar = super::progress::Progress::bar(cli, "tidying", pending.max(0) as u64);
    let mut tidied = 0;
    loop {
        let n = ws.tidy(crate::domain::TIDY_CHUNK)?;
        if n == 0 {
            break;
        }
        tidied += n;
        bar.advance(n as u64);
    }
    bar.finish();
    let progress = TidyProgress { tidied, pending: 0 };
    if cli.json {
        json(&progress)?;
    } else if tidied == 0 {
        outln!("Nothing to tidy.");
    } else {
        outln!(
            "Tidied {tidied} ended enrollments: their scheduled steps are cancelled and open tasks removed."
        );
    }
    Ok(0)
}

fn unenroll(cli: &Cli, ws: &mut Workspace, actor: &User, args: &UnenrollArgs) -> Outcome {
    let ids = super::manage::select(ws, &args.select, &[Status::Active, Status::Paused])?;
    let mut request = UnenrollRequest {
        enrollments: ids,
        reason: args.reason,
        note: args.note.clone(),
        dry_run: true,
    };
    let mut distinct = request.enrollments.clone();
    distinct.sort_unstable();
    distinct.dedup();
    // A dry run first only when it is the answer or the question needs it.
    let dry_run = args.select.dry_run;
    let needs_question = distinct.len() > 1 && !args.yes && !dry_run;
    let report = if dry_run || needs_question {
        let preview = ws.unenroll(actor, &request)?;
        let count = preview.unenrolled.len();
        if dry_run {
            preview
        } else {
            if count > 1 {
                let what = format!(
                    "nroll {count} enrollments{} with reason {}? {} scheduled emails and {} open tasks will be cancelled.",
                    super::manage::scope(&preview.sequences),
                    args.reason,
                    preview.emails_cancelled,
                    preview.tasks_removed
                );
                confirm(&format!("Une{what}"), &format!("Refusing to une{what}"))?;
            }
            request.dry_run = false;
            let _progress = super::progress::Progress::spinner(cli, "unenrolling");
            ws.unenroll(actor, &request).map_err(unsaved)?
        }
    } else {
        request.dry_run = false;
        let _progress = super::progress::Progress::spinner(cli, "unenrolling");
        ws.unenroll(actor, &request).map_err(unsaved)?
    };
    if cli.json {
        super::output::change(&report, &report.unenrolled, &report.skipped)?;
    } else {
        if report.dry_run {
            super::manage::print_preview(ws, &report.unenrolled)?;
        }
        outln!("{}", report.summary());
        for s in &report.skipped {
            super::output::line_coloured(
                &format!("  skipped #{}: {}", s.id, s.why),
                comfy_table::Color::Yellow,
            );
        }
    }
    if !report.dry_run {
        // A large batch left its scheduled steps and tasks to be cancelled
        // in short transactions after the report (nothing reads them as
        // pending meanwhile); finish that before the process exits.
        finish_tidying(cli, ws, "unenroll", report.batch.as_deref())?;
    }
    // Idempotent: skipping what is already ended is success. Refusals and
    // unknown ids fail only when nothing at all could be done.
    super::manage::skipped_outcome(report.unenrolled.len(), &report.skipped)
}

/// Asks `question` on the terminal; without one, refuses (exit 2) with
/// `refusal` (the question said as what was not done). Any answer but
/// yes is a refusal (exit 3).
/// A confirmation's question as the statement of a refusal: "Refusing to
/// enroll 2 contacts in 'X'? 1 refused." → "… in 'X': 1 refused.", and a
/// question that ends the text ends with a full stop.
fn as_statement(question: &str) -> String {
    let text = question.replace("? ", ": ");
    match text.strip_suffix('?') {
        Some(rest) => format!("{rest}."),
        None => text,
    }
}

pub(super) fn confirm(question: &str, refusal: &str) -> Result<(), Failure> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() || !std::io::stderr().is_terminal() {
        return Err(Failure {
            code: 2,
            message: format!(
                "{} Pass --yes to confirm (there is no terminal to ask on).",
                as_statement(refusal)
            ),
        });
    }
    super::output::prompt(question);
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    if matches!(answer.trim().to_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        // Declining is a refusal (3), not a usage error.
        Err(Failure {
            code: 3,
            message: "cancelled; nothing was changed".into(),
        })
    }
}
