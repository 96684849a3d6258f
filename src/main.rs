//! The `seqtui` binary: parse the command line, run a subcommand, or open
//! the terminal UI when there is none. Errors leave as one sentence on
//! stderr and the exit code of SPEC §6.

use clap::Parser;
use seqtui::cli::{self, Cli};

fn main() {
    let cli = Cli::parse();
    let code = if cli.command.is_none() {
        match seqtui::tui::start(&cli) {
            Ok(()) => 0,
            Err(e) => {
                let failure = cli::Failure::from(e);
                eprintln!("seqtui: {}", failure.message);
                failure.code
            }
        }
    } else {
        match cli::run(&cli) {
            Ok(code) => code,
            Err(failure) => {
                eprintln!("seqtui: {}", failure.message);
                failure.code
            }
        }
    };
    std::process::exit(code);
}
