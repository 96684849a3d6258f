//! The command line as people meet it (issue 17): the finished clap
//! command (the derive's tree plus global options apart, short flags and
//! one EXAMPLES section per command), clap's usage errors as one sentence,
//! shell completions and man pages. Touches no workspace.

use std::ffi::OsString;

use clap::{CommandFactory, FromArgMatches};

use super::Cli;
use super::commands::Failure;

/// The heading global options are listed under in every `--help`.
pub const GLOBAL_HEADING: &str = "Global options";

/// Short flags where people expect them: (long flag, short). Added to
/// every command that has the long flag, so they stay the same everywhere.
const SHORT_FLAGS: &[(&str, char)] = &[("yes", 'y'), ("dry-run", 'n'), ("sequence", 's')];

/// The whole command line: the derive's tree, finished.
pub fn command() -> clap::Command {
    finish(Cli::command(), &[])
}

/// Parses the process's arguments with [`command`].
pub fn parse() -> Result<Cli, clap::Error> {
    parse_from(std::env::args_os())
}

/// Parses `args` (the program's name first) with [`command`].
pub fn parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let matches = command().try_get_matches_from(args)?;
    Cli::from_arg_matches(&matches)
}

fn finish(mut cmd: clap::Command, path: &[&str]) -> clap::Command {
    // A command without its subcommand is a usage error of one sentence,
    // not a help page on stderr.
    cmd = cmd.arg_required_else_help(false);
    let ids: Vec<(String, Option<String>, bool)> = cmd
        .get_arguments()
        .map(|a| {
            (
                a.get_id().to_string(),
                a.get_long().map(str::to_string),
                a.is_global_set(),
            )
        })
        .collect();
    for (id, long, global) in ids {
        if global && path.is_empty() {
            cmd = cmd.mut_arg(&id, |a| a.help_heading(GLOBAL_HEADING));
        }
        if let Some(long) = long
            && let Some((_, short)) = SHORT_FLAGS.iter().find(|(l, _)| *l == long)
        {
            cmd = cmd.mut_arg(&id, |a| a.short(*short));
        }
    }
    if !path.is_empty() {
        let key = path.join(" ");
        if let Some((_, text)) = super::examples::EXAMPLES.iter().find(|(k, _)| *k == key) {
            cmd = cmd.after_help(format!("Examples:\n{text}\n"));
        }
    }
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        let mut sub_path = path.to_vec();
        sub_path.push(&name);
        let finished = finish(
            cmd.find_subcommand(&name).cloned().expect("listed"),
            &sub_path,
        );
        cmd = cmd.mut_subcommand(&name, |_| finished);
    }
    cmd
}

/// What a clap error becomes: `Ok(code)` when clap printed what was asked
/// (help, version) itself, else a one-sentence usage failure (exit 2)
/// that keeps clap's suggestions ("tip: a similar subcommand exists").
pub fn usage_error(e: &clap::Error) -> Result<i32, Failure> {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        // Best effort, as clap's own `exit` does.
        let _ = e.print();
        return Ok(0);
    }
    Err(Failure {
        code: 2,
        message: one_sentence(&e.render().to_string()),
    })
}

/// clap's rendered error (`error: …`, details, `tip: …`, usage) as one
/// sentence: the error, its details, its tips, and where help is.
fn one_sentence(rendered: &str) -> String {
    let mut head = String::new();
    let mut tips = Vec::new();
    let mut help_for = "seqtui".to_string();
    let mut in_usage = false;
    for line in rendered.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(usage) = line.strip_prefix("Usage:") {
            // The command's path: the words before the first option.
            help_for = usage
                .split_whitespace()
                .take_while(|w| {
                    !w.starts_with(['-', '<', '['])
                        && w.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                })
                .collect::<Vec<_>>()
                .join(" ");
            in_usage = true;
            continue;
        }
        if in_usage || line.starts_with("For more information") {
            continue;
        }
        if let Some(tip) = line.strip_prefix("tip:") {
            tips.push(tip.trim().to_string());
        } else if let Some(error) = line.strip_prefix("error:") {
            head.push_str(error.trim());
        } else {
            if !head.is_empty() {
                head.push(' ');
            }
            head.push_str(line);
        }
    }
    let mut sentence = head.trim_end_matches(['.', ':']).to_string();
    for tip in tips {
        sentence.push_str("; ");
        sentence.push_str(tip.trim_end_matches('.'));
    }
    if help_for.is_empty() {
        help_for = "seqtui".into();
    }
    // After a question ("did you mean 'x'?") a new sentence part starts.
    let join = if sentence.ends_with('?') { " " } else { "; " };
    sentence.push_str(&format!("{join}see `{help_for} --help`"));
    sentence
}

/// The completion script for `shell`, written to stdout.
pub fn completions(shell: clap_complete::Shell) {
    clap_complete::generate(
        shell,
        &mut command(),
        "seqtui",
        &mut super::output::Verbatim,
    );
}

/// The man pages, from the clap definitions: `seqtui.1` and one
/// `seqtui-COMMAND.1` per top-level command, as (file name, roff text).
/// What `assets/man/` holds (a test fails when it is stale).
pub fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    // Values from the environment are the reader's, never the page's.
    let mut cmd = hide_env_values(command());
    cmd.build();
    let mut pages = Vec::new();
    let mut top = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut top)?;
    pages.push(("seqtui.1".to_string(), top));
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("seqtui-{}", sub.get_name());
        let mut text = Vec::new();
        let page = sub
            .clone()
            .name(name.clone())
            .display_name(name.clone())
            .version(cmd.get_version().unwrap_or_default().to_string());
        clap_mangen::Man::new(page).render(&mut text)?;
        pages.push((format!("{name}.1"), text));
    }
    Ok(pages)
}

/// The man page of `seqtui` or of one of its commands; not found (4)
/// names the commands there are.
pub fn man_page(command: Option<&str>) -> Result<Vec<u8>, Failure> {
    let file = match command {
        None => "seqtui.1".to_string(),
        Some(c) => format!("seqtui-{}.1", c.trim()),
    };
    let pages = man_pages()?;
    let known: Vec<&str> = pages
        .iter()
        .filter_map(|(n, _)| n.strip_prefix("seqtui-")?.strip_suffix(".1"))
        .collect();
    match pages.iter().find(|(n, _)| *n == file) {
        Some((_, text)) => Ok(text.clone()),
        None => {
            let wanted = command.unwrap_or_default().trim();
            let near = crate::domain::did_you_mean(wanted, known.iter().copied());
            let hint = if near.is_empty() {
                "; `seqtui --help` lists the commands".to_string()
            } else {
                near
            };
            Err(Failure {
                code: 4,
                message: format!("no command '{wanted}'{hint}"),
            })
        }
    }
}

fn hide_env_values(mut cmd: clap::Command) -> clap::Command {
    let ids: Vec<String> = cmd
        .get_arguments()
        .filter(|a| a.get_env().is_some())
        .map(|a| a.get_id().to_string())
        .collect();
    for id in ids {
        cmd = cmd.mut_arg(&id, |a| a.hide_env_values(true));
    }
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(&name, hide_env_values);
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::one_sentence;

    #[test]
    fn clap_errors_become_one_sentence_with_their_tips() {
        let rendered = "error: unrecognized subcommand 'enrollmens'\n\n  tip: a similar subcommand exists: 'enrollments'\n\nUsage: seqtui [OPTIONS] [COMMAND]\n\nFor more information, try '--help'.\n";
        assert_eq!(
            one_sentence(rendered),
            "unrecognized subcommand 'enrollmens'; a similar subcommand exists: 'enrollments'; see `seqtui --help`"
        );
        let missing = "error: the following required arguments were not provided:\n  --reason <REASON>\n\nUsage: seqtui unenroll --reason <REASON> <--enrollment <ID>|--all>\n";
        assert_eq!(
            one_sentence(missing),
            "the following required arguments were not provided: --reason <REASON>; see `seqtui unenroll --help`"
        );
        let value = "error: --reason: unknown end reason 'x'; did you mean 'other'?\n";
        assert_eq!(
            one_sentence(value),
            "--reason: unknown end reason 'x'; did you mean 'other'? see `seqtui --help`"
        );
    }
}
