//! `seqtui contacts` (the contact list, as a table, JSON or CSV) and
//! `seqtui enroll` (one contact or many: `--contact`, `--all` with contact
//! filters, `--list`, `--csv`).

use std::path::PathBuf;

use clap::Args;

use super::Cli;
use super::commands::{Failure, Outcome, confirm, unsaved};
use super::filter::{chosen_filter, matching_ids, usage};
use super::output::{Format, Records, Verbatim, json_line, note, outln, safe, table};
use crate::domain::*;

/// The contact conditions of the filter model ([`Filter::set`] reads each
/// value), for commands that select contacts rather than enrollments.
#[derive(Debug, Clone, Default, Args)]
pub struct ContactFilterArgs {
    /// The contact's owner, or `none` for contacts without one (repeatable)
    #[arg(long, help_heading = "Contact filter", value_name = "EMAIL|none")]
    pub owner: Vec<String>,
    /// The contact's company: the whole name, any case; "" for no company (repeatable)
    #[arg(long, help_heading = "Contact filter", value_name = "NAME")]
    pub company: Vec<String>,
    /// The lifecycle stage: HubSpot's label or value, any case ("Marketing Qualified Lead", marketingqualifiedlead, mql) (repeatable)
    #[arg(long, help_heading = "Contact filter", value_name = "STAGE")]
    pub lifecycle: Vec<String>,
    /// The contact's title contains the text (repeatable: any of them)
    #[arg(long, help_heading = "Contact filter", value_name = "TEXT")]
    pub title: Vec<String>,
    /// The contact's email is at this domain (repeatable)
    #[arg(long, help_heading = "Contact filter", value_name = "DOMAIN")]
    pub email_domain: Vec<String>,
    /// Name, email or company contains the text, literally, any case
    #[arg(long, help_heading = "Contact filter", value_name = "TEXT")]
    pub search: Option<String>,
}

impl ContactFilterArgs {
    fn terms(&self) -> Vec<(&'static str, &str)> {
        let mut terms = Vec::new();
        for (key, values) in [
            ("owner", &self.owner),
            ("company", &self.company),
            ("lifecycle", &self.lifecycle),
            ("title", &self.title),
            ("email-domain", &self.email_domain),
        ] {
            for v in values {
                terms.push((key, v.as_str()));
            }
        }
        if let Some(v) = &self.search {
            terms.push(("search", v.as_str()));
        }
        terms
    }

    pub fn filter(&self) -> Result<Filter, DomainError> {
        let mut filter = Filter::default();
        for (key, value) in self.terms() {
            filter.set(key, value)?;
        }
        Ok(filter)
    }

    fn first_flag(&self) -> Option<String> {
        self.terms().first().map(|(key, _)| format!("--{key}"))
    }
}

#[derive(Debug, Args)]
pub struct ContactsArgs {
    #[command(flatten)]
    pub filter: ContactFilterArgs,
    /// Only opted-out contacts (yes) or only the others (no)
    #[arg(long, value_parser = super::choice::one_of(|| vec!["yes", "no"], parse_yes_no),
        value_name = "yes|no", help_heading = "Contact filter")]
    pub opted_out: Option<bool>,
    /// At most this many rows
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    #[command(flatten)]
    pub output: super::FormatArgs,
}

fn parse_yes_no(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "yes" | "true" | "on" => Ok(true),
        "no" | "false" | "off" => Ok(false),
        _ => Err(format!("'{text}' is not yes or no")),
    }
}

/// The CSV columns of `contacts --format csv`, in order.
pub const CONTACT_CSV_COLUMNS: &[&str] = &[
    "email",
    "first_name",
    "last_name",
    "company",
    "title",
    "owner",
    "lifecycle_stage",
    "phone",
    "crm_id",
    "opted_out",
    "undeliverable",
    "open_sequence",
];

/// Calls `each` with every matching contact, a keyset page at a time.
fn each_contact(
    ws: &Workspace,
    filter: &Filter,
    opted_out: Option<bool>,
    limit: Option<usize>,
    mut each: impl FnMut(&ContactRow) -> Result<(), Failure>,
) -> Result<usize, Failure> {
    const PAGE: usize = 1000;
    let mut after: Option<ContactCursor> = None;
    let mut count = 0;
    loop {
        let want = limit.map_or(PAGE, |l| l.saturating_sub(count).min(PAGE));
        if want == 0 {
            break;
        }
        let page = ws.contact_page(filter, opted_out, after.as_ref(), want)?;
        for row in &page {
            each(row)?;
        }
        count += page.len();
        if page.len() < want {
            break;
        }
        after = page.last().map(|r| ContactCursor {
            sort_name: r.sort_name.clone(),
            id: r.id,
        });
    }
    Ok(count)
}

/// `seqtui contacts`: the contacts matching the contact filter, in name
/// order; a table, a JSON array (`--json`) or CSV (`--format csv`), the
/// last two streamed page by page.
pub fn contacts(cli: &Cli, ws: &Workspace, args: &ContactsArgs) -> Outcome {
    let format = args.output.chosen(cli)?;
    let filter = args.filter.filter()?;
    // Checked before anything is written.
    ws.contact_query(&filter)?;
    if format == Format::Jsonl {
        each_contact(ws, &filter, args.opted_out, args.limit, |row| {
            json_line(row).map_err(Failure::from)
        })?;
        return Ok(0);
    }
    if format == Format::Json {
        use std::io::Write;
        let mut out = Verbatim;
        let mut first = true;
        out.write_all(b"[")?;
        each_contact(ws, &filter, args.opted_out, args.limit, |row| {
            out.write_all(if first { b"\n  " } else { b",\n  " })?;
            first = false;
            serde_json::to_writer(&mut out, row).map_err(|e| Failure {
                code: 1,
                message: format!("cannot write the contacts: {e}"),
            })
        })?;
        out.write_all(if first { b"]\n" } else { b"\n]\n" })?;
        return Ok(0);
    }
    if matches!(format, Format::Csv | Format::Tsv) {
        let mut out = Records::new(format);
        let failed = |e: anyhow::Error| Failure {
            code: 1,
            message: format!("cannot write the contacts: {e}"),
        };
        out.text(CONTACT_CSV_COLUMNS).map_err(failed)?;
        each_contact(ws, &filter, args.opted_out, args.limit, |c| {
            let yes = |b: bool| if b { "yes" } else { "no" };
            out.text([
                c.email.as_str(),
                &c.first_name,
                &c.last_name,
                &c.company,
                &c.title,
                c.owner.as_deref().unwrap_or(""),
                &c.lifecycle_stage,
                &c.phone,
                &c.crm_id,
                yes(c.opted_out),
                yes(c.undeliverable),
                c.open_sequence.as_deref().unwrap_or(""),
            ])
            .map_err(failed)
        })?;
        out.finish().map_err(failed)?;
        return Ok(0);
    }
    let mut rows = Vec::new();
    each_contact(ws, &filter, args.opted_out, args.limit, |c| {
        rows.push(vec![
            c.id.to_string(),
            full_name(&c.first_name, &c.last_name, &c.email),
            c.email.clone(),
            c.company.clone(),
            c.owner.clone().unwrap_or_else(|| "-".into()),
            c.lifecycle_label.clone(),
            match (c.opted_out, c.undeliverable) {
                (true, true) => "opted out, undeliverable".into(),
                (true, false) => "opted out".into(),
                (false, true) => "undeliverable".into(),
                (false, false) => "-".into(),
            },
            c.open_sequence.clone().unwrap_or_else(|| "-".into()),
        ]);
        Ok(())
    })?;
    table(
        &[
            "ID",
            "CONTACT",
            "EMAIL",
            "COMPANY",
            "OWNER",
            "STAGE",
            "BLOCKED",
            "ENROLLED IN",
        ],
        &rows,
    );
    Ok(0)
}

/// `seqtui enroll`: which contacts, into which sequence.
#[derive(Debug, Args)]
// Not `required`: `enroll` says which to give, and that contact filters
// narrow `--all` (clap would list the group's flags instead).
#[command(group(clap::ArgGroup::new("whom")
    .args(["contacts", "all", "list", "csv"])))]
pub struct EnrollArgs {
    /// Sequence id or name
    #[arg(long)]
    pub sequence: String,
    /// Contact email or id (repeatable)
    #[arg(long = "contact", value_name = "EMAIL|ID")]
    pub contacts: Vec<String>,
    /// Every contact matching the contact filter flags (all contacts without them)
    #[arg(long)]
    pub all: bool,
    /// The contacts of the enrollments this saved list matches (`seqtui lists`), any status
    #[arg(long, value_name = "NAME")]
    pub list: Option<String>,
    /// The contacts named in a CSV file's email column (a CRM export works)
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    #[command(flatten)]
    pub filter: ContactFilterArgs,
    /// Report who would be enrolled and who refused, and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask before enrolling more than one contact
    #[arg(long)]
    pub yes: bool,
}

/// How many refusals `enroll` names one by one as text.
const REFUSALS_SHOWN: usize = 20;

pub fn enroll(cli: &Cli, ws: &mut Workspace, actor: &User, args: &EnrollArgs) -> Outcome {
    if !args.all
        && let Some(flag) = args.filter.first_flag()
    {
        return Err(usage(format!(
            "{flag} narrows --all: pass --all {flag} … (contact filters select nothing on their own)"
        )));
    }
    if args.contacts.is_empty() && !args.all && args.list.is_none() && args.csv.is_none() {
        return Err(usage(
            "say whom to enroll: --contact EMAIL, --all [CONTACT FILTER…], --list NAME or --csv FILE".to_string(),
        ));
    }
    let sequence = ws.sequence(&args.sequence)?;
    // Every contact in request order; one a request names that is no
    // contact is refused `not_found` beside the others.
    let mut refs: Vec<ContactRef> = Vec::new();
    if args.all {
        refs.extend(
            ws.contact_ids(&args.filter.filter()?, None)?
                .into_iter()
                .map(ContactRef::Found),
        );
    }
    if let Some(name) = &args.list {
        let filter = chosen_filter(ws, Some(name), &Default::default())?;
        refs.extend(
            ws.contacts_of_enrollments(&matching_ids(ws, &filter, &[])?)?
                .into_iter()
                .map(ContactRef::Found),
        );
    }
    if let Some(file) = &args.csv {
        let rows = super::import::read_contacts(file)?;
        let emails: Vec<String> = rows.into_iter().map(|r| r.email).collect();
        refs.extend(ws.contacts_by_email(&emails)?);
    }
    for c in &args.contacts {
        refs.push(ws.contact_ref(c)?);
    }
    let mut distinct: Vec<i64> = refs
        .iter()
        .filter_map(|r| match r {
            ContactRef::Found(id) => Some(*id),
            ContactRef::Unknown(_) => None,
        })
        .collect();
    distinct.sort_unstable();
    distinct.dedup();
    if !args.dry_run && !args.yes && distinct.len() > 1 {
        let preview = ws
            .enroll_refs(actor, sequence.id, &refs, true)
            .map_err(unsaved)?;
        if preview.enrolled_contacts.len() > 1 {
            let what = format!(
                "nroll {} contacts in '{}'?{}",
                preview.enrolled_contacts.len(),
                safe(&preview.sequence),
                refused_counts(&preview.refused)
                    .map(|c| format!(" {c} refused."))
                    .unwrap_or_default()
            );
            confirm(&format!("E{what}"), &format!("Refusing to e{what}"))?;
        }
    }
    let progress = super::progress::Progress::spinner(cli, "enrolling");
    let report = ws
        .enroll_refs(actor, sequence.id, &refs, args.dry_run)
        .map_err(unsaved)?;
    progress.finish();
    if cli.json {
        // Refusals in the one vocabulary: `id` is the contact's (null for
        // an email that is no contact).
        let skipped: Vec<serde_json::Value> = report
            .refused
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": (r.contact_id != 0).then_some(r.contact_id),
                    "contact": r.contact,
                    "code": r.code,
                    "why": r.why,
                })
            })
            .collect();
        let mut value = serde_json::to_value(&report).map_err(anyhow::Error::from)?;
        value["skipped"] = serde_json::Value::Array(skipped);
        super::output::change_value(value, &report.enrolled, &[])?;
    } else {
        let verb = if report.dry_run {
            "Would enroll"
        } else {
            "Enrolled"
        };
        outln!(
            "{verb} {} in '{}'{}{}.",
            report.enrolled_contacts.len(),
            safe(&report.sequence),
            refused_counts(&report.refused)
                .map(|c| format!(" · {c} refused"))
                .unwrap_or_default(),
            report
                .batch
                .as_ref()
                .map(|b| format!(" (batch {b})"))
                .unwrap_or_default()
        );
    }
    if !cli.json {
        // Each refusal, up to a screenful; the JSON report lists every one.
        for r in report.refused.iter().take(REFUSALS_SHOWN) {
            super::output::note_coloured(
                &format!("refused ({}): {}", r.code, r.why),
                comfy_table::Color::Yellow,
            );
        }
        if report.refused.len() > REFUSALS_SHOWN {
            note(&format!(
                "… and {} more refused (--json lists every one)",
                report.refused.len() - REFUSALS_SHOWN
            ));
        }
    }
    Ok(
        if report.enrolled_contacts.is_empty() && !report.refused.is_empty() {
            if report.refused.iter().all(|r| r.code == SkipCode::NotFound) {
                4
            } else {
                3
            }
        } else {
            0
        },
    )
}

/// "3 (2 already_enrolled, 1 opted_out)", or `None` when nobody was refused.
fn refused_counts(refused: &[EnrollRefusal]) -> Option<String> {
    if refused.is_empty() {
        return None;
    }
    let mut counts: Vec<(SkipCode, usize)> = Vec::new();
    for r in refused {
        match counts.iter_mut().find(|(c, _)| *c == r.code) {
            Some((_, n)) => *n += 1,
            None => counts.push((r.code, 1)),
        }
    }
    Some(format!(
        "{} ({})",
        refused.len(),
        counts
            .iter()
            .map(|(c, n)| format!("{n} {c}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}
