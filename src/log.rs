//! The log file (issue 17): what the long-running parts — the terminal
//! UI's workers, `run --watch`, `ingest --watch` — did, for reading after
//! the fact. One file a day (`seqtui.log.YYYY-MM-DD`) in the platform
//! state directory; `SEQTUI_LOG` sets the level (`error`, `warn`, `info` —
//! the default —, `debug`, `trace` or `off`). Never written to the
//! terminal: the TUI owns it, and commands speak through `cli::output`.

use std::path::PathBuf;

use tracing_subscriber::filter::LevelFilter;

/// The file name the daily files start with.
pub const FILE_PREFIX: &str = "seqtui.log";

/// The folder of the log files: the platform state directory
/// (`$XDG_STATE_HOME/seqtui` on Linux), else the local data directory's
/// `logs` folder, else `./seqtui-logs`.
pub fn log_dir() -> PathBuf {
    match directories::ProjectDirs::from("", "", "seqtui") {
        Some(dirs) => dirs
            .state_dir()
            .map(|d| d.to_path_buf())
            .unwrap_or_else(|| dirs.data_local_dir().join("logs")),
        None => PathBuf::from("seqtui-logs"),
    }
}

/// Today's log file (what `seqtui paths` shows), by the UTC date the
/// appender names its files with.
pub fn log_file() -> PathBuf {
    log_dir().join(format!(
        "{FILE_PREFIX}.{}",
        chrono::Utc::now().format("%Y-%m-%d")
    ))
}

/// The level `SEQTUI_LOG` asks for; `info` when it is unset or unknown.
pub fn level() -> LevelFilter {
    std::env::var("SEQTUI_LOG")
        .ok()
        .and_then(|v| v.trim().parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO)
}

/// Starts writing the log for this process, unless `SEQTUI_LOG=off`.
/// Keep the guard for as long as the process runs: dropping it flushes.
/// A log that cannot be opened is not an error (`None`): the work matters
/// more than its log.
pub fn start() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let level = level();
    if level == LevelFilter::OFF {
        return None;
    }
    let dir = log_dir();
    std::fs::create_dir_all(&dir).ok()?;
    let appender = tracing_appender::rolling::RollingFileAppender::builder()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix(FILE_PREFIX)
        .build(&dir)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let subscriber = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_target(false)
        .with_max_level(level)
        .finish();
    tracing::subscriber::set_global_default(subscriber).ok()?;
    Some(guard)
}
