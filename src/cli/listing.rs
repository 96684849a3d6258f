//! The listing subcommands: `users`, `sequences`, `enrollments` and what
//! `contact` prints about one contact.

use super::commands::{Failure, Outcome, opt_out_origin, unsaved};
use super::output::{Format, machine, outln, safe, table, time};
use super::{Cli, UsersAction};
use crate::domain::*;

/// What `users --json` prints per user: the user, and whether it is the
/// workspace's default acting user.
#[derive(Debug, serde::Serialize)]
struct UserListed<'a> {
    #[serde(flatten)]
    user: &'a User,
    default: bool,
}

pub(super) fn users(
    cli: &Cli,
    ws: &mut Workspace,
    actor: &User,
    action: Option<&UsersAction>,
    output: &super::FormatArgs,
) -> Outcome {
    match action {
        Some(UsersAction::Add {
            email,
            name,
            role,
            team,
        }) => {
            let user = ws
                .add_user(actor, email, name, *role, team)
                .map_err(unsaved)?;
            if cli.json {
                super::output::change(&user, &[user.id], &[])?;
            } else {
                outln!("Added {} ({}, team {}).", user.email, user.role, user.team);
            }
            return Ok(0);
        }
        Some(UsersAction::Bind { email, login }) => {
            let user = ws.bind_login(actor, email, Some(login)).map_err(unsaved)?;
            if cli.json {
                super::output::change(&user, &[user.id], &[])?;
            } else {
                outln!(
                    "Bound {} to the login '{}': that login now acts as {}, and only admins may use --as.",
                    user.email,
                    safe(login),
                    user.name
                );
            }
            return Ok(0);
        }
        Some(UsersAction::Unbind { email }) => {
            let user = ws.bind_login(actor, email, None).map_err(unsaved)?;
            if cli.json {
                super::output::change(&user, &[user.id], &[])?;
            } else {
                outln!("{} is bound to no login now.", user.email);
            }
            return Ok(0);
        }
        None => {}
    }
    let format = output.chosen(cli)?;
    let users = ws.users()?;
    let default = ws.info()?.default_user;
    if format.is_machine() {
        let listed: Vec<UserListed> = users
            .iter()
            .map(|user| UserListed {
                user,
                default: default.as_deref() == Some(user.email.as_str()),
            })
            .collect();
        machine(format, &listed)?;
    } else {
        let rows: Vec<Vec<String>> = users
            .iter()
            .map(|u| {
                let mark = if default.as_deref() == Some(u.email.as_str()) {
                    " (default)"
                } else {
                    ""
                };
                vec![
                    format!("{}{mark}", u.email),
                    u.name.clone(),
                    u.role.to_string(),
                    u.team.clone(),
                    u.login.clone().unwrap_or_else(|| "-".into()),
                ]
            })
            .collect();
        table(&["EMAIL", "NAME", "ROLE", "TEAM", "LOGIN"], &rows);
    }
    Ok(0)
}

pub(super) fn sequences(cli: &Cli, ws: &Workspace, output: &super::FormatArgs) -> Outcome {
    let format = output.chosen(cli)?;
    let list = ws.sequences()?;
    if format.is_machine() {
        machine(format, &list)?;
    } else {
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|s| {
                vec![
                    s.id.to_string(),
                    format!("{}{}", s.name, if s.archived { " (archived)" } else { "" }),
                    s.owner.clone(),
                    s.steps.to_string(),
                    s.active.to_string(),
                    s.paused.to_string(),
                    s.finished.to_string(),
                    s.unenrolled.to_string(),
                    s.total.to_string(),
                    format!("{:.1}%", s.reply_rate * 100.0),
                    format!("{:.1}%", s.meeting_rate * 100.0),
                ]
            })
            .collect();
        table(
            &[
                "ID",
                "NAME",
                "OWNER",
                "STEPS",
                "ACTIVE",
                "PAUSED",
                "FINISHED",
                "UNENROLLED",
                "TOTAL",
                "REPLY",
                "MEETING",
            ],
            &rows,
        );
    }
    Ok(0)
}

/// Every matching enrollment (at most `limit`), fetched a keyset page at
/// a time.
pub(super) fn fetch_enrollments(
    ws: &Workspace,
    query: &EnrollmentQuery,
    limit: Option<usize>,
) -> Result<Vec<EnrollmentRow>, Failure> {
    const PAGE: usize = 1000;
    let mut all = Vec::new();
    let mut after: Option<PageKey> = None;
    loop {
        let want = limit
            .map(|l| l.saturating_sub(all.len()).min(PAGE))
            .unwrap_or(PAGE);
        if want == 0 {
            break;
        }
        let page = ws.enrollment_page(query, after.as_ref(), want)?;
        let done = page.len() < want;
        after = page.last().map(|row| row.page_key_in(query.sort.key));
        all.extend(page);
        if done {
            break;
        }
    }
    Ok(all)
}

/// Prints every matching enrollment.
pub(super) fn enrollments(
    format: Format,
    ws: &Workspace,
    query: &EnrollmentQuery,
    limit: Option<usize>,
) -> Outcome {
    let all = fetch_enrollments(ws, query, limit)?;
    if format.is_machine() {
        machine(format, &all)?;
    } else {
        print_enrollments(&all);
    }
    Ok(0)
}

/// The enrollments table of `enrollments`, `list show` and dry runs.
pub(super) fn print_enrollments(all: &[EnrollmentRow]) {
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|e| {
            vec![
                e.id.to_string(),
                e.contact_name.clone(),
                e.contact_email.clone(),
                e.company.clone(),
                e.sequence.clone(),
                match e.end_reason {
                    Some(r) => format!("{} ({r})", e.status),
                    None if e.stale => format!("{}, stale", e.status),
                    None => e.status.to_string(),
                },
                format!("{}/{}", e.step, e.steps),
                time(e.next_due_at),
                e.enrolled_by.clone(),
            ]
        })
        .collect();
    table(
        &[
            "ID",
            "CONTACT",
            "EMAIL",
            "COMPANY",
            "SEQUENCE",
            "STATUS",
            "STEP",
            "NEXT DUE",
            "ENROLLED BY",
        ],
        &rows,
    );
}

pub(super) fn print_contact(d: &ContactDetail) {
    let c = &d.contact;
    outln!("{} <{}>", safe(&c.full_name()), safe(&c.email));
    outln!(
        "  {} at {} · owner {} · {} · id {}{}",
        safe(if c.title.is_empty() { "-" } else { &c.title }),
        safe(if c.company.is_empty() {
            "-"
        } else {
            &c.company
        }),
        safe(c.owner.as_deref().unwrap_or("-")),
        safe(&c.lifecycle_label),
        c.id,
        if c.opted_out { " · OPTED OUT" } else { "" }
    );
    if !c.phone.is_empty() || !c.crm_id.is_empty() {
        outln!(
            "  phone {} · CRM id {}",
            safe(if c.phone.is_empty() { "-" } else { &c.phone }),
            safe(if c.crm_id.is_empty() { "-" } else { &c.crm_id })
        );
    }
    if c.opted_out {
        outln!(
            "  {}; cannot be enrolled (an admin may clear it: seqtui contact opt-in)",
            opt_out_origin(c.opted_out_at, c.opted_out_by.as_deref(), c.opted_out_via)
        );
    }
    match c.address_state {
        AddressState::Deliverable => outln!("  address deliverable"),
        AddressState::Undeliverable => outln!(
            "  address UNDELIVERABLE since {} ({}{}); cannot be enrolled until the address changes (seqtui contact email {} --to NEW)",
            time(c.undeliverable_at),
            c.undeliverable_reason
                .map(|r| r.as_str())
                .unwrap_or("other"),
            c.undeliverable_diagnostic
                .as_deref()
                .filter(|d| !d.trim().is_empty())
                .map(|d| format!(": {}", safe(d)))
                .unwrap_or_default(),
            safe(&c.email)
        ),
    }
    outln!();
    outln!("Enrollments");
    for ce in &d.enrollments {
        let e = &ce.enrollment;
        outln!(
            "  #{} {} — {} step {}/{} · enrolled {} by {}",
            e.id,
            safe(&e.sequence),
            describe_status(e.status, e.end_reason),
            e.step,
            e.steps,
            time(Some(e.enrolled_at)),
            e.enrolled_by
        );
        for s in ce
            .scheduled
            .iter()
            .filter(|s| s.state == StepState::Scheduled)
        {
            outln!(
                "      step {} {} due {}",
                s.step,
                s.kind,
                time(Some(s.due_at))
            );
        }
        for t in ce.tasks.iter().filter(|t| t.state == TaskState::Open) {
            outln!(
                "      {} '{}' due {}{}",
                if t.kind == StepKind::Call {
                    "call"
                } else {
                    "task"
                },
                safe(&t.title),
                time(Some(t.due_at)),
                t.phone
                    .as_deref()
                    .map(|p| format!(" · phone {}", safe(p)))
                    .unwrap_or_default()
            );
        }
    }
    if !d.bounces.is_empty() {
        outln!();
        outln!("Bounces");
        for b in &d.bounces {
            outln!(
                "  {}  {:<12} {:<13} {}  {}{}{}",
                time(Some(b.at)),
                b.verdict,
                b.reason,
                b.enrollment
                    .map(|e| format!("#{e} {}", safe(b.sequence.as_deref().unwrap_or(""))))
                    .unwrap_or_else(|| "-".into()),
                b.action,
                b.soft_in_a_row
                    .map(|n| format!(" ({n} in a row)"))
                    .unwrap_or_default(),
                if b.diagnostic.trim().is_empty() {
                    String::new()
                } else {
                    format!(" · {}", safe(b.diagnostic.trim()))
                }
            );
        }
    }
    outln!();
    if d.timeline.is_empty() {
        outln!("Timeline: nothing yet");
    } else {
        outln!("Timeline");
    }
    for t in &d.timeline {
        let line = format!(
            "  {}  {:<15} {}  {}",
            time(Some(t.at)),
            t.kind,
            safe(t.sequence.as_deref().unwrap_or("")),
            safe(&t.detail)
        );
        outln!("{}", line.trim_end());
    }
}
