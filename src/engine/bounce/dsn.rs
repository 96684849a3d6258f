//! RFC 3464 delivery-status fields.

use super::*;

// -------------------------------------------------------------- RFC 3464

/// One per-recipient block of a `message/delivery-status` part.
#[derive(Debug, Default)]
pub(super) struct DsnRecipient {
    pub(super) address: Option<String>,
    pub(super) action: Option<String>,
    pub(super) status: Option<String>,
    pub(super) diagnostic: Option<String>,
}

/// The address of a recipient field: `rfc822; <a@b>`.
pub(super) fn field_address(value: &str) -> Option<String> {
    let value = match value.split_once(';') {
        Some((_, v)) => v,
        None => value,
    };
    addresses_in(value).into_iter().next().map(|a| a.2)
}

/// The per-recipient blocks of a DSN (the per-message block first, then
/// one block per recipient, blank lines between; folded lines joined).
pub(super) fn parse_dsn(text: &str) -> Vec<DsnRecipient> {
    let mut out = Vec::new();
    let mut fields: Vec<(String, String)> = Vec::new();
    let flush = |fields: &mut Vec<(String, String)>, out: &mut Vec<DsnRecipient>| {
        let mut r = DsnRecipient::default();
        let mut is_recipient = false;
        let mut orig = None;
        for (name, value) in fields.drain(..) {
            match name.as_str() {
                "final-recipient" => {
                    is_recipient = true;
                    r.address = r.address.or(field_address(&value));
                }
                "original-recipient" => {
                    is_recipient = true;
                    orig = field_address(&value);
                }
                "x-actual-recipient" if r.address.is_none() => {
                    r.address = field_address(&value);
                }
                "action" => {
                    is_recipient = true;
                    r.action = Some(value.trim().to_ascii_lowercase());
                }
                "status" => {
                    is_recipient = true;
                    r.status = find_status(&value).or_else(|| {
                        let v = value.trim();
                        (!v.is_empty()).then(|| v.to_string())
                    });
                }
                "diagnostic-code" => {
                    let v = match value.split_once(';') {
                        Some((kind, rest)) if !kind.contains(' ') => rest,
                        _ => &value,
                    };
                    r.diagnostic = Some(v.trim().to_string());
                }
                _ => {}
            }
        }
        if r.address.is_none() {
            r.address = orig;
        }
        if is_recipient {
            out.push(r);
        }
    };
    let mut last: Option<usize> = None;
    for line in text.lines() {
        if line.trim().is_empty() {
            flush(&mut fields, &mut out);
            last = None;
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(i) = last {
                fields[i].1.push(' ');
                fields[i].1.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim().to_ascii_lowercase();
            // A second recipient with no blank line before it.
            let starts_recipient = name == "final-recipient" || name == "original-recipient";
            if starts_recipient && fields.iter().any(|(n, _)| n == &name) {
                flush(&mut fields, &mut out);
            }
            fields.push((name, value.trim().to_string()));
            last = Some(fields.len() - 1);
        }
    }
    flush(&mut fields, &mut out);
    // A report that repeats one recipient (some MTAs do) counts it once.
    let mut seen: Vec<String> = Vec::new();
    out.retain(|r| match &r.address {
        Some(a) if seen.contains(a) => false,
        Some(a) => {
            seen.push(a.clone());
            true
        }
        None => true,
    });
    out
}
