//! R9 bounces applied: what a classified bounce does to the enrollment
//! that sent the email and to the contact's address. The classifier
//! (`crate::engine`) says, per failed recipient, `hard`, `soft` or
//! `not_a_bounce` with a reason code; this module decides, inside the
//! ingest transaction:
//!
//! - **hard**: the enrollment ends `bounced` (automatic, audited) and the
//!   contact's address is marked undeliverable (when, reason code,
//!   diagnostic, the bounce's id), which refuses enrollment (code
//!   `undeliverable`) and undo until the address changes (`seqtui contact
//!   email … --to …`, [`Workspace::change_contact_email`]).
//! - **soft**: the enrollment is paused by the engine and the bounced step
//!   is tried again after the rules file's `bounce.soft_retry_hours`; the
//!   pause ends then. The third soft bounce *in a row* ends it `bounced`;
//!   the address stays deliverable. A soft bounce of the last step's email
//!   (the enrollment `finished` when it went out) reopens the enrollment
//!   for the retry, unless the contact has another open enrollment, opted
//!   out or is undeliverable; a soft bounce of an email after which a later
//!   step already went out is counted but not retried.
//! - **not_a_bounce**: recorded in the contact's bounce history; changes
//!   nothing.
//!
//! "In a row", precisely: each sending of a step is an attempt; a soft
//! bounce counts the attempts of that same step (the original and its
//! retries) that a verified soft bounce failed, leaving out any attempt
//! after whose sending the enrollment had an open, a click or a reply.
//! Several reports of one attempt count once. A step that went out and was
//! followed by the next step starts the count again (the next step is
//! another step), and a hard bounce or a reply ends the enrollment anyway.
//! The count is stored with each soft bounce (`soft_in_a_row`).
//!
//! Every bounce is verified first (R9, issue 12): only one that returns the
//! email's Message-ID or names the recipient it went to counts; any other
//! is recorded as unverified and changes nothing.

use crate::store::Connection;
use serde::Serialize;

use super::engine::{audit_automatic_pause, end_automatically, open_facts};
use super::*;
use crate::store::bounces as qb;
use crate::store::engine::{self as qe, SentMatch};
use crate::store::queries::{self as q, NewAudit};

/// How many soft bounces in a row end an enrollment (R9).
pub const SOFT_BOUNCES_TO_END: i64 = 3;

/// What one failed recipient of a bounce was and what it did: the
/// `bounce` list of an ingest outcome.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BounceApplied {
    /// The address the report names (`None`: it names none).
    pub address: Option<String>,
    pub verdict: BounceVerdict,
    pub reason: BounceReason,
    pub status: Option<String>,
    pub diagnostic: String,
    /// The contact and enrollment it was applied to, if any.
    pub contact: Option<String>,
    pub enrollment: Option<i64>,
    pub action: IngestAction,
    /// Soft: how many soft bounces in a row this one makes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soft_in_a_row: Option<i64>,
    /// Soft: when the bounced step is tried again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<Timestamp>,
    /// Hard: whether this bounce marked the address undeliverable now.
    pub marked_undeliverable: bool,
    pub why: String,
}

/// The most of a diagnostic kept (characters): it comes from whoever
/// wrote the bounce, and is shown in sentences and lists.
pub const MAX_DIAGNOSTIC_CHARS: usize = 500;

/// A diagnostic as kept: one line (control characters become spaces, runs
/// of spaces one), at most [`MAX_DIAGNOSTIC_CHARS`] characters.
fn one_line_diagnostic(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut out = flat.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some((cut, _)) = out.char_indices().nth(MAX_DIAGNOSTIC_CHARS) {
        out.truncate(cut);
        out.push('…');
    }
    out
}

impl BounceApplied {
    fn new(r: &BounceRecipient) -> BounceApplied {
        BounceApplied {
            address: r.address.clone(),
            verdict: r.verdict,
            reason: r.reason,
            status: r.status.as_deref().map(one_line_diagnostic),
            diagnostic: one_line_diagnostic(&r.diagnostic),
            contact: None,
            enrollment: None,
            action: IngestAction::Ignored,
            soft_in_a_row: None,
            retry_at: None,
            marked_undeliverable: false,
            why: String::new(),
        }
    }

    /// "hard bounce (user_unknown, 5.1.1)".
    fn label(&self) -> String {
        let verdict = match self.verdict {
            BounceVerdict::Hard => "hard bounce",
            BounceVerdict::Soft => "soft bounce",
            BounceVerdict::NotABounce => "not a bounce",
        };
        match &self.status {
            Some(s) => format!("{verdict} ({}, {s})", self.reason),
            None => format!("{verdict} ({})", self.reason),
        }
    }

    /// The timeline line of this bounce.
    fn detail(&self) -> String {
        let mut text = self.label();
        if !self.diagnostic.trim().is_empty() && self.status.as_deref() != Some(&self.diagnostic) {
            text.push_str(&format!(": {}", self.diagnostic.trim()));
        }
        text
    }
}

/// R2-like refusal for a contact whose address a hard bounce marked
/// undeliverable, or `None`. Enroll, undo and the TUI's enroll key ask it.
pub fn undeliverable_refusal(contact: &Contact) -> Option<String> {
    if contact.address_state != AddressState::Undeliverable {
        return None;
    }
    let when = contact
        .undeliverable_at
        .map(|t| format!(" since {}", t.format("%Y-%m-%d")))
        .unwrap_or_default();
    let why = match (
        contact.undeliverable_reason,
        &contact.undeliverable_diagnostic,
    ) {
        (Some(r), Some(d)) if !d.trim().is_empty() => format!(" ({r}: {})", d.trim()),
        (Some(r), _) => format!(" ({r})"),
        _ => String::new(),
    };
    Some(format!(
        "{} is undeliverable{when}{why}: a hard bounce; it cannot be enrolled until its address changes (`seqtui contact email {} --to NEW`)",
        contact.email, contact.email
    ))
}

/// Where a failed recipient's email was found.
enum Found {
    /// An email an enrollment sent; `verified` when the bounce returns its
    /// Message-ID or names the address it went to.
    Email(Box<SentMatch>, bool),
    /// A contact the bounce names, to whom no open enrollment sent email.
    Contact(i64, String),
    /// Neither; why.
    Nothing(String),
}

fn same_address(a: &str, b: &str) -> bool {
    email_key(a) == email_key(b)
}

/// R9 resolution for one failed recipient: the email it returns (if the
/// report returns one and names this recipient, or names none it matches
/// and this is its first), else the email its references name, else the
/// latest email of the named contact's open enrollment.
fn find(
    conn: &Connection,
    r: &BounceRecipient,
    first: bool,
    recipients: &[BounceRecipient],
    returned: Option<&SentMatch>,
    referenced: Option<&SentMatch>,
) -> Result<Found> {
    let named = r.address.as_deref().filter(|a| !a.trim().is_empty());
    let names = |m: &SentMatch| {
        recipients
            .iter()
            .filter_map(|r| r.address.as_deref())
            .any(|a| same_address(a, &m.contact_email))
    };
    if let Some(m) = returned {
        let this = named.is_none_or(|a| same_address(a, &m.contact_email));
        if this || (first && !names(m)) {
            return Ok(Found::Email(Box::new(m.clone()), true));
        }
    }
    if let Some(m) = referenced {
        let this = named.is_some_and(|a| same_address(a, &m.contact_email));
        if this || (first && !names(m)) {
            return Ok(Found::Email(Box::new(m.clone()), this));
        }
    }
    let Some(address) = named else {
        return Ok(Found::Nothing(
            "no contact and no sequence email named".into(),
        ));
    };
    let Some((contact_id, contact_email, _)) = qe::contact_by_email(conn, address)? else {
        return Ok(Found::Nothing(format!(
            "'{address}' is not a contact and the bounce names no sequence email"
        )));
    };
    let open = q::open_enrollment_ids(conn, contact_id)?.first().copied();
    let latest = match open {
        Some(id) => qe::latest_sent_of_enrollment(conn, id)?,
        None => None,
    };
    Ok(match latest {
        Some(m) => Found::Email(Box::new(m), true),
        None => Found::Contact(contact_id, contact_email),
    })
}

/// How strongly an action speaks for a whole item (the outcome's action
/// is its recipients' strongest).
fn weight(a: IngestAction) -> u8 {
    match a {
        IngestAction::Ended => 5,
        IngestAction::Paused => 4,
        IngestAction::Unverified => 3,
        IngestAction::Recorded => 2,
        IngestAction::Duplicate => 1,
        IngestAction::Ignored => 0,
    }
}

/// R9 for one bounce item: each failed recipient, resolved and applied
/// (see the module). `retry` is the rules file's soft-bounce delay.
pub(super) fn apply_bounce(
    conn: &Connection,
    event: &InboundEvent,
    now: Timestamp,
    retry: chrono::Duration,
) -> Result<IngestOutcome> {
    let Inbound::Bounce {
        recipients,
        message_ids,
        references,
    } = &event.inbound
    else {
        return Ok(IngestOutcome::new(event, IngestAction::Ignored, ""));
    };
    let mut out = IngestOutcome::new(event, IngestAction::Ignored, "");
    if recipients.is_empty() {
        out.why = "a report that names no failed recipient".into();
        return Ok(out);
    }
    if qb::bounce_seen(conn, &event.id)? {
        out.action = IngestAction::Duplicate;
        out.why = "already ingested".into();
        return Ok(out);
    }
    let returned = qe::sent_by_message_ids(conn, message_ids)?;
    let referenced = match returned {
        Some(_) => None,
        None => qe::sent_by_message_ids(conn, references)?,
    };
    let mut events = 0usize;
    for (i, r) in recipients.iter().enumerate() {
        let found = find(
            conn,
            r,
            i == 0,
            recipients,
            returned.as_ref(),
            referenced.as_ref(),
        )?;
        let mut one = BounceApplied::new(r);
        // The events table keys inbound items by id: one row per item,
        // more recipients of one report get their own key.
        let event_id = if events == 0 {
            event.id.clone()
        } else {
            format!("{}#{}", event.id, events + 1)
        };
        let wrote_event = apply_recipient(conn, event, &event_id, found, &mut one, now, retry)?;
        if wrote_event {
            events += 1;
        }
        if weight(one.action) > weight(out.action) {
            out.action = one.action;
        }
        if out.contact.is_none() {
            out.contact = one.contact.clone();
            out.enrollment = one.enrollment;
        }
        if one.action == IngestAction::Ended {
            out.reason = Some(EndReason::Bounced);
            out.contact = one.contact.clone();
            out.enrollment = one.enrollment;
        }
        if one.retry_at.is_some() {
            out.paused_until = one.retry_at;
        }
        out.bounce.push(one);
    }
    out.why = out
        .bounce
        .iter()
        .map(|b| match (&b.address, out.bounce.len()) {
            (Some(a), n) if n > 1 => format!("{a}: {}", b.why),
            _ => b.why.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ");
    Ok(out)
}

/// Applies one failed recipient; returns whether it wrote an event row
/// (keyed `event_id`).
fn apply_recipient(
    conn: &Connection,
    event: &InboundEvent,
    event_id: &str,
    found: Found,
    one: &mut BounceApplied,
    now: Timestamp,
    retry: chrono::Duration,
) -> Result<bool> {
    let record = |one: &BounceApplied,
                  contact_id: i64,
                  m: Option<&SentMatch>,
                  verified: bool|
     -> Result<()> {
        qb::insert_bounce(
            conn,
            &qb::NewBounce {
                external_id: &event.id,
                address: one.address.as_deref(),
                contact_id,
                enrollment_id: m.map(|m| m.enrollment_id),
                sent_email_id: m.map(|m| m.sent_email_id),
                at: event.at,
                verdict: one.verdict,
                reason: one.reason,
                status: one.status.as_deref(),
                diagnostic: &one.diagnostic,
                verified,
                action: match one.action {
                    IngestAction::Ended => "ended",
                    IngestAction::Paused => "paused",
                    IngestAction::Unverified => "unverified",
                    _ => "recorded",
                },
                soft_in_a_row: one.soft_in_a_row,
            },
        )
    };
    let (m, verified) = match found {
        Found::Nothing(why) => {
            one.why = why;
            return Ok(false);
        }
        Found::Contact(contact_id, contact_email) => {
            one.contact = Some(contact_email.clone());
            one.action = IngestAction::Recorded;
            let named = one.address.clone().unwrap_or_default();
            one.why = format!(
                "{} for {named}, to whom no open enrollment sent an email; recorded, ends nothing",
                one.label()
            );
            record(one, contact_id, None, false)?;
            if one.verdict == BounceVerdict::NotABounce {
                return Ok(false);
            }
            qe::insert_external_event(
                conn,
                contact_id,
                None,
                "bounce",
                event.at,
                &one.detail(),
                event_id,
            )?;
            return Ok(true);
        }
        Found::Email(m, verified) => (*m, verified),
    };
    one.contact = Some(m.contact_email.clone());
    one.enrollment = Some(m.enrollment_id);
    if !verified {
        let named = one.address.clone().unwrap_or_else(|| "no recipient".into());
        one.action = IngestAction::Unverified;
        one.why = format!(
            "a {} that names {} only as a reference, for {named}, not {}: recorded as unverified, ends nothing",
            one.label(),
            m.message_id,
            m.contact_email
        );
        record(one, m.contact_id, Some(&m), false)?;
        qe::insert_external_event(
            conn,
            m.contact_id,
            Some(m.enrollment_id),
            "unverified_bounce",
            event.at,
            &format!("{} naming {named}, not {}", one.detail(), m.contact_email),
            event_id,
        )?;
        return Ok(true);
    }
    match one.verdict {
        BounceVerdict::NotABounce => {
            one.action = IngestAction::Recorded;
            one.why = format!(
                "not a bounce ({}): a delivery report that is no failure; recorded, changes nothing",
                if one.diagnostic.trim().is_empty() {
                    one.reason.as_str()
                } else {
                    one.diagnostic.trim()
                }
            );
            record(one, m.contact_id, Some(&m), true)?;
            Ok(false)
        }
        BounceVerdict::Hard | BounceVerdict::Soft => {
            if one.verdict == BounceVerdict::Hard {
                apply_hard(conn, event, &m, one, now)?;
            } else {
                apply_soft(conn, &m, one, now, retry)?;
            }
            record(one, m.contact_id, Some(&m), true)?;
            qe::insert_external_event(
                conn,
                m.contact_id,
                Some(m.enrollment_id),
                "bounce",
                event.at,
                &one.detail(),
                event_id,
            )?;
            Ok(true)
        }
    }
}

/// Hard: the enrollment ends `bounced` if still open; the address is
/// marked undeliverable while it is the one the report names (a report
/// naming an address the contact no longer has marks nothing).
fn apply_hard(
    conn: &Connection,
    event: &InboundEvent,
    m: &SentMatch,
    one: &mut BounceApplied,
    now: Timestamp,
) -> Result<()> {
    let address = one
        .address
        .as_deref()
        .filter(|a| !a.trim().is_empty())
        .unwrap_or(&m.contact_email);
    // `contact_email` is the contact's address now (read with the email).
    let current = same_address(address, &m.contact_email);
    let mut notes = Vec::new();
    if current {
        one.marked_undeliverable = qb::mark_undeliverable(
            conn,
            m.contact_id,
            &email_key(address),
            now,
            one.reason,
            one.diagnostic.trim(),
            &event.id,
        )?;
        if one.marked_undeliverable {
            // R13: the mark is a change of its own (it outlives the
            // enrollment), audited with what it rests on.
            q::insert_audit(
                conn,
                &NewAudit {
                    at: now,
                    actor_id: None,
                    action: "address_undeliverable",
                    reason: Some(one.reason.as_str()),
                    note: None,
                    detail: &format!(
                        "contact {}: {address} undeliverable ({}{}) — bounce {}",
                        m.contact_id,
                        one.reason,
                        if one.diagnostic.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", one.diagnostic)
                        },
                        event.id
                    ),
                    count: 0,
                },
            )?;
        }
        notes.push(if one.marked_undeliverable {
            format!("{address} marked undeliverable")
        } else {
            format!("{address} was already undeliverable")
        });
    } else {
        // A forwarding or alias address failed, not the contact's own.
        notes.push(format!(
            "{address} is not the contact's address; {} stays as it is",
            m.contact_email
        ));
    }
    one.action = IngestAction::Recorded;
    match open_facts(conn, m.enrollment_id)? {
        Some(f) if f.status.is_open() => {
            end_automatically(
                conn,
                &[m.enrollment_id],
                EndReason::Bounced,
                &format!(
                    "{}: {} bounced ({}, {})",
                    f.sequence, m.contact_email, one.verdict, one.reason
                ),
                now,
            )?;
            one.action = IngestAction::Ended;
            one.why = format!("{} of {}; {}", one.label(), m.message_id, notes.join("; "));
        }
        Some(f) => {
            one.why = format!(
                "{}; the enrollment is already {}; {}",
                one.label(),
                describe_status(f.status, f.end_reason),
                notes.join("; ")
            );
        }
        None => {
            one.why = format!("{}; {}", one.label(), notes.join("; "));
        }
    }
    Ok(())
}

/// Soft: counted (in a row); the third ends the enrollment `bounced`,
/// otherwise the bounced step is tried again after `retry`, the
/// enrollment paused until then.
fn apply_soft(
    conn: &Connection,
    m: &SentMatch,
    one: &mut BounceApplied,
    now: Timestamp,
    retry: chrono::Duration,
) -> Result<()> {
    one.action = IngestAction::Recorded;
    if qb::soft_bounce_counted(conn, m.sent_email_id)? {
        one.why = format!(
            "{} of {}, another report of a failure already counted; changes nothing",
            one.label(),
            m.message_id
        );
        return Ok(());
    }
    let in_a_row =
        1 + qb::earlier_soft_attempts(conn, m.enrollment_id, m.position, m.sent_email_id)?;
    one.soft_in_a_row = Some(in_a_row);
    let label = one.label();
    let Some(f) = open_facts(conn, m.enrollment_id)? else {
        one.why = format!("{label}; enrollment {} not found", m.enrollment_id);
        return Ok(());
    };
    let later_sent = qe::latest_sent_of_enrollment(conn, m.enrollment_id)?
        .is_some_and(|latest| latest.sent_email_id != m.sent_email_id);
    // The last step's email bounced softly: the enrollment finished when
    // it went out, but it did not arrive. It is reopened for the retry when
    // nothing else stands in the way (R1, R2, R9).
    let reopen = f.status == Status::Finished
        && !later_sent
        && q::open_enrollment_ids(conn, m.contact_id)?.is_empty()
        && q::find_contact(conn, &m.contact_id.to_string())?
            .is_some_and(|c| !c.opted_out && c.address_state == AddressState::Deliverable);
    if !f.status.is_open() && !reopen {
        one.why = format!(
            "{label}, {in_a_row} in a row; the enrollment is already {}, nothing to retry",
            describe_status(f.status, f.end_reason)
        );
        return Ok(());
    }
    if in_a_row >= SOFT_BOUNCES_TO_END {
        end_automatically(
            conn,
            &[m.enrollment_id],
            EndReason::Bounced,
            &format!(
                "{}: {} bounced softly {in_a_row} times in a row ({}); the address stays deliverable",
                f.sequence, m.contact_email, one.reason
            ),
            now,
        )?;
        one.action = IngestAction::Ended;
        one.why = format!(
            "{label} of {}: {in_a_row} soft bounces in a row end it; the address stays deliverable",
            m.message_id
        );
        return Ok(());
    }
    if later_sent {
        one.why = format!(
            "{label} of {}, {in_a_row} in a row; a later step went out since, so it is not retried",
            m.message_id
        );
        return Ok(());
    }
    let retry_at = now + retry;
    if reopen {
        qb::reopen_finished(conn, m.enrollment_id)?;
    }
    if !qb::schedule_retry(conn, m.enrollment_id, m.sent_email_id, retry_at, m.sent_at)? {
        one.why = format!(
            "{label} of {}, {in_a_row} in a row; its step is unknown, not retried",
            m.message_id
        );
        return Ok(());
    }
    let engine_paused = qb::pause_for_retry(conn, m.enrollment_id, retry_at)?;
    audit_automatic_pause(
        conn,
        now,
        "soft bounce",
        &format!(
            "{}: {} bounced softly ({}, {in_a_row} in a row); step {} is tried again at {}",
            f.sequence,
            m.contact_email,
            one.reason,
            m.position,
            crate::store::format_time(retry_at)
        ),
        (m.enrollment_id, f.status, f.current_step),
    )?;
    one.retry_at = Some(retry_at);
    if engine_paused {
        one.action = IngestAction::Paused;
        one.why = format!(
            "{label} of {}, {in_a_row} in a row: paused; step {} is tried again at {}",
            m.message_id,
            m.position,
            retry_at.format("%Y-%m-%d %H:%M UTC")
        );
    } else {
        one.why = format!(
            "{label} of {}, {in_a_row} in a row: step {} is tried again at {} once a person resumes the enrollment",
            m.message_id,
            m.position,
            retry_at.format("%Y-%m-%d %H:%M UTC")
        );
    }
    Ok(())
}

/// What `seqtui contact email … --to …` did.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ContactEmailReport {
    pub contact: i64,
    /// The address before and after.
    pub before: String,
    pub email: String,
    /// Whether anything changed (an identical address changes nothing).
    pub changed: bool,
    /// Whether the old address was undeliverable (the new one is not).
    pub was_undeliverable: bool,
    pub batch: Option<String>,
}

impl Workspace {
    /// Gives a contact a new email address (R12: whoever may change the
    /// contact), audited with the previous address. The new address is
    /// refused when another contact has it (by its email key). A new
    /// address lifts an undeliverable mark, which belongs to the old one
    /// (R9).
    pub fn change_contact_email(
        &mut self,
        actor: &User,
        contact_id: i64,
        new_email: &str,
    ) -> Result<ContactEmailReport> {
        let new_email = new_email.trim();
        check_email(new_email)?;
        let now = self.now();
        let tx = self.store.write()?;
        let contact = q::find_contact(&tx, &contact_id.to_string())?
            .ok_or_else(|| DomainError::NotFound(format!("no contact {contact_id}")))?;
        let owner = match contact.owner.as_deref() {
            Some(email) => q::user_by_email(&tx, email)?,
            None => None,
        };
        if !super::permissions::may_change_contact(actor, owner.as_ref()) {
            return Err(DomainError::Refused(
                super::permissions::who_may_change_contact(&contact.email, owner.as_ref()),
            ));
        }
        let mut report = ContactEmailReport {
            contact: contact.id,
            before: contact.email.clone(),
            email: new_email.to_string(),
            changed: false,
            was_undeliverable: contact.address_state == AddressState::Undeliverable,
            batch: None,
        };
        if contact.email == new_email {
            return Ok(report);
        }
        if let Some((other, other_email, _)) = qe::contact_by_email(&tx, new_email)?
            && other != contact.id
        {
            return Err(DomainError::Refused(format!(
                "{new_email} is the address of another contact ({other_email}, id {other}); two contacts cannot share an address"
            )));
        }
        let sort = sort_name(&contact.first_name, &contact.last_name, new_email);
        q::set_contact_email(&tx, contact.id, new_email, &sort)?;
        let mut detail = format!(
            "contact {}: email {} → {new_email}",
            contact.id, contact.email
        );
        if let Some(why) = undeliverable_refusal(&contact).and(contact.undeliverable_reason) {
            detail.push_str(&format!(
                " (the old address was undeliverable{}, {why})",
                contact
                    .undeliverable_at
                    .map(|t| format!(" since {}", crate::store::format_time(t)))
                    .unwrap_or_default()
            ));
        }
        let (_, batch) = q::insert_audit(
            &tx,
            &NewAudit {
                at: now,
                actor_id: Some(actor.id),
                action: "contact_email",
                reason: None,
                note: None,
                detail: &detail,
                count: 0,
            },
        )?;
        tx.commit()?;
        // The report says what the address is now, read back.
        let after = self.contact(&contact.id.to_string())?;
        report.email = after.email;
        report.changed = true;
        report.batch = Some(batch);
        Ok(report)
    }
}
