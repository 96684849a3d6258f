//! The history subcommands: `audit` (what was changed, by whom, why) and
//! `report` (each sequence's outcomes over time).

use super::Cli;
use super::commands::{Failure, Outcome, read_time};
use super::output::{Format, Records, json, machine, outln, table, time};
use crate::domain::*;

pub(super) fn audit(
    cli: &Cli,
    ws: &Workspace,
    since: Option<&str>,
    limit: usize,
    format: Option<Format>,
) -> Outcome {
    let format = Format::chosen(cli.json, format)?;
    let since = since
        .map(|t| read_time(ws, "--since", t, Toward::Past))
        .transpose()?;
    let entries = ws.audit(since, limit)?;
    match format {
        Format::Json | Format::Jsonl => {
            machine(format, &entries)?;
            return Ok(0);
        }
        Format::Csv | Format::Tsv => {
            audit_csv(format, &entries)?;
            return Ok(0);
        }
        Format::Table => {}
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|a| {
            vec![
                time(Some(a.at)),
                a.actor.clone().unwrap_or_else(|| "(automatic)".into()),
                a.action.clone(),
                a.reason.clone().unwrap_or_default(),
                a.count.to_string(),
                a.batch.clone().unwrap_or_default(),
                format!(
                    "{}{}",
                    a.detail,
                    a.note
                        .as_ref()
                        .map(|n| format!(" — {n}"))
                        .unwrap_or_default()
                ),
            ]
        })
        .collect();
    table(
        &[
            "AT", "ACTOR", "ACTION", "REASON", "COUNT", "BATCH", "DETAIL",
        ],
        &rows,
    );
    Ok(0)
}

/// The audit entries as CSV or TSV on stdout, newest first. The cells are
/// the stored text, except that one a spreadsheet would read as a formula
/// starts with `'` ([`spreadsheet_text`]); only when stdout is a terminal
/// are control characters replaced, so that data can never drive it.
fn audit_csv(format: Format, entries: &[AuditEntry]) -> Result<(), Failure> {
    let mut out = Records::new(format);
    let failed = |e: anyhow::Error| Failure {
        code: 1,
        message: format!("cannot write the audit log: {e}"),
    };
    out.text([
        "id", "at", "actor", "action", "reason", "note", "batch", "count", "detail",
    ])
    .map_err(failed)?;
    for a in entries {
        out.text([
            a.id.to_string().as_str(),
            &crate::store::format_time(a.at),
            a.actor.as_deref().unwrap_or(""),
            &a.action,
            a.reason.as_deref().unwrap_or(""),
            a.note.as_deref().unwrap_or(""),
            a.batch.as_deref().unwrap_or(""),
            &a.count.to_string(),
            &a.detail,
        ])
        .map_err(failed)?;
    }
    out.finish().map_err(failed)?;
    Ok(())
}

pub(super) fn report(
    cli: &Cli,
    ws: &Workspace,
    sequence: Option<&str>,
    since: Option<&str>,
) -> Outcome {
    let since = since
        .map(|t| read_time(ws, "--since", t, Toward::Past))
        .transpose()?;
    let sequence = sequence.map(|s| ws.sequence(s)).transpose()?;
    let reports = ws.report(sequence.map(|s| s.id), since)?;
    if cli.json {
        json(&reports)?;
        return Ok(0);
    }
    let percent = |r: f64| format!("{:.1}%", r * 100.0);
    let rows: Vec<Vec<String>> = reports
        .iter()
        .map(|r| {
            vec![
                r.sequence_id.to_string(),
                format!(
                    "{}{}",
                    r.sequence,
                    if r.archived { " (archived)" } else { "" }
                ),
                r.enrolled.to_string(),
                r.active.to_string(),
                r.paused.to_string(),
                r.finished.to_string(),
                r.unenrolled.to_string(),
                r.sent_emails.to_string(),
                r.contacted.to_string(),
                percent(r.open_rate),
                percent(r.click_rate),
                percent(r.reply_rate),
                percent(r.meeting_rate),
            ]
        })
        .collect();
    table(
        &[
            "ID",
            "SEQUENCE",
            "ENROLLED",
            "ACTIVE",
            "PAUSED",
            "FINISHED",
            "UNENROLLED",
            "SENT",
            "CONTACTED",
            "OPEN",
            "CLICK",
            "REPLY",
            "MEETING",
        ],
        &rows,
    );
    let reasons: Vec<Vec<String>> = reports
        .iter()
        .flat_map(|r| {
            r.unenrolled_by_reason
                .iter()
                .filter(|c| c.count > 0)
                .map(|c| {
                    vec![
                        r.sequence.clone(),
                        c.reason.to_string(),
                        c.count.to_string(),
                    ]
                })
        })
        .collect();
    if !reasons.is_empty() {
        outln!();
        table(&["SEQUENCE", "END REASON", "UNENROLLED"], &reasons);
    }
    if let (Some(first), Some(last)) = (
        reports.first().and_then(|r| r.unenrolled_per_day.first()),
        reports.first().and_then(|r| r.unenrolled_per_day.last()),
    ) {
        let series: Vec<Vec<String>> = reports
            .iter()
            .map(|r| {
                let counts: Vec<i64> = r.unenrolled_per_day.iter().map(|d| d.count).collect();
                vec![
                    r.sequence.clone(),
                    sparkline(&counts),
                    counts.iter().sum::<i64>().to_string(),
                ]
            })
            .collect();
        outln!();
        let title = format!(
            "UNENROLLED PER DAY, {} – {}",
            first.day.format("%Y-%m-%d"),
            last.day.format("%Y-%m-%d")
        );
        table(&["SEQUENCE", &title, "TOTAL"], &series);
    }
    outln!();
    outln!(
        "Rates: enrollments with an open, click, reply or meeting over CONTACTED (enrollments sent at least one email); unenrolled contacts count too.{}",
        since
            .map(|t| format!(" Only enrollments enrolled since {}.", time(Some(t))))
            .unwrap_or_default()
    );
    Ok(0)
}

/// Counts as a line of block characters, one per count, scaled to the
/// largest ("▁" for zero).
fn sparkline(counts: &[i64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = counts.iter().copied().max().unwrap_or(0);
    counts
        .iter()
        .map(|&n| {
            if n <= 0 || max <= 0 {
                BARS[0]
            } else {
                BARS[(((n * 7) + max - 1) / max).clamp(1, 7) as usize]
            }
        })
        .collect()
}
