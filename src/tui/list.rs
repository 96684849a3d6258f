//! Virtual lists: the focus and the first visible row kept as numbers over
//! a list of any length, and marks kept as a set of enrollment ids (never
//! as flags on loaded rows), so that marks survive scrolling, filtering and
//! refreshes, and "mark all" reaches rows that were never loaded.

/// Marks hash with FxHash: ids are our own integers (no hostile keys), and
/// marking 100,000+ rows with SipHash took longer than a frame.
use rustc_hash::FxHashSet as HashSet;
use std::ops::Range;

/// Focus and scroll position of a list of `len` rows shown `height` at a
/// time. Every method keeps the focus on screen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    pub selected: usize,
    pub offset: usize,
}

impl Cursor {
    /// Focus `index` (clamped), scrolling as little as possible.
    pub fn select(&mut self, index: usize, len: usize, height: usize) {
        self.selected = index.min(len.saturating_sub(1));
        self.follow(len, height);
    }

    pub fn move_by(&mut self, delta: isize, len: usize, height: usize) {
        let target = self.selected.saturating_add_signed(delta);
        self.select(target, len, height);
    }

    /// A page: the view and the focus move together.
    pub fn page(&mut self, pages: isize, len: usize, height: usize) {
        let step = height.max(1) as isize * pages;
        let max_offset = len.saturating_sub(height.max(1));
        self.offset = self.offset.saturating_add_signed(step).min(max_offset);
        self.select(self.selected.saturating_add_signed(step), len, height);
    }

    /// Half a page (ctrl-d / ctrl-u, as in vim and less): the view and the
    /// focus move together by half the rows on screen.
    pub fn half_page(&mut self, direction: isize, len: usize, height: usize) {
        let step = (height / 2).max(1) as isize * direction.signum();
        let max_offset = len.saturating_sub(height.max(1));
        self.offset = self.offset.saturating_add_signed(step).min(max_offset);
        self.select(self.selected.saturating_add_signed(step), len, height);
    }

    /// The mouse wheel: the focus moves with the view.
    pub fn scroll(&mut self, delta: isize, len: usize, height: usize) {
        self.move_by(delta, len, height);
    }

    /// Keeps the focus visible and the view inside the list (after the list
    /// or the screen changed size).
    pub fn follow(&mut self, len: usize, height: usize) {
        let height = height.max(1);
        if len == 0 {
            *self = Cursor::default();
            return;
        }
        self.selected = self.selected.min(len - 1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        self.offset = self.offset.min(len.saturating_sub(height));
    }

    /// Puts the focus on `index` keeping it at the same distance from the
    /// top of the view as before (a refresh that moved the row).
    pub fn keep_at(&mut self, index: usize, len: usize, height: usize) {
        let distance = self.selected.saturating_sub(self.offset);
        self.selected = index.min(len.saturating_sub(1));
        self.offset = self.selected.saturating_sub(distance);
        self.follow(len, height);
    }

    /// Rows on screen.
    pub fn visible(&self, len: usize, height: usize) -> Range<usize> {
        let start = self.offset.min(len);
        start..(start + height).min(len)
    }
}

/// Marked enrollments, plus a range being drawn with `v`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Marks {
    set: HashSet<i64>,
    /// Where `v` was pressed: a row index of the current list, and its id so
    /// that a refresh can find it again.
    anchor: Option<(usize, i64)>,
}

impl Marks {
    pub fn len(&self) -> usize {
        self.set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    pub fn contains(&self, id: i64) -> bool {
        self.set.contains(&id)
    }

    pub fn ids(&self) -> &HashSet<i64> {
        &self.set
    }

    pub fn toggle(&mut self, id: i64) {
        if !self.set.remove(&id) {
            self.set.insert(id);
        }
    }

    pub fn range_active(&self) -> bool {
        self.anchor.is_some()
    }

    pub fn start_range(&mut self, index: usize, id: i64) {
        self.anchor = Some((index, id));
    }

    /// The rows the range covers, from the anchor to the focus.
    pub fn range(&self, selected: usize) -> Option<Range<usize>> {
        self.anchor
            .map(|(a, _)| a.min(selected)..a.max(selected) + 1)
    }

    /// Adds the range to the marks and ends it.
    pub fn commit_range(&mut self, ids: &[i64], selected: usize) {
        if let Some(range) = self.range(selected) {
            let end = range.end.min(ids.len());
            let start = range.start.min(end);
            self.set.extend(ids[start..end].iter().copied());
        }
        self.anchor = None;
    }

    pub fn cancel_range(&mut self) {
        self.anchor = None;
    }

    /// Marks every id of the list; when all of them already are, unmarks
    /// them instead. Returns whether they are marked now.
    pub fn toggle_all(&mut self, ids: &[i64]) -> bool {
        self.anchor = None;
        if !ids.is_empty() && ids.iter().all(|id| self.set.contains(id)) {
            for id in ids {
                self.set.remove(id);
            }
            false
        } else {
            self.mark_all(ids);
            true
        }
    }

    /// Marks every id of the list (and ends a range).
    pub fn mark_all(&mut self, ids: &[i64]) {
        self.anchor = None;
        self.set.reserve(ids.len());
        self.set.extend(ids.iter().copied());
    }

    pub fn clear(&mut self) {
        self.set.clear();
        self.anchor = None;
    }

    /// Whether the row at `index` (id `id`) shows as marked: marked, or in
    /// the range being drawn.
    pub fn shows(&self, id: i64, index: usize, selected: usize) -> bool {
        self.set.contains(&id) || self.range(selected).is_some_and(|r| r.contains(&index))
    }

    /// How many rows an action would take: the marks plus the range.
    pub fn count(&self, ids: &[i64], selected: usize) -> usize {
        let extra = match self.range(selected) {
            Some(range) => {
                let end = range.end.min(ids.len());
                ids[range.start.min(end)..end]
                    .iter()
                    .filter(|id| !self.set.contains(id))
                    .count()
            }
            None => 0,
        };
        self.set.len() + extra
    }

    /// The ids an action takes — the marked rows and the range in list
    /// order, then marked ids the current filter hides (ascending) — and how
    /// many of them are hidden.
    pub fn targets(&self, ids: &[i64], selected: usize) -> (Vec<i64>, usize) {
        let range = self.range(selected);
        let mut out = Vec::with_capacity(self.set.len() + range.as_ref().map_or(0, |r| r.len()));
        let mut marked_in_list = 0usize;
        for (index, &id) in ids.iter().enumerate() {
            let marked = self.set.contains(&id);
            if marked {
                marked_in_list += 1;
            }
            if marked || range.as_ref().is_some_and(|r| r.contains(&index)) {
                out.push(id);
            }
        }
        if marked_in_list == self.set.len() {
            // The common case (ctrl-a, then u): nothing hidden, no second pass.
            return (out, 0);
        }
        let listed: HashSet<i64> = ids.iter().copied().collect();
        let mut hidden: Vec<i64> = self
            .set
            .iter()
            .copied()
            .filter(|id| !listed.contains(id))
            .collect();
        hidden.sort_unstable();
        let hidden_count = hidden.len();
        out.extend(hidden);
        (out, hidden_count)
    }

    /// After the list changed: finds the anchor again by id, or drops the
    /// range when its row left the list.
    pub fn relocate(&mut self, ids: &[i64]) {
        if let Some((_, id)) = self.anchor {
            self.anchor = ids.iter().position(|&x| x == id).map(|i| (i, id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_stays_on_screen() {
        let mut c = Cursor::default();
        c.move_by(15, 100, 10);
        assert_eq!((c.selected, c.offset), (15, 6));
        c.move_by(-10, 100, 10);
        assert_eq!((c.selected, c.offset), (5, 5));
        c.page(1, 100, 10);
        assert_eq!((c.selected, c.offset), (15, 15));
        c.select(1000, 100, 10);
        assert_eq!((c.selected, c.offset), (99, 90));
        c.page(1, 100, 10);
        assert_eq!((c.selected, c.offset), (99, 90));
        c.follow(3, 10);
        assert_eq!((c.selected, c.offset), (2, 0));
        c.follow(0, 10);
        assert_eq!(c, Cursor::default());
        assert_eq!(c.visible(0, 10), 0..0);
    }

    #[test]
    fn keep_at_holds_the_screen_position() {
        let mut c = Cursor {
            selected: 25,
            offset: 20,
        };
        c.keep_at(40, 100, 10);
        assert_eq!((c.selected, c.offset), (40, 35));
    }

    #[test]
    fn marks_toggle_range_all_and_clear() {
        let ids: Vec<i64> = (100..110).collect();
        let mut m = Marks::default();
        m.toggle(101);
        m.toggle(102);
        m.toggle(101);
        assert_eq!(m.len(), 1);
        m.start_range(4, 104);
        assert_eq!(m.count(&ids, 6), 4);
        assert!(m.shows(105, 5, 6));
        assert!(!m.shows(107, 7, 6));
        m.commit_range(&ids, 6);
        assert!(!m.range_active());
        assert_eq!(m.targets(&ids, 0), (vec![102, 104, 105, 106], 0));
        assert!(m.toggle_all(&ids));
        assert_eq!(m.len(), 10);
        assert!(!m.toggle_all(&ids));
        assert_eq!(m.len(), 0);
        m.toggle(5000);
        m.toggle(103);
        assert_eq!(m.targets(&ids, 0), (vec![103, 5000], 1));
        m.clear();
        assert!(m.is_empty());
    }

    #[test]
    fn range_follows_its_row_after_a_refresh() {
        let mut m = Marks::default();
        m.start_range(2, 12);
        m.relocate(&[10, 11, 9, 12]);
        assert_eq!(m.range(0), Some(0..4));
        m.relocate(&[10, 11]);
        assert!(!m.range_active());
    }
}
