//! What the engine tests read back from a workspace after `run` and
//! `ingest`: the Message-ID a contact was sent, its enrollment's status.

use std::path::Path;

use super::raw;

/// The first Message-ID sent to `address`.
pub fn message_id_to(db: &Path, address: &str) -> String {
    raw(db)
        .query_row(
            "SELECT se.message_id FROM sent_emails se JOIN enrollments e ON e.id = se.enrollment_id
             JOIN contacts c ON c.id = e.contact_id WHERE c.email = ?1 ORDER BY se.id LIMIT 1",
            [address],
            |r| r.get(0),
        )
        .unwrap()
}

/// Status and end reason of `address`'s latest enrollment.
pub fn status_of(db: &Path, address: &str) -> (String, Option<String>) {
    raw(db)
        .query_row(
            "SELECT e.status, e.end_reason FROM enrollments e JOIN contacts c ON c.id = e.contact_id
             WHERE c.email = ?1 ORDER BY e.id DESC LIMIT 1",
            [address],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
}

pub fn active() -> (String, Option<String>) {
    ("active".into(), None)
}

pub fn ended(reason: &str) -> (String, Option<String>) {
    ("unenrolled".into(), Some(reason.into()))
}
