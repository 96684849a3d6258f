//! The decisions on inbound events — R6 replies, R7 meetings, R8
//! colleagues, R9 bounces and opt-outs, R14 out-of-office pauses, dedupe —
//! and the IMAP mailbox cursor that moves with them. Parsing and reading
//! mail live in `crate::engine`; every change here is one transaction with
//! its audit entry (automatic changes have no actor, R13).

use crate::store::Connection;
use serde::Serialize;

use super::engine::{audit_automatic_pause, end_automatically, open_facts};
use super::*;
use crate::store::engine as qe;
use crate::store::queries as q;

/// One inbound item, parsed.
#[derive(Debug, Clone, Serialize)]
pub struct InboundEvent {
    /// Message-ID, event id, or a stable hash: the dedupe key.
    pub id: String,
    pub at: Timestamp,
    #[serde(flatten)]
    pub inbound: Inbound,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Inbound {
    /// A person's email; `references` = In-Reply-To and References.
    Reply {
        from: String,
        references: Vec<String>,
        subject: String,
    },
    /// An automatic reply (out of office, vacation, autoresponder).
    AutoReply {
        from: String,
        references: Vec<String>,
        subject: String,
        return_date: Option<Timestamp>,
    },
    /// A meeting from a calendar (or a JSON Lines booking): organizer (a
    /// user) and the attendees, each with what the item says of them.
    Meeting {
        organizer: String,
        attendees: Vec<MeetingAttendee>,
        summary: String,
    },
    /// A delivery failure to `recipient` (the DSN's Final-Recipient,
    /// Original-Recipient or X-Failed-Recipients). `message_ids` are the
    /// Message-IDs of the message it returns (its returned message or
    /// headers; a JSON Lines bounce's `message_id`); `references` only
    /// the report's own In-Reply-To and References, which anyone can
    /// write, so they find the email but do not prove the bounce (R9).
    Bounce {
        /// One verdict per failed recipient the report names (one with no
        /// address when it names none).
        recipients: Vec<BounceRecipient>,
        message_ids: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        references: Vec<String>,
    },
    Unsubscribe {
        email: String,
    },
    /// R19: a List-Unsubscribe request naming an enrollment's token (a
    /// mail to `unsubscribe+TOKEN@…`, or a JSON Lines `unsubscribe` event
    /// with `"token"`).
    ListUnsubscribe {
        token: String,
    },
    Open {
        email: Option<String>,
        message_id: Option<String>,
    },
    Click {
        email: Option<String>,
        message_id: Option<String>,
        url: String,
    },
}

/// One attendee of a meeting and what the calendar item says of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeetingAttendee {
    pub address: String,
    pub answer: MeetingAnswer,
}

/// What a calendar item says of one attendee (R7). Only `booked` can end
/// an enrollment; the others are recorded on the contact's timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingAnswer {
    /// Invited by the organizer (a REQUEST or a published booking, not
    /// declined or tentative) or accepted (a REPLY `PARTSTAT=ACCEPTED`).
    Booked,
    /// `PARTSTAT=TENTATIVE`: a maybe, not a booking.
    Tentative,
    /// `PARTSTAT=DECLINED`, in an invitation or a REPLY.
    Declined,
    /// `METHOD:CANCEL`, or an event `STATUS:CANCELLED`.
    Cancelled,
}

impl MeetingAnswer {
    /// The timeline event type it is recorded as.
    pub fn event_type(self) -> &'static str {
        match self {
            MeetingAnswer::Booked => "meeting_booked",
            MeetingAnswer::Tentative => "meeting_tentative",
            MeetingAnswer::Declined => "meeting_declined",
            MeetingAnswer::Cancelled => "meeting_cancelled",
        }
    }
}

impl Inbound {
    pub fn kind(&self) -> &'static str {
        match self {
            Inbound::Reply { .. } => "reply",
            Inbound::AutoReply { .. } => "auto_reply",
            Inbound::Meeting { .. } => "meeting",
            Inbound::Bounce { .. } => "bounce",
            Inbound::Unsubscribe { .. } | Inbound::ListUnsubscribe { .. } => "unsubscribe",
            Inbound::Open { .. } => "open",
            Inbound::Click { .. } => "click",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IngestAction {
    /// The matched enrollment was ended.
    Ended,
    /// The matched enrollment was paused (R14).
    Paused,
    /// Recorded on the contact's timeline; nothing ended.
    Recorded,
    /// Seen before; nothing changed.
    Duplicate,
    /// Not about any contact or sequence; nothing recorded.
    Ignored,
    /// On a sequence thread, but not shown to come from the contact (R6:
    /// another sender) or to be about that email (R9: a bounce naming
    /// neither its recipient nor its Message-ID): recorded on the
    /// contact's timeline as unverified; nothing ended or paused.
    Unverified,
}

/// What applying one inbound item did (one per meeting attendee).
#[derive(Debug, Clone, Serialize)]
pub struct IngestOutcome {
    pub id: String,
    pub kind: &'static str,
    pub contact: Option<String>,
    pub enrollment: Option<i64>,
    pub action: IngestAction,
    pub reason: Option<EndReason>,
    /// Enrollments of colleagues ended with `colleague_engaged` (R8).
    pub colleagues: Vec<i64>,
    pub paused_until: Option<Timestamp>,
    pub why: String,
    /// A bounce's failed recipients: each with its verdict, reason code,
    /// status, diagnostic and what it did (R9). Empty for other items.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bounce: Vec<super::bounce::BounceApplied>,
}

impl IngestOutcome {
    pub(super) fn new(
        event: &InboundEvent,
        action: IngestAction,
        why: impl Into<String>,
    ) -> IngestOutcome {
        IngestOutcome {
            id: event.id.clone(),
            kind: event.inbound.kind(),
            contact: None,
            enrollment: None,
            action,
            reason: None,
            colleagues: Vec::new(),
            paused_until: None,
            why: why.into(),
            bounce: Vec::new(),
        }
    }
}

/// R6: whether mail from `from` speaks for the contact an email went to
/// (`recipient`): the same address, compared by its key (any case, any
/// Unicode normal form), or another address at the same email domain.
pub fn speaks_for(from: &str, recipient: &str) -> bool {
    let (from, recipient) = (email_key(from), email_key(recipient));
    if from == recipient {
        return true;
    }
    matches!(
        (email_key_domain(&from), email_key_domain(&recipient)),
        (Some(a), Some(b)) if a == b
    )
}

/// R8: with the sequence setting on, ends the open enrollments in the same
/// sequence of the other contacts at the same company.
fn end_colleagues(
    conn: &Connection,
    facts: &EnrollmentFacts,
    contact_email: &str,
    now: Timestamp,
) -> Result<Vec<i64>> {
    let Some(sequence) = q::find_sequence(conn, &facts.sequence_id.to_string())? else {
        return Ok(Vec::new());
    };
    if !sequence.unenroll_colleagues {
        return Ok(Vec::new());
    }
    let company = qe::contact_company(conn, facts.contact_id)?;
    if company.trim().is_empty() {
        return Ok(Vec::new());
    }
    let ids = qe::colleague_enrollments(conn, facts.sequence_id, &company, facts.contact_id)?;
    end_automatically(
        conn,
        &ids,
        EndReason::ColleagueEngaged,
        &format!("{}: {contact_email} at {company} engaged", sequence.name),
        now,
    )?;
    Ok(ids)
}

impl Workspace {
    /// Applies one inbound item whole or not at all (one transaction), and
    /// only once: an item whose id was seen before changes nothing.
    pub fn apply_inbound(&mut self, event: &InboundEvent) -> Result<Vec<IngestOutcome>> {
        self.apply_inbound_marked(event, None)
    }

    /// [`Workspace::apply_inbound`] for a message read from an IMAP
    /// mailbox: the mailbox's cursor moves past it in the same transaction,
    /// so a crash never loses a message nor reads an applied one again.
    pub fn apply_inbound_marked(
        &mut self,
        event: &InboundEvent,
        mark: Option<&MailboxMark<'_>>,
    ) -> Result<Vec<IngestOutcome>> {
        if let Inbound::Unsubscribe { email } = &event.inbound {
            let outcomes = self.apply_unsubscribe(event, email)?;
            // An opt-out is idempotent: applied again after a crash here,
            // it changes nothing.
            if let Some(mark) = mark {
                self.mark_mailbox(mark)?;
            }
            return Ok(outcomes);
        }
        if let Inbound::ListUnsubscribe { token } = &event.inbound {
            return self.apply_list_unsubscribe(event, token);
        }
        let now = self.now();
        let ooo_pauses = self.rules().pause_on_out_of_office;
        let retry = self.rules().soft_bounce_retry();
        let tx = self.store.write()?;
        let outcomes = match &event.inbound {
            Inbound::Meeting {
                organizer,
                attendees,
                summary,
            } => apply_meeting(&tx, event, organizer, attendees, summary, now)?,
            _ => vec![apply_one(&tx, event, now, ooo_pauses, retry)?],
        };
        if let Some(m) = mark {
            crate::store::imap::set_cursor(&tx, m.source, m.mailbox, m.uidvalidity, m.uid)?;
        }
        tx.commit()?;
        Ok(outcomes)
    }

    /// Where `ingest` left off in `mailbox` of the IMAP account `source`.
    pub fn mailbox_cursor(&self, source: &str, mailbox: &str) -> Result<Option<MailboxCursor>> {
        Ok(
            crate::store::imap::cursor(self.store.conn(), source, mailbox)?.map(
                |(uidvalidity, last_uid)| MailboxCursor {
                    uidvalidity,
                    last_uid,
                },
            ),
        )
    }

    /// Moves a mailbox's cursor on its own: past a message that could not
    /// be read (it is reported, never retried), or back to the start when
    /// the mailbox's UIDVALIDITY changed (`uid` 0).
    pub fn mark_mailbox(&mut self, mark: &MailboxMark<'_>) -> Result<()> {
        let tx = self.store.write()?;
        crate::store::imap::set_cursor(&tx, mark.source, mark.mailbox, mark.uidvalidity, mark.uid)?;
        tx.commit()?;
        Ok(())
    }

    /// R9: an unsubscribe marks the contact opted out and ends every open
    /// enrollment (through [`Workspace::opt_out`], which is idempotent).
    fn apply_unsubscribe(
        &mut self,
        event: &InboundEvent,
        email: &str,
    ) -> Result<Vec<IngestOutcome>> {
        let found = qe::contact_by_email(self.store.conn(), email)?;
        let Some((contact_id, email, _)) = found else {
            return Ok(vec![IngestOutcome::new(
                event,
                IngestAction::Ignored,
                format!("no contact '{email}'"),
            )]);
        };
        self.unsubscribe_contact(event, contact_id, email, OptOutVia::UnsubscribeEvent)
    }

    /// R19/R9: a List-Unsubscribe request opts out the contact of the
    /// enrollment whose token it names; an unknown token changes nothing.
    fn apply_list_unsubscribe(
        &mut self,
        event: &InboundEvent,
        token: &str,
    ) -> Result<Vec<IngestOutcome>> {
        let found = qe::enrollment_by_unsubscribe_token(self.store.conn(), token)?;
        let Some((_, contact_id)) = found else {
            return Ok(vec![IngestOutcome::new(
                event,
                IngestAction::Ignored,
                "no enrollment has this unsubscribe token",
            )]);
        };
        let email = self.contact(&contact_id.to_string())?.email;
        self.unsubscribe_contact(event, contact_id, email, OptOutVia::ListUnsubscribe)
    }

    fn unsubscribe_contact(
        &mut self,
        event: &InboundEvent,
        contact_id: i64,
        email: String,
        via: OptOutVia,
    ) -> Result<Vec<IngestOutcome>> {
        let before = self.contact(&contact_id.to_string())?;
        let report = self.opt_out_via(contact_id, &format!("unsubscribe {}", event.id), via)?;
        let mut outcome = IngestOutcome::new(event, IngestAction::Recorded, "");
        outcome.contact = Some(email);
        outcome.enrollment = report.unenrolled.first().copied();
        if report.batch.is_none() {
            outcome.action = IngestAction::Duplicate;
            outcome.why = "already opted out".into();
        } else if report.unenrolled.is_empty() {
            outcome.why = if before.opted_out {
                "already opted out".into()
            } else {
                "opted out; no open enrollment".into()
            };
        } else {
            outcome.action = IngestAction::Ended;
            outcome.reason = Some(EndReason::OptedOut);
            outcome.why = format!(
                "opted out; ended {} open enrollment(s)",
                report.unenrolled.len()
            );
        }
        Ok(vec![outcome])
    }
}

/// Reply, auto-reply, bounce, open, click: find the enrollment (by the
/// Message-IDs it sent, else by the contact's address) and decide.
/// `ooo_pauses` is the rules file's team-wide R14 switch; `retry` its
/// soft-bounce delay (R9).
fn apply_one(
    conn: &Connection,
    event: &InboundEvent,
    now: Timestamp,
    ooo_pauses: bool,
    retry: chrono::Duration,
) -> Result<IngestOutcome> {
    let mut out = IngestOutcome::new(event, IngestAction::Ignored, "");
    if qe::event_exists(conn, &event.id)? {
        out.action = IngestAction::Duplicate;
        out.why = "already ingested".into();
        return Ok(out);
    }
    if matches!(
        event.inbound,
        Inbound::Reply { .. } | Inbound::AutoReply { .. }
    ) && qe::is_sent_message(conn, &event.id)?
    {
        out.why = "this is a message seqtui sent, not a reply".into();
        return Ok(out);
    }
    let (address, references): (Option<&str>, Vec<String>) = match &event.inbound {
        Inbound::Reply {
            from, references, ..
        }
        | Inbound::AutoReply {
            from, references, ..
        } => (Some(from), references.clone()),
        Inbound::Bounce { .. } => return super::bounce::apply_bounce(conn, event, now, retry),
        Inbound::Open { email, message_id }
        | Inbound::Click {
            email, message_id, ..
        } => (email.as_deref(), message_id.iter().cloned().collect()),
        Inbound::Meeting { .. } | Inbound::Unsubscribe { .. } | Inbound::ListUnsubscribe { .. } => {
            (None, Vec::new())
        }
    };
    let on_thread = qe::sent_by_message_ids(conn, &references)?;
    let contact = match (&on_thread, address) {
        (Some(m), _) => Some((m.contact_id, m.contact_email.clone())),
        (None, Some(a)) => qe::contact_by_email(conn, a)?.map(|(id, email, _)| (id, email)),
        (None, None) => None,
    };
    let Some((contact_id, contact_email)) = contact else {
        out.why = match address {
            Some(a) => {
                format!("'{a}' is not a contact and the message is not on a sequence thread")
            }
            None => "no contact and no sequence email named".into(),
        };
        return Ok(out);
    };
    out.contact = Some(contact_email.clone());
    let open = q::open_enrollment_ids(conn, contact_id)?.first().copied();
    match &event.inbound {
        Inbound::Reply { subject, .. } => {
            let Some(m) = on_thread else {
                qe::insert_external_event(
                    conn, contact_id, None, "reply", event.at, subject, &event.id,
                )?;
                out.action = IngestAction::Recorded;
                out.why = "not on a sequence thread: recorded on the contact, ends nothing".into();
                return Ok(out);
            };
            let from = address.unwrap_or_default();
            if !speaks_for(from, &m.contact_email) {
                qe::insert_external_event(
                    conn,
                    contact_id,
                    Some(m.enrollment_id),
                    "unverified_reply",
                    event.at,
                    &format!("from {from}: {subject}"),
                    &event.id,
                )?;
                out.enrollment = Some(m.enrollment_id);
                out.action = IngestAction::Unverified;
                out.why = format!(
                    "on the thread of {}, but from {from}, neither {contact_email} nor an address at its domain: recorded as an unverified reply, ends nothing",
                    m.message_id
                );
                return Ok(out);
            }
            qe::insert_external_event(
                conn,
                contact_id,
                Some(m.enrollment_id),
                "reply",
                event.at,
                subject,
                &event.id,
            )?;
            out.enrollment = Some(m.enrollment_id);
            end_engaged(
                conn,
                &mut out,
                m.enrollment_id,
                EndReason::Replied,
                &contact_email,
                now,
            )?;
            if out.action == IngestAction::Ended {
                out.why = format!("reply on the thread of {}", m.message_id);
            }
        }
        Inbound::AutoReply {
            subject,
            return_date,
            ..
        } => {
            let enrollment = on_thread.as_ref().map(|m| m.enrollment_id).or(open);
            let from = address.unwrap_or_default();
            // Off the thread the contact was found by this very address.
            let verified = on_thread
                .as_ref()
                .is_none_or(|m| speaks_for(from, &m.contact_email));
            let mut detail = match return_date {
                Some(d) => format!("{subject} (back {})", d.format("%Y-%m-%d")),
                None => subject.clone(),
            };
            if !verified {
                detail = format!("from {from} (unverified): {detail}");
            }
            qe::insert_external_event(
                conn,
                contact_id,
                enrollment,
                "out_of_office",
                event.at,
                &detail,
                &event.id,
            )?;
            out.enrollment = enrollment;
            out.action = IngestAction::Recorded;
            out.why = "automatic reply: recorded as out-of-office, ends nothing".into();
            if !verified {
                out.why.push_str(&format!(
                    "; not paused: from {from}, neither {contact_email} nor an address at its domain"
                ));
            } else if let Some(id) = enrollment {
                pause_for_ooo(conn, &mut out, id, *return_date, now, ooo_pauses)?;
            }
        }
        Inbound::Open { .. } | Inbound::Click { .. } => {
            let enrollment = on_thread.as_ref().map(|m| m.enrollment_id).or(open);
            let (kind, detail) = match &event.inbound {
                Inbound::Click { url, .. } => ("click", url.clone()),
                _ => ("open", String::new()),
            };
            qe::insert_external_event(
                conn, contact_id, enrollment, kind, event.at, &detail, &event.id,
            )?;
            out.enrollment = enrollment;
            out.action = IngestAction::Recorded;
            out.why = format!("{kind} recorded");
        }
        Inbound::Meeting { .. }
        | Inbound::Unsubscribe { .. }
        | Inbound::ListUnsubscribe { .. }
        | Inbound::Bounce { .. } => {}
    }
    Ok(out)
}

/// R6/R7 end of an engaged enrollment, then R8 for its colleagues.
fn end_engaged(
    conn: &Connection,
    out: &mut IngestOutcome,
    enrollment_id: i64,
    reason: EndReason,
    contact_email: &str,
    now: Timestamp,
) -> Result<()> {
    out.action = IngestAction::Recorded;
    let Some(facts) = open_facts(conn, enrollment_id)? else {
        out.why = format!("enrollment {enrollment_id} not found");
        return Ok(());
    };
    if !facts.status.is_open() {
        out.why = format!(
            "recorded; the enrollment is already {}",
            describe_status(facts.status, facts.end_reason)
        );
        return Ok(());
    }
    end_automatically(
        conn,
        &[enrollment_id],
        reason,
        &format!("{}: {contact_email} {}", facts.sequence, reason.label()),
        now,
    )?;
    out.action = IngestAction::Ended;
    out.reason = Some(reason);
    out.colleagues = end_colleagues(conn, &facts, contact_email, now)?;
    Ok(())
}

/// R14: with the sequence setting on, the rules file not turning pauses
/// off (`team_allows`) and a future return date, pauses the active
/// enrollment until then.
fn pause_for_ooo(
    conn: &Connection,
    out: &mut IngestOutcome,
    enrollment_id: i64,
    return_date: Option<Timestamp>,
    now: Timestamp,
    team_allows: bool,
) -> Result<()> {
    let Some(facts) = open_facts(conn, enrollment_id)? else {
        return Ok(());
    };
    let Some(sequence) = q::find_sequence(conn, &facts.sequence_id.to_string())? else {
        return Ok(());
    };
    if !sequence.pause_on_ooo || facts.status != Status::Active {
        return Ok(());
    }
    if !team_allows {
        out.why
            .push_str("; not paused: the rules file turns out-of-office pauses off");
        return Ok(());
    }
    let Some(until) = return_date.filter(|d| *d > now) else {
        out.why
            .push_str("; no future return date found, not paused");
        return Ok(());
    };
    if qe::pause_until(conn, enrollment_id, until)? {
        audit_automatic_pause(
            conn,
            now,
            "out of office",
            &format!(
                "{}: {} out of office until {}",
                facts.sequence,
                facts.contact_name,
                until.format("%Y-%m-%d")
            ),
            (enrollment_id, Status::Active, facts.current_step),
        )?;
        out.action = IngestAction::Paused;
        out.paused_until = Some(until);
        out.why = format!(
            "automatic reply: paused until {} (sequence setting)",
            until.format("%Y-%m-%d")
        );
    }
    Ok(())
}

/// R7: for each attendee who is a contact, a booking (an invitation or an
/// acceptance) of a meeting organized by the user who enrolled them ends
/// their open enrollment (`meeting_booked`, then R8); with another
/// organizer it is recorded and ends nothing. A declined, tentative or
/// cancelled meeting is recorded on the contact's timeline
/// (`meeting_declined`, `meeting_tentative`, `meeting_cancelled`) and ends
/// nothing, whoever organized it. Each answer is its own dedupe key, so a
/// decline read before the acceptance does not hide it.
fn apply_meeting(
    conn: &Connection,
    event: &InboundEvent,
    organizer: &str,
    attendees: &[MeetingAttendee],
    summary: &str,
    now: Timestamp,
) -> Result<Vec<IngestOutcome>> {
    let organizer_user = q::user_by_email(conn, organizer)?;
    let mut outcomes = Vec::new();
    for attendee in attendees {
        if email_key(&attendee.address) == email_key(organizer) {
            continue;
        }
        let Some((contact_id, contact_email, _)) = qe::contact_by_email(conn, &attendee.address)?
        else {
            continue;
        };
        let answer = attendee.answer;
        // A booking keeps the key it always had (`ics:UID#contact`).
        let external_id = match answer {
            MeetingAnswer::Booked => format!("{}#{}", event.id, contact_email.to_lowercase()),
            other => format!(
                "{}#{}#{}",
                event.id,
                contact_email.to_lowercase(),
                other.event_type()
            ),
        };
        let mut out = IngestOutcome::new(event, IngestAction::Recorded, "");
        out.id = external_id.clone();
        out.contact = Some(contact_email.clone());
        if qe::event_exists(conn, &external_id)? {
            out.action = IngestAction::Duplicate;
            out.why = "already ingested".into();
            outcomes.push(out);
            continue;
        }
        let open = q::open_enrollment_ids(conn, contact_id)?.first().copied();
        let facts = match open {
            Some(id) => open_facts(conn, id)?,
            None => None,
        };
        let by_enroller = match (&facts, &organizer_user) {
            (Some(f), Some(u)) => f.enrolled_by == u.id,
            _ => false,
        };
        let detail = format!("{summary} (organizer {organizer})");
        qe::insert_external_event(
            conn,
            contact_id,
            if by_enroller { open } else { None },
            answer.event_type(),
            event.at,
            &detail,
            &external_id,
        )?;
        if answer != MeetingAnswer::Booked {
            out.enrollment = open;
            out.why = match answer {
                MeetingAnswer::Declined => "the contact declined the meeting",
                MeetingAnswer::Tentative => {
                    "the contact tentatively accepted the meeting (a booking needs an acceptance)"
                }
                _ => "the meeting was cancelled",
            }
            .to_string();
            out.why.push_str(": recorded, ends nothing");
            outcomes.push(out);
            continue;
        }
        match (open, by_enroller) {
            (Some(id), true) => {
                out.enrollment = Some(id);
                end_engaged(
                    conn,
                    &mut out,
                    id,
                    EndReason::MeetingBooked,
                    &contact_email,
                    now,
                )?;
                if out.action == IngestAction::Ended {
                    out.why = format!("meeting booked with the enrolling user {organizer}");
                }
            }
            (Some(id), false) => {
                out.enrollment = Some(id);
                out.why = format!(
                    "organizer {organizer} is not the user who enrolled the contact; recorded, ends nothing"
                );
            }
            (None, _) => out.why = "no open enrollment; recorded on the contact".into(),
        }
        outcomes.push(out);
    }
    if outcomes.is_empty() {
        outcomes.push(IngestOutcome::new(
            event,
            IngestAction::Ignored,
            "no attendee is a contact",
        ));
    }
    Ok(outcomes)
}

/// An IMAP mailbox's position: every message up to `last_uid` under
/// `uidvalidity` has been applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MailboxCursor {
    pub uidvalidity: u32,
    pub last_uid: u32,
}

/// "Message `uid` of `mailbox` at `source` is applied": stored with it.
#[derive(Debug, Clone, Copy)]
pub struct MailboxMark<'a> {
    /// The account, `imap://user@host:port` (`imaps://` for TLS).
    pub source: &'a str,
    pub mailbox: &'a str,
    pub uidvalidity: u32,
    pub uid: u32,
}
