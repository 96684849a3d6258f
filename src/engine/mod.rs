//! The engine: rendering due steps (`message`), running them into an
//! outbox Maildir or through a server (`outbox`, `deliver`) and
//! reading what comes back — mail, calendars and JSON Lines events
//! (`inbound`, `autoreply`, `bounce`). Parsing, rendering and file I/O live here; every
//! decision and every database change goes through `crate::domain`.

pub mod autoreply;
pub mod bounce;
pub mod deliver;
pub mod imap;
pub mod inbound;
pub mod message;
pub mod outbox;
pub use crate::tls;

pub use inbound::{InputItem, read_path};
pub use outbox::{RunReport, run_once};

/// FNV-1a, 64 bits: a stable hash (unlike `DefaultHasher`, the same in every
/// build) for dedupe keys of items that carry no id of their own.
pub fn stable_hash(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}
