//! The `seqtui` binary: parse the command line, run a subcommand, or open
//! the terminal UI when there is none. Errors leave as one sentence on
//! stderr and the exit code of SPEC §6: the sentence is made terminal-safe
//! (one line, no control characters), since it may quote what was typed.

use seqtui::cli;

fn main() {
    let cli = match cli::parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = match cli::usage_error(&e) {
                Ok(code) => code,
                Err(failure) => {
                    cli::output::note(&failure.message);
                    failure.code
                }
            };
            std::process::exit(code);
        }
    };
    let code = if cli.command.is_none() {
        match seqtui::tui::start(&cli.session()) {
            Ok(()) => 0,
            Err(e) => {
                let failure = cli::Failure::from(e);
                cli::output::note(&failure.message);
                failure.code
            }
        }
    } else {
        match cli::run(&cli) {
            Ok(code) => code,
            Err(failure) => {
                cli::output::note(&failure.message);
                failure.code
            }
        }
    };
    std::process::exit(code);
}
