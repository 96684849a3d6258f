//! Progress on long work, on stderr, only for a person: never when stderr
//! is not a terminal, with `--json` or a machine format, or with `-q`
//! (indicatif, drawn a few times a second).

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use super::Cli;

/// A progress bar or spinner, or nothing when progress is not wanted.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A bar up to `total`, labelled `what` ("enrolling").
    pub fn bar(cli: &Cli, what: &str, total: u64) -> Progress {
        if !super::output::progress_allowed(cli.json) {
            return Progress(None);
        }
        let bar = ProgressBar::new(total);
        if let Ok(style) =
            ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} ({eta} left)")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress(Some(bar))
    }

    /// A spinner with the time spent, for one long call.
    pub fn spinner(cli: &Cli, what: &str) -> Progress {
        Progress::spinning(cli, what, "{spinner} {msg}… ({elapsed})")
    }

    /// A spinner with a count, for work whose size is not known first.
    pub fn counter(cli: &Cli, what: &str) -> Progress {
        Progress::spinning(cli, what, "{spinner} {msg}: {pos} ({elapsed})")
    }

    fn spinning(cli: &Cli, what: &str, template: &str) -> Progress {
        if !super::output::progress_allowed(cli.json) {
            return Progress(None);
        }
        let bar = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar.set_message(what.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress(Some(bar))
    }

    pub fn advance(&self, n: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(n);
        }
    }

    pub fn message(&self, text: &str) {
        if let Some(bar) = &self.0 {
            bar.set_message(text.to_string());
        }
    }

    /// Clears the line: the result follows on stdout.
    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
