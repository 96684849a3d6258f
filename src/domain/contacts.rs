//! Contacts as a CRM knows them: lifecycle stages (HubSpot's internal
//! values stored, its labels shown) and the contact list (`seqtui
//! contacts`), keyset-paged over the contact filter conditions.

use serde::Serialize;

use super::*;
use crate::store::contacts as cq;

/// HubSpot's default lifecycle stages: the internal value a workspace
/// stores, the label people read, and other spellings that mean it.
const STAGES: &[(&str, &str, &[&str])] = &[
    ("subscriber", "Subscriber", &[]),
    ("lead", "Lead", &[]),
    (
        "marketingqualifiedlead",
        "Marketing Qualified Lead",
        &["mql", "marketing qualified"],
    ),
    (
        "salesqualifiedlead",
        "Sales Qualified Lead",
        &["sql", "sales qualified"],
    ),
    ("opportunity", "Opportunity", &[]),
    ("customer", "Customer", &[]),
    ("evangelist", "Evangelist", &[]),
    ("other", "Other", &[]),
];

/// Letters and digits, lower-cased: how a stage is compared.
fn squash(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The stored value of a lifecycle stage given as HubSpot's label
/// ("Marketing Qualified Lead"), its internal value
/// (`marketingqualifiedlead`) or a short name (`MQL`), any case. A stage
/// HubSpot does not define (a custom one) is kept as typed, trimmed and
/// lower-cased.
pub fn lifecycle_value(text: &str) -> String {
    let key = squash(text);
    STAGES
        .iter()
        .find(|(value, _, aliases)| *value == key || aliases.iter().any(|a| squash(a) == key))
        .map_or_else(
            || text.trim().to_lowercase(),
            |(value, _, _)| value.to_string(),
        )
}

/// The label people read for a stored stage: HubSpot's label for its
/// stages, the stored text for any other.
pub fn lifecycle_label(value: &str) -> String {
    let key = squash(value);
    STAGES
        .iter()
        .find(|(v, _, _)| *v == key)
        .map_or_else(|| value.to_string(), |(_, label, _)| label.to_string())
}

/// One row of the contact list.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ContactRow {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub company: String,
    pub title: String,
    /// The owner's email.
    pub owner: Option<String>,
    /// The stored value (`marketingqualifiedlead`).
    pub lifecycle_stage: String,
    /// Its label ("Marketing Qualified Lead").
    pub lifecycle_label: String,
    pub phone: String,
    pub crm_id: String,
    pub opted_out: bool,
    pub undeliverable: bool,
    /// The sequence of the contact's open enrollment (R1: at most one).
    pub open_sequence: Option<String>,
    pub open_enrollment: Option<i64>,
    /// The list-order key, for the next page (`after`).
    #[serde(skip)]
    pub sort_name: String,
}

/// Where a page of contacts starts: after this (sort name, id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactCursor {
    pub sort_name: String,
    pub id: i64,
}

impl Workspace {
    /// A page of the contacts the filter's contact conditions match (owner,
    /// company, lifecycle, title, email domain, search; an enrollment
    /// condition is refused), in name order, after `after`, at most
    /// `limit`. Walks the name index and stops at the page: no sort.
    pub fn contact_page(
        &self,
        filter: &Filter,
        opted_out: Option<bool>,
        after: Option<&ContactCursor>,
        limit: usize,
    ) -> Result<Vec<ContactRow>> {
        let query = self.contact_query(filter)?;
        cq::contact_page(self.store.conn(), &query, opted_out, after, limit)
    }

    /// The ids of every contact the filter's contact conditions match, in
    /// id order (a bulk enroll's `--all`).
    pub fn contact_ids(&self, filter: &Filter, opted_out: Option<bool>) -> Result<Vec<i64>> {
        let query = self.contact_query(filter)?;
        cq::contact_ids(self.store.conn(), &query, opted_out)
    }

    /// The contact each of these emails names (compared by its key), in
    /// the order given: its id, or the email (trimmed) when it is no
    /// contact.
    pub fn contacts_by_email(&self, emails: &[String]) -> Result<Vec<ContactRef>> {
        emails
            .iter()
            .map(|email| {
                Ok(match cq::contact_id_by_email(self.store.conn(), email)? {
                    Some(id) => ContactRef::Found(id),
                    None => ContactRef::Unknown(email.trim().to_string()),
                })
            })
            .collect()
    }

    /// The contact an id or email names ([`Workspace::contact`]'s input):
    /// its id, or the text as given (trimmed) when it names no contact.
    pub fn contact_ref(&self, id_or_email: &str) -> Result<ContactRef> {
        match self.contact(id_or_email) {
            Ok(c) => Ok(ContactRef::Found(c.id)),
            Err(DomainError::NotFound(_)) => {
                Ok(ContactRef::Unknown(id_or_email.trim().to_string()))
            }
            Err(e) => Err(e),
        }
    }

    /// The query of a filter that names only contact conditions.
    pub fn contact_query(&self, filter: &Filter) -> Result<EnrollmentQuery> {
        if let Some(key) = filter.enrollment_keys().first() {
            return Err(DomainError::Invalid(format!(
                "{key} is a condition on enrollments; contacts filter by owner, company, lifecycle, title, email-domain and search"
            )));
        }
        self.resolve(filter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_map_labels_values_and_short_names() {
        for text in [
            "Marketing Qualified Lead",
            "marketingqualifiedlead",
            "MQL",
            " marketing-qualified-lead ",
        ] {
            assert_eq!(lifecycle_value(text), "marketingqualifiedlead", "{text}");
        }
        assert_eq!(
            lifecycle_value("Sales Qualified Lead"),
            "salesqualifiedlead"
        );
        assert_eq!(lifecycle_value("Customer"), "customer");
        assert_eq!(lifecycle_value("Partner Lead"), "partner lead");
        assert_eq!(
            lifecycle_label("marketingqualifiedlead"),
            "Marketing Qualified Lead"
        );
        assert_eq!(lifecycle_label("lead"), "Lead");
        assert_eq!(lifecycle_label("partner lead"), "partner lead");
    }
}
