//! Reads the terminal UI needs beyond the core operations: what a set of
//! marked enrollments is right now (so that a confirm dialog can name the
//! status it is about to change), a forgiving contact search for typing,
//! and a cap on a connection's page cache. No rule lives here.

use super::*;
use crate::store::browse as b;

impl Workspace {
    /// How the given enrollments stand now, grouped by sequence and status
    /// (sequence name, status, how many), largest group first. Unknown ids
    /// are left out.
    pub fn status_counts(&self, enrollment_ids: &[i64]) -> Result<Vec<(String, Status, i64)>> {
        b::status_counts(self.store.conn(), enrollment_ids)
    }
}

impl Workspace {
    /// Caps the memory this workspace's connection keeps as page cache. The
    /// terminal UI holds several connections in one process (the screen's,
    /// the reader's, a writer's) and keeps each one small.
    pub fn limit_page_cache(&self, mebibytes: u32) -> Result<()> {
        b::limit_page_cache(self.store.conn(), mebibytes)
    }
}

/// How many candidates the store hands the ranking for one search: far
/// more than a screen, few enough to rank on every key.
pub const SEARCH_CANDIDATES: usize = 5_000;

impl Workspace {
    /// Contacts for a search box, as you type, best match first (ranked by
    /// [`fuzzy`](super::fuzzy), nucleo's matcher). Candidates are the
    /// contacts where some typed word starts the first name, last name,
    /// company or email and every word starts one of their words, its
    /// letters in order ("emly chn" finds Emily Chen; an index range per
    /// word's first letter, so a million contacts cost what a few thousand
    /// do). When some candidates contain every word as typed, only those
    /// are listed; else the close ones are, and the flag says so. When no
    /// word starts a word anywhere, the contacts containing every word
    /// inside a word ("hen" finds Chen: a walk of the name index that
    /// stops at `limit`). At most `limit`.
    pub fn find_contacts(&self, text: &str, limit: usize) -> Result<(Vec<Contact>, bool)> {
        let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
        if words.is_empty() {
            return Ok((self.search_contacts("", limit)?, false));
        }
        let candidates = crate::store::queries::contacts_by_word_starts(
            self.store.conn(),
            &words,
            SEARCH_CANDIDATES,
        )?;
        let (exact, close): (Vec<Contact>, Vec<Contact>) = candidates
            .into_iter()
            .partition(|c| contains_every_word(c, &words));
        if !exact.is_empty() {
            return Ok((ranked(text, exact, limit), false));
        }
        if !close.is_empty() {
            return Ok((ranked(text, close, limit), true));
        }
        let inside = self.search_contacts(text, limit)?;
        Ok((ranked(text, inside, limit), false))
    }
}

/// Every word is in the contact's name, email or company as typed (any
/// case).
fn contains_every_word(c: &Contact, words: &[String]) -> bool {
    let name = format!("{} {}", c.first_name, c.last_name).to_lowercase();
    let email = c.email.to_lowercase();
    let company = c.company.to_lowercase();
    words.iter().all(|w| {
        name.contains(w.as_str()) || email.contains(w.as_str()) || company.contains(w.as_str())
    })
}

/// The contacts, best match of `text` first: those whose name holds every
/// word before those that need the company or email too; then by score,
/// shorter names first ("chn": Chen before Chang), then name order.
fn ranked(text: &str, contacts: Vec<Contact>, limit: usize) -> Vec<Contact> {
    let mut fuzzy = super::fuzzy::Fuzzy::new(text);
    let mut scored: Vec<(u8, std::cmp::Reverse<u32>, usize, String, Contact)> = contacts
        .into_iter()
        .map(|c| {
            let name = format!("{} {}", c.first_name.trim(), c.last_name.trim());
            let (tier, score) = match fuzzy.score(&name) {
                Some(score) => (0, score),
                None => (
                    1,
                    fuzzy
                        .score(&format!("{name} {} {}", c.company, c.email))
                        .unwrap_or(0),
                ),
            };
            let order = sort_name(&c.first_name, &c.last_name, &c.email);
            (
                tier,
                std::cmp::Reverse(score),
                name.chars().count(),
                order,
                c,
            )
        })
        .collect();
    scored.sort_by(|a, b| (a.0, a.1, a.2, &a.3, a.4.id).cmp(&(b.0, b.1, b.2, &b.3, b.4.id)));
    scored.truncate(limit);
    scored.into_iter().map(|(_, _, _, _, c)| c).collect()
}
