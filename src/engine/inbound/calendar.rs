//! Meeting invitations and answers: an `.ics` file (or a message's
//! `text/calendar` part) read as an [`InboundEvent`] (R7).

use super::*;

/// An ORGANIZER or ATTENDEE value without its `mailto:` scheme, which may
/// be written in any case (`MAILTO:`, `MailTo:`: URI schemes are
/// case-insensitive, RFC 3986).
fn calendar_address(value: &str) -> String {
    let v = value.trim();
    let v = match v.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("mailto:") => &v[7..],
        _ => v,
    };
    v.trim().to_lowercase()
}

/// An attendee's `PARTSTAT`, upper case, when given.
fn participation(property: &icalendar::parser::Property<'_>) -> Option<String> {
    property
        .params
        .iter()
        .find(|p| p.key.as_str().eq_ignore_ascii_case("PARTSTAT"))
        .and_then(|p| p.val.as_ref())
        .map(|v| v.as_str().trim().trim_matches('"').to_ascii_uppercase())
}

/// What a calendar item says of one attendee, from the item's METHOD and
/// the attendee's PARTSTAT; `None` for a REPLY that answers nothing.
fn answer(method: &str, cancelled: bool, partstat: Option<&str>) -> Option<MeetingAnswer> {
    if cancelled {
        return Some(MeetingAnswer::Cancelled);
    }
    match (method, partstat) {
        (_, Some("DECLINED")) => Some(MeetingAnswer::Declined),
        (_, Some("TENTATIVE")) => Some(MeetingAnswer::Tentative),
        ("REPLY", Some("ACCEPTED")) => Some(MeetingAnswer::Booked),
        // A reply with no answer (NEEDS-ACTION, DELEGATED, none) says
        // nothing about this attendee.
        ("REPLY", _) => None,
        // An invitation: a booking unless the attendee said no or maybe.
        _ => Some(MeetingAnswer::Booked),
    }
}

fn calendar_time(value: &str) -> Option<Timestamp> {
    let v = value.trim();
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(v.trim_end_matches('Z'), "%Y%m%dT%H%M%S") {
        return Some(t.and_utc());
    }
    chrono::NaiveDate::parse_from_str(v, "%Y%m%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// An iCalendar file: a meeting REQUEST (or a published booking), a REPLY
/// (an attendee's answer) or a CANCEL, with its organizer and each
/// attendee's answer (R7). A declined, tentative or cancelled meeting is
/// read like any other: what it means is the domain's decision.
pub fn parse_calendar(text: &str, now: Timestamp) -> Result<InboundEvent, String> {
    let unfolded = icalendar::parser::unfold(text);
    let calendar = icalendar::parser::read_calendar(&unfolded).map_err(|e| {
        format!(
            "not a valid iCalendar file: {}",
            e.lines().next().unwrap_or("")
        )
    })?;
    let method = calendar
        .properties
        .iter()
        .find(|p| p.name.as_str().eq_ignore_ascii_case("METHOD"))
        .map(|p| p.val.as_str().trim().to_ascii_uppercase())
        .unwrap_or_else(|| "PUBLISH".into());
    if !matches!(method.as_str(), "REQUEST" | "PUBLISH" | "REPLY" | "CANCEL") {
        return Err(format!(
            "a calendar {method}, neither a meeting, an answer nor a cancellation"
        ));
    }
    let event = calendar
        .components
        .iter()
        .find(|c| c.name.as_str().eq_ignore_ascii_case("VEVENT"))
        .ok_or_else(|| "the calendar has no event".to_string())?;
    let prop = |name: &str| {
        event
            .properties
            .iter()
            .find(|p| p.name.as_str().eq_ignore_ascii_case(name))
    };
    let cancelled = method == "CANCEL"
        || prop("STATUS").is_some_and(|p| p.val.as_str().trim().eq_ignore_ascii_case("CANCELLED"));
    let organizer = prop("ORGANIZER")
        .map(|p| calendar_address(p.val.as_str()))
        .filter(|a| a.contains('@'))
        .ok_or_else(|| "the meeting has no ORGANIZER".to_string())?;
    let listed: Vec<&icalendar::parser::Property<'_>> = event
        .properties
        .iter()
        .filter(|p| p.name.as_str().eq_ignore_ascii_case("ATTENDEE"))
        .filter(|p| calendar_address(p.val.as_str()).contains('@'))
        .collect();
    if listed.is_empty() {
        return Err("the meeting has no ATTENDEE".into());
    }
    let attendees: Vec<MeetingAttendee> = listed
        .iter()
        .filter_map(|p| {
            let partstat = participation(p);
            Some(MeetingAttendee {
                address: calendar_address(p.val.as_str()),
                answer: answer(&method, cancelled, partstat.as_deref())?,
            })
        })
        .collect();
    if attendees.is_empty() {
        return Err(
            "a calendar REPLY in which no attendee accepts, declines or tentatively accepts".into(),
        );
    }
    let uid = prop("UID")
        .map(|p| p.val.as_str().trim().to_string())
        .unwrap_or_else(|| format!("{:016x}", stable_hash(unfolded.as_bytes())));
    let at = prop("DTSTAMP")
        .and_then(|p| calendar_time(p.val.as_str()))
        .unwrap_or(now);
    let summary = prop("SUMMARY")
        .map(|p| p.val.as_str().replace("\\,", ",").replace("\\;", ";"))
        .unwrap_or_else(|| "meeting".into());
    Ok(InboundEvent {
        id: format!("ics:{uid}"),
        at,
        inbound: Inbound::Meeting {
            organizer,
            attendees,
            summary,
        },
    })
}
