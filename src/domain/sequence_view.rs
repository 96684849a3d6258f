//! A sequence's steps and settings as the TUI's steps screen shows them
//! (R17): each step with how many open enrollments wait at it and its
//! template filled for one contact; and toggling a setting, which is an
//! edit like any other (`apply_sequences`: permissions, a new version, the
//! audit).

use serde::Serialize;

use super::sequence_file::{SequenceDefinition, WEEKDAYS};
use super::*;
use crate::engine::outbox::{Merge, render};
use crate::store::sequences as qs;

/// One step as the steps screen lists it.
#[derive(Debug, Clone, Serialize)]
pub struct StepLine {
    pub step: Step,
    /// Days after enrollment it comes due (the delays summed).
    pub day: i64,
    /// Open enrollments (active or paused) whose current step this is.
    pub waiting: usize,
    /// Subject, body and title with the merge fields filled for the
    /// contact asked about (the templates as written without one).
    pub subject: String,
    pub body: String,
    pub title: String,
}

/// A sequence's steps, settings and the contact its templates are filled for.
#[derive(Debug, Clone, Serialize)]
pub struct StepsView {
    pub sequence_id: i64,
    pub name: String,
    pub owner: String,
    pub archived: bool,
    pub version: i64,
    pub settings: SequenceSettings,
    pub steps: Vec<StepLine>,
    pub open_enrollments: usize,
    /// "Name <email>" of the contact the templates are filled for.
    pub contact: Option<String>,
    /// The sequence as a file (what `sequence show --format toml` prints):
    /// what the steps screen's `E` opens in the editor.
    pub file: String,
}

/// A setting the steps screen turns on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingToggle {
    UnenrollColleagues,
    PauseOnOutOfOffice,
    /// A day of the sending window, 0 = Monday (index into `WEEKDAYS`).
    SendingDay(usize),
}

impl SettingToggle {
    /// Every toggle, in the order the steps screen lists them.
    pub fn all() -> Vec<SettingToggle> {
        let mut all = vec![
            SettingToggle::UnenrollColleagues,
            SettingToggle::PauseOnOutOfOffice,
        ];
        all.extend((0..WEEKDAYS.len()).map(SettingToggle::SendingDay));
        all
    }

    /// Its name for people ("unenroll colleagues", "send on sat").
    pub fn label(self) -> String {
        match self {
            SettingToggle::UnenrollColleagues => {
                "unenroll colleagues when a contact replies or books".into()
            }
            SettingToggle::PauseOnOutOfOffice => "pause on out-of-office replies".into(),
            SettingToggle::SendingDay(d) => {
                format!("send on {}", WEEKDAYS.get(d).copied().unwrap_or("?"))
            }
        }
    }

    /// Whether it is on in `settings`.
    pub fn is_on(self, settings: &SequenceSettings) -> bool {
        match self {
            SettingToggle::UnenrollColleagues => settings.unenroll_colleagues,
            SettingToggle::PauseOnOutOfOffice => settings.pause_on_out_of_office,
            SettingToggle::SendingDay(d) => WEEKDAYS
                .get(d)
                .is_some_and(|day| settings.sending_days.iter().any(|s| s == day)),
        }
    }

    /// `settings` with this one flipped (days stay in week order).
    fn flipped(self, settings: &SequenceSettings) -> Result<SequenceSettings> {
        let mut s = settings.clone();
        match self {
            SettingToggle::UnenrollColleagues => s.unenroll_colleagues = !s.unenroll_colleagues,
            SettingToggle::PauseOnOutOfOffice => {
                s.pause_on_out_of_office = !s.pause_on_out_of_office
            }
            SettingToggle::SendingDay(d) => {
                let Some(day) = WEEKDAYS.get(d) else {
                    return Err(DomainError::Invalid(format!("no weekday {d}")));
                };
                let on = self.is_on(settings);
                if on && s.sending_days.len() == 1 {
                    return Err(DomainError::Invalid(
                        "a sequence sends on at least one day; turn another day on first".into(),
                    ));
                }
                s.sending_days = WEEKDAYS
                    .iter()
                    .filter(|w| {
                        if **w == *day {
                            !on
                        } else {
                            settings.sending_days.iter().any(|s| s == *w)
                        }
                    })
                    .map(|w| w.to_string())
                    .collect();
            }
        }
        Ok(s)
    }
}

fn as_new(step: &Step) -> NewStep {
    NewStep {
        kind: step.kind,
        delay_days: step.delay_days,
        subject: step.subject.clone(),
        body: step.body.clone(),
        title: step.title.clone(),
    }
}

impl Workspace {
    /// The steps screen of a sequence: its steps (day, kind, text, how many
    /// open enrollments wait at each), its settings, and each template
    /// filled for `contact` as the sender of `sender` would send it (the
    /// templates as written when no contact is given).
    pub fn steps_view(
        &self,
        sequence_id: i64,
        contact: Option<i64>,
        sender: Option<&str>,
    ) -> Result<StepsView> {
        let found = self.sequence(&sequence_id.to_string())?;
        let detail = self.sequence_detail(&found.name)?;
        let waiting = qs::waiting_by_step(self.store.conn(), detail.id)?;
        let contact = match contact {
            Some(id) => Some(self.contact(&id.to_string())?),
            None => None,
        };
        let sender_name = match sender {
            Some(email) => crate::store::queries::user_by_email(self.store.conn(), email)?
                .map(|u| u.name)
                .unwrap_or_else(|| email.to_string()),
            None => String::new(),
        };
        let mut day = 0;
        let steps = detail
            .steps
            .iter()
            .map(|step| {
                day += step.delay_days;
                let fill = |text: &str| match &contact {
                    Some(c) => render(
                        text,
                        &Merge {
                            first_name: &c.first_name,
                            last_name: &c.last_name,
                            company: &c.company,
                            sender_name: &sender_name,
                            unsubscribe_url: "<unsubscribe link>",
                        },
                    ),
                    None => text.to_string(),
                };
                StepLine {
                    day,
                    waiting: waiting
                        .iter()
                        .find(|(p, _)| *p == step.position)
                        .map_or(0, |(_, n)| *n as usize),
                    subject: fill(&step.subject),
                    body: fill(&step.body),
                    title: fill(&step.title),
                    step: step.clone(),
                }
            })
            .collect();
        let file = self.sequence_file(&detail.name, None)?;
        Ok(StepsView {
            file,
            sequence_id: detail.id,
            name: detail.name,
            owner: detail.owner,
            archived: detail.archived,
            version: detail.version,
            settings: detail.settings,
            steps,
            open_enrollments: detail.open_enrollments,
            contact: contact.map(|c| format!("{} <{}>", c.full_name(), c.email)),
        })
    }

    /// Turns one setting of a sequence on or off: an edit like a file's
    /// (R17: the sequence's owner, their manager or an admin; a new
    /// version; audited). A dry run returns the plan and changes nothing.
    pub fn toggle_sequence_setting(
        &mut self,
        actor: &User,
        sequence_id: i64,
        toggle: SettingToggle,
        dry_run: bool,
    ) -> Result<SequencePlan> {
        let found = self.sequence(&sequence_id.to_string())?;
        let detail = self.sequence_detail(&found.name)?;
        let settings = toggle.flipped(&detail.settings)?;
        let def = SequenceDefinition {
            file: format!(
                "steps screen: {} {}",
                toggle.label(),
                if toggle.is_on(&settings) { "on" } else { "off" }
            ),
            name: detail.name.clone(),
            owner: Some(detail.owner.clone()),
            owner_line: 0,
            settings,
            steps: detail.steps.iter().map(as_new).collect(),
        };
        let mut plans = self.apply_sequences(actor, &[def], dry_run)?;
        plans
            .pop()
            .ok_or_else(|| DomainError::Storage("applying a setting gave no plan".into()))
    }

    /// Applies a sequence file's text (the steps screen's `E`): read like
    /// `sequence apply` reads a file (`file` names it in messages), then
    /// the same plan; a dry run changes nothing.
    pub fn apply_sequence_text(
        &mut self,
        actor: &User,
        file: &str,
        text: &str,
        dry_run: bool,
    ) -> Result<SequencePlan> {
        let def = parse_sequence(file, text)?;
        let mut plans = self.apply_sequences(actor, &[def], dry_run)?;
        plans
            .pop()
            .ok_or_else(|| DomainError::Storage("applying a file gave no plan".into()))
    }
}
