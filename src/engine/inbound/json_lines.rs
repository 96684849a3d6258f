//! JSON Lines events files (see docs/engine.md): one event a line, our
//! own shape or an Amazon SES notification, each read as an
//! [`InboundEvent`].

use super::*;

/// One line of a JSON Lines events file (see docs/engine.md).
#[derive(Debug, Deserialize)]
struct JsonEvent {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    at: Option<String>,
    #[serde(default)]
    message_id: Option<String>,
    #[serde(default)]
    in_reply_to: Option<String>,
    #[serde(default)]
    references: Option<serde_json::Value>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    organizer: Option<String>,
    #[serde(default)]
    attendees: Option<Vec<String>>,
    #[serde(default)]
    url: Option<String>,
    /// An `unsubscribe` event's List-Unsubscribe token (R19).
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    permanent: Option<bool>,
    /// A bounce's verdict (`hard`, `soft`, `not_a_bounce`), reason code and
    /// diagnostic line, as a tool that classified it says (R9).
    #[serde(default)]
    verdict: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    diagnostic: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    auto: Option<bool>,
    #[serde(default)]
    return_date: Option<String>,
}

/// The recipient of a JSON Lines `bounce` event. An explicit `verdict`
/// (with its `reason`) is taken as given; else a `diagnostic` is read by
/// the classifier; else `permanent` (default true) decides hard or soft and
/// the `status` the reason.
fn json_bounce_recipient(
    email: Option<String>,
    permanent: Option<bool>,
    status: Option<String>,
    verdict: Option<String>,
    reason: Option<String>,
    diagnostic: Option<String>,
) -> Result<BounceRecipient, String> {
    let status = status
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "5.0.0".into());
    let diagnostic = diagnostic
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty());
    let reason = match reason.as_deref().map(str::trim) {
        Some(r) => Some(r.parse::<BounceReason>().map_err(|e| e.to_string())?),
        None => None,
    };
    let decided = bounce::decide(
        Some(&status),
        None,
        &[diagnostic.as_deref().unwrap_or_default()],
        bounce::Fallback::None,
    );
    let (verdict, reason) = match verdict.as_deref().map(str::trim) {
        Some(v) => {
            let verdict = v.parse::<BounceVerdict>().map_err(|e| e.to_string())?;
            let default = match verdict {
                BounceVerdict::Soft => BounceReason::Temporary,
                _ => BounceReason::Other,
            };
            let from_text = Some(decided.reason).filter(|_| decided.verdict == verdict);
            (verdict, reason.or(from_text).unwrap_or(default))
        }
        None if diagnostic.is_some() && decided.line.is_some() => {
            (decided.verdict, reason.unwrap_or(decided.reason))
        }
        None => {
            let hard = permanent.unwrap_or(true);
            let verdict = if hard {
                BounceVerdict::Hard
            } else {
                BounceVerdict::Soft
            };
            let from_status = Some(decided.reason).filter(|_| decided.verdict == verdict);
            let default = if hard {
                BounceReason::Other
            } else {
                BounceReason::Temporary
            };
            (verdict, reason.or(from_status).unwrap_or(default))
        }
    };
    Ok(BounceRecipient {
        address: email,
        verdict,
        reason,
        diagnostic: diagnostic.unwrap_or_else(|| status.clone()),
        status: Some(status),
    })
}

pub(super) fn read_json_lines(shown: &str, bytes: &[u8], now: Timestamp) -> Vec<InputItem> {
    let text = String::from_utf8_lossy(bytes);
    // One JSON document over several lines (an Amazon SES notification
    // saved as a `.json` file, or its SNS envelope) is one item.
    if text.trim().lines().nth(1).is_some()
        && let Ok(value) = serde_json::from_str::<serde_json::Value>(text.trim())
        && bounce::is_ses(&value)
    {
        let id = format!("ses:{:016x}", stable_hash(text.trim().as_bytes()));
        return vec![item(shown.to_string(), ses_event(&value, id, now))];
    }
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            let source = format!("{shown}#{}", i + 1);
            item(source, parse_json_line(line, now))
        })
        .collect()
}

fn required(value: Option<String>, field: &str, kind: &str) -> Result<String, String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("a '{kind}' event needs \"{field}\""))
}

/// An Amazon SES notification (bounce, complaint, delivery, delay) as an
/// event: a bounce names its recipients and the returned Message-ID; a
/// complaint (the recipient marked the email as spam) is an unsubscribe.
pub(super) fn ses_event(
    value: &serde_json::Value,
    id: String,
    now: Timestamp,
) -> Result<InboundEvent, String> {
    let notice = bounce::classify_ses(value)
        .ok_or_else(|| "an Amazon SES notification of a kind seqtui does not read".to_string())?;
    let at = bounce::ses_timestamp(value)
        .and_then(|t| parse_instant(&t).ok())
        .unwrap_or(now);
    let inbound = match notice {
        bounce::SesNotice::Bounce(b) => {
            if b.recipients.iter().all(|r| r.address.is_none()) && b.message_ids.is_empty() {
                return Err("an Amazon SES bounce that names no recipient and no message".into());
            }
            Inbound::Bounce {
                recipients: b.recipients,
                message_ids: b.message_ids,
                references: Vec::new(),
            }
        }
        bounce::SesNotice::Complaint { recipients, .. } => Inbound::Unsubscribe {
            email: recipients
                .into_iter()
                .next()
                .ok_or_else(|| "an Amazon SES complaint that names no recipient".to_string())?,
        },
    };
    Ok(InboundEvent { id, at, inbound })
}

/// One JSON Lines event (or one Amazon SES notification on a line).
pub fn parse_json_line(line: &str, now: Timestamp) -> Result<InboundEvent, String> {
    let value: serde_json::Value =
        serde_json::from_str(line.trim()).map_err(|err| format!("not a JSON event: {err}"))?;
    if value.get("type").is_none() && bounce::is_ses(&value) {
        let id = format!("ses:{:016x}", stable_hash(line.trim().as_bytes()));
        return ses_event(&value, id, now);
    }
    let e: JsonEvent =
        serde_json::from_value(value).map_err(|err| format!("not a JSON event: {err}"))?;
    let at = match e.at.as_deref() {
        Some(t) => parse_instant(t).map_err(|err| err.to_string())?,
        None => now,
    };
    let email = e.email.as_deref().map(|s| s.trim().to_lowercase());
    let message_id = e.message_id.as_deref().map(bracketed);
    let kind = e.kind.trim().to_ascii_lowercase();
    let id =
        e.id.clone()
            .map(|i| format!("jsonl:{i}"))
            .unwrap_or_else(|| format!("jsonl:{:016x}", stable_hash(line.trim().as_bytes())));
    let mut references: Vec<String> = e
        .in_reply_to
        .as_deref()
        .map(bracketed)
        .into_iter()
        .collect();
    match &e.references {
        Some(serde_json::Value::String(s)) => {
            references.extend(s.split_whitespace().map(bracketed));
        }
        Some(serde_json::Value::Array(list)) => {
            references.extend(list.iter().filter_map(|v| v.as_str()).map(bracketed));
        }
        _ => {}
    }
    let inbound = match kind.as_str() {
        "reply" => {
            let from = required(email, "email", &kind)?;
            let subject = e.subject.unwrap_or_default();
            let auto = e.auto.unwrap_or(false) || autoreply::ooo_subject(&subject).is_some();
            if auto {
                let return_date = match e.return_date.as_deref() {
                    Some(t) => Some(parse_instant(t).map_err(|err| err.to_string())?),
                    None => None,
                };
                Inbound::AutoReply {
                    from,
                    references,
                    subject,
                    return_date,
                }
            } else {
                Inbound::Reply {
                    from,
                    references,
                    subject,
                }
            }
        }
        "meeting_booked" => {
            let organizer = required(e.organizer.map(|o| o.to_lowercase()), "organizer", &kind)?;
            let mut addresses: Vec<String> = email.into_iter().collect();
            addresses.extend(
                e.attendees
                    .unwrap_or_default()
                    .iter()
                    .map(|a| a.trim().to_lowercase()),
            );
            let attendees: Vec<MeetingAttendee> = addresses
                .into_iter()
                .map(|address| MeetingAttendee {
                    address,
                    answer: MeetingAnswer::Booked,
                })
                .collect();
            if attendees.is_empty() {
                return Err("a 'meeting_booked' event needs \"email\" or \"attendees\"".into());
            }
            Inbound::Meeting {
                organizer,
                attendees,
                summary: e.subject.unwrap_or_else(|| "meeting".into()),
            }
        }
        "bounce" => {
            if email.is_none() && message_id.is_none() {
                return Err("a 'bounce' event needs \"email\" or \"message_id\"".into());
            }
            // A webhook's `message_id` stands for the returned message:
            // the tool that sends it saw the bounce of that very email.
            Inbound::Bounce {
                recipients: vec![json_bounce_recipient(
                    email,
                    e.permanent,
                    e.status,
                    e.verdict,
                    e.reason,
                    e.diagnostic,
                )?],
                message_ids: message_id.into_iter().collect(),
                references: Vec::new(),
            }
        }
        "unsubscribe" => match e.token.as_deref().map(str::trim) {
            Some(token) => {
                let token = token.to_ascii_lowercase();
                if !crate::domain::is_token(&token) {
                    return Err(
                        "an 'unsubscribe' event's \"token\" must be 32 to 64 hex digits".into(),
                    );
                }
                Inbound::ListUnsubscribe { token }
            }
            None => Inbound::Unsubscribe {
                email: required(email, "email", &kind)?,
            },
        },
        "open" | "click" => {
            if email.is_none() && message_id.is_none() {
                return Err(format!(
                    "an '{kind}' event needs \"email\" or \"message_id\""
                ));
            }
            if kind == "open" {
                Inbound::Open { email, message_id }
            } else {
                Inbound::Click {
                    email,
                    message_id,
                    url: e.url.unwrap_or_default(),
                }
            }
        }
        other => {
            return Err(format!(
                "unknown event type '{other}'; expected open, click, reply, meeting_booked, bounce or unsubscribe"
            ));
        }
    };
    Ok(InboundEvent { id, at, inbound })
}
