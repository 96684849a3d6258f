//! Ranked fuzzy matching for everything a person types to find something
//! (the Contacts search, the sequence and owner pickers): one matcher,
//! nucleo's (the one helix uses), so "emly chn" ranks Emily Chen the same
//! way everywhere. Ranking only: which rows are candidates is the store's
//! business (an index narrows them first).

use std::cmp::Reverse;

use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

/// A typed text, ready to score candidates: each word is matched on its
/// own, its letters in order (fuzzy); no character has a special meaning.
pub struct Fuzzy {
    pattern: Pattern,
    matcher: Matcher,
    buf: Vec<char>,
}

impl Fuzzy {
    pub fn new(text: &str) -> Fuzzy {
        Fuzzy {
            pattern: Pattern::new(
                text,
                CaseMatching::Ignore,
                Normalization::Smart,
                AtomKind::Fuzzy,
            ),
            matcher: Matcher::new(Config::DEFAULT),
            buf: Vec::new(),
        }
    }

    /// Nothing typed: everything matches, nothing is ranked.
    pub fn is_empty(&self) -> bool {
        self.pattern.atoms.is_empty()
    }

    /// The score of `haystack` (higher is better), or None when one word's
    /// letters are not all in it, in order.
    pub fn score(&mut self, haystack: &str) -> Option<u32> {
        self.pattern
            .score(Utf32Str::new(haystack, &mut self.buf), &mut self.matcher)
    }
}

/// The positions of the items `text` matches, best first; ties keep the
/// shorter item first, then the items' own order. Empty text: every item,
/// in its order. For pickers (a few hundred names at most).
pub fn rank<S: AsRef<str>>(text: &str, items: &[S]) -> Vec<usize> {
    let mut fuzzy = Fuzzy::new(text);
    if fuzzy.is_empty() {
        return (0..items.len()).collect();
    }
    let mut scored: Vec<(Reverse<u32>, usize, usize)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| {
            let item = item.as_ref();
            fuzzy
                .score(item)
                .map(|s| (Reverse(s), item.chars().count(), i))
        })
        .collect();
    scored.sort_unstable();
    scored.into_iter().map(|(_, _, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_the_closest_first_and_drops_what_does_not_match() {
        let names = ["Emily Chang", "Chen Emilia", "Emily Chen", "Bob Stone"];
        let order = rank("emly chn", &names);
        assert_eq!(names[order[0]], "Emily Chen", "{order:?}");
        assert!(!order.contains(&3), "Bob Stone has no e-m-l-y");
        assert_eq!(rank("", &names), vec![0, 1, 2, 3]);
        // Characters that are syntax elsewhere are plain letters here.
        assert_eq!(rank("'bob", &names), Vec::<usize>::new());
        assert_eq!(rank("^bob", &["^bob"]), vec![0]);
    }
}
