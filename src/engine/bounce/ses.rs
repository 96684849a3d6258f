//! Amazon SES notifications (and the SNS envelope around one).

use super::*;

// ------------------------------------------------------------- Amazon SES

/// What an Amazon SES notification says.
#[derive(Debug, Clone, PartialEq)]
pub enum SesNotice {
    /// A bounce, a delivery delay, or a delivery (each recipient then
    /// `not_a_bounce`).
    Bounce(Bounce),
    /// A recipient marked the email as spam.
    Complaint {
        recipients: Vec<String>,
        message_ids: Vec<String>,
    },
}

/// Whether a JSON value is an Amazon SES notification (or an SNS envelope
/// around one).
pub fn is_ses(value: &Value) -> bool {
    ses_body(value).is_some()
}

/// The notification itself: SES's own object, or the `Message` string of
/// an SNS envelope.
pub(super) fn ses_body(value: &Value) -> Option<Value> {
    let kind = value
        .get("notificationType")
        .or_else(|| value.get("eventType"))
        .and_then(Value::as_str);
    if kind.is_some() && value.get("mail").is_some() {
        return Some(value.clone());
    }
    if value.get("Type").and_then(Value::as_str) == Some("Notification")
        && let Some(text) = value.get("Message").and_then(Value::as_str)
        && let Ok(inner) = serde_json::from_str::<Value>(text)
    {
        return ses_body(&inner);
    }
    None
}

/// The time an SES notification gives (its bounce, complaint or delivery
/// timestamp, else the email's).
pub fn ses_timestamp(value: &Value) -> Option<String> {
    let body = ses_body(value)?;
    ["bounce", "complaint", "delivery", "deliveryDelay", "mail"]
        .iter()
        .find_map(|k| body.get(k)?.get("timestamp")?.as_str().map(str::to_string))
}

/// Reads an Amazon SES bounce, complaint, delivery or delay notification.
pub fn classify_ses(value: &Value) -> Option<SesNotice> {
    let body = ses_body(value)?;
    let kind = body
        .get("notificationType")
        .or_else(|| body.get("eventType"))
        .and_then(Value::as_str)?
        .to_ascii_lowercase();
    let mail = body.get("mail");
    let mut message_ids: Vec<String> = Vec::new();
    if let Some(mail) = mail {
        let common = mail
            .get("commonHeaders")
            .and_then(|h| h.get("messageId"))
            .and_then(Value::as_str);
        let header = mail
            .get("headers")
            .and_then(Value::as_array)
            .and_then(|list| {
                list.iter().find(|h| {
                    h.get("name")
                        .and_then(Value::as_str)
                        .is_some_and(|n| n.eq_ignore_ascii_case("message-id"))
                })
            })
            .and_then(|h| h.get("value"))
            .and_then(Value::as_str);
        for id in [common, header].into_iter().flatten() {
            let id = bracketed(id);
            if id.contains('@') && !message_ids.contains(&id) {
                message_ids.push(id);
            }
        }
    }
    let str_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    match kind.as_str() {
        "bounce" => {
            let bounce = body.get("bounce")?;
            let bounce_type = str_of(bounce, "bounceType")
                .unwrap_or_default()
                .to_ascii_lowercase();
            let sub_type = str_of(bounce, "bounceSubType")
                .unwrap_or_default()
                .to_ascii_lowercase();
            let mut recipients = Vec::new();
            for r in bounce
                .get("bouncedRecipients")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let address = str_of(r, "emailAddress").map(|a| {
                    addresses_in(&a)
                        .into_iter()
                        .next()
                        .map(|x| x.2)
                        .unwrap_or_else(|| a.trim().to_ascii_lowercase())
                });
                let status = str_of(r, "status").and_then(|s| find_status(&s));
                let diagnostic = str_of(r, "diagnosticCode").map(|d| match d.split_once(';') {
                    Some((kind, rest)) if !kind.contains(' ') => rest.trim().to_string(),
                    _ => d.trim().to_string(),
                });
                let action = str_of(r, "action");
                let decision = decide(
                    status.as_deref(),
                    action.as_deref(),
                    &[diagnostic.as_deref().unwrap_or("")],
                    Fallback::None,
                );
                let (verdict, reason) =
                    if decision.line.is_some() || decision.verdict == BounceVerdict::NotABounce {
                        (decision.verdict, decision.reason)
                    } else {
                        ses_type_reason(&bounce_type, &sub_type, status.as_deref())
                    };
                recipients.push(BounceRecipient {
                    address,
                    verdict,
                    reason,
                    diagnostic: diagnostic
                        .map(|d| collapse(&d))
                        .unwrap_or_else(|| format!("SES {bounce_type}/{sub_type}")),
                    status,
                });
            }
            if recipients.is_empty() {
                let (verdict, reason) = ses_type_reason(&bounce_type, &sub_type, None);
                recipients.push(BounceRecipient {
                    address: None,
                    verdict,
                    reason,
                    status: None,
                    diagnostic: format!("SES {bounce_type}/{sub_type}"),
                });
            }
            Some(SesNotice::Bounce(Bounce {
                recipients,
                message_ids,
            }))
        }
        "complaint" => {
            let recipients = body
                .get("complaint")
                .and_then(|c| c.get("complainedRecipients"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|r| str_of(r, "emailAddress"))
                .filter_map(|a| addresses_in(&a).into_iter().next().map(|x| x.2))
                .collect();
            Some(SesNotice::Complaint {
                recipients,
                message_ids,
            })
        }
        "delivery" | "deliverydelay" => {
            let (field, list) = if kind == "delivery" {
                ("delivery", "recipients")
            } else {
                ("deliveryDelay", "delayedRecipients")
            };
            let section = body.get(field);
            let recipients = section
                .and_then(|s| s.get(list))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|r| {
                    r.as_str()
                        .map(str::to_string)
                        .or_else(|| str_of(r, "emailAddress"))
                })
                .filter_map(|a| addresses_in(&a).into_iter().next().map(|x| x.2))
                .map(|address| BounceRecipient {
                    address: Some(address),
                    verdict: BounceVerdict::NotABounce,
                    reason: BounceReason::Other,
                    status: None,
                    diagnostic: if kind == "delivery" {
                        "delivered".into()
                    } else {
                        "delivery delayed".into()
                    },
                })
                .collect();
            Some(SesNotice::Bounce(Bounce {
                recipients,
                message_ids,
            }))
        }
        _ => None,
    }
}

/// SES's own bounce type when the diagnostic says nothing more.
pub(super) fn ses_type_reason(
    bounce_type: &str,
    sub_type: &str,
    status: Option<&str>,
) -> (BounceVerdict, BounceReason) {
    let reason = match sub_type {
        "mailboxfull" => BounceReason::MailboxFull,
        "messagetoolarge" | "attachmentrejected" => BounceReason::Policy,
        "contentrejected" => BounceReason::Spam,
        "noemail" => BounceReason::UserUnknown,
        "suppressed" | "onaccountsuppressionlist" => BounceReason::UserUnknown,
        _ => match bounce_type {
            "permanent" => status
                .and_then(status_reason)
                .filter(|r| matches!(r, BounceReason::UserUnknown | BounceReason::HostUnknown))
                .unwrap_or(BounceReason::UserUnknown),
            _ => status
                .and_then(status_reason)
                .filter(|r| verdict_of(*r) == BounceVerdict::Soft)
                .unwrap_or(BounceReason::Temporary),
        },
    };
    (verdict_of(reason), reason)
}
