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

impl Workspace {
    /// Contacts for a search box, as you type: those whose name, email or
    /// company contain every word (`search_contacts`); when none does, the
    /// close ones — each word's letters in order in the name or company
    /// ("emly" finds Emily, "jhn smth" John Smith). Name order, at most
    /// `limit`; the flag says the matches are close ones, not exact.
    /// (`&mut` only to reach the store.)
    pub fn find_contacts(&self, text: &str, limit: usize) -> Result<(Vec<Contact>, bool)> {
        let found = self.search_contacts(text, limit)?;
        let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
        if !found.is_empty() || words.is_empty() {
            return Ok((found, false));
        }
        let ids = b::contacts_with_letters_in_order(self.store.conn(), &words, limit)?;
        let close = ids
            .iter()
            .map(|id| self.contact(&id.to_string()))
            .collect::<Result<Vec<_>>>()?;
        Ok((close, true))
    }
}
