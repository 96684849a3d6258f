//! The orders an enrollment list can be read in (issue 14): by contact
//! (the default), next due, step, last engagement or enrolled at, each
//! ascending or descending, and the key a page starts after. No rule
//! lives here; the store walks an index per order (keyset paging, never a
//! sort of the whole list).

use std::fmt;
use std::str::FromStr;

use super::{DomainError, EnrollmentRow, Timestamp};

/// The column an enrollment list is ordered by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum SortKey {
    /// Contact name (last, first, email), then id: the lists' own order.
    #[default]
    Contact,
    /// When the enrollment's next scheduled step is due; none for an ended
    /// enrollment or one with nothing scheduled.
    NextDue,
    /// The step the enrollment is at.
    Step,
    /// Its latest open, click, reply or booked meeting; none when it has
    /// had none.
    LastEngagement,
    /// When it was enrolled.
    EnrolledAt,
}

impl SortKey {
    pub const ALL: [SortKey; 5] = [
        SortKey::Contact,
        SortKey::NextDue,
        SortKey::Step,
        SortKey::LastEngagement,
        SortKey::EnrolledAt,
    ];

    /// The name the CLI takes (`--sort next-due`).
    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Contact => "contact",
            SortKey::NextDue => "next-due",
            SortKey::Step => "step",
            SortKey::LastEngagement => "last-engagement",
            SortKey::EnrolledAt => "enrolled-at",
        }
    }

    /// Whether some enrollments have no value (they come last, see
    /// [`Sort`]).
    pub fn may_be_empty(self) -> bool {
        matches!(self, SortKey::NextDue | SortKey::LastEngagement)
    }

    /// Whether an enrollment in one of `statuses` (every status when
    /// empty) can have a value of this key. An ended enrollment has no
    /// next due (the store clears it as the enrollment ends and checks it
    /// in `check_invariants`), so a list of ended enrollments sorted by
    /// next due is its empty rows alone, in contact order, and the walk of
    /// the key's index — which would read every entry of the sequence to
    /// find none — is skipped.
    pub fn has_value_for(self, statuses: &[super::Status]) -> bool {
        match self {
            SortKey::NextDue => statuses.is_empty() || statuses.iter().any(|s| s.is_open()),
            _ => true,
        }
    }

    /// The next key in [`SortKey::ALL`] (the TUI's sort key cycles).
    pub fn next(self) -> SortKey {
        let at = SortKey::ALL.iter().position(|k| *k == self).unwrap_or(0);
        SortKey::ALL[(at + 1) % SortKey::ALL.len()]
    }

    /// This key's value of a row (`None`: the row has none).
    pub fn value_of(self, row: &EnrollmentRow) -> Option<SortValue> {
        match self {
            SortKey::Contact => None,
            SortKey::NextDue => row.next_due_at.map(SortValue::Time),
            SortKey::Step => Some(SortValue::Number(row.step)),
            SortKey::LastEngagement => row.last_engagement_at.map(SortValue::Time),
            SortKey::EnrolledAt => Some(SortValue::Time(row.enrolled_at)),
        }
    }
}

impl fmt::Display for SortKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SortKey {
    type Err = DomainError;

    fn from_str(text: &str) -> Result<SortKey, DomainError> {
        let wanted = text.trim().to_ascii_lowercase().replace('_', "-");
        SortKey::ALL
            .into_iter()
            .find(|k| k.as_str() == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = SortKey::ALL.iter().map(|k| k.as_str()).collect();
                DomainError::Invalid(format!(
                    "cannot sort by '{text}': use one of {}",
                    names.join(", ")
                ))
            })
    }
}

/// An order of an enrollment list: a key and a direction. Ties are broken
/// by enrollment id in the same direction. Enrollments without a value
/// (no next due, never engaged) come last in both directions, in contact
/// order (A to Z).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

impl Sort {
    pub fn new(key: SortKey, descending: bool) -> Sort {
        Sort { key, descending }
    }

    /// The lists' own order (contact, A to Z).
    pub fn is_default(self) -> bool {
        self == Sort::default()
    }
}

/// A value an enrollment list is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortValue {
    Time(Timestamp),
    Number(i64),
}

/// Where a page of an enrollment list starts: the key of the row before it
/// (keyset paging; never OFFSET). `value` is that row's value of the
/// list's sort key (`None` for the contact order, and for a row without
/// one); `sort_name` and `id` its place in contact order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageKey {
    pub value: Option<SortValue>,
    pub sort_name: String,
    pub id: i64,
}

impl EnrollmentRow {
    /// The key a page after this row starts from, in contact order.
    pub fn page_key(&self) -> PageKey {
        self.page_key_in(SortKey::Contact)
    }

    /// The key a page after this row starts from, in a list ordered by
    /// `key`.
    pub fn page_key_in(&self, key: SortKey) -> PageKey {
        PageKey {
            value: key.value_of(self),
            sort_name: self.sort_name.clone(),
            id: self.id,
        }
    }
}
