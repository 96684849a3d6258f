//! Reading a contacts CSV: maps the column names CRM exports use (HubSpot,
//! Salesforce, Outreach…) and snake_case onto the fields of an import. A
//! malformed file stops with the line named; the domain then imports the
//! rows all together or not at all.

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::Cli;
use super::commands::{Failure, unsaved};
use super::output::outln;
use super::output::{json, safe};
use crate::domain::{
    ContactInput, DomainError, ImportOptions, ImportReport, SkipCode, User, Workspace,
};

/// `seqtui import contacts FILE`: reads the file, imports it (or, with
/// `--dry-run`, reports what it would do), and prints the counts, the
/// changed fields (dry run), the ignored columns and every refused row.
/// Exit 3 when a row is refused: then nothing is imported.
pub fn import_contacts(
    cli: &Cli,
    ws: &mut Workspace,
    actor: &User,
    file: &Path,
    options: ImportOptions,
) -> Result<i32, Failure> {
    let file = read_contacts_file(file)?;
    let progress =
        super::progress::Progress::spinner(cli, &format!("importing {} rows", file.rows.len()));
    let report = ws
        .import_contacts_with(actor, &file.rows, options)
        .map_err(unsaved)?;
    progress.finish();
    let code = if report.refused.is_empty() { 0 } else { 3 };
    if cli.json {
        #[derive(Serialize)]
        struct Output<'a> {
            #[serde(flatten)]
            report: &'a ImportReport,
            ignored_columns: &'a [String],
            /// The contacts created or updated (a dry run's new contacts
            /// have no id yet; a refused import changed nothing).
            changed: Vec<i64>,
            /// The refused rows in the one vocabulary: the contact's id
            /// (`null` for a new one), the code, why, and the row's line
            /// and email.
            skipped: Vec<SkippedRow>,
        }
        #[derive(Serialize)]
        struct SkippedRow {
            id: Option<i64>,
            code: SkipCode,
            why: String,
            line: u64,
            contact: String,
        }
        let existing = |email: &str| ws.contact(email).ok().map(|c| c.id);
        let changed = if report.refused.is_empty() {
            report
                .changes
                .iter()
                .filter_map(|c| existing(&c.email))
                .collect()
        } else {
            Vec::new()
        };
        let skipped = report
            .refused
            .iter()
            .map(|r| SkippedRow {
                id: existing(&r.email),
                code: r.code,
                why: r.why.clone(),
                line: r.line,
                contact: r.email.clone(),
            })
            .collect();
        json(&Output {
            report: &report,
            ignored_columns: &file.ignored_columns,
            changed,
            skipped,
        })?;
        return Ok(code);
    }
    for r in &report.refused {
        super::output::note(&format!("refused: line {}, {}: {}", r.line, r.email, r.why));
    }
    let rows = report.created + report.updated + report.unchanged;
    if options.dry_run {
        outln!(
            "Would import {}: {} new, {} updated, {} unchanged (dry run: nothing was changed).",
            contacts(rows),
            report.created,
            report.updated,
            report.unchanged
        );
        for change in &report.changes {
            let fields = change.fields.iter().map(|f| {
                if change.created {
                    format!("{} {}", f.field, quoted(&f.to))
                } else {
                    format!("{} {} → {}", f.field, quoted(&f.from), quoted(&f.to))
                }
            });
            let what = std::iter::once("new".to_string())
                .filter(|_| change.created)
                .chain(fields)
                .collect::<Vec<_>>()
                .join(", ");
            outln!(
                "  line {}: {}: {}",
                change.line,
                safe(&change.email),
                safe(&what)
            );
        }
    } else if report.refused.is_empty() && report.batch.is_none() {
        if rows == 0 {
            outln!("Nothing changed: the file has no contact rows.");
        } else {
            outln!(
                "Nothing changed: {}, each as stored (no audit entry, no batch).",
                contacts(rows)
            );
        }
    } else if report.refused.is_empty() {
        outln!(
            "Imported {}: {} new, {} updated, {} unchanged{}.",
            contacts(rows),
            report.created,
            report.updated,
            report.unchanged,
            report
                .batch
                .as_ref()
                .map(|b| format!(" · batch {b}"))
                .unwrap_or_default()
        );
    }
    if !report.opted_out.is_empty() && report.refused.is_empty() {
        outln!(
            "{} {}; {} open enrollments ended.",
            if options.dry_run {
                "Would opt out"
            } else {
                "Opted out"
            },
            contacts(report.opted_out.len()),
            report.unenrolled.len()
        );
    }
    if !file.ignored_columns.is_empty() {
        outln!(
            "Ignored columns (no field of a contact): {}",
            safe(&file.ignored_columns.join(", "))
        );
    }
    if !report.refused.is_empty() {
        let rows = match report.refused.len() {
            1 => "1 row was".to_string(),
            n => format!("{n} rows were"),
        };
        if options.dry_run {
            super::output::note(&format!(
                "{rows} refused, so this import would import nothing"
            ));
        } else {
            super::output::note(&format!("{rows} refused; nothing was imported"));
        }
    }
    Ok(code)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Field {
    Email,
    FirstName,
    LastName,
    Company,
    Title,
    Owner,
    Lifecycle,
    Phone,
    CrmId,
    OptedOut,
}

/// A header, lower-cased with everything but letters and digits removed,
/// to the field it fills.
fn field_of(header: &str) -> Option<Field> {
    let key: String = header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    Some(match key.as_str() {
        "email" | "emailaddress" | "email1" | "workemail" | "contactemail" => Field::Email,
        "firstname" | "givenname" | "first" => Field::FirstName,
        "lastname" | "surname" | "familyname" | "last" => Field::LastName,
        "company" | "companyname" | "account" | "accountname" | "organization" => Field::Company,
        "title" | "jobtitle" => Field::Title,
        "owner" | "contactowner" | "owneremail" | "contactowneremail" | "hubspotowner" => {
            Field::Owner
        }
        "lifecyclestage" | "lifecycle" | "stage" => Field::Lifecycle,
        // HubSpot's "Phone Number", Salesforce's "Phone" and "Mobile",
        // Apollo's phones: the first non-empty one fills it.
        "phone" | "phonenumber" | "workdirectphone" | "directphone" | "mobile" | "mobilephone"
        | "mobilephonenumber" | "corporatephone" | "businessphone" => Field::Phone,
        // HubSpot's "Record ID" (older exports: "Contact ID"), Salesforce's
        // "Contact ID" / "Lead ID", Apollo's "Apollo Contact Id".
        "recordid" | "contactid" | "hubspotid" | "leadid" | "apollocontactid" | "crmid" => {
            Field::CrmId
        }
        // HubSpot exports "Unsubscribed from all email".
        "optedout" | "optout" | "unsubscribed" | "unsubscribedfromallemail" => Field::OptedOut,
        _ => return None,
    })
}

fn contacts(n: usize) -> String {
    match n {
        1 => "1 contact".to_string(),
        n => format!("{n} contacts"),
    }
}

/// A value as a JSON string: quoted, so that an empty one shows.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

/// A contacts CSV, read: its rows, and the headers of the columns no field
/// takes (an unknown name, or a second column for a field already taken).
#[derive(Debug, Clone, Default)]
pub struct ContactsFile {
    pub rows: Vec<ContactInput>,
    pub ignored_columns: Vec<String>,
}

/// Reads a contacts CSV into import rows; a malformed file is one
/// sentence naming the line (`DomainError::Invalid`). Public so that the
/// fuzz tests can drive the same path as `seqtui import contacts`.
pub fn read_contacts(path: &Path) -> Result<Vec<ContactInput>, DomainError> {
    Ok(read_contacts_file(path)?.rows)
}

/// [`read_contacts`], with the columns it ignored.
pub fn read_contacts_file(path: &Path) -> Result<ContactsFile, DomainError> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            DomainError::NotFound(format!("there is no file {shown}"))
        } else {
            DomainError::Invalid(format!("cannot read {shown}: {e}"))
        }
    })?;
    let size = bytes.len() as u64;
    let mut lines = Lines::new(&bytes);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(bytes.as_slice());
    let headers = reader
        .headers()
        .map_err(|e| DomainError::Invalid(format!("{shown}: {}", csv_error(&e, &mut lines))))?
        .clone();
    // The first column of a field fills it; a second one is ignored.
    let mut taken = Vec::new();
    let columns: Vec<Option<Field>> = headers
        .iter()
        .map(|h| {
            field_of(h).filter(|f| {
                // Every phone column counts: the first one with a number
                // fills the field (Apollo's Work Direct, Mobile, Corporate…).
                let first = !taken.contains(f) || *f == Field::Phone;
                taken.push(*f);
                first
            })
        })
        .collect();
    let ignored_columns = headers
        .iter()
        .zip(&columns)
        .enumerate()
        .filter(|(_, (_, field))| field.is_none())
        .map(|(i, (header, _))| {
            if header.is_empty() {
                format!("column {}", i + 1)
            } else {
                header.to_string()
            }
        })
        .collect();
    let header_of = |field: Field| {
        columns
            .iter()
            .position(|c| *c == Some(field))
            .map(|i| headers[i].to_string())
    };
    let Some(email_column) = header_of(Field::Email) else {
        return Err(DomainError::Invalid(format!(
            "{shown} has no email column (expected a header such as \"Email\" or email)"
        )));
    };
    let owner_column = header_of(Field::Owner);
    let progress = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        let bar = ProgressBar::new(size);
        bar.set_style(
            ProgressStyle::with_template("{msg} {bar:40} {bytes}/{total_bytes} {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message("reading");
        Some(bar)
    } else {
        None
    };
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                return Err(DomainError::Invalid(format!(
                    "{shown}: {}",
                    csv_error(&e, &mut lines)
                )));
            }
        }
        let byte = record.position().map(|p| p.byte()).unwrap_or(0);
        let mut row = ContactInput {
            line: lines.at(byte),
            email_column: email_column.clone(),
            owner_column: owner_column.clone(),
            ..Default::default()
        };
        let line = row.line;
        for ((value, field), header) in record.iter().zip(&columns).zip(headers.iter()) {
            let Some(field) = field else { continue };
            if *field == Field::OptedOut {
                row.opted_out = yes_or_no(value).ok_or_else(|| {
                    DomainError::Invalid(format!(
                        "{shown}: line {line}, column '{header}': '{}' is not true or false (or yes/no, 1/0); nothing was imported",
                        value.escape_debug()
                    ))
                })?;
                continue;
            }
            let value = value.to_string();
            match field {
                Field::OptedOut => {}
                Field::Email => row.email = value,
                Field::FirstName => row.first_name = Some(value),
                Field::LastName => row.last_name = Some(value),
                Field::Company => row.company = Some(value),
                Field::Title => row.title = Some(value),
                Field::Owner => row.owner = Some(value),
                Field::Lifecycle if !value.is_empty() => row.lifecycle_stage = Some(value),
                Field::Lifecycle => {}
                Field::Phone => {
                    if row.phone.as_deref().is_none_or(|p| p.trim().is_empty()) {
                        row.phone = Some(value);
                    }
                }
                Field::CrmId => row.crm_id = Some(value),
            }
        }
        rows.push(row);
        if let Some(bar) = &progress
            && rows.len() % 1000 == 0
        {
            bar.set_position(byte);
        }
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    Ok(ContactsFile {
        rows,
        ignored_columns,
    })
}

/// An opt-out cell: true / yes / 1, false / no / 0 (any case), or empty
/// (false: an import never clears an opt-out); anything else is `None`.
fn yes_or_no(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" | "" => Some(false),
        _ => None,
    }
}

/// The 1-based line of the file where a record starts, from the byte
/// offset the csv reader gives it. (The reader's own line count is one per
/// record: wrong after a quoted cell with line breaks, and off by one in a
/// CRLF file, whose `\n` it counts only when the next record begins.)
/// Offsets come in increasing order, so each byte is looked at once.
struct Lines<'a> {
    bytes: &'a [u8],
    /// Where the last record started, and its line.
    offset: usize,
    line: u64,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Lines<'a> {
        Lines {
            bytes,
            offset: 0,
            line: 1,
        }
    }

    fn at(&mut self, byte: u64) -> u64 {
        let bytes = self.bytes;
        let mut start = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
        // The reader's offset may point at the end of the previous line and
        // at blank lines it skips: the record starts at its first byte.
        while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        if start < self.offset {
            self.offset = 0;
            self.line = 1;
        }
        for i in self.offset..start {
            // A line ends at `\n`, `\r\n` (counted at its `\n`) or a lone `\r`.
            let ends = match bytes[i] {
                b'\n' => true,
                b'\r' => bytes.get(i + 1) != Some(&b'\n'),
                _ => false,
            };
            self.line += u64::from(ends);
        }
        self.offset = start;
        self.line
    }
}

fn csv_error(e: &csv::Error, lines: &mut Lines<'_>) -> String {
    let mut line = |pos: &Option<csv::Position>| lines.at(pos.as_ref().map_or(0, |p| p.byte()));
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => format!(
            "line {}: expected {expected_len} fields, found {len}; nothing was imported",
            line(pos)
        ),
        csv::ErrorKind::Utf8 { pos, err } => format!(
            "line {}, field {}: not valid UTF-8; nothing was imported",
            line(pos),
            err.field() + 1
        ),
        _ => format!("{e}; nothing was imported"),
    }
}
