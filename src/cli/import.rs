//! Reading a contacts CSV: maps the column names CRM exports use (HubSpot,
//! Salesforce, Outreach…) and snake_case onto the fields of an import. A
//! malformed file stops with the line named; the domain then imports the
//! rows all together or not at all.

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};

use crate::domain::{ContactInput, DomainError};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Field {
    Email,
    FirstName,
    LastName,
    Company,
    Title,
    Owner,
    Lifecycle,
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
        // HubSpot exports "Unsubscribed from all email".
        "optedout" | "optout" | "unsubscribed" | "unsubscribedfromallemail" => Field::OptedOut,
        _ => return None,
    })
}

/// Reads a contacts CSV into import rows; a malformed file is one
/// sentence naming the line (`DomainError::Invalid`). Public so that the
/// fuzz tests can drive the same path as `seqtui import contacts`.
pub fn read_contacts(path: &Path) -> Result<Vec<ContactInput>, DomainError> {
    let shown = path.display();
    let file = std::fs::File::open(path)
        .map_err(|e| DomainError::Invalid(format!("cannot read {shown}: {e}")))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(file);
    let headers = reader
        .headers()
        .map_err(|e| DomainError::Invalid(format!("{shown}: {}", csv_error(&e))))?
        .clone();
    let columns: Vec<Option<Field>> = headers.iter().map(field_of).collect();
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
                return Err(DomainError::Invalid(format!("{shown}: {}", csv_error(&e))));
            }
        }
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let mut row = ContactInput {
            line,
            email_column: email_column.clone(),
            owner_column: owner_column.clone(),
            ..Default::default()
        };
        for ((value, field), header) in record.iter().zip(&columns).zip(headers.iter()) {
            match field {
                Some(Field::OptedOut) => {
                    row.opted_out = yes_or_no(value).ok_or_else(|| {
                        DomainError::Invalid(format!(
                            "{shown}: line {line}, column '{header}': '{value}' is not true or false (or yes/no, 1/0); nothing was imported"
                        ))
                    })?
                }
                Some(Field::Email) => row.email = value.to_string(),
                Some(Field::FirstName) => row.first_name = value.to_string(),
                Some(Field::LastName) => row.last_name = value.to_string(),
                Some(Field::Company) => row.company = value.to_string(),
                Some(Field::Title) => row.title = value.to_string(),
                Some(Field::Owner) => row.owner = Some(value.to_string()),
                Some(Field::Lifecycle) if !value.is_empty() => {
                    row.lifecycle_stage = Some(value.to_lowercase())
                }
                _ => {}
            }
        }
        rows.push(row);
        if let Some(bar) = &progress
            && rows.len() % 1000 == 0
        {
            bar.set_position(record.position().map(|p| p.byte()).unwrap_or(0));
        }
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    Ok(rows)
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

fn csv_error(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => format!(
            "line {}: expected {expected_len} fields, found {len}; nothing was imported",
            pos.as_ref().map(|p| p.line()).unwrap_or(0)
        ),
        csv::ErrorKind::Utf8 { pos, err } => format!(
            "line {}, field {}: not valid UTF-8; nothing was imported",
            pos.as_ref().map(|p| p.line()).unwrap_or(0),
            err.field() + 1
        ),
        _ => format!("{e}; nothing was imported"),
    }
}
