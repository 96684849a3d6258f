//! The filter flags (issue 7): one flag per key of the query language
//! ([`crate::domain::FILTER_KEYS`]), shared by `enrollments`, `unenroll`,
//! `pause`, `resume`, `transfer` and `list save`. Values are taken as text
//! and read by [`Filter::set`], the one parser, so a bad value fails with
//! the domain's sentence (exit 2).

use clap::Args;

use super::commands::Failure;
use crate::domain::*;

#[derive(Debug, Clone, Default, Args)]
pub struct FilterArgs {
    /// In this sequence, id or name (repeatable: any of them) [default: every sequence]
    #[arg(long, help_heading = "Filter", value_name = "ID|NAME")]
    pub sequence: Vec<String>,
    /// With this status (repeatable, or a comma list)
    #[arg(long, help_heading = "Filter", value_name = "STATUS",
        value_parser = super::choice::choice_list::<Status>(super::choice::names_of!(Status)))]
    pub status: Vec<String>,
    /// At step N or later
    #[arg(long, help_heading = "Filter", value_name = "N")]
    pub step_at_least: Option<String>,
    /// Enrolled before the day, in your zone: a date (2026-12-01) or yesterday, 7d, 2w, last monday
    #[arg(long, help_heading = "Filter", value_name = "DAY")]
    pub enrolled_before: Option<String>,
    /// Enrolled after the day, i.e. from the next day on (the same forms as --enrolled-before)
    #[arg(long, help_heading = "Filter", value_name = "DAY")]
    pub enrolled_after: Option<String>,
    /// Enrolled N or more days ago, and no open, click, reply or meeting in the last N days
    #[arg(long, help_heading = "Filter", value_name = "N")]
    pub no_engagement_days: Option<String>,
    /// Only stale enrollments (R11: open, old and quiet; see the rules file)
    #[arg(long, help_heading = "Filter")]
    pub stale: bool,
    /// Enrolled by this user (repeatable)
    #[arg(long, help_heading = "Filter", value_name = "EMAIL")]
    pub enrolled_by: Vec<String>,
    /// The contact's owner, or `none` for contacts without one (repeatable)
    #[arg(long, help_heading = "Filter", value_name = "EMAIL|none")]
    pub owner: Vec<String>,
    /// The contact's company: the whole name, any case, taken literally; "" for no company (repeatable)
    #[arg(long, help_heading = "Filter", value_name = "NAME")]
    pub company: Vec<String>,
    /// The contact's lifecycle stage (repeatable)
    #[arg(long, help_heading = "Filter", value_name = "STAGE")]
    pub lifecycle: Vec<String>,
    /// The contact's title contains the text (repeatable: any of them)
    #[arg(long, help_heading = "Filter", value_name = "TEXT")]
    pub title: Vec<String>,
    /// The contact's email is at this domain (repeatable)
    #[arg(long, help_heading = "Filter", value_name = "DOMAIN")]
    pub email_domain: Vec<String>,
    /// Name, email or company contains the text, literally, any case
    #[arg(long, help_heading = "Filter", value_name = "TEXT")]
    pub search: Option<String>,
}

impl FilterArgs {
    /// The flags given, as (key, value) in the order of
    /// [`crate::domain::FILTER_KEYS`]; a key is also the flag's name.
    fn terms(&self) -> Vec<(&'static str, &str)> {
        let mut terms: Vec<(&'static str, &str)> = Vec::new();
        for v in &self.sequence {
            terms.push(("sequence", v));
        }
        for v in &self.status {
            terms.push(("status", v));
        }
        for (key, value) in [
            ("step-at-least", &self.step_at_least),
            ("enrolled-before", &self.enrolled_before),
            ("enrolled-after", &self.enrolled_after),
            ("no-engagement-days", &self.no_engagement_days),
        ] {
            if let Some(v) = value {
                terms.push((key, v));
            }
        }
        if self.stale {
            terms.push(("is", "stale"));
        }
        for (key, values) in [
            ("enrolled-by", &self.enrolled_by),
            ("owner", &self.owner),
            ("company", &self.company),
            ("lifecycle", &self.lifecycle),
            ("title", &self.title),
            ("email-domain", &self.email_domain),
        ] {
            for v in values {
                terms.push((key, v));
            }
        }
        if let Some(v) = &self.search {
            terms.push(("search", v));
        }
        terms
    }

    /// The filter the flags describe, each value read by [`Filter::set`].
    pub fn filter(&self) -> Result<Filter, DomainError> {
        let mut filter = Filter::default();
        for (key, value) in self.terms() {
            filter.set(key, value)?;
        }
        Ok(filter)
    }

    /// The flags given, as typed (`--company`), each once, in order.
    pub fn flags(&self) -> Vec<String> {
        let mut flags: Vec<String> = Vec::new();
        for (key, _) in self.terms() {
            let flag = if key == "is" {
                "--stale".to_string()
            } else {
                format!("--{key}")
            };
            if !flags.contains(&flag) {
                flags.push(flag);
            }
        }
        flags
    }
}

/// A usage error (exit 2) with one sentence.
pub fn usage(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
}

/// A filter flag given without `--all`, which it narrows (exit 2).
pub fn needs_all(flag: &str) -> Failure {
    usage(format!(
        "{flag} narrows --all: pass --all {flag} … (filter flags select nothing on their own)"
    ))
}

/// The ids of the enrollments `filter` matches, in list order. When the
/// filter names no status, `default_statuses` apply (the statuses the
/// command can change); an empty slice keeps every status.
pub fn matching_ids(
    ws: &Workspace,
    filter: &Filter,
    default_statuses: &[Status],
) -> Result<Vec<i64>, DomainError> {
    let mut query = ws.resolve(filter)?;
    if query.statuses.is_empty() {
        query.statuses = default_statuses.to_vec();
    }
    ws.enrollment_ids(&query)
}

/// The filter a command's `--list NAME` or filter flags describe.
pub fn chosen_filter(
    ws: &Workspace,
    list: Option<&str>,
    flags: &FilterArgs,
) -> Result<Filter, Failure> {
    Ok(match list {
        Some(name) => ws.list(name)?.filter,
        None => flags.filter()?,
    })
}
