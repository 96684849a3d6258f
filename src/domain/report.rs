//! Sequence reports and the CSV export of enrollments. Reports are grouped
//! aggregates from `crate::store::report` assembled into one line per
//! sequence; the export writes rows read in chunks. No SQL here.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveDate};
use serde::Serialize;

use super::*;
use crate::store::report::{self as r, ReportFilter};

/// How many days the unenrollment series covers, ending today (UTC).
pub const REPORT_DAYS: usize = 30;

/// How many enrollments one read of an export fetches: large enough to be
/// quick, small enough that 164,000 rows never make one giant query.
pub const EXPORT_CHUNK: usize = 5_000;

/// The header row of an enrollment export.
pub const EXPORT_COLUMNS: [&str; 15] = [
    "enrollment id",
    "sequence",
    "contact name",
    "email",
    "company",
    "owner",
    "status",
    "step",
    "steps",
    "enrolled at",
    "ended at",
    "end reason",
    "ended by",
    "note",
    "batch",
];

/// A text cell for a CSV file that a spreadsheet may open. A cell starting
/// with `=`, `+`, `-`, `@`, a tab or a carriage return would be read as a
/// formula (`=HYPERLINK(…)`, `@SUM(…)`), so it gets a leading `'`, as
/// OWASP's advice on CSV injection says; other text is kept as it is. Every
/// CSV writer passes the stored text of its cells through here (the TUI's
/// export, `audit --format csv`); the ids, counts and times it formats
/// itself go out as they are.
pub fn spreadsheet_text(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// How many unenrolled enrollments ended with one reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReasonCount {
    pub reason: EndReason,
    pub count: i64,
}

/// How many enrollments were unenrolled on one UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DayCount {
    pub day: NaiveDate,
    pub count: i64,
}

/// One sequence's report.
///
/// Counts cover the sequence's enrollments whatever their status now:
/// an unenrolled contact's sent emails, opens, clicks, replies and
/// meetings keep counting (R3). With `since`, only enrollments enrolled at
/// or after that instant are counted — everything here, the series
/// included, is about that cohort.
///
/// Rates are *distinct enrollments with such an event* divided by
/// *enrollments that were sent at least one email* (`contacted`); 0 when
/// nobody was contacted. A meeting booked before any email went out (from
/// a call step, say) counts as a meeting all the same. This differs from the
/// Sequences list (`seqtui sequences`), whose reply and meeting rates
/// divide by every enrollment so that its frequent refresh never scans the
/// sent emails.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SequenceReport {
    pub sequence_id: i64,
    pub sequence: String,
    pub archived: bool,
    /// Every enrollment counted: active + paused + finished + unenrolled.
    pub enrolled: i64,
    pub active: i64,
    pub paused: i64,
    pub finished: i64,
    pub unenrolled: i64,
    /// Every end reason in the order of [`EndReason::ALL`], zeros included,
    /// so that the list always has the same length and order.
    pub unenrolled_by_reason: Vec<ReasonCount>,
    /// Emails sent to these enrollments.
    pub sent_emails: i64,
    /// Enrollments that were sent at least one email: the rates' divisor.
    pub contacted: i64,
    pub opened: i64,
    pub clicked: i64,
    pub replied: i64,
    pub meetings: i64,
    pub open_rate: f64,
    pub click_rate: f64,
    pub reply_rate: f64,
    pub meeting_rate: f64,
    /// Unenrollments per UTC day of `ended_at`, the [`REPORT_DAYS`] days
    /// ending with today (the workspace clock), oldest first, zeros
    /// included.
    pub unenrolled_per_day: Vec<DayCount>,
}

impl SequenceReport {
    fn empty(sequence: &r::ReportSequence, days: &[NaiveDate]) -> SequenceReport {
        SequenceReport {
            sequence_id: sequence.id,
            sequence: sequence.name.clone(),
            archived: sequence.archived,
            enrolled: 0,
            active: 0,
            paused: 0,
            finished: 0,
            unenrolled: 0,
            unenrolled_by_reason: EndReason::ALL
                .iter()
                .map(|&reason| ReasonCount { reason, count: 0 })
                .collect(),
            sent_emails: 0,
            contacted: 0,
            opened: 0,
            clicked: 0,
            replied: 0,
            meetings: 0,
            open_rate: 0.0,
            click_rate: 0.0,
            reply_rate: 0.0,
            meeting_rate: 0.0,
            unenrolled_per_day: days.iter().map(|&day| DayCount { day, count: 0 }).collect(),
        }
    }

    /// How many unenrolled enrollments ended with `reason`.
    pub fn unenrolled_with(&self, reason: EndReason) -> i64 {
        self.unenrolled_by_reason
            .iter()
            .find(|c| c.reason == reason)
            .map_or(0, |c| c.count)
    }
}

fn rate(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

impl Workspace {
    /// A report per sequence (every sequence, or the one given), in the
    /// order of the Sequences list. See [`SequenceReport`] for what is
    /// counted; `since` keeps the enrollments enrolled at or after it.
    pub fn report(
        &self,
        sequence: Option<i64>,
        since: Option<Timestamp>,
    ) -> Result<Vec<SequenceReport>> {
        let conn = self.store.conn();
        let filter = ReportFilter {
            sequence_id: sequence,
            enrolled_since: since,
        };
        let sequences = r::sequences(conn, &filter)?;
        if let Some(id) = sequence
            && sequences.is_empty()
        {
            return Err(DomainError::NotFound(format!(
                "no sequence {id}; `seqtui sequences` lists them"
            )));
        }
        let today = self.now().date_naive();
        let first = today - Duration::days(REPORT_DAYS as i64 - 1);
        let days: Vec<NaiveDate> = first.iter_days().take(REPORT_DAYS).collect();
        let from = first.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
        let until = (today + Duration::days(1))
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc();

        let mut reports: Vec<SequenceReport> = sequences
            .iter()
            .map(|s| SequenceReport::empty(s, &days))
            .collect();
        let at: HashMap<i64, usize> = reports
            .iter()
            .enumerate()
            .map(|(i, s)| (s.sequence_id, i))
            .collect();
        let line = |id: i64| at.get(&id).copied();

        for (id, status, n) in r::status_counts(conn, &filter)? {
            let Some(i) = line(id) else { continue };
            let report = &mut reports[i];
            match status.parse::<Status>()? {
                Status::Active => report.active += n,
                Status::Paused => report.paused += n,
                Status::Finished => report.finished += n,
                Status::Unenrolled => report.unenrolled += n,
            }
            report.enrolled += n;
        }
        for g in r::unenrolled_groups(conn, &filter, from, until)? {
            let Some(i) = line(g.sequence_id) else {
                continue;
            };
            let report = &mut reports[i];
            let reason: EndReason = g.end_reason.parse()?;
            if let Some(c) = report
                .unenrolled_by_reason
                .iter_mut()
                .find(|c| c.reason == reason)
            {
                c.count += g.count;
            }
            if let Some(day) = g
                .day
                .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
                && let Some(c) = report.unenrolled_per_day.iter_mut().find(|c| c.day == day)
            {
                c.count += g.count;
            }
        }
        for (id, sent, contacted) in r::sent_counts(conn, &filter)? {
            if let Some(i) = line(id) {
                reports[i].sent_emails = sent;
                reports[i].contacted = contacted;
            }
        }
        for (id, kind, n) in r::engaged_counts(conn, &filter)? {
            let Some(i) = line(id) else { continue };
            let report = &mut reports[i];
            match kind {
                Engagement::Open => report.opened = n,
                Engagement::Click => report.clicked = n,
                Engagement::Reply => report.replied = n,
                Engagement::MeetingBooked => report.meetings = n,
            }
        }
        for report in &mut reports {
            report.open_rate = rate(report.opened, report.contacted);
            report.click_rate = rate(report.clicked, report.contacted);
            report.reply_rate = rate(report.replied, report.contacted);
            report.meeting_rate = rate(report.meetings, report.contacted);
        }
        Ok(reports)
    }

    /// Writes the given enrollments, in the order given (each once), as CSV
    /// to `path` (header [`EXPORT_COLUMNS`], times RFC 3339 UTC, empty cells
    /// for absent values); unknown ids are left out. The rows are read
    /// [`EXPORT_CHUNK`] at a time and written to a temporary file beside
    /// `path`, which gets its final name only once it is complete, so a
    /// failed export leaves no half-written file. It never replaces a
    /// file: when `path` exists the export goes to `<name>-2.csv`,
    /// `<name>-3.csv`, … (see `publish`). Returns how many rows were
    /// written and the file they went to.
    pub fn export_enrollments(&self, ids: &[i64], path: &Path) -> Result<Exported> {
        let mut seen = std::collections::HashSet::with_capacity(ids.len());
        let ids: Vec<i64> = ids.iter().copied().filter(|id| seen.insert(*id)).collect();
        drop(seen);
        let shown = path.display().to_string();
        let io = |e: std::io::Error| DomainError::Storage(format!("cannot write {shown}: {e}"));
        let (file, partial) = create_partial(path).map_err(io)?;
        let written = (|| -> Result<usize> {
            let mut out = csv::Writer::from_writer(std::io::BufWriter::new(file));
            let csv_error =
                |e: csv::Error| DomainError::Storage(format!("cannot write {shown}: {e}"));
            out.write_record(EXPORT_COLUMNS).map_err(csv_error)?;
            let time = |t: Option<Timestamp>| t.map(crate::store::format_time).unwrap_or_default();
            let mut written = 0;
            for chunk in ids.chunks(EXPORT_CHUNK) {
                for e in self.enrollments_by_ids(chunk)? {
                    let text = |t: &str| spreadsheet_text(t).into_owned();
                    out.write_record([
                        e.id.to_string(),
                        text(&e.sequence),
                        text(&e.contact_name),
                        text(&e.contact_email),
                        text(&e.company),
                        text(e.owner.as_deref().unwrap_or_default()),
                        e.status.to_string(),
                        e.step.to_string(),
                        e.steps.to_string(),
                        time(Some(e.enrolled_at)),
                        time(e.ended_at),
                        e.end_reason.map(|r| r.to_string()).unwrap_or_default(),
                        text(e.ended_by.as_deref().unwrap_or_default()),
                        text(e.note.as_deref().unwrap_or_default()),
                        text(e.batch.as_deref().unwrap_or_default()),
                    ])
                    .map_err(csv_error)?;
                    written += 1;
                }
            }
            let buffered = out
                .into_inner()
                .map_err(|e| DomainError::Storage(format!("cannot write {shown}: {e}")))?;
            let file = buffered
                .into_inner()
                .map_err(|e| DomainError::Storage(format!("cannot write {shown}: {e}")))?;
            file.sync_all().map_err(io)?;
            Ok(written)
        })();
        let published = written.and_then(|rows| {
            let path = publish(&partial, path).map_err(io)?;
            Ok(Exported { rows, path })
        });
        if published.is_err() {
            let _ = std::fs::remove_file(&partial);
        }
        published
    }
}

/// What an export wrote: how many rows, and the file they are in — the
/// name asked for, or the first free one after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    pub rows: usize,
    pub path: PathBuf,
}

/// How many names an export tries (`name.csv`, `name-2.csv`, …) before it
/// gives up: far more than anyone exports under one name.
const EXPORT_NAMES: usize = 1_000;

/// `report.csv` → `report.csv.partial` (`report.csv.2.partial`, … when an
/// export to the same name is being written right now, or one was cut
/// short), in the same directory so that the final name stays on one file
/// system; created new, so two exports never write into one file.
fn create_partial(path: &Path) -> std::io::Result<(std::fs::File, PathBuf)> {
    let name = path.file_name().unwrap_or_default();
    for n in 1..=EXPORT_NAMES {
        let mut partial = name.to_os_string();
        if n > 1 {
            partial.push(format!(".{n}"));
        }
        partial.push(".partial");
        let partial = path.with_file_name(partial);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&partial)
        {
            Ok(file) => return Ok((file, partial)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(taken(path))
}

/// `report.csv`, then `report-2.csv`, `report-3.csv`, …: the names an
/// export of `path` may take, in order.
fn export_names(path: &Path) -> impl Iterator<Item = PathBuf> + '_ {
    let stem = path.file_stem().unwrap_or_default();
    let extension = path.extension();
    (1..=EXPORT_NAMES).map(move |n| {
        if n == 1 {
            return path.to_path_buf();
        }
        let mut name = stem.to_os_string();
        name.push(format!("-{n}"));
        if let Some(extension) = extension {
            name.push(".");
            name.push(extension);
        }
        path.with_file_name(name)
    })
}

fn taken(path: &Path) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        format!(
            "{} and the next {} names after it are all taken",
            path.display(),
            EXPORT_NAMES - 1
        ),
    )
}

/// Gives the finished `partial` file the first free name of
/// [`export_names`]`(path)` and returns it; an existing file is never
/// replaced.
///
/// Why a hard link and not "check, then rename": `rename` replaces
/// whatever has the target name (rename(2); `std::fs::rename` on Windows
/// too), so between the check and the rename another export — the next
/// `x` within the same second, a second seqtui on the same fixed clock — or
/// anyone's file could take the name and be overwritten without a word.
/// `hard_link` fails with `AlreadyExists` instead, atomically, and the
/// complete file appears under its final name at once; the partial name
/// is then removed. A file system without hard links (FAT, some network
/// shares) gets the next best thing: the name is reserved with
/// `create_new` (which fails rather than replaces, too) and the partial
/// file renamed over that empty reservation — only our own file is
/// replaced, though a reader may see it empty for that moment.
fn publish(partial: &Path, path: &Path) -> std::io::Result<PathBuf> {
    let mut links = true;
    for name in export_names(path) {
        if links {
            match std::fs::hard_link(partial, &name) {
                Ok(()) => {
                    // The export is written; a partial name left behind
                    // only wastes a little room, so it does not fail it.
                    let _ = std::fs::remove_file(partial);
                    return Ok(name);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(_) => links = false,
            }
        }
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&name)
        {
            Ok(_) => {
                if let Err(e) = std::fs::rename(partial, &name) {
                    let _ = std::fs::remove_file(&name);
                    return Err(e);
                }
                return Ok(name);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(taken(path))
}

/// The file name an export of `sequence` made at `at` gets:
/// `seqtui-export-<sequence>-<YYYYMMDD-HHMMSS>.csv`, the sequence name
/// lower-cased with every run of other characters than letters and digits
/// made one `-` (so that it is safe in any directory and shell).
pub fn export_file_name(sequence: &str, at: Timestamp) -> String {
    let mut slug = String::new();
    for c in sequence.chars() {
        if c.is_alphanumeric() {
            slug.extend(c.to_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    let slug = if slug.is_empty() { "sequence" } else { slug };
    format!("seqtui-export-{slug}-{}.csv", at.format("%Y%m%d-%H%M%S"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn export_file_names_are_safe() {
        let at = chrono::Utc.with_ymd_and_hms(2026, 11, 27, 9, 5, 7).unwrap();
        assert_eq!(
            export_file_name("Q4 Mid-Market Outbound", at),
            "seqtui-export-q4-mid-market-outbound-20261127-090507.csv"
        );
        assert_eq!(
            export_file_name("../../etc/passwd", at),
            "seqtui-export-etc-passwd-20261127-090507.csv"
        );
        assert_eq!(
            export_file_name("///", at),
            "seqtui-export-sequence-20261127-090507.csv"
        );
    }

    #[test]
    fn a_taken_export_name_gets_a_number_before_its_extension() {
        let names: Vec<PathBuf> =
            export_names(Path::new("out/seqtui-export-q4-20261127-090507.csv"))
                .take(3)
                .collect();
        assert_eq!(
            names,
            [
                "out/seqtui-export-q4-20261127-090507.csv",
                "out/seqtui-export-q4-20261127-090507-2.csv",
                "out/seqtui-export-q4-20261127-090507-3.csv",
            ]
            .map(PathBuf::from)
        );
        assert_eq!(
            export_names(Path::new("plain")).nth(1),
            Some(PathBuf::from("plain-2"))
        );
        assert_eq!(export_names(Path::new("a.csv")).count(), EXPORT_NAMES);
    }

    #[test]
    fn rates_never_divide_by_zero() {
        assert_eq!(rate(3, 0), 0.0);
        assert_eq!(rate(1, 4), 0.25);
    }
}
